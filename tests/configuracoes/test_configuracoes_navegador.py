"""Setting up a TV with a phone, in a real browser: the new TV's address is copied by its button
(the clipboard API on https or localhost, selecting and copying on a shop's plain-http LAN
address) and shown as a QR code that the page draws without any request."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, expect

from tests.navegador import ARGS, ARTEFATOS, CHROMIUM, DESKTOP, TABLET, Pessoa, sem_csrf, uma_vez

pytestmark = pytest.mark.navegador


def test_copiar_o_endereco_da_tv_e_o_qr_code(live_server: str, usuarios_demo, abrir) -> None:
    gerente = abrir(
        TABLET, has_touch=True, is_mobile=True, permissions=["clipboard-read", "clipboard-write"]
    ).entrar("gerente", "gerente123")
    p = gerente.pagina
    p.goto("/configuracoes")
    p.get_by_label("Nome da tela").fill("TV da oficina")
    urls: list[str] = []
    p.on("request", lambda r: urls.append(r.url))
    p.get_by_role("button", name="Criar passe").click()  # htmx swaps the section in
    qr = p.get_by_role("img", name="Código QR do endereço do painel da tela “TV da oficina”")
    expect(qr).to_be_visible()
    endereco = p.locator("#url-painel").input_value()
    assert endereco.startswith(f"{live_server}/painel?token=")
    # The QR code is drawn in the page: no request ever carries the token.
    assert [u for u in urls if "token=" in u] == []
    caixa = qr.bounding_box()
    assert caixa["width"] >= 180 and abs(caixa["width"] - caixa["height"]) < 1  # a phone reads it

    botao = p.get_by_role("button", name="Copiar endereço")
    expect(botao).to_be_visible()  # shown by static/copiar.js
    botao.click()
    expect(p.locator("#url-painel-copiado")).to_have_text("Copiado.")
    assert p.evaluate("navigator.clipboard.readText()") == endereco
    ARTEFATOS.mkdir(exist_ok=True)
    p.screenshot(path=ARTEFATOS / "configuracoes-tv-nova-tablet.png", full_page=True)
    assert gerente.erros == [], gerente.erros


def test_copiar_num_endereco_http_da_rede_da_oficina(
    live_server: str, usuarios_demo, navegador: Browser
) -> None:
    """On http://<a LAN name> the browser has no clipboard API: the button selects the address
    and copies it the old way."""
    porta = urlsplit(live_server).port
    lan = f"http://oficina.test:{porta}"  # plain http, not localhost: not a secure context
    # A browser of its own, where that name leads to this test's server.
    outro = navegador.browser_type.launch(
        executable_path=CHROMIUM, args=[*ARGS, "--host-resolver-rules=MAP oficina.test 127.0.0.1"]
    )
    try:
        gerente = Pessoa(outro, lan, DESKTOP).entrar("gerente", "gerente123")
        p = gerente.pagina
        assert p.evaluate("window.isSecureContext") is False
        p.goto("/configuracoes")
        p.get_by_label("Nome da tela").fill("TV da recepção")
        p.get_by_role("button", name="Criar passe").click()
        campo = p.locator("#url-painel")
        endereco = campo.input_value()
        assert endereco.startswith(f"{lan}/painel?token=")
        p.get_by_role("button", name="Copiar endereço").click()
        expect(p.locator("#url-painel-copiado")).to_have_text("Copiado.")
        expect(campo).to_be_focused()
        # What the clipboard holds, read by a page where the API exists (same browser).
        leitor = outro.new_context(base_url=live_server)
        leitor.grant_permissions(["clipboard-read"], origin=live_server)
        pagina = leitor.new_page()
        pagina.goto("/entrar")
        assert pagina.evaluate("navigator.clipboard.readText()") == endereco
        assert gerente.erros == [], gerente.erros
    finally:
        outro.close()


def test_sem_javascript_o_endereco_e_o_qr_code_sem_botao(usuarios_demo, abrir) -> None:
    """Without JavaScript the form posts and the answer has the address to select and the QR
    code; the copy button, which needs the script, is not shown; a revocation is confirmed
    first."""
    gerente = abrir(DESKTOP, java_script_enabled=False)
    p = gerente.pagina
    p.goto("/entrar")
    p.get_by_label("Usuário").fill("gerente")
    p.get_by_label("Senha").fill("gerente123")
    p.get_by_role("button", name="Entrar").click()
    p.goto("/configuracoes")
    p.get_by_label("Nome da tela").fill("TV sem script")
    p.get_by_role("button", name="Criar passe").click()
    expect(p.locator("#url-painel")).to_be_visible()
    qr = p.get_by_role("img", name="Código QR do endereço do painel da tela “TV sem script”")
    expect(qr).to_be_visible()
    expect(p.locator("button[data-copiar]")).to_be_hidden()
    # Revoking asks first without the script too: "Revogar" opens the question, and only its
    # confirmation revokes.
    p.goto("/configuracoes")
    confirmar = p.get_by_role("button", name="Confirmar revogação de TV sem script")
    expect(confirmar).to_be_hidden()
    p.locator("summary", has_text="Revogar").click()
    expect(p.locator("#passes")).to_contain_text("Revogar o passe “TV sem script”, criado em ")
    expect(p.locator("#passes")).to_contain_text(" e nunca usado? A TV perde o acesso na hora.")
    expect(p.locator("#passes")).to_contain_text("Ativo")
    confirmar.click()
    expect(p.locator("#passes")).to_contain_text("Revogado em")


def test_aviso_de_um_envio_recusado_some_quando_o_mesmo_formulario_salva(
    live_server: str, usuarios_demo, abrir
) -> None:
    """A notice in the page's announcement region goes when its own form's next request
    succeeds, here as on the board (anuncios.js, on every page): on /configuracoes a refused
    save's notice stayed after the save that followed."""
    gerente = abrir(DESKTOP).entrar("gerente", "gerente123")
    p = gerente.pagina
    p.goto("/configuracoes")
    p.route("**/configuracoes/limites", uma_vez(sem_csrf))  # the first save refused: 400
    aviso = p.locator("#anuncios .aviso-erro")
    p.get_by_role("button", name="Salvar limites").click()
    expect(aviso).to_contain_text("formulário inválido")
    p.get_by_role("button", name="Salvar limites").click()
    expect(p.locator("#limites .aviso-ok")).to_be_visible()
    expect(aviso).to_have_count(0)


