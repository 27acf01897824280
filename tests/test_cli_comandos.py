"""The flask CLI commands of the queue: init-db, seed-demo, token."""

from __future__ import annotations

from datetime import UTC, datetime

import jwt
import pytest
import time_machine

from webapp.clock import Clock
from webapp.components import componente
from webapp.fila.queries import FilaQueries
from webapp.mongo import Mongo
from webapp.pessoas.queries import PessoasQueries
from webapp.pessoas.repository import PessoasRepository
from webapp.previsao.service import PrevisaoService
from webapp.settings import Settings


def test_init_db_cria_indices(app) -> None:
    resultado = app.test_cli_runner().invoke(args=["init-db"])
    assert resultado.exit_code == 0, resultado.output
    indices = componente(Mongo, app).db["fila_execucao"].index_information()
    assert {"ordem_servico_unica", "fila_por_status", "fila_do_quadro"} <= set(indices)


def test_seed_demo_cobre_todos_os_estados_e_prioridades(app, api) -> None:
    """The board of a shop's day (every state and priority, holds, late orders) and a month of
    finished orders with a realistic spread (stage times by priority, holds by reason,
    promises missed); all in the past, through the service, by the demo's people."""
    runner = app.test_cli_runner()
    resultado = runner.invoke(args=["seed-demo"])
    assert resultado.exit_code == 0, resultado.output
    colecao = componente(Mongo, app).db["fila_execucao"]
    quadro = api.get("/fila-execucao", query_string={"limit": 500}).json
    itens = [i for i in quadro if i["ordem_servico_id"] >= 1001]
    assert len(itens) == 12
    assert {i["status"] for i in itens} == {
        "AGUARDANDO",
        "EM_DIAGNOSTICO",
        "EM_REPARO",
        "FINALIZADA",
    }
    assert {i["prioridade"] for i in itens} == {"URGENTE", "ALTA", "NORMAL", "BAIXA"}
    aguardando = [i for i in itens if i["status"] == "AGUARDANDO"]
    assert {
        (i["dta_fim_diagnostico"] is not None, i["orcamento_aprovado"]) for i in aguardando
    } == {(False, False), (True, False), (True, True)}
    assert all(i["placa"] and i["veiculo"] and i["previsao_entrega"] for i in itens)
    # On hold now: for the customer and for parts.
    assert {i["pausa"]["motivo"] for i in itens if i["pausa"]} == {
        "aguardando_cliente",
        "aguardando_pecas",
    }
    # Late now: some, not all (promised time passed, or too long in the stage).
    atrasadas = {a["ordem_servico_id"] for a in api.get("/indicadores").json["atrasadas"]}
    assert atrasadas == {1003, 1006, 1009}
    # The history: about a month of finished orders, nothing in the future, each stage's time
    # spread by priority, holds of every reason, promises missed and kept.
    assert f"({colecao.count_documents({'ordem_servico_id': {'$lt': 1001}})} finalizadas" in (
        resultado.output
    )
    agora_ = datetime.now(UTC)
    for item in colecao.find():
        datas = [e["em"] for e in item["historico"]]
        assert datas == sorted(datas) and datas[-1].replace(tzinfo=UTC) <= agora_
    # People work in the shop's hours: every step and hold of the history after the car came
    # in (it may be left at the door after closing) is at a time the shop is open.
    calendario = componente(PrevisaoService, app).calendario
    instantes = [
        e["em"].replace(tzinfo=UTC).timestamp()
        for item in colecao.find({"ordem_servico_id": {"$lt": 1001}})
        for e in item["historico"][1:]
    ]
    abertos = calendario.aberto_a_partir(instantes)
    fora = [
        datetime.fromtimestamp(t, UTC) for t, a in zip(instantes, abertos, strict=True) if a != t
    ]
    assert instantes and not fora, fora[:5]
    dados = api.get("/indicadores", query_string={"periodo": "30d"}).json
    assert 90 <= dados["finalizadas"] <= 160
    prioridades = {p["prioridade"]: p for p in dados["por_prioridade"]}
    assert set(prioridades) == {"URGENTE", "ALTA", "NORMAL", "BAIXA"}
    espera = {p: g["intervalos"]["espera_diagnostico"]["mediana_s"] for p, g in prioridades.items()}
    assert espera["URGENTE"] < espera["ALTA"] < espera["NORMAL"] < espera["BAIXA"]
    geral = dados["intervalos"]
    medianas = {geral[k]["mediana_s"] for k in ("diagnostico", "reparo", "espera_aprovacao")}
    assert len(medianas) == 3 and all(
        geral[k]["p90_s"] > 1.5 * geral[k]["mediana_s"] for k in geral
    )  # not flat: each stage its own time, a long tail
    motivos = geral["total"]["espera_por_motivo"]
    assert all(motivos[m]["ordens"] >= 3 for m in ("aguardando_pecas", "aguardando_cliente"))
    assert motivos["outro"]["ordens"] >= 1
    assert geral["reparo"]["espera_por_motivo"]["aguardando_pecas"]["espera_s"] > 0
    assert 0 < dados["finalizadas_depois_da_previsao"] < dados["finalizadas_com_previsao"]
    # The demo's people acted, not a "seed-demo" robot.
    assert {e["por"] for i in colecao.find() for e in i["historico"]} == {
        "gerente",
        "mecanico",
        "mecanico2",
    }
    # Running it again adds nothing.
    total = colecao.count_documents({})
    resultado = runner.invoke(args=["seed-demo"])
    assert resultado.exit_code == 0, resultado.output
    assert f"nenhuma ordem criada (0 finalizadas nos últimos 30 dias), {total} já existiam" in (
        resultado.output
    )
    assert colecao.count_documents({}) == total


