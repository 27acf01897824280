"""The workflow table: every step allowed and refused, in pure Python."""

from datetime import UTC, datetime

import pytest

from webapp.fila import domain, fields, preconditions, stages
from webapp.fila.domain import Acao, Papel, Passo, Prioridade, Status, SubEtapa
from webapp.fila.plates import normalizar_placa, validar_placa

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def item(status: Status, diagnosticado: bool = False, aprovado: bool = False) -> dict:
    return {
        "status": status,
        "dta_fim_diagnostico": T0 if diagnosticado else None,
        "orcamento_aprovado": aprovado,
    }


# Every reachable situation of an order, and the steps the table allows there.
SITUACOES = {
    "aguardando diagnóstico": (item(Status.AGUARDANDO), {Acao.INICIAR_DIAGNOSTICO}),
    "em diagnóstico": (item(Status.EM_DIAGNOSTICO), {Acao.FINALIZAR_DIAGNOSTICO}),
    "aguardando aprovação": (item(Status.AGUARDANDO, True), {Acao.APROVAR_ORCAMENTO}),
    "pronta para reparo": (item(Status.AGUARDANDO, True, True), {Acao.INICIAR_REPARO}),
    "em reparo": (item(Status.EM_REPARO, True, True), {Acao.FINALIZAR_REPARO}),
    "finalizada": (item(Status.FINALIZADA, True, True), set()),
}


@pytest.mark.parametrize("nome", SITUACOES)
@pytest.mark.parametrize("acao", list(domain.PASSOS))
def test_tabela_de_passos(nome: str, acao: Acao) -> None:
    situacao, permitidos = SITUACOES[nome]
    motivo = domain.motivo_recusa(domain.PASSOS[acao], situacao, Papel.GERENTE)
    if acao in permitidos:
        assert motivo is None
    else:
        assert motivo, f"{acao} deveria ser recusado em {nome}"


@pytest.mark.parametrize("nome", SITUACOES)
def test_passos_permitidos_lista_exatamente_os_da_tabela(nome: str) -> None:
    situacao, permitidos = SITUACOES[nome]
    assert {p.acao for p in domain.passos_permitidos(situacao, Papel.GERENTE)} == permitidos


def test_texto_de_gente_sem_caracteres_de_controle() -> None:
    """A NUL, an escape or a line separator typed or sent is no part of people's text: a long
    text keeps its lines (as \\n) and tabs, a one-line field gets spaces, and a text of nothing
    else is empty (so a diagnosis of NULs is refused as empty)."""
    assert domain.limpar_texto("Troca\r\nde óleo\u2028e filtro\x00\x1b[31m\t ok ") == (
        "Troca\nde óleo\ne filtro[31m\t ok"
    )
    assert domain.limpar_texto("Ana\r\nSouza\tLima", linhas=False) == "Ana Souza Lima"
    assert domain.limpar_texto("\x00\x00 \n\x07") is None
    # Zero-width and bidi format characters too (a name of them, a card's text reversed by
    # U+202E), not the joiners typed inside an emoji or a Persian word.
    assert domain.limpar_texto("\u200b\u200b") is None
    assert domain.limpar_texto("\u202e\u2066Ana\ufeff", linhas=False) == "Ana"
    assert (
        domain.limpar_texto("Mecânico 👨\u200d🔧 می\u200cخواهم")
        == "Mecânico 👨\u200d🔧 می\u200cخواهم"
    )
    assert domain.limpar_texto(None) is None
    with pytest.raises(fields.DadosInvalidos, match="O diagnóstico não pode ser vazio."):
        domain.planejar_passo(
            Acao.FINALIZAR_DIAGNOSTICO, {"diagnostico": "\x00" * 5}, "ana", datetime.now(UTC)
        )
    ordem = domain.nova_ordem(
        1, Prioridade.NORMAL, "ana", datetime.now(UTC), {"cliente": "Ana\r\nSouza\x00"}
    )
    assert ordem["cliente"] == "Ana Souza"


