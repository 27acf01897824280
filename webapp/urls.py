"""Addresses: where to send a person back to after a form (only paths of this site, no open
redirect), and the public address of a page for another device."""

from __future__ import annotations

from typing import Any
from urllib.parse import SplitResult, urlsplit

from flask import current_app, request, url_for
from werkzeug.exceptions import HTTPException

from .components import componente
from .settings import Settings


def partes(url: str) -> SplitResult | None:
    """`url` split, or None for one no URL can be (a header or a field a client wrote, e.g.
    "http://[x": urlsplit raises on it)."""
    try:
        return urlsplit(url)
    except ValueError:
        return None


def destino_seguro(destino: str | None, padrao: str | None = None) -> str:
    """`destino` if it is a page of this site (query kept), else `padrao` (the board)."""
    if destino and destino.startswith("/") and not destino.startswith(("//", "/\\")):
        divididas = partes(destino)
        if (
            divididas
            and not divididas.scheme
            and not divididas.netloc
            and destino.isprintable()
            and _uma_pagina(divididas.path)
        ):
            return destino
    return padrao or url_for("quadro.index")


def _uma_pagina(caminho: str) -> bool:
    """Whether a GET of `caminho` reaches a page: a redirect there is a GET, and an address
    only a form posts to ("/sair", a step's) would answer "Método não permitido"."""
    raiz = request.script_root
    if raiz:
        if not caminho.startswith(raiz + "/"):
            return False
        caminho = caminho[len(raiz) :]
    try:
        current_app.url_map.bind("").match(caminho, method="GET")
    except HTTPException:  # no such page, POST only, or a redirect (a slash to add)
        return False
    return True


def caminho_de(url: str | None) -> str | None:
    """The path and query of a URL of this site (a Referer, HX-Current-URL), else None."""
    divididas = partes(url) if url else None
    if divididas is None or (divididas.netloc and divididas.netloc != request.host):
        return None
    caminho = divididas.path + (f"?{divididas.query}" if divididas.query else "")
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


def parametro_repetido(nomes: tuple[str, ...] | None = None) -> str | None:
    """Why the query string cannot be read: a parameter (of `nomes`; None: any) sent twice,
    which would be read as its first value alone (a client asking for two would get one
    without knowing). None when each came once."""
    repetidos = sorted(
        nome
        for nome, valores in request.args.lists()
        if len(valores) > 1 and (nomes is None or nome in nomes)
    )
    if not repetidos:
        return None
    return f"Parâmetro repetido: {repetidos[0]}. Envie cada um uma vez só."
