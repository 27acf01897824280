"""`make bench-previsao`: the forecast ("quando fica pronto?") scored through the real app on
simulated shops, beside two baselines and the shop's own model, and its recompute measured at
2,000 open and 50,000 finished orders.

    .venv/bin/python -m bench.previsao [--oficinas 4] [--fotos 30] [--execucoes 200]
        [--oraculo 40] [--sem-variante] [--sem-orcamento] [--sem-pessoas] [--sem-nomes]
        [--saida docs/PERFORMANCE.md] [--sem-doc]

1. bench/oficina_simulada.py runs three kinds of shop, --oficinas of each (seeds 1, 2, ...):
   the shop (`Parametros`), another one (`variante`: more mechanics, other hours, customers
   who answer the next day, fewer holds) and a body shop (`funilaria`, added after the
   forecast was tuned and never tuned for: three mechanics, repairs of a day or two, slow
   customers, long holds for parts in almost a third of the repairs), for 120 days each (and
   30 more, so that what is open at the end finishes), with snapshots of the open orders at
   --fotos instants over the last 30.
2. The orders finished in the first 90 days are written as the indicators' CSV export
   (var/bench-previsao/<shop>-N/historico.csv), those finished afterwards as another
   (historico-depois.csv), the snapshots as JSON (fotos.json: each open order as stored, its
   holds one by one, when it really finished).
3. Through the app (bench/previsao_app.py), a fresh database per shop in a mongod of the
   harness: the first file in by `flask --app wsgi importar-historico`; at each snapshot, with
   the app's clock at its instant, what finished since in by the same command, the open orders
   in their real states through FilaService, PrevisaoService.recalcular(), the forecasts read
   from GET /fila-execucao and the flags from the at-risk list of /indicadores.
4. The same forecast computed by the core directly (webapp/previsao/forecast.prever) on the
   same files read by the benchmark itself: a cross-check of the app's plumbing (the importer,
   the store, the API), reported as how far the two disagree. Also with the flag on p70.
5. The two baselines on the first file, and with --oraculo N the oracle: the simulator itself
   run again N times from each snapshot, redrawing only what nobody knew then
   (Simulador.futuros): the best forecast there can be, so the error left to it is the
   irreducible one. Then the same knowing each open order's customer answer and holds.
   bench/previsao_placar.py scores every forecast the same way, the shops of a kind pooled,
   against when the orders really finished.
6. The budget: the whole recompute (model + simulation) on 50,000 finished orders and 2,000
   open ones, its median CPU time over a few runs (one core: numpy runs single-threaded here)
   and the memory it takes (the peak of what it allocates, by tracemalloc, and the process's
   peak RSS over its RSS before).

The section "previsao" of docs/PERFORMANCE.md gets the scores and the budget.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bench.harness import (
    RAIZ,
    argumentos_da_secao,
    aviso,
    maquina,
    memoria_kb,
    mongod,
    publicar,
    zerar_pico,
)
from bench.oficina_simulada import (
    FUSO,
    HORARIO,
    PAUSAS,
    RESPOSTA,
    Parametros,
    Simulador,
    funilaria,
    no_expediente,
    variante,
)
from bench.previsao_app import DEPOIS, FOTOS, HISTORICO, pela_app
from bench.previsao_dados import (
    documentos_finalizados,
    escrever_fotos,
    escrever_historico,
    ler_fotos,
    ler_historico,
    registro_aberto,
    sem_mecanicos,
)
from bench.previsao_placar import (
    Caso,
    Placar,
    casos_das_medianas,
    casos_do_consultor,
    medianas,
    pontuar,
)
from webapp.previsao.calendar import Calendario, epoch
from webapp.previsao.domain import Abertas, Historico
from webapp.previsao.forecast import Configuracao, prever

PASTA = RAIZ / "var" / "bench-previsao"
HISTORICO_DIAS = 90


@dataclass(frozen=True)
class Tipo:
    """A kind of simulated shop: its name in the report, its folder, its parameters by seed."""

    nome: str
    pasta: str
    parametros: Callable[[int], Parametros]


OFICINA = Tipo("the shop", "oficina", lambda semente: Parametros(semente=semente))
VARIANTE = Tipo("another shop", "variante", variante)
FUNILARIA = Tipo("a body shop", "funilaria", funilaria)
EXPEDIENTE = Tipo("the shop, its customers answering within its hours", "expediente", no_expediente)
TIPOS = (OFICINA, VARIANTE, FUNILARIA, EXPEDIENTE)


def simular_oficina(
    parametros: Parametros, fotos: int, pasta: Path, historico_dias: int = HISTORICO_DIAS
) -> Simulador:
    """Run a shop and write its files: the first `historico_dias` days' finished orders, the
    rest of them, the snapshots (over the days after, up to `parametros.dias`)."""
    simulador = Simulador(parametros)
    simulador.rodar(simulador.minutos_para_fotos(fotos, historico_dias, parametros.dias))
    pasta.mkdir(parents=True, exist_ok=True)
    corte = simulador.instante(historico_dias * 1440)
    linhas = escrever_historico(
        pasta / HISTORICO, documentos_finalizados(simulador, corte), parametros.nomes, FUSO
    )
    fim = simulador.instante(simulador.total_dias * 1440)
    depois = (d for d in documentos_finalizados(simulador, fim) if d["dta_fim_reparo"] > corte)
    escrever_historico(pasta / DEPOIS, depois, parametros.nomes, FUSO)
    escrever_fotos(
        pasta / FOTOS,
        simulador,
        {
            "HORARIO_FUNCIONAMENTO": parametros.horario,
            "FERIADOS": parametros.feriados_texto,
            "FUSO_HORARIO": FUSO,
        },
    )
    aviso(f"{len(simulador.ordens)} orders simulated; {linhas} finished in the first "
          f"{historico_dias} days written to {pasta / HISTORICO}")  # fmt: skip
    return simulador


def _juntar(*historicos: Historico) -> Historico:
    return Historico(
        np.concatenate([h.prioridade for h in historicos]),
        np.concatenate([h.instantes for h in historicos]),
        np.concatenate([h.pausas for h in historicos]),
    )


def casos_da_oficina(
    pasta: Path, configuracao: Configuracao, oficina: int
) -> tuple[dict[str, list[Caso]], Calendario, list[float], int]:
    """Every open order of every snapshot of one shop, forecast by the core called directly
    (on the same files the app gets, read here: at each snapshot the core learns from what
    finished by then, in its window) and by the baselines (from the first 90 days). OS
    numbers offset by the shop, so that shops can be pooled."""
    conteudo = ler_fotos(pasta / FOTOS)
    ajustes = conteudo["calendario"]
    calendario = Calendario.de_config(
        ajustes["HORARIO_FUNCIONAMENTO"], ajustes["FERIADOS"], ajustes["FUSO_HORARIO"]
    )
    inicial = ler_historico(pasta / HISTORICO, ajustes["FUSO_HORARIO"])
    historico = _juntar(inicial, ler_historico(pasta / DEPOIS, ajustes["FUSO_HORARIO"]))
    meds = medianas(calendario, inicial)
    casos: dict[str, list[Caso]] = {"nucleo": [], "p70": [], "consultor": [], "medianas": []}
    tempos = []
    alternativa = replace(configuracao, quantil_risco=0.7)
    for foto in conteudo["fotos"]:
        abertas = Abertas.de_registros(registro_aberto(d) for d in foto["ordens"])
        fins = [d["finalizada_em"] for d in foto["ordens"]]
        inicio = time.perf_counter()
        resultado = prever(calendario, historico, abertas, foto["mecanicos"], foto["instante"],
                           configuracao)  # fmt: skip
        tempos.append(time.perf_counter() - inicio)
        outro = prever(calendario, historico, abertas, foto["mecanicos"], foto["instante"],
                       alternativa)  # fmt: skip
        for nome, r in (("nucleo", resultado), ("p70", outro)):
            por_ordem = r.por_ordem()
            for doc, fim in zip(foto["ordens"], fins, strict=True):
                p = por_ordem.get(doc["ordem_servico_id"])
                casos[nome].append(
                    Caso(foto["instante"], doc["ordem_servico_id"], p and p.p50, p and p.p80,
                         bool(p and p.em_risco), doc.get("previsao_entrega"), fim)
                )  # fmt: skip
        casos["consultor"] += casos_do_consultor(calendario, meds, foto["instante"], abertas, fins)
        casos["medianas"] += casos_das_medianas(calendario, meds, foto["instante"], abertas, fins)
    return deslocar(casos, oficina), calendario, tempos, len(inicial)


def deslocar(casos: dict[str, list[Caso]], oficina: int) -> dict[str, list[Caso]]:
    return {
        nome: [replace(c, ordem=oficina * 1_000_000 + c.ordem) for c in lista]
        for nome, lista in casos.items()
    }


@dataclass(frozen=True)
class Concordancia:
    """The app against the core on the same cases: how far their p50 and p80 fall apart (in
    working minutes: median, 95th percentile, max), how often the flag differs, how often
    one gave a forecast and the other did not."""

    casos: int
    p50_min: tuple[float, float, float]
    p80_min: tuple[float, float, float]
    bandeiras_diferentes: int
    so_numa: int

    def texto(self) -> str:
        def faixa(m: tuple[float, float, float]) -> str:
            return f"median {m[0]:.0f}, p95 {m[1]:.0f}, max {m[2]:.0f}"

        return (
            f"over {self.casos} cases, the p50 read from the API and the core's differ by "
            f"({faixa(self.p50_min)}) working minutes, the p80 by ({faixa(self.p80_min)}); "
            f"the at-risk flag differs in {_casos(self.bandeiras_diferentes)}; "
            f"{_casos(self.so_numa)} with a forecast in one and not the other"
        )


def _casos(n: int) -> str:
    return f"{n} case" if n == 1 else f"{n} cases"


def concordancia(app: list[Caso], nucleo: list[Caso], calendario: Calendario) -> Concordancia:
    do_nucleo = {(c.instante, c.ordem): c for c in nucleo}
    pares = [(c, do_nucleo[(c.instante, c.ordem)]) for c in app]
    com = [(a, n) for a, n in pares if a.p50 and a.p80 and n.p50 and n.p80]

    def minutos(campo: str) -> tuple[float, float, float]:
        if not com:
            return float("nan"), float("nan"), float("nan")
        x = np.array([epoch(getattr(a, campo)) for a, _ in com])
        y = np.array([epoch(getattr(n, campo)) for _, n in com])
        d = calendario.uteis_entre(np.minimum(x, y), np.maximum(x, y)) / 60
        return float(np.median(d)), float(np.quantile(d, 0.95)), float(d.max())

    return Concordancia(
        len(pares),
        minutos("p50"),
        minutos("p80"),
        sum(a.em_risco != n.em_risco for a, n in pares),
        sum((a.p50 is None) != (n.p50 is None) for a, n in pares),
    )


def casos_do_oraculo(
    simulador: Simulador, execucoes: int, conhecidos: frozenset[str], oficina: int
) -> list[Caso]:
    """The shop's own model as a forecast: at each snapshot, the simulator run again
    `execucoes` times from there (Simulador.futuros); p50 and p80 are runs' finishes (an
    order unfinished in a run counts at the simulation's end)."""
    casos = []
    for f, foto in enumerate(simulador.fotos):
        fins = simulador.futuros(f, execucoes, conhecidos)
        for doc in foto["ordens"]:
            os = doc["ordem_servico_id"]
            fora = simulador.abertos[-1]  # not finished within the simulation: at its end
            minutos = np.array([fora if m is None else m for m in fins[os]], dtype=float)
            p50, p80 = (
                simulador.instante(int(q))
                for q in np.quantile(minutos, [0.5, 0.8], method="inverted_cdf")
            )
            promessa = doc.get("previsao_entrega")
            risco = promessa is not None and promessa > foto["instante"] and p80 > promessa
            casos.append(
                Caso(foto["instante"], oficina * 1_000_000 + os, p50, p80, risco, promessa,
                     simulador.finalizada_em(os))
            )  # fmt: skip
    return casos


