"""What a form refused without JavaScript had typed, kept on the server over its redirect
(collection `formularios_recusados`): the board's GET that follows shows it again. The cookie
keeps only the key: a diagnosis of 10,000 characters does not fit in a cookie (browsers drop
one past 4 KB, and the text with it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.database import Database

from ..mongo import INT64_MAX, atualizar_indices

COLECAO = "formularios_recusados"
# Gone after an hour if never shown (the browser closed before the redirect's GET).
VALIDADE_S = 3600
INDICES = [
    IndexModel([("criado_em", ASCENDING)], expireAfterSeconds=VALIDADE_S, name="recusados_expiram")
]


class RecusadosRepository:
    def __init__(self, db: Database) -> None:
        self.recusados = db[COLECAO]

    def criar_indices(self) -> None:
        atualizar_indices(self.recusados, INDICES)

    def guardar(self, login: str, sessao: str | None, tipo: str, dados: dict[str, Any]) -> str:
        """Keep what `login` typed in a form of this `tipo`, in place of the last one kept (one
        per signed-in session and kind: a refused POST repeated keeps one document, not one
        each, and the same person refused on a tablet and on a desk each get their own text
        back); the key the session carries to the next GET."""
        chave = f"{login}:{sessao or '-'}:{tipo}"
        self.recusados.replace_one(
            {"_id": chave},
            {"login": login, "dados": _guardavel(dados), "criado_em": datetime.now(UTC)},
            upsert=True,
        )
        return chave

    def retirar(self, chave: object, login: str) -> dict[str, Any] | None:
        """What was kept under `chave` for `login`, removed as it is read (shown once); None
        when it is gone, or another person's."""
        if not isinstance(chave, str):
            return None
        documento = self.recusados.find_one_and_delete({"_id": chave, "login": login})
        return documento["dados"] if documento else None


def _guardavel(valor: Any) -> Any:
    """What was typed as MongoDB keeps it: a number past 64 bits (typed in a number field)
    as the text it was."""
    if isinstance(valor, dict):
        return {k: _guardavel(v) for k, v in valor.items()}
    if isinstance(valor, list | tuple):
        return [_guardavel(v) for v in valor]
    if isinstance(valor, int) and not isinstance(valor, bool) and abs(valor) > INT64_MAX:
        return str(valor)
    return valor
