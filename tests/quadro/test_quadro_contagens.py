"""Honest counts under any filter: with "Minhas ordens", a manager's mechanic filter or a search,
a column counts what the filter shows and says "de N" (the whole column); the tabs, the pushed
counts, an action's answer and "Mostrar mais" say the same. Without a filter, no "de"."""

from __future__ import annotations

import re
from datetime import UTC, timedelta

import pytest
from flask import Flask
from playwright.sync_api import expect

from tests.helpers import Api, LeitorSSE, Quadro, stream_de_teste
from tests.navegador import ARTEFATOS, TABLET
from webapp.clock import agora
from webapp.components import componente
from webapp.fila.demo import USUARIOS_DEMO
from webapp.fila.domain import Ator, Papel, Prioridade
from webapp.fila.service import FilaService
from webapp.pessoas.repository import PessoasRepository
from webapp.settings import Settings

STATUS = ("AGUARDANDO", "EM_DIAGNOSTICO", "EM_REPARO", "FINALIZADA")
# A promise that passes a few seconds from now, after the stream has connected and the
# change was made, and before the stream's first beat: with 2 s of margin, a loaded machine
# could connect after the promise had passed (the count at connecting 2, not 1).
PROMESSA_S = 5
BATIDA_MS = 7000


@pytest.fixture
def fila(api) -> dict[str, list[str]]:
    """6 waiting (nobody's), 5 in diagnosis (3 of mechanic 101, 2 of 102), 1 in repair (101),
    1 finished today (102)."""
    ids: dict[str, list[str]] = {s: [] for s in STATUS}
    for n in range(13):
        ids["AGUARDANDO"].append(api.criar(7000 + n, placa=f"CNT{n % 10}A{n:02d}")["fila_id"])
    for mecanico in (101, 101, 101, 102, 102):
        fila_id = ids["AGUARDANDO"].pop()
        api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": mecanico})
        ids["EM_DIAGNOSTICO"].append(fila_id)
    passos = [
        ("finalizar-diagnostico", {"diagnostico": "Pastilhas gastas"}),
        ("aprovar-orcamento", None),
        ("iniciar-reparo", None),
    ]
    for destino, mecanico, fim in (
        ("EM_REPARO", 101, []),
        ("FINALIZADA", 102, [("finalizar-reparo", None)]),
    ):
        fila_id = ids["AGUARDANDO"].pop()
        api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": mecanico})
        for passo, corpo in passos + fim:
            assert api.passo(fila_id, passo, corpo).status_code == 200
        ids[destino].append(fila_id)
    return ids


def contagens(html: str) -> dict[str, tuple[str, str, int]]:
    """Each column's header count, its tab's count (as text) and its cards on the page."""
    resultado = {}
    for status in STATUS:
        cabeca = re.search(rf'<span id="contagem-{status}"[^>]*>(.*?)</span>\s*</h2>', html, re.S)
        aba = re.search(rf'<span id="aba-contagem-{status}"[^>]*>(.*?)</span></a>', html, re.S)
        coluna = re.search(rf'<ol id="cartoes-{status}".*?</ol>', html, re.S)
        assert cabeca and aba and coluna, status
        texto = re.sub(r"<[^>]+>", "", cabeca.group(1)).strip()
        resultado[status] = (
            texto,
            re.sub(r"<[^>]+>", "", aba.group(1)).strip(),
            coluna.group(0).count('<li id="cartao-'),
        )
    return resultado


def test_minhas_ordens_conta_o_que_mostra_de_quanto_ha(
    app: Flask, client, fila, usuarios_demo, entrar
) -> None:
    assert entrar(client, "mecanico", "mecanico123").status_code == 302
    vistas = contagens(client.get("/?mecanico=101").text)
    assert vistas == {
        "AGUARDANDO": ("0 de 6", "0 de 6", 0),
        "EM_DIAGNOSTICO": ("3 de 5", "3 de 5", 3),
        "EM_REPARO": ("1 de 1", "1 de 1", 1),
        "FINALIZADA": ("0 de 1", "0 de 1", 0),
    }
    # The header's late and at-risk counts are the shop's, and say so under a filter.
    filtrado = client.get("/?mecanico=101").text
    cabecalho = filtrado[filtrado.index('<nav class="links">') :]
    assert cabecalho.index("Na oficina toda:") < cabecalho.index("Atrasadas:")
    assert "Na oficina toda:" not in client.get("/").text
    # Without a filter the counts are the columns', with no "de".
    assert contagens(client.get("/").text) == {
        "AGUARDANDO": ("6", "6", 6),
        "EM_DIAGNOSTICO": ("5", "5", 5),
        "EM_REPARO": ("1", "1", 1),
        "FINALIZADA": ("1", "1", 1),
    }


