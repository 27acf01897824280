"""Late work on the real mongod: the open orders past their promised time or past their stage's
red threshold (holds excluded, exactly as the card decides), oldest first; the board header's
count, pushed with the other counts; the list on /indicadores and in its JSON."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import Flask

from tests.helpers import Api
from tests.paginas import csrf_de
from webapp.cartoes import cards
from webapp.clock import Clock, agora
from webapp.components import componente
from webapp.fila.domain import Acao, Ator, MotivoPausa, Papel, Prioridade
from webapp.fila.queries import FilaQueries
from webapp.fila.service import FilaService
from webapp.fila.stages import LIMITES_ALERTA_PADRAO, Alerta

GERENTE = Ator("gerente", Papel.GERENTE)
T = datetime(2026, 6, 10, 15, 0, tzinfo=UTC)


def antes(minutos: float, de: datetime = T) -> datetime:
    return de - timedelta(minutes=minutos)


def test_lista_exata_e_igual_ao_que_o_cartao_decide(app: Flask) -> None:
    fila = componente(FilaService, app)

    def nova(os_id: int, prioridade: str, criada: float, **extras) -> object:
        return fila.adicionar(os_id, GERENTE, Prioridade(prioridade), extras,
                              instante=antes(criada))["_id"]  # fmt: skip

    baixa = nova(5, "BAIXA", 500)  # in diagnosis for 481 min (red at 480)
    fila.executar(baixa, Acao.INICIAR_DIAGNOSTICO, GERENTE, {"mecanico_responsavel_id": 101},
                  instante=antes(481))  # fmt: skip
    nova(2, "URGENTE", 60)  # exactly 60 min: red, as on the card
    nova(10, "URGENTE", 59)  # not yet
    com_espera = nova(3, "URGENTE", 90)  # 40 min on hold: 50 min in stage
    fila.pausar(com_espera, MotivoPausa.AGUARDANDO_PECAS, None, GERENTE, instante=antes(80))
    fila.retomar(com_espera, GERENTE, instante=antes(40))
    em_espera = nova(4, "URGENTE", 120)  # on hold for the last 70 min: 50 min in stage
    fila.pausar(em_espera, MotivoPausa.AGUARDANDO_CLIENTE, None, GERENTE, instante=antes(70))
    longa = nova(9, "URGENTE", 200)  # 10 min on hold, still 190 min in stage
    fila.pausar(longa, MotivoPausa.OUTRO, "chuva", GERENTE, instante=antes(150))
    fila.retomar(longa, GERENTE, instante=antes(140))
    nova(6, "NORMAL", 10, previsao_entrega=antes(5))  # past the promised time
    nova(11, "NORMAL", 10, previsao_entrega=antes(-5))  # promised for later
    finalizada = nova(7, "ALTA", 30, previsao_entrega=antes(20))
    for acao, dados in ((Acao.INICIAR_DIAGNOSTICO, {"mecanico_responsavel_id": 7}),
                        (Acao.FINALIZAR_DIAGNOSTICO, {"diagnostico": "x"}),
                        (Acao.APROVAR_ORCAMENTO, {}), (Acao.INICIAR_REPARO, {}),
                        (Acao.FINALIZAR_REPARO, {})):  # fmt: skip
        fila.executar(finalizada, acao, GERENTE, dados, instante=antes(25))
    mudou_de_etapa = nova(8, "NORMAL", 300)  # in diagnosis for 100 min only (red at 240)
    fila.executar(mudou_de_etapa, Acao.INICIAR_DIAGNOSTICO, GERENTE,
                  {"mecanico_responsavel_id": 101}, instante=antes(100))  # fmt: skip

    q = componente(FilaQueries, app)
    atrasadas = q.atrasadas(T, LIMITES_ALERTA_PADRAO)
    assert [i["ordem_servico_id"] for i in atrasadas] == [5, 9, 2, 6]  # oldest first
    assert q.contar_atrasadas(T, LIMITES_ALERTA_PADRAO) == 4
    # The same answer as the card's rules, order by order (cards.cartao at the same instant).
    ctx = cards.Contexto(instante=T, fuso=componente(Clock, app).fuso)
    for item in q.listar(None, 100, 0):
        cartao = cards.cartao(item, ctx)
        pelo_cartao = cartao.alerta is Alerta.ATRASO or cartao.entrega_atrasada
        assert pelo_cartao == (item["ordem_servico_id"] in (5, 9, 2, 6)), item["ordem_servico_id"]
    # Thresholds come from ALERTA_ETAPA: with URGENTE red at 50 min, the holds still count out.
    limites = {**LIMITES_ALERTA_PADRAO, Prioridade.URGENTE: (30, 50)}
    assert [i["ordem_servico_id"] for i in q.atrasadas(T, limites)] == [5, 9, 4, 3, 2, 10, 6]


def test_contagem_no_cabecalho_do_quadro_e_nos_pushes(
    app: Flask, api: Api, usuarios_demo, entrar
) -> None:
    fila = componente(FilaService, app)
    fila.adicionar(1, GERENTE, Prioridade.URGENTE, instante=antes(120, agora()))
    fila.adicionar(2, GERENTE, extras={"previsao_entrega": antes(1, agora())})
    fresca = api.criar(3)["fila_id"]
    mecanico, gerente = app.test_client(), app.test_client()
    entrar(mecanico, "mecanico", "mecanico123")
    entrar(gerente, "gerente", "gerente123")
    contagem = '<span id="atrasadas-contagem" class="atrasadas-contagem tem">2</span>'
    pagina = mecanico.get("/").text
    assert f'<span class="atrasadas">Atrasadas: {contagem}' in pagina  # no link: not a manager
    html = gerente.get("/").text
    assert f'<a href="/indicadores#atrasadas" class="atrasadas">Atrasadas: {contagem}' in html
    # Every answer that moves a card carries the counts again, the late one included.
    fila.adicionar(4, GERENTE, Prioridade.URGENTE, instante=antes(90, agora()))
    r = mecanico.post(
        f"/ordens/{fresca}/passo/iniciar-diagnostico",
        data={"csrf_token": csrf_de(pagina)},
        headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/"},
    )
    assert r.status_code == 200
    assert re.search(
        r'<hx-partial hx-target="#atrasadas-contagem" hx-swap="outerHTML"><span '
        r'id="atrasadas-contagem" class="atrasadas-contagem tem">3</span>',
        r.text,
    )


def test_lista_na_pagina_e_no_json(app: Flask, api: Api, usuarios_demo, entrar) -> None:
    fila = componente(FilaService, app)
    agora_ = agora()
    urgente = fila.adicionar(1, GERENTE, Prioridade.URGENTE, {"placa": "ATR1A11"},
                             instante=antes(125, agora_))  # fmt: skip
    fila.atribuir(urgente["_id"], 101, GERENTE, instante=antes(120, agora_))
    previsao = antes(30, agora_)
    ambas = fila.adicionar(2, GERENTE, Prioridade.ALTA,
                           {"placa": "ATR2B22", "previsao_entrega": previsao},
                           instante=antes(121, agora_))  # fmt: skip
    fila.adicionar(3, GERENTE, instante=antes(5, agora_))

    gerente = app.test_client()
    entrar(gerente, "gerente", "gerente123")
    html = gerente.get("/indicadores").text
    corpo = html[html.index('<tbody id="linhas-atrasadas">') :]
    linhas = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", t)).strip()
              for t in re.findall(r"<tr>(.*?)</tr>", corpo, re.S)]  # fmt: skip
    prometida = componente(Clock, app).dia_e_hora(previsao)  # "hoje 09:30"
    assert linhas == [
        "1 ATR1A11 Urgente Aguardando diagnóstico Marcos Mecânico Na etapa há 2 h 05 min "
        "Limite da prioridade: 1 h 00 min",
        f"2 ATR2B22 Alta Aguardando diagnóstico — Entrega prometida para {prometida} "
        "Na etapa há 2 h 01 min Limite da prioridade: 2 h 00 min",
    ]
    # One unit per line: the time in the stage and its limit, each on its own line, alike.
    assert "Na etapa há 2 h 05 min<br>Limite da prioridade: 1 h 00 min" in corpo
    numero = '<span class="numero-rotulo">Atrasadas agora</span> <span class="numero-valor">2<'
    assert numero in html

    dados = api.get("/indicadores?periodo=hoje").json["atrasadas"]
    assert [(a["ordem_servico_id"], a["motivos"], a["limite_etapa_s"]) for a in dados] == [
        (1, ["etapa"], 3600),
        (2, ["previsao_entrega", "etapa"], 7200),
    ]
    assert dados[0]["fila_id"] == str(urgente["_id"]) and dados[0]["mecanico_responsavel_id"] == 101
    assert dados[1]["previsao_entrega"] == previsao.isoformat(timespec="milliseconds")
    assert 121 * 60 <= dados[1]["segundos_na_etapa"] < 123 * 60
    assert str(ambas["_id"]) == dados[1]["fila_id"]
