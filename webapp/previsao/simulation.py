"""The Monte Carlo run of the shop from now: every open order in its real state, the mechanics at
work, the board's order, many runs at once.

Time is working time (seconds from now, calendar.py converts back): nights, Sundays and holidays
do not exist here, so the mechanics simply work without stopping.

Each order is a short list of segments, each a gap (time it needs no mechanic: the customer's
answer, a hold, ...) then a piece of work for a mechanic: the diagnosis, then the repair, each
split in two by a hold when one falls in it (the mechanic is free during the hold, and the order
queues again after it). All the random draws are made up front, as (runs x orders) arrays.

Then a discrete-event loop, in lockstep over the runs: each step gives, in every run at once, the
next free mechanic the first order in the board's order (priority, then arrival) that is ready
by then, or lets the mechanic wait for the next order to become ready. A step costs a few numpy
calls over the runs; finding "the first ready order" is a scan of block minima (orders are kept
in the board's order, in blocks of about sqrt(orders), with the earliest ready time of each
block), so a step never touches all the orders. Steps = segments of the busiest run (about two
per order), not runs x orders; no Python object per order or run is ever visited.

Orders still to arrive matter too: an URGENTE that walks in tomorrow goes ahead of today's
NORMAL. They arrive at the rate the history shows (a Poisson process in working time, per
priority), in slots placed after the open orders of their priority, and are simulated like the
others; only priorities that can overtake an open order are simulated.

Random numbers come from a counter-based hash of (OS number, stream, run), not a shared
generator: an order's draws do not change when another order is added or removed, so a
recompute with nothing new gives the same times, and a small change moves only what it
touches (few needless pushes to the screens).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .calendar import Calendario
from .domain import (
    DIAGNOSTICO,
    ESPERA_APROVACAO,
    ESPERA_DIAGNOSTICO,
    ESPERA_REPARO,
    REPARO,
    Abertas,
)
from .model import EstadoAberto, Modelo, aguardada, registrar
from .survival import Distribuicao

SEGMENTOS = 4  # diagnosis (two parts around a hold), repair (the same)
# Runs x orders simulated at a time: a batch's arrays are a batch's (about 70 bytes a cell), but
# each batch steps through the loop of `simular` in Python once more (at 2,000 open orders and
# 100 runs, ~0.2 s of CPU a batch on a quiet machine): the busiest shop's 400,000 cells
# (Configuracao.celulas) in two batches, a small shop in one.
_CELULAS_POR_LOTE = 210_000
_RUNS_POR_SORTEIO = 10  # runs drawn at a time: the draws' temporaries stay a few MB
SERVICO_MINIMO_S = 60.0  # a piece of work takes at least a minute of a mechanic
# No forecast this far ahead matters, and the calendar refuses dates decades away
# (calendar._MAXIMO_DE_DIAS): a wait on the wall clock drawn far in a long tail (holds whose
# tail runs to years, as under a calendar of an hour a week) ends by then, and the finishes
# are clipped at as many years of working weeks (forecast.prever).
ANOS_MAXIMOS = 20
ESPERA_MAXIMA_S = ANOS_MAXIMOS * 365 * 86_400.0
# Hold positions: somewhere inside the work, never at its very start or end.
POSICAO_MIN, POSICAO_MAX = 0.05, 0.95

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_PHI = np.uint64(0x9E3779B97F4A7C15)


def _misturar(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """SplitMix64's finaliser: a bijective scramble of 64-bit integers."""
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def _base(
    chaves: NDArray[np.uint64], fluxos: NDArray[np.int64] | int, semente: int
) -> NDArray[np.uint64]:
    """Each key's scramble for its stream (broadcast): the run is mixed in after."""
    with np.errstate(over="ignore"):
        deslocamento = (np.asarray(semente * 1_000_003 + fluxos) & (2**63 - 1)).astype(np.uint64)
        return _misturar(chaves * _PHI + deslocamento)


def _com_execucao(base: NDArray[np.uint64], runs: NDArray[np.int64]) -> NDArray[np.float64]:
    """Uniforms in (0, 1) from a key's scramble and its run's index (broadcast)."""
    with np.errstate(over="ignore"):
        x = _misturar(base ^ _misturar((runs.astype(np.uint64) + 1) * _PHI))
    return ((x >> np.uint64(11)).astype(np.float64) + 0.5) / float(2**53)


