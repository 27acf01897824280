"""The whole recompute: learn from the history, run the shop from now, and give each open order
its p50 and p80, its risk against the promise, and what the forecast rests on."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from .calendar import Calendario, como_datetime, epoch
from .domain import (
    DIAGNOSTICO,
    ESPERA_APROVACAO,
    ESPERA_DIAGNOSTICO,
    ESPERA_REPARO,
    FIM,
    FORA_DO_HORARIO,
    PRIORIDADES,
    REPARO,
    SEM_HISTORICO,
    SEM_MECANICOS,
    Abertas,
    Historico,
    Resultado,
    previsoes,
)
from .model import PAUSA_MINIMA_S, EstadoAberto, Modelo, Parametros, ajustar, estado_aberto
from .queue import HORA, montar_fila, ordem_do_quadro, ritmo
from .simulation import ANOS_MAXIMOS, Execucoes, Fila, restos_agora, simular

MINUTO = 60.0
SEMANA_S = 7 * 86_400.0
# Working weeks: the runs' finishes are clipped at ANOS_MAXIMOS of them.
SEMANAS_MAXIMAS = ANOS_MAXIMOS * 52


@dataclass(frozen=True)
class Configuracao:
    execucoes: int = 200  # Monte Carlo runs: p80 to about +-3 points of probability
    # Runs x orders simulated at most (memory and time grow with it): past 2,000 orders
    # (arrivals included) fewer runs, never fewer than `execucoes_minimas`.
    celulas: int = 400_000
    execucoes_minimas: int = 100
    # Orders still to arrive simulated, at most: the open ones, or this many in a small shop
    # (a BAIXA car may wait while dozens arrive ahead of it).
    vagas_minimas: int = 300
    dobras: int = 3  # times the slots may be doubled where the runs show them short
    semente: int = 0  # fixed: the same state gives the same forecast
    chegadas: bool = True  # simulate the orders still to arrive (they may overtake)
    carga_maxima: float = 0.9  # of the mechanics' capacity, for the arrivals (_escala_chegadas)
    # At risk: this quantile of the finish passes the promise (the p80, as the board says "8 em
    # 10"); lower flags fewer orders, more surely (docs/PREVISAO.md, the benchmark).
    quantil_risco: float = 0.8
    parametros: Parametros = Parametros()

    def execucoes_para(self, ordens: int) -> int:
        return max(min(self.execucoes, self.celulas // max(ordens, 1)), self.execucoes_minimas)


# How many standard errors of the runs' share past the promise make "at risk" sure: 1.645,
# one-sided 95 % (with 200 runs, more than 24.7 % of them past it, not 20 %).
RISCO_CONFIANCA = 1.645


def prever(
    calendario: Calendario,
    historico: Historico,
    abertas: Abertas,
    mecanicos: Sequence[int] | NDArray[np.int64],
    agora: datetime | float,
    configuracao: Configuracao | None = None,
    fora: Sequence[int] = (),
) -> Resultado:
    """The forecast of every open order. `mecanicos`: the ids of the mechanics at work now
    (em_servico adds whoever holds an order in work). `fora`: the numbers of people the shop
    lists who are not mechanics at work (deactivated, managers): holding a car in work, they
    finish it and take nothing more; they are not counted among the mechanics."""
    configuracao = configuracao or Configuracao()
    t = epoch(agora) if isinstance(agora, datetime) else float(agora)
    modelo = ajustar(calendario, historico, abertas, t, configuracao.parametros)
    pessoas = em_servico(mecanicos, abertas)
    saindo = np.isin(pessoas, np.asarray(fora, dtype=np.int64)) & ~np.isin(
        pessoas, np.asarray(mecanicos, dtype=np.int64)
    )
    ficam = int(pessoas.size - saindo.sum())
    if not isinstance(modelo, Modelo):
        return Resultado(como_datetime(t), modelo, ficam, (), SEM_HISTORICO)
    if modelo.no_horario < configuracao.parametros.minimo_no_horario:
        return Resultado(como_datetime(t), modelo.ordens, ficam, (), FORA_DO_HORARIO)
    if ficam == 0:
        return Resultado(como_datetime(t), modelo.ordens, 0, (), SEM_MECANICOS)
    if len(abertas) == 0:
        return Resultado(como_datetime(t), modelo.ordens, ficam, ())
    estado = estado_aberto(calendario, abertas, t)
    vagas, taxas, horizonte = vagas_de_chegada(modelo, abertas, estado, ficam, configuracao)
    teto = max(len(abertas), configuracao.vagas_minimas)
    vagas = _no_teto(vagas, teto)
    execucoes, resto, simulacoes, redistribuidas = 0, np.empty(0), 0, False
    for _ in range(configuracao.dobras + 1):
        if configuracao.execucoes_para(len(abertas) + sum(vagas)) != execucoes:
            execucoes = configuracao.execucoes_para(len(abertas) + sum(vagas))
            resto = restos_agora(
                modelo, calendario, abertas, estado, t, execucoes, configuracao.semente
            )
        relogio = ritmo(calendario, modelo, t, horizonte)
        # The last try's queue and runs go before the next is built (memory: ~13 MB at
        # 2,000 orders and 100 runs).
        fila = rodadas = None  # type: ignore[assignment]
        fila = montar_fila(modelo, abertas, estado, pessoas, resto, vagas, taxas, execucoes,
                           configuracao.semente, relogio)  # fmt: skip
        rodadas = simular(
            modelo, fila, pessoas.size, execucoes, configuracao.semente, saindo=saindo
        )
        simulacoes += 1
        curtas = vagas_curtas(fila, rodadas)
        mais = mais_vagas(vagas, curtas, teto, redistribuir=not redistribuidas)
        if mais is None:
            break
        redistribuidas = redistribuidas or sum(mais) >= teto - len(mais)  # at the cap now
        vagas = mais
        horizonte *= 2
    fim_fila = rodadas.fim
    reais = fila.coluna >= 0
    fim = np.empty((execucoes, len(abertas)))
    fim[:, fila.coluna[reais]] = fim_fila[:, reais]
    np.minimum(fim, SEMANAS_MAXIMAS * calendario.horario.segundos_por_semana, out=fim)

    ordenadas = np.sort(fim, axis=0)
    p50_w, p80_w = na_ordem_da_fila(quantis_das_execucoes(ordenadas, (0.5, 0.8)), abertas, estado)
    agora_n = np.full(len(abertas), t)
    p50, p80 = calendario.somar(agora_n, p50_w), calendario.somar(agora_n, p80_w)
    # Risk only against a promise still ahead: one already passed is late, not at risk.
    promessa = abertas.promessa
    adiante = np.isfinite(promessa) & (promessa > t)
    # A promise later than every run's finish cannot be missed: measured up to a week past
    # that finish, it compares the same, and the calendar is never asked about a date decades
    # away (promises up to the year 2100 are accepted).
    depois_de_todas = calendario.somar(np.array([t]), np.array([float(fim.max()) + SEMANA_S]))
    ate = np.minimum(np.where(adiante, promessa, t), depois_de_todas[0])
    ate_promessa = np.where(adiante, calendario.uteis_entre(agora_n, ate), 0)
    # The chance and the delay from the runs as the p80 reads them: each run's rank at least
    # the same rank of the car before it in the queue. Raw, a car behind another showed "8 em
    # 10 até 16:40" (lifted) beside "chance de passar de 16:30: 15 %".
    na_fila = na_ordem_da_fila(ordenadas, abertas, estado)
    alem = np.where(adiante, na_fila - ate_promessa, 0.0)
    chance = np.where(adiante, (alem > 0).mean(axis=0), 0.0)
    atraso = np.where(adiante, np.clip(alem, 0.0, None).mean(axis=0), 0.0)
    limite = p80
    if configuracao.quantil_risco != 0.8:
        quantil = quantis_das_execucoes(ordenadas, (configuracao.quantil_risco,))
        limite = calendario.somar(agora_n, na_ordem_da_fila(quantil, abertas, estado)[0])
    # "Passes the promise" as the runs can tell it: more than 2 in 10 of them past it by more
    # than their own sampling error (one-sided, RISCO_CONFIANCA standard errors). A p80 a few
    # minutes past the promise is noise: an order whose forecast a manager had just made its
    # promise was flagged again at the next recompute, "chance de atrasar: 20 %".
    acima = (1.0 - configuracao.quantil_risco) * configuracao.quantil_risco
    margem = RISCO_CONFIANCA * np.sqrt(acima / max(fim.shape[0], 1))
    em_risco = adiante & (limite > promessa) & (chance > 1.0 - configuracao.quantil_risco + margem)
    return Resultado(
        como_datetime(t), modelo.ordens, ficam,
        previsoes(abertas, p50, p80, em_risco, atraso, chance, _a_frente(abertas, estado)),
        execucoes=execucoes,
        simulacoes=simulacoes,
    )  # fmt: skip


@functools.lru_cache(maxsize=32)
def _pesos_harrell_davis(n: int, q: float) -> NDArray[np.float64]:
    """The weight of each of n order statistics in Harrell and Davis's estimate of the
    q-quantile: the chance that a Beta(q (n + 1), (1 - q) (n + 1)) variable falls in
    ((i - 1) / n, i / n], by the trapezoid rule on a fine grid (no scipy here)."""
    a, b = q * (n + 1), (1.0 - q) * (n + 1)
    x = np.linspace(0.0, 1.0, 40 * n + 1)[1:-1]
    densidade = np.exp((a - 1) * np.log(x) + (b - 1) * np.log1p(-x)
                       - (math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)))  # fmt: skip
    x = np.concatenate(([0.0], x, [1.0]))
    densidade = np.concatenate(([0.0], densidade, [0.0]))
    trapezios = (densidade[1:] + densidade[:-1]) / 2 * np.diff(x)
    acumulada = np.concatenate(([0.0], np.cumsum(trapezios)))
    acumulada /= acumulada[-1]
    return np.diff(np.interp(np.arange(n + 1) / n, x, acumulada))


def quantis_das_execucoes(
    ordenadas: NDArray[np.float64], quantis: Sequence[float]
) -> NDArray[np.float64]:
    """The quantiles of each column of the runs (`ordenadas`: sorted along the runs), one
    row per quantile: Harrell and Davis's estimate, a weighted mean of the order statistics
    around the quantile's rank (about +-6 ranks of 200 for the p80), not the two next to it.
    Where the runs leave a gap at the p80's rank (a car behind a queue: its runs' finishes an
    hour apart there), one run crossing it moved the interpolated p80 by the whole gap; here
    by a share of it. It is unbiased where np.quantile's (rank (n - 1) q) is not: 0.842 for a
    normal's 0.841 (np.quantile: 0.832, with 200 runs), the same spread or less."""
    n = ordenadas.shape[0]
    pesos = np.stack([_pesos_harrell_davis(n, float(q)) for q in quantis])
    return pesos @ ordenadas


