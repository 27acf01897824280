"""Durations with censoring: the Kaplan-Meier estimate of a stage's working-time distribution,
and sampling from it conditionally on the time already spent.

A finished stage is an event; the stage an open order is in now is censored (it has lasted at
least this long). Kaplan-Meier is the distribution-free estimate that uses both. We keep it as a
piecewise-linear CDF through the event times (so that quantiles interpolate between observed
durations), up to its 95th percentile; beyond that, an exponential tail whose mean is the mean
excess over a quantile (its maximum-likelihood estimate with censoring): the 80th by default,
the 95th for work (model._por_prioridade), so that its mean is the history's. The tail makes
every elapsed time, however long, have a finite, later finish: an order past everything ever
seen still gets "a while more", never "already done".

Sampling with the inverse CDF: a stage that has already lasted `a` ends at
Q(F(a) + u (1 - F(a))) with u uniform, which is >= a by construction (Q and F are inverses).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

CAUDA = 0.95  # the empirical part ends at this quantile; the exponential tail takes over
# A jump of Kaplan-Meier at a duration is spread back over at most this share of it (below).
RAMPA = 0.1
# Where a mixture follows each law's exponential tail (misturar).
_Q_CAUDAS = np.array([0.96, 0.97, 0.98, 0.99, 0.995, 0.999])
INICIO_EXCESSO = 0.80  # by default, the tail's mean is the mean excess over this quantile
NOS = 512  # knots kept of the empirical CDF
# The grid on which a law weighted by 1 / t is laid out (Distribuicao.amostrar_parada_em).
_Q_PONDERADA, _PONTOS_PONDERADA = 0.9999, 512


@dataclass(frozen=True)
class Distribuicao:
    """A duration's distribution (working seconds): the CDF through `tempos`/`probs` (both
    strictly increasing), then 1 - (1 - p) exp(-(t - t_topo) / media_cauda)."""

    tempos: NDArray[np.float64]
    probs: NDArray[np.float64]
    media_cauda: float
    eventos: int  # finished observations (the censored ones are not counted)
    censurados: int

    @property
    def t_topo(self) -> float:
        return float(self.tempos[-1])

    @property
    def p_topo(self) -> float:
        return float(self.probs[-1])

    def cdf(self, t: ArrayLike) -> NDArray[np.float64]:
        t = np.asarray(t, dtype=np.float64)
        dentro = np.interp(t, self.tempos, self.probs, left=0.0)
        cauda = 1.0 - (1.0 - self.p_topo) * np.exp(-(t - self.t_topo) / self.media_cauda)
        return np.where(t <= self.t_topo, dentro, cauda)

    def quantil(self, p: ArrayLike) -> NDArray[np.float64]:
        p = np.asarray(p, dtype=np.float64)
        dentro = np.interp(p, self.probs, self.tempos)
        with np.errstate(divide="ignore", invalid="ignore"):
            razao = (1.0 - self.p_topo) / np.maximum(1.0 - p, 1e-12)
            cauda = self.t_topo + self.media_cauda * np.log(np.maximum(razao, 1.0))
        return np.where(p <= self.p_topo, dentro, cauda)

    def amostrar(self, u: ArrayLike, decorrido: ArrayLike = 0.0) -> NDArray[np.float64]:
        """Total durations for uniforms `u`, given that each has already lasted `decorrido`
        (broadcast): never shorter than `decorrido`, and longer the longer it has lasted."""
        u = np.asarray(u, dtype=np.float64)
        decorrido = np.asarray(decorrido, dtype=np.float64)
        piso = self.cdf(np.minimum(decorrido, self.t_topo))
        total = self.quantil(piso + u * (1.0 - piso))
        # Past the empirical part the tail is memoryless: the rest is exponential, computed as
        # such (1 - F underflows there).
        cauda = decorrido + self.media_cauda * -np.log1p(-np.minimum(u, 1 - 1e-16))
        return np.where(decorrido > self.t_topo, cauda, np.maximum(total, decorrido))

    @property
    def risco_topo(self) -> float:
        """The cumulative hazard where the exponential tail starts."""
        return float(-np.log1p(-self.p_topo))

    def risco(self, t: ArrayLike) -> NDArray[np.float64]:
        """The cumulative hazard H(t) = -log(1 - F(t)): a stage that has lasted t ends at the
        first point past H(t) of a unit-rate Poisson process on this scale (amostrar_acima)."""
        t = np.asarray(t, dtype=np.float64)
        dentro = -np.log1p(-np.minimum(self.cdf(np.minimum(t, self.t_topo)), self.p_topo))
        return np.where(t <= self.t_topo, dentro,
                        self.risco_topo + (t - self.t_topo) / self.media_cauda)  # fmt: skip

    def do_risco(self, h: ArrayLike) -> NDArray[np.float64]:
        """The duration whose cumulative hazard is h (risco's inverse)."""
        h = np.asarray(h, dtype=np.float64)
        topo = self.risco_topo
        dentro = np.interp(-np.expm1(-np.minimum(h, topo)), self.probs, self.tempos)
        return np.where(h <= topo, dentro, self.t_topo + self.media_cauda * (h - topo))

    def amostrar_acima(
        self, primeiro: Callable[[NDArray[np.float64]], NDArray[np.float64]], decorrido: ArrayLike
    ) -> NDArray[np.float64]:
        """Total durations given that each has already lasted `decorrido`, as `amostrar`
        draws them, but coupled otherwise from one elapsed time to the next: each the first
        point past H(decorrido) of a unit-rate Poisson process on the cumulative hazard's
        scale, `primeiro(h)` (the caller keeps the processes: one per order and run). A draw
        then stays where it is until the elapsed time passes it (it is then the process's next
        point), where `amostrar`'s (the quantile of a fixed uniform above F(decorrido)) moves
        at every elapsed time. The law is the same; a stage a few minutes older moves the few
        runs it must, not all of them, and the runs of the queue behind it stay put."""
        decorrido = np.asarray(decorrido, dtype=np.float64)
        return np.maximum(self.do_risco(primeiro(self.risco(decorrido))), decorrido)

    def amostrar_parada_em(
        self, u: ArrayLike, feito: ArrayLike, posicao_min: float, posicao_max: float
    ) -> NDArray[np.float64]:
        """Total durations for uniforms `u` of a piece of work held after `feito` of it, when a
        hold falls at a uniform share in [posicao_min, posicao_max] of the work (the forecast's
        own model of holds). The hold's place says something of the total: it lies in
        [feito / posicao_max, feito / posicao_min], and a hold lands at that very point of a
        longer job less often (its density there is 1 / total), so the total's law is this
        one's weighted by 1 / t on that range. Where the range holds none of this law's mass
        (or nothing was done yet), the total is drawn as `amostrar` would.

        A hold in the very first minutes (less than `posicao_min` of a median job done) is as
        likely a part found missing at the start, whatever the job's length, as a point of a
        short job: read by the place alone, a repair held a minute in was a quarter-hour job.
        There the two readings are blended quantile by quantile, from "at least `feito`"
        (nothing done) to the place's alone (a `posicao_min` share of the median done)."""
        u = np.asarray(u, dtype=np.float64)
        feito = np.asarray(feito, dtype=np.float64)
        q = np.linspace(0.0, _Q_PONDERADA, _PONTOS_PONDERADA)
        t = self.quantil(q)
        meio = np.maximum((t[1:] + t[:-1]) / 2, 1.0)
        g = np.concatenate(([0.0], np.cumsum(np.diff(q) / meio)))
        g /= g[-1]
        baixo = np.interp(np.maximum(feito / posicao_max, feito), t, g)
        alto = np.interp(feito / posicao_min, t, g)
        massa = alto - baixo
        ponderado = np.interp(baixo + u * massa, g, t)
        simples = self.amostrar(u, feito)
        escala = posicao_min * self.mediana  # 0 for a law of instant jobs: the place alone
        peso = np.clip(feito / escala, 0.0, 1.0) if escala > 0 else np.ones_like(feito)
        misturado = peso * ponderado + (1.0 - peso) * simples
        return np.where((feito > 0) & (massa > 1e-9), np.maximum(misturado, feito), simples)

    def escalada(self, fator: float) -> Distribuicao:
        """The same shape, every duration `fator` times as long."""
        return Distribuicao(
            self.tempos * fator, self.probs, self.media_cauda * fator, self.eventos,
            self.censurados,
        )  # fmt: skip

    def restante(self, q: float, decorrido: float) -> float:
        """The q-quantile of the time left after `decorrido` (for people and tests)."""
        return float(self.amostrar(np.array([q]), decorrido)[0]) - decorrido

    @property
    def mediana(self) -> float:
        return float(self.quantil(0.5))

    @property
    def media(self) -> float:
        """The mean, by the midpoint rule over 200 quantiles (the tail included)."""
        return float(self.quantil((np.arange(200) + 0.5) / 200).mean())


def kaplan_meier(
    duracoes: ArrayLike, terminou: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], int, int]:
    """The event times and the CDF (1 - survival) just after each: (tempos, F, events,
    censored). `terminou` False marks a censored duration (still running).

    A censored duration within a RAMPA share of an event time counts as at risk there in part
    (half at it, whole a RAMPA share past it): counted whole or not at all, an open order
    whose time in its stage passed an event time changed the estimate past it at once (in a
    thin tail, six at risk, the 95th percentile of a diagnosis moved 7 % between two
    recomputes 2 minutes apart)."""
    d = np.asarray(duracoes, dtype=np.float64)
    e = np.asarray(terminou, dtype=bool)
    ok = np.isfinite(d)
    d, e = np.maximum(d[ok], 0.0), e[ok]
    if not e.any():
        return np.empty(0), np.empty(0), 0, int(d.size)
    fins = np.sort(d[e])
    tempos, eventos = np.unique(fins, return_counts=True)
    censuradas = np.sort(d[~e])
    soma = np.concatenate(([0.0], np.cumsum(censuradas)))
    largura = RAMPA * tempos
    de = np.searchsorted(censuradas, tempos - largura, side="right")
    ate = np.searchsorted(censuradas, tempos + largura, side="left")
    dentro = ate - de
    with np.errstate(divide="ignore", invalid="ignore"):
        parte = np.where(largura > 0, 0.5 * dentro + (soma[ate] - soma[de] - dentro * tempos)
                         / (2 * largura), 0.0)  # fmt: skip
    em_risco = (fins.size - np.searchsorted(fins, tempos, side="left")) + (
        censuradas.size - ate + np.clip(parte, 0.0, np.maximum(dentro, 0))
    )
    sobrevive = np.cumprod(1.0 - eventos / em_risco)
    return tempos, 1.0 - sobrevive, int(e.sum()), int((~e).sum())


