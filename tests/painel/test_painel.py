"""The TV wall display: opened with its pass, read-only, top cards per column with "+N",
the oldest waiting order highlighted, and pushes over SSE from any process."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import requests
from flask import Flask

from tests.helpers import Api, LeitorSSE, consultas_de, stream_de_teste
from webapp.clock import Clock, agora
from webapp.components import componente
from webapp.configuracoes.repository import PASSES, ConfiguracoesRepository
from webapp.fila.domain import Ator, MotivoPausa, Papel, Prioridade, Status
from webapp.fila.service import FilaService
from webapp.mongo import Mongo
from webapp.painel import routes as painel_routes
from webapp.pessoas.repository import PessoasRepository

COLUNAS = ("AGUARDANDO", "EM_DIAGNOSTICO", "EM_REPARO", "FINALIZADA")


def _db(app: Flask):
    return componente(Mongo, app).db


@pytest.fixture
def segredo(app: Flask) -> str:
    token, _ = componente(ConfiguracoesRepository, app).criar_passe("TV de teste", "gerente")
    return token


def adicionar(
    app: Flask, os_id: int, *, minutos_atras: int = 0, prioridade: str = "NORMAL", **extras
):
    """An order created `minutos_atras` minutes ago (through the service, like every entry)."""
    fila = componente(FilaService, app)
    return fila.adicionar(
        os_id,
        Ator("teste", Papel.GERENTE),
        Prioridade(prioridade),
        extras,
        instante=agora() - timedelta(minutes=minutos_atras),
    )


def coluna(html: str, status: str) -> str:
    inicio = html.index(f'<section id="painel-coluna-{status}"')
    return html[inicio : html.index("</section>", inicio)]


# --- Access -------------------------------------------------------------------------------------


@pytest.mark.parametrize("consulta", ["", "?token=", "?token=errado", "?token=" + "x" * 300])
def test_sem_token_valido_403_sem_dados(app, client, api, consulta):
    api.criar(76543219, placa="SEG4R42")  # a number no random id or token will contain
    for caminho in ("/painel", "/painel/eventos"):
        r = client.get(caminho + consulta)
        assert r.status_code == 403
        assert "Passe da TV inválido ou revogado" in r.text
        assert "SEG4R42" not in r.text and "76543219" not in r.text
        assert "painel-coluna" not in r.text
    # The TV's page says it in the wall's colours and size, with nowhere to go from it (it
    # was the desk's error page, small and light, with "Voltar ao quadro").
    r = client.get("/painel" + consulta)
    assert 'class="painel"' in r.text and 'class="painel-sem-passe"' in r.text
    assert "Voltar ao quadro" not in r.text


def test_token_revogado_403(app, client, segredo):
    assert client.get(f"/painel?token={segredo}", follow_redirects=True).status_code == 200
    documento = _db(app)[PASSES].find_one({})
    componente(ConfiguracoesRepository, app).revogar_passe(str(documento["_id"]), "gerente")
    assert client.get(f"/painel?token={segredo}", follow_redirects=True).status_code == 403
    assert client.get("/painel/eventos").status_code == 403  # its cookie, revoked


def tv_de(app, segredo: str):
    """A TV's browser: its pass given in the address once, now in its cookie."""
    cliente = app.test_client()
    assert cliente.get(f"/painel?token={segredo}").status_code == 303
    return cliente


def test_stream_da_tv_so_aceita_o_passe_do_cookie(app, client, segredo):
    """The stream takes no pass from its address: the page moves it into a cookie at once so
    it never lands in a log, and an address of the stream carrying it would (it worked)."""
    assert client.get(f"/painel/eventos?token={segredo}").status_code == 403
    resposta, leitor = stream_de_teste(tv_de(app, segredo), "/painel/eventos")
    try:
        assert resposta.status_code == 200
    finally:
        leitor.fechar()


