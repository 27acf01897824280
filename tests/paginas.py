"""What tests read in a page's HTML, with Python's standard library only (tests/compose_e2e.py
runs without the project's packages)."""

from __future__ import annotations

import re


def csrf_de(html: str) -> str:
    """The csrf_token of the first form in a page (forms carry it as a hidden input)."""
    for entrada in re.findall(r"<input\b[^>]*>", html):
        if re.search(r'\bname="csrf_token"', entrada):
            valor = re.search(r'\bvalue="([^"]+)"', entrada)
            if valor:
                return valor.group(1)
    raise AssertionError("a página não tem csrf_token")
