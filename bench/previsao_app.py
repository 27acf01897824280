"""The forecast scored through the real app (`make bench-previsao`, bench/previsao.py): a
simulated shop's files (bench/previsao_dados.py) go in the way a shop's data does, and the
forecasts come out the way people and integrations read them.

    with mongod() as db:
        leitura = pela_app(db.url, "previsao-oficina-1", pasta)  # pasta: historico.csv, ...

Per shop, a fresh database in the harness's mongod, and the app (create_app, every collaborator
as production wires it; the shop's HORARIO_FUNCIONAMENTO, FERIADOS, FUSO_HORARIO):

1. The shop's people (`/pessoas`): its mechanics, active (the forecast's "mechanics at work
   now" are the active ones; absences are not known to the app, nor to the forecast), and a
   manager.
2. The first 90 days: `flask --app wsgi importar-historico historico.csv`, the documented
   command, in a process of its own.
3. Each snapshot, in time order, with this process's clock at the snapshot's instant
   (time-machine: webapp.clock.agora, datetime.now and time.time all say that instant; the
   recompute reads no clock of the database's, so its window and its "now" are the instant):
   - the open orders of the snapshot before are deleted (the board's orders; the imported
     history stays);
   - the orders the shop finished since the snapshot before (the lines of
     historico-depois.csv that ended by now) come in through the same command, run in this
     process (Flask's CLI runner): at each instant the app learns from everything finished
     by then, as a shop that keeps using the board would;
   - each open order goes in through FilaService, as the board and the API put orders in:
     created at its entry with its priority and promised time, then each step at its instant
     (the mechanic the snapshot shows starts the work; the manager approves), each hold with
     its reason at its start and, when it ended, at its end. So its status, sub-stage,
     approval, running hold, seconds on hold per stage and mechanic are the app's own;
   - PrevisaoService.recalcular(), the app's own recompute (what the worker runs);
   - a token from `flask token --papel gerente` (the CLI, in this process), and GET
     /fila-execucao, every page: each order's `previsao_conclusao` (p50, p80, calculada_em,
     base_ordens);
   - a manager signs in through the form and opens /indicadores: the orders listed under "Em
     risco de atrasar" are the flagged ones (what the manager sees, and calls the customer
     about).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import time_machine
from flask import Flask
from flask.testing import FlaskClient

from bench.harness import RAIZ, app_local, aviso, entrar_no_cliente
from bench.previsao_dados import ler_fotos, recortar_historico
from bench.previsao_placar import Caso
from webapp.components import componente
from webapp.fila.domain import IMPORTADA, Acao, Ator, MotivoPausa, Papel, Prioridade
from webapp.fila.repository import FilaRepository
from webapp.fila.service import FilaService
from webapp.pessoas.repository import PessoasRepository
from webapp.previsao.service import PrevisaoService

HISTORICO = "historico.csv"  # the first 90 days: the shop's file to start warm
DEPOIS = "historico-depois.csv"  # what it finished afterwards, imported as the days go
FOTOS = "fotos.json"
GERENTE = Ator("gerente", Papel.GERENTE)
SENHA = "bench-previsao-gerente"
# The steps an open order may have taken, with the instant each one stamps.
PASSOS = (
    (Acao.INICIAR_DIAGNOSTICO, "dta_inicio_diagnostico"),
    (Acao.FINALIZAR_DIAGNOSTICO, "dta_fim_diagnostico"),
    (Acao.APROVAR_ORCAMENTO, "dta_aprovacao_orcamento"),
    (Acao.INICIAR_REPARO, "dta_inicio_reparo"),
)
# At one instant: a hold ends, then a step is taken, then a hold begins (an approved car put
# on hold for parts at once).
RETOMAR, PASSO, PAUSAR = 0, 1, 2
_EM_RISCO = re.compile(r'<section[^>]*id="em-risco".*?</section>', re.S)
_OS_DA_LINHA = re.compile(r'class="numero-os"[^>]*><a [^>]*>(\d+)</a>')


@dataclass
class Leitura:
    """What the app gave for one shop: a case per open order per snapshot (OS numbers as in
    the files), and per snapshot what its recompute said and how long the round took."""

    casos: list[Caso] = field(default_factory=list)
    base_ordens: list[int] = field(default_factory=list)  # finished orders learned from
    recalculo_ms: list[float] = field(default_factory=list)  # PrevisaoService.recalcular
    rodada_s: list[float] = field(default_factory=list)  # the whole snapshot, in to out


def ambiente(mongo_url: str, database: str, calendario: Mapping[str, str]) -> dict[str, str]:
    """The environment of a `flask --app wsgi ...` command on this shop's database."""
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "HOME", "TMPDIR")}
    return {
        **base,
        "APP_ENV": "development",
        "MONGODB_URL": mongo_url,
        "MONGODB_DATABASE": database,
        "OS_SYNC_THREAD": "false",
        "PREVISAO_THREAD": "false",
        "LOG_LEVEL": "WARNING",
        **calendario,
    }


