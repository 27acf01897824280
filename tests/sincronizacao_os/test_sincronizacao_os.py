"""Delivery of the steps to the OS service, over real HTTP to the stand-in and the real mongod:
outages, crashed and concurrent dispatchers, latency of the steps, refusals and a manager's retry,
Retry-After, sync switched off, the board's badges and banner, the CLI."""

from __future__ import annotations

import http.server
import json
import logging
import re
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from scripts.os_standin import OSStandIn
from tests.helpers import TOKEN_SERVICO, Api, Quadro, ambiente_do_app, cartao_html, servidor_http
from webapp.clock import agora
from webapp.components import componente
from webapp.fila.domain import Acao, Ator, Conflito, NaoEncontrada, Papel, Prioridade, Proibido
from webapp.fila.queries import FilaQueries
from webapp.fila.service import FilaService
from webapp.mongo import Mongo
from webapp.settings import Settings
from webapp.sincronizacao_os.dispatcher import OsDispatcher
from webapp.sincronizacao_os.link import OsLink
from webapp.sincronizacao_os.repository import COLECAO, ID_SAUDE
from webapp.tokens import emitir

RAIZ = Path(__file__).resolve().parents[2]
SEGREDO = "segredo-de-teste-com-mais-de-32-caracteres"  # the settings fixture's SECRET_KEY
GERENTE = Ator("gerente-teste", Papel.GERENTE)
SERVICO = Ator("sistema-os", Papel.SERVICO)
ORDEM = ["EM_DIAGNOSTICO", "AGUARDANDO_APROVACAO", "EM_EXECUCAO", "FINALIZADA"]
ROTEIRO: list[tuple[Acao, dict[str, Any] | None]] = [
    (Acao.INICIAR_DIAGNOSTICO, {"mecanico_responsavel_id": 101}),
    (Acao.FINALIZAR_DIAGNOSTICO, {"diagnostico": "Pastilhas gastas"}),
    (Acao.APROVAR_ORCAMENTO, None),  # tells the OS service nothing
    (Acao.INICIAR_REPARO, None),
    (Acao.FINALIZAR_REPARO, {"observacoes_reparo": "Trocadas"}),
]


@pytest.fixture
def os_servico() -> Iterator[OSStandIn]:
    with OSStandIn(SEGREDO) as standin:
        yield standin


@pytest.fixture
def settings(settings: Settings, os_servico: OSStandIn) -> Settings:
    # Short backoff, lease and timeouts keep the tests fast; dispatchers run only when a test
    # runs them (no background thread unless a test asks for one).
    return replace(
        settings,
        url_api_os=os_servico.url,
        os_sync_thread=False,
        os_retentativa_base_ms=20,
        os_retentativa_max_ms=200,
        os_timeout_conexao_ms=500,
        os_timeout_leitura_ms=1000,
        os_lease_ms=2000,
        os_sync_intervalo_ms=50,
    )


def _fila(app: Flask) -> FilaService:
    return componente(FilaService, app)


def _despachante(app: Flask, dono: str) -> OsDispatcher:
    return OsDispatcher(
        componente(FilaService, app).repo,
        componente(FilaQueries, app),
        componente(OsLink, app),
        componente(Settings, app),
        dono=dono,
    )


def _item(app: Flask, fila_id: Any) -> dict[str, Any]:
    return _fila(app).obter(fila_id)


def _sem_resposta(app: Flask, fila_id: Any) -> None:
    """The order's step was sent and got no answer in time (it may have been applied): pending
    again, said in words a manager reads, never the exception's class name."""
    evento = _item(app, fila_id)["eventos_os"][0]
    assert evento["estado"] == "pendente"
    assert evento["ultimo_erro"] == (
        "tempo esgotado esperando o sistema de OS (enviado, sem resposta)"
    )


def _passos(app: Flask, fila_id: Any, ate: int = len(ROTEIRO), de: int = 0) -> None:
    for acao, dados in ROTEIRO[de:ate]:
        _fila(app).executar(fila_id, acao, SERVICO, dados)


def _aguardar(condicao: Callable[[], bool], prazo: float, mensagem: str) -> None:
    limite = time.monotonic() + prazo
    while not condicao():
        assert time.monotonic() < limite, mensagem
        time.sleep(0.02)


def _instante(texto: str) -> datetime:
    return datetime.fromisoformat(texto)


def _pendentes(app: Flask) -> int:
    return componente(OsLink, app).situacao().pendentes


def _seq(registro: dict[str, Any]) -> int:
    # The Idempotency-Key is "<fila_id>-<seq>": it says which event a request carried even when
    # the stand-in failed it before reading the body.
    return int(registro["idempotency_key"].rpartition("-")[2])


def _conferir_entregas(registros: list[dict[str, Any]], esperadas: dict[int, list[str]]) -> None:
    """Every status arrived exactly once (200), per OS in order, and a later one was never sent
    before the earlier one was accepted; the only repeated requests are retries of one
    Idempotency-Key (always with the same status)."""
    por_os: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for registro in sorted(registros, key=lambda r: r["seq"]):
        por_os[registro["ordem_servico_id"]].append(registro)
    assert set(por_os) == set(esperadas)
    aceitos = [r for r in registros if r["status_http"] == 200]
    assert len(aceitos) == sum(len(s) for s in esperadas.values()), "status faltando ou repetido"
    for os_id, status in esperadas.items():
        do_os = por_os[os_id]
        assert len({r["idempotency_key"].rpartition("-")[0] for r in do_os}) == 1
        assert [r["status"] for r in do_os if r["status_http"] == 200] == status
        entregues = 0  # how many of this OS's statuses were accepted so far
        for registro in do_os:
            assert _seq(registro) == entregues + 1, f"OS {os_id}: evento fora de ordem"
            if registro["status"] is not None:
                assert registro["status"] == status[entregues]
            if registro["status_http"] == 200:
                entregues += 1


# --- The checks ---------------------------------------------------------------------------