def uniformes(
    chaves: NDArray[np.uint64], fluxo: int, execucoes: NDArray[np.int64] | int, semente: int
) -> NDArray[np.float64]:
    """(runs, len(chaves)) uniforms in (0, 1): a pure function of (semente, fluxo, key, run).
    `execucoes`: the runs' indices (or how many, from 0)."""
    runs = np.arange(execucoes) if isinstance(execucoes, int) else np.asarray(execucoes)
    return _com_execucao(_base(chaves, fluxo, semente)[None, :], runs[:, None])


@dataclass(frozen=True)
class Fila:
    """The orders to simulate, in the board's order: the open ones (with `coluna`, their index
    in `Abertas`) and the slots of orders yet to arrive (coluna -1)."""

    prioridade: NDArray[np.int8]
    chave: NDArray[np.uint64]
    coluna: NDArray[np.int64]
    chegada: NDArray[np.float64]  # (runs, n): when each slot arrives (0 for open orders)
    resto_agora: NDArray[np.float64]  # (runs, n): restos_agora, 0 for the slots
    estado: EstadoAberto
    mecanico: NDArray[np.int64]  # index among the mechanics at work, -1 if none of them
    # (runs, slots): the key of each slot's draws in each run (the order still to arrive that
    # takes that slot there); None: `chave`'s, the same in every run.
    chave_das_vagas: NDArray[np.uint64] | None = None


def _uniformes_de(
    chaves: NDArray[np.uint64], fluxos: NDArray[np.int64], runs: NDArray[np.int64], semente: int
) -> NDArray[np.float64]:
    """uniformes, cell by cell: one uniform per (key, stream, run) given elementwise."""
    return _com_execucao(_base(chaves, fluxos, semente), runs)


# The points of a process past the cumulative hazard h (primeiros_acima): streams from
# _FLUXO_PONTOS on, by the process's stream, the unit bin of h and the point within it.
_FLUXO_PONTOS = 1 << 40
_BINS_POR_FLUXO = 1 << 20
_PONTOS_POR_BIN = 64


def primeiros_acima(
    chaves: NDArray[np.uint64], fluxo: int, execucoes: NDArray[np.int64] | int, semente: int,
    h: NDArray[np.float64],
) -> NDArray[np.float64]:  # fmt: skip
    """(runs, len(chaves)): for each key and run, the first point past h (one per key) of a
    unit-rate Poisson process, the same process whatever h: Distribuicao.amostrar_acima.
    Laid out bin by bin of unit length (its points in [m, m + 1) as cumulative sums of unit
    exponentials from m, keyed by (key, fluxo, m, j), run): a few uniforms per cell, however
    far h is."""
    runs = np.arange(execucoes) if isinstance(execucoes, int) else np.asarray(execucoes)
    forma = (runs.size, chaves.size)
    alvo = np.broadcast_to(np.asarray(h, dtype=np.float64), forma)
    longe = ~(alvo < _BINS_POR_FLUXO - 2)  # past any bin (or NaN): memoryless from h
    b = np.where(longe, 0, np.floor(np.where(longe, 0.0, alvo))).astype(np.int64)
    soma = np.zeros(forma)
    j = np.zeros(forma, np.int64)
    primeiro = np.full(forma, np.nan)
    linha, coluna = np.nonzero(~longe)
    while linha.size:
        fluxos = (_FLUXO_PONTOS + fluxo * _BINS_POR_FLUXO + b[linha, coluna]) * _PONTOS_POR_BIN
        u = _uniformes_de(chaves[coluna], fluxos + j[linha, coluna], runs[linha], semente)
        s = soma[linha, coluna] - np.log(u)
        ponto = b[linha, coluna] + s
        fora = (s >= 1.0) | (j[linha, coluna] >= _PONTOS_POR_BIN - 1)  # on to the next bin
        achou = ~fora & (ponto > alvo[linha, coluna])
        primeiro[linha[achou], coluna[achou]] = ponto[achou]
        segue = ~achou
        linha, coluna, s, fora = linha[segue], coluna[segue], s[segue], fora[segue]
        b[linha, coluna] += fora
        soma[linha, coluna] = np.where(fora, 0.0, s)
        j[linha, coluna] = np.where(fora, 0, j[linha, coluna] + 1)
    if longe.any():
        u = uniformes(chaves, _FLUXO_PONTOS - 1 - fluxo, runs, semente)
        primeiro = np.where(longe, alvo - np.log(u), primeiro)
    return primeiro


# The first points past h of the processes of some columns: (columns, h) -> (runs, columns).
Pontos = Callable[[NDArray[np.bool_], NDArray[np.float64]], NDArray[np.float64]]


