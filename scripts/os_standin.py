#!/usr/bin/env python3
"""Stand-in for the shop's Ordem de Serviço (OS) service: a real HTTP server on 127.0.0.1.

It plays the OS service for tests and for `make run`: it accepts the status pushes of the
execution queue, checks the bearer JWT, records everything it receives, and can be told to fail
(down, slow, 500 for N calls, 429 with Retry-After, 404).

OS endpoints (both shapes; the real service today ignores the vehicle id):
    PATCH /ordens_servico/{ordem_servico_id}/status                      {"status": X}
    PATCH /veiculos/{veiculo_id}/ordens_servico/{ordem_servico_id}/status {"status": X}

Control API (no token): GET|DELETE /_controle/recebidos, GET|POST /_controle/modo,
GET /_controle/saude.

Library use (tests):
    with OSStandIn(secret="...") as os_service:      # listens on a free port
        os_service.url                                # "http://127.0.0.1:PORT"
        os_service.modo("erro500", n=3)
        os_service.recebidos()
CLI (make run): python scripts/os_standin.py --port 8003 [--secret ...] [--issuer ...]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt

HOST = "127.0.0.1"
DEFAULT_PORT = 8003  # next to the app's 8002
STATUS_ACEITOS = ("EM_DIAGNOSTICO", "AGUARDANDO_APROVACAO", "EM_EXECUCAO", "FINALIZADA")
MODOS = ("ok", "lento", "erro500", "limite429", "nao_encontrado404", "fora")
# Parameters of each mode besides "n"; unknown ones are refused, so a typo cannot pass silently.
_PARAMETROS = {
    "ok": (),
    "lento": ("segundos",),
    "erro500": (),
    "limite429": ("retry_after",),
    "nao_encontrado404": ("ids",),
    "fora": (),
}
_ROTA_OS = re.compile(r"^(?:/veiculos/(?P<veiculo>[^/]+))?/ordens_servico/(?P<id>[^/]+)/status/?$")
_CORPO_MAXIMO = 1 << 20
# Idle keep-alive connections are closed after this, like any real server would.
_OCIOSO_SEGUNDOS = 60.0

Registro = dict[str, Any]
Log = Callable[[str, dict[str, Any]], None]


def segredo_padrao() -> str:
    """SECRET_KEY from the environment, else the app's development default."""
    segredo = os.environ.get("SECRET_KEY")
    if segredo:
        return segredo
    # Imported lazily: the stand-in itself must not depend on the app importing cleanly.
    raiz = str(Path(__file__).resolve().parent.parent)
    if raiz not in sys.path:
        sys.path.insert(0, raiz)
    from webapp.settings import DEV_SECRET_KEY

    return DEV_SECRET_KEY


def _agora() -> datetime:
    return datetime.now(UTC)


# --- Failure modes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Modo:
    """A failure mode; `n` is how many more OS calls it applies to (None: until changed)."""

    nome: str = "ok"
    n: int | None = None
    segundos: float = 1.0
    retry_after: int = 1
    ids: frozenset[int] | None = None

    def como_dict(self) -> dict[str, Any]:
        dados: dict[str, Any] = {"modo": self.nome, "n": self.n}
        if self.nome == "lento":
            dados["segundos"] = self.segundos
        elif self.nome == "limite429":
            dados["retry_after"] = self.retry_after
        elif self.nome == "nao_encontrado404":
            dados["ids"] = sorted(self.ids) if self.ids is not None else None
        return dados


def criar_modo(nome: str, params: dict[str, Any]) -> Modo:
    """Validate a mode and its parameters; ValueError with a Portuguese message otherwise."""
    if nome not in MODOS:
        raise ValueError(f"Modo desconhecido: {nome!r}; use um de {', '.join(MODOS)}.")
    desconhecidos = set(params) - {"n", *_PARAMETROS[nome]}
    if desconhecidos:
        raise ValueError(
            f"Parâmetro(s) não aceito(s) no modo {nome}: {', '.join(sorted(desconhecidos))}."
        )
    n = params.get("n")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError("'n' deve ser um inteiro >= 1 (ou omitido: até mudar o modo).")
    opcoes: dict[str, Any] = {"nome": nome, "n": None if nome == "ok" else n}
    if "segundos" in params:
        segundos = params["segundos"]
        if isinstance(segundos, bool) or not isinstance(segundos, int | float) or segundos < 0:
            raise ValueError("'segundos' deve ser um número >= 0.")
        opcoes["segundos"] = float(segundos)
    if "retry_after" in params:
        retry = params["retry_after"]
        if isinstance(retry, bool) or not isinstance(retry, int) or retry < 0:
            raise ValueError("'retry_after' deve ser um inteiro >= 0 (segundos).")
        opcoes["retry_after"] = retry
    if params.get("ids") is not None:
        ids = params["ids"]
        if not isinstance(ids, Iterable) or isinstance(ids, str | bytes):
            raise ValueError("'ids' deve ser uma lista de ordem_servico_id.")
        ids = list(ids)
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise ValueError("'ids' deve conter apenas inteiros.")
        opcoes["ids"] = frozenset(ids)
    return Modo(**opcoes)