def test_servico_fora_durante_200_passos_em_50_ordens_tudo_chega_em_ordem(
    make_app: Callable[..., Flask], os_servico: OSStandIn
) -> None:
    app = make_app()
    despachantes = [_despachante(app, f"despachante-{n}") for n in range(3)]
    for d in despachantes:
        d.iniciar()
    try:
        os_servico.parar()  # down: connections refused
        ids = [_fila(app).adicionar(7000 + n, GERENTE)["_id"] for n in range(50)]
        for rodada, (acao, dados) in enumerate(ROTEIRO):
            if rodada == 2:  # still down, now accepting connections and dropping them
                os_servico.modo("fora")
                os_servico.reiniciar()
            for fila_id in ids:  # the orders advance interleaved, as on a real shop floor
                _fila(app).executar(fila_id, acao, SERVICO, dados)
        situacao = componente(OsLink, app).situacao()
        assert situacao.fora_desde is not None and situacao.pendentes > 0
        assert not any(r["status_http"] == 200 for r in os_servico.recebidos())

        os_servico.modo("ok")  # back
        _aguardar(lambda: _pendentes(app) == 0, 30, "eventos ainda pendentes após a volta")
    finally:
        for d in despachantes:
            d.parar()

    _conferir_entregas(os_servico.recebidos(), {7000 + n: ORDEM for n in range(50)})
    itens = [_item(app, fila_id) for fila_id in ids]
    for item in itens:
        eventos = item["eventos_os"]
        assert [e["seq"] for e in eventos] == [1, 2, 3, 4]
        assert [e["chave"] for e in eventos] == [f"{item['_id']}-{n}" for n in (1, 2, 3, 4)]
        assert {e["estado"] for e in eventos} == {"enviado"}
        assert "lease_dono" not in item["os_sync"]
    assert max(e["tentativas"] for item in itens for e in item["eventos_os"]) > 1
    situacao = componente(OsLink, app).situacao()
    assert situacao.fora_desde is None and situacao.pendentes == 0


def _ambiente_cli(settings: Settings, **extra: str) -> dict[str, str]:
    padrao = {
        "URL_API_OS": settings.url_api_os or "",
        "LOG_LEVEL": "INFO",
        "OS_SYNC_INTERVALO_MS": "50",
        "OS_RETENTATIVA_BASE_MS": "20",
        "OS_RETENTATIVA_MAX_MS": "200",
    }
    return ambiente_do_app(settings, **{**padrao, **extra})


def _cli(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(RAIZ / ".venv/bin/flask"), "--app", "wsgi", "os-sync", "run", *args],
        cwd=RAIZ,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_despachante_morto_no_meio_do_envio_outro_entrega_quando_o_lease_expira(
    app: Flask, settings: Settings, os_servico: OSStandIn
) -> None:
    item = _fila(app).adicionar(4100, GERENTE)
    _passos(app, item["_id"], ate=1)
    os_servico.modo("lento", segundos=30, n=1)  # the first call hangs
    env = _ambiente_cli(
        settings, OS_LEASE_MS="7000", OS_TIMEOUT_CONEXAO_MS="200", OS_TIMEOUT_LEITURA_MS="2000"
    )
    processo = _cli(env)
    try:
        os_servico.aguardar(lambda r: len(r) == 1, timeout=20)
        processo.kill()  # SIGKILL in the middle of the delivery: no clean-up at all
        processo.wait(timeout=10)
    finally:
        if processo.poll() is None:
            processo.kill()
            processo.wait()
        if processo.stdout:
            processo.stdout.close()
    tomado = _item(app, item["_id"])["os_sync"]
    assert tomado["lease_dono"].split(":")[1] == str(processo.pid)

    outro = _despachante(app, "sobrevivente")
    assert outro.despachar_uma_vez() is False  # the dead one's lease still holds
    assert len(os_servico.recebidos()) == 1
    outro.processar_pendentes(prazo_s=10)

    primeiro, segundo = os_servico.recebidos()
    assert segundo["idempotency_key"] == primeiro["idempotency_key"] == f"{item['_id']}-1"
    assert segundo["status_http"] == 200
    assert _instante(segundo["recebido_em"]) >= tomado["lease_ate"]
    evento = _item(app, item["_id"])["eventos_os"][0]
    assert evento["estado"] == "enviado" and evento["tentativas"] == 1


def test_dois_despachantes_no_mesmo_banco_nunca_enviam_o_mesmo_evento_ao_mesmo_tempo(
    make_app: Callable[..., Flask], os_servico: OSStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="webapp.os_sync")
    # Two web processes' worth: each app has its own dispatcher thread and owner id.
    apps = [make_app(os_sync_thread=True, os_sync_intervalo_ms=20) for _ in range(2)]
    os_servico.modo("lento", segundos=0.05)  # each call takes a while: overlaps would show
    ids = [_fila(apps[0]).adicionar(5000 + n, GERENTE)["_id"] for n in range(20)]
    for fila_id in ids:
        _passos(apps[0], fila_id, ate=2)
    _aguardar(lambda: _pendentes(apps[0]) == 0, 20, "eventos ainda pendentes")

    registros = os_servico.recebidos()
    _conferir_entregas(registros, {5000 + n: ORDEM[:2] for n in range(20)})
    assert len(registros) == 40  # each event sent exactly once: never twice, let alone at once
    donos = {r.despachante for r in caplog.records if getattr(r, "resultado", None) == "enviado"}
    assert donos == {componente(OsDispatcher, a).dono for a in apps}  # both did share the work


def test_servico_de_os_lento_nao_atrasa_os_passos_da_api_e_do_quadro(
    make_app: Callable[..., Flask], os_servico: OSStandIn, usuarios_demo, entrar
) -> None:
    app = make_app(
        os_sync_thread=True, os_timeout_leitura_ms=8000, os_lease_ms=10_000, os_sync_intervalo_ms=50
    )
    # Every OS call takes 5 s: a step that waited for one would take that long. The bound
    # below (1 s) leaves room for a noisy CI machine and still tells the two apart.
    os_servico.modo("lento", segundos=5)
    cabecalhos = {
        "Authorization": f"Bearer {emitir(componente(Settings, app), 'teste', extra=TOKEN_SERVICO)}"
    }
    try:
        with servidor_http(app) as base, requests.Session() as http:
            url = f"{base}/fila-execucao"
            assert http.get(url, headers=cabecalhos, timeout=5).status_code == 200  # warm-up
            fila_id = http.post(url, json={"ordem_servico_id": 4300}, headers=cabecalhos).json()[
                "fila_id"
            ]
            passos = [
                ("iniciar-diagnostico", {"mecanico_responsavel_id": 7}),
                ("finalizar-diagnostico", {"diagnostico": "Correia gasta"}),
                ("iniciar-reparo", None),
                ("finalizar-reparo", None),
            ]
            for n, (passo, corpo) in enumerate(passos, start=1):
                inicio = time.perf_counter()
                r = http.post(f"{url}/{fila_id}/{passo}", json=corpo, headers=cabecalhos)
                duracao = time.perf_counter() - inicio
                assert r.status_code == 200, r.text
                assert duracao < 1.0, f"{passo}: {duracao * 1000:.0f} ms"
                if n == 1:  # from now on the dispatcher sits in a 5-second call
                    os_servico.aguardar(lambda r: len(r) == 1, timeout=5)

        cliente = app.test_client()
        assert entrar(cliente, "gerente", usuarios_demo["gerente"]["senha"]).status_code == 302
        quadro = Quadro(cliente)
        aquecimento, medido = (_fila(app).adicionar(n, GERENTE)["_id"] for n in (4301, 4302))
        assert quadro.passo(str(aquecimento), "iniciar-diagnostico", htmx=True).status_code == 200
        inicio = time.perf_counter()
        r = quadro.passo(str(medido), "iniciar-diagnostico", htmx=True)
        duracao = time.perf_counter() - inicio
        assert r.status_code == 200
        assert duracao < 1.0, f"quadro: {duracao * 1000:.0f} ms"
        assert len(os_servico.recebidos()) == 1  # still stuck in the first slow call
    finally:
        os_servico.parar()  # frees the dispatcher from the slow call before the teardown


