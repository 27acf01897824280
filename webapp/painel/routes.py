"""The read-only TV wall display (`/painel?token=<its pass>`) and its live stream
(`/painel/eventos`).

A TV has no user session: it opens the page with its pass (webapp/configuracoes). A TV
shows a few cards per column, so a push redraws the columns a change can have moved (with the
highlight and the footer), once per change in this process however many TVs watch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from flask import Blueprint, Response, redirect, render_template, request, url_for

from .. import broker, errors, sse
from ..broker import Broker
from ..cartoes.cards import Mecanico
from ..cartoes.service import contar_atrasadas, contexto, em_servico, proxima_virada
from ..clock import Clock, agora, em_ms
from ..components import componente
from ..configuracoes.queries import ConfiguracoesQueries
from ..configuracoes.repository import ConfiguracoesRepository
from ..fila.domain import Status
from ..fila.outbox import so_envio
from ..fila.queries import FilaQueries
from ..fila.stages import limites_alerta
from ..previsao.cache import PrevisoesEmMemoria
from ..previsao.queries import Estado
from ..settings import Settings
from . import cards
from .cards import ColunaTV, Destaque

bp = Blueprint("painel", __name__, url_prefix="/painel")

MENSAGEM_PASSE = (
    "Passe da TV inválido ou revogado. Peça ao gerente um novo endereço "
    "(Configurações → Telas de TV)."
)
# Candidates for "waiting longest": the orders waiting for a mechanic whose stage began first;
# the time in stage (holds excluded) is worked out for these few in Python.
CANDIDATOS_DESTAQUE = 20


@dataclass(frozen=True)
class Painel:
    """The whole display: each column's first cards (with their forecasts), the highlight,
    each active mechanic's load, and the forecast's summary (the count at risk, or why there
    is no forecast)."""

    colunas: list[ColunaTV]
    destaque: Destaque | None
    mecanicos: list[Mecanico]
    previsao: Estado | None
    atrasadas: int = 0  # open orders late now, all of them (the board header's count)


def montar(status: frozenset[Status] | None = None) -> Painel:
    """The display: each column's first cards (only the columns in `status`; None: all), the
    counts, the limits, the highlight, each active mechanic's load, the forecasts (one read
    with the summary)."""
    hoje = componente(Clock).inicio_do_dia()
    q = componente(FilaQueries)
    limite = componente(Settings).painel_max_cartoes
    candidatos = q.aguardando_ha_mais_tempo(CANDIDATOS_DESTAQUE)
    por_status = {s: q.coluna(s, limite, hoje) for s in Status if status is None or s in status}
    todos = [i for itens in por_status.values() for i in itens] + candidatos
    ctx = contexto(None, todos, previsao=True)
    achado = cards.mais_antiga(candidatos, ctx)
    destaque_id = str(achado[0]["_id"]) if achado else None
    totais = q.contagens(hoje)
    limites = componente(ConfiguracoesQueries).limites_colunas()
    colunas = [
        ColunaTV(
            status,
            [cards.cartao(i, ctx, destaque_id) for i in itens],
            totais[status],
            limites.get(status),
        )
        for status, itens in por_status.items()
    ]
    _atrasadas_fora(colunas, por_status)
    if achado:
        cards.nomear_destaque_fora(colunas, achado[0])
    destaque = Destaque(cards.cartao(achado[0], ctx, destaque_id), achado[1]) if achado else None
    return Painel(colunas, destaque, em_servico(), ctx.previsoes.estado, contar_atrasadas())


def _atrasadas_fora(
    colunas: list[ColunaTV], por_status: dict[Status, list[dict[str, Any]]]
) -> None:
    """The late orders each open column has beyond the cards sent (one indexed read, only for
    a column with more cards than the TV was sent: ~3 ms at 2,000 orders in it)."""
    limites = limites_alerta(componente(Settings).alerta_etapa)
    q, momento = componente(FilaQueries), agora()
    for coluna in colunas:
        if coluna.status == Status.FINALIZADA or not coluna.mais:
            continue
        mostrados = [i["_id"] for i in por_status[coluna.status]]
        itens, coluna.n_atrasadas_fora = q.atrasadas_fora(
            coluna.status, momento, limites, mostrados, cards.ATRASADAS_NOMEADAS
        )
        coluna.atrasadas_fora = [
            cards.nome_curto(i.get("placa"), i["ordem_servico_id"]) for i in itens
        ]


def colunas_movidas(lote: list[broker.Evento]) -> frozenset[Status] | None:
    """The columns a batch of changes can have moved: an order added or changed in place moves
    only its own column (its card, its order there, the count); a move between columns, a
    removal, or anything else (a forecast, a setting) may move any, so None: all of them."""
    movidas = set()
    for evento in lote:
        status = (evento.documento or {}).get("status")
        if (
            evento.tipo != broker.MUDANCA
            or evento.operacao not in ("insert", "update")
            or "status" in evento.campos
            or status not in {s.value for s in Status}
        ):
            return None
        movidas.add(Status(status))
    return frozenset(movidas)


def _servidor_ms() -> int:
    """The server's clock, in epoch ms, as a render says it: the TV counts its clock and its
    times from the last one it got (painel-relogio.js), not from its own clock."""
    return em_ms(agora())


def _desenho(painel: Painel) -> dict[str, Any]:
    """What the page and every push draw the display from, with the server's time of it."""
    return {
        "colunas": painel.colunas,
        "destaque": painel.destaque,
        "mecanicos": painel.mecanicos,
        "previsao": painel.previsao,
        "atrasadas": painel.atrasadas,
        "servidor_ms": _servidor_ms(),
    }


