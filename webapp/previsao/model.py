"""The model learned from the shop's history: for each stage, the distribution of its working
time (holds excluded), by priority, falling back to all priorities when a priority has too few
finished samples; how often each stage is held and for how long; and how many orders of each
priority arrive per working hour.

The orders finished in the window are complete observations; the open orders add their
finished stages as complete observations too, and the stage they are in (and a hold that is
running) as censored ones (survival.py). No history, no model: below `minimo_ordens` finished
orders `ajustar` says so, and nothing is forecast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from . import survival
from .calendar import Calendario
from .domain import (
    CRIACAO,
    ESPERA_APROVACAO,
    ESPERA_REPARO,
    ETAPAS,
    FIM,
    PRIORIDADES,
    Abertas,
    Historico,
)
from .survival import Distribuicao

DIA = 86_400.0
# A stage counts as held when its holds add up to more than this (the exported CSV keeps
# minutes, so a minute or two of difference is rounding, not a hold).
PAUSA_MINIMA_S = 180.0


@dataclass(frozen=True)
class Parametros:
    janela_dias: int = 90  # finished orders of this many days back are learned from
    minimo_ordens: int = 30  # fewer finished orders: "sem histórico suficiente"
    minimo_grupo: int = 30  # fewer finished samples of a priority: that stage uses all priorities
    minimo_pausas: int = 5  # fewer finished holds in the whole history: holds are not modelled


@dataclass(frozen=True)
class Modelo:
    """`etapas[k][p]`: the distribution of stage k's working seconds for priority rank p (the
    fallback already resolved); `pausa_prob[k]`: the share of stage k's passages that were
    held; `pausas[k]`: how long a hold in stage k lasts (working seconds), None when holds are
    not modelled; `chegadas[p]`: orders of priority p arriving per working second, on average;
    `perfil[h]`: how much busier than that average hour h of the week is (0 = Monday
    00:00-01:00; 1 on average over the working time)."""

    ordens: int
    etapas: tuple[tuple[Distribuicao, ...], ...]
    pausa_prob: NDArray[np.float64]
    pausas: tuple[Distribuicao | None, ...]
    chegadas: NDArray[np.float64]
    perfil: NDArray[np.float64]
    # On the wall clock: the customer's answer per priority, and the holds per stage. What is
    # running now ends at an instant (its start plus a draw), converted to working time then.
    resposta_corrida: tuple[Distribuicao, ...]
    pausas_corridas: tuple[Distribuicao | None, ...]


def servico_e_pausa(
    calendario: Calendario,
    inicio: NDArray[np.float64],
    fim: NDArray[np.float64],
    pausa_s: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Split the working time of [inicio, fim] into the time the stage ran and the time it was
    held, knowing only the wall-clock seconds on hold (what the store keeps per stage, and the
    export's minutes give). People hold and resume at work, so a hold takes the nights and
    weekends it spans: the stage ran min(working time, wall time - hold), which is exact when
    the stage ran within opening hours, and the hold took the rest."""
    uteis = calendario.uteis_entre(inicio, fim)
    corrido = fim - inicio - np.nan_to_num(pausa_s)
    servico = np.clip(np.minimum(uteis, corrido), 0.0, None)
    return servico, uteis - servico


@dataclass(frozen=True)
class Observacoes:
    """One stage's (or hold's) durations, whether each ended, and the order's priority."""

    duracao: NDArray[np.float64]
    terminou: NDArray[np.bool_]
    prioridade: NDArray[np.int8]


@dataclass(frozen=True)
class EstadoAberto:
    """Where each open order is now: its stage, the working time the stage has run (holds
    excluded), the working time the current hold has lasted (NaN when not held), whether the
    stage was already held; and both times on the wall clock."""

    etapa: NDArray[np.int8]
    decorrido: NDArray[np.float64]
    pausa_decorrida: NDArray[np.float64]
    ja_pausada: NDArray[np.bool_]
    # The same on the wall clock (what the customer's answer and a hold for parts run on).
    decorrido_corrido: NDArray[np.float64]
    pausa_corrida: NDArray[np.float64]