def importar_pelo_comando(csv: Path, env: Mapping[str, str]) -> str:
    """`flask --app wsgi importar-historico CSV` as a shop runs it; its summary."""
    comando = [sys.executable, "-m", "flask", "--app", "wsgi", "importar-historico", str(csv)]
    feito = subprocess.run(comando, cwd=RAIZ, env=dict(env), capture_output=True, text=True)
    if feito.returncode != 0:
        raise RuntimeError(f"importar-historico failed:\n{feito.stdout}\n{feito.stderr}")
    return feito.stdout


def cli(app: Flask, *args: str) -> str:
    """A `flask --app wsgi ...` command run in this process (its clock): its output."""
    resultado = app.test_cli_runner().invoke(args=list(args))
    if resultado.exit_code != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{resultado.output}")
    return resultado.output


def equipe(app: Flask, nomes: Mapping[int, str]) -> None:
    """The shop's mechanics (by the names the history's CSV gives them; none: a shop whose
    people are not in the app) and a manager."""
    pessoas = componente(PessoasRepository, app)
    for numero, nome in nomes.items():
        pessoas.criar(f"mecanico{numero}", nome, SENHA, Papel.MECANICO, numero)
    pessoas.criar(GERENTE.id, "Gerente da Oficina", SENHA, Papel.GERENTE)


def por_no_quadro(fila: FilaService, doc: Mapping[str, Any]) -> dict[str, Any]:
    """One open order of a snapshot into the app, step by step at the instants it lived
    them: what the app stores is its own record of them (status, sub-stage, approval, hold,
    seconds on hold per stage, mechanic). The item as stored at the end."""
    os_ = doc["ordem_servico_id"]
    extras: dict[str, Any] = {
        "placa": f"SIM{os_ % 10000:04d}", "veiculo": "Simulado", "cliente": f"Cliente {os_}",
    }  # fmt: skip
    if doc.get("previsao_entrega"):
        extras["previsao_entrega"] = doc["previsao_entrega"]
    item = fila.adicionar(os_, GERENTE, Prioridade(doc["prioridade"]), extras, doc["dta_criacao"])
    mecanico = doc.get("mecanico_responsavel_id")
    dados = {
        Acao.INICIAR_DIAGNOSTICO: {"mecanico_responsavel_id": mecanico},
        Acao.FINALIZAR_DIAGNOSTICO: {"diagnostico": "Orçamento enviado ao cliente."},
        Acao.APROVAR_ORCAMENTO: {},
        Acao.INICIAR_REPARO: {"mecanico_responsavel_id": mecanico},
    }
    eventos: list[tuple[datetime, int, Any]] = [
        (doc[campo], PASSO, acao) for acao, campo in PASSOS if doc.get(campo)
    ]
    for espera in doc.get("esperas", ()):
        if espera["ate"] == espera["desde"]:
            continue  # nothing to see on the board
        eventos.append((espera["desde"], PAUSAR, MotivoPausa(espera["motivo"])))
        if espera["ate"] is not None:
            eventos.append((espera["ate"], RETOMAR, None))
    for quando, tipo, o_que in sorted(eventos, key=lambda e: (e[0], e[1])):
        if tipo == PASSO:
            item = fila.executar(item["_id"], o_que, GERENTE, dados[o_que], instante=quando)
        elif tipo == PAUSAR:
            item = fila.pausar(item["_id"], o_que, None, GERENTE, instante=quando)
        else:
            item = fila.retomar(item["_id"], GERENTE, instante=quando)
    return item


def ler_api(cliente: FlaskClient, token: str) -> dict[int, dict[str, Any]]:
    """GET /fila-execucao, every page, as an integration reads it: the items by OS number."""
    itens: dict[int, dict[str, Any]] = {}
    pagina = 500
    while True:
        resposta = cliente.get(
            f"/fila-execucao?limit={pagina}&offset={len(itens)}",
            headers={"Authorization": f"Bearer {token}"},
        )
        if resposta.status_code != 200:
            raise RuntimeError(f"GET /fila-execucao: HTTP {resposta.status_code} {resposta.text}")
        lote = resposta.get_json()
        itens.update((i["ordem_servico_id"], i) for i in lote)
        if len(lote) < pagina:
            return itens


