"""The board over HTTP: what people see, every form error, htmx partials, the JS-off path."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from bson import ObjectId
from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import (
    DA_FILA_AS,
    Api,
    Quadro,
    cartao_html,
    coluna_de,
    consultas_de,
    stream_de_teste,
)
from webapp.clock import Clock, agora
from webapp.components import componente
from webapp.fila.domain import Acao, Ator, MotivoPausa, Papel, Prioridade
from webapp.fila.plates import gemea
from webapp.fila.queries import FilaQueries
from webapp.fila.service import FilaService
from webapp.fila.stages import limites_alerta
from webapp.mongo import Mongo
from webapp.quadro import routes as quadro_routes
from webapp.quadro.filters import Filtros


def test_quadro_exige_login(client: FlaskClient) -> None:
    r = client.get("/")
    assert r.status_code == 302 and "/entrar" in r.headers["Location"]


def test_mecanico_ve_colunas_contagens_e_so_os_seus_botoes(api: Api, pessoas) -> None:
    fila_id = api.criar(501, "URGENTE", placa="abc1d23", veiculo="Fiat Uno", cliente="Ana")[
        "fila_id"
    ]
    html = pessoas["mecanico"].pagina()
    for status in ("AGUARDANDO", "EM_DIAGNOSTICO", "EM_REPARO", "FINALIZADA"):
        assert f'id="coluna-{status}"' in html and f'id="contagem-{status}"' in html
    assert re.search(r'id="contagem-AGUARDANDO"[^>]*>1<', html)
    cartao = cartao_html(html, fila_id)
    assert cartao.index("ABC1D23") < cartao.index("OS 501")  # plate first
    assert "Fiat Uno" in cartao and "Urgente" in cartao and "etiqueta-urgente" in cartao
    assert "Aguardando diagnóstico" in cartao
    assert "Iniciar diagnóstico" in cartao
    assert "Remover" not in cartao and "Salvar prioridade" not in cartao
    assert "Aprovar orçamento" not in cartao
    assert 'id="nova-ordem"' not in html
    assert 'aria-live="polite"' in html


def test_gerente_ve_acoes_de_gerente(api: Api, pessoas) -> None:
    fila_id = api.criar(502)["fila_id"]
    gerente = pessoas["gerente"]
    html = gerente.pagina()
    assert 'id="nova-ordem"' in html
    cartao = cartao_html(html, fila_id)
    assert "Mais…" in cartao and "Confirmar remoção" not in cartao  # fetched on demand
    acoes = gerente.client.get(f"/ordens/{fila_id}/acoes", headers={"HX-Request": "true"})
    assert acoes.status_code == 200
    assert "Confirmar remoção" in acoes.text and "Salvar prioridade" in acoes.text
    # Without JavaScript "Mais…" is the order's page, which has every form.
    assert f'href="/ordens/{fila_id}#acoes"' in cartao
    detalhe = gerente.pagina(f"/ordens/{fila_id}")
    assert "Confirmar remoção" in detalhe and "Salvar prioridade" in detalhe
    sem_js = gerente.client.get(f"/ordens/{fila_id}/acoes")
    assert sem_js.status_code == 302 and sem_js.headers["Location"].endswith("#acoes")


def _ordem_cheia(api: Api, os_id: int) -> str:
    """An urgent order with every fact a card shows (the heaviest plain card)."""
    return api.criar(
        os_id,
        "URGENTE",
        placa="ABC1D23",
        veiculo="Fiat Strada 1.3",
        cliente="Transportes Lima",
        descricao="Freio rangendo e pedal baixo",
    )["fila_id"]


def test_cartao_pesa_pouco(api: Api, pessoas) -> None:
    """The card: facts, its one step and "Mais…"; the other forms are fetched on demand."""
    fila_id = _ordem_cheia(api, 512)
    api.levar_ate(fila_id, "aprovar-orcamento")
    cartao = cartao_html(pessoas["gerente"].pagina(), fila_id)
    assert len(cartao.encode()) <= 1500, len(cartao.encode())
    assert "Iniciar reparo" in cartao and cartao.count("<form") == 1


def test_cartao_com_formulario_do_passo_pesa_pouco(api: Api, pessoas) -> None:
    """A card in diagnosis carries its step's form (toggle, text box, one confirm button), so
    that it opens at once, even offline, within the tap: 0.25 KB over a plain card's budget."""
    fila_id = _ordem_cheia(api, 513)
    api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 101})
    cartao = cartao_html(pessoas["mecanico"].pagina(), fila_id)
    assert len(cartao.encode()) <= 1750, len(cartao.encode())
    assert cartao.count("<form") == 1 and cartao.count("<textarea") == 1
    assert cartao.count("<summary") == 1 and cartao.count('type="submit"') == 1


def test_quem_inicia_o_trabalho_e_o_mecanico_no_quadro_e_na_api(api: Api, pessoas) -> None:
    """One rule, in the service, for both entry points: on the board whoever starts the work is
    its mechanic (a hand-made post naming another is not obeyed), a manager included; through
    the API the caller names the mechanic (a manager's token assigns one)."""
    feito_pelo_quadro = api.criar(520)["fila_id"]
    r = pessoas["mecanico"].passo(
        feito_pelo_quadro, "iniciar-diagnostico", {"mecanico_responsavel_id": "102"}
    )
    assert r.status_code == 303
    assert api.get(f"/fila-execucao/{feito_pelo_quadro}").json["mecanico_responsavel_id"] == 101
    do_gerente = api.criar(521)["fila_id"]
    assert pessoas["gerente"].passo(do_gerente, "iniciar-diagnostico").status_code == 303
    assert api.get(f"/fila-execucao/{do_gerente}").json["mecanico_responsavel_id"] == 201
    pela_api = api.criar(522)["fila_id"]
    r = api.como("gerente").passo(pela_api, "iniciar-diagnostico", {"mecanico_responsavel_id": 102})
    assert r.status_code == 200 and r.json["mecanico_responsavel_id"] == 102
    do_mecanico = api.criar(523)["fila_id"]
    r = api.como("mecanico").passo(
        do_mecanico, "iniciar-diagnostico", {"mecanico_responsavel_id": 101}
    )
    assert r.status_code == 200 and r.json["mecanico_responsavel_id"] == 101

    # A manager's step on an order that has its mechanic is taken for them, never takes the
    # order over (the TV's load, the forecast's count of mechanics and the OS service all
    # went on "Gabriela Gerente"): assigned first, then diagnosed and repaired by the manager.
    atribuida = api.criar(524)["fila_id"]
    assert pessoas["gerente"].atribuir(atribuida, 102).status_code == 303
    for passo, dados in (("iniciar-diagnostico", {}), ("finalizar-diagnostico",
                         {"diagnostico": "Freio"}), ("aprovar-orcamento", {}),
                         ("iniciar-reparo", {})):  # fmt: skip
        assert pessoas["gerente"].passo(atribuida, passo, dados).status_code == 303
    item = api.get(f"/fila-execucao/{atribuida}").json
    assert item["status"] == "EM_REPARO" and item["mecanico_responsavel_id"] == 102


def test_fluxo_pelo_quadro_sem_javascript(api: Api, pessoas) -> None:
    mecanico, gerente = pessoas["mecanico"], pessoas["gerente"]
    fila_id = api.criar(503)["fila_id"]

    r = mecanico.passo(fila_id, "iniciar-diagnostico")
    assert r.status_code == 303 and r.headers["Location"] == f"/#cartao-{fila_id}"
    item = api.get(f"/fila-execucao/{fila_id}").json
    assert item["status"] == "EM_DIAGNOSTICO" and item["mecanico_responsavel_id"] == 101
    assert item["historico"][-1]["por"] == "mecanico"
    html = mecanico.pagina()
    assert coluna_de(html, fila_id) == "EM_DIAGNOSTICO"
    assert "Marcos Mecânico" in cartao_html(html, fila_id)

    r = mecanico.passo(fila_id, "finalizar-diagnostico", {"diagnostico": "Correia ressecada"})
    assert r.status_code == 303
    cartao = cartao_html(mecanico.pagina(), fila_id)
    assert "Aguardando aprovação do orçamento" in cartao and "Correia ressecada" in cartao
    assert "Iniciar reparo" not in cartao  # nothing to do here until the approval
    detalhe = mecanico.pagina(f"/ordens/{fila_id}")
    assert re.search(r"<button[^>]*disabled[^>]*>Iniciar reparo", detalhe)
    assert "Aguardando a aprovação do orçamento" in detalhe

    assert mecanico.passo(fila_id, "aprovar-orcamento").status_code == 403
    assert gerente.passo(fila_id, "aprovar-orcamento").status_code == 303
    cartao = cartao_html(mecanico.pagina(), fila_id)
    assert "Aprovada, pronta para reparo" in cartao
    assert re.search(r"<button[^>]*>Iniciar reparo", cartao) and "disabled" not in cartao

    assert mecanico.passo(fila_id, "iniciar-reparo").status_code == 303
    assert coluna_de(mecanico.pagina(), fila_id) == "EM_REPARO"
    assert (
        mecanico.passo(fila_id, "finalizar-reparo", {"observacoes_reparo": ""}).status_code == 303
    )
    html = mecanico.pagina()
    assert coluna_de(html, fila_id) == "FINALIZADA"
    assert api.get(f"/fila-execucao/{fila_id}").json["status"] == "FINALIZADA"


def test_sem_javascript_o_cartao_diz_o_que_foi_feito_e_a_aba_e_a_da_sua_coluna(
    api: Api, pessoas
) -> None:
    """The 303's #anchor scrolls to the card, past the page's line: the card says what was
    done, and the tab marked is its column's (it stayed on "Aguardando"). Once only."""
    mecanico = pessoas["mecanico"]
    fila_id = api.criar(511)["fila_id"]
    assert mecanico.passo(fila_id, "iniciar-diagnostico").status_code == 303
    html_ = mecanico.pagina()
    feito = re.search(r'<p class="mensagem feito"[^>]*>([^<]*)</p>', cartao_html(html_, fila_id))
    assert feito and "Marcos Mecânico iniciou o diagnóstico da OS 511" in html.unescape(feito[1])
    assert 'class="aviso-ok"' in html_  # the page's line still says it
    assert re.search(r'id="aba-EM_DIAGNOSTICO"[^>]*aria-current="true"', html_)
    assert not re.search(r'id="aba-AGUARDANDO"[^>]*aria-current', html_)
    de_novo = mecanico.pagina()  # a reload: said once, the board opens as it always does
    assert "mensagem feito" not in de_novo
    assert re.search(r'id="aba-AGUARDANDO"[^>]*aria-current="true"', de_novo)


def test_htmx_recebe_parciais_que_movem_o_cartao(api: Api, pessoas) -> None:
    fila_id = api.criar(504)["fila_id"]
    r = pessoas["mecanico"].passo(fila_id, "iniciar-diagnostico", htmx=True)
    assert r.status_code == 200
    corpo = r.text
    assert f'<hx-partial hx-target="#cartao-{fila_id}" hx-swap="delete">' in corpo
    insercao = corpo.index('<hx-partial hx-target="#cartoes-EM_DIAGNOSTICO" hx-swap="beforeend">')
    assert corpo.index(f'id="cartao-{fila_id}"') > insercao
    assert re.search(
        r'hx-target="#contagem-EM_DIAGNOSTICO"[^>]*>\s*<span id="contagem-EM_DIAGNOSTICO"[^>]*>1<',
        corpo,
    )
    assert re.search(r'<span id="contagem-AGUARDANDO"[^>]*>0<', corpo)
    assert 'hx-target="#anuncios"' in corpo and "OS 504" in corpo


