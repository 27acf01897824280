"""Assigning the mechanic: one conditional pipeline update whose history keeps the exact previous
mechanic, through the service and `POST /fila-execucao/{fila_id}/atribuir`, on the real mongod."""

from __future__ import annotations

import threading
from collections import Counter

import requests
from flask import Flask

from tests.helpers import TOKEN_SERVICO, Api
from webapp.components import componente
from webapp.fila.service import FilaService
from webapp.settings import Settings
from webapp.tokens import emitir


def atribuir(api: Api, fila_id: str, mecanico: object):
    corpo = {"mecanico_responsavel_id": mecanico}
    return api.post(f"/fila-execucao/{fila_id}/atribuir", json=corpo)


def test_gerente_atribui_e_troca_com_historico_exato(api: Api) -> None:
    fila_id = api.criar(10)["fila_id"]
    gerente = api.como("gerente")
    r = atribuir(gerente, fila_id, 101)  # before the diagnosis: a pre-assignment
    assert r.status_code == 200, r.json
    assert r.json["mecanico_responsavel_id"] == 101 and r.json["versao"] == 2
    entrada = r.json["historico"][-1]
    assert (entrada["acao"], entrada["de"], entrada["para"], entrada["por"]) == (
        "atribuir", None, 101, "teste-gerente",
    )  # fmt: skip

    api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 102})
    r = atribuir(api, fila_id, 103)  # an integration may too
    assert r.status_code == 200
    assert (r.json["historico"][-1]["de"], r.json["historico"][-1]["para"]) == (102, 103)
    assert r.json["status"] == "EM_DIAGNOSTICO"  # nothing else changes
    assert api.get(f"/fila-execucao/{fila_id}").json["mecanico_responsavel_id"] == 103


def test_mesmo_mecanico_ou_ordem_finalizada_da_409(api: Api) -> None:
    fila_id = api.criar(11)["fila_id"]
    assert atribuir(api, fila_id, 5).status_code == 200
    r = atribuir(api, fila_id, 5)
    assert r.status_code == 409
    assert r.json == {
        "detail": "Não é possível atribuir o mecânico: este mecânico já é o responsável."
    }
    api.levar_ate(fila_id, "finalizar-reparo")
    r = atribuir(api, fila_id, 6)
    assert r.status_code == 409
    assert r.json["detail"] == "Não é possível atribuir o mecânico: a ordem já foi finalizada."
    assert api.get(f"/fila-execucao/{fila_id}").json["mecanico_responsavel_id"] == 7


def test_mecanico_e_sistema_de_os_nao_atribuem(api: Api, make_app) -> None:
    fila_id = api.criar(12)["fila_id"]
    r = atribuir(api.como("mecanico"), fila_id, 101)
    assert r.status_code == 403
    assert r.json == {"detail": "Apenas um gerente pode atribuir o mecânico."}
    # The OS service (no token, trusted network) may take steps, never assign.
    sistema = make_app(os_redes_confiaveis="127.0.0.0/8").test_client()
    r = sistema.post(f"/fila-execucao/{fila_id}/atribuir", json={"mecanico_responsavel_id": 9})
    assert r.status_code == 403
    assert api.get(f"/fila-execucao/{fila_id}").json["mecanico_responsavel_id"] is None


def test_corpo_invalido_e_id_desconhecido(api: Api) -> None:
    fila_id = api.criar(13)["fila_id"]
    for corpo, trecho in (
        ({}, "mecanico_responsavel_id: campo obrigatório"),
        ({"mecanico_responsavel_id": "7"}, "deve ser um número inteiro"),
        ({"mecanico_responsavel_id": 0}, "deve ser maior que 0"),
        ({"mecanico_responsavel_id": True}, "deve ser um número inteiro"),
    ):
        r = api.post(f"/fila-execucao/{fila_id}/atribuir", json=corpo)
        assert r.status_code == 400 and trecho in r.json["detail"], r.json
    assert atribuir(api, "0" * 24, 7).status_code == 404
    assert atribuir(api, "nao-e-id", 7).status_code == 404


def test_trocas_concorrentes_mantem_a_cadeia_do_historico(
    live_server: str, settings: Settings, app: Flask
) -> None:
    """Ten managers reassign at once: every change applies, and each history entry's `de` is
    exactly the `para` of the one before (no read-then-write could promise that)."""
    headers = {"Authorization": f"Bearer {emitir(settings, 'os', extra=TOKEN_SERVICO)}"}
    fila_id = requests.post(
        f"{live_server}/fila-execucao", json={"ordem_servico_id": 14}, headers=headers, timeout=10
    ).json()["fila_id"]
    barreira = threading.Barrier(10)
    codigos: list[int] = []

    def trocar(mecanico: int) -> None:
        barreira.wait()
        r = requests.post(
            f"{live_server}/fila-execucao/{fila_id}/atribuir",
            json={"mecanico_responsavel_id": mecanico},
            headers=headers,
            timeout=30,
        )
        codigos.append(r.status_code)

    threads = [threading.Thread(target=trocar, args=(100 + n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counter(codigos) == {200: 10}
    item = componente(FilaService, app).obter(fila_id)
    trocas = [h for h in item["historico"] if h["acao"] == "atribuir"]
    assert len(trocas) == 10 and trocas[0]["de"] is None
    assert all(
        depois["de"] == antes["para"] for antes, depois in zip(trocas, trocas[1:], strict=False)
    )
    assert item["mecanico_responsavel_id"] == trocas[-1]["para"] and item["versao"] == 11


def test_passo_do_gerente_pelo_mecanico_recusado_se_trocaram_o_mecanico_no_meio(
    app: Flask, api: Api
) -> None:
    """A manager's step taken for the order's mechanic holds only while it is still them: a
    reassignment between the service's read of the mechanic and its update refuses the step
    (never undoes the reassignment), naming the reassignment as what was in its way, not the
    last step. The service here is the app's, with its queries' read followed at once by
    another manager's reassignment (the interleaving made certain, on the real mongod)."""
    from webapp.fila.domain import Acao, Ator, Conflito, Papel
    from webapp.fila.queries import FilaQueries

    fila_id = api.criar(11)["fila_id"]
    gerente = api.como("gerente")
    assert atribuir(gerente, fila_id, 101).status_code == 200
    real = componente(FilaService, app)

    trocas = []

    class TrocaNoMeio(FilaQueries):
        def obter(self, oid):  # type: ignore[no-untyped-def]
            lido = super().obter(oid)
            if not trocas:  # once: right after the step read who the mechanic is
                trocas.append(real.atribuir(fila_id, 102, Ator("outra", Papel.GERENTE)))
            return lido

    servico = FilaService(real.repo, TrocaNoMeio(real.queries.fila.database))
    ator = Ator("gil", Papel.GERENTE, pessoa=True, funcionario_id=201)
    try:
        servico.executar(fila_id, Acao.INICIAR_DIAGNOSTICO, ator)
    except Conflito as conflito:
        assert "o mecânico da ordem acabou de mudar" in conflito.mensagem
        assert conflito.acao is Acao.ATRIBUIR  # who was faster: the reassignment
    else:
        raise AssertionError("o passo passou por cima da troca de mecânico")
    item = api.get(f"/fila-execucao/{fila_id}").json
    assert item["status"] == "AGUARDANDO" and item["mecanico_responsavel_id"] == 102
