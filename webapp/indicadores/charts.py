"""Bar charts as geometry for server-rendered SVG (templates/indicadores/_graficos.html): pure
Python, no chart library in the browser, no script and no style attribute in the markup (the
CSP), only coordinates and classes. Sizes are in the SVG's own units: the drawing scales to its
box, so one viewBox reads the same on a desktop and on a tablet. A phone gets each chart drawn
again, narrower, its labels above the bars (ESTREITO): the wide one, shrunk to a phone's width,
had 7-pixel text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ..fila import labels
from ..fila.domain import MotivoPausa
from ..fila.stages import INTERVALOS
from .domain import LEITURA, Indicadores

LARGURA = 640
ALTURA_BARRA = 16
ESPACO = 6
MARGEM_ROTULO = 190  # room for the labels at the left of horizontal bars
MARGEM_VALOR = 90  # room for the value at the right of the longest bar
LINHA_ROTULO = 18  # a label's own line above its bars (ESTREITO)


@dataclass(frozen=True)
class Formato:
    """How wide a chart is drawn, and where its categories' labels go: at the left of their
    bars, or on their own line above them (what leaves a narrow chart room for the bars)."""

    largura: float
    acima: bool

    @property
    def margem(self) -> float:
        """Where the bars begin."""
        return 0 if self.acima else MARGEM_ROTULO

    def rotulo(self, categoria: str, y: float, fim: float) -> tuple[Rotulo, float]:
        """The category's label for bars drawn from `y` (to `fim`, left layout), and where its
        bars begin."""
        if self.acima:
            return Rotulo(0, y + LINHA_ROTULO - 5, categoria, "start"), y + LINHA_ROTULO
        return Rotulo(MARGEM_ROTULO - 8, round((y + fim) / 2 + 5, 1), categoria), y


LARGO = Formato(LARGURA, acima=False)  # a desktop's or a tablet's
ESTREITO = Formato(360, acima=True)  # a phone's: ~0.9 of its pixels per unit, not ~0.5


@dataclass(frozen=True)
class Barra:
    x: float
    y: float
    largura: float
    altura: float
    classe: str  # CSS class: the series (e.g. "serie-mediana")
    texto: str  # the value as people read it, drawn beside the bar
    tx: float  # where that text goes
    ty: float
    ancora: str = "start"  # the text's anchor: after a horizontal bar, or centred over a column


@dataclass(frozen=True)
class Rotulo:
    x: float
    y: float
    texto: str
    ancora: str = "end"  # SVG text-anchor


@dataclass(frozen=True)
class Grafico:
    largura: float
    altura: float
    barras: list[Barra]
    rotulos: list[Rotulo]
    legenda: list[tuple[str, str]]  # (class, name) of each series


@dataclass(frozen=True)
class Serie:
    nome: str
    classe: str


def barras_horizontais(
    categorias: Sequence[str],
    series: Sequence[Serie],
    valores: Sequence[Sequence[float | None]],
    textos: Sequence[Sequence[str]],
    formato: Formato = LARGO,
) -> Grafico:
    """One group of bars per category (a row), one bar per series, all on one scale.
    `valores[i][j]`: category i, series j (None: nothing drawn, "—" written)."""
    maximo = max((v for linha in valores for v in linha if v), default=0) or 1
    x0 = formato.margem
    util = formato.largura - x0 - MARGEM_VALOR
    barras, rotulos = [], []
    y = ESPACO
    for i, categoria in enumerate(categorias):
        rotulo, y = formato.rotulo(categoria, y, y + len(series) * (ALTURA_BARRA + 2) - 2)
        rotulos.append(rotulo)
        for j, serie in enumerate(series):
            valor = valores[i][j] or 0
            largura = max(util * valor / maximo, 1 if valores[i][j] else 0)
            barras.append(
                Barra(
                    x0, y, round(largura, 1), ALTURA_BARRA, serie.classe,
                    textos[i][j], round(x0 + largura + 6, 1), y + ALTURA_BARRA - 3,
                )
            )  # fmt: skip
            y += ALTURA_BARRA + 2
        y += ESPACO * 2
    legenda = [(s.classe, s.nome) for s in series]
    return Grafico(formato.largura, y, barras, rotulos, legenda)


ALTURA_COLUNAS = 180
MARGEM_BASE = 34  # room for the day labels under the columns
METADE_ROTULO_DIA = 20  # half of "07/11" as drawn
LARGURA_NUMERO = 16  # a day's column this wide or more has room for "22" above it


def colunas_por_dia(dias: Sequence[tuple[date, int]], formato: Formato = LARGO) -> Grafico:
    """Orders finished per day as columns, the count above each one while a column is wide
    enough for it (past ~40 days the counts ran into each other: the table beside has them);
    day labels thinned out so that one fits per 40 units (~16 under a tablet-wide chart), the
    first and last kept inside it (a centred "07/11" under the first column lost its "0")."""
    total = formato.largura
    maximo = max((n for _, n in dias), default=0) or 1
    largura_dia = total / max(len(dias), 1)
    com_numero = largura_dia >= LARGURA_NUMERO
    util = ALTURA_COLUNAS - MARGEM_BASE - 20
    passo = max(1, -(-len(dias) // int(total // (2 * METADE_ROTULO_DIA))))
    barras, rotulos = [], []
    for i, (dia, n) in enumerate(dias):
        altura = util * n / maximo
        x = i * largura_dia + largura_dia * 0.15
        base = ALTURA_COLUNAS - MARGEM_BASE
        barras.append(
            Barra(
                round(x, 1), round(base - altura, 1), round(largura_dia * 0.7, 1),
                round(altura, 1), "serie-finalizadas", str(n) if n and com_numero else "",
                round(x + largura_dia * 0.35, 1), round(base - altura - 4, 1), "middle",
            )
        )  # fmt: skip
        if i % passo == 0:
            centro = x + largura_dia * 0.35
            lugar, ancora = (
                (0, "start") if centro < METADE_ROTULO_DIA
                else (total, "end") if centro > total - METADE_ROTULO_DIA
                else (round(centro, 1), "middle")
            )  # fmt: skip
            rotulos.append(Rotulo(lugar, ALTURA_COLUNAS - 12, f"{dia:%d/%m}", ancora))
    return Grafico(total, ALTURA_COLUNAS, barras, rotulos, [])


MARGEM_VALOR_EMPILHADO = 100  # "23 h 30 min" after the longest bar


def barras_empilhadas(
    categorias: Sequence[str],
    series: Sequence[Serie],
    valores: Sequence[Sequence[float]],
    textos: Sequence[str],
    formato: Formato = LARGO,
) -> Grafico:
    """One bar per category, its series stacked left to right on one scale, `textos[i]` (the
    category's whole) written after it. `valores[i][j]`: category i, series j."""
    maximo = max((sum(linha) for linha in valores), default=0) or 1
    util = formato.largura - formato.margem - MARGEM_VALOR_EMPILHADO
    barras, rotulos = [], []
    y = ESPACO
    altura = ALTURA_BARRA + 6
    for i, categoria in enumerate(categorias):
        rotulo, y = formato.rotulo(categoria, y, y + altura)
        rotulos.append(rotulo)
        x = float(formato.margem)
        partes = [(serie, valor) for serie, valor in zip(series, valores[i], strict=True) if valor]
        for n, (serie, valor) in enumerate(partes):
            largura = max(util * valor / maximo, 1)
            ultima = n == len(partes) - 1
            barras.append(
                Barra(
                    round(x, 1), y, round(largura, 1), altura, serie.classe,
                    textos[i] if ultima else "", round(x + largura + 6, 1), y + altura - 6,
                )
            )  # fmt: skip
            x += largura
        if not partes:
            barras.append(Barra(x, y, 0, altura, "", textos[i], x + 6, y + altura - 6))
        y += altura + ESPACO * 2
    legenda = [(s.classe, s.nome) for s in series]
    return Grafico(formato.largura, y, barras, rotulos, legenda)


MEDIANA = Serie(LEITURA[50], "serie-mediana")
P90 = Serie(LEITURA[90], "serie-p90")
FORA_DE_ESPERA = Serie("Fora de espera", "serie-fora-de-espera")
ESPERAS = tuple(
    Serie(
        f"Em espera: {labels.MOTIVOS_PAUSA_CURTOS[m.value].lower()}",
        f"serie-{m.value.replace('_', '-')}",
    )
    for m in MotivoPausa
)


@dataclass(frozen=True)
class Desenhos:
    """One chart drawn for each screen: the page shows one of them (app.css, by its width)."""

    largo: Grafico
    estreito: Grafico


def graficos(ind: Indicadores) -> dict[str, Desenhos]:
    """The page's charts (see `desenhar`), each drawn wide and narrow."""
    largos, estreitos = desenhar(ind, LARGO), desenhar(ind, ESTREITO)
    return {nome: Desenhos(g, estreitos[nome]) for nome, g in largos.items()}


def desenhar(ind: Indicadores, formato: Formato = LARGO) -> dict[str, Grafico]:
    """The page's charts: where the time went (each stage's time without holds and its holds
    by reason, summed over the orders), the stages per order (the end-to-end time has its
    own figures, on a scale that would flatten them), end to end per priority, orders per
    mechanic, orders per day."""
    etapas = [ind.geral.figuras[i.codigo] for i in INTERVALOS if i.codigo != "total"]
    totais = [g.figuras["total"] for g in ind.por_prioridade]
    return {
        "tempo_perdido": barras_empilhadas(
            [f.rotulo for f in etapas],
            (FORA_DE_ESPERA, *ESPERAS),
            [(f.soma, *(f.espera[m.value].segundos for m in MotivoPausa)) for f in etapas],
            [f.soma_total_texto for f in etapas],
            formato,
        ),
        "etapas": barras_horizontais(
            [f.rotulo for f in etapas],
            (MEDIANA, P90),
            [(f.mediana, f.p90) for f in etapas],
            [(f.mediana_texto, f.p90_texto) for f in etapas],
            formato,
        ),
        "prioridades": barras_horizontais(
            [g.rotulo for g in ind.por_prioridade],
            (MEDIANA, P90),
            [(f.mediana, f.p90) for f in totais],
            [(f.mediana_texto, f.p90_texto) for f in totais],
            formato,
        ),
        "mecanicos": barras_horizontais(
            [g.rotulo for g in ind.por_mecanico],
            (Serie("Finalizadas", "serie-finalizadas"),),
            [(g.finalizadas,) for g in ind.por_mecanico],
            [(str(g.finalizadas),) for g in ind.por_mecanico],
            formato,
        ),
        "dias": colunas_por_dia(ind.por_dia, formato),
    }
