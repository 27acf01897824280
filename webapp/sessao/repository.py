"""Sign-in state kept in MongoDB, so it holds across processes and pods: failed sign-ins
(collection `tentativas_login`), throttled per login and address and per address; and the open
sessions (collection `sessoes`), which sign-out ends for real (a copied cookie stops working)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from bson import ObjectId
from pymongo import ASCENDING, IndexModel
from pymongo.database import Database

COLECAO = "tentativas_login"
SESSOES = "sessoes"
SESSOES_REVOGAM: tuple[str, ...] = ()  # sessions are opened and deleted, never updated
JANELA = timedelta(minutes=1)
# Failures per minute: for one login from one address (someone guessing a password), and for one
# address whatever the login (a shared tablet signs many people in; a stranger elsewhere can
# never lock a named account out, there is no limit per login alone).
LIMITE_FALHAS = 5
LIMITE_POR_ENDERECO = 30
DURACAO_SESSAO = timedelta(hours=12)  # one shift; the cookie lives as long (auth.py)

INDICES = [
    IndexModel([("chave", ASCENDING), ("em", ASCENDING)], name="tentativas_por_chave"),
    # Housekeeping only: the count itself filters on the last minute, whatever the TTL monitor did.
    IndexModel([("em", ASCENDING)], expireAfterSeconds=600, name="tentativas_expiram"),
]
INDICES_SESSOES = [
    IndexModel([("login", ASCENDING)], name="sessoes_por_login"),
    # Housekeeping only: a session is checked against `expira_em` itself.
    IndexModel([("expira_em", ASCENDING)], expireAfterSeconds=0, name="sessoes_expiram"),
]


def chaves(login: str, endereco: str | None) -> list[tuple[str, int]]:
    """What one sign-in attempt counts against, with each key's limit."""
    return [
        (f"login:{login}|ip:{endereco}", LIMITE_FALHAS),
        (f"ip:{endereco}", LIMITE_POR_ENDERECO),
    ]


class TentativasRepository:
    def __init__(self, db: Database) -> None:
        self.tentativas = db[COLECAO]

    def criar_indices(self) -> None:
        self.tentativas.create_indexes(INDICES)

    def reservar(self, chaves: Iterable[tuple[str, int]]) -> ObjectId | None:
        """Record an attempt under every key, then count: None (nothing recorded) if any key is
        over its limit. Recording before counting keeps parallel guesses from all slipping
        through."""
        lote, agora = ObjectId(), datetime.now(UTC)
        chaves = list(chaves)
        self.tentativas.insert_many([{"chave": c, "em": agora, "lote": lote} for c, _ in chaves])
        desde = agora - JANELA
        for chave, limite in chaves:
            n = self.tentativas.count_documents(
                {"chave": chave, "em": {"$gt": desde}}, limit=limite + 1
            )
            if n > limite:
                self.descartar(lote)
                return None
        return lote

    def descartar(self, lote: ObjectId) -> None:
        """Forget an attempt that did not fail (a right password), so only failures count."""
        self.tentativas.delete_many({"lote": lote})


class SessoesRepository:
    """Open sessions: one document per sign-in, its id in the signed cookie."""

    def __init__(self, db: Database) -> None:
        self.sessoes = db[SESSOES]

    def criar_indices(self) -> None:
        self.sessoes.create_indexes(INDICES_SESSOES)

    def abrir(self, login: str, endereco: str | None, agente: str | None) -> str:
        sid = secrets.token_urlsafe(24)
        agora = datetime.now(UTC)
        self.sessoes.insert_one(
            {
                "_id": sid,
                "login": login,
                "endereco": endereco,
                "agente": (agente or "")[:200],
                "aberta_em": agora,
                "expira_em": agora + DURACAO_SESSAO,
            }
        )
        return sid

    def ativa(self, sid: str) -> bool:
        agora = datetime.now(UTC)
        return self.sessoes.count_documents({"_id": sid, "expira_em": {"$gt": agora}}, limit=1) > 0

    def encerrar(self, sid: str) -> None:
        self.sessoes.delete_one({"_id": sid})

    def encerrar_todas(self, login: str) -> int:
        """Every session of a user (deactivated, password reset): they all stop at once."""
        return self.sessoes.delete_many({"login": login}).deleted_count
