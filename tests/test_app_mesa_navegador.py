"""The manager's desk in a real browser (Debian's Chromium through Playwright) against the app on a
real HTTP server and the real mongod: a reassignment reaching the mechanic's tablet live, and
screenshots of the indicators (desktop and tablet), the people page and a job card's print
preview in test-artifacts/."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests
from flask import Flask
from playwright.sync_api import expect

from tests.helpers import DA_FILA_AS
from tests.indicadores.dados_indicadores import GERENTE, carregar
from tests.navegador import ARTEFATOS, DESKTOP, PRAZO_TV, TABLET, ApiHttp, um_instante
from tests.previsao.previsao_oficina import historico, recalcular
from webapp.clock import Clock, agora
from webapp.components import componente
from webapp.fila.domain import Ator, MotivoPausa, Papel, Prioridade
from webapp.fila.service import FilaService
from webapp.pessoas.service import PessoasService
from webapp.settings import Settings

pytestmark = pytest.mark.navegador


def test_gerente_troca_o_mecanico_e_o_tablet_mostra_na_hora(
    live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    api = ApiHttp(live_server, settings)
    fila_id = api.post(
        "/fila-execucao",
        {
            "ordem_servico_id": 5101,
            "prioridade": "ALTA",
            "placa": "ATR5B01",
            "veiculo": "Fiat Toro",
        },
    )["fila_id"]
    api.post(f"/fila-execucao/{fila_id}/iniciar-diagnostico", {"mecanico_responsavel_id": 102})

    # Marcos (101) on his tablet, showing only his orders: the card is not there yet.
    marcos = abrir(TABLET, has_touch=True, is_mobile=True).entrar(
        "mecanico", usuarios_demo["mecanico"]["senha"]
    )
    marcos.pagina.goto("/?mecanico=101")
    expect(marcos.pagina.locator("#quadro[data-ao-vivo]")).to_have_count(1)
    expect(marcos.cartao(fila_id)).to_have_count(0)

    gerente = abrir(DESKTOP).entrar("gerente", usuarios_demo["gerente"]["senha"])
    g = gerente.pagina
    expect(g.locator("#filtro-mecanico")).to_contain_text("Paula Pereira — 1 em serviço")
    cartao = gerente.cartao(fila_id, "EM_DIAGNOSTICO")
    expect(cartao).to_contain_text("Paula Pereira")
    cartao.get_by_role("button", name="Mais ações da OS 5101").click()
    cartao.get_by_text("Atribuir mecânico").click()
    responsavel = cartao.get_by_label("Mecânico responsável")
    responsavel.select_option(label="Marcos Mecânico — 0 em serviço")
    cartao.get_by_role("button", name="Salvar mecânico").click()
    expect(gerente.cartao(fila_id, "EM_DIAGNOSTICO")).to_contain_text("Marcos Mecânico")
    # The filter's load follows, without a reload.
    opcao = "#filtro-mecanico option[value='{}']".format
    expect(g.locator(opcao(101))).to_have_text("Marcos Mecânico — 1 em serviço")
    expect(g.locator(opcao(102))).to_have_text("Paula Pereira — 0 em serviço")

    # Pushed by the change stream to the tablet, which now shows it among Marcos's orders.
    no_tablet = marcos.cartao(fila_id, "EM_DIAGNOSTICO")
    expect(no_tablet).to_be_visible(timeout=PRAZO_TV)
    expect(no_tablet).to_contain_text("Marcos Mecânico")
    ARTEFATOS.mkdir(exist_ok=True)
    marcos.pagina.screenshot(path=ARTEFATOS / "atribuicao-tablet.png")
    g.goto(f"/ordens/{fila_id}")
    expect(g.locator(".historico")).to_contain_text(
        "atribuiu o mecânico: de Paula Pereira para Marcos Mecânico"
    )
    for pessoa in (marcos, gerente):
        assert pessoa.erros == [], pessoa.erros


def test_filtro_de_mecanico_acompanha_o_turno_sem_perder_a_escolha(
    rapido: Flask, live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """A manager's board left open (beats every 0.2 s): a mechanic added joins the filter and
    one deactivated leaves it, with the next beat; a choice made and not yet sent ("Filtrar")
    stays through the pushes; while the list is in the manager's hands it is not redrawn, and
    the newest one goes in when they leave it."""
    api = ApiHttp(live_server, settings)
    gerente = abrir(DESKTOP).entrar("gerente", usuarios_demo["gerente"]["senha"])
    filtro = gerente.pagina.locator("#filtro-mecanico")
    expect(filtro.locator("option")).to_have_count(3)
    pessoas = componente(PessoasService, rapido)
    admin = Ator("admin", Papel.ADMIN)
    pessoas.criar("joana", "Joana Souza", "mecanico", 103, admin)
    expect(filtro.locator("option", has_text="Joana Souza — 0 em serviço")).to_have_count(1)

    filtro.select_option("102")  # Paula, not sent
    filtro.blur()
    fila_id = api.post("/fila-execucao", {"ordem_servico_id": 5111, "prioridade": "ALTA"})[
        "fila_id"
    ]
    api.post(f"/fila-execucao/{fila_id}/iniciar-diagnostico", {"mecanico_responsavel_id": 102})
    expect(filtro.locator("option", has_text="Paula Pereira — 1 em serviço")).to_have_count(1)
    expect(filtro).to_have_value("102")

    filtro.focus()  # the manager is on the list: it waits
    assert pessoas.definir_ativo("joana", False, admin)
    gerente.pagina.wait_for_timeout(1500)  # several beats
    expect(filtro.locator("option", has_text="Joana Souza")).to_have_count(1)
    gerente.pagina.locator("#busca").focus()
    expect(filtro.locator("option", has_text="Joana Souza")).to_have_count(0)
    expect(filtro).to_have_value("102")
    gerente.pagina.get_by_role("button", name="Filtrar").click()
    expect(gerente.pagina).to_have_url(re.compile(r"mecanico=102"))
    expect(gerente.cartao(fila_id, "EM_DIAGNOSTICO")).to_be_visible()
    assert gerente.erros == [], gerente.erros


def _tamanho_pdf(pdf: bytes) -> tuple[int, int]:
    """Width and height (points) of a PDF's first page."""
    caixa = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert caixa, "PDF sem MediaBox"
    return round(float(caixa[1])), round(float(caixa[2]))


