"""Every write of the queue: collection `fila_execucao`, its archive and its indexes.

The store never decides a rule: it turns the domain's requisitos into the filter of ONE
`find_one_and_update`, so a step either happens exactly once or not at all, whatever races.
Reads live in queries.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from itertools import islice
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.client_session import ClientSession
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError

from ..mongo import atualizar_indices
from .domain import IMPORTADA, MotivoPausa, Mudanca, NumeroMudou, Status
from .preconditions import (
    PREENCHIDO,
    VAZIO,
    Anterior,
    Cabe,
    Diferente,
    PrimeiraPerdida,
    Requisito,
    SemEntrada,
    UmDe,
)
from .stages import Etapa, pausas_por_etapa, pausas_por_motivo

COLECAO = "fila_execucao"
ARQUIVO = "fila_execucao_arquivo"
# One document per run of `importar-historico` while its orders are being written: deleted when
# the run ends (written whole, or undone); marked PERDIDA when a live order took one of its
# numbers meanwhile (inserir), so the run can no longer end well and undoes itself.
IMPORTACOES = "importacoes_em_curso"
# One document per one-off fill of fields older items lack, once done on this database: each
# worker's start would otherwise scan the whole queue, imported history included, to find none.
MIGRACOES = "migracoes"
CAMPOS_DO_ITEM = "fila: etapa_desde, pausas_s, pausas_motivo_s"
GRAVANDO, PERDIDA = "gravando", "perdida"
# A run that wrote nothing for this long was killed mid-way (its process gone): its orders are
# history for good, as a run ended well's, and no live order takes their numbers any more.
IMPORTACAO_VIVA_MS = 120_000
_VIVA = {"$expr": {"$gte": ["$vivo_em", {"$subtract": ["$$NOW", IMPORTACAO_VIVA_MS]}]}}
# Fields whose updates no screen shows: a dispatcher claiming or releasing an item (its lease).
CAMPOS_INVISIVEIS = ("os_sync.lease_",)

# Lists are "most urgent first, then first come first served"; _id breaks ties stably.
ORDEM_FILA = [("prioridade_ordem", ASCENDING), ("dta_criacao", ASCENDING), ("_id", ASCENDING)]
# Named by the queries that must use them (hint): see INDICES.
FILA_DO_QUADRO = "fila_do_quadro"
FINALIZADAS_DO_QUADRO = "finalizadas_do_quadro"
FINALIZADAS_POR_PLACA = "finalizadas_por_placa"

INDICES = [
    IndexModel([("ordem_servico_id", ASCENDING)], unique=True, name="ordem_servico_unica"),
    # An open column in the queue's order (the board, the TV, the API's list of one open
    # status; its counts): no imported order is open, so none is ever read past here.
    IndexModel([("status", ASCENDING), *ORDEM_FILA], name="fila_por_status"),
    # The API's list of all orders, or of the finished ones, in the queue's order. `importada`
    # (absent but on imported history) first: the list asks for it absent (queries.
    # NAO_IMPORTADA), a point, so it reads only the board's orders, in order, however much
    # history was imported. (Not in fila_por_status: a field between the status and the order
    # made every count of the open columns slower, a third of a GET / of 2,000 orders.)
    IndexModel([(IMPORTADA, ASCENDING), *ORDEM_FILA], name=FILA_DO_QUADRO),
    # "Minhas ordens" (queries.filtro_busca): a mechanic's open column page and its counts,
    # and a number's open orders, read only that mechanic's entries however long the queue.
    IndexModel(
        [("mecanico_responsavel_id", ASCENDING), ("status", ASCENDING), *ORDEM_FILA],
        name="fila_por_mecanico",
    ),  # fmt: skip
    # Undoing an import that failed deletes its run's orders (importar) without a scan.
    IndexModel(
        [("importacao", ASCENDING)],
        name="por_importacao",
        partialFilterExpression={"importacao": {"$exists": True}},
    ),
    # The board's "finished today" column and the history pages, in their order (most recent
    # first, _id breaking ties: queries.MAIS_RECENTES), so a page never sorts in memory nor
    # steps past imported history...
    IndexModel(
        [
            ("status", ASCENDING),
            (IMPORTADA, ASCENDING),
            ("dta_fim_reparo", DESCENDING),
            ("_id", DESCENDING),
        ],
        name=FINALIZADAS_DO_QUADRO,
    ),
    # ...and every finished order, imported too, in the same order: what the indicators, their
    # export (oldest first, walked backwards) and the forecast read.
    IndexModel(
        [("status", ASCENDING), ("dta_fim_reparo", DESCENDING), ("_id", DESCENDING)],
        name="finalizadas_em_ordem",
    ),
    # The longest-waiting orders (the TV's highlight): by when their current stage began, _id
    # breaking ties. Also the late work's stage branches (queries.filtro_atrasadas: a stage
    # begun before the threshold), while por_previsao serves its promised-time branch.
    IndexModel(
        [("status", ASCENDING), ("etapa_desde", ASCENDING), ("_id", ASCENDING)],
        name="por_etapa_em_ordem",
    ),
    IndexModel([("status", ASCENDING), ("previsao_entrega", ASCENDING)], name="por_previsao"),
    # A car's last visit by its plate (a customer on the phone: "is ABC1D23 ready?"), finished
    # before today, imported too: only finished orders are indexed (queries.finalizada_por_placa).
    IndexModel(
        [("placa", ASCENDING), ("dta_fim_reparo", DESCENDING)],
        name=FINALIZADAS_POR_PLACA,
        partialFilterExpression={"status": Status.FINALIZADA.value},
    ),
    # The OS dispatcher's "next item due" (only items with something due are indexed) and the
    # board's count of events waiting.
    IndexModel(
        [("os_sync.proxima", ASCENDING)],
        name="os_sync_devidos",
        partialFilterExpression={"os_sync.proxima": {"$exists": True}},
    ),
    IndexModel(
        [("os_sync.pendentes", ASCENDING)],
        name="os_sync_pendentes",
        partialFilterExpression={"os_sync.pendentes": {"$gt": 0}},
    ),
]
# Indexes an earlier version made, each replaced above by one under a new name (the first two
# lacked _id, the last `importada`): dropped once the new ones exist. A version rolled back
# simply makes its own again.
OBSOLETOS = ("finalizadas", "por_etapa", "fila_geral")
INDICES_ARQUIVO = [
    IndexModel([("removido_em", ASCENDING)], name="arquivo_por_data"),
    # A removed order's steps not yet delivered still go to the OS service (reivindicar_envio),
    # and an outcome is recorded on its copy by the order's id (registrar_envio).
    IndexModel(
        [("os_sync.proxima", ASCENDING)],
        name="os_sync_devidos",
        partialFilterExpression={"os_sync.proxima": {"$exists": True}},
    ),
    IndexModel([("fila_id", ASCENDING)], name="arquivo_por_fila"),
    # A board search for an OS number no longer on the board: its last removal (who, when).
    IndexModel(
        [("ordem_servico_id", ASCENDING), ("removido_em", DESCENDING)], name="arquivo_por_os"
    ),
    # The copies whose steps have not all reached the OS service (A_ENTREGAR): the board's
    # count of events waiting, a manager's list of those refused, a re-added OS letting go.
    IndexModel(
        [("os_sync.pendentes", ASCENDING)],
        name="os_sync_a_entregar",
        partialFilterExpression={"os_sync.entregar": True, "os_sync.pendentes": {"$gt": 0}},
    ),
]
OBSOLETOS_ARQUIVO = ("arquivo_por_os",)  # served no query


# On a removed order's copy (os_sync): its undelivered steps are still to be sent.
ENTREGAR_ARQUIVADA = "entregar"
# Removed orders with steps still to reach the OS service (index os_sync_a_entregar).
A_ENTREGAR: dict[str, Any] = {
    f"os_sync.{ENTREGAR_ARQUIVADA}": True,
    "os_sync.pendentes": {"$gt": 0},
}

# Imported orders written per insert_many.
LOTE_IMPORTACAO = 1_000


class OrdemJaNaFila(Exception):
    """`importada`: the number is held by imported history (on no screen), not by an order
    of the board."""

    def __init__(self, ordem_servico_id: int | None = None, importada: bool = False) -> None:
        super().__init__(ordem_servico_id)
        self.ordem_servico_id = ordem_servico_id
        self.importada = importada


def _condicao(requisito: Requisito) -> Any:
    esperado = requisito.esperado
    if esperado is PREENCHIDO:
        return {"$ne": None}
    if esperado is VAZIO:
        return None  # matches null and missing
    if isinstance(esperado, UmDe):
        return {"$in": list(esperado.valores)}
    if isinstance(esperado, Diferente):
        return {"$ne": esperado.valor}
    if isinstance(esperado, SemEntrada):
        return {"$not": {"$elemMatch": dict(esperado.valores)}}
    return esperado


def filtro(fila_id: ObjectId, requisitos: tuple[Requisito, ...]) -> dict[str, Any]:
    """The update's filter: every requisito must hold. Two on one field (a priority other than
    the one chosen, and still the one the screen showed) both go in, the second by $and: a key
    set twice kept only the last."""
    consulta: dict[str, Any] = {"_id": fila_id}
    for requisito in requisitos:
        if isinstance(requisito.esperado, Cabe):  # no entry at the last place allowed
            chave, condicao = (
                f"{requisito.campo}.{requisito.esperado.maximo - 1}",
                {"$exists": False},
            )
        else:
            chave, condicao = requisito.campo, _condicao(requisito)
        if chave in consulta:
            consulta.setdefault("$and", []).append({chave: condicao})
        else:
            consulta[chave] = condicao
    return consulta


def eventos_atualizados(condicao: dict[str, Any], campos: dict[str, Any]) -> dict[str, Any]:
    """Pipeline expression: `eventos_os` with `campos` merged into the events where `condicao`
    (an expression over `$$this`) holds; the others unchanged."""
    return {
        "$map": {
            "input": "$eventos_os",
            "in": {
                "$cond": [condicao, {"$mergeObjects": ["$$this", {"$literal": campos}]}, "$$this"]
            },
        }
    }


class FilaRepository:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.fila = db[COLECAO]
        self.arquivo = db[ARQUIVO]
        self.importacoes = db[IMPORTACOES]

    def criar_indices(self) -> None:
        atualizar_indices(self.fila, INDICES, obsoletos=OBSOLETOS)
        atualizar_indices(self.arquivo, INDICES_ARQUIVO, OBSOLETOS_ARQUIVO)
        migracoes = self.db[MIGRACOES]
        if migracoes.count_documents({"_id": CAMPOS_DO_ITEM}, limit=1):
            return
        self._preencher_pausas()
        # Items stored before `etapa_desde` existed get it from their own dates (idempotent).
        self.fila.update_many(
            {"etapa_desde": {"$exists": False}},
            [{"$set": {"etapa_desde": {"$ifNull": [
                "$dta_fim_reparo", "$dta_inicio_reparo", "$dta_aprovacao_orcamento",
                "$dta_fim_diagnostico", "$dta_inicio_diagnostico", "$dta_criacao",
            ]}}}],
        )  # fmt: skip
        # Two processes starting together both fill (idempotent); a version from before these
        # fields, rolled back to, would write items without them: drop this document then.
        migracoes.update_one({"_id": CAMPOS_DO_ITEM}, {"$currentDate": {"em": True}}, upsert=True)

    def refazer_preenchimento(self) -> None:
        """Forget that the one-off fill ran (init-db): the next criar_indices runs it again,
        for a database restored from an archive made before these fields existed."""
        self.db[MIGRACOES].delete_one({"_id": CAMPOS_DO_ITEM})

    def _preencher_pausas(self) -> None:
        """Items stored before `pausas_s` or `pausas_motivo_s` existed get both once, replayed
        from their history. Each write is conditional on the item's version. An item a step
        changes in the moment between this read and this write keeps what that step wrote
        (only the hold it ended, not the older ones): a window of milliseconds, once, at the
        upgrade that brought these fields; every deployment since starts with them."""
        sem = {"$or": [{"pausas_s": {"$exists": False}}, {"pausas_motivo_s": {"$exists": False}}]}
        for item in self.fila.find(
            {**sem, "historico.acao": "pausar"}, {"historico": 1, "versao": 1}
        ):
            historico = item.get("historico") or []
            self.fila.update_one(
                {"_id": item["_id"], **sem, "versao": item.get("versao")},
                {"$set": {
                    "pausas_s": pausas_por_etapa(historico),
                    "pausas_motivo_s": pausas_por_motivo(historico),
                }},
            )  # fmt: skip
        for campo in ("pausas_s", "pausas_motivo_s"):
            self.fila.update_many(
                {campo: {"$exists": False}, "historico.acao": {"$ne": "pausar"}},
                {"$set": {campo: {}}},
            )

    def inserir(self, documento: dict[str, Any]) -> dict[str, Any]:
        """A new order; OrdemJaNaFila when its OS number is stored, unless only an import
        still being written holds it: the live order takes it (_liberar_de_importacao), so
        the OS service is never told "already in the queue" of an order the import then
        undoes."""
        numero = documento["ordem_servico_id"]
        for _ in range(3):
            try:
                resultado = self.fila.insert_one(documento)
            except DuplicateKeyError:
                documento.pop("_id", None)  # insert_one set it: the retry gets a fresh one
                self._liberar_de_importacao(numero)
            else:
                return {**documento, "_id": resultado.inserted_id}
        raise OrdemJaNaFila(numero)  # taken again at each try (other live orders with it)

    def _liberar_de_importacao(self, numero: int) -> None:
        """Returns when the OS number may be tried again: freed meanwhile, or held by an import
        still being written, whose run is then marked lost (one conditional update: it can no
        longer end well, and undoes itself when it ends) and its copy deleted. OrdemJaNaFila
        when the number is the queue's or finished history's for good."""
        atual = self.fila.find_one({"ordem_servico_id": numero}, {"importacao": 1, IMPORTADA: 1})
        if atual is None:
            return
        lote = atual.get("importacao")
        if lote is None:
            raise OrdemJaNaFila(numero, importada=bool(atual.get(IMPORTADA)))
        perdida = self.importacoes.update_one(
            {"_id": lote, "estado": GRAVANDO, **_VIVA},
            {"$set": {"estado": PERDIDA, "tomada": numero}},
        )
        if perdida.modified_count:
            self.fila.delete_one({"_id": atual["_id"]})
            return
        # The run ended meanwhile: written whole (the copy stays, history for good), or undone.
        if self.fila.count_documents({"_id": atual["_id"]}, limit=1):
            raise OrdemJaNaFila(numero, importada=True)

    def aplicar(
        self,
        fila_id: ObjectId,
        mudanca: Mudanca,
        reservar: Callable[[ClientSession], bool] | None = None,
    ) -> dict[str, Any] | None:
        """Apply `mudanca` only if its requisitos still hold; the updated item, or None.
        `reservar`: the change puts a person's number on the order; in one transaction with
        it, that person's record is written first (PessoasRepository.reservar_numero), so a
        change of the number meanwhile and this step never both apply (NumeroMudou)."""

        def atualizar(sessao: ClientSession | None) -> dict[str, Any] | None:
            return self.fila.find_one_and_update(
                filtro(fila_id, mudanca.requisitos),
                atualizacao(mudanca),
                return_document=ReturnDocument.AFTER,
                session=sessao,
            )

        if reservar is None:
            return atualizar(None)

        def transacao(sessao: ClientSession) -> dict[str, Any] | None:
            if not reservar(sessao):
                raise NumeroMudou()
            return atualizar(sessao)

        with self.db.client.start_session() as sessao:
            return sessao.with_transaction(transacao)

    def reenviar_evento_os(
        self, fila_id: ObjectId, agora: datetime, entrada: dict[str, Any], no_relogio: bool
    ) -> dict[str, Any] | None:
        """A failed head event becomes pending again, due now, with a fresh retry window; the
        item, or None when it has no failed event (conditional: two managers, one retry)."""
        return self.fila.find_one_and_update(
            {"_id": fila_id, "os_sync.falhou": True},
            _reenvio(agora, entrada, no_relogio),
            return_document=ReturnDocument.AFTER,
        )

    def reenviar_evento_os_arquivada(
        self, fila_id: ObjectId, agora: datetime, entrada: dict[str, Any], no_relogio: bool
    ) -> dict[str, Any] | None:
        """reenviar_evento_os on a removed order's copy whose steps still go out (marked by
        `remover`, not let go since): None when it has no failed event to send again."""
        return self.arquivo.find_one_and_update(
            {**A_ENTREGAR, "fila_id": fila_id, "os_sync.falhou": True},
            _reenvio(agora, entrada, no_relogio),
            return_document=ReturnDocument.AFTER,
        )

    def largar_arquivadas_da_os(self, ordem_servico_id: int) -> None:
        """The OS is in the queue again: its removed orders' copies stop sending (as
        largar_arquivada, for all of them at once, a failed one too: the new order's steps
        tell the OS service now)."""
        self.arquivo.update_many(
            {**A_ENTREGAR, "ordem_servico_id": ordem_servico_id},
            {"$unset": {f"os_sync.{ENTREGAR_ARQUIVADA}": "", "os_sync.proxima": ""}},
        )

    def remover(
        self, fila_id: ObjectId, por: str, agora: datetime, versao: int | None = None
    ) -> dict[str, Any] | None:
        """Delete the item and keep an audit copy, both or neither (a transaction); with
        `versao`, only the item still at that version (what the screen showed). None: nothing
        deleted."""
        filtro: dict[str, Any] = {"_id": fila_id}
        if versao is not None:
            # A card shows 1 for an order stored before versions were kept (cartoes.cards).
            filtro["versao"] = {"$in": [1, None]} if versao == 1 else versao

        def _remover(session: Any) -> dict[str, Any] | None:
            item = self.fila.find_one_and_delete(filtro, session=session)
            if item is None:
                return None
            copia = {**item, "fila_id": item["_id"], "removido_por": por, "removido_em": agora}
            del copia["_id"]
            sinc = item.get("os_sync") or {}
            if sinc.get("pendentes") or sinc.get("proxima") is not None:
                # Its steps not yet delivered still go out (reivindicar_envio), also those
                # held behind one the OS service refused (a manager sends it again from the
                # board's banner); copies made before they did (no mark) are history only,
                # never sent late.
                copia["os_sync"] = {**sinc, ENTREGAR_ARQUIVADA: True}
            self.arquivo.insert_one(copia, session=session)
            return item

        with self.db.client.start_session() as session:
            return session.with_transaction(_remover)

    def inserir_importadas(self, documentos: Iterable[dict[str, Any]], lote_id: ObjectId) -> int:
        """Finished orders from a file (`importar-historico`), every one tagged with this
        run's `importacao` id: LOTE_IMPORTACAO per insert_many, so 50,000 orders are a few
        dozen round trips. All or none: any failure deletes what this run wrote (by its tag)
        and raises. Not one transaction: a transaction of 50,000 documents does not fit a
        modest WiredTiger cache ("transaction is too large"). Instead the run has a document
        of its own (IMPORTACOES) while it writes, and ends by deleting it, on condition that
        no live order took one of its numbers meanwhile (inserir): one conditional write
        decides, so a number is either the run's for good or the live order's. An OS number
        stored meanwhile: OrdemJaNaFila with that number, nothing of the run kept. A run
        killed mid-way leaves part of the file, which the next run of the same file
        completes (it is keyed on the OS number); once it has written nothing for
        IMPORTACAO_VIVA_MS, its orders are history for good and its document is cleared."""
        total = 0
        lotes = iter(documentos)
        self.importacoes.delete_many({"estado": GRAVANDO, "$nor": [_VIVA]})  # killed runs
        viva = [{"$set": {"estado": GRAVANDO, "vivo_em": "$$NOW"}}]  # the database's clock
        self.importacoes.update_one({"_id": lote_id}, viva, upsert=True)
        try:
            while lote := list(islice(lotes, LOTE_IMPORTACAO)):
                self.fila.insert_many([{**d, "importacao": lote_id} for d in lote], ordered=True)
                total += len(lote)
                self.importacoes.update_one({"_id": lote_id, "estado": GRAVANDO}, viva)
            if not self.importacoes.delete_one({"_id": lote_id, "estado": GRAVANDO}).deleted_count:
                perdida = self.importacoes.find_one({"_id": lote_id}) or {}
                raise OrdemJaNaFila(perdida.get("tomada"))
        except BaseException as erro:
            self.fila.delete_many({"importacao": lote_id})
            self.importacoes.delete_one({"_id": lote_id})
            if isinstance(erro, BulkWriteError):
                repetidas = [
                    e for e in erro.details.get("writeErrors", []) if e.get("code") == 11000
                ]
                if repetidas:
                    chave = repetidas[0].get("keyValue") or {}
                    raise OrdemJaNaFila(chave.get("ordem_servico_id")) from None
            raise
        return total

    def apagar_tudo(self) -> None:
        """Empty the queue (`seed-demo --reset`, local demos only)."""
        self.fila.delete_many({})

    # --- the OS dispatcher's lease on an item ------------------------------------------------

    def reivindicar_envio(
        self, dono: str, lease_ms: int, instante: datetime
    ) -> dict[str, Any] | None:
        """Claim the item whose head event is due first, if no one holds it: the item with its
        lease, or None. The lease is timed by the database's clock ($$NOW), so dispatchers on
        hosts with skewed clocks still agree on when it expires. Index: os_sync_devidos.

        A removed order's copy in the archive first (one marked by `remover`): a step
        answered 200 reaches the OS service even when the order was removed before its event
        went out (a removal never cancels what happened); once the same OS is in the queue
        again, the dispatcher stops it (largar_arquivada). Its `_id` is the order's
        (`fila_id`), as in the event's Idempotency-Key."""
        for colecao, marca in ((self.arquivo, {f"os_sync.{ENTREGAR_ARQUIVADA}": True}),
                               (self.fila, {})):  # fmt: skip
            item = self._reivindicar_em(colecao, marca, dono, lease_ms, instante)
            if item is not None:
                return {**item, "_id": item.get("fila_id", item["_id"])}
        return None

    @staticmethod
    def _reivindicar_em(
        colecao: Collection, marca: dict[str, Any], dono: str, lease_ms: int, instante: datetime
    ) -> dict[str, Any] | None:
        return colecao.find_one_and_update(
            {
                **marca,
                "os_sync.proxima": {"$lte": instante},
                "os_sync.falhou": {"$ne": True},
                "$or": [
                    {"os_sync.lease_ate": None},
                    {"$expr": {"$lte": ["$os_sync.lease_ate", "$$NOW"]}},
                ],
            },
            [
                {
                    "$set": {
                        "os_sync.lease_dono": dono,
                        "os_sync.lease_ate": {"$add": ["$$NOW", lease_ms]},
                    }
                }
            ],
            sort=[("os_sync.proxima", ASCENDING)],
            projection={"ordem_servico_id": 1, "eventos_os": 1, "os_sync": 1, "fila_id": 1},
            return_document=ReturnDocument.AFTER,
        )

    def registrar_envio(
        self, fila_id: Any, lease: dict[str, Any], seq: int | None, campos: dict[str, Any]
    ) -> bool:
        """Record an attempt's outcome on event `seq` and let go of the item, only if the lease
        is still ours (a dispatcher that outlived its lease must not overwrite the next one's
        work). The summary is recomputed in the same update, from the array as it is then
        (steps may have added events meanwhile). False when the lease was lost. An order
        removed meanwhile is recorded in its archived copy, which kept the lease."""
        etapas: list[dict[str, Any]] = []
        if seq is not None:
            condicao = {"$eq": ["$$this.seq", seq]}
            etapas.append({"$set": {"eventos_os": eventos_atualizados(condicao, campos)}})
        etapas.append({"$set": resumo_os_sync()})
        etapas.append({"$unset": ["os_sync.lease_dono", "os_sync.lease_ate"]})
        if self.fila.update_one({"_id": fila_id, **_do_lease(lease)}, etapas).matched_count:
            return True
        filtro = {"fila_id": fila_id, **_do_lease(lease)}
        return self.arquivo.update_one(filtro, etapas).matched_count == 1

    def largar_arquivada(self, fila_id: Any, lease: dict[str, Any]) -> bool:
        """A removed order's copy stops sending (its OS is in the queue again: the new order's
        steps tell the OS service now, and an older status sent after them would be out of
        order): nothing more is due on it, and the lease is let go."""
        largar = [f"os_sync.{ENTREGAR_ARQUIVADA}", "os_sync.proxima"]
        resultado = self.arquivo.update_one(
            {"fila_id": fila_id, **_do_lease(lease)},
            {"$unset": dict.fromkeys([*largar, "os_sync.lease_dono", "os_sync.lease_ate"], "")},
        )
        return resultado.matched_count == 1


