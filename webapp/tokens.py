"""JWTs of the shop's auth service: verifying the API's bearer tokens and minting local ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from .settings import USO_TOKEN, Settings
from .text import limpar_texto


class TokenInvalido(Exception):
    def __init__(self, mensagem: str, codigo: str = "invalid_token") -> None:
        super().__init__(mensagem)
        self.mensagem = mensagem
        self.codigo = codigo


class TokenSemPermissao(Exception):
    """A valid token whose bearer may not use the API (403)."""

    def __init__(self, mensagem: str) -> None:
        super().__init__(mensagem)
        self.mensagem = mensagem


@dataclass(frozen=True)
class Identidade:
    sub: str
    # The `role` claim as sent (whoever reads it keeps its allow-list: api/routes.py); None: a
    # role-less token accepted as an integration's.
    role: Any
    claims: dict[str, Any]


TIPO_SERVICO = "servico_interno"  # `tipo_token` of the auth service's service tokens
# Every token this app sends to the OS service says so (`uso_token`), and this API refuses any
# token that does: whoever reads the OS service's logs or traffic cannot use it here, whatever
# the audiences (the shop's OS service refuses an `aud`, so the claim is what always holds).
USO_SAIDA = "chamada_ao_sistema_os"
MINUTOS_PARA_OS = 5
SUB_MAXIMO = 200


def problema_do_sub(sub: str) -> str | None:
    """Why a `sub` cannot be who did it in the history, or None. Blank: a change by nobody.
    As any text shown: no control or invisible character (a right-to-left override would turn
    the line around) and a length a line holds. Refused, not cleaned: a cleaned `sub` would be
    someone else."""
    if not sub.strip():
        return "Token sem a claim obrigatória 'sub'."
    if len(sub) > SUB_MAXIMO or limpar_texto(sub, linhas=False) != sub:
        return (
            f"Token com 'sub' inválido: caracteres de controle ou invisíveis, espaços nas "
            f"pontas ou mais de {SUB_MAXIMO} caracteres."
        )
    return None


def verificar(token: str, settings: Settings) -> Identidade:
    """Check signature, algorithm, exp, iss and aud; the caller's identity or TokenInvalido (and
    TokenSemPermissao for a role-less token that is no integration's)."""
    # A token without `aud` is accepted only while JWT_REQUIRE_AUDIENCE is off (migration from
    # the current auth service); a token that carries one is always checked.
    try:
        claims = _decode(token, settings, audience=settings.jwt_audience)
    except jwt.MissingRequiredClaimError as erro:
        if erro.claim != "aud" or settings.jwt_require_audience:
            raise TokenInvalido(f"Token sem a claim obrigatória '{erro.claim}'.") from None
        claims = _decode(token, settings, audience=None)
    if USO_TOKEN in claims:
        raise TokenInvalido("Token emitido por esta fila para o sistema de OS: não vale nesta API.")
    sub = str(claims["sub"])
    problema = problema_do_sub(sub)
    if problema:
        raise TokenInvalido(problema)
    if claims.get("role") is None:
        # The shop's auth service gives its login tokens (customers' too) no role: only
        # service tokens and the integrations configured by `sub` act as an integration. A
        # role sent as null is no role either (never an integration's rights by default).
        if claims.get("tipo_token") == TIPO_SERVICO or sub in settings.integracoes:
            return Identidade(sub, None, claims)
        raise TokenSemPermissao(
            "Token sem papel (role): só integrações configuradas podem usar a API."
        )
    return Identidade(sub, claims["role"], claims)


# Why a token is refused, most specific first (the rest: "Token inválido.").
_MOTIVOS: tuple[tuple[type[Exception], str], ...] = (
    (jwt.ExpiredSignatureError, "Token expirado."),
    # iat or nbf after now (beyond the leeway): a clock ahead at the issuer, most often.
    (jwt.ImmatureSignatureError, "Token ainda não vale: 'iat' ou 'nbf' no futuro."),
    (jwt.InvalidIssuerError, "Emissor (iss) do token inválido."),
    (jwt.InvalidAudienceError, "Audiência (aud) do token inválida."),
    (jwt.InvalidAlgorithmError, "Algoritmo do token não aceito."),
    (jwt.InvalidSignatureError, "Assinatura do token inválida."),
    (jwt.exceptions.InvalidSubjectError, "A claim 'sub' do token deve ser texto."),
)
# Dates a JWT carries are JSON numbers (RFC 7519's NumericDate); PyJWT also takes the text
# "1796…" for `exp`, which no conforming issuer writes.
_DATAS = ("exp", "nbf", "iat")
_DATA_RECUSADA = (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError, jwt.InvalidIssuedAtError)


def _datas_em_numero(claims: dict[str, Any]) -> None:
    for data in _DATAS:
        valor = claims.get(data)
        if data in claims and (isinstance(valor, bool) or not isinstance(valor, int | float)):
            raise TokenInvalido(f"A claim '{data}' do token deve ser um número (segundos).")


def _decode(token: str, settings: Settings, audience: str | None) -> dict[str, Any]:
    try:
        claims = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[settings.algorithm],
            issuer=settings.jwt_issuer,
            audience=audience,
            leeway=settings.jwt_leeway_s,
            options={"require": ["exp", "iss", "sub"], "verify_aud": audience is not None},
        )
    except jwt.MissingRequiredClaimError:
        raise
    except jwt.PyJWTError as erro:
        if isinstance(erro, _DATA_RECUSADA):
            # The signature held (PyJWT checks it first): a date that is no number (`true`
            # reads as 1, long expired) is told as such, not as "Token expirado."
            _datas_em_numero(jwt.decode(token, options={"verify_signature": False}))
        motivo = next((m for tipo, m in _MOTIVOS if isinstance(erro, tipo)), "Token inválido.")
        raise TokenInvalido(motivo) from None
    _datas_em_numero(claims)
    return claims


def emitir(
    settings: Settings,
    sub: str,
    *,
    role: str | None = None,
    minutos: int = 60,
    audience: bool | str = True,
    extra: dict[str, Any] | None = None,
) -> str:
    """A JWT as the shop's auth service makes them; `audience`: True for JWT_AUDIENCE, a text
    for another value, False for none."""
    agora = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": sub,
        "iss": settings.jwt_issuer,
        "iat": agora,
        "exp": agora + timedelta(minutes=minutos),
        **(extra or {}),
    }
    if audience:
        claims["aud"] = settings.jwt_audience if audience is True else audience
    if role:
        claims["role"] = role
    return jwt.encode(claims, settings.secret_key, algorithm=settings.algorithm)


def emitir_para_os(settings: Settings) -> str:
    """The token sent to the OS service: `sub` OS_TOKEN_SUB, `aud` OS_TOKEN_AUD (never
    JWT_AUDIENCE) unless OS_TOKEN_COM_AUD is off, OS_TOKEN_CLAIMS, and `uso_token`, which makes
    this API refuse it."""
    audiencia = settings.os_token_aud.strip() if settings.os_token_com_aud else False
    extra = {**settings.claims_os, USO_TOKEN: USO_SAIDA}
    return emitir(
        settings, settings.os_token_sub, minutos=MINUTOS_PARA_OS, audience=audiencia, extra=extra
    )
