"""Shared pytest fixtures: a private mongod, one fresh database and app per test, signed-in
people, the app on a real HTTP server."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pymongo import MongoClient
from pymongo.database import Database
from werkzeug.test import TestResponse

# Repo root on sys.path, so `scripts.localdb` and `webapp` import however pytest is started.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts import localdb  # noqa: E402
from tests.helpers import Api, Quadro, servidor_http  # noqa: E402
from tests.paginas import csrf_de  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.broker import Broker  # noqa: E402
from webapp.components import componente  # noqa: E402
from webapp.fila.demo import USUARIOS_DEMO  # noqa: E402
from webapp.mongo import Mongo  # noqa: E402
from webapp.pessoas.repository import PessoasRepository  # noqa: E402
from webapp.previsao.worker import PrevisaoWorker  # noqa: E402
from webapp.settings import Settings  # noqa: E402
from webapp.sincronizacao_os.dispatcher import OsDispatcher  # noqa: E402

pytest_plugins = ["tests.navegador"]  # the browser fixtures (navegador, abrir)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "navegador: drives Debian's Chromium (skipped by `make test-fast`)"
    )


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


def _settings(mongodb_url: str, database: str) -> Settings:
    return Settings(
        app_env="test",
        mongodb_url=mongodb_url,
        mongodb_database=database,
        secret_key="segredo-de-teste-com-mais-de-32-caracteres",
        log_level="WARNING",
        # No forecast computed in the background: a test recomputes when it means to
        # (PrevisaoService.recalcular), or turns the worker on (tests/previsao).
        previsao_thread=False,
    )


def _forma(db: Database) -> dict[str, Any]:
    """A database's collections, their options (a validator a test set) and their indexes
    (names, keys, options)."""
    return {
        c["name"]: (c.get("options"), db[c["name"]].index_information())
        for c in sorted(db.list_collections(), key=lambda c: c["name"])
    }


class Bancos:
    """Test databases, reused: creating a database's collections and indexes and dropping it
    again cost ~0.2 s a test. A database a test leaves with the app's own collections and
    indexes is emptied and handed to a later test; any other is dropped."""

    def __init__(self, mongodb_url: str) -> None:
        self.mongodb_url = mongodb_url
        self.livres: list[str] = []
        referencia = create_app(_settings(mongodb_url, f"t_{uuid.uuid4().hex[:16]}"))
        mongo = componente(Mongo, referencia)
        self.forma = _forma(mongo.db)  # what create_app makes of an empty database
        mongo.client.drop_database(mongo.db.name)
        mongo.fechar()

    def tomar(self) -> str:
        return self.livres.pop() if self.livres else f"t_{uuid.uuid4().hex[:16]}"

    def devolver(self, client: MongoClient, nome: str) -> None:
        db = client[nome]
        if _forma(db) != self.forma:
            client.drop_database(nome)
            return
        for colecao in self.forma:
            db[colecao].delete_many({})
        self.livres.append(nome)


@pytest.fixture(scope="session")
def bancos(mongodb_url: str) -> Bancos:
    return Bancos(mongodb_url)


@pytest.fixture
def settings(bancos: Bancos) -> Settings:
    return _settings(bancos.mongodb_url, bancos.tomar())


@pytest.fixture
def make_app(settings: Settings, bancos: Bancos) -> Iterator[Callable[..., Flask]]:
    """Build apps on this test's database (several processes' worth, if a test needs them)."""
    apps: list[Flask] = []

    def _make(**overrides: object) -> Flask:
        app = create_app(replace(settings, **overrides))
        apps.append(app)
        return app

    yield _make
    for app in apps:  # the change stream and OS dispatcher threads, before their DB goes away
        # Streams still open on a stopped test server end now, as on SIGTERM, instead of
        # polling a closed client from their orphaned threads.
        componente(Broker, app).encerrar()
        componente(Broker, app).parar()
        componente(OsDispatcher, app).parar()
        componente(PrevisaoWorker, app).parar()
    if apps:
        bancos.devolver(componente(Mongo, apps[0]).client, settings.mongodb_database)
    for app in apps:
        componente(Mongo, app).fechar()


@pytest.fixture
def app(make_app: Callable[..., Flask], request: pytest.FixtureRequest) -> Flask:
    # A test that asks for `rapido` gets this app with beats every 0.2 s (SSE_BATIDA_MS=200).
    return make_app(sse_batida_ms=200) if "rapido" in request.fixturenames else make_app()


@pytest.fixture
def rapido(app: Flask) -> Flask:
    """The test's app with heartbeats every 0.2 s, so streams notice a closed client or a
    revoked token quickly (and a test's reader stops at once instead of waiting for a beat)."""
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def api(client: FlaskClient, settings: Settings) -> Api:
    """The JSON API as an integration (a token without role) calls it."""
    return Api(client, settings)


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The test's app on a real HTTP server (see servidor_http for other apps)."""
    with servidor_http(app) as url:
        yield url


@pytest.fixture
def usuarios_demo(app: Flask) -> dict[str, dict[str, Any]]:
    """The demo users (mecanico 101, mecanico2 102, gerente 201) in this test's database:
    {login: {"login", "senha", "nome", "papel", "funcionario_id"}}."""
    componente(PessoasRepository, app).criar_se_faltam(USUARIOS_DEMO)
    return {u["login"]: dict(u) for u in USUARIOS_DEMO}


@pytest.fixture
def pessoas(app: Flask, usuarios_demo, entrar) -> dict[str, Quadro]:
    """The demo's mechanic and manager signed in on the board: {"mecanico": ..., "gerente": ...}."""
    quadros = {}
    for login in ("mecanico", "gerente"):
        client = app.test_client()
        assert entrar(client, login, usuarios_demo[login]["senha"]).status_code == 302
        quadros[login] = Quadro(client)
    return quadros


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
