"""The indicators' use cases, shared by the page, the JSON answer and the export: a period's
figures (one aggregation), the late work now (one indexed query), the orders at risk of being
late (their forecasts, then their orders: two queries), both a page at a time, the finished
orders to export (a cursor) and the history imported from such a file (`importar`: read and
checked whole, then written in bulk, all or none). Reads through FilaQueries, PessoasQueries
and PrevisaoQueries; the import writes through FilaRepository."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from ..cartoes import cards
from ..cartoes.service import contexto
from ..clock import Clock, agora, duracao
from ..components import componente
from ..fila import labels
from ..fila.cursors import cursor_por_instante
from ..fila.domain import Papel
from ..fila.queries import FilaQueries
from ..fila.service import FilaService
from ..fila.stages import limiares_s, limites_alerta
from ..pessoas.queries import PessoasQueries
from ..previsao.cache import PrevisoesEmMemoria
from ..previsao.queries import Estado, PrevisaoQueries
from ..previsao.service import Base, PrevisaoService
from ..settings import Settings
from . import export, importer
from .domain import Indicadores, Periodo, montar

GERENTE = Papel.GERENTE  # who reads this page: its cards offer a manager's actions


def hoje() -> date:
    return (componente(Clock).local(agora()) or agora()).date()


def limites(periodo: Periodo) -> tuple[datetime, datetime]:
    """[start of the first day, start of the day after the last) in the shop's zone."""
    relogio = componente(Clock)
    return relogio.dia(periodo.de)[0], relogio.dia(periodo.ate)[1]


def calcular(periodo: Periodo) -> Indicadores:
    de, ate = limites(periodo)
    bruto = componente(FilaQueries).indicadores(de, ate, componente(Settings).fuso_horario)
    ids = {linha["_id"] for linha in bruto.get("por_mecanico", [])}
    return montar(bruto, periodo, componente(PessoasQueries).nomes_por_funcionario(ids))


@dataclass(frozen=True)
class Atrasada:
    """A late order as the board shows it, and why it is late."""

    item: dict
    cartao: cards.Cartao
    limite_s: int  # the priority's red threshold (seconds in a stage)
    por_previsao: bool
    por_etapa: bool

    @property
    def motivos(self) -> list[str]:
        return [m for m, sim in (("previsao_entrega", self.por_previsao),
                                 ("etapa", self.por_etapa)) if sim]  # fmt: skip

    @property
    def limite_texto(self) -> str:
        return duracao(self.limite_s)

    @property
    def etapa(self) -> str:
        c = self.cartao
        return c.sub_etapa or labels.STATUS[c.status]


# The late and at-risk tables show this many rows at once; "Mostrar mais" brings the next ones.
POR_PAGINA = 50


def atrasadas(
    limite: int = POR_PAGINA, depois: str | None = None
) -> tuple[list[Atrasada], str | None]:
    """The open orders late now, oldest first, with the reasons the card would show: `limite`
    of them after the cursor `depois` (FilaQueries.atrasadas), and the cursor of the next
    ones (None: no more). CursorInvalido for a cursor that is not one of ours."""
    limites_ = limites_alerta(componente(Settings).alerta_etapa)
    itens = componente(FilaQueries).atrasadas(agora(), limites_, limite + 1, depois)
    seguinte = None
    if len(itens) > limite:
        itens = itens[:limite]
        seguinte = cursor_por_instante(itens[-1]["dta_criacao"], itens[-1]["_id"])
    ctx = contexto(None, itens)
    resultado = []
    for item in itens:
        cartao = cards.cartao(item, ctx)
        # The card's priority: a stored one the card could not read is shown as such, not a 500.
        limite_s = limiares_s(cartao.prioridade, limites_)[1]
        resultado.append(
            Atrasada(item, cartao, limite_s, cartao.entrega_atrasada, cartao.alerta == "atraso")
        )
    return resultado, seguinte


@dataclass(frozen=True)
class EmRisco:
    """An open order whose forecast passes its promise: its card (the forecast and the
    promise, in the shop's zone), for the top of the page ("avise o cliente agora")."""

    cartao: cards.Cartao

    @property
    def previsao(self) -> cards.PrevisaoCartao:
        assert self.cartao.previsao is not None
        return self.cartao.previsao


def estado_da_previsao() -> Estado | None:
    """The forecast's last recompute as the screens read it (None: never computed): whether
    the orders at risk could be checked at all."""
    return componente(PrevisoesEmMemoria).estado()


