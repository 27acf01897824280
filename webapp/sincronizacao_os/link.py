"""The health of the link to the OS service, as the board's banner tells it: one document
(collection `sincronizacao_os`, `_id` "os") that the dispatchers update after each attempt, plus
the queue's totals of events waiting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from ..clock import agora
from ..fila.queries import FilaQueries
from ..settings import Settings
from .domain import Desfecho, Resultado

COLECAO = "sincronizacao_os"
ID_SAUDE = "os"


@dataclass(frozen=True)
class SituacaoOS:
    desligada: bool  # URL_API_OS unset: nothing is sent
    fora_desde: datetime | None  # start of the current streak of failed attempts
    pendentes: int  # events waiting, across the queue
    falhas: int  # orders whose head event failed for good (a manager must retry)
    alerta_fora: bool  # down for longer than OS_ALERTA_FORA_S
    minutos_fora: int


class OsLink:
    def __init__(self, db: Database, queries: FilaQueries, settings: Settings) -> None:
        self.saude = db[COLECAO]
        self.queries = queries
        self.settings = settings

    def registrar(self, resultado: Resultado, instante: datetime) -> None:
        """Record one attempt's outcome: a streak of failures starts or ends."""
        if resultado.desfecho is Desfecho.ENVIADO:
            mudanca: dict[str, Any] = {
                "$set": {"ultimo_sucesso": instante, "ultimo_contato": instante},
                "$unset": {"fora_desde": "", "ultimo_erro": ""},
            }
        elif resultado.fora_do_ar:
            # $min keeps the start of the streak ($min on a missing field sets it).
            mudanca = {
                "$min": {"fora_desde": instante},
                "$set": {"ultima_falha": instante, "ultimo_erro": resultado.motivo},
            }
        else:  # a final answer (e.g. 404): the service is up, it refused this one event
            mudanca = {"$set": {"ultimo_contato": instante}, "$unset": {"fora_desde": ""}}
        try:
            self.saude.update_one({"_id": ID_SAUDE}, mudanca, upsert=True)
        except DuplicateKeyError:  # two first-ever upserts raced: the document exists now
            self.saude.update_one({"_id": ID_SAUDE}, mudanca)

    def situacao(self, instante: datetime | None = None) -> SituacaoOS:
        """The link as the board's banner tells it (two small indexed reads)."""
        instante = instante or agora()
        totais = self.queries.totais_os_sync()
        saude = self.saude.find_one({"_id": ID_SAUDE}) or {}
        fora_desde = saude.get("fora_desde")
        segundos_fora = (instante - fora_desde).total_seconds() if fora_desde else 0.0
        return SituacaoOS(
            desligada=not self.settings.url_api_os,
            fora_desde=fora_desde,
            pendentes=totais["pendentes"],
            falhas=totais["falhas"],
            alerta_fora=fora_desde is not None and segundos_fora >= self.settings.os_alerta_fora_s,
            minutos_fora=int(max(0.0, segundos_fora) // 60),
        )