@pytest.mark.parametrize(
    "quando", ["2026-12-08T10:00", "2026-12-04T19:20"], ids=["terca-de-manha", "sexta-a-noite"]
)
def test_seed_demo_promete_no_expediente_e_so_dois_em_risco(app, quando: str) -> None:
    """The demo's promises are working hours ahead, as an advisor makes them (seeded on a
    Friday night, none falls in hours the shop is closed), and its forecast tells the story
    the demo means: 1007 (a customer who does not answer) and 1010 (an urgent promise too
    tight) at risk; the others on time, or already late."""
    fuso = componente(Clock, app).fuso
    instante = datetime.fromisoformat(quando).replace(tzinfo=fuso)
    with time_machine.travel(instante, tick=False):
        assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
        resumo = componente(PrevisaoService, app).recalcular()
    colecao = componente(Mongo, app).db["fila_execucao"]
    conferidas = 0
    for item in colecao.find({"ordem_servico_id": {"$gte": 1001}, "status": {"$ne": "FINALIZADA"}}):
        promessa = item["previsao_entrega"].astimezone(fuso)
        if promessa > instante:
            conferidas += 1
            dia, hora = promessa.weekday(), promessa.hour + promessa.minute / 60
            assert dia < 6 and 8 <= hora <= (12 if dia == 5 else 18), (
                item["ordem_servico_id"],
                promessa,
            )
    assert conferidas >= 5  # most of the demo's open orders are promised ahead
    em_risco = componente(Mongo, app).db.previsoes.find({"em_risco": True}, {"ordem_servico_id": 1})
    assert {d["ordem_servico_id"] for d in em_risco} == {1007, 1010}
    assert resumo.em_risco == 2


def test_seed_demo_nunca_numa_base_com_usuarios(app) -> None:
    """Whoever is in the database besides the demo's own users (even one with a demo login),
    the demo and its published passwords stay out; one line on stderr, exit 1."""
    componente(PessoasRepository, app).criar(
        "gerente", "Gerente de verdade", "senha-de-verdade", "gerente"
    )
    runner = app.test_cli_runner()
    r = runner.invoke(args=["seed-demo"])
    assert r.exit_code == 1
    assert r.stdout == ""
    assert r.stderr.startswith("Erro: Esta base já tem usuários: a demonstração não é semeada")
    assert "MONGODB_DATABASE=oficina_demo" in r.stderr and len(r.stderr.splitlines()) == 1
    assert componente(Mongo, app).db["usuarios"].count_documents({}) == 1
    assert componente(Mongo, app).db["fila_execucao"].count_documents({}) == 0
    assert componente(PessoasQueries, app).autenticar("mecanico", "mecanico123") is None
    assert runner.invoke(args=["seed-demo", "--reset"]).exit_code == 1