def test_conflito_nomeia_a_mudanca_que_o_causou_nao_a_ultima(api: Api, pessoas) -> None:
    """Who was in the way: the change that refused this one, not whatever came last (the
    priority a manager changed after the diagnosis began did not refuse starting it)."""
    fila_id = api.criar(506)["fila_id"]
    api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 102})
    pessoas["gerente"].post(f"/ordens/{fila_id}/prioridade", {"prioridade": "URGENTE"})
    r = pessoas["mecanico"].passo(fila_id, "iniciar-diagnostico", htmx=True)
    assert r.status_code == 409
    assert "A integração teste-servico já iniciou o diagnóstico às" in r.text
    assert "mudou a prioridade" not in r.text
    # The priority already what was asked: the change that set it is named.
    r = pessoas["gerente"].post(f"/ordens/{fila_id}/prioridade", {"prioridade": "URGENTE"}, True)
    assert r.status_code == 409 and "mudou a prioridade para urgente às" in r.text, r.text
    assert "iniciou o diagnóstico às" not in r.text


def test_dois_gerentes_na_mesma_ordem_o_segundo_nao_desfaz_o_primeiro(api: Api, pessoas) -> None:
    """Two managers choose from the same card (its priority, its mechanic): the second is
    refused with who changed it, to what, and when, and the card as it is now; it was saved
    over the first, which was undone unseen. A post without what the card showed (a page
    drawn before, an integration) changes whatever the order has, as before."""
    fila_id = api.criar(507)["fila_id"]
    gerente = pessoas["gerente"]
    cartao = gerente.pagina(f"/ordens/{fila_id}")
    assert 'name="visto" value="NORMAL"' in cartao and 'name="visto" value="0"' in cartao
    rota = f"/ordens/{fila_id}/prioridade"
    assert gerente.post(rota, {"prioridade": "URGENTE", "visto": "NORMAL"}, True).status_code == 200
    r = gerente.post(rota, {"prioridade": "BAIXA", "visto": "NORMAL"}, True)
    assert r.status_code == 409, r.text
    texto = html.unescape(r.text)
    assert "Não é possível mudar a prioridade: a prioridade mudou depois que esta tela a " in texto
    assert re.search(r"Gabriela Gerente mudou a prioridade para urgente às \d\d:\d\d", texto)
    assert 'name="visto" value="URGENTE"' in r.text  # chosen again, from what it is now
    assert api.get(f"/fila-execucao/{fila_id}").json["prioridade"] == "URGENTE"
    assert gerente.post(rota, {"prioridade": "BAIXA", "visto": "URGENTE"}, True).status_code == 200
    assert gerente.post(rota, {"prioridade": "ALTA"}, True).status_code == 200  # nothing seen
    r = gerente.post(rota, {"prioridade": "ALTA", "visto": "XX"}, True)
    assert r.status_code == 400 and "Cartão inválido; recarregue a página." in r.text
    # The value the card shows chosen again: refused as a change to nothing (the condition on
    # the card's value replaced the one on the new value: "de alta para alta" was recorded).
    entradas = len(api.get(f"/fila-execucao/{fila_id}").json["historico"])
    r = gerente.post(rota, {"prioridade": "ALTA", "visto": "ALTA"}, True)
    assert r.status_code == 409 and "a prioridade já é esta" in r.text
    assert len(api.get(f"/fila-execucao/{fila_id}").json["historico"]) == entradas

    rota = f"/ordens/{fila_id}/atribuir"
    sem_ninguem = {"mecanico_responsavel_id": "101", "visto": "0"}
    assert gerente.post(rota, sem_ninguem, True).status_code == 200
    r = gerente.post(rota, {"mecanico_responsavel_id": "102", "visto": "0"}, True)
    assert r.status_code == 409, r.text
    texto = html.unescape(r.text)
    assert "o mecânico da ordem mudou depois que esta tela o mostrou" in texto
    assert "Gabriela Gerente atribuiu a ordem a Marcos Mecânico às" in texto  # who has it
    assert api.get(f"/fila-execucao/{fila_id}").json["mecanico_responsavel_id"] == 101
    r = gerente.post(rota, {"mecanico_responsavel_id": "101", "visto": "101"}, True)
    assert r.status_code == 409 and "este mecânico já é o responsável" in html.unescape(r.text)
    # A mechanic who began it meanwhile is named the same way, and keeps it.
    api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 102})
    r = gerente.post(rota, {"mecanico_responsavel_id": "101", "visto": "101"}, True)
    assert r.status_code == 409 and "iniciou o diagnóstico às" in html.unescape(r.text)
    r = gerente.post(rota, {"mecanico_responsavel_id": "101", "visto": "102"}, True)
    assert r.status_code == 200
    assert api.get(f"/fila-execucao/{fila_id}").json["mecanico_responsavel_id"] == 101


def test_conflito_mostra_mensagem_e_estado_atual(api: Api, pessoas) -> None:
    fila_id = api.criar(505)["fila_id"]
    api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 102})  # someone faster
    r = pessoas["mecanico"].passo(fila_id, "iniciar-diagnostico", htmx=True)
    assert r.status_code == 409
    assert 'hx-target="#cartoes-EM_DIAGNOSTICO"' in r.text  # the card as it is now
    # Who was faster, and when: that alone, not the rule it now breaks first ("Não é possível
    # iniciar diagnóstico: a ordem precisa estar aguardando. A integração … iniciou …").
    assert "Paula Pereira já" not in r.text  # by the API's sub, not the mechanic it named
    assert re.search(
        r'<p [^>]*class="mensagem"[^>]*>A integração teste-servico já iniciou o diagnóstico às '
        r"\d\d:\d\d\.</p>",
        r.text,
    ), r.text
    assert "precisa estar aguardando" not in r.text
    # Without JavaScript: back to the board at the card (never a page at the POST's address),
    # the reason in the summary at the top and on the card.
    r = pessoas["mecanico"].passo(fila_id, "iniciar-diagnostico")
    assert r.status_code == 303 and r.headers["Location"] == f"/#cartao-{fila_id}"
    html = pessoas["mecanico"].pagina()
    motivo = "A integração teste-servico já iniciou o diagnóstico às"
    assert 'class="resumo-erros"' in html and motivo in html
    assert motivo in cartao_html(html, fila_id)
    assert motivo not in pessoas["mecanico"].pagina()  # shown once


def test_diagnostico_vazio_erro_junto_ao_campo(api: Api, pessoas) -> None:
    fila_id = api.criar(506)["fila_id"]
    api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 101})
    mecanico = pessoas["mecanico"]
    r = mecanico.passo(fila_id, "finalizar-diagnostico", {"diagnostico": "  "}, htmx=True)
    assert r.status_code == 400
    cartao = cartao_html(r.text, fila_id)
    assert "Escreva o diagnóstico." in cartao
    assert re.search(r'<details class="form-passo"[^>]*\bopen\b', cartao)
    assert 'aria-invalid="true"' in cartao
    # Without JavaScript, from the order's page: back there, the form open with the error.
    pagina = f"/ordens/{fila_id}"
    r = mecanico.post(f"{pagina}/passo/finalizar-diagnostico", {"diagnostico": " "}, pagina=pagina)
    assert r.status_code == 303 and r.headers["Location"] == pagina
    detalhe = mecanico.pagina(pagina)
    assert "Escreva o diagnóstico." in detalhe
    assert re.search(r'<details class="form-passo"[^>]*\bopen\b', detalhe)
    assert api.get(f"/fila-execucao/{fila_id}").json["status"] == "EM_DIAGNOSTICO"


def test_texto_digitado_nao_se_perde_quando_o_passo_e_recusado(api: Api, pessoas) -> None:
    fila_id = api.criar(507)["fila_id"]
    api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 101})
    # Emoji too (12 bytes each, percent-encoded): the length is said beside the field, the
    # text given back, not "Corpo da requisição grande demais" with the text gone.
    for texto in ("x" * 10_001, "🔧" * 10_001):
        r = pessoas["mecanico"].passo(
            fila_id, "finalizar-diagnostico", {"diagnostico": texto}, True
        )
        assert r.status_code == 400
        assert "no máximo 10.000 caracteres" in r.text and texto in r.text
    texto = "🔧" * 10_000
    r = pessoas["mecanico"].passo(fila_id, "finalizar-diagnostico", {"diagnostico": texto}, True)
    assert r.status_code == 200
    assert api.get(f"/fila-execucao/{fila_id}").json["diagnostico"] == texto


def test_sem_js_texto_longo_recusado_volta_inteiro_sem_inchar_o_cookie(
    api: Api, pessoas, app: Flask
) -> None:
    """Without JavaScript, a refused step's text goes over the redirect on the server: a
    diagnosis of 9,900 characters, for an order no longer in diagnosis, comes back whole on the
    next page (once) to copy, as htmx shows it, and the session cookie stays small (a browser
    drops one past 4 KB, and the text with it). A refused new order keeps only the form's own
    fields, whatever a hand-made POST adds."""
    fila_id = api.criar(510)["fila_id"]  # waiting: finishing its diagnosis is refused
    mecanico = pessoas["mecanico"]
    texto = "Motor falhando em marcha lenta; " * 300  # 9,900 characters of prose
    r = mecanico.passo(fila_id, "finalizar-diagnostico", {"diagnostico": texto})
    assert r.status_code == 303

    def tamanho_do_cookie() -> int:
        cookie = mecanico.client.get_cookie("session")
        return len(cookie.value) if cookie else 0

    assert tamanho_do_cookie() < 1000
    pagina = mecanico.pagina()
    perdido = pagina.split('<div id="textos-perdidos">')[1].split("</textarea>")[0]
    assert "O que você escreveu na OS 510 não foi salvo; copie antes de fechar:" in perdido
    assert perdido.endswith(html.escape(texto.strip(), quote=False))  # stored as it would be
    assert "Não é possível finalizar diagnóstico" in pagina  # the reason, in the summary
    assert "Motor falhando" not in mecanico.pagina()  # shown once
    lixo = {f"campo{n}": "x" * 20 for n in range(2000)}
    r = pessoas["gerente"].post("/ordens", {"ordem_servico_id": "abc", "cliente": "Ana", **lixo})
    assert r.status_code == 303
    cookie = pessoas["gerente"].client.get_cookie("session")
    assert cookie is not None and len(cookie.value) < 1000
    pagina = pessoas["gerente"].pagina()
    assert 'value="Ana"' in pagina and "campo1" not in pagina
    # Refused again and again: one document kept per person and kind, never one each.
    for _ in range(3):
        mecanico.passo(fila_id, "finalizar-diagnostico", {"diagnostico": texto})
    assert componente(Mongo, app).db["formularios_recusados"].count_documents({}) == 1
    # A number past 64 bits posted in a number field is kept as text: the reason, not a 500.
    r = pessoas["gerente"].post(f"/ordens/{fila_id}/atribuir",
                                {"mecanico_responsavel_id": "9" * 30})  # fmt: skip
    assert r.status_code == 303
    assert "Não foi salvo:" in pessoas["gerente"].pagina(r.headers["Location"].split("#")[0])


def test_sem_js_recusas_da_mesma_pessoa_em_dois_aparelhos_nao_se_trocam(
    api: Api, pessoas, app: Flask, usuarios_demo, entrar
) -> None:
    """The same mechanic signed in on a tablet and on a desk, each refused without JavaScript
    at about the same time: each gets its own text back. Kept per person before, the second
    replaced the first: the tablet showed the desk's text and the desk found nothing."""
    fila_id = api.criar(511)["fila_id"]  # waiting: finishing its diagnosis is refused
    tablet = pessoas["mecanico"]
    outro = app.test_client()
    assert entrar(outro, "mecanico", usuarios_demo["mecanico"]["senha"]).status_code == 302
    mesa = Quadro(outro)
    for quadro, texto in ((tablet, "Texto do tablet"), (mesa, "Texto da mesa")):
        r = quadro.passo(fila_id, "finalizar-diagnostico", {"diagnostico": texto})
        assert r.status_code == 303
    na_mesa, no_tablet = mesa.pagina(), tablet.pagina()
    assert "Texto da mesa" in na_mesa and "Texto do tablet" not in na_mesa
    assert "Texto do tablet" in no_tablet and "Texto da mesa" not in no_tablet


