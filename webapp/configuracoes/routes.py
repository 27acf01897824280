"""The manager's settings page (`/configuracoes`): TV passes for the TV wall and the soft
limits of the board's columns (past a limit the column header turns red, nothing is refused)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_login import current_user

from ..auth import exigir_gerente
from ..components import componente
from ..forms import ConfirmarForm
from ..pessoas.queries import PessoasQueries
from ..qr import qr_svg
from ..urls import endereco_publico
from .forms import LimitesForm, NovoPasseForm
from .queries import ConfiguracoesQueries
from .repository import ConfiguracoesRepository, PasseJaCriado

bp = Blueprint("configuracoes", __name__, url_prefix="/configuracoes")


def _pagina(
    limites: LimitesForm | None = None,
    novo: NovoPasseForm | None = None,
    passe_criado: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    consultas = componente(ConfiguracoesQueries)
    if limites is None:
        atuais, versao = consultas.limites_e_versao()
        dados = {**atuais, "versao": str(versao)}
        limites = LimitesForm(formdata=None, data=dados)
    passes = consultas.listar_passes()
    corpo = render_template(
        "configuracoes/index.html",
        limites=limites,
        novo=novo or NovoPasseForm(formdata=None),
        passes=passes.mostrados,
        revogados_ocultos=passes.revogados_ocultos,
        ativos_ocultos=passes.ativos_ocultos,
        autores=componente(PessoasQueries).nomes_por_login(
            t.get("criado_por") for t in passes.mostrados
        ),
        passe_criado=passe_criado,
    )
    resposta = Response(corpo, status=status, mimetype="text/html")
    if passe_criado:
        # The secret is on this page only: keep it out of every cache.
        resposta.headers["Cache-Control"] = "no-store"
    return resposta


@bp.get("")
@exigir_gerente
def index() -> Response:
    return _pagina()


@bp.get("/limites", defaults={"secao": "limites"})
@bp.get("/passes", defaults={"secao": "passes"})
@bp.get("/passes/<passe_id>/revogar", defaults={"secao": "passes"})
@exigir_gerente
def ao_formulario(secao: str, passe_id: str | None = None) -> Any:
    """An address a form of this page posts to, opened: without JavaScript a refused save or a
    new pass is answered there, and reloading or bookmarking it gave "Endereço usado do jeito
    errado" (405). It leads back to the form's section."""
    return redirect(url_for("configuracoes.index") + f"#{secao}", code=303)


@bp.post("/limites")
@exigir_gerente
def salvar() -> Any:
    form = LimitesForm()
    if not form.validate():
        return _pagina(limites=form, status=400)
    repo = componente(ConfiguracoesRepository)
    if not repo.salvar_limites(form.limites(), current_user.ator.id, form.versao_lida()):
        # Saved by someone else since this page was drawn: theirs stays; these values stay
        # in the form, against the limits as they are now.
        form.marcar_conflito(*componente(ConfiguracoesQueries).limites_e_versao())
        return _pagina(limites=form, status=409)
    flash("Limites das colunas salvos.", "limites")
    return redirect(url_for("configuracoes.index") + "#limites", code=303)


@bp.post("/passes")
@exigir_gerente
def novo_passe() -> Any:
    form = NovoPasseForm()
    if not form.validate():
        return _pagina(novo=form, status=400)
    try:
        passe, documento = componente(ConfiguracoesRepository).criar_passe(
            form.nome.data, current_user.ator.id, form.pedido_lido()
        )
    except PasseJaCriado as criado:
        flash(
            f"O passe “{criado.nome}” já foi criado por este formulário, enviado de "
            "novo: nada mudou. O endereço aparece uma única vez; se você não o guardou, revogue "
            "esse passe e crie outro.",
            "passes",
        )
        return redirect(url_for("configuracoes.index") + "#passes", code=303)
    # `token`: the address's parameter, as TVs installed before the pass had its name know it.
    url = endereco_publico("painel.index", token=passe)
    # Only its hash is stored: the address and its QR code exist in this answer alone (no-store,
    # the QR inline, never an image URL carrying the pass).
    criado = {
        "nome": documento["nome"],
        "url": url,
        "qr": qr_svg(url, f"Código QR do endereço do painel da tela “{documento['nome']}”", 4),
    }
    return _pagina(passe_criado=criado)


@bp.post("/passes/<passe_id>/revogar")
@exigir_gerente
def revogar(passe_id: str) -> Any:
    if not ConfirmarForm().validate():
        return _pagina(status=400)
    documento = componente(ConfiguracoesRepository).revogar_passe(passe_id, current_user.ator.id)
    if documento is None:
        flash("Este passe já estava revogado (ou não existe): nada mudou.", "passes")
    else:
        flash(f"Passe “{documento['nome']}” revogado: a tela perde o acesso.", "passes")
    return redirect(url_for("configuracoes.index") + "#passes", code=303)
