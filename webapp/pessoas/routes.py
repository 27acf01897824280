"""The people's pages: `/pessoas` (managers: list, add, edit, deactivate, reactivate, reset a
password, the record of sign-ins and changes) and `/senha` (anyone: change one's own password;
forced after a reset). Plain forms that post and redirect; no JavaScript needed."""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user
from htmx_flask import make_response as htmx_response

from ..auth import exigir_gerente
from ..components import componente
from ..fila import labels
from ..fila.domain import Ator, NaoEncontrada
from ..forms import ConfirmarForm
from ..urls import caminho_de, destino_seguro
from .domain import (
    PROPRIO_PAPEL,
    SO_ADMIN_ALTERA,
    EdicaoConcorrente,
    MuitasTentativas,
    Usuario,
    UsuarioInvalido,
    altera,
    descrever,
    nao_encontrado,
)
from .forms import NovaPessoaForm, PessoaForm, TrocarSenhaForm, instante_da_versao, versao_de
from .queries import PessoasQueries
from .service import PessoasService

bp = Blueprint("pessoas", __name__)

# Pages a person with a temporary password may not use until they chose their own.
COM_SENHA_PROPRIA = {"quadro", "configuracoes", "pessoas", "indicadores"}


def marcar(form: Any, erro: UsuarioInvalido, padrao: str) -> None:
    """The refusal beside the field it is about (or `padrao`), as the form's own errors; each
    field refused at once beside its own."""
    for recusa in erro.todos():
        campo = getattr(form, recusa.campo or padrao, None) or getattr(form, padrao)
        campo.errors = [*campo.errors, str(recusa)]


def servico() -> PessoasService:
    return componente(PessoasService)


def quem() -> Ator:
    # Behind a proxy, remote_addr is the client only from TRUSTED_PROXY_NETWORKS (proxies.py).
    return replace(current_user.ator, endereco=request.remote_addr)


@bp.before_app_request
def _senha_temporaria() -> Any:
    """After a reset (or a new user's first sign-in), everything waits for a new password."""
    if request.blueprint not in COM_SENHA_PROPRIA or request.endpoint == "pessoas.senha":
        return None
    if not current_user.is_authenticated or not current_user.deve_trocar_senha:
        return None
    if request.htmx:  # type: ignore[attr-defined]
        proximo = caminho_de(request.htmx.current_url)  # type: ignore[attr-defined]
        return htmx_response("", 403, redirect=url_for("pessoas.senha", next=proximo))
    proximo = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("pessoas.senha", next=proximo))


def _registros(login: str | None = None) -> list[dict[str, Any]]:
    """The latest lines of the record, with names and the change in words."""
    q = componente(PessoasQueries)
    linhas = q.registros(login)
    nomes = q.nomes_por_login({r["por"] for r in linhas} | {r["login"] for r in linhas})
    return [
        {**r, "texto": descrever(r), "quem": labels.autor(r["por"], nomes, inicio=True),
         "pessoa": nomes.get(r["login"], r["login"])}
        for r in linhas
    ]  # fmt: skip


def _sem_cache(corpo: str, status: int = 200) -> Response:
    # A temporary password is on this page only: keep it out of every cache.
    resposta = Response(corpo, status=status, mimetype="text/html")
    resposta.headers["Cache-Control"] = "no-store"
    return resposta


@bp.get("/pessoas")
@exigir_gerente
def index(nova: NovaPessoaForm | None = None, criada: dict[str, Any] | None = None) -> Any:
    nova = nova or NovaPessoaForm(formdata=None)
    nova.oferecer(quem().e_admin)
    corpo = render_template(
        "pessoas/index.html",
        pessoas=componente(PessoasQueries).listar(),
        nova=nova,
        criada=criada,
        registros=_registros(),
        confirmar=ConfirmarForm(formdata=None),
    )
    return _sem_cache(corpo, 400 if nova is not None and nova.errors else 200)


@bp.post("/pessoas")
@exigir_gerente
def criar() -> Any:
    form = NovaPessoaForm()
    if form.validate():
        try:
            usuario, senha = servico().criar(
                form.login.data, form.nome.data, form.papel.data, form.funcionario_id.data, quem()
            )
        except UsuarioInvalido as erro:
            marcar(form, erro, "login")
        else:
            criada = {"login": usuario.login, "nome": usuario.nome, "senha": senha}
            return index(criada=criada)
    return index(nova=form)


def _usuario(login: str) -> Usuario:
    usuario = componente(PessoasQueries).obter(login)
    if usuario is None:
        raise NaoEncontrada(nao_encontrado(login))
    return usuario


def _pagina_pessoa(
    usuario: Usuario,
    form: PessoaForm | None = None,
    senha: str | None = None,
    status: int | None = None,
) -> Response:
    if form is None:
        dados = {
            "nome": usuario.nome,
            "papel": usuario.papel.value,
            "funcionario_id": usuario.funcionario_id,
            "versao": versao_de(usuario),
        }
        form = PessoaForm(formdata=None, data=dados)
    form.oferecer(quem().e_admin, usuario.papel)
    corpo = render_template(
        "pessoas/pessoa.html",
        pessoa=usuario,
        form=form,
        senha=senha,
        registros=_registros(usuario.login),
        confirmar=ConfirmarForm(formdata=None),
        # Said before the deactivation is confirmed, not only after it.
        ordens_abertas=servico().ordens_de_quem_saiu(usuario) if usuario.ativo else None,
        eu=usuario.login == current_user.login,
        proprio_papel=PROPRIO_PAPEL,
        # A manager on an admin's page: what they could not save is not offered.
        so_leitura=None if altera(quem().e_admin, usuario.papel) else SO_ADMIN_ALTERA,
    )
    return _sem_cache(corpo, status or (400 if form.errors else 200))


