"""The JSON API over HTTP (Flask test client) against the real mongod."""

from __future__ import annotations

import gzip
import re
from datetime import datetime

import pytest
from flask import Flask

from tests.helpers import Api, consultas_de
from webapp.components import componente
from webapp.mongo import Mongo

CAMPOS_CONTRATO = {
    "fila_id",
    "ordem_servico_id",
    "status",
    "prioridade",
    "mecanico_responsavel_id",
    "diagnostico",
    "observacoes_reparo",
    "dta_inicio_diagnostico",
    "dta_fim_diagnostico",
    "dta_inicio_reparo",
    "dta_fim_reparo",
    "dta_criacao",
    "dta_atualizacao",
}


def iso(valor: str) -> datetime:
    instante = datetime.fromisoformat(valor)
    assert instante.utcoffset() is not None, f"sem fuso: {valor}"
    return instante


def test_health_aberto(client) -> None:
    r = client.get("/health")
    assert r.status_code == 200 and r.json == {"status": "ok"}
    r = client.get("/health/ready")
    assert r.status_code == 200 and r.json == {"status": "ok"}


def test_criar_devolve_o_item_do_contrato(api: Api) -> None:
    r = api.post("/fila-execucao", json={"ordem_servico_id": 42})
    assert r.status_code == 201
    item = r.json
    assert set(item) >= CAMPOS_CONTRATO
    assert item["ordem_servico_id"] == 42
    assert item["status"] == "AGUARDANDO"
    assert item["prioridade"] == "NORMAL"
    assert item["mecanico_responsavel_id"] is None
    assert item["orcamento_aprovado"] is False and item["versao"] == 1
    assert iso(item["dta_criacao"]) == iso(item["dta_atualizacao"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", item["dta_criacao"])
    assert [h["acao"] for h in item["historico"]] == ["criar"]
    assert api.get(f"/fila-execucao/{item['fila_id']}").json == item


def test_criar_aceita_dados_do_carro(api: Api) -> None:
    item = api.criar(
        77,
        "ALTA",
        placa="ABC1D23",
        veiculo="Fiat Uno",
        cliente="Ana",
        descricao="Barulho",
        previsao_entrega="2026-12-01T17:00:00-03:00",
    )
    assert item["placa"] == "ABC1D23" and item["veiculo"] == "Fiat Uno"
    assert iso(item["previsao_entrega"]) == iso("2026-12-01T20:00:00+00:00")


def test_criar_responde_em_utc_como_guardado(api: Api) -> None:
    """The 201 says what a later read says: UTC, milliseconds (not the caller's -03:00)."""
    item = api.criar(78, previsao_entrega="2026-12-01T17:00:00.123456-03:00")
    assert item["previsao_entrega"] == "2026-12-01T20:00:00.123+00:00"
    assert api.get(f"/fila-execucao/{item['fila_id']}").json == item


def test_os_repetida_da_409(api: Api) -> None:
    api.criar(1)
    r = api.post("/fila-execucao", json={"ordem_servico_id": 1, "prioridade": "ALTA"})
    assert r.status_code == 409
    assert r.json == {"detail": "A OS 1 já está na fila."}


def test_fluxo_completo_marca_cada_tempo(api: Api) -> None:
    fila_id = api.criar(10)["fila_id"]

    item = api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 5}).json
    assert item["status"] == "EM_DIAGNOSTICO" and item["mecanico_responsavel_id"] == 5
    assert iso(item["dta_inicio_diagnostico"]) == iso(item["dta_atualizacao"])

    item = api.passo(fila_id, "finalizar-diagnostico", {"diagnostico": " Junta queimada "}).json
    assert item["status"] == "AGUARDANDO" and item["diagnostico"] == "Junta queimada"
    assert item["dta_fim_diagnostico"] and item["orcamento_aprovado"] is False

    item = api.passo(fila_id, "aprovar-orcamento").json
    assert item["status"] == "AGUARDANDO" and item["orcamento_aprovado"] is True
    assert item["dta_aprovacao_orcamento"]

    item = api.passo(fila_id, "iniciar-reparo", {"mecanico_responsavel_id": 9}).json
    assert item["status"] == "EM_REPARO" and item["mecanico_responsavel_id"] == 9
    assert item["dta_inicio_reparo"]

    item = api.passo(fila_id, "finalizar-reparo", {"observacoes_reparo": "Trocada"}).json
    assert item["status"] == "FINALIZADA" and item["observacoes_reparo"] == "Trocada"

    tempos = [
        iso(item[c])
        for c in (
            "dta_criacao",
            "dta_inicio_diagnostico",
            "dta_fim_diagnostico",
            "dta_aprovacao_orcamento",
            "dta_inicio_reparo",
            "dta_fim_reparo",
        )
    ]
    assert tempos == sorted(tempos)
    assert iso(item["dta_atualizacao"]) == tempos[-1]
    assert item["versao"] == 6
    historico = [(h["acao"], h["de"], h["para"]) for h in item["historico"]]
    assert historico == [
        ("criar", None, "AGUARDANDO"),
        ("iniciar_diagnostico", "AGUARDANDO", "EM_DIAGNOSTICO"),
        ("finalizar_diagnostico", "EM_DIAGNOSTICO", "AGUARDANDO"),
        ("aprovar_orcamento", "AGUARDANDO", "AGUARDANDO"),
        ("iniciar_reparo", "AGUARDANDO", "EM_REPARO"),
        ("finalizar_reparo", "EM_REPARO", "FINALIZADA"),
    ]
    assert {h["por"] for h in item["historico"]} == {"teste-servico"}


