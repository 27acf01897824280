"""The process that recomputes the forecast: one per deployment, under a lease in MongoDB, the
same way as the OS dispatcher (sincronizacao_os/dispatcher.py): a daemon thread in each web
process (and in `flask --app wsgi os-sync run --previsao`), woken right after a change and
turning at least every second.

1. Each turn, a `PrevisaoWorker` takes or renews the lease (previsao/repository.py: a
   conditional update timed by the database's clock). Whoever holds it computes; the others
   only pass the requests of their process on, and take over when the holder stops (it lets
   go) or dies (its lease expires).
2. A change that moves the queue (a step, a hold, a priority, an assignment, a new or removed
   order, a new promise; a mechanic activated or deactivated) calls `acordar()`, given by
   create_app to FilaService and PessoasService as `mudou`: it wakes this process's thread,
   which, when another process computes, counts a request in the recompute's document; the
   holder sees the count move at its next turn. A process without the thread counts it itself.
3. The holder waits a moment for the changes to settle (a burst of taps is one recompute),
   then recomputes (previsao/service.py); besides, at least every PREVISAO_INTERVALO_S, for
   what moves with the clock alone.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from typing import Any

from pymongo.errors import PyMongoError

from ..background import LacoDeFundo, novo_dono
from ..settings import Settings
from .queries import PrevisaoQueries
from .repository import PrevisaoRepository
from .service import PrevisaoService

log = logging.getLogger("webapp.previsao")

VOLTA_S = 1.0  # a turn: how soon the holder sees another process's request
ASSENTAR_S = 0.5  # after a change, wait this long for more before recomputing...
ASSENTAR_MAX_S = 2.0  # ...but no longer than this since the first one


class PrevisaoWorker(LacoDeFundo):
    """Recomputes the forecast while it holds the lease. One instance is one candidate (one
    owner id); run it from one thread at a time."""

    nome = "previsao"
    descricao = "recálculo da previsão"
    log = log

    def __init__(
        self,
        service: PrevisaoService,
        repo: PrevisaoRepository,
        queries: PrevisaoQueries,
        settings: Settings,
        *,
        dono: str | None = None,
        volta_s: float = VOLTA_S,
        assentar_s: float = ASSENTAR_S,
    ) -> None:
        self.service = service
        self.repo = repo
        self.queries = queries
        self.settings = settings
        self.dono = dono or novo_dono()
        self.volta_s = volta_s
        self.assentar_s = assentar_s
        self.ultimo: float | None = None  # monotonic time of this process's last recompute
        self._pedido = threading.Event()  # a change in this process, not yet acted on
        self._renovado = -math.inf  # monotonic time the lease was last taken or renewed
        # Between turns: the requests counted so far (queries.pedidos), and when the next
        # recompute is due (monotonic; -inf: at once, as when taking over).
        self._pedidos: int | None = None
        self._devido = -math.inf
        super().__init__()

    # --- one turn --------------------------------------------------------------------------

    def _lease(self, renovar: bool = False) -> dict[str, Any] | None:
        """The recompute's document when the lease is ours (taken or renewed now), None when
        another process holds it. A lease renewed within the last third of its length is only
        read: the holder writes every few seconds, not every turn."""
        lease_s = self.settings.previsao_lease_ms / 1000
        if not renovar and time.monotonic() - self._renovado < lease_s / 3:
            documento = self.queries.calculo_atual()
            if documento is not None and documento.get("dono") == self.dono:
                return documento
        documento = self.repo.tomar(self.dono, self.settings.previsao_lease_ms)
        self._renovado = time.monotonic() if documento is not None else -math.inf
        return documento

    def _e_dono(self) -> bool:
        """Whether the lease is still ours, renewed now (asked before writing results)."""
        return self._lease(renovar=True) is not None

    def volta(self, parar: threading.Event) -> bool:
        """One turn: take or renew the lease; holding it, recompute when asked (here or by
        another process) or when the interval passed; else pass this process's requests on.
        Always False: the next turn comes after VOLTA_S or a wake-up."""
        lease = self._lease()
        if lease is None:
            if self._pedido.is_set():
                self._pedido.clear()
                self.repo.pedir()
            self._devido = -math.inf  # taking over: recompute at once
            return False
        pedido = self._pedido.is_set() or self.queries.pedidos() != self._pedidos
        if not pedido and time.monotonic() < self._devido:
            return False
        if pedido:
            self._assentar(parar)
        self._pedido.clear()
        lease = self._lease(renovar=True)  # the requests that came while it settled count too
        if lease is None:
            return False
        self._pedidos = self.queries.pedidos()
        resumo = self.service.recalcular(ainda_dono=self._e_dono, dono=self.dono)
        self.ultimo = time.monotonic()
        self._devido = self.ultimo + self.settings.previsao_intervalo_s
        if resumo.proxima_virada is not None:
            # Right after an at-risk order's promise passes (a second's margin): it is late
            # then, and the header's "Em risco" and the card must drop it, not two minutes on.
            falta = (resumo.proxima_virada - resumo.calculada_em).total_seconds()
            self._devido = min(self._devido, self.ultimo + max(falta, 0.0) + 1.0)
        return False

    def espera_s(self) -> float:
        return self.volta_s

    def espera_apos_erro_s(self) -> float:
        return self.settings.previsao_intervalo_s

    def _assentar(self, parar: threading.Event) -> None:
        """Wait until no change came for `assentar_s`, at most ASSENTAR_MAX_S in all."""
        limite = time.monotonic() + ASSENTAR_MAX_S
        while not parar.is_set():
            self._acordar.clear()
            restante = limite - time.monotonic()
            if restante <= 0 or not self._acordar.wait(min(self.assentar_s, restante)):
                return

    # --- the loop (background.LacoDeFundo) ---------------------------------------------------

    def ao_terminar(self) -> None:
        """Stopped on purpose: let go of the lease, so another process takes it at once."""
        with contextlib.suppress(PyMongoError):  # else the lease simply expires
            self.repo.soltar(self.dono)

    def acordar(self) -> None:
        """A change that moves the queue committed in this process: recompute soon (this
        process's thread, or whichever process computes). Never raises: a request that made
        a change must not fail for it."""
        self._pedido.set()
        if self.rodando:
            self._acordar.set()
            return
        try:
            self.repo.pedir()  # no thread here: the note goes to the process that computes
            self._pedido.clear()
        except PyMongoError as erro:
            log.warning("pedido de recálculo da previsão não registrado: %s", erro)
