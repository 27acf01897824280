"""The shop's working calendar: opening hours per weekday (several intervals a day, e.g. a lunch
break), holidays, the shop's time zone; and, vectorised over numpy arrays, the working time
between two instants and the instant N working seconds after another.

Instants are epoch seconds (UTC), as floats or float arrays (NaN = missing); datetimes are
accepted too where one value is asked. A repair that starts at 17:00 and ends at 10:00 the next
day took 3 working hours of a 08:00-18:00 shop, not 17.

How: the working intervals of a span of days are laid out once as a table in UTC (each local day
converted with the zone's own offset that day, so a zone with daylight saving time is right),
with the working seconds before each interval. The working time before an instant is then one
`searchsorted` and a clip, and its inverse one `searchsorted` on the cumulative sums: tens of
thousands of instants cost a few milliseconds. The table grows when an instant falls outside it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from numpy.typing import ArrayLike, NDArray

HORARIO_PADRAO = "seg-sex 08:00-18:00; sab 08:00-12:00"
# Monday first, as date.weekday() counts.
DIAS = ("seg", "ter", "qua", "qui", "sex", "sab", "dom")
_NOMES_DOS_DIAS = {
    **{dia: i for i, dia in enumerate(DIAS)},
    **{nome: i for i, nome in enumerate(
        ("segunda", "terca", "quarta", "quinta", "sexta", "sabado", "domingo"))},
}  # fmt: skip
_HORA = r"(\d{1,2})(?::(\d{2})|h(\d{2})?)"
_INTERVALO = re.compile(rf"^{_HORA}-{_HORA}$")
_DIA_SEGUNDOS = 86_400
# A table past this many days means a date that is surely wrong (year 1, year 9999).
_MAXIMO_DE_DIAS = 366 * 60


class CalendarioInvalido(ValueError):
    """A bad HORARIO_FUNCIONAMENTO, FERIADOS or zone: one line in Portuguese, for the operator."""


# --- Parsing the settings -----------------------------------------------------------------------


@dataclass(frozen=True)
class Horario:
    """Opening hours: per weekday (Monday first), the intervals open, in minutes since local
    midnight, sorted and disjoint. Closed days have none."""

    dias: tuple[tuple[tuple[int, int], ...], ...]

    @property
    def segundos_por_semana(self) -> int:
        return sum((fim - ini) * 60 for dia in self.dias for ini, fim in dia)


def _sem_acentos(texto: str) -> str:
    decomposto = unicodedata.normalize("NFKD", texto.lower())
    return "".join(c for c in decomposto if not unicodedata.combining(c))


def _erro_horario(detalhe: str) -> CalendarioInvalido:
    return CalendarioInvalido(f"HORARIO_FUNCIONAMENTO inválido: {detalhe}.")


def _minutos(horas: str, minutos: str | None, original: str) -> int:
    h, m = int(horas), int(minutos or 0)
    if m > 59 or h > 24 or (h == 24 and m):
        raise _erro_horario(f"{original!r} não é uma hora (use HH:MM, de 00:00 a 24:00)")
    return h * 60 + m


def _dias(texto: str, entrada: str) -> list[int]:
    dias: list[int] = []
    for parte in filter(None, (p.strip() for p in texto.split(","))):
        nomes = [n.strip() for n in parte.split("-")]
        for nome in nomes:
            if nome not in _NOMES_DOS_DIAS:
                raise _erro_horario(
                    f"{nome!r} em {entrada!r} não é um dia da semana "
                    f"(use {', '.join(DIAS[-1:] + DIAS[:-1])})"
                )
        if len(nomes) == 1:
            dias.append(_NOMES_DOS_DIAS[nomes[0]])
        elif len(nomes) == 2:  # a range, e.g. seg-sex; sex-seg wraps over the weekend
            primeiro, ultimo = _NOMES_DOS_DIAS[nomes[0]], _NOMES_DOS_DIAS[nomes[1]]
            dias.extend((primeiro + i) % 7 for i in range((ultimo - primeiro) % 7 + 1))
        else:
            raise _erro_horario(f"{parte!r} não é um dia nem um intervalo de dias (p. ex. seg-sex)")
    return dias


def ler_horario(texto: str) -> Horario:
    """Parse HORARIO_FUNCIONAMENTO: entries separated by ";", each the days (a day, a range
    `seg-sex`, or a list `seg,qua`) then one or more intervals `HH:MM-HH:MM` (`8h-12h` too),
    e.g. "seg-sex 08:00-12:00 13:00-18:00; sab 08:00-12:00". Days not named are closed."""
    entradas = [e.strip() for e in re.split(r"[;\n]", _sem_acentos(texto or ""))]
    entradas = [e for e in entradas if e]
    if not entradas:
        raise CalendarioInvalido(
            f"HORARIO_FUNCIONAMENTO vazio: informe dias e horas, p. ex. {HORARIO_PADRAO!r}."
        )
    por_dia: list[list[tuple[int, int]]] = [[] for _ in DIAS]
    for entrada in entradas:
        achado = re.match(r"^([a-z][a-z,\s-]*?)\s*(\d.*)?$", entrada)
        if achado is None:
            raise _erro_horario(
                f"{entrada!r} deve começar pelos dias (p. ex. 'seg-sex 08:00-18:00')"
            )
        dias_texto, horas_texto = achado.group(1), achado.group(2)
        if not horas_texto:
            raise _erro_horario(f"{entrada!r} sem horas (p. ex. 'seg-sex 08:00-18:00')")
        intervalos = []
        for parte in filter(None, re.split(r"[\s,]+", re.sub(r"\s*-\s*", "-", horas_texto))):
            casado = _INTERVALO.match(parte)
            if casado is None:
                raise _erro_horario(f"{parte!r} não é um intervalo de horas (use HH:MM-HH:MM)")
            h1, m1a, m1b, h2, m2a, m2b = casado.groups()
            inicio = _minutos(h1, m1a or m1b, parte)
            fim = _minutos(h2, m2a or m2b, parte)
            if fim <= inicio:
                raise _erro_horario(
                    f"{parte!r} termina antes de começar (um intervalo não passa da meia-noite)"
                )
            intervalos.append((inicio, fim))
        for dia in _dias(dias_texto, entrada):
            por_dia[dia].extend(intervalos)
    for dia, intervalos in enumerate(por_dia):
        intervalos.sort()
        for (_, fim_a), (ini_b, _) in zip(intervalos, intervalos[1:], strict=False):
            if ini_b < fim_a:
                raise _erro_horario(f"intervalos que se sobrepõem na {DIAS[dia]}")
    return Horario(tuple(tuple(d) for d in por_dia))


@dataclass(frozen=True)
class Feriados:
    """Closed dates: `datas` on that date only, `anuais` (month, day) every year."""

    datas: frozenset[date] = frozenset()
    anuais: frozenset[tuple[int, int]] = frozenset()

    def __contains__(self, dia: object) -> bool:
        return isinstance(dia, date) and (dia in self.datas or (dia.month, dia.day) in self.anuais)


def ler_feriados(texto: str | None) -> Feriados:
    """Parse FERIADOS: dates separated by commas, semicolons or spaces, each DD/MM (every year),
    DD/MM/AAAA or AAAA-MM-DD; a JSON list of them too (`["2026-12-25"]`, as a deployment's
    tooling may write a list). Empty: no holidays."""
    datas: set[date] = set()
    anuais: set[tuple[int, int]] = set()
    for parte in filter(None, re.split(r"[\s,;\[\]\"']+", texto or "")):
        try:
            if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", parte):
                datas.add(date(int(m[1]), int(m[2]), int(m[3])))
            elif m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", parte):
                datas.add(date(int(m[3]), int(m[2]), int(m[1])))
            elif m := re.fullmatch(r"(\d{1,2})/(\d{1,2})", parte):
                date(2000, int(m[2]), int(m[1]))  # a leap year: 29/02 is a valid yearly date
                anuais.add((int(m[2]), int(m[1])))
            else:
                raise ValueError(parte)
        except ValueError:
            raise CalendarioInvalido(
                f"FERIADOS inválido: {parte!r} não é uma data "
                "(use DD/MM para todo ano, DD/MM/AAAA ou AAAA-MM-DD)."
            ) from None
    return Feriados(frozenset(datas), frozenset(anuais))


def ler_fuso(nome: str) -> ZoneInfo:
    try:
        return ZoneInfo(nome)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarioInvalido(f"FUSO_HORARIO desconhecido: {nome!r}.") from None


# --- The table of working intervals ------------------------------------------------------------


@dataclass(frozen=True)
class Escala:
    """The working intervals of local days [primeiro, ultimo] as epoch seconds, with the working
    seconds before each: the working time before an instant ("uteis") and its inverse. Only
    meaningful within the days it covers; `Calendario` makes sure the table covers its inputs."""

    primeiro: date
    ultimo: date
    desde: float  # epoch of the first day's local midnight
    ate: float  # epoch of the midnight after the last day
    inicios: NDArray[np.float64]
    fins: NDArray[np.float64]
    antes: NDArray[np.float64]  # working seconds before each interval
    depois: NDArray[np.float64]  # working seconds up to each interval's end

    def cobre(self, minimo: float, maximo: float) -> bool:
        return self.desde <= minimo and maximo < self.ate

    def uteis(self, instantes: NDArray[np.float64]) -> NDArray[np.float64]:
        """Working seconds from the table's start to each instant."""
        k = np.searchsorted(self.inicios, instantes, side="right") - 1
        k_ok = np.clip(k, 0, None)
        dentro = np.clip(instantes - self.inicios[k_ok], 0.0, self.fins[k_ok] - self.inicios[k_ok])
        return np.where(k >= 0, self.antes[k_ok] + dentro, 0.0)

    @property
    def total(self) -> float:
        return float(self.depois[-1]) if len(self.depois) else 0.0

    def instantes(self, uteis: NDArray[np.float64]) -> NDArray[np.float64]:
        """The first instant at which `uteis` working seconds have passed since the table's
        start (the end of an interval when it falls exactly there)."""
        k = np.clip(np.searchsorted(self.depois, uteis, side="left"), 0, len(self.depois) - 1)
        return self.inicios[k] + (uteis - self.antes[k])


