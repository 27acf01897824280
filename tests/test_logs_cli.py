"""JSON request logs and the flask CLI commands."""

from __future__ import annotations

import io
import json
import logging

import jwt

from webapp.config import Settings
from webapp.logs import JsonFormatter


def test_uma_linha_json_por_requisicao_com_request_id(client) -> None:
    saida = io.StringIO()
    handler = logging.StreamHandler(saida)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("webapp.request")
    logger.addHandler(handler)
    nivel = logger.level
    logger.setLevel(logging.INFO)
    try:
        r = client.get("/health", headers={"X-Request-ID": "abc-123"})
        r2 = client.get("/health", headers={"X-Request-ID": "inválido com espaço"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(nivel)
    assert r.headers["X-Request-ID"] == "abc-123"
    gerado = r2.headers["X-Request-ID"]
    assert gerado != "inválido com espaço" and len(gerado) == 32
    linhas = [json.loads(linha) for linha in saida.getvalue().splitlines()]
    assert len(linhas) == 2
    primeira = linhas[0]
    assert primeira["message"] == "request" and primeira["level"] == "INFO"
    assert primeira["logger"] == "webapp.request"
    assert primeira["request_id"] == "abc-123"
    assert (primeira["method"], primeira["path"], primeira["status"]) == ("GET", "/health", 200)
    assert isinstance(primeira["duration_ms"], float)
    assert primeira["time"].endswith("+00:00")
    assert linhas[1]["request_id"] == gerado


def test_init_db_cria_indices(app) -> None:
    resultado = app.test_cli_runner().invoke(args=["init-db"])
    assert resultado.exit_code == 0, resultado.output
    indices = app.extensions["mongo"].db["fila_execucao"].index_information()
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