def _semana_de_trabalho(app: Flask) -> str:
    """Finished orders over the last days, a few open and late: what a manager would look at.
    Returns an order's id for the job card."""
    fila = componente(FilaService, app)
    agora_ = agora()
    roteiro = [  # (priority, mechanic, days ago, minutes of each stage)
        ("URGENTE", 101, 0, (15, 35, 40, 10, 70)), ("ALTA", 102, 1, (30, 45, 90, 20, 120)),
        ("NORMAL", 101, 1, (60, 30, 180, 45, 90)), ("NORMAL", 102, 2, (90, 50, 240, 30, 150)),
        ("BAIXA", 101, 3, (120, 40, 300, 60, 60)), ("ALTA", 101, 4, (20, 25, 60, 15, 100)),
        ("NORMAL", 102, 5, (45, 60, 120, 30, 200)), ("URGENTE", 102, 6, (10, 20, 30, 5, 45)),
        ("NORMAL", 101, 6, (70, 35, 150, 40, 80)), ("BAIXA", 102, 2, (150, 55, 200, 90, 120)),
    ]  # fmt: skip
    relogio = componente(Clock, app)
    hoje = agora_.astimezone(relogio.fuso).date()
    for n, (prioridade, mecanico, dias, minutos) in enumerate(roteiro):
        # On the shop's day `dias` days back, as the indicators' period counts days: just after
        # midnight, "30 minutes before this time 6 days ago" is 7 days ago, out of the week.
        inicio_do_dia = relogio.dia(hoje - timedelta(days=dias))[0]
        fim = max(
            agora_ - timedelta(days=dias, minutes=30 + n),
            min(inicio_do_dia + timedelta(minutes=1 + n), agora_ - timedelta(seconds=1)),
        )
        pausas = {
            0: [(4, 10, 20, True)],  # waiting for parts during the repair
            1: [(2, 30, 60, False, MotivoPausa.AGUARDANDO_CLIENTE)],
            2: [(1, 5, 15, True, MotivoPausa.OUTRO)],
        }.get(n % 4, ())
        carregar(fila, 6000 + n, prioridade, mecanico, fim, minutos, pausas=pausas)
    fila.adicionar(6100, GERENTE, Prioridade.URGENTE, {"placa": "LAT1E01"},
                   instante=agora_ - timedelta(hours=2))  # fmt: skip
    fila.adicionar(6101, GERENTE, Prioridade.NORMAL,
                   {"placa": "LAT2E02", "previsao_entrega": agora_ - timedelta(minutes=20)},
                   instante=agora_ - timedelta(minutes=40))  # fmt: skip
    ficha = fila.adicionar(
        6200, GERENTE, Prioridade.ALTA,
        {"placa": "FIC7A88", "veiculo": "Toyota Hilux 2.8", "cliente": "Fazenda Boa Vista",
         "descricao": "Ruído na suspensão dianteira e volante puxando para a direita.",
         "previsao_entrega": agora_ + timedelta(hours=5)},
    )  # fmt: skip
    return str(ficha["_id"])


