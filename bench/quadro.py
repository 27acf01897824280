"""Board at volume: the board page with 50, 500 and 2,000 open orders, as production serves it.

    make bench                       # or: .venv/bin/python -m bench.quadro [--tamanhos 50,500]

For each size: a fresh database on a private mongod filled through FilaService (harness.preencher),
gunicorn with the production config (gunicorn.conf.py, APP_ENV=production, 2 workers), then:
GET / over real HTTP for a manager and a mechanic (client wall time and the app's own
duration_ms, HTML bytes raw and as transferred with `Accept-Encoding: br, gzip`); Chromium's
load event and first contentful paint for a manager on a desktop and a mechanic on a tablet;
the time from a click on "Iniciar diagnóstico" until the card is in EM_DIAGNOSTICO; the
workers' RSS. Then an in-process profile of GET / at the largest size. The results replace the
section "Board at volume" of docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import functools
import gc
import gzip
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import brotli
from flask_compress import Compress
from playwright.sync_api import Browser, Page
from pymongo import monitoring

from tests.navegador import DESKTOP, TABLET, um_instante
from webapp.components import componente
from webapp.previsao.service import PrevisaoService
from webapp.quadro import partials
from webapp.quadro import routes as quadro_routes

from . import harness
from .harness import Servidor, aviso, mediana, p95

# Finished orders over the days before today: enough history for every size's forecast.
HISTORICO_ANTES = 300

SECAO = "quadro"
TAMANHOS = (50, 500, 2000)
ACEITA = "br, gzip"


@dataclass(frozen=True)
class Pessoa:
    login: str
    senha: str
    rotulo: str
    contexto: dict[str, Any]  # Playwright's browser context options

    @property
    def toque(self) -> bool:
        return bool(self.contexto.get("has_touch"))


GERENTE = Pessoa("gerente", "gerente123", "manager, desktop", {"viewport": DESKTOP})
MECANICO = Pessoa(
    "mecanico",
    "mecanico123",
    "mechanic, tablet",
    {"viewport": TABLET, "has_touch": True, "is_mobile": True},
)
PESSOAS = (GERENTE, MECANICO)

# The budget at 2,000 open orders.
ORCAMENTO_SERVIDOR_P95_MS = 150
ORCAMENTO_TRANSFERIDO_KB = 250
ORCAMENTO_LOAD_MS = 1000
ORCAMENTO_FCP_MS = 500
ORCAMENTO_RSS_MB = 150
ORCAMENTO_CLIQUE_MS = 100


@dataclass
class Http:
    parede_ms: list[float]  # client wall time, request sent to last byte read
    app_ms: list[float]  # the app's duration_ms (before compression)
    bruto: int  # HTML bytes
    transferido: int  # body bytes on the wire
    codificacao: str
    cartoes: int


@dataclass
class Navegador:
    load_ms: list[float] = field(default_factory=list)
    fcp_ms: list[float] = field(default_factory=list)
    clique_ms: list[float] = field(default_factory=list)


@dataclass
class Medida:
    tamanho: int
    preenchimento: harness.Preenchimento
    http: dict[str, Http] = field(default_factory=dict)
    navegador: dict[str, Navegador] = field(default_factory=dict)
    rss_inicio: dict[int, int] = field(default_factory=dict)
    rss_fim: dict[int, int] = field(default_factory=dict)


def finalizadas_hoje(abertas: int) -> int:
    return max(5, abertas // 20)


# --- over HTTP -----------------------------------------------------------------------------------


def decodificar(corpo: bytes, codificacao: str) -> bytes:
    if codificacao == "br":
        return brotli.decompress(corpo)
    if codificacao == "gzip":
        return gzip.decompress(corpo)
    return corpo


def medir_http(servidor: Servidor, pessoa: Pessoa, repeticoes: int) -> Http:
    """GET / `repeticoes` times on one keep-alive connection (after 3 unmeasured), reading the
    compressed body as it came."""
    sessao = harness.entrar(servidor.base, pessoa.login, pessoa.senha)
    ids, paredes = [], []
    resposta, corpo = None, b""
    for i in range(3 + repeticoes):
        rid = f"bench-{pessoa.login}-{uuid.uuid4().hex[:12]}"
        cabecalhos = {"Accept-Encoding": ACEITA, "X-Request-ID": rid}
        inicio = time.perf_counter()
        resposta = sessao.get(
            servidor.base + "/", headers=cabecalhos, stream=True, allow_redirects=False
        )
        corpo = resposta.raw.read(decode_content=False)
        parede = (time.perf_counter() - inicio) * 1000
        if resposta.status_code != 200:
            raise RuntimeError(f"GET / as {pessoa.login}: HTTP {resposta.status_code}")
        if i >= 3:
            ids.append(rid)
            paredes.append(parede)
    assert resposta is not None
    codificacao = resposta.headers.get("Content-Encoding", "identity")
    html = decodificar(corpo, codificacao)
    if b'id="quadro"' not in html:
        raise RuntimeError(f"GET / as {pessoa.login} did not answer the board")
    time.sleep(0.2)  # the workers' last log lines
    duracoes = servidor.duracoes_ms(ids)
    return Http(
        parede_ms=paredes,
        app_ms=[duracoes[i] for i in ids if i in duracoes],
        bruto=len(html),
        transferido=len(corpo),
        codificacao=codificacao,
        cartoes=html.count(b'class="cartao '),
    )


# --- in Chromium ---------------------------------------------------------------------------------

FCP_JS = """() => new Promise((resolve) => {
  const achado = performance.getEntriesByName("first-contentful-paint")[0];
  if (achado) return resolve(achado.startTime);
  // Chromium may report the paint after the load event.
  new PerformanceObserver((lista, observador) => {
    const fcp = lista.getEntriesByName("first-contentful-paint")[0];
    if (fcp) { observador.disconnect(); resolve(fcp.startTime); }
  }).observe({type: "paint", buffered: true});
  setTimeout(() => resolve(null), 5000);
})"""

# A card waiting for diagnosis whose place in EM_DIAGNOSTICO is within the cards that column
# has loaded: the board puts a moved card beyond them nowhere (only the count changes), as a
# "Mostrar mais" page would bring it.
ESCOLHER_CARTAO_JS = """() => {
  const destino = document.getElementById("cartoes-EM_DIAGNOSTICO");
  const mais = document.getElementById("mais-EM_DIAGNOSTICO");
  const ultimo = destino.lastElementChild;
  const limite = mais && mais.dataset.depois && ultimo ? ultimo.dataset.ordem || "" : null;
  const seletor = '#cartoes-AGUARDANDO > li.cartao[data-proximo="EM_DIAGNOSTICO"]';
  for (const li of document.querySelectorAll(seletor)) {
    if (limite === null || (li.dataset.ordem || "") <= limite) return li.id.slice(7);
  }
  return null;
}"""

# Armed before the click: the click's time (capture phase, before htmx sees it) and the first
# DOM change after which the card is inside #cartoes-EM_DIAGNOSTICO.
ARMAR_CLIQUE_JS = """(id) => {
  const alvo = `#cartoes-EM_DIAGNOSTICO > #cartao-${id}`;
  window.__benchClique = new Promise((resolve) => {
    let inicio = null;
    document.addEventListener("click", () => { inicio = performance.now(); },
                              {capture: true, once: true});
    const observador = new MutationObserver(() => {
      if (inicio !== null && document.querySelector(alvo)) {
        observador.disconnect();
        resolve(performance.now() - inicio);
      }
    });
    observador.observe(document.body, {childList: true, subtree: true});
    setTimeout(() => { observador.disconnect(); resolve(null); }, 10000);
  });
}"""


def ao_vivo(pagina: Page) -> None:
    """Wait for the board's stream to deliver (its first message re-renders the board on the
    server), so that work does not overlap the next measurement."""
    pagina.locator("#quadro[data-ao-vivo]").wait_for(timeout=30_000)


def medir_cargas(pagina: Page, cargas: int, resultado: Navegador) -> None:
    """Loads of the board after one unmeasured (static files then come from the cache, as on
    a tablet that opens the board every day)."""
    for i in range(1 + cargas):
        pagina.goto("/", wait_until="load")
        load = pagina.evaluate("performance.getEntriesByType('navigation')[0].loadEventStart")
        fcp = pagina.evaluate(FCP_JS)
        ao_vivo(pagina)
        if i > 0:
            resultado.load_ms.append(float(load))
            if fcp is not None:
                resultado.fcp_ms.append(float(fcp))


def medir_cliques(pagina: Page, pessoa: Pessoa, cliques: int, resultado: Navegador) -> None:
    for _ in range(cliques):
        fila_id = pagina.evaluate(ESCOLHER_CARTAO_JS)
        if fila_id is None:
            aviso(f"  no card left to move for {pessoa.login}")
            return
        if not pagina.locator("#cartoes-AGUARDANDO").is_visible():
            pagina.locator("#aba-AGUARDANDO").click()  # the tablet shows one column at a time
        botao = pagina.locator(f"#cartao-{fila_id} button.primario")
        botao.scroll_into_view_if_needed()
        pagina.evaluate(ARMAR_CLIQUE_JS, fila_id)
        if pessoa.toque:
            botao.tap()
        else:
            botao.click()
        tempo = pagina.evaluate("window.__benchClique")
        if tempo is None:
            raise RuntimeError(f"card {fila_id} did not reach EM_DIAGNOSTICO for {pessoa.login}")
        resultado.clique_ms.append(float(tempo))
        # The pushed copy of the same change arrives and settles; and a person's time to see
        # the board before the next tap (one sooner, on a card that just slid, is dropped).
        um_instante(pagina)


def medir_navegador(
    navegador: Browser, servidor: Servidor, pessoa: Pessoa, cargas: int, cliques: int
) -> Navegador:
    pagina = harness.entrar_no_navegador(
        navegador, servidor.base, pessoa.login, pessoa.senha, **pessoa.contexto
    )
    resultado = Navegador()
    try:
        medir_cargas(pagina, cargas, resultado)
        medir_cliques(pagina, pessoa, cliques, resultado)
    finally:
        pagina.context.close()
    return resultado


# --- one size ------------------------------------------------------------------------------------


def medir_tamanho(
    db: harness.Mongod, navegador: Browser, tamanho: int, args: argparse.Namespace
) -> Medida:
    database = f"bench_quadro_{tamanho}"
    with harness.app_local(db.url, database) as app:
        preenchimento = harness.preencher(app, tamanho, finalizadas_hoje(tamanho), HISTORICO_ANTES)
        # The board as a shop sees it: every card with its forecast ("Pronto ~15:40", some
        # at risk), computed before the servers start rather than by whichever of their
        # threads takes the lease in the middle of the measurements.
        previsao = componente(PrevisaoService, app).recalcular()
    aviso(
        f"{tamanho} open orders: {preenchimento.ordens} orders through FilaService in "
        f"{preenchimento.segundos:.1f}s {preenchimento.por_coluna}; forecast: {previsao}"
    )
    medida = Medida(tamanho, preenchimento)
    # The forecast's thread off, as in production's web processes (the dispatcher's process
    # computes): the forecasts are those computed above, and no recompute competes for the CPU.
    ambiente = {"PREVISAO_THREAD": "false"}
    with harness.gunicorn(db.url, database, workers=2, ambiente=ambiente) as servidor:
        medida.rss_inicio = servidor.rss_kb()
        for pessoa in PESSOAS:
            medida.http[pessoa.login] = h = medir_http(servidor, pessoa, args.requisicoes)
            aviso(
                f"  GET / {pessoa.login}: median {mediana(h.parede_ms):.0f} ms, "
                f"p95 {p95(h.parede_ms):.0f} ms, {h.bruto} B -> {h.transferido} B "
                f"{h.codificacao}, {h.cartoes} cards"
            )
        for pessoa in PESSOAS:
            medida.navegador[pessoa.login] = n = medir_navegador(
                navegador, servidor, pessoa, args.cargas, args.cliques
            )
            aviso(
                f"  Chromium {pessoa.login}: load {mediana(n.load_ms):.0f} ms, "
                f"FCP {mediana(n.fcp_ms):.0f} ms, click -> moved "
                f"{mediana(n.clique_ms) if n.clique_ms else float('nan'):.0f} ms"
            )
        medida.rss_fim = servidor.rss_kb()
    return medida


# --- where the time of GET / goes ----------------------------------------------------------------


def _campos(consulta: Any) -> list[str]:
    """The fields a filter or $match tests, operators ($or, $in...) looked through."""
    if isinstance(consulta, list):
        return [campo for parte in consulta for campo in _campos(parte)]
    if not isinstance(consulta, dict):
        return []
    campos = []
    for chave, valor in consulta.items():
        campos += _campos(valor) if chave.startswith("$") else [chave]
    return list(dict.fromkeys(campos))


def descrever(comando: Any) -> str:
    """A MongoDB command in a few words: `find fila_execucao (status) limit 41`,
    `aggregate fila_execucao: $match (status, dta_fim_reparo) → $group`."""
    nome = next(iter(comando))
    colecao = comando[nome]
    if nome == "find":
        limite = f" limit {comando['limit']}" if comando.get("limit") else ""
        return f"find {colecao} ({', '.join(_campos(comando.get('filter')))}){limite}"
    if nome == "aggregate":
        etapas = []
        for etapa in comando.get("pipeline", []):
            operador = next(iter(etapa))
            campos = f" ({', '.join(_campos(etapa[operador]))})" if operador == "$match" else ""
            etapas.append(operador + campos)
        return f"aggregate {colecao}: {' → '.join(etapas)}"
    return f"{nome} {colecao}"


class _Comandos(monitoring.CommandListener):
    """MongoDB commands as the driver times them (send to reply), summed by the part of the
    request that is running (`parte`) and by command (`descrever`). Callbacks run in the
    thread that sent the command."""

    def __init__(self) -> None:
        self.parte = "resto"
        self.ms: dict[str, float] = {}
        self.comandos = 0
        self.por_comando: dict[str, list[float]] = {}  # every measured request's
        self.medindo = False
        self._descricoes: dict[int, str] = {}

    def _fim(self, evento: Any) -> None:
        self.ms[self.parte] = self.ms.get(self.parte, 0.0) + evento.duration_micros / 1000
        self.comandos += 1
        descricao = self._descricoes.pop(evento.request_id, None)
        if self.medindo and descricao:
            self.por_comando.setdefault(descricao, []).append(evento.duration_micros / 1000)

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.medindo:
            self._descricoes[event.request_id] = descrever(event.command)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._fim(event)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._fim(event)


@dataclass
class Coletor:
    """Python's cyclic garbage collector while it is installed in gc.callbacks."""

    ms: float = 0.0
    completas: int = 0  # generation-2 (full) collections
    maior_completa_ms: float = 0.0
    _inicio: float = 0.0

    def __call__(self, fase: str, info: dict[str, int]) -> None:
        if fase == "start":
            self._inicio = time.perf_counter()
            return
        ms = (time.perf_counter() - self._inicio) * 1000
        self.ms += ms
        if info["generation"] == 2:
            self.completas += 1
            self.maior_completa_ms = max(self.maior_completa_ms, ms)


