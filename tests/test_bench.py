"""The on-demand benchmarks (bench/, `make bench*`) are not run by `make test`; their shared
harness is, in small: a renamed function of the app must not leave them broken until someone
runs them."""

from __future__ import annotations

import importlib
from collections.abc import Callable

import pytest
from flask import Flask

from bench import harness, soak
from webapp.clock import Clock
from webapp.components import componente
from webapp.fila.queries import FilaQueries
from webapp.mongo import Mongo


@pytest.mark.parametrize(
    "modulo", ["bench.quadro", "bench.capacidade", "bench.bench_indicadores", "bench.soak"]
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