# --- The budget ----------------------------------------------------------------------------------


def _carga(
    finalizadas: int, abertas: int, mecanicos: int, agora: float
) -> tuple[Historico, Abertas]:
    """A big shop's data: `finalizadas` orders finished over the last 90 days and `abertas` open
    ones spread over the stages (some on hold, half with a promise)."""
    rng = np.random.default_rng(2026)
    medianas_h = (3.0, 0.75, 4.0, 2.0, 2.5)
    inst = np.empty((finalizadas, 6))
    fim = agora - rng.uniform(0, 90 * 86_400, finalizadas)
    duracoes = np.column_stack(
        [rng.lognormal(np.log(m * 3600), 0.9, finalizadas) for m in medianas_h]
    )
    inst[:, 5] = fim
    for k in range(4, -1, -1):
        inst[:, k] = inst[:, k + 1] - duracoes[:, k]
    pausas = np.zeros((finalizadas, 5))
    com_pausa = rng.random(finalizadas) < 0.15
    pausas[com_pausa, 4] = rng.lognormal(np.log(36 * 3600), 0.7, int(com_pausa.sum()))
    inst[com_pausa, :5] -= pausas[com_pausa, 4:5]
    historico = Historico(rng.integers(0, 4, finalizadas).astype(np.int8), inst, pausas)

    etapa = rng.integers(0, 5, abertas)
    criada = agora - rng.uniform(600, 5 * 86_400, abertas)
    abertas_inst = np.full((abertas, 6), np.nan)
    abertas_inst[:, 0] = criada
    for k in range(1, 5):
        chegou = etapa >= k
        abertas_inst[chegou, k] = criada[chegou] + (agora - criada[chegou]) * k / 5
    em_curso = np.isin(etapa, (1, 4))
    abertas_ = Abertas(
        ordem=np.arange(100_000, 100_000 + abertas),
        prioridade=rng.integers(0, 4, abertas).astype(np.int8),
        instantes=abertas_inst,
        pausas=np.zeros((abertas, 5)),
        pausa_desde=np.where(rng.random(abertas) < 0.06, agora - 7200, np.nan),
        mecanico=np.where(em_curso, rng.integers(1, mecanicos + 1, abertas), -1),
        promessa=np.where(
            rng.random(abertas) < 0.5, agora + rng.uniform(0, 4 * 86_400, abertas), np.nan
        ),
    )
    return historico, abertas_