@dataclass
class Partes:
    """Medians per request, in ms."""

    total: float
    mongodb: float
    comandos: float
    colunas: float  # partials.montar_colunas without its MongoDB time
    modelos: float  # rendering the page's templates
    compressao: float
    cartoes: int
    # The commands taking the most time: (description, times per request, ms per request).
    comandos_mais_lentos: list[tuple[str, float, float]] = field(default_factory=list)
    repeticoes: int = 0
    total_p95: float = 0.0
    coletor: Coletor | None = None
    lixo_ciclico: int = 0  # objects one GET / leaves in reference cycles

    @property
    def resto(self) -> float:
        return self.total - self.mongodb - self.colunas - self.modelos - self.compressao


def partes_do_quadro(db: harness.Mongod, tamanho: int, repeticoes: int = 30) -> Partes:
    """The manager's GET / in this process (Flask's test client against the same database),
    with its parts timed: MongoDB commands (a command listener), building the columns
    (quadro.partials.montar_colunas), rendering the templates (render_template in
    quadro.routes) and the compression (flask-compress's after_request hook); and the garbage
    collector's pauses (gc.callbacks) and the objects one request leaves in reference cycles."""
    comandos = _Comandos()
    monitoring.register(comandos)  # for the MongoClient app_local creates next
    tempos: dict[str, float] = {}

    def cronometrar(nome: str, funcao: Callable[..., Any], parte: str | None = None) -> Any:
        @functools.wraps(funcao)
        def cronometrada(*args: Any, **kwargs: Any) -> Any:
            antes, comandos.parte = comandos.parte, parte or comandos.parte
            inicio = time.perf_counter()
            try:
                return funcao(*args, **kwargs)
            finally:
                tempos[nome] = tempos.get(nome, 0.0) + (time.perf_counter() - inicio) * 1000
                comandos.parte = antes

        return cronometrada

    amostras: list[Partes] = []
    with (
        harness.app_local(db.url, f"bench_quadro_{tamanho}") as app,
        mock.patch.object(
            partials, "montar_colunas", cronometrar("colunas", partials.montar_colunas, "colunas")
        ),
        mock.patch.object(
            quadro_routes, "render_template", cronometrar("modelos", quadro_routes.render_template)
        ),
    ):
        depois = app.after_request_funcs[None]
        for i, funcao in enumerate(depois):
            if isinstance(getattr(funcao, "__self__", None), Compress):
                depois[i] = cronometrar("compressao", funcao)
        cliente = harness.entrar_no_cliente(app, GERENTE.login, GERENTE.senha)
        coletor = Coletor()
        for i in range(3 + repeticoes):
            if i == 3:
                gc.callbacks.append(coletor)
            tempos.clear()
            comandos.ms.clear()
            comandos.comandos = 0
            inicio = time.perf_counter()
            resposta = cliente.get("/", headers={"Accept-Encoding": ACEITA})
            total = (time.perf_counter() - inicio) * 1000
            comandos.medindo = i >= 2  # from the next request on
            if i < 3:
                continue
            html = decodificar(resposta.data, resposta.headers.get("Content-Encoding", ""))
            amostras.append(
                Partes(
                    total=total,
                    mongodb=sum(comandos.ms.values()),
                    comandos=comandos.comandos,
                    colunas=tempos.get("colunas", 0.0) - comandos.ms.get("colunas", 0.0),
                    modelos=tempos.get("modelos", 0.0),
                    compressao=tempos.get("compressao", 0.0),
                    cartoes=html.count(b'class="cartao '),
                )
            )
        gc.callbacks.remove(coletor)
        # With the collector off, what one request leaves that only the collector frees.
        gc.collect()
        gc.disable()
        try:
            cliente.get("/", headers={"Accept-Encoding": ACEITA})
            lixo_ciclico = gc.collect()
        finally:
            gc.enable()
    return Partes(
        **{
            campo: mediana([getattr(a, campo) for a in amostras])
            for campo in ("total", "mongodb", "comandos", "colunas", "modelos", "compressao")
        },
        cartoes=amostras[-1].cartoes,
        comandos_mais_lentos=sorted(
            (
                (descricao, len(ms) / repeticoes, sum(ms) / repeticoes)
                for descricao, ms in comandos.por_comando.items()
            ),
            key=lambda c: -c[2],
        )[:4],
        repeticoes=repeticoes,
        total_p95=p95([a.total for a in amostras]),
        coletor=coletor,
        lixo_ciclico=lixo_ciclico,
    )


