"""Sign-in over HTTP with CSRF enabled, on the real MongoDB: login, logout, throttling, cookie
flags, session rotation, open redirects, manager-only views."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_login import current_user, login_required
from werkzeug.test import TestResponse

from tests.paginas import csrf_de
from webapp.auth import exigir_gerente
from webapp.clock import Clock
from webapp.components import componente
from webapp.fila.domain import Ator, Papel, Prioridade
from webapp.fila.service import FilaService
from webapp.mongo import Mongo
from webapp.pessoas.queries import PessoasQueries
from webapp.pessoas.repository import PessoasRepository
from webapp.pessoas.service import PessoasService
from webapp.sessao.repository import (
    CONTA_ESPERA_MAX_S,
    CONTA_LIVRES,
    LIMITE_FALHAS,
    LIMITE_POR_ENDERECO,
    SessoesRepository,
)
from webapp.settings import ConfigError, load_settings

FALHA = "Usuário ou senha incorretos."
LIMITE = "Muitas tentativas. Aguarde um minuto e tente novamente."
CSRF = "Sessão expirada ou formulário inválido; recarregue a página."

Entrar = Callable[..., TestResponse]


def _rotas_de_teste(app: Flask) -> None:
    """A signed-in-only page and a manager-only page, as the board and settings will have."""

    @login_required
    def quem() -> str:
        return f"{current_user.login}|{current_user.papel}"

    @exigir_gerente
    def gerencia() -> str:
        return "área do gerente"

    app.add_url_rule("/_teste/quem", view_func=quem)
    app.add_url_rule("/_teste/gerencia", view_func=gerencia)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    app = make_app()
    _rotas_de_teste(app)
    return app


@pytest.fixture
def demo(usuarios_demo: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return usuarios_demo


def _quem(client: FlaskClient) -> str | None:
    r = client.get("/_teste/quem")
    return r.text if r.status_code == 200 else None


def _cliente(app: Flask, endereco: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = endereco
    return client


def _sessao(app: Flask, client: FlaskClient) -> dict[str, Any]:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return dict(app.session_interface.get_signing_serializer(app).loads(cookie.value))


# --- Signing in ----------------------------------------------------------------------------------


def test_pagina_de_entrada_acessivel(client: FlaskClient) -> None:
    r = client.get("/entrar")
    assert r.status_code == 200
    html = r.text
    assert (
        '<label for="login">Usuário</label>' in html and '<label for="senha">Senha</label>' in html
    )
    assert 'autocomplete="username"' in html and 'autocomplete="current-password"' in html
    assert 'type="password"' in html
    assert re.search(r'<input[^>]*autofocus[^>]*id="login"', html)
    # The server's messages in Portuguese, never the browser's bubble in its own language.
    assert re.search(r"<form[^>]*novalidate", html)
    assert 'name="csrf_token"' in html and csrf_de(html)
    assert "<script>" not in html and "style=" not in html


def test_entrar_com_sucesso(client: FlaskClient, demo: dict, entrar: Entrar) -> None:
    r = entrar(client, "Mecanico", "mecanico123")  # the login is case-insensitive
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert _quem(client) == "mecanico|mecanico"
    quadro = client.get("/")
    assert quadro.status_code == 200
    assert "Marcos Mecânico" in quadro.text and "Mecânico" in quadro.text
    assert 'action="/sair"' in quadro.text  # the "Sair" button, a POST form
    # Signed in, /entrar sends people on to the board.
    assert client.get("/entrar").headers["Location"] == "/"


@pytest.mark.parametrize(("login", "senha"), [("mecanico", "errada123"), ("ninguem", "x1234567")])
def test_senha_errada_e_usuario_desconhecido_mesma_mensagem(
    client: FlaskClient, demo: dict, entrar: Entrar, login: str, senha: str
) -> None:
    r = entrar(client, login, senha)
    assert r.status_code == 200
    assert FALHA in r.text and 'aria-invalid="true"' in r.text
    assert f'value="{login}"' in r.text  # the login stays typed; the password never comes back
    assert senha not in r.text
    # ... and the focus is on the password, to type again (it was on the login).
    assert re.search(r'<input[^>]*autofocus[^>]*id="senha"', r.text)
    assert not re.search(r'<input[^>]*autofocus[^>]*id="login"', r.text)
    assert _quem(client) is None


def test_campos_vazios_mostram_erro_no_campo(client: FlaskClient, entrar: Entrar) -> None:
    r = entrar(client, "", "")
    assert r.status_code == 400  # refused, on the page again with its reasons
    assert "Informe o usuário." in r.text and "Informe a senha." in r.text
    assert 'aria-describedby="login-erro"' in r.text
    assert re.search(r'<input[^>]*autofocus[^>]*id="login"', r.text)  # the first refused


def test_campos_longos_demais_dizem_o_maximo(client: FlaskClient, entrar: Entrar) -> None:
    """Said in the shop's words, per field (it was WTForms' European "Os campos não podem ter
    mais do que 200 caracteres.")."""
    r = entrar(client, "a" * 41, "s" * 201)
    assert r.status_code == 400
    assert "Use no máximo 40 caracteres." in r.text and "Use no máximo 200 caracteres." in r.text
    assert "Os campos" not in r.text


