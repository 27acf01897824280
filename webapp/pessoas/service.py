"""The people's use cases, the same for the /pessoas page and the command line: add, edit,
deactivate and reactivate a person, reset a password (a temporary one, shown once), change one's
own password, and record every sign-in and change (who, when, from where)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from ..clock import em_ms
from ..fila import labels
from ..fila.domain import Ator, Papel
from .domain import (
    PROPRIA_SENHA,
    PROPRIO_PAPEL,
    SENHA_ATUAL_ERRADA,
    ApenasAdmin,
    EdicaoConcorrente,
    Linha,
    NumeroComOrdens,
    Usuario,
    UsuarioInvalido,
    altera,
    como_temporaria,
    em_duas_metades,
    juntar_metades,
    mudancas,
    nao_encontrado,
    normalizar_login,
    senha_temporaria,
)
from .queries import PessoasQueries
from .repository import PessoasRepository

# (login, address, the check, a device the account already signed in on): what the check
# found, None for a wrong password.
ConferirSenha = Callable[[str, str | None, Callable[[], Usuario | None], bool], Usuario | None]
CLI = labels.LINHA_DE_COMANDO  # `por` of the changes made with the flask commands


class PessoasService:
    def __init__(
        self,
        repo: PessoasRepository,
        queries: PessoasQueries,
        agora: Callable[[], datetime] = lambda: datetime.now(UTC),
        mudou: Callable[[], None] = lambda: None,
        conferir_senha: ConferirSenha = lambda _login, _endereco, conferir, _conhecido: conferir(),
    ) -> None:
        self.repo = repo
        self.queries = queries
        self.agora = agora
        # Given by create_app: the mechanics at work changed (someone added, activated or
        # deactivated, or given another role or number), so the forecast is recomputed.
        self.mudou = mudou
        # Given by create_app: the sign-in's limits on guessing a password
        # (sessao.service.conferir_senha; MuitasTentativas past them).
        self.conferir_senha = conferir_senha

    def _linha(self, acao: str, quem: Ator) -> Linha:
        """The record's line of a change `quem` makes now (written by the repository with it)."""
        return Linha(acao, quem.id, self.agora(), quem.endereco)

    def criar(
        self,
        login: str,
        nome: str,
        papel: str,
        funcionario_id: int | None,
        quem: Ator,
        senha: str | None = None,
    ) -> tuple[Usuario, str]:
        """A new person with a temporary password (returned, to be shown once), which they
        must change at their first sign-in; or with `senha`, chosen by whoever creates them at
        the command line (the first administrator). Only an admin creates an admin."""
        if str(papel).strip().lower() == Papel.ADMIN and not quem.e_admin:
            raise ApenasAdmin()
        temporaria = senha is None
        senha = senha_temporaria() if senha is None else senha
        usuario = self.repo.criar(
            login,
            nome,
            senha,
            papel,
            funcionario_id,
            trocar_senha=temporaria,
            linha=self._linha("criar", quem),
        )
        self.mudou()
        return usuario, senha

    def editar(
        self,
        login: str,
        nome: str,
        papel: str,
        funcionario_id: int | None,
        quem: Ator,
        lido_em: datetime | None = None,
    ) -> Usuario:
        """Name, role and funcionario_id; a new role ends the person's sessions. Nobody
        changes their own role (a manager cannot lock themselves out of this page). Only an
        admin changes an admin or makes someone one, and the last active admin stays one
        (both decided by the update itself, not by a read before it)."""
        login = normalizar_login(login)
        if login == quem.id and str(papel).strip().lower() != self._papel(login):
            raise UsuarioInvalido(PROPRIO_PAPEL, "papel")
        try:
            feito = self.repo.editar(
                login,
                nome,
                papel,
                funcionario_id,
                so_nao_admin=not quem.e_admin,
                lido_em=lido_em,
                linha=self._linha("editar", quem),
            )
        except NumeroComOrdens as erro:
            # A mechanic's number is what their open orders carry: changed while they hold
            # any, those orders would go to nobody, then to whoever gets the old number.
            aviso = self._aviso_de_ordens(erro.nome, erro.numero, erro.abertas)
            raise UsuarioInvalido(f"{aviso} antes de mudar o número.", "funcionario_id") from None
        if feito is None:
            atual = self._existente(login)
            if lido_em is not None and em_ms(atual.documento.get("atualizado_em")) != em_ms(
                lido_em
            ):
                raise EdicaoConcorrente()
            if not altera(quem.e_admin, atual.papel):
                raise ApenasAdmin()
            raise EdicaoConcorrente()
        antes, depois = feito
        if mudancas(antes.documento, depois.documento).keys() & {"papel", "funcionario_id"}:
            self.mudou()
        return depois

    def ordens_de_quem_deixou_de_ser_mecanico(self, antes: Usuario, depois: Usuario) -> str | None:
        """Said when a mechanic's role changes while open orders carry their number: they
        leave the board's list of mechanics (its filter, the loads), their orders stay theirs,
        as on a deactivation (`ordens_de_quem_saiu`)."""
        if antes.papel != Papel.MECANICO or depois.papel == Papel.MECANICO:
            return None
        return self.ordens_de_quem_saiu(depois)

    def ordens_de_quem_saiu(self, usuario: Usuario) -> str | None:
        """Said when a mechanic is deactivated while open orders carry their number: those
        orders stay theirs (nobody else's work is moved without a manager's choice), and who
        deactivated them is told which to give to someone else."""
        if usuario.funcionario_id is None:
            return None
        abertas = self.repo.abertas_do_mecanico(usuario.funcionario_id, None)
        if not abertas:
            return None
        return f"{self._aviso_de_ordens(usuario.nome, usuario.funcionario_id, abertas)}."

    @staticmethod
    def _aviso_de_ordens(nome: str, numero: int, abertas: int) -> str:
        ordens = labels.quantos(abertas, "ordem aberta", "ordens abertas", "")
        atribua = "atribua-a" if abertas == 1 else "atribua-as"
        return (
            f"{nome} tem {ordens} com o nº {numero}: {atribua} a outro mecânico (em “Mais…” "
            "no quadro)"
        )

    def _existente(self, login: str) -> Usuario:
        """The person as stored now, read only to tell why a conditional write matched
        nothing (the write decided); UsuarioInvalido when there is no such person."""
        usuario = self.queries.obter(login)
        if usuario is None:
            raise UsuarioInvalido(nao_encontrado(login))
        return usuario

    def _papel(self, login: str) -> str | None:
        usuario = self.queries.obter(login)
        return usuario.papel.value if usuario else None

    def definir_ativo(self, login: str, ativo: bool, quem: Ator) -> bool:
        """Deactivate (their open sessions end at once and they cannot sign in) or reactivate;
        False when nothing changed. Nobody deactivates themselves; only an admin deactivates
        or reactivates an admin, and never the last active one."""
        login = normalizar_login(login)
        if not ativo and login == quem.id:
            raise UsuarioInvalido("Você não pode desativar o seu próprio usuário.")
        linha = self._linha("reativar" if ativo else "desativar", quem)
        if self.repo.definir_ativo(login, ativo, so_nao_admin=not quem.e_admin, linha=linha):
            self.mudou()
            return True
        atual = self._existente(login)
        if not altera(quem.e_admin, atual.papel):
            raise ApenasAdmin()
        return False

    def redefinir_senha(self, login: str, quem: Ator) -> str:
        """A temporary password (returned, to be shown once); the person's sessions end and
        they must choose a new password at the next sign-in. Only an admin resets an admin's
        (else whoever resets it could sign in as them). Nobody resets their own: their
        session would end before the page could show the new password, and the old one would
        no longer open (one's own password changes at /senha)."""
        login = normalizar_login(login)
        if login == quem.id:
            raise UsuarioInvalido(PROPRIA_SENHA)
        senha = senha_temporaria()
        if not self.repo.alterar_senha(
            login,
            senha,
            temporaria=True,
            so_nao_admin=not quem.e_admin,
            linha=self._linha("redefinir_senha", quem),
        ):
            self._existente(login)
            raise ApenasAdmin()
        return senha

    def guardar_para_mostrar(self, login: str, senha: str, quem: Ator) -> dict[str, str]:
        """A temporary password kept for `quem`'s next GET of `login`'s page: what the session
        carries there (a key and one half; the other half stays in the database)."""
        pad, mascarada = em_duas_metades(senha)
        return {"chave": self.repo.guardar_a_mostrar(login, quem.id, mascarada), "pad": pad}

    def senha_a_mostrar(self, login: str, levado: object, quem: Ator) -> str | None:
        """The password `guardar_para_mostrar` kept, once; None when there is none (a reload,
        another person's page, expired)."""
        if not isinstance(levado, dict):
            return None
        mascarada = self.repo.retirar_a_mostrar(levado.get("chave"), login, quem.id)
        return juntar_metades(levado.get("pad"), mascarada) if mascarada else None

    def trocar_senha(self, usuario: Usuario, atual: str, nova: str, quem: Ator) -> Usuario:
        """A person changes their own password (the forced change after a reset included);
        the updated user, whose new session id the caller signs in with."""
        # A session open here proves the device: the account's growing delay (a stranger's
        # guesses elsewhere) never locks its owner out of changing a password.
        conferido = self.conferir_senha(
            usuario.login,
            quem.endereco,
            lambda: self.queries.autenticar(usuario.login, atual),
            True,
        )
        if conferido is None:
            raise UsuarioInvalido(SENHA_ATUAL_ERRADA, "senha_atual")
        # The temporary password in another spelling is still the one a manager saw.
        temporaria = como_temporaria(atual) if conferido.deve_trocar_senha else None
        if nova == atual or (temporaria is not None and como_temporaria(nova) == temporaria):
            raise UsuarioInvalido("A nova senha deve ser diferente da atual.", "nova")
        if not self.repo.trocar_senha(
            usuario.login,
            nova,
            conferido.documento["senha_hash"],
            self._linha("trocar_senha", quem),
        ):
            self._existente(usuario.login)
            raise UsuarioInvalido(
                "A senha foi redefinida enquanto você a trocava: nada foi salvo.", "senha_atual"
            )
        novo = self.queries.obter(usuario.login)
        if novo is None:  # removed meanwhile
            raise UsuarioInvalido(nao_encontrado(usuario.login))
        return novo

    def registrar_entrada(self, usuario: Usuario, endereco: str | None) -> None:
        self.repo.registrar_entrada(
            usuario.login, Linha("entrar", usuario.login, self.agora(), endereco)
        )