@pytest.mark.parametrize(
    ("caminho", "dados"),
    [
        ("/ordens/{id}/remover", {}),
        ("/ordens/{id}/prioridade", {"prioridade": "URGENTE"}),
        ("/ordens/{id}/passo/aprovar-orcamento", {}),
        ("/ordens", {"ordem_servico_id": "999"}),
    ],
)
def test_mecanico_nao_faz_acao_de_gerente_nem_a_mao(api: Api, pessoas, caminho, dados) -> None:
    fila_id = api.criar(508)["fila_id"]
    api.levar_ate(fila_id, "finalizar-diagnostico")
    antes = api.get(f"/fila-execucao/{fila_id}").json
    r = pessoas["mecanico"].post(caminho.format(id=fila_id), dados)
    assert r.status_code == 403
    assert "gerente" in r.text
    assert api.get(f"/fila-execucao/{fila_id}").json == antes
    assert api.get("/fila-execucao/ordem-servico/999").status_code == 404


def test_sem_javascript_nova_os_diz_por_que_nao_foi_salva(api: Api, pessoas) -> None:
    """Without JavaScript, the new OS's refusal comes back after the redirect as it was said:
    the queue's own (the number already in the queue) and the question of a promise already
    past, with its confirmation to tick. Both were lost: "corrija os campos marcados" and
    no field marked, so a past promise could not be saved at all."""
    api.criar(3000)
    gerente = pessoas["gerente"]
    assert gerente.post("/ordens", {"ordem_servico_id": "3000"}).status_code == 303
    html = gerente.pagina()
    assert re.search(r'id="erro-ordem_servico_id">A OS 3000 já está na fila\.<', html), html
    passada = {"ordem_servico_id": "3001", "previsao_entrega": "2020-01-02T08:00"}
    assert gerente.post("/ordens", passada).status_code == 303
    html = gerente.pagina()
    assert "Esta entrega prometida (02/01/2020 08:00) já passou." in html
    assert 'name="confirmar_previsao"' in html and 'value="3001"' in html
    r = gerente.post("/ordens", {**passada, "confirmar_previsao": "y"})
    assert r.status_code == 303 and r.headers["Location"] == "/"
    item = api.get("/fila-execucao/ordem-servico/3001").json
    assert item["previsao_entrega"] == "2020-01-02T11:00:00.000+00:00"


def test_horario_que_o_fuso_pulou_e_recusado(api: Api, pessoas) -> None:
    """São Paulo's clocks went from 00:00 to 01:00 on 04/11/2018: a promise typed for 00:30
    that night was stored as 01:30 without a word."""
    gerente = pessoas["gerente"]
    pulado = {"ordem_servico_id": "3002", "previsao_entrega": "2018-11-04T00:30"}
    r = gerente.post("/ordens", {**pulado, "confirmar_previsao": "y"}, htmx=True)
    assert r.status_code == 400
    assert "Este horário não existe no fuso da oficina (o relógio pulou essa hora)." in r.text
    assert api.get("/fila-execucao/ordem-servico/3002").status_code == 404
    r = gerente.post("/ordens", {**pulado, "previsao_entrega": "2018-11-04T01:30"}, htmx=True)
    assert r.status_code == 400 and "já passou" in r.text  # the hour after exists


def test_fim_de_2100_no_fuso_diz_a_ultima_data_aceita(api: Api, pessoas) -> None:
    """31/12/2100 23:30 in São Paulo is 2101 in UTC, as stored: "Use uma data entre 2000 e
    2100" refused a date of 2100. The refusal now names the last minute accepted."""
    gerente = pessoas["gerente"]
    dados = {"ordem_servico_id": "3003", "previsao_entrega": "2100-12-31T23:30"}
    r = gerente.post("/ordens", dados, htmx=True)
    assert r.status_code == 400
    assert "Use uma data entre 01/01/2000 00:00 e 31/12/2100 20:59." in r.text
    r = gerente.post("/ordens", {**dados, "previsao_entrega": "2100-12-31T20:59"}, htmx=True)
    assert r.status_code == 200, r.text
    r = gerente.post("/ordens", {**dados, "previsao_entrega": "2101-01-01T10:00"}, htmx=True)
    assert "Use uma data entre 2000 e 2100." in r.text


def test_post_sem_csrf_e_recusado(api: Api, pessoas) -> None:
    fila_id = api.criar(509)["fila_id"]
    r = pessoas["mecanico"].client.post(f"/ordens/{fila_id}/passo/iniciar-diagnostico")
    assert r.status_code == 400
    assert api.get(f"/fila-execucao/{fila_id}").json["status"] == "AGUARDANDO"


def test_gerente_adiciona_os_com_erros_inline(api: Api, pessoas) -> None:
    gerente = pessoas["gerente"]
    r = gerente.post(
        "/ordens",
        {"ordem_servico_id": "abc", "prioridade": "NORMAL", "previsao_entrega": "amanhã"},
        htmx=True,
    )
    assert r.status_code == 400
    assert 'hx-target="#nova-ordem"' in r.text and "Digite só números inteiros." in r.text
    assert "Data e hora inválidas." in r.text
    assert "valor temporal" not in r.text  # WTForms' Portugal Portuguese
    # A promise already past is asked about with the other fields' errors, not after them.
    r = gerente.post(
        "/ordens",
        {"ordem_servico_id": "12a", "placa": "abc-12", "previsao_entrega": "2020-01-01T10:00"},
        htmx=True,
    )
    assert r.status_code == 400
    assert "Digite só números inteiros." in r.text and "Placa inválida" in r.text
    assert "Esta entrega prometida (01/01/2020 10:00) já passou." in r.text
    assert 'name="confirmar_previsao"' in r.text
    # A date refused as such (out of the years) asks no confirmation that could not help.
    r = gerente.post("/ordens", {"ordem_servico_id": "779", "previsao_entrega": "1969-12-31T23:59"})
    assert r.status_code == 303
    pagina = gerente.pagina()
    assert "Use uma data entre" in pagina and 'name="confirmar_previsao"' not in pagina
    # Confirmed, with the number still wrong: the tick stays (it vanished, and the next
    # send asked again), and the number fixed saves it.
    passada = {
        "placa": "ABC1D23",
        "previsao_entrega": "2020-01-01T10:00",
        "confirmar_previsao": "y",
    }
    r = gerente.post("/ordens", {"ordem_servico_id": "", **passada}, htmx=True)
    assert r.status_code == 400 and "Informe o número da OS." in r.text
    assert re.search(r'<input checked[^>]*name="confirmar_previsao"', r.text), r.text
    assert "já passou" not in r.text
    r = gerente.post("/ordens", {"ordem_servico_id": "", **passada})  # without JavaScript
    assert r.status_code == 303
    assert re.search(r'<input checked[^>]*name="confirmar_previsao"', gerente.pagina())
    assert (
        gerente.post("/ordens", {"ordem_servico_id": "778", **passada}, htmx=True).status_code
        == 200
    )
    # Only ASCII digits, as the API and the filters take them: int() alone also read "1_000",
    # Arabic-Indic and full-width digits as another number.
    for escrito in ("1_000", "١٢٣", "１２３４"):
        r = gerente.post("/ordens", {"ordem_servico_id": escrito}, htmx=True)
        assert r.status_code == 400 and "Digite só números inteiros." in r.text, escrito
    # Too large is said as too large, not as "not positive".
    # Past a float's range too (309 digits and more: WTForms' NumberRange raised a 500 there).
    for digitos in (23, 400):
        r = gerente.post("/ordens", {"ordem_servico_id": "9" * digitos}, htmx=True)
        assert r.status_code == 400
        assert "O número da OS é grande demais (no máximo 9.223.372.036.854.775.807)." in r.text
    r = gerente.post("/ordens", {"ordem_servico_id": "-4", "placa": "12"})
    assert r.status_code == 303 and r.headers["Location"] == "/#nova-ordem"
    html = gerente.pagina()
    assert "O número da OS deve ser um inteiro positivo." in html and "Placa inválida" in html
    assert "9.223" not in html  # a -4 is not told about 2^63
    assert "<p>Não foi salvo:</p><ul><li>Nova OS: corrija os campos marcados.</li>" in html
    assert re.search(r'<details id="nova-ordem"[^>]*\bopen\b', html)
    r = gerente.post(
        "/ordens",
        {
            "ordem_servico_id": "777",
            "prioridade": "ALTA",
            "placa": "xyz-9k88",
            "veiculo": "Gol",
            "previsao_entrega": "2030-01-02T17:30",
        },
    )
    assert r.status_code == 303
    item = api.get("/fila-execucao/ordem-servico/777").json
    assert item["prioridade"] == "ALTA" and item["placa"] == "XYZ9K88"
    assert item["previsao_entrega"] == "2030-01-02T20:30:00.000+00:00"  # São Paulo is UTC-3
    r = gerente.post("/ordens", {"ordem_servico_id": "777", "prioridade": "NORMAL"}, htmx=True)
    assert r.status_code == 409 and "A OS 777 já está na fila." in r.text
    r = gerente.post("/ordens", {"ordem_servico_id": "778", "prioridade": "X"}, htmx=True)
    assert r.status_code == 400
    for placa in ("12", "ABCDEFGHIJ", "AB12345"):
        r = gerente.post("/ordens", {"ordem_servico_id": "779", "placa": placa}, htmx=True)
        assert r.status_code == 400 and "Placa inválida" in r.text
    # A promised time already past: asked to confirm, then saved.
    passado = {
        "ordem_servico_id": "780",
        "prioridade": "NORMAL",
        "previsao_entrega": "2024-01-02T08:00",
    }
    r = gerente.post("/ordens", passado, htmx=True)
    assert r.status_code == 400 and "já passou" in r.text and 'name="confirmar_previsao"' in r.text
    r = gerente.post("/ordens", {**passado, "confirmar_previsao": "y"}, htmx=True)
    assert r.status_code == 200
    assert api.get("/fila-execucao/ordem-servico/780").status_code == 200
    # The year as typed and as stored (UTC): 31/12/2100 23:30 in São Paulo is 2101 in UTC,
    # which the API refuses and whose export the importer could not read back.
    ultima = {"ordem_servico_id": "781", "prioridade": "NORMAL"}
    r = gerente.post("/ordens", {**ultima, "previsao_entrega": "2100-12-31T23:30"}, htmx=True)
    assert r.status_code == 400
    assert "Use uma data entre 01/01/2000 00:00 e 31/12/2100 20:59." in r.text  # the last one
    r = gerente.post("/ordens", {**ultima, "previsao_entrega": "2100-12-31T20:30"}, htmx=True)
    assert r.status_code == 200
    item = api.get("/fila-execucao/ordem-servico/781").json
    assert item["previsao_entrega"] == "2100-12-31T23:30:00.000+00:00"


