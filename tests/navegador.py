"""Browser test tools: Debian's Chromium driven by Playwright, people signed in to the board,
the JSON API over real HTTP. Loaded as a pytest plugin (tests/conftest.py) for the browser
tests (marked `navegador`)."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask, Response
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    Route,
    expect,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError

from scripts import localdb
from tests.helpers import RAIZ, TOKEN_SERVICO, ambiente_do_app
from webapp.settings import Settings
from webapp.tokens import emitir

ARTEFATOS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Headless Chromium on a closed network: no background connections, no sandbox as root.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# ms: how long a test waits for a change pushed to a screen (a board, a TV) to show there. The
# shop's budget is 2 s and `make bench-capacidade` measures it (p95 ~0.1-0.2 s); a test proves
# the push arrives by itself; on a loaded run (two workers, two Chromiums) one once missed 2 s.
PRAZO_TV = 5_000
# Waits for what has no deadline of its own (a page to load, an answer to land): the suite
# runs on several processes sharing 2 cores, so give them room; a passing wait costs nothing.
expect.set_options(timeout=10_000)

# s: a tap on a card that moved on the screen sooner than this before it is dropped
# (static/quadro-deslize.js: it was aimed at what was there before). A person needs longer to
# see a card and tap it; a test that taps a card just moved or just come waits this long.
REACAO_S = (
    int(re.search(r"REACAO_MS = (\d+)", (RAIZ / "static" / "quadro-deslize.js").read_text())[1])
    / 1000
)


def um_instante(pagina: Page) -> None:
    """A person's time to see what changed on the board before tapping it."""
    pagina.wait_for_timeout(REACAO_S * 1000 + 100)


TABLET = {"width": 820, "height": 1180}
DESKTOP = {"width": 1440, "height": 900}
TV = {"width": 1920, "height": 1080}


@pytest.fixture(scope="module")
def navegador() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Chromium do Debian não encontrado: rode `make system-deps`"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


class Pessoa:
    """A browser context signed in as someone, with the page's console errors collected."""

    def __init__(self, navegador: Browser, base: str, viewport: dict, **opcoes: object) -> None:
        self.contexto: BrowserContext = navegador.new_context(
            viewport=viewport, base_url=base, locale="pt-BR", **opcoes
        )
        self.pagina: Page = self.contexto.new_page()
        self.erros: list[str] = []
        self.pagina.on("pageerror", lambda e: self.erros.append(str(e)))
        self.pagina.on(
            "console", lambda m: self.erros.append(m.text) if m.type == "error" else None
        )

    def _enviar_entrada(self, login: str, senha: str) -> None:
        self.pagina.goto("/entrar")
        self.pagina.get_by_label("Usuário").fill(login)
        self.pagina.get_by_label("Senha").fill(senha)
        self.pagina.get_by_role("button", name="Entrar").click()

    def entrar(self, login: str, senha: str) -> Pessoa:
        self._enviar_entrada(login, senha)
        # Pushed updates flowing (the stream's first message is the current board).
        expect(self.pagina.locator("#quadro[data-ao-vivo]")).to_have_count(1, timeout=15_000)
        return self

    def entrar_sem_ligacao(self, login: str, senha: str) -> Page:
        """Sign in and wait for the board only, not for its stream (a test that holds or
        refuses the stream's requests)."""
        self._enviar_entrada(login, senha)
        expect(self.pagina.locator("#quadro")).to_be_visible()
        return self.pagina

    def entrar_sem_js(self, login: str, senha: str) -> Page:
        """Sign in through the plain form, in a context without JavaScript: the board's page."""
        return self.entrar_sem_ligacao(login, senha)

    def cartao(self, fila_id: str, status: str | None = None):
        seletor = f"#cartao-{fila_id}"
        if status:
            seletor = f"#cartoes-{status} > {seletor}"
        return self.pagina.locator(seletor)

    def fechar(self) -> None:
        self.contexto.close()


