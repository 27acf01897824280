"""The recompute: read the shop's history and its queue now, forecast every open order
(`forecast.prever`), and store only what changed enough to matter.

- The history: the orders finished in the window (PREVISAO_JANELA_DIAS), read through the
  queue's queries with only the fields the forecast learns from (the stages' instants and their
  holds, as the indicators read them), in large batches straight into arrays: 50,000 orders
  never sit in memory as 50,000 dicts.
- The queue: every open order in its real state (its stage, its hold, its mechanic, its
  promise), and the mechanics at work now (a function create_app gives: the active mechanics,
  which belong to `pessoas`; with none listed, those of the last RECENTES_DIAS of history, or
  as many as it had cars in work at once).
- What is written: an order's forecast only when a time a screen shows (p50 on the card, p80
  on the order's page) moved by MUDANCA_MINIMA or more, or when its risk flag flipped (or its
  promise changed while at risk); the forecasts of orders no longer open go; the summary
  (`estado`) says how many are at risk, or why there is no number, and, in fields no screen
  watches, when this recompute ran and on what. A quiet shop's recompute writes one document.

Below the minimum history (PREVISAO_HISTORICO_MINIMO) or with no mechanic at work there is no
number anywhere: every order's forecast is removed and the summary says why.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

import numpy as np
from bson import ObjectId

from ..clock import agora as agora_do_relogio
from ..fila.queries import INSTANTES_HISTORICO, FilaQueries
from ..fila.stages import Etapa
from .calendar import Calendario
from .domain import ETAPAS, MARCOS, Abertas, Historico, Resultado
from .forecast import Configuracao, mecanicos_pelo_historico, prever
from .model import Parametros
from .queries import PrevisaoQueries
from .repository import RETOMADO, PrevisaoRepository, documento

log = logging.getLogger(__name__)
T = TypeVar("T")

# A stored forecast is rewritten (and so pushed to the screens) only past this move of p50 or
# p80: a card's "pronto ~15:40" does not flicker with the Monte Carlo's noise.
MUDANCA_MINIMA = timedelta(minutes=10)
# The store's stages, in the forecast's order (the indicators' intervals: the same order).
_ETAPAS_GUARDADAS = tuple(e.value for e in Etapa)
assert len(_ETAPAS_GUARDADAS) == len(ETAPAS)
_CAMPOS_COMPARADOS = ("p50", "p80")
# With no active mechanic listed, the mechanics who finished orders in these last days of the
# history are taken as the shop's (PrevisaoService.mecanicos_em_servico).
RECENTES_DIAS = 14
# A finished order's row (FilaQueries.finalizadas_para_previsao): its priority, its instants in
# the forecast's order, its holds per stage.
assert INSTANTES_HISTORICO == MARCOS


def mudou_o_bastante(antiga: Mapping[str, Any] | None, nova: Mapping[str, Any]) -> bool:
    """Whether a new forecast must replace the stored one: a shown time moved by
    MUDANCA_MINIMA or more, or this recompute (`escrita_em`) has passed it (an order still
    open past its "pronto ~15:55" gets its later finish, however little it moved: no screen
    or API answer keeps a finish earlier than the last recompute), the risk flag flipped, or
    the promise it is measured against changed (the screens show the risk, and the order's
    page the chance of missing it, only for that promise: a rare write, a manager's)."""
    if antiga is None:
        return True
    if bool(antiga.get("em_risco")) != bool(nova["em_risco"]):
        return True
    if antiga.get("promessa") != nova["promessa"]:
        return True
    return any(
        antiga.get(campo) is None
        or antiga[campo] < nova["escrita_em"]
        or abs(nova[campo] - antiga[campo]) >= MUDANCA_MINIMA
        for campo in _CAMPOS_COMPARADOS
    )


def fora_do_laco(funcao: Callable[[], T]) -> T:
    """Run a CPU-bound call (numpy, no I/O) in a native thread when this process is one of
    gunicorn's gevent workers, so the worker's other greenlets (requests, live streams) go on
    meanwhile; elsewhere, right here."""
    monkey = sys.modules.get("gevent.monkey")
    if monkey is not None and monkey.is_module_patched("threading"):
        import gevent  # noqa: PLC0415 - only ever in a process gevent already patched

        return gevent.get_hub().threadpool.apply(funcao)
    return funcao()


@dataclass(frozen=True)
class Resumo:
    """What a recompute did: the numbers its log line says."""

    calculada_em: datetime
    base_ordens: int
    mecanicos: int
    abertas: int
    em_risco: int
    escritas: int
    removidas: int
    motivo: str | None
    duracao_ms: float
    descartada: bool = False  # the lease was lost meanwhile: nothing written
    # The soonest promise of an order at risk: when it passes, that order is late, not at
    # risk, and the header's count must say so (the worker recomputes then).
    proxima_virada: datetime | None = None

    def __str__(self) -> str:
        if self.descartada:
            return "recálculo descartado: outro processo assumiu a previsão"
        base = f"{self.base_ordens} ordens finalizadas na janela, {self.mecanicos} mecânicos"
        if self.motivo:
            return f"{base}: {self.motivo} ({self.duracao_ms:.0f} ms)"
        return (
            f"{base}: {self.abertas} ordens abertas, {self.em_risco} em risco; "
            f"{self.escritas} previsões gravadas, {self.removidas} removidas "
            f"({self.duracao_ms:.0f} ms)"
        )


@dataclass(frozen=True)
class Base:
    """What the forecast learns from at an instant: the orders finished in its window."""

    desde: datetime
    janela_dias: int
    ordens: int
    minimo: int  # fewer: "sem histórico suficiente"

    @property
    def suficiente(self) -> bool:
        return self.ordens >= self.minimo


class PrevisaoService:
    def __init__(
        self,
        repo: PrevisaoRepository,
        queries: PrevisaoQueries,
        fila: FilaQueries,
        calendario: Calendario,
        *,
        mecanicos: Callable[[], Iterable[int] | None],
        fora_de_servico: Callable[[], Iterable[int]] = list,
        janela_dias: int = 90,
        historico_minimo: int = 30,
        agora: Callable[[], datetime] = agora_do_relogio,
        calcular: Callable[[Callable[[], Resultado]], Resultado] = fora_do_laco,
        gravou: Callable[[], None] = lambda: None,
    ) -> None:
        self.repo = repo
        self.queries = queries
        self.fila = fila
        self.calendario = calendario
        # Given by create_app, so the core stays free of the features: `mecanicos` gives the
        # ids (funcionario_id) of the mechanics at work now (pessoas: the active mechanics), or
        # None when the shop lists no mechanic at all.
        self.mecanicos = mecanicos
        # ...and `fora_de_servico` the numbers of the people it lists who are not mechanics at
        # work (deactivated, managers): holding a car, they finish it and take no other.
        self.fora_de_servico = fora_de_servico
        self.janela_dias = janela_dias
        self.historico_minimo = historico_minimo
        self.configuracao = Configuracao(
            parametros=Parametros(janela_dias=janela_dias, minimo_ordens=historico_minimo)
        )
        self.agora = agora
        self.calcular = calcular
        # After each write: this process's copy of the forecasts (previsao.cache) reads the
        # store until its change stream has brought the write (read-your-writes).
        self.gravou = gravou

    def recalcular(
        self, ainda_dono: Callable[[], bool] | None = None, dono: str | None = None
    ) -> Resumo:
        """One recompute of every open order's forecast, stored. `ainda_dono`: asked before
        writing (the worker's lease, renewed): False, and nothing is written. `dono`: the
        writes themselves hold only while the lease is still `dono`'s (repository.gravar)."""
        inicio = time.perf_counter()
        instante = self.agora()
        historico = self.historico(instante)
        guardadas_abertas = self.fila.abertas_para_previsao()
        abertas = Abertas.de_registros(registro_aberto(d) for d in guardadas_abertas)
        # Only what the writing needs of each open order is kept while the core runs (its
        # peak is the recompute's): its _id and its promise, by OS number.
        ordens = {
            d["ordem_servico_id"]: (d["_id"], d.get("previsao_entrega")) for d in guardadas_abertas
        }
        del guardadas_abertas
        mecanicos = self.mecanicos_em_servico(instante, historico)
        fora = list(self.fora_de_servico())
        resultado = self.calcular(
            lambda: prever(
                self.calendario, historico, abertas, mecanicos, instante, self.configuracao, fora
            )
        )
        duracao_ms = round((time.perf_counter() - inicio) * 1000, 1)
        if ainda_dono is not None and not ainda_dono():
            return self._resumo(resultado, 0, 0, duracao_ms, len(abertas), descartada=True)
        guardadas = self.queries.guardadas()
        novas: dict[ObjectId, dict[str, Any]] = {}
        if resultado.motivo:
            remover = list(guardadas)
        else:
            for p in resultado.previsoes:
                oid, promessa = ordens[p.ordem_servico_id]
                nova = documento(
                    p.ordem_servico_id, _ms(p.p50), _ms(p.p80), p.em_risco,
                    promessa, p.atraso_esperado_s, p.chance_atraso, instante,
                )  # fmt: skip
                if mudou_o_bastante(guardadas.get(oid), nova):
                    novas[oid] = nova
            abertas_ids = {oid for oid, _ in ordens.values()}
            remover = [oid for oid in guardadas if oid not in abertas_ids]
        em_risco = sum(p.em_risco for p in resultado.previsoes)
        calculo = {
            "em": _ms(resultado.calculada_em),
            "base_ordens": resultado.base_ordens,
            "mecanicos": resultado.mecanicos,
            "janela_dias": self.janela_dias,
            "historico_minimo": self.historico_minimo,
            "abertas": len(abertas),
            "execucoes": resultado.execucoes,
            "duracao_ms": duracao_ms,
        }
        estado: dict[str, Any] = {"motivo": resultado.motivo, "em_risco": em_risco}
        # The screens said "cálculo parado" (the last run is too old) and hid their
        # forecasts; a TV or a board redrawn meanwhile drew its cards without any. This run's
        # summary may be as the last one's, and its forecasts too (`calculo.` is invisible to
        # the screens): it names when it resumed, which they see, so each draws them again.
        anterior = self.queries.estado()
        if anterior is not None and anterior.parada_em(instante):
            estado[RETOMADO] = _ms(instante)
        if not self.repo.gravar(novas, remover, estado, calculo, dono):
            return self._resumo(resultado, 0, 0, duracao_ms, len(abertas), descartada=True)
        self.gravou()
        viradas = [  # (at risk only while its promise is ahead: never a recompute a second)
            promessa
            for p in resultado.previsoes
            if p.em_risco
            and (promessa := ordens[p.ordem_servico_id][1]) is not None
            and promessa > resultado.calculada_em
        ]
        resumo = self._resumo(resultado, len(novas), len(remover), duracao_ms, len(abertas))
        resumo = replace(resumo, proxima_virada=min(viradas, default=None))
        log.info("previsão recalculada: %s", resumo, extra={"duracao_ms": duracao_ms})
        return resumo

    def _resumo(
        self,
        resultado: Resultado,
        escritas: int,
        removidas: int,
        duracao_ms: float,
        abertas: int,
        *,
        descartada: bool = False,
    ) -> Resumo:
        return Resumo(
            resultado.calculada_em, resultado.base_ordens, resultado.mecanicos, abertas,
            sum(p.em_risco for p in resultado.previsoes), escritas, removidas,
            resultado.motivo, duracao_ms, descartada,
        )  # fmt: skip

    def mecanicos_em_servico(self, instante: datetime, historico: Historico) -> list[int]:
        """The shop's active mechanics. A shop that lists no mechanic at all runs the board
        through the API, its mechanics the OS service's users: for it, the mechanics of its
        last RECENTES_DIAS of history, each once, or, when its history names none (a
        spreadsheet's), as many as it had cars in work at once (mecanicos_pelo_historico).
        Those it knows by a name, or by a count, are negative ids: places that a number an
        order carries may fill. A number of an order finished through the board or the API
        fills one first: a file names the mechanics its numbers cannot, and the orders
        finished since then number the same people (4 named and 4 numbered were 8 mechanics,
        and the forecast days early); a number the file itself gives is one more person. The
        forecast adds whoever holds an order in work (forecast.em_servico)."""
        ativos = self.mecanicos()
        if ativos is not None:
            return list(ativos)
        recentes = self.fila.mecanicos_recentes(self._inicio_da_janela(instante), RECENTES_DIAS)
        if not recentes:
            return [-2 - i for i in range(mecanicos_pelo_historico(historico, RECENTES_DIAS))]
        numeros = [m for m, _ in recentes if isinstance(m, int)]
        ao_vivo = sum(1 for m, vivo in recentes if isinstance(m, int) and vivo)
        nomeados = len(recentes) - len(numeros)
        return numeros + [-2 - i for i in range(max(0, nomeados - ao_vivo))]

    def base(self, instante: datetime) -> Base:
        """The finished orders the forecast would learn from at `instante`, counted (one
        query): what the importer tells a shop that brought its history in."""
        desde = self._inicio_da_janela(instante)
        return Base(
            desde, self.janela_dias, self.fila.contar_finalizadas_desde(desde),
            self.historico_minimo,
        )  # fmt: skip

    def _inicio_da_janela(self, instante: datetime) -> datetime:
        """The oldest finish the forecast learns from (the window of `janela_dias`)."""
        return instante - timedelta(days=self.janela_dias)

    def historico(self, instante: datetime) -> Historico:
        """The orders finished in the window as the forecast's arrays, from one table of
        numbers that mongod computed (FilaQueries.finalizadas_para_previsao): priority ranks,
        the MARCOS instants (epoch seconds, NaN when not reached), the seconds on hold per
        stage (wall clock, as stored)."""
        tabela = self.fila.finalizadas_para_previsao(self._inicio_da_janela(instante))
        return Historico(
            tabela[:, 0].astype(np.int8),
            tabela[:, 1 : 1 + len(MARCOS)] / 1000.0,  # ms → s: the same floats as timestamp()
            tabela[:, 1 + len(MARCOS) :].copy(),
        )


def registro_aberto(item: Mapping[str, Any]) -> dict[str, Any]:
    """An open order as stored (FilaQueries.abertas_para_previsao) as the forecast's record:
    the priority's rank, its holds per stage in the forecast's order, its running hold."""
    pausas = item.get("pausas_s") or {}
    return {
        **item,
        "prioridade": item["prioridade_ordem"],
        "pausas": [pausas.get(etapa) or 0.0 for etapa in _ETAPAS_GUARDADAS],
        "pausa_desde": (item.get("pausa") or {}).get("desde"),
    }


def _ms(instante: datetime) -> datetime:
    """At MongoDB's millisecond precision, as every instant of the app."""
    return instante.replace(microsecond=instante.microsecond // 1000 * 1000)
