"""The Kanban board: its pages, its live stream and its actions.

Pages are windows on the queue: each column shows its first page of cards and loads the next
on demand; a card carries its one step and fetches its other actions when asked. Every action
is a plain form POST that works with JavaScript off (post, then a 303 back to the page, anchored
at the card, the reason in a flash) and that htmx enhances (the answer is the partials that move
the card, update the counts and say what happened). All changes go through FilaService, like
the JSON API's.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
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
from werkzeug.exceptions import BadRequest, NotFound

from .. import broker, errors, sse
from ..auth import SESSAO_ENCERRADA, exigir_gerente
from ..broker import Broker
from ..cartoes import cards
from ..cartoes.service import (
    base_da_previsao,
    contar_atrasadas,
    contexto,
    mecanicos,
    prometer_previsao,
    quem_fez,
)
from ..clock import Clock, agora
from ..components import componente
from ..fila import domain, labels
from ..fila.domain import (
    PASSOS,
    Ator,
    Conflito,
    EntradaInvalida,
    ErroFila,
    MotivoPausa,
    NaoEncontrada,
    Prioridade,
    Status,
)
from ..fila.outbox import so_envio
from ..fila.queries import CursorInvalido, FilaQueries, cursor
from ..fila.service import FilaService
from ..fila.stages import limiares_s, limites_alerta
from ..forms import ConfirmarForm, Formulario
from ..pessoas.queries import PessoasQueries
from ..previsao.repository import ESTADO as ESTADO_PREVISAO
from ..qr import qr_svg
from ..sessao.service import carregar_usuario
from ..settings import Settings
from ..sincronizacao_os.link import OsLink
from ..urls import endereco_publico, voltar
from . import partials
from .filters import Filtros
from .forms import (
    FORMULARIOS_TEXTO,
    MOTIVOS,
    PRIORIDADES,
    AtribuirForm,
    NovaOrdemForm,
    PausaForm,
    PrioridadeForm,
    PrometerForm,
    RemoverForm,
)
from .repository import RecusadosRepository

bp = Blueprint("quadro", __name__)

MENSAGEM_CURSOR = "Página da coluna inválida; recarregue o quadro."
SAIU_DA_FILA = "Esta OS não está na fila: pode ter sido removida."

HISTORICO_PAGINA = 25
# /historico counts up to this many, then says "mais de": a whole history's count would read
# all of it at every visit.
HISTORICO_CONTAGEM = 1000
MENSAGEM_PAGINA_HISTORICO = "Página do histórico inválida; abra o histórico de novo."
RECUSA = "quadro_recusa"  # session key: a refused POST's form, shown again after the redirect
NOVA = "quadro_nova"  # session key: the "add an OS" form refused without JavaScript


SLUGS_PASSOS = frozenset(cards.ACOES_POR_SLUG)  # a refused form that is a step's, not "Mais…"'s


@bp.app_context_processor
def _escolhas() -> dict[str, Any]:
    return {
        "motivos_pausa": MOTIVOS,
        "prioridades": PRIORIDADES,
        "labels": labels,
        "slugs_passos": SLUGS_PASSOS,
    }


def mecanicos_do_pedido() -> list[cards.Mecanico]:
    """The active mechanics with their load, read at most once per request, for a manager only
    (the filter, the assignment's list, its form's choices): a mechanic's pages read none."""
    if not current_user.e_gerente:
        return []
    if "mecanicos" not in g:
        g.mecanicos = mecanicos()
    return g.mecanicos


def fila() -> FilaService:
    return componente(FilaService)


def recusados() -> RecusadosRepository:
    return componente(RecusadosRepository)


def _guardar_recusa(tipo: str, dados: dict[str, Any]) -> None:
    """What a form refused without JavaScript had typed, kept for this signed-in session's
    next GET (RecusadosRepository): the session carries only the key."""
    session[tipo] = recusados().guardar(current_user.login, current_user.sessao, tipo, dados)


def htmx() -> bool:
    return bool(request.htmx)  # type: ignore[attr-defined]