def test_404_marca_falha_com_o_motivo_e_o_gerente_reenvia_pelo_quadro(
    app: Flask, api: Api, os_servico: OSStandIn, pessoas: dict[str, Quadro]
) -> None:
    item = _fila(app).adicionar(4242, GERENTE)
    fila_id = str(item["_id"])
    _passos(app, fila_id, ate=1)
    os_servico.modo("nao_encontrado404", ids=[4242])
    despachante = _despachante(app, "d1")
    despachante.processar_pendentes()

    estado = api.get(f"/fila-execucao/{fila_id}").json["sincronizacao_os"]
    assert estado["status"] == "falhou" and estado["tentativas"] == 1
    assert "HTTP 404" in estado["ultimo_erro"] and "4242 não encontrada" in estado["ultimo_erro"]
    assert estado["proxima_tentativa"] is None

    # A later step waits behind the failed one (strict order per OS).
    _passos(app, fila_id, de=1, ate=2)
    despachante.processar_pendentes()
    assert len(os_servico.recebidos()) == 1
    assert api.get(f"/fila-execucao/{fila_id}").json["sincronizacao_os"]["pendentes"] == 2

    rota = f"/ordens/{fila_id}/reenviar-os"
    cartao = cartao_html(pessoas["mecanico"].pagina(), fila_id)
    # The mechanic is told whom to tell; the manager, who can send it again, reads why.
    assert "Sistema de OS: envio não concluído (avise o gerente)" in cartao and rota not in cartao
    assert "HTTP 404" not in cartao
    assert pessoas["mecanico"].post(rota).status_code == 403
    assert pessoas["mecanico"].post(rota, htmx=True).status_code == 403
    assert _item(app, fila_id)["os_sync"]["falhou"] is True

    cartao = cartao_html(pessoas["gerente"].pagina(), fila_id)
    assert "Sistema de OS: envio não concluído — HTTP 404" in cartao
    assert f'hx-post="{rota}"' in cartao and 'name="csrf_token"' in cartao
    os_servico.modo("ok")
    r = pessoas["gerente"].post(rota, htmx=True)
    assert r.status_code == 200
    assert "Sistema de OS: envio pendente" in r.text
    assert pessoas["gerente"].post(rota, htmx=True).status_code == 409  # nothing failed any more
    despachante.processar_pendentes()

    _conferir_entregas(os_servico.recebidos(), {4242: ORDEM[:2]})
    assert [r["idempotency_key"] for r in os_servico.recebidos()] == [
        f"{fila_id}-1",
        f"{fila_id}-1",
        f"{fila_id}-2",
    ]
    json_item = api.get(f"/fila-execucao/{fila_id}").json
    assert json_item["sincronizacao_os"]["status"] == "sincronizado"
    assert json_item["sincronizacao_os"]["sincronizado_em"] is not None
    assert [e["estado"] for e in json_item["eventos_os"]] == ["enviado", "enviado"]
    reenvio = [h for h in json_item["historico"] if h["acao"] == "reenviar_os"]
    assert len(reenvio) == 1 and reenvio[0]["por"] == "gerente"
    cartao = cartao_html(pessoas["gerente"].pagina(), fila_id)
    assert "OS:" not in cartao  # a synchronised card says nothing about it...
    detalhe = pessoas["gerente"].pagina(f"/ordens/{fila_id}")
    assert "Sistema de OS</dt><dd>recebeu tudo" in detalhe
    assert "reenviou ao sistema de OS" in detalhe


def test_reenvio_so_de_gerente_e_so_com_falha(app: Flask) -> None:
    item = _fila(app).adicionar(4243, GERENTE)
    _passos(app, item["_id"], ate=1)
    with pytest.raises(Proibido):
        _fila(app).reenviar_os(item["_id"], Ator("m", Papel.MECANICO))
    with pytest.raises(Conflito):
        _fila(app).reenviar_os(item["_id"], GERENTE)


def test_reenvio_fica_na_ordem_do_tempo_e_conta_como_mudanca(
    app: Flask, os_servico: OSStandIn
) -> None:
    """A resend that read the clock before a racing change was written (a priority tapped at
    the same moment) went into the history before it, and left `dta_atualizacao` behind while
    `versao` moved. Played without threads: the last change stored 5 s ahead of this clock.
    The resend is stamped no earlier than it, as any change, and updates the order's time."""
    fila = _fila(app)
    fila_id = fila.adicionar(4244, GERENTE)["_id"]
    os_servico.modo("nao_encontrado404", ids=[4244])
    _passos(app, fila_id, ate=1)
    _despachante(app, "d1").processar_pendentes()
    adiante = agora() + timedelta(seconds=5)
    antes = fila.alterar_prioridade(fila_id, Prioridade.ALTA, GERENTE, instante=adiante)
    assert antes["os_sync"]["falhou"] is True
    depois = fila.reenviar_os(fila_id, GERENTE)
    assert depois["historico"][-1]["acao"] == "reenviar_os"
    assert [h["em"] for h in depois["historico"][-2:]] == [adiante, adiante]
    assert depois["dta_atualizacao"] == adiante and depois["versao"] == antes["versao"] + 1
    assert "_agora" not in depois
    assert depois["eventos_os"][0]["estado"] == "pendente"


def test_429_respeita_retry_after(app: Flask, os_servico: OSStandIn) -> None:
    item = _fila(app).adicionar(4400, GERENTE)
    _passos(app, item["_id"], ate=1)
    os_servico.modo("limite429", retry_after=1, n=1)
    despachante = _despachante(app, "d1")
    assert despachante.despachar_uma_vez() is True
    evento = _item(app, item["_id"])["eventos_os"][0]
    assert evento["estado"] == "pendente" and evento["ultimo_http"] == 429
    assert evento["proxima_tentativa"] - evento["ultima_tentativa"] >= timedelta(seconds=1)
    assert despachante.despachar_uma_vez() is False  # not due yet, although the backoff is tiny
    despachante.processar_pendentes(prazo_s=10)

    primeiro, segundo = os_servico.recebidos()
    assert (primeiro["status_http"], segundo["status_http"]) == (429, 200)
    espera = _instante(segundo["recebido_em"]) - _instante(primeiro["recebido_em"])
    assert espera >= timedelta(seconds=1)


