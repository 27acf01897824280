"""`flask --app wsgi ...` commands: init-db, seed-demo, token, create-user."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from . import usuarios
from .domain import Acao, Papel, Prioridade
from .service import Ator, FilaService, agora
from .tokens import emitir

SEMEADOR = Ator("seed-demo", Papel.ADMIN)

# A dozen realistic orders: (OS, priority, plate, vehicle, customer, complaint, steps, hours ago)
DEMO = [
    (
        1001,
        "URGENTE",
        "RQX4B21",
        "Fiat Strada 1.3",
        "Transportes Lima",
        "Freio rangendo e pedal baixo",
        [],
        1,
    ),
    (1002, "NORMAL", "QOP2F88", "VW Gol 1.0", "Ana Souza", "Revisão dos 60 mil km", [], 5),
    (
        1003,
        "BAIXA",
        "PXT7A10",
        "Honda Fit",
        "Carlos Mendes",
        "Barulho na suspensão traseira",
        [],
        26,
    ),
    (
        1004,
        "ALTA",
        "SDF3C45",
        "Toyota Corolla 2.0",
        "Marina Costa",
        "Luz da injeção acesa",
        ["iniciar_diagnostico"],
        3,
    ),
    (
        1005,
        "NORMAL",
        "RTY8H33",
        "Chevrolet Onix",
        "Pedro Alves",
        "Ar-condicionado não gela",
        ["iniciar_diagnostico"],
        6,
    ),
    (
        1006,
        "URGENTE",
        "MNB1J72",
        "Renault Master",
        "Entregas Rápidas",
        "Embreagem patinando",
        ["iniciar_diagnostico", "finalizar_diagnostico"],
        8,
    ),
    (
        1007,
        "NORMAL",
        "KLO5D19",
        "Hyundai HB20",
        "Júlia Rocha",
        "Vazamento de óleo",
        ["iniciar_diagnostico", "finalizar_diagnostico"],
        20,
    ),
    (
        1008,
        "ALTA",
        "ZXC6V04",
        "Jeep Renegade",
        "Rafael Nunes",
        "Troca de correia dentada",
        ["iniciar_diagnostico", "finalizar_diagnostico", "aprovar_orcamento"],
        24,
    ),
    (
        1009,
        "NORMAL",
        "WER9Q56",
        "Ford Ka",
        "Beatriz Lima",
        "Amortecedores dianteiros",
        ["iniciar_diagnostico", "finalizar_diagnostico", "aprovar_orcamento", "iniciar_reparo"],
        30,
    ),
    (
        1010,
        "URGENTE",
        "ASD4G67",
        "Mercedes Sprinter",
        "Ambulâncias Vida",
        "Superaquecimento do motor",
        ["iniciar_diagnostico", "finalizar_diagnostico", "aprovar_orcamento", "iniciar_reparo"],
        4,
    ),
    (
        1011,
        "BAIXA",
        "GHJ2K83",
        "Fiat Uno",
        "Marcos Dias",
        "Troca de pastilhas",
        [
            "iniciar_diagnostico",
            "finalizar_diagnostico",
            "aprovar_orcamento",
            "iniciar_reparo",
            "finalizar_reparo",
        ],
        9,
    ),
    (
        1012,
        "ALTA",
        "TYU7L91",
        "VW Saveiro",
        "Construtora Alfa",
        "Alinhamento e balanceamento",
        [
            "iniciar_diagnostico",
            "finalizar_diagnostico",
            "aprovar_orcamento",
            "iniciar_reparo",
            "finalizar_reparo",
        ],
        7,
    ),
]

DADOS_PASSO = {
    Acao.INICIAR_DIAGNOSTICO: {"mecanico_responsavel_id": 101},
    Acao.FINALIZAR_DIAGNOSTICO: {"diagnostico": "Peça desgastada; substituir e testar."},
    Acao.FINALIZAR_REPARO: {"observacoes_reparo": "Serviço concluído e testado em rodagem."},
}


def _fila() -> FilaService:
    return current_app.extensions["fila"]


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create the collections' indexes (safe to run again)."""
    current_app.extensions["mongo"].garantir_indices()
    click.echo("Índices criados.")


@click.command("seed-demo")
@with_appcontext
@click.option("--reset", is_flag=True, help="Apaga a fila antes de semear.")
def seed_demo(reset: bool) -> None:
    """Fill the queue with a realistic demo (orders already there are kept)."""
    fila = _fila()
    if reset:
        fila.repo.fila.delete_many({})
    criadas = 0
    for os_id, prioridade, placa, veiculo, cliente, queixa, passos, horas in DEMO:
        if fila.repo.obter_por_os(os_id) is not None:
            continue
        instante = agora() - timedelta(hours=horas)
        extras = {"placa": placa, "veiculo": veiculo, "cliente": cliente, "descricao": queixa}
        item = fila.adicionar(os_id, SEMEADOR, Prioridade(prioridade), extras, instante)
        for n, passo in enumerate(passos, start=1):
            momento = instante + timedelta(minutes=25 * n)
            acao = Acao(passo)
            item = fila.executar(
                item["_id"], acao, SEMEADOR, DADOS_PASSO.get(acao), instante=momento
            )
        criadas += 1
    click.echo(f"Demonstração pronta: {criadas} ordens criadas, {len(DEMO) - criadas} já existiam.")
    if current_app.config["SETTINGS"].production:
        click.echo("Usuários de demonstração não são criados em produção (senhas conhecidas).")
    else:
        novos = usuarios.criar_usuarios_demo(current_app.extensions["mongo"].db)
        click.echo(f"Usuários de demonstração criados: {', '.join(novos) or 'nenhum'}.")


@click.command("token")
@with_appcontext
@click.option("--sub", default="dev-local", show_default=True, help="Quem chama (claim sub).")
@click.option("--role", type=click.Choice(["mecanico", "gerente", "admin"]), default=None)
@click.option("--minutes", default=60, show_default=True, type=click.IntRange(1, 24 * 60))
@click.option("--no-aud", is_flag=True, help="Sem a claim aud, como o serviço de auth atual.")
def token(sub: str, role: str | None, minutes: int, no_aud: bool) -> None:
    """Print a JWT for calling the API locally."""
    settings = current_app.config["SETTINGS"]
    click.echo(emitir(settings, sub, role=role, minutos=minutes, audience=not no_aud))


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
    mongo = current_app.extensions["mongo"]
    mongo.garantir_indices()  # the unique indexes are what refuse a duplicate
    try:
        usuario = usuarios.criar(mongo.db, login, nome, senha, papel.strip(), funcionario_id)
    except usuarios.UsuarioInvalido as erro:
        click.echo(f"Erro: {erro}", err=True)
        raise SystemExit(1) from None
    click.echo(f"Usuário {usuario.login} criado ({usuario.papel_rotulo}).")


def instalar(app: Flask) -> None:
    for comando in (init_db, seed_demo, token, create_user):
        app.cli.add_command(comando)
