"""The queue's outbox for the OS service: the record a step writes in its own update (the OS
status to tell, `eventos_os`) and the order's sync state as people and integrations see it.

Pure Python. The store writes these events in the step's update (repository.atualizacao); the
OS dispatcher (webapp/sincronizacao_os) delivers them and records each attempt's outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

# The fields the dispatcher's record of an attempt writes (and nothing else does alone): an update
# of only these changes the order's OS-service badge, never its card.
CAMPOS_DO_ENVIO = ("eventos_os", "os_sync")


def so_envio(campos: frozenset[str]) -> bool:
    """Whether an update (the fields it changed) touched only the delivery to the OS service."""
    return bool(campos) and all(c.startswith(CAMPOS_DO_ENVIO) for c in campos)


class EstadoEvento(StrEnum):
    PENDENTE = "pendente"
    ENVIADO = "enviado"
    FALHOU = "falhou"


class StatusSincronizacao(StrEnum):
    """The item's sync state as people and integrations see it."""

    SINCRONIZADO = "sincronizado"
    PENDENTE = "pendente"
    FALHOU = "falhou"
    DESLIGADA = "desligada"  # URL_API_OS unset: events wait, nothing is sent


def novo_evento(
    status: str, agora: datetime, request_id: str | None, trace: Mapping[str, str] | None
) -> dict[str, Any]:
    """An outbox event, due now. `seq` and `chave` (the Idempotency-Key) are filled in by the
    store inside the step's own update, from the item's events at that moment (no read first)."""
    return {
        "status": status,
        "criado_em": agora,
        "estado": EstadoEvento.PENDENTE.value,
        "tentativas": 0,
        "proxima_tentativa": agora,
        # Start of the retry window (creation, or a manager's retry): retries stop at its end.
        "janela_desde": agora,
        "ultimo_erro": None,
        "ultimo_http": None,
        "enviado_em": None,
        "request_id": request_id,
        "trace": dict(trace or {}),
    }


def evento_recebido(status: str, agora: datetime, request_id: str | None) -> dict[str, Any]:
    """A status the OS service set itself (it called our step): recorded as already delivered,
    never sent back to it (it would refuse a repeat)."""
    return {
        **novo_evento(status, agora, request_id, None),
        "estado": EstadoEvento.ENVIADO.value,
        "proxima_tentativa": None,
        "enviado_em": agora,
        "origem": "sistema_os",
    }


# --- The item's sync state --------------------------------------------------------------------


def resumo(item: Mapping[str, Any], ligada: bool) -> dict[str, Any]:
    """`sincronizacao_os` of an item: the state of its oldest undelivered event (the one the
    others wait for), or of the last delivered one."""
    eventos = item.get("eventos_os") or []
    esperando = [e for e in eventos if e.get("estado") != EstadoEvento.ENVIADO]
    enviados = [e for e in eventos if e.get("estado") == EstadoEvento.ENVIADO]
    ultimo_enviado = enviados[-1] if enviados else None
    cabeca = esperando[0] if esperando else None
    if cabeca is None:
        status = StatusSincronizacao.SINCRONIZADO
    elif cabeca.get("estado") == EstadoEvento.FALHOU:
        status = StatusSincronizacao.FALHOU
    elif not ligada:
        status = StatusSincronizacao.DESLIGADA
    else:
        status = StatusSincronizacao.PENDENTE
    referencia = cabeca or ultimo_enviado or {}
    return {
        "status": status.value,
        "pendentes": len(esperando),
        "tentativas": int(referencia.get("tentativas") or 0),
        "proxima_tentativa": referencia.get("proxima_tentativa")
        if status is StatusSincronizacao.PENDENTE
        else None,
        "ultimo_erro": cabeca.get("ultimo_erro") if cabeca else None,
        "sincronizado_em": ultimo_enviado.get("enviado_em") if ultimo_enviado else None,
    }


def progresso(item: Mapping[str, Any]) -> int:
    """Grows with every attempt a dispatcher records (each counts one, and a delivery ends its
    event), within one version of the item (a manager's retry, which resets the count, is a
    new version): a screen keeps the newer of two badges of the same version
    (static/quadro-ao-vivo.js), whichever reaches it last."""
    eventos = item.get("eventos_os") or []
    tentativas = sum(int(e.get("tentativas") or 0) for e in eventos)
    return tentativas + sum(e.get("estado") == EstadoEvento.ENVIADO for e in eventos)
