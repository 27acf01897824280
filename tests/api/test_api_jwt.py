"""Bearer JWTs on every /fila-execucao route."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from webapp.settings import Settings
from webapp.tokens import emitir


def claims(settings: Settings, **mudancas) -> dict:
    agora = datetime.now(UTC)
    base = {
        "sub": "servico-os",
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": agora,
        "exp": agora + timedelta(minutes=5),
    }
    base.update(mudancas)
    return {k: v for k, v in base.items() if v is not None}


def chamar(client, token: str | None, caminho: str = "/fila-execucao"):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.get(caminho, headers=headers)


def test_sem_token_da_401_com_desafio(client) -> None:
    r = client.get("/fila-execucao")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in r.json["detail"]
    r = client.get("/fila-execucao", headers={"Authorization": "Basic dXNlcjpzZW5oYQ=="})
    assert r.status_code == 401


def test_token_valido(client, settings: Settings) -> None:
    for extra in ({"tipo_token": "servico_interno"}, {"role": "gerente"}, {"role": "mecanico"}):
        token = jwt.encode(claims(settings, **extra), settings.secret_key, algorithm="HS256")
        assert chamar(client, token).status_code == 200, extra


def _token(settings: Settings, **mudancas) -> str:
    return jwt.encode(claims(settings, **mudancas), settings.secret_key, algorithm="HS256")


def test_token_sem_papel_de_cliente_e_recusado(client, settings: Settings) -> None:
    """The auth service's login tokens (customers' too) carry sub, iss, exp and no role."""
    cliente = _token(settings, sub="42", aud=None)
    migracao = jwt.encode(claims(settings, sub="42"), settings.secret_key, algorithm="HS256")
    for token in (cliente, migracao):
        r = client.patch(
            "/fila-execucao/0123456789abcdef01234567/prioridade",
            json={"prioridade": "URGENTE"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code in (401, 403)
    r = chamar(client, migracao)
    assert r.status_code == 403 and "integrações configuradas" in r.json["detail"]


def test_papel_nulo_e_sem_papel(client, settings: Settings) -> None:
    """ "role": null is no role: a login token serialised that way gets no integration's
    rights (it had them all: add, remove, indicators); a service token with it still works."""
    for extra, esperado in (({}, 403), ({"tipo_token": "servico_interno"}, 200)):
        token = jwt.encode(
            {**claims(settings, sub="cliente-1", **extra), "role": None},
            settings.secret_key,
            algorithm="HS256",
        )
        r = chamar(client, token)
        assert r.status_code == esperado, (extra, r.json)
        r = client.post(
            "/fila-execucao",
            json={"ordem_servico_id": 880001},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == (403 if esperado == 403 else 201), r.json


@pytest.mark.parametrize("sub", ["", "   "])
def test_sub_vazio_e_recusado(client, settings: Settings, sub: str) -> None:
    r = chamar(client, _token(settings, sub=sub, tipo_token="servico_interno"))
    assert r.status_code == 401 and "'sub'" in r.json["detail"]


@pytest.mark.parametrize(
    "sub",
    ["<b>x</b>\u202eoãN", "nul\x00x", "esc\x1b[31m", "zero\u200bwidth", " pontas ", "a" * 201],
)
def test_sub_que_a_historia_mostraria_torto_e_recusado(
    client, settings: Settings, sub: str
) -> None:
    """`sub` is who did it in the history, shown on the pages: a right-to-left override, a NUL,
    an escape, an invisible character or a length no line holds is refused (401, said why),
    never stored; before, it went into the history as sent."""
    token = _token(settings, sub=sub, role="gerente")
    r = client.post(
        "/fila-execucao",
        json={"ordem_servico_id": 880002},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 401, r.json
    assert r.json["detail"].startswith("Token com 'sub' inválido")
    ok = _token(settings, sub="Integração Relatórios <rel@oficina>", role="gerente")
    r = client.post(
        "/fila-execucao",
        json={"ordem_servico_id": 880002},
        headers={"Authorization": f"Bearer {ok}"},
    )
    assert r.status_code == 201, r.json  # accents and signs are no reason


def test_integracao_configurada_pelo_sub(make_app, settings: Settings) -> None:
    app = make_app(jwt_integracoes="relatorios, os-service")
    assert chamar(app.test_client(), _token(settings, sub="os-service")).status_code == 200
    assert chamar(app.test_client(), _token(settings, sub="outro")).status_code == 403


@pytest.mark.parametrize(
    "papel", ["MECANICO", "mecânico", "visitante", "", ["gerente"], {"a": 1}, 1]
)
def test_papel_desconhecido_e_recusado(client, settings: Settings, papel) -> None:
    r = chamar(client, _token(settings, role=papel))
    assert r.status_code == 403
    assert r.json == {"detail": "Papel (role) do token não reconhecido."}


@pytest.mark.parametrize(
    ("mudancas", "trecho"),
    [
        ({"exp": datetime.now(UTC) - timedelta(minutes=1)}, "expirado"),
        ({"exp": None}, "'exp'"),
        ({"iss": "outro-emissor"}, "Emissor"),
        ({"iss": None}, "'iss'"),
        ({"aud": "outra-api"}, "Audiência"),
        ({"aud": None}, "'aud'"),
        ({"sub": None}, "'sub'"),
    ],
)
def test_claims_invalidas(client, settings: Settings, mudancas, trecho) -> None:
    token = jwt.encode(claims(settings, **mudancas), settings.secret_key, algorithm="HS256")
    r = chamar(client, token)
    assert r.status_code == 401
    assert trecho in r.json["detail"]
    assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]


def test_assinatura_errada(client, settings: Settings) -> None:
    token = jwt.encode(
        claims(settings), "outra-chave-qualquer-com-32-caracteres!", algorithm="HS256"
    )
    r = chamar(client, token)
    assert r.status_code == 401 and "Assinatura" in r.json["detail"]


# The HS512 token is a forgery attempt signed with the app's (HS256-sized) key: PyJWT's
# key-length warning about it is expected, not a defect.
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_recusa_alg_none_e_outros_algoritmos(client, settings: Settings) -> None:
    sem_assinatura = jwt.encode(claims(settings), None, algorithm="none")
    assert chamar(client, sem_assinatura).status_code == 401
    hs512 = jwt.encode(claims(settings), settings.secret_key, algorithm="HS512")
    r = chamar(client, hs512)
    assert r.status_code == 401 and "Algoritmo" in r.json["detail"]
    for lixo in ("abc", "a.b.c", ""):
        assert chamar(client, lixo).status_code == 401


def test_token_do_servico_de_auth_atual_sem_aud(make_app, settings: Settings) -> None:
    """Today's auth service issues sub, iss, iat, exp (+ tipo_token) and no aud."""
    atual = jwt.encode(
        claims(settings, aud=None, tipo_token="servico_interno"),
        settings.secret_key,
        algorithm="HS256",
    )
    estrito = make_app().test_client()
    assert chamar(estrito, atual).status_code == 401
    migracao = make_app(jwt_require_audience=False).test_client()
    assert chamar(migracao, atual).status_code == 200
    # A token that does carry an aud is still checked during the migration.
    errado = jwt.encode(claims(settings, aud="outra"), settings.secret_key, algorithm="HS256")
    assert chamar(migracao, errado).status_code == 401


