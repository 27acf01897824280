"""Accessibility kept by the suite: axe-core (npm, pinned in package.json; injected into Debian's
Chromium from node_modules, no CDN) audits every page in the states people see them, and every
target a finger presses on a tablet is at least 44x44 px. Zero violations is the bar."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.navegador import DESKTOP, TABLET, TV
from webapp.clock import agora
from webapp.components import componente
from webapp.configuracoes.repository import ConfiguracoesRepository
from webapp.fila.domain import Acao, Ator, MotivoPausa, Papel, Prioridade
from webapp.fila.service import FilaService

pytestmark = pytest.mark.navegador

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
GERENTE = Ator("gerente", Papel.GERENTE)
TOQUE = 44  # px: the smallest target for a finger (or a glove) on the shop's tablets

# Every axe rule on by default, plus the WCAG 2.2 target size (off by default in axe).
AUDITAR = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations'],
                                     rules: {'target-size': {enabled: true}}});
  return r.violations.map(v => `${v.id} (${v.impact}): ${v.help}: ` + v.nodes.map(
    n => `${n.target.join(' ')} [${(n.failureSummary || '').replace(/\\s+/g, ' ')}]`).join('; '));
}"""

# Every visible target smaller than TOQUE px in either direction, except a link inside a
# sentence (WCAG's "inline" exception: its paragraph holds words besides its links).
ALVOS_PEQUENOS = """(minimo) => [...document.querySelectorAll(
    'a[href], button, summary, select, textarea, input:not([type=hidden])')]
  .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
  .filter(e => {
    const paragrafo = e.tagName === 'A' && e.closest('p');
    if (!paragrafo) return true;
    const palavras = paragrafo.cloneNode(true);
    palavras.querySelectorAll('a').forEach(a => a.remove());
    return !/[\\p{L}\\p{N}]/u.test(palavras.textContent);
  })
  .map(e => [e, e.getBoundingClientRect()])
  .filter(([e, r]) => r.width < minimo - 0.5 || r.height < minimo - 0.5)
  .map(([e, r]) => `${e.tagName.toLowerCase()} "${(e.textContent || e.value || e.name || '')
    .trim().slice(0, 40)}" ${Math.round(r.width)}x${Math.round(r.height)}`)"""


def auditar(pagina: Page) -> list[str]:
    """axe-core's violations on the page as it is now. The script is evaluated by the browser's
    debugging protocol, so the pages' strict CSP (script-src 'self') stays on."""
    if not pagina.evaluate("() => typeof axe !== 'undefined'"):
        pagina.evaluate(AXE.read_text(encoding="utf-8"))
    return pagina.evaluate(AUDITAR)


def _fila(app: Flask) -> dict[str, str]:
    """A shop's queue with every state a page can show: waiting (also for approval and
    approved), on hold, late, in diagnosis and repair, finished today and before."""
    fila = componente(FilaService, app)
    agora_ = agora()
    ids: dict[str, str] = {}

    def nova(os_id: int, prioridade: str, horas: float, **extras: object) -> str:
        item = fila.adicionar(
            os_id, GERENTE, Prioridade(prioridade), {"veiculo": "Fiat Strada 1.3", **extras},
            instante=agora_ - timedelta(hours=horas),
        )  # fmt: skip
        return str(item["_id"])

    def passos(fila_id: str, ate: int, horas: float) -> None:
        roteiro = [
            (Acao.INICIAR_DIAGNOSTICO, {"mecanico_responsavel_id": 101}),
            (Acao.FINALIZAR_DIAGNOSTICO, {"diagnostico": "Pastilhas no fim"}),
            (Acao.APROVAR_ORCAMENTO, None),
            (Acao.INICIAR_REPARO, None),
            (Acao.FINALIZAR_REPARO, {"observacoes_reparo": "Trocadas"}),
        ]
        for n, (acao, dados) in enumerate(roteiro[:ate]):
            instante = agora_ - timedelta(hours=horas) + timedelta(minutes=10 * (n + 1))
            fila.executar(fila_id, acao, GERENTE, dados, instante=instante)

    ids["aguardando"] = nova(7001, "URGENTE", 3, placa="ACE1A01", cliente="Ana Souza",
                             previsao_entrega=agora_ - timedelta(minutes=30))  # fmt: skip
    ids["alta"] = nova(7002, "ALTA", 2, placa="ACE1A02")
    ids["baixa"] = nova(7003, "BAIXA", 1, placa="ACE1A03")
    parado = nova(7004, "NORMAL", 5, placa="ACE1A04")
    fila.pausar(parado, MotivoPausa.AGUARDANDO_PECAS, "Pastilha chega amanhã", GERENTE)
    aprovacao = nova(7005, "NORMAL", 6, placa="ACE1A05")
    passos(aprovacao, 2, 6)
    pronta = nova(7006, "ALTA", 6, placa="ACE1A06")
    passos(pronta, 3, 6)
    ids["diagnostico"] = nova(7007, "NORMAL", 4, placa="ACE1A07")
    passos(ids["diagnostico"], 1, 4)
    ids["reparo"] = nova(7008, "URGENTE", 4, placa="ACE1A08")
    passos(ids["reparo"], 4, 4)
    ids["finalizada"] = nova(7009, "ALTA", 1.5, placa="ACE1A09")
    passos(ids["finalizada"], 5, 1.5)
    antiga = nova(7010, "NORMAL", 24 * 3, placa="ACE1A10")
    passos(antiga, 5, 24 * 3)
    return ids