def test_init_db_diz_como_comecar_numa_base_vazia(app) -> None:
    runner = app.test_cli_runner()
    r = runner.invoke(args=["init-db"])
    assert r.exit_code == 0
    assert r.output.splitlines() == [
        "Índices criados.",
        "Nenhum usuário ainda. Crie o primeiro administrador com: flask --app wsgi "
        'create-user --login ana --nome "Ana" --papel admin',
    ]
    componente(PessoasRepository, app).criar("ana", "Ana", "senha-forte", "gerente")
    assert runner.invoke(args=["init-db"]).output == "Índices criados.\n"


def test_token_da_cli(app, settings: Settings, client) -> None:
    resultado = app.test_cli_runner().invoke(args=["token", "--sub", "ana", "--role", "gerente"])
    assert resultado.exit_code == 0
    token = resultado.output.strip()
    claims = jwt.decode(token, settings.secret_key, algorithms=["HS256"], audience="oficina-api")
    assert (
        claims["sub"] == "ana" and claims["role"] == "gerente" and claims["iss"] == "oficina-auth"
    )
    r = client.get("/fila-execucao", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200


def test_seed_demo_recusa_com_url_api_os(make_app) -> None:
    app = make_app(url_api_os="http://127.0.0.1:9", os_sync_thread=False)
    r = app.test_cli_runner().invoke(args=["seed-demo"])
    assert r.exit_code == 1 and "URL_API_OS está configurada" in r.output
    assert componente(FilaQueries, app).listar(None, 10, 0) == []
    r = app.test_cli_runner().invoke(args=["seed-demo", "--forcar", "--dias", "0"])
    assert r.exit_code == 0, r.output
    assert len(componente(FilaQueries, app).listar(None, 50, 0)) == 12


@pytest.mark.parametrize(
    ("args", "mensagem"),
    [
        (
            ["edit-user", "--login", "ana", "--papel", "chefe"],
            "Erro: valor inválido em --papel; use mecanico, gerente, admin. Veja --help.",
        ),
        (
            [
                "create-user",
                "--login",
                "ana",
                "--nome",
                "Ana",
                "--papel",
                "admin",
                "--funcionario-id",
                "abc",
            ],
            "Erro: valor inválido em --funcionario-id; use um número inteiro. Veja --help.",
        ),
        (
            ["access-log", "--limite", "0"],
            "Erro: valor inválido em --limite; use um número inteiro de 1 a 10000. Veja --help.",
        ),
        (
            ["token", "--minutos", "-5"],
            "Erro: valor inválido em --minutos; use um número inteiro de 1 a 1440. Veja --help.",
        ),
        (["deactivate-user"], "Erro: falta --login. Veja --help."),
        (["list-users", "--xyz"], "Erro: opção desconhecida: --xyz. Veja --help."),
        (["os-sync", "status", "a-mais"], "Erro: argumentos a mais ou fora do lugar. Veja --help."),
        # Found by a hostile round: click's English usage (exit 2), and "a mais" for a missing
        # value.
        (["os-sync", "bogus"], "Erro: comando desconhecido: bogus. Veja --help."),
        (
            ["edit-user", "--login", "mecanico", "--papel"],
            "Erro: falta o valor de --papel. Veja --help.",
        ),
    ],  # fmt: skip
)
def test_opcoes_ruins_recusadas_em_portugues(app, args: list[str], mensagem: str) -> None:
    """click's own refusals (an unknown role, a word where a number goes, a missing option)
    were English with exit status 2, before the command ran: one Portuguese line, exit 1,
    as the commands' own refusals."""
    r = app.test_cli_runner().invoke(args=args)
    assert r.exit_code == 1, r.output
    assert r.output.strip() == mensagem


def test_registro_de_ninguem_diz_que_nao_ha(app) -> None:
    """access-log for a login with no record (mistyped) says so, on stderr; it printed nothing,
    which read as "no sign-in yet"."""
    r = app.test_cli_runner().invoke(args=["access-log", "--login", "naoexiste"])
    assert r.exit_code == 0
    assert r.stdout == "" and r.stderr == "Nenhum registro de “naoexiste”.\n"
