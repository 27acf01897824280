"""Sign-in for people on the board: Flask-Login sessions in Flask's signed cookie, CSRF on every
form and htmx request (Flask-WTF; the bearer-token JSON API is exempt), and failed logins throttled
in MongoDB so the limit holds across processes and pods."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, CSRFProtect
from pymongo.database import Database
from pymongo.errors import PyMongoError
from werkzeug.middleware.proxy_fix import ProxyFix
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from . import api, erros, usuarios
from .service import Proibido

MENSAGEM_CSRF = "Sessão expirada ou formulário inválido; recarregue a página."
MENSAGEM_FALHA = "Usuário ou senha incorretos."
MENSAGEM_INATIVO = "Usuário inativo. Procure o gerente da oficina."
MENSAGEM_LIMITE = "Muitas tentativas. Aguarde um minuto e tente novamente."
MENSAGEM_GERENTE = "Apenas gerentes podem acessar esta página."
DURACAO_SESSAO = timedelta(hours=12)  # one shift

bp = Blueprint("sessao", __name__)
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "sessao.entrar"
# Binds the session to the client's address and browser; a copied cookie fails elsewhere.
login_manager.session_protection = "strong"

V = TypeVar("V", bound=Callable[..., Any])


class EntrarForm(FlaskForm):
    login = StringField("Usuário", validators=[DataRequired("Informe o usuário."), Length(max=40)])
    senha = PasswordField("Senha", validators=[DataRequired("Informe a senha."), Length(max=200)])


def _db() -> Database:
    return current_app.extensions["mongo"].db


@login_manager.user_loader
def _carregar(id_sessao: str) -> usuarios.Usuario | None:
    # None for an inactive user or an old stamp: the session simply stops being signed in.
    return usuarios.carregar(_db(), id_sessao)


def destino_seguro(proximo: str | None) -> str:
    """`next` if it is a path on this site, else the board (no open redirect)."""
    if proximo and proximo.startswith("/") and not proximo.startswith(("//", "/\\")):
        partes = urlsplit(proximo)
        if not partes.scheme and not partes.netloc and proximo.isprintable():
            return proximo
    return url_for("board.index")


@login_manager.unauthorized_handler
def _nao_autenticado() -> Response:
    if erros.quer_json():
        return erros.resposta(401, "Sessão encerrada: entre novamente.")
    if request.headers.get("HX-Request"):
        # htmx would swap the login page into a card; make the browser go there instead.
        pagina = urlsplit(request.headers.get("HX-Current-URL", ""))
        proximo = pagina.path + (f"?{pagina.query}" if pagina.query else "")
        resposta = Response(status=401)
        resposta.headers["HX-Redirect"] = url_for("sessao.entrar", next=proximo or None)
        return resposta
    flash("Entre para continuar.")
    proximo = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("sessao.entrar", next=proximo))


def exigir_gerente(view: V) -> V:
    """Login required, and the user must be a manager (or admin); else 403."""

    @wraps(view)
    @login_required
    def envolvida(*args: Any, **kwargs: Any) -> Any:
        if not current_user.e_gerente:
            raise Proibido(MENSAGEM_GERENTE)
        return view(*args, **kwargs)

    return envolvida  # type: ignore[return-value]


@bp.route("/entrar", methods=["GET", "POST"])
def entrar() -> Any:
    proximo = request.args.get("next")
    destino = destino_seguro(proximo)
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(destino)
    form = EntrarForm()
    erro, status = None, 200
    if form.validate_on_submit():
        erro, status = _autenticar(form.login.data, form.senha.data)
        if erro is None:
            return redirect(destino)
    proximo = destino if destino != url_for("board.index") else None
    return render_template("sessao/entrar.html", form=form, erro=erro, proximo=proximo), status


def _autenticar(login: str, senha: str) -> tuple[str | None, int]:
    """Sign in; returns (error message, status) or (None, 200) when signed in."""
    db = _db()
    login = usuarios.normalizar_login(login)
    # Behind a proxy, remote_addr is the client only with ProxyFix (TRUSTED_PROXIES > 0).
    chaves = [f"login:{login}", f"ip:{request.remote_addr}"]
    lote = usuarios.reservar_tentativa(db, chaves)
    if lote is None:
        return MENSAGEM_LIMITE, 429
    usuario = usuarios.autenticar(db, login, senha)
    if usuario is None:
        return MENSAGEM_FALHA, 200  # the reserved attempt stays: it counts as a failure
    usuarios.descartar_tentativa(db, lote)
    if not usuario.ativo:
        return MENSAGEM_INATIVO, 200
    # Flask's session is the signed cookie itself, with no server-side id to rotate. Clearing it
    # and adding a fresh random nonce makes the signed-in cookie share nothing with the one from
    # before (no session fixation) and drops the old CSRF secret, so new tokens are issued.
    session.clear()
    session["nonce"] = secrets.token_urlsafe(16)
    login_user(usuario)
    return None, 200


@bp.post("/sair")
def sair() -> Response:
    logout_user()
    session.clear()
    flash("Você saiu.")
    return redirect(url_for("sessao.entrar"))


def instalar(app: Flask) -> None:
    settings = app.config["SETTINGS"]
    if settings.trusted_proxies > 0:
        # Only then is X-Forwarded-* believed: remote_addr becomes the client's real address.
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.production,
        # Flask refuses a session cookie signed longer ago than this, permanent or not; the cookie
        # is re-signed only when the session changes, so a sign-in lasts about one shift.
        PERMANENT_SESSION_LIFETIME=DURACAO_SESSAO,
        # A board stays open all day: the CSRF token lives as long as the session, not one hour.
        WTF_CSRF_TIME_LIMIT=None,
    )
    csrf.init_app(app)
    csrf.exempt(api.bp)  # bearer tokens, no cookies: CSRF cannot happen there
    # Flask-Login's own context processor would let a database failure break even the error
    # page; this one shows an anonymous header instead.
    login_manager.init_app(app, add_context_processor=False)
    app.register_blueprint(bp)

    @app.context_processor
    def _usuario_atual() -> dict[str, Any]:
        try:
            return {"current_user": current_user._get_current_object()}
        except PyMongoError:
            return {"current_user": login_manager.anonymous_user()}

    @app.errorhandler(CSRFError)
    def _csrf_invalido(erro: CSRFError) -> Response:
        return erros.resposta(400, MENSAGEM_CSRF)
