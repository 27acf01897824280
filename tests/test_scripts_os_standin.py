"""The stand-in OS service, over real HTTP: token check, records, failure modes, down and back;
strict mode (the real service's rules, its known bug, its callbacks to our API); the CLI."""

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
from types import SimpleNamespace
from typing import Any

import jwt
import pytest
import requests
from flask import Flask, request
from werkzeug.serving import make_server

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
        "aud": "oficina-os",  # the audience our app gives the tokens it sends (OS_TOKEN_AUD)
        # Long enough for the whole suite: the parametrized tokens are made at collection time.
        "exp": datetime.now(UTC) + timedelta(hours=2),
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


def test_get_answers_the_last_status_pushed(servico: OSStandIn) -> None:
    url = f"{servico.url}/ordens_servico/77/status"
    cabecalhos = {"Authorization": f"Bearer {_token()}"}
    assert requests.get(url, headers=cabecalhos, timeout=TIMEOUT).status_code == 404
    _enviar(servico, 77, "EM_EXECUCAO")

    resposta = requests.get(url, headers=cabecalhos, timeout=TIMEOUT)

    assert resposta.json() == {"ordem_servico_id": 77, "status": "EM_EXECUCAO"}
    assert requests.get(url, timeout=TIMEOUT).status_code == 401
    assert [r["metodo"] for r in servico.recebidos(metodo=None)] == ["GET", "PATCH", "GET", "GET"]


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


# --- Strict mode: the real OS service's rules ----------------------------------------------------


@pytest.fixture
def estrito() -> Iterator[OSStandIn]:
    with OSStandIn(SEGREDO, strict=True) as standin:
        yield standin


def _estrito(servico: OSStandIn, ordem_servico_id: int, status: Any, sub: Any = "42", **kw: Any):
    # The real service's token: our iss, no aud, an integer user id as sub.
    return _enviar(servico, ordem_servico_id, status, token=_token(aud=None, sub=sub), **kw)


@pytest.mark.parametrize(
    ("claims", "motivo"),
    [
        ({"sub": "42"}, "aud"),  # our usual token carries aud: refused
        ({"aud": None}, "sub"),  # sub "oficina-execucao" is not a user id
        ({"aud": None, "sub": "4.2"}, "sub"),
        ({"aud": None, "sub": "42", "iss": "outro-emissor"}, "iss"),
    ],
)
def test_estrito_recusa_aud_e_sub_que_nao_e_id_inteiro(
    estrito: OSStandIn, claims: dict[str, Any], motivo: str
) -> None:
    estrito.criar_os(1)

    resposta = _enviar(estrito, 1, "EM_DIAGNOSTICO", token=_token(**claims))

    assert resposta.status_code == 401
    assert motivo in resposta.json()["detail"]
    assert estrito.status_os(1) == "RECEBIDA"
    assert estrito.recebidos()[0]["status_http"] == 401


@pytest.mark.parametrize("sub", ["42", 42])
def test_estrito_aceita_sub_inteiro_em_texto_ou_numero(estrito: OSStandIn, sub: Any) -> None:
    estrito.criar_os(1)
    assert _estrito(estrito, 1, "EM_DIAGNOSTICO", sub=sub).status_code == 200
    assert estrito.recebidos()[0]["sub"] == "42"


def test_estrito_so_um_passo_adiante_e_ignora_idempotency_key(estrito: OSStandIn) -> None:
    criada = estrito.criar_os(10, placa="ABC1D23")
    assert criada == {
        "ordem_servico_id": 10,
        "status": "RECEBIDA",
        "prioridade": "NORMAL",
        "placa": "ABC1D23",
        "chamadas": [],  # no url_execucao: nobody to call back
    }

    primeira = _estrito(estrito, 10, "EM_DIAGNOSTICO", chave="evt-1")
    assert primeira.json() == {"ordem_servico_id": 10, "status": "EM_DIAGNOSTICO"}
    repetida = _estrito(estrito, 10, "EM_DIAGNOSTICO", chave="evt-1")  # a retry: no dedupe
    assert repetida.status_code == 400
    assert repetida.json() == {"detail": "Status já é EM_DIAGNOSTICO"}
    antiga = _estrito(estrito, 10, "RECEBIDA")
    pulo = _estrito(estrito, 10, "EM_EXECUCAO")
    assert (antiga.status_code, pulo.status_code) == (400, 400)
    assert "Transição inválida" in pulo.json()["detail"]
    assert estrito.status_os(10) == "EM_DIAGNOSTICO"

    for status in ("AGUARDANDO_APROVACAO", "EM_EXECUCAO", "FINALIZADA"):
        assert _estrito(estrito, 10, status).status_code == 200
    estrito.mover_os(10, "ENTREGUE", usuario_id=3)  # the service's own UI
    entregue = _estrito(estrito, 10, "FINALIZADA")
    assert (entregue.status_code, entregue.json()) == (400, {"detail": "OS já foi entregue"})

    url = f"{estrito.url}/veiculos/0/ordens_servico/10/status"
    com_token = {"Authorization": f"Bearer {estrito.token(sub=42)}"}
    atual = requests.get(url, headers=com_token, timeout=TIMEOUT)
    assert atual.json() == {"ordem_servico_id": 10, "status": "ENTREGUE"}
    com_aud = {"Authorization": f"Bearer {_token(sub='42')}"}
    assert requests.get(url, headers=com_aud, timeout=TIMEOUT).status_code == 401
    registros = [(r["status"], r["status_http"]) for r in estrito.recebidos(10)]
    assert registros[:2] == [("EM_DIAGNOSTICO", 200), ("EM_DIAGNOSTICO", 400)]


