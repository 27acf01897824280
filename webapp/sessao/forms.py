"""The sign-in form."""

from __future__ import annotations

from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from ..forms import Formulario, Tamanho
from ..pessoas.domain import SENHA_MAXIMA


class EntrarForm(Formulario):
    login = StringField("Usuário", validators=[DataRequired("Informe o usuário."), Tamanho(max=40)])
    senha = PasswordField(
        "Senha", validators=[DataRequired("Informe a senha."), Tamanho(max=SENHA_MAXIMA)]
    )
