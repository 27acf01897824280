"""The stages an order goes through and the time it spends in each, holds excluded: the card's
time in stage and its alert, and the intervals the manager's indicators measure.

Pure Python, like domain.py. A hold (pausa) never crosses a stage: the next step ends it. So the
seconds on hold of a stage are final once the hold ends, and the store keeps them in the item,
written by the same update as the `retomar` or the step: per stage (`pausas_s.<etapa>`, what
the card's alert and the intervals subtract) and per stage and reason
(`pausas_motivo_s.<etapa>.<motivo>`, what the indicators show as time lost; per stage, the
reasons add up to `pausas_s`). That is what lets the indicators work inside a MongoDB
aggregation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from .domain import PASSOS, Acao, MotivoPausa, Prioridade, Status, SubEtapa, sub_etapa


class Etapa(StrEnum):
    """Where an open order is, finer than its status: AGUARDANDO splits in three."""

    AGUARDANDO_DIAGNOSTICO = "aguardando_diagnostico"
    EM_DIAGNOSTICO = "em_diagnostico"
    AGUARDANDO_APROVACAO = "aguardando_aprovacao"
    PRONTA_PARA_REPARO = "pronta_para_reparo"
    EM_REPARO = "em_reparo"


def etapa(item: Mapping[str, Any]) -> Etapa | None:
    """The item's stage now; None once finished. (The store's pipeline twin:
    repository.ETAPA_ATUAL; a test keeps both in step.)"""
    status = item.get("status")
    if status == Status.EM_DIAGNOSTICO:
        return Etapa.EM_DIAGNOSTICO
    if status == Status.EM_REPARO:
        return Etapa.EM_REPARO
    sub = sub_etapa(item)
    return Etapa(sub.value) if sub else None


# The stage each history entry leaves the order in (holds and other changes leave it alone).
_ETAPA_APOS = {
    Acao.CRIAR: Etapa.AGUARDANDO_DIAGNOSTICO,
    Acao.INICIAR_DIAGNOSTICO: Etapa.EM_DIAGNOSTICO,
    Acao.FINALIZAR_DIAGNOSTICO: Etapa.AGUARDANDO_APROVACAO,
    Acao.APROVAR_ORCAMENTO: Etapa.PRONTA_PARA_REPARO,
    Acao.INICIAR_REPARO: Etapa.EM_REPARO,
    Acao.FINALIZAR_REPARO: None,
}
FIM_DE_PAUSA = frozenset({Acao.RETOMAR, *PASSOS})


def inicio_etapa(item: Mapping[str, Any]) -> datetime:
    """When the current stage (or AGUARDANDO sub-stage) began."""
    status = item.get("status")
    if status == Status.EM_DIAGNOSTICO:
        return item["dta_inicio_diagnostico"]
    if status == Status.EM_REPARO:
        return item["dta_inicio_reparo"]
    if status == Status.FINALIZADA:
        return item["dta_fim_reparo"]
    atual = sub_etapa(item)
    if atual is SubEtapa.PRONTA_PARA_REPARO:
        return item["dta_aprovacao_orcamento"]
    if atual is SubEtapa.AGUARDANDO_APROVACAO:
        return item["dta_fim_diagnostico"]
    return item["dta_criacao"]


def motivo_pausa(valor: Any) -> MotivoPausa:
    """A stored hold's reason; anything unknown counts as "outro"."""
    try:
        return MotivoPausa(valor)
    except ValueError:
        return MotivoPausa.OUTRO


def _pausas(
    historico: Iterable[Mapping[str, Any]],
) -> Iterator[tuple[datetime, datetime | None, Etapa | None, MotivoPausa, int | None]]:
    """The holds replayed from a history: (start, end or None while it lasts, the stage it
    held, its reason, the index of the entry that ended it). A hold runs from `pausar` to
    `retomar` or the next step."""
    etapa: Etapa | None = None
    inicio: datetime | None = None
    motivo = MotivoPausa.OUTRO
    for indice, entrada in enumerate(historico):
        acao, em = entrada.get("acao"), entrada.get("em")
        if acao == Acao.PAUSAR and inicio is None:
            inicio, motivo = em, motivo_pausa(entrada.get("para"))
        elif acao in FIM_DE_PAUSA and inicio is not None:
            yield inicio, em, etapa, motivo, indice
            inicio = None
        if acao in _ETAPA_APOS:
            etapa = _ETAPA_APOS[acao]
    if inicio is not None:
        yield inicio, None, etapa, motivo, None


def esperas_encerradas(
    historico: Iterable[Mapping[str, Any]],
) -> dict[int, tuple[MotivoPausa, float]]:
    """Each hold that ended, by the index of the history entry that ended it (`retomar`, or a
    step, which ends a hold without a `retomar` of its own): its reason and seconds, so that
    the order's page says where a hold ended and how long it lasted."""
    return {
        indice: (motivo, max(0.0, (fim - inicio).total_seconds()))
        for inicio, fim, _, motivo, indice in _pausas(historico)
        if fim is not None and indice is not None
    }


def _em_pausa(historico: list[Mapping[str, Any]], desde: datetime, agora: datetime) -> timedelta:
    """Time on hold since `desde`, summed exactly (timedelta: whole microseconds)."""
    return sum(
        (max(timedelta(0), (fim or agora) - max(inicio, desde)) for inicio, fim, _, _, _ in
         _pausas(historico)),
        timedelta(0),
    )  # fmt: skip