def test_finalizar_reparo_sem_corpo(api: Api) -> None:
    fila_id = api.criar(11)["fila_id"]
    api.levar_ate(fila_id, "iniciar-reparo")
    r = api.post(f"/fila-execucao/{fila_id}/finalizar-reparo")
    assert r.status_code == 200 and r.json["status"] == "FINALIZADA"
    assert r.json["observacoes_reparo"] is None


@pytest.mark.parametrize(
    ("ate", "passo", "corpo", "motivo"),
    [
        (None, "iniciar-reparo", None, "o diagnóstico ainda não foi finalizado"),
        (
            None,
            "finalizar-diagnostico",
            {"diagnostico": "x"},
            "a ordem precisa estar em diagnóstico",
        ),
        (None, "aprovar-orcamento", None, "o diagnóstico ainda não foi finalizado"),
        (None, "finalizar-reparo", None, "a ordem precisa estar em reparo"),
        (
            "iniciar-diagnostico",
            "iniciar-diagnostico",
            {"mecanico_responsavel_id": 1},
            "a ordem precisa estar aguardando",
        ),
        (
            "finalizar-diagnostico",
            "iniciar-diagnostico",
            {"mecanico_responsavel_id": 1},
            "o diagnóstico desta ordem já foi finalizado",
        ),
        ("aprovar-orcamento", "aprovar-orcamento", None, "o orçamento já foi aprovado"),
        ("finalizar-reparo", "iniciar-reparo", None, "a ordem precisa estar aguardando"),
        ("finalizar-reparo", "finalizar-reparo", None, "a ordem precisa estar em reparo"),
    ],
)
def test_passo_fora_de_ordem_da_409_e_nada_muda(api: Api, ate, passo, corpo, motivo) -> None:
    fila_id = api.criar(20)["fila_id"]
    if ate:
        api.levar_ate(fila_id, ate)
    antes = api.get(f"/fila-execucao/{fila_id}").json
    r = api.passo(fila_id, passo, corpo)
    assert r.status_code == 409
    assert motivo in r.json["detail"] and r.json["detail"].startswith("Não é possível")
    assert api.get(f"/fila-execucao/{fila_id}").json == antes


def test_iniciar_reparo_da_integracao_registra_a_aprovacao(api: Api) -> None:
    fila_id = api.criar(30)["fila_id"]
    api.levar_ate(fila_id, "finalizar-diagnostico")
    r = api.passo(fila_id, "iniciar-reparo", {})
    assert r.status_code == 200
    item = r.json
    assert item["status"] == "EM_REPARO" and item["orcamento_aprovado"] is True
    assert item["dta_aprovacao_orcamento"] == item["dta_inicio_reparo"]
    assert [h["acao"] for h in item["historico"]][-2:] == ["aprovar_orcamento", "iniciar_reparo"]
    assert item["versao"] == 4  # one update, not two


