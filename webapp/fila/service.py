"""The queue's use cases. Every entry point (JSON API, board, TV, CLI) calls these functions,
so a rule or a message lives in one place."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId

from ..clock import agora
from ..mongo import INT64_MAX
from . import domain, fields, labels
from .domain import (
    Acao,
    Ator,
    ChaveReutilizada,
    Conflito,
    EntradaInvalida,
    NaoEncontrada,
    NumeroMudou,
    Papel,
    Prioridade,
    Proibido,
    Status,
)
from .outbox import evento_recebido, novo_evento
from .preconditions import Requisito
from .queries import FilaQueries
from .repository import FilaRepository, OrdemJaNaFila

SISTEMA_OS = labels.SISTEMA_OS  # the id the OS service acts under (history, logs)
NAO_ENCONTRADA = "Item da fila não encontrado."  # the API's 404 (docs/API.md)


def ja_na_fila(numero: int, importada: bool) -> str:
    """The 409 of an OS number already stored: on the board, or in imported history, which
    no screen shows (so "na fila" there sent people looking for it)."""
    if importada:
        return (
            f"A OS {numero} já consta do histórico importado (finalizada): o número fica "
            "reservado e não pode voltar à fila."
        )
    return f"A OS {numero} já está na fila."


FilaId = str | ObjectId  # an item's id as a URL or the store carries it


def _oid(fila_id: FilaId) -> ObjectId:
    if isinstance(fila_id, ObjectId):
        return fila_id
    try:
        return ObjectId(fila_id)
    except (InvalidId, TypeError):
        raise NaoEncontrada(NAO_ENCONTRADA) from None


@contextmanager
def _dados_validos() -> Iterator[None]:
    """The rules' refusal of what was given (fields.DadosInvalidos) as the service's
    EntradaInvalida: a 400 in the API, an inline message on the board."""
    try:
        yield
    except fields.DadosInvalidos as erro:
        raise EntradaInvalida(str(erro)) from None


def _permitir(ator: Ator, acao: Acao) -> None:
    if not domain.pode(ator.papel, acao):
        raise Proibido(domain.proibido(acao))


class FilaService:
    def __init__(
        self,
        repo: FilaRepository,
        queries: FilaQueries,
        *,
        origem: Callable[[], Mapping[str, Any]] = dict,
        avisar: Callable[[], None] = lambda: None,
        registrar: Callable[[Acao], None] = lambda _acao: None,
        mudou: Callable[[], None] = lambda: None,
        reservar_numero: Callable[[int, str | None, Any], bool] | None = None,
    ) -> None:
        self.repo = repo
        self.queries = queries
        # Given by create_app, so this layer stays free of Flask: `origem` tells which request
        # caused a step ({"request_id", "trace"}), carried to the OS service; `avisar` wakes the
        # OS dispatcher once a step with an event committed; `registrar` counts every change
        # that was applied, by action (metrics), here where all entry points meet; `mudou`
        # asks for a new forecast once a change that moves the queue committed (previsao's
        # worker: it only wakes a thread, or leaves a note for the process that computes).
        self.origem = origem
        self.avisar = avisar
        self.registrar = registrar
        self.mudou = mudou
        # Given by create_app (PessoasRepository.reservar_numero): a step that puts a person's
        # number on an order writes that person in the same transaction, so a change of the
        # number meanwhile (pessoas) and the step never both apply.
        self.reservar_numero = reservar_numero

    # --- reading ---------------------------------------------------------------------------

    def obter(self, fila_id: FilaId) -> dict[str, Any]:
        item = self.queries.obter(_oid(fila_id))
        if item is None:
            raise NaoEncontrada(NAO_ENCONTRADA)
        return item

    def obter_por_os(self, ordem_servico_id: int) -> dict[str, Any]:
        # No OS number is past 64 bits (what MongoDB stores): not found, never asked.
        fora = ordem_servico_id > INT64_MAX
        item = None if fora else self.queries.obter_por_os(ordem_servico_id)
        if item is None:
            raise NaoEncontrada(f"A OS {ordem_servico_id} não está na fila.")
        return item

    def listar(
        self,
        status: Status | None = None,
        limit: int = 100,
        offset: int = 0,
        depois: str | None = None,
    ) -> list[dict[str, Any]]:
        return self.queries.listar(status, limit, offset, depois)

    # --- changing --------------------------------------------------------------------------

    def adicionar(
        self,
        ordem_servico_id: int,
        ator: Ator,
        prioridade: Prioridade = Prioridade.NORMAL,
        extras: Mapping[str, Any] | None = None,
        instante: datetime | None = None,
    ) -> dict[str, Any]:
        _permitir(ator, Acao.CRIAR)
        with _dados_validos():
            documento = domain.nova_ordem(
                ordem_servico_id, prioridade, ator.id, instante or agora(), extras
            )
        try:
            item = self.repo.inserir(documento)
        except OrdemJaNaFila as erro:
            raise Conflito(ja_na_fila(ordem_servico_id, erro.importada)) from None
        # Its removed orders' steps not yet delivered stop here: this order's tell the OS
        # service now (an older status sent after them would be out of order).
        self.repo.largar_arquivadas_da_os(ordem_servico_id)
        self.registrar(Acao.CRIAR)
        self.mudou()
        return item

    def executar(
        self,
        fila_id: FilaId,
        acao: Acao,
        ator: Ator,
        dados: Mapping[str, Any] | None = None,
        *,
        aprovar_se_preciso: bool = False,
        instante: datetime | None = None,
        chave: str | None = None,
    ) -> dict[str, Any]:
        """Take one workflow step; exactly one of several racing callers succeeds. Who works on
        a step that starts work is the rules' (domain.com_mecanico), for every entry point.

        `chave` (an API client's Idempotency-Key): a retry of a step this very request already
        took (its answer was lost, e.g. in a failover) gets the item again, not a 409."""
        oid = _oid(fila_id)
        _permitir(ator, acao)
        aprovar_se_preciso = aprovar_se_preciso and ator.papel in domain.APROVA_AO_INICIAR_REPARO
        dados = dados or {}
        pelo_mecanico = domain.pisa_pelo_mecanico(acao, ator, dados)
        atribuido = None
        if pelo_mecanico:  # who the order's mechanic is now; the step holds only while it is
            atual = self.queries.obter(oid)
            atribuido = (atual or {}).get("mecanico_responsavel_id")
        with _dados_validos():
            dados = domain.com_mecanico(acao, ator, dados, atribuido)
            planos = domain.planejar_passo(
                acao,
                dados,
                ator.id,
                instante or agora(),
                aprovar_se_preciso=aprovar_se_preciso,
            )
        if pelo_mecanico:
            for mudanca in planos:
                mudanca.requisitos += (domain.mecanico_ainda(atribuido),)
        origem = self.origem()
        impressao = domain.impressao_pedido(acao, dados or {}) if chave else None
        for mudanca in planos:
            if chave:
                mudanca.historico[-1].update(chave=chave, pedido=impressao)
                mudanca.requisitos += (domain.chave_livre(ator.id, chave),)
            if mudanca.evento_os is None:
                continue
            momento = mudanca.campos["dta_atualizacao"]
            if ator.papel is Papel.SISTEMA_OS:
                # A step the OS service took itself: recorded as delivered, never pushed back
                # to it (an echo: it would answer 400, "same status").
                evento = evento_recebido(mudanca.evento_os, momento, origem.get("request_id"))
            else:
                evento = novo_evento(
                    mudanca.evento_os, momento, origem.get("request_id"), origem.get("trace")
                )
            mudanca.eventos = [evento]
        # The actor's own number, as their session knew it: refused if it changed meanwhile.
        proprio = ator.pessoa and dados.get("mecanico_responsavel_id") == ator.funcionario_id
        try:
            dono = ator.id if proprio else None
            return self._aplicar(
                oid, planos, acao, dono_do_numero=dono, no_relogio=instante is None
            )
        except Conflito as conflito:
            anterior = domain.entrada_da_chave(conflito.item or {}, ator.id, chave or "")
            if not chave or anterior is None:
                raise
            # Entries stored before the digest existed carry none: same step, same request.
            if anterior.get("acao") == acao and anterior.get("pedido", impressao) == impressao:
                return conflito.item  # a retry of the step this key took: its result again
            uso = anterior.get("acao", "")
            outro = "com outros dados" if uso == acao else f"para {labels.FAZER.get(uso, uso)}"
            raise ChaveReutilizada(
                f"A Idempotency-Key {chave!r} já foi usada nesta ordem {outro}; este pedido não "
                "foi aplicado. Use uma chave nova para cada pedido novo.",
                conflito.item,
            ) from None

    def alterar_prioridade(
        self,
        fila_id: FilaId,
        prioridade: Prioridade,
        ator: Ator,
        *,
        visto: domain.Visto | None = None,
        instante: datetime | None = None,
    ) -> dict[str, Any]:
        """`visto`: the priority the manager's screen showed (the board; an integration sends
        none): another one stored since refuses the change, with who made it."""
        oid = _oid(fila_id)
        _permitir(ator, Acao.ALTERAR_PRIORIDADE)
        momento = instante or agora()
        if visto is not None:
            de = Prioridade(visto.valor)
            mudanca = domain.planejar_prioridade(de, prioridade, ator.id, momento)
            mudanca.requisitos += (domain.ainda_como_visto("prioridade", visto),)
            return self._aplicar(
                oid, [mudanca], Acao.ALTERAR_PRIORIDADE, no_relogio=instante is None
            )
        # One conditional update per possible current priority keeps the history's "de" exact
        # without a read-then-write; the priority actually stored is among them.
        planos = []
        for atual in Prioridade:
            if atual == prioridade:
                continue  # refused by its own requirement: no write to try
            mudanca = domain.planejar_prioridade(atual, prioridade, ator.id, momento)
            mudanca.requisitos += (Requisito("prioridade", atual, ""),)
            planos.append(mudanca)
        return self._aplicar(oid, planos, Acao.ALTERAR_PRIORIDADE, no_relogio=instante is None)

    def atribuir(
        self,
        fila_id: FilaId,
        mecanico: int,
        ator: Ator,
        *,
        dono: str | None = None,
        visto: domain.Visto | None = None,
        instante: datetime | None = None,
    ) -> dict[str, Any]:
        """A manager assigns or reassigns the mechanic of an open order. `dono`: the login of
        the person the manager chose by that number (the board's list), who must still hold
        it when the order takes it (NumeroMudou); an integration's bare number has none.
        `visto`: the mechanic the manager's screen showed (None: none), who must still be the
        order's (another manager's choice, or a mechanic who began it, is not undone unseen)."""
        oid = _oid(fila_id)
        _permitir(ator, Acao.ATRIBUIR)
        with _dados_validos():
            mudanca = domain.planejar_atribuicao(mecanico, ator.id, instante or agora())
        if visto is not None:
            mudanca.requisitos += (domain.ainda_como_visto("mecanico_responsavel_id", visto),)
        try:
            return self._aplicar(
                oid, [mudanca], Acao.ATRIBUIR, dono_do_numero=dono, no_relogio=instante is None
            )
        except NumeroMudou:
            raise NumeroMudou(mecanico) from None

    def importar_historico(self, documentos: Iterable[dict[str, Any]]) -> int:
        """Finished orders brought in from a file (`importar-historico`), all or none
        (FilaRepository.inserir_importadas, one run's tag); how many. History only: no
        screen hears of them, no OS event is made; the forecast is asked to learn from them,
        and after a failed write too: a recompute meanwhile may have read orders now deleted."""
        try:
            total = self.repo.inserir_importadas(documentos, ObjectId())
        except BaseException:
            self.mudou()
            raise
        if total:
            self.mudou()
        return total

    def adotar_previsao(
        self,
        fila_id: FilaId,
        promessa: datetime,
        ator: Ator,
        *,
        visto: domain.Visto | None = None,
        instante: datetime | None = None,
    ) -> dict[str, Any]:
        """A manager makes the forecast (`promessa`, what the screen showed) the order's new
        promised time. `visto`: the promise the screen showed beside it, as alterar_promessa."""
        return self._prometer(fila_id, promessa, ator, Acao.ADOTAR_PREVISAO, instante, visto)

    def alterar_promessa(
        self,
        fila_id: FilaId,
        promessa: datetime | None,
        ator: Ator,
        *,
        visto: domain.Visto | None = None,
        instante: datetime | None = None,
    ) -> dict[str, Any]:
        """A manager types the order's new promised time (a customer agreed to another), or
        clears it (None). `visto`: the promise the screen showed (None: none), still the
        order's: another manager's since is not overwritten unseen."""
        return self._prometer(fila_id, promessa, ator, Acao.ALTERAR_PROMESSA, instante, visto)

    def _prometer(
        self,
        fila_id: FilaId,
        promessa: datetime | None,
        ator: Ator,
        acao: Acao,
        instante: datetime | None,
        visto: domain.Visto | None = None,
    ) -> dict[str, Any]:
        """One conditional update (the order is open and promised otherwise), recorded in the
        history like any other change."""
        oid = _oid(fila_id)
        _permitir(ator, acao)
        with _dados_validos():
            mudanca = domain.planejar_promessa(promessa, ator.id, instante or agora(), acao)
        if visto is not None:
            mudanca.requisitos += (domain.ainda_como_visto("previsao_entrega", visto),)
        return self._aplicar(oid, [mudanca], acao, no_relogio=instante is None)

    def pausar(
        self,
        fila_id: FilaId,
        motivo: domain.MotivoPausa,
        nota: str | None,
        ator: Ator,
        *,
        instante: datetime | None = None,
    ) -> dict[str, Any]:
        """Put a card on hold (waiting for parts or the customer); the status stays."""
        oid = _oid(fila_id)
        _permitir(ator, Acao.PAUSAR)
        with _dados_validos():
            mudanca = domain.planejar_pausa(motivo, nota, ator.id, instante or agora())
        return self._aplicar(oid, [mudanca], Acao.PAUSAR, no_relogio=instante is None)

    def retomar(
        self, fila_id: FilaId, ator: Ator, *, instante: datetime | None = None
    ) -> dict[str, Any]:
        _permitir(ator, Acao.RETOMAR)
        mudanca = domain.planejar_retomada(ator.id, instante or agora())
        return self._aplicar(_oid(fila_id), [mudanca], Acao.RETOMAR, no_relogio=instante is None)

    def reenviar_os(
        self, fila_id: FilaId, ator: Ator, *, instante: datetime | None = None
    ) -> dict[str, Any]:
        """A manager sends again a status the OS service refused (e.g. a 404 fixed on its side):
        the failed event is pending again, due now, with a fresh retry window."""
        oid, item = self._reenviar(fila_id, ator, instante, self.repo.reenviar_evento_os)
        if item is None:
            atual = self.queries.obter(oid)
            if atual is None:
                raise NaoEncontrada(NAO_ENCONTRADA)
            raise Conflito(
                "Não há envio ao sistema de OS com falha nesta ordem.", atual, Acao.REENVIAR_OS
            )
        return item

    def reenviar_os_removida(
        self, fila_id: FilaId, ator: Ator, *, instante: datetime | None = None
    ) -> dict[str, Any]:
        """reenviar_os for a removed order whose steps still go out (the board's banner lists
        those the OS service refused): its archived copy, recorded in the copy's history."""
        gravar = self.repo.reenviar_evento_os_arquivada
        _, copia = self._reenviar(fila_id, ator, instante, gravar)
        if copia is None:
            raise NaoEncontrada(
                "Nenhuma ordem removida tem um envio ao sistema de OS com falha com este "
                "endereço (uma ordem ainda na fila reenvia pelo seu cartão)."
            )
        return copia

    def _reenviar(
        self,
        fila_id: FilaId,
        ator: Ator,
        instante: datetime | None,
        gravar: Callable[[ObjectId, datetime, dict[str, Any], bool], dict[str, Any] | None],
    ) -> tuple[ObjectId, dict[str, Any] | None]:
        """A manager's retry, written by `gravar` (the queue's item or a removed one's copy):
        the order's id, and what was written (None: no failed event there)."""
        oid = _oid(fila_id)
        _permitir(ator, Acao.REENVIAR_OS)
        momento = instante or agora()
        entrada = domain.planejar_reenvio_os(ator.id, momento)
        feito = gravar(oid, momento, entrada, instante is None)
        if feito is not None:
            self.registrar(Acao.REENVIAR_OS)
            self.avisar()
        return oid, feito

    def esvaziar(self) -> None:
        """Empty the queue (`seed-demo --reset`, local demos only); the forecast is asked
        again, and its recompute drops the forecasts of the orders gone."""
        self.repo.apagar_tudo()
        self.mudou()

    def remover(self, fila_id: FilaId, ator: Ator, versao: int | None = None) -> dict[str, Any]:
        """Remove an order (an audit copy stays); with `versao`, only as the screen showed it:
        one that changed since is refused with how it is now."""
        oid = _oid(fila_id)
        _permitir(ator, Acao.REMOVER)
        item = self.repo.remover(oid, ator.id, agora(), versao)
        if item is None:
            atual = self.queries.obter(oid) if versao is not None else None
            if atual is not None:  # refused: read only to explain why
                raise Conflito(
                    f"Não é possível {labels.FAZER[Acao.REMOVER]}: ela mudou desde que a tela "
                    "a mostrou; confira e toque de novo.",
                    atual,
                )
            raise NaoEncontrada(NAO_ENCONTRADA)
        self.registrar(Acao.REMOVER)
        self.mudou()
        return item

    # --- internals -------------------------------------------------------------------------

    def _reserva(self, mudanca: domain.Mudanca, dono: str | None) -> Callable[[Any], bool] | None:
        """What a change that puts a number on the order writes in its transaction (the
        person who has it; `dono`: it must still be theirs), or None."""
        numero = mudanca.campos.get("mecanico_responsavel_id")
        if self.reservar_numero is None or not isinstance(numero, int):
            return None
        reservar = self.reservar_numero
        return lambda sessao: reservar(numero, dono, sessao)

    def _aplicar(
        self,
        oid: ObjectId,
        planos: list[domain.Mudanca],
        acao: Acao,
        *,
        dono_do_numero: str | None = None,
        no_relogio: bool = False,
    ) -> dict[str, Any]:
        """The first plan whose requisitos hold, applied. `no_relogio`: planned at the clock's
        now (no `instante` given): stored no earlier than the order's last change, which a
        request racing this one may have written after this one read the clock."""
        for mudanca in planos:
            mudanca.no_relogio = no_relogio
            item = self.repo.aplicar(oid, mudanca, self._reserva(mudanca, dono_do_numero))
            if item is not None:
                self.registrar(acao)
                self.mudou()
                if mudanca.eventos:
                    self.avisar()  # only wakes a thread: the request never waits for the OS
                return item
        # Refused: read the current state only to explain why (the write already decided).
        atual = self.queries.obter(oid)
        if atual is None:
            raise NaoEncontrada(NAO_ENCONTRADA)
        motivo, causa, de_alguem = None, acao, True
        if acao in domain.PASSOS:
            motivo = domain.motivo_recusa(domain.PASSOS[acao], atual, Papel.SERVICO)
        if motivo is None:
            # Else, or a step's own extra condition (the order's mechanic, an Idempotency-Key).
            falhou = next((r for r in planos[0].requisitos if not r.atendido(atual)), None)
            if falhou is not None:
                motivo = falhou.motivo
                if falhou.campo == "mecanico_responsavel_id":
                    causa = Acao.ATRIBUIR  # who was faster: the reassignment, not a step
                de_alguem = falhou is not domain.HISTORICO_CABE
        motivo = motivo or "a ordem mudou durante a operação; tente novamente"
        raise Conflito(f"Não é possível {labels.FAZER[acao]}: {motivo}.", atual, causa, de_alguem)