def na_ordem_da_fila(
    quantis: NDArray[np.float64], abertas: Abertas, estado: EstadoAberto
) -> NDArray[np.float64]:
    """`quantis` (one row per quantile, one column per order), each at least the same quantile
    of the car before it among cars waiting alike for a diagnosis: the same priority, no
    mechanic yet, never held. They start in the board's order and then need work drawn alike,
    so the later car's finish is stochastically later, and so are its quantiles; the runs'
    sampling noise put some the other way (a 4th car's p80 90 min before the 3rd's: the later
    customer promised the earlier time). Only ever later, by that noise."""
    iguais = (estado.etapa == ESPERA_DIAGNOSTICO) & ~estado.ja_pausada & (abertas.mecanico < 0)
    ordem = ordem_do_quadro(abertas)
    ordem = ordem[iguais[ordem]]
    for prioridade in np.unique(abertas.prioridade[ordem]):
        linhas = ordem[abertas.prioridade[ordem] == prioridade]
        quantis[:, linhas] = np.maximum.accumulate(quantis[:, linhas], axis=1)
    return quantis


def em_servico(mecanicos: Sequence[int] | NDArray[np.int64], abertas: Abertas) -> NDArray[np.int64]:
    """The mechanics at work now: those given (the shop's active mechanics) and whoever holds
    an order in diagnosis or repair now, held or not. The API and the OS service name the
    mechanic by a number the shop's people may not list; that mechanic is at work all the
    same, and the order keeps them busy in the simulation. A negative id given is a mechanic
    known without a number (a name in an imported file): a number not given takes such a
    place first, as it may be theirs, rather than count one more."""
    dados = np.unique(np.asarray(mecanicos, dtype=np.int64))
    numerados, sem_numero = dados[dados >= 0], dados[dados < 0]
    trabalhando = np.isin(abertas.etapa, (DIAGNOSTICO, REPARO)) & (abertas.mecanico >= 0)
    novos = np.setdiff1d(abertas.mecanico[trabalhando], numerados)
    return np.concatenate((numerados, novos, sem_numero[novos.size :]))