def _reenvio(agora: datetime, entrada: dict[str, Any], no_relogio: bool) -> list[dict[str, Any]]:
    """The update of a manager's retry: the failed event pending again, due now, with a fresh
    retry window, and the retry in the history, stamped as any change: made at the clock's now
    (`no_relogio`), never before the item's last change, which a request that read the clock
    earlier may have written since (AGORA, as atualizacao does)."""
    novos = {
        "estado": "pendente",
        "proxima_tentativa": agora,
        "janela_desde": agora,
        "tentativas": 0,
    }
    instante = {"$max": [{"$literal": agora}, "$dta_atualizacao"]} if no_relogio else agora
    return [
        {"$set": {AGORA: instante}},
        {
            "$set": {
                "eventos_os": eventos_atualizados({"$eq": ["$$this.estado", "falhou"]}, novos),
                "versao": {"$add": [{"$ifNull": ["$versao", 0]}, 1]},
                "dta_atualizacao": f"${AGORA}",
                "historico": {
                    "$concatArrays": [
                        {"$ifNull": ["$historico", []]},
                        [_entrada_historico(entrada, agora)],
                    ]
                },
            }
        },
        {"$set": resumo_os_sync()},
        {"$unset": AGORA},
    ]


def _do_lease(lease: dict[str, Any]) -> dict[str, Any]:
    """Matches an item only while this lease (a dispatcher's claim) is still on it."""
    return {"os_sync.lease_dono": lease["lease_dono"], "os_sync.lease_ate": lease["lease_ate"]}


