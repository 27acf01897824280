"""Delivery of the queue's steps to the Ordem de Serviço (OS) service, as pure rules.

Pure Python (no Flask, no pymongo, no HTTP): how long to wait before the next attempt, what an
HTTP outcome means, and an event's fields after an attempt. The events themselves (what a step
records for the OS service, and an order's sync state) are the queue's (webapp/fila/outbox.py);
the dispatcher (dispatcher.py) asks these rules what to do with each answer.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any

from ..fila.outbox import EstadoEvento
from ..text import invisivel

PRAZO_ESGOTADO = "prazo de novas tentativas esgotado"
LIMITE_ERRO = 200  # characters of a response body kept as the reason of a failure


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
    if valor.isascii() and valor.isdigit():  # not "²", which isdigit() takes and float() not
        return float(valor)
    try:
        quando = parsedate_to_datetime(valor)
    except (TypeError, ValueError, IndexError, OverflowError):
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
    incerto: bool = False  # no answer after sending: the status may have been applied


def _curto(texto: str, limite: int = LIMITE_ERRO) -> str:
    """The OS service's words as a card, the banner and the API show them: one line, without
    the invisible characters (a NUL, an escape, a bidi override that turns the line around)
    that anything may answer, and short."""
    texto = " ".join("".join(c for c in texto if not invisivel(c) or c.isspace()).split())
    return texto if len(texto) <= limite else texto[: limite - 1] + "…"


def classificar_resposta(
    http_status: int,
    corpo: str,
    retry_after: str | None,
    agora: datetime,
    *,
    erro_da_aplicacao: bool = False,
) -> Resultado:
    """An HTTP answer: 2xx delivered; 408, 429 and 5xx retried; any other status is final.

    `erro_da_aplicacao`: the body is the OS service's own error answer (JSON with `detail`). A
    500 that says why is the service refusing this status (e.g. a bug of its own for one
    transition), not an outage: final, shown on the card, and the service counts as up."""
    if 200 <= http_status < 300:
        return Resultado(Desfecho.ENVIADO, http_status)
    motivo = f"HTTP {http_status}" + (f": {_curto(corpo)}" if corpo.strip() else "")
    if http_status == 500 and erro_da_aplicacao:
        return Resultado(Desfecho.FALHOU, http_status, motivo)
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


def classificar_erro_rede(descricao: str, tempo_esgotado: bool, incerto: bool) -> Resultado:
    """No HTTP answer at all (refused, reset, DNS, timeout): always retried. `incerto`: the
    request had been sent (a read timeout, a reset), so it may have been applied."""
    if tempo_esgotado:
        motivo = "tempo esgotado esperando o sistema de OS"
    else:
        motivo = "sem conexão com o sistema de OS"
    texto = _curto(f"{motivo} ({descricao})")
    return Resultado(Desfecho.RETENTAR, None, texto, fora_do_ar=True, incerto=incerto)


def erro_local(descricao: str) -> Resultado:
    """The request could not even be built here (e.g. a header it cannot carry): final at once,
    and no sign of an outage of the OS service."""
    return Resultado(Desfecho.FALHOU, None, _curto(f"erro ao montar o envio: {descricao}"))


def reconciliado(resultado: Resultado, status_atual: str) -> Resultado:
    """An attempt that failed, or whose answer was lost, while the OS is already at (or past)
    the status we wanted to send: delivered, as far as the shop is concerned."""
    return Resultado(
        Desfecho.ENVIADO,
        resultado.http_status,
        f"o sistema de OS já estava em {status_atual}",
    )


# The OS service's own statuses, in the order an OS moves through them. It moves one step
# forward at a time and refuses a repeat or an older one: a status at or past the one we want
# to send means our event has nothing left to say.
ORDEM_STATUS_OS = (
    "RECEBIDA", "EM_DIAGNOSTICO", "AGUARDANDO_APROVACAO", "EM_EXECUCAO", "FINALIZADA", "ENTREGUE",
)  # fmt: skip


def ja_chegou(status_atual: str | None, desejado: str) -> bool:
    if status_atual not in ORDEM_STATUS_OS or desejado not in ORDEM_STATUS_OS:
        return False
    return ORDEM_STATUS_OS.index(status_atual) >= ORDEM_STATUS_OS.index(desejado)


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
        "incerto": resultado.incerto,
    }
    if resultado.desfecho is Desfecho.ENVIADO:
        return {
            **campos,
            "estado": EstadoEvento.ENVIADO.value,
            "enviado_em": agora,
            "proxima_tentativa": None,
            "ultimo_erro": None,
            "observacao": resultado.motivo,  # e.g. reconciled: it was already there
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
            "ultimo_erro": f"{PRAZO_ESGOTADO}; último erro: {resultado.motivo}",
        }
    espera = espera_retentativa(tentativas, base_s, maximo_s, rng)
    if resultado.espera_minima_s is not None:
        espera = max(espera, resultado.espera_minima_s)
    # One last attempt exactly at the end of the window rather than none after it (capped
    # first: a Retry-After of 10^13 s is past any date).
    proxima = agora + timedelta(seconds=min(espera, (fim_janela - agora).total_seconds()))
    return {
        **campos,
        "estado": EstadoEvento.PENDENTE.value,
        "proxima_tentativa": proxima,
        "ultimo_erro": resultado.motivo,
    }