def test_prioridade_e_remocao_pelo_quadro(api: Api, pessoas) -> None:
    fila_id = api.criar(510)["fila_id"]
    gerente = pessoas["gerente"]
    assert (
        gerente.post(f"/ordens/{fila_id}/prioridade", {"prioridade": "URGENTE"}).status_code == 303
    )
    assert api.get(f"/fila-execucao/{fila_id}").json["prioridade"] == "URGENTE"
    r = gerente.post(f"/ordens/{fila_id}/prioridade", {"prioridade": "JA"}, htmx=True)
    assert r.status_code == 400
    r = gerente.post(f"/ordens/{fila_id}/remover", htmx=True)
    assert r.status_code == 200
    assert f'hx-target="#cartao-{fila_id}" hx-swap="delete"' in r.text
    assert re.search(rf"Gabriela Gerente removeu a OS 510 {DA_FILA_AS}", r.text)
    assert api.get(f"/fila-execucao/{fila_id}").status_code == 404
    r = gerente.post(f"/ordens/{fila_id}/remover")  # without JavaScript: the board says so
    # Who removed it and when, not only "not in the queue".
    assert r.status_code == 303 and "Gabriela Gerente removeu a OS" in gerente.pagina("/")


def test_remocao_so_da_ordem_como_o_cartao_mostrou(api: Api, pessoas, app: Flask) -> None:
    """The card's "Confirmar remoção" carries the version it showed: an order a mechanic began
    since is not removed unseen (409, who did what and when, the card as it is now); the
    version it has now removes it. Without the field (a page from before), as it is."""
    fila_id = api.criar(512)["fila_id"]
    gerente = pessoas["gerente"]
    vista = re.search(
        rf'action="/ordens/{fila_id}/remover".*?name="versao" value="(\d+)"',
        gerente.client.get(f"/ordens/{fila_id}/acoes", headers={"HX-Request": "true"}).text,
        re.S,
    ).group(1)
    api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 101})
    r = gerente.post(f"/ordens/{fila_id}/remover", {"versao": vista}, htmx=True)
    assert r.status_code == 409
    assert "Não é possível remover uma ordem da fila: ela mudou desde que a tela" in r.text
    assert "iniciou o diagnóstico" in r.text  # who was faster, and when
    assert f'id="cartao-{fila_id}"' in r.text and 'data-status="EM_DIAGNOSTICO"' in r.text
    assert api.get(f"/fila-execucao/{fila_id}").json["status"] == "EM_DIAGNOSTICO"
    r = gerente.post(f"/ordens/{fila_id}/remover", {"versao": "x1"}, htmx=True)
    assert r.status_code == 400
    atual = api.get(f"/fila-execucao/{fila_id}").json["versao"]
    r = gerente.post(f"/ordens/{fila_id}/remover", {"versao": str(atual)}, htmx=True)
    assert r.status_code == 200 and "Gabriela Gerente removeu a OS" in r.text
    assert api.get(f"/fila-execucao/{fila_id}").status_code == 404
    # An order stored before versions were kept: its card says 1, and removes it.
    antiga = api.criar(513)["fila_id"]
    componente(Mongo, app).db.fila_execucao.update_one(
        {"ordem_servico_id": 513}, {"$unset": {"versao": ""}}
    )
    r = gerente.post(f"/ordens/{antiga}/remover", {"versao": "1"}, htmx=True)
    assert r.status_code == 200 and "Gabriela Gerente removeu a OS" in r.text


def test_passo_numa_ordem_removida_diz_por_que_e_guarda_o_texto(api: Api, pessoas) -> None:
    fila_id = api.criar(511)["fila_id"]
    api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 101})
    pessoas["gerente"].post(f"/ordens/{fila_id}/remover")
    texto = "Vazamento na junta do cabeçote."
    r = pessoas["mecanico"].post(
        f"/ordens/{fila_id}/passo/finalizar-diagnostico", {"diagnostico": texto}, htmx=True
    )
    assert r.status_code == 404
    # Who removed it and when; and whose text it is, to paste it back on the right car.
    assert re.search(rf"Gabriela Gerente removeu a OS 511 {DA_FILA_AS} \d\d:\d\d\.", r.text)
    assert "Item da fila" not in r.text  # the API's words, not the shop's
    assert texto in r.text and "O que você escreveu na OS 511 não foi salvo" in r.text
    # A card of it dropped on a column says the same and goes from the board (it said "Item
    # da fila não encontrado." and stayed).
    r = pessoas["mecanico"].post(f"/ordens/{fila_id}/mover", {"para": "EM_REPARO"}, htmx=True)
    assert r.status_code == 404 and "Item da fila" not in r.text
    assert re.search(rf"Gabriela Gerente removeu a OS 511 {DA_FILA_AS} \d\d:\d\d\.", r.text)
    assert f'hx-target="#cartao-{fila_id}" hx-swap="delete"' in r.text


@pytest.mark.parametrize("pagina", ["/", "/ordens/{fila_id}"])
def test_sem_javascript_passo_numa_ordem_removida_volta_com_o_texto(
    api: Api, pessoas, pagina: str
) -> None:
    """Without JavaScript too: the board (never the removed order's own page, now a 404)
    with the reason and what was typed, to copy; it was the error page, the text lost."""
    fila_id = api.criar(512)["fila_id"]
    api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 101})
    pessoas["gerente"].post(f"/ordens/{fila_id}/remover")
    texto = "Vazamento na junta do cabeçote."
    mecanico = pessoas["mecanico"]
    r = mecanico.post(
        f"/ordens/{fila_id}/passo/finalizar-diagnostico",
        {"diagnostico": texto},
        pagina=pagina.format(fila_id=fila_id),
    )
    assert r.status_code == 303 and r.headers["Location"] == "/", r.headers.get("Location")
    quadro = mecanico.pagina("/")
    assert re.search(rf"Gabriela Gerente removeu a OS 512 {DA_FILA_AS}", quadro)
    perdido = quadro.split('<div id="textos-perdidos">')[1].split("</textarea>")[0]
    assert texto in perdido and "O que você escreveu na OS 512 não foi salvo" in perdido
    # A manager who lost the race to remove it: the board, saying so.
    r = pessoas["gerente"].post(f"/ordens/{fila_id}/remover")
    assert r.status_code == 303
    quadro_do_gerente = pessoas["gerente"].pagina("/")
    assert re.search(rf"Gabriela Gerente removeu a OS 512 {DA_FILA_AS}", quadro_do_gerente)


def test_espera_com_motivo(api: Api, pessoas) -> None:
    fila_id = api.criar(511)["fila_id"]
    mecanico = pessoas["mecanico"]
    r = mecanico.post(f"/ordens/{fila_id}/pausar", {"motivo": "outro", "nota": ""}, htmx=True)
    assert r.status_code == 400 and "Descreva o motivo da espera." in r.text
    # The page's line names the order it is about (the card's own message need not).
    assert 'hx-target="#anuncios" hx-swap="innerHTML">OS 511: Corrija o campo marcado.<' in r.text
    assert (
        mecanico.post(f"/ordens/{fila_id}/pausar", {"motivo": "xyz"}, htmx=True).status_code == 400
    )
    # Without JavaScript the page's summary names it too ("Corrija o campo marcado." alone
    # on a board of many cards), and the tab shown is the card's column, not the first.
    em_diagnostico = api.criar(513, placa="DGN5A13")["fila_id"]
    api.passo(em_diagnostico, "iniciar-diagnostico", {"mecanico_responsavel_id": 101})
    r = mecanico.post(f"/ordens/{em_diagnostico}/passo/finalizar-diagnostico", {"diagnostico": ""})
    assert r.status_code == 303
    pagina = mecanico.pagina()
    resumo = pagina[pagina.index('id="resumo-erros"') :].split("</div>")[0]
    assert "<li>OS 513 (DGN5A13): Corrija o campo marcado.</li>" in resumo
    assert re.search(r'id="aba-EM_DIAGNOSTICO"[^>]*aria-current="true"', pagina)
    assert not re.search(r'id="aba-AGUARDANDO"[^>]*aria-current', pagina)
    assert (
        mecanico.post(f"/ordens/{fila_id}/pausar", {"motivo": "aguardando_pecas"}).status_code
        == 303
    )
    cartao = cartao_html(mecanico.pagina(), fila_id)
    assert "Em espera: Aguardando peças" in cartao
    assert "Retomar" in mecanico.pagina(f"/ordens/{fila_id}")
    item = api.get(f"/fila-execucao/{fila_id}").json
    assert item["status"] == "AGUARDANDO" and item["pausa"]["motivo"] == "aguardando_pecas"
    r = mecanico.post(f"/ordens/{fila_id}/pausar", {"motivo": "aguardando_cliente"}, htmx=True)
    assert r.status_code == 409 and "já está em espera" in r.text
    assert mecanico.post(f"/ordens/{fila_id}/retomar").status_code == 303
    item = api.get(f"/fila-execucao/{fila_id}").json
    assert item["pausa"] is None
    assert [h["acao"] for h in item["historico"]][-2:] == ["pausar", "retomar"]


def test_filtros_minhas_ordens_e_busca(api: Api, pessoas) -> None:
    minha = api.criar(601, placa="AAA1A11")["fila_id"]
    outra = api.criar(602, placa="BBB2B22")["fila_id"]
    api.passo(minha, "iniciar-diagnostico", {"mecanico_responsavel_id": 101})
    api.passo(outra, "iniciar-diagnostico", {"mecanico_responsavel_id": 102})
    mecanico = pessoas["mecanico"]
    html = mecanico.pagina("/?mecanico=101")
    assert f"cartao-{minha}" in html and f"cartao-{outra}" not in html
    html = mecanico.pagina("/?q=bbb-2b")
    assert f"cartao-{outra}" in html and f"cartao-{minha}" not in html
    html = mecanico.pagina("/?q=601")
    assert f"cartao-{minha}" in html and f"cartao-{outra}" not in html
    # No regex injection, no error: simply nothing found, and the board says so.
    assert "Nenhuma ordem encontrada no quadro para “.*”" in mecanico.pagina("/?q=.*")


def test_busca_pelo_numero_escrito_como_no_cartao(api: Api, pessoas) -> None:
    """The card says "OS 601", and so do people on the phone: a search for "OS 601" said
    "Nenhuma ordem encontrada" beside that very card. The number is read with the words
    people put before it; a pushed card is matched by the same rule."""
    fila_id = api.criar(601, placa="AAA1A11")["fila_id"]
    api.criar(602, placa="BBB2B22")
    mecanico = pessoas["mecanico"]
    for escrito in ("OS 601", "os601", "OS-601", "OS nº 601", "nº 601", "#601"):
        pagina = mecanico.pagina("/?" + urlencode({"q": escrito}))
        assert f"cartao-{fila_id}" in pagina and "BBB2B22" not in pagina, escrito
        assert Filtros.de_args({"q": escrito}).aceita(api.get(f"/fila-execucao/{fila_id}").json)
    # Words alone, or another number after them, find nothing.
    for escrito in ("OS", "OS 6011", "OS 601 602"):
        pagina = mecanico.pagina("/?" + urlencode({"q": escrito}))
        assert f"cartao-{fila_id}" not in pagina, escrito


