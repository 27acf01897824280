"""Holds for parts, on the wall clock: the store keeps how long each was recorded, and a hold
that ended at night or over a weekend is recorded when the shop opens again, so recorded
lengths are longer than true ones, the more so over weekends. The true length is learned
through that blur (its kernel known from the calendar: survival.desconvoluir), and a hold
running now ends at its start plus a true length, recorded when someone is at work."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from tests.previsao.previsao_fabrica import HORA, aberta, abertas, calendario, local
from webapp.previsao import survival
from webapp.previsao.calendar import Calendario, epoch
from webapp.previsao.domain import REPARO, Historico
from webapp.previsao.forecast import Configuracao, prever
from webapp.previsao.model import ajustar, nucleo_de_registro, registrar
from webapp.previsao.simulation import POSICAO_MAX, POSICAO_MIN

AGORA = local(2026, 11, 11, 10)  # a Wednesday
REGISTRO = 3600.0


def _gravadas(cal, verdadeiras: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Recorded lengths of holds begun at random working instants of the last 8 weeks."""
    n = verdadeiras.size
    inicio = cal.somar(np.full(n, epoch(AGORA) - 56 * 86_400.0), rng.uniform(0, 48 * 9 * HORA, n))
    return registrar(cal, inicio + verdadeiras, rng.random(n), REGISTRO) - inicio


def test_o_nucleo_sabe_que_o_registro_espera_o_dia_seguinte() -> None:
    cal = calendario()
    nucleo = nucleo_de_registro(cal, epoch(AGORA), REGISTRO)
    np.testing.assert_allclose(nucleo.sum(axis=0), 1.0)
    grade = survival.GRADE
    j = int(np.searchsorted(grade, 36 * HORA)) - 1  # a 36-hour hold
    meio = np.concatenate((0.5 * (grade[:-2] + grade[1:-1]), [grade[-2] * 1.5]))
    media_gravada = float(nucleo[:, j] @ meio)
    assert media_gravada > 40 * HORA  # nights and weekends until someone records its end
    assert nucleo[: j - 1, j].sum() == pytest.approx(0.0)  # never recorded shorter


def test_desconvoluir_acha_a_duracao_verdadeira() -> None:
    cal = calendario()
    rng = np.random.default_rng(11)
    verdadeiras = rng.lognormal(np.log(30 * HORA), 0.6, 1_500)
    gravadas = _gravadas(cal, verdadeiras, rng)
    nucleo = nucleo_de_registro(cal, epoch(AGORA), REGISTRO)
    dist = survival.desconvoluir(gravadas, np.empty(0), nucleo)
    ingenua = survival.ajustar(gravadas, np.ones(gravadas.size, bool))
    assert dist is not None and ingenua is not None
    verdadeira_mediana = float(np.median(verdadeiras))
    assert ingenua.mediana > 1.25 * verdadeira_mediana  # the recorded ones: far too long
    assert dist.mediana == pytest.approx(verdadeira_mediana, rel=0.12)
    assert survival.desconvoluir(np.empty(0), np.array([HORA]), nucleo) is None


def test_desconvoluir_sem_explicacao_usa_as_duracoes_gravadas() -> None:
    """Holds recorded under other opening hours: with the shop now open an hour a week, no true
    length can be recorded as three days. Once the estimate came out NaN; now it is the
    lengths as recorded."""
    cal = Calendario.de_config("sab 08:00-09:00", "", "America/Sao_Paulo")
    nucleo = nucleo_de_registro(cal, epoch(AGORA), REGISTRO)
    gravadas = np.random.default_rng(3).uniform(70 * HORA, 74 * HORA, 200)
    for correndo in (np.empty(0), np.array([80 * HORA])):  # NaN, or resting on the running one
        dist = survival.desconvoluir(gravadas, correndo, nucleo)
        assert dist is not None and np.isfinite(dist.mediana) and np.isfinite(dist.media)
        assert dist.mediana == pytest.approx(float(np.median(gravadas)), rel=0.02)


