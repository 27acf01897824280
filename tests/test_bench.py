"""The on-demand benchmarks (bench/, `make bench*`) are not run by `make test`; their shared
harness is, in small: a renamed function of the app must not leave them broken until someone
runs them."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

import bench
from bench import harness, indicadores, previsao_orcamento, soak
from webapp.clock import Clock
from webapp.components import componente
from webapp.fila.queries import FilaQueries
from webapp.fila.repository import FilaRepository
from webapp.mongo import Mongo
from webapp.pessoas.queries import PessoasQueries
from webapp.previsao.domain import MARCOS
from webapp.settings import Settings

BENCHMARKS = ["quadro", "capacidade", "indicadores", "previsao", "previsao_orcamento", "soak"]


@pytest.mark.parametrize("nome", BENCHMARKS)
def test_os_benchmarks_importam(nome: str) -> None:
    """Each one a module run as `python -m bench.<nome>`, with the harness's --saida and
    --sem-doc."""
    modulo = importlib.import_module(f"bench.{nome}")
    assert callable(modulo.main)
    assert f"bench.{nome}" in Path("Makefile").read_text()


def test_os_benchmarks_estao_todos_no_harness() -> None:
    """Named like the others (bench/<name>.py, no prefix); none with its own mongod, its own
    import path or its own writer of docs/PERFORMANCE.md: the harness's."""
    for modulo in pkgutil.iter_modules(bench.__path__):
        assert not modulo.name.startswith("bench_"), modulo.name
        if modulo.name != "harness":
            texto = (Path(bench.__path__[0]) / f"{modulo.name}.py").read_text()
            for proprio in ("localdb", "sys.path", "PERFORMANCE_MD", "<!--"):
                assert proprio not in texto, (modulo.name, proprio)


def test_percentil_pela_posicao() -> None:
    quinze = [float(v) for v in range(15, 0, -1)]
    assert harness.percentil(quinze, 90) == 14.0  # ceil(0.9 × 15) = 14th
    assert harness.p95([float(v) for v in range(1, 31)]) == 29.0
    assert harness.percentil([3.0], 90) == 3.0


def test_memoria_e_cpu_do_proc() -> None:
    assert harness.memoria_kb("VmRSS") > 10_000
    if harness.zerar_pico():
        assert harness.memoria_kb("VmHWM") >= harness.memoria_kb("VmRSS") - 1_024
    assert harness.memoria_kb("VmRSS", 2**22 + 12_345) is None  # no such process
    assert harness.cpu_ms(os.getpid()) > 0


def test_indicadores_mede_a_exportacao_do_app(make_app: Callable[..., Flask]) -> None:
    """The export measured as the benchmark does (streamed, and built whole as the contrast)
    counts the rows the orders it inserted give."""
    app = make_app()
    agora_, _ = indicadores.encher(app, 450, 7)
    de = agora_.date() - timedelta(days=365)  # the longest period, 366 days
    consulta = f"periodo=personalizado&de={de}&ate={agora_.date()}"
    fluxo = indicadores._exportacao(app, consulta, "fluxo")
    inteira = indicadores._exportacao(app, consulta, "inteira")
    assert fluxo["linhas"] == inteira["linhas"] == 450
    assert fluxo["tamanho"] == inteira["tamanho"] > 450 * 50
    assert fluxo["partes"] >= 3 and inteira["partes"] == 1  # chunks of 200 rows
    assert fluxo["pico_kib"] >= fluxo["antes_kib"] > 0


def test_indicadores_escreve_a_secao_do_harness(tmp_path: Path) -> None:
    """Its section between the harness's markers; the other sections stay."""
    saida = tmp_path / "PERFORMANCE.md"
    saida.write_text(
        "# Performance\n\n<!-- bench:outra:begin -->\n## Outra\n<!-- bench:outra:end -->\n"
    )
    args = argparse.Namespace(ordens=10, abertas=2, repeticoes=3, saida=saida, sem_doc=False)
    exportacao = {"linhas": 10, "tamanho": 2048, "partes": 1, "s": 0.1, "antes_kib": 70_000,
                  "pico_kib": 71_024, "zerado": True}  # fmt: skip
    texto = indicadores.relatorio(
        args,
        "1.0 → 1.2",
        (30.0, 40.0),
        (100.0, 120.0),
        {"30 days": {"completa": (12.0, 20.0), "percentis": (8.0, 15.0)}},
        {"a year": exportacao},
    )
    harness.publicar(indicadores.SECAO, texto, args)
    escrito = saida.read_text()
    assert "<!-- bench:outra:begin -->\n## Outra\n<!-- bench:outra:end -->" in escrito
    corpo = escrito.split("<!-- bench:indicadores:begin -->")[1].split(
        "<!-- bench:indicadores:end -->"
    )[0]
    assert "`bench/indicadores.py`" in corpo
    assert "| 30 days | 8 ms / 15 ms | 12 ms / 20 ms | 1.50 |" in corpo
    assert "| a year | 10 | 0.0 MiB | 0.10 s | 68 MiB | 69 MiB | +1.0 MiB |" in corpo


