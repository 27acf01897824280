"""Every read of the settings' store (configuracoes/repository.py writes): a TV pass still
valid, the passes' list, the columns' soft limits and their version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from pymongo import DESCENDING
from pymongo.database import Database

from ..fila.domain import Status
from .repository import CONFIGURACOES, DOC_QUADRO, PASSES, hash_passe

# The revoked passes shown: the latest few (a shop revokes a pass per TV replaced, for years).
REVOGADOS_MOSTRADOS = 10
# Active passes are a shop's TVs; a cap only keeps a runaway script from filling the page.
ATIVOS_MOSTRADOS = 200


@dataclass(frozen=True)
class Passes:
    """The passes' list as shown: active first, newest first, then the latest revoked ones;
    `revogados_ocultos` counts the older revoked ones left out."""

    mostrados: list[dict[str, Any]]
    revogados_ocultos: int
    ativos_ocultos: int = 0


class ConfiguracoesQueries:
    def __init__(self, db: Database) -> None:
        self.passes = db[PASSES]
        self.configuracoes = db[CONFIGURACOES]

    def passe_valido(self, passe: str | None) -> dict[str, Any] | None:
        """The active (not revoked) pass for this secret, or None (index token_hash_unico)."""
        if not passe or len(passe) > 200:
            return None
        return self.passes.find_one({"hash": hash_passe(passe), "revogado_em": None})

    def passe_ativo(self, passe_id: ObjectId) -> bool:
        """Still valid? Open TV streams ask this periodically, so a revocation closes them."""
        return self.passes.count_documents({"_id": passe_id, "revogado_em": None}, limit=1) > 0

    def listar_passes(self) -> Passes:
        """A window on the passes (index passes_em_ordem); the hash never leaves the
        database."""
        ativos, ativos_ocultos = self._janela({"revogado_em": None}, ATIVOS_MOSTRADOS)
        revogados, ocultos = self._janela({"revogado_em": {"$ne": None}}, REVOGADOS_MOSTRADOS)
        return Passes(ativos + revogados, ocultos, ativos_ocultos)

    def _janela(self, filtro: dict[str, Any], limite: int) -> tuple[list[dict[str, Any]], int]:
        """The first `limite` passes matching `filtro`, most recently revoked then created
        first, and how many more there are (counted only when the window is full)."""
        ordem = [("revogado_em", DESCENDING), ("criado_em", DESCENDING), ("_id", DESCENDING)]
        passes = list(self.passes.find(filtro, {"hash": 0}).sort(ordem).limit(limite))
        if len(passes) < limite:
            return passes, 0
        return passes, self.passes.count_documents(filtro) - limite

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
