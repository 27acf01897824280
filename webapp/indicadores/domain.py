"""The manager's indicators as pure rules: who may see them, the periods, the percentile rank,
and the figures as people read them, built from what the aggregation returns (no I/O here).

Percentiles are **nearest-rank**: with the n durations sorted ascending, the p-th percentile is
the value at 1-based rank ceil(p·n/100). It is always a duration that really happened; the
median is the 50th (for an even n, the lower of the two middle values). MongoDB 6.0 has no
$percentile, so the pipeline (fila/queries.py) computes the same rank with $sortArray and
$arrayElemAt; `posicao_percentil` is the rule both follow. People read them without the
jargon: the median is "metade das ordens em até…", the 90th "9 em 10 em até…" (LEITURA).

Holds (waiting for parts, for the customer, another reason) are left out of every duration and
shown on their own, per stage and reason, as the time lost: summed over the orders, beside the
sum of the durations without them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ..clock import duracao
from ..fila import labels
from ..fila.domain import GESTORES, MotivoPausa, Papel, Prioridade
from ..fila.fields import ANO_MAXIMO, ANO_MINIMO, dia_do_calendario
from ..fila.stages import INTERVALOS

# Who may see the indicators (an allow-list, as fila.domain.PERMISSOES).
PODEM_VER = GESTORES | {Papel.SERVICO}
MENSAGEM_PROIBIDO = "Apenas um gerente pode ver os indicadores."

# The percentiles (fila.stages.PERCENTIS) in plain words: what a column, a legend or a line
# says before the time.
LEITURA = {50: "Metade das ordens em até", 90: "9 em 10 em até"}
# The presets: how many days, today included.
PERIODOS = {"hoje": 1, "7d": 7, "30d": 30}
PERIODO_PADRAO = "7d"
MAXIMO_DIAS = 366


def posicao_percentil(p: int, n: int) -> int:
    """0-based index of the p-th percentile among n sorted values (nearest rank): the pipeline
    computes ceil(p·n/100) - 1 the same way (integers first, so 0.9·70 never becomes 63.0000001)."""
    if n <= 0:
        raise ValueError("sem valores")
    return -(-p * n // 100) - 1


def percentil(valores: Sequence[float], p: int) -> float | None:
    if not valores:
        return None
    return sorted(valores)[posicao_percentil(p, len(valores))]


class PeriodoInvalido(ValueError):
    """A custom period the page or the API cannot show; the message is for people. `campos`:
    the date fields it is about ("de", "ate"; none: the preset's key), marked on the page."""

    def __init__(self, mensagem: str, campos: tuple[str, ...] = ()) -> None:
        super().__init__(mensagem)
        self.campos = campos


@dataclass(frozen=True)
class Periodo:
    chave: str  # hoje | 7d | 30d | personalizado
    de: date
    ate: date  # included

    @property
    def dias(self) -> list[date]:
        return [self.de + timedelta(days=n) for n in range((self.ate - self.de).days + 1)]

    @property
    def rotulo(self) -> str:
        if self.chave == "hoje":
            return f"Hoje, {self.de:%d/%m/%Y}"
        intervalo = f"{self.de:%d/%m/%Y} a {self.ate:%d/%m/%Y}"
        if self.chave in PERIODOS:
            return f"Últimos {PERIODOS[self.chave]} dias ({intervalo})"
        return f"De {intervalo}"


_DIA_ESCRITO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


# The custom period's fields, each with its name in a message.
NOMES_DAS_DATAS = {"de": "inicial", "ate": "final"}


def _data(texto: str, campo: str) -> date:
    nome = NOMES_DAS_DATAS[campo]
    try:
        valor = dia_do_calendario(texto)
    except ValueError:
        if _DIA_ESCRITO.fullmatch(texto.strip()):  # the format is right: the day is not
            ano, mes, dia = texto.strip().split("-")
            raise PeriodoInvalido(
                f"Data {nome} inválida: {dia}/{mes}/{ano} não existe no calendário.", (campo,)
            ) from None
        raise PeriodoInvalido(
            f"Data {nome} inválida: use o formato AAAA-MM-DD.", (campo,)
        ) from None
    if not ANO_MINIMO <= valor.year <= ANO_MAXIMO:
        raise PeriodoInvalido(f"Use datas entre os anos {ANO_MINIMO} e {ANO_MAXIMO}.", (campo,))
    return valor


def periodo(chave: str | None, de: str | None, ate: str | None, hoje: date) -> Periodo:
    """The period asked for: a preset (`hoje`, `7d`, `30d`, ending today), or `personalizado`
    from `de` to `ate` (dates, both included). Without a key, dates mean a custom period and
    nothing means the default preset."""
    chave = (chave or "").strip() or ("personalizado" if (de or ate) else PERIODO_PADRAO)
    if chave in PERIODOS:
        return Periodo(chave, hoje - timedelta(days=PERIODOS[chave] - 1), hoje)
    if chave != "personalizado":
        raise PeriodoInvalido("Período inválido: use hoje, 7d, 30d ou personalizado.")
    if vazios := tuple(c for c, texto in (("de", de), ("ate", ate)) if not (texto or "").strip()):
        raise PeriodoInvalido("Informe as duas datas do período (de e até).", vazios)
    inicio, fim = _data(de or "", "de"), _data(ate or "", "ate")
    if inicio > fim:
        raise PeriodoInvalido("A data inicial deve ser anterior ou igual à final.", ("de", "ate"))
    if (fim - inicio).days + 1 > MAXIMO_DIAS:
        raise PeriodoInvalido(f"Escolha um período de no máximo {MAXIMO_DIAS} dias.", ("de", "ate"))
    if inicio > hoje:
        # Its zeros would read as a shop that finished nothing: said why instead.
        raise PeriodoInvalido(
            f"O período começa depois de hoje ({hoje:%d/%m/%Y}): nenhuma ordem foi finalizada "
            "nele ainda. Escolha um período que comece até hoje.",
            ("de",),
        )
    return Periodo("personalizado", inicio, fim)


# --- The figures as people read them ------------------------------------------------------------


def _texto(segundos: float | None) -> str:
    return duracao(segundos) if segundos is not None else "—"


@dataclass(frozen=True)
class Espera:
    """Holds for one reason: seconds summed over the orders, and how many orders had one."""

    motivo: str
    segundos: float
    ordens: int

    @property
    def rotulo(self) -> str:
        return labels.MOTIVOS_PAUSA_CURTOS[self.motivo]

    @property
    def texto(self) -> str:
        return duracao(self.segundos) if self.ordens else "—"


@dataclass(frozen=True)
class Figura:
    """One interval over `n` orders: its median and 90th percentile and the sum of its
    durations (seconds, holds excluded), and its holds per reason."""

    codigo: str
    n: int
    mediana: float | None
    p90: float | None
    soma: float = 0.0
    espera: dict[str, Espera] = field(default_factory=dict)
    ordens_em_espera: int = 0  # orders with a hold of any reason in this interval

    @property
    def rotulo(self) -> str:
        return labels.INTERVALOS[self.codigo]

    @property
    def mediana_texto(self) -> str:
        return _texto(self.mediana)

    @property
    def p90_texto(self) -> str:
        return _texto(self.p90)

    @property
    def soma_texto(self) -> str:
        return _texto(self.soma) if self.n else "—"

    @property
    def soma_total_texto(self) -> str:
        """The whole time of the interval, summed over the orders: without holds and on hold."""
        return _texto(self.soma + self.em_espera) if self.n else "—"

    @property
    def em_espera(self) -> float:
        return sum(e.segundos for e in self.espera.values())

    @property
    def em_espera_texto(self) -> str:
        return duracao(self.em_espera) if self.ordens_em_espera else "—"

    @property
    def parte_em_espera(self) -> str:
        """The share of this interval's whole time spent on hold, as "23 %"."""
        inteiro = self.soma + self.em_espera
        if not self.ordens_em_espera or inteiro <= 0:
            return "—"
        return f"{round(100 * self.em_espera / inteiro)} %"


@dataclass(frozen=True)
class Grupo:
    """The figures of a subset: everything, one priority or one mechanic."""

    chave: Any
    rotulo: str
    finalizadas: int
    figuras: dict[str, Figura]
    com_previsao: int = 0  # finished orders that had a promised time
    depois_da_previsao: int = 0  # of those, finished after it


@dataclass
class Indicadores:
    periodo: Periodo
    geral: Grupo
    por_prioridade: list[Grupo]
    por_mecanico: list[Grupo]
    por_dia: list[tuple[date, int]]
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def finalizadas(self) -> int:
        return self.geral.finalizadas


def _grupo(
    linha: Mapping[str, Any] | None,
    chave: Any,
    rotulo: str,
    somas: Sequence[Mapping[str, Any]],
    esperas: Sequence[Mapping[str, Any]],
) -> Grupo:
    """A group's figures: its percentiles (`linha`), and its sums and holds added up from the
    aggregation's rows per priority and mechanic that belong to it."""
    linha = linha or {}
    figuras = {}
    for intervalo in INTERVALOS:
        codigo = intervalo.codigo
        dados = linha.get(codigo) or {}
        retidas = [(r.get("espera") or {}).get(codigo) or {} for r in esperas]
        figuras[codigo] = Figura(
            codigo,
            dados.get("n", 0),
            dados.get("p50"),
            dados.get("p90"),
            sum((r.get("soma") or {}).get(codigo) or 0.0 for r in somas),
            {
                m.value: Espera(
                    m.value,
                    sum((e.get(m.value) or {}).get("s") or 0.0 for e in retidas),
                    sum((e.get(m.value) or {}).get("n") or 0 for e in retidas),
                )
                for m in MotivoPausa
            },
            sum(e.get("n") or 0 for e in retidas),
        )
    return Grupo(
        chave,
        rotulo,
        linha.get("n", 0),
        figuras,
        sum(r.get("com_previsao") or 0 for r in somas),
        sum(r.get("depois_da_previsao") or 0 for r in somas),
    )


def _de(linhas: Sequence[Mapping[str, Any]], campo: str, valor: Any) -> list[Mapping[str, Any]]:
    """The rows per priority and mechanic whose `campo` ("prioridade", "mecanico") is `valor`."""
    return [linha for linha in linhas if (linha.get("_id") or {}).get(campo) == valor]


def montar(bruto: Mapping[str, Any], periodo_: Periodo, nomes: Mapping[int, str]) -> Indicadores:
    """The indicators from the aggregation's answer (fila.queries.FilaQueries.indicadores):
    priorities most urgent first, mechanics by orders finished, every day of the period."""
    somas, esperas = bruto.get("somas") or [], bruto.get("esperas") or []
    geral = _grupo((bruto.get("geral") or [None])[0], None, "Todas", somas, esperas)
    prioridades = {linha["_id"]: linha for linha in bruto.get("por_prioridade", [])}
    por_prioridade = [
        _grupo(
            prioridades[p.value], p.value, labels.PRIORIDADES[p.value],
            _de(somas, "prioridade", p.value), _de(esperas, "prioridade", p.value),
        )
        for p in Prioridade
        if p.value in prioridades
    ]  # fmt: skip
    por_mecanico = [
        _grupo(
            linha, linha["_id"], _nome_mecanico(linha["_id"], nomes),
            _de(somas, "mecanico", linha["_id"]), _de(esperas, "mecanico", linha["_id"]),
        )
        for linha in bruto.get("por_mecanico", [])
    ]  # fmt: skip
    por_mecanico.sort(key=lambda g: (-g.finalizadas, g.rotulo))
    contagem = {linha["_id"]: linha["n"] for linha in bruto.get("por_dia", [])}
    por_dia = [(dia, contagem.get(dia.isoformat(), 0)) for dia in periodo_.dias]
    return Indicadores(periodo_, geral, por_prioridade, por_mecanico, por_dia)


def _nome_mecanico(funcionario_id: int | None, nomes: Mapping[int, str]) -> str:
    if funcionario_id is None:
        return "Sem mecânico"
    return labels.mecanico(funcionario_id, nomes)