# --- The outbox of events for the OS service, kept in the item ---------------------------------

_EVENTOS = {"$ifNull": ["$eventos_os", []]}


def resumo_os_sync() -> dict[str, Any]:
    """`os_sync` recomputed from `eventos_os` inside an update (aggregation expressions).

    pendentes: events not delivered yet (a failed one included: it blocks the later ones);
    falhou: the head event failed for good (a manager must retry); proxima: when the head event
    is due, absent when nothing can be sent (the dispatcher's index only holds items with one).
    The lease fields are left alone: a step may happen while its item's delivery is in flight.
    """
    esperando = {"$filter": {"input": _EVENTOS, "cond": {"$ne": ["$$this.estado", "enviado"]}}}
    return {
        "os_sync.pendentes": {"$size": esperando},
        "os_sync.falhou": {"$in": ["falhou", {"$ifNull": ["$eventos_os.estado", []]}]},
        "os_sync.proxima": {
            "$let": {
                "vars": {"cabeca": {"$first": esperando}},
                "in": {
                    "$cond": [
                        {"$eq": ["$$cabeca.estado", "pendente"]},
                        "$$cabeca.proxima_tentativa",
                        "$$REMOVE",
                    ]
                },
            }
        },
    }


# The stage an item is in, as an aggregation expression (stages.etapa's twin; a test checks
# they agree on every state).
ETAPA_ATUAL = {
    "$switch": {
        "branches": [
            {"case": {"$eq": ["$status", "EM_DIAGNOSTICO"]}, "then": Etapa.EM_DIAGNOSTICO.value},
            {"case": {"$eq": ["$status", "EM_REPARO"]}, "then": Etapa.EM_REPARO.value},
            {"case": {"$ne": ["$status", "AGUARDANDO"]}, "then": None},
            {
                "case": {"$eq": [{"$ifNull": ["$dta_fim_diagnostico", None]}, None]},
                "then": Etapa.AGUARDANDO_DIAGNOSTICO.value,
            },
            {
                "case": {"$ne": ["$orcamento_aprovado", True]},
                "then": Etapa.AGUARDANDO_APROVACAO.value,
            },
        ],
        "default": Etapa.PRONTA_PARA_REPARO.value,
    }
}


