"""The app's collaborators (its services, repositories, queries, the broker, the settings...),
each built once by create_app and registered under its own class; anything that runs in the app
(a request, a stream, a command) reaches one by that class: `componente(FilaService)`, or
`componente(FilaService, app)` with the app at hand (tests, gunicorn's hooks).

Infrastructure: this module knows no collaborator, so every package may ask it for any of them
and the import arrows still point down (a feature imports the class it asks for from the
package that owns it).
"""

from __future__ import annotations

from html import escape
from typing import TypeVar, cast

from flask import Flask, current_app
from werkzeug.routing import BaseConverter, Map
from werkzeug.wrappers import Response

T = TypeVar("T")


class Numero(BaseConverter):
    """A whole number in an address as the API's bodies take one: ASCII digits, no leading
    zero, at most 19 of them (werkzeug's `int` also took "１" and "٣" and "0001" for 1, which
    a body refuses)."""

    regex = r"[1-9][0-9]{0,18}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: object) -> str:
        return str(int(value))  # type: ignore[call-overload]


class Enderecos(Map):
    """The app's addresses, a doubled slash not merged: werkzeug answers "/pessoas//x" with a
    308 to "/pessoas/x" of its own, before any handler of ours (in English, ahead of the
    token's check, its Location built from the client's Host). Unmerged, it is an address we
    do not have: the 404 of errors.py, in Portuguese. `<numero:...>`: Numero."""

    default_converters = {**Map.default_converters, "numero": Numero}

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("merge_slashes", False)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


class Aplicacao(Flask):
    """Flask with the collaborators create_app registered, by class."""

    url_map_class = Enderecos

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.componentes: dict[type, object] = {}

    def redirect(self, location: str, code: int = 302) -> Response:
        """flask.redirect's answer, its body in Portuguese (werkzeug's says "Redirecting...
        You should be redirected automatically"): what a client that does not follow it
        shows or saves."""
        resposta = super().redirect(location, code)
        destino = escape(resposta.location or location)
        resposta.set_data(
            '<!doctype html>\n<html lang="pt-BR">\n<title>Redirecionando…</title>\n'
            f'<p>Continue em <a href="{destino}">{destino}</a>.</p>\n'
        )
        return resposta


def registrar(app: Aplicacao, *objetos: object) -> None:
    """Register each object under its class (once: two of a class would be ambiguous)."""
    for objeto in objetos:
        if type(objeto) in app.componentes:
            raise ValueError(f"{type(objeto).__name__} já registrado")
        app.componentes[type(objeto)] = objeto


def componente(tipo: type[T], app: Flask | None = None) -> T:
    """The app's collaborator of class `tipo` (the current app's, unless `app` is given)."""
    alvo = cast(Aplicacao, app if app is not None else current_app)
    return cast(T, alvo.componentes[tipo])
