"""The manager's settings page: TV passes (stored hashed) and the columns' soft limits."""

from __future__ import annotations

import hashlib
import re

import pytest
import segno
from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import consultas_de
from tests.paginas import csrf_de
from webapp.components import componente
from webapp.configuracoes.queries import (
    ATIVOS_MOSTRADOS,
    REVOGADOS_MOSTRADOS,
    ConfiguracoesQueries,
)
from webapp.configuracoes.repository import PASSES, ConfiguracoesRepository
from webapp.fila.demo import USUARIOS_DEMO
from webapp.fila.domain import Ator, Papel
from webapp.fila.service import FilaService
from webapp.mongo import Mongo
from webapp.pessoas.repository import PessoasRepository
from webapp.qr import qr_svg


@pytest.fixture
def gerente(app: Flask, usuarios_demo, entrar) -> FlaskClient:
    client = app.test_client()
    assert entrar(client, "gerente", usuarios_demo["gerente"]["senha"]).status_code == 302
    return client


@pytest.fixture
def mecanico(app: Flask, usuarios_demo, entrar) -> FlaskClient:
    client = app.test_client()
    assert entrar(client, "mecanico", usuarios_demo["mecanico"]["senha"]).status_code == 302
    return client


def _db(app: Flask):
    return componente(Mongo, app).db


def _csrf(client: FlaskClient) -> str:
    return csrf_de(client.get("/").text)


def criar_passe(client: FlaskClient, nome: str = "TV da oficina") -> tuple[str, str]:
    """Create a TV pass through the page; (the TV URL shown once, the secret in it)."""
    r = client.post("/configuracoes/passes", data={"nome": nome, "csrf_token": _csrf(client)})
    assert r.status_code == 200, r.text
    url = re.search(r'id="url-painel"[^>]*value="([^"]+)"', r.text).group(1)
    return url, url.split("token=", 1)[1]


# --- Access -------------------------------------------------------------------------------------


def test_pagina_so_para_gerente(client, mecanico, gerente):
    r = client.get("/configuracoes")
    assert r.status_code == 302 and "/entrar" in r.headers["Location"]
    r = mecanico.get("/configuracoes")
    assert r.status_code == 403
    assert "Apenas gerentes" in r.text
    r = gerente.get("/configuracoes")
    assert r.status_code == 200
    assert "Limites das colunas" in r.text and "Telas de TV" in r.text


def test_mecanico_nao_cria_token_nem_muda_limite_nem_postando_a_mao(app, mecanico):
    csrf = _csrf(mecanico)
    r = mecanico.post("/configuracoes/passes", data={"nome": "x", "csrf_token": csrf})
    assert r.status_code == 403
    r = mecanico.post("/configuracoes/limites", data={"AGUARDANDO": "3", "csrf_token": csrf})
    assert r.status_code == 403
    assert _db(app)[PASSES].count_documents({}) == 0
    assert componente(ConfiguracoesQueries, app).limites_colunas()["AGUARDANDO"] is None


def test_post_sem_csrf_e_recusado(app, gerente):
    r = gerente.post("/configuracoes/limites", data={"AGUARDANDO": "3"})
    assert r.status_code == 400
    r = gerente.post("/configuracoes/passes", data={"nome": "TV"})
    assert r.status_code == 400
    assert _db(app)[PASSES].count_documents({}) == 0


# --- Column limits ------------------------------------------------------------------------------


def test_limites_salvos_com_post_simples_e_redirecionamento(app, gerente):
    csrf = _csrf(gerente)
    r = gerente.post(
        "/configuracoes/limites",
        data={
            "AGUARDANDO": "8",
            "EM_DIAGNOSTICO": "",
            "EM_REPARO": "4",
            "FINALIZADA": "",
            "versao": "0",  # the page's: never saved before
            "csrf_token": csrf,
        },
    )
    assert r.status_code == 303
    assert r.headers["Location"].endswith("/configuracoes#limites")
    assert componente(ConfiguracoesQueries, app).limites_colunas() == {
        "AGUARDANDO": 8,
        "EM_DIAGNOSTICO": None,
        "EM_REPARO": 4,
        "FINALIZADA": None,
    }
    pagina = gerente.get("/configuracoes").text
    assert "Limites das colunas salvos." in pagina
    assert re.search(r'id="AGUARDANDO"[^>]*value="8"', pagina)


