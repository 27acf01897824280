"""Health checks: /health for liveness (no database), /health/ready for readiness."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from pymongo.errors import PyMongoError

from .components import componentes
from .contract import operacao
from .fila.schemas import Saude

bp = Blueprint("health", __name__)


@operacao(
    bp, "GET", "/health", "O processo está vivo", resposta=Saude, autenticada=False, tag="saude"
)
def health() -> Any:
    return {"status": "ok"}


@operacao(
    bp,
    "GET",
    "/health/ready",
    "Pronto para atender (o banco responde)",
    resposta=Saude,
    erros=(503,),
    autenticada=False,
    tag="saude",
)
def ready() -> Any:
    try:
        componentes().mongo.ping()
    except PyMongoError:
        return {"status": "indisponivel", "detail": "Banco de dados indisponível."}, 503
    return {"status": "ok"}
