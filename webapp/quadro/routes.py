"""The Kanban board's pages and its live stream (the actions, POSTs, are in actions.py).

Pages are windows on the queue: each column shows its first page of cards and loads the next
on demand; a card carries its one step and fetches its other actions when asked.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from htmx_flask import make_response as htmx_response
from werkzeug.datastructures import MultiDict

from .. import errors, live, sse
from ..components import componentes
from ..fila import labels
from ..fila.domain import Status
from ..fila.queries import CursorInvalido
from ..fila.service import EntradaInvalida, FilaService
from ..qr import qr_svg
from ..sessao.auth import carregar_usuario
from ..urls import endereco_publico
from . import cards, partials
from .filters import Filtros
from .forms import MOTIVOS, PRIORIDADES, NovaOrdemForm

bp = Blueprint("quadro", __name__)

MENSAGEM_CURSOR = "Página da coluna inválida; recarregue o quadro."

HISTORICO_PAGINA = 25
RECUSA = "quadro_recusa"  # session key: a refused POST's form, shown again after the redirect
NOVA = "quadro_nova"  # session key: the "add an OS" form refused without JavaScript


SLUGS_PASSOS = frozenset(cards.ACOES_POR_SLUG)  # a refused form that is a step's, not "Mais…"'s


@bp.app_context_processor
def _escolhas() -> dict[str, Any]:
    return {
        "motivos_pausa": MOTIVOS,
        "prioridades": PRIORIDADES,
        "labels": labels,
        "mecanicos_ativos": mecanicos_do_pedido,
        "slugs_passos": SLUGS_PASSOS,
    }


def mecanicos_do_pedido() -> list[cards.Mecanico]:
    """The active mechanics with their load, read once per request and only when a template
    asks (the assignment form, the filter)."""
    if "mecanicos" not in g:
        g.mecanicos = partials.mecanicos()
    return g.mecanicos


def fila() -> FilaService:
    return componentes().fila


def htmx() -> bool:
    return bool(request.htmx)  # type: ignore[attr-defined]


def estados_da_sessao() -> dict[str, dict[str, Any]]:
    """A refused plain POST's state (message, what was typed), kept over its redirect."""
    recusa = session.pop(RECUSA, None)
    return {recusa["fila_id"]: recusa["estado"]} if recusa else {}


# --- Pages --------------------------------------------------------------------------------------


