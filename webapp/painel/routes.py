"""The read-only TV wall display (`/painel?token=...`) and its live stream (`/painel/eventos`).

A TV has no user session: it opens the page with a display token (webapp/configuracoes). Each
push re-renders the columns a change touched, plus every column's header; not the whole page.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from flask import Blueprint, Response, render_template, request

from .. import errors, live
from ..clock import agora
from ..components import Componentes, componentes
from ..fila.domain import Status
from ..quadro.partials import contexto
from . import cards
from .cards import ColunaTV, Destaque, Estado

bp = Blueprint("painel", __name__, url_prefix="/painel")

MENSAGEM_TOKEN = (
    "Token de painel inválido ou revogado. Peça ao gerente um novo endereço "
    "(Configurações → Telas de TV)."
)
# Even without changes the TV redraws now and then: the day rolls over ("finalizadas hoje").
RECARGA_S = 600.0


def montar(
    c: Componentes, estado: Estado, afetadas: set[str] | None = None
) -> tuple[list[ColunaTV], list[ColunaTV], Destaque | None]:
    """The columns in `afetadas` (default: all) with their cards, the headers of the others, and
    the highlight. Updates `estado` with what is now shown."""
    hoje = c.relogio.inicio_do_dia()
    q = c.fila_queries
    limite = c.settings.painel_max_cartoes
    aguardando = list(q.aguardando())
    achado = cards.mais_antiga(aguardando, contexto(None, [], c))
    destaque_id = str(achado[0]["_id"]) if achado else None
    if afetadas is not None and destaque_id != estado.destaque_id:
        afetadas.add(str(Status.AGUARDANDO))  # the column that marks the highlight changes
    estado.destaque_id = destaque_id
    por_status = {
        str(s): q.coluna(s, limite, hoje) for s in Status if afetadas is None or s in afetadas
    }
    todos = [i for itens in por_status.values() for i in itens] + ([achado[0]] if achado else [])
    ctx = contexto(None, todos, c)
    totais = q.contagens(hoje)
    limites = c.configuracoes.limites_colunas()
    colunas = []
    for status, itens in por_status.items():
        cartoes = [cards.cartao(i, ctx, destaque_id) for i in itens]
        estado.mostrados[status] = [x.fila_id for x in cartoes]
        colunas.append(ColunaTV(status, cartoes, totais[status], limites.get(status)))
    cabecalhos = [
        ColunaTV(
            str(s),
            [],
            totais[str(s)],
            limites.get(str(s)),
            mostrados=len(estado.mostrados.get(str(s), [])),
        )
        for s in Status
        if str(s) not in por_status
    ]
    destaque = Destaque(cards.cartao(achado[0], ctx, destaque_id), achado[1]) if achado else None
    return colunas, cabecalhos, destaque


def _render(c: Componentes, estado: Estado, afetadas: set[str] | None = None) -> str:
    colunas, cabecalhos, destaque = montar(c, estado, afetadas)
    return render_template(
        "painel/_mudanca.html", colunas=colunas, cabecalhos=cabecalhos, destaque=destaque
    )


def _proibido() -> Response:
    resposta = errors.resposta(403, MENSAGEM_TOKEN)
    resposta.headers["Cache-Control"] = "no-store"
    return resposta


@bp.get("")
def index() -> Response:
    """The TV page. Without a valid token: 403 and nothing about the queue."""
    c = componentes()
    if c.configuracoes.verificar_token(request.args.get("token")) is None:
        return _proibido()
    colunas, _, destaque = montar(c, Estado())
    corpo = render_template(
        "painel/index.html",
        colunas=colunas,
        destaque=destaque,
        token=request.args["token"],
        agora=c.relogio.local(agora()),
    )
    resposta = Response(corpo, mimetype="text/html")
    resposta.headers["Cache-Control"] = "no-store"
    # The token is in the URL: never send it on to another site.
    resposta.headers["Referrer-Policy"] = "no-referrer"
    return resposta


@bp.get("/eventos")
def eventos_painel() -> Response:
    """The TV's live stream: the whole display first, then the columns each change touches."""
    c = componentes()
    documento = c.configuracoes.verificar_token(request.args.get("token"))
    if documento is None:
        return _proibido()
    token_id: ObjectId = documento["_id"]
    estado = Estado()

    def mudancas(lote: list[live.Evento]) -> str:
        documentos: list[tuple[str, Any]] = [(e.fila_id or "", e.documento) for e in lote]
        return _render(c, estado, cards.colunas_afetadas(estado, documentos))

    return live.resposta_sse(
        live.transmitir(
            completo=lambda: _render(c, estado),
            mudancas=mudancas,
            valido=lambda: c.configuracoes.token_ativo(token_id),
            ao_revogar="Token revogado.",
            recarga_s=RECARGA_S,
        )
    )
