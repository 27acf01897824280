"""On-demand benchmark of the manager's indicators and the CSV export on a year of orders.

    .venv/bin/python -m bench.indicadores [--ordens 50000] [--abertas 300] [--repeticoes 15]
        [--saida docs/PERFORMANCE.md] [--sem-doc]

On the harness's private mongod (bench/harness.py), the app (harness.app_local) on a `bench`
database with its indexes, the finished orders inserted in bulk (insert_many of documents made
by webapp.fila.domain.nova_ordem plus the step fields), spread over the last year, plus a few
hundred open ones; then, through the Flask test client signed in as a manager:

- `GET /indicadores?periodo=30d` (the whole page: one aggregation, the late list, the charts):
  the median and p90 of the server time; the budget is 300 ms. About a third of the orders
  carry holds (for the customer, for parts, another reason), which the aggregation sums per
  stage and reason besides the percentiles;
- the aggregation alone (pymongo straight to the private mongod), as the page runs it and with
  only what the page had before the time on hold (the percentiles and the orders per day): the
  mongod's CPU time (/proc/<pid>/stat, less sensitive than the wall clock to a busy machine) and
  the wall time, the two alternated, so that the cost of the hold figures is a ratio;
- the CSV export of a whole year, streamed: its size, its time, and the peak RSS of a fresh
  process while streaming (VmHWM, reset just before), against its RSS before. A 30-day export
  is measured the same way to show the peak does not grow with the file.

Progress goes to stderr; the section "indicadores" of docs/PERFORMANCE.md (harness.publicar)
to stdout and, unless --sem-doc, to --saida.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, request
from flask.testing import FlaskClient
from pymongo.collection import Collection

from bench import harness
from bench.harness import aviso
from webapp.clock import agora
from webapp.components import componente
from webapp.fila.demo import USUARIOS_DEMO
from webapp.fila.domain import PASSOS, Prioridade, Status, nova_ordem
from webapp.fila.queries import pipeline_indicadores
from webapp.fila.stages import Etapa
from webapp.indicadores import service
from webapp.indicadores.domain import periodo
from webapp.mongo import Indices, Mongo
from webapp.pessoas.repository import PessoasRepository

SECAO = "indicadores"
DATABASE = "bench"
ORCAMENTO_MS = 300
LOTE = 5_000
PRIORIDADES = [Prioridade.URGENTE, Prioridade.ALTA, Prioridade.NORMAL, Prioridade.BAIXA]
PESOS = [1, 3, 8, 2]


# Each step's minutes after the one before (uniform between the bounds): the wait for a
# diagnosis, the diagnosis, the customer's answer, the wait for a repair, the repair.
MINUTOS = ((5, 240), (10, 120), (10, 2_880), (0, 600), (20, 600))


def finalizada(n: int, sorteio: random.Random, agora_: datetime) -> dict[str, Any]:
    """A finished order: nova_ordem, then the five steps (domain.PASSOS: their timestamps and
    their lines in the history), some holds."""
    minutos = [sorteio.randint(*limites) for limites in MINUTOS]
    fim = agora_ - timedelta(minutes=sorteio.randint(10, 365 * 24 * 60))
    marcos = [fim - timedelta(minutes=sum(minutos))]
    for m in minutos:
        marcos.append(marcos[-1] + timedelta(minutes=m))
    prioridade = sorteio.choices(PRIORIDADES, PESOS)[0]
    extras = {
        "placa": f"BEN{n % 10}{chr(65 + n % 26)}{n % 100:02d}",
        "veiculo": "VW Gol 1.0",
        "cliente": f"Cliente {n}",
        "descricao": "Revisão e troca de pastilhas",
    }
    doc = nova_ordem(1_000_000 + n, prioridade, "bench", marcos[0], extras)
    for passo, instante in zip(PASSOS.values(), marcos[1:], strict=True):
        doc[passo.marca_tempo] = instante
        doc["historico"].append(
            {"acao": str(passo.acao), "de": None, "para": None, "por": "bench", "em": instante}
        )
    doc.update(
        status=Status.FINALIZADA,
        mecanico_responsavel_id=101 + n % 12,
        orcamento_aprovado=True,
        diagnostico="Pastilhas no limite",
        dta_atualizacao=fim,
        etapa_desde=fim,
        versao=1 + len(PASSOS),
    )
    # Holds, as the store keeps them: per stage, and per stage and reason (adding up).
    motivos: dict[str, dict[str, float]] = {}
    if n % 5 == 0:  # waiting for the customer's approval
        espera = min(minutos[2], 60) * 60.0
        motivos[Etapa.AGUARDANDO_APROVACAO.value] = {"aguardando_cliente": espera}
    if n % 7 == 0:  # waiting for parts during the repair
        motivos[Etapa.EM_REPARO.value] = {"aguardando_pecas": min(minutos[4], 120) * 60.0}
    if n % 11 == 0:  # another reason during the diagnosis
        motivos[Etapa.EM_DIAGNOSTICO.value] = {"outro": min(minutos[1], 10) * 60.0}
    doc["pausas_motivo_s"] = motivos
    doc["pausas_s"] = {etapa: sum(m.values()) for etapa, m in motivos.items()}
    return doc


def gerente(app: Flask) -> FlaskClient:
    return harness.entrar_no_cliente(app, "gerente", "gerente123")


def medir_exportacao(url: str, consulta: str, modo: str) -> dict[str, Any]:
    """In a fresh process (so that the RSS before is the app's, not the inserts'): the export
    of `consulta` streamed as the app sends it (`fluxo`), or, as a contrast, built whole in
    memory first (`inteira`: what a non-streamed export would hold)."""
    with harness.app_local(url, DATABASE) as app:
        return _exportacao(app, consulta, modo)


def _exportacao(app: Flask, consulta: str, modo: str) -> dict[str, Any]:
    cliente = gerente(app)
    cliente.get("/indicadores/exportar.csv?periodo=hoje").close()  # warm-up: imports, plans
    gc.collect()
    # The peak is reset first (to the RSS), then the size read from that same counter, VmHWM.
    # The kernel reads VmHWM as the larger of the peak it keeps and the RSS now, and keeps
    # the RSS it shows only when memory is unmapped: what other threads free meanwhile can
    # make the peak read later a few pages below this one, so the peak is taken as at least
    # it (make test once saw 171,136 kB after 171,256). Without the reset, the RSS.
    zerado = harness.zerar_pico()
    antes = (harness.memoria_kb("VmHWM") if zerado else None) or harness.memoria_kb("VmRSS") or 0
    inicio = time.perf_counter()
    tamanho = linhas = partes = 0
    if modo == "fluxo":
        r = cliente.get(f"/indicadores/exportar.csv?{consulta}", buffered=False)
        for parte in r.response:
            dados = parte if isinstance(parte, bytes) else parte.encode()
            tamanho, linhas, partes = tamanho + len(dados), linhas + dados.count(b"\n"), partes + 1
        r.close()
    else:
        with app.test_request_context(f"/indicadores/exportar.csv?{consulta}"):
            p = periodo(
                request.args.get("periodo"),
                request.args.get("de"),
                request.args.get("ate"),
                service.hoje(),
            )
            corpo = "".join(service.exportar(p)).encode()
            tamanho, linhas, partes = len(corpo), corpo.count(b"\n"), 1
    segundos = time.perf_counter() - inicio
    return {
        "tamanho": tamanho,
        "linhas": linhas - 1,
        "partes": partes,
        "s": segundos,
        "antes_kib": antes,
        "pico_kib": max(harness.memoria_kb("VmHWM") or 0, antes),
        "zerado": zerado,
    }


def exportar(url: str, consulta: str, modo: str = "fluxo") -> dict[str, Any]:
    comando = [sys.executable, "-m", "bench.indicadores", "--medir", url, consulta, modo]
    saida = subprocess.run(
        comando, cwd=harness.RAIZ, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(saida.strip().splitlines()[-1])


# What the page's aggregation has that it had not before the time on hold and the promised
# times: fields of its $project, facets of its $facet.
SO_ESPERAS = {"$project": ("atrasou", "m"), "$facet": ("somas", "esperas")}


def so_percentis(pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The indicators' pipeline without the time on hold and the promised times: the
    percentiles and the orders per day, as before they existed (a KeyError when the page's
    pipeline no longer has them: the comparison would mean nothing)."""
    pipeline = copy.deepcopy(pipeline)
    for fase in pipeline:
        for operador, campos in SO_ESPERAS.items():
            for campo in campos if operador in fase else ():
                del fase[operador][campo]
    return pipeline


