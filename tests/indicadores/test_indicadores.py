"""The manager's indicators on the real mongod: a known set of orders with fixed timestamps, loaded
through the service, and the exact medians, 90th percentiles, per-priority, per-mechanic and
per-day figures, holds excluded; the page, the JSON answer and who may see them; the indexes
the pipelines rely on."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask, render_template_string

from tests.helpers import Api, consultas_de
from tests.indicadores.dados_indicadores import GERENTE, PERIODO, carregar, carregar_conjunto, utc
from tests.paginas import csrf_de
from webapp.components import componente
from webapp.fila.domain import Prioridade
from webapp.fila.queries import (
    TEMPO_INDICADORES_MS,
    FilaQueries,
    filtro_atrasadas,
    pipeline_exportacao,
    pipeline_indicadores,
)
from webapp.fila.service import FilaService
from webapp.fila.stages import INTERVALOS, limites_alerta
from webapp.indicadores import service
from webapp.indicadores.domain import percentil, periodo, posicao_percentil
from webapp.mongo import Mongo
from webapp.settings import Settings

CODIGOS = [i.codigo for i in INTERVALOS]


@pytest.fixture
def conjunto(app: Flask) -> dict[str, object]:
    return carregar_conjunto(app)


def minutos(figura: dict) -> tuple:
    return (figura["n"], figura["p50"] / 60, figura["p90"] / 60)


def test_percentil_nearest_rank() -> None:
    assert [posicao_percentil(50, n) for n in (1, 2, 3, 4, 5)] == [0, 0, 1, 1, 2]
    assert [posicao_percentil(90, n) for n in (1, 2, 5, 10, 11, 70)] == [0, 1, 4, 8, 9, 62]
    assert percentil([30, 10, 20, 40], 50) == 20  # the lower middle value, always a real one
    assert percentil([5], 90) == 5 and percentil([], 50) is None
    with pytest.raises(ValueError):
        posicao_percentil(50, 0)


def test_figuras_exatas_no_pipeline(app: Flask, conjunto) -> None:
    q = componente(FilaQueries, app)
    bruto = q.indicadores(utc("2026-03-01T03:00"), utc("2026-03-08T03:00"), "America/Sao_Paulo")
    (geral,) = bruto["geral"]
    assert geral["n"] == 5
    assert set(geral) == {"_id", "n", *CODIGOS}
    assert {c: minutos(geral[c]) for c in CODIGOS} == {
        "espera_diagnostico": (5, 30, 50),
        "diagnostico": (5, 30, 60),
        "espera_aprovacao": (5, 60, 120),
        "espera_reparo": (5, 10, 30),
        "reparo": (5, 60, 120),
        "total": (5, 195, 300),
    }
    prioridades = {g["_id"]: g for g in bruto["por_prioridade"]}
    assert {p: (g["n"], *minutos(g["total"])[1:]) for p, g in prioridades.items()} == {
        "URGENTE": (2, 125, 250),  # n even: the lower middle value
        "NORMAL": (2, 160, 300),
        "BAIXA": (1, 195, 195),
    }
    assert minutos(prioridades["NORMAL"]["reparo"]) == (2, 30, 90)
    mecanicos = {g["_id"]: g for g in bruto["por_mecanico"]}
    assert {m: g["n"] for m, g in mecanicos.items()} == {101: 3, 102: 1, 103: 1}
    assert minutos(mecanicos[101]["total"]) == (3, 160, 300)
    assert minutos(mecanicos[101]["diagnostico"]) == (3, 20, 30)
    assert minutos(mecanicos[102]["reparo"]) == (1, 120, 120)  # its hold excluded
    assert sorted((d["_id"], d["n"]) for d in bruto["por_dia"]) == [
        ("2026-03-02", 2),
        ("2026-03-03", 1),
        ("2026-03-05", 2),
    ]


def test_esperas_por_motivo_no_pipeline(app: Flask, conjunto) -> None:
    """Where the time is lost: per interval, the sum of its durations (holds excluded) and its
    holds by reason, in seconds and orders held; the total adds up every stage. The pipeline
    sums once per priority and mechanic (rows), the domain adds the rows up per group."""
    bruto = componente(FilaQueries, app).indicadores(
        utc("2026-03-01T03:00"), utc("2026-03-08T03:00"), "America/Sao_Paulo"
    )
    assert sorted((r["_id"]["prioridade"], r["_id"]["mecanico"]) for r in bruto["somas"]) == [
        ("BAIXA", 103), ("NORMAL", 101), ("URGENTE", 101), ("URGENTE", 102),
    ]  # fmt: skip
    # Only the orders that were on hold reach the holds' rows: B, D and E.
    assert sorted((r["_id"]["prioridade"], r["_id"]["mecanico"]) for r in bruto["esperas"]) == [
        ("BAIXA", 103), ("NORMAL", 101), ("URGENTE", 102),
    ]  # fmt: skip
    semana = periodo("personalizado", "2026-03-01", "2026-03-07", date(2026, 3, 10))
    with app.app_context():
        ind = service.calcular(semana)
    geral = ind.geral.figuras

    def esperas(figura) -> dict:
        return {m: (e.segundos / 60, e.ordens) for m, e in figura.espera.items() if e.ordens}

    assert {c: geral[c].soma / 60 for c in CODIGOS} == {
        "espera_diagnostico": 150,
        "diagnostico": 160,
        "espera_aprovacao": 310,
        "espera_reparo": 65,
        "reparo": 345,
        "total": 1030,
    }
    assert {c: esperas(geral[c]) for c in CODIGOS} == {
        "espera_diagnostico": {"outro": (25, 1)},
        "diagnostico": {},
        "espera_aprovacao": {"aguardando_cliente": (20, 1)},
        "espera_reparo": {},
        "reparo": {"aguardando_pecas": (15, 1)},
        "total": {"aguardando_pecas": (15, 1), "aguardando_cliente": (20, 1), "outro": (25, 1)},
    }
    assert geral["total"].ordens_em_espera == 3 and geral["reparo"].ordens_em_espera == 1
    assert set(geral["total"].espera) == {"aguardando_pecas", "aguardando_cliente", "outro"}
    prioridades = {g.chave: g.figuras for g in ind.por_prioridade}
    assert esperas(prioridades["URGENTE"]["total"]) == {"aguardando_pecas": (15, 1)}
    assert esperas(prioridades["NORMAL"]["total"]) == {"aguardando_cliente": (20, 1)}
    assert prioridades["URGENTE"]["total"].soma / 60 == 125 + 250
    mecanicos = {g.chave: g.figuras for g in ind.por_mecanico}
    assert esperas(mecanicos[103]["espera_diagnostico"]) == {"outro": (25, 1)}
    assert mecanicos[101]["total"].soma / 60 == 125 + 160 + 300
    assert mecanicos[101]["total"].ordens_em_espera == 1  # D


def test_finalizadas_depois_da_previsao(app: Flask, api: Api, usuarios_demo, entrar) -> None:
    """Promises kept: of the orders finished in the period with a promised time, how many
    ended after it, overall and per priority (an order without one counts in neither)."""
    fila = componente(FilaService, app)
    fim = utc("2026-03-03T15:00")
    for os_id, prioridade, previsao in (
        (1, "URGENTE", fim + timedelta(minutes=1)),  # on time
        (2, "URGENTE", fim - timedelta(minutes=1)),  # late
        (3, "NORMAL", fim - timedelta(hours=5)),  # late
        (4, "NORMAL", None),  # no promise
        (5, "NORMAL", fim),  # exactly on time
    ):
        extras = {"previsao_entrega": previsao} if previsao else None
        carregar(fila, os_id, prioridade, 101, fim, (10, 10, 10, 10, 10), extras=extras)
    dados = api.get("/indicadores", query_string=PERIODO).json
    assert (dados["finalizadas"], dados["finalizadas_com_previsao"]) == (5, 4)
    assert dados["finalizadas_depois_da_previsao"] == 2
    assert [
        (p["prioridade"], p["finalizadas_com_previsao"], p["finalizadas_depois_da_previsao"])
        for p in dados["por_prioridade"]
    ] == [("URGENTE", 2, 1), ("NORMAL", 2, 1)]
    assert dados["por_mecanico"][0]["finalizadas_depois_da_previsao"] == 2
    gerente = app.test_client()
    entrar(gerente, "gerente", "gerente123")
    texto = re.sub(
        r"\s+", " ", re.sub(r"<[^>]+>", " ", gerente.get("/indicadores", query_string=PERIODO).text)
    )
    assert "Finalizadas depois da entrega prometida 2 de 4 com promessa" in texto
    assert "Em espera Depois da promessa" in texto and "— 1 de 2" in texto


def test_pagina_do_gerente(app: Flask, conjunto, usuarios_demo, entrar) -> None:
    gerente = app.test_client()
    entrar(gerente, "gerente", "gerente123")
    r = gerente.get("/indicadores", query_string=PERIODO)
    assert r.status_code == 200, r.text
    html = r.text
    assert "De 01/03/2026 a 07/03/2026" in html
    texto = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Ordens finalizadas 5" in texto
    assert "Do início ao fim, metade das ordens em até 3 h 15 min" in texto
    assert "Do início ao fim, 9 em 10 em até 5 h 00 min" in texto
    # The time lost on hold, beside the rest, per stage and reason and in total.
    assert "Em espera (peças, cliente, outro motivo) 1 h 00 min 6 % do tempo das ordens" in texto
    assert (
        "Etapa Fora de espera Em espera Parte em espera Peças Cliente Outro motivo Total" in texto
    )
    assert '<th scope="colgroup" colspan="4">Em espera</th>' in html
    assert "Espera pelo diagnóstico 2 h 30 min — — 25 min 1 ordem 25 min 1 ordem 14 %" in texto
    assert "Espera pela aprovação 5 h 10 min — 20 min 1 ordem — 20 min 1 ordem 6 %" in texto
    assert "Reparo 5 h 45 min 15 min 1 ordem — — 15 min 1 ordem 4 %" in texto
    assert (
        "Do início ao fim 17 h 10 min 15 min 1 ordem 20 min 1 ordem 25 min 1 ordem "
        "1 h 00 min 3 ordens 6 %" in texto
    )
    # Percentiles in plain words, without the jargon.
    assert "Etapa Ordens Metade das ordens em até 9 em 10 em até" in texto
    assert "Espera pelo diagnóstico 5 30 min 50 min" in texto
    assert "Espera pela aprovação 5 1 h 00 min 2 h 00 min" in texto
    assert "Urgente 2 10 min 9 em 10: 20 min" in texto  # first columns of the per-priority table
    assert "Marcos 3 30 min 9 em 10: 40 min" in texto and "Mecânico nº 103 1" in texto
    assert "2 h 05 min 9 em 10: 4 h 10 min 15 min" in texto  # Urgente end to end, its hold
    for jargao in ("Mediana", "mediana", "Percentil", "percentil", "nearest", "p90"):
        assert jargao not in texto
    assert "02/03/2026 2 03/03/2026 1 04/03/2026 0 05/03/2026 2" in texto
    # Charts: inline SVG with classes and presentation attributes only (CSP: no style, no
    # script), named for screen readers, the numbers in a table beside them.
    assert html.count('<svg viewBox="0 0 640') == 5
    assert "style=" not in html and "<script>" not in html
    assert 'class="barra serie-mediana"' in html and 'role="img"' in html
    assert 'href="/indicadores/exportar.csv?periodo=personalizado&amp;de=2026-03-01' in html
    assert "Authorization" in r.headers["Vary"]


@pytest.mark.parametrize(
    ("consulta", "mensagem"),
    [
        ({"periodo": "personalizado", "de": "2026-03-01"}, "Informe as duas datas do período"),
        (
            {"periodo": "personalizado", "de": "2026-03-09", "ate": "2026-03-01"},
            "A data inicial deve ser anterior ou igual à final.",
        ),
        ({"de": "2025-01-01", "ate": "2026-03-01"}, "no máximo 366 dias"),
        (
            {"de": "01/03/2026", "ate": "2026-03-07"},
            "Data inicial inválida: use o formato AAAA-MM-DD.",
        ),
        # Written right, a day the calendar lacks: not told to use the format it has.
        (
            {"periodo": "personalizado", "de": "2026-02-30", "ate": "2026-03-01"},
            "Data inicial inválida: 30/02/2026 não existe no calendário.",
        ),
        # Other forms Python's date.fromisoformat reads are not what the message asks for.
        ({"de": "20260301", "ate": "2026-03-07"}, "Data inicial inválida"),
        ({"de": "2026-03-01", "ate": "2026-W10-6"}, "Data final inválida"),
        ({"de": "1999-03-01", "ate": "1999-03-07"}, "Use datas entre os anos 2000 e 2100."),
        # Wholly ahead: its zeros read as a shop that finished nothing.
        ({"de": "2099-03-01", "ate": "2099-03-07"}, "O período começa depois de hoje"),
        ({"periodo": "ano"}, "Período inválido: use hoje, 7d, 30d ou personalizado."),
        # Sent twice: the export and the page read the first one alone, the JSON refused it.
        ("periodo=7d&periodo=30d", "Parâmetro repetido: periodo. Envie cada um uma vez só."),
        ("periodo=personalizado&de=2026-03-01&de=2026-03-05&ate=2026-03-07", "repetido: de."),
    ],
)
def test_periodo_invalido(app: Flask, usuarios_demo, entrar, api: Api, consulta, mensagem):
    gerente = app.test_client()
    entrar(gerente, "gerente", "gerente123")
    r = gerente.get("/indicadores", query_string=consulta)
    assert r.status_code == 400 and mensagem in r.text
    assert "Mostrando o período padrão." in r.text and "Últimos 7 dias" in r.text
    r = api.get("/indicadores", query_string=consulta)
    assert r.status_code == 400 and mensagem in r.json["detail"]
    r = gerente.get("/indicadores/exportar.csv", query_string=consulta)
    assert r.status_code == 400 and mensagem in r.text


def _campo(html: str, nome: str) -> str:
    """The period's date field `nome` ("de", "ate") as the page writes it."""
    achado = re.search(rf'<input id="{nome}"[^>]*>', html)
    assert achado, html
    return achado[0]