def test_finalizadas_hoje_historico_e_detalhe(api: Api, pessoas, app: Flask) -> None:
    hoje = api.criar(701, placa="HOJ1E00")["fila_id"]
    api.levar_ate(hoje, "finalizar-reparo")
    antiga = api.criar(702, placa="ONT3M00")["fila_id"]
    api.levar_ate(antiga, "finalizar-reparo")
    ontem = agora() - timedelta(days=1)
    componente(Mongo, app).db["fila_execucao"].update_one(
        {"ordem_servico_id": 702}, {"$set": {"dta_fim_reparo": ontem}}
    )
    mecanico = pessoas["mecanico"]
    html = mecanico.pagina()
    assert f"cartao-{hoje}" in html and f"cartao-{antiga}" not in html
    assert re.search(r'id="contagem-FINALIZADA"[^>]*>1<', html)

    historico = mecanico.pagina("/historico")
    assert "ONT3M00" in historico and "HOJ1E00" not in historico
    assert '<caption class="sr">Ordens finalizadas antes de hoje</caption>' in historico
    dia = ontem.astimezone(componente(Clock, app).fuso).date()  # the shop's day, not UTC's
    assert "ONT3M00" in mecanico.pagina(f"/historico?data={dia.isoformat()}")
    assert "ONT3M00" in mecanico.pagina(f"/historico?data=%20{dia.isoformat()}%20")
    for errada in ("ontem", dia.strftime("%Y%m%d"), dia.strftime("%G-W%V-%u")):
        r = mecanico.client.get(f"/historico?data={errada}")
        assert r.status_code == 400 and "use o calendário (AAAA-MM-DD)" in r.text, errada
        # Back as typed, in a field that shows it (a date field shows it empty).
        campo = re.search(r'<input id="data"[^>]*>', r.text)
        assert campo and f'value="{errada}"' in campo[0] and 'type="text"' in campo[0], errada

    detalhe = mecanico.pagina(f"/ordens/{antiga}")
    for rotulo in (
        "adicionou à fila",
        "iniciou o diagnóstico (aguardando → em diagnóstico)",
        "finalizou o diagnóstico",
        "registrou a aprovação do orçamento",
        "iniciou o reparo",
        "finalizou o reparo",
    ):
        assert rotulo in detalhe
    assert "AGUARDANDO" not in detalhe.split("<h2>Histórico</h2>")[1]  # words, not codes
    assert "Tempo total" in detalhe
    assert mecanico.client.get("/ordens/nao-existe").status_code == 404


def test_busca_por_os_removida_diz_quem_removeu_e_quando(api: Api, pessoas) -> None:
    """A search for an OS removed from the queue pointed to the Histórico, where it never is
    (found by a UX round). It says who removed it and when, as its own page does; back in
    the queue, it is simply found."""
    fila_id = api.criar(9401, placa="REM9A01")["fila_id"]
    assert api.delete(f"/fila-execucao/{fila_id}").status_code == 204
    pagina = html.unescape(pessoas["mecanico"].pagina("/?q=9401"))
    assert re.search(
        r"Nenhuma ordem do quadro para “9401”: .+ removeu a OS 9401 \(REM9A01\) da fila "
        r"às \d\d:\d\d\.",
        pagina,
    ), pagina[pagina.find("vazio-quadro") - 20 : pagina.find("vazio-quadro") + 400]
    assert "Histórico" not in pagina[pagina.find("vazio-quadro") :].split("</p>")[0]
    api.criar(9401, placa="REM9A01")  # back in the queue
    pagina = html.unescape(pessoas["mecanico"].pagina("/?q=9401"))
    assert "removeu a OS 9401" not in pagina and "REM9A01" in pagina


def test_busca_por_os_finalizada_antes_de_hoje_diz_quando_e_leva_a_ela(
    api: Api, pessoas, app: Flask
) -> None:
    """The board shows the open orders and today's finished: a search for an OS finished
    before today said "Nenhuma ordem encontrada", as if it never existed. It says when it
    finished and links to its page, found by its number or by the car's whole plate (a
    customer on the phone gives the plate; the car's last visit); a number or a plate nobody
    has, or part of a plate, points to the history."""
    antiga = api.criar(703, placa="ONT4M00")["fila_id"]
    api.levar_ate(antiga, "finalizar-reparo")
    componente(Mongo, app).db["fila_execucao"].update_one(
        {"ordem_servico_id": 703}, {"$set": {"dta_fim_reparo": agora() - timedelta(days=2)}}
    )
    mecanico = pessoas["mecanico"]
    pagina = html.unescape(mecanico.pagina("/?q=703"))
    assert re.search(r"a OS 703 \(ONT4M00\) foi finalizada em \d\d/\d\d \d\d:\d\d\. ", pagina)
    assert f'<a href="/ordens/{antiga}">Ver a ordem</a>' in pagina
    # By the plate, as typed on the phone: the car's last visit (an earlier one is not it).
    anterior = api.criar(702, placa="ONT4M00")["fila_id"]
    api.levar_ate(anterior, "finalizar-reparo")
    componente(Mongo, app).db["fila_execucao"].update_one(
        {"ordem_servico_id": 702}, {"$set": {"dta_fim_reparo": agora() - timedelta(days=30)}}
    )
    pagina = html.unescape(mecanico.pagina("/?q=ont-4m00"))
    assert re.search(r"a OS 703 \(ONT4M00\) foi finalizada em \d\d/\d\d \d\d:\d\d\. ", pagina)
    assert f'<a href="/ordens/{antiga}">Ver a ordem</a>' in pagina
    # Under one mechanic's filter, a plate whose car is on the board under no one (or another):
    # not "finalizada em …" as if gone, but the filter's own answer and the search of all.
    visita = api.criar(706, placa="FIL7T00")["fila_id"]
    api.levar_ate(visita, "finalizar-reparo")
    componente(Mongo, app).db["fila_execucao"].update_one(
        {"ordem_servico_id": 706}, {"$set": {"dta_fim_reparo": agora() - timedelta(days=9)}}
    )
    api.criar(707, placa="FIL7T00")  # back today, no mechanic yet
    pagina = html.unescape(mecanico.pagina("/?mecanico=101&q=FIL7T00"))
    assert "foi finalizada em" not in pagina
    assert "Nenhuma ordem sua no quadro para “FIL7T00”." in pagina
    for busca in ("XYZ9Z99", "ONT4", "704"):
        pagina = html.unescape(mecanico.pagina(f"/?q={busca}"))
        assert f"Nenhuma ordem encontrada no quadro para “{busca}”" in pagina
        assert 'estão no <a href="/historico">Histórico</a>' in pagina
    # On "Minhas ordens", an order finished today but someone else's: the filter is what left
    # it out (it said "finalizada em …" as if gone from the board, or pointed to the history).
    api.levar_ate(api.criar(705)["fila_id"], "finalizar-reparo", mecanico=102)
    pagina = html.unescape(mecanico.pagina("/?mecanico=101&q=705"))
    assert "Nenhuma ordem sua no quadro para “705”." in pagina
    assert '<a href="/?q=705">Procurar em todas as ordens</a>' in pagina
    # Imported history: said so, with no page to go to.
    componente(Mongo, app).db["fila_execucao"].update_one(
        {"ordem_servico_id": 703}, {"$set": {"importada": True}}
    )
    for busca in ("703", "ONT4M00"):
        pagina = html.unescape(mecanico.pagina(f"/?q={busca}"))
        assert "a OS 703 (ONT4M00) foi finalizada em" in pagina
        assert "(histórico importado, sem página no quadro)" in pagina
        assert "Ver a ordem" not in pagina


def test_minhas_ordens_leva_as_que_aguardam_sem_mecanico(api: Api, pessoas) -> None:
    """ "Minhas ordens" shows a mechanic's own cars; the next one to start has no mechanic
    yet, so it is not there, and the column said only "Nada encontrado". Its column offers
    the way to the queue's waiting cars; the whole board needs no such link."""
    api.criar(731, placa="SEM1M00")
    mecanico = pessoas["mecanico"]
    link = '<a class="botao" href="/#coluna-AGUARDANDO">Ver todas as que aguardam</a>'
    minhas = mecanico.pagina("/?mecanico=101")
    assert "SEM1M00" not in minhas
    secao = minhas[
        minhas.index('id="coluna-AGUARDANDO"') : minhas.index('id="coluna-EM_DIAGNOSTICO"')
    ]
    assert link in secao
    todas = mecanico.pagina("/")
    assert "SEM1M00" in todas and link not in todas


def test_busca_pela_placa_antiga_acha_o_carro_com_placa_mercosul(
    api: Api, pessoas, app: Flask
) -> None:
    """A car moved to Mercosul keeps its plate but for the fifth character, a digit that became
    a letter (FGT0967 is FGT0J67): the customer reads the old one from the paperwork. The
    board finds the car under either, open or finished before today, and so does a push
    (the board's filter on a changed card)."""
    assert gemea("FGT0967") == "FGT0J67" and gemea("FGT0J67") == "FGT0967"
    assert gemea("ONT4M00") is None and gemea("FGT09") is None  # M is no digit; not whole
    aberta = api.criar(741, placa="ABC1C34")["fila_id"]
    antiga = api.criar(742, placa="FGT0J67")["fila_id"]
    api.levar_ate(antiga, "finalizar-reparo")
    componente(Mongo, app).db["fila_execucao"].update_one(
        {"ordem_servico_id": 742}, {"$set": {"dta_fim_reparo": agora() - timedelta(days=3)}}
    )
    mecanico = pessoas["mecanico"]
    assert f"cartao-{aberta}" in mecanico.pagina("/?q=abc-1234")
    pagina = html.unescape(mecanico.pagina("/?q=FGT0967"))
    assert "a OS 742 (FGT0J67) foi finalizada em" in pagina
    filtros = Filtros.de_args({"q": "ABC1234"})
    assert filtros.aceita(componente(FilaQueries, app).obter(ObjectId(aberta)))


def test_pagina_da_ordem_diz_onde_cada_espera_acabou(api: Api, pessoas, app: Flask) -> None:
    """A step ends a hold without a "tirou da espera" of its own (the work moved on): the
    order's page says so on the step's line, with the hold's reason and length, as it does on
    a "tirou da espera"."""
    fila_id = api.criar(703, placa="ESP3R00")["fila_id"]
    fila = componente(FilaService, app)
    gerente = Ator("gerente", Papel.GERENTE)
    inicio = agora() - timedelta(hours=5)
    fila.executar(fila_id, Acao.INICIAR_DIAGNOSTICO, gerente, {"mecanico_responsavel_id": 101},
               instante=inicio)  # fmt: skip
    fila.pausar(fila_id, MotivoPausa.AGUARDANDO_CLIENTE, None, gerente, instante=inicio)
    fila.retomar(fila_id, gerente, instante=inicio + timedelta(minutes=20))
    fila.pausar(fila_id, MotivoPausa.AGUARDANDO_PECAS, "junta", gerente,
                instante=inicio + timedelta(hours=1))  # fmt: skip
    fila.executar(fila_id, Acao.FINALIZAR_DIAGNOSTICO, gerente, {"diagnostico": "Junta."},
               instante=inicio + timedelta(hours=3, minutes=5))  # fmt: skip
    historico = pessoas["gerente"].pagina(f"/ordens/{fila_id}").split("<h2>Histórico</h2>")[1]
    linhas = [" ".join(re.sub(r"<[^>]+>", " ", li).split()) for li in historico.split("<li>")[1:]]
    assert any("tirou da espera: aguardando cliente, 20 min" in li for li in linhas), linhas
    assert any(
        "finalizou o diagnóstico (em diagnóstico → aguardando) — encerrou a espera: aguardando "
        "peças, 2 h 05 min" in li
        for li in linhas
    ), linhas
    assert sum("encerrou a espera" in li for li in linhas) == 1, linhas