def medir_orcamento(
    finalizadas: int, abertas: int, mecanicos: int, repeticoes: int, configuracao: Configuracao
) -> str:
    calendario = Calendario.de_config(HORARIO, "", FUSO)
    agora = time.time()
    historico, abertas_ = _carga(finalizadas, abertas, mecanicos, agora)
    pessoas = list(range(1, mecanicos + 1))

    def uma() -> int:
        return prever(calendario, historico, abertas_, pessoas, agora, configuracao).execucoes

    execucoes = uma()  # also the calendar's table, numpy's first calls
    tempos = []
    for _ in range(repeticoes):
        gc.collect()
        inicio = time.process_time()
        uma()
        tempos.append(time.process_time() - inicio)
    gc.collect()
    zerar_pico()
    antes = memoria_kb("VmRSS") or 0
    uma()
    pico_rss = (memoria_kb("VmHWM") or 0) - antes
    tracemalloc.start()
    uma()
    _, pico = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return (
        f"{finalizadas:,} finished orders, {abertas:,} open, {mecanicos} mechanics, "
        f"{execucoes} runs (fewer past 2,000 orders, arrivals included): "
        f"**{statistics.median(tempos):.2f} s** CPU (median of "
        f"{repeticoes}; min {min(tempos):.2f}, max {max(tempos):.2f}); memory: "
        f"**{pico / 2**20:.0f} MB** allocated at the peak (tracemalloc), "
        f"{pico_rss / 1024:.0f} MB of peak RSS over the RSS before"
    )


