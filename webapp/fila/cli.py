"""`flask --app wsgi ...` commands of the queue: init-db, seed-demo, token."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from ..clock import agora
from ..components import componentes
from ..tokens import emitir
from . import labels
from .domain import Acao, Papel, Prioridade
from .service import Ator

SEMEADOR = Ator(labels.DEMONSTRACAO, Papel.ADMIN)
DEMO: dict[str, Any] = json.loads(Path(__file__).with_name("demo.json").read_text("utf-8"))
USUARIOS_DEMO: list[dict[str, Any]] = DEMO["usuarios"]


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create the collections' indexes (safe to run again)."""
    componentes().criar_indices()
    click.echo("Índices criados.")


@click.command("seed-demo")
@with_appcontext
@click.option("--reset", is_flag=True, help="Apaga a fila antes de semear.")
@click.option(
    "--forcar",
    is_flag=True,
    help="Semeia mesmo com URL_API_OS configurada (os passos da demonstração seriam enviados).",
)
def seed_demo(reset: bool, forcar: bool) -> None:
    """Fill the queue with a realistic demo (orders already there are kept)."""
    c = componentes()
    if c.settings.url_api_os and not forcar:
        # The demo's steps would be pushed to a real OS service, about OS numbers it may have.
        click.echo(
            f"URL_API_OS está configurada ({c.settings.url_api_os}): a demonstração enviaria "
            "os seus passos a esse sistema de OS. Use --forcar se for mesmo isso.",
            err=True,
        )
        raise SystemExit(1)
    if reset:
        c.fila.repo.apagar_tudo()
    criadas = 0
    intervalo = timedelta(minutes=DEMO["minutos_entre_passos"])
    for ordem in DEMO["ordens"]:
        if c.fila_queries.obter_por_os(ordem["ordem_servico_id"]) is not None:
            continue
        instante = agora() - timedelta(hours=ordem["horas_atras"])
        extras = {k: ordem[k] for k in ("placa", "veiculo", "cliente", "descricao")}
        item = c.fila.adicionar(
            ordem["ordem_servico_id"], SEMEADOR, Prioridade(ordem["prioridade"]), extras, instante
        )
        for n, passo in enumerate(ordem["passos"], start=1):
            acao = Acao(passo)
            item = c.fila.executar(
                item["_id"],
                acao,
                SEMEADOR,
                DEMO["dados_passo"].get(passo),
                instante=instante + intervalo * n,
            )
        criadas += 1
    total = len(DEMO["ordens"])
    click.echo(f"Demonstração pronta: {criadas} ordens criadas, {total - criadas} já existiam.")
    if c.settings.production:
        click.echo("Usuários de demonstração não são criados em produção (senhas conhecidas).")
    else:
        novos = c.pessoas.criar_se_faltam(USUARIOS_DEMO)
        click.echo(f"Usuários de demonstração criados: {', '.join(novos) or 'nenhum'}.")


@click.command("token")
@with_appcontext
@click.option("--sub", default="dev-local", show_default=True, help="Quem chama (claim sub).")
@click.option("--role", type=click.Choice(["mecanico", "gerente", "admin"]), default=None)
@click.option("--minutes", default=60, show_default=True, type=click.IntRange(1, 24 * 60))
@click.option("--no-aud", is_flag=True, help="Sem a claim aud, como o serviço de auth atual.")
def token(sub: str, role: str | None, minutes: int, no_aud: bool) -> None:
    """Print a JWT for calling the API locally (without --role: a service token)."""
    settings = current_app.config["SETTINGS"]
    extra = None if role else {"tipo_token": "servico_interno"}
    click.echo(emitir(settings, sub, role=role, minutos=minutes, audience=not no_aud, extra=extra))


COMANDOS = (init_db, seed_demo, token)
