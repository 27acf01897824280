"""The Kanban board's pages and live stream, and what its actions (actions.py) share with them.

Pages are windows on the queue: each column shows its first page of cards and loads the next
on demand; a card carries its one step and fetches its other actions when asked. The stream
pushes every change of the queue to the open boards.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import (
    Response,
    g,
    get_flashed_messages,
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
from werkzeug.exceptions import NotFound

from .. import broker, errors, sse
from ..auth import SESSAO_ENCERRADA, dizer_por_que_saiu
from ..broker import Broker
from ..cartoes import cards
from ..cartoes.service import (
    ForaDoQuadro,
    contar_atrasadas,
    contexto,
    em_servico,
    fora_do_quadro,
    nome_fora_da_lista,
    ordem_agora,
    proxima_virada,
    remocoes,
    ultima_mudanca,
)
from ..clock import Clock
from ..components import componente
from ..fila import fields, labels
from ..fila.cursors import CursorInvalido, cursor
from ..fila.domain import EntradaInvalida, NaoEncontrada, Prioridade, Status
from ..fila.outbox import so_envio
from ..fila.queries import FilaQueries
from ..fila.service import FilaService
from ..fila.stages import limiares_s, limites_alerta
from ..previsao.repository import ESTADO as ESTADO_PREVISAO
from ..previsao.repository import RETOMADO
from ..qr import qr_svg
from ..sessao.service import carregar_usuario
from ..settings import Settings
from ..sincronizacao_os.link import OsLink
from ..text import algarismos
from ..urls import endereco_publico
from . import bp, partials
from .filters import Filtros
from .forms import MOTIVOS, PRIORIDADES, NovaOrdemForm
from .repository import RecusadosRepository

MENSAGEM_CURSOR = "Página da coluna inválida; recarregue o quadro."

HISTORICO_PAGINA = 25
# /historico counts up to this many, then says "mais de": a whole history's count would read
# all of it at every visit.
HISTORICO_CONTAGEM = 1000
MENSAGEM_PAGINA_HISTORICO = "Página do histórico inválida; abra o histórico de novo."
RECUSA = "quadro_recusa"  # session key: a refused POST's form, shown again after the redirect
NOVA = "quadro_nova"  # session key: the "add an OS" form refused without JavaScript
# Flash category: the card a plain POST just changed (its fila_id). The redirect's #anchor
# scrolls to the card, past the page's line; the card says it, and its column's tab is marked.
FEITO = "quadro_feito"
# Flash category: a promise adopted from /indicadores' list of orders at risk, said at the top
# of that list (indicadores/_em_risco.html), where the redirect lands.
EM_RISCO_FEITO = "em_risco_feito"


SLUGS_PASSOS = frozenset(cards.ACOES_POR_SLUG)  # a refused form that is a step's, not "Mais…"'s
# How long the answer to a tap stays on its card (quadro-relogio.js): long enough to read, gone
# before a board open all shift shows a reason hours old.
AVISO_S = 300


@bp.app_context_processor
def _escolhas() -> dict[str, Any]:
    return {
        "motivos_pausa": MOTIVOS,
        "prioridades": PRIORIDADES,
        "labels": labels,
        "slugs_passos": SLUGS_PASSOS,
        "AVISO_S": AVISO_S,
    }


def equipe_do_pedido() -> list[cards.Mecanico]:
    """The active mechanics with their load, then whoever else holds work now (someone
    deactivated with a car in hand, a number the OS service gave: em_servico), read at most
    once per request, for a manager only: the filter lists them all (a car of a mechanic
    deactivated is still found by it); a mechanic's pages read none."""
    if not current_user.e_gerente:
        return []
    if "equipe" not in g:
        g.equipe = em_servico()
    return g.equipe


def mecanicos_do_pedido() -> list[cards.Mecanico]:
    """The active mechanics of equipe_do_pedido: the assignment's list and its form's
    choices."""
    return [m for m in equipe_do_pedido() if m.ativo]


def reler_mecanicos() -> None:
    """The next mecanicos_do_pedido reads them again (a choice from this list was refused)."""
    g.pop("equipe", None)


def fila() -> FilaService:
    return componente(FilaService)


def recusados() -> RecusadosRepository:
    return componente(RecusadosRepository)


