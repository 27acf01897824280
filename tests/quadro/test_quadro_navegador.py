"""The board as a shop uses it, in a real browser: two tablets racing on one card, a tap while
the network is down, JavaScript off, a portrait tablet, typing that must survive, and the board
with 2,000 open orders (a server that goes silent: tests/test_app_turno_navegador.py)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from flask import Flask
from playwright.sync_api import Route, expect

from scripts.os_standin import OSStandIn
from tests.helpers import servidor_http
from tests.navegador import (
    ARTEFATOS,
    DESKTOP,
    PRAZO_TV,
    TABLET,
    TV,
    ApiHttp,
    Pessoa,
    reter,
    um_instante,
)
from webapp.broker import RESSINCRONIZAR, Broker, Evento
from webapp.clock import agora, duracao
from webapp.components import componente
from webapp.configuracoes.repository import ConfiguracoesRepository
from webapp.fila.domain import Acao, Ator, Papel, Prioridade, nova_ordem
from webapp.fila.service import FilaService
from webapp.settings import Settings
from webapp.sincronizacao_os.dispatcher import OsDispatcher

pytestmark = pytest.mark.navegador


def test_dois_tablets_no_mesmo_cartao_o_perdedor_ve_quem_ganhou(
    live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    api = ApiHttp(live_server, settings)
    fila_id = api.post("/fila-execucao", {"ordem_servico_id": 9101, "placa": "COR1D00"})["fila_id"]
    marcos = abrir(TABLET, has_touch=True, is_mobile=True).entrar("mecanico", "mecanico123")
    paula = abrir(TABLET, has_touch=True, is_mobile=True).entrar("mecanico2", "mecanico123")

    # Paula's tap leaves her tablet but reaches the server only after Marcos's was saved and
    # pushed to her board: the push moves her card first, then her 409 answers.
    retidos = reter(paula.pagina, "**/passo/iniciar-diagnostico")
    paula.cartao(fila_id, "AGUARDANDO").get_by_role("button", name="Iniciar diagnóstico").click()
    marcos.cartao(fila_id, "AGUARDANDO").get_by_role("button", name="Iniciar diagnóstico").click()
    expect(marcos.cartao(fila_id, "EM_DIAGNOSTICO")).to_be_visible()
    expect(paula.cartao(fila_id, "EM_DIAGNOSTICO")).to_be_visible(timeout=PRAZO_TV)
    assert len(retidos.esperar(paula.pagina)) == 1
    retidos[0].continue_()

    cartao = paula.cartao(fila_id, "EM_DIAGNOSTICO")
    expect(cartao.locator(".mensagem")).to_contain_text(
        "Marcos Mecânico já iniciou o diagnóstico às"
    )
    expect(paula.pagina.locator("#anuncios")).to_contain_text("já iniciou o diagnóstico às")
    expect(cartao).to_contain_text("Marcos Mecânico")
    # She was still looking at it: the view followed the card with its reason, and no toast
    # said "foi para" as if her tap had moved it.
    expect(cartao).to_be_focused()
    assert paula.pagina.locator("#toasts .toast").count() == 0  # now, not after it times out
    assert api.get(f"/fila-execucao/{fila_id}")["mecanico_responsavel_id"] == 101


# Counts the card nodes of one order put on the page (a swap inserts a new node each time).
CONTAR_NOS = """id => {
    window.__nos = 0;
    new MutationObserver(mudancas => {
        for (const m of mudancas) for (const no of m.addedNodes) {
            if (no.id === `cartao-${id}`) window.__nos += 1;
        }
    }).observe(document.getElementById("quadro"), {childList: true, subtree: true});
}"""


def test_quem_toca_recebe_o_cartao_uma_vez_e_os_outros_quadros_tambem(
    live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """The tapper's board gets its change in the answer and by push (an answer can be lost on
    the way): its card node is replaced once by whichever comes first, and once more only when
    the push came first (the answer may carry a reason, a "Já estava salvo"); the push after
    the answer leaves the node. Never two cards of one order. Every other board gets the
    change once, and a later change by someone else reaches the tapper's board too."""
    api = ApiHttp(live_server, settings)
    fila_id = api.post("/fila-execucao", {"ordem_servico_id": 9111, "placa": "UMA2C02"})["fila_id"]
    marcos = abrir(TABLET, has_touch=True, is_mobile=True).entrar("mecanico", "mecanico123")
    gerente = abrir(DESKTOP).entrar("gerente", "gerente123")
    for pessoa in (marcos, gerente):
        expect(pessoa.pagina.locator("body")).to_have_attribute("data-ligacao", "viva")
        pessoa.pagina.evaluate(CONTAR_NOS, fila_id)

    marcos.cartao(fila_id, "AGUARDANDO").get_by_role("button", name="Iniciar diagnóstico").click()
    expect(marcos.cartao(fila_id, "EM_DIAGNOSTICO")).to_be_visible()
    expect(gerente.cartao(fila_id, "EM_DIAGNOSTICO")).to_be_visible(timeout=PRAZO_TV)
    marcos.pagina.wait_for_timeout(1500)  # the push has long reached every board by now
    assert marcos.pagina.evaluate("window.__nos") in (1, 2)
    assert gerente.pagina.evaluate("window.__nos") == 1
    for pessoa in (marcos, gerente):
        assert pessoa.pagina.locator(f'[id="cartao-{fila_id}"]').count() == 1
    antes = marcos.pagina.evaluate("window.__nos")

    api.post(f"/fila-execucao/{fila_id}/finalizar-diagnostico", {"diagnostico": "Junta"})
    expect(marcos.cartao(fila_id, "AGUARDANDO")).to_be_visible(timeout=PRAZO_TV)
    expect(gerente.cartao(fila_id, "AGUARDANDO")).to_be_visible(timeout=PRAZO_TV)
    assert marcos.pagina.evaluate("window.__nos") == antes + 1
    assert gerente.pagina.evaluate("window.__nos") == 2
    assert marcos.erros == [] and gerente.erros == []


