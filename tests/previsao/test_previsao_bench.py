"""The forecast's benchmark (make bench-previsao) in small, so that it does not rot: the shop
simulator (and its second kind), its history written as exactly the indicators' CSV and read
back, the snapshots, the oracle that runs the shop again from a snapshot, and the scoring of
the forecast and of the baselines."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from bench.oficina_simulada import (
    FUSO,
    HORARIO,
    PAUSAS,
    PRIMEIRA_OS,
    RESPOSTA,
    TUDO,
    Parametros,
    Simulador,
    variante,
)
from bench.previsao import casos_da_oficina, casos_do_oraculo, simular_oficina
from bench.previsao_app import DEPOIS, HISTORICO
from bench.previsao_dados import recortar_historico
from bench.previsao_placar import Caso, pontuar
from tests.previsao.previsao_fabrica import local
from webapp.indicadores import export
from webapp.previsao.calendar import Calendario
from webapp.previsao.forecast import Configuracao


def test_simula_exporta_le_e_pontua(tmp_path: Path) -> None:
    parametros = Parametros(dias=30, escoamento=15, semente=3)
    simulador = simular_oficina(parametros, 3, tmp_path, historico_dias=20)
    corte = simulador.instante(20 * 1440)
    linhas = sum(1 for _ in simulador.finalizadas_ate(corte))
    assert linhas >= 30
    for arquivo in (HISTORICO, DEPOIS):
        texto = (tmp_path / arquivo).read_text("utf-8")
        assert texto.startswith(export.BOM + export.SEPARADOR.join(export.CABECALHO))
    # Every finished order is in one file or the other, split at the cut.
    depois = len((tmp_path / DEPOIS).read_text("utf-8").splitlines()) - 1
    assert depois == sum(1 for o in simulador.ordens if "dta_fim_reparo" in o.marcos) - linhas
    casos, calendario, _, historico = casos_da_oficina(tmp_path, Configuracao(execucoes=50), 1)
    assert historico == linhas
    assert len(casos["nucleo"]) == len(casos["medianas"]) == len(casos["consultor"]) > 0
    previsao = pontuar(casos["nucleo"], calendario)
    assert previsao.sem_previsao == 0
    assert 0 <= previsao.cobertura_p80 <= 1 and previsao.erro_p50_h >= 0


def test_recorta_o_historico_pelo_fim(tmp_path: Path) -> None:
    """What the app imports at a snapshot: the lines that ended after the snapshot before and
    by this one, as they are, under the export's header."""
    simulador = simular_oficina(Parametros(dias=30, escoamento=15, semente=3), 1, tmp_path, 20)
    de, ate = simulador.instante(22 * 1440), simulador.instante(25 * 1440)
    n = recortar_historico(tmp_path / DEPOIS, tmp_path / "parte.csv", de, ate, FUSO)
    esperadas = {o.os for o in simulador.finalizadas_ate(ate)} - {
        o.os for o in simulador.finalizadas_ate(de)
    }
    linhas = (tmp_path / "parte.csv").read_bytes().decode("utf-8").split("\r\n")
    assert linhas[0] == export.BOM + export.SEPARADOR.join(export.CABECALHO)
    assert n == len(esperadas) > 0
    assert {int(linha.split(export.SEPARADOR)[0]) for linha in linhas[1:] if linha} == esperadas


def test_placar_conta_como_descrito() -> None:
    cal = Calendario.de_config(HORARIO, "", FUSO)
    agora = local(2026, 11, 10, 9)  # Tuesday
    promessa = local(2026, 11, 10, 17)

    def caso(ordem: int, p50_h: int, p80_h: int, risco: bool, fim_h: int) -> Caso:
        return Caso(agora, ordem, local(2026, 11, 10, p50_h), local(2026, 11, 10, p80_h),
                    risco, promessa, local(2026, 11, 10, fim_h))  # fmt: skip

    placar = pontuar(
        [
            caso(1, 10, 11, False, 11),  # early by 1 h, within p80
            caso(2, 14, 18, True, 18),  # late, flagged 7 working hours ahead: right
            caso(3, 15, 18, True, 16),  # flagged, on time: wrong
            caso(4, 11, 14, False, 18),  # late, not flagged
        ],
        cal,
    )
    assert placar.erro_p50_h == np.median([1, 4, 1, 6])  # lunch 12-13 is not work
    assert placar.cobertura_p80 == 0.75
    assert (placar.atrasadas, placar.recall) == (2, 0.5)
    assert (placar.alertas, placar.precisao) == (2, 0.5)


