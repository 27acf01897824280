"""Prometheus metrics at /metrics: in one process (the default registry) and under gunicorn with
several workers (multiprocess mode), where every scrape must show the sums of all workers."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from scripts import localdb
from tests.helpers import TOKEN_SERVICO, Api, LeitorSSE, stream_de_teste
from tests.helpers import gunicorn as gunicorn_em
from tests.paginas import csrf_de
from webapp import create_app
from webapp.components import componente
from webapp.mongo import Mongo
from webapp.settings import ConfigError, Settings, load_settings
from webapp.tokens import emitir

RAIZ = Path(__file__).resolve().parent.parent
SEGREDO_SESSAO = "chave-de-sessao-de-teste-com-mais-de-32-caracteres"


def _valor(nome: str, **rotulos: str) -> float:
    return REGISTRY.get_sample_value(nome, rotulos) or 0.0


def _amostras(texto: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """{sample name: [(labels, value), ...]} of an exposition."""
    amostras: dict[str, list[tuple[dict[str, str], float]]] = {}
    for familia in text_string_to_metric_families(texto):
        for amostra in familia.samples:
            amostras.setdefault(amostra.name, []).append((amostra.labels, amostra.value))
    return amostras


def _soma(
    amostras: dict[str, list[tuple[dict[str, str], float]]], nome: str, **rotulos: str
) -> float:
    return sum(
        valor
        for labels, valor in amostras.get(nome, [])
        if all(labels.get(k) == v for k, v in rotulos.items())
    )


# --- One process (development, tests) ------------------------------------------------------------


def test_metrics_sem_sessao_em_formato_prometheus(client: Any, api: Api) -> None:
    antes = _valor("fila_http_requests_total", endpoint="api.obter", method="GET", status="200")
    antes_404 = _valor("fila_http_requests_total", endpoint="api.obter", method="GET", status="404")
    antes_tempo = _valor(
        "fila_http_request_duration_seconds_count", endpoint="api.obter", method="GET"
    )
    passos_antes = _valor("fila_workflow_steps_total", action="iniciar_diagnostico")
    fila_id = api.criar(9001)["fila_id"]
    for _ in range(3):
        assert api.get(f"/fila-execucao/{fila_id}").status_code == 200
    assert (
        api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 7}).status_code == 200
    )
    assert api.get("/fila-execucao/nao-existe").status_code == 404

    r = client.get("/metrics")  # no session, no token
    assert r.status_code == 200 and r.content_type.startswith("text/plain; version=")
    amostras = _amostras(r.text)
    rotulos = {"endpoint": "api.obter", "method": "GET", "status": "200"}
    assert _soma(amostras, "fila_http_requests_total", **rotulos) == antes + 3
    # The Flask endpoint, never the raw path: one series whatever the id.
    assert not any(
        "nao-existe" in str(labels) for labels, _ in amostras["fila_http_requests_total"]
    )
    nao_achou = _soma(amostras, "fila_http_requests_total", endpoint="api.obter", status="404")
    assert nao_achou == antes_404 + 1
    tempos = _soma(amostras, "fila_http_request_duration_seconds_count", endpoint="api.obter")
    assert tempos == antes_tempo + 4  # the three answers and the 404
    acao = "iniciar_diagnostico"
    assert _soma(amostras, "fila_workflow_steps_total", action=acao) == passos_antes + 1
    # Computed from the database at scrape time: the step's event waits (URL_API_OS is unset).
    assert _soma(amostras, "fila_os_sync_pending_events") == 1
    assert _soma(amostras, "fila_os_sync_failed_orders") == 0


def test_passos_contados_uma_vez_por_mudanca_aplicada(app: Flask, api: Api) -> None:
    def passos(acao: str) -> float:
        return _valor("fila_workflow_steps_total", action=acao)

    antes = {
        a: passos(a) for a in ("criar", "iniciar_diagnostico", "alterar_prioridade", "remover")
    }
    fila_id = api.criar(9002)["fila_id"]
    api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 7})
    recusado = api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 7})
    assert recusado.status_code == 409  # refused: not counted
    r = api.patch(f"/fila-execucao/{fila_id}/prioridade", json={"prioridade": "URGENTE"})
    assert r.status_code == 200
    assert api.delete(f"/fila-execucao/{fila_id}").status_code == 204
    assert {a: passos(a) - antes[a] for a in antes} == {
        "criar": 1,
        "iniciar_diagnostico": 1,
        "alterar_prioridade": 1,
        "remover": 1,
    }


def test_banco_fora_conta_erro_e_metrics_responde_sem_o_outbox(settings: Settings) -> None:
    porta = localdb.free_port()  # nothing listens there
    app = create_app(
        replace(settings, mongodb_url=localdb.mongo_url(porta), mongodb_timeout_ms=200)
    )
    try:
        antes = _valor("fila_db_errors_total")
        api = Api(app.test_client(), settings)
        assert api.get("/fila-execucao").status_code == 503
        assert _valor("fila_db_errors_total") == antes + 1
        r = app.test_client().get("/metrics")
        assert r.status_code == 200
        assert "fila_db_errors_total" in r.text
        assert "fila_os_sync_pending_events" not in r.text  # absent, not a false zero
    finally:
        componente(Mongo, app).fechar()


def test_streams_sse_abertos(
    rapido: Flask, usuarios_demo: dict, entrar: Callable[..., Any]
) -> None:
    client = rapido.test_client()  # the closed stream is noticed at the next (0.2 s) heartbeat
    assert entrar(client, "mecanico", usuarios_demo["mecanico"]["senha"]).status_code == 302

    def abertos() -> float:
        return _valor("fila_sse_streams_open", endpoint="quadro.eventos")

    antes = abertos()
    _, leitor = stream_de_teste(client, "/eventos")
    try:
        leitor.proxima()
        assert abertos() == antes + 1
    finally:
        leitor.fechar()  # the reader stops and closes the response: the stream's generator ends
    limite = time.monotonic() + 5
    while abertos() != antes and time.monotonic() < limite:
        time.sleep(0.05)
    assert abertos() == antes


# --- gunicorn with several workers (multiprocess mode) ---------------------------------------


@pytest.fixture
def gunicorn(app: Flask, settings: Settings, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The app under gunicorn.conf.py with 3 workers on this test's database; yields its URL and
    its PROMETHEUS_MULTIPROC_DIR. `app` creates the indexes and drops the database afterwards."""
    diretorio = tmp_path / "prometheus"
    diretorio.mkdir()
    (diretorio / "counter_1.db").write_bytes(b"de uma execucao anterior")  # must be wiped
    with gunicorn_em(
        settings,
        SESSION_SECRET_KEY=SEGREDO_SESSAO,
        PROMETHEUS_MULTIPROC_DIR=str(diretorio),
        WEB_CONCURRENCY="3",
    ) as (url, _):
        yield url, diretorio