@pytest.fixture
def abrir(navegador: Browser, live_server: str) -> Iterator:
    pessoas: list[Pessoa] = []

    def _abrir(viewport: dict, **opcoes: object) -> Pessoa:
        pessoa = Pessoa(navegador, live_server, viewport, **opcoes)
        pessoas.append(pessoa)
        return pessoa

    yield _abrir
    for pessoa in pessoas:
        pessoa.fechar()


# --- answers a test gives in the server's place (page.route handlers) ----------------------------


def uma_vez(tratar: Callable[[Route], None]) -> Callable[[Route], None]:
    """A route handler: the first request goes to `tratar`, every later one on as it is."""
    pendente = [True]

    def rota(r: Route) -> None:
        if pendente:
            pendente.clear()
            tratar(r)
        else:
            r.continue_()

    return rota


class Retidos(list):
    """Requests held on their way (`reter(pagina, padrao)`), to be let go with
    `continue_()` when the test says. The browser hands a request to the route a moment after
    the tap, so a test that asserts on them first waits for them with `esperar`."""

    def esperar(self, pagina: Page, quantos: int = 1, limite_s: float = 10) -> Retidos:
        """Waits (real time, bounded) until `quantos` requests are held; fails if they never
        left the browser."""
        fim = time.monotonic() + limite_s
        while len(self) < quantos and time.monotonic() < fim:
            pagina.wait_for_timeout(50)  # lets Playwright run the route's handler
        assert len(self) >= quantos, f"{len(self)} de {quantos} pedido(s) saíram"
        return self


def reter(pagina: Page, padrao: str) -> Retidos:
    """Holds every request to `padrao` (see `Retidos`)."""
    retidos = Retidos()
    pagina.route(padrao, lambda rota: retidos.append(rota))  # Playwright tags its handler
    return retidos


def sem_csrf(rota: Route) -> None:
    """The request goes on with its form's CSRF token spoiled: the server refuses it (400 with
    the reason)."""
    corpo = re.sub(r"csrf_token=[^&]*", "csrf_token=x", rota.request.post_data or "")
    rota.continue_(post_data=corpo)


def responder_como(
    app: Flask, rota: Route, caminho: str, resposta: Callable[[], Response]
) -> Response:
    """Answer the browser's request with what the app's `resposta()` makes of that very
    request (its headers, HX-Source included): an answer of the real stack in a state a test
    cannot cheaply cause (the database down, the worker's streams full). Returns it."""
    with app.test_request_context(caminho, headers=rota.request.all_headers()):
        dada = resposta()
    rota.fulfill(status=dada.status_code, content_type="text/html", body=dada.get_data())
    return dada


class ApiHttp:
    """The JSON API over real HTTP, as the OS service calls it."""

    def __init__(self, base: str, settings: Settings) -> None:
        self.base = base
        self.headers = {
            "Authorization": f"Bearer {emitir(settings, 'servico-os', extra=TOKEN_SERVICO)}"
        }

    def post(self, caminho: str, corpo: dict | None = None) -> dict:
        r = requests.post(self.base + caminho, json=corpo, headers=self.headers, timeout=10)
        assert r.status_code in (200, 201), r.text
        return r.json()

    def get(self, caminho: str) -> dict:
        r = requests.get(self.base + caminho, headers=self.headers, timeout=10)
        assert r.status_code == 200, r.text
        return r.json()

    def patch(self, caminho: str, corpo: dict) -> dict:
        r = requests.patch(self.base + caminho, json=corpo, headers=self.headers, timeout=10)
        assert r.status_code == 200, r.text
        return r.json()


# What a screen shows, column by column (the board's and the TV's), read in the page at once.
COLUNAS = ("AGUARDANDO", "EM_DIAGNOSTICO", "EM_REPARO", "FINALIZADA")
_QUADRO_JS = """() => Object.fromEntries(Array.from(document.querySelectorAll('#quadro .coluna'))
  .map(c => [c.dataset.status, {
    contagem: c.querySelector('.contagem').firstChild.textContent.trim(),
    aba: document.getElementById('aba-contagem-' + c.dataset.status).firstChild.textContent.trim(),
    os: Array.from(c.querySelectorAll('ol.cartoes > li.cartao')).map(li => Number(li.dataset.os)),
    vazio: getComputedStyle(c.querySelector('.vazio')).display !== 'none',
  }]))"""
