"""What every render of cards reads besides the cards' own items, the same for the board, the TV,
the indicators and the job card: the context (now, the shop's zone, the viewer's role, the
mechanics' names in one query, the alert limits, whether delivery to the OS service is on, the
open orders' forecasts and their summary, from this process's copy: previsao.cache) and the
active mechanics with their load."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..clock import Clock, agora
from ..components import componente
from ..fila.domain import Papel, Status
from ..fila.queries import FilaQueries
from ..fila.stages import limites_alerta
from ..pessoas.queries import PessoasQueries
from ..previsao.cache import PrevisoesEmMemoria
from ..previsao.queries import NENHUMA
from ..settings import Settings
from . import cards


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


def mecanicos() -> list[cards.Mecanico]:
    """The active mechanics with their load (two small indexed reads)."""
    ativos = componente(PessoasQueries).mecanicos_ativos()
    return cards.mecanicos(ativos, componente(FilaQueries).carga_mecanicos())
