"""The export of finished orders as CSV for Excel in Brazil, on the real mongod: parsed back with
its BOM and `;`, one row per order with each stage's minutes (holds excluded), dates in the
shop's zone, people's text kept as text; streamed in chunks from a cursor."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import Api
from tests.indicadores.dados_indicadores import GERENTE, PERIODO, carregar, carregar_conjunto, utc
from webapp.clock import Clock
from webapp.components import componente
from webapp.fila.domain import Prioridade, nova_ordem
from webapp.fila.service import FilaService
from webapp.indicadores import export
from webapp.mongo import Mongo


@pytest.fixture
def gerente(app: Flask, usuarios_demo, entrar) -> FlaskClient:
    client = app.test_client()
    entrar(client, "gerente", "gerente123")
    return client


def ler(corpo: bytes) -> list[list[str]]:
    assert corpo.startswith(b"\xef\xbb\xbf"), "sem BOM: o Excel leria como Windows-1252"
    texto = corpo.decode("utf-8-sig")
    assert "\r\n" in texto
    return list(csv.reader(io.StringIO(texto, newline=""), delimiter=";"))


def test_linhas_exatas(app: Flask, gerente: FlaskClient) -> None:
    carregar_conjunto(app)
    r = gerente.get("/indicadores/exportar.csv", query_string=PERIODO)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.headers["Content-Disposition"] == (
        'attachment; filename="ordens-finalizadas-2026-03-01-a-2026-03-07.csv"'
    )
    linhas = ler(r.data)
    assert linhas[0] == [
        "OS", "Placa", "Veículo", "Cliente", "Prioridade", "Mecânico", "Entrada na fila",
        "Início do diagnóstico", "Fim do diagnóstico", "Aprovação do orçamento",
        "Início do reparo", "Fim do reparo", "Previsão de entrega",
        "Espera pelo diagnóstico (min)", "Diagnóstico (min)", "Espera pela aprovação (min)",
        "Espera pelo reparo (min)", "Reparo (min)", "Do início ao fim (min)",
        # Added at the end, so that every column before keeps its place.
        "Em espera: Aguardando peças (min)", "Em espera: Aguardando cliente (min)",
        "Em espera: Outro motivo (min)",
    ]  # fmt: skip
    # One row per order finished in the period, oldest first; F (02-28 local) is left out.
    assert [linha[0] for linha in linhas[1:]] == ["1", "2", "3", "4", "5"]
    assert linhas[1] == [
        "1", "", "", "", "Urgente", "Marcos Mecânico",
        "02/03/2026 09:55", "02/03/2026 10:05", "02/03/2026 10:25", "02/03/2026 10:55",
        "02/03/2026 11:00", "02/03/2026 12:00", "",
        "10,0", "20,0", "30,0", "5,0", "60,0", "125,0", "0,0", "0,0", "0,0",
    ]  # fmt: skip
    # B: 15 min on hold for parts during the repair, out of the repair and of the total.
    assert linhas[2][5] == "Paula Pereira"
    assert linhas[2][13:] == ["20,0", "40,0", "60,0", "10,0", "120,0", "250,0",
                              "15,0", "0,0", "0,0"]  # fmt: skip
    # C: approval recorded when the OS service started the repair.
    assert linhas[3][9] == linhas[3][10] == "03/03/2026 08:30" and linhas[3][16] == "0,0"
    # E: finished at 02:30 UTC on 03-06, 23:30 on 03-05 in the shop; a mechanic with no user.
    assert linhas[5][5] == "Mecânico nº 103" and linhas[5][11] == "05/03/2026 23:30"
    assert linhas[5][13:] == ["50,0", "60,0", "10,0", "30,0", "45,0", "195,0",
                              "0,0", "0,0", "25,0"]  # fmt: skip
    assert linhas[4][19:] == ["0,0", "20,0", "0,0"]  # D: 20 min waiting for the customer


def test_texto_de_gente_continua_texto(app: Flask, gerente: FlaskClient) -> None:
    fila = componente(FilaService, app)
    extras = {
        "placa": "ABC1D23",
        "veiculo": 'Fiat; Uno "Mille"',
        "cliente": '=HYPERLINK("http://x")',
        "previsao_entrega": utc("2026-03-03T18:30"),
    }
    # Stored raw (before control characters were refused, or imported): a NUL ahead of the
    # formula hid it from the guard.
    escondida = {**extras, "cliente": '\x00=HYPERLINK("http://x")'}
    item = fila.adicionar(40, GERENTE, Prioridade.ALTA, extras, instante=utc("2026-03-03T12:00"))
    carregar(fila, 41, "ALTA", 101, utc("2026-03-03T14:00"), (1, 1, 1, 1, 1))  # finished
    componente(Mongo, app).db["fila_execucao"].update_one(
        {"ordem_servico_id": 41}, {"$set": {k: v for k, v in escondida.items()}}
    )  # the service sets car fields at creation only
    linhas = ler(gerente.get("/indicadores/exportar.csv", query_string=PERIODO).data)
    (linha,) = linhas[1:]
    assert linha[1:4] == ["ABC1D23", 'Fiat; Uno "Mille"', '\'=HYPERLINK("http://x")']
    assert linha[4] == "Alta" and linha[12] == "03/03/2026 15:30"
    assert item["ordem_servico_id"] == 40  # open: not exported


def test_vem_em_partes_de_um_cursor(app: Flask, gerente: FlaskClient) -> None:
    """More rows than a chunk: the answer streams (no Content-Length), chunk by chunk."""
    fim = utc("2026-03-04T12:00")
    documentos = []
    for n in range(export.LOTE * 2 + 50):
        doc = nova_ordem(10_000 + n, Prioridade.NORMAL, "bench", fim - timedelta(hours=3))
        doc.update(status="FINALIZADA", mecanico_responsavel_id=101, orcamento_aprovado=True,
                   dta_inicio_diagnostico=fim - timedelta(hours=2),
                   dta_fim_diagnostico=fim - timedelta(hours=1, minutes=30),
                   dta_aprovacao_orcamento=fim - timedelta(hours=1),
                   dta_inicio_reparo=fim - timedelta(minutes=50),
                   dta_fim_reparo=fim - timedelta(seconds=n))  # fmt: skip
        documentos.append(doc)
    componente(Mongo, app).db["fila_execucao"].insert_many(documentos)
    r = gerente.get("/indicadores/exportar.csv", query_string=PERIODO, buffered=False)
    assert r.is_streamed and "Content-Length" not in r.headers
    partes = list(r.response)
    assert len(partes) >= 3
    linhas = ler(b"".join(p if isinstance(p, bytes) else p.encode() for p in partes))
    assert len(linhas) == 1 + export.LOTE * 2 + 50
    assert linhas[1][0] == str(10_000 + export.LOTE * 2 + 49)  # the oldest end first
    # Its end is 449 s before the others': 50 min - 449 s of repair, 3 h - 449 s in all.
    assert linhas[1][13:] == ["60,0", "30,0", "30,0", "10,0", "42,5", "172,5", "0,0", "0,0", "0,0"]


def test_sem_ordens_so_o_cabecalho(gerente: FlaskClient) -> None:
    linhas = ler(gerente.get("/indicadores/exportar.csv?periodo=hoje").data)
    assert len(linhas) == 1 and linhas[0][0] == "OS"


def test_exportacao_com_token_de_gerente(app: Flask, gerente: FlaskClient, api: Api) -> None:
    """An integration (or a script) with a manager's token downloads the same CSV the page
    does, as `/indicadores` answers it JSON; a mechanic's token gets 403, no token at all
    the sign-in page as before."""
    carregar_conjunto(app)
    da_pagina = gerente.get("/indicadores/exportar.csv", query_string=PERIODO)
    for quem in (api.como("gerente"), api):  # a manager's token, an integration's
        r = quem.get("/indicadores/exportar.csv", query_string=PERIODO)
        assert r.status_code == 200 and r.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert r.data == da_pagina.data and len(ler(r.data)) == 6
        assert r.headers["Vary"].startswith("Authorization, Cookie")
    r = api.como("mecanico").get("/indicadores/exportar.csv", query_string=PERIODO)
    assert r.status_code == 403
    assert r.json == {"detail": "Apenas um gerente pode ver os indicadores."}
    r = api.como("gerente").get("/indicadores/exportar.csv?periodo=nenhum")
    assert r.status_code == 400 and "detail" in r.json
    anonimo = app.test_client().get("/indicadores/exportar.csv", query_string=PERIODO)
    assert anonimo.status_code == 302 and "/entrar" in anonimo.headers["Location"]
    assert "Redirecionando" in anonimo.text and "Redirecting" not in anonimo.text
    # Another scheme is a browser behind a proxy's Basic auth, which sends it on every
    # request: the manager's pages, as without it (it was a JSON 401 about tokens).
    basica = {"Authorization": "Basic eDp5"}
    for pagina in ("/indicadores", "/indicadores/exportar.csv"):
        r = gerente.get(pagina, query_string=PERIODO, headers=basica)
        assert r.status_code == 200 and r.mimetype in ("text/html", "text/csv") and r.data
        r = app.test_client().get(pagina, query_string=PERIODO, headers=basica)
        assert r.status_code == 302 and "/entrar" in r.headers["Location"]
    # OPTIONS says what the address takes; it never runs the export.
    gerente_api = api.como("gerente")
    r = gerente_api.client.options(
        "/indicadores/exportar.csv", query_string=PERIODO, headers=gerente_api.headers()
    )
    assert r.status_code == 200 and r.data == b"" and "GET" in r.headers["Allow"]


def test_promessa_perdida_conta_com_outra_prometida_depois(
    app: Flask, api: Api, gerente: FlaskClient
) -> None:
    """ "Prometer" on an order already late (its promise passed while it was open) rewrote the
    promise it is measured against: finished after the first and before the new one, it
    counted as on time, in the indicators and in the export. The first promise missed is kept
    and counts; a promise renewed before it passed is the one that counts."""
    fila = componente(FilaService, app)
    fim = utc("2026-03-03T15:00")  # each order began at 14:10
    primeira, nova = utc("2026-03-03T14:30"), utc("2026-03-03T18:00")
    ids = {}
    for os_id, prometida_em in ((21, "14:40"), (22, "14:20")):
        ids[os_id] = carregar(
            fila, os_id, "NORMAL", 101, fim, (10, 10, 10, 10, 10),
            extras={"previsao_entrega": primeira},
            promessas=[(utc(f"2026-03-03T{prometida_em}"), nova)],
        )  # fmt: skip
    # A second promise missed later keeps the first.
    carregar(
        fila, 23, "NORMAL", 101, fim + timedelta(hours=4), (10, 10, 10, 10, 10),
        extras={"previsao_entrega": primeira},
        promessas=[(utc("2026-03-03T17:40"), utc("2026-03-03T18:20")),
                   (utc("2026-03-03T18:30"), utc("2026-03-03T20:00"))],
    )  # fmt: skip
    guardadas = {
        d["ordem_servico_id"]: d.get("promessa_perdida")
        for d in componente(Mongo, app).db.fila_execucao.find({"ordem_servico_id": {"$gt": 20}})
    }
    assert guardadas == {21: primeira, 22: None, 23: primeira}
    dados = api.get("/indicadores", query_string=PERIODO).json
    assert (dados["finalizadas_com_previsao"], dados["finalizadas_depois_da_previsao"]) == (3, 2)
    # The export carries the promise each is measured against: imported, it counts the same.
    linhas = ler(gerente.get("/indicadores/exportar.csv", query_string=PERIODO).data)
    coluna = linhas[0].index("Previsão de entrega")
    assert {linha[0]: linha[coluna] for linha in linhas[1:]} == {
        "21": "03/03/2026 11:30", "22": "03/03/2026 15:00", "23": "03/03/2026 11:30",
    }  # fmt: skip
    # The finished card says the promise it missed, not the one it kept.
    pagina = gerente.get(f"/ordens/{ids[21]}").text
    # The page says it by the cards' rule ("03/03 11:30" this year; with the year another).
    assert f"{componente(Clock, app).dia_e_hora(primeira)} (finalizada depois dela)" in pagina