def test_dia_errado_volta_ao_seu_campo_para_ser_corrigido(app: Flask, usuarios_demo, entrar):
    """A day no calendar has ("2026-13-45", from a link or a bookmark) went back into its date
    field, which shows such a value empty: the error stood beside two boxes, one blank, both
    marked. It comes back as typed in a text field, the only one marked (and focused); the
    other keeps its day in the calendar. Never a 500, whatever the address holds."""
    gerente = app.test_client()
    entrar(gerente, "gerente", "gerente123")
    consulta = {"periodo": "personalizado", "de": "2026-13-45", "ate": "2026-03-07"}
    r = gerente.get("/indicadores", query_string=consulta)
    assert r.status_code == 400
    assert "Data inicial inválida: 45/13/2026 não existe no calendário." in r.text
    de, ate = _campo(r.text, "de"), _campo(r.text, "ate")
    assert 'value="2026-13-45"' in de and 'type="text"' in de and 'placeholder="AAAA-MM-DD"' in de
    assert 'aria-invalid="true" aria-describedby="erro-periodo" autofocus' in de
    assert 'value="2026-03-07"' in ate and 'type="date"' in ate and "aria-invalid" not in ate
    # The final one wrong, with markup in it: escaped, in its own field.
    r = gerente.get("/indicadores", query_string={**consulta, "de": "2026-03-01", "ate": '<b>"x'})
    assert r.status_code == 400 and "Data final inválida: use o formato AAAA-MM-DD." in r.text
    de, ate = _campo(r.text, "de"), _campo(r.text, "ate")
    assert 'type="date"' in de and "aria-invalid" not in de
    assert 'value="&lt;b&gt;&#34;x"' in ate and 'type="text"' in ate and "aria-invalid" in ate
    # Days that exist, in the wrong order: both are the period's fault, both marked.
    r = gerente.get("/indicadores", query_string={**consulta, "de": "2026-03-09"})
    assert r.status_code == 400
    for campo in (_campo(r.text, "de"), _campo(r.text, "ate")):
        assert 'type="date"' in campo and 'aria-invalid="true"' in campo, campo
    # The one left empty is the one marked.
    r = gerente.get("/indicadores", query_string={**consulta, "de": "2026-03-01", "ate": ""})
    assert "aria-invalid" not in _campo(r.text, "de") and "aria-invalid" in _campo(r.text, "ate")
    # Nothing a date field could not hold, nor a 500, from any of these.
    for lixo in ("\x00", "٢٠٢٦-٠٣-٠١", "2026-03-01T10:00", "0000-00-00", "x" * 300):
        r = gerente.get("/indicadores", query_string={**consulta, "de": lixo})
        assert r.status_code == 400, lixo
        assert 'type="text"' in _campo(r.text, "de"), lixo
    # Corrected, the period shows, its days back in the calendar's fields (as read: spaces
    # around a day are no error, and a date field would show " 2026-03-01 " empty).
    for certo in ("2026-03-01", " 2026-03-01 "):
        r = gerente.get("/indicadores", query_string={**consulta, "de": certo})
        assert r.status_code == 200 and "De 01/03/2026 a 07/03/2026" in r.text
        de = _campo(r.text, "de")
        assert 'type="date"' in de and 'value="2026-03-01"' in de and "aria-invalid" not in r.text


