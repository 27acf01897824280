"""Layout and printing in a real browser: the job card on one sheet or one 80 mm slip, the
people's tables across the page with whole words, a date field its own size, and "Voltar" in
one place on every page."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect

from tests.navegador import ARTEFATOS, DESKTOP, TABLET
from tests.previsao.previsao_oficina import historico, recalcular
from webapp.components import componente
from webapp.configuracoes.repository import ConfiguracoesRepository
from webapp.fila.domain import Acao, Ator, Papel, Prioridade
from webapp.fila.service import FilaService
from webapp.pessoas.service import PessoasService

pytestmark = pytest.mark.navegador

GERENTE = Ator("gerente", Papel.GERENTE)

# Words of a table cell split across two lines (a word whose text makes more than one box).
PALAVRAS_PARTIDAS = """(seletor) => {
  const partidas = [];
  for (const celula of document.querySelectorAll(seletor)) {
    const texto = document.createTreeWalker(celula, NodeFilter.SHOW_TEXT);
    for (let no = texto.nextNode(); no; no = texto.nextNode()) {
      for (const m of no.textContent.matchAll(/\\S+/g)) {
        const r = document.createRange();
        r.setStart(no, m.index);
        r.setEnd(no, m.index + m[0].length);
        const linhas = new Set([...r.getClientRects()].map(b => Math.round(b.top)));
        if (linhas.size > 1) partidas.push(m[0]);
      }
    }
  }
  return partidas;
}"""


def _paginas_pdf(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))


def _ordem(app: Flask, os_id: int, descricao: str, diagnostico: str, reparo: str) -> str:
    """A finished order with a plate, a long vehicle and customer, and its three texts."""
    fila = componente(FilaService, app)
    item = fila.adicionar(
        os_id, GERENTE, Prioridade.ALTA,
        {"placa": "FIC8A01", "veiculo": "Chevrolet S10 LTZ 2.8 Diesel 4x4",
         "cliente": "Transportadora Irmãos Albuquerque Ltda.", "descricao": descricao},
    )  # fmt: skip
    roteiro = [
        (Acao.INICIAR_DIAGNOSTICO, {"mecanico_responsavel_id": 101}),
        (Acao.FINALIZAR_DIAGNOSTICO, {"diagnostico": diagnostico}),
        (Acao.APROVAR_ORCAMENTO, None),
        (Acao.INICIAR_REPARO, None),
        (Acao.FINALIZAR_REPARO, {"observacoes_reparo": reparo}),
    ]
    for acao, dados in roteiro:
        fila.executar(item["_id"], acao, GERENTE, dados)
    return str(item["_id"])


def _mm(px: float) -> float:
    return px * 25.4 / 96


def test_ficha_impressa_numa_folha_e_num_recibo(app: Flask, usuarios_demo, abrir) -> None:
    """A usual order fits one A4 sheet and one 80 x 200 mm slip. A long one needs more paper,
    but only its texts go on: the address is on the first slip, under the QR code."""
    usual = _ordem(
        app, 8801, "Barulho na suspensão dianteira ao passar em lombadas.",
        "Bieleta esquerda gasta; trocar o par de bieletas.",
        "Bieletas trocadas; teste de rodagem sem ruído.",
    )  # fmt: skip
    longa = _ordem(
        app, 8802,
        "Barulho na suspensão dianteira ao passar em lombadas; volante puxa para a direita "
        "acima de 80 km/h; luz de injeção acesa desde ontem. " * 2,
        "Bieleta e bucha da bandeja esquerda gastas; alinhamento fora; sensor de temperatura "
        "do motor com mau contato no conector. Trocar bieletas e buchas, alinhar. " * 2,
        "Bieletas e buchas trocadas, alinhamento e balanceamento feitos, conector refeito; "
        "teste de rodagem de 10 km sem ruído nem luz acesa. " * 2,
    )  # fmt: skip
    p = abrir(DESKTOP).entrar("gerente", "gerente123").pagina
    p.emulate_media(media="print")
    p.goto(f"/ordens/{usual}/ficha")
    expect(p.locator(".voltar")).to_be_hidden()  # the way back is not printed
    assert _paginas_pdf(p.pdf(prefer_css_page_size=True)) == 1
    p.goto(f"/ordens/{usual}/ficha?formato=80mm")
    assert _paginas_pdf(p.pdf(prefer_css_page_size=True)) == 1
    p.set_viewport_size({"width": 302, "height": 760})
    ARTEFATOS.mkdir(exist_ok=True)
    p.screenshot(path=ARTEFATOS / "ficha-impressao-80mm-textos.png", full_page=True)

    p.set_viewport_size({"width": 280, "height": 760})  # the slip's 74 mm between margins
    p.goto(f"/ordens/{longa}/ficha?formato=80mm")
    qr = p.locator(".ficha-qr").bounding_box()
    endereco = p.locator(".ficha-endereco").bounding_box()
    texto = p.locator(".ficha-texto").first.bounding_box()
    assert qr["y"] < endereco["y"] < texto["y"]
    topo = p.locator(".ficha-os").bounding_box()["y"]
    assert _mm(endereco["y"] + endereco["height"] - topo) < 194  # 200 mm less the margins
    assert _paginas_pdf(p.pdf(prefer_css_page_size=True)) > 1  # the texts go on


def test_pessoas_usa_a_largura_e_nao_parte_palavras(app: Flask, usuarios_demo, abrir) -> None:
    pessoas = componente(PessoasService, app)
    # A long address, kept whole.
    quem = Ator("gerente", Papel.MECANICO, "2001:db8:85a3::8a2e:370:7334")
    for n, nome in enumerate(
        ("Maria Aparecida dos Santos Albuquerque", "José Roberto Figueiredo Cavalcanti")
    ):
        pessoas.criar(f"pessoa{n}", nome, "mecanico", 300 + n, quem)
        pessoas.editar(f"pessoa{n}", nome, "gerente", 400 + n, quem)
    p = abrir(DESKTOP).entrar("gerente", "gerente123").pagina
    p.goto("/pessoas")
    largura = p.evaluate("document.querySelector('main').clientWidth")
    for tabela in (".equipe", ".registro"):
        assert p.locator(tabela).bounding_box()["width"] > 0.9 * largura, tabela
    assert p.evaluate(PALAVRAS_PARTIDAS, ".pessoas .tabela td") == []
    p.goto("/pessoas/mecanico")
    assert p.evaluate(PALAVRAS_PARTIDAS, ".pessoas .tabela td") == []
    # At 200 % zoom (640 CSS pixels) the team table scrolls in its own region; the page does
    # not scroll sideways (it spilled out by 47 px).
    p.set_viewport_size({"width": 640, "height": 400})
    p.goto("/pessoas")
    assert p.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_campo_de_data_do_historico_tem_o_seu_tamanho(app: Flask, usuarios_demo, abrir) -> None:
    p = abrir(TABLET, has_touch=True, is_mobile=True).entrar("mecanico", "mecanico123").pagina
    p.goto("/historico")
    campo = p.get_by_label("Dia").bounding_box()
    botao = p.get_by_role("button", name="Filtrar").bounding_box()
    assert campo["width"] < 260
    assert abs(campo["y"] - botao["y"]) < 10  # the field and its button on one line


def _voltar(p: Page) -> tuple[float, float, str]:
    link = p.locator("main .voltar a")
    expect(link).to_have_count(1)
    caixa = link.bounding_box()
    return round(caixa["x"]), round(caixa["y"]), " ".join(link.text_content().split())


def test_voltar_no_mesmo_lugar_em_todas_as_paginas(app: Flask, usuarios_demo, abrir) -> None:
    fila_id = _ordem(app, 8803, "Freio", "Pastilhas", "Trocadas")
    for tela, opcoes in ((DESKTOP, {}), (TABLET, {"has_touch": True, "is_mobile": True})):
        p = abrir(tela, **opcoes).entrar("gerente", "gerente123").pagina
        expect(p.locator(".voltar")).to_have_count(0)  # the board is where "back" leads
        lugares = {}
        for caminho in (
            "/historico", f"/ordens/{fila_id}", f"/ordens/{fila_id}/ficha", "/pessoas",
            "/pessoas/mecanico", "/senha", "/configuracoes", "/indicadores", "/nao-existe",
        ):  # fmt: skip
            p.goto(caminho)
            lugares[caminho] = _voltar(p)
        posicoes = {(x, y) for x, y, _ in lugares.values()}
        assert len(posicoes) == 1, lugares
        textos = {caminho: texto for caminho, (_, _, texto) in lugares.items()}
        assert textos[f"/ordens/{fila_id}/ficha"] == "← Voltar à ordem"
        assert textos["/pessoas/mecanico"] == "← Voltar às pessoas"
        assert {t for c, t in textos.items() if "/ficha" not in c and c != "/pessoas/mecanico"} == {
            "← Voltar ao quadro"
        }


@pytest.mark.parametrize("largura", [901, 960, 1027])
def test_quatro_colunas_inteiras_logo_acima_de_uma_coluna(
    app: Flask, usuarios_demo, abrir, largura: int
) -> None:
    """Just above the one-column breakpoint (half a 1920 screen, a laptop zoomed in) the four
    columns fit: the last one ends inside the window (the page cannot scroll sideways)."""
    _ordem(app, 8804, "Ruído", "Rolamento", "Trocado")
    p = abrir({"width": largura, "height": 800}).entrar("gerente", "gerente123").pagina
    direitas = p.locator("#quadro .coluna").evaluate_all(
        "cs => cs.map(c => c.getBoundingClientRect().right)"
    )
    assert len(direitas) == 4
    assert max(direitas) <= p.evaluate("document.documentElement.clientWidth"), direitas


# Each card's time in stage that starts its line (no mechanic before it, or wrapped below the
# name): [its text's left, the card line's left, whether it wrapped].
TEMPOS_NO_INICIO = """() => [...document.querySelectorAll('.dados > .tempo')].flatMap(t => {
  const linha = t.parentElement.getBoundingClientRect().left;
  if (t.getBoundingClientRect().left > linha + 1) return [];  // beside the mechanic's name
  const r = document.createRange();
  r.selectNodeContents(t);
  return [[r.getClientRects()[0].left, linha, t.previousElementSibling !== null]];
})"""


def test_tempo_no_inicio_da_linha_alinha_com_o_cartao(app: Flask, usuarios_demo, abrir) -> None:
    """A finished card on a desktop wraps "Finalizada às 00:02" below a long mechanic's name; the
    pill's padding pushed its text in, off the card's left edge (as it did for a card without
    a mechanic before)."""
    componente(PessoasService, app).editar(
        "mecanico", "Marcos Antônio Pereira da Silva", "mecanico", 101, Ator("a", Papel.ADMIN)
    )
    _ordem(app, 8806, "Ruído", "Rolamento", "Trocado")
    componente(FilaService, app).adicionar(8807, GERENTE)
    p = abrir(DESKTOP).entrar("gerente", "gerente123").pagina
    tempos = p.evaluate(TEMPOS_NO_INICIO)
    assert any(quebrou for _, _, quebrou in tempos), tempos  # the wrapped case is here
    for texto, linha, _ in tempos:
        assert abs(texto - linha) < 1, tempos


# A phone's text inside each of its boxes: the ranges of its text, none outside it.
TEXTO_FORA = """(seletor) => [...document.querySelectorAll(seletor)].filter(e => {
  const caixa = e.getBoundingClientRect();
  const r = document.createRange();
  r.selectNodeContents(e);
  return [...r.getClientRects()]
    .some(b => b.left < caixa.left - 0.5 || b.right > caixa.right + 0.5);
}).map(e => e.textContent.trim())"""


def test_telefone_abas_inteiras_e_ordem_legivel(app: Flask, usuarios_demo, abrir) -> None:
    """A 360 px phone: the four tabs whole, each with its count, the page no wider than the
    screen ("Aguardando" lost its "A", a 3-digit count hid under the next tab, and Chrome
    zoomed the page out to 370 px); on the order's page each label sits above its value,
    which then has the screen's width (it had 112 px beside a 192 px label)."""
    fila = componente(FilaService, app)
    for n in range(105):
        fila.adicionar(8900 + n, GERENTE, Prioridade.NORMAL, {"placa": f"TEL{n:04d}"})
    fila_id = _ordem(app, 8899, "Barulho ao frear", "Pastilhas gastas", "Trocadas")
    telefone = abrir({"width": 360, "height": 740}, has_touch=True, is_mobile=True)
    p = telefone.entrar("mecanico", "mecanico123").pagina
    expect(p.locator("#aba-AGUARDANDO")).to_contain_text("105")
    assert p.evaluate("[document.documentElement.scrollWidth, innerWidth]") == [360, 360]
    assert p.evaluate(TEXTO_FORA, ".abas a") == []
    expect(p.locator("#aba-AGUARDANDO")).to_contain_text("Aguardando")
    expect(p.locator("#aba-FINALIZADA")).to_contain_text("1")

    p.goto(f"/ordens/{fila_id}")
    cliente = p.locator(".ficha div").filter(has_text="Cliente")
    rotulo = cliente.locator("dt").bounding_box()
    valor = cliente.locator("dd").bounding_box()
    assert valor["y"] >= rotulo["y"] + rotulo["height"] - 1  # below its label
    assert valor["width"] > 0.8 * p.locator(".ficha").bounding_box()["width"]
    assert p.evaluate("document.documentElement.scrollWidth <= innerWidth")


