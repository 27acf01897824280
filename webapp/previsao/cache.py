"""The forecasts in this process's memory, kept current by the change stream the broker already
watches `previsoes` with: what a board, a TV, a page or the API shows is read here, not from
MongoDB, on every request (issue 18's budget: the API's single GET within 10 % of its time
before the forecast, where one more indexed read costs ~0.3 ms of ~2.5).

- Loaded whole (one query) when the stream opens afresh, after it is open: a change made
  meanwhile comes through the stream too, and is applied again (each change carries the whole
  document, `updateLookup`), so nothing is missed.
- Each change of `previsoes` replaces (or removes) its document, in the stream's thread, before
  any open board hears of it: a push and a read of the copy agree.
- A stream resumed from its token missed nothing: the copy stays. One opened afresh (the token
  was lost) reloads it.
- While the stream is down, or has not answered for `prazo_s` (a getMore answers every
  ~250 ms, with or without changes), every read goes to the store, as before; the first read
  of a process starts the stream. A copy is never served stale for longer than that.

After a recompute of this process (PrevisaoService.gravou), reads go to the store until the
stream has brought what it wrote: a request that follows sees it. A promise ("Prometer") checks
the forecast in the store itself (cartoes.service.prometer_previsao): a write acts on what the
database says now.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from bson import ObjectId

from ..broker import PREVISAO, Broker, Evento
from .queries import CAMPOS_MOSTRADOS, Estado, PrevisaoQueries, Previsoes
from .repository import ESTADO

PRAZO_S = 3.0  # a stream that has not answered for this long is taken as down


class PrevisoesEmMemoria:
    """The forecasts' copy (Broker's Ouvinte); `para` and `estado` read like PrevisaoQueries."""

    def __init__(self, queries: PrevisaoQueries, broker: Broker, prazo_s: float = PRAZO_S) -> None:
        self.queries = queries
        self.broker = broker
        self.prazo_s = max(prazo_s, 4 * broker.max_await_ms / 1000)
        self._por_ordem: dict[str, Mapping[str, Any]] = {}
        self._estado: Estado | None = None
        self._valida = False  # loaded, and the stream is open since
        self._em_dia_apos = 0  # after a write of this process: Broker.em_dia to wait for
        self._trava = threading.Lock()
        self.recargas = 0  # whole loads (observability, tests)
        broker.ouvir(self)

    # --- reads (any thread) ------------------------------------------------------------------

    @property
    def atual(self) -> bool:
        """Whether the copy is current: the stream open since it was loaded, and answering."""
        return (
            self._valida
            and time.monotonic() - self.broker.visto_em < self.prazo_s
            and self.broker.em_dia >= self._em_dia_apos
        )

    def para(self, fila_ids: Iterable[ObjectId]) -> Previsoes:
        """PrevisaoQueries.para, from memory when it is current, else from the store."""
        if not self._garantir():
            return self.queries.para(fila_ids)
        por_ordem, estado = self._por_ordem, self._estado
        achadas = {}
        for fila_id in fila_ids:
            chave = str(fila_id)
            documento = por_ordem.get(chave)
            if documento is not None:
                achadas[chave] = documento
        return Previsoes(achadas, estado)

    def estado(self) -> Estado | None:
        """PrevisaoQueries.estado, from memory when it is current, else from the store."""
        return self._estado if self._garantir() else self.queries.estado()

    def vira_parada_em(self) -> datetime | None:
        """When the summary held now turns "cálculo parado" by the clock alone
        (Estado.vira_parada_em): a screen's stream sends its header or footer then."""
        estado = self.estado()
        return estado.vira_parada_em if estado is not None else None

    def escrito(self) -> None:
        """This process has just written forecasts (PrevisaoService.gravou): until the stream
        has brought them (two getMores that found nothing new, the second sent after the
        write), reads go to the store, so a request after a recompute sees what it wrote."""
        self._em_dia_apos = self.broker.em_dia + 2

    def _garantir(self) -> bool:
        if self.atual:
            return True
        self.broker.iniciar()  # this process's first read, or after a stop; else nothing
        return False

    # --- kept by the stream (its thread) -----------------------------------------------------

    def aberto(self, retomado: bool) -> None:
        if retomado and self.recargas:
            self._valida = True  # resumed: the changes since the last one heard follow
            return
        todas = self.queries.todas()
        with self._trava:
            self._por_ordem, self._estado = dict(todas.por_ordem), todas.estado
            self.recargas += 1
            self._valida = True

    def mudou(self, evento: Evento) -> None:
        if evento.tipo != PREVISAO:
            return
        documento = None
        if evento.documento is not None:
            documento = {k: v for k, v in evento.documento.items() if k in CAMPOS_MOSTRADOS}
            documento["_id"] = evento.documento["_id"]
        with self._trava:
            if evento.fila_id == ESTADO:
                self._estado = self.queries.estado_de(documento)
            elif documento is None:
                self._por_ordem.pop(str(evento.fila_id), None)
            else:
                self._por_ordem[str(evento.fila_id)] = documento

    def fechado(self) -> None:
        self._valida = False