def test_estrito_os_desconhecida_e_500_no_patch_e_404_no_get(estrito: OSStandIn) -> None:
    resposta = _estrito(estrito, 999, "EM_DIAGNOSTICO")
    assert resposta.status_code == 500
    assert "999" in resposta.json()["detail"]

    url = f"{estrito.url}/ordens_servico/999/status"
    com_token = {"Authorization": f"Bearer {estrito.token()}"}
    consulta = requests.get(url, headers=com_token, timeout=TIMEOUT)
    assert consulta.status_code == 404 and "999" in consulta.json()["detail"]


def test_estrito_bug_aprovacao_responde_500_sem_mudar_o_status(estrito: OSStandIn) -> None:
    estrito.criar_os(20)
    assert _estrito(estrito, 20, "EM_DIAGNOSTICO").status_code == 200
    estrito.modo("bug_aprovacao", n=1)

    falha = _estrito(estrito, 20, "AGUARDANDO_APROVACAO")

    assert falha.status_code == 500
    assert falha.json() == {"detail": "Erro ao processar transição para AGUARDANDO_APROVACAO"}
    assert estrito.status_os(20) == "EM_DIAGNOSTICO"
    assert estrito.recebidos()[-1]["modo"] == "bug_aprovacao"
    assert _estrito(estrito, 20, "AGUARDANDO_APROVACAO").status_code == 200  # n=1 used up
    assert estrito.modo_atual() == {"modo": "ok", "n": None}


def test_ordens_pela_api_de_controle(servico: OSStandIn) -> None:
    controle = f"{servico.url}/_controle/ordens"

    criada = requests.post(controle, json={"ordem_servico_id": 4040}, timeout=TIMEOUT)
    assert criada.status_code == 201
    assert criada.json()["status"] == "RECEBIDA" and criada.json()["prioridade"] == "NORMAL"
    repetida = requests.post(controle, json={"ordem_servico_id": 4040}, timeout=TIMEOUT)
    assert repetida.status_code == 409
    assert {"ordem_servico_id": 4040, "status": "RECEBIDA", "prioridade": "NORMAL"} in (
        requests.get(controle, timeout=TIMEOUT).json()
    )

    def mover(ordem_servico_id: int, **corpo: Any) -> requests.Response:
        url = f"{controle}/{ordem_servico_id}/status"
        return requests.post(url, json=corpo, timeout=TIMEOUT)

    assert mover(4040, status="EM_EXECUCAO", usuario_id=1).status_code == 400
    assert mover(4040, status="EM_DIAGNOSTICO").status_code == 422  # who did it?
    assert mover(4041, status="EM_DIAGNOSTICO", usuario_id=1).status_code == 404
    movida = mover(4040, status="EM_DIAGNOSTICO", usuario_id=1)
    assert movida.json() == {"ordem_servico_id": 4040, "status": "EM_DIAGNOSTICO", "chamadas": []}


# --- Strict mode: the callbacks to our API --------------------------------------------------------


@pytest.fixture
def nossa_api() -> Iterator[SimpleNamespace]:
    """Plays the app's JSON API on a real port: records each call, answers 200 (or `respostas`)."""
    app = Flask("nossa_api")
    api = SimpleNamespace(pedidos=[], respostas={})

    @app.before_request
    def registrar() -> None:
        corpo = request.get_json(silent=True)
        autorizacao = request.headers.get("Authorization")
        api.pedidos.append((request.method, request.path, corpo, autorizacao))

    @app.get("/fila-execucao/ordem-servico/<int:ordem_servico_id>")
    def por_os(ordem_servico_id: int) -> Any:
        return {"fila_id": f"fila-{ordem_servico_id}", "ordem_servico_id": ordem_servico_id}

    @app.post("/fila-execucao")
    def adicionar() -> Any:
        return {"fila_id": f"fila-{request.get_json()['ordem_servico_id']}"}, 201

    @app.post("/fila-execucao/<fila_id>/<passo>")
    def passo(fila_id: str, passo: str) -> Any:
        return {"fila_id": fila_id}, api.respostas.get(passo, 200)

    servidor = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=servidor.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{servidor.server_port}"
    try:
        yield api
    finally:
        servidor.shutdown()
        thread.join(timeout=5)


