"""Hostile and odd input, bad stored data, revocations while the queue is busy, a database that
fails over: each case here broke the app once (a 500, a stream that went on, a lost step)."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

import jwt
import pytest
import requests
from bson import ObjectId
from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import TOKEN_SERVICO, Api, LeitorSSE, gunicorn, stream_de_teste
from tests.paginas import csrf_de
from webapp import sse
from webapp.components import componente
from webapp.configuracoes.repository import ConfiguracoesRepository
from webapp.fila.queries import FilaQueries
from webapp.mongo import Mongo
from webapp.pessoas.repository import PessoasRepository
from webapp.settings import LIMITE_CORPO
from webapp.tokens import emitir


@pytest.fixture
def gerente(app: Flask, usuarios_demo, entrar) -> FlaskClient:
    client = app.test_client()
    assert entrar(client, "gerente", "gerente123").status_code == 302
    return client


# --- 1. One bad stored value never breaks a page for everybody -----------------------------------


def test_data_do_ano_1_recusada_na_entrada(api: Api) -> None:
    for previsao in (
        "0001-01-01T00:00:00+00:00",
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+14:00",
        "2101-01-01T00:00:00+00:00",
        "2000-01-01T01:00:00+00:00",  # 1999 in the shop's zone, as the export writes it
    ):
        r = api.post("/fila-execucao", json={"ordem_servico_id": 1, "previsao_entrega": previsao})
        assert r.status_code == 400, previsao
        assert "2000 e 2100" in r.json["detail"]
    ok = api.post(
        "/fila-execucao",
        json={"ordem_servico_id": 2, "previsao_entrega": "2030-01-01T00:00:00+14:00"},
    )
    assert ok.status_code == 201


def test_cartao_com_dado_ruim_aparece_como_tal(
    rapido: Flask, api: Api, gerente: FlaskClient, usuarios_demo
) -> None:
    """An order stored before the bounds (year 1) shows as an invalid card; the rest works."""
    boa = api.criar(3001, placa="BOA1A00")["fila_id"]
    ruim = api.criar(3002, placa="RUI1A00")["fila_id"]
    fila = componente(Mongo, rapido).db["fila_execucao"]
    fila.update_one(
        {"ordem_servico_id": 3002},
        {"$set": {"previsao_entrega": datetime(1, 1, 1, tzinfo=UTC)}},
    )
    quadro = gerente.get("/")
    assert quadro.status_code == 200
    assert "BOA1A00" in quadro.text and f'id="cartao-{boa}"' in quadro.text
    assert "dados inválidos" in quadro.text and f'id="cartao-{ruim}"' in quadro.text
    assert gerente.get(f"/ordens/{ruim}").status_code == 200
    assert gerente.get("/?q=RUI").status_code == 200
    token, _ = componente(ConfiguracoesRepository, rapido).criar_passe("TV", "teste")
    tv = rapido.test_client().get(f"/painel?token={token}", follow_redirects=True)
    assert tv.status_code == 200 and "BOA1A00" in tv.text
    resposta, leitor = stream_de_teste(gerente, "/eventos")
    try:
        assert "BOA1A00" in leitor.proxima()["data"]
    finally:
        leitor.fechar()
    assert api.get(f"/fila-execucao/{ruim}").status_code == 200
    # A priority no code knows, on an order late by its promise: the indicators still answer.
    fila.update_one({"ordem_servico_id": 3002}, {"$set": {"prioridade": "XYZ"}})
    assert gerente.get("/indicadores").status_code == 200
    corpo = api.como("gerente").get("/indicadores")
    assert corpo.status_code == 200 and corpo.json["atrasadas_total"] >= 1


# --- 2. Odd input: 400 or 404 with a Portuguese message, never 500 ---------------------------


@pytest.mark.parametrize(
    "caminho",
    [
        "/?q=²",
        "/?q=" + "9" * 40,
        "/?mecanico=²",
        "/?mecanico=" + "9" * 30,
        "/historico?depois=²",
        "/historico?depois=f." + "9" * 25 + ".6b0c0000a1b2c3d4e5f60718",
        "/historico?depois=a.1.2.6b0c0000a1b2c3d4e5f60718",
        "/historico?antes=²",
        "/historico?antes=f." + "9" * 25 + ".6b0c0000a1b2c3d4e5f60718",
        "/historico?antes=f.1.6b0c0000a1b2c3d4e5f60718&depois=x",
        "/historico?antes=f.1700000000000.6b0c0000a1b2c3d4e5f60718&data=2026-01-01",
        "/historico?data=9999-12-31",
        "/historico?data=0001-01-01",
        "/colunas/AGUARDANDO?depois=a.x.y.z",
        "/colunas/AGUARDANDO?depois=a.1.99999999999999999999.6b0c0000a1b2c3d4e5f60718",
        "/colunas/NADA",
    ],
)
def test_entradas_estranhas_no_quadro(gerente: FlaskClient, caminho: str) -> None:
    r = gerente.get(caminho)
    assert r.status_code in (200, 400, 404), (caminho, r.status_code)


OID = "6b0c0000a1b2c3d4e5f60718"


@pytest.mark.parametrize(
    ("coluna", "depois"),
    [
        ("AGUARDANDO", f"a.9223372036854775808.1700000000000.{OID}"),  # was a 500 (OverflowError)
        ("AGUARDANDO", f"a.9223372036854775807.1700000000000.{OID}"),
        ("AGUARDANDO", "a.99999999999999999999.1700000000000.0"),
        ("AGUARDANDO", f"a.-1.1700000000000.{OID}"),
        ("AGUARDANDO", f"a.4.1700000000000.{OID}"),
        ("AGUARDANDO", f"a.1.99999999999999999999.{OID}"),
        ("AGUARDANDO", f"a.1.-5.{OID}"),
        ("AGUARDANDO", "a.1.1700000000000.zz"),
        ("AGUARDANDO", f"f.1700000000000.{OID}"),
        ("FINALIZADA", f"f.9223372036854775808.{OID}"),
        ("FINALIZADA", f"f.1700000000000.{OID}.x"),
        ("AGUARDANDO", ""),  # no page writes an empty one: not read as the first page
        ("FINALIZADA", ""),
    ],
)
def test_cursor_de_pagina_fora_dos_limites_e_400(
    gerente: FlaskClient, coluna: str, depois: str
) -> None:
    """Every part of a page cursor is bounded before it reaches MongoDB: a clear 400."""
    r = gerente.get(f"/colunas/{coluna}?depois={depois}")
    assert r.status_code == 400 and "Página da coluna inválida" in r.text
    r = gerente.get(f"/colunas/{coluna}?depois={depois}", headers={"HX-Request": "true"})
    assert r.status_code == 400 and "Página da coluna inválida" in r.text


def test_cursor_de_pagina_valido_continua(gerente: FlaskClient, api: Api) -> None:
    for os_id in range(3501, 3504):
        api.criar(os_id)
    r = gerente.get(f"/colunas/AGUARDANDO?depois=a.2.1000000000000.{OID}")
    assert r.status_code == 200 and "3501" in r.text  # every card after a card of 2001


def test_entradas_estranhas_no_stream_e_no_htmx(
    rapido: Flask, gerente: FlaskClient, api: Api
) -> None:
    resposta, leitor = stream_de_teste(gerente, "/eventos?q=²")
    try:
        assert resposta.status_code == 200 and leitor.proxima() is not None
    finally:
        leitor.fechar()
    fila_id = api.criar(3101)["fila_id"]
    token = csrf_de(gerente.get("/").text)
    r = gerente.post(
        f"/ordens/{fila_id}/passo/iniciar-diagnostico",
        data={"csrf_token": token},
        headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/?q=²&mecanico=²"},
    )
    assert r.status_code == 200


@pytest.mark.parametrize("endereco", ["http://[x", "http://[::1/x", "/?q=[x"])
def test_endereco_que_nao_e_url_nos_cabecalhos_nao_desfaz_a_resposta(
    client: FlaskClient, gerente: FlaskClient, api: Api, endereco: str
) -> None:
    """A Referer, HX-Current-URL or `voltar` no URL can be (urlsplit raises on "http://[x")
    is ignored: read after the change was saved, it made a 500 of a change made, and the
    retry a 409; signed out too."""
    r = client.get("/", headers={"HX-Request": "true", "HX-Current-URL": endereco})
    assert r.status_code in (200, 204, 401), r.status_code
    token = csrf_de(gerente.get("/").text)
    for prioridade, headers, voltar in (
        ("URGENTE", {"HX-Request": "true", "HX-Current-URL": endereco}, None),
        ("ALTA", {"Referer": endereco}, None),
        ("BAIXA", {}, endereco),
    ):
        fila_id = api.criar(3110 + len(prioridade))["fila_id"]
        dados = {"csrf_token": token, "prioridade": prioridade}
        if voltar:
            dados["voltar"] = voltar
        r = gerente.post(f"/ordens/{fila_id}/prioridade", data=dados, headers=headers)
        assert r.status_code in (200, 303), (prioridade, r.status_code)
        assert api.get(f"/fila-execucao/{fila_id}").json["prioridade"] == prioridade


def test_entradas_estranhas_na_api(api: Api, settings) -> None:
    r = api.get("/fila-execucao/ordem-servico/9223372036854775808")
    assert r.status_code == 404 and "não está na fila" in r.json["detail"]
    assert api.post("/fila-execucao", json={"ordem_servico_id": 123.0}).status_code == 201
    assert api.post("/fila-execucao", json={"ordem_servico_id": 124.5}).status_code == 400
    # Past 2**53 a ".0" number has lost digits when read: refused, never another OS stored.
    r = api.post("/fila-execucao", json={"ordem_servico_id": 123456789012345678.0})
    assert r.status_code == 400 and "sem casas decimais" in r.json["detail"], r.json
    assert (
        api.post("/fila-execucao", json={"ordem_servico_id": 123456789012345678}).status_code == 201
    )
    # 2**53 + 1 written with ".0" reads as 2**53: refused too; 2**53 - 1 is exact.
    for texto, status in (("9007199254740993.0", 400), ("9007199254740991.0", 201)):
        r = api.client.post(
            "/fila-execucao",
            data=f'{{"ordem_servico_id": {texto}}}',
            headers=api.headers({"Content-Type": "application/json"}),
        )
        assert r.status_code == status, (texto, r.json)
    r = api.post("/fila-execucao", json={"ordem_servico_id": 125, "placa": "A" * 200})
    assert r.status_code == 400 and "placa" in r.json["detail"]
    for papel in (["gerente"], {"a": "gerente"}):
        token = emitir(settings, "x", extra={"role": papel})
        r = api.client.get("/fila-execucao", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 403


def test_iat_um_pouco_no_futuro_e_aceito(client: FlaskClient, settings) -> None:
    """Clocks of two hosts differ by a second or two: a small leeway (JWT_LEEWAY_S)."""
    agora = int(time.time())
    claims = {
        "sub": "os", "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
        "iat": agora + 5, "nbf": agora + 5, "exp": agora + 300, **TOKEN_SERVICO,
    }  # fmt: skip
    token = jwt.encode(claims, settings.secret_key, algorithm="HS256")
    assert (
        client.get("/fila-execucao", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    claims["nbf"] = agora + 120  # far beyond the leeway: still refused
    token = jwt.encode(claims, settings.secret_key, algorithm="HS256")
    assert (
        client.get("/fila-execucao", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )


def test_413_fecha_a_conexao(api: Api) -> None:
    r = api.post("/fila-execucao", data=b"{" + b" " * LIMITE_CORPO + b"}",
                 headers={"Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == 413 and r.headers["Connection"] == "close"


def test_outro_status_http_em_portugues(client: FlaskClient) -> None:
    """A status without a message of ours (416: a Range past a static file's end) is still
    said in Portuguese, never in werkzeug's English ("Range Not Satisfiable")."""
    r = client.get("/static/app.css", headers={"Range": "bytes=99999999-"})
    assert r.status_code == 416
    assert "Não foi possível atender a este pedido." in r.text
    assert "Satisfiable" not in r.text


@pytest.mark.parametrize(
    ("metodo", "caminho", "pagina"),
    [
        ("POST", "/fila-execucao//000000000000000000000000/aprovar-orcamento", False),
        ("GET", "/fila-execucao//000000000000000000000000", False),
        ("GET", "/pessoas//gerente", True),
        ("GET", "/indicadores//atrasadas", True),
        ("GET", "/static//app.css", True),
        ("GET", "//fila-execucao", False),  # leading: werkzeug's routing stripped it
        ("POST", "///fila-execucao", False),
        ("GET", "//indicadores", True),
        ("GET", "//static/app.css", True),
    ],
)
def test_barra_dobrada_no_endereco_e_404_em_portugues(
    client: FlaskClient, metodo: str, caminho: str, pagina: bool
) -> None:
    """A doubled slash is an address we do not have: 404 in Portuguese (JSON on the API),
    never werkzeug's English 308 "Redirecting...", which came before the token was checked
    and whose Location was built from the client's own Host."""
    cabecalhos = {"Host": "evil.example", "Accept": "text/html" if pagina else "application/json"}
    # As the server hands it over (a test client would read "//x" as a host).
    r = client.open("/", method=metodo, headers=cabecalhos, json={},
                    environ_overrides={"PATH_INFO": caminho})  # fmt: skip
    assert r.status_code == 404, r.text
    assert "Location" not in r.headers and "Redirecting" not in r.text
    if pagina:
        assert r.mimetype == "text/html" and "Não encontrado" in r.text
    else:
        assert r.get_json() == {"detail": "Recurso não encontrado."}


@pytest.mark.parametrize("host", ["a" * 64 + ".com", "ab..cd", "."])
@pytest.mark.parametrize("caminho", ["/entrar", "/painel", "/qualquer"])
def test_host_ilegivel_e_400_em_portugues(
    client: FlaskClient, host: str, caminho: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A Host no address can be built from (werkzeug's BadHost) is a 400 in Portuguese on a
    page too, never a 500 from the error page's own links, nor a traceback in the logs."""
    with caplog.at_level(logging.WARNING):
        r = client.get(caminho, headers={"Host": host, "Accept": "text/html"})
    assert r.status_code == 400, r.text
    assert r.mimetype == "text/html"
    assert "Requisição inválida" in r.text and "Bad Request" not in r.text
    assert [x for x in caplog.records if x.levelno >= logging.ERROR] == []


# --- 4. Revocation ends an open stream quickly, however busy the queue ------------------------


def _volta_a_abrir(cliente: FlaskClient, caminho: str) -> None:
    """A stream refused (429) opens within 5 s of a place given back (a stream closed: its
    place returns when the server notices, at its next beat)."""
    limite = time.monotonic() + 5
    while (resposta := cliente.get(caminho, buffered=False)).status_code != 200:
        assert resposta.status_code == 429 and time.monotonic() < limite
        time.sleep(0.05)
    resposta.close()


def test_um_acesso_nao_abre_visoes_sem_fim(rapido: Flask, gerente: FlaskClient, entrar) -> None:
    """One session may open as many streams as it likes, but only a few distinct views (a
    board's filters), each rendered once per change for its streams: the next distinct one
    is 429 with the reason, a place comes back when its last stream closes, and nobody else
    is affected. Before, a thousand streams each with its own search made a manager's tap
    take 3.8 s."""
    mecanico = rapido.test_client()
    assert entrar(mecanico, "mecanico", "mecanico123").status_code == 302
    leitores = []
    try:
        for n in range(sse.VISOES_POR_ACESSO):
            resposta, leitor = stream_de_teste(mecanico, f"/eventos?q=busca{n}")
            leitores.append(leitor)
            assert resposta.status_code == 200
        resposta, leitor = stream_de_teste(mecanico, "/eventos?q=busca0")  # a view it has
        leitores.append(leitor)
        assert resposta.status_code == 200
        demais = mecanico.get("/eventos?q=outra")
        assert demais.status_code == 429 and demais.headers["Retry-After"] == "30"
        assert sse.VISOES_DEMAIS in demais.text
        outro, leitor = stream_de_teste(gerente, "/eventos?q=outra")  # someone else: fine
        leitores.append(leitor)
        assert outro.status_code == 200
        leitores.pop(1).fechar()  # busca1's only stream
        _volta_a_abrir(mecanico, "/eventos?q=outra")
    finally:
        for leitor in leitores:
            leitor.fechar()


def test_um_login_nao_toma_as_vagas_de_todas_as_telas(
    rapido: Flask, gerente: FlaskClient, entrar
) -> None:
    """One login's streams (a mechanic's, scripted) stop at STREAMS_POR_PESSOA in a process:
    the next is 429 with the reason, everyone else's boards still connect, and a place comes
    back when one of its streams closes. Before, one cookie opened streams until every board
    and TV of the shop got 503."""
    mecanico = rapido.test_client()
    assert entrar(mecanico, "mecanico", "mecanico123").status_code == 302
    leitores = []
    try:
        for _ in range(sse.STREAMS_POR_PESSOA):
            resposta, leitor = stream_de_teste(mecanico, "/eventos")
            leitores.append(leitor)
            assert resposta.status_code == 200
        demais = mecanico.get("/eventos")
        assert demais.status_code == 429 and demais.headers["Retry-After"] == "30"
        assert sse.STREAMS_DEMAIS in demais.text
        outro, leitor = stream_de_teste(gerente, "/eventos")
        leitores.append(leitor)
        assert outro.status_code == 200
        leitores.pop(0).fechar()
        _volta_a_abrir(mecanico, "/eventos")
    finally:
        for leitor in leitores:
            leitor.fechar()
    # A TV pass has no such cap (revoking it ends them all): a wall may share one.
    vagas = sse.Vagas()
    assert all(callable(vagas.reservar(("passe", 1), "painel")) for _ in range(200))


def test_streams_nunca_tomam_as_conexoes_do_health(app: Flask, settings) -> None:
    """However many streams a client opens (here with one TV pass, whose address is on a
    wall), a worker keeps a tenth of its connections for requests: past two fifths, a new
    stream is 503 with the reason and /health still answers at once. Before, 4,000 streams
    filled both workers and /health, the boards and every tap timed out."""
    token, _ = componente(ConfiguracoesRepository, app).criar_passe("TV", "gerente")
    with gunicorn(settings, GUNICORN_CONEXOES="20") as (url, _):
        abertas, recusadas = [], []
        try:
            for _ in range(30):
                r = requests.get(f"{url}/painel/eventos", cookies={"painel_token": token},
                                 stream=True, timeout=5)  # fmt: skip
                (abertas if r.status_code == 200 else recusadas).append(r)
            assert 8 <= len(abertas) <= 16  # 2 workers, 8 streams each at most
            assert {r.status_code for r in recusadas} == {503}
            assert sse.LOTADO in recusadas[0].text and recusadas[0].headers["Retry-After"] == "30"
            inicio = time.monotonic()
            assert requests.get(f"{url}/health", timeout=5).status_code == 200
            assert time.monotonic() - inicio < 1
        finally:
            for r in abertas + recusadas:
                r.close()


def _ocupar(api: Api, parar: threading.Event) -> threading.Thread:
    """Changes every few milliseconds, as a busy shop makes them."""

    def rodar() -> None:
        n = 0
        while not parar.is_set():
            api.post("/fila-execucao", json={"ordem_servico_id": 70_000 + n})
            n += 1
            time.sleep(0.02)

    thread = threading.Thread(target=rodar, daemon=True)
    thread.start()
    return thread


def test_tv_revogada_perde_o_stream_em_2s_com_a_fila_ocupada(
    app: Flask, make_app, settings, live_server
) -> None:
    token, documento = componente(ConfiguracoesRepository, app).criar_passe("TV", "teste")
    resposta = requests.get(
        f"{live_server}/painel/eventos", cookies={"painel_token": token}, stream=True,
        timeout=(5, 5),
    )  # fmt: skip
    leitor = LeitorSSE(resposta.iter_content(chunk_size=None))
    outra = Api(make_app().test_client(), settings)
    parar = threading.Event()
    thread = _ocupar(outra, parar)
    try:
        leitor.proxima()
        time.sleep(1.0)  # pushes flowing
        inicio = time.monotonic()
        componente(ConfiguracoesRepository, app).revogar_passe(str(documento["_id"]), "gerente")
        fim = leitor.fim(timeout=5)
        assert fim and fim[-1]["event"] == "revogado"
        assert time.monotonic() - inicio < 2.0
    finally:
        parar.set()
        thread.join(timeout=5)
        resposta.close()
        leitor.fechar()


def test_usuario_desativado_perde_o_stream_com_a_fila_ocupada(
    app: Flask, make_app, settings, usuarios_demo, entrar
) -> None:
    mecanico = app.test_client()
    assert entrar(mecanico, "mecanico", "mecanico123").status_code == 302
    resposta, leitor = stream_de_teste(mecanico, "/eventos")
    outra = Api(make_app().test_client(), settings)
    parar = threading.Event()
    thread = _ocupar(outra, parar)
    try:
        leitor.proxima()
        time.sleep(1.0)
        inicio = time.monotonic()
        componente(PessoasRepository, app).definir_ativo("mecanico", False)
        fim = leitor.fim(timeout=5)
        assert fim and fim[-1]["event"] == "revogado"
        assert time.monotonic() - inicio < 2.0
    finally:
        parar.set()
        thread.join(timeout=5)
        leitor.fechar()


# --- 6. A header a client cannot carry never poisons the outbox ----------------------------------


def test_traceparent_nao_latin1_nao_e_guardado(api: Api, app: Flask) -> None:
    fila_id = api.criar(3201)["fila_id"]
    r = api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 7})
    assert r.status_code == 200
    r = api.post(
        f"/fila-execucao/{fila_id}/finalizar-diagnostico",
        json={"diagnostico": "ok"},
        headers={"traceparent": "00-ü€-01", "tracestate": "ok=1"},
    )
    assert r.status_code == 200
    item = componente(FilaQueries, app).obter(ObjectId(fila_id))
    assert item is not None
    assert item["eventos_os"][-1]["trace"] == {"tracestate": "ok=1"}


# --- 10. Idempotent retries of API steps -----------------------------------------------------


def test_passo_repetido_com_a_mesma_chave_devolve_o_item(api: Api) -> None:
    fila_id = api.criar(3301)["fila_id"]
    corpo = {"mecanico_responsavel_id": 7}
    cabecalho = {"Idempotency-Key": "tablet-9-passo-1"}
    primeiro = api.post(
        f"/fila-execucao/{fila_id}/iniciar-diagnostico", json=corpo, headers=cabecalho
    )
    assert primeiro.status_code == 200
    # The answer was lost (a failover): the client sends the same request again.
    de_novo = api.post(
        f"/fila-execucao/{fila_id}/iniciar-diagnostico", json=corpo, headers=cabecalho
    )
    assert de_novo.status_code == 200 and de_novo.json["versao"] == primeiro.json["versao"]
    # Without the key, or with another, it is a second step the state does not allow.
    assert api.post(f"/fila-execucao/{fila_id}/iniciar-diagnostico", json=corpo).status_code == 409
    outra = {"Idempotency-Key": "outra"}
    r = api.post(f"/fila-execucao/{fila_id}/iniciar-diagnostico", json=corpo, headers=outra)
    assert r.status_code == 409


def test_chave_reutilizada_com_outro_corpo_e_422(api: Api) -> None:
    """Same key, mechanic 101 then 102: the second request was not applied and says so."""
    fila_id = api.criar(3311)["fila_id"]
    url = f"/fila-execucao/{fila_id}/iniciar-diagnostico"
    chave = {"Idempotency-Key": "tablet-3-passo-1"}
    primeiro = api.post(url, json={"mecanico_responsavel_id": 101}, headers=chave)
    assert primeiro.status_code == 200
    r = api.post(url, json={"mecanico_responsavel_id": 102}, headers=chave)
    assert r.status_code == 422
    assert "Idempotency-Key" in r.json["detail"] and "outros dados" in r.json["detail"]
    assert "não foi aplicado" in r.json["detail"]
    # The same body again is a retry: the item as the first request left it.
    de_novo = api.post(url, json={"mecanico_responsavel_id": 101.0}, headers=chave)
    assert de_novo.status_code == 200 and de_novo.json["versao"] == primeiro.json["versao"]
    assert de_novo.json["mecanico_responsavel_id"] == 101
    # The key on another step of the same order, even one the state allows: 422, not applied.
    r = api.post(
        f"/fila-execucao/{fila_id}/finalizar-diagnostico",
        json={"diagnostico": "Freio"},
        headers=chave,
    )
    assert r.status_code == 422
    assert "para iniciar diagnóstico" in r.json["detail"]
    item = api.get(f"/fila-execucao/{fila_id}").json
    assert item["status"] == "EM_DIAGNOSTICO" and item["versao"] == primeiro.json["versao"]
    # Another caller may use the same text as its own key; a new key is a new request.
    outro = api.como("gerente")
    ok = api.post(
        f"/fila-execucao/{fila_id}/finalizar-diagnostico",
        json={"diagnostico": "Freio"},
        headers={"Idempotency-Key": "tablet-3-passo-2"},
    )
    assert ok.status_code == 200
    r = outro.post(f"/fila-execucao/{fila_id}/aprovar-orcamento", headers=chave)
    assert r.status_code == 200


@pytest.mark.parametrize("chave", ["a b", "a\tb", "x" * 129, "ç"])
def test_idempotency_key_so_com_ascii_visivel(api: Api, chave: str) -> None:
    """Up to 128 visible ASCII characters, as docs/API.md says: a space or a tab is no part of
    a key a client means (it once passed as "printable")."""
    fila_id = api.criar(3402)["fila_id"]
    r = api.post(
        f"/fila-execucao/{fila_id}/iniciar-diagnostico",
        json={"mecanico_responsavel_id": 7},
        headers={"Idempotency-Key": chave.encode("utf-8").decode("latin-1")},
    )
    assert r.status_code == 400
    assert r.json["detail"] == "Idempotency-Key inválida: até 128 caracteres ASCII visíveis."


def test_passo_aplicado_durante_desligamento_nao_vira_500_nem_dobra(api: Api, app: Flask) -> None:
    """A primary shutting down applies a step and answers ShutdownInProgress (91) as a write
    concern error: the driver's retry gets the step's own result (retryable writes), the client
    gets 200 or 503 — never 500 — and the step is in the history once."""
    fila_id = api.criar(3401)["fila_id"]
    admin = componente(Mongo, app).client.admin
    admin.command(
        "configureFailPoint", "failCommand", mode={"times": 1},
        data={"failCommands": ["findAndModify"],
              "writeConcernError": {"code": 91, "errmsg": "shutdown in progress"}},
    )  # fmt: skip
    cabecalho = {"Idempotency-Key": "passo-3401"}
    corpo = {"mecanico_responsavel_id": 7}
    r = api.post(f"/fila-execucao/{fila_id}/iniciar-diagnostico", json=corpo, headers=cabecalho)
    assert r.status_code in (200, 503), r.json
    limite = time.monotonic() + 10
    while r.status_code == 503 and time.monotonic() < limite:  # the client retries, same key
        time.sleep(0.5)
        r = api.post(f"/fila-execucao/{fila_id}/iniciar-diagnostico", json=corpo, headers=cabecalho)
    assert r.status_code == 200 and r.json["status"] == "EM_DIAGNOSTICO"
    passos = [h for h in r.json["historico"] if h["acao"] == "iniciar_diagnostico"]
    assert len(passos) == 1


def test_hsts_so_em_https(client) -> None:
    """Over HTTPS every answer pins HTTPS for a year; over plain HTTP (a shop's LAN) none, as
    a browser would ignore it there."""
    assert "Strict-Transport-Security" not in client.get("/health").headers
    seguro = client.get("/health", base_url="https://localhost")
    assert seguro.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert client.get("/entrar", base_url="https://localhost").headers["Strict-Transport-Security"]
