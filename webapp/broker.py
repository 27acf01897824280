"""Live updates across processes: one MongoDB change stream per process, shared by every
Server-Sent Events client of that process (the board's and the TV's streams).

Several gunicorn workers and pods serve one shop, so a change can come from anywhere (the board,
the JSON API, another pod): each process learns of it from the change stream on the queue.
The `Broker` runs that stream in one daemon thread, started by the first subscriber, and fans
every change out to per-subscriber bounded queues. It keeps the last resume token, so after a
network error it resumes exactly where it stopped; when the token cannot be used any more it
starts afresh and tells the subscribers to resynchronise (a full refresh of what they show).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from pymongo.database import Database
from pymongo.errors import (
    ConnectionFailure,
    InvalidOperation,
    OperationFailure,
    PyMongoError,
)

log = logging.getLogger(__name__)

MUDANCA = "mudanca"  # an item of the queue changed
PREVISAO = "previsao"  # a forecast changed (fila_id: the order's; or the forecast's summary)
CONFIG = "config"  # the settings changed (column limits): headers and the TV redraw
ACESSO = "acesso"  # a user or a TV pass changed: open streams check they may go on
ENCERRAR = "encerrar"  # this process is stopping: every stream ends, clients reconnect elsewhere
RESSINCRONIZAR = "ressincronizar"
# The kinds of change whose documents travel with the event (the queue's and the forecasts').
COM_DOCUMENTO = frozenset({MUDANCA, PREVISAO})

# Defaults; the app's config (EVENTOS_*) overrides them, e.g. tests with short heartbeats.
MAX_AWAIT_MS = 250  # a getMore waits at most this long: how fast the thread notices a stop
CAPACIDADE = 256  # events queued per subscriber before it is dropped (it reconnects)
RENDERS_GUARDADOS = 256  # shared renders kept per process (a few per view and batch)
ESPERA_RENDER_S = 5.0

# Errors after which a resume token is useless: the change stream must start afresh.
_CODIGOS_SEM_RETOMADA = {
    260,  # InvalidResumeToken
    280,  # ChangeStreamFatalError
    286,  # ChangeStreamHistoryLost
}
# Transient server states in which the same token will work again a moment later.
_CODIGOS_TRANSITORIOS = {
    6,
    7,
    43,
    63,
    89,
    91,
    133,
    150,
    189,
    234,
    237,
    262,
    9001,
    10107,
    11600,
    11602,
    13388,
    13435,
    13436,
}


@dataclass(frozen=True)
class Evento:
    """One change (of the queue, the settings or who may watch), or a request to resynchronise
    (`tipo`). `seq` numbers the process's events: a batch's seqs name its render."""

    tipo: str
    fila_id: str | None = None
    operacao: str | None = None  # insert, update, replace, delete
    documento: dict[str, Any] | None = None  # the item now; None when it is gone
    campos: frozenset[str] = field(default_factory=frozenset)  # fields an update changed
    seq: int = 0


def chave(lote: list[Evento]) -> tuple[int, ...]:
    """What a batch of events is, for sharing its render among the streams of one view."""
    return tuple(e.seq for e in lote)


def _evento(
    change: dict[str, Any], tipos: dict[str, str], invisiveis: tuple[str, ...] = ()
) -> Evento | None:
    operacao = change.get("operationType")
    if operacao not in ("insert", "update", "replace", "delete"):
        return None
    tipo = tipos.get((change.get("ns") or {}).get("coll", ""), MUDANCA)
    if tipo not in COM_DOCUMENTO:
        return Evento(tipo, operacao=operacao)
    chave = change.get("documentKey") or {}
    descricao = change.get("updateDescription") or {}
    campos = frozenset(descricao.get("updatedFields", {})) | frozenset(
        descricao.get("removedFields", [])
    )
    if invisiveis and campos and all(c.startswith(invisiveis) for c in campos):
        return None  # nothing any screen shows has changed (e.g. a dispatcher's lease)
    return Evento(
        tipo,
        fila_id=str(chave.get("_id")),
        operacao=operacao,
        # With updateLookup an update carries the whole item; None if it was deleted since.
        documento=None if operacao == "delete" else change.get("fullDocument"),
        campos=campos,
    )


class Ouvinte(Protocol):
    """Kept current by the change stream itself, in its thread (Broker.ouvir): a copy of a
    collection in this process's memory (previsao.cache). Called before any subscriber hears
    of the change, so a push and a read of the copy agree."""

    def aberto(self, retomado: bool) -> None:
        """The stream is open: `retomado`, resumed from its token (no change was missed since
        the last one heard); else opened afresh (whatever happened before is unknown: reload)."""

    def mudou(self, evento: Evento) -> None:
        """A change, every one the stream brings (even those no screen shows)."""

    def fechado(self) -> None:
        """The stream is down (an error, a stop): changes may be missed until `aberto`."""


class _Render:
    def __init__(self) -> None:
        self.pronto = threading.Event()
        self.html: str | None = None


class Assinatura:
    """One subscriber's bounded queue. A subscriber that falls behind is dropped: `encerrada`
    turns true and its stream should end, so the client reconnects and gets a full refresh."""

    def __init__(self, broker: Broker, capacidade: int) -> None:
        self._broker = broker
        self._fila: queue.Queue[Evento] = queue.Queue(maxsize=capacidade)
        self.encerrada = False

    def entregar(self, evento: Evento) -> None:
        try:
            self._fila.put_nowait(evento)
        except queue.Full:
            self.encerrada = True
            self._broker.cancelar(self)
            log.warning("assinante lento descartado (fila cheia); o cliente vai reconectar")

    def proximo(self, timeout: float) -> Evento | None:
        """The next event, or None after `timeout` seconds (or when dropped)."""
        if self.encerrada:
            return None
        try:
            return self._fila.get(timeout=timeout)
        except queue.Empty:
            return None

    def drenar(self) -> list[Evento]:
        """Everything already queued, without waiting."""
        eventos = []
        while True:
            try:
                eventos.append(self._fila.get_nowait())
            except queue.Empty:
                return eventos

    def fechar(self) -> None:
        self._broker.cancelar(self)

    def __enter__(self) -> Assinatura:
        return self

    def __exit__(self, *_: object) -> None:
        self.fechar()


class Broker:
    """The process's one change stream, fanned out to its subscribers. It watches the database
    for the collections in `tipos` ({name: MUDANCA | PREVISAO | CONFIG | ACESSO}) only;
    documents are looked up for the queue's and the forecasts' changes alone (never a
    user's). `revogam` names, per ACESSO collection, the fields whose update can end
    someone's access: its inserts and its other updates (a TV pass's last use, a user's last
    sign-in) are filtered out by the server, so a thousand TVs coming back at once never wake
    every stream a thousand times. An update that touches only fields starting with one of
    `invisiveis` is no event at all, nor, filtered by the server, a change of a document that
    matches its collection's `fora` (fields and values: imported history, which no screen
    shows, 50,000 orders in one go)."""

    def __init__(
        self,
        db: Database,
        tipos: dict[str, str],
        *,
        revogam: dict[str, tuple[str, ...]] | None = None,
        invisiveis: tuple[str, ...] = (),
        fora: dict[str, dict[str, Any]] | None = None,
        max_await_ms: int = MAX_AWAIT_MS,
        capacidade: int = CAPACIDADE,
        espera_inicial: float = 0.2,
        espera_maxima: float = 5.0,
    ) -> None:
        self.db = db
        self.tipos = tipos
        self.revogam = revogam or {}
        self.invisiveis = invisiveis
        self.fora = fora or {}
        self._seq = itertools.count(1)
        self.ultimo_seq = 0  # the last event published: full renders are shared per value
        self._renders: OrderedDict[Any, _Render] = OrderedDict()
        self._trava_renders = threading.Lock()
        self.max_await_ms = max_await_ms
        self.capacidade = capacidade
        self.espera_inicial = espera_inicial
        self.espera_maxima = espera_maxima
        self.token: dict[str, Any] | None = None  # the last resume token seen
        self.reconexoes = 0  # streams reopened after an error (observability)
        self.encerrando = False
        self._assinantes: set[Assinatura] = set()
        self._trava = threading.Lock()  # the subscriber set
        self._trava_thread = threading.Lock()  # starting and stopping the thread
        self._parar = threading.Event()
        self._pronto = threading.Event()
        self._thread: threading.Thread | None = None
        self._stream: Any = None
        self._ouvintes: list[Ouvinte] = []
        # When the stream last answered (a getMore, with or without changes; monotonic): a
        # copy kept by it is current only while this is recent.
        self.visto_em = float("-inf")
        # getMores that found nothing new: the second one counted after a write started after
        # it, so the stream has brought that write (PrevisoesEmMemoria.escrito).
        self.em_dia = 0

    # --- subscribers ------------------------------------------------------------------------

    def encerrar(self) -> None:
        """The process is stopping (SIGTERM): every open stream ends now, and new ones end at
        once; the clients reconnect, to another worker or pod."""
        self.encerrando = True
        self._publicar(Evento(ENCERRAR))

    def assinar(self) -> Assinatura:
        assinatura = Assinatura(self, self.capacidade)
        with self._trava:
            self._assinantes.add(assinatura)
        if self.encerrando:
            # The process is stopping (read after joining: encerrar's own event reached every
            # subscriber that joined before it): this one ends at once too, never held until
            # the grace period runs out.
            assinatura.entregar(replace(Evento(ENCERRAR), seq=self.ultimo_seq))
            return assinatura
        self._iniciar()
        return assinatura

    def cancelar(self, assinatura: Assinatura) -> None:
        with self._trava:
            self._assinantes.discard(assinatura)

    @property
    def assinantes(self) -> int:
        with self._trava:
            return len(self._assinantes)

    def aguardar_pronto(self, timeout: float = 3.0) -> bool:
        """Wait until the change stream is open, so a snapshot taken now misses nothing."""
        return self._pronto.wait(timeout)

    def ouvir(self, ouvinte: Ouvinte) -> None:
        """Keep `ouvinte` current (wired once, before the stream ever starts: it hears every
        opening). Its calls run in the stream's thread."""
        self._ouvintes.append(ouvinte)

    def iniciar(self) -> None:
        """Start the stream without a subscriber (for the listeners), unless the process is
        stopping; nothing if it runs."""
        if not self.encerrando and not self.rodando:
            self._iniciar()

    def _avisar(self, metodo: str, *args: Any) -> None:
        for ouvinte in self._ouvintes:
            try:
                getattr(ouvinte, metodo)(*args)
            except Exception:  # a listener's failure must not stop the stream
                log.exception("ouvinte do change stream falhou (%s)", metodo)

    def _publicar(self, evento: Evento) -> None:
        evento = replace(evento, seq=next(self._seq))
        self.ultimo_seq = evento.seq
        with self._trava:
            assinantes = list(self._assinantes)
        for assinatura in assinantes:
            assinatura.entregar(evento)

    # --- the thread -------------------------------------------------------------------------

    def _iniciar(self) -> None:
        # Its own lock: the thread takes `_trava` to publish, so joining it under `_trava` could
        # deadlock.
        with self._trava_thread:
            if self._thread is not None and self._thread.is_alive():
                if not self._parar.is_set():
                    return
                self._thread.join()  # a stop in progress: let it finish, then start again
            self._parar.clear()
            self._thread = threading.Thread(
                target=self._rodar, name="fila-change-stream", daemon=True
            )
            self._thread.start()

    def parar(self, timeout: float = 5.0) -> None:
        """Stop the thread (tests, shutdown) within max_await_ms; the next subscriber restarts
        it, resuming from the token."""
        with self._trava_thread:
            self._parar.set()
            if self._thread is not None:
                self._thread.join(timeout)
            self._pronto.clear()

    @property
    def rodando(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _rodar(self) -> None:
        falhas = 0
        while not self._parar.is_set():
            com_token = self.token is not None
            try:
                stream = self.db.watch(
                    self._pipeline(),
                    full_document="updateLookup",
                    resume_after=self.token,
                    max_await_time_ms=self.max_await_ms,
                )
            except InvalidOperation:
                break  # the client was closed: the app is going away
            except PyMongoError as erro:
                if com_token and _token_inutil(erro):
                    self._recomecar(erro)
                    continue
                falhas += 1
                self._esperar(falhas, erro)
                continue
            self._stream = stream
            if falhas:
                self.reconexoes += 1
            falhas = 0
            self.visto_em = time.monotonic()
            self._avisar("aberto", com_token)
            if not com_token and self._pronto.is_set():
                # Opened afresh after it had been running: whatever happened in between is
                # unknown, so every subscriber redraws from the database.
                self._publicar(Evento(RESSINCRONIZAR))
            self._pronto.set()
            try:
                self._ler(stream)
                continue  # ended by a stop, or the collection went away: reopen afresh
            except InvalidOperation:
                # The stream died without an error of its own (or the client was closed: then
                # watch() above raises InvalidOperation and the loop ends): resume from the token.
                problema: PyMongoError | None = None
            except PyMongoError as erro:
                problema = erro
            finally:
                self._stream = None
                self._avisar("fechado")
                with contextlib.suppress(PyMongoError):
                    stream.close()
            if problema is not None and _token_inutil(problema):
                self._recomecar(problema)
            else:
                falhas += 1
                self._esperar(falhas, problema)
        self._pronto.clear()

    def _ler(self, stream: Any) -> None:
        while not self._parar.is_set() and stream.alive:
            change = stream.try_next()
            self.visto_em = time.monotonic()
            # The token advances even without changes (post-batch token): resume from here.
            if stream.resume_token is not None:
                self.token = stream.resume_token
            if change is None:
                self.em_dia += 1
                continue
            if change.get("operationType") in ("invalidate", "drop", "rename", "dropDatabase"):
                # The collection went away: the stream cannot resume past this point; it is
                # reopened afresh, and that tells the subscribers to resynchronise.
                self.token = None
                return
            evento = _evento(change, self.tipos)
            if evento is None:
                continue
            self._avisar("mudou", evento)  # every change, even one no screen shows
            if not (evento.campos and all(c.startswith(self.invisiveis) for c in evento.campos)):
                self._publicar(evento)
        if not self._parar.is_set():
            raise InvalidOperation("change stream closed")

    def _pipeline(self) -> list[dict[str, Any]]:
        fila = [nome for nome, tipo in self.tipos.items() if tipo in COM_DOCUMENTO]
        so_da_fila = {"$in": ["$ns.coll", fila]}
        filtros: list[dict[str, Any]] = [
            {"ns.coll": {"$in": [nome for nome in self.tipos if nome not in self.revogam]}}
        ]
        for nome, campos in self.revogam.items():
            # A delete or a replace always counts; an update only when it touches `campos`.
            filtros.append({"ns.coll": nome, "operationType": {"$nin": ["insert", "update"]}})
            tocados = [{f"updateDescription.updatedFields.{c}": {"$exists": True}} for c in campos]
            if campos:
                tocados.append({"updateDescription.removedFields": {"$in": list(campos)}})
                filtros.append({"ns.coll": nome, "operationType": "update", "$or": tocados})
        ocultos = [
            {"ns.coll": nome, **{f"fullDocument.{c}": v for c, v in campos.items()}}
            for nome, campos in self.fora.items()
        ]
        return [
            {"$match": {"$or": filtros, **({"$nor": ocultos} if ocultos else {})}},
            # Other collections' documents and changed fields (a password hash...) never leave
            # the database: their events only say that something changed.
            {"$set": {
                "fullDocument": {"$cond": [so_da_fila, "$fullDocument", "$$REMOVE"]},
                "updateDescription": {"$cond": [so_da_fila, "$updateDescription", "$$REMOVE"]},
            }},
        ]  # fmt: skip

    # --- renders shared by the streams of one view -------------------------------------------

    def renderizar(self, chave_render: Any, fazer: Callable[[], str]) -> str:
        """`fazer()` once per key in this process, however many streams ask for it at once
        (the others wait for that one render)."""
        with self._trava_renders:
            render = self._renders.get(chave_render)
            dono = render is None
            if render is None:
                render = self._renders[chave_render] = _Render()
                while len(self._renders) > RENDERS_GUARDADOS:
                    self._renders.popitem(last=False)
        if dono:
            try:
                render.html = fazer()
            finally:
                render.pronto.set()
        elif not render.pronto.wait(ESPERA_RENDER_S) or render.html is None:
            return fazer()  # the first one failed or hangs: render for ourselves
        return render.html  # type: ignore[return-value]

    def _recomecar(self, erro: PyMongoError) -> None:
        # Reopened without a token; the subscribers are told to resynchronise once it is open
        # (telling them now could let a change slip between their refresh and the new stream).
        log.warning("resume token não serve mais; recomeçando o change stream: %s", erro)
        self.token = None

    def _esperar(self, falhas: int, erro: PyMongoError | None) -> None:
        espera = min(self.espera_maxima, self.espera_inicial * 2 ** (falhas - 1))
        if erro is not None and not self._parar.is_set():
            log.warning("change stream interrompido (%s); nova tentativa em %.1fs", erro, espera)
        self._parar.wait(espera)


def _token_inutil(erro: PyMongoError) -> bool:
    if isinstance(erro, ConnectionFailure) or not isinstance(erro, OperationFailure):
        return False
    if erro.code in _CODIGOS_SEM_RETOMADA:
        return True
    if erro.has_error_label("ResumableChangeStreamError"):
        return False
    return erro.code not in _CODIGOS_TRANSITORIOS
