"""Small helpers for calling the API in tests."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server
from werkzeug.test import TestResponse

from tests.paginas import csrf_de
from webapp.clock import DIAS_DA_SEMANA
from webapp.settings import Settings
from webapp.tokens import emitir

# The claim that makes a role-less token a service token (the shop's auth service sets it).
TOKEN_SERVICO = {"tipo_token": "servico_interno"}


# "… removeu a OS 510 da fila às 23:59": a removal in the last moments before the shop's
# midnight is said with its day ("da fila em 06/12 às 23:59") by a page read just after it.
DA_FILA_AS = r"da fila(?: em \d\d/\d\d)? às"

# A day as the screens say it (clock.dia_dito): "hoje", "amanhã", "qua 09/12" (the TV: "qua"),
# "05/12", "31/12/2099"; and a time with it, or alone (today's): which one a test sees depends
# on the hour it runs at.
DIA_DITO = rf"(?:hoje|amanhã|(?:{'|'.join(DIAS_DA_SEMANA)})(?: \d\d/\d\d)?|\d\d/\d\d(?:/\d{{4}})?)"
DIA_E_HORA = rf"(?:{DIA_DITO} )?\d\d:\d\d"


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

    def levar_ate(self, fila_id: str, etapa: str, mecanico: int = 7) -> dict[str, Any]:
        """Drive an item through the flow up to (and including) `etapa`."""
        roteiro = [
            ("iniciar-diagnostico", {"mecanico_responsavel_id": mecanico}),
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
    yields its URL and the master process. `ambiente` adds or overrides settings. Its log
    (gunicorn's and the app's JSON lines, on stdout, and anything on stderr) goes to a file:
    registro_do_gunicorn reads it."""
    from scripts import localdb  # noqa: PLC0415 - the tests' helper, not the app's

    porta = localdb.free_port()
    padrao = {"OS_SYNC_THREAD": "false", "HOST": "127.0.0.1", "PORT": str(porta)}
    env = ambiente_do_app(settings, **{**padrao, **ambiente})
    for nome in ("URL_API_OS", "BIND"):
        if nome not in ambiente:
            env.pop(nome, None)
    registro = tempfile.NamedTemporaryFile(  # noqa: SIM115 - removed below
        "w", prefix="gunicorn-", suffix=".log", delete=False
    )
    processo = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=RAIZ,
        env=env,
        stdout=registro,
        stderr=subprocess.STDOUT,
        text=True,
    )
    processo.registro = registro.name  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{porta}"
    try:
        limite = time.monotonic() + 60
        while True:
            if processo.poll() is not None:
                raise AssertionError(f"gunicorn saiu: {registro_do_gunicorn(processo)}")
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
        registro.close()
        Path(registro.name).unlink(missing_ok=True)


def registro_do_gunicorn(processo: subprocess.Popen[str]) -> str:
    """What gunicorn and the app wrote (the log's JSON lines, tracebacks), once it has exited:
    send it SIGTERM first."""
    processo.wait(timeout=30)
    return Path(processo.registro).read_text()  # type: ignore[attr-defined]


# --- Pages and live streams as the tests read them ------------------------------------------


def cartao_html(html: str, fila_id: str) -> str:
    inicio = html.index(f'id="cartao-{fila_id}"')
    return html[inicio : html.index("</li>", inicio)]


def coluna_de(html: str, fila_id: str) -> str:
    """The status of the column whose list holds the card."""
    posicao = html.index(f'id="cartao-{fila_id}"')
    return re.findall(r'id="cartoes-(\w+)"', html[:posicao])[-1]


class LeitorSSE:
    """Parses SSE messages from byte chunks in a background thread (a stream never ends by itself,
    so reading must not block the test)."""

    def __init__(self, chunks: Iterable[bytes], ao_terminar: Callable[[], None] | None = None):
        self.mensagens: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.parar = threading.Event()
        self.erro: Exception | None = None
        self._ao_terminar = ao_terminar
        self._thread = threading.Thread(target=self._ler, args=(iter(chunks),), daemon=True)
        self._thread.start()

    def _ler(self, chunks: Iterator[bytes]) -> None:
        buffer = ""
        try:
            for chunk in chunks:
                buffer += chunk.decode("utf-8") if isinstance(chunk, bytes) else chunk
                while "\n\n" in buffer:
                    bruto, buffer = buffer.split("\n\n", 1)
                    self.mensagens.put(_analisar(bruto))
                if self.parar.is_set():
                    break
        except Exception as erro:  # closed under the reader, or the app failed: the end
            self.erro = erro
        finally:
            if self._ao_terminar is not None:
                self._ao_terminar()
            self.mensagens.put(None)

    def proxima(self, timeout: float = 5.0, com: str | None = None) -> dict[str, Any]:
        """The next message (heartbeats skipped) whose data contains `com`."""
        limite = time.monotonic() + timeout
        while True:
            restante = limite - time.monotonic()
            if restante <= 0:
                raise AssertionError(f"nenhuma mensagem {com!r} a tempo")
            try:
                mensagem = self.mensagens.get(timeout=restante)
            except queue.Empty:
                continue
            if mensagem is None:
                raise AssertionError(f"o stream terminou ({self.erro!r})")
            if mensagem["comentario"]:
                continue
            if com is None or com in mensagem["data"]:
                return mensagem

    def fim(self, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Every message until the stream ends."""
        vistas, limite = [], time.monotonic() + timeout
        while time.monotonic() < limite:
            try:
                mensagem = self.mensagens.get(timeout=0.1)
            except queue.Empty:
                continue
            if mensagem is None:
                return vistas
            vistas.append(mensagem)
        raise AssertionError("o stream não terminou")

    def fechar(self) -> None:
        self.parar.set()
        self._thread.join(timeout=10)


def _analisar(bruto: str) -> dict[str, Any]:
    evento, dados, comentario = None, [], False
    for linha in bruto.split("\n"):
        if linha.startswith(":"):
            comentario = True
        elif linha.startswith("event:"):
            evento = linha[6:].strip()
        elif linha.startswith("data:"):
            dados.append(linha[5:].removeprefix(" "))
    return {"event": evento, "data": "\n".join(dados), "comentario": comentario and not dados}


def stream_de_teste(client: Any, caminho: str) -> tuple[Any, LeitorSSE]:
    """Open an SSE stream through the Flask test client. The request and its generator run in
    the reader's thread, as in a real server (Flask's context lives in the request's thread)."""
    pronta: queue.Queue[Any] = queue.Queue()

    def chunks() -> Iterator[bytes]:
        resposta = client.get(caminho, buffered=False)
        pronta.put(resposta)
        try:
            yield from resposta.response
        finally:
            resposta.close()

    leitor = LeitorSSE(chunks())
    return pronta.get(timeout=10), leitor


@contextmanager
def consultas_de(db: Any, colecao: str) -> Iterator[list[dict[str, Any]]]:
    """What MongoDB ran on `colecao` inside the block, as its profiler saw it (plan, documents
    read, an in-memory sort): the list fills when the block ends."""
    vistas: list[dict[str, Any]] = []
    db.command("profile", 2)
    try:
        yield vistas
        vistas.extend(db["system.profile"].find({"ns": f"{db.name}.{colecao}"}))
    finally:
        db.command("profile", 0)
        db.drop_collection("system.profile")
