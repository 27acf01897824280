"""`flask --app wsgi ...` commands for the people, the same use cases as the /pessoas page:
create-user, list-users, edit-user, deactivate-user, reactivate-user, reset-password,
access-log. Changes are recorded as made from the command line."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..components import componentes
from ..fila.domain import Papel
from .model import PAPEIS, UsuarioInvalido, descrever
from .service import CLI, Quem

# Whoever runs these holds the server (and its database): an admin's rights, but the last
# active admin stays one here too (the repository refuses it).
QUEM = Quem(CLI, papel=Papel.ADMIN)
PAPEL = click.Choice([p.value for p in PAPEIS])


def _falhar(erro: UsuarioInvalido) -> None:
    click.echo(f"Erro: {erro}", err=True)
    raise SystemExit(1)


@click.command("create-user")
@with_appcontext
@click.option("--login", required=True, help="Nome de acesso (guardado em minúsculas).")
@click.option("--nome", required=True, help="Nome mostrado no quadro.")
@click.option("--papel", required=True, help="mecanico, gerente ou admin.")
@click.option("--funcionario-id", type=int, default=None, help="O mecanico_responsavel_id.")
@click.option("--senha", default=None, help="Para scripts; sem ela a senha é pedida.")
def create_user(
    login: str, nome: str, papel: str, funcionario_id: int | None, senha: str | None
) -> None:
    """Create a person who signs in to the board, with a password of your choice."""
    if senha is None:
        senha = click.prompt("Senha", hide_input=True, confirmation_prompt="Repita a senha")
    c = componentes()
    c.criar_indices()  # the unique indexes are what refuse a duplicate
    try:
        usuario = c.pessoas.criar(login, nome, senha, papel.strip(), funcionario_id)
    except UsuarioInvalido as erro:
        _falhar(erro)
        return
    detalhe = {"nome": usuario.nome, "papel": usuario.papel.value}
    c.pessoas.registrar("criar", usuario.login, CLI, c.pessoas_service.agora(), None, detalhe)
    click.echo(f"Usuário {usuario.login} criado ({usuario.papel_rotulo}).")


@click.command("list-users")
@with_appcontext
def list_users() -> None:
    """List everyone: login, name, role, employee number, active or not."""
    for u in componentes().pessoas_queries.listar():
        situacao = "ativo" if u.ativo else "inativo"
        if u.ativo and u.deve_trocar_senha:
            situacao += ", troca de senha pendente"
        numero = u.funcionario_id if u.funcionario_id is not None else "-"
        click.echo(f"{u.login}\t{u.nome}\t{u.papel.value}\t{numero}\t{situacao}")


@click.command("edit-user")
@with_appcontext
@click.option("--login", required=True)
@click.option("--nome", default=None, help="Novo nome (sem ele, fica o atual).")
@click.option("--papel", type=PAPEL, default=None, help="Novo papel (encerra as sessões).")
@click.option("--funcionario-id", type=int, default=None, help="Novo nº de funcionário.")
@click.option("--sem-funcionario", is_flag=True, help="Remove o nº de funcionário.")
def edit_user(
    login: str,
    nome: str | None,
    papel: str | None,
    funcionario_id: int | None,
    sem_funcionario: bool,
) -> None:
    """Change a person's name, role or employee number (only what is given)."""
    c = componentes()
    atual = c.pessoas_queries.obter(login)
    if atual is None:
        _falhar(UsuarioInvalido(f"Usuário {login!r} não encontrado."))
        return
    if sem_funcionario and funcionario_id is not None:
        _falhar(UsuarioInvalido("Use --funcionario-id ou --sem-funcionario, não os dois."))
        return
    numero = None if sem_funcionario else funcionario_id
    if numero is None and not sem_funcionario:
        numero = atual.funcionario_id
    try:
        usuario = c.pessoas_service.editar(
            atual.login, nome or atual.nome, papel or atual.papel.value, numero, QUEM
        )
    except UsuarioInvalido as erro:
        _falhar(erro)
        return
    click.echo(f"Usuário {usuario.login} salvo: {usuario.nome}, {usuario.papel_rotulo}.")


def _ativo(login: str, ativo: bool) -> None:
    try:
        mudou = componentes().pessoas_service.definir_ativo(login, ativo, QUEM)
    except UsuarioInvalido as erro:
        _falhar(erro)
        return
    estado = "reativado" if ativo else "desativado (sessões encerradas)"
    click.echo(f"Usuário {login.lower()} {estado}." if mudou else "Nada mudou.")


@click.command("deactivate-user")
@with_appcontext
@click.option("--login", required=True)
def deactivate_user(login: str) -> None:
    """Deactivate a person: their open sessions end at once and they cannot sign in."""
    _ativo(login, False)


@click.command("reactivate-user")
@with_appcontext
@click.option("--login", required=True)
def reactivate_user(login: str) -> None:
    """Let a deactivated person sign in again."""
    _ativo(login, True)


@click.command("reset-password")
@with_appcontext
@click.option("--login", required=True)
def reset_password(login: str) -> None:
    """Print a temporary password (once); the person changes it at the next sign-in."""
    try:
        senha = componentes().pessoas_service.redefinir_senha(login, QUEM)
    except UsuarioInvalido as erro:
        _falhar(erro)
        return
    click.echo(f"Senha temporária de {login.lower()}: {senha}")
    click.echo("Ela deve ser trocada no próximo acesso; as sessões abertas foram encerradas.")


@click.command("access-log")
@with_appcontext
@click.option("--login", default=None, help="Só o registro desta pessoa.")
@click.option("--limite", type=click.IntRange(1, 10_000), default=50, show_default=True)
def access_log(login: str | None, limite: int) -> None:
    """Sign-ins and changes to people, newest first: when, who, what, whose, from where."""
    c = componentes()
    for r in c.pessoas_queries.registros(login, limite):
        quando = c.relogio.formatar(r["em"], "%d/%m/%Y %H:%M:%S")
        onde = r.get("endereco") or "-"
        click.echo(f"{quando}\t{r['por']}\t{descrever(r)}\t{r['login']}\t{onde}")


COMANDOS = (
    create_user,
    list_users,
    edit_user,
    deactivate_user,
    reactivate_user,
    reset_password,
    access_log,
)
