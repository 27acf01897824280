"""The queue the Monte Carlo runs (simulation.Fila): the open orders in the board's order and,
after those of each priority, slots for the orders of that priority still to arrive, laid out
on the arrivals' clock (the history's rate and hour-of-week profile, from the start of the
day) so that an arrival stays where it was from one recompute to the next. How many slots,
over what horizon, is the recompute's to say (forecast.vagas_de_chegada)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .calendar import Calendario
from .domain import CRIACAO, PRIORIDADES, Abertas
from .model import EstadoAberto, Modelo
from .simulation import Fila, uniformes

HORA = 3600.0
# The arrivals' hour-of-week profile is laid out over a year of working weeks at most (past
# it, their mean rate).
SEMANAS_DE_RITMO = 52
# Orders yet to arrive get keys above any OS number, one per (priority, slot).
_CHAVE_CHEGADA = 1 << 62
_FLUXO_CHEGADA = 99


def ordem_do_quadro(abertas: Abertas) -> NDArray[np.int64]:
    """The board's order: priority, then arrival, then OS number."""
    return np.lexsort((abertas.ordem, abertas.instantes[:, CRIACAO], abertas.prioridade))


@dataclass(frozen=True)
class Ritmo:
    """The arrivals' clock: a grid of working seconds from the start of today (00:00 in the
    shop's zone), one point an hour, and each hour's arrival profile (the hour of the week it
    falls in); where now is on it, and which day it is (it keys the draws)."""

    grade: NDArray[np.float64]
    intensidade: NDArray[np.float64]
    agora: float  # working seconds from the day's start to now
    dia: int


def ritmo(calendario: Calendario, modelo: Modelo, agora: float, horizonte: float) -> Ritmo:
    """The arrivals' clock from the start of today to twice the horizon after now, in whole
    working weeks (a year of them at most): it stays the same from one recompute of the day to
    the next, and an order still to arrive is drawn at the same instant by each (see
    sortear_chegadas), not at the same distance from now."""
    inicio = calendario.inicio_do_dia(agora)
    semana_s = calendario.horario.segundos_por_semana
    desde = float(calendario.uteis_entre(np.array([inicio]), np.array([agora]))[0])
    semanas = min(np.ceil((desde + 2 * horizonte) / semana_s), SEMANAS_DE_RITMO + 1)
    grade = np.arange(0.0, semanas * semana_s + 2 * HORA, HORA)
    meio = calendario.somar(np.full(grade.size - 1, inicio), grade[:-1] + HORA / 2)
    # A working second exactly at an interval's end is that end, a closed hour's first
    # instant (profile 0): read it just before. Recomputed at 16:30:00 in a shop that closes
    # at 17:00, every midpoint fell on a closing, a quarter of the hours got no arrivals, and
    # a BAIXA car's p80 moved 26 working hours earlier for that one recompute.
    meio = np.where(calendario.aberto_a_partir(meio) > meio, meio - 1e-3, meio)
    perfil = modelo.perfil[calendario.hora_da_semana(meio)]
    return Ritmo(grade, perfil, desde, int(np.floor(inicio / 86_400.0)))


def _colunas(valores: NDArray[np.float64], coluna: NDArray[np.int64]) -> NDArray[np.float64]:
    """(runs, open orders) laid out as the Fila's columns (0 for the slots)."""
    saida = np.zeros((valores.shape[0], coluna.size), np.float32)
    real = coluna >= 0
    saida[:, real] = valores[:, coluna[real]]
    return saida


_FLUXO_CONTAGEM = 98
_POR_BLOCO = 64  # orders expected in a block of hours of the arrivals (sortear_chegadas), about


