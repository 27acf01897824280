"""A 3-member replica set loses its primary while the app takes steps: no acknowledged step is
lost, none is applied twice, requests succeed again soon after the election, and the OS service
receives every order's statuses in order."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import requests

from scripts import localdb
from scripts.os_standin import OSStandIn
from tests.helpers import TOKEN_SERVICO, servidor_http
from webapp import create_app
from webapp.broker import Broker
from webapp.components import componente
from webapp.mongo import Mongo
from webapp.settings import Settings
from webapp.sincronizacao_os.dispatcher import OsDispatcher
from webapp.tokens import emitir

PASSOS = [
    ("iniciar-diagnostico", {"mecanico_responsavel_id": 7}, "EM_DIAGNOSTICO"),
    ("finalizar-diagnostico", {"diagnostico": "Correia"}, "AGUARDANDO_APROVACAO"),
    ("iniciar-reparo", {}, "EM_EXECUCAO"),
    ("finalizar-reparo", {"observacoes_reparo": "ok"}, "FINALIZADA"),
]


@pytest.fixture
def replica(tmp_path: Path) -> Iterator[localdb.ReplicaSet]:
    conjunto = localdb.start_replica_set(tmp_path / "rs")
    try:
        yield conjunto
    finally:
        conjunto.stop()


def test_queda_do_primario_no_meio_dos_passos(replica, settings: Settings) -> None:
    with OSStandIn(settings.secret_key) as os_servico:
        app = create_app(
            replace(
                settings,
                mongodb_url=replica.url,
                mongodb_database=f"f_{uuid.uuid4().hex[:12]}",
                url_api_os=os_servico.url,
                os_sync_intervalo_ms=100,
                os_retentativa_base_ms=100,
                os_retentativa_max_ms=1000,
            )
        )
        token = emitir(settings, "os-teste", extra=TOKEN_SERVICO)
        cabecalhos = {"Authorization": f"Bearer {token}"}
        try:
            with servidor_http(app) as base, requests.Session() as http:
                http.headers.update(cabecalhos)
                _rodar(app, base, http, replica, os_servico)
        finally:
            componente(Broker, app).parar()
            componente(OsDispatcher, app).parar()
            componente(Mongo, app).fechar()


def _chamar(http: requests.Session, metodo: str, url: str, **kw) -> requests.Response:
    """Like a client that retries when the server is between primaries (503, a reset)."""
    limite = time.monotonic() + 40
    while True:
        try:
            r = http.request(metodo, url, timeout=10, **kw)
            if r.status_code != 503:
                return r
        except requests.ConnectionError:
            pass
        if time.monotonic() > limite:
            raise AssertionError(f"{metodo} {url} sem resposta útil por 40 s")
        time.sleep(0.2)


def _rodar(app, base: str, http: requests.Session, replica, os_servico: OSStandIn) -> None:
    api = f"{base}/fila-execucao"
    ordens = []
    for n in range(12):
        r = _chamar(http, "POST", api, json={"ordem_servico_id": 8000 + n})
        assert r.status_code == 201, r.text
        ordens.append(r.json()["fila_id"])

    confirmados: dict[str, list[str]] = {f: [] for f in ordens}  # steps answered 200
    esperas: list[float] = []  # how long each step took, retries included

    def trabalhar() -> None:
        for nome, corpo, _ in PASSOS:
            for fila_id in ordens:
                chave = {"Idempotency-Key": f"{fila_id}-{nome}"}
                inicio = time.monotonic()
                r = _chamar(http, "POST", f"{api}/{fila_id}/{nome}", json=corpo, headers=chave)
                if r.status_code == 200:
                    confirmados[fila_id].append(nome)
                esperas.append(time.monotonic() - inicio)
                time.sleep(0.08)  # a shop's pace: the load spans the failover

    thread = threading.Thread(target=trabalhar)
    thread.start()
    time.sleep(1.0)  # steps in flight
    antigo = replica.kill_primary()
    eleito_em = time.monotonic()
    novo = replica.wait_primary(timeout=30)
    assert novo != antigo
    eleito_em = time.monotonic()
    # Requests succeed again soon after the election.
    r = _chamar(http, "GET", f"{api}?limit=1")
    assert r.status_code == 200 and time.monotonic() - eleito_em < 15
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert max(esperas) > 0.5, "the primary fell while steps were in flight"

    for fila_id in ordens:
        item = _chamar(http, "GET", f"{api}/{fila_id}").json()
        feitos = [h["acao"] for h in item["historico"] if h["acao"] != "criar"]
        # Each acknowledged step is there; none was applied twice (an approval comes first).
        for nome in confirmados[fila_id]:
            assert feitos.count(nome.replace("-", "_")) == 1, (fila_id, feitos)
        assert item["status"] == "FINALIZADA", item["historico"]
        assert len(confirmados[fila_id]) == len(PASSOS)

    # Every order's statuses reach the OS service, in order, each once.
    componente(OsDispatcher, app).acordar()
    esperados = [status for _, _, status in PASSOS]
    recebidos = os_servico.aguardar(
        # Distinct (order, status) pairs: a delivery retried after a lost answer counts once.
        lambda r: (
            len({(x["ordem_servico_id"], x["status"]) for x in r if x["status_http"] == 200})
            >= len(ordens) * len(esperados)
        ),
        timeout=60,
    )
    por_os: dict[int, list[str]] = {}
    for registro in recebidos:
        if registro["status_http"] == 200:
            por_os.setdefault(registro["ordem_servico_id"], []).append(registro["status"])
    for n in range(12):
        entregues = por_os[8000 + n]
        # A retry of a delivery whose answer was lost may repeat a status; never out of order.
        sem_repeticao = [s for i, s in enumerate(entregues) if i == 0 or s != entregues[i - 1]]
        assert sem_repeticao == esperados, (8000 + n, entregues)
