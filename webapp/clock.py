"""The shop's clock: "now" as MongoDB stores it (UTC, milliseconds) and the shop's local time
(today on the board, times shown to people), and how a day is said (`dia_dito`: "amanhã", "qua
09/12"). One module; `Clock.formatar` is the templates' `local` filter, `Clock.dia_e_hora`
and `Clock.quando_foi` their filters of those names."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import overload
from zoneinfo import ZoneInfo

DIA = "%d/%m"  # a day of this year: "05/12"
DIA_E_ANO = "%d/%m/%Y"  # of another year: "31/12/2099"
# The days of the week as a card writes them (date.weekday(): Monday first).
DIAS_DA_SEMANA = ("seg", "ter", "qua", "qui", "sex", "sáb", "dom")
# The days ahead a weekday names: today's and the next six ("qua 09/12"); a week or more ahead
# the same weekday would come again, so the date alone.
SEMANA = 7


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


def dia_dito(dia: date, hoje: date, com_data: bool = True) -> str:
    """A day as a service advisor says it to a customer, the one rule of every screen that
    shows a future day: "hoje", "amanhã", the rest of the coming week with its weekday ("qua
    09/12"; without `com_data`, "qua" alone: the TV, read from across the shop, has no room
    for more); farther ahead, and past days (history), its date: "05/12", with the year when
    it is not this year's ("31/12/2099": a year typed wrong must not read as a date this
    week)."""
    falta = (dia - hoje).days
    if falta == 0:
        return "hoje"
    if falta == 1:
        return "amanhã"
    if 1 < falta < SEMANA:
        semana = DIAS_DA_SEMANA[dia.weekday()]
        return f"{semana} {dia:{DIA}}" if com_data else semana
    return dia.strftime(DIA if dia.year == hoje.year else DIA_E_ANO)


def dia_e_hora(
    instante: datetime, fuso: tzinfo, hoje: date | None = None, com_data: bool = True
) -> str:
    """A day and time in the shop's zone as a card says it (dia_dito, then the time):
    "amanhã 16:30", "qua 09/12 16:30", "hoje 16:30", "05/12 09:15", "31/12/2099 23:59".
    `hoje`: the shop's today, when the caller has it."""
    local = instante.astimezone(fuso)
    hoje = hoje or agora().astimezone(fuso).date()
    return f"{dia_dito(local.date(), hoje, com_data)} {local:%H:%M}"


def hora_ou_dia(
    instante: datetime, fuso: tzinfo, hoje: date | None = None, com_data: bool = True
) -> str:
    """The same, with today's as the time alone ("15:40") where nothing beside it names
    another day (a forecast's time, the TV's promise): "amanhã 09:15" another day."""
    local = instante.astimezone(fuso)
    hoje = hoje or agora().astimezone(fuso).date()
    if local.date() == hoje:
        return f"{local:%H:%M}"
    return dia_e_hora(local, fuso, hoje, com_data)


def quando_foi(instante: datetime, fuso: tzinfo, hoje: date | None = None) -> str:
    """A past moment in a sentence: "às 22:14" today; another day, with it ("em 06/12 às
    22:14"): a refusal naming a change of yesterday read as one of a minute ago."""
    local = instante.astimezone(fuso)
    hoje = hoje or agora().astimezone(fuso).date()
    if local.date() == hoje:
        return f"às {local:%H:%M}"
    return f"em {dia_dito(local.date(), hoje)} às {local:%H:%M}"


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

    def ms_ate_o_dia_mudar(self) -> int:
        """Milliseconds from now to the shop's next midnight: when a page that says days in
        words and has no stream reloads itself (dia-muda.js)."""
        instante = agora()
        amanha = self.inicio_do_dia(instante) + timedelta(days=1)
        return max(0, em_ms(amanha) - em_ms(instante))

    def dia(self, data: date) -> tuple[datetime, datetime]:
        """[start, end) of a day in the shop's zone."""
        inicio = datetime.combine(data, time.min, tzinfo=self.fuso)
        return inicio, inicio + timedelta(days=1)

    def formatar(self, instante: datetime | None, formato: str = "%d/%m/%Y %H:%M") -> str:
        return instante.astimezone(self.fuso).strftime(formato) if instante else "—"

    def dia_e_hora(self, instante: datetime | None) -> str:
        return dia_e_hora(instante, self.fuso) if instante else "—"

    def quando_foi(self, instante: datetime | None) -> str:
        return quando_foi(instante, self.fuso) if instante else "—"
