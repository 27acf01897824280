"""Two tablets racing on the same card: exactly one step happens."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import requests
from flask import Flask

from tests.helpers import TOKEN_SERVICO
from webapp.clock import agora
from webapp.components import componente
from webapp.fila.domain import Acao, Ator, MotivoPausa, Papel, Prioridade
from webapp.fila.service import FilaService
from webapp.settings import Settings
from webapp.tokens import emitir

TENTATIVAS = 20


def _disparar(url: str, headers: dict, corpo: dict) -> list[int]:
    barreira = threading.Barrier(TENTATIVAS)
    codigos: list[int] = []
    trava = threading.Lock()

    def tentar() -> None:
        with requests.Session() as sessao:
            barreira.wait()
            r = sessao.post(url, json=corpo, headers=headers, timeout=30)
        with trava:
            codigos.append(r.status_code)

    threads = [threading.Thread(target=tentar) for _ in range(TENTATIVAS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return codigos


def test_vinte_threads_no_mesmo_passo(live_server: str, settings: Settings) -> None:
    headers = {"Authorization": f"Bearer {emitir(settings, 'tablet', extra=TOKEN_SERVICO)}"}
    r = requests.post(
        f"{live_server}/fila-execucao", json={"ordem_servico_id": 900}, headers=headers, timeout=10
    )
    fila_id = r.json()["fila_id"]

    url = f"{live_server}/fila-execucao/{fila_id}/iniciar-diagnostico"
    codigos = _disparar(url, headers, {"mecanico_responsavel_id": 3})
    assert Counter(codigos) == {200: 1, 409: TENTATIVAS - 1}

    item = requests.get(
        f"{live_server}/fila-execucao/{fila_id}", headers=headers, timeout=10
    ).json()
    assert [h["acao"] for h in item["historico"]] == ["criar", "iniciar_diagnostico"]
    assert item["versao"] == 2


def test_vinte_threads_adicionando_a_mesma_os(live_server: str, settings: Settings) -> None:
    headers = {"Authorization": f"Bearer {emitir(settings, 'os', extra=TOKEN_SERVICO)}"}
    codigos = _disparar(f"{live_server}/fila-execucao", headers, {"ordem_servico_id": 901})
    assert Counter(codigos) == {201: 1, 409: TENTATIVAS - 1}


def test_passo_que_leu_o_relogio_antes_do_anterior_nao_fica_antes_dele(app: Flask) -> None:
    """Racing requests read the clock before their turn: the step applied second may carry
    the earlier time (a diagnosis ended at .399 and a repair begun at .360, the history out
    of order, negative stage times, and an export the importer refuses across a minute).
    Played here without threads: the previous step stored 5 s ahead of this process's clock.
    A step at the clock's now is stored no earlier than it, in every field that holds its
    instant (its dates, the hold's start, the history, the OS event); a step given its own
    instant (an import, a test) keeps it."""
    fila = componente(FilaService, app)
    gerente = Ator("gerente", Papel.GERENTE)
    fila_id = fila.adicionar(901, gerente)["_id"]
    adiante = agora() + timedelta(seconds=5)
    fila.executar(fila_id, Acao.INICIAR_DIAGNOSTICO, gerente, {"mecanico_responsavel_id": 7},
                  instante=adiante)  # fmt: skip
    fila.pausar(fila_id, MotivoPausa.AGUARDANDO_PECAS, None, gerente)
    item = fila.executar(fila_id, Acao.FINALIZAR_DIAGNOSTICO, gerente, {"diagnostico": "x"})
    assert item["dta_fim_diagnostico"] == item["dta_atualizacao"] == adiante
    assert item["etapa_desde"] == adiante
    assert [h["em"] for h in item["historico"][-3:]] == [adiante] * 3
    assert [e["criado_em"] for e in item["eventos_os"]] == [adiante, adiante]
    assert "_agora" not in item
    assert item["pausas_s"]["em_diagnostico"] == 0  # held from .. to the same instant
    # An instant given on purpose is kept, even before the last change.
    antes = adiante - timedelta(hours=1)
    item = fila.alterar_prioridade(fila_id, Prioridade.ALTA, gerente, instante=antes)
    assert item["dta_atualizacao"] == antes and item["historico"][-1]["em"] == antes