@pytest.mark.parametrize(
    ("valor", "mensagem"),
    [
        ("-1", "Use um número inteiro de 1 a 999"),
        ("0", "Use um número inteiro de 1 a 999"),
        ("abc", "Use um número inteiro de 1 a 999"),
        ("2.5", "Use um número inteiro de 1 a 999"),
        ("5000", "Use um número inteiro de 1 a 999"),
        ("9" * 400, "Use um número inteiro de 1 a 999"),  # past a float's range: it was a 500
    ],
)
def test_limite_invalido_mostra_erro_no_campo(app, gerente, valor, mensagem):
    r = gerente.post(
        "/configuracoes/limites",
        data={"AGUARDANDO": "3", "EM_REPARO": valor, "versao": "0", "csrf_token": _csrf(gerente)},
    )
    assert r.status_code == 400
    assert "Corrija os campos marcados." in r.text
    # The message sits next to its field, which is marked invalid and keeps what was typed.
    campo = re.search(r'<input[^>]*id="EM_REPARO"[^>]*>', r.text).group(0)
    assert 'aria-invalid="true"' in campo and 'aria-describedby="erro-EM_REPARO"' in campo
    assert f'value="{valor}"' in campo
    erro = re.search(r'<p class="erro-campo" id="erro-EM_REPARO">([^<]+)</p>', r.text).group(1)
    assert mensagem in erro
    assert (
        componente(ConfiguracoesQueries, app).limites_colunas()["AGUARDANDO"] is None
    )  # nothing saved


def test_limites_salvos_por_outro_gerente_no_meio_nao_sao_desfeitos(app, gerente):
    """Two managers open the page; one saves AGUARDANDO, the other then saves EM_REPARO from
    the page drawn before: refused, the first one's save stays, and the second is shown the
    limits as they are now, in the form itself. It kept what was typed, the other fields
    included: saving again as it came undid the first save (AGUARDANDO blank again)."""
    pagina = gerente.get("/configuracoes").text
    versao = re.search(r'name="versao"[^>]*value="(\d+)"', pagina).group(1)
    repo = componente(ConfiguracoesRepository, app)
    assert repo.salvar_limites({"AGUARDANDO": 8}, "outro-gerente", int(versao))  # the other
    r = gerente.post(
        "/configuracoes/limites",
        data={"versao": versao, "EM_REPARO": "4", "csrf_token": _csrf(gerente)},
    )
    assert r.status_code == 409
    assert "outro gerente salvou os limites enquanto você editava" in r.text
    assert "Aguardando: 8" in r.text and "Em reparo: sem limite" in r.text
    assert re.search(r'<input[^>]*id="AGUARDANDO"[^>]*value="8"', r.text)  # theirs, shown
    assert not re.search(r'<input[^>]*id="EM_REPARO"[^>]*value="4"', r.text)
    # Saved again as it comes back: nothing of the first save is undone.
    nova = re.search(r'name="versao"[^>]*value="(\d+)"', r.text).group(1)
    campos = dict(re.findall(r'<input[^>]*id="(AGUARDANDO|EM_DIAGNOSTICO|EM_REPARO|FINALIZADA)"'
                             r'[^>]*value="(\d*)"', r.text))  # fmt: skip
    r2 = gerente.post(
        "/configuracoes/limites",
        data={"versao": nova, **campos, "csrf_token": _csrf(gerente)},
    )
    assert r2.status_code == 303
    assert componente(ConfiguracoesQueries, app).limites_colunas()["AGUARDANDO"] == 8
    assert componente(ConfiguracoesQueries, app).limites_colunas() == {
        "AGUARDANDO": 8, "EM_DIAGNOSTICO": None, "EM_REPARO": None, "FINALIZADA": None,
    }  # fmt: skip
    # The change redone on the page it was shown (its version is the current one): taken.
    pagina = gerente.get("/configuracoes").text
    nova = re.search(r'name="versao"[^>]*value="(\d+)"', pagina).group(1)
    r = gerente.post(
        "/configuracoes/limites",
        data={"versao": nova, "AGUARDANDO": "8", "EM_REPARO": "4", "csrf_token": _csrf(gerente)},
    )
    assert (
        r.status_code == 303
        and componente(ConfiguracoesQueries, app).limites_colunas()["EM_REPARO"] == 4
    )


