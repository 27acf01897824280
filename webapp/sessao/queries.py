"""Every read of the sign-in state (sessao/repository.py writes): a session still open."""

from __future__ import annotations

from datetime import UTC, datetime

from pymongo.database import Database

from .repository import SESSOES


class SessoesQueries:
    def __init__(self, db: Database) -> None:
        self.sessoes = db[SESSOES]

    def aberta_em(self, sid: str) -> datetime | None:
        """When a session opened (by `_id`), ended or not; None when no longer kept."""
        documento = self.sessoes.find_one({"_id": sid}, {"aberta_em": 1})
        return documento.get("aberta_em") if documento else None

    def ativa(self, sid: str) -> bool:
        """Open and not expired (by `_id`): asked on every signed-in request."""
        agora = datetime.now(UTC)
        return self.sessoes.count_documents({"_id": sid, "expira_em": {"$gt": agora}}, limit=1) > 0
