"""Settings: safe development defaults, refusals in production, one-line start-up errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from webapp import configuracao, create_app
from webapp.settings import DEV_SECRET_KEY, DEV_SESSION_SECRET_KEY, ConfigError, load_settings

RAIZ = Path(__file__).resolve().parent.parent
CHAVE = "k" * 40
CHAVE_SESSAO = "s" * 40
PRODUCAO = {"APP_ENV": "production", "MONGODB_URL": "mongodb://db", "SECRET_KEY": CHAVE}


def test_padroes_de_desenvolvimento() -> None:
    s = load_settings({})
    assert s.app_env == "development" and s.secret_key == DEV_SECRET_KEY
    assert s.session_secret_key == DEV_SESSION_SECRET_KEY != DEV_SECRET_KEY
    assert s.session_fallbacks == []
    assert s.mongodb_database == "oficina_execucao" and s.algorithm == "HS256"
    assert s.jwt_issuer == "oficina-auth" and s.jwt_audience == "oficina-api"
    assert s.jwt_require_audience is True


def test_le_os_nomes_do_contexto() -> None:
    s = load_settings(
        {
            "MONGODB_URL": "mongodb://db:27017/?replicaSet=rs0",
            "MONGODB_DATABASE": "x",
            "SECRET_KEY": CHAVE,
            "ALGORITHM": "HS512",
            "JWT_ISSUER": "i",
            "JWT_AUDIENCE": "a",
            "URL_API_OS": "http://os:8000",
            "JWT_REQUIRE_AUDIENCE": "false",
        }
    )
    assert (s.mongodb_database, s.algorithm, s.jwt_issuer, s.jwt_audience) == (
        "x",
        "HS512",
        "i",
        "a",
    )
    assert s.url_api_os == "http://os:8000" and s.jwt_require_audience is False


@pytest.mark.parametrize(
    ("env", "trecho"),
    [
        ({"APP_ENV": "production", "MONGODB_URL": "mongodb://db"}, "SECRET_KEY é obrigatória"),
        ({"APP_ENV": "production", "MONGODB_URL": "mongodb://db", "SECRET_KEY": "curta"}, "curta"),
        (
            {"APP_ENV": "production", "MONGODB_URL": "mongodb://db", "SECRET_KEY": DEV_SECRET_KEY},
            "SECRET_KEY é obrigatória",
        ),
        ({"APP_ENV": "production", "SECRET_KEY": CHAVE}, "MONGODB_URL"),
        (PRODUCAO, "SESSION_SECRET_KEY é obrigatória"),
        ({**PRODUCAO, "SESSION_SECRET_KEY": DEV_SESSION_SECRET_KEY}, "SESSION_SECRET_KEY é obri"),
        ({**PRODUCAO, "SESSION_SECRET_KEY": "curta"}, "SESSION_SECRET_KEY curta"),
        ({**PRODUCAO, "SESSION_SECRET_KEY": CHAVE}, "SESSION_SECRET_KEY deve ser diferente"),
        ({"ALGORITHM": "none"}, "ALGORITHM"),
        ({"ALGORITHM": "RS256"}, "ALGORITHM"),
        ({"JWT_REQUIRE_AUDIENCE": "talvez"}, "JWT_REQUIRE_AUDIENCE"),
        ({"MONGODB_TIMEOUT_MS": "rápido"}, "MONGODB_TIMEOUT_MS"),
        ({"APP_ENV": "prod"}, "APP_ENV"),
    ],
)
def test_configuracao_recusada(env: dict, trecho: str) -> None:
    with pytest.raises(ConfigError, match=trecho):
        load_settings(env)


def test_producao_valida() -> None:
    s = load_settings({**PRODUCAO, "SESSION_SECRET_KEY": CHAVE_SESSAO})
    assert s.production
    assert (s.secret_key, s.session_secret_key) == (CHAVE, CHAVE_SESSAO)


@pytest.mark.parametrize(
    "url",
    [
        "fila.oficina.com.br",  # no scheme: a phone's camera would not open it
        "ftp://fila.oficina.com.br",
        "https://",
        "https://fila.oficina.com.br/?a=1",
        "https://fila.oficina.com.br/#x",
        "https://usuario:senha@fila.oficina.com.br",
        "https://fila.oficina.com.br:porta",
        "https://fila.oficina.com.br:99999",
        "https://fila.oficina.com.br:",
        "https://fila oficina.com.br",
        "http://[x",  # urlsplit raises on it
    ],
)
def test_url_publica_invalida_recusada_com_uma_linha(url: str) -> None:
    with pytest.raises(ConfigError, match="URL_PUBLICA") as erro:
        load_settings({"URL_PUBLICA": url})
    assert "\n" not in str(erro.value)


@pytest.mark.parametrize(
    "url", ["https://fila.oficina.com.br", "http://192.168.0.10:8002", "https://oficina.com/fila/"]
)
def test_url_publica_aceita(url: str) -> None:
    assert load_settings({"URL_PUBLICA": url}).url_publica == url
    assert load_settings({}).url_publica is None


def test_chaves_antigas_de_sessao_separadas_por_virgula() -> None:
    s = load_settings(
        {
            **PRODUCAO,
            "SESSION_SECRET_KEY": CHAVE_SESSAO,
            "SESSION_SECRET_KEY_FALLBACKS": " antiga-1" + "a" * 32 + ", ,antiga-2" + "b" * 32,
        }
    )
    assert s.session_fallbacks == ["antiga-1" + "a" * 32, "antiga-2" + "b" * 32]


def _partida(env: dict[str, str]) -> list[str]:
    """What the app's start (wsgi.py) says on stderr when it refuses to start (exit 1)."""
    r = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=RAIZ,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1
    return r.stderr.strip().splitlines()


