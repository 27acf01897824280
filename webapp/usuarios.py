"""People who sign in to the board (collection `usuarios`) and the failed-login counter
(collection `tentativas_login`), both in MongoDB so every process and pod sees the same state."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from bson import ObjectId
from flask_login import UserMixin
from pymongo import ASCENDING, IndexModel
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError
from werkzeug.security import check_password_hash, generate_password_hash

from .domain import Papel
from .service import Ator

COLECAO = "usuarios"
TENTATIVAS = "tentativas_login"

PAPEIS = (Papel.MECANICO, Papel.GERENTE, Papel.ADMIN)  # people; SERVICO is for integrations
ROTULOS_PAPEL = {Papel.MECANICO: "Mecânico", Papel.GERENTE: "Gerente", Papel.ADMIN: "Administrador"}
FORMATO_LOGIN = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")
SENHA_MINIMA = 8

LIMITE_FALHAS = 5
JANELA = timedelta(minutes=1)

INDICES = [
    IndexModel([("login", ASCENDING)], unique=True, name="login_unico"),
    # Unique only among users that have one: managers or admins may have none.
    IndexModel(
        [("funcionario_id", ASCENDING)],
        unique=True,
        partialFilterExpression={"funcionario_id": {"$type": "number"}},
        name="funcionario_unico",
    ),
]
INDICES_TENTATIVAS = [
    IndexModel([("chave", ASCENDING), ("em", ASCENDING)], name="tentativas_por_chave"),
    # Housekeeping only: the count itself filters on the last minute, whatever the TTL monitor did.
    IndexModel([("em", ASCENDING)], expireAfterSeconds=600, name="tentativas_expiram"),
]

# Demo accounts created by `flask seed-demo` (local use only; the demo queue uses 101).
USUARIOS_DEMO: list[dict[str, Any]] = [
    {
        "login": "mecanico",
        "senha": "mecanico123",
        "nome": "Marcos Mecânico",
        "papel": Papel.MECANICO,
        "funcionario_id": 101,
    },
    {
        "login": "mecanico2",
        "senha": "mecanico123",
        "nome": "Paula Pereira",
        "papel": Papel.MECANICO,
        "funcionario_id": 102,
    },
    {
        "login": "gerente",
        "senha": "gerente123",
        "nome": "Gabriela Gerente",
        "papel": Papel.GERENTE,
        "funcionario_id": 201,
    },
]


class UsuarioInvalido(ValueError):
    """A user that cannot be created or changed; the message is for people (Portuguese)."""


class Usuario(UserMixin):
    """A signed-in person, as Flask-Login and the board see them."""

    def __init__(self, documento: dict[str, Any]) -> None:
        self.documento = documento

    def get_id(self) -> str:
        # The stamp changes when the password changes or the user is deactivated, so every
        # session carrying the old id stops loading (see carregar).
        return f"{self.login}:{self.documento['carimbo']}"

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


def criar_indices(db: Database) -> None:
    db[COLECAO].create_indexes(INDICES)
    db[TENTATIVAS].create_indexes(INDICES_TENTATIVAS)


def normalizar_login(login: str) -> str:
    return login.strip().lower()


def _agora() -> datetime:
    return datetime.now(UTC)


def _hash(senha: str) -> str:
    if len(senha) < SENHA_MINIMA:
        raise UsuarioInvalido(f"A senha deve ter ao menos {SENHA_MINIMA} caracteres.")
    return generate_password_hash(senha, method="scrypt")


def criar(
    db: Database,
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
            "Login inválido: use de 2 a 40 letras minúsculas, números, ponto, hífen ou sublinhado."
        )
    nome = nome.strip()
    if not nome:
        raise UsuarioInvalido("Informe o nome do usuário.")
    papel = str(papel).strip().lower()
    if papel not in PAPEIS:
        raise UsuarioInvalido(f"Papel inválido: {papel!r}. Use mecanico, gerente ou admin.")
    if funcionario_id is not None and funcionario_id <= 0:
        raise UsuarioInvalido("O número de funcionário deve ser um inteiro positivo.")
    agora = _agora()
    documento: dict[str, Any] = {
        "login": login,
        "nome": nome,
        "senha_hash": _hash(senha),
        "papel": papel,
        "ativo": True,
        "carimbo": secrets.token_urlsafe(12),
        "criado_em": agora,
        "atualizado_em": agora,
    }
    if funcionario_id is not None:
        documento["funcionario_id"] = funcionario_id
    try:
        db[COLECAO].insert_one(documento)
    except DuplicateKeyError as erro:
        if "funcionario_id" in (erro.details or {}).get("keyPattern", {}):
            raise UsuarioInvalido(f"O funcionário {funcionario_id} já tem um usuário.") from None
        raise UsuarioInvalido(f"Já existe um usuário com o login {login!r}.") from None
    return Usuario(documento)


def obter(db: Database, login: str) -> Usuario | None:
    documento = db[COLECAO].find_one({"login": normalizar_login(login)})
    return Usuario(documento) if documento else None


def carregar(db: Database, id_sessao: str) -> Usuario | None:
    """The user of a session id (login:stamp), if still active and with the same stamp."""
    login, _, carimbo = id_sessao.rpartition(":")
    if not login or not carimbo:
        return None
    documento = db[COLECAO].find_one({"login": login, "carimbo": carimbo, "ativo": True})
    return Usuario(documento) if documento else None


@cache
def _hash_ficticio() -> str:
    return generate_password_hash(secrets.token_hex(16), method="scrypt")


def autenticar(db: Database, login: str, senha: str) -> Usuario | None:
    """The user if the password matches (active or not: the caller decides), else None."""
    usuario = obter(db, login)
    # An unknown login costs the same scrypt as a known one: timing does not reveal who exists.
    senha_hash = usuario.documento["senha_hash"] if usuario else _hash_ficticio()
    if not check_password_hash(senha_hash, senha) or usuario is None:
        return None
    return usuario


def _atualizar(db: Database, login: str, campos: dict[str, Any]) -> None:
    campos = {**campos, "carimbo": secrets.token_urlsafe(12), "atualizado_em": _agora()}
    resultado = db[COLECAO].update_one({"login": normalizar_login(login)}, {"$set": campos})
    if resultado.matched_count == 0:
        raise UsuarioInvalido(f"Usuário {login!r} não encontrado.")


def alterar_senha(db: Database, login: str, senha: str) -> None:
    """New password; the user's open sessions end."""
    _atualizar(db, login, {"senha_hash": _hash(senha)})