def test_filtro_do_gerente_e_busca_contam_o_que_mostram(
    app: Flask, client, fila, usuarios_demo, entrar
) -> None:
    assert entrar(client, "gerente", "gerente123").status_code == 302
    vistas = contagens(client.get("/?mecanico=102").text)
    assert vistas["EM_DIAGNOSTICO"] == ("2 de 5", "2 de 5", 2)
    assert vistas["FINALIZADA"] == ("1 de 1", "1 de 1", 1)
    assert vistas["AGUARDANDO"] == ("0 de 6", "0 de 6", 0)
    # A search by plate: "CNT1A01" and "CNT1A11" share "CNT1A"... only 7001 and 7011 exist.
    busca = contagens(client.get("/?q=CNT1A").text)
    assert sum(n for _, _, n in busca.values()) == 2
    for texto, aba, n in busca.values():
        assert texto.startswith(f"{n} de ") and aba.startswith(f"{n} de ")


def test_carro_dado_a_outro_mecanico_sai_de_minhas_ordens_dizendo_por_que(
    rapido: Flask, fila, usuarios_demo, entrar, api
) -> None:
    """On "Minhas ordens", a car the manager gives to another mechanic leaves with its reason
    said ("… atribuiu a OS … a Paula Pereira."): it vanished in silence, the line still
    saying the change before."""
    mecanico = rapido.test_client()
    assert entrar(mecanico, "mecanico", "mecanico123").status_code == 302
    _, leitor = stream_de_teste(mecanico, "/eventos?mecanico=101")
    try:
        leitor.proxima()
        dele = fila["EM_DIAGNOSTICO"][0]  # 101's
        r = api.post(f"/fila-execucao/{dele}/atribuir", json={"mecanico_responsavel_id": 102})
        assert r.status_code == 200, r.json
        mudanca = leitor.proxima(timeout=3, com=dele)["data"]
        anuncio = mudanca.split('hx-target="#anuncios"')[1].split("</hx-partial>")[0]
        assert "a Paula Pereira." in anuncio, anuncio
    finally:
        leitor.fechar()


def test_contagens_empurradas_e_respostas_seguem_o_filtro(
    rapido: Flask, fila, usuarios_demo, entrar, api
) -> None:
    """The stream of a filtered board pushes filtered counts; an action's answer from that
    board (its HX-Current-URL) too."""
    mecanico = rapido.test_client()
    assert entrar(mecanico, "mecanico", "mecanico123").status_code == 302
    _, leitor = stream_de_teste(mecanico, "/eventos?mecanico=101")
    try:
        inicial = leitor.proxima()["data"]
        assert (
            '<span class="total"> de 5</span>' in inicial.split('id="contagem-EM_DIAGNOSTICO"')[1]
        )
        fila_id = fila["AGUARDANDO"][0]
        api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 101})
        mudanca = leitor.proxima(timeout=3, com=fila_id)["data"]
        diagnostico = mudanca.split('id="contagem-EM_DIAGNOSTICO"')[1].split("</span></span>")[0]
        assert '>4<span class="total"> de 6' in diagnostico, diagnostico
        assert re.search(
            r'#aba-contagem-AGUARDANDO" hx-swap="innerHTML">0<span class="sr"> de 5', mudanca
        )
    finally:
        leitor.fechar()
    # The same board's own step: its answer counts as that board shows.
    pagina = mecanico.get("/?mecanico=101").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', pagina).group(1)
    outro = fila["AGUARDANDO"][1]
    resposta = mecanico.post(
        f"/ordens/{outro}/passo/iniciar-diagnostico",
        data={"csrf_token": csrf},
        headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/?mecanico=101"},
    )
    assert resposta.status_code == 200
    assert '>5<span class="total"> de 7' in resposta.text


