"""People's text as the app keeps it: one cleaning for every way text comes in (the board's
forms, the API, the history importer, people's and TV passes' names)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

# Line breaks as a text may carry them (\r\n, \r, the Unicode separators): one \n each.
_QUEBRAS = re.compile("\r\n|[\r\u2028\u2029\x85]")
# Joiners a keyboard types inside some emoji (👨‍🔧) and scripts (Persian): format characters,
# but a person's own.
_DIGITAVEIS = frozenset("\u200c\u200d")


def algarismos(texto: str | None, maximo: int) -> int | None:
    """A whole number written in ASCII digits (a record's version a form carries back, a
    number in an address or a file): up to `maximo` of them, else None."""
    texto = texto or ""
    if not (texto.isascii() and texto.isdigit() and len(texto) <= maximo):
        return None
    return int(texto)


def milhares(numero: int) -> str:
    """A whole number as the shop writes it: 10.000, not 10,000."""
    return f"{numero:,}".replace(",", ".")


def invisivel(caractere: str) -> bool:
    """A character nobody sees or types again: a control (a NUL, an escape) or a format
    character (zero-width space, a bidi override that turns a card's text around, a BOM),
    but the joiners a keyboard types."""
    categoria = unicodedata.category(caractere)
    return categoria == "Cc" or (categoria == "Cf" and caractere not in _DIGITAVEIS)


def limpar_texto(texto: str | None, *, linhas: bool = True) -> str | None:
    """People's text as stored: without invisible characters (a NUL, an escape or a zero-width
    space typed or sent by a client is no part of a diagnosis or a name, and a text of nothing
    else is empty, so a required field says so), line breaks as \n (`linhas`: a long text
    keeps them and its tabs; else a one-line field gets spaces), trimmed; None when nothing
    is left."""
    if texto is None:
        return None
    texto = _QUEBRAS.sub("\n", texto)
    if not linhas:
        texto = texto.replace("\n", " ").replace("\t", " ")
    texto = "".join(c for c in texto if c in "\n\t" or not invisivel(c))
    return texto.strip() or None


def filtro_de_formulario(linhas: bool) -> Callable[[object], object]:
    """A form field's filter (WTForms), cleaning as limpar_texto does: "" when nothing is left,
    so that a required field says it is empty; anything but text as it came (the filters also
    see None and defaults). `linhas`: a text of several lines keeps its breaks and tabs."""

    def filtrar(texto: object) -> object:
        if not isinstance(texto, str):
            return texto
        return limpar_texto(texto, linhas=linhas) or ""

    return filtrar