@pytest.mark.parametrize("largura", [1024, 1180, 1280])
def test_mais_aberto_fica_dentro_do_cartao_no_tablet_deitado(
    app: Flask, usuarios_demo, abrir, largura: int
) -> None:
    """A landscape tablet: the manager's "Mais…" opened with its date field ("Previsão de
    entrega") and mechanic list ("Atribuir mecânico") spilled out of the card, across the gap
    into the next column, its select cut ("Marcos Mecânico — 7 em serv")."""
    fila = componente(FilaService, app)
    fila_id = str(fila.adicionar(8810, GERENTE, Prioridade.ALTA, {"placa": "MAI1S00"})["_id"])
    fila.executar(fila_id, Acao.INICIAR_DIAGNOSTICO, GERENTE, {"mecanico_responsavel_id": 101})
    pessoa = abrir({"width": largura, "height": 820}, has_touch=True).entrar(
        "gerente", "gerente123"
    )
    cartao = pessoa.cartao(fila_id)
    cartao.get_by_role("button", name="Mais ações da OS 8810").click()
    for resumo in ("Entrega prometida", "Atribuir mecânico"):
        cartao.locator("summary", has_text=resumo).click()
    expect(cartao.get_by_label("Mecânico responsável")).to_be_visible()
    fora = cartao.evaluate(
        """c => {
          const caixa = c.getBoundingClientRect();
          return [...c.querySelectorAll('.mais-acoes, .mais-acoes *')]
            .filter(e => e.getClientRects().length)
            .filter(e => e.getBoundingClientRect().right > caixa.right + 0.5)
            .map(e => e.tagName + '.' + e.className);
        }"""
    )
    pessoa.pagina.screenshot(path=ARTEFATOS / f"mais-aberto-{largura}.png")
    assert fora == [], fora