def test_mostrar_mais_sob_filtro_diz_quantas_faltam(
    app: Flask, client, api, usuarios_demo, entrar
) -> None:
    for n in range(45):
        fila_id = api.criar(7100 + n, placa=f"MMF{n % 10}A{n:02d}")["fila_id"]
        api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 101 + n % 2})
    assert entrar(client, "gerente", "gerente123").status_code == 302
    texto = client.get("/?mecanico=101").text
    assert contagens(texto)["EM_DIAGNOSTICO"] == ("23 de 45", "23 de 45", 23)
    assert "Mostrar mais" not in texto  # 23 fit in a page
    texto = client.get("/?q=MMF").text
    assert contagens(texto)["EM_DIAGNOSTICO"] == ("45 de 45", "45 de 45", 40)
    assert "Mostrar mais (5)" in texto


@pytest.mark.navegador
def test_no_tablet_minhas_ordens_e_um_push_mantem_contagem_cartoes_e_aviso_juntos(
    fila, api, abrir, usuarios_demo
) -> None:
    """On a mechanic's tablet with "Minhas ordens": each column's count is its cards, "Nada
    encontrado nesta coluna" shows only under a 0, and a push moves all three together."""
    tablet = abrir(TABLET, has_touch=True, is_mobile=True).entrar("mecanico", "mecanico123")
    pagina = tablet.pagina
    pagina.get_by_role("link", name="Minhas ordens").click()
    expect(pagina.locator("#quadro[data-ao-vivo]")).to_have_count(1)

    def conferir(esperado: dict[str, str]) -> None:
        for status, texto in esperado.items():
            expect(pagina.locator(f"#contagem-{status}")).to_have_text(texto)
            n = int(texto.split()[0])
            expect(pagina.locator(f"#cartoes-{status} > li")).to_have_count(n)
            vazio = pagina.locator(f"#coluna-{status} .vazio")
            expect(vazio).to_have_text("Nada encontrado nesta coluna.")
            (expect(vazio).to_be_hidden if n else expect(vazio).to_be_attached)()
            if not n:
                assert vazio.evaluate("e => getComputedStyle(e).display") != "none"

    conferir({"AGUARDANDO": "0 de 6", "EM_DIAGNOSTICO": "3 de 5", "EM_REPARO": "1 de 1"})
    ARTEFATOS.mkdir(exist_ok=True)
    pagina.screenshot(path=ARTEFATOS / "quadro-minhas-ordens-tablet.png")
    api.passo(fila["AGUARDANDO"][0], "iniciar-diagnostico", {"mecanico_responsavel_id": 101})
    conferir({"AGUARDANDO": "0 de 5", "EM_DIAGNOSTICO": "4 de 6", "EM_REPARO": "1 de 1"})
    api.passo(fila["EM_REPARO"][0], "finalizar-reparo", {"observacoes_reparo": "ok"})
    conferir({"EM_REPARO": "0", "FINALIZADA": "1 de 2"})  # nothing to be "de"
    expect(pagina.locator("#aba-contagem-FINALIZADA")).to_have_text("1 de 2")
    assert tablet.erros == [], tablet.erros


