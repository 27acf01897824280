"""How gunicorn serves the app in production.

The gevent worker holds every open board and TV stream as a greenlet, not a thread: hundreds of
screens and slow clients cost memory, not the requests of everybody else. On SIGTERM the worker
first tells its open streams to end (browsers reconnect at once, to another worker or pod), so
it exits well within the grace period. gunicorn's own refusals (a header or an address too long,
a malformed request) answer like the app, JSON `{"detail": ...}` in Portuguese, and its logs
never carry a query string (a TV's token travels in one).

Reads have deadlines in the worker itself, so a direct path to gunicorn (`make run`, a pod
reached without the ingress) cannot be stalled by sockets that send headers and then nothing:
see Conexao and Guardiao.
"""

from __future__ import annotations

import contextlib
import io
import json
import socket
import time
from collections import OrderedDict
from typing import Any

import gevent
from gunicorn import util
from gunicorn.http.body import LengthReader
from gunicorn.workers.ggevent import GeventWorker

from .broker import Broker
from .components import Aplicacao, componente
from .headers import CABECALHOS_SEGURANCA
from .settings import LIMITE_CORPO, numero_do_ambiente
from .sse import Vagas

MENSAGENS = {
    400: "Requisição malformada.",
    403: "Requisição recusada.",
    408: "A requisição não chegou inteira a tempo; tente novamente.",
    414: "Endereço longo demais.",
    417: "Expectativa não atendida.",
    431: "Cabeçalhos grandes demais.",
    500: "Erro interno. A equipe foi avisada pelos registros.",
    501: "Codificação de transferência não suportada.",
}


def escrever_erro(sock: Any, status: int, motivo: str, _mensagem: str) -> None:
    """gunicorn's error answer, as JSON in Portuguese (its original writes an HTML page)."""
    corpo = json.dumps({"detail": MENSAGENS.get(status, motivo)}, ensure_ascii=False).encode()
    seguranca = "".join(f"{nome}: {valor}\r\n" for nome, valor in CABECALHOS_SEGURANCA.items())
    cabeca = (
        f"HTTP/1.1 {status} {motivo}\r\nConnection: close\r\n{seguranca}"
        f"Content-Type: application/json\r\nContent-Length: {len(corpo)}\r\n\r\n"
    )
    util.write_nonblock(sock, cabeca.encode("latin1") + corpo)


# gunicorn calls util.write_error for the answers it writes itself; this module is imported by
# gunicorn only (worker_class), so the app's own tests and tools keep gunicorn as it is.
util.write_error = escrever_erro


# A request's body (the app reads at most LIMITE_CORPO) must arrive within this many seconds of its
# headers; the headers within GUNICORN_PRAZO_CABECALHOS_S (gunicorn.conf.py's keepalive) of the
# connection's opening or of the previous answer.
PRAZO_CORPO_S = numero_do_ambiente("GUNICORN_PRAZO_CORPO_S", 15, 1, 600)


class Conexao:
    """The client's socket with a read deadline per phase: the headers of the next request, then
    its body. A read past the deadline (or after the connection was dropped for a newer one)
    ends the connection: during the headers as if the client had closed it, during the body
    with a 408 written straight to the socket (no app work; none when it was dropped) and the
    request abandoned."""

    def __init__(self, sock: Any, guardiao: Guardiao) -> None:
        self._sock = sock
        self.guardiao = guardiao
        self.prazo = 0.0
        self.no_corpo = False
        self.encerrada = False
        self.derrubada = False

    def __getattr__(self, nome: str) -> Any:  # everything but recv is the socket's own
        return getattr(self._sock, nome)

    def recv(self, tamanho: int, *flags: Any) -> bytes:
        restante = self.prazo - time.monotonic()
        if self.encerrada or restante <= 0:
            return self._encerrar()
        self._sock.settimeout(restante)
        try:
            dados = self._sock.recv(tamanho, *flags)
        except TimeoutError:
            return self._encerrar()
        except OSError:
            if self.encerrada:  # dropped meanwhile: gevent cancels the pending read
                return self._encerrar()
            raise
        finally:
            self._sock.settimeout(None)
        return self._encerrar() if self.encerrada else dados

    def derrubar(self) -> None:
        """Drop a connection still sending its request, for a newer one (Guardiao): no
        answer, the socket just closes (under a flood, every cycle saved counts)."""
        self.encerrada = self.derrubada = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RD)  # its pending read returns at once

    def _encerrar(self) -> bytes:
        self.encerrada = True
        if not self.no_corpo:
            return b""  # gunicorn: the client closed; the connection ends quietly
        self.no_corpo = False
        if not self.derrubada:
            with contextlib.suppress(OSError):
                escrever_erro(self._sock, 408, "Request Timeout", "")
        # Out of the app at once (a BaseException: Flask does not turn it into a page); the
        # worker's handle_request ends the request and the connection closes.
        raise gevent.GreenletExit