# --- Shared state (thread-safe) ------------------------------------------------------------------


@dataclass
class _Estado:
    lock: threading.Lock = field(default_factory=threading.Lock)
    registros: list[Registro] = field(default_factory=list)
    chaves_ok: set[str] = field(default_factory=set)
    modo: Modo = field(default_factory=Modo)
    seq: int = 0
    versao: int = 0  # bumped on every change, so waiters know when to look again

    def __post_init__(self) -> None:
        self.mudou = threading.Condition(self.lock)

    def _consumir(self) -> Modo:
        # Caller holds the lock. One OS call uses one unit of `n`; at zero the service is ok again.
        atual = self.modo
        if atual.n is not None:
            restantes = atual.n - 1
            self.modo = Modo() if restantes == 0 else _com_n(atual, restantes)
        return atual

    def falha_de_infra(self) -> Modo:
        """The fault decided before the request is even looked at (down, slow, 500, 429)."""
        with self.lock:
            if self.modo.nome in ("lento", "erro500", "limite429", "fora"):
                return self._consumir()
            return Modo()

    def nao_encontrado(self, ordem_servico_id: int) -> bool:
        with self.lock:
            atual = self.modo
            if atual.nome != "nao_encontrado404":
                return False
            if atual.ids is not None and ordem_servico_id not in atual.ids:
                return False
            self._consumir()
            return True

    def novo(self, registro: Registro) -> Registro:
        with self.lock:
            self.seq += 1
            registro["seq"] = self.seq
            self.registros.append(registro)
            self.versao += 1
            self.mudou.notify_all()
        return registro

    def concluir(self, registro: Registro, status_http: int | None, erro: str | None) -> None:
        with self.lock:
            chave = registro["idempotency_key"]
            # Duplicate: this key already got a 200 before this call (a retry the OS service
            # had in fact applied). It still answers 200: the endpoint is idempotent.
            registro["duplicado"] = chave is not None and chave in self.chaves_ok
            if status_http == 200 and chave is not None:
                self.chaves_ok.add(chave)
            respondido = _agora()
            registro["status_http"] = status_http
            registro["erro"] = erro
            registro["respondido_em"] = respondido.isoformat()
            recebido = datetime.fromisoformat(registro["recebido_em"])
            registro["duracao_ms"] = round((respondido - recebido).total_seconds() * 1000, 1)
            self.versao += 1
            self.mudou.notify_all()

    def copias(self, ordem_servico_id: int | None = None) -> tuple[int, list[Registro]]:
        with self.lock:
            selecionados = [
                r
                for r in self.registros
                if ordem_servico_id is None or r["ordem_servico_id"] == ordem_servico_id
            ]
            # Flat dicts plus one small dict: a cheap copy keeps callers off our live records.
            return self.versao, [{**r, "datadog": dict(r["datadog"])} for r in selecionados]

    def limpar(self) -> None:
        with self.lock:
            self.registros.clear()
            self.chaves_ok.clear()
            self.versao += 1
            self.mudou.notify_all()

    def definir_modo(self, modo: Modo) -> None:
        with self.lock:
            self.modo = modo
            self.versao += 1
            self.mudou.notify_all()


def _com_n(modo: Modo, n: int) -> Modo:
    return replace(modo, n=n)


# --- HTTP ----------------------------------------------------------------------------------------


