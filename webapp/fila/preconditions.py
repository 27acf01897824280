"""Preconditions and stored-value markers as pure data: the rules (domain.py) state them, the
store (repository.py) turns them into the filter and the pipeline of ONE conditional update."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class _Marca:
    def __init__(self, nome: str) -> None:
        self.nome = nome

    def __repr__(self) -> str:
        return self.nome


PREENCHIDO = _Marca("PREENCHIDO")  # the field holds a value (not null)
VAZIO = _Marca("VAZIO")  # the field is null or missing


@dataclass(frozen=True)
class UmDe:
    valores: tuple[Any, ...]


@dataclass(frozen=True)
class Diferente:
    """The field holds anything but `valor` (null and missing included)."""

    valor: Any


@dataclass(frozen=True)
class SemEntrada:
    """The list field holds no entry with all of these values (e.g. no history entry of this
    caller with this Idempotency-Key)."""

    valores: tuple[tuple[str, Any], ...]

    def casa(self, entrada: Any) -> bool:
        return isinstance(entrada, Mapping) and all(entrada.get(k) == v for k, v in self.valores)


@dataclass(frozen=True)
class PrimeiraPerdida:
    """A stored value: `campo`'s value before the change when it was already past at `em` (a
    promise missed while the order was open), unless the field it goes to already holds one
    (the first missed is kept); read by the update itself, as Anterior."""

    campo: str
    em: Any  # the change's instant


@dataclass(frozen=True)
class Cabe:
    """The list field holds fewer than `maximo` entries (a document has a size limit)."""

    maximo: int


@dataclass(frozen=True)
class Anterior:
    """In a history entry: the value `campo` had just before the change, read by the update
    itself (no read before the write, so it is exact whatever races)."""

    campo: str


@dataclass(frozen=True)
class Requisito:
    """One precondition of a step; `motivo` explains a refusal in the shop's words."""

    campo: str
    esperado: Any  # a value, PREENCHIDO, VAZIO, UmDe, Diferente, SemEntrada or Cabe
    motivo: str

    def atendido(self, item: Mapping[str, Any]) -> bool:
        valor = item.get(self.campo)
        if self.esperado is PREENCHIDO:
            return valor is not None
        if self.esperado is VAZIO:
            return valor is None
        if isinstance(self.esperado, UmDe):
            return valor in self.esperado.valores
        if isinstance(self.esperado, Diferente):
            return valor != self.esperado.valor
        if isinstance(self.esperado, SemEntrada):
            return not any(self.esperado.casa(e) for e in valor or [])
        if isinstance(self.esperado, Cabe):
            return len(valor or []) < self.esperado.maximo
        return valor == self.esperado