def test_textos_longos_demais_recusados_pelas_regras() -> None:
    """The limits are the rules' (fields.TAMANHO_MAXIMO, NOTA_MAXIMA), not only the forms' and
    the API's: whatever calls the service (a command, an import) gets the same refusal."""
    agora = datetime.now(UTC)
    maximo = fields.TAMANHO_MAXIMO
    assert domain.nova_ordem(
        1, Prioridade.NORMAL, "ana", agora, {"veiculo": "v" * maximo["veiculo"]}
    )
    with pytest.raises(fields.DadosInvalidos, match="veiculo: deve ter no máximo 200 caracteres"):
        domain.nova_ordem(1, Prioridade.NORMAL, "ana", agora, {"veiculo": "v" * 201})
    with pytest.raises(fields.DadosInvalidos, match="descricao: deve ter no máximo 2.000"):
        domain.nova_ordem(1, Prioridade.NORMAL, "ana", agora, {"descricao": "d" * 2_001})
    for acao, campo in (
        (Acao.FINALIZAR_DIAGNOSTICO, "diagnostico"),
        (Acao.FINALIZAR_REPARO, "observacoes_reparo"),
    ):
        with pytest.raises(fields.DadosInvalidos, match=f"{campo}: deve ter no máximo 10.000"):
            domain.planejar_passo(acao, {campo: "x" * 10_001}, "ana", agora)
    with pytest.raises(fields.DadosInvalidos, match="nota: deve ter no máximo 200"):
        domain.planejar_pausa(domain.MotivoPausa.OUTRO, "n" * 201, "ana", agora)


def test_reparo_nunca_antes_do_diagnostico() -> None:
    passo = domain.PASSOS[Acao.INICIAR_REPARO]
    motivo = domain.motivo_recusa(passo, item(Status.AGUARDANDO), Papel.GERENTE)
    assert motivo == "o diagnóstico ainda não foi finalizado"
    motivo = domain.motivo_recusa(passo, item(Status.AGUARDANDO, True), Papel.GERENTE)
    assert motivo == "o orçamento ainda não foi aprovado pelo cliente"


def test_mecanico_nao_aprova_nem_remove_nem_muda_prioridade() -> None:
    for acao in (Acao.APROVAR_ORCAMENTO, Acao.REMOVER, Acao.ALTERAR_PRIORIDADE):
        assert not domain.pode(Papel.MECANICO, acao)
        assert domain.pode(Papel.GERENTE, acao)
        assert domain.pode(Papel.SERVICO, acao)
    aprovar = domain.PASSOS[Acao.APROVAR_ORCAMENTO]
    motivo = domain.motivo_recusa(aprovar, item(Status.AGUARDANDO, True), Papel.MECANICO)
    assert motivo == "apenas um gerente pode aprovar orçamento"
    for acao in (Acao.INICIAR_DIAGNOSTICO, Acao.FINALIZAR_DIAGNOSTICO, Acao.INICIAR_REPARO):
        assert domain.pode(Papel.MECANICO, acao)


def test_prioridade_ordena_do_mais_urgente() -> None:
    assert sorted(Prioridade, key=lambda p: p.ordem) == [
        Prioridade.URGENTE,
        Prioridade.ALTA,
        Prioridade.NORMAL,
        Prioridade.BAIXA,
    ]
    assert sorted(p.value for p in Prioridade) != [p.value for p in Prioridade]  # the trap


def test_sub_etapas_de_aguardando() -> None:
    assert domain.sub_etapa(item(Status.AGUARDANDO)) is SubEtapa.AGUARDANDO_DIAGNOSTICO
    assert domain.sub_etapa(item(Status.AGUARDANDO, True)) is SubEtapa.AGUARDANDO_APROVACAO
    assert domain.sub_etapa(item(Status.AGUARDANDO, True, True)) is SubEtapa.PRONTA_PARA_REPARO
    assert domain.sub_etapa(item(Status.EM_REPARO, True, True)) is None


