"""Assignment on the board: the managers' filter by mechanic with each one's load, the assign form
among the "Mais…" actions (htmx and plain POST), its refusals, the history in words, and the
TV's load strip. Real mongod, Flask test client with CSRF."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from tests.helpers import Api, stream_de_teste
from webapp.cartoes import cards
from webapp.components import componente
from webapp.configuracoes.repository import ConfiguracoesRepository
from webapp.fila.domain import Ator, Papel
from webapp.fila.service import FilaService
from webapp.pessoas.service import PessoasService


def opcoes(html: str, select_id: str) -> list[str]:
    bloco = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert bloco, select_id
    return [re.sub(r"\s+", " ", o).strip() for o in re.findall(r">([^<]*)</option>", bloco[1])]


def test_filtro_de_gerente_mostra_a_carga_e_filtra(api: Api, pessoas) -> None:
    a = api.criar(1, placa="AAA1A11")["fila_id"]
    b = api.criar(2, placa="BBB2B22")["fila_id"]
    api.criar(3, placa="CCC3C33")
    api.passo(a, "iniciar-diagnostico", {"mecanico_responsavel_id": 101})
    api.levar_ate(b, "iniciar-reparo")  # mechanic 7: not a user, not in the list
    api.passo(b, "finalizar-reparo", None)

    html = pessoas["gerente"].client.get("/").text
    assert opcoes(html, "filtro-mecanico") == [
        "Todos os mecânicos",
        "Marcos Mecânico — 1 em serviço",
        "Paula Pereira — 0 em serviço",
    ]
    filtrado = pessoas["gerente"].client.get("/?mecanico=101").text
    assert "AAA1A11" in filtrado and "CCC3C33" not in filtrado
    assert re.search(r'value="101" selected>Marcos Mecânico — 1 em serviço', filtrado)
    vazio = pessoas["gerente"].client.get("/?mecanico=102").text
    assert "Nenhuma ordem deste mecânico no quadro agora." in vazio
    assert "Nenhuma ordem sua" not in vazio  # the manager's own filter would say "sua"
    # A manager who also works on cars (her number, 201) sees her own name on "Minhas ordens",
    # not a number she would have to recognise.
    meu = pessoas["gerente"].client.get("/?mecanico=201").text
    assert re.search(r'<option value="201" selected>Gabriela Gerente</option>', meu), meu
    # Mechanics keep "Minhas ordens" and have no such select.
    assert 'id="filtro-mecanico"' not in pessoas["mecanico"].client.get("/").text


def _filtro_empurrado(html: str) -> list[str]:
    """The options of a manager's filter as a push or an answer carries them."""
    padrao = r'hx-target="#filtro-mecanico" hx-swap="innerHTML">(.*?)</hx-partial>'
    bloco = re.search(padrao, html, re.S)
    assert bloco, html
    return [re.sub(r"\s+", " ", o).strip() for o in re.findall(r">([^<]*)</option>", bloco[1])]


def test_a_carga_no_filtro_acompanha_as_mudancas(api: Api, pessoas) -> None:
    """The answer to a change (and its push, the same render) carries a manager's filter with
    each mechanic's load; static/quadro-filtro.js keeps a choice not yet sent."""
    fila_id = api.criar(20, placa="CAR1G44")["fila_id"]
    api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 102})
    resposta = pessoas["gerente"].atribuir(fila_id, 101, htmx=True)
    assert resposta.status_code == 200
    assert _filtro_empurrado(resposta.text) == [
        "Todos os mecânicos",
        "Marcos Mecânico — 1 em serviço",
        "Paula Pereira — 0 em serviço",
    ]
    pagina = pessoas["gerente"].client.get("/").text
    assert '<select id="filtro-mecanico"' in pagina  # the partial's target


