"""Every read of the forecast's store (collections and documents: repository.py), each beside the
index that serves it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo.database import Database

from ..clock import agora
from ..fila.cursors import apos_instante
from .domain import PARADA
from .repository import CALCULO, ESTADO, LEASE, PEDIDOS, PREVISOES

# What the screens and the API read of a forecast (cartoes.cards.previsao_do_cartao, the API's
# previsao_conclusao) and of the summary (Estado.de): only these are decoded, on every board's
# GET and every API read.
CAMPOS_MOSTRADOS = dict.fromkeys(
    ("p50", "p80", "em_risco", "promessa", "chance_atraso", "motivo", "calculo"), 1
)


# The recompute runs after every change and at least every PREVISAO_INTERVALO_S: a summary
# older than this many intervals (plus a crashed holder's lease) means it stopped (the process
# that computes is down), and its times, however right they were, would be shown and promised
# as if current: none is shown until it runs again.
INTERVALOS_ATE_PARADA = 3


@dataclass(frozen=True)
class Estado:
    """The last recompute, as a screen and the API read it: why there is no number (`motivo`,
    None when there are forecasts), how many orders are at risk, when it ran and on what (the
    finished orders learned from, the mechanics at work, the window, the minimum history).
    `parada_s`: how old it may be before it counts as stopped (PARADA, read at each use: a
    process's copy outlives the moment it was loaded)."""

    motivo_do_calculo: str | None
    em_risco: int
    calculada_em: datetime | None
    base_ordens: int
    mecanicos: int
    janela_dias: int
    historico_minimo: int
    parada_s: float | None = None

    @property
    def motivo(self) -> str | None:
        """Why no number is shown: the recompute's own reason, or that it stopped."""
        if self.motivo_do_calculo:
            return self.motivo_do_calculo
        return PARADA if self.parada_em(agora()) else None

    def parada_em(self, instante: datetime) -> bool:
        """Whether the last recompute is, at `instante`, too old to be shown (PARADA)."""
        em, prazo = self.calculada_em, self.parada_s
        return em is not None and prazo is not None and instante - em > timedelta(seconds=prazo)

    @property
    def vira_parada_em(self) -> datetime | None:
        """When it turns PARADA by the clock alone: nothing is written then (a stopped recompute
        writes nothing), so a screen's stream says it at that moment (sse.transmitir's
        `virada`). None when it never does: a reason of its own, never computed, no limit."""
        if self.motivo_do_calculo or self.calculada_em is None or self.parada_s is None:
            return None
        return self.calculada_em + timedelta(seconds=self.parada_s)

    @classmethod
    def de(
        cls, documento: Mapping[str, Any] | None, parada_s: float | None = None
    ) -> Estado | None:
        if documento is None:
            return None
        calculo = documento.get("calculo") or {}
        return cls(
            documento.get("motivo"),
            int(documento.get("em_risco") or 0),
            calculo.get("em"),
            int(calculo.get("base_ordens") or 0),
            int(calculo.get("mecanicos") or 0),
            int(calculo.get("janela_dias") or 0),
            int(calculo.get("historico_minimo") or 0),
            parada_s,
        )


@dataclass(frozen=True)
class Previsoes:
    """What one read gives a screen: each order's forecast document by the order's id (as
    text), and the last recompute's summary (None: never computed)."""

    por_ordem: Mapping[str, Mapping[str, Any]]
    estado: Estado | None

    def de(self, fila_id: object) -> Mapping[str, Any] | None:
        """The forecast of one order, None when it has none (or no honest number exists)."""
        if self.estado is None or self.estado.motivo:
            return None
        return self.por_ordem.get(str(fila_id))


NENHUMA = Previsoes({}, None)


class PrevisaoQueries:
    def __init__(self, db: Database, parada_s: float | None = None) -> None:
        """`parada_s`: how old the last recompute may be before its times are no longer shown
        (Estado.motivo); None: never (a caller that only counts or writes)."""
        self.previsoes = db[PREVISOES]
        self.calculo = db[CALCULO]
        self.parada_s = parada_s

    def estado_de(self, documento: Mapping[str, Any] | None) -> Estado | None:
        """The summary document read as Estado (also by this process's copy, previsao.cache)."""
        return Estado.de(documento, self.parada_s)

    def para(self, fila_ids: Iterable[ObjectId]) -> Previsoes:
        """The forecasts of these orders and the summary, in ONE query (the _id index): what a
        board, a TV, a page or the API shows, never a query per card."""
        ids: list[Any] = list(dict.fromkeys(fila_ids))
        por_ordem: dict[str, Mapping[str, Any]] = {}
        estado = None
        consulta = {"_id": {"$in": [*ids, ESTADO]}}
        for documento in self.previsoes.find(consulta, CAMPOS_MOSTRADOS):
            if documento["_id"] == ESTADO:
                estado = self.estado_de(documento)
            else:
                por_ordem[str(documento["_id"])] = documento
        return Previsoes(por_ordem, estado)

    def estado(self) -> Estado | None:
        return self.estado_de(self.previsoes.find_one({"_id": ESTADO}))

    def todas(self) -> Previsoes:
        """Every forecast and the summary, as `para` gives them (one query, the whole
        collection: a process's copy, previsao.cache, loads it when its stream opens)."""
        por_ordem: dict[str, Mapping[str, Any]] = {}
        estado = None
        for documento in self.previsoes.find({}, CAMPOS_MOSTRADOS):
            if documento["_id"] == ESTADO:
                estado = self.estado_de(documento)
            else:
                por_ordem[str(documento["_id"])] = documento
        return Previsoes(por_ordem, estado)

    def em_risco(self, limite: int = 200, depois: str | None = None) -> list[dict[str, Any]]:
        """The orders at risk now, the soonest promise first: the customer to call first
        (index em_risco, partial: only those at risk are in it); after the cursor `depois`
        (cursor_por_instante of the last one read: its promise and _id)."""
        ordem = [("em_risco", 1), ("promessa", 1), ("_id", 1)]
        consulta: dict[str, Any] = {"em_risco": True}
        apos = apos_instante(depois, "promessa")
        if apos is not None:
            consulta.update(apos)
        return list(self.previsoes.find(consulta).sort(ordem).limit(limite))

    def guardadas(self) -> dict[ObjectId, dict[str, Any]]:
        """Every stored order's forecast, what a recompute compares its new one with."""
        campos = {"p50": 1, "p80": 1, "em_risco": 1, "promessa": 1}
        return {d["_id"]: d for d in self.previsoes.find({"_id": {"$ne": ESTADO}}, campos)}

    def calculo_atual(self) -> dict[str, Any] | None:
        """The recompute's own document: who holds the lease, and until when."""
        return self.calculo.find_one({"_id": LEASE})

    def pedidos(self) -> int:
        """How many recomputes were asked for so far (a counter: what matters is it moving).
        With the count a version before kept in the lease's document (`pedidos`), so that during
        a rolling upgrade the requests of web processes not yet upgraded still wake this one.
        One query."""
        total = 0
        for documento in self.calculo.find({"_id": {"$in": [PEDIDOS, LEASE]}}):
            total += int(documento.get("n" if documento["_id"] == PEDIDOS else "pedidos") or 0)
        return total