def pagina_quadro(
    filtros: Filtros,
    estados: dict[str, dict[str, Any]] | None = None,
    nova: NovaOrdemForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    return render_template(
        "quadro/index.html",
        colunas=partials.montar_colunas(current_user.papel, filtros),
        filtros=filtros,
        estados=estados or {},
        nova=nova or NovaOrdemForm(formdata=None),
        gerente=current_user.e_gerente,
        situacao_os=componentes().ligacao_os.situacao(),
        atrasadas=partials.contar_atrasadas(),
        batida_ms=int(sse.heartbeat_s() * 1000),
    ), status


@bp.get("/")
@login_required
def index() -> Any:
    nova = None
    if recusada := session.pop(NOVA, None):
        nova = NovaOrdemForm(formdata=MultiDict(recusada["dados"]))
        nova.validate()  # the same messages as when it was refused
    return pagina_quadro(Filtros.de_args(request.args), estados_da_sessao(), nova)


@bp.get("/colunas/<status>")
@login_required
def coluna(status: str) -> Any:
    """The next page of a column: partials for htmx, a page of its own without JavaScript."""
    if status not in Status.__members__:
        abort(404)
    c = componentes()
    filtros = Filtros.de_args(request.args)
    try:
        itens, depois = partials.pagina(c, status, filtros, request.args.get("depois"))
    except CursorInvalido:
        raise EntradaInvalida(MENSAGEM_CURSOR) from None
    mostrados = request.args.get("mostrados", "0")
    contagem, total = partials.contagens(c, filtros)[status]
    col = cards.Coluna(
        Status(status),
        [cards.cartao(i, partials.contexto(current_user.papel, itens, c)) for i in itens],
        contagem,
        None,
        depois,
        mostrados=int(mostrados)
        if mostrados.isascii() and mostrados.isdigit() and len(mostrados) < 7
        else 0,
        total=total,
    )
    modelo = "quadro/_pagina.html" if htmx() else "quadro/coluna.html"
    return render_template(modelo, col=col, filtros=filtros, estados={})


@bp.get("/ordens/<fila_id>")
@login_required
def detalhe(fila_id: str) -> Any:
    item = fila().obter(fila_id)
    c = cards.cartao(item, partials.contexto(current_user.papel, [item]))
    pessoas = componentes().pessoas_queries
    historico = item.get("historico", [])
    autores = pessoas.nomes_por_login({h["por"] for h in historico})
    trocas = [h for h in historico if h.get("acao") == "atribuir"]
    return render_template(
        "quadro/detalhe.html",
        item=item,
        c=c,
        autores=autores,
        mecanicos=pessoas.nomes_por_funcionario([h.get(k) for h in trocas for k in ("de", "para")]),
        estado=estados_da_sessao().get(fila_id, {}),
    )


FORMATOS_FICHA = {"a4": "Folha A4", "80mm": "Recibo 80 mm"}


@bp.get("/ordens/<fila_id>/ficha")
@login_required
def ficha(fila_id: str) -> Any:
    """The order's printable job card: A4 or an 80 mm receipt (print CSS), with a QR code
    that opens the order's page."""
    formato = request.args.get("formato", "a4")
    if formato not in FORMATOS_FICHA:
        return errors.resposta(400, "Formato de ficha inválido: use a4 ou 80mm.")
    item = fila().obter(fila_id)
    c = cards.cartao(item, partials.contexto(None, [item]))
    endereco = endereco_publico("quadro.detalhe", fila_id=fila_id)
    return render_template(
        "quadro/ficha.html",
        item=item,
        c=c,
        formato=formato,
        formatos=FORMATOS_FICHA,
        qr=qr_svg(endereco, f"Código QR da OS {item['ordem_servico_id']}: {endereco}"),
        endereco=endereco,
    )


@bp.get("/ordens/<fila_id>/acoes")
@login_required
def acoes(fila_id: str) -> Any:
    """A card's other actions ("Mais…"); without JavaScript, the order's page."""
    if not htmx():
        return redirect(url_for("quadro.detalhe", fila_id=fila_id) + "#acoes")
    item = fila().obter(fila_id)
    c = cards.cartao(item, partials.contexto(current_user.papel, [item]))
    # htmx resolves hx-target when the request leaves; a push may replace the card before the
    # answer lands. HX-Retarget is resolved at swap time: the card as it is then.
    return htmx_response(
        render_template("quadro/_acoes.html", c=c, estado={}),
        retarget=f"#mais-acoes-{c.fila_id}",
    )


@bp.get("/situacao-os")
@login_required
def situacao_os() -> Any:
    """The OS-service banner alone (the board re-reads it every 30 s)."""
    return render_template(
        "quadro/_situacao_os.html", situacao_os=componentes().ligacao_os.situacao()
    )


@bp.get("/historico")
@login_required
def historico() -> Any:
    c = componentes()
    erro = None
    try:
        dia = date.fromisoformat(request.args["data"]) if request.args.get("data") else None
    except ValueError:
        dia, erro = None, "Data inválida; use o calendário (AAAA-MM-DD)."
    if dia is not None and not 2000 <= dia.year <= 2100:
        dia, erro = None, "Data fora do intervalo aceito (anos 2000 a 2100)."
    pagina = request.args.get("pagina", "1")
    pagina_n = int(pagina) if pagina.isascii() and pagina.isdigit() and len(pagina) < 7 else 1
    pagina_n = max(1, pagina_n)
    hoje = c.relogio.inicio_do_dia()
    if dia is not None:
        de, ate = c.relogio.dia(dia)
    else:  # everything finished before today
        de, ate = datetime(2000, 1, 1, tzinfo=c.relogio.fuso), hoje
    itens, total = c.fila_queries.finalizadas_periodo(de, ate, pagina_n, HISTORICO_PAGINA)
    ctx = partials.contexto(None, itens, c)
    return render_template(
        "quadro/historico.html",
        cartoes=[(cards.cartao(i, ctx), i) for i in itens],
        total=total,
        pagina=pagina_n,
        paginas=max(1, -(-total // HISTORICO_PAGINA)),
        dia=dia,
        erro=erro,
    ), 400 if erro else 200


@bp.get("/eventos")
@login_required
def eventos() -> Response:
    """The board's live updates for the signed-in user, with the page's filters
    (`mecanico`, `q`). Each change: that card's partials and the counts, rendered once per
    view (role and filters) in this process, whoever else watches the same view."""
    filtros = Filtros.de_args(request.args)
    usuario = current_user._get_current_object()  # type: ignore[attr-defined]
    c = componentes()
    visao = ("quadro", usuario.papel, filtros)
    # Cards carry forms: the CSRF secret must be in the session cookie sent with these headers
    # (created later, inside the stream, it would never reach the browser).
    generate_csrf()

    def mudancas(lote: list[live.Evento]) -> str:
        mudados = [(e.fila_id or "", e.documento) for e in lote if e.fila_id]
        return c.live.renderizar(
            (visao, live.chave(lote)),
            lambda: partials.render_mudancas(mudados, usuario.papel, filtros, compartilhado=True),
        )

    return sse.resposta_sse(
        sse.transmitir(
            completo=lambda: partials.render_quadro_completo(usuario.papel, filtros),
            mudancas=mudancas,
            # The columns' limits changed: the counts carry them.
            config=lambda: str(partials.render_contagens(usuario.papel, filtros)),
            recarga_s=sse.RECARGA_S,
            dia=c.relogio.inicio_do_dia,
            versao=current_app.config["VERSAO"],
            # Deactivated, or the password changed: the open tab stops receiving the queue.
            valido=lambda: carregar_usuario(usuario.get_id()) is not None,
            ao_revogar="Sessão encerrada: entre novamente.",
            visao=visao,
        )
    )
