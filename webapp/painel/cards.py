"""What the TV wall shows, built from stored items: pure view models (no I/O).

Each column shows its most urgent cards that fit on a 1920x1080 screen and "+N" for the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..cartoes import cards as quadro
from ..cartoes.cards import Coluna, Contexto
from ..clock import em_ms
from ..fila import domain, labels, stages
from ..fila.domain import Status


@dataclass
class CartaoTV:
    fila_id: str
    ordem_servico_id: int
    placa: str | None
    veiculo: str | None
    prioridade: str  # code, lower case (CSS class)
    rotulo_prioridade: str
    mecanico: str | None
    sub_etapa: str | None
    tempo_etapa: str
    # When the stage began, holds excluded (painel-relogio.js ticks); None on hold.
    desde_ms: int | None
    atencao_s: int
    atraso_s: int
    alerta: str
    pausa: str | None
    mais_antiga: bool = False
    finalizada_as: str | None = None  # when a finished order's repair ended ("10:32", shop's time)
    # Its forecast's p50: "15:40", "amanhã 09:15", "qua 09:15" (the coming week's weekday
    # without its date: "pronto ~qua 09/12 09:15" is wider than a card), "14/12 09:15".
    previsao: str | None = None
    em_risco: bool = False  # its p80 passes its promise
    # When that forecast can no longer be current, in epoch ms (painel-relogio.js hides it:
    # a recompute that stopped pushes nothing; cartoes.cards.PrevisaoCartao.valida_ate).
    previsao_valida_ms: int | None = None
    # An open order's promise: when ("10:00", "04/12 10:00"), shown once passed; while still
    # ahead, its instant in epoch ms (painel-relogio.js shows it the moment it passes, as the
    # board does, not at the next push).
    prometida: str | None = None
    prometida_ms: int | None = None

    @property
    def nome(self) -> str:
        return nome_curto(self.placa, self.ordem_servico_id)


# How many late orders the TV names below a column's cards, of those it did not send.
ATRASADAS_NOMEADAS = 3


@dataclass
class ColunaTV(Coluna[CartaoTV]):
    """A column on the TV: its most urgent cards, and "+N" for the rest, naming the longest
    wait and the late ones among them ("+2 ordens · atrasada: PXT7A10": below the window, the
    floor would not see them)."""

    atrasadas_fora: list[str] = field(default_factory=list)  # plates (or "OS 1003")
    n_atrasadas_fora: int = 0
    # The header's longest wait, when its card is not among those sent: the header names a
    # car the floor then looks for in vain ("+3 ordens · espera há mais tempo: ABC1D23").
    destaque_fora: str | None = None

    @property
    def mais(self) -> int:
        return max(0, self.contagem - len(self.cartoes))


def nome_curto(placa: str | None, ordem_servico_id: int) -> str:
    """An order as a list of them names it: its plate, or its OS number."""
    return placa or f"OS {ordem_servico_id}"


def nomear_destaque_fora(colunas: list[ColunaTV], item: Mapping[str, Any]) -> None:
    """Names the header's longest wait (`item`) in its column's "+N" when its card was not
    sent."""
    fila_id = str(item["_id"])
    for coluna in colunas:
        if coluna.status == item["status"] and all(c.fila_id != fila_id for c in coluna.cartoes):
            coluna.destaque_fora = nome_curto(item.get("placa"), item["ordem_servico_id"])


@dataclass
class Destaque:
    """The order that has been waiting longest (AGUARDANDO, time in stage, holds excluded)."""

    cartao: CartaoTV
    segundos: float


def cartao(item: Mapping[str, Any], ctx: Contexto, destaque_id: str | None) -> CartaoTV:
    """The board's card (no buttons), plus what the TV needs to tick by itself."""
    c = quadro.cartao(item, ctx)
    if c.invalido:
        return CartaoTV(
            c.fila_id, c.ordem_servico_id, "Dados inválidos", None, "normal", "—", None, None,
            "—", None, 0, 0, "ok", None,
        )  # fmt: skip
    etapa = domain.sub_etapa(item)
    pendente = c.prazo_s is not None and c.previsao_entrega is not None  # ahead, not finished
    return CartaoTV(
        fila_id=c.fila_id,
        ordem_servico_id=c.ordem_servico_id,
        placa=c.placa,
        veiculo=c.veiculo,
        prioridade=c.prioridade.value.lower(),
        rotulo_prioridade=c.rotulo_prioridade,
        mecanico=c.mecanico,
        sub_etapa=labels.SUB_ETAPAS_CURTAS[etapa] if etapa else None,
        tempo_etapa=c.tempo_etapa,
        desde_ms=c.desde_ms,
        atencao_s=c.atencao_s,
        atraso_s=c.atraso_s,
        alerta=c.alerta.value,
        pausa=labels.MOTIVOS_PAUSA_TV[c.pausa["motivo"]] if c.pausa else None,
        mais_antiga=c.fila_id == destaque_id,
        finalizada_as=item["dta_fim_reparo"].astimezone(ctx.fuso).strftime("%H:%M")
        if c.status == Status.FINALIZADA
        else None,
        previsao=quadro.hora_ou_dia(c.previsao.p50, ctx, com_data=False) if c.previsao else None,
        em_risco=bool(c.previsao and c.previsao.em_risco),
        previsao_valida_ms=em_ms(c.previsao.valida_ate)
        if c.previsao and c.previsao.valida_ate
        else None,
        prometida=quadro.hora_ou_dia(c.previsao_entrega, ctx)
        if c.previsao_entrega and (c.entrega_atrasada or pendente)
        else None,
        prometida_ms=em_ms(c.previsao_entrega) if pendente else None,
    )


# Below this, no order has waited long enough to be pointed at on the wall.
ESPERA_MINIMA_DESTAQUE_S = 60


def mais_antiga(
    aguardando: Iterable[Mapping[str, Any]], ctx: Contexto
) -> tuple[Mapping[str, Any], float] | None:
    """Of the orders waiting for a mechanic (FilaQueries.aguardando_ha_mais_tempo: not on
    hold, not waiting for the customer), the one with the most time in stage (holds
    excluded), and that time; a minute at least (a car added a moment ago is no "longest
    wait")."""
    melhor: tuple[Mapping[str, Any], float] | None = None
    for item in aguardando:
        try:
            segundos = stages.tempo_na_etapa(item, ctx.instante)
        except quadro.DADOS_RUINS:
            continue  # shown as an invalid card; never the highlight
        if segundos >= ESPERA_MINIMA_DESTAQUE_S and (melhor is None or segundos > melhor[1]):
            melhor = (item, segundos)
    return melhor