@pytest.mark.parametrize("passo", list(domain.PASSOS.values()), ids=lambda p: p.acao)
def test_cada_passo_marca_seu_tempo_e_a_atualizacao(passo: Passo) -> None:
    dados = {"mecanico_responsavel_id": 7, "diagnostico": "Correia gasta"}
    (mudanca,) = domain.planejar_passo(passo.acao, dados, "joao", T0)
    assert mudanca.campos[passo.marca_tempo] == T0
    assert mudanca.campos["dta_atualizacao"] == T0
    assert mudanca.campos["status"] == passo.para
    assert mudanca.requisitos == passo.requisitos
    (entrada,) = mudanca.historico
    assert entrada == {
        "acao": passo.acao,
        "de": passo.de,
        "para": passo.para,
        "por": "joao",
        "em": T0,
    }


def test_finalizar_diagnostico_exige_texto() -> None:
    for texto in ("", "   ", None):
        with pytest.raises(fields.DadosInvalidos):
            domain.planejar_passo(Acao.FINALIZAR_DIAGNOSTICO, {"diagnostico": texto}, "x", T0)
    (m,) = domain.planejar_passo(Acao.FINALIZAR_DIAGNOSTICO, {"diagnostico": " ok "}, "x", T0)
    assert m.campos["diagnostico"] == "ok"
    assert m.campos["orcamento_aprovado"] is False


def test_iniciar_diagnostico_exige_mecanico() -> None:
    with pytest.raises(fields.DadosInvalidos):
        domain.planejar_passo(Acao.INICIAR_DIAGNOSTICO, {}, "x", T0)
    with pytest.raises(fields.DadosInvalidos):
        domain.planejar_passo(Acao.INICIAR_DIAGNOSTICO, {"mecanico_responsavel_id": True}, "x", T0)


def test_iniciar_reparo_de_integracao_registra_aprovacao_antes() -> None:
    planos = domain.planejar_passo(Acao.INICIAR_REPARO, {}, "os", T0, aprovar_se_preciso=True)
    assert len(planos) == 2
    direto, com_aprovacao = planos
    assert domain.ORCAMENTO_APROVADO in direto.requisitos
    assert domain.ORCAMENTO_PENDENTE in com_aprovacao.requisitos
    assert domain.DIAGNOSTICO_FEITO in com_aprovacao.requisitos
    assert com_aprovacao.campos["orcamento_aprovado"] is True
    assert com_aprovacao.campos["dta_aprovacao_orcamento"] == T0
    assert [h["acao"] for h in com_aprovacao.historico] == ["aprovar_orcamento", "iniciar_reparo"]
    # Without the flag (the board), only the strict plan exists.
    assert len(domain.planejar_passo(Acao.INICIAR_REPARO, {}, "os", T0)) == 1


def test_requisitos_avaliam_como_o_banco() -> None:
    r = preconditions.Requisito("x", preconditions.PREENCHIDO, "")
    assert r.atendido({"x": 0}) and not r.atendido({"x": None}) and not r.atendido({})
    r = preconditions.Requisito("x", preconditions.VAZIO, "")
    assert r.atendido({}) and r.atendido({"x": None}) and not r.atendido({"x": 1})
    r = preconditions.Requisito("x", preconditions.UmDe((1, 2)), "")
    assert r.atendido({"x": 2}) and not r.atendido({"x": 3})


def test_nova_ordem() -> None:
    doc = domain.nova_ordem(55, Prioridade.ALTA, "os", T0, {"placa": "ABC1D23"})
    assert doc["status"] == Status.AGUARDANDO
    assert doc["prioridade_ordem"] == Prioridade.ALTA.ordem
    assert doc["versao"] == 1 and doc["orcamento_aprovado"] is False
    assert doc["placa"] == "ABC1D23"
    assert doc["historico"][0]["acao"] == "criar"


# --- Holds and time in stage ---------------------------------------------------------------

from datetime import timedelta  # noqa: E402


def test_pausa_outro_exige_nota() -> None:
    with pytest.raises(fields.DadosInvalidos):
        domain.planejar_pausa(domain.MotivoPausa.OUTRO, "  ", "ana", T0)
    m = domain.planejar_pausa(domain.MotivoPausa.AGUARDANDO_PECAS, None, "ana", T0)
    assert m.campos["pausa"]["motivo"] == domain.MotivoPausa.AGUARDANDO_PECAS
    assert domain.SEM_PAUSA in m.requisitos and domain.NAO_FINALIZADA in m.requisitos
    assert domain.EM_PAUSA in domain.planejar_retomada("ana", T0).requisitos


