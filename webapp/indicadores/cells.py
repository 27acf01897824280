"""One cell of an imported history CSV (importer.py), read as a shop writes it: an OS
number, a priority by code or by name, a plate, people's text, a date (Brazilian, ISO, with or
without a zone), minutes with a decimal comma and perhaps a thousands mark. Each refusal
(Recusa) says why in Portuguese, naming the cell's column; the importer adds the line.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, tzinfo

from ..clock import HORARIO_INEXISTENTE, no_fuso
from ..fila import labels
from ..fila.domain import Prioridade
from ..fila.fields import ANO_MAXIMO, ANO_MINIMO, TAMANHO_MAXIMO, ano_aceito
from ..fila.plates import validar_placa
from ..mongo import INT64_MAX, inteiro_guardavel
from ..text import limpar_texto, milhares
from .reconstruction import ARREDONDAMENTO_S

MINUTO = 60.0
TEXTO_MAXIMO = TAMANHO_MAXIMO["veiculo"]  # veiculo, cliente: as the board and the API

FORMATOS_DE_DATA = (
    "dd/mm/aaaa hh:mm, dd/mm/aaaa hh:mm:ss, aaaa-mm-dd hh:mm[:ss] "
    "ou ISO 8601 com fuso (2026-03-02T08:15:00-03:00)"
)
# re.ASCII: \d is 0-9 only (Python's would take "٧" and other scripts' digits as numbers).
_DATA_BR = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?", re.ASCII)
_DATA_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?"
    r"(Z|[+-]\d{2}:?\d{2})?",
    re.ASCII,
)
# Up to 9 digits (about 1,900 years of minutes): a longer number is no stage, and float() would
# make it inf.
_MINUTOS = re.compile(r"\d{1,9}(?:[.,]\d{1,6})?", re.ASCII)
# The export writes a text that starts with one of these behind a "'": a formula's start (so
# Excel never runs it), and the "'" itself (a text that truly starts with one keeps it through
# the round trip). The importer takes that "'" off (before a tab or CR too, as other tools
# guard).
GUARDADOS = "=+-@'"
_PROTEGIDOS = GUARDADOS + "\t\r"


def normalizar(texto: str) -> str:
    """A name as compared here: no accents, case folded, single spaces; letters of any script
    kept (dropping what is not ASCII made 李四 and 王五 one empty name)."""
    decomposto = unicodedata.normalize("NFKD", texto)
    sem_acento = "".join(c for c in decomposto if not unicodedata.combining(c))
    return " ".join(sem_acento.casefold().split())


_PRIORIDADES = {
    **{normalizar(p.value): p for p in Prioridade},
    **{normalizar(nome): Prioridade(codigo) for codigo, nome in labels.PRIORIDADES.items()},
}


class Recusa(ValueError):
    """Why a line is refused (its number is added by Leitor.ler)."""


def numero_os(texto: str, coluna: str) -> int:
    if not texto:
        raise Recusa(f"“{coluna}” está vazia")
    # Up to MongoDB's largest integer, as the API takes it: its export is read back. Leading
    # zeros (a spreadsheet's fixed width) count for nothing, however many.
    numero = inteiro_guardavel(texto.lstrip("0") or texto[-1])
    if numero is None:
        raise Recusa(
            f"“{coluna}” deve ser um número inteiro positivo (até {milhares(INT64_MAX)}), "
            f"não {texto[:30]!r}"
        )
    if numero <= 0:
        raise Recusa(f"“{coluna}” deve ser maior que zero")
    return numero


def prioridade(texto: str) -> Prioridade:
    if not texto:
        return Prioridade.NORMAL
    try:
        return _PRIORIDADES[normalizar(texto)]
    except KeyError:
        aceitas = ", ".join(labels.PRIORIDADES.values())
        raise Recusa(f"prioridade desconhecida {texto[:30]!r}; use {aceitas}") from None


def placa(texto: str, coluna: str) -> str | None:
    if len(texto) > TAMANHO_MAXIMO["placa"] + 10:
        raise Recusa(f"“{coluna}” longa demais ({len(texto)} caracteres)")
    try:
        return validar_placa(texto or None)
    except ValueError as erro:
        raise Recusa(str(erro)) from None


def texto_de_pessoas(texto: str, coluna: str) -> str | None:
    """People's text as it was: the export's "'" before a leading =, +, - or @ is removed, and
    control characters (an escape would reach the terminal that prints the summary), as the
    board stores text."""
    if len(texto) > 1 and texto[0] == "'" and texto[1] in _PROTEGIDOS:
        texto = texto[1:]
    if "\n" in texto or "\r" in texto:
        # One line in the export: the next lines of the file taken into this cell by a quote
        # opened here and never closed (the lines' own orders would be lost without a word).
        raise Recusa(f"“{coluna}” tem quebra de linha (aspas abertas nesta linha sem fechar?)")
    if len(texto) > TEXTO_MAXIMO:
        raise Recusa(f"“{coluna}” longa demais ({len(texto)} caracteres; máximo {TEXTO_MAXIMO})")
    return limpar_texto(texto, linhas=False)


def data(texto: str, coluna: str, fuso: tzinfo) -> tuple[datetime, float]:
    """An instant (aware) and its precision in seconds (60 without seconds). Without an
    offset it is the shop's local time (FUSO_HORARIO)."""
    br = _DATA_BR.fullmatch(texto)
    iso = None if br else _DATA_ISO.fullmatch(texto)
    try:
        if br:
            dia, mes, ano, hora, minuto, segundo = br.groups()
            local = datetime(int(ano), int(mes), int(dia), int(hora), int(minuto),
                             int(segundo or 0))  # fmt: skip
            instante, precisao = _local(local, fuso, coluna, texto), _precisao(segundo, None)
        elif iso:
            ano, mes, dia, hora, minuto, segundo, fracao, deslocamento = iso.groups()
            micro = int((fracao or "0").ljust(6, "0"))
            local = datetime(int(ano), int(mes), int(dia), int(hora), int(minuto),
                             int(segundo or 0), micro)  # fmt: skip
            if deslocamento:
                zona = datetime.fromisoformat(f"2000-01-01T00:00{_offset(deslocamento)}").tzinfo
                instante = local.replace(tzinfo=zona)
            else:
                instante = _local(local, fuso, coluna, texto)
            precisao = _precisao(segundo, fracao)
        else:
            raise ValueError
    except Recusa:
        raise
    except ValueError:
        raise Recusa(f"“{coluna}”: data inválida {texto[:30]!r}; use {FORMATOS_DE_DATA}") from None
    # 2000-01-01T00:00+14:00 is 1999 in UTC, and its export would be refused.
    if not ano_aceito(instante, fuso):
        raise Recusa(f"“{coluna}”: ano fora do intervalo aceito ({ANO_MINIMO} a {ANO_MAXIMO})")
    return instante.astimezone(UTC), precisao