NOMES = {
    "app": "Monte Carlo of the queue ({execucoes} runs), through the app: importer, recompute, "
    "API, /indicadores",
    "nucleo": "The same, the core called directly on the same files (cross-check)",
    "p70": "The same (core), at risk when its p70 (not p80) passes the promise",
    "consultor": "Baseline: the advisor's promise (median total + 25 %)",
    "medianas": "Baseline: sum of the stage medians, no queue",
    "oraculo": "Oracle: the simulator itself, run again {oraculo} times from the snapshot",
    "oraculo_sabe": "Oracle knowing each open order's customer answer and holds",
}


@dataclass
class Pontuacao:
    """One kind of shop, scored: by forecast, what was scored, the app against the core, the
    times (the core's forecast, the app's recompute, the app's whole snapshot)."""

    placares: dict[str, Placar]
    resumo: str
    concordancia: Concordancia
    bases_iguais: int
    fotos: int
    nucleo_s: list[float]
    recalculo_ms: list[float]
    rodada_s: list[float]


def pontuar_tipo(
    tipo: Tipo, args: argparse.Namespace, configuracao: Configuracao, mongo_url: str
) -> Pontuacao:
    """Every shop of a kind simulated, forecast through the app, by the core and the others,
    scored, pooled."""
    casos: dict[str, list[Caso]] = {}
    nucleo_s: list[float] = []
    historicos = []
    leituras = []
    bases_iguais = 0
    for oficina in range(1, args.oficinas + 1):
        pasta = PASTA / f"{tipo.pasta}-{oficina}"
        simulador = simular_oficina(tipo.parametros(oficina), args.fotos, pasta)
        if args.sem_nomes:
            for nome in (HISTORICO, DEPOIS):
                sem_mecanicos(pasta / nome)
        aviso(f"Through the app, {tipo.pasta} {oficina}...")
        leitura = pela_app(
            mongo_url,
            f"bench-previsao-{tipo.pasta}-{oficina}",
            pasta,
            pessoas=not (args.sem_pessoas or args.sem_nomes),
        )
        leituras.append(leitura)
        daqui = {"app": deslocar({"app": leitura.casos}, oficina)["app"]}
        nucleo, calendario, t, n = casos_da_oficina(pasta, configuracao, oficina)
        daqui.update(nucleo)
        bases_iguais += _bases_iguais(pasta, leitura.base_ordens, configuracao)
        if args.oraculo:
            aviso(f"Oracle, {tipo.pasta} {oficina}...")
            daqui["oraculo"] = casos_do_oraculo(simulador, args.oraculo, frozenset(), oficina)
            daqui["oraculo_sabe"] = casos_do_oraculo(
                simulador, args.oraculo, frozenset((RESPOSTA, PAUSAS)), oficina
            )
        for nome, lista in daqui.items():
            casos.setdefault(nome, []).extend(lista)
        nucleo_s += t
        historicos.append(n)
    placares = {nome: pontuar(lista, calendario) for nome, lista in casos.items()}
    p = tipo.parametros(1)
    resumo = (
        f"{args.oficinas} shops (seeds 1-{args.oficinas}; {p.mecanicos} mechanics, "
        f"`{p.horario}`) x {args.fotos} snapshots: {placares['app'].casos} open orders in "
        f"all ({placares['app'].sem_fim} never finished, left out); history imported per "
        f"shop: {min(historicos)}-{max(historicos)} finished orders in the first "
        f"{HISTORICO_DIAS} days, then what finished up to each snapshot"
    )
    return Pontuacao(
        placares, resumo, concordancia(casos["app"], casos["nucleo"], calendario),
        bases_iguais, args.oficinas * args.fotos, nucleo_s,
        [ms for lt in leituras for ms in lt.recalculo_ms],
        [s for lt in leituras for s in lt.rodada_s],
    )  # fmt: skip