def test_usuario_inativo_nao_entra(
    client: FlaskClient, app: Flask, demo: dict, entrar: Entrar
) -> None:
    componente(PessoasRepository, app).definir_ativo("mecanico", False)
    r = entrar(client, "mecanico", "mecanico123")
    assert r.status_code == 200 and "Usuário inativo" in r.text
    assert _quem(client) is None
    # With the wrong password an inactive user gets the generic message (nothing revealed).
    assert FALHA in entrar(client, "mecanico", "errada123").text


def test_desativar_encerra_a_sessao_na_proxima_requisicao(
    client: FlaskClient, app: Flask, demo: dict, entrar: Entrar
) -> None:
    entrar(client, "mecanico", "mecanico123")
    assert _quem(client) == "mecanico|mecanico"
    componente(PessoasRepository, app).definir_ativo("mecanico", False)
    r = client.get("/_teste/quem")
    assert r.status_code == 302 and r.headers["Location"].startswith("/entrar")
    # Reactivating does not revive the old session: the stamp changed.
    componente(PessoasRepository, app).definir_ativo("mecanico", True)
    assert _quem(client) is None


def test_trocar_senha_encerra_as_sessoes(
    client: FlaskClient, app: Flask, demo: dict, entrar: Entrar
) -> None:
    entrar(client, "gerente", "gerente123")
    assert _quem(client) == "gerente|gerente"
    componente(PessoasRepository, app).alterar_senha("gerente", "outra-senha-1")
    assert _quem(client) is None


# --- Throttling ----------------------------------------------------------------------------------


def test_limite_por_login_e_endereco(app: Flask, demo: dict, entrar: Entrar) -> None:
    client = _cliente(app, "10.0.0.1")
    for _ in range(LIMITE_FALHAS):
        assert FALHA in entrar(client, "gerente", "errada123").text
    r = entrar(client, "gerente", "gerente123")  # the right password, one attempt too many
    assert r.status_code == 429 and LIMITE in r.text
    assert _quem(client) is None
    # Someone guessing from one address never locks the real manager out elsewhere.
    outro = _cliente(app, "10.0.0.2")
    assert entrar(outro, "GERENTE", "gerente123").status_code == 302
    assert _quem(outro) == "gerente|gerente"


def test_limite_por_endereco_maior_para_tablet_compartilhado(
    app: Flask, demo: dict, entrar: Entrar
) -> None:
    client = _cliente(app, "10.0.0.9")
    for n in range(LIMITE_POR_ENDERECO):  # many people typing on one tablet
        assert FALHA in entrar(client, f"pessoa{n}", "errada123").text
    r = entrar(client, "gerente", "gerente123")
    assert r.status_code == 429 and LIMITE in r.text
    assert _quem(client) is None
    # The same person from another address gets in.
    outro = _cliente(app, "10.0.0.10")
    assert entrar(outro, "gerente", "gerente123").status_code == 302
    assert _quem(outro) == "gerente|gerente"


def _turnos_em(segundos: float) -> int:
    """How many attempts past CONTA_LIVRES the growing delay lets through in `segundos`: the
    first at once, then one after each delay of 1, 2, 4... capped at CONTA_ESPERA_MAX_S."""
    turnos, espera, decorrido = 1, 1, 0.0
    while decorrido + espera <= segundos:
        decorrido += espera
        turnos += 1
        espera = min(espera * 2, CONTA_ESPERA_MAX_S)
    return turnos


