"""Live updates across processes: the change stream broker and the board's SSE stream, on the real
mongod (two apps on one database stand for two processes or pods)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from flask import Flask
from pymongo import MongoClient

from tests.helpers import Api, LeitorSSE, stream_de_teste
from tests.paginas import csrf_de
from webapp import sse
from webapp.broker import ACESSO, MUDANCA, RESSINCRONIZAR, Broker, Evento
from webapp.components import componente
from webapp.configuracoes.queries import ConfiguracoesQueries
from webapp.configuracoes.repository import ConfiguracoesRepository
from webapp.mongo import Mongo
from webapp.pessoas.domain import Linha
from webapp.pessoas.repository import PessoasRepository
from webapp.sessao.repository import SessoesRepository
from webapp.sincronizacao_os.dispatcher import OsDispatcher

# --- Reading a stream -----------------------------------------------------------------------------


def pular_ate(fila: Any, fila_id: str, timeout: float = 2.0) -> Evento:
    limite = time.monotonic() + timeout
    while time.monotonic() < limite:
        evento = fila.proximo(timeout=0.1)
        if evento is not None and evento.fila_id == fila_id:
            return evento
    raise AssertionError(f"nenhum evento para {fila_id}")


# --- The broker ---------------------------------------------------------------------------------


def test_mudanca_pela_api_de_um_processo_chega_ao_outro_em_menos_de_1s(make_app, settings):
    app_a, app_b = make_app(), make_app()
    api_a = Api(app_a.test_client(), settings)
    broker_b = componente(Broker, app_b)
    assert not broker_b.rodando  # started by the first subscriber, not before
    with broker_b.assinar() as assinatura:
        assert broker_b.aguardar_pronto(5)
        assert broker_b.rodando

        inicio = time.monotonic()
        item = api_a.criar(1001, "ALTA", placa="ABC1D23")
        evento = assinatura.proximo(timeout=1.0)
        assert time.monotonic() - inicio < 1.0
        assert evento is not None and evento.tipo == MUDANCA
        assert (evento.operacao, evento.fila_id) == ("insert", item["fila_id"])
        assert evento.documento["ordem_servico_id"] == 1001
        assert evento.documento["placa"] == "ABC1D23"

        inicio = time.monotonic()
        r = api_a.passo(item["fila_id"], "iniciar-diagnostico", {"mecanico_responsavel_id": 7})
        assert r.status_code == 200
        evento = assinatura.proximo(timeout=1.0)
        assert time.monotonic() - inicio < 1.0
        assert evento.operacao == "update"
        assert evento.documento["status"] == "EM_DIAGNOSTICO"  # the whole item, not a diff
        assert {"status", "mecanico_responsavel_id"} <= evento.campos

        assert api_a.como("gerente").delete(f"/fila-execucao/{item['fila_id']}").status_code == 204
        evento = assinatura.proximo(timeout=1.0)
        # A delete carries only the key: enough for a board to remove the card.
        assert (evento.operacao, evento.fila_id, evento.documento) == (
            "delete",
            item["fila_id"],
            None,
        )
    assert broker_b.assinantes == 0


def _threads_do_stream() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "fila-change-stream"}


def test_um_stream_por_processo_para_todos_os_assinantes(app, api):
    fonte = componente(Broker, app)
    antes = _threads_do_stream()  # other tests' apps in this process may hold their own
    with fonte.assinar() as a:
        assert fonte.aguardar_pronto(5)
        thread = fonte._thread
        assert thread is not None and thread.is_alive()
        with fonte.assinar() as b:  # a second subscriber: no second change stream
            item = api.criar(1002)
            assert pular_ate(a, item["fila_id"]).operacao == "insert"
            assert pular_ate(b, item["fila_id"]).operacao == "insert"
            assert fonte._thread is thread
            assert _threads_do_stream() - antes <= {thread}


def test_stream_aberto_depois_do_sigterm_termina_logo(app, usuarios_demo, entrar):
    """A stream opened once the process is stopping (a board reconnecting on a kept-alive
    connection) ends at once, sending nothing: the clients go elsewhere, and the worker exits
    at once. It was held to gunicorn's grace period (20 s), with the screens on it."""
    cliente = app.test_client()
    assert entrar(cliente, "mecanico", "mecanico123").status_code == 302
    componente(Broker, app).encerrar()
    resposta, leitor = stream_de_teste(cliente, "/eventos")
    try:
        assert resposta.status_code == 200
        assert leitor.fim(timeout=5) == []
    finally:
        leitor.fechar()


