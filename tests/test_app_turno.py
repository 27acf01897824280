"""Streams across a shift: at the shop's midnight an open board's and TV's streams send their
whole state again by themselves, so "Finalizadas hoje" empties without a change or a reconnect
(the browser side of it: test_app_turno_navegador.py)."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from flask import Flask

from tests.helpers import Api, stream_de_teste
from webapp.clock import Clock
from webapp.components import componente
from webapp.configuracoes.repository import ConfiguracoesRepository


def test_streams_mandam_o_estado_inteiro_a_meia_noite_da_oficina(
    rapido: Flask, settings, usuarios_demo, entrar
) -> None:
    meia_noite = componente(Clock, rapido).inicio_do_dia() + timedelta(days=1)
    with time_machine.travel(meia_noite - timedelta(seconds=120), tick=True) as viagem:
        api = Api(rapido.test_client(), settings)
        fila_id = api.criar(9950, placa="MEI1A00")["fila_id"]
        for passo, corpo in (
            ("iniciar-diagnostico", {"mecanico_responsavel_id": 101}),
            ("finalizar-diagnostico", {"diagnostico": "ok"}),
            ("aprovar-orcamento", None),
            ("iniciar-reparo", None),
            ("finalizar-reparo", None),
        ):
            assert api.passo(fila_id, passo, corpo).status_code == 200
        token, _ = componente(ConfiguracoesRepository, rapido).criar_passe("TV", "teste")
        gerente = rapido.test_client()
        assert entrar(gerente, "gerente", "gerente123").status_code == 302
        tv = rapido.test_client()
        tv.set_cookie("painel_token", token, path="/painel")
        leitores = [
            stream_de_teste(gerente, "/eventos")[1],
            stream_de_teste(tv, "/painel/eventos")[1],
        ]
        try:
            for leitor in leitores:
                assert "MEI1A00" in leitor.proxima()["data"]  # finished today, shown
            viagem.shift(timedelta(seconds=150))  # just past midnight in the shop
            quadro = leitores[0].proxima(timeout=3, com='hx-target="#cartoes-FINALIZADA"')["data"]
            finalizadas = quadro.split('hx-target="#cartoes-FINALIZADA"')[1].split("</hx-partial>")[
                0
            ]
            assert "MEI1A00" not in finalizadas and 'id="contagem-FINALIZADA"' in quadro
            painel = leitores[1].proxima(timeout=3, com="painel-coluna-FINALIZADA")["data"]
            assert "MEI1A00" not in painel
        finally:
            for leitor in leitores:
                leitor.fechar()


def test_paginas_sem_stream_sabem_quando_o_dia_da_oficina_muda(
    app: Flask, api: Api, pessoas
) -> None:
    """/indicadores and an order's page carry the milliseconds to the shop's midnight
    (FUSO_HORARIO), for dia-muda.js to reload them then; the board has its stream instead."""
    relogio = componente(Clock, app)
    meia_noite = relogio.inicio_do_dia() + timedelta(days=1)
    fila_id = api.criar(9960, placa="DIA2M00")["fila_id"]
    with time_machine.travel(meia_noite - timedelta(seconds=90, milliseconds=250), tick=False):
        assert relogio.ms_ate_o_dia_mudar() == 90_250
        for caminho in ("/indicadores", "/indicadores/atrasadas", f"/ordens/{fila_id}"):
            pagina = pessoas["gerente"].pagina(caminho)
            assert "dia-muda.js" in pagina and 'data-ms="90250"' in pagina, caminho
        assert "dia-muda.js" not in pessoas["gerente"].pagina("/")
    with time_machine.travel(meia_noite, tick=False):
        assert relogio.ms_ate_o_dia_mudar() == 24 * 3600 * 1000  # the next one, not now
