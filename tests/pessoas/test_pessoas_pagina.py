"""The manager's `/pessoas` pages and everyone's `/senha`, over HTTP with CSRF on the real mongod:
add (temporary password shown once, changed at the first sign-in), edit, deactivate (open
sessions end at once), reactivate, reset, the record (who, when, from where), the refusals."""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.paginas import csrf_de
from webapp.components import componente
from webapp.fila.domain import Acao, Ator, Conflito, Papel
from webapp.fila.queries import FilaQueries
from webapp.fila.service import FilaService
from webapp.mongo import Mongo
from webapp.pessoas.cli import QUEM
from webapp.pessoas.domain import UsuarioInvalido
from webapp.pessoas.queries import PessoasQueries
from webapp.pessoas.repository import A_MOSTRAR, PessoasRepository
from webapp.pessoas.routes import SENHA_REDEFINIDA
from webapp.pessoas.service import PessoasService

Entrar = Callable[..., TestResponse]
ENDERECO_GERENTE = "10.20.30.40"


def cliente(app: Flask, endereco: str = "127.0.0.1") -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = endereco
    return client


@pytest.fixture
def gerente(app: Flask, usuarios_demo, entrar: Entrar) -> FlaskClient:
    client = cliente(app, ENDERECO_GERENTE)
    assert entrar(client, "gerente", "gerente123").status_code == 302
    return client


