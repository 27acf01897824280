"""Delivery of the queue's steps to the Ordem de Serviço (OS) service: the dispatcher.

Each step writes its event into the item (`eventos_os`, an outbox) in the step's own update
(webapp/repository.py). A `Despachante` then, off the request path:

1. claims ONE due item with a lease (a conditional update on `os_sync`, served by an index), so
   two dispatchers (threads, workers, pods) never work on the same item at once, and a crashed
   one's claim simply expires;
2. sends that item's FIRST undelivered event only (strict order per OS: a later event waits);
3. records the outcome with an update that matches its own lease and recomputes `os_sync`.

It runs as a daemon thread in each web process (woken right after a step commits, and polling)
and as `flask --app wsgi os-sync run` for a dedicated deployment. The rules (backoff, what an
HTTP answer means, the item's state) are pure, in webapp/entrega.py.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import click
import requests
from flask import Flask, current_app, has_request_context, request
from flask.cli import with_appcontext
from pymongo import ASCENDING, ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, InvalidOperation, PyMongoError
from requests.adapters import HTTPAdapter

from . import entrega, logs
from .config import Settings
from .entrega import Desfecho, EstadoEvento, Resultado
from .repository import COLECAO, eventos_atualizados, resumo_os_sync
from .service import agora
from .tokens import emitir

log = logging.getLogger("webapp.os_sync")

SAUDE = "sincronizacao_os"  # one document, _id "os": the health of the link
ID_SAUDE = "os"
VALIDADE_TOKEN_MIN = 5  # the JWT sent to the OS service lives a few minutes...
RENOVAR_TOKEN_S = (
    120  # ...and is minted again after two, so a slow request never carries a dead one
)


def origem_da_requisicao() -> dict[str, Any]:
    """What ties a step to the request that caused it: its request id and trace headers."""
    if not has_request_context():
        return {"request_id": logs.request_id(), "trace": {}}
    return {"request_id": logs.request_id(), "trace": entrega.trace_de(request.headers)}


# --- Health of the link, for the board's banner -------------------------------------------------


@dataclass(frozen=True)
class SituacaoOS:
    desligada: bool  # URL_API_OS unset: nothing is sent
    fora_desde: datetime | None  # start of the current streak of failed attempts
    pendentes: int  # events waiting, across the queue
    falhas: int  # orders whose head event failed for good (a manager must retry)
    alerta_fora: bool  # down for longer than OS_ALERTA_FORA_S
    minutos_fora: int


def situacao_os(db: Database, settings: Settings, instante: datetime | None = None) -> SituacaoOS:
    """The link as the board's banner tells it (two small indexed reads)."""
    instante = instante or agora()
    totais = next(
        db[COLECAO].aggregate(
            [
                {
                    "$match": {"os_sync.pendentes": {"$gt": 0}}
                },  # the partial index os_sync_pendentes
                {
                    "$group": {
                        "_id": None,
                        "pendentes": {"$sum": "$os_sync.pendentes"},
                        "falhas": {"$sum": {"$cond": ["$os_sync.falhou", 1, 0]}},
                    }
                },
            ]
        ),
        {"pendentes": 0, "falhas": 0},
    )
    saude = db[SAUDE].find_one({"_id": ID_SAUDE}) or {}
    fora_desde = saude.get("fora_desde")
    segundos_fora = (instante - fora_desde).total_seconds() if fora_desde else 0.0
    return SituacaoOS(
        desligada=not settings.url_api_os,
        fora_desde=fora_desde,
        pendentes=totais["pendentes"],
        falhas=totais["falhas"],
        alerta_fora=fora_desde is not None and segundos_fora >= settings.os_alerta_fora_s,
        minutos_fora=int(max(0.0, segundos_fora) // 60),
    )


# --- The dispatcher -----------------------------------------------------------------------------


def _descricao_erro(erro: requests.RequestException) -> str:
    texto = str(erro)
    for trecho, descricao in (
        ("Connection refused", "conexão recusada"),
        ("RemoteDisconnected", "conexão encerrada sem resposta"),
        ("Connection aborted", "conexão encerrada sem resposta"),
        ("Connection reset", "conexão reiniciada"),
        ("Name or service not known", "nome do servidor não encontrado"),
        ("Temporary failure in name resolution", "nome do servidor não encontrado"),
    ):
        if trecho in texto:
            return descricao
    return type(erro).__name__


def _corpo(resposta: requests.Response) -> str:
    """The reason an answer gives: its JSON `detail`, else the start of its text."""
    texto = resposta.text[:2000]
    try:
        dados = json.loads(texto)
    except ValueError:
        return texto
    if isinstance(dados, dict) and isinstance(dados.get("detail"), str):
        return dados["detail"]
    return texto


class Despachante:
    """Delivers pending events to the OS service. One instance is one dispatcher (one owner
    id): use it from one thread at a time; run several instances for several dispatchers."""

    def __init__(self, db: Database, settings: Settings, *, dono: str | None = None) -> None:
        self.db = db
        self.fila = db[COLECAO]
        self.saude = db[SAUDE]
        self.settings = settings
        self.dono = dono or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._http: requests.Session | None = None
        self._token: tuple[str, float] | None = None
        self._acordar = threading.Event()
        self._parar = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._desligado = False  # stopped on purpose: garantir() must not restart it
        self._trava = threading.Lock()

    @property
    def ligado(self) -> bool:
        return bool(self.settings.url_api_os)

    # --- one item -------------------------------------------------------------------------

    def reivindicar(self, instante: datetime) -> dict[str, Any] | None:
        """Claim the item whose head event is due first, if no one holds it: the item with its
        lease, or None. The lease is timed by the database's clock ($$NOW), so dispatchers on
        hosts with skewed clocks still agree on when it expires."""
        return self.fila.find_one_and_update(
            {
                "os_sync.proxima": {"$lte": instante},
                "os_sync.falhou": {"$ne": True},
                "$or": [
                    {"os_sync.lease_ate": None},
                    {"$expr": {"$lte": ["$os_sync.lease_ate", "$$NOW"]}},
                ],
            },
            [
                {
                    "$set": {
                        "os_sync.lease_dono": self.dono,
                        "os_sync.lease_ate": {"$add": ["$$NOW", self.settings.os_lease_ms]},
                    }
                }
            ],
            sort=[("os_sync.proxima", ASCENDING)],
            projection={"ordem_servico_id": 1, "eventos_os": 1, "os_sync": 1},
            return_document=ReturnDocument.AFTER,
        )

    def despachar_uma_vez(self) -> bool:
        """Claim one due item and try its head event; False when nothing was due."""
        if not self.ligado:
            return False  # sync off: events stay pending until URL_API_OS is set
        item = self.reivindicar(agora())
        if item is None:
            return False
        lease = item["os_sync"]
        evento = next(
            (e for e in item.get("eventos_os", []) if e.get("estado") != EstadoEvento.ENVIADO),
            None,
        )
        if (
            evento is None
            or evento.get("estado") != EstadoEvento.PENDENTE
            or evento["proxima_tentativa"] > agora()
        ):
            # Claimed on a stale summary: recompute it and let go.
            self._gravar(item["_id"], lease, None, {})
            return True
        resultado, duracao_ms = self._enviar(item["ordem_servico_id"], evento)
        momento = agora()
        campos = entrega.proximo_passo(
            resultado,
            evento,
            momento,
            base_s=self.settings.os_retentativa_base_ms / 1000,
            maximo_s=self.settings.os_retentativa_max_ms / 1000,
            prazo_s=self.settings.os_prazo_retentativas_s,
        )
        gravado = self._gravar(item["_id"], lease, evento["seq"], campos)
        self._log(item, evento, campos, resultado, duracao_ms, gravado)
        self._registrar_saude(resultado, momento)
        return True

    def _gravar(
        self, fila_id: Any, lease: dict[str, Any], seq: int | None, campos: dict[str, Any]
    ) -> bool:
        """Record an attempt's outcome on event `seq` and let go of the item, only if the lease
        is still ours (a dispatcher that outlived its lease must not overwrite the next one's
        work). The summary is recomputed in the same update, from the array as it is then
        (steps may have added events meanwhile)."""
        etapas: list[dict[str, Any]] = []
        if seq is not None:
            condicao = {"$eq": ["$$this.seq", seq]}
            etapas.append({"$set": {"eventos_os": eventos_atualizados(condicao, campos)}})
        etapas.append({"$set": resumo_os_sync()})
        etapas.append({"$unset": ["os_sync.lease_dono", "os_sync.lease_ate"]})
        resultado = self.fila.update_one(
            {
                "_id": fila_id,
                "os_sync.lease_dono": lease["lease_dono"],
                "os_sync.lease_ate": lease["lease_ate"],
            },
            etapas,
        )
        return resultado.matched_count == 1

    def _registrar_saude(self, resultado: Resultado, instante: datetime) -> None:
        if resultado.desfecho is Desfecho.ENVIADO:
            mudanca: dict[str, Any] = {
                "$set": {"ultimo_sucesso": instante, "ultimo_contato": instante},
                "$unset": {"fora_desde": "", "ultimo_erro": ""},
            }
        elif resultado.fora_do_ar:
            # $min keeps the start of the streak ($min on a missing field sets it).
            mudanca = {
                "$min": {"fora_desde": instante},
                "$set": {"ultima_falha": instante, "ultimo_erro": resultado.motivo},
            }
        else:  # a final answer (e.g. 404): the service is up, it refused this one event
            mudanca = {"$set": {"ultimo_contato": instante}, "$unset": {"fora_desde": ""}}
        try:
            self.saude.update_one({"_id": ID_SAUDE}, mudanca, upsert=True)
        except DuplicateKeyError:  # two first-ever upserts raced: the document exists now
            self.saude.update_one({"_id": ID_SAUDE}, mudanca)

    # --- HTTP ------------------------------------------------------------------------------

    def _sessao(self) -> requests.Session:
        if self._http is None:
            sessao = requests.Session()
            # Pooled keep-alive connections; no automatic retries: ours are spaced and logged.
            adaptador = HTTPAdapter(pool_connections=1, pool_maxsize=2, max_retries=0)
            sessao.mount("http://", adaptador)
            sessao.mount("https://", adaptador)
            sessao.headers["User-Agent"] = "oficina-fila-execucao"
            self._http = sessao
        return self._http

    def _jwt(self) -> str:
        if self._token is None or time.monotonic() - self._token[1] > RENOVAR_TOKEN_S:
            token = emitir(self.settings, self.settings.os_token_sub, minutos=VALIDADE_TOKEN_MIN)
            self._token = (token, time.monotonic())
        return self._token[0]

    def url(self, ordem_servico_id: int) -> str:
        base = (self.settings.url_api_os or "").rstrip("/")
        return base + self.settings.os_path_template.format(ordem_servico_id=ordem_servico_id)

    def _enviar(self, ordem_servico_id: int, evento: dict[str, Any]) -> tuple[Resultado, float]:
        cabecalhos = {
            **(evento.get("trace") or {}),
            "Authorization": f"Bearer {self._jwt()}",
            "Idempotency-Key": evento["chave"],
            "X-Request-ID": evento.get("request_id") or evento["chave"],
        }
        timeout = (
            self.settings.os_timeout_conexao_ms / 1000,
            self.settings.os_timeout_leitura_ms / 1000,
        )
        inicio = time.perf_counter()
        try:
            resposta = self._sessao().patch(
                self.url(ordem_servico_id),
                json={"status": evento["status"]},
                headers=cabecalhos,
                timeout=timeout,
                allow_redirects=False,
            )
            resultado = entrega.classificar_resposta(
                resposta.status_code, _corpo(resposta), resposta.headers.get("Retry-After"), agora()
            )
        except requests.Timeout as erro:
            resultado = entrega.classificar_erro_rede(type(erro).__name__, tempo_esgotado=True)
        except requests.RequestException as erro:
            resultado = entrega.classificar_erro_rede(_descricao_erro(erro), tempo_esgotado=False)
        return resultado, round((time.perf_counter() - inicio) * 1000, 1)

    def _log(
        self,
        item: dict[str, Any],
        evento: dict[str, Any],
        campos: dict[str, Any],
        resultado: Resultado,
        duracao_ms: float,
        gravado: bool,
    ) -> None:
        estado = campos["estado"]
        if estado == EstadoEvento.ENVIADO:
            nivel, desfecho = logging.INFO, "enviado"
        elif estado == EstadoEvento.FALHOU:
            nivel, desfecho = logging.ERROR, "falhou"
        else:
            nivel, desfecho = logging.WARNING, "nova_tentativa"
        mensagem = "envio ao sistema de OS"
        if not gravado:
            # Our lease expired and someone else holds the item now: it will send the event
            # again with the same Idempotency-Key; this outcome is dropped.
            nivel, mensagem = logging.WARNING, "envio ao sistema de OS: resultado descartado"
        log.log(
            nivel,
            mensagem,
            extra={
                "ordem_servico_id": item["ordem_servico_id"],
                "fila_id": str(item["_id"]),
                "evento": evento["status"],
                "seq": evento["seq"],
                "tentativa": campos["tentativas"],
                "resultado": desfecho,
                "http_status": resultado.http_status,
                "duracao_ms": duracao_ms,
                "request_id": evento.get("request_id"),
                "idempotency_key": evento["chave"],
                "erro": resultado.motivo,
                "proxima_tentativa": campos.get("proxima_tentativa"),
                "despachante": self.dono,
            },
        )

    # --- loops -----------------------------------------------------------------------------

    def processar_pendentes(self, prazo_s: float | None = None) -> int:
        """Attempts until nothing is due now; with `prazo_s`, keep going (waiting out backoffs)
        until no deliverable event is left or the deadline passes. The number of attempts."""
        limite = time.monotonic() + (prazo_s or 0)
        tentativas = 0
        while True:
            while self.despachar_uma_vez():
                tentativas += 1
            if prazo_s is None or time.monotonic() >= limite:
                return tentativas
            resta = self.fila.find_one(
                {"os_sync.pendentes": {"$gt": 0}, "os_sync.falhou": {"$ne": True}}, {"_id": 1}
            )
            if resta is None:
                return tentativas
            time.sleep(0.01)

    def rodar(self, parar: threading.Event) -> None:
        """The loop of a dispatcher thread (or of the CLI): deliver while something is due,
        then sleep until woken by a step or for the polling interval."""
        intervalo = self.settings.os_sync_intervalo_ms / 1000
        falhas = 0
        while not parar.is_set():
            self._acordar.clear()  # a wake-up from now on is seen by the wait below
            try:
                trabalhou = self.despachar_uma_vez()
                falhas = 0
            except InvalidOperation:
                return  # the MongoDB client was closed: the app is going away
            except PyMongoError as erro:
                falhas += 1
                espera = min(10.0, 0.5 * 2 ** (falhas - 1))
                log.warning(
                    "despachante de OS sem banco (%s); nova tentativa em %.1fs", erro, espera
                )
                parar.wait(espera)
                continue
            except Exception:
                log.exception("erro inesperado no despachante de OS")
                parar.wait(intervalo)
                continue
            if not trabalhou:
                self._acordar.wait(intervalo)

    def acordar(self) -> None:
        """A step just committed an event: look now instead of at the next poll."""
        self._acordar.set()

    def iniciar(self) -> None:
        """Start the background thread of this process (again after a fork)."""
        with self._trava:
            vivo = self._thread is not None and self._thread.is_alive()
            if vivo and self._pid == os.getpid():
                return
            self._desligado = False
            self._pid = os.getpid()
            self._http = None  # a pool inherited through fork() is not ours to use
            self._parar = threading.Event()
            self._thread = threading.Thread(
                target=self.rodar, args=(self._parar,), name="os-sync", daemon=True
            )
            self._thread.start()

    def garantir(self) -> None:
        """Before each request: the thread runs in this process (it does not survive a fork,
        as with gunicorn --preload, and `flask run` starts it here)."""
        thread = self._thread
        if self._desligado or (
            thread is not None and thread.is_alive() and self._pid == os.getpid()
        ):
            return
        self.iniciar()

    def parar(self, timeout: float = 5.0) -> None:
        """Stop the thread; an attempt in flight may finish (or its lease simply expires)."""
        with self._trava:
            self._desligado = True
            self._parar.set()
            self._acordar.set()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def rodando(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


# --- Wiring and the CLI -------------------------------------------------------------------------


def instalar(app: Flask) -> None:
    """One dispatcher per app (= per process), wired to the service: steps carry their request's
    ids and wake it. Its thread starts here, except under `flask` commands (init-db, seed-demo,
    os-sync run...), where a web request (`flask run`) would start it."""
    settings: Settings = app.config["SETTINGS"]
    despachante = Despachante(app.extensions["mongo"].db, settings)
    app.extensions["os_sync"] = despachante
    fila = app.extensions["fila"]
    fila.origem = origem_da_requisicao
    fila.ao_enfileirar = despachante.acordar
    if settings.os_sync_thread and settings.url_api_os:
        if os.environ.get("FLASK_RUN_FROM_CLI") != "true":
            despachante.iniciar()
        app.before_request(despachante.garantir)
    app.cli.add_command(os_sync)


@click.group("os-sync")
def os_sync() -> None:
    """Entrega dos passos ao sistema de OS."""


@os_sync.command("run")
@click.option(
    "--ate-vazio", is_flag=True, help="Sai quando não houver mais nada para enviar agora."
)
@with_appcontext
def run(ate_vazio: bool) -> None:
    """Run a dispatcher in the foreground (a dedicated deployment); stops on SIGTERM/SIGINT."""
    settings: Settings = current_app.config["SETTINGS"]
    if not settings.url_api_os:
        click.echo("URL_API_OS não configurada: não há para onde enviar.", err=True)
        raise SystemExit(1)
    despachante: Despachante = current_app.extensions["os_sync"]
    despachante.parar()  # this process's own thread, if any: the loop below is the dispatcher
    parar = threading.Event()

    def ao_sinal(signum: int, _frame: Any) -> None:
        log.info("despachante de OS: sinal %s recebido, encerrando", signum)
        parar.set()
        despachante.acordar()

    signal.signal(signal.SIGTERM, ao_sinal)
    signal.signal(signal.SIGINT, ao_sinal)
    log.info("despachante de OS iniciado", extra={"despachante": despachante.dono})
    if ate_vazio:
        despachante.processar_pendentes()
    else:
        despachante.rodar(parar)
    log.info("despachante de OS encerrado", extra={"despachante": despachante.dono})


@os_sync.command("status")
@with_appcontext
def status() -> None:
    """Print the link's state: off, down since, events waiting, failed orders."""
    settings: Settings = current_app.config["SETTINGS"]
    situacao = situacao_os(current_app.extensions["mongo"].db, settings)
    click.echo(json.dumps(asdict(situacao), default=str, ensure_ascii=False))
