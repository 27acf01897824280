"""`make bench-previsao`: the forecast ("quando fica pronto?") scored on simulated shops, beside
two baselines, and its recompute measured at 2,000 open and 50,000 finished orders.

    .venv/bin/python -m bench.previsao [--oficinas 4] [--fotos 30] [--execucoes 200] [--sem-doc]

1. bench/oficina_simulada.py runs --oficinas shops (seeds 1, 2, ...) for 120 days each (and 30
   more, so that what is open at the end finishes), with snapshots of the open orders at
   --fotos instants over the last 30.
2. The orders finished in the first 90 days are written as the indicators' CSV export, the
   snapshots as JSON (var/bench-previsao/oficina-N/historico.csv and fotos.json: what a run
   through the real app will load), and the CSV is read back as the forecast's history.
3. At each snapshot, the forecast (webapp/previsao, called directly, no app) and the two
   baselines forecast every open order; bench/previsao_placar.py scores them, the shops
   pooled, against when the orders really finished.
4. The budget: the whole recompute (model + simulation) on 50,000 finished orders and 2,000
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
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench.harness import (
    RAIZ,
    argumentos_da_secao,
    aviso,
    maquina,
    memoria_kb,
    publicar,
    zerar_pico,
)
from bench.oficina_simulada import FUSO, HORARIO, Parametros, Simulador
from bench.previsao_dados import (
    documentos_finalizados,
    escrever_fotos,
    escrever_historico,
    ler_fotos,
    ler_historico,
    registro_aberto,
)
from bench.previsao_placar import (
    Caso,
    casos_das_medianas,
    casos_do_consultor,
    medianas,
    pontuar,
)
from webapp.previsao.calendar import Calendario
from webapp.previsao.domain import Abertas, Historico
from webapp.previsao.forecast import Configuracao, prever

PASTA = RAIZ / "var" / "bench-previsao"
HISTORICO_DIAS = 90


def simular_oficina(fotos: int, pasta: Path, semente: int) -> Simulador:
    parametros = Parametros(semente=semente)
    simulador = Simulador(parametros)
    simulador.rodar(simulador.minutos_para_fotos(fotos, HISTORICO_DIAS, parametros.dias))
    pasta.mkdir(parents=True, exist_ok=True)
    corte = simulador.instante(HISTORICO_DIAS * 1440)
    linhas = escrever_historico(
        pasta / "historico.csv", documentos_finalizados(simulador, corte), FUSO
    )
    escrever_fotos(
        pasta / "fotos.json",
        simulador,
        {
            "HORARIO_FUNCIONAMENTO": HORARIO,
            "FERIADOS": parametros.feriados_texto,
            "FUSO_HORARIO": FUSO,
        },
    )
    aviso(f"{len(simulador.ordens)} orders simulated; {linhas} finished in the first "
          f"{HISTORICO_DIAS} days written to {pasta / 'historico.csv'}")  # fmt: skip
    return simulador


def casos_da_oficina(
    pasta: Path, configuracao: Configuracao, oficina: int
) -> tuple[dict[str, list[Caso]], Calendario, list[float], int]:
    """Every open order of every snapshot of one shop, forecast and by the baselines (OS
    numbers offset by the shop, so that shops can be pooled)."""
    conteudo = ler_fotos(pasta / "fotos.json")
    ajustes = conteudo["calendario"]
    calendario = Calendario.de_config(
        ajustes["HORARIO_FUNCIONAMENTO"], ajustes["FERIADOS"], ajustes["FUSO_HORARIO"]
    )
    historico = ler_historico(pasta / "historico.csv", ajustes["FUSO_HORARIO"])
    meds = medianas(calendario, historico)
    casos: dict[str, list[Caso]] = {"previsao": [], "p70": [], "consultor": [], "medianas": []}
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
        for nome, r in (("previsao", resultado), ("p70", outro)):
            por_ordem = r.por_ordem()
            for doc, fim in zip(foto["ordens"], fins, strict=True):
                p = por_ordem.get(doc["ordem_servico_id"])
                casos[nome].append(
                    Caso(foto["instante"], doc["ordem_servico_id"], p and p.p50, p and p.p80,
                         bool(p and p.em_risco), doc.get("previsao_entrega"), fim)
                )  # fmt: skip
        casos["consultor"] += casos_do_consultor(calendario, meds, foto["instante"], abertas, fins)
        casos["medianas"] += casos_das_medianas(calendario, meds, foto["instante"], abertas, fins)
    deslocados = {
        nome: [replace(c, ordem=oficina * 1_000_000 + c.ordem) for c in lista]
        for nome, lista in casos.items()
    }
    return deslocados, calendario, tempos, len(historico)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--oficinas", type=int, default=4, help="shops simulated (default 4)")
    parser.add_argument("--fotos", type=int, default=30, help="snapshots per shop (default 30)")
    parser.add_argument("--execucoes", type=int, default=200, help="Monte Carlo runs")
    parser.add_argument("--sem-chegadas", action="store_true", help="do not simulate arrivals")
    parser.add_argument("--sem-orcamento", action="store_true", help="skip the budget")
    parser.add_argument("--repeticoes", type=int, default=5)
    argumentos_da_secao(parser)
    args = parser.parse_args()
    configuracao = Configuracao(execucoes=args.execucoes, chegadas=not args.sem_chegadas)

    casos: dict[str, list[Caso]] = {}
    tempos: list[float] = []
    historicos = []
    for oficina in range(1, args.oficinas + 1):
        pasta = PASTA / f"oficina-{oficina}"
        simular_oficina(args.fotos, pasta, semente=oficina)
        daqui, calendario, t, n = casos_da_oficina(pasta, configuracao, oficina)
        for nome, lista in daqui.items():
            casos.setdefault(nome, []).extend(lista)
        tempos += t
        historicos.append(n)
    placares = {nome: pontuar(lista, calendario) for nome, lista in casos.items()}
    resumo = (
        f"{args.oficinas} shops (seeds 1-{args.oficinas}) x {args.fotos} snapshots: "
        f"{placares['previsao'].casos} open orders in all ({placares['previsao'].sem_fim} never "
        f"finished, left out); history per shop: {min(historicos)}-{max(historicos)} finished "
        f"orders; one forecast (a snapshot's orders): median "
        f"{1000 * statistics.median(tempos):.0f} ms"
    )
    melhor = min(placares["consultor"].erro_p50_h, placares["medianas"].erro_p50_h)
    previsao = placares["previsao"]
    metas = [
        ("p50 error ≤ half of the better baseline's", previsao.erro_p50_h <= melhor / 2),
        ("p80 coverage 75–85 %", 0.75 <= previsao.cobertura_p80 <= 0.85),
        ("risk recall ≥ 80 %", previsao.recall >= 0.80),
        ("risk precision ≥ 70 %", previsao.precisao >= 0.70),
    ]
    linhas = [
        "## Previsão",
        "",
        "`make bench-previsao` (bench/previsao.py): the forecast scored on simulated shops "
        "(bench/oficina_simulada.py: 4 mechanics, working hours and holidays, arrivals by hour "
        "and weekday, heavy-tailed stage times, customers' answers, holds for parts), 90 days of "
        "history through the indicators' CSV, open orders snapshotted over the next 30 days, "
        "against when they really finished. Errors in working hours (median over the cases); "
        "recall: late orders flagged 2+ working hours ahead (their number); precision: flags "
        "raised before the promise that were right (their number). See docs/PREVISAO.md.",
        "",
        f"Machine: {maquina()}.",
        "",
        resumo + ".",
        "",
        "| forecast | p50 error (median) | p80 coverage | risk recall | risk precision |",
        "| --- | --- | --- | --- | --- |",
        previsao.linha(f"Monte Carlo of the queue ({configuracao.execucoes} runs)"),
        placares["p70"].linha("The same, at risk when its p70 (not p80) passes the promise"),
        placares["consultor"].linha("Baseline: the advisor's promise (median total + 25 %)"),
        placares["medianas"].linha("Baseline: sum of the stage medians, no queue"),
        "",
        "Goals: "
        + "; ".join(f"{nome}: {'met' if ok else '**not met**'}" for nome, ok in metas)
        + ".",
    ]
    for linha in linhas[-6:-2]:
        aviso(linha)
    if not args.sem_orcamento:
        aviso("Budget: 50,000 finished, 2,000 open...")
        orcamento = medir_orcamento(50_000, 2_000, 200, args.repeticoes, configuracao)
        linhas += [
            "",
            "Recompute budget (≤ 2 s on one core, ≤ 50 MB more memory): " + orcamento + ".",
        ]
    publicar("previsao", "\n".join(linhas), args)


if __name__ == "__main__":
    main()