def _escala(
    horario: Horario, feriados: Feriados, fuso: tzinfo, primeiro: date, ultimo: date
) -> Escala:
    inicios: list[float] = []
    fins: list[float] = []
    dia = primeiro
    while dia <= ultimo:
        if dia not in feriados:
            meia_noite = datetime.combine(dia, time.min)
            for ini, fim in horario.dias[dia.weekday()]:
                # Each end converted on its own: the zone's offset that day (DST) is applied.
                inicios.append(_epoch_local(meia_noite + timedelta(minutes=ini), fuso))
                fins.append(_epoch_local(meia_noite + timedelta(minutes=fim), fuso))
        dia += timedelta(days=1)
    ini_arr = np.asarray(inicios, dtype=np.float64)
    fim_arr = np.maximum(np.asarray(fins, dtype=np.float64), ini_arr)
    duracoes = fim_arr - ini_arr
    depois = np.cumsum(duracoes)
    return Escala(
        primeiro, ultimo,
        _epoch_local(datetime.combine(primeiro, time.min), fuso),
        _epoch_local(datetime.combine(ultimo + timedelta(days=1), time.min), fuso),
        ini_arr, fim_arr, depois - duracoes, depois,
    )  # fmt: skip


def _epoch_local(local: datetime, fuso: tzinfo) -> float:
    return local.replace(tzinfo=fuso).timestamp()


