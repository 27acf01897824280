"""The loop in each web process's daemon thread (webapp/background.py): what a turn's failure
does, with the process running and while it stops."""

from __future__ import annotations

import logging
import threading

import pytest

from webapp.background import LacoDeFundo


class Laco(LacoDeFundo):
    descricao = "laço de teste"

    def __init__(self, falhas: list[bool]) -> None:
        super().__init__()
        self.falhas = falhas  # per turn: True = fail after the stop was asked for

    def volta(self, parar: threading.Event) -> bool:
        if not self.falhas:
            parar.set()
            return False
        if self.falhas.pop(0):
            parar.set()  # SIGTERM's worker_exit, while this turn was still in flight
        raise RuntimeError("interrompida")

    def espera_s(self) -> float:
        return 0.01


def test_volta_cortada_pela_parada_nao_e_erro(caplog: pytest.LogCaptureFixture) -> None:
    """A turn the process's stop cut short ends the loop with an info line, never an ERROR
    with a traceback (a worker stopped while recomputing wrote one, "erro inesperado")."""
    with caplog.at_level(logging.INFO, logger="webapp"):
        Laco([True]).rodar(threading.Event())
    assert [r.levelno for r in caplog.records] == [logging.INFO]
    assert "laço de teste interrompido pela parada" in caplog.text


def test_erro_sem_parada_e_erro_e_a_volta_se_repete(caplog: pytest.LogCaptureFixture) -> None:
    laco = Laco([False])
    with caplog.at_level(logging.INFO, logger="webapp"):
        laco.rodar(threading.Event())
    erros = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(erros) == 1 and erros[0].exc_info is not None
    assert "erro inesperado: laço de teste" in caplog.text
    assert laco.falhas == []  # the next turn ran
