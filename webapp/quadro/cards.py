"""What a card and a column of the board show, built from stored items: pure view models (no
I/O), so the same code serves full pages, htmx answers and pushes, and is tested without a
database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from ..clock import duracao
from ..fila import domain, labels
from ..fila.domain import Acao, Alerta, Papel, Prioridade, Status, SubEtapa
from ..sincronizacao_os import domain as sincronizacao

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
        default_factory=lambda: dict(domain.LIMITES_ALERTA_PADRAO)
    )
    sincronizacao_ligada: bool = True  # URL_API_OS set


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


@dataclass
class Cartao:
    fila_id: str
    ordem_servico_id: int
    status: Status
    prioridade: Prioridade
    rotulo_prioridade: str
    placa: str | None
    veiculo: str | None
    cliente: str | None
    descricao: str | None
    sub_etapa: str | None
    mecanico: str | None
    tempo_etapa: str
    segundos_etapa: float  # holds excluded
    alerta: Alerta
    diagnostico: str | None
    previsao_entrega: datetime | None
    entrega_atrasada: bool
    pausa: dict[str, Any] | None
    tempo_pausa: str | None
    ordem: str  # sort key for the client: priority, then age
    versao: int
    botoes: list[Botao] = field(default_factory=list)
    gerente: bool = False
    pode_pausar: bool = False
    motivos: dict[str, str] = field(default_factory=dict)  # why a drop on a column is refused
    # Delivery to the OS service (sincronizacao_os.domain.resumo, times in the shop's zone);
    # None when the order has no step to tell yet.
    sincronizacao: dict[str, Any] | None = None
    pode_reenviar_os: bool = False


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
    estado = sincronizacao.resumo(item, ctx.sincronizacao_ligada)
    proxima = estado["proxima_tentativa"]
    return {**estado, "proxima_tentativa": proxima.astimezone(ctx.fuso) if proxima else None}


def cartao(item: Mapping[str, Any], ctx: Contexto) -> Cartao:
    instante, papel = ctx.instante, ctx.papel
    prioridade = Prioridade(item["prioridade"])
    segundos = domain.tempo_na_etapa(item, instante)
    etapa = domain.sub_etapa(item)
    pausa = item.get("pausa")
    mecanico_id = item.get("mecanico_responsavel_id")
    previsao = item.get("previsao_entrega")
    finalizada = item["status"] == Status.FINALIZADA
    sinc = _sincronizacao(item, ctx)
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
        mecanico=ctx.nomes.get(mecanico_id, f"Mecânico nº {mecanico_id}") if mecanico_id else None,
        tempo_etapa=duracao(segundos),
        segundos_etapa=segundos,
        alerta=Alerta.OK if finalizada else domain.alerta(segundos, prioridade, ctx.limites_alerta),
        diagnostico=_resumo(item.get("diagnostico")),
        previsao_entrega=previsao.astimezone(ctx.fuso) if previsao else None,
        entrega_atrasada=bool(previsao and not finalizada and previsao < instante),
        pausa=({**pausa, "rotulo": labels.MOTIVOS_PAUSA[pausa["motivo"]]} if pausa else None),
        tempo_pausa=duracao((instante - pausa["desde"]).total_seconds()) if pausa else None,
        ordem=f"{prioridade.ordem:02d}-{int(item['dta_criacao'].timestamp() * 1000):015d}",
        versao=item.get("versao", 1),
        botoes=_botoes(item, papel) if papel else [],
        gerente=bool(papel and domain.pode(papel, Acao.ALTERAR_PRIORIDADE)) and not finalizada,
        pode_pausar=bool(papel) and not finalizada,
        motivos={
            str(s): motivo
            for s in COLUNAS
            if papel
            and s != item["status"]
            and (motivo := domain.motivo_para_mover(item, papel, s)) is not None
        },
        sincronizacao=sinc,
        pode_reenviar_os=bool(
            papel and sinc and sinc["status"] == "falhou" and domain.pode(papel, Acao.REENVIAR_OS)
        ),
    )


@dataclass
class Coluna:
    status: Status
    cartoes: list[Cartao]
    contagem: int
    limite: int | None

    @property
    def titulo(self) -> str:
        return labels.COLUNAS[self.status]

    @property
    def acima_do_limite(self) -> bool:
        return self.limite is not None and self.contagem > self.limite


def colunas(
    itens: list[Mapping[str, Any]],
    ctx: Contexto,
    contagens: Mapping[str, int],
    limites: Mapping[str, int | None],
) -> list[Coluna]:
    """The board's columns: each item's card in its status's column, in the given order."""
    por_status: dict[str, list[Cartao]] = {s: [] for s in COLUNAS}
    for item in itens:
        por_status[item["status"]].append(cartao(item, ctx))
    return [Coluna(s, por_status[s], contagens.get(s, 0), limites.get(s)) for s in COLUNAS]


def anuncio(item: Mapping[str, Any] | None, ordem_servico_id: int | None = None) -> str:
    """What a screen reader hears after a change (the card's new column)."""
    if item is None:
        return f"OS {ordem_servico_id} removida da fila." if ordem_servico_id else ""
    texto = f"OS {item['ordem_servico_id']}"
    if item.get("placa"):
        texto += f" ({item['placa']})"
    return f"{texto}: {labels.COLUNAS[item['status']].lower()}."