def test_passo_encerra_a_pausa() -> None:
    (m,) = domain.planejar_passo(Acao.INICIAR_DIAGNOSTICO, {"mecanico_responsavel_id": 1}, "x", T0)
    assert "pausa" in m.campos and m.campos["pausa"] is None


def test_tempo_na_etapa_desconta_esperas() -> None:
    inicio = T0
    item = {
        "status": Status.EM_REPARO,
        "dta_inicio_reparo": inicio,
        "historico": [
            {"acao": "iniciar_reparo", "em": inicio},
            {"acao": "pausar", "em": inicio + timedelta(minutes=10)},
            {"acao": "retomar", "em": inicio + timedelta(minutes=40)},  # 30 min on hold
            {"acao": "pausar", "em": inicio + timedelta(minutes=50)},  # still on hold
        ],
    }
    agora = inicio + timedelta(minutes=70)  # 20 more minutes on hold
    assert stages.tempo_na_etapa(item, agora) == 20 * 60


def test_tempo_de_quem_esta_em_espera_fica_parado_a_qualquer_instante() -> None:
    """On hold, the time in the stage is frozen: the same to the microsecond whenever it is
    read (with floats it came out a hair under, at a quarter of the instants, and a card
    read 2 h 34 min and 2 h 35 min in turn)."""
    item = {
        "status": Status.EM_REPARO,
        "dta_inicio_reparo": T0,
        "historico": [
            {"acao": "iniciar_reparo", "em": T0},
            {"acao": "pausar", "em": T0 + timedelta(seconds=9300)},  # 2 h 35 min of work
        ],
    }
    for micros in range(0, 5_000_000, 1237):
        agora = T0 + timedelta(hours=5, microseconds=micros)
        assert stages.tempo_na_etapa(item, agora) == 9300.0, micros


def test_espera_anterior_a_etapa_nao_conta() -> None:
    item = {
        "status": Status.EM_REPARO,
        "dta_inicio_reparo": T0 + timedelta(minutes=30),
        "historico": [
            {"acao": "pausar", "em": T0},
            {"acao": "iniciar_reparo", "em": T0 + timedelta(minutes=30)},  # a step ends the hold
        ],
    }
    assert stages.tempo_na_etapa(item, T0 + timedelta(minutes=45)) == 15 * 60


def test_inicio_da_etapa_segue_a_sub_etapa() -> None:
    t = [T0 + timedelta(minutes=n) for n in range(5)]
    base = {
        "status": Status.AGUARDANDO,
        "dta_criacao": t[0],
        "orcamento_aprovado": False,
        "dta_fim_diagnostico": None,
    }
    assert stages.inicio_etapa(base) == t[0]
    diag = {**base, "dta_fim_diagnostico": t[2]}
    assert stages.inicio_etapa(diag) == t[2]
    aprovada = {**diag, "orcamento_aprovado": True, "dta_aprovacao_orcamento": t[3]}
    assert stages.inicio_etapa(aprovada) == t[3]


@pytest.mark.parametrize(
    ("minutos", "prioridade", "esperado"),
    [
        (29, Prioridade.URGENTE, stages.Alerta.OK),
        (30, Prioridade.URGENTE, stages.Alerta.ATENCAO),
        (60, Prioridade.URGENTE, stages.Alerta.ATRASO),
        (60, Prioridade.BAIXA, stages.Alerta.OK),
        (480, Prioridade.BAIXA, stages.Alerta.ATRASO),
    ],
)
def test_alerta_por_prioridade(minutos, prioridade, esperado) -> None:
    assert stages.alerta(minutos * 60, prioridade, stages.LIMITES_ALERTA_PADRAO) is esperado


def test_placa_normalizada() -> None:
    assert normalizar_placa(" abc-1d23 ") == "ABC1D23"
    assert normalizar_placa("--") is None
    assert (
        domain.nova_ordem(1, Prioridade.NORMAL, "x", T0, {"placa": "abc 1234"})["placa"]
        == "ABC1234"
    )


