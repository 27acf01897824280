"""Prometheus metrics at /metrics: requests and latency per route, changes made to orders, the
OS outbox, open server-sent event streams and database errors.

gunicorn runs several worker processes and a scrape reaches only one of them. With
PROMETHEUS_MULTIPROC_DIR set (the image sets it) every process writes its values to files in that
directory and a scrape, whichever worker answers it, sums them all; gunicorn.conf.py empties the
directory at start-up and drops a dead worker's live gauges. Without it (development, tests: one
process) the process's default registry is served.

/metrics needs no session: keep it off the public entry points (deploy/nginx.conf and the Ingress
refuse it) and let Prometheus scrape the app's port directly.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from ipaddress import ip_network
from pathlib import Path

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from pymongo.errors import PyMongoError

from .proxies import na_rede

log = logging.getLogger(__name__)

VARIAVEL_MULTIPROCESSO = "PROMETHEUS_MULTIPROC_DIR"
SEM_ROTA = "unmatched"  # the endpoint label of a request no route matched (404, 405...)
ENDPOINT = "metrics.metrics"  # /metrics's own label (it answers without the database)
METODOS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def diretorio_multiprocesso() -> Path | None:
    valor = os.environ.get(VARIAVEL_MULTIPROCESSO)
    return Path(valor) if valor else None


# prometheus_client opens its value files as soon as a metric is created (below, at import), so
# the directory must exist by then, also for processes gunicorn does not start (`os-sync run`).
if (_diretorio := diretorio_multiprocesso()) is not None:
    _diretorio.mkdir(parents=True, exist_ok=True)

REQUISICOES = Counter(
    "fila_http_requests",
    "HTTP requests answered, by Flask endpoint (not the raw path), method and status.",
    ["endpoint", "method", "status"],
)
LATENCIA = Histogram(
    "fila_http_request_duration_seconds",
    "Time to answer a request, by Flask endpoint and method (for an SSE stream: until it starts).",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
PASSOS = Counter(
    "fila_workflow_steps",
    "Changes applied to orders (workflow steps, priority, holds, removals, OS resends), by action.",
    ["action"],
)
STREAMS_ABERTOS = Gauge(
    "fila_sse_streams_open",
    "Server-sent event streams open now (boards and TVs), by endpoint.",
    ["endpoint"],
    multiprocess_mode="livesum",  # only live processes count; a dead worker's streams are gone
)
ERROS_BANCO = Counter(
    "fila_db_errors",
    "Requests answered 503 because MongoDB was unreachable.",
)


def registrar_mudanca(acao: str) -> None:
    """One change applied to an order (FilaService calls this after each successful write)."""
    PASSOS.labels(action=str(acao)).inc()


def registrar_erro_banco() -> None:
    ERROS_BANCO.inc()


def stream_aberto() -> Callable[[], None]:
    """Count an SSE stream of the current request as open; call the result when it ends."""
    gauge = STREAMS_ABERTOS.labels(endpoint=request.endpoint or SEM_ROTA)
    gauge.inc()
    return gauge.dec


class _Outbox(Collector):
    """The OS outbox's gauges, read from the database at scrape time (the queue's indexed totals),
    so every worker reports the same value and no process has to keep it up to date."""

    def __init__(self, totais: Callable[[], dict[str, int]]) -> None:
        self._totais = totais

    def collect(self) -> Iterator[Metric]:
        try:
            totais = self._totais()
        except PyMongoError as erro:
            # Left out of this scrape (an absent series, not a false zero); fila_db_errors_total
            # and /health/ready tell that the database is down.
            log.warning("métricas do envio ao sistema de OS indisponíveis: %s", erro)
            return
        yield GaugeMetricFamily(
            "fila_os_sync_pending_events",
            "Status updates waiting to be delivered to the OS service, across the queue.",
            value=totais.get("pendentes", 0),
        )
        yield GaugeMetricFamily(
            "fila_os_sync_failed_orders",
            "Orders whose delivery to the OS service failed for good (a manager must resend).",
            value=totais.get("falhas", 0),
        )


class _Processo(Collector):
    """This process's own registry, for a scrape without PROMETHEUS_MULTIPROC_DIR."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


LOOPBACK = (ip_network("127.0.0.0/8"), ip_network("::1/128"))


REALM_METRICAS = 'Bearer realm="metrics"'


def _recusa(status: int, detalhe: str, cabecalhos: dict[str, str] | None = None) -> Response:
    corpo = json.dumps({"detail": detalhe}, ensure_ascii=False)
    return Response(corpo, status, headers=cabecalhos, mimetype="application/json")


def _autorizar(token: str) -> Response | None:
    """Who may scrape: with METRICS_TOKEN, whoever sends it as a bearer token; without it, only
    this host (loopback: development, a sidecar, the container itself). None: allowed."""
    if not token:
        if na_rede(request.remote_addr, LOOPBACK):
            return None
        return _recusa(
            403, "Métricas só neste host; para coletá-las de fora, defina METRICS_TOKEN."
        )
    esquema, _, enviado = request.headers.get("Authorization", "").partition(" ")
    if esquema.lower() == "bearer" and hmac.compare_digest(
        enviado.strip().encode(), token.encode()
    ):
        return None
    return _recusa(
        401, "Token das métricas ausente ou inválido.", {"WWW-Authenticate": REALM_METRICAS}
    )


def instalar(app: Flask, token: str, totais_os: Callable[[], dict[str, int]]) -> None:
    """/metrics (for METRICS_TOKEN's bearer, or this host; the OS outbox's gauges read with
    `totais_os`), and the count and duration of every request. Installed before the other
    request hooks, so a request refused by one of them (503, 401...) is measured too."""

    def metrics() -> Response:
        if (recusa := _autorizar(token)) is not None:
            return recusa
        registro = CollectorRegistry()
        if diretorio_multiprocesso() is not None:
            multiprocess.MultiProcessCollector(registro)
        else:
            registro.register(_Processo())
        registro.register(_Outbox(totais_os))
        return Response(generate_latest(registro), content_type=CONTENT_TYPE_LATEST)

    app.add_url_rule("/metrics", ENDPOINT, metrics, methods=["GET"])

    @app.before_request
    def _inicio() -> None:
        g.metricas_inicio = time.perf_counter()

    @app.after_request
    def _fim(response: Response) -> Response:
        endpoint = request.endpoint or SEM_ROTA
        metodo = request.method if request.method in METODOS else "other"
        inicio = g.get("metricas_inicio")
        REQUISICOES.labels(endpoint=endpoint, method=metodo, status=str(response.status_code)).inc()
        if inicio is not None:
            LATENCIA.labels(endpoint=endpoint, method=metodo).observe(time.perf_counter() - inicio)
        return response


# --- gunicorn hooks (gunicorn.conf.py) -----------------------------------------------------------


def preparar_multiprocesso() -> None:
    """In gunicorn's master before any worker starts: empty the directory, so values of a
    previous run (a restarted container keeps its emptyDir) are not added to this one's."""
    diretorio = diretorio_multiprocesso()
    if diretorio is None:
        return
    diretorio.mkdir(parents=True, exist_ok=True)
    for arquivo in diretorio.glob("*.db"):
        arquivo.unlink(missing_ok=True)


def processo_encerrado(pid: int) -> None:
    """A worker exited: its live gauges (open streams) stop counting; its counters stay."""
    if diretorio_multiprocesso() is not None:
        multiprocess.mark_process_dead(pid)
