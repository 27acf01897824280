"""How long an order has been in its stage, holds excluded, and when that turns a card amber or
red. Pure Python, like the rest of the queue's rules (domain.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from .domain import PASSOS, Acao, Prioridade, Status, SubEtapa, sub_etapa


def inicio_etapa(item: Mapping[str, Any]) -> datetime:
    """When the current stage (or AGUARDANDO sub-stage) began."""
    status = item.get("status")
    if status == Status.EM_DIAGNOSTICO:
        return item["dta_inicio_diagnostico"]
    if status == Status.EM_REPARO:
        return item["dta_inicio_reparo"]
    if status == Status.FINALIZADA:
        return item["dta_fim_reparo"]
    etapa = sub_etapa(item)
    if etapa is SubEtapa.PRONTA_PARA_REPARO:
        return item["dta_aprovacao_orcamento"]
    if etapa is SubEtapa.AGUARDANDO_APROVACAO:
        return item["dta_fim_diagnostico"]
    return item["dta_criacao"]


_FIM_DE_PAUSA = {Acao.RETOMAR, *PASSOS}


def tempo_em_pausa(historico: list[Mapping[str, Any]], desde: datetime, agora: datetime) -> float:
    """Seconds on hold since `desde`: each hold runs from `pausar` to `retomar` or the next step."""
    total = 0.0
    inicio: datetime | None = None
    for entrada in historico:
        acao, em = entrada.get("acao"), entrada.get("em")
        if acao == Acao.PAUSAR and inicio is None:
            inicio = em
        elif acao in _FIM_DE_PAUSA and inicio is not None:
            total += max(0.0, (em - max(inicio, desde)).total_seconds()) if em > desde else 0.0
            inicio = None
    if inicio is not None:
        total += max(0.0, (agora - max(inicio, desde)).total_seconds())
    return total


def tempo_na_etapa(item: Mapping[str, Any], agora: datetime) -> float:
    """Seconds in the current stage, holds excluded."""
    desde = inicio_etapa(item)
    bruto = (agora - desde).total_seconds()
    return max(0.0, bruto - tempo_em_pausa(item.get("historico", []), desde, agora))


class Alerta(StrEnum):
    OK = "ok"
    ATENCAO = "atencao"  # amber
    ATRASO = "atraso"  # red


# Minutes in a stage before a card turns amber / red, by priority (overridable in settings).
LIMITES_ALERTA_PADRAO: dict[Prioridade, tuple[int, int]] = {
    Prioridade.URGENTE: (30, 60),
    Prioridade.ALTA: (60, 120),
    Prioridade.NORMAL: (120, 240),
    Prioridade.BAIXA: (240, 480),
}


def alerta(
    segundos: float, prioridade: Prioridade, limites: Mapping[Prioridade, tuple[int, int]]
) -> Alerta:
    atencao, atraso = limites.get(prioridade, LIMITES_ALERTA_PADRAO[prioridade])
    if segundos >= atraso * 60:
        return Alerta.ATRASO
    if segundos >= atencao * 60:
        return Alerta.ATENCAO
    return Alerta.OK