def test_passe_sem_nome_deixa_o_foco_no_nome(usuarios_demo, abrir) -> None:
    """A TV pass refused for an empty name: the focus on the name field (the answer redrew
    the section, and the focus was left on <body>)."""
    gerente = abrir(DESKTOP).entrar("gerente", "gerente123")
    p = gerente.pagina
    p.goto("/configuracoes")
    p.get_by_role("button", name="Criar passe").click()
    expect(p.locator("#passes")).to_contain_text("Dê um nome à tela")
    expect(p.get_by_label("Nome da tela")).to_be_focused()


def test_o_que_cada_secao_respondeu_fica_com_o_foco(usuarios_demo, abrir) -> None:
    """Each answer redraws its section, and its button with it: what it says takes the focus
    (a screen reader reads it; a keyboard goes on from there), never <body>."""
    gerente = abrir(DESKTOP).entrar("gerente", "gerente123")
    p = gerente.pagina
    p.goto("/configuracoes")
    p.get_by_label("Aguardando").fill("12")
    p.get_by_role("button", name="Salvar limites").focus()
    p.keyboard.press("Enter")
    expect(p.locator("#limites .aviso-ok")).to_be_focused()
    expect(p.locator("#limites .aviso-ok")).to_have_text("Limites das colunas salvos.")

    p.get_by_label("Nome da tela").fill("TV do balcão")
    p.get_by_label("Nome da tela").press("Enter")
    expect(p.locator("#url-painel")).to_be_focused()  # what to copy now

    p.locator("summary", has_text="Revogar").focus()  # asks first: a <details>, no dialog
    p.keyboard.press("Enter")
    p.get_by_role("button", name="Confirmar revogação de TV do balcão").focus()
    p.keyboard.press("Enter")
    expect(p.locator("#passes .aviso-ok")).to_be_focused()
    expect(p.locator("#passes .aviso-ok")).to_contain_text("revogado")
    assert gerente.erros == [], gerente.erros


def test_esc_fecha_o_painel_aberto_e_volta_ao_seu_botao(usuarios_demo, abrir) -> None:
    """Escape closed a card's step form and "Mais…", and nothing else: in "Revogar" on
    /configuracoes, "Desativar" on a person's page or "Adicionar OS", the panel stayed open
    with the focus on its confirm button. It closes now, the focus back on its toggle; what
    was typed stays."""
    gerente = abrir(DESKTOP).entrar("gerente", "gerente123")
    p = gerente.pagina
    p.get_by_text("Adicionar OS", exact=True).click()
    p.get_by_label("Número da OS").fill("5601")
    p.keyboard.press("Escape")
    expect(p.locator("#nova-ordem")).not_to_have_attribute("open", "")
    expect(p.locator("#nova-ordem > summary")).to_be_focused()
    p.keyboard.press("Enter")
    expect(p.get_by_label("Número da OS")).to_have_value("5601")

    p.goto("/configuracoes")
    p.get_by_label("Nome da tela").fill("TV do pátio")
    p.get_by_role("button", name="Criar passe").click()
    # Its answer first: a navigation right after the click could cancel the request (a
    # loaded machine once left no pass to revoke).
    expect(p.locator("#url-painel")).to_be_visible()
    p.goto("/configuracoes")
    revogar = p.locator("summary", has_text="Revogar")
    revogar.focus()
    p.keyboard.press("Enter")
    confirmar = p.get_by_role("button", name="Confirmar revogação de TV do pátio")
    confirmar.focus()
    p.keyboard.press("Escape")
    expect(confirmar).to_be_hidden()
    expect(revogar).to_be_focused()
    expect(p.locator("#passes")).to_contain_text("Ativo")  # nothing was revoked
    assert gerente.erros == [], gerente.erros
