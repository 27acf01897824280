"""`flask --app wsgi os-sync run|status`: a dispatcher in the foreground (a dedicated
deployment; with `--previsao` it also computes the forecast there) and the link's state."""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import threading
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext

from ..commands import Grupo
from ..components import componente
from ..mongo import Indices
from ..previsao.worker import PrevisaoWorker
from ..settings import Settings
from .dispatcher import OsDispatcher
from .link import OsLink

log = logging.getLogger("webapp.os_sync")


@click.group("os-sync", cls=Grupo)
def os_sync() -> None:
    """Entrega dos passos ao sistema de OS."""


@os_sync.command("run")
@click.option(
    "--ate-vazio", is_flag=True, help="Sai quando não houver mais nada para enviar agora."
)
@click.option(
    "--batimento",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Arquivo cuja data é renovada a cada volta do laço (para um healthcheck de contêiner).",
)
@click.option(
    "--previsao",
    is_flag=True,
    help="Também calcula a previsão de conclusão neste processo (disputa o lease com os demais; "
    "o serviço web pode então rodar com PREVISAO_THREAD=false).",
)
@with_appcontext
def run(ate_vazio: bool, batimento: Path | None, previsao: bool) -> None:
    """Roda um despachante em primeiro plano; para com SIGTERM ou SIGINT."""
    enviar = bool(componente(Settings).url_api_os)
    if not enviar and not previsao:
        click.echo("URL_API_OS não configurada: não há para onde enviar.", err=True)
        raise SystemExit(1)
    if batimento is not None:
        try:
            batimento.touch()
        except OSError as erro:
            click.echo(f"Não foi possível escrever o batimento {batimento}: {erro}", err=True)
            raise SystemExit(1) from None
    componente(Indices).tentar()  # the pending steps' index; while down, the loop retries
    despachante = componente(OsDispatcher)
    despachante.parar()  # this process's own thread, if any: the loop below is the dispatcher
    parar = threading.Event()

    def ao_sinal(signum: int, _frame: Any) -> None:
        log.info("despachante de OS: sinal %s recebido, encerrando", signum)
        parar.set()
        despachante.acordar()

    signal.signal(signal.SIGTERM, ao_sinal)
    signal.signal(signal.SIGINT, ao_sinal)
    calculo = componente(PrevisaoWorker) if previsao else None
    if calculo is not None:
        calculo.iniciar()  # its own thread; the heartbeat stops when it dies
        log.info("previsão calculada neste processo", extra={"despachante": calculo.dono})
    log.info("despachante de OS iniciado", extra={"despachante": despachante.dono})
    volta = None if batimento is None else partial(_renovar, batimento, calculo)
    try:
        if ate_vazio and enviar:
            despachante.processar_pendentes()
        elif enviar:
            despachante.rodar(parar, volta)
        else:  # only the forecast here (URL_API_OS unset): keep the heartbeat going
            while not parar.wait(1.0):
                if volta is not None:
                    volta()
    finally:
        if calculo is not None:
            calculo.parar()  # lets go of the lease: another process takes over at once
    log.info("despachante de OS encerrado", extra={"despachante": despachante.dono})


def _renovar(batimento: Path, calculo: PrevisaoWorker | None = None) -> None:
    # A heartbeat that can no longer be renewed shows as unhealthy; delivery goes on. With the
    # forecast here, a dead forecast thread stops it too (the container is restarted).
    if calculo is not None and not calculo.rodando:
        return
    with contextlib.suppress(OSError):
        batimento.touch()


@os_sync.command("status")
@with_appcontext
def status() -> None:
    """Mostra o estado da ligação: desligada, fora do ar desde, envios esperando, falhas."""
    situacao = componente(OsLink).situacao()
    click.echo(json.dumps(asdict(situacao), default=str, ensure_ascii=False))