def acumular_pausas(agora: Any) -> dict[str, Any]:
    """`pausas_s` and `pausas_motivo_s` with the open hold (if any) added to the current stage's
    (and its reason's) seconds: a hold ends at `agora` (a pipeline value). Computed from the
    item as it is before the change, inside the update; an unknown reason counts as "outro"
    (stages.motivo_pausa)."""
    em_pausa = {"$eq": [{"$type": "$pausa"}, "object"]}
    segundos = {"$divide": [{"$subtract": [agora, "$pausa.desde"]}, 1000]}
    conhecidos = [m.value for m in MotivoPausa if m is not MotivoPausa.OUTRO]
    variaveis = {
        "etapa": ETAPA_ATUAL,
        "motivo": {"$cond": [{"$in": ["$pausa.motivo", conhecidos]}, "$pausa.motivo", "outro"]},
        "segundos": {"$cond": [em_pausa, {"$max": [0, segundos]}, 0]},
    }

    def somar(antes: str, *condicoes: dict[str, Any]) -> dict[str, Any]:
        return {
            "$add": [
                {"$ifNull": [antes, 0]},
                {"$cond": [{"$and": list(condicoes)}, "$$segundos", 0]},
            ]
        }

    por_etapa = {e.value: somar(f"$$antes.{e.value}", {"$eq": ["$$etapa", e.value]}) for e in Etapa}
    por_motivo = {
        e.value: {
            m.value: somar(
                f"$$antes.{e.value}.{m.value}",
                {"$eq": ["$$etapa", e.value]},
                {"$eq": ["$$motivo", m.value]},
            )
            for m in MotivoPausa
        }
        for e in Etapa
    }
    return {
        campo: {
            "$let": {
                "vars": {**variaveis, "antes": {"$ifNull": [f"${campo}", {}]}},
                "in": valor,
            }
        }
        for campo, valor in (("pausas_s", por_etapa), ("pausas_motivo_s", por_motivo))
    }