def medir_agregacao(
    colecao: Collection[Any], pid: int, de: datetime, ate: datetime, repeticoes: int
) -> dict[str, tuple[float, float]]:
    """Median mongod CPU and wall ms of the page's aggregation and of its percentiles-only
    variant, alternated."""
    completa = pipeline_indicadores(de, ate, "America/Sao_Paulo")
    variantes = {"completa": completa, "percentis": so_percentis(completa)}
    tempos: dict[str, list[tuple[float, float]]] = {k: [] for k in variantes}
    for n in range(repeticoes + 1):
        for nome, pipeline in variantes.items():
            antes, inicio = harness.cpu_ms(pid), time.perf_counter()
            list(colecao.aggregate(pipeline, allowDiskUse=True))
            if n:  # the first round warms up
                tempos[nome].append(
                    (harness.cpu_ms(pid) - antes, (time.perf_counter() - inicio) * 1000)
                )
    return {
        nome: (harness.mediana([c for c, _ in t]), harness.mediana([w for _, w in t]))
        for nome, t in tempos.items()
    }


def razao(agregacao: dict[str, tuple[float, float]]) -> str:
    """CPU of the page's aggregation over the percentiles-only one ("—" below a clock tick)."""
    base = agregacao["percentis"][0]
    return f"{agregacao['completa'][0] / base:.2f}" if base else "—"