def test_429_com_retry_after_sem_fim_espera_o_fim_da_janela(
    app: Flask, os_servico: OSStandIn
) -> None:
    """A 429 asking for 10^13 s: its attempt was never recorded (an OverflowError in the
    dispatcher's turn), so the card said nothing and the OS service was asked again every
    lease. Recorded now, waiting until the window's end, and the link counted as down."""
    item = _fila(app).adicionar(4401, GERENTE)
    _passos(app, item["_id"], ate=1)
    os_servico.modo("limite429", retry_after=9_999_999_999_999, n=1)
    despachante = _despachante(app, "d1")
    assert despachante.despachar_uma_vez() is True
    evento = _item(app, item["_id"])["eventos_os"][0]
    assert evento["estado"] == "pendente" and evento["tentativas"] == 1
    assert evento["ultimo_http"] == 429 and evento["ultimo_erro"].startswith("HTTP 429")
    assert evento["proxima_tentativa"] - evento["ultima_tentativa"] > timedelta(hours=23)
    assert despachante.despachar_uma_vez() is False  # not asked again meanwhile
    assert len(os_servico.recebidos()) == 1


def test_500_e_tentado_de_novo_com_cabecalhos_da_requisicao_original_e_log_por_tentativa(
    app: Flask, api: Api, os_servico: OSStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="webapp.os_sync")
    fila_id = api.criar(4500)["fila_id"]
    trace = {
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "tracestate": "dd=s:1",
        "x-datadog-trace-id": "1234567890",
        "x-datadog-parent-id": "987654321",
    }
    r = api.post(
        f"/fila-execucao/{fila_id}/iniciar-diagnostico",
        json={"mecanico_responsavel_id": 7},
        headers={"X-Request-ID": "pedido-da-oficina-1", **trace},
    )
    assert r.status_code == 200
    os_servico.modo("erro500", n=2)
    _despachante(app, "d1").processar_pendentes(prazo_s=10)

    registros = os_servico.recebidos()
    assert [r["status_http"] for r in registros] == [500, 500, 200]
    for registro in registros:
        assert registro["idempotency_key"] == f"{fila_id}-1"
        assert registro["x_request_id"] == "pedido-da-oficina-1"
        assert registro["traceparent"] == trace["traceparent"]
        assert registro["tracestate"] == "dd=s:1"
        assert registro["datadog"]["x-datadog-trace-id"] == "1234567890"
        assert registro["caminho"] == "/ordens_servico/4500/status"
    assert registros[-1]["sub"] == "fila-execucao"  # the token is checked past the 500s
    estado = api.get(f"/fila-execucao/{fila_id}").json["sincronizacao_os"]
    assert estado["status"] == "sincronizado" and estado["tentativas"] == 3

    linhas = [r for r in caplog.records if r.name == "webapp.os_sync" and hasattr(r, "tentativa")]
    assert [(r.tentativa, r.resultado, r.http_status) for r in linhas] == [
        (1, "nova_tentativa", 500),
        (2, "nova_tentativa", 500),
        (3, "enviado", 200),
    ]
    for linha in linhas:
        assert linha.ordem_servico_id == 4500 and linha.evento == "EM_DIAGNOSTICO"
        assert linha.seq == 1 and linha.request_id == "pedido-da-oficina-1"
        assert isinstance(linha.duracao_ms, float)


def test_sem_resposta_a_tempo_diz_o_que_houve_em_portugues(
    app: Flask, os_servico: OSStandIn
) -> None:
    """A read timeout (sent, no answer: it may have been applied) in words a manager reads,
    never the exception's class name."""
    item = _fila(app).adicionar(4650, GERENTE)
    _passos(app, item["_id"], ate=1)
    os_servico.modo("lento", segundos=3)  # past the 1 s read timeout
    try:
        _despachante(app, "d1").processar_pendentes(prazo_s=0.5)
        _sem_resposta(app, item["_id"])
    finally:
        os_servico.parar()


@pytest.mark.parametrize("onde", ["corpo", "cabecalhos"])
def test_resposta_a_conta_gotas_nao_prende_o_despachante(
    make_app: Callable[..., Flask], onde: str
) -> None:
    """A service (or a proxy) that answers a byte at a time, each within the read timeout:
    an attempt still ends at the connect and read timeouts together (1.5 s here), as "sem
    resposta" (it may have been applied), and the next order's step goes out, never minutes
    later. Its body is read no further than the dispatcher needs."""
    recebidos: list[float] = []
    parar = threading.Event()

    class ContaGotas(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_PATCH(self) -> None:  # noqa: N802 (http.server's name)
            recebidos.append(time.monotonic())
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            cabecalhos = b"HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n"
            if onde == "corpo":
                self.wfile.write(cabecalhos)
                gotas = b"x" * 2000
            else:
                gotas = cabecalhos + b"x" * 2000
            for gota in gotas:  # one byte every 0.3 s: each read waits less than 1 s
                if parar.wait(0.3):
                    return
                try:
                    self.wfile.write(bytes([gota]))
                    self.wfile.flush()
                except OSError:
                    return  # the dispatcher gave up and closed: as it should

        def log_message(self, *args: Any) -> None:
            pass

    servidor = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ContaGotas)
    servidor.daemon_threads = True
    threading.Thread(target=servidor.serve_forever, daemon=True).start()
    try:
        app = make_app(url_api_os=f"http://127.0.0.1:{servidor.server_port}")
        itens = [_fila(app).adicionar(4655 + k, GERENTE) for k in range(2)]
        for item in itens:
            _passos(app, item["_id"], ate=1)
        despachante = _despachante(app, "d1")
        inicio = time.monotonic()
        assert despachante.despachar_uma_vez() and despachante.despachar_uma_vez()
        duracao = time.monotonic() - inicio
        assert len(recebidos) == 2  # both orders' steps were tried, one after the other
        assert duracao < 2 * 1.5 + 2.0, f"{duracao:.1f} s"
        for item in itens:
            _sem_resposta(app, item["_id"])
    finally:
        parar.set()
        servidor.shutdown()


