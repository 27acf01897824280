"""The Kanban board for mechanics and managers: pages, actions and the live stream.

Every action is a plain form POST (works with JavaScript off: post, then redirect back) that htmx
enhances: the answer is then a set of partials that move the card and update the counts. All
changes go through FilaService, like the JSON API's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from .. import live
from ..components import componentes
from ..errors import STATUS_ERRO_FILA
from ..fila import labels
from ..fila.domain import PASSOS, Acao, MotivoPausa, Prioridade
from ..fila.service import Ator, EntradaInvalida, ErroFila, FilaService, NaoEncontrada
from ..forms import ConfirmarForm, Formulario
from ..sessao.auth import exigir_gerente
from ..urls import voltar
from . import cards, partials
from .filters import Filtros
from .forms import FORMULARIOS_TEXTO, MOTIVOS, PRIORIDADES, NovaOrdemForm, PausaForm, PrioridadeForm

bp = Blueprint("quadro", __name__)

HISTORICO_PAGINA = 25


@bp.app_context_processor
def _escolhas() -> dict[str, Any]:
    return {"motivos_pausa": MOTIVOS, "prioridades": PRIORIDADES, "labels": labels}


def _fila() -> FilaService:
    return componentes().fila


def _htmx() -> bool:
    return bool(request.htmx)  # type: ignore[attr-defined]


def _filtros_da_pagina() -> Filtros:
    pagina = request.htmx.current_url if _htmx() else None  # type: ignore[attr-defined]
    return Filtros.de_url(pagina or request.form.get("voltar"))


# --- Pages --------------------------------------------------------------------------------------


def _pagina_quadro(
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
    ), status


@bp.get("/")
@login_required
def index() -> Any:
    return _pagina_quadro(Filtros.de_args(request.args))


@bp.get("/ordens/<fila_id>")
@login_required
def detalhe(fila_id: str) -> Any:
    item = _fila().obter(fila_id)
    autores = componentes().pessoas_queries.nomes_por_login(
        {h["por"] for h in item.get("historico", [])}
    )
    c = cards.cartao(item, partials.contexto(current_user.papel, [item]))
    return render_template("quadro/detalhe.html", item=item, c=c, autores=autores)


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
    pagina = request.args.get("pagina", "1")
    pagina_n = int(pagina) if pagina.isascii() and pagina.isdigit() and 0 < len(pagina) < 7 else 1
    pagina_n = max(1, pagina_n)
    hoje = c.relogio.inicio_do_dia()
    if dia is not None:
        de, ate = c.relogio.dia(dia)
    else:  # everything finished before today
        de, ate = datetime.min.replace(tzinfo=c.relogio.fuso), hoje
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
    (`mecanico`, `q`). Each change: that card's partials and the counts."""
    filtros = Filtros.de_args(request.args)
    usuario = current_user._get_current_object()  # type: ignore[attr-defined]
    pessoas = componentes().pessoas_queries
    # Pushed cards carry forms: their CSRF secret must be in the session cookie sent with these
    # headers; created later, inside the stream, it would never reach the browser.
    generate_csrf()

    def mudancas(lote: list[live.Evento]) -> str:
        mudados = [(e.fila_id or "", e.documento) for e in lote]
        return partials.render_mudancas(mudados, usuario.papel, filtros)

    return live.resposta_sse(
        live.transmitir(
            completo=lambda: partials.render_quadro_completo(usuario.papel, filtros),
            mudancas=mudancas,
            # Deactivated, or the password changed: the open tab stops receiving the queue.
            valido=lambda: pessoas.carregar(usuario.get_id()) is not None,
            ao_revogar="Sessão encerrada: entre novamente.",
        )
    )


# --- Actions ------------------------------------------------------------------------------------


def _responder(
    fila_id: str,
    executar: Callable[[], dict[str, Any]],
    form: Formulario,
    aberto: str | None = None,
) -> Any:
    """Run one change and answer htmx with partials, or a plain POST with a redirect.

    `aberto`: the inline form the card keeps open when the change is refused (with its errors
    and what was typed, so nothing is lost)."""
    filtros = _filtros_da_pagina()
    if not form.validate():
        estado = {"aberto": aberto, "erros": form.errors, "valores": form.data}
        return _recusa(fila_id, filtros, estado, 400, None)
    try:
        item = executar()
    except ErroFila as erro:
        estado: dict[str, Any] = {"mensagem": erro.mensagem}
        if isinstance(erro, EntradaInvalida):
            estado.update(aberto=aberto, valores=form.data)
        return _recusa(fila_id, filtros, estado, STATUS_ERRO_FILA.get(type(erro), 409), erro.item)
    if _htmx():
        return partials.render_mudancas([(fila_id, item)], current_user.papel, filtros)
    return redirect(voltar(), code=303)