def sessao_de(app: Flask, client: FlaskClient) -> dict[str, Any]:
    """What the browser's session cookie says to anyone who reads it (signed, not encrypted)."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)  # type: ignore[attr-defined]


def postar(client: FlaskClient, caminho: str, dados: dict | None = None) -> TestResponse:
    token = csrf_de(client.get("/senha").text)
    return client.post(caminho, data={"csrf_token": token, **(dados or {})})


def senha_mostrada(html: str) -> str:
    achada = re.search(r'<output class="senha-temporaria"[^>]*>([a-z0-9-]+)</output>', html)
    assert achada, "senha temporária não mostrada"
    return achada[1]


def adicionar(gerente: FlaskClient, **campos: str) -> TestResponse:
    dados = {"nome": "Joana Reis", "login": "joana", "papel": "mecanico", "funcionario_id": "105"}
    return postar(gerente, "/pessoas", {**dados, **campos})


def test_gerente_adiciona_e_a_pessoa_troca_a_senha_no_primeiro_acesso(
    app: Flask, gerente: FlaskClient, entrar: Entrar
) -> None:
    r = adicionar(gerente)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    senha = senha_mostrada(r.text)
    assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", senha)
    assert "Joana Reis" in r.text and "troca de senha pendente" in r.text
    assert senha not in gerente.get("/pessoas").text  # shown once

    joana = cliente(app, "10.9.9.9")
    assert entrar(joana, "joana", senha).status_code == 302
    r = joana.get("/")
    assert r.status_code == 302 and r.headers["Location"] == "/senha?next=/"
    r = joana.get("/ordens/abc/acoes", headers={"HX-Request": "true"})
    assert r.status_code == 403 and r.headers["HX-Redirect"].startswith("/senha")
    token = csrf_de(joana.get("/senha").text)
    assert "Sua senha é temporária" in joana.get("/senha").text
    r = joana.post(
        "/senha?next=/",
        data={"csrf_token": token, "senha_atual": senha, "nova": "minha-senha-1",
              "confirmar": "minha-senha-1"},
    )  # fmt: skip
    assert r.status_code == 303 and r.headers["Location"] == "/"
    assert joana.get("/").status_code == 200  # still signed in, under the new stamp
    assert componente(PessoasQueries, app).autenticar("joana", "minha-senha-1") is not None

    pagina = gerente.get("/pessoas").text
    registro = pagina[pagina.index('id="titulo-registro"') :].split("<tbody>")[1]
    linhas = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", t)).strip()
              for t in re.findall(r"<tr>(.*?)</tr>", registro, re.S)]  # fmt: skip
    assert [re.sub(r"^\S+ \S+ ", "", linha) for linha in linhas[:3]] == [
        "Joana Reis Trocou a própria senha Joana Reis 10.9.9.9",
        "Joana Reis Entrou Joana Reis 10.9.9.9",
        "Gabriela Gerente Cadastrou: nome Joana Reis; papel Mecânico; nº de funcionário 105 "
        f"Joana Reis {ENDERECO_GERENTE}",
    ]


def test_senha_temporaria_digitada_sem_hifens_ou_em_maiusculas_ainda_e_ela(
    app: Flask, gerente: FlaskClient, entrar: Entrar
) -> None:
    """Read aloud and typed on a tablet, "k7qm-x4ta-9pwe" comes in as "K7QM X4TA 9PWE" or
    "k7qmx4ta9pwe"; only a temporary password is read so, never one a person chose."""
    senha = senha_mostrada(adicionar(gerente).text)
    digitada = senha.replace("-", "").upper()
    joana = cliente(app, "10.9.9.9")
    errada = senha[:-1] + ("x" if senha[-1] != "x" else "y")  # one letter off: still refused
    assert entrar(joana, "joana", errada.replace("-", "")).status_code == 200
    assert entrar(joana, "joana", digitada).status_code == 302
    pagina = joana.get("/senha").text
    assert "Senha temporária" in pagina and "a mesma com que você entrou" in pagina
    token = csrf_de(pagina)

    def trocar(atual: str, nova: str) -> TestResponse:
        return joana.post(
            "/senha?next=/",
            data={"csrf_token": token, "senha_atual": atual, "nova": nova, "confirmar": nova},
        )

    # The temporary one in another spelling is no new password.
    r = trocar(" ".join(senha.split("-")), senha.replace("-", " ").upper())
    assert r.status_code == 400 and "A nova senha deve ser diferente da atual." in r.text
    assert trocar(digitada.lower(), "abcd-efgh-jkmn").status_code == 303
    assert "Senha temporária" not in joana.get("/senha").text  # her own now: "Senha atual"

    # A password she chose is only what she typed, even one shaped like a temporary one.
    consulta = componente(PessoasQueries, app)
    assert consulta.autenticar("joana", "abcd-efgh-jkmn") is not None
    assert consulta.autenticar("joana", "ABCDEFGHJKMN") is None
    assert consulta.autenticar("joana", senha) is None


@pytest.mark.parametrize(
    ("campos", "campo", "mensagem"),
    [
        ({"nome": ""}, "nome", "Informe o nome."),
        ({"nome": "\x00\x1b\x07"}, "nome", "Informe o nome."),  # nothing left to call her
        ({"login": ""}, "login", "Informe o usuário."),
        ({"login": "a b"}, "login", "Usuário inválido"),
        ({"login": "gerente"}, "login", "Já existe o usuário “gerente”."),
        ({"funcionario_id": "101"}, "funcionario_id", "O funcionário 101 já tem um usuário."),
        ({"funcionario_id": "abc"}, "funcionario_id", "Use um número inteiro positivo"),
        ({"funcionario_id": "-3"}, "funcionario_id", "Use um número inteiro positivo"),
        ({"funcionario_id": "1_01"}, "funcionario_id", "Use um número inteiro positivo"),
        ({"funcionario_id": "١٠١"}, "funcionario_id", "Use um número inteiro positivo"),
        # Past a float's range (309 digits and more): WTForms' NumberRange raised a 500 there.
        ({"funcionario_id": "9" * 400}, "funcionario_id", "Use um número inteiro positivo"),
        ({"papel": "chefe"}, "papel", "Escolha inválida."),
        # A paste too long is refused with its reason (no maxlength cuts it in the browser).
        ({"nome": "Joana " * 20}, "nome", "Use no máximo 80 caracteres."),
        ({"login": "j" * 41}, "login", "Use no máximo 40 caracteres."),
    ],
)
def test_adicionar_recusa_com_a_mensagem_no_campo(
    app: Flask, gerente: FlaskClient, campos: dict, campo: str, mensagem: str
) -> None:
    r = adicionar(gerente, **campos)
    assert r.status_code == 400
    assert "Não foi salvo: corrija os campos marcados." in r.text
    junto = re.search(rf'<p class="erro-campo" id="erro-{campo}">([^<]*)</p>', r.text)
    assert junto and mensagem in junto[1], r.text  # beside its own field
    assert 'class="senha-temporaria"' not in r.text
    assert componente(PessoasQueries, app).obter("joana") is None


def test_adicionar_diz_todos_os_erros_de_uma_vez(app: Flask, gerente: FlaskClient) -> None:
    """An empty name and a malformed login come back together: the login's format was checked
    only once the rest passed, so the second error came on the next submit."""
    r = adicionar(gerente, nome="", login="a b")
    assert r.status_code == 400
    for campo, mensagem in (("nome", "Informe o nome."), ("login", "Usuário inválido")):
        junto = re.search(rf'<p class="erro-campo" id="erro-{campo}">([^<]*)</p>', r.text)
        assert junto and mensagem in junto[1], (campo, r.text)
    # Both unique values taken: both said (the number's came only on the next submit).
    r = adicionar(gerente, login="gerente", funcionario_id="101")
    assert r.status_code == 400
    for campo, mensagem in (
        ("login", "Já existe o usuário “gerente”."),
        ("funcionario_id", "O funcionário 101 já tem um usuário."),
    ):
        junto = re.search(rf'<p class="erro-campo" id="erro-{campo}">([^<]*)</p>', r.text)
        assert junto and mensagem in html.unescape(junto[1]), (campo, r.text)


def test_nenhum_campo_corta_o_que_se_cola(app: Flask, gerente: FlaskClient, api) -> None:
    """No text field has a maxlength, which cuts a paste without a word: the server refuses a
    text too long with its reason and gives it back whole. (The board's search keeps one: a
    filter, whose longer text the server would drop.)"""
    fila_id = api.criar(640)["fila_id"]
    paginas = ["/pessoas", "/pessoas/mecanico", "/configuracoes", "/", "/senha"]
    paginas.append(f"/ordens/{fila_id}")
    for caminho in paginas:
        r = gerente.get(caminho)
        assert r.status_code == 200, caminho
        campos = re.findall(r"<(?:input|textarea)\b[^>]*>", r.text)
        assert campos, caminho
        assert [c for c in campos if "maxlength" in c and 'id="busca"' not in c] == [], caminho


def test_nome_sem_caracteres_de_controle(app: Flask, gerente: FlaskClient) -> None:
    """A name is stored without control characters: an escape typed into /pessoas reaches
    no terminal that lists the people (`flask list-users`)."""
    assert adicionar(gerente, nome="\x1b[2JJoana\x07 Reis\t").status_code == 200
    assert componente(PessoasQueries, app).obter("joana").nome == "[2JJoana Reis"
    r = app.test_cli_runner().invoke(args=["list-users"])
    assert "[2JJoana Reis" in r.output and "\x1b" not in r.output


def test_editar_nome_mantem_a_sessao_e_mudar_o_papel_encerra(
    app: Flask, gerente: FlaskClient, usuarios_demo, entrar: Entrar
) -> None:
    marcos = cliente(app)
    entrar(marcos, "mecanico", "mecanico123")
    r = postar(
        gerente,
        "/pessoas/mecanico",
        {"nome": "Marcos Silva", "papel": "mecanico", "funcionario_id": "111"},
    )
    assert r.status_code == 303 and r.headers["Location"] == "/pessoas/mecanico"
    assert marcos.get("/").status_code == 200  # a new name keeps the session
    usuario = componente(PessoasQueries, app).obter("mecanico")
    assert (usuario.nome, usuario.funcionario_id) == ("Marcos Silva", 111)

    r = postar(gerente, "/pessoas/mecanico", {"nome": "Marcos Silva", "papel": "gerente"})
    assert r.status_code == 303
    r = marcos.get("/")
    assert r.status_code == 302 and r.headers["Location"].startswith("/entrar")
    usuario = componente(PessoasQueries, app).obter("mecanico")
    assert usuario.e_gerente and usuario.funcionario_id is None  # blank: no number
    pagina = gerente.get("/pessoas/mecanico").text
    assert "Alterou o cadastro: papel Mecânico → Gerente; nº de funcionário 111 → —" in pagina
    assert (
        "Alterou o cadastro: nome Marcos Mecânico → Marcos Silva; nº de funcionário 101 → 111"
        in (pagina)
    )


def test_edicao_feita_numa_pagina_antiga_nao_desfaz_a_de_outro_gerente(
    app: Flask, gerente: FlaskClient, usuarios_demo
) -> None:
    """Two managers open Marcos's page; one makes him a manager, the other then saves a new
    name from the page drawn before: refused (it would have put the old role back), with the
    reason; from the page as it is now, the name is saved and the role kept."""
    pagina = gerente.get("/pessoas/mecanico").text
    versao = re.search(r'name="versao"[^>]*value="(\d+)"', pagina).group(1)
    componente(PessoasService, app).editar("mecanico", "Marcos Mecânico", "gerente", 101, QUEM)
    r = postar(
        gerente,
        "/pessoas/mecanico",
        {"versao": versao, "nome": "Marcos Silva", "papel": "mecanico", "funcionario_id": "101"},
    )
    assert r.status_code == 409
    assert "Este cadastro mudou enquanto você editava (outra pessoa salvou)" in r.text
    assert "corrija os campos marcados" not in r.text  # no field is wrong
    usuario = componente(PessoasQueries, app).obter("mecanico")
    assert usuario.e_gerente and usuario.nome == "Marcos Mecânico"  # the other's save stands
    # The page answered is the record as it is now, with its version: saved from it, taken
    # (the old form came back, refused at every save).
    atual = re.search(r'name="versao"[^>]*value="(\d+)"', r.text)
    assert re.search(
        r'<option[^>]*selected[^>]*value="gerente"|<option[^>]*value="gerente"[^>]*selected', r.text
    )
    r = postar(
        gerente,
        "/pessoas/mecanico",
        {
            "versao": atual.group(1),
            "nome": "Marcos Silva",
            "papel": "gerente",
            "funcionario_id": "101",
        },
    )
    assert r.status_code == 303
    usuario = componente(PessoasQueries, app).obter("mecanico")
    assert usuario.e_gerente and usuario.nome == "Marcos Silva"


@pytest.mark.parametrize("versao", ["999999999999999", "abc", "1e9", "-1"])
def test_versao_que_nenhuma_pagina_desenhou_e_recusada(
    app: Flask, gerente: FlaskClient, usuarios_demo, versao: str
) -> None:
    """A version edited by hand (past any date, not a number) is a record that changed since:
    the reason, nothing saved; before, one past the year 9999 was a 500."""
    r = postar(
        gerente,
        "/pessoas/mecanico",
        {"versao": versao, "nome": "Outro Nome", "papel": "mecanico", "funcionario_id": "101"},
    )
    assert r.status_code == 409
    assert "Este cadastro mudou enquanto você editava" in r.text
    assert componente(PessoasQueries, app).obter("mecanico").nome == "Marcos Mecânico"


def test_desativar_encerra_a_sessao_aberta_e_impede_a_entrada(
    app: Flask, gerente: FlaskClient, usuarios_demo, entrar: Entrar
) -> None:
    marcos = cliente(app)
    entrar(marcos, "mecanico", "mecanico123")
    assert marcos.get("/").status_code == 200
    # One tap does not do it: "Desativar" opens its confirmation (a <details>, without
    # JavaScript too), which names the person and what follows.
    pagina = gerente.get("/pessoas/mecanico").text
    confirmar = re.search(r'<details class="form-extra">\s*<summary class="botao perigo">'
                          r"Desativar</summary>(.*?)</details>", pagina, re.S)  # fmt: skip
    assert confirmar and "Desativar Marcos Mecânico?" in confirmar[1]
    assert "Confirmar desativação" in confirmar[1]
    r = postar(gerente, "/pessoas/mecanico/desativar")
    assert r.status_code == 303
    pagina = gerente.get(r.headers["Location"]).text
    assert "O acesso de Marcos Mecânico foi desativado: as sessões abertas terminaram." in pagina
    assert "<strong>Acesso desativado</strong>: não consegue entrar" in pagina
    # The open session is refused at its next request, whatever kind of request it is.
    r = marcos.get("/")
    assert r.status_code == 302 and r.headers["Location"].startswith("/entrar")
    r = marcos.get("/historico", headers={"HX-Request": "true"})
    assert r.status_code == 401
    assert marcos.get("/eventos", headers={"Accept": "application/json"}).status_code == 401
    assert "Usuário inativo" in entrar(cliente(app), "mecanico", "mecanico123").text

    assert postar(gerente, "/pessoas/mecanico/reativar").status_code == 303
    assert entrar(cliente(app), "mecanico", "mecanico123").status_code == 302
    assert marcos.get("/").status_code == 302  # the old session stays ended


def test_redefinir_senha_mostra_uma_vez_e_encerra_as_sessoes(
    app: Flask, gerente: FlaskClient, usuarios_demo, entrar: Entrar
) -> None:
    marcos = cliente(app)
    entrar(marcos, "mecanico", "mecanico123")
    r = postar(gerente, "/pessoas/mecanico/senha")
    # Post, redirect, get: reloading the page that shows it resends nothing (a reload of the
    # POST's own answer made a second password, and the one handed over stopped working).
    assert r.status_code == 303 and r.headers["Location"] == "/pessoas/mecanico"
    # Over that redirect, neither the signed (readable) cookie nor the database holds it.
    levado = sessao_de(app, gerente)[SENHA_REDEFINIDA]
    guardado = componente(Mongo, app).db[A_MOSTRAR].find_one()
    r = gerente.get("/pessoas/mecanico")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    senha = senha_mostrada(r.text)
    assert senha not in str(levado) and senha not in str(guardado)
    assert senha.encode().hex() not in str(levado) + str(guardado)
    assert componente(Mongo, app).db[A_MOSTRAR].count_documents({}) == 0  # shown once, gone
    assert marcos.get("/").status_code == 302
    assert "Usuário ou senha incorretos." in entrar(cliente(app), "mecanico", "mecanico123").text
    novo = cliente(app)
    assert entrar(novo, "mecanico", senha).status_code == 302
    assert novo.get("/").headers["Location"] == "/senha?next=/"
    assert senha not in gerente.get("/pessoas/mecanico").text


def test_ninguem_se_desativa_nem_muda_o_proprio_papel(app: Flask, gerente: FlaskClient) -> None:
    pagina = gerente.get("/pessoas/gerente").text
    assert "Desativar" not in pagina and "Você não pode alterar o seu próprio papel." in pagina
    r = postar(gerente, "/pessoas/gerente/desativar")
    assert (
        "Você não pode desativar o seu próprio usuário." in gerente.get(r.headers["Location"]).text
    )
    r = postar(gerente, "/pessoas/gerente", {"nome": "Gabriela", "papel": "mecanico"})
    assert r.status_code == 400 and "Você não pode alterar o seu próprio papel." in r.text
    usuario = componente(PessoasQueries, app).obter("gerente")
    assert usuario.ativo and usuario.e_gerente and usuario.nome == "Gabriela Gerente"


def test_ninguem_redefine_a_propria_senha(
    app: Flask, gerente: FlaskClient, usuarios_demo, entrar: Entrar
) -> None:
    """ "Redefinir senha" on one's own page ended one's own session before the new password
    could be shown, and the old one no longer opened: a manager locked out. One's own page
    offers "Trocar a minha senha" (/senha); a reset posted anyway is refused, saying where."""
    pagina = gerente.get("/pessoas/gerente").text
    assert "Redefinir senha" not in pagina and 'href="/senha"' in pagina
    r = postar(gerente, "/pessoas/gerente/senha")
    assert r.status_code == 303
    assert "use “Trocar senha”" in gerente.get(r.headers["Location"]).text  # still signed in
    assert entrar(cliente(app), "gerente", "gerente123").status_code == 302  # old one works


def test_pessoa_desconhecida_da_404(gerente: FlaskClient) -> None:
    r = gerente.get("/pessoas/ninguem")
    assert r.status_code == 404 and "Usuário “ninguem” não encontrado." in r.text
    assert postar(gerente, "/pessoas/ninguem/desativar").status_code == 404
    # A crafted link's invisible characters are not echoed: a right-to-left mark would turn
    # the sentence around, an escape reach a terminal.
    r = gerente.get("/pessoas/%E2%80%AEabc%00%1b%5b31m")
    assert r.status_code == 404
    assert "Usuário “abc[31m” (com caracteres invisíveis) não encontrado." in r.text
    assert "\u202e" not in r.text and "\x00" not in r.text and "\x1b" not in r.text
    assert "Usuário não encontrado." in gerente.get("/pessoas/%E2%80%8B").text
    # A person who exists, with a NUL after the login: not said as if "gerente" did not.
    r = gerente.get("/pessoas/gerente%00")
    assert r.status_code == 404
    assert "Usuário “gerente” (com caracteres invisíveis) não encontrado." in r.text


ROTAS = [
    ("GET", "/pessoas"),
    ("GET", "/pessoas/gerente"),
    ("POST", "/pessoas"),
    ("POST", "/pessoas/gerente"),
    ("POST", "/pessoas/gerente/desativar"),
    ("POST", "/pessoas/mecanico2/reativar"),
    ("POST", "/pessoas/gerente/senha"),
]


def test_mecanico_recebe_403_em_toda_rota_de_pessoas(
    app: Flask, usuarios_demo, entrar: Entrar
) -> None:
    componente(PessoasRepository, app).definir_ativo("mecanico2", False)
    marcos = cliente(app)
    entrar(marcos, "mecanico", "mecanico123")
    token = csrf_de(marcos.get("/").text)
    dados = {"csrf_token": token, "nome": "X", "login": "x", "papel": "admin"}
    for metodo, caminho in ROTAS:
        r = marcos.open(caminho, method=metodo, data=dados if metodo == "POST" else None)
        assert r.status_code == 403, (metodo, caminho, r.status_code)
        assert "Apenas gerentes podem acessar esta página." in r.text
    q = componente(PessoasQueries, app)
    assert q.obter("x") is None and q.obter("gerente").ativo and q.obter("gerente").e_gerente
    assert not q.obter("mecanico2").ativo
    acoes = [r["acao"] for r in q.registros()]
    assert acoes and set(acoes) == {"entrar"}  # the refused requests changed nobody
    assert "Pessoas" not in marcos.get("/").text.split('class="links"')[1].split("</nav>")[0]


@pytest.mark.parametrize(
    ("atual", "nova", "confirmar", "campo", "mensagem"),
    [
        ("errada-123", "nova-senha-1", "nova-senha-1", "senha_atual",
         "A senha atual não confere."),
        ("mecanico123", "nova-senha-1", "outra-senha-1", "confirmar",
         "As duas senhas não são iguais."),
        ("mecanico123", "curta", "curta", "nova", "A senha deve ter de 8 a 200 caracteres."),
        ("mecanico123", "mecanico123", "mecanico123", "nova",
         "A nova senha deve ser diferente da atual."),
        ("mecanico123", "\x00" * 10, "\x00" * 10, "nova", "A senha não pode ter caracteres"),
        ("mecanico123", "\u200b" * 8, "\u200b" * 8, "nova", "A senha não pode ter caracteres"),
    ],
)  # fmt: skip
def test_trocar_a_propria_senha_recusa(
    app: Flask, usuarios_demo, entrar: Entrar, atual, nova, confirmar, campo, mensagem
) -> None:
    marcos = cliente(app)
    entrar(marcos, "mecanico", "mecanico123")
    r = postar(marcos, "/senha", {"senha_atual": atual, "nova": nova, "confirmar": confirmar})
    assert r.status_code == 400 and "A senha não foi trocada" in r.text
    assert re.search(rf'<p class="erro-campo" id="{campo}-erro">{mensagem}', r.text), r.text
    # The focus on the first field to fix (the keyboard where the fix is), and only there.
    assert re.findall(r"<input[^>]*\bautofocus\b[^>]*>", r.text) == re.findall(
        rf'<input[^>]*id="{campo}"[^>]*>', r.text
    )
    # The length rule said before a refusal does, beside its field's label.
    assert 'Nova senha <span class="opcional">(de 8 a 200 caracteres)</span>' in r.text
    assert componente(PessoasQueries, app).autenticar("mecanico", "mecanico123") is not None
    assert marcos.get("/").status_code == 200


def test_adivinhar_a_senha_atual_tem_os_limites_da_entrada(
    app: Flask, usuarios_demo, entrar: Entrar
) -> None:
    """A session left open on a tablet is no way to guess its owner's password: /senha counts
    each wrong current password as /entrar does (5 a minute per person and address), then
    answers 429 with Retry-After without even trying the next one, the right one included;
    and those failures count at /entrar too."""
    marcos = cliente(app)
    entrar(marcos, "mecanico", "mecanico123")
    for n in range(5):
        r = postar(marcos, "/senha", {"senha_atual": f"chute-{n}", "nova": "nova-senha-1",
                                      "confirmar": "nova-senha-1"})  # fmt: skip
        assert r.status_code == 400 and "A senha atual não confere." in r.text
    r = postar(marcos, "/senha", {"senha_atual": "mecanico123", "nova": "nova-senha-1",
                                  "confirmar": "nova-senha-1"})  # fmt: skip
    assert r.status_code == 429 and r.headers["Retry-After"] == "60"
    assert "Muitas tentativas. Aguarde um minuto e tente novamente." in r.text
    assert componente(PessoasQueries, app).autenticar("mecanico", "mecanico123") is not None
    outra = cliente(app)
    assert entrar(outra, "mecanico", "mecanico123").status_code == 429  # same person, address


def test_estranho_nao_trava_a_troca_de_senha_de_quem_esta_dentro(
    app: Flask, usuarios_demo, entrar: Entrar
) -> None:
    """A stranger guessing a person's password from many addresses slows new devices down at
    /entrar, never the person already signed in: their own session proves the device, so
    changing their password (the only page a temporary one opens) still works."""
    marcos = cliente(app)
    entrar(marcos, "mecanico", "mecanico123")
    for n in range(12):
        estranho = cliente(app, endereco=f"10.9.0.{n + 1}")
        entrar(estranho, "mecanico", f"chute-{n}")
    assert entrar(cliente(app, endereco="10.9.1.1"), "mecanico", "mecanico123").status_code == 429
    r = postar(marcos, "/senha", {"senha_atual": "mecanico123", "nova": "nova-senha-1",
                                  "confirmar": "nova-senha-1"})  # fmt: skip
    assert r.status_code == 303, r.text
    assert componente(PessoasQueries, app).autenticar("mecanico", "nova-senha-1") is not None


# --- The boundary between managers and admins ------------------------------------------------


def _admin(app: Flask, login: str, entrar: Entrar | None = None) -> FlaskClient | None:
    componente(PessoasRepository, app).criar(login, f"Admin {login}", "senha-admin-1", "admin")
    if entrar is None:
        return None
    client = cliente(app, "10.0.0.77")
    assert entrar(client, login, "senha-admin-1").status_code == 302
    return client


def test_gerente_nao_cria_promove_nem_mexe_em_admin(
    app: Flask, gerente: FlaskClient, entrar: Entrar
) -> None:
    """A rogue or careless manager can neither make an admin nor touch one: creating, promoting,
    editing, demoting, resetting (then signing in as them) or deactivating an admin is refused
    with the reason, and nothing changes."""
    _admin(app, "ana")
    pessoas = componente(PessoasQueries, app)
    apenas = "Apenas um administrador pode"
    r = adicionar(gerente, login="intruso", papel="admin", funcionario_id="")
    assert r.status_code == 400 and apenas in r.text and pessoas.obter("intruso") is None
    r = postar(gerente, "/pessoas/mecanico", {"nome": "Marcos", "papel": "admin"})
    assert r.status_code == 400 and apenas in r.text
    assert pessoas.obter("mecanico").papel.value == "mecanico"
    for dados in (
        {"nome": "Ana Rebaixada", "papel": "mecanico"},
        {"nome": "Outra", "papel": "admin"},
    ):
        r = postar(gerente, "/pessoas/ana", dados)
        assert r.status_code == 400 and apenas in r.text
    for acao in ("senha", "desativar"):
        r = postar(gerente, f"/pessoas/ana/{acao}")
        assert r.status_code == 303 and apenas in gerente.get(r.headers["Location"]).text
    ana = pessoas.obter("ana")
    assert (ana.nome, ana.papel.value, ana.ativo, ana.deve_trocar_senha) == (
        "Admin ana", "admin", True, False,
    )  # fmt: skip
    assert entrar(cliente(app, "10.0.0.78"), "ana", "senha-admin-1").status_code == 302


def _papeis_oferecidos(pagina: str) -> list[str]:
    select = re.search(r'<select[^>]*name="papel".*?</select>', pagina, re.S)
    assert select is not None
    return re.findall(r'<option[^>]*value="([^"]+)"', select.group(0))


def test_so_admin_ve_o_papel_administrador(
    app: Flask, gerente: FlaskClient, entrar: Entrar
) -> None:
    """A manager is not offered a role the service would refuse, nor, on an admin's page, a
    form or a button it would refuse: that page reads as a record, with the reason; an admin
    sees it all."""
    admin = _admin(app, "ana", entrar)
    assert admin is not None
    assert _papeis_oferecidos(gerente.get("/pessoas").text) == ["mecanico", "gerente"]
    assert _papeis_oferecidos(gerente.get("/pessoas/mecanico").text) == ["mecanico", "gerente"]
    ana = gerente.get("/pessoas/ana").text
    assert "<dt>Papel</dt><dd>Administrador</dd>" in ana
    assert "Só um administrador altera o cadastro" in ana
    assert not re.search(r'<form[^>]*action="/pessoas/ana', ana), ana
    assert "Redefinir senha" not in ana and "Desativar" not in ana
    pela_admin = admin.get("/pessoas/ana").text
    assert "admin" in _papeis_oferecidos(pela_admin) and "Só um administrador" not in pela_admin
    assert _papeis_oferecidos(admin.get("/pessoas").text) == ["mecanico", "gerente", "admin"]
    marcos = gerente.get("/pessoas/mecanico").text  # not an admin: everything, each asked first
    for resumo, destino in (("Redefinir senha", "senha"), ("Desativar", "desativar")):
        assert re.search(
            rf'<details class="form-extra">\s*<summary[^>]*>{resumo}</summary>\s*'
            rf'<form method="post" action="/pessoas/mecanico/{destino}"',
            marcos,
        ), resumo


def test_admin_gerencia_admins_mas_nunca_remove_o_ultimo(app: Flask, entrar: Entrar) -> None:
    admin = _admin(app, "ana", entrar)
    assert admin is not None
    pessoas = componente(PessoasQueries, app)
    r = postar(admin, "/pessoas", {"nome": "Bia", "login": "bia", "papel": "admin"})
    assert r.status_code == 200 and pessoas.obter("bia").papel.value == "admin"
    r = postar(admin, "/pessoas/bia", {"nome": "Bia", "papel": "gerente"})  # demote: two admins
    assert r.status_code == 303 and pessoas.obter("bia").papel.value == "gerente"
    postar(admin, "/pessoas/bia", {"nome": "Bia", "papel": "admin"})
    assert postar(admin, "/pessoas/bia/desativar").status_code == 303
    assert not pessoas.obter("bia").ativo
    # Ana is now the last active admin: the command line cannot demote or deactivate her.
    servico = componente(PessoasService, app)  # as the command line calls it (cli.QUEM)
    ultimo = "último administrador ativo"
    with pytest.raises(UsuarioInvalido, match=ultimo):
        servico.editar("ana", "Ana", "gerente", None, QUEM)
    with pytest.raises(UsuarioInvalido, match=ultimo):
        servico.definir_ativo("ana", False, QUEM)
    # Nor the repository underneath, whoever calls it.
    with pytest.raises(UsuarioInvalido, match=ultimo):
        componente(PessoasRepository, app).definir_ativo("ana", False)
    ana = pessoas.obter("ana")
    assert ana.ativo and ana.papel.value == "admin"


def _rebaixar(app: Flask, login: str, largada: threading.Barrier, erros: list[str]) -> None:
    largada.wait()
    try:
        componente(PessoasService, app).editar(login, login, "gerente", None, QUEM)
    except UsuarioInvalido as erro:
        erros.append(str(erro))


def test_dois_rebaixamentos_simultaneos_deixam_um_admin(app: Flask) -> None:
    """Two admins demoted at the same instant by two others: one change is refused, never both
    applied (the guard document serializes them inside their transactions)."""
    for rodada in range(5):
        a, b = f"a{rodada}", f"b{rodada}"
        _admin(app, a)
        _admin(app, b)
        for outro in componente(PessoasQueries, app).listar():
            if outro.papel.value == "admin" and outro.login not in (a, b) and outro.ativo:
                componente(PessoasRepository, app).definir_ativo(outro.login, False)
        largada, erros = threading.Barrier(2), []
        fios = [threading.Thread(target=_rebaixar, args=(app, x, largada, erros)) for x in (a, b)]
        for fio in fios:
            fio.start()
        for fio in fios:
            fio.join(timeout=30)
        admins = [
            u.login
            for u in componente(PessoasQueries, app).listar()
            if u.papel.value == "admin" and u.ativo
        ]
        assert len(admins) == 1 and len(erros) == 1, (rodada, admins, erros)


def test_numero_de_quem_tem_ordens_abertas_nao_muda(
    app: Flask, gerente: FlaskClient, usuarios_demo, api
) -> None:
    """A mechanic's number is what their open orders carry: changed while he holds one, the
    order went to "Mecânico nº 101", then to whoever was given 101 next. Refused, with what to
    do first; once the order is another's, the number changes."""
    fila_id = api.criar(9701)["fila_id"]
    api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 101})
    pagina = gerente.get("/pessoas/mecanico").text
    versao = re.search(r'name="versao"[^>]*value="(\d+)"', pagina).group(1)
    dados = {"versao": versao, "nome": "Marcos Mecânico", "papel": "mecanico"}
    r = postar(gerente, "/pessoas/mecanico", {**dados, "funcionario_id": "111"})
    assert r.status_code == 400
    assert "Marcos Mecânico tem 1 ordem aberta com o nº 101: atribua-a a outro mecânico" in r.text
    assert componente(PessoasQueries, app).obter("mecanico").funcionario_id == 101
    api.post(f"/fila-execucao/{fila_id}/atribuir", json={"mecanico_responsavel_id": 102})
    r = postar(gerente, "/pessoas/mecanico", {**dados, "funcionario_id": "111"})
    assert r.status_code == 303
    assert componente(PessoasQueries, app).obter("mecanico").funcionario_id == 111