def test_adivinhar_de_muitos_enderecos_e_freado_sem_trancar_a_conta(
    app: Flask, demo: dict, entrar: Entrar
) -> None:
    """60 guesses from 12 addresses (5 each, under every per-address limit): past the first
    CONTA_LIVRES the account answers 429 with a growing delay, counted in MongoDB. The owner's
    tablet, where the account signed in before, is not slowed; a new device only waits."""
    tablet = _cliente(app, "10.7.0.1")
    assert entrar(tablet, "gerente", "gerente123").status_code == 302
    tablet.post("/sair", data={"csrf_token": csrf_de(tablet.get("/").text)})
    recusas, esperas, inicio = 0, [], time.monotonic()
    for n in range(60):
        atacante = _cliente(app, f"198.51.100.{n % 12}")
        r = entrar(atacante, "gerente", f"chute{n}")
        if r.status_code == 429:
            recusas += 1
            assert "Muitas tentativas com este usuário" in r.text
            esperas.append(int(r.headers["Retry-After"]))
        else:
            assert FALHA in r.text
    # Past the free ones, only as many turns as the delays 1, 2, 4... s allow in the time the
    # loop took (a slow machine gets a turn more, never one per guess).
    turnos = _turnos_em(time.monotonic() - inicio)
    assert recusas >= 60 - CONTA_LIVRES - turnos and esperas
    # Each told the wait for its place in the account's line: at most a delay per other
    # address ahead of it (11), and the one running.
    assert max(esperas) <= CONTA_ESPERA_MAX_S * 12
    conta = componente(Mongo, app).db["tentativas_login"].find_one({"_id": "conta:gerente"})
    assert conta is not None and conta["falhas"] <= CONTA_LIVRES + turnos  # refusals not counted
    # The owner's usual tablet signs in at once, in the middle of the attack.
    assert entrar(tablet, "gerente", "gerente123").status_code == 302
    # A new device is slowed, never locked: once the delay has passed it signs in.
    for n in range(CONTA_LIVRES + 3):
        entrar(_cliente(app, f"198.51.100.{n}"), "gerente", f"outro{n}")
    novo = _cliente(app, "10.7.0.2")
    r = entrar(novo, "gerente", "gerente123")
    conta = componente(Mongo, app).db["tentativas_login"].find_one({"_id": "conta:gerente"})
    na_fila = [e["ip"] for e in conta["fila"] if e["ate"] > datetime.now(UTC)]
    assert r.status_code == 429 and "10.7.0.2" in na_fila
    # Its wait: the delay running, and one per address ahead of it in line.
    assert (
        0
        < int(r.headers["Retry-After"])
        <= CONTA_ESPERA_MAX_S * (na_fila.index("10.7.0.2") + 1) + 1
    )
    componente(Mongo, app).db["tentativas_login"].update_one(
        {"_id": "conta:gerente"},
        {
            "$set": {"liberada_em": datetime.now(UTC)},
            "$pull": {"fila": {"ip": {"$ne": "10.7.0.2"}}},
        },
    )  # the wait is over (as if the seconds had passed; the guessers, not back, lost their place)
    assert entrar(novo, "gerente", "gerente123").status_code == 302


def test_estranho_que_pede_sem_parar_nao_toma_todas_as_vezes_da_conta(
    app: Flask, demo: dict, entrar: Entrar
) -> None:
    """At the delay's cap, a stranger asking every few milliseconds took every turn of the
    account the moment it came (first come, first served), and the owner on a new device was
    told "Aguarde 30 s" for as long as the stranger kept at it (found by a hostile round). The
    turns now go in the order addresses asked: the owner waits a turn more, then signs in."""
    contas = componente(Mongo, app).db["tentativas_login"]

    def passa_a_espera() -> None:  # as if the seconds had passed
        contas.update_one({"_id": "conta:mecanico"}, {"$set": {"liberada_em": datetime.now(UTC)}})

    estranho, dono = _cliente(app, "198.51.100.7"), _cliente(app, "10.7.0.3")
    for n in range(CONTA_LIVRES + 4):  # the delay grown past its first steps
        entrar(_cliente(app, f"198.51.100.{20 + n}"), "mecanico", f"chute{n}")
        passa_a_espera()
    contas.update_one({"_id": "conta:mecanico"}, {"$set": {"falhas": CONTA_LIVRES + 9}})
    assert FALHA in entrar(estranho, "mecanico", "chute-a").text  # its turn
    assert entrar(estranho, "mecanico", "chute-b").status_code == 429  # waits, first in line
    r = entrar(dono, "mecanico", "mecanico123")
    assert r.status_code == 429 and "Muitas tentativas com este usuário" in r.text
    # Told the wait for its place: the turn running, then the stranger's.
    espera = int(r.headers["Retry-After"])
    assert CONTA_ESPERA_MAX_S < espera <= 2 * CONTA_ESPERA_MAX_S + 1
    passa_a_espera()
    assert FALHA in entrar(estranho, "mecanico", "chute-c").text  # the head of the line
    assert entrar(estranho, "mecanico", "chute-d").status_code == 429  # behind the owner now
    passa_a_espera()
    assert entrar(estranho, "mecanico", "chute-e").status_code == 429  # first come, not served
    assert entrar(dono, "mecanico", "mecanico123").status_code == 302
    assert _quem(dono) == "mecanico|mecanico"
    assert contas.find_one({"_id": "conta:mecanico"}) is None  # the right password clears it


