"""Plain data for the forecast's tests: a shop's history and open orders, built by hand."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from webapp.previsao.calendar import Calendario, epoch
from webapp.previsao.domain import Abertas, Historico

SP = ZoneInfo("America/Sao_Paulo")
HORARIO = "seg-sex 08:00-12:00 13:00-18:00; sab 08:00-12:00"
HORA = 3600.0


def local(*partes: int) -> datetime:
    return datetime(*partes, tzinfo=SP)


def calendario() -> Calendario:
    return Calendario.de_config(HORARIO, "", "America/Sao_Paulo")


def historico(
    cal: Calendario,
    agora: datetime,
    n: int = 200,
    medianas_h: Sequence[float] = (1.0, 1.0, 2.0, 0.5, 2.0),
    prioridades: Sequence[int] = (0, 1, 2, 3),
    semente: int = 1,
    pausas: float = 0.0,
    pausa_h: float = 30.0,
    dispersao: float = 0.5,
) -> Historico:
    """`n` orders finished over the last 60 days, each stage a log-normal working time around
    its median (`dispersao`: its log's standard deviation; laid out on the shop's calendar, so
    nights and weekends fall in between); a share `pausas` of the repairs held for about
    `pausa_h` wall-clock hours."""
    rng = np.random.default_rng(semente)
    inicio = cal.somar(np.full(n, epoch(agora) - 60 * 86_400), rng.uniform(0, 300 * HORA, n))
    instantes = np.empty((n, 6))
    instantes[:, 0] = inicio
    for k, mediana in enumerate(medianas_h):
        duracao = rng.lognormal(np.log(mediana * HORA), dispersao, n)
        instantes[:, k + 1] = cal.somar(instantes[:, k], duracao)
    seguradas = np.zeros((n, 5))
    com = rng.random(n) < pausas
    # A hold at the end of the work, for about `pausa_h` hours; work resumes when open.
    fim = instantes[com, 5]
    instantes[com, 5] = cal.somar(fim + rng.lognormal(np.log(pausa_h * HORA), 0.3, fim.size), 0)
    seguradas[com, 4] = instantes[com, 5] - fim  # wall-clock seconds, as the store keeps them
    prioridade = np.asarray(prioridades, dtype=np.int8)[rng.integers(0, len(prioridades), n)]
    return Historico(prioridade, instantes, seguradas)


def aberta(
    os: int,
    prioridade: int = 2,
    marcos: Sequence[datetime | None] = (),
    mecanico: int | None = None,
    pausa_desde: datetime | None = None,
    promessa: datetime | None = None,
) -> dict:
    """A record of an open order: the first instants of MARCOS given, the rest not reached."""
    nomes = ("dta_criacao", "dta_inicio_diagnostico", "dta_fim_diagnostico",
             "dta_aprovacao_orcamento", "dta_inicio_reparo")  # fmt: skip
    return {
        "ordem_servico_id": os,
        "prioridade": prioridade,
        **dict(zip(nomes, marcos, strict=False)),
        "mecanico_responsavel_id": mecanico,
        "pausa_desde": pausa_desde,
        "previsao_entrega": promessa,
    }


def abertas(*registros: dict) -> Abertas:
    return Abertas.de_registros(registros)