# --- the report ----------------------------------------------------------------------------------


def _ms(valores: Sequence[float]) -> str:
    return f"{mediana(valores):.0f} ms" if valores else "n/a"


def _kb(n: float) -> str:
    return f"{n / 1024:.1f} KB"


def _razao(primeiro: float, ultimo: float) -> str:
    return f"{ultimo / primeiro:.1f}×" if primeiro else "n/a"


def relatorio(
    medidas: Sequence[Medida],
    partes: Partes | None,
    args: argparse.Namespace,
) -> str:
    primeira, ultima = medidas[0], medidas[-1]
    cabecalho_tamanhos = " | ".join(f"{m.tamanho:,}" for m in medidas)
    linhas = [
        f"| open orders | {cabecalho_tamanhos} | {ultima.tamanho:,} / {primeira.tamanho:,} "
        f"| budget at {ultima.tamanho:,} | |",
        "| --- |" + " ---: |" * len(medidas) + " ---: | --- | --- |",
    ]

    def linha(
        rotulo: str,
        valor: Callable[[Medida], str],
        chave: Callable[[Medida], float] | None = None,
        orcamento: str = "",
        cumprido: bool | None = None,
    ) -> None:
        valores = " | ".join(valor(m) for m in medidas)
        razao = _razao(chave(primeira), chave(ultima)) if chave else ""
        veredito = "" if cumprido is None else harness.veredito(cumprido)
        linhas.append(f"| {rotulo} | {valores} | {razao} | {orcamento} | {veredito} |")

    for pessoa in PESSOAS:
        quem = pessoa.rotulo.split(",")[0]

        def http(m: Medida, login: str = pessoa.login) -> Http:
            return m.http[login]

        linha(
            f"GET /, {quem}: server time (client wall), median / p95",
            lambda m, h=http: f"{mediana(h(m).parede_ms):.0f} / {p95(h(m).parede_ms):.0f} ms",
            lambda m, h=http: mediana(h(m).parede_ms),
            f"p95 < {ORCAMENTO_SERVIDOR_P95_MS} ms",
            p95(http(ultima).parede_ms) < ORCAMENTO_SERVIDOR_P95_MS,
        )
        linha(
            f"GET /, {quem}: the app's duration_ms, median / p95",
            lambda m, h=http: (
                f"{mediana(h(m).app_ms):.0f} / {p95(h(m).app_ms):.0f} ms" if h(m).app_ms else "n/a"
            ),
            lambda m, h=http: mediana(h(m).app_ms) if h(m).app_ms else 0,
        )
        linha(
            f"GET /, {quem}: HTML raw → transferred",
            lambda m, h=http: f"{_kb(h(m).bruto)} → {_kb(h(m).transferido)} {h(m).codificacao}",
            lambda m, h=http: h(m).transferido,
            f"≤ {ORCAMENTO_TRANSFERIDO_KB} KB transferred",
            http(ultima).transferido <= ORCAMENTO_TRANSFERIDO_KB * 1024,
        )
        linha(
            f"GET /, {quem}: cards on the page",
            lambda m, h=http: str(h(m).cartoes),
            lambda m, h=http: h(m).cartoes,
        )
    for pessoa in PESSOAS:

        def nav(m: Medida, login: str = pessoa.login) -> Navegador:
            return m.navegador[login]

        linha(
            f"Chromium, {pessoa.rotulo}: load event, median",
            lambda m, n=nav: _ms(n(m).load_ms),
            lambda m, n=nav: mediana(n(m).load_ms),
            f"< {ORCAMENTO_LOAD_MS:,} ms",
            mediana(nav(ultima).load_ms) < ORCAMENTO_LOAD_MS,
        )
        linha(
            f"Chromium, {pessoa.rotulo}: first contentful paint, median",
            lambda m, n=nav: _ms(n(m).fcp_ms),
            lambda m, n=nav: mediana(n(m).fcp_ms),
            f"< {ORCAMENTO_FCP_MS} ms",
            bool(nav(ultima).fcp_ms) and mediana(nav(ultima).fcp_ms) < ORCAMENTO_FCP_MS,
        )
        linha(
            f"Chromium, {pessoa.rotulo}: click → card moved, median (max)",
            lambda m, n=nav: (
                f"{_ms(n(m).clique_ms)} ({max(n(m).clique_ms):.0f})" if n(m).clique_ms else "n/a"
            ),
            lambda m, n=nav: mediana(n(m).clique_ms) if n(m).clique_ms else 0,
            f"< {ORCAMENTO_CLIQUE_MS} ms",
            bool(nav(ultima).clique_ms) and mediana(nav(ultima).clique_ms) < ORCAMENTO_CLIQUE_MS,
        )
    linha(
        "Worker RSS after the loads: max per worker / sum of 2",
        lambda m: harness.rss_max_soma(m.rss_fim),
        lambda m: max(m.rss_fim.values()),
        f"< {ORCAMENTO_RSS_MB} MB per worker",
        max(ultima.rss_fim.values()) < ORCAMENTO_RSS_MB * 1024,
    )
    linha(
        "Worker RSS just started: max per worker / sum of 2",
        lambda m: harness.rss_max_soma(m.rss_inicio),
        lambda m: max(m.rss_inicio.values()),
    )
    linha(
        "Filling the database through FilaService",
        lambda m: f"{m.preenchimento.ordens:,} orders, {m.preenchimento.segundos:.1f} s",
    )

    colunas = ", ".join(f"{k} {v:,}" for k, v in ultima.preenchimento.por_coluna.items())
    texto = [
        "## Board at volume",
        "",
        f"`make bench` (`bench/quadro.py`), {harness.maquina()}.",
        "",
        "Each size is a fresh database holding that many **open** orders, plus "
        f"{', '.join(str(finalizadas_hoje(m.tamanho)) for m in medidas)} finished today "
        f"respectively and {HISTORICO_ANTES} over the days before (the forecast's history), "
        "created through the app's own "
        "service (`FilaService.adicionar`/`executar`/`pausar`, one call per change; fast "
        "enough at these sizes) with realistic priorities, plates, cars, customers, "
        "diagnoses, promised times and holds; every event delivered to the OS service (its "
        "steady state); then the forecast computed once (`PrevisaoService.recalcular`), so "
        f"every card shows its own, some at risk. At {ultima.tamanho:,}: {colunas}. The app "
        "runs as production runs it: `gunicorn -c gunicorn.conf.py wsgi:app`, "
        "`APP_ENV=production`, 2 gevent workers, no `URL_API_OS`, neither the dispatcher's "
        "thread nor the forecast's (production runs both in the dispatcher's process).",
        "",
        *linhas,
        "",
        "How each figure is taken:",
        "",
        f"- **GET /**: {args.requisicoes} requests per person after 3 unmeasured, one at a "
        "time on one keep-alive connection from this machine (loopback), signed in through "
        f"the real form, `Accept-Encoding: {ACEITA}`. *Client wall* runs from sending the "
        "request to the last compressed byte read; *duration_ms* is the app's own request "
        "log line, which ends before the compression. Transferred = the body as it came "
        '(KB = 1,024 bytes). The board shows each column\'s first 40 cards ("Mostrar mais" '
        "loads the rest), so its size stops growing once every column holds 40.",
        f"- **Chromium** (Debian's, headless, through Playwright): {args.cargas} loads per "
        "person after one unmeasured (static files then come from the browser's cache, as on "
        "a tablet that opens the board every day); the load event and first-contentful-paint "
        "from the Navigation and Paint Timing APIs. Before the next load the page waits for "
        "its live stream, whose first message is the whole board rendered once more on the "
        "server. Manager: 1440x900; mechanic: 820x1180, touch, mobile.",
        f"- **Click → card moved**: {args.cliques} cards per person, each one waiting for "
        "diagnosis and whose place in EM_DIAGNOSTICO is among the cards that column has "
        "loaded (the board puts a moved card beyond them nowhere, it only updates the count). "
        "From the click event (capture phase, `performance.now()`) to the first DOM change "
        "that has `#cartao-<id>` inside `#cartoes-EM_DIAGNOSTICO` (a MutationObserver armed "
        "before the click): the POST, the server's step and partials, htmx's swap, or the "
        "step's push when it comes first (a page gets its own changes by push too). Tapped "
        "on the tablet, clicked on the desktop, 0.6 s apart (a person's pace: the board drops "
        "a tap on a card that slid under the finger less than 0.5 s before).",
        "- **RSS**: `VmRSS` of each gunicorn worker from `/proc/<pid>/status`, just after "
        "start and after all the requests, loads and clicks of that size.",
        "",
        "The machine has 2 cores shared by mongod, gunicorn, Chromium and the benchmark "
        "itself, and its timings are noisy: read the medians and the ratios between sizes.",
    ]
    if partes is not None:
        total = partes.total
        coletor = []
        if partes.coletor is not None:
            c = partes.coletor
            coletor = [
                "Python's cyclic garbage collector ran inside those requests for "
                f"{c.ms / partes.repeticoes:.1f} ms per request on average: {c.completas} full "
                f"(generation 2) collections in {partes.repeticoes} requests, the longest "
                f"{c.maior_completa_ms:.0f} ms. One GET / leaves {partes.lixo_ciclico:,} objects "
                "in reference cycles, which only the collector frees.",
                "",
            ]
        linhas_partes = [
            (f"MongoDB: {partes.comandos:.0f} commands, driver-timed round trips", partes.mongodb),
            ("building the columns' view models (`partials.montar_colunas`, without its "
             "MongoDB time)", partes.colunas),
            (f"rendering the templates (Jinja2, {partes.cartoes} cards)", partes.modelos),
            ("compression (brotli level 5, flask-compress)", partes.compressao),
            ("the rest: Flask, session and sign-in check, CSRF, the OS banner, request and "
             "response", partes.resto),
        ]  # fmt: skip
        texto += [
            "",
            f"### Where the time of GET / goes, at {ultima.tamanho:,} open orders",
            "",
            "The manager's GET / in one process (Flask's test client against the same "
            "database, after the measurements above), each part timed around the code that "
            f"does it; medians of {partes.repeticoes} requests:",
            "",
            "| part | ms | share |",
            "| --- | ---: | ---: |",
            *(f"| {rotulo} | {ms:.1f} | {ms / total:.0%} |" for rotulo, ms in linhas_partes),
            f"| total (test client, no network; p95 {partes.total_p95:.0f} ms) | {total:.1f} "
            "| 100% |",
            "",
            *coletor,
            "The MongoDB commands that take the most time (mean per request):",
            "",
            "| command | per request | ms |",
            "| --- | ---: | ---: |",
            *(
                f"| `{descricao}` | {vezes:.0f}× | {ms:.1f} |"
                for descricao, vezes, ms in partes.comandos_mais_lentos
            ),
        ]
    return "\n".join(texto)


