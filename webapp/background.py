"""A loop in a daemon thread of each web process: the OS dispatcher
(sincronizacao_os/dispatcher.py) and the forecast's recompute (previsao/worker.py) run on it.

The thread does not survive a fork (gunicorn's workers, `--preload`), so each request asks
`garantir()`, which starts it in this process unless it was stopped on purpose. A turn that
fails on the database backs off (0.5 s doubling to 10 s) and goes on; a closed client ends the
loop (the app is going away); anything else is logged and retried after the idle wait, or,
when the process's stop cut that turn short, ends the loop with an info line.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable

from pymongo.errors import InvalidOperation, PyMongoError


def novo_dono() -> str:
    """Who holds a lease: this host and process, and a nonce (a restarted process with the same
    pid is someone else)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class LacoDeFundo:
    """Subclasses give `volta()` (one turn: True when it did work and should turn again at
    once) and `espera_s()` (the idle wait between turns); `nome` names the thread and the logs."""

    nome = "fundo"
    descricao = "laço de fundo"  # how the logs name it, in Portuguese
    log = logging.getLogger("webapp")

    def __init__(self) -> None:
        self._acordar = threading.Event()
        self._parar = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._desligado = False  # stopped on purpose: garantir() must not restart it
        self._trava = threading.Lock()

    def volta(self, parar: threading.Event) -> bool:
        raise NotImplementedError

    def espera_s(self) -> float:
        raise NotImplementedError

    def espera_apos_erro_s(self) -> float:
        """How long after an unexpected error before trying again."""
        return self.espera_s()

    def ao_iniciar(self) -> None:
        """Before the thread starts in this process (drop what a fork copied)."""

    def ao_terminar(self) -> None:
        """After the loop stopped on purpose (let go of a lease)."""

    def rodar(
        self, parar: threading.Event, a_cada_volta: Callable[[], object] | None = None
    ) -> None:
        """The loop of the thread (or of a CLI in the foreground): a turn, then sleep until
        woken or for `espera_s()`. `a_cada_volta` runs at the start of every turn (a
        container's heartbeat file: a loop that stops turning stops renewing it)."""
        falhas = 0
        while not parar.is_set():
            self._acordar.clear()  # a wake-up from now on is seen by the wait below
            if a_cada_volta is not None:
                a_cada_volta()
            try:
                trabalhou = self.volta(parar)
                falhas = 0
            except InvalidOperation:
                return  # the MongoDB client was closed: the app is going away
            except PyMongoError as erro:
                falhas += 1
                espera = min(10.0, 0.5 * 2 ** (falhas - 1))
                self.log.warning(
                    "%s sem banco (%s); nova tentativa em %.1fs", self.descricao, erro, espera
                )
                parar.wait(espera)
                continue
            except Exception as erro:
                if parar.is_set():  # a turn the process's stop cut short (SIGTERM): no error
                    self.log.info("%s interrompido pela parada: %r", self.descricao, erro)
                    break
                self.log.exception("erro inesperado: %s", self.descricao)
                parar.wait(self.espera_apos_erro_s())
                continue
            if not trabalhou:
                self._acordar.wait(self.espera_s())
        self.ao_terminar()

    def iniciar(self) -> None:
        """Start the background thread of this process (again after a fork)."""
        with self._trava:
            if self.rodando:
                return
            self._desligado = False
            self._pid = os.getpid()
            self.ao_iniciar()
            self._parar = threading.Event()
            self._thread = threading.Thread(
                target=self.rodar, args=(self._parar,), name=self.nome, daemon=True
            )
            self._thread.start()

    def garantir(self) -> None:
        """Before each request: the thread runs in this process (it does not survive a fork,
        and `flask run` starts it here)."""
        if not self._desligado and not self.rodando:
            self.iniciar()

    def parar(self, timeout: float = 5.0) -> None:
        """Stop the thread; a turn in flight finishes first."""
        with self._trava:
            self._desligado = True
            self._parar.set()
            self._acordar.set()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def rodando(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self._pid == os.getpid()