@pytest.mark.parametrize(
    ("tipo", "corpo", "erro"),
    [
        # A wrong URL_API_OS (a web page, a proxy's error page) answers 404 in HTML: the card
        # names it, it does not paste the page.
        (
            "text/html; charset=utf-8",
            "<!DOCTYPE html><html><body><h1>Not Found</h1></body></html>",
            "HTTP 404: uma página HTML, não uma resposta da API de OS",
        ),
        # A charset Python does not know is read as UTF-8: the reason reaches the card.
        (
            "application/json; charset=foo",
            '{"detail": "OS não encontrada"}',
            "HTTP 404: OS não encontrada",
        ),
    ],
    ids=["pagina-html", "charset-desconhecido"],
)
def test_recusa_do_servico_de_os_e_dita_no_cartao_como_se_le(
    make_app: Callable[..., Flask], tipo: str, corpo: str, erro: str
) -> None:
    """The OS service's refusal in words a manager reads on the card, whatever its body."""
    dados = corpo.encode()

    class Recusa(http.server.BaseHTTPRequestHandler):
        def do_PATCH(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(404)
            self.send_header("Content-Type", tipo)
            self.send_header("Content-Length", str(len(dados)))
            self.end_headers()
            self.wfile.write(dados)

        do_GET = do_PATCH  # noqa: N815 (the status read back after a refusal)

        def log_message(self, *args: Any) -> None:
            pass

    servidor = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recusa)
    threading.Thread(target=servidor.serve_forever, daemon=True).start()
    try:
        app = make_app(url_api_os=f"http://127.0.0.1:{servidor.server_port}")
        item = _fila(app).adicionar(4660, GERENTE)
        _passos(app, item["_id"], ate=1)
        _despachante(app, "d1").processar_pendentes()
        evento = _item(app, item["_id"])["eventos_os"][0]
        assert evento["estado"] == "falhou"
        assert evento["ultimo_erro"] == erro
    finally:
        servidor.shutdown()


def test_prazo_de_novas_tentativas_esgotado_marca_falha(
    make_app: Callable[..., Flask], os_servico: OSStandIn
) -> None:
    app = make_app(os_prazo_retentativas_s=1)
    item = _fila(app).adicionar(4600, GERENTE)
    _passos(app, item["_id"], ate=1)
    os_servico.modo("erro500")
    _despachante(app, "d1").processar_pendentes(prazo_s=10)
    evento = _item(app, item["_id"])["eventos_os"][0]
    assert evento["estado"] == "falhou"
    assert evento["ultimo_erro"].startswith("prazo de novas tentativas esgotado")
    assert evento["tentativas"] >= 2 and _item(app, item["_id"])["os_sync"]["falhou"] is True


def test_sem_url_api_os_eventos_ficam_pendentes_e_o_quadro_avisa(
    make_app: Callable[..., Flask],
    os_servico: OSStandIn,
    api: Api,
    usuarios_demo,
    entrar,
) -> None:
    desligada = make_app(url_api_os=None, os_sync_thread=True)
    assert componente(OsDispatcher, desligada).rodando is False
    item = _fila(desligada).adicionar(4700, GERENTE)
    fila_id = str(item["_id"])
    _passos(desligada, fila_id, ate=1)
    despachante = _despachante(desligada, "d1")
    assert despachante.despachar_uma_vez() is False
    assert os_servico.recebidos() == []

    resposta = Api(desligada.test_client(), api.settings).get(f"/fila-execucao/{fila_id}")
    estado = resposta.json["sincronizacao_os"]
    assert estado == {
        "status": "desligada",
        "pendentes": 1,
        "tentativas": 0,
        "proxima_tentativa": None,
        "ultimo_erro": None,
        "sincronizado_em": None,
    }
    cliente = desligada.test_client()
    assert entrar(cliente, "gerente", usuarios_demo["gerente"]["senha"]).status_code == 302
    pagina = cliente.get("/").text
    assert "configure URL_API_OS com o endereço do sistema de OS" in pagina
    # The whole shop's fact, said once by that banner, not on each card; the order's page
    # still says that its steps wait.
    assert "Sistema de OS" not in cartao_html(pagina, fila_id)
    detalhe = cliente.get(f"/ordens/{fila_id}").text
    assert "<dt>Sistema de OS</dt><dd>envio desligado</dd>" in detalhe

    # Configured later: what waited is delivered.
    _despachante(make_app(), "d2").processar_pendentes()
    _conferir_entregas(os_servico.recebidos(), {4700: ORDEM[:1]})


def test_quadro_avisa_quando_o_servico_de_os_esta_fora_do_ar(
    make_app: Callable[..., Flask], os_servico: OSStandIn, usuarios_demo, entrar
) -> None:
    logo = make_app(os_alerta_fora_s=0)  # banner at once (the default waits a minute)
    paciente = make_app()
    item = _fila(logo).adicionar(4800, GERENTE)
    _passos(logo, item["_id"], ate=1)
    os_servico.parar()
    _despachante(logo, "d1").despachar_uma_vez()

    paginas = {}
    for nome, app in (("logo", logo), ("paciente", paciente)):
        cliente = app.test_client()
        assert entrar(cliente, "gerente", usuarios_demo["gerente"]["senha"]).status_code == 302
        paginas[nome] = cliente
    html = paginas["logo"].get("/").text
    assert "sistema de OS está fora do ar há menos de 1 min: 1 atualização aguarda envio." in html
    # A state drawn again every 30 s: said politely, not as an alert each time.
    assert '<p class="aviso-os" role="status">O sistema de OS está fora do ar' in html
    cartao = cartao_html(html, str(item["_id"]))
    assert "Sistema de OS: envio pendente (1 tentativa, próxima às" in cartao
    assert "fora do ar" not in paginas["paciente"].get("/").text
    # An open board re-reads the banner by itself (hx-trigger every 30 s).
    assert 'hx-get="/situacao-os" hx-trigger="every 30s"' in html
    parcial = paginas["logo"].get("/situacao-os").text
    assert "sistema de OS está fora do ar há menos de 1 min" in parcial
    # A night's outage in hours, as every time on the board is said.
    componente(Mongo, logo).db[COLECAO].update_one(
        {"_id": ID_SAUDE}, {"$set": {"fora_desde": agora() - timedelta(hours=8, minutes=5)}}
    )
    parcial = paginas["logo"].get("/situacao-os").text
    assert "sistema de OS está fora do ar há 8 h 05 min: 1 atualização aguarda envio." in parcial

    os_servico.reiniciar()
    _despachante(logo, "d1").processar_pendentes(prazo_s=10)
    html = paginas["logo"].get("/").text
    assert "fora do ar" not in html
    assert "fora do ar" not in paginas["logo"].get("/situacao-os").text
    assert "OS:" not in cartao_html(html, str(item["_id"]))  # synchronised: nothing to say


