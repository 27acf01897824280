"""Scoring forecasts against what the simulated shop then did, the same way for the forecast and
for the baselines (and, later, for the forecasts read from the real app's API).

A case is one open order at one snapshot: its p50 and p80, its risk flag, its promise, and when
it really finished. The scores:
- the median absolute error of p50, in working hours, over the cases;
- p80 coverage: the share of cases finished by their p80 (calibrated: about 80 %);
- risk recall, per order: of the orders that finished past their promise and were open at a
  snapshot 2 or more working hours before it, the share flagged at such a snapshot;
- risk precision, per order too: of the orders flagged at a snapshot before their promise, the
  share that did finish past it. This is the shop manager's question, "when the board told me
  an order was at risk, how often was it really late?": the board tells once, when the flag
  turns on (it is pushed then, and the manager calls the customer then), so an order counts
  once however many snapshots showed its flag, and a flag that came and went on an order
  finished in time is a false alarm. Recall counts orders too, so the two are of one unit.
  The share of flagged (order, snapshot) cases that were late is given beside it: it counts
  an order as often as it was open, and late orders stay open longest, so it reads higher.
Cases of orders that never finished in the simulation are left out (and counted).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from webapp.previsao.calendar import Calendario, epoch
from webapp.previsao.domain import ETAPAS, MARCOS, Abertas, Historico
from webapp.previsao.model import estado_aberto, servico_e_pausa

HORA = 3600.0
AVISO_MINIMO_S = 2 * HORA  # a flag counts for recall only this far ahead of the promise
FOLGA_DO_CONSULTOR = 0.25  # the advisor's buffer over the median total


@dataclass(frozen=True)
class Caso:
    instante: datetime  # the snapshot
    ordem: int
    p50: datetime | None  # None: no forecast given
    p80: datetime | None
    em_risco: bool
    promessa: datetime | None
    finalizada_em: datetime | None  # None: not finished by the simulation's end


@dataclass(frozen=True)
class Placar:
    casos: int
    sem_fim: int
    sem_previsao: int
    erro_p50_h: float
    cobertura_p80: float
    atrasadas: int  # late orders that could have been flagged 2 h ahead
    recall: float
    alertas: int  # orders flagged before their promise
    precisao: float
    alertas_fotos: int  # (order, snapshot) cases flagged before the promise
    precisao_fotos: float

    def linha(self, nome: str) -> str:
        return (
            f"| {nome} | {self.erro_p50_h:.1f} h | {100 * self.cobertura_p80:.0f} % | "
            f"{100 * self.recall:.0f} % ({self.atrasadas}) | "
            f"{_pct(self.precisao, self.alertas)} | "
            f"{_pct(self.precisao_fotos, self.alertas_fotos)} |"
        )


def _pct(valor: float, n: int) -> str:
    return f"{100 * valor:.0f} % ({n})" if n else "— (0)"


def pontuar(casos: Sequence[Caso], calendario: Calendario) -> Placar:
    validos = [c for c in casos if c.finalizada_em is not None]
    com = [c for c in validos if c.p50 is not None and c.p80 is not None]
    real = np.array([epoch(c.finalizada_em) for c in com])  # type: ignore[arg-type]
    p50 = np.array([epoch(c.p50) for c in com])  # type: ignore[arg-type]
    p80 = np.array([epoch(c.p80) for c in com])  # type: ignore[arg-type]
    erro = calendario.uteis_entre(np.minimum(p50, real), np.maximum(p50, real)) / HORA
    cobertura = float((real <= p80).mean()) if com else float("nan")

    # Risk, before the promise only: per late order (recall), per flagged order (precision),
    # and per flagged case.
    elegiveis: dict[int, bool] = {}
    sinalizadas: dict[int, bool] = {}  # flagged order -> it was late
    acertos = alertas = 0
    for c in com:
        if c.promessa is None or c.promessa <= c.instante:
            continue
        atrasou = c.finalizada_em > c.promessa  # type: ignore[operator]
        if c.em_risco:
            alertas += 1
            acertos += atrasou
            sinalizadas[c.ordem] = atrasou
        if atrasou and calendario.uteis_entre(c.instante, c.promessa) >= AVISO_MINIMO_S:
            elegiveis[c.ordem] = elegiveis.get(c.ordem, False) or c.em_risco
    return Placar(
        casos=len(casos),
        sem_fim=len(casos) - len(validos),
        sem_previsao=len(validos) - len(com),
        erro_p50_h=float(np.median(erro)) if com else float("nan"),
        cobertura_p80=cobertura,
        atrasadas=len(elegiveis),
        recall=sum(elegiveis.values()) / len(elegiveis) if elegiveis else float("nan"),
        alertas=len(sinalizadas),
        precisao=sum(sinalizadas.values()) / len(sinalizadas) if sinalizadas else float("nan"),
        alertas_fotos=alertas,
        precisao_fotos=acertos / alertas if alertas else float("nan"),
    )


# --- Baselines ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Medianas:
    """From the history: the median working time of each stage (holds excluded) and of the whole
    order (entry to finish, as the customer lives it), per priority rank."""

    etapas: np.ndarray  # (4, 5)
    total: np.ndarray  # (4,)


def medianas(calendario: Calendario, historico: Historico) -> Medianas:
    etapas = np.zeros((4, len(ETAPAS)))
    total = np.zeros(4)
    inst = historico.instantes
    for p in range(4):
        daqui = historico.prioridade == p
        if not daqui.any():
            daqui = np.ones_like(daqui)
        for k in range(len(ETAPAS)):
            servico, _ = servico_e_pausa(
                calendario, inst[daqui, k], inst[daqui, k + 1], historico.pausas[daqui, k]
            )
            etapas[p, k] = np.nanmedian(servico)
        total[p] = np.nanmedian(
            calendario.uteis_entre(inst[daqui, 0], inst[daqui, len(MARCOS) - 1])
        )
    return Medianas(etapas, total)


def casos_do_consultor(
    calendario: Calendario, meds: Medianas, instante: datetime, abertas: Abertas,
    finalizadas: Iterable[datetime | None],
) -> list[Caso]:  # fmt: skip
    """The promise an advisor would type at check-in: the median total plus a buffer (never
    updated)."""
    prazo = meds.total[abertas.prioridade] * (1 + FOLGA_DO_CONSULTOR)
    previsto = calendario.somar(abertas.instantes[:, 0], prazo)
    return _casos(instante, abertas, previsto, previsto, finalizadas)


def casos_das_medianas(
    calendario: Calendario, meds: Medianas, instante: datetime, abertas: Abertas,
    finalizadas: Iterable[datetime | None],
) -> list[Caso]:  # fmt: skip
    """Now + what is left of the current stage's median + the medians of the stages after it,
    ignoring the queue."""
    agora = epoch(instante)
    estado = estado_aberto(calendario, abertas, agora)
    linhas = np.arange(len(abertas))
    por_etapa = meds.etapas[abertas.prioridade]  # (n, 5)
    resto = np.maximum(por_etapa[linhas, estado.etapa] - estado.decorrido, 0.0)
    depois = np.array([por_etapa[i, e + 1 :].sum() for i, e in enumerate(estado.etapa)])
    previsto = calendario.somar(np.full(len(abertas), agora), resto + depois)
    return _casos(instante, abertas, previsto, previsto, finalizadas)


def _casos(
    instante: datetime, abertas: Abertas, p50: np.ndarray, p80: np.ndarray,
    finalizadas: Iterable[datetime | None],
) -> list[Caso]:  # fmt: skip
    from webapp.previsao.calendar import como_datetime

    agora = epoch(instante)
    casos = []
    for i, fim in enumerate(finalizadas):
        promessa = abertas.promessa[i]
        tem = bool(np.isfinite(promessa))
        casos.append(
            Caso(
                instante,
                int(abertas.ordem[i]),
                como_datetime(float(p50[i])),
                como_datetime(float(p80[i])),
                tem and promessa > agora and p80[i] > promessa,
                como_datetime(float(promessa)) if tem else None,
                fim,
            )  # fmt: skip
        )
    return casos
