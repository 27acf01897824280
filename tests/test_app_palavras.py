"""The words a mechanic or a manager reads on the board, the order's page, the history, /pessoas
and /configuracoes: people act (never the order), systems have names (never an id), counts
agree with their nouns, nothing says a setting's name to someone who cannot change it."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask

from tests.helpers import Api, Quadro, cartao_html
from webapp.clock import agora
from webapp.components import componente
from webapp.fila import labels
from webapp.fila.domain import Acao, Ator, Papel
from webapp.fila.service import FilaService
from webapp.mongo import Mongo
from webapp.pessoas.repository import PessoasRepository


def anuncio(resposta: str) -> str:
    achado = re.search(r'<hx-partial hx-target="#anuncios"[^>]*>(.*?)</hx-partial>', resposta, re.S)
    assert achado, resposta
    return achado.group(1).strip()


def test_a_linha_de_situacao_diz_quem_fez_o_que(api: Api, pessoas) -> None:
    fila_id = api.criar(1003, placa="PXT7A10")["fila_id"]
    r = pessoas["mecanico"].passo(fila_id, "iniciar-diagnostico", htmx=True)
    assert anuncio(r.text) == "Marcos Mecânico iniciou o diagnóstico da OS 1003 (PXT7A10)."

    r = pessoas["gerente"].post(
        f"/ordens/{fila_id}/atribuir", {"mecanico_responsavel_id": "102"}, htmx=True
    )
    assert anuncio(r.text) == "Gabriela Gerente atribuiu a OS 1003 (PXT7A10) a Paula Pereira."
    r = pessoas["gerente"].post(f"/ordens/{fila_id}/prioridade", {"prioridade": "URGENTE"}, True)
    assert anuncio(r.text) == (
        "Gabriela Gerente mudou a prioridade da OS 1003 (PXT7A10) para urgente."
    )
    r = pessoas["mecanico"].post(
        f"/ordens/{fila_id}/pausar", {"motivo": "aguardando_pecas"}, htmx=True
    )
    assert anuncio(r.text) == (
        "Marcos Mecânico colocou a OS 1003 (PXT7A10) em espera: aguardando peças."
    )
    r = pessoas["mecanico"].post(f"/ordens/{fila_id}/retomar", {}, htmx=True)
    assert anuncio(r.text) == "Marcos Mecânico tirou a OS 1003 (PXT7A10) da espera."


def test_soltar_na_coluna_errada_diz_qual_e_o_proximo_passo(api: Api, pessoas) -> None:
    fila_id = api.criar(1004)["fila_id"]
    api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 101})
    r = pessoas["mecanico"].post(f"/ordens/{fila_id}/mover", {"para": "EM_REPARO"}, htmx=True)
    assert r.status_code == 409
    assert "não há passo de" not in r.text
    assert (
        "Não é possível mover a OS 1004 para Em reparo: o próximo passo desta ordem é "
        "“Finalizar diagnóstico”, que a leva para Aguardando."
    ) in cartao_html(r.text, fila_id)

    for passo, corpo in (
        ("finalizar-diagnostico", {"diagnostico": "Freio"}),
        ("aprovar-orcamento", None),
        ("iniciar-reparo", None),
        ("finalizar-reparo", None),
    ):
        api.passo(fila_id, passo, corpo)
    r = pessoas["gerente"].post(f"/ordens/{fila_id}/mover", {"para": "AGUARDANDO"}, htmx=True)
    assert "uma ordem finalizada não muda mais de coluna" in cartao_html(r.text, fila_id)


def test_historico_conta_com_plural_de_verdade(api: Api, pessoas, app: Flask) -> None:
    mecanico = pessoas["mecanico"]
    assert "Nenhuma ordem finalizada antes de hoje." in mecanico.pagina("/historico")
    fila = componente(Mongo, app).db["fila_execucao"]
    for n in range(3):
        api.levar_ate(api.criar(1100 + n)["fila_id"], "finalizar-reparo")
        fila.update_many({}, {"$set": {"dta_fim_reparo": agora() - timedelta(days=2)}})
        pagina = mecanico.pagina("/historico")
        assert "(ns)" not in pagina and "(s)" not in pagina
        esperado = "1 ordem finalizada" if n == 0 else f"{n + 1} ordens finalizadas"
        assert f"{esperado} antes de hoje." in pagina


def test_pagina_da_ordem_sem_repeticoes_nem_ids(api: Api, pessoas, app: Flask) -> None:
    demo = componente(FilaService, app).adicionar(1201, Ator(labels.DEMONSTRACAO, Papel.ADMIN))
    fila_id = str(demo["_id"])
    componente(FilaService, app).executar(
        fila_id,
        Acao.INICIAR_DIAGNOSTICO,
        Ator(labels.SISTEMA_OS, Papel.SISTEMA_OS),
        {"mecanico_responsavel_id": 101},
    )
    api.passo(fila_id, "finalizar-diagnostico", {"diagnostico": "Freio"})  # token sub teste-servico
    detalhe = pessoas["gerente"].pagina(f"/ordens/{fila_id}")
    assert "Aguardando — Aguardando" not in detalhe
    assert re.search(r"<dt>Situação</dt><dd>Aguardando aprovação do orçamento</dd>", detalhe)
    historico = detalhe.split("<h2>Histórico</h2>")[1]
    assert "seed-demo" not in historico and "sistema-os" not in historico
    assert re.search(r'class="autor">A demonstração</span>\s*adicionou à fila', historico)
    assert re.search(r'class="autor">O sistema de OS</span>\s*iniciou o diagnóstico', historico)
    assert re.search(
        r'class="autor">A integração teste-servico</span>\s*finalizou o diagnóstico', historico
    )

    pessoas["gerente"].post(f"/ordens/{fila_id}/passo/aprovar-orcamento")
    historico = pessoas["gerente"].pagina(f"/ordens/{fila_id}").split("<h2>Histórico</h2>")[1]
    assert re.search(
        r'class="autor">Gabriela Gerente</span>\s*registrou a aprovação do orçamento', historico
    )


def test_lista_de_tokens_mostra_nomes(app: Flask, pessoas) -> None:
    gerente = pessoas["gerente"]
    r = gerente.post("/configuracoes/passes", {"nome": "TV da oficina"})
    assert r.status_code in (200, 303), r.text
    pagina = gerente.pagina("/configuracoes")
    assert "por Gabriela Gerente" in pagina and "por gerente" not in pagina


def test_mecanico_nao_le_nome_de_configuracao(pessoas) -> None:
    """With the OS service not set up, the mechanic reads what to do; the manager, also how."""
    mecanico = pessoas["mecanico"].pagina()
    aviso = re.search(r'<p class="aviso-os"[^>]*>(.*?)</p>', mecanico, re.S)
    assert aviso and "URL_API_OS" not in aviso.group(1)
    assert "avise o gerente" in aviso.group(1)
    gerente = pessoas["gerente"].pagina()
    aviso = re.search(r'<p class="aviso-os"[^>]*>(.*?)</p>', gerente, re.S)
    assert aviso and "URL_API_OS" in aviso.group(1)


def test_quem_nao_tem_numero_de_funcionario_sabe_o_que_fazer(
    app: Flask, api: Api, usuarios_demo, entrar
) -> None:
    """The order's mechanic is whoever starts its diagnosis: a person without an employee
    number is told how to fix that, not asked for a field of the API."""
    componente(PessoasRepository, app).criar(
        "chefe", "Chefe Sem Número", "senha-do-chefe-123", "gerente"
    )
    fila_id = api.criar(1301)["fila_id"]
    cliente = app.test_client()
    assert entrar(cliente, "chefe", "senha-do-chefe-123").status_code == 302
    r = Quadro(cliente).passo(fila_id, "iniciar-diagnostico", htmx=True)
    assert r.status_code == 400
    cartao = cartao_html(r.text, fila_id)
    assert "mecanico_responsavel_id" not in cartao
    assert "Seu cadastro não tem nº de funcionário" in cartao
    assert "atribua a ordem a um mecânico em “Mais…”" in cartao
    assert api.get(f"/fila-execucao/{fila_id}").json["status"] == "AGUARDANDO"


def test_tempo_no_cartao_diz_o_que_mede(api: Api, pessoas) -> None:
    aberta = api.criar(1401)["fila_id"]
    finalizada = api.criar(1402)["fila_id"]
    api.levar_ate(finalizada, "finalizar-reparo")
    html = pessoas["mecanico"].pagina()
    assert re.search(r'class="tempo"( data-s="\d+")?>há 0 min<', cartao_html(html, aberta))
    cartao = cartao_html(html, finalizada)
    assert re.search(r'class="tempo">Finalizada às \d\d:\d\d<', cartao)
    assert "Total:" in cartao