def test_estrito_chama_nossa_api_sem_token_antes_de_responder(nossa_api: SimpleNamespace) -> None:
    nossa_api.respostas["iniciar-diagnostico"] = 409  # our side already did this step
    with OSStandIn(SEGREDO, strict=True, url_execucao=nossa_api.url + "/") as estrito:
        criada = estrito.criar_os(30, prioridade="ALTA", placa="ABC1D23")
        assert [c["status_http"] for c in criada["chamadas"]] == [201]

        assert _estrito(estrito, 30, "EM_DIAGNOSTICO", sub="42").status_code == 200
        assert len(nossa_api.pedidos) == 3  # the callback ran before the answer
        estrito.mover_os(30, "AGUARDANDO_APROVACAO", usuario_id=7)
        pela_ui = requests.post(
            f"{estrito.url}/_controle/ordens/30/status",
            json={"status": "EM_EXECUCAO", "usuario_id": 7},
            timeout=TIMEOUT,
        )
        assert pela_ui.status_code == 200 and len(pela_ui.json()["chamadas"]) == 2
        assert estrito.mover_os(30, "FINALIZADA", usuario_id=7)["chamadas"] == []
        estrito.mover_os(30, "ENTREGUE", usuario_id=7)
        chamadas = estrito.chamadas()
        pela_http = requests.get(f"{estrito.url}/_controle/chamadas", timeout=TIMEOUT).json()

    busca = ("GET", "/fila-execucao/ordem-servico/30", None, None)  # no token on any call
    fila = "/fila-execucao/fila-30"
    assert nossa_api.pedidos == [
        ("POST", "/fila-execucao", {"ordem_servico_id": 30, "prioridade": "ALTA"}, None),
        busca,
        ("POST", f"{fila}/iniciar-diagnostico", {"mecanico_responsavel_id": 42}, None),
        busca,
        (
            "POST",
            "/fila-execucao/fila-30/finalizar-diagnostico",
            {"diagnostico": "Diagnóstico registrado no sistema de OS."},
            None,
        ),
        busca,
        ("POST", "/fila-execucao/fila-30/iniciar-reparo", {"mecanico_responsavel_id": 7}, None),
        busca,
        ("POST", "/fila-execucao/fila-30/finalizar-reparo", {}, None),
    ]
    assert [(c["metodo"], c["status_http"], c["erro"]) for c in chamadas][:3] == [
        ("POST", 201, None),
        ("GET", 200, None),
        ("POST", 409, None),  # expected: not an error
    ]
    assert all(c["erro"] is None for c in chamadas) and len(chamadas) == 9
    assert pela_http == chamadas


def test_estrito_registra_falhas_da_chamada_e_muda_o_status_mesmo_assim() -> None:
    fechada = f"http://127.0.0.1:{localdb.free_port()}"
    with OSStandIn(SEGREDO, strict=True, url_execucao=fechada) as estrito:
        criada = estrito.criar_os(50)
        assert _estrito(estrito, 50, "EM_DIAGNOSTICO").status_code == 200

        [criacao, busca] = estrito.chamadas()
        assert criada["chamadas"] == [criacao]
        assert (busca["metodo"], busca["status_http"]) == ("GET", None)
        assert "ConnectionError" in busca["erro"]
        assert estrito.status_os(50) == "EM_DIAGNOSTICO"


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


def test_cli_estrito() -> None:
    porta = localdb.free_port()
    processo = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "os_standin.py"), "--port", str(porta)]
        + ["--secret", SEGREDO, "--estrito", "--url-execucao", "http://127.0.0.1:1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert processo.stdout is not None
        url = json.loads(processo.stdout.readline())["url"]
        saude = requests.get(f"{url}/_controle/saude", timeout=TIMEOUT).json()
        assert saude["estrito"] is True
        corpo = {"ordem_servico_id": 3}
        criada = requests.post(f"{url}/_controle/ordens", json=corpo, timeout=TIMEOUT).json()
        assert "ConnectionError" in criada["chamadas"][0]["erro"]  # nobody on port 1
        resposta = requests.patch(
            f"{url}/ordens_servico/3/status",
            json={"status": "EM_DIAGNOSTICO"},
            headers={"Authorization": f"Bearer {_token()}"},  # carries aud
            timeout=TIMEOUT,
        )
        assert resposta.status_code == 401
        processo.send_signal(signal.SIGTERM)
        assert processo.wait(timeout=5) == 0
    finally:
        if processo.poll() is None:
            processo.kill()
            processo.wait()
        if processo.stdout is not None:
            processo.stdout.close()
