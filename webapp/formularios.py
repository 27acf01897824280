"""The board's forms (WTForms + Flask-WTF for CSRF). They check what a person typed; the rules
about the queue itself stay in the domain and the service."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from .domain import MotivoPausa, Prioridade
from .quadro import ROTULOS_PRIORIDADE
from .schemas import INT64_MAX

PRIORIDADES = [SelectChoice(p.value, ROTULOS_PRIORIDADE[p]) for p in Prioridade]
MOTIVOS = [SelectChoice(m.value, m.rotulo) for m in MotivoPausa]


class Formulario(FlaskForm):
    class Meta:
        # WTForms' own Portuguese messages ("Não é um valor inteiro válido.", ...).
        locales = ("pt_BR", "pt")


class NovaOrdemForm(Formulario):
    ordem_servico_id = IntegerField(
        "Número da OS",
        validators=[
            InputRequired("Informe o número da OS."),
            NumberRange(1, INT64_MAX, "O número da OS deve ser um inteiro positivo."),
        ],
    )
    prioridade = SelectField("Prioridade", choices=PRIORIDADES, default=Prioridade.NORMAL.value)
    placa = StringField(
        "Placa", validators=[Optional(), Length(max=10, message="Placa longa demais.")]
    )
    veiculo = StringField("Veículo", validators=[Optional(), Length(max=200)])
    cliente = StringField("Cliente", validators=[Optional(), Length(max=200)])
    descricao = TextAreaField("Reclamação do cliente", validators=[Optional(), Length(max=2000)])
    previsao_entrega = DateTimeLocalField(
        "Previsão de entrega", format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )


class DiagnosticoForm(Formulario):
    diagnostico = TextAreaField(
        "Diagnóstico",
        validators=[
            DataRequired("Escreva o diagnóstico."),
            Length(max=10_000, message="O diagnóstico pode ter no máximo 10000 caracteres."),
        ],
    )


class ReparoForm(Formulario):
    observacoes_reparo = TextAreaField(
        "Observações do reparo",
        validators=[Optional(), Length(max=10_000, message="No máximo 10000 caracteres.")],
    )


class PausaForm(Formulario):
    motivo = SelectField("Motivo", choices=MOTIVOS, validators=[InputRequired("Escolha o motivo.")])
    nota = StringField(
        "Observação", validators=[Optional(), Length(max=200, message="No máximo 200 caracteres.")]
    )


class PrioridadeForm(Formulario):
    prioridade = SelectField("Prioridade", choices=PRIORIDADES)


class ConfirmarForm(Formulario):
    """A button that only needs the CSRF token."""
