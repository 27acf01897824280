"""Sign-in for people's pages, as infrastructure: Flask-Login sessions in Flask's signed cookie
(who is signed in is the `carregar` create_app gives: sessao/service.py), CSRF on every form and
htmx request (Flask-WTF; the bearer-token JSON API is exempt), what a signed-out request gets,
and the manager-only decorator (`exigir_gerente`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    redirect,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, current_user, login_required
from flask_wtf.csrf import CSRFError, CSRFProtect
from htmx_flask import make_response as htmx_response
from pymongo.errors import PyMongoError

from . import errors
from .errors import ErroHttp
from .proxies import ProxiesConfiaveis
from .settings import Settings
from .urls import caminho_de

MENSAGEM_CSRF = "Sessão expirada ou formulário inválido; recarregue a página."
MENSAGEM_GERENTE = "Apenas gerentes podem acessar esta página."
DURACAO_SESSAO = timedelta(hours=12)  # one shift: the cookie, and the session on the server
SESSAO_ENCERRADA = "Sessão encerrada: entre novamente."
ENTRE_PARA_CONTINUAR = "Entre para continuar."
# A page of the board (a session's) asked with the API's token: the token does not open it.
SO_COM_SESSAO = (
    "Esta página é do quadro: entre com usuário e senha. O token da API vale só na API "
    "(/fila-execucao e GET /indicadores)."
)

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "sessao.entrar"
# No binding of the session to the client's address: Flask-Login reads it from X-Forwarded-For,
# which anyone can forge without a trusted proxy, and a tablet moving from Wi-Fi to 4G would be
# signed out. Sessions are revocable on the server instead (sign-out, deactivation, password).
login_manager.session_protection = None

V = TypeVar("V", bound=Callable[..., Any])
_PORQUE_ENCERROU = "auth.porque_encerrou"  # app.extensions: instalar's `porque_encerrou`


def _dizer_uma_vez(motivo: str) -> None:
    """Flash `motivo` unless a notice of the sign-in page waits already: an ended session's
    stream, its poll and its reload each meet it, and the sign-in page said it two or three
    times (or the reason, then the plain notice of a request that came after it was told).
    Told, the cookie no longer names the ended session: a tablet left signed out never tells
    the next person why this one's ended, nor of any later change to them."""
    if not any(f[0] == "message" for f in session.get("_flashes", [])):
        flash(motivo)
    session.pop("_user_id", None)


def _tinha_sessao() -> bool:
    """Whether this browser had a session: its cookie holds more than the CSRF token the
    sign-in page gives anyone (a session that ended on the server, a sign-out's note), or it
    is one Flask no longer reads (expired: an empty session). Someone who only opened the
    sign-in page was never signed in: "Entre para continuar", not "Sessão encerrada"."""
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return False
    return not session or bool(set(session) - {"csrf_token"})


def _porque_encerrou() -> str | None:
    """What ended this browser's session, when a change to its person did (instalar's
    `porque_encerrou`); None when unknown, or the database cannot say: the plain notice."""
    id_sessao = session.get("_user_id")
    if not isinstance(id_sessao, str):
        return None
    try:
        return current_app.extensions[_PORQUE_ENCERROU](id_sessao)
    except PyMongoError:
        return None


def dizer_por_que_saiu() -> str | None:
    """For a page that says its own signed-out state (an order's page's re-read): why this
    browser's session ended, when a change to its person did; flashed too, once, for the
    sign-in page its link leads to."""
    motivo = _porque_encerrou()
    if motivo:
        _dizer_uma_vez(motivo)
    return motivo


@login_manager.unauthorized_handler
def _nao_autenticado() -> Response:
    # Said as it is, on the sign-in page too: a session that ended (its cookie came: a
    # sign-out elsewhere, a reset, the expiry), or none yet.
    tinha_sessao = _tinha_sessao()
    motivo = (_porque_encerrou() or SESSAO_ENCERRADA) if tinha_sessao else ENTRE_PARA_CONTINUAR
    if errors.quer_json():
        # A token cannot open this page either.
        if errors.com_token():
            return errors.resposta(401, SO_COM_SESSAO)
        return errors.resposta(401, motivo)
    if request.htmx:  # type: ignore[attr-defined]
        if tinha_sessao:  # (none: no cookie is made for it, and nobody to tell)
            _dizer_uma_vez(motivo)
        # htmx would swap the sign-in page into a card; make the browser go there instead.
        proximo = caminho_de(request.htmx.current_url)  # type: ignore[attr-defined]
        return htmx_response("", 401, redirect=url_for("sessao.entrar", next=proximo))
    _dizer_uma_vez(motivo)
    proximo = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("sessao.entrar", next=proximo))


def exigir_gerente(view: V) -> V:
    """Login required, and the user must be a manager (or admin); else 403."""

    @wraps(view)
    @login_required
    def envolvida(*args: Any, **kwargs: Any) -> Any:
        if not current_user.e_gerente:
            raise ErroHttp(403, MENSAGEM_GERENTE)
        return view(*args, **kwargs)

    return envolvida  # type: ignore[return-value]


def instalar(
    app: Flask,
    settings: Settings,
    api: Blueprint,
    carregar: Callable[[str], Any],
    porque_encerrou: Callable[[str], str | None],
) -> None:
    """Sessions (`carregar`: the signed-in user of a session id, or None; `porque_encerrou`:
    why a session id no longer opens, said to the device signed out), CSRF (the
    bearer-token `api` blueprint exempt) and the trusted proxies."""
    app.extensions[_PORQUE_ENCERROU] = porque_encerrou
    # X-Forwarded-* believed only from TRUSTED_PROXY_NETWORKS: remote_addr is then the client's
    # real address; from anyone else those headers are dropped.
    app.wsgi_app = ProxiesConfiaveis(app.wsgi_app, settings.redes_proxies)  # type: ignore[method-assign]
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
    if settings.session_fallbacks:
        # Flask-WTF ignores SECRET_KEY_FALLBACKS; itsdangerous takes a list (newest key last,
        # the one that signs), so boards opened before a key rotation can still post.
        app.config["WTF_CSRF_SECRET_KEY"] = [
            *settings.session_fallbacks,
            settings.session_secret_key,
        ]
    login_manager.user_loader(carregar)
    csrf.init_app(app)
    csrf.exempt(api)  # bearer tokens, no cookies: CSRF cannot happen there
    # Flask-Login's own context processor would let a database failure break even the error
    # page; this one shows an anonymous header instead.
    login_manager.init_app(app, add_context_processor=False)

    @app.context_processor
    def _usuario_atual() -> dict[str, Any]:
        if errors.banco_fora():  # the database is down: an anonymous header, no second wait
            return {"current_user": login_manager.anonymous_user()}
        try:
            return {"current_user": current_user._get_current_object()}
        except PyMongoError:
            return {"current_user": login_manager.anonymous_user()}

    @app.errorhandler(CSRFError)
    def _csrf_invalido(erro: CSRFError) -> Response:
        # The CSRF check runs before the session's: a token sent to a board's form is told
        # what a token opens, not to reload a page it never had.
        if errors.com_token() and not current_user.is_authenticated:
            return errors.resposta(401, SO_COM_SESSAO)
        return errors.resposta(400, MENSAGEM_CSRF)
