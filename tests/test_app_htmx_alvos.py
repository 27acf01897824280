"""Every element that asks the server by itself or on a tap names its own target and swap.

An inherited target is a trap: the OS-status box re-read itself every 30 s with
hx-swap="outerHTML" and, having no target of its own, inherited the page's and replaced the
whole board. So no page inherits a target or a swap, and every hx-get/hx-post/SSE element on
every page (and in the htmx answers and pushes built from the same partials) carries both.

And an inventory: every hx-trigger on any page, every live stream (hx-sse:connect, set off by
"load") and every named event the streams send, and every inherited attribute, is listed below
with the test that exercises it in a browser; a new one fails this audit until it gets its own.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

from flask import Flask

from tests.previsao.previsao_oficina import historico, recalcular
from webapp.components import componente
from webapp.configuracoes.repository import ConfiguracoesRepository
from webapp.mongo import Mongo

PEDEM = ("hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete", "hx-sse:connect")
HERDADOS_PROIBIDOS = ("hx-target:inherited", "hx-swap:inherited", "hx-select:inherited")
RAIZ = Path(__file__).resolve().parent.parent
STATIC = RAIZ / "static"
TURNO = "test_app_turno_navegador.py"

# (what it asks for, its trigger) -> the browser test that keeps it honest. Paths with their
# variable parts named; "load" is an SSE element's own trigger (hx-sse connects on load).
LIGACAO = f"{TURNO}::test_ligacao_muda_avisa_em_duas_batidas_e_volta_com_o_que_mudou"
RISCO = "previsao/test_previsao_navegador.py"
LISTA = "test_indicadores_abertos_antes_do_primeiro_calculo_mostram_a_lista_quando_ele_sai"
GATILHOS = {
    (
        "/situacao-os",
        "every 30s",
    ): f"{TURNO}::test_quadro_aberto_passa_das_leituras_periodicas_inteiro",
    (
        "/colunas/<status>",
        "click, revealed",
    ): f"{TURNO}::test_mostrar_mais_ao_aparecer_e_redesenhado",
    (
        "/ordens/<id>/agora",
        "every 30s",
    ): f"{TURNO}::test_pagina_da_ordem_aberta_se_atualiza_por_horas",
    (
        "/ordens/<id>/agora",
        "every 5s",
    ): "previsao/test_previsao_navegador.py::test_nova_os_no_balcao_ate_a_previsao_na_sua_pagina",
    (
        "/indicadores/em-risco/agora",
        "every 5s",
    ): f"{RISCO}::{LISTA}",
    (
        "/indicadores/em-risco/agora",
        "every 60s",
    ): f"{RISCO}::{LISTA}",
    ("/eventos", "load"): LIGACAO,
    ("/painel/eventos", "load"): LIGACAO,
}
# The named events the live streams send (sse.mensagem(..., evento)), which the pages act on.
EVENTOS_SSE = {
    "batida": f"{TURNO}::test_batida_de_uma_versao_nova_recarrega_a_pagina",
    "revogado": f"{TURNO}::test_acesso_revogado_recarrega_a_tela",
}
# Inherited attributes (on <body>): what every request below them gets.
HERDADOS = {
    "hx-headers:inherited": f"{TURNO}::test_cartao_empurrado_envia_o_csrf_e_trava_o_botao",
    "hx-disable:inherited": f"{TURNO}::test_cartao_empurrado_envia_o_csrf_e_trava_o_botao",
}
# What sets an element off by itself (not a person's tap): it must replace only itself
# (hx-target="this") or nothing at all (hx-swap="none": its answer's partials name their
# own targets).
SOZINHO = re.compile(r"\b(every|load|revealed|intersect|sse:)")


def caminho(url: str) -> str:
    """An address with its variable parts named (query left out)."""
    url = re.sub(r"/ordens/[0-9a-f]{24}/", "/ordens/<id>/", url.split("?")[0])
    return re.sub(r"/colunas/[A-Z_]+", "/colunas/<status>", url)


class Auditoria(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.falhas: list[str] = []
        self.pedem = 0
        self.gatilhos: dict[tuple[str, str], dict[str, str | None]] = {}
        self.herdados: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        valores = dict(attrs)
        nomes = set(valores)
        for herdado in nomes.intersection(HERDADOS_PROIBIDOS):
            self.falhas.append(f"<{tag}> herda {herdado}")
        self.herdados |= {n for n in nomes if n.endswith(":inherited")}
        if nomes & set(PEDEM):
            self.pedem += 1
            for proprio in ("hx-target", "hx-swap"):
                if proprio not in nomes:
                    self.falhas.append(f"<{tag} {valores}> sem {proprio} próprio")
        url = next((valores[n] for n in PEDEM if valores.get(n)), None)
        gatilho = valores.get("hx-trigger") or ("load" if "hx-sse:connect" in nomes else None)
        if url and gatilho:
            self.gatilhos[(caminho(url), gatilho)] = valores
            sozinho = SOZINHO.search(gatilho)
            so_ele = valores.get("hx-target") == "this" or valores.get("hx-swap") == "none"
            if sozinho and not so_ele:
                self.falhas.append(f"<{tag} {valores}> dispara sozinho e troca mais que a si")


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
    token, _ = componente(ConfiguracoesRepository, app).criar_passe("TV da auditoria", "gerente")
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
    for endereco, cabecalhos in paginas.items():
        r = client.get(endereco, headers=cabecalhos)
        assert r.status_code == 200, endereco
        auditoria = auditar(r.text)
        assert not auditoria.falhas, (endereco, auditoria.falhas)
        total += auditoria.pedem
    tv = app.test_client().get(f"/painel?token={token}", follow_redirects=True)
    assert tv.status_code == 200
    assert not auditar(tv.text).falhas
    # The audit looked at real requesting elements: the board's forms, "Mais…", the stream...
    assert total > 20


def _previsao_a_caminho(app: Flask, api) -> str:
    """An order added after the last recompute, in a shop with a history: its page reads
    itself every 5 s until its forecast comes."""
    historico(app, 40)
    recalcular(app)
    return api.criar(8399)["fila_id"]


def _paginas_com_tudo(app: Flask, client, api, entrar) -> list[str]:
    """Every page a person or the TV opens, on a queue big enough for "Mostrar mais";
    /indicadores also before the first recompute and without a forecast (its at-risk list
    reads itself then)."""
    ids = [api.criar(8200 + n, placa=f"INV{n % 10}A{n:02d}")["fila_id"] for n in range(45)]
    assert entrar(client, "gerente", "gerente123").status_code == 302
    antes = client.get("/indicadores").text
    a_caminho = _previsao_a_caminho(app, api)
    token, _ = componente(ConfiguracoesRepository, app).criar_passe("TV do inventário", "gerente")
    enderecos = ["/", "/?mecanico=101", f"/ordens/{ids[0]}", f"/ordens/{a_caminho}"]
    enderecos += ["/historico", "/pessoas"]
    enderecos += ["/configuracoes", "/indicadores"]
    textos = [client.get(e).text for e in enderecos]
    tv = app.test_client().get(f"/painel?token={token}", follow_redirects=True)
    return [antes, *textos, tv.text, _sem_previsao(app, client)]


def _sem_previsao(app: Flask, client) -> str:
    """/indicadores when the recompute gives no forecast (no mechanic active)."""
    componente(Mongo, app).db.usuarios.update_many(
        {"login": {"$in": ["mecanico", "mecanico2"]}}, {"$set": {"ativo": False}}
    )
    recalcular(app)
    return client.get("/indicadores").text


def test_cada_gatilho_e_cada_heranca_tem_seu_teste(
    app: Flask, client, api, usuarios_demo, entrar
) -> None:
    """The inventory matches the pages: every trigger and inherited attribute found is listed
    with its test (and every listed one is still there), every named event the streams send
    too; each listed test exists."""
    gatilhos: dict[tuple[str, str], dict[str, str | None]] = {}
    herdados: set[str] = set()
    for texto in _paginas_com_tudo(app, client, api, entrar):
        auditoria = auditar(texto)
        assert not auditoria.falhas, auditoria.falhas
        gatilhos |= auditoria.gatilhos
        herdados |= auditoria.herdados
    assert set(gatilhos) == set(GATILHOS), set(gatilhos) ^ set(GATILHOS)
    assert herdados == set(HERDADOS), herdados ^ set(HERDADOS)
    codigo = "\n".join(p.read_text() for p in (RAIZ / "webapp").rglob("*.py"))
    enviados = set(re.findall(r"mensagem\([^()]*(?:\([^()]*\))?[^()]*,\s*\"(\w+)\"\)", codigo))
    assert enviados == set(EVENTOS_SSE), enviados ^ set(EVENTOS_SSE)
    for teste in (*GATILHOS.values(), *EVENTOS_SSE.values(), *HERDADOS.values()):
        arquivo, funcao = teste.split("::")
        assert f"def {funcao}(" in (RAIZ / "tests" / arquivo).read_text(), teste


def test_quem_se_substitui_sozinho_volta_igual(
    app: Flask, client, api, usuarios_demo, entrar
) -> None:
    """A poll that replaces itself (hx-target="this", outerHTML or outerMorph) answers with
    itself: the same id, address and trigger, so it goes on polling and never grows or takes
    the page. Each is read again in the state its page was drawn in (before the first
    recompute, with a forecast, without one)."""
    fila_id = api.criar(8300)["fila_id"]
    assert entrar(client, "gerente", "gerente123").status_code == 302
    vistos = _voltam_iguais(client, [client.get("/indicadores").text])
    a_caminho = _previsao_a_caminho(app, api)
    paginas = ("/", f"/ordens/{fila_id}", f"/ordens/{a_caminho}")
    vistos |= _voltam_iguais(client, [client.get(p).text for p in paginas])
    vistos |= _voltam_iguais(client, [_sem_previsao(app, client)])
    assert {g for g in GATILHOS if g[1].startswith("every")} <= vistos


def _voltam_iguais(client, paginas: list[str]) -> set[tuple[str, str]]:
    """Every poll of these pages, read again as htmx does: it answers with itself."""
    achados: dict[tuple[str, str], dict[str, str | None]] = {}
    for texto in paginas:
        achados |= auditar(texto).gatilhos
    polls = {g: e for g, e in achados.items() if g[1].startswith("every")}
    for (endereco, gatilho), elemento in polls.items():
        assert elemento["hx-target"] == "this"
        assert elemento["hx-swap"] in ("outerHTML", "outerMorph")
        url = html.unescape(elemento["hx-get"] or "")
        resposta = auditar(client.get(url, headers={"HX-Request": "true"}).text)
        assert list(resposta.gatilhos) == [(endereco, gatilho)], resposta.gatilhos
        de_novo = resposta.gatilhos[(endereco, gatilho)]
        assert de_novo["id"] == elemento["id"] and de_novo["hx-get"] == elemento["hx-get"]
    return set(polls)


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