@pytest.mark.parametrize(
    "escrita", ["A.B.C!1@D#2$3", "ABC1D23🚗", "ßC1D23", "ABC_1D23", "ＡＢＣ1D23"]
)
def test_placa_com_outros_sinais_e_recusada(escrita: str) -> None:
    """Only hyphens and spaces are dropped: "A.B.C!1@D#2$3" was stored as ABC1D23, and "ß"
    upper-cases to "SS"."""
    with pytest.raises(ValueError, match="Placa inválida"):
        validar_placa(escrita)
    assert validar_placa(" abc-1d23 ") == "ABC1D23" and validar_placa("ABC 1234") == "ABC1234"


def test_motivo_para_mover_explica_a_soltura() -> None:
    aguardando = item(Status.AGUARDANDO)
    assert domain.motivo_para_mover(aguardando, Papel.MECANICO, Status.EM_DIAGNOSTICO) is None
    assert domain.motivo_para_mover(aguardando, Papel.MECANICO, Status.EM_REPARO) == (
        "o diagnóstico ainda não foi finalizado"
    )
    # No step leads there: the order's next step instead, in the button's words.
    assert domain.motivo_para_mover(aguardando, Papel.MECANICO, Status.FINALIZADA) == (
        "o próximo passo desta ordem é “Iniciar diagnóstico”, que a leva para Em diagnóstico"
    )
    diagnosticada = item(Status.AGUARDANDO, diagnosticado=True)
    assert domain.motivo_para_mover(diagnosticada, Papel.MECANICO, Status.FINALIZADA) == (
        "o próximo passo desta ordem é “Aprovar orçamento”"
    )
    finalizada = item(Status.FINALIZADA)
    assert domain.motivo_para_mover(finalizada, Papel.GERENTE, Status.AGUARDANDO) == (
        "uma ordem finalizada não muda mais de coluna"
    )


@pytest.mark.parametrize(
    ("ator", "dados", "mecanico"),
    [
        # A person signed in is the mechanic of the work they start...
        (domain.Ator("ana", Papel.MECANICO, pessoa=True, funcionario_id=101), {}, 101),
        # ...even if the data names someone else (a hand-made post)...
        (
            domain.Ator("ana", Papel.MECANICO, pessoa=True, funcionario_id=101),
            {"mecanico_responsavel_id": 102},
            101,
        ),
        # ...unless a manager names another mechanic.
        (domain.Ator("gil", Papel.GERENTE, pessoa=True, funcionario_id=201), {}, 201),
        (
            domain.Ator("gil", Papel.GERENTE, pessoa=True, funcionario_id=201),
            {"mecanico_responsavel_id": 102},
            102,
        ),
        # An API caller (a token, the OS service) names the mechanic it speaks for.
        (domain.Ator("sub-7", Papel.MECANICO), {"mecanico_responsavel_id": 7}, 7),
        (domain.Ator("sistema-os", Papel.SISTEMA_OS), {"mecanico_responsavel_id": 9}, 9),
    ],
)
def test_quem_inicia_o_trabalho_e_o_mecanico(ator, dados, mecanico) -> None:
    for acao in (Acao.INICIAR_DIAGNOSTICO, Acao.INICIAR_REPARO):
        assert domain.com_mecanico(acao, ator, dados)["mecanico_responsavel_id"] == mecanico
    # Other steps carry their data as it is.
    assert domain.com_mecanico(Acao.FINALIZAR_DIAGNOSTICO, ator, dados) == dados


