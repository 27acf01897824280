"""Who is signed in: a session id (Flask-Login's, in the signed cookie) back to its person, while
the account is active, its password unchanged and the session open on the server."""

from __future__ import annotations

from ..components import componente
from ..pessoas.domain import Usuario
from ..pessoas.queries import PessoasQueries
from .repository import SessoesRepository


def carregar_usuario(id_sessao: str) -> Usuario | None:
    """The signed-in user, or None, which signs the request out (signed out, a session is gone:
    a copied cookie no longer works)."""
    usuario = componente(PessoasQueries).carregar(id_sessao)
    if (
        usuario is None
        or not usuario.sessao
        or not componente(SessoesRepository).ativa(usuario.sessao)
    ):
        return None
    return usuario
