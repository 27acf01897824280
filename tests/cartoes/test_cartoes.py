"""The cards every screen shows, built from plain dicts: pure view models, no database, no app."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import time_machine
from bson import ObjectId

from webapp import clock
from webapp.cartoes import cards
from webapp.fila.domain import Papel, Prioridade, Status
from webapp.fila.outbox import novo_evento
from webapp.fila.stages import Alerta
from webapp.painel import cards as painel
from webapp.previsao.queries import Estado, Previsoes

AGORA = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
FUSO = ZoneInfo("America/Sao_Paulo")


def item(**campos: object) -> dict:
    base = {
        "_id": ObjectId("65f000000000000000000001"),
        "ordem_servico_id": 1003,
        "status": Status.AGUARDANDO,
        "prioridade": Prioridade.URGENTE,
        "placa": "PXT7A10",
        "veiculo": "Fiat Strada",
        "cliente": "Ana",
        "mecanico_responsavel_id": None,
        "dta_criacao": AGORA - timedelta(minutes=50),
        "etapa_desde": AGORA - timedelta(minutes=50),
        "dta_fim_diagnostico": None,
        "orcamento_aprovado": False,
        "versao": 3,
        "historico": [],
    }
    return {**base, **campos}


def contexto(papel: Papel | None = Papel.MECANICO, **extra: object) -> cards.Contexto:
    return cards.Contexto(AGORA, FUSO, papel, {101: "Marcos Mecânico"}, **extra)  # type: ignore[arg-type]


def test_cartao_de_uma_ordem_aguardando_diagnostico() -> None:
    c = cards.cartao(item(), contexto())
    assert (c.fila_id, c.ordem_servico_id, c.status) == (
        "65f000000000000000000001",
        1003,
        Status.AGUARDANDO,
    )
    assert c.rotulo_prioridade == "Urgente" and c.sub_etapa == "Aguardando diagnóstico"
    assert c.tempo_etapa == "50 min" and c.alerta is Alerta.ATENCAO  # URGENTE: amber at 30
    assert c.versao == 3 and c.primario is not None and c.primario.acao == "iniciar-diagnostico"
    assert not c.gerente and c.pode_pausar  # a mechanic: no manager actions, but holds
    assert c.sincronizacao is None  # nothing to tell the OS service yet


def test_o_gerente_ve_as_acoes_e_o_motivo_de_um_envio_recusado() -> None:
    evento = {**novo_evento("EM_DIAGNOSTICO", AGORA, "r", {}), "seq": 1, "chave": "x-1"}
    recusado = {**evento, "estado": "falhou", "ultimo_erro": "HTTP 404: OS não existe"}
    em_diagnostico = item(
        status=Status.EM_DIAGNOSTICO,
        mecanico_responsavel_id=101,
        dta_inicio_diagnostico=AGORA - timedelta(minutes=5),
        eventos_os=[recusado],
    )
    gerente = cards.cartao(em_diagnostico, contexto(Papel.GERENTE))
    assert gerente.mecanico == "Marcos Mecânico" and gerente.gerente
    assert gerente.sincronizacao is not None
    assert gerente.sincronizacao["texto"] == "envio não concluído — HTTP 404: OS não existe"
    assert gerente.pode_reenviar_os
    mecanico = cards.cartao(em_diagnostico, contexto(Papel.MECANICO))
    assert mecanico.sincronizacao is not None
    assert mecanico.sincronizacao["texto"] == "envio não concluído (avise o gerente)"
    assert not mecanico.pode_reenviar_os


def test_dados_guardados_que_nao_podem_ser_mostrados_viram_um_cartao_invalido() -> None:
    c = cards.cartao(item(prioridade="NENHUMA"), contexto())
    assert c.invalido and c.ordem_servico_id == 1003


def test_a_tv_conta_o_tempo_sozinha_e_destaca_quem_espera_mais() -> None:
    ctx = contexto(None)
    tres_horas = AGORA - timedelta(hours=3)
    antiga = item(
        _id=ObjectId("65f000000000000000000002"), dta_criacao=tres_horas, etapa_desde=tres_horas
    )
    nova = item()
    achado = painel.mais_antiga([nova, antiga], ctx)
    assert achado is not None and achado[0] is antiga and achado[1] == 3 * 3600
    # Never a car added a moment ago (the wall once pointed at one "waiting for 0 min").
    agora_mesmo = item(dta_criacao=AGORA - timedelta(seconds=20), etapa_desde=AGORA)
    assert painel.mais_antiga([agora_mesmo], ctx) is None
    tv = painel.cartao(antiga, ctx, str(antiga["_id"]))
    assert tv.mais_antiga and tv.alerta == "atraso" and tv.prioridade == "urgente"
    assert tv.desde_ms == int((AGORA - timedelta(hours=3)).timestamp() * 1000)


def test_o_anuncio_diz_quem_fez_o_que() -> None:
    atribuida = item(
        historico=[{"acao": "atribuir", "de": None, "para": 101, "por": "ana", "em": AGORA}]
    )
    frase = cards.anuncio(atribuida, {"ana": "Ana"}, {101: "Marcos"})
    assert frase == "Ana atribuiu a OS 1003 (PXT7A10) a Marcos."
    with time_machine.travel(AGORA, tick=False):  # the same day: its time alone
        assert cards.quem_fez(atribuida, {"ana": "Ana"}, FUSO) == "Ana atribuiu o mecânico às 12:00"
    # Another day, with it: a refusal naming yesterday's change read as a minute ago's.
    with time_machine.travel(AGORA + timedelta(days=1), tick=False):
        quem = cards.quem_fez(atribuida, {"ana": "Ana"}, FUSO)
    assert quem == "Ana atribuiu o mecânico em 10/03 às 12:00"


def test_chave_de_ordem_segue_a_consulta_da_coluna_ate_no_mesmo_milissegundo() -> None:
    """The client inserts pushed cards by data-ordem: it must sort exactly as the column's query
    does (priority, age, _id; finished: most recent, then _id descending), ties included."""
    ids = [ObjectId(f"65f0000000000000000000{n:02x}") for n in (3, 10, 1)]
    mesmo_ms = [item(_id=i, prioridade=Prioridade.NORMAL) for i in ids]
    urgente = item(_id=ObjectId("65f0000000000000000000ff"), dta_criacao=AGORA)
    abertas = [*mesmo_ms, urgente]
    pela_consulta = sorted(
        abertas, key=lambda d: (Prioridade(d["prioridade"]).ordem, d["dta_criacao"], d["_id"])
    )
    assert sorted(abertas, key=cards.ordem) == pela_consulta
    assert len({cards.ordem(d) for d in abertas}) == 4
    fim = AGORA - timedelta(hours=1)
    feitas = [item(_id=i, status=Status.FINALIZADA, dta_fim_reparo=fim) for i in ids]
    feitas.append(item(status=Status.FINALIZADA, dta_fim_reparo=AGORA))
    pela_consulta = sorted(
        feitas, key=lambda d: (d["dta_fim_reparo"], d["_id"]), reverse=True
    )  # MAIS_RECENTES
    assert sorted(feitas, key=cards.ordem) == pela_consulta


def test_remocao_diz_o_dia_quando_nao_e_hoje() -> None:
    """A removed order's page is opened from the QR of a job card printed days before: the
    removal says its day when it was not today, only its time when it was."""
    copia = {"ordem_servico_id": 1004, "placa": "SDF3C45", "removido_por": "gabi",
             "removido_em": AGORA - timedelta(days=2)}  # fmt: skip
    fuso = ZoneInfo("America/Sao_Paulo")
    quando = (AGORA - timedelta(days=2)).astimezone(fuso)
    antes = cards.removida_por(copia, {"gabi": "Gabriela"}, fuso, AGORA)
    assert antes == (
        f"Gabriela removeu a OS 1004 (SDF3C45) da fila em {quando:%d/%m} às {quando:%H:%M}"
    )
    hoje = cards.removida_por({**copia, "removido_em": AGORA}, {}, fuso, AGORA)
    hora = AGORA.astimezone(fuso)
    assert hoje == f"A integração gabi removeu a OS 1004 (SDF3C45) da fila às {hora:%H:%M}"


def test_um_dia_de_outro_ano_diz_o_ano() -> None:
    """A promise or a forecast this year reads "31/12 23:59"; in another year, with the year:
    a year typed wrong (2099, 2020) must not read as a date this week."""
    ctx = contexto()
    deste_ano = datetime(2026, 12, 31, 23, 59, tzinfo=FUSO)
    assert cards.hora_ou_dia(deste_ano, ctx) == "31/12 23:59"
    assert cards.hora_ou_dia(datetime(2099, 12, 31, 23, 59, tzinfo=FUSO), ctx) == "31/12/2099 23:59"
    assert cards.hora_ou_dia(datetime(2020, 1, 1, 10, 0, tzinfo=FUSO), ctx) == "01/01/2020 10:00"
    assert cards.hora_ou_dia(AGORA, ctx) == f"{AGORA.astimezone(FUSO):%H:%M}"  # today: the time


def test_um_dia_que_vem_e_dito_como_ao_cliente() -> None:
    """ "08/12 16:30" for tomorrow, read aloud to a customer, is clumsy: tomorrow is "amanhã",
    the rest of the coming week says its weekday, today beside another day is "hoje" (a
    forecast's time alone today). Past days (history) and a week or more ahead keep the
    date, with the year when it is another (the coming week's days need none)."""
    ctx = contexto()  # Tuesday 10/03/2026, 12:00 in the shop
    hoje = AGORA.astimezone(FUSO).date()

    def dia(n: int, hora: time = time(16, 30)) -> datetime:
        return datetime.combine(hoje + timedelta(days=n), hora, FUSO)

    assert clock.dia_e_hora(dia(1), FUSO, hoje) == "amanhã 16:30"
    semana = [clock.dia_e_hora(dia(n), FUSO, hoje) for n in range(2, 7)]
    assert semana == [
        "qui 12/03 16:30", "sex 13/03 16:30", "sáb 14/03 16:30", "dom 15/03 16:30",
        "seg 16/03 16:30",
    ]  # fmt: skip
    assert clock.dia_e_hora(dia(7), FUSO, hoje) == "17/03 16:30"  # its weekday comes again
    assert clock.dia_e_hora(dia(0), FUSO, hoje) == "hoje 16:30"
    assert clock.dia_e_hora(dia(-1), FUSO, hoje) == "09/03 16:30"  # history: as it was
    assert clock.dia_e_hora(dia(-3), FUSO, hoje) == "07/03 16:30"
    # The shop's day, not UTC's: 02:00 UTC on the 11th is 23:00 on the 10th there.
    assert clock.dia_e_hora(datetime(2026, 3, 11, 2, 0, tzinfo=UTC), FUSO, hoje) == "hoje 23:00"
    # A forecast's time: today's alone; another day as above.
    assert cards.hora_ou_dia(dia(0), ctx) == "16:30"
    assert cards.hora_ou_dia(dia(1, time(9, 15)), ctx) == "amanhã 09:15"
    assert cards.hora_ou_dia(dia(4), ctx) == "sáb 14/03 16:30"
    # The TV's card, read from across the shop, has no room for the date beside the weekday.
    ordem = item()
    previsoes = Previsoes(
        {str(ordem["_id"]): {"p50": dia(4), "p80": dia(5)}}, Estado(None, 0, AGORA, 40, 2, 90, 30)
    )
    tv = painel.cartao(ordem, cards.Contexto(AGORA, FUSO, previsoes=previsoes), None)
    assert tv.previsao == "sáb 16:30"
    # Across the year's end: a day of the coming week needs no year, one a week ahead has it.
    fim_do_ano = date(2026, 12, 29)
    sabado = datetime(2027, 1, 2, 10, 0, tzinfo=FUSO)
    assert clock.dia_e_hora(sabado, FUSO, fim_do_ano) == "sáb 02/01 10:00"
    assert clock.dia_e_hora(sabado + timedelta(days=3), FUSO, fim_do_ano) == "05/01/2027 10:00"
    # A past moment in a sentence keeps its date: "em 09/03 às 16:30", "às 16:30" today.
    assert clock.quando_foi(dia(-1), FUSO, hoje) == "em 09/03 às 16:30"
    assert clock.quando_foi(dia(0, time(9, 5)), FUSO, hoje) == "às 09:05"


def test_previsao_com_p80_noutro_dia_diz_o_dia_dos_dois() -> None:
    """ "8 em 10 até amanhã 06:50; metade até ~20:20": repeated to a customer, the 20:20 went
    on the next day too. When the p80 has its day, the p50 says its own ("hoje"); both today,
    times only.
    The chance is never "100 %" (a few hundred runs, not a certainty), nor "0 %"."""
    agora_ = datetime(2026, 12, 7, 20, 0, tzinfo=FUSO)
    ctx = cards.Contexto(agora_.astimezone(UTC), FUSO)
    amanha = {"p50": agora_ + timedelta(minutes=20), "p80": agora_ + timedelta(hours=11)}
    previsao = cards.previsao_do_cartao(amanha, ctx)
    assert (previsao.pronto, previsao.ate) == ("hoje 20:20", "amanhã 07:00")
    # Alone (the TV shows no p80 beside it), today's p50 is a time: "pronto ~hoje 20:20"
    # with no "8 em 10 até amanhã" to explain the day is longer for nothing.
    assert previsao.pronto_sozinho == "20:20"
    estado = Estado(None, 0, agora_, 40, 2, 90, 30)
    ordem = item(etapa_desde=agora_ - timedelta(minutes=5), dta_criacao=agora_)
    previsoes = Previsoes({str(ordem["_id"]): amanha}, estado)
    tv = painel.cartao(
        ordem, cards.Contexto(agora_.astimezone(UTC), FUSO, previsoes=previsoes), None
    )
    assert tv.previsao == "20:20"
    hoje = {"p50": agora_ + timedelta(minutes=20), "p80": agora_ + timedelta(hours=1)}
    previsao = cards.previsao_do_cartao(hoje, ctx)
    assert (previsao.pronto, previsao.ate) == ("20:20", "21:00")
    chances = {0.0: "menos de 1", 0.004: "menos de 1", 0.5: "50", 0.994: "99", 0.996: "mais de 99"}
    for chance, dita in chances.items():
        assert (
            cards.previsao_do_cartao({**hoje, "chance_atraso": chance}, ctx).chance_numero == dita
        )