def _recusa(
    fila_id: str,
    filtros: Filtros,
    estado: dict[str, Any],
    status: int,
    item: dict[str, Any] | None,
) -> Any:
    """The card as it is now, with the reason; without JavaScript, the whole board."""
    if item is None:
        try:
            item = _fila().obter(fila_id)
        except NaoEncontrada:
            item = None
    if _htmx():
        mensagem = estado.get("mensagem")
        papel = current_user.papel
        if item is None:
            texto = mensagem or "Ordem não encontrada."
            corpo = partials.render_mudancas([(fila_id, None)], papel, filtros, anunciar=texto)
        else:
            corpo = partials.render_mudancas(
                [(fila_id, item)], papel, filtros, estado=estado, anunciar=mensagem or ""
            )
        return Response(corpo, status=status)
    corpo, _ = _pagina_quadro(filtros, {fila_id: estado})
    return Response(corpo, status=status)


@bp.post("/ordens/<fila_id>/passo/<slug>")
@login_required
def passo(fila_id: str, slug: str) -> Any:
    acao = cards.ACOES_POR_SLUG.get(slug)
    if acao is None:
        abort(404)
    campo = PASSOS[acao].campo_texto
    form = FORMULARIOS_TEXTO[campo]() if campo else ConfirmarForm()

    def executar() -> dict[str, Any]:
        dados = {k: v for k, v in form.data.items() if k != "csrf_token"}
        if acao in (Acao.INICIAR_DIAGNOSTICO, Acao.INICIAR_REPARO):
            dados["mecanico_responsavel_id"] = current_user.funcionario_id
        return _fila().executar(fila_id, acao, current_user.ator, dados)

    return _responder(fila_id, executar, form, aberto=slug)


FazerAcao = Callable[[FilaService, str, Any, Ator], dict[str, Any]]

# The card's other actions: the form each one posts, and what it asks the service.
ACOES: dict[str, tuple[type[Formulario], FazerAcao]] = {
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
}


@bp.post("/ordens/<fila_id>/<acao>")
@login_required
def acao_cartao(fila_id: str, acao: str) -> Any:
    if acao not in ACOES:
        abort(404)
    form_cls, fazer = ACOES[acao]
    form = form_cls()
    return _responder(
        fila_id, lambda: fazer(_fila(), fila_id, form, current_user.ator), form, aberto=acao
    )


@bp.post("/ordens/<fila_id>/remover")
@login_required
def remover(fila_id: str) -> Any:
    filtros = _filtros_da_pagina()
    try:
        item = _fila().remover(fila_id, current_user.ator)
    except ErroFila as erro:
        status = STATUS_ERRO_FILA.get(type(erro), 409)
        return _recusa(fila_id, filtros, {"mensagem": erro.mensagem}, status, None)
    if _htmx():
        texto = cards.anuncio(None, item["ordem_servico_id"])
        return partials.render_mudancas(
            [(fila_id, None)], current_user.papel, filtros, anunciar=texto
        )
    return redirect(voltar(), code=303)


@bp.post("/ordens")
@exigir_gerente
def adicionar() -> Any:
    form = NovaOrdemForm()
    filtros = _filtros_da_pagina()
    status = 400
    if form.validate():
        try:
            item = _fila().adicionar(
                form.ordem_servico_id.data,
                current_user.ator,
                Prioridade(form.prioridade.data),
                form.extras(componentes().relogio.fuso),
            )
        except ErroFila as erro:
            form.ordem_servico_id.errors = [*form.ordem_servico_id.errors, erro.mensagem]
            status = STATUS_ERRO_FILA.get(type(erro), 409)
        else:
            if _htmx():
                novo = NovaOrdemForm(formdata=None)
                mudanca = partials.render_mudancas(
                    [(str(item["_id"]), item)], current_user.papel, filtros
                )
                return mudanca + render_template(
                    "quadro/_nova_ordem.html", nova=novo, oob=True, sucesso=item
                )
            return redirect(voltar(), code=303)
    if _htmx():
        corpo = render_template("quadro/_nova_ordem.html", nova=form, oob=True, sucesso=None)
        return Response(corpo, status=status)
    corpo, _ = _pagina_quadro(filtros, nova=form)
    return Response(corpo, status=status)