def _corrida_do_numero(app: Flask, primeiro: str) -> tuple[list, list]:
    """A manager changes Marcos's number (101 -> 111) while Marcos starts a diagnosis with his
    number as his session knew it, each landing in the middle of the other's transaction:
    `primeiro` "numero" lets the change write the person first, "passo" the step write it
    first. The other then runs in a thread for 0.5 s before the first goes on. Their outcomes:
    (the change's, the step's), each ["ok"] or [the refusal]."""
    fila = componente(FilaService, app)
    fila_id = fila.adicionar(9721, Ator("teste", Papel.GERENTE))["_id"]
    marcos = componente(PessoasQueries, app).obter("mecanico").ator
    servico = componente(PessoasService, app)
    repo = componente(PessoasRepository, app)
    mudanca: list = []
    passo: list = []
    fios: list[threading.Thread] = []

    def mudar() -> None:
        try:
            servico.editar("mecanico", "Marcos Mecânico", "mecanico", 111, Ator("g", Papel.ADMIN))
            mudanca.append("ok")
        except UsuarioInvalido as erro:
            mudanca.append(str(erro))

    def iniciar() -> None:
        try:
            fila.executar(fila_id, Acao.INICIAR_DIAGNOSTICO, marcos)
            passo.append("ok")
        except Conflito as erro:
            passo.append(erro.mensagem)

    def no_meio(outro: Callable[[], None]) -> None:
        if fios:
            return  # once: a transaction retried does not start the other again
        fios.append(threading.Thread(target=outro))
        fios[0].start()
        fios[0].join(timeout=0.5)  # blocked by the first's write, or done: either way, go on

    contar, reservar = repo.abertas_do_mecanico, fila.reservar_numero
    if primeiro == "numero":

        def contar_no_meio(numero: int, sessao: Any) -> int:
            no_meio(iniciar)
            return contar(numero, sessao)

        repo.abertas_do_mecanico = contar_no_meio
        mudar()
    else:

        def reservar_no_meio(numero: int, dono: str | None, sessao: Any) -> bool:
            feito = reservar(numero, dono, sessao)
            no_meio(mudar)
            return feito

        fila.reservar_numero = reservar_no_meio
        iniciar()
    repo.abertas_do_mecanico, fila.reservar_numero = contar, reservar
    fios[0].join(timeout=30)
    return mudanca, passo