def estado_aberto(calendario: Calendario, abertas: Abertas, agora: float) -> EstadoAberto:
    etapa = abertas.etapa
    linhas = np.arange(len(abertas))
    inicio = abertas.instantes[linhas, etapa]
    em_pausa = np.isfinite(abertas.pausa_desde)
    # The stage ran until now, or until the hold running now began.
    ate = np.where(em_pausa, np.minimum(abertas.pausa_desde, agora), agora)
    pausas_terminadas = abertas.pausas[linhas, etapa]
    decorrido, _ = servico_e_pausa(calendario, inicio, np.maximum(ate, inicio), pausas_terminadas)
    pausa_decorrida = np.where(em_pausa, calendario.uteis_entre(abertas.pausa_desde, agora), np.nan)
    corrido = np.clip(np.nan_to_num(ate - inicio - pausas_terminadas), 0.0, None)
    return EstadoAberto(
        etapa,
        np.nan_to_num(decorrido),
        pausa_decorrida,
        em_pausa | (pausas_terminadas > PAUSA_MINIMA_S),
        corrido,
        np.where(em_pausa, np.maximum(agora - abertas.pausa_desde, 0.0), np.nan),
    )


@dataclass(frozen=True)
class Todas:
    """All that is observed: per stage, its times and its holds' (working time), how many
    orders went through it; the customer's answer and the holds on the wall clock."""

    etapas: list[Observacoes]
    pausas: list[Observacoes]
    passagens: NDArray[np.float64]
    resposta_corrida: Observacoes
    pausas_corridas: list[Observacoes]


def _observacoes(
    calendario: Calendario, historico: Historico, abertas: Abertas, agora: float
) -> Todas:
    """Per stage, the stage's observations and its holds' (complete and censored), and how
    many orders went through it."""
    estado = estado_aberto(calendario, abertas, agora)
    etapas: list[Observacoes] = []
    pausas: list[Observacoes] = []
    passagens: list[int] = []
    pausas_corridas: list[Observacoes] = []
    for k in range(len(ETAPAS)):
        # Finished orders, and the stages the open orders have finished.
        ini = np.concatenate((historico.instantes[:, k], abertas.instantes[:, k]))
        fim = np.concatenate((historico.instantes[:, k + 1], abertas.instantes[:, k + 1]))
        pausa = np.concatenate((historico.pausas[:, k], abertas.pausas[:, k]))
        prioridade = np.concatenate((historico.prioridade, abertas.prioridade))
        completo = np.isfinite(ini) & np.isfinite(fim) & (fim >= ini)
        servico, pausado = servico_e_pausa(
            calendario, ini[completo], fim[completo], pausa[completo]
        )
        houve = pausa[completo] > PAUSA_MINIMA_S
        passagens.append(int(completo.sum()))
        # (All of them held: their split estimate is all there is.)
        sem = ~houve if not houve.all() else np.ones_like(houve)
        # The stage's own time is learned from the passages without a hold: exact, whereas a
        # held one's working time cannot be told from the wait for a mechanic after the hold.
        # The open orders in stage k now (not held): censored at the time run so far.
        aqui = estado.etapa == k
        censurada = aqui & ~estado.ja_pausada
        if k == ESPERA_APROVACAO:
            corrido = (fim - ini - pausa)[completo][sem]
            resposta = Observacoes(
                np.concatenate((corrido, estado.decorrido_corrido[censurada])),
                np.concatenate((np.ones(corrido.size, bool), np.zeros(int(censurada.sum()), bool))),
                np.concatenate((prioridade[completo][sem], abertas.prioridade[censurada])),
            )
        etapas.append(
            Observacoes(
                np.concatenate((servico[sem], estado.decorrido[censurada])),
                np.concatenate(
                    (np.ones(int(sem.sum()), bool), np.zeros(int(censurada.sum()), bool))
                ),
                np.concatenate((prioridade[completo][sem], abertas.prioridade[censurada])),
            )
        )
        segurando = aqui & np.isfinite(estado.pausa_decorrida)
        pausas_corridas.append(
            Observacoes(
                np.concatenate((pausa[completo][houve], estado.pausa_corrida[segurando])),
                np.concatenate(
                    (np.ones(int(houve.sum()), bool), np.zeros(int(segurando.sum()), bool))
                ),
                np.concatenate((prioridade[completo][houve], abertas.prioridade[segurando])),
            )
        )
        pausas.append(
            Observacoes(
                np.concatenate((pausado[houve], estado.pausa_decorrida[segurando])),
                np.concatenate(
                    (np.ones(int(houve.sum()), bool), np.zeros(int(segurando.sum()), bool))
                ),
                np.concatenate((prioridade[completo][houve], abertas.prioridade[segurando])),
            )
        )
    return Todas(etapas, pausas, np.array(passagens, dtype=np.float64), resposta, pausas_corridas)


