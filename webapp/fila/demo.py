"""The demo a newcomer asks for (`flask --app wsgi seed-demo`, `make demo`): the board as a shop
has it in the middle of a day (demo.json: every state, holds for parts and for the customer,
late orders) and a month of finished orders with a realistic spread, so that /indicadores has
something to say: stage times drawn per priority (log-normal, a long tail as in real shops),
holds for parts, for the customer and other reasons, promised times some orders miss.

Everything goes through FilaService with `instante=`, as a shop would have done it, so the
stored items (hold seconds per stage and reason, history, OS events) are the real thing. The
people who act are the demo users: a mechanic diagnoses and repairs, the manager adds orders
and records approvals. Deterministic: the same seed gives the same orders, and orders already
in the queue (by OS number) are kept, so running it again adds nothing.

Local use only: the demo users' passwords are published in the README. The command
(`seed-demo`, webapp/cli.py) creates the demo users and refuses a database that holds anyone else;
this module only plans and plays the orders.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from ..clock import Clock
from .domain import Acao, Ator, MotivoPausa, Papel, Prioridade
from .service import FilaService

DEMO: dict[str, Any] = json.loads(Path(__file__).with_name("demo.json").read_text("utf-8"))
USUARIOS_DEMO: list[dict[str, Any]] = DEMO["usuarios"]
ATORES = {u["funcionario_id"]: Ator(u["login"], Papel(u["papel"])) for u in USUARIOS_DEMO}
GERENTE = next(a for a in ATORES.values() if a.papel is Papel.GERENTE)
MECANICOS = [f for f, a in ATORES.items() if a.papel is Papel.MECANICO]

HISTORICO_DIAS = 30
# A promised time: (now, hours ahead) -> when (the seed-demo command gives the shop's calendar).
Prazo = Callable[[datetime, float], datetime]
PRIMEIRA_OS_HISTORICO = 501  # the history's OS numbers, oldest first, below the board's 1001+
SEMENTE = 15

# Minutes of each stage without holds: (median per priority, spread). Log-normal: most orders
# near the median, a few much longer, as waits and repairs are in real shops.
U, A, N, B = Prioridade.URGENTE, Prioridade.ALTA, Prioridade.NORMAL, Prioridade.BAIXA
ESPERA_DIAGNOSTICO = ({U: 12, A: 35, N: 100, B: 240}, 0.7)
DIAGNOSTICO = ({U: 35, A: 40, N: 40, B: 45}, 0.5)
ESPERA_APROVACAO = ({U: 40, A: 90, N: 180, B: 300}, 1.0)  # the customer's answer
ESPERA_REPARO = ({U: 10, A: 30, N: 90, B: 200}, 0.8)
REPARO_SPREAD = 0.35  # around the job's typical repair time (demo.json servicos.reparo_min)
# Hours from entering the queue to the promised time, per priority.
PRAZO_H = {U: 6, A: 10, N: 24, B: 48}
# Orders finished per day: Monday to Friday, Saturday (closed on Sunday).
POR_DIA = {"semana": (4, 7), "sabado": (2, 3)}


@dataclass(frozen=True)
class EsperaSorteada:
    """A kind of hold the history draws: in which stage (0-4, the order of the five stages),
    how likely, its minutes (median, spread), who puts it and the notes to pick from."""

    etapa: int
    motivo: MotivoPausa
    chance: float
    mediana: float
    spread: float
    notas: tuple[str | None, ...]
    quem: str  # "mecanico" or "gerente"


ESPERAS = (
    EsperaSorteada(0, MotivoPausa.OUTRO, 0.04, 45, 0.5, ("Sem vaga no pátio.",), "gerente"),
    EsperaSorteada(1, MotivoPausa.AGUARDANDO_CLIENTE, 0.06, 90, 0.6,
           ("Cliente precisa autorizar a desmontagem.",), "mecanico"),
    EsperaSorteada(2, MotivoPausa.AGUARDANDO_CLIENTE, 0.18, 300, 0.8,
           ("Cliente não atende o telefone.", None), "gerente"),
    EsperaSorteada(3, MotivoPausa.AGUARDANDO_PECAS, 0.12, 900, 0.6,
           ("Peça encomendada ao fornecedor.",), "mecanico"),
    EsperaSorteada(4, MotivoPausa.AGUARDANDO_PECAS, 0.22, 1200, 0.8,
           ("Peça encomendada ao distribuidor.", "Peça veio errada; aguardando a troca."),
           "mecanico"),
    EsperaSorteada(4, MotivoPausa.OUTRO, 0.06, 60, 0.5,
           ("Elevador ocupado.", "Aguardando o guincho."), "mecanico"),
)  # fmt: skip

PASSOS = (
    Acao.INICIAR_DIAGNOSTICO,
    Acao.FINALIZAR_DIAGNOSTICO,
    Acao.APROVAR_ORCAMENTO,
    Acao.INICIAR_REPARO,
    Acao.FINALIZAR_REPARO,
)


@dataclass
class Resultado:
    criadas: int = 0
    existentes: int = 0
    historico: int = 0  # of `criadas`, the finished orders of the generated history


@dataclass
class Plano:
    """One order as it will be replayed: created at `criacao`, then `eventos` in time order,
    each (instant, what, arguments)."""

    ordem_servico_id: int
    prioridade: Prioridade
    extras: dict[str, Any]
    criacao: datetime
    eventos: list[tuple[datetime, str, dict[str, Any]]] = field(default_factory=list)


def _lognormal(sorteio: random.Random, mediana: float, spread: float) -> float:
    return mediana * math.exp(spread * sorteio.gauss(0, 1))


def _dados_passo(acao: Acao, mecanico: int, servico: dict[str, Any]) -> dict[str, Any]:
    if acao in (Acao.INICIAR_DIAGNOSTICO, Acao.INICIAR_REPARO):
        return {"mecanico_responsavel_id": mecanico}
    if acao is Acao.FINALIZAR_DIAGNOSTICO:
        return {"diagnostico": servico["diagnostico"]}
    if acao is Acao.FINALIZAR_REPARO:
        return {"observacoes_reparo": servico["observacoes"]}
    return {}


def _quem(acao: Acao, mecanico: int) -> Ator:
    return GERENTE if acao is Acao.APROVAR_ORCAMENTO else ATORES[mecanico]


def _placa(sorteio: random.Random) -> str:
    letras = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return (
        "".join(sorteio.choice(letras) for _ in range(3))
        + str(sorteio.randint(0, 9))
        + sorteio.choice(letras)
        + f"{sorteio.randint(0, 99):02d}"
    )


def _no_relogio(inicio: datetime, horas: float) -> datetime:
    """`horas` after `inicio` on the wall clock (a demo seeded without the shop's calendar)."""
    return inicio + timedelta(hours=horas)


def _finalizada(sorteio: random.Random, criacao: datetime, somar: Prazo) -> Plano:
    """A finished order entering the queue at `criacao`: each stage's time drawn for its
    priority, plus the holds drawn for it, laid out from then in the shop's working hours
    (`somar`: that many hours of work after an instant), as people work: nobody starts a
    diagnosis at 23:30 or ends a hold at 04:00. Its OS number is set later."""
    prioridade = sorteio.choices([U, A, N, B], [1, 3, 8, 2])[0]
    servico = sorteio.choice(DEMO["servicos"])
    mecanico = sorteio.choice(MECANICOS)
    trabalho = [
        _lognormal(sorteio, medianas[prioridade], spread)
        for medianas, spread in (ESPERA_DIAGNOSTICO, DIAGNOSTICO, ESPERA_APROVACAO, ESPERA_REPARO)
    ]
    trabalho.append(_lognormal(sorteio, servico["reparo_min"], REPARO_SPREAD))
    trabalho = [max(2.0, t) for t in trabalho]
    # stage: (kind, minutes, where in the stage's work it starts, as a fraction)
    esperas: dict[int, tuple[EsperaSorteada, float, float]] = {}
    for e in ESPERAS:
        if e.etapa not in esperas and sorteio.random() < e.chance:
            minutos = max(5.0, _lognormal(sorteio, e.mediana, e.spread))
            esperas[e.etapa] = (e, minutos, sorteio.uniform(0.1, 0.8))
    plano = Plano(
        0,
        prioridade,
        {
            "placa": _placa(sorteio),
            "veiculo": sorteio.choice(DEMO["veiculos"]),
            "cliente": sorteio.choice(DEMO["clientes"]),
            "descricao": servico["descricao"],
            "previsao_entrega": _prazo(criacao, prioridade, somar),
        },
        criacao,
    )
    inicio = criacao
    for etapa, (acao, minutos) in enumerate(zip(PASSOS, trabalho, strict=True)):
        feito = 0.0  # of the stage's work, in minutes, before its hold
        if espera := esperas.get(etapa):
            tipo, duracao, fracao = espera
            feito = minutos * fracao
            pausa = somar(inicio, feito / 60)
            # A hold runs on the wall clock (a part comes in two days, nights included);
            # it is ended by someone at work: at the first working second after it.
            retomada = somar(pausa + timedelta(minutes=duracao), 1 / 3600)
            ator = GERENTE if tipo.quem == "gerente" else ATORES[mecanico]
            nota = sorteio.choice(tipo.notas)
            plano.eventos.append((pausa, "pausar", {"motivo": tipo.motivo, "nota": nota,
                                                    "ator": ator}))  # fmt: skip
            plano.eventos.append((retomada, "retomar", {"ator": ator}))
            inicio = retomada
        fim_etapa = somar(inicio, (minutos - feito) / 60)
        plano.eventos.append(
            (fim_etapa, "passo", {"acao": acao, "ator": _quem(acao, mecanico),
                                  "dados": _dados_passo(acao, mecanico, servico)})
        )  # fmt: skip
        inicio = fim_etapa
    return plano


def _prazo(criacao: datetime, prioridade: Prioridade, somar: Prazo) -> datetime:
    """The promised time: the priority's working hours after entering the queue, on the
    hour (rounded up)."""
    prazo = somar(criacao, PRAZO_H[prioridade])
    hora = prazo.replace(minute=0, second=0, microsecond=0)
    return hora if hora == prazo else hora + timedelta(hours=1)


def historico(
    relogio: Clock, agora_: datetime, dias: int = HISTORICO_DIAS, prazo: Prazo | None = None
) -> list[Plano]:
    """The orders of the last `dias` days that have finished by now (entered in the shop's
    hours, laid out in its working hours: `prazo`, as `quadro`'s; the wall clock when not
    given), oldest first, numbered from PRIMEIRA_OS_HISTORICO."""
    sorteio = random.Random(SEMENTE)
    somar = prazo or _no_relogio
    hoje = relogio.local(agora_).date()  # type: ignore[union-attr]
    planos = []
    for atras in range(dias - 1, -1, -1):
        dia = hoje - timedelta(days=atras)
        if dia.weekday() == 6:  # Sunday: closed
            continue
        minimo, maximo = POR_DIA["sabado" if dia.weekday() == 5 else "semana"]
        for _ in range(sorteio.randint(minimo, maximo)):
            plano = _finalizada(sorteio, _no_expediente(relogio, dia, sorteio), somar)
            if plano.eventos[-1][0] < agora_ - timedelta(minutes=10):
                planos.append(plano)
    planos.sort(key=lambda p: p.criacao)
    for n, plano in enumerate(planos):
        plano.ordem_servico_id = PRIMEIRA_OS_HISTORICO + n
    return planos


def _no_expediente(relogio: Clock, dia: date, sorteio: random.Random) -> datetime:
    """An instant between 08:30 and 18:00 of `dia` in the shop's zone."""
    inicio, _ = relogio.dia(dia)
    return inicio + timedelta(hours=8.5) + timedelta(minutes=sorteio.uniform(0, 9.5 * 60))


def quadro(agora_: datetime, prazo: Prazo | None = None) -> list[Plano]:
    """The board now (demo.json `ordens`): each order's steps at its given minutes after it
    entered the queue, and its open hold. `prazo(agora, horas)`: a promise that many hours
    ahead (the shop's working hours, as an advisor promises; the wall clock when not given);
    a promise already past (hours below zero) is on the wall clock."""
    planos = []
    for ordem in DEMO["ordens"]:
        criacao = agora_ - timedelta(hours=ordem["horas_atras"])
        extras = {k: ordem[k] for k in ("placa", "veiculo", "cliente", "descricao")}
        horas = ordem["previsao_horas"]
        promessa = prazo(agora_, horas) if prazo and horas > 0 else agora_ + timedelta(hours=horas)
        extras["previsao_entrega"] = promessa.replace(second=0, microsecond=0)
        plano = Plano(ordem["ordem_servico_id"], Prioridade(ordem["prioridade"]), extras, criacao)
        servico = next(
            (s for s in DEMO["servicos"] if s["descricao"] == ordem["descricao"]),
            {"diagnostico": "Peça desgastada; substituir e testar.",
             "observacoes": "Serviço concluído e testado em rodagem."},
        )  # fmt: skip
        instante = criacao
        for passo, minutos in zip(ordem["passos"], ordem["minutos"], strict=True):
            acao = Acao(passo)
            instante += timedelta(minutes=minutos)
            plano.eventos.append(
                (instante, "passo", {"acao": acao, "ator": _quem(acao, ordem["mecanico"]),
                                     "dados": _dados_passo(acao, ordem["mecanico"], servico)})
            )  # fmt: skip
        if espera := ordem.get("espera"):
            motivo = MotivoPausa(espera["motivo"])
            ator = ATORES[ordem["mecanico"]] if "mecanico" in ordem else GERENTE
            plano.eventos.append(
                (agora_ - timedelta(minutes=espera["minutos_atras"]), "pausar",
                 {"motivo": motivo, "nota": espera.get("nota"), "ator": ator})
            )  # fmt: skip
        planos.append(plano)
    return planos


def semear(
    fila: FilaService,
    relogio: Clock,
    agora_: datetime,
    *,
    dias: int = HISTORICO_DIAS,
    reset: bool = False,
    prazo: Prazo | None = None,
) -> Resultado:
    """Play the demo's orders through the service; orders already there (by OS number) are
    kept. `reset` empties the queue first; `prazo`: the shop's working hours, for the board's
    promises and the history's layout (`quadro`, `historico`)."""
    resultado = Resultado()
    if reset:
        fila.esvaziar()
    lotes = ((historico(relogio, agora_, dias, prazo), True), (quadro(agora_, prazo), False))
    for planos, do_historico in lotes:
        for plano in planos:
            if fila.queries.obter_por_os(plano.ordem_servico_id) is not None:
                resultado.existentes += 1
                continue
            _aplicar(fila, plano)
            resultado.criadas += 1
            resultado.historico += do_historico
    return resultado


def _aplicar(fila: FilaService, plano: Plano) -> None:
    item = fila.adicionar(
        plano.ordem_servico_id, GERENTE, plano.prioridade, plano.extras, plano.criacao
    )
    fila_id = item["_id"]
    for instante, tipo, args in sorted(plano.eventos, key=lambda e: e[0]):
        if tipo == "passo":
            fila.executar(fila_id, args["acao"], args["ator"], args["dados"], instante=instante)
        elif tipo == "pausar":
            fila.pausar(fila_id, args["motivo"], args["nota"], args["ator"], instante=instante)
        else:
            fila.retomar(fila_id, args["ator"], instante=instante)
