"""The app as production serves it: gunicorn with the gevent worker (webapp/serving.py)."""

from __future__ import annotations

import json
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.helpers import RAIZ, TOKEN_SERVICO, ambiente_do_app, gunicorn, registro_do_gunicorn
from tests.paginas import csrf_de
from webapp.components import componente
from webapp.configuracoes.repository import ConfiguracoesRepository
from webapp.settings import LIMITE_CORPO, Settings
from webapp.tokens import emitir


def test_erros_do_proprio_gunicorn_em_json(settings: Settings, app) -> None:
    with gunicorn(settings) as (url, _):
        r = requests.get(f"{url}/health", headers={"X-Grande": "x" * 9000}, timeout=5)
        assert r.status_code == 431
        assert r.headers["Content-Type"] == "application/json"
        assert r.json() == {"detail": "Cabeçalhos grandes demais."}
        r = requests.get(f"{url}/health?" + "a" * 9000, timeout=5)
        assert r.status_code == 414 and r.json() == {"detail": "Endereço longo demais."}
        # With the app's own security headers, as every answer of the app.
        for nome in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"):
            assert r.headers[nome] == requests.get(f"{url}/health", timeout=5).headers[nome]


def _em_partes(corpo: bytes):
    """A body sent chunked (no Content-Length), as requests does for a generator."""
    for inicio in range(0, len(corpo), 8192):
        yield corpo[inicio : inicio + 8192]


def test_corpo_em_partes_acima_do_limite_da_413_sem_aplicar_nada(settings: Settings, app) -> None:
    """A chunked body past 128 KiB is refused whole (413), as one that says its length: never
    cut at the limit and applied without its end. Under the limit, it is read as any."""
    with gunicorn(settings) as (url, _):
        token = emitir(settings, "teste", extra=TOKEN_SERVICO)
        cabecalhos = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        grande = b'{"ordem_servico_id": 880601}' + b" " * LIMITE_CORPO
        r = requests.post(f"{url}/fila-execucao", data=_em_partes(grande), headers=cabecalhos,
                          timeout=10)  # fmt: skip
        assert r.status_code == 413 and "128 KiB" in r.json()["detail"]
        assert requests.get(f"{url}/fila-execucao/ordem-servico/880601", headers=cabecalhos,
                            timeout=5).status_code == 404  # fmt: skip
        pequeno = b'{"ordem_servico_id": 880602}'
        r = requests.post(f"{url}/fila-execucao", data=_em_partes(pequeno), headers=cabecalhos,
                          timeout=10)  # fmt: skip
        assert r.status_code == 201, r.text
        assert r.headers["Cache-Control"] == "no-store"  # customers' data: never cached
        # Exactly at the limit: read as a body that says its length (it was refused).
        no_limite = b'{"ordem_servico_id": 880603}'
        no_limite += b" " * (LIMITE_CORPO - len(no_limite))
        for enviado in (no_limite, _em_partes(no_limite)):
            r = requests.post(f"{url}/fila-execucao", data=enviado, headers=cabecalhos,
                              timeout=10)  # fmt: skip
            assert r.status_code in (201, 409), r.text
        assert r.status_code == 409  # the second: the order exists


def test_corpo_em_partes_malformado_da_400_sem_erro_no_registro(settings: Settings, app) -> None:
    """A chunked body gunicorn cannot decode (a size not in hex, a negative one, an endless
    trailer), on a page or the API, signed in or not: 400 with the reason, and no ERROR
    traceback in the log (anyone could fill it). Before, a 500 and "erro inesperado"."""
    corpos = [
        b"zz\r\nabc\r\n0\r\n\r\n",
        b"-5\r\nabc\r\n0\r\n\r\n",
        b"3\r\nabc\r\n0\r\n" + b"X-T: 1\r\n" * 5000 + b"\r\n",
    ]
    with gunicorn(settings) as (url, processo):
        porta = int(url.rsplit(":", 1)[1])
        for caminho in ("/entrar", "/fila-execucao"):
            for corpo in corpos:
                with socket.create_connection(("127.0.0.1", porta), timeout=10) as conexao:
                    conexao.sendall(
                        f"POST {caminho} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                        "Content-Type: application/x-www-form-urlencoded\r\n"
                        "Connection: close\r\n\r\n".encode()
                        + corpo
                    )
                    resposta = b""
                    while pedaco := conexao.recv(65536):
                        resposta += pedaco
                cabeca = resposta.split(b"\r\n", 1)[0]
                assert cabeca.startswith(b"HTTP/1.1 400"), (caminho, corpo[:10], resposta[:300])
                assert "Requisição malformada".encode() in resposta
        processo.send_signal(signal.SIGTERM)
        registro = registro_do_gunicorn(processo)
    # Nothing at ERROR, a worker stopped while it still boots included.
    assert '"level": "ERROR"' not in registro and "erro inesperado" not in registro, registro
    assert "InvalidChunkSize" not in registro and "LimitRequestHeaders" not in registro