def em_risco_nos_indicadores(app: Flask) -> set[int]:
    """A manager signs in and opens /indicadores: the OS numbers under "Em risco de atrasar".
    (Signed in again if the session is gone: mongod's TTL monitor runs on the real clock and
    may remove one whose expiry, on the travelled clock, is long past.)"""
    for _ in range(3):
        gerente = entrar_no_cliente(app, GERENTE.id, SENHA)
        resposta = gerente.get("/indicadores")
        if resposta.status_code == 200:
            secao = _EM_RISCO.search(resposta.text)
            if secao is None:
                raise RuntimeError("/indicadores has no at-risk section")
            return {int(n) for n in _OS_DA_LINHA.findall(secao.group(0))}
    raise RuntimeError(f"/indicadores: HTTP {resposta.status_code}")


def _data_iso(texto: str | None) -> datetime | None:
    return datetime.fromisoformat(texto) if texto else None


def rodada(app: Flask, foto: Mapping[str, Any], pasta: Path, anterior: datetime | None,
           fuso: str) -> tuple[list[Caso], int, float]:  # fmt: skip
    """One snapshot through the app, the clock at its instant (see the module's doc): its
    cases, the recompute's base and duration."""
    instante = foto["instante"]
    with time_machine.travel(instante, tick=False):
        componente(FilaRepository, app).fila.delete_many({IMPORTADA: {"$ne": True}})
        with tempfile.TemporaryDirectory(prefix="bench-previsao-") as temporaria:
            novas = Path(temporaria) / "finalizadas.csv"
            if recortar_historico(pasta / DEPOIS, novas, anterior, instante, fuso):
                cli(app, "importar-historico", str(novas))
        fila = componente(FilaService, app)
        for doc in foto["ordens"]:
            por_no_quadro(fila, doc)
        resumo = componente(PrevisaoService, app).recalcular()
        token = cli(app, "token", "--papel", "gerente", "--sub", "bench-previsao").strip()
        itens = ler_api(app.test_client(), token)
        em_risco = em_risco_nos_indicadores(app)
    casos = []
    for doc in foto["ordens"]:
        os_ = doc["ordem_servico_id"]
        previsao = itens[os_].get("previsao_conclusao") or {}
        calculada = _data_iso(previsao.get("calculada_em"))
        if calculada is not None and abs((calculada - instante).total_seconds()) > 1:
            raise RuntimeError(f"forecast computed at {calculada}, not at {instante}")
        casos.append(
            Caso(instante, os_, _data_iso(previsao.get("p50")), _data_iso(previsao.get("p80")),
                 os_ in em_risco, doc.get("previsao_entrega"), doc["finalizada_em"])
        )  # fmt: skip
    return casos, resumo.base_ordens, resumo.duracao_ms


@contextmanager
def oficina_na_app(
    mongo_url: str, database: str, pasta: Path, *, pessoas: bool = True
) -> Iterator[Flask]:
    """The app on a fresh database with this shop's calendar, its people (`pessoas` False:
    only its manager, the mechanics known by the history's names and the numbers the steps
    give), and its first 90 days imported by the documented command."""
    conteudo = ler_fotos(pasta / FOTOS)
    calendario = conteudo["calendario"]
    ajustes = {
        "horario_funcionamento": calendario["HORARIO_FUNCIONAMENTO"],
        "feriados": calendario["FERIADOS"],
        "fuso_horario": calendario["FUSO_HORARIO"],
    }
    with app_local(mongo_url, database, **ajustes) as app:
        equipe(app, conteudo["equipe"] if pessoas else {})
        resumo = importar_pelo_comando(pasta / HISTORICO, ambiente(mongo_url, database, calendario))
        # The count (its window, "A previsão aprende com...", is the real clock's, not the
        # snapshots').
        contagem = [linha for linha in resumo.splitlines() if "importad" in linha]
        aviso(f"{database}: {' '.join(contagem)}")
        yield app


def pela_app(mongo_url: str, database: str, pasta: Path, *, pessoas: bool = True) -> Leitura:
    """Every snapshot of a shop (pasta: its historico.csv, historico-depois.csv, fotos.json)
    through the app, in time order."""
    conteudo = ler_fotos(pasta / FOTOS)
    fuso = conteudo["calendario"]["FUSO_HORARIO"]
    leitura = Leitura()
    with oficina_na_app(mongo_url, database, pasta, pessoas=pessoas) as app:
        anterior = None
        for foto in sorted(conteudo["fotos"], key=lambda f: f["instante"]):
            inicio = time.perf_counter()
            casos, base, ms = rodada(app, foto, pasta, anterior, fuso)
            leitura.rodada_s.append(time.perf_counter() - inicio)
            leitura.casos += casos
            leitura.base_ordens.append(base)
            leitura.recalculo_ms.append(ms)
            anterior = foto["instante"]
    return leitura