def test_axe_sem_violacoes_em_todas_as_paginas_e_na_tv(
    app: Flask, live_server: str, usuarios_demo, abrir
) -> None:
    ids = _fila(app)
    token, _ = componente(ConfiguracoesRepository, app).criar_passe("TV da oficina", "gerente")
    achados: dict[str, list[str]] = {}

    def ver(nome: str, pagina: Page) -> None:
        violacoes = auditar(pagina)
        if violacoes:
            achados[nome] = violacoes

    anonimo = abrir(DESKTOP).pagina
    anonimo.goto("/entrar")
    ver("entrar", anonimo)
    anonimo.goto("/painel")  # the TV without its token: the error page
    ver("painel sem token (403)", anonimo)

    mecanico = abrir(TABLET, has_touch=True, is_mobile=True).entrar("mecanico", "mecanico123")
    ver("quadro do mecânico (tablet)", mecanico.pagina)

    gerente = abrir(DESKTOP).entrar("gerente", "gerente123")
    g = gerente.pagina
    ver("quadro do gerente", g)
    cartao = gerente.cartao(ids["aguardando"], "AGUARDANDO")
    cartao.get_by_role("button", name="Mais ações da OS 7001").click()
    expect(cartao.locator(".mais-acoes .acoes-todas")).to_be_visible()
    ver("quadro com “Mais…” aberto", g)
    for nome, caminho in (
        ("ordem", f"/ordens/{ids['aguardando']}"),
        ("ordem finalizada", f"/ordens/{ids['finalizada']}"),
        ("histórico", "/historico"),
        ("ficha A4", f"/ordens/{ids['reparo']}/ficha"),
        ("ficha 80 mm", f"/ordens/{ids['reparo']}/ficha?formato=80mm"),
        ("pessoas", "/pessoas"),
        ("página de uma pessoa", "/pessoas/mecanico"),
        ("trocar senha", "/senha"),
        ("configurações", "/configuracoes"),
        ("indicadores", "/indicadores"),
        ("documentação da API", "/docs"),
    ):
        g.goto(caminho)
        ver(nome, g)
    g.goto("/configuracoes")
    g.get_by_label("Nome da tela").fill("TV da recepção")
    g.get_by_role("button", name="Criar passe").click()
    expect(g.get_by_role("img", name="Código QR do endereço do painel")).to_be_visible()
    ver("configurações com o endereço de uma TV nova", g)

    tv = abrir(TV)
    tv.pagina.goto(f"/painel?token={token}")
    expect(tv.pagina.locator("#painel-colunas .painel-cartao").first).to_be_visible()
    ver("TV", tv.pagina)

    for pessoa in (mecanico, gerente, tv):
        assert pessoa.erros == [], pessoa.erros  # CSP violations and script errors included
    # Error pages last: their status is a console error of its own.
    mecanico.pagina.goto("/pessoas")
    ver("página de gerente para um mecânico (403)", mecanico.pagina)
    g.goto("/nao-existe")
    ver("página que não existe (404)", g)

    assert achados == {}, "\n".join(f"{p}: {v}" for p, vs in achados.items() for v in vs)


def test_alvos_de_toque_com_44_px_no_tablet(app: Flask, usuarios_demo, abrir) -> None:
    ids = _fila(app)
    pequenos: dict[str, list[str]] = {}

    def medir(nome: str, pagina: Page) -> None:
        achados = pagina.evaluate(ALVOS_PEQUENOS, TOQUE)
        if achados:
            pequenos[nome] = achados

    for login in ("mecanico", "gerente"):
        pessoa = abrir(TABLET, has_touch=True, is_mobile=True).entrar(login, f"{login}123")
        p = pessoa.pagina
        medir(f"quadro ({login})", p)
        cartao = pessoa.cartao(ids["aguardando"], "AGUARDANDO")
        cartao.get_by_role("button", name="Mais ações da OS 7001").click()
        expect(cartao.locator(".mais-acoes .acoes-todas")).to_be_visible()
        medir(f"quadro com “Mais…” aberto ({login})", p)
        caminhos = ["/historico", f"/ordens/{ids['aguardando']}", "/senha", "/nao-existe"]
        if login == "gerente":
            caminhos += ["/pessoas", "/pessoas/mecanico", "/configuracoes", "/indicadores"]
        for caminho in caminhos:
            p.goto(caminho)
            medir(f"{caminho} ({login})", p)
    assert pequenos == {}, "\n".join(f"{p}: {a}" for p, a in pequenos.items())
