"""Every read of the link's health (writes: repository.py)."""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from .repository import COLECAO, ID_SAUDE


class LigacaoQueries:
    def __init__(self, db: Database) -> None:
        self.saude = db[COLECAO]

    def saude_atual(self) -> dict[str, Any]:
        """The health document as the dispatchers left it (empty before any attempt)."""
        return self.saude.find_one({"_id": ID_SAUDE}) or {}
