"""The security headers every answer carries: the app's (create_app's after_request) and
gunicorn's own refusals (serving.escrever_erro)."""

from __future__ import annotations

# No inline script or style anywhere: every behaviour is a file of static/.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# On every answer, the app's and gunicorn's own refusals (serving.escrever_erro) alike.
CABECALHOS_SEGURANCA = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
# Only on an answer over HTTPS (a browser ignores it over HTTP, and a shop's LAN may serve
# plain HTTP): a year, so a tablet never again tries the address unencrypted.
HSTS = "max-age=31536000"