def sem_deslocamento(texto: str) -> bool:
    """Whether a date (as `data` reads it) is the shop's wall clock, with no offset of its own."""
    iso = _DATA_ISO.fullmatch(texto)
    return not (iso and iso.group(8))


def _local(local: datetime, fuso: tzinfo, coluna: str, texto: str) -> datetime:
    instante = no_fuso(local, fuso)
    if instante is None:
        raise Recusa(f"“{coluna}” ({texto[:30]}): {HORARIO_INEXISTENTE}")
    return instante


def _precisao(segundo: str | None, fracao: str | None) -> float:
    """How far a written date may be from the instant, in seconds: a second when it gives
    them, the minute when it does not or writes them as zero ("10:38:00": a tool that wrote
    the minute, a spreadsheet or pandas rewriting the export's dates, whose lines the stages'
    minutes then contradicted); an instant truly at :00 is within that minute all the same."""
    if segundo and (int(segundo) or int(fracao or "0")):
        return 1.0
    return MINUTO


def _offset(texto: str) -> str:
    if texto == "Z":
        return "+00:00"
    return texto if ":" in texto else f"{texto[:3]}:{texto[3:]}"


# Whole minutes written with a thousands separator ("1.158"): read as a decimal point, say so
# when the line then fails.
MILHAR = re.compile(r"\d{1,3}(\.\d{3})+", re.ASCII)


# Minutes with thousands grouped and decimals, the two marks different ("1.152,0" as a
# Brazilian spreadsheet writes 1152 minutes, "1,152.0" an English one): unambiguous.
_AGRUPADOS = re.compile(r"\d{1,3}(?:([.,])\d{3})+(?!\1)[.,]\d{1,6}", re.ASCII)


def _sem_milhar(texto: str) -> str:
    """The minutes without their thousands' marks, the decimal mark last ("1.152,0" →
    "1152,0"); any other text as it is."""
    if _AGRUPADOS.fullmatch(texto):
        corte = max(texto.rfind("."), texto.rfind(","))
        inteiro, marca, decimais = texto[:corte], texto[corte], texto[corte + 1 :]
        return inteiro.replace(".", "").replace(",", "") + marca + decimais
    return texto


def minutos(texto: str, coluna: str) -> float | None:
    """Minutes with a decimal comma (or point) as seconds; None when empty."""
    if not texto:
        return None
    texto = _sem_milhar(texto)
    if not _MINUTOS.fullmatch(texto):
        raise Recusa(f"“{coluna}”: minutos inválidos {texto[:30]!r}; use por exemplo 12,5")
    return float(texto.replace(",", ".")) * MINUTO


def arredondamento(texto: str) -> float:
    """How far a written number of minutes may be from the exact one, in seconds: half its
    last digit (the export's tenths: 3 s), but a whole minute when it has no decimals (a
    spreadsheet's or a tool's whole minutes, rounded or cut)."""
    _, separador, decimais = _sem_milhar(texto).replace(",", ".").partition(".")
    if not (separador and decimais):
        return MINUTO
    return max(ARREDONDAMENTO_S, 0.5 * 10.0 ** -len(decimais) * MINUTO)


def em_minutos(segundos: float) -> str:
    return f"{segundos / MINUTO:.1f} min".replace(".", ",")
