"""The /pessoas forms (WTForms + Flask-WTF for CSRF): a person's fields and one's own new
password. The rules of a user's fields stay in model.py, the same for the command line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, ValidationError

from ..clock import em_ms
from ..forms import (
    NO_MAXIMO_INT64,
    Formulario,
    InteiroOpcional,
    Tamanho,
    ate,
    texto_obrigatorio,
)
from ..mongo import INT64_MAX
from ..text import algarismos
from .domain import (
    LOGIN_MAXIMO,
    PAPEIS,
    ROTULOS_PAPEL,
    SENHA_MAXIMA,
    SENHA_MINIMA,
    SENHA_TAMANHO,
    Papel,
    Usuario,
    UsuarioInvalido,
    papeis_que_concede,
    validar_login,
)

PAPEIS_ESCOLHA = [SelectChoice(p.value, ROTULOS_PAPEL[p]) for p in PAPEIS]
MENSAGEM_FUNCIONARIO = f"Use um número inteiro positivo {NO_MAXIMO_INT64}, ou deixe em branco."


def versao_de(usuario: Usuario) -> str:
    """The record's version as the form carries it: its `atualizado_em` in milliseconds."""
    ms = em_ms(usuario.documento.get("atualizado_em"))
    return "" if ms is None else str(ms)


# What a version that no page of ours drew names: an instant no record was changed at, so
# the edit is refused as made on a record that changed since (never a 500, never unchecked).
NENHUMA_VERSAO = datetime(1970, 1, 1, tzinfo=UTC)
_MS_MAXIMO = int((datetime(9999, 12, 31, tzinfo=UTC) - NENHUMA_VERSAO).total_seconds() * 1000)


def instante_da_versao(texto: str | None) -> datetime | None:
    """The `atualizado_em` a form's version names. None: none given (a page drawn from a
    record without one, as older records are); NENHUMA_VERSAO: not a version (edited, or
    past any date)."""
    if not texto:
        return None
    ms = algarismos(texto, 15)
    if ms is None or ms > _MS_MAXIMO:
        return NENHUMA_VERSAO
    return NENHUMA_VERSAO + timedelta(milliseconds=ms)


class PessoaForm(Formulario):
    # The record's version the page was drawn with (repository.versao_de); empty when adding.
    versao = HiddenField(default="")
    nome = texto_obrigatorio("Nome", "Informe o nome.", 80)
    papel = SelectField("Papel", choices=PAPEIS_ESCOLHA, default="mecanico")
    funcionario_id = InteiroOpcional(
        "Nº de funcionário",
        1,
        INT64_MAX,
        MENSAGEM_FUNCIONARIO,
        description="O número usado como mecânico responsável nas ordens (mecânicos).",
    )

    def oferecer(self, e_admin: bool, atual: Papel | None = None) -> None:
        """Show only the roles this person may give (and the edited person's own, so the
        select tells the truth). Rendering only: a role posted anyway is refused by the
        service, with its reason."""
        papeis = papeis_que_concede(e_admin)
        self.papel.choices = [
            SelectChoice(p.value, ROTULOS_PAPEL[p]) for p in PAPEIS if p in papeis or p == atual
        ]


class NovaPessoaForm(PessoaForm):
    login = StringField(
        "Usuário (para entrar)",
        validators=[DataRequired("Informe o usuário."), ate(LOGIN_MAXIMO)],
    )

    def validate_login(self, campo: StringField) -> None:
        """The format with the other fields, so that every error comes back at once."""
        try:
            validar_login(campo.data or "")
        except UsuarioInvalido as erro:
            raise ValidationError(str(erro)) from None


class TrocarSenhaForm(Formulario):
    senha_atual = PasswordField(
        "Senha atual",
        validators=[DataRequired("Informe a senha atual."), ate(SENHA_MAXIMA)],
    )
    nova = PasswordField(
        "Nova senha",
        validators=[
            # Input, not Data: spaces are typed, and the rules say why they cannot be one.
            InputRequired("Escolha a nova senha."),
            Tamanho(min=SENHA_MINIMA, max=SENHA_MAXIMA, message=SENHA_TAMANHO),
        ],
        # Said beside the label, before a first refusal does.
        description=f"de {SENHA_MINIMA} a {SENHA_MAXIMA} caracteres",
    )
    confirmar = PasswordField(
        "Repita a nova senha",
        validators=[
            InputRequired("Repita a nova senha."),
            EqualTo("nova", message="As duas senhas não são iguais."),
        ],
    )