@pytest.mark.parametrize("primeiro", ["numero", "passo"])
def test_numero_que_muda_enquanto_o_mecanico_inicia_um_passo(
    app: Flask, usuarios_demo, primeiro: str
) -> None:
    """A manager changes a mechanic's number while he starts a diagnosis with it: one of the
    two applies, never both (the order would carry a number nobody has, README "a mechanic's
    number does not change while open orders carry it"). The step and the change write the
    same person in their transactions, so whichever comes second sees the first."""
    mudanca, passo = _corrida_do_numero(app, primeiro)
    numero = componente(PessoasQueries, app).obter("mecanico").funcionario_id
    abertas = componente(FilaQueries, app).abertas_do_mecanico
    if primeiro == "numero":
        assert mudanca == ["ok"] and numero == 111
        assert passo == ["O seu número de mecânico acabou de mudar; nada foi salvo. Toque de novo."]
        assert abertas(101) == 0
    else:
        assert passo == ["ok"] and numero == 101 and abertas(101) == 1
        assert len(mudanca) == 1 and "tem 1 ordem aberta com o nº 101" in mudanca[0]


def test_desativar_quem_tem_ordens_abertas_diz_quais_atribuir(
    app: Flask, gerente: FlaskClient, usuarios_demo, api
) -> None:
    """Deactivated, a mechanic leaves the board's filter and the assignment's list, while the
    cars in their hands stay theirs (nobody's work moves without a manager's choice; the TV's
    "Em serviço" still counts them there): whoever deactivates them is told how many, and what
    to do."""
    for os_id in (9711, 9712):
        fila_id = api.criar(os_id)["fila_id"]
        api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 102})
    # Said in the confirmation too, before it is too late to think again (only after, before).
    confirmacao = gerente.get("/pessoas/mecanico2").text
    assert (
        "a pessoa não consegue mais entrar (dá para reativar depois). Paula Pereira tem 2 "
        "ordens abertas com o nº 102: atribua-as a outro mecânico"
    ) in confirmacao
    r = postar(gerente, "/pessoas/mecanico2/desativar")
    pagina = gerente.get(r.headers["Location"]).text
    assert (
        "O acesso de Paula Pereira foi desativado: as sessões abertas terminaram. Paula Pereira "
        "tem 2 ordens abertas com o nº 102: atribua-as a outro mecânico (em “Mais…” no quadro)."
    ) in pagina
    assert componente(FilaQueries, app).abertas_do_mecanico(102) == 2  # still hers
    # The command line says it too.
    runner = app.test_cli_runner()
    assert runner.invoke(args=["reactivate-user", "--login", "mecanico2"]).exit_code == 0
    r = runner.invoke(args=["deactivate-user", "--login", "MECANICO2"])
    assert r.exit_code == 0 and r.output == (
        "Usuário mecanico2 desativado (sessões encerradas).\nPaula Pereira tem 2 ordens abertas "
        "com o nº 102: atribua-as a outro mecânico (em “Mais…” no quadro).\n"
    )


