"""On-demand benchmark: board render and API step latency against a real mongod.

    .venv/bin/python bench/bench_quadro.py [--ordens 300] [--repeticoes 30]

Starts a private mongod (scripts/localdb.py) on a free port, seeds the queue, and reports the
median and p90 of: the full board page for a manager, one htmx step (partials), one JSON API step,
and the JSON list. This machine is small and noisy: read the medians and the ratios, not the
absolute numbers.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

RAIZ = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(RAIZ))

from scripts import localdb  # noqa: E402
from tests.helpers import csrf_de  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.components import componentes  # noqa: E402
from webapp.fila.cli import USUARIOS_DEMO  # noqa: E402
from webapp.settings import Settings  # noqa: E402
from webapp.tokens import emitir  # noqa: E402


def medir(nome: str, funcao, repeticoes: int) -> float:
    tempos = []
    for _ in range(repeticoes):
        inicio = time.perf_counter()
        funcao()
        tempos.append((time.perf_counter() - inicio) * 1000)
    tempos.sort()
    mediana = statistics.median(tempos)
    p90 = tempos[int(len(tempos) * 0.9) - 1]
    print(f"{nome:<32} mediana {mediana:7.2f} ms   p90 {p90:7.2f} ms   (n={repeticoes})")
    return mediana


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ordens", type=int, default=300)
    parser.add_argument("--repeticoes", type=int, default=30)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as pasta:
        porta = localdb.free_port()
        processo = localdb.start_mongod(porta, Path(pasta) / "data", Path(pasta) / "mongod.log")
        try:
            settings = Settings(
                app_env="test",
                mongodb_url=localdb.mongo_url(porta),
                mongodb_database="bench",
                log_level="WARNING",
            )
            app = create_app(settings)
            componentes(app).pessoas.criar_se_faltam(USUARIOS_DEMO)
            api = app.test_client()
            cabecalho = {"Authorization": f"Bearer {emitir(settings, 'bench')}"}
            ids = []
            for n in range(args.ordens):
                r = api.post(
                    "/fila-execucao",
                    json={
                        "ordem_servico_id": n + 1,
                        "prioridade": ["URGENTE", "ALTA", "NORMAL", "BAIXA"][n % 4],
                        "placa": f"BEN{n:04d}",
                    },
                    headers=cabecalho,
                )
                ids.append(r.json["fila_id"])
            # A realistic spread: a third in diagnosis, a sixth in repair.
            for fila_id in ids[: args.ordens // 3]:
                api.post(
                    f"/fila-execucao/{fila_id}/iniciar-diagnostico",
                    json={"mecanico_responsavel_id": 101},
                    headers=cabecalho,
                )

            gerente = app.test_client()
            pagina = gerente.get("/entrar")
            gerente.post(
                "/entrar",
                data={
                    "login": "gerente",
                    "senha": "gerente123",
                    "csrf_token": csrf_de(pagina.text),
                },
            )
            token = csrf_de(gerente.get("/").text)
            livres = iter(ids[args.ordens // 3 :])

            print(f"{args.ordens} ordens na fila")
            quadro = medir("GET / (quadro completo)", lambda: gerente.get("/"), args.repeticoes)
            medir(
                "GET /fila-execucao (100)",
                lambda: api.get("/fila-execucao", headers=cabecalho),
                args.repeticoes,
            )
            passo_api = medir(
                "POST API iniciar-diagnostico",
                lambda: api.post(
                    f"/fila-execucao/{next(livres)}/iniciar-diagnostico",
                    json={"mecanico_responsavel_id": 101},
                    headers=cabecalho,
                ),
                args.repeticoes,
            )
            passo_htmx = medir(
                "POST quadro (htmx, parciais)",
                lambda: gerente.post(
                    f"/ordens/{next(livres)}/passo/iniciar-diagnostico",
                    data={"csrf_token": token},
                    headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/"},
                ),
                args.repeticoes,
            )
            print(
                f"razão quadro completo / passo htmx: {quadro / passo_htmx:.1f}x; "
                f"passo htmx / passo API: {passo_htmx / passo_api:.1f}x"
            )
            componentes(app).mongo.fechar()
        finally:
            localdb.stop_mongod(processo)


if __name__ == "__main__":
    main()