def test_paginas_do_gerente_no_telefone_sem_rolar_de_lado_nem_partir_palavras(
    app: Flask, usuarios_demo, abrir
) -> None:
    """A 390 px phone: /historico's table (532 px) and the stage times beside the chart on
    /indicadores widened the whole page; the TV passes' "Revogar" broke a letter per line, and
    their names and dates mid-word. Each table now scrolls in its own region, words whole."""
    fila_id = _ordem(app, 8811, "Ruído", "Rolamento", "Trocado")
    componente(ConfiguracoesRepository, app).criar_passe("TV da oficina", "gerente")
    telefone = abrir({"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    p = telefone.entrar("gerente", "gerente123").pagina
    for caminho in (
        "/historico", "/indicadores?periodo=30", "/configuracoes", "/pessoas", "/pessoas/mecanico",
        f"/ordens/{fila_id}", f"/ordens/{fila_id}/ficha", "/senha",
    ):  # fmt: skip
        p.goto(caminho)
        # The phone's own width, not innerWidth: a mobile page that overflows widens its
        # layout viewport (innerWidth 468) and is drawn zoomed out.
        largura = p.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        assert largura == [390, 390], (caminho, largura)
    partidas = p.evaluate(PALAVRAS_PARTIDAS, ".passes td")
    assert partidas == [], partidas
    assert p.evaluate(PALAVRAS_PARTIDAS, ".passes button") == []
    # /pessoas at 360 px: the team and the record scrolled sideways in their regions (658 px
    # in 302), "Situação" and "Último acesso" out of sight. Each row a block of named cells.
    p.set_viewport_size({"width": 360, "height": 740})
    for caminho in ("/pessoas", "/pessoas/mecanico"):
        p.goto(caminho)
        regioes = p.evaluate(
            "() => [...document.querySelectorAll('.tabela-rolavel')]"
            ".map(e => [e.scrollWidth, e.clientWidth])"
        )
        assert regioes and all(largo <= caixa for largo, caixa in regioes), (caminho, regioes)
        if caminho == "/pessoas":  # (the mechanic's own record is empty here)
            expect(p.locator("td[data-rotulo='O quê']").first).to_be_visible()
            expect(p.locator("td[data-rotulo='Situação']").first).to_be_visible()


# A select's arrow, drawn by Chromium beside its text, outside its padding.
SETA_DO_SELECT_PX = 20


def texto_inteiro(campo: Locator) -> None:
    """A search's placeholder, or a select's chosen option, as wide as the field's room
    inside its padding, at most (the clear button's room, kept by Chromium in an empty
    search, is given to it: app.css)."""
    texto, sala = campo.evaluate(
        """(b, seta) => { const cs = getComputedStyle(b), c = document.createElement("canvas")
                    .getContext("2d"); c.font = cs.font;
                  const select = b.tagName === "SELECT";
                  return [c.measureText(select ? b.selectedOptions[0].text : b.placeholder).width,
                          b.clientWidth - parseFloat(cs.paddingLeft)
                          - parseFloat(cs.paddingRight) - (select ? seta : 0)]; }""",
        SETA_DO_SELECT_PX,
    )
    assert texto <= sala, (texto, sala)


def test_quadro_do_gerente_no_telefone_busca_e_mecanico_inteiros(
    app: Flask, usuarios_demo, abrir
) -> None:
    """A phone: the manager's board spent about 500 px on its controls before the first card,
    the search, the mechanic and their buttons a row each. Then the search and the mechanic
    shared a row beside "Filtrar", read "Placa ou nº" and "Todos os mecâ" under 480 px, and a
    mechanic chosen ("Paula Pereira — 0 em serviço") worse beside "Limpar filtros". Now the
    search shares a row with "Filtrar" and the mechanic has the next one: each field whole,
    the page no wider."""
    telefone = abrir({"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    p = telefone.entrar("gerente", "gerente123").pagina
    busca = p.get_by_role("searchbox", name="Buscar placa ou OS")
    mecanico = p.get_by_label("Mecânico")
    for caminho in ("/", "/?mecanico=102"):  # unfiltered; a mechanic chosen ("Limpar filtros")
        p.goto(caminho)
        for largura, linhas in ((480, 2), (390, 2), (360, 2)):
            p.set_viewport_size({"width": largura, "height": 844})
            caixas = [
                c.bounding_box() for c in (busca, p.get_by_role("button", name="Filtrar"), mecanico)
            ]
            assert all(c and c["height"] >= 44 - 0.5 for c in caixas), (largura, caixas)
            assert len({round(c["y"]) for c in caixas}) == linhas, (largura, caixas)
            assert abs(caixas[0]["y"] - caixas[1]["y"]) < 2, (largura, caixas)
            for campo in (busca, mecanico):
                texto_inteiro(campo)
            assert p.evaluate("[document.documentElement.scrollWidth, innerWidth]") == [
                largura,
                largura,
            ]
            if largura == 390 and caminho == "/":
                p.screenshot(path=ARTEFATOS / "quadro-gerente-telefone.png")


def test_quadro_do_gerente_no_telefone_primeiro_cartao_no_alto(
    app: Flask, usuarios_demo, abrir
) -> None:
    """A 390 x 844 phone: the manager's header and controls took about 450 px, the first card
    at 476 px and barely one in view. The header is one line; the search and its button stay,
    and the shop's late and at-risk counts; the rest is under "Menu" (a checkbox's label: it
    opens without JavaScript too), each target still 44 px high. (The search's own row, for
    both fields whole: test_quadro_do_gerente_no_telefone_busca_e_mecanico_inteiros, puts the
    first card 52 px lower than it was.)"""
    fila = componente(FilaService, app)
    for n in range(4):
        fila.adicionar(
            8950 + n, GERENTE, Prioridade.NORMAL, {"placa": f"TEL{n}A50", "veiculo": "Fiat Uno"}
        )
    telefone = abrir({"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    p = telefone.entrar("gerente", "gerente123").pagina
    topo = p.locator(".topo").bounding_box()
    assert topo and topo["height"] <= 56, topo
    # The controls end with the column tabs; the first card follows them, as in a shop whose
    # OS service is configured (these tests run without it: its warning is taken out).
    abas = p.locator(".abas").bounding_box()
    assert abas and abas["y"] + abas["height"] <= 332, abas
    p.locator("#situacao-os").evaluate("e => e.replaceChildren()")
    primeiro = p.locator("#cartoes-AGUARDANDO > .cartao").first.bounding_box()
    assert primeiro and primeiro["y"] <= 367, primeiro
    assert p.evaluate("[document.documentElement.scrollWidth, innerWidth]") == [390, 390]
    menu = p.get_by_role("checkbox", name="Menu")
    caixa = menu.bounding_box()
    assert caixa and caixa["height"] >= 44 and caixa["width"] >= 44, caixa
    for escondido in ("Histórico", "Indicadores", "Pessoas", "Configurações"):
        expect(p.get_by_role("link", name=escondido, exact=True)).to_be_hidden()
    # The shop's counts stay in view, on one row.
    contagens = [p.locator(f".links .{c}").bounding_box() for c in ("atrasadas", "em-risco")]
    assert all(contagens) and abs(contagens[0]["y"] - contagens[1]["y"]) < 10, contagens
    p.screenshot(path=ARTEFATOS / "quadro-gerente-telefone-menu-fechado.png")
    menu.check()
    for alvo in (
        p.get_by_label("Mecânico"), p.get_by_role("link", name="Minhas ordens"),
        p.get_by_role("link", name="Histórico", exact=True),
        p.get_by_role("link", name="Indicadores", exact=True),
        p.get_by_role("link", name="Pessoas", exact=True),
        p.get_by_role("link", name="Configurações", exact=True),
        p.get_by_text("Adicionar OS", exact=True),
        p.get_by_role("link", name="Trocar senha"),
    ):  # fmt: skip
        expect(alvo).to_be_visible()
        caixa = alvo.bounding_box()
        assert caixa and caixa["height"] >= 44 - 0.5, (alvo, caixa)
    p.screenshot(path=ARTEFATOS / "quadro-gerente-telefone-menu.png")
    # A filter that is on stays in view with "Menu" closed.
    p.goto("/?mecanico=101")
    expect(p.get_by_role("checkbox", name="Menu")).not_to_be_checked()
    expect(p.get_by_label("Mecânico")).to_be_visible()
    expect(p.get_by_role("link", name="Limpar filtros")).to_be_visible()


def test_quadro_do_mecanico_no_telefone_busca_legivel_e_primeiro_cartao_no_alto(
    app: Flask, usuarios_demo, abrir
) -> None:
    """A 360 px phone, the mechanic's board: the search was 92 px beside "Buscar" and "Minhas
    ordens", its placeholder cut to "Placa o". It keeps the row with both buttons ("Minhas
    ordens" on two lines), wide enough for its whole placeholder, every target 44 px, and
    the first card where it was (316 px here, before and after: no row added)."""
    fila = componente(FilaService, app)
    for n in range(4):
        fila.adicionar(
            8960 + n, GERENTE, Prioridade.NORMAL, {"placa": f"MEC{n}A60", "veiculo": "Fiat Uno"}
        )
    historico(app, 40)  # a forecast: the header's "Em risco: 0", as a shop's
    recalcular(app)
    telefone = abrir({"width": 360, "height": 740}, has_touch=True, is_mobile=True)
    p = telefone.entrar("mecanico", "mecanico123").pagina
    busca = p.get_by_role("searchbox", name="Buscar placa ou OS")
    assert busca.get_attribute("placeholder") == "Placa ou nº da OS"

    def placeholder_inteiro() -> None:
        texto_inteiro(busca)

    alvos = [
        busca, p.get_by_role("button", name="Buscar"), p.get_by_role("link", name="Minhas ordens")
    ]  # fmt: skip
    caixas = [alvo.bounding_box() for alvo in alvos]
    assert all(c and c["height"] >= 44 - 0.5 and c["width"] >= 44 for c in caixas), caixas
    assert len({round(c["y"]) for c in caixas}) == 1, caixas  # one row
    placeholder_inteiro()
    p.locator("#situacao-os").evaluate("e => e.replaceChildren()")  # as the manager's test
    primeiro = p.locator("#cartoes-AGUARDANDO > .cartao").first.bounding_box()
    assert primeiro and primeiro["y"] <= 320, primeiro
    assert p.evaluate("[document.documentElement.scrollWidth, innerWidth]") == [360, 360]
    p.screenshot(path=ARTEFATOS / "quadro-mecanico-telefone.png")
    # Her own orders on: "Minhas ordens ✓" and "Limpar filtros" share the next row (where
    # "Limpar filtros" went alone before), 44 px each; the search keeps its placeholder whole.
    p.get_by_role("link", name="Minhas ordens").click()
    ativo = p.locator(".filtros a.botao.ativo")
    expect(ativo).to_contain_text("Minhas ordens")
    caixas = [ativo.bounding_box(), p.get_by_role("link", name="Limpar filtros").bounding_box()]
    assert all(c and c["height"] >= 44 - 0.5 for c in caixas), caixas
    assert abs(caixas[0]["y"] - caixas[1]["y"]) < 2, caixas
    placeholder_inteiro()
    assert p.evaluate("[document.documentElement.scrollWidth, innerWidth]") == [360, 360]
    # "Na oficina toda:" and the shop's two counts: the counts share a line ("Em risco: 0"
    # wrapped alone under "Na oficina toda: Atrasadas: 0", read as unqualified).
    contagens = [p.locator(f".links .{c}").bounding_box() for c in ("atrasadas", "em-risco")]
    rotulo = p.locator(".rotulo-oficina").bounding_box()
    assert rotulo and all(contagens), contagens
    assert abs(contagens[0]["y"] - contagens[1]["y"]) < 4, contagens
    assert contagens[0]["y"] >= rotulo["y"], (rotulo, contagens)
    p.screenshot(path=ARTEFATOS / "quadro-mecanico-telefone-minhas.png")


def test_contagens_das_colunas_numa_linha_no_tablet_deitado(
    app: Flask, usuarios_demo, abrir
) -> None:
    """On a 1024 px landscape tablet a two-digit count broke inside its badge: "12" as "1"
    over "2" under "FINALIZADAS HOJE", "3 de 11" as "3 de" over "11" on "Minhas ordens". The
    title wraps instead; each count stays on one line."""
    fila = componente(FilaService, app)
    for n in range(11):
        fila_id = str(fila.adicionar(8900 + n, GERENTE, Prioridade.NORMAL)["_id"])
        fila.executar(fila_id, Acao.INICIAR_DIAGNOSTICO, GERENTE, {"mecanico_responsavel_id": 102})
    pessoa = abrir({"width": 1024, "height": 768}, has_touch=True).entrar("mecanico", "mecanico123")
    p = pessoa.pagina
    p.goto("/?mecanico=101")
    expect(p.locator("#contagem-EM_DIAGNOSTICO")).to_contain_text("de 11")
    linhas = p.locator(".coluna-titulo .contagem").evaluate_all(
        """cs => cs.map(c => {
          const linha = parseFloat(getComputedStyle(c).lineHeight) || 20;
          return [c.id, c.getBoundingClientRect().height < 1.6 * linha + 8];
        })"""
    )
    assert linhas and all(uma for _, uma in linhas), linhas