def _os_da_tabela(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td><a href="/ordens/[0-9a-f]{24}">(\d+)</a>', html)]


def _proxima(html: str) -> str | None:
    achado = re.search(r'href="(/historico\?[^"]*depois=[^"]*)">Mais antigas', html)
    return achado[1].replace("&amp;", "&") if achado else None


def _recentes(html: str) -> str | None:
    achado = re.search(r'href="(/historico[^"]*)">← Mais recentes', html)
    return achado[1].replace("&amp;", "&") if achado else None


def test_historico_volta_uma_pagina_por_vez(
    api: Api, pessoas, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "← Mais recentes" goes back to the page before, not to the first: three pages (of ten
    here), ties broken by _id, the third's link brings the second's rows, its link the first
    page; the page before is read backwards in the same index, never sorted in memory."""
    monkeypatch.setattr(quadro_routes, "HISTORICO_PAGINA", 10)
    db = componente(Mongo, app).db
    for n in range(30):
        api.levar_ate(api.criar(850 + n)["fila_id"], "finalizar-reparo")
    fim = agora() - timedelta(days=3)
    db["fila_execucao"].update_many(
        {"ordem_servico_id": {"$lt": 865}}, {"$set": {"dta_fim_reparo": fim}}
    )
    db["fila_execucao"].update_many(
        {"ordem_servico_id": {"$gte": 865}}, {"$set": {"dta_fim_reparo": fim + timedelta(hours=1)}}
    )
    mecanico = pessoas["mecanico"]
    paginas = [mecanico.pagina("/historico")]
    while proxima := _proxima(paginas[-1]):
        paginas.append(mecanico.pagina(proxima))
    linhas = [_os_da_tabela(p) for p in paginas]
    assert [len(x) for x in linhas] == [10, 10, 10]
    assert sorted(sum(linhas, [])) == list(range(850, 880))
    assert _recentes(paginas[0]) is None and "nesta página" not in paginas[0]

    with consultas_de(db, "fila_execucao") as consultas:
        de_volta = mecanico.pagina(_recentes(paginas[2]))
        seguinte = mecanico.pagina(_proxima(de_volta))
        segunda = mecanico.pagina(_proxima(paginas[0]))  # 20 older rows, 10 read
    assert _os_da_tabela(de_volta) == linhas[1] and _os_da_tabela(seguinte) == linhas[2]
    assert _os_da_tabela(segunda) == linhas[1]
    # Each page says where it is, however it was reached (ties across its first row included).
    assert "30 ordens finalizadas antes de hoje; nesta página, da 11ª à 20ª mais recente." in (
        de_volta
    )
    assert "nesta página, da 21ª à 30ª mais recente." in seguinte
    assert "nesta página, da 11ª à 20ª" in segunda
    # Each keyset range one seek of the index: a page reads its own rows (and the ties of the
    # row it starts from), never the history before or after it.
    buscas = [c for c in consultas if c["op"] == "query"]
    assert buscas and all(
        c["planSummary"].startswith("IXSCAN { status: 1, importada: 1, dta_fim_reparo")
        and c["docsExamined"] <= 11
        for c in buscas
    ), [(c["planSummary"], c["docsExamined"]) for c in buscas]

    primeira = mecanico.pagina(_recentes(de_volta))
    assert _os_da_tabela(primeira) == linhas[0] and _recentes(primeira) is None
    assert "nesta página" not in primeira
    r = mecanico.client.get("/historico?antes=f.1.nao-e-id")
    assert r.status_code == 400 and "Página do histórico inválida" in r.text
    # Counted only as far as the whole is (1.000; 15 here): past it, no number is made up.
    monkeypatch.setattr(quadro_routes, "HISTORICO_CONTAGEM", 15)
    terceira = mecanico.pagina(_proxima(de_volta))
    assert "Mais de 15 ordens finalizadas antes de hoje; estas são mais antigas." in terceira
    assert "da 11ª à 20ª" in mecanico.pagina(_proxima(paginas[0]))


def test_historico_pagina_pelo_indice_sem_ler_o_resto(api: Api, pessoas, app: Flask) -> None:
    """/historico pages by keyset, in the index's order: 30 orders finished at the same instant
    (ties broken by _id) come 25 then 5, none twice, none lost; a page reads its own rows
    from the index, never sorting the history in memory nor counting all of it."""
    db = componente(Mongo, app).db
    for n in range(30):
        api.levar_ate(api.criar(800 + n)["fila_id"], "finalizar-reparo")
    db["fila_execucao"].update_many({}, {"$set": {"dta_fim_reparo": agora() - timedelta(days=2)}})
    mecanico = pessoas["mecanico"]
    with consultas_de(db, "fila_execucao") as consultas:
        pagina1 = mecanico.pagina("/historico")
    [busca] = [c for c in consultas if c["op"] == "query"]
    [contagem] = [c for c in consultas if "aggregate" in c["command"]]
    # That index only (the plan names it once per branch of the query it scans).
    indice = "IXSCAN { status: 1, importada: 1, dta_fim_reparo: -1, _id: -1 }"
    assert set(busca["planSummary"].split(", IXSCAN")) <= {indice, indice[len("IXSCAN") :]}
    assert not busca.get("hasSortStage") and busca["docsExamined"] <= 26, busca
    assert (
        contagem["planSummary"].startswith("IXSCAN")
        and {"$limit": 1001} in contagem["command"]["pipeline"]
    )
    assert "30 ordens finalizadas antes de hoje." in pagina1
    assert "Mais recentes" not in pagina1
    primeiras = _os_da_tabela(pagina1)
    proxima = _proxima(pagina1)
    assert len(primeiras) == 25 and proxima is not None
    pagina2 = mecanico.pagina(proxima)
    ultimas = _os_da_tabela(pagina2)
    assert len(ultimas) == 5 and _proxima(pagina2) is None
    assert sorted(primeiras + ultimas) == list(range(800, 830))
    assert "nesta página, da 26ª à 30ª mais recente" in pagina2 and "← Mais recentes" in pagina2
    r = mecanico.client.get("/historico?depois=f.1.nao-e-id")
    assert r.status_code == 400 and "Página do histórico inválida" in r.text


def _mostrar_mais(quadro: str, coluna: str) -> str:
    """The address of a column's "Mostrar mais" on a board's page."""
    mais = re.search(rf'href="(/colunas/{coluna}\?[^"]*depois=[^"]*)"', quadro)
    assert mais is not None, coluna
    return html.unescape(mais[1])


def test_mostrar_mais_le_so_a_sua_pagina(api: Api, pessoas, app: Flask) -> None:
    """A column's next page ("Mostrar mais") reads its own cards from the index, each keyset
    range one seek, never the column before it again: 60 waiting (two priorities, so the page
    starts inside one and runs into the next), the second page reads ~20 documents, not 60."""
    for n in range(60):
        api.criar(7300 + n, "ALTA" if n < 30 else "NORMAL")
    mecanico = pessoas["mecanico"]
    mais = _mostrar_mais(mecanico.pagina("/"), "AGUARDANDO")
    db = componente(Mongo, app).db
    with consultas_de(db, "fila_execucao") as consultas:
        segunda = mecanico.pagina(mais)
    assert len(re.findall(r'<li id="cartao-', segunda)) == 20
    buscas = [c for c in consultas if c["op"] == "query"]
    assert buscas and sum(c["docsExamined"] for c in buscas) <= 21, [
        (c["planSummary"], c["docsExamined"]) for c in buscas
    ]


def test_mostrar_mais_le_os_nomes_uma_vez_por_pagina(api: Api, pessoas, app: Flask) -> None:
    """A column's next page ("Mostrar mais") reads the mechanics' names once for its 40 cards,
    not once per card."""
    for n in range(45):
        fila_id = api.criar(7200 + n)["fila_id"]
        api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 101 + n % 2})
    mecanico = pessoas["mecanico"]
    mais = _mostrar_mais(mecanico.pagina("/"), "EM_DIAGNOSTICO")
    db = componente(Mongo, app).db
    with consultas_de(db, "usuarios") as consultas:
        pagina = mecanico.pagina(mais)
    assert len(re.findall(r'<li id="cartao-', pagina)) == 5
    nomes = [c for c in consultas if "funcionario_id" in str(c["command"].get("filter"))]
    assert len(nomes) == 1, nomes


def test_contagens_das_colunas_abertas_so_leem_o_indice(api: Api, app: Flask) -> None:
    """The columns' counts (every GET / and every push of them): an open column is counted
    from its index keys alone, never reading a card's document (one aggregation of the four
    read them all: 19 ms at 2,000 open orders, 2.5 ms counted this way)."""
    for n in range(6):
        fila_id = api.criar(870 + n)["fila_id"]
        if n % 2:
            api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 7})
    hoje = componente(Clock, app).inicio_do_dia()
    db = componente(Mongo, app).db
    with consultas_de(db, "fila_execucao") as consultas:
        contagens = componente(FilaQueries, app).contagens(hoje)
    assert contagens == {"AGUARDANDO": 3, "EM_DIAGNOSTICO": 3, "EM_REPARO": 0, "FINALIZADA": 0}
    abertas = [c for c in consultas if "FINALIZADA" not in str(c["command"])]
    assert len(abertas) == 3
    assert all(c["docsExamined"] == 0 and "COUNT_SCAN" in c["planSummary"] for c in abertas)


def test_proxima_atrasada_e_a_primeira_promessa_ou_limite_de_etapa_pelo_indice(
    api: Api, app: Flask
) -> None:
    """The next instant an order may turn late (the streams send the late count then): the
    nearest promise still ahead, or a stage's start plus its priority's red threshold, the
    earliest; a finished order's promise or a stage already late is not one. Each read is an
    index's (no collection scan), one per priority and one for the promises."""
    fila = componente(FilaService, app)
    gerente = Ator("teste", Papel.GERENTE)
    agora_ = agora()
    api.criar(890, previsao_entrega=(agora_ + timedelta(hours=2)).isoformat())
    feita = api.criar(891, previsao_entrega=(agora_ + timedelta(minutes=5)).isoformat())
    api.levar_ate(feita["fila_id"], "finalizar-reparo")
    fila.adicionar(892, gerente, Prioridade.URGENTE, {}, instante=agora_ - timedelta(minutes=90))
    fila.adicionar(893, gerente, Prioridade.ALTA, {}, instante=agora_ - timedelta(minutes=100))
    limites = limites_alerta("")
    queries = componente(FilaQueries, app)
    db = componente(Mongo, app).db
    with consultas_de(db, "fila_execucao") as consultas:
        proxima = queries.proxima_atrasada(agora_, limites)
    # ALTA's red threshold is 120 minutes: 20 minutes from now, before the promise in 2 hours;
    # the URGENTE car is late already (60), the finished order's promise does not count.
    assert proxima is not None  # the store keeps milliseconds
    assert abs(proxima - (agora_ + timedelta(minutes=20))) < timedelta(milliseconds=1)
    assert len(consultas) == 1 + len(Prioridade)
    # The priority is checked on the documents the index leads to: at most the open orders
    # whose stage began within that priority's threshold (3 here), never the queue.
    assert all("IXSCAN" in c["planSummary"] and c["docsExamined"] <= 3 for c in consultas), [
        (c["planSummary"], c["docsExamined"]) for c in consultas
    ]
    fila.adicionar(894, gerente, Prioridade.URGENTE, {}, instante=agora_ - timedelta(minutes=55))
    mais_cedo = queries.proxima_atrasada(agora_, limites)
    assert mais_cedo is not None
    assert abs(mais_cedo - (agora_ + timedelta(minutes=5))) < timedelta(milliseconds=1)


def test_minhas_ordens_le_so_as_do_mecanico(api: Api, pessoas, app: Flask) -> None:
    """ "Minhas ordens" in a long queue: its column pages and counts read the mechanic's own
    entries of an index (fila_por_mecanico), never the other cars' documents or keys."""
    for n in range(30):  # 101: 3 cars in diagnosis; 102: 6 in diagnosis, 6 in repair; 15 wait
        fila_id = api.criar(880 + n)["fila_id"]
        if n < 3:
            api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 101})
        elif n < 15:
            api.levar_ate(fila_id, "iniciar-diagnostico" if n < 9 else "iniciar-reparo", 102)
    db = componente(Mongo, app).db
    with consultas_de(db, "fila_execucao") as consultas:
        pagina = pessoas["mecanico"].pagina("/?mecanico=101")
        assert componente(FilaQueries, app).abertas_do_mecanico(101) == 3
    assert len(re.findall(r'<li id="cartao-', pagina)) == 3
    # The filter on says so in words and state, not only with a ✓.
    ligado = re.search(r'<a class="botao ativo" href="/"[^>]*>(.*?)</a>', pagina)
    assert ligado and 'aria-current="true"' in ligado[0], pagina
    assert re.sub(r"<[^>]+>", "", ligado[1]) == "Minhas ordens ✓: só as suas; ver todas"
    abertas = [
        c for c in consultas
        if "mecanico_responsavel_id" in str(c["command"]) and "FINALIZADA" not in str(c["command"])
    ]  # fmt: skip
    assert len(abertas) == 7, abertas  # 3 columns' pages and counts, and the number's count
    for c in abertas:
        assert c["docsExamined"] <= 3 and c["keysExamined"] <= 4, c


