"""A shop with a history, for the forecast's tests through the app: finished orders laid on the
shop's working calendar, stored as the queue stores them, and a working moment to travel to."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import datetime, time, timedelta

from flask import Flask

from webapp.clock import Clock, agora
from webapp.components import componente
from webapp.fila import domain, fields
from webapp.fila.domain import Prioridade, Status
from webapp.fila.repository import FilaRepository
from webapp.previsao.service import PrevisaoService, Resumo

# Working hours of each stage (the wait for a diagnosis, the diagnosis, the customer's answer,
# the wait for a repair, the repair), median of the history's log-normal times.
HORAS = (1.0, 1.0, 2.0, 0.5, 2.0)


def quarta_10h(app: Flask) -> datetime:
    """Next Wednesday at 10:00 in the shop's zone (a working moment of the default hours,
    always ahead of now: a time machine travels there without expiring anything)."""
    fuso = componente(Clock, app).fuso
    hoje = agora().astimezone(fuso).date()
    dias = (2 - hoje.weekday()) % 7 or 7
    return datetime.combine(hoje + timedelta(days=dias), time(10), tzinfo=fuso)


def historico(
    app: Flask,
    n: int = 40,
    *,
    ate: datetime | None = None,
    horas: Sequence[float] = HORAS,
    primeira_os: int = 900_000,
    semente: int = 1,
    dias: tuple[float, float] = (3, 60),
    mecanicos: Sequence[int | str] = (101,),
) -> None:
    """`n` finished orders over `dias` days before `ate` (default: now), each stage a
    log-normal working time around `horas`, laid on the shop's calendar (nights and weekends
    fall in between), stored as the queue stores a finished order. `mecanicos` in turn: a
    number, or a name no person of the shop has (as the importer keeps it)."""
    calendario = componente(PrevisaoService, app).calendario
    rng = random.Random(semente)
    repo = componente(FilaRepository, app)
    fim = ate or agora()
    for k in range(n):
        marcos = [calendario.somar(fim - timedelta(days=rng.uniform(*dias)), 0.0)]
        for h in horas:
            marcos.append(calendario.somar(marcos[-1], rng.lognormvariate(math.log(h * 3600), 0.3)))
        marcos = [fields.como_guardado(m) for m in marcos]
        documento = domain.nova_ordem(primeira_os + k, Prioridade.NORMAL, "teste", marcos[0])
        mecanico = mecanicos[k % len(mecanicos)]
        if isinstance(mecanico, str):
            documento["mecanico_nome"] = mecanico
        documento.update(
            status=Status.FINALIZADA,
            mecanico_responsavel_id=mecanico if isinstance(mecanico, int) else None,
            orcamento_aprovado=True,
            dta_inicio_diagnostico=marcos[1],
            dta_fim_diagnostico=marcos[2],
            dta_aprovacao_orcamento=marcos[3],
            dta_inicio_reparo=marcos[4],
            dta_fim_reparo=marcos[5],
            etapa_desde=marcos[5],
            dta_atualizacao=marcos[5],
            historico=[],
        )
        repo.inserir(documento)


def recalcular(app: Flask) -> Resumo:
    return componente(PrevisaoService, app).recalcular()