def _por_prioridade(
    dists: tuple[Distribuicao, ...], prioridade: NDArray[np.int8], u: NDArray[np.float64],
    decorrido: NDArray[np.float64], parada: NDArray[np.bool_] | None = None,
    pontos: Pontos | None = None, correndo: NDArray[np.bool_] | None = None,
) -> NDArray[np.float64]:  # fmt: skip
    """Each column's total from its priority's law, given what it has lasted; where `parada`,
    work held now after `decorrido` of it (Distribuicao.amostrar_parada_em); where
    `correndo`, what runs now, from `pontos` (columns, the highest cumulative hazard to
    pass): Distribuicao.amostrar_acima, so that a draw stays put from one recompute to the
    next until the clock passes it."""
    total = np.empty_like(u)
    presa = np.zeros(prioridade.shape, bool) if parada is None else parada
    agora = np.zeros(prioridade.shape, bool) if correndo is None or pontos is None else correndo
    for p in np.unique(prioridade):
        dist = dists[int(p)]
        livres, presas = (prioridade == p) & ~presa & ~agora, (prioridade == p) & presa
        total[:, livres] = dist.amostrar(u[:, livres], decorrido[livres])
        if presas.any():
            total[:, presas] = dist.amostrar_parada_em(
                u[:, presas], decorrido[presas], POSICAO_MIN, POSICAO_MAX
            )
        correm = (prioridade == p) & agora & ~presa
        if correm.any():
            assert pontos is not None
            total[:, correm] = dist.amostrar_acima(
                lambda h, c=correm: pontos(c, h), decorrido[correm]
            )
    return total


def _segmentos(
    modelo: Modelo, fila: Fila, runs: NDArray[np.int64], semente: int, gap_out: NDArray[np.float32],
    servico_out: NDArray[np.float32], nseg_out: NDArray[np.int8],
) -> None:  # fmt: skip
    """Each order's segments for the runs `runs`, written into the outputs (runs, orders,
    SEGMENTOS + 1): a gap (time without a mechanic) then a piece of work, packed to the front,
    and how many each order has."""
    est = fila.estado
    e, dec = est.etapa, est.decorrido
    forma = (runs.size, e.size)

    vagas = fila.coluna < 0
    por_execucao = fila.chave_das_vagas is not None and bool(vagas.any())

    def u(fluxo: int) -> NDArray[np.float64]:
        if not por_execucao:
            return uniformes(fila.chave, fluxo, runs, semente)
        assert fila.chave_das_vagas is not None
        x = np.empty((runs.size, fila.chave.size))
        x[:, ~vagas] = uniformes(fila.chave[~vagas], fluxo, runs, semente)
        x[:, vagas] = _uniformes_de(fila.chave_das_vagas[runs], np.int64(fluxo), runs[:, None],
                                    semente)  # fmt: skip
        return x

    def pontos(fluxo: int) -> Pontos:
        return lambda colunas, h: primeiros_acima(fila.chave[colunas], fluxo, runs, semente, h)

    def pausa_futura(k: int, pode: NDArray[np.bool_]) -> NDArray[np.float64]:
        """A hold of stage k for the orders that `pode`, with the stage's probability."""
        dist = modelo.pausas[k]
        if dist is None or modelo.pausa_prob[k] <= 0:
            return np.zeros(forma)
        vem = pode & (u(10 + k) < modelo.pausa_prob[k])
        return np.where(vem, dist.amostrar(u(20 + k)), 0.0)

    def trabalho(k: int, fluxo: int) -> tuple[NDArray[np.float64], ...]:
        """Service stage k: (first part, the hold after it, second part); a hold still to come
        falls after the work done so far, in a stage not held yet."""
        atual, antes = e == k, e < k
        desde = np.where(atual, dec, 0.0)
        # Held now in this work: the hold's place tells of the total.
        parada = atual & np.isfinite(est.pausa_decorrida)
        total = _por_prioridade(modelo.etapas[k], fila.prioridade, u(fluxo), desde, parada,
                                pontos(fluxo), atual)  # fmt: skip
        posicao = POSICAO_MIN + (POSICAO_MAX - POSICAO_MIN) * u(30 + k)
        pode = (antes | (atual & ~est.ja_pausada)) & (posicao * total > desde)
        pausa = pausa_futura(k, pode)
        dividida = pausa > 0
        parte1 = np.where(dividida, posicao * total, total) - desde
        parte2 = np.where(dividida, total - posicao * total, 0.0)
        return np.maximum(parte1, SERVICO_MINIMO_S), pausa, parte2

    # Before the diagnosis: the arrival (orders yet to come), or what runs now on the wall
    # clock (a hold). The waits for a mechanic are the queue's, not drawn; a hold in them
    # starts with them (parts ordered when the budget is approved), so only an order yet to get
    # there may still have one.
    resto = fila.resto_agora[runs]
    g0 = fila.chegada[runs] + np.where(e <= DIAGNOSTICO, resto, 0.0)
    g0 += pausa_futura(ESPERA_DIAGNOSTICO, np.broadcast_to(fila.coluna < 0, forma))
    # Before the repair: the customer's answer (drawn for an order not yet diagnosed; running
    # now: in `resto`, with a hold running now), the holds still to come.
    resposta = _por_prioridade(
        modelo.etapas[ESPERA_APROVACAO], fila.prioridade, u(3), np.zeros(e.size)
    )
    g2 = np.where(e < ESPERA_APROVACAO, resposta, 0.0) + np.where(e > DIAGNOSTICO, resto, 0.0)
    del resposta, resto
    g2 += pausa_futura(ESPERA_APROVACAO, np.broadcast_to(e < ESPERA_APROVACAO, forma))
    g2 += pausa_futura(ESPERA_REPARO, np.broadcast_to(e < ESPERA_REPARO, forma))

    # Pack: [diag1, diag2 if held, ] rep1, rep2 if held; a slot's gap is what precedes it.
    d = np.broadcast_to(e <= DIAGNOSTICO, forma)
    diag1, pd, diag2 = trabalho(DIAGNOSTICO, 1)
    rep1, pr, rep2 = trabalho(REPARO, 2)
    sd, sr = pd > 0, pr > 0
    zero = np.zeros(forma)
    slots = (
        (np.where(d, g0, g0 + g2), np.where(d, diag1, rep1)),
        (np.where(d, np.where(sd, pd, g2), np.where(sr, pr, zero)),
         np.where(d, np.where(sd, diag2, rep1), np.where(sr, rep2, zero))),
        (np.where(d & sd, g2, np.where(d & sr, pr, zero)),
         np.where(d & sd, rep1, np.where(d & sr, rep2, zero))),
        (np.where(d & sd & sr, pr, zero), np.where(d & sd & sr, rep2, zero)),
    )  # fmt: skip
    for k, (gap, servico) in enumerate(slots):
        gap_out[:, : e.size, k] = gap
        servico_out[:, : e.size, k] = servico
    nseg_out[:, : e.size] = np.where(d, 2 + sd + sr, 1 + sr)


