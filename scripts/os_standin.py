#!/usr/bin/env python3
"""Stand-in for the shop's Ordem de Serviço (OS) service: a small Flask app on 127.0.0.1.

Lenient (default): takes the queue's status pushes, checks the bearer JWT, records every call and
fails on demand (OSStandIn.modo). Strict (`strict=True`, `--estrito`): like the real service,
`iss`-only tokens with an integer `sub`, its own OSs moving one step forward, and a synchronous
callback without a token to the app's API (`url_execucao`) after each status change.

OS endpoints, PATCH {"status": X} or GET (the vehicle id is ignored, as by the real service):
/ordens_servico/{id}/status and /veiculos/{veiculo_id}/ordens_servico/{id}/status.
Control API (no token), under /_controle: GET saude; GET|DELETE recebidos[?ordem_servico_id=N];
GET|POST modo; GET chamadas; GET|POST ordens; POST ordens/{id}/status. CLI: see main().
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import re
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import requests
from flask import Flask, request
from werkzeug.exceptions import HTTPException
from werkzeug.serving import WSGIRequestHandler, make_server

HOST = "127.0.0.1"
DEFAULT_PORT = 8003  # next to the app's 8002
ETAPAS = (  # the real service's statuses, in order
    "RECEBIDA",
    "EM_DIAGNOSTICO",
    "AGUARDANDO_APROVACAO",
    "EM_EXECUCAO",
    "FINALIZADA",
    "ENTREGUE",
)
STATUS_ACEITOS = ETAPAS[1:5]  # lenient: exactly what the queue sends
# Each mode's parameters besides "n", with defaults; others are refused, so typos can't pass.
MODOS: dict[str, dict[str, Any]] = {
    "ok": {},
    "lento": {"segundos": 1.0},
    "erro500": {},
    "limite429": {"retry_after": 1},
    "nao_encontrado404": {"ids": None},
    "fora": {},
    "bug_aprovacao": {},
}
# The real service's callback per new status: the app's step, and its body (None: who acted).
_PASSOS: dict[str, tuple[str, dict[str, Any] | None]] = {
    "EM_DIAGNOSTICO": ("iniciar-diagnostico", None),
    "AGUARDANDO_APROVACAO": (
        "finalizar-diagnostico",
        {"diagnostico": "Diagnóstico registrado no sistema de OS."},
    ),
    "EM_EXECUCAO": ("iniciar-reparo", None),
    "ENTREGUE": ("finalizar-reparo", {}),
}
_RECUSAS_JWT = (
    (jwt.ExpiredSignatureError, "Token expirado."),
    (jwt.InvalidIssuerError, "Emissor (iss) do token inválido."),
    (jwt.InvalidAudienceError, "Audiência (aud) do token inválida."),
    (jwt.InvalidSignatureError, "Assinatura do token inválida."),
)
Registro = dict[str, Any]


class Recusa(ValueError):
    """A refusal with its HTTP answer (a ValueError for library callers)."""

    def __init__(
        self,
        status_http: int,
        detail: str,
        cabecalhos: dict[str, str] | None = None,
        *,
        texto: bool = False,  # a bare text body (a crash), not the app's {"detail": ...}
    ):
        super().__init__(detail)
        self.status_http, self.detail, self.cabecalhos = status_http, detail, cabecalhos or {}
        self.texto = texto


class _SemResposta(Exception):
    """Drop the connection without any HTTP answer."""


def _da_app() -> Any:
    """The app's settings module (Settings, DEV_SECRET_KEY), imported lazily: the stand-in's
    own behaviour must not depend on the app importing cleanly."""
    raiz = str(Path(__file__).resolve().parent.parent)
    if raiz not in sys.path:
        sys.path.insert(0, raiz)
    return importlib.import_module("webapp.settings")


def _agora() -> datetime:
    return datetime.now(UTC)


def _validar_modo(nome: str, params: dict[str, Any]) -> dict[str, Any]:
    if nome not in MODOS:
        raise Recusa(422, f"Modo desconhecido: {nome!r}; use um de {', '.join(MODOS)}.")
    if extras := sorted(set(params) - {"n", *MODOS[nome]}):
        raise Recusa(422, f"Parâmetro(s) não aceito(s) no modo {nome}: {', '.join(extras)}.")
    modo = {"modo": nome, "n": None, **MODOS[nome], **params}
    n = modo["n"] = None if nome == "ok" else modo["n"]
    if n is not None and (type(n) is not int or n < 1):
        raise Recusa(422, "'n' deve ser um inteiro >= 1 (ou omitido: até mudar o modo).")
    try:  # coerced now, so a bad value fails here and not in the middle of a call
        conversoes = {"segundos": float, "retry_after": int, "ids": lambda v: sorted(map(int, v))}
        for chave, converter in conversoes.items():
            if modo.get(chave) is not None:
                modo[chave] = converter(modo[chave])
    except (TypeError, ValueError):
        raise Recusa(422, f"Parâmetro inválido no modo {nome}: {params}.") from None
    return modo


MODO_OK = _validar_modo("ok", {})


def _derrubar(conexao: socket.socket | None) -> None:
    # shutdown(), not close(): safe from another thread, and the peer sees the connection drop.
    with contextlib.suppress(OSError):
        if conexao is not None:
            conexao.shutdown(socket.SHUT_RDWR)


class _Handler(WSGIRequestHandler):
    def log_request(self, *_: Any) -> None:
        pass  # one JSON line per OS call goes through the stand-in's own log instead


class OSStandIn:
    """The stand-in, controlled from Python (tests) or over /_controle (HTTP). Records, mode and
    OSs live here, not in the server: they survive parar()/reiniciar() like a real outage."""

    def __init__(
        self,
        secret: str | None = None,
        *,
        issuer: str | None = "oficina-auth",
        audience: str | None = "oficina-os",
        algoritmo: str = "HS256",
        host: str = HOST,
        strict: bool = False,
        url_execucao: str | None = None,
        log: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> None:
        self.secret = secret or os.environ.get("SECRET_KEY") or _da_app().DEV_SECRET_KEY
        self.issuer, self.audience = issuer or None, audience or None  # None or "": not checked
        self.algoritmo, self.host, self.strict, self._log = algoritmo, host, strict, log
        self.url_execucao = url_execucao.rstrip("/") if url_execucao else None
        self._mudou = threading.Condition(threading.RLock())  # guards all state below
        self._registros: list[Registro] = []
        self._chaves_ok: set[str] = set()
        self._chamadas: list[dict[str, Any]] = []
        self._ordens: dict[int, dict[str, Any]] = {}
        self._modo, self._seq = _validar_modo("ok", {}), 0
        self._servidor: Any = None
        self._thread = threading.Thread()
        self._porta: int | None = None
        self._parando = threading.Event()
        self._conexoes: set[Any] = set()  # sockets of OS calls in progress, dropped by parar()
        self._ciclo = threading.Lock()  # serialises iniciar/parar
        self._app = self._criar_app()

    # -- life cycle --

    def iniciar(self, porta: int = 0) -> str:
        """Listen on host:porta (0: a free port); the base URL, e.g. http://127.0.0.1:8003."""
        with self._ciclo:
            if self._servidor is not None:
                raise RuntimeError("O stand-in do serviço de OS já está em execução.")
            self._parando = threading.Event()
            try:
                servidor = make_server(
                    self.host, porta, self._app, threaded=True, request_handler=_Handler
                )
            except SystemExit:  # werkzeug exits on a busy port; a library must not
                raise OSError(f"Porta {porta} indisponível em {self.host}.") from None
            self._servidor, self._porta = servidor, servidor.server_port
            self._thread = threading.Thread(target=servidor.serve_forever, args=[0.05], daemon=True)
            self._thread.start()
        self._emitir("iniciado", {"url": self.url})
        return self.url

    def parar(self) -> None:
        """Stop listening and drop calls in progress (no answer): clients now get 'connection
        refused'. werkzeug closes every connection after its answer: no idle keep-alive is left."""
        with self._ciclo:
            servidor, self._servidor = self._servidor, None
            if servidor is None:
                return
            self._parando.set()
            servidor.shutdown()
            # werkzeug's serve_forever closes the socket itself on its way out: wait for that,
            # or the port may still be bound for an instant and reiniciar() fail.
            self._thread.join(timeout=5)
            servidor.server_close()
            for conexao in self._conexoes.copy():
                _derrubar(conexao)
        self._emitir("parado", {"porta": self._porta})

    def reiniciar(self) -> str:
        """parar() then listen again on the same port (the service 'comes back')."""
        porta = self.porta
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

    def __exit__(self, *_: object) -> None:
        self.parar()

    def token(self, sub: str | int | None = None, minutos: float = 5, **claims: Any) -> str:
        """A JWT this stand-in accepts (strict: integer sub, no aud); extra claims override."""
        if sub is None:
            sub = "1" if self.strict else "oficina-execucao"
        dados: dict[str, Any] = {"sub": sub, "exp": _agora() + timedelta(minutes=minutos)}
        if self.issuer:
            dados["iss"] = self.issuer
        if self.audience and not self.strict:
            dados["aud"] = self.audience
        return jwt.encode({**dados, **claims}, self.secret, algorithm=self.algoritmo)

    # -- observing and failing on purpose --

    def recebidos(
        self, ordem_servico_id: int | None = None, metodo: str | None = "PATCH"
    ) -> list[Registro]:
        """Copies of the records, oldest first: the status pushes (PATCH), or with `metodo`
        None every call, the status reads (GET) too; optionally of one OS."""
        with self._mudou:
            return [
                {**r, "datadog": dict(r["datadog"])}
                for r in self._registros
                if ordem_servico_id in (None, r["ordem_servico_id"])
                and metodo in (None, r["metodo"])
            ]

    def chamadas(self) -> list[dict[str, Any]]:
        """Copies of the callbacks made to the app's API, oldest first."""
        with self._mudou:
            return [dict(c) for c in self._chamadas]

    def limpar(self) -> None:
        """Forget records, Idempotency-Keys seen and callbacks (the mode and the OSs stay)."""
        with self._mudou:
            self._registros, self._chaves_ok, self._chamadas = [], set(), []
            self._mudou.notify_all()

    def aguardar(
        self, condicao: Callable[[list[Registro]], bool], timeout: float = 10.0
    ) -> list[Registro]:
        """Wait until condicao(records) is true; the records then, or TimeoutError."""
        limite = time.monotonic() + timeout
        while not condicao(registros := self.recebidos()):
            if (restante := limite - time.monotonic()) <= 0:
                recebidas = f"{len(registros)} requisições recebidas"
                raise TimeoutError(f"Condição não atingida em {timeout} s; {recebidas}.")
            with self._mudou:  # woken by each new or answered call; 50 ms if one slipped by
                self._mudou.wait(min(0.05, restante))
            # A call registers on arrival: give it a moment to be answered too, as callers wait
            # for len(r) == N and then read its status_http (also coalesces bursts).
            time.sleep(0.005)
        return registros

    def modo(self, nome: str, /, **params: Any) -> dict[str, Any]:
        """Adopt a mode; the mode as a dict, or Recusa (a ValueError). n=N: only the next N calls.

        ok (default) | lento, segundos=S: answer after S s | erro500 | limite429, retry_after=R:
        429 with Retry-After | nao_encontrado404, ids=[...]: 404 (for those OSs, if given) |
        fora: close the connection without any answer | bug_aprovacao: a PATCH to
        AGUARDANDO_APROVACAO answers 500 and changes nothing (the real service's known bug)."""
        with self._mudou:
            self._modo = _validar_modo(nome, params)
        self._emitir("modo", self.modo_atual())
        return self.modo_atual()

    def modo_atual(self) -> dict[str, Any]:
        with self._mudou:
            return dict(self._modo)

    def _falha(self, *nomes: str, aplica: Callable[[dict], bool] = lambda _: True) -> dict | None:
        """The current mode if it is one of `nomes` and applies; uses one unit of its `n`."""
        with self._mudou:
            modo = self._modo
            if modo["modo"] not in nomes or not aplica(modo):
                return None
            if modo["n"] is not None:  # at zero the service is ok again
                self._modo = {**modo, "n": modo["n"] - 1} if modo["n"] > 1 else MODO_OK
            return modo

    # -- its own OSs (the strict rules; the control API uses them in both modes) --

    def criar_os(self, ordem_servico_id: int, /, prioridade: str = "NORMAL", **extras: Any) -> dict:
        """A new OS at RECEBIDA; then, like the real service, it adds it to the app's queue."""
        if type(ordem_servico_id) is not int or ordem_servico_id < 1:
            raise Recusa(422, "ordem_servico_id deve ser um inteiro positivo.")
        with self._mudou:
            if ordem_servico_id in self._ordens:
                raise Recusa(409, f"OS {ordem_servico_id} já existe.")
            ordem = {**extras, "ordem_servico_id": ordem_servico_id, "status": ETAPAS[0]}
            self._ordens[ordem_servico_id] = ordem = {**ordem, "prioridade": prioridade}
        corpo = {"ordem_servico_id": ordem_servico_id, "prioridade": prioridade}
        chamadas = [self._chamar("POST", "/fila-execucao", corpo)[0]] if self.url_execucao else []
        return {**ordem, "chamadas": chamadas}

    def mover_os(self, ordem_servico_id: int, status: str, *, usuario_id: int) -> dict:
        """Someone using the OS service's own UI: one step forward, then the callback."""
        if type(usuario_id) is not int:
            raise Recusa(422, "usuario_id deve ser um inteiro.")
        with self._mudou:
            self._avancar(ordem_servico_id, status, desconhecida=404)
        chamadas = self._avisar_app(ordem_servico_id, status, usuario_id)
        return {"ordem_servico_id": ordem_servico_id, "status": status, "chamadas": chamadas}

    def status_os(self, ordem_servico_id: int) -> str:
        with self._mudou:
            if ordem_servico_id not in self._ordens:
                raise Recusa(404, f"Ordem de serviço {ordem_servico_id} não encontrada.")
            return self._ordens[ordem_servico_id]["status"]

    def ordens(self) -> list[dict[str, Any]]:
        with self._mudou:
            return [dict(o) for o in self._ordens.values()]

    def _avancar(self, ordem_servico_id: int, status: Any, desconhecida: int) -> None:
        """Exactly one step forward, as the real service allows; Recusa otherwise."""
        if status not in ETAPAS:
            raise Recusa(422, f"Status inválido: {status!r}; aceitos: {', '.join(ETAPAS)}.")
        atual = self._ordens.get(ordem_servico_id, {}).get("status")
        if atual is None:
            raise Recusa(desconhecida, f"Ordem de serviço {ordem_servico_id} não encontrada.")
        if atual == "ENTREGUE" or status == atual:
            motivo = "OS já foi entregue" if atual == "ENTREGUE" else f"Status já é {atual}"
            raise Recusa(400, motivo)
        if ETAPAS.index(status) != ETAPAS.index(atual) + 1:
            raise Recusa(400, f"Transição inválida: {atual} → {status}")
        self._ordens[ordem_servico_id]["status"] = status

    def _avisar_app(self, ordem_servico_id: int, status: str, usuario_id: int) -> list[dict]:
        # Synchronous (before answering) and without a token, like the real service.
        if status not in _PASSOS or not self.url_execucao:
            return []
        busca, item = self._chamar("GET", f"/fila-execucao/ordem-servico/{ordem_servico_id}")
        if not isinstance(item, dict) or "fila_id" not in item:
            return [busca]
        passo, corpo = _PASSOS[status]
        corpo = {"mecanico_responsavel_id": usuario_id} if corpo is None else corpo
        caminho = f"/fila-execucao/{item['fila_id']}/{passo}"
        return [busca, self._chamar("POST", caminho, corpo)[0]]

    def _chamar(self, metodo: str, caminho: str, corpo: Any = None) -> tuple[dict, Any]:
        """One call to the app's API; recorded, and its failure only recorded."""
        chamada = {"metodo": metodo, "caminho": caminho, "corpo": corpo, "status_http": None}
        chamada |= {"erro": None, "em": _agora().isoformat()}
        dados, url = None, f"{self.url_execucao}{caminho}"
        try:
            with requests.Session() as http:
                http.trust_env = False  # no .netrc Authorization, no proxy: only what it sends
                resposta = http.request(metodo, url, json=corpo, timeout=5)
            chamada["status_http"] = resposta.status_code
            if resposta.status_code >= 400 and resposta.status_code != 409:  # 409: step done
                chamada["erro"] = f"HTTP {resposta.status_code}: {resposta.text[:200]}"
            dados = resposta.json() if resposta.ok else None
        except (requests.RequestException, ValueError) as erro:
            chamada["erro"] = chamada["erro"] or f"{type(erro).__name__}: {erro}"
        with self._mudou:
            self._chamadas.append(chamada)
        self._emitir("chamada", chamada)
        return chamada, dados

    # -- HTTP --

    def _criar_app(self) -> Flask:
        app = Flask("os_standin")
        for prefixo in ("", "/veiculos/<int:veiculo_id>"):
            rota = f"{prefixo}/ordens_servico/<int:ordem_servico_id>/status"
            app.add_url_rule(rota, prefixo or "os", self._os, methods=["GET", "PATCH"])

        def corpo() -> dict[str, Any]:
            dados = request.get_json(force=True, silent=True)
            if not isinstance(dados, dict):
                raise Recusa(422, "O corpo deve ser um objeto JSON.")
            return dados

        @app.errorhandler(Recusa)
        def recusa(erro: Recusa) -> Any:
            return {"detail": erro.detail}, erro.status_http, erro.cabecalhos

        @app.errorhandler(HTTPException)
        def http_erro(erro: HTTPException) -> Any:  # JSON, as the real one: {"detail": "Not Found"}
            return {"detail": erro.name}, erro.code

        @app.get("/_controle/saude")
        def saude() -> Any:
            saude = {"status": "ok", "estrito": self.strict, "modo": self.modo_atual()}
            return saude | {"recebidos": len(self.recebidos())}

        @app.route("/_controle/recebidos", methods=["GET", "DELETE"])
        def recebidos() -> Any:
            if request.method == "DELETE":
                self.limpar()
                return "", 204
            metodo = request.args.get("metodo", "PATCH")
            return self.recebidos(
                request.args.get("ordem_servico_id", type=int),
                None if metodo == "todos" else metodo,
            )

        @app.route("/_controle/modo", methods=["GET", "POST"])
        def modo() -> Any:
            if request.method == "GET":
                return self.modo_atual()
            params = corpo()
            if not isinstance(nome := params.pop("modo", None), str):
                raise Recusa(422, "Informe 'modo' (texto).")
            return self.modo(nome, **params)

        @app.route("/_controle/ordens", methods=["GET", "POST"])
        def ordens() -> Any:
            if request.method == "GET":
                return self.ordens()
            dados = corpo()
            os_id, prioridade = dados.pop("ordem_servico_id", None), dados.pop("prioridade", None)
            return self.criar_os(os_id, prioridade or "NORMAL", **dados), 201

        @app.post("/_controle/ordens/<int:ordem_servico_id>/status")
        def mover(ordem_servico_id: int) -> Any:
            dados = corpo()
            usuario = dados.get("usuario_id")
            return self.mover_os(ordem_servico_id, dados.get("status"), usuario_id=usuario)

        app.get("/_controle/chamadas")(self.chamadas)
        return app

    def _os(self, ordem_servico_id: int, veiculo_id: int | None = None) -> Any:
        registro = self._registrar(ordem_servico_id, veiculo_id)
        conexao = request.environ.get("werkzeug.socket")
        self._conexoes.add(conexao)
        try:
            resposta, status_http, cabecalhos = self._atender(registro), 200, {}
        except Recusa as erro:
            resposta, status_http = {"detail": erro.detail}, erro.status_http
            cabecalhos = erro.cabecalhos
            if erro.texto:
                self._concluir(registro, status_http, erro.detail)
                return erro.detail, status_http, {**cabecalhos, "Content-Type": "text/plain"}
        except _SemResposta as motivo:
            # The socket is shut down under werkzeug: its answer fails to go out (EPIPE), which
            # it takes as a dropped connection; the client sees the connection closed, no answer.
            self._concluir(registro, None, str(motivo))
            _derrubar(conexao)
            return "", 204
        finally:
            self._conexoes.discard(conexao)
        # Recorded before answering: whoever reads the answer then the records finds this call.
        self._concluir(registro, status_http, resposta.get("detail"))
        return resposta, status_http, cabecalhos

    def _atender(self, registro: Registro) -> dict[str, Any]:
        # Infrastructure faults first, as from a proxy or an overloaded service.
        falha = self._falha("lento", "erro500", "limite429", "fora") or MODO_OK
        registro["modo"] = falha["modo"]
        if falha["modo"] == "fora":
            raise _SemResposta("conexão fechada sem resposta (modo fora)")
        if falha["modo"] == "lento" and self._parando.wait(falha["segundos"]):
            raise _SemResposta("servidor parado durante a espera (modo lento)")
        if falha["modo"] == "erro500":  # a crash, not an answer of the app: plain text
            raise Recusa(500, "Internal Server Error", texto=True)
        if falha["modo"] == "limite429":
            retry = {"Retry-After": str(falha["retry_after"])}
            raise Recusa(429, "Muitas requisições (modo limite429).", retry)
        claims = self._claims(request.headers.get("Authorization", ""))
        registro["sub"] = None if claims.get("sub") is None else str(claims["sub"])
        os_id = registro["ordem_servico_id"]
        if request.method == "GET":
            return {"ordem_servico_id": os_id, "status": self.status_os(os_id)}
        dados = request.get_json(force=True, silent=True)
        status = dados.get("status") if isinstance(dados, dict) else None
        registro["status"] = status if isinstance(status, str) else None
        aceitos = ETAPAS if self.strict else STATUS_ACEITOS
        if status not in aceitos:
            raise Recusa(422, f"Status inválido: {status!r}; aceitos: {', '.join(aceitos)}.")
        if self._falha("nao_encontrado404", aplica=lambda m: m["ids"] is None or os_id in m["ids"]):
            registro["modo"] = "nao_encontrado404"
            raise Recusa(404, f"Ordem de serviço {os_id} não encontrada.")
        with self._mudou:
            if status == "AGUARDANDO_APROVACAO" and self._falha("bug_aprovacao"):
                registro["modo"] = "bug_aprovacao"
                raise Recusa(500, "Erro ao processar transição para AGUARDANDO_APROVACAO")
            if self.strict:  # the real service answers 500 for an OS it doesn't know
                self._avancar(os_id, status, desconhecida=500)
            else:  # lenient: any status goes, and is remembered for GET
                self._ordens.setdefault(os_id, {"ordem_servico_id": os_id})["status"] = status
        if self.strict:
            self._avisar_app(os_id, status, int(claims["sub"]))
        return {"ordem_servico_id": os_id, "status": status}

    def _claims(self, cabecalho: str) -> dict[str, Any]:
        """The bearer token's claims, or Recusa 401. Strict: `aud` refused, `sub` an integer."""
        # Own decode, not webapp.tokens._decode: that always requires iss and sub, and PyJWT's
        # default check refuses an integer sub, which the strict mode must accept.
        esquema, _, token = cabecalho.partition(" ")
        token = token.strip()
        aud = None if self.strict else self.audience
        exigidas = ["exp"] + ["iss"] * bool(self.issuer) + ["aud"] * bool(aud)
        opcoes = {"require": exigidas, "verify_aud": aud is not None, "verify_sub": False}
        try:
            if esquema.lower() != "bearer" or not token:
                raise ValueError("Token ausente: envie 'Authorization: Bearer <jwt>'.")
            claims = jwt.decode(
                token, self.secret, [self.algoritmo], opcoes, audience=aud, issuer=self.issuer
            )
            if self.strict and "aud" in claims:
                raise ValueError("Token com 'aud' não é aceito pelo serviço de OS.")
            sub = claims.get("sub")
            if self.strict and (type(sub) is not int and not re.fullmatch(r"\d+", str(sub))):
                raise ValueError("O 'sub' do token deve ser o id (inteiro) de um usuário.")
            return claims
        except jwt.MissingRequiredClaimError as erro:
            motivo = f"Token sem a claim obrigatória '{erro.claim}'."
        except jwt.PyJWTError as erro:
            motivo = next((m for t, m in _RECUSAS_JWT if isinstance(erro, t)), "Token inválido.")
        except ValueError as erro:
            motivo = str(erro)
        raise Recusa(401, motivo, {"WWW-Authenticate": 'Bearer error="invalid_token"'})

    # -- records --

    def _registrar(self, ordem_servico_id: int, veiculo_id: int | None) -> Registro:
        h = request.headers
        registro: Registro = {
            "seq": 0,
            "recebido_em": _agora().isoformat(),
            "respondido_em": None,
            "duracao_ms": None,
            "metodo": request.method,
            "caminho": request.path,
            "veiculo_id": veiculo_id,
            "ordem_servico_id": ordem_servico_id,
            "status": None,
            "sub": None,
            "idempotency_key": h.get("Idempotency-Key"),
            "x_request_id": h.get("X-Request-ID"),
            "traceparent": h.get("traceparent"),
            "tracestate": h.get("tracestate"),
            "datadog": {k.lower(): v for k, v in h if k.lower().startswith("x-datadog-")},
            "modo": "ok",
            "status_http": None,
            "duplicado": False,
            "erro": None,
        }
        with self._mudou:
            self._seq += 1
            registro["seq"] = self._seq
            self._registros.append(registro)
            self._mudou.notify_all()
        return registro

    def _concluir(self, registro: Registro, status_http: int | None, erro: str | None) -> None:
        with self._mudou:
            chave = registro["idempotency_key"]
            # Duplicate: this key already got a 200 (a retry of a call the service did apply).
            registro["duplicado"] = chave is not None and chave in self._chaves_ok
            if status_http == 200 and chave is not None:
                self._chaves_ok.add(chave)
            respondido = _agora()
            duracao = respondido - datetime.fromisoformat(registro["recebido_em"])
            registro |= {"status_http": status_http, "erro": erro}
            registro["respondido_em"] = respondido.isoformat()
            registro["duracao_ms"] = round(duracao.total_seconds() * 1000, 1)
            self._mudou.notify_all()
            copia = {**registro, "datadog": dict(registro["datadog"])}
        self._emitir("requisicao", copia)

    def _emitir(self, evento: str, dados: dict[str, Any]) -> None:
        if self._log is not None:
            with contextlib.suppress(Exception):  # a broken log must not break the service
                self._log(evento, dados)