def guardar_recusa(tipo: str, dados: dict[str, Any]) -> None:
    """What a form refused without JavaScript had typed, kept for this signed-in session's
    next GET (RecusadosRepository): the session carries only the key."""
    session[tipo] = recusados().guardar(current_user.login, current_user.sessao, tipo, dados)


def htmx() -> bool:
    return bool(request.htmx)  # type: ignore[attr-defined]


def estados_da_sessao() -> tuple[dict[str, dict[str, Any]], dict[str, Any] | None]:
    """A refused plain POST's state (message, what was typed), kept over its redirect, by
    card; and the text typed for a step whose form is gone (to copy), if any, with whose
    order it was (`{"texto", "ordem", "fila_id"}`)."""
    chave = session.pop(RECUSA, None)
    recusa = recusados().retirar(chave, current_user.login) if chave else None
    if recusa is None:
        return {}, None
    perdido = recusa.get("perdido")
    if isinstance(perdido, str):  # kept by the version before, which named no order
        perdido = {"texto": perdido}
    if perdido is not None:
        perdido = {**perdido, "fila_id": recusa["fila_id"]}
    return {recusa["fila_id"]: recusa["estado"]}, perdido


def feito_na_sessao(estados: dict[str, dict[str, Any]]) -> str | None:
    """The card a plain POST just changed (FEITO), given the page's line as its message unless
    a refusal already speaks on it."""
    flashes = get_flashed_messages(with_categories=True)
    feito = next((m for c, m in flashes if c == FEITO), None)
    texto = next((m for c, m in flashes if c == "ok"), None)
    if feito and texto and feito not in estados:
        estados[feito] = {"mensagem": texto, "feito": True}
    return feito


# --- Pages --------------------------------------------------------------------------------------


def _limiares_json() -> str:
    """Each priority's amber and red thresholds in seconds (ALERTA_ETAPA), which the board
    carries once for quadro-relogio.js to colour the times it ticks."""
    limites = limites_alerta(componente(Settings).alerta_etapa)
    return json.dumps({p.value: limiares_s(p, limites) for p in Prioridade})


def _fora_do_quadro(filtros: Filtros, colunas: list[Any]) -> ForaDoQuadro:
    """A search the board found nothing for: the order it names finished before today, or
    its removal (cartoes.service.fora_do_quadro), so the page can say when and link to it."""
    if any(col.cartoes for col in colunas) or not filtros.q:
        return ForaDoQuadro()
    return fora_do_quadro(filtros.q, filtros.mecanico)


def pagina_quadro(
    filtros: Filtros,
    estados: dict[str, dict[str, Any]] | None = None,
    nova: NovaOrdemForm | None = None,
    status: int = 200,
    texto_perdido: dict[str, Any] | None = None,
    feito: str | None = None,
) -> tuple[str, int]:
    colunas, ctx = partials.montar_colunas(current_user.papel, filtros)
    return render_template(
        "quadro/index.html",
        colunas=colunas,
        fora=_fora_do_quadro(filtros, colunas),
        coluna_feita=next(
            (col for col in colunas for c in col.cartoes if c.fila_id == feito), None
        ),
        previsao=ctx.previsoes.estado,
        filtros=filtros,
        estados=estados or {},
        mecanicos_ativos=mecanicos_do_pedido(),
        mecanicos_filtro=equipe_do_pedido(),
        nome_escolhido=nome_fora_da_lista(filtros.mecanico, equipe_do_pedido())
        if current_user.e_gerente
        else None,
        limiares_json=_limiares_json(),
        texto_perdido=texto_perdido,
        nova=nova or NovaOrdemForm(formdata=None),
        gerente=current_user.e_gerente,
        situacao_os=componente(OsLink).situacao(),
        atrasadas=contar_atrasadas(),
        batida_ms=componente(Settings).sse_batida_ms,
    ), status


