"""QR codes drawn on the server (segno) as inline SVG: the job card's link back to its order.
No image request, no script; the SVG carries presentation attributes only (the CSP)."""

from __future__ import annotations

import segno
from markupsafe import Markup


def qr_svg(conteudo: str, titulo: str) -> Markup:
    """`conteudo` as a QR code (error correction M: a smudged card still reads), sized by CSS
    (viewBox, no width/height), named `titulo` for screen readers."""
    codigo = segno.make(conteudo, error="m", micro=False)
    svg = codigo.svg_inline(scale=1, border=2, omitsize=True, title=titulo, svgclass="qr",
                            lineclass="qr-modulos")  # fmt: skip
    return Markup(svg)  # segno escapes the title; the rest is its own markup
