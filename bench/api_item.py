"""The JSON API's single-order GET (`GET /fila-execucao/{id}`) at volume, as production serves it.

    .venv/bin/python -m bench.api_item [--abertas 2000] [--finalizadas 3000] [--pedidos 3000]

A private mongod filled through FilaService (harness.preencher: open orders in every stage and a
history of finished ones), gunicorn with the production config (2 workers), then `--pedidos`
GETs of random open orders over real HTTP with an integration's token, one at a time: the
client's wall time and the app's own `duration_ms` (its request log line), median and p95.

When the app has the forecast (webapp.previsao.service), one recompute runs first, so every
answer carries its `previsao_conclusao` (the worker itself stays off: nothing computes while
the GETs are measured). The same file runs on an older tree, to compare back to back.
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import time
import uuid

import requests

from bench import harness
from webapp.components import componente
from webapp.fila.queries import FilaQueries
from webapp.settings import Settings
from webapp.tokens import emitir


def _recalcular(app: object) -> str:
    """One recompute of the forecast, when this tree has it; what it wrote, in words."""
    try:
        from webapp.previsao.service import PrevisaoService  # noqa: PLC0415
    except ImportError:
        return "no forecast in this tree"
    resumo = componente(PrevisaoService, app).recalcular()  # type: ignore[arg-type]
    return f"forecast: {resumo}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--abertas", type=int, default=2000)
    parser.add_argument("--finalizadas", type=int, default=3000)
    parser.add_argument("--pedidos", type=int, default=3000)
    args = parser.parse_args()
    chave = secrets.token_urlsafe(48)
    banco = f"bench_api_{uuid.uuid4().hex[:8]}"
    with harness.mongod() as db:
        with harness.app_local(db.url, banco) as app:
            harness.preencher(app, abertas=args.abertas, finalizadas_antes=args.finalizadas)
            print(_recalcular(app), flush=True)
            ids = [
                str(i["_id"])
                for s in ("AGUARDANDO", "EM_DIAGNOSTICO", "EM_REPARO")
                for i in componente(FilaQueries, app).listar(s, 500, 0)
            ]
        ambiente = {"SECRET_KEY": chave, "PREVISAO_THREAD": "false"}
        with harness.gunicorn(db.url, banco, ambiente=ambiente) as servidor:
            token = emitir(
                Settings(secret_key=chave), "bench", extra={"tipo_token": "servico_interno"}
            )
            sessao = requests.Session()
            sessao.headers["Authorization"] = f"Bearer {token}"
            rng = random.Random(7)
            for _ in range(200):  # warm-up: connections, caches, the workers' first requests
                sessao.get(f"{servidor.base}/fila-execucao/{rng.choice(ids)}", timeout=10)
            paredes, pedidos = [], []
            for _ in range(args.pedidos):
                pedido = uuid.uuid4().hex
                inicio = time.perf_counter()
                r = sessao.get(
                    f"{servidor.base}/fila-execucao/{rng.choice(ids)}",
                    headers={"X-Request-ID": pedido},
                    timeout=10,
                )
                paredes.append((time.perf_counter() - inicio) * 1000)
                assert r.status_code == 200, r.text
                pedidos.append(pedido)
            campo = "previsao_conclusao" in r.json()
            time.sleep(1)  # the last log lines
            app_ms = list(servidor.duracoes_ms(pedidos).values())
    print(
        f"GET /fila-execucao/<id>, {args.abertas} open + {args.finalizadas} finished, "
        f"{args.pedidos} requests (previsao_conclusao in the answer: {campo})"
    )
    print(
        f"  client wall: median {statistics.median(paredes):.2f} ms, "
        f"p95 {harness.p95(paredes):.2f} ms"
    )
    print(
        f"  app duration_ms: median {statistics.median(app_ms):.2f} ms, "
        f"p95 {harness.p95(app_ms):.2f} ms ({len(app_ms)} lines)"
    )


if __name__ == "__main__":
    main()
