"""Every write of the people (collection `usuarios`) and its indexes."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError
from werkzeug.security import generate_password_hash

from .model import FORMATO_LOGIN, PAPEIS, SENHA_MINIMA, Usuario, UsuarioInvalido, normalizar_login

COLECAO = "usuarios"

INDICES = [
    IndexModel([("login", ASCENDING)], unique=True, name="login_unico"),
    # Unique only among users that have one: managers or admins may have none.
    IndexModel(
        [("funcionario_id", ASCENDING)],
        unique=True,
        partialFilterExpression={"funcionario_id": {"$type": "number"}},
        name="funcionario_unico",
    ),
    # The active mechanics (the board's filter and assignment, the TV's load strip).
    IndexModel([("papel", ASCENDING), ("ativo", ASCENDING), ("nome", ASCENDING)], name="por_papel"),
]

# Passwords are hashed with scrypt; tests (APP_ENV=test) use a cheap PBKDF2 so that signing in
# the demo users does not cost a third of a second each time.
HASH_PRODUCAO = "scrypt"
HASH_TESTE = "pbkdf2:sha256:1000"


class PessoasRepository:
    def __init__(self, db: Database, metodo_hash: str = HASH_PRODUCAO) -> None:
        self.usuarios = db[COLECAO]
        self.metodo_hash = metodo_hash

    def criar_indices(self) -> None:
        self.usuarios.create_indexes(INDICES)

    def _hash(self, senha: str) -> str:
        if len(senha) < SENHA_MINIMA:
            raise UsuarioInvalido(f"A senha deve ter ao menos {SENHA_MINIMA} caracteres.")
        return generate_password_hash(senha, method=self.metodo_hash)

    def criar(
        self,
        login: str,
        nome: str,
        senha: str,
        papel: str,
        funcionario_id: int | None = None,
    ) -> Usuario:
        """Add a user; UsuarioInvalido on a bad field or a taken login / funcionario_id."""
        login = normalizar_login(login)
        if not FORMATO_LOGIN.fullmatch(login):
            raise UsuarioInvalido(
                "Login inválido: use de 2 a 40 letras minúsculas, números, ponto, hífen ou "
                "sublinhado."
            )
        nome = nome.strip()
        if not nome:
            raise UsuarioInvalido("Informe o nome do usuário.")
        papel = str(papel).strip().lower()
        if papel not in PAPEIS:
            raise UsuarioInvalido(f"Papel inválido: {papel!r}. Use mecanico, gerente ou admin.")
        if funcionario_id is not None and funcionario_id <= 0:
            raise UsuarioInvalido("O número de funcionário deve ser um inteiro positivo.")
        agora = datetime.now(UTC)
        documento: dict[str, Any] = {
            "login": login,
            "nome": nome,
            "senha_hash": self._hash(senha),
            "papel": papel,
            "ativo": True,
            "carimbo": secrets.token_urlsafe(12),
            "criado_em": agora,
            "atualizado_em": agora,
        }
        if funcionario_id is not None:
            documento["funcionario_id"] = funcionario_id
        try:
            self.usuarios.insert_one(documento)
        except DuplicateKeyError as erro:
            if "funcionario_id" in (erro.details or {}).get("keyPattern", {}):
                raise UsuarioInvalido(
                    f"O funcionário {funcionario_id} já tem um usuário."
                ) from None
            raise UsuarioInvalido(f"Já existe um usuário com o login {login!r}.") from None
        return Usuario(documento)

    def _atualizar(self, login: str, campos: dict[str, Any]) -> None:
        # A new stamp: every open session of this user stops loading at its next request.
        campos = {
            **campos,
            "carimbo": secrets.token_urlsafe(12),
            "atualizado_em": datetime.now(UTC),
        }
        resultado = self.usuarios.update_one({"login": normalizar_login(login)}, {"$set": campos})
        if resultado.matched_count == 0:
            raise UsuarioInvalido(f"Usuário {login!r} não encontrado.")

    def alterar_senha(self, login: str, senha: str) -> None:
        """New password; the user's open sessions end."""
        self._atualizar(login, {"senha_hash": self._hash(senha)})

    def definir_ativo(self, login: str, ativo: bool) -> None:
        """Deactivate (open sessions end at their next request) or reactivate a user."""
        self._atualizar(login, {"ativo": ativo})

    def criar_se_faltam(self, usuarios: Iterable[Mapping[str, Any]]) -> list[str]:
        """Create the users (e.g. the demo ones) whose login is free; the logins created."""
        criados = []
        for dados in usuarios:
            try:
                self.criar(**dados)
            except UsuarioInvalido:
                continue  # exists already, or its funcionario_id is taken
            criados.append(dados["login"])
        return criados