def _pids(diretorio: Path, prefixo: str) -> set[int]:
    return {int(p.stem.rsplit("_", 1)[1]) for p in diretorio.glob(f"{prefixo}_*.db")}


def _raspar(url: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    r = requests.get(f"{url}/metrics", headers={"Connection": "close"}, timeout=10)
    assert r.status_code == 200, r.text
    return _amostras(r.text)


def test_gunicorn_varios_workers_somam_as_metricas(
    gunicorn: tuple[str, Path], settings: Settings, usuarios_demo: dict
) -> None:
    url, diretorio = gunicorn
    assert not (diretorio / "counter_1.db").exists()  # the previous run's values are gone
    cabecalhos = {
        "Authorization": f"Bearer {emitir(settings, 'teste', extra=TOKEN_SERVICO)}",
        "Connection": "close",  # a new connection per request: any worker may take it
    }
    api = f"{url}/fila-execucao"

    def post(caminho: str, corpo: Any = None) -> requests.Response:
        return requests.post(f"{api}{caminho}", json=corpo, headers=cabecalhos, timeout=10)

    ids = []
    for n in range(3):
        r = post("", {"ordem_servico_id": 9100 + n, "prioridade": "ALTA"})
        assert r.status_code == 201, r.text
        ids.append(r.json()["fila_id"])
    for fila_id in ids:
        assert post(f"/{fila_id}/iniciar-diagnostico", {"mecanico_responsavel_id": 7}).ok
        assert post(f"/{fila_id}/finalizar-diagnostico", {"diagnostico": "Freios"}).ok

    # Reads in concurrent bursts, until more than one worker has served requests (each worker
    # writes its own files, named by its pid).
    def ler(i: int) -> int:
        return requests.get(f"{api}/{ids[i % 3]}", headers=cabecalhos, timeout=10).status_code

    leituras = 0
    with ThreadPoolExecutor(max_workers=8) as executor:
        for _ in range(20):
            assert set(executor.map(ler, range(24))) == {200}
            leituras += 24
            if len(_pids(diretorio, "counter")) >= 2:
                break
    trabalhadores = _pids(diretorio, "counter")
    assert len(trabalhadores) >= 2, "um só worker atendeu tudo"

    # Whichever worker answers the scrape, the totals are those of all workers.
    for _ in range(6):
        amostras = _raspar(url)
        assert _soma(amostras, "fila_http_requests_total", endpoint="api.obter") == leituras
        assert _soma(amostras, "fila_http_requests_total", endpoint="api.adicionar") == 3
        assert _soma(
            amostras, "fila_http_request_duration_seconds_count", endpoint="api.obter"
        ) == (leituras)
        assert _soma(amostras, "fila_workflow_steps_total", action="criar") == 3
        assert _soma(amostras, "fila_workflow_steps_total", action="iniciar_diagnostico") == 3
        assert _soma(amostras, "fila_workflow_steps_total", action="finalizar_diagnostico") == 3
        assert _soma(amostras, "fila_os_sync_pending_events") == 6  # URL_API_OS unset
        assert _soma(amostras, "fila_os_sync_failed_orders") == 0

    # An open board stream counts while its worker lives; once the worker dies (child_exit
    # marks it dead) it no longer does, but the requests it served still count.
    sessao = requests.Session()
    pagina = sessao.get(f"{url}/entrar", timeout=10)
    senha = usuarios_demo["mecanico"]["senha"]
    dados = {"login": "mecanico", "senha": senha, "csrf_token": csrf_de(pagina.text)}
    assert sessao.post(f"{url}/entrar", data=dados, allow_redirects=False).status_code == 302
    stream = sessao.get(f"{url}/eventos", stream=True, timeout=(5, 30))
    leitor = LeitorSSE(stream.iter_content(chunk_size=None))
    try:
        leitor.proxima(timeout=10)
        amostras = _raspar(url)
        assert _soma(amostras, "fila_sse_streams_open", endpoint="quadro.eventos") == 1
        (dono,) = _pids(diretorio, "gauge_livesum")
        os.kill(dono, signal.SIGKILL)
        limite = time.monotonic() + 20
        while _pids(diretorio, "gauge_livesum") and time.monotonic() < limite:
            time.sleep(0.1)
        assert not _pids(diretorio, "gauge_livesum")
        amostras = _raspar(url)
        assert _soma(amostras, "fila_sse_streams_open") == 0
        assert _soma(amostras, "fila_http_requests_total", endpoint="api.obter") == leituras
    finally:
        stream.close()
        leitor.fechar()


# --- Who may scrape -------------------------------------------------------------------------


def test_metrics_sem_token_so_para_este_host(client: Any) -> None:
    """By default /metrics answers this host only (loopback), never anyone on the app's port."""
    assert client.get("/metrics").status_code == 200  # 127.0.0.1
    for endereco in ("10.0.0.5", "127.0.0.1.evil", "203.0.113.9"):
        r = client.get("/metrics", environ_base={"REMOTE_ADDR": endereco})
        assert r.status_code == 403 and "METRICS_TOKEN" in r.json["detail"], endereco
        assert "fila_http_requests_total" not in r.text
    # A forged X-Forwarded-For from no trusted proxy changes nothing.
    r = client.get(
        "/metrics",
        environ_base={"REMOTE_ADDR": "10.0.0.5"},
        headers={"X-Forwarded-For": "127.0.0.1"},
    )
    assert r.status_code == 403


def test_metrics_com_token_para_quem_o_envia(make_app: Callable[..., Flask]) -> None:
    token = "t" * 40
    client = make_app(metrics_token=token).test_client()
    fora = {"REMOTE_ADDR": "10.0.0.5"}
    r = client.get("/metrics", environ_base=fora, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and "fila_http_requests_total" in r.text
    for cabecalho in ({}, {"Authorization": "Bearer errado"}, {"Authorization": "Bearer ção"}):
        for base in (fora, {}):  # with a token set, this host needs it too
            r = client.get("/metrics", environ_base=base, headers=cabecalho)
            assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")


def test_metrics_token_curto_recusado_em_producao() -> None:
    base = {
        "APP_ENV": "production",
        "SECRET_KEY": "s" * 40,
        "SESSION_SECRET_KEY": "c" * 40,
        "MONGODB_URL": "mongodb://db/?replicaSet=rs0",
    }
    with pytest.raises(ConfigError, match="METRICS_TOKEN"):
        load_settings({**base, "METRICS_TOKEN": "curto"})
    with pytest.raises(ConfigError, match="METRICS_TOKEN"):
        load_settings({**base, "METRICS_TOKEN": "s" * 40})
    assert load_settings({**base, "METRICS_TOKEN": "m" * 40}).metrics_token == "m" * 40
