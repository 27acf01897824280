"""The settings page's forms."""

from __future__ import annotations

import re
import secrets
from typing import Any

from wtforms import HiddenField, ValidationError

from ..fila import labels
from ..fila.domain import Status
from ..forms import Formulario, InteiroOpcional, texto_obrigatorio
from ..text import algarismos

LIMITE_MAXIMO = 999
MENSAGEM_LIMITE = f"Use um número inteiro de 1 a {LIMITE_MAXIMO}, ou deixe em branco (sem limite)."


def _campo_limite(status: Status) -> InteiroOpcional:
    return InteiroOpcional(labels.COLUNAS[status], 1, LIMITE_MAXIMO, MENSAGEM_LIMITE)


class LimitesForm(Formulario):
    # The limits' version the page was drawn with (ConfiguracoesQueries.limites_e_versao).
    versao = HiddenField()
    conflito: str | None = None  # the limits as saved by someone else meanwhile, in words
    AGUARDANDO = _campo_limite(Status.AGUARDANDO)
    EM_DIAGNOSTICO = _campo_limite(Status.EM_DIAGNOSTICO)
    EM_REPARO = _campo_limite(Status.EM_REPARO)
    FINALIZADA = _campo_limite(Status.FINALIZADA)

    def campos_colunas(self) -> list[Any]:
        return [self[str(s)] for s in Status]

    def limites(self) -> dict[str, int | None]:
        return {str(s): self[str(s)].data for s in Status}

    def marcar_conflito(self, atuais: dict[str, int | None], versao: int) -> None:
        """Someone saved since this page was drawn: the form shows the limits as they are now,
        with their version, and says so; the person redoes their change on those. Keeping
        what was typed would undo, on the next save, every field the other changed and this
        person did not (the fields still held the page's old values)."""
        self.versao.data = str(versao)
        for campo in self.campos_colunas():
            campo.raw_data = None  # rendered from `data`, not from what was posted
            campo.data = atuais[campo.name]
        self.conflito = ", ".join(
            f"{labels.COLUNAS[s]}: {atuais[str(s)] or 'sem limite'}" for s in Status
        )

    def validate_versao(self, campo: Any) -> None:
        # Missing or not a number (a hand-made post, a page cut short) is no version at all:
        # read as one, it was "another manager saved meanwhile", which nobody did.
        if algarismos(campo.data, 9) is None:
            raise ValidationError(
                "Não foi salvo: o formulário veio sem a versão dos limites que ele mostrava. "
                "Recarregue a página e salve de novo."
            )

    def versao_lida(self) -> int:
        """The version sent back (validated: validate_versao)."""
        return int(self.versao.data)


_PEDIDO = re.compile(r"[A-Za-z0-9_-]{16,64}")


class NovoPasseForm(Formulario):
    nome = texto_obrigatorio("Nome da tela", "Dê um nome à tela, por exemplo “TV da recepção”.", 60)
    # One key per form drawn: the same form sent again (a reload of the page its POST drew,
    # without JavaScript) creates no second pass, whose address nobody would have seen.
    pedido = HiddenField(default=lambda: secrets.token_urlsafe(16))

    def pedido_lido(self) -> str | None:
        """The form's key as sent, or None when it is none of ours (a hand-made POST)."""
        pedido = str(self.pedido.data or "")
        return pedido if _PEDIDO.fullmatch(pedido) else None