def test_token_emitido_pela_cli_funciona(client, settings: Settings) -> None:
    servico = {"tipo_token": "servico_interno"}
    assert chamar(client, emitir(settings, "dev", extra=servico)).status_code == 200
    assert chamar(client, emitir(settings, "dev", audience=False, extra=servico)).status_code == 401


def test_health_e_docs_sao_abertos(client) -> None:
    for caminho in ("/health", "/health/ready", "/openapi.json", "/docs"):
        assert client.get(caminho).status_code == 200, caminho


@pytest.mark.parametrize(
    ("mudancas", "motivo"),
    [
        ({"sub": 123}, "A claim 'sub' do token deve ser texto."),
        ({"exp": "9999999999"}, "A claim 'exp' do token deve ser um número (segundos)."),
        ({"iat": "1700000000"}, "A claim 'iat' do token deve ser um número (segundos)."),
        # `true` reads as 1 (PyJWT's int()): it was told "Token expirado."
        ({"exp": True}, "A claim 'exp' do token deve ser um número (segundos)."),
        ({"nbf": True}, "A claim 'nbf' do token deve ser um número (segundos)."),
        ({"iat": "ontem"}, "A claim 'iat' do token deve ser um número (segundos)."),
        # Dates after now (beyond the leeway) were only "Token inválido."
        ({"nbf": time.time() + 3600}, "Token ainda não vale: 'iat' ou 'nbf' no futuro."),
        ({"iat": time.time() + 3600}, "Token ainda não vale: 'iat' ou 'nbf' no futuro."),
    ],
)
def test_claims_de_tipo_errado_dizem_qual(
    client, settings: Settings, mudancas: dict, motivo: str
) -> None:
    """RFC 7519: `sub` is text, the dates are numbers. A numeric-text `exp` was accepted (PyJWT
    reads it with int()); a numeric `sub` got only "Token inválido."."""
    r = chamar(client, _token(settings, role="gerente", **mudancas))
    assert r.status_code == 401, r.json
    assert r.json["detail"] == motivo
