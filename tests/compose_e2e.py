#!/usr/bin/env python3
"""docker-compose.yml end to end, as a newcomer runs it: `make test-compose` (not part of
`make test`: it needs a Docker engine with Compose v2, builds the image and runs the whole stack
for a few minutes). Python's standard library only.

It runs a Compose project of its own (its own name, images tagged with that name, a free port,
fresh secrets in a private env file): your `.env` and a stack you run are never read or touched.

1. `docker compose build`: one new image per built image, no dangling copy;
   `docker compose up -d --wait`: every service running and healthy, none exited.
2. Two people created with `docker compose exec -T app flask --app wsgi create-user`; both sign
   in through nginx (the form, its CSRF token, the session cookie).
3. One order through every step: added through the API with a token from
   `docker compose exec -T app flask --app wsgi token`, then worked on the board's forms by the
   mechanic (diagnosis, repair) and the manager (budget approval); each step read back from the API.
4. The manager's live stream (`/eventos`, SSE through nginx) brings each step's card.
5. The dispatcher delivers the four statuses to the stand-in OS service, in order, once each.
6. An app replica is killed (SIGKILL) while reads flow through nginx: none fails (nginx sends
   a read again elsewhere), none waits near the old 5 s connect timeout; `up -d --wait` brings it
   back. Then one is stopped (SIGTERM, as `up -d` replaces a container) while reads and writes
   flow: none fails, and every order answered 201 is in the queue.
7. `down` and `up -d --wait` again: the order, the people and the signed-in session are still
   there, nothing is delivered twice, and no anonymous volume appeared.
8. Clean-up: `down -v`, the images it built (and base images it pulled), its env file; then it
   checks that no container, network, volume or image is left from the run.

Exit status 0 when everything held; otherwise the first failure and the services' last logs.
Options: --manter (keep the stack running at the end, for a look; prints how to remove it).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.paginas import csrf_de  # noqa: E402 - the repository's root on the path first

RAIZ = Path(__file__).resolve().parent.parent
ARQUIVO_COMPOSE = RAIZ / "docker-compose.yml"
STATUS_OS = ["EM_DIAGNOSTICO", "AGUARDANDO_APROVACAO", "EM_EXECUCAO", "FINALIZADA"]
ESPERA_UP_S = 300  # `up --wait`: a cold start on a busy 2-core machine
# nginx gives up on a dead replica's address after proxy_connect_timeout (1 s; before, 5 s).
ESPERA_CONEXAO_MAXIMA_S = 1.5


class Falha(AssertionError):
    pass


def verificar(condicao: object, mensagem: str) -> None:
    if not condicao:
        raise Falha(mensagem)


def etapa(texto: str) -> None:
    print(f"\n== {texto}", flush=True)


def info(texto: str) -> None:
    print(f"   {texto}", flush=True)


def porta_livre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def docker(*args: str, timeout: float = 120) -> str:
    r = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise Falha(f"docker {' '.join(args)} saiu com {r.returncode}:\n{r.stderr}{r.stdout}")
    return r.stdout


# --- The project under test ----------------------------------------------------------------------


@dataclass
class Projeto:
    """A Compose project of docker-compose.yml with its own name, tags, port and secrets."""

    nome: str
    tag: str
    porta: int
    env: dict[str, str]
    arquivo_env: Path

    @classmethod
    def novo(cls, pasta: Path) -> Projeto:
        sufixo = secrets.token_hex(3)
        tag, porta = f"e2e-{sufixo}", porta_livre()
        valores = {
            "SECRET_KEY": secrets.token_urlsafe(48),
            "SESSION_SECRET_KEY": secrets.token_urlsafe(48),
            "HTTP_PORT": str(porta),
            "IMAGE_TAG": tag,
            "URL_API_OS": "http://os-standin:8003",  # never a real OS service from a .env
            # Its own subnet: a stack already up on this host keeps the default one.
            "REDE_DOCKER": f"172.30.{secrets.choice(range(100, 250))}",
        }
        arquivo = pasta / "e2e.env"
        arquivo.write_text("".join(f"{k}={v}\n" for k, v in valores.items()))
        # Compose prefers the shell's variables to the env file: drop every name the file reads
        # (and COMPOSE_*), so what runs is this file's values and the defaults, nothing else.
        lidas = set(re.findall(r"\$\{(\w+)", ARQUIVO_COMPOSE.read_text()))
        env = {
            k: v for k, v in os.environ.items() if k not in lidas and not k.startswith("COMPOSE_")
        }
        return cls(f"oficina-fila-e2e-{sufixo}", tag, porta, env, arquivo)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.porta}"

    def compose(self, *args: str, timeout: float = 120) -> str:
        comando = [
            "docker", "compose", "--project-directory", str(RAIZ), "-f", str(ARQUIVO_COMPOSE),
            "--env-file", str(self.arquivo_env), "-p", self.nome, *args,
        ]  # fmt: skip
        r = subprocess.run(comando, capture_output=True, text=True, timeout=timeout, env=self.env)
        if r.returncode != 0:
            raise Falha(f"docker compose {' '.join(args)} saiu com {r.returncode}:\n{r.stderr}")
        return r.stdout

    def flask(self, *args: str) -> str:
        return self.compose("exec", "-T", "app", "flask", "--app", "wsgi", *args).strip()

    def imagens_construidas(self) -> list[str]:
        return [f"oficina-fila-execucao:{self.tag}", f"oficina-fila-os-standin:{self.tag}"]

    def containers(self) -> list[dict[str, Any]]:
        saida = self.compose("ps", "-a", "--format", "json")
        # One JSON object per line (Compose >= 2.21), or one array (before).
        texto = saida.strip()
        if texto.startswith("["):
            return json.loads(texto)
        return [json.loads(linha) for linha in texto.splitlines() if linha.strip()]

    def up(self) -> float:
        inicio = time.monotonic()
        self.compose(
            "up", "-d", "--wait", "--wait-timeout", str(ESPERA_UP_S), timeout=ESPERA_UP_S + 60
        )
        return time.monotonic() - inicio

    def todos_de_pe(self, esperados: set[str]) -> None:
        """Every service's containers running and healthy (each has a check), none exited."""
        containers = self.containers()
        servicos = {c["Service"] for c in containers}
        verificar(
            servicos == esperados, f"serviços {sorted(servicos)}, esperados {sorted(esperados)}"
        )
        for c in containers:
            verificar(c["State"] == "running", f"{c['Name']}: {c['State']} ({c['Status']})")
            verificar(c["Health"] == "healthy", f"{c['Name']}: {c['Status']}")
        replicas = sum(1 for c in containers if c["Service"] == "app")
        verificar(replicas == 2, f"{replicas} réplicas do app, esperadas 2")

    def recebidos_pelo_os(self, ordem_servico_id: int) -> list[dict[str, Any]]:
        url = f"http://127.0.0.1:8003/_controle/recebidos?ordem_servico_id={ordem_servico_id}"
        codigo = f"import urllib.request; print(urllib.request.urlopen({url!r}).read().decode())"
        return json.loads(self.compose("exec", "-T", "os-standin", "python", "-c", codigo))


