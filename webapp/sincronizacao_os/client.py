"""The HTTP client the dispatcher talks to the OS service with: pooled keep-alive connections,
no automatic retries (the dispatcher's are spaced and logged), and a whole attempt bounded.

`requests`' read timeout bounds each wait for a byte, not the answer: an OS service (or a proxy
in front of it) that sends a byte every few seconds kept one attempt going for minutes, and
with it the dispatcher, so no other order's step reached the service. Here an attempt has a
deadline (the connect and the read timeouts together): a watchdog shuts the connection's
socket when it passes, which ends the blocked read at once, and the attempt reads as a timeout
("enviado, sem resposta": it may have been applied). The body is read up to BODY_MAXIMO: the
dispatcher needs a status, a `detail` or a page's first lines, never megabytes.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

CORPO_MAXIMO = 64 * 1024  # bytes of an answer's body read; the rest is dropped with the connection

_vigias = threading.local()  # the attempt under way in this thread (its _Vigia)


class PrazoEsgotado(requests.ReadTimeout):
    """The attempt passed its deadline while the service was still answering (or not)."""


class _Vigia:
    """One attempt's watchdog: knows the connection the attempt uses and shuts its socket down
    when the deadline passes (from the timer's thread: a blocked recv() then returns at once)."""

    def __init__(self) -> None:
        self.conexao: HTTPConnection | None = None
        self.cortou = False
        self._trava = threading.Lock()

    def cortar(self) -> None:
        with self._trava:
            sock = getattr(self.conexao, "sock", None)
            if sock is None:
                return  # still connecting: the connect timeout bounds that part
            self.cortou = True
            with contextlib.suppress(OSError):  # closed meanwhile
                sock.shutdown(socket.SHUT_RDWR)


class _Vigiada:
    """A connection that tells the attempt's watchdog it is the one in use."""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        vigia = getattr(_vigias, "atual", None)
        if vigia is not None:
            vigia.conexao = self
        return super().request(*args, **kwargs)  # type: ignore[misc]


class _ConexaoHttp(_Vigiada, HTTPConnection):
    pass


class _ConexaoHttps(_Vigiada, HTTPSConnection):
    pass


class _PoolHttp(HTTPConnectionPool):
    ConnectionCls = _ConexaoHttp


class _PoolHttps(HTTPSConnectionPool):
    ConnectionCls = _ConexaoHttps


class _Adaptador(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _PoolHttp, "https": _PoolHttps}


@dataclass(frozen=True)
class Resposta:
    """What the dispatcher reads of an answer: its status, headers and (the start of) its body."""

    status_code: int
    headers: Any  # requests' case-insensitive mapping
    texto: str


def _texto(corpo: bytearray, resposta: requests.Response) -> str:
    """The body as text, in the charset the answer names; UTF-8 when it names none, or one
    Python does not know (a server's `charset=foo` is no reason to stop a delivery)."""
    dados = bytes(corpo[:CORPO_MAXIMO])
    try:
        return dados.decode(resposta.encoding or "utf-8", errors="replace")
    except LookupError:
        return dados.decode("utf-8", errors="replace")


class ClienteOs:
    """One dispatcher's HTTP client (one thread at a time, like the dispatcher)."""

    def __init__(self, timeout_conexao_s: float, timeout_leitura_s: float) -> None:
        self.timeout = (timeout_conexao_s, timeout_leitura_s)
        self.prazo_s = timeout_conexao_s + timeout_leitura_s  # a whole attempt, at most
        sessao = requests.Session()
        adaptador = _Adaptador(pool_connections=1, pool_maxsize=2, max_retries=0)
        sessao.mount("http://", adaptador)
        sessao.mount("https://", adaptador)
        sessao.headers["User-Agent"] = "oficina-fila-execucao"
        self.sessao = sessao

    def pedir(self, metodo: str, url: str, **kwargs: Any) -> Resposta:
        """One request, within the deadline (PrazoEsgotado past it); requests' exceptions
        otherwise, as they are."""
        vigia = _Vigia()
        relogio = threading.Timer(self.prazo_s, vigia.cortar)
        relogio.daemon = True
        _vigias.atual = vigia
        relogio.start()
        try:
            with self.sessao.request(
                metodo, url, timeout=self.timeout, allow_redirects=False, stream=True, **kwargs
            ) as resposta:
                corpo = bytearray()
                for parte in resposta.iter_content(8192):
                    corpo += parte
                    if len(corpo) >= CORPO_MAXIMO:
                        break
                return Resposta(resposta.status_code, resposta.headers, _texto(corpo, resposta))
        except (requests.RequestException, OSError, ValueError):
            if vigia.cortou:
                raise PrazoEsgotado(f"sem resposta completa em {self.prazo_s:g} s") from None
            raise
        finally:
            relogio.cancel()
            _vigias.atual = None
            if vigia.cortou:
                self.sessao.close()  # that connection is gone: no pooled half of it