@bp.get("/")
@login_required
def index() -> Any:
    nova = None
    chave = session.pop(NOVA, None)
    if chave and (recusada := recusados().retirar(chave, current_user.login)):
        nova = NovaOrdemForm(formdata=MultiDict(recusada["dados"]), fuso=componente(Clock).fuso)
        nova.com_recusa(recusada.get("erros") or {}, recusada.get("confirmar", False))
    estados, perdido = estados_da_sessao()
    # The card the last plain POST was about, done or refused: its column is the one shown
    # (a tablet's tab), as the redirect's anchor is.
    feito = feito_na_sessao(estados) or next(iter(estados), None)
    filtros = Filtros.de_args(request.args)
    return pagina_quadro(filtros, estados, nova, texto_perdido=perdido, feito=feito)


@bp.get("/colunas/<status>")
@login_required
def coluna(status: str) -> Any:
    """The next page of a column: partials for htmx, a page of its own without JavaScript."""
    if status not in Status.__members__:
        raise NotFound()
    filtros = Filtros.de_args(request.args)
    try:
        itens, depois = partials.pagina(status, filtros, request.args.get("depois"))
    except CursorInvalido:
        raise EntradaInvalida(MENSAGEM_CURSOR) from None
    mostrados = request.args.get("mostrados", "0")
    contagem, total = partials.contagens(filtros)[status]
    ctx = contexto(current_user.papel, itens)  # one read of the names for the whole page
    col = cards.Coluna(
        Status(status),
        [cards.cartao(i, ctx) for i in itens],
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
    try:
        item = fila().obter(fila_id)
    except NaoEncontrada:
        # A removed order's page (the QR of a printed job card): who removed it, and when.
        if (saiu := _saiu_da_fila(fila_id)) is None:
            raise
        raise NaoEncontrada(saiu) from None
    estados, perdido = estados_da_sessao()
    return render_template(
        "quadro/detalhe.html",
        **ordem_agora(item, current_user.papel),
        filtros=Filtros.de_args(request.args),  # the board it was opened from, for the way back
        estado=estados.get(fila_id, {}),
        mecanicos_ativos=mecanicos_do_pedido(),
        texto_perdido=perdido,
    )


@bp.get("/ordens/<fila_id>/agora")
def detalhe_agora(fila_id: str) -> Any:
    """The order's page's live part alone, and its history (the page re-reads them every 30 s:
    quadro/_detalhe_agora.html); `versao`, the order's version its actions were drawn for:
    once the order changed since, its actions drawn again too."""
    filtros = Filtros.de_args(request.args)
    if not htmx():
        return redirect(url_for("quadro.detalhe", fila_id=fila_id, **filtros.args()))
    if not current_user.is_authenticated:
        # The session ended elsewhere (a sign-out in another tab, a reset, the expiry): said
        # in place of the live part, whose reads stop; not the jump to the sign-in page a
        # board makes (it keeps typed text itself, quadro-rascunho.js): what is typed in the
        # forms below stays on this page, to copy. Nothing of the order is read.
        entrar = url_for("sessao.entrar", next=url_for("quadro.detalhe", fila_id=fila_id))
        return render_template(
            "quadro/_detalhe_agora.html", sessao_encerrada=entrar, motivo=dizer_por_que_saiu()
        )
    # ASCII digits only, as the page writes it ("1_0" or "٣" are no version: no redraw).
    versao = algarismos(request.args.get("versao"), 18)
    try:
        item = fila().obter(fila_id)
    except NaoEncontrada:
        return render_template(
            "quadro/_detalhe_agora.html",
            saiu=_saiu_da_fila(fila_id) or SAIU_DA_FILA,
            filtros=filtros,
        )
    agora_ = ordem_agora(item, current_user.papel)
    redesenhar = versao is not None and agora_["c"].versao != versao
    return render_template(
        "quadro/_detalhe_agora.html",
        **agora_,
        filtros=filtros,
        redesenhar=redesenhar,
        com_historico=True,
        # For the actions drawn again, only then: the assignment's list and the last change.
        mecanicos_ativos=mecanicos_do_pedido() if redesenhar else [],
        ultima_mudanca=ultima_mudanca(item) if redesenhar else None,
    )


# An order not in the queue, with no archived copy to say who removed it.
SAIU_DA_FILA = "Esta OS não está na fila: pode ter sido removida."


def _saiu_da_fila(fila_id: str) -> str | None:
    """A removed order's removal in words (who, when); None when it never was in the queue."""
    removida = remocoes([fila_id]).get(fila_id)
    return f"{removida[1]}." if removida else None


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
    c = cards.cartao(item, contexto(None, [item]))
    endereco = endereco_publico("quadro.detalhe", fila_id=fila_id)
    return render_template(
        "quadro/ficha.html",
        item=item,
        c=c,
        formato=formato,
        formatos=FORMATOS_FICHA,
        qr=qr_svg(endereco, f"Código QR da OS {item['ordem_servico_id']}: {endereco}"),
        endereco=endereco,
        filtros=Filtros.de_args(request.args),
    )


@bp.get("/ordens/<fila_id>/acoes")
@login_required
def acoes(fila_id: str) -> Any:
    """A card's other actions ("Mais…"); without JavaScript, the order's page."""
    if not htmx():
        return redirect(url_for("quadro.detalhe", fila_id=fila_id) + "#acoes")
    item = fila().obter(fila_id)
    c = cards.cartao(item, contexto(current_user.papel, [item]))
    # htmx resolves hx-target when the request leaves; a push may replace the card before the
    # answer lands. HX-Retarget is resolved at swap time: the card as it is then.
    return htmx_response(
        render_template(
            "quadro/_acoes.html", c=c, estado={}, mecanicos_ativos=mecanicos_do_pedido()
        ),
        retarget=f"#mais-acoes-{c.fila_id}",
    )


@bp.get("/situacao-os")
@login_required
def situacao_os() -> Any:
    """The OS-service banner alone (the board re-reads it every 30 s)."""
    return render_template("quadro/_situacao_os.html", situacao_os=componente(OsLink).situacao())


@bp.get("/historico")
@login_required
def historico() -> Any:
    relogio = componente(Clock)
    erro = None
    try:
        dia = fields.dia_do_calendario(request.args["data"]) if request.args.get("data") else None
    except ValueError:
        dia, erro = None, "Data inválida; use o calendário (AAAA-MM-DD)."
    if dia is not None and not fields.ANO_MINIMO <= dia.year <= fields.ANO_MAXIMO:
        intervalo = f"anos {fields.ANO_MINIMO} a {fields.ANO_MAXIMO}"
        dia, erro = None, f"Data fora do intervalo aceito ({intervalo})."
    hoje = relogio.inicio_do_dia()
    if dia is not None:
        de, ate = relogio.dia(dia)
    else:  # everything finished before today
        de, ate = datetime(fields.ANO_MINIMO, 1, 1, tzinfo=relogio.fuso), hoje
    queries = componente(FilaQueries)
    try:
        itens, primeira, recentes, proxima = _pagina_do_historico(queries, de, ate)
    except CursorInvalido:
        raise EntradaInvalida(MENSAGEM_PAGINA_HISTORICO) from None
    ctx = contexto(None, itens)
    # Where this page is ("da 26ª à 50ª"), counted as far as the whole is.
    linhas = None
    if not primeira and itens:
        acima = queries.contar_mais_recentes(de, ate, cursor(itens[0]), HISTORICO_CONTAGEM + 1)
        if acima <= HISTORICO_CONTAGEM:
            linhas = (acima + 1, acima + len(itens))
    return render_template(
        "quadro/historico.html",
        cartoes=[(cards.cartao(i, ctx), i) for i in itens],
        quantas=cards.quantas_finalizadas(
            queries.contar_finalizadas(de, ate, HISTORICO_CONTAGEM + 1), HISTORICO_CONTAGEM
        ),
        primeira=primeira,
        linhas=linhas,
        recentes=recentes,
        proxima=proxima,
        dia=dia,
        erro=erro,
        digitado=request.args.get("data", ""),  # a refused day, back in its field
    ), 400 if erro else 200


def _pagina_do_historico(
    queries: FilaQueries, de: datetime, ate: datetime
) -> tuple[list[dict[str, Any]], bool, str | None, str | None]:
    """The page of /historico the address asks for (`depois`: the one after a row; `antes`:
    the one before it) and how to move from it: its rows, whether it is the first (the most
    recent), the cursor of the page before it (None: the first page) and of the page after
    (None: none). Each a keyset read of the index, forwards or backwards."""
    depois, antes = request.args.get("depois") or None, request.args.get("antes") or None
    if antes and not depois:
        itens = queries.finalizadas_periodo(de, ate, None, HISTORICO_PAGINA + 1, antes=antes)
        if len(itens) > HISTORICO_PAGINA:  # a page before this one too
            itens = itens[1:]
            return itens, False, cursor(itens[0]), cursor(itens[-1])
        depois = None  # back at the most recent: the first page as it is now
    itens = queries.finalizadas_periodo(de, ate, depois, HISTORICO_PAGINA + 1)
    proxima = cursor(itens[HISTORICO_PAGINA - 1]) if len(itens) > HISTORICO_PAGINA else None
    itens = itens[:HISTORICO_PAGINA]
    return itens, depois is None, cursor(itens[0]) if depois and itens else None, proxima


@bp.get("/eventos")
@login_required
def eventos() -> Response:
    """The board's live updates for the signed-in user, with the page's filters
    (`mecanico`, `q`). Each change: that card's partials and the counts, rendered once per
    view (role and filters) in this process, whoever else watches the same view."""
    filtros = Filtros.de_args(request.args)
    usuario = current_user._get_current_object()  # type: ignore[attr-defined]
    visao = ("quadro", usuario.papel, filtros)
    # Cards carry forms: the CSRF secret must be in the session cookie sent with these headers
    # (created later, inside the stream, it would never reach the browser).
    generate_csrf()

    def mudancas(lote: list[broker.Evento]) -> str | None:
        # Every page gets every change, its own too: an answer lost on the way (a tablet's
        # Wi-Fi) leaves the push to tell it; the page keeps the newer version (data-versao).
        ultimos = sse.ultimos_por_item(lote)
        mudados = [(e.fila_id or "", e.documento) for e in ultimos if not so_envio(e.campos)]
        selos = [e.documento for e in ultimos if so_envio(e.campos) and e.documento]
        if not mudados and not selos:
            return None

        def render() -> str:
            papel = usuario.papel
            html = partials.render_selos(selos, papel, filtros) if selos else ""
            if mudados:
                html += partials.render_mudancas(mudados, papel, filtros, compartilhado=True)
            return html

        return componente(Broker).renderizar((visao, broker.chave(lote)), render)

    def previsoes(lote: list[broker.Evento]) -> str | None:
        # A recompute moved these forecasts: each card's line alone, and the count at risk;
        # the summary's reason changed (no history any more, or again): the whole board.
        if any(_muda_tudo(e) for e in lote):
            return componente(Broker).renderizar((visao, "completo", broker.chave(lote)), completo)
        mudadas = [(e.fila_id or "", e.documento) for e in sse.ultimos_por_item(lote)]
        mudadas = [(fila_id, doc) for fila_id, doc in mudadas if fila_id != ESTADO_PREVISAO]
        return componente(Broker).renderizar(
            (visao, broker.chave(lote)), lambda: partials.render_previsoes(mudadas, usuario.papel)
        )

    def completo() -> str:
        return partials.render_quadro_completo(usuario.papel, filtros)

    return sse.abrir(
        ("pessoa", usuario.login),
        visao,
        sse.STREAMS_POR_PESSOA,
        completo=completo,
        mudancas=mudancas,
        previsoes=previsoes,
        # The columns' limits changed: the counts carry them.
        config=lambda: str(partials.render_contagens(usuario.papel, filtros)),
        # A promise passing, or a stage past its red threshold: the late count moves with no
        # event.
        relogio=lambda: str(partials.render_contagens_agora(usuario.papel, filtros)),
        # An order turning late, the forecast's summary turning "cálculo parado": said then.
        virada=proxima_virada,
        # Deactivated, or the password changed: the open tab stops receiving the queue.
        valido=lambda: carregar_usuario(usuario.get_id()) is not None,
        ao_revogar=SESSAO_ENCERRADA,
    )


def _muda_tudo(evento: broker.Evento) -> bool:
    """A change of the forecast's summary that every card's line follows: whether there is
    a number at all (its reason), the recompute running again after it had stopped (the
    cards drawn meanwhile have no line), or the summary itself appearing or going."""
    if evento.fila_id != ESTADO_PREVISAO:
        return False
    return evento.operacao != "update" or bool({"motivo", RETOMADO} & evento.campos)