def test_mecanico_nao_registra_aprovacao_ao_iniciar_reparo(api: Api) -> None:
    fila_id = api.criar(31)["fila_id"]
    api.levar_ate(fila_id, "finalizar-diagnostico")
    r = api.como("mecanico").passo(fila_id, "iniciar-reparo")
    assert r.status_code == 409
    assert "orçamento ainda não foi aprovado" in r.json["detail"]


@pytest.mark.parametrize(
    ("metodo", "caminho", "corpo"),
    [
        ("delete", "", None),
        ("patch", "/prioridade", {"prioridade": "URGENTE"}),
        ("post", "/aprovar-orcamento", None),
    ],
)
def test_mecanico_nao_faz_acao_de_gerente(api: Api, metodo, caminho, corpo) -> None:
    fila_id = api.criar(40)["fila_id"]
    api.levar_ate(fila_id, "finalizar-diagnostico")
    mecanico = api.como("mecanico")
    kwargs = {"json": corpo} if corpo else {}
    r = getattr(mecanico, metodo)(f"/fila-execucao/{fila_id}{caminho}", **kwargs)
    assert r.status_code == 403
    assert "gerente" in r.json["detail"]
    gerente = api.como("gerente")
    r = getattr(gerente, metodo)(f"/fila-execucao/{fila_id}{caminho}", **kwargs)
    assert r.status_code in (200, 204)


def test_prioridade(api: Api) -> None:
    fila_id = api.criar(50)["fila_id"]
    r = api.patch(f"/fila-execucao/{fila_id}/prioridade", json={"prioridade": "URGENTE"})
    assert r.status_code == 200 and r.json["prioridade"] == "URGENTE"
    entrada = r.json["historico"][-1]
    assert (entrada["acao"], entrada["de"], entrada["para"]) == (
        "alterar_prioridade",
        "NORMAL",
        "URGENTE",
    )
    r = api.patch(f"/fila-execucao/{fila_id}/prioridade", json={"prioridade": "urgente"})
    assert r.status_code == 400 and "prioridade" in r.json["detail"]
    # The priority it already has (two managers' same tap, a retried PATCH): refused, and
    # nothing recorded twice.
    antes = api.get(f"/fila-execucao/{fila_id}").json
    r = api.patch(f"/fila-execucao/{fila_id}/prioridade", json={"prioridade": "URGENTE"})
    assert r.status_code == 409
    assert r.json["detail"] == "Não é possível mudar a prioridade: a prioridade já é esta."
    depois = api.get(f"/fila-execucao/{fila_id}").json
    assert depois["historico"] == antes["historico"]
    assert depois["dta_atualizacao"] == antes["dta_atualizacao"]
    api.levar_ate(fila_id, "finalizar-reparo")
    r = api.patch(f"/fila-execucao/{fila_id}/prioridade", json={"prioridade": "BAIXA"})
    assert r.status_code == 409 and "finalizada" in r.json["detail"]


def test_lista_ordena_por_prioridade_e_depois_pela_mais_antiga(api: Api) -> None:
    pedidos = [
        (1, "BAIXA"),
        (2, "NORMAL"),
        (3, "URGENTE"),
        (4, "ALTA"),
        (5, "NORMAL"),
        (6, "URGENTE"),
        (7, "BAIXA"),
        (8, "ALTA"),
    ]
    for os_id, prioridade in pedidos:
        api.criar(os_id, prioridade)
    r = api.get("/fila-execucao")
    assert r.status_code == 200
    assert [i["ordem_servico_id"] for i in r.json] == [3, 6, 4, 8, 2, 5, 1, 7]
    # Changing a priority moves the order but keeps its age among its peers.
    api.patch(f"/fila-execucao/{r.json[-1]['fila_id']}/prioridade", json={"prioridade": "URGENTE"})
    assert [i["ordem_servico_id"] for i in api.get("/fila-execucao").json][:3] == [3, 6, 7]


def test_lista_filtra_e_pagina(api: Api) -> None:
    ids = [api.criar(n)["fila_id"] for n in range(1, 8)]
    api.levar_ate(ids[2], "iniciar-diagnostico")
    api.levar_ate(ids[5], "iniciar-diagnostico")
    r = api.get("/fila-execucao?status=EM_DIAGNOSTICO")
    assert [i["ordem_servico_id"] for i in r.json] == [3, 6]
    r = api.get("/fila-execucao?status=AGUARDANDO&limit=2&offset=1")
    assert [i["ordem_servico_id"] for i in r.json] == [2, 4]
    assert api.get("/fila-execucao?status=FINALIZADA").json == []
    assert len(api.get("/fila-execucao?limit=500").json) == 7
    assert "Link" not in api.get("/fila-execucao?limit=500").headers