def veredictos(medidas: Sequence[Medida]) -> list[str]:
    """One line per budget at the largest size, for the terminal."""
    m = medidas[-1]
    pior_p95 = max(p95(m.http[p.login].parede_ms) for p in PESSOAS)
    maior_transferido = max(m.http[p.login].transferido for p in PESSOAS) / 1024
    load = max(mediana(m.navegador[p.login].load_ms) for p in PESSOAS)
    fcp = max(mediana(m.navegador[p.login].fcp_ms or [float("inf")]) for p in PESSOAS)
    clique = max(mediana(m.navegador[p.login].clique_ms or [float("inf")]) for p in PESSOAS)
    rss = max(m.rss_fim.values()) / 1024
    itens = (
        ("server p95", pior_p95, ORCAMENTO_SERVIDOR_P95_MS, "ms",
         pior_p95 < ORCAMENTO_SERVIDOR_P95_MS),
        ("transferred", maior_transferido, ORCAMENTO_TRANSFERIDO_KB, "KB",
         maior_transferido <= ORCAMENTO_TRANSFERIDO_KB),
        ("load", load, ORCAMENTO_LOAD_MS, "ms", load < ORCAMENTO_LOAD_MS),
        ("first paint", fcp, ORCAMENTO_FCP_MS, "ms", fcp < ORCAMENTO_FCP_MS),
        ("RSS per worker", rss, ORCAMENTO_RSS_MB, "MB", rss < ORCAMENTO_RSS_MB),
        ("click → moved", clique, ORCAMENTO_CLIQUE_MS, "ms", clique < ORCAMENTO_CLIQUE_MS),
    )  # fmt: skip
    return [
        f"{nome}: {valor:.0f} {unidade} (budget {limite} {unidade}) {'met' if ok else 'MISSED'}"
        for nome, valor, limite, unidade, ok in itens
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tamanhos",
        default=",".join(map(str, TAMANHOS)),
        help="open orders per size, comma-separated (default: %(default)s)",
    )
    parser.add_argument("--requisicoes", type=int, default=30, help="GET / per person")
    parser.add_argument("--cargas", type=int, default=5, help="Chromium loads per person")
    parser.add_argument("--cliques", type=int, default=5, help="cards moved per person")
    parser.add_argument(
        "--sem-partes", action="store_true", help="skip timing the parts of GET / in-process"
    )
    harness.argumentos_da_secao(parser)
    args = parser.parse_args(argv)
    tamanhos = [int(t) for t in args.tamanhos.split(",") if t.strip()]

    inicio = time.monotonic()
    medidas = []
    partes = None
    with harness.mongod() as db, harness.chromium() as navegador:
        for tamanho in tamanhos:
            medidas.append(medir_tamanho(db, navegador, tamanho, args))
        if not args.sem_partes:
            partes = partes_do_quadro(db, tamanhos[-1])
    texto = relatorio(medidas, partes, args)
    harness.publicar(SECAO, texto, args)
    for linha in veredictos(medidas):
        aviso(linha)
    aviso(f"Done in {time.monotonic() - inicio:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