def sortear_chegadas(
    taxa: float, prioridade: int, vagas: int, execucoes: int, semente: int, ritmo: Ritmo | None
) -> tuple[NDArray[np.float64], NDArray[np.uint64]]:
    """(runs, vagas) each: when the next `vagas` orders of a priority arrive (working seconds
    from now; inf past the last drawn), and the key of each one's draws. A Poisson process of
    rate `taxa` x the hour of the week's profile.

    With `ritmo`, laid out from the start of the day in blocks of hours (a power of two of
    them, about _POR_BLOCO orders expected in each), not from now: in each block, how many
    arrive (the Poisson count of its expected number, by the inverse of its CDF at the
    block's uniform) and where (that many sorted uniforms, as cumulative sums of unit
    exponentials over the sum of one more, through the block's cumulative intensity); those
    by now dropped. From one recompute to the next, an order still to arrive stays where it
    was and keeps its own draws (its key is the block's and its rank in it, not its place
    among those still to come); a run changes only where one has just passed, or where a
    rate a little different changes a block's count. Drawn from now, every arrival moved
    later by the time passed while the open work did not, a few cars took another turn in
    almost every run, and a car behind a long queue had its 200 runs drawn anew at every
    recompute: its p80 went up and down by hours (the body shop of the benchmark: 2.7
    working days in 2 minutes). A Poisson process that had no arrival by now is, from now,
    the same process: the law is unchanged.

    Without `ritmo` (the tests of the queue): at a steady rate from now, keyed by place."""
    if ritmo is None:
        chave = (_CHAVE_CHEGADA + (prioridade << 32) + np.arange(vagas)).astype(np.uint64)
        unitarias = -np.log(uniformes(chave, _FLUXO_CHEGADA, execucoes, semente))
        return np.cumsum(unitarias, axis=1) / taxa, np.broadcast_to(chave, (execucoes, vagas))
    grade = ritmo.grade
    acumulada = np.concatenate(([0.0], np.cumsum(taxa * ritmo.intensidade * np.diff(grade))))
    horas = max(1, int(2 ** np.ceil(np.log2(max(_POR_BLOCO / (taxa * HORA), 1.0)))))
    # Up to where `vagas` arrivals after now are sure in every run, in whole blocks (past the
    # grid, hours at the mean rate).
    alvo = float(np.interp(ritmo.agora, grade, acumulada)) + vagas + 5 * np.sqrt(vagas) + 10
    faltam = max(int(np.ceil((alvo - acumulada[-1]) / (taxa * HORA))), 0)
    faltam += -(grade.size - 1 + faltam) % horas
    if faltam:
        mais = HORA * np.arange(1, faltam + 1)
        grade = np.concatenate((grade, grade[-1] + mais))
        acumulada = np.concatenate((acumulada, acumulada[-1] + taxa * mais))
    bordas, ate = grade[::horas], acumulada[::horas]
    primeiro = int(np.clip(np.searchsorted(bordas, ritmo.agora, side="right") - 1, 0,
                           bordas.size - 2))  # fmt: skip
    ultimo = int(np.clip(np.searchsorted(ate, alvo, side="left"), primeiro + 1, bordas.size - 1))
    blocos = np.arange(primeiro, ultimo)
    esperadas = ate[blocos + 1] - ate[blocos]
    quantas = np.ceil(esperadas + 6 * np.sqrt(esperadas) + 8).astype(np.int64)
    runs = np.arange(execucoes)
    dia = np.uint64(ritmo.dia % 2**12)
    base = np.uint64(_CHAVE_CHEGADA + (prioridade << 48)) + (dia << np.uint64(36))
    # Each block's count, by the inverse of its Poisson CDF (a run past quantas: quantas).
    u = uniformes(base + (blocos.astype(np.uint64) << np.uint64(20)), _FLUXO_CONTAGEM, runs,
                  semente)  # fmt: skip
    contagem = np.empty((execucoes, blocos.size), np.int64)
    for i, (media, k) in enumerate(zip(esperadas, quantas, strict=True)):
        termos = np.concatenate(
            ([0.0], np.log(media) * np.arange(1, k) - np.cumsum(np.log(np.arange(1, k))))
        )
        cdf = np.cumsum(np.exp(termos - media)) if media > 0 else np.ones(k)
        contagem[:, i] = np.minimum(np.searchsorted(cdf, u[:, i], side="left"), k - 1)
    # Each block's points: k + 1 exponentials each, sorted uniforms as their cumulative sums
    # over the sum of the first count + 1.
    bloco = np.repeat(np.arange(blocos.size), quantas + 1)
    inicio = np.concatenate(([0], np.cumsum(quantas + 1)[:-1]))
    posto = np.arange(bloco.size) - inicio[bloco]
    chave = (base + (blocos[bloco].astype(np.uint64) << np.uint64(20))
             + posto.astype(np.uint64))  # fmt: skip
    acumulados = np.cumsum(-np.log(uniformes(chave, _FLUXO_CHEGADA, runs, semente)), axis=1)
    antes = np.concatenate((np.zeros((execucoes, 1)), acumulados[:, inicio[1:] - 1]), axis=1)
    soma = acumulados - antes[:, bloco]
    total = np.take_along_axis(soma, inicio[None, :] + contagem, axis=1)  # the count + 1st
    fracao = soma / total[:, bloco]
    del acumulados, antes, soma
    quando = np.interp(ate[blocos][bloco] + fracao * esperadas[bloco], acumulada, grade)
    fica = (posto[None, :] < contagem[:, bloco]) & (quando > ritmo.agora)
    primeiras = np.argsort(~fica, axis=1, kind="stable")[:, :vagas]
    tem = np.take_along_axis(fica, primeiras, axis=1)
    vindas = np.where(tem, np.take_along_axis(quando, primeiras, axis=1) - ritmo.agora, np.inf)
    chaves = chave[primeiras] if chave.size else np.zeros(primeiras.shape, np.uint64)
    if vindas.shape[1] < vagas:  # fewer points than slots (no rate at all)
        falta = ((0, 0), (0, vagas - vindas.shape[1]))
        vindas, chaves = np.pad(vindas, falta, constant_values=np.inf), np.pad(chaves, falta)
    return vindas, chaves


