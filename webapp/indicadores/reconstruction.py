"""The instants an exported line stood for: its dates keep only the minute, its minutes (holds
excluded) their rounding, so the importer finds again the seconds the dates leave out and each
stage's time on hold, such that exporting what it stores writes the very same line. It
reads no more time on hold than the file's "Em espera" columns say, when it can (none when
they say none: the rounding's few seconds are never a hold). Pure: a system of difference
constraints, solved exactly (Bellman-Ford on 12 nodes)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..fila.domain import MotivoPausa
from ..fila.fields import como_guardado

ARREDONDAMENTO_S = 3.0  # the export's minutes, to the tenth: ±3 s each
MARGEM_S = 0.05  # kept inside every rounding, for the milliseconds the store keeps


@dataclass
class Folgas:
    """Each figure's rounding, in seconds, as the file wrote it (the importer's
    `_arredondamento`): the stages', the whole order's, the holds' per reason."""

    etapas: list[float]
    total: float
    esperas: dict[str, float] = field(default_factory=dict)


def reconstruir(
    instantes: list[datetime],
    precisao: list[float],
    liquidos: list[float | None],
    total: float | None,
    esperas: Mapping[str, float] | None,
    folgas: Folgas,
) -> tuple[list[datetime], list[float], dict[str, float]] | None:
    """The six instants with the seconds the file's dates leave out, each stage's seconds on
    hold and the holds' seconds per reason, such that the export of what is stored writes
    this very line again: every date in its minute, every stage's minutes (holds excluded)
    and the whole order's within their rounding (`folgas`), the holds per reason within
    theirs. None when no such instants exist (the line contradicts itself).

    Written with the cumulative time out of holds X_i and the cumulative hold W_i at each
    instant (τ_i = X_i + W_i), every condition is a bound on a difference of two of them:
    a stage's minutes on X_{k+1} - X_k, the whole's on X_5 - X_0, a hold never negative on
    W_{k+1} - W_k, the holds' total on W_5 - W_0, and a date's minute on τ_i, i.e. on
    X_i - (-W_i). So the system is a graph of difference constraints, solved exactly by
    Bellman-Ford on 12 nodes (a shortest path per variable, or a negative cycle: no
    solution). It is solved first with the holds' total at the least the "Em espera" columns
    allow (zero without them), for the least value of every variable, and no hold in the
    stages whose dates leave no room for one beyond their rounding nor in those whose
    minutes are blank; then with a hold allowed in the blank ones; then anywhere; then, only
    if none of that has a solution (the dates hold more, e.g. nights a tool's minutes left
    out, or columns left at zero), within the rounding of the reasons the file names, for
    the greatest (a reason written 0,0 gets no seconds), then within every reason's
    rounding, each again first with no hold where the dates leave no room for one (else the
    other stages' rounding became holds of a few seconds)."""
    n = len(liquidos)
    origem = instantes[0]
    # Nodes: X_0..X_n, then V_i = -W_i (so that τ_i = X_i - V_i).
    arestas: list[tuple[int, int, float]] = []  # (u, v, c): v - u <= c

    def entre(u: int, v: int, baixo: float, alto: float) -> None:
        """baixo <= v - u <= alto."""
        if alto != math.inf:
            arestas.append((u, v, alto))
        if baixo != -math.inf:
            arestas.append((v, u, -baixo))

    x = list(range(n + 1))
    w = [n + 1 + i for i in range(n + 1)]
    for k, liquido in enumerate(liquidos):
        if liquido is None:
            entre(x[k], x[k + 1], 0.0, math.inf)
        else:
            folga = folgas.etapas[k] - MARGEM_S
            entre(x[k], x[k + 1], max(0.0, liquido - folga), liquido + folga)
        entre(w[k + 1], w[k], 0.0, math.inf)  # V_k - V_{k+1} = hold of stage k >= 0
    if total is not None:
        folga = folgas.total - MARGEM_S
        entre(x[0], x[n], max(0.0, total - folga), total + folga)
    faixas: dict[str, tuple[float, float]] = {}
    minimo, maximo, maximo_dos_ditos = 0.0, math.inf, math.inf
    if esperas is not None:
        for motivo, valor in esperas.items():
            folga = folgas.esperas[motivo] - MARGEM_S
            faixas[motivo] = (max(0.0, valor - folga), valor + folga if valor else folga)
        minimo = sum(b for b, _ in faixas.values())
        maximo = sum(a for _, a in faixas.values())
        # The reasons the file gives as 0,0 at nothing: their rounding is no hold.
        maximo_dos_ditos = sum(faixas[m][1] for m, valor in esperas.items() if valor)
    for i, instante in enumerate(instantes):
        inicio = (instante - origem).total_seconds()
        entre(w[i], x[i], inicio + MARGEM_S, inicio + max(precisao[i] - MARGEM_S, MARGEM_S))
    # No hold in a stage whose dates leave no more than their minute beyond its minutes: the
    # least solution alone would push the hold to the earliest stages the minutes allow. Nor,
    # first, in a stage whose minutes the file left blank (docs/PREVISAO.md: "with no hold,
    # when they allow it"), else the least solution put the hold's seconds there.
    sem_espera: list[tuple[int, int, float]] = []
    em_branco: list[tuple[int, int, float]] = []
    for k, liquido in enumerate(liquidos):
        entre_datas = (instantes[k + 1] - instantes[k]).total_seconds()
        nenhuma = [(w[k + 1], w[k], 0.0), (w[k], w[k + 1], 0.0)]
        if liquido is None:
            em_branco += nenhuma
        elif entre_datas - liquido <= precisao[k] + folgas.etapas[k]:
            sem_espera += nenhuma
    # V_0 - V_n = W_n - W_0, the holds' total: first at the least, then in the range of the
    # reasons the file names (the greatest values), then in the whole range; each only where
    # the dates leave room for a hold, then anywhere.
    no_minimo = [(w[n], w[0], minimo), (w[0], w[n], -minimo)]
    nos_ditos = [(w[n], w[0], maximo_dos_ditos), (w[0], w[n], -minimo)]
    na_faixa = [(w[n], w[0], maximo), (w[0], w[n], -minimo)]
    onde = [[*sem_espera, *em_branco], sem_espera, []]
    onde = [r for i, r in enumerate(onde) if r not in onde[:i]]  # each once
    totais = [(no_minimo, True), (nos_ditos, False), (na_faixa, False)]
    if maximo_dos_ditos == maximo:
        del totais[1]  # every reason named (or none given): the same range
    solucoes = (
        _solucao([*arestas, *total_de_espera, *restricao], 2 * n + 2, menor)
        for total_de_espera, menor in totais
        for restricao in onde
    )  # lazily: the first that has one
    valores = next((v for v in solucoes if v is not None), None)
    if valores is None:
        return None  # a negative cycle: the conditions contradict each other
    novos = [
        como_guardado(origem + timedelta(seconds=valores[x[i]] - valores[w[i]]))
        for i in range(n + 1)
    ]
    # To the millisecond the store keeps: a hold is never a float's residue.
    por_etapa = [math.floor(max(0.0, valores[w[k]] - valores[w[k + 1]]) * 1000) / 1000
                 for k in range(n)]  # fmt: skip
    return novos, por_etapa, _motivos(sum(por_etapa), faixas)


