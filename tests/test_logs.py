"""JSON request logs."""

from __future__ import annotations

import io
import json
import logging

from webapp.logs import JsonFormatter


def test_uma_linha_json_por_requisicao_com_request_id(client) -> None:
    saida = io.StringIO()
    handler = logging.StreamHandler(saida)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("webapp.request")
    logger.addHandler(handler)
    nivel = logger.level
    logger.setLevel(logging.INFO)
    try:
        r = client.get("/health", headers={"X-Request-ID": "abc-123"})
        r2 = client.get("/health", headers={"X-Request-ID": "inválido com espaço"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(nivel)
    assert r.headers["X-Request-ID"] == "abc-123"
    gerado = r2.headers["X-Request-ID"]
    assert gerado != "inválido com espaço" and len(gerado) == 32
    linhas = [json.loads(linha) for linha in saida.getvalue().splitlines()]
    assert len(linhas) == 2
    primeira = linhas[0]
    assert primeira["message"] == "request" and primeira["level"] == "INFO"
    assert primeira["logger"] == "webapp.request"
    assert primeira["request_id"] == "abc-123"
    assert (primeira["method"], primeira["path"], primeira["status"]) == ("GET", "/health", 200)
    assert isinstance(primeira["duration_ms"], float)
    assert primeira["time"].endswith("+00:00")
    assert linhas[1]["request_id"] == gerado
