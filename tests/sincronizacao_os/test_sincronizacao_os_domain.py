"""The pure rules of delivery to the OS service: events, backoff, outcomes, the item's state,
and the settings that drive them."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from webapp.fila import outbox
from webapp.fila.domain import PASSOS, Acao, Papel, planejar_passo, pode
from webapp.logs import trace_de
from webapp.settings import ConfigError, load_settings
from webapp.sincronizacao_os import domain as entrega
from webapp.sincronizacao_os.domain import Desfecho

AGORA = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
DADOS = {
    Acao.INICIAR_DIAGNOSTICO: {"mecanico_responsavel_id": 7},
    Acao.FINALIZAR_DIAGNOSTICO: {"diagnostico": "Correia"},
}


@pytest.mark.parametrize("acao", list(PASSOS))
def test_cada_passo_diz_o_seu_evento_na_mesma_mudanca(acao: Acao) -> None:
    planos = planejar_passo(acao, DADOS.get(acao, {}), "ana", AGORA)
    # Budget approval tells the OS service nothing (None).
    assert {m.evento_os for m in planos} == {PASSOS[acao].evento_os}


def test_evento_novo_pendente_com_a_origem() -> None:
    evento = outbox.novo_evento("EM_DIAGNOSTICO", AGORA, "req-1", {"traceparent": "00-abc-01"})
    assert evento["status"] == "EM_DIAGNOSTICO" and evento["estado"] == "pendente"
    assert evento["criado_em"] == evento["proxima_tentativa"] == AGORA
    assert evento["request_id"] == "req-1"
    assert evento["trace"] == {"traceparent": "00-abc-01"}


def test_iniciar_reparo_com_aprovacao_manda_so_em_execucao() -> None:
    planos = planejar_passo(Acao.INICIAR_REPARO, {}, "os", AGORA, aprovar_se_preciso=True)
    assert [m.evento_os for m in planos] == ["EM_EXECUCAO", "EM_EXECUCAO"]


def test_mapeamento_de_status_do_contrato() -> None:
    assert {a: p.evento_os for a, p in PASSOS.items()} == {
        Acao.INICIAR_DIAGNOSTICO: "EM_DIAGNOSTICO",
        Acao.FINALIZAR_DIAGNOSTICO: "AGUARDANDO_APROVACAO",
        Acao.APROVAR_ORCAMENTO: None,
        Acao.INICIAR_REPARO: "EM_EXECUCAO",
        Acao.FINALIZAR_REPARO: "FINALIZADA",
    }


def test_reenviar_e_acao_de_gerente() -> None:
    assert not pode(Papel.MECANICO, Acao.REENVIAR_OS)
    assert pode(Papel.GERENTE, Acao.REENVIAR_OS) and pode(Papel.ADMIN, Acao.REENVIAR_OS)


def test_trace_de_pega_so_os_cabecalhos_de_rastreio() -> None:
    cabecalhos = {"Traceparent": "00-x", "X-Datadog-Trace-Id": "1", "Authorization": "Bearer y"}
    assert trace_de(cabecalhos) == {"traceparent": "00-x", "x-datadog-trace-id": "1"}


def test_backoff_exponencial_com_jitter_total_e_teto() -> None:
    rng = random.Random(7)
    for tentativa, teto in ((1, 1.0), (2, 2.0), (3, 4.0), (10, 300.0), (40, 300.0)):
        amostras = [entrega.espera_retentativa(tentativa, 1.0, 300.0, rng) for _ in range(200)]
        assert all(0 <= a <= teto for a in amostras)
        assert max(amostras) > teto * 0.8  # spread over the whole range (full jitter)


def test_retry_after_em_segundos_ou_data_http() -> None:
    assert entrega.ler_retry_after("7", AGORA) == 7
    data = format_datetime(AGORA + timedelta(seconds=30), usegmt=True)
    assert entrega.ler_retry_after(data, AGORA) == 30
    assert entrega.ler_retry_after("ontem", AGORA) is None
    assert entrega.ler_retry_after(None, AGORA) is None
    # Digits of other scripts ("²", which str.isdigit takes and float() refuses) are no number:
    # the dispatcher's turn broke on them, unrecorded, and the OS service was asked every 30 s.
    assert entrega.ler_retry_after("²", AGORA) is None
    assert entrega.ler_retry_after("١٢", AGORA) is None
    assert entrega.ler_retry_after("Fri, 31 Dec 99999 23:59:59 GMT", AGORA) is None


@pytest.mark.parametrize(
    ("status", "desfecho"),
    [
        (200, Desfecho.ENVIADO),
        (204, Desfecho.ENVIADO),
        (500, Desfecho.RETENTAR),
        (503, Desfecho.RETENTAR),
        (408, Desfecho.RETENTAR),
        (429, Desfecho.RETENTAR),
        (400, Desfecho.FALHOU),
        (401, Desfecho.FALHOU),
        (404, Desfecho.FALHOU),
        (409, Desfecho.FALHOU),
        (422, Desfecho.FALHOU),
        (302, Desfecho.FALHOU),
    ],
)
def test_classificacao_das_respostas(status: int, desfecho: Desfecho) -> None:
    resultado = entrega.classificar_resposta(status, "detalhe", None, AGORA)
    assert resultado.desfecho is desfecho and resultado.http_status == status
    if desfecho is not Desfecho.ENVIADO:
        assert resultado.motivo == f"HTTP {status}: detalhe"


def test_erro_de_rede_e_sempre_tentado_de_novo() -> None:
    resultado = entrega.classificar_erro_rede("conexão recusada", False, incerto=False)
    assert resultado.desfecho is Desfecho.RETENTAR and resultado.fora_do_ar
    assert "conexão recusada" in (resultado.motivo or "") and not resultado.incerto
    perdida = entrega.classificar_erro_rede("ReadTimeout", True, incerto=True)
    assert perdida.desfecho is Desfecho.RETENTAR and perdida.incerto


def test_500_com_resposta_da_aplicacao_e_recusa_nao_queda() -> None:
    recusa = entrega.classificar_resposta(
        500, "Erro ao processar", None, AGORA, erro_da_aplicacao=True
    )
    assert recusa.desfecho is Desfecho.FALHOU and not recusa.fora_do_ar
    assert recusa.motivo == "HTTP 500: Erro ao processar"
    queda = entrega.classificar_resposta(500, "Internal Server Error", None, AGORA)
    assert queda.desfecho is Desfecho.RETENTAR and queda.fora_do_ar
    gateway = entrega.classificar_resposta(502, "x", None, AGORA, erro_da_aplicacao=True)
    assert gateway.desfecho is Desfecho.RETENTAR


def test_ordem_dos_status_do_sistema_de_os() -> None:
    assert entrega.ja_chegou("ENTREGUE", "FINALIZADA")
    assert entrega.ja_chegou("EM_EXECUCAO", "EM_EXECUCAO")
    assert not entrega.ja_chegou("EM_DIAGNOSTICO", "AGUARDANDO_APROVACAO")
    assert not entrega.ja_chegou(None, "EM_DIAGNOSTICO")
    assert not entrega.ja_chegou("DESCONHECIDO", "EM_DIAGNOSTICO")


def test_erro_local_falha_na_hora_sem_contar_como_queda() -> None:
    resultado = entrega.erro_local("InvalidHeader")
    assert resultado.desfecho is Desfecho.FALHOU and not resultado.fora_do_ar


def _evento(**campos: object) -> dict[str, object]:
    return {**outbox.novo_evento("EM_DIAGNOSTICO", AGORA, "r", {}), **campos}


def test_proximo_passo_respeita_retry_after_e_o_prazo() -> None:
    resultado = entrega.classificar_resposta(429, "", "60", AGORA)
    campos = entrega.proximo_passo(
        resultado, _evento(), AGORA, base_s=0.01, maximo_s=0.02, prazo_s=86_400
    )
    assert campos["estado"] == "pendente" and campos["tentativas"] == 1
    assert campos["proxima_tentativa"] >= AGORA + timedelta(seconds=60)

    # Near the end of the window: one last try at its very end, then failure.
    depois = AGORA + timedelta(seconds=99)
    campos = entrega.proximo_passo(
        resultado, _evento(), depois, base_s=0.01, maximo_s=0.02, prazo_s=100
    )
    assert campos["proxima_tentativa"] == AGORA + timedelta(seconds=100)
    fim = AGORA + timedelta(seconds=100)
    campos = entrega.proximo_passo(resultado, _evento(), fim, base_s=1, maximo_s=2, prazo_s=100)
    assert campos["estado"] == "falhou"
    assert campos["ultimo_erro"].startswith(entrega.PRAZO_ESGOTADO)
    # A Retry-After past any date (10^13 s, or digits without end): the window's end, not an
    # OverflowError that left the attempt unrecorded.
    for enorme in ("9999999999999", "9" * 400):
        resultado = entrega.classificar_resposta(429, "", enorme, AGORA)
        campos = entrega.proximo_passo(
            resultado, _evento(), AGORA, base_s=1, maximo_s=2, prazo_s=86_400
        )
        assert campos["estado"] == "pendente" and campos["tentativas"] == 1
        assert campos["proxima_tentativa"] == AGORA + timedelta(seconds=86_400)


def test_resumo_do_item() -> None:
    enviado = _evento(seq=1, estado="enviado", enviado_em=AGORA, tentativas=2)
    pendente = _evento(seq=2, tentativas=1, ultimo_erro="HTTP 500")
    falhou = _evento(seq=2, estado="falhou", tentativas=1, ultimo_erro="HTTP 404: x")
    assert outbox.resumo({}, True)["status"] == "sincronizado"
    assert outbox.resumo({"eventos_os": [enviado]}, True) == {
        "status": "sincronizado",
        "pendentes": 0,
        "tentativas": 2,
        "proxima_tentativa": None,
        "ultimo_erro": None,
        "sincronizado_em": AGORA,
    }
    estado = outbox.resumo({"eventos_os": [enviado, pendente]}, True)
    assert (estado["status"], estado["tentativas"], estado["ultimo_erro"]) == (
        "pendente",
        1,
        "HTTP 500",
    )
    assert estado["proxima_tentativa"] == AGORA
    assert outbox.resumo({"eventos_os": [enviado, pendente]}, False)["status"] == "desligada"
    estado = outbox.resumo({"eventos_os": [enviado, falhou, _evento(seq=3)]}, True)
    assert (estado["status"], estado["pendentes"]) == ("falhou", 2)


# --- Settings ---------------------------------------------------------------------------------


def test_padroes_da_sincronizacao() -> None:
    s = load_settings({})
    assert s.url_api_os is None
    assert s.os_path_template == "/ordens_servico/{ordem_servico_id}/status"
    assert s.os_token_sub == "fila-execucao"
    assert s.os_prazo_retentativas_s == 24 * 3600 and s.os_retentativa_max_ms == 300_000
    assert s.os_sync_thread is True
    assert s.os_token_com_aud is True and s.os_token_aud == "oficina-os" != s.jwt_audience


def test_sem_aud_no_token_enviado_as_audiencias_podem_coincidir() -> None:
    s = load_settings({"OS_TOKEN_COM_AUD": "false", "JWT_AUDIENCE": "oficina-os"})
    assert s.os_token_com_aud is False


def test_le_os_nomes_da_sincronizacao() -> None:
    s = load_settings(
        {
            "URL_API_OS": "http://os:8000",
            "OS_PATH_TEMPLATE": "/veiculos/0/ordens_servico/{ordem_servico_id}/status",
            "OS_TOKEN_SUB": "oficina-execucao",
            "OS_SYNC_THREAD": "false",
            "OS_PRAZO_RETENTATIVAS_S": "3600",
        }
    )
    assert s.os_path_template.startswith("/veiculos/0/") and s.os_token_sub == "oficina-execucao"
    assert s.os_sync_thread is False and s.os_prazo_retentativas_s == 3600


@pytest.mark.parametrize(
    ("env", "trecho"),
    [
        ({"URL_API_OS": "os:8000"}, "URL_API_OS"),
        ({"OS_PATH_TEMPLATE": "/ordens_servico/status"}, "OS_PATH_TEMPLATE"),
        ({"OS_PATH_TEMPLATE": "/os/{id}/status"}, "OS_PATH_TEMPLATE"),
        ({"OS_PATH_TEMPLATE": "ordens_servico/{ordem_servico_id}"}, "OS_PATH_TEMPLATE"),
        ({"OS_TOKEN_SUB": " "}, "OS_TOKEN_SUB"),
        ({"OS_LEASE_MS": "3000"}, "OS_LEASE_MS"),  # not longer than connect + read timeouts
        # nor than the 3 calls of an attempt (2 s + 5 s each)
        ({"OS_LEASE_MS": "21000"}, "OS_LEASE_MS deve ser maior que 3 × "),
        ({"OS_RETENTATIVA_MAX_MS": "10"}, "OS_RETENTATIVA_MAX_MS"),
        ({"OS_TIMEOUT_LEITURA_MS": "0"}, "OS_TIMEOUT_LEITURA_MS"),
        # The token sent to the OS service never carries our own audience...
        ({"OS_TOKEN_AUD": "oficina-api"}, "OS_TOKEN_AUD deve ser diferente de JWT_AUDIENCE"),
        ({"JWT_AUDIENCE": "oficina-os"}, "OS_TOKEN_AUD deve ser diferente de JWT_AUDIENCE"),
        ({"OS_TOKEN_AUD": "x", "JWT_AUDIENCE": "x"}, "OS_TOKEN_AUD deve ser diferente"),
        # ...nor claims that only the app sets.
        ({"OS_TOKEN_CLAIMS": "uso_token=outro"}, "OS_TOKEN_CLAIMS não pode definir uso_token"),
        ({"OS_TOKEN_CLAIMS": "role=gerente,aud=oficina-api"}, "aud, role"),
    ],
)
def test_configuracao_invalida_da_sincronizacao(env: dict[str, str], trecho: str) -> None:
    with pytest.raises(ConfigError, match=trecho):
        load_settings(env)


def test_lease_sem_valor_acompanha_os_tempos_limite() -> None:
    """The setup the README gives for the real OS service (a 15 s read timeout, no
    OS_LEASE_MS) starts: the lease, unset, outlasts an attempt's three calls by 5 s."""
    base = {"URL_API_OS": "http://os:8000"}
    assert load_settings({**base, "OS_TIMEOUT_LEITURA_MS": "15000"}).lease_os_ms == 56_000
    assert load_settings(base).lease_os_ms == 30_000  # 3 × 7 s + 5 s: the floor
    assert load_settings({**base, "OS_LEASE_MS": "60000"}).lease_os_ms == 60_000


def test_palavras_do_servico_de_os_sem_caracteres_invisiveis() -> None:
    """What the OS service answers is shown on managers' cards, in the board's banner and in
    the API: a NUL, an escape or a bidi override (which turns the banner's line around) are
    dropped, as they are from people's text; line breaks and tabs become single spaces."""
    corpo = "\u202eLIVE\u202c a\nb\x00c\x1b[31m\tfim"
    resultado = entrega.classificar_resposta(422, corpo, None, AGORA)
    assert resultado.motivo == "HTTP 422: LIVE a bc[31m fim"
