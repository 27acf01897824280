"""The MongoDB connection of a process: short timeouts so a dead database answers 503 fast,
and indexes created on start-up, or on the first request once the database is back."""

from __future__ import annotations

import logging
import threading
from datetime import UTC

from bson.codec_options import CodecOptions
from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import PyMongoError

from . import usuarios
from .config import Settings
from .repository import FilaRepository

log = logging.getLogger(__name__)


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
        )
        self.db: Database = self.client.get_database(
            settings.mongodb_database, codec_options=CodecOptions(tz_aware=True, tzinfo=UTC)
        )
        self.repo = FilaRepository(self.db)
        self._indices_prontos = False
        self._trava = threading.Lock()

    def garantir_indices(self) -> None:
        """Create the indexes once per process; raises while the database is unreachable."""
        if self._indices_prontos:
            return
        with self._trava:
            if not self._indices_prontos:
                self.repo.criar_indices()
                usuarios.criar_indices(self.db)
                self._indices_prontos = True

    def tentar_indices(self) -> None:
        try:
            self.garantir_indices()
        except PyMongoError as erro:
            log.warning("índices não criados agora; nova tentativa no próximo pedido: %s", erro)

    def ping(self) -> None:
        self.client.admin.command("ping")

    def fechar(self) -> None:
        self.client.close()