def test_pagina_cheia_diz_onde_esta_a_seguinte(api: Api) -> None:
    """A full page carries the next one's address (Link, rel="next"); following the links
    reads every item once, and the last page has none."""
    for n in range(1, 6):
        api.criar(n)
    vistos, endereco, paginas = [], "/fila-execucao?status=AGUARDANDO&limit=2", 0
    while endereco:
        r = api.get(endereco)
        assert r.status_code == 200
        vistos += [i["ordem_servico_id"] for i in r.json]
        paginas += 1
        link = r.headers.get("Link")
        endereco = link.split(">")[0].lstrip("<") if link else None
        if link:
            assert link.endswith('; rel="next"') and "status=AGUARDANDO" in link
    assert vistos == [1, 2, 3, 4, 5] and paginas == 3


def test_pagina_seguinte_pelo_cursor_nao_pula_o_que_ja_passou(api: Api, app: Flask) -> None:
    """The Link's next page starts after the last item shown (`depois`, keyset), not past a
    count of items: a deep page fetches its own documents only (an offset fetched every one
    it stepped over), and an order added meanwhile ahead of the page does not make the next
    page repeat an item. A cursor not of ours is a 400 in Portuguese."""
    for n in range(1, 31):
        api.criar(n)
    r = api.get("/fila-execucao?status=AGUARDANDO&limit=10")
    link = r.headers["Link"].split(">")[0].lstrip("<")
    assert "depois=a." in link and "offset" not in link
    api.criar(99, "URGENTE")  # ahead of everything: an offset would repeat item 10
    db = componente(Mongo, app).db
    with consultas_de(db, "fila_execucao") as consultas:
        r = api.get(link)
    assert [i["ordem_servico_id"] for i in r.json] == list(range(11, 21))
    lidas = [c for c in consultas if c["op"] == "query"]
    assert lidas and all(c["docsExamined"] <= 10 for c in lidas), lidas
    for ruim in (
        "", "x", "a.1.2", "a.9.1700000000000.zzz", "f.1700000000000.6b147aef7298250d4eb88f19",
        "a.00.1700000000000.6b147aef7298250d4eb88f19",  # not as the Link writes it ("a.0.")
        "a.0.01700000000000.6b147aef7298250d4eb88f19",
    ):  # fmt: skip
        r = api.get(f"/fila-execucao?depois={ruim}")
        assert r.status_code == 400 and r.json["detail"].startswith("depois: não é o fim"), r.json
    r = api.get(f"{link}&offset=2")
    assert r.status_code == 400 and r.json["detail"] == "Use depois ou offset, não os dois."
    # Every status, and the whole list, page by cursor through to the end, each item once.
    for status in ("", "status=AGUARDANDO&", "status=FINALIZADA&"):
        endereco, vistos = f"/fila-execucao?{status}limit=7", []
        while endereco:
            r = api.get(endereco)
            vistos += [i["ordem_servico_id"] for i in r.json]
            link = r.headers.get("Link")
            endereco = link.split(">")[0].lstrip("<") if link else None
        assert sorted(vistos) == ([] if "FINALIZADA" in status else [*range(1, 31), 99])
        assert len(vistos) == len(set(vistos))


