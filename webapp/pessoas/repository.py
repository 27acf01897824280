"""Every write of the people (collection `usuarios`), of the record of their sign-ins and of the
changes made to them (collection `registro_acessos`), and their indexes."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError
from werkzeug.security import generate_password_hash

from .model import (
    FORMATO_LOGIN,
    SENHA_MINIMA,
    Usuario,
    UsuarioInvalido,
    normalizar_login,
    validar_campos,
)

COLECAO = "usuarios"
# Every change that ends a user's sessions sets a new stamp; other updates (the last sign-in)
# leave open streams alone.
REVOGAM = ("carimbo",)
REGISTRO = "registro_acessos"

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
    IndexModel([("nome", ASCENDING)], name="por_nome"),  # the /pessoas list
]
INDICES_REGISTRO = [
    IndexModel([("em", DESCENDING)], name="registro_recente"),
    IndexModel([("login", ASCENDING), ("em", DESCENDING)], name="registro_por_pessoa"),
]

# Passwords are hashed with scrypt; tests (APP_ENV=test) use a cheap PBKDF2 so that signing in
# the demo users does not cost a third of a second each time.
HASH_PRODUCAO = "scrypt"
HASH_TESTE = "pbkdf2:sha256:1000"


class PessoasRepository:
    def __init__(self, db: Database, metodo_hash: str = HASH_PRODUCAO) -> None:
        self.usuarios = db[COLECAO]
        self.registro = db[REGISTRO]
        self.metodo_hash = metodo_hash

    def criar_indices(self) -> None:
        self.usuarios.create_indexes(INDICES)
        self.registro.create_indexes(INDICES_REGISTRO)

    def _hash(self, senha: str) -> str:
        if len(senha) < SENHA_MINIMA:
            raise UsuarioInvalido(f"A senha deve ter ao menos {SENHA_MINIMA} caracteres.", "senha")
        return generate_password_hash(senha, method=self.metodo_hash)

    def criar(
        self,
        login: str,
        nome: str,
        senha: str,
        papel: str,
        funcionario_id: int | None = None,
        *,
        trocar_senha: bool = False,
        demo: bool = False,
    ) -> Usuario:
        """Add a user; UsuarioInvalido on a bad field or a taken login / funcionario_id.
        `trocar_senha`: the password is temporary, to be changed at the first sign-in.
        `demo`: one of the demo's users (seed-demo), whose password is public."""
        login = normalizar_login(login)
        if not FORMATO_LOGIN.fullmatch(login):
            raise UsuarioInvalido(
                "Login inválido: use de 2 a 40 letras minúsculas, números, ponto, hífen ou "
                "sublinhado.",
                "login",
            )
        nome, papel = validar_campos(nome, papel, funcionario_id)
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
        if trocar_senha:
            documento["trocar_senha"] = True
        if demo:
            documento["demo"] = True
        if funcionario_id is not None:
            documento["funcionario_id"] = funcionario_id
        try:
            self.usuarios.insert_one(documento)
        except DuplicateKeyError as erro:
            raise _duplicado(erro, login, funcionario_id) from None
        return Usuario(documento)

    def editar(
        self, login: str, nome: str, papel: str, funcionario_id: int | None
    ) -> tuple[Usuario, Usuario]:
        """Change a user's name, role and funcionario_id in one conditional update; (before,
        after). A new role ends the user's open sessions (their new rights apply everywhere at
        once, open boards included); a new name or number does not."""
        nome, papel = validar_campos(nome, papel, funcionario_id)
        novo_carimbo = secrets.token_urlsafe(12)
        campos: dict[str, Any] = {
            "nome": {"$literal": nome},
            "papel": papel,
            "atualizado_em": datetime.now(UTC),
            # Decided by the update itself, against the role stored at that moment.
            "carimbo": {"$cond": [{"$eq": ["$papel", papel]}, "$carimbo", novo_carimbo]},
        }
        etapas: list[dict[str, Any]] = [{"$set": campos}]
        if funcionario_id is None:
            etapas.append({"$unset": "funcionario_id"})
        else:
            campos["funcionario_id"] = funcionario_id
        try:
            antes = self.usuarios.find_one_and_update(
                {"login": normalizar_login(login)}, etapas, return_document=ReturnDocument.BEFORE
            )
        except DuplicateKeyError as erro:
            raise _duplicado(erro, login, funcionario_id) from None
        if antes is None:
            raise UsuarioInvalido(f"Usuário {login!r} não encontrado.")
        depois = {**antes, "nome": nome, "papel": papel}
        depois.pop("funcionario_id", None)
        if funcionario_id is not None:
            depois["funcionario_id"] = funcionario_id
        if antes["papel"] != papel:
            depois["carimbo"] = novo_carimbo
        return Usuario(antes), Usuario(depois)

    def _atualizar(
        self, login: str, campos: dict[str, Any], condicao: dict[str, Any] | None = None
    ) -> bool:
        """Set `campos` with a new stamp: every open session of this user stops loading at its
        next request. False when the user exists but `condicao` does not hold (nothing done)."""
        campos = {
            **campos,
            "carimbo": secrets.token_urlsafe(12),
            "atualizado_em": datetime.now(UTC),
        }
        filtro = {"login": normalizar_login(login)}
        resultado = self.usuarios.update_one({**filtro, **(condicao or {})}, {"$set": campos})
        if resultado.matched_count == 0:
            if self.usuarios.count_documents(filtro, limit=1) == 0:
                raise UsuarioInvalido(f"Usuário {login!r} não encontrado.")
            return False
        return True

    def alterar_senha(self, login: str, senha: str, *, temporaria: bool = False) -> None:
        """New password; the user's open sessions end. `temporaria`: set by a manager, to be
        changed at the next sign-in."""
        self._atualizar(login, {"senha_hash": self._hash(senha), "trocar_senha": temporaria})

    def definir_ativo(self, login: str, ativo: bool) -> bool:
        """Deactivate (open sessions end at their next request) or reactivate a user; False
        when it already was."""
        return self._atualizar(login, {"ativo": ativo}, {"ativo": {"$ne": ativo}})

    def registrar_entrada(self, login: str, em: datetime) -> None:
        """When the user last signed in (the /pessoas list). The stamp stays: sessions go on."""
        self.usuarios.update_one(
            {"login": normalizar_login(login)}, {"$set": {"ultimo_acesso_em": em}}
        )

    def registrar(
        self,
        acao: str,
        login: str,
        por: str,
        em: datetime,
        endereco: str | None,
        detalhe: dict[str, Any] | None = None,
    ) -> None:
        """One line of the record: `por` did `acao` (model.REGISTROS) to `login`, from
        `endereco` (the client's address; None from the command line)."""
        self.registro.insert_one(
            {
                "acao": acao,
                "login": login,
                "por": por,
                "em": em,
                "endereco": endereco,
                "detalhe": detalhe or {},
            }
        )

    def criar_se_faltam(
        self, usuarios: Iterable[Mapping[str, Any]], *, demo: bool = False
    ) -> list[str]:
        """Create the users (e.g. the demo ones) whose login is free; the logins created."""
        criados = []
        for dados in usuarios:
            try:
                self.criar(**dados, demo=demo)
            except UsuarioInvalido:
                continue  # exists already, or its funcionario_id is taken
            criados.append(dados["login"])
        return criados


def _duplicado(erro: DuplicateKeyError, login: str, funcionario_id: int | None) -> UsuarioInvalido:
    if "funcionario_id" in (erro.details or {}).get("keyPattern", {}):
        return UsuarioInvalido(
            f"O funcionário {funcionario_id} já tem um usuário.", "funcionario_id"
        )
    return UsuarioInvalido(f"Já existe um usuário com o login {login!r}.", "login")
