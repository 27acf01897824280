"""The forecast in a real browser: a recompute reaching boards already open (the first forecast
of a card too, and the risk flag turning on and off), the manager's one tap that makes the
forecast the new promise (with JavaScript and without), the TV and the order's page."""

from __future__ import annotations

import re
from datetime import UTC, timedelta

import pytest
import time_machine
from flask import Flask
from playwright.sync_api import expect

from tests.helpers import DIA_E_HORA
from tests.navegador import ARTEFATOS, DESKTOP, PRAZO_TV, TABLET, TV, ApiHttp, um_instante
from tests.previsao.previsao_oficina import historico, recalcular
from webapp.broker import RESSINCRONIZAR, Broker, Evento
from webapp.clock import DIAS_DA_SEMANA, Clock, agora
from webapp.components import componente
from webapp.configuracoes.repository import ConfiguracoesRepository
from webapp.mongo import Mongo
from webapp.previsao.queries import PrevisaoQueries
from webapp.settings import Settings

pytestmark = pytest.mark.navegador


def _iso(dias: float = 0, minutos: float = 0) -> str:
    return (agora() + timedelta(days=dias, minutes=minutos)).astimezone(UTC).isoformat()


def _oficina(app: Flask, api: ApiHttp) -> tuple[str, str]:
    """40 finished orders; one order promised far ahead, one promised in 30 minutes."""
    historico(app, 40)
    no_prazo = api.post(
        "/fila-execucao",
        {"ordem_servico_id": 1001, "placa": "ABC1D23", "previsao_entrega": _iso(dias=40)},
    )["fila_id"]
    em_risco = api.post(
        "/fila-execucao",
        {"ordem_servico_id": 1002, "placa": "RSC0A12", "previsao_entrega": _iso(minutos=30)},
    )["fila_id"]
    return no_prazo, em_risco