def test_json_com_token_de_gerente_ou_integracao(app: Flask, conjunto, api: Api) -> None:
    for quem in (api, api.como("gerente"), api.como("admin")):
        r = quem.get("/indicadores", query_string=PERIODO)
        assert r.status_code == 200, r.json
        dados = r.json
        assert dados["periodo"] == {
            "chave": "personalizado",
            "de": "2026-03-01",
            "ate": "2026-03-07",
            "inicio": "2026-03-01T03:00:00.000+00:00",
            "fim": "2026-03-08T03:00:00.000+00:00",
            "fuso": "America/Sao_Paulo",
        }
        assert dados["finalizadas"] == 5
        assert dados["intervalos"]["total"] == {
            "n": 5,
            "mediana_s": 195 * 60,
            "p90_s": 300 * 60,
            "soma_s": 1030 * 60,
            "espera_s": 60 * 60,
            "ordens_com_espera": 3,
            "espera_por_motivo": {
                "aguardando_pecas": {"espera_s": 15 * 60, "ordens": 1},
                "aguardando_cliente": {"espera_s": 20 * 60, "ordens": 1},
                "outro": {"espera_s": 25 * 60, "ordens": 1},
            },
        }
        assert dados["intervalos"]["espera_reparo"] == {
            "n": 5,
            "mediana_s": 600,
            "p90_s": 1800,
            "soma_s": 65 * 60,
            "espera_s": 0,
            "ordens_com_espera": 0,
            "espera_por_motivo": {
                m: {"espera_s": 0, "ordens": 0}
                for m in ("aguardando_pecas", "aguardando_cliente", "outro")
            },
        }
        assert dados["intervalos"]["reparo"]["espera_por_motivo"]["aguardando_pecas"] == {
            "espera_s": 15 * 60,
            "ordens": 1,
        }
        assert dados["por_prioridade"][1]["intervalos"]["total"]["espera_s"] == 20 * 60
        assert [(p["prioridade"], p["finalizadas"]) for p in dados["por_prioridade"]] == [
            ("URGENTE", 2),
            ("NORMAL", 2),
            ("BAIXA", 1),
        ]
        assert [
            (m["mecanico_responsavel_id"], m["nome"], m["finalizadas"])
            for m in dados["por_mecanico"]
        ] == [
            (101, "Marcos", 3),
            (103, "Mecânico nº 103", 1),
            (102, "Paula", 1),
        ]
        assert dados["por_mecanico"][0]["intervalos"]["total"]["mediana_s"] == 160 * 60
        assert [d["finalizadas"] for d in dados["por_dia"]] == [0, 2, 1, 0, 2, 0, 0]
        assert "nearest-rank" in dados["percentil"]
        assert r.headers["Content-Type"] == "application/json"


