"""MongoDB store of the queue: collection `fila_execucao`, its archive and its indexes.

The store never decides a rule: it turns the domain's requisitos into the filter of ONE
`find_one_and_update`, so a step either happens exactly once or not at all, whatever races.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from .domain import PREENCHIDO, VAZIO, Mudanca, Requisito, UmDe

COLECAO = "fila_execucao"
ARQUIVO = "fila_execucao_arquivo"

# Lists are "most urgent first, then first come first served"; _id breaks ties stably.
ORDEM_FILA = [("prioridade_ordem", ASCENDING), ("dta_criacao", ASCENDING), ("_id", ASCENDING)]

INDICES = [
    IndexModel([("ordem_servico_id", ASCENDING)], unique=True, name="ordem_servico_unica"),
    IndexModel([("status", ASCENDING), *ORDEM_FILA], name="fila_por_status"),
    IndexModel(ORDEM_FILA, name="fila_geral"),
    # The board's "finished today" column and the history pages.
    IndexModel([("status", ASCENDING), ("dta_fim_reparo", DESCENDING)], name="finalizadas"),
]
INDICES_ARQUIVO = [
    IndexModel([("ordem_servico_id", ASCENDING)], name="arquivo_por_os"),
    IndexModel([("removido_em", ASCENDING)], name="arquivo_por_data"),
]


class OrdemJaNaFila(Exception):
    pass


def _condicao(requisito: Requisito) -> Any:
    esperado = requisito.esperado
    if esperado is PREENCHIDO:
        return {"$ne": None}
    if esperado is VAZIO:
        return None  # matches null and missing
    if isinstance(esperado, UmDe):
        return {"$in": list(esperado.valores)}
    return esperado


def filtro(fila_id: ObjectId, requisitos: tuple[Requisito, ...]) -> dict[str, Any]:
    consulta: dict[str, Any] = {"_id": fila_id}
    for requisito in requisitos:
        consulta[requisito.campo] = _condicao(requisito)
    return consulta


class FilaRepository:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.fila = db[COLECAO]
        self.arquivo = db[ARQUIVO]

    def criar_indices(self) -> None:
        self.fila.create_indexes(INDICES)
        self.arquivo.create_indexes(INDICES_ARQUIVO)

    def inserir(self, documento: dict[str, Any]) -> dict[str, Any]:
        try:
            resultado = self.fila.insert_one(documento)
        except DuplicateKeyError:
            raise OrdemJaNaFila from None
        return {**documento, "_id": resultado.inserted_id}

    def obter(self, fila_id: ObjectId) -> dict[str, Any] | None:
        return self.fila.find_one({"_id": fila_id})

    def obter_por_os(self, ordem_servico_id: int) -> dict[str, Any] | None:
        return self.fila.find_one({"ordem_servico_id": ordem_servico_id})

    def listar(self, status: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
        consulta = {"status": status} if status else {}
        cursor = self.fila.find(consulta).sort(ORDEM_FILA).skip(offset).limit(limit)
        return list(cursor)

    def aplicar(self, fila_id: ObjectId, mudanca: Mudanca) -> dict[str, Any] | None:
        """Apply `mudanca` only if its requisitos still hold; the updated item, or None."""
        atualizacao: dict[str, Any] = {"$set": mudanca.campos, "$inc": {"versao": 1}}
        if mudanca.historico:
            atualizacao["$push"] = {"historico": {"$each": mudanca.historico}}
        return self.fila.find_one_and_update(
            filtro(fila_id, mudanca.requisitos),
            atualizacao,
            return_document=ReturnDocument.AFTER,
        )

    def remover(self, fila_id: ObjectId, por: str, agora: datetime) -> dict[str, Any] | None:
        """Delete the item and keep an audit copy, both or neither (a transaction)."""

        def _remover(session: Any) -> dict[str, Any] | None:
            item = self.fila.find_one_and_delete({"_id": fila_id}, session=session)
            if item is None:
                return None
            copia = {**item, "fila_id": item["_id"], "removido_por": por, "removido_em": agora}
            del copia["_id"]
            self.arquivo.insert_one(copia, session=session)
            return item

        with self.db.client.start_session() as session:
            return session.with_transaction(_remover)
