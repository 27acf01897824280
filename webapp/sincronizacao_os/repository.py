"""Every write of the link's health (collection `sincronizacao_os`, one document, `_id` "os"):
each delivery attempt's outcome, as the dispatchers record it. Reads: queries.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from .domain import Desfecho, Resultado

COLECAO = "sincronizacao_os"
ID_SAUDE = "os"


class LigacaoRepository:
    def __init__(self, db: Database) -> None:
        self.saude = db[COLECAO]

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
