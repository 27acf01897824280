"""The health of the link to the OS service, as the board's banner tells it: the document the
dispatchers update after each attempt (repository.py, queries.py), plus the queue's totals of
events waiting."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..clock import agora
from ..fila.queries import FilaQueries
from ..settings import Settings
from .domain import Resultado
from .queries import LigacaoQueries
from .repository import LigacaoRepository


@dataclass(frozen=True)
class SituacaoOS:
    desligada: bool  # URL_API_OS unset: nothing is sent
    fora_desde: datetime | None  # start of the current streak of failed attempts
    pendentes: int  # events waiting, across the queue
    falhas: int  # orders whose head event failed for good (a manager must retry)
    alerta_fora: bool  # down for longer than OS_ALERTA_FORA_S
    minutos_fora: int
    # Removed orders with a step refused for good (no card to send it again from): the latest
    # REMOVIDAS_MOSTRADAS, each {fila_id, ordem_servico_id, placa, removido_em, ultimo_erro}.
    removidas_com_falha: list[dict[str, Any]] = field(default_factory=list)


REMOVIDAS_MOSTRADAS = 20


class OsLink:
    def __init__(
        self,
        repo: LigacaoRepository,
        consultas: LigacaoQueries,
        queries: FilaQueries,
        settings: Settings,
    ) -> None:
        self.repo = repo
        self.consultas = consultas
        self.queries = queries
        self.settings = settings

    def registrar(self, resultado: Resultado, instante: datetime) -> None:
        """Record one attempt's outcome (the dispatchers, after each)."""
        self.repo.registrar(resultado, instante)

    def situacao(self, instante: datetime | None = None) -> SituacaoOS:
        """The link as the board's banner tells it (two small indexed reads; a third when some
        order's step failed for good)."""
        instante = instante or agora()
        totais = self.queries.totais_os_sync()
        removidas = (
            self.queries.removidas_com_falha(REMOVIDAS_MOSTRADAS) if totais["falhas"] else []
        )
        saude = self.consultas.saude_atual()
        fora_desde = saude.get("fora_desde")
        segundos_fora = (instante - fora_desde).total_seconds() if fora_desde else 0.0
        return SituacaoOS(
            desligada=not self.settings.url_api_os,
            fora_desde=fora_desde,
            pendentes=totais["pendentes"],
            falhas=totais["falhas"],
            alerta_fora=fora_desde is not None and segundos_fora >= self.settings.os_alerta_fora_s,
            minutos_fora=int(max(0.0, segundos_fora) // 60),
            removidas_com_falha=removidas,
        )
