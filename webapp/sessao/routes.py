"""Signing in (`/entrar`) and out (`/sair`)."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from itsdangerous import BadData, URLSafeTimedSerializer

from ..components import componente
from ..pessoas.domain import MuitasTentativas, normalizar_login
from ..pessoas.queries import PessoasQueries
from ..pessoas.service import PessoasService
from ..settings import Settings
from ..urls import destino_seguro
from .forms import EntrarForm
from .repository import SessoesRepository
from .service import conferir_senha

MENSAGEM_FALHA = "Usuário ou senha incorretos."
MENSAGEM_INATIVO = "Usuário inativo. Procure o gerente da oficina."
# A device this account already signed in on (a signed cookie, only for /entrar) skips the
# account's delay: a stranger guessing elsewhere slows new devices down, never the usual ones.
COOKIE_DISPOSITIVO = "dispositivo"
VALIDADE_DISPOSITIVO_S = 90 * 86_400
MAXIMO_CONTAS_POR_DISPOSITIVO = 30  # a shared tablet signs in many mechanics

bp = Blueprint("sessao", __name__)


@bp.route("/entrar", methods=["GET", "POST"])
def entrar() -> Any:
    destino = destino_seguro(request.args.get("next"))
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(destino)
    form = EntrarForm()
    # A POST its fields refuse (empty, too long) is a 400, its messages beside the fields.
    erro, status, espera = None, 400 if request.method == "POST" else 200, None
    if form.validate_on_submit():
        erro, status, espera = _autenticar(form.login.data, form.senha.data)
        if erro is None:
            resposta = redirect(destino)
            _lembrar_dispositivo(resposta, normalizar_login(form.login.data))
            return resposta
    proximo = destino if destino != url_for("quadro.index") else None
    pagina = render_template("sessao/entrar.html", form=form, erro=erro, proximo=proximo)
    return pagina, status, ({"Retry-After": str(espera)} if espera else {})


def _assinador() -> URLSafeTimedSerializer:
    # The key that signs sessions (Flask's SECRET_KEY).
    chave = componente(Settings).session_secret_key
    return URLSafeTimedSerializer(chave, salt="dispositivo-conhecido")


def _contas_do_dispositivo() -> list[str]:
    bruto = request.cookies.get(COOKIE_DISPOSITIVO)
    if not bruto:
        return []
    try:
        contas = _assinador().loads(bruto, max_age=VALIDADE_DISPOSITIVO_S)
    except BadData:
        return []
    return [c for c in contas if isinstance(c, str)] if isinstance(contas, list) else []


def _lembrar_dispositivo(resposta: Response, login: str) -> None:
    contas = [login, *(c for c in _contas_do_dispositivo() if c != login)]
    resposta.set_cookie(
        COOKIE_DISPOSITIVO,
        _assinador().dumps(contas[:MAXIMO_CONTAS_POR_DISPOSITIVO]),
        max_age=VALIDADE_DISPOSITIVO_S,
        path=url_for("sessao.entrar"),
        httponly=True,
        samesite="Lax",
        secure=componente(Settings).production,
    )


def _autenticar(login: str, senha: str) -> tuple[str | None, int, int | None]:
    """Sign in; returns (error message, status, seconds to wait) or (None, 200, None) when
    signed in."""
    login = normalizar_login(login)
    try:
        usuario = conferir_senha(
            login,
            request.remote_addr,
            lambda: componente(PessoasQueries).autenticar(login, senha),
            dispositivo_conhecido=login in _contas_do_dispositivo(),
        )
    except MuitasTentativas as recusa:
        return str(recusa), 429, recusa.espera_s
    if usuario is None:
        return MENSAGEM_FALHA, 200, None
    if not usuario.ativo:
        return MENSAGEM_INATIVO, 200, None
    # Flask's session is the signed cookie itself, with no server-side id to rotate. Clearing it
    # and adding a fresh random nonce makes the signed-in cookie share nothing with the one from
    # before (no session fixation) and drops the old CSRF secret, so new tokens are issued.
    session.clear()
    session["nonce"] = secrets.token_urlsafe(16)
    usuario.sessao = componente(SessoesRepository).abrir(
        login, request.remote_addr, request.user_agent.string
    )
    login_user(usuario)
    # Who, when, from where.
    componente(PessoasService).registrar_entrada(usuario, request.remote_addr)
    return None, 200, None


@bp.post("/sair")
def sair() -> Response:
    if current_user.is_authenticated and current_user.sessao:
        componente(SessoesRepository).encerrar(current_user.sessao)
    logout_user()
    session.clear()
    flash("Você saiu.")
    return redirect(url_for("sessao.entrar"))
