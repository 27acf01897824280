"""Brazilian licence plates: how they are compared and which ones are valid (pure Python)."""

from __future__ import annotations

import re


def normalizar_placa(placa: str | None) -> str | None:
    """Plates are compared as upper-case letters and digits only ("abc-1d23" == "ABC1D23")."""
    if placa is None:
        return None
    limpa = "".join(c for c in placa.upper() if c.isascii() and c.isalnum())
    return limpa or None


# Brazilian plates: the Mercosul pattern (ABC1D23) and the older one (ABC1234).
_PLACA = re.compile(r"[A-Z]{3}[0-9][A-Z0-9][0-9]{2}")
_ESCRITA = re.compile(r"[A-Za-z0-9 -]+")


def validar_placa(placa: str | None) -> str | None:
    """The plate normalised, or ValueError (a message for people) when it is not a Brazilian
    plate."""
    if placa is None or not placa.strip():
        return None
    # Hyphens and spaces are how people write one ("ABC-1234"); any other mark, or a letter
    # outside A-Z ("ß" upper-cases to "SS"), is not part of a plate.
    escrita = _ESCRITA.fullmatch(placa.strip())
    limpa = normalizar_placa(placa)
    if escrita is None or limpa is None or not _PLACA.fullmatch(limpa):
        raise ValueError(
            f"Placa inválida: “{placa.strip()[:20]}”. Use o padrão Mercosul (ABC1D23) ou o antigo "
            "(ABC1234)."
        )
    return limpa


def gemea(placa: str) -> str | None:
    """The same car's plate in the other pattern: a car moved to Mercosul keeps its letters and
    digits but for the fifth, a digit that became a letter (0 → A … 9 → J): ABC1234 is
    ABC1C34. None when `placa` (normalised) is not a whole plate or has no twin."""
    if not _PLACA.fullmatch(placa):
        return None
    quinto = placa[4]
    if quinto.isdigit():
        return placa[:4] + chr(ord("A") + int(quinto)) + placa[5:]
    if "A" <= quinto <= "J":
        return placa[:4] + str(ord(quinto) - ord("A")) + placa[5:]
    return None