def test_risco_chega_ao_quadro_aberto_e_o_gerente_promete_num_toque(
    app: Flask, live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    api = ApiHttp(live_server, settings)
    no_prazo, em_risco = _oficina(app, api)
    gerente = abrir(DESKTOP).entrar("gerente", "gerente123")
    mecanico = abrir(TABLET, has_touch=True, is_mobile=True).entrar("mecanico", "mecanico123")
    for pessoa in (gerente, mecanico):
        expect(pessoa.pagina.locator("#em-risco-contagem")).to_have_text("Previsão: calculando…")
        expect(pessoa.cartao(em_risco).locator(".previsao")).to_have_count(0)

    # The first recompute: every open board gets each card's forecast line, unreloaded.
    # Both recomputes run at this instant: a waiting car's p80 drifts later with the clock
    # during working hours, and a drift past the adopted promise's rounding (up to the next
    # 5 minutes) is a real risk again, not what this test is about.
    instante = agora()
    with time_machine.travel(instante, tick=False):
        recalcular(app)
    for pessoa in (gerente, mecanico):
        linha = pessoa.cartao(em_risco).locator(".previsao")
        expect(linha).to_contain_text("Em risco", timeout=PRAZO_TV)
        expect(linha).to_contain_text("Pronto")
        expect(pessoa.cartao(no_prazo).locator(".previsao")).to_contain_text("Pronto")
        expect(pessoa.cartao(no_prazo).locator(".previsao")).not_to_contain_text("Em risco")
        expect(pessoa.pagina.locator("#em-risco-contagem")).to_have_text("Em risco: 1")
    botao = gerente.cartao(em_risco).get_by_role("button", name="Prometer")
    expect(botao).to_be_visible()
    # Pushed alone, the line still names its order to a screen reader.
    os_risco = api.get(f"/fila-execucao/{em_risco}")["ordem_servico_id"]
    # "Prometer amanhã 09:35 (OS …)", or without the day when the p80 falls today (a run
    # after the shop's midnight, before it opens).
    expect(botao).to_have_accessible_name(re.compile(rf"^Prometer {DIA_E_HORA} \(OS {os_risco}\)$"))
    expect(mecanico.cartao(em_risco).get_by_role("button", name="Prometer")).to_have_count(0)
    gerente.pagina.screenshot(path=ARTEFATOS / "previsao-quadro-em-risco.png", full_page=True)
    mecanico.pagina.screenshot(path=ARTEFATOS / "previsao-tablet-em-risco.png")

    # One tap: the forecast shown is the new promise, recorded; the card says so at once.
    prometido = botao.inner_text().removeprefix("Prometer ").strip()
    um_instante(gerente.pagina)  # the forecast lines have just come, moving the cards
    botao.click()
    cartao = gerente.cartao(em_risco)
    expect(cartao.locator(".previsao")).not_to_contain_text("Em risco")
    expect(cartao.locator(".dados")).to_contain_text(prometido)  # "Entrega 05/12 17:10"
    item = api.get(f"/fila-execucao/{em_risco}")
    assert item["historico"][-1]["acao"] == "adotar_previsao"
    assert item["historico"][-1]["por"] == "gerente"
    expect(gerente.pagina.locator("#anuncios")).to_contain_text("Gerente prometeu a OS 1002")

    # The next recompute turns the flag off everywhere, the mechanic's tablet included.
    with time_machine.travel(instante, tick=False):
        recalcular(app)
    expect(mecanico.cartao(em_risco).locator(".previsao")).not_to_contain_text(
        "Em risco", timeout=PRAZO_TV
    )
    expect(mecanico.pagina.locator("#em-risco-contagem")).to_have_text("Em risco: 0")
    expect(gerente.pagina.locator("#em-risco-contagem")).to_have_text("Em risco: 0")
    assert gerente.erros == [] and mecanico.erros == []


def test_prometer_sem_javascript(
    app: Flask, live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    api = ApiHttp(live_server, settings)
    _, em_risco = _oficina(app, api)
    recalcular(app)
    gerente = abrir(DESKTOP, java_script_enabled=False)
    gerente.entrar_sem_js("gerente", "gerente123")
    gerente.cartao(em_risco).get_by_role("button", name="Prometer").click()
    expect(gerente.cartao(em_risco)).to_be_visible()
    expect(gerente.cartao(em_risco).locator(".previsao")).not_to_contain_text("Em risco")
    assert api.get(f"/fila-execucao/{em_risco}")["historico"][-1]["acao"] == "adotar_previsao"


def test_indicadores_abertos_antes_do_primeiro_calculo_mostram_a_lista_quando_ele_sai(
    app: Flask, live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """The at-risk list of /indicadores opened before the first recompute ("Previsão:
    calculando… A lista aparece em instantes."): the section reads itself again until the list
    comes, the period asked for kept in its "Prometer"; then it stops reading (a list shown
    stays as read). Opened while there is no forecast (no mechanic active), it reads itself
    once a minute, and the list comes when there is one again."""
    api = ApiHttp(live_server, settings)
    _, em_risco = _oficina(app, api)
    gerente = abrir(DESKTOP).entrar("gerente", "gerente123")
    leituras: list[str] = []
    gerente.pagina.on(
        "request", lambda r: leituras.append(r.url) if "/em-risco/agora" in r.url else None
    )
    gerente.pagina.goto("/indicadores?periodo=30d")
    secao = gerente.pagina.locator("#em-risco")
    expect(secao).to_contain_text("Previsão: calculando… A lista aparece em instantes.")
    recalcular(app)
    expect(secao.locator("#linhas-em-risco")).to_contain_text("RSC0A12", timeout=12_000)
    assert leituras and all("periodo=30d" in u for u in leituras), leituras
    lidas = len(leituras)
    gerente.pagina.wait_for_timeout(6_000)
    assert len(leituras) == lidas, leituras  # a list shown is not read again
    secao.get_by_role("button", name="Prometer").click()
    expect(gerente.pagina).to_have_url(f"{live_server}/indicadores?periodo=30d")
    expect(secao.locator(".aviso-ok")).to_be_focused()  # what was done, where it was done
    expect(secao.locator(".aviso-ok")).to_be_in_viewport()
    assert api.get(f"/fila-execucao/{em_risco}")["historico"][-1]["acao"] == "adotar_previsao"
    assert gerente.erros == []

    usuarios = componente(Mongo, app).db.usuarios
    mecanicos = {"login": {"$in": ["mecanico", "mecanico2"]}}
    usuarios.update_many(mecanicos, {"$set": {"ativo": False}})
    recalcular(app)
    outro = abrir(DESKTOP)
    outro.pagina.clock.install()
    outro.entrar("gerente", "gerente123")
    outro.pagina.goto("/indicadores")
    secao = outro.pagina.locator("#em-risco")
    expect(secao).to_contain_text("Sem previsão (nenhum mecânico ativo)")
    usuarios.update_many(mecanicos, {"$set": {"ativo": True}})
    recalcular(app)
    outro.pagina.clock.run_for(55_000)
    expect(secao).to_contain_text("Sem previsão (nenhum mecânico ativo)")
    outro.pagina.clock.run_for(6_000)  # the minute's re-read
    expect(secao.locator("table")).to_be_visible()
    expect(secao).not_to_contain_text("Sem previsão")
    assert outro.erros == []


def test_gerente_digita_a_previsao_de_entrega_no_mais(
    app: Flask, live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """The customer agreed to another time: the manager types it in the card's "Mais…"; a
    time already past is refused beside the field, with the focus there; the card and a
    mechanic's open board show the new promise."""
    api = ApiHttp(live_server, settings)
    fila_id = api.post("/fila-execucao", {"ordem_servico_id": 1010, "placa": "DIG1T00"})["fila_id"]
    gerente = abrir(TABLET, has_touch=True, is_mobile=True).entrar("gerente", "gerente123")
    mecanico = abrir(DESKTOP).entrar("mecanico", "mecanico123")
    cartao = gerente.cartao(fila_id)
    cartao.get_by_role("button", name="Mais ações da OS 1010").click()
    cartao.locator("summary", has_text="Entrega prometida").click()
    campo = cartao.get_by_label("Nova entrega prometida")
    fuso = componente(Clock, app).fuso
    ontem = (agora() - timedelta(days=1)).astimezone(fuso)
    campo.fill(ontem.strftime("%Y-%m-%dT%H:%M"))
    cartao.get_by_role("button", name="Salvar entrega prometida").click()
    erro = cartao.locator(".erro-campo")
    expect(erro).to_contain_text(f"Este horário ({ontem:%d/%m/%Y %H:%M}) já passou")
    expect(cartao.get_by_label("Nova entrega prometida")).to_be_focused()
    gerente.pagina.screenshot(path=ARTEFATOS / "previsao-digitada-recusa.png")
    assert api.get(f"/fila-execucao/{fila_id}")["previsao_entrega"] is None

    amanha = (agora() + timedelta(days=1)).astimezone(fuso).replace(hour=17, minute=30)
    cartao.get_by_label("Nova entrega prometida").fill(amanha.strftime("%Y-%m-%dT%H:%M"))
    cartao.get_by_role("button", name="Salvar entrega prometida").click()
    expect(cartao.locator(".dados")).to_contain_text("Entrega amanhã 17:30")
    expect(gerente.pagina.locator("#anuncios")).to_contain_text(
        "Gerente mudou a entrega prometida da OS 1010"
    )
    expect(mecanico.cartao(fila_id).locator(".dados")).to_contain_text(
        "Entrega amanhã 17:30", timeout=PRAZO_TV
    )
    assert api.get(f"/fila-execucao/{fila_id}")["historico"][-1]["acao"] == "alterar_promessa"
    gerente.pagina.screenshot(path=ARTEFATOS / "previsao-digitada-tablet.png")
    # The refusal's 400 is the browser's only console line.
    assert [e for e in gerente.erros if "400" not in e] == [] and mecanico.erros == []


def test_nova_os_no_balcao_ate_a_previsao_na_sua_pagina(
    app: Flask, live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """At the counter: the advisor adds the car, follows "Abrir a OS" to its page, and the
    forecast is there within seconds of the recompute (the page reads every 5 s while it is
    on its way), then the page goes back to a read every 30 s (htmx re-arms the poll with the
    interval each answer carries)."""
    api = ApiHttp(live_server, settings)
    _oficina(app, api)
    recalcular(app)
    gerente = abrir(DESKTOP)
    p = gerente.pagina
    p.clock.install()
    gerente.entrar("gerente", "gerente123")
    p.get_by_text("Adicionar OS", exact=True).click()
    p.get_by_label("Número da OS").fill("1301")
    p.get_by_label("Número da OS").press("Enter")
    # Said where the page went (the new card, at the end of its column), the link in view.
    abrir_os = p.locator("li.cartao", has_text="OS 1301").get_by_role(
        "link", name="Abrir a OS 1301"
    )
    expect(abrir_os).to_be_in_viewport()
    um_instante(p)  # a tap on a card that just moved is not taken (the board's guard)
    abrir_os.click()
    agora_ = p.locator("#ordem-agora")
    expect(agora_).to_contain_text("Ainda não calculada para esta ordem")
    expect(agora_).to_have_attribute("hx-trigger", "every 5s")
    leituras: list[str] = []
    p.on("request", lambda r: leituras.append(r.url) if "/agora" in r.url else None)
    recalcular(app)
    p.clock.run_for("00:06")
    expect(agora_).to_contain_text("8 em 10 ficam prontos até")
    expect(agora_).to_have_attribute("hx-trigger", "every 30s")
    lidas = len(leituras)
    assert lidas >= 1
    fila_id = api.get("/fila-execucao/ordem-servico/1301")["fila_id"]
    api.patch(f"/fila-execucao/{fila_id}/prioridade", {"prioridade": "URGENTE"})
    p.clock.run_for("00:20")
    p.wait_for_timeout(500)  # a read the old 5-s poll would make has gone out by now
    assert len(leituras) == lidas, leituras[lidas:]
    expect(agora_).not_to_contain_text("Urgente")
    p.clock.run_for("00:11")
    expect(agora_).to_contain_text("Urgente")
    assert gerente.erros == [], gerente.erros


def test_tv_pagina_da_ordem_e_indicadores_com_a_previsao(
    app: Flask, live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    api = ApiHttp(live_server, settings)
    no_prazo, em_risco = _oficina(app, api)
    recalcular(app)
    token, _ = componente(ConfiguracoesRepository, app).criar_passe("TV", "gerente")
    tv = abrir(TV)
    tv.pagina.goto(f"/painel?token={token}")
    cartao = tv.pagina.locator(f"#painel-cartao-{em_risco}")
    expect(cartao.locator(".painel-previsao")).to_contain_text("Em risco")
    expect(tv.pagina.locator(f"#painel-cartao-{no_prazo} .painel-previsao")).to_contain_text(
        "pronto"
    )
    # "pronto ~17:05" on one line: the time alone under it read as a stray number. Read in
    # one go (a redraw between reads found a node no longer drawn).
    linhas = tv.pagina.evaluate(
        """() => [...document.querySelectorAll('.painel-pronto')]
          .map((e) => new Set([...e.getClientRects()].map((r) => Math.round(r.bottom))).size)
          .filter((n) => n > 0)"""
    )
    assert linhas and set(linhas) == {1}, linhas
    expect(tv.pagina.locator("#painel-carga")).to_contain_text("Em risco de atrasar: 1")
    tv.pagina.screenshot(path=ARTEFATOS / "previsao-tv.png")

    # A forecast moved on the server: the TV redraws with it (stored as a recompute would).
    # Noon, on the 5-minute grid the card rounds to: near midnight, "now + 3 days" rounded up
    # to the next day, and the test looked for the day before.
    fuso = componente(Clock, app).fuso
    daqui_3_dias = (
        (agora() + timedelta(days=3))
        .astimezone(fuso)
        .replace(hour=12, minute=0, second=0, microsecond=0)
    )
    componente(Mongo, app).db.previsoes.update_one(
        {"ordem_servico_id": 1001}, {"$set": {"p50": daqui_3_dias}}
    )
    # The coming week's weekday, without the date the TV's card has no room for: "qui 12:00".
    dia = DIAS_DA_SEMANA[daqui_3_dias.weekday()]
    expect(tv.pagina.locator(f"#painel-cartao-{no_prazo} .painel-previsao")).to_contain_text(
        f"por volta de {dia} 12:00", timeout=PRAZO_TV
    )

    gerente = abrir(DESKTOP).entrar("gerente", "gerente123")
    gerente.pagina.goto(f"/ordens/{em_risco}")
    expect(gerente.pagina.locator("#previsao")).to_contain_text("8 em 10 ficam prontos até")
    expect(gerente.pagina.locator("#previsao")).to_contain_text(
        "Com base em 40 ordens finalizadas nos últimos 90 dias, 2 mecânicos, 1 ordem à frente"
    )
    expect(gerente.pagina.locator("#previsao")).to_contain_text("avise o cliente agora")
    gerente.pagina.screenshot(path=ARTEFATOS / "previsao-ordem.png", full_page=True)
    gerente.pagina.goto("/indicadores")
    expect(gerente.pagina.locator("#em-risco")).to_contain_text("RSC0A12")
    gerente.pagina.screenshot(path=ARTEFATOS / "previsao-indicadores.png")
    # On a phone each row stacks, its cells named: the order and its button on the screen
    # together (sideways, the button was 470 px away from the order's number).
    fone = abrir({"width": 390, "height": 844}, has_touch=True, is_mobile=True).entrar(
        "gerente", "gerente123"
    )
    fone.pagina.goto("/indicadores")
    linha = fone.pagina.locator("#linhas-em-risco tr", has_text="RSC0A12")
    expect(linha.locator("td").first).to_have_attribute("data-rotulo", "OS")
    for parte in (linha.locator(".numero-os"), linha.get_by_role("button", name="Prometer")):
        caixa = parte.bounding_box()
        assert caixa and caixa["x"] >= 0 and caixa["x"] + caixa["width"] <= 390, caixa
    fone.pagina.screenshot(path=ARTEFATOS / "previsao-indicadores-telefone.png")
    prometer = gerente.pagina.locator("#em-risco").get_by_role("button", name="Prometer")
    expect(prometer).to_have_accessible_name(re.compile(rf"^Prometer {DIA_E_HORA} \(OS 1002\)$"))
    prometer.click()
    expect(gerente.pagina).to_have_url(f"{live_server}/indicadores")
    expect(gerente.pagina.locator(".aviso-ok")).to_be_in_viewport()  # what was done, in view
    expect(gerente.pagina.locator("#em-risco")).to_contain_text("Nenhuma ordem em risco")


def test_previsao_de_um_calculo_parado_some_do_quadro_e_da_tv_abertos(
    app: Flask, live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """The process that computes stops, and a board and a TV stay open: nothing is pushed, so
    their cards kept saying "pronto ~15:40" at 18:00, the manager's "Prometer" with them. Once
    a forecast's time passed by as long as a running recompute may stay away, each screen
    hides it by itself (the element stays, hidden: no render took it away), as the server's
    pages already do."""
    api = ApiHttp(live_server, settings)
    no_prazo, _ = _oficina(app, api)
    recalcular(app)
    gerente = abrir(DESKTOP)
    gerente.pagina.clock.install()
    gerente.entrar("gerente", "gerente123")
    previsao = gerente.cartao(no_prazo).locator(".previsao")
    expect(previsao).to_be_visible()
    validade_s = int(previsao.get_attribute("data-validade"))
    assert validade_s > 6 * 60  # its p50 is ahead, and then 6.5 min more (the defaults)
    # Minutes jumped may let the stream's watchdog reconnect: its first message, a whole
    # redraw from a server whose forecast is still current (only this page's clock moved),
    # would bring the line back (below). The reconnection waits here.
    retidas: list = []
    gerente.pagina.route("**/eventos*", lambda rota: retidas.append(rota))
    gerente.pagina.clock.fast_forward((validade_s - 60) * 1000)
    gerente.pagina.clock.run_for(16_000)  # the board ticks each second
    expect(previsao).to_be_visible()  # a minute before: still current
    gerente.pagina.clock.fast_forward(60_000)
    gerente.pagina.clock.run_for(16_000)
    expect(previsao).to_be_hidden()
    expect(previsao).to_have_count(1)
    # A whole redraw (a reconnection) while the store still has it current brings it back:
    # a tablet whose clock ran on (it slept) kept it hidden until the forecast moved 10 min.
    gerente.pagina.unroute("**/eventos*")  # (a held reconnection then goes on by itself)
    componente(Broker, app)._publicar(Evento(RESSINCRONIZAR))  # for a stream still open
    for _ in range(10):
        gerente.pagina.clock.run_for(2_000)
        if previsao.is_visible():
            break
    expect(previsao).to_be_visible()
    gerente.pagina.clock.run_for(16_000)  # counted from the redraw: still current
    expect(previsao).to_be_visible()

    # The TV keeps the server's time (each render sets it): a forecast whose p50 passed by
    # that span less 8 s, as a recompute that stopped left it.
    parada_s = componente(PrevisaoQueries, app).parada_s
    componente(Mongo, app).db.previsoes.update_one(
        {"ordem_servico_id": 1001},
        {"$set": {"p50": agora() - timedelta(seconds=parada_s - 8)}},
    )
    token, _ = componente(ConfiguracoesRepository, app).criar_passe("TV", "gerente")
    tv = abrir(TV)
    tv.pagina.clock.install()
    tv.pagina.goto(f"/painel?token={token}")
    na_tv = tv.pagina.locator(f"#painel-cartao-{no_prazo} .painel-previsao")
    expect(na_tv).to_be_visible()
    # 16 s of the TV's clock (it ticks each second). A push that lands meanwhile (the forecast just
    # stored) sets the TV's clock back to the server's, which this page's fake clock had
    # passed: the next tick counts from there (on a loaded machine, pushes may land in several
    # of these runs: each one only delays the hiding, never undoes it).
    for _ in range(10):
        tv.pagina.clock.run_for(16_000)
        if na_tv.is_hidden():
            break
    expect(na_tv).to_be_hidden()
    expect(na_tv).to_have_count(1)
    for pessoa in (gerente, tv):
        # No script error (hours jumped on the board: its stream's watchdog may drop and
        # reopen it, which htmx logs).
        erros = [e for e in pessoa.erros if not e.startswith("htmx:") and "net::" not in e]
        assert not erros, erros


def test_cabecalho_com_calculo_parado_tira_a_previsao_dos_cartoes_abertos(
    app: Flask, live_server: str, settings: Settings, usuarios_demo, abrir, rapido
) -> None:
    """The process that computes stops: the board's header and the TV's footer turned to
    "cálculo parado" (the clock's push), but the cards drawn before kept "Em risco", their
    times and "Prometer" (which then said there was nothing to promise) until each p50 passed:
    a whole Sunday on the TV. Now they go with the header's word, and come back with the next
    recompute."""
    api = ApiHttp(live_server, settings)
    _, em_risco = _oficina(app, api)
    recalcular(app)
    gerente = abrir(DESKTOP).entrar("gerente", "gerente123")
    cabecalho = gerente.pagina.locator("#em-risco-contagem")
    linha = gerente.cartao(em_risco).locator(".previsao")
    expect(linha.get_by_role("button", name="Prometer")).to_be_visible()
    token, _ = componente(ConfiguracoesRepository, app).criar_passe("TV", "gerente")
    tv = abrir(TV)
    tv.pagina.goto(f"/painel?token={token}")
    na_tv = tv.pagina.locator(f"#painel-cartao-{em_risco} .painel-previsao")
    expect(na_tv).to_contain_text("Em risco", timeout=10_000)

    # Its last run grows older than three intervals and the lease: nothing is written, the
    # screens learn it from their clock's push.
    parada_s = componente(PrevisaoQueries, app).parada_s
    componente(Mongo, app).db.previsoes.update_one(
        {"_id": "estado"}, {"$set": {"calculo.em": agora() - timedelta(seconds=parada_s + 60)}}
    )
    expect(cabecalho).to_have_text("Previsão: cálculo parado", timeout=PRAZO_TV)
    expect(linha).to_be_hidden()
    # The TV's footer, redrawn with the next change it shows. (Its clock's push alone brings it
    # at the instant the summary turns stopped, Estado.vira_parada_em; this test moves that
    # instant back by hand, which no recompute does, and the stream reads it again only with
    # its next beat, 15 s, past this test's wait: test_previsao_telas checks that push. This
    # test is about what the footer's word does to the cards.)
    api.post("/fila-execucao", {"ordem_servico_id": 1003})
    expect(tv.pagina.locator("#painel-carga")).to_contain_text(
        "Previsão: cálculo parado", timeout=PRAZO_TV
    )
    expect(na_tv).to_be_hidden()
    tv.pagina.screenshot(path=ARTEFATOS / "previsao-tv-calculo-parado.png")

    recalcular(app)  # it runs again: the same lines are current once more
    expect(cabecalho).to_have_text("Em risco: 1", timeout=PRAZO_TV)
    expect(linha.get_by_role("button", name="Prometer")).to_be_visible()
    expect(na_tv).to_contain_text("Em risco", timeout=PRAZO_TV)
    for pessoa in (gerente, tv):
        assert not [e for e in pessoa.erros if not e.startswith("htmx:")], pessoa.erros