def _render(status: frozenset[Status] | None = None) -> str:
    return render_template("painel/_mudanca.html", **_desenho(montar(status)))


def _render_carga() -> str:
    """The footer alone (the late count, the count at risk, the mechanics' loads): what the
    clock alone moves between pushes (an order turning late), sent with a beat."""
    return render_template(
        "painel/_carga_parcial.html",
        mecanicos=em_servico(),
        previsao=componente(PrevisoesEmMemoria).estado(),
        atrasadas=contar_atrasadas(),
    )


def _proibido() -> Response:
    """403 without a valid pass: a page the TV shows across the shop (the stream's and any
    JSON caller's: the usual answer)."""
    if request.endpoint == "painel.index" and not errors.quer_json():
        corpo = render_template("painel/sem_passe.html", mensagem=MENSAGEM_PASSE)
        resposta = Response(corpo, status=403, mimetype="text/html")
    else:
        resposta = errors.resposta(403, MENSAGEM_PASSE)
    resposta.headers["Cache-Control"] = "no-store"
    return resposta


# The pass's cookie and the address's parameter keep the names TVs already hold.
COOKIE = "painel_token"
UM_ANO = 365 * 24 * 3600


def _passe() -> str | None:
    """The TV's pass: its cookie, or the address a manager copied (once)."""
    return request.args.get("token") or request.cookies.get(COOKIE)


def _passe_em_uso(passe: str | None) -> dict[str, Any] | None:
    """The active pass for this secret, its use noted (/configuracoes shows it), or None."""
    documento = componente(ConfiguracoesQueries).passe_valido(passe)
    if documento is not None:
        componente(ConfiguracoesRepository).anotar_uso(documento)
    return documento


@bp.get("")
def index() -> Response:
    """The TV page. Without a valid pass: 403 and nothing about the queue. A pass in the
    address moves into a cookie and the address loses it, so it never lands in a log, a
    history or a Referer afterwards."""
    if _passe_em_uso(_passe()) is None:
        return _proibido()
    if "token" in request.args:
        resposta = redirect(url_for("painel.index"), code=303)
        resposta.set_cookie(
            COOKIE, request.args["token"], max_age=UM_ANO, path="/painel", httponly=True,
            secure=componente(Settings).production, samesite="Strict",
        )  # fmt: skip
        resposta.headers["Cache-Control"] = "no-store"
        return resposta
    corpo = render_template(
        "painel/index.html",
        **_desenho(montar()),
        agora=componente(Clock).local(agora()),
        batida_ms=componente(Settings).sse_batida_ms,
    )
    resposta = Response(corpo, mimetype="text/html")
    resposta.headers["Cache-Control"] = "no-store"
    resposta.headers["Referrer-Policy"] = "no-referrer"
    return resposta


@bp.get("/eventos")
def eventos_painel() -> Response:
    """The TV's live stream: the whole display first, then each change. Its pass from the
    cookie only: the page (never this stream) takes one from the address, once, and moves it
    into the cookie, so no address that opens the wall's data stays in a log."""
    documento = _passe_em_uso(request.cookies.get(COOKIE))
    if documento is None:
        return _proibido()
    passe_id: ObjectId = documento["_id"]

    def redesenho(lote: list[broker.Evento] | None = None) -> str | None:
        if lote and all(so_envio(e.campos) for e in lote):
            return None  # only a delivery to the OS service: nothing a TV shows
        # Every TV shows the same thing: one render per batch of changes in this process; a
        # setting saved (no batch) one per second and last change published, as the whole
        # state is (sse.transmitir): never a render older than a change a TV already showed.
        fonte = componente(Broker)
        if not lote:
            chave = ("config", fonte.ultimo_seq, int(time.monotonic()))
            return fonte.renderizar(("painel", chave), _render)
        movidas = colunas_movidas(lote)
        return fonte.renderizar(("painel", broker.chave(lote)), lambda: _render(movidas))

    return sse.abrir(
        ("passe", passe_id),
        "painel",
        completo=_render,
        mudancas=redesenho,
        previsoes=redesenho,  # a forecast moved: the cards shown carry theirs
        config=redesenho,
        relogio=_render_carga,
        # An order turning late, the forecast's summary turning "cálculo parado": said then.
        virada=proxima_virada,
        valido=lambda: componente(ConfiguracoesQueries).passe_ativo(passe_id),
        ao_revogar="Passe revogado.",
    )
