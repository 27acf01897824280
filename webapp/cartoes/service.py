"""What every render of cards reads besides the cards' own items, the same for the board, the TV,
the indicators and the job card: the context (now, the shop's zone, the viewer's role, the
mechanics' names in one query, the alert limits, whether delivery to the OS service is on, the
open orders' forecasts and their summary, from this process's copy: previsao.cache) and the
active mechanics with their load; the order's page (the order as it is now, and what its
forecast rests on); and
"Prometer": a manager promises the forecast a card showed, only while it is still the
forecast."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from bson import ObjectId

from ..clock import Clock, agora
from ..components import componente
from ..fila import domain
from ..fila.domain import (
    Acao,
    Ator,
    Conflito,
    ErroFila,
    Papel,
    Prioridade,
    Status,
    espera_mecanico,
)
from ..fila.plates import validar_placa
from ..fila.queries import FilaQueries, os_da_busca
from ..fila.service import FilaService
from ..fila.stages import esperas_encerradas, limites_alerta
from ..pessoas.queries import PessoasQueries
from ..previsao.cache import PrevisoesEmMemoria
from ..previsao.queries import NENHUMA, PrevisaoQueries
from ..settings import Settings
from . import cards


def _limites() -> dict[Prioridade, tuple[int, int]]:
    """The shop's stage thresholds (ALERTA_ETAPA): what makes an order late by its stage."""
    return limites_alerta(componente(Settings).alerta_etapa)


def contar_atrasadas() -> int:
    """How many open orders are late now, all of them: the board header's count and the
    indicators' "Atrasadas agora" (one indexed count, never one per card)."""
    return componente(FilaQueries).contar_atrasadas(agora(), _limites())


def proxima_virada() -> datetime | None:
    """The next instant the clock alone changes a board's header or the TV's footer: an order
    turning late (its promise passing, its stage reaching the red threshold), the forecast's
    summary turning "cálculo parado". Their streams send the counts then (sse.transmitir's
    `virada`), not up to a beat later, while the card itself turns late on the screen at the
    second."""
    instantes = (
        componente(PrevisoesEmMemoria).vira_parada_em(),
        componente(FilaQueries).proxima_atrasada(agora(), _limites()),
    )
    return min((i for i in instantes if i is not None), default=None)


class ForaDoQuadro(NamedTuple):
    """What a board search that found nothing names: the order it finished before today
    (`finalizada`), or the OS's last removal from the queue in words (`removida`)."""

    finalizada: dict[str, Any] | None = None
    removida: str | None = None


def fora_do_quadro(q: str, mecanico: int | None = None) -> ForaDoQuadro:
    """The order a board search that found nothing names. Finished before today (the board
    shows the open orders and today's finished ones; imported history too, which has no page):
    by its OS number, or the car's last one by its whole plate. Removed from the queue, by its
    OS number, where the page pointed to the Histórico, which never has it: who removed it,
    when. Under one mechanic's filter (`mecanico`) a plate names none (the car may be on the
    board under another, or none: the page says so, with the search of all orders), nor a
    removal (the page offers the search of all orders); an OS number finished is one order
    anywhere. At most two indexed reads, and the name of who removed it."""
    hoje = componente(Clock).inicio_do_dia()
    fila = componente(FilaQueries)
    numero = os_da_busca(q)
    if numero is None:
        if mecanico is not None:
            return ForaDoQuadro()
        try:
            placa = validar_placa(q)
        except ValueError:
            return ForaDoQuadro()  # part of a plate: the board's own search is all there is
        return ForaDoQuadro(fila.finalizada_por_placa(placa, hoje) if placa else None)
    item = fila.obter_por_os(numero)
    if item is not None:
        # Finished today, it is on the board: a filter (a mechanic's) is what left it out.
        antes = item["status"] == Status.FINALIZADA and item["dta_fim_reparo"] < hoje
        return ForaDoQuadro(item if antes else None)
    copia = fila.removida_por_os(numero) if mecanico is None else None
    if copia is None:
        return ForaDoQuadro()
    autores = componente(PessoasQueries).nomes_por_login([copia.get("removido_por")])
    return ForaDoQuadro(
        removida=cards.removida_por(copia, autores, componente(Clock).fuso, agora())
    )


def quem_fez(item: Mapping[str, Any], acao: Acao | None) -> tuple[str, bool] | None:
    """Who made the change in the way of a refused `acao`, and when, in words (its author's
    name: one query), with whether it was that very step, taken first (domain.tomado_antes);
    None when the history holds none."""
    entrada = domain.causa(item.get("historico") or [], acao)
    if entrada is None:
        return None
    pessoas = componente(PessoasQueries)
    nomes = pessoas.nomes_por_login([entrada.get("por")])
    mecanicos = None
    if entrada.get("acao") == Acao.ATRIBUIR:  # who has it now, by name
        mecanicos = pessoas.nomes_por_funcionario([entrada.get("para")])
    antes = domain.tomado_antes(entrada, acao)
    fuso = componente(Clock).fuso
    return cards.feito(entrada, nomes, fuso, ja=antes, mecanicos=mecanicos), antes