class _Servidor(ThreadingHTTPServer):
    daemon_threads = True
    # parar() closes the connections itself; joining handler threads could hang on keep-alive.
    block_on_close = False

    def __init__(self, endereco: tuple[str, int], standin: OSStandIn) -> None:
        self.standin = standin
        self.parando = threading.Event()
        self._conexoes: set[socket.socket] = set()
        self._conexoes_lock = threading.Lock()
        super().__init__(endereco, _Handler)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._conexoes_lock:
            if self.parando.is_set():
                _derrubar(request)
            self._conexoes.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._conexoes_lock:
                self._conexoes.discard(request)

    def derrubar_conexoes(self) -> None:
        # A service that goes down drops its open connections too, pooled keep-alive ones included.
        with self._conexoes_lock:
            for conexao in list(self._conexoes):
                _derrubar(conexao)

    def handle_error(self, request: Any, client_address: Any) -> None:
        erro = sys.exc_info()[1]
        if isinstance(erro, OSError | ValueError):
            return  # the client or parar() closed the socket mid-request: expected here
        super().handle_error(request, client_address)


def _derrubar(conexao: socket.socket) -> None:
    # shutdown() (not close()) from another thread: wakes the handler's blocked read safely.
    with contextlib.suppress(OSError):
        conexao.shutdown(socket.SHUT_RDWR)