def test_token_sai_do_endereco_para_um_cookie(client, segredo):
    """The copied address works once; then the token lives in an HttpOnly cookie, never in an
    address (logs, history, Referer)."""
    r = client.get(f"/painel?token={segredo}")
    assert r.status_code == 303 and r.headers["Location"] == "/painel"
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith(f"painel_token={segredo};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/painel" in cookie
    assert client.get("/painel").status_code == 200
    assert client.get("/painel/eventos").status_code == 200


def test_painel_nao_precisa_de_sessao_e_e_so_leitura(client, api, segredo):
    item = api.criar(4300, placa="TVA1B23", veiculo="VW Gol")
    r = client.get(f"/painel?token={segredo}", follow_redirects=True)
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    html = r.text
    assert '<body class="painel">' in html
    for status in COLUNAS:
        assert f'id="painel-coluna-{status}"' in html
        assert f'id="painel-contagem-{status}"' in html
    assert f'id="painel-cartao-{item["fila_id"]}"' in html
    assert "TVA1B23" in html and "VW Gol" in html and "OS 4300" in html
    assert "<form" not in html and "<button" not in html  # read-only
    assert 'hx-sse:connect="/painel/eventos"' in html and segredo not in html
    assert re.search(r'<time id="relogio"[^>]*>', html)
    # A TV browser without JavaScript gets no pushes: it reloads the wall every minute.
    assert '<noscript><meta http-equiv="refresh" content="60"></noscript>' in html


def test_cartao_da_tv_mostra_prioridade_em_cor_e_texto_mecanico_e_tempo(
    app, client, api, usuarios_demo, segredo
):
    item = adicionar(app, 4400, minutos_atras=75, prioridade="URGENTE", placa="URG1A00")
    api.passo(str(item["_id"]), "iniciar-diagnostico", {"mecanico_responsavel_id": 101})
    html = coluna(
        client.get(f"/painel?token={segredo}", follow_redirects=True).text, "EM_DIAGNOSTICO"
    )
    assert "prioridade-urgente" in html  # the colour
    assert ">Urgente</span>" in html  # and the text
    assert "Marcos Mecânico" in html
    assert re.search(r'class="painel-tempo" data-desde="\d+" data-atencao="1800"', html)
    assert "0 min" in html  # the diagnosis just started


# --- Overflow and highlight ---------------------------------------------------------------------


def test_coluna_mostra_os_mais_urgentes_e_mais_n(make_app, api, segredo):
    tv = make_app(painel_max_cartoes=3)
    for n in range(5):
        api.criar(4500 + n, placa=f"NRM{n}A00")
    urgente = api.criar(4510, "URGENTE", placa="URG9Z99")
    html = coluna(
        tv.test_client().get(f"/painel?token={segredo}", follow_redirects=True).text, "AGUARDANDO"
    )
    assert html.count('class="painel-cartao ') == 3
    assert "URG9Z99" in html  # the most urgent first, even though it came last
    assert html.index("URG9Z99") < html.index("NRM0A00")
    assert "NRM0A00" in html and "NRM1A00" in html and "NRM2A00" not in html
    mais = r'id="painel-mais-AGUARDANDO" class="painel-mais" data-mais="3"[^>]*>\+3 ordens<'
    assert re.search(mais, html)
    assert '<span class="painel-contagem" id="painel-contagem-AGUARDANDO">6' in html
    assert urgente["fila_id"] in html


def test_mais_antiga_aguardando_destacada(app, client, api, segredo):
    adicionar(app, 4600, minutos_atras=10, placa="NOV0A00")
    antiga = adicionar(app, 4601, minutos_atras=180, prioridade="BAIXA", placa="ANT1G00")
    adicionar(app, 4602, minutos_atras=5, prioridade="URGENTE", placa="URG0A00")
    # Being worked on does not count as waiting.
    andamento = adicionar(app, 4603, minutos_atras=600, placa="DIA0A00")
    api.passo(str(andamento["_id"]), "iniciar-diagnostico", {"mecanico_responsavel_id": 101})

    html = client.get(f"/painel?token={segredo}", follow_redirects=True).text
    destaque = re.search(r'<p id="painel-destaque"[^>]*>(.*?)</p>', html, re.S).group(1)
    assert "ANT1G00" in destaque and "OS 4601" in destaque and "3 h 00 min" in destaque
    cartao = re.search(rf'<li id="painel-cartao-{antiga["_id"]}" class="([^"]+)"', html).group(1)
    assert "mais-antiga" in cartao
    assert html.count("mais-antiga") == 1
    # Waiting for what, said: a car waiting hours for the customer's answer is not this one.
    assert "Esperando mecânico há mais tempo:" in destaque
    assert html.count(">Espera há mais tempo</span>") == 1


def test_destaque_e_de_quem_espera_a_oficina(app, client, api, segredo):
    """The longest wait is a car waiting for a mechanic: never one on hold (parts, for days) nor
    one waiting for the customer's approval, even when those fill more than every candidate's
    place (once they were taken off after the 20 oldest were read, and the wall showed none)."""
    fila = componente(FilaService, app)
    gerente = Ator("teste", Papel.GERENTE)
    for n in range(25):  # the oldest of the column, all waiting for parts
        item = adicionar(app, 4800 + n, minutos_atras=3000 - n)
        fila.pausar(str(item["_id"]), MotivoPausa.AGUARDANDO_PECAS, None, gerente)
    orcamento = adicionar(app, 4850, minutos_atras=2000, placa="ORC0A50")
    for passo, dados in (("iniciar-diagnostico", {"mecanico_responsavel_id": 101}),
                         ("finalizar-diagnostico", {"diagnostico": "Embreagem"})):  # fmt: skip
        api.passo(str(orcamento["_id"]), passo, dados)
    adicionar(app, 4860, minutos_atras=90, placa="ESP4A60")
    html = client.get(f"/painel?token={segredo}", follow_redirects=True).text
    destaque = re.search(r'<p id="painel-destaque"[^>]*>(.*?)</p>', html, re.S).group(1)
    assert "ESP4A60" in destaque and "OS 4860" in destaque, destaque


def test_sem_destaque_o_painel_nao_diz_que_ninguem_espera(app, client, segredo):
    """Cars just added (under a minute) are no "longest wait": the wall's line says no car
    has waited a minute for a mechanic, never "Nenhuma ordem aguardando" above a column of
    three waiting cars."""
    for n in range(3):
        adicionar(app, 4750 + n, minutos_atras=0)
    html = client.get(f"/painel?token={segredo}", follow_redirects=True).text
    destaque = re.search(r'<p id="painel-destaque"[^>]*>(.*?)</p>', html, re.S).group(1)
    assert destaque.strip() == "Nenhum carro esperando mecânico há mais de 1 min"
    assert '<span class="painel-contagem" id="painel-contagem-AGUARDANDO">3' in html


def test_destaque_mesmo_fora_das_que_cabem(make_app, api, segredo):
    tv = make_app(painel_max_cartoes=1)
    adicionar(tv, 4700, minutos_atras=1, prioridade="URGENTE", placa="URG0A01")
    adicionar(tv, 4701, minutos_atras=500, prioridade="BAIXA", placa="BAI0A01")
    html = tv.test_client().get(f"/painel?token={segredo}", follow_redirects=True).text
    cartoes = re.findall(r'<li id="painel-cartao-.*?</li>', coluna(html, "AGUARDANDO"), re.S)
    assert "BAI0A01" not in "".join(cartoes)  # not among the cards that fit...
    # ... named below them all the same: it is late (500 min of a low priority's wait).
    assert 'data-atrasadas="BAI0A01" data-n-atrasadas="1"' in coluna(html, "AGUARDANDO")
    assert "BAI0A01" in re.search(r'<p id="painel-destaque".*?</p>', html, re.S).group(0)


def test_destaque_le_so_os_candidatos_pelo_indice(app, client, segredo):
    """Every redraw of the TV looks for the longest wait: it reads its few candidates in the
    index's order (por_etapa_em_ordem, _id breaking ties), never sorting every waiting order."""
    for n in range(60):
        adicionar(app, 4650 + n, minutos_atras=n % 3)  # ties on when their stage began
    with consultas_de(_db(app), "fila_execucao") as consultas:
        client.get(f"/painel?token={segredo}", follow_redirects=True)
    [destaque] = [c for c in consultas if c["command"].get("sort") == {"etapa_desde": 1, "_id": 1}]
    assert destaque["planSummary"] == "IXSCAN { status: 1, etapa_desde: 1, _id: 1 }"
    assert not destaque.get("hasSortStage")
    assert destaque["docsExamined"] == painel_routes.CANDIDATOS_DESTAQUE


def test_atrasadas_fora_da_tv_lidas_pelos_indices_do_atraso(make_app, segredo):
    """The late orders below a column (named after its "+N") are read by the late orders'
    own indexes: never every waiting order (the _id index walked the whole collection, 25 ms
    a redraw at 2,000 orders), and in one read, names and count together."""
    tv = make_app(painel_max_cartoes=1)
    for n in range(40):
        adicionar(tv, 4900 + n, placa=f"NRM{n % 10}A{n // 10}0")
    adicionar(tv, 4950, prioridade="BAIXA", placa="LAT9Z00",
              previsao_entrega=agora() - timedelta(hours=1))  # fmt: skip
    with consultas_de(_db(tv), "fila_execucao") as consultas:
        html = tv.test_client().get(f"/painel?token={segredo}", follow_redirects=True).text
    assert 'data-atrasadas="LAT9Z00" data-n-atrasadas="1"' in coluna(html, "AGUARDANDO")
    [leitura] = [c for c in consultas if "$or" in c["command"].get("filter", {})
                 and c["command"]["filter"]["$or"][0].get("_id")]  # fmt: skip
    assert "_id_" not in leitura["planSummary"] and "COLLSCAN" not in leitura["planSummary"]
    assert leitura["docsExamined"] <= 2, leitura["planSummary"]


def test_finalizadas_hoje_mais_recentes_primeiro(app, client, api, segredo):
    primeira = api.criar(4800, placa="FIM0A01")
    segunda = api.criar(4801, placa="FIM0A02")
    api.levar_ate(primeira["fila_id"], "finalizar-reparo")
    api.levar_ate(segunda["fila_id"], "finalizar-reparo")
    html = coluna(client.get(f"/painel?token={segredo}", follow_redirects=True).text, "FINALIZADA")
    assert html.index("FIM0A02") < html.index("FIM0A01")
    assert "data-desde" not in html  # finished: the time no longer runs


def test_cartao_finalizado_diz_quando_terminou_e_espera_diz_o_motivo(app, client, api, segredo):
    """A finished card's time is a labelled clock time in the shop's zone, not a bare duration;
    a hold says its reason in a few words that fit a TV column."""
    fim = api.criar(4810, placa="FIM1A01")
    api.levar_ate(fim["fila_id"], "finalizar-reparo")
    parado = api.criar(4811, placa="PAR1A01")
    componente(FilaService, app).pausar(
        parado["fila_id"], MotivoPausa.AGUARDANDO_PECAS, "pastilha", Ator("g", Papel.GERENTE)
    )
    html = client.get(f"/painel?token={segredo}", follow_redirects=True).text
    terminou = componente(Mongo, app).db.fila_execucao.find_one({"ordem_servico_id": 4810})
    hora = componente(Clock, app).local(terminou["dta_fim_reparo"]).strftime("%H:%M")
    assert f'<span class="painel-fim">Finalizada às {hora}</span>' in coluna(html, "FINALIZADA")
    assert '<span class="painel-pausa">Aguardando peças</span>' in coluna(html, "AGUARDANDO")
    # Each running time says what it is to a screen reader.
    assert '<span class="sr">Na etapa há </span><span class="painel-tempo"' in html


# --- Live stream --------------------------------------------------------------------------------


def test_stream_da_tv_comeca_pelo_painel_inteiro_e_redesenha_a_cada_mudanca(rapido, api, segredo):
    item = api.criar(4900, placa="STR0A01")
    resposta, leitor = stream_de_teste(tv_de(rapido, segredo), "/painel/eventos")
    try:
        assert resposta.status_code == 200
        assert resposta.mimetype == "text/event-stream"
        assert resposta.headers["Cache-Control"] == "no-cache"
        assert resposta.headers["X-Accel-Buffering"] == "no"
        inicial = leitor.proxima()["data"]
        for status in COLUNAS:
            parcial = f'<hx-partial hx-target="#painel-coluna-{status}" hx-swap="outerHTML">'
            assert parcial in inicial
        assert "STR0A01" in inicial

        inicio = time.monotonic()
        api.passo(item["fila_id"], "iniciar-diagnostico", {"mecanico_responsavel_id": 101})
        mudanca = leitor.proxima(timeout=2, com="EM_DIAGNOSTICO")["data"]
        assert time.monotonic() - inicio < 1.0
        # The card left AGUARDANDO and entered EM_DIAGNOSTICO; a TV's few cards per column are
        # redrawn whole (one render per change for every TV of the process).
        for status in COLUNAS:
            assert f'hx-target="#painel-coluna-{status}"' in mudanca
        aguardando = mudanca[mudanca.index('hx-target="#painel-coluna-AGUARDANDO"') :]
        assert "STR0A01" not in aguardando[: aguardando.index("</section>")]
        diagnostico = mudanca[mudanca.index('hx-target="#painel-coluna-EM_DIAGNOSTICO"') :]
        assert "STR0A01" in diagnostico[: diagnostico.index("</section>")]
        assert 'hx-target="#painel-destaque"' in mudanca
    finally:
        leitor.fechar()


def test_limites_salvos_chegam_a_tv_como_estao_agora(rapido, api, segredo):
    """Each save of the columns' limits redraws the TV as it is at that moment, with the
    server's time of that render. Before, every config push after the first reused the
    process's first config render (cached under an empty batch): the limits, the cards and
    the clock of that earlier moment."""
    repo = componente(ConfiguracoesRepository, rapido)
    resposta, leitor = stream_de_teste(tv_de(rapido, segredo), "/painel/eventos")
    try:
        leitor.proxima()
        assert repo.salvar_limites({"AGUARDANDO": 7}, "gerente", 0)
        primeira = leitor.proxima(timeout=3, com="painel-cabeca-AGUARDANDO")["data"]
        assert "<small>/7</small>" in primeira
        api.criar(4960, placa="CFG0A01")
        leitor.proxima(timeout=3, com="CFG0A01")
        time.sleep(1.1)
        assert repo.salvar_limites({"AGUARDANDO": 9}, "gerente", 1)
        segunda = leitor.proxima(timeout=3, com="painel-cabeca-AGUARDANDO")["data"]
        assert "CFG0A01" in segunda and "<small>/9</small>" in segunda
        ms = [int(m) for m in re.findall(r'data-servidor-ms="(\d+)"', primeira + segunda)]
        assert len(ms) == 2 and ms[1] - ms[0] >= 1000
        # A change and another save within the same second: its own render (the second's was
        # reused: neither the new card nor the new limit).
        api.criar(4961, placa="CFG0A02")
        leitor.proxima(timeout=3, com="CFG0A02")
        assert repo.salvar_limites({"AGUARDANDO": 11}, "gerente", 2)
        terceira = leitor.proxima(timeout=3, com="painel-cabeca-AGUARDANDO")["data"]
        assert "CFG0A02" in terceira and "<small>/11</small>" in terceira
    finally:
        leitor.fechar()


def test_card_escondido_alem_do_limite_so_muda_a_contagem(make_app, api, segredo):
    tv = make_app(painel_max_cartoes=1, sse_batida_ms=200)
    api.criar(4950, "URGENTE")
    escondido = api.criar(4951)  # not on screen: the column shows only one card
    resposta, leitor = stream_de_teste(tv_de(tv, segredo), "/painel/eventos")
    try:
        leitor.proxima()
        api.como("gerente").delete(f"/fila-execucao/{escondido['fila_id']}")
        mudanca = leitor.proxima(timeout=2, com="painel-cabeca-AGUARDANDO")["data"]
        assert re.search(r'id="painel-contagem-AGUARDANDO">1<', mudanca)
        assert mudanca.count('class="painel-cartao ') == 1  # the one on screen stays
    finally:
        leitor.fechar()


def test_revogar_fecha_o_stream_aberto(rapido, segredo):
    resposta, leitor = stream_de_teste(tv_de(rapido, segredo), "/painel/eventos")
    leitor.proxima()
    documento = _db(rapido)[PASSES].find_one({})
    componente(ConfiguracoesRepository, rapido).revogar_passe(str(documento["_id"]), "gerente")
    restantes = leitor.fim(timeout=5)  # the stream ends by itself
    assert restantes[-1]["event"] == "revogado"
    assert all("painel-coluna" not in m["data"] for m in restantes)
    leitor.fechar()


def test_mudanca_pela_api_de_outro_processo_chega_a_tv_por_http(
    rapido, live_server, make_app, settings, segredo
):
    outro_processo = Api(make_app().test_client(), settings)
    resposta = requests.get(
        f"{live_server}/painel/eventos",
        cookies={painel_routes.COOKIE: segredo},
        stream=True,
        timeout=(5, 5),
    )
    assert resposta.status_code == 200
    leitor = LeitorSSE(resposta.iter_content(chunk_size=None))
    try:
        leitor.proxima()
        inicio = time.monotonic()
        outro_processo.criar(4990, "ALTA", placa="HTP0A12", veiculo="Ford Ka")
        mudanca = leitor.proxima(timeout=2, com="HTP0A12")["data"]
        assert time.monotonic() - inicio < 1.0
        assert "Ford Ka" in mudanca and 'hx-target="#painel-coluna-AGUARDANDO"' in mudanca
    finally:
        resposta.close()
        leitor.fechar()


def test_reconexao_recebe_o_estado_atual(rapido, live_server, api, segredo):
    """A TV that lost its connection (network drop, server restart) reconnects and gets the whole
    display first, including what changed while it was away."""
    primeira = requests.get(
        f"{live_server}/painel/eventos",
        cookies={painel_routes.COOKIE: segredo},
        stream=True,
        timeout=(5, 5),
    )
    leitor = LeitorSSE(primeira.iter_content(chunk_size=None))
    leitor.proxima()
    primeira.close()
    leitor.fechar()

    api.criar(4995, placa="OFF1L00")  # while the TV is disconnected

    segunda = requests.get(
        f"{live_server}/painel/eventos",
        cookies={painel_routes.COOKIE: segredo},
        stream=True,
        timeout=(5, 5),
    )
    leitor = LeitorSSE(segunda.iter_content(chunk_size=None))
    try:
        assert "OFF1L00" in leitor.proxima()["data"]
    finally:
        segunda.close()
        leitor.fechar()


def test_um_desenho_por_mudanca_para_todas_as_tvs(rapido, api, segredo):
    """Two TVs on one process: a change is rendered once, both get the same message."""
    item = api.criar(4960, placa="UMA0A01")
    leitores = [stream_de_teste(tv_de(rapido, segredo), "/painel/eventos")[1] for _ in range(2)]
    chamadas = []
    original = painel_routes._render
    painel_routes._render = lambda *args: chamadas.append(1) or original(*args)
    try:
        for leitor in leitores:
            leitor.proxima()
        chamadas.clear()
        api.passo(item["fila_id"], "iniciar-diagnostico", {"mecanico_responsavel_id": 101})
        recebidas = [leitor.proxima(timeout=2, com="EM_DIAGNOSTICO")["data"] for leitor in leitores]
        assert recebidas[0] == recebidas[1]
        assert len(chamadas) == 1
    finally:
        painel_routes._render = original
        for leitor in leitores:
            leitor.fechar()


def colunas_enviadas(html: str) -> list[str]:
    return re.findall(r'hx-target="#painel-coluna-(\w+)"', html)


def test_mudanca_no_lugar_leva_so_a_sua_coluna(app, rapido, api, segredo):
    """A change that leaves an order in its column (a hold, a new priority) pushes that column,
    the highlight and the footer, not the whole wall; a step between columns, all four."""
    item = api.criar(4970, placa="SUA0A70")
    _, leitor = stream_de_teste(tv_de(rapido, segredo), "/painel/eventos")
    try:
        assert colunas_enviadas(leitor.proxima()["data"]) == [str(s) for s in Status]
        api.passo(item["fila_id"], "iniciar-diagnostico", {"mecanico_responsavel_id": 101})
        passo = leitor.proxima(timeout=2, com="SUA0A70")["data"]
        assert colunas_enviadas(passo) == [str(s) for s in Status]
        componente(FilaService, app).pausar(
            item["fila_id"], MotivoPausa.AGUARDANDO_PECAS, "junta", Ator("g", Papel.GERENTE)
        )
        espera = leitor.proxima(timeout=2, com="painel-pausa")["data"]
        assert colunas_enviadas(espera) == ["EM_DIAGNOSTICO"]
        assert 'hx-target="#painel-destaque"' in espera and 'hx-target="#painel-carga"' in espera
        assert "SUA0A70" in espera
    finally:
        leitor.fechar()


def test_promessa_vencida_na_tv_e_contada_no_rodape(app, client, segredo):
    """From the floor, an order whose promise passed does not read as good news: its card says
    when it was promised, in red, and the footer counts the orders late now, as the board's
    header does."""
    # One instant, promised and then looked for: read twice, a minute could turn in between.
    promessa = agora() - timedelta(hours=1)
    vencida = adicionar(app, 4800, placa="VEN1C00", previsao_entrega=promessa)
    adicionar(app, 4801, placa="NOP2Z00", previsao_entrega=agora() + timedelta(hours=3))
    html = client.get(f"/painel?token={segredo}", follow_redirects=True).text
    cartao = re.search(rf'<li id="painel-cartao-{vencida["_id"]}".*?</li>', html, re.S).group(0)
    prometida = promessa.astimezone(componente(Clock, app).fuso)
    # ("04/12 10:00" when that was yesterday: a test run just after midnight)
    padrao = rf'<span class="painel-atrasada">prometida (\d\d/\d\d )?{prometida:%H:%M}<'
    assert re.search(padrao, cartao)
    assert html.count('<span class="painel-atrasada">') == 1  # the other is not late: its
    assert html.count('class="painel-atrasada" data-prometida=') == 1  # notice waits, hidden
    rodape = re.search(r'<footer id="painel-carga".*?</footer>', html, re.S).group(0)
    assert '<span class="painel-atrasadas">Atrasadas: <strong>1</strong></span>' in rodape


def test_promessa_que_passa_chega_ao_rodape_na_batida_seguinte(rapido, segredo):
    """The footer's late count follows a promise passing with the next beat (no change pushes
    it: it waited for the next change or the 10-minute redraw); only the footer goes, and a
    beat that moved nothing sends nothing."""
    adicionar(rapido, 4810, placa="VEN1C10", previsao_entrega=agora() + timedelta(seconds=1.5))
    _, leitor = stream_de_teste(tv_de(rapido, segredo), "/painel/eventos")
    try:
        inicial = leitor.proxima()["data"]
        assert "painel-atrasadas" not in inicial
        tarde = leitor.proxima(timeout=5, com="painel-atrasadas")["data"]
        assert '<span class="painel-atrasadas">Atrasadas: <strong>1</strong></span>' in tarde
        assert tarde.startswith('<hx-partial hx-target="#painel-carga"')
        assert "painel-coluna" not in tarde and "VEN1C10" not in tarde
        with pytest.raises(AssertionError, match="a tempo"):
            leitor.proxima(timeout=1.5, com="painel-carga")  # 7 beats, nothing moved
    finally:
        leitor.fechar()


def test_rodape_mostra_a_carga_de_quem_mais_tem_carro_em_servico(
    app, client, api, usuarios_demo, segredo
):
    """The footer's "Em serviço" listed the active mechanics only: a manager who works on cars
    (with a number of their own), or a number the OS service gave that no one here has, held
    work the floor could not see. They come after the mechanics, by first name or by number."""
    componente(PessoasRepository, app).criar(
        "helena", "Helena Gerente", "senha-forte", "gerente", 150
    )
    for os_id, numero in ((4900, 150), (4901, 777), (4902, 101)):
        api.passo(api.criar(os_id)["fila_id"], "iniciar-diagnostico",
                  {"mecanico_responsavel_id": numero})  # fmt: skip
    html = client.get(f"/painel?token={segredo}", follow_redirects=True).text
    rodape = re.search(r'<footer id="painel-carga".*?</footer>', html, re.S).group(0)
    itens = re.findall(r'<span class="painel-carga-item[^"]*">([^<]*)<strong>(\d+)<', rodape)
    assert [(nome.strip(), int(n)) for nome, n in itens] == [
        ("Marcos", 1), ("Paula", 0), ("Helena", 1), ("Mecânico nº 777", 1)
    ]  # fmt: skip


def test_mais_nomeia_as_atrasadas_sem_javascript(make_app, segredo):
    """A TV without JavaScript (the page reloads itself every minute) read "+2 ordens" under a
    column whose late car was among them: the names were only in data attributes, for
    static/painel-encaixe.js to write. The server writes the same words."""
    tv = make_app(painel_max_cartoes=1)
    adicionar(tv, 4700, minutos_atras=1, prioridade="URGENTE", placa="URG0A01")
    adicionar(tv, 4701, minutos_atras=2, placa="NRM0A01")
    adicionar(tv, 4702, minutos_atras=500, prioridade="BAIXA", placa="BAI0A01")
    html = tv.test_client().get(f"/painel?token={segredo}", follow_redirects=True).text
    mais = re.search(r'<p id="painel-mais-AGUARDANDO"[^>]*>(.*?)</p>', html, re.S).group(1)
    # The longest wait is that late car: named once, as the script does.
    assert re.sub(r"<[^>]+>", "", mais) == "+2 ordens · 1 atrasada: BAI0A01", mais
