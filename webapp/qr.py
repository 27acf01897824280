"""QR codes drawn on the server (segno) as inline SVG: the job card's link back to its order, a
new TV's address. No image request (a TV's address holds its token: it must never be a URL the
browser fetches, logs or caches), no script; the SVG carries presentation attributes only (the
CSP)."""

from __future__ import annotations

import segno
from markupsafe import Markup


def qr_svg(conteudo: str, titulo: str, borda: int = 2) -> Markup:
    """`conteudo` as a QR code (error correction M: a smudged card still reads), sized by CSS
    (viewBox, no width/height), named `titulo` for screen readers. `borda`: the quiet zone in
    modules (2 on paper's white margin; 4, the standard's, on a screen)."""
    codigo = segno.make(conteudo, error="m", micro=False)
    svg = codigo.svg_inline(scale=1, border=borda, omitsize=True, title=titulo, svgclass="qr",
                            lineclass="qr-modulos")  # fmt: skip
    return Markup(svg)  # segno escapes the title; the rest is its own markup
