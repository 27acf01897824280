"""The client's address behind reverse proxies, believed only from the proxies' own networks.

`X-Forwarded-For` is a header anyone can send. It is read only when the socket's peer is in
TRUSTED_PROXY_NETWORKS, and then only as far back as the hops that are proxies too: walking the
list from the right, the first address that is not a trusted proxy is the client (a forged
entry further left, written by the client itself, is never reached). `X-Forwarded-Proto` and
`-Host` count only from a trusted peer as well; from anyone else every `X-Forwarded-*` header is
dropped, so nothing further in can read a forged one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Any

Rede = IPv4Network | IPv6Network
ENCAMINHADOS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST")


def na_rede(endereco: str | None, redes: Iterable[Rede]) -> bool:
    if not endereco:
        return False
    try:
        ip = ip_address(endereco.strip())
    except ValueError:
        return False
    return any(ip in rede for rede in redes)


def endereco_do_cliente(par: str, encaminhado: str | None, redes: tuple[Rede, ...]) -> str:
    """The client's address: `par` (the socket's peer) unless it is a trusted proxy, then the
    hops of `encaminhado` (X-Forwarded-For) from the right while each is a trusted proxy."""
    atual = par
    if not encaminhado:
        return atual
    for salto in reversed([s.strip() for s in encaminhado.split(",")]):
        if not na_rede(atual, redes):
            break
        try:
            atual = str(ip_address(salto))
        except ValueError:
            break  # a malformed hop: the last trusted proxy is the client we can vouch for
    return atual


def _ultimo(valor: str | None) -> str | None:
    """The value the nearest proxy appended (the last of a comma-separated list)."""
    if not valor:
        return None
    return valor.rsplit(",", 1)[-1].strip() or None


class ProxiesConfiaveis:
    """WSGI middleware: REMOTE_ADDR, the scheme and the host as the trusted proxies tell them."""

    def __init__(self, app: Callable[..., Any], redes: tuple[Rede, ...]) -> None:
        self.app = app
        self.redes = redes

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        par = environ.get("REMOTE_ADDR") or ""
        if self.redes and na_rede(par, self.redes):
            environ["REMOTE_ADDR"] = endereco_do_cliente(
                par, environ.get("HTTP_X_FORWARDED_FOR"), self.redes
            )
            esquema = _ultimo(environ.get("HTTP_X_FORWARDED_PROTO"))
            if esquema in ("http", "https"):
                environ["wsgi.url_scheme"] = esquema
            host = _ultimo(environ.get("HTTP_X_FORWARDED_HOST"))
            if host:
                environ["HTTP_HOST"] = host
        else:
            for nome in ENCAMINHADOS:
                environ.pop(nome, None)
        return self.app(environ, start_response)