def test_wsgi_para_com_uma_linha_em_producao_sem_segredo(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "MONGODB_URL")}
    env["APP_ENV"] = "production"
    assert _partida(env) == [
        "Configuração inválida: SECRET_KEY é obrigatória em produção (mínimo 32 caracteres)"
    ]


@pytest.mark.parametrize(
    ("valor", "trecho"),
    [
        ("URGENTE=60/30", "o amarelo deve vir antes do vermelho"),
        ("URGENTISSIMA=30/60", "ALERTA_ETAPA inválido em 'URGENTISSIMA=30/60'"),
        ("URGENTE=30", "ALERTA_ETAPA inválido"),
    ],
)
def test_alerta_etapa_invalido_recusado_na_partida(valor: str, trecho: str) -> None:
    """ALERTA_ETAPA is the queue's rules' to read (fila/stages.py); the start refuses a bad one
    all the same, before anything connects: the app, and gunicorn's master (configuracao)."""
    with pytest.raises(ConfigError, match=trecho):
        configuracao({"alerta_etapa": valor})
    with pytest.raises(ConfigError, match=trecho):
        create_app({"alerta_etapa": valor})
    assert configuracao({"alerta_etapa": "URGENTE=20/40"}).alerta_etapa == "URGENTE=20/40"


def test_wsgi_para_com_uma_linha_com_alerta_etapa_invalido() -> None:
    assert _partida({**os.environ, "ALERTA_ETAPA": "ALTA=90/60"}) == [
        "Configuração inválida: ALERTA_ETAPA: em 'ALTA=90/60' o amarelo deve vir antes do vermelho"
    ]


def test_env_de_desenvolvimento_e_lido(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("MONGODB_DATABASE=da_env\n")
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_DATABASE", "APP_ENV")}
    codigo = (
        f"import sys; sys.path.insert(0, {str(RAIZ)!r}); "
        "from webapp.settings import load_settings; print(load_settings().mongodb_database)"
    )
    r = subprocess.run(
        [sys.executable, "-c", codigo],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.stdout.strip() == "da_env", r.stderr


def test_imagem_de_producao_nao_leva_o_mongod() -> None:
    dockerfile = (RAIZ / "Dockerfile").read_text()
    runtime = (RAIZ / "requirements.txt").read_text()
    assert "fiftyone" not in runtime and "requirements-mongod" not in dockerfile
    assert "requirements-dev" not in dockerfile
    assert "COPY requirements.txt" in dockerfile and "APP_ENV=production" in dockerfile