def test_depois_de_um_413_a_conexao_ainda_serve(settings: Settings, app) -> None:
    """A pooled keep-alive connection: after a body too large, the next request on the same
    connection is answered (the refused body is drained), or the 413 closes the connection."""
    with gunicorn(settings) as (url, _):
        porta = int(url.rsplit(":", 1)[1])
        token = emitir(settings, "teste", extra=TOKEN_SERVICO)
        corpo = b"{" + b" " * LIMITE_CORPO + b"}"
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
    token, _ = componente(ConfiguracoesRepository, app).criar_passe("TV", "teste")
    with gunicorn(settings, WEB_CONCURRENCY="1") as (url, processo):
        aberto, fim = threading.Event(), threading.Event()

        def assistir() -> None:
            with requests.get(
                f"{url}/painel/eventos", cookies={"painel_token": token}, stream=True,
                timeout=(5, 30),
            ) as resposta:  # fmt: skip
                for _ in resposta.iter_content(chunk_size=None):
                    aberto.set()  # its first bytes: the stream is open
            fim.set()

        thread = threading.Thread(target=assistir, daemon=True)
        thread.start()
        assert aberto.wait(10), "the stream should open"
        inicio = time.monotonic()
        processo.send_signal(signal.SIGTERM)
        assert fim.wait(10), "the stream should end right after SIGTERM"
        processo.wait(timeout=15)
        assert time.monotonic() - inicio < 10  # well within graceful_timeout (20 s)


def test_https_ate_o_servico_de_os_no_worker_gevent(settings: Settings, app, tmp_path) -> None:
    """The gevent worker reaches an OS service over HTTPS: gunicorn.conf.py patches the standard
    library before requests and pymongo are imported (patched after them, every TLS context
    recursed without end and no step ever reached the OS service)."""
    certificado, chave = tmp_path / "cert.pem", tmp_path / "chave.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(chave), "-out", str(certificado), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    recebidos: list[tuple[str, dict]] = []

    class ServicoOs(BaseHTTPRequestHandler):
        def do_PATCH(self) -> None:  # noqa: N802 - http.server's naming
            corpo = self.rfile.read(int(self.headers["Content-Length"]))
            recebidos.append((self.path, json.loads(corpo)))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *_: object) -> None:
            pass

    servidor = ThreadingHTTPServer(("127.0.0.1", 0), ServicoOs)
    contexto = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    contexto.load_cert_chain(certificado, chave)
    servidor.socket = contexto.wrap_socket(servidor.socket, server_side=True)
    threading.Thread(target=servidor.serve_forever, daemon=True).start()
    try:
        ambiente = {
            "URL_API_OS": f"https://127.0.0.1:{servidor.server_address[1]}",
            "REQUESTS_CA_BUNDLE": str(certificado),
            "OS_SYNC_THREAD": "true",
            "OS_SYNC_INTERVALO_MS": "50",
            "WEB_CONCURRENCY": "1",
        }
        with gunicorn(settings, **ambiente) as (url, _):
            auth = {"Authorization": f"Bearer {emitir(settings, 'teste', extra=TOKEN_SERVICO)}"}
            criado = requests.post(
                f"{url}/fila-execucao", json={"ordem_servico_id": 4242}, headers=auth, timeout=10
            )
            assert criado.status_code == 201, criado.text
            fila_id = criado.json()["fila_id"]
            r = requests.post(
                f"{url}/fila-execucao/{fila_id}/iniciar-diagnostico",
                json={"mecanico_responsavel_id": 7},
                headers=auth,
                timeout=10,
            )
            assert r.status_code == 200, r.text
            limite = time.monotonic() + 15
            while not recebidos and time.monotonic() < limite:
                time.sleep(0.1)
        assert recebidos and recebidos[0][1] == {"status": "EM_DIAGNOSTICO"}
        assert "/4242/" in recebidos[0][0]
    finally:
        servidor.shutdown()
        servidor.server_close()