@pytest.mark.parametrize("versao", [None, "", "abc", "-1", "1" * 40])
def test_limites_sem_a_versao_da_pagina_dizem_isso(app, gerente, versao):
    """A post that lost its hidden version (hand-made, a page cut short) was told "outro
    gerente salvou os limites enquanto você editava" (409), which nobody did, and before any
    save it was taken as version 0. It is refused for what it is, and nothing is saved."""
    repo = componente(ConfiguracoesRepository, app)
    assert repo.salvar_limites({"AGUARDANDO": 8}, "outro-gerente", 0)
    dados = {"EM_REPARO": "4", "csrf_token": _csrf(gerente)}
    if versao is not None:
        dados["versao"] = versao
    r = gerente.post("/configuracoes/limites", data=dados)
    assert r.status_code == 400
    assert "o formulário veio sem a versão dos limites que ele mostrava" in r.text
    assert "outro gerente salvou" not in r.text and "Corrija os campos marcados" not in r.text
    assert componente(ConfiguracoesQueries, app).limites_colunas() == {
        "AGUARDANDO": 8, "EM_DIAGNOSTICO": None, "EM_REPARO": None, "FINALIZADA": None,
    }  # fmt: skip


def test_limites_e_sua_versao_lidos_juntos(app, gerente):
    """The page's limits and the version its form carries back come from one read of one
    document: read apart, another manager's save between them paired the old limits with the
    new version, and saving that page undid theirs unseen."""
    db = _db(app)
    componente(ConfiguracoesRepository, app).salvar_limites({"AGUARDANDO": 8}, "outro", 0)
    with consultas_de(db, "configuracoes") as consultas:
        assert gerente.get("/configuracoes").status_code == 200
    leituras = [c for c in consultas if c["op"] == "query"]
    assert len(leituras) == 1, [c["command"] for c in leituras]


