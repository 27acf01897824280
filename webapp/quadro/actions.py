"""The Kanban board's actions (POSTs). Every action is a plain form POST that works with
JavaScript off (post, then a 303 back to the page, anchored at the card, the reason in a flash)
and that htmx enhances (the answer is the partials that move the card, update the counts and say
what happened). All changes go through FilaService, like the JSON API's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.exceptions import BadRequest, NotFound
from wtforms import DateTimeField

from .. import errors
from ..auth import exigir_gerente
from ..cartoes import cards
from ..cartoes.service import (
    NadaMudou,
    anuncio,
    ja_salvo,
    mudar_promessa,
    prometer_previsao,
    quem_fez,
    remocoes,
)
from ..clock import Clock, agora
from ..components import componente
from ..fila import domain, labels
from ..fila.domain import (
    PASSOS,
    Ator,
    Conflito,
    ErroFila,
    MotivoPausa,
    NaoEncontrada,
    NumeroMudou,
    Prioridade,
    Status,
)
from ..fila.service import FilaService
from ..forms import ConfirmarForm, Formulario
from ..sincronizacao_os.link import OsLink
from ..urls import voltar
from . import bp, partials
from .filters import Filtros
from .forms import (
    FORMULARIOS_TEXTO,
    AtribuirForm,
    NovaOrdemForm,
    PausaForm,
    PrioridadeForm,
    PromessaForm,
    PrometerForm,
    RemoverForm,
)
from .routes import (
    EM_RISCO_FEITO,
    FEITO,
    NOVA,
    RECUSA,
    SAIU_DA_FILA,
    fila,
    guardar_recusa,
    htmx,
    mecanicos_do_pedido,
    reler_mecanicos,
)

NOVA_RECUSADA = "Nova OS: corrija os campos marcados."


def _filtros_da_pagina() -> Filtros:
    pagina = request.htmx.current_url if htmx() else None  # type: ignore[attr-defined]
    return Filtros.de_url(pagina or request.form.get("voltar") or request.referrer)


# Pages a plain POST may send the browser back to (a POST address would answer 405 to a GET).
PAGINAS = ("/?", "/ordens/", "/colunas/", "/historico", "/indicadores")


def _pagina_de_volta() -> str:
    destino = voltar().split("#")[0]
    return destino if destino == "/" or destino.startswith(PAGINAS) else "/"


def _quadro_de(pagina: str) -> str:
    """The board with the filter an order's page was opened from (its way back)."""
    return url_for("quadro.index", **Filtros.de_url(pagina).args())


