"""`flask --app wsgi ...` commands of the whole app: init-db, seed-demo, token. Help and messages
in Portuguese; results on stdout, errors on stderr with a non-zero exit."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import NoReturn

import click
from flask.cli import with_appcontext
from pymongo.errors import PyMongoError

from .clock import Clock, agora
from .commands import Comando
from .components import componente
from .fila import demo, labels
from .fila.repository import FilaRepository
from .fila.service import FilaService
from .mongo import Indices
from .pessoas.domain import PAPEIS
from .pessoas.queries import PessoasQueries
from .pessoas.repository import PessoasRepository
from .previsao.service import PrevisaoService
from .settings import Settings
from .tokens import emitir, problema_do_sub

USUARIOS_DEMO = demo.USUARIOS_DEMO
# Why the demo is never seeded into a database with anyone but its own users.
RECUSA_DEMO = (
    "Esta base já tem usuários: a demonstração não é semeada nela, para que as senhas "
    "publicadas no README nunca entrem numa oficina de verdade. Para ver a "
    "demonstração, use outra base (ex.: MONGODB_DATABASE=oficina_demo)."
)


def _falhar(mensagem: str) -> NoReturn:
    """An error for the operator: one line on stderr, exit status 1."""
    click.echo(f"Erro: {mensagem}", err=True)
    raise SystemExit(1)


def sem_rastro_do_banco(comando: click.Command) -> click.Command:
    """`comando` (and, for a group, every subcommand) with the database unreachable or
    failing: one line on stderr saying so, exit status 1, not pymongo's stack trace. The
    error's own text names the hosts, never MONGODB_URL's credentials. Once per command:
    the commands are the modules', and every create_app (each test's) hands them in again."""
    if getattr(comando, "_sem_rastro", False):
        return comando
    original = comando.invoke

    def invoke(ctx: click.Context) -> object:
        try:
            return original(ctx)
        except PyMongoError as erro:
            motivo = str(erro).split(", Timeout:")[0].split(" (configured timeouts")[0]
            _falhar(
                f"o MongoDB não respondeu ({type(erro).__name__}: {motivo[:200]}). Confira "
                "MONGODB_URL e se o banco está no ar, e rode o comando de novo."
            )

    comando.invoke = invoke  # type: ignore[method-assign]
    comando._sem_rastro = True  # type: ignore[attr-defined]
    return comando


def flask_cmd() -> str:
    """How to call flask again, as this command was called: `.venv/bin/flask` under make,
    `flask` where it is on the PATH (the image)."""
    programa = Path(sys.argv[0])
    if programa.name != "flask":
        return "flask"
    caminho = programa.resolve()
    no_path = shutil.which("flask")
    if no_path and Path(no_path).resolve() == caminho:
        return "flask"
    try:
        return str(caminho.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(caminho)


@click.command("init-db", cls=Comando)
@with_appcontext
def init_db() -> None:
    """Cria os índices das coleções (pode rodar de novo).

    Também completa os campos que faltam a ordens antigas (depois de restaurar um backup)."""
    componente(FilaRepository).refazer_preenchimento()  # e.g. a database restored from an archive
    componente(Indices).criar()
    click.echo("Índices criados.")
    if not componente(PessoasQueries).ha_usuarios():
        click.echo(
            f"Nenhum usuário ainda. Crie o primeiro administrador com: {flask_cmd()} --app wsgi "
            'create-user --login ana --nome "Ana" --papel admin'
        )


@click.command(
    "seed-demo", short_help="Semeia a demonstração numa base sem outros usuários.", cls=Comando
)  # the listing's short line (80 columns, beside the longest command's name)
@with_appcontext
@click.option("--reset", is_flag=True, help="Apaga a fila antes de semear.")
@click.option(
    "--forcar",
    is_flag=True,
    help="Semeia mesmo com URL_API_OS configurada (os passos da demonstração seriam enviados).",
)
@click.option(
    "--dias",
    type=click.IntRange(0, 366),
    default=demo.HISTORICO_DIAS,
    show_default=True,
    help="Dias de histórico de ordens finalizadas (para os indicadores).",
)
def seed_demo(reset: bool, forcar: bool, dias: int) -> None:
    """Semeia a demonstração, só numa base sem outros usuários.

    O quadro de um dia de oficina, um mês de ordens finalizadas e os usuários de demonstração
    (senhas publicadas no README)."""
    settings = componente(Settings)
    if settings.url_api_os and not forcar:
        # The demo's steps would be pushed to a real OS service, about OS numbers it may have.
        _falhar(
            f"URL_API_OS está configurada ({settings.url_api_os}): a demonstração enviaria "
            "os seus passos a esse sistema de OS. Use --forcar se for mesmo isso."
        )
    componente(Indices).criar()
    if componente(PessoasQueries).ha_usuarios_fora_da_demo():
        _falhar(RECUSA_DEMO)
    # Users first: the history names them ("Marcos Mecânico iniciou o diagnóstico").
    usuarios = None
    if not settings.production:
        usuarios = componente(PessoasRepository).criar_se_faltam(USUARIOS_DEMO, demo=True)
    # Promises in the shop's working hours, as an advisor makes them: a demo seeded at night
    # promises for tomorrow, not for hours the shop is closed.
    calendario = componente(PrevisaoService).calendario
    r = demo.semear(
        componente(FilaService), componente(Clock), agora(), dias=dias, reset=reset,
        prazo=lambda inicio, horas: calendario.somar(inicio, horas * 3600),
    )  # fmt: skip
    criadas = labels.quantos(r.criadas, "ordem criada", "ordens criadas", "nenhuma ordem criada")
    existentes = labels.quantos(r.existentes, "já existia", "já existiam", "nenhuma já existia")
    click.echo(
        f"Demonstração pronta: {criadas} ({r.historico} finalizadas nos últimos {dias} dias), "
        f"{existentes}."
    )
    if usuarios is None:
        click.echo("Usuários de demonstração não são criados em produção (senhas conhecidas).")
    else:
        click.echo(f"Usuários de demonstração criados: {', '.join(usuarios) or 'nenhum'}.")


@click.command("token", cls=Comando)
@with_appcontext
@click.option("--sub", default="dev-local", show_default=True, help="Quem chama (claim sub).")
@click.option(
    "--papel",
    "--role",
    "papel",
    type=click.Choice([p.value for p in PAPEIS]),
    default=None,
    help="Papel (claim role); sem ele, um token de serviço (tipo_token: servico_interno).",
)
@click.option(
    "--minutos",
    "--minutes",
    "minutos",
    default=60,
    show_default=True,
    type=click.IntRange(1, 24 * 60),
    help="Validade do token.",
)
@click.option(
    "--sem-aud", "--no-aud", "sem_aud", is_flag=True,
    help="Sem a claim aud, como o serviço de autenticação atual.",
)  # fmt: skip
def token(sub: str, papel: str | None, minutos: int, sem_aud: bool) -> None:
    """Imprime um JWT para chamar a API localmente.

    Só o token vai para a saída padrão (para TOKEN=$(...)); avisos e erros vão para a saída de
    erro."""
    problema = problema_do_sub(sub)
    if problema:  # a token the API would refuse: said now, not at its first call
        _falhar(f"--sub: {problema}")
    settings = componente(Settings)
    extra = None if papel else {"tipo_token": "servico_interno"}
    jwt = emitir(settings, sub, role=papel, minutos=minutos, audience=not sem_aud, extra=extra)
    click.echo(jwt)


COMANDOS = (init_db, seed_demo, token)
