"""The flask CLI commands of the queue: init-db, seed-demo, token."""

from __future__ import annotations

import jwt

from webapp.components import componentes
from webapp.settings import Settings


def test_init_db_cria_indices(app) -> None:
    resultado = app.test_cli_runner().invoke(args=["init-db"])
    assert resultado.exit_code == 0, resultado.output
    indices = componentes(app).mongo.db["fila_execucao"].index_information()
    assert {"ordem_servico_unica", "fila_por_status", "fila_geral"} <= set(indices)


def test_seed_demo_cobre_todos_os_estados_e_prioridades(app, api) -> None:
    runner = app.test_cli_runner()
    resultado = runner.invoke(args=["seed-demo"])
    assert resultado.exit_code == 0, resultado.output
    itens = api.get("/fila-execucao").json
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
    assert all(i["placa"] and i["veiculo"] for i in itens)
    # Running it again adds nothing.
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert len(api.get("/fila-execucao").json) == 12


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
    assert componentes(app).fila_queries.listar(None, 10, 0) == []
    r = app.test_cli_runner().invoke(args=["seed-demo", "--forcar"])
    assert r.exit_code == 0, r.output
    assert len(componentes(app).fila_queries.listar(None, 50, 0)) == 12
