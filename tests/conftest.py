"""Shared pytest fixtures."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# Repo root on sys.path, so `scripts.localdb` and `webapp` import however pytest is started.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts import localdb  # noqa: E402


@pytest.fixture(scope="session")
def mongodb_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a private single-node replica set (never the dev server on 27018)."""
    base = tmp_path_factory.mktemp("mongodb")
    port = localdb.free_port()
    proc = localdb.start_mongod(port, base / "data", base / "mongod.log")
    try:
        yield localdb.mongo_url(port)
    finally:
        localdb.stop_mongod(proc)


# --- The application on the test server: one fresh database per test ---------------------------

import threading  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Callable  # noqa: E402

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from tests.helpers import Api  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.config import Settings  # noqa: E402


@pytest.fixture
def settings(mongodb_url: str) -> Settings:
    return Settings(
        app_env="test",
        mongodb_url=mongodb_url,
        mongodb_database=f"t_{uuid.uuid4().hex[:16]}",
        secret_key="segredo-de-teste-com-mais-de-32-caracteres",
        log_level="WARNING",
    )


@pytest.fixture
def make_app(settings: Settings) -> Iterator[Callable[..., Flask]]:
    """Build apps on this test's database (several processes' worth, if a test needs them)."""
    apps: list[Flask] = []

    def _make(**overrides: object) -> Flask:
        from dataclasses import replace

        app = create_app(replace(settings, **overrides))
        apps.append(app)
        return app

    yield _make
    for app in apps:  # the change stream threads (webapp.eventos), before their DB goes away
        if "eventos" in app.extensions:
            app.extensions["eventos"].parar()
        if "os_sync" in app.extensions:  # the OS dispatcher threads (webapp.sincronizacao)
            app.extensions["os_sync"].parar()
    if apps:
        mongo = apps[0].extensions["mongo"]
        mongo.client.drop_database(settings.mongodb_database)
    for app in apps:
        app.extensions["mongo"].fechar()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def api(client: FlaskClient, settings: Settings) -> Api:
    """The JSON API as an integration (a token without role) calls it."""
    return Api(client, settings)


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app on a real threaded HTTP server on 127.0.0.1; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


# --- People signed in to the board ----------------------------------------------------------------

from typing import Any  # noqa: E402

from werkzeug.test import TestResponse  # noqa: E402

from tests.helpers import csrf_de  # noqa: E402


@pytest.fixture
def usuarios_demo(app: Flask) -> dict[str, dict[str, Any]]:
    """The demo users (mecanico 101, mecanico2 102, gerente 201) in this test's database:
    {login: {"login", "senha", "nome", "papel", "funcionario_id"}}."""
    from webapp.usuarios import USUARIOS_DEMO, criar_usuarios_demo

    criar_usuarios_demo(app.extensions["mongo"].db)
    return {u["login"]: dict(u) for u in USUARIOS_DEMO}


@pytest.fixture
def entrar() -> Callable[..., TestResponse]:
    """entrar(client, login, senha, next=None): sign in through the real form, CSRF included;
    returns the POST's response (302 when signed in)."""

    def _entrar(
        client: FlaskClient, login: str, senha: str, next: str | None = None
    ) -> TestResponse:
        pagina = client.get("/entrar")
        dados = {"login": login, "senha": senha, "csrf_token": csrf_de(pagina.text)}
        return client.post("/entrar", query_string={"next": next} if next else None, data=dados)

    return _entrar