@pytest.mark.parametrize(
    ("consulta", "trecho"),
    [
        ("status=PRONTO", "status"),
        ("status=aguardando", "status"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=abc", "limit"),
        ("offset=-1", "offset: deve ser maior ou igual a 0"),  # an integer, below its bound
        ("limit=-5", "limit: deve ser maior ou igual a 1"),
        ("offset=--1", "offset: deve ser um número inteiro"),
        ("offset=-", "offset: deve ser um número inteiro"),
        # Python's int() reads these; a URL's number is digits only.
        ("limit=5_0", "limit: deve ser um número inteiro"),
        ("limit=%2B5", "limit: deve ser um número inteiro"),
        ("offset=%201", "offset: deve ser um número inteiro"),
        ("offset=%D9%A7", "offset: deve ser um número inteiro"),
    ],
)
def test_lista_recusa_parametros_invalidos(api: Api, consulta: str, trecho: str) -> None:
    r = api.get(f"/fila-execucao?{consulta}")
    assert r.status_code == 400
    assert trecho in r.json["detail"]


def test_lista_recusa_um_parametro_repetido(api: Api) -> None:
    """Two statuses asked at once: refused with the reason, not answered for the first alone."""
    api.criar(124)
    r = api.get("/fila-execucao?status=AGUARDANDO&status=EM_REPARO")
    assert r.status_code == 400
    assert r.json == {"detail": "Parâmetro repetido: status. Envie cada um uma vez só."}


def test_obter_por_os(api: Api) -> None:
    item = api.criar(123)
    assert api.get("/fila-execucao/ordem-servico/123").json == item
    r = api.get("/fila-execucao/ordem-servico/999")
    assert r.status_code == 404 and r.json == {"detail": "A OS 999 não está na fila."}
    assert api.get("/fila-execucao/ordem-servico/abc").status_code == 404
    # Only ASCII digits, without a leading zero, as a body takes the number: a full-width
    # "１２３", an Arabic-Indic "١٢٣" or "000123" was OS 123 here and refused in a body.
    for outra in ("%EF%BC%91%EF%BC%92%EF%BC%93", "%D9%A1%D9%A2%D9%A3", "000123", "0"):
        r = api.get(f"/fila-execucao/ordem-servico/{outra}")
        assert r.status_code == 404 and r.json["detail"], outra


@pytest.mark.parametrize("fila_id", ["nao-e-um-id", "123", "0" * 24, "z" * 24])
def test_id_desconhecido_ou_invalido_da_404(api: Api, fila_id: str) -> None:
    for r in (
        api.get(f"/fila-execucao/{fila_id}"),
        api.delete(f"/fila-execucao/{fila_id}"),
        api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 1}),
        api.patch(f"/fila-execucao/{fila_id}/prioridade", json={"prioridade": "ALTA"}),
    ):
        assert r.status_code == 404
        assert r.json == {"detail": "Item da fila não encontrado."}


def test_remover_arquiva_e_permite_readicionar(api: Api, app: Flask) -> None:
    item = api.criar(321)
    api.levar_ate(item["fila_id"], "iniciar-diagnostico")
    gerente = api.como("gerente")
    r = gerente.delete(f"/fila-execucao/{item['fila_id']}")
    assert r.status_code == 204 and r.data == b""
    assert api.get(f"/fila-execucao/{item['fila_id']}").status_code == 404
    assert gerente.delete(f"/fila-execucao/{item['fila_id']}").status_code == 404

    arquivo = componente(Mongo, app).db["fila_execucao_arquivo"]
    (copia,) = list(arquivo.find({"ordem_servico_id": 321}))
    assert copia["removido_por"] == "teste-gerente"
    assert copia["removido_em"] is not None
    assert str(copia["fila_id"]) == item["fila_id"]
    assert copia["status"] == "EM_DIAGNOSTICO"

    novo = api.criar(321)
    assert novo["fila_id"] != item["fila_id"] and novo["status"] == "AGUARDANDO"


# --- Validation: every bad input gets a clear 4xx in Portuguese -----------------------------------


@pytest.mark.parametrize(
    ("corpo", "trecho"),
    [
        ({}, "ordem_servico_id: campo obrigatório"),
        ({"ordem_servico_id": "12"}, "ordem_servico_id: deve ser um número inteiro"),
        ({"ordem_servico_id": 1.5}, "ordem_servico_id: deve ser um número inteiro"),
        ({"ordem_servico_id": True}, "ordem_servico_id: deve ser um número inteiro"),
        ({"ordem_servico_id": 0}, "ordem_servico_id: deve ser maior que 0"),
        ({"ordem_servico_id": 2**64}, "ordem_servico_id: deve ser no máximo"),
        (
            {"ordem_servico_id": 1, "prioridade": "MUITO_ALTA"},
            "use um de: URGENTE, ALTA, NORMAL ou BAIXA",
        ),
        ({"ordem_servico_id": 1, "prioridade": None}, "prioridade"),
        ({"ordem_servico_id": 1, "placa": 123}, "placa: deve ser um texto"),
        ({"ordem_servico_id": 1, "previsao_entrega": "amanhã"}, "previsao_entrega"),
        ({"ordem_servico_id": 1, "previsao_entrega": "2026-12-01T10:00:00"}, "fuso horário"),
        ([1, 2], "o corpo deve ser um objeto JSON"),
        ("texto", "o corpo deve ser um objeto JSON"),
    ],
)
def test_criar_recusa_corpo_invalido(api: Api, corpo, trecho: str) -> None:
    r = api.post("/fila-execucao", json=corpo)
    assert r.status_code == 400
    assert trecho in r.json["detail"], r.json
    assert api.get("/fila-execucao").json == []


