"""Settings from the environment, with the names the shop already uses (docs/DOMAIN.md).

Development has safe defaults; production refuses to start on a missing or unsafe setting, with
one line saying which. Values that the queue's rules read (ALERTA_ETAPA) stay plain text here:
the rules parse them, and webapp.configuracao refuses a bad one at start-up the same way.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEV_SECRET_KEY = "dev-secret-key-troque-em-producao-0123456789"
# A different development value, so even locally a JWT key never signs a cookie.
DEV_SESSION_SECRET_KEY = "dev-session-key-troque-em-producao-0123456789"
ALGORITMOS_ACEITOS = ("HS256", "HS384", "HS512")
# Claims of the token sent to the OS service that only the app sets (tokens.emitir_para_os).
USO_TOKEN = "uso_token"
CLAIMS_RESERVADAS = frozenset({"sub", "iss", "aud", "exp", "iat", "nbf", "role", USO_TOKEN})
AMBIENTES = ("development", "test", "production")
# The largest request body read (JSON API, forms): 413 past it, also in gunicorn's worker. The
# longest text a form or the API takes (10,000 characters) fits even when each is an emoji,
# sent as 12 bytes (%F0%9F%94%A7 in a form, a surrogate pair's escapes in JSON): its length is
# refused beside the field, with the text kept, never as a body too large.
LIMITE_CORPO = 128 * 1024
# HTTP calls one OS delivery attempt may make in turn (sincronizacao_os.dispatcher._enviar): the
# OS's status when the last answer was lost, the PATCH, and the status again when it is refused.
# A claim's lease (OS_LEASE_MS) must outlast them all, each at its full timeouts.
OS_CHAMADAS_POR_TENTATIVA = 3


class ConfigError(RuntimeError):
    """A setting that stops start-up; the message is one line for the operator."""


@dataclass(frozen=True)
class Settings:
    app_env: str = "development"
    mongodb_url: str = "mongodb://127.0.0.1:27018/?replicaSet=rs0"
    mongodb_database: str = "oficina_execucao"
    mongodb_timeout_ms: int = 2000
    # The JWT HS* key, shared with the shop's auth service (API tokens, tokens to the OS service).
    secret_key: str = DEV_SECRET_KEY
    # Flask's SECRET_KEY: signs session cookies and CSRF tokens. Its own key, so the auth service
    # (or anyone holding the JWT key) cannot forge a board session, and either key rotates alone.
    session_secret_key: str = DEV_SESSION_SECRET_KEY
    # Former session keys, comma-separated, still accepted while they rotate out (Flask's
    # SECRET_KEY_FALLBACKS): sessions and open forms signed with them keep working.
    session_secret_key_fallbacks: str = ""
    algorithm: str = "HS256"
    jwt_issuer: str = "oficina-auth"
    jwt_audience: str = "oficina-api"
    jwt_require_audience: bool = True
    jwt_leeway_s: int = 30  # clock skew allowed on exp, iat and nbf (another host's clock)
    url_api_os: str | None = None
    # The address people open the app at (scheme, host, port, optional path), for QR codes and
    # links shown to be opened elsewhere (a job card, a TV's address); unset: the request's host.
    url_publica: str | None = None
    log_level: str = "INFO"
    # The shop's clock: "today" on the board, times shown to people.
    fuso_horario: str = "America/Sao_Paulo"
    # Minutes in a stage before a card turns amber/red, per priority: "URGENTE=30/60,ALTA=60/120"
    # (read by the queue's rules, fila/stages.limites_alerta; webapp.configuracao checks it).
    alerta_etapa: str = ""
    # Networks (CIDRs, comma-separated) of the reverse proxies in front of the app (nginx, the
    # ingress controller, a load balancer): only a peer there is believed about X-Forwarded-For
    # (webapp/proxies.py). Empty: the socket's peer is the client, as when served directly.
    trusted_proxy_networks: str = ""
    # Replaced by TRUSTED_PROXY_NETWORKS (a count believed anyone who reached the app directly);
    # still read only to refuse it with a clear line.
    trusted_proxies: int = 0
    # Cards per column on the TV wall (the rest shows as "+N"); 5 fit 1920x1080 at TV type size.
    painel_max_cartoes: int = 5
    # /metrics: with a token, for whoever sends it (Authorization: Bearer); without, only for
    # this host (loopback).
    metrics_token: str = ""
    # Live streams (board, TV) send a beat this often; two missed beats mean a dead stream.
    sse_batida_ms: int = 15_000
    # --- Delivery of the steps to the OS service (webapp/sincronizacao_os/) ---
    # Path under URL_API_OS; the shop's service today serves
    # /veiculos/{veiculo_id}/ordens_servico/{id}/status and ignores the vehicle id.
    os_path_template: str = "/ordens_servico/{ordem_servico_id}/status"
    # The token we send. The shop's OS service looks its caller up by `sub` (the numeric
    # usuario_id of a dedicated low-privilege user there) and refuses any token with `aud`.
    # Our own API refuses it in every configuration (tokens.USO_SAIDA), and its `aud`, when it
    # carries one, is never ours (checked at start-up).
    os_token_sub: str = "fila-execucao"
    os_token_com_aud: bool = True
    os_token_aud: str = "oficina-os"
    os_token_claims: str = ""  # extra claims, e.g. "tipo_token=servico_interno"
    # --- Who may call the JSON API ---
    # Role-less JWTs are accepted only from these `sub`s (comma-separated) or when they carry
    # tipo_token=servico_interno; any other role-less token (a customer's login) gets 403.
    jwt_integracoes: str = ""
    # Calls WITHOUT a token from these networks (CIDRs, comma-separated; the client address as
    # TRUSTED_PROXY_NETWORKS tells it) act as the shop's OS service: add, read and the workflow
    # steps only. Off when empty. Anyone who can reach the app from there can do the same.
    os_redes_confiaveis: str = ""
    os_timeout_conexao_ms: int = 2000
    os_timeout_leitura_ms: int = 5000
    os_retentativa_base_ms: int = 1000  # first backoff ceiling; doubles per attempt
    os_retentativa_max_ms: int = 300_000  # backoff cap (5 min)
    os_prazo_retentativas_s: int = 86_400  # retry for 24 h after the event, then it fails
    # A claimed item belongs to one dispatcher this long; a crashed one's claim then expires.
    # Longer than one attempt can take (its calls at their full timeouts), or two could
    # overlap. None (unset): worked out from the timeouts (lease_os_ms).
    os_lease_ms: int | None = None
    os_sync_intervalo_ms: int = 1000  # polling, besides being woken right after each step
    os_sync_thread: bool = True  # a dispatcher thread in each web process
    os_alerta_fora_s: int = 60  # the board's banner once the OS service is down this long
    # --- The forecast ("quando fica pronto?", webapp/previsao/) ---
    # The shop's opening hours and holidays, as text parsed by previsao/calendar.py (refused at
    # start by webapp.configuracao): "seg-sex 08:00-18:00; sab 08:00-12:00" (empty: that one),
    # "25/12, 01/01/2027". The forecast learns and predicts in working time.
    horario_funcionamento: str = ""
    feriados: str = ""
    previsao_janela_dias: int = 90  # the finished orders of these many days are learned from
    previsao_historico_minimo: int = 30  # fewer finished orders: "sem histórico suficiente"
    previsao_intervalo_s: int = 120  # recomputed at least this often, besides after each change
    # One process per deployment computes, under a lease (previsao/worker.py); a thread in
    # each web process competes for it. Off: this process only asks for recomputes.
    previsao_thread: bool = True
    previsao_lease_ms: int = 30_000  # the lease outlives a crashed holder by at most this

    @property
    def production(self) -> bool:
        return self.app_env == "production"

    @property
    def tentativa_os_ms(self) -> int:
        """The longest one OS delivery attempt can take: its calls, each at full timeouts."""
        return OS_CHAMADAS_POR_TENTATIVA * (self.os_timeout_conexao_ms + self.os_timeout_leitura_ms)

    @property
    def lease_os_ms(self) -> int:
        """OS_LEASE_MS, or, unset, what outlasts an attempt with 5 s to spare (at least 30 s):
        a longer read timeout needs no second setting."""
        if self.os_lease_ms is not None:
            return self.os_lease_ms
        return max(30_000, self.tentativa_os_ms + 5_000)

    @property
    def integracoes(self) -> frozenset[str]:
        return frozenset(filter(None, (s.strip() for s in self.jwt_integracoes.split(","))))

    @property
    def redes_confiaveis(self) -> tuple[IPv4Network | IPv6Network, ...]:
        return tuple(
            ip_network(r.strip(), strict=False) for r in self.os_redes_confiaveis.split(",")
            if r.strip()
        )  # fmt: skip

    @property
    def redes_proxies(self) -> tuple[IPv4Network | IPv6Network, ...]:
        return tuple(
            ip_network(r.strip(), strict=False) for r in self.trusted_proxy_networks.split(",")
            if r.strip()
        )  # fmt: skip

    @property
    def claims_os(self) -> dict[str, str]:
        """OS_TOKEN_CLAIMS as a dict ("a=1,b=2")."""
        pares = (p.partition("=") for p in self.os_token_claims.split(",") if p.strip())
        return {nome.strip(): valor.strip() for nome, _, valor in pares}

    @property
    def session_fallbacks(self) -> list[str]:
        return [k.strip() for k in self.session_secret_key_fallbacks.split(",") if k.strip()]


_ENV_NAMES = {f.name: f.name.upper() for f in fields(Settings)}


def _parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "sim", "on"):
        return True
    if value in ("0", "false", "no", "nao", "não", "off"):
        return False
    raise ConfigError(f"{name} deve ser true ou false, recebido {raw!r}")


def _parse_int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} deve ser um número inteiro, recebido {raw!r}") from None


def numero_do_ambiente(
    nome: str, padrao: float, minimo: float, maximo: float, *, inteiro: bool = False
) -> float:
    """A number of the server's (gunicorn.conf.py, webapp/serving.py), read from the
    environment before any app exists; ConfigError says why one cannot be used."""
    bruto = os.environ.get(nome, "").strip() or f"{padrao:g}"
    try:
        valor = float(bruto)
    except ValueError:
        valor = math.nan
    # NaN and inf fail the range too.
    if not minimo <= valor <= maximo or (inteiro and not valor.is_integer()):
        tipo = "um número inteiro" if inteiro else "um número"
        raise ConfigError(f"{nome} deve ser {tipo} de {minimo:g} a {maximo:g}, recebido {bruto!r}")
    return valor


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Read settings from `environ` (default: the process environment, plus `.env` outside
    production) and apply `overrides` (tests), then check them."""
    if environ is None:
        if os.environ.get("APP_ENV", "development") != "production":
            from dotenv import find_dotenv, load_dotenv

            load_dotenv(find_dotenv(usecwd=True), override=False)
        environ = os.environ
    values: dict[str, Any] = {}
    for f in fields(Settings):
        raw = environ.get(_ENV_NAMES[f.name])
        if raw is None or raw == "":
            continue
        if f.type == "bool":
            values[f.name] = _parse_bool(_ENV_NAMES[f.name], raw)
        elif f.type in ("int", "int | None"):
            values[f.name] = _parse_int(_ENV_NAMES[f.name], raw)
        else:
            values[f.name] = raw
    settings = replace(Settings(), **values)
    if overrides:
        settings = replace(settings, **overrides)
    check(settings, explicit=values)
    return settings


