"""Issue 18's budgets for the forecast in the app, measured: the board's GET / and the API's
single-order GET against the tree before the forecast, and the app's whole recompute.

    make bench-previsao-orcamento     # or: .venv/bin/python -m bench.previsao_orcamento -h

1. **Board and API, back to back.** One private mongod, one database: 2,000 open orders (the
   queue of `make bench`, harness.preencher), today's finished ones, and a history of finished
   orders in the forecast's window; then one recompute of the app (PrevisaoService), so every
   open order has its forecast in `previsoes` and some are at risk. Two gunicorns with the
   production config (2 workers each, the forecast's thread off: nothing computes while
   requests are timed) serve that same database: this tree, and the tree before the forecast
   (`--base`, a temporary `git worktree` of that commit; it ignores `previsoes`). Requests go
   one at a time, alternating between the two servers (A B B A ...), so both see the same
   machine load: GET / for a manager and a mechanic (client wall time to the last compressed
   byte, and the app's own duration_ms), and `GET /fila-execucao/{id}` of random open orders
   with an integration's token. Medians, p95 and the ratios this tree / base.
2. **The whole recompute.** Another database: 2,000 open orders, 50,000 finished in the window,
   200 active mechanics (the open orders in hand spread over them), then 4 with the same
   backlog (the longest queue to simulate, the most orders still to arrive ahead of the last
   ones; `--mecanicos 200,4`). Each measurement is a fresh
   process (the app as `flask previsao calcular` builds it): one recompute with an empty store
   (every forecast written), then recomputes with nothing moved (the worker's steady state).
   CPU time of the app's process (`time.process_time`, every thread), mongod's CPU time over
   the same call (from /proc), and RSS: the peak over the RSS before the call (VmHWM reset
   through /proc/self/clear_refs) and what stays after it.

The results replace the section "Previsão: orçamentos" of docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from flask import Flask
from pymongo import UpdateOne

from webapp.clock import Clock
from webapp.components import componente
from webapp.fila.domain import ABERTOS
from webapp.fila.queries import FilaQueries
from webapp.fila.stages import Etapa
from webapp.pessoas.repository import PessoasRepository
from webapp.previsao.domain import MARCOS
from webapp.previsao.service import PrevisaoService
from webapp.settings import Settings
from webapp.tokens import emitir

from . import harness
from .harness import aviso, mediana, p95

SECAO = "previsao-orcamento"
BASE = "dc78238"  # main before the forecast was merged
ACEITA = "br, gzip"
ATIVOS = ABERTOS

# The forecast's budgets.
RAZAO_MAXIMA = 1.10  # GET / p95 and the API's GET: within 10 % of the tree before
ORCAMENTO_CPU_S = 2.0
ORCAMENTO_MEMORIA_MB = 50.0
# The recompute's history: this many finished orders planned one by one (harness.preencher),
# the rest copies of them made inside mongod (multiplicar_historico).
HISTORICO_POR_COPIA = 2000


def finalizadas_hoje(abertas: int) -> int:
    return max(5, abertas // 20)  # as bench/quadro.py


# --- 1. board and API, back to back ----------------------------------------------------------


@dataclass
class Amostras:
    parede_ms: list[float] = field(default_factory=list)
    app_ms: list[float] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    cpu_s: float = 0.0  # the server's workers' CPU time over the round (from /proc)

    @property
    def cpu_ms(self) -> float:
        """The workers' CPU time per request: steadier than wall times on a busy machine."""
        return self.cpu_s * 1000 / max(1, len(self.ids))


@dataclass
class Lado:
    """One of the two servers compared: its tree, its gunicorn, its signed-in people."""

    nome: str  # "base" or "atual"
    raiz: Path
    servidor: harness.Servidor | None = None
    sessoes: dict[str, requests.Session] = field(default_factory=dict)
    # per measure ("GET / gerente", ...), per round
    amostras: dict[str, list[Amostras]] = field(default_factory=dict)
    html: dict[str, bytes] = field(default_factory=dict)
    api: dict[str, Any] = field(default_factory=dict)


def _get(sessao: requests.Session, url: str, rid: str) -> tuple[float, requests.Response, bytes]:
    cabecalhos = {"Accept-Encoding": ACEITA, "X-Request-ID": rid}
    inicio = time.perf_counter()
    resposta = sessao.get(url, headers=cabecalhos, stream=True, allow_redirects=False, timeout=30)
    corpo = resposta.raw.read(decode_content=False)
    parede = (time.perf_counter() - inicio) * 1000
    if resposta.status_code != 200:
        raise RuntimeError(f"GET {url}: HTTP {resposta.status_code}")
    return parede, resposta, corpo


def _decodificar(corpo: bytes, codificacao: str) -> bytes:
    from .quadro import decodificar  # noqa: PLC0415 - brotli and Playwright only when needed

    return decodificar(corpo, codificacao)


@dataclass(frozen=True)
class Medida:
    nome: str  # "GET /, manager" ...
    chave: str  # the session's key in Lado.sessoes
    caminho: Callable[[random.Random], str]  # the path of the next request


