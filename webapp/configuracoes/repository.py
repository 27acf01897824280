"""The settings' store: display tokens (collection `tokens_painel`) and the columns' soft limits
(collection `configuracoes`, document `_id: "quadro"`).

A display token lets a TV open `/painel` without a user session. It is a random secret shown once,
at creation; the database keeps only its SHA-256, so a copy of the database opens no TV.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.database import Database

from ..clock import agora
from ..fila.domain import Status

TOKENS = "tokens_painel"
CONFIGURACOES = "configuracoes"
# The only update of a token that can close a TV's stream (its last use is noted every minute).
TOKENS_REVOGAM = ("revogado_em",)
DOC_QUADRO = "quadro"
# Writing "last used" on every check would be a write per TV per heartbeat; once a minute is plenty.
INTERVALO_ULTIMO_USO = timedelta(minutes=1)

INDICES_TOKENS = [
    IndexModel([("hash", ASCENDING)], unique=True, name="token_hash_unico"),
    IndexModel([("criado_em", DESCENDING)], name="tokens_por_data"),
]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ConfiguracoesRepository:
    def __init__(self, db: Database) -> None:
        self.tokens = db[TOKENS]
        self.configuracoes = db[CONFIGURACOES]

    def criar_indices(self) -> None:
        self.tokens.create_indexes(INDICES_TOKENS)

    # --- display tokens -------------------------------------------------------------------

    def criar_token(self, nome: str, criado_por: str) -> tuple[str, dict[str, Any]]:
        """A new display token: (the secret, shown once; the stored document, without it)."""
        token = secrets.token_urlsafe(32)
        documento = {
            "nome": nome.strip(),
            "hash": hash_token(token),
            "criado_por": criado_por,
            "criado_em": agora(),
            "revogado_em": None,
            "revogado_por": None,
            "ultimo_uso_em": None,
        }
        resultado = self.tokens.insert_one(documento)
        return token, {**documento, "_id": resultado.inserted_id}

    def verificar_token(self, token: str | None) -> dict[str, Any] | None:
        """The active (not revoked) token document for this secret, or None; notes its use."""
        if not token or len(token) > 200:
            return None
        instante = agora()
        documento = self.tokens.find_one({"hash": hash_token(token), "revogado_em": None})
        if documento is None:
            return None
        ultimo = documento.get("ultimo_uso_em")
        if ultimo is None or instante - ultimo >= INTERVALO_ULTIMO_USO:
            self.tokens.update_one({"_id": documento["_id"]}, {"$set": {"ultimo_uso_em": instante}})
            documento["ultimo_uso_em"] = instante
        return documento

    def token_ativo(self, token_id: ObjectId) -> bool:
        """Still valid? Open TV streams ask this periodically, so a revocation closes them."""
        return self.tokens.count_documents({"_id": token_id, "revogado_em": None}, limit=1) > 0

    def revogar_token(self, token_id: str, por: str) -> dict[str, Any] | None:
        """Revoke; the revoked document, or None if there is no such active token."""
        try:
            oid = ObjectId(token_id)
        except (InvalidId, TypeError):
            return None
        return self.tokens.find_one_and_update(
            {"_id": oid, "revogado_em": None},
            {"$set": {"revogado_em": agora(), "revogado_por": por}},
            return_document=ReturnDocument.AFTER,
        )

    def listar_tokens(self) -> list[dict[str, Any]]:
        """Active tokens first, newest first; the hash never leaves the database."""
        tokens = list(self.tokens.find({}, {"hash": 0}).sort([("criado_em", DESCENDING)]))
        return sorted(tokens, key=lambda t: t.get("revogado_em") is not None)

    # --- column limits --------------------------------------------------------------------

    def limites_colunas(self) -> dict[str, int | None]:
        """The soft limit of each column (None: no limit)."""
        documento = self.configuracoes.find_one({"_id": DOC_QUADRO}) or {}
        salvos = documento.get("limites") or {}
        limites: dict[str, int | None] = {}
        for status in Status:
            valor = salvos.get(str(status))
            limites[str(status)] = valor if isinstance(valor, int) and valor > 0 else None
        return limites

    def salvar_limites(self, limites: dict[str, int | None], por: str) -> None:
        valores = {str(s): limites.get(str(s)) for s in Status}
        self.configuracoes.update_one(
            {"_id": DOC_QUADRO},
            {"$set": {"limites": valores, "atualizado_por": por, "atualizado_em": agora()}},
            upsert=True,
        )
