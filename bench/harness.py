"""What the benchmarks share: a private mongod, a realistic queue of any size, gunicorn with the
production config, people signed in over real HTTP and in Chromium, the workers' memory, and
the sections of docs/PERFORMANCE.md.

    with mongod() as db, app_local(db.url, "bench") as app:
        preencher(app, abertas=500, finalizadas_hoje=25)
    with gunicorn(db.url, "bench") as servidor:
        sessao = entrar(servidor.base, "gerente", "gerente123")
        ...
        servidor.rss_kb()
    escrever_secao("my-bench", markdown)

Run the benchmarks as modules from the repository root (`python -m bench.quadro`), so that
`webapp`, `scripts` and `tests` import as they do for the app and the tests.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import platform
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Browser, Page, sync_playwright
from pymongo import UpdateOne

from scripts import localdb
from tests.navegador import ARGS, CHROMIUM
from webapp import create_app
from webapp.clock import Clock, agora
from webapp.components import componente
from webapp.fila import domain
from webapp.fila.demo import USUARIOS_DEMO
from webapp.fila.domain import Acao, Ator, MotivoPausa, Papel, Prioridade
from webapp.fila.outbox import novo_evento
from webapp.fila.queries import FilaQueries
from webapp.fila.repository import atualizacao, filtro, resumo_os_sync
from webapp.fila.service import FilaService
from webapp.mongo import Indices, Mongo
from webapp.pessoas.repository import PessoasRepository
from webapp.settings import Settings

RAIZ = Path(__file__).resolve().parent.parent
PERFORMANCE_MD = RAIZ / "docs" / "PERFORMANCE.md"

# --- a private mongod ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Mongod:
    url: str
    pasta: Path  # its temporary data directory and log
    pid: int  # for its CPU time (cpu_ms)


@contextlib.contextmanager
def mongod() -> Iterator[Mongod]:
    """A single-node replica set on a free port, data in a temporary directory removed
    afterwards (scripts/localdb.py: it dies with this process, even on SIGKILL)."""
    with tempfile.TemporaryDirectory(prefix="bench-mongod-") as pasta:
        porta = localdb.free_port()
        processo = localdb.start_mongod(porta, Path(pasta) / "data", Path(pasta) / "mongod.log")
        try:
            yield Mongod(localdb.mongo_url(porta), Path(pasta), processo.pid)
        finally:
            localdb.stop_mongod(processo)


@contextlib.contextmanager
def app_local(mongo_url: str, database: str, **ajustes: Any) -> Iterator[Flask]:
    """The app in this process, to fill `database` through its own service. Development
    settings (not test): users get the production password hash, so signing in costs what it
    costs in production. `ajustes`: more settings (e.g. the shop's hours)."""
    settings = Settings(
        app_env="development",
        mongodb_url=mongo_url,
        mongodb_database=database,
        log_level="WARNING",
        os_sync_thread=False,
        previsao_thread=False,  # no recompute while a benchmark fills the queue
        **ajustes,
    )
    app = create_app(settings)
    try:
        yield app
    finally:
        componente(Mongo, app).fechar()


# --- a realistic queue ---------------------------------------------------------------------------

GERENTE = Ator("gerente", Papel.GERENTE)
# The demo mechanics (login, funcionario_id): their names show on the cards.
MECANICOS = ((Ator("mecanico", Papel.MECANICO), 101), (Ator("mecanico2", Papel.MECANICO), 102))

_DIAGNOSTICO = (Acao.INICIAR_DIAGNOSTICO,)
_ORCAMENTO = (*_DIAGNOSTICO, Acao.FINALIZAR_DIAGNOSTICO)
_APROVADA = (*_ORCAMENTO, Acao.APROVAR_ORCAMENTO)
_REPARO = (*_APROVADA, Acao.INICIAR_REPARO)
_FINALIZADA = (*_REPARO, Acao.FINALIZAR_REPARO)
# Where open orders are in a busy shop (steps taken, weight): waiting for diagnosis, in
# diagnosis, waiting for the customer's approval, approved and waiting for a bay, in repair.
ETAPAS_ABERTAS: tuple[tuple[tuple[Acao, ...], float], ...] = (
    ((), 0.25),
    (_DIAGNOSTICO, 0.22),
    (_ORCAMENTO, 0.10),
    (_APROVADA, 0.06),
    (_REPARO, 0.37),
)
PRIORIDADES = (
    (Prioridade.URGENTE, 0.05),
    (Prioridade.ALTA, 0.20),
    (Prioridade.NORMAL, 0.60),
    (Prioridade.BAIXA, 0.15),
)
PAUSADAS = 0.06  # open orders on hold (waiting for parts)
COM_PREVISAO = 0.4  # orders with a promised time
VEICULOS = (
    "Fiat Strada 1.3", "VW Gol 1.0", "Honda Fit", "Toyota Corolla 2.0", "Chevrolet Onix",
    "Renault Master", "Hyundai HB20", "Jeep Renegade", "Ford Ka", "Mercedes Sprinter",
    "Fiat Uno", "VW Saveiro", "Fiat Toro 2.0 Diesel", "VW Polo 1.0 TSI", "Renault Kwid",
    "Chevrolet S10 2.8", "Toyota Hilux SRV", "Nissan Kicks", "Honda Civic EXL", "Fiat Mobi",
    "VW T-Cross", "Hyundai Creta", "Peugeot 208", "Citroën C3", "Ford Ranger XLS",
)  # fmt: skip
NOMES = ("Ana", "Bruno", "Carla", "Diego", "Eduarda", "Felipe", "Gabriela", "Henrique",
         "Isabela", "João", "Larissa", "Marcos", "Natália", "Otávio", "Paula", "Rafael",
         "Sílvia", "Thiago", "Vanessa", "Wagner")  # fmt: skip
SOBRENOMES = ("Souza", "Lima", "Costa", "Pereira", "Almeida", "Rocha", "Mendes", "Nunes",
              "Oliveira", "Ferreira", "Carvalho", "Gomes", "Ribeiro", "Martins")  # fmt: skip
EMPRESAS = ("Transportes Lima", "Entregas Rápidas", "Construtora Alfa", "Ambulâncias Vida",
            "Locadora Sul", "Frota Verde Logística")  # fmt: skip
QUEIXAS = (
    "Freio rangendo e pedal baixo", "Revisão dos 60 mil km", "Barulho na suspensão traseira",
    "Luz da injeção acesa", "Ar-condicionado não gela", "Embreagem patinando",
    "Vazamento de óleo sob o motor", "Troca de correia dentada", "Amortecedores dianteiros",
    "Superaquecimento do motor", "Troca de pastilhas", "Alinhamento e balanceamento",
    "Motor falhando em marcha lenta", "Direção puxando para a direita", "Bateria descarregando",
)  # fmt: skip
DIAGNOSTICOS = (
    "Pastilhas e discos no limite; substituir o conjunto dianteiro.",
    "Sensor de oxigênio com defeito; trocar e apagar os códigos.",
    "Kit de embreagem gasto; trocar disco, platô e rolamento.",
    "Junta do cárter ressecada; trocar a junta e completar o óleo.",
    "Compressor do ar-condicionado sem carga; vazamento na válvula de serviço.",
    "Bucha da bandeja traseira rompida; trocar as duas buchas.",
    "Bobina de ignição do cilindro 2 falhando; trocar as velas e a bobina.",
)
REPAROS = (
    "Serviço concluído e testado em rodagem.",
    "Peças trocadas; cliente avisado para retirar.",
    "Concluído; recomendada nova revisão em 10 mil km.",
)


@dataclass
class PlanoOrdem:
    """One order as the shop would have produced it: its creation, then its steps, each with
    who took it and when, then perhaps a hold."""

    ordem_servico_id: int
    prioridade: Prioridade
    extras: dict[str, Any]
    criada: datetime
    passos: list[tuple[Acao, Ator, dict[str, Any], datetime]] = field(default_factory=list)
    pausa: tuple[Ator, datetime] | None = None


@dataclass(frozen=True)
class Preenchimento:
    modo: str  # "servico" (FilaService, one call per change) or "lote" (bulk writes)
    ordens: int
    por_coluna: dict[str, int]  # the board's counts (FINALIZADA: today's)
    segundos: float


def _ms(instante: datetime) -> datetime:
    """MongoDB keeps milliseconds: instants are cut there, as webapp.clock.agora() does."""
    return instante.replace(microsecond=instante.microsecond // 1000 * 1000)


def _escolher(rng: random.Random, pesos: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([v for v, _ in pesos], [p for _, p in pesos])[0]


def placa(rng: random.Random) -> str:
    """A Brazilian plate: Mercosul (ABC1D23) mostly, the old pattern (ABC1234) sometimes."""
    letras = "".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ", k=3))
    if rng.random() < 0.8:
        return f"{letras}{rng.randrange(10)}{rng.choice('ABCDEFGHIJ')}{rng.randrange(100):02d}"
    return f"{letras}{rng.randrange(10000):04d}"


def _extras(rng: random.Random, criada: datetime) -> dict[str, Any]:
    cliente = (
        rng.choice(EMPRESAS)
        if rng.random() < 0.2
        else f"{rng.choice(NOMES)} {rng.choice(SOBRENOMES)}"
    )
    extras: dict[str, Any] = {
        "placa": placa(rng),
        "veiculo": rng.choice(VEICULOS),
        "cliente": cliente,
        "descricao": rng.choice(QUEIXAS),
    }
    if rng.random() < COM_PREVISAO:  # some of them already past: shown as late
        extras["previsao_entrega"] = _ms(criada + timedelta(hours=rng.uniform(8, 96)))
    return extras


def _passos(
    rng: random.Random, acoes: Sequence[Acao], de: datetime, ate: datetime, *, fim: bool = False
) -> list[tuple[Acao, Ator, dict[str, Any], datetime]]:
    """The steps `acoes` spread between `de` and `ate` (the last one exactly at `ate` when
    `fim`), by one mechanic (the manager approves)."""
    mecanico, funcionario = rng.choice(MECANICOS)
    total = (ate - de).total_seconds()
    momentos = sorted(rng.uniform(0, total) for _ in acoes)
    if fim and momentos:
        momentos[-1] = total
    passos = []
    for acao, segundos in zip(acoes, momentos, strict=True):
        dados: dict[str, Any] = {}
        if acao is Acao.INICIAR_DIAGNOSTICO:
            dados = {"mecanico_responsavel_id": funcionario}
        elif acao is Acao.FINALIZAR_DIAGNOSTICO:
            dados = {"diagnostico": rng.choice(DIAGNOSTICOS)}
        elif acao is Acao.FINALIZAR_REPARO:
            dados = {"observacoes_reparo": rng.choice(REPAROS)}
        ator = GERENTE if acao is Acao.APROVAR_ORCAMENTO else mecanico
        passos.append((acao, ator, dados, _ms(de + timedelta(seconds=segundos))))
    return passos


def planejar(
    abertas: int,
    finalizadas_hoje: int = 0,
    finalizadas_antes: int = 0,
    *,
    inicio_do_dia: datetime,
    dias_antes: int = 90,
    semente: int = 2026,
    primeira_os: int = 10_001,
) -> list[PlanoOrdem]:
    """A queue's orders: `abertas` spread over the open columns (ETAPAS_ABERTAS), with
    priorities, cars, customers, diagnoses, promised times and holds; `finalizadas_hoje`
    finished since `inicio_do_dia`; `finalizadas_antes` finished over the `dias_antes` days
    before it (history, indicators). Same `semente`, same queue."""
    rng = random.Random(semente)
    agora_ = agora()
    planos: list[PlanoOrdem] = []

    def nova(criada: datetime) -> PlanoOrdem:
        criada = _ms(criada)
        return PlanoOrdem(
            primeira_os + len(planos), _escolher(rng, PRIORIDADES), _extras(rng, criada), criada
        )

    for _ in range(abertas):
        # Most orders are hours old, a few have waited for days (parts, customers).
        idade = timedelta(minutes=10) + timedelta(hours=min(rng.expovariate(1 / 30), 240))
        plano = nova(agora_ - idade)
        plano.passos = _passos(
            rng, _escolher(rng, ETAPAS_ABERTAS), plano.criada, agora_ - timedelta(minutes=1)
        )
        if rng.random() < PAUSADAS:
            depois_de = plano.passos[-1][3] if plano.passos else plano.criada
            plano.pausa = (
                rng.choice(MECANICOS)[0],
                _ms(depois_de + (agora_ - depois_de) * rng.uniform(0.1, 0.9)),
            )
        planos.append(plano)
    # Finished today: since midnight (or within the last minutes, just after midnight).
    janela_hoje = max(agora_ - inicio_do_dia - timedelta(minutes=1), timedelta(seconds=1))
    for _ in range(finalizadas_hoje):
        fim = agora_ - janela_hoje * rng.random()
        plano = nova(fim - timedelta(hours=rng.uniform(2, 72)))
        plano.passos = _passos(rng, _FINALIZADA, plano.criada, fim, fim=True)
        planos.append(plano)
    for _ in range(finalizadas_antes):
        fim = inicio_do_dia - timedelta(days=dias_antes) * rng.random() - timedelta(seconds=1)
        plano = nova(fim - timedelta(hours=rng.uniform(2, 72)))
        plano.passos = _passos(rng, _FINALIZADA, plano.criada, fim, fim=True)
        planos.append(plano)
    return planos


def _pelo_servico(app: Flask, planos: Sequence[PlanoOrdem]) -> None:
    """Each order through FilaService, as the board and the API do: one insert per order and
    one conditional update per step."""
    fila = componente(FilaService, app)
    for plano in planos:
        item = fila.adicionar(
            plano.ordem_servico_id, GERENTE, plano.prioridade, plano.extras, plano.criada
        )
        for acao, ator, dados, quando in plano.passos:
            fila.executar(item["_id"], acao, ator, dados, instante=quando)
        if plano.pausa:
            ator, quando = plano.pausa
            fila.pausar(item["_id"], MotivoPausa.AGUARDANDO_PECAS, None, ator, instante=quando)


def _em_lote(app: Flask, planos: Sequence[PlanoOrdem], lote: int = 1000) -> None:
    """The same documents without a round trip per change (tens of thousands of orders): the
    domain's own builders (nova_ordem, planejar_passo, planejar_pausa, novo_evento) and the
    repository's own filters and updates, sent as bulk writes, one round of steps at a time.
    Skips what only the service adds: permission checks and the change metrics."""
    colecao = componente(FilaService, app).repo.fila
    documentos = [
        domain.nova_ordem(p.ordem_servico_id, p.prioridade, GERENTE.id, p.criada, p.extras)
        for p in planos
    ]
    for i in range(0, len(documentos), lote):
        colecao.insert_many(documentos[i : i + lote])  # fills each document's _id
    rodada = 0
    while True:
        operacoes = []
        for plano, documento in zip(planos, documentos, strict=True):
            if rodada < len(plano.passos):
                acao, ator, dados, quando = plano.passos[rodada]
                mudanca = domain.planejar_passo(acao, dados, ator.id, quando)[0]
                if mudanca.evento_os:
                    evento = novo_evento(mudanca.evento_os, quando, uuid.uuid4().hex, None)
                    mudanca.eventos = [evento]
            elif rodada == len(plano.passos) and plano.pausa:
                ator, quando = plano.pausa
                mudanca = domain.planejar_pausa(MotivoPausa.AGUARDANDO_PECAS, None, ator.id, quando)
            else:
                continue
            operacoes.append(
                UpdateOne(filtro(documento["_id"], mudanca.requisitos), atualizacao(mudanca))
            )
        if not operacoes:
            return
        for i in range(0, len(operacoes), lote):
            parte = operacoes[i : i + lote]
            resultado = colecao.bulk_write(parte, ordered=False)
            if resultado.matched_count != len(parte):  # a step the rules refused: a bug here
                raise RuntimeError(f"{len(parte) - resultado.matched_count} steps refused")
        rodada += 1


def marcar_entregues(app: Flask) -> None:
    """Every pending event delivered to the OS service, as when its dispatcher has caught up
    (the steady state of a shop whose OS service is up): cards show no "OS: pendente" line."""
    entregue = {
        "$mergeObjects": [
            "$$this",
            {"estado": "enviado", "tentativas": 1, "proxima_tentativa": None,
             "enviado_em": "$$this.criado_em"},
        ]
    }  # fmt: skip
    componente(FilaService, app).repo.fila.update_many(
        {"os_sync.pendentes": {"$gt": 0}},
        [
            {"$set": {"eventos_os": {"$map": {"input": "$eventos_os", "in": entregue}}}},
            {"$set": resumo_os_sync()},
        ],
    )


def preencher(
    app: Flask,
    abertas: int,
    finalizadas_hoje: int = 0,
    finalizadas_antes: int = 0,
    *,
    modo: str = "servico",
    os_em_dia: bool = True,
    semente: int = 2026,
) -> Preenchimento:
    """Fill the app's (empty) database with a queue from `planejar` and create the demo users
    (gerente/gerente123, mecanico/mecanico123, mecanico2/mecanico123). `modo`: "servico"
    (FilaService, the real path) or "lote" (bulk, for tens of thousands). `os_em_dia`: every
    event delivered to the OS service (marcar_entregues), else left pending."""
    componente(Indices, app).criar()
    componente(PessoasRepository, app).criar_se_faltam(USUARIOS_DEMO)
    planos = planejar(
        abertas,
        finalizadas_hoje,
        finalizadas_antes,
        inicio_do_dia=componente(Clock, app).inicio_do_dia(),
        semente=semente,
    )
    inicio = time.perf_counter()
    {"servico": _pelo_servico, "lote": _em_lote}[modo](app, planos)
    if os_em_dia:
        marcar_entregues(app)
    segundos = time.perf_counter() - inicio
    contagens = componente(FilaQueries, app).contagens(componente(Clock, app).inicio_do_dia())
    return Preenchimento(modo, len(planos), contagens, segundos)


# --- gunicorn with the production config ---------------------------------------------------------


def _morrer_com_o_pai() -> None:
    # Between fork and exec: SIGTERM when the benchmark dies, even by SIGKILL (no orphans).
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _ppid(pid: int) -> int | None:
    try:
        estado = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    return int(estado[estado.rindex(")") + 2 :].split()[1])


def memoria_kb(campo: str, pid: int | str = "self") -> int | None:
    """A memory line of /proc/<pid>/status in kB (VmRSS, VmHWM: the peak RSS); None when the
    process is gone."""
    try:
        for linha in Path(f"/proc/{pid}/status").read_text().splitlines():
            if linha.startswith(campo + ":"):
                return int(linha.split()[1])
    except OSError:
        return None
    return None


def rss_kb(pid: int) -> int | None:
    """VmRSS of a process in kB (None when it is gone)."""
    return memoria_kb("VmRSS", pid)


def zerar_pico() -> bool:
    """Reset this process's VmHWM to its current RSS (Linux 4.0+), so that the next peak is
    what comes after; False where /proc/self/clear_refs may not be written."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def cpu_ms(pid: int) -> float:
    """CPU time (user + system) of a process so far, in ms: steadier than the wall clock on a
    busy machine."""
    campos = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(campos[11]) + int(campos[12])) * 1000 / os.sysconf("SC_CLK_TCK")


@dataclass
class Servidor:
    base: str  # http://127.0.0.1:PORT
    processo: subprocess.Popen[bytes]  # gunicorn's master
    log: Path  # the app's JSON lines and gunicorn's own

    def workers(self) -> list[int]:
        """The pids of the master's children: its workers."""
        mestre = self.processo.pid
        pids = (int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit())
        return sorted(pid for pid in pids if _ppid(pid) == mestre)

    def rss_kb(self) -> dict[int, int]:
        """VmRSS of each worker, in kB."""
        return {pid: kb for pid in self.workers() if (kb := rss_kb(pid)) is not None}

    def linhas_log(self) -> Iterator[dict[str, Any]]:
        for linha in self.log.read_text(errors="replace").splitlines():
            if linha.startswith("{"):
                with contextlib.suppress(ValueError):
                    yield json.loads(linha)

    def duracoes_ms(self, request_ids: Sequence[str]) -> dict[str, float]:
        """The app's own `duration_ms` (its request log line) of the requests sent with these
        X-Request-ID values. It ends before compression (an earlier after_request hook)."""
        procurados = set(request_ids)
        return {
            linha["request_id"]: float(linha["duration_ms"])
            for linha in self.linhas_log()
            if linha.get("request_id") in procurados and "duration_ms" in linha
        }


def ambiente_producao(mongo_url: str, database: str, porta: int, workers: int) -> dict[str, str]:
    """A clean production environment: fresh keys (32+ chars, different), the database, no OS
    service (URL_API_OS unset) and no dispatcher thread, gunicorn's bind and workers."""
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "TMPDIR")}
    return {
        **base,
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SESSION_SECRET_KEY": secrets.token_urlsafe(48),
        "MONGODB_URL": mongo_url,
        "MONGODB_DATABASE": database,
        "OS_SYNC_THREAD": "false",
        "HOST": "127.0.0.1",
        "PORT": str(porta),
        "WEB_CONCURRENCY": str(workers),
        "LOG_LEVEL": "INFO",  # the request lines carry duration_ms
    }


@contextlib.contextmanager
def gunicorn(
    mongo_url: str,
    database: str,
    *,
    workers: int = 2,
    ambiente: dict[str, str] | None = None,
    prazo: float = 60.0,
    raiz: Path = RAIZ,
) -> Iterator[Servidor]:
    """`gunicorn -c gunicorn.conf.py wsgi:app` as production runs it (ambiente_producao,
    plus `ambiente`), on a free port; yields once /health/ready answers and every worker is up.
    `raiz`: the tree whose app it serves (another commit's checkout, to compare with)."""
    porta = localdb.free_port()
    binario = Path(sys.executable).with_name("gunicorn")
    with tempfile.TemporaryDirectory(prefix="bench-gunicorn-") as pasta:
        env = {**ambiente_producao(mongo_url, database, porta, workers), **(ambiente or {})}
        # gunicorn's control socket goes to $HOME/.gunicorn: keep it in the temporary
        # directory, away from a `make run` of the same user.
        env["HOME"] = pasta
        log = Path(pasta) / "gunicorn.log"
        with open(log, "wb") as saida:
            processo = subprocess.Popen(
                [str(binario), "-c", "gunicorn.conf.py", "wsgi:app"],
                cwd=raiz, env=env, stdin=subprocess.DEVNULL, stdout=saida,
                stderr=subprocess.STDOUT, preexec_fn=_morrer_com_o_pai,
            )  # fmt: skip
        servidor = Servidor(f"http://127.0.0.1:{porta}", processo, log)
        try:
            _esperar_pronto(servidor, workers, prazo)
            yield servidor
        finally:
            _parar(processo)


def _threads(pid: int) -> int:
    with contextlib.suppress(OSError, ValueError):
        for linha in Path(f"/proc/{pid}/status").read_text().splitlines():
            if linha.startswith("Threads:"):
                return int(linha.split()[1])
    return 0


def _esperar_pronto(servidor: Servidor, workers: int, prazo: float) -> None:
    limite = time.monotonic() + prazo
    while True:
        if servidor.processo.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{servidor.log.read_text()[-2000:]}")
        with contextlib.suppress(requests.RequestException):
            pronto = requests.get(servidor.base + "/health/ready", timeout=2).status_code == 200
            pids = servidor.workers()
            # A worker that has loaded the app runs its MongoDB client's monitor threads; a
            # worker still importing is single-threaded.
            if pronto and len(pids) == workers and all(_threads(pid) > 1 for pid in pids):
                return
        if time.monotonic() > limite:
            raise RuntimeError(f"gunicorn not ready in {prazo:.0f}s:\n{servidor.log.read_text()}")
        time.sleep(0.2)


def _parar(processo: subprocess.Popen[bytes]) -> None:
    """SIGTERM (graceful); open SSE streams would hold it for graceful_timeout, so SIGQUIT
    (quick shutdown) after a few seconds, SIGKILL as a last resort."""
    for sinal, espera in ((signal.SIGTERM, 3), (signal.SIGQUIT, 10), (signal.SIGKILL, 10)):
        if processo.poll() is not None:
            return
        processo.send_signal(sinal)
        with contextlib.suppress(subprocess.TimeoutExpired):
            processo.wait(espera)


# --- people signed in ----------------------------------------------------------------------------


class SessaoDeLoopback(requests.Session):
    """A requests session that sends the Secure session cookie over plain http. Production
    marks the cookie Secure; browsers still send it to http://localhost, but http.cookiejar
    never sends one over http. The benchmarks talk to loopback only (one host), so every
    cookie of the jar goes in the Cookie header. Redirects are not followed with it: call
    with allow_redirects=False."""

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        preparado = super().prepare_request(request)
        if self.cookies:
            preparado.headers["Cookie"] = "; ".join(f"{c.name}={c.value}" for c in self.cookies)
        return preparado


def csrf_de(html: str) -> str:
    achado = re.search(r'name="csrf_token"[^>]*\bvalue="([^"]+)"', html)
    if achado is None:
        raise RuntimeError("no csrf_token in the page")
    return achado.group(1)


def entrar_no_cliente(app: Flask, login: str, senha: str) -> FlaskClient:
    """A Flask test client signed in through the real form, in this process."""
    cliente = app.test_client()
    pagina = cliente.get("/entrar")
    dados = {"login": login, "senha": senha, "csrf_token": csrf_de(pagina.text)}
    if cliente.post("/entrar", data=dados).status_code != 302:
        raise RuntimeError(f"in-process sign-in as {login} failed")
    return cliente


def entrar(base: str, login: str, senha: str) -> requests.Session:
    """A requests session signed in through the real form (GET /entrar for the CSRF token,
    POST /entrar). Keep its User-Agent: the session is bound to address and browser."""
    sessao = SessaoDeLoopback()
    pagina = sessao.get(base + "/entrar", timeout=10)
    dados = {"login": login, "senha": senha, "csrf_token": csrf_de(pagina.text)}
    resposta = sessao.post(base + "/entrar", data=dados, allow_redirects=False, timeout=10)
    if resposta.status_code != 302:
        raise RuntimeError(f"sign-in as {login} failed: HTTP {resposta.status_code}")
    return sessao


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium (/usr/bin/chromium) through Playwright, with the tests' flags."""
    with sync_playwright() as p:
        navegador = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield navegador
        finally:
            navegador.close()


def entrar_no_navegador(
    navegador: Browser, base: str, login: str, senha: str, **contexto: Any
) -> Page:
    """A new browser context (viewport, has_touch... in `contexto`) signed in through the form;
    its page is on the board. Close it with page.context.close()."""
    pagina = navegador.new_context(base_url=base, locale="pt-BR", **contexto).new_page()
    pagina.goto("/entrar")
    pagina.get_by_label("Usuário").fill(login)
    pagina.get_by_label("Senha").fill(senha)
    pagina.get_by_role("button", name="Entrar").click()
    pagina.wait_for_url(base + "/")
    pagina.locator("#quadro").wait_for()
    return pagina


# --- figures -------------------------------------------------------------------------------------


def mediana(valores: Sequence[float]) -> float:
    return statistics.median(valores)


def percentil(valores: Sequence[float], q: int) -> float:
    """Nearest-rank q-th percentile (the 95th of 30 samples: the 29th)."""
    ordenados = sorted(valores)
    return ordenados[max(0, -(-q * len(ordenados) // 100) - 1)]


def p95(valores: Sequence[float]) -> float:
    return percentil(valores, 95)


def mb(kb: float) -> str:
    return f"{kb / 1024:.0f} MB"


def rss_max_soma(rss: dict[int, int]) -> str:
    """Workers' RSS (Servidor.rss_kb): the largest / the sum."""
    return f"{mb(max(rss.values()))} / {mb(sum(rss.values()))}" if rss else "n/a"


def veredito(cumprido: bool) -> str:
    """A budget's or a target's verdict in a section."""
    return "met" if cumprido else "**missed**"


# --- docs/PERFORMANCE.md -------------------------------------------------------------------------

CABECALHO = """# Performance

Measured by the on-demand benchmarks in `bench/` (`make bench`; not part of `make test`). Each
section is regenerated by its benchmark between its markers, so the sections of the other
benchmarks survive. The figures depend on the machine and its noise: compare medians and ratios
between sizes, not absolute numbers between machines.
"""


def maquina() -> str:
    """Where and when a benchmark ran: CPU, cores, RAM, date and commit, as one line."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for linha in Path("/proc/cpuinfo").read_text().splitlines():
            if linha.startswith("model name"):
                cpu = linha.split(":", 1)[1].strip()
                break
    ram = "?"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for linha in Path("/proc/meminfo").read_text().splitlines():
            if linha.startswith("MemTotal:"):
                ram = f"{int(linha.split()[1]) / 1024 / 1024:.1f} GiB"

    def git(*args: str) -> str:
        resultado = subprocess.run(["git", *args], cwd=RAIZ, capture_output=True, text=True)
        return resultado.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "?"
    # The benchmarks' own output does not count as a change to the code measured.
    alteracoes = [
        linha for linha in git("status", "--porcelain", "--untracked-files=no").splitlines()
        if not linha.endswith("docs/PERFORMANCE.md")
    ]  # fmt: skip
    if alteracoes:
        commit += " with uncommitted changes"
    data = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{cpu}, {os.cpu_count()} cores, {ram} RAM; Python {platform.python_version()}; "
        f"{data}; commit {commit}"
    )


def escrever_secao(nome: str, markdown: str, caminho: Path = PERFORMANCE_MD) -> None:
    """Put `markdown` between the markers of section `nome` in docs/PERFORMANCE.md (created
    when missing; the section is appended when new); everything else stays as it is."""
    inicio, fim = f"<!-- bench:{nome}:begin -->", f"<!-- bench:{nome}:end -->"
    bloco = f"{inicio}\n{markdown.strip()}\n{fim}"
    texto = caminho.read_text("utf-8") if caminho.exists() else CABECALHO
    if inicio in texto and fim in texto:
        antes, resto = texto.split(inicio, 1)
        texto = antes + bloco + resto.split(fim, 1)[1]
    else:
        texto = texto.rstrip("\n") + "\n\n" + bloco + "\n"
    caminho.parent.mkdir(parents=True, exist_ok=True)
    caminho.write_text(texto, "utf-8")


def argumentos_da_secao(parser: argparse.ArgumentParser) -> None:
    """--saida and --sem-doc, the same for every benchmark that writes a section."""
    parser.add_argument(
        "--saida",
        type=Path,
        default=PERFORMANCE_MD,
        help="markdown file whose section is rewritten (default: docs/PERFORMANCE.md)",
    )
    parser.add_argument("--sem-doc", action="store_true", help="print the section only")


def publicar(nome: str, markdown: str, args: argparse.Namespace) -> None:
    """Print the section, and write it to --saida unless --sem-doc."""
    print(markdown)
    if not args.sem_doc:
        escrever_secao(nome, markdown, args.saida)
        aviso(f"Section written to {args.saida}.")


def aviso(texto: str) -> None:
    """Progress and verdicts, on stderr: stdout is the section itself."""
    print(texto, file=sys.stderr, flush=True)
