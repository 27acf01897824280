"""Delivery of the queue's steps to the Ordem de Serviço (OS) service, as pure rules.

Pure Python (no Flask, no pymongo, no HTTP): what an outbox event looks like, how long to wait
before the next attempt, what an HTTP outcome means, and what the item's sync state is. The queue
writes events in the step's own update (webapp/fila/repository.py) and the dispatcher
(dispatcher.py) asks these rules what to do with each answer.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any


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


PRAZO_ESGOTADO = "prazo de novas tentativas esgotado"
LIMITE_ERRO = 200  # characters of a response body kept as the reason of a failure


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


# --- Backoff ----------------------------------------------------------------------------------


def espera_retentativa(
    tentativa: int, base_s: float, maximo_s: float, rng: random.Random | None = None
) -> float:
    """Seconds before attempt `tentativa + 1`: exponential backoff with full jitter, capped.

    Full jitter (a uniform draw between 0 and the exponential ceiling) spreads many events that
    failed together (an outage) instead of retrying them in waves."""
    teto = min(maximo_s, base_s * 2 ** max(0, tentativa - 1))
    return (rng or random).uniform(0, teto)


def ler_retry_after(valor: str | None, agora: datetime) -> float | None:
    """Retry-After in seconds (a number of seconds or an HTTP-date), or None when absent/bad."""
    if not valor:
        return None
    valor = valor.strip()
    if valor.isdigit():
        return float(valor)
    try:
        quando = parsedate_to_datetime(valor)
    except (TypeError, ValueError, IndexError):
        return None
    if quando.tzinfo is None:
        quando = quando.replace(tzinfo=UTC)
    return max(0.0, (quando - agora).total_seconds())


# --- Outcomes ---------------------------------------------------------------------------------


class Desfecho(StrEnum):
    ENVIADO = "enviado"
    RETENTAR = "retentar"
    FALHOU = "falhou"


@dataclass(frozen=True)
class Resultado:
    """What one attempt means."""

    desfecho: Desfecho
    http_status: int | None = None
    motivo: str | None = None  # why it did not go through (Portuguese, short)
    espera_minima_s: float | None = None  # the server's Retry-After
    fora_do_ar: bool = False  # the service did not answer usefully (for the board's banner)


def _curto(texto: str, limite: int = LIMITE_ERRO) -> str:
    texto = " ".join(texto.split())
    return texto if len(texto) <= limite else texto[: limite - 1] + "…"


def classificar_resposta(
    http_status: int, corpo: str, retry_after: str | None, agora: datetime
) -> Resultado:
    """An HTTP answer: 2xx delivered; 408, 429 and 5xx retried; any other status is final."""
    if 200 <= http_status < 300:
        return Resultado(Desfecho.ENVIADO, http_status)
    motivo = f"HTTP {http_status}" + (f": {_curto(corpo)}" if corpo.strip() else "")
    if http_status in (408, 429) or http_status >= 500:
        return Resultado(
            Desfecho.RETENTAR,
            http_status,
            motivo,
            espera_minima_s=ler_retry_after(retry_after, agora),
            # 429 is an answer, but a refusal to work: the link is as good as down.
            fora_do_ar=True,
        )
    # Other 4xx (and unexpected 1xx/3xx): retrying the same request cannot change the answer.
    return Resultado(Desfecho.FALHOU, http_status, motivo)


def classificar_erro_rede(descricao: str, tempo_esgotado: bool) -> Resultado:
    """No HTTP answer at all (refused, reset, DNS, timeout): always retried."""
    if tempo_esgotado:
        motivo = "tempo esgotado esperando o sistema de OS"
    else:
        motivo = "sem conexão com o sistema de OS"
    return Resultado(Desfecho.RETENTAR, None, _curto(f"{motivo} ({descricao})"), fora_do_ar=True)


def proximo_passo(
    resultado: Resultado,
    evento: Mapping[str, Any],
    agora: datetime,
    *,
    base_s: float,
    maximo_s: float,
    prazo_s: float,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """The event's fields after an attempt (`tentativas` already counts this attempt)."""
    tentativas = int(evento.get("tentativas") or 0) + 1
    campos: dict[str, Any] = {
        "tentativas": tentativas,
        "ultima_tentativa": agora,
        "ultimo_http": resultado.http_status,
    }
    if resultado.desfecho is Desfecho.ENVIADO:
        return {
            **campos,
            "estado": EstadoEvento.ENVIADO.value,
            "enviado_em": agora,
            "proxima_tentativa": None,
            "ultimo_erro": None,
        }
    if resultado.desfecho is Desfecho.FALHOU:
        return {
            **campos,
            "estado": EstadoEvento.FALHOU.value,
            "proxima_tentativa": None,
            "ultimo_erro": resultado.motivo,
        }
    fim_janela = (evento.get("janela_desde") or evento.get("criado_em") or agora) + timedelta(
        seconds=prazo_s
    )
    if agora >= fim_janela:
        return {
            **campos,
            "estado": EstadoEvento.FALHOU.value,
            "proxima_tentativa": None,
            "ultimo_erro": f"{PRAZO_ESGOTADO} (último erro: {resultado.motivo})",
        }
    espera = espera_retentativa(tentativas, base_s, maximo_s, rng)
    if resultado.espera_minima_s is not None:
        espera = max(espera, resultado.espera_minima_s)
    # One last attempt exactly at the end of the window rather than none after it.
    proxima = min(agora + timedelta(seconds=espera), fim_janela)
    return {
        **campos,
        "estado": EstadoEvento.PENDENTE.value,
        "proxima_tentativa": proxima,
        "ultimo_erro": resultado.motivo,
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