def estados_da_sessao() -> tuple[dict[str, dict[str, Any]], str | None]:
    """A refused plain POST's state (message, what was typed), kept over its redirect, by
    card; and the text typed for a step whose form is gone (to copy), if any."""
    chave = session.pop(RECUSA, None)
    recusa = recusados().retirar(chave, current_user.login) if chave else None
    if recusa is None:
        return {}, None
    return {recusa["fila_id"]: recusa["estado"]}, recusa.get("perdido")


# --- Pages --------------------------------------------------------------------------------------


def _limiares_json() -> str:
    """Each priority's amber and red thresholds in seconds (ALERTA_ETAPA), which the board
    carries once for quadro-relogio.js to colour the times it ticks."""
    limites = limites_alerta(componente(Settings).alerta_etapa)
    return json.dumps({p.value: limiares_s(p, limites) for p in Prioridade})


def pagina_quadro(
    filtros: Filtros,
    estados: dict[str, dict[str, Any]] | None = None,
    nova: NovaOrdemForm | None = None,
    status: int = 200,
    texto_perdido: str | None = None,
) -> tuple[str, int]:
    colunas, ctx = partials.montar_colunas(current_user.papel, filtros)
    return render_template(
        "quadro/index.html",
        colunas=colunas,
        previsao=ctx.previsoes.estado,
        filtros=filtros,
        estados=estados or {},
        mecanicos_ativos=mecanicos_do_pedido(),
        limiares_json=_limiares_json(),
        texto_perdido=texto_perdido,
        nova=nova or NovaOrdemForm(formdata=None),
        gerente=current_user.e_gerente,
        situacao_os=componente(OsLink).situacao(),
        atrasadas=contar_atrasadas(),
        batida_ms=componente(Settings).sse_batida_ms,
        # This page's id: its requests carry it, and its stream leaves out their changes.
        quadro_id=secrets.token_urlsafe(9),
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
    return pagina_quadro(Filtros.de_args(request.args), estados, nova, texto_perdido=perdido)


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
    item = fila().obter(fila_id)
    ctx = contexto(current_user.papel, [item], previsao=True)
    c = cards.cartao(item, ctx)
    pessoas = componente(PessoasQueries)
    historico = item.get("historico", [])
    autores = pessoas.nomes_por_login({h["por"] for h in historico})
    trocas = [h for h in historico if h.get("acao") == "atribuir"]
    estados, perdido = estados_da_sessao()
    return render_template(
        "quadro/detalhe.html",
        item=item,
        c=c,
        previsao=base_da_previsao(item, c, ctx),
        autores=autores,
        mecanicos=pessoas.nomes_por_funcionario([h.get(k) for h in trocas for k in ("de", "para")]),
        estado=estados.get(fila_id, {}),
        mecanicos_ativos=mecanicos_do_pedido(),
        texto_perdido=perdido,
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
        dia = date.fromisoformat(request.args["data"]) if request.args.get("data") else None
    except ValueError:
        dia, erro = None, "Data inválida; use o calendário (AAAA-MM-DD)."
    if dia is not None and not 2000 <= dia.year <= 2100:
        dia, erro = None, "Data fora do intervalo aceito (anos 2000 a 2100)."
    hoje = relogio.inicio_do_dia()
    if dia is not None:
        de, ate = relogio.dia(dia)
    else:  # everything finished before today
        de, ate = datetime(2000, 1, 1, tzinfo=relogio.fuso), hoje
    queries, depois = componente(FilaQueries), request.args.get("depois") or None
    try:
        itens = queries.finalizadas_periodo(de, ate, depois, HISTORICO_PAGINA + 1)
    except CursorInvalido:
        raise EntradaInvalida(MENSAGEM_PAGINA_HISTORICO) from None
    proxima = cursor(itens[HISTORICO_PAGINA - 1]) if len(itens) > HISTORICO_PAGINA else None
    itens = itens[:HISTORICO_PAGINA]
    ctx = contexto(None, itens)
    return render_template(
        "quadro/historico.html",
        cartoes=[(cards.cartao(i, ctx), i) for i in itens],
        quantas=cards.quantas_finalizadas(
            queries.contar_finalizadas(de, ate, HISTORICO_CONTAGEM + 1), HISTORICO_CONTAGEM
        ),
        depois=depois,
        proxima=proxima,
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
    pagina = request.args.get("quadro")  # the page's id (its requests send it as X-Quadro)
    usuario = current_user._get_current_object()  # type: ignore[attr-defined]
    visao = ("quadro", usuario.papel, filtros)
    # Cards carry forms: the CSRF secret must be in the session cookie sent with these headers
    # (created later, inside the stream, it would never reach the browser).
    generate_csrf()

    def mudancas(lote: list[broker.Evento]) -> str | None:
        # This page's own changes stay out: its answer showed each one, once.
        lote = [e for e in lote if not (pagina and _feita_pela_pagina(e, pagina))]
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
        completo=completo,
        mudancas=mudancas,
        previsoes=previsoes,
        # The columns' limits changed: the counts carry them.
        config=lambda: str(partials.render_contagens(usuario.papel, filtros)),
        # A promise passing, or a stage past its red threshold: the late count moves with no
        # event.
        relogio=lambda: str(partials.render_contagens_agora(usuario.papel, filtros)),
        # Deactivated, or the password changed: the open tab stops receiving the queue.
        valido=lambda: carregar_usuario(usuario.get_id()) is not None,
        ao_revogar=SESSAO_ENCERRADA,
    )


def _muda_tudo(evento: broker.Evento) -> bool:
    """A change of the forecast's summary that every card's line follows: whether there is
    a number at all (its reason), or the summary itself appearing or going."""
    if evento.fila_id != ESTADO_PREVISAO:
        return False
    return evento.operacao != "update" or "motivo" in evento.campos


def _feita_pela_pagina(evento: broker.Evento, pagina: str) -> bool:
    """A change (a new version of the card) that a request of this board page made."""
    documento = evento.documento or {}
    nova = evento.operacao == "insert" or "versao" in evento.campos
    return nova and documento.get(domain.ORIGEM_QUADRO) == pagina


# --- Actions (POSTs) ----------------------------------------------------------------------------


def _filtros_da_pagina() -> Filtros:
    pagina = request.htmx.current_url if htmx() else None  # type: ignore[attr-defined]
    return Filtros.de_url(pagina or request.form.get("voltar") or request.referrer)


# Pages a plain POST may send the browser back to (a POST address would answer 405 to a GET).
PAGINAS = ("/?", "/ordens/", "/colunas/", "/historico", "/indicadores")


def _pagina_de_volta() -> str:
    destino = voltar().split("#")[0]
    return destino if destino == "/" or destino.startswith(PAGINAS) else "/"


def _de_volta(fila_id: str, ancorar: bool = True, *, saiu: bool = False) -> Response:
    """Back to the page the form was on, at the card (the 303 of a plain POST). `ancorar`
    False: a field comes back with the focus (autofocus), which an #anchor would prevent; the
    focus brings it into view. `saiu`: the order left the queue, so the board instead of its
    own page (a 404 now)."""
    destino = _pagina_de_volta()
    if saiu and destino.startswith(f"/ordens/{fila_id}"):
        destino = "/"
    ancora = "" if destino.startswith("/ordens/") or not ancorar else f"#cartao-{fila_id}"
    if destino.startswith("/indicadores"):
        ancora = "#em-risco"  # a promise adopted from the list of orders at risk
    return redirect(destino + ancora, code=303)


def _com_foco(item: dict[str, Any], estado: dict[str, Any]) -> bool:
    """Whether the refused card comes back with a field focused: one marked wrong, or the text
    of a step the order still offers (quadro/_acoes.html, _macros.form_passo)."""
    if estado.get("erros"):
        return True
    acao = cards.ACOES_POR_SLUG.get(estado.get("aberto") or "")
    return (
        acao is not None
        and PASSOS[acao].campo_texto is not None
        and (PASSOS[acao] in domain.passos_permitidos(item, current_user.papel))
    )


def _responder(
    fila_id: str,
    executar: Callable[[], dict[str, Any]],
    form: Formulario,
    aberto: str | None = None,
) -> Any:
    """Run one change and answer htmx with partials, or a plain POST with a redirect.

    `aberto`: the form that stays open when the change is refused (with its errors and what
    was typed, so nothing is lost)."""
    valores = {k: v for k, v in form.data.items() if k != "csrf_token"}
    if not form.validate():
        estado = {"aberto": aberto, "erros": form.errors, "valores": valores}
        return _recusa(fila_id, {**estado, "mensagem": "Corrija o campo marcado."}, 400)
    try:
        item = executar()
    except ErroFila as erro:
        estado = {"mensagem": erro.mensagem, "aberto": aberto, "valores": valores}
        conflito = erro if isinstance(erro, Conflito) else None
        return _recusa(fila_id, estado, erro.status, erro.item, conflito=conflito)
    if htmx():
        return partials.render_mudancas([(fila_id, item)], current_user.papel, _filtros_da_pagina())
    return _de_volta(fila_id)


def _recusa(
    fila_id: str,
    estado: dict[str, Any],
    status: int,
    item: dict[str, Any] | None = None,
    *,
    conflito: Conflito | None = None,
) -> Any:
    """The card as it is now, with the reason and the open form; on a conflict, who was
    faster and when."""
    if item is None:
        try:
            item = fila().obter(fila_id)
        except NaoEncontrada:
            item = None
    if item is None:  # the API's "Item da fila não encontrado." in the shop's words
        estado["mensagem"] = SAIU_DA_FILA
    if conflito is not None and item is not None:
        feito = quem_fez(item, conflito.acao)
        if feito:
            estado["quem_fez"] = f"{feito[0].upper()}{feito[1:]}."  # also alone, for a toast
            estado["mensagem"] = f"{estado['mensagem']} {estado['quem_fez']}"
    if not htmx():
        if status == 403:  # not a normal use of the board: the error page, as it is
            return errors.resposta(status, estado["mensagem"])
        # Refused, or the order left the queue meanwhile (a removal, as normal on a shared
        # board as any other change): the page with the reason, and what was typed for a step
        # the order no longer offers shown to copy.
        flash(estado["mensagem"], "erro")
        perdido = _texto(estado) if item is None or _texto_sem_formulario(item, estado) else None
        if item is not None or perdido:
            _guardar_recusa(RECUSA, {"fila_id": fila_id, "estado": estado, "perdido": perdido})
        if item is None:
            return _de_volta(fila_id, ancorar=False, saiu=True)
        return _de_volta(fila_id, ancorar=not _com_foco(item, estado))
    papel = current_user.papel
    filtros = _filtros_da_pagina()
    if item is None:  # removed meanwhile: say so, and keep what was typed to be copied
        corpo = partials.render_mudancas(
            [(fila_id, None)], papel, filtros, anunciar=estado["mensagem"]
        ) + render_template(
            "quadro/_texto_perdido.html", texto=_texto(estado), mensagem=estado["mensagem"]
        )
    else:
        corpo = partials.render_mudancas(
            [(fila_id, item)],
            papel,
            filtros,
            estado=estado,
            anunciar=estado["mensagem"],
            mecanicos_ativos=mecanicos_do_pedido(),  # a refused "Mais…" comes back open
        )
        if _texto_sem_formulario(item, estado):  # its form is gone: keep the text to copy
            corpo += render_template(
                "quadro/_texto_perdido.html", texto=_texto(estado), mensagem=estado["mensagem"]
            )
    return Response(corpo, status=status)


def _texto(estado: dict[str, Any]) -> str | None:
    return next(
        (v for v in (estado.get("valores") or {}).values() if v and isinstance(v, str)), None
    )


def _texto_sem_formulario(item: dict[str, Any], estado: dict[str, Any]) -> bool:
    """Text was typed for a step this order no longer offers (someone else took it)."""
    acao = cards.ACOES_POR_SLUG.get(estado.get("aberto") or "")
    if acao is None or not _texto(estado):
        return False
    return PASSOS[acao] not in domain.passos_permitidos(item, current_user.papel)


@bp.post("/ordens/<fila_id>/passo/<slug>")
@login_required
def passo(fila_id: str, slug: str) -> Any:
    acao = cards.ACOES_POR_SLUG.get(slug)
    if acao is None:
        raise NotFound()
    campo = PASSOS[acao].campo_texto
    form = FORMULARIOS_TEXTO[campo]() if campo else ConfirmarForm()

    def executar() -> dict[str, Any]:
        # Whoever starts work is its mechanic: the service knows who is signed in (the actor).
        dados = {k: v for k, v in form.data.items() if k != "csrf_token"}
        return fila().executar(fila_id, acao, current_user.ator, dados)

    return _responder(fila_id, executar, form, aberto=slug)


@bp.post("/ordens/<fila_id>/mover")
@login_required
def mover(fila_id: str) -> Any:
    """A card dropped on a column: that column's step, as if its button were pressed; a step
    that needs text opens its form instead; any other drop says why not."""
    destino = request.form.get("para", "")
    form = ConfirmarForm()
    if destino not in Status.__members__ or not form.validate():
        raise BadRequest()
    item = fila().obter(fila_id)
    motivo = domain.motivo_para_mover(item, current_user.papel, Status(destino))
    escolhido = next(
        (p for p in PASSOS.values() if p.de == item["status"] and p.para == destino), None
    )
    digitado = _texto_do_cartao(item)  # the card's open form stays open, with its text
    if motivo is not None or escolhido is None:
        titulo = cards.labels.COLUNAS[destino]
        mensagem = f"Não é possível mover a OS {item['ordem_servico_id']} para {titulo}: {motivo}."
        return _recusa(fila_id, {"mensagem": mensagem, **digitado}, 409, item)
    slug = cards.SLUGS[escolhido.acao]
    if escolhido.campo_texto is None:
        return passo(fila_id, slug)
    # Text to type first: the card opens that step's form.
    if not htmx():
        return redirect(url_for("quadro.detalhe", fila_id=fila_id) + f"#acao-{slug}", code=303)
    texto = f"Escreva o texto e confirme para {escolhido.rotulo}."
    return partials.render_mudancas(
        [(fila_id, item)], current_user.papel, _filtros_da_pagina(),
        estado={"aberto": slug, "mensagem": texto, **digitado}, anunciar=texto,
    )  # fmt: skip


def _texto_do_cartao(item: dict[str, Any]) -> dict[str, Any]:
    """What was typed in the dragged card's step form (quadro-arrastar.js sends it with the
    drop), as the state that keeps that form open with it."""
    for p in domain.passos_permitidos(item, current_user.papel):
        if p.campo_texto and (texto := request.form.get(p.campo_texto, "")):
            return {"aberto": cards.SLUGS[p.acao], "valores": {p.campo_texto: texto}}
    return {}


FazerAcao = Callable[[FilaService, str, Any, Ator], dict[str, Any]]

# The card's other actions: the form each one posts (built by a callable), and what it asks the
# service.
ACOES: dict[str, tuple[Callable[[], Formulario], FazerAcao]] = {
    "prioridade": (
        PrioridadeForm,
        lambda fila, i, f, ator: fila.alterar_prioridade(i, Prioridade(f.prioridade.data), ator),
    ),
    "pausar": (
        PausaForm,
        lambda fila, i, f, ator: fila.pausar(i, MotivoPausa(f.motivo.data), f.nota.data, ator),
    ),
    "retomar": (ConfirmarForm, lambda fila, i, f, ator: fila.retomar(i, ator)),
    # A manager sends a status the OS service refused again (mechanics get 403).
    "reenviar-os": (ConfirmarForm, lambda fila, i, f, ator: fila.reenviar_os(i, ator)),
    # A manager assigns one of the active mechanics (mechanics get 403 from the service).
    "atribuir": (
        lambda: AtribuirForm.com(mecanicos_do_pedido()),
        lambda fila, i, f, ator: fila.atribuir(i, f.mecanico_responsavel_id.data, ator),
    ),
    # A manager makes the forecast shown the new promise, in one tap.
    "prometer": (
        PrometerForm,
        lambda fila, i, f, ator: prometer_previsao(fila, i, f.promessa.data, ator),
    ),
}


# Manager-only actions are refused before their form is read: a hand-made post gets 403 whatever
# it carries (the service refuses them too).
SO_GERENTE = {
    "prioridade": domain.Acao.ALTERAR_PRIORIDADE,
    "atribuir": domain.Acao.ATRIBUIR,
    "reenviar-os": domain.Acao.REENVIAR_OS,
    "prometer": domain.Acao.ADOTAR_PREVISAO,
}


@bp.post("/ordens/<fila_id>/<acao>")
@login_required
def acao_cartao(fila_id: str, acao: str) -> Any:
    if acao not in ACOES:
        raise NotFound()
    if acao in SO_GERENTE and not domain.pode(current_user.papel, SO_GERENTE[acao]):
        return _recusa(fila_id, {"mensagem": domain.proibido(SO_GERENTE[acao])}, 403)
    novo_form, fazer = ACOES[acao]
    form = novo_form()
    return _responder(
        fila_id, lambda: fazer(fila(), fila_id, form, current_user.ator), form, aberto=acao
    )


@bp.post("/ordens/<fila_id>/remover")
@login_required
def remover(fila_id: str) -> Any:
    form = RemoverForm()
    if not form.validate():
        return _recusa(fila_id, {"mensagem": "Formulário inválido; recarregue a página."}, 400)
    try:
        item = fila().remover(fila_id, current_user.ator, form.versao_vista())
    except ErroFila as erro:
        conflito = erro if isinstance(erro, Conflito) else None
        return _recusa(
            fila_id, {"mensagem": erro.mensagem}, erro.status, erro.item, conflito=conflito
        )
    texto = cards.removida(item["ordem_servico_id"])
    if htmx():
        filtros = _filtros_da_pagina()
        return partials.render_mudancas(
            [(fila_id, None)], current_user.papel, filtros, anunciar=texto
        )
    flash(texto, "ok")
    destino = _pagina_de_volta()
    return redirect("/" if destino.startswith("/ordens/") else destino, code=303)


@bp.post("/ordens")
@exigir_gerente
def adicionar() -> Any:
    relogio = componente(Clock)
    form = NovaOrdemForm(fuso=relogio.fuso)
    filtros = _filtros_da_pagina()
    status = 400
    if form.validate() and form.previsao_confirmada(relogio.local(agora()) or agora()):
        try:
            item = fila().adicionar(
                form.ordem_servico_id.data,
                current_user.ator,
                Prioridade(form.prioridade.data),
                form.extras(relogio.fuso),
            )
        except ErroFila as erro:
            form.ordem_servico_id.errors = [*form.ordem_servico_id.errors, erro.mensagem]
            status = erro.status
        else:
            if htmx():
                novo = NovaOrdemForm(formdata=None)
                mudanca = partials.render_mudancas(
                    [(str(item["_id"]), item)], current_user.papel, filtros
                )
                return mudanca + render_template(
                    "quadro/_nova_ordem.html",
                    nova=novo,
                    oob=True,
                    sucesso=cards.adicionada(item["ordem_servico_id"]),
                )
            flash(cards.adicionada(item["ordem_servico_id"]), "ok")
            return redirect(_pagina_de_volta(), code=303)
    if htmx():
        corpo = render_template("quadro/_nova_ordem.html", nova=form, oob=True, sucesso=None)
        return Response(corpo, status=status)
    # Without JavaScript: back to the board (a GET), the form open with what was typed.
    flash("Nova OS: corrija os campos marcados.", "erro")
    # The form's own fields only: whatever else a hand-made POST carries is not kept.
    # And the refusal as it was said: the queue's own (a number already in the queue) and the
    # question of a promise already past are no form validation to run again.
    _guardar_recusa(
        NOVA,
        {
            "dados": {k: v for k, v in request.form.items() if k in form and k != "csrf_token"},
            "erros": {k: v for k, v in form.errors.items() if isinstance(k, str)},
            "confirmar": form.precisa_confirmar,
        },
    )
    return redirect(_pagina_de_volta() + "#nova-ordem", code=303)