def test_quem_nao_e_gerente_nao_ve(app: Flask, api: Api, usuarios_demo, entrar) -> None:
    r = api.como("mecanico").get("/indicadores")
    assert r.status_code == 403
    assert r.json == {"detail": "Apenas um gerente pode ver os indicadores."}
    r = api.get("/indicadores", headers={"Authorization": "Bearer nao-e-um-jwt"})
    assert r.status_code == 401 and "detail" in r.json
    # Without a token it is the page: sign in first.
    r = app.test_client().get("/indicadores")
    assert r.status_code == 302 and r.headers["Location"].startswith("/entrar")
    mecanico = app.test_client()
    entrar(mecanico, "mecanico", "mecanico123")
    token = csrf_de(mecanico.get("/").text)
    for caminho in ("/indicadores", "/indicadores?periodo=30d", "/indicadores/exportar.csv"):
        r = mecanico.get(caminho)
        assert r.status_code == 403 and "Apenas gerentes podem acessar esta página." in r.text
    # A hand-made POST with a valid CSRF token: these pages only read, for anyone (405).
    for caminho in ("/indicadores", "/indicadores/exportar.csv"):
        assert mecanico.post(caminho, data={"csrf_token": token}).status_code == 405
    assert "Indicadores" not in mecanico.get("/").text


