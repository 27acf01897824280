"""The sign-in form."""

from __future__ import annotations

from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..forms import Formulario
from ..pessoas.domain import SENHA_MAXIMA


class EntrarForm(Formulario):
    login = StringField("Usuário", validators=[DataRequired("Informe o usuário."), Length(max=40)])
    senha = PasswordField(
        "Senha", validators=[DataRequired("Informe a senha."), Length(max=SENHA_MAXIMA)]
    )
