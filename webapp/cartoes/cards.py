"""What a card and a column of the board show, built from stored items: pure view models (no
I/O), so the same code serves full pages, htmx answers and pushes, and is tested without a
database."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cached_property
from typing import Any, Generic, TypeVar

from ..clock import dia_e_hora, duracao, em_ms, quando_foi
from ..clock import hora_ou_dia as _hora_ou_dia
from ..fila import domain, labels, outbox, stages
from ..fila.domain import Acao, Papel, Prioridade, Status, SubEtapa
from ..fila.stages import Alerta
from ..previsao.domain import FORA_DO_HORARIO, PARADA, SEM_HISTORICO, SEM_MECANICOS
from ..previsao.queries import NENHUMA, Estado, Previsoes
from ..text import milhares

log = logging.getLogger(__name__)
C = TypeVar("C")  # the card of a column

COLUNAS = tuple(Status)

# URL slug of each step (the board's form actions; the JSON API's paths use the same words).
SLUGS = {acao: acao.value.replace("_", "-") for acao in domain.PASSOS}
ACOES_POR_SLUG = {slug: acao for acao, slug in SLUGS.items()}


@dataclass(frozen=True)
class Contexto:
    """What every card of one render shares: the moment, the viewer, names and settings."""

    instante: datetime
    fuso: tzinfo
    papel: Papel | None = None  # None: nobody acts (TV, history)
    nomes: Mapping[int, str] = field(default_factory=dict)  # funcionario_id -> name
    limites_alerta: Mapping[Prioridade, tuple[int, int]] = field(
        default_factory=lambda: dict(stages.LIMITES_ALERTA_PADRAO)
    )
    sincronizacao_ligada: bool = True  # URL_API_OS set
    # The forecasts of the render's orders and the last recompute's summary (one read).
    previsoes: Previsoes = NENHUMA

    @cached_property
    def hoje(self) -> date:
        """Today in the shop's zone, worked out once per render (each forecast's time asks)."""
        return self.instante.astimezone(self.fuso).date()


@dataclass
class Botao:
    acao: str  # slug
    rotulo: str
    para: Status  # the column the step leads to (drag and drop targets)
    campo_texto: str | None = None  # opens an inline form with this text field
    texto_obrigatorio: bool = False
    motivo_bloqueio: str | None = None  # shown disabled with this reason

    @property
    def formulario(self) -> bool:
        return self.campo_texto is not None


# Forecast times as people repeat them: p50 "~15:40" to the nearest 5 minutes, p80 "até 17:10"
# rounded up (8 in 10 are ready by then: never earlier than the forecast says).
ARREDONDAR = timedelta(minutes=5)


def arredondar(instante: datetime, para_cima: bool = False) -> datetime:
    """An instant on the 5-minute grid: the nearest, or the next (`para_cima`)."""
    passo = ARREDONDAR.total_seconds()
    segundos = instante.timestamp() / passo
    inteiro = math.ceil(segundos - 1e-9) if para_cima else round(segundos)
    return datetime.fromtimestamp(inteiro * passo, instante.tzinfo or UTC)


def hora_ou_dia(instante: datetime, ctx: Contexto, com_data: bool = True) -> str:
    """A forecast time in the shop's zone, on the render's today (clock.hora_ou_dia): "15:40"
    today, "amanhã 09:15", "qua 09/12 09:15" another day ("qua 09:15" without `com_data`)."""
    return _hora_ou_dia(instante, ctx.fuso, ctx.hoje, com_data)


@dataclass(frozen=True)
class PrevisaoCartao:
    """An order's forecast as a card and its page show it: "pronto ~15:40" (p50), "8 em 10
    ficam prontos até 17:10" (p80), and whether it is at risk of missing its promise (its p80
    passes it), with the promise a manager can adopt in one tap (the p80 as shown)."""

    p50: datetime  # rounded, in the shop's zone
    p80: datetime  # rounded up, in the shop's zone
    pronto: str  # "15:40", "amanhã 09:15" (with the p80 on another day: "hoje 15:40")
    ate: str
    em_risco: bool
    atraso: str | None  # at risk: how far the p80 passes the promise ("1 h 20 min")
    chance_atraso: float  # the share of the simulated runs that finish after the promise
    # When it can no longer be current: its p50 passed by as long as the recompute may stay
    # away (a running one would have moved it later by then). A screen left open hides it
    # then (quadro-relogio.js, painel-relogio.js): a stopped recompute pushes nothing. None:
    # no summary to tell.
    valida_ate: datetime | None = None
    validade_s: float | None = None  # seconds from this render until valida_ate
    promessa_passou: bool = False  # the order is late: the customer waits for a new promise
    # `chance_atraso` is the chance of missing the order's promise as it is now (ahead): the
    # order's page says it even when not at risk ("8 em 10 até 17:15" beside a promise of
    # 17:10 is a chance of 22 %, within what the flag tolerates).
    chance_da_promessa: bool = False
    # The order has a promise ahead that no recompute has measured yet (just typed or adopted):
    # its risk and chance come with the next one, seconds away; until then nothing is said of
    # them as if known.
    promessa_a_medir: bool = False
    # The promise this forecast is shown beside (the order's; pushed alone, the one it was
    # computed against): "Prometer" holds only while the order still has it.
    promessa: datetime | None = None
    # The p50 said alone (a card without its p80 beside it; the TV says it shorter,
    # painel.cards): with its day only when not today ("pronto ~07/12 15:30" on the 7th read
    # as another day).
    pronto_sozinho: str = ""

    @property
    def oferece_prometer(self) -> bool:
        """Whether the card offers this forecast as the promise (to a manager): at risk, or
        late, when a new promise is what the customer needs (a late order is no longer "at
        risk", and the button went just then)."""
        return self.em_risco or self.promessa_passou

    @property
    def chance_pct(self) -> int:
        """The chance of missing the promise as the screens say it: "chance de 48 %"."""
        return round(self.chance_atraso * 100)

    @property
    def chance_numero(self) -> str:
        """The chance's number before its " %": "22", "menos de 1" (never "0 %": no run, or a
        handful, missed it) or "mais de 99"."""
        if not self.chance_pct:
            return "menos de 1"
        # Nor "100 %": a few hundred simulated runs, not a certainty.
        return "mais de 99" if self.chance_pct >= 100 else str(self.chance_pct)

    @property
    def prometer(self) -> str:
        """The new promise a manager adopts, as the adopting form sends it."""
        return self.p80.astimezone(UTC).isoformat()

    @property
    def promessa_vista(self) -> str:
        """The promise shown beside it, as the adopting form sends it (quadro.forms.
        PromessaVista: 0 when none)."""
        return self.promessa.isoformat() if self.promessa else "0"


def previsao_do_cartao(
    documento: Mapping[str, Any] | None, ctx: Contexto, item: Mapping[str, Any] | None = None
) -> PrevisaoCartao | None:
    """A stored forecast (previsao.repository.documento) as a card shows it. The risk holds
    only against the promise it was computed for, still ahead: `item` (the order now), when
    given, must still have that promise (one just adopted clears the risk at once); a promise
    already passed is late, not at risk. Without `item` (a forecast pushed alone), the stored
    promise is the order's."""
    if documento is None:
        return None
    p50 = arredondar(documento["p50"]).astimezone(ctx.fuso)
    p80 = arredondar(documento["p80"], para_cima=True).astimezone(ctx.fuso)
    guardada = documento.get("promessa")
    atual = guardada if item is None else item.get("previsao_entrega")
    # The stored risk and chance were measured against this very promise, still ahead.
    da_promessa = guardada is not None and atual == guardada and guardada > ctx.instante
    em_risco = bool(documento.get("em_risco")) and da_promessa
    estado = ctx.previsoes.estado
    valida_ate = None
    if estado is not None and estado.parada_s is not None:
        valida_ate = documento["p50"] + timedelta(seconds=estado.parada_s)
    return PrevisaoCartao(
        p50=p50,
        p80=p80,
        # Both with their day when the p80 has one: "até amanhã 06:50; metade até ~20:20",
        # repeated to a customer, put the 20:20 on the next day too ("~hoje 20:20").
        pronto=dia_e_hora(p50, ctx.fuso, ctx.hoje)
        if p80.date() != ctx.hoje
        else hora_ou_dia(p50, ctx),
        ate=hora_ou_dia(p80, ctx),
        em_risco=em_risco,
        atraso=duracao((p80 - guardada).total_seconds()) if em_risco else None,
        chance_atraso=float(documento.get("chance_atraso") or 0.0),
        valida_ate=valida_ate,
        validade_s=(valida_ate - ctx.instante).total_seconds() if valida_ate else None,
        promessa_passou=atual is not None and atual <= ctx.instante,
        chance_da_promessa=da_promessa,
        promessa_a_medir=atual is not None and atual != guardada and atual > ctx.instante,
        promessa=atual,
        pronto_sozinho=hora_ou_dia(p50, ctx),
    )


@dataclass(frozen=True)
class BaseDaPrevisao:
    """What an order's forecast rests on, in words, for its page: "412 ordens finalizadas nos
    últimos 90 dias, 3 mecânicos, 7 ordens à frente"; or why there is none (`motivo`)."""

    motivo: str | None
    texto: str
    calculada_em: datetime | None
    parada: bool = False  # the recompute stopped: when it last ran is said


# How often an open order's page re-reads itself (quadro/_detalhe_agora.html); sooner while
# what it says comes "em instantes": the forecast of an order just added (the advisor at the
# counter, the customer waiting for a time) or the chance of a promise just made.
LEITURA_PAGINA_S = 30
LEITURA_A_CAMINHO_S = 5


def leitura_da_pagina_s(c: Cartao, base: BaseDaPrevisao | None, mudou_em: datetime | None) -> int:
    """Seconds until the order's page reads itself again: LEITURA_A_CAMINHO_S only while the
    order changed after the last recompute (`mudou_em`: its dta_atualizacao), so the next one
    brings what is missing; a forecast the recompute left out, or none running, is no reason
    to read six times as often all shift."""
    falta = c.previsao is None or c.previsao.promessa_a_medir
    a_caminho = (
        falta
        and base is not None
        and base.motivo is None
        and base.calculada_em is not None
        and mudou_em is not None
        and base.calculada_em <= mudou_em
    )
    return LEITURA_A_CAMINHO_S if a_caminho else LEITURA_PAGINA_S


def base_da_previsao(estado: Estado | None, a_frente: int | None) -> BaseDaPrevisao:
    """From the last recompute's summary and the orders waiting ahead now (None: it does not
    wait for a mechanic); before the first recompute, no text at all."""
    if estado is None:
        return BaseDaPrevisao(None, "", None)
    partes = [
        labels.quantos(
            estado.base_ordens, "ordem finalizada", "ordens finalizadas", "nenhuma ordem finalizada"
        )
        + f" nos últimos {estado.janela_dias} dias"
    ]
    if estado.motivo == SEM_HISTORICO:
        minimo = estado.historico_minimo
        partes[0] += f"; {'é necessária' if minimo == 1 else 'são necessárias'} pelo menos {minimo}"
    elif estado.motivo == SEM_MECANICOS:
        partes = ["a previsão volta quando houver um mecânico ativo em Pessoas"]
    elif estado.motivo == FORA_DO_HORARIO:
        partes = [
            "os diagnósticos e reparos das ordens finalizadas caem quase todos fora do horário "
            "configurado; confira HORARIO_FUNCIONAMENTO e FERIADOS (avise quem cuida do sistema)"
        ]
    elif estado.motivo == PARADA:
        partes = [
            "nenhum horário é mostrado até ela ser calculada de novo (avise quem cuida do sistema)"
        ]
    else:
        partes.append(labels.quantos(estado.mecanicos, "mecânico", "mecânicos", "nenhum mecânico"))
    if a_frente is not None and not estado.motivo:
        partes.append(
            labels.quantos(a_frente, "ordem à frente", "ordens à frente", "nenhuma ordem à frente")
        )
    return BaseDaPrevisao(
        estado.motivo, ", ".join(partes), estado.calculada_em, estado.motivo == PARADA
    )


@dataclass(frozen=True)
class LinhaPrevisao:
    """A card's forecast line pushed alone (quadro/_previsao.html): what it needs of a card."""

    fila_id: str
    previsao: PrevisaoCartao | None
    pode_prometer: bool
    ordem_servico_id: int | None = None  # names "Prometer" for a screen reader


@dataclass
class Cartao:
    fila_id: str
    ordem_servico_id: int
    status: Status
    prioridade: Prioridade = Prioridade.NORMAL
    rotulo_prioridade: str = "—"
    placa: str | None = None
    veiculo: str | None = None
    tempo_etapa: str = "—"
    cliente: str | None = None
    descricao: str | None = None
    segundos_etapa: float = 0.0  # holds excluded
    # For the screens' own ticking between pushes: when the stage's clock started, holds
    # excluded, in epoch ms (painel-relogio.js; None: on hold or finished, it does not move),
    # the priority's amber and red thresholds, and the seconds until the promise (None: none,
    # passed, or finished; quadro-relogio.js counts from the render, whatever the tablet's
    # clock says).
    desde_ms: int | None = None
    atencao_s: int = 0
    atraso_s: int = 0
    prazo_s: int | None = None
    sub_etapa: str | None = None
    mecanico: str | None = None
    mecanico_id: int | None = None
    alerta: Alerta = Alerta.OK
    diagnostico: str | None = None
    previsao_entrega: datetime | None = None
    entrega_atrasada: bool = False  # open, past its promise
    entregue_depois: bool = False  # finished after its promise (as /indicadores counts it)
    pausa: dict[str, Any] | None = None
    tempo_pausa: str | None = None
    segundos_pausa: float = 0.0  # on hold for this long (quadro-relogio.js ticks it on)
    ordem: str = "~"  # the column's sort key, as text (the client inserts pushed cards by it)
    versao: int = 0
    botoes: list[Botao] = field(default_factory=list)
    gerente: bool = False
    pode_pausar: bool = False
    finalizada: bool = False
    tempo_total: str | None = None  # finished orders: creation to the end of the repair
    fim: datetime | None = None  # finished orders: the end of the repair, in the shop's zone
    invalido: bool = False  # its stored data cannot be shown (cartao_invalido)
    # Delivery to the OS service (fila.outbox.resumo, times in the shop's zone);
    # None when the order has no step to tell yet.
    sincronizacao: dict[str, Any] | None = None
    pode_reenviar_os: bool = False
    # Its forecast (None: finished, none yet, or no honest number), and whether this viewer
    # may make it the new promise.
    previsao: PrevisaoCartao | None = None
    pode_prometer: bool = False

    @property
    def primario(self) -> Botao | None:
        """The one step the card itself offers (the others are behind "Mais…")."""
        return next((b for b in self.botoes if b.motivo_bloqueio is None), None)

    @property
    def rotulo_os(self) -> str:
        """ "OS 1003 (PXT7A10)": the order named where its card may not be in view."""
        return rotulo_os({"ordem_servico_id": self.ordem_servico_id, "placa": self.placa})

    @property
    def situacao(self) -> str:
        """Where the order stands, in one phrase: its sub-stage ("Aguardando diagnóstico"), or
        its column's word."""
        return self.sub_etapa or labels.palavra(self.status)

    @property
    def prometer_na_pagina(self) -> bool:
        """Whether the order's page offers its forecast as the promise: to make one, or a later
        one; never to bring a promise it keeps earlier (the card offers it at risk or late:
        PrevisaoCartao.oferece_prometer)."""
        p = self.previsao
        return bool(
            self.pode_prometer
            and p
            and (self.previsao_entrega is None or p.p80 > self.previsao_entrega)
        )

    @property
    def tem_mais(self) -> bool:
        return len(self.botoes) > 1 or self.pode_pausar or self.gerente or self.pode_reenviar_os


def _resumo(texto: str | None, limite: int = 120) -> str | None:
    if not texto:
        return None
    return texto if len(texto) <= limite else texto[: limite - 1].rstrip() + "…"


def _botao(passo: domain.Passo, motivo_bloqueio: str | None = None) -> Botao:
    return Botao(
        SLUGS[passo.acao],
        labels.PASSOS[passo.acao],
        passo.para,
        passo.campo_texto,
        passo.texto_obrigatorio,
        motivo_bloqueio,
    )


def _botoes(item: Mapping[str, Any], papel: Papel) -> list[Botao]:
    botoes = [_botao(p) for p in domain.passos_permitidos(item, papel)]
    if domain.sub_etapa(item) is SubEtapa.AGUARDANDO_APROVACAO:
        reparo = domain.PASSOS[Acao.INICIAR_REPARO]
        botoes.append(_botao(reparo, "Aguardando a aprovação do orçamento"))
    return botoes


def _sincronizacao(item: Mapping[str, Any], ctx: Contexto) -> dict[str, Any] | None:
    if not item.get("eventos_os"):
        return None
    estado = outbox.resumo(item, ctx.sincronizacao_ligada)
    proxima = estado["proxima_tentativa"]
    estado["proxima_tentativa"] = proxima.astimezone(ctx.fuso) if proxima else None
    texto = _texto_sincronizacao(estado, ctx.papel)
    return {**estado, "texto": texto, "progresso": outbox.progresso(item)}


def _texto_sincronizacao(estado: Mapping[str, Any], papel: Papel | None) -> str:
    """The OS service's side in words: "envio pendente (2 tentativas, próxima às 10:32)". Why
    it was refused is for whoever can send it again (a manager); the others are told whom to
    tell."""
    texto = labels.SINCRONIZACAO[estado["status"]]
    if estado["status"] == "pendente" and estado["tentativas"]:
        proxima = estado["proxima_tentativa"]
        texto += f" ({labels.quantos(estado['tentativas'], 'tentativa', 'tentativas', '')}"
        texto += f", próxima às {proxima:%H:%M})" if proxima else ")"
    elif estado["status"] == "falhou":
        if papel and domain.pode(papel, Acao.REENVIAR_OS):
            texto += f" — {estado['ultimo_erro']}"
        else:
            texto += " (avise o gerente)"
    return texto


def ordem(item: Mapping[str, Any]) -> str:
    """The card's place in its column as text that sorts exactly like the column's query
    (repository.ORDEM_FILA, queries.MAIS_RECENTES): open columns by priority, then age, then
    `_id`; the finished one most recent first, then `_id` descending. Orders created in the
    same millisecond still get distinct keys, in the server's order. Compact (25 characters:
    it is on every card), in an alphabet whose characters sort as their bytes do; a card that
    cannot be shown sorts last ("~")."""
    oid = getattr(item.get("_id"), "binary", None) or bytes(12)  # an ObjectId's 12 bytes
    if item["status"] == Status.FINALIZADA and item.get("dta_fim_reparo"):
        ms = _MS_MAXIMO - em_ms(item["dta_fim_reparo"])
        oid = bytes(b ^ 0xFF for b in oid)  # descending _id as an ascending text
        return _texto_ordenado(ms.to_bytes(6, "big") + oid)
    prioridade = Prioridade(item["prioridade"]).ordem
    ms = em_ms(item["dta_criacao"])
    return f"{prioridade}{_texto_ordenado(ms.to_bytes(6, 'big') + oid)}"


# 64 characters in byte order: a text of them compares like the bytes it encodes (JavaScript
# compares strings by code unit, as Python does).
_ORDENADO = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
_MS_MAXIMO = 2**48 - 1  # milliseconds in six bytes: past the year 10,000


def _texto_ordenado(dados: bytes) -> str:
    """Bytes (a multiple of three) as text that sorts as they do, 6 bits a character."""
    numero, bits = int.from_bytes(dados, "big"), len(dados) * 8
    return "".join(_ORDENADO[(numero >> d) & 63] for d in range(bits - 6, -1, -6))


# What a stored value that cannot be shown raises (a date out of range, a missing or unknown
# field): that card shows as such, and the page around it still works for everyone.
DADOS_RUINS = (OverflowError, ValueError, KeyError, TypeError, AttributeError)


def cartao(item: Mapping[str, Any], ctx: Contexto) -> Cartao:
    try:
        return _cartao(item, ctx)
    except DADOS_RUINS:
        log.exception("cartão com dados inválidos", extra={"fila_id": str(item.get("_id"))})
        return cartao_invalido(item)


def cartao_invalido(item: Mapping[str, Any]) -> Cartao:
    """A card whose stored data cannot be shown: its id and OS, and a message."""
    status = item.get("status") if item.get("status") in Status.__members__ else "AGUARDANDO"
    return Cartao(
        str(item.get("_id")), item.get("ordem_servico_id") or 0, Status(status), invalido=True
    )


def _cartao(item: Mapping[str, Any], ctx: Contexto) -> Cartao:
    instante, papel = ctx.instante, ctx.papel
    prioridade = Prioridade(item["prioridade"])
    segundos = stages.tempo_na_etapa(item, instante)
    etapa = domain.sub_etapa(item)
    pausa = item.get("pausa")
    em_pausa = max(0.0, (instante - pausa["desde"]).total_seconds()) if pausa else 0.0
    mecanico_id = item.get("mecanico_responsavel_id")
    finalizada = item["status"] == Status.FINALIZADA
    # Finished: the promise it is measured against, as /indicadores counts it.
    previsao = domain.promessa_medida(item) if finalizada else item.get("previsao_entrega")
    fim = item.get("dta_fim_reparo") if finalizada else None
    sinc = _sincronizacao(item, ctx)
    limiares = stages.limiares_s(prioridade, ctx.limites_alerta)
    return Cartao(
        fila_id=str(item["_id"]),
        ordem_servico_id=item["ordem_servico_id"],
        status=Status(item["status"]),
        prioridade=prioridade,
        rotulo_prioridade=labels.PRIORIDADES[prioridade],
        placa=item.get("placa"),
        veiculo=item.get("veiculo"),
        cliente=item.get("cliente"),
        descricao=_resumo(item.get("descricao"), 90),
        sub_etapa=labels.SUB_ETAPAS[etapa] if etapa else None,
        mecanico=labels.mecanico(mecanico_id, ctx.nomes) if mecanico_id else None,
        mecanico_id=mecanico_id,
        tempo_etapa=duracao(segundos),
        segundos_etapa=segundos,
        desde_ms=None if pausa or finalizada else int((instante.timestamp() - segundos) * 1000),
        atencao_s=limiares[0],
        atraso_s=limiares[1],
        prazo_s=int((previsao - instante).total_seconds())
        if previsao and not finalizada and previsao > instante
        else None,
        alerta=Alerta.OK if finalizada else stages.alerta(segundos, prioridade, ctx.limites_alerta),
        diagnostico=_resumo(item.get("diagnostico")),
        previsao_entrega=previsao.astimezone(ctx.fuso) if previsao else None,
        entrega_atrasada=bool(previsao and not finalizada and previsao < instante),
        entregue_depois=bool(previsao and fim and fim > previsao),
        pausa=({**pausa, "rotulo": labels.MOTIVOS_PAUSA[pausa["motivo"]]} if pausa else None),
        tempo_pausa=duracao(em_pausa) if pausa else None,
        segundos_pausa=em_pausa,
        ordem=ordem(item),
        versao=item.get("versao", 1),
        botoes=_botoes(item, papel) if papel else [],
        gerente=bool(papel and domain.pode(papel, Acao.ALTERAR_PRIORIDADE)) and not finalizada,
        pode_pausar=bool(papel and domain.pode(papel, Acao.PAUSAR)) and not finalizada,
        finalizada=finalizada,
        tempo_total=duracao((fim - item["dta_criacao"]).total_seconds()) if fim else None,
        fim=fim.astimezone(ctx.fuso) if fim else None,
        sincronizacao=sinc,
        pode_reenviar_os=bool(
            papel and sinc and sinc["status"] == "falhou" and domain.pode(papel, Acao.REENVIAR_OS)
        ),
        previsao=None
        if finalizada
        else previsao_do_cartao(ctx.previsoes.de(item["_id"]), ctx, item),
        pode_prometer=pode_prometer(papel) and not finalizada,
    )


def pode_prometer(papel: Papel | None) -> bool:
    """Whether this viewer may make a forecast the new promise (a manager)."""
    return bool(papel and domain.pode(papel, Acao.ADOTAR_PREVISAO))


@dataclass
class Coluna(Generic[C]):
    """A column of cards: the board's (`Coluna[Cartao]`) and the TV's (painel.cards)."""

    status: Status
    cartoes: list[C]
    contagem: int
    limite: int | None
    mais_depois: str | None = None  # the cursor of the next page, when there is one
    mostrados: int | None = None  # cards already on the page before these (next pages)
    # With a filter on, `contagem` counts what the filter shows and `total` the whole column
    # (shown as "3 de 6"); None without a filter.
    total: int | None = None

    @property
    def titulo(self) -> str:
        return labels.COLUNAS[self.status]

    @property
    def filtrada(self) -> bool:
        return self.total is not None

    @property
    def acima_do_limite(self) -> bool:
        """The column's soft limit is about the whole column's load, whatever the filter."""
        carga = self.contagem if self.total is None else self.total
        return self.limite is not None and carga > self.limite


def colunas(
    paginas: Mapping[str, tuple[list[Mapping[str, Any]], str | None]],
    ctx: Contexto,
    contagens: Mapping[str, tuple[int, int | None]],
    limites: Mapping[str, int | None],
) -> list[Coluna[Cartao]]:
    """The board's columns from each column's first page (items, next page's cursor)."""
    return [
        Coluna(
            s,
            [cartao(i, ctx) for i in paginas[s][0]],
            contagens.get(s, (0, None))[0],
            limites.get(s),
            paginas[s][1],
            total=contagens.get(s, (0, None))[1],
        )
        for s in COLUNAS
    ]


@dataclass(frozen=True)
class Mecanico:
    """A mechanic and the orders they have in diagnosis or repair now (their load): an active
    one, or (`ativo` False) whoever else holds work now (mecanicos' `outros`)."""

    funcionario_id: int
    nome: str
    carga: int
    curto: str  # the first name, or the whole name when two share it (the TV's strip)
    login: str  # who the manager means by the number (an assignment checks it is still theirs)
    ativo: bool = True

    @property
    def rotulo(self) -> str:
        return f"{self.nome} — {self.carga} em serviço"


def mecanicos(
    ativos: Iterable[tuple[int, str, str]],
    carga: Mapping[int, int],
    outros: Mapping[int, str] | None = None,
) -> list[Mecanico]:
    """The active mechanics with their loads; then (`outros`: number -> name, the TV's strip)
    whoever else holds work now, by name, or "Mecânico nº 7" for a number no one here has (the
    OS service's)."""
    ativos = list(ativos)
    primeiros = [nome.split()[0] if nome.split() else nome for _, nome, _ in ativos]
    lista = [
        Mecanico(i, nome, carga.get(i, 0), curto if primeiros.count(curto) == 1 else nome, login)
        for (i, nome, login), curto in zip(ativos, primeiros, strict=True)
    ]
    if outros is None:
        return lista
    for numero in fora_da_lista(ativos, carga):
        nome = labels.mecanico(numero, outros)
        primeiro = nome.split()[0] if numero in outros else nome
        curto = primeiro if primeiro not in primeiros else nome
        lista.append(Mecanico(numero, nome, carga[numero], curto, "", ativo=False))
        primeiros.append(primeiro)
    return lista


def fora_da_lista(ativos: Iterable[tuple[int, str, str]], carga: Mapping[int, int]) -> list[int]:
    """The numbers that hold work now and are no active mechanic's, in order."""
    conhecidos = {i for i, _, _ in ativos}
    return sorted(n for n, q in carga.items() if q and n not in conhecidos)


def rotulo_os(item: Mapping[str, Any]) -> str:
    """An order as people name it: "OS 1003 (PXT7A10)", or "OS 1003" without a plate."""
    return f"OS {item['ordem_servico_id']}" + (f" ({item['placa']})" if item.get("placa") else "")


def anuncio(
    item: Mapping[str, Any] | None,
    autores: Mapping[str, str],
    mecanicos: Mapping[int, str],
    fuso: tzinfo | None = None,
) -> str:
    """What the status line says (and a screen reader hears) after a change: who did what to
    which order, "Ana atribuiu a OS 1003 (PXT7A10) a Marcos." (`autores`: login -> name;
    `mecanicos`: funcionario_id -> name; `fuso`: the shop's, for a promised time). A removed
    order (None) has its own words (removida_por, from its archived copy)."""
    if item is None:
        return ""
    os_ = rotulo_os(item)
    ultimo = (item.get("historico") or [{}])[-1]
    acao, para = ultimo.get("acao", ""), ultimo.get("para")
    if acao not in labels.FRASES:
        return f"{os_}: {labels.COLUNAS[item['status']].lower()}."
    if acao == Acao.ALTERAR_PRIORIDADE:
        para = labels.PRIORIDADES.get(para, str(para)).lower()
    elif acao == Acao.PAUSAR:
        para = labels.MOTIVOS_PAUSA.get(para, str(para)).lower()
    elif acao == Acao.ATRIBUIR:
        para = mecanicos.get(para, f"mecânico nº {para}")
    elif acao in domain.PROMESSAS and isinstance(para, datetime):
        para = dia_e_hora(para, fuso)
    quem = labels.autor(ultimo.get("por"), autores, inicio=True)
    frase = labels.PROMESSA_TIRADA if acao in domain.PROMESSAS and para is None else None
    return (frase or labels.FRASES[acao]).format(quem=quem, os=os_, para=para) + "."


def removida_por(
    copia: Mapping[str, Any], autores: Mapping[str, str], fuso: tzinfo, agora: datetime
) -> str:
    """A removal in words, from the archived copy: "Gabriela Gerente removeu a OS 1004
    (SDF3C45) da fila às 15:29", with its day when not today ("em 03/12 às 15:29": the QR of
    a job card printed days before). `autores`: login -> name."""
    quem = labels.autor(copia.get("removido_por"), autores, inicio=True)
    quando = quando_foi(copia["removido_em"], fuso, agora.astimezone(fuso).date())
    return f"{quem} removeu a {rotulo_os(copia)} da fila {quando}"


def adicionada(ordem_servico_id: int) -> str:
    return f"OS {ordem_servico_id} adicionada à fila."


def quantas_finalizadas(n: int, maximo: int) -> str:
    """A count of finished orders made only up to `maximo`: "Mais de 1.000" past it."""
    if n > maximo:
        return f"Mais de {milhares(maximo)} ordens finalizadas"
    return labels.quantos(n, "ordem finalizada", "ordens finalizadas", "Nenhuma ordem finalizada")


def quem_fez(
    item: Mapping[str, Any],
    nomes: Mapping[str, str],
    fuso: tzinfo,
    acao: Acao | None = None,
    mecanicos: Mapping[int, str] | None = None,
) -> str | None:
    """The change in the way of a refused `acao` in words (domain.causa; any: the last):
    "Marcos iniciou o diagnóstico às 10:32" (who was faster, and when); "Marcos já iniciou o
    reparo às 10:32" when it was this very step of the workflow, taken first."""
    entrada = domain.causa(item.get("historico") or [], acao)
    if entrada is None:
        return None
    return feito(entrada, nomes, fuso, ja=domain.tomado_antes(entrada, acao), mecanicos=mecanicos)


def feito(
    entrada: Mapping[str, Any],
    nomes: Mapping[str, str],
    fuso: tzinfo,
    ja: bool = False,
    mecanicos: Mapping[int, str] | None = None,
) -> str:
    """One history entry in words: who did what, at what time (`ja`: "já" before it, the
    same action someone took first). A priority or a mechanic set says which, so a refusal
    shows at once what the order has now (`mecanicos`: funcionario_id -> name)."""
    quem = labels.autor(entrada.get("por"), nomes)
    acao = labels.ACOES.get(entrada.get("acao"), entrada.get("acao", ""))
    if ja:
        acao = f"já {acao}"
    para = entrada.get("para")
    if entrada.get("acao") == Acao.ALTERAR_PRIORIDADE and para:
        acao += f" para {labels.palavra(para).lower()}"
    elif entrada.get("acao") in domain.PROMESSAS and isinstance(para, datetime):
        acao += f" para {dia_e_hora(para, fuso)}"
    elif entrada.get("acao") == Acao.ATRIBUIR and isinstance(para, int) and mecanicos is not None:
        acao = labels.ATRIBUIU_A.format(para=labels.mecanico(para, mecanicos))
    return f"{quem} {acao} {quando_foi(entrada['em'], fuso)}"
