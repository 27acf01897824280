"""A person who signs in to the board, as the board (and Flask-Login, by the attributes it reads)
sees them, and the rules of a user's fields (roles, login format, password length). Pure: no
Flask, no pymongo."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..fila.domain import GESTORES, Ator, Papel
from ..text import invisivel, limpar_texto, milhares

PAPEIS = (Papel.MECANICO, Papel.GERENTE, Papel.ADMIN)  # people; SERVICO is for integrations
# The largest employee number: MongoDB's largest integer (mongo.INT64_MAX; these rules import
# no driver).
FUNCIONARIO_MAXIMO = 2**63 - 1
ROTULOS_PAPEL = {Papel.MECANICO: "Mecânico", Papel.GERENTE: "Gerente", Papel.ADMIN: "Administrador"}


def papeis_que_concede(e_admin: bool) -> tuple[Papel, ...]:
    """The roles someone may give: only an admin makes an admin (the service refuses the rest)."""
    return PAPEIS if e_admin else tuple(p for p in PAPEIS if p != Papel.ADMIN)


def altera(e_admin: bool, papel: Papel) -> bool:
    """Whether someone may change, reset or (de)activate a person of this role: only an admin
    touches an admin (the repository's writes match on it too, `so_nao_admin`)."""
    return e_admin or papel != Papel.ADMIN


# What a manager reads on an admin's page instead of the forms they could not use.
SO_ADMIN_ALTERA = (
    "Só um administrador altera o cadastro, redefine a senha ou desativa um administrador."
)


LOGIN_MAXIMO = 40
FORMATO_LOGIN = re.compile(rf"[a-z0-9][a-z0-9._-]{{1,{LOGIN_MAXIMO - 1}}}")
SENHA_MINIMA = 8
SENHA_MAXIMA = 200  # what the sign-in form reads: a longer one could never be typed in
SENHA_TAMANHO = f"A senha deve ter de {SENHA_MINIMA} a {SENHA_MAXIMA} caracteres."
SENHA_INVISIVEL = (
    "A senha não pode ter caracteres invisíveis (de controle ou de largura zero): "
    "ninguém conseguiria digitá-la de novo."
)
SENHA_SO_ESPACOS = "A senha não pode ser só espaços."
SENHA_ATUAL_ERRADA = "A senha atual não confere."
PROPRIO_PAPEL = "Você não pode alterar o seu próprio papel."
PROPRIA_SENHA = "Para trocar a sua própria senha, use “Trocar senha” (no alto da página)."


# What the record of sign-ins and changes says, per code (the /pessoas page and `access-log`).
REGISTROS = {
    "entrar": "Entrou",
    "criar": "Cadastrou",
    "editar": "Alterou o cadastro",
    "desativar": "Desativou",
    "reativar": "Reativou",
    "redefinir_senha": "Redefiniu a senha",
    "trocar_senha": "Trocou a própria senha",
}


# The record's lines whose change ends every session of their person (a new stamp): an edit
# ends them only when it changed the role (repository.editar).
ENCERRAM_SESSOES = ("desativar", "redefinir_senha", "trocar_senha")


def porque_encerrou(registro: Mapping[str, Any], quem: str, quando: str, ativo: bool) -> str:
    """Why a device was signed out, told on it: `registro` the line of the change that ended
    every session of its person, `quem` who made it ("Gabriela Gerente"), `quando` ("às
    14:03"), `ativo` whether the person may sign in now. A tablet signed out mid-shift says
    what happened and what to do next."""
    acao = registro.get("acao")
    if acao == "desativar" and ativo:
        return (
            f"Sessão encerrada: {quem} desativou seu acesso {quando}; ele já foi reativado. "
            "Entre novamente."
        )
    if acao == "desativar":
        return f"Sessão encerrada: {quem} desativou seu acesso {quando}. Fale com a gerência."
    if acao == "redefinir_senha":
        return (
            f"Sessão encerrada: {quem} redefiniu sua senha {quando}. Entre com a senha "
            "temporária que lhe passarem."
        )
    if acao == "trocar_senha":
        return f"Sessão encerrada: sua senha foi trocada {quando}. Entre com a nova senha."
    novo = _valor("papel", ((registro.get("detalhe") or {}).get("papel") or [None])[-1])
    return f"Sessão encerrada: {quem} mudou seu papel para {novo} {quando}. Entre novamente."


@dataclass(frozen=True)
class Linha:
    """A line of that record: `por` did `acao` (REGISTROS) at `em`, from `endereco` (the
    client's address; None from the command line). The repository writes it in the same
    transaction as the change it tells: no change goes unrecorded, no line tells one that was
    not made."""

    acao: str
    por: str
    em: datetime
    endereco: str | None
    detalhe: dict[str, Any] = field(default_factory=dict)


EDITAVEIS = ("nome", "papel", "funcionario_id")  # what an edit changes, and its line tells


def mudancas(antes: Mapping[str, Any], depois: Mapping[str, Any]) -> dict[str, list[Any]]:
    """What an edit changed, as its line keeps it: {"papel": ["mecanico", "gerente"]}."""
    return {
        campo: [antes.get(campo), depois.get(campo)]
        for campo in EDITAVEIS
        if antes.get(campo) != depois.get(campo)
    }


# Temporary passwords: no look-alike characters (0/O, 1/l/I), read aloud or typed on a tablet;
# three groups of four, joined by hyphens ("k7qm-x4ta-9pwe").
_ALFABETO_SENHA = "abcdefghjkmnpqrstuvwxyz23456789"
_GRUPOS_SENHA, _TAMANHO_GRUPO = 3, 4
_LETRAS_SENHA = _GRUPOS_SENHA * _TAMANHO_GRUPO


class UsuarioInvalido(ValueError):
    """A user that cannot be created or changed; the message is for people (Portuguese), and
    `campo` the form field it belongs beside (None: the form as a whole)."""

    def __init__(self, mensagem: str, campo: str | None = None) -> None:
        super().__init__(mensagem)
        self.campo = campo
        self.tambem: UsuarioInvalido | None = None  # another field refused at once

    def todos(self) -> list[UsuarioInvalido]:
        return [self] if self.tambem is None else [self, self.tambem]


def nao_encontrado(login: str) -> str:
    """The one way every entry point (page, service, CLI) says a login names no one. The login
    as typed or put in an address: its invisible characters out (a right-to-left mark in a
    crafted link would turn the sentence around), at most 60 characters."""
    visivel = limpar_texto(login, linhas=False) or ""
    if not visivel:
        return "Usuário não encontrado."
    # "gerente" + NUL names no one: not told as if "gerente" did not exist.
    invisiveis = " (com caracteres invisíveis)" if visivel != login.strip() else ""
    return f"Usuário “{visivel[:60]}{'…' if len(visivel) > 60 else ''}”{invisiveis} não encontrado."


class MuitasTentativas(UsuarioInvalido):
    """Too many wrong passwords (sessao.service.conferir_senha): this one was not even tried.
    `espera_s`: the Retry-After."""

    def __init__(self, mensagem: str, espera_s: int) -> None:
        super().__init__(mensagem, "senha_atual")
        self.espera_s = espera_s


class ApenasAdmin(UsuarioInvalido):
    """A manager (or anyone but an admin) tried to create, change, reset or deactivate an
    admin, or to make someone one."""

    def __init__(self) -> None:
        super().__init__(
            "Apenas um administrador pode criar, promover, rebaixar, alterar, redefinir a senha "
            "ou desativar um administrador.",
            "papel",
        )


class NumeroComOrdens(UsuarioInvalido):
    """A mechanic's number changed while open orders carry it (decided inside the change's own
    transaction, PessoasRepository.editar): those orders would go to nobody, then to whoever
    is given the old number. `nome`, `numero`, `abertas`: the service says what to do first."""

    def __init__(self, nome: str, numero: int, abertas: int) -> None:
        super().__init__(f"{nome} tem ordens abertas com o nº {numero}.", "funcionario_id")
        self.nome, self.numero, self.abertas = nome, numero, abertas


class UltimoAdmin(UsuarioInvalido):
    """The change would leave no active admin."""

    def __init__(self) -> None:
        super().__init__(
            "Este é o último administrador ativo: torne outra pessoa administrador antes de "
            "rebaixá-lo ou desativá-lo.",
            "papel",
        )


def normalizar_login(login: str) -> str:
    return login.strip().lower()


def validar_login(login: str) -> str:
    """A new login as stored (trimmed, lower case); UsuarioInvalido when it breaks the format.
    The form checks it with the other fields (every error at once), the store again."""
    login = normalizar_login(login)
    if not FORMATO_LOGIN.fullmatch(login):
        raise UsuarioInvalido(
            f"Usuário inválido: use de 2 a {LOGIN_MAXIMO} letras minúsculas sem acento (a-z), "
            "números, ponto, hífen ou sublinhado.",
            "login",
        )
    return login


_CAMPOS = {"nome": "nome", "papel": "papel", "funcionario_id": "nº de funcionário"}


def descrever(registro: dict[str, Any]) -> str:
    """A line of the record in words: "Alterou o cadastro: papel Mecânico → Gerente"."""
    texto = REGISTROS.get(registro.get("acao", ""), registro.get("acao", ""))
    partes = []
    for campo, valor in (registro.get("detalhe") or {}).items():
        if isinstance(valor, list) and len(valor) == 2:
            antes, depois = (_valor(campo, v) for v in valor)
            partes.append(f"{_CAMPOS.get(campo, campo)} {antes} → {depois}")
        else:
            partes.append(f"{_CAMPOS.get(campo, campo)} {_valor(campo, valor)}")
    return f"{texto}: {'; '.join(partes)}" if partes else texto


def _valor(campo: str, valor: Any) -> str:
    if valor is None:
        return "—"
    if campo == "papel" and valor in PAPEIS:
        return ROTULOS_PAPEL[Papel(valor)]
    return str(valor)


def senha_temporaria() -> str:
    """A one-time password shown once to a manager ("k7qm-x4ta-9pwe": 60 bits); the person
    must change it at the next sign-in."""
    letras = "".join(secrets.choice(_ALFABETO_SENHA) for _ in range(_LETRAS_SENHA))
    return _em_grupos(letras)


def _em_grupos(letras: str) -> str:
    return "-".join(letras[i : i + _TAMANHO_GRUPO] for i in range(0, len(letras), _TAMANHO_GRUPO))


def partes_da_sessao(id_sessao: str) -> tuple[str, str, str] | None:
    """A session id (Usuario.get_id: login, stamp, session) in its parts; None when it is not
    one ("-": a session with no record of its own)."""
    partes = id_sessao.split(":")
    if len(partes) != 3 or not all(partes):
        return None
    login, carimbo, sessao = partes
    return login, carimbo, sessao


def como_temporaria(texto: str) -> str | None:
    """What was typed, as `senha_temporaria` wrote it, when it can be one: "K7QM X4TA 9PWE"
    or "k7qmx4ta9pwe" read aloud and typed on a tablet is "k7qm-x4ta-9pwe". None otherwise."""
    letras = "".join(c for c in texto.lower() if c not in " -")
    if len(letras) != _LETRAS_SENHA or any(c not in _ALFABETO_SENHA for c in letras):
        return None
    return _em_grupos(letras)


def em_duas_metades(senha: str) -> tuple[str, str]:
    """A password split in two halves that each say nothing alone (a one-time pad, in hex):
    the random pad and the password masked by it. A temporary password goes from its POST to
    the GET that shows it with one half in the session cookie (signed, not encrypted) and the
    other in the database; neither a copied cookie nor a backup holds it."""
    dados = senha.encode()
    pad = secrets.token_bytes(len(dados))
    return pad.hex(), bytes(a ^ b for a, b in zip(dados, pad, strict=True)).hex()


def juntar_metades(pad: object, mascarada: object) -> str | None:
    """The password `em_duas_metades` split; None when the halves are not a pair."""
    try:
        a, b = bytes.fromhex(str(pad)), bytes.fromhex(str(mascarada))
        return bytes(x ^ y for x, y in zip(a, b, strict=True)).decode() if a else None
    except (ValueError, UnicodeDecodeError):
        return None


def validar_campos(nome: str, papel: str, funcionario_id: int | None) -> tuple[str, str]:
    """A user's name and role as stored (one line without control characters, lower case);
    UsuarioInvalido otherwise."""
    nome = limpar_texto(nome, linhas=False) or ""
    if not nome:
        raise UsuarioInvalido("Informe o nome do usuário.", "nome")
    if len(nome) > 80:
        raise UsuarioInvalido("O nome deve ter no máximo 80 caracteres.", "nome")
    papel = str(papel).strip().lower()
    if papel not in PAPEIS:
        raise UsuarioInvalido(
            f"Papel inválido: “{papel}”. Use mecanico, gerente ou admin.", "papel"
        )
    if funcionario_id is not None and not 0 < funcionario_id <= FUNCIONARIO_MAXIMO:
        # Its range whole: a 20-digit number is positive, only too large to keep.
        raise UsuarioInvalido(
            f"O número de funcionário deve ser um inteiro de 1 a {milhares(FUNCIONARIO_MAXIMO)}.",
            "funcionario_id",
        )
    return nome, papel


class Usuario:
    """A stored user. Flask-Login reads `is_authenticated`, `is_active`, `is_anonymous` and
    `get_id()` (what its UserMixin would give, written here so the rules stay free of Flask)."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, documento: dict[str, Any], sessao: str | None = None) -> None:
        self.documento = documento
        self.sessao = sessao  # the open session this request belongs to (sessao/repository.py)

    def __eq__(self, outro: object) -> bool:
        return isinstance(outro, Usuario) and self.get_id() == outro.get_id()

    def __hash__(self) -> int:
        return hash(self.get_id())

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
    def deve_trocar_senha(self) -> bool:
        """A manager reset the password (or created the user): it must change at sign-in."""
        return bool(self.documento.get("trocar_senha"))

    @property
    def ultimo_acesso_em(self) -> Any:
        return self.documento.get("ultimo_acesso_em")

    @property
    def e_gerente(self) -> bool:
        return self.papel in GESTORES

    @property
    def ator(self) -> Ator:
        """This person as the queue and the people's rules see whoever acts."""
        return Ator(self.login, self.papel, pessoa=True, funcionario_id=self.funcionario_id)

    def __repr__(self) -> str:
        return f"Usuario({self.login!r}, {self.papel.value})"


def problema_da_senha(senha: str) -> str | None:
    """Why a new password cannot be (None: it can): too short, longer than the sign-in form
    takes, or with characters nobody sees (control or zero-width, e.g. ten NULs or eight
    U+200B): accepted, it would lock its owner out at the next sign-in (from another device)."""
    if not SENHA_MINIMA <= len(senha) <= SENHA_MAXIMA:
        return SENHA_TAMANHO
    if any(invisivel(c) for c in senha):
        return SENHA_INVISIVEL
    if not senha.strip():
        return SENHA_SO_ESPACOS
    return None


# A person's record saved from a page drawn before another save (the version it carried).
EDICAO_CONCORRENTE = (
    "Este cadastro mudou enquanto você editava (outra pessoa salvou): nada foi salvo. "
    "Confira como está agora e salve de novo."
)


class EdicaoConcorrente(UsuarioInvalido):
    """Someone saved the record since the page was drawn (EDICAO_CONCORRENTE): the page shows
    it as it is now, to redo the change on."""

    def __init__(self) -> None:
        super().__init__(EDICAO_CONCORRENTE, "nome")
