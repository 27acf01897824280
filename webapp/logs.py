"""JSON logs, one object per line, with request ids and Datadog trace ids: on stdout for the
server (gunicorn; the log collector reads it), on stderr under a command (`flask --app wsgi
...`), whose stdout is its result (`TOKEN=$(flask --app wsgi token)` must get only the token)."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import click
from flask import Flask, Response, g, has_request_context, request

try:  # optional: present when the deployment runs under ddtrace
    from ddtrace import tracer as _dd_tracer
except ImportError:  # pragma: no cover - depends on the deployment
    _dd_tracer = None

_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_CAMPOS_PADRAO = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def _datadog() -> dict[str, str]:
    if _dd_tracer is None:
        return {}
    span = _dd_tracer.current_span()
    if span is None:
        return {}
    return {"dd.trace_id": str(span.trace_id), "dd.span_id": str(span.span_id)}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        linha: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
        }
        if has_request_context() and "request_id" in g:
            linha["request_id"] = g.request_id
        linha.update(_datadog())
        for chave, valor in record.__dict__.items():
            if chave not in _CAMPOS_PADRAO and not chave.startswith("_"):
                linha[chave] = valor
        if record.exc_info:
            linha["error"] = self.formatException(record.exc_info)
        return json.dumps(linha, ensure_ascii=False, default=str)


def em_comando() -> bool:
    """Whether this process runs a command line (the flask CLI builds the app inside its click
    context), rather than serving requests."""
    return click.get_current_context(silent=True) is not None


def configurar(nivel: str) -> None:
    """Route every logger to one JSON handler (idempotent): stdout, or stderr under a command."""
    raiz = logging.getLogger()
    if not any(isinstance(h.formatter, JsonFormatter) for h in raiz.handlers):
        handler = logging.StreamHandler(sys.stderr if em_comando() else sys.stdout)
        handler.setFormatter(JsonFormatter())
        raiz.handlers = [handler]
    raiz.setLevel(nivel.upper())
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # we log requests ourselves


# Headers of the request that caused a step, carried over to its delivery to the OS service (W3C
# and Datadog), so the OS service's spans join the same trace.
CABECALHOS_TRACE = (
    "traceparent",
    "tracestate",
    "x-datadog-trace-id",
    "x-datadog-parent-id",
    "x-datadog-sampling-priority",
    "x-datadog-origin",
    "x-datadog-tags",
)


_VALOR_TRACE = re.compile(r"^[\x21-\x7e][\x20-\x7e]{0,511}$")  # visible ASCII, as W3C/Datadog


def trace_de(cabecalhos: Mapping[str, str]) -> dict[str, str]:
    """The trace headers among `cabecalhos` (names in lower case). Only well-formed values are
    kept: they are stored with the step and sent on later, and a value an HTTP client cannot
    carry (non-ASCII, control characters) would make every later attempt fail."""
    minusculos = {nome.lower(): valor for nome, valor in cabecalhos.items()}
    return {
        nome: minusculos[nome]
        for nome in CABECALHOS_TRACE
        if minusculos.get(nome) and _VALOR_TRACE.match(minusculos[nome])
    }


def origem() -> dict[str, Any]:
    """What ties a change to the request that caused it: its request id and trace headers."""
    if not has_request_context():
        return {"request_id": request_id(), "trace": {}}
    return {"request_id": request_id(), "trace": trace_de(request.headers)}


def request_id() -> str:
    """The request id of the current request (or a new one outside requests)."""
    if has_request_context() and "request_id" in g:
        return g.request_id
    return uuid.uuid4().hex


def instalar(app: Flask) -> None:
    log = logging.getLogger("webapp.request")

    @app.before_request
    def _inicio() -> None:
        recebido = request.headers.get("X-Request-ID", "")
        g.request_id = recebido if _REQUEST_ID_OK.match(recebido) else uuid.uuid4().hex
        g.inicio = time.perf_counter()

    @app.after_request
    def _fim(response: Response) -> Response:
        response.headers["X-Request-ID"] = request_id()
        duracao = (time.perf_counter() - g.get("inicio", time.perf_counter())) * 1000
        log.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(duracao, 2),
            },
        )
        return response