def alternar(
    lados: Sequence[Lado], medidas: Sequence[Medida], rodadas: int, por_rodada: dict[str, int]
) -> None:
    """`rodadas` rounds; in each, for every measure, `por_rodada[nome]` requests per side,
    one at a time, the sides alternating A B B A ... (after 5 unmeasured each)."""
    for medida in medidas:
        for lado in lados:
            rng = random.Random(1)
            for _ in range(5):
                url = lado.servidor.base + medida.caminho(rng)  # type: ignore[union-attr]
                _get(lado.sessoes[medida.chave], url, uuid.uuid4().hex)
    for rodada in range(rodadas):
        for medida in medidas:
            rng = {lado.nome: random.Random(rodada) for lado in lados}
            atuais = {lado.nome: Amostras() for lado in lados}
            cpu = {lado.nome: _cpu_dos_workers(lado.servidor) for lado in lados}  # type: ignore[arg-type]
            for i in range(por_rodada[medida.nome]):
                ordem = lados if (i + rodada) % 2 == 0 else list(reversed(lados))
                for lado in ordem:
                    rid = f"orcamento-{uuid.uuid4().hex[:16]}"
                    url = lado.servidor.base + medida.caminho(rng[lado.nome])  # type: ignore[union-attr]
                    parede, resposta, corpo = _get(lado.sessoes[medida.chave], url, rid)
                    atuais[lado.nome].parede_ms.append(parede)
                    atuais[lado.nome].ids.append(rid)
                    if medida.chave != "api":
                        lado.html[medida.nome] = _decodificar(
                            corpo, resposta.headers.get("Content-Encoding", "identity")
                        )
                    else:
                        lado.api = json.loads(_decodificar(
                            corpo, resposta.headers.get("Content-Encoding", "identity")
                        ))  # fmt: skip
            for lado in lados:
                atuais[lado.nome].cpu_s = _cpu_dos_workers(lado.servidor) - cpu[lado.nome]  # type: ignore[arg-type]
                lado.amostras.setdefault(medida.nome, []).append(atuais[lado.nome])
            linha = ", ".join(
                f"{lado.nome} {mediana(atuais[lado.nome].parede_ms):.1f}/"
                f"{p95(atuais[lado.nome].parede_ms):.1f} ms"
                for lado in lados
            )
            aviso(f"  round {rodada + 1}, {medida.nome} (median/p95): {linha}")
    time.sleep(0.5)  # the workers' last log lines
    for lado in lados:
        for rodadas_ in lado.amostras.values():
            for amostras in rodadas_:
                duracoes = lado.servidor.duracoes_ms(amostras.ids)  # type: ignore[union-attr]
                amostras.app_ms = [duracoes[i] for i in amostras.ids if i in duracoes]


def _cpu_dos_workers(servidor: harness.Servidor) -> float:
    """The CPU time (s) of a gunicorn's workers so far, from /proc (in 10 ms ticks: read at
    a round's start and end, the whole round's work, each request's teardown included)."""
    return sum(_cpu_do_processo(pid) for pid in servidor.workers())


@contextlib.contextmanager
def arvore_base(commit: str, dada: Path | None) -> Iterator[Path]:
    """The tree before the forecast: `dada` as it is, or a temporary detached `git worktree`
    of `commit` (removed afterwards) with this tree's static/vendor (built files, not in git)."""
    if dada is not None:
        yield dada
        return
    pasta = Path(tempfile.mkdtemp(prefix="bench-base-")) / "arvore"
    git = ["git", "-C", str(harness.RAIZ)]
    subprocess.run([*git, "worktree", "add", "--detach", str(pasta), commit], check=True,
                   capture_output=True)  # fmt: skip
    try:
        vendor = harness.RAIZ / "static" / "vendor"
        if vendor.is_dir():
            shutil.copytree(vendor, pasta / "static" / "vendor", dirs_exist_ok=True)
        yield pasta
    finally:
        subprocess.run([*git, "worktree", "remove", "--force", str(pasta)], capture_output=True)
        shutil.rmtree(pasta.parent, ignore_errors=True)


@dataclass
class Quadro:
    """What part 1 measured."""

    base: str
    abertas: int
    historico: int
    por_coluna: dict[str, int]
    resumo: str  # the recompute's summary
    lados: list[Lado]
    rodadas: int


