"""On-demand benchmark of the manager's indicators and the CSV export on a year of orders.

    .venv/bin/python bench/bench_indicadores.py [--ordens 50000] [--repeticoes 15]

Standalone: starts a private mongod (scripts/localdb.py) on a free port with a temporary data
directory, builds the app on a `bench` database with its indexes, inserts the finished orders in
bulk (insert_many of documents made by webapp.fila.domain.nova_ordem plus the step fields),
spread over the last year, plus a few hundred open ones, then measures through the Flask test
client, signed in as a manager:

- `GET /indicadores?periodo=30d` (the whole page: one aggregation, the late list, the charts):
  the median and p90 of the server time; the budget is 300 ms. About a third of the orders
  carry holds (for the customer, for parts, another reason), which the aggregation sums per
  stage and reason besides the percentiles;
- the aggregation alone (pymongo straight to the private mongod), as the page runs it and with
  only what the page had before the time on hold (the percentiles and the orders per day): the
  mongod's CPU time (/proc/<pid>/stat, less sensitive than the wall clock to a busy machine) and
  the wall time, the two alternated, so that the cost of the hold figures is a ratio;
- the CSV export of a whole year, streamed: its size, its time, and the peak RSS of this process
  while streaming (VmHWM in /proc/self/status, reset just before through /proc/self/clear_refs),
  against its RSS before. A 30-day export is measured the same way to show the peak does not
  grow with the file.

The figures go to docs/PERFORMANCE.md between <!-- indicadores:inicio --> and
<!-- indicadores:fim --> (the file is created if missing; other sections are kept).
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

RAIZ = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(RAIZ))

from scripts import localdb  # noqa: E402
from tests.helpers import csrf_de  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.broker import Broker  # noqa: E402
from webapp.clock import agora  # noqa: E402
from webapp.components import componente  # noqa: E402
from webapp.fila.demo import USUARIOS_DEMO  # noqa: E402
from webapp.fila.domain import Prioridade, Status, nova_ordem  # noqa: E402
from webapp.fila.queries import pipeline_indicadores  # noqa: E402
from webapp.fila.stages import Etapa  # noqa: E402
from webapp.mongo import Indices, Mongo  # noqa: E402
from webapp.pessoas.repository import PessoasRepository  # noqa: E402
from webapp.settings import Settings  # noqa: E402
from webapp.sincronizacao_os.dispatcher import OsDispatcher  # noqa: E402

DOC = RAIZ / "docs" / "PERFORMANCE.md"
INICIO, FIM = "<!-- indicadores:inicio -->", "<!-- indicadores:fim -->"
ORCAMENTO_MS = 300
NOMES_PERIODO = {"1 ano": "a year", "30 dias": "30 days"}
LOTE = 5_000
PRIORIDADES = [Prioridade.URGENTE, Prioridade.ALTA, Prioridade.NORMAL, Prioridade.BAIXA]
PESOS = [1, 3, 8, 2]


def finalizada(n: int, sorteio: random.Random, agora_: object) -> dict:
    """A finished order: nova_ordem, then the five steps' timestamps, some holds."""
    minutos = [
        sorteio.randint(5, 240),
        sorteio.randint(10, 120),
        sorteio.randint(10, 2_880),
        sorteio.randint(0, 600),
        sorteio.randint(20, 600),
    ]
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
    mecanico = 101 + n % 12
    passos = (
        "iniciar_diagnostico",
        "finalizar_diagnostico",
        "aprovar_orcamento",
        "iniciar_reparo",
        "finalizar_reparo",
    )
    doc.update(
        status=Status.FINALIZADA,
        mecanico_responsavel_id=mecanico,
        orcamento_aprovado=True,
        diagnostico="Pastilhas no limite",
        dta_inicio_diagnostico=marcos[1],
        dta_fim_diagnostico=marcos[2],
        dta_aprovacao_orcamento=marcos[3],
        dta_inicio_reparo=marcos[4],
        dta_fim_reparo=marcos[5],
        dta_atualizacao=marcos[5],
        etapa_desde=marcos[5],
        versao=6,
    )
    doc["historico"] += [
        {"acao": p, "de": None, "para": None, "por": "bench", "em": marcos[i + 1]}
        for i, p in enumerate(passos)
    ]
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