def test_quem_desiste_da_fila_nao_a_trava(app: Flask, demo: dict, entrar: Entrar) -> None:
    """An address that asked and never came back keeps its place only a while past the time
    it was told: then the next in line, or anyone, takes the turn."""
    contas = componente(Mongo, app).db["tentativas_login"]
    agora = datetime.now(UTC)
    contas.insert_one({
        "_id": "conta:mecanico", "chave": "conta:mecanico", "em": agora,
        "falhas": CONTA_LIVRES + 9, "liberada_em": agora,
        "fila": [{"ip": "198.51.100.8", "ate": agora - timedelta(seconds=1)},
                 {"ip": "198.51.100.9", "ate": agora + timedelta(seconds=60)}],
    })  # fmt: skip
    novo = _cliente(app, "10.7.0.4")
    assert entrar(novo, "mecanico", "mecanico123").status_code == 429  # .9 still waits
    contas.update_one({"_id": "conta:mecanico"}, {"$set": {"fila.1.ate": agora}})  # gave up
    assert entrar(novo, "mecanico", "mecanico123").status_code == 302


def test_acertos_nao_contam_como_falhas(app: Flask, demo: dict, entrar: Entrar) -> None:
    for _ in range(7):
        client = _cliente(app, "10.0.0.20")
        assert entrar(client, "mecanico", "mecanico123").status_code == 302


def _ultima_tentativa(app: Flask) -> str:
    tentativa = (
        componente(Mongo, app)
        .db["tentativas_login"]
        .find_one({"chave": {"$regex": "^ip:"}, "lote": {"$exists": True}}, sort=[("_id", -1)])
    )
    return tentativa["chave"]


def test_endereco_vem_do_proxy_so_das_redes_configuradas(
    make_app: Callable[..., Flask], demo: dict, entrar: Entrar
) -> None:
    cliente_real = "203.0.113.9"
    for redes, esperado in (
        ("", "127.0.0.1"),
        ("10.9.0.0/16", "127.0.0.1"),
        ("127.0.0.1/32", cliente_real),
    ):
        app = make_app(trusted_proxy_networks=redes)
        client = app.test_client()
        client.environ_base["HTTP_X_FORWARDED_FOR"] = cliente_real
        entrar(client, f"quem{len(redes)}", "errada123")
        assert _ultima_tentativa(app) == f"ip:{esperado}", redes


def test_x_forwarded_for_forjado_nao_escapa_nem_mira_o_limite(
    make_app: Callable[..., Flask], demo: dict, entrar: Entrar
) -> None:
    """From 127.0.0.2, which is no proxy, rotating X-Forwarded-For neither escapes the sign-in
    limit nor spends a victim's: the attempts count against 127.0.0.2."""
    app = make_app(trusted_proxy_networks="127.0.0.1/32")
    atacante = _cliente(app, "127.0.0.2")
    for n in range(LIMITE_FALHAS):
        atacante.environ_base["HTTP_X_FORWARDED_FOR"] = f"198.51.100.{n}"
        assert FALHA in entrar(atacante, "gerente", "errada123").text
        assert _ultima_tentativa(app) == "ip:127.0.0.2"
    atacante.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.200"
    assert entrar(atacante, "gerente", "errada123").status_code == 429
    # The victim, behind the real proxy (127.0.0.1), still signs in.
    vitima = _cliente(app, "127.0.0.1")
    vitima.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.1"
    assert entrar(vitima, "gerente", "gerente123").status_code == 302


def test_so_os_saltos_de_proxies_sao_percorridos(
    make_app: Callable[..., Flask], demo: dict, entrar: Entrar
) -> None:
    """Through two trusted proxies, the client's own forged entry (leftmost) is never read."""
    app = make_app(trusted_proxy_networks="127.0.0.1/32,10.8.0.0/24")
    client = _cliente(app, "127.0.0.1")
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "6.6.6.6, 203.0.113.50, 10.8.0.7"
    entrar(client, "alguem", "errada123")
    assert _ultima_tentativa(app) == "ip:203.0.113.50"
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "lixo"
    entrar(client, "alguem", "errada123")
    assert _ultima_tentativa(app) == "ip:127.0.0.1"


@pytest.mark.parametrize(
    ("env", "trecho"),
    [
        ({"TRUSTED_PROXIES": "1"}, "TRUSTED_PROXY_NETWORKS"),
        ({"TRUSTED_PROXY_NETWORKS": "nginx"}, "TRUSTED_PROXY_NETWORKS deve ser"),
        (
            {"TRUSTED_PROXY_NETWORKS": "10.0.0.0/8", "OS_REDES_CONFIAVEIS": "10.42.0.0/16"},
            "se sobrepõem",
        ),
    ],
)
def test_redes_de_proxies_invalidas_recusadas(env: dict[str, str], trecho: str) -> None:
    with pytest.raises(ConfigError, match=trecho):
        load_settings(environ=env)