def medir_quadro(db: harness.Mongod, args: argparse.Namespace) -> Quadro:
    banco = "orcamento_quadro"
    with harness.app_local(db.url, banco) as app:
        preenchimento = harness.preencher(
            app, args.abertas, finalizadas_hoje(args.abertas), args.historico_quadro, modo="lote"
        )
        resumo = componente(PrevisaoService, app).recalcular()
        fila = componente(FilaQueries, app)
        ids = [str(i["_id"]) for s in ATIVOS for i in fila.listar(s, 500, 0)]
    aviso(f"Board and API: {preenchimento.por_coluna}; {resumo}")
    if resumo.motivo or not resumo.escritas or not resumo.em_risco:
        raise RuntimeError(f"the forecast must be on every card, some at risk: {resumo}")
    chave = secrets.token_urlsafe(48)
    token = emitir(Settings(secret_key=chave), "bench", extra={"tipo_token": "servico_interno"})
    ambiente = {"SECRET_KEY": chave, "PREVISAO_THREAD": "false"}
    with arvore_base(args.base, args.base_arvore) as raiz_base:
        lados = [Lado("base", raiz_base), Lado("atual", harness.RAIZ)]
        with contextlib.ExitStack() as pilha:
            for lado in lados:
                lado.servidor = pilha.enter_context(
                    harness.gunicorn(db.url, banco, ambiente=ambiente, raiz=lado.raiz)
                )
                base = lado.servidor.base
                lado.sessoes["gerente"] = harness.entrar(base, "gerente", "gerente123")
                lado.sessoes["mecanico"] = harness.entrar(base, "mecanico", "mecanico123")
                api = requests.Session()
                api.headers["Authorization"] = f"Bearer {token}"
                lado.sessoes["api"] = api
            medidas = [
                Medida("GET /, manager", "gerente", lambda _rng: "/"),
                Medida("GET /, mechanic", "mecanico", lambda _rng: "/"),
                Medida("GET /fila-execucao/{id}", "api",
                       lambda rng: f"/fila-execucao/{rng.choice(ids)}"),
            ]  # fmt: skip
            por_rodada = {
                "GET /, manager": args.requisicoes,
                "GET /, mechanic": args.requisicoes,
                "GET /fila-execucao/{id}": args.pedidos,
            }
            alternar(lados, medidas, args.rodadas, por_rodada)
    atual = lados[1]
    if (
        b"Pronto <span" not in atual.html["GET /, manager"]
        or b"Em risco:" not in atual.html["GET /, manager"]
    ):
        raise RuntimeError("this tree's board shows no forecast")
    if not (atual.api.get("previsao_conclusao") or {}).get("p50"):
        raise RuntimeError(f"this tree's API gave no previsao_conclusao: {atual.api}")
    return Quadro(
        args.base, args.abertas, args.historico_quadro, preenchimento.por_coluna, str(resumo),
        lados, args.rodadas,
    )  # fmt: skip


# --- 2. the whole recompute ------------------------------------------------------------------


def _cpu_do_processo(pid: int | None) -> float:
    """A process's CPU time (user + system) in seconds, from /proc; 0 when unknown."""
    if pid is None:
        return 0.0
    try:
        campos = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(campos[11]) + int(campos[12])) / os.sysconf("SC_CLK_TCK")


def _status_kb(campo: str) -> int:
    for linha in Path("/proc/self/status").read_text().splitlines():
        if linha.startswith(campo + ":"):
            return int(linha.split()[1])
    return 0


def equipe(app: Flask, mecanicos: int, semente: int = 7) -> None:
    """`mecanicos` active mechanics (the demo's two and clones of its `mecanico`, one password
    hash for all; the clones of an earlier call go first), and every open order that has a
    mechanic given one of them at random."""
    usuarios = componente(PessoasRepository, app).usuarios
    usuarios.delete_many({"login": {"$regex": "^mec[0-9]+$"}})
    modelo = usuarios.find_one({"login": "mecanico"})
    assert modelo is not None
    modelo.pop("_id")
    usuarios.insert_many(
        {**modelo, "login": f"mec{n}", "nome": f"Mecânico {n}", "funcionario_id": 1000 + n,
         "carimbo": secrets.token_urlsafe(12)}
        for n in range(1, mecanicos - 1)
    )  # fmt: skip
    ids = [*(101, 102), *(1000 + n for n in range(1, mecanicos - 1))]
    rng = random.Random(semente)
    fila = componente(FilaQueries, app).fila
    abertas = fila.find(
        {"status": {"$in": list(ATIVOS)}, "mecanico_responsavel_id": {"$ne": None}}, {"_id": 1}
    )
    fila.bulk_write(
        [UpdateOne({"_id": d["_id"]}, {"$set": {"mecanico_responsavel_id": rng.choice(ids)}})
         for d in abertas]
    )  # fmt: skip


def multiplicar_historico(app: Flask, copias: int, dias: int = 90) -> int:
    """The finished orders before today, `copias` more times, inside mongod (an aggregation to
    a scratch collection, then merged back: seconds for 50,000): each copy has its own
    ordem_servico_id and its instants shifted together by its own offset, wrapped inside the
    `dias` before today, so the history stays spread over the window and the stage times keep
    their lengths but fall at other hours; one copy in seven had its repair on hold for half
    of it (pausas_s, as FilaService stores a hold). The number of finished orders now."""
    fila = componente(FilaQueries, app).fila
    inicio = componente(Clock, app).inicio_do_dia()
    janela_ms = dias * 86_400_000
    passo_ms = 3_600_000 * 31 + 60_000 * 7  # 31 h 7 min: every hour of the week comes round
    deslocar = {
        campo: {"$cond": [{"$eq": [{"$type": f"${campo}"}, "date"]},
                          {"$add": [f"${campo}", "$$delta"]}, f"${campo}"]}
        for campo in MARCOS
    }  # fmt: skip
    reparo_s = {"$divide": [{"$subtract": ["$dta_fim_reparo", "$dta_inicio_reparo"]}, 2000]}
    fila.aggregate([
        {"$match": {"status": "FINALIZADA", "dta_fim_reparo": {"$lt": inicio}}},
        {"$set": {"copia": {"$range": [1, copias + 1]}}},
        {"$unwind": "$copia"},
        {"$set": {"idade": {"$subtract": [inicio, "$dta_fim_reparo"]}}},
        {"$set": {"delta": {"$subtract": ["$idade", {"$mod": [
            {"$add": ["$idade", {"$multiply": ["$copia", passo_ms]}]}, janela_ms]}]}}},
        {"$set": {
            **{c: {"$let": {"vars": {"delta": "$delta"}, "in": v}} for c, v in deslocar.items()},
            "ordem_servico_id": {"$add": ["$ordem_servico_id", {"$multiply": ["$copia",
                                                                              1_000_000]}]},
            "pausas_s": {"$cond": [{"$eq": [{"$mod": ["$copia", 7]}, 0]},
                                   {Etapa.EM_REPARO.value: reparo_s}, "$pausas_s"]},
        }},
        {"$unset": ["_id", "copia", "idade", "delta"]},
        {"$out": "orcamento_copias"},
    ])  # fmt: skip
    copias_col = fila.database["orcamento_copias"]
    copias_col.aggregate([{"$merge": {"into": fila.name, "whenMatched": "fail"}}])
    copias_col.drop()
    return fila.count_documents({"status": "FINALIZADA"})


