"""working_time.py, pure: when an export's minutes are the shop's working time, and which
holds were only its closed hours. No database: the shop's calendar and numbers."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from webapp.indicadores.working_time import AMOSTRAS_MINIMAS, em_horario_de_funcionamento
from webapp.previsao.calendar import Calendario

FUSO = ZoneInfo("America/Sao_Paulo")
CALENDARIO = Calendario.de_config("seg-sex 08:00-18:00", None, "America/Sao_Paulo")
# A Monday 16:00; each stage below: (start, end) offsets in hours from it.
SEGUNDA = datetime(2026, 3, 2, 16, 0, tzinfo=FUSO)
# Waits overnight (16:00 -> 09:00 Tuesday), a diagnosis in the day, a wait overnight again,
# a repair of a day (Wednesday 10:00 -> Thursday 10:00): three stages span a closing.
MARCOS_H = (0, 17, 19, 23, 42, 66)


Ordens = tuple[NDArray[np.float64], NDArray[np.float64]]


def ordens(n: int, uteis: bool, excecoes: int = 0) -> Ordens:
    """`n` orders, a week apart, held only as the file's minutes say: on the wall clock
    (the export's way: no holds) or in working time (each night a stage spans read as a
    hold); `excecoes` of them, in working time, with a stage an hour longer than its
    working time (another tool's calendar)."""
    instantes, pausas = [], []
    for k in range(n):
        t = [SEGUNDA + timedelta(days=7 * k, hours=h) for h in MARCOS_H]
        parede = [(b - a).total_seconds() for a, b in zip(t, t[1:], strict=False)]
        util = [CALENDARIO.uteis_entre(a, b) for a, b in zip(t, t[1:], strict=False)]
        minutos = util if uteis else parede
        if k < excecoes:
            minutos = [*minutos[:-1], minutos[-1] + 3600]
        instantes.append([i.timestamp() for i in t])
        pausas.append([max(p - m, 0.0) for p, m in zip(parede, minutos, strict=True)])
    return np.array(instantes), np.array(pausas)


def test_minutos_de_relogio_ficam_como_estao() -> None:
    uteis, so_noite = em_horario_de_funcionamento(*ordens(10, uteis=False), CALENDARIO)
    assert not uteis and not so_noite.any()


def test_minutos_uteis_tiram_as_noites() -> None:
    instantes, pausas = ordens(10, uteis=True)
    uteis, so_noite = em_horario_de_funcionamento(instantes, pausas, CALENDARIO)
    assert uteis
    # The overnight waits and the day-long repair: their holds were the nights.
    assert (so_noite == np.array([[True, False, False, True, True]] * 10)).all()


def test_um_reparo_com_espera_de_verdade_fica_com_ela() -> None:
    instantes, pausas = ordens(10, uteis=True)
    # The first repair worked 2 working hours fewer than its working time: held for parts.
    pausas[0][4] += 2 * 3600
    uteis, so_noite = em_horario_de_funcionamento(instantes, pausas, CALENDARIO)
    assert uteis and not so_noite[0, 4] and so_noite[1:, 4].all()


def test_poucas_excecoes_toleradas_muitas_nao() -> None:
    # 30 stages span a closing: one exception in 30 is another tool's calendar, four are not.
    assert em_horario_de_funcionamento(*ordens(10, True, excecoes=1), CALENDARIO)[0]
    assert not em_horario_de_funcionamento(*ordens(10, True, excecoes=4), CALENDARIO)[0]


def test_poucas_etapas_nao_decidem() -> None:
    n = AMOSTRAS_MINIMAS // 3  # three stages of each order span a closing
    assert not em_horario_de_funcionamento(*ordens(n, uteis=True), CALENDARIO)[0]
    assert not em_horario_de_funcionamento(np.empty((0, 6)), np.empty((0, 5)), CALENDARIO)[0]


def test_datas_de_seculos_diferentes_nao_decidem() -> None:
    instantes, pausas = ordens(10, uteis=True)
    instantes[0] = datetime(2000, 1, 3, 8, tzinfo=FUSO).timestamp()
    instantes[1] = datetime(2099, 1, 5, 8, tzinfo=FUSO).timestamp()
    assert not em_horario_de_funcionamento(instantes, pausas, CALENDARIO)[0]
