"""What the browser downloads: compressed answers (gzip or brotli, by flask-compress), static
files under fingerprinted URLs cached for a year, and the app's version, which open boards and
TVs compare with the one their stream announces, to reload after a deployment."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, request
from flask_compress import Compress

UM_ANO = 365 * 24 * 3600
# HTML, JSON, CSS, JS and SVG are compressed; never a stream (text/event-stream): a compressor
# would hold messages back until its buffer fills.
COMPRIMIR = [
    "text/html", "application/json", "text/css", "text/javascript", "application/javascript",
    "image/svg+xml", "text/csv", "text/plain",
]  # fmt: skip


def _impressoes(raiz: Path) -> dict[str, str]:
    """Each static file's content hash (12 hex digits), by its path under static/."""
    return {
        str(arquivo.relative_to(raiz)): hashlib.sha256(arquivo.read_bytes()).hexdigest()[:12]
        for arquivo in sorted(raiz.rglob("*"))
        if arquivo.is_file()
    }


def versao(impressoes: dict[str, str], templates: Path) -> str:
    """The app's version as a browser sees it: its static files and its templates."""
    soma = hashlib.sha256()
    for nome, impressao in sorted(impressoes.items()):
        soma.update(f"{nome}:{impressao}\n".encode())
    for arquivo in sorted(templates.rglob("*.html")):
        soma.update(arquivo.read_bytes())
    return soma.hexdigest()[:12]


def instalar(app: Flask) -> None:
    app.config.update(
        COMPRESS_MIMETYPES=COMPRIMIR,
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_BR_LEVEL=5,  # brotli's default (11) costs ~10x the CPU for a few % smaller
        COMPRESS_MIN_SIZE=500,
        COMPRESS_STREAMS=False,
    )
    Compress(app)
    impressoes = _impressoes(Path(app.static_folder or "static"))
    app.config["VERSAO"] = versao(impressoes, Path(app.template_folder or "templates"))
    app.jinja_env.globals["versao_app"] = app.config["VERSAO"]

    @app.url_defaults
    def _impressao(endpoint: str, valores: dict[str, Any]) -> None:
        # url_for('static', filename=...) carries the file's hash: a new file, a new URL.
        if endpoint == "static" and "filename" in valores:
            impressao = impressoes.get(valores["filename"])
            if impressao:
                valores.setdefault("v", impressao)

    @app.after_request
    def _cache(resposta: Response) -> Response:
        if request.endpoint != "static" or not request.args.get("v"):
            return resposta
        arquivo = (request.view_args or {}).get("filename")
        if request.args["v"] == impressoes.get(arquivo or ""):
            resposta.headers["Cache-Control"] = f"public, max-age={UM_ANO}, immutable"
        else:
            # Another version's address (a rolling update: a new page asking an old server):
            # this file is not that version, so no browser may keep it under that address.
            resposta.headers["Cache-Control"] = "no-cache"
        return resposta


def versao_do_app() -> str:
    """This app's version (its static files and templates), as the live streams announce it."""
    return str(current_app.config["VERSAO"])
