"""Small helpers for calling the API in tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server
from werkzeug.test import TestResponse

from tests.paginas import csrf_de
from webapp.settings import Settings
from webapp.tokens import emitir

# The claim that makes a role-less token a service token (the shop's auth service sets it).
TOKEN_SERVICO = {"tipo_token": "servico_interno"}


class Api:
    """The JSON API with a bearer token (by default an integration's: a service token with no
    role, `tipo_token: servico_interno`)."""

    def __init__(self, client: FlaskClient, settings: Settings, role: str | None = None) -> None:
        self.client = client
        self.settings = settings
        extra = None if role else TOKEN_SERVICO
        self.token = emitir(settings, f"teste-{role or 'servico'}", role=role, extra=extra)

    def como(self, role: str | None) -> Api:
        return Api(self.client, self.settings, role)

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, path: str, **kw: Any) -> TestResponse:
        return self.client.get(path, headers=self.headers(kw.pop("headers", None)), **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> TestResponse:
        return self.client.post(
            path, json=json, headers=self.headers(kw.pop("headers", None)), **kw
        )

    def patch(self, path: str, json: Any = None, **kw: Any) -> TestResponse:
        return self.client.patch(
            path, json=json, headers=self.headers(kw.pop("headers", None)), **kw
        )

    def delete(self, path: str, **kw: Any) -> TestResponse:
        return self.client.delete(path, headers=self.headers(kw.pop("headers", None)), **kw)

    # --- shortcuts for the workflow ---

    def criar(self, os_id: int, prioridade: str | None = None, **extras: Any) -> dict[str, Any]:
        corpo: dict[str, Any] = {"ordem_servico_id": os_id, **extras}
        if prioridade:
            corpo["prioridade"] = prioridade
        r = self.post("/fila-execucao", json=corpo)
        assert r.status_code == 201, r.json
        return r.json

    def passo(self, fila_id: str, nome: str, json: Any = None) -> TestResponse:
        return self.post(f"/fila-execucao/{fila_id}/{nome}", json=json)

    def levar_ate(self, fila_id: str, etapa: str) -> dict[str, Any]:
        """Drive an item through the flow up to (and including) `etapa`."""
        roteiro = [
            ("iniciar-diagnostico", {"mecanico_responsavel_id": 7}),
            ("finalizar-diagnostico", {"diagnostico": "Pastilhas gastas"}),
            ("aprovar-orcamento", None),
            ("iniciar-reparo", None),
            ("finalizar-reparo", {"observacoes_reparo": "Trocadas"}),
        ]
        item: dict[str, Any] = {}
        for nome, corpo in roteiro:
            r = self.passo(fila_id, nome, corpo)
            assert r.status_code == 200, (nome, r.json)
            item = r.json
            if nome == etapa:
                return item
        raise AssertionError(f"etapa desconhecida: {etapa}")


class Quadro:
    """A signed-in person on the board through the Flask test client: its forms' posts with the
    CSRF token taken from the page (like a browser), plain or as htmx sends them."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token = csrf_de(client.get("/").text)

    def pagina(self, caminho: str = "/") -> str:
        r = self.client.get(caminho)
        assert r.status_code == 200, r.text
        return r.text

    def post(
        self, caminho: str, dados: dict | None = None, htmx: bool = False, pagina: str = "/"
    ) -> TestResponse:
        headers = {"Referer": f"http://localhost{pagina}"}
        if htmx:
            headers.update({"HX-Request": "true", "HX-Current-URL": f"http://localhost{pagina}"})
        return self.client.post(
            caminho, data={"csrf_token": self.token, **(dados or {})}, headers=headers
        )

    def passo(
        self, fila_id: str, slug: str, dados: dict | None = None, htmx: bool = False
    ) -> TestResponse:
        return self.post(f"/ordens/{fila_id}/passo/{slug}", dados, htmx)

    def atribuir(self, fila_id: str, mecanico: object, htmx: bool = False) -> TestResponse:
        dados = {"mecanico_responsavel_id": str(mecanico)}
        return self.post(f"/ordens/{fila_id}/atribuir", dados, htmx)


@contextmanager
def servidor_http(app: Flask) -> Iterator[str]:
    """The app on a real threaded HTTP server on 127.0.0.1; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


RAIZ = Path(__file__).resolve().parent.parent


def ambiente_do_app(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of the app in a child process (gunicorn, the CLI, a frozen server) on
    this test's database; `extra` adds or overrides settings."""
    env = {
        **os.environ,
        "APP_ENV": "test",
        "MONGODB_URL": settings.mongodb_url,
        "MONGODB_DATABASE": settings.mongodb_database,
        "SECRET_KEY": settings.secret_key,
        "LOG_LEVEL": "WARNING",
        **extra,
    }
    env.pop("FLASK_RUN_FROM_CLI", None)
    return env


@contextmanager
def gunicorn(settings: Settings, **ambiente: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """The app under gunicorn.conf.py (the production worker class) on this test's database;
    yields its URL and the master process. `ambiente` adds or overrides settings."""
    from scripts import localdb  # noqa: PLC0415 - the tests' helper, not the app's

    porta = localdb.free_port()
    padrao = {"OS_SYNC_THREAD": "false", "HOST": "127.0.0.1", "PORT": str(porta)}
    env = ambiente_do_app(settings, **{**padrao, **ambiente})
    for nome in ("URL_API_OS", "BIND"):
        if nome not in ambiente:
            env.pop(nome, None)
    processo = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=RAIZ,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{porta}"
    try:
        limite = time.monotonic() + 60
        while True:
            if processo.poll() is not None:
                raise AssertionError(f"gunicorn saiu: {processo.stderr.read()}")  # type: ignore[union-attr]
            try:
                if requests.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > limite:
                raise AssertionError("gunicorn não ficou pronto a tempo")
            time.sleep(0.2)
        yield url, processo
    finally:
        if processo.poll() is None:
            processo.send_signal(signal.SIGTERM)
        try:
            processo.wait(timeout=30)
        except subprocess.TimeoutExpired:
            processo.kill()
            processo.wait()
        if processo.stderr:
            processo.stderr.close()
