"""Soak: a manager's board, a mechanic's tablet and the TV open in Chromium for half an hour, in
real time, while orders move through the JSON API, as production serves them.

    make bench-soak                       # or: .venv/bin/python -m bench.soak [--minutos 30]
    make bench-soak SOAK_ARGS="--minutos 3 --sem-doc"   # a short try, printed only

On a private mongod, a queue of 30 open orders, 8 finished today and 300 over the 90 days before
(harness.preencher: the history the forecast learns from, so every card shows its forecast and
the recompute after each move pushes its lines too), and gunicorn with the production config (2
workers, 15 s beats, the forecast's thread on, as `make run` serves). A move every few seconds
(a step of a random open order, a new order when fewer than 30 are open, the oldest finished one
removed when more than 8 finished today): each must reach the three screens (the card in its
column at its new version on both boards, the four counts on every screen); every half a minute
each screen is compared whole with the database (four columns, every card, every count, the link
alive). Once, at 60 % of the run, the server is frozen (SIGSTOP of gunicorn and its workers) for
50 s while orders move in the database: each screen must say so within about two beats and catch
up by itself after SIGCONT. Every minute, after a garbage collection, each page's JS heap, DOM
nodes and event listeners (Chrome DevTools Protocol): they must not grow with time. The results
replace the section "soak" of docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import signal
import statistics
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests
from flask import Flask
from playwright.sync_api import Browser, CDPSession, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.helpers import TOKEN_SERVICO
from tests.navegador import COLUNAS, DESKTOP, TABLET, TV, ler_painel, ler_quadro
from webapp.clock import Clock
from webapp.components import componente
from webapp.configuracoes.repository import ConfiguracoesRepository
from webapp.fila.domain import Acao
from webapp.fila.service import FilaService
from webapp.settings import Settings
from webapp.tokens import emitir

from . import harness
from .harness import GERENTE, aviso, mediana, p95

SECAO = "soak"
ABERTAS = 30
FINALIZADAS = 8
# Orders finished over the 90 days before: a shop's history, so that the forecast (computed by a
# web worker's thread, as `make run` does) shows on every card and its lines are pushed too.
HISTORICO = 300
PREVISAO_MINIMA = 0.9  # share of the open cards shown with their forecast, median over the run
CHEGADA_S = 10.0  # a move that has not reached a screen by then is counted as lost
COMPARAR_S = 30.0
AMOSTRA_S = 60.0
BATIDA_S = 15.0  # SSE_BATIDA_MS in production
CRESCIMENTO_MAXIMO = 1.10  # last samples against the first: heap and DOM must stay flat

# Records when the link's state changes (static/ligacao-viva.js sets body[data-ligacao]).
OBSERVAR_LIGACAO_JS = """() => {
  window.__ligacao = [];
  new MutationObserver(() => window.__ligacao.push([document.body.dataset.ligacao, Date.now()]))
    .observe(document.body, {attributes: true, attributeFilter: ['data-ligacao']});
}"""


# The share of the open orders' cards shown that carry their forecast ("Pronto ~15:40").
PREVISOES_JS = """(quadro) => {
  const [cartao, finalizadas] = quadro
    ? ['li.cartao[data-os]', '#cartoes-FINALIZADA']
    : ['.painel-cartao', '#painel-coluna-FINALIZADA'];
  const cartoes = [...document.querySelectorAll(cartao)].filter(c => !c.closest(finalizadas));
  const com = cartoes.filter(c => c.querySelector(quadro ? '.previsao' : '.painel-previsao'));
  return cartoes.length ? com.length / cartoes.length : 1;
}"""


@dataclass
class Tela:
    nome: str
    pagina: Page
    cdp: CDPSession
    quadro: bool  # a board (cards and counts) or the TV (counts and its top cards)
    chegadas_ms: list[float] = field(default_factory=list)
    perdidas: int = 0
    divergencias: list[str] = field(default_factory=list)
    amostras: list[tuple[float, float, int, int]] = field(default_factory=list)  # min, MB, ...
    previsoes: list[float] = field(default_factory=list)  # share of open cards with a forecast

    def amostrar(self, minuto: float) -> None:
        self.cdp.send("HeapProfiler.collectGarbage")
        resposta = self.cdp.send("Performance.getMetrics")
        metricas = {m["name"]: m["value"] for m in resposta["metrics"]}
        self.amostras.append(
            (
                minuto,
                metricas["JSHeapUsedSize"] / 1024 / 1024,
                int(metricas["Nodes"]),
                int(metricas["JSEventListeners"]),
            )
        )


@dataclass
class Ordem:
    fila_id: str
    os: int
    status: str
    versao: int
    diagnosticada: bool
    aprovada: bool
    fim: datetime | None


def _ordem(item: dict[str, Any]) -> Ordem:
    fim = item.get("dta_fim_reparo")
    if isinstance(fim, str):
        fim = datetime.fromisoformat(fim)
    return Ordem(
        str(item.get("fila_id") or item["_id"]),
        item["ordem_servico_id"],
        item["status"],
        item.get("versao", 1),
        bool(item.get("dta_fim_diagnostico")),
        bool(item.get("orcamento_aprovado")),
        fim,
    )


class Fila:
    """What the database holds, as the driver made it (it is the only writer)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.ordens = {
            str(i["_id"]): _ordem(i)
            for i in componente(FilaService, app).repo.fila.find({"status": {"$exists": True}})
        }
        self.proxima_os = max(o.os for o in self.ordens.values()) + 1

    def hoje(self) -> datetime:
        return componente(Clock, self.app).inicio_do_dia()

    def colunas(self) -> dict[str, set[int]]:
        hoje = self.hoje()
        colunas: dict[str, set[int]] = {s: set() for s in COLUNAS}
        for o in self.ordens.values():
            if o.status != "FINALIZADA" or (o.fim and o.fim >= hoje):
                colunas[o.status].add(o.os)
        return colunas

    def contagens(self) -> dict[str, str]:
        return {s: str(len(n)) for s, n in self.colunas().items()}

    def abertas(self) -> list[Ordem]:
        return [o for o in self.ordens.values() if o.status != "FINALIZADA"]

    def finalizadas(self) -> list[Ordem]:
        """Today's (the history's stay: the forecast learns from them)."""
        hoje = self.hoje()
        feitas = [o for o in self.ordens.values() if o.status == "FINALIZADA" and o.fim]
        return sorted((o for o in feitas if o.fim >= hoje), key=lambda o: o.fim)