def test_thread_do_processo_envia_logo_apos_o_passo(
    make_app: Callable[..., Flask], os_servico: OSStandIn
) -> None:
    # Polling every 30 s: only the wake-up by the step can deliver within the timeout below.
    app = make_app(os_sync_thread=True, os_sync_intervalo_ms=30_000)
    assert componente(OsDispatcher, app).rodando
    item = _fila(app).adicionar(4900, GERENTE)
    time.sleep(0.1)  # the thread has looked once and now sleeps
    _passos(app, item["_id"], ate=1)
    registros = os_servico.aguardar(lambda r: len(r) == 1, timeout=5)
    assert registros[0]["status_http"] == 200


def test_parada_no_meio_do_envio_devolve_o_evento_como_incerto(
    make_app: Callable[..., Flask], os_servico: OSStandIn
) -> None:
    """A worker's SIGTERM (worker_exit) while an attempt waits for its answer: the stop used to
    leave the lease on the item until it ran out (56 s with the real service's settings, on
    every deployment) and the next dispatcher sent the status again blind, which the real
    service refuses with 400. Now the event comes back uncertain and free: taken at once, and
    the OS's status read before anything is sent again."""
    app = make_app(os_sync_thread=True, os_timeout_leitura_ms=5000, os_lease_ms=60_000)
    item = _fila(app).adicionar(4950, GERENTE)
    os_servico.modo("lento", segundos=3, n=1)
    _passos(app, item["_id"], ate=1)
    os_servico.aguardar(lambda r: len(r) == 1, timeout=5)  # on the wire, no answer yet
    componente(OsDispatcher, app).parar(timeout=0.2)
    sinc = componente(Mongo, app).db.fila_execucao.find_one({"_id": item["_id"]})
    assert "lease_dono" not in sinc["os_sync"]
    evento = sinc["eventos_os"][0]
    assert (evento["estado"], evento["incerto"], evento["tentativas"]) == ("pendente", True, 1)
    outro = _despachante(app, "d2")
    time.sleep(3.2)  # the first attempt ends meanwhile (its answer dropped: not its lease)
    assert outro.despachar_uma_vez() is True
    evento = _item(app, item["_id"])["eventos_os"][0]
    assert evento["estado"] == "enviado" and "já estava" in (evento["observacao"] or "")
    assert len(os_servico.recebidos()) == 1  # read, not sent again


def test_cli_os_sync_run_usa_caminho_e_sub_configurados_e_para_com_sigterm(
    app: Flask, settings: Settings, os_servico: OSStandIn
) -> None:
    item = _fila(app).adicionar(5100, GERENTE)
    _passos(app, item["_id"], ate=2)
    env = _ambiente_cli(
        settings,
        OS_PATH_TEMPLATE="/veiculos/0/ordens_servico/{ordem_servico_id}/status",
        OS_TOKEN_SUB="oficina-fila-execucao",
    )
    processo = _cli(env)
    try:
        registros = os_servico.aguardar(lambda r: len(r) == 2, timeout=20)
        processo.send_signal(signal.SIGTERM)
        saida, _ = processo.communicate(timeout=10)
    finally:
        if processo.poll() is None:
            processo.kill()
            processo.communicate()
    assert processo.returncode == 0, saida
    assert [r["caminho"] for r in registros] == ["/veiculos/0/ordens_servico/5100/status"] * 2
    assert {r["veiculo_id"] for r in registros} == {0}
    assert {r["sub"] for r in registros} == {"oficina-fila-execucao"}
    linhas = [json.loads(linha) for linha in saida.splitlines() if linha.startswith("{")]
    envios = [linha for linha in linhas if linha.get("message") == "envio ao sistema de OS"]
    assert [(e["evento"], e["seq"], e["resultado"]) for e in envios] == [
        ("EM_DIAGNOSTICO", 1, "enviado"),
        ("AGUARDANDO_APROVACAO", 2, "enviado"),
    ]
    for envio in envios:
        assert envio["logger"] == "webapp.os_sync" and envio["ordem_servico_id"] == 5100
        assert envio["tentativa"] == 1 and envio["http_status"] == 200
        assert envio["duracao_ms"] >= 0 and envio["request_id"]
    assert any(linha.get("message") == "despachante de OS encerrado" for linha in linhas)


@pytest.mark.parametrize(
    "config",
    [
        # The README's example: a service token's claim, the default audience.
        {"os_token_claims": "tipo_token=servico_interno"},
        # Configured for the shop's real OS service: no `aud` at all, and our API in the
        # migration mode that accepts tokens without one.
        {
            "os_token_claims": "tipo_token=servico_interno",
            "os_token_com_aud": False,
            "jwt_require_audience": False,
            "os_token_sub": "7",
            "jwt_integracoes": "7",
        },
    ],
)
def test_token_enviado_ao_sistema_de_os_nao_vale_nesta_api(
    make_app: Callable[..., Flask], config: dict[str, Any], os_servico: OSStandIn
) -> None:
    """Whoever reads the OS service's logs or traffic holds the token we send it: it must open
    nothing here, in any configuration."""
    app = make_app(**config)
    cliente = app.test_client()
    fila_id = Api(cliente, componente(Settings, app)).criar(5200)["fila_id"]
    token = componente(OsDispatcher, app)._jwt()  # the very token the next PATCH carries
    cabecalho = {"Authorization": f"Bearer {token}"}
    for metodo, caminho, corpo in (
        ("DELETE", f"/fila-execucao/{fila_id}", None),
        ("PATCH", f"/fila-execucao/{fila_id}/prioridade", {"prioridade": "URGENTE"}),
        ("GET", "/fila-execucao", None),
        ("GET", "/indicadores", None),
    ):
        r = cliente.open(caminho, method=metodo, json=corpo, headers=cabecalho)
        assert r.status_code == 401, (config, metodo, caminho, r.json)
        # Another audience, or (without one) the claim that marks our outbound tokens.
        assert r.json["detail"] in (
            "Audiência (aud) do token inválida.",
            "Token emitido por esta fila para o sistema de OS: não vale nesta API.",
        )
    assert cliente.get(f"/fila-execucao/{fila_id}", headers=cabecalho).status_code == 401