def test_so_o_que_pode_revogar_acesso_vira_evento_de_acesso(app, api, usuarios_demo):
    """A TV token's use, a sign-in, a new token or session end nobody's access: the server
    filters them out (a thousand TVs reconnecting would otherwise wake every stream a thousand
    times). A revocation, a deactivation and a sign-out do reach the streams."""
    fonte = componente(Broker, app)
    with fonte.assinar() as assinatura:
        assert fonte.aguardar_pronto(5)
        token, documento = componente(ConfiguracoesRepository, app).criar_passe(
            "TV da recepção", "gerente"
        )
        valido = componente(ConfiguracoesQueries, app).passe_valido(token)
        assert valido is not None
        componente(ConfiguracoesRepository, app).anotar_uso(valido)  # notes its last use
        componente(PessoasRepository, app).registrar_entrada(
            "mecanico", Linha("entrar", "mecanico", datetime.now(UTC), "10.0.0.5")
        )
        sessao = componente(SessoesRepository, app).abrir("mecanico", "10.0.0.5", "tablet")
        marco = api.criar(1003)  # after the writes above: anything of theirs would come first
        evento = assinatura.proximo(timeout=5)
        assert evento is not None and evento.fila_id == marco["fila_id"], evento

        assert (
            componente(ConfiguracoesRepository, app).revogar_passe(str(documento["_id"]), "gerente")
            is not None
        )
        evento = assinatura.proximo(timeout=5)
        assert evento is not None and (evento.tipo, evento.operacao) == (ACESSO, "update")
        componente(SessoesRepository, app).encerrar(sessao)
        evento = assinatura.proximo(timeout=5)
        assert evento is not None and (evento.tipo, evento.operacao) == (ACESSO, "delete")
        assert componente(PessoasRepository, app).definir_ativo("mecanico", False)
        evento = assinatura.proximo(timeout=5)
        assert evento is not None and (evento.tipo, evento.operacao) == (ACESSO, "update")


def derrubar_stream(app) -> None:
    """Break the broker's change stream on the server, as a failover would: its next getMore
    fails with a transient error the driver does not retry itself, so the broker backs off and
    resumes from its token (a mongod failpoint: no hook in the broker)."""
    componente(Mongo, app).client.admin.command(
        "configureFailPoint",
        "failCommand",
        mode={"times": 1},
        data={"failCommands": ["getMore"], "errorCode": 6},  # HostUnreachable
    )


def test_retoma_do_resume_token_sem_perder_o_que_mudou_enquanto_desconectado(app, api):
    fonte = componente(Broker, app)
    fonte.espera_inicial = 1.0  # a long gap: the change below surely happens while disconnected
    with fonte.assinar() as assinatura:
        assert fonte.aguardar_pronto(5)
        primeiro = api.criar(1003)
        pular_ate(assinatura, primeiro["fila_id"])
        token = fonte.token

        derrubar_stream(app)  # the stream dies, the thread backs off
        limite = time.monotonic() + 5
        while fonte._stream is not None and time.monotonic() < limite:
            time.sleep(0.01)
        assert fonte._stream is None
        perdido = api.criar(1004)  # made while no stream is open

        evento = pular_ate(assinatura, perdido["fila_id"], timeout=5)
        assert evento.operacao == "insert"
        assert fonte.reconexoes >= 1
        assert fonte.token != token
        # Resumed from the token: nothing had to be redrawn from scratch.
        assert all(e.tipo != RESSINCRONIZAR for e in assinatura.drenar())