def proximo_passo(o: Ordem, rng: random.Random) -> tuple[Acao, dict[str, Any]]:
    if o.status == "EM_DIAGNOSTICO":
        return Acao.FINALIZAR_DIAGNOSTICO, {"diagnostico": "Pastilhas no limite; trocar."}
    if o.status == "EM_REPARO":
        return Acao.FINALIZAR_REPARO, {"observacoes_reparo": "Serviço concluído."}
    if not o.diagnosticada:
        return Acao.INICIAR_DIAGNOSTICO, {"mecanico_responsavel_id": rng.choice((101, 102))}
    if not o.aprovada:
        return Acao.APROVAR_ORCAMENTO, {}
    return Acao.INICIAR_REPARO, {}


class Motorista:
    """Moves orders: through the JSON API over HTTP, or (server frozen) through the service."""

    def __init__(self, fila: Fila, base: str, token: str, semente: int) -> None:
        self.fila = fila
        self.base = base
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.rng = random.Random(semente)
        self.movimentos = 0

    def mover(self, pela_api: bool = True) -> tuple[Ordem, bool]:
        """One move; (the order as it is now, whether it was removed)."""
        self.movimentos += 1
        finalizadas = self.fila.finalizadas()
        if len(finalizadas) > FINALIZADAS:
            o = finalizadas[0]
            if pela_api:
                r = self.http.delete(f"{self.base}/fila-execucao/{o.fila_id}", timeout=10)
                r.raise_for_status()
            else:
                componente(FilaService, self.fila.app).remover(o.fila_id, GERENTE)
            del self.fila.ordens[o.fila_id]
            return o, True
        if len(self.fila.abertas()) < ABERTAS:
            os_id = self.fila.proxima_os
            self.fila.proxima_os += 1
            corpo = {"ordem_servico_id": os_id, "placa": f"SOK{os_id % 10}A{os_id % 100:02d}"}
            if pela_api:
                r = self.http.post(f"{self.base}/fila-execucao", json=corpo, timeout=10)
                r.raise_for_status()
                item = r.json()
            else:
                extras = {"placa": corpo["placa"]}
                item = componente(FilaService, self.fila.app).adicionar(
                    os_id, GERENTE, extras=extras
                )
        else:
            o = self.rng.choice(self.fila.abertas())
            acao, dados = proximo_passo(o, self.rng)
            if pela_api:
                caminho = acao.value.replace("_", "-")
                r = self.http.post(
                    f"{self.base}/fila-execucao/{o.fila_id}/{caminho}", json=dados, timeout=10
                )
                r.raise_for_status()
                item = r.json()
            else:
                item = componente(FilaService, self.fila.app).executar(
                    o.fila_id, acao, GERENTE, dados
                )
        ordem = _ordem(item)
        self.fila.ordens[ordem.fila_id] = ordem
        return ordem, False