def _solucao(
    arestas: list[tuple[int, int, float]], nos: int, menor: bool = False
) -> list[float] | None:
    """Values meeting every `v - u <= c`, or None when none do (a negative cycle):
    Bellman-Ford's shortest distances, the greatest values (all <= 0); `menor`: on the
    reversed graph, negated, the least (all >= 0)."""
    if menor:
        arestas = [(v, u, c) for u, v, c in arestas]
    distancia = [0.0] * nos
    for _ in range(nos + 1):
        mudou = False
        for u, v, c in arestas:
            if distancia[u] + c < distancia[v] - 1e-9:
                distancia[v] = distancia[u] + c
                mudou = True
        if not mudou:
            return [-d for d in distancia] if menor else distancia
    return None


def _motivos(espera: float, faixas: Mapping[str, tuple[float, float]]) -> dict[str, float]:
    """The holds' seconds split by reason inside each reason's rounding (`faixas`), starting
    from the middle of each and moving the reasons the file names first."""
    if espera <= 0:
        return {m: 0.0 for m in faixas}
    if not faixas:
        return {MotivoPausa.OUTRO.value: espera}
    motivos = {m: (b + a) / 2 if b > 0 else 0.0 for m, (b, a) in faixas.items()}
    falta = espera - sum(motivos.values())
    for m in sorted(faixas, key=lambda m: faixas[m][0] == 0):
        baixo, alto = faixas[m]
        passo = min(max(falta, baixo - motivos[m]), alto - motivos[m])
        motivos[m] += passo
        falta -= passo
    return motivos