def restos_agora(
    modelo: Modelo, calendario: Calendario, abertas: Abertas, estado: EstadoAberto,
    agora: float, execucoes: int, semente: int,
) -> NDArray[np.float64]:  # fmt: skip
    """(runs, orders) working seconds from now until what runs now on the wall clock ends: a
    hold (its start plus a draw of its length, given how long it has lasted) and the customer's
    answer awaited now (likewise; after the hold when the order is also held). 0 elsewhere.
    Parts and customers keep the calendar's time, not the shop's: a hold of 36 hours that
    starts on a Friday ends on Sunday, and the work resumes on Monday morning. Customers who
    answer only within the shop's hours (Modelo.resposta_no_expediente) keep the shop's."""
    n = len(abertas)
    chave = abertas.ordem.astype(np.uint64)
    fim = np.full((execucoes, n), np.nan)
    segurada = np.isfinite(estado.pausa_corrida)
    for k, dist in enumerate(modelo.pausas_corridas):
        cols = segurada & (estado.etapa == k)
        if cols.any() and dist is not None:
            # Its true length, given that its end has not been recorded by now; recorded when
            # someone is at work.
            desde = abertas.pausa_desde[cols]
            certo = aguardada(calendario, desde, agora, modelo.registro_s)
            segurando = chave[cols]
            duracao = dist.amostrar_acima(
                lambda h, c=segurando, k=k: primeiros_acima(c, 20 + k, execucoes, semente, h),
                certo,
            )
            volta = np.minimum(desde + duracao, agora + ESPERA_MAXIMA_S)
            u_registro = uniformes(chave[cols], 25 + k, execucoes, semente)
            gravada = registrar(calendario, volta.ravel(), u_registro.ravel(), modelo.registro_s)
            fim[:, cols] = np.maximum(gravada.reshape(volta.shape), agora)
    cols = estado.etapa == ESPERA_APROVACAO
    expediente = np.zeros((execucoes, n))  # the answers awaited now, in working time
    if cols.any():
        # The answer's true length, given how long it has surely been awaited: in working time
        # where the customers answer within the shop's hours (from the stage's law, holds
        # excluded); on the wall clock otherwise, not recorded by now.
        no_expediente = modelo.resposta_no_expediente
        aguardando = chave[cols]
        if no_expediente:
            desde = certo = estado.decorrido[cols]
        else:
            desde = estado.decorrido_corrido[cols]
            certo = aguardada(calendario, abertas.instantes[cols, ESPERA_APROVACAO], agora,
                              modelo.registro_s)  # fmt: skip

        def pontos_da_resposta(
            colunas: NDArray[np.bool_], h: NDArray[np.float64]
        ) -> NDArray[np.float64]:
            return primeiros_acima(aguardando[colunas], 3, execucoes, semente, h)

        leis = modelo.etapas[ESPERA_APROVACAO] if no_expediente else modelo.resposta_corrida
        total = _por_prioridade(leis, abertas.prioridade[cols],
                                uniformes(aguardando, 3, execucoes, semente), certo,
                                pontos=pontos_da_resposta,
                                correndo=np.ones(certo.shape, bool))  # fmt: skip
        falta = np.maximum(total - desde, 0.0)
        if no_expediente:  # after the hold, when one runs now
            expediente[:, cols] = falta
        else:
            # It comes then (after the hold, when one runs now), recorded when someone is at
            # work.
            base = np.where(segurada[cols], np.nan_to_num(fim[:, cols], nan=agora), agora)
            chega = np.minimum(base + falta, agora + ESPERA_MAXIMA_S)
            u_registro = uniformes(aguardando, 4, execucoes, semente)
            gravada = registrar(calendario, chega.ravel(), u_registro.ravel(), modelo.registro_s)
            fim[:, cols] = np.maximum(gravada.reshape(chega.shape), agora)
    resto = np.zeros((execucoes, n))
    ha = np.isfinite(fim)
    resto[ha] = calendario.uteis_entre(np.full(int(ha.sum()), agora), np.maximum(fim[ha], agora))
    return resto + expediente