def chegou(tela: Tela, ordem: Ordem, removida: bool, contagens: dict[str, str]) -> bool:
    """Wait until the move shows on this screen; its time goes to tela.chegadas_ms."""
    if not tela.quadro:
        condicao = """(esperadas) => Object.entries(esperadas).every(([s, n]) => {
          const el = document.getElementById('painel-contagem-' + s);
          return el && el.firstChild && el.firstChild.textContent.trim() === n; })"""
        argumento: Any = contagens
    elif removida:
        condicao = "(os) => !document.querySelector(`li.cartao[data-os='${os}']`)"
        argumento = ordem.os
    else:
        condicao = """([s, os, v, esperadas]) =>
          !!document.querySelector(`#cartoes-${s} > li[data-os='${os}'][data-versao='${v}']`)
          && Object.entries(esperadas).every(([st, n]) => {
            const el = document.getElementById('contagem-' + st);
            return el && el.firstChild.textContent.trim() === n; })"""
        argumento = [ordem.status, ordem.os, ordem.versao, contagens]
    inicio = time.perf_counter()
    try:
        tela.pagina.wait_for_function(condicao, arg=argumento, timeout=CHEGADA_S * 1000)
    except PlaywrightTimeout:
        tela.perdidas += 1
        return False
    tela.chegadas_ms.append((time.perf_counter() - inicio) * 1000)
    return True


def comparar(tela: Tela, fila: Fila, minuto: float) -> None:
    """The whole screen against the database: columns, cards, counts, the link alive."""
    esperado = fila.colunas()
    visto = ler_quadro(tela.pagina) if tela.quadro else ler_painel(tela.pagina)
    problemas = []
    if list(visto) != list(COLUNAS):
        problemas.append(f"colunas {list(visto)}")
    for status, numeros in esperado.items():
        coluna = visto.get(status) or {"os": [], "contagem": "?"}
        mostrados = set(coluna["os"])
        certo = mostrados == numeros if tela.quadro else mostrados <= numeros
        if not certo or coluna["contagem"] != str(len(numeros)):
            problemas.append(f"{status}: {coluna['contagem']} {sorted(mostrados ^ numeros)[:5]}")
    if tela.pagina.evaluate("document.body.dataset.ligacao") != "viva":
        problemas.append("ligação não está viva")
    tela.previsoes.append(tela.pagina.evaluate(PREVISOES_JS, tela.quadro))
    tela.divergencias += [f"{minuto:.1f} min: {p}" for p in problemas]


def congelar(servidor: harness.Servidor, sinal: signal.Signals) -> None:
    for pid in (servidor.processo.pid, *servidor.workers()):
        os.kill(pid, sinal)


@dataclass
class Congelamento:
    segundos: float
    movidas: int = 0
    aviso_s: dict[str, float] = field(default_factory=dict)  # freeze -> notice shown
    volta_s: dict[str, float] = field(default_factory=dict)  # SIGCONT -> live and caught up


def congelamento(
    servidor: harness.Servidor, telas: list[Tela], motorista: Motorista, segundos: float
) -> Congelamento:
    resultado = Congelamento(segundos)
    for tela in telas:
        tela.pagina.evaluate(OBSERVAR_LIGACAO_JS)
    congelado_em = time.time()
    congelar(servidor, signal.SIGSTOP)
    try:
        fim = time.monotonic() + segundos
        while time.monotonic() < fim:  # the shop goes on: changes written elsewhere
            motorista.mover(pela_api=False)
            resultado.movidas += 1
            time.sleep(min(5.0, max(0.0, fim - time.monotonic())))
    finally:
        solto_em = time.time()
        congelar(servidor, signal.SIGCONT)
    for tela in telas:
        mudancas = tela.pagina.evaluate("window.__ligacao")
        caiu = [t for estado, t in mudancas if estado == "caiu"]
        if caiu:
            resultado.aviso_s[tela.nome] = caiu[0] / 1000 - congelado_em
    contagens = motorista.fila.contagens()
    for tela in telas:
        condicao = """([quadro, esperadas]) => document.body.dataset.ligacao === 'viva'
          && Object.entries(esperadas).every(([s, n]) => {
            const el = document.getElementById((quadro ? 'contagem-' : 'painel-contagem-') + s);
            return el && el.firstChild.textContent.trim() === n; })"""
        try:
            tela.pagina.wait_for_function(condicao, arg=[tela.quadro, contagens], timeout=60_000)
            resultado.volta_s[tela.nome] = time.time() - solto_em
        except PlaywrightTimeout:
            tela.divergencias.append("não voltou em 60 s depois do SIGCONT")
    return resultado


