"""Every read of the queue, each beside the index that serves it (indexes: repository.INDICES).

Reads never decide a rule and never change anything; they return stored items (dicts) for the
service and for view models that render them without further I/O.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo.collection import Collection
from pymongo.database import Database

from .domain import Status, normalizar_placa
from .repository import COLECAO, ORDEM_FILA

ATIVOS = (Status.AGUARDANDO, Status.EM_DIAGNOSTICO, Status.EM_REPARO)
MAIS_RECENTES = [("dta_fim_reparo", -1), ("_id", -1)]


def filtro_busca(mecanico: int | None = None, q: str = "") -> dict[str, Any]:
    """The board's filters as a query: one mechanic's orders, and/or a plate or OS number."""
    consulta: dict[str, Any] = {}
    if mecanico is not None:
        consulta["mecanico_responsavel_id"] = mecanico
    if q:
        alternativas: list[dict[str, Any]] = []
        placa = normalizar_placa(q)
        if placa:
            alternativas.append({"placa": {"$regex": re.escape(placa)}})
        if q.isascii() and q.isdigit() and len(q) <= 18:
            alternativas.append({"ordem_servico_id": int(q)})
        consulta["$or"] = alternativas or [{"_id": None}]
    return consulta


def cursor(item: dict[str, Any]) -> str:
    """Where a board column's page ends (the last card's sort key), for the next page."""
    if item.get("status") == Status.FINALIZADA:
        return f"f.{_ms(item['dta_fim_reparo'])}.{item['_id']}"
    return f"a.{item['prioridade_ordem']}.{_ms(item['dta_criacao'])}.{item['_id']}"


def _ms(instante: datetime) -> int:
    return int(instante.timestamp() * 1000)


def _apos(cursor: str | None, finalizada: bool) -> dict[str, Any] | None:
    """The keyset condition "after this card" of a cursor; None when absent or malformed."""
    partes = (cursor or "").split(".")
    try:
        if finalizada and len(partes) == 3 and partes[0] == "f":
            fim, oid = datetime.fromtimestamp(int(partes[1]) / 1000, UTC), ObjectId(partes[2])
            return {
                "$or": [
                    {"dta_fim_reparo": {"$lt": fim}},
                    {"dta_fim_reparo": fim, "_id": {"$lt": oid}},
                ]
            }
        if not finalizada and len(partes) == 4 and partes[0] == "a":
            ordem, criacao = int(partes[1]), datetime.fromtimestamp(int(partes[2]) / 1000, UTC)
            oid = ObjectId(partes[3])
            return {
                "$or": [
                    {"prioridade_ordem": {"$gt": ordem}},
                    {"prioridade_ordem": ordem, "dta_criacao": {"$gt": criacao}},
                    {"prioridade_ordem": ordem, "dta_criacao": criacao, "_id": {"$gt": oid}},
                ]
            }
    except (ValueError, OverflowError, InvalidId):
        return None
    return None


class FilaQueries:
    def __init__(self, db: Database) -> None:
        self.fila: Collection = db[COLECAO]

    # --- one item (the _id index; ordem_servico_unica) ---------------------------------------

    def obter(self, fila_id: ObjectId) -> dict[str, Any] | None:
        return self.fila.find_one({"_id": fila_id})

    def obter_por_os(self, ordem_servico_id: int) -> dict[str, Any] | None:
        return self.fila.find_one({"ordem_servico_id": ordem_servico_id})

    # --- lists (fila_por_status; fila_geral) --------------------------------------------------

    def listar(self, status: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
        consulta = {"status": status} if status else {}
        return list(self.fila.find(consulta).sort(ORDEM_FILA).skip(offset).limit(limit))

    def pagina_coluna(
        self,
        status: str,
        filtro: dict[str, Any],
        hoje: datetime,
        depois: str | None = None,
        limite: int = 40,
    ) -> list[dict[str, Any]]:
        """One page of a board column, after the card `depois` (a cursor from `cursor()`).

        Open columns go in queue order (index fila_por_status); FINALIZADA lists today's, most
        recently finished first (index finalizadas). Keyset paging: a page costs the same
        however deep it is."""
        consulta: dict[str, Any] = {"status": status, **filtro}
        if status == Status.FINALIZADA:
            consulta["dta_fim_reparo"] = {"$gte": hoje}
            ordem = MAIS_RECENTES
        else:
            ordem = ORDEM_FILA
        apos = _apos(depois, status == Status.FINALIZADA)
        if apos:
            consulta = {"$and": [consulta, apos]}
        return list(self.fila.find(consulta).sort(ordem).limit(limite))

    def coluna(self, status: str, limite: int, hoje: datetime) -> list[dict[str, Any]]:
        """The first `limite` cards of a column as the TV shows them: FINALIZADA most recent
        first (what the floor wants to see), the others in queue order."""
        return self.pagina_coluna(status, {}, hoje, None, limite)

    def aguardando_ha_mais_tempo(self, limite: int) -> list[dict[str, Any]]:
        """The waiting orders whose stage began first (index por_etapa): the candidates for
        the longest wait, holds excluded by the caller."""
        consulta = {"status": Status.AGUARDANDO}
        return list(self.fila.find(consulta).sort([("etapa_desde", 1), ("_id", 1)]).limit(limite))

    def contagens(self, hoje: datetime) -> dict[str, int]:
        """Cards per column (FINALIZADA: finished since `hoje`), in one aggregation."""
        resultado = {str(s): 0 for s in Status}
        pipeline = [
            {
                "$match": {
                    "$or": [
                        {"status": {"$in": list(ATIVOS)}},
                        {"status": Status.FINALIZADA, "dta_fim_reparo": {"$gte": hoje}},
                    ]
                }
            },
            {"$group": {"_id": "$status", "n": {"$sum": 1}}},
        ]
        for linha in self.fila.aggregate(pipeline):
            resultado[linha["_id"]] = linha["n"]
        return resultado

    def finalizadas_periodo(
        self, de: datetime, ate: datetime, pagina: int, por_pagina: int
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of the orders finished in [de, ate), most recent first; and their total.
        Index: finalizadas."""
        consulta = {"status": Status.FINALIZADA, "dta_fim_reparo": {"$gte": de, "$lt": ate}}
        total = self.fila.count_documents(consulta)
        cursor = (
            self.fila.find(consulta)
            .sort(MAIS_RECENTES)
            .skip((pagina - 1) * por_pagina)
            .limit(por_pagina)
        )
        return list(cursor), total

    def carga_mecanicos(self) -> dict[int, int]:
        """Orders each mechanic has in diagnosis or repair now (index fila_por_status)."""
        pipeline = [
            {"$match": {"status": {"$in": [Status.EM_DIAGNOSTICO, Status.EM_REPARO]}}},
            {"$group": {"_id": "$mecanico_responsavel_id", "n": {"$sum": 1}}},
        ]
        return {d["_id"]: d["n"] for d in self.fila.aggregate(pipeline) if d["_id"] is not None}

    # --- delivery to the OS service (os_sync_pendentes) ----------------------------------------

    def totais_os_sync(self) -> dict[str, int]:
        """Events waiting across the queue, and orders whose head event failed for good."""
        pipeline = [
            {"$match": {"os_sync.pendentes": {"$gt": 0}}},
            {
                "$group": {
                    "_id": None,
                    "pendentes": {"$sum": "$os_sync.pendentes"},
                    "falhas": {"$sum": {"$cond": ["$os_sync.falhou", 1, 0]}},
                }
            },
        ]
        return next(self.fila.aggregate(pipeline), {"pendentes": 0, "falhas": 0})

    def ha_envio_possivel(self) -> bool:
        """Whether some order still has an event that can be sent (not held by a failure)."""
        consulta = {"os_sync.pendentes": {"$gt": 0}, "os_sync.falhou": {"$ne": True}}
        return self.fila.find_one(consulta, {"_id": 1}) is not None
