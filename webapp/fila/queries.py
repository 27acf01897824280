"""Every read of the queue, each beside the index that serves it (indexes: repository.INDICES).

Reads never decide a rule and never change anything; they return stored items (dicts) for the
service and for view models that render them without further I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

import bson
import numpy as np
from bson import ObjectId
from numpy.typing import NDArray
from pymongo.client_session import ClientSession
from pymongo.collection import Collection
from pymongo.database import Database

from ..mongo import inteiro_guardavel
from .cursors import apos_instante, faixas_apos, faixas_finalizadas
from .domain import ABERTOS, IMPORTADA, PROMESSA_PERDIDA, MotivoPausa, Prioridade, Status
from .plates import gemea, normalizar_placa
from .repository import (
    A_ENTREGAR,
    ARQUIVO,
    COLECAO,
    ETAPA_ATUAL,
    FILA_DO_QUADRO,
    FINALIZADAS_DO_QUADRO,
    FINALIZADAS_POR_PLACA,
    ORDEM_FILA,
)
from .stages import INTERVALOS, PERCENTIS, Etapa, Intervalo, limiares_s

# What the forecast learns from a finished order: the instants of its stages (the indicators'
# intervals) and its seconds on hold per stage, the priority's rank; an open order adds where it
# is now (its hold, its mechanic, its promise).
CAMPOS_HISTORICO = (
    "prioridade_ordem", "dta_criacao", "dta_inicio_diagnostico", "dta_fim_diagnostico",
    "dta_aprovacao_orcamento", "dta_inicio_reparo", "dta_fim_reparo", "pausas_s",
)  # fmt: skip
# A finished order as the forecast's row of numbers, computed by mongod (see
# finalizadas_para_previsao): its priority's rank, these instants in ms, its holds per stage.
INSTANTES_HISTORICO = CAMPOS_HISTORICO[1:7]
# Every value a double, so that every row has the same bytes' layout (linhas_em_numeros).
LINHA_HISTORICO = [
    {"$toDouble": {"$ifNull": ["$prioridade_ordem", Prioridade.NORMAL.ordem]}},
    *({"$ifNull": [{"$toDouble": f"${campo}"}, float("nan")]} for campo in INSTANTES_HISTORICO),
    *({"$toDouble": {"$ifNull": [f"$pausas_s.{etapa.value}", 0]}} for etapa in Etapa),
]


def linhas_em_numeros(lote: bytes, largura: int) -> NDArray[np.float64]:
    """A raw batch of documents `{"v": [largura doubles]}` as an (n, largura) table. Such
    documents all have the same bytes but for the doubles, so the batch is a 2-D array of
    bytes whose double columns are gathered in one step; a batch that is not laid out so (a
    value that is not a double) is decoded document by document instead."""
    modelo = np.frombuffer(bson.encode({"v": [0.0] * largura}), np.uint8)
    inicio, posicoes = 4 + 1 + len("v\0") + 4, []  # length, type, key, the array's length
    for i in range(largura):
        inicio += 1 + len(str(i)) + 1  # each element: its type, its key "i\0"
        posicoes.append(inicio)
        inicio += 8
    colunas = (np.asarray(posicoes)[:, None] + np.arange(8)).ravel()
    fixos = np.ones(modelo.size, bool)
    fixos[colunas] = False
    dados = np.frombuffer(lote, np.uint8)
    if dados.size % modelo.size == 0:
        linhas = dados.reshape(-1, modelo.size)
        if (linhas[:, fixos] == modelo[fixos]).all():
            return linhas[:, colunas].copy().view("<f8").reshape(-1, largura)
    return np.array([d["v"] for d in bson.decode_all(lote)], np.float64).reshape(-1, largura)


CAMPOS_PREVISAO = {
    **{campo: 1 for campo in CAMPOS_HISTORICO},
    "ordem_servico_id": 1, "status": 1, "orcamento_aprovado": 1, "pausa.desde": 1,
    "mecanico_responsavel_id": 1, "previsao_entrega": 1,
}  # fmt: skip
MAIS_RECENTES = [("dta_fim_reparo", -1), ("_id", -1)]
MAIS_ANTIGAS = [(campo, -sentido) for campo, sentido in MAIS_RECENTES]  # the same, backwards
# The live board, the TV, the API's lists and /historico leave imported history out. Equality
# with null (absent), not `$ne: True`: a point of the indexes that carry `importada`
# (repository.INDICES), so a list of finished orders reads the board's in its order and never
# steps past a history of tens of thousands imported ones (`$ne` is two ranges: no order).
NAO_IMPORTADA = {IMPORTADA: None}
LOTE_OS = 10_000  # OS numbers per query when an import looks for those already stored
# Late orders a TV counts below a column (FilaQueries.atrasadas_fora): past it, "e mais" stops.
ATRASADAS_CONTADAS = 100
# The indicators' aggregation at most this long on the server: under the client's socket
# timeout (10 s at least, mongo.py), which would otherwise end the wait as "database down".
TEMPO_INDICADORES_MS = 8_000


# An OS number as people write it, as the card does ("OS 1234"), or "nº 1234", "#1234".
_NUMERO_OS = re.compile(r"(?:OS\s*-?\s*)?(?:N[º°]\s*|#\s*)?([0-9]+)", re.IGNORECASE)


def os_da_busca(q: str) -> int | None:
    """The OS number a board search names: ASCII digits up to INT64_MAX, alone or after "OS",
    "nº" or "#"; None otherwise (a plate, or part of one)."""
    numero = _NUMERO_OS.fullmatch(q)
    return inteiro_guardavel(numero[1]) if numero else None


def filtro_busca(mecanico: int | None = None, q: str = "") -> dict[str, Any]:
    """The board's filters as a query: one mechanic's orders, and/or a plate or OS number."""
    consulta: dict[str, Any] = {}
    if mecanico is not None:
        consulta["mecanico_responsavel_id"] = mecanico
    if q:
        alternativas: list[dict[str, Any]] = []
        placa = normalizar_placa(q)
        if placa:
            alternativas.append({"placa": {"$regex": re.escape(placa)}})
            if outra := gemea(placa):  # the same car under its old (or Mercosul) plate
                alternativas.append({"placa": outra})
        if (numero := os_da_busca(q)) is not None:
            alternativas.append({"ordem_servico_id": numero})
        consulta["$or"] = alternativas or [{"_id": None}]
    return consulta


# --- Aggregation expressions: durations, percentiles, time in stage -------------------------------


def _presente(campo: str) -> dict[str, Any]:
    return {"$ne": [{"$ifNull": [f"${campo}", None]}, None]}


# The promise a finished order is measured against (domain.promessa_medida): the first it
# missed while open, else its own; null without one.
PROMESSA_MEDIDA = {"$ifNull": [f"${PROMESSA_PERDIDA}", "$previsao_entrega", None]}


def _duracao(intervalo: Intervalo) -> dict[str, Any]:
    """Seconds of `intervalo`, holds excluded (stages.duracao's twin); null when a timestamp
    is missing, so it counts in no percentile."""
    bruto = {"$divide": [{"$subtract": [f"${intervalo.fim}", f"${intervalo.inicio}"]}, 1000]}
    pausas = [{"$ifNull": [f"$pausas_s.{e.value}", 0]} for e in intervalo.etapas]
    liquido = {"$max": [0, {"$subtract": [bruto, {"$add": pausas}]}]}
    return {
        "$cond": [{"$and": [_presente(intervalo.inicio), _presente(intervalo.fim)]}, liquido, None]
    }


DURACOES = {intervalo.codigo: _duracao(intervalo) for intervalo in INTERVALOS}


def _espera(intervalo: Intervalo, motivo: MotivoPausa, campo: str = "pausas_motivo_s") -> Any:
    """Seconds on hold for `motivo` in the stages of `intervalo` (`pausas_motivo_s`)."""
    return {
        "$add": [{"$ifNull": [f"${campo}.{e.value}.{motivo.value}", 0]}
                 for e in intervalo.etapas]
    }  # fmt: skip


# Each order's seconds on hold per interval and reason (the export takes `total`).
ESPERAS = {i.codigo: {m.value: _espera(i, m) for m in MotivoPausa} for i in INTERVALOS}
# Whether an order was ever on hold.
EM_ESPERA = {"$gt": [{"$add": [{"$ifNull": [f"$pausas_s.{e.value}", 0]} for e in Etapa]}, 0]}


def _percentis(valores: str) -> dict[str, Any]:
    """{n, p50, p90} of an array of durations, nulls left out: nearest rank, the value at
    1-based rank ceil(p·n/100) of the sorted array (indicadores.domain.posicao_percentil)."""
    n = {"$size": "$$v"}
    figuras: dict[str, Any] = {"n": n}
    for p in PERCENTIS:
        posicao = {
            "$toInt": {"$subtract": [{"$ceil": {"$divide": [{"$multiply": [p, n]}, 100]}}, 1]}
        }
        figuras[f"p{p}"] = {"$cond": [{"$gt": [n, 0]}, {"$arrayElemAt": ["$$v", posicao]}, None]}
    validos = {"$filter": {"input": valores, "cond": {"$ne": ["$$this", None]}}}
    return {"$let": {"vars": {"v": {"$sortArray": {"input": validos, "sortBy": 1}}}, "in": figuras}}


def _uma_se(condicao: dict[str, Any]) -> dict[str, Any]:
    return {"$sum": {"$cond": [condicao, 1, 0]}}


def _figuras_por(chave: Any) -> list[dict[str, Any]]:
    """Group by `chave`: orders finished and each interval's percentiles."""
    grupo: dict[str, Any] = {"_id": chave, "n": {"$sum": 1}}
    grupo.update({codigo: {"$push": f"$d.{codigo}"} for codigo in DURACOES})
    projecao: dict[str, Any] = {"n": 1}
    projecao.update({codigo: _percentis(f"${codigo}") for codigo in DURACOES})
    return [{"$group": grupo}, {"$project": projecao}]


# The sums are taken once, per priority and mechanic together (a few dozen rows), not once per
# grouping: indicadores.domain adds the rows up into the whole, each priority and each mechanic.
POR_PRIORIDADE_E_MECANICO = {"prioridade": "$prioridade", "mecanico": "$mecanico_responsavel_id"}


def _somas() -> list[dict[str, Any]]:
    """Per priority and mechanic: each interval's durations summed (holds excluded), the orders
    with a promised time and those finished after it."""
    grupo: dict[str, Any] = {
        "_id": POR_PRIORIDADE_E_MECANICO,
        "com_previsao": _uma_se({"$ne": ["$atrasou", None]}),
        "depois_da_previsao": _uma_se({"$eq": ["$atrasou", True]}),
    }
    grupo.update({codigo: {"$sum": f"$d.{codigo}"} for codigo in DURACOES})
    projecao = {"com_previsao": 1, "depois_da_previsao": 1, "soma": {c: f"${c}" for c in DURACOES}}
    return [{"$group": grupo}, {"$project": projecao}]


def _esperas() -> list[dict[str, Any]]:
    """Per priority and mechanic, over the orders that were on hold only (`m`, their
    `pausas_motivo_s`; most orders never are): per interval and reason the seconds on hold
    and the orders held, and per interval the orders held for any reason
    ({"espera": {intervalo: {motivo: {"s", "n"}, "n"}}})."""
    grupo: dict[str, Any] = {"_id": POR_PRIORIDADE_E_MECANICO}
    espera: dict[str, Any] = {}
    for intervalo in INTERVALOS:
        codigo = intervalo.codigo
        segundos = {m.value: _espera(intervalo, m, "m") for m in MotivoPausa}
        grupo[f"{codigo}__n"] = _uma_se({"$gt": [{"$add": list(segundos.values())}, 0]})
        espera[codigo] = {"n": f"${codigo}__n"}
        for motivo, valor in segundos.items():
            grupo[f"{codigo}__{motivo}__s"] = {"$sum": valor}
            grupo[f"{codigo}__{motivo}__n"] = _uma_se({"$gt": [valor, 0]})
            espera[codigo][motivo] = {
                "s": f"${codigo}__{motivo}__s",
                "n": f"${codigo}__{motivo}__n",
            }
    return [
        {"$match": {"m": {"$exists": True}}},
        {"$group": grupo},
        {"$project": {"espera": espera}},
    ]


def _segundos_desde(campo: str, agora: datetime) -> dict[str, Any]:
    return {"$divide": [{"$subtract": [{"$literal": agora}, campo]}, 1000]}


def tempo_na_etapa(agora: datetime) -> dict[str, Any]:
    """Seconds in the current stage, holds excluded (stages.tempo_na_etapa's twin): since
    `etapa_desde`, minus the stage's ended holds (`pausas_s`) and the open one."""
    pausas = {
        "$switch": {
            "branches": [
                {"case": {"$eq": ["$$etapa", e.value]}, "then": {"$ifNull": [f"$pausas_s.{e}", 0]}}
                for e in Etapa
            ],
            "default": 0,
        }
    }
    em_pausa = {"$eq": [{"$type": "$pausa"}, "object"]}
    aberta = {"$cond": [em_pausa, _segundos_desde("$pausa.desde", agora), 0]}
    return {
        "$let": {
            "vars": {"etapa": ETAPA_ATUAL},
            "in": {
                "$subtract": [_segundos_desde("$etapa_desde", agora), {"$add": [pausas, aberta]}]
            },
        }
    }


def filtro_atrasadas(
    agora: datetime, limites: Mapping[Prioridade, tuple[int, int]]
) -> dict[str, Any]:
    """Open orders late now: past the promised time (index por_previsao), or longer in their
    stage than their priority's red threshold, holds excluded, as the card shows (one branch
    per priority, index por_etapa_em_ordem: a stage that began after the threshold cannot be
    late, so only the candidates are fetched and timed by the $expr)."""
    abertas = {"$in": list(ABERTOS)}
    ramos: list[dict[str, Any]] = [{"status": abertas, "previsao_entrega": {"$lt": agora}}]
    for prioridade in Prioridade:
        segundos = limiares_s(prioridade, limites)[1]
        ramos.append(
            {
                "status": abertas,
                "prioridade_ordem": prioridade.ordem,
                "etapa_desde": {"$lte": agora - timedelta(seconds=segundos)},
                "$expr": {"$gte": [tempo_na_etapa(agora), segundos]},
            }
        )
    return {"$or": ramos}


def finalizadas_desde(desde: datetime) -> dict[str, Any]:
    """The orders the forecast learns from: finished since `desde`, the board's and imported
    (index: finalizadas_em_ordem)."""
    return {"status": Status.FINALIZADA, "dta_fim_reparo": {"$gte": desde}}


def _finalizadas(de: datetime, ate: datetime) -> dict[str, Any]:
    return {"$match": {"status": Status.FINALIZADA, "dta_fim_reparo": {"$gte": de, "$lt": ate}}}


def pipeline_indicadores(de: datetime, ate: datetime, fuso: str) -> list[dict[str, Any]]:
    """The indicators' aggregation; its $match is served by the index finalizadas_em_ordem,
    then only what the figures need is kept (each interval's seconds, holds excluded; whether
    the order ended after its promised time; the holds of the orders that had any) and grouped
    at once ($facet): percentiles overall, per priority and per mechanic; orders per day; sums
    and holds per priority and mechanic together."""
    dia = {"$dateToString": {"format": "%Y-%m-%d", "date": "$dta_fim_reparo", "timezone": fuso}}
    # Finished after the promised time (the first one missed): true/false, null without one.
    atrasou = {
        "$cond": [
            {"$ne": [PROMESSA_MEDIDA, None]},
            {"$gt": ["$dta_fim_reparo", PROMESSA_MEDIDA]},
            None,
        ]
    }
    projecao = {
        "_id": 0, "prioridade": 1, "mecanico_responsavel_id": 1, "dia": dia, "d": DURACOES,
        "atrasou": atrasou, "m": {"$cond": [EM_ESPERA, "$pausas_motivo_s", "$$REMOVE"]},
    }  # fmt: skip
    return [
        _finalizadas(de, ate),
        {"$project": projecao},
        {
            "$facet": {
                "geral": _figuras_por(None),
                "por_prioridade": _figuras_por("$prioridade"),
                "por_mecanico": _figuras_por("$mecanico_responsavel_id"),
                "por_dia": [{"$group": {"_id": "$dia", "n": {"$sum": 1}}}],
                "somas": _somas(),
                "esperas": _esperas(),
            }
        },
    ]


CAMPOS_EXPORTACAO = (
    "ordem_servico_id", "placa", "veiculo", "cliente", "prioridade", "mecanico_responsavel_id",
    "dta_criacao", "dta_inicio_diagnostico", "dta_fim_diagnostico", "dta_aprovacao_orcamento",
    "dta_inicio_reparo", "dta_fim_reparo", "previsao_entrega", "mecanico_nome",
)  # fmt: skip


def pipeline_exportacao(de: datetime, ate: datetime) -> list[dict[str, Any]]:
    """The export's aggregation: oldest first from the index finalizadas_em_ordem (walked backwards
    under the equality on status: no sort in memory), each order with its durations (`d`) and
    its seconds on hold per reason over all its stages (`e`)."""
    return [
        _finalizadas(de, ate),
        {"$sort": {"dta_fim_reparo": 1}},
        {
            "$project": {
                "_id": 0,
                **{c: 1 for c in CAMPOS_EXPORTACAO},
                # The promise it is measured against: imported, it counts as it did here.
                "previsao_entrega": PROMESSA_MEDIDA,
                "d": DURACOES,
                "e": ESPERAS["total"],
            }
        },
    ]


def _finalizadas_no_quadro(de: datetime, ate: datetime) -> dict[str, Any]:
    """The orders finished on the board (imported history left out) in [de, ate)."""
    fim = {"$gte": de, "$lt": ate}
    return {"status": Status.FINALIZADA, "dta_fim_reparo": fim, **NAO_IMPORTADA}


# domain.espera_mecanico as a query: waiting for a diagnosis, or approved for the repair, and
# not on hold (the board's order ahead, the TV's longest wait).
ESPERA_MECANICO: dict[str, Any] = {
    "status": Status.AGUARDANDO,
    "pausa": None,
    "$and": [{"$or": [{"dta_fim_diagnostico": None}, {"orcamento_aprovado": True}]}],
}


class FilaQueries:
    def __init__(self, db: Database) -> None:
        self.fila: Collection = db[COLECAO]
        self.arquivo: Collection = db[ARQUIVO]

    # --- one item (the _id index; ordem_servico_unica) ---------------------------------------

    def obter(self, fila_id: ObjectId) -> dict[str, Any] | None:
        return self.fila.find_one({"_id": fila_id})

    def obter_por_os(self, ordem_servico_id: int) -> dict[str, Any] | None:
        return self.fila.find_one({"ordem_servico_id": ordem_servico_id})

    def finalizada_por_placa(self, placa: str, antes: datetime) -> dict[str, Any] | None:
        """The car's last order finished before `antes` (imported history too), under this
        plate or its twin in the other pattern (plates.gemea); None when it has none. Index:
        finalizadas_por_placa."""
        placas = [p for p in (placa, gemea(placa)) if p]
        return self.fila.find_one(
            {
                "placa": {"$in": placas},
                "status": Status.FINALIZADA,
                "dta_fim_reparo": {"$lt": antes},
            },
            sort=[("dta_fim_reparo", -1)],
            hint=FINALIZADAS_POR_PLACA,
        )

    def na_fila(self, numeros: Iterable[int]) -> dict[int, bool]:
        """Which of these OS numbers are stored, each with whether it is imported history
        (True) or an order of the board (False); a few queries of LOTE_OS numbers each.
        Index: ordem_servico_unica."""
        todos = list(numeros)
        encontrados: dict[int, bool] = {}
        for inicio in range(0, len(todos), LOTE_OS):
            lote = todos[inicio : inicio + LOTE_OS]
            for d in self.fila.find(
                {"ordem_servico_id": {"$in": lote}}, {"_id": 0, "ordem_servico_id": 1, IMPORTADA: 1}
            ):
                encontrados[d["ordem_servico_id"]] = bool(d.get(IMPORTADA))
        return encontrados

    def obter_varias(self, fila_ids: list[ObjectId]) -> dict[ObjectId, dict[str, Any]]:
        """Several items at once, by id (one query): {id: item}, the missing left out."""
        return {i["_id"]: i for i in self.fila.find({"_id": {"$in": fila_ids}})}

    def removida_por_os(self, ordem_servico_id: int) -> dict[str, Any] | None:
        """The last archived copy of a removed order with this OS number, without its history
        (index arquivo_por_os); None when none was removed."""
        return self.arquivo.find_one(
            {"ordem_servico_id": ordem_servico_id},
            {"historico": 0, "eventos_os": 0},
            sort=[("removido_em", -1)],
        )

    def removidas(self, fila_ids: list[ObjectId]) -> dict[ObjectId, dict[str, Any]]:
        """The archived copies of removed items, by the id they had (one query, index
        arquivo_por_fila): {fila_id: copy}, without their history; who removed it and when
        (`removido_por`, `removido_em`), and what the board's filters read."""
        campos = {"historico": 0, "eventos_os": 0}
        return {c["fila_id"]: c for c in self.arquivo.find({"fila_id": {"$in": fila_ids}}, campos)}

    # --- lists (fila_por_status; fila_do_quadro) -------------------------------------------

    def listar(
        self, status: str | None, limit: int, offset: int = 0, depois: str | None = None
    ) -> list[dict[str, Any]]:
        """The API's list, in the queue's order: past `offset` items, or after the item
        `depois` (a cursor_na_fila; CursorInvalido when not one of ours), read as three index
        ranges in turn (faixas_na_fila), so a page costs its own items however deep it is,
        where an offset fetches every item it steps over. An open status: its column
        (fila_por_status; no imported order is open). All, or the finished: the board's
        orders only, in order (fila_do_quadro, named: the finished ones by fila_por_status
        would step past every imported one)."""
        aberta = status is not None and status != Status.FINALIZADA
        consulta: dict[str, Any] = {"status": status} if status else {}
        if not aberta:
            consulta.update(NAO_IMPORTADA)
        faixas = faixas_apos(depois, finalizada=False)
        indice = None if aberta else FILA_DO_QUADRO
        return self._em_faixas(consulta, faixas, ORDEM_FILA, limit, indice, pular=offset)

    def pagina_coluna(
        self,
        status: str,
        filtro: dict[str, Any],
        hoje: datetime,
        depois: str | None = None,
        limite: int = 40,
    ) -> list[dict[str, Any]]:
        """One page of a board column, after the card `depois` (a cursor from `cursor()`).

        Open columns go in queue order (index fila_por_status); FINALIZADA lists today's, most
        recently finished first (index finalizadas_do_quadro). Keyset paging: a
        page costs the same however deep it is."""
        consulta: dict[str, Any] = {"status": status, **filtro}
        finalizada = status == Status.FINALIZADA
        if finalizada:  # (an open column never holds an imported order)
            consulta.update({"dta_fim_reparo": {"$gte": hoje}, **NAO_IMPORTADA})
        faixas = faixas_apos(depois, finalizada)
        if finalizada:
            return self._do_quadro_finalizadas(consulta, faixas, limite)
        return self._em_faixas(consulta, faixas, ORDEM_FILA, limite)

    def _do_quadro_finalizadas(
        self,
        consulta: dict[str, Any],
        faixas: list[dict[str, Any]],
        limite: int,
        ordem: list[tuple[str, int]] = MAIS_RECENTES,
    ) -> list[dict[str, Any]]:
        # Named: on a database without imported history finalizadas_em_ordem ties with it, and
        # the plan MongoDB caches then would step past a history imported later.
        return self._em_faixas(consulta, faixas, ordem, limite, FINALIZADAS_DO_QUADRO)

    def _em_faixas(
        self,
        consulta: dict[str, Any],
        faixas: list[dict[str, Any]],
        ordem: list[tuple[str, int]],
        limite: int,
        indice: str | None = None,
        pular: int = 0,
    ) -> list[dict[str, Any]]:
        """The first `limite` items matching `consulta`, in `ordem`, read from each keyset
        range in turn (faixas_apos) until the page is full: each read is one seek of the
        index, so a page costs its own items however deep it is."""
        itens: list[dict[str, Any]] = []
        for faixa in faixas:
            if len(itens) >= limite:
                break
            filtro = {"$and": [consulta, faixa]} if faixa else consulta
            cursor = self.fila.find(filtro).sort(ordem)
            if indice:
                cursor = cursor.hint(indice)
            itens += cursor.skip(pular).limit(limite - len(itens))
        return itens

    def coluna(self, status: str, limite: int, hoje: datetime) -> list[dict[str, Any]]:
        """The first `limite` cards of a column as the TV shows them: FINALIZADA most recent
        first (what the floor wants to see), the others in queue order."""
        return self.pagina_coluna(status, {}, hoje, None, limite)

    def aguardando_ha_mais_tempo(self, limite: int) -> list[dict[str, Any]]:
        """The orders waiting for a mechanic (ESPERA_MECANICO: not on hold, not waiting for
        the customer's approval) whose stage began first (index por_etapa_em_ordem): the
        candidates for the longest wait. A shop's cars waiting days for parts are the oldest
        in the column: taken off afterwards, they could fill every candidate's place."""
        ordem = [("etapa_desde", 1), ("_id", 1)]
        return list(self.fila.find(ESPERA_MECANICO).sort(ordem).limit(limite))

    def contagens(self, hoje: datetime, consulta: dict[str, Any] | None = None) -> dict[str, int]:
        """Cards per column (FINALIZADA: finished since `hoje`); only those matching `consulta`
        (the board's filters, filtro_busca) when given. A count per column: an open column's
        alone is a scan of its index keys (fila_por_status), where one aggregation of all
        four ($or, $group) read every card's document: 19 ms against 2.5 ms at 2,000 open
        orders, on every GET / and every push of the counts."""
        colunas: dict[str, dict[str, Any]] = {str(s): {"status": s} for s in ABERTOS}
        colunas[Status.FINALIZADA] = {
            "status": Status.FINALIZADA, "dta_fim_reparo": {"$gte": hoje}, **NAO_IMPORTADA
        }  # fmt: skip
        # Today's finished by their own index, named: filtered by a mechanic, the planner
        # could take fila_por_mecanico and read that mechanic's whole history.
        return {
            str(s): self.fila.count_documents(
                {"$and": [colunas[s], consulta]} if consulta else colunas[s],
                **({"hint": FINALIZADAS_DO_QUADRO} if s == Status.FINALIZADA else {}),
            )
            for s in Status
        }

    def finalizadas_periodo(
        self,
        de: datetime,
        ate: datetime,
        depois: str | None,
        limite: int,
        antes: str | None = None,
    ) -> list[dict[str, Any]]:
        """The first `limite` orders finished on the board in [de, ate) after the one `depois`
        (a cursor from `cursor()`), most recent first; with `antes` instead, the `limite`
        finished right before that one (the page before it), still most recent first. Index
        finalizadas_do_quadro, in its order or backwards (imported history never read), and
        keyset paging: a page costs the same however deep it is, and no sort holds the whole
        history."""
        consulta = _finalizadas_no_quadro(de, ate)
        if antes:
            faixas = faixas_finalizadas(antes, antes=True)
            return self._do_quadro_finalizadas(consulta, faixas, limite, MAIS_ANTIGAS)[::-1]
        return self._do_quadro_finalizadas(consulta, faixas_apos(depois, True), limite)

    def contar_mais_recentes(
        self, de: datetime, ate: datetime, cursor_da_linha: str, ate_quantas: int
    ) -> int:
        """How many orders finished on the board in [de, ate) more recently than the row
        `cursor_da_linha` (a page's first row: where that page starts), counted up to
        `ate_quantas`: its two keyset ranges counted in the index (finalizadas_do_quadro)."""
        base, n = _finalizadas_no_quadro(de, ate), 0
        for faixa in faixas_finalizadas(cursor_da_linha, antes=True):
            n += self.fila.count_documents(
                {"$and": [base, faixa]}, limit=ate_quantas - n, hint=FINALIZADAS_DO_QUADRO
            )
            if n >= ate_quantas:
                break
        return n

    def contar_finalizadas(self, de: datetime, ate: datetime, ate_quantas: int) -> int:
        """How many orders finished on the board in [de, ate), counted up to `ate_quantas`
        (a history's whole count would read all of it on every visit). Index
        finalizadas_do_quadro."""
        return self.fila.count_documents(
            _finalizadas_no_quadro(de, ate), limit=ate_quantas, hint=FINALIZADAS_DO_QUADRO
        )

    def abertas_do_mecanico(self, funcionario_id: int, sessao: ClientSession | None = None) -> int:
        """How many open orders carry this mechanic's number (index fila_por_mecanico); with
        `sessao`, as the transaction of a number's change sees them."""
        consulta = {"status": {"$in": list(ABERTOS)}, "mecanico_responsavel_id": funcionario_id}
        return self.fila.count_documents(consulta, session=sessao)

    def carga_mecanicos(self) -> dict[int, int]:
        """Orders each mechanic has in diagnosis or repair now (index fila_por_status)."""
        pipeline = [
            {"$match": {"status": {"$in": [Status.EM_DIAGNOSTICO, Status.EM_REPARO]}}},
            {"$group": {"_id": "$mecanico_responsavel_id", "n": {"$sum": 1}}},
        ]
        return {d["_id"]: d["n"] for d in self.fila.aggregate(pipeline) if d["_id"] is not None}

    # --- the manager's indicators (finalizadas; por_previsao, atraso_por_etapa) --------------

    def indicadores(self, de: datetime, ate: datetime, fuso: str) -> dict[str, Any]:
        """Orders finished in [de, ate): how many and each interval's median and 90th
        percentile, holds excluded, overall, per priority and per mechanic; how many per day in
        the shop's zone; per priority and mechanic together, each interval's sum, its holds per
        reason and the promises missed. One aggregation (pipeline_indicadores), stopped by
        the server past TEMPO_INDICADORES_MS (a period of a huge imported history): answered
        as such (errors.py), not left running after the request gave up."""
        return next(
            self.fila.aggregate(
                pipeline_indicadores(de, ate, fuso),
                allowDiskUse=True,
                maxTimeMS=TEMPO_INDICADORES_MS,
            )
        )

    def finalizadas_para_exportar(self, de: datetime, ate: datetime) -> Iterator[dict[str, Any]]:
        """The orders finished in [de, ate), oldest first, each with its intervals' seconds
        (`d`) and its holds' per reason (`e`): a cursor read in batches, never the whole
        period in memory."""
        return self.fila.aggregate(pipeline_exportacao(de, ate), batchSize=500)

    def atrasadas(
        self,
        agora: datetime,
        limites: Mapping[Prioridade, tuple[int, int]],
        limite: int = 200,
        depois: str | None = None,
    ) -> list[dict[str, Any]]:
        """The open orders late now, oldest first (see filtro_atrasadas), after the cursor
        `depois` (cursor_por_instante of the last one shown: its dta_criacao and _id)."""
        consulta = filtro_atrasadas(agora, limites)
        apos = apos_instante(depois, "dta_criacao")
        if apos is not None:
            consulta = {"$and": [consulta, apos]}
        return list(self.fila.find(consulta).sort([("dta_criacao", 1), ("_id", 1)]).limit(limite))

    def proxima_atrasada(
        self, agora: datetime, limites: Mapping[Prioridade, tuple[int, int]]
    ) -> datetime | None:
        """The next instant an open order may turn late by the clock alone (filtro_atrasadas):
        the next promised time still ahead (index por_previsao), or the earliest a stage not
        yet late reaches its priority's red threshold, by when it began (index
        por_etapa_em_ordem; a hold in it only makes it later, and then it comes at a beat).
        The instant the late count may move with nothing written (sse.transmitir's `virada`);
        one read per priority and one for the promises."""
        abertas = {"$in": list(ABERTOS)}
        instantes = []
        promessa = self.fila.find_one(
            {"status": abertas, "previsao_entrega": {"$gt": agora}},
            {"previsao_entrega": 1, "_id": 0},
            sort=[("previsao_entrega", 1)],
        )
        if promessa:
            instantes.append(promessa["previsao_entrega"])
        for prioridade in Prioridade:
            limite = timedelta(seconds=limiares_s(prioridade, limites)[1])
            etapa = self.fila.find_one(
                {
                    "status": abertas,
                    "etapa_desde": {"$gt": agora - limite},
                    "prioridade_ordem": prioridade.ordem,
                },
                {"etapa_desde": 1, "_id": 0},
                sort=[("etapa_desde", 1)],
            )
            if etapa:
                instantes.append(etapa["etapa_desde"] + limite)
        return min(instantes, default=None)

    def contar_atrasadas(
        self, agora: datetime, limites: Mapping[Prioridade, tuple[int, int]]
    ) -> int:
        """How many open orders are late now: the board header's count, one query."""
        return self.fila.count_documents(filtro_atrasadas(agora, limites))

    def atrasadas_fora(
        self,
        status: Status,
        agora: datetime,
        limites: Mapping[Prioridade, tuple[int, int]],
        mostrados: list[ObjectId],
        limite: int,
    ) -> tuple[list[dict[str, Any]], int]:
        """The late orders of an open column but those `mostrados` (the TV's first cards): the
        first `limite` in the queue's order (plate and number only) and how many there are. A
        late car of low priority sits below the TV's window, where the floor cannot see it."""
        # The column and the exclusion inside each branch, so each is one index's range
        # (outside the $or, the planner walked the _id index: every document, 25 ms at 2,000).
        fora = {"status": status, "_id": {"$nin": mostrados}}
        consulta = {"$or": [{**ramo, **fora} for ramo in filtro_atrasadas(agora, limites)["$or"]]}
        # One read, the names and the count together (a count apart cost as much again); the
        # count stops at ATRASADAS_CONTADAS: the footer's "Atrasadas: N" has them all.
        campos = {"placa": 1, "ordem_servico_id": 1}
        itens = list(self.fila.find(consulta, campos).sort(ORDEM_FILA).limit(ATRASADAS_CONTADAS))
        return itens[:limite], len(itens)

    # --- what the forecast reads (fila_por_status; finalizadas_em_ordem) -----------------------

    def abertas_para_previsao(self) -> list[dict[str, Any]]:
        """Every open order in its real state, only the fields the forecast reads (its stage's
        instants, holds, mechanic, promise). Index: fila_por_status."""
        return list(self.fila.find({"status": {"$in": list(ABERTOS)}}, CAMPOS_PREVISAO))

    def finalizadas_para_previsao(self, desde: datetime) -> NDArray[np.float64]:
        """The orders finished since `desde` as one table of numbers, a row each
        (LINHA_HISTORICO): the priority's rank, the instants of INSTANTES_HISTORICO in
        milliseconds since the epoch (NaN when not reached), the seconds on hold of each stage
        (Etapa's order; 0 when none). mongod computes the rows; they come in raw batches read
        straight into numpy (linhas_em_numeros): no dict, datetime or float object per order
        (50,000 orders: ≈ 0.8 s of this process's CPU and 16 MB decoded as documents, a few
        tens of ms and the table's 5 MB this way). Index: finalizadas_em_ordem."""
        consulta = finalizadas_desde(desde)
        lotes = self.fila.aggregate_raw_batches(
            [{"$match": consulta}, {"$project": {"_id": 0, "v": LINHA_HISTORICO}}],
            batchSize=5000,
        )
        partes = [linhas_em_numeros(lote, len(LINHA_HISTORICO)) for lote in lotes]
        if not partes:
            return np.empty((0, len(LINHA_HISTORICO)))
        return partes[0] if len(partes) == 1 else np.concatenate(partes)

    def contar_finalizadas_desde(self, desde: datetime) -> int:
        """How many orders finished since `desde`, the board's and imported: the rows
        finalizadas_para_previsao would give, counted. Index: finalizadas_em_ordem."""
        return self.fila.count_documents(finalizadas_desde(desde))

    def mecanicos_recentes(self, desde: datetime, dias: int) -> list[tuple[int | str, bool]]:
        """The mechanics of the orders finished since `desde` in the last `dias` days before
        the latest of them (an imported history may end weeks ago): each one's number, or,
        for an imported order whose mechanic no person of the shop is, the name its file gave
        (one key per mechanic); with whether one of those orders went through the board or
        the API (not imported). Index: finalizadas_em_ordem."""
        consulta = finalizadas_desde(desde)
        ultima = self.fila.find_one(
            consulta, {"dta_fim_reparo": 1, "_id": 0}, sort=[("dta_fim_reparo", -1)]
        )
        if ultima is None:
            return []
        inicio = max(desde, ultima["dta_fim_reparo"] - timedelta(days=dias))
        consulta["dta_fim_reparo"] = {"$gte": inicio}
        chave = {"$ifNull": ["$mecanico_responsavel_id", "$mecanico_nome"]}
        ao_vivo = {"$max": {"$cond": [{"$eq": [{"$ifNull": [f"${IMPORTADA}", None]}, None]}, 1, 0]}}
        grupos = self.fila.aggregate(
            [{"$match": consulta}, {"$group": {"_id": chave, "ao_vivo": ao_vivo}}]
        )
        achados = [(g["_id"], bool(g["ao_vivo"])) for g in grupos if g["_id"] not in (None, "")]
        return sorted(achados, key=lambda m: str(m[0]))

    def a_frente(self, item: Mapping[str, Any]) -> int:
        """How many orders wait for a mechanic ahead of this one in the board's order (waiting
        for a diagnosis or approved for repair, not on hold): one indexed count
        (fila_por_status), domain.espera_mecanico's rule, as the forecast's `a_frente`."""
        ordem, criada = item["prioridade_ordem"], item["dta_criacao"]
        antes = [
            {"prioridade_ordem": {"$lt": ordem}},
            {"prioridade_ordem": ordem, "dta_criacao": {"$lt": criada}},
            {"prioridade_ordem": ordem, "dta_criacao": criada, "_id": {"$lt": item["_id"]}},
        ]
        return self.fila.count_documents({**ESPERA_MECANICO, "$or": antes})

    # --- delivery to the OS service (os_sync_pendentes) ----------------------------------------

    def totais_os_sync(self) -> dict[str, int]:
        """Events waiting across the queue, and orders whose head event failed for good; a
        removed order's copy whose steps still go out counts too (index os_sync_a_entregar)."""
        pipeline = [
            {"$match": {"os_sync.pendentes": {"$gt": 0}}},
            {"$unionWith": {"coll": ARQUIVO, "pipeline": [{"$match": A_ENTREGAR}]}},
            {
                "$group": {
                    "_id": None,
                    "pendentes": {"$sum": "$os_sync.pendentes"},
                    "falhas": {"$sum": {"$cond": ["$os_sync.falhou", 1, 0]}},
                }
            },
        ]
        return next(self.fila.aggregate(pipeline), {"pendentes": 0, "falhas": 0})

    def ha_envio_possivel(self) -> bool:
        """Whether some order, or a removed one's copy, still has an event that can be sent
        (not held by a failure)."""
        consulta = {"os_sync.pendentes": {"$gt": 0}, "os_sync.falhou": {"$ne": True}}
        return any(
            colecao.find_one(filtro, {"_id": 1}) is not None
            for colecao, filtro in (
                (self.fila, consulta),
                (self.arquivo, {**A_ENTREGAR, **consulta}),
            )
        )

    def removidas_com_falha(self, limite: int) -> list[dict[str, Any]]:
        """Removed orders with a step the OS service refused for good, the later ones held
        behind it (index os_sync_a_entregar), latest removal first: what a manager sends
        again from the board's banner, as a card's "Reenviar" does for an order in the queue.
        Each with its failed event's reason (`ultimo_erro`)."""
        copias = self.arquivo.find(
            {**A_ENTREGAR, "os_sync.falhou": True},
            {"fila_id": 1, "ordem_servico_id": 1, "placa": 1, "removido_em": 1, "eventos_os": 1},
            sort=[("removido_em", -1)],
            limit=limite,
        )
        return [
            {
                "fila_id": str(c["fila_id"]),
                "ordem_servico_id": c["ordem_servico_id"],
                "placa": c.get("placa"),
                "removido_em": c.get("removido_em"),
                "ultimo_erro": next(
                    (
                        e.get("ultimo_erro")
                        for e in c.get("eventos_os", [])
                        if e.get("estado") == "falhou"
                    ),
                    None,
                ),
            }
            for c in copias
        ]