# --- Read deadlines in the worker itself (a direct path to gunicorn, without nginx) ----------


def _cabecalhos_de_post_sem_corpo(porta: int) -> bytes:
    return (
        b"POST /entrar HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\n" % porta
    )


def _ler_ate_fechar(conexao: socket.socket, limite_s: float) -> bytes:
    conexao.settimeout(limite_s)
    recebido = b""
    while True:
        pedaco = conexao.recv(65536)
        if not pedaco:
            return recebido
        recebido += pedaco


def test_corpo_que_nao_chega_recebe_408_no_prazo(settings: Settings, app) -> None:
    """Headers with Content-Length: 60000 and then nothing: a 408 and the connection closed
    once GUNICORN_PRAZO_CORPO_S runs out, not a worker slot held for as long as the client
    likes; headers that never end are dropped after GUNICORN_PRAZO_CABECALHOS_S."""
    ambiente = {"GUNICORN_PRAZO_CORPO_S": "1.5", "GUNICORN_PRAZO_CABECALHOS_S": "2"}
    with gunicorn(settings, WEB_CONCURRENCY="1", **ambiente) as (url, _):
        porta = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", porta), timeout=10) as conexao:
            inicio = time.monotonic()
            conexao.sendall(_cabecalhos_de_post_sem_corpo(porta) + b"usuario=a")
            resposta = _ler_ate_fechar(conexao, 10)
            decorrido = time.monotonic() - inicio
        assert resposta.startswith(b"HTTP/1.1 408 "), resposta[:200]
        assert 1.0 < decorrido < 5, decorrido
        corpo = resposta.split(b"\r\n\r\n", 1)[1]
        assert json.loads(corpo) == {
            "detail": "A requisição não chegou inteira a tempo; tente novamente."
        }
        with socket.create_connection(("127.0.0.1", porta), timeout=10) as conexao:
            inicio = time.monotonic()
            conexao.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Lento: ")
            assert _ler_ate_fechar(conexao, 10) == b""
            assert time.monotonic() - inicio < 5
        assert requests.get(f"{url}/health", timeout=5).json() == {"status": "ok"}


def test_milhares_de_sockets_parados_nao_travam_o_health(settings: Settings, app) -> None:
    """The hostile probe's attack, against the production settings (2 workers of 2,000
    connections): 4,100 sockets send POST /entrar headers with Content-Length: 60000 and then
    nothing, and stay open. /health answers, long before any deadline runs out: the stalled
    sockets may hold at most half of each worker's slots, the oldest making room."""
    with gunicorn(settings) as (url, _):
        porta = int(url.rsplit(":", 1)[1])
        cabecalhos = _cabecalhos_de_post_sem_corpo(porta)
        parados: list[socket.socket] = []
        try:
            for _ in range(4100):  # each one connected and its headers sent, as the probe did
                conexao = socket.create_connection(("127.0.0.1", porta), timeout=10)
                conexao.sendall(cabecalhos)
                parados.append(conexao)
            time.sleep(1.0)  # none sends more
            # The first answer may wait for the workers to work through the flood (a busy
            # 2-core machine); before, it never came: every slot stayed held.
            assert requests.get(f"{url}/health", timeout=20).json() == {"status": "ok"}
            for _ in range(3):
                inicio = time.monotonic()
                assert requests.get(f"{url}/health", timeout=5).json() == {"status": "ok"}
                assert time.monotonic() - inicio < 2
            assert all(conexao.fileno() != -1 for conexao in parados)  # still open on our side
        finally:
            for conexao in parados:
                conexao.close()


