"""Both directions against the stand-in in strict mode, which behaves like the shop's real OS
service: no-`aud` tokens with an integer `sub`, one step forward only (400 on a repeat or an
older status), synchronous callbacks to our API without a token, no Idempotency-Key.

The app is configured as the README's "Ligando ao sistema de OS da oficina" says, and served
over real HTTP so the stand-in can call it back.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from flask import Flask

from scripts.os_standin import OSStandIn, Recusa
from tests.helpers import Api, servidor_http
from webapp.components import componente
from webapp.fila.queries import FilaQueries
from webapp.settings import Settings
from webapp.sincronizacao_os.link import OsLink

SEGREDO = "segredo-de-teste-com-mais-de-32-caracteres"
USUARIO_OS = 7  # the OS service's user our token speaks for (its usuario_id)


class Oficina:
    """The strict OS service and our app, wired to each other."""

    def __init__(self, os_servico: OSStandIn, app: Flask, base: str, settings: Settings) -> None:
        self.os = os_servico
        self.app = app
        self.base = base
        self.api = Api(app.test_client(), settings, role="gerente")

    def item(self, os_id: int) -> dict[str, Any]:
        r = self.api.get(f"/fila-execucao/ordem-servico/{os_id}")
        assert r.status_code == 200, r.json
        return r.json

    def esperar(self, os_id: int, condicao: Callable[[dict], bool], prazo: float = 10) -> dict:
        limite = time.monotonic() + prazo
        while True:
            item = self.item(os_id)
            if condicao(item) or time.monotonic() > limite:
                return item
            time.sleep(0.05)

    def sem_pendencias(self, os_id: int) -> dict[str, Any]:
        return self.esperar(os_id, lambda i: i["sincronizacao_os"]["pendentes"] == 0)


def _configuracao(base_os: str) -> dict[str, Any]:
    """Our side of the README's settings for the shop's OS service."""
    return {
        "url_api_os": base_os,
        "os_path_template": "/veiculos/0/ordens_servico/{ordem_servico_id}/status",
        "os_token_com_aud": False,
        "os_token_sub": str(USUARIO_OS),
        "jwt_require_audience": False,
        "os_redes_confiaveis": "127.0.0.1/32",
        "os_timeout_leitura_ms": 15_000,
        "os_retentativa_base_ms": 50,
        "os_retentativa_max_ms": 200,
        "os_sync_intervalo_ms": 50,
        "os_alerta_fora_s": 0,  # any outage would show the banner at once
    }


@pytest.fixture
def oficina(make_app: Callable[..., Flask], settings: Settings) -> Iterator[Oficina]:
    with OSStandIn(SEGREDO, strict=True) as os_servico:
        app = make_app(**_configuracao(os_servico.url))
        with servidor_http(app) as base:
            os_servico.url_execucao = base
            yield Oficina(os_servico, app, base, settings)


def _eventos(item: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["status"], e["estado"]) for e in item["eventos_os"]]


def test_os_criada_sem_token_entra_pela_rede_confiavel(oficina: Oficina) -> None:
    criada = oficina.os.criar_os(5001, prioridade="ALTA")
    (chamada,) = criada["chamadas"]
    assert (chamada["metodo"], chamada["status_http"]) == ("POST", 201)
    item = oficina.item(5001)
    assert (item["status"], item["prioridade"]) == ("AGUARDANDO", "ALTA")
    assert item["historico"][0]["por"] == "sistema-os"


def test_sem_token_fora_da_rede_confiavel_e_recusado(make_app, settings: Settings) -> None:
    with OSStandIn(SEGREDO, strict=True) as os_servico:
        app = make_app(**{**_configuracao(os_servico.url), "os_redes_confiaveis": "10.0.0.0/8"})
        with servidor_http(app) as base:
            os_servico.url_execucao = base
            (chamada,) = os_servico.criar_os(5002)["chamadas"]
            assert chamada["status_http"] == 401
        assert componente(FilaQueries, app).obter_por_os(5002) is None
    # Nor does a token-less call from a trusted network reach a manager's action.
    livre = make_app(os_redes_confiaveis="127.0.0.0/8").test_client()
    assert livre.post("/fila-execucao", json={"ordem_servico_id": 5003}).status_code == 201
    fila_id = componente(FilaQueries, livre.application).obter_por_os(5003)["_id"]
    r = livre.patch(f"/fila-execucao/{fila_id}/prioridade", json={"prioridade": "URGENTE"})
    assert r.status_code == 403
    assert livre.delete(f"/fila-execucao/{fila_id}").status_code == 403


def test_x_forwarded_for_forjado_nao_vira_rede_confiavel(make_app) -> None:
    """Over real sockets: only a peer in TRUSTED_PROXY_NETWORKS is believed about the client's
    address, so a token-less call from 127.0.0.2 claiming 127.0.0.1 is not the OS service."""
    app = make_app(os_redes_confiaveis="127.0.0.1/32", trusted_proxy_networks="127.0.0.3/32")

    def adicionar(porta: int, origem: str, os_id: int, encaminhado: str | None) -> int:
        conexao = http.client.HTTPConnection(
            "127.0.0.1", porta, timeout=5, source_address=(origem, 0)
        )
        cabecalhos = {"Content-Type": "application/json"}
        if encaminhado is not None:
            cabecalhos["X-Forwarded-For"] = encaminhado
        corpo = json.dumps({"ordem_servico_id": os_id})
        conexao.request("POST", "/fila-execucao", body=corpo, headers=cabecalhos)
        try:
            return conexao.getresponse().status
        finally:
            conexao.close()

    with servidor_http(app) as base:
        porta = int(base.rsplit(":", 1)[1])
        assert adicionar(porta, "127.0.0.2", 5004, "127.0.0.1") == 401  # forged, not a proxy
        assert adicionar(porta, "127.0.0.3", 5005, "127.0.0.1, 198.51.100.7") == 401
        assert adicionar(porta, "127.0.0.3", 5006, "127.0.0.1") == 201  # the proxy vouches
        assert adicionar(porta, "127.0.0.1", 5007, None) == 201  # the OS service, directly
    fila = componente(FilaQueries, app)
    assert [fila.obter_por_os(n) is not None for n in (5004, 5005, 5006, 5007)] == [
        False, False, True, True,
    ]  # fmt: skip


def test_token_de_cliente_sem_papel_e_recusado(oficina: Oficina) -> None:
    """The OS service's login tokens (customers' too): sub, iss, exp; no role, no aud."""
    token = oficina.os.token(sub="42")
    r = requests.get(
        f"{oficina.base}/fila-execucao", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    assert r.status_code == 403 and "integrações configuradas" in r.json()["detail"]


def test_o_sistema_de_os_leva_a_ordem_ate_o_fim_sem_ecos(oficina: Oficina) -> None:
    oficina.os.criar_os(5010)
    for status in (
        "EM_DIAGNOSTICO",
        "AGUARDANDO_APROVACAO",
        "EM_EXECUCAO",
        "FINALIZADA",
        "ENTREGUE",
    ):
        movida = oficina.os.mover_os(5010, status, usuario_id=USUARIO_OS)
        assert all(c["erro"] is None for c in movida["chamadas"]), movida
    item = oficina.sem_pendencias(5010)
    assert item["status"] == "FINALIZADA" and item["orcamento_aprovado"] is True
    assert item["mecanico_responsavel_id"] == USUARIO_OS
    assert item["sincronizacao_os"]["status"] == "sincronizado"
    assert _eventos(item) == [
        ("EM_DIAGNOSTICO", "enviado"),
        ("AGUARDANDO_APROVACAO", "enviado"),
        ("EM_EXECUCAO", "enviado"),
        ("FINALIZADA", "enviado"),
    ]
    time.sleep(0.3)  # a dispatcher that wanted to echo would have done it by now
    assert oficina.os.recebidos() == []  # nothing pushed back


def test_passos_nossos_e_dele_intercalados_nunca_deixam_falha(oficina: Oficina) -> None:
    oficina.os.criar_os(5020)
    fila_id = oficina.item(5020)["fila_id"]
    api = oficina.api

    # Ours: the push moves its OS, which calls us back (409: already done, as expected).
    assert (
        api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 101}).status_code
        == 200
    )
    oficina.sem_pendencias(5020)
    assert oficina.os.status_os(5020) == "EM_DIAGNOSTICO"
    # Both at once: its user finishes the diagnosis there while ours does it here.
    assert (
        api.passo(fila_id, "finalizar-diagnostico", {"diagnostico": "Correia"}).status_code == 200
    )
    try:
        oficina.os.mover_os(5020, "AGUARDANDO_APROVACAO", usuario_id=USUARIO_OS)
    except Recusa:  # our push got there first: its user finds the step already done
        assert oficina.os.status_os(5020) == "AGUARDANDO_APROVACAO"
    oficina.sem_pendencias(5020)
    # Ours again, after the approval.
    assert api.passo(fila_id, "aprovar-orcamento").status_code == 200
    assert api.passo(fila_id, "iniciar-reparo").status_code == 200
    oficina.sem_pendencias(5020)
    assert oficina.os.status_os(5020) == "EM_EXECUCAO"
    # Its user moves on first this time; our finish then meets "Status já é FINALIZADA".
    oficina.os.mover_os(5020, "FINALIZADA", usuario_id=USUARIO_OS)
    assert api.passo(fila_id, "finalizar-reparo").status_code == 200
    oficina.os.mover_os(5020, "ENTREGUE", usuario_id=USUARIO_OS)

    item = oficina.sem_pendencias(5020)
    assert item["status"] == "FINALIZADA"
    assert all(estado == "enviado" for _, estado in _eventos(item)), _eventos(item)
    assert item["sincronizacao_os"]["status"] == "sincronizado"
    assert oficina.os.status_os(5020) == "ENTREGUE"
    recusados = [r for r in oficina.os.recebidos() if r["status_http"] == 400]
    assert recusados, "the repeated status was sent and refused: reconciled, not failed"


def test_resposta_perdida_e_nova_tentativa_termina_entregue(
    make_app: Callable[..., Flask],
) -> None:
    with OSStandIn(SEGREDO, strict=True) as os_servico:
        configuracao = {**_configuracao(os_servico.url), "os_timeout_leitura_ms": 300}
        app = make_app(**configuracao, os_lease_ms=5_000)
        with servidor_http(app) as base:
            os_servico.url_execucao = base
            os_servico.criar_os(5030)
            fila_id = componente(FilaQueries, app).obter_por_os(5030)["_id"]
            os_servico.modo("lento", segundos=0.8, n=1)  # applied, but after we gave up
            api = Api(app.test_client(), componente(Settings, app), role="gerente")
            corpo = {"mecanico_responsavel_id": 101}
            assert api.passo(str(fila_id), "iniciar-diagnostico", corpo).status_code == 200
            limite = time.monotonic() + 10
            while time.monotonic() < limite:
                item = api.get(f"/fila-execucao/{fila_id}").json
                if item["sincronizacao_os"]["pendentes"] == 0:
                    break
                time.sleep(0.05)
            assert _eventos(item) == [("EM_DIAGNOSTICO", "enviado")]
            assert item["eventos_os"][0]["tentativas"] >= 2
            assert os_servico.status_os(5030) == "EM_DIAGNOSTICO"


def test_500_deterministico_aparece_no_cartao_sem_aviso_de_fora_do_ar(
    oficina: Oficina, usuarios_demo, entrar
) -> None:
    oficina.os.criar_os(5040)
    fila_id = oficina.item(5040)["fila_id"]
    api = oficina.api
    api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 101})
    oficina.sem_pendencias(5040)
    oficina.os.modo("bug_aprovacao")
    api.passo(fila_id, "finalizar-diagnostico", {"diagnostico": "Correia"})

    item = oficina.esperar(5040, lambda i: i["sincronizacao_os"]["status"] == "falhou")
    assert item["sincronizacao_os"]["status"] == "falhou"
    erro = item["sincronizacao_os"]["ultimo_erro"]
    assert erro.startswith("HTTP 500") and "AGUARDANDO_APROVACAO" in erro
    situacao = componente(OsLink, oficina.app).situacao()
    assert situacao.falhas == 1 and not situacao.alerta_fora and situacao.fora_desde is None

    gerente = oficina.app.test_client()
    assert entrar(gerente, "gerente", "gerente123").status_code == 302
    quadro = gerente.get("/").text
    assert "envio não concluído — HTTP 500" in quadro and "fora do ar" not in quadro
    assert "Reenviar ao sistema de OS" in quadro