def memoria(campo: str) -> int:
    """A line of /proc/self/status in KiB (VmRSS, VmHWM)."""
    texto = Path("/proc/self/status").read_text()
    return int(re.search(rf"^{campo}:\s+(\d+) kB", texto, re.M)[1])


def zerar_pico() -> bool:
    """Reset VmHWM to the current RSS (Linux 4.0+); False where not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def gerente_no_app(app) -> object:
    """A test client signed in as the demo manager (through the real form)."""
    cliente = app.test_client()
    pagina = cliente.get("/entrar")
    dados = {"login": "gerente", "senha": "gerente123", "csrf_token": csrf_de(pagina.text)}
    assert cliente.post("/entrar", data=dados).status_code == 302
    return cliente


def medir_exportacao(url: str, consulta: str, modo: str) -> dict:
    """In a fresh process (so that the RSS before is the app's, not the inserts'): the export
    of `consulta` streamed as the app sends it (`fluxo`), or, as a contrast, built whole in
    memory first (`inteira`: what a non-streamed export would hold)."""
    settings = Settings(
        app_env="test",
        mongodb_url=url,
        mongodb_database="bench",
        log_level="WARNING",
        os_sync_thread=False,
    )
    app = create_app(settings)
    cliente = gerente_no_app(app)
    cliente.get("/indicadores/exportar.csv?periodo=hoje").close()  # warm-up: imports, plans
    gc.collect()
    antes = memoria("VmRSS")
    zerado = zerar_pico()
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
            from flask import request

            from webapp.indicadores import service
            from webapp.indicadores.domain import periodo

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
        "pico_kib": memoria("VmHWM"),
        "zerado": zerado,
    }


def exportar(url: str, consulta: str, modo: str = "fluxo") -> dict:
    comando = [sys.executable, __file__, "--medir", url, consulta, modo]
    saida = subprocess.run(comando, check=True, capture_output=True, text=True).stdout
    return json.loads(saida.strip().splitlines()[-1])


def cpu_ms(pid: int) -> float:
    """CPU time (user + system) of a process so far, in ms."""
    campos = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(campos[11]) + int(campos[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def so_percentis(pipeline: list[dict]) -> list[dict]:
    """The indicators' pipeline without the time on hold and the promised times: the
    percentiles and the orders per day, as before they existed."""
    pipeline = copy.deepcopy(pipeline)
    for fase in pipeline:
        if "$project" in fase:
            for campo in ("atrasou", "m"):
                fase["$project"].pop(campo)
        if "$facet" in fase:
            for faceta in ("somas", "esperas"):
                fase["$facet"].pop(faceta)
    return pipeline


def medir_agregacao(colecao, pid: int, de, ate, repeticoes: int) -> dict[str, tuple[float, float]]:
    """Median mongod CPU and wall ms of the page's aggregation and of its percentiles-only
    variant, alternated."""
    completa = pipeline_indicadores(de, ate, "America/Sao_Paulo")
    variantes = {"completa": completa, "percentis": so_percentis(completa)}
    tempos: dict[str, list[tuple[float, float]]] = {k: [] for k in variantes}
    for n in range(repeticoes + 1):
        for nome, pipeline in variantes.items():
            antes, inicio = cpu_ms(pid), time.perf_counter()
            list(colecao.aggregate(pipeline, allowDiskUse=True))
            if n:  # the first round warms up
                tempos[nome].append((cpu_ms(pid) - antes, (time.perf_counter() - inicio) * 1000))
    return {
        nome: (statistics.median(c for c, _ in t), statistics.median(w for _, w in t))
        for nome, t in tempos.items()
    }


def razao(agregacao: dict[str, tuple[float, float]]) -> str:
    """CPU of the page's aggregation over the percentiles-only one ("—" below a clock tick)."""
    base = agregacao["percentis"][0]
    return f"{agregacao['completa'][0] / base:.2f}" if base else "—"