def mecanicos_pelo_historico(historico: Historico, dias: float = 14) -> int:
    """How many mechanics a shop that names none has, read from its history: the most cars
    in diagnosis or repair at once in the last `dias` days before its latest finish. Over two
    weeks every mechanic is busy at some moment; a car held in that stage is left out (its
    mechanic was free meanwhile, and when is not in the history). A history without holds (a
    spreadsheet's minimal CSV) counts a held car as in work: it can read more mechanics than
    the shop had (docs/PREVISAO.md)."""
    fins = historico.instantes[:, FIM]
    if not np.isfinite(fins).any():
        return 0
    limite = np.nanmax(fins) - dias * 86_400
    inicios, terminos = [], []
    for etapa in (DIAGNOSTICO, REPARO):
        # A minute off each end: the dates of an imported file keep only the minute, so a
        # car taken as another is finished, in the same minute, may seem to overlap it.
        inicio = historico.instantes[:, etapa] + MINUTO
        fim = historico.instantes[:, etapa + 1] - MINUTO
        validas = (
            np.isfinite(inicio) & np.isfinite(fim) & (fim > inicio) & (fim >= limite)
            & (historico.pausas[:, etapa] <= PAUSA_MINIMA_S)
        )  # fmt: skip
        inicios.append(inicio[validas])
        terminos.append(fim[validas])
    instantes = np.concatenate([*inicios, *terminos])
    if instantes.size == 0:
        return 0
    passos = np.concatenate([np.ones(sum(i.size for i in inicios)), -np.ones(instantes.size // 2)])
    # At one instant, an end before a start: a mechanic who finishes one car and takes the next.
    ordem = np.lexsort((passos, instantes))
    return int(np.cumsum(passos[ordem]).max())


def _a_frente(abertas: Abertas, estado: EstadoAberto) -> NDArray[np.int64]:
    """For each order, the orders waiting for a mechanic now that come before it."""
    ordem = ordem_do_quadro(abertas)
    esperando = np.isin(estado.etapa, (ESPERA_DIAGNOSTICO, ESPERA_REPARO)) & ~np.isfinite(
        estado.pausa_decorrida
    )
    antes = np.cumsum(esperando[ordem]) - esperando[ordem]
    resultado = np.empty(len(abertas), np.int64)
    resultado[ordem] = antes
    return resultado


def _horizonte(
    modelo: Modelo,
    estado: EstadoAberto,
    prioridade: NDArray[np.int8],
    mecanicos: int,
    taxas: NDArray[np.float64],
) -> float:
    """A generous guess of how long (working seconds) the open orders will keep the shop busy:
    how far ahead arrivals must be simulated. The open work drains at what the mechanics have
    left after the orders still to arrive that overtake the last open priority (`taxas`, per
    working second): at 75 % of the capacity taken by those, four times slower than alone.
    Then the longest waits an order may still have without a mechanic: the customer's answer
    and a hold, twice their means. Too short a guess costs a second run of the shop
    (vagas_curtas), the dearest part of a recompute."""
    trabalho = 0.0
    ultima = int(prioridade.max()) if prioridade.size else 0
    ocupacao = 0.0
    for p in range(PRIORIDADES):
        daqui = prioridade == p
        diag = modelo.etapas[DIAGNOSTICO][p].media
        reparo = modelo.etapas[REPARO][p].media
        trabalho += diag * int((daqui & (estado.etapa <= DIAGNOSTICO)).sum())
        trabalho += reparo * int(daqui.sum())
        if p < ultima:
            ocupacao += float(taxas[p]) * (diag + reparo) / mecanicos
    livre = max(1.0 - ocupacao, 0.1)  # the arrivals are capped at 90 % (_escala_chegadas)
    resposta = max(modelo.etapas[ESPERA_APROVACAO][p].media for p in range(PRIORIDADES))
    pausa = max((d.media for d in modelo.pausas if d is not None), default=0.0)
    return 1.5 * trabalho / mecanicos / livre + 2.0 * (resposta + pausa) + 20 * HORA


def _escala_chegadas(modelo: Modelo, mecanicos: int, carga_maxima: float) -> float:
    """The factor applied to the history's arrival rates so that the work they bring stays
    within `carga_maxima` of the mechanics' capacity. The history's rate times the model's mean
    work can exceed it (the mean counts, as work, a repair's wait for a mechanic after a hold;
    mechanics may have been more than those listed now); a simulated queue above capacity grows
    without bound and would push the low-priority orders out to the end of the horizon."""
    trabalho = sum(
        float(modelo.chegadas[p])
        * (modelo.etapas[DIAGNOSTICO][p].media + modelo.etapas[REPARO][p].media)
        for p in range(PRIORIDADES)
    )
    return min(1.0, carga_maxima * mecanicos / trabalho) if trabalho > 0 else 1.0


def vagas_de_chegada(
    modelo: Modelo, abertas: Abertas, estado: EstadoAberto, mecanicos: int,
    configuracao: Configuracao,
) -> tuple[list[int], NDArray[np.float64], float]:  # fmt: skip
    """How many orders of each priority may still arrive while the open ones are in the shop,
    at what rate (per working second), and over what horizon (_horizonte, working seconds):
    the expected number over that generous horizon, plus three standard deviations; none for
    a priority that no open order has below it (it would overtake nobody). A first guess:
    `prever` doubles it where the runs show it short (vagas_curtas)."""
    escala = _escala_chegadas(modelo, mecanicos, configuracao.carga_maxima)
    taxas = modelo.chegadas * escala if configuracao.chegadas else np.zeros(PRIORIDADES)
    horizonte = _horizonte(modelo, estado, abertas.prioridade, mecanicos, taxas)
    vagas = []
    for p in range(PRIORIDADES):
        esperadas = float(taxas[p]) * horizonte
        ultrapassa = bool((abertas.prioridade > p).any())
        vagas.append(
            int(np.ceil(esperadas + 3 * np.sqrt(esperadas) + 2))
            if ultrapassa and esperadas > 0
            else 0
        )
    return vagas, taxas, horizonte


def _no_teto(vagas: list[int], teto: int) -> list[int]:
    """The slots scaled down, if need be, to `teto` in all (the recompute's budget: past it,
    a low-priority order in an overrun shop is forecast too early, and the slots say so)."""
    total = sum(vagas)
    return vagas if total <= teto else [v * teto // total for v in vagas]


def mais_vagas(
    vagas: list[int], curtas: set[int], teto: int, redistribuir: bool = True
) -> list[int] | None:
    """After a run whose slots ran out for the `curtas` priorities (orders they would overtake
    still waited): twice their slots (and a horizon to match), up to `teto` in all; None when
    that adds nothing worth another run of the whole shop, the dearest part of a recompute.
    Past `teto`, the cap's shares move toward the short priorities instead: worth another run
    when one moves by more than a slot, and only if `redistribuir` (once per recompute: each
    is a run of a shop this large). When all are short, only the integer shares move."""
    dobro = [2 * v if p in curtas else v for p, v in enumerate(vagas)]
    mais = _no_teto(dobro, teto)
    if sum(dobro) <= teto:
        return mais if sum(mais) > sum(vagas) else None
    moveu = max(abs(m - v) for m, v in zip(mais, vagas, strict=True)) > 1
    return mais if redistribuir and moveu else None


def vagas_curtas(fila: Fila, rodadas: Execucoes) -> set[int]:
    """The priorities whose slots ran out too soon: in more than 1 run in 100, the last order
    of that priority to arrive did so before a mechanic took the last piece of work of an
    open order it could overtake (one of a lower priority). Past it, that run would have no
    more arrivals of that priority, and the orders below it would be served too early."""
    curtas = set()
    reais = fila.coluna >= 0
    for p in np.unique(fila.prioridade[~reais]):
        abaixo = reais & (fila.prioridade > p)
        if not abaixo.any():
            continue
        ultima = fila.chegada[:, np.flatnonzero(~reais & (fila.prioridade == p))[-1]]
        if (ultima < rodadas.ultima_vez[:, abaixo].max(axis=1)).mean() > 0.01:
            curtas.add(int(p))
    return curtas
