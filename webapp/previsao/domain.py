"""What the forecast takes and gives, as plain data: numpy arrays in, dataclasses out.

Positional on purpose, so this package needs nothing from the rest of the app (the caller maps
its codes once):
- a priority is its rank, 0 = URGENTE .. 3 = BAIXA (the board's order);
- the stages are ETAPAS, in the workflow's order (the queue's stages and the indicators'
  intervals, in that same order);
- the instants of an order are the columns MARCOS, as epoch seconds (UTC), NaN when not
  reached; `de_registros` builds the arrays from records that use the stored field names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .calendar import como_datetime, epoch

PRIORIDADES = 4  # ranks 0 (URGENTE) .. 3 (BAIXA)

ESPERA_DIAGNOSTICO, DIAGNOSTICO, ESPERA_APROVACAO, ESPERA_REPARO, REPARO = range(5)
ETAPAS = ("espera_diagnostico", "diagnostico", "espera_aprovacao", "espera_reparo", "reparo")
# Stage k runs from MARCOS[k] to MARCOS[k + 1].
MARCOS = (
    "dta_criacao",
    "dta_inicio_diagnostico",
    "dta_fim_diagnostico",
    "dta_aprovacao_orcamento",
    "dta_inicio_reparo",
    "dta_fim_reparo",
)
CRIACAO, FIM = 0, 5


def _instante(valor: datetime | float | None) -> float:
    if valor is None:
        return np.nan
    return epoch(valor) if isinstance(valor, datetime) else float(valor)


def _marcos(registros: Sequence[Mapping[str, Any]]) -> NDArray[np.float64]:
    return np.array(
        [[_instante(r.get(m)) for m in MARCOS] for r in registros], dtype=np.float64
    ).reshape(len(registros), len(MARCOS))


def _pausas(registros: Sequence[Mapping[str, Any]]) -> NDArray[np.float64]:
    linhas = [
        list(r.get("pausas") or ()) + [0.0] * (len(ETAPAS) - len(r.get("pausas") or ()))
        for r in registros
    ]
    return np.nan_to_num(np.array(linhas, dtype=np.float64).reshape(len(registros), len(ETAPAS)))


@dataclass(frozen=True)
class Historico:
    """Finished orders: priority rank (n,), instants (n, 6) as MARCOS, and the seconds on hold
    (wall clock, as stored) in each stage (n, 5) as ETAPAS."""

    prioridade: NDArray[np.int8]
    instantes: NDArray[np.float64]
    pausas: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.prioridade.size)

    @classmethod
    def de_registros(cls, registros: Iterable[Mapping[str, Any]]) -> Historico:
        """From records with `prioridade` (rank), the MARCOS fields (datetimes or epoch seconds)
        and `pausas` (seconds on hold per stage, as ETAPAS)."""
        lista = list(registros)
        return cls(
            np.array([r["prioridade"] for r in lista], dtype=np.int8),
            _marcos(lista),
            _pausas(lista),
        )


@dataclass(frozen=True)
class Abertas:
    """The open orders now: the OS number (n,) (it keys each order's random numbers, so a
    forecast moves only when its order or the queue does), priority rank, instants (n, 6) as
    MARCOS (the end NaN), seconds on hold that ENDED in each stage (n, 5), since when an
    order is on hold now (NaN if not), its mechanic (-1 if none), its promised time (NaN if
    none)."""

    ordem: NDArray[np.int64]
    prioridade: NDArray[np.int8]
    instantes: NDArray[np.float64]
    pausas: NDArray[np.float64]
    pausa_desde: NDArray[np.float64]
    mecanico: NDArray[np.int64]
    promessa: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.ordem.size)

    @property
    def etapa(self) -> NDArray[np.int8]:
        """Each order's stage: the last instant reached (holes are read as reached)."""
        alcancado = np.isfinite(self.instantes[:, 1:FIM])
        # The furthest reached: a repair started is stage REPARO even if approval is missing.
        ultimo = np.where(alcancado.any(axis=1), FIM - 1 - np.argmax(alcancado[:, ::-1], axis=1), 0)
        return ultimo.astype(np.int8)

    @classmethod
    def de_registros(cls, registros: Iterable[Mapping[str, Any]]) -> Abertas:
        """From records with `ordem_servico_id`, `prioridade` (rank), the MARCOS fields,
        `pausas` (per stage, as ETAPAS), `pausa_desde`, `mecanico_responsavel_id` and
        `previsao_entrega` (those three may be missing or None)."""
        lista = list(registros)
        return cls(
            np.array([r["ordem_servico_id"] for r in lista], dtype=np.int64),
            np.array([r["prioridade"] for r in lista], dtype=np.int8),
            _marcos(lista),
            _pausas(lista),
            np.array([_instante(r.get("pausa_desde")) for r in lista], dtype=np.float64),
            np.array([r.get("mecanico_responsavel_id") or -1 for r in lista], dtype=np.int64),
            np.array([_instante(r.get("previsao_entrega")) for r in lista], dtype=np.float64),
        )


@dataclass(frozen=True)
class Previsao:
    """One open order's forecast. `p50`/`p80`: half, and 8 in 10, of the simulated runs finish
    by then. `em_risco`: its p80 passes a promise still ahead. `atraso_esperado_s`: the mean
    working seconds past the promise over the runs (0 when none or no promise);
    `chance_atraso`: the share of runs that finish after it. `a_frente`: orders waiting for a
    mechanic ahead of it in the board's order."""

    ordem_servico_id: int
    p50: datetime
    p80: datetime
    em_risco: bool
    atraso_esperado_s: float
    chance_atraso: float
    a_frente: int


@dataclass(frozen=True)
class Resultado:
    """A recompute: when, on what (finished orders used, mechanics at work), and the forecast of
    each open order; `motivo` (and no forecasts) when no honest number can be given."""

    calculada_em: datetime
    base_ordens: int
    mecanicos: int
    previsoes: tuple[Previsao, ...]
    motivo: str | None = None
    execucoes: int = 0  # Monte Carlo runs made
    simulacoes: int = 0  # times the shop was simulated (the slots doubled in between)

    def por_ordem(self) -> dict[int, Previsao]:
        return {p.ordem_servico_id: p for p in self.previsoes}


SEM_HISTORICO = "sem histórico suficiente"
# Active in /pessoas: a deactivated mechanic may still hold cars ("Em serviço: Marcos 2").
SEM_MECANICOS = "nenhum mecânico ativo"
PARADA = "cálculo parado"  # the last recompute is too old to show (previsao.queries.Estado)
# The history's diagnoses and repairs fall almost wholly outside HORARIO_FUNCIONAMENTO (e.g. the
# shop's hours set to Saturdays only): learned in working time, every stage would be nearly 0
# and every finish months away. A setting to check, not a number to show.
FORA_DO_HORARIO = "histórico fora do horário de funcionamento"


def previsoes(
    abertas: Abertas,
    p50: NDArray[np.float64],
    p80: NDArray[np.float64],
    em_risco: NDArray[np.bool_],
    atraso: NDArray[np.float64],
    chance: NDArray[np.float64],
    a_frente: NDArray[np.int64],
) -> tuple[Previsao, ...]:
    return tuple(
        Previsao(
            int(o),
            como_datetime(float(a)),
            como_datetime(float(b)),
            bool(r),
            float(s),
            float(c),
            int(f),
        )  # fmt: skip
        for o, a, b, r, s, c, f in zip(
            abertas.ordem, p50, p80, em_risco, atraso, chance, a_frente, strict=True
        )
    )
