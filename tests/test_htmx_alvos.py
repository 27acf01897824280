"""Every element that asks the server by itself or on a tap names its own target and swap.

An inherited target is a trap: the OS-status box re-read itself every 30 s with
hx-swap="outerHTML" and, having no target of its own, inherited the page's and replaced the
whole board. So no page inherits a target or a swap, and every hx-get/hx-post/SSE element on
every page (and in the htmx answers and pushes built from the same partials) carries both.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from flask import Flask

from webapp.components import componentes

PEDEM = ("hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete", "hx-sse:connect")
HERDADOS_PROIBIDOS = ("hx-target:inherited", "hx-swap:inherited", "hx-select:inherited")
STATIC = Path(__file__).resolve().parent.parent / "static"


class Auditoria(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.falhas: list[str] = []
        self.pedem = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        nomes = {nome for nome, _ in attrs}
        for herdado in nomes.intersection(HERDADOS_PROIBIDOS):
            self.falhas.append(f"<{tag}> herda {herdado}")
        if nomes & set(PEDEM):
            self.pedem += 1
            for proprio in ("hx-target", "hx-swap"):
                if proprio not in nomes:
                    self.falhas.append(f"<{tag} {dict(attrs)}> sem {proprio} próprio")


def auditar(html: str) -> Auditoria:
    a = Auditoria()
    a.feed(html)
    return a


def test_cada_elemento_que_pede_ao_servidor_tem_alvo_e_troca_proprios(
    app: Flask, client, api, usuarios_demo, entrar
) -> None:
    ids = [api.criar(8100 + i, placa=f"ALV{i}A1{i}")["fila_id"] for i in range(3)]
    api.levar_ate(ids[1], "iniciar-diagnostico")
    api.levar_ate(ids[2], "finalizar-reparo")
    token, _ = componentes(app).configuracoes.criar_token("TV da auditoria", "gerente")
    assert entrar(client, "gerente", "gerente123").status_code == 302
    htmx = {"HX-Request": "true"}
    paginas = {
        "/": {},
        "/?mecanico=101": {},
        "/?q=ALV": {},
        f"/ordens/{ids[0]}": {},
        f"/ordens/{ids[1]}/acoes": htmx,
        "/colunas/AGUARDANDO": htmx,
        "/situacao-os": htmx,
        "/historico": {},
        "/pessoas": {},
        "/configuracoes": {},
        "/indicadores": {},
    }
    total = 0
    for caminho, cabecalhos in paginas.items():
        r = client.get(caminho, headers=cabecalhos)
        assert r.status_code == 200, caminho
        auditoria = auditar(r.text)
        assert not auditoria.falhas, (caminho, auditoria.falhas)
        total += auditoria.pedem
    tv = app.test_client().get(f"/painel?token={token}", follow_redirects=True)
    assert tv.status_code == 200
    assert not auditar(tv.text).falhas
    # The audit looked at real requesting elements: the board's forms, "Mais…", the stream...
    assert total > 20


def test_o_quadro_de_antes_falharia_na_auditoria() -> None:
    """The audit catches the element that blanked the board (and an inherited target)."""
    antes = (
        '<body hx-target:inherited="#conteudo"><main id="conteudo">'
        '<div id="situacao-os" hx-get="/situacao-os" hx-trigger="every 30s" '
        'hx-swap="outerHTML"></div></main></body>'
    )
    falhas = auditar(antes).falhas
    assert any("hx-target:inherited" in f for f in falhas)
    assert any("situacao-os" in f and "hx-target" in f for f in falhas)


def test_pedidos_feitos_pelo_javascript_tambem_dizem_o_alvo() -> None:
    """htmx.ajax() calls in our scripts name their target and swap too."""
    chamadas = 0
    for arquivo in STATIC.glob("*.js"):
        texto = arquivo.read_text()
        for m in re.finditer(r"htmx\.ajax\((.*?)\}\s*\)", texto, re.S):
            chamadas += 1
            assert "target:" in m.group(1) and "swap:" in m.group(1), arquivo.name
    assert chamadas >= 1
