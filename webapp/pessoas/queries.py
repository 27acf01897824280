"""Every read of the people (collection `usuarios`) and of the record of their sign-ins and
changes (`registro_acessos`)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import Any

from pymongo.collation import Collation
from pymongo.database import Database
from werkzeug.security import check_password_hash, generate_password_hash

from .domain import (
    ENCERRAM_SESSOES,
    Usuario,
    como_temporaria,
    normalizar_login,
    partes_da_sessao,
)
from .repository import COLECAO, REGISTRO


@cache
def _hash_ficticio() -> str:
    return generate_password_hash(secrets.token_hex(16), method="scrypt")


# Names in the order a Portuguese reader expects: accents and case second (code points put
# "Ângela" after "Zé", "José" before "João"). Sorted in memory: a shop's people are few.
ALFABETICA = Collation(locale="pt", strength=2)


class PessoasQueries:
    def __init__(self, db: Database) -> None:
        self.usuarios = db[COLECAO]
        self.registro = db[REGISTRO]

    def listar(self) -> list[Usuario]:
        """Everyone, by name as Portuguese sorts it (ALFABETICA: "Ângela" with the A's, "João"
        before "José"); the people of one shop fit on a page."""
        cursor = self.usuarios.find({}, {"senha_hash": 0}).sort("nome", 1).collation(ALFABETICA)
        return [Usuario(d) for d in cursor]

    def ha_usuarios(self) -> bool:
        """Whether anyone can sign in yet (`init-db` tells a fresh shop how to begin)."""
        return self.usuarios.find_one({}, {"_id": 1}) is not None

    def ha_usuarios_fora_da_demo(self) -> bool:
        """Whether anyone but the demo's users (created by seed-demo, marked `demo`) is here:
        then the demo, with its published passwords, is never seeded into this database."""
        return self.usuarios.find_one({"demo": {"$ne": True}}, {"_id": 1}) is not None

    def registros(self, login: str | None = None, limite: int = 50) -> list[dict[str, Any]]:
        """The latest sign-ins and changes, newest first; one person's when `login` is given.
        Indexes: registro_recente, registro_por_pessoa."""
        consulta = {"login": normalizar_login(login)} if login else {}
        return list(self.registro.find(consulta, {"_id": 0}).sort("em", -1).limit(limite))

    def fim_das_sessoes(self, login: str, desde: datetime) -> dict[str, Any] | None:
        """The record's first line since `desde` (a session's opening) of a change that ended
        every session of `login` (a new stamp: ENCERRAM_SESSOES, or an edit of the role): the
        change that ended that session, not a later one. Index: registro_por_pessoa."""
        return self.registro.find_one(
            {
                "login": login,
                "em": {"$gte": desde},
                "$or": [
                    {"acao": {"$in": list(ENCERRAM_SESSOES)}},
                    {"acao": "editar", "detalhe.papel": {"$exists": True}},
                ],
            },
            {"_id": 0},
            sort=[("em", 1)],
        )

    def obter(self, login: str) -> Usuario | None:
        documento = self.usuarios.find_one({"login": normalizar_login(login)})  # login_unico
        return Usuario(documento) if documento else None

    def carregar(self, id_sessao: str) -> Usuario | None:
        """The user of a session id (login:stamp:session), if still active and with the same
        stamp (whether the session itself is still open is sessao's to say)."""
        partes = partes_da_sessao(id_sessao)
        if partes is None:
            return None
        login, carimbo, sessao = partes
        documento = self.usuarios.find_one({"login": login, "carimbo": carimbo, "ativo": True})
        return Usuario(documento, None if sessao == "-" else sessao) if documento else None

    def autenticar(self, login: str, senha: str) -> Usuario | None:
        """The user if the password matches (active or not: the caller decides), else None."""
        usuario = self.obter(login)
        # An unknown login costs the same hash as a known one: timing does not reveal who exists.
        senha_hash = usuario.documento["senha_hash"] if usuario else _hash_ficticio()
        if check_password_hash(senha_hash, senha) and usuario is not None:
            return usuario
        # A temporary password typed without its hyphens, or in capitals, is still it; only
        # a temporary one is read so (a password one chose is exactly what was typed), and
        # the second hash is paid whoever it is, so timing says nothing of who has one.
        temporaria = como_temporaria(senha)
        if temporaria is None or temporaria == senha:
            return None
        if usuario is None or not usuario.deve_trocar_senha:
            senha_hash = _hash_ficticio()
        return usuario if check_password_hash(senha_hash, temporaria) else None

    def nomes_por_funcionario(self, ids: Iterable[int | None]) -> dict[int, str]:
        """Display names of many mechanics in one query (inactive ones too: history keeps
        them). Index: funcionario_unico."""
        procurados = sorted({int(i) for i in ids if i is not None})
        if not procurados:
            return {}
        cursor = self.usuarios.find(
            {"funcionario_id": {"$in": procurados}}, {"funcionario_id": 1, "nome": 1, "_id": 0}
        )
        return {d["funcionario_id"]: d["nome"] for d in cursor}

    def mecanicos_ativos(self) -> list[tuple[int, str, str]]:
        """(funcionario_id, name, login) of the active mechanics, by name as Portuguese sorts
        it (ALFABETICA; the board's filter and assignment list, the TV's strip)."""
        cursor = (
            self.usuarios.find(
                {"papel": "mecanico", "ativo": True, "funcionario_id": {"$type": "number"}},
                {"funcionario_id": 1, "nome": 1, "login": 1, "_id": 0},
            )
            .sort("nome", 1)
            .collation(ALFABETICA)
        )
        return [(d["funcionario_id"], d["nome"], d["login"]) for d in cursor]

    def numeros_fora_de_servico(self) -> list[int]:
        """The numbers (funcionario_id) of the people listed who are not active mechanics:
        deactivated ones, managers (the forecast's "not taking more cars")."""
        cursor = self.usuarios.find(
            {
                "funcionario_id": {"$type": "number"},
                "$nor": [{"papel": "mecanico", "ativo": True}],
            },
            {"funcionario_id": 1, "_id": 0},
        )
        return [d["funcionario_id"] for d in cursor]

    def mecanicos_ativos_ou_nenhum(self) -> list[int] | None:
        """The numbers of the active mechanics (the forecast's "at work now"); None when the
        shop lists no mechanic at all, active or not (its mechanics are only the numbers the
        API and the OS service send). Index: por_papel."""
        ativos = [numero for numero, *_ in self.mecanicos_ativos()]
        if ativos or self.usuarios.find_one({"papel": "mecanico"}, {"_id": 1}):
            return ativos
        return None

    def nomes_de_funcionarios(self) -> dict[int, str]:
        """Everyone who has a funcionario_id, inactive ones too (an export names every order's
        mechanic). Index: funcionario_unico (partial on that field)."""
        cursor = self.usuarios.find(
            {"funcionario_id": {"$type": "number"}}, {"funcionario_id": 1, "nome": 1, "_id": 0}
        )
        return {d["funcionario_id"]: d["nome"] for d in cursor}

    def nomes_por_login(self, logins: Iterable[str | None]) -> dict[str, str]:
        """Display names of many logins (e.g. history authors) in one query."""
        procurados = sorted({login for login in logins if login})
        if not procurados:
            return {}
        cursor = self.usuarios.find(
            {"login": {"$in": procurados}}, {"login": 1, "nome": 1, "_id": 0}
        )
        return {d["login"]: d["nome"] for d in cursor}
