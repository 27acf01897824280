"""The read-only TV wall display (`/painel?token=...`) and its live stream (`/painel/eventos`).

A TV has no user session: it opens the page with a display token (webapp/configuracoes). A TV
shows a few cards per column, so a push redraws the display's columns, once per change in this
process however many TVs watch.
"""

from __future__ import annotations

from bson import ObjectId
from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from .. import broker, errors, sse
from ..cartoes.cards import Mecanico
from ..clock import agora
from ..components import Componentes, componentes
from ..fila.domain import Status
from ..quadro.partials import contexto, mecanicos
from . import cards
from .cards import ColunaTV, Destaque

bp = Blueprint("painel", __name__, url_prefix="/painel")

MENSAGEM_TOKEN = (
    "Token de painel inválido ou revogado. Peça ao gerente um novo endereço "
    "(Configurações → Telas de TV)."
)
# Candidates for "waiting longest": the orders whose stage began first; holds, which do not
# count, are taken off these few in Python.
CANDIDATOS_DESTAQUE = 20


def montar(c: Componentes) -> tuple[list[ColunaTV], Destaque | None, list[Mecanico]]:
    """The whole display: each column's first cards, the counts, the limits, the highlight,
    and each active mechanic's load."""
    hoje = c.relogio.inicio_do_dia()
    q = c.fila_queries
    limite = c.settings.painel_max_cartoes
    candidatos = q.aguardando_ha_mais_tempo(CANDIDATOS_DESTAQUE)
    por_status = {s: q.coluna(s, limite, hoje) for s in Status}
    todos = [i for itens in por_status.values() for i in itens] + candidatos
    ctx = contexto(None, todos, c)
    achado = cards.mais_antiga(candidatos, ctx)
    destaque_id = str(achado[0]["_id"]) if achado else None
    totais = q.contagens(hoje)
    limites = c.configuracoes.limites_colunas()
    colunas = [
        ColunaTV(
            status,
            [cards.cartao(i, ctx, destaque_id) for i in itens],
            totais[status],
            limites.get(status),
        )
        for status, itens in por_status.items()
    ]
    destaque = Destaque(cards.cartao(achado[0], ctx, destaque_id), achado[1]) if achado else None
    return colunas, destaque, mecanicos(c)


def _render(c: Componentes) -> str:
    colunas, destaque, carga = montar(c)
    return render_template(
        "painel/_mudanca.html", colunas=colunas, destaque=destaque, mecanicos=carga
    )


def _proibido() -> Response:
    resposta = errors.resposta(403, MENSAGEM_TOKEN)
    resposta.headers["Cache-Control"] = "no-store"
    return resposta


COOKIE = "painel_token"
UM_ANO = 365 * 24 * 3600


def _token() -> str | None:
    """The display token: the TV's cookie, or the address a manager copied (once)."""
    return request.args.get("token") or request.cookies.get(COOKIE)


@bp.get("")
def index() -> Response:
    """The TV page. Without a valid token: 403 and nothing about the queue. A token in the
    address moves into a cookie and the address loses it, so it never lands in a log, a
    history or a Referer afterwards."""
    c = componentes()
    if c.configuracoes.verificar_token(_token()) is None:
        return _proibido()
    if "token" in request.args:
        resposta = redirect(url_for("painel.index"), code=303)
        resposta.set_cookie(
            COOKIE, request.args["token"], max_age=UM_ANO, path="/painel", httponly=True,
            secure=c.settings.production, samesite="Strict",
        )  # fmt: skip
        resposta.headers["Cache-Control"] = "no-store"
        return resposta
    colunas, destaque, carga = montar(c)
    corpo = render_template(
        "painel/index.html",
        colunas=colunas,
        destaque=destaque,
        mecanicos=carga,
        agora=c.relogio.local(agora()),
        batida_ms=int(sse.heartbeat_s() * 1000),
    )
    resposta = Response(corpo, mimetype="text/html")
    resposta.headers["Cache-Control"] = "no-store"
    resposta.headers["Referrer-Policy"] = "no-referrer"
    return resposta


@bp.get("/eventos")
def eventos_painel() -> Response:
    """The TV's live stream: the whole display first, then each change."""
    c = componentes()
    documento = c.configuracoes.verificar_token(_token())
    if documento is None:
        return _proibido()
    token_id: ObjectId = documento["_id"]

    def redesenho(lote: list[broker.Evento] | None = None) -> str:
        # Every TV shows the same thing: one render per batch of changes in this process.
        return c.live.renderizar(("painel", broker.chave(lote or [])), lambda: _render(c))

    return sse.resposta_sse(
        sse.transmitir(
            completo=lambda: _render(c),
            mudancas=redesenho,
            config=redesenho,
            valido=lambda: c.configuracoes.token_ativo(token_id),
            ao_revogar="Token revogado.",
            recarga_s=sse.RECARGA_S,
            dia=c.relogio.inicio_do_dia,
            versao=current_app.config["VERSAO"],
            visao="painel",
        )
    )