def _indices(plano: object, vencedor: bool = False) -> set[str]:
    """Index names the winning plans of an explain output use (a COLLSCAN or an in-memory
    SORT by their own names); the rejected plans are left out."""
    achados: set[str] = set()
    if isinstance(plano, dict):
        if vencedor and plano.get("stage") in ("COLLSCAN", "SORT"):
            achados.add(plano["stage"])
        if vencedor and "indexName" in plano:
            achados.add(plano["indexName"])
        for chave, valor in plano.items():
            if chave != "rejectedPlans":
                achados |= _indices(valor, vencedor or chave == "winningPlan")
    elif isinstance(plano, list):
        for valor in plano:
            achados |= _indices(valor, vencedor)
    return achados


def test_consultas_servidas_por_indices(app: Flask, conjunto) -> None:
    db = componente(Mongo, app).db
    de, ate = utc("2026-03-01T03:00"), utc("2026-03-08T03:00")

    def explicar(pipeline: list) -> dict:
        comando = {"aggregate": "fila_execucao", "pipeline": pipeline, "cursor": {}}
        return db.command("explain", comando, verbosity="queryPlanner")

    indicadores = explicar(pipeline_indicadores(de, ate, "America/Sao_Paulo"))
    assert _indices(indicadores) == {"finalizadas_em_ordem"}
    exportacao = explicar(pipeline_exportacao(de, ate))
    assert _indices(exportacao) == {"finalizadas_em_ordem"}  # no SORT: the index gives the order
    # Late work, on an open queue of 300 fresh orders and three late ones: however the planner
    # picks among the indexes on status, it reads only the candidates, never the queue.
    agora = datetime.now(UTC)
    for n in range(300):
        prioridade = list(Prioridade)[n % 4]
        componente(FilaService, app).adicionar(
            1000 + n, GERENTE, prioridade, instante=agora - timedelta(minutes=n % 20)
        )
    componente(FilaService, app).adicionar(
        2000, GERENTE, Prioridade.URGENTE, instante=agora - timedelta(hours=3)
    )
    componente(FilaService, app).adicionar(
        2001, GERENTE, extras={"previsao_entrega": agora - timedelta(minutes=1)}
    )
    filtro = filtro_atrasadas(agora, limites_alerta(componente(Settings, app).alerta_etapa))
    assert db["fila_execucao"].count_documents(filtro) == 3  # with the dataset's open one
    for comando in (
        {"count": "fila_execucao", "query": filtro},
        {"find": "fila_execucao", "filter": filtro, "sort": {"dta_criacao": 1}},
    ):
        plano = db.command("explain", comando, verbosity="executionStats")
        assert "COLLSCAN" not in _indices(plano)
        # A few candidates (one may be read once per branch of the $or), never the 300.
        assert plano["executionStats"]["totalDocsExamined"] <= 10, plano["executionStats"]
    carga = explicar([{"$match": {"status": {"$in": ["EM_DIAGNOSTICO", "EM_REPARO"]}}}])
    assert _indices(carga) == {"fila_por_status"}


