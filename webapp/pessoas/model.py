"""A person who signs in to the board, as Flask-Login and the board see them, and the rules of
a user's fields (roles, login format, password length)."""

from __future__ import annotations

import re
from typing import Any

from flask_login import UserMixin

from ..fila.domain import Papel
from ..fila.service import Ator

PAPEIS = (Papel.MECANICO, Papel.GERENTE, Papel.ADMIN)  # people; SERVICO is for integrations
ROTULOS_PAPEL = {Papel.MECANICO: "Mecânico", Papel.GERENTE: "Gerente", Papel.ADMIN: "Administrador"}
FORMATO_LOGIN = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")
SENHA_MINIMA = 8


class UsuarioInvalido(ValueError):
    """A user that cannot be created or changed; the message is for people (Portuguese)."""


def normalizar_login(login: str) -> str:
    return login.strip().lower()


class Usuario(UserMixin):
    def __init__(self, documento: dict[str, Any], sessao: str | None = None) -> None:
        self.documento = documento
        self.sessao = sessao  # the open session this request belongs to (sessao/repository.py)

    def get_id(self) -> str:
        # The stamp changes when the password changes or the user is deactivated, so every
        # session carrying the old id stops loading (PessoasQueries.carregar); the session id
        # ends with sign-out.
        return f"{self.login}:{self.documento['carimbo']}:{self.sessao or '-'}"

    @property
    def is_active(self) -> bool:
        return self.ativo

    @property
    def login(self) -> str:
        return self.documento["login"]

    @property
    def nome(self) -> str:
        return self.documento["nome"]

    @property
    def papel(self) -> Papel:
        return Papel(self.documento["papel"])

    @property
    def papel_rotulo(self) -> str:
        return ROTULOS_PAPEL.get(self.papel, self.papel.value)

    @property
    def funcionario_id(self) -> int | None:
        return self.documento.get("funcionario_id")

    @property
    def ativo(self) -> bool:
        return bool(self.documento.get("ativo"))

    @property
    def e_gerente(self) -> bool:
        return self.papel in (Papel.GERENTE, Papel.ADMIN)

    @property
    def ator(self) -> Ator:
        return Ator(id=self.login, papel=self.papel)

    def __repr__(self) -> str:
        return f"Usuario({self.login!r}, {self.papel.value})"
