"""Static files under fingerprinted addresses: a year in the browser's cache only for the
address of the file as it is."""

from __future__ import annotations

import re

from flask import Flask


def test_so_a_impressao_do_arquivo_fica_um_ano_em_cache(app: Flask) -> None:
    """The address a page links (the file's hash in `v`) is cached for a year, immutable; any
    other `v` (a page of another version asking this server during a rolling update) is
    answered "no-cache", so a browser never keeps this file under that version's address for a
    year (it did: any `v` at all was immutable)."""
    cliente = app.test_client()
    pagina = cliente.get("/entrar").text
    endereco = re.search(r'href="(/static/app\.css\?v=[0-9a-f]{12})"', pagina)
    assert endereco is not None
    certa = cliente.get(endereco[1])
    assert certa.status_code == 200
    assert certa.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    for outra in ("/static/app.css?v=000000000000", "/static/app.css?v=x"):
        r = cliente.get(outra)
        assert r.status_code == 200 and r.headers["Cache-Control"] == "no-cache", outra
    assert "immutable" not in (cliente.get("/static/app.css").headers.get("Cache-Control") or "")
