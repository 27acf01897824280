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
    DIAGNOSTICO,
    ESPERA_APROVACAO,
    ESPERA_REPARO,
    ETAPAS,
    FIM,
    PRIORIDADES,
    REPARO,
    Abertas,
    Historico,
)
from .survival import Distribuicao

DIA = 86_400.0
# A stage counts as held when its holds add up to more than this (the exported CSV keeps
# minutes, so a minute or two of difference is rounding, not a hold).
PAUSA_MINIMA_S = 180.0
# Customers answer within the shop's hours (respostas_no_expediente) unless the answers
# recorded just after an opening are this many times the share of working time there: about
# 1 where they answer by phone in hours, 2 to 4 where the night's answers wait for the morning.
PILHA_NA_ABERTURA = 1.5
RESPOSTAS_MINIMAS = 30  # fewer answers recorded: on the wall clock, as they may come


@dataclass(frozen=True)
class Parametros:
    janela_dias: int = 90  # finished orders of this many days back are learned from
    minimo_ordens: int = 30  # fewer finished orders: "sem histórico suficiente"
    # A priority's typical time (its median against all priorities') counts with n / (n +
    # minimo_grupo) of its weight, n its finished samples; past `minimo_proprio` it has its own
    # distribution, shape and all.
    minimo_grupo: int = 30
    minimo_proprio: int = 300
    minimo_pausas: int = 5  # fewer finished holds in the whole history: holds are not modelled
    # Less of the history's diagnoses and repairs than this share ran within the shop's hours
    # at all (no_horario): the hours are not the shop's (FORA_DO_HORARIO). Low on purpose: only
    # hours grossly wrong ("sab 08:00-12:00" over a week's work: 0.13) are refused; work laid
    # round the clock still overlaps Monday to Saturday's 08:00-18:00 about 0.4 of the time.
    minimo_no_horario: float = 0.25
    # An answer (or the end of a hold) that comes while the shop is closed is recorded within
    # this long after it opens; 0: take them as recorded, nights and weekends included.
    registro_s: float = 3_600.0


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
    registro_s: float = 3_600.0  # Parametros.registro_s
    no_horario: float = 1.0  # the share of the history's work within the hours (no_horario)
    # The customers answer within the shop's hours (respostas_no_expediente): an answer
    # awaited now is drawn in working time, from `etapas`, as the answers still to come.
    resposta_no_expediente: bool = False


def no_horario(calendario: Calendario, historico: Historico) -> float:
    """The share of the history's diagnoses and repairs that ran at least partly within the
    shop's hours: all of them, nearly, where the hours are the shop's (a mechanic works when
    it is open; a repair may run on overnight, its start and end are still in the hours),
    few where they are not. 1 without any."""
    dentro = total = 0
    for k in (DIAGNOSTICO, REPARO):
        ini, fim = historico.instantes[:, k], historico.instantes[:, k + 1]
        ok = np.isfinite(ini) & np.isfinite(fim) & (fim > ini)
        total += int(ok.sum())
        dentro += int(np.count_nonzero(calendario.uteis_entre(ini[ok], fim[ok]) > 0))
    return dentro / total if total else 1.0


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
    """One stage's (or hold's) durations, whether each ended, and the order's priority; with
    `ate`, each finished one is only known to lie in (duracao, ate] (registrado)."""

    duracao: NDArray[np.float64]
    terminou: NDArray[np.bool_]
    prioridade: NDArray[np.int8]
    ate: NDArray[np.float64] | None = None
    # Or, the finished ones seen through this blur (survival.desconvoluir).
    nucleo: NDArray[np.float64] | None = None

    def ajustar(
        self,
        grupo: NDArray[np.bool_] | slice = slice(None),
        escala: NDArray[np.float64] | None = None,
        excesso: float = survival.INICIO_EXCESSO,
    ) -> Distribuicao | None:
        """The distribution of the durations of `grupo`, each divided by its `escala`
        (`excesso`: survival.ajustar's, for exact durations)."""
        f = np.ones(self.duracao.size) if escala is None else escala
        if self.nucleo is not None:
            d, fim = self.duracao[grupo], self.terminou[grupo]
            return survival.desconvoluir(d[fim], d[~fim], self.nucleo)
        if self.ate is None:
            return survival.ajustar((self.duracao / f)[grupo], self.terminou[grupo], excesso)
        direita = np.where(self.terminou, self.ate, np.inf) / f
        return survival.turnbull((self.duracao / f)[grupo], direita[grupo])