def check(settings: Settings, explicit: Mapping[str, Any] | None = None) -> None:
    explicit = explicit or {}
    if settings.app_env not in AMBIENTES:
        raise ConfigError(f"APP_ENV deve ser um de {', '.join(AMBIENTES)}")
    if settings.algorithm not in ALGORITMOS_ACEITOS:
        raise ConfigError(
            f"ALGORITHM {settings.algorithm!r} não é aceito; use {', '.join(ALGORITMOS_ACEITOS)}"
        )
    try:
        ZoneInfo(settings.fuso_horario)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"FUSO_HORARIO desconhecido: {settings.fuso_horario!r}") from None
    if not 100 <= settings.mongodb_timeout_ms <= 60_000:
        raise ConfigError("MONGODB_TIMEOUT_MS deve estar entre 100 e 60000")
    if settings.trusted_proxies != 0:
        raise ConfigError(
            "TRUSTED_PROXIES não é mais aceita (acreditava em X-Forwarded-For de qualquer um): "
            "informe as redes dos proxies em TRUSTED_PROXY_NETWORKS, ex.: 172.30.80.10/32"
        )
    try:
        proxies = settings.redes_proxies
    except ValueError:
        raise ConfigError(
            "TRUSTED_PROXY_NETWORKS deve ser uma lista de redes, ex.: 10.0.0.5/32,10.1.0.0/24"
        ) from None
    if not 1 <= settings.painel_max_cartoes <= 20:
        raise ConfigError("PAINEL_MAX_CARTOES deve estar entre 1 e 20")
    if not 0 <= settings.jwt_leeway_s <= 300:
        raise ConfigError("JWT_LEEWAY_S deve estar entre 0 e 300")
    if not 200 <= settings.sse_batida_ms <= 60_000:
        raise ConfigError("SSE_BATIDA_MS deve estar entre 200 e 60000")
    checar_os(settings)
    checar_previsao(settings)
    checar_url_publica(settings.url_publica)
    sobrepostas = [
        f"{p} e {o}" for p in proxies for o in settings.redes_confiaveis
        if p.version == o.version and p.overlaps(o)
    ]  # fmt: skip
    if sobrepostas:
        raise ConfigError(
            "TRUSTED_PROXY_NETWORKS e OS_REDES_CONFIAVEIS se sobrepõem "
            f"({'; '.join(sobrepostas)}): um proxy não é o sistema de OS; use redes só dos proxies"
        )
    if not settings.production:
        return
    if "secret_key" not in explicit or settings.secret_key == DEV_SECRET_KEY:
        raise ConfigError("SECRET_KEY é obrigatória em produção (mínimo 32 caracteres)")
    if len(settings.secret_key) < 32:
        raise ConfigError("SECRET_KEY curta demais para produção: use ao menos 32 caracteres")
    if "mongodb_url" not in explicit:
        raise ConfigError("MONGODB_URL é obrigatória em produção")
    sessao = settings.session_secret_key
    if "session_secret_key" not in explicit or sessao == DEV_SESSION_SECRET_KEY:
        raise ConfigError("SESSION_SECRET_KEY é obrigatória em produção (mínimo 32 caracteres)")
    if len(sessao) < 32:
        raise ConfigError(
            "SESSION_SECRET_KEY curta demais para produção: use ao menos 32 caracteres"
        )
    if settings.metrics_token and len(settings.metrics_token) < 32:
        raise ConfigError("METRICS_TOKEN curto demais para produção: use ao menos 32 caracteres")
    if settings.metrics_token in (settings.secret_key, sessao):
        raise ConfigError("METRICS_TOKEN deve ser diferente de SECRET_KEY e SESSION_SECRET_KEY")
    if sessao == settings.secret_key:
        raise ConfigError(
            "SESSION_SECRET_KEY deve ser diferente de SECRET_KEY "
            "(uma assina as sessões, a outra os JWTs)"
        )


