"""The sign-in form."""

from __future__ import annotations

from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from ..forms import Formulario, ate
from ..pessoas.domain import LOGIN_MAXIMO, SENHA_MAXIMA


class EntrarForm(Formulario):
    login = StringField(
        "Usuário", validators=[DataRequired("Informe o usuário."), ate(LOGIN_MAXIMO)]
    )
    senha = PasswordField("Senha", validators=[DataRequired("Informe a senha."), ate(SENHA_MAXIMA)])