def test_filtro_empurrado_guarda_a_escolha_da_pagina(api: Api, pessoas, app: Flask) -> None:
    """A board filtered by a mechanic gets the list with that mechanic chosen, and a number no
    active mechanic has (the manager's own, 201) stays chosen, by name. A mechanic's answers
    carry no filter."""
    fila_id = api.criar(21, placa="CAR1G45")["fila_id"]
    api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 102})
    gerente = pessoas["gerente"]
    dados = {"prioridade": "ALTA"}
    resposta = gerente.post(f"/ordens/{fila_id}/prioridade", dados, True, "/?mecanico=102")
    assert resposta.status_code == 200, resposta.text
    assert re.search(r'value="102" selected>Paula Pereira — 1 em serviço', resposta.text)
    dados = {"prioridade": "URGENTE"}
    meu = gerente.post(f"/ordens/{fila_id}/prioridade", dados, True, "/?mecanico=201")
    assert meu.status_code == 200, meu.text
    assert _filtro_empurrado(meu.text)[-1] == "Gabriela Gerente"
    assert re.search(r'<option value="201" selected>Gabriela Gerente</option>', meu.text)
    outra = api.criar(22, placa="CAR1G46")["fila_id"]
    m = pessoas["mecanico"].passo(outra, "iniciar-diagnostico", htmx=True)
    assert m.status_code == 200 and "#filtro-mecanico" not in m.text
    # Paula deactivated with the car still in her hands: she stays in the filter, with her
    # load, after the active ones (a manager must find that car to give it to someone else),
    # on the page and in the answers; in the assignment's list she is no choice.
    admin = Ator("admin", Papel.ADMIN)
    assert componente(PessoasService, app).definir_ativo("mecanico2", False, admin)
    escolha = '<option value="102" selected>Paula Pereira — 1 em serviço</option>'
    pagina = gerente.pagina("/?mecanico=102")
    assert escolha in pagina and "CAR1G45" in pagina
    assert opcoes(gerente.pagina("/"), "filtro-mecanico") == [
        "Todos os mecânicos", "Marcos Mecânico — 1 em serviço", "Paula Pereira — 1 em serviço",
    ]  # fmt: skip
    dados = {"prioridade": "BAIXA"}
    resposta = gerente.post(f"/ordens/{fila_id}/prioridade", dados, True, "/?mecanico=102")
    assert escolha in resposta.text
    acoes = gerente.client.get(f"/ordens/{fila_id}/acoes", headers={"HX-Request": "true"}).text
    assert "Paula Pereira — 1" not in acoes
    # Her car given to Marcos: she leaves the filter; her number, still chosen, keeps her
    # name (its owner's, whoever watches: a push is shared by the screens of a view).
    assert gerente.atribuir(fila_id, 101, htmx=True).status_code == 200
    assert '<option value="102" selected>Paula Pereira</option>' in gerente.pagina("/?mecanico=102")


def test_mecanico_novo_ou_desativado_chega_ao_filtro_aberto(rapido: Flask, pessoas) -> None:
    """A manager's board open for the shift: a mechanic added, then one deactivated, changes no
    order, so no push of the queue says so; the next beat sends the filter's new list (it waited
    for the board's next load)."""
    _, leitor = stream_de_teste(pessoas["gerente"].client, "/eventos")
    try:
        assert "Paula Pereira — 0 em serviço" in leitor.proxima()["data"]
        pessoas_ = componente(PessoasService, rapido)
        admin = Ator("admin", Papel.ADMIN)
        pessoas_.criar("joana", "Joana Souza", "mecanico", 103, admin)
        assert _filtro_empurrado(leitor.proxima(timeout=10, com="Joana Souza")["data"]) == [
            "Todos os mecânicos",
            "Joana Souza — 0 em serviço",
            "Marcos Mecânico — 0 em serviço",
            "Paula Pereira — 0 em serviço",
        ]
        assert pessoas_.definir_ativo("mecanico2", False, admin)
        saiu = leitor.proxima(timeout=10, com="filtro-mecanico")["data"]
        assert _filtro_empurrado(saiu) == [
            "Todos os mecânicos",
            "Joana Souza — 0 em serviço",
            "Marcos Mecânico — 0 em serviço",
        ]
        with pytest.raises(AssertionError, match="a tempo"):
            leitor.proxima(timeout=1.5, com="filtro-mecanico")  # 7 beats, nobody changed
    finally:
        leitor.fechar()


