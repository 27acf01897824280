"""`python -m bench.previsao_estabilidade`: how far the forecast moves when nothing happens but
the clock.

    PYTHONPATH=. .venv/bin/python -m bench.previsao_estabilidade [--passo 2] [--horas 5]
        [--sementes 3] [--sem-simuladas] [--saida docs/PERFORMANCE.md] [--sem-doc]

The core alone (webapp/previsao/forecast.prever), on shops frozen at an instant: the history
finished by then and the open orders as they are, nothing started, finished, held or
resumed. Only the clock advances, by --passo working minutes, over --horas working hours, and
each step is a whole recompute. An order's p50 and p80 should then move smoothly: its own
draws are keyed by its OS number (common random numbers), so a step of 2 minutes changes
only what 2 more minutes of elapsed time say.

The shops:
- the tests' synthetic shop (tests/previsao/previsao_fabrica.historico: log-normal stages of
  spread 0.8, a fifth of the repairs held), 10 open orders over the stages (a few deep in a
  stage's tail), 4 mechanics, with thin histories (60, 100, 150 orders) and a rich one (800),
  --sementes seeds each;
- a snapshot of two of the benchmark's simulated shops (bench/oficina_simulada.py, as `make
  bench-previsao` runs them): the shop (about 430 finished orders) and the body shop (about
  100), unless --sem-simuladas.

Per order and step, in working minutes: move - passed, where move is how far its p50 (p80)
moved on the working clock and passed the working time between the two recomputes. An order
whose time left stays the same moves by what passed (0 here); one waiting for a mechanic
whose time is fixed moves by 0 (-2 here): both honest. Reported over (order, step): the
median, the 95th percentile and the maximum of |move - passed|, and the moves of more than 30
working minutes per order and working hour ("saltos/h").

Steps that cross a closing (lunch, the night) or the end of the hour after an opening are
counted apart: there the wall clock runs while the working clock stands still (a customer
may answer overnight, parts may come), and the model's own rule for what is surely awaited
(model.aguardada: within the hour after an opening, an answer not yet recorded may have come
overnight) changes at once. Those moves are legitimate, and not the question here.

Also: each order is promised its p80 at the start (as "Prometer" does); the orders flagged at
risk within the next 10 working minutes, with nothing new, are counted ("promessas"), of the
orders promised.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from bench.harness import argumentos_da_secao, aviso, maquina, publicar
from bench.previsao import FOTOS, FUNILARIA, HISTORICO, OFICINA, Tipo, _juntar, simular_oficina
from bench.previsao_app import DEPOIS
from bench.previsao_dados import ler_fotos, ler_historico, registro_aberto
from tests.previsao.previsao_fabrica import aberta, abertas, calendario, historico, local
from webapp.previsao.calendar import Calendario, epoch
from webapp.previsao.domain import FIM, Abertas, Historico
from webapp.previsao.forecast import Configuracao, prever
from webapp.previsao.model import Parametros

MINUTO = 60.0
HORA = 3600.0
SALTO_MIN = 30.0  # a move this far from the time passed is a jump
PROMESSA_MIN = 10.0  # a promise made from the p80 flagged this soon: the demo's complaint
# The synthetic shop's stages (working hours: the wait for a diagnosis, the diagnosis, the
# customer's answer, the wait for a repair, the repair), as the tests' factory lays them.
MEDIANAS_H = (1.0, 1.0, 2.0, 0.5, 2.0)
DISPERSAO = 0.8
INICIO = local(2026, 11, 11, 15)  # a Wednesday, 15:00: the night and an opening in 5 hours
MECANICOS = (7, 8, 9, 10)


@dataclass(frozen=True)
class Oficina:
    """A shop frozen at `inicio`: its history (finished by then), its open orders."""

    nome: str
    grupo: str  # "fina" (a thin history) or "rica"
    calendario: Calendario
    historico: Historico
    abertas: Abertas
    mecanicos: tuple[int, ...]
    inicio: float


def _ate(historico_: Historico, agora: float) -> Historico:
    """The orders finished by `agora`: nothing finishes while the clock advances; and none
    leaves the model's window (`janela_dias`) within a week of it."""
    fim = historico_.instantes[:, FIM]
    janela = (Parametros().janela_dias - 7) * 86_400
    dentro = np.isfinite(fim) & (fim <= agora) & (fim >= agora - janela)
    return Historico(
        historico_.prioridade[dentro], historico_.instantes[dentro], historico_.pausas[dentro]
    )


