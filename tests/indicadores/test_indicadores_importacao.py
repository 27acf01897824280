"""`flask --app wsgi importar-historico`: finished orders from the CSV /indicadores exports (the
round trip: export, import into an empty database, export again gives the same rows) or from a
shop's minimal spreadsheet CSV; every bad line refused with its number and why, nothing written
then; a second run changes nothing; imported orders feed the indicators and the forecast, never
the board, the TV, the API's lists, the OS service or the live pushes. Through the real CLI
runner and the real mongod."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask
from click.testing import Result

from tests.indicadores.dados_indicadores import carregar_conjunto
from webapp.components import componente
from webapp.indicadores import export, service
from webapp.indicadores.domain import Periodo
from webapp.mongo import Mongo

TUDO = Periodo("personalizado", date(2025, 1, 1), date(2026, 12, 31))


def exportado(app: Flask, periodo: Periodo = TUDO) -> str:
    with app.app_context():
        return "".join(service.exportar(periodo))


def linhas(texto: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(texto.removeprefix(export.BOM), newline=""), delimiter=";"))


def importar(app: Flask, arquivo: Path, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["importar-historico", str(arquivo), *args])


def base_vazia(app: Flask) -> None:
    db = componente(Mongo, app).db
    for nome in ("fila_execucao", "usuarios"):
        db[nome].delete_many({})


def test_ida_e_volta(app: Flask, tmp_path: Path) -> None:
    r = app.test_cli_runner().invoke(args=["seed-demo", "--dias", "30"])
    assert r.exit_code == 0, r.output
    carregar_conjunto(app)
    antes = exportado(app)
    assert len(linhas(antes)) > 40
    arquivo = tmp_path / "h.csv"
    arquivo.write_text(antes, "utf-8")
    Path("/tmp/imp/antes.csv").write_text(antes, "utf-8")
    base_vazia(app)
    r = importar(app, arquivo)
    assert r.exit_code == 0, r.output
    depois = exportado(app)
    a, d = linhas(antes), linhas(depois)
    dif = [
        [(a[0][k], x[k], y[k]) for k in range(len(x)) if x[k] != y[k]] + [";".join(x)]
        for x, y in zip(a, d) if x != y
    ]
    assert not dif, dif[:5]
    assert depois == antes
