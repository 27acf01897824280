"""The dispatcher: delivers the queue's steps to the Ordem de Serviço (OS) service.

Each step writes its event into the item (`eventos_os`, an outbox) in the step's own update
(webapp/fila/repository.py). An `OsDispatcher` then, off the request path:

1. claims ONE due item with a lease (a conditional update on `os_sync`, served by an index), so
   two dispatchers (threads, workers, pods) never work on the same item at once, and a crashed
   one's claim simply expires;
2. sends that item's FIRST undelivered event only (strict order per OS: a later event waits);
3. records the outcome with an update that matches its own lease and recomputes `os_sync`.

It runs as a daemon thread in each web process (woken right after a step commits, and polling)
and as `flask --app wsgi os-sync run` for a dedicated deployment. The rules (backoff, what an
HTTP answer means, the item's state) are pure, in domain.py.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime
from typing import Any

import requests

from ..background import LacoDeFundo, novo_dono
from ..clock import agora
from ..fila.outbox import EstadoEvento
from ..fila.queries import FilaQueries
from ..fila.repository import ENTREGAR_ARQUIVADA, FilaRepository
from ..settings import Settings
from ..tokens import emitir_para_os
from . import domain
from .client import ClienteOs, Resposta
from .domain import Resultado
from .link import OsLink

log = logging.getLogger("webapp.os_sync")

# The JWT sent to the OS service lives a few minutes (tokens.MINUTOS_PARA_OS) and is minted
# again after two, so a slow request never carries a dead one.
RENOVAR_TOKEN_S = 120


# --- The dispatcher -----------------------------------------------------------------------------


def _descricao_erro(erro: requests.RequestException) -> str:
    texto = str(erro)
    for trecho, descricao in (
        ("Connection refused", "conexão recusada"),
        ("RemoteDisconnected", "conexão encerrada sem resposta"),
        ("Connection aborted", "conexão encerrada sem resposta"),
        ("Connection reset", "conexão reiniciada"),
        ("Name or service not known", "nome do servidor não encontrado"),
        ("Temporary failure in name resolution", "nome do servidor não encontrado"),
        ("SSLError", "falha no certificado TLS"),
        ("CERTIFICATE_VERIFY_FAILED", "falha no certificado TLS"),
    ):
        if trecho in texto:
            return descricao
    return type(erro).__name__


def _corpo_sem_detalhe(resposta: Resposta) -> str:
    """Any other body, as a manager may read it on the card: a page of HTML (a proxy's, a
    wrong URL's) is named, not pasted."""
    texto = resposta.texto[:2000]
    if "html" in resposta.headers.get("Content-Type", "") or texto.lstrip().startswith("<"):
        return "uma página HTML, não uma resposta da API de OS"
    return texto


def _detalhe(resposta: Resposta) -> str | None:
    """The OS service's own error text (its JSON `detail`), or None for any other body."""
    try:
        dados = json.loads(resposta.texto[:2000])
    except ValueError:
        return None
    detalhe = dados.get("detail") if isinstance(dados, dict) else None
    return detalhe if isinstance(detalhe, str) else None


def _ms(inicio: float) -> float:
    return round((time.perf_counter() - inicio) * 1000, 1)


class OsDispatcher(LacoDeFundo):
    """Delivers pending events to the OS service. One instance is one dispatcher (one owner
    id): use it from one thread at a time; run several instances for several dispatchers."""

    nome = "os-sync"
    descricao = "despachante de OS"
    log = log

    def __init__(
        self,
        repo: FilaRepository,
        queries: FilaQueries,
        ligacao: OsLink,
        settings: Settings,
        *,
        dono: str | None = None,
    ) -> None:
        self.repo = repo
        self.queries = queries
        self.ligacao = ligacao
        self.settings = settings
        self.dono = dono or novo_dono()
        self._http: ClienteOs | None = None
        # The attempt on the wire (item id, lease, event), for a stop that cannot wait for it.
        self._em_voo: tuple[Any, dict[str, Any], dict[str, Any]] | None = None
        self._token: tuple[str, float] | None = None
        super().__init__()

    @property
    def ligado(self) -> bool:
        return bool(self.settings.url_api_os)

    # --- one item -------------------------------------------------------------------------

    def reivindicar(self, instante: datetime) -> dict[str, Any] | None:
        """Claim the item whose head event is due first, if no one holds it."""
        return self.repo.reivindicar_envio(self.dono, self.settings.lease_os_ms, instante)

    def despachar_uma_vez(self) -> bool:
        """Claim one due item and try its head event; False when nothing was due."""
        if not self.ligado:
            return False  # sync off: events stay pending until URL_API_OS is set
        item = self.reivindicar(agora())
        if item is None:
            return False
        lease = item["os_sync"]
        if lease.get(ENTREGAR_ARQUIVADA) and self.queries.na_fila([item["ordem_servico_id"]]):
            # A removed order whose OS is in the queue again: the new order's steps tell the OS
            # service now; this one's older ones would arrive out of order.
            self.repo.largar_arquivada(item["_id"], lease)
            log.info(
                "envio de ordem removida encerrado: a OS voltou à fila",
                extra={"ordem_servico_id": item["ordem_servico_id"], "fila_id": str(item["_id"])},
            )
            return True
        evento = next(
            (e for e in item.get("eventos_os", []) if e.get("estado") != EstadoEvento.ENVIADO),
            None,
        )
        if (
            evento is None
            or evento.get("estado") != EstadoEvento.PENDENTE
            or evento["proxima_tentativa"] > agora()
        ):
            # Claimed on a stale summary: recompute it and let go.
            self.repo.registrar_envio(item["_id"], lease, None, {})
            return True
        self._em_voo = (item["_id"], lease, evento)
        try:
            resultado, duracao_ms = self._enviar(item["ordem_servico_id"], evento)
            momento = agora()
            campos = domain.proximo_passo(
                resultado,
                evento,
                momento,
                base_s=self.settings.os_retentativa_base_ms / 1000,
                maximo_s=self.settings.os_retentativa_max_ms / 1000,
                prazo_s=self.settings.os_prazo_retentativas_s,
            )
            gravado = self.repo.registrar_envio(item["_id"], lease, evento["seq"], campos)
        finally:
            self._em_voo = None
        self._log(item, evento, campos, resultado, duracao_ms, gravado)
        self.ligacao.registrar(resultado, momento)
        return True

    def parar(self, timeout: float = 5.0) -> None:
        """Stop the thread (a worker's SIGTERM). An attempt still on the wire when the wait
        ends is handed back: its event marked uncertain (it may have been applied) and the
        lease let go, so the next dispatcher takes it at once (not when the lease runs out,
        half a minute or more into a deployment) and reads the OS's status before sending
        it again (a repeat the real service would refuse with 400). Should the attempt still
        finish here, its outcome is dropped: the lease is no longer its."""
        super().parar(timeout)
        em_voo = self._em_voo
        if em_voo is None or not self.rodando:
            return
        fila_id, lease, evento = em_voo
        campos = {
            "incerto": True,
            "tentativas": int(evento.get("tentativas") or 0) + 1,
            "ultima_tentativa": agora(),
        }
        if self.repo.registrar_envio(fila_id, lease, evento["seq"], campos):
            log.info(
                "envio ao sistema de OS interrompido pela parada: devolvido como incerto",
                extra={"fila_id": str(fila_id), "seq": evento["seq"], "despachante": self.dono},
            )

    # --- HTTP ------------------------------------------------------------------------------

    def _cliente(self) -> ClienteOs:
        if self._http is None:
            s = self.settings
            conexao_s, leitura_s = s.os_timeout_conexao_ms / 1000, s.os_timeout_leitura_ms / 1000
            self._http = ClienteOs(conexao_s, leitura_s)
        return self._http

    def _jwt(self) -> str:
        if self._token is None or time.monotonic() - self._token[1] > RENOVAR_TOKEN_S:
            self._token = (emitir_para_os(self.settings), time.monotonic())
        return self._token[0]

    def url(self, ordem_servico_id: int) -> str:
        base = (self.settings.url_api_os or "").rstrip("/")
        return base + self.settings.os_path_template.format(ordem_servico_id=ordem_servico_id)

    def _enviar(self, ordem_servico_id: int, evento: dict[str, Any]) -> tuple[Resultado, float]:
        """One attempt: PATCH the status; when it fails for good, or when the last attempt's
        answer was lost, the OS's current status decides (it may be there already)."""
        inicio = time.perf_counter()
        if evento.get("incerto"):
            atual = self._status_atual(ordem_servico_id)
            if domain.ja_chegou(atual, evento["status"]):
                sem_envio = Resultado(domain.Desfecho.FALHOU)
                return domain.reconciliado(sem_envio, atual or ""), _ms(inicio)
        resultado = self._patch(ordem_servico_id, evento)
        if resultado.desfecho is domain.Desfecho.FALHOU and resultado.http_status is not None:
            atual = self._status_atual(ordem_servico_id)
            if domain.ja_chegou(atual, evento["status"]):
                resultado = domain.reconciliado(resultado, atual or "")
        return resultado, _ms(inicio)

    def _patch(self, ordem_servico_id: int, evento: dict[str, Any]) -> Resultado:
        cabecalhos = {
            **(evento.get("trace") or {}),
            "Authorization": f"Bearer {self._jwt()}",
            "Idempotency-Key": evento["chave"],
            "X-Request-ID": evento.get("request_id") or evento["chave"],
        }
        try:
            resposta = self._cliente().pedir(
                "PATCH",
                self.url(ordem_servico_id),
                json={"status": evento["status"]},
                headers=cabecalhos,
            )
        except requests.ConnectTimeout:  # never reached the service
            return domain.classificar_erro_rede("não conectou", True, incerto=False)
        except requests.Timeout:  # sent, no answer: it may have been applied
            return domain.classificar_erro_rede("enviado, sem resposta", True, incerto=True)
        except (requests.exceptions.InvalidHeader, ValueError) as erro:
            return domain.erro_local(type(erro).__name__)
        except requests.RequestException as erro:
            descricao = _descricao_erro(erro)
            incerto = descricao != "conexão recusada" and "nome do servidor" not in descricao
            return domain.classificar_erro_rede(descricao, False, incerto=incerto)
        detalhe = _detalhe(resposta)
        return domain.classificar_resposta(
            resposta.status_code,
            detalhe if detalhe is not None else _corpo_sem_detalhe(resposta),
            resposta.headers.get("Retry-After"),
            agora(),
            erro_da_aplicacao=detalhe is not None,
        )

    def _status_atual(self, ordem_servico_id: int) -> str | None:
        """The OS's status as the OS service reports it (GET on the same path), or None."""
        try:
            resposta = self._cliente().pedir(
                "GET",
                self.url(ordem_servico_id),
                headers={"Authorization": f"Bearer {self._jwt()}"},
            )
            dados = json.loads(resposta.texto) if resposta.status_code == 200 else None
        except (requests.RequestException, ValueError):
            return None
        status = dados.get("status") if isinstance(dados, dict) else None
        return status if isinstance(status, str) else None

    def _log(
        self,
        item: dict[str, Any],
        evento: dict[str, Any],
        campos: dict[str, Any],
        resultado: Resultado,
        duracao_ms: float,
        gravado: bool,
    ) -> None:
        estado = campos["estado"]
        if estado == EstadoEvento.ENVIADO:
            nivel, desfecho = logging.INFO, "enviado"
        elif estado == EstadoEvento.FALHOU:
            nivel, desfecho = logging.ERROR, "falhou"
        else:
            nivel, desfecho = logging.WARNING, "nova_tentativa"
        mensagem = "envio ao sistema de OS"
        if not gravado:
            # Our lease expired and someone else holds the item now: it will send the event
            # again with the same Idempotency-Key; this outcome is dropped.
            nivel, mensagem = logging.WARNING, "envio ao sistema de OS: resultado descartado"
        log.log(
            nivel,
            mensagem,
            extra={
                "ordem_servico_id": item["ordem_servico_id"],
                "fila_id": str(item["_id"]),
                "evento": evento["status"],
                "seq": evento["seq"],
                "tentativa": campos["tentativas"],
                "resultado": desfecho,
                "http_status": resultado.http_status,
                "duracao_ms": duracao_ms,
                "request_id": evento.get("request_id"),
                "idempotency_key": evento["chave"],
                "erro": resultado.motivo,
                "proxima_tentativa": campos.get("proxima_tentativa"),
                "despachante": self.dono,
            },
        )

    # --- loops -----------------------------------------------------------------------------

    def processar_pendentes(self, prazo_s: float | None = None) -> int:
        """Attempts until nothing is due now; with `prazo_s`, keep going (waiting out backoffs)
        until no deliverable event is left or the deadline passes. The number of attempts."""
        limite = time.monotonic() + (prazo_s or 0)
        tentativas = 0
        while True:
            while self.despachar_uma_vez():
                tentativas += 1
            if prazo_s is None or time.monotonic() >= limite:
                return tentativas
            if not self.queries.ha_envio_possivel():
                return tentativas
            time.sleep(0.01)

    # --- the loop (background.LacoDeFundo) ---------------------------------------------------

    def volta(self, parar: threading.Event) -> bool:
        """Deliver while something is due (True: look again at once)."""
        return self.despachar_uma_vez()

    def espera_s(self) -> float:
        return self.settings.os_sync_intervalo_ms / 1000

    def ao_iniciar(self) -> None:
        self._http = None  # a pool inherited through fork() is not ours to use

    def acordar(self) -> None:
        """A step just committed an event: look now instead of at the next poll."""
        self._acordar.set()
