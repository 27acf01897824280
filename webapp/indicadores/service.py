"""The indicators' use cases, shared by the page, the JSON answer and the export: a period's
figures (one aggregation), the late work now (one indexed query) and the finished orders to
export (a cursor). Reads through FilaQueries and PessoasQueries only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from ..cartoes import cards
from ..clock import agora, duracao
from ..components import Componentes
from ..fila import labels
from ..fila.domain import Prioridade
from ..quadro.partials import contexto
from ..settings import limites_alerta
from . import export
from .domain import Indicadores, Periodo, montar


def hoje(c: Componentes) -> date:
    return (c.relogio.local(agora()) or agora()).date()


def limites(c: Componentes, periodo: Periodo) -> tuple[datetime, datetime]:
    """[start of the first day, start of the day after the last) in the shop's zone."""
    return c.relogio.dia(periodo.de)[0], c.relogio.dia(periodo.ate)[1]


def calcular(c: Componentes, periodo: Periodo) -> Indicadores:
    de, ate = limites(c, periodo)
    bruto = c.fila_queries.indicadores(de, ate, c.settings.fuso_horario)
    ids = {linha["_id"] for linha in bruto.get("por_mecanico", [])}
    return montar(bruto, periodo, c.pessoas_queries.nomes_por_funcionario(ids))


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


def atrasadas(c: Componentes) -> list[Atrasada]:
    """The open orders late now, oldest first, with the reasons the card would show."""
    limites_ = limites_alerta(c.settings)
    itens = c.fila_queries.atrasadas(agora(), limites_)
    ctx = contexto(None, itens, c)
    resultado = []
    for item in itens:
        cartao = cards.cartao(item, ctx)
        limite = limites_[Prioridade(item["prioridade"])][1] * 60
        resultado.append(
            Atrasada(item, cartao, limite, cartao.entrega_atrasada, cartao.alerta == "atraso")
        )
    return resultado


def exportar(c: Componentes, periodo: Periodo) -> Iterator[str]:
    """The CSV of the orders finished in the period, in chunks (read as it is sent)."""
    de, ate = limites(c, periodo)
    nomes = c.pessoas_queries.nomes_de_funcionarios()
    documentos = c.fila_queries.finalizadas_para_exportar(de, ate)
    return export.csv_em_partes(documentos, nomes, c.relogio.fuso)
