"""The recompute's history read: rows of numbers made by mongod, read from raw batches straight
into numpy, give exactly the arrays the stored documents give (instants as epoch seconds, NaN
when a stage was never reached, holds per stage, the priority's rank)."""

from __future__ import annotations

import math
from datetime import timedelta

import bson
import numpy as np
from flask import Flask

from tests.previsao.previsao_oficina import historico
from webapp.clock import agora
from webapp.components import componente
from webapp.fila.queries import FilaQueries, linhas_em_numeros
from webapp.fila.stages import Etapa
from webapp.previsao.domain import MARCOS
from webapp.previsao.service import PrevisaoService


def _como_os_documentos(app: Flask, desde: object) -> tuple[list, list, list]:
    """The history decoded document by document, as the recompute read it before."""
    colecao = componente(FilaQueries, app).fila
    prioridade, instantes, pausas = [], [], []
    consulta = {"status": "FINALIZADA", "dta_fim_reparo": {"$gte": desde}}
    for d in colecao.find(consulta).sort("dta_fim_reparo", 1):
        prioridade.append(d.get("prioridade_ordem", 2))
        instantes.append([d[m].timestamp() if d.get(m) else math.nan for m in MARCOS])
        pausas.append([(d.get("pausas_s") or {}).get(e.value) or 0.0 for e in Etapa])
    return prioridade, instantes, pausas


def test_historico_em_numeros_e_o_dos_documentos(app: Flask) -> None:
    historico(app, 12)
    colecao = componente(FilaQueries, app).fila
    os_ids = sorted(d["ordem_servico_id"] for d in colecao.find({}, {"ordem_servico_id": 1}))
    # One order held in repair and in the wait for approval; one never approved (skipped
    # straight to repair: no instant there); one with an integer number of seconds on hold.
    colecao.update_one(
        {"ordem_servico_id": os_ids[0]},
        {"$set": {"pausas_s": {"em_reparo": 5400.5, "aguardando_aprovacao": 120.0}}},
    )
    colecao.update_one({"ordem_servico_id": os_ids[1]}, {"$unset": {"dta_aprovacao_orcamento": ""}})
    colecao.update_one(
        {"ordem_servico_id": os_ids[2]},
        {"$set": {"pausas_s": {"em_diagnostico": 60}, "prioridade_ordem": 0}},
    )
    servico = componente(PrevisaoService, app)
    instante = agora()

    obtido = servico.historico(instante)

    esperado = _como_os_documentos(app, instante - timedelta(days=servico.janela_dias))
    ordem = np.argsort(obtido.instantes[:, -1], kind="stable")  # by the finish, as above
    assert obtido.prioridade[ordem].tolist() == esperado[0]
    assert np.array_equal(obtido.instantes[ordem], np.array(esperado[1]), equal_nan=True)
    assert np.array_equal(obtido.pausas[ordem], np.array(esperado[2]))
    assert np.isnan(obtido.instantes).sum() == 1 and obtido.pausas.sum() == 5400.5 + 120 + 60


def test_historico_vazio() -> None:
    assert linhas_em_numeros(b"", 12).shape == (0, 12)


def test_um_lote_fora_do_formato_e_lido_documento_a_documento() -> None:
    """A row with a value that is not a double (an int32 has fewer bytes) is not laid out as
    the others: the batch is then decoded document by document, to the same numbers."""
    linhas = [[2.0, 1.5e12, math.nan], [1.0, 1.6e12, 0.0]]
    em_doubles = b"".join(bson.encode({"v": linha}) for linha in linhas)
    com_inteiro = b"".join(bson.encode({"v": [int(linha[0]), *linha[1:]]}) for linha in linhas)

    rapido = linhas_em_numeros(em_doubles, 3)
    devagar = linhas_em_numeros(com_inteiro, 3)

    assert np.array_equal(rapido, np.array(linhas), equal_nan=True)
    assert np.array_equal(devagar, rapido, equal_nan=True)
