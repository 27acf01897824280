"""gunicorn settings; every value can be overridden by the environment."""

import os
import sys

from webapp.config import ConfigError, load_settings

bind = os.environ.get(
    "BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8002')}"
)
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads keep long-lived connections (server-sent events) from blocking a whole worker.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
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
    """Refuse to start on a missing or unsafe setting, with one line (before forking workers)."""
    try:
        load_settings()
    except ConfigError as erro:
        print(f"Configuração inválida: {erro}", file=sys.stderr)
        sys.exit(1)