def test_nomes_em_ordem_alfabetica_portuguesa(app: Flask, gerente: FlaskClient) -> None:
    """People are listed as a Portuguese reader expects: "Ângela" among the A's, "João"
    before "José" (code points put "Ângela" last and "José" first)."""
    servico = componente(PessoasService, app)
    for n, nome in enumerate(("Ângela Dias", "José Lima", "João Pedro", "Zuleica Reis")):
        servico.criar(f"ordem{n}", nome, "mecanico", 600 + n, QUEM)
    nomes = [u.nome for u in componente(PessoasQueries, app).listar()]
    assert nomes.index("Ângela Dias") < nomes.index("Gabriela Gerente")
    assert nomes.index("João Pedro") < nomes.index("José Lima") < nomes.index("Zuleica Reis")
    ativos = [nome for _, nome, _ in componente(PessoasQueries, app).mecanicos_ativos()]
    assert ativos.index("Ângela Dias") < ativos.index("João Pedro") < ativos.index("José Lima")


def test_senha_so_de_espacos_diz_por_que(app: Flask, usuarios_demo, entrar) -> None:
    """Eight spaces were told "Escolha a nova senha.", as if nothing had been typed."""
    client = app.test_client()
    assert entrar(client, "mecanico", "mecanico123").status_code == 302
    dados = {"senha_atual": "mecanico123", "nova": " " * 8, "confirmar": " " * 8}
    r = postar(client, "/senha", dados)
    assert "A senha não pode ser só espaços." in r.text, r.text
    assert "Escolha a nova senha." not in r.text
    assert entrar(app.test_client(), "mecanico", "mecanico123").status_code == 302  # unchanged