def medir(funcao, repeticoes: int) -> tuple[float, float]:
    funcao()  # warm-up (templates, plan cache)
    tempos = []
    for _ in range(repeticoes):
        inicio = time.perf_counter()
        funcao()
        tempos.append((time.perf_counter() - inicio) * 1000)
    tempos.sort()
    return statistics.median(tempos), tempos[max(0, -(-len(tempos) * 9 // 10) - 1)]


def escrever(secao: str) -> None:
    texto = DOC.read_text("utf-8") if DOC.exists() else "# Performance\n"
    bloco = f"{INICIO}\n{secao.strip()}\n{FIM}"
    if INICIO in texto and FIM in texto:
        texto = re.sub(
            re.escape(INICIO) + r".*?" + re.escape(FIM), lambda _: bloco, texto, flags=re.S
        )
    else:
        texto = texto.rstrip() + "\n\n" + bloco + "\n"
    DOC.write_text(texto, "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ordens", type=int, default=50_000)
    parser.add_argument("--abertas", type=int, default=300)
    parser.add_argument("--repeticoes", type=int, default=15)
    parser.add_argument("--sem-doc", action="store_true", help="não escreve docs/PERFORMANCE.md")
    parser.add_argument(
        "--medir", nargs=3, metavar=("URL", "CONSULTA", "MODO"), help=argparse.SUPPRESS
    )  # the export's own process (medir_exportacao)
    args = parser.parse_args()
    if args.medir:
        print(json.dumps(medir_exportacao(*args.medir)))
        return

    carga_antes = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as pasta:
        porta = localdb.free_port()
        processo = localdb.start_mongod(porta, Path(pasta) / "data", Path(pasta) / "mongod.log")
        try:
            settings = Settings(
                app_env="test",
                mongodb_url=localdb.mongo_url(porta),
                mongodb_database="bench",
                log_level="WARNING",
                os_sync_thread=False,
            )
            app = create_app(settings)
            componente(Indices, app).criar()
            componente(PessoasRepository, app).criar_se_faltam(USUARIOS_DEMO)
            sorteio, agora_ = random.Random(7), agora()
            inicio = time.perf_counter()
            for base in range(0, args.ordens, LOTE):
                lote = [
                    finalizada(n, sorteio, agora_)
                    for n in range(base, min(base + LOTE, args.ordens))
                ]
                componente(Mongo, app).db["fila_execucao"].insert_many(lote, ordered=False)
            abertas = []
            for n in range(args.abertas):
                criada = agora_ - timedelta(minutes=sorteio.randint(1, 600))
                doc = nova_ordem(
                    2_000_000 + n, sorteio.choices(PRIORIDADES, PESOS)[0], "bench", criada
                )
                abertas.append(doc)
            componente(Mongo, app).db["fila_execucao"].insert_many(abertas)
            carga_s = time.perf_counter() - inicio
            print(f"{args.ordens} finalizadas + {args.abertas} abertas em {carga_s:.1f} s")

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
            assert gerente.get("/indicadores?periodo=30d").status_code == 200

            trinta = medir(lambda: gerente.get("/indicadores?periodo=30d"), args.repeticoes)
            ano_consulta = (
                f"periodo=personalizado&de={(agora_ - timedelta(days=365)).date()}"
                f"&ate={agora_.date()}"
            )
            ano = medir(
                lambda: gerente.get(f"/indicadores?{ano_consulta}"), max(3, args.repeticoes // 3)
            )
            print(
                f"GET /indicadores 30 dias: mediana {trinta[0]:.1f} ms, p90 {trinta[1]:.1f} ms "
                f"(orçamento {ORCAMENTO_MS} ms)"
            )
            print(f"GET /indicadores 1 ano:   mediana {ano[0]:.1f} ms, p90 {ano[1]:.1f} ms")

            colecao = componente(Mongo, app).db["fila_execucao"]
            agregacao = {
                "30 dias": medir_agregacao(
                    colecao, processo.pid, agora_ - timedelta(days=30), agora_, args.repeticoes
                ),
                "1 ano": medir_agregacao(
                    colecao, processo.pid, agora_ - timedelta(days=365), agora_,
                    max(3, args.repeticoes // 3),
                ),
            }  # fmt: skip
            for nome, a in agregacao.items():
                print(
                    f"Agregação {nome}: CPU do mongod {a['percentis'][0]:.0f} ms só percentis, "
                    f"{a['completa'][0]:.0f} ms com as esperas "
                    f"(x{razao(a)}); relógio "
                    f"{a['percentis'][1]:.0f} / {a['completa'][1]:.0f} ms"
                )

            url = localdb.mongo_url(porta)
            csv_ano = exportar(url, ano_consulta)
            csv_mes = exportar(url, "periodo=30d")
            csv_inteiro = exportar(url, ano_consulta, "inteira")
            exportacoes = (
                ("1 ano", csv_ano),
                ("30 dias", csv_mes),
                ("1 ano, montado inteiro em memória (contraste)", csv_inteiro),
            )
            for nome, e in exportacoes:
                crescimento = (e["pico_kib"] - e["antes_kib"]) / 1024
                print(
                    f"CSV {nome}: {e['linhas']} linhas, {e['tamanho'] / 2**20:.1f} MiB em "
                    f"{e['partes']} partes, {e['s']:.2f} s; RSS antes "
                    f"{e['antes_kib'] / 1024:.0f} MiB, pico {e['pico_kib'] / 1024:.0f} MiB "
                    f"(+{crescimento:.1f} MiB)"
                )
            componente(Broker, app).parar()
            componente(OsDispatcher, app).parar()
            componente(Mongo, app).fechar()
        finally:
            localdb.stop_mongod(processo)

    carga = f"{carga_antes:.1f} → {os.getloadavg()[0]:.1f}"
    print(f"Carga média da máquina (1 min): {carga} em {os.cpu_count()} núcleos")
    if args.sem_doc:
        return
    dentro = "within" if trinta[0] < ORCAMENTO_MS else "OVER"
    linha_30 = (
        "| `GET /indicadores?periodo=30d` (the page: aggregation, late list, charts) | "
        f"{trinta[0]:.0f} ms | {trinta[1]:.0f} ms |"
    )
    linha_ano = f"| `GET /indicadores` for a whole year | {ano[0]:.0f} ms | {ano[1]:.0f} ms |"
    linhas_agregacao = [
        f"| {NOMES_PERIODO[nome]} | {a['percentis'][0]:.0f} ms / {a['percentis'][1]:.0f} ms | "
        f"{a['completa'][0]:.0f} ms / {a['completa'][1]:.0f} ms | "
        f"{razao(a)} |"
        for nome, a in agregacao.items()
    ]
    linhas_csv = []
    nomes = NOMES_PERIODO
    for nome, e in exportacoes:
        nome = nomes.get(nome, "a year, built whole in memory first (contrast)")
        linhas_csv.append(
            f"| {nome} | {e['linhas']} | {e['tamanho'] / 2**20:.1f} MiB | {e['s']:.2f} s | "
            f"{e['antes_kib'] / 1024:.0f} MiB | {e['pico_kib'] / 1024:.0f} MiB | "
            f"+{(e['pico_kib'] - e['antes_kib']) / 1024:.1f} MiB |"
        )
    zerado = csv_ano["zerado"] and csv_mes["zerado"]
    nota_pico = (
        "The peak is VmHWM reset through /proc/self/clear_refs right before each export, so it is "
        "the export's own peak."
        if zerado
        else "/proc/self/clear_refs could not be written here: the peak is the process's own."
    )
    escrever(
        f"""
## Indicators and CSV export (`make bench-indicadores`)

`bench/bench_indicadores.py` on the 2-core development machine ({platform.machine()}, Python
{platform.python_version()}, MongoDB 6.0.5 from `requirements-mongod.txt`): {args.ordens} finished
orders over the last year (inserted with `insert_many`) and {args.abertas} open ones, one private
mongod, the Flask test client signed in as a manager. Server time, median and p90 of
{args.repeticoes} requests after a warm-up. The machine's load average (1 min) went
{carga} during the run, on {os.cpu_count()} cores shared with other work: wall times
grow with it, the CPU ratio below much less.

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
    )
    print(f"Escrito em {DOC.relative_to(RAIZ)}.")


if __name__ == "__main__":
    main()
