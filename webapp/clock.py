"""The shop's clock: "now" as MongoDB stores it (UTC, milliseconds) and the shop's local time
(today on the board, times shown to people). One module; `Clock.formatar` is the templates'
`local` filter, `Clock.dia_e_hora` their `dia_e_hora`."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import overload
from zoneinfo import ZoneInfo

DIA_E_HORA = "%d/%m %H:%M"  # a time of this year: "05/12 09:15"
DIA_ANO_E_HORA = "%d/%m/%Y %H:%M"  # of another year: "31/12/2099 23:59"


def agora() -> datetime:
    """Now in UTC, at the millisecond precision MongoDB stores."""
    instante = datetime.now(UTC)
    return instante.replace(microsecond=instante.microsecond // 1000 * 1000)


@overload
def em_ms(instante: datetime) -> int: ...
@overload
def em_ms(instante: None) -> None: ...
@overload
def em_ms(instante: datetime | None) -> int | None: ...
def em_ms(instante: datetime | None) -> int | None:
    """An instant in epoch milliseconds, as MongoDB keeps it (naive means UTC): a record's
    version as a form carries it, a cursor's or a card's sort key, a time a page counts
    from."""
    if instante is None:
        return None
    if instante.tzinfo is None:
        instante = instante.replace(tzinfo=UTC)
    return int(instante.timestamp() * 1000)


def no_fuso(local: datetime, fuso: tzinfo) -> datetime | None:
    """A wall-clock time typed in the shop's zone (naive) as an aware instant, or None when the
    zone skips it (the hour a clock jumps forward for daylight saving: 00:30 on a night it
    went from 00:00 to 01:00 never happened there, and zoneinfo would silently read 01:30)."""
    instante = local.replace(tzinfo=fuso)
    try:
        ida_e_volta = instante.astimezone(UTC).astimezone(fuso).replace(tzinfo=None)
    except OverflowError:  # at year 1 or 9999: no zone skips an hour there, the years' check
        return instante  # refuses it
    return instante if ida_e_volta == local else None


HORARIO_INEXISTENTE = "este horário não existe no fuso da oficina (o relógio pulou essa hora)"


def dia_e_hora(instante: datetime, fuso: tzinfo, hoje: date | None = None) -> str:
    """A day and time in the shop's zone as a card says it: "05/12 09:15", with the year when
    it is not this year's ("31/12/2099 23:59": a year typed wrong must not read as a date
    this week). `hoje`: the shop's today, when the caller has it."""
    local = instante.astimezone(fuso)
    ano = (hoje or agora().astimezone(fuso).date()).year
    return local.strftime(DIA_E_HORA if local.year == ano else DIA_ANO_E_HORA)


def duracao(segundos: float) -> str:
    """A duration as people read it on a card ("42 min", "3 h 05 min", "2 d 4 h")."""
    minutos = int(segundos // 60)
    if minutos < 60:
        return f"{minutos} min"
    horas, minutos = divmod(minutos, 60)
    if horas < 24:
        return f"{horas} h {minutos:02d} min"
    dias, horas = divmod(horas, 24)
    return f"{dias} d {horas} h" if horas else f"{dias} d"  # "2 d", not "2 d 0 h"


class Clock:
    """The shop's clock: its time zone (FUSO_HORARIO), its days."""

    def __init__(self, fuso: str) -> None:
        self.fuso = ZoneInfo(fuso)

    def local(self, instante: datetime | None) -> datetime | None:
        return instante.astimezone(self.fuso) if instante else None

    def inicio_do_dia(self, instante: datetime | None = None) -> datetime:
        """Midnight of the shop's today (or of `instante`'s day), as an aware datetime."""
        local = (instante or agora()).astimezone(self.fuso)
        return datetime.combine(local.date(), time.min, tzinfo=self.fuso)

    def dia(self, data: date) -> tuple[datetime, datetime]:
        """[start, end) of a day in the shop's zone."""
        inicio = datetime.combine(data, time.min, tzinfo=self.fuso)
        return inicio, inicio + timedelta(days=1)

    def formatar(self, instante: datetime | None, formato: str = "%d/%m/%Y %H:%M") -> str:
        return instante.astimezone(self.fuso).strftime(formato) if instante else "—"

    def dia_e_hora(self, instante: datetime | None) -> str:
        return dia_e_hora(instante, self.fuso) if instante else "—"