def test_gerente_pisa_pelo_mecanico_da_ordem() -> None:
    """A manager's step on an order that has a mechanic (assigned, or who diagnosed it) is
    taken for that mechanic, never takes the order over; with none, the manager is it; a
    manager with no number can then start an assigned order too (what the refusal advises)."""
    gerente = domain.Ator("gil", Papel.GERENTE, pessoa=True, funcionario_id=201)
    sem_numero = domain.Ator("rui", Papel.ADMIN, pessoa=True)
    for acao in (Acao.INICIAR_DIAGNOSTICO, Acao.INICIAR_REPARO):
        assert domain.pisa_pelo_mecanico(acao, gerente, {})
        assert domain.com_mecanico(acao, gerente, {}, 101)["mecanico_responsavel_id"] == 101
        assert domain.com_mecanico(acao, gerente, {}, None)["mecanico_responsavel_id"] == 201
        assert domain.com_mecanico(acao, sem_numero, {}, 101)["mecanico_responsavel_id"] == 101
        nomeado = {"mecanico_responsavel_id": 102}
        assert not domain.pisa_pelo_mecanico(acao, gerente, nomeado)
        assert domain.com_mecanico(acao, gerente, nomeado, 101) == nomeado
    mecanico = domain.Ator("ana", Papel.MECANICO, pessoa=True, funcionario_id=101)
    assert not domain.pisa_pelo_mecanico(Acao.INICIAR_DIAGNOSTICO, mecanico, {})
    assert not domain.pisa_pelo_mecanico(Acao.FINALIZAR_DIAGNOSTICO, gerente, {})
    assert domain.mecanico_ainda(101).atendido({"mecanico_responsavel_id": 101})
    assert not domain.mecanico_ainda(101).atendido({"mecanico_responsavel_id": 102})
    assert domain.mecanico_ainda(None).atendido({})


def test_pessoa_sem_numero_nao_inicia_diagnostico() -> None:
    sem_numero = domain.Ator("bia", Papel.MECANICO, pessoa=True)
    with pytest.raises(fields.DadosInvalidos, match="peça a um gerente para incluí-lo"):
        domain.com_mecanico(Acao.INICIAR_DIAGNOSTICO, sem_numero, {})
    gerente = domain.Ator("gil", Papel.GERENTE, pessoa=True)
    with pytest.raises(fields.DadosInvalidos, match="atribua a ordem a um mecânico"):
        domain.com_mecanico(Acao.INICIAR_DIAGNOSTICO, gerente, {})
    # A repair keeps the order's mechanic.
    assert domain.com_mecanico(Acao.INICIAR_REPARO, sem_numero, {}) == {
        "mecanico_responsavel_id": None
    }


def test_prometer_um_horario_que_ja_passou_e_recusado() -> None:
    """A forecast left on a screen by a recompute that stopped: promising it would record a
    promise already missed ("de 07/12 07:08 para 05/12 11:00", at once "atrasada")."""
    agora_ = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
    with pytest.raises(domain.DadosInvalidos, match="já passou: nada foi prometido"):
        domain.planejar_promessa(agora_ - timedelta(hours=23), "gerente", agora_)
    with pytest.raises(domain.DadosInvalidos):
        domain.planejar_promessa(agora_, "gerente", agora_, domain.Acao.ADOTAR_PREVISAO)
    mudanca = domain.planejar_promessa(
        agora_ + timedelta(minutes=1), "gerente", agora_, domain.Acao.ADOTAR_PREVISAO
    )
    assert mudanca.campos["previsao_entrega"] == agora_ + timedelta(minutes=1)


def test_previsao_digitada_ou_tirada() -> None:
    """A manager's typed promise: stored in UTC to the millisecond, from whatever was there
    (read by the update); cleared with None, which an order already without one refuses."""
    agora_ = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
    nova = agora_ + timedelta(hours=3, microseconds=1500)
    mudanca = domain.planejar_promessa(nova, "gerente", agora_)
    assert mudanca.campos["previsao_entrega"] == agora_ + timedelta(hours=3, milliseconds=1)
    assert mudanca.historico[0]["acao"] == domain.Acao.ALTERAR_PROMESSA
    tirada = domain.planejar_promessa(None, "gerente", agora_)
    assert tirada.campos["previsao_entrega"] is None
    mesma = next(r for r in tirada.requisitos if r.campo == "previsao_entrega")
    assert mesma.motivo == "a ordem já está sem entrega prometida"
    assert not mesma.atendido({"previsao_entrega": None}) and not mesma.atendido({})
    assert mesma.atendido({"previsao_entrega": nova})