def test_cli_os_sync_run_renova_o_batimento_a_cada_volta_do_laco(
    app: Flask, settings: Settings, os_servico: OSStandIn, tmp_path: Path
) -> None:
    """The heartbeat Compose's healthcheck reads: renewed by the loop itself, so it ages while
    the loop is stuck (here, in a slow delivery) and is renewed again once the loop turns."""
    batimento = tmp_path / "os-sync.batimento"
    item = _fila(app).adicionar(5150, GERENTE)
    _passos(app, item["_id"], ate=1)
    os_servico.modo("lento", segundos=5, n=1)
    env = _ambiente_cli(settings, OS_TIMEOUT_LEITURA_MS="10000", OS_LEASE_MS="40000")
    processo = _cli(env, "--batimento", str(batimento))
    try:
        os_servico.aguardar(lambda r: len(r) == 1, timeout=20)  # the loop waits in the call
        parado = batimento.stat().st_mtime_ns
        time.sleep(1.5)
        assert batimento.stat().st_mtime_ns == parado
        os_servico.aguardar(lambda r: r[0]["status_http"] == 200, timeout=10)
        _aguardar(lambda: batimento.stat().st_mtime_ns > parado, 5, "batimento não renovado")
        renovado = batimento.stat().st_mtime_ns
        _aguardar(lambda: batimento.stat().st_mtime_ns > renovado, 5, "parou depois da entrega")
        processo.send_signal(signal.SIGTERM)
        saida, _ = processo.communicate(timeout=10)
    finally:
        if processo.poll() is None:
            processo.kill()
            processo.communicate()
    assert processo.returncode == 0, saida


