"""The base of every form (WTForms + Flask-WTF for CSRF) and the form of a button that needs
nothing but the CSRF token."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, StringField
from wtforms.validators import DataRequired, Length


class Formulario(FlaskForm):
    class Meta:
        # WTForms' own Portuguese messages ("Não é um valor inteiro válido.", ...).
        locales = ("pt_BR", "pt")


class ConfirmarForm(Formulario):
    """A button that only needs the CSRF token (a step, a retry, a revocation)."""


def texto_obrigatorio(
    rotulo: str, vazio: str, maximo: int, tipo: type[Field] = StringField, **opcoes: Any
) -> Any:
    """A required text field with its two messages (empty; too long)."""
    mensagem = f"Use no máximo {maximo} caracteres."
    validadores = [DataRequired(vazio), Length(max=maximo, message=mensagem)]
    return tipo(rotulo, validators=validadores, **opcoes)