def test_redes_de_proxies_lidas() -> None:
    s = load_settings(environ={"TRUSTED_PROXY_NETWORKS": "172.30.80.10, 10.1.0.0/24"})
    assert [str(r) for r in s.redes_proxies] == ["172.30.80.10/32", "10.1.0.0/24"]
    assert load_settings(environ={"TRUSTED_PROXIES": "0"}).redes_proxies == ()


# --- Logout and CSRF ----------------------------------------------------------------------------


def test_sair_so_por_post_com_csrf(client: FlaskClient, demo: dict, entrar: Entrar) -> None:
    entrar(client, "mecanico", "mecanico123")
    assert client.get("/sair").status_code == 405
    r = client.post("/sair")  # no token
    assert r.status_code == 400 and CSRF in r.text
    assert _quem(client) is not None
    token = csrf_de(client.get("/").text)
    r = client.post("/sair", data={"csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == "/entrar"
    assert _quem(client) is None
    assert "Você saiu." in client.get("/entrar").text


def test_post_sem_csrf_recusado(client: FlaskClient, demo: dict) -> None:
    client.get("/entrar")
    dados = {"login": "mecanico", "senha": "mecanico123"}
    r = client.post("/entrar", data=dados)
    assert r.status_code == 400 and CSRF in r.text and "text/html" in r.content_type
    r = client.post("/entrar", data={**dados, "csrf_token": "forjado"})
    assert r.status_code == 400
    r = client.post("/entrar", data=dados, headers={"Accept": "application/json"})
    assert r.status_code == 400 and r.json == {"detail": CSRF}
    assert _quem(client) is None


def test_csrf_pelo_cabecalho_do_htmx(client: FlaskClient, demo: dict, entrar: Entrar) -> None:
    entrar(client, "mecanico", "mecanico123")
    pagina = client.get("/").text
    token = csrf_de(pagina)
    assert f'hx-headers:inherited=\'{{"X-CSRFToken": "{token}"}}\'' in pagina
    r = client.post("/sair", headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert r.status_code == 302 and _quem(client) is None


def test_api_json_isenta_de_csrf(api: Any) -> None:
    assert api.post("/fila-execucao", json={"ordem_servico_id": 7}).status_code == 201


# --- Cookie and session -------------------------------------------------------------------------


def test_cookie_httponly_samesite_lax_sem_secure_em_teste(client: FlaskClient, app: Flask) -> None:
    cookie = client.get("/entrar").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert app.permanent_session_lifetime.total_seconds() == 12 * 3600
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None  # a board stays open all shift


def test_cookie_secure_em_producao(make_app: Callable[..., Flask]) -> None:
    app = make_app(app_env="production")
    cookie = app.test_client().get("/entrar").headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_sessao_renovada_ao_entrar(
    client: FlaskClient, app: Flask, demo: dict, entrar: Entrar
) -> None:
    client.get("/entrar")
    antes = _sessao(app, client)
    cookie_antes = client.get_cookie("session").value  # type: ignore[union-attr]
    assert "csrf_token" in antes and "_user_id" not in antes
    entrar(client, "mecanico", "mecanico123")
    depois = _sessao(app, client)
    assert client.get_cookie("session").value != cookie_antes  # type: ignore[union-attr]
    assert depois["_user_id"].startswith("mecanico:") and depois.get("nonce")
    assert "csrf_token" not in depois  # the pre-login CSRF secret is gone
    # A later sign-in gets another nonce: the old one is gone.
    token = csrf_de(client.get("/").text)
    client.post("/sair", data={"csrf_token": token})
    entrar(client, "mecanico", "mecanico123")
    assert _sessao(app, client)["nonce"] != depois["nonce"]


def test_sair_encerra_a_sessao_no_servidor(app: Flask, demo: dict, entrar: Entrar) -> None:
    """A copied cookie stops working once its owner signs out (the session lives on the server)."""
    client = _cliente(app, "10.2.0.1")
    entrar(client, "mecanico", "mecanico123")
    assert _quem(client) == "mecanico|mecanico"
    copia = _cliente(app, "10.2.0.1")
    copia.set_cookie("session", client.get_cookie("session").value)  # type: ignore[union-attr]
    assert _quem(copia) == "mecanico|mecanico"
    sair = client.get("/").text
    assert client.post("/sair", data={"csrf_token": csrf_de(sair)}).status_code == 302
    assert _quem(copia) is None
    assert componente(Mongo, app).db["sessoes"].count_documents({"login": "mecanico"}) == 0


def test_tablet_que_muda_de_rede_continua_entrado(app: Flask, demo: dict, entrar: Entrar) -> None:
    """No binding to the address (Wi-Fi to 4G keeps the session); a forged X-Forwarded-For
    changes nothing either way."""
    client = _cliente(app, "10.3.0.1")
    entrar(client, "mecanico", "mecanico123")
    client.environ_base["REMOTE_ADDR"] = "177.20.0.9"
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "6.6.6.6"
    assert _quem(client) == "mecanico|mecanico"


def test_senha_nova_e_desativacao_encerram_as_sessoes(
    app: Flask, demo: dict, entrar: Entrar
) -> None:
    tablet, escritorio = _cliente(app, "10.4.0.1"), _cliente(app, "10.4.0.2")
    for client in (tablet, escritorio):
        entrar(client, "mecanico", "mecanico123")
        assert _quem(client) == "mecanico|mecanico"
    componente(PessoasRepository, app).alterar_senha("mecanico", "outra-senha-1")
    assert _quem(tablet) is None and _quem(escritorio) is None


def test_sessoes_assinadas_pela_propria_chave_nao_pela_do_jwt(
    app: Flask, settings: Any, demo: dict, entrar: Entrar
) -> None:
    assert app.secret_key == settings.session_secret_key != settings.secret_key
    client = app.test_client()
    entrar(client, "mecanico", "mecanico123")
    dados = _sessao(app, client)
    # Whoever holds the JWT key (the shop's auth service) cannot forge a board session.
    forjador = Flask("forjador")
    forjador.secret_key = settings.secret_key
    forjado = forjador.session_interface.get_signing_serializer(forjador).dumps(dados)  # type: ignore[union-attr]
    outro = app.test_client()
    outro.set_cookie("session", forjado)
    assert _quem(outro) is None


def test_rotacao_da_chave_de_sessao_mantem_sessoes_e_formularios_abertos(
    make_app: Callable[..., Flask], demo: dict, entrar: Entrar
) -> None:
    antiga, nova = "sessao-antiga-" + "a" * 32, "sessao-nova-" + "b" * 32
    antes = make_app(session_secret_key=antiga)
    _rotas_de_teste(antes)
    client = antes.test_client()
    entrar(client, "mecanico", "mecanico123")
    token = csrf_de(client.get("/").text)  # a board opened before the rotation
    cookie = client.get_cookie("session").value  # type: ignore[union-attr]

    depois = make_app(session_secret_key=nova, session_secret_key_fallbacks=f"{antiga},outra")
    sem_antiga = make_app(session_secret_key=nova)
    for nova_app in (depois, sem_antiga):
        _rotas_de_teste(nova_app)
    assert depois.config["SECRET_KEY_FALLBACKS"] == [antiga, "outra"]
    rotacionado = depois.test_client()
    rotacionado.set_cookie("session", cookie)
    assert _quem(rotacionado) == "mecanico|mecanico"
    r = rotacionado.post("/sair", data={"csrf_token": token})  # CSRF signed with the old key
    assert r.status_code == 302 and r.headers["Location"] == "/entrar"

    sem_fallback = sem_antiga.test_client()
    sem_fallback.set_cookie("session", cookie)
    assert _quem(sem_fallback) is None  # once the old key is dropped, its sessions end


# --- Redirects ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proximo", "destino"),
    [
        ("/historico?pagina=2", "/historico?pagina=2"),
        ("/_teste/quem", "/_teste/quem"),
        ("https://malicioso.example/roubo", "/"),
        ("//malicioso.example/roubo", "/"),
        ("/\\malicioso.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/ok\r\nSet-Cookie: x=1", "/"),
        # An address only a form posts to: a GET of it after signing in answered "Método não
        # permitido"; no such page, "Página não encontrada".
        ("/sair", "/"),
        ("/nao-existe", "/"),
    ],
)
def test_next_so_para_caminho_local(
    client: FlaskClient, demo: dict, entrar: Entrar, proximo: str, destino: str
) -> None:
    r = entrar(client, "mecanico", "mecanico123", next=proximo)
    assert r.status_code == 302 and r.headers["Location"] == destino


def test_pagina_protegida_manda_entrar_e_volta(
    client: FlaskClient, demo: dict, entrar: Entrar
) -> None:
    r = client.get("/_teste/quem?x=1")
    assert r.status_code == 302
    assert r.headers["Location"] == "/entrar?next=/_teste/quem?x%3D1"
    pagina = client.get(r.headers["Location"]).text
    assert "Entre para continuar." in pagina
    assert 'action="/entrar?next=/_teste/quem?x%3D1"' in pagina
    r = entrar(client, "mecanico", "mecanico123", next="/_teste/quem?x=1")
    assert r.headers["Location"] == "/_teste/quem?x=1"


def test_nao_autenticado_htmx_e_json(client: FlaskClient) -> None:
    r = client.get(
        "/_teste/quem",
        headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/?q=ABC"},
    )
    assert r.status_code == 401 and r.headers["HX-Redirect"] == "/entrar?next=/?q%3DABC"
    r = client.get("/_teste/quem", headers={"Accept": "application/json"})
    assert r.status_code == 401 and r.json == {"detail": "Entre para continuar."}
    # A bearer token does not open a page of the board: said so, not "session ended".
    r = client.get(
        "/_teste/quem", headers={"Accept": "application/json", "Authorization": "Bearer x"}
    )
    assert r.status_code == 401 and "token da API vale só na API" in r.json["detail"]
    # The same for a form's POST, whose CSRF check comes first: it said "recarregue a página".
    r = client.post(
        "/ordens",
        data={"ordem_servico_id": "1"},
        headers={"Accept": "application/json", "Authorization": "Bearer x"},
    )
    assert r.status_code == 401 and "token da API vale só na API" in r.json["detail"]
    # A proxy's Basic auth is no token: a browser behind it sends it on every request, and a
    # stale form is told to reload, as without it (not that a token opens only the API).
    r = client.post(
        "/ordens", data={"ordem_servico_id": "1"}, headers={"Authorization": "Basic eDp5"}
    )
    assert r.status_code == 400 and "recarregue a página" in r.text


def test_quem_so_abriu_a_pagina_de_entrada_nao_teve_sessao(client: FlaskClient) -> None:
    """The sign-in page gives anyone a session cookie (its CSRF token): the next page asked
    for said "Sessão encerrada" to someone who was never signed in."""
    assert client.get("/entrar").status_code == 200
    r = client.get("/_teste/quem", headers={"Accept": "application/json"})
    assert r.status_code == 401 and r.json == {"detail": "Entre para continuar."}
    assert "Entre para continuar." in client.get("/", follow_redirects=True).text


def test_nao_autenticado_json_com_sessao_que_acabou(
    client: FlaskClient, demo: dict, entrar: Entrar
) -> None:
    assert entrar(client, "mecanico", "mecanico123").status_code == 302
    client.post("/sair", data={"csrf_token": csrf_de(client.get("/").text)})
    r = client.get("/_teste/quem", headers={"Accept": "application/json"})
    assert r.status_code == 401 and r.json == {"detail": "Sessão encerrada: entre novamente."}


def test_sessao_que_acabou_diz_na_pagina_de_entrada(
    app: Flask, client: FlaskClient, demo: dict, entrar: Entrar
) -> None:
    """A session ended on the server (a sign-out elsewhere, a reset, the expiry) while its
    board was open: its next tap (htmx) or reload lands on the sign-in page, which said only
    "Entrar" (a tap) or "Entre para continuar." (a reload), as if nobody had been signed in."""
    for htmx in (True, False):
        assert entrar(client, "mecanico", "mecanico123").status_code == 302
        componente(SessoesRepository, app).sessoes.delete_many({"login": "mecanico"})
        cabecalhos = {"HX-Request": "true", "HX-Current-URL": "http://localhost/"} if htmx else {}
        r = client.get("/", headers=cabecalhos)
        destino = r.headers["HX-Redirect"] if htmx else r.headers["Location"]
        # Said once, though the board's stream, its poll and its reload each met the end.
        client.get("/situacao-os", headers={"HX-Request": "true"})
        client.get("/")
        assert client.get(destino).text.count("Sessão encerrada: entre novamente.") == 1, htmx


@pytest.mark.parametrize(
    ("mudanca", "dito"),
    [
        ("papel", "Sessão encerrada: Gabriela Gerente mudou seu papel para Gerente {quando}. "
                  "Entre novamente."),
        ("redefinir", "Sessão encerrada: Gabriela Gerente redefiniu sua senha {quando}. Entre "
                      "com a senha temporária que lhe passarem."),
        ("desativar", "Sessão encerrada: Gabriela Gerente desativou seu acesso {quando}. Fale "
                      "com a gerência."),
        ("trocar", "Sessão encerrada: sua senha foi trocada {quando}. Entre com a nova senha."),
        # Access given back since: the change that ended it, and that it is back.
        ("reativar", "Sessão encerrada: Gabriela Gerente desativou seu acesso {quando}; ele já "
                     "foi reativado. Entre novamente."),
        ("nome", "Sessão encerrada: entre novamente."),  # the role unchanged: sessions stand
    ],
)  # fmt: skip
def test_sessao_encerrada_por_uma_mudanca_diz_qual_quem_e_quando(
    app: Flask, client: FlaskClient, demo: dict, entrar: Entrar, mudanca: str, dito: str
) -> None:
    """A tablet signed out mid-shift said only "Sessão encerrada": the mechanic did not know
    whether to sign in again, ask for a password or stop. Now it names the change that ended
    every session of theirs, who made it and when; the API's JSON says the same."""
    assert entrar(client, "mecanico", "mecanico123").status_code == 302
    pessoas = componente(PessoasService, app)
    usuario = componente(PessoasQueries, app).obter("mecanico")
    assert usuario is not None
    gerente = Ator("gerente", Papel.GERENTE, "10.0.0.9", pessoa=True)

    def hora() -> str:
        return "às " + datetime.now(UTC).astimezone(componente(Clock, app).fuso).strftime("%H:%M")

    antes = hora()
    if mudanca in ("papel", "nome"):
        papel = "gerente" if mudanca == "papel" else "mecanico"
        pessoas.editar("mecanico", usuario.nome + ".", papel, usuario.funcionario_id, gerente)
    if mudanca == "nome":  # then the session ends alone (signed out elsewhere, expired)
        componente(SessoesRepository, app).sessoes.delete_many({"login": "mecanico"})
    elif mudanca == "redefinir":
        pessoas.redefinir_senha("mecanico", gerente)
    elif mudanca in ("desativar", "reativar"):
        assert pessoas.definir_ativo("mecanico", False, gerente)
        if mudanca == "reativar":
            assert pessoas.definir_ativo("mecanico", True, gerente)
    elif mudanca == "trocar":  # chosen anew on another device
        with app.app_context():  # the guesses' limits are the app's
            mecanico = Ator("mecanico", Papel.MECANICO)
            pessoas.trocar_senha(usuario, "mecanico123", "outra-senha-9", mecanico)
    # The minute the change was made in (read on both sides of it).
    esperados = {dito.format(quando=antes), dito.format(quando=hora())}
    r = client.get("/_teste/quem", headers={"Accept": "application/json"})
    assert r.status_code == 401 and r.json["detail"] in esperados, r.json
    destino = client.get("/").headers["Location"]
    assert html.unescape(client.get(destino).text).count(r.json["detail"]) == 1
    # Told once: a later change to this person is none of a device signed out before it (a
    # shared tablet left on the sign-in page).
    pessoas.editar("mecanico", usuario.nome + "!", "gerente", usuario.funcionario_id, gerente)
    r = client.get("/_teste/quem", headers={"Accept": "application/json"})
    assert r.status_code == 401 and r.json == {"detail": "Sessão encerrada: entre novamente."}


def test_pagina_da_ordem_aberta_diz_por_que_a_sessao_acabou(
    app: Flask, client: FlaskClient, demo: dict, entrar: Entrar
) -> None:
    """An order's page open on a tablet when a manager resets the mechanic's password: its
    re-read said only "Sua sessão terminou", and its "Entrar de novo" led to a sign-in page
    saying nothing; the mechanic tried the old password. Both say why now."""
    gerente = Ator("gerente", Papel.GERENTE, "10.0.0.9", pessoa=True)
    ordem = componente(FilaService, app).adicionar(7301, gerente, Prioridade.NORMAL, {})
    fila_id = str(ordem["_id"])
    assert entrar(client, "mecanico", "mecanico123").status_code == 302
    componente(PessoasService, app).redefinir_senha("mecanico", gerente)
    r = client.get(f"/ordens/{fila_id}/agora", headers={"HX-Request": "true"})
    texto = html.unescape(r.text)
    assert r.status_code == 200
    assert "Sessão encerrada: Gabriela Gerente redefiniu sua senha" in texto
    assert "Esta página parou de se atualizar." in texto and "Entrar de novo" in texto
    entrada = html.unescape(client.get(f"/entrar?next=/ordens/{fila_id}").text)
    assert entrada.count("Gabriela Gerente redefiniu sua senha") == 1


# --- Manager-only views -------------------------------------------------------------------------


def test_exigir_gerente(app: Flask, demo: dict, entrar: Entrar) -> None:
    anonimo = app.test_client()
    assert anonimo.get("/_teste/gerencia").headers["Location"].startswith("/entrar")

    mecanico = _cliente(app, "10.1.0.1")
    entrar(mecanico, "mecanico", "mecanico123")
    r = mecanico.get("/_teste/gerencia")
    assert r.status_code == 403 and "Apenas gerentes podem acessar esta página." in r.text
    r = mecanico.get("/_teste/gerencia", headers={"Accept": "application/json"})
    assert r.json == {"detail": "Apenas gerentes podem acessar esta página."}

    gerente = _cliente(app, "10.1.0.2")
    entrar(gerente, "gerente", "gerente123")
    assert gerente.get("/_teste/gerencia").text == "área do gerente"
