"""Every write of the settings' store (reads: queries.py): TV passes (collection `tokens_painel`)
and the columns' soft limits (collection `configuracoes`, document `_id: "quadro"`).

A TV's pass ("passe": its own word, never "token", which is a JWT here) lets a TV open `/painel`
without a user session. It is a random secret shown once,
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
from pymongo.errors import DuplicateKeyError

from ..clock import agora
from ..fila.domain import Status
from ..mongo import atualizar_indices

PASSES = "tokens_painel"  # the collection's name, as stored since the first TV
CONFIGURACOES = "configuracoes"
# The only update of a pass that can close a TV's stream (its last use is noted every minute).
PASSES_REVOGAM = ("revogado_em",)
DOC_QUADRO = "quadro"
# Writing "last used" on every check would be a write per TV per heartbeat; once a minute is plenty.
INTERVALO_ULTIMO_USO = timedelta(minutes=1)

INDICES_PASSES = [
    # Their names as stored (a rename would be a second index on the same keys).
    IndexModel([("hash", ASCENDING)], unique=True, name="token_hash_unico"),
    # The form a pass was created from (NovoPasseForm.pedido): sent again, it creates none.
    IndexModel(
        [("pedido", ASCENDING)],
        unique=True,
        partialFilterExpression={"pedido": {"$type": "string"}},
        name="passe_por_pedido",
    ),
    # /configuracoes: the active passes, newest first, then the latest revoked ones; `_id`
    # orders two made in the same millisecond (a script's) as they were made.
    IndexModel(
        [("revogado_em", DESCENDING), ("criado_em", DESCENDING), ("_id", DESCENDING)],
        name="passes_em_ordem",
    ),
]
# Replaced by passes_em_ordem: tokens_por_data (the active ones only), then
# passes_por_situacao (without `_id`: two passes of one millisecond came in either order).
INDICES_PASSES_OBSOLETOS = ("tokens_por_data", "passes_por_situacao")


class PasseJaCriado(Exception):
    """The form that asked for a pass already created one (the same form sent again): `nome`,
    that pass's name (the form may come back with another typed over it)."""

    def __init__(self, nome: str) -> None:
        super().__init__(nome)
        self.nome = nome


def hash_passe(passe: str) -> str:
    return hashlib.sha256(passe.encode("utf-8")).hexdigest()


class ConfiguracoesRepository:
    def __init__(self, db: Database) -> None:
        self.passes = db[PASSES]
        self.configuracoes = db[CONFIGURACOES]

    def criar_indices(self) -> None:
        atualizar_indices(self.passes, INDICES_PASSES, INDICES_PASSES_OBSOLETOS)

    # --- TV passes ----------------------------------------------------------------------

    def criar_passe(
        self, nome: str, criado_por: str, pedido: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        """A new TV pass: (the secret, shown once; the stored document, without it).
        PasseJaCriado when the form `pedido` already created one (sent again): nothing is."""
        passe = secrets.token_urlsafe(32)
        documento: dict[str, Any] = {
            "nome": nome.strip(),
            "hash": hash_passe(passe),
            "criado_por": criado_por,
            "criado_em": agora(),
            "revogado_em": None,
            "revogado_por": None,
            "ultimo_uso_em": None,
        }
        if pedido is not None:
            documento["pedido"] = pedido
        try:
            resultado = self.passes.insert_one(documento)
        except DuplicateKeyError as erro:
            if "pedido" not in (erro.details or {}).get("keyPattern", {}):
                raise
            criado = self.passes.find_one({"pedido": pedido}, {"nome": 1}) or documento
            raise PasseJaCriado(criado["nome"]) from None
        documento.pop("pedido", None)
        return passe, {**documento, "_id": resultado.inserted_id}

    def anotar_uso(self, passe: dict[str, Any]) -> None:
        """Note a valid pass's use (queries.passe_valido read it), at most once a minute, and
        only on the pass as read: not revoked meanwhile, nor noted by another request."""
        instante, ultimo = agora(), passe.get("ultimo_uso_em")
        if ultimo is not None and instante - ultimo < INTERVALO_ULTIMO_USO:
            return
        self.passes.update_one(
            {"_id": passe["_id"], "revogado_em": None, "ultimo_uso_em": ultimo},
            {"$set": {"ultimo_uso_em": instante}},
        )
        passe["ultimo_uso_em"] = instante

    def revogar_passe(self, passe_id: str, por: str) -> dict[str, Any] | None:
        """Revoke; the revoked document, or None if there is no such active pass."""
        try:
            oid = ObjectId(passe_id)
        except (InvalidId, TypeError):
            return None
        return self.passes.find_one_and_update(
            {"_id": oid, "revogado_em": None},
            {"$set": {"revogado_em": agora(), "revogado_por": por}},
            return_document=ReturnDocument.AFTER,
        )

    # --- column limits --------------------------------------------------------------------

    def salvar_limites(self, limites: dict[str, int | None], por: str, versao: int) -> bool:
        """The four limits, only if they are still at `versao` (False: someone saved since)."""
        valores = {str(s): limites.get(str(s)) for s in Status}
        filtro: dict[str, Any] = {"_id": DOC_QUADRO}
        filtro["versao"] = versao if versao else {"$in": [0, None]}
        try:
            resultado = self.configuracoes.update_one(
                filtro,
                {
                    "$set": {"limites": valores, "atualizado_por": por, "atualizado_em": agora()},
                    "$inc": {"versao": 1},
                },
                upsert=not versao,  # the very first save creates the document
            )
        except DuplicateKeyError:  # the document exists at another version: someone saved
            return False
        return resultado.matched_count == 1 or resultado.upserted_id is not None