def _cronometrar(objeto: Any, nome: str, partes: dict[str, list[float]], rotulo: str) -> None:
    """Wrap objeto.nome so that its CPU and wall time add up in partes[rotulo]."""
    original = getattr(objeto, nome)

    def cronometrado(*args: Any, **kwargs: Any) -> Any:
        cpu, parede = time.process_time(), time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            soma = partes.setdefault(rotulo, [0.0, 0.0])
            soma[0] += time.process_time() - cpu
            soma[1] += time.perf_counter() - parede

    setattr(objeto, nome, cronometrado)


def um_processo(mongo_url: str, banco: str, mongod_pid: int | None, vezes: int) -> list[dict]:
    """In a fresh process: the app, its store emptied, then `vezes` recomputes; each one's
    CPU (this process, mongod), wall time, RSS before / peak / after, parts and summary."""
    resultados = []
    with harness.app_local(mongo_url, banco) as app:
        servico = componente(PrevisaoService, app)
        servico.repo.apagar_tudo()
        partes: dict[str, list[float]] = {}
        _cronometrar(servico, "historico", partes, "read the history (50,000 → arrays)")
        _cronometrar(servico.fila, "abertas_para_previsao", partes, "read the open orders")
        _cronometrar(servico, "calcular", partes, "the core: forecast.prever")
        _cronometrar(servico.queries, "guardadas", partes, "read the stored forecasts")
        _cronometrar(servico.repo, "gravar", partes, "write what moved")
        for _ in range(vezes):
            partes.clear()
            gc.collect()
            Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
            antes = _status_kb("VmRSS")
            mongod_antes = _cpu_do_processo(mongod_pid)
            cpu, parede = time.process_time(), time.perf_counter()
            resumo = servico.recalcular()
            cpu, parede = time.process_time() - cpu, time.perf_counter() - parede
            mongod = _cpu_do_processo(mongod_pid) - mongod_antes
            resultados.append({
                "cpu_s": cpu, "parede_s": parede, "mongod_cpu_s": mongod,
                "rss_antes_kb": antes, "pico_kb": _status_kb("VmHWM"),
                "rss_depois_kb": _status_kb("VmRSS"),
                "partes": {k: v[0] for k, v in partes.items()},
                "partes_parede": {k: v[1] for k, v in partes.items()},
                "base_ordens": resumo.base_ordens, "abertas": resumo.abertas,
                "mecanicos": resumo.mecanicos, "em_risco": resumo.em_risco,
                "escritas": resumo.escritas, "motivo": resumo.motivo,
            })  # fmt: skip
        # Once more under tracemalloc (slower; not in the figures above): the Python and numpy
        # memory allocated at the recompute's peak, and at the core's own peak.
        nucleo, antes_do_nucleo = [0.0], [0]
        calcular = servico.calcular

        def medido(funcao: Callable[[], Any]) -> Any:
            entrada, antes_do_nucleo[0] = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            try:
                return calcular(funcao)
            finally:
                nucleo[0] = tracemalloc.get_traced_memory()[1] - entrada

        servico.calcular = medido  # type: ignore[method-assign]
        gc.collect()
        tracemalloc.start()
        inicio = tracemalloc.get_traced_memory()[0]
        servico.recalcular()
        _, pico = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        for r in resultados:
            r["traced_recalculo_mb"] = (max(pico, antes_do_nucleo[0]) - inicio) / 2**20
            r["traced_nucleo_mb"] = nucleo[0] / 2**20
    return resultados


@dataclass
class Recalculo:
    abertas: int
    finalizadas: int
    mecanicos: int
    processos: list[list[dict]]

    @property
    def primeiros(self) -> list[dict]:
        return [p[0] for p in self.processos]

    @property
    def seguintes(self) -> list[dict]:
        return [r for p in self.processos for r in p[1:]]