def definir_ativo(db: Database, login: str, ativo: bool) -> None:
    """Deactivate (open sessions end at their next request) or reactivate a user."""
    _atualizar(db, login, {"ativo": ativo})


def nomes_por_funcionario(db: Database, ids: Iterable[int | None]) -> dict[int, str]:
    """Display names of many mechanics in one query (inactive ones too: history keeps them)."""
    procurados = sorted({int(i) for i in ids if i is not None})
    if not procurados:
        return {}
    cursor = db[COLECAO].find(
        {"funcionario_id": {"$in": procurados}}, {"funcionario_id": 1, "nome": 1, "_id": 0}
    )
    return {d["funcionario_id"]: d["nome"] for d in cursor}


def nomes_por_login(db: Database, logins: Iterable[str | None]) -> dict[str, str]:
    """Display names of many logins (e.g. history authors) in one query."""
    procurados = sorted({login for login in logins if login})
    if not procurados:
        return {}
    cursor = db[COLECAO].find({"login": {"$in": procurados}}, {"login": 1, "nome": 1, "_id": 0})
    return {d["login"]: d["nome"] for d in cursor}


def criar_usuarios_demo(db: Database) -> list[str]:
    """Create the demo users that are missing; returns the logins created."""
    criados = []
    for demo in USUARIOS_DEMO:
        if obter(db, demo["login"]) is not None:
            continue
        try:
            criar(db, **demo)
        except UsuarioInvalido:
            continue  # created meanwhile by another process, or its funcionario_id is taken
        criados.append(demo["login"])
    return criados


# --- Failed logins: at most LIMITE_FALHAS per JANELA per key (a login, a client address) --------


def reservar_tentativa(db: Database, chaves: Iterable[str]) -> ObjectId | None:
    """Record an attempt under every key, then count: None (nothing recorded) if any key is over
    the limit. Recording before counting keeps parallel guesses from all slipping through."""
    tentativas = db[TENTATIVAS]
    lote, agora = ObjectId(), _agora()
    chaves = list(chaves)
    tentativas.insert_many([{"chave": c, "em": agora, "lote": lote} for c in chaves])
    desde = agora - JANELA
    for chave in chaves:
        n = tentativas.count_documents(
            {"chave": chave, "em": {"$gt": desde}}, limit=LIMITE_FALHAS + 1
        )
        if n > LIMITE_FALHAS:
            descartar_tentativa(db, lote)
            return None
    return lote


def descartar_tentativa(db: Database, lote: ObjectId) -> None:
    """Forget an attempt that did not fail (a right password), so only failures count."""
    db[TENTATIVAS].delete_many({"lote": lote})
