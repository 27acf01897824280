"""Capacity (streams): one pod's gunicorn holding 1,000 open TV streams and 200 slow-header
connections, as production serves it (the hardening issue's target).

    make bench-capacidade            # or: .venv/bin/python -m bench.capacidade [--streams 1000]

A fresh database on a private mongod (harness.preencher, plus the orders the benchmark moves),
`gunicorn -c gunicorn.conf.py wsgi:app` with APP_ENV=production and 2 workers (harness.gunicorn),
then:

1. N TV streams (`GET /painel/eventos`, the TV pass in its cookie), all held by one
   client process: asyncio with raw sockets and a minimal HTTP/1.1 chunked reader, so one
   process on 2 cores holds them all; each must get its first message (the whole display).
2. Slow-header connections (a partial request, one more header line every second, never
   finished), kept at their number: one that the server closes is opened again.
3. While both are held: GET /health one at a time (a new connection each, as a probe does), and
   orders moved through the JSON API: from the API call returning to each stream receiving the
   push whose EM_DIAGNOSTICO column carries that order's plate.
4. The workers' RSS, and a graceful SIGTERM to the master with everything still open: how long
   the master takes to exit, and when each stream sees its end.

Then the same N streams with a TV pass each (one per screen, as a shop chain gives them),
and, smaller, the former worker class (`GUNICORN_CMD_ARGS="--worker-class gthread --threads
32"`, which gunicorn honours over gunicorn.conf.py) for comparison, with some streams more than
its threads. The results replace the section "Capacity (streams)" of docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import multiprocessing
import re
import resource
import secrets
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from webapp import tokens
from webapp.clock import agora
from webapp.components import componente
from webapp.configuracoes.repository import ConfiguracoesRepository
from webapp.fila.domain import Prioridade
from webapp.fila.service import FilaService
from webapp.settings import Settings

from . import harness
from .harness import Servidor, aviso, mediana, p95

SECAO = "capacidade"

# The target, per pod.
ALVO_STREAMS = 1000
ALVO_LENTOS = 200
ALVO_SAUDE_P95_MS = 100
ALVO_MUDANCA_P95_S = 1.0
# Kubernetes gives the pod 35 s (k8s/20-deployment.yaml), 5 of them for preStop; gunicorn's own
# graceful_timeout is 20 s.
ALVO_SIGTERM_S = 30.0

CABECALHO_LENTO = b"GET /health HTTP/1.1\r\nHost: bench\r\n"
FIM_COLUNA = b"</hx-partial>"
COLUNA_VIGIADA = b"painel-coluna-EM_DIAGNOSTICO"


# --- the client process: every stream and slow connection, in one asyncio loop -------------------


class Clientes:
    """Runs in its own process, so that its work (reading ~1,000 copies of every push) never
    holds the GIL of the process that times /health and the API. Times are time.monotonic(),
    which is one clock for every process of the machine."""

    def __init__(self, host: str, porta: int, cookies: Sequence[str]) -> None:
        self.host, self.porta = host, porta
        self.cookies = list(cookies)
        self.inicio: dict[int, float] = {}
        self.primeira: dict[int, float] = {}
        self.primeira_ok: dict[int, bool] = {}
        self.fim: dict[int, tuple[float, str]] = {}
        self.falhas: Counter[str] = Counter()
        self.batidas = 0
        self.mensagens = 0
        self.eventos: Counter[str] = Counter()  # named events other than the beat
        self.vigiada: bytes | None = None
        self.vistos: dict[int, float] = {}
        self.tarefas: list[asyncio.Task[None]] = []
        self.lentos: list[asyncio.Task[None]] = []
        self.lentos_conectados = 0
        self.lentos_fechados = 0  # closed by the server, without an answer
        self.lentos_respondidos: Counter[str] = Counter()  # answered (a status line) instead
        self.lentos_recusados = 0  # connect failed (refused, reset)
        self.lentos_vidas: list[float] = []

    # --- TV streams ---

    def _pedido(self, i: int) -> bytes:
        cookie = self.cookies[i % len(self.cookies)]
        return (
            f"GET /painel/eventos HTTP/1.1\r\nHost: {self.host}:{self.porta}\r\n"
            f"Accept: text/event-stream\r\nUser-Agent: bench-capacidade\r\n"
            f"Cookie: painel_token={cookie}\r\n\r\n"
        ).encode()

    async def _stream(self, i: int) -> None:
        self.inicio[i] = time.monotonic()
        writer = None
        como = "fechada"
        try:
            reader, writer = await asyncio.open_connection(self.host, self.porta, limit=1 << 22)
            writer.write(self._pedido(i))
            cabeca = await reader.readuntil(b"\r\n\r\n")
            status = cabeca.split(b" ", 2)[1].decode()
            if status != "200":
                self.falhas[f"HTTP {status}"] += 1
                como = f"HTTP {status}"
                return
            chunked = b"transfer-encoding: chunked" in cabeca.lower()
            buffer = b""
            while True:
                if chunked:
                    linha = await reader.readuntil(b"\r\n")
                    tamanho = int(linha.split(b";", 1)[0], 16)
                    if tamanho == 0:
                        como = "fim"  # the app ended the response: the last chunk
                        return
                    dados = (await reader.readexactly(tamanho + 2))[:-2]
                else:
                    dados = await reader.read(65536)
                    if not dados:
                        return
                buffer += dados
                while (corte := buffer.find(b"\n\n")) >= 0:
                    self._mensagem(i, buffer[:corte], time.monotonic())
                    buffer = buffer[corte + 2 :]
        except asyncio.IncompleteReadError:
            como = "fechada"
        except ConnectionResetError:
            como = "reset"
        except (asyncio.LimitOverrunError, ValueError, IndexError):
            self.falhas["malformed"] += 1
            como = "malformed"
        except OSError as erro:
            self.falhas[type(erro).__name__] += 1
            como = type(erro).__name__
        finally:
            self.fim[i] = (time.monotonic(), como)
            if writer is not None:
                writer.close()

    def _mensagem(self, i: int, mensagem: bytes, instante: float) -> None:
        if i not in self.primeira:
            self.primeira[i] = instante
            self.primeira_ok[i] = b"painel-coluna-AGUARDANDO" in mensagem
            return
        if mensagem.startswith(b"event: "):
            nome = mensagem[7 : mensagem.find(b"\n")].decode(errors="replace")
            if nome == "batida":
                self.batidas += 1
            else:
                self.eventos[nome] += 1
            return
        self.mensagens += 1
        if self.vigiada is not None and i not in self.vistos:
            # Only the column the order moves into: the order was on the TV before, waiting.
            inicio = mensagem.find(COLUNA_VIGIADA)
            if inicio >= 0 and self.vigiada in mensagem[inicio : mensagem.find(FIM_COLUNA, inicio)]:
                self.vistos[i] = instante

    def vivas(self) -> int:
        return sum(1 for i in self.primeira if i not in self.fim)

    # --- slow-header connections ---

    async def _lento(self, intervalo: float) -> None:
        while True:
            try:
                reader, writer = await asyncio.open_connection(self.host, self.porta)
            except OSError:
                self.lentos_recusados += 1
                await asyncio.sleep(0.5)
                continue
            inicio = time.monotonic()
            self.lentos_conectados += 1
            try:
                writer.write(CABECALHO_LENTO)
                n = 0
                while True:
                    try:
                        dados = await asyncio.wait_for(reader.read(1024), intervalo)
                    except TimeoutError:
                        writer.write(f"X-Lento-{n}: 1\r\n".encode())
                        n += 1
                        continue
                    if dados:
                        self.lentos_respondidos[dados.split(b"\r\n", 1)[0].decode()[:40]] += 1
                    else:
                        self.lentos_fechados += 1
                    break
            except OSError:
                self.lentos_fechados += 1
            finally:
                self.lentos_conectados -= 1
                self.lentos_vidas.append(time.monotonic() - inicio)
                writer.close()
            await asyncio.sleep(0.05)

    # --- commands from the benchmark ---

    async def _ate(self, condicao: Callable[[], bool], prazo: float) -> bool:
        limite = time.monotonic() + prazo
        while not condicao():
            if time.monotonic() > limite:
                return False
            await asyncio.sleep(0.01)
        return True

    async def cmd_abrir(self, n: int, prazo: float) -> dict[str, Any]:
        """Open n more streams at once; answer once each has its first message or has ended."""
        inicio = time.monotonic()
        primeiro = len(self.tarefas)
        novos = range(primeiro, primeiro + n)
        self.tarefas += [asyncio.create_task(self._stream(i)) for i in novos]
        await self._ate(lambda: all(i in self.primeira or i in self.fim for i in novos), prazo)
        recebidas = [i for i in novos if self.primeira_ok.get(i)]
        return {
            "pedidas": n,
            "completas": len(recebidas),  # got the whole display
            "abertas": sum(1 for i in novos if i in self.primeira and i not in self.fim),
            "primeira_s": [self.primeira[i] - self.inicio[i] for i in recebidas],
            "todas_s": time.monotonic() - inicio,
            "falhas": dict(self.falhas),
        }

    async def cmd_lentos(self, n: int, intervalo: float) -> dict[str, Any]:
        self.lentos += [asyncio.create_task(self._lento(intervalo)) for _ in range(n)]
        await self._ate(lambda: self.lentos_conectados >= n, 10.0)
        return self.estado()

    async def cmd_estado(self) -> dict[str, Any]:
        return self.estado()

    def estado(self) -> dict[str, Any]:
        return {
            "vivas": self.vivas(),
            "terminadas": len(self.fim),
            "batidas": self.batidas,
            "mensagens": self.mensagens,
            "eventos": dict(self.eventos),
            "lentos_conectados": self.lentos_conectados,
            "lentos_fechados": self.lentos_fechados,
            "lentos_respondidos": dict(self.lentos_respondidos),
            "lentos_recusados": self.lentos_recusados,
            "lentos_vida_s": mediana(self.lentos_vidas) if self.lentos_vidas else None,
        }

    async def cmd_vigiar(self, placa: bytes) -> None:
        self.vigiada, self.vistos = placa, {}

    async def cmd_aguardar(self, prazo: float) -> dict[str, Any]:
        await self._ate(lambda: len(self.vistos) >= self.vivas(), prazo)
        return {"tempos": list(self.vistos.values()), "vivas": self.vivas()}

    async def cmd_parar_lentos(self) -> None:
        for tarefa in self.lentos:
            tarefa.cancel()
        await asyncio.gather(*self.lentos, return_exceptions=True)
        self.lentos = []

    async def cmd_encerramento(self, desde: float, prazo: float) -> dict[str, Any]:
        """After SIGTERM: wait for every open stream to end; when and how each ended."""
        abertas = [i for i in self.primeira if i not in self.fim or self.fim[i][0] >= desde]
        await self._ate(lambda: all(i in self.fim for i in abertas), prazo)
        fins = [self.fim[i] for i in abertas if i in self.fim]
        return {
            "abertas": len(abertas),
            "fins_s": [t - desde for t, _ in fins],
            "como": dict(Counter(como for _, como in fins)),
        }

    async def servir(self, conexao: Connection) -> None:
        loop = asyncio.get_running_loop()
        comandos: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
        loop.add_reader(conexao.fileno(), lambda: comandos.put_nowait(conexao.recv()))
        while True:
            nome, *argumentos = await comandos.get()
            if nome == "sair":
                break
            conexao.send(await getattr(self, f"cmd_{nome}")(*argumentos))
        loop.remove_reader(conexao.fileno())
        for tarefa in [*self.tarefas, *self.lentos]:
            tarefa.cancel()
        await asyncio.gather(*self.tarefas, *self.lentos, return_exceptions=True)


def _processo_clientes(conexao: Connection, host: str, porta: int, cookies: list[str]) -> None:
    asyncio.run(Clientes(host, porta, cookies).servir(conexao))


class ProcessoClientes:
    """The benchmark's side of the client process: one command at a time, its answer back."""

    def __init__(self, servidor: Servidor, cookies: Sequence[str]) -> None:
        contexto = multiprocessing.get_context("spawn")
        self.conexao, lado = contexto.Pipe()
        endereco = urlsplit(servidor.base)
        self.processo = contexto.Process(
            target=_processo_clientes,
            args=(lado, endereco.hostname, endereco.port, list(cookies)),
            daemon=True,
        )
        self.processo.start()

    def enviar(self, *comando: Any) -> None:
        self.conexao.send(comando)

    def resposta(self) -> Any:
        return self.conexao.recv()

    def pedir(self, *comando: Any) -> Any:
        self.enviar(*comando)
        return self.resposta()

    def fechar(self) -> None:
        with contextlib.suppress(OSError):
            self.enviar("sair")
        self.processo.join(10)
        if self.processo.is_alive():
            self.processo.kill()