def test_expect_100_continue_recebe_o_100_antes_do_corpo(settings: Settings, app) -> None:
    """A client that sends `Expect: 100-continue` (curl does past 1 KiB) waits for "100
    Continue" before its body: the worker says it before reading the body, not when the app
    runs after that read (which waited for the client's own fallback, or a 408 at 15 s)."""
    with gunicorn(settings) as (url, _):
        porta = int(url.rsplit(":", 1)[1])
        token = emitir(settings, "teste", extra=TOKEN_SERVICO)
        corpo = json.dumps({"ordem_servico_id": 880701, "descricao": "x" * 2000}).encode()
        with socket.create_connection(("127.0.0.1", porta), timeout=3) as conexao:
            conexao.sendall(
                f"POST /fila-execucao HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(corpo)}\r\n"
                "Expect: 100-continue\r\nConnection: close\r\n\r\n".encode()
            )
            assert conexao.recv(64).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")  # within 3 s
            conexao.sendall(corpo)
            resposta = b""
            while pedaco := conexao.recv(65536):
                resposta += pedaco
        assert resposta.startswith(b"HTTP/1.1 201"), resposta[:200]
        assert b"HTTP/1.1 100" not in resposta  # said once


def test_corpo_abandonado_nao_enche_o_registro(settings: Settings, app) -> None:
    """A client that announces a body, sends a byte of it and closes (anyone, signed in or
    not): the connection ends quietly. Each one wrote an ERROR line with a GreenletExit
    traceback (gunicorn's "Error handling request"): 2,000 of them, 3.7 MB of log."""
    with gunicorn(settings) as (url, processo):
        porta = int(url.rsplit(":", 1)[1])
        for _ in range(10):
            with socket.create_connection(("127.0.0.1", porta), timeout=5) as conexao:
                conexao.sendall(
                    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-"
                    b"urlencoded\r\nContent-Length: 60000\r\n\r\nx"
                )
        assert requests.get(f"{url}/health", timeout=5).status_code == 200
        processo.send_signal(signal.SIGTERM)
        registro = registro_do_gunicorn(processo)
    assert "Error handling request" not in registro and "GreenletExit" not in registro, registro[
        -3000:
    ]


def test_x_forwarded_proto_de_quem_nao_e_proxy_nao_muda_o_esquema(
    settings: Settings, app, usuarios_demo
) -> None:
    """Only TRUSTED_PROXY_NETWORKS is believed about X-Forwarded-*, gunicorn included: its
    default believed X-Forwarded-Proto from loopback, and a local client made the app's
    absolute addresses https:// (the job card's QR code, a TV's address)."""
    with gunicorn(settings) as (url, _):
        token = emitir(settings, "teste", extra=TOKEN_SERVICO)
        r = requests.post(f"{url}/fila-execucao", json={"ordem_servico_id": 880801},
                          headers={"Authorization": f"Bearer {token}"}, timeout=5)  # fmt: skip
        fila_id = r.json()["fila_id"]
        sessao = requests.Session()
        pagina = sessao.get(f"{url}/entrar", timeout=5)
        dados = {"login": "gerente", "senha": "gerente123", "csrf_token": csrf_de(pagina.text)}
        assert sessao.post(f"{url}/entrar", data=dados, timeout=5).ok
        ficha = sessao.get(f"{url}/ordens/{fila_id}/ficha",
                           headers={"X-Forwarded-Proto": "https"}, timeout=5).text  # fmt: skip
        assert f'<span class="ficha-endereco">{url}/ordens/{fila_id}</span>' in ficha


@pytest.mark.parametrize(
    ("nome", "valor", "linha"),
    [
        ("GUNICORN_CONEXOES", "abc", "GUNICORN_CONEXOES deve ser um número inteiro de 20 a 100000"),
        ("WEB_CONCURRENCY", "0", "WEB_CONCURRENCY deve ser um número inteiro de 1 a 64"),
        ("PORT", "80.5", "PORT deve ser um número inteiro de 1 a 65535"),
        ("GUNICORN_PRAZO_CORPO_S", "nan", "GUNICORN_PRAZO_CORPO_S deve ser um número de 1 a 600"),
    ],
)
def test_numero_do_servidor_invalido_recusa_a_partida_com_uma_linha(
    settings: Settings, nome: str, valor: str, linha: str
) -> None:
    """gunicorn's own numbers refuse to start as the app's settings do: one line in
    Portuguese, no traceback (GUNICORN_CONEXOES=abc was a ValueError's)."""
    r = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=RAIZ,
        env=ambiente_do_app(settings, **{nome: valor}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode != 0
    saida = (r.stdout + r.stderr).strip().splitlines()
    assert saida == [f"Configuração inválida: {linha}, recebido {valor!r}"]