class _SemResposta(Exception):
    """Close the connection without any HTTP answer (mode `fora`, or the server stopping)."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real service and requests' pool use
    disable_nagle_algorithm = True  # else small answers wait for the client's delayed ACK
    server_version = "OSStandIn/1.0"
    timeout = _OCIOSO_SEGUNDOS
    server: _Servidor

    def do_GET(self) -> None:
        self._tratar()

    def do_POST(self) -> None:
        self._tratar()

    def do_PUT(self) -> None:
        self._tratar()

    def do_PATCH(self) -> None:
        self._tratar()

    def do_DELETE(self) -> None:
        self._tratar()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib's name)
        pass  # one JSON line per request goes through the stand-in's own log instead

    # -- plumbing --

    def _ler_corpo(self) -> bytes:
        try:
            tamanho = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            tamanho = 0
        return self.rfile.read(min(max(tamanho, 0), _CORPO_MAXIMO)) if tamanho else b""

    def _responder(
        self, status: int, corpo: Any = None, cabecalhos: dict[str, str] | None = None
    ) -> None:
        dados = b"" if corpo is None else json.dumps(corpo, ensure_ascii=False).encode()
        self.send_response(status)
        if corpo is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(dados)))
        for nome, valor in (cabecalhos or {}).items():
            self.send_header(nome, valor)
        self.end_headers()
        if dados:
            self.wfile.write(dados)

    def _tratar(self) -> None:
        corpo = self._ler_corpo()
        partes = urlsplit(self.path)
        if partes.path.startswith("/_controle/"):
            self._controle(partes.path, parse_qs(partes.query), corpo)
        else:
            self._os(partes.path, corpo)

    # -- control API --

    def _controle(self, caminho: str, consulta: dict[str, list[str]], corpo: bytes) -> None:
        standin = self.server.standin
        rota = caminho.rstrip("/")
        metodos = {
            "/_controle/saude": ("GET",),
            "/_controle/recebidos": ("GET", "DELETE"),
            "/_controle/modo": ("GET", "POST"),
        }
        if rota not in metodos:
            self._responder(404, {"detail": f"Rota de controle desconhecida: {caminho}"})
            return
        if self.command not in metodos[rota]:
            permitidos = ", ".join(metodos[rota])
            self._responder(405, {"detail": "Método não permitido."}, {"Allow": permitidos})
            return
        if rota == "/_controle/saude":
            saude = {"status": "ok", "modo": standin.modo_atual()}
            saude["recebidos"] = len(standin.recebidos())
            self._responder(200, saude)
        elif rota == "/_controle/recebidos" and self.command == "GET":
            filtro = consulta.get("ordem_servico_id", [None])[0]
            try:
                ordem_servico_id = int(filtro) if filtro is not None else None
            except ValueError:
                self._responder(422, {"detail": "ordem_servico_id deve ser um inteiro."})
                return
            self._responder(200, standin.recebidos(ordem_servico_id))
        elif rota == "/_controle/recebidos":
            standin.limpar()
            self._responder(204)
        elif self.command == "GET":
            self._responder(200, standin.modo_atual())
        else:
            try:
                pedido = json.loads(corpo or b"{}")
                if not isinstance(pedido, dict):
                    raise ValueError("O corpo deve ser um objeto JSON.")
                params = dict(pedido)
                nome = params.pop("modo", None)
                if not isinstance(nome, str):
                    raise ValueError("Informe 'modo' (texto).")
                self._responder(200, standin.modo(nome, **params))
            except ValueError as erro:  # json.JSONDecodeError is a ValueError
                self._responder(422, {"detail": str(erro)})

    # -- the OS service itself --

    def _os(self, caminho: str, corpo: bytes) -> None:
        estado = self.server.standin._estado
        rota = _ROTA_OS.match(caminho)
        registro = estado.novo(self._registro_inicial(caminho, rota))
        try:
            status_http, resposta, cabecalhos = self._decidir(rota, registro, corpo)
        except _SemResposta as motivo:
            estado.concluir(registro, None, str(motivo))
            self.close_connection = True
            self.server.standin._log_registro(registro)
            return
        erro = resposta.get("detail") if status_http != 200 else None
        # Recorded before answering: a client that reads the answer then asks /_controle/recebidos
        # must find it (and a 200 the client never read is exactly what a timed-out retry meets).
        estado.concluir(registro, status_http, erro)
        try:
            self._responder(status_http, resposta, cabecalhos)
        finally:
            self.server.standin._log_registro(registro)

    def _registro_inicial(self, caminho: str, rota: re.Match[str] | None) -> Registro:
        cabecalhos = self.headers
        return {
            "seq": 0,
            "recebido_em": _agora().isoformat(),
            "respondido_em": None,
            "duracao_ms": None,
            "metodo": self.command,
            "caminho": caminho,
            "veiculo_id": _inteiro(rota["veiculo"]) if rota and rota["veiculo"] else None,
            "ordem_servico_id": _inteiro(rota["id"]) if rota else None,
            "status": None,
            "sub": None,
            "idempotency_key": cabecalhos.get("Idempotency-Key"),
            "x_request_id": cabecalhos.get("X-Request-ID"),
            "traceparent": cabecalhos.get("traceparent"),
            "tracestate": cabecalhos.get("tracestate"),
            "datadog": {
                nome.lower(): valor
                for nome, valor in cabecalhos.items()
                if nome.lower().startswith("x-datadog-")
            },
            "modo": "ok",
            "status_http": None,
            "duplicado": False,
            "erro": None,
        }

    def _decidir(
        self, rota: re.Match[str] | None, registro: Registro, corpo: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if rota is None:
            return 404, {"detail": "Not Found"}, {}
        if self.command != "PATCH":
            return 405, {"detail": "Method Not Allowed"}, {"Allow": "PATCH"}
        estado = self.server.standin._estado

        # Infrastructure faults come first, as they would from a proxy or an overloaded service.
        falha = estado.falha_de_infra()
        registro["modo"] = falha.nome
        if falha.nome == "fora":
            raise _SemResposta("conexão fechada sem resposta (modo fora)")
        if falha.nome == "lento" and self.server.parando.wait(falha.segundos):
            raise _SemResposta("servidor parado durante a espera (modo lento)")
        if falha.nome == "erro500":
            return 500, {"detail": "Erro interno simulado (modo erro500)."}, {}
        if falha.nome == "limite429":
            retry = {"Retry-After": str(falha.retry_after)}
            return 429, {"detail": "Muitas requisições (modo limite429)."}, retry

        try:
            claims = self._verificar_token()
        except _TokenRecusado as erro:
            return 401, {"detail": str(erro)}, {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        registro["sub"] = None if claims.get("sub") is None else str(claims["sub"])

        ordem_servico_id = registro["ordem_servico_id"]
        if ordem_servico_id is None or (rota["veiculo"] and registro["veiculo_id"] is None):
            return 422, {"detail": "Os ids do caminho devem ser inteiros."}, {}
        try:
            dados = json.loads(corpo)
        except ValueError:
            return 422, {"detail": "Corpo JSON inválido."}, {}
        status = dados.get("status") if isinstance(dados, dict) else None
        registro["status"] = status if isinstance(status, str) else None
        if status not in STATUS_ACEITOS:
            aceitos = ", ".join(STATUS_ACEITOS)
            return 422, {"detail": f"Status inválido: {status!r}; aceitos: {aceitos}."}, {}

        if estado.nao_encontrado(ordem_servico_id):
            registro["modo"] = "nao_encontrado404"
            detalhe = f"Ordem de serviço {ordem_servico_id} não encontrada."
            return 404, {"detail": detalhe}, {}
        return 200, {"ordem_servico_id": ordem_servico_id, "status": status}, {}

    def _verificar_token(self) -> dict[str, Any]:
        standin = self.server.standin
        cabecalho = self.headers.get("Authorization") or ""
        esquema, _, token = cabecalho.partition(" ")
        if esquema.lower() != "bearer" or not token.strip():
            raise _TokenRecusado("Token ausente: envie 'Authorization: Bearer <jwt>'.")
        exigidas = ["exp"]
        if standin.issuer is not None:
            exigidas.append("iss")
        if standin.audience is not None:
            exigidas.append("aud")
        try:
            return jwt.decode(
                token.strip(),
                standin.secret,
                algorithms=[standin.algoritmo],
                issuer=standin.issuer,
                audience=standin.audience,
                options={"require": exigidas, "verify_aud": standin.audience is not None},
            )
        except jwt.ExpiredSignatureError:
            raise _TokenRecusado("Token expirado.") from None
        except jwt.MissingRequiredClaimError as erro:
            raise _TokenRecusado(f"Token sem a claim obrigatória '{erro.claim}'.") from None
        except jwt.InvalidIssuerError:
            raise _TokenRecusado("Emissor (iss) do token inválido.") from None
        except jwt.InvalidAudienceError:
            raise _TokenRecusado("Audiência (aud) do token inválida.") from None
        except jwt.InvalidSignatureError:
            raise _TokenRecusado("Assinatura do token inválida.") from None
        except jwt.PyJWTError:
            raise _TokenRecusado("Token inválido.") from None


class _TokenRecusado(Exception):
    pass


def _inteiro(texto: str) -> int | None:
    try:
        return int(texto)
    except ValueError:
        return None


# --- Python control class ------------------------------------------------------------------------


class OSStandIn:
    """The stand-in OS service, controlled from Python (tests) or over `/_controle/` (HTTP).

    Records and mode live in this object, not in the socket: they survive parar()/reiniciar(),
    as the real service's memory survives a network outage.
    """

    def __init__(
        self,
        secret: str | None = None,
        *,
        issuer: str | None = "oficina-auth",
        audience: str | None = "oficina-api",
        algoritmo: str = "HS256",
        host: str = HOST,
        log: Log | None = None,
    ) -> None:
        self.secret = secret if secret is not None else segredo_padrao()
        self.issuer = issuer or None  # None or "": not checked
        self.audience = audience or None
        self.algoritmo = algoritmo
        self.host = host
        self._log = log
        self._estado = _Estado()
        self._servidor: _Servidor | None = None
        self._thread: threading.Thread | None = None
        self._porta: int | None = None
        self._ciclo = threading.Lock()  # serialises iniciar/parar

    # -- life cycle --

    def iniciar(self, porta: int = 0) -> str:
        """Listen on 127.0.0.1:porta (0: a free port); the base URL, e.g. http://127.0.0.1:8003."""
        with self._ciclo:
            if self._servidor is not None:
                raise RuntimeError("O stand-in do serviço de OS já está em execução.")
            servidor = _Servidor((self.host, porta), self)
            self._porta = int(servidor.server_address[1])
            self._servidor = servidor
            self._thread = threading.Thread(
                target=servidor.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"os-standin-{self._porta}",
                daemon=True,
            )
            self._thread.start()
        self._emitir("iniciado", {"url": self.url})
        return self.url

    def parar(self) -> None:
        """Stop listening and drop open connections: clients now get 'connection refused'."""
        with self._ciclo:
            servidor, thread = self._servidor, self._thread
            if servidor is None:
                return
            servidor.parando.set()  # wakes handlers sleeping in mode `lento`
            servidor.shutdown()
            servidor.server_close()
            servidor.derrubar_conexoes()
            if thread is not None:
                thread.join(timeout=5)
            self._servidor = self._thread = None
        self._emitir("parado", {"porta": self._porta})

    def reiniciar(self) -> str:
        """parar() then listen again on the same port (the service 'comes back')."""
        if self._porta is None:
            raise RuntimeError("O stand-in nunca foi iniciado: não há porta para reiniciar.")
        porta = self._porta
        self.parar()
        return self.iniciar(porta)

    @property
    def em_execucao(self) -> bool:
        return self._servidor is not None

    @property
    def porta(self) -> int:
        if self._porta is None:
            raise RuntimeError("O stand-in ainda não foi iniciado.")
        return self._porta

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.porta}"

    def __enter__(self) -> OSStandIn:
        if not self.em_execucao:
            self.iniciar()
        return self

    def __exit__(
        self,
        tipo: type[BaseException] | None,
        erro: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.parar()

    def token(self, sub: str = "oficina-execucao", minutos: float = 5, **claims: Any) -> str:
        """A JWT this stand-in accepts (for tests and curl); extra claims override the defaults."""
        dados: dict[str, Any] = {"sub": sub, "exp": _agora() + timedelta(minutes=minutos)}
        if self.issuer is not None:
            dados["iss"] = self.issuer
        if self.audience is not None:
            dados["aud"] = self.audience
        dados.update(claims)
        return jwt.encode(dados, self.secret, algorithm=self.algoritmo)

    # -- observing --

    def recebidos(self, ordem_servico_id: int | None = None) -> list[Registro]:
        """Copies of the records, oldest first (optionally of one OS)."""
        return self._estado.copias(ordem_servico_id)[1]

    def limpar(self) -> None:
        """Forget records and the Idempotency-Keys seen (the mode is kept)."""
        self._estado.limpar()

    def aguardar(
        self, condicao: Callable[[list[Registro]], bool], timeout: float = 10.0
    ) -> list[Registro]:
        """Wait until condicao(records) is true; the records then, or TimeoutError."""
        estado = self._estado
        limite = time.monotonic() + timeout
        while True:
            versao, registros = estado.copias()
            if condicao(registros):
                return registros
            restante = limite - time.monotonic()
            if restante <= 0:
                raise TimeoutError(
                    f"Condição não atingida em {timeout} s; {len(registros)} requisições recebidas."
                )
            with estado.mudou:
                if estado.versao == versao:
                    estado.mudou.wait(restante)
            time.sleep(0.005)  # coalesce bursts: copying thousands of records per wake-up is waste

    # -- failing on purpose --

    def modo(self, nome: str, **params: Any) -> dict[str, Any]:
        """Adopt a failure mode; the mode as a dict. ValueError on an unknown mode or parameter.

        ok                                    200 (default)
        lento, segundos=S                     sleep S seconds, then answer normally
        erro500                               500
        limite429, retry_after=R              429 with `Retry-After: R` (default 1)
        nao_encontrado404, ids=[...]          404 (for those ordem_servico_id only, if given)
        fora                                  close the connection without an HTTP answer
        Every mode takes n=N: only for the next N calls, then back to ok (default: until changed).
        """
        novo = criar_modo(nome, params)
        self._estado.definir_modo(novo)
        dados = novo.como_dict()
        self._emitir("modo", dados)
        return dados

    def modo_atual(self) -> dict[str, Any]:
        with self._estado.lock:
            return self._estado.modo.como_dict()

    # -- logging --

    def _emitir(self, evento: str, dados: dict[str, Any]) -> None:
        if self._log is not None:
            with contextlib.suppress(Exception):  # a broken log must not break the service
                self._log(evento, dados)

    def _log_registro(self, registro: Registro) -> None:
        if self._log is not None:
            with self._estado.lock:
                copia = {**registro, "datadog": dict(registro["datadog"])}
            self._emitir("requisicao", copia)


# --- CLI -----------------------------------------------------------------------------------------


def _log_json(evento: str, dados: dict[str, Any]) -> None:
    linha = json.dumps({"evento": evento, **dados}, ensure_ascii=False)
    print(linha, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Stand-in do serviço de Ordens de Serviço (OS) para desenvolvimento e testes."
    )
    parser.add_argument("--host", default=HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument(
        "--secret", default=None, help="segredo HS256 (padrão: SECRET_KEY ou o de desenvolvimento)"
    )
    parser.add_argument(
        "--issuer",
        default=os.environ.get("JWT_ISSUER", "oficina-auth"),
        help="iss exigido; vazio desliga a verificação",
    )
    parser.add_argument(
        "--audience",
        default=os.environ.get("JWT_AUDIENCE", "oficina-api"),
        help="aud exigido; vazio desliga a verificação",
    )
    parser.add_argument("--algorithm", default=os.environ.get("ALGORITHM", "HS256"))
    args = parser.parse_args(argv)

    standin = OSStandIn(
        args.secret,
        issuer=args.issuer,
        audience=args.audience,
        algoritmo=args.algorithm,
        host=args.host,
        log=_log_json,
    )
    encerrar = threading.Event()

    def ao_sinal(signum: int, _frame: Any) -> None:
        encerrar.set()

    signal.signal(signal.SIGTERM, ao_sinal)
    signal.signal(signal.SIGINT, ao_sinal)
    try:
        standin.iniciar(args.port)
    except OSError as erro:
        print(
            f"os_standin: não foi possível escutar em {args.host}:{args.port}: {erro}",
            file=sys.stderr,
        )
        return 1
    # Short waits so the signal handler runs promptly in the main thread.
    while not encerrar.wait(0.5):
        pass
    standin.parar()
    return 0


if __name__ == "__main__":
    sys.exit(main())
