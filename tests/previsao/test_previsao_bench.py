"""The forecast's benchmark (make bench-previsao) in small, so that it does not rot: the shop
simulator, its history written as exactly the indicators' CSV and read back, the snapshots, and
the scoring of the forecast and of the baselines."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.oficina_simulada import FUSO, HORARIO, Parametros, Simulador
from bench.previsao import casos_da_oficina
from bench.previsao_dados import documentos_finalizados, escrever_fotos, escrever_historico
from bench.previsao_placar import Caso, pontuar
from tests.previsao.previsao_fabrica import local
from webapp.indicadores import export
from webapp.previsao.calendar import Calendario
from webapp.previsao.forecast import Configuracao


def test_simula_exporta_le_e_pontua(tmp_path: Path) -> None:
    parametros = Parametros(dias=30, escoamento=15, semente=3)
    simulador = Simulador(parametros)
    simulador.rodar(simulador.minutos_para_fotos(3, 20, 30))
    corte = simulador.instante(20 * 1440)
    linhas = escrever_historico(
        tmp_path / "historico.csv", documentos_finalizados(simulador, corte), FUSO
    )
    assert linhas >= 30
    texto = (tmp_path / "historico.csv").read_text("utf-8")
    assert texto.startswith(export.BOM + export.SEPARADOR.join(export.CABECALHO))
    escrever_fotos(tmp_path / "fotos.json", simulador, {
        "HORARIO_FUNCIONAMENTO": HORARIO, "FERIADOS": "", "FUSO_HORARIO": FUSO,
    })  # fmt: skip
    casos, calendario, _, historico = casos_da_oficina(tmp_path, Configuracao(execucoes=50), 1)
    assert historico == linhas
    assert len(casos["previsao"]) == len(casos["medianas"]) == len(casos["consultor"]) > 0
    previsao = pontuar(casos["previsao"], calendario)
    assert previsao.sem_previsao == 0
    assert 0 <= previsao.cobertura_p80 <= 1 and previsao.erro_p50_h >= 0


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