# --- HTTP through nginx --------------------------------------------------------------------------


@dataclass
class Resposta:
    status: int
    cabecalhos: http.client.HTTPMessage
    corpo: str
    segundos: float

    def json(self) -> Any:
        return json.loads(self.corpo)


@dataclass
class Cliente:
    """Requests to nginx on 127.0.0.1; a browser's cookies kept by hand (the production
    session cookie is Secure, which a browser honours over plain HTTP on localhost only)."""

    porta: int
    cookies: dict[str, str] = field(default_factory=dict)
    token: str | None = None

    def pedir(
        self,
        metodo: str,
        caminho: str,
        *,
        form: dict[str, str] | None = None,
        dados: Any = None,
        timeout: float = 15,
        id_requisicao: str | None = None,
    ) -> Resposta:
        cabecalhos = self._cabecalhos()
        if id_requisicao:
            cabecalhos["X-Request-ID"] = id_requisicao
        corpo = None
        if form is not None:
            corpo = urlencode(form)
            cabecalhos["Content-Type"] = "application/x-www-form-urlencoded"
        elif dados is not None:
            corpo = json.dumps(dados)
            cabecalhos["Content-Type"] = "application/json"
        inicio = time.monotonic()
        conexao = http.client.HTTPConnection("127.0.0.1", self.porta, timeout=timeout)
        try:
            conexao.request(metodo, caminho, body=corpo, headers=cabecalhos)
            r = conexao.getresponse()
            texto = r.read().decode()
        finally:
            conexao.close()
        self._guardar_cookies(r.msg)
        return Resposta(r.status, r.msg, texto, time.monotonic() - inicio)

    def _cabecalhos(self) -> dict[str, str]:
        cabecalhos = {}
        if self.cookies:
            cabecalhos["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token:
            cabecalhos["Authorization"] = f"Bearer {self.token}"
        return cabecalhos

    def _guardar_cookies(self, cabecalhos: http.client.HTTPMessage) -> None:
        for linha in cabecalhos.get_all("Set-Cookie") or []:
            for nome, morsel in SimpleCookie(linha).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[nome] = morsel.value
                else:
                    self.cookies.pop(nome, None)

    @contextmanager
    def fluxo(self, caminho: str) -> Iterator[http.client.HTTPResponse]:
        cabecalhos = {**self._cabecalhos(), "Accept": "text/event-stream"}
        conexao = http.client.HTTPConnection("127.0.0.1", self.porta, timeout=60)
        try:
            conexao.request("GET", caminho, headers=cabecalhos)
            yield conexao.getresponse()
        finally:
            conexao.close()


def entrar(porta: int, login: str, senha: str) -> Cliente:
    cliente = Cliente(porta)
    pagina = cliente.pedir("GET", "/entrar")
    verificar(pagina.status == 200, f"GET /entrar: {pagina.status}")
    dados = {"login": login, "senha": senha, "csrf_token": csrf_de(pagina.corpo)}
    r = cliente.pedir("POST", "/entrar", form=dados)
    verificar(r.status in (302, 303), f"POST /entrar de {login}: {r.status} {r.corpo[:300]}")
    quadro = cliente.pedir("GET", "/")
    verificar(
        quadro.status == 200 and "cartoes-AGUARDANDO" in quadro.corpo, f"quadro: {quadro.status}"
    )
    return cliente


def aguardar(condicao: Callable[[], Any], segundos: float, o_que: str) -> Any:
    limite = time.monotonic() + segundos
    while True:
        resultado = condicao()
        if resultado:
            return resultado
        verificar(time.monotonic() < limite, f"{o_que}: não aconteceu em {segundos:.0f} s")
        time.sleep(0.3)


# --- The live stream ------------------------------------------------------------------------------


class Escuta:
    """Reads a board's SSE stream in a thread; keeps each message's data and arrival time."""

    def __init__(self, cliente: Cliente) -> None:
        self.cliente = cliente
        self.mensagens: list[tuple[float, str, str]] = []  # (when, event, data)
        self.trava = threading.Lock()
        self.status: int | None = None
        self.cabecalhos: http.client.HTTPMessage | None = None
        self.thread = threading.Thread(target=self._ler, daemon=True)

    def _ler(self) -> None:
        try:
            with self.cliente.fluxo("/eventos") as r:
                self.status, self.cabecalhos = r.status, r.msg
                evento, dados = "", []
                while linha := r.readline():
                    texto = linha.decode().rstrip("\r\n")
                    if texto.startswith("event:"):
                        evento = texto[6:].strip()
                    elif texto.startswith("data:"):
                        dados.append(texto[5:].removeprefix(" "))
                    elif texto == "":
                        with self.trava:
                            self.mensagens.append((time.monotonic(), evento, "\n".join(dados)))
                        evento, dados = "", []
        except OSError:
            return  # the stream ends when its replica goes (or the stack does)

    def desde(self, instante: float) -> list[tuple[float, str, str]]:
        with self.trava:
            return [m for m in self.mensagens if m[0] >= instante]


# --- The scenario ---------------------------------------------------------------------------------


def imagens() -> set[str]:
    """Every image on the engine: its names (repository:tag), and the id of each nameless one
    (a dangling image: what a second build of the same tag leaves behind)."""
    saida = docker("images", "-a", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}")
    linhas = [linha.split(" ", 1) for linha in saida.splitlines()]
    return {ident if nome == "<none>:<none>" else nome for ident, nome in linhas}


def volumes() -> set[str]:
    return set(docker("volume", "ls", "-q").split())


def recursos_do_projeto(nome: str) -> dict[str, list[str]]:
    rotulo = f"label=com.docker.compose.project={nome}"
    return {
        "containers": docker("ps", "-aq", "--filter", rotulo).split(),
        "redes": docker("network", "ls", "-q", "--filter", rotulo).split(),
        "volumes": docker("volume", "ls", "-q", "--filter", rotulo).split(),
    }


def construir(p: Projeto) -> None:
    etapa("1. build e up --wait")
    antes = imagens()
    inicio = time.monotonic()
    p.compose("build", timeout=1800)
    info(f"build: {time.monotonic() - inicio:.0f} s")
    novas = imagens() - antes
    faltam = set(p.imagens_construidas()) - imagens()
    verificar(not faltam, f"o build não fez {faltam}")
    # One build per image: nothing new but its tags (a base image the build pulled aside).
    sem_nome = [i for i in novas if i.startswith("sha256:")]
    verificar(not sem_nome, f"imagens sem nome deixadas pelo build: {sem_nome}")
    info(f"imagens novas: {', '.join(sorted(novas)) or 'nenhuma (o cache já as tinha)'}")


def subir(p: Projeto, servicos: set[str]) -> None:
    segundos = p.up()
    info(f"up -d --wait: {segundos:.0f} s")
    p.todos_de_pe(servicos)


def criar_pessoas(p: Projeto) -> dict[str, str]:
    etapa("2. pessoas criadas com create-user; entram pelo nginx")
    senhas = {"ana": secrets.token_urlsafe(12), "beto": secrets.token_urlsafe(12)}
    # `--senha`: a random password of its own; a person uses the README's stdin form instead.
    saida = p.flask(
        "create-user", "--login", "ana", "--nome", "Ana Gerente", "--papel", "gerente",
        "--senha", senhas["ana"],
    )  # fmt: skip
    verificar("ana" in saida, saida)
    saida = p.flask(
        "create-user", "--login", "beto", "--nome", "Beto Mecânico", "--papel", "mecanico",
        "--funcionario-id", "101", "--senha", senhas["beto"],
    )  # fmt: skip
    verificar("beto" in saida, saida)
    return senhas


def passo_no_quadro(cliente: Cliente, fila_id: str, slug: str, **campos: str) -> None:
    quadro = cliente.pedir("GET", "/")
    verificar(f'id="cartao-{fila_id}"' in quadro.corpo, f"{slug}: o cartão não está no quadro")
    form = {"csrf_token": csrf_de(quadro.corpo), **campos}
    r = cliente.pedir("POST", f"/ordens/{fila_id}/passo/{slug}", form=form)
    verificar(r.status == 303, f"{slug}: {r.status} {r.corpo[:300]}")


def ordem_por_todos_os_passos(
    p: Projeto, gerente: Cliente, mecanico: Cliente, escuta: Escuta
) -> tuple[Cliente, dict[str, Any], int]:
    etapa("3-4. uma ordem por todos os passos (API e quadro), cada um no fluxo ao vivo")
    api = Cliente(p.porta, token=p.flask("token", "--role", "gerente"))
    ordem_servico_id = 4242
    r = api.pedir(
        "POST", "/fila-execucao", dados={"ordem_servico_id": ordem_servico_id, "prioridade": "ALTA"}
    )
    verificar(r.status == 201, f"POST /fila-execucao: {r.status} {r.corpo}")
    fila_id = r.json()["fila_id"]
    info(f"OS {ordem_servico_id} na fila: {fila_id}")
    passos = [
        (mecanico, "iniciar-diagnostico", {}, "EM_DIAGNOSTICO"),
        (mecanico, "finalizar-diagnostico", {"diagnostico": "Pastilhas no limite"}, "AGUARDANDO"),
        (gerente, "aprovar-orcamento", {}, "AGUARDANDO"),
        (mecanico, "iniciar-reparo", {}, "EM_REPARO"),
        (mecanico, "finalizar-reparo", {"observacoes_reparo": "Pastilhas trocadas"}, "FINALIZADA"),
    ]
    item: dict[str, Any] = {}
    for quem, slug, campos, status in passos:
        antes = time.monotonic()
        passo_no_quadro(quem, fila_id, slug, **campos)
        r = api.pedir("GET", f"/fila-execucao/{fila_id}")
        item = r.json()
        verificar(item["status"] == status, f"{slug}: status {item['status']}, esperado {status}")
        marca = f'data-versao="{item["versao"]}"'

        def chegou(antes: float = antes, marca: str = marca) -> list[Any]:
            cartao = f'id="cartao-{fila_id}"'
            return [m for m in escuta.desde(antes) if cartao in m[2] and marca in m[2]]

        chegada = aguardar(chegou, 10, f"{slug} no fluxo /eventos")[0][0]
        info(f"{slug}: {status}, no fluxo ao vivo em {chegada - antes:.2f} s")
    verificar(item["mecanico_responsavel_id"] == 101, f"mecânico {item['mecanico_responsavel_id']}")
    verificar(item["orcamento_aprovado"] is True, "orçamento não aprovado")
    verificar(
        item["diagnostico"] == "Pastilhas no limite"
        and item["observacoes_reparo"] == "Pastilhas trocadas",
        f"textos: {item['diagnostico']!r}, {item['observacoes_reparo']!r}",
    )
    return api, item, ordem_servico_id


def entregas_ao_os(p: Projeto, ordem_servico_id: int, fila_id: str, api: Cliente) -> dict[str, Any]:
    """The four statuses delivered in order; the item as it is once all are delivered."""
    etapa("5. o despachante entrega os quatro status ao serviço de OS")

    def entregues() -> list[dict[str, Any]]:
        feitos = [r for r in p.recebidos_pelo_os(ordem_servico_id) if r["status_http"] == 200]
        return feitos if len(feitos) >= len(STATUS_OS) else []

    feitos = aguardar(entregues, 60, "entrega dos quatro status")
    verificar(
        [r["status"] for r in feitos] == STATUS_OS, f"entregues: {[r['status'] for r in feitos]}"
    )
    verificar(not any(r["duplicado"] for r in feitos), "um status entregue duas vezes")
    chaves = [r["idempotency_key"] for r in feitos]
    verificar(chaves == [f"{fila_id}-{n}" for n in range(1, 5)], f"Idempotency-Key: {chaves}")
    aguardar(
        lambda: (
            api.pedir("GET", f"/fila-execucao/{fila_id}").json()["sincronizacao_os"]["status"]
            == "sincronizado"
        ),
        15,
        "item sincronizado",
    )
    info(f"entregues em ordem, uma vez cada: {', '.join(STATUS_OS)}")
    return api.pedir("GET", f"/fila-execucao/{fila_id}").json()


@dataclass
class Pedido:
    inicio: float
    o_que: str
    id_requisicao: str
    resultado: int | str  # the HTTP status, or the error
    segundos: float
    corpo: str = ""


Pedir = Callable[[int, str], Resposta]  # (a number of its own, its X-Request-ID)


def sob_carga(
    pedidos: list[tuple[str, Pedir]], evento: Callable[[], object], prefixo: str
) -> tuple[list[Pedido], float]:
    """`pedidos` taken in turn by 4 threads through nginx; after 3 s `evento` runs (a replica
    goes), then 6 s more. Every request, and the moment of the event."""
    resultados: list[Pedido] = []
    trava = threading.Lock()
    parar = threading.Event()
    contador = iter(range(10**9))

    def trabalhador(n: int) -> None:
        while not parar.is_set():
            with trava:
                i = next(contador)
            o_que, pedir = pedidos[(n + i) % len(pedidos)]
            rid = f"{prefixo}-{i}"
            inicio = time.monotonic()
            try:
                r = pedir(i, rid)
                pedido = Pedido(inicio, o_que, rid, r.status, r.segundos, r.corpo)
            except OSError as erro:
                pedido = Pedido(inicio, o_que, rid, f"{type(erro).__name__}: {erro}", 0.0)
            with trava:
                resultados.append(pedido)
            time.sleep(0.02)

    threads = [threading.Thread(target=trabalhador, args=(n,), daemon=True) for n in range(4)]
    for t in threads:
        t.start()
    time.sleep(3)
    momento = time.monotonic()
    evento()
    time.sleep(6)
    parar.set()
    for t in threads:
        t.join(30)
    return resultados, momento


def no_nginx(p: Projeto, prefixo: str) -> dict[str, dict[str, Any]]:
    """nginx's access log lines (JSON) of the requests whose X-Request-ID has this prefix."""
    linhas = {}
    for linha in p.compose("logs", "--no-color", "--no-log-prefix", "nginx").splitlines():
        if linha.startswith("{") and f'"{prefixo}-' in linha:
            registro = json.loads(linha)
            linhas[registro["request_id"]] = registro
    return linhas


def sem_falhas(
    p: Projeto, resultados: list[Pedido], momento: float, esperado: dict[str, int], prefixo: str
) -> None:
    """None failed; and no request waited on a dead replica longer than nginx's connect
    timeout (an attempt that timed out, 504 in nginx's log, took at most ~1 s). Times seen by
    the client are only reported: on a busy machine a page alone can take seconds."""
    depois = [r for r in resultados if r.inicio >= momento]
    falhas = [r for r in resultados if r.resultado != esperado[r.o_que]]
    lento = max(resultados, key=lambda r: r.segundos)
    verificar(not falhas, f"pedidos que falharam: {[(f.o_que, f.resultado) for f in falhas[:5]]}")
    verificar(len(depois) >= 20, f"só {len(depois)} pedidos depois")

    def um_por_pedido() -> dict[str, dict[str, Any]] | None:
        logs = no_nginx(p, prefixo)
        return logs if len(logs) >= len(resultados) else None

    logs = aguardar(um_por_pedido, 10, "uma linha de log do nginx por pedido")
    refeitos, esperas = [], []
    for registro in logs.values():
        tempos = registro["upstream_response_time_s"].split(", ")
        estados = registro["upstream_status"].split(", ")
        if len(estados) > 1:
            refeitos.append(registro)
        esperas += [float(t) for t, e in zip(tempos, estados, strict=True) if e == "504"]
    outra_replica = len(refeitos)
    info(
        f"{len(resultados)} pedidos ({len(depois)} depois), nenhuma falha; "
        f"{outra_replica} refeitos pelo nginx na outra réplica, "
        f"{len(esperas)} conexões a uma réplica morta desistidas em até "
        f"{max(esperas, default=0.0):.2f} s; o mais lento para o cliente {lento.segundos:.2f} s "
        f"({lento.o_que})"
    )
    campos = ("method", "path", "status", "upstream_addr", "upstream_status")
    for registro in sorted(refeitos, key=lambda r: "504" not in r["upstream_status"])[:1]:
        info(
            "no log do nginx: "
            + json.dumps(
                {k: registro[k] for k in campos}
                | {"upstream_response_time_s": registro["upstream_response_time_s"]}
            )
        )
    espera = max(esperas, default=0.0)
    verificar(
        espera <= ESPERA_CONEXAO_MAXIMA_S, f"nginx esperou {espera:.2f} s por uma réplica morta"
    )


def toda_a_fila(api: Cliente) -> list[dict[str, Any]]:
    itens: list[dict[str, Any]] = []
    while pagina := api.pedir("GET", f"/fila-execucao?limit=500&offset={len(itens)}").json():
        itens += pagina
    return itens


def derrubar_replicas(p: Projeto, gerente: Cliente, api: Cliente, fila_id: str) -> None:
    etapa(
        "6. réplicas do app: uma morta (SIGKILL) sob leituras, outra parada (SIGTERM) sob escritas"
    )
    anonimo = Cliente(p.porta)
    leituras: list[tuple[str, Pedir]] = [
        ("/health/ready", lambda _, rid: anonimo.pedir("GET", "/health/ready", id_requisicao=rid)),
        (
            "GET item",
            lambda _, rid: api.pedir("GET", f"/fila-execucao/{fila_id}", id_requisicao=rid),
        ),
        ("quadro", lambda _, rid: gerente.pedir("GET", "/", id_requisicao=rid)),
    ]
    lidos = {"/health/ready": 200, "GET item": 200, "quadro": 200}
    # SIGKILL: what was in flight on it is lost with it; nginx sends a read again to the other
    # replica, and gives up on the dead address within a second.
    app = [c["ID"] for c in p.containers() if c["Service"] == "app"]
    resultados, momento = sob_carga(leituras, lambda: docker("kill", app[0]), "e2e-kill")
    sem_falhas(p, resultados, momento, lidos, "e2e-kill")
    estado = docker("inspect", "-f", "{{.State.Status}}, saída {{.State.ExitCode}}", app[0])
    info(f"a réplica morta: {estado.strip()} (docker kill não a reinicia); up -d --wait a traz")
    p.up()
    p.todos_de_pe(SERVICOS)

    # SIGTERM (docker stop; what `up -d` does to a replaced container): the replica finishes
    # what it took and takes nothing new, so writes are not lost either.
    def criar(i: int, rid: str) -> Resposta:
        dados = {"ordem_servico_id": 90_000 + i}
        return api.pedir("POST", "/fila-execucao", dados=dados, id_requisicao=rid)

    app = [c["ID"] for c in p.containers() if c["Service"] == "app"]
    resultados, momento = sob_carga(
        [*leituras, ("POST /fila-execucao", criar)], lambda: docker("stop", app[0]), "e2e-stop"
    )
    sem_falhas(p, resultados, momento, {**lidos, "POST /fila-execucao": 201}, "e2e-stop")
    criados = [json.loads(r.corpo)["fila_id"] for r in resultados if r.resultado == 201]
    na_fila = {i["fila_id"] for i in toda_a_fila(api)}
    verificar(len(criados) == len(set(criados)), "uma ordem criada duas vezes")
    verificar(
        set(criados) <= na_fila, f"ordens respondidas 201 e ausentes: {set(criados) - na_fila}"
    )
    info(f"{len(criados)} ordens criadas durante a parada, todas na fila")


def down_e_up(
    p: Projeto, api: Cliente, mecanico: Cliente, senhas: dict[str, str], item: dict[str, Any]
) -> None:
    etapa("7. down e up: dados, pessoas e sessão mantidos; nada reenviado; nenhum volume anônimo")
    antes = volumes()
    fila = {(i["fila_id"], i["versao"]) for i in toda_a_fila(api)}
    p.compose("down", timeout=180)
    verificar(not recursos_do_projeto(p.nome)["containers"], "containers depois do down")
    subir(p, SERVICOS)
    novos = volumes() - antes
    verificar(not novos, f"volumes novos depois de down/up: {novos}")
    do_projeto = set(recursos_do_projeto(p.nome)["volumes"])
    verificar(
        do_projeto == {f"{p.nome}_mongo-data", f"{p.nome}_mongo-config"},
        f"volumes do projeto: {do_projeto}",
    )
    depois = {(i["fila_id"], i["versao"]) for i in toda_a_fila(api)}
    verificar(depois == fila, f"a fila mudou: {len(fila)} ordens antes, {len(depois)} depois")
    fila_id = item["fila_id"]
    agora = api.pedir("GET", f"/fila-execucao/{fila_id}").json()
    for campo in ("status", "versao", "historico", "diagnostico", "observacoes_reparo"):
        verificar(
            agora[campo] == item[campo], f"{campo} mudou: {agora[campo]!r} != {item[campo]!r}"
        )
    quadro = mecanico.pedir("GET", "/")
    verificar(quadro.status == 200 and "Beto" in quadro.corpo, f"sessão perdida: {quadro.status}")
    entrar(p.porta, "ana", senhas["ana"])
    time.sleep(3)  # the dispatcher polls every second: time to resend, were anything pending
    reenvios = p.recebidos_pelo_os(item["ordem_servico_id"])
    verificar(reenvios == [], f"reenviado depois do up: {reenvios}")
    info(f"{len(fila)} ordens, pessoas e sessão mantidas; nenhum status reenviado")


def limpar(p: Projeto, imagens_antes: set[str], volumes_antes: set[str]) -> list[str]:
    """Remove everything the run made; what is left over, as messages."""
    etapa("8. limpeza")
    problemas = []
    try:
        p.compose("down", "-v", "--remove-orphans", "--timeout", "10", timeout=300)
    except Falha as erro:
        problemas.append(str(erro))
    # Its own tags, and any image this run pulled or left without a name (none was here).
    novas = sorted(imagens() - imagens_antes)
    if novas:
        try:
            docker("rmi", *novas)
        except Falha as erro:
            problemas.append(str(erro))
    restos = recursos_do_projeto(p.nome)
    problemas += [f"{tipo} restantes: {ids}" for tipo, ids in restos.items() if ids]
    if sobras := imagens() - imagens_antes:
        problemas.append(f"imagens restantes: {sobras}")
    if sobras := volumes() - volumes_antes:
        problemas.append(f"volumes restantes: {sobras}")
    info("nada restou" if not problemas else "; ".join(problemas))
    return problemas


SERVICOS = {"mongo", "app", "dispatcher", "os-standin", "nginx"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manter", action="store_true", help="deixa a pilha no ar ao final")
    args = parser.parse_args(argv)
    if shutil.which("docker") is None:
        print("docker não encontrado", file=sys.stderr)
        return 2
    inicio = time.monotonic()
    pasta = Path(tempfile.mkdtemp(prefix="compose-e2e-"))
    p = Projeto.novo(pasta)
    imagens_antes, volumes_antes = imagens(), volumes()
    print(f"projeto {p.nome}, nginx em {p.url}, env em {p.arquivo_env}")
    falha: BaseException | None = None
    try:
        construir(p)
        subir(p, SERVICOS)
        senhas = criar_pessoas(p)
        gerente = entrar(p.porta, "ana", senhas["ana"])
        mecanico = entrar(p.porta, "beto", senhas["beto"])
        info("ana (gerente) e beto (mecânico) entraram pelo nginx")
        escuta = Escuta(gerente)
        escuta.thread.start()
        aguardar(lambda: escuta.mensagens, 15, "primeira mensagem de /eventos")
        verificar(escuta.status == 200, f"/eventos: {escuta.status}")
        tipo = escuta.cabecalhos.get("Content-Type", "") if escuta.cabecalhos else ""
        verificar(tipo.startswith("text/event-stream"), f"/eventos: {tipo}")
        api, item, ordem_servico_id = ordem_por_todos_os_passos(p, gerente, mecanico, escuta)
        item = entregas_ao_os(p, ordem_servico_id, item["fila_id"], api)
        derrubar_replicas(p, gerente, api, item["fila_id"])
        down_e_up(p, api, mecanico, senhas, item)
    except Exception as erro:  # any: the logs, then the clean-up below
        falha = erro
        if not isinstance(erro, Falha):
            traceback.print_exc()
        print(f"\nFALHOU: {erro}", file=sys.stderr)
        try:
            print(p.compose("ps", "-a"), file=sys.stderr)
            print(p.compose("logs", "--no-color", "--tail", "15"), file=sys.stderr)
        except Falha as sem_logs:
            print(sem_logs, file=sys.stderr)
    finally:
        if args.manter:
            print(f"\nA pilha continua no ar em {p.url}. Para remover tudo:")
            imagens_feitas = " ".join(p.imagens_construidas())
            print(
                f"  docker compose -p {p.nome} --env-file {p.arquivo_env} down -v"
                f" && docker rmi {imagens_feitas} && rm -r {pasta}"
            )
            problemas = []
        else:
            problemas = limpar(p, imagens_antes, volumes_antes)
            shutil.rmtree(pasta, ignore_errors=True)
    total = time.monotonic() - inicio
    if falha is None and not problemas:
        print(f"\ntest-compose: tudo certo em {total:.0f} s")
        return 0
    print(f"\ntest-compose: FALHOU em {total:.0f} s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