def test_dias_sem_ordens_aparecem_com_zero() -> None:
    from webapp.indicadores.domain import montar, periodo

    p = periodo("personalizado", "2026-02-27", "2026-03-02", date(2026, 3, 10))
    ind = montar({"geral": [], "por_dia": [{"_id": "2026-03-01", "n": 4}]}, p, {})
    assert ind.por_dia == [(date(2026, 2, d), 0) for d in (27, 28)] + [
        (date(2026, 3, 1), 4),
        (date(2026, 3, 2), 0),
    ]
    assert ind.finalizadas == 0 and ind.geral.figuras["total"].mediana_texto == "—"
    assert periodo(None, None, None, date(2026, 3, 10)).de == date(2026, 3, 4)  # 7 days
    assert periodo("hoje", None, None, date(2026, 3, 10)).rotulo == "Hoje, 10/03/2026"


def test_atrasadas_contadas_todas_mesmo_alem_da_lista(
    app: Flask, api: Api, usuarios_demo, entrar
) -> None:
    """After a long weekend more orders are late than the list shows (its first 200): the page
    and the API count them all, as the board's header does, and say the list is the oldest."""
    agora = datetime.now(UTC)
    for n in range(205):  # urgent, waiting 3 hours: past the red threshold
        componente(FilaService, app).adicionar(
            3000 + n, GERENTE, Prioridade.URGENTE, instante=agora - timedelta(hours=3, minutes=n)
        )
    gerente = app.test_client()
    entrar(gerente, "gerente", "gerente123")
    html = gerente.get("/indicadores", query_string={"periodo": "7d"}).text
    texto = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Atrasadas agora 205" in texto
    assert "São 205: a tabela começa pelas mais antigas." in texto
    assert re.search(r"·\s+<a href=\"/indicadores/exportar.csv", html)  # "· Baixar", spaced
    assert _os_das_linhas(html, "atrasadas") == list(range(3204, 3154, -1))  # the oldest 50
    # The download is the days shown, not "the last 7 days" worked out again when clicked.
    with app.app_context():
        hoje = service.hoje()
    assert (
        f'href="/indicadores/exportar.csv?periodo=personalizado&amp;de={hoje - timedelta(days=6)}'
        f'&amp;ate={hoje}"' in html
    )
    corpo = api.como("gerente").get("/indicadores").json
    assert corpo["atrasadas_total"] == 205 and len(corpo["atrasadas"]) == 200


