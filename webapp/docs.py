"""/openapi.json, generated from the contract's schemas, and a readable /docs page."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, jsonify, render_template

from .contract import documento

bp = Blueprint("docs", __name__)

TITULO = "Fila de execução da oficina"
VERSAO = "1.0.0"


@bp.get("/openapi.json")
def openapi() -> Any:
    return jsonify(documento(TITULO, VERSAO))


@bp.get("/docs")
def docs() -> str:
    doc = documento(TITULO, VERSAO)
    esquemas = {
        nome: json.dumps(esquema, ensure_ascii=False, indent=2)
        for nome, esquema in doc["components"]["schemas"].items()
    }
    return render_template("docs.html", doc=doc, esquemas=esquemas)
