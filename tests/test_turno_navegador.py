"""Screens live for a shift, not a moment: boards and tablets kept open for hours, with the
browser's clock fast-forwarded (Playwright's page.clock) through the polls they run by
themselves."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.navegador import DESKTOP, TABLET, ApiHttp
from webapp.settings import Settings

pytestmark = pytest.mark.navegador


def test_quadro_aberto_passa_das_leituras_periodicas_inteiro(
    live_server: str, settings: Settings, usuarios_demo, abrir
) -> None:
    """The board used to go blank 30 s after it opened: the OS-status box's own poll replaced
    the whole page. Hours of polls later the columns and cards are all still there."""
    api = ApiHttp(live_server, settings)
    fila_id = api.post("/fila-execucao", {"ordem_servico_id": 9301, "placa": "TUR1N00"})["fila_id"]
    for viewport, login in ((DESKTOP, "gerente"), (TABLET, "mecanico")):
        pessoa = abrir(viewport)
        pessoa.pagina.clock.install()
        pessoa.entrar(login, f"{login}123")
        leituras: list[str] = []

        def anotar(pedido, leituras=leituras) -> None:
            if "/situacao-os" in pedido.url:
                leituras.append(pedido.url)

        pessoa.pagina.on("request", anotar)
        for _ in range(4):  # two hours of the 30 s poll, in steps the page can answer between
            pessoa.pagina.clock.run_for("30:00")
            expect(pessoa.pagina.locator("#quadro .coluna")).to_have_count(4)
            expect(pessoa.cartao(fila_id, "AGUARDANDO")).to_be_visible()
            expect(pessoa.pagina.locator("#conteudo > #situacao-os")).to_have_count(1)
        assert len(leituras) >= 4  # the poll did run, and kept its box in place
