"""`flask --app wsgi ...` commands for the people, the same use cases as the /pessoas page:
create-user, list-users, edit-user, deactivate-user, reactivate-user, reset-password,
access-log. Changes are recorded as made from the command line. Help and messages in
Portuguese; results on stdout, errors on stderr with exit status 1."""

from __future__ import annotations

import sys
from typing import NoReturn

import click
from flask.cli import with_appcontext

from ..clock import Clock
from ..commands import Comando
from ..components import componente
from ..fila.domain import Ator, Papel
from ..mongo import Indices
from .domain import PAPEIS, UsuarioInvalido, descrever, nao_encontrado, normalizar_login
from .queries import PessoasQueries
from .service import CLI, PessoasService

# Whoever runs these holds the server (and its database): an admin's rights, but the last
# active admin stays one here too (the repository refuses it).
QUEM = Ator(CLI, Papel.ADMIN)
PAPEL = click.Choice([p.value for p in PAPEIS])


# create-user reads the password from here when neither --senha nor --senha-stdin is given.
VARIAVEL_SENHA = "SENHA_USUARIO"


def _falhar(erro: UsuarioInvalido | str) -> NoReturn:
    click.echo(f"Erro: {erro}", err=True)
    raise SystemExit(1)


def _senha_da_entrada() -> str:
    """The password as the first line of stdin (`printf '%s\\n' "$SENHA" | ... --senha-stdin`)."""
    linhas = sys.stdin.read().splitlines()
    senha = linhas[0] if linhas else ""
    if not senha:
        _falhar("A senha não veio na entrada padrão (--senha-stdin lê a primeira linha).")
    return senha


def _perguntar_senha() -> str:
    """Asked twice on the terminal, hidden; without a terminal (a script, `docker compose exec
    -T`) there is no one to ask, so it says how to pass it instead of failing silently."""
    if not sys.stdin.isatty():
        _falhar(
            "Sem terminal para perguntar a senha. Use --senha-stdin (a senha na primeira "
            f"linha da entrada padrão) ou a variável de ambiente {VARIAVEL_SENHA}."
        )
    while True:
        senha = click.prompt("Senha", hide_input=True)
        if click.prompt("Repita a senha", hide_input=True) == senha:
            return senha
        click.echo("As senhas não conferem; digite de novo.", err=True)


@click.command("create-user", cls=Comando)
@with_appcontext
@click.option("--login", required=True, help="Nome de acesso (guardado em minúsculas).")
@click.option("--nome", required=True, help="Nome mostrado no quadro.")
@click.option("--papel", required=True, help="mecanico, gerente ou admin.")
@click.option(
    "--funcionario-id",
    type=int,
    default=None,
    help="Nº de funcionário (o mecanico_responsavel_id das suas ordens).",
)
@click.option(
    "--senha-stdin",
    is_flag=True,
    help="Lê a senha da primeira linha da entrada padrão (para scripts e docker compose exec -T).",
)
@click.option(
    "--senha",
    envvar=VARIAVEL_SENHA,
    show_envvar=True,
    default=None,
    help="A senha (evite na linha de comando: fica no histórico do shell e na lista de "
    "processos). Sem ela nem --senha-stdin, a senha é perguntada no terminal.",
)
def create_user(
    login: str,
    nome: str,
    papel: str,
    funcionario_id: int | None,
    senha_stdin: bool,
    senha: str | None,
) -> None:
    """Cria uma pessoa com a senha escolhida (o 1º gerente).

    A senha vem de --senha-stdin, de SENHA_USUARIO ou de --senha; sem nenhum deles, é
    perguntada no terminal, duas vezes."""
    origem = click.get_current_context().get_parameter_source("senha")
    if senha_stdin and origem is click.core.ParameterSource.COMMANDLINE:
        _falhar("Use --senha ou --senha-stdin, não os dois.")
    if senha_stdin:
        senha = _senha_da_entrada()
    elif senha is None:
        senha = _perguntar_senha()
    componente(Indices).criar()  # the unique indexes are what refuse a duplicate
    try:
        usuario, _ = componente(PessoasService).criar(
            login, nome, papel.strip(), funcionario_id, QUEM, senha
        )
    except UsuarioInvalido as erro:
        _falhar(erro)
    click.echo(f"Usuário {usuario.login} criado ({usuario.papel_rotulo}).")


