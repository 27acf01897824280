"""The forecasts in the process's memory (previsao.cache), kept by the broker's change stream:
a change of the store reaches the copy, the API and the board show what the store says, a
stopped stream sends reads to the store, a stream reopened afresh reloads the copy, and a
recompute of this process is read back at once. Waits are for a state, never for a time."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId
from flask import Flask

from tests.helpers import Api, Quadro, cartao_html
from tests.previsao.previsao_oficina import historico, recalcular
from webapp.broker import Broker
from webapp.cartoes import cards
from webapp.clock import Clock, agora
from webapp.components import componente
from webapp.mongo import Mongo
from webapp.previsao.cache import PrevisoesEmMemoria
from webapp.previsao.repository import PrevisaoRepository, documento


def _ate(condicao: Callable[[], object], prazo_s: float = 10.0) -> None:
    limite = time.monotonic() + prazo_s
    while not condicao():
        assert time.monotonic() < limite, "a mudança não chegou"
        time.sleep(0.02)


def _json(instante: datetime) -> str:
    return instante.astimezone(UTC).isoformat(timespec="milliseconds")


def _ms(instante: datetime) -> datetime:
    return instante.replace(microsecond=instante.microsecond // 1000 * 1000)


@pytest.fixture
def oficina(app: Flask, api: Api, usuarios_demo: object) -> list[ObjectId]:
    """40 finished orders, the demo's two mechanics, two open orders, their forecasts computed;
    the copy current."""
    historico(app, 40)
    ids = [ObjectId(api.criar(os_id)["fila_id"]) for os_id in (1001, 1002)]
    recalcular(app)
    memoria = componente(PrevisoesEmMemoria, app)
    memoria.estado()  # the process's first read starts the stream
    _ate(lambda: memoria.atual)
    return ids


def _gravar(app: Flask, fila_id: ObjectId, p50: datetime, base_ordens: int = 40) -> None:
    """A forecast written straight into the store, as another process's recompute would."""
    nova = documento(1001, p50, p50 + timedelta(hours=1), False, None, 0.0, 0.1, agora())
    calculo = {"em": _ms(agora()), "base_ordens": base_ordens, "mecanicos": 2}
    componente(PrevisaoRepository, app).gravar(
        {fila_id: nova}, [], {"motivo": None, "em_risco": 0}, calculo
    )


def _guardada(app: Flask, fila_id: ObjectId) -> dict | None:
    return componente(Mongo, app).db.previsoes.find_one({"_id": fila_id})


def test_mudanca_no_banco_chega_a_copia_e_a_api_e_o_quadro_mostram_o_mesmo(
    app: Flask,
    api: Api,
    pessoas: dict[str, Quadro],
    oficina: list[ObjectId],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    memoria = componente(PrevisoesEmMemoria, app)
    fila_id = oficina[0]
    p50 = _ms(agora() + timedelta(days=3, hours=2))
    _gravar(app, fila_id, p50, base_ordens=77)
    _ate(lambda: memoria.para([fila_id]).de(fila_id)["p50"] == p50)
    # The summary's `calculo.` (no screen's push) reaches the copy too: the API gives it.
    _ate(lambda: memoria.estado().base_ordens == 77)
    assert memoria.recargas == 1

    # Served from memory: the store is not read for it.
    monkeypatch.setattr(memoria.queries, "para", lambda *_: pytest.fail("leu o banco"))
    corpo = api.get(f"/fila-execucao/{fila_id}").json
    guardada = _guardada(app, fila_id)
    estado = componente(Mongo, app).db.previsoes.find_one({"_id": "estado"})
    assert corpo["previsao_conclusao"] == {
        "p50": _json(guardada["p50"]),
        "p80": _json(guardada["p80"]),
        "calculada_em": _json(estado["calculo"]["em"]),
        "base_ordens": 77,
    }
    ctx = cards.Contexto(agora(), componente(Clock, app).fuso)
    pronto = cards.previsao_do_cartao(guardada, ctx).pronto
    assert f"{pronto}</p>" in cartao_html(pessoas["gerente"].pagina(), str(fila_id))
    monkeypatch.undo()

    # A forecast removed from the store goes from the copy.
    componente(PrevisaoRepository, app).gravar({}, [fila_id], {"motivo": None, "em_risco": 0}, {})
    _ate(lambda: memoria.para([fila_id]).de(fila_id) is None)
    assert api.get(f"/fila-execucao/{fila_id}").json["previsao_conclusao"] is None


def test_stream_parado_le_o_banco_retomado_segue_e_reaberto_recarrega(
    app: Flask, api: Api, oficina: list[ObjectId]
) -> None:
    memoria, broker = componente(PrevisoesEmMemoria, app), componente(Broker, app)
    fila_id = oficina[0]
    broker.parar()
    assert not memoria.atual
    # Written while the stream is down: the very next read says it (from the store).
    p50 = _ms(agora() + timedelta(days=4))
    _gravar(app, fila_id, p50)
    corpo = api.get(f"/fila-execucao/{fila_id}").json  # ... and starts the stream again
    assert corpo["previsao_conclusao"]["p50"] == _json(p50)
    _ate(lambda: memoria.atual)
    # Resumed from its token: what was written meanwhile came through the stream, no reload.
    assert memoria.recargas == 1
    assert memoria.para([fila_id]).de(fila_id)["p50"] == p50

    # The token lost (history gone): opened afresh, the copy is loaded whole again.
    broker.parar()
    broker.token = None
    outro = _ms(agora() + timedelta(days=5))
    _gravar(app, fila_id, outro)
    memoria.estado()
    _ate(lambda: memoria.atual)
    assert memoria.recargas == 2
    assert memoria.para([fila_id]).de(fila_id)["p50"] == outro


def test_stream_que_nao_responde_manda_as_leituras_ao_banco(
    app: Flask, api: Api, oficina: list[ObjectId]
) -> None:
    """A stream that has not answered for `prazo_s` is taken as down, even if no error
    reached its thread (a hung connection): the copy is not served."""
    memoria, broker = componente(PrevisoesEmMemoria, app), componente(Broker, app)
    broker.parar()  # nothing answers any more, and nothing restarts it below
    broker.encerrando = True
    memoria._valida = True  # as if its thread had not noticed...
    assert memoria.atual
    broker.visto_em = time.monotonic() - memoria.prazo_s - 0.1  # ... and its last answer old
    assert not memoria.atual
    p50 = _ms(agora() + timedelta(days=6))
    _gravar(app, oficina[0], p50)
    corpo = api.get(f"/fila-execucao/{oficina[0]}").json
    assert corpo["previsao_conclusao"]["p50"] == _json(p50)


def test_depois_de_um_recalculo_deste_processo_le_o_que_ele_gravou(
    app: Flask, api: Api, oficina: list[ObjectId]
) -> None:
    memoria = componente(PrevisoesEmMemoria, app)
    nova = api.criar(1003)["fila_id"]
    assert api.get(f"/fila-execucao/{nova}").json["previsao_conclusao"] is None
    recalcular(app)
    # Until the stream has brought the write (its getMores wait up to 250 ms when empty),
    # this process reads the store: the answer right after is the new forecast either way.
    guardada = _guardada(app, ObjectId(nova))
    corpo = api.get(f"/fila-execucao/{nova}").json
    assert corpo["previsao_conclusao"]["p50"] == _json(guardada["p50"])
    _ate(lambda: memoria.atual)
    assert memoria.para([ObjectId(nova)]).de(nova)["p50"] == guardada["p50"]
