"""The Kanban board for mechanics and managers.

Every action is a plain form POST (works with JavaScript off: post, then redirect back) that htmx
enhances: the answer is then a set of partials that move the card and update the counts. All
changes go through FilaService, like the JSON API's.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from pymongo.database import Database

from . import quadro
from .domain import PASSOS, Acao, MotivoPausa, Prioridade
from .erros import STATUS_ERRO_FILA
from .formularios import (
    MOTIVOS,
    PRIORIDADES,
    ConfirmarForm,
    DiagnosticoForm,
    NovaOrdemForm,
    PausaForm,
    PrioridadeForm,
    ReparoForm,
)
from .quadro import Filtros
from .service import EntradaInvalida, ErroFila, FilaService, NaoEncontrada
from .sessao import exigir_gerente
from .sincronizacao import situacao_os

bp = Blueprint("board", __name__)


@bp.app_context_processor
def _escolhas() -> dict[str, Any]:
    return {"motivos_pausa": MOTIVOS, "prioridades": PRIORIDADES, "rotulos_acao": ROTULOS_ACAO}


ROTULOS_ACAO = {
    **{str(p.acao): p.rotulo.capitalize() for p in PASSOS.values()},
    "criar": "Entrou na fila",
    "alterar_prioridade": "Prioridade alterada",
    "pausar": "Colocada em espera",
    "retomar": "Retomada",
    "reenviar_os": "Reenvio ao sistema de OS",
}

FORMULARIOS_PASSO: dict[Acao, type[FlaskForm]] = {
    Acao.FINALIZAR_DIAGNOSTICO: DiagnosticoForm,
    Acao.FINALIZAR_REPARO: ReparoForm,
}


def _fila() -> FilaService:
    return current_app.extensions["fila"]


def _db() -> Database:
    return current_app.extensions["mongo"].db


def _htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _voltar() -> str:
    """Back to the page the form was on (same site only), keeping its filters."""
    destino = request.form.get("voltar") or request.referrer or ""
    partes = urlsplit(destino)
    if partes.netloc and partes.netloc != request.host:
        return url_for("board.index")
    caminho = (
        partes.path if partes.path.startswith("/") and not partes.path.startswith("//") else "/"
    )
    return caminho + (f"?{partes.query}" if partes.query else "")


def _filtros_da_pagina() -> Filtros:
    return Filtros.de_url(request.headers.get("HX-Current-URL") or request.form.get("voltar"))


# --- Pages --------------------------------------------------------------------------------------


def _pagina_quadro(
    filtros: Filtros,
    estados: dict[str, dict[str, Any]] | None = None,
    nova: NovaOrdemForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    colunas = quadro.montar_colunas(_db(), current_user.papel, filtros)
    return render_template(
        "board/index.html",
        colunas=colunas,
        filtros=filtros,
        estados=estados or {},
        nova=nova or NovaOrdemForm(formdata=None),
        gerente=current_user.e_gerente,
        situacao_os=situacao_os(_db(), current_app.config["SETTINGS"]),
    ), status


@bp.get("/")
@login_required
def index() -> Any:
    return _pagina_quadro(Filtros.de_args(request.args))


@bp.get("/ordens/<fila_id>")
@login_required
def detalhe(fila_id: str) -> Any:
    from .usuarios import nomes_por_login

    item = _fila().obter(fila_id)
    nomes = quadro.nomes_mecanicos(_db(), [item])
    autores = nomes_por_login(_db(), {h["por"] for h in item.get("historico", [])})
    c = quadro.cartao(item, current_user.papel, nomes)
    return render_template(
        "board/detalhe.html",
        item=item,
        c=c,
        autores=autores,
        local=quadro.local,
    )


@bp.get("/situacao-os")
@login_required
def situacao_os_parcial() -> Any:
    """The OS-service banner alone (the board re-reads it every 30 s)."""
    return render_template(
        "board/_situacao_os.html",
        situacao_os=situacao_os(_db(), current_app.config["SETTINGS"]),
    )


@bp.get("/historico")
@login_required
def historico() -> Any:
    hoje = quadro.inicio_do_dia().date()
    erro = None
    try:
        dia = date.fromisoformat(request.args["data"]) if request.args.get("data") else None
    except ValueError:
        dia, erro = None, "Data inválida; use o calendário (AAAA-MM-DD)."
    pagina = request.args.get("pagina", "1")
    pagina_n = int(pagina) if pagina.isdigit() and int(pagina) > 0 else 1
    if dia is not None:
        de, ate = quadro.dia_local(dia)
    else:  # everything finished before today
        de, ate = datetime.min.replace(tzinfo=quadro.fuso()), quadro.dia_local(hoje)[0]
    itens, total = quadro.finalizadas_periodo(_db(), de, ate, pagina_n)
    nomes = quadro.nomes_mecanicos(_db(), itens)
    cartoes = [quadro.cartao(i, None, nomes) for i in itens]
    paginas = max(1, -(-total // quadro.HISTORICO_PAGINA))
    return render_template(
        "board/historico.html",
        cartoes=cartoes,
        itens=itens,
        total=total,
        pagina=pagina_n,
        paginas=paginas,
        dia=dia,
        erro=erro,
        local=quadro.local,
    ), 400 if erro else 200


# --- Actions ------------------------------------------------------------------------------------


def _responder(
    fila_id: str,
    executar: Any,
    *,
    aberto: str | None = None,
    form: FlaskForm | None = None,
) -> Any:
    """Run one change and answer htmx with partials, or a plain POST with a redirect.

    `aberto`: the inline form the card keeps open when the change is refused (with its errors
    and what was typed, so nothing is lost)."""
    filtros = _filtros_da_pagina()
    if form is not None and not form.validate():
        estado = {"aberto": aberto, "erros": form.errors, "valores": form.data}
        return _recusa(fila_id, filtros, estado, 400, None)
    try:
        item = executar()
    except ErroFila as erro:
        estado = {"mensagem": erro.mensagem}
        if isinstance(erro, EntradaInvalida):
            estado.update(aberto=aberto, valores=form.data if form else {})
        status = STATUS_ERRO_FILA.get(type(erro), 409)
        return _recusa(fila_id, filtros, estado, status, erro.item)
    if _htmx():
        return quadro.render_mudanca(fila_id, item, current_user, filtros)
    return redirect(_voltar(), code=303)


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
        if item is None:
            corpo = quadro.render_mudanca(
                fila_id, None, current_user, filtros, anunciar=mensagem or "Ordem não encontrada."
            )
        else:
            corpo = quadro.render_mudanca(
                fila_id, item, current_user, filtros, estado=estado, anunciar=mensagem or ""
            )
        return Response(corpo, status=status)
    corpo, _ = _pagina_quadro(filtros, {fila_id: estado})
    return Response(corpo, status=status)


@bp.post("/ordens/<fila_id>/passo/<slug>")
@login_required
def passo(fila_id: str, slug: str) -> Any:
    acao = quadro.ACOES_POR_SLUG.get(slug)
    if acao is None:
        abort(404)
    form_cls = FORMULARIOS_PASSO.get(acao, ConfirmarForm)
    form = form_cls()
    dados: dict[str, Any] = {}

    def executar() -> dict[str, Any]:
        dados.update({k: v for k, v in form.data.items() if k != "csrf_token"})
        if acao in (Acao.INICIAR_DIAGNOSTICO, Acao.INICIAR_REPARO):
            dados["mecanico_responsavel_id"] = current_user.funcionario_id
        return _fila().executar(fila_id, acao, current_user.ator, dados)

    return _responder(fila_id, executar, aberto=slug, form=form)


@bp.post("/ordens/<fila_id>/prioridade")
@login_required
def prioridade(fila_id: str) -> Any:
    form = PrioridadeForm()
    return _responder(
        fila_id,
        lambda: _fila().alterar_prioridade(
            fila_id, Prioridade(form.prioridade.data), current_user.ator
        ),
        aberto="prioridade",
        form=form,
    )


@bp.post("/ordens/<fila_id>/pausar")
@login_required
def pausar(fila_id: str) -> Any:
    form = PausaForm()
    return _responder(
        fila_id,
        lambda: _fila().pausar(
            fila_id, MotivoPausa(form.motivo.data), form.nota.data, current_user.ator
        ),
        aberto="pausar",
        form=form,
    )


@bp.post("/ordens/<fila_id>/retomar")
@login_required
def retomar(fila_id: str) -> Any:
    return _responder(
        fila_id, lambda: _fila().retomar(fila_id, current_user.ator), form=ConfirmarForm()
    )


@bp.post("/ordens/<fila_id>/reenviar-os")
@login_required
def reenviar_os(fila_id: str) -> Any:
    """A manager sends a status the OS service refused again (mechanics get 403)."""
    return _responder(
        fila_id, lambda: _fila().reenviar_os(fila_id, current_user.ator), form=ConfirmarForm()
    )


@bp.post("/ordens/<fila_id>/remover")
@login_required
def remover(fila_id: str) -> Any:
    filtros = _filtros_da_pagina()
    try:
        item = _fila().remover(fila_id, current_user.ator)
    except ErroFila as erro:
        return _recusa(
            fila_id,
            filtros,
            {"mensagem": erro.mensagem},
            STATUS_ERRO_FILA.get(type(erro), 409),
            None,
        )
    if _htmx():
        texto = quadro.anuncio(None, item["ordem_servico_id"])
        return quadro.render_mudanca(fila_id, None, current_user, filtros, anunciar=texto)
    return redirect(_voltar(), code=303)


@bp.post("/ordens")
@exigir_gerente
def adicionar() -> Any:
    form = NovaOrdemForm()
    filtros = _filtros_da_pagina()
    erro_geral = None
    if form.validate():
        previsao = form.previsao_entrega.data
        extras = {
            "placa": form.placa.data or None,
            "veiculo": (form.veiculo.data or "").strip() or None,
            "cliente": (form.cliente.data or "").strip() or None,
            "descricao": (form.descricao.data or "").strip() or None,
            "previsao_entrega": previsao.replace(tzinfo=quadro.fuso()) if previsao else None,
        }
        try:
            item = _fila().adicionar(
                form.ordem_servico_id.data,
                current_user.ator,
                Prioridade(form.prioridade.data),
                extras,
            )
        except ErroFila as erro:
            erro_geral = erro.mensagem
            status = STATUS_ERRO_FILA.get(type(erro), 409)
        else:
            if _htmx():
                novo = NovaOrdemForm(formdata=None)
                return quadro.render_mudanca(
                    str(item["_id"]), item, current_user, filtros
                ) + render_template("board/_nova_ordem.html", nova=novo, oob=True, sucesso=item)
            return redirect(_voltar(), code=303)
    else:
        status = 400
    if erro_geral:
        form.ordem_servico_id.errors = [*form.ordem_servico_id.errors, erro_geral]
    if _htmx():
        corpo = render_template("board/_nova_ordem.html", nova=form, oob=True, sucesso=None)
        return Response(corpo, status=status)
    corpo, _ = _pagina_quadro(filtros, nova=form)
    return Response(corpo, status=status)