def _log_json(evento: str, dados: dict[str, Any]) -> None:
    print(json.dumps({"evento": evento, **dados}, ensure_ascii=False), flush=True)


def main(argv: list[str] | None = None) -> int:
    env = os.environ.get
    parser = argparse.ArgumentParser(description="Stand-in do serviço de Ordens de Serviço (OS).")
    parser.add_argument("--host", default=HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--secret", help="segredo do JWT (padrão: SECRET_KEY ou o de dev)")
    parser.add_argument("--issuer", default=env("JWT_ISSUER", "oficina-auth"), help="'': não checa")
    parser.add_argument("--audience", default=env("OS_TOKEN_AUD", "oficina-os"), help="idem")
    parser.add_argument("--algorithm", default=env("ALGORITHM", "HS256"))
    parser.add_argument("--estrito", action="store_true", help="comporta-se como o serviço real")
    parser.add_argument("--url-execucao", help="URL base da API da fila, chamada de volta")
    args = parser.parse_args(argv)
    standin = OSStandIn(
        args.secret,
        issuer=args.issuer,
        audience=args.audience,
        algoritmo=args.algorithm,
        host=args.host,
        strict=args.estrito,
        url_execucao=args.url_execucao,
        log=_log_json,
    )
    encerrar = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: encerrar.set())
    signal.signal(signal.SIGINT, lambda *_: encerrar.set())
    try:
        standin.iniciar(args.port)
    except OSError as erro:
        endereco = f"{args.host}:{args.port}"
        print(f"os_standin: não foi possível escutar em {endereco}: {erro}", file=sys.stderr)
        return 1
    while not encerrar.wait(0.5):  # short waits: the signal handler runs in the main thread
        pass
    standin.parar()
    return 0


if __name__ == "__main__":
    sys.exit(main())
