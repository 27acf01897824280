"""Hold seconds per stage (`pausas_s`) and per stage and reason (`pausas_motivo_s`) on the real
mongod: written by the same update as the `retomar` or the step that ends a hold, filled in once
for items stored before, and the pipeline's idea of the current stage in step with
stages.etapa."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId
from flask import Flask

from tests.helpers import consultas_de
from webapp.components import componente
from webapp.fila import stages
from webapp.fila.domain import HISTORICO_MAXIMO, Acao, Ator, MotivoPausa, Papel, Prioridade
from webapp.fila.repository import ETAPA_ATUAL, MIGRACOES
from webapp.fila.service import FilaService
from webapp.fila.stages import Etapa
from webapp.mongo import Mongo

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
GERENTE = Ator("gerente", Papel.GERENTE)


def m(minutos: float) -> datetime:
    return T0 + timedelta(minutes=minutos)


@pytest.fixture
def fila(app: Flask) -> FilaService:
    return componente(FilaService, app)


def _pausar(
    fila: FilaService, fila_id, minutos: float, motivo=MotivoPausa.AGUARDANDO_PECAS
) -> None:
    nota = "Elevador ocupado" if motivo is MotivoPausa.OUTRO else None
    fila.pausar(fila_id, motivo, nota, GERENTE, instante=m(minutos))


def _motivos(**por_etapa: dict[str, float]) -> dict[str, dict[str, float]]:
    """pausas_motivo_s with zeros everywhere but the minutes given, e.g.
    em_reparo={"aguardando_pecas": 30}."""
    return {
        e.value: {
            motivo.value: por_etapa.get(e.value, {}).get(motivo.value, 0) * 60.0
            for motivo in MotivoPausa
        }
        for e in Etapa
    }


def test_retomar_e_passo_somam_a_espera_a_sua_etapa(fila: FilaService) -> None:
    item = fila.adicionar(1, GERENTE, instante=m(0))
    i = item["_id"]
    _pausar(fila, i, 5)
    fila.retomar(i, GERENTE, instante=m(15))  # 10 min waiting for diagnosis
    _pausar(fila, i, 20, MotivoPausa.AGUARDANDO_CLIENTE)
    # The step ends the hold: 5 more minutes in the same stage.
    fila.executar(i, Acao.INICIAR_DIAGNOSTICO, GERENTE, {"mecanico_responsavel_id": 7},
                  instante=m(25))  # fmt: skip
    _pausar(fila, i, 30)
    fila.retomar(i, GERENTE, instante=m(31.5))  # 90 s in diagnosis
    fila.executar(i, Acao.FINALIZAR_DIAGNOSTICO, GERENTE, {"diagnostico": "x"}, instante=m(40))
    _pausar(fila, i, 41, MotivoPausa.OUTRO)
    # An integration's repair start approves first: the hold belongs to the approval wait.
    item = fila.executar(
        i, Acao.INICIAR_REPARO, Ator("os", Papel.SERVICO), {}, aprovar_se_preciso=True,
        instante=m(61),
    )  # fmt: skip
    assert item["pausa"] is None
    assert item["pausas_s"] == {
        "aguardando_diagnostico": 15 * 60.0,
        "em_diagnostico": 90.0,
        "aguardando_aprovacao": 20 * 60.0,
        "pronta_para_reparo": 0,
        "em_reparo": 0,
    }
    # Per reason: each hold's seconds to its stage and reason, adding up to pausas_s.
    assert item["pausas_motivo_s"] == _motivos(
        aguardando_diagnostico={"aguardando_pecas": 10, "aguardando_cliente": 5},
        em_diagnostico={"aguardando_pecas": 1.5},
        aguardando_aprovacao={"outro": 20},
    )
    # The same figures as replaying the history (the backfill's rule).
    assert stages.pausas_por_etapa(item["historico"]) == pytest.approx(item["pausas_s"])
    assert stages.pausas_por_motivo(item["historico"]) == item["pausas_motivo_s"]
    # Changes that do not end a hold leave the seconds alone.
    _pausar(fila, i, 70)
    item = fila.alterar_prioridade(i, Prioridade.URGENTE, GERENTE, instante=m(80))
    item = fila.atribuir(i, 8, GERENTE, instante=m(85))
    assert item["pausas_s"]["em_reparo"] == 0 and item["pausa"] is not None
    item = fila.executar(i, Acao.FINALIZAR_REPARO, GERENTE, {}, instante=m(100))
    assert item["pausas_s"]["em_reparo"] == 30 * 60.0
    assert item["pausas_motivo_s"]["em_reparo"]["aguardando_pecas"] == 30 * 60.0
    total = stages.INTERVALOS[-1]
    # Creation to the end of the repair, minus 15 + 1.5 + 20 + 30 minutes on hold.
    assert stages.duracao(item, total) == (100 - 66.5) * 60


def test_etapa_do_pipeline_igual_a_do_dominio(app: Flask, fila: FilaService) -> None:
    vistos = set()
    for n, ate in enumerate(
        [None, Acao.INICIAR_DIAGNOSTICO, Acao.FINALIZAR_DIAGNOSTICO, Acao.APROVAR_ORCAMENTO,
         Acao.INICIAR_REPARO, Acao.FINALIZAR_REPARO]
    ):  # fmt: skip
        item = fila.adicionar(100 + n, GERENTE, instante=m(0))
        dados = {"mecanico_responsavel_id": 7, "diagnostico": "x"}
        for passo in _ROTEIRO[: _ROTEIRO.index(ate) + 1 if ate else 0]:
            item = fila.executar(item["_id"], passo, GERENTE, dados, instante=m(1))
        colecao = componente(Mongo, app).db["fila_execucao"]
        lido = next(
            colecao.aggregate(
                [{"$match": {"_id": item["_id"]}}, {"$project": {"etapa": ETAPA_ATUAL}}]
            )
        )
        esperado = stages.etapa(item)
        assert lido["etapa"] == (esperado.value if esperado else None)
        vistos.add(esperado)
    assert vistos == {*Etapa, None}


_ROTEIRO = [
    Acao.INICIAR_DIAGNOSTICO,
    Acao.FINALIZAR_DIAGNOSTICO,
    Acao.APROVAR_ORCAMENTO,
    Acao.INICIAR_REPARO,
    Acao.FINALIZAR_REPARO,
]


def test_itens_antigos_ganham_pausas_s_uma_vez(app: Flask, fila: FilaService) -> None:
    """Both fields, replayed from the history; also for items stored after `pausas_s` but
    before `pausas_motivo_s`."""
    colecao = componente(Mongo, app).db["fila_execucao"]
    com = fila.adicionar(1, GERENTE, instante=m(0))["_id"]
    _pausar(fila, com, 10)
    fila.executar(com, Acao.INICIAR_DIAGNOSTICO, GERENTE, {"mecanico_responsavel_id": 7},
                  instante=m(40))  # fmt: skip
    _pausar(fila, com, 45, MotivoPausa.AGUARDANDO_CLIENTE)
    fila.retomar(com, GERENTE, instante=m(50))
    sem = fila.adicionar(2, GERENTE, instante=m(0))["_id"]
    so_etapa = fila.adicionar(3, GERENTE, instante=m(0))["_id"]
    _pausar(fila, so_etapa, 5, MotivoPausa.OUTRO)
    fila.retomar(so_etapa, GERENTE, instante=m(7))
    # As stored before `pausas_s` existed, and one before `pausas_motivo_s` only.
    colecao.update_many({"_id": {"$ne": so_etapa}}, {"$unset": {"pausas_s": ""}})
    colecao.update_many({}, {"$unset": {"pausas_motivo_s": ""}})
    db = componente(Mongo, app).db
    db[MIGRACOES].delete_many({})  # a database the fill has not run on yet

    componente(FilaService, app).repo.criar_indices()
    assert colecao.find_one({"_id": com})["pausas_s"] == {
        **{e.value: 0.0 for e in Etapa},
        "aguardando_diagnostico": 30 * 60.0,
        "em_diagnostico": 5 * 60.0,
    }
    assert colecao.find_one({"_id": com})["pausas_motivo_s"] == _motivos(
        aguardando_diagnostico={"aguardando_pecas": 30}, em_diagnostico={"aguardando_cliente": 5}
    )
    assert colecao.find_one({"_id": so_etapa})["pausas_motivo_s"] == _motivos(
        aguardando_diagnostico={"outro": 2}
    )
    assert colecao.find_one({"_id": sem})["pausas_s"] == {}
    assert colecao.find_one({"_id": sem})["pausas_motivo_s"] == {}
    assert colecao.count_documents({"pausas_s": {"$exists": False}}) == 0
    assert colecao.count_documents({"pausas_motivo_s": {"$exists": False}}) == 0
    # Once per database: a later start (every worker's) leaves what is there and reads none
    # of the queue's documents; run again (the marker dropped), the fill is idempotent.
    colecao.update_one({"_id": com}, {"$set": {"pausas_s.em_reparo": 1.0}})
    with consultas_de(db, "fila_execucao") as consultas:
        componente(FilaService, app).repo.criar_indices()
    assert [c for c in consultas if c.get("docsExamined")] == []
    assert [c["op"] for c in consultas if c["op"] in ("query", "update", "getmore")] == []
    db[MIGRACOES].delete_many({})
    componente(FilaService, app).repo.criar_indices()
    assert colecao.find_one({"_id": com})["pausas_s"]["em_reparo"] == 1.0
    assert db[MIGRACOES].count_documents({}) == 1
    # A database restored from an older archive (the marker kept): init-db fills again.
    colecao.update_one({"_id": sem}, {"$unset": {"pausas_s": "", "etapa_desde": ""}})
    r = app.test_cli_runner().invoke(args=["init-db"])
    assert r.exit_code == 0, r.output
    assert colecao.find_one({"_id": sem})["pausas_s"] == {}
    assert colecao.find_one({"_id": sem})["etapa_desde"] is not None


def test_historico_tem_teto_e_a_ordem_ainda_termina(app: Flask, api, pessoas) -> None:
    """A hold and resume tapped in a loop (or a priority, a mechanic) no longer grows an order
    without end: at HISTORICO_MAXIMO entries those changes are refused with the reason, by
    the same conditional update, while the resume of a hold and the steps still go through,
    so the order can always finish."""
    fila_id = api.criar(4501)["fila_id"]
    gerente = pessoas["gerente"]
    r = gerente.post(f"/ordens/{fila_id}/pausar", {"motivo": "aguardando_pecas"}, htmx=True)
    assert r.status_code == 200
    colecao = componente(Mongo, app).db["fila_execucao"]
    entrada = colecao.find_one({"_id": ObjectId(fila_id)})["historico"][-1]
    faltam = HISTORICO_MAXIMO - len(colecao.find_one({"_id": ObjectId(fila_id)})["historico"])
    # As the loop left it: the history full, the order on hold.
    colecao.update_one(
        {"_id": ObjectId(fila_id)}, {"$push": {"historico": {"$each": [entrada] * faltam}}}
    )

    assert gerente.post(f"/ordens/{fila_id}/retomar", htmx=True).status_code == 200
    r = gerente.post(f"/ordens/{fila_id}/pausar", {"motivo": "aguardando_pecas"}, htmx=True)
    assert r.status_code == 409
    assert f"esta ordem já tem {HISTORICO_MAXIMO} registros no histórico" in r.text
    # No one's change was in its way: none is named ("… tirou da espera às 10:03").
    assert "continuam).</" in r.text and "às " not in r.text.split("registros no histórico")[1]
    r = api.patch(f"/fila-execucao/{fila_id}/prioridade", json={"prioridade": "URGENTE"})
    assert r.status_code == 409
    assert r.json["detail"].startswith("Não é possível mudar a prioridade: esta ordem já tem")
    assert api.post(f"/fila-execucao/{fila_id}/atribuir",
                    json={"mecanico_responsavel_id": 102}).status_code == 409  # fmt: skip
    item = api.levar_ate(fila_id, "finalizar-reparo")
    assert item["status"] == "FINALIZADA"
    assert len(item["historico"]) == HISTORICO_MAXIMO + 1 + 5  # the resume and the five steps
    assert colecao.count_documents({"pausa": {"$ne": None}}) == 0