def abertas_sinteticas(
    cal: Calendario, agora: datetime, n: int, semente: int, mecanicos: Sequence[int]
) -> Abertas:
    """`n` open orders over the stages, each in its stage for a log-normal time around the
    stage's median (wider than the history's, so that some are deep in a stage's tail), at
    most one in work per mechanic, a sixth of those in repair held now."""
    rng = np.random.default_rng(1000 + semente)
    escala = cal.escala(epoch(agora) - 40 * 86_400, epoch(agora))
    agora_u = float(escala.uteis(np.array([epoch(agora)]))[0])
    livres = list(mecanicos)
    registros = []
    for i in range(n):
        etapa = int(rng.choice(5, p=(0.25, 0.15, 0.2, 0.15, 0.25)))
        if etapa in (1, 4) and not livres:
            etapa -= 1  # no mechanic left: waiting for one
        # Working seconds back from now: the current stage's elapsed time, then each stage
        # before it.
        decorrido = MEDIANAS_H[etapa] * HORA * rng.lognormal(0.0, 1.0)
        duracoes = [MEDIANAS_H[k] * HORA * rng.lognormal(0.0, DISPERSAO) for k in range(etapa)]
        recuos = np.cumsum([decorrido, *reversed(duracoes)])[::-1]
        marcos = [datetime.fromtimestamp(float(t), agora.tzinfo)
                  for t in escala.instantes(agora_u - recuos)]  # fmt: skip
        mecanico = livres.pop(0) if etapa in (1, 4) else None
        segurada = etapa == 4 and rng.random() < 1 / 6
        pausa = agora - timedelta(hours=float(rng.uniform(1, 30))) if segurada else None
        if pausa is not None:
            pausa = min(max(pausa, marcos[-1] + timedelta(minutes=5)), agora)
        prioridade = int(rng.choice(4, p=(0.1, 0.2, 0.5, 0.2)))
        registros.append(aberta(100 + i, prioridade, marcos, mecanico, pausa_desde=pausa))
    return abertas(*registros)


def sinteticas(sementes: int) -> list[Oficina]:
    cal = calendario()
    agora = epoch(INICIO)
    oficinas = []
    for n, grupo in ((60, "fina"), (100, "fina"), (150, "fina"), (800, "rica")):
        for semente in range(1, sementes + 1):
            hist = historico(cal, INICIO, n=n, semente=semente, pausas=0.2, dispersao=DISPERSAO,
                             medianas_h=MEDIANAS_H)  # fmt: skip
            oficinas.append(
                Oficina(
                    f"synthetic, {n} orders, seed {semente}", grupo, cal, _ate(hist, agora),
                    abertas_sinteticas(cal, INICIO, 10, semente, MECANICOS), MECANICOS, agora,
                )
            )  # fmt: skip
    return oficinas


def simuladas(pasta: Path) -> list[Oficina]:
    """The first snapshot of a simulated shop of `make bench-previsao` (seed 1) and of its
    body shop."""
    oficinas = []
    for tipo, grupo in ((OFICINA, "rica"), (FUNILARIA, "fina")):
        destino = pasta / tipo.pasta
        simular_oficina(tipo.parametros(1), 3, destino)
        conteudo = ler_fotos(destino / FOTOS)
        ajustes = conteudo["calendario"]
        cal = Calendario.de_config(
            ajustes["HORARIO_FUNCIONAMENTO"], ajustes["FERIADOS"], ajustes["FUSO_HORARIO"]
        )
        fuso = ajustes["FUSO_HORARIO"]
        foto = conteudo["fotos"][0]
        agora = epoch(foto["instante"])
        antes, depois = (
            ler_historico(destino / HISTORICO, fuso),
            ler_historico(destino / DEPOIS, fuso),
        )
        hist = _ate(_juntar(antes, depois), agora)
        ordens = Abertas.de_registros(registro_aberto(d) for d in foto["ordens"])
        oficinas.append(
            Oficina(f"{_nome(tipo)}, seed 1", grupo, cal, hist, ordens,
                    tuple(foto["mecanicos"]), agora)
        )  # fmt: skip
    return oficinas


def _nome(tipo: Tipo) -> str:
    return {"oficina": "the simulated shop", "funilaria": "the simulated body shop"}[tipo.pasta]


@dataclass(frozen=True)
class Serie:
    """The recomputes of one shop: the instants (steps + 1), each order's p50 and p80
    (epoch seconds, steps + 1 x orders), and whether each was at risk of its promise."""

    instantes: NDArray[np.float64]
    p50: NDArray[np.float64]
    p80: NDArray[np.float64]
    em_risco: NDArray[np.bool_]
    base: int  # finished orders learned from
    segundos: float  # CPU per recompute, median


