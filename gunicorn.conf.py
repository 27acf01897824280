"""gunicorn settings; every value can be overridden by the environment."""

import os
import sys

from webapp import metrics
from webapp.settings import ConfigError, load_settings

bind = os.environ.get(
    "BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8002')}"
)
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads keep long-lived connections (server-sent events) from blocking a whole worker.
worker_class = "gthread"
# Every open board tab and TV holds one thread for as long as it is open (/eventos,
# /painel/eventos). A shop has about a dozen (tablets, desktops, TVs) and the balancer may put
# them all on one worker, so each worker gets room for all of them plus ordinary requests. The
# threads mostly sleep on a queue (one change stream thread per process feeds them all), so this
# costs memory for stacks, not CPU. Raise it for a bigger shop.
threads = int(os.environ.get("GUNICORN_THREADS", "32"))
timeout = 60
graceful_timeout = 20
accesslog = None  # the app writes one JSON line per request itself
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "webapp.logs.JsonFormatter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
        }
    },
    "root": {"level": "INFO", "handlers": ["stdout"]},
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["stdout"], "level": "WARNING", "propagate": False},
    },
}


def on_starting(server):  # noqa: ARG001 - gunicorn hook signature
    """Before forking workers: refuse to start on a missing or unsafe setting, with one line;
    then start the Prometheus multiprocess directory afresh (webapp/metrics.py)."""
    try:
        load_settings()
    except ConfigError as erro:
        print(f"Configuração inválida: {erro}", file=sys.stderr)
        sys.exit(1)
    metrics.preparar_multiprocesso()


def worker_exit(server, worker):  # noqa: ARG001 - gunicorn hook signature
    """SIGTERM: stop the worker's OS dispatcher thread (webapp/sincronizacao_os). An attempt in
    flight may finish; if not, its lease expires and another dispatcher sends the event again
    with the same Idempotency-Key."""
    componentes = getattr(getattr(worker, "wsgi", None), "extensions", {}).get("componentes")
    if componentes is not None:
        componentes.despachante.parar(timeout=5)


def child_exit(server, worker):  # noqa: ARG001 - gunicorn hook signature
    """In the master, once a worker is gone (exit, crash, timeout): with PROMETHEUS_MULTIPROC_DIR
    its open-stream gauge stops counting; its counters stay in the sums (webapp/metrics.py)."""
    metrics.processo_encerrado(worker.pid)
