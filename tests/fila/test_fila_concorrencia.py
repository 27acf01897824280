"""Two tablets racing on the same card: exactly one step happens."""

from __future__ import annotations

import threading
from collections import Counter

import requests

from tests.helpers import TOKEN_SERVICO
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