def test_gerente_atribui_pelo_mais_com_htmx_e_sem_js(api: Api, pessoas, app: Flask) -> None:
    fila_id = api.criar(10, placa="ATR1B23")["fila_id"]
    gerente = pessoas["gerente"]
    acoes = gerente.client.get(f"/ordens/{fila_id}/acoes", headers={"HX-Request": "true"}).text
    assert "Atribuir mecânico" in acoes
    assert opcoes(acoes, f"mecanico-{fila_id}") == [
        "Escolha…",
        "Marcos Mecânico — 0 em serviço",
        "Paula Pereira — 0 em serviço",
    ]
    r = gerente.atribuir(fila_id, 102, htmx=True)
    assert r.status_code == 200
    assert 'hx-target="#cartoes-AGUARDANDO"' in r.text and "Paula Pereira" in r.text

    r = gerente.atribuir(fila_id, 101)  # without JavaScript: a 303 back to the card
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/#cartao-{fila_id}")
    item = componente(FilaService, app).obter(fila_id)
    assert item["mecanico_responsavel_id"] == 101
    assert [(h["de"], h["para"]) for h in item["historico"] if h["acao"] == "atribuir"] == [
        (None, 102),
        (102, 101),
    ]
    detalhe = gerente.client.get(f"/ordens/{fila_id}").text
    assert "atribuiu o mecânico: Paula Pereira" in detalhe  # the first: no "de", no "para"
    assert "atribuiu o mecânico: de Paula Pereira para Marcos Mecânico" in detalhe
    assert opcoes(detalhe, f"mecanico-{fila_id}")[0] == "Marcos Mecânico — 0 em serviço"


def test_numeros_de_19_algarismos_sao_lidos_no_quadro(api: Api, pessoas) -> None:
    """An OS and a mechanic numbered up to MongoDB's largest integer, as the API and the
    people's form take them: the board's search finds the OS, its filter keeps that
    mechanic's orders, and the card is reassigned (its "visto" of 19 digits was refused as
    "Cartão inválido", on every try)."""
    grande = 2**63 - 1
    fila_id = api.criar(grande)["fila_id"]
    outra = api.criar(11)["fila_id"]
    api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": grande})
    gerente = pessoas["gerente"]
    busca = gerente.pagina(f"/?q={grande}")
    assert f'id="cartao-{fila_id}"' in busca and f'id="cartao-{outra}"' not in busca
    filtrada = gerente.pagina(f"/?mecanico={grande}")
    assert f'id="cartao-{fila_id}"' in filtrada and f'id="cartao-{outra}"' not in filtrada
    assert f'name="visto" value="{grande}"' in gerente.pagina(f"/ordens/{fila_id}")
    r = gerente.post(
        f"/ordens/{fila_id}/atribuir", {"mecanico_responsavel_id": "101", "visto": str(grande)}
    )
    assert r.status_code == 303, r.text
    item = api.get(f"/fila-execucao/{fila_id}").json
    assert item["mecanico_responsavel_id"] == 101
    assert (item["historico"][-1]["de"], item["historico"][-1]["para"]) == (grande, 101)
    # One past it is no number of ours: refused as a hand-made card.
    r = gerente.post(
        f"/ordens/{fila_id}/atribuir", {"mecanico_responsavel_id": "102", "visto": str(2**63)}
    )
    assert r.status_code == 303
    assert api.get(f"/fila-execucao/{fila_id}").json["mecanico_responsavel_id"] == 101


@pytest.mark.parametrize("htmx", [True, False])
def test_numero_que_muda_de_dono_durante_a_atribuicao_nao_e_gravado(
    api: Api, pessoas, app: Flask, htmx: bool
) -> None:
    """The manager picks Marcos (nº 101) from the list; before the order takes that number,
    another manager changes Marcos's to 111 (he has no open order: allowed). The order does not
    get a number that is nobody's now, or someone else's: refused with the reason, nothing
    saved. The change lands inside the assignment's transaction, before it writes Marcos."""
    fila_id = api.criar(31, placa="MUD1A00")["fila_id"]
    fila = componente(FilaService, app)
    reservar = fila.reservar_numero
    mudou: list[str] = []

    def mudar_antes(numero: int, dono: str | None, sessao: Any) -> bool:
        if not mudou:
            mudou.append(dono or "")
            componente(PessoasService, app).editar(
                "mecanico", "Marcos Mecânico", "mecanico", 111, Ator("admin", Papel.ADMIN)
            )
        return reservar(numero, dono, sessao)

    fila.reservar_numero = mudar_antes
    try:
        r = pessoas["gerente"].atribuir(fila_id, 101, htmx=htmx)
    finally:
        fila.reservar_numero = reservar
    assert mudou == ["mecanico"]  # the board named the person it meant by the number
    motivo = "O nº 101 acabou de mudar de dono; nada foi salvo. Escolha o mecânico de novo."
    if not htmx:  # without JavaScript: back to the card, the reason with it
        assert r.status_code == 303
        r = pessoas["gerente"].client.get(r.headers["Location"])
    assert motivo in r.text
    if htmx:  # the form comes back open, its list as it is now
        assert re.search(r'<option value="111"\s*>Marcos Mecânico', r.text), r.text
        assert 'value="101"' not in r.text
    item = componente(FilaService, app).obter(fila_id)
    assert item.get("mecanico_responsavel_id") is None
    assert [h for h in item["historico"] if h["acao"] == "atribuir"] == []
    # Chosen again from the list as it is now: saved.
    assert pessoas["gerente"].atribuir(fila_id, 111).status_code == 303
    assert componente(FilaService, app).obter(fila_id)["mecanico_responsavel_id"] == 111