def test_historico_conta_ate_mil(api: Api, pessoas, app: Flask) -> None:
    """A long history is not counted whole at every visit: past 1,000 it says so."""
    fila = componente(Mongo, app).db["fila_execucao"]
    api.levar_ate(api.criar(850)["fila_id"], "finalizar-reparo")
    modelo = fila.find_one({}, {"_id": 0})
    assert modelo is not None
    ontem = agora() - timedelta(days=1)
    fila.insert_many(
        [{**modelo, "ordem_servico_id": 9000 + n, "dta_fim_reparo": ontem} for n in range(1001)]
    )
    html = pessoas["mecanico"].pagina("/historico")
    assert "Mais de 1.000 ordens finalizadas antes de hoje." in html
    assert len(_os_da_tabela(html)) == 25


def test_finalizada_depois_da_promessa_diz_no_cartao(api: Api, pessoas) -> None:
    """A finished card keeps its promise: when it finished after it, the card and the order's
    page say so, as /indicadores counts it ("Finalizadas depois da previsão"); one that
    finished in time says nothing more."""
    depois = api.criar(911, previsao_entrega="2020-01-01T10:00:00-03:00")["fila_id"]
    a_tempo = api.criar(912, previsao_entrega="2099-01-01T10:00:00-03:00")["fila_id"]
    for fila_id in (depois, a_tempo):
        api.levar_ate(fila_id, "finalizar-reparo")
    html = pessoas["mecanico"].pagina()
    # Another year's date says its year (a year typed wrong must not read as this week).
    assert "Entrega 01/01/2020 10:00 · finalizada depois</span>" in cartao_html(html, depois)
    assert "Entrega 01/01/2099 10:00</span>" in cartao_html(html, a_tempo)
    assert "finalizada depois" not in cartao_html(html, a_tempo)
    assert "entrega-atrasada" not in cartao_html(html, a_tempo)
    assert "(finalizada depois dela)" in pessoas["mecanico"].pagina(f"/ordens/{depois}")


def test_previsao_vencida_fica_vermelha_e_tempo_muda_de_cor(api: Api, pessoas, app: Flask) -> None:
    atrasada = api.criar(901, "URGENTE", previsao_entrega="2020-01-01T10:00:00-03:00")["fila_id"]
    no_prazo = api.criar(902, previsao_entrega="2099-01-01T10:00:00-03:00")["fila_id"]
    # An urgent order waiting 45 min is amber (30/60 min thresholds by default); 2 h is red.
    fila = componente(Mongo, app).db["fila_execucao"]
    fila.update_one(
        {"ordem_servico_id": 901}, {"$set": {"dta_criacao": agora() - timedelta(minutes=45)}}
    )
    html = pessoas["mecanico"].pagina()
    assert "entrega-atrasada" in cartao_html(html, atrasada)
    assert "entrega-atrasada" not in cartao_html(html, no_prazo)
    assert "tempo-atencao" in cartao_html(html, atrasada)
    fila.update_one(
        {"ordem_servico_id": 901}, {"$set": {"dta_criacao": agora() - timedelta(hours=2)}}
    )
    assert "tempo-atraso" in cartao_html(pessoas["mecanico"].pagina(), atrasada)


def test_nova_os_recusada_apaga_o_sucesso_anterior_da_linha(pessoas) -> None:
    """With htmx, the line above the board says what the "Adicionar OS" form did last: a
    refusal (OS already in the queue) replaces the success of the one before, never sits
    beside it (it said "OS 2001 adicionada à fila." next to "A OS 2001 já está na fila.")."""
    gerente = pessoas["gerente"]
    r = gerente.post("/ordens", {"ordem_servico_id": "2001"}, htmx=True)
    assert r.status_code == 200
    assert '<hx-partial hx-target="#anuncios" hx-swap="innerHTML">OS 2001 adicionada' in r.text
    r = gerente.post("/ordens", {"ordem_servico_id": "2001"}, htmx=True)
    assert r.status_code == 409
    assert "A OS 2001 já está na fila." in r.text
    assert (
        '<hx-partial hx-target="#anuncios" hx-swap="innerHTML"><span class="aviso-erro">Nova '
        "OS: corrija os campos marcados.</span></hx-partial>" in r.text
    )


def test_endereco_com_id_em_maiusculas_responde_com_o_cartao_de_sempre(api: Api, pessoas) -> None:
    """An order's id typed in capitals (a hand-made address) names the same card: the answer
    takes away and puts back `#cartao-<id in lower case>`, never a second card beside it."""
    fila_id = api.criar(531)["fila_id"]
    resposta = pessoas["mecanico"].passo(fila_id.upper(), "iniciar-diagnostico", htmx=True)
    assert resposta.status_code == 200, resposta.text
    assert f'hx-target="#cartao-{fila_id}" hx-swap="delete"' in resposta.text
    assert f'id="cartao-{fila_id}"' in resposta.text and fila_id.upper() not in resposta.text


def test_passo_reenviado_depois_da_resposta_perdida_ja_estava_salvo(api: Api, pessoas) -> None:
    """A mechanic's tap whose answer was lost on the way back (the tablet's Wi-Fi) is sent
    again ("Tentar de novo"): it was saved, and it says so, not "Marcos finalizou o
    diagnóstico… O que você escreveu não foi salvo" about his own saved text. Another text,
    or another person, is still refused with the reason."""
    fila_id = api.criar(530)["fila_id"]
    mecanico, gerente = pessoas["mecanico"], pessoas["gerente"]
    assert mecanico.passo(fila_id, "iniciar-diagnostico").status_code == 303
    texto = {"diagnostico": "Pastilhas gastas; trocar."}
    assert mecanico.passo(fila_id, "finalizar-diagnostico", texto, htmx=True).status_code == 200
    de_novo = mecanico.passo(fila_id, "finalizar-diagnostico", texto, htmx=True)
    assert de_novo.status_code == 200, de_novo.text
    # Said on the card, where the tap was, and on the page's line.
    no_cartao = cartao_html(de_novo.text, fila_id)
    assert (
        '<p class="mensagem" data-some="300">Já estava salvo: Marcos Mecânico finalizou o'
        in no_cartao
    )
    assert 'hx-target="#anuncios" hx-swap="innerHTML">Já estava salvo: Marcos' in de_novo.text
    assert "não foi salvo" not in de_novo.text
    sem_js = mecanico.passo(fila_id, "finalizar-diagnostico", texto)
    assert sem_js.status_code == 303
    assert "Já estava salvo" in mecanico.pagina()
    outro_texto = mecanico.passo(
        fila_id, "finalizar-diagnostico", {"diagnostico": "Outra coisa"}, htmx=True
    )
    assert outro_texto.status_code == 409 and "não foi salvo" in outro_texto.text
    assert gerente.passo(fila_id, "finalizar-diagnostico", texto, htmx=True).status_code == 409
    historico = api.get(f"/fila-execucao/{fila_id}").json["historico"]
    assert [h["acao"] for h in historico].count("finalizar_diagnostico") == 1  # saved once


def test_espera_e_retomada_reenviadas_ja_estavam_salvas(api: Api, pessoas) -> None:
    """A hold (and its resume) whose answer was lost is sent again: saved once, and said so
    ("Já estava salvo: Marcos Mecânico colocou em espera às…"), not refused as if someone else
    had put the car on hold. Another reason or note, or another person, is still refused."""
    fila_id = api.criar(532)["fila_id"]
    mecanico, gerente = pessoas["mecanico"], pessoas["gerente"]
    assert mecanico.passo(fila_id, "iniciar-diagnostico").status_code == 303
    espera = {"motivo": "aguardando_pecas", "nota": " Pastilha  encomendada "}
    rota = f"/ordens/{fila_id}/pausar"
    assert mecanico.post(rota, espera, htmx=True).status_code == 200
    de_novo = mecanico.post(rota, espera, htmx=True)
    assert de_novo.status_code == 200, de_novo.text
    assert re.search(
        r'<p class="mensagem" data-some="300">Já estava salvo: Marcos Mecânico colocou em espera',
        cartao_html(de_novo.text, fila_id),
    )
    for outra in ({"motivo": "aguardando_cliente", "nota": ""}, {**espera, "nota": "Outra"}):
        outro = mecanico.post(rota, outra, htmx=True)
        assert outro.status_code == 409 and "já está em espera" in outro.text
    assert gerente.post(rota, espera, htmx=True).status_code == 409
    retomar = f"/ordens/{fila_id}/retomar"
    assert mecanico.post(retomar, htmx=True).status_code == 200
    de_novo = mecanico.post(retomar, htmx=True)
    assert de_novo.status_code == 200, de_novo.text
    assert "Já estava salvo: Marcos Mecânico tirou da espera às" in de_novo.text
    assert gerente.post(retomar, htmx=True).status_code == 409
    acoes = [h["acao"] for h in api.get(f"/fila-execucao/{fila_id}").json["historico"]]
    assert acoes.count("pausar") == 1 and acoes.count("retomar") == 1


def test_remocao_dita_nos_outros_quadros_e_na_pagina_da_ordem(
    app: Flask, api: Api, pessoas
) -> None:
    """A removed order leaves other boards with who removed it and when (it vanished without a
    word), if that board showed it; and its page (the QR of a printed job card) says the same
    instead of a bare "not found"."""
    fila_id = api.criar(540, placa="REM5A40")["fila_id"]
    api.criar(541)
    mecanico = pessoas["mecanico"].client
    _, leitor = stream_de_teste(mecanico, "/eventos")
    try:
        leitor.proxima()
        assert pessoas["gerente"].post(f"/ordens/{fila_id}/remover").status_code == 303
        dados = leitor.proxima(com="removeu")["data"]
        assert re.search(
            r'hx-target="#anuncios"[^>]*>Gabriela Gerente removeu a OS 540 \(REM5A40\) '
            rf"{DA_FILA_AS} \d\d:\d\d\.<",
            dados,
        ), dados
    finally:
        leitor.fechar()
    r = mecanico.get(f"/ordens/{fila_id}")
    assert r.status_code == 404
    # Said once ("…: ela não está mais na fila" said it twice).
    assert re.search(
        rf"Gabriela Gerente removeu a OS 540 \(REM5A40\) {DA_FILA_AS} \d\d:\d\d\.<", r.text
    )


def test_diagnostico_longo_demais_volta_inteiro_com_o_motivo(api: Api, pessoas) -> None:
    """A diagnosis over 10,000 characters (a long paste) is refused with the reason and comes
    back whole in its form; the text box has no maxlength, which cut a paste there without a
    word (counting an emoji as two)."""
    fila_id = api.criar(550)["fila_id"]
    mecanico = pessoas["mecanico"]
    assert mecanico.passo(fila_id, "iniciar-diagnostico").status_code == 303
    assert "maxlength" not in cartao_html(mecanico.pagina(), fila_id).split("<textarea")[1]
    texto = "Embreagem patinando 🚗; " * 500  # 12,000 characters
    r = mecanico.passo(fila_id, "finalizar-diagnostico", {"diagnostico": texto}, htmx=True)
    assert r.status_code == 400
    assert "Use no máximo 10.000 caracteres." in r.text
    assert html.escape(texto.strip(), quote=False) in r.text  # given back whole
    assert api.get(f"/fila-execucao/{fila_id}").json["status"] == "EM_DIAGNOSTICO"


