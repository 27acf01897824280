"""The base of every form (WTForms + Flask-WTF for CSRF) and the form of a button that needs
nothing but the CSRF token."""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import TextInput

from .mongo import INT64_MAX
from .text import filtro_de_formulario, milhares

# A stored number's ceiling, said with its rule: a number too large is not told that it is
# not positive.
NO_MAXIMO_INT64 = f"(no máximo {milhares(INT64_MAX)})"

# WTForms ships Portugal's Portuguese only ("O valor temporal não é válido."): the messages a
# field gives before any validator of ours runs, in the shop's words.
MENSAGENS_WTFORMS = {
    "Not a valid integer value.": "Digite só números inteiros.",
    "Not a valid datetime value.": "Data e hora inválidas.",
    "Not a valid date value.": "Data inválida.",
    "Invalid Choice: could not coerce.": "Escolha inválida.",
}


class _Traducoes:
    def __init__(self, base: Any) -> None:
        self.base = base

    def gettext(self, texto: str) -> str:
        return MENSAGENS_WTFORMS.get(texto) or self.base.gettext(texto)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.base.ngettext(singular, plural, n)


class Formulario(FlaskForm):
    class Meta:
        # WTForms' own Portuguese for the rest ("Campo obrigatório.", "Escolha inválida.", ...).
        locales = ("pt_BR", "pt")

        def get_translations(self, form: Any) -> _Traducoes:
            return _Traducoes(super().get_translations(form))

    def recusa_oculta(self) -> str | None:
        """A hidden field's refusal (what the page was drawn with, hand-made or lost): it has
        no field to mark, so it is said in its own words, not "Corrija o campo marcado."."""
        for campo in self:
            if isinstance(campo, HiddenField) and campo.name != "csrf_token" and campo.errors:
                return str(campo.errors[0])
        return None

    def pedido(self, valores: dict[str, Any]) -> dict[str, Any]:
        """What this tap asked for, as a refusal compares it with the change already saved
        (fila.domain.ja_feito): the fields as sent, `valores`, unless a form says otherwise."""
        return valores


class ConfirmarForm(Formulario):
    """A button that only needs the CSRF token (a step, a retry, a revocation)."""


class Tamanho(Length):
    """Length, checked by the server only: WTForms would render it as minlength/maxlength, and
    a browser cuts a paste at maxlength without a word (and says minlength in its own
    language); the server refuses with the shop's words and gives the text back whole."""

    def __init__(self, min: int = -1, max: int = -1, message: str | None = None) -> None:
        super().__init__(min=min, max=max, message=message)
        self.field_flags = {}


def ate(maximo: int) -> Tamanho:
    """At most `maximo` characters, said the same way in every form."""
    return Tamanho(max=maximo, message=f"Use no máximo {milhares(maximo)} caracteres.")


def texto_obrigatorio(
    rotulo: str, vazio: str, maximo: int, tipo: type[Field] = StringField, **opcoes: Any
) -> Any:
    """A required text field with its two messages (empty; too long), its value cleaned of
    control characters first (text.py): a name of NULs and escapes is an empty name, and
    none reaches a terminal that lists it."""
    validadores = [DataRequired(vazio), ate(maximo)]
    limpeza = filtro_de_formulario(linhas=issubclass(tipo, TextAreaField))
    return tipo(rotulo, validators=validadores, filters=[limpeza], **opcoes)


class Inteiro(IntegerField):
    """A whole number typed in ASCII digits, with one clear message for anything else ("abc",
    "2.5"): int() alone also takes "1_000" and Arabic-Indic or full-width digits, which the
    API and the board's filters refuse.

    A text box with a numeric keypad, not `type=number`: with `novalidate`, a browser sends
    what it cannot read as a number ("104-5", "8-", "107e") as empty, which an optional field
    takes as "none", and a typo erased a mechanic's number or a column's limit under "salvo".
    As text it comes as typed, is refused beside the field, and stays in it."""

    widget = TextInput()

    def __init__(
        self, rotulo: str, validators: list[Any], mensagem: str | None = None, **opcoes: Any
    ):
        opcoes["render_kw"] = {"inputmode": "numeric", **(opcoes.get("render_kw") or {})}
        super().__init__(rotulo, validators=validators, **opcoes)
        self.mensagem = mensagem or MENSAGENS_WTFORMS["Not a valid integer value."]

    def process_formdata(self, valuelist: list[Any]) -> None:
        texto = str(valuelist[0]).strip() if valuelist else ""
        if texto and not _INTEIRO.fullmatch(texto):
            self.data = None
            raise ValueError(self.mensagem)
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(self.mensagem) from None


_INTEIRO = re.compile(r"[+-]?[0-9]+")


class Faixa:
    """A whole number from `minimo` to `maximo` (either may be None), else `mensagem`.
    WTForms' NumberRange asks math.isnan first, and a number of 309 digits or more is too
    large for a float: its OverflowError was a 500 where "grande demais" was due."""

    def __init__(self, minimo: int | None = None, maximo: int | None = None, *, mensagem: str):
        self.minimo, self.maximo, self.mensagem = minimo, maximo, mensagem

    def __call__(self, form: Any, campo: Field) -> None:
        numero = campo.data
        if (
            numero is None
            or (self.minimo is not None and numero < self.minimo)
            or (self.maximo is not None and numero > self.maximo)
        ):
            raise ValidationError(self.mensagem)


class InteiroOpcional(Inteiro):
    """An optional whole number from `minimo` to `maximo` (Inteiro)."""

    def __init__(self, rotulo: str, minimo: int, maximo: int, mensagem: str, **opcoes: Any):
        validadores = [Optional(), Faixa(minimo, maximo, mensagem=mensagem)]
        super().__init__(rotulo, validadores, mensagem, **opcoes)
