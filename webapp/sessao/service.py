"""Who is signed in: a session id (Flask-Login's, in the signed cookie) back to its person, while
the account is active, its password unchanged and the session open on the server; and the
limits on guessing a password, the same wherever one is typed (signing in, changing one's own)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypeVar

from ..clock import Clock
from ..components import componente
from ..fila.labels import autor
from ..pessoas import domain as pessoas_domain
from ..pessoas.domain import MuitasTentativas, Usuario
from ..pessoas.queries import PessoasQueries
from .queries import SessoesQueries
from .repository import JANELA, TentativasRepository, chaves

MENSAGEM_LIMITE = "Muitas tentativas. Aguarde um minuto e tente novamente."
MENSAGEM_CONTA = "Muitas tentativas com este usuário. Aguarde {s} s e tente novamente."

T = TypeVar("T")


def conferir_senha(
    login: str,
    endereco: str | None,
    conferir: Callable[[], T | None],
    dispositivo_conhecido: bool = False,
) -> T | None:
    """`conferir()` (a password check: what it found, None when wrong) within the limits: per
    login and address, per address, and the account's growing delay (skipped on a device the
    account already signed in on). A wrong password counts as a failure, a right one clears
    the account's count. MuitasTentativas when over a limit (nothing tried, nothing counted)."""
    tentativas = componente(TentativasRepository)
    # Behind a proxy, the address is the client's only from TRUSTED_PROXY_NETWORKS (proxies.py).
    lote = tentativas.reservar(chaves(login, endereco))
    if lote is None:
        raise MuitasTentativas(MENSAGEM_LIMITE, int(JANELA.total_seconds()))
    if not dispositivo_conhecido:
        espera = tentativas.vez_da_conta(login, endereco)
        if espera:
            tentativas.descartar(lote)  # no password was tried: nothing counts
            raise MuitasTentativas(MENSAGEM_CONTA.format(s=math.ceil(espera)), math.ceil(espera))
    achado = conferir()
    if achado is None:
        return None  # the reserved attempts stay: they count as failures
    tentativas.descartar(lote)
    tentativas.liberar_conta(login)
    return achado


def porque_encerrou(id_sessao: str) -> str | None:
    """Why the session a cookie names no longer opens, when a change ended every session of
    its person (a role, a reset, a deactivation, a new password chosen elsewhere): that
    change, who made it and when. None when the person's stamp still stands (that session
    alone ended: signed out, expired) or nothing tells."""
    partes = pessoas_domain.partes_da_sessao(id_sessao)
    if partes is None:
        return None
    login, carimbo, sid = partes
    pessoas = componente(PessoasQueries)
    usuario = pessoas.obter(login)
    if usuario is None or (usuario.ativo and usuario.documento.get("carimbo") == carimbo):
        return None
    # The first such change since this session opened is what ended it (a later one, or a
    # reactivation since, is none of this device's business).
    aberta_em = componente(SessoesQueries).aberta_em(sid)
    linha = pessoas.fim_das_sessoes(usuario.login, aberta_em) if aberta_em else None
    if linha is None:
        return None
    quem = autor(linha.get("por"), pessoas.nomes_por_login({linha.get("por")}))
    quando = componente(Clock).quando_foi(linha["em"])
    return pessoas_domain.porque_encerrou(linha, quem, quando, usuario.ativo)


def carregar_usuario(id_sessao: str) -> Usuario | None:
    """The signed-in user, or None, which signs the request out (signed out, a session is gone:
    a copied cookie no longer works)."""
    usuario = componente(PessoasQueries).carregar(id_sessao)
    if (
        usuario is None
        or not usuario.sessao
        or not componente(SessoesQueries).ativa(usuario.sessao)
    ):
        return None
    return usuario
