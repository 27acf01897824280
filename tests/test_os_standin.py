"""The stand-in OS service, over real HTTP: token check, records, failure modes, down and back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from scripts import localdb
from scripts.os_standin import OSStandIn

SEGREDO = "segredo-do-standin-com-mais-de-32-caracteres"
ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 5


@pytest.fixture(scope="module")
def servico() -> Iterator[OSStandIn]:
    # One server for the module (fast); each test starts from a clean slate below.
    with OSStandIn(SEGREDO) as standin:
        yield standin


@pytest.fixture(autouse=True)
def limpo(servico: OSStandIn) -> Iterator[None]:
    if not servico.em_execucao:
        servico.iniciar(servico.porta)
    servico.modo("ok")
    servico.limpar()
    yield


def _token(**claims: Any) -> str:
    dados: dict[str, Any] = {
        "sub": "oficina-execucao",
        "iss": "oficina-auth",
        "aud": "oficina-api",
        "exp": datetime.now(UTC) + timedelta(minutes=5),
    }
    dados.update(claims)
    segredo = dados.pop("_segredo", SEGREDO)
    return jwt.encode({k: v for k, v in dados.items() if v is not None}, segredo, "HS256")


def _enviar(
    servico: OSStandIn,
    ordem_servico_id: int = 7,
    status: Any = "EM_DIAGNOSTICO",
    *,
    token: str | None = "valido",
    chave: str | None = None,
    caminho: str | None = None,
    sessao: Any = requests,
    **extra: str,
) -> requests.Response:
    cabecalhos = {**extra}
    if token is not None:
        cabecalhos["Authorization"] = f"Bearer {_token() if token == 'valido' else token}"
    if chave is not None:
        cabecalhos["Idempotency-Key"] = chave
    url = servico.url + (caminho or f"/ordens_servico/{ordem_servico_id}/status")
    return sessao.patch(url, json={"status": status}, headers=cabecalhos, timeout=TIMEOUT)


# --- Accepting and recording ---------------------------------------------------------------------


def test_valid_token_answers_200_and_records_the_headers(servico: OSStandIn) -> None:
    antes = datetime.now(UTC)
    resposta = _enviar(
        servico,
        42,
        "AGUARDANDO_APROVACAO",
        chave="evt-1",
        **{
            "X-Request-ID": "req-abc",
            "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "x-datadog-trace-id": "123",
            "x-datadog-parent-id": "456",
        },
    )

    assert resposta.status_code == 200
    assert resposta.json() == {"ordem_servico_id": 42, "status": "AGUARDANDO_APROVACAO"}
    [registro] = servico.recebidos()
    assert registro["metodo"] == "PATCH"
    assert registro["caminho"] == "/ordens_servico/42/status"
    assert registro["ordem_servico_id"] == 42
    assert registro["veiculo_id"] is None
    assert registro["status"] == "AGUARDANDO_APROVACAO"
    assert registro["sub"] == "oficina-execucao"
    assert registro["idempotency_key"] == "evt-1"
    assert registro["x_request_id"] == "req-abc"
    assert registro["traceparent"].startswith("00-0af7651916cd43dd")
    assert registro["datadog"] == {"x-datadog-trace-id": "123", "x-datadog-parent-id": "456"}
    assert registro["status_http"] == 200
    assert registro["duplicado"] is False
    recebido = datetime.fromisoformat(registro["recebido_em"])
    assert recebido.utcoffset() == timedelta(0)
    assert antes <= recebido <= datetime.now(UTC)


def test_vehicle_path_is_accepted_and_the_vehicle_id_ignored(servico: OSStandIn) -> None:
    resposta = _enviar(servico, caminho="/veiculos/0/ordens_servico/9/status", status="EM_EXECUCAO")

    assert resposta.status_code == 200
    [registro] = servico.recebidos()
    assert (registro["veiculo_id"], registro["ordem_servico_id"]) == (0, 9)
    assert registro["status"] == "EM_EXECUCAO"


@pytest.mark.parametrize(
    ("token", "motivo"),
    [
        (None, "ausente"),
        ("nao-e-um-jwt", "inválido"),
        (_token(_segredo="outro-segredo-com-mais-de-32-caracteres-xx"), "Assinatura"),
        (_token(exp=datetime.now(UTC) - timedelta(minutes=1)), "expirado"),
        (_token(exp=None), "'exp'"),
        (_token(aud="outra-api"), "aud"),
        (_token(iss="outro-emissor"), "iss"),
    ],
)
def test_missing_or_invalid_token_is_401_and_recorded(
    servico: OSStandIn, token: str | None, motivo: str
) -> None:
    resposta = _enviar(servico, token=token, chave="evt-401")

    assert resposta.status_code == 401
    assert motivo in resposta.json()["detail"]
    [registro] = servico.recebidos()
    assert registro["status_http"] == 401
    assert registro["sub"] is None
    assert registro["idempotency_key"] == "evt-401"
    assert motivo in registro["erro"]


def test_checks_can_be_switched_off_for_issuer_and_audience() -> None:
    with OSStandIn(SEGREDO, issuer=None, audience="") as sem_checagem:
        token = _token(iss=None, aud=None)
        assert _enviar(sem_checagem, token=token).status_code == 200


@pytest.mark.parametrize("status", ["EM_REPARO", "ENTREGUE", None, 3])
def test_unknown_status_is_422_with_detail(servico: OSStandIn, status: Any) -> None:
    resposta = _enviar(servico, status=status)

    assert resposta.status_code == 422
    assert "Status inválido" in resposta.json()["detail"]
    assert servico.recebidos()[0]["status_http"] == 422


def test_duplicate_idempotency_key_is_marked_but_still_200(servico: OSStandIn) -> None:
    servico.modo("erro500", n=1)
    assert _enviar(servico, chave="evt-dup").status_code == 500  # a failure: not "seen"
    assert _enviar(servico, chave="evt-dup").status_code == 200
    assert _enviar(servico, chave="evt-dup").status_code == 200
    assert _enviar(servico, chave="outro").status_code == 200

    duplicados = [(r["idempotency_key"], r["duplicado"]) for r in servico.recebidos()]
    assert duplicados == [
        ("evt-dup", False),
        ("evt-dup", False),
        ("evt-dup", True),
        ("outro", False),
    ]


# --- Failure modes -------------------------------------------------------------------------------


def test_erro500_for_n_calls_then_ok(servico: OSStandIn) -> None:
    servico.modo("erro500", n=2)

    codigos = [_enviar(servico).status_code for _ in range(3)]

    assert codigos == [500, 500, 200]
    assert servico.modo_atual() == {"modo": "ok", "n": None}
    assert [r["modo"] for r in servico.recebidos()] == ["erro500", "erro500", "ok"]


def test_limite429_sends_retry_after(servico: OSStandIn) -> None:
    servico.modo("limite429", n=1, retry_after=7)

    primeira, segunda = _enviar(servico), _enviar(servico)

    assert primeira.status_code == 429
    assert primeira.headers["Retry-After"] == "7"
    assert segunda.status_code == 200


def test_nao_encontrado404_for_given_ids_or_n_calls(servico: OSStandIn) -> None:
    servico.modo("nao_encontrado404", ids=[5])
    falhou, passou = _enviar(servico, 5), _enviar(servico, 6)
    assert (falhou.status_code, passou.status_code) == (404, 200)
    assert "5 não encontrada" in falhou.json()["detail"]

    servico.modo("nao_encontrado404", n=1)
    assert [_enviar(servico, 8).status_code for _ in range(2)] == [404, 200]


def test_lento_delays_every_call(servico: OSStandIn) -> None:
    servico.modo("lento", segundos=0.3)

    inicio = time.monotonic()
    resposta = _enviar(servico)

    assert resposta.status_code == 200
    assert time.monotonic() - inicio >= 0.3


def test_fora_closes_without_answer_then_comes_back(servico: OSStandIn) -> None:
    servico.modo("fora")
    with requests.Session() as sessao:
        for _ in range(2):
            with pytest.raises(requests.ConnectionError):
                _enviar(servico, chave="evt-fora", sessao=sessao)
        servico.modo("ok")
        assert _enviar(servico, chave="evt-fora", sessao=sessao).status_code == 200

    registros = servico.recebidos()
    assert [r["status_http"] for r in registros] == [None, None, 200]
    assert "sem resposta" in registros[0]["erro"]


def test_stop_and_restart_on_the_same_port(servico: OSStandIn) -> None:
    url = servico.url
    with requests.Session() as sessao:  # a pooled keep-alive connection must not survive "down"
        assert _enviar(servico, sessao=sessao).status_code == 200
        servico.parar()
        assert not servico.em_execucao
        with pytest.raises(requests.ConnectionError):
            _enviar(servico, sessao=sessao)
        assert servico.reiniciar() == url
        assert _enviar(servico, sessao=sessao).status_code == 200

    assert [r["status_http"] for r in servico.recebidos()] == [200, 200]  # records survive


def test_stopping_does_not_wait_for_a_slow_call(servico: OSStandIn) -> None:
    servico.modo("lento", segundos=5)
    erros: list[BaseException] = []

    def chamar() -> None:
        try:
            _enviar(servico)
        except requests.RequestException as erro:
            erros.append(erro)

    chamada = threading.Thread(target=chamar)
    chamada.start()
    servico.aguardar(lambda registros: len(registros) == 1, timeout=2)
    inicio = time.monotonic()
    servico.parar()
    chamada.join(timeout=2)

    assert time.monotonic() - inicio < 1
    assert len(erros) == 1 and isinstance(erros[0], requests.ConnectionError)


def test_unknown_mode_or_parameter_is_refused(servico: OSStandIn) -> None:
    with pytest.raises(ValueError, match="Modo desconhecido"):
        servico.modo("quebrado")
    with pytest.raises(ValueError, match="segundo"):
        servico.modo("lento", segundo=1)
    with pytest.raises(ValueError, match="'n'"):
        servico.modo("erro500", n=0)


# --- Control API over HTTP -----------------------------------------------------------------------


def test_control_api(servico: OSStandIn) -> None:
    controle = servico.url + "/_controle"

    assert requests.get(f"{controle}/saude", timeout=TIMEOUT).json()["status"] == "ok"
    resposta = requests.post(
        f"{controle}/modo", json={"modo": "limite429", "n": 2, "retry_after": 3}, timeout=TIMEOUT
    )
    assert resposta.status_code == 200
    esperado = {"modo": "limite429", "n": 2, "retry_after": 3}
    assert requests.get(f"{controle}/modo", timeout=TIMEOUT).json() == esperado
    assert _enviar(servico, 1).status_code == 429
    assert _enviar(servico, 2).status_code == 429
    assert _enviar(servico, 2).status_code == 200

    recebidos = requests.get(f"{controle}/recebidos", timeout=TIMEOUT).json()
    assert [r["status_http"] for r in recebidos] == [429, 429, 200]
    so_dois = requests.get(f"{controle}/recebidos?ordem_servico_id=2", timeout=TIMEOUT).json()
    assert [r["seq"] for r in so_dois] == [recebidos[1]["seq"], recebidos[2]["seq"]]

    assert requests.delete(f"{controle}/recebidos", timeout=TIMEOUT).status_code == 204
    assert requests.get(f"{controle}/recebidos", timeout=TIMEOUT).json() == []

    invalido = requests.post(f"{controle}/modo", json={"modo": "nada"}, timeout=TIMEOUT)
    assert invalido.status_code == 422
    assert "Modo desconhecido" in invalido.json()["detail"]


def test_aguardar_returns_once_the_condition_holds(servico: OSStandIn) -> None:
    threading.Timer(0.1, lambda: _enviar(servico, 3)).start()

    registros = servico.aguardar(lambda rs: any(r["status_http"] == 200 for r in rs), timeout=3)

    assert registros[0]["ordem_servico_id"] == 3
    with pytest.raises(TimeoutError):
        servico.aguardar(lambda rs: len(rs) > 5, timeout=0.1)


# --- CLI -----------------------------------------------------------------------------------------


def test_cli_logs_one_json_line_per_request_and_stops_on_sigterm() -> None:
    porta = localdb.free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("JWT_ISSUER", "JWT_AUDIENCE")}
    processo = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "os_standin.py"), "--port", str(porta)]
        + ["--secret", SEGREDO],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert processo.stdout is not None
        inicio = json.loads(processo.stdout.readline())
        assert inicio == {"evento": "iniciado", "url": f"http://127.0.0.1:{porta}"}

        resposta = requests.patch(
            f"{inicio['url']}/veiculos/0/ordens_servico/11/status",
            json={"status": "FINALIZADA"},
            headers={"Authorization": f"Bearer {_token()}", "Idempotency-Key": "evt-cli"},
            timeout=TIMEOUT,
        )
        assert resposta.status_code == 200
        linha = json.loads(processo.stdout.readline())
        assert linha["evento"] == "requisicao"
        assert (linha["ordem_servico_id"], linha["status"]) == (11, "FINALIZADA")
        assert (linha["status_http"], linha["idempotency_key"]) == (200, "evt-cli")

        processo.send_signal(signal.SIGTERM)
        assert processo.wait(timeout=5) == 0
    finally:
        if processo.poll() is None:
            processo.kill()
            processo.wait()
        if processo.stdout is not None:
            processo.stdout.close()