def test_passo_de_um_carro_que_saiu_de_minhas_ordens_e_dito(api: Api, pessoas) -> None:
    """On "Minhas ordens", a mechanic finishes a repair the manager gave to another mechanic
    while he typed: it is saved, and his board says so, although the card leaves it (it left
    without a word, the line above still saying the reassignment)."""
    fila_id = api.criar(560, placa="MIN5A60")["fila_id"]
    for passo, dados in (("iniciar-diagnostico", {"mecanico_responsavel_id": 101}),
                         ("finalizar-diagnostico", {"diagnostico": "Freio"}),
                         ("aprovar-orcamento", {}), ("iniciar-reparo", {})):  # fmt: skip
        api.passo(fila_id, passo, dados)
    assert pessoas["gerente"].atribuir(fila_id, 102).status_code == 303
    r = pessoas["mecanico"].post(
        f"/ordens/{fila_id}/passo/finalizar-reparo",
        {"observacoes_reparo": "Trocadas as pastilhas."},
        htmx=True,
        pagina="/?mecanico=101",
    )
    assert r.status_code == 200
    anuncio = re.search(r'<hx-partial hx-target="#anuncios" hx-swap="innerHTML">([^<]*)<', r.text)
    assert anuncio and "OS 560 (MIN5A60)" in anuncio[1], r.text
    assert f'id="cartao-{fila_id}"' not in r.text  # not on his board any more


def test_pagina_da_ordem_volta_ao_quadro_com_o_filtro(api: Api, pessoas) -> None:
    """A mechanic on "Minhas ordens" (or anyone searching a plate) opens an order's page: its
    "Voltar ao quadro", and its forms' redirects, keep that filter, and a removal from it goes
    back to the filtered board, not the whole shop's."""
    fila_id = api.criar(7101, placa="VLT1A01")["fila_id"]
    api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 101})
    mecanico, gerente = pessoas["mecanico"], pessoas["gerente"]
    detalhe = f"/ordens/{fila_id}?mecanico=101"
    assert f'href="{detalhe}" class="placa"' in mecanico.pagina("/?mecanico=101")
    assert f'href="/ordens/{fila_id}" class="placa"' in mecanico.pagina("/")
    pagina = mecanico.pagina(detalhe)
    assert (
        f'<a href="/?mecanico=101#cartao-{fila_id}"><span aria-hidden="true">←</span> Voltar'
        in pagina
    )
    # The job card's way back is the order's page, filter kept (and so on to the board).
    ficha = mecanico.pagina(f"/ordens/{fila_id}/ficha?mecanico=101")
    assert f'href="{detalhe}"><span aria-hidden="true">←</span> Voltar à ordem' in ficha
    assert f'href="/ordens/{fila_id}/ficha?formato=80mm&amp;mecanico=101"' in ficha
    # A search's text comes along, escaped; a filter that is no filter does not.
    assert f'href="/?q=VLT1#cartao-{fila_id}"' in mecanico.pagina(f"/ordens/{fila_id}?q=VLT1")
    assert f'href="/#cartao-{fila_id}"' in mecanico.pagina(f"/ordens/{fila_id}?mecanico=abc")
    # A card an htmx answer or a push draws for that board carries it too.
    resposta = gerente.post(
        f"/ordens/{fila_id}/prioridade", {"prioridade": "ALTA"}, True, "/?mecanico=101"
    )
    assert f'href="{detalhe}" class="placa"' in resposta.text
    # A plain POST from the page comes back to it, filter kept; a removal, to the board.
    resposta = gerente.post(
        f"/ordens/{fila_id}/prioridade", {"prioridade": "URGENTE"}, pagina=detalhe
    )
    assert resposta.status_code == 303 and resposta.headers["Location"] == detalhe
    versao = api.get(f"/fila-execucao/{fila_id}").json["versao"]
    resposta = gerente.post(f"/ordens/{fila_id}/remover", {"versao": str(versao)}, pagina=detalhe)
    assert resposta.status_code == 303 and resposta.headers["Location"] == "/?mecanico=101"


def test_pagina_da_ordem_se_atualiza_sozinha_e_diz_o_que_mudou(api: Api, pessoas, entrar) -> None:
    """An order's page left open (a service advisor on a call) re-reads its fields and history
    every 30 s: how the car is now, and, once it changed since the page opened, that the actions
    below are from then. A finished order's page stops reading; a removed one says who removed
    it, once."""
    fila_id = api.criar(7201, placa="VIV7A01")["fila_id"]
    gerente = pessoas["gerente"]
    pagina = gerente.pagina(f"/ordens/{fila_id}?mecanico=101")
    viva = re.search(
        r'<div id="ordem-agora" hx-get="([^"]+)" hx-include="#ordem-acoes-versao" '
        r'hx-trigger="every 30s"',
        pagina,
    )
    assert viva, pagina
    # The actions' version goes with each read (hx-include), as the page's actions carry it.
    assert 'hx-include="#ordem-acoes-versao"' in pagina
    versao = re.search(
        r'<input type="hidden" id="ordem-acoes-versao" name="versao" value="(\d+)">', pagina
    )
    assert versao, pagina
    leitura = f"{html.unescape(viva[1])}&versao={versao[1]}"
    assert leitura.startswith(f"/ordens/{fila_id}/agora?") and "mecanico=101" in leitura
    assert 'id="ordem-historico"' in pagina and "mudou depois que a página abriu" not in pagina
    htmx = {"HX-Request": "true"}

    # Nothing changed: as it was, no notice.
    r = gerente.client.get(leitura, headers=htmx)
    assert r.status_code == 200 and "Aguardando diagnóstico" in r.text
    assert "mudou depois que a página abriu" not in r.text

    # A mechanic starts the diagnosis elsewhere: the next read says so, history included.
    api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 101})
    r = gerente.client.get(leitura, headers=htmx)
    assert "Em diagnóstico" in r.text and "Marcos Mecânico" in r.text
    assert "Esta ordem mudou depois que a página abriu" in r.text
    assert f'href="/ordens/{fila_id}?mecanico=101">Recarregar a página' in r.text
    historico = re.search(
        r'<hx-partial hx-target="#ordem-historico" hx-swap="outerHTML">(.*?)</hx-partial>',
        r.text,
        re.S,
    )
    assert historico and "iniciou o diagnóstico" in historico[1]
    # The actions drawn again, as they are now, with their version (static/ordem-acoes.js
    # takes them when nothing is being done there, and drops the notice then).
    acoes = re.search(
        r'<hx-partial hx-target="#ordem-acoes" hx-swap="innerHTML">(.*?)</hx-partial>', r.text, re.S
    )
    assert acoes and "Finalizar diagnóstico" in acoes[1] and "Iniciar diagnóstico" not in acoes[1]
    assert f'name="versao" value="{int(versao[1]) + 1}"' in acoes[1]
    assert re.search(
        r"A ordem mudou às \d\d:\d\d\. A integração \S+ iniciou o diagnóstico da OS 7201 "
        r"\(VIV7A01\)\. As ações abaixo já são as de agora\.",
        acoes[1],
    ), acoes[1]
    assert 'class="mensagem acoes-antigas"' in r.text
    # Its own next read (the swapped element) asks the same, the version from the actions.
    nova = re.search(r'<div id="ordem-agora" hx-get="([^"]+)"', r.text)
    assert nova and f"{html.unescape(nova[1])}&versao={versao[1]}" == leitura
    # Read with the actions' new version: nothing to draw again, no notice.
    r = gerente.client.get(
        leitura.replace(f"versao={versao[1]}", f"versao={int(versao[1]) + 1}"), headers=htmx
    )
    assert "acoes-antigas" not in r.text and 'hx-target="#ordem-acoes"' not in r.text
    # A version that is no number (a hand-made address): no notice, no error; nor one that
    # Python alone reads as a number ("1_0", "٣").
    for torta in ("x", "1_0", "٣"):
        r = gerente.client.get(
            leitura.replace(f"versao={versao[1]}", f"versao={torta}"), headers=htmx
        )
        assert r.status_code == 200 and "Em diagnóstico" in r.text, torta
        assert "acoes-antigas" not in r.text and 'hx-target="#ordem-acoes"' not in r.text, torta
    # Without htmx (a copied link): the whole page, with its board's filter, nothing else of
    # the address (a hand-made `fila_id=` or `_external=` was given to url_for: a 500).
    assert gerente.client.get(leitura).headers["Location"] == f"/ordens/{fila_id}?mecanico=101"
    for torto in ("fila_id=1", "_external=1&_scheme=javascript", "_anchor=x"):
        r = gerente.client.get(f"{leitura}&{torto}")
        assert r.status_code == 302 and r.headers["Location"] == f"/ordens/{fila_id}?mecanico=101"

    # Signed out in another tab: said in place of the live part, whose reads stop, the page
    # kept (a form being typed below stays to copy); it jumped to the sign-in page, the text
    # lost. Nothing of the order is read for it.
    outra_aba = gerente.post("/sair")
    assert outra_aba.status_code in (302, 303)
    r = gerente.client.get(leitura, headers=htmx)
    assert r.status_code == 200 and "HX-Redirect" not in r.headers
    assert "Sua sessão terminou: esta página parou de se atualizar." in r.text
    assert f'href="/entrar?next=/ordens/{fila_id}">Entrar de novo' in r.text
    assert "hx-trigger" not in r.text and "VIV7A01" not in r.text and "Marcos" not in r.text
    assert entrar(gerente.client, "gerente", "gerente123").status_code == 302
    gerente = Quadro(gerente.client)  # signed in again: a new form token

    # Removed meanwhile: who and when, and no further read.
    assert gerente.post(f"/ordens/{fila_id}/remover").status_code == 303
    r = gerente.client.get(leitura, headers=htmx)
    assert r.status_code == 200 and "Gabriela Gerente removeu a OS 7201 (VIV7A01)" in r.text
    assert "As ações abaixo não valem mais." in r.text
    assert "hx-trigger" not in r.text and "ordem-historico" not in r.text

    # A finished order's page does not read again: nothing of it changes any more.
    feita = api.criar(7202)["fila_id"]
    api.levar_ate(feita, "finalizar-reparo", mecanico=101)
    assert '<div id="ordem-agora">' in gerente.pagina(f"/ordens/{feita}")


def test_nota_de_espera_numa_ordem_removida_e_o_que_volta_para_copiar(api: Api, pessoas) -> None:
    """A hold confirmed on an order removed meanwhile: what comes back to copy is the note the
    person wrote, not the reason chosen in the list above it ("aguardando_pecas")."""
    fila_id = api.criar(514, placa="ESP5A14")["fila_id"]
    pessoas["gerente"].post(f"/ordens/{fila_id}/remover")
    nota = "Cliente traz a peça amanhã cedo."
    r = pessoas["gerente"].post(
        f"/ordens/{fila_id}/pausar", {"motivo": "aguardando_pecas", "nota": nota}, htmx=True
    )
    assert r.status_code == 404
    perdido = r.text.split('<div class="texto-perdido"')[1].split("</textarea>")[0]
    assert "O que você escreveu na OS 514 (ESP5A14) não foi salvo" in perdido
    assert perdido.endswith(nota) and "aguardando_pecas" not in perdido
