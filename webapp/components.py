"""The collaborators of one app (one process), built once by create_app and reached from
request handlers, streams and commands through `componentes()`."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from .broker import Broker
from .clock import Relogio
from .configuracoes.repository import ConfiguracoesRepository
from .fila.queries import FilaQueries
from .fila.service import FilaService
from .mongo import Mongo
from .pessoas.queries import PessoasQueries
from .pessoas.repository import PessoasRepository
from .pessoas.service import PessoasService
from .sessao.repository import SessoesRepository, TentativasRepository
from .settings import Settings
from .sincronizacao_os.dispatcher import Despachante
from .sincronizacao_os.link import Ligacao


@dataclass(frozen=True)
class Componentes:
    settings: Settings
    relogio: Relogio
    mongo: Mongo
    fila: FilaService
    fila_queries: FilaQueries
    pessoas: PessoasRepository
    pessoas_queries: PessoasQueries
    pessoas_service: PessoasService
    tentativas: TentativasRepository
    sessoes: SessoesRepository
    configuracoes: ConfiguracoesRepository
    live: Broker
    despachante: Despachante
    ligacao_os: Ligacao

    def criar_indices(self) -> None:
        """Every collection's indexes (idempotent)."""
        self.fila.repo.criar_indices()
        self.pessoas.criar_indices()
        self.tentativas.criar_indices()
        self.sessoes.criar_indices()
        self.configuracoes.criar_indices()


def componentes(app: Flask | None = None) -> Componentes:
    return (app or current_app).extensions["componentes"]