# The instant of a change made at the clock's now (Mudanca.no_relogio), inside its pipeline:
# its planned instant, or the item's last change when that is later (a racing request wrote it
# after this one read the clock). Unset before the pipeline ends.
AGORA = "_agora"


def _tem_instante(valor: Any, instante: datetime | None) -> bool:
    if instante is None:
        return False
    if isinstance(valor, datetime):
        return valor == instante
    return isinstance(valor, dict) and any(_tem_instante(v, instante) for v in valor.values())


def _valor(valor: Any, instante: datetime | None = None) -> Any:
    """A planned value as a pipeline value: literal (a text starting with "$" stays a text),
    but where it is the change's `instante` (also inside a document), the change's instant
    as stored (AGORA)."""
    if isinstance(valor, datetime) and _tem_instante(valor, instante):
        return f"${AGORA}"
    if isinstance(valor, dict) and _tem_instante(valor, instante):
        trocas = {k: _valor(v, instante) for k, v in valor.items() if _tem_instante(v, instante)}
        fixos = {k: v for k, v in valor.items() if k not in trocas}
        return {"$mergeObjects": [{"$literal": fixos}, trocas]}
    return {"$literal": valor}


def _entrada_historico(entrada: dict[str, Any], instante: datetime | None = None) -> Any:
    """A history entry as a pipeline value: literal, but for Anterior markers, which become
    the field's value before the update (null when missing), and its instant (_valor)."""
    anteriores = {k: v for k, v in entrada.items() if isinstance(v, Anterior)}
    if not anteriores:
        return _valor(entrada, instante)
    fixos = {k: v for k, v in entrada.items() if k not in anteriores}
    lidos = {k: {"$ifNull": [f"${v.campo}", None]} for k, v in anteriores.items()}
    return {"$mergeObjects": [_valor(fixos, instante), lidos]}