def checar_os(settings: Settings) -> None:
    """Settings of the delivery to the OS service (one line per refusal)."""
    url = settings.url_api_os
    if url and not url.startswith(("http://", "https://")):
        raise ConfigError(f"URL_API_OS deve começar com http:// ou https://, recebido {url!r}")
    modelo = settings.os_path_template
    try:
        caminho = modelo.format(ordem_servico_id=1)
    except (KeyError, IndexError, ValueError):
        caminho = None
    if caminho is None or "{ordem_servico_id}" not in modelo or not modelo.startswith("/"):
        raise ConfigError(
            "OS_PATH_TEMPLATE deve começar com / e conter só o campo {ordem_servico_id}, "
            "ex.: /veiculos/0/ordens_servico/{ordem_servico_id}/status"
        )
    if not settings.os_token_sub.strip():
        raise ConfigError("OS_TOKEN_SUB não pode ser vazio")
    try:
        settings.redes_confiaveis  # noqa: B018 - parsed here to refuse a bad value at start-up
    except ValueError:
        raise ConfigError(
            "OS_REDES_CONFIAVEIS deve ser uma lista de redes, ex.: 10.0.0.0/8,192.168.1.10"
        ) from None
    if any("=" not in p for p in settings.os_token_claims.split(",") if p.strip()):
        raise ConfigError("OS_TOKEN_CLAIMS deve ser nome=valor separados por vírgula")
    reservadas = sorted(set(settings.claims_os) & CLAIMS_RESERVADAS)
    if reservadas:
        raise ConfigError(
            f"OS_TOKEN_CLAIMS não pode definir {', '.join(reservadas)} "
            "(use OS_TOKEN_SUB e OS_TOKEN_AUD; as demais a fila define)"
        )
    if settings.os_token_com_aud and settings.os_token_aud.strip() == settings.jwt_audience:
        raise ConfigError(
            "OS_TOKEN_AUD deve ser diferente de JWT_AUDIENCE: o token enviado ao sistema de OS "
            "não pode valer na API desta fila"
        )
    if settings.os_token_com_aud and not settings.os_token_aud.strip():
        raise ConfigError("OS_TOKEN_AUD não pode ser vazia com OS_TOKEN_COM_AUD=true")
    limites = {
        "OS_TIMEOUT_CONEXAO_MS": (settings.os_timeout_conexao_ms, 10, 60_000),
        "OS_TIMEOUT_LEITURA_MS": (settings.os_timeout_leitura_ms, 10, 300_000),
        "OS_RETENTATIVA_BASE_MS": (settings.os_retentativa_base_ms, 1, 3_600_000),
        "OS_RETENTATIVA_MAX_MS": (settings.os_retentativa_max_ms, 1, 86_400_000),
        "OS_PRAZO_RETENTATIVAS_S": (settings.os_prazo_retentativas_s, 1, 30 * 86_400),
        "OS_LEASE_MS": (settings.lease_os_ms, 50, 3_600_000),
        "OS_SYNC_INTERVALO_MS": (settings.os_sync_intervalo_ms, 10, 60_000),
        "OS_ALERTA_FORA_S": (settings.os_alerta_fora_s, 0, 86_400),
    }
    for nome, (valor, minimo, maximo) in limites.items():
        if not minimo <= valor <= maximo:
            raise ConfigError(f"{nome} deve estar entre {minimo} e {maximo}")
    if settings.os_retentativa_max_ms < settings.os_retentativa_base_ms:
        raise ConfigError("OS_RETENTATIVA_MAX_MS deve ser maior ou igual a OS_RETENTATIVA_BASE_MS")
    n = OS_CHAMADAS_POR_TENTATIVA
    if settings.lease_os_ms <= settings.tentativa_os_ms:
        raise ConfigError(
            f"OS_LEASE_MS deve ser maior que {n} × (OS_TIMEOUT_CONEXAO_MS + "
            f"OS_TIMEOUT_LEITURA_MS): uma tentativa faz até {n} chamadas, e antes do fim do "
            "prazo outro despachante poderia enviar o mesmo evento ao mesmo tempo"
        )