def test_cli_os_sync_run_recusa_batimento_que_nao_pode_escrever(
    app: Flask, settings: Settings, tmp_path: Path
) -> None:
    resultado = subprocess.run(
        [str(RAIZ / ".venv/bin/flask"), "--app", "wsgi", "os-sync", "run"]
        + ["--batimento", str(tmp_path / "nao-existe" / "batimento")],
        cwd=RAIZ,
        env=_ambiente_cli(settings),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert resultado.returncode == 1
    assert "Não foi possível escrever o batimento" in resultado.stderr


def test_cli_recusa_rodar_sem_url_api_os(app: Flask, settings: Settings) -> None:
    resultado = subprocess.run(
        [str(RAIZ / ".venv/bin/flask"), "--app", "wsgi", "os-sync", "run"],
        cwd=RAIZ,
        env=_ambiente_cli(settings, URL_API_OS=""),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert resultado.returncode == 1
    assert "URL_API_OS não configurada" in resultado.stderr


def test_item_json_e_openapi_documentam_sincronizacao_os(app: Flask, api: Api) -> None:
    item = api.criar(5200)
    assert item["sincronizacao_os"]["status"] == "sincronizado"
    assert item["eventos_os"] == []
    r = api.passo(item["fila_id"], "iniciar-diagnostico", {"mecanico_responsavel_id": 7})
    assert r.json["sincronizacao_os"]["status"] == "pendente"
    assert r.json["sincronizacao_os"]["pendentes"] == 1
    assert r.json["eventos_os"][0]["seq"] == 1 and r.json["eventos_os"][0]["estado"] == "pendente"
    listados = api.get("/fila-execucao").json
    assert listados[0]["sincronizacao_os"]["status"] == "pendente"

    esquemas = app.test_client().get("/openapi.json").json["components"]["schemas"]
    propriedades = esquemas["ItemFila"]["properties"]
    assert {"sincronizacao_os", "eventos_os"} <= set(propriedades)
    assert set(esquemas["SincronizacaoOS"]["properties"]) >= {
        "status",
        "tentativas",
        "proxima_tentativa",
        "ultimo_erro",
        "sincronizado_em",
    }


def test_corrida_no_mesmo_passo_gera_um_so_evento(app: Flask) -> None:
    item = _fila(app).adicionar(5300, GERENTE)
    barreira = threading.Barrier(10)
    resultados: list[str] = []

    def tentar() -> None:
        barreira.wait()
        try:
            _passos(app, item["_id"], ate=1)
            resultados.append("ok")
        except Conflito:
            resultados.append("409")

    threads = [threading.Thread(target=tentar) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(resultados) == ["409"] * 9 + ["ok"]
    atual = _item(app, item["_id"])
    assert len(atual["eventos_os"]) == 1 and atual["os_sync"]["pendentes"] == 1


def _arquivada(app: Flask, fila_id: Any) -> dict[str, Any]:
    copia = componente(Mongo, app).db["fila_execucao_arquivo"].find_one({"fila_id": fila_id})
    assert copia is not None
    return copia


def test_passos_de_uma_ordem_removida_ainda_chegam_ao_sistema_de_os(
    app: Flask, os_servico: OSStandIn
) -> None:
    """A step answered 200 reaches the OS service even when a manager removed the order before
    its event went out (the service was down): a removal cancels nothing that happened. Once
    they were lost in the archive, and the OS service stayed steps behind for good."""
    removida = _fila(app).adicionar(5400, GERENTE)["_id"]
    outra = _fila(app).adicionar(5401, GERENTE)["_id"]
    _passos(app, removida, ate=2)
    _passos(app, outra, ate=1)
    _fila(app).remover(removida, GERENTE)
    _despachante(app, "d1").processar_pendentes(prazo_s=10)
    _conferir_entregas(os_servico.recebidos(), {5400: ORDEM[:2], 5401: ORDEM[:1]})
    chaves = [r["idempotency_key"] for r in os_servico.recebidos(5400)]
    assert chaves == [f"{removida}-1", f"{removida}-2"]  # the order's own keys, as if not removed
    copia = _arquivada(app, removida)
    assert [e["estado"] for e in copia["eventos_os"]] == ["enviado", "enviado"]
    assert copia["os_sync"]["pendentes"] == 0 and "proxima" not in copia["os_sync"]


def test_ordem_removida_cuja_os_volta_a_fila_para_de_enviar(
    app: Flask, os_servico: OSStandIn
) -> None:
    """The removed order's step waits out a backoff while its OS is added again and moves on:
    the new order's steps go, in order, and the old one is dropped, never sent after them
    (an older status arriving last would be out of order). Copies archived before removed
    orders' steps were sent (no mark) are never sent either."""
    removida = _fila(app).adicionar(5500, GERENTE)["_id"]
    _passos(app, removida, ate=1)
    os_servico.modo("limite429", retry_after=1, n=1)
    despachante = _despachante(app, "d1")
    assert despachante.despachar_uma_vez() is True  # 429: waits a second
    _fila(app).remover(removida, GERENTE)
    nova = _fila(app).adicionar(5500, GERENTE)["_id"]
    _passos(app, nova, ate=2)
    # A copy archived by an older version, its event still pending: history only.
    antiga = {**_arquivada(app, removida), "fila_id": "antiga"}
    del antiga["_id"]
    antiga["os_sync"].pop("entregar", None)
    componente(Mongo, app).db["fila_execucao_arquivo"].insert_one(antiga)
    time.sleep(1.1)
    despachante.processar_pendentes(prazo_s=10)
    aceitos = [r for r in os_servico.recebidos(5500) if r["status_http"] == 200]
    assert [(r["idempotency_key"], r["status"]) for r in aceitos] == [
        (f"{nova}-1", "EM_DIAGNOSTICO"), (f"{nova}-2", "AGUARDANDO_APROVACAO")
    ]  # fmt: skip
    assert all(r["idempotency_key"].startswith(str(nova)) for r in os_servico.recebidos(5500)[1:])
    assert "proxima" not in _arquivada(app, removida)["os_sync"]


def test_envio_em_curso_quando_a_ordem_e_removida_fica_registrado_no_arquivo(
    app: Flask, os_servico: OSStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    """The order is removed while its event is on the wire: the outcome is recorded in the
    archived copy (which kept the lease), not dropped and the event sent again."""
    caplog.set_level(logging.INFO, logger="webapp.os_sync")
    fila_id = _fila(app).adicionar(5410, GERENTE)["_id"]
    _passos(app, fila_id, ate=1)
    os_servico.modo("lento", segundos=0.5, n=1)  # within the read timeout (1 s)
    despachante = _despachante(app, "d1")
    envio = threading.Thread(target=despachante.despachar_uma_vez)
    envio.start()
    os_servico.aguardar(lambda r: len(r) == 1, timeout=10)
    _fila(app).remover(fila_id, GERENTE)
    envio.join(timeout=10)
    assert not any("descartado" in r.getMessage() for r in caplog.records)
    assert despachante.despachar_uma_vez() is False  # nothing left to send
    [entrega] = os_servico.recebidos()
    assert entrega["status_http"] == 200
    copia = _arquivada(app, fila_id)
    assert copia["eventos_os"][0]["estado"] == "enviado"
    assert "lease_dono" not in copia["os_sync"]


def test_passo_recusado_de_ordem_removida_aparece_ao_gerente_que_reenvia(
    app: Flask, os_servico: OSStandIn, pessoas: dict[str, Quadro]
) -> None:
    """A step the OS service refused for good, the order then removed (its later steps held
    behind the refusal), or removed first and refused after: no card is left to send it
    again from. Once the copy was not even marked to send (its head had failed: nothing
    due), or stayed failed for good, and the banner, the counts and the metrics read only
    the queue. Now the board's banner lists them for managers, who send them again."""
    antes = _fila(app).adicionar(5600, GERENTE)["_id"]  # refused, then removed
    depois = _fila(app).adicionar(5601, GERENTE)["_id"]  # removed, then refused
    _passos(app, antes, ate=1)
    os_servico.modo("nao_encontrado404", ids=[5600])
    despachante = _despachante(app, "d1")
    despachante.processar_pendentes()
    _passos(app, antes, de=1, ate=4)  # three more steps wait behind the refused one
    _fila(app).remover(antes, GERENTE)
    _passos(app, depois, ate=2)
    _fila(app).remover(depois, GERENTE)
    os_servico.modo("bug_aprovacao", n=2)  # the real service's 500 on AGUARDANDO_APROVACAO
    despachante.processar_pendentes(prazo_s=5)
    assert _arquivada(app, antes)["os_sync"]["pendentes"] == 3
    assert _arquivada(app, depois)["os_sync"]["falhou"] is True

    situacao = componente(OsLink, app).situacao()
    assert (situacao.pendentes, situacao.falhas) == (4, 2)
    assert [r["ordem_servico_id"] for r in situacao.removidas_com_falha] == [5601, 5600]
    assert "HTTP 404" in situacao.removidas_com_falha[1]["ultimo_erro"]

    rota = f"/situacao-os/reenviar/{antes}"
    assert "Ordens removidas que o sistema de OS recusou" not in pessoas["mecanico"].pagina()
    assert pessoas["mecanico"].post(rota).status_code == 403
    pagina = pessoas["gerente"].pagina()
    assert "Ordens removidas que o sistema de OS recusou" in pagina
    assert f'hx-post="{rota}"' in pagina and "OS 5600" in pagina and "HTTP 404" in pagina
    assert 'aria-label="Reenviar a OS 5601 ao sistema de OS"' in pagina
    # When, as a past moment is said in a sentence (clock.quando_foi), not "removida em hoje".
    assert re.search(r"OS 5601, removida às \d\d:\d\d", pagina), pagina

    os_servico.modo("ok")
    r = pessoas["gerente"].post(rota, htmx=True)
    assert r.status_code == 200 and "OS 5600: reenvio ao sistema de OS pedido." in r.text
    de_novo = pessoas["gerente"].post(rota, htmx=True)  # one retry, not two
    assert de_novo.status_code == 404 and "Nenhuma ordem removida tem um envio" in de_novo.text
    assert pessoas["gerente"].post("/situacao-os/reenviar/zzz", htmx=True).status_code == 404
    sem_js = pessoas["gerente"].post(f"/situacao-os/reenviar/{depois}")
    assert sem_js.status_code == 303 and sem_js.headers["Location"] == "/"
    assert "OS 5601: reenvio ao sistema de OS pedido." in pessoas["gerente"].pagina()
    despachante.processar_pendentes(prazo_s=10)

    _conferir_entregas(os_servico.recebidos(), {5600: ORDEM[:3], 5601: ORDEM[:2]})
    assert componente(OsLink, app).situacao().removidas_com_falha == []
    assert "Ordens removidas que o sistema de OS recusou" not in pessoas["gerente"].pagina()
    reenvio = [h for h in _arquivada(app, antes)["historico"] if h["acao"] == "reenviar_os"]
    assert len(reenvio) == 1 and reenvio[0]["por"] == "gerente"
    # An order still in the queue has no such banner line: not called "removida".
    na_fila = _fila(app).adicionar(5602, GERENTE)["_id"]
    r = pessoas["gerente"].post(f"/situacao-os/reenviar/{na_fila}", htmx=True)
    assert r.status_code == 404 and "uma ordem ainda na fila reenvia pelo seu cartão" in r.text


def test_os_de_volta_a_fila_larga_a_ordem_removida_que_falhou(
    app: Flask, os_servico: OSStandIn
) -> None:
    """A removed order whose step was refused, its OS then added again: the new order's steps
    tell the OS service now, so the old refusal is no longer anything to send or count."""
    removida = _fila(app).adicionar(5700, GERENTE)["_id"]
    _passos(app, removida, ate=2)
    os_servico.modo("nao_encontrado404", ids=[5700])
    _despachante(app, "d1").processar_pendentes()
    _fila(app).remover(removida, GERENTE)
    assert componente(OsLink, app).situacao().falhas == 1
    _fila(app).adicionar(5700, GERENTE)
    situacao = componente(OsLink, app).situacao()
    assert (situacao.falhas, situacao.removidas_com_falha) == (0, [])
    assert "entregar" not in _arquivada(app, removida)["os_sync"]
    with pytest.raises(NaoEncontrada):
        _fila(app).reenviar_os_removida(removida, GERENTE)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