def tempo_na_etapa(item: Mapping[str, Any], agora: datetime) -> float:
    """Seconds in the current stage, holds excluded. In timedelta until the end: with floats,
    an order on hold (now minus its start, minus now minus the hold's) came out a hair under
    its frozen time or not, by the instant, and its card read 2 h 34 or 2 h 35 in turn."""
    desde = inicio_etapa(item)
    liquido = (agora - desde) - _em_pausa(item.get("historico", []), desde, agora)
    return max(0.0, liquido.total_seconds())


def pausas_por_motivo(historico: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    """Seconds of the holds that ended, per stage and reason, replayed from the history: what
    the store keeps in `pausas_motivo_s` (used once, to fill it in for items stored before it
    existed)."""
    total = {str(e): {str(m): 0.0 for m in MotivoPausa} for e in Etapa}
    for inicio, fim, etapa, motivo, _ in _pausas(historico):
        if fim is not None and etapa is not None:
            total[etapa][motivo] += max(0.0, (fim - inicio).total_seconds())
    return total


def pausas_por_etapa(historico: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    """Seconds of the holds that ended, per stage (`pausas_s`): the reasons added up."""
    return {etapa: sum(motivos.values()) for etapa, motivos in pausas_por_motivo(historico).items()}


# --- The intervals the indicators measure -------------------------------------------------------


@dataclass(frozen=True)
class Intervalo:
    """From one timestamp of the item to another, minus the holds of the stages in between."""

    codigo: str
    inicio: str
    fim: str
    etapas: tuple[Etapa, ...]


INTERVALOS = (
    Intervalo("espera_diagnostico", "dta_criacao", "dta_inicio_diagnostico",
              (Etapa.AGUARDANDO_DIAGNOSTICO,)),
    Intervalo("diagnostico", "dta_inicio_diagnostico", "dta_fim_diagnostico",
              (Etapa.EM_DIAGNOSTICO,)),
    Intervalo("espera_aprovacao", "dta_fim_diagnostico", "dta_aprovacao_orcamento",
              (Etapa.AGUARDANDO_APROVACAO,)),
    Intervalo("espera_reparo", "dta_aprovacao_orcamento", "dta_inicio_reparo",
              (Etapa.PRONTA_PARA_REPARO,)),
    Intervalo("reparo", "dta_inicio_reparo", "dta_fim_reparo", (Etapa.EM_REPARO,)),
    Intervalo("total", "dta_criacao", "dta_fim_reparo", tuple(Etapa)),
)  # fmt: skip
# The percentiles of each interval the indicators show (median; 9 in 10).
PERCENTIS = (50, 90)


def duracao(item: Mapping[str, Any], intervalo: Intervalo) -> float | None:
    """Seconds of `intervalo` on a stored item, holds excluded; None when a timestamp is
    missing. (The indicators compute the same in MongoDB: queries.DURACOES.)"""
    inicio, fim = item.get(intervalo.inicio), item.get(intervalo.fim)
    if inicio is None or fim is None:
        return None
    pausas = item.get("pausas_s") or {}
    descontar = sum(pausas.get(str(e)) or 0.0 for e in intervalo.etapas)
    return max(0.0, (fim - inicio).total_seconds() - descontar)


# --- Alerts -------------------------------------------------------------------------------------


class Alerta(StrEnum):
    OK = "ok"
    ATENCAO = "atencao"  # amber
    ATRASO = "atraso"  # red


# Minutes in a stage before a card turns amber / red, by priority (ALERTA_ETAPA overrides them).
LIMITES_ALERTA_PADRAO: dict[Prioridade, tuple[int, int]] = {
    Prioridade.URGENTE: (30, 60),
    Prioridade.ALTA: (60, 120),
    Prioridade.NORMAL: (120, 240),
    Prioridade.BAIXA: (240, 480),
}


def limites_alerta(texto: str) -> dict[Prioridade, tuple[int, int]]:
    """ALERTA_ETAPA ("URGENTE=30/60,ALTA=60/120", minutes amber/red) over the defaults;
    ValueError says why a value cannot be used."""
    limites = dict(LIMITES_ALERTA_PADRAO)
    for parte in filter(None, (p.strip() for p in texto.split(","))):
        nome, _, valores = parte.partition("=")
        try:
            prioridade = Prioridade(nome.strip().upper())
            atencao, atraso = (int(v) for v in valores.split("/"))
        except ValueError:
            raise ValueError(
                f"ALERTA_ETAPA inválido em {parte!r}; use por exemplo URGENTE=30/60,ALTA=60/120"
            ) from None
        if not 0 < atencao < atraso:
            raise ValueError(f"ALERTA_ETAPA: em {parte!r} o amarelo deve vir antes do vermelho")
        limites[prioridade] = (atencao, atraso)
    return limites


def limiares_s(
    prioridade: Prioridade, limites: Mapping[Prioridade, tuple[int, int]]
) -> tuple[int, int]:
    """A priority's amber and red thresholds, in seconds in the stage (holds excluded)."""
    atencao, atraso = limites.get(prioridade, LIMITES_ALERTA_PADRAO[prioridade])
    return atencao * 60, atraso * 60


def alerta(
    segundos: float, prioridade: Prioridade, limites: Mapping[Prioridade, tuple[int, int]]
) -> Alerta:
    atencao_s, atraso_s = limiares_s(prioridade, limites)
    if segundos >= atraso_s:
        return Alerta.ATRASO
    if segundos >= atencao_s:
        return Alerta.ATENCAO
    return Alerta.OK
