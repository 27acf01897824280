"""gunicorn settings; every value can be overridden by the environment."""

import gc
import os
import sys

# gevent patches the standard library here, before the app's imports below bring in requests
# (urllib3) and pymongo: patched after them, their TLS contexts recurse without end, and HTTPS to
# the OS service or TLS to MongoDB fails in every worker. GUNICORN_CMD_ARGS="--worker-class ..."
# (another worker, e.g. the capacity benchmark's gthread comparison) keeps real threads.
if "--worker-class" not in os.environ.get("GUNICORN_CMD_ARGS", ""):
    from gevent import monkey

    monkey.patch_all()

from webapp import (
    configuracao,  # noqa: E402
    metrics,  # noqa: E402 - after the patch above
)
from webapp.components import Aplicacao, componente  # noqa: E402
from webapp.previsao.worker import PrevisaoWorker  # noqa: E402
from webapp.settings import ConfigError, numero_do_ambiente  # noqa: E402
from webapp.sincronizacao_os.dispatcher import OsDispatcher  # noqa: E402

try:  # a bad number refuses to start with one line, as a bad setting of the app does
    porta = int(numero_do_ambiente("PORT", 8002, 1, 65535, inteiro=True))
    workers = int(numero_do_ambiente("WEB_CONCURRENCY", 2, 1, 64, inteiro=True))
    worker_connections = int(
        numero_do_ambiente("GUNICORN_CONEXOES", 2000, 20, 100_000, inteiro=True)
    )
    keepalive = int(numero_do_ambiente("GUNICORN_PRAZO_CABECALHOS_S", 5, 1, 300, inteiro=True))
    numero_do_ambiente("GUNICORN_PRAZO_CORPO_S", 15, 1, 600)  # read by webapp/serving.py
except ConfigError as erro:
    print(f"Configuração inválida: {erro}", file=sys.stderr)
    sys.exit(1)
bind = os.environ.get("BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{porta}")
# The gevent worker (webapp/serving.py): every open board or TV stream and every slow client is a
# greenlet, so one worker holds hundreds of them while ordinary requests go on. pymongo and
# requests cooperate with gevent once the worker has patched the standard library.
worker_class = "webapp.serving.Worker"
# worker_connections: GUNICORN_CONEXOES, above.
# Who is believed about X-Forwarded-* is the app's call (TRUSTED_PROXY_NETWORKS,
# webapp/proxies.py): gunicorn's own default believes X-Forwarded-Proto from loopback, so any
# local client made the app write https:// addresses.
forwarded_allow_ips = ""
timeout = 60
# Read deadlines in the worker itself (webapp/serving.py), so a direct path is as safe as one
# through nginx: a request's line and headers must arrive within this many seconds of the
# connection's opening or of the previous answer (also how long an idle kept-alive connection
# stays), its body within GUNICORN_PRAZO_CORPO_S of the headers (read by the worker).
# keepalive: GUNICORN_PRAZO_CABECALHOS_S, above.
# SIGTERM ends the open streams first (webapp.serving.Worker), then requests in flight finish.
graceful_timeout = 20
# No control socket: several gunicorns on one host would share ~/.gunicorn/gunicorn.ctl.
control_socket_disable = True
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
        configuracao()
    except ConfigError as erro:
        print(f"Configuração inválida: {erro}", file=sys.stderr)
        sys.exit(1)
    metrics.preparar_multiprocesso()


def worker_exit(server, worker):  # noqa: ARG001 - gunicorn hook signature
    """SIGTERM: stop the worker's OS dispatcher thread (webapp/sincronizacao_os). An attempt in
    flight may finish; if not, it is handed back uncertain with its lease let go, and another
    dispatcher reads the OS's status, then sends it again with the same Idempotency-Key if
    needed. The forecast's thread lets go of its lease, so another process takes over at
    once."""
    app = getattr(worker, "wsgi", None)
    if isinstance(app, Aplicacao):
        componente(OsDispatcher, app).parar(timeout=5)
        componente(PrevisaoWorker, app).parar(timeout=5)


def child_exit(server, worker):  # noqa: ARG001 - gunicorn hook signature
    """In the master, once a worker is gone (exit, crash, timeout): with PROMETHEUS_MULTIPROC_DIR
    its open-stream gauge stops counting; its counters stay in the sums (webapp/metrics.py)."""
    metrics.processo_encerrado(worker.pid)


def post_worker_init(worker):  # noqa: ARG001 - gunicorn hook signature
    """Freeze what the app holds after loading (modules, templates, settings): the collector then
    never walks it again, and full collections in the middle of a request stay short."""
    gc.freeze()