@pytest.mark.parametrize(
    ("passo", "corpo", "trecho"),
    [
        ("iniciar-diagnostico", {}, "mecanico_responsavel_id: campo obrigatório"),
        ("iniciar-diagnostico", {"mecanico_responsavel_id": "7"}, "número inteiro"),
        ("iniciar-diagnostico", {"mecanico_responsavel_id": -3}, "maior que 0"),
        ("iniciar-diagnostico", None, "Corpo JSON obrigatório"),
        ("finalizar-diagnostico", {"diagnostico": ""}, "diagnostico: não pode ser vazio"),
        ("finalizar-diagnostico", {"diagnostico": "   "}, "O diagnóstico não pode ser vazio"),
        ("finalizar-diagnostico", {"diagnostico": 5}, "diagnostico: deve ser um texto"),
        ("finalizar-diagnostico", {"diagnostico": "x" * 10_001}, "no máximo 10000 caracteres"),
        ("iniciar-reparo", {"mecanico_responsavel_id": "x"}, "número inteiro"),
        ("finalizar-reparo", {"observacoes_reparo": ["a"]}, "deve ser um texto"),
    ],
)
def test_passos_recusam_corpo_invalido(api: Api, passo, corpo, trecho) -> None:
    fila_id = api.criar(60)["fila_id"]
    if passo == "finalizar-diagnostico":
        api.levar_ate(fila_id, "iniciar-diagnostico")
    antes = api.get(f"/fila-execucao/{fila_id}").json
    r = api.passo(fila_id, passo, corpo)
    assert r.status_code == 400
    assert trecho in r.json["detail"], r.json
    assert api.get(f"/fila-execucao/{fila_id}").json == antes