def em_risco(depois: str | None = None) -> tuple[list[EmRisco], str | None]:
    """The orders at risk now, the soonest promise first: POR_PAGINA of them after the cursor
    `depois`, and the cursor of the next ones (None: no more). The forecasts flagged (one
    indexed query, one more than shown), their orders (one query), shown as their cards show
    them (so a promise adopted a moment ago, before the next recompute, is no longer listed).
    CursorInvalido for a cursor that is not one of ours."""
    previsoes = componente(PrevisaoQueries).em_risco(POR_PAGINA + 1, depois)
    seguinte = None
    if len(previsoes) > POR_PAGINA:
        previsoes = previsoes[:POR_PAGINA]
        seguinte = cursor_por_instante(previsoes[-1]["promessa"], previsoes[-1]["_id"])
    itens = componente(FilaQueries).obter_varias([p["_id"] for p in previsoes])
    ordenados = [itens[p["_id"]] for p in previsoes if p["_id"] in itens]
    ctx = contexto(GERENTE, ordenados)
    resultado = []
    for item in ordenados:
        cartao = cards.cartao(item, ctx)
        if cartao.previsao is not None and cartao.previsao.em_risco:
            resultado.append(EmRisco(cartao))
    return resultado, seguinte


def exportar(periodo: Periodo) -> Iterator[str]:
    """The CSV of the orders finished in the period, in chunks (read as it is sent)."""
    de, ate = limites(periodo)
    nomes = componente(PessoasQueries).nomes_de_funcionarios()
    documentos = componente(FilaQueries).finalizadas_para_exportar(de, ate)
    return export.csv_em_partes(documentos, nomes, componente(Clock).fuso)


@dataclass(frozen=True)
class Importacao:
    """What an import did, or would do (`verificar`): the file as read (its refusals: then
    nothing is written), the orders written, and those whose OS number was already stored,
    left as they are: imported before, or orders of the board."""

    leitura: importer.Leitura
    importadas: int = 0
    ja_importadas: list[importer.OrdemImportada] = field(default_factory=list)
    no_quadro: list[importer.OrdemImportada] = field(default_factory=list)
    # What the forecast learns from after this import (or would, when only checked), and how
    # many of the file's orders finished before its window (new or already stored).
    previsao: Base | None = None
    fora_da_janela: int = 0
    # The file names no mechanic and the shop lists none: the forecast counts them from the
    # cars in work at once, a car held for parts included (forecast.mecanicos_pelo_historico).
    mecanicos_pelos_carros: bool = False

    @property
    def ja_existiam(self) -> int:
        return len(self.ja_importadas) + len(self.no_quadro)


def importar(linhas: Iterable[str], *, verificar: bool = False) -> Importacao:
    """Finished orders from a CSV (its decoded lines), all or nothing: every line checked
    first; with any refusal nothing is written. Keyed on the OS number: one already stored,
    imported or the board's, is kept as it is (so a second run changes nothing). The orders
    written are marked as imported history (never on the board, the TV, the API's lists, the
    OS service) and the forecast is asked to recompute with them. The write is all or none
    (FilaService.importar_historico)."""
    instante = agora()
    nomes = componente(PessoasQueries).nomes_de_funcionarios()
    previsao = componente(PrevisaoService)
    leitura = importer.ler_arquivo(
        linhas, componente(Clock).fuso, instante, importer.mecanicos_por_nome(nomes),
        previsao.calendario,
    )  # fmt: skip
    if leitura.recusas:
        return Importacao(leitura)
    guardadas = componente(FilaQueries).na_fila(o.ordem_servico_id for o in leitura.ordens)
    novas = [o for o in leitura.ordens if o.ordem_servico_id not in guardadas]
    antes = previsao.base(instante)
    if novas and not verificar:
        componente(FilaService).importar_historico(importer.documento(o, instante) for o in novas)
    # Written or only checked, the window then holds the new orders that finished in it.
    dentro = sum(o.fim >= antes.desde for o in novas)
    depois = replace(antes, ordens=antes.ordens + dentro)
    # Said of the whole file, a second run too: those of its orders that the window leaves out.
    fora = sum(o.fim < antes.desde for o in leitura.ordens)
    sem_nomes = not any(
        o.mecanico_responsavel_id is not None or o.mecanico_desconhecido for o in leitura.ordens
    )
    return Importacao(
        leitura,
        len(novas),
        [o for o in leitura.ordens if guardadas.get(o.ordem_servico_id) is True],
        [o for o in leitura.ordens if guardadas.get(o.ordem_servico_id) is False],
        depois,
        fora,
        sem_nomes and previsao.mecanicos() is None,
    )