def recalcular(oficina: Oficina, passo_s: float, passos: int, configuracao: Configuracao) -> Serie:
    """Recompute at `passos` + 1 instants, `passo_s` working seconds apart; each order
    promised its p80 of the first recompute."""
    cal = oficina.calendario
    instantes = cal.somar(np.full(passos + 1, oficina.inicio), passo_s * np.arange(passos + 1))
    primeira = prever(cal, oficina.historico, oficina.abertas, oficina.mecanicos,
                      oficina.inicio, configuracao)  # fmt: skip
    p80 = {p.ordem_servico_id: epoch(p.p80) for p in primeira.previsoes}
    prometidas = replace(
        oficina.abertas,
        promessa=np.array([p80.get(int(os), np.nan) for os in oficina.abertas.ordem]),
    )
    ordens = [int(os) for os in oficina.abertas.ordem]
    p50s, p80s, riscos, tempos = [], [], [], []
    for t in instantes:
        inicio = time.process_time()
        r = prever(cal, oficina.historico, prometidas, oficina.mecanicos, float(t), configuracao)
        tempos.append(time.process_time() - inicio)
        por = r.por_ordem()
        p50s.append([epoch(por[os].p50) for os in ordens])
        p80s.append([epoch(por[os].p80) for os in ordens])
        riscos.append([por[os].em_risco for os in ordens])
    return Serie(instantes, np.array(p50s), np.array(p80s), np.array(riscos),
                 primeira.base_ordens, statistics.median(tempos))  # fmt: skip


def uteis_com_sinal(cal: Calendario, de: NDArray[np.float64], ate: NDArray[np.float64]) -> NDArray:
    """Working seconds from `de` to `ate`, negative when `ate` is before."""
    frente = cal.uteis_entre(np.minimum(de, ate), np.maximum(de, ate))
    return np.where(ate >= de, frente, -frente)


def noturnos(cal: Calendario, instantes: NDArray[np.float64], registro_s: float) -> NDArray:
    """Per step, whether it crosses a closing (the wall clock runs, the working clock does
    not) or the end of the hour after an opening (model.aguardada)."""
    de, ate = instantes[:-1], instantes[1:]
    passo = np.diff(cal.uteis_entre(np.full(instantes.size, instantes[0]), instantes))
    fecha = (ate - de) > passo + 1.0
    escala = cal.escala(float(de[0]) - 7 * 86_400, float(ate[-1]) + 86_400)
    # Openings after a closed spell (a lunch break too), and the hour after each.
    abertura = escala.inicios[1:][escala.inicios[1:] - escala.fins[:-1] > 60.0]
    limite = abertura + registro_s
    cruza = np.searchsorted(limite, de, side="right") != np.searchsorted(limite, ate, "right")
    return fecha | cruza


@dataclass(frozen=True)
class Movimentos:
    """|move - passed| (working minutes) over (order, step), for p50 and p80, in-day steps
    only; the jumps past SALTO_MIN of the steps apart."""

    p50: NDArray[np.float64]
    p80: NDArray[np.float64]
    horas_ordem: float  # orders x working hours of the in-day steps
    p50_noite: NDArray[np.float64]
    p80_noite: NDArray[np.float64]
    promessas: int  # orders promised their p80 at the start
    em_risco_logo: int  # of those, flagged within PROMESSA_MIN

    @staticmethod
    def juntar(lista: Iterable[Movimentos]) -> Movimentos:
        lista = list(lista)
        return Movimentos(
            np.concatenate([m.p50 for m in lista]), np.concatenate([m.p80 for m in lista]),
            sum(m.horas_ordem for m in lista),
            np.concatenate([m.p50_noite for m in lista]),
            np.concatenate([m.p80_noite for m in lista]),
            sum(m.promessas for m in lista), sum(m.em_risco_logo for m in lista),
        )  # fmt: skip