def test_mecanico_promovido_com_ordens_abertas_ouve_o_que_fazer(
    app: Flask, gerente: FlaskClient, usuarios_demo, api
) -> None:
    """Made a manager, a mechanic leaves the board's list of mechanics (its filter, the TV's
    loads) while the cars in their hands stay theirs: whoever saved it is told how many and
    what to do, as on a deactivation; without open orders, only "salvo"."""
    for os_id in (9721, 9722, 9723):
        fila_id = api.criar(os_id)["fila_id"]
        api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 102})
    dados = {"nome": "Paula Pereira", "papel": "gerente", "funcionario_id": "102"}
    r = postar(gerente, "/pessoas/mecanico2", dados)
    assert r.status_code == 303
    pagina = gerente.get(r.headers["Location"]).text
    assert (
        "Cadastro de Paula Pereira salvo. Paula Pereira tem 3 ordens abertas com o nº 102: "
        "atribua-as a outro mecânico (em “Mais…” no quadro)."
    ) in pagina
    assert componente(FilaQueries, app).abertas_do_mecanico(102) == 3  # still hers
    runner = app.test_cli_runner()  # the command line says it too
    args = ["edit-user", "--login", "mecanico2", "--papel"]
    assert runner.invoke(args=[*args, "mecanico"]).exit_code == 0
    r = runner.invoke(args=[*args, "gerente"])
    assert r.exit_code == 0 and r.output.endswith(
        "Paula Pereira tem 3 ordens abertas com o nº 102: atribua-as a outro mecânico (em “Mais…” "
        "no quadro).\n"
    ), r.output
    r = postar(gerente, "/pessoas/mecanico2", {**dados, "nome": "Paula P. Pereira"})
    assert "Cadastro de Paula P. Pereira salvo.</p>" in gerente.get(r.headers["Location"]).text
    r = postar(gerente, "/pessoas/mecanico", {"nome": "Marcos Mecânico", "papel": "gerente",
                                              "funcionario_id": "101"})  # fmt: skip
    assert "Cadastro de Marcos Mecânico salvo.</p>" in gerente.get(r.headers["Location"]).text