def test_precisao_conta_cada_ordem_uma_vez() -> None:
    """The manager is told once, when the flag turns on: an order flagged at three snapshots is
    one flag, right or wrong; the share over (order, snapshot) cases is kept beside it."""
    cal = Calendario.de_config(HORARIO, "", FUSO)
    promessa = local(2026, 11, 10, 17)

    def caso(ordem: int, hora: int, fim_h: int) -> Caso:
        dia = (2026, 11, 10)
        return Caso(local(*dia, hora), ordem, local(*dia, 16), local(*dia, 17), True, promessa,
                    local(*dia, fim_h))  # fmt: skip

    # Order 1 was late (flagged at 8, 9 and 10 h); orders 2 and 3 were not (flagged once each).
    casos = [caso(1, 8, 18), caso(1, 9, 18), caso(1, 10, 18), caso(2, 9, 16), caso(3, 10, 15)]
    placar = pontuar(casos, cal)
    assert (placar.alertas, placar.precisao) == (3, 1 / 3)
    assert (placar.alertas_fotos, placar.precisao_fotos) == (5, 3 / 5)


def _simulador(parametros: Parametros, fotos: int = 4) -> Simulador:
    simulador = Simulador(parametros)
    simulador.rodar(simulador.minutos_para_fotos(fotos, 20, 30))
    return simulador


@pytest.fixture(scope="module")
def oficina() -> Simulador:
    return _simulador(Parametros(dias=30, escoamento=15, semente=5))


def test_a_oficina_rodada_de_novo_sabendo_tudo_repete_o_que_aconteceu(oficina: Simulador) -> None:
    """The fork at a snapshot is faithful: told every plan and given the same random numbers,
    the run again from there finishes every open order at the very minute it did."""
    for foto in range(len(oficina.fotos)):
        fins = oficina.futuros(foto, 1, TUDO, semente=None)
        assert fins and all(
            minutos == [oficina.ordens[os - PRIMEIRA_OS].marcos.get("dta_fim_reparo")]
            for os, minutos in fins.items()
        )


def test_o_oraculo_sorteia_so_o_que_ninguem_sabia(oficina: Simulador) -> None:
    """Redrawn, every run agrees with the snapshot: nothing finishes before it, the work an
    order has done stays done; runs differ (the unknown was redrawn); told the answers and the
    holds, runs still differ (the work and the arrivals are not told)."""
    foto = len(oficina.fotos) - 1
    instante = oficina.estados[foto].minuto
    livre = oficina.futuros(foto, 12)
    sabendo = oficina.futuros(foto, 12, frozenset((RESPOSTA, PAUSAS)))
    for fins in (livre, sabendo):
        todos = [m for minutos in fins.values() for m in minutos if m is not None]
        assert todos and min(todos) > instante
        assert any(len(set(minutos)) > 1 for minutos in fins.values())
    em_reparo = [o for o in oficina.estados[foto].abertas if o.etapa == "em_reparo"]
    assert em_reparo
    for ordem in em_reparo:
        for _ in range(5):
            copia = oficina._bifurcar(oficina.estados[foto], random.Random(), frozenset())
            redesenhada = copia.ordens[ordem.os - PRIMEIRA_OS]
            assert redesenhada.reparo > ordem.feito and redesenhada.diagnostico == ordem.diagnostico


def test_o_oraculo_vira_casos_pontuaveis(oficina: Simulador) -> None:
    casos = casos_do_oraculo(oficina, 20, frozenset(), 1)
    assert len(casos) == sum(len(f["ordens"]) for f in oficina.fotos)
    assert all(c.p50 is not None and c.p80 is not None and c.p80 >= c.p50 for c in casos)
    assert all(c.p50 > c.instante for c in casos)


@pytest.mark.parametrize("parametros", [Parametros(), variante(1)])
def test_o_horario_do_simulador_e_o_do_texto(parametros: Parametros) -> None:
    """The simulator's table of open minutes and the settings' text it hands the forecast say
    the same hours, day by day."""
    calendario = Calendario.de_config(parametros.horario, "", FUSO)
    for dia, intervalos in enumerate(parametros.tabela):
        esperado = tuple(intervalos)
        assert tuple(calendario.horario.dias[dia]) == esperado, dia


def test_a_variante_e_outra_oficina() -> None:
    simulador = _simulador(variante(2), fotos=2)
    assert len(simulador.mecanicos) == 7 and simulador.p.resposta_balcao == 0.5
    vistos = {o["mecanico_responsavel_id"] for f in simulador.fotos for o in f["ordens"]}
    assert vistos - {None} and vistos - {None} <= set(simulador.mecanicos)