def ja_salvo(
    item: Mapping[str, Any], acao: Acao, ator: Ator, dados: Mapping[str, Any]
) -> str | None:
    """When a refused step is only this person's own step taken before (domain.ja_feito: its
    answer was lost and the tap sent again), that it was saved, in words; else None."""
    entrada = domain.ja_feito(item, acao, ator.id, dados)
    if entrada is None:
        return None
    nomes = componente(PessoasQueries).nomes_por_login([entrada.get("por")])
    return f"Já estava salvo: {cards.feito(entrada, nomes, componente(Clock).fuso)}."


def anuncio(item: Mapping[str, Any]) -> str:
    """The order's last change in words, as the board's status line says it ("Ana atribuiu a
    OS 1003 (PXT7A10) a Marcos."): its author's and mechanic's names read (two queries)."""
    pessoas = componente(PessoasQueries)
    ultimo = (item.get("historico") or [{}])[-1]
    autores = pessoas.nomes_por_login([ultimo.get("por")])
    mecanicos = pessoas.nomes_por_funcionario({item.get("mecanico_responsavel_id")})
    return cards.anuncio(item, autores, mecanicos, componente(Clock).fuso)


def ultima_mudanca(item: Mapping[str, Any]) -> tuple[str, str]:
    """The order's last change: when ("às 18:45"), and who did what, in the status line's
    words (anuncio: "Marcos Mecânico iniciou o diagnóstico da OS 1002 (QOP2F88).")."""
    em = ((item.get("historico") or [{}])[-1]).get("em")
    return (componente(Clock).quando_foi(em) if em else "", anuncio(item))


def remocoes(fila_ids: list[str]) -> dict[str, tuple[dict[str, Any], str]]:
    """The removed orders among `fila_ids` (their archived copies), each with its removal in
    words, "Gabriela Gerente removeu a OS 1004 (SDF3C45) da fila às 15:29": two queries."""
    oids = [ObjectId(i) for i in fila_ids if ObjectId.is_valid(i)]
    copias = componente(FilaQueries).removidas(oids) if oids else {}
    if not copias:
        return {}
    autores = componente(PessoasQueries).nomes_por_login(
        c.get("removido_por") for c in copias.values()
    )
    fuso, instante = componente(Clock).fuso, agora()
    return {str(k): (c, cards.removida_por(c, autores, fuso, instante)) for k, c in copias.items()}


def contexto(
    papel: Papel | None, itens: list[Mapping[str, Any]], *, previsao: bool = False
) -> cards.Contexto:
    """The shared context of a render of `itens`: now, the zone, names (one query), and the
    open orders' forecasts with their summary (one query; `previsao`: read it even without
    an open order, for what the summary alone shows, e.g. the board's header)."""
    settings = componente(Settings)
    ids = {i.get("mecanico_responsavel_id") for i in itens}
    abertas = [i["_id"] for i in itens if i.get("status") != Status.FINALIZADA and "_id" in i]
    return cards.Contexto(
        instante=agora(),
        fuso=componente(Clock).fuso,
        papel=papel,
        nomes=componente(PessoasQueries).nomes_por_funcionario(ids),
        limites_alerta=limites_alerta(settings.alerta_etapa),
        sincronizacao_ligada=bool(settings.url_api_os),
        previsoes=componente(PrevisoesEmMemoria).para(abertas) if abertas or previsao else NENHUMA,
    )


def em_servico() -> list[cards.Mecanico]:
    """The TV's strip: the active mechanics with their load, and whoever else holds work now
    (a manager who works on cars, a mechanic deactivated with cars in hand, a number the OS
    service gave, "Mecânico nº 777"): the floor's whole load. A third read only when there is
    such a number."""
    pessoas = componente(PessoasQueries)
    ativos = pessoas.mecanicos_ativos()
    carga = componente(FilaQueries).carga_mecanicos()
    outros = cards.fora_da_lista(ativos, carga)
    return cards.mecanicos(ativos, carga, pessoas.nomes_por_funcionario(outros) if outros else {})


