"""JWTs of the shop's auth service: verifying the API's bearer tokens and minting local ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from .fila.domain import Papel
from .settings import Settings


class TokenInvalido(Exception):
    def __init__(self, mensagem: str, codigo: str = "invalid_token") -> None:
        super().__init__(mensagem)
        self.mensagem = mensagem
        self.codigo = codigo


@dataclass(frozen=True)
class Identidade:
    sub: str
    papel: Papel
    claims: dict[str, Any]


_PAPEIS = {"mecanico": Papel.MECANICO, "gerente": Papel.GERENTE, "admin": Papel.ADMIN}


def verificar(token: str, settings: Settings) -> Identidade:
    """Check signature, algorithm, exp, iss and aud; the caller's identity or TokenInvalido."""
    # A token without `aud` is accepted only while JWT_REQUIRE_AUDIENCE is off (migration from
    # the current auth service); a token that carries one is always checked.
    try:
        claims = _decode(token, settings, audience=settings.jwt_audience)
    except jwt.MissingRequiredClaimError as erro:
        if erro.claim != "aud" or settings.jwt_require_audience:
            raise TokenInvalido(f"Token sem a claim obrigatória '{erro.claim}'.") from None
        claims = _decode(token, settings, audience=None)
    papel = claims.get("role")
    return Identidade(str(claims["sub"]), _PAPEIS.get(papel, Papel.SERVICO), claims)


# Why a token is refused, most specific first (the rest: "Token inválido.").
_MOTIVOS: tuple[tuple[type[Exception], str], ...] = (
    (jwt.ExpiredSignatureError, "Token expirado."),
    (jwt.InvalidIssuerError, "Emissor (iss) do token inválido."),
    (jwt.InvalidAudienceError, "Audiência (aud) do token inválida."),
    (jwt.InvalidAlgorithmError, "Algoritmo do token não aceito."),
    (jwt.InvalidSignatureError, "Assinatura do token inválida."),
)


def _decode(token: str, settings: Settings, audience: str | None) -> dict[str, Any]:
    try:
        return jwt.decode(
            token,
            settings.secret_key,
            algorithms=[settings.algorithm],
            issuer=settings.jwt_issuer,
            audience=audience,
            options={"require": ["exp", "iss", "sub"], "verify_aud": audience is not None},
        )
    except jwt.MissingRequiredClaimError:
        raise
    except jwt.PyJWTError as erro:
        motivo = next((m for tipo, m in _MOTIVOS if isinstance(erro, tipo)), "Token inválido.")
        raise TokenInvalido(motivo) from None


def emitir(
    settings: Settings,
    sub: str,
    *,
    role: str | None = None,
    minutos: int = 60,
    audience: bool = True,
    extra: dict[str, Any] | None = None,
) -> str:
    agora = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": sub,
        "iss": settings.jwt_issuer,
        "iat": agora,
        "exp": agora + timedelta(minutes=minutos),
        **(extra or {}),
    }
    if audience:
        claims["aud"] = settings.jwt_audience
    if role:
        claims["role"] = role
    return jwt.encode(claims, settings.secret_key, algorithm=settings.algorithm)
