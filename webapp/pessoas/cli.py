"""`flask --app wsgi create-user`: a person who signs in to the board."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..components import componentes
from .model import UsuarioInvalido


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
    """Create a person who signs in to the board."""
    if senha is None:
        senha = click.prompt("Senha", hide_input=True, confirmation_prompt="Repita a senha")
    c = componentes()
    c.criar_indices()  # the unique indexes are what refuse a duplicate
    try:
        usuario = c.pessoas.criar(login, nome, senha, papel.strip(), funcionario_id)
    except UsuarioInvalido as erro:
        click.echo(f"Erro: {erro}", err=True)
        raise SystemExit(1) from None
    click.echo(f"Usuário {usuario.login} criado ({usuario.papel_rotulo}).")