# --- The calendar --------------------------------------------------------------------------------


def epoch(instante: datetime) -> float:
    """An aware datetime as epoch seconds (a naive one is taken as UTC, as pymongo returns it)."""
    if instante.tzinfo is None:
        instante = instante.replace(tzinfo=UTC)
    return instante.timestamp()


def _agora() -> float:
    return datetime.now(UTC).timestamp()


def como_datetime(segundos: float) -> datetime:
    return datetime.fromtimestamp(segundos, UTC)


class Calendario:
    """The shop's working calendar. Thread-safe for readers: the table is replaced, never
    changed, when it must grow."""

    def __init__(self, horario: Horario, feriados: Feriados | None = None,
                 fuso: tzinfo | str = "America/Sao_Paulo") -> None:  # fmt: skip
        if not horario.segundos_por_semana:
            raise _erro_horario("nenhum horário de trabalho na semana")
        self.horario = horario
        self.feriados = feriados or Feriados()
        self.fuso = ler_fuso(fuso) if isinstance(fuso, str) else fuso
        self._escala: Escala | None = None

    @classmethod
    def de_config(cls, horario: str | None = None, feriados: str | None = None,
                  fuso: str = "America/Sao_Paulo") -> Calendario:  # fmt: skip
        """From the settings' text (HORARIO_FUNCIONAMENTO, FERIADOS, FUSO_HORARIO); raises
        CalendarioInvalido with one line saying what is wrong."""
        return cls(ler_horario(horario or HORARIO_PADRAO), ler_feriados(feriados), ler_fuso(fuso))

    # The table --------------------------------------------------------------------------------

    def _dia(self, segundos: float) -> date:
        return datetime.fromtimestamp(segundos, self.fuso).date()

    def escala(self, minimo: float, maximo: float) -> Escala:
        """A table covering [minimo, maximo] (epoch seconds), grown (with a margin) if needed."""
        atual = self._escala
        if atual is not None and atual.cobre(minimo, maximo):
            return atual
        # A day's margin for the zone's offset; then room to grow (a week back, two months
        # ahead), so the next recompute, minutes later, does not rebuild the table.
        primeiro = self._dia(minimo) - timedelta(days=1)
        ultimo = self._dia(maximo) + timedelta(days=1)
        if atual is None or primeiro < atual.primeiro:
            primeiro -= timedelta(days=7)
        else:
            primeiro = atual.primeiro
        if atual is None or ultimo > atual.ultimo:
            ultimo += timedelta(days=60)
        else:
            ultimo = atual.ultimo
        if (ultimo - primeiro).days > _MAXIMO_DE_DIAS:
            raise ValueError(f"datas fora de qualquer calendário plausível: {primeiro}..{ultimo}")
        nova = _escala(self.horario, self.feriados, self.fuso, primeiro, ultimo)
        self._escala = nova
        return nova

    def _cobrindo(self, *valores: NDArray[np.float64]) -> Escala:
        finitos = [v[np.isfinite(v)] for v in valores]
        finitos = [v for v in finitos if v.size]
        if not finitos:  # nothing to convert: any table will do
            return self._escala or self.escala(_agora(), _agora())
        return self.escala(
            min(float(v.min()) for v in finitos), max(float(v.max()) for v in finitos)
        )

    # Working time ---------------------------------------------------------------------------

    @overload
    def uteis_entre(self, inicio: datetime, fim: datetime) -> float: ...
    @overload
    def uteis_entre(self, inicio: ArrayLike, fim: ArrayLike) -> NDArray[np.float64]: ...

    def uteis_entre(self, inicio: Any, fim: Any) -> Any:
        """Working seconds between two instants (0 when `fim` is not after `inicio`; NaN where
        either is missing). Two datetimes give a float."""
        if isinstance(inicio, datetime) and isinstance(fim, datetime):
            return float(self.uteis_entre(np.array([epoch(inicio)]), np.array([epoch(fim)]))[0])
        a = np.asarray(inicio, dtype=np.float64)
        b = np.asarray(fim, dtype=np.float64)
        escala = self._cobrindo(a, b)
        resultado = np.maximum(escala.uteis(np.nan_to_num(b)) - escala.uteis(np.nan_to_num(a)), 0.0)
        return np.where(np.isnan(a) | np.isnan(b), np.nan, resultado)

    @overload
    def somar(self, inicio: datetime, segundos: float) -> datetime: ...
    @overload
    def somar(self, inicio: ArrayLike, segundos: ArrayLike) -> NDArray[np.float64]: ...

    def somar(self, inicio: Any, segundos: Any) -> Any:
        """The instant `segundos` working seconds after `inicio` (never before `inicio`: zero
        seconds from a closed hour is that same instant). A datetime gives a datetime (UTC)."""
        if isinstance(inicio, datetime):
            return como_datetime(
                float(self.somar(np.array([epoch(inicio)]), np.array([segundos]))[0])
            )
        a = np.asarray(inicio, dtype=np.float64)
        s = np.asarray(segundos, dtype=np.float64)
        if np.any(s < 0):
            raise ValueError("somar: segundos negativos")
        escala = self._cobrindo(a)
        alvo = escala.uteis(np.nan_to_num(a)) + np.nan_to_num(s)
        finito = np.isfinite(alvo)
        while finito.any() and float(alvo[finito].max()) >= escala.total:
            # Past the table's end: grow it by what is missing, a week of work at a time.
            falta = float(alvo[finito].max()) - escala.total
            semanas = falta / self.horario.segundos_por_semana + 1
            escala = self.escala(escala.desde, escala.ate + semanas * 7 * _DIA_SEGUNDOS)
            alvo = escala.uteis(np.nan_to_num(a)) + np.nan_to_num(s)
        resultado = np.maximum(escala.instantes(alvo), a)
        return np.where(np.isnan(a) | np.isnan(s), np.nan, resultado)

    def aberto_a_partir(self, instantes: ArrayLike) -> NDArray[np.float64]:
        """Each instant if the shop is open then, else when it next opens."""
        t = np.asarray(instantes, dtype=np.float64)
        escala = self._cobrindo(t)
        while np.nanmax(t, initial=-np.inf) >= escala.inicios[-1]:  # room for the next opening
            escala = self.escala(escala.desde, escala.ate + 7 * _DIA_SEGUNDOS)
        k = np.searchsorted(escala.inicios, np.nan_to_num(t), side="right") - 1
        dentro = (k >= 0) & (np.nan_to_num(t) < escala.fins[np.clip(k, 0, None)])
        proxima = escala.inicios[np.clip(k + 1, 0, len(escala.inicios) - 1)]
        return np.where(np.isnan(t), np.nan, np.where(dentro, t, proxima))

    def hora_da_semana(self, instantes: ArrayLike) -> NDArray[np.int64]:
        """Each instant's hour of the week in the shop's zone: 0 = Monday 00:00-01:00 .. 167.
        One zone lookup per distinct day (the offset can change with DST)."""
        t = np.asarray(instantes, dtype=np.float64)
        dias = np.floor(t / _DIA_SEGUNDOS).astype(np.int64)
        unicos, inverso = np.unique(dias, return_inverse=True)
        deslocamento = np.array(
            [
                datetime.fromtimestamp(float(d) * _DIA_SEGUNDOS + 43_200, self.fuso)
                .utcoffset()
                .total_seconds()  # type: ignore[union-attr]
                for d in unicos
            ]
        )
        local = t + deslocamento[inverso]
        # 1970-01-01 was a Thursday: day 0 is weekday 3.
        dia_da_semana = (np.floor(local / _DIA_SEGUNDOS).astype(np.int64) + 3) % 7
        hora = (np.floor(local / 3600).astype(np.int64)) % 24
        return dia_da_semana * 24 + hora

    def inicio_do_dia(self, instante: float) -> float:
        """00:00 in the shop's zone of the day of `instante` (epoch seconds): the orders still
        to arrive are drawn from then (queue.ritmo)."""
        return _epoch_local(datetime.combine(self._dia(instante), time.min), self.fuso)

    def inicio_da_semana(self, instante: float) -> float:
        """Monday 00:00 in the shop's zone of the week of `instante` (epoch seconds): what the
        forecast lays out by the week stays the same from one recompute to the next within a
        week (model.nucleo_de_registro)."""
        dia = self._dia(instante)
        return _epoch_local(datetime.combine(dia - timedelta(days=dia.weekday()), time.min),
                            self.fuso)  # fmt: skip

    def aberto(self, instante: datetime) -> bool:
        """Whether the shop is open at `instante`."""
        local = instante.astimezone(self.fuso)
        if local.date() in self.feriados:
            return False
        minuto = local.hour * 60 + local.minute + local.second / 60
        return any(ini <= minuto < fim for ini, fim in self.horario.dias[local.weekday()])