def _campo(campo: str, valor: Any, instante: datetime | None) -> Any:
    """A changed field's pipeline value (_valor), or a PrimeiraPerdida read by the update."""
    if not isinstance(valor, PrimeiraPerdida):
        return _valor(valor, instante)
    antes = f"${valor.campo}"
    passou = {"$and": [{"$ne": [{"$ifNull": [antes, None]}, None]},
                       {"$lt": [antes, _valor(valor.em, instante)]}]}  # fmt: skip
    return {"$ifNull": [f"${campo}", {"$cond": [passou, antes, "$$REMOVE"]}]}


def atualizacao(mudanca: Mudanca) -> list[dict[str, Any]]:
    """A change as ONE pipeline update: the hold's seconds to its stage (when the change ends
    holds), the change's fields, its history and its events, then the recomputed `os_sync`,
    all atomic.

    A pipeline (not $set/$push) because some values come from the item as it is at that
    moment, with no read before the write: the hold's start, the value a history entry
    replaces (Anterior), and each event's `seq` = number of events already there + 1
    (1-based, gapless, per item), so racing steps can never share a seq. The Idempotency-Key
    `chave` is "<fila_id>-<seq>": the same on every retry, different for an OS re-added to
    the queue. Values are wrapped in $literal so texts starting with "$" stay texts and
    documents replace.
    """
    etapas: list[dict[str, Any]] = []
    # Made at the clock's now: its instant (every value equal to it) no earlier than the
    # item's last change (AGORA).
    instante = mudanca.campos.get("dta_atualizacao") if mudanca.no_relogio else None
    if instante is not None:
        etapas.append({"$set": {AGORA: {"$max": [{"$literal": instante}, "$dta_atualizacao"]}}})
    if mudanca.encerra_pausa is not None:
        etapas.append({"$set": acumular_pausas(_valor(mudanca.encerra_pausa, instante))})
    passo = {campo: _campo(campo, valor, instante) for campo, valor in mudanca.campos.items()}
    passo["versao"] = {"$add": [{"$ifNull": ["$versao", 0]}, 1]}
    if mudanca.historico:
        novas = [_entrada_historico(e, instante) for e in mudanca.historico]
        passo["historico"] = {"$concatArrays": [{"$ifNull": ["$historico", []]}, novas]}
    if mudanca.eventos:
        total = {"$size": _EVENTOS}
        novos = []
        for i, evento in enumerate(mudanca.eventos, start=1):
            seq = {"$add": [total, i]}
            chave = {"$concat": [{"$toString": "$_id"}, "-", {"$toString": seq}]}
            novos.append(
                {"$mergeObjects": [_valor(evento, instante), {"seq": seq, "chave": chave}]}
            )
        passo["eventos_os"] = {"$concatArrays": [_EVENTOS, novos]}
    etapas.append({"$set": passo})
    if mudanca.eventos:
        etapas.append({"$set": resumo_os_sync()})
    if instante is not None:
        etapas.append({"$unset": AGORA})
    return etapas
