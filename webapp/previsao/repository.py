"""Every write of the forecast's store: the forecasts (collection `previsoes`) and the recompute's
own document (collection `previsoes_calculo`: the lease, the requests for a recompute).

`previsoes` holds one document per open order that has a forecast (`_id`: the order's `_id`)
and one `estado` document: why there is no number (`motivo`), how many orders are at risk, and
under `calculo.` when the last recompute ran and what it rested on. Forecasts live here, not on
the order, so the queue's change stream is not flooded; an order's document is rewritten only
when what a screen shows moved (previsao.service decides), and the `calculo.` fields, which
change at every recompute, are no change any screen shows (the broker drops them).

`previsoes_calculo` is written every few seconds (the lease) and at every change of the queue
(a request for a recompute): it lives apart, where no screen's change stream looks. The
requests are counted in a document of their own (`pedidos`): the forecast's write transaction
holds the lease's document until it commits, and a change on the board must never wait for it.
Reads live in queries.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DeleteMany, IndexModel, ReplaceOne, ReturnDocument
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from ..mongo import atualizar_indices

PREVISOES = "previsoes"
CALCULO = "previsoes_calculo"
ESTADO = "estado"  # the `_id` of the recompute's summary in `previsoes`
LEASE = "previsao"  # the `_id` of the recompute's own document in `previsoes_calculo`
PEDIDOS = "pedidos"  # the `_id` of the requests' counter there (field `n`)
# Fields of `previsoes` whose updates no screen shows (the last recompute's time and basis).
CAMPOS_INVISIVEIS = ("calculo.",)
# The summary's field a recompute sets when it runs again after the screens said "cálculo
# parado": seen by them, so each draws its forecasts again (PrevisaoService.recalcular).
RETOMADO = "retomado_em"

INDICES = [
    # The orders at risk (the top of /indicadores): only those are indexed.
    IndexModel(
        [("em_risco", ASCENDING), ("promessa", ASCENDING), ("_id", ASCENDING)],
        name="em_risco",
        partialFilterExpression={"em_risco": True},
    ),
]


class PrevisaoRepository:
    def __init__(self, db: Database) -> None:
        self.previsoes = db[PREVISOES]
        self.calculo = db[CALCULO]

    def criar_indices(self) -> None:
        atualizar_indices(self.previsoes, INDICES)

    # --- the forecasts --------------------------------------------------------------------

    def gravar(
        self,
        novas: Mapping[ObjectId, Mapping[str, Any]],
        remover: Iterable[ObjectId],
        estado: Mapping[str, Any],
        calculo: Mapping[str, Any],
        dono: str | None = None,
    ) -> bool:
        """Write the forecasts that changed (`novas`, whole documents), remove those of orders
        no longer open, then the summary: `estado`'s fields as they are, `calculo`'s under
        `calculo.` (each field set on its own, so an update names only `calculo.<field>`).
        Unordered bulk writes: one round trip for all, whatever their number.

        `dono`: only while the lease is still `dono`'s (by the database's clock), all in one
        transaction that first writes the lease's document, so a takeover and these writes
        conflict: a holder that stalled past its lease never overwrites its successor's
        forecasts with older ones. False: the lease was lost, nothing written."""
        fora = list(remover)

        def escrever(sessao: ClientSession | None) -> bool:
            if sessao is not None:
                ainda = self.calculo.update_one(
                    {"_id": LEASE, "dono": dono, "$expr": {"$gt": ["$ate", "$$NOW"]}},
                    {"$inc": {"gravacoes": 1}},
                    session=sessao,
                )
                if not ainda.matched_count:
                    return False
            operacoes: list[Any] = [
                ReplaceOne({"_id": oid}, dict(doc), upsert=True) for oid, doc in novas.items()
            ]
            if fora:
                operacoes.append(DeleteMany({"_id": {"$in": fora}}))
            if operacoes:
                self.previsoes.bulk_write(operacoes, ordered=False, session=sessao)
            campos = {**estado, **{f"calculo.{k}": v for k, v in calculo.items()}}
            self.previsoes.update_one(
                {"_id": ESTADO}, {"$set": campos}, upsert=True, session=sessao
            )
            return True

        if dono is None:
            return escrever(None)
        with self.previsoes.database.client.start_session() as sessao:
            return sessao.with_transaction(escrever)

    # --- the lease: one process computes ----------------------------------------------------

    def tomar(self, dono: str, lease_ms: int) -> dict[str, Any] | None:
        """Take the lease if it is free, expired or already `dono`'s (then renew it): the
        recompute's document, or None when another process holds it. Timed by the database's
        clock ($$NOW), so processes on hosts with skewed clocks agree on when it expires."""
        livre = {
            "_id": LEASE,
            "$or": [
                {"dono": dono},
                {"ate": None},
                {"$expr": {"$lte": ["$ate", "$$NOW"]}},
            ],
        }
        tomado = self.calculo.find_one_and_update(
            livre,
            [{"$set": {"dono": dono, "ate": {"$add": ["$$NOW", lease_ms]}}}],
            return_document=ReturnDocument.AFTER,
        )
        if tomado is None and self._criar():
            return self.tomar(dono, lease_ms)  # the very first time: the document is there now
        return tomado

    def _criar(self) -> bool:
        """The recompute's document, if it does not exist yet: whether it was created now."""
        try:
            resultado = self.calculo.update_one(
                {"_id": LEASE}, {"$setOnInsert": {"dono": None, "ate": None}}, upsert=True
            )
        except DuplicateKeyError:
            return False  # another process created it at the same moment
        return resultado.upserted_id is not None

    def soltar(self, dono: str) -> None:
        """Let go of the lease (a process stopping), so another takes it at once."""
        self.calculo.update_one({"_id": LEASE, "dono": dono}, {"$set": {"dono": None, "ate": None}})

    def apagar_tudo(self) -> None:
        """Forget every forecast (`make bench-previsao-orcamento` starts each run from an
        empty store)."""
        self.previsoes.delete_many({})

    def pedir(self) -> None:
        """Ask the process that computes for a recompute (a change made in another process):
        it sees the counter move at its next turn. Not the lease's document: a write there
        waits while a recompute's transaction holds it, and this runs in a board's request."""
        self.calculo.update_one({"_id": PEDIDOS}, {"$inc": {"n": 1}}, upsert=True)


def documento(
    ordem_servico_id: int,
    p50: datetime,
    p80: datetime,
    em_risco: bool,
    promessa: datetime | None,
    atraso_s: float,
    chance: float,
    escrita_em: datetime,
) -> dict[str, Any]:
    """An order's forecast as stored. `promessa`: the promised time it was computed against
    (a screen shows the risk only while the order still has that promise)."""
    return {
        "ordem_servico_id": ordem_servico_id,
        "p50": p50,
        "p80": p80,
        "em_risco": em_risco,
        "promessa": promessa,
        "atraso_esperado_s": round(atraso_s, 1),
        "chance_atraso": round(chance, 3),
        "escrita_em": escrita_em,
    }