def movimentos(cal: Calendario, serie: Serie, registro_s: float = 3_600.0) -> Movimentos:
    instantes = serie.instantes
    passou = np.diff(cal.uteis_entre(np.full(instantes.size, instantes[0]), instantes)) / MINUTO
    noite = noturnos(cal, instantes, registro_s)

    def desvios(p: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.abs(uteis_com_sinal(cal, p[:-1], p[1:]) / MINUTO - passou[:, None])

    d50, d80 = desvios(serie.p50), desvios(serie.p80)
    decorrido = cal.uteis_entre(np.full(instantes.size, instantes[0]), instantes) / MINUTO
    logo = decorrido <= PROMESSA_MIN
    return Movimentos(
        d50[~noite].ravel(), d80[~noite].ravel(),
        float(passou[~noite].sum()) / 60 * serie.p50.shape[1],
        d50[noite].ravel(), d80[noite].ravel(),
        serie.p80.shape[1], int(serie.em_risco[logo].any(axis=0).sum()),
    )  # fmt: skip


def _celulas(d: NDArray[np.float64], horas: float) -> str:
    if d.size == 0:
        return "– | – | – | –"
    saltos = int((d > SALTO_MIN).sum())
    return (f"{np.median(d):.1f} | {np.quantile(d, 0.95):.1f} | {d.max():.0f} | "
            f"{saltos / horas:.3f} ({saltos})")  # fmt: skip


def linha(nome: str, m: Movimentos, base: str) -> str:
    noite = np.concatenate((m.p50_noite, m.p80_noite))
    return (
        f"| {nome} | {base} | {_celulas(m.p50, m.horas_ordem)} | {_celulas(m.p80, m.horas_ordem)} "
        f"| {m.em_risco_logo} of {m.promessas} | "
        + (f"{noite.size}, max {noite.max():.0f}" if noite.size else "–")
        + " |"
    )


CABECALHO = [
    "| shop | finished | p50: median | p95 | max | jumps/h (n) | p80: median | p95 | max "
    "| jumps/h (n) | promises at risk in 10 min | steps over a closing (cases, max) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passo", type=float, default=2.0, help="working minutes per step")
    parser.add_argument("--horas", type=float, default=5.0, help="working hours in all")
    parser.add_argument("--sementes", type=int, default=3, help="seeds per synthetic shop")
    parser.add_argument("--sem-simuladas", action="store_true", help="synthetic shops only")
    parser.add_argument("--execucoes", type=int, default=200, help="Monte Carlo runs")
    argumentos_da_secao(parser)
    args = parser.parse_args(argv)
    configuracao = Configuracao(execucoes=args.execucoes)
    passos = int(round(args.horas * 60 / args.passo))
    inicio = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-estabilidade-") as pasta:
        oficinas = sinteticas(args.sementes)
        if not args.sem_simuladas:
            oficinas += simuladas(Path(pasta))
        linhas_oficina, grupos, tempos = [], {"fina": [], "rica": []}, []
        for oficina in oficinas:
            serie = recalcular(oficina, args.passo * MINUTO, passos, configuracao)
            m = movimentos(oficina.calendario, serie)
            grupos[oficina.grupo].append(m)
            tempos.append(serie.segundos)
            linhas_oficina.append(linha(oficina.nome, m, str(serie.base)))
            aviso(linhas_oficina[-1])
    todas = Movimentos.juntar(grupos["fina"] + grupos["rica"])
    texto = [
        "## Previsão: estabilidade",
        "",
        "`make bench-previsao-estabilidade` (bench/previsao_estabilidade.py): the core "
        "recomputed every "
        f"{args.passo:g} working minutes over {args.horas:g} working hours with nothing "
        "happening but the clock, on the tests' synthetic shop (10 open orders, 4 mechanics; "
        f"{args.sementes} seeds of each history) and on a snapshot of two of `make "
        "bench-previsao`'s simulated shops. Per order and step, |move - passed| in working "
        "minutes (how far its p50 or p80 moved on the working clock, less the working time "
        "that passed): median, 95th percentile, maximum over (order, step), and the moves of "
        f"more than {SALTO_MIN:g} working minutes per order and working hour (their number). "
        "Steps over a closing or the end of the hour after an opening (the wall clock runs, "
        "the customer may answer overnight) apart. Promises: orders promised their p80 at "
        f"the start, flagged at risk within {PROMESSA_MIN:g} working minutes. See "
        'docs/PREVISAO.md, "What moves a forecast".',
        "",
        f"Machine: {maquina()}.",
        "",
        *CABECALHO,
        *linhas_oficina,
        linha("**thin histories (≤ 150)**", Movimentos.juntar(grupos["fina"]), ""),
        linha("**rich histories**", Movimentos.juntar(grupos["rica"]), ""),
        linha("**all**", todas, ""),
        "",
        f"A recompute: median {1000 * statistics.median(tempos):.0f} ms CPU. The whole run: "
        f"{(time.monotonic() - inicio) / 60:.0f} minutes.",
    ]
    publicar("previsao-estabilidade", "\n".join(texto), args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