class Guardiao:
    """The connections of one worker that are still sending a request (its headers, or the
    body of a request that has one), oldest first. Past `limite` of them the oldest is
    dropped: idle or stalled sockets (thousands of `Content-Length: 60000` and then nothing)
    can hold at most `limite` of the worker's slots, and every newcomer still gets in, so
    /health and real people are served even while the deadlines run."""

    def __init__(self, limite: int, prazo_cabecalhos: float, prazo_corpo: float) -> None:
        self.limite = max(1, limite)
        self.prazo_cabecalhos = prazo_cabecalhos
        self.prazo_corpo = prazo_corpo
        self.recebendo: OrderedDict[Conexao, None] = OrderedDict()

    def aguardar_pedido(self, conexao: Conexao) -> None:
        conexao.no_corpo = False
        conexao.prazo = time.monotonic() + self.prazo_cabecalhos
        self.recebendo[conexao] = None
        self.recebendo.move_to_end(conexao)
        while len(self.recebendo) > self.limite:
            antiga, _ = self.recebendo.popitem(last=False)
            antiga.derrubar()

    def ler_corpo(self, conexao: Conexao, tem_corpo: bool) -> None:
        """The headers are in: with a body, its own deadline; without, nothing more to wait
        for (an SSE stream or a page is no longer "sending")."""
        if tem_corpo:
            conexao.no_corpo = True
            conexao.prazo = time.monotonic() + self.prazo_corpo
        else:
            self.esquecer(conexao)

    def esquecer(self, conexao: Conexao) -> None:
        self.recebendo.pop(conexao, None)


def _tem_corpo(req: Any) -> bool:
    leitor = getattr(getattr(req, "body", None), "reader", None)
    return getattr(leitor, "length", None) != 0


class CorpoLido(io.BytesIO):
    """A body the worker read whole before the app runs (wsgi.input)."""

    failed = False  # gunicorn's Body attribute: reading it never failed


def _comprimento(req: Any) -> int | None:
    """The body's Content-Length; None when chunked."""
    leitor = getattr(getattr(req, "body", None), "reader", None)
    return leitor.length if isinstance(leitor, LengthReader) else None


class Worker(GeventWorker):
    def init_process(self) -> None:
        # Half the slots at most for connections still sending: the rest stay for requests
        # being answered and open streams.
        self.guardiao = Guardiao(
            self.worker_connections // 2, float(self.cfg.keepalive), PRAZO_CORPO_S
        )
        super().init_process()

    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        conexao = Conexao(client, self.guardiao)
        self.guardiao.aguardar_pedido(conexao)
        try:
            super().handle(listener, conexao, addr)
        finally:
            self.guardiao.esquecer(conexao)

    def handle_request(self, listener_name: Any, req: Any, sock: Any, addr: Any) -> Any:
        if isinstance(sock, Conexao):
            self.guardiao.ler_corpo(sock, _tem_corpo(req))
            tamanho = _comprimento(req)
            if tamanho and tamanho <= LIMITE_CORPO:
                # The whole body before the app runs (as nginx buffers it): a stalled client
                # costs a greenlet, never a request half-handled by the app. Larger or
                # chunked bodies are read by the app, under the same deadline (413 past it).
                if getattr(req, "_expected_100_continue", False):
                    # A client that waits for it before sending the body (curl past 1 KiB):
                    # gunicorn would say it only when the app runs, after this read.
                    req._expected_100_continue = False
                    with contextlib.suppress(OSError):  # gone: the read below tells
                        sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                try:
                    corpo = req.body.read()
                except gevent.GreenletExit:
                    return False  # past the deadline or dropped: 408 written, it closes
                if len(corpo) < tamanho:  # the client closed before sending it all
                    # gunicorn's keep-alive loop reads on (it skips the rest of the body):
                    # a closed client, quietly, not a 408 and a GreenletExit in the log.
                    sock.encerrada, sock.no_corpo = True, False
                    return False
                req.body = CorpoLido(corpo)
                self.guardiao.esquecer(sock)
                sock.no_corpo = False
        try:
            return super().handle_request(listener_name, req, sock, addr)
        finally:
            if isinstance(sock, Conexao) and not sock.encerrada:
                self.guardiao.aguardar_pedido(sock)  # the next request on a kept-alive socket

    def load_wsgi(self) -> None:
        super().load_wsgi()
        if isinstance(self.wsgi, Aplicacao):
            # Live streams hold two fifths of the connections at most: with half kept for
            # those still sending a request (Guardiao), a tenth is always left for requests
            # being answered (/health, pages, taps), however many streams one client opens.
            componente(Vagas, self.wsgi).teto = self.worker_connections * 2 // 5

    def handle_exit(self, sig: int, frame: Any) -> None:
        super().handle_exit(sig, frame)
        # A worker stopped while it still boots has no app yet (it was 'Exception in worker
        # process', exit code 3), and no stream to end.
        app = getattr(self, "wsgi", None)
        if isinstance(app, Aplicacao):
            # Out of the signal handler: ending the streams takes locks.
            gevent.spawn(componente(Broker, app).encerrar)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        if req is not None and getattr(req, "path", None):
            req.uri = req.path  # the log line shows the path only, never the query string
        super().handle_error(req, client, addr, exc)
