"""How gunicorn serves the app in production.

The gevent worker holds every open board and TV stream as a greenlet, not a thread: hundreds of
screens and slow clients cost memory, not the requests of everybody else. On SIGTERM the worker
first tells its open streams to end (browsers reconnect at once, to another worker or pod), so
it exits well within the grace period. gunicorn's own refusals (a header or an address too long,
a malformed request) answer like the app, JSON `{"detail": ...}` in Portuguese, and its logs
never carry a query string (a TV's token travels in one).
"""

from __future__ import annotations

import json
from typing import Any

import gevent
from gunicorn import util
from gunicorn.workers.ggevent import GeventWorker

MENSAGENS = {
    400: "Requisição malformada.",
    403: "Requisição recusada.",
    414: "Endereço longo demais.",
    417: "Expectativa não atendida.",
    431: "Cabeçalhos grandes demais.",
    500: "Erro interno. A equipe foi avisada pelos registros.",
    501: "Codificação de transferência não suportada.",
}


def escrever_erro(sock: Any, status: int, motivo: str, _mensagem: str) -> None:
    """gunicorn's error answer, as JSON in Portuguese (its original writes an HTML page)."""
    corpo = json.dumps({"detail": MENSAGENS.get(status, motivo)}, ensure_ascii=False).encode()
    cabeca = (
        f"HTTP/1.1 {status} {motivo}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(corpo)}\r\n\r\n"
    )
    util.write_nonblock(sock, cabeca.encode("latin1") + corpo)


# gunicorn calls util.write_error for the answers it writes itself; this module is imported by
# gunicorn only (worker_class), so the app's own tests and tools keep gunicorn as it is.
util.write_error = escrever_erro


class Worker(GeventWorker):
    def handle_exit(self, sig: int, frame: Any) -> None:
        super().handle_exit(sig, frame)
        componentes = getattr(self.wsgi, "extensions", {}).get("componentes")
        if componentes is not None:
            # Out of the signal handler: ending the streams takes locks.
            gevent.spawn(componentes.live.encerrar)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        if req is not None and getattr(req, "path", None):
            req.uri = req.path  # the log line shows the path only, never the query string
        super().handle_error(req, client, addr, exc)
