"""The shop's rules for the execution queue: statuses, priorities, roles, who acts (Ator), the
allowed steps and the refusals (ErroFila).

Pure Python on purpose (no Flask, no pymongo): every entry point (API, board, TV, CLI) asks these
rules through the service layer, and the store turns a step's requirements into the filter of ONE
conditional update, so the same table decides what a button shows and what the database accepts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from ..text import limpar_texto
from . import labels
from .fields import (
    NOTA_MAXIMA,
    DadosInvalidos,
    ano_aceito,
    campos_da_ordem,
    como_guardado,
    no_maximo,
)
from .preconditions import (
    PREENCHIDO,
    VAZIO,
    Anterior,
    Cabe,
    Diferente,
    PrimeiraPerdida,
    Requisito,
    SemEntrada,
    UmDe,
)


class Status(StrEnum):
    """Where an order is in the workflow (the board's columns, in order)."""

    AGUARDANDO = "AGUARDANDO"  # for diagnosis, for approval or for repair (SubEtapa)
    EM_DIAGNOSTICO = "EM_DIAGNOSTICO"
    EM_REPARO = "EM_REPARO"  # only after the budget was approved
    FINALIZADA = "FINALIZADA"


class Prioridade(StrEnum):
    # Declared most urgent first: that order, not the strings', is the queue's.
    URGENTE = "URGENTE"
    ALTA = "ALTA"
    NORMAL = "NORMAL"
    BAIXA = "BAIXA"

    @property
    def ordem(self) -> int:
        """Sort key, most urgent first (the strings sort alphabetically in the wrong order)."""
        return list(Prioridade).index(self)


class Papel(StrEnum):
    """Who acts: people on the board, integrations with a token, and the OS service calling
    from a trusted network without one."""

    MECANICO = "mecanico"
    GERENTE = "gerente"
    ADMIN = "admin"
    SERVICO = "servico"  # an integration with a service token
    SISTEMA_OS = "sistema_os"  # the shop's OS service, recognised by its network (no token)


GESTORES = frozenset({Papel.GERENTE, Papel.ADMIN})  # people who run the floor, not only work it


@dataclass(frozen=True)
class Ator:
    """Who acts, wherever they act from: a person of the shop (the board, the people's pages and
    commands) or a caller of the JSON API (a token's `sub`, the OS service)."""

    id: str  # a person's login, a token's `sub`, or a name of labels.QUEM (the command line...)
    papel: Papel
    # Where from (the record of sign-ins and changes); None: the command line, or unknown.
    endereco: str | None = None
    # A person signed in here: the work they start is theirs (their `funcionario_id`), unless a
    # manager names another mechanic. An API caller names the mechanic it speaks for.
    pessoa: bool = False
    funcionario_id: int | None = None

    @property
    def e_admin(self) -> bool:
        return self.papel is Papel.ADMIN


# --- Refusals: a message for people (Portuguese) and the status every entry point answers ------


class ErroFila(Exception):
    """A refusal with a message for people (Portuguese). `status`: the HTTP status the API
    answers it with (docs/API.md), and the board's answer too."""

    status = 409

    def __init__(self, mensagem: str, item: dict[str, Any] | None = None) -> None:
        super().__init__(mensagem)
        self.mensagem = mensagem
        self.item = item  # the current state, when there is one to show


class EntradaInvalida(ErroFila):
    status = 400


class Proibido(ErroFila):
    status = 403


class NaoEncontrada(ErroFila):
    status = 404


class Conflito(ErroFila):
    """A change refused by the order's state now; `acao`: which says whose earlier change was in
    its way (causa): the change refused, or ATRIBUIR when the order's mechanic changed under a
    manager's step taken for them (mecanico_ainda). `de_alguem` False: no one's change was in
    its way (a full history, HISTORICO_CABE), so none is named."""

    status = 409

    def __init__(
        self,
        mensagem: str,
        item: dict[str, Any] | None = None,
        acao: Acao | None = None,
        de_alguem: bool = True,
    ) -> None:
        super().__init__(mensagem, item)
        self.acao = acao
        self.de_alguem = de_alguem


class NumeroMudou(Conflito):
    """A step that put a person's number on the order as the screen knew it (one's own; or
    `numero`, the mechanic a manager chose), while a manager changed that number: refused,
    nothing applied (the next tap carries the new one)."""

    def __init__(self, numero: int | None = None) -> None:
        super().__init__(
            "O seu número de mecânico acabou de mudar; nada foi salvo. Toque de novo."
            if numero is None
            else f"O nº {numero} acabou de mudar de dono; nada foi salvo. Escolha o mecânico de "
            "novo.",
            de_alguem=False,
        )


class ChaveReutilizada(ErroFila):
    """An Idempotency-Key this caller already used on this order for another request."""

    status = 422


class Acao(StrEnum):
    CRIAR = "criar"
    INICIAR_DIAGNOSTICO = "iniciar_diagnostico"
    FINALIZAR_DIAGNOSTICO = "finalizar_diagnostico"
    APROVAR_ORCAMENTO = "aprovar_orcamento"
    INICIAR_REPARO = "iniciar_reparo"
    FINALIZAR_REPARO = "finalizar_reparo"
    ALTERAR_PRIORIDADE = "alterar_prioridade"
    REMOVER = "remover"
    PAUSAR = "pausar"
    RETOMAR = "retomar"
    REENVIAR_OS = "reenviar_os"  # a manager retries a status the OS service refused
    ATRIBUIR = "atribuir"  # a manager assigns or reassigns the mechanic
    ADOTAR_PREVISAO = "adotar_previsao"  # a manager makes the forecast the new promised time
    ALTERAR_PROMESSA = "alterar_promessa"  # a manager types the promised time, or clears it


_TRABALHO = frozenset(
    {Acao.INICIAR_DIAGNOSTICO, Acao.FINALIZAR_DIAGNOSTICO, Acao.INICIAR_REPARO,
     Acao.FINALIZAR_REPARO}
)  # fmt: skip
# What each role may do: an allow-list (an unknown role may do nothing).
PERMISSOES: dict[Papel, frozenset[Acao]] = {
    Papel.MECANICO: _TRABALHO | {Acao.PAUSAR, Acao.RETOMAR},
    Papel.GERENTE: frozenset(Acao),
    Papel.ADMIN: frozenset(Acao),
    Papel.SERVICO: frozenset(Acao),
    # Only what the OS service does today: add its orders and move them through the work.
    Papel.SISTEMA_OS: _TRABALHO | {Acao.CRIAR},
}
# Who may start a repair on a diagnosed, unapproved order by recording the approval first:
# the OS service starts a repair only after the customer paid the approved budget.
APROVA_AO_INICIAR_REPARO = GESTORES | {Papel.SERVICO, Papel.SISTEMA_OS}


def pode(papel: Papel, acao: Acao) -> bool:
    return acao in PERMISSOES.get(papel, frozenset())


def motivo_proibido(acao: Acao) -> str:
    """Why a role may not do `acao`, within a sentence: what only a manager does says so."""
    if pode(Papel.MECANICO, acao):
        return f"sem permissão para {labels.FAZER[acao]}"
    return f"apenas um gerente pode {labels.FAZER[acao]}"


def proibido(acao: Acao) -> str:
    """The same as a message of its own: "Apenas um gerente pode remover uma ordem da fila."."""
    motivo = motivo_proibido(acao)
    return f"{motivo[0].upper()}{motivo[1:]}."


class SubEtapa(StrEnum):
    """What an AGUARDANDO order is waiting for."""

    AGUARDANDO_DIAGNOSTICO = "aguardando_diagnostico"
    AGUARDANDO_APROVACAO = "aguardando_aprovacao"
    PRONTA_PARA_REPARO = "pronta_para_reparo"


def sub_etapa(item: Mapping[str, Any]) -> SubEtapa | None:
    if item.get("status") != Status.AGUARDANDO:
        return None
    if item.get("dta_fim_diagnostico") is None:
        return SubEtapa.AGUARDANDO_DIAGNOSTICO
    if not item.get("orcamento_aprovado"):
        return SubEtapa.AGUARDANDO_APROVACAO
    return SubEtapa.PRONTA_PARA_REPARO


def espera_mecanico(item: Mapping[str, Any]) -> bool:
    """Whether the order waits for a mechanic now: waiting for its diagnosis, or approved for
    its repair, and not on hold (FilaQueries.a_frente counts the orders ahead by this rule)."""
    esperando = (SubEtapa.AGUARDANDO_DIAGNOSTICO, SubEtapa.PRONTA_PARA_REPARO)
    return sub_etapa(item) in esperando and not item.get("pausa")


def nome_status(status: str) -> str:
    return labels.STATUS.get(str(status), str(status)).lower()


def _no_status(status: Status) -> Requisito:
    return Requisito("status", status, f"a ordem precisa estar {nome_status(status)}")


DIAGNOSTICO_PENDENTE = Requisito(
    "dta_fim_diagnostico", VAZIO, "o diagnóstico desta ordem já foi finalizado"
)
DIAGNOSTICO_FEITO = Requisito(
    "dta_fim_diagnostico", PREENCHIDO, "o diagnóstico ainda não foi finalizado"
)
ORCAMENTO_PENDENTE = Requisito("orcamento_aprovado", False, "o orçamento já foi aprovado")
ORCAMENTO_APROVADO = Requisito(
    "orcamento_aprovado", True, "o orçamento ainda não foi aprovado pelo cliente"
)
ABERTOS = (Status.AGUARDANDO, Status.EM_DIAGNOSTICO, Status.EM_REPARO)  # not finished yet
NAO_FINALIZADA = Requisito(
    "status",
    UmDe(ABERTOS),
    "a ordem já foi finalizada",
)


@dataclass(frozen=True)
class Passo:
    """A step of the workflow: where it may start, where it leads, what it stamps."""

    acao: Acao
    de: Status
    para: Status
    condicoes: tuple[Requisito, ...]  # beyond being in status `de`
    marca_tempo: str
    evento_os: str | None  # status pushed to the OS service, if any
    # The text a person types to take this step (its form), and whether it may be left empty.
    campo_texto: str | None = None
    texto_obrigatorio: bool = False

    @property
    def rotulo(self) -> str:
        """The step in a sentence: "iniciar diagnóstico"."""
        return labels.PASSOS[self.acao].lower()

    @property
    def requisitos(self) -> tuple[Requisito, ...]:
        return (_no_status(self.de), *self.condicoes)


# The workflow (docs/DOMAIN.md), plus the budget approval that the board records: where each step
# may start, where it leads, its conditions, what it stamps, what it tells the OS service, and the
# text a person types for it.
_TABELA = (
    (Acao.INICIAR_DIAGNOSTICO, Status.AGUARDANDO, Status.EM_DIAGNOSTICO, (DIAGNOSTICO_PENDENTE,),
     "dta_inicio_diagnostico", "EM_DIAGNOSTICO", None, False),
    (Acao.FINALIZAR_DIAGNOSTICO, Status.EM_DIAGNOSTICO, Status.AGUARDANDO, (),
     "dta_fim_diagnostico", "AGUARDANDO_APROVACAO", "diagnostico", True),
    (Acao.APROVAR_ORCAMENTO, Status.AGUARDANDO, Status.AGUARDANDO,
     (DIAGNOSTICO_FEITO, ORCAMENTO_PENDENTE), "dta_aprovacao_orcamento", None, None, False),
    (Acao.INICIAR_REPARO, Status.AGUARDANDO, Status.EM_REPARO,
     (DIAGNOSTICO_FEITO, ORCAMENTO_APROVADO), "dta_inicio_reparo", "EM_EXECUCAO", None, False),
    (Acao.FINALIZAR_REPARO, Status.EM_REPARO, Status.FINALIZADA, (),
     "dta_fim_reparo", "FINALIZADA", "observacoes_reparo", False),
)  # fmt: skip
PASSOS: dict[Acao, Passo] = {linha[0]: Passo(*linha) for linha in _TABELA}


# The changes of an order's promised time (`previsao_entrega`) after its creation.
PROMESSAS = frozenset({Acao.ADOTAR_PREVISAO, Acao.ALTERAR_PROMESSA})

# For a refused change, the earlier changes that can have been in its way: a step refused
# because someone took it or put the car on hold, a priority or promise already set, a resend
# already done. Another change since (say a priority changed after the step that beat this
# one) is not the reason, and naming it misled. A removal by version: any change (None).
_ESTADO = frozenset(PASSOS) | {Acao.PAUSAR, Acao.RETOMAR}
CAUSAS: dict[Acao, frozenset[Acao]] = {
    **dict.fromkeys(_ESTADO, _ESTADO),
    Acao.ALTERAR_PRIORIDADE: frozenset(
        {Acao.CRIAR, Acao.ALTERAR_PRIORIDADE, Acao.FINALIZAR_REPARO}
    ),
    Acao.ATRIBUIR: frozenset(
        {Acao.ATRIBUIR, Acao.INICIAR_DIAGNOSTICO, Acao.INICIAR_REPARO, Acao.FINALIZAR_REPARO}
    ),
    **dict.fromkeys(PROMESSAS, PROMESSAS | {Acao.CRIAR, Acao.FINALIZAR_REPARO}),
    Acao.REENVIAR_OS: frozenset({Acao.REENVIAR_OS}),
}


def causa(historico: list[Mapping[str, Any]], acao: Acao | None) -> Mapping[str, Any] | None:
    """The latest entry of the history that can have refused `acao` (CAUSAS), or None."""
    causas = CAUSAS.get(acao) if acao is not None else None
    return next((h for h in reversed(historico) if causas is None or h.get("acao") in causas), None)


def tomado_antes(entrada: Mapping[str, Any] | None, acao: Acao | None) -> bool:
    """Whether the change in the way of `acao` (causa) is that very step of the workflow,
    taken first by someone: the refusal is then that alone ("Marcos já iniciou o reparo"),
    not the rule it now breaks."""
    return entrada is not None and acao in PASSOS and entrada.get("acao") == acao


def ja_feito(
    item: Mapping[str, Any], acao: Acao, por: str, dados: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    """The history entry of this workflow step, hold or resume already taken by this caller,
    when that is all that refuses it now: the change in its way (causa) is `acao` itself, by
    `por`, carrying the same (a step's text; a hold's reason and note; the promise asked for,
    `dados["promessa"]`, still the order's). A tap sent again after its answer was lost on the
    way back (a tablet's Wi-Fi, a double tap) is then saved, not refused. None otherwise (a
    priority or an assignment sent again is simply set again, or refused)."""
    if acao not in PASSOS and acao not in (Acao.PAUSAR, Acao.RETOMAR, *PROMESSAS):
        return None
    entrada = causa(item.get("historico") or [], acao)
    if entrada is None or entrada.get("acao") != acao or entrada.get("por") != por:
        return None
    if acao in PROMESSAS:
        # Only the promise this tap asked for (`dados["promessa"]`): another one, typed on a
        # screen gone stale (a second tab), is refused, never said to be saved.
        if "promessa" not in dados or not tem_a_promessa(item, dados["promessa"]):
            return None
        return entrada if entrada.get("para") == item.get("previsao_entrega") else None
    if acao is Acao.PAUSAR:
        nota = limpar_texto(dados.get("nota"), linhas=False) or None
        if (dados.get("motivo"), nota) != (entrada.get("para"), entrada.get("nota")):
            return None  # another reason or note: not this tap again
        return entrada
    campo = PASSOS[acao].campo_texto if acao in PASSOS else None
    if campo is not None and limpar_texto(dados.get(campo)) != item.get(campo):
        return None  # another text: not this tap again
    return entrada


def motivo_recusa(passo: Passo, item: Mapping[str, Any], papel: Papel) -> str | None:
    """Why `papel` may not take `passo` on `item` now, or None when it may."""
    if not pode(papel, passo.acao):
        return motivo_proibido(passo.acao)
    for requisito in passo.requisitos:
        if not requisito.atendido(item):
            return requisito.motivo
    return None


def motivo_para_mover(item: Mapping[str, Any], papel: Papel, destino: Status) -> str | None:
    """Why the card cannot go to column `destino` now (drag and drop), or None when it can."""
    atual = Status(item["status"])
    passo = next((p for p in PASSOS.values() if p.de == atual and p.para == destino), None)
    if passo is None:
        return _proximo_passo(item, atual)
    return motivo_recusa(passo, item, papel)


def _proximo_passo(item: Mapping[str, Any], atual: Status) -> str:
    """No step leads to that column: what the order's next step is instead (something to do,
    not a rule to decode)."""
    proximos = [
        p for p in PASSOS.values() if p.de == atual and all(r.atendido(item) for r in p.condicoes)
    ]
    if not proximos:
        return f"uma ordem {nome_status(atual)} não muda mais de coluna"
    passos = " ou ".join(
        f"“{labels.PASSOS[p.acao]}”"
        + ("" if p.para == atual else f", que a leva para {labels.STATUS[p.para]}")
        for p in proximos
    )
    return f"o próximo passo desta ordem é {passos}"


def passos_permitidos(item: Mapping[str, Any], papel: Papel) -> list[Passo]:
    return [p for p in PASSOS.values() if motivo_recusa(p, item, papel) is None]


# --- Changes: what a step writes, as plain data ---------------------------------------------------


@dataclass
class Mudanca:
    """One conditional update: applied only when every requisito still holds in the database.

    `evento_os`: the status to tell the OS service; the service turns it into an outbox event
    (`eventos`) that the store writes in the same update as the step, so a step is never stored
    without its event or the reverse. `encerra_pausa`: the change ends any hold at that instant,
    and the store adds the hold's seconds to its stage's `pausas_s` (and to its stage and
    reason's `pausas_motivo_s`) in the same update. `no_relogio`: its instant (the value of
    `dta_atualizacao`) is the clock's now, so the store never writes it earlier than the
    item's last change: two racing requests read the clock before their turn, and the later
    step must not carry the earlier time.
    """

    requisitos: tuple[Requisito, ...]
    campos: dict[str, Any]
    historico: list[dict[str, Any]] = field(default_factory=list)
    evento_os: str | None = None
    eventos: list[dict[str, Any]] = field(default_factory=list)
    encerra_pausa: datetime | None = None
    no_relogio: bool = False


def _entrada(acao: Acao, de: Any, para: Any, por: str, em: datetime) -> dict[str, Any]:
    return {"acao": str(acao), "de": de, "para": para, "por": por, "em": em}


def impressao_pedido(acao: Acao, dados: Mapping[str, Any]) -> str:
    """What a request asked for (the step and its data), as a short digest: stored beside its
    Idempotency-Key so a retry can be told from another request that reuses the key."""
    canonico = json.dumps({"acao": str(acao), "dados": dados}, sort_keys=True, default=str)
    return hashlib.sha256(canonico.encode()).hexdigest()[:32]


def chave_livre(por: str, chave: str) -> Requisito:
    """The precondition of a step sent with an Idempotency-Key: this caller has not used the
    key on this order yet (checked by the step's own update, so two racing uses cannot both
    pass)."""
    motivo = "esta Idempotency-Key já foi usada nesta ordem"
    return Requisito("historico", SemEntrada((("por", por), ("chave", chave))), motivo)


def mecanico_ainda(mecanico: int | None) -> Requisito:
    """The precondition of a manager's step taken for the order's mechanic: it is still that
    one (none: still none), so a reassignment meanwhile is never undone by the step."""
    esperado = VAZIO if mecanico is None else mecanico
    return Requisito("mecanico_responsavel_id", esperado, "o mecânico da ordem acabou de mudar")


def entrada_da_chave(item: Mapping[str, Any], por: str, chave: str) -> Mapping[str, Any] | None:
    """The history entry this caller recorded with this Idempotency-Key, if any."""
    return next(
        (h for h in item.get("historico") or [] if h.get("por") == por and h.get("chave") == chave),
        None,
    )


# A finished order brought in from a file (`importar-historico`), not worked on this board: it
# feeds the indicators and the forecast, never the live board, the TV, the API's lists or the
# OS service. Stored as `importada: true` (absent on every other item).
IMPORTADA = "importada"


def planejar_passo(
    acao: Acao,
    dados: Mapping[str, Any],
    por: str,
    agora: datetime,
    *,
    aprovar_se_preciso: bool = False,
) -> list[Mudanca]:
    """The change(s) a step makes, tried in order by the store; the first that matches wins.

    `aprovar_se_preciso` (an integration starting a repair): the OS service only starts a repair
    after the customer approved, so an unapproved, diagnosed order records the approval first.
    """
    passo = PASSOS[acao]
    # A step ends any hold: the work moved on (holds never block the OS service's steps).
    campos: dict[str, Any] = {
        "status": passo.para,
        passo.marca_tempo: agora,
        "etapa_desde": agora,  # every step starts a stage (inicio_etapa, kept for the indexes)
        "dta_atualizacao": agora,
        "pausa": None,
    }
    if acao is Acao.INICIAR_DIAGNOSTICO:
        campos["mecanico_responsavel_id"] = _mecanico(dados, obrigatorio=True)
    elif acao is Acao.FINALIZAR_DIAGNOSTICO:
        texto = limpar_texto(dados.get("diagnostico"))
        if not texto:
            raise DadosInvalidos("O diagnóstico não pode ser vazio.")
        campos["diagnostico"] = no_maximo("diagnostico", texto)
        campos["orcamento_aprovado"] = False
    elif acao is Acao.APROVAR_ORCAMENTO:
        campos["orcamento_aprovado"] = True
    elif acao is Acao.INICIAR_REPARO:
        mecanico = _mecanico(dados, obrigatorio=False)
        if mecanico is not None:
            campos["mecanico_responsavel_id"] = mecanico
    elif acao is Acao.FINALIZAR_REPARO:
        texto = limpar_texto(dados.get("observacoes_reparo"))
        campos["observacoes_reparo"] = no_maximo("observacoes_reparo", texto)

    mudanca = Mudanca(
        passo.requisitos,
        campos,
        [_entrada(acao, passo.de, passo.para, por, agora)],
        passo.evento_os,
        encerra_pausa=agora,
    )
    planos = [mudanca]
    if acao is Acao.INICIAR_REPARO and aprovar_se_preciso:
        aprovar = PASSOS[Acao.APROVAR_ORCAMENTO]
        aprovacao = _entrada(aprovar.acao, aprovar.de, aprovar.para, por, agora)
        planos.append(
            Mudanca(
                aprovar.requisitos,
                {**campos, "orcamento_aprovado": True, aprovar.marca_tempo: agora},
                [aprovacao, *mudanca.historico],
                passo.evento_os,  # approval itself tells the OS service nothing; the repair does
                encerra_pausa=agora,
            )
        )
    return planos


INICIAM_TRABALHO = (Acao.INICIAR_DIAGNOSTICO, Acao.INICIAR_REPARO)


def com_mecanico(
    acao: Acao, ator: Ator, dados: Mapping[str, Any], atribuido: int | None = None
) -> Mapping[str, Any]:
    """Who works on a step that starts work (diagnosis, repair), whatever the entry point: a
    mechanic signed in is the mechanic themselves (their `funcionario_id`); a manager names
    one, or steps for the order's mechanic (`atribuido`: assigned in "Mais…", or who
    diagnosed it), or is the mechanic when the order has none; an API caller names the
    mechanic it speaks for (`mecanico_responsavel_id`: the OS service sends its acting user).
    A person without a number cannot start a diagnosis with no one else's (the number is what
    identifies the order's mechanic); a repair then keeps the order's mechanic."""
    if acao not in INICIAM_TRABALHO or not ator.pessoa:
        return dados
    if ator.papel in GESTORES:
        if dados.get("mecanico_responsavel_id") is not None:
            return dados  # a manager assigns
        if atribuido is not None:
            return {**dados, "mecanico_responsavel_id": atribuido}
    if ator.funcionario_id is None and acao is Acao.INICIAR_DIAGNOSTICO:
        raise DadosInvalidos(sem_numero(ator.papel))
    return {**dados, "mecanico_responsavel_id": ator.funcionario_id}


def pisa_pelo_mecanico(acao: Acao, ator: Ator, dados: Mapping[str, Any]) -> bool:
    """Whether this step is a manager's taken for the order's mechanic (com_mecanico): its
    service reads who that is, and the step holds only while it is still them."""
    return (
        acao in INICIAM_TRABALHO
        and ator.pessoa
        and ator.papel in GESTORES
        and dados.get("mecanico_responsavel_id") is None
    )


def sem_numero(papel: Papel) -> str:
    """Why a person without a mechanic number cannot start a diagnosis, and what to do."""
    quem = (
        "inclua-o em Pessoas, ou atribua a ordem a um mecânico em “Mais…”"
        if papel in GESTORES
        else "peça a um gerente para incluí-lo em Pessoas"
    )
    return f"Seu cadastro não tem nº de funcionário, que identifica o mecânico da ordem: {quem}."


def _mecanico(dados: Mapping[str, Any], *, obrigatorio: bool) -> int | None:
    valor = dados.get("mecanico_responsavel_id")
    if valor is None:
        if obrigatorio:
            raise DadosInvalidos("Informe o mecânico responsável (mecanico_responsavel_id).")
        return None
    if isinstance(valor, bool) or not isinstance(valor, int) or valor <= 0:
        raise DadosInvalidos("mecanico_responsavel_id deve ser um número inteiro positivo.")
    return valor


# The history of an order holds at most this many entries before changes that can repeat
# without end (a hold, a priority, a mechanic, a promise) are refused: a hold and resume
# tapped in a loop grew one order to MongoDB's 16 MB limit, where every write failed and
# every read carried megabytes. A real order has a few dozen; its steps (five at most) and
# the resume of a hold are never refused for it, so it can always finish. (A manager's resend
# to the OS service is not capped: it needs a send the OS service refused, each time.)
HISTORICO_MAXIMO = 500
HISTORICO_CABE = Requisito(
    "historico",
    Cabe(HISTORICO_MAXIMO),
    f"esta ordem já tem {HISTORICO_MAXIMO} registros no histórico, e espera, prioridade, "
    "mecânico e promessa não mudam mais nela (os passos e a retomada continuam)",
)


def planejar_prioridade(
    prioridade_atual: Prioridade, nova: Prioridade, por: str, agora: datetime
) -> Mudanca:
    """The priority changed from `prioridade_atual` to `nova`; never to the one it has (two
    managers' same tap, or an API retry, would record it twice and push it to every screen)."""
    mesma = Requisito("prioridade", Diferente(nova), "a prioridade já é esta")
    return Mudanca(
        (NAO_FINALIZADA, mesma, HISTORICO_CABE),
        {"prioridade": nova, "prioridade_ordem": nova.ordem, "dta_atualizacao": agora},
        [_entrada(Acao.ALTERAR_PRIORIDADE, prioridade_atual, nova, por, agora)],
    )


@dataclass(frozen=True)
class Visto:
    """A field's value as the screen showed it when a manager chose a new one (a priority, a
    mechanic; None: none assigned). The change then holds only while the order still has it:
    two managers' choices made from the same screen never undo each other unseen."""

    valor: Any


# A field changed since the screen showed it, named (who changed it follows, from the history:
# maybe the same person, in another tab or on a phone, so never "outra pessoa").
MUDOU_DESDE_A_TELA = {
    "prioridade": "a prioridade mudou depois que esta tela a mostrou; confira e escolha de novo",
    "mecanico_responsavel_id": "o mecânico da ordem mudou depois que esta tela o mostrou; "
    "confira e escolha de novo",
    "previsao_entrega": "a entrega prometida mudou depois que esta tela a mostrou; confira e "
    "escolha de novo",
}


def ainda_como_visto(campo: str, visto: Visto) -> Requisito:
    esperado = VAZIO if visto.valor is None else visto.valor
    return Requisito(campo, esperado, MUDOU_DESDE_A_TELA[campo])


def planejar_atribuicao(mecanico: int, por: str, agora: datetime) -> Mudanca:
    """A manager assigns (or reassigns) the mechanic of an open order; the history's `de` is
    the mechanic stored until then (Anterior), `para` the new one."""
    if isinstance(mecanico, bool) or not isinstance(mecanico, int) or mecanico <= 0:
        raise DadosInvalidos("mecanico_responsavel_id deve ser um número inteiro positivo.")
    mesmo = Requisito(
        "mecanico_responsavel_id", Diferente(mecanico), "este mecânico já é o responsável"
    )
    entrada = _entrada(Acao.ATRIBUIR, Anterior("mecanico_responsavel_id"), mecanico, por, agora)
    return Mudanca(
        (NAO_FINALIZADA, mesmo, HISTORICO_CABE),
        {"mecanico_responsavel_id": mecanico, "dta_atualizacao": agora},
        [entrada],
    )


# The first promise an order missed while open, kept when a new one is made after it passed:
# a finished order is measured against it (promessa_medida), so "Prometer" on a late order
# never turns its miss into "on time" in /indicadores.
PROMESSA_PERDIDA = "promessa_perdida"


def promessa_medida(item: Mapping[str, Any]) -> datetime | None:
    """The promise a finished order is measured against: the first it missed, else its own
    (fila.queries.PROMESSA_MEDIDA says it to MongoDB)."""
    return item.get(PROMESSA_PERDIDA) or item.get("previsao_entrega")


def tem_a_promessa(item: Mapping[str, Any], promessa: datetime | None) -> bool:
    """Whether this open order's promised time is already `promessa` (None: it has none), as
    planejar_promessa's requirement compares it (stored to the millisecond)."""
    pedida = como_guardado(promessa) if promessa else None
    return NAO_FINALIZADA.atendido(item) and item.get("previsao_entrega") == pedida


def planejar_promessa(
    promessa: datetime | None, por: str, agora: datetime, acao: Acao = Acao.ALTERAR_PROMESSA
) -> Mudanca:
    """A manager sets the order's promised time (`previsao_entrega`), typed (ALTERAR_PROMESSA,
    None clears it) or the forecast made the promise (ADOTAR_PREVISAO): the history's `de` is
    the promise stored until then (Anterior), `para` the new one. A promise already missed is
    kept as PROMESSA_PERDIDA (the first one only)."""
    if promessa is not None:
        if not ano_aceito(promessa):
            raise DadosInvalidos("A nova entrega prometida está fora do intervalo aceito.")
        if promessa <= agora:  # mistyped, or a forecast left over from a recompute that stopped
            raise DadosInvalidos("A nova entrega prometida já passou: nada foi prometido.")
        promessa = como_guardado(promessa)
    mesma = Requisito(
        "previsao_entrega",
        Diferente(promessa),
        "a entrega prometida já é esta" if promessa else "a ordem já está sem entrega prometida",
    )
    entrada = _entrada(acao, Anterior("previsao_entrega"), promessa, por, agora)
    return Mudanca(
        (NAO_FINALIZADA, mesma, HISTORICO_CABE),
        {
            "previsao_entrega": promessa,
            PROMESSA_PERDIDA: PrimeiraPerdida("previsao_entrega", agora),
            "dta_atualizacao": agora,
        },
        [entrada],
    )


def nova_ordem(
    ordem_servico_id: int,
    prioridade: Prioridade,
    por: str,
    agora: datetime,
    extras: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A fresh queue item, waiting for diagnosis."""
    extras = campos_da_ordem(extras or {})
    return {
        "ordem_servico_id": ordem_servico_id,
        "status": Status.AGUARDANDO,
        "prioridade": prioridade,
        "prioridade_ordem": prioridade.ordem,
        "mecanico_responsavel_id": None,
        "diagnostico": None,
        "observacoes_reparo": None,
        "orcamento_aprovado": False,
        "dta_inicio_diagnostico": None,
        "dta_fim_diagnostico": None,
        "dta_aprovacao_orcamento": None,
        "dta_inicio_reparo": None,
        "dta_fim_reparo": None,
        "dta_criacao": agora,
        "dta_atualizacao": agora,
        "etapa_desde": agora,
        "versao": 1,
        "pausa": None,
        "pausas_s": {},  # seconds of ended holds, per stage (stages.Etapa)
        "pausas_motivo_s": {},  # the same per stage and reason (MotivoPausa)
        **extras,
        "historico": [_entrada(Acao.CRIAR, None, Status.AGUARDANDO, por, agora)],
    }


# --- Holds: waiting for parts or for the customer, without changing the status --------------------


class MotivoPausa(StrEnum):
    AGUARDANDO_PECAS = "aguardando_pecas"
    AGUARDANDO_CLIENTE = "aguardando_cliente"
    OUTRO = "outro"

    @property
    def rotulo(self) -> str:
        return labels.MOTIVOS_PAUSA[self]


SEM_PAUSA = Requisito("pausa", VAZIO, "a ordem já está em espera")
EM_PAUSA = Requisito("pausa", PREENCHIDO, "a ordem não está em espera")


def nota_da_pausa(motivo: MotivoPausa, nota: str | None) -> str | None:
    """A hold's note, trimmed; "Outro motivo" needs one (the board's form asks the same)."""
    nota = no_maximo("nota", limpar_texto(nota, linhas=False), NOTA_MAXIMA)
    if motivo is MotivoPausa.OUTRO and not nota:
        raise DadosInvalidos("Descreva o motivo da espera.")
    return nota


def planejar_pausa(motivo: MotivoPausa, nota: str | None, por: str, agora: datetime) -> Mudanca:
    nota = nota_da_pausa(motivo, nota)
    pausa = {"motivo": motivo, "nota": nota, "desde": agora, "por": por}
    entrada = _entrada(Acao.PAUSAR, None, motivo, por, agora)
    if nota:
        entrada["nota"] = nota
    return Mudanca(
        (NAO_FINALIZADA, SEM_PAUSA, HISTORICO_CABE),
        {"pausa": pausa, "dta_atualizacao": agora},
        [entrada],
    )


def planejar_reenvio_os(por: str, agora: datetime) -> dict[str, Any]:
    """History entry of a manager's retry of a status the OS service refused."""
    return _entrada(Acao.REENVIAR_OS, None, None, por, agora)


def planejar_retomada(por: str, agora: datetime) -> Mudanca:
    return Mudanca(
        (EM_PAUSA,),
        {"pausa": None, "dta_atualizacao": agora},
        [_entrada(Acao.RETOMAR, None, None, por, agora)],
        encerra_pausa=agora,
    )