def test_telas_do_gerente(app: Flask, live_server: str, usuarios_demo, abrir) -> None:
    ARTEFATOS.mkdir(exist_ok=True)
    ficha_id = _semana_de_trabalho(app)
    senha = usuarios_demo["gerente"]["senha"]

    mesa = abrir(DESKTOP).entrar("gerente", senha)
    p = mesa.pagina
    p.goto("/indicadores")
    expect(p.get_by_role("heading", name="Tempo por etapa")).to_be_visible()
    expect(p.locator(".numero").first).to_contain_text("10")
    expect(p.locator("#atrasadas tbody tr")).to_have_count(2)
    expect(
        p.get_by_role("img", name="Tempo por etapa, sem as esperas: o tempo em que metade")
    ).to_be_visible()
    expect(p.get_by_role("img", name="Tempo somado por etapa: fora de espera")).to_be_visible()
    perdido = p.locator("#tempo-perdido tbody tr.linha-total")
    expect(perdido).to_contain_text("Do início ao fim")
    expect(perdido.locator("td").nth(1)).to_contain_text("1 h 00 min")  # 3 holds for parts
    p.screenshot(path=ARTEFATOS / "indicadores-desktop.png", full_page=True)
    # On a 1280-px screen every table fits whole ("9 em 10:" may go above its time): the last
    # column, "Depois da promessa", was cut off behind a sideways scroll.
    p.set_viewport_size({"width": 1280, "height": 900})
    rolam = p.locator(".tabela-rolavel").evaluate_all(
        "rs => rs.filter(r => r.scrollWidth > r.clientWidth + 1).map(r => r.ariaLabel)"
    )
    assert rolam == [], rolam
    p.set_viewport_size(DESKTOP)
    p.goto("/pessoas")
    expect(p.get_by_role("heading", name="Equipe")).to_be_visible()
    p.screenshot(path=ARTEFATOS / "pessoas.png", full_page=True)

    p.goto(f"/ordens/{ficha_id}/ficha")
    expect(p.get_by_role("button", name="Imprimir")).to_be_visible()  # imprimir.js ran
    p.emulate_media(media="print")
    expect(p.locator(".barra-ficha")).to_be_hidden()
    expect(p.locator(".topo")).to_be_hidden()
    expect(p.get_by_role("img", name="Código QR da OS 6200")).to_be_visible()
    p.set_viewport_size({"width": 794, "height": 1123})  # an A4 sheet at 96 dpi
    p.screenshot(path=ARTEFATOS / "ficha-impressao-a4.png", full_page=True)
    # Printed, each layout has its own page size (@page folha / recibo), in points.
    assert _tamanho_pdf(p.pdf(prefer_css_page_size=True)) == (595, 842)  # A4
    p.goto(f"/ordens/{ficha_id}/ficha?formato=80mm")
    expect(p.locator(".ficha-os")).to_contain_text("FIC7A88")
    p.set_viewport_size({"width": 302, "height": 760})  # an 80 mm roll
    p.screenshot(path=ARTEFATOS / "ficha-impressao-80mm.png", full_page=True)
    assert _tamanho_pdf(p.pdf(prefer_css_page_size=True)) == (227, 567)  # 80 x 200 mm
    p.emulate_media(media="screen")
    p.set_viewport_size(DESKTOP)

    tablet = abrir(TABLET, has_touch=True, is_mobile=True).entrar("gerente", senha)
    t = tablet.pagina
    t.goto("/indicadores")
    expect(t.get_by_role("heading", name="Por mecânico")).to_be_visible()
    # The charts fit the tablet's width: no sideways scrolling of the page.
    assert t.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    t.screenshot(path=ARTEFATOS / "indicadores-tablet.png", full_page=True)

    # A phone gets the narrow drawings, labels above the bars: their text as big as the page's
    # small print (the wide ones, shrunk to 332 px, had 7-pixel labels).
    fone = abrir({"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    f = fone.entrar("gerente", senha).pagina
    f.goto("/indicadores")
    expect(f.locator(".grafico-largo").first).to_be_hidden()
    expect(f.get_by_role("img", name="Tempo somado por etapa: fora de espera")).to_be_visible()
    alturas = f.locator(".grafico-estreito .rotulo, .grafico-estreito .valor").evaluate_all(
        "ts => ts.filter(t => t.getClientRects().length).map(t => t.getBoundingClientRect().height)"
    )
    assert alturas and min(alturas) >= 11, alturas
    assert f.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    # The late orders' table never squeezes (its reasons ran a word a line): on a phone each
    # row stacks, every cell the screen's width under its column's name, a line or two each.
    celulas = (
        f.locator("#atrasadas tbody tr")
        .first.locator("td")
        .evaluate_all(
            "cs => cs.map(c => [c.getBoundingClientRect().width, c.getBoundingClientRect().height,"
            " getComputedStyle(c, '::before').content])"
        )
    )
    assert len(celulas) == 6, celulas
    for largura, altura, rotulo in celulas:
        assert largura > 300 and altura < 80 and rotulo.endswith(': "'), celulas
    f.screenshot(path=ARTEFATOS / "indicadores-celular.png", full_page=True)

    for pessoa in (mesa, tablet, fone):
        assert pessoa.erros == [], pessoa.erros  # CSP violations included


def test_atrasadas_mostram_mais_no_navegador(
    app: Flask, live_server: str, usuarios_demo, abrir
) -> None:
    """After a long weekend, 60 orders late: the table shows the oldest 50, and "Mostrar mais"
    (htmx) puts the other 10 below them, in order, and goes away; without JavaScript the same
    link opens them as a page of their own."""
    fila, agora_ = componente(FilaService, app), agora()
    for n in range(60):  # urgent, waiting 3 hours or more: past the red threshold
        fila.adicionar(7000 + n, GERENTE, Prioridade.URGENTE, {"placa": f"ATR{n:04d}"},
                       instante=agora_ - timedelta(hours=3, minutes=n))  # fmt: skip
    senha = usuarios_demo["gerente"]["senha"]
    mesa = abrir(TABLET, has_touch=True, is_mobile=True).entrar("gerente", senha)
    p = mesa.pagina
    p.goto("/indicadores#atrasadas")
    linhas = p.locator("#linhas-atrasadas tr")
    expect(linhas).to_have_count(50)
    expect(linhas.first).to_contain_text("7059")  # the oldest first
    p.get_by_role("link", name="Mostrar mais ordens atrasadas agora").focus()
    p.keyboard.press("Enter")  # the keyboard's way: it is left on the first row that came
    expect(linhas).to_have_count(60)
    expect(linhas.nth(50).get_by_role("link", name="7009")).to_be_focused()
    expect(p.locator("#anuncios")).to_have_text("10 linhas a mais.")
    expect(linhas.nth(50)).to_contain_text("7009")
    expect(linhas.last).to_contain_text("7000")
    expect(p.locator("#seguintes-atrasadas a")).to_have_count(0)  # nothing more
    assert p.url.endswith("/indicadores#atrasadas")  # the same page, grown

    sem_js = abrir(DESKTOP, java_script_enabled=False)
    s = sem_js.entrar_sem_js("gerente", senha)
    s.goto("/indicadores")
    s.get_by_role("link", name="Mostrar mais ordens atrasadas agora").click()
    expect(s.get_by_role("heading", name="Atrasadas agora: as seguintes")).to_be_visible()
    expect(s.locator("#linhas-atrasadas tr")).to_have_count(10)
    expect(s.get_by_role("link", name="Voltar aos indicadores")).to_be_visible()
    for pessoa in (mesa, sem_js):
        assert pessoa.erros == [], pessoa.erros


def test_acoes_na_pagina_da_ordem_mostram_a_ordem_como_ela_esta(
    live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """On the order's page (JavaScript on) an action reloads it: a step refused because a
    mechanic was faster shows the order as it is now (its situation, history and actions, with
    who did it), a step done shows it done, and a removal lands on the board with what
    happened. Before, htmx answered with the board's partials, which found no card on this
    page: it stayed as it was, offering steps already taken, or a removed order's."""
    api = ApiHttp(live_server, settings)
    fila_id = api.post("/fila-execucao", {"ordem_servico_id": 5301, "placa": "ORD5A01"})["fila_id"]
    gerente = abrir(TABLET, has_touch=True, is_mobile=True).entrar(
        "gerente", usuarios_demo["gerente"]["senha"]
    )
    p = gerente.pagina
    p.goto(f"/ordens/{fila_id}")
    expect(p.locator(".ficha")).to_contain_text("Aguardando diagnóstico")
    api.post(f"/fila-execucao/{fila_id}/iniciar-diagnostico", {"mecanico_responsavel_id": 102})
    p.get_by_role("button", name="Iniciar diagnóstico").click()
    # The reason, with who was faster, said once: the summary at the top (it was said again
    # below the fields).
    expect(p.locator("#resumo-erros")).to_contain_text(
        re.compile(r"A integração \S+ já iniciou o diagnóstico às \d\d:\d\d\.")
    )
    expect(p.locator(".detalhe").get_by_text("já iniciou o diagnóstico")).to_have_count(0)
    expect(p.locator(".ficha")).to_contain_text("Paula Pereira")  # as it is now
    expect(p.locator(".historico")).to_contain_text("iniciou o diagnóstico")
    expect(p.get_by_role("button", name="Iniciar diagnóstico")).to_have_count(0)
    assert p.url.endswith(f"/ordens/{fila_id}")

    p.get_by_text("Colocar em espera", exact=True).click()
    p.get_by_role("button", name="Confirmar espera").click()
    expect(p.get_by_role("button", name="Retomar")).to_be_visible()  # done, and shown
    expect(p.locator(".ficha")).to_contain_text("Em espera")
    # And said, as the board's line says it (the reloaded page was silent).
    expect(p.locator(".aviso-ok[role=status]")).to_contain_text(
        "Gabriela Gerente colocou a OS 5301 (ORD5A01) em espera"
    )

    p.get_by_text("Remover", exact=True).click()
    p.get_by_role("button", name="Confirmar remoção").click()
    expect(p.locator("#quadro")).to_be_visible()  # the board, the order gone
    removeu = re.compile(rf"Gabriela Gerente removeu a OS 5301 \(ORD5A01\) {DA_FILA_AS}")
    expect(p.get_by_text(removeu)).to_be_visible()
    assert gerente.erros == [], gerente.erros


def test_adicionar_os_pelo_teclado_deixa_o_foco_no_resultado(
    live_server: str, usuarios_demo, abrir
) -> None:
    """ "Adicionar OS" by keyboard: added, the new card has the focus; refused (already in the
    queue), the field to fix. The answer draws the form again, which left the focus on
    <body>, and the next Tab at the top of the page."""
    gerente = abrir(DESKTOP).entrar("gerente", usuarios_demo["gerente"]["senha"])
    p = gerente.pagina
    p.get_by_text("Adicionar OS", exact=True).click()
    p.get_by_label("Número da OS").fill("5401")
    p.get_by_label("Número da OS").press("Enter")
    cartao = p.locator("li.cartao", has_text="OS 5401")
    expect(cartao).to_be_focused()
    p.get_by_text("Adicionar OS", exact=True).click()
    p.get_by_label("Número da OS").fill("5401")
    p.get_by_label("Número da OS").press("Enter")
    expect(p.locator("#nova-ordem")).to_contain_text("A OS 5401 já está na fila.")
    expect(p.get_by_label("Número da OS")).to_be_focused()
    assert gerente.erros == [e for e in gerente.erros if "409" in e], gerente.erros


def test_remover_pelo_teclado_deixa_o_foco_no_cartao_ao_lado(
    live_server: str, usuarios_demo, abrir
) -> None:
    """A removal confirmed by keyboard takes its card, and the focused button, off the page:
    the focus goes to the card that was after it, never to <body> (the next Tab at the top of
    the page)."""
    gerente = abrir(DESKTOP).entrar("gerente", usuarios_demo["gerente"]["senha"])
    p = gerente.pagina
    for numero in ("5501", "5502", "5503"):
        p.get_by_text("Adicionar OS", exact=True).click()
        p.get_by_label("Número da OS").fill(numero)
        p.get_by_label("Número da OS").press("Enter")
        # The form's own answer (it closes the form and focuses the new card), not only the
        # card pushed by the stream, which can come first: a click on "Adicionar OS" between
        # the two had its form closed again by that answer (seen on a loaded machine).
        expect(p.locator("li.cartao", has_text=f"OS {numero}")).to_be_focused()
    meio = p.locator("li.cartao", has_text="OS 5502")
    # A low window: with its actions open, the card runs past the screen's top once its
    # confirmation is in view, and so would the card that takes its place.
    p.set_viewport_size({"width": DESKTOP["width"], "height": 420})
    um_instante(p)  # the cards have just moved down as each was added
    meio.get_by_role("button", name="Mais ações da OS 5502").click()
    meio.get_by_text("Remover", exact=True).click()
    meio.get_by_role("button", name="Confirmar remoção").focus()
    p.keyboard.press("Enter")
    expect(p.locator("li.cartao", has_text="OS 5502")).to_have_count(0)
    depois = p.locator("li.cartao", has_text="OS 5503")
    expect(depois).to_be_focused()
    expect(depois).to_be_in_viewport(ratio=0.9)  # where the keyboard is, in view
    assert gerente.erros == [], gerente.erros


def test_confirmacao_da_entrega_no_passado_fica_logo_abaixo_do_campo(usuarios_demo, abrir) -> None:
    """A promise already past asks for a confirmation "logo abaixo": the box came at the
    grid's end, beside "Reclamação do cliente", far from the date it confirms."""
    gerente = abrir(DESKTOP).entrar("gerente", usuarios_demo["gerente"]["senha"])
    p = gerente.pagina
    p.get_by_text("Adicionar OS", exact=True).click()
    p.get_by_label("Número da OS").fill("5402")
    p.get_by_label("Entrega prometida").fill("2020-01-02T10:00")
    p.get_by_role("button", name="Adicionar à fila").click()
    caixa = p.get_by_label("Sim, a entrega prometida é mesmo no passado")
    expect(caixa).to_be_visible()
    campo = p.get_by_label("Entrega prometida", exact=True).bounding_box()
    marcar = caixa.bounding_box()
    p.screenshot(path=ARTEFATOS / "nova-ordem-entrega-no-passado.png")
    assert abs(marcar["x"] - campo["x"]) < 8, (campo, marcar)  # the same column
    # Under it, its message between them (it came a whole row lower, at the grid's end).
    assert 0 <= marcar["y"] - (campo["y"] + campo["height"]) < 200, (campo, marcar)
    # The fields beside it keep their row: the next one comes right under the first (a blank
    # band of ~170 px opened under them, the tall cell stretching their row).
    numero = p.get_by_label("Número da OS").bounding_box()
    reclamacao = p.get_by_label("Reclamação do cliente").bounding_box()
    assert reclamacao["y"] - (numero["y"] + numero["height"]) < 60, (numero, reclamacao)
    caixa.check()
    p.get_by_role("button", name="Adicionar à fila").click()
    expect(p.locator("li.cartao", has_text="OS 5402")).to_be_visible()
    assert gerente.erros == [e for e in gerente.erros if "400" in e], gerente.erros


def test_dia_errado_nos_indicadores_aparece_no_campo_para_corrigir(usuarios_demo, abrir) -> None:
    """/indicadores opened with a day no calendar has (a link, a bookmark typed by hand): the
    error was said, but its date field, given "2026-13-45", showed an empty box. The field
    shows what was typed, focused, to be corrected in place; corrected, the period shows."""
    tablet = abrir(TABLET, has_touch=True, is_mobile=True)
    p = tablet.entrar("gerente", usuarios_demo["gerente"]["senha"]).pagina
    p.goto("/indicadores?periodo=personalizado&de=2026-13-45&ate=2026-03-07")
    expect(p.locator("#erro-periodo")).to_contain_text("45/13/2026 não existe no calendário")
    de = p.get_by_label("De", exact=True)
    expect(de).to_have_value("2026-13-45")
    expect(de).to_be_focused()
    expect(p.get_by_label("até", exact=True)).to_have_value("2026-03-07")
    # On the same row as before: "até" and "Ver período" beside it, not pushed below.
    caixas = [p.locator(s).bounding_box() for s in ("#de", "#ate", ".periodo-personalizado button")]
    assert len({round(c["y"]) for c in caixas}) == 1, caixas
    p.screenshot(path=ARTEFATOS / "indicadores-dia-errado.png")
    de.fill("2026-03-01")
    p.get_by_role("button", name="Ver período").click()
    expect(p.locator(".periodo-atual")).to_contain_text("De 01/03/2026 a 07/03/2026")
    expect(p.get_by_label("De", exact=True)).to_have_value("2026-03-01")
    expect(p.locator("#erro-periodo")).to_have_count(0)
    assert tablet.erros == [e for e in tablet.erros if "400" in e], tablet.erros


def test_salvar_numa_ordem_removida_diz_nao_salvo_onde_a_pessoa_olha(
    live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """A manager chooses a priority on an order someone removes meanwhile, then saves: the
    card went with the answer and the reason was only on the page's line, out of view, the
    focus on <body>. A toast says it was not saved and why; the keyboard goes on from the
    card beside it."""
    api = ApiHttp(live_server, settings)
    vizinha = api.post("/fila-execucao", {"ordem_servico_id": 5601})["fila_id"]
    fila_id = api.post("/fila-execucao", {"ordem_servico_id": 5602})["fila_id"]
    gerente = abrir(DESKTOP).entrar("gerente", usuarios_demo["gerente"]["senha"])
    p = gerente.pagina
    cartao = gerente.cartao(fila_id)
    cartao.get_by_role("button", name="Mais ações da OS 5602").click()
    cartao.get_by_text("Prioridade", exact=True).click()
    cartao.get_by_label("Nova prioridade").select_option("URGENTE")
    removida = requests.delete(f"{live_server}/fila-execucao/{fila_id}", headers=api.headers)
    assert removida.status_code == 204, removida.text
    expect(cartao.locator(".aviso-atualizado")).to_contain_text("removeu a OS 5602")
    cartao.get_by_role("button", name="Salvar prioridade").click()
    aviso = p.locator("#toasts .toast-recusa")
    expect(aviso).to_contain_text(re.compile(r"^Não salvo: .+ removeu a OS 5602 .*da fila"))
    expect(aviso).to_be_in_viewport()
    expect(aviso.get_by_role("button", name="Ver")).to_have_count(0)  # nothing left to see
    p.screenshot(path=ARTEFATOS / "toast-ordem-removida.png")
    expect(gerente.cartao(vizinha)).to_be_focused()
    assert gerente.erros == [e for e in gerente.erros if "404" in e], gerente.erros


def test_ordem_adicionada_pelo_teclado_fica_inteira_na_tela(
    app: Flask, usuarios_demo, abrir
) -> None:
    """A manager adds an OS from the keyboard on a full column: the new card takes the focus
    and is scrolled to the window's bottom edge, then grows as its forecast comes by a push
    a moment later, and was cut there. It is followed while it keeps the focus."""
    historico(app, 40)  # a forecast for every card: the new one's line comes after it
    fila = componente(FilaService, app)
    for n in range(6):
        dados = {"placa": f"KBD{n}A60", "veiculo": "Fiat Uno", "descricao": "Revisão"}
        fila.adicionar(5600 + n, GERENTE, Prioridade.NORMAL, dados)
    recalcular(app)
    gerente = abrir(DESKTOP).entrar("gerente", usuarios_demo["gerente"]["senha"])
    p = gerente.pagina
    p.locator("#nova-ordem > summary").focus()
    p.keyboard.press("Enter")
    p.get_by_label("Número da OS").fill("5699")
    p.get_by_label("Prioridade").select_option("BAIXA")  # the column's last card
    p.get_by_label("Número da OS").press("Enter")
    novo = p.locator("li.cartao", has_text="OS 5699")
    expect(novo).to_be_focused()
    antes = novo.bounding_box()
    recalcular(app)  # the recompute its step asks for, as the shop's worker would run it
    expect(novo.locator(".previsao-pronto")).to_be_visible(timeout=PRAZO_TV)  # it grew
    um_instante(p)
    caixa = novo.bounding_box()
    assert antes and caixa and caixa["height"] > antes["height"], (antes, caixa)
    assert caixa["y"] > DESKTOP["height"] / 3, caixa  # scrolled to, from below
    assert caixa["y"] + caixa["height"] <= DESKTOP["height"] + 0.5, caixa
    assert gerente.erros == [], gerente.erros
