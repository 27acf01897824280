"""Every write of the people (collection `usuarios`), of the record of their sign-ins and of the
changes made to them (collection `registro_acessos`), of a temporary password on its way to the
page that shows it (collection `senhas_a_mostrar`), and their indexes."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError
from werkzeug.security import generate_password_hash

from ..mongo import atualizar_indices
from .domain import (
    EDITAVEIS,
    ApenasAdmin,
    Linha,
    NumeroComOrdens,
    UltimoAdmin,
    Usuario,
    UsuarioInvalido,
    mudancas,
    normalizar_login,
    problema_da_senha,
    validar_campos,
    validar_login,
)

COLECAO = "usuarios"
# Every change that ends a user's sessions sets a new stamp; other updates (the last sign-in)
# leave open streams alone.
REVOGAM = ("carimbo",)
REGISTRO = "registro_acessos"
# One document every change that may leave fewer active admins writes first, in the same
# transaction as the change: two such changes conflict there, so the count of the admins left,
# read inside the transaction, can never be stale (two managers demoting the last two admins at
# once: one of them is refused, not both applied).
GUARDA = "usuarios_guarda"
GUARDA_ADMINS = "admins"
ADMIN = "admin"
NAO_ADMIN: dict[str, Any] = {"papel": {"$ne": ADMIN}}

INDICES = [
    IndexModel([("login", ASCENDING)], unique=True, name="login_unico"),
    # Unique only among users that have one: managers or admins may have none.
    IndexModel(
        [("funcionario_id", ASCENDING)],
        unique=True,
        partialFilterExpression={"funcionario_id": {"$type": "number"}},
        name="funcionario_unico",
    ),
    # The active mechanics (the board's filter and assignment, the TV's load strip); their
    # names are sorted as Portuguese does, in memory (queries.ALFABETICA): a few dozen people.
    IndexModel([("papel", ASCENDING), ("ativo", ASCENDING), ("nome", ASCENDING)], name="por_papel"),
]
# By name without the Portuguese collation, it served no sort of the lists that ask for it.
OBSOLETOS = ("por_nome",)
INDICES_REGISTRO = [
    IndexModel([("em", DESCENDING)], name="registro_recente"),
    IndexModel([("login", ASCENDING), ("em", DESCENDING)], name="registro_por_pessoa"),
]

# A reset's temporary password, masked (pessoas.domain.em_duas_metades: the pad is in the
# session cookie), between the POST and the GET that shows it once; gone after ten minutes if
# that GET never comes.
A_MOSTRAR = "senhas_a_mostrar"
A_MOSTRAR_VALIDADE_S = 600
INDICES_A_MOSTRAR = [
    IndexModel(
        [("criado_em", ASCENDING)],
        expireAfterSeconds=A_MOSTRAR_VALIDADE_S,
        name="senhas_a_mostrar_expiram",
    )
]

# Passwords are hashed with scrypt; tests (APP_ENV=test) use a cheap PBKDF2 so that signing in
# the demo users does not cost a third of a second each time.
HASH_PRODUCAO = "scrypt"
HASH_TESTE = "pbkdf2:sha256:1000"


# Written by every step that puts a person's number on an order (reservar_numero), so that step
# and a change of that number conflict in MongoDB and never both apply; no screen shows it.
RESERVA_DO_NUMERO = "reserva_do_numero"
CAMPOS_INVISIVEIS = (RESERVA_DO_NUMERO,)


class PessoasRepository:
    def __init__(
        self,
        db: Database,
        metodo_hash: str = HASH_PRODUCAO,
        abertas_do_mecanico: Callable[[int, ClientSession | None], int] = lambda _n, _s: 0,
    ) -> None:
        self.usuarios = db[COLECAO]
        self.registro = db[REGISTRO]
        self.guarda = db[GUARDA]
        self.a_mostrar = db[A_MOSTRAR]
        self.metodo_hash = metodo_hash
        # Given by create_app (FilaQueries.abertas_do_mecanico): the open orders that carry a
        # number, counted inside the transaction that changes it (and, with no session, for
        # the service's notice on deactivating someone who still holds some).
        self.abertas_do_mecanico = abertas_do_mecanico

    def reservar_numero(self, numero: int, login: str | None, sessao: ClientSession) -> bool:
        """Inside the transaction of a step that puts `numero` on an order: writes the person
        who has that number, so a change of it meanwhile conflicts with the step (one of the
        two is retried, and then sees the other). `login`: the number is this person's own,
        as their session knew it (a mechanic's step): False when it is no longer theirs. A
        number no one has (an integration's) is not refused."""
        filtro: dict[str, Any] = {"funcionario_id": numero}
        if login is not None:
            filtro["login"] = login
        feito = self.usuarios.update_one(filtro, {"$inc": {RESERVA_DO_NUMERO: 1}}, session=sessao)
        return feito.matched_count == 1 or login is None

    def criar_indices(self) -> None:
        atualizar_indices(self.usuarios, INDICES, OBSOLETOS)
        atualizar_indices(self.registro, INDICES_REGISTRO)
        atualizar_indices(self.a_mostrar, INDICES_A_MOSTRAR)
        # Outside any transaction, so the first guarded change does not create a collection.
        self.guarda.update_one({"_id": GUARDA_ADMINS}, {"$setOnInsert": {"versao": 0}}, upsert=True)

    def _transacao(self, fazer: Callable[[ClientSession], Any]) -> Any:
        """`fazer(sessao)` in one transaction (run again whole on a transient error)."""
        with self.usuarios.database.client.start_session() as sessao:
            return sessao.with_transaction(fazer)

    def _anotar(self, sessao: ClientSession, login: str, linha: Linha | None) -> None:
        """The change's line of the record, inside the change's transaction."""
        if linha is not None:
            self.registro.insert_one(
                {
                    "acao": linha.acao,
                    "login": login,
                    "por": linha.por,
                    "em": linha.em,
                    "endereco": linha.endereco,
                    "detalhe": linha.detalhe,
                },
                session=sessao,
            )

    def _sem_perder_o_ultimo_admin(self, mudar: Callable[[ClientSession], Any]) -> Any:
        """Run `mudar(sessao)` (which returns the user as it was before, or None) in a
        transaction that first takes the admins' guard; refuse (UltimoAdmin, nothing applied)
        when it took an active admin away and none is left."""

        def transacao(sessao: ClientSession) -> Any:
            self.guarda.update_one(
                {"_id": GUARDA_ADMINS}, {"$inc": {"versao": 1}}, upsert=True, session=sessao
            )
            antes = mudar(sessao)
            era_admin = antes is not None and antes.get("papel") == ADMIN and antes.get("ativo")
            if era_admin and not self.usuarios.count_documents(
                {"papel": ADMIN, "ativo": True}, limit=1, session=sessao
            ):
                raise UltimoAdmin()
            return antes

        return self._transacao(transacao)

    def _hash(self, senha: str) -> str:
        if problema := problema_da_senha(senha):
            raise UsuarioInvalido(problema, "senha")
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
        linha: Linha | None = None,
    ) -> Usuario:
        """Add a user; UsuarioInvalido on a bad field or a taken login / funcionario_id.
        `trocar_senha`: the password is temporary, to be changed at the first sign-in.
        `demo`: one of the demo's users (seed-demo), whose password is public. `linha`: the
        record's line, written with it and telling what it was created with."""
        login = validar_login(login)
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

        def inserir(sessao: ClientSession) -> None:
            self.usuarios.insert_one(documento, session=sessao)
            if linha is not None:
                detalhe = {campo: documento[campo] for campo in EDITAVEIS if campo in documento}
                self._anotar(sessao, login, replace(linha, detalhe=detalhe))

        try:
            self._transacao(inserir)
        except DuplicateKeyError as erro:
            recusa = _duplicado(erro, login, funcionario_id)
            # The index names one key; the number may be taken too: said at once, not at the
            # next try (read only to explain a write already refused).
            numero = {"funcionario_id": funcionario_id}
            if (
                recusa.campo == "login"
                and funcionario_id is not None
                and (self.usuarios.count_documents(numero, limit=1))
            ):
                recusa.tambem = _numero_com_usuario(funcionario_id)
            raise recusa from None
        return Usuario(documento)

    def editar(
        self,
        login: str,
        nome: str,
        papel: str,
        funcionario_id: int | None,
        *,
        so_nao_admin: bool = False,
        lido_em: datetime | None = None,
        linha: Linha | None = None,
    ) -> tuple[Usuario, Usuario] | None:
        """Change a user's name, role and funcionario_id in one conditional update; (before,
        after), or None when nothing matched (the caller tells why). A new role ends the
        user's open sessions (their new rights apply everywhere at once, open boards
        included); a new name or number does not. `so_nao_admin`: the change is made by
        someone who is not an admin, so it applies only to a user who is not one at that
        moment, and makes nobody one (ApenasAdmin). Never leaves no active admin
        (UltimoAdmin). `lido_em`: the `atualizado_em` of the record the edit was made on; any
        change since (another manager's edit, a reset) makes it match nothing. `linha`: the
        record's line, written with the change and telling what it changed (none when it
        changed nothing)."""
        nome, papel = validar_campos(nome, papel, funcionario_id)
        if so_nao_admin and papel == ADMIN:
            raise ApenasAdmin()
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
        filtro = {"login": normalizar_login(login), **(NAO_ADMIN if so_nao_admin else {})}
        if lido_em is not None:
            filtro["atualizado_em"] = lido_em

        def mudar(sessao: ClientSession) -> Any:
            antes = self.usuarios.find_one_and_update(
                filtro, etapas, return_document=ReturnDocument.BEFORE, session=sessao
            )
            antigo = (antes or {}).get("funcionario_id")
            if antigo is not None and antigo != funcionario_id:
                # Counted in this transaction, after writing the person: a step putting the
                # old number on an order (reservar_numero) either is seen here or conflicts.
                abertas = self.abertas_do_mecanico(antigo, sessao)
                if abertas:
                    raise NumeroComOrdens(antes.get("nome") or login, antigo, abertas)
            if antes is not None and linha is not None:
                detalhe = mudancas(antes, _editado(antes, nome, papel, funcionario_id))
                if detalhe:
                    self._anotar(sessao, antes["login"], replace(linha, detalhe=detalhe))
            return antes

        try:
            antes = self._sem_perder_o_ultimo_admin(mudar)
        except DuplicateKeyError as erro:
            raise _duplicado(erro, login, funcionario_id) from None
        if antes is None:
            return None
        depois = _editado(antes, nome, papel, funcionario_id)
        if antes["papel"] != papel:
            depois["carimbo"] = novo_carimbo
        return Usuario(antes), Usuario(depois)

    def _atualizar(
        self,
        login: str,
        campos: dict[str, Any],
        condicao: dict[str, Any] | None = None,
        linha: Linha | None = None,
    ) -> bool:
        """Set `campos` with a new stamp (every open session of this user stops loading at its
        next request) and write `linha`. False when no such user or `condicao` does not hold
        (nothing done, nothing written)."""
        campos = {
            **campos,
            "carimbo": secrets.token_urlsafe(12),
            "atualizado_em": datetime.now(UTC),
        }
        filtro = {"login": normalizar_login(login)}

        def atualizar(sessao: ClientSession) -> bool:
            feito = self.usuarios.update_one(
                {**filtro, **(condicao or {})}, {"$set": campos}, session=sessao
            ).matched_count
            if feito:
                self._anotar(sessao, filtro["login"], linha)
            return bool(feito)

        return bool(self._transacao(atualizar))

    def alterar_senha(
        self,
        login: str,
        senha: str,
        *,
        temporaria: bool = False,
        so_nao_admin: bool = False,
        linha: Linha | None = None,
    ) -> bool:
        """New password; the user's open sessions end. `temporaria`: set by a manager, to be
        changed at the next sign-in. `so_nao_admin`: only if the user is not an admin at that
        moment. False when nothing matched (the caller tells why). `linha`: the record's line,
        written with it."""
        campos = {"senha_hash": self._hash(senha), "trocar_senha": temporaria}
        return self._atualizar(login, campos, NAO_ADMIN if so_nao_admin else None, linha)

    def guardar_a_mostrar(self, login: str, por: str, mascarada: str) -> str:
        """Keep the masked half of `login`'s new password for `por`'s next GET; its key."""
        feito = self.a_mostrar.insert_one(
            {"login": login, "por": por, "mascarada": mascarada, "criado_em": datetime.now(UTC)}
        )
        return str(feito.inserted_id)

    def retirar_a_mostrar(self, chave: object, login: str, por: str) -> str | None:
        """The masked half kept under `chave`, removed as it is read (shown once); None when it
        is gone, expired, or kept for another page or person."""
        if not isinstance(chave, str) or not ObjectId.is_valid(chave):
            return None
        # The TTL monitor runs once a minute: the age is checked here too.
        limite = datetime.now(UTC) - timedelta(seconds=A_MOSTRAR_VALIDADE_S)
        documento = self.a_mostrar.find_one_and_delete(
            {"_id": ObjectId(chave), "login": login, "por": por, "criado_em": {"$gt": limite}}
        )
        return documento["mascarada"] if documento else None

    def trocar_senha(
        self, login: str, senha: str, hash_conferido: str, linha: Linha | None = None
    ) -> bool:
        """The person's own new password, only if the stored one is still the one just checked
        (`hash_conferido`): a manager's reset in between wins (False), never undone by it."""
        campos = {"senha_hash": self._hash(senha), "trocar_senha": False}
        return self._atualizar(login, campos, {"senha_hash": hash_conferido}, linha)

    def definir_ativo(
        self, login: str, ativo: bool, *, so_nao_admin: bool = False, linha: Linha | None = None
    ) -> bool:
        """Deactivate (open sessions end at their next request) or reactivate a user; False
        when nothing matched: it already was, there is no such user, or (`so_nao_admin`) the
        user is an admin at that moment; the caller tells which. Never deactivates the last
        active admin (UltimoAdmin). `linha`: the record's line, written only with a change."""
        condicao = {"ativo": {"$ne": ativo}, **(NAO_ADMIN if so_nao_admin else {})}
        if ativo:
            return self._atualizar(login, {"ativo": True}, condicao, linha)
        campos = {
            "ativo": False,
            "carimbo": secrets.token_urlsafe(12),
            "atualizado_em": datetime.now(UTC),
        }
        filtro = {"login": normalizar_login(login), **condicao}

        def desativar(sessao: ClientSession) -> Any:
            antes = self.usuarios.find_one_and_update(filtro, {"$set": campos}, session=sessao)
            if antes is not None:
                self._anotar(sessao, antes["login"], linha)
            return antes

        return self._sem_perder_o_ultimo_admin(desativar) is not None

    def registrar_entrada(self, login: str, linha: Linha) -> None:
        """A sign-in: when the user last signed in (the /pessoas list) and its line. The stamp
        stays: sessions go on."""
        login = normalizar_login(login)

        def entrar(sessao: ClientSession) -> None:
            self.usuarios.update_one(
                {"login": login}, {"$set": {"ultimo_acesso_em": linha.em}}, session=sessao
            )
            self._anotar(sessao, login, linha)

        self._transacao(entrar)

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


def _editado(
    antes: Mapping[str, Any], nome: str, papel: str, funcionario_id: int | None
) -> dict[str, Any]:
    """A user's record as an edit leaves it."""
    depois = {**antes, "nome": nome, "papel": papel}
    depois.pop("funcionario_id", None)
    if funcionario_id is not None:
        depois["funcionario_id"] = funcionario_id
    return depois


def _numero_com_usuario(funcionario_id: int | None) -> UsuarioInvalido:
    return UsuarioInvalido(f"O funcionário {funcionario_id} já tem um usuário.", "funcionario_id")


def _duplicado(erro: DuplicateKeyError, login: str, funcionario_id: int | None) -> UsuarioInvalido:
    if "funcionario_id" in (erro.details or {}).get("keyPattern", {}):
        return _numero_com_usuario(funcionario_id)
    return UsuarioInvalido(f"Já existe o usuário “{login}”.", "login")