@dataclass(frozen=True)
class Execucoes:
    """The runs, (runs, len(fila)) working seconds from now: when each order of the Fila is
    finished (inf for the slots of orders yet to arrive), and when a mechanic took its last
    piece of work (from then on, orders arriving can no longer go ahead of it)."""

    fim: NDArray[np.float64]
    ultima_vez: NDArray[np.float64]


def simular(
    modelo: Modelo, fila: Fila, mecanicos: int, execucoes: int, semente: int,
    lote: int | None = None, saindo: NDArray[np.bool_] | None = None,
) -> Execucoes:  # fmt: skip
    """The runs of the Fila (Execucoes), simulated `lote` at a time (default: as many as fit in
    _CELULAS_POR_LOTE): the runs never meet (each has its own draws, keyed by its index, and
    its own mechanics), so the result is the same bit for bit whatever the batches, while the
    arrays alive at once are a batch's. `saindo` (one per mechanic): who finishes the work in
    their hands and takes nothing more (someone deactivated, a manager who started a car);
    at least one must stay."""
    lote = lote or max(1, _CELULAS_POR_LOTE // max(fila.prioridade.size, 1))
    if execucoes <= lote:
        return Execucoes(
            *_simular_lote(modelo, fila, mecanicos, np.arange(execucoes), semente, saindo)
        )
    n = fila.prioridade.size
    fim = np.empty((execucoes, n))
    ultima_vez = np.empty((execucoes, n))
    for r0 in range(0, execucoes, lote):
        runs = np.arange(r0, min(r0 + lote, execucoes))
        fim[runs], ultima_vez[runs] = _simular_lote(modelo, fila, mecanicos, runs, semente, saindo)
    return Execucoes(fim, ultima_vez)


def _simular_lote(
    modelo: Modelo,
    fila: Fila,
    mecanicos: int,
    runs: NDArray[np.int64],
    semente: int,
    saindo: NDArray[np.bool_] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The runs `runs` of the Fila: (finish, last time taken), (len(runs), orders)."""
    n = fila.prioridade.size
    execucoes = runs.size
    bloco = int(max(16, 2 ** round(np.log2(np.sqrt(n) + 1))))
    blocos = -(-n // bloco)
    largura = blocos * bloco
    linhas = np.arange(execucoes)
    # Segments of each order; a scratch segment (index SEGMENTOS) past the last.
    gap = np.zeros((execucoes, largura, SEGMENTOS + 1), np.float32)
    servico = np.zeros_like(gap)
    nseg = np.zeros((execucoes, largura), np.int8)
    for r0 in range(0, execucoes, _RUNS_POR_SORTEIO):
        lote = slice(r0, r0 + _RUNS_POR_SORTEIO)
        _segmentos(modelo, fila, runs[lote], semente, gap[lote], servico[lote], nseg[lote])

    real = np.zeros(largura + 1, bool)
    real[:n] = fila.coluna >= 0
    pronto = np.full((execucoes, largura), np.inf)  # when each order next needs a mechanic
    prox = np.zeros((execucoes, largura), np.int8)  # its next segment
    fim = np.full((execucoes, largura + 1), np.inf)  # a scratch column at the end
    livre = np.zeros((execucoes, mecanicos))  # when each mechanic is free

    # Work in progress now: its first segment is already in its mechanic's hands.
    em_curso = np.zeros(largura, bool)
    em_curso[:n] = np.isin(fila.estado.etapa, (DIAGNOSTICO, REPARO)) & ~np.isfinite(
        fila.estado.pausa_decorrida
    )
    termina = gap[:, :, 0] + servico[:, :, 0].astype(np.float64)
    mais = nseg > 1
    pronto[:] = np.where(em_curso, np.where(mais, termina + gap[:, :, 1], np.inf), gap[:, :, 0])
    pronto[:, n:] = np.inf
    prox[:, em_curso] = 1
    fim[:, :largura] = np.where(em_curso & ~mais, termina, np.inf)
    ultima_vez = np.where(np.isfinite(fim), 0.0, np.inf)
    cols = np.flatnonzero(em_curso[:n] & (fila.mecanico >= 0))
    if cols.size:  # a mechanic with two cars in hand is busy until both are done
        np.maximum.at(livre.T, fila.mecanico[cols], termina[:, cols].T)
    if saindo is not None and saindo.any():
        livre[:, saindo] = np.inf  # never the next free one: nothing more is theirs
    del termina, mais
    faltam = (np.isinf(fim) & real).sum(axis=1)

    pronto3 = pronto.reshape(execucoes, blocos, bloco)
    minimo = pronto3.min(axis=2)
    # Every step gathers and scatters one element per run: on flat views with flat indices
    # (a row's offset plus a column), ~2x cheaper than indexing by (row, column) pairs.
    por_bloco = pronto.reshape(execucoes * blocos, bloco)
    pronto_f, prox_f, nseg_f = pronto.reshape(-1), prox.reshape(-1), nseg.reshape(-1)
    gap_f, servico_f = gap.reshape(-1), servico.reshape(-1)
    livre_f, minimo_f = livre.reshape(-1), minimo.reshape(-1)
    fim_f, ultima_f = fim.reshape(-1), ultima_vez.reshape(-1)
    em_livre, em_blocos = linhas * mecanicos, linhas * blocos
    em_largura, em_fim, em_bloco = linhas * largura, linhas * (largura + 1), linhas * bloco
    while faltam.any():
        # The next free mechanic takes the first order in the board's order that is ready by
        # then; when none is, it waits for the next one to become ready.
        lm = em_livre + livre.argmin(axis=1)
        quando = np.maximum(livre_f[lm], minimo.min(axis=1))
        b = (minimo <= quando[:, None]).argmax(axis=1)
        prontos = por_bloco[em_blocos + b]
        j = (prontos <= quando[:, None]).argmax(axis=1)
        i = b * bloco + j
        li = em_largura + i
        k = prox_f[li]
        segmentos = li * (SEGMENTOS + 1)
        acaba = quando + servico_f[segmentos + k]
        seguinte = np.minimum(k + 1, SEGMENTOS)
        mais = seguinte < nseg_f[li]
        novo = np.where(mais, acaba + gap_f[segmentos + seguinte], np.inf)
        pronto_f[li] = novo
        prox_f[li] = seguinte
        livre_f[lm] = acaba
        # A run already done goes on idling harmlessly (quando = inf): nothing it does counts.
        acabou = ~mais & real[i] & np.isfinite(acaba)
        coluna = em_fim + np.where(acabou, i, largura)
        fim_f[coluna] = acaba
        ultima_f[coluna] = quando
        faltam -= acabou
        prontos.reshape(-1)[em_bloco + j] = novo
        minimo_f[em_blocos + b] = prontos.min(axis=1)
    return fim[:, :n], ultima_vez[:, :n]
