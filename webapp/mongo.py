"""The MongoDB connection of a process: short timeouts so a dead database answers 503 fast,
and indexes created on start-up, or on the first request once the database is back."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import UTC

from bson.codec_options import CodecOptions
from pymongo import IndexModel, MongoClient
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import OperationFailure, PyMongoError

from .settings import Settings
from .text import algarismos

log = logging.getLogger(__name__)

INT64_MAX = 2**63 - 1  # the largest integer MongoDB stores


def inteiro_guardavel(texto: str) -> int | None:
    """A whole number written in ASCII digits (an OS's, a mechanic's, in an address, a form's
    hidden field or a file) up to INT64_MAX, as the API and the forms accept them; None
    otherwise. All 19 digits: a number the API took must be found and read back everywhere."""
    numero = algarismos(texto, len(str(INT64_MAX)))
    return numero if numero is not None and numero <= INT64_MAX else None


class Mongo:
    def __init__(self, settings: Settings) -> None:
        timeout = settings.mongodb_timeout_ms
        self.client: MongoClient = MongoClient(
            settings.mongodb_url,
            tz_aware=True,
            tzinfo=UTC,
            appname="oficina-fila-execucao",
            serverSelectionTimeoutMS=timeout,
            connectTimeoutMS=timeout,
            socketTimeoutMS=max(timeout * 5, 10_000),
            retryWrites=True,
            # Re-check a server this often (default 10 s): after a failover or a node that
            # answered "shutting down", requests find the primary again within seconds.
            heartbeatFrequencyMS=1000,
        )
        self.db: Database = self.client.get_database(
            settings.mongodb_database, codec_options=CodecOptions(tz_aware=True, tzinfo=UTC)
        )

    def ping(self) -> None:
        self.client.admin.command("ping")

    def fechar(self) -> None:
        self.client.close()


INDICE_NAO_ENCONTRADO = 27  # MongoDB's IndexNotFound


def atualizar_indices(
    colecao: Collection, modelos: list[IndexModel], obsoletos: Iterable[str] = ()
) -> None:
    """Create a collection's indexes (idempotent), then drop the `obsoletos`: indexes an
    earlier version made, replaced by new ones under new names. An index never changes its
    keys under one name: MongoDB would refuse a version rolled back (its create_indexes under
    that name), and two processes starting together could drop each other's new index. Two
    processes dropping the same old one: one drop is enough."""
    colecao.create_indexes(modelos)
    for nome in obsoletos:
        try:
            colecao.drop_index(nome)
        except OperationFailure as erro:
            if erro.code != INDICE_NAO_ENCONTRADO:
                raise


class Indices:
    """Creates every collection's indexes (each `criar` is idempotent) once per process: at
    start-up, or on the first request once the database is reachable (while it is down,
    `garantir` raises and the request gets 503)."""

    def __init__(self, *criar: Callable[[], None]) -> None:
        self._criar = criar
        self._prontos = False
        self._trava = threading.Lock()

    def criar(self) -> None:
        """Now, whether or not this process already did (`init-db`, `seed-demo`)."""
        with self._trava:
            for criar in self._criar:
                criar()
            self._prontos = True

    def garantir(self) -> None:
        if not self._prontos:
            self.criar()

    def tentar(self) -> None:
        try:
            self.garantir()
        except PyMongoError as erro:
            log.warning("índices não criados agora; nova tentativa no próximo pedido: %s", erro)
