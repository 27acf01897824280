"""Keyset page cursors: where a page of a list ended (written by `cursor`, `cursor_na_fila`,
`cursor_por_instante`, carried in a link), read back as the index ranges "after that row",
each one seek of the list's index (FilaQueries reads them in turn). Each part is checked
against what a cursor of ours can hold: CursorInvalido otherwise, never a query built from an
edited address."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId

from ..clock import em_ms
from .domain import Prioridade, Status
from .fields import ANO_MAXIMO, ANO_MINIMO


def cursor(item: dict[str, Any]) -> str:
    """Where a board column's page ends (the last card's sort key), for the next page."""
    if item.get("status") == Status.FINALIZADA:
        return f"f.{em_ms(item['dta_fim_reparo'])}.{item['_id']}"
    return cursor_na_fila(item)


def cursor_na_fila(item: dict[str, Any]) -> str:
    """Where a page in the queue's order (ORDEM_FILA) ends: an open column's, the API's list."""
    return f"a.{item['prioridade_ordem']}.{em_ms(item['dta_criacao'])}.{item['_id']}"


class CursorInvalido(ValueError):
    """A page cursor that no page of ours produced (edited by hand, or from another column)."""


_ORDENS = frozenset(p.ordem for p in Prioridade)
# The instants a cursor may carry: those of the dates the queue accepts (domain.ANO_*).
_MS_MINIMO = em_ms(datetime(ANO_MINIMO, 1, 1, tzinfo=UTC))
_MS_MAXIMO = em_ms(datetime(ANO_MAXIMO + 1, 1, 1, tzinfo=UTC))


def _numero(texto: str, digitos: int) -> int:
    """A cursor's number as `cursor()` writes it: ASCII digits, no leading zero ("00" is not
    one of ours), bounded before any arithmetic (MongoDB stores 8-byte integers; a 20-digit
    number once became an OverflowError, a 500)."""
    if not (texto.isascii() and texto.isdigit() and len(texto) <= digitos):
        raise CursorInvalido(texto)
    if str(int(texto)) != texto:
        raise CursorInvalido(texto)
    return int(texto)


def _instante(texto: str) -> datetime:
    ms = _numero(texto, 15)
    if not _MS_MINIMO <= ms < _MS_MAXIMO:
        raise CursorInvalido(texto)
    return datetime.fromtimestamp(ms / 1000, UTC)


def _ordem(texto: str) -> int:
    ordem = _numero(texto, 2)
    if ordem not in _ORDENS:
        raise CursorInvalido(texto)
    return ordem


def faixas_apos(cursor: str | None, finalizada: bool) -> list[dict[str, Any]]:
    """ "After this card" of a cursor as index ranges to read in turn ([{}]: from the start,
    without one); CursorInvalido when it is not one of ours (each part checked against what a
    cursor can hold; an empty one too: no page of ours writes it)."""
    if cursor is None:
        return [{}]
    return faixas_finalizadas(cursor) if finalizada else faixas_na_fila(cursor)


def faixas_finalizadas(cursor: str, antes: bool = False) -> list[dict[str, Any]]:
    """ "After this finished order" most recent first (a `cursor()` of one) as two index
    ranges, in that order: the same end, a lower _id; an earlier end. With `antes`, "before
    it": the same end, a higher _id; a later end (read oldest first). Each is one seek of
    finalizadas_do_quadro; their $or is not (MongoDB reads every older row and sorts them: a
    deep page of the history cost the whole history). CursorInvalido when not one."""
    partes = cursor.split(".")
    if len(partes) != 3 or partes[0] != "f":
        raise CursorInvalido(cursor)
    try:
        fim, oid = _instante(partes[1]), ObjectId(partes[2])
    except (InvalidId, TypeError):
        raise CursorInvalido(cursor) from None
    lado = "$gt" if antes else "$lt"
    return [{"dta_fim_reparo": fim, "_id": {lado: oid}}, {"dta_fim_reparo": {lado: fim}}]


def faixas_na_fila(cursor: str) -> list[dict[str, Any]]:
    """ "After this item" in the queue's order (a cursor_na_fila) as three index ranges, in
    that order: the same priority and creation, a later _id; the same priority, created later;
    a later priority. Each is one seek of an index in ORDEM_FILA (their $or is not: MongoDB
    scans from the column's start and filters)."""
    partes = cursor.split(".")
    if len(partes) != 4 or partes[0] != "a":
        raise CursorInvalido(cursor)
    try:
        ordem, criacao, oid = _ordem(partes[1]), _instante(partes[2]), ObjectId(partes[3])
    except (InvalidId, TypeError):
        raise CursorInvalido(cursor) from None
    return [
        {"prioridade_ordem": ordem, "dta_criacao": criacao, "_id": {"$gt": oid}},
        {"prioridade_ordem": ordem, "dta_criacao": {"$gt": criacao}},
        {"prioridade_ordem": {"$gt": ordem}},
    ]


def cursor_por_instante(instante: datetime, oid: ObjectId) -> str:
    """Where a page of a list sorted by (an instant, _id) ends, for the next page."""
    return f"{em_ms(instante)}.{oid}"


def apos_instante(cursor: str | None, campo: str) -> dict[str, Any] | None:
    """The keyset condition "after this row" of a list sorted by (`campo`, _id), both
    ascending; None without a cursor, CursorInvalido when it is not one of cursor_por_instante
    (an empty one too)."""
    if cursor is None:
        return None
    partes = cursor.split(".")
    if len(partes) != 2:
        raise CursorInvalido(cursor)
    try:
        instante, oid = _instante(partes[0]), ObjectId(partes[1])
    except (InvalidId, TypeError):
        raise CursorInvalido(cursor) from None
    return {"$or": [{campo: {"$gt": instante}}, {campo: instante, "_id": {"$gt": oid}}]}