def checar_previsao(settings: Settings) -> None:
    """The forecast's numbers (its calendar's text is parsed by webapp.configuracao)."""
    limites = {
        "PREVISAO_JANELA_DIAS": (settings.previsao_janela_dias, 7, 366),
        "PREVISAO_HISTORICO_MINIMO": (settings.previsao_historico_minimo, 1, 100_000),
        "PREVISAO_INTERVALO_S": (settings.previsao_intervalo_s, 10, 900),
        "PREVISAO_LEASE_MS": (settings.previsao_lease_ms, 1_000, 3_600_000),
    }
    for nome, (valor, minimo, maximo) in limites.items():
        if not minimo <= valor <= maximo:
            raise ConfigError(f"{nome} deve estar entre {minimo} e {maximo}, recebido {valor}")


def checar_url_publica(url: str | None) -> None:
    """URL_PUBLICA: an absolute http(s) address with a host and nothing a path cannot follow."""
    if url is None:
        return
    try:
        partes = urlsplit(url)
    except ValueError:  # e.g. "http://[x"
        partes = urlsplit("")
    if (
        partes.scheme not in ("http", "https")
        or not partes.hostname
        or any(c in url for c in "?#@")
        or partes.netloc.endswith(":")
        or not url.isprintable()
        or " " in url
    ):
        raise ConfigError(
            "URL_PUBLICA deve ser o endereço que as pessoas abrem, só com http(s)://, o nome e, "
            f"se preciso, porta e caminho (ex.: https://fila.oficina.com.br), recebido {url!r}"
        )
    try:
        partes.port  # noqa: B018 - raises on a port that is not a number or out of range
    except ValueError:
        raise ConfigError(f"URL_PUBLICA com porta inválida: {url!r}") from None
