"""An export-format file whose stages' minutes were written in the shop's working time. The
export's minutes are the wall clock's, holds excluded (a repair from 17:00 to 10:00 the next
day without a hold: 1,020 min), and the importer reads a stage's wall-clock time beyond its
minutes as a hold. A tool that keeps the shop's hours writes that repair as 180 min: read the
export's way, every night and weekend a stage spans would become a hold, and the forecast,
which learns a stage's own time from its passages without a hold, would learn it from the
passages of a single day. Pure: the orders as read, the shop's calendar, numpy.

Told apart by the file as a whole: in the export's minutes a stage without a hold that
spans a closing (most waits for a diagnosis overnight) is longer than its working time; in a
working-time file no stage ever is. So when the stages that span an hour or more of closed
time are many and almost none (the calendars of two tools may differ a little) has more
minutes than its working time, the file's minutes are working time, and the hold of a stage
whose minutes are its whole working time was only the shop's closed hours: it is dropped.
A stage with fewer minutes than its working time keeps its hold (its wall-clock time beyond
its minutes): people hold and resume at work, so a hold takes the nights it spans.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..previsao.calendar import Calendario

FECHADO_MINIMO_S = 3600.0  # a stage "spans a closing" with at least this much closed time
FOLGA_S = 180.0  # the file's minutes and the dates' minutes; the forecast's least hold
AMOSTRAS_MINIMAS = 10  # stages spanning a closing, below which nothing is decided
EXCECOES_MAXIMAS = 0.05  # the share of those that may exceed their working time


def em_horario_de_funcionamento(
    instantes: NDArray[np.float64], pausas: NDArray[np.float64], calendario: Calendario
) -> tuple[bool, NDArray[np.bool_]]:
    """Whether the file's minutes are working time, and, per order and stage, whether its
    hold was only closed time (to be dropped). `instantes`: each order's six instants (epoch
    seconds, a row an order) as read the export's way; `pausas`: each stage's seconds on hold
    so read (its wall-clock time beyond the file's minutes)."""
    t = np.asarray(instantes, dtype=np.float64)
    h = np.asarray(pausas, dtype=np.float64)
    nada = np.zeros(h.shape, dtype=bool)
    if t.size == 0:
        return False, nada
    parede = np.diff(t, axis=1)
    # A calendar of its own: the forecast's keeps its table for the days it computes, and a
    # file may span decades the calendar refuses to lay out (then nothing is decided).
    proprio = Calendario(calendario.horario, calendario.feriados, calendario.fuso)
    try:
        uteis = proprio.uteis_entre(t[:, :-1], t[:, 1:])
    except ValueError:
        return False, nada
    minutos = parede - h  # the file's minutes of each stage, in seconds
    fechado = parede - uteis >= FECHADO_MINIMO_S
    excede = fechado & (minutos > uteis + FOLGA_S)
    amostras = int(fechado.sum())
    if amostras < AMOSTRAS_MINIMAS or excede.sum() > EXCECOES_MAXIMAS * amostras:
        return False, nada
    return True, (h > 0) & (minutos >= uteis - FOLGA_S)