def _aprovacao_no_reparo(historico: Historico) -> Historico:
    """An approval not recorded (a spreadsheet's history) happened when the repair started, as
    the OS service records it."""
    inst = historico.instantes
    falta = np.isnan(inst[:, ESPERA_REPARO]) & np.isfinite(inst[:, ESPERA_REPARO + 1])
    if not falta.any():
        return historico
    inst = inst.copy()
    inst[falta, ESPERA_REPARO] = inst[falta, ESPERA_REPARO + 1]
    return Historico(historico.prioridade, inst, historico.pausas)


def _na_janela(historico: Historico, agora: float, dias: int) -> Historico:
    fim = historico.instantes[:, FIM]
    dentro = np.isfinite(fim) & (fim <= agora) & (fim >= agora - dias * DIA)
    return Historico(
        historico.prioridade[dentro], historico.instantes[dentro], historico.pausas[dentro]
    )


def ajustar(
    calendario: Calendario,
    historico: Historico,
    abertas: Abertas,
    agora: float,
    parametros: Parametros | None = None,
) -> Modelo | int:
    """The model, or (not enough history) the number of finished orders in the window."""
    parametros = parametros or Parametros()
    historico = _na_janela(historico, agora, parametros.janela_dias)
    if len(historico) < parametros.minimo_ordens:
        return len(historico)
    historico = _aprovacao_no_reparo(historico)
    obs = _observacoes(calendario, historico, abertas, agora)
    etapas = tuple(_por_prioridade(o, parametros.minimo_grupo) for o in obs.etapas)

    # Holds: how often per stage, and how long (per stage when a stage has enough, else pooled).
    seguradas = np.array([int(o.terminou.sum()) for o in obs.pausas], dtype=np.float64)
    pausa_prob = np.where(obs.passagens > 0, seguradas / np.maximum(obs.passagens, 1), 0.0)
    pausas = _por_etapa(obs.pausas, parametros)
    corridas = _por_etapa(obs.pausas_corridas, parametros)
    if pausas[0] is None:
        pausa_prob[:] = 0.0
    return Modelo(
        len(historico), etapas, pausa_prob, pausas,
        _chegadas(calendario, historico, agora, parametros.janela_dias),
        _perfil(calendario, historico, agora, parametros.janela_dias),
        _por_prioridade(obs.resposta_corrida, parametros.minimo_grupo), corridas,
    )  # fmt: skip


def _por_prioridade(obs: Observacoes, minimo: int) -> tuple[Distribuicao, ...]:
    """Per priority, falling back to all priorities where a priority has too few samples."""
    todas = survival.ajustar(obs.duracao, obs.terminou)
    if todas is None:  # no passage finished at all (history with holes): "it takes no time"
        todas = survival.ajustar(np.zeros(1), np.ones(1, bool))
        assert todas is not None
    por_prioridade = []
    for p in range(PRIORIDADES):
        grupo = obs.prioridade == p
        dist = None
        if int((obs.terminou & grupo).sum()) >= minimo:
            dist = survival.ajustar(obs.duracao[grupo], obs.terminou[grupo])
        por_prioridade.append(dist or todas)
    return tuple(por_prioridade)