def test_token_que_nao_serve_mais_recomeca_e_pede_ressincronizacao(app, api):
    fonte = componente(Broker, app)
    fonte.espera_inicial = 0.5
    with fonte.assinar() as assinatura:
        assert fonte.aguardar_pronto(5)
        derrubar_stream(app)
        limite = time.monotonic() + 5
        while fonte._stream is not None and time.monotonic() < limite:
            time.sleep(0.01)
        # As when the oplog no longer holds the token's position (ChangeStreamHistoryLost).
        fonte.token = {"_data": "8200000001000000012B"}

        evento = assinatura.proximo(timeout=5)
        assert evento is not None and evento.tipo == RESSINCRONIZAR
        item = api.criar(1005)  # and the fresh stream goes on delivering
        assert pular_ate(assinatura, item["fila_id"], timeout=3).operacao == "insert"


def test_assinante_lento_e_descartado_sem_atrasar_os_outros(app, api):
    fonte = componente(Broker, app)
    fonte.capacidade = 2
    lento, rapido_ = fonte.assinar(), fonte.assinar()
    assert fonte.aguardar_pronto(5)
    for n in range(5):  # the fast one reads as things happen; the slow one never does
        item = api.criar(1100 + n)
        assert pular_ate(rapido_, item["fila_id"]).operacao == "insert"
    assert lento.encerrada
    assert fonte.assinantes == 1
    rapido_.fechar()


def test_parar_encerra_a_thread_prontamente(app):
    fonte = componente(Broker, app)
    with fonte.assinar():
        assert fonte.aguardar_pronto(5)
    inicio = time.monotonic()
    fonte.parar()
    assert not fonte.rodando
    assert time.monotonic() - inicio < 2.0


def test_ultimos_por_item_mantem_so_o_mais_recente():
    a1, b1, a2 = (
        Evento(MUDANCA, fila_id=f, operacao=o)
        for f, o in (("a", "insert"), ("b", "insert"), ("a", "update"))
    )
    assert sse.ultimos_por_item([a1, b1, a2]) == [b1, a2]
    # The fields every event of an item changed stay together (a step and a dispatcher's record
    # in one batch still push the card).
    passo = Evento(MUDANCA, fila_id="a", operacao="update", campos=frozenset({"versao"}))
    envio = Evento(MUDANCA, fila_id="a", operacao="update", campos=frozenset({"eventos_os"}))
    assert sse.ultimos_por_item([passo, envio])[0].campos == {"versao", "eventos_os"}


def test_mensagem_sse_em_varias_linhas():
    assert sse.mensagem("<a>\n<b>") == "data: <a>\ndata: <b>\n\n"
    assert sse.mensagem("x", "revogado") == "event: revogado\ndata: x\n\n"


def test_broker_para_quando_o_cliente_do_banco_fecha(settings):
    cliente = MongoClient(settings.mongodb_url)
    fonte = Broker(cliente[settings.mongodb_database], {"fila_execucao": MUDANCA}, max_await_ms=100)
    fonte.assinar()
    assert fonte.aguardar_pronto(5)
    cliente.close()
    fonte._thread.join(timeout=5)
    assert not fonte.rodando


# --- The board's stream ---------------------------------------------------------------------------


@pytest.fixture
def mecanico(rapido: Flask, usuarios_demo, entrar):
    client = rapido.test_client()
    assert entrar(client, "mecanico", usuarios_demo["mecanico"]["senha"]).status_code == 302
    return client


def test_eventos_exige_sessao(client):
    r = client.get("/eventos")
    assert r.status_code == 302 and "/entrar" in r.headers["Location"]
    r = client.get("/eventos", headers={"HX-Request": "true"})
    assert r.status_code == 401 and "HX-Redirect" in r.headers