_PAINEL_JS = """() => Object.fromEntries(Array.from(document.querySelectorAll('.painel-coluna'))
  .map(c => [c.dataset.status, {
    contagem: c.querySelector('.painel-contagem').firstChild.textContent.trim(),
    os: Array.from(c.querySelectorAll('.painel-os')).map(e => Number(e.textContent.slice(3))),
    mais: c.querySelector('.painel-mais').textContent.trim(),
  }]))"""


def ler_quadro(pagina: Page) -> dict[str, dict]:
    """Each board column: its count and its tab's (the first number), its cards' OS numbers
    in order, whether its empty-column line shows."""
    return pagina.evaluate(_QUADRO_JS)


def ler_painel(pagina: Page) -> dict[str, dict]:
    """Each TV column: its count, the OS numbers of the cards it shows, its "+N"."""
    return pagina.evaluate(_PAINEL_JS)


def com_o_relogio(pagina: Page, alvo: Locator, limite_s: int = 60) -> None:
    """Moves the page's fake clock on a second at a time until `alvo` is on the page: what a
    clock jump sets off (hx-sse's next try, up to its longest back-off of 10 s ahead; a reload)
    otherwise waits for a clock that moves only as fast as the wall's."""
    for _ in range(limite_s):
        try:
            if alvo.count():
                return
            pagina.clock.run_for(1000)
        except PlaywrightError:
            pass  # the page is reloading: look again once it is back
        pagina.wait_for_timeout(250)  # the requests and answers are real
    expect(alvo).to_have_count(1)


def religada(pagina: Page) -> None:
    """After a jump of the page's fake clock: on until the stream is live again."""
    com_o_relogio(pagina, pagina.locator("body[data-ligacao=viva]"))


class ServidorEmProcesso:
    """The app in a process of its own on a fixed port, so a test can freeze it (SIGSTOP: the
    sockets stay open and nothing comes, as with a hung server or a Wi-Fi that drops packets),
    thaw it, or kill it and start it again on the same address (a restart)."""

    def __init__(self, settings: Settings, **ambiente: str) -> None:
        self.porta = localdb.free_port()
        self.base = f"http://127.0.0.1:{self.porta}"
        self.env = ambiente_do_app(settings, **ambiente)
        self.processo: subprocess.Popen[bytes] | None = None

    def iniciar(self) -> None:
        codigo = (
            "from werkzeug.serving import run_simple\n"
            "from webapp import create_app\n"
            f"run_simple('127.0.0.1', {self.porta}, create_app(), threaded=True)\n"
        )
        self.processo = subprocess.Popen([sys.executable, "-c", codigo], cwd=RAIZ, env=self.env)
        limite = time.monotonic() + 30
        while time.monotonic() < limite:
            try:
                if requests.get(f"{self.base}/health", timeout=1).ok:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise AssertionError("o servidor não subiu a tempo")

    def congelar(self) -> None:
        assert self.processo is not None
        self.processo.send_signal(signal.SIGSTOP)

    def descongelar(self) -> None:
        assert self.processo is not None
        self.processo.send_signal(signal.SIGCONT)

    def parar(self) -> None:
        if self.processo is None:
            return
        self.processo.send_signal(signal.SIGCONT)
        self.processo.kill()
        self.processo.wait(timeout=10)
        self.processo = None


@pytest.fixture
def servidor_em_processo(settings: Settings) -> Iterator[ServidorEmProcesso]:
    """The test's app in its own process, with 1 s beats (a dead stream is told in ~4 s)."""
    servidor = ServidorEmProcesso(settings, SSE_BATIDA_MS="1000")
    servidor.iniciar()
    try:
        yield servidor
    finally:
        servidor.parar()
