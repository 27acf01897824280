"""Every read of the settings' store (configuracoes/repository.py writes): a TV pass still
valid, the passes' list, the columns' soft limits and their version."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo import DESCENDING
from pymongo.database import Database

from ..fila.domain import Status
from .repository import CONFIGURACOES, DOC_QUADRO, PASSES


class ConfiguracoesQueries:
    def __init__(self, db: Database) -> None:
        self.passes = db[PASSES]
        self.configuracoes = db[CONFIGURACOES]

    def passe_ativo(self, passe_id: ObjectId) -> bool:
        """Still valid? Open TV streams ask this periodically, so a revocation closes them."""
        return self.passes.count_documents({"_id": passe_id, "revogado_em": None}, limit=1) > 0

    def listar_passes(self) -> list[dict[str, Any]]:
        """Active passes first, newest first; the hash never leaves the database."""
        passes = list(self.passes.find({}, {"hash": 0}).sort([("criado_em", DESCENDING)]))
        return sorted(passes, key=lambda t: t.get("revogado_em") is not None)

    def limites_colunas(self) -> dict[str, int | None]:
        """The soft limit of each column (None: no limit)."""
        return self.limites_e_versao()[0]

    def limites_e_versao(self) -> tuple[dict[str, int | None], int]:
        """The limits and how many times they were saved, read together (one document, one
        read): the form carries the version back, so a save made on an older page is refused
        instead of undoing another manager's save; read apart, a save in between would pair
        the old limits with the new version, and the next save would undo it unseen."""
        documento = self.configuracoes.find_one({"_id": DOC_QUADRO}) or {}
        salvos = documento.get("limites") or {}
        limites: dict[str, int | None] = {}
        for status in Status:
            valor = salvos.get(str(status))
            limites[str(status)] = valor if isinstance(valor, int) and valor > 0 else None
        return limites, int(documento.get("versao") or 0)