def test_o_documento_tem_os_marcadores_do_harness() -> None:
    texto = harness.PERFORMANCE_MD.read_text()
    assert "<!-- indicadores:inicio -->" not in texto
    assert texto.count("<!-- bench:indicadores:begin -->") == 1
    assert texto.count("<!-- bench:indicadores:end -->") == 1


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
    moves (steps, new orders, today's finished ones removed) the model's columns are the
    database's, and the history the forecast learns from stays."""
    app = make_app()
    harness.preencher(app, 12, 10, 20)
    fila = soak.Fila(app)
    motorista = soak.Motorista(fila, "http://nunca-usado", "token", semente=7)
    for _ in range(60):
        motorista.mover(pela_api=False)
    hoje = componente(Clock, app).inicio_do_dia()
    no_banco = componente(FilaQueries, app).contagens(hoje)
    assert fila.contagens() == {s: str(n) for s, n in no_banco.items()}
    assert len(fila.finalizadas()) <= soak.FINALIZADAS + 1 and len(fila.abertas()) >= 12
    historico = {"status": "FINALIZADA", "dta_fim_reparo": {"$lt": hoje}}
    assert componente(FilaQueries, app).fila.count_documents(historico) == 20


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


def test_a_previsao_pela_app_roda_em_pequeno(mongodb_url: str, tmp_path: Path) -> None:
    """`make bench-previsao` through the real app, on a tiny shop (20 days of history, 2
    snapshots; nothing timed): the history in by `flask importar-historico`, what finished
    since imported at each snapshot (the app learned from exactly what had finished by then),
    the open orders stored in their real states, the forecasts read from the API at the
    snapshot's instant and the flags from /indicadores, scored. Then, at the last snapshot,
    what the API gave is the core's forecast on what the app read, to the millisecond."""
    from bench.oficina_simulada import Parametros
    from bench.previsao import simular_oficina
    from bench.previsao_app import FOTOS, pela_app
    from bench.previsao_dados import ler_fotos
    from bench.previsao_placar import pontuar
    from webapp.previsao.calendar import Calendario
    from webapp.previsao.domain import Abertas
    from webapp.previsao.forecast import prever
    from webapp.previsao.queries import PrevisaoQueries
    from webapp.previsao.service import PrevisaoService, registro_aberto

    # Seed 6: at the last snapshot, 17 open orders in three statuses, some on hold now and
    # some with holds ended.
    parametros = Parametros(dias=30, escoamento=15, semente=6)
    simulador = simular_oficina(parametros, 2, tmp_path, historico_dias=20)
    fotos = sorted(ler_fotos(tmp_path / FOTOS)["fotos"], key=lambda f: f["instante"])
    banco = f"bench_previsao_{os.getpid()}"
    leitura = pela_app(mongodb_url, banco, tmp_path)

    abertas = [d for f in fotos for d in f["ordens"]]
    assert [(c.instante, c.ordem) for c in leitura.casos] == [
        (f["instante"], d["ordem_servico_id"]) for f in fotos for d in f["ordens"]
    ]
    assert all(c.p50 and c.p80 and c.instante <= c.p50 <= c.p80 for c in leitura.casos)
    finalizadas = [sum(1 for _ in simulador.finalizadas_ate(f["instante"])) for f in fotos]
    assert leitura.base_ordens == finalizadas and finalizadas[0] < finalizadas[1]
    calendario = Calendario.de_config(
        parametros.horario, parametros.feriados_texto, "America/Sao_Paulo"
    )
    placar = pontuar(leitura.casos, calendario)
    assert placar.casos == len(abertas) and placar.sem_previsao == 0
    assert placar.erro_p50_h >= 0 and 0 <= placar.cobertura_p80 <= 1

    ultima = fotos[-1]
    assert any(d["pausa"] for d in ultima["ordens"])
    assert any(any(d["pausas_s"].values()) for d in ultima["ordens"])
    with harness.app_local(mongodb_url, banco, horario_funcionamento=parametros.horario,
                           feriados=parametros.feriados_texto) as app:  # fmt: skip
        try:
            # The open orders of the last snapshot, as the app stored them: their real state.
            quadro = componente(FilaRepository, app).fila.find({"importada": None})
            guardadas = {d["ordem_servico_id"]: d for d in quadro}
            assert set(guardadas) == {d["ordem_servico_id"] for d in ultima["ordens"]}
            for doc in ultima["ordens"]:
                item = guardadas[doc["ordem_servico_id"]]
                for campo in CAMPOS_ABERTA:
                    assert item.get(campo) == doc.get(campo), campo
                assert (item["pausa"] or {}).get("desde") == (doc["pausa"] or {}).get("desde")
                assert _segundos(item["pausas_s"]) == _segundos(doc["pausas_s"])
            # The API's forecasts are the core's on what the app read at that instant.
            servico = componente(PrevisaoService, app)
            resultado = prever(
                servico.calendario,
                servico.historico(ultima["instante"]),
                Abertas.de_registros(map(registro_aberto, servico.fila.abertas_para_previsao())),
                list(servico.mecanicos()),
                ultima["instante"],
                servico.configuracao,
            ).por_ordem()
            casos = [c for c in leitura.casos if c.instante == ultima["instante"]]
            for caso in casos:
                p = resultado[caso.ordem]
                assert (caso.p50, caso.p80) == (_ms(p.p50), _ms(p.p80))
                assert caso.em_risco == p.em_risco
            em_risco = componente(PrevisaoQueries, app).em_risco()
            assert len(em_risco) == sum(c.em_risco for c in casos)
        finally:
            componente(Mongo, app).client.drop_database(banco)


# What an open order's stored state must say as the simulated shop's snapshot does.
CAMPOS_ABERTA = ("status", "prioridade", "orcamento_aprovado", "mecanico_responsavel_id",
                 "previsao_entrega", *MARCOS[:-1])  # fmt: skip


def _segundos(pausas: dict[str, float]) -> dict[str, int]:
    """Seconds on hold per stage, the stages with none left out (the app writes zeros)."""
    return {etapa: round(s) for etapa, s in pausas.items() if s}


def _ms(instante: datetime) -> datetime:
    return instante.replace(microsecond=instante.microsecond // 1000 * 1000)
