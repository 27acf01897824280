"""The board's forms (WTForms + Flask-WTF for CSRF). They check what a person typed; the rules
about the queue itself stay in the domain and the service."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Any

from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    InputRequired,
    Optional,
    ValidationError,
)

from ..clock import HORARIO_INEXISTENTE, no_fuso
from ..fila import labels
from ..fila.domain import MotivoPausa, Prioridade, Visto, nota_da_pausa
from ..fila.fields import (
    ANO_MAXIMO,
    ANO_MINIMO,
    NOTA_MAXIMA,
    TAMANHO_MAXIMO,
    DadosInvalidos,
    ano_aceito,
    faixa_no_fuso,
)
from ..fila.plates import validar_placa
from ..forms import (
    NO_MAXIMO_INT64,
    Faixa,
    Formulario,
    Inteiro,
    ate,
    texto_obrigatorio,
)
from ..mongo import INT64_MAX, inteiro_guardavel
from ..text import algarismos

PRIORIDADES = [SelectChoice(p.value, labels.PRIORIDADES[p]) for p in Prioridade]
MOTIVOS = [SelectChoice(m.value, m.rotulo) for m in MotivoPausa]


def _no_fuso(local: datetime, fuso: tzinfo | None) -> datetime:
    """A promised time typed in a form (the shop's wall clock) as an instant: one that the
    zone has, within the years the queue accepts."""
    instante = local if fuso is None else no_fuso(local, fuso)
    if instante is None:
        raise ValidationError(f"{HORARIO_INEXISTENTE[0].upper()}{HORARIO_INEXISTENTE[1:]}.")
    if not ano_aceito(instante):
        if fuso is None or not ANO_MINIMO <= local.year <= ANO_MAXIMO:
            raise ValidationError(f"Use uma data entre {ANO_MINIMO} e {ANO_MAXIMO}.")
        # In the years as typed, not in UTC as stored: the first and last minutes accepted.
        primeiro, ultimo = faixa_no_fuso(fuso)
        raise ValidationError(
            f"Use uma data entre {primeiro:%d/%m/%Y %H:%M} e {ultimo:%d/%m/%Y %H:%M}."
        )
    return instante


class NovaOrdemForm(Formulario):
    ordem_servico_id = Inteiro(
        "Número da OS",
        [
            InputRequired("Informe o número da OS."),
            # Each bound says its own fault: a 0 or a -5 is not told about 2^63.
            Faixa(1, mensagem="O número da OS deve ser um inteiro positivo."),
            Faixa(maximo=INT64_MAX, mensagem=f"O número da OS é grande demais {NO_MAXIMO_INT64}."),
        ],
    )
    prioridade = SelectField("Prioridade", choices=PRIORIDADES, default=Prioridade.NORMAL.value)
    placa = StringField("Placa", validators=[Optional(), ate(TAMANHO_MAXIMO["placa"])])

    def validate_placa(self, campo: Any) -> None:
        try:
            campo.data = validar_placa(campo.data)
        except ValueError as erro:
            raise ValidationError(str(erro)) from None

    veiculo = StringField("Veículo", validators=[Optional(), ate(TAMANHO_MAXIMO["veiculo"])])
    cliente = StringField("Cliente", validators=[Optional(), ate(TAMANHO_MAXIMO["cliente"])])
    descricao = TextAreaField(
        "Reclamação do cliente", validators=[Optional(), ate(TAMANHO_MAXIMO["descricao"])]
    )
    previsao_entrega = DateTimeLocalField(
        labels.PREVISAO_ENTREGA, format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    confirmar_previsao = BooleanField(
        "Sim, a entrega prometida é mesmo no passado", false_values=("false", "", "0", "off")
    )

    def __init__(self, *args: Any, fuso: tzinfo | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fuso = fuso  # the shop's: the time is typed there, and stored in UTC
        self.precisa_confirmar = False  # a promise already past: ask before saving it

    def com_recusa(self, erros: dict[str, list[str]], precisa_confirmar: bool) -> None:
        """The refusal of a plain POST, kept over its redirect, shown as it was said."""
        for nome, mensagens in erros.items():
            if nome in self._fields:
                self._fields[nome].errors = list(mensagens)
        self.precisa_confirmar = precisa_confirmar

    def validate_previsao_entrega(self, campo: Any) -> None:
        if campo.data is None:
            return
        _no_fuso(campo.data, self.fuso)

    def previsao_confirmada(self, agora_local: datetime) -> bool:
        """A promised time already past is saved only when the person confirms it."""
        previsao = self.previsao_entrega.data
        if previsao is None or self.previsao_entrega.errors:  # refused as a date already
            return True
        if previsao >= agora_local.replace(tzinfo=None):
            return True
        # Past: the confirmation stays on the form, ticked when it was, through a refusal
        # for another field (it vanished, and the next send asked again).
        self.precisa_confirmar = True
        if self.confirmar_previsao.data:
            return True
        self.previsao_entrega.errors = [
            *self.previsao_entrega.errors,
            f"Esta entrega prometida ({previsao:%d/%m/%Y %H:%M}) já passou. Confira a data ou "
            "marque a confirmação logo abaixo.",
        ]
        return False

    def extras(self, fuso: tzinfo) -> dict[str, Any]:
        """The car's and customer's fields as the queue stores them (typed in the shop's zone)."""
        previsao = self.previsao_entrega.data
        return {
            "placa": self.placa.data or None,
            "veiculo": (self.veiculo.data or "").strip() or None,
            "cliente": (self.cliente.data or "").strip() or None,
            "descricao": (self.descricao.data or "").strip() or None,
            "previsao_entrega": previsao.replace(tzinfo=fuso) if previsao else None,
        }


class DiagnosticoForm(Formulario):
    diagnostico = texto_obrigatorio(
        labels.CAMPOS_TEXTO["diagnostico"],
        "Escreva o diagnóstico.",
        TAMANHO_MAXIMO["diagnostico"],
        TextAreaField,
    )


class ReparoForm(Formulario):
    observacoes_reparo = TextAreaField(
        labels.CAMPOS_TEXTO["observacoes_reparo"],
        validators=[Optional(), ate(TAMANHO_MAXIMO["observacoes_reparo"])],
    )


class PausaForm(Formulario):
    motivo = SelectField("Motivo", choices=MOTIVOS, validators=[InputRequired("Escolha o motivo.")])
    nota = StringField("Observação", validators=[ate(NOTA_MAXIMA)])

    def validate_nota(self, campo: Any) -> None:
        """The rule's own message, beside the field (the service checks it again)."""
        if self.motivo.data not in {m.value for m in MotivoPausa}:
            return  # the reason's own error says what is wrong
        try:
            nota_da_pausa(MotivoPausa(self.motivo.data), campo.data)
        except DadosInvalidos as erro:
            raise ValidationError(str(erro)) from None


# What the card showed when its form was drawn (domain.Visto): a priority, or a mechanic's
# number (0: none). A page drawn before the field (or a hand-made post) sends nothing: the
# change is then made on whatever the order has, as an integration's.
VISTO_INVALIDO = "Cartão inválido; recarregue a página."


class PrioridadeForm(Formulario):
    prioridade = SelectField("Prioridade", choices=PRIORIDADES)
    visto = HiddenField()

    def validate_visto(self, campo: Any) -> None:
        if campo.data and campo.data not in {p.value for p in Prioridade}:
            raise ValidationError(VISTO_INVALIDO)

    def prioridade_vista(self) -> Visto | None:
        return Visto(Prioridade(self.visto.data)) if self.visto.data else None


MENSAGEM_MECANICO = "Escolha um dos mecânicos ativos da lista."


class CampoMecanico(SelectField):
    """A mechanic among the active ones (the choices); one clear message for anything else."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None

    def pre_validate(self, form: Any) -> None:
        if self.data not in {valor for valor, *_ in self.iter_choices()}:
            raise ValidationError(MENSAGEM_MECANICO)


class AtribuirForm(Formulario):
    mecanico_responsavel_id = CampoMecanico("Mecânico responsável", coerce=int, choices=[])
    visto = HiddenField()  # the number the card showed, 0 when none
    donos: dict[int, str]  # number -> login, as the list read them (com)

    def validate_visto(self, campo: Any) -> None:
        if campo.data and inteiro_guardavel(campo.data) is None:
            raise ValidationError(VISTO_INVALIDO)

    def mecanico_visto(self) -> Visto | None:
        if not self.visto.data:
            return None
        return Visto(inteiro_guardavel(self.visto.data) or None)

    @classmethod
    def com(cls, mecanicos: Iterable[Any]) -> AtribuirForm:
        """The form with the active mechanics as its choices (cartoes.cards.Mecanico)."""
        form = cls()
        mecanicos = list(mecanicos)
        form.mecanico_responsavel_id.choices = [(m.funcionario_id, m.nome) for m in mecanicos]
        form.donos = {m.funcionario_id: m.login for m in mecanicos}
        return form

    @property
    def dono(self) -> str | None:
        """The login of the mechanic chosen, as the list read them (FilaService.atribuir)."""
        return self.donos.get(self.mecanico_responsavel_id.data)


class RemoverForm(Formulario):
    """ "Confirmar remoção": the order as the card showed it (its version), so an order that
    changed since (a mechanic began it) is not removed unseen."""

    versao = HiddenField()

    def validate_versao(self, campo: Any) -> None:
        if campo.data and algarismos(campo.data, 18) is None:
            raise ValidationError("Versão do cartão inválida; recarregue a página.")

    def versao_vista(self) -> int | None:
        """The version the card showed; None when the form has none (a page drawn before
        forms carried it: removed as it is)."""
        return algarismos(self.versao.data, 18)


class PromessaVista(Formulario):
    """A form that changes an order's promise carries the one its screen showed (`visto`,
    ISO 8601; 0 when none): another manager's promise made since is not overwritten unseen,
    whether typed or adopted from the forecast. A page drawn before forms carried it sends
    none, and the change holds as before."""

    visto = HiddenField()

    def validate_visto(self, campo: Any) -> None:
        if campo.data and campo.data != "0" and _instante(campo.data) is None:
            raise ValidationError(VISTO_INVALIDO)

    def promessa_vista(self) -> Visto | None:
        if not self.visto.data:
            return None
        return Visto(None if self.visto.data == "0" else _instante(self.visto.data))

    def promessa_pedida(self) -> datetime | None:
        """The promise this form asks for (validated), as the order would store it."""
        raise NotImplementedError

    def pedido(self, valores: dict[str, Any]) -> dict[str, Any]:
        # The time asked for, not the text typed.
        return {**valores, "promessa": self.promessa_pedida()}


class PrometerForm(PromessaVista):
    """ "Prometer 17:10": the forecast shown (its p80, as cartoes.cards.PrevisaoCartao.prometer
    sends it) becomes the new promise, if it is still the forecast when the tap arrives and
    the order still has the promise the screen showed."""

    # Sent hidden beside its button ("Prometer 17:10"): a refusal has no field to mark.
    promessa = HiddenField(
        "Nova entrega prometida", validators=[InputRequired("A previsão mostrada não veio.")]
    )

    def validate_promessa(self, campo: Any) -> None:
        try:
            valor = datetime.fromisoformat(campo.data)
        except (TypeError, ValueError):
            raise ValidationError("A previsão mostrada não é uma data.") from None
        if valor.tzinfo is None or not ano_aceito(valor):
            raise ValidationError("A previsão mostrada não é uma data.")
        campo.data = valor

    def promessa_pedida(self) -> datetime | None:
        return self.promessa.data


class PromessaForm(PromessaVista):
    """A manager types the order's new promised time (the customer agreed to another), in the
    shop's zone; empty clears it. A time already past is refused beside the field (a
    promise made now for before now would be late at once)."""

    previsao_entrega = DateTimeLocalField(
        labels.PREVISAO_ENTREGA, format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )

    def __init__(self, *args: Any, fuso: tzinfo, agora: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fuso = fuso
        self.agora = agora

    def validate_previsao_entrega(self, campo: Any) -> None:
        if campo.data is None:
            return
        if _no_fuso(campo.data, self.fuso) <= self.agora:
            raise ValidationError(
                f"Este horário ({campo.data:%d/%m/%Y %H:%M}) já passou: escolha um depois de "
                "agora, ou deixe em branco para ficar sem promessa."
            )

    def promessa(self) -> datetime | None:
        data = self.previsao_entrega.data
        return data.replace(tzinfo=self.fuso) if data else None

    def promessa_pedida(self) -> datetime | None:
        return self.promessa()


def _instante(texto: str) -> datetime | None:
    """An instant with its offset, as a card writes the one it showed, in the years a promise
    may have; None otherwise (year 9999 at -05:00 is past what UTC, and the store, can hold)."""
    try:
        valor = datetime.fromisoformat(texto)
    except ValueError:
        return None
    return valor if valor.tzinfo is not None and ano_aceito(valor) else None


# The form of each step that needs text, by the step's text field (domain.Passo.campo_texto).
FORMULARIOS_TEXTO: dict[str, type[Formulario]] = {
    "diagnostico": DiagnosticoForm,
    "observacoes_reparo": ReparoForm,
}