def test_quadro_filtrado_nao_anuncia_o_que_nao_mostra(
    rapido: Flask, fila, usuarios_demo, entrar, api
) -> None:
    """Another mechanic's order moves: a board on "Minhas ordens" gets the new counts, not its
    announcement (a screen reader there hears this board's changes, not the whole shop's)."""
    mecanico = rapido.test_client()
    assert entrar(mecanico, "mecanico", "mecanico123").status_code == 302
    _, leitor = stream_de_teste(mecanico, "/eventos?mecanico=101")
    try:
        leitor.proxima()
        alheia = fila["AGUARDANDO"][0]
        api.passo(alheia, "iniciar-diagnostico", {"mecanico_responsavel_id": 102})
        mudanca = leitor.proxima(timeout=3, com="contagem-EM_DIAGNOSTICO")["data"]
        anuncio = re.search(r'hx-target="#anuncios"[^>]*>(.*?)</hx-partial>', mudanca, re.S)
        assert anuncio is None or "iniciou o diagnóstico" not in anuncio.group(1), mudanca
        minha = fila["AGUARDANDO"][1]
        api.passo(minha, "iniciar-diagnostico", {"mecanico_responsavel_id": 101})
        mudanca = leitor.proxima(timeout=3, com=minha)["data"]
        assert re.search(r'hx-target="#anuncios"[^>]*>[^<]*iniciou o diagnóstico', mudanca)
    finally:
        leitor.fechar()


def test_promessa_que_passa_conta_como_atrasada_na_batida_seguinte(
    rapido: Flask, usuarios_demo, entrar, api
) -> None:
    """A promise passing changes no document, so no change pushes it: the header's late count
    follows it with the next beat (it waited for the next change or the 10-minute redraw),
    and a beat that moved nothing sends nothing."""
    mecanico = rapido.test_client()
    assert entrar(mecanico, "mecanico", "mecanico123").status_code == 302
    # Passes after the stream's first message even on a loaded machine (1.5 s was not always).
    logo = (agora() + timedelta(seconds=4)).astimezone(UTC).isoformat()
    api.criar(7100, placa="VEN1C00", previsao_entrega=logo)
    _, leitor = stream_de_teste(mecanico, "/eventos")
    try:
        inicial = leitor.proxima()["data"]
        assert '<span id="atrasadas-contagem" class="atrasadas-contagem">0</span>' in inicial
        # A beat is 200 ms; the bound is for a loaded machine, not the behaviour.
        tarde = leitor.proxima(timeout=10, com="atrasadas-contagem tem")["data"]
        assert '<span id="atrasadas-contagem" class="atrasadas-contagem tem">1</span>' in tarde
        assert 'hx-target="#contagem-AGUARDANDO"' in tarde  # the counts' partials, no card
        assert "VEN1C00" not in tarde
        with pytest.raises(AssertionError, match="a tempo"):
            leitor.proxima(timeout=1.5, com="atrasadas-contagem")  # 7 beats, nothing moved
    finally:
        leitor.fechar()


UM = '<span id="atrasadas-contagem" class="atrasadas-contagem tem">1</span>'


def volta_a_um(leitor: LeitorSSE) -> None:
    """The other promise passes before the first beat: the stream sends the count again, 1,
    though it last sent 0 (at the promise's instant, its `virada`, or else at the beat: both
    compare with what this stream last sent, which a change has made stale)."""
    assert UM in leitor.proxima(timeout=BATIDA_MS / 1000 + 3, com="atrasadas-contagem tem")["data"]


def test_batida_manda_a_contagem_de_novo_depois_de_um_push(
    make_app, settings: Settings, entrar
) -> None:
    """The counts the stream sent at connecting (1 late), then a push changed (0: the late
    order removed, another added, the columns' counts as they were), then the clock brought
    back within the same beat (another promise passed): the beat sends them again. It
    compared with what it sent itself only, and the header kept the push's 0 until the next
    change or the 10-minute redraw."""
    app = make_app(sse_batida_ms=BATIDA_MS)
    componente(PessoasRepository, app).criar_se_faltam(USUARIOS_DEMO)
    api = Api(app.test_client(), settings)
    mecanico = app.test_client()
    assert entrar(mecanico, "mecanico", "mecanico123").status_code == 302
    passada = (agora() - timedelta(hours=1)).astimezone(UTC).isoformat()
    atrasada = api.criar(7110, placa="VEN1C01", previsao_entrega=passada)["fila_id"]
    logo = (agora() + timedelta(seconds=PROMESSA_S)).astimezone(UTC).isoformat()
    api.criar(7111, placa="VEN1C02", previsao_entrega=logo)
    _, leitor = stream_de_teste(mecanico, "/eventos")
    try:
        assert UM in leitor.proxima()["data"]
        componente(FilaService, app).remover(atrasada, Ator("gerente", Papel.GERENTE))
        api.criar(7112, placa="VEN1C03")
        leitor.proxima(timeout=2, com='class="atrasadas-contagem">0<')
        volta_a_um(leitor)
    finally:
        leitor.fechar()