def _os_das_linhas(html: str, tabela: str) -> list[int]:
    """The OS numbers of a table's rows, in order (its tbody, or an htmx answer's rows)."""
    if f'id="linhas-{tabela}"' in html:
        html = html[html.index(f'id="linhas-{tabela}"') :]
        html = html[: html.index("</tbody>")]
    numeros = re.findall(r'<td class="numero-os"[^>]*><a href="[^"]+">(\d+)</a>', html)
    return [int(n) for n in numeros]


def _seguinte(html: str, tabela: str) -> str | None:
    """The address of a table's "Mostrar mais", None when it has none."""
    bloco = html[html.index(f'id="seguintes-{tabela}"') :]
    bloco = bloco[: bloco.index("</p>")]
    achado = re.search(r'href="([^"]+)"', bloco)
    return achado[1].replace("&amp;", "&") if achado else None


def test_atrasadas_mostram_mais_ate_a_ultima(app: Flask, usuarios_demo, entrar) -> None:
    """The late table shows a window (50 rows); "Mostrar mais" brings the next ones, below, as
    htmx rows or, without JavaScript, as a page of their own, until the last: every late order
    once, the oldest first. Before, the page stopped at 200 with no way to see the rest."""
    agora = datetime.now(UTC)
    for n in range(120):  # urgent, waiting 3 hours or more: past the red threshold
        componente(FilaService, app).adicionar(
            3000 + n, GERENTE, Prioridade.URGENTE, instante=agora - timedelta(hours=3, minutes=n)
        )
    gerente = app.test_client()
    entrar(gerente, "gerente", "gerente123")
    html = gerente.get("/indicadores").text
    vistas, url = _os_das_linhas(html, "atrasadas"), _seguinte(html, "atrasadas")
    assert len(vistas) == 50 and url is not None
    # With htmx: the rows go below the table's (hx-partial), the link is replaced.
    resposta = gerente.get(url, headers={"HX-Request": "true"})
    assert resposta.status_code == 200
    assert '<hx-partial hx-target="#linhas-atrasadas" hx-swap="beforeend">' in resposta.text
    assert "<html" not in resposta.text
    vistas += _os_das_linhas(resposta.text, "atrasadas")
    url = _seguinte(resposta.text, "atrasadas")
    assert url is not None
    # Without JavaScript: a page of its own, with its way back and the next link.
    pagina = gerente.get(url)
    assert pagina.status_code == 200 and "Voltar aos indicadores" in pagina.text
    vistas += _os_das_linhas(pagina.text, "atrasadas")
    assert _seguinte(pagina.text, "atrasadas") is None  # 120 = 50 + 50 + 20
    assert vistas == list(range(3119, 2999, -1))  # each once, the oldest first
    # A cursor no page made is refused in Portuguese, not a 500.
    for ruim in ("", "x", "1.2.3", "99999999999999999999.abc", f"{2**60}.{'0' * 24}"):
        resposta = gerente.get("/indicadores/atrasadas", query_string={"depois": ruim})
        assert resposta.status_code == 400, ruim
        assert "Página da tabela inválida; recarregue os indicadores." in resposta.text


