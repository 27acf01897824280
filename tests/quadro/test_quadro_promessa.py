"""A manager types an open order's promised time ("Entrega prometida" among the "Mais…"
actions and on the order's page), or clears it: one conditional update, in the history, said
to the board, refused beside the field when it is already past or not a date, and never by a
mechanic. Real mongod, Flask test client with CSRF."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from tests.helpers import Api, Quadro, cartao_html
from webapp.clock import Clock, agora
from webapp.components import componente
from webapp.fila.domain import PROMESSA_PERDIDA, Ator, Conflito, Papel
from webapp.fila.queries import FilaQueries
from webapp.fila.service import FilaService

GERENTE = Ator("gerente", Papel.GERENTE)


def _digitado(app: Flask, horas: float) -> tuple[str, datetime]:
    """A time `horas` from now as a manager types it (the shop's zone, to the minute), and the
    instant it stands for."""
    local = (agora() + timedelta(hours=horas)).astimezone(componente(Clock, app).fuso)
    local = local.replace(second=0, microsecond=0)
    return local.strftime("%Y-%m-%dT%H:%M"), local


def _dito(app: Flask, instante: datetime) -> str:
    """A promise as the screens say it ("amanhã 17:30", "qua 09/12 17:30")."""
    return componente(Clock, app).dia_e_hora(instante)


def _item(api: Api, fila_id: str) -> dict:
    resposta = api.get(f"/fila-execucao/{fila_id}")
    assert resposta.status_code == 200, resposta.text
    return resposta.json


def test_gerente_digita_a_nova_previsao_pelo_mais(
    app: Flask, api: Api, pessoas: dict[str, Quadro]
) -> None:
    antes = agora() + timedelta(hours=2)
    fila_id = api.criar(5001, placa="PRM1A01", previsao_entrega=antes.isoformat())["fila_id"]
    gerente = pessoas["gerente"]
    # The form is among the manager's other actions, with the promise as it is now.
    mais = gerente.client.get(f"/ordens/{fila_id}/acoes", headers={"HX-Request": "true"}).text
    atual = antes.astimezone(componente(Clock, app).fuso).strftime("%Y-%m-%dT%H:%M")
    assert re.search(rf'name="previsao_entrega" type="datetime-local"\s+value="{atual}"', mais)
    assert "Salvar entrega prometida" in mais

    texto, nova = _digitado(app, 30)
    resposta = gerente.post(f"/ordens/{fila_id}/promessa", {"previsao_entrega": texto}, True)
    assert resposta.status_code == 200, resposta.text
    item = _item(api, fila_id)
    assert datetime.fromisoformat(item["previsao_entrega"]) == nova
    entrada = item["historico"][-1]
    assert (entrada["acao"], entrada["por"]) == ("alterar_promessa", "gerente")
    assert datetime.fromisoformat(entrada["de"]) == antes.replace(
        microsecond=antes.microsecond // 1000 * 1000
    )
    assert datetime.fromisoformat(entrada["para"]) == nova
    # The board's line says who did what, and the card shows the new promise.
    assert re.search(
        r"Gabriela Gerente mudou a entrega prometida da OS 5001 \(PRM1A01\) para "
        rf"{_dito(app, nova)}\.",
        resposta.text,
    )
    assert f"Entrega {_dito(app, nova)}" in cartao_html(resposta.text, fila_id)
    # The same time again by the same manager (a double tap): said as saved, not written twice.
    de_novo = gerente.post(f"/ordens/{fila_id}/promessa", {"previsao_entrega": texto}, True)
    assert de_novo.status_code == 200, de_novo.text
    assert "Já estava salvo: Gabriela Gerente mudou a entrega prometida" in de_novo.text
    assert len(_item(api, fila_id)["historico"]) == len(item["historico"])


def test_sem_javascript_pela_pagina_da_ordem_e_tirar_a_previsao(
    app: Flask, api: Api, pessoas: dict[str, Quadro]
) -> None:
    fila_id = api.criar(5002, placa="PRM1A02")["fila_id"]
    gerente = pessoas["gerente"]
    pagina = gerente.pagina(f"/ordens/{fila_id}")
    assert 'id="promessa-' in pagina and 'value=""' in pagina  # no promise yet

    texto, nova = _digitado(app, 5)
    pagina_da_ordem = f"/ordens/{fila_id}"
    resposta = gerente.post(
        f"/ordens/{fila_id}/promessa", {"previsao_entrega": texto}, pagina=pagina_da_ordem
    )
    assert resposta.status_code == 303
    assert resposta.headers["Location"].startswith(pagina_da_ordem)
    detalhe = gerente.pagina(pagina_da_ordem)
    assert "mudou a entrega prometida da OS 5002 (PRM1A02)" in detalhe  # the flash
    assert f"mudou a entrega prometida: de nenhuma para {_dito(app, nova)}" in detalhe
    # The page's field says it as the card does ("hoje 15:30", "amanhã 09:00"), read aloud.
    campo = rf"<dt>Entrega prometida</dt><dd[^>]*>{re.escape(_dito(app, nova))}</dd>"
    assert re.search(campo, detalhe), detalhe
    assert datetime.fromisoformat(_item(api, fila_id)["previsao_entrega"]) == nova

    # Empty clears it: the order has no promise, and the history says from what.
    resposta = gerente.post(
        f"/ordens/{fila_id}/promessa", {"previsao_entrega": ""}, pagina=pagina_da_ordem
    )
    assert resposta.status_code == 303
    item = _item(api, fila_id)
    assert item["previsao_entrega"] is None
    assert (item["historico"][-1]["acao"], item["historico"][-1]["para"]) == (
        "alterar_promessa",
        None,
    )
    detalhe = gerente.pagina(pagina_da_ordem)
    assert "Gabriela Gerente tirou a entrega prometida da OS 5002 (PRM1A02)." in detalhe
    assert f"mudou a entrega prometida: de {_dito(app, nova)} para nenhuma" in detalhe
    # Cleared again: by the same manager, a tap sent twice; by another, refused with why.
    de_novo = gerente.post(f"/ordens/{fila_id}/promessa", {"previsao_entrega": ""}, True)
    assert de_novo.status_code == 200, de_novo.text
    assert "Já estava salvo: Gabriela Gerente mudou a entrega prometida" in de_novo.text
    outro = Ator("helena", Papel.GERENTE)
    with pytest.raises(Conflito, match="a ordem já está sem entrega prometida"):
        componente(FilaService, app).alterar_promessa(fila_id, None, outro)
    assert len(_item(api, fila_id)["historico"]) == len(item["historico"])


def test_salvar_sem_mudar_diz_que_nada_mudou(
    app: Flask, api: Api, pessoas: dict[str, Quadro]
) -> None:
    """The form saved as it came (the promise typed when the order was added): it was a
    refusal naming the order's creation ("Não é possível ...: a entrega prometida já é esta.
    Gabriela Gerente adicionou à fila às 11:16")."""
    texto, promessa = _digitado(app, 6)
    fila_id = api.criar(5007, placa="PRM1A07", previsao_entrega=promessa.isoformat())["fila_id"]
    antes = len(_item(api, fila_id)["historico"])
    gerente = pessoas["gerente"]
    resposta = gerente.post(f"/ordens/{fila_id}/promessa", {"previsao_entrega": texto}, True)
    assert resposta.status_code == 200, resposta.text
    assert "A entrega prometida já era esta: nada mudou." in resposta.text
    assert "Não é possível" not in resposta.text and "adicionou à fila" not in resposta.text
    semjs = gerente.post(f"/ordens/{fila_id}/promessa", {"previsao_entrega": texto})
    assert semjs.status_code == 303
    assert "nada mudou" in gerente.pagina(semjs.headers["Location"])
    sem = api.criar(5008, placa="PRM1A08")["fila_id"]
    resposta = gerente.post(f"/ordens/{sem}/promessa", {"previsao_entrega": ""}, True)
    assert resposta.status_code == 200
    assert "A ordem já estava sem entrega prometida: nada mudou." in resposta.text
    assert len(_item(api, fila_id)["historico"]) == antes


def test_horario_que_ja_passou_ou_invalido_e_recusado_com_o_texto(
    app: Flask, api: Api, pessoas: dict[str, Quadro]
) -> None:
    fila_id = api.criar(5003, placa="PRM1A03")["fila_id"]
    gerente = pessoas["gerente"]
    texto, passado = _digitado(app, -3)
    resposta = gerente.post(f"/ordens/{fila_id}/promessa", {"previsao_entrega": texto}, True)
    assert resposta.status_code == 400
    cartao = cartao_html(resposta.text, fila_id)
    assert f"Este horário ({passado:%d/%m/%Y %H:%M}) já passou" in cartao
    assert f'value="{texto}"' in cartao  # what was typed, back in its box
    assert 'aria-invalid="true"' in cartao
    for errado, mensagem in (
        ("2026-02-30T10:00", "Data e hora inválidas."),
        ("amanhã", "Data e hora inválidas."),
        ("1999-12-31T10:00", "Use uma data entre 2000 e 2100."),
    ):
        resposta = gerente.post(f"/ordens/{fila_id}/promessa", {"previsao_entrega": errado}, True)
        assert resposta.status_code == 400, errado
        assert mensagem in resposta.text and f'value="{errado}"' in resposta.text, errado
    # Without JavaScript, the page comes back with the form open, the message and the text.
    resposta = gerente.post(f"/ordens/{fila_id}/promessa", {"previsao_entrega": texto})
    assert resposta.status_code == 303
    pagina = gerente.client.get(resposta.headers["Location"]).text
    assert "já passou" in pagina and f'value="{texto}"' in pagina
    item = _item(api, fila_id)
    assert item["previsao_entrega"] is None and len(item["historico"]) == 1


def test_mecanico_nao_altera_a_previsao_e_nao_ve_o_formulario(
    app: Flask, api: Api, pessoas: dict[str, Quadro]
) -> None:
    fila_id = api.criar(5004, placa="PRM1A04")["fila_id"]
    mecanico = pessoas["mecanico"]
    assert 'id="promessa-' not in mecanico.pagina(f"/ordens/{fila_id}")
    texto, _ = _digitado(app, 4)
    resposta = mecanico.post(f"/ordens/{fila_id}/promessa", {"previsao_entrega": texto}, True)
    assert resposta.status_code == 403
    assert "Apenas um gerente pode mudar a entrega prometida." in resposta.text
    assert _item(api, fila_id)["previsao_entrega"] is None


def test_ordem_finalizada_nao_muda_de_previsao(
    app: Flask, api: Api, pessoas: dict[str, Quadro]
) -> None:
    fila_id = api.criar(5005, placa="PRM1A05")["fila_id"]
    api.levar_ate(fila_id, "iniciar-reparo")
    api.passo(fila_id, "finalizar-reparo", None)
    gerente = pessoas["gerente"]
    assert 'id="promessa-' not in gerente.pagina(f"/ordens/{fila_id}")
    texto, _ = _digitado(app, 4)
    resposta = gerente.post(f"/ordens/{fila_id}/promessa", {"previsao_entrega": texto}, True)
    assert resposta.status_code == 409
    assert "a ordem já foi finalizada" in resposta.text
    assert _item(api, fila_id)["previsao_entrega"] is None


def test_promessa_perdida_fica_quando_o_gerente_digita_outra(app: Flask, api: Api) -> None:
    """A promise typed again after it passed keeps the one missed, as "Prometer" does: the
    order still counts as late in /indicadores."""
    criada = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    fila = componente(FilaService, app)
    item = fila.adicionar(
        5006, GERENTE, extras={"previsao_entrega": criada + timedelta(hours=2)}, instante=criada
    )
    fila_id = str(item["_id"])
    depois = criada + timedelta(hours=3)  # the promise passed an hour ago
    fila.alterar_promessa(fila_id, depois + timedelta(hours=5), GERENTE, instante=depois)
    fila.alterar_promessa(fila_id, None, GERENTE, instante=depois + timedelta(hours=1))
    guardado = componente(FilaQueries, app).obter(item["_id"])
    assert guardado["previsao_entrega"] is None
    assert guardado[PROMESSA_PERDIDA] == criada + timedelta(hours=2)


def test_outra_promessa_da_mesma_pessoa_em_tela_antiga_e_recusada_nao_ja_salva(
    app: Flask, api: Api, pessoas: dict[str, Quadro]
) -> None:
    """The same manager types a promise in one tab, then another time in a second tab that
    still shows none: refused (409, the promise stays the first), never "Já estava salvo" (a
    200 that dropped the time typed while it named the first one)."""
    fila_id = api.criar(5011, placa="PRM1A11")["fila_id"]
    gerente = pessoas["gerente"]
    rota = f"/ordens/{fila_id}/promessa"
    texto, primeira = _digitado(app, 4)
    assert gerente.post(rota, {"previsao_entrega": texto, "visto": "0"}, True).status_code == 200
    outro, _ = _digitado(app, 6)
    r = gerente.post(rota, {"previsao_entrega": outro, "visto": "0"}, True)
    assert r.status_code == 409, r.text
    assert "Já estava salvo" not in r.text
    assert "a entrega prometida mudou depois que esta tela a mostrou" in r.text
    item = _item(api, fila_id)
    assert datetime.fromisoformat(item["previsao_entrega"]) == primeira
    assert [e["acao"] for e in item["historico"]] == ["criar", "alterar_promessa"]
    # The first time again from that tab (its answer lost): saved, and said so.
    r = gerente.post(rota, {"previsao_entrega": texto, "visto": "0"}, True)
    assert r.status_code == 200 and "Já estava salvo" in r.text, r.text


def test_dois_gerentes_digitando_a_promessa_o_segundo_nao_desfaz_o_primeiro(
    app: Flask, api: Api, pessoas: dict[str, Quadro]
) -> None:
    """Two managers type a promise from the same card: the second is refused with who set
    which, not saved over the first unseen ("Salvar entrega prometida" carries the promise
    the card showed, as the priority and the mechanic do)."""
    fila_id = api.criar(5010, placa="PRM1A10")["fila_id"]
    gerente = pessoas["gerente"]
    assert 'name="visto" value="0"' in gerente.pagina(f"/ordens/{fila_id}")  # none shown
    _, primeira = _digitado(app, 4)
    helena = Ator("helena", Papel.GERENTE)
    componente(FilaService, app).alterar_promessa(fila_id, primeira, helena)
    texto, _ = _digitado(app, 6)
    rota = f"/ordens/{fila_id}/promessa"
    r = gerente.post(rota, {"previsao_entrega": texto, "visto": "0"}, True)
    assert r.status_code == 409, r.text
    assert "a entrega prometida mudou depois que esta tela a mostrou" in r.text
    assert f"mudou a entrega prometida para {_dito(app, primeira)} às" in r.text
    assert datetime.fromisoformat(_item(api, fila_id)["previsao_entrega"]) == primeira
    # From the card as it is now (its promise shown): saved.
    visto = re.search(r'name="visto" value="([^"]+T[^"]+)"', cartao_html(r.text, fila_id))
    assert visto, r.text
    r = gerente.post(rota, {"previsao_entrega": texto, "visto": visto[1]}, True)
    assert r.status_code == 200, r.text
    assert datetime.fromisoformat(_item(api, fila_id)["previsao_entrega"]) != primeira
    r = gerente.post(rota, {"previsao_entrega": texto, "visto": "ontem"}, True)
    assert r.status_code == 400 and "Cartão inválido; recarregue a página." in r.text
    # A year past what UTC can hold once shifted (a 500 as the update's condition was sent).
    for fora in ("9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", "1999-12-31T10:00Z"):
        for acao, dados in (
            ("promessa", {"previsao_entrega": texto}),
            ("prometer", {"promessa": fora}),
        ):
            r = gerente.post(f"/ordens/{fila_id}/{acao}", {**dados, "visto": fora}, True)
            assert r.status_code == 400, (acao, fora, r.text)
