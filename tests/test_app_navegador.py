"""The board and the TV in a real browser (Debian's Chromium driven by Playwright), against the
app on a real HTTP server and the real mongod. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re

import pytest
import requests
from flask import Flask
from playwright.sync_api import Page, expect

from tests.navegador import (
    ARTEFATOS,
    DESKTOP,
    PRAZO_TV,
    TABLET,
    TV,
    ApiHttp,
    Pessoa,
    sem_csrf,
    um_instante,
)
from webapp.components import componente
from webapp.configuracoes.queries import ConfiguracoesQueries
from webapp.configuracoes.repository import ConfiguracoesRepository
from webapp.mongo import Mongo
from webapp.pessoas.queries import PessoasQueries
from webapp.previsao.repository import ESTADO, PREVISOES
from webapp.sessao.repository import SessoesRepository
from webapp.settings import Settings

pytestmark = pytest.mark.navegador


def na_tv(tv: Page, fila_id: str, status: str):
    return tv.locator(f"#painel-coluna-{status} #painel-cartao-{fila_id}")


def test_fluxo_completo_no_quadro_e_na_tv(
    app: Flask, live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    ARTEFATOS.mkdir(exist_ok=True)
    api = ApiHttp(live_server, settings)
    carro = api.post(
        "/fila-execucao",
        {
            "ordem_servico_id": 5001,
            "prioridade": "ALTA",
            "placa": "BRA2E19",
            "veiculo": "VW Polo 1.0",
            "cliente": "Oficina Teste",
        },
    )
    fila_id = carro["fila_id"]
    for os_id, prioridade in ((5002, "URGENTE"), (5003, "NORMAL"), (5004, "BAIXA")):
        api.post("/fila-execucao", {"ordem_servico_id": os_id, "prioridade": prioridade})

    token_tv, _ = componente(ConfiguracoesRepository, app).criar_passe("TV da oficina", "teste")
    tv = abrir(TV).pagina
    tv.goto(f"/painel?token={token_tv}")
    expect(na_tv(tv, fila_id, "AGUARDANDO")).to_be_visible()

    mecanico = abrir(TABLET, has_touch=True, is_mobile=True).entrar(
        "mecanico", usuarios_demo["mecanico"]["senha"]
    )
    gerente = abrir(DESKTOP).entrar("gerente", usuarios_demo["gerente"]["senha"])
    m = mecanico.pagina

    cartao = mecanico.cartao(fila_id, "AGUARDANDO")
    expect(cartao).to_contain_text("BRA2E19")
    expect(cartao).to_contain_text("Aguardando diagnóstico")
    expect(cartao.get_by_role("button", name="Aprovar orçamento")).to_have_count(0)
    cartao.get_by_role("button", name="Iniciar diagnóstico").click()

    cartao = mecanico.cartao(fila_id, "EM_DIAGNOSTICO")
    expect(cartao).to_be_visible()
    expect(cartao).to_contain_text("Marcos Mecânico")
    expect(cartao.get_by_role("button", name="Iniciar diagnóstico")).to_have_count(0)
    expect(m.locator("#contagem-EM_DIAGNOSTICO")).to_contain_text("1")
    expect(na_tv(tv, fila_id, "EM_DIAGNOSTICO")).to_be_visible(timeout=PRAZO_TV)
    m.screenshot(path=ARTEFATOS / "quadro-tablet.png")

    um_instante(m)  # the card has just come into its column
    cartao.get_by_text("Finalizar diagnóstico", exact=True).click()  # its form, on the card
    cartao.get_by_role("textbox", name="Diagnóstico").fill("Embreagem no fim; trocar kit completo.")
    cartao.get_by_role("button", name="Confirmar: finalizar diagnóstico").click()

    cartao = mecanico.cartao(fila_id, "AGUARDANDO")
    expect(cartao).to_contain_text("Aguardando aprovação do orçamento")
    expect(cartao.get_by_role("button", name="Iniciar reparo")).to_have_count(0)
    um_instante(m)
    cartao.get_by_role("button", name="Mais ações da OS 5001").click()
    expect(cartao.get_by_role("button", name="Iniciar reparo")).to_be_disabled()
    expect(cartao).to_contain_text("Aguardando a aprovação do orçamento")
    expect(na_tv(tv, fila_id, "AGUARDANDO")).to_contain_text(
        "Aguardando aprovação", timeout=PRAZO_TV
    )

    # The manager approves on another screen; the mechanic's board updates by itself.
    um_instante(gerente.pagina)
    gerente.cartao(fila_id, "AGUARDANDO").get_by_role("button", name="Aprovar orçamento").click()
    expect(gerente.cartao(fila_id, "AGUARDANDO")).to_contain_text("Aprovada, pronta para reparo")
    gerente.pagina.screenshot(path=ARTEFATOS / "quadro-desktop.png")
    cartao = mecanico.cartao(fila_id, "AGUARDANDO")
    expect(cartao.get_by_role("button", name="Iniciar reparo")).to_be_enabled(timeout=PRAZO_TV)
    expect(na_tv(tv, fila_id, "AGUARDANDO")).to_contain_text("Pronta para reparo", timeout=PRAZO_TV)

    um_instante(m)
    cartao.get_by_role("button", name="Iniciar reparo").click()
    cartao = mecanico.cartao(fila_id, "EM_REPARO")
    expect(cartao).to_be_visible()
    expect(na_tv(tv, fila_id, "EM_REPARO")).to_be_visible(timeout=PRAZO_TV)
    um_instante(m)

    cartao.get_by_text("Finalizar reparo", exact=True).click()
    cartao.get_by_label("Observações do reparo").fill("Kit trocado, testado na rua.")
    cartao.get_by_role("button", name="Confirmar: finalizar reparo").click()
    cartao = mecanico.cartao(fila_id, "FINALIZADA")
    expect(cartao).to_be_visible()
    expect(cartao.locator("form")).to_have_count(0)
    expect(cartao).to_contain_text("Total:")
    expect(na_tv(tv, fila_id, "FINALIZADA")).to_be_visible(timeout=PRAZO_TV)
    expect(gerente.cartao(fila_id, "FINALIZADA")).to_be_visible(timeout=PRAZO_TV)

    # A change through the JSON API reaches the TV and the open boards too.
    outro = api.post("/fila-execucao", {"ordem_servico_id": 5005, "placa": "API1A23"})
    expect(na_tv(tv, outro["fila_id"], "AGUARDANDO")).to_be_visible(timeout=PRAZO_TV)
    api.post(
        f"/fila-execucao/{outro['fila_id']}/iniciar-diagnostico", {"mecanico_responsavel_id": 102}
    )
    expect(na_tv(tv, outro["fila_id"], "EM_DIAGNOSTICO")).to_be_visible(timeout=PRAZO_TV)
    expect(mecanico.cartao(outro["fila_id"], "EM_DIAGNOSTICO")).to_be_visible(timeout=PRAZO_TV)
    api.patch(f"/fila-execucao/{outro['fila_id']}/prioridade", {"prioridade": "URGENTE"})
    expect(na_tv(tv, outro["fila_id"], "EM_DIAGNOSTICO")).to_contain_text(
        "Urgente", timeout=PRAZO_TV
    )
    tv.screenshot(path=ARTEFATOS / "painel-tv.png")

    for pessoa in (mecanico, gerente):
        assert pessoa.erros == [], pessoa.erros  # CSP violations and script errors included


def test_post_sem_csrf_e_acao_de_gerente_a_mao(
    live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    api = ApiHttp(live_server, settings)
    fila_id = api.post("/fila-execucao", {"ordem_servico_id": 6001})["fila_id"]
    mecanico = abrir(DESKTOP).entrar("mecanico", usuarios_demo["mecanico"]["senha"])
    pedido = mecanico.pagina.request

    r = pedido.post(f"/ordens/{fila_id}/passo/iniciar-diagnostico", form={})
    assert r.status == 400
    assert "recarregue a página" in r.text()

    token = mecanico.pagina.locator("input[name=csrf_token]").first.get_attribute("value")
    r = pedido.post(f"/ordens/{fila_id}/remover", form={"csrf_token": token})
    assert r.status == 403
    r = pedido.post(
        f"/ordens/{fila_id}/prioridade", form={"csrf_token": token, "prioridade": "URGENTE"}
    )
    assert r.status == 403
    mecanico.pagina.reload()
    expect(mecanico.cartao(fila_id, "AGUARDANDO")).to_contain_text("Normal")


def arrastar(pagina: Page, cartao, lista) -> None:
    """Drag like a hand does: press, move in steps over the target, release."""
    # The card may be redrawn in between (the last step's answer, then its push): its box is
    # read again until one is on the page (seen None on a loaded machine).
    titulo = cartao.locator("h3")
    expect(titulo).to_be_visible()
    origem = titulo.bounding_box()
    for _ in range(20):
        if origem is not None:
            break
        pagina.wait_for_timeout(50)
        origem = titulo.bounding_box()
    assert origem is not None, "o cartão não ficou na página"
    destino = lista.bounding_box()
    pagina.mouse.move(origem["x"] + 10, origem["y"] + 5)
    pagina.mouse.down()
    pagina.mouse.move(destino["x"] + 40, destino["y"] + 20, steps=20)
    pagina.mouse.move(destino["x"] + 50, destino["y"] + 30, steps=5)
    pagina.mouse.up()


def test_arrastar_sem_animacao_para_quem_pediu_menos_movimento(usuarios_demo, abrir) -> None:
    """The system's "reduce motion" stops the cards' sliding (the spinner already obeyed it)."""
    animacao = "Sortable.get(document.getElementById('cartoes-AGUARDANDO')).options.animation"
    menos = abrir(DESKTOP, reduced_motion="reduce").entrar("gerente", "gerente123")
    normal = abrir(DESKTOP).entrar("gerente", "gerente123")
    assert menos.pagina.evaluate(animacao) == 0
    assert normal.pagina.evaluate(animacao) > 0


def test_arrastar_executa_o_passo_ou_volta_com_o_motivo(
    live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    api = ApiHttp(live_server, settings)
    fila_id = api.post("/fila-execucao", {"ordem_servico_id": 7001, "placa": "DRG0A01"})["fila_id"]
    gerente = abrir(DESKTOP).entrar("gerente", usuarios_demo["gerente"]["senha"])
    p = gerente.pagina

    # Not an allowed step: the card snaps back and says why.
    arrastar(p, gerente.cartao(fila_id), p.locator("#cartoes-EM_REPARO"))
    expect(gerente.cartao(fila_id, "AGUARDANDO")).to_contain_text(
        "Não é possível mover a OS 7001 para Em reparo: o diagnóstico ainda não foi finalizado."
    )
    expect(p.locator("#cartoes-EM_REPARO .cartao")).to_have_count(0)

    # The next column: the same step as the button.
    arrastar(p, gerente.cartao(fila_id), p.locator("#cartoes-EM_DIAGNOSTICO"))
    expect(gerente.cartao(fila_id, "EM_DIAGNOSTICO")).to_be_visible()

    # A step that needs text opens its form instead of moving.
    arrastar(p, gerente.cartao(fila_id), p.locator("#cartoes-AGUARDANDO"))
    formulario = gerente.cartao(fila_id, "EM_DIAGNOSTICO").get_by_role(
        "textbox", name="Diagnóstico"
    )
    expect(formulario).to_be_visible()
    expect(formulario).to_be_focused()


def _em_diagnostico(api: ApiHttp, os_id: int) -> str:
    """An order in diagnosis with mechanic 101 (before the page opens: its card then carries
    the page's own forms, with their CSRF token). Its id."""
    fila_id = api.post("/fila-execucao", {"ordem_servico_id": os_id})["fila_id"]
    api.post(f"/fila-execucao/{fila_id}/iniciar-diagnostico", {"mecanico_responsavel_id": 101})
    return fila_id


def _digitando_quando_outro_muda(api: ApiHttp, mecanico: Pessoa, fila_id: str) -> None:
    """Its mechanic types the diagnosis when a manager makes the order urgent: the change
    waits, the card says so."""
    cartao = mecanico.cartao(fila_id, "EM_DIAGNOSTICO")
    cartao.get_by_text("Finalizar diagnóstico", exact=True).click()
    cartao.get_by_role("textbox", name="Diagnóstico").fill("Correia dentada no fim")
    api.patch(f"/fila-execucao/{fila_id}/prioridade", {"prioridade": "URGENTE"})
    expect(cartao.locator(".aviso-atualizado")).to_be_visible(timeout=PRAZO_TV)


def _desiste_e_ve_a_mudanca(mecanico: Pessoa, fila_id: str) -> None:
    """She clears and closes the form: the change that waited shows."""
    cartao = mecanico.cartao(fila_id, "EM_DIAGNOSTICO")
    cartao.get_by_role("textbox", name="Diagnóstico").fill("")
    cartao.get_by_text("Finalizar diagnóstico", exact=True).click()
    mecanico.pagina.locator("h1, .topo").first.click()
    expect(mecanico.cartao(fila_id, "EM_DIAGNOSTICO")).to_contain_text("Urgente", timeout=5000)
    expect(mecanico.cartao(fila_id, "EM_DIAGNOSTICO").locator(".aviso-atualizado")).to_have_count(0)


def test_ordem_removida_enquanto_o_mecanico_escreve_diz_que_saiu(
    app: Flask, live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """The manager removes the order its mechanic is writing the diagnosis of: the kept card
    says it left this board (not "updated by someone else", as if the text had a future
    there); confirming then says why, with the text to copy."""
    api = ApiHttp(live_server, settings)
    fila_id = _em_diagnostico(api, 9481)
    mecanico = abrir(TABLET, has_touch=True, is_mobile=True).entrar("mecanico", "mecanico123")
    _digitando_quando_outro_muda(api, mecanico, fila_id)
    cartao = mecanico.cartao(fila_id, "EM_DIAGNOSTICO")
    # Who did what, on the card she looks at (the page's line may be out of view); kept
    # through the pushes that follow and say nothing of it (the columns redrawn after a
    # priority's change turned it back into "Atualizado por outra pessoa" within a second).
    especifico = re.compile(
        r"^A integração \S+ mudou a prioridade da OS 9481( \([^)]*\))? para urgente\. "
        r"A versão nova aparece quando você terminar\.$"
    )
    expect(cartao.locator(".aviso-atualizado")).to_have_text(especifico)
    # The whole board redrawn (the forecast's summary changed its reason, as a recompute
    # after a priority's change does): its push says nothing of this order.
    componente(Mongo, app).db[PREVISOES].update_one(
        {"_id": ESTADO}, {"$set": {"motivo": "sem histórico suficiente"}}, upsert=True
    )
    expect(mecanico.pagina.locator("body")).to_contain_text(
        "Previsão: sem histórico suficiente", timeout=PRAZO_TV
    )  # the redraw came
    expect(cartao.locator(".aviso-atualizado")).to_have_text(especifico, timeout=100)
    removida = requests.delete(f"{live_server}/fila-execucao/{fila_id}", headers=api.headers)
    assert removida.status_code == 204, removida.text
    aviso = cartao.locator(".aviso-atualizado")
    expect(aviso).to_contain_text(
        re.compile(
            r"^A integração \S+ removeu a OS 9481( \(.*\))? da fila (em \S+ )?às \d\d:\d\d\. "
        ),
        timeout=PRAZO_TV,
    )
    # After the push's own sentence, what confirming does, with no "ela" to misread (it
    # followed "Gabriela … removeu"): what can no longer be saved is kept to copy.
    expect(aviso).to_contain_text(
        "Ao confirmar, o que não puder mais ser salvo nesta ordem fica para copiar."
    )
    assert "se ela ainda estiver" not in aviso.text_content()
    expect(aviso).to_have_count(1)
    expect(cartao.get_by_role("textbox", name="Diagnóstico")).to_have_value(
        "Correia dentada no fim"
    )
    cartao.get_by_role("button", name="Confirmar: finalizar diagnóstico").click()
    perdido = mecanico.pagina.locator("#textos-perdidos .texto-perdido")
    expect(perdido).to_contain_text("removeu a OS 9481")
    expect(perdido.locator("textarea")).to_have_value("Correia dentada no fim")
    assert mecanico.erros == [e for e in mecanico.erros if "404" in e or "409" in e], mecanico.erros


def test_mudanca_guardada_sobrevive_a_um_envio_que_nao_chegou(
    live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """Someone changes a card while its mechanic types: the change waits. Her submit never
    reaches the server (Wi-Fi gone): the change still waits, and shows once she gives up."""
    api = ApiHttp(live_server, settings)
    fila_id = _em_diagnostico(api, 8101)
    mecanico = abrir(DESKTOP).entrar("mecanico", usuarios_demo["mecanico"]["senha"])
    _digitando_quando_outro_muda(api, mecanico, fila_id)
    cartao = mecanico.cartao(fila_id, "EM_DIAGNOSTICO")
    mecanico.pagina.route("**/passo/**", lambda rota: rota.abort())
    cartao.get_by_role("button", name="Confirmar: finalizar diagnóstico").click()
    expect(cartao.locator(".nao-salvo")).to_contain_text("Sem conexão — pode não ter sido salvo.")
    # Said once (the page's #anuncios; the card's notice is no second live region), and the
    # way to try again has the focus (a keyboard was left on <body>).
    expect(mecanico.pagina.locator("#anuncios")).to_have_text(
        "Sem conexão — pode não ter sido salvo."
    )
    expect(cartao.locator(".nao-salvo")).not_to_have_attribute("role", "alert")
    expect(cartao.get_by_role("button", name="Tentar de novo")).to_be_focused()
    mecanico.pagina.unroute("**/passo/**")
    _desiste_e_ve_a_mudanca(mecanico, fila_id)


def test_mudanca_guardada_sobrevive_a_uma_recusa_sem_cartao(
    live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """The same, with a submit the server refuses for its CSRF token (400, a notice and no
    card): the answer does not carry the card's state, so the change still waits. It was
    dropped, and the card kept its old priority until the 10-minute redraw."""
    api = ApiHttp(live_server, settings)
    fila_id = _em_diagnostico(api, 8102)
    mecanico = abrir(TABLET).entrar("mecanico", usuarios_demo["mecanico"]["senha"])
    _digitando_quando_outro_muda(api, mecanico, fila_id)
    cartao = mecanico.cartao(fila_id, "EM_DIAGNOSTICO")
    mecanico.pagina.route("**/passo/**", sem_csrf)
    cartao.get_by_role("button", name="Confirmar: finalizar diagnóstico").click()
    expect(mecanico.pagina.locator("#anuncios .aviso-erro")).to_contain_text("formulário inválido")
    mecanico.pagina.unroute("**/passo/**")
    _desiste_e_ve_a_mudanca(mecanico, fila_id)


def test_arrastar_sem_rede_diz_que_nao_salvou_e_tenta_de_novo(
    live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """A drop whose request never arrives (Wi-Fi gone) or meets a server error says so on the
    card, and its "Tentar de novo" sends the same drop again."""
    api = ApiHttp(live_server, settings)
    fila_id = api.post("/fila-execucao", {"ordem_servico_id": 7002, "placa": "DRG0A02"})["fila_id"]
    gerente = abrir(DESKTOP).entrar("gerente", usuarios_demo["gerente"]["senha"])
    p = gerente.pagina
    p.route("**/mover", lambda rota: rota.abort())
    arrastar(p, gerente.cartao(fila_id), p.locator("#cartoes-EM_DIAGNOSTICO"))
    aviso = gerente.cartao(fila_id, "AGUARDANDO").locator(".nao-salvo")
    expect(aviso).to_contain_text("Sem conexão — pode não ter sido salvo.")
    p.unroute("**/mover")
    p.route("**/mover", lambda rota: rota.fulfill(status=500, body="erro"))
    aviso.get_by_role("button", name="Tentar de novo").click()
    aviso = gerente.cartao(fila_id, "AGUARDANDO").locator(".nao-salvo")
    expect(aviso).to_contain_text("Erro no servidor — não foi salvo.")
    p.unroute("**/mover")
    aviso.get_by_role("button", name="Tentar de novo").click()
    expect(gerente.cartao(fila_id, "EM_DIAGNOSTICO")).to_be_visible()
    assert api.get(f"/fila-execucao/{fila_id}")["status"] == "EM_DIAGNOSTICO"


def test_atualizacao_nao_atrapalha_quem_esta_digitando(
    live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    api = ApiHttp(live_server, settings)
    fila_id = api.post("/fila-execucao", {"ordem_servico_id": 8001})["fila_id"]
    api.post(f"/fila-execucao/{fila_id}/iniciar-diagnostico", {"mecanico_responsavel_id": 101})
    mecanico = abrir(DESKTOP).entrar("mecanico", usuarios_demo["mecanico"]["senha"])
    cartao = mecanico.cartao(fila_id, "EM_DIAGNOSTICO")
    cartao.get_by_text("Finalizar diagnóstico", exact=True).click()
    campo = cartao.get_by_role("textbox", name="Diagnóstico")
    campo.fill("Ruído no rolamento dianteiro")

    api.patch(f"/fila-execucao/{fila_id}/prioridade", {"prioridade": "URGENTE"})
    outro = api.post("/fila-execucao", {"ordem_servico_id": 8002})
    expect(mecanico.cartao(outro["fila_id"], "AGUARDANDO")).to_be_visible(timeout=PRAZO_TV)
    expect(campo).to_have_value("Ruído no rolamento dianteiro")
    expect(campo).to_be_focused()

    cartao.get_by_role("button", name="Confirmar: finalizar diagnóstico").click()
    cartao = mecanico.cartao(fila_id, "AGUARDANDO")
    expect(cartao).to_contain_text("Ruído no rolamento dianteiro")
    expect(cartao).to_contain_text("Urgente")


def test_busca_no_tablet_abre_na_coluna_do_que_achou(
    live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """On a portrait tablet (one column at a time), a search whose only match is in repair
    opens on "Em reparo", its tab marked, not on an empty "Aguardando" saying nothing was
    found there; without a filter the board opens on the first column, as always."""
    api = ApiHttp(live_server, settings)
    api.post("/fila-execucao", {"ordem_servico_id": 1101, "placa": "ESP1A01"})
    fila_id = api.post("/fila-execucao", {"ordem_servico_id": 1010, "placa": "REP1A10"})["fila_id"]
    for passo, corpo in (
        ("iniciar-diagnostico", {"mecanico_responsavel_id": 101}),
        ("finalizar-diagnostico", {"diagnostico": "Embreagem"}),
        ("aprovar-orcamento", {}),
        ("iniciar-reparo", {}),
    ):
        api.post(f"/fila-execucao/{fila_id}/{passo}", corpo)
    tablet = abrir(TABLET, has_touch=True, is_mobile=True).entrar(
        "gerente", usuarios_demo["gerente"]["senha"]
    )
    p = tablet.pagina
    expect(p.locator("#aba-AGUARDANDO")).to_have_attribute("aria-current", "true")
    p.goto("/?q=1010")
    expect(p.locator("#aba-EM_REPARO")).to_have_attribute("aria-current", "true")
    expect(p.locator("#aba-AGUARDANDO")).not_to_have_attribute("aria-current", "true")
    expect(tablet.cartao(fila_id, "EM_REPARO")).to_be_in_viewport()
    assert tablet.erros == [], tablet.erros


def test_sair_nao_e_desfeito_pela_ligacao_ao_vivo(
    live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """ "Sair" on a filtered board: signing out ends the session, so the board's stream ends
    with it, and the stream's reload (ligacao-viva.js: a session gone shows the sign-in page)
    cancelled the sign-out's own redirect. The tablet came to /entrar?next=/?mecanico=101
    without "Você saiu.", and the next person to sign in on it landed on the last one's
    orders. Now it is the plain sign-in page, saying so, and the next person sees the board."""
    api = ApiHttp(live_server, settings)
    api.post("/fila-execucao", {"ordem_servico_id": 1201, "placa": "SAI1A01"})
    tablet = abrir(TABLET, has_touch=True, is_mobile=True).entrar("mecanico", "mecanico123")
    p = tablet.pagina
    p.get_by_role("link", name="Minhas ordens").tap()
    expect(p.locator("body[data-ligacao=viva]")).to_have_count(1)
    assert "mecanico=101" in p.url
    p.get_by_role("button", name="Sair").tap()
    expect(p.get_by_text("Você saiu.")).to_be_visible()
    p.wait_for_timeout(2_000)  # the ended stream's reload, if any, has come by now
    expect(p.get_by_text("Você saiu.")).to_be_visible()
    assert p.url == f"{live_server.rstrip('/')}/entrar", p.url

    p.get_by_label("Usuário").fill("mecanico2")
    p.get_by_label("Senha").fill("mecanico123")
    p.get_by_role("button", name="Entrar").click()
    expect(p.locator("#quadro[data-ao-vivo]")).to_have_count(1)
    assert p.url == f"{live_server.rstrip('/')}/", p.url
    assert tablet.erros == [], tablet.erros


@pytest.mark.parametrize("depois", ["volta", "a ordem andou", "outra pessoa"])
def test_texto_digitado_sobrevive_ao_fim_da_sessao(
    app: Flask, live_server: str, settings: Settings, usuarios_demo, abrir, depois: str
) -> None:
    """A mechanic types a diagnosis when her session ends (a sign-out elsewhere, a reset, the
    expiry): the board reloads to the sign-in page, and the text was thrown away without a
    word. Now this tab keeps it: signed in again, it is back in the card's form, open; if the
    order moved on meanwhile, offered to copy at the top of the board. Someone else signing
    in on the same tablet gets none of it."""
    api = ApiHttp(live_server, settings)
    fila_id = _em_diagnostico(api, 8301)
    tablet = abrir(TABLET, has_touch=True, is_mobile=True).entrar("mecanico", "mecanico123")
    p = tablet.pagina
    cartao = tablet.cartao(fila_id, "EM_DIAGNOSTICO")
    cartao.get_by_text("Finalizar diagnóstico", exact=True).tap()
    cartao.get_by_role("textbox", name="Diagnóstico").fill("Junta do cabeçote queimada")
    componente(SessoesRepository, app).sessoes.delete_many({"login": "mecanico"})
    expect(p.get_by_label("Usuário")).to_be_visible(timeout=15_000)  # the board reloaded
    expect(p.get_by_text("Sessão encerrada: entre novamente.")).to_be_visible()
    if depois == "a ordem andou":
        api.post(f"/fila-execucao/{fila_id}/finalizar-diagnostico", {"diagnostico": "Outro"})
    login = "mecanico2" if depois == "outra pessoa" else "mecanico"
    p.get_by_label("Usuário").fill(login)
    p.get_by_label("Senha").fill("mecanico123")
    p.get_by_role("button", name="Entrar").click()
    expect(p.locator("#quadro[data-ao-vivo]")).to_have_count(1)
    if depois == "volta":
        campo = tablet.cartao(fila_id, "EM_DIAGNOSTICO").get_by_role("textbox", name="Diagnóstico")
        expect(campo).to_be_visible()
        expect(campo).to_have_value("Junta do cabeçote queimada")
        expect(p.locator(".texto-perdido")).to_have_count(0)
    elif depois == "a ordem andou":
        aviso = p.locator("#textos-perdidos .texto-perdido")
        expect(aviso).to_contain_text("O que você escreveu na OS 8301 não foi salvo")
        expect(aviso.locator("textarea")).to_have_value("Junta do cabeçote queimada")
    else:
        p.wait_for_timeout(500)
        expect(p.get_by_text("Junta do cabeçote queimada")).to_have_count(0)
        expect(p.locator(".texto-perdido")).to_have_count(0)
        assert p.evaluate("sessionStorage.length") == 0  # forgotten, not kept for later
    assert [e for e in tablet.erros if "401" not in e] == [], tablet.erros


def test_nota_da_espera_digitada_sobrevive_a_recarga(
    live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """The note typed for a hold ("Mais…" → "Colocar em espera") was thrown away by a reload
    or an ended session, as a step's text was before: only text areas were kept. Now it is
    offered to copy when the board opens again (the hold's form is drawn only on "Mais…"),
    named with its plate as every other message (it said "na OS 8311")."""
    api = ApiHttp(live_server, settings)
    fila_id = api.post("/fila-execucao", {"ordem_servico_id": 8311, "placa": "NOT1A11"})["fila_id"]
    api.post(f"/fila-execucao/{fila_id}/iniciar-diagnostico", {"mecanico_responsavel_id": 101})
    tablet = abrir(TABLET, has_touch=True, is_mobile=True).entrar("mecanico", "mecanico123")
    p = tablet.pagina
    cartao = tablet.cartao(fila_id, "EM_DIAGNOSTICO")
    cartao.get_by_role("button", name="Mais ações da OS 8311").tap()
    cartao.get_by_text("Colocar em espera").tap()
    cartao.get_by_label("Observação").fill("Pastilha encomendada na Auto Peças Sul")
    p.reload()
    aviso = p.locator("#textos-perdidos .texto-perdido")
    expect(aviso).to_contain_text("O que você escreveu na OS 8311 (NOT1A11) não foi salvo")
    expect(aviso.locator("textarea")).to_have_value("Pastilha encomendada na Auto Peças Sul")
    assert tablet.erros == [], tablet.erros


def test_promessa_digitada_sobrevive_a_recarga(
    live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """A new promise typed in "Mais…" → "Entrega prometida" and not saved was lost on a reload
    or an ended session (only text was kept). Now it is offered to copy as a person reads it,
    with its label's words, not the field's "2026-12-08T17:30"."""
    api = ApiHttp(live_server, settings)
    fila_id = api.post("/fila-execucao", {"ordem_servico_id": 8313, "placa": "PRO1M13"})["fila_id"]
    gerente = abrir(DESKTOP).entrar("gerente", "gerente123")
    p = gerente.pagina
    cartao = gerente.cartao(fila_id)
    cartao.get_by_role("button", name="Mais ações da OS 8313").click()
    cartao.get_by_text("Entrega prometida", exact=True).click()
    cartao.get_by_label("Nova entrega prometida").fill("2031-03-08T17:30")
    p.reload()
    expect(p.locator("#quadro[data-ao-vivo]")).to_have_count(1)
    aviso = p.locator("#textos-perdidos .texto-perdido")
    expect(aviso).to_contain_text("O que você escreveu na OS 8313 (PRO1M13) não foi salvo")
    expect(aviso.locator("textarea")).to_have_value("Nova entrega prometida: 08/03/2031 17:30")
    assert gerente.erros == [], gerente.erros


def test_diagnostico_digitado_sobrevive_a_outra_acao_do_mesmo_cartao(
    live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """A diagnosis half written, then the car put on hold from the same card ("Mais…"): the
    hold's answer draws the card anew, and the diagnosis was gone, with nothing to copy. Now
    it is back in the new card's form."""
    api = ApiHttp(live_server, settings)
    fila_id = _em_diagnostico(api, 8312)
    tablet = abrir(TABLET, has_touch=True, is_mobile=True).entrar("mecanico", "mecanico123")
    cartao = tablet.cartao(fila_id, "EM_DIAGNOSTICO")
    cartao.get_by_text("Finalizar diagnóstico", exact=True).tap()
    cartao.get_by_role("textbox", name="Diagnóstico").fill("Junta do cabeçote, falta medir")
    cartao.get_by_role("button", name="Mais ações da OS 8312").tap()
    cartao.get_by_text("Colocar em espera").tap()
    cartao.get_by_role("button", name="Confirmar espera").tap()
    expect(cartao.locator(".pausa")).to_be_visible()
    expect(cartao.get_by_role("textbox", name="Diagnóstico")).to_have_value(
        "Junta do cabeçote, falta medir"
    )
    assert tablet.erros == [], tablet.erros


def test_numero_com_erro_de_digitacao_e_recusado_e_nao_apaga_o_salvo(
    app: Flask, live_server: str, usuarios_demo, abrir
) -> None:
    """A number field was `type=number` under `novalidate`: the browser sent "104-5", "8-" or
    "107e" as empty, and an optional number read empty as none: the mechanic's number, or a
    column's limit, was erased under "salvo". Typed as text now: refused beside the field,
    with what was typed, and nothing saved."""
    gerente = abrir(DESKTOP).entrar("gerente", "gerente123")
    p = gerente.pagina
    p.goto("/pessoas/mecanico2")
    campo = p.get_by_label("Nº de funcionário")
    expect(campo).to_have_value("102")
    campo.fill("102-5")
    p.get_by_role("button", name="Salvar").first.click()
    expect(p.locator("#erro-funcionario_id")).to_contain_text("número inteiro")
    expect(p.get_by_label("Nº de funcionário")).to_have_value("102-5")
    assert componente(PessoasQueries, app).obter("mecanico2").funcionario_id == 102

    p.goto("/configuracoes")
    limite = p.get_by_label("Em reparo")
    limite.fill("8")
    p.get_by_role("button", name="Salvar limites").click()
    expect(p.locator(".aviso-ok")).to_contain_text("salvos")
    p.get_by_label("Em reparo").fill("8-")
    p.get_by_role("button", name="Salvar limites").click()
    expect(p.get_by_label("Em reparo")).to_have_value("8-")
    expect(p.locator("#erro-EM_REPARO")).to_contain_text("número inteiro")
    assert componente(ConfiguracoesQueries, app).limites_colunas()["EM_REPARO"] == 8
    assert [e for e in gerente.erros if "400" not in e] == [], gerente.erros