def medir(funcao: Callable[[], object], repeticoes: int) -> tuple[float, float]:
    """Median and p90 ms of `repeticoes` calls, after one to warm up (templates, plan cache)."""
    funcao()
    tempos = []
    for _ in range(repeticoes):
        inicio = time.perf_counter()
        funcao()
        tempos.append((time.perf_counter() - inicio) * 1000)
    return harness.mediana(tempos), harness.percentil(tempos, 90)


def encher(app: Flask, ordens: int, abertas: int) -> tuple[datetime, float]:
    """The indexes, the demo users, `ordens` finished orders over the last year and `abertas`
    open ones, in bulk; returns now and the seconds it took."""
    componente(Indices, app).criar()
    componente(PessoasRepository, app).criar_se_faltam(USUARIOS_DEMO)
    colecao = componente(Mongo, app).db["fila_execucao"]
    sorteio, agora_ = random.Random(7), agora()
    inicio = time.perf_counter()
    for base in range(0, ordens, LOTE):
        lote = [finalizada(n, sorteio, agora_) for n in range(base, min(base + LOTE, ordens))]
        colecao.insert_many(lote, ordered=False)
    colecao.insert_many(
        [
            nova_ordem(
                2_000_000 + n,
                sorteio.choices(PRIORIDADES, PESOS)[0],
                "bench",
                agora_ - timedelta(minutes=sorteio.randint(1, 600)),
            )
            for n in range(abertas)
        ]
    )
    return agora_, time.perf_counter() - inicio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ordens", type=int, default=50_000, help="finished orders")
    parser.add_argument("--abertas", type=int, default=300, help="open orders")
    parser.add_argument("--repeticoes", type=int, default=15, help="requests per figure")
    harness.argumentos_da_secao(parser)
    parser.add_argument(
        "--medir", nargs=3, metavar=("URL", "CONSULTA", "MODO"), help=argparse.SUPPRESS
    )  # the export's own process (medir_exportacao)
    args = parser.parse_args(argv)
    if args.medir:
        print(json.dumps(medir_exportacao(*args.medir)))
        return 0

    carga_antes = os.getloadavg()[0]
    with harness.mongod() as db, harness.app_local(db.url, DATABASE) as app:
        agora_, carga_s = encher(app, args.ordens, args.abertas)
        aviso(f"{args.ordens} finished + {args.abertas} open orders in {carga_s:.1f} s")
        cliente = gerente(app)
        if cliente.get("/indicadores?periodo=30d").status_code != 200:
            raise RuntimeError("GET /indicadores?periodo=30d did not answer 200")
        trinta = medir(lambda: cliente.get("/indicadores?periodo=30d"), args.repeticoes)
        ano_consulta = (
            f"periodo=personalizado&de={(agora_ - timedelta(days=365)).date()}&ate={agora_.date()}"
        )
        ano = medir(
            lambda: cliente.get(f"/indicadores?{ano_consulta}"), max(3, args.repeticoes // 3)
        )
        aviso(
            f"GET /indicadores 30 days: median {trinta[0]:.1f} ms, p90 {trinta[1]:.1f} ms "
            f"(budget {ORCAMENTO_MS} ms); a year: median {ano[0]:.1f} ms, p90 {ano[1]:.1f} ms"
        )
        colecao = componente(Mongo, app).db["fila_execucao"]
        agregacao = {
            "30 days": medir_agregacao(
                colecao, db.pid, agora_ - timedelta(days=30), agora_, args.repeticoes
            ),
            "a year": medir_agregacao(
                colecao, db.pid, agora_ - timedelta(days=365), agora_,
                max(3, args.repeticoes // 3),
            ),
        }  # fmt: skip
        for nome, a in agregacao.items():
            aviso(
                f"Aggregation, {nome}: mongod CPU {a['percentis'][0]:.0f} ms "
                f"percentiles only, {a['completa'][0]:.0f} ms the page's (x{razao(a)}); wall "
                f"{a['percentis'][1]:.0f} / {a['completa'][1]:.0f} ms"
            )
        csv_ano = exportar(db.url, ano_consulta)
        csv_mes = exportar(db.url, "periodo=30d")
        csv_inteiro = exportar(db.url, ano_consulta, "inteira")
    carga = f"{carga_antes:.1f} → {os.getloadavg()[0]:.1f}"
    exportacoes = {
        "a year": csv_ano,
        "30 days": csv_mes,
        "a year, built whole in memory first (contrast)": csv_inteiro,
    }
    harness.publicar(SECAO, relatorio(args, carga, trinta, ano, agregacao, exportacoes), args)
    return 0


def relatorio(
    args: argparse.Namespace,
    carga: str,
    trinta: tuple[float, float],
    ano: tuple[float, float],
    agregacao: dict[str, dict[str, tuple[float, float]]],
    exportacoes: dict[str, dict[str, Any]],
) -> str:
    """The section's markdown."""
    dentro = "within" if trinta[0] < ORCAMENTO_MS else "OVER"
    linha_30 = (
        "| `GET /indicadores?periodo=30d` (the page: aggregation, late list, charts) | "
        f"{trinta[0]:.0f} ms | {trinta[1]:.0f} ms |"
    )
    linha_ano = f"| `GET /indicadores` for a whole year | {ano[0]:.0f} ms | {ano[1]:.0f} ms |"
    linhas_agregacao = [
        f"| {nome} | {a['percentis'][0]:.0f} ms / {a['percentis'][1]:.0f} ms | "
        f"{a['completa'][0]:.0f} ms / {a['completa'][1]:.0f} ms | "
        f"{razao(a)} |"
        for nome, a in agregacao.items()
    ]
    linhas_csv = []
    for nome, e in exportacoes.items():
        linhas_csv.append(
            f"| {nome} | {e['linhas']} | {e['tamanho'] / 2**20:.1f} MiB | {e['s']:.2f} s | "
            f"{e['antes_kib'] / 1024:.0f} MiB | {e['pico_kib'] / 1024:.0f} MiB | "
            f"+{(e['pico_kib'] - e['antes_kib']) / 1024:.1f} MiB |"
        )
    zerado = all(e["zerado"] for e in exportacoes.values())
    nota_pico = (
        "The peak is VmHWM reset through /proc/self/clear_refs right before each export, so it is "
        "the export's own peak."
        if zerado
        else "/proc/self/clear_refs could not be written here: the peak is the process's own."
    )
    return f"""
## Indicators and CSV export (`make bench-indicadores`)

`bench/indicadores.py` on the harness's private mongod (MongoDB 6.0.5 from
`requirements-mongod.txt`): {args.ordens} finished orders over the last year (inserted with
`insert_many`) and {args.abertas} open ones, the Flask test client signed in as a manager.
Server time, median and p90 of {args.repeticoes} requests after a warm-up. The machine's load
average (1 min) went {carga} during the run, on {os.cpu_count()} cores shared with other work:
wall times grow with it, the CPU ratio below much less.

Machine: {harness.maquina()}.

| request | median | p90 |
| --- | --- | --- |
{linha_30}
{linha_ano}

Budget for 30 days: {ORCAMENTO_MS} ms ({dentro} budget).

The aggregation alone (pymongo to the private mongod), median of the same rounds, alternated:
as the page runs it, and with only the percentiles and the orders per day (what the page
computed before the time on hold, per stage and reason, and the promised times were added).
The mongod's CPU time is the steadier figure on a shared machine:

| period | percentiles only: mongod CPU / wall | the page's: mongod CPU / wall | CPU ratio |
| --- | --- | --- | --- |
{chr(10).join(linhas_agregacao)}

CSV export of `GET /indicadores/exportar.csv`, each in a fresh process (the app and a test client
signed in as a manager, so that the RSS before is theirs, not the inserts'), streamed from a
cursor in chunks of 200 rows; the last row builds the same year's file whole in memory first, as
a non-streamed export would:

| export | rows | size | time | RSS before | peak | growth |
| --- | --- | --- | --- | --- | --- | --- |
{chr(10).join(linhas_csv)}

{nota_pico}
Streamed, the growth is about the same for a month and for a year and a small
fraction of the file (pymongo's 500-document batches, one chunk of text): memory does not follow
the size of the export; built whole, it grows with the file.
"""


if __name__ == "__main__":
    sys.exit(main())
