"""The customer's answer to the budget: it comes on the wall clock, at any hour, and is recorded
when someone is at work. Learned as its true length (an answer recorded just after opening may
have come during the night: an interval, Turnbull's estimate) and forecast as such: an answer
awaited since the morning comes in the afternoon, one awaited since the evening is recorded
the next morning, never during the night."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from tests.previsao.previsao_fabrica import HORA, aberta, abertas, calendario, local
from webapp.previsao import survival
from webapp.previsao.calendar import epoch
from webapp.previsao.domain import Historico, Previsao
from webapp.previsao.forecast import Configuracao, prever
from webapp.previsao.model import (
    aguardada,
    ajustar,
    registrado,
    registrar,
    respostas_no_expediente,
)

AGORA = local(2026, 11, 11, 10)  # a Wednesday
REGISTRO = 3600.0


def test_turnbull_sem_intervalos_e_kaplan_meier() -> None:
    rng = np.random.default_rng(3)
    d = rng.lognormal(np.log(3 * HORA), 0.8, 600)
    limite = rng.uniform(0, 10 * HORA, 600)
    visto, terminou = np.minimum(d, limite), d <= limite
    km = survival.ajustar(visto, terminou)
    tb = survival.turnbull(visto, np.where(terminou, visto, np.inf))
    assert km is not None and tb is not None
    assert (tb.eventos, tb.censurados) == (km.eventos, km.censurados)
    for q in (0.1, 0.25, 0.5, 0.75):
        assert float(tb.quantil(q)) == pytest.approx(float(km.quantil(q)), rel=0.06)


def test_turnbull_usa_os_intervalos() -> None:
    """Half the lengths known only to lie in an interval around them: the estimate still finds
    the distribution (an interval says less than an exact value, not something else)."""
    rng = np.random.default_rng(4)
    d = rng.lognormal(np.log(5 * HORA), 0.6, 2_000)
    largura = rng.uniform(0, 8 * HORA, d.size) * (rng.random(d.size) < 0.5)
    antes = largura * rng.random(d.size)
    tb = survival.turnbull(d - antes, d - antes + largura)
    assert tb is not None
    for q in (0.25, 0.5, 0.75):
        assert float(tb.quantil(q)) == pytest.approx(float(np.quantile(d, q)), rel=0.1)
    assert survival.turnbull([HORA], [np.inf]) is None  # nothing finished: no distribution


def test_registrado_ao_abrir_pode_ter_chegado_de_noite() -> None:
    cal = calendario()
    inicio = np.array([epoch(local(2026, 11, 10, 15))])  # Tuesday 15:00
    # Recorded Wednesday 08:20: it may have come any time since Tuesday 18:00.
    esquerda, direita = registrado(cal, inicio, np.array([epoch(local(2026, 11, 11, 8, 20))]),
                                   REGISTRO)  # fmt: skip
    assert (esquerda[0], direita[0]) == (3 * HORA, 17 * HORA + 20 * 60)
    # Recorded at 10:00 (an hour and more after opening): exactly when it came.
    esquerda, direita = registrado(cal, inicio, np.array([epoch(local(2026, 11, 11, 10))]),
                                   REGISTRO)  # fmt: skip
    assert esquerda[0] == direita[0] == 19 * HORA
    # Recorded 13:10, just after lunch: maybe during the lunch break.
    esquerda, _ = registrado(cal, inicio, np.array([epoch(local(2026, 11, 11, 13, 10))]),
                             REGISTRO)  # fmt: skip
    assert esquerda[0] == 21 * HORA


def test_aguardada_e_registrar() -> None:
    cal = calendario()
    ontem = np.array([epoch(local(2026, 11, 10, 15))])
    # At 08:30 an answer awaited since yesterday 15:00 has surely taken 3 h (it may have come
    # at 18:01 and not be recorded yet), not 17.5.
    assert aguardada(cal, ontem, epoch(local(2026, 11, 11, 8, 30)), REGISTRO)[0] == 3 * HORA
    assert aguardada(cal, ontem, epoch(local(2026, 11, 11, 10)), REGISTRO)[0] == 19 * HORA
    noite, dia = epoch(local(2026, 11, 11, 21)), epoch(local(2026, 11, 11, 11))
    gravado = registrar(cal, np.array([noite, dia]), np.array([0.5, 0.5]), REGISTRO)
    assert gravado[0] == epoch(local(2026, 11, 12, 8, 30)) and gravado[1] == dia


def _historico_com_respostas(cal, n: int = 400, mediana_h: float = 4.0) -> Historico:
    """Orders finished over the last 60 days: about 1 h waiting, 1 h of diagnosis ending at
    any working minute, then the customer's answer, log-normal on the wall clock, recorded
    when the shop is open (within an hour of opening when it came while closed), then about
    30 min waiting and a 2 h repair."""
    rng = np.random.default_rng(8)
    uteis = rng.uniform(0, 45 * 9 * HORA, n)
    inst = np.empty((n, 6))
    inst[:, 0] = cal.somar(np.full(n, epoch(AGORA) - 60 * 86_400.0), uteis)
    for k, horas in ((1, 1.0), (2, 1.0)):
        inst[:, k] = cal.somar(inst[:, k - 1], rng.lognormal(np.log(horas * HORA), 0.3, n))
    chega = inst[:, 2] + rng.lognormal(np.log(mediana_h * HORA), 0.8, n)
    inst[:, 3] = registrar(cal, chega, rng.random(n), REGISTRO)
    for k, horas in ((4, 0.5), (5, 2.0)):
        inst[:, k] = cal.somar(inst[:, k - 1], rng.lognormal(np.log(horas * HORA), 0.3, n))
    return Historico(np.full(n, 2, np.int8), inst, np.zeros((n, 5)))


def test_a_resposta_aprendida_e_a_verdadeira_nao_a_registrada() -> None:
    cal = calendario()
    modelo = ajustar(cal, _historico_com_respostas(cal), abertas(), epoch(AGORA))
    assert not isinstance(modelo, int)
    # Recorded lengths count the nights and weekends until someone records the answer; the
    # true ones (median 4 h) do not.
    assert modelo.resposta_corrida[2].mediana == pytest.approx(4 * HORA, rel=0.15)


def _desde_sexta_a_tarde(historico) -> Previsao:
    """The forecast, on Monday at 08:10, of a car diagnosed on Friday at 17:30 whose customer
    has not answered yet, in a shop of this `historico` (a function of the calendar)."""
    cal = calendario()
    sexta = local(2026, 11, 6, 17, 30)
    aguardando = aberta(1, 2, (sexta - timedelta(hours=3), sexta - timedelta(hours=2), sexta),
                        mecanico=7)  # fmt: skip
    agora = local(2026, 11, 9, 8, 10)  # Monday
    return prever(cal, historico(cal), abertas(aguardando), [7, 8], agora,
                  Configuracao(chegadas=False)).previsoes[0]  # fmt: skip


def test_resposta_esperada_desde_sexta_a_tarde_chega_segunda_de_manha() -> None:
    """A car diagnosed on Friday at 17:30; customers take about 4 hours. On Monday at 08:10 the
    answer is not recorded yet: it came during the weekend and will be within the hour, then
    2.5 working hours of work: ready before noon. Read as 62 hours awaited (the recorded
    lengths, weekends and all), it would be an exceptionally slow customer, and the forecast
    would be days later."""
    previsao = _desde_sexta_a_tarde(_historico_com_respostas)
    assert local(2026, 11, 9, 10) < previsao.p50 < local(2026, 11, 9, 12)
    assert previsao.p80 < local(2026, 11, 9, 15)


def test_resposta_esperada_desde_a_manha_chega_a_tarde() -> None:
    """Diagnosed at 09:00 on a Wednesday: the answer (about 4 hours) comes in the afternoon,
    and 8 in 10 cars are ready by the next morning."""
    cal = calendario()
    hist = _historico_com_respostas(cal)
    agora = local(2026, 11, 11, 9, 30)
    fim = local(2026, 11, 11, 9)
    manha = aberta(1, 2, (fim - timedelta(hours=2), fim - timedelta(hours=1), fim), mecanico=7)
    previsao = prever(cal, hist, abertas(manha), [7, 8], agora,
                      Configuracao(chegadas=False)).previsoes[0]  # fmt: skip
    assert local(2026, 11, 11, 14) < previsao.p50 < local(2026, 11, 11, 17)
    assert previsao.p80 < local(2026, 11, 12, 12)


def _historico_com_respostas_no_expediente(cal, n: int = 400, mediana_h: float = 4.0):
    """As _historico_com_respostas, but the customers answer only within the shop's hours (by
    phone, at the counter): their answer is a log-normal length of working time."""
    hist = _historico_com_respostas(cal, n, mediana_h)
    inst = hist.instantes.copy()
    rng = np.random.default_rng(9)
    inst[:, 3] = cal.somar(inst[:, 2], rng.lognormal(np.log(mediana_h * HORA), 0.8, n))
    for k, horas in ((4, 0.5), (5, 2.0)):
        inst[:, k] = cal.somar(inst[:, k - 1], rng.lognormal(np.log(horas * HORA), 0.3, n))
    return Historico(hist.prioridade, inst, hist.pausas)


def test_o_relogio_dos_clientes_vem_do_historico() -> None:
    """Answers recorded just after an opening: about the share of working time there when the
    customers answer in hours; the night's answers piled on top when they answer at any hour.
    The history says which, and too few answers keep the wall clock."""
    cal = calendario()
    inicio, fim = (_historico_com_respostas(cal).instantes[:, k] for k in (2, 3))
    assert not respostas_no_expediente(cal, inicio, fim, REGISTRO)
    inicio, fim = (_historico_com_respostas_no_expediente(cal).instantes[:, k] for k in (2, 3))
    assert respostas_no_expediente(cal, inicio, fim, REGISTRO)
    assert not respostas_no_expediente(cal, inicio[:20], fim[:20], REGISTRO)
    assert not respostas_no_expediente(cal, inicio, fim, 0.0)  # answers taken as recorded
    modelo = ajustar(cal, _historico_com_respostas_no_expediente(cal), abertas(), epoch(AGORA))
    assert not isinstance(modelo, int) and modelo.resposta_no_expediente


def test_cliente_que_responde_no_expediente_nao_responde_no_fim_de_semana() -> None:
    """The same car diagnosed on Friday at 17:30, in a shop whose customers answer only within
    its hours (about 4 working hours): on Monday at 08:10 nothing came over the weekend, the
    answer is still hours of work time away, then 2.5 of work: ready in the afternoon, not
    before noon. Read on the wall clock, as the other shop's customers, the weekend would have
    held the answer and the forecast (and the promise made from it) would be hours early."""
    previsao = _desde_sexta_a_tarde(_historico_com_respostas_no_expediente)
    assert local(2026, 11, 9, 13) < previsao.p50 < local(2026, 11, 9, 18)
    assert local(2026, 11, 9, 16) < previsao.p80