def test_calculo_longo_demais_e_interrompido_e_dito(app: Flask, api: Api) -> None:
    """The indicators' aggregation carries a time limit (maxTimeMS, under the client's socket
    timeout): a period too big to compute in time is stopped on the server and answered as
    such, 503 with what to do. Before, no limit: the socket timed out (a "database down"
    answer, an error in the log and the metric) and the aggregation ran on."""
    gerente_api = api.como("gerente")
    db = componente(Mongo, app).db
    with consultas_de(db, "fila_execucao") as consultas:
        assert gerente_api.get("/indicadores?periodo=7d").status_code == 200
    [agregacao] = [  # the indicators' own (pipeline_indicadores: its $facet)
        c for c in consultas
        if "aggregate" in c["command"] and any("$facet" in e for e in c["command"]["pipeline"])
    ]  # fmt: skip
    assert agregacao["command"]["maxTimeMS"] == TEMPO_INDICADORES_MS
    db.client.admin.command(
        "configureFailPoint", "failCommand", mode={"times": 1},
        data={"failCommands": ["aggregate"], "errorCode": 50},
    )  # fmt: skip
    r = gerente_api.get("/indicadores?periodo=7d")
    assert r.status_code == 503 and r.headers["Retry-After"] == "5"
    assert r.json["detail"].startswith("O cálculo levou tempo demais")


def test_grafico_por_dia_mostra_o_primeiro_dia_inteiro_e_numeros_que_cabem() -> None:
    """The first day's label, centred under a narrow column, was cut ("7/11" for 07/11); past
    ~40 days the counts above the columns ran into each other ("6 6")."""
    from webapp.indicadores.charts import LARGURA, colunas_por_dia

    inicio = date(2026, 11, 7)
    mes = colunas_por_dia([(inicio + timedelta(days=d), 5 + d % 3) for d in range(30)])
    assert (mes.rotulos[0].x, mes.rotulos[0].ancora, mes.rotulos[0].texto) == (0, "start", "07/11")
    assert all(0 <= r.x <= LARGURA for r in mes.rotulos)
    assert all(b.texto for b in mes.barras)  # 30 columns: room for each count
    trimestre = colunas_por_dia([(inicio + timedelta(days=d), 22) for d in range(97)])
    assert not any(b.texto for b in trimestre.barras)  # the table beside has them
    assert trimestre.rotulos[0].ancora == "start"
    assert all(b.ancora == "middle" for b in mes.barras)  # a count centred over its column


def test_numero_depois_da_barra_comeca_depois_dela(app: Flask) -> None:
    """ "Por mecânico" draws finished orders as horizontal bars in the daily chart's colour: its
    counts were centred on the bar's end, as a column's count is, and touched it ("▇▇17")."""
    from webapp.indicadores.charts import Serie, barras_horizontais

    serie = (Serie("Finalizadas", "serie-finalizadas"),)
    g = barras_horizontais(["Paula", "Marcos"], serie, [(17,), (15,)], [("17",), ("15",)])
    assert all(b.ancora == "start" and b.tx > b.x + b.largura for b in g.barras)
    with app.test_request_context():
        svg = render_template_string(
            '{% from "indicadores/_graficos.html" import svg %}{{ svg(g, "t", "T", "D", "") }}',
            g=g,
        )
    assert svg.count('<text class="valor"') == 2 and 'text-anchor="middle"' not in svg


def test_grafico_estreito_poe_os_rotulos_acima_das_barras() -> None:
    """A phone's drawing: each label on its own line above its bars, at the left edge, the
    bars and their values within its 360 units; the wide drawing keeps labels at the left."""
    from webapp.indicadores.charts import ESTREITO, MARGEM_ROTULO, Serie, barras_horizontais

    etapas = ["Espera pelo diagnóstico", "Reparo"]
    series = (Serie("Metade", "serie-mediana"), Serie("9 em 10", "serie-p90"))
    valores = [(2700.0, 7200.0), (5400.0, 14400.0)]
    textos = [("45 min", "2 h 00 min"), ("1 h 30 min", "4 h 00 min")]
    estreito = barras_horizontais(etapas, series, valores, textos, ESTREITO)
    assert estreito.largura == 360
    assert [(r.x, r.ancora, r.texto) for r in estreito.rotulos] == [(0, "start", e) for e in etapas]
    for i, rotulo in enumerate(estreito.rotulos):
        das_barras = estreito.barras[2 * i : 2 * i + 2]
        assert all(rotulo.y < b.y for b in das_barras)  # above its own bars...
        if i:
            assert rotulo.y > estreito.barras[2 * i - 1].y + estreito.barras[2 * i - 1].altura
    assert all(b.x == 0 and b.tx + 7 * len(b.texto) <= 360 for b in estreito.barras)
    largo = barras_horizontais(etapas, series, valores, textos)
    assert all(r.x == MARGEM_ROTULO - 8 and r.ancora == "end" for r in largo.rotulos)
    assert all(b.x == MARGEM_ROTULO for b in largo.barras)
