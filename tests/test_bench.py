"""The on-demand benchmarks (bench/, `make bench*`) are not run by `make test`; their shared
harness is, in small: a renamed function of the app must not leave them broken until someone
runs them."""

from __future__ import annotations

import importlib
from collections.abc import Callable

import pytest
from flask import Flask

from bench import harness, previsao_orcamento, soak
from webapp.clock import Clock
from webapp.components import componente
from webapp.fila.queries import FilaQueries
from webapp.mongo import Mongo
from webapp.pessoas.queries import PessoasQueries
from webapp.settings import Settings


@pytest.mark.parametrize(
    "modulo",
    [
        "bench.quadro",
        "bench.capacidade",
        "bench.bench_indicadores",
        "bench.soak",
        "bench.previsao_orcamento",
    ],
)
def test_os_benchmarks_importam(modulo: str) -> None:
    importlib.import_module(modulo)


def test_preencher_em_lote_da_o_mesmo_quadro_que_pelo_servico(
    make_app: Callable[..., Flask], settings
) -> None:
    """The bulk fill (tens of thousands of orders) writes with the repository's own filters and
    updates: the same queue as through FilaService, order by order."""
    pelo_servico = harness.preencher(make_app(), 40, 5, 10, modo="servico")
    outro = make_app(mongodb_database=settings.mongodb_database + "_lote")
    try:
        em_lote = harness.preencher(outro, 40, 5, 10, modo="lote")
    finally:
        componente(Mongo, outro).client.drop_database(settings.mongodb_database + "_lote")
    assert pelo_servico.ordens == em_lote.ordens == 55
    assert em_lote.por_coluna == pelo_servico.por_coluna
    assert sum(pelo_servico.por_coluna.values()) == 45  # the open ones and today's


def test_o_motorista_do_soak_sabe_o_que_o_banco_tem(make_app: Callable[..., Flask]) -> None:
    """The soak's driver (the only writer) predicts every screen from its own model: after its
    moves (steps, new orders, finished ones removed) the model's columns are the database's."""
    app = make_app()
    harness.preencher(app, 12, 10)
    fila = soak.Fila(app)
    motorista = soak.Motorista(fila, "http://nunca-usado", "token", semente=7)
    for _ in range(60):
        motorista.mover(pela_api=False)
    no_banco = componente(FilaQueries, app).contagens(componente(Clock, app).inicio_do_dia())
    assert fila.contagens() == {s: str(n) for s, n in no_banco.items()}
    assert len(fila.finalizadas()) <= soak.FINALIZADAS + 1 and len(fila.abertas()) >= 12


def test_o_recalculo_do_orcamento_roda_em_pequeno(
    make_app: Callable[..., Flask], settings: Settings
) -> None:
    """The recompute budget's setup and its measuring process, on a tiny shop (nothing timed):
    the history copied inside mongod has its own OS numbers and stays in the window, the
    mechanics are active, and a fresh process's recomputes report the first one writing every
    forecast."""
    app = make_app()
    harness.preencher(app, 12, 2, 20, modo="lote")
    finalizadas = previsao_orcamento.multiplicar_historico(app, 2)
    previsao_orcamento.equipe(app, 6)
    fila = componente(FilaQueries, app).fila
    assert finalizadas == 2 + 20 * 3
    assert len(fila.distinct("ordem_servico_id")) == 14 + 60
    assert len(componente(PessoasQueries, app).mecanicos_ativos()) == 6

    corridas = previsao_orcamento.um_processo(
        settings.mongodb_url, settings.mongodb_database, None, 2
    )

    primeira, segunda = corridas
    assert primeira["motivo"] is None and primeira["abertas"] == 12
    assert primeira["escritas"] == 12 and 30 <= primeira["base_ordens"] <= 62
    assert segunda["escritas"] < 12 and primeira["mecanicos"] == 6
    assert {"cpu_s", "mongod_cpu_s", "pico_kb", "rss_antes_kb", "partes"} <= set(primeira)