def test_stream_do_quadro_comeca_pelo_estado_atual_e_traz_o_cartao_mudado(mecanico, api):
    existente = api.criar(2001, placa="AAA1A11")
    resposta, leitor = stream_de_teste(mecanico, "/eventos")
    try:
        assert resposta.status_code == 200
        assert resposta.mimetype == "text/event-stream"
        assert resposta.headers["Cache-Control"] == "no-cache"
        assert resposta.headers["X-Accel-Buffering"] == "no"

        inicial = leitor.proxima()["data"]
        for status in ("AGUARDANDO", "EM_DIAGNOSTICO", "EM_REPARO", "FINALIZADA"):
            lista = f'<hx-partial hx-target="#cartoes-{status}" hx-swap="innerHTML settle:0">'
            assert lista in inicial
            assert f'hx-target="#contagem-{status}"' in inicial
        assert f'id="cartao-{existente["fila_id"]}"' in inicial

        inicio = time.monotonic()
        r = api.passo(existente["fila_id"], "iniciar-diagnostico", {"mecanico_responsavel_id": 101})
        assert r.status_code == 200
        mudanca = leitor.proxima(timeout=2, com=existente["fila_id"])["data"]
        assert time.monotonic() - inicio < 1.0
        # Only what changed: this card out of its old place and into its new column, the counts.
        assert f'hx-target="#cartao-{existente["fila_id"]}" hx-swap="delete"' in mudanca
        assert '<hx-partial hx-target="#cartoes-EM_DIAGNOSTICO" hx-swap="beforeend">' in mudanca
        assert 'hx-target="#contagem-EM_DIAGNOSTICO"' in mudanca
        assert 'hx-target="#cartoes-AGUARDANDO" hx-swap="innerHTML' not in mudanca
        assert "Marcos Mecânico" in mudanca  # rendered for this viewer, names resolved
        assert 'hx-target="#anuncios"' in mudanca and "OS 2001" in mudanca
    finally:
        leitor.fechar()


def _ate(leitor: LeitorSSE, com: str, timeout: float = 3.0) -> list[str]:
    """Every message's data (beats included) up to and including the first that carries `com`."""
    vistas, limite = [], time.monotonic() + timeout
    while not vistas or com not in vistas[-1]:
        vistas.append(leitor.proxima(timeout=max(0.01, limite - time.monotonic()))["data"])
    return vistas


def test_a_pagina_que_mudou_tambem_recebe_a_mudanca(make_app, settings, usuarios_demo, entrar):
    """Every page gets every change by push, the one whose request made it too: its answer can
    be lost on the way (a tablet's Wi-Fi), and then only the push tells it (the page keeps the
    newest version, static/quadro-ao-vivo.js). A dispatcher's attempt comes to both as the
    card's OS badge alone (its own target), never as the card."""
    app = make_app(sse_batida_ms=200, url_api_os="http://127.0.0.1:9", os_sync_thread=False)
    api = Api(app.test_client(), settings)
    cliente = app.test_client()
    assert entrar(cliente, "mecanico", usuarios_demo["mecanico"]["senha"]).status_code == 302
    fila_id = api.criar(2301, placa="UMA1C01")["fila_id"]
    cartao = f'id="cartao-{fila_id}"'
    _, minha = stream_de_teste(cliente, "/eventos")
    _, outra = stream_de_teste(cliente, "/eventos")
    try:
        assert cartao in minha.proxima()["data"] and cartao in outra.proxima()["data"]
        resposta = cliente.post(
            f"/ordens/{fila_id}/passo/iniciar-diagnostico",
            data={"csrf_token": csrf_de(cliente.get("/").text)},
            headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/"},
        )
        assert resposta.status_code == 200 and cartao in resposta.text
        assert 'data-versao="2"' in resposta.text
        for leitor in (minha, outra):
            mudanca = leitor.proxima(timeout=3, com=cartao)["data"]
            assert "EM_DIAGNOSTICO" in mudanca and 'data-versao="2"' in mudanca

        assert componente(OsDispatcher, app).despachar_uma_vez()  # the OS service is down
        selo = f'hx-target="#sinc-{fila_id}" hx-swap="outerHTML"'
        for leitor in (minha, outra):
            vistas = _ate(leitor, selo)
            assert cartao not in vistas[-1] and "envio pendente (1 tentativa" in vistas[-1]
    finally:
        minha.fechar()
        outra.fechar()