def _de_volta(fila_id: str, ancorar: bool = True, *, saiu: bool = False) -> Response:
    """Back to the page the form was on, at the card (the 303 of a plain POST). `ancorar`
    False: a field comes back with the focus (autofocus), which an #anchor would prevent; the
    focus brings it into view. `saiu`: the order left the queue, so the board instead of its
    own page (a 404 now)."""
    destino = _pagina_de_volta()
    if saiu and destino.startswith(f"/ordens/{fila_id}"):
        destino = _quadro_de(destino)
    ancora = "" if destino.startswith("/ordens/") or not ancorar else f"#cartao-{fila_id}"
    if destino.startswith("/indicadores"):
        # A promise adopted from the list of orders at risk: that list says the outcome at
        # its top, focused (EM_RISCO_FEITO, autofocus: in view; on a phone the list lies far
        # down the page, and the manager scrolled back to it for every order). No #anchor: a
        # page opened at one never takes its autofocus. A refusal: the page's error summary.
        ancora = ""
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
    # A time as it was typed (the field's text), as every other field: given back to its box.
    valores = {
        f.name: f._value() if isinstance(f, DateTimeField) else f.data
        for f in form
        if f.name != "csrf_token"
    }
    if not form.validate():
        estado = {"aberto": aberto, "erros": form.errors, "valores": valores}
        mensagem = form.recusa_oculta() or "Corrija o campo marcado."
        return _recusa(fila_id, {**estado, "mensagem": mensagem}, 400)
    salvo = None
    try:
        item = executar()
    except ErroFila as erro:
        if isinstance(erro, NumeroMudou):
            reler_mecanicos()  # the list chosen from is stale: the form comes back with a fresh one
        if isinstance(erro, Conflito) and erro.item is not None and erro.acao is not None:
            salvo = ja_salvo(erro.item, erro.acao, current_user.ator, form.pedido(valores))
        if isinstance(erro, NadaMudou):
            salvo = erro.mensagem
        if salvo is None:
            estado = {"mensagem": erro.mensagem, "aberto": aberto, "valores": valores}
            conflito = erro if isinstance(erro, Conflito) else None
            return _recusa(fila_id, estado, erro.status, erro.item, conflito=conflito)
        item = erro.item  # this tap again, its answer lost before: saved, said so
    if htmx():
        # "Já estava salvo" also on the card, where the tap was (a retry whose first answer
        # was lost reads it there, not only on the page's line).
        return partials.render_mudancas(
            [(fila_id, item)], current_user.papel, _filtros_da_pagina(), anunciar=salvo,
            estado={"mensagem": salvo} if salvo else None, proprio=True,
        )  # fmt: skip
    # A plain POST (no JavaScript, the order's page, "Prometer" on /indicadores): the page it
    # lands on says what was done, as the board's line does.
    para_lista = _pagina_de_volta().startswith("/indicadores")
    flash(salvo or anuncio(item), EM_RISCO_FEITO if para_lista else "ok")
    flash(fila_id, FEITO)  # the board's next GET says it on the card too, in its column's tab
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
    removida = None
    if item is None:  # who removed it and when, or the API's "not found" in the shop's words
        removida = remocoes([fila_id]).get(fila_id)
        estado["mensagem"] = f"{removida[1]}." if removida else SAIU_DA_FILA
    # Whose text it is, for text kept to copy: a mechanic with several cars pastes it back.
    ordem = cards.rotulo_os(item or removida[0]) if item or removida else None
    if conflito is not None and item is not None:
        achado = quem_fez(item, conflito.acao) if conflito.de_alguem else None
        if achado:
            feito, tomado_antes = achado
            estado["quem_fez"] = f"{feito[0].upper()}{feito[1:]}."  # also alone, for a toast
            # Someone took this very step first: that alone says it ("Marcos já iniciou o
            # reparo às 10:32."), not the rule of the workflow it now breaks before it.
            estado["mensagem"] = (
                estado["quem_fez"] if tomado_antes else f"{estado['mensagem']} {estado['quem_fez']}"
            )
    # The page's line names the order: a screen reader hears "Corrija o campo marcado." away
    # from the card it is about, and the page without JavaScript says it at its top.
    mensagem = estado["mensagem"]
    anuncio = mensagem if ordem is None or ordem in mensagem else f"{ordem}: {mensagem}"
    if not htmx():
        if status == 403:  # not a normal use of the board: the error page, as it is
            return errors.resposta(status, estado["mensagem"])
        # Refused, or the order left the queue meanwhile (a removal, as normal on a shared
        # board as any other change): the page with the reason, and what was typed for a step
        # the order no longer offers shown to copy.
        flash(anuncio, "erro")
        texto = _texto(estado) if item is None or _texto_sem_formulario(item, estado) else None
        perdido = {"texto": texto, "ordem": ordem} if texto else None
        if item is not None or perdido:
            guardar_recusa(RECUSA, {"fila_id": fila_id, "estado": estado, "perdido": perdido})
        if item is None:
            return _de_volta(fila_id, ancorar=False, saiu=True)
        return _de_volta(fila_id, ancorar=not _com_foco(item, estado))
    papel = current_user.papel
    filtros = _filtros_da_pagina()
    if item is None:  # removed meanwhile: say so, and keep what was typed to be copied
        corpo = partials.render_mudancas(
            [(fila_id, None)], papel, filtros, anunciar=estado["mensagem"]
        ) + render_template(
            "quadro/_texto_perdido.html",
            texto=_texto(estado),
            mensagem=estado["mensagem"],
            ordem=ordem,
            fila_id=fila_id,
        )
    else:
        corpo = partials.render_mudancas(
            [(fila_id, item)],
            papel,
            filtros,
            estado=estado,
            anunciar=anuncio,
            mecanicos_ativos=mecanicos_do_pedido(),  # a refused "Mais…" comes back open
        )
        if _texto_sem_formulario(item, estado):  # its form is gone: keep the text to copy
            corpo += render_template(
                "quadro/_texto_perdido.html",
                texto=_texto(estado),
                mensagem=estado["mensagem"],
                ordem=ordem,
                fila_id=fila_id,
            )
    return Response(corpo, status=status)


# What a person writes in a card's forms (a step's text, a hold's note), offered back to copy
# when a refusal leaves no form to put it in; never a choice of a list (a hold's reason was
# offered as "aguardando_pecas", its note lost).
TEXTOS_ESCRITOS = (*labels.CAMPOS_TEXTO, "nota")


def _texto(estado: dict[str, Any]) -> str | None:
    valores = estado.get("valores") or {}
    escritos = (valores.get(campo) for campo in TEXTOS_ESCRITOS)
    return next((v for v in escritos if isinstance(v, str) and v.strip()), None)


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
    try:
        item = fila().obter(fila_id)
    except NaoEncontrada:  # removed meanwhile: who and when, the card taken off, as any tap
        return _recusa(fila_id, {"mensagem": SAIU_DA_FILA}, 404)
    motivo = domain.motivo_para_mover(item, current_user.papel, Status(destino))
    escolhido = next(
        (p for p in PASSOS.values() if p.de == item["status"] and p.para == destino), None
    )
    digitado = _texto_do_cartao(item)  # the card's open form stays open, with its text
    if motivo is not None or escolhido is None:
        titulo = labels.COLUNAS[destino]
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
        lambda fila, i, f, ator: fila.alterar_prioridade(
            i, Prioridade(f.prioridade.data), ator, visto=f.prioridade_vista()
        ),
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
        lambda fila, i, f, ator: fila.atribuir(
            i, f.mecanico_responsavel_id.data, ator, dono=f.dono, visto=f.mecanico_visto()
        ),
    ),
    # A manager makes the forecast shown the new promise, in one tap.
    "prometer": (
        PrometerForm,
        lambda fila, i, f, ator: prometer_previsao(
            fila, i, f.promessa.data, ator, f.promessa_vista()
        ),
    ),
    # A manager types the promised time (the customer agreed to another), or clears it.
    "promessa": (
        lambda: PromessaForm(fuso=componente(Clock).fuso, agora=agora()),
        lambda fila, i, f, ator: mudar_promessa(fila, i, f.promessa(), ator, f.promessa_vista()),
    ),
}