def _bases_iguais(pasta: Path, bases_app: list[int], configuracao: Configuracao) -> int:
    """At how many snapshots the app learned from as many finished orders as the core (its
    window over the files, read here)."""
    conteudo = ler_fotos(pasta / FOTOS)
    fuso = conteudo["calendario"]["FUSO_HORARIO"]
    historico = _juntar(ler_historico(pasta / HISTORICO, fuso), ler_historico(pasta / DEPOIS, fuso))
    fim = historico.instantes[:, -1]
    janela = configuracao.parametros.janela_dias * 86_400
    fotos = sorted(conteudo["fotos"], key=lambda f: f["instante"])
    iguais = 0
    for foto, base in zip(fotos, bases_app, strict=True):
        t = epoch(foto["instante"])
        iguais += int(((fim <= t) & (fim >= t - janela)).sum()) == base
    return iguais


def tabela(placares: dict[str, Placar], args: argparse.Namespace) -> list[str]:
    linhas = [
        "| forecast | p50 error (median) | p80 coverage | risk recall (late orders) | risk "
        "precision (flagged orders) | flagged cases that were late |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for nome, placar in placares.items():
        linhas.append(placar.linha(NOMES[nome].format(**vars(args))))
    return linhas


def metas(placares: dict[str, Placar]) -> list[tuple[str, bool]]:
    """Each goal, met or not, by the forecast read through the app; beside it, where the
    oracle (the best forecast there can be, on the same cases) stands: a goal the oracle
    misses is out of any forecast's reach."""
    melhor = min(placares["consultor"].erro_p50_h, placares["medianas"].erro_p50_h)
    previsao = placares["app"]
    oraculo = placares.get("oraculo")
    razao = f"{previsao.erro_p50_h / melhor:.2f} of it"
    if oraculo:
        razao += f"; the oracle: {oraculo.erro_p50_h / melhor:.2f}"
    return [
        (f"p50 error ≤ half of the better baseline's ({razao})", previsao.erro_p50_h <= melhor / 2),
        (
            f"p80 coverage 75–85 % ({100 * previsao.cobertura_p80:.1f} %)",
            0.75 <= previsao.cobertura_p80 <= 0.85,
        ),
        ("risk recall ≥ 80 %", previsao.recall >= 0.80),
        (
            "risk precision ≥ 70 %"
            + (f" (the oracle: {100 * oraculo.precisao:.0f} %)" if oraculo else ""),
            previsao.precisao >= 0.70,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--oficinas", type=int, default=4, help="shops of each kind (default 4)")
    parser.add_argument("--fotos", type=int, default=30, help="snapshots per shop (default 30)")
    parser.add_argument(
        "--execucoes", type=int, default=200, help="the core's Monte Carlo runs (the app's: 200)"
    )
    parser.add_argument(
        "--oraculo", type=int, default=40, help="oracle runs per snapshot (0: no oracle)"
    )
    parser.add_argument("--sem-variante", action="store_true", help="only the first kind of shop")
    parser.add_argument(
        "--tipos",
        default=",".join(t.pasta for t in TIPOS),
        help="the kinds of shop, by folder (default: all of them)",
    )
    parser.add_argument("--sem-orcamento", action="store_true", help="skip the budget")
    parser.add_argument(
        "--sem-pessoas",
        action="store_true",
        help="the shops' mechanics not in /pessoas (the forecast takes the history's)",
    )
    parser.add_argument(
        "--sem-nomes",
        action="store_true",
        help="as --sem-pessoas, and the history names no mechanic (the forecast estimates them)",
    )
    parser.add_argument("--repeticoes", type=int, default=5)
    argumentos_da_secao(parser)
    args = parser.parse_args()
    configuracao = Configuracao(execucoes=args.execucoes)
    inicio = time.monotonic()

    linhas = [
        "## Previsão",
        "",
        "`make bench-previsao` (bench/previsao.py): the forecast scored through the real app "
        "on simulated shops (bench/oficina_simulada.py: working hours and holidays, mechanics "
        "absent some days, arrivals by hour and weekday, heavy-tailed stage times, customers' "
        "answers, holds for parts). Per shop, a fresh database: 90 days of history in by `flask "
        "--app wsgi importar-historico` (the indicators' CSV); then at each snapshot over the "
        "next 30 days, the app's clock at that instant, what finished since imported the same "
        "way, the open orders put in through the queue's service in their real states (steps, "
        "holds with their reasons, mechanic, priority, promise), the app's own recompute, the "
        "forecasts read from `GET /fila-execucao` (`previsao_conclusao`) and the flags from "
        "the at-risk list of `/indicadores` (bench/previsao_app.py); scored against when the "
        "orders really finished. Errors in working hours (median over the cases); recall: "
        "late orders flagged 2+ working hours ahead (their number); precision: orders flagged "
        "before their promise that were late (their number; beside it, the same over (order, "
        "snapshot) cases). See docs/PREVISAO.md.",
        "",
        f"Machine: {maquina()}.",
    ]
    nucleo_s: list[float] = []
    recalculo_ms: list[float] = []
    rodada_s: list[float] = []
    with mongod() as banco:
        tipos = [t for t in TIPOS if t.pasta in args.tipos.split(",")]
        for tipo in (OFICINA,) if args.sem_variante else tipos:
            r = pontuar_tipo(tipo, args, configuracao, banco.url)
            nucleo_s += r.nucleo_s
            recalculo_ms += r.recalculo_ms
            rodada_s += r.rodada_s
            veredito = "; ".join(
                f"{n}: {'met' if ok else '**not met**'}" for n, ok in metas(r.placares)
            )
            linhas += ["", f"**{tipo.nome.capitalize()}**: {r.resumo}.", ""]
            linhas += tabela(r.placares, args)
            linhas += [
                "",
                f"Goals (through the app): {veredito}.",
                "",
                f"The app against the core: {r.concordancia.texto()}; both learned from the "
                f"same number of finished orders at {r.bases_iguais} of {r.fotos} snapshots.",
            ]
            for linha in linhas[-len(r.placares) - 7 :]:
                aviso(linha)
    linhas += [
        "",
        "Times: one snapshot through the app (delete, import, put the open orders in, "
        f"recompute, read the API and /indicadores): median {statistics.median(rodada_s):.2f} s, "
        f"of which the recompute {statistics.median(recalculo_ms):.0f} ms; the core alone on "
        f"a snapshot's orders: median {1000 * statistics.median(nucleo_s):.0f} ms.",
    ]
    if not args.sem_orcamento:
        aviso("Budget: 50,000 finished, 2,000 open...")
        # Many mechanics, and a few with the same backlog: the longest queue to simulate,
        # with the most orders still to arrive ahead of the last ones.
        linhas += ["", "Recompute budget (≤ 2 s on one core, ≤ 50 MB more memory):", ""]
        for mecanicos in (200, 4):
            orcamento = medir_orcamento(50_000, 2_000, mecanicos, args.repeticoes, configuracao)
            linhas.append(f"- {orcamento}.")
    linhas += ["", f"The whole run: {(time.monotonic() - inicio) / 60:.0f} minutes."]
    publicar("previsao", "\n".join(linhas), args)


if __name__ == "__main__":
    main()