def test_stream_do_quadro_respeita_os_filtros(mecanico, api):
    minha = api.criar(2101)
    outra = api.criar(2102)
    resposta, leitor = stream_de_teste(mecanico, "/eventos?mecanico=101")
    try:
        inicial = leitor.proxima()["data"]
        assert minha["fila_id"] not in inicial  # nobody's yet
        api.passo(minha["fila_id"], "iniciar-diagnostico", {"mecanico_responsavel_id": 101})
        api.passo(outra["fila_id"], "iniciar-diagnostico", {"mecanico_responsavel_id": 102})
        mudanca = leitor.proxima(timeout=2, com=minha["fila_id"])["data"]
        assert f'id="cartao-{minha["fila_id"]}"' in mudanca
        # (One batch when both changes came before the stream woke.)
        outra_msg = (
            mudanca
            if outra["fila_id"] in mudanca
            else leitor.proxima(timeout=2, com=outra["fila_id"])["data"]
        )
        # Someone else's card: removed if it was shown, never inserted.
        assert f'hx-target="#cartao-{outra["fila_id"]}" hx-swap="delete"' in outra_msg
        assert f'id="cartao-{outra["fila_id"]}"' not in outra_msg
    finally:
        leitor.fechar()


def test_ressincronizacao_manda_o_quadro_inteiro(mecanico, api, rapido):
    resposta, leitor = stream_de_teste(mecanico, "/eventos")
    try:
        leitor.proxima()
        item = api.criar(2201)
        leitor.proxima(timeout=2, com=item["fila_id"])
        componente(Broker, rapido)._publicar(Evento(RESSINCRONIZAR))
        completo = leitor.proxima(timeout=2, com='hx-target="#cartoes-AGUARDANDO"')["data"]
        assert f'id="cartao-{item["fila_id"]}"' in completo
    finally:
        leitor.fechar()


def test_cartao_empurrado_traz_formulario_que_funciona(mecanico, api):
    """Pushed cards are rendered once for everyone watching the same view, so they carry no
    one's CSRF token; their forms work with the token htmx sends as a header (from <body>)."""
    token = csrf_de(mecanico.get("/").text)
    resposta, leitor = stream_de_teste(mecanico, "/eventos")
    try:
        leitor.proxima()
        item = api.criar(2401)
        mudanca = leitor.proxima(timeout=2, com=item["fila_id"])["data"]
    finally:
        leitor.fechar()
    acao = f"/ordens/{item['fila_id']}/passo/iniciar-diagnostico"
    assert f'action="{acao}"' in mudanca and 'name="csrf_token"' not in mudanca
    assert mecanico.post(acao, headers={"HX-Request": "true"}).status_code == 400  # no token
    r = mecanico.post(acao, headers={"HX-Request": "true", "X-CSRFToken": token})
    assert r.status_code == 200
    assert api.get(f"/fila-execucao/{item['fila_id']}").json["status"] == "EM_DIAGNOSTICO"


def test_usuario_desativado_tem_o_stream_encerrado(mecanico, rapido):

    resposta, leitor = stream_de_teste(mecanico, "/eventos")
    leitor.proxima()
    componente(PessoasRepository, rapido).definir_ativo("mecanico", False)
    restantes = leitor.fim(timeout=5)
    assert restantes[-1]["event"] == "revogado"
    leitor.fechar()


def _entrar_http(base: str, login: str, senha: str) -> requests.Session:
    sessao = requests.Session()
    pagina = sessao.get(f"{base}/entrar", timeout=5)
    r = sessao.post(
        f"{base}/entrar",
        data={"login": login, "senha": senha, "csrf_token": csrf_de(pagina.text)},
        allow_redirects=False,
        timeout=5,
    )
    assert r.status_code == 302, r.text
    return sessao


def test_stream_do_quadro_por_http_real(rapido, live_server, usuarios_demo, api):
    sessao = _entrar_http(live_server, "mecanico", usuarios_demo["mecanico"]["senha"])
    resposta = sessao.get(f"{live_server}/eventos", stream=True, timeout=(5, 5))
    assert resposta.status_code == 200
    assert resposta.headers["Content-Type"].startswith("text/event-stream")
    leitor = LeitorSSE(resposta.iter_content(chunk_size=None))
    try:
        leitor.proxima()  # the current state first
        inicio = time.monotonic()
        item = api.criar(2301, "URGENTE", placa="URG0A01", veiculo="Fiat Uno")
        mudanca = leitor.proxima(timeout=2, com=item["fila_id"])["data"]
        assert time.monotonic() - inicio < 1.0
        assert '<hx-partial hx-target="#cartoes-AGUARDANDO" hx-swap="beforeend">' in mudanca
        assert "URG0A01" in mudanca and "Fiat Uno" in mudanca
    finally:
        resposta.close()
        leitor.fechar()


