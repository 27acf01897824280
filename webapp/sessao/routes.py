"""Signing in (`/entrar`) and out (`/sair`)."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from ..components import componentes
from ..pessoas.model import normalizar_login
from ..urls import destino_seguro
from .forms import EntrarForm
from .repository import chaves

MENSAGEM_FALHA = "Usuário ou senha incorretos."
MENSAGEM_INATIVO = "Usuário inativo. Procure o gerente da oficina."
MENSAGEM_LIMITE = "Muitas tentativas. Aguarde um minuto e tente novamente."

bp = Blueprint("sessao", __name__)


@bp.route("/entrar", methods=["GET", "POST"])
def entrar() -> Any:
    destino = destino_seguro(request.args.get("next"))
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(destino)
    form = EntrarForm()
    erro, status = None, 200
    if form.validate_on_submit():
        erro, status = _autenticar(form.login.data, form.senha.data)
        if erro is None:
            return redirect(destino)
    proximo = destino if destino != url_for("quadro.index") else None
    return render_template("sessao/entrar.html", form=form, erro=erro, proximo=proximo), status


def _autenticar(login: str, senha: str) -> tuple[str | None, int]:
    """Sign in; returns (error message, status) or (None, 200) when signed in."""
    c = componentes()
    login = normalizar_login(login)
    # Behind a proxy, remote_addr is the client only from TRUSTED_PROXY_NETWORKS (proxies.py).
    lote = c.tentativas.reservar(chaves(login, request.remote_addr))
    if lote is None:
        return MENSAGEM_LIMITE, 429
    usuario = c.pessoas_queries.autenticar(login, senha)
    if usuario is None:
        return MENSAGEM_FALHA, 200  # the reserved attempt stays: it counts as a failure
    c.tentativas.descartar(lote)
    if not usuario.ativo:
        return MENSAGEM_INATIVO, 200
    # Flask's session is the signed cookie itself, with no server-side id to rotate. Clearing it
    # and adding a fresh random nonce makes the signed-in cookie share nothing with the one from
    # before (no session fixation) and drops the old CSRF secret, so new tokens are issued.
    session.clear()
    session["nonce"] = secrets.token_urlsafe(16)
    usuario.sessao = c.sessoes.abrir(login, request.remote_addr, request.user_agent.string)
    login_user(usuario)
    c.pessoas_service.registrar_entrada(usuario, request.remote_addr)  # who, when, from where
    return None, 200


@bp.post("/sair")
def sair() -> Response:
    if current_user.is_authenticated and current_user.sessao:
        componentes().sessoes.encerrar(current_user.sessao)
    logout_user()
    session.clear()
    flash("Você saiu.")
    return redirect(url_for("sessao.entrar"))