def test_limites_via_htmx_trocam_so_a_secao(gerente):
    r = gerente.post(
        "/configuracoes/limites",
        data={"EM_REPARO": "-3", "csrf_token": _csrf(gerente)},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 400
    assert 'id="limites"' in r.text  # the page carries the section the form selects
    assert 'hx-select="#limites"' in r.text


def test_limites_aparecem_no_quadro_e_na_tv(app, gerente, api):
    for n in range(3):
        api.criar(7000 + n)
    assert componente(ConfiguracoesRepository, app).salvar_limites({"AGUARDANDO": 2}, "teste", 0)
    quadro = gerente.get("/").text
    assert re.search(r'id="contagem-AGUARDANDO" class="contagem acima-do-limite"', quadro)
    _, segredo = criar_passe(gerente)
    tv = app.test_client().get(f"/painel?token={segredo}", follow_redirects=True).text
    assert 'id="painel-cabeca-AGUARDANDO" class="painel-cabeca acima-do-limite"' in tv
    assert 'id="painel-cabeca-EM_REPARO" class="painel-cabeca"' in tv


# --- Display tokens -----------------------------------------------------------------------------


def test_token_mostrado_uma_vez_e_guardado_so_como_hash(app, gerente):
    url, segredo = criar_passe(gerente, "TV da recepção")
    assert url.startswith("http://localhost/painel?token=")
    assert len(segredo) >= 43  # token_urlsafe(32)

    db = _db(app)
    documento = db[PASSES].find_one({})
    assert documento["hash"] == hashlib.sha256(segredo.encode()).hexdigest()
    assert documento["nome"] == "TV da recepção"
    assert documento["criado_por"] == "gerente" and documento["revogado_em"] is None
    # The secret itself is nowhere in the database.
    for nome in db.list_collection_names():
        for doc in db[nome].find({}):
            assert segredo not in repr(doc), nome

    # Listed afterwards by its name, never again with the secret.
    pagina = gerente.get("/configuracoes").text
    assert "TV da recepção" in pagina and segredo not in pagina
    assert 'id="url-painel"' not in pagina


def test_endereco_da_tv_com_botao_de_copiar_e_qr_code_so_na_resposta(app, gerente):
    """The new TV's address comes with a copy button (static/copiar.js, no inline script) and
    its QR code drawn by segno inline, in this answer only: the token is stored hashed, so the
    QR can never be drawn again, and no image URL ever carries the token."""
    r = gerente.post(
        "/configuracoes/passes", data={"nome": "TV do pátio", "csrf_token": _csrf(gerente)}
    )
    url = re.search(r'id="url-painel"[^>]*value="([^"]+)"', r.text).group(1)
    segredo = url.split("token=", 1)[1]
    assert r.headers["Cache-Control"] == "no-store"
    titulo = "Código QR do endereço do painel da tela “TV do pátio”"
    assert str(qr_svg(url, titulo, 4)) in r.text
    assert segno.make(url, error="m").designator.endswith("-M")
    assert '<button type="button" class="botao" data-copiar="url-painel" hidden>' in r.text
    assert '<script src="/static/copiar.js' in r.text
    assert "<script>" not in r.text and "style=" not in r.text  # the CSP: nothing inline
    assert r.text.count(segredo) == 1  # in the field only: the QR holds it as modules
    assert not re.search(r"<img[^>]+token", r.text)
    pagina = gerente.get("/configuracoes").text
    assert "<svg" not in pagina and segredo not in pagina


def test_endereco_da_tv_e_da_ficha_no_endereco_publico(make_app, usuarios_demo, entrar):
    """With URL_PUBLICA the TV's address and the job card's QR code use it, not the host the
    manager happens to use (127.0.0.1 on the server itself)."""
    app = make_app(url_publica="https://fila.oficina.com.br/")
    componente(PessoasRepository, app).criar_se_faltam(USUARIOS_DEMO)
    cliente = app.test_client()
    entrar(cliente, "gerente", "gerente123")
    url, segredo = criar_passe(cliente)
    assert url == f"https://fila.oficina.com.br/painel?token={segredo}"
    fila_id = str(componente(FilaService, app).adicionar(5151, Ator("g", Papel.GERENTE))["_id"])
    ficha = cliente.get(f"/ordens/{fila_id}/ficha").text
    endereco = f"https://fila.oficina.com.br/ordens/{fila_id}"
    assert str(qr_svg(endereco, f"Código QR da OS 5151: {endereco}")) in ficha
    assert f'<span class="ficha-endereco">{endereco}</span>' in ficha


def test_formulario_enviado_de_novo_nao_cria_outro_passe(app, gerente):
    """Without JavaScript the new pass's page is its POST's answer: a reload (F5) sent the same
    form again and created a second active pass, whose address nobody saw. The form carries a
    key of its own: sent again, nothing is created, and the page says why and what to do; a
    form drawn afresh creates the next one."""
    pagina = gerente.get("/configuracoes").text
    pedido = re.search(r'name="pedido" type="hidden" value="([^"]+)"', pagina).group(1)
    dados = {"nome": "TV F5", "csrf_token": _csrf(gerente), "pedido": pedido}
    primeira = gerente.post("/configuracoes/passes", data=dados)
    assert primeira.status_code == 200 and 'id="url-painel"' in primeira.text
    de_novo = gerente.post("/configuracoes/passes", data=dados, follow_redirects=True)
    assert de_novo.status_code == 200 and 'id="url-painel"' not in de_novo.text
    assert "O passe “TV F5” já foi criado por este formulário, enviado de novo" in de_novo.text
    assert _db(app)[PASSES].count_documents({}) == 1
    # Sent again with another name typed over it (Back, edit, send): the pass named is the one
    # that exists, not the name that was never created.
    outro_nome = gerente.post(
        "/configuracoes/passes", data={**dados, "nome": "TV Outra"}, follow_redirects=True
    )
    assert "O passe “TV F5” já foi criado por este formulário" in outro_nome.text
    assert "TV Outra" not in outro_nome.text
    assert _db(app)[PASSES].count_documents({}) == 1
    # The answer's own form has a new key: the next pass is created.
    outro = re.search(r'name="pedido" type="hidden" value="([^"]+)"', primeira.text).group(1)
    assert outro != pedido
    r = gerente.post("/configuracoes/passes", data={**dados, "nome": "TV 2", "pedido": outro})
    assert 'id="url-painel"' in r.text and _db(app)[PASSES].count_documents({}) == 2
    # A key that is none of ours (a hand-made POST) is no key: each such POST creates one.
    for _ in range(2):
        gerente.post("/configuracoes/passes", data={**dados, "pedido": "x" * 500})
    assert _db(app)[PASSES].count_documents({}) == 4


def test_resposta_com_o_token_nao_vai_para_cache(gerente):
    r = gerente.post("/configuracoes/passes", data={"nome": "TV", "csrf_token": _csrf(gerente)})
    assert r.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("nome", ["  ", "\x00\x1b"])
def test_nome_do_token_obrigatorio(app, gerente, nome):
    r = gerente.post("/configuracoes/passes", data={"nome": nome, "csrf_token": _csrf(gerente)})
    assert r.status_code == 400
    assert re.search(r'<p class="erro-campo" id="erro-nome">Dê um nome à tela', r.text)
    assert _db(app)[PASSES].count_documents({}) == 0


def test_revogar_token_pelo_formulario(app, gerente):
    _, segredo = criar_passe(gerente)
    tv = app.test_client()
    assert tv.get(f"/painel?token={segredo}", follow_redirects=True).status_code == 200
    documento = _db(app)[PASSES].find_one({})
    r = gerente.post(
        f"/configuracoes/passes/{documento['_id']}/revogar", data={"csrf_token": _csrf(gerente)}
    )
    assert r.status_code == 303 and r.headers["Location"].endswith("/configuracoes#passes")
    assert tv.get(f"/painel?token={segredo}", follow_redirects=True).status_code == 403
    pagina = gerente.get("/configuracoes").text
    assert "revogado: a tela perde o acesso" in pagina and "Revogado em" in pagina
    # Revoking twice (or an unknown id) is harmless.
    r = gerente.post(
        f"/configuracoes/passes/{documento['_id']}/revogar", data={"csrf_token": _csrf(gerente)}
    )
    assert r.status_code == 303
    assert (
        "Este passe já estava revogado (ou não existe): nada mudou."
        in gerente.get("/configuracoes").text
    )
    r = gerente.post("/configuracoes/passes/xyz/revogar", data={"csrf_token": _csrf(gerente)})
    assert r.status_code == 303


def test_dois_passes_de_mesmo_nome_se_distinguem_ao_revogar(app, gerente):
    """Replacing a TV's pass (a new one, then the old one revoked, as the page advises) leaves
    two of one name, whose "Revogar" read alike: the one in use could be revoked. Each is
    named with when it was made and last used, to the eye and to a screen reader."""
    _, velho = criar_passe(gerente)
    app.test_client().get(f"/painel?token={velho}")  # the TV on the wall uses it
    criar_passe(gerente)
    pagina = gerente.get("/configuracoes").text
    perguntas = re.findall(r"Revogar o passe “TV da oficina”, criado em [^?]+\?", pagina)
    assert len(perguntas) == 2 and len(set(perguntas)) == 2, perguntas
    assert sum("e nunca usado?" in q for q in perguntas) == 1
    assert sum("e usado por último em " in q for q in perguntas) == 1
    nomes = re.findall(r'Confirmar revogação<span class="sr"> de ([^<]+)</span>', pagina)
    assert len(set(nomes)) == 2 and all("TV da oficina, criado em" in n for n in nomes), nomes


def test_ultimo_uso_registrado(app, gerente):
    _, segredo = criar_passe(gerente)
    assert _db(app)[PASSES].find_one({})["ultimo_uso_em"] is None
    app.test_client().get(f"/painel?token={segredo}")
    assert _db(app)[PASSES].find_one({})["ultimo_uso_em"] is not None


def test_indice_unico_no_hash(app, gerente):
    criar_passe(gerente)
    indices = _db(app)[PASSES].index_information()
    assert indices["token_hash_unico"]["unique"] is True


def test_lista_de_passes_mostra_os_ativos_e_so_os_ultimos_revogados(app, gerente):
    """A shop revokes a pass per TV replaced, for years: the page lists the active ones and the
    latest revoked ones, says how many older ones it leaves out, and reads them by an index."""
    repositorio = componente(ConfiguracoesRepository, app)
    for n in range(REVOGADOS_MOSTRADOS + 3):
        _, passe = repositorio.criar_passe(f"TV velha {n:02d}", "gerente")
        repositorio.revogar_passe(str(passe["_id"]), "gerente")
    for n in range(2):
        repositorio.criar_passe(f"TV nova {n}", "gerente")
    db = _db(app)
    # Made in the same millisecond (a script's): still listed in the order they were made.
    mesmo_instante = db[PASSES].find_one({"nome": "TV nova 0"})["criado_em"]
    db[PASSES].update_many(
        {"nome": {"$regex": "^TV nova"}}, {"$set": {"criado_em": mesmo_instante}}
    )
    with consultas_de(db, PASSES) as consultas:
        pagina = gerente.get("/configuracoes").text
    nomes = re.findall(r"<td>(TV (?:velha|nova) \d+)</td>", pagina)
    recentes = [f"TV velha {n:02d}" for n in range(REVOGADOS_MOSTRADOS + 2, 2, -1)]
    assert nomes == ["TV nova 1", "TV nova 0", *recentes]
    assert "Outros 3 passes revogados, mais antigos, não aparecem aqui." in pagina
    planos = [c["planSummary"] for c in consultas if c["op"] in ("query", "command")]
    assert planos and all(p.startswith("IXSCAN { revogado_em: -1") for p in planos), planos
    assert all(c["docsExamined"] <= REVOGADOS_MOSTRADOS for c in consultas), consultas

    repositorio.revogar_passe(str(db[PASSES].find_one({"nome": "TV nova 0"})["_id"]), "gerente")
    pagina = gerente.get("/configuracoes").text
    assert "Outros 4 passes revogados, mais antigos, não aparecem aqui." in pagina
    # A script that made passes by the hundred: the page shows a window of them too, and says so.
    for n in range(ATIVOS_MOSTRADOS + 1):
        repositorio.criar_passe(f"Script {n}", "gerente")
    pagina = gerente.get("/configuracoes").text
    assert "Outros 2 passes ativos, mais antigos, não aparecem aqui" in pagina
    assert len(re.findall(r"<td>Script \d+</td>", pagina)) == ATIVOS_MOSTRADOS


def test_endereco_de_um_formulario_aberto_volta_a_sua_secao(app, gerente):
    """Without JavaScript a refused save or a new pass is answered at the address the form
    posted to; reloading it (or a bookmark) led to "Endereço usado do jeito errado" (405). It
    now leads back to that form's section, and does nothing else."""
    criar_passe(gerente)
    passe_id = _db(app)[PASSES].find_one({})["_id"]
    for caminho, secao in (
        ("/configuracoes/limites", "#limites"),
        ("/configuracoes/passes", "#passes"),
        (f"/configuracoes/passes/{passe_id}/revogar", "#passes"),
    ):
        r = gerente.get(caminho)
        assert r.status_code == 303 and r.headers["Location"].endswith(f"/configuracoes{secao}")
    assert _db(app)[PASSES].count_documents({}) == 1
    assert _db(app)[PASSES].find_one({})["revogado_em"] is None