def test_pausa_de_segunda_de_manha_volta_terca_nao_depois_do_fim_de_semana() -> None:
    """Parts take about a day. A repair held since Monday 09:00: the parts come on Tuesday
    morning and the car is done before noon; read as recorded lengths (nights and weekends
    until someone records the end) it would be the afternoon or later."""
    cal = calendario()
    rng = np.random.default_rng(12)
    n = 300
    inicio = cal.somar(np.full(n, epoch(AGORA) - 60 * 86_400.0), rng.uniform(0, 45 * 9 * HORA, n))
    inst = np.empty((n, 6))
    inst[:, 0] = inicio
    for k, horas in enumerate((1.0, 1.0, 2.0, 0.5), start=1):
        inst[:, k] = cal.somar(inst[:, k - 1], rng.lognormal(np.log(horas * HORA), 0.3, n))
    pausas = np.zeros((n, 5))
    segura = rng.random(n) < 0.4
    # Held after an hour of repair, for a true ~24 h, recorded when the shop is open.
    parada = cal.somar(inst[:, 4], np.full(n, HORA))
    volta = registrar(cal, parada + rng.lognormal(np.log(24 * HORA), 0.4, n), rng.random(n),
                      REGISTRO)  # fmt: skip
    pausas[segura, REPARO] = (volta - parada)[segura]
    retomada = np.where(segura, volta, parada)
    inst[:, 5] = cal.somar(retomada, np.full(n, HORA))
    hist = Historico(np.full(n, 2, np.int8), inst, pausas)
    modelo = ajustar(cal, hist, abertas(), epoch(AGORA))
    assert not isinstance(modelo, int) and modelo.pausas_corridas[REPARO] is not None
    assert modelo.pausas_corridas[REPARO].mediana == pytest.approx(24 * HORA, rel=0.15)

    segunda = local(2026, 11, 9, 8)
    held = aberta(1, 2, (segunda - timedelta(hours=6), segunda - timedelta(hours=5),
                         segunda - timedelta(hours=4), segunda - timedelta(hours=3), segunda),
                  mecanico=7, pausa_desde=local(2026, 11, 9, 9))  # fmt: skip
    agora = local(2026, 11, 9, 11)
    previsao = prever(cal, hist, abertas(held), [7, 8], agora,
                      Configuracao(chegadas=False)).previsoes[0]  # fmt: skip
    # Parts ~Tuesday 09:00, an hour of work: done ~Tuesday 10:00.
    assert local(2026, 11, 10, 8) < previsao.p50 < local(2026, 11, 10, 12)


# --- Work held now: where the hold fell tells of the whole job ----------------------------------


def _trabalho_e_pausa(
    n: int, rng: np.random.Generator
) -> tuple[survival.Distribuicao, np.ndarray, np.ndarray, float, float]:
    """Repairs of log-normal working time (median 4 h), the law learned from them, and the
    forecast's own model of holds: each at a uniform share of its work (POSICAO_MIN..MAX)."""
    total = np.exp(rng.normal(np.log(4 * HORA), 0.8, n))
    feito = total * rng.uniform(POSICAO_MIN, POSICAO_MAX, n)
    lei = survival.ajustar(total, np.ones(n, bool))
    assert lei is not None
    return lei, total, feito, POSICAO_MIN, POSICAO_MAX


@pytest.mark.parametrize("feito_h", [0.25, 1.0, 3.0, 8.0])
def test_trabalho_parado_segue_a_posicao_da_pausa(feito_h: float) -> None:
    """Held after `feito_h` of work: the jobs of the model held at about that point have the
    law amostrar_parada_em draws from (an early hold: a shorter job than "at least feito"
    says), never shorter than the work done, never past feito / POSICAO_MIN."""
    rng = np.random.default_rng(3)
    lei, total, feito, pmin, pmax = _trabalho_e_pausa(400_000, rng)
    perto = np.abs(feito - feito_h * HORA) < 0.05 * feito_h * HORA
    esperado = np.quantile(total[perto], [0.2, 0.5, 0.8])
    u = rng.random(20_000)
    tirados = lei.amostrar_parada_em(u, np.full(u.size, feito_h * HORA), pmin, pmax)
    assert tirados.min() >= feito_h * HORA and tirados.max() <= feito_h * HORA / pmin * 1.001
    assert np.quantile(tirados, [0.2, 0.5, 0.8]) == pytest.approx(esperado, rel=0.08)
    if feito_h <= 1.0:  # "at least feito" alone, as for work not held, says much longer
        assert np.median(lei.amostrar(u, feito_h * HORA)) > 1.5 * np.median(tirados)


@pytest.mark.parametrize("feito_s", [0.3, 60.0, 300.0])
def test_pausa_nos_primeiros_minutos_nao_encurta_o_servico(feito_s: float) -> None:
    """A repair (median 2.5 h) held in its first minutes, a part found missing at the start:
    its job is not read as a few minutes long (read by the hold's place alone, 0.3 s of work
    made it a 6 s job, a minute a quarter-hour one); from nothing done to a POSICAO_MIN share
    of the median done, the reading goes smoothly to the place's."""
    rng = np.random.default_rng(6)
    lei = survival.ajustar(np.exp(rng.normal(np.log(150 * 60), 0.6, 20_000)), np.ones(20_000, bool))
    assert lei is not None
    u = rng.random(20_000)
    parado = np.median(
        lei.amostrar_parada_em(u, np.full(u.size, feito_s), POSICAO_MIN, POSICAO_MAX)
    )
    assert parado >= 0.85 * lei.mediana * (1 - feito_s / (POSICAO_MIN * lei.mediana))
    assert parado > 60 * 60  # over an hour, never minutes
    no_limite = np.full(u.size, POSICAO_MIN * lei.mediana)
    so_o_lugar = lei.amostrar_parada_em(u, no_limite, POSICAO_MIN, POSICAO_MAX)
    assert np.median(so_o_lugar) < 0.6 * lei.mediana  # beyond it, the place alone (as tested above)


def test_trabalho_parado_sem_nada_feito_como_antes() -> None:
    lei, *_, pmin, pmax = _trabalho_e_pausa(5_000, np.random.default_rng(4))
    u = np.random.default_rng(5).random(1_000)
    assert (lei.amostrar_parada_em(u, np.zeros(u.size), pmin, pmax) == lei.amostrar(u, 0.0)).all()