def test_json_malformado(api: Api) -> None:
    r = api.post(
        "/fila-execucao",
        data=b'{"ordem_servico_id": 1,',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400 and "JSON malformado" in r.json["detail"]


def test_json_com_numero_enorme_diz_o_numero(api: Api) -> None:
    """Valid JSON with a number of 5,000 digits (no parser keeps it) was "JSON malformado"."""
    for corpo in ('{"ordem_servico_id": %s}', '{"ordem_servico_id": 1, "x": %s}'):
        r = api.post(
            "/fila-execucao",
            data=(corpo % ("9" * 5000)).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert r.status_code == 400, r.text
        assert "número grande demais" in r.json["detail"] and "malformado" not in r.json["detail"]


def test_json_com_marca_de_ordem_de_bytes_e_lido(api: Api) -> None:
    """A UTF-8 BOM before the body (some Windows clients send one) was "JSON malformado"."""
    r = api.post(
        "/fila-execucao",
        data=b'\xef\xbb\xbf{"ordem_servico_id": 91090, "placa": "BOM1A23"}',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 201, r.json
    assert api.get("/fila-execucao/ordem-servico/91090").json["placa"] == "BOM1A23"


def test_tipo_de_conteudo_errado(api: Api) -> None:
    r = api.post(
        "/fila-execucao",
        data="ordem_servico_id=1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 415
    assert r.json == {"detail": "Envie o corpo como application/json."}
    r = api.post(
        "/fila-execucao", data='{"ordem_servico_id": 1}', headers={"Content-Type": "text/plain"}
    )
    assert r.status_code == 415


def test_campo_repetido_e_corpo_comprimido_sao_recusados(api: Api) -> None:
    """A key sent twice was read as its last value (a proxy or a log reading the first would
    see another OS), and a gzip body was "JSON malformado": each is said as it is."""
    r = api.post(
        "/fila-execucao",
        data=b'{"ordem_servico_id": 91100, "ordem_servico_id": 91101}',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert r.json == {
        "detail": "Campo repetido no JSON: ordem_servico_id. Envie cada um uma vez só."
    }
    assert api.get("/fila-execucao/ordem-servico/91101").status_code == 404  # nothing added
    r = api.post(
        "/fila-execucao",
        data=gzip.compress(b'{"ordem_servico_id": 91102}'),
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert r.status_code == 415
    assert r.json == {"detail": "Envie o corpo sem compressão (sem Content-Encoding)."}
    # Nested past Python's own parser (which the check for repeated keys reads it with): the
    # model's 400, not a 500.
    fundo = b"[" * 30_000 + b"]" * 30_000
    r = api.post("/fila-execucao", data=fundo, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json["detail"]


def test_corpo_acima_de_128_kib_da_413(api: Api) -> None:
    fila_id = api.criar(70)["fila_id"]
    api.levar_ate(fila_id, "iniciar-diagnostico")
    grande = '{"diagnostico": "' + "x" * (128 * 1024) + '"}'
    r = api.post(
        f"/fila-execucao/{fila_id}/finalizar-diagnostico",
        data=grande,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert "128 KiB" in r.json["detail"]
    assert api.get(f"/fila-execucao/{fila_id}").json["status"] == "EM_DIAGNOSTICO"
    # Just under the limit is read (and refused by the schema for its length, not by size).
    cabe = '{"diagnostico": "' + "x" * (124 * 1024) + '"}'
    r = api.post(
        f"/fila-execucao/{fila_id}/finalizar-diagnostico",
        data=cabe,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400


def test_metodo_nao_permitido_e_rota_desconhecida(api: Api) -> None:
    r = api.client.put("/fila-execucao", headers=api.headers())
    assert r.status_code == 405 and r.json["detail"].startswith("Método não permitido")
    r = api.get("/fila-execucao/abc/def/ghi")
    assert r.status_code == 404 and r.json == {"detail": "Recurso não encontrado."}


def test_openapi_gerado_dos_esquemas(client, app: Flask) -> None:
    doc = client.get("/openapi.json").json
    assert doc["openapi"].startswith("3.")
    esperadas = set()
    for regra in app.url_map.iter_rules():
        if regra.rule.startswith("/fila-execucao") or regra.rule.startswith("/health"):
            caminho = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", regra.rule)
            for metodo in regra.methods - {"HEAD", "OPTIONS"}:
                esperadas.add((caminho, metodo.lower()))
    # /indicadores is a page that answers JSON to a bearer token: documented, not under the prefix.
    esperadas.add(("/indicadores", "get"))
    esperadas.add(("/indicadores/exportar.csv", "get"))  # its download, the same way
    documentadas = {(c, m) for c, ops in doc["paths"].items() for m in ops}
    assert documentadas == esperadas
    indicadores = doc["paths"]["/indicadores"]["get"]
    assert indicadores["tags"] == ["indicadores"] and set(indicadores["responses"]) >= {"403"}
    assert {p["name"] for p in indicadores["parameters"]} == {"periodo", "de", "ate"}
    atribuir = doc["paths"]["/fila-execucao/{fila_id}/atribuir"]["post"]
    assert atribuir["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "Atribuir"
    )
    criar = doc["paths"]["/fila-execucao"]["post"]
    assert criar["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "NovaOrdem"
    )
    nova = doc["components"]["schemas"]["NovaOrdem"]
    assert nova["required"] == ["ordem_servico_id"]
    assert nova["properties"]["prioridade"]["$ref"].endswith("Prioridade")
    assert doc["components"]["schemas"]["Prioridade"]["enum"] == [
        "URGENTE",
        "ALTA",
        "NORMAL",
        "BAIXA",
    ]
    assert set(criar["responses"]) >= {"201", "400", "401", "409", "413", "415"}
    pagina = client.get("/docs")
    assert pagina.status_code == 200
    assert "/fila-execucao/{fila_id}/iniciar-diagnostico" in pagina.text
    assert "<code>fila_id</code> (no caminho, obrigatório)" in pagina.text
    assert "(path" not in pagina.text and "(query" not in pagina.text