# Manager-only actions are refused before their form is read: a hand-made post gets 403 whatever
# it carries (the service refuses them too).
SO_GERENTE = {
    "prioridade": domain.Acao.ALTERAR_PRIORIDADE,
    "atribuir": domain.Acao.ATRIBUIR,
    "reenviar-os": domain.Acao.REENVIAR_OS,
    "prometer": domain.Acao.ADOTAR_PREVISAO,
    "promessa": domain.Acao.ALTERAR_PROMESSA,
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
    # The same words the other boards hear (from the archived copy): this board's push says
    # them again, and the page does not read them twice (quadro-ao-vivo.js).
    remocao = remocoes([fila_id]).get(fila_id)
    texto = f"{remocao[1]}." if remocao else f"{cards.rotulo_os(item)} removida da fila."
    if htmx():
        filtros = _filtros_da_pagina()
        return partials.render_mudancas(
            [(fila_id, None)], current_user.papel, filtros, anunciar=texto
        )
    flash(texto, "ok")
    destino = _pagina_de_volta()
    return redirect(_quadro_de(destino) if destino.startswith("/ordens/") else destino, code=303)


@bp.post("/situacao-os/reenviar/<fila_id>")
@exigir_gerente
def reenviar_os_removida(fila_id: str) -> Any:
    """A removed order's step the OS service refused, sent again from the banner that lists
    it (no card to do it from); answered with the banner as it is now, or, without
    JavaScript, the board with the outcome."""
    if not ConfirmarForm().validate():
        status, texto = 400, "Formulário inválido; recarregue a página."
    else:
        try:
            copia = fila().reenviar_os_removida(fila_id, current_user.ator)
        except ErroFila as erro:
            status, texto = erro.status, erro.mensagem  # 404: no such removed order
        else:
            status, texto = 200, f"{cards.rotulo_os(copia)}: reenvio ao sistema de OS pedido."
    ok = status == 200
    if htmx():
        situacao = componente(OsLink).situacao()
        return render_template(
            "quadro/_situacao_os.html", situacao_os=situacao, reenvio=(ok, texto)
        ), status
    flash(texto, "ok" if ok else "erro")
    return redirect("/", code=303)


def _adicionada(item: Mapping[str, Any]) -> Markup:
    """The answer to "Adicionar à fila", with the link to the order's page (a Markup: a
    flash keeps it as such through the session)."""
    texto = cards.adicionada(item["ordem_servico_id"])
    return Markup(render_template("quadro/_adicionada.html", item=item, texto=texto).strip())


@bp.post("/ordens")
@exigir_gerente
def adicionar() -> Any:
    relogio = componente(Clock)
    form = NovaOrdemForm(fuso=relogio.fuso)
    filtros = _filtros_da_pagina()
    status = 400
    # Every problem at once: the question of a promise already past too, not after the
    # other fields are fixed (three rounds for one form).
    valido = form.validate()
    if form.previsao_confirmada(relogio.local(agora()) or agora()) and valido:
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
                # Said on the new card too, where the page scrolls to (the line above the
                # board is out of sight below a long column), with the way to its page.
                adicionada = _adicionada(item)
                feito = {"mensagem": adicionada, "feito": True}
                mudanca = partials.render_mudancas(
                    [(str(item["_id"]), item)], current_user.papel, filtros, estado=feito
                )
                return mudanca + render_template(
                    "quadro/_nova_ordem.html", nova=novo, oob=True, sucesso=adicionada
                )
            flash(_adicionada(item), "ok")
            return redirect(_pagina_de_volta(), code=303)
    if htmx():
        corpo = render_template(
            "quadro/_nova_ordem.html", nova=form, oob=True, sucesso=None, recusa=NOVA_RECUSADA
        )
        return Response(corpo, status=status)
    # Without JavaScript: back to the board (a GET), the form open with what was typed.
    flash(NOVA_RECUSADA, "erro")
    # The form's own fields only: whatever else a hand-made POST carries is not kept.
    # And the refusal as it was said: the queue's own (a number already in the queue) and the
    # question of a promise already past are no form validation to run again.
    guardar_recusa(
        NOVA,
        {
            "dados": {k: v for k, v in request.form.items() if k in form and k != "csrf_token"},
            "erros": {k: v for k, v in form.errors.items() if isinstance(k, str)},
            "confirmar": form.precisa_confirmar,
        },
    )
    return redirect(_pagina_de_volta() + "#nova-ordem", code=303)
