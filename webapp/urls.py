"""Addresses: where to send a person back to after a form (only paths of this site, no open
redirect), and the public address of a page for another device."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import request, url_for

from .components import componente
from .settings import Settings


def destino_seguro(destino: str | None, padrao: str | None = None) -> str:
    """`destino` if it is a path on this site (query kept), else `padrao` (the board)."""
    if destino and destino.startswith("/") and not destino.startswith(("//", "/\\")):
        partes = urlsplit(destino)
        if not partes.scheme and not partes.netloc and destino.isprintable():
            return destino
    return padrao or url_for("quadro.index")


def caminho_de(url: str | None) -> str | None:
    """The path and query of a URL of this site (a Referer, HX-Current-URL), else None."""
    if not url:
        return None
    partes = urlsplit(url)
    if partes.netloc and partes.netloc != request.host:
        return None
    caminho = partes.path + (f"?{partes.query}" if partes.query else "")
    return caminho if caminho.startswith("/") else None


def voltar() -> str:
    """Back to the page a form was posted from (its `voltar` field or the Referer)."""
    return destino_seguro(request.form.get("voltar") or caminho_de(request.referrer))


def endereco_publico(endpoint: str, **valores: Any) -> str:
    """The absolute address of a page, to be opened on another device (a QR code, a TV's
    address): under URL_PUBLICA when set, else under the host this request came to (which,
    on the server itself, may be 127.0.0.1)."""
    base = componente(Settings).url_publica
    if not base:
        return url_for(endpoint, _external=True, **valores)
    return base.rstrip("/") + url_for(endpoint, **valores)
