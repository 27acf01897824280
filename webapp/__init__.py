"""Application factory of the workshop's execution queue (fila de execução)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Response, request

from . import (
    api,
    board,
    cli,
    configuracoes,
    docs,
    erros,
    eventos,
    logs,
    painel,
    saude,
    sessao,
    sincronizacao,
)
from .config import Settings, load_settings
from .db import Mongo
from .service import FilaService

RAIZ = Path(__file__).resolve().parent.parent
LIMITE_CORPO = 64 * 1024

USAM_BANCO = {"api", "board", "painel", "sessao"}

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def create_app(config: dict[str, Any] | Settings | None = None) -> Flask:
    """Build the app. `config`: a Settings, or overrides of the environment's settings."""
    settings = config if isinstance(config, Settings) else load_settings(overrides=config)
    logs.configurar(settings.log_level)

    app = Flask(
        __name__,
        template_folder=str(RAIZ / "templates"),
        static_folder=str(RAIZ / "static"),
    )
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=LIMITE_CORPO,
        WTF_I18N_ENABLED=False,  # WTForms' own Portuguese messages (formularios.Formulario)
        JSON_SORT_KEYS=False,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    mongo = Mongo(settings)
    app.extensions["mongo"] = mongo
    app.extensions["fila"] = FilaService(mongo.repo)
    mongo.tentar_indices()

    @app.before_request
    def _indices() -> None:
        # A no-op once done; while the database is down it raises and the request gets 503.
        if request.blueprint in USAM_BANCO:
            mongo.garantir_indices()

    logs.instalar(app)
    erros.instalar(app)
    sessao.instalar(app)  # sessions, CSRF, /entrar and /sair
    for blueprint in (saude.bp, api.bp, docs.bp, board.bp, painel.bp):
        app.register_blueprint(blueprint)
    eventos.instalar(app)  # the change stream broker and the board's SSE endpoint
    configuracoes.instalar(app)
    cli.instalar(app)
    sincronizacao.instalar(app)  # delivery of the steps to the OS service (thread + CLI)

    @app.after_request
    def _cabecalhos(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    return app
