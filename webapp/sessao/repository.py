"""Failed sign-ins (collection `tentativas_login`): at most LIMITE_FALHAS per JANELA per key (a
login, a client address), kept in MongoDB so the limit holds across processes and pods."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from bson import ObjectId
from pymongo import ASCENDING, IndexModel
from pymongo.database import Database

COLECAO = "tentativas_login"
LIMITE_FALHAS = 5
JANELA = timedelta(minutes=1)

INDICES = [
    IndexModel([("chave", ASCENDING), ("em", ASCENDING)], name="tentativas_por_chave"),
    # Housekeeping only: the count itself filters on the last minute, whatever the TTL monitor did.
    IndexModel([("em", ASCENDING)], expireAfterSeconds=600, name="tentativas_expiram"),
]


class TentativasRepository:
    def __init__(self, db: Database) -> None:
        self.tentativas = db[COLECAO]

    def criar_indices(self) -> None:
        self.tentativas.create_indexes(INDICES)

    def reservar(self, chaves: Iterable[str]) -> ObjectId | None:
        """Record an attempt under every key, then count: None (nothing recorded) if any key is
        over the limit. Recording before counting keeps parallel guesses from all slipping
        through."""
        lote, agora = ObjectId(), datetime.now(UTC)
        chaves = list(chaves)
        self.tentativas.insert_many([{"chave": c, "em": agora, "lote": lote} for c in chaves])
        desde = agora - JANELA
        for chave in chaves:
            n = self.tentativas.count_documents(
                {"chave": chave, "em": {"$gt": desde}}, limit=LIMITE_FALHAS + 1
            )
            if n > LIMITE_FALHAS:
                self.descartar(lote)
                return None
        return lote

    def descartar(self, lote: ObjectId) -> None:
        """Forget an attempt that did not fail (a right password), so only failures count."""
        self.tentativas.delete_many({"lote": lote})