def ordem_agora(item: Mapping[str, Any], papel: Papel | None) -> dict[str, Any]:
    """What the order's page shows of the order as it is now (the page and its 30-s reads):
    its card, what its forecast rests on, and its history's names and holds (one query each
    for the authors and the mechanics it names)."""
    ctx = contexto(papel, [item], previsao=True)
    c = cards.cartao(item, ctx)
    base = base_da_previsao(item, c, ctx)
    pessoas = componente(PessoasQueries)
    historico = item.get("historico", [])
    trocas = [h for h in historico if h.get("acao") == "atribuir"]
    return {
        "item": item,
        "c": c,
        "previsao": base,
        "leitura_s": cards.leitura_da_pagina_s(c, base, item.get("dta_atualizacao")),
        "autores": pessoas.nomes_por_login({h["por"] for h in historico}),
        "mecanicos": pessoas.nomes_por_funcionario(
            [h.get(k) for h in trocas for k in ("de", "para")]
        ),
        "esperas": esperas_encerradas(historico),
    }


def nome_fora_da_lista(escolhido: int | None, ativos: list[cards.Mecanico]) -> str | None:
    """The name of a filter's number that no active mechanic has (a manager's own, someone
    deactivated since), read only then; None for an active one or a number nobody has."""
    if escolhido is None or any(m.funcionario_id == escolhido for m in ativos):
        return None
    return componente(PessoasQueries).nomes_por_funcionario([escolhido]).get(escolhido)


def base_da_previsao(
    item: Mapping[str, Any], c: cards.Cartao, ctx: cards.Contexto
) -> cards.BaseDaPrevisao | None:
    """What the order's page says the forecast rests on (the history, the mechanics, the
    orders ahead, counted now: one indexed count, only for an order that waits for a mechanic
    and shows a forecast); None for a finished order."""
    if c.finalizada:
        return None
    esperando = espera_mecanico(item) and bool(c.previsao)
    a_frente = componente(FilaQueries).a_frente(item) if esperando else None
    return cards.base_da_previsao(ctx.previsoes.estado, a_frente)


class PrevisaoMudou(ErroFila):
    """The forecast a manager tapped is no longer the forecast: nothing is promised."""


def prometer_previsao(
    fila: FilaService,
    fila_id: str,
    mostrada: datetime,
    ator: Ator,
    visto: domain.Visto | None = None,
) -> Any:
    """The forecast shown ("8 em 10 ficam prontos até 17:10") becomes the order's promise,
    only if it is still the forecast now: a manager never promises a customer a time the
    screen no longer shows. The promise itself is one conditional update of the queue, which
    holds only while the order has the promise the screen showed (`visto`): another manager's
    typed since is not replaced unseen. The forecast is read from the store, not this
    process's copy (previsao.cache): a write acts on what the database says now."""
    item = fila.obter(fila_id)
    if item["status"] == Status.FINALIZADA:
        # Finished since the screen was read (an at-risk list of /indicadores stays as read):
        # the update's own refusal says who finished it and when, not that the forecast moved.
        return fila.adotar_previsao(fila_id, mostrada, ator, visto=visto)
    ctx = contexto(None, [])
    previsoes = componente(PrevisaoQueries).para([item["_id"]])
    atual = cards.previsao_do_cartao(previsoes.de(item["_id"]), ctx)
    if atual is None:
        raise PrevisaoMudou("Esta ordem não tem previsão agora: nada foi prometido.", item)
    if atual.p80 != mostrada:
        raise PrevisaoMudou(
            f"A previsão mudou: 8 em 10 ficam prontos até {atual.ate}. Nada foi prometido; "
            "confira e toque de novo.",
            item,
        )
    return fila.adotar_previsao(fila_id, atual.p80, ator, visto=visto)


class NadaMudou(ErroFila):
    """A typed promise the order already has: nothing to save, and no refusal either."""

    status = 200


def mudar_promessa(
    fila: FilaService,
    fila_id: str,
    promessa: datetime | None,
    ator: Ator,
    visto: domain.Visto | None = None,
) -> Any:
    """A manager's typed promise, or none (FilaService.alterar_promessa; `visto`: the one
    the screen showed). The one the order has already (the form saved unchanged) is said as
    nothing changed, not as a refusal naming whoever set it; the same manager's tap sent
    again is "Já estava salvo", as any."""
    try:
        return fila.alterar_promessa(fila_id, promessa, ator, visto=visto)
    except Conflito as erro:
        atual = erro.item
        if (
            atual is None
            or not domain.tem_a_promessa(atual, promessa)
            or domain.ja_feito(atual, Acao.ALTERAR_PROMESSA, ator.id, {"promessa": promessa})
            is not None
        ):
            raise
        texto = (
            "A entrega prometida já era esta: nada mudou."
            if promessa
            else "A ordem já estava sem entrega prometida: nada mudou."
        )
        raise NadaMudou(texto, atual) from None