def test_cliente_que_sai_libera_a_assinatura(rapido, live_server, usuarios_demo):
    sessao = _entrar_http(live_server, "mecanico", usuarios_demo["mecanico"]["senha"])
    fonte = componente(Broker, rapido)
    resposta = sessao.get(f"{live_server}/eventos", stream=True, timeout=(5, 5))
    leitor = LeitorSSE(resposta.iter_content(chunk_size=None))
    leitor.proxima()
    assert fonte.assinantes == 1
    resposta.close()
    leitor.fechar()
    limite = time.monotonic() + 5
    while fonte.assinantes and time.monotonic() < limite:
        time.sleep(0.05)
    assert fonte.assinantes == 0  # the next heartbeat found the socket closed


def test_batida_com_a_versao_do_app(mecanico, rapido):
    """A named "batida" event right away and every heartbeat: clients tell a dead stream by
    missed beats, and a new deployment by its version."""
    resposta, leitor = stream_de_teste(mecanico, "/eventos")
    try:
        leitor.proxima()
        versao = rapido.config["VERSAO"]
        for _ in range(2):
            mensagem = leitor.mensagens.get(timeout=3)
            assert mensagem is not None and mensagem["event"] == "batida"
            assert mensagem["data"] == versao
    finally:
        leitor.fechar()


def test_sem_script_nem_estilo_inline_nos_modelos_deste_modulo():
    from pathlib import Path

    raiz = Path(__file__).resolve().parent.parent / "templates"
    for modelo in [*raiz.glob("painel/*.html"), *raiz.glob("configuracoes/*.html")]:
        texto = modelo.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", texto), modelo
        assert " style=" not in texto and "hx-on" not in texto, modelo


def test_reivindicacao_do_despachante_nao_vira_evento() -> None:
    """Claiming/releasing an item for delivery changes nothing a screen shows: no push."""
    from webapp.broker import _evento
    from webapp.fila.repository import CAMPOS_INVISIVEIS

    base = {"operationType": "update", "documentKey": {"_id": "x"}, "fullDocument": {}}
    so_lease = {
        **base,
        "updateDescription": {
            "updatedFields": {"os_sync.lease_dono": "a", "os_sync.lease_ate": 1},
            "removedFields": [],
        },
    }
    assert _evento(so_lease, {}, CAMPOS_INVISIVEIS) is None
    soltura = {
        **base,
        "updateDescription": {"updatedFields": {}, "removedFields": ["os_sync.lease_dono"]},
    }
    assert _evento(soltura, {}, CAMPOS_INVISIVEIS) is None
    passo = {
        **base,
        "updateDescription": {
            "updatedFields": {"status": "EM_REPARO", "os_sync.lease_ate": 1},
            "removedFields": [],
        },
    }
    assert _evento(passo, {}, CAMPOS_INVISIVEIS) is not None


def test_estado_inteiro_e_compartilhado_ate_a_proxima_mudanca(app, api):
    """Streams of one view that open together share one render of the whole state; a change
    published in between makes the next stream render afresh (a render made before a change
    never reaches a stream that missed it)."""
    renders: list[int] = []

    def completo() -> str:
        renders.append(len(renders) + 1)
        return f"estado {len(renders)}"

    fonte = componente(Broker, app)

    def abrir() -> Iterator[str]:
        return sse.transmitir(fonte, 15, completo=completo, mudancas=lambda _: None, visao="teste")

    with app.test_request_context():
        while time.monotonic() % 1 > 0.3:  # the three streams below within one second
            time.sleep(0.05)
        a, b = abrir(), abrir()
        assert next(a) == next(b) == sse.mensagem("estado 1")
        antes = fonte.ultimo_seq
        api.criar(1004)
        limite = time.monotonic() + 5
        while fonte.ultimo_seq == antes and time.monotonic() < limite:
            time.sleep(0.02)
        assert fonte.ultimo_seq > antes
        c = abrir()
        assert next(c) == sse.mensagem("estado 2")
        assert renders == [1, 2]
        for stream in (a, b, c):
            stream.close()
