"""Server-Sent Events: the body of a board's or a TV's live stream, fed by the process's one
change stream (broker.py). First the whole current state, then each change, a beat ("batida")
every SSE_BATIDA_MS, and an end when the viewer's access is revoked or the process stops."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from flask import Response, stream_with_context
from pymongo.errors import PyMongoError

from . import assets, errors, metrics
from .broker import ACESSO, CONFIG, ENCERRAR, MUDANCA, PREVISAO, RESSINCRONIZAR, Broker, Evento
from .clock import Clock
from .clock import agora as instante
from .components import componente
from .settings import Settings

log = logging.getLogger(__name__)

VALIDAR_S = 15.0  # an open stream re-checks its user or TV pass at least this often
ESPERA_PRONTO_S = 3.0  # how long a new stream waits for the change stream to be open
# More changes than this at once are sent as one full refresh instead of card by card.
LOTE_MAXIMO = 20
# Even without changes a screen gets its whole state again this often: times in a stage, their
# alerts and late deliveries move with the clock (the board keeps its unchanged cards' nodes
# and updates those lines in place).
RECARGA_S = 600.0
# What the clock alone changes at a known instant (the forecast's summary turning "cálculo
# parado") goes this long after it: a render of the view shared from the same second (before
# the instant) is never taken for it (transmitir's `virada`).
MARGEM_VIRADA_S = 1.0
# What one viewer (a person, a TV pass) may watch at once in a process: its streams (a
# person's up to STREAMS_POR_PESSOA, a pass's any number), but no more than this many
# distinct views (a board's filters), each rendered once per change for all its streams:
# a thousand streams with a thousand searches made one change cost seconds of renders. A page
# left holds its view until the next beat finds it gone (up to SSE_BATIDA_MS): a manager going
# through every mechanic's board in turn stays far below this.
VISOES_POR_ACESSO = 24
VISOES_DEMAIS = (
    "Quadros com filtros diferentes demais abertos com este acesso; feche as abas que não usa "
    "e tente de novo."
)
# A person's streams at most in a process: a shop may share one login among its tablets, but
# one login's streams (any mechanic's, scripted) must not take every place of the shop's
# boards and TVs. A TV pass has no such cap: a manager gives it, and revoking it ends its
# streams at once (a chain's wall of screens may share one).
STREAMS_POR_PESSOA = 50
STREAMS_DEMAIS = (
    "Telas abertas demais com este usuário neste servidor; feche as abas que não usa e tente "
    "de novo."
)
LOTADO = "Telas abertas demais neste servidor agora; tente de novo em instantes."


class Vagas:
    """The live streams open in this process, and each viewer's views (one per process, wired
    in create_app). `teto`: streams at most (webapp/serving.py sets it from the worker's
    connections, so streams never take the slots that /health, pages and taps need); None,
    no limit."""

    def __init__(self, teto: int | None = None) -> None:
        self.teto = teto
        self._abertas = 0
        self._visoes: dict[Hashable, Counter[Hashable]] = {}
        self._trava = threading.Lock()

    def reservar(
        self, dono: Hashable, visao: Hashable, maximo: int | None = None
    ) -> Callable[[], None] | str:
        """A place for one more stream of `dono` watching `visao`, and how to give it back
        (once, whenever the response closes); or why not (LOTADO, VISOES_DEMAIS, and
        STREAMS_DEMAIS when `dono` already holds `maximo` streams)."""
        with self._trava:
            if self.teto is not None and self._abertas >= self.teto:
                return LOTADO
            visoes = self._visoes.setdefault(dono, Counter())
            if maximo is not None and visoes.total() >= maximo:
                return STREAMS_DEMAIS
            if visao not in visoes and len(visoes) >= VISOES_POR_ACESSO:
                return VISOES_DEMAIS
            visoes[visao] += 1
            self._abertas += 1
        devolvida = False

        def devolver() -> None:
            nonlocal devolvida
            with self._trava:
                if devolvida:
                    return
                devolvida = True
                self._abertas -= 1
                visoes[visao] -= 1
                if visoes[visao] <= 0:
                    del visoes[visao]
                if not visoes and self._visoes.get(dono) is visoes:
                    del self._visoes[dono]

        return devolver

    @property
    def abertas(self) -> int:
        with self._trava:
            return self._abertas


def recusa(motivo: str) -> Response:
    """A stream refused (Vagas.reservar's reason): the server full is 503, too many views of
    one viewer 429; both say when to try again."""
    status = 503 if motivo == LOTADO else 429
    return errors.resposta(status, motivo, {"Retry-After": "30"})


def abrir(
    acesso: Hashable, visao: Hashable, maximo: int | None = None, **chamadas: Any
) -> Response:
    """A screen's live stream (the board's, the TV's): a place among this process's streams
    for this viewer (`acesso`, holding `maximo` streams at most) and view (Vagas), then
    transmitir with the app's broker, beat, whole redraw, shop's day and version;
    `chamadas`: transmitir's own (completo, mudancas, ...)."""
    devolver = componente(Vagas).reservar(acesso, visao, maximo)
    if isinstance(devolver, str):
        return recusa(devolver)
    corpo = transmitir(
        componente(Broker),
        componente(Settings).sse_batida_ms / 1000,
        recarga_s=RECARGA_S,
        dia=componente(Clock).inicio_do_dia,
        versao=assets.versao_do_app(),
        visao=visao,
        **chamadas,
    )
    return resposta_sse(corpo, devolver)


def mensagem(html: str, evento: str | None = None) -> str:
    """One SSE message; htmx's SSE extension swaps an unnamed message's HTML (its partials)."""
    linhas = [f"event: {evento}"] if evento else []
    linhas += [f"data: {linha}" for linha in (html.splitlines() or [""])]
    return "\n".join(linhas) + "\n\n"


def resposta_sse(corpo: Iterable[str], devolver: Callable[[], None] | None = None) -> Response:
    """The stream's response; `devolver` (Vagas.reservar's) runs when it closes, however it
    ends (the server closes every response, even one whose body never started)."""
    resposta = Response(
        stream_with_context(corpo),
        mimetype="text/event-stream",
        headers={
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",  # nginx: pass each message on at once
        },
    )
    if devolver is not None:
        resposta.call_on_close(devolver)
    return resposta


def transmitir(
    fonte: Broker,
    batida_s: float,
    *,
    completo: Callable[[], str],
    mudancas: Callable[[list[Evento]], str | None],
    previsoes: Callable[[list[Evento]], str | None] | None = None,
    valido: Callable[[], bool] | None = None,
    ao_revogar: str = "",
    recarga_s: float | None = None,
    config: Callable[[], str] | None = None,
    versao: str = "",
    visao: Any = None,
    dia: Callable[[], Any] | None = None,
    relogio: Callable[[], str] | None = None,
    virada: Callable[[], datetime | None] | None = None,
) -> Iterator[str]:
    """The body of an SSE stream fed by the process's broker (`fonte`): first the current state
    (`completo`), then what changes.

    Sending the whole state first makes every (re)connection show current data, after a network
    drop or a server restart alike. `mudancas` renders a batch of the queue's changes (as they
    came: maybe several per item; None to skip), `previsoes` a batch of the forecasts' changes
    (none: they are not shown); `config` what a change of the settings redraws (default:
    everything). `valido` is asked at once when a user or a TV pass changes, and on
    a timer that events cannot starve; the stream ends when it turns false (an event named
    "revogado"). A "batida" event (the app's `versao`) goes out every `batida_s`
    (SSE_BATIDA_MS): the client knows the stream is alive, and that a new version was deployed.
    `recarga_s`: send the whole state again this often (what depends on the clock, like time in
    a stage). `dia`: the shop's day now; when it changes (midnight in the shop's zone) the whole
    state goes again at once ("finished today" empties). `relogio`: what the clock alone
    changes, with no event (a promise passing makes an order late: the header's count), sent
    with a beat when it differs from the last one this stream sent. `virada`: the next instant
    at which the clock alone changes it (the forecast's summary turning "cálculo parado":
    a recompute that stops writes nothing; an order turning late), when known; `relogio` goes then
    (MARGEM_VIRADA_S after), not up to a beat later. Read again with each beat (a recompute
    moves it on without an event), at the first second without a change after one, and once it
    went (the next one), shared by the process's streams within a second.
    `visao`: the streams of one view share their whole-state renders in this process (a
    thousand TVs reconnecting render it once a second, not a thousand times)."""
    hoje = dia() if dia else None

    def estado() -> str:
        if visao is None:
            return completo()
        # Keyed by the last change published: the render was made after it, from the database,
        # so it covers every change this stream has drained or never received; by the second,
        # for what depends on the clock (time in a stage), and by the day.
        chave = (visao, "completo", fonte.ultimo_seq, int(time.monotonic()), hoje)
        return fonte.renderizar(chave, completo)

    def do_relogio() -> str:
        assert relogio is not None
        if visao is None:
            return relogio()
        # As the whole state: after the last change published (never older than a push this
        # stream already sent for it), shared by the view's streams within a second (a beat's
        # slot would let a stream send counts a whole beat old).
        chave = (visao, "relogio", fonte.ultimo_seq, int(time.monotonic()), hoje)
        return fonte.renderizar(chave, relogio)

    def da_virada() -> datetime | None:
        assert virada is not None
        if visao is None:
            return virada()
        # After the last change published, within a second, read once by every stream given
        # the same `virada` (it depends on no view): a change makes one read per process, not
        # one per board open.
        chave = (virada, "virada", fonte.ultimo_seq, int(time.monotonic()), hoje)
        quando = fonte.renderizar(chave, lambda: _iso(virada()))
        return datetime.fromisoformat(quando) if quando else None

    heartbeat, validar_s = batida_s, VALIDAR_S
    assinatura = fonte.assinar()
    stream_fechado = metrics.stream_aberto()
    try:
        # A process stopping (SIGTERM) ends a stream opened now at once (Broker.assinar), never
        # held until its grace period ends; the snapshot below covers anything else queued.
        if fonte.encerrando:
            return
        fonte.aguardar_pronto(ESPERA_PRONTO_S)
        if any(e.tipo == ENCERRAR for e in assinatura.drenar()):
            return
        inicial = estado()
        # What that state shows (rendered within a second of it, before it goes: a reader
        # slow to take it must not make this newer than what it showed): a beat sends only
        # what moved since.
        enviado_pelo_relogio = do_relogio() if relogio is not None else None
        yield mensagem(inicial)
        yield mensagem(versao, "batida")
        agora = time.monotonic()
        batida, validacao = agora + heartbeat, agora + validar_s
        recarga = agora + (recarga_s or float("inf"))
        # The instant the clock alone changes what `relogio` shows, and the last one sent for.
        proxima = da_virada() if virada is not None and relogio is not None else None
        virada_enviada = None
        virada_velha = False  # a change since it was read: it may have moved
        while not assinatura.encerrada:
            evento = assinatura.proximo(timeout=min(1.0, heartbeat))
            lote = [] if evento is None else [evento, *assinatura.drenar()]
            if any(e.tipo == ENCERRAR for e in lote):
                return  # the client reconnects by itself (to a worker that is not stopping)
            agora = time.monotonic()
            if valido is not None and (agora >= validacao or any(e.tipo == ACESSO for e in lote)):
                validacao = agora + validar_s
                if not valido():
                    yield mensagem(ao_revogar, "revogado")
                    return
            tudo = len(lote) > LOTE_MAXIMO or any(e.tipo == RESSINCRONIZAR for e in lote)
            if dia is not None and (amanha := dia()) != hoje:
                hoje, tudo = amanha, True
            if lote or agora >= recarga:
                # A change (sent here, or left out because this page's own answer showed it)
                # or the whole state moves what the screen shows: the next beat sends the
                # counts again, whatever it sent last (they may be back to that, unshown).
                enviado_pelo_relogio = None
            enviadas = []
            if tudo or agora >= recarga:
                recarga = agora + (recarga_s or float("inf"))
                enviadas.append(estado())
            else:
                if any(e.tipo == CONFIG for e in lote):
                    enviadas.append(config() if config else estado())
                da_fila = [e for e in lote if e.tipo == MUDANCA]
                enviadas.append((mudancas(da_fila) if da_fila else None) or "")
                das_previsoes = [e for e in lote if e.tipo == PREVISAO]
                if das_previsoes and previsoes:
                    enviadas.append(previsoes(das_previsoes) or "")
            for html in filter(None, enviadas):
                yield mensagem(html)
            if (
                proxima is not None
                and proxima != virada_enviada
                and instante() >= proxima + timedelta(seconds=MARGEM_VIRADA_S)
            ):
                virada_enviada = proxima
                if (html := do_relogio()) != enviado_pelo_relogio:
                    enviado_pelo_relogio = html
                    yield mensagem(html)
                proxima = da_virada()  # the next one (two promises a minute apart)
            bateu = agora >= batida
            if bateu:
                batida = agora + heartbeat
                if relogio is not None and (html := do_relogio()) != enviado_pelo_relogio:
                    enviado_pelo_relogio = html
                    yield mensagem(html)
                yield mensagem(versao, "batida")
            if virada is not None and relogio is not None:
                # After a change, read at the first second without one (or the beat), not
                # between the change and the next: a thousand TV streams pass each change on
                # one after another, and each one's read held up those after it.
                virada_velha = virada_velha or bool(lote)
                if bateu or (virada_velha and not lote):
                    proxima, virada_velha = da_virada(), False
    except PyMongoError as erro:
        # The database went away mid-stream: end it; the client reconnects and gets it all anew.
        log.warning("stream SSE encerrado: banco indisponível (%s)", erro)
    finally:
        assinatura.fechar()
        stream_fechado()


def _iso(instante: datetime | None) -> str:
    return instante.isoformat() if instante is not None else ""


def ultimos_por_item(eventos: list[Evento]) -> list[Evento]:
    """One event per item, the latest (its document is the item now), with the fields that all
    of that item's events changed, in the order the items last changed."""
    ultimos: dict[str | None, Evento] = {}
    for evento in eventos:
        anterior = ultimos.pop(evento.fila_id, None)
        campos = evento.campos | anterior.campos if anterior else evento.campos
        ultimos[evento.fila_id] = replace(evento, campos=campos)
    return list(ultimos.values())