def montar_fila(
    modelo: Modelo,
    abertas: Abertas,
    estado: EstadoAberto,
    mecanicos: NDArray[np.int64],
    resto_agora: NDArray[np.float64],
    vagas: list[int],
    taxas: NDArray[np.float64],
    execucoes: int,
    semente: int,
    ritmo: Ritmo | None = None,
) -> Fila:
    """The open orders in the board's order, with, after those of each priority, `vagas`
    slots for the orders of that priority still to arrive (at a steady rate from now, without
    `ritmo`)."""
    ordem = ordem_do_quadro(abertas)
    colunas: list[NDArray[np.int64]] = []
    classes: list[NDArray[np.int8]] = []
    chaves: list[NDArray[np.uint64]] = []
    chegadas: list[NDArray[np.float64]] = []
    das_vagas: list[NDArray[np.uint64]] = []
    for p in range(PRIORIDADES):
        reais = ordem[abertas.prioridade[ordem] == p]
        colunas.append(reais)
        classes.append(np.full(reais.size, p, np.int8))
        chaves.append(abertas.ordem[reais].astype(np.uint64))
        chegadas.append(np.zeros((execucoes, reais.size), np.float32))
        if not vagas[p]:
            continue
        quando, chave = sortear_chegadas(float(taxas[p]), p, vagas[p], execucoes, semente, ritmo)
        colunas.append(np.full(vagas[p], -1))
        classes.append(np.full(vagas[p], p, np.int8))
        chaves.append(np.zeros(vagas[p], np.uint64))
        chegadas.append(quando.astype(np.float32))
        das_vagas.append(chave)
    coluna = np.concatenate(colunas)
    real = coluna >= 0

    def campo(valores: NDArray, vazio: float | int | bool) -> NDArray:
        saida = np.full(coluna.size, vazio, dtype=valores.dtype)
        saida[real] = valores[coluna[real]]
        return saida

    posicao = {int(m): i for i, m in enumerate(mecanicos)}
    mecanico = np.array([posicao.get(int(m), -1) for m in abertas.mecanico], dtype=np.int64)
    return Fila(
        prioridade=np.concatenate(classes),
        chave=np.concatenate(chaves),
        coluna=coluna,
        chegada=np.concatenate(chegadas, axis=1),
        resto_agora=_colunas(resto_agora, coluna),
        estado=EstadoAberto(
            campo(estado.etapa, 0),
            campo(estado.decorrido, 0.0),
            campo(estado.pausa_decorrida, np.nan),
            campo(estado.ja_pausada, False),
            campo(estado.decorrido_corrido, 0.0),
            campo(estado.pausa_corrida, np.nan),
        ),
        mecanico=campo(mecanico, -1),
        chave_das_vagas=np.concatenate(das_vagas, axis=1) if das_vagas else None,
    )