def test_batida_manda_a_contagem_depois_da_propria_resposta_da_pagina(
    make_app, settings: Settings, entrar
) -> None:
    """The same after the page's own change, which its stream leaves out (its answer showed
    it): 1 late by its stage sent at connecting, the page's priority change makes it 0 on
    screen, another promise passes within the beat: the beat sends 1 again."""
    app = make_app(sse_batida_ms=BATIDA_MS)
    componente(PessoasRepository, app).criar_se_faltam(USUARIOS_DEMO)
    # Signed in first: a password's hash takes a while on a busy machine, and the promise
    # below must still be ahead when the stream connects.
    gerente = app.test_client()
    assert entrar(gerente, "gerente", "gerente123").status_code == 302
    quadro = Quadro(gerente)
    fila = componente(FilaService, app)
    tarde = fila.adicionar(
        7120,
        Ator("teste", Papel.GERENTE),
        Prioridade.URGENTE,
        {},
        instante=agora() - timedelta(minutes=70),
    )  # fmt: skip  (waiting 70 min: past URGENTE's red threshold, late by its stage)
    logo = (agora() + timedelta(seconds=PROMESSA_S)).astimezone(UTC).isoformat()
    Api(app.test_client(), settings).criar(7121, previsao_entrega=logo)
    _, leitor = stream_de_teste(gerente, "/eventos")
    try:
        assert UM in leitor.proxima()["data"]
        r = gerente.post(
            f"/ordens/{tarde['_id']}/prioridade",
            data={"csrf_token": quadro.token, "prioridade": "BAIXA"},
            headers={"HX-Request": "true"},
        )
        assert r.status_code == 200 and 'class="atrasadas-contagem">0<' in r.text
        volta_a_um(leitor)
    finally:
        leitor.fechar()


def test_ordem_que_fica_atrasada_vai_ao_cabecalho_na_hora_nao_na_batida(
    make_app, settings: Settings, entrar
) -> None:
    """The card turns late on the screen at the second its promise passes, or its stage
    reaches the red threshold (quadro-relogio.js); the header's count came with the next beat,
    up to 15 s later, so for a while the board showed a late card and "Atrasadas: 0". The
    stream knows when the next order may turn late and sends the count then, and then at the
    next one: two promises 3 s apart, then an URGENTE car waiting for 60 minutes (its red
    threshold), each counted within about 2 s, with no beat for a minute."""
    app = make_app(sse_batida_ms=60_000)
    componente(PessoasRepository, app).criar_se_faltam(USUARIOS_DEMO)
    gerente = app.test_client()
    assert entrar(gerente, "gerente", "gerente123").status_code == 302
    api = Api(app.test_client(), settings)
    primeira = agora() + timedelta(seconds=PROMESSA_S)
    viradas = [primeira, primeira + timedelta(seconds=3), primeira + timedelta(seconds=6)]
    for numero, quando in ((7130, viradas[0]), (7131, viradas[1])):
        api.criar(numero, previsao_entrega=quando.astimezone(UTC).isoformat())
    componente(FilaService, app).adicionar(
        7132, Ator("teste", Papel.GERENTE), Prioridade.URGENTE, {},
        instante=viradas[2] - timedelta(minutes=60),
    )  # fmt: skip
    _, leitor = stream_de_teste(gerente, "/eventos")
    try:
        assert 'class="atrasadas-contagem">0<' in leitor.proxima()["data"]
        for contagem, virada in enumerate(viradas, start=1):
            restante = (virada - agora()).total_seconds()
            texto = f'<span id="atrasadas-contagem" class="atrasadas-contagem tem">{contagem}<'
            leitor.proxima(timeout=restante + 2.5, com=texto)
            assert agora() >= virada  # not before it
    finally:
        leitor.fechar()