def test_toque_sem_rede_diz_que_nao_salvou_e_nada_se_move(
    live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    api = ApiHttp(live_server, settings)
    fila_id = api.post("/fila-execucao", {"ordem_servico_id": 9201})["fila_id"]
    mecanico = abrir(DESKTOP).entrar("mecanico", "mecanico123")
    mecanico.pagina.route("**/passo/**", lambda rota: rota.abort("internetdisconnected"))
    cartao = mecanico.cartao(fila_id, "AGUARDANDO")
    cartao.get_by_role("button", name="Iniciar diagnóstico").click()
    expect(cartao.locator(".nao-salvo")).to_contain_text("Sem conexão — pode não ter sido salvo.")
    expect(mecanico.cartao(fila_id, "AGUARDANDO")).to_be_visible()
    assert api.get(f"/fila-execucao/{fila_id}")["status"] == "AGUARDANDO"

    # A server error says it was not saved; back online, one tap retries.
    mecanico.pagina.unroute("**/passo/**")
    mecanico.pagina.route("**/passo/**", lambda rota: rota.fulfill(status=502, body="Bad Gateway"))
    # Named with its order, as the card's steps are (a screen reader lists several).
    cartao.get_by_role("button", name="Tentar de novo: OS 9201", exact=True).click()
    expect(cartao.locator(".nao-salvo")).to_contain_text("Erro no servidor — não foi salvo.")
    mecanico.pagina.unroute("**/passo/**")
    cartao.get_by_role("button", name="Tentar de novo").click()
    expect(mecanico.cartao(fila_id, "EM_DIAGNOSTICO")).to_be_visible()
    assert api.get(f"/fila-execucao/{fila_id}")["status"] == "EM_DIAGNOSTICO"


def test_texto_recusado_e_depois_sem_rede_diz_so_o_que_vale_junto_ao_botao(
    live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """A diagnosis confirmed empty is refused ("Corrija o campo marcado.", "Escreva o
    diagnóstico."); the mechanic writes it, the Wi-Fi drops, and confirms again. The card once
    kept both refusals beside the box now filled, and put "Sem conexão" at its foot, under
    "Mais…", out of a tablet's view: now only "Sem conexão", right under the confirm button."""
    api = ApiHttp(live_server, settings)
    fila_id = api.post("/fila-execucao", {"ordem_servico_id": 9211})["fila_id"]
    api.post(f"/fila-execucao/{fila_id}/iniciar-diagnostico", {"mecanico_responsavel_id": 101})
    mecanico = abrir(TABLET, has_touch=True, is_mobile=True).entrar("mecanico", "mecanico123")
    cartao = mecanico.cartao(fila_id, "EM_DIAGNOSTICO")
    mecanico.pagina.get_by_role("link", name=re.compile("^Em diagnóstico")).click()
    cartao.get_by_text("Finalizar diagnóstico", exact=True).click()
    confirmar = cartao.get_by_role("button", name="Confirmar: finalizar diagnóstico")
    confirmar.click()
    expect(cartao).to_contain_text("Corrija o campo marcado.")
    expect(cartao.locator(".erro-campo")).to_have_text("Escreva o diagnóstico.")
    texto = cartao.get_by_role("textbox", name="Diagnóstico")
    expect(texto).to_have_attribute("aria-invalid", "true")
    texto.fill("Pastilhas gastas; trocar.")
    mecanico.pagina.route("**/passo/**", lambda rota: rota.abort("internetdisconnected"))
    confirmar.click()
    aviso = cartao.locator(".nao-salvo")
    expect(aviso).to_contain_text("Sem conexão — pode não ter sido salvo.")
    expect(cartao).not_to_contain_text("Corrija o campo marcado.")
    expect(cartao.locator(".erro-campo")).to_have_count(0)
    expect(texto).not_to_have_attribute("aria-invalid", "true")
    expect(texto).to_have_value("Pastilhas gastas; trocar.")
    # Right under the confirm button (its form's next sibling), not at the card's foot.
    assert aviso.evaluate("a => a.previousElementSibling.matches('form.form-texto')")
    mecanico.pagina.screenshot(path=ARTEFATOS / "texto-recusado-sem-rede-tablet.png")
    mecanico.pagina.unroute("**/passo/**")
    cartao.get_by_role("button", name="Tentar de novo").click()
    expect(mecanico.cartao(fila_id, "AGUARDANDO")).to_have_count(1)
    assert api.get(f"/fila-execucao/{fila_id}")["diagnostico"] == "Pastilhas gastas; trocar."


def test_toque_salvo_cuja_resposta_se_perdeu_diz_no_cartao_que_ja_estava_salvo(
    live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """The tablet's Wi-Fi drops the answer of a step the server saved: the card says "não foi
    salvo" (all it can know); "Tentar de novo" then says, on the card that moved, that it was
    already saved, and the step is in the history once."""
    api = ApiHttp(live_server, settings)
    fila_id = api.post("/fila-execucao", {"ordem_servico_id": 9221})["fila_id"]
    mecanico = abrir(DESKTOP)
    pagina = mecanico.pagina
    retidos: list[Route] = []
    pagina.route("**/eventos*", lambda rota: retidos.append(rota))  # no push moves the card
    mecanico.entrar_sem_ligacao("mecanico", "mecanico123")

    def perder(rota: Route) -> None:  # it reaches the server; its answer never comes back
        rota.fetch()
        rota.abort("connectionreset")

    pagina.route("**/passo/iniciar-diagnostico", perder)
    cartao = mecanico.cartao(fila_id, "AGUARDANDO")
    # htmx has taken the form (signed in without the stream, nothing else waited for it): a
    # click before that is a plain POST, and its lost answer Chromium's error page.
    expect(cartao.locator("form").first).to_have_attribute("data-htmx-powered", "true")
    cartao.get_by_role("button", name="Iniciar diagnóstico").click()
    expect(cartao.locator(".nao-salvo")).to_contain_text("pode não ter sido salvo")
    assert api.get(f"/fila-execucao/{fila_id}")["status"] == "EM_DIAGNOSTICO"
    pagina.unroute("**/passo/iniciar-diagnostico")
    cartao.get_by_role("button", name="Tentar de novo").click()
    movido = mecanico.cartao(fila_id, "EM_DIAGNOSTICO")
    expect(movido.locator(".mensagem")).to_have_text(
        re.compile(r"^Já estava salvo: Marcos Mecânico iniciou o diagnóstico às \d\d:\d\d\.$")
    )
    expect(pagina.locator(".nao-salvo")).to_have_count(0)
    historico = api.get(f"/fila-execucao/{fila_id}")["historico"]
    assert [h["acao"] for h in historico].count("iniciar_diagnostico") == 1
    pagina.unroute("**/eventos*")


def test_resposta_do_toque_sai_do_cartao_depois_de_cinco_minutos(
    live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """The reason of a refused tap ("... iniciou o diagnóstico às 10:32") stayed on
    that card until the order changed again: hours, on a board open all shift. It is there
    to read for five minutes, then gone; the card stays as it is."""
    api = ApiHttp(live_server, settings)
    fila_id = api.post("/fila-execucao", {"ordem_servico_id": 9231})["fila_id"]
    marcos = abrir(DESKTOP)
    marcos.pagina.clock.install()
    marcos.entrar("mecanico", "mecanico123")
    retidos = reter(marcos.pagina, "**/passo/iniciar-diagnostico")
    marcos.cartao(fila_id, "AGUARDANDO").get_by_role("button", name="Iniciar diagnóstico").click()
    api.post(f"/fila-execucao/{fila_id}/iniciar-diagnostico", {"mecanico_responsavel_id": 102})
    cartao = marcos.cartao(fila_id, "EM_DIAGNOSTICO")
    expect(cartao).to_be_visible(timeout=PRAZO_TV)  # the push came first
    assert len(retidos.esperar(marcos.pagina)) == 1
    retidos[0].continue_()
    aviso = cartao.locator(".mensagem")
    expect(aviso).to_contain_text("A integração servico-os já iniciou o diagnóstico às")
    marcos.pagina.clock.run_for("04:00")
    expect(aviso).to_have_count(1)  # still there to read
    marcos.pagina.clock.run_for("01:20")
    expect(aviso).to_have_count(0)
    expect(cartao).to_contain_text("Paula Pereira")
    # The refusal's 409, and htmx's timeouts of requests the jumped clock outran.
    erros = [e for e in marcos.erros if "409" not in e and not e.startswith("htmx:")]
    assert erros == [], marcos.erros


def _reter_a_resposta(pagina, caminho: str) -> list:
    """The request reaches the server; its answer is held until the test lets it go (a slow
    network on the way back): [(route, response)] once it is in."""
    retidas: list = []

    def reter(rota: Route) -> None:
        retidas.append((rota, rota.fetch()))

    pagina.route(caminho, reter)
    return retidas


def test_resposta_lenta_nunca_desfaz_o_que_um_push_ja_mostrou(
    app: Flask, live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """A tablet's answer comes back slowly: meanwhile someone else moved the order on, or
    removed it, and the push showed it. The late answer (an older version) must not put the
    card back where it was, nor bring a removed order back, nor its counts and sentence of
    before: the header keeps counting the cards the columns hold."""
    api = ApiHttp(live_server, settings)
    fila = componente(FilaService, app)
    gerente = Ator("gerente", Papel.GERENTE)
    seguida = api.post("/fila-execucao", {"ordem_servico_id": 9231})["fila_id"]
    removida = api.post("/fila-execucao", {"ordem_servico_id": 9232})["fila_id"]
    mecanico = abrir(TABLET, has_touch=True, is_mobile=True).entrar("mecanico", "mecanico123")
    pagina = mecanico.pagina
    retidas = _reter_a_resposta(pagina, "**/passo/iniciar-diagnostico")

    # Moved on: the tap started the diagnosis; before its answer came, another device finished it.
    iniciar = mecanico.cartao(seguida, "AGUARDANDO").get_by_role(
        "button", name="Iniciar diagnóstico"
    )
    iniciar.click()
    _esperar(pagina, lambda: len(retidas) == 1)
    fila.executar(seguida, Acao.FINALIZAR_DIAGNOSTICO, gerente, {"diagnostico": "Junta"})
    depois = api.get(f"/fila-execucao/{seguida}")
    agora_ = mecanico.cartao(seguida, depois["status"])
    expect(agora_).to_have_attribute("data-versao", str(depois["versao"]), timeout=PRAZO_TV)
    anuncio = pagina.locator("#anuncios").inner_text()
    rota, resposta = retidas.pop()
    rota.fulfill(response=resposta)  # "iniciou o diagnóstico": version 2, older
    pagina.wait_for_timeout(1000)
    expect(pagina.locator(f'[id="cartao-{seguida}"]')).to_have_count(1)
    expect(agora_).to_have_attribute("data-versao", str(depois["versao"]))
    _contagens_batem(pagina)
    assert pagina.locator("#anuncios").inner_text() == anuncio  # not "iniciou", of before

    # Removed: the tap started it; before its answer came, a manager removed the order.
    um_instante(pagina)  # the card has just slid up, in the place the first one left
    mecanico.cartao(removida, "AGUARDANDO").get_by_role(
        "button", name="Iniciar diagnóstico"
    ).click()
    _esperar(pagina, lambda: len(retidas) == 1)
    fila.remover(removida, gerente)
    expect(pagina.locator(f'[id="cartao-{removida}"]')).to_have_count(0, timeout=PRAZO_TV)
    rota, resposta = retidas.pop()
    rota.fulfill(response=resposta)
    pagina.wait_for_timeout(1000)
    expect(pagina.locator(f'[id="cartao-{removida}"]')).to_have_count(0)
    _contagens_batem(pagina)
    assert [e for e in mecanico.erros if "409" not in e] == [], mecanico.erros


def test_resposta_perdida_o_push_mostra_o_que_foi_salvo(
    live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """The step reached the server and its answer was lost on the way back (the tablet's
    Wi-Fi), while the board's live link held: the push moves the card on this same page, with
    no "Tentar de novo" left on it, and the header's counts and the columns agree. The moved
    card and the page's line say that the order changed after the tap (whether the push came
    before the failure was known or after): the line said "Sem conexão — pode não ter sido
    salvo" beside a card that plainly moved, and the card nothing."""
    api = ApiHttp(live_server, settings)
    fila_id = api.post("/fila-execucao", {"ordem_servico_id": 9233})["fila_id"]
    mecanico = abrir(TABLET, has_touch=True, is_mobile=True).entrar("mecanico", "mecanico123")
    pagina = mecanico.pagina

    def perder(rota: Route) -> None:
        rota.fetch()
        rota.abort("connectionreset")

    pagina.route("**/passo/iniciar-diagnostico", perder)
    mecanico.cartao(fila_id, "AGUARDANDO").get_by_role("button", name="Iniciar diagnóstico").click()
    movido = mecanico.cartao(fila_id, "EM_DIAGNOSTICO")
    expect(movido).to_have_count(1, timeout=PRAZO_TV)
    expect(pagina.locator(f'[id="cartao-{fila_id}"]')).to_have_count(1)
    expect(pagina.locator(".nao-salvo")).to_have_count(0)
    frase = "A resposta não chegou, mas a OS já mudou depois do seu toque: confira o cartão."
    expect(movido.locator(".sem-resposta")).to_have_text(frase)
    expect(pagina.locator("#anuncios")).to_have_text(frase)
    _contagens_batem(pagina)
    # Only the lost answer's own lines (the browser's, and htmx's report of it).
    assert all("Failed to" in e for e in mecanico.erros), mecanico.erros


def _em_diagnostico_com_o_texto_enviado(
    app: Flask, live_server: str, settings: Settings, abrir, caminho: str = "/"
):
    """An order in Marcos's diagnosis on his tablet (the board at `caminho`), its "Finalizar
    diagnóstico" form opened and typed in: (api, fila_id, marcos, the card, its Confirmar)."""
    api = ApiHttp(live_server, settings)
    fila_id = api.post("/fila-execucao", {"ordem_servico_id": 9241})["fila_id"]
    api.post(f"/fila-execucao/{fila_id}/iniciar-diagnostico", {"mecanico_responsavel_id": 101})
    marcos = abrir(TABLET, has_touch=True, is_mobile=True).entrar("mecanico", "mecanico123")
    if caminho != "/":
        marcos.pagina.goto(caminho)
        expect(marcos.pagina.locator("#quadro[data-ao-vivo]")).to_have_count(1)
    cartao = marcos.cartao(fila_id, "EM_DIAGNOSTICO")
    cartao.get_by_label("Finalizar diagnóstico da OS 9241", exact=True).click()
    cartao.get_by_role("textbox", name="Diagnóstico").fill("Junta do cabeçote vazando.")
    confirmar = cartao.get_by_role("button", name=re.compile("^Confirmar"))
    return api, fila_id, marcos, cartao, confirmar


def _confirmar_com_a_resposta_retida(pagina, confirmar) -> Callable[[], None]:
    """The step confirmed (a tap): it reaches the server and its answer is held until the
    returned function lets it go."""
    retidas = _reter_a_resposta(pagina, "**/passo/finalizar-diagnostico")
    confirmar.tap()
    _esperar(pagina, lambda: len(retidas) == 1)

    def soltar() -> None:
        rota, resposta = retidas.pop()
        rota.fulfill(response=resposta)

    return soltar


def _salvo_e_saiu(marcos: Pessoa, fila_id: str) -> None:
    """The late answer of a change saved on a card that has left this board since: the card
    goes, and the page's line says it was saved, then left."""
    pagina = marcos.pagina
    expect(pagina.locator(f'[id="cartao-{fila_id}"]')).to_have_count(0)
    expect(pagina.locator("#anuncios")).to_have_text(
        "Salvo. Depois do seu toque, a OS mudou e saiu deste quadro."
    )
    assert marcos.erros == [], marcos.erros


@pytest.mark.parametrize("espera_ms", [0, 1500])
def test_texto_salvo_com_resposta_atrasada_mostra_a_versao_nova_e_diz_por_que(
    app: Flask, live_server: str, settings: Settings, usuarios_demo, abrir, espera_ms: int
) -> None:
    """The diagnosis was saved, its answer slow; meanwhile a manager changed the priority and
    the push came, kept off the card, whose form held the text on its way. The late answer,
    older than that push, was left out whole, and the card stayed frozen with its form open,
    its Confirmar enabled and no word, its column's count one off. The text is in the order
    now: the card takes the newest version at once and says it was saved, then changed."""
    api, fila_id, marcos, cartao, confirmar = _em_diagnostico_com_o_texto_enviado(
        app, live_server, settings, abrir
    )
    pagina = marcos.pagina
    soltar = _confirmar_com_a_resposta_retida(pagina, confirmar)
    pagina.wait_for_timeout(espera_ms)  # 1.5 s: the push of this very step comes first
    componente(FilaService, app).alterar_prioridade(
        fila_id, Prioridade.URGENTE, Ator("gerente", Papel.GERENTE)
    )
    versao = api.get(f"/fila-execucao/{fila_id}")["versao"]
    pagina.wait_for_timeout(1500)  # the push is in, kept
    soltar()
    agora_ = marcos.cartao(fila_id, "AGUARDANDO")
    expect(agora_).to_have_attribute("data-versao", str(versao))
    expect(agora_).to_contain_text("Urgente")
    frase = "Salvo. A OS mudou de novo depois do seu toque: o cartão mostra como ela está agora."
    expect(agora_.locator(".mensagem")).to_have_text(frase)
    expect(pagina.locator("#anuncios")).to_have_text(frase)
    expect(pagina.locator(f'[id="cartao-{fila_id}"]')).to_have_count(1)
    _contagens_batem(pagina)
    assert marcos.erros == [], marcos.erros


def test_texto_salvo_com_resposta_atrasada_de_cartao_que_saiu_do_quadro(
    app: Flask, live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """The same on "Minhas ordens", the order reassigned to Paula meanwhile: the card, kept
    for the text, goes (it is not Marcos's any more), and the page's line says why."""
    _, fila_id, marcos, _, confirmar = _em_diagnostico_com_o_texto_enviado(
        app, live_server, settings, abrir, "/?mecanico=101"
    )
    pagina = marcos.pagina
    soltar = _confirmar_com_a_resposta_retida(pagina, confirmar)
    componente(FilaService, app).atribuir(fila_id, 102, Ator("gerente", Papel.GERENTE))
    pagina.wait_for_timeout(1500)  # the push is in, kept
    expect(pagina.locator(f'[id="cartao-{fila_id}"]')).to_have_count(1)
    soltar()
    _salvo_e_saiu(marcos, fila_id)


def test_texto_salvo_com_resposta_atrasada_e_outro_texto_no_cartao(
    app: Flask, live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """The same late answer while a hold's note is being typed on that card ("Mais…"): the
    card stays for that text, saying that the newer version comes when the mechanic is done
    (it said "o cartão mostra como ela está agora" over the old version), and the note stays."""
    _, fila_id, marcos, cartao, confirmar = _em_diagnostico_com_o_texto_enviado(
        app, live_server, settings, abrir
    )
    pagina = marcos.pagina
    soltar = _confirmar_com_a_resposta_retida(pagina, confirmar)
    cartao.get_by_role("button", name="Mais ações da OS 9241").tap()
    cartao.get_by_text("Colocar em espera").tap()
    cartao.get_by_label("Observação").fill("Peça pedida")
    componente(FilaService, app).alterar_prioridade(
        fila_id, Prioridade.URGENTE, Ator("gerente", Papel.GERENTE)
    )
    pagina.wait_for_timeout(1500)  # the push is in, kept
    soltar()
    frase = "Salvo. A OS mudou de novo depois do seu toque: a versão nova aparece quando você "
    frase += "terminar."
    expect(pagina.locator("#anuncios")).to_have_text(frase)
    expect(cartao.locator(".mensagem", has_text=frase)).to_have_count(1)
    expect(cartao.get_by_label("Observação")).to_have_value("Peça pedida")
    assert marcos.erros == [], marcos.erros


def test_redesenho_inteiro_nao_leva_o_cartao_com_o_texto_a_caminho(
    app: Flask, live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """On "Minhas ordens", the order given to Paula while Marcos's diagnosis is on its way
    (answer slow), then the whole board redrawn (a reconnection, the forecast's summary): the
    redraw, which no longer holds the card, took it away with the text, and the answer then
    said nothing. The card stays until its answer, which says it was saved, then left."""
    _, fila_id, marcos, cartao, confirmar = _em_diagnostico_com_o_texto_enviado(
        app, live_server, settings, abrir, "/?mecanico=101"
    )
    pagina = marcos.pagina
    soltar = _confirmar_com_a_resposta_retida(pagina, confirmar)
    pagina.wait_for_timeout(1000)  # the push of this very step, kept
    componente(FilaService, app).atribuir(fila_id, 102, Ator("gerente", Papel.GERENTE))
    pagina.wait_for_timeout(1000)
    componente(Broker, app)._publicar(Evento(RESSINCRONIZAR))  # the whole board again
    pagina.wait_for_timeout(1500)
    expect(pagina.locator(f'[id="cartao-{fila_id}"]')).to_have_count(1)
    expect(cartao.get_by_role("textbox", name="Diagnóstico")).to_have_value(
        "Junta do cabeçote vazando."
    )
    soltar()
    _salvo_e_saiu(marcos, fila_id)


def test_texto_com_resposta_perdida_e_push_diz_uma_coisa_so(
    app: Flask, live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """The diagnosis reached the server and its answer was lost; the push of that change came
    while the form still held the text. The card said both "Sem conexão — pode não ter sido
    salvo" and "Atualizado por outra pessoa". Now one notice, whose "Tentar de novo" says
    whether it was saved (it was: "Já estava salvo"), and the text is still there to send."""
    api, fila_id, marcos, cartao, confirmar = _em_diagnostico_com_o_texto_enviado(
        app, live_server, settings, abrir
    )
    pagina = marcos.pagina

    def perder(rota: Route) -> None:
        rota.fetch()
        pagina.wait_for_timeout(1500)  # the push of this very change comes first
        rota.abort("connectionreset")

    pagina.route("**/passo/finalizar-diagnostico", perder)
    confirmar.tap()
    aviso = cartao.locator(".nao-salvo")
    expect(aviso).to_contain_text(
        "Sem conexão — a resposta não chegou, e a OS mudou depois do seu toque. "
        "“Tentar de novo” diz se já estava salvo."
    )
    pagina.wait_for_timeout(1000)
    expect(cartao.locator(".aviso-atualizado")).to_have_count(0)
    expect(cartao.get_by_role("textbox", name="Diagnóstico")).to_have_value(
        "Junta do cabeçote vazando."
    )
    pagina.unroute("**/passo/finalizar-diagnostico")
    cartao.get_by_role("button", name="Tentar de novo: OS 9241").click()
    movido = marcos.cartao(fila_id, "AGUARDANDO")
    expect(movido.locator(".mensagem")).to_contain_text("Já estava salvo: Marcos Mecânico")
    historico = api.get(f"/fila-execucao/{fila_id}")["historico"]
    assert [h["acao"] for h in historico].count("finalizar_diagnostico") == 1
    assert all("Failed to" in e for e in marcos.erros), marcos.erros


def _contagens_batem(pagina) -> None:
    """Each column's count in the header says the cards it holds (a board of few orders)."""
    for status in ("AGUARDANDO", "EM_DIAGNOSTICO", "EM_REPARO"):
        contagem = pagina.locator(f"#contagem-{status}").inner_text()
        cartoes = pagina.locator(f"#cartoes-{status} > li.cartao").count()
        assert int(re.match(r"\d+", contagem).group()) == cartoes, (status, contagem)


def _esperar(pagina, condicao, prazo: float = 10.0) -> None:
    """Until `condicao()`, letting the browser's events (a route's handler) run meanwhile."""
    limite = time.monotonic() + prazo
    while not condicao():
        assert time.monotonic() < limite, "não aconteceu a tempo"
        pagina.wait_for_timeout(50)


def test_o_passo_de_cada_cartao_diz_a_sua_ordem_a_um_leitor_de_tela(
    live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """A screen reader moving from button to button hears each alone: a column of "Iniciar
    diagnóstico"s must each say which order. The label people see stays the step's."""
    api = ApiHttp(live_server, settings)
    espera = api.post("/fila-execucao", {"ordem_servico_id": 9211})["fila_id"]
    diagnostico = api.post("/fila-execucao", {"ordem_servico_id": 9212})["fila_id"]
    api.post(f"/fila-execucao/{diagnostico}/iniciar-diagnostico", {"mecanico_responsavel_id": 101})
    mecanico = abrir(DESKTOP).entrar("mecanico", "mecanico123")
    botao = mecanico.cartao(espera, "AGUARDANDO").get_by_role(
        "button", name="Iniciar diagnóstico da OS 9211", exact=True
    )
    expect(botao).to_have_text("Iniciar diagnóstico")
    # The step that asks for text: its toggle is named so, and opens its form.
    cartao = mecanico.cartao(diagnostico, "EM_DIAGNOSTICO")
    alternar = cartao.get_by_label("Finalizar diagnóstico da OS 9212", exact=True)
    expect(alternar).to_have_text("Finalizar diagnóstico")
    alternar.click()
    expect(cartao.get_by_role("textbox", name="Diagnóstico")).to_be_visible()
    expect(cartao.get_by_role("button", name="Mais ações da OS 9212", exact=True)).to_be_visible()


def test_sem_javascript_erro_depois_sucesso_nunca_405(
    live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    api = ApiHttp(live_server, settings)
    outra = api.post("/fila-execucao", {"ordem_servico_id": 9301})["fila_id"]
    ocupada = api.post("/fila-execucao", {"ordem_servico_id": 9302})["fila_id"]
    mecanico = abrir(TABLET, java_script_enabled=False)
    mecanico.pagina.goto("/entrar")
    mecanico.pagina.get_by_label("Usuário").fill("mecanico")
    mecanico.pagina.get_by_label("Senha").fill("mecanico123")
    mecanico.pagina.get_by_role("button", name="Entrar").click()
    p = mecanico.pagina
    expect(p.locator("#quadro")).to_be_visible()
    # No drag handle (dragging needs JavaScript), and no tab marked: the server's mark stayed
    # on "Aguardando" whichever column a tab's link showed.
    expect(p.locator(f"#cartao-{outra} .alca")).to_be_hidden()
    p.locator("#aba-EM_DIAGNOSTICO").click()
    fundos = [
        p.locator(f"#aba-{s}").evaluate("a => getComputedStyle(a).backgroundColor")
        for s in ("AGUARDANDO", "EM_DIAGNOSTICO")
    ]
    assert fundos[0] == fundos[1], fundos

    # Someone else starts one of them meanwhile: this board still offers the step.
    api.post(f"/fila-execucao/{ocupada}/iniciar-diagnostico", {"mecanico_responsavel_id": 102})
    p.locator(f"#cartao-{ocupada}").get_by_role("button", name="Iniciar diagnóstico").click()
    assert p.url.endswith(f"/#cartao-{ocupada}")
    resumo = p.locator("#resumo-erros")
    expect(resumo).to_contain_text("A integração servico-os já iniciou o diagnóstico às")
    expect(p.locator(f"#cartao-{ocupada} .mensagem")).to_contain_text(
        "A integração servico-os já iniciou o diagnóstico às"
    )
    # In portrait the card's column is off-screen; the summary at the top is not.
    assert resumo.bounding_box()["y"] < TABLET["height"]

    # Every answer the browser gets from here on is recorded: none may be a 405.
    respostas: list[tuple[int, str]] = []
    p.on("response", lambda r: respostas.append((r.status, r.url)))
    p.locator(f"#cartao-{outra}").get_by_role("button", name="Iniciar diagnóstico").click()
    expect(p.locator(f"#cartoes-EM_DIAGNOSTICO > #cartao-{outra}")).to_be_visible()
    assert respostas and all(status != 405 for status, _ in respostas), respostas
    assert p.locator("section.erro").count() == 0 and "Método não permitido" not in p.content()
    assert api.get(f"/fila-execucao/{outra}")["status"] == "EM_DIAGNOSTICO"


def test_tablet_em_retrato_abas_fixas_e_a_vista_segue_o_cartao(
    app: Flask, live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    gerente = Ator("teste", Papel.GERENTE)
    ids = [
        str(
            componente(FilaService, app).adicionar(
                9400 + n, gerente, Prioridade.NORMAL, {"placa": f"RET{n % 10}A{n:02d}"}
            )["_id"]
        )
        for n in range(30)
    ]
    tablet = abrir(TABLET, has_touch=True, is_mobile=True).entrar("mecanico", "mecanico123")
    p = tablet.pagina
    largura = p.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert largura[0] <= largura[1], largura  # no horizontal page overflow

    abas = p.locator("nav.abas")
    expect(p.locator("#aba-AGUARDANDO")).to_contain_text("30")
    p.mouse.wheel(0, 3000)  # far down the column
    p.wait_for_timeout(200)
    caixa = abas.bounding_box()
    assert caixa is not None and -1 <= caixa["y"] <= 5, caixa  # still on top of the screen

    cartao = tablet.cartao(ids[-1], "AGUARDANDO")
    cartao.scroll_into_view_if_needed()
    cartao.get_by_role("button", name="Iniciar diagnóstico").click()
    movido = tablet.cartao(ids[-1], "EM_DIAGNOSTICO")
    expect(movido).to_be_focused()
    expect(movido).to_be_in_viewport()
    expect(p.locator("#aba-EM_DIAGNOSTICO")).to_have_attribute("aria-current", "true")
    expect(p.locator("#aba-EM_DIAGNOSTICO")).to_contain_text("1")
    expect(p.locator("#anuncios")).to_contain_text(
        "Marcos Mecânico iniciou o diagnóstico da OS 9429"
    )
    # The view followed: nothing to offer (checked now, not after a toast would time out).
    assert p.locator("#toasts .toast").count() == 0
    assert tablet.erros == [], tablet.erros


def test_tablet_em_retrato_outra_coluna_aparece_do_topo_e_volta_com_o_voltar(
    app: Flask, live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """A portrait tablet, far down a long "Aguardando": the tab "Em reparo" (or a swipe to
    it) kept the page scrolled there, and the columns being as tall as the tallest, it
    showed an empty grey column; a toast's "Ver" focused a card 1,800 px above the screen.
    The chosen column shows from its top, the toast's card comes into view, and the column
    is kept in the address: Back from an order's page comes back to it, not to "Aguardando"."""
    gerente = Ator("teste", Papel.GERENTE)
    fila = componente(FilaService, app)
    for n in range(14):
        fila.adicionar(9600 + n, gerente, Prioridade.NORMAL, {"placa": f"COL{n % 10}A{n:02d}"})
    reparo = fila.adicionar(9650, gerente, Prioridade.NORMAL, {"placa": "REP9A50"})["_id"]
    for acao, dados in (
        (Acao.INICIAR_DIAGNOSTICO, {"mecanico_responsavel_id": 101}),
        (Acao.FINALIZAR_DIAGNOSTICO, {"diagnostico": "Freios"}),
        (Acao.APROVAR_ORCAMENTO, None),
        (Acao.INICIAR_REPARO, None),
    ):
        fila.executar(reparo, acao, gerente, dados)
    tablet = abrir(TABLET, has_touch=True, is_mobile=True).entrar("mecanico", "mecanico123")
    p = tablet.pagina
    em_reparo = tablet.cartao(str(reparo), "EM_REPARO")

    def longe_na_coluna() -> None:
        p.locator("#aba-AGUARDANDO").click()
        p.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
        p.wait_for_function("() => scrollY > 1500")

    longe_na_coluna()
    p.locator("#aba-EM_REPARO").click()
    expect(em_reparo).to_be_in_viewport()
    assert p.evaluate("location.hash") == "#coluna-EM_REPARO"
    # A swipe (the columns' own scroll) does the same.
    longe_na_coluna()
    p.locator("#quadro").evaluate("q => q.scrollTo({left: q.clientWidth * 2})")
    expect(em_reparo).to_be_in_viewport()
    expect(p.locator("#aba-EM_REPARO")).to_have_attribute("aria-current", "true")

    # Back from the order's page: its column again.
    em_reparo.locator("a.placa").click()
    expect(p.locator("#ordem-agora")).to_be_visible()
    p.go_back()
    expect(p.locator("#quadro[data-ao-vivo]")).to_have_count(1)
    expect(p.locator("#aba-EM_REPARO")).to_have_attribute("aria-current", "true")
    expect(em_reparo).to_be_in_viewport()

    # A toast's "Ver", far down another column: the card in view, not only focused.
    mudado = str(fila.adicionar(9660, gerente, Prioridade.URGENTE, {"placa": "VER9A60"})["_id"])
    longe_na_coluna()
    api = ApiHttp(live_server, settings)
    p.route("**/passo/iniciar-diagnostico", lambda rota: (rota.fetch(), rota.abort()))
    p.evaluate("id => document.querySelector(`#cartao-${id} form button`).click()", mudado)
    toast = p.locator("#toasts .toast")
    expect(toast).to_contain_text("foi para Em diagnóstico")
    p.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    toast.get_by_role("button", name="Ver").click()
    movido = tablet.cartao(mudado, "EM_DIAGNOSTICO")
    expect(movido).to_be_focused()
    expect(movido).to_be_in_viewport()
    assert api.get(f"/fila-execucao/{mudado}")["status"] == "EM_DIAGNOSTICO"
    assert [e for e in tablet.erros if "net::" not in e and not e.startswith("htmx:")] == []


def test_tablet_em_retrato_resposta_perdida_diz_para_onde_o_cartao_foi(
    live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """The step reached the server, its answer was lost, and the push moved the car to "Em
    diagnóstico", a tab out of sight: the car vanished from the screen, the only words on a
    line above the board that scrolls away. A toast says where it went, with "Ver"."""
    api = ApiHttp(live_server, settings)
    fila_id = api.post("/fila-execucao", {"ordem_servico_id": 9241, "placa": "PER1D00"})["fila_id"]
    tablet = abrir(TABLET, has_touch=True, is_mobile=True).entrar("mecanico", "mecanico123")
    p = tablet.pagina

    def perder(rota: Route) -> None:  # it reaches the server; its answer never comes back
        rota.fetch()
        rota.abort("connectionreset")

    p.route("**/passo/iniciar-diagnostico", perder)
    tablet.cartao(fila_id, "AGUARDANDO").get_by_role("button", name="Iniciar diagnóstico").click()
    toast = p.locator("#toasts .toast")
    expect(toast).to_contain_text("A resposta não chegou · OS 9241 foi para Em diagnóstico.")
    toast.get_by_role("button", name="Ver").click()
    movido = tablet.cartao(fila_id, "EM_DIAGNOSTICO")
    expect(movido).to_be_in_viewport()
    expect(movido.locator(".sem-resposta")).to_contain_text("a OS já mudou depois do seu toque")
    expect(p.locator("#aba-EM_DIAGNOSTICO")).to_have_attribute("aria-current", "true")
    assert [e for e in tablet.erros if "net::" not in e and not e.startswith("htmx:")] == []


def test_texto_digitado_sobrevive_a_um_409(
    live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    api = ApiHttp(live_server, settings)
    fila_id = api.post("/fila-execucao", {"ordem_servico_id": 9501})["fila_id"]
    api.post(f"/fila-execucao/{fila_id}/iniciar-diagnostico", {"mecanico_responsavel_id": 101})
    mecanico = abrir(DESKTOP).entrar("mecanico", "mecanico123")
    cartao = mecanico.cartao(fila_id, "EM_DIAGNOSTICO")
    cartao.get_by_text("Finalizar diagnóstico", exact=True).click()
    texto = "Folga na caixa de direção; trocar terminais e alinhar."
    cartao.get_by_role("textbox", name="Diagnóstico").fill(texto)
    # Someone finishes the same diagnosis elsewhere while this person types.
    api.post(f"/fila-execucao/{fila_id}/finalizar-diagnostico", {"diagnostico": "Outro texto"})
    cartao.get_by_role("button", name="Confirmar: finalizar diagnóstico").click()
    aviso = mecanico.pagina.locator("#textos-perdidos .texto-perdido")
    expect(aviso).to_contain_text("O que você escreveu na OS 9501 não foi salvo")
    expect(aviso.locator("textarea")).to_have_value(texto)
    expect(aviso.locator("textarea")).to_be_focused()  # offered at once, never under a toast
    expect(aviso).to_be_in_viewport()
    expect(mecanico.pagina.locator(f"#cartao-{fila_id} .mensagem")).to_contain_text(
        "finalizou o diagnóstico às"
    )
    # Copied, closed: the focus goes to its order's card, not to <body>.
    fechar = aviso.get_by_role("button", name="Fechar o aviso da OS 9501")
    fechar.focus()
    mecanico.pagina.keyboard.press("Enter")
    expect(aviso).to_have_count(0)
    expect(mecanico.cartao(fila_id)).to_be_focused()


def test_na_pagina_da_ordem_fechar_o_texto_nao_salvo_deixa_o_foco_no_titulo(
    live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """On the order's page (plain forms), a diagnosis refused because someone else finished
    it first comes back to copy; "Fechar" works there too, and leaves the focus on the page's
    heading."""
    api = ApiHttp(live_server, settings)
    fila_id = api.post("/fila-execucao", {"ordem_servico_id": 9502})["fila_id"]
    api.post(f"/fila-execucao/{fila_id}/iniciar-diagnostico", {"mecanico_responsavel_id": 101})
    mecanico = abrir(DESKTOP).entrar("mecanico", "mecanico123")
    p = mecanico.pagina
    p.goto(f"/ordens/{fila_id}")
    p.get_by_role("textbox", name="Diagnóstico").fill("Bomba d'água com folga.")
    api.post(f"/fila-execucao/{fila_id}/finalizar-diagnostico", {"diagnostico": "Outro texto"})
    p.get_by_role("button", name="Confirmar: finalizar diagnóstico").click()
    aviso = p.locator(".texto-perdido")
    expect(aviso.locator("textarea")).to_have_value("Bomba d'água com folga.")
    aviso.get_by_role("button", name="Fechar o aviso da OS 9502").click()
    expect(aviso).to_have_count(0)
    expect(p.get_by_role("heading", level=1)).to_be_focused()
    assert mecanico.erros == [], mecanico.erros


def test_quadro_com_2000_ordens_abertas(app: Flask, live_server: str, usuarios_demo, abrir) -> None:
    """Screenshots of a big board (tablet, desktop, TV); each column renders a page only."""
    repo = componente(FilaService, app).repo
    gerente = Ator("teste", Papel.GERENTE)
    prioridades = list(Prioridade)
    agora_ = agora()
    documentos = []
    for n in range(2000):
        extras = {"placa": f"VOL{n % 10}{'ABCDEFGHIJ'[n % 10]}{n % 100:02d}", "veiculo": "Fiat Uno"}
        documentos.append(nova_ordem(20_000 + n, prioridades[n % 4], gerente.id, agora_, extras))
    repo.fila.insert_many(documentos)
    for documento in documentos[:600]:
        componente(FilaService, app).executar(
            documento["_id"], Acao.INICIAR_DIAGNOSTICO, gerente, {"mecanico_responsavel_id": 101}
        )
    token, _ = componente(ConfiguracoesRepository, app).criar_passe("TV", "teste")

    ARTEFATOS.mkdir(exist_ok=True)
    for nome, tela, opcoes in (
        ("quadro-2000-tablet", TABLET, {"has_touch": True, "is_mobile": True}),
        ("quadro-2000-desktop", DESKTOP, {}),
    ):
        pessoa = abrir(tela, **opcoes).entrar("gerente", "gerente123")
        # Generous waits: this test shares 2 cores with the database and the server.
        expect(pessoa.pagina.locator("#cartoes-AGUARDANDO > li")).to_have_count(40, timeout=15_000)
        expect(pessoa.pagina.locator("#contagem-AGUARDANDO")).to_contain_text("1400")
        pessoa.pagina.screenshot(path=ARTEFATOS / f"{nome}.png")
        # "Mostrar mais" loads the next page, in order, when it comes into view (and each new
        # "Mostrar mais" in view loads one more: how many pages that makes depends on the
        # layout and the timing, never a card twice nor out of order).
        cartoes = pessoa.pagina.locator("#cartoes-AGUARDANDO > li")
        pessoa.pagina.locator("#mais-AGUARDANDO a").scroll_into_view_if_needed()
        expect(cartoes).not_to_have_count(40, timeout=15_000)
        ids, ordens = zip(
            *cartoes.evaluate_all("els => els.map(e => [e.id, e.dataset.ordem])"), strict=True
        )
        assert len(ids) >= 80 and len(ids) % 40 == 0 and len(set(ids)) == len(ids)
        assert list(ordens) == sorted(ordens)
        assert pessoa.erros == [], pessoa.erros
    tv = abrir(TV).pagina
    tv.goto(f"/painel?token={token}")
    expect(tv.locator("#painel-mais-AGUARDANDO")).to_contain_text("+1395", timeout=15_000)
    tv.screenshot(path=ARTEFATOS / "painel-2000-tv.png")


def test_push_do_mesmo_estado_mantem_as_acoes_abertas(
    make_app, navegador, settings: Settings, usuarios_demo
) -> None:
    """A dispatcher's attempt comes as the card's OS badge alone (its own target, #sinc-<id>),
    and the card's node stays:
    "Mais…" stays open, whether the push comes after the actions arrived or while they are
    being fetched, and so does the reason a step was refused. A newer state replaces the card,
    and actions on their way then land in the new one."""
    with OSStandIn(settings.secret_key) as os_servico:
        app = make_app(url_api_os=os_servico.url, os_sync_thread=False)
        gerente = Ator("teste", Papel.GERENTE)
        fila_id = componente(FilaService, app).adicionar(9401, gerente)["_id"]
        componente(FilaService, app).executar(
            fila_id, Acao.INICIAR_DIAGNOSTICO, gerente, {"mecanico_responsavel_id": 7}
        )
        with servidor_http(app) as base:
            pessoa = Pessoa(navegador, base, TABLET).entrar("gerente", "gerente123")
            try:
                cartao = pessoa.cartao(str(fila_id), "EM_DIAGNOSTICO")
                expect(cartao.locator(".sinc-os")).to_contain_text("pendente")
                versao = cartao.get_attribute("data-versao")
                cartao.get_by_role("button", name="Mais ações da OS 9401").click()
                acoes = cartao.locator(".mais-acoes .acoes-todas")
                expect(acoes).to_be_visible()

                # A mark only this node carries: the push must update it, not replace it (a tap
                # pressed on one node and released on its replacement is no click).
                cartao.evaluate("no => no.setAttribute('data-no-do-teste', '1')")
                assert (
                    componente(OsDispatcher, app).despachar_uma_vez() is True
                )  # delivered: a new badge
                expect(cartao.locator(".sinc-os")).to_have_count(0)  # the push was applied
                assert cartao.get_attribute("data-versao") == versao
                assert cartao.get_attribute("data-no-do-teste") == "1"
                expect(acoes.get_by_text("Colocar em espera")).to_be_visible()

                # Someone else's step: a new state, the card moves and its actions close.
                componente(FilaService, app).executar(
                    fila_id, Acao.FINALIZAR_DIAGNOSTICO, gerente, {"diagnostico": "X"}
                )
                cartao = pessoa.cartao(str(fila_id), "AGUARDANDO")
                expect(cartao.locator(".sinc-os")).to_contain_text("pendente")
                acoes = cartao.locator(".mais-acoes .acoes-todas")
                expect(acoes).to_have_count(0)
                um_instante(pessoa.pagina)  # the card has just come into its column

                def entregar_enquanto_busca(rota: Route) -> None:
                    assert componente(OsDispatcher, app).despachar_uma_vez() is True
                    time.sleep(1.0)  # meanwhile the browser receives the same-state push
                    rota.continue_()

                pessoa.pagina.route("**/acoes*", entregar_enquanto_busca)
                cartao.get_by_role("button", name="Mais ações da OS 9401").click()
                expect(acoes.get_by_text("Colocar em espera")).to_be_visible()
                expect(cartao.locator(".sinc-os")).to_have_count(0, timeout=5_000)
                expect(acoes.get_by_text("Colocar em espera")).to_be_visible()

                # A newer state replaces the card while its actions are on their way: they land
                # in the new card (HX-Retarget, resolved when the answer arrives).
                cartao.evaluate("no => no.setAttribute('data-no-do-teste', '1')")
                pessoa.pagina.unroute("**/acoes*")

                def mudar_enquanto_busca(rota: Route) -> None:
                    componente(FilaService, app).alterar_prioridade(
                        fila_id, Prioridade.URGENTE, gerente
                    )
                    time.sleep(1.0)  # meanwhile the push replaces the card
                    rota.continue_()

                pessoa.pagina.route("**/acoes*", mudar_enquanto_busca)
                mais = cartao.get_by_role("button", name="Mais ações da OS 9401")
                mais.click()  # "Mais…" was open: this tap closes it, the next one fetches
                expect(acoes).to_have_count(0)
                mais.click()
                expect(cartao).to_contain_text("Urgente")
                assert cartao.get_attribute("data-no-do-teste") is None  # a new node
                expect(acoes.get_by_text("Colocar em espera")).to_be_visible()
                pessoa.pagina.unroute("**/acoes*")

                # The reason a step was refused stays, too. This board's "Iniciar reparo" reaches
                # the server after someone else's (whose push moves the card first): a 409.
                componente(FilaService, app).executar(fila_id, Acao.APROVAR_ORCAMENTO, gerente)
                retidos = reter(pessoa.pagina, "**/passo/iniciar-reparo")
                cartao.get_by_role("button", name="Iniciar reparo").click()
                componente(FilaService, app).executar(fila_id, Acao.INICIAR_REPARO, gerente)
                cartao = pessoa.cartao(str(fila_id), "EM_REPARO")
                expect(cartao.locator(".sinc-os")).to_contain_text("pendente")
                assert len(retidos.esperar(pessoa.pagina)) == 1
                retidos[0].continue_()
                expect(cartao.locator(".mensagem")).to_contain_text("iniciou o reparo às")
                assert componente(OsDispatcher, app).despachar_uma_vez() is True
                expect(cartao.locator(".sinc-os")).to_have_count(0)
                expect(cartao.locator(".mensagem")).to_contain_text("iniciou o reparo às")
                # Only the refused step's answer, which the browser logs as a failed load.
                assert [e for e in pessoa.erros if "409" not in e] == [], pessoa.erros
            finally:
                pessoa.fechar()


def test_resposta_do_toque_nao_traz_de_volta_o_selo_envio_pendente(
    make_app, navegador, settings: Settings, usuarios_demo
) -> None:
    """The tap's answer is drawn at the step, "Sistema de OS: envio pendente"; the dispatcher
    sends the step at once, and its badge push ("sent": no badge) can reach the page first.
    The answer, landing after, put "envio pendente" back for ten minutes (the next redraw):
    seen on 5 of 13 taps on the demo. The badge counts the dispatcher's attempts (data-sinc):
    the newer one stays."""
    with OSStandIn(settings.secret_key) as os_servico:
        app = make_app(url_api_os=os_servico.url, os_sync_thread=False)
        fila_id = str(componente(FilaService, app).adicionar(9402, Ator("t", Papel.GERENTE))["_id"])
        with servidor_http(app) as base:
            pessoa = Pessoa(navegador, base, TABLET).entrar("mecanico", "mecanico123")
            try:
                respostas = _reter_a_resposta(pessoa.pagina, "**/passo/iniciar-diagnostico")
                cartao = pessoa.cartao(fila_id, "AGUARDANDO")
                cartao.get_by_role("button", name="Iniciar diagnóstico").click()
                movido = pessoa.cartao(fila_id, "EM_DIAGNOSTICO")
                expect(movido.locator(".sinc-os")).to_contain_text("pendente", timeout=PRAZO_TV)
                assert componente(OsDispatcher, app).despachar_uma_vez() is True  # delivered
                expect(movido.locator(".sinc-os")).to_have_count(0)
                # The held answer's handler appends once the browser's events run (a loaded
                # run had not yet: an empty list, then the handler failing in the next test).
                _esperar(pessoa.pagina, lambda: len(respostas) == 1)
                rota, resposta = respostas[0]
                assert "envio pendente" in resposta.text()  # drawn before the send
                movido.evaluate("no => no.setAttribute('data-no-do-teste', '1')")
                rota.fulfill(response=resposta)
                # The answer's card took the node's place (then the badge is looked at).
                expect(movido).not_to_have_attribute("data-no-do-teste", "1")
                expect(movido.locator(".mensagem, .nao-salvo")).to_have_count(0)
                expect(movido.locator(".sinc-os")).to_have_count(0)
                assert pessoa.erros == [], pessoa.erros
            finally:
                pessoa.fechar()


def test_mostrar_mais_conta_o_que_os_pushes_trazem(
    app: Flask, live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """ "Mostrar mais (N)" counts what the column holds beyond the cards loaded, as pushes
    change it: 45 waiting (40 shown, 5 more), then 3 new ones pushed: 8 more. It kept saying 5
    until the 10-minute redraw, under a header that said 48."""
    fila = componente(FilaService, app)
    gerente_ator = Ator("teste", Papel.GERENTE)
    for n in range(45):
        fila.adicionar(9500 + n, gerente_ator, Prioridade.NORMAL, {}, instante=agora())
    gerente = abrir(DESKTOP).entrar("gerente", usuarios_demo["gerente"]["senha"])
    mais = gerente.pagina.locator("#mais-AGUARDANDO a")
    expect(mais).to_have_text("Mostrar mais (5)")
    api = ApiHttp(live_server, settings)
    for n in range(3):
        api.post("/fila-execucao", {"ordem_servico_id": 9600 + n})
    expect(gerente.pagina.locator("#contagem-AGUARDANDO")).to_have_text("48", timeout=PRAZO_TV)
    expect(mais).to_have_text("Mostrar mais (8)")


def test_o_tempo_tiquetaqueado_no_navegador_e_dito_como_o_servidor_diria(
    usuarios_demo, abrir
) -> None:
    """static/duracao.js ticks a card's time between pushes; it must say it as clock.duracao
    does, or a card's time changes words at the next push ("1 h 5 min" then "1 h 05 min")."""
    pagina = abrir(DESKTOP).entrar("mecanico", "mecanico123").pagina
    segundos = [0, 59.9, 60, 3_599, 3_600, 3_659, 3_660, 86_399, 86_400, 90_061, 864_000.5,
                10 * 365 * 86_400]  # fmt: skip
    no_navegador = pagina.evaluate("(s) => s.map((x) => window.oficinaDuracao(x))", segundos)
    assert no_navegador == [duracao(s) for s in segundos]
    assert no_navegador[8] == "1 d" and no_navegador[9] == "1 d 1 h"  # never "1 d 0 h"


def test_cartoes_de_mostrar_mais_ficam_depois_do_proprio_toque(
    app: Flask, live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """A probe: 45 waiting, "Mostrar mais" loads the last 5, and the manager's own "Iniciar
    diagnóstico" on one of them took the column back to its first 40 ("Mostrar mais (4)")."""
    fila = componente(FilaService, app)
    gerente_ator = Ator("teste", Papel.GERENTE)
    for n in range(45):
        fila.adicionar(9700 + n, gerente_ator, Prioridade.NORMAL, {}, instante=agora())
    gerente = abrir(DESKTOP).entrar("gerente", usuarios_demo["gerente"]["senha"])
    p = gerente.pagina
    cartoes = p.locator("#cartoes-AGUARDANDO > li.cartao")
    expect(cartoes).to_have_count(40)
    p.locator("#mais-AGUARDANDO a").click()
    expect(cartoes).to_have_count(45)
    ultimo = cartoes.last
    um_instante(p)  # the cards have just come
    ultimo.get_by_role("button", name="Iniciar diagnóstico").click()
    expect(p.locator("#cartoes-EM_DIAGNOSTICO > li.cartao")).to_have_count(1)
    p.wait_for_timeout(2000)
    expect(cartoes).to_have_count(44)
    expect(p.locator("#mais-AGUARDANDO a")).to_have_count(0)


def test_mais_aberto_no_fim_da_tela_vem_para_a_vista(
    live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """ "Mais…" tapped low on a landscape tablet opened its panel below the screen's edge: the
    tap seemed to do nothing. The panel now comes into view, "Mais…" still on screen above it;
    a second tap closes it where it is."""
    api = ApiHttp(live_server, settings)
    fila_id = api.post("/fila-execucao", {"ordem_servico_id": 9481, "placa": "MAI5A81"})["fila_id"]
    gerente = abrir({"width": 1024, "height": 768}, has_touch=True, is_mobile=True)
    gerente.entrar("gerente", "gerente123")
    p = gerente.pagina
    mais = gerente.cartao(fila_id).get_by_role("button", name="Mais ações da OS 9481")
    caixa = mais.bounding_box()
    assert caixa
    # The screen ends just under "Mais…", as on a busy shop's board.
    p.set_viewport_size({"width": 1024, "height": int(caixa["y"] + caixa["height"] + 12)})
    mais.tap()
    remover = gerente.cartao(fila_id).get_by_text("Remover", exact=True)
    expect(remover).to_be_in_viewport()
    expect(mais).to_be_in_viewport()
    expect(mais).to_have_attribute("aria-expanded", "true")
    assert p.evaluate("scrollY") > 0
    gerente.pagina.screenshot(path=ARTEFATOS / "quadro-mais-na-vista.png")
    assert gerente.erros == [], gerente.erros