@pytest.mark.parametrize("valor", ["999", "abc", "", "7"])
def test_mecanico_fora_da_lista_e_recusado_no_campo(api: Api, pessoas, app, valor) -> None:
    fila_id = api.criar(11)["fila_id"]
    r = pessoas["gerente"].atribuir(fila_id, valor, htmx=True)
    assert r.status_code == 400
    assert "Escolha um dos mecânicos ativos da lista." in r.text
    assert componente(FilaService, app).obter(fila_id)["mecanico_responsavel_id"] is None


def test_mecanico_nao_atribui_nem_a_mao(api: Api, pessoas, app: Flask) -> None:
    fila_id = api.criar(12)["fila_id"]
    mecanico = pessoas["mecanico"]
    acoes = mecanico.client.get(f"/ordens/{fila_id}/acoes", headers={"HX-Request": "true"}).text
    assert "Atribuir mecânico" not in acoes
    for valor in ("101", "abc"):  # refused before its form is even read
        r = mecanico.atribuir(fila_id, valor)
        assert r.status_code == 403
        assert "Apenas um gerente pode atribuir o mecânico." in r.text
    assert componente(FilaService, app).obter(fila_id)["mecanico_responsavel_id"] is None


def test_ordem_finalizada_nao_oferece_nem_aceita_atribuir(api: Api, pessoas) -> None:
    fila_id = api.criar(13)["fila_id"]
    api.levar_ate(fila_id, "finalizar-reparo")
    gerente = pessoas["gerente"]
    acoes = gerente.client.get(f"/ordens/{fila_id}/acoes", headers={"HX-Request": "true"}).text
    assert "Atribuir mecânico" not in acoes
    r = gerente.atribuir(fila_id, 101, htmx=True)
    assert r.status_code == 409
    assert "Não é possível atribuir o mecânico: a ordem já foi finalizada." in r.text


def test_tv_mostra_a_carga_de_cada_mecanico(app: Flask, api: Api, usuarios_demo) -> None:
    for n in range(3):
        fila_id = api.criar(20 + n)["fila_id"]
        api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 101})
    segredo, _ = componente(ConfiguracoesRepository, app).criar_passe("TV", "gerente")
    html = app.test_client().get(f"/painel?token={segredo}", follow_redirects=True).text
    faixa = html[html.index('id="painel-carga"') : html.index("</footer>")]
    assert re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", faixa.split(">", 1)[1])).strip() == (
        "Em serviço: Marcos 3 Paula 0"
    )
    assert 'class="painel-carga-item livre">Paula' in faixa


def test_nomes_curtos_so_quando_nao_se_repetem() -> None:
    lista = cards.mecanicos(
        [(1, "Ana Souza", "ana"), (2, "Ana Lima", "ana2"), (3, "Bruno Reis", "bruno")],
        {1: 2, 3: 1, None: 5},
    )
    assert [(m.curto, m.carga, m.rotulo) for m in lista] == [
        ("Ana Souza", 2, "Ana Souza — 2 em serviço"),
        ("Ana Lima", 0, "Ana Lima — 0 em serviço"),
        ("Bruno", 1, "Bruno Reis — 1 em serviço"),
    ]