def registrado(
    calendario: Calendario, inicio: NDArray[np.float64], fim: NDArray[np.float64], registro: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """What a wait recorded at `fim` says of its true length on the wall clock (the customer's
    answer comes at any hour; it is recorded when someone is at work): exactly fim - inicio,
    unless `fim` is within `registro` seconds of an opening after a closed spell: then it may
    have come while closed, and lies in (the closing - inicio, fim - inicio]."""
    if inicio.size == 0:
        return inicio.copy(), fim - inicio
    talvez, fechou = _logo_apos_abrir(calendario, inicio, fim, registro)
    esquerda = np.where(talvez, np.maximum(fechou, inicio) - inicio, fim - inicio)
    return esquerda, fim - inicio


def _logo_apos_abrir(
    calendario: Calendario, inicio: NDArray[np.float64], fim: NDArray[np.float64], registro: float
) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
    """Which of `fim` lie within `registro` of an opening after a closed spell (a night, a
    weekend, lunch), and when the shop closed before that opening."""
    escala = calendario.escala(float(np.nanmin(inicio)), float(np.nanmax(fim)))
    k = np.searchsorted(escala.inicios, fim, side="right") - 1
    anterior = np.clip(k - 1, 0, None)
    abriu = escala.inicios[np.clip(k, 0, None)]
    fechou = escala.fins[anterior]
    return (k >= 1) & (fim - abriu < registro) & (abriu - fechou > 60.0), fechou


def respostas_no_expediente(
    calendario: Calendario, inicio: NDArray[np.float64], fim: NDArray[np.float64], registro: float
) -> bool:
    """Whether the customers answer within the shop's hours (by phone, at the counter) rather
    than at any hour, the night's answers recorded when it opens. Told by the answers recorded
    within `registro` of an opening after a closed spell: in hours, their share is about the
    share of the working time that lies there; at any hour, the night's pile on top makes it 2
    to 4 times that (docs/PREVISAO.md). Too few answers, or `registro` 0: on the wall clock."""
    ok = np.isfinite(inicio) & np.isfinite(fim) & (fim > inicio)
    if registro <= 0 or ok.sum() < RESPOSTAS_MINIMAS:
        return False
    inicio, fim = inicio[ok], fim[ok]
    talvez, _ = _logo_apos_abrir(calendario, inicio, fim, registro)
    # The working time within `registro` of such an opening, over the days the answers span.
    escala = calendario.escala(float(inicio.min()), float(fim.max()))
    dentro = (escala.inicios >= fim.min()) & (escala.fins <= fim.max())
    inicios, fins = escala.inicios[dentro], escala.fins[dentro]
    if inicios.size < 2:
        return False
    apos_fechado = inicios - np.concatenate(([-np.inf], fins[:-1])) > 60.0
    logo = np.minimum(fins - inicios, registro) * apos_fechado
    esperado = float(logo.sum() / (fins - inicios).sum())
    return bool(talvez.mean() < PILHA_NA_ABERTURA * esperado)


def registrar(
    calendario: Calendario, instantes: NDArray[np.float64], u: NDArray[np.float64], registro: float
) -> NDArray[np.float64]:
    """When what happens at `instantes` is recorded: then if the shop is open, else a share `u`
    of `registro` after it opens."""
    abre = calendario.aberto_a_partir(instantes)
    return np.where(abre > instantes, abre + u * registro, instantes)


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
    resposta_no_expediente: bool


def _observacoes(
    calendario: Calendario, historico: Historico, abertas: Abertas, agora: float, registro: float
) -> Todas:
    """Per stage, the stage's observations and its holds' (complete and censored), and how
    many orders went through it."""
    estado = estado_aberto(calendario, abertas, agora)
    # registro 0: answers and holds taken as recorded (what the benchmark compares against).
    nucleo = nucleo_de_registro(calendario, agora, registro) if registro > 0 else None
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
            # The customer's answer on the wall clock, from the passages without a hold: each
            # recorded one an interval (registrado), each awaited now at least since the last
            # moment it would have been recorded.
            esquerda, direita = registrado(calendario, ini[completo][sem], fim[completo][sem],
                                           registro)  # fmt: skip
            no_expediente = respostas_no_expediente(
                calendario, ini[completo][sem], fim[completo][sem], registro
            )
            aguardando = abertas.instantes[censurada, ESPERA_APROVACAO]
            resposta = Observacoes(
                np.concatenate((esquerda, aguardada(calendario, aguardando, agora, registro))),
                np.concatenate((np.ones(esquerda.size, bool), np.zeros(aguardando.size, bool))),
                np.concatenate((prioridade[completo][sem], abertas.prioridade[censurada])),
                np.concatenate((direita, np.full(aguardando.size, np.inf)))
                if registro > 0
                else None,
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
        # The holds on the wall clock: the recorded ones seen through the recording (nucleo),
        # the running ones at least as long as surely awaited.
        pausas_corridas.append(
            Observacoes(
                np.concatenate((pausa[completo][houve],
                                aguardada(calendario, abertas.pausa_desde[segurando], agora,
                                          registro))),
                np.concatenate(
                    (np.ones(int(houve.sum()), bool), np.zeros(int(segurando.sum()), bool))
                ),
                np.concatenate((prioridade[completo][houve], abertas.prioridade[segurando])),
                nucleo=nucleo,
            )
        )  # fmt: skip
        pausas.append(
            Observacoes(
                np.concatenate((pausado[houve], estado.pausa_decorrida[segurando])),
                np.concatenate(
                    (np.ones(int(houve.sum()), bool), np.zeros(int(segurando.sum()), bool))
                ),
                np.concatenate((prioridade[completo][houve], abertas.prioridade[segurando])),
            )
        )
    return Todas(etapas, pausas, np.array(passagens, dtype=np.float64), resposta, pausas_corridas,
                 no_expediente)  # fmt: skip


def nucleo_de_registro(
    calendario: Calendario, agora: float, registro: float, inicios: int = 240
) -> NDArray[np.float64]:
    """How a hold's true length (wall clock) shows in the store: it began at work (someone
    paused the order) and is recorded when the shop is open, `registro` / 2 after opening on
    average when it ended while closed. nucleo[i, j]: the chance that a length of bin j of
    survival.GRADE is recorded in bin i, over starts spread evenly over the working time of
    the eight weeks before this one (3 lengths per bin). The same all week: laid out over the
    eight weeks up to now, it moved with every recompute, and the holds' law deblurred through
    it with it (a tenth of a hold's law moved from 15 to 12 hours between two recomputes 2
    minutes apart, and a held car's p80 by an hour, back and forth)."""
    ate = calendario.inicio_da_semana(agora)
    escala = calendario.escala(ate - 56 * DIA, ate)
    uteis = escala.uteis(np.array([ate - 56 * DIA, ate]))
    inicio = escala.instantes(np.linspace(uteis[0], uteis[1], inicios, endpoint=False) + 1.0)
    grade = survival.GRADE
    bins = grade.size - 1
    borda = np.append(grade[1:-1], grade[-2] * 2.0)
    duracoes = grade[:-1, None] + (borda - grade[:-1])[:, None] * np.array([0.25, 0.5, 0.75])
    fim = inicio[None, None, :] + duracoes[:, :, None]
    aberto = calendario.aberto_a_partir(fim.ravel()).reshape(fim.shape)
    visto = np.where(aberto > fim, aberto + registro / 2, fim) - inicio[None, None, :]
    caixa = np.clip(np.searchsorted(grade, visto, side="left") - 1, 0, bins - 1)
    nucleo = np.zeros((bins, bins))
    j = np.broadcast_to(np.arange(bins)[:, None, None], caixa.shape)
    np.add.at(nucleo, (caixa.ravel(), j.ravel()), 1.0 / (duracoes.shape[1] * inicios))
    return nucleo


def aguardada(
    calendario: Calendario, inicio: NDArray[np.float64], agora: float, registro: float
) -> NDArray[np.float64]:
    """How long a wait begun at `inicio` and not recorded by `agora` has surely lasted on the
    wall clock: until now, or, within `registro` of an opening, until the closing before (it
    may have come while closed, still to be recorded)."""
    if inicio.size == 0:
        return inicio
    agora_n = np.full(inicio.shape, agora)
    esquerda, _ = registrado(calendario, inicio, agora_n, registro)
    return np.maximum(esquerda, 0.0)


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
    obs = _observacoes(calendario, historico, abertas, agora, parametros.registro_s)
    etapas = tuple(
        _por_prioridade(o, parametros, k in (DIAGNOSTICO, REPARO)) for k, o in enumerate(obs.etapas)
    )

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
        _por_prioridade(obs.resposta_corrida, parametros, esticar=False), corridas,
        parametros.registro_s, no_horario(calendario, historico), obs.resposta_no_expediente,
    )  # fmt: skip


def _por_prioridade(
    obs: Observacoes, parametros: Parametros, esticar: bool = True
) -> tuple[Distribuicao, ...]:
    """Per priority, borrowing from all priorities where a priority has few samples: its own
    evidence weighs n / (n + minimo_grupo), n its finished samples; past `minimo_proprio` it
    has its own distribution.

    Work (`esticar`): one shape for all priorities, each priority's the shape stretched to its
    typical time (an accelerated-failure-time model, distribution-free): the ratio of its
    median to all priorities', shrunk towards 1 by that weight (a handful of URGENTE repairs
    moves the URGENTE time part of the way to their median); the shape learned from every
    duration over its priority's stretch. Waits that are not work (the customer's answer: a
    share at the counter, the rest hours or days later) do not stretch: a priority may differ
    in that share; its distribution is then the mixture of its own and all priorities'.

    Work's tail takes the mean excess over where it starts (survival.CAUDA), not over the
    80th percentile: the mean work is then the history's, its rare long jobs included, and the
    mechanics are as busy in the runs as in the shop. Over the 80th percentile a heavy-tailed
    repair's mean came out 3-5 % short, and the cars served only from the time left over (BAIXA,
    behind every arrival) were forecast hours early."""
    excesso = survival.CAUDA if esticar else survival.INICIO_EXCESSO
    todas = obs.ajustar(excesso=excesso)
    if todas is None:  # no passage finished at all (history with holes): "it takes no time"
        todas = survival.ajustar(np.zeros(1), np.ones(1, bool))
        assert todas is not None
        return (todas,) * PRIORIDADES
    fatores = np.ones(PRIORIDADES)
    proprias: dict[int, Distribuicao] = {}
    for p in range(PRIORIDADES):
        grupo = obs.prioridade == p
        n = int((obs.terminou & grupo).sum())
        dist = obs.ajustar(grupo, excesso=excesso) if n else None
        if dist is None:
            continue
        peso = n / (n + parametros.minimo_grupo)
        if n >= parametros.minimo_proprio:
            proprias[p] = dist
        elif not esticar:
            proprias[p] = survival.misturar(dist, todas, peso)
        elif dist.mediana > 0 and todas.mediana > 0 and dist.p_topo >= 0.5:
            fatores[p] = float(np.exp(peso * np.log(dist.mediana / todas.mediana)))
    forma = obs.ajustar(escala=fatores[obs.prioridade], excesso=excesso) if esticar else todas
    forma = forma or todas
    return tuple(proprias.get(p) or forma.escalada(fatores[p]) for p in range(PRIORIDADES))


def _por_etapa(obs: list[Observacoes], parametros: Parametros) -> tuple[Distribuicao | None, ...]:
    """Holds per stage (pooled where a stage has too few); all None with too few holds."""
    juntas = Observacoes(
        np.concatenate([o.duracao for o in obs]), np.concatenate([o.terminou for o in obs]),
        np.concatenate([o.prioridade for o in obs]), nucleo=obs[0].nucleo,
    )  # fmt: skip
    total = juntas.ajustar()
    if total is None or total.eventos < parametros.minimo_pausas:
        return (None,) * len(obs)
    por_etapa = []
    for o in obs:
        dist = None
        if int(o.terminou.sum()) >= parametros.minimo_grupo:
            dist = o.ajustar()
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