def medir_recalculo(db: harness.Mongod, args: argparse.Namespace) -> list[Recalculo]:
    """The recompute measured with each count of mechanics in `args.mecanicos`, on one
    database filled once."""
    banco = "orcamento_recalculo"
    inicio = time.monotonic()
    semente = max(1, args.finalizadas // HISTORICO_POR_COPIA)  # history filled order by order
    with harness.app_local(db.url, banco) as app:
        preenchimento = harness.preencher(
            app, args.abertas, finalizadas_hoje(args.abertas), args.finalizadas // semente,
            modo="lote",
        )  # fmt: skip
        finalizadas = multiplicar_historico(app, semente - 1)
    aviso(
        f"Recompute: {preenchimento.por_coluna}, {finalizadas:,} finished in all; filled in "
        f"{time.monotonic() - inicio:.0f} s"
    )
    medidas = []
    for mecanicos in args.mecanicos:
        with harness.app_local(db.url, banco) as app:
            equipe(app, mecanicos)
        medidas.append(_recalculos(db, banco, args, mecanicos))
    return medidas


def _recalculos(
    db: harness.Mongod, banco: str, args: argparse.Namespace, mecanicos: int
) -> Recalculo:
    aviso(f"Recompute with {mecanicos} mechanics...")
    processos = []
    for n in range(args.processos):
        saida = subprocess.run(
            [sys.executable, "-m", "bench.previsao_orcamento", "--um-processo", db.url, banco,
             str(db.pid), str(args.vezes)],
            cwd=harness.RAIZ, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if saida.returncode != 0:
            raise RuntimeError(f"recompute process failed:\n{saida.stderr[-3000:]}")
        resultados = json.loads(saida.stdout.strip().splitlines()[-1])
        processos.append(resultados)
        aviso(
            f"  process {n + 1}: "
            + "; ".join(
                f"CPU {r['cpu_s']:.2f} s (mongod {r['mongod_cpu_s']:.2f}), "
                f"+{(r['pico_kb'] - r['rss_antes_kb']) / 1024:.0f} MB peak, "
                f"{r['escritas']} written"
                for r in resultados
            )
        )
    return Recalculo(args.abertas, args.finalizadas, mecanicos, processos)


# --- the section -----------------------------------------------------------------------------


def _todas(lado: Lado, medida: str, campo: str) -> list[float]:
    return [v for a in lado.amostras[medida] for v in getattr(a, campo)]


def _ms(valores: Sequence[float]) -> str:
    return f"{mediana(valores):.1f} / {p95(valores):.1f} ms"


def secao_quadro(q: Quadro) -> tuple[str, list[str]]:
    base, atual = q.lados
    linhas = [
        "### Board and API against the tree before the forecast",
        "",
        f"Base: commit `{q.base}` (before the forecast). {q.abertas:,} open orders "
        f"({', '.join(f'{k} {v}' for k, v in q.por_coluna.items())}; FINALIZADA: today's) "
        f"and {q.historico:,} finished over the 90 days before, the queue of `make bench` "
        f"(harness.preencher); this tree's recompute then ran once: {q.resumo}. One database, "
        "both gunicorns on it (production config, 2 workers each, the forecast's thread off), "
        f"requests one at a time alternating between them, {q.rodadas} rounds. Client wall time "
        "to the last compressed byte (and the app's own duration_ms), median / p95 of all "
        "rounds; the ratio is this tree / base.",
        "",
        "| request | samples per side | base: median / p95 | this tree: median / p95 "
        "| ratio of medians | ratio of p95 | ratio of p95, per round | budget | |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |",
    ]
    veredictos: list[str] = []
    cpu: list[str] = []
    for medida in base.amostras:
        for campo, rotulo in (("parede_ms", "client wall"), ("app_ms", "app's duration_ms")):
            b, a = _todas(base, medida, campo), _todas(atual, medida, campo)
            r_med, r_p95 = mediana(a) / mediana(b), p95(a) / p95(b)
            por_rodada = ", ".join(
                f"{p95(getattr(ra, campo)) / p95(getattr(rb, campo)):.2f}"
                for rb, ra in zip(base.amostras[medida], atual.amostras[medida], strict=True)
            )
            orcamento, ok = "", None
            if campo == "parede_ms":
                api = medida.startswith("GET /fila")
                razao = r_med if api else r_p95
                orcamento = f"{'median' if api else 'p95'} ≤ base × {RAZAO_MAXIMA:.2f}"
                ok = razao <= RAZAO_MAXIMA
                veredictos.append(
                    f"{medida}: {'median' if api else 'p95'} × {razao:.2f} "
                    f"(budget ≤ {RAZAO_MAXIMA:.2f}) {'met' if ok else 'MISSED'}"
                )
            verdict = "" if ok is None else ("met" if ok else "**missed**")
            linhas.append(
                f"| {medida}: {rotulo} | {len(a)} | {_ms(b)} | {_ms(a)} | {r_med:.2f} | "
                f"{r_p95:.2f} | {por_rodada} | {orcamento} | {verdict} |"
            )
    for medida in base.amostras:
        b = [a.cpu_ms for a in base.amostras[medida]]
        a = [a.cpu_ms for a in atual.amostras[medida]]
        cpu.append(
            f"| {medida} | {statistics.mean(b):.1f} ms | {statistics.mean(a):.1f} ms | "
            f"{statistics.mean(a) / statistics.mean(b):.2f} | "
            f"{', '.join(f'{y / x:.2f}' for x, y in zip(b, a, strict=True))} |"
        )
    linhas += [
        "",
        "The servers' own CPU time per request (their workers' utime + stime from /proc over "
        "each round, divided by its requests; mongod's is shared and not split): a load on the "
        "machine slows wall times, much less this.",
        "",
        "| request | base: CPU per request | this tree | ratio | ratio per round |",
        "| --- | ---: | ---: | ---: | --- |",
        *cpu,
    ]
    tamanhos = ", ".join(
        f"{m}: {len(base.html[m]) / 1024:.1f} → {len(atual.html[m]) / 1024:.1f} KB"
        for m in base.html
    )
    linhas += ["", f"HTML of the last answer, base → this tree: {tamanhos}."]
    return "\n".join(linhas), veredictos


def secao_recalculo(medidas: list[Recalculo]) -> tuple[str, list[str]]:
    def mb(kb: float) -> float:
        return kb / 1024

    def linha(rotulo: str, corridas: list[dict]) -> str:
        cpu = [c["cpu_s"] for c in corridas]
        mongod = [c["mongod_cpu_s"] for c in corridas]
        parede = [c["parede_s"] for c in corridas]
        pico = [mb(c["pico_kb"] - c["rss_antes_kb"]) for c in corridas]
        fica = [mb(c["rss_depois_kb"] - c["rss_antes_kb"]) for c in corridas]
        escritas = [c["escritas"] for c in corridas]
        return (
            f"| {rotulo} | {len(corridas)} | {statistics.median(cpu):.2f} s "
            f"({min(cpu):.2f}–{max(cpu):.2f}) | {statistics.median(mongod):.2f} s | "
            f"{statistics.median(parede):.2f} s | +{statistics.median(pico):.0f} MB "
            f"(max +{max(pico):.0f}) | {statistics.median(fica):+.0f} MB | "
            f"{statistics.median(escritas):.0f} |"
        )

    r = medidas[0]
    primeiro = r.primeiros[0]
    todas = [c for m in medidas for c in m.primeiros + m.seguintes]
    pior_cpu = max(c["cpu_s"] for c in todas)
    pior_pico = max(mb(c["pico_kb"] - c["rss_antes_kb"]) for c in todas)
    med_cpu = statistics.median(c["cpu_s"] for c in todas)
    med_pico = statistics.median(mb(c["pico_kb"] - c["rss_antes_kb"]) for c in todas)
    partes = list(primeiro["partes"])
    contagens = " and ".join(
        f"{m.primeiros[0]['mecanicos']} active mechanics ({m.primeiros[0]['em_risco']} orders "
        "at risk)"
        for m in medidas
    )
    linhas = [
        "### The whole recompute",
        "",
        f"`PrevisaoService.recalcular()` as the worker runs it, on {r.abertas:,} open orders, "
        f"{primeiro['base_ordens']:,} finished in the 90-day window (of {r.finalizadas:,} "
        f"filled; harness.preencher, in bulk), with {contagens}, the open orders in hand "
        "spread over them: few mechanics for the same backlog is the longest queue to "
        "simulate, with the most orders still to arrive ahead of the last ones. "
        f"{len(r.processos)} fresh processes per count, each: the app, its store emptied, then "
        f"{len(r.processos[0])} recomputes (the first writes every forecast, the next ones "
        "only what moved). CPU: `time.process_time()` of the app's process around the call "
        "(every thread; the recompute is single-threaded, numpy included), and mongod's own "
        "CPU time over the same call, from /proc, counted apart. Memory: VmRSS before the "
        "call (after a garbage collection) against VmHWM reset just before it (the call's "
        "peak), and VmRSS after it.",
        "",
        "| recompute | runs | app CPU, median (min–max) | mongod CPU | wall | peak RSS over "
        "before | RSS kept after | forecasts written |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for m in medidas:
        n = m.primeiros[0]["mecanicos"]
        linhas.append(linha(f"{n} mechanics: first in a process, empty store", m.primeiros))
        if m.seguintes:
            linhas.append(linha(f"{n} mechanics: again, nothing moved", m.seguintes))
    linhas += [
        "",
        "Where the app's CPU goes (median over all runs of a count):",
        "",
        "| part | " + " | ".join(
            f"{m.primeiros[0]['mecanicos']} mechanics: app CPU | wall" for m in medidas
        ) + " |",
        "| --- |" + " ---: | ---: |" * len(medidas),
    ]  # fmt: skip
    for parte in partes:
        celulas = []
        for m in medidas:
            corridas = m.primeiros + m.seguintes
            cpu = statistics.median(c["partes"].get(parte, 0.0) for c in corridas)
            parede = statistics.median(c["partes_parede"].get(parte, 0.0) for c in corridas)
            celulas.append(f"{cpu * 1000:.0f} ms | {parede * 1000:.0f} ms")
        linhas.append(f"| {parte} | " + " | ".join(celulas) + " |")
    if "traced_recalculo_mb" in primeiro:

        def tracado(campo: str) -> str:
            return " and ".join(
                f"**{statistics.median(p[0][campo] for p in m.processos):.0f} MB** with "
                f"{m.primeiros[0]['mecanicos']} mechanics"
                for m in medidas
            )

        linhas += [
            "",
            "Under tracemalloc (one more recompute per process, not in the figures above): the "
            f"recompute allocates {tracado('traced_recalculo_mb')} at its peak, of which the "
            f"core (`forecast.prever`, over what it was given) {tracado('traced_nucleo_mb')}; "
            "the rest is the history's arrays it is given (≈ 4.4 MB for 50,000 orders). The "
            "RSS peak of a process's first recompute is above that by what the allocator keeps "
            "and what is made once (numpy's lazy imports, the calendar's table): its 'RSS kept "
            "after'.",
        ]
    cpu_ok = pior_cpu <= ORCAMENTO_CPU_S
    mem_ok = pior_pico <= ORCAMENTO_MEMORIA_MB
    veredictos = [
        f"recompute CPU: median {med_cpu:.2f} s, worst {pior_cpu:.2f} s (budget ≤ "
        f"{ORCAMENTO_CPU_S:.0f} s) {'met' if cpu_ok else 'MISSED'}",
        f"recompute memory: median +{med_pico:.0f} MB, worst +{pior_pico:.0f} MB (budget ≤ "
        f"{ORCAMENTO_MEMORIA_MB:.0f} MB) {'met' if mem_ok else 'MISSED'}",
    ]
    return "\n".join(linhas), veredictos


NOTAS = """What this benchmark led to, and what is left:

- **The history read** (`FilaQueries.finalizadas_para_previsao`): mongod computes each finished
  order's row of numbers (priority, instants in ms, holds per stage, all doubles), and the raw
  batches are read straight into one numpy table: every row has the same bytes, so a batch is a
  2-D array of bytes whose double columns are gathered at once. 50,000 orders: ≈ 0.06 s of the
  app's CPU, against ≈ 0.8 s (and 16 MB more) decoding the documents and their datetimes; the
  arrays are the same bit for bit (a test says so).
- **The recompute keeps less** while the core runs: of the open orders' documents only their
  `_id` and promise; and `forecast.prever` lets go of a try's queue and runs before it builds
  the next one (when the slots of orders still to arrive are doubled): ≈ 13 MB.
- **The core's memory** (`simulation.simular`, issue: +52–56 MB on a process's first
  recompute): the runs are simulated in batches of at most 210,000 runs × orders (2,000 open
  orders and their arrival slots, 100 runs: two batches of ≈ 50), the draws 10 runs at a time.
  Runs never meet (each has its own draws, keyed by its index, and its own mechanics), so the
  forecasts are the same bit for bit (a test runs batches of 1, 7, 16 and all). Traced peak of
  the core: 37 → 28 MB. Each batch steps through the loop in Python once more; the loop now
  gathers and scatters through flat views with flat indices, so two batches cost ≈ 6 % more
  CPU than one did (≈ 22 % with (row, column) indexing), measured back to back on the same
  inputs.
- **The board's CPU under gunicorn** (issue: ≈ 4 ms more per GET / than the base, even with
  `previsoes` emptied): one worker of each tree profiled on the same data (cProfile between
  gunicorn's `pre_request` and `post_request` hooks, a temporary config). The cause was not
  the forecast's read but Jinja imports per card: `quadro/_cartao.html` is included once per
  card, and it imported its macros on every card (`_macros.html`, and since the forecast
  `quadro/_previsao.html` too); an import, even of a cached template, compares the render's
  globals with the template's (a walk of a ChainMap), ≈ 25 µs per card and import. The
  templates that loop over cards now import the macros once per render, and a card (and its
  OS badge, `quadro/_sinc.html`) imports them only when rendered alone: the forecast's import
  is gone and so are the two older ones; a card without a forecast no longer calls its macro.
- **The forecasts in memory** (`previsao/cache.py`): the board, the TV and the API read no
  `previsoes` per request. Each process keeps a copy, loaded in one query when its change
  stream opens and kept by that stream (the broker's, which already pushed forecast changes to
  the boards), each change before a board hears of it; a stream resumed from its token missed
  nothing, one opened afresh reloads. While the stream is down, silent for 3 s, or has not yet
  brought a recompute of this process, reads go to the store (tests with a real mongod:
  a change reaches the copy, a stop reads the store, a reopening reloads, the API and the
  board show what the store says). "Prometer" checks the store itself.
- **The recompute's CPU**: the core grew when the forecast learned the customers' and the
  holds' true lengths (previsao2: ≈ 0.75 s at commit bfa24d7, ≈ 1.5 s at aa32d4f, the same
  inputs back to back); the batches above add ≈ 7 %. A busy machine inflates a process's CPU
  time too (up to 2.2 s with the load at 7–9).
- **One run of the shop, not two or three** (`forecast._horizonte`): the first guess of how
  many orders may still arrive ahead of the open ones left out that the arrivals themselves
  take most of the mechanics' time, so the open work drains several times slower than alone;
  the runs then showed the slots short, and the whole shop was simulated again with twice as
  many (at almost every snapshot of the busy simulated shop; at 2,000 open orders with few
  mechanics, two runs of ≈ 0.6 s each). The horizon now drains the open work at what those
  arrivals leave the mechanics, and one run suffices: the core alone, 2,000 open and 50,000
  finished orders, 4 mechanics, 1.5 → 0.9 s, the same as with 200; the forecasts of the
  simulated shops are the same to the digit (`make bench-previsao`). Hence the 4 mechanics
  measured here beside the 200.
- **A capped set of slots is final** (`forecast.mais_vagas`): at 2,000 open orders the slots
  for orders still to arrive hit their cap (as many as the open orders) at once, and the runs
  show them short. Doubled and capped again, only the cap's integer shares moved (+1 slot),
  and that was enough to simulate the whole shop a second time: on a Saturday morning's data
  (2026-12-05) the core took 1.48 s with 4 mechanics, against 0.82 s the night before. At the
  cap a second run is no longer made: 1.0 s on the same data, and `make bench-previsao`'s
  shops (never at the cap) score the same to the digit. Short in some priorities only, the
  cap's shares move toward them: one more run at most.
- **The columns' counts** (`FilaQueries.contagens`, on every GET / and every push of the
  counts): runs of this benchmark on 2026-12-05 read the board's GET / p95 at × 1.07, then
  × 1.13-1.14 of the base later that day, with code that ran level with the earlier one back
  to back (`--base 5fb148d`: × 0.99 medians); the app's CPU ratio stayed at × 1.06-1.09, the
  rest was time in mongod. Its largest part was the counts: one aggregation of the four
  columns ($or, $group), which read every open card's document, 19 ms at 2,000 open orders.
  Counted per column, an open one is a COUNT_SCAN of its index keys: 2.5 ms, and the board's
  GET / went below the base's (a mechanic's filtered counts: 4.2 → 5.1 ms).
- **Left**: the forecast line itself on each card (its macro, its times in the shop's zone;
  the manager's at-risk cards carry a 'Prometer' form) and ≈ 20–40 KB more HTML (≈ 2 KB
  compressed): a few ms of a manager's GET /, within the budget but not free."""


def _carga(valores: Sequence[float]) -> str:
    return "/".join(f"{v:.2f}" for v in valores)


def relatorio(
    q: Quadro | None, r: list[Recalculo] | None, carga: Sequence[Sequence[float]] = ()
) -> tuple[str, list[str]]:
    cargas = ""
    if len(carga) == 2:
        cargas = (
            f" Load average (1/5/15 min) at the start {_carga(carga[0])}, at the end "
            f"{_carga(carga[1])}: others' work shares the 2 cores (the sides alternate)."
        )
    partes = [
        "## Previsão: orçamentos",
        "",
        "`make bench-previsao-orcamento` (`bench/previsao_orcamento.py`): the forecast's budgets "
        "in the app. Machine: " + harness.maquina() + "." + cargas,
    ]
    veredictos: list[str] = []
    for secao in (secao_quadro(q) if q else None, secao_recalculo(r) if r else None):
        if secao:
            partes += ["", secao[0]]
            veredictos += secao[1]
    partes += ["", "Verdicts: " + "; ".join(veredictos) + ".", "", NOTAS]
    return "\n".join(partes), veredictos


def _contagens(texto: str) -> list[int]:
    return [int(parte) for parte in texto.split(",") if parte.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default=BASE, help="commit to compare with (%(default)s)")
    parser.add_argument("--base-arvore", type=Path, help="a checkout of it (else a worktree)")
    parser.add_argument("--abertas", type=int, default=2000, help="open orders")
    parser.add_argument("--historico-quadro", type=int, default=3000,
                        help="finished orders in the window, board and API")  # fmt: skip
    # 10 rounds, 400 GET / per person and side: at 5 the p95's ratio swung 1.01-1.10 between
    # runs of the same trees (a few slow answers of a busy 2-core machine decide a p95).
    parser.add_argument("--rodadas", type=int, default=10, help="alternated rounds")
    parser.add_argument("--requisicoes", type=int, default=40, help="GET / per person, round")
    parser.add_argument("--pedidos", type=int, default=200, help="API GETs per round")
    parser.add_argument("--finalizadas", type=int, default=50_000,
                        help="finished orders in the window, recompute (%(default)s)")  # fmt: skip
    parser.add_argument(
        "--mecanicos", type=_contagens, default=[200, 4],
        help="active mechanics, recompute: one or more counts (200,4)",
    )  # fmt: skip
    parser.add_argument("--processos", type=int, default=3, help="fresh processes, recompute")
    parser.add_argument("--vezes", type=int, default=4, help="recomputes per process")
    parser.add_argument("--so", choices=("quadro", "recalculo"), help="only one of the parts")
    parser.add_argument("--um-processo", nargs=4, metavar=("URL", "BANCO", "PID", "VEZES"),
                        help=argparse.SUPPRESS)  # fmt: skip
    harness.argumentos_da_secao(parser)
    args = parser.parse_args(argv)
    if args.um_processo:
        url, banco, pid, vezes = args.um_processo
        print(json.dumps(um_processo(url, banco, int(pid) or None, int(vezes))))
        return 0
    inicio = time.monotonic()
    carga_inicial = os.getloadavg()
    quadro = recalculo = None
    with harness.mongod() as db:
        if args.so != "recalculo":
            quadro = medir_quadro(db, args)
        if args.so != "quadro":
            recalculo = medir_recalculo(db, args)
    texto, veredictos = relatorio(quadro, recalculo, (carga_inicial, os.getloadavg()))
    harness.publicar(SECAO, texto, args)
    for linha in veredictos:
        aviso(linha)
    aviso(f"Done in {time.monotonic() - inicio:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