def ajustar(
    duracoes: ArrayLike, terminou: ArrayLike, excesso: float = INICIO_EXCESSO
) -> Distribuicao | None:
    """The distribution of durations (censored where `terminou` is False); None without any
    finished one. `excesso`: the quantile over which the tail's mean excess is measured."""
    d = np.asarray(duracoes, dtype=np.float64)
    e = np.asarray(terminou, dtype=bool)
    tempos, probs, eventos, censurados = kaplan_meier(d, e)
    if eventos == 0:
        return None
    tempos, probs = _ate_a_cauda(*_suavizar(*_desde_zero(*_rampas(tempos, probs)), eventos))
    media = _media_cauda(d, e, tempos, probs, excesso)
    tempos, probs = _desbastar(tempos, probs)
    return Distribuicao(tempos, probs, media, eventos, censurados)


def _suavizar(
    tempos: NDArray[np.float64], probs: NDArray[np.float64], eventos: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The CDF through (tempos, probs) (from 0 at t = 0) with its quantile function averaged
    over a window of +-1 / (2 sqrt(events)) of probability (narrower near its ends, so that
    they stay put): a kernel that spans about sqrt(events) events wherever it is, narrow where
    they are many, wide in a sparse tail. Averaging the quantile function keeps the mean, and
    a duration many orders took exactly (more than the window, e.g. every repair 30 minutes)
    stays where it was; knots at evenly spaced probabilities (NOS of them).

    Through the events themselves, the CDF's slope went up and down with the gaps between them
    (four diagnoses ended between 130 and 134 minutes, then none for a quarter of an hour),
    and so did how fast the forecast of a car in that stage moved: 2 minutes more of diagnosis
    moved its p80 by 16 minutes. Where the events leave a gap around the 95th percentile
    (the customers' answers: none between 20 and 46 hours), the tail's start jumped across it
    at a minute's change of an answer still awaited."""
    topo = float(probs[-1])
    meia = 0.5 / np.sqrt(max(eventos, 1))
    if tempos.size < 2 or topo <= 0.0:
        return tempos, probs
    # The quantile function's integral at the knots (it is linear between them).
    area = np.concatenate(([0.0], np.cumsum(np.diff(probs) * (tempos[1:] + tempos[:-1]) / 2)))

    def integral(p: NDArray[np.float64]) -> NDArray[np.float64]:
        k = np.clip(np.searchsorted(probs, p, side="right") - 1, 0, probs.size - 2)
        largura = probs[k + 1] - probs[k]
        dp = np.clip(p - probs[k], 0.0, largura)
        fracao = np.divide(dp, largura, out=np.zeros_like(dp), where=largura > 0)
        return area[k] + dp * (tempos[k] + 0.5 * (tempos[k + 1] - tempos[k]) * fracao)

    base = float(probs[0])  # a mass at the first knot (at 0: instant ones) stays there
    grade = np.linspace(base, topo, NOS)
    janela = np.minimum(np.minimum(grade - base, topo - grade), meia)
    com = janela > 0
    suave = np.interp(grade, probs, tempos)
    suave[com] = (integral(grade[com] + janela[com]) - integral(grade[com] - janela[com])) / (
        2 * janela[com]
    )
    suave = np.maximum.accumulate(suave)
    if base > 0:
        grade, suave = np.concatenate(([0.0], grade)), np.concatenate(([tempos[0]], suave))
    # Strictly increasing both ways: a duration taken by a share of the orders is a jump (two
    # knots at one time) in the CDF; drop the repeated times but the last.
    ultimo = np.append(suave[1:] > suave[:-1], True)
    return suave[ultimo], grade[ultimo]


def _rampas(
    tempos: NDArray[np.float64], probs: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Kaplan-Meier's jumps as the interpolated CDF spreads them: each over the gap since the
    event before it, at most the RAMPA share of its own time. Between close events, as
    continuous durations give, the whole gap (a fair smoothing, unchanged); after a wide one,
    only the last tenth: spread over the whole gap, durations that all took the same time,
    or were rounded to the half hour in a spreadsheet, lay their mass far below any ever
    seen (every repair exactly 30 minutes read as a median of 15, the first event after 0
    as anywhere from 0). The knot that starts a ramp sits a hair above the level before it,
    so the CDF stays strictly increasing."""
    if tempos.size == 0:
        return tempos, probs
    antes_t = np.concatenate(([0.0], tempos[:-1]))
    antes_p = np.concatenate(([0.0], probs[:-1]))
    inicio = tempos * (1.0 - RAMPA)
    largo = inicio > antes_t
    degrau = antes_p[largo] + 1e-9 * (probs[largo] - antes_p[largo])
    t = np.concatenate((tempos, inicio[largo]))
    p = np.concatenate((probs, degrau))
    ordem = np.argsort(t, kind="stable")
    return t[ordem], p[ordem]


def _desde_zero(
    tempos: NDArray[np.float64], probs: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The CDF from 0 at t = 0."""
    if tempos[0] > 0:
        return np.concatenate(([0.0], tempos)), np.concatenate(([0.0], probs))
    return tempos, probs


def _ate_a_cauda(
    tempos: NDArray[np.float64], probs: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The CDF from 0 at t = 0, cut at the 95th percentile (interpolated) where it reaches it."""
    tempos, probs = _desde_zero(tempos, probs)
    if probs[-1] > CAUDA:
        k = int(np.searchsorted(probs, CAUDA))
        t_cauda = float(np.interp(CAUDA, probs, tempos))
        tempos = np.concatenate((tempos[:k], [t_cauda]))
        probs = np.concatenate((probs[:k], [CAUDA]))
    return tempos, probs


# Where interval-censored durations live: 5-minute bins up to 2 hours, then 4 % wider each, up
# to about 120 days, then one bin to infinity (220 bins).
GRADE = np.concatenate((np.arange(0.0, 7_200.0, 300.0), 7_200.0 * 1.04 ** np.arange(196), [np.inf]))


def turnbull(
    esquerda: ArrayLike, direita: ArrayLike, iteracoes: int = 2_000, tolerancia: float = 1e-8
) -> Distribuicao | None:
    """The distribution of durations each known only to lie in (esquerda, direita]: direita
    infinite for one still running, direita = esquerda for an exact one. Turnbull's estimate
    (the nonparametric maximum likelihood, by EM), on the bins of GRADE; it is Kaplan-Meier's
    when no interval is wider than a bin. None without any finished one.

    One still running is at least `esquerda`, to the second (_acima: the share of its bin
    above it), not at least its bin's left edge: read by its bin, a customer's answer awaited
    a minute longer, crossing a bin's edge, moved the estimate at once (the 95th percentile
    from 35 to 45 hours), and with it the forecast of the car awaiting it."""
    esq = np.maximum(np.asarray(esquerda, dtype=np.float64), 0.0)
    dir_ = np.asarray(direita, dtype=np.float64)
    ok = np.isfinite(esq) & ~np.isnan(dir_) & (dir_ >= esq)
    esq, dir_ = esq[ok], dir_[ok]
    abertos = np.isinf(dir_)
    if abertos.all():
        return None
    bins = GRADE.size - 1  # bin j is (GRADE[j], GRADE[j + 1]]
    # First bin whose right edge passes esq; last bin whose left edge is below dir (an exact
    # value: its own bin).
    a = np.clip(np.searchsorted(GRADE, esq, side="right") - 1, 0, bins - 1)
    b = np.clip(np.searchsorted(GRADE, np.maximum(dir_, esq + 1e-9), side="left") - 1, a, bins - 1)
    grupos, contagem = np.unique(a[~abertos] * bins + b[~abertos], return_counts=True)
    fechados_a, fechados_b = grupos // bins, grupos % bins
    ultimo = int(fechados_b.max())
    correndo, parte = _acima(esq[abertos], ultimo)
    n = float(esq.size)
    p = np.zeros(bins)
    np.add.at(p, np.minimum(a, ultimo), 1.0 / n)  # a start: each at its interval's first bin
    p = _ate_o_ultimo(0.5 * p + 0.5 / (ultimo + 1), ultimo)
    for _ in range(iteracoes):
        acumulada = np.concatenate(([0.0], np.cumsum(p)))
        peso = contagem / np.maximum(acumulada[fechados_b + 1] - acumulada[fechados_a], 1e-300)
        cobre = np.zeros(bins + 1)
        np.add.at(cobre, fechados_a, peso)
        np.add.at(cobre, fechados_b + 1, -peso)
        _cobrir_acima(cobre, p, acumulada, correndo, parte)
        novo = _alisar(p * np.cumsum(cobre)[:bins] / n, ultimo)
        if np.abs(novo - p).max() < tolerancia:
            p = novo
            break
        p = novo
    return _das_massas(p, int((~abertos).sum()), int(abertos.sum()))


def _ate_o_ultimo(p: NDArray[np.float64], ultimo: int) -> NDArray[np.float64]:
    """No mass past bin `ultimo`, the last any finished duration reaches."""
    p[ultimo + 1 :] = 0.0
    return p


def _alisar(p: NDArray[np.float64], ultimo: int) -> NDArray[np.float64]:
    """EM's smoothing step (EMS: Silverman, Jones, Wilson and Nychka, 1990), over the bins up
    to `ultimo`: each bin's mass a quarter to each neighbour. Plain EM spreads the mass of an
    interval that no observation splits in whatever way its path leads it, so a minute more
    of an answer still awaited sent the estimate's 80th percentile from 13.0 to 13.9 hours and
    back; with the step, one smooth estimate."""
    q = p[: ultimo + 1]
    alisado = 0.5 * q
    alisado[1:] += 0.25 * q[:-1]
    alisado[:-1] += 0.25 * q[1:]
    alisado[0] += 0.25 * q[0]
    alisado[-1] += 0.25 * q[-1]
    return np.concatenate((alisado, p[ultimo + 1 :]))


def _acima(
    duracoes: NDArray[np.float64], ultimo: int
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """For durations still running: the bin of GRADE each is in, and the share of that bin
    above it (the mass within a bin is uniform), so that "at least this long" is read to the
    second, not at the bin's left edge. Past bin `ultimo` (past every finished duration, where
    the estimate has no mass: its exponential tail takes over), as at the end of that bin: a
    wait longer than any seen says that the last finished ones are not the end, not where
    past them the mass lies; placed there by the estimate, it moved with every minute the
    wait went on (the 95th percentile of the customers' answers from 38 to 87 hours in a
    quarter of an hour)."""
    k = np.searchsorted(GRADE, duracoes, side="right") - 1
    alem = k > ultimo
    k = np.clip(k, 0, ultimo)
    largura = GRADE[k + 1] - GRADE[k]
    with np.errstate(invalid="ignore"):
        parte = np.where(np.isfinite(largura), (GRADE[k + 1] - duracoes) / largura, 1.0)
    return k, np.where(alem, 1e-9, np.clip(parte, 1e-9, 1.0))


def _cobrir_acima(
    cobre: NDArray[np.float64], p: NDArray[np.float64], acumulada: NDArray[np.float64],
    k: NDArray[np.int64], parte: NDArray[np.float64],
) -> None:  # fmt: skip
    """EM's weights of durations still running (bins `k`, the share `parte` of each bin above
    them), added to the difference array `cobre`: each spreads over the mass above it, its
    own bin's share of it included."""
    if not k.size:
        return
    resto = acumulada[-1] - acumulada[k + 1]
    peso = 1.0 / np.maximum(parte * p[k] + resto, 1e-300)
    np.add.at(cobre, k, parte * peso)
    np.add.at(cobre, k + 1, (1.0 - parte) * peso)


def desconvoluir(
    vistos: ArrayLike, abertos: ArrayLike, nucleo: NDArray[np.float64], iteracoes: int = 2_000,
    tolerancia: float = 1e-8,
) -> Distribuicao | None:  # fmt: skip
    """The distribution of durations seen through a known blur (on GRADE's bins): `vistos`,
    each the duration plus something that depends on it (a hold recorded when the shop opens,
    after it ended at night: the length recorded, not the true one), with nucleo[i, j] the
    chance of seeing a duration of bin j in bin i; `abertos`, durations still running, at
    least this long (not blurred). The maximum-likelihood mixture over the bins, by EM. None
    without anything seen."""
    vistos = np.asarray(vistos, dtype=np.float64)
    vistos = vistos[np.isfinite(vistos)]
    abertos_ = np.asarray(abertos, dtype=np.float64)
    abertos_ = np.maximum(abertos_[np.isfinite(abertos_)], 0.0)
    if vistos.size == 0:
        return None
    bins = GRADE.size - 1
    contagem = np.bincount(np.clip(np.searchsorted(GRADE, vistos, side="left") - 1, 0, bins - 1),
                           minlength=bins).astype(np.float64)  # fmt: skip
    if not (contagem * nucleo.sum(axis=1)).any():
        return _como_gravadas(vistos, abertos_)
    ultimo = int(np.flatnonzero(contagem).max())  # a true length is at most as recorded
    correndo, acima = _acima(abertos_, ultimo)
    n = float(vistos.size + abertos_.size)
    p = _ate_o_ultimo(np.full(bins, 1.0 / (ultimo + 1)), ultimo)
    for _ in range(iteracoes):
        visto = nucleo @ p
        razao = np.divide(contagem, visto, out=np.zeros(bins), where=visto > 0)
        parte = nucleo.T @ razao
        if correndo.size:  # each running one: somewhere above it
            cobre = np.zeros(bins + 1)
            _cobrir_acima(cobre, p, np.concatenate(([0.0], np.cumsum(p))), correndo, acima)
            parte = parte + np.cumsum(cobre)[:bins]
        novo = _alisar(p * parte / n, ultimo)
        if np.abs(novo - p).max() < tolerancia:
            p = novo
            break
        p = novo
    total = float(p.sum())
    if not total > 0:  # zero or NaN: nothing seen explained after all
        return _como_gravadas(vistos, abertos_)
    return _das_massas(p / total, vistos.size, abertos_.size)


def _como_gravadas(
    vistos: NDArray[np.float64], abertos: NDArray[np.float64]
) -> Distribuicao | None:
    """The lengths as recorded, by Kaplan-Meier: where the blur cannot have made any of them
    (recorded at hours it says nobody works: a history kept under other opening hours), a
    deblurred estimate would rest on the running ones alone, or be NaN."""
    terminou = np.concatenate((np.ones(vistos.size, bool), np.zeros(abertos.size, bool)))
    return ajustar(np.concatenate((vistos, abertos)), terminou)


def _das_massas(p: NDArray[np.float64], eventos: int, censurados: int) -> Distribuicao:
    """A Distribuicao from masses on GRADE's bins (uniform within each), smoothed as
    Kaplan-Meier's (_suavizar: the maximum likelihood puts the mass on a few bins, with gaps
    between them), cut at the 95th percentile, with the tail's mean the mean excess over the
    80th."""
    probs = np.minimum(np.cumsum(p[:-1]), 1.0)  # at the finite right edges
    tempos = GRADE[1:-1]
    # Strictly increasing: a hair of probability across a bin without mass, so that the CDF
    # stays flat there (leaving its edge out laid the next bin's mass over the empty ones: a
    # bin emptied by an answer still awaited moving on spread another's over a day).
    probs = np.maximum.accumulate(probs) + 1e-12 * np.arange(probs.size)
    tempos, probs = _ate_a_cauda(*_suavizar(*_desde_zero(tempos, probs), eventos))
    meio = np.concatenate((0.5 * (GRADE[:-2] + GRADE[1:-1]), [GRADE[-2] * 1.5]))
    limiar = float(np.interp(min(INICIO_EXCESSO, probs[-1]), probs, tempos))
    acima = meio > limiar
    massa = float(p[acima].sum())
    media = float((p[acima] * (meio[acima] - limiar)).sum() / massa) if massa > 0 else 0.0
    return Distribuicao(tempos, probs, max(media, 60.0, 0.1 * limiar), eventos, censurados)


def misturar(a: Distribuicao, b: Distribuicao, peso: float) -> Distribuicao:
    """The mixture peso x a + (1 - peso) x b: its CDF at the knots of both, cut at the 95th
    percentile, and a tail whose mean is the mixture's of theirs."""
    if peso >= 1.0:
        return a
    if peso <= 0.0:
        return b
    # Knots in each one's exponential tail too: between the last knot of a short law and the
    # next of a long one, the mixture was a straight line, and the short one's last 5 % lay
    # spread over hours.
    caudas = np.concatenate([d.quantil(_Q_CAUDAS) for d in (a, b)])
    tempos = np.union1d(np.union1d(a.tempos, b.tempos), caudas)
    probs = peso * a.cdf(tempos) + (1.0 - peso) * b.cdf(tempos)
    crescente = np.concatenate(([True], probs[1:] > probs[:-1]))
    tempos, probs = _ate_a_cauda(tempos[crescente], probs[crescente])
    media = peso * a.media_cauda + (1.0 - peso) * b.media_cauda
    tempos, probs = _desbastar(tempos, probs)
    return Distribuicao(tempos, probs, media, a.eventos + b.eventos, a.censurados + b.censurados)


def _desbastar(
    tempos: NDArray[np.float64], probs: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """At most NOS knots (tens of thousands of distinct durations would make every draw a
    search through them): the quantile function at evenly spaced probabilities, keeping each
    duration's highest probability (a mass at one duration, e.g. at zero, stays a jump)."""
    if tempos.size <= NOS:
        return tempos, probs
    grade = np.linspace(0.0, probs[-1], NOS)
    valores = np.interp(grade, probs, tempos)
    ultimo = np.append(valores[1:] > valores[:-1], True)
    return valores[ultimo], grade[ultimo]


def _media_cauda(
    d: NDArray[np.float64], e: NDArray[np.bool_], tempos: NDArray[np.float64],
    probs: NDArray[np.float64], excesso: float = INICIO_EXCESSO,
) -> float:  # fmt: skip
    """Mean excess over the `excesso` quantile (or the last event time, when censoring keeps
    the CDF below it): exposure beyond it over the events beyond it, each event within a
    RAMPA share of the threshold counted in part (half at it, whole a RAMPA share beyond):
    counted whole or not at all, an event the threshold passed (it moves a little when an
    open order, still running, passes an event time) changed the tail's mean at once, by a
    third where three events lie beyond (a thin history's diagnosis: its tail's mean from 3.5
    to 6.5 hours between two recomputes 2 minutes apart)."""
    limiar = float(np.interp(min(excesso, probs[-1]), probs, tempos))
    acima = d > limiar
    exposicao = float((d[acima] - limiar).sum())
    largura = max(RAMPA * limiar, 1e-9)
    eventos = float(np.clip(0.5 + (d[e] - limiar) / (2 * largura), 0.0, 1.0).sum())
    # Fewer than one event beyond: count one (a conservative, longer tail). A floor of a minute
    # or a tenth of the threshold, so a stage that always takes the same time still has a tail.
    media = exposicao / max(eventos, 1)
    return max(media, 60.0, 0.1 * limiar)
