"""What each field of a queue item may hold, whoever gives it (the board's forms, the API's
schemas, the history's importer): the texts' lengths, the years of a date, an instant as MongoDB
keeps it, a plate. Pure Python, like the rules (domain.py) that use it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from ..text import limpar_texto, milhares
from .plates import validar_placa


class DadosInvalidos(ValueError):
    """A step got data the rules refuse (e.g. an empty diagnosis)."""


def como_guardado(instante: datetime) -> datetime:
    """An aware instant in UTC at millisecond precision, as MongoDB stores it."""
    utc = instante.astimezone(UTC)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


# A new order's people's text, and whether each keeps its line breaks.
CAMPOS_DE_TEXTO = {"cliente": False, "veiculo": False, "descricao": True}
# The most characters each text of an order may have: the board's forms, the API's schemas and
# the history's importer say the same (a plate is checked by its own rule, plates.py).
TAMANHO_MAXIMO = {
    "placa": 10,
    "veiculo": 200,
    "cliente": 200,
    "descricao": 2_000,
    "diagnostico": 10_000,
    "observacoes_reparo": 10_000,
}
NOTA_MAXIMA = 200  # a hold's note


def no_maximo(campo: str, texto: str | None, maximo: int | None = None) -> str | None:
    """`texto` when it fits its field; else DadosInvalidos, as the entry points say it."""
    maximo = maximo or TAMANHO_MAXIMO[campo]
    if texto is not None and len(texto) > maximo:
        # As the API says a field too long ("campo: deve ter no máximo …").
        raise DadosInvalidos(f"{campo}: deve ter no máximo {milhares(maximo)} caracteres.")
    return texto


def campos_da_ordem(extras: Mapping[str, Any]) -> dict[str, Any]:
    """A new order's optional fields, as kept: texts trimmed within their length, the plate
    checked, instants as MongoDB keeps them (UTC, milliseconds), so the answer to the creation
    says exactly what a later read will (a caller's -03:00 came back as -03:00 once)."""
    campos = {k: como_guardado(v) if isinstance(v, datetime) else v for k, v in extras.items()}
    for campo, linhas in CAMPOS_DE_TEXTO.items():
        if isinstance(campos.get(campo), str):
            campos[campo] = no_maximo(campo, limpar_texto(campos[campo], linhas=linhas))
    if "placa" in campos:
        try:
            campos["placa"] = validar_placa(campos["placa"])
        except ValueError as erro:
            raise DadosInvalidos(str(erro)) from None
    return campos


# Dates people and integrations give (a promised time) must fall in these years: a year 1 or
# 9999 would break every page that shows or computes with it.
ANO_MINIMO, ANO_MAXIMO = 2000, 2100


_DIA = re.compile(r"\d{4}-\d{2}-\d{2}")


def dia_do_calendario(texto: str) -> date:
    """A day as a date field or a link sends it, AAAA-MM-DD (spaces around it ignored): what
    the pages' messages ask for, and nothing else Python's date.fromisoformat reads too
    ("20261206", "2026-W49-1"). ValueError otherwise; the years are the caller's to check."""
    texto = texto.strip()
    if not _DIA.fullmatch(texto):
        raise ValueError(texto)
    return date.fromisoformat(texto)


def cabe_num_campo_de_dia(texto: str) -> bool:
    """Whether a browser's date field shows `texto` as its value: a day AAAA-MM-DD in ASCII
    digits, nothing around it. Anything else (a link's "2026-13-45") it shows empty, so a
    page writing back what was typed gives it a text field instead (_macros.campo_dia)."""
    try:
        return texto.isascii() and texto == texto.strip() and bool(dia_do_calendario(texto))
    except ValueError:
        return False


def faixa_no_fuso(fuso: tzinfo) -> tuple[datetime, datetime]:
    """The first and last minutes ano_aceito takes, as the shop's wall clock reads them (naive):
    both in the years as written and in UTC (31/12/2100 23:30 in São Paulo is 2101 in UTC)."""
    faixa = (datetime(ANO_MINIMO, 1, 1), datetime(ANO_MAXIMO, 12, 31, 23, 59))
    em_utc = [d.replace(tzinfo=UTC).astimezone(fuso).replace(tzinfo=None) for d in faixa]
    return max(faixa[0], em_utc[0]), min(faixa[1], em_utc[1])


def ano_aceito(instante: datetime, fuso: tzinfo | None = None) -> bool:
    """Whether an instant's year is within ANO_MINIMO..ANO_MAXIMO as written, in UTC (as
    stored) and, given `fuso`, in the shop's zone (as shown and exported): 2100-12-31T23:30
    in São Paulo is 2101 in UTC, and its export could not be imported. As written first: a
    zone's shift of the year 9999 is past any date (OverflowError)."""
    if not ANO_MINIMO <= instante.year <= ANO_MAXIMO:
        return False
    if instante.tzinfo is None:
        return True
    utc = instante.astimezone(UTC)
    outros = (utc, utc.astimezone(fuso)) if fuso is not None else (utc,)
    return all(ANO_MINIMO <= i.year <= ANO_MAXIMO for i in outros)
