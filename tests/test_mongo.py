"""The database goes away and comes back: quick 503s, then recovery without a restart."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from flask import Flask

from scripts import localdb
from tests.helpers import Api
from webapp import create_app
from webapp.components import componente
from webapp.fila.demo import USUARIOS_DEMO
from webapp.fila.repository import INDICES
from webapp.mongo import Indices, Mongo
from webapp.pessoas.repository import PessoasRepository
from webapp.settings import Settings


def test_banco_fora_da_503_rapido_e_volta_sozinho(
    tmp_path: Path, settings: Settings, entrar
) -> None:
    porta = localdb.free_port()
    dados, log = tmp_path / "data", tmp_path / "mongod.log"
    processo = localdb.start_mongod(porta, dados, log)
    app = create_app(
        replace(settings, mongodb_url=localdb.mongo_url(porta), mongodb_timeout_ms=500)
    )
    api = Api(app.test_client(), settings)
    try:
        fila_id = api.criar(1)["fila_id"]
        componente(PessoasRepository, app).criar_se_faltam(USUARIOS_DEMO)
        gerente = app.test_client()
        assert entrar(gerente, "gerente", "gerente123").status_code == 302
        localdb.stop_mongod(processo)

        inicio = time.monotonic()
        r = api.get(f"/fila-execucao/{fila_id}")
        assert time.monotonic() - inicio < 3
        assert r.status_code == 503
        assert r.json == {
            "detail": "Banco de dados indisponível no momento; tente novamente em instantes."
        }
        assert r.headers["Retry-After"] == "5"
        r = api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 1})
        assert r.status_code == 503
        assert app.test_client().get("/health").status_code == 200  # alive, just not ready
        # People get a page, not a stack trace: the board, the sign-in, the TV.
        for cliente, caminho in ((gerente, "/"), (app.test_client(), "/painel?token=x")):
            inicio = time.monotonic()
            pagina = cliente.get(caminho, headers={"Accept": "text/html"})
            assert time.monotonic() - inicio < 3
            assert pagina.status_code == 503, caminho
            assert "Banco de dados indisponível" in pagina.text
        assert app.test_client().get("/health/ready").status_code == 503

        processo = localdb.start_mongod(porta, dados, log)
        prazo = time.monotonic() + 30
        while True:
            r = api.get(f"/fila-execucao/{fila_id}")
            if r.status_code == 200 or time.monotonic() > prazo:
                break
            time.sleep(0.2)
        assert r.status_code == 200 and r.json["ordem_servico_id"] == 1
        assert app.test_client().get("/health/ready").status_code == 200
    finally:
        componente(Mongo, app).fechar()
        localdb.stop_mongod(processo)


def test_app_sobe_com_o_banco_fora_e_cria_indices_depois(
    tmp_path: Path, settings: Settings
) -> None:
    porta = localdb.free_port()
    app = create_app(
        replace(settings, mongodb_url=localdb.mongo_url(porta), mongodb_timeout_ms=300)
    )
    api = Api(app.test_client(), settings)
    processo = None
    try:
        assert api.get("/fila-execucao").status_code == 503
        processo = localdb.start_mongod(porta, tmp_path / "data", tmp_path / "mongod.log")
        prazo = time.monotonic() + 30
        while api.get("/fila-execucao").status_code != 200:
            assert time.monotonic() < prazo
            time.sleep(0.2)
        indices = componente(Mongo, app).db["fila_execucao"].index_information()
        assert indices["ordem_servico_unica"]["unique"] is True
        assert {"fila_por_status", "fila_do_quadro"} <= set(indices)
    finally:
        componente(Mongo, app).fechar()
        if processo is not None:
            localdb.stop_mongod(processo)


def test_indices_de_uma_versao_anterior_trocados_e_a_volta_ainda_funciona(app: Flask) -> None:
    """A database from versions before (finalizadas and por_etapa, without _id; the API's
    list of all orders without `importada`) gets the new indexes at start-up and loses the
    old ones; a version before, rolled back, makes its own again without an error (an index
    never changes its keys under one name)."""
    fila = componente(Mongo, app).db["fila_execucao"]
    ordem = [("prioridade_ordem", 1), ("dta_criacao", 1), ("_id", 1)]
    antigos = {
        "finalizadas": [("status", 1), ("dta_fim_reparo", -1)],
        "por_etapa": [("status", 1), ("etapa_desde", 1)],
        "fila_geral": ordem,
    }
    for nome, chaves in antigos.items():
        fila.create_index(chaves, name=nome)
    componente(Indices, app).criar()
    indices = fila.index_information()
    assert not antigos.keys() & indices.keys()
    assert indices["finalizadas_em_ordem"]["key"] == [
        ("status", 1), ("dta_fim_reparo", -1), ("_id", -1)
    ]  # fmt: skip
    assert indices["fila_do_quadro"]["key"] == [("importada", 1), *ordem]
    assert len(indices) == len(INDICES) + 1  # with _id_
    componente(Indices, app).criar()  # again: nothing to change
    for nome, chaves in antigos.items():  # the version before, rolled back
        fila.create_index(chaves, name=nome)
    assert antigos.keys() <= fila.index_information().keys()