@click.command("list-users", cls=Comando)
@with_appcontext
def list_users() -> None:
    """Lista as pessoas.

    Login, nome, papel, nº de funcionário, ativo ou não, troca de senha pendente."""
    for u in componente(PessoasQueries).listar():
        situacao = "ativo" if u.ativo else "inativo"
        if u.ativo and u.deve_trocar_senha:
            situacao += ", troca de senha pendente"
        numero = u.funcionario_id if u.funcionario_id is not None else "-"
        click.echo(f"{u.login}\t{u.nome}\t{u.papel.value}\t{numero}\t{situacao}")


@click.command("edit-user", cls=Comando)
@with_appcontext
@click.option("--login", required=True, help="Quem muda.")
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
    """Muda o nome, o papel ou o nº de uma pessoa.

    Só o que for dado; um papel novo encerra as sessões da pessoa."""
    atual = componente(PessoasQueries).obter(login)
    if atual is None:
        _falhar(UsuarioInvalido(nao_encontrado(login)))
    if sem_funcionario and funcionario_id is not None:
        _falhar(UsuarioInvalido("Use --funcionario-id ou --sem-funcionario, não os dois."))
    numero = None if sem_funcionario else funcionario_id
    if numero is None and not sem_funcionario:
        numero = atual.funcionario_id
    try:
        usuario = componente(PessoasService).editar(
            atual.login,
            nome or atual.nome,
            papel or atual.papel.value,
            numero,
            QUEM,
            lido_em=atual.documento.get("atualizado_em"),  # what it keeps is what it read
        )
    except UsuarioInvalido as erro:
        _falhar(erro)
    click.echo(f"Usuário {usuario.login} salvo: {usuario.nome}, {usuario.papel_rotulo}.")
    if ordens := componente(PessoasService).ordens_de_quem_deixou_de_ser_mecanico(atual, usuario):
        click.echo(ordens)


def _ativo(login: str, ativo: bool) -> None:
    servico = componente(PessoasService)
    try:
        mudou = servico.definir_ativo(login, ativo, QUEM)
    except UsuarioInvalido as erro:
        _falhar(erro)
    estado = "reativado" if ativo else "desativado (sessões encerradas)"
    click.echo(f"Usuário {login.lower()} {estado}." if mudou else "Nada mudou.")
    if mudou and not ativo:  # the cars still in their hands, and what to do
        usuario = componente(PessoasQueries).obter(normalizar_login(login))
        if usuario and (ordens := servico.ordens_de_quem_saiu(usuario)):
            click.echo(ordens)


@click.command("deactivate-user", cls=Comando)
@with_appcontext
@click.option("--login", required=True, help="Quem desativar.")
def deactivate_user(login: str) -> None:
    """Desativa uma pessoa.

    As sessões abertas acabam na hora e ela não entra mais."""
    _ativo(login, False)


@click.command("reactivate-user", cls=Comando)
@with_appcontext
@click.option("--login", required=True, help="Quem reativar.")
def reactivate_user(login: str) -> None:
    """Deixa uma pessoa desativada entrar de novo."""
    _ativo(login, True)


@click.command("reset-password", cls=Comando)
@with_appcontext
@click.option("--login", required=True, help="De quem é a senha.")
def reset_password(login: str) -> None:
    """Gera uma senha temporária para uma pessoa.

    Mostrada uma vez só; a pessoa a troca no próximo acesso."""
    try:
        senha = componente(PessoasService).redefinir_senha(login, QUEM)
    except UsuarioInvalido as erro:
        _falhar(erro)
    click.echo(f"Senha temporária de {login.lower()}: {senha}")
    click.echo("Ela deve ser trocada no próximo acesso; as sessões abertas foram encerradas.")


@click.command("access-log", cls=Comando)
@with_appcontext
@click.option("--login", default=None, help="Só o registro desta pessoa.")
@click.option(
    "--limite",
    type=click.IntRange(1, 10_000),
    default=50,
    show_default=True,
    help="Quantas linhas, das mais recentes.",
)
def access_log(login: str | None, limite: int) -> None:
    """Mostra o registro de acessos e mudanças de pessoas.

    Dos mais recentes: quando, quem, o quê, de quem, de onde."""
    registros = componente(PessoasQueries).registros(login, limite)
    if not registros:
        # Silence would read as "no sign-in yet" when the login is mistyped: say which.
        quem = f" de “{login}”" if login else ""
        click.echo(f"Nenhum registro{quem}.", err=True)
        return
    for r in registros:
        quando = componente(Clock).formatar(r["em"], "%d/%m/%Y %H:%M:%S")
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