# Session key: a temporary password just made by "Redefinir senha", shown on the GET its POST
# redirects to, once (a reload of that page makes no second password). The session carries only
# a key and half of it (PessoasService.guardar_para_mostrar), never the password.
SENHA_REDEFINIDA = "pessoas_senha_redefinida"


@bp.get("/pessoas/<login>")
@exigir_gerente
def pessoa(login: str) -> Any:
    usuario = _usuario(login)
    levado = session.pop(SENHA_REDEFINIDA, None)
    senha = servico().senha_a_mostrar(usuario.login, levado, quem()) if levado else None
    return _pagina_pessoa(usuario, senha=senha)


@bp.post("/pessoas/<login>")
@exigir_gerente
def editar(login: str) -> Any:
    usuario = _usuario(login)
    form = PessoaForm()
    if form.validate():
        try:
            depois = servico().editar(
                usuario.login,
                form.nome.data,
                form.papel.data,
                form.funcionario_id.data,
                quem(),
                lido_em=instante_da_versao(form.versao.data),
            )
        except EdicaoConcorrente as erro:
            # Saved by someone else meanwhile: the record as it is now, with its version, to
            # redo the change on (the old form would be refused at every save).
            flash(str(erro), "erro")
            return _pagina_pessoa(_usuario(login), status=409)
        except UsuarioInvalido as erro:
            marcar(form, erro, "nome")
        else:
            feito = f"Cadastro de {form.nome.data.strip()} salvo."
            ordens = servico().ordens_de_quem_deixou_de_ser_mecanico(usuario, depois)
            flash(f"{feito} {ordens}" if ordens else feito, "ok")
            return redirect(url_for("pessoas.pessoa", login=usuario.login), code=303)
    return _pagina_pessoa(usuario, form)


def _ativo(login: str, ativo: bool) -> Any:
    usuario = _usuario(login)
    if not ConfirmarForm().validate():
        flash("Formulário inválido; recarregue a página.", "erro")
    else:
        try:
            mudou = servico().definir_ativo(usuario.login, ativo, quem())
        except UsuarioInvalido as erro:
            flash(str(erro), "erro")
        else:
            if not mudou:
                estado = "ativo" if ativo else "desativado"
                flash(f"O acesso de {usuario.nome} já estava {estado}.", "ok")
            elif ativo:
                flash(f"O acesso de {usuario.nome} foi reativado: pode entrar de novo.", "ok")
            else:
                feito = f"O acesso de {usuario.nome} foi desativado: as sessões abertas terminaram."
                ordens = servico().ordens_de_quem_saiu(usuario)
                flash(f"{feito} {ordens}" if ordens else feito, "ok")
    return redirect(url_for("pessoas.pessoa", login=usuario.login), code=303)


@bp.post("/pessoas/<login>/desativar")
@exigir_gerente
def desativar(login: str) -> Any:
    return _ativo(login, False)


@bp.post("/pessoas/<login>/reativar")
@exigir_gerente
def reativar(login: str) -> Any:
    return _ativo(login, True)


@bp.post("/pessoas/<login>/senha")
@exigir_gerente
def redefinir_senha(login: str) -> Any:
    usuario = _usuario(login)
    if not ConfirmarForm().validate():
        flash("Formulário inválido; recarregue a página.", "erro")
        return redirect(url_for("pessoas.pessoa", login=usuario.login), code=303)
    try:
        senha = servico().redefinir_senha(usuario.login, quem())
    except UsuarioInvalido as erro:
        flash(str(erro), "erro")
        return redirect(url_for("pessoas.pessoa", login=usuario.login), code=303)
    # Post, redirect, get: the page that shows it is a GET, so reloading it resends nothing.
    session[SENHA_REDEFINIDA] = servico().guardar_para_mostrar(usuario.login, senha, quem())
    return redirect(url_for("pessoas.pessoa", login=usuario.login), code=303)


@bp.route("/senha", methods=["GET", "POST"])
@login_required
def senha() -> Any:
    """Change one's own password; the only page open while a temporary one is in use."""
    destino = destino_seguro(request.args.get("next"))
    form = TrocarSenhaForm()
    if current_user.deve_trocar_senha:  # type: ignore[attr-defined]
        # Asked again on purpose (a session left open is not its owner); named so that
        # nobody wonders which "current" password this is.
        form.senha_atual.label.text = "Senha temporária"
        form.senha_atual.description = "a mesma com que você entrou"
    status, cabecalhos = (400 if request.method == "POST" else 200), {}
    if form.validate_on_submit():
        try:
            usuario = servico().trocar_senha(
                current_user._get_current_object(),  # type: ignore[attr-defined]
                form.senha_atual.data,
                form.nova.data,
                quem(),
            )
        except MuitasTentativas as recusa:
            marcar(form, recusa, "senha_atual")
            status, cabecalhos = 429, {"Retry-After": str(recusa.espera_s)}
        except UsuarioInvalido as erro:
            marcar(form, erro, "nova")
        else:
            # The new password renewed the stamp (every other session ended): this one goes on
            # under the new id, with a fresh signed cookie.
            sessao_aberta = current_user.sessao  # the server-side session goes on too
            session.clear()
            session["nonce"] = secrets.token_urlsafe(16)
            usuario.sessao = sessao_aberta
            login_user(usuario)
            flash("Senha alterada.", "ok")
            return redirect(destino, code=303)
    return (
        render_template("pessoas/senha.html", form=form, proximo=request.args.get("next")),
        status,
        cabecalhos,
    )
