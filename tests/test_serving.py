"""The app as production serves it: gunicorn with the gevent worker (webapp/serving.py)."""

from __future__ import annotations

import signal
import socket
import threading
import time

import requests

from tests.helpers import TOKEN_SERVICO, gunicorn
from webapp.components import componentes
from webapp.settings import Settings
from webapp.tokens import emitir


def test_erros_do_proprio_gunicorn_em_json(settings: Settings, app) -> None:
    with gunicorn(settings) as (url, _):
        r = requests.get(f"{url}/health", headers={"X-Grande": "x" * 9000}, timeout=5)
        assert r.status_code == 431
        assert r.headers["Content-Type"] == "application/json"
        assert r.json() == {"detail": "Cabeçalhos grandes demais."}
        r = requests.get(f"{url}/health?" + "a" * 9000, timeout=5)
        assert r.status_code == 414 and r.json() == {"detail": "Endereço longo demais."}


def test_depois_de_um_413_a_conexao_ainda_serve(settings: Settings, app) -> None:
    """A pooled keep-alive connection: after a body too large, the next request on the same
    connection is answered (the refused body is drained), or the 413 closes the connection."""
    with gunicorn(settings) as (url, _):
        porta = int(url.rsplit(":", 1)[1])
        token = emitir(settings, "teste", extra=TOKEN_SERVICO)
        corpo = b"{" + b" " * 70_000 + b"}"
        with socket.create_connection(("127.0.0.1", porta), timeout=10) as conexao:
            conexao.sendall(
                b"POST /fila-execucao HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + f"Authorization: Bearer {token}\r\nContent-Length: {len(corpo)}\r\n\r\n".encode()
                + corpo
                + b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
            )
            resposta = b""
            while b'{"status":"ok"}' not in resposta:
                chunk = conexao.recv(65536)
                if not chunk:
                    break
                resposta += chunk
        primeira = resposta.split(b"\r\n", 1)[0]
        assert b" 413 " in primeira
        fechou = b"connection: close" in resposta.split(b"\r\n\r\n", 1)[0].lower()
        assert fechou or b'{"status":"ok"}' in resposta, resposta[-300:]


def test_sigterm_encerra_os_streams_e_sai_logo(settings: Settings, app) -> None:
    """A stopping worker ends its streams at once (the browsers reconnect elsewhere) instead of
    waiting the whole grace period for them."""
    token, _ = componentes(app).configuracoes.criar_token("TV", "teste")
    with gunicorn(settings, WEB_CONCURRENCY="1") as (url, processo):
        fim = threading.Event()

        def assistir() -> None:
            with requests.get(
                f"{url}/painel/eventos", cookies={"painel_token": token}, stream=True,
                timeout=(5, 30),
            ) as resposta:  # fmt: skip
                for _ in resposta.iter_content(chunk_size=None):
                    pass
            fim.set()

        thread = threading.Thread(target=assistir, daemon=True)
        thread.start()
        time.sleep(1.0)  # the stream is open
        inicio = time.monotonic()
        processo.send_signal(signal.SIGTERM)
        assert fim.wait(10), "the stream should end right after SIGTERM"
        processo.wait(timeout=15)
        assert time.monotonic() - inicio < 10  # well within graceful_timeout (20 s)