TOQUE = {"has_touch": True, "is_mobile": True}


def abrir(navegador: Browser, base: str, token: str) -> list[Tela]:
    telas = []
    for nome, login, contexto in (
        ("manager's board", "gerente", {"viewport": DESKTOP}),
        ("mechanic's tablet", "mecanico", {"viewport": TABLET, **TOQUE}),
    ):
        pagina = harness.entrar_no_navegador(navegador, base, login, f"{login}123", **contexto)
        pagina.locator("#quadro[data-ao-vivo]").wait_for(timeout=30_000)
        telas.append(Tela(nome, pagina, pagina.context.new_cdp_session(pagina), True))
    pagina = navegador.new_context(base_url=base, locale="pt-BR", viewport=TV).new_page()
    pagina.goto(f"/painel?token={token}")
    pagina.locator("body[data-ligacao=viva]").wait_for(state="attached", timeout=30_000)
    telas.append(Tela("TV", pagina, pagina.context.new_cdp_session(pagina), False))
    for tela in telas:
        tela.cdp.send("Performance.enable")
    return telas


def crescimento(amostras: list[tuple[float, float, int, int]], coluna: int) -> float:
    """The median of the last fifth of the samples over the median of the first fifth (the
    first minute, the page settling, left out)."""
    valores = [a[coluna] for a in amostras if a[0] >= 1] or [a[coluna] for a in amostras]
    quinto = max(1, len(valores) // 5)
    return statistics.median(valores[-quinto:]) / statistics.median(valores[:quinto])


def relatorio(
    minutos: float,
    telas: list[Tela],
    motorista: Motorista,
    comparacoes: int,
    gelo: Congelamento | None,
) -> tuple[str, bool]:
    linhas = [
        "## Soak: a board, a tablet and a TV open for a shift's slice",
        "",
        f"`make bench-soak` (`bench/soak.py`): {minutos:g} minutes in real time, gunicorn with the "
        "production config (2 workers, 15 s beats), a manager's board (1440x900), a mechanic's "
        "tablet (820x1180, touch) and the TV (1920x1080) open in Chromium while "
        f"{motorista.movimentos} moves went through the JSON API (a step, a new order, a "
        f"finished order removed; {ABERTAS} open and up to {FINALIZADAS} finished today, "
        f"{HISTORICO} finished over the 90 days before, so that every card shows its forecast, "
        "computed by a web worker's thread after each move). Each "
        f"move was waited for on every screen (lost after {CHEGADA_S:g} s); every "
        f"{COMPARAR_S:g} s each screen was compared whole with the database ({comparacoes} "
        "times).",
        "",
        f"Machine: {harness.maquina()}.",
        "",
        "| screen | moves arrived | lost | arrival median | arrival p95 | mismatches "
        "| open cards with their forecast: median, lowest |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    ok = True
    for t in telas:
        chegadas = t.chegadas_ms or [0.0]
        linhas.append(
            f"| {t.nome} | {len(t.chegadas_ms)} | {t.perdidas} | {mediana(chegadas):.0f} ms "
            f"| {p95(chegadas):.0f} ms | {len(t.divergencias)} "
            f"| {mediana(t.previsoes):.0%}, {min(t.previsoes):.0%} |"
        )
        ok = ok and t.perdidas == 0 and not t.divergencias
        ok = ok and mediana(t.previsoes) >= PREVISAO_MINIMA
    if gelo:
        linhas += [
            "",
            f"The server frozen (SIGSTOP of gunicorn and its workers) for {gelo.segundos:g} s, "
            f"{gelo.movidas} moves written meanwhile through the service:",
            "",
            "| screen | notice shown after | back, caught up, after SIGCONT |",
            "| --- | ---: | ---: |",
        ]
        for t in telas:
            aviso_s = gelo.aviso_s.get(t.nome)
            volta_s = gelo.volta_s.get(t.nome)
            linhas.append(
                f"| {t.nome} | {f'{aviso_s:.1f} s' if aviso_s is not None else 'never'} "
                f"| {f'{volta_s:.1f} s' if volta_s is not None else 'never'} |"
            )
            ok = ok and aviso_s is not None and aviso_s <= 2 * BATIDA_S + 5 and volta_s is not None
    linhas += [
        "",
        "Each page after a garbage collection (DevTools `HeapProfiler.collectGarbage`, then "
        "`Performance.getMetrics`): JS heap used, DOM nodes, event listeners.",
        "",
        "| minute | " + " | ".join(f"{t.nome}: heap, nodes, listeners" for t in telas) + " |",
        "| ---: | " + " | ".join("---:" for _ in telas) + " |",
    ]
    passo = max(1, round(len(telas[0].amostras) / 8))
    indices = sorted({*range(0, len(telas[0].amostras), passo), len(telas[0].amostras) - 1})
    for i in indices:
        celulas = []
        for t in telas:
            _, mb, nos, ouvintes = t.amostras[min(i, len(t.amostras) - 1)]
            celulas.append(f"{mb:.1f} MB, {nos}, {ouvintes}")
        linhas.append(f"| {telas[0].amostras[i][0]:.0f} | " + " | ".join(celulas) + " |")
    linhas += ["", "Growth, the last fifth of the samples over the first (budget ≤ "
               f"{CRESCIMENTO_MAXIMO:.2f}):", ""]  # fmt: skip
    for t in telas:
        heap, nos = crescimento(t.amostras, 1), crescimento(t.amostras, 2)
        ouvintes = crescimento(t.amostras, 3)
        linhas.append(
            f"- {t.nome}: heap × {heap:.2f}, DOM nodes × {nos:.2f}, listeners × {ouvintes:.2f}"
        )
        ok = ok and max(heap, nos, ouvintes) <= CRESCIMENTO_MAXIMO
    problemas = [f"{t.nome}: {d}" for t in telas for d in t.divergencias[:5]]
    if problemas:
        linhas += ["", "Mismatches (first five per screen):", ""] + [f"- {p}" for p in problemas]
    veredito = "every move arrived, every screen stayed whole and flat" if ok else "FAILED"
    linhas += ["", f"Verdict: {veredito}."]
    return "\n".join(linhas), ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutos", type=float, default=30.0, help="how long (default 30)")
    parser.add_argument("--intervalo", type=float, default=3.0, help="seconds between moves")
    parser.add_argument("--congelado", type=float, default=50.0, help="seconds frozen (0: never)")
    parser.add_argument("--semente", type=int, default=2026)
    harness.argumentos_da_secao(parser)
    args = parser.parse_args(argv)

    chave = secrets.token_urlsafe(48)
    with harness.mongod() as db, harness.app_local(db.url, "soak") as app:
        harness.preencher(
            app, abertas=ABERTAS, finalizadas_hoje=FINALIZADAS, finalizadas_antes=HISTORICO
        )
        token_tv, _ = componente(ConfiguracoesRepository, app).criar_passe("TV do soak", "gerente")
        fila = Fila(app)
        api_token = emitir(
            Settings(secret_key=chave), "soak", extra=TOKEN_SERVICO, minutos=int(args.minutos) + 60
        )
        with harness.gunicorn(db.url, "soak", ambiente={"SECRET_KEY": chave}) as servidor, \
                harness.chromium() as navegador:  # fmt: skip
            telas = abrir(navegador, servidor.base, token_tv)
            motorista = Motorista(fila, servidor.base, api_token, args.semente)
            inicio = time.monotonic()
            duracao = args.minutos * 60
            proxima_comparacao = proxima_amostra = inicio
            congelar_em = inicio + 0.6 * duracao if args.congelado > 0 else float("inf")
            comparacoes = 0
            gelo = None
            while (agora := time.monotonic()) < inicio + duracao:
                minuto = (agora - inicio) / 60
                if agora >= proxima_amostra:
                    for tela in telas:
                        tela.amostrar(minuto)
                    proxima_amostra += AMOSTRA_S
                if agora >= proxima_comparacao:
                    for tela in telas:
                        comparar(tela, fila, minuto)
                    comparacoes += 1
                    proxima_comparacao += COMPARAR_S
                    aviso(f"{minuto:5.1f} min: {motorista.movimentos} moves, "
                          + ", ".join(f"{t.nome} {len(t.chegadas_ms)}/{t.perdidas} lost"
                                      for t in telas))  # fmt: skip
                if gelo is None and agora >= congelar_em:
                    aviso(f"freezing the server for {args.congelado:g} s")
                    gelo = congelamento(servidor, telas, motorista, args.congelado)
                    continue
                ordem, removida = motorista.mover()
                contagens = fila.contagens()
                for tela in telas:
                    chegou(tela, ordem, removida, contagens)
                time.sleep(max(0.0, args.intervalo - (time.monotonic() - agora)))
            for tela in telas:
                comparar(tela, fila, args.minutos)
                tela.amostrar(args.minutos)
            texto, ok = relatorio(args.minutos, telas, motorista, comparacoes + 1, gelo)
    harness.publicar(SECAO, texto, args)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