def _por_etapa(obs: list[Observacoes], parametros: Parametros) -> tuple[Distribuicao | None, ...]:
    """Holds per stage (pooled where a stage has too few); all None with too few holds."""
    total = survival.ajustar(
        np.concatenate([o.duracao for o in obs]), np.concatenate([o.terminou for o in obs])
    )
    if total is None or total.eventos < parametros.minimo_pausas:
        return (None,) * len(obs)
    por_etapa = []
    for o in obs:
        dist = None
        if int(o.terminou.sum()) >= parametros.minimo_grupo:
            dist = survival.ajustar(o.duracao, o.terminou)
        por_etapa.append(dist or total)
    return tuple(por_etapa)


HORAS_DA_SEMANA = 168
_PSEUDO_CHEGADAS = 3.0  # an hour with few arrivals is pulled towards the average


def _perfil(
    calendario: Calendario, historico: Historico, agora: float, dias: int
) -> NDArray[np.float64]:
    """Arrivals by hour of the week (busy Monday mornings, quiet Saturdays), relative to the
    average: per hour of the week, arrivals over working time open in the window. An arrival
    while closed counts at the working instant it is (the last opening hour before it)."""
    inicio = agora - dias * DIA
    criadas = historico.instantes[:, CRIACAO]
    criadas = criadas[np.isfinite(criadas) & (criadas >= inicio) & (criadas <= agora)]
    escala = calendario.escala(inicio, agora)
    # Working seconds of each hour of the week in the window: the intervals cut at each hour.
    exposicao = np.zeros(HORAS_DA_SEMANA)
    dentro = (escala.fins > inicio) & (escala.inicios < agora)
    for ini, fim in zip(escala.inicios[dentro], escala.fins[dentro], strict=True):
        ini, fim = max(ini, inicio), min(fim, agora)
        cortes = np.append(np.arange(np.floor(ini / 3600) * 3600 + 3600, fim, 3600), fim)
        pedacos = np.diff(np.concatenate(([ini], cortes)))
        horas = calendario.hora_da_semana(np.concatenate(([ini], cortes[:-1])))
        np.add.at(exposicao, horas, pedacos)
    if criadas.size == 0 or exposicao.sum() <= 0:
        return np.ones(HORAS_DA_SEMANA)
    no_trabalho = calendario.somar(criadas, 0.0)  # a closed hour: the next working instant
    uteis = escala.uteis(no_trabalho)
    quando = escala.instantes(uteis) - 1e-3  # the working instant, inside its opening hour
    contagem = np.bincount(calendario.hora_da_semana(quando), minlength=HORAS_DA_SEMANA)
    media = contagem.sum() / exposicao.sum()
    taxa = (contagem + _PSEUDO_CHEGADAS) / (exposicao + _PSEUDO_CHEGADAS / media)
    return np.where(exposicao > 0, taxa / media, 0.0)


def _chegadas(
    calendario: Calendario, historico: Historico, agora: float, dias: int
) -> NDArray[np.float64]:
    """Orders per working second, by priority: the orders finished in the window over the
    working time the window's data covers (from its start to the last finish seen), i.e. the
    shop's throughput, which is its arrival rate in the long run."""
    criadas = historico.instantes[:, CRIACAO]
    inicio = max(agora - dias * DIA, float(np.nanmin(criadas)))
    fim = float(np.nanmax(historico.instantes[:, FIM]))
    uteis = float(calendario.uteis_entre(np.array([inicio]), np.array([fim]))[0])
    contagem = np.bincount(historico.prioridade, minlength=PRIORIDADES)[:PRIORIDADES]
    return contagem / uteis if uteis > 0 else np.zeros(PRIORIDADES)
