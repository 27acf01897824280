"""The printable job card of an order: its facts, the QR code drawn on the server that opens the
order's page, the two print layouts, and what a bad format gets."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import segno
from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import Api
from webapp.qr import qr_svg


@pytest.fixture
def mecanico(app: Flask, usuarios_demo, entrar) -> FlaskClient:
    client = app.test_client()
    entrar(client, "mecanico", "mecanico123")
    return client


def test_ficha_com_os_dados_e_o_qr_da_ordem(api: Api, mecanico: FlaskClient) -> None:
    item = api.criar(
        777, "URGENTE", placa="bra2e19", veiculo="VW Polo 1.0", cliente="Oficina & Filhos",
        descricao="Barulho <forte> na roda\nao frear",
        previsao_entrega=datetime(2026, 11, 30, 20, 30, tzinfo=UTC).isoformat(),
    )  # fmt: skip
    fila_id = item["fila_id"]
    api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 101})
    api.passo(fila_id, "finalizar-diagnostico", {"diagnostico": "Pastilhas no fim"})
    detalhe = mecanico.get(f"/ordens/{fila_id}").text
    assert f'href="/ordens/{fila_id}/ficha"' in detalhe  # linked from the order's page
    assert f'href="/ordens/{fila_id}/ficha?formato=80mm"' in detalhe

    r = mecanico.get(f"/ordens/{fila_id}/ficha")
    assert r.status_code == 200
    html = r.text
    assert 'class="ficha-pagina ficha-a4"' in html
    texto = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    for trecho in (
        "Ficha de serviço OS 777", "Prioridade: Urgente", "Placa BRA2E19", "Veículo VW Polo 1.0",
        "Cliente Oficina &amp; Filhos", "Entrega prometida 30/11/2026 17:30",
        "Mecânico Marcos Mecânico", "Situação Aguardando aprovação do orçamento Código QR",
        "Diagnóstico Pastilhas no fim",
        "Reclamação do cliente Barulho &lt;forte&gt; na roda ao frear",
    ):  # fmt: skip
        assert trecho in texto, trecho
    # The QR code is the order's page, absolute, drawn by segno on the server as inline SVG.
    endereco = f"http://localhost/ordens/{fila_id}"
    assert str(qr_svg(endereco, f"Código QR da OS 777: {endereco}")) in html
    modulos = segno.make(endereco, error="m")
    assert modulos.designator.endswith("-M") and not modulos.is_micro
    assert "style=" not in html and "<script>" not in html  # the CSP: nothing inline
    assert '<script src="/static/imprimir.js' in html


def test_recibo_80mm_e_formato_invalido(api: Api, mecanico: FlaskClient) -> None:
    fila_id = api.criar(778)["fila_id"]
    r = mecanico.get(f"/ordens/{fila_id}/ficha?formato=80mm")
    assert r.status_code == 200 and 'class="ficha-pagina ficha-80mm"' in r.text
    assert 'aria-current="page">Recibo 80 mm' in r.text
    assert "Placa Sem placa" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r.text))
    r = mecanico.get(f"/ordens/{fila_id}/ficha?formato=a3")
    assert r.status_code == 400 and "Formato de ficha inválido: use a4 ou 80mm." in r.text
    assert mecanico.get("/ordens/0123456789abcdef01234567/ficha").status_code == 404


def test_ficha_exige_entrar(api: Api, client: FlaskClient) -> None:
    fila_id = api.criar(779)["fila_id"]
    r = client.get(f"/ordens/{fila_id}/ficha")
    assert r.status_code == 302 and r.headers["Location"].startswith("/entrar")


def test_ficha_diz_a_espera_e_o_fim(app: Flask, api: Api, mecanico: FlaskClient) -> None:
    """The card printed for a car on hold said only "Aprovada, pronta para reparo": on the car
    or the bench, it invited someone to start a repair waiting for parts. A finished order's
    card, filed or given at delivery, never said when it was finished."""
    from webapp.components import componente
    from webapp.fila.domain import Ator, MotivoPausa, Papel
    from webapp.fila.service import FilaService

    fila_id = api.criar(
        780, previsao_entrega=datetime(2026, 11, 30, 20, 30, tzinfo=UTC).isoformat()
    )["fila_id"]
    api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 101})
    api.passo(fila_id, "finalizar-diagnostico", {"diagnostico": "Correia"})
    api.passo(fila_id, "aprovar-orcamento")
    componente(FilaService, app).pausar(
        fila_id, MotivoPausa.AGUARDANDO_PECAS, "Kit encomendado", Ator("gerente", Papel.GERENTE)
    )
    texto = re.sub(
        r"\s+", " ", re.sub(r"<[^>]+>", " ", mecanico.get(f"/ordens/{fila_id}/ficha").text)
    )
    assert "Em espera Aguardando peças — Kit encomendado (desde " in texto
    assert "Finalizada em" not in texto

    componente(FilaService, app).retomar(fila_id, Ator("gerente", Papel.GERENTE))
    api.passo(fila_id, "iniciar-reparo")
    api.passo(fila_id, "finalizar-reparo", {"observacoes_reparo": "Trocada"})
    texto = re.sub(
        r"\s+", " ", re.sub(r"<[^>]+>", " ", mecanico.get(f"/ordens/{fila_id}/ficha").text)
    )
    assert re.search(
        r"Finalizada em \d\d/\d\d/\d{4} \d\d:\d\d \(depois da entrega prometida\)", texto
    )
    assert "Tempo total 0 min" in texto and "Em espera" not in texto