# --- the benchmark's own requests ----------------------------------------------------------------


def saude(base: str, vezes: int, timeout: float = 5.0) -> tuple[list[float], int]:
    """GET /health `vezes` times, one at a time, each on a new connection (as a liveness probe
    does); the times in ms of those answered 200, and how many were not."""
    endereco = urlsplit(base)
    tempos: list[float] = []
    falhas = 0
    for _ in range(vezes):
        inicio = time.perf_counter()
        conexao = http.client.HTTPConnection(endereco.hostname, endereco.port, timeout=timeout)
        try:
            conexao.request("GET", "/health")
            resposta = conexao.getresponse()
            resposta.read()
            if resposta.status == 200:
                tempos.append((time.perf_counter() - inicio) * 1000)
            else:
                falhas += 1
        except OSError:
            falhas += 1
        finally:
            conexao.close()
    return tempos, falhas


class SaudeContinua:
    """GET /health one after another in a thread, while something else goes on."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.tempos: list[float] = []
        self.falhas = 0
        self._parar = threading.Event()
        self._thread = threading.Thread(target=self._rodar, daemon=True)

    def _rodar(self) -> None:
        while not self._parar.is_set():
            tempos, falhas = saude(self.base, 1)
            self.tempos += tempos
            self.falhas += falhas
            self._parar.wait(0.02)

    def __enter__(self) -> SaudeContinua:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._parar.set()
        self._thread.join(10)


def _tcp_estabelecidas(porta: int) -> set[str]:
    """Socket inodes of the ESTABLISHED TCP connections whose local port is `porta`."""
    inodes = set()
    for arquivo in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for linha in Path(arquivo).read_text().splitlines()[1:]:
                campos = linha.split()
                if int(campos[1].rsplit(":", 1)[1], 16) == porta and campos[3] == "01":
                    inodes.add(campos[9])
    return inodes


def conexoes_por_worker(servidor: Servidor) -> dict[int, int]:
    """Open client connections each worker holds (its sockets among the port's established)."""
    estabelecidas = _tcp_estabelecidas(urlsplit(servidor.base).port or 0)
    contagem = {}
    for pid in servidor.workers():
        n = 0
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    alvo = fd.readlink().name
                    if alvo.startswith("socket:[") and alvo[8:-1] in estabelecidas:
                        n += 1
        contagem[pid] = n
    return contagem


# --- the database --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ordem:
    fila_id: str
    placa: str


@dataclass(frozen=True)
class Base:
    database: str
    preenchimento: harness.Preenchimento
    ordens: list[Ordem]  # moved by the benchmark, in this order
    cookies: list[str]  # TV passes


def preparar(db: harness.Mongod, database: str, abertas: int, mudancas: int, telas: int) -> Base:
    """A fresh queue (harness.preencher) plus `mudancas` urgent orders waiting since a month
    ago, which the benchmark moves to EM_DIAGNOSTICO through the API; and `telas` display
    tokens. The TV shows each column's first cards, most urgent then oldest first: the
    youngest of these orders moves first, so each one moved heads its new column, on every TV."""
    with harness.app_local(db.url, database) as app:
        preenchimento = harness.preencher(app, abertas=abertas, finalizadas_hoje=abertas // 20)
        existentes = set(componente(FilaService, app).repo.fila.distinct("placa"))
        desde = agora() - timedelta(days=30)
        ordens = []
        for i in range(mudancas):
            # Mercosul (ABC1D23), one per order up to 2,600 of them.
            placa = f"BC{chr(65 + i // 100 % 26)}{i % 10}{'ABCDEFGHIJ'[i // 10 % 10]}{i % 100:02d}"
            if placa in existentes:
                raise RuntimeError(f"plate {placa} already in the queue")
            item = componente(FilaService, app).adicionar(
                90_000 + i, harness.GERENTE, Prioridade.URGENTE,
                {"placa": placa, "veiculo": "VW Gol 1.0", "cliente": "Bench"},
                desde + timedelta(minutes=i),
            )  # fmt: skip
            ordens.append(Ordem(str(item["_id"]), item["placa"]))
        cookies = [
            componente(ConfiguracoesRepository, app).criar_passe(f"TV {n + 1}", "bench")[0]
            for n in range(telas)
        ]
    return Base(database, preenchimento, ordens[::-1], cookies)


# --- one scenario --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cenario:
    nome: str
    rotulo: str
    ambiente: dict[str, str]
    streams: int
    lentos: int
    saudes: int
    mudancas: int
    sigterm: bool
    telas: int = 1  # TV passes, shared round-robin by the streams
    excesso: int = 0  # streams opened on top afterwards, to show where the worker stops


@dataclass
class Resultado:
    cenario: Cenario
    base: Base
    abertura: dict[str, Any] = field(default_factory=dict)
    estado_lentos: dict[str, Any] = field(default_factory=dict)
    por_worker: dict[int, int] = field(default_factory=dict)
    saude_ms: list[float] = field(default_factory=list)
    saude_falhas: int = 0
    saude_mudancas_ms: list[float] = field(default_factory=list)
    saude_mudancas_falhas: int = 0
    api_ms: list[float] = field(default_factory=list)
    api_falhas: Counter[int] = field(default_factory=Counter)
    atrasos_s: list[float] = field(default_factory=list)  # (stream, change) pairs
    antes_da_api: int = 0  # pushes that arrived before the API's answer (counted as 0)
    pares_faltando: int = 0
    estado_final: dict[str, Any] = field(default_factory=dict)
    rss_inicio: dict[int, int] = field(default_factory=dict)
    rss_streams: dict[int, int] = field(default_factory=dict)
    rss_fim: dict[int, int] = field(default_factory=dict)
    rss_mudancas: list[int] = field(default_factory=list)  # sum over workers, after each change
    sigterm_s: float | None = None
    encerramento: dict[str, Any] = field(default_factory=dict)
    excesso: dict[str, Any] = field(default_factory=dict)
    excesso_saude: tuple[list[float], int] = ([], 0)
    log: Counter[str] = field(default_factory=Counter)
    segundos: float = 0.0


def mover(base_url: str, token: str, ordem: Ordem) -> requests.Response:
    return requests.post(
        f"{base_url}/fila-execucao/{ordem.fila_id}/iniciar-diagnostico",
        json={"mecanico_responsavel_id": 101},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def medir(db: harness.Mongod, cenario: Cenario, args: argparse.Namespace) -> Resultado:
    inicio = time.monotonic()
    base = preparar(db, f"capacidade_{cenario.nome}", args.abertas, cenario.mudancas, cenario.telas)
    r = Resultado(cenario, base)
    # The JWT key is ours, so the benchmark can sign its API token.
    chave_jwt = secrets.token_urlsafe(48)
    token_api = tokens.emitir(
        Settings(secret_key=chave_jwt), "bench", extra={"tipo_token": "servico_interno"}
    )
    ambiente = {"SECRET_KEY": chave_jwt, **cenario.ambiente}
    with harness.gunicorn(db.url, base.database, ambiente=ambiente) as servidor:
        r.rss_inicio = servidor.rss_kb()
        clientes = ProcessoClientes(servidor, base.cookies)
        try:
            aviso(f"[{cenario.nome}] opening {cenario.streams} TV streams")
            r.abertura = clientes.pedir("abrir", cenario.streams, 60.0)
            aviso(
                f"[{cenario.nome}] {r.abertura['abertas']}/{cenario.streams} open in "
                f"{r.abertura['todas_s']:.1f} s"
            )
            if cenario.lentos:
                aviso(f"[{cenario.nome}] {cenario.lentos} slow-header connections")
                clientes.pedir("lentos", cenario.lentos, 1.0)
            r.por_worker = conexoes_por_worker(servidor)
            r.rss_streams = servidor.rss_kb()
            aviso(f"[{cenario.nome}] GET /health x{cenario.saudes}")
            r.saude_ms, r.saude_falhas = saude(servidor.base, cenario.saudes)
            r.estado_lentos = clientes.pedir("estado")
            aviso(f"[{cenario.nome}] {cenario.mudancas} changes through the API")
            with SaudeContinua(servidor.base) as continua:
                for ordem in base.ordens:
                    clientes.pedir("vigiar", ordem.placa.encode())
                    antes = time.monotonic()
                    resposta = mover(servidor.base, token_api, ordem)
                    depois = time.monotonic()
                    if resposta.status_code != 200:
                        r.api_falhas[resposta.status_code] += 1
                        continue
                    r.api_ms.append((depois - antes) * 1000)
                    chegada = clientes.pedir("aguardar", 10.0)
                    r.atrasos_s += [max(0.0, t - depois) for t in chegada["tempos"]]
                    r.antes_da_api += sum(1 for t in chegada["tempos"] if t < depois)
                    r.pares_faltando += chegada["vivas"] - len(chegada["tempos"])
                    r.rss_mudancas.append(sum(servidor.rss_kb().values()))
                    time.sleep(0.3)
            r.saude_mudancas_ms, r.saude_mudancas_falhas = continua.tempos, continua.falhas
            r.rss_fim = servidor.rss_kb()
            r.estado_final = clientes.pedir("estado")
            if cenario.excesso:
                aviso(f"[{cenario.nome}] {cenario.excesso} streams more")
                r.excesso = clientes.pedir("abrir", cenario.excesso, 5.0)
                r.excesso_saude = saude(servidor.base, 10, timeout=1.0)
            if cenario.sigterm:
                aviso(f"[{cenario.nome}] SIGTERM with everything open")
                desde = time.monotonic()
                servidor.processo.send_signal(signal.SIGTERM)
                clientes.enviar("encerramento", desde, 40.0)
                with contextlib.suppress(Exception):
                    servidor.processo.wait(60)
                if servidor.processo.poll() is not None:
                    r.sigterm_s = time.monotonic() - desde
                r.encerramento = clientes.resposta()
        finally:
            clientes.fechar()
            r.log = problemas_no_log(servidor)
    r.segundos = time.monotonic() - inicio
    return r


def problemas_no_log(servidor: Servidor) -> Counter[str]:
    """gunicorn's and the app's WARNING and ERROR lines, by message; and what else reached
    stderr (a Python warning, a traceback), by its first line."""
    problemas: Counter[str] = Counter()
    for linha in servidor.log.read_text(errors="replace").splitlines():
        if linha.startswith("{"):
            with contextlib.suppress(ValueError):
                registro = json.loads(linha)
                if registro.get("level") in ("WARNING", "ERROR", "CRITICAL"):
                    problemas[f"{registro['level']} {str(registro.get('message', ''))[:100]}"] += 1
        elif linha.strip() and not linha[0].isspace():  # indented: the line before goes on
            # "path:line: SomeWarning: text" -> "SomeWarning: text"
            achado = re.search(r"\b(\w+(?:Warning|Error)): .*", linha)
            problemas[f"stderr {(achado.group(0) if achado else linha)[:100]}…"] += 1
    return problemas


# --- the report ----------------------------------------------------------------------------------


def _ms(valores: Sequence[float]) -> str:
    if not valores:
        return "n/a"
    return f"{mediana(valores):.0f} / {p95(valores):.0f} / {max(valores):.0f} ms"


def _s(valores: Sequence[float]) -> str:
    if not valores:
        return "n/a"
    return f"{mediana(valores):.2f} / {p95(valores):.2f} / {max(valores):.2f} s"


def vereditos(r: Resultado) -> dict[str, bool]:
    return {
        "streams": r.abertura.get("completas", 0) >= ALVO_STREAMS,
        "descartes": r.estado_final.get("terminadas", 1) == 0,
        "lentos": r.estado_lentos.get("lentos_conectados", 0) >= ALVO_LENTOS * 0.9,
        "saude": bool(r.saude_ms) and r.saude_falhas == 0 and p95(r.saude_ms) < ALVO_SAUDE_P95_MS,
        "mudanca": bool(r.atrasos_s)
        and r.pares_faltando == 0
        and p95(r.atrasos_s) < ALVO_MUDANCA_P95_S,
        "sigterm": r.sigterm_s is not None
        and r.sigterm_s < ALVO_SIGTERM_S
        and r.encerramento.get("abertas", -1) == len(r.encerramento.get("fins_s", [])),
    }


DESCARTE = "assinante lento descartado"  # webapp/broker.py's warning when it drops a stream


def relatorio(resultados: Sequence[Resultado]) -> str:
    principal = resultados[0]
    v = vereditos(principal)
    linhas = [
        "| | " + " | ".join(r.cenario.rotulo for r in resultados) + " | target per pod | |",
        "| --- |" + " ---: |" * len(resultados) + " --- | --- |",
    ]

    def linha(
        rotulo: str, valor: Callable[[Resultado], str], alvo: str = "", chave: str = ""
    ) -> None:
        veredito = harness.veredito(v[chave]) if chave else ""
        valores = " | ".join(valor(r) for r in resultados)
        linhas.append(f"| {rotulo} | {valores} | {alvo} | {veredito} |")

    def ou_na(valor: Callable[[Resultado], str]) -> Callable[[Resultado], str]:
        def seguro(r: Resultado) -> str:
            try:
                return valor(r)
            except (KeyError, ValueError, TypeError, ZeroDivisionError):
                return "n/a"

        return seguro

    def lentos(r: Resultado) -> str:
        if not r.cenario.lentos:
            return "none"
        return f"{r.estado_lentos['lentos_conectados']} of {r.cenario.lentos}"

    def lentos_vida(r: Resultado) -> str:
        e = r.estado_final
        if not r.cenario.lentos or e.get("lentos_vida_s") is None:
            return "n/a"
        respondidos = sum(e["lentos_respondidos"].values())
        return (
            f"{e['lentos_vida_s']:.1f} s; {e['lentos_fechados']:,} closed, {respondidos:,} answered"
        )

    def saude_(ms: list[float], falhas: int) -> str:
        return f"{_ms(ms)} ({len(ms):,} answered, {falhas} failed)" if ms or falhas else "n/a"

    def mudancas(r: Resultado) -> str:
        if not r.atrasos_s:
            return "n/a"
        return f"{_s(r.atrasos_s)} ({len(r.atrasos_s):,} pairs, {r.pares_faltando} missing)"

    def rss_por_stream(r: Resultado) -> str:
        aumento = sum(r.rss_streams.values()) - sum(r.rss_inicio.values())
        return f"{aumento / (r.cenario.streams + r.cenario.lentos):.0f} KB"

    def rss_mudancas(r: Resultado) -> str:
        m = r.rss_mudancas
        return f"{harness.mb(m[0])} → {harness.mb(m[-1])} ({len(m)} changes)"

    def descartadas(r: Resultado) -> str:
        return f"{r.estado_final['terminadas']:,}"

    def sigterm(r: Resultado) -> str:
        if not r.cenario.sigterm:
            return "not measured"
        return f"{r.sigterm_s:.1f} s" if r.sigterm_s is not None else "did not exit in 60 s"

    def fins(r: Resultado) -> str:
        e = r.encerramento
        if not e:
            return "not measured"
        como = ", ".join(f"{n:,} {k}" for k, n in sorted(e["como"].items()))
        ainda = e["abertas"] - len(e["fins_s"])
        return f"{_s(e['fins_s'])} ({como}; {ainda} still open)"

    linha(
        "TV streams that got the whole display",
        ou_na(lambda r: f"{r.abertura['completas']:,} of {r.abertura['pedidas']:,}"),
        f"{ALVO_STREAMS:,}", "streams",
    )  # fmt: skip
    linha(
        "time to open them all at once / first message, median",
        ou_na(
            lambda r: f"{r.abertura['todas_s']:.1f} s / {mediana(r.abertura['primeira_s']):.1f} s"
        ),
    )
    linha("streams the server ended before SIGTERM", ou_na(descartadas), "0", "descartes")
    linha(
        "client connections per worker",
        lambda r: " / ".join(f"{n:,}" for n in r.por_worker.values()) or "n/a",
    )
    linha("slow-header connections held at once", ou_na(lentos), f"{ALVO_LENTOS}", "lentos")
    linha("a slow-header connection's life, median; how it ended", lentos_vida)
    linha(
        "GET /health meanwhile, p50 / p95 / max",
        lambda r: saude_(r.saude_ms, r.saude_falhas), f"p95 < {ALVO_SAUDE_P95_MS} ms", "saude",
    )  # fmt: skip
    linha(
        "GET /health during the changes, p50 / p95 / max",
        lambda r: saude_(r.saude_mudancas_ms, r.saude_mudancas_falhas),
    )
    linha(
        "change through the API → each stream, p50 / p95 / max",
        mudancas, f"p95 < {ALVO_MUDANCA_P95_S:.0f} s", "mudanca",
    )  # fmt: skip
    linha("the API call (POST iniciar-diagnostico), p50 / p95 / max", lambda r: _ms(r.api_ms))
    linha("worker RSS just started: max / sum", lambda r: harness.rss_max_soma(r.rss_inicio))
    linha("worker RSS, everything open: max / sum", lambda r: harness.rss_max_soma(r.rss_streams))
    linha("worker RSS after the changes: max / sum", lambda r: harness.rss_max_soma(r.rss_fim))
    linha("worker RSS, sum: after the first change → after the last", ou_na(rss_mudancas))
    linha("RSS per open connection (everything open − just started)", ou_na(rss_por_stream))
    linha(
        "graceful SIGTERM → master exited", sigterm, f"< {ALVO_SIGTERM_S:.0f} s (grace period)",
        "sigterm",
    )  # fmt: skip
    linha("… each stream saw its end, p50 / p95 / max", fins)
    linha("WARNING/ERROR lines in the log", lambda r: f"{sum(r.log.values()):,}")

    p = principal.base.preenchimento
    por_coluna = ", ".join(f"{k} {n:,}" for k, n in p.por_coluna.items())
    c0 = principal.cenario
    texto = [
        "## Capacity (streams)",
        "",
        f"`make bench-capacidade` (`bench/capacidade.py`), {harness.maquina()}.",
        "",
        "One pod's gunicorn as production runs it (`gunicorn -c gunicorn.conf.py wsgi:app`, "
        "`APP_ENV=production`, 2 workers, no `URL_API_OS`, no dispatcher thread), directly on "
        "loopback: no nginx in front, so every slow client reaches gunicorn itself. Each "
        f"column is a fresh database of {p.ordens:,} orders ({por_coluna}; FINALIZADA: "
        f"today's) plus the urgent orders the benchmark moves. Everything runs on the same "
        "machine: mongod, gunicorn, the client process holding the streams and the benchmark. "
        f"The verdicts are those of the first column, the target scenario: {c0.streams:,} TV "
        f"streams sharing one TV pass and {c0.lentos} slow-header connections.",
        "",
        *linhas,
        "",
        "How each figure is taken:",
        "",
        "- **Streams**: `GET /painel/eventos` with a TV pass in its cookie, all opened "
        "at once by one client process (Python asyncio, raw sockets, a minimal HTTP/1.1 "
        "chunked reader). A stream counts when its first message arrived and is the whole "
        "display. *Ended before SIGTERM*: streams whose response ended while the benchmark "
        "still held them (a browser would reconnect). The connections per worker are counted "
        "from `/proc` (each worker's sockets among the port's established connections, "
        "streams and slow connections alike), once everything is open.",
        "- **Slow-header connections**: `GET /health HTTP/1.1` and a Host header, then one "
        "more header line every second, never the blank line that ends the request; when the "
        "server closes one, another is opened 50 ms later, so their number holds. *Held at "
        "once* is counted just after the `/health` measurement (met from 90%: a few are "
        "always between two connections).",
        f"- **/health**: {c0.saudes} requests one at a time with everything above held, each "
        "on a new connection (as a liveness probe does), client wall time; then the same in "
        "a loop while the changes go on.",
        f"- **Change → stream**: {c0.mudancas} orders moved one at a time by "
        "`POST /fila-execucao/<id>/iniciar-diagnostico` (a service JWT), each after every "
        "stream received the one before. Each TV push redraws the columns; a stream has a "
        "change when a message's EM_DIAGNOSTICO column carries that order's plate. From the "
        "API call returning to the message read by the client (`time.monotonic()`, one clock "
        "for both processes); a push read before the API's answer counts as 0 "
        f"({principal.antes_da_api:,} pairs here). The time includes the client process "
        "reading every copy on the same 2 cores.",
        "- **RSS**: `VmRSS` of each worker from `/proc`, just started, with everything open, "
        "after each change and after the last one.",
        "- **SIGTERM**: sent to the master with every stream and slow connection still open; "
        "how the streams ended: *fim* = the app ended the response (its last chunk; a "
        "browser reconnects at once), *fechada*/*reset* = the connection was cut without it.",
    ]
    for r in resultados[1:]:
        c = r.cenario
        if c.telas > 1:
            texto += [
                "",
                f"*{c.rotulo}*: the same {c.streams:,} streams, each with its own TV pass "
                "(one per screen, as a shop chain would give them), no slow connections, "
                f"{c.saudes} `/health`, {c.mudancas} changes.",
            ]
            descartes = sum(n for m, n in r.log.items() if DESCARTE in m)
            if descartes:
                texto[-1] += (
                    f" The app itself ended {descartes:,} streams while they opened "
                    f"(`{DESCARTE}` in its log): a TV pass's first use in a minute writes "
                    "its `ultimo_uso_em`, the change stream turns each such write into an "
                    "*acesso* event for every open stream of every process, and a burst of "
                    "more than a stream's queue (`live.CAPACIDADE`, 256 events) drops the "
                    "stream. Browsers would reconnect, and their reconnections use their "
                    "tokens again."
                )
        if c.excesso:
            ex = r.excesso
            respondidas = len(r.excesso_saude[0])
            texto += [
                "",
                f"*{c.rotulo}*: the former worker class, for comparison "
                '(`GUNICORN_CMD_ARGS="--worker-class gthread --threads 32"`, which overrides '
                f"gunicorn.conf.py), with {c.streams} streams (fewer than its 2 × 32 threads), "
                f"no slow connections, {c.saudes} `/health`, {c.mudancas} changes. Then "
                f"{c.excesso} streams more ({c.streams + c.excesso} in all): "
                f"{ex.get('completas', 0)} of them got their first message within 5 s, and "
                f"{respondidas} of 10 `GET /health` answered within 1 s.",
            ]
    for r in resultados:
        if r.log:
            texto += [
                "",
                f"WARNING and ERROR lines in the log, *{r.cenario.rotulo}*:",
                "",
                "| lines | message |",
                "| ---: | --- |",
                *(
                    f"| {n:,} | `{mensagem.replace('|', '/')}` |"
                    for mensagem, n in r.log.most_common(8)
                ),
            ]
    return "\n".join(texto)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=ALVO_STREAMS, help="TV streams")
    parser.add_argument("--lentos", type=int, default=ALVO_LENTOS, help="slow-header connections")
    parser.add_argument("--saudes", type=int, default=200, help="GET /health, one at a time")
    parser.add_argument("--mudancas", type=int, default=20, help="orders moved through the API")
    parser.add_argument("--abertas", type=int, default=500, help="open orders in the database")
    parser.add_argument(
        "--sem-token-por-tela",
        action="store_true",
        help="skip the run where every stream has its own TV pass",
    )
    parser.add_argument(
        "--gthread-streams",
        type=int,
        default=40,
        help="streams for the gthread comparison (0: skip it)",
    )
    harness.argumentos_da_secao(parser)
    args = parser.parse_args(argv)

    # Each stream is a socket here and in a worker (gunicorn inherits the limit).
    macio, duro = resource.getrlimit(resource.RLIMIT_NOFILE)
    preciso = 2 * (args.streams + args.lentos) + 1024
    if macio != resource.RLIM_INFINITY and macio < preciso:
        alvo = preciso if duro == resource.RLIM_INFINITY else min(preciso, duro)
        resource.setrlimit(resource.RLIMIT_NOFILE, (alvo, duro))

    cenarios = [
        Cenario(
            "gevent", "gevent (production)", {}, args.streams, args.lentos, args.saudes,
            args.mudancas, sigterm=True,
        ),
    ]  # fmt: skip
    if not args.sem_token_por_tela:
        cenarios.append(
            Cenario(
                "gevent_telas", "gevent, a token per TV", {}, args.streams, 0,
                min(args.saudes, 50), min(args.mudancas, 5), sigterm=False, telas=args.streams,
            )
        )  # fmt: skip
    if args.gthread_streams:
        cenarios.append(
            Cenario(
                "gthread", "gthread, 32 threads (before)",
                {"GUNICORN_CMD_ARGS": "--worker-class gthread --threads 32"},
                args.gthread_streams, 0, min(args.saudes, 50), min(args.mudancas, 5),
                sigterm=False, excesso=args.gthread_streams,
            )
        )  # fmt: skip

    inicio = time.monotonic()
    resultados = []
    with harness.mongod() as db:
        for cenario in cenarios:
            resultados.append(medir(db, cenario, args))
            aviso(f"[{cenario.nome}] done in {resultados[-1].segundos:.0f} s")
    texto = relatorio(resultados)
    harness.publicar(SECAO, texto, args)
    for nome, ok in vereditos(resultados[0]).items():
        aviso(f"{nome}: {'met' if ok else 'MISSED'}")
    aviso(f"Done in {time.monotonic() - inicio:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
