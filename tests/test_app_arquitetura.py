"""The direction of imports (README, "Architecture"): import-linter's contracts in pyproject.toml
hold, every package of webapp/ is in one of their layers, and a back-arrow breaks them."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

RAIZ = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint(raiz: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=raiz,
        env={"PYTHONPATH": str(raiz), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_contratos_de_importacao_valem() -> None:
    r = _lint(RAIZ)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "4 kept, 0 broken" in r.stdout


def test_todo_pacote_de_webapp_esta_numa_camada() -> None:
    """A new package or module of webapp/ must say where it sits, or nothing checks it."""
    config = tomllib.loads((RAIZ / "pyproject.toml").read_text())["tool"]["importlinter"]
    camadas = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    nas_camadas = {m.strip() for camada in camadas for m in camada.replace("|", ":").split(":")}
    filhos = grimp.build_graph("webapp").find_children("webapp")
    assert filhos == nas_camadas, filhos ^ nas_camadas


@pytest.mark.parametrize(
    ("arquivo", "importacao", "contrato"),
    [
        # The core reaching a feature (and, through it, Flask and the collaborators).
        ("fila/domain.py", "from ..quadro import partials", "Camadas"),
        ("previsao/domain.py", "from ..components import componente", "núcleo não conhece"),
        # The queue reaching the forecast (the forecast reads the queue, never the reverse).
        ("fila/service.py", "from ..previsao import domain", "Camadas"),
        # A domain module reaching the web.
        ("pessoas/domain.py", "from flask import request", "Regras puras"),
        # Infrastructure reaching up into the core.
        ("settings.py", "from .fila import stages", "Camadas"),
        # Two features importing each other (quadro imports pessoas).
        ("pessoas/routes.py", "from ..quadro import filters", "Sem ciclos"),
    ],
)
def test_uma_seta_ao_contrario_quebra_o_contrato(
    tmp_path: Path, arquivo: str, importacao: str, contrato: str
) -> None:
    shutil.copytree(RAIZ / "webapp", tmp_path / "webapp", ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(RAIZ / "pyproject.toml", tmp_path)
    alvo = tmp_path / "webapp" / arquivo
    alvo.write_text(alvo.read_text() + f"\n{importacao}  # noqa\n")
    r = _lint(tmp_path)
    assert r.returncode != 0, r.stdout
    quebrado = next(linha for linha in r.stdout.splitlines() if "BROKEN" in linha)
    assert contrato in quebrado, r.stdout
