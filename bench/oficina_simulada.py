"""A simulated repair shop, to score the forecast against what then happened (`make
bench-previsao`; bench/previsao.py).

Written here, not on simpy: the shop is a loop over its open minutes (about 60,000 in 150 days)
with a heap of timed events, which is short and keeps every rule in view. It shares no code with
webapp/previsao (its own minute calendar, its own queue), so the forecast is checked against an
independent model of the shop, not against itself.

The shop (`Parametros`; `variante()` is another one, for a second opinion, and `funilaria()`
a body shop, for a third, never tuned for):
- opening hours seg-sex 08:00-12:00 13:00-18:00, sab 08:00-12:00, a few holidays, São Paulo time;
- four mechanics, each absent on about 1 day in 20 (the whole day);
- arrivals by hour and weekday (busy Monday mornings, quiet afternoons and Saturdays), a mix of
  priorities (5 % URGENTE, 20 % ALTA, 60 % NORMAL, 15 % BAIXA);
- heavy-tailed stage times (log-normal diagnosis and repair, longer for lower priorities);
- the customer's answer to the budget: a quarter at once (at the counter), the rest after hours
  or days (log-normal, wall clock), recorded when the shop is open;
- holds: parts for 12 % of repairs (at a random point of the work) and for 5 % of approved
  orders waiting for a mechanic, lasting days (log-normal, wall clock); a customer's hold in 3 %
  of diagnoses, lasting hours. The mechanic is free during a hold; after it the order queues
  again (in the board's order) for whichever mechanic is free;
- mechanics take the first ready order in the board's order: priority, then arrival;
- the advisor types a promise at check-in for most orders: the median total (working hours) of
  the last orders of that priority, plus a buffer of 0-40 %, never updated.

Everything an order will need is drawn when it arrives (its plan: the work, the customer's
answer, its holds); what happens between orders (arrivals, absences) is drawn as the days go.
So the shop can be forked at a snapshot and run again with the orders' unknown plans redrawn
given what the snapshot shows (`Simulador.futuros`): the forecast the shop's own model would
give, the best any forecast can do (bench/previsao.py's oracle).

It writes the app's own data: finished orders as the documents the indicators' CSV export reads
(`documentos_finalizados`), and snapshots of the open orders (the stored fields of each item)
at chosen instants, with when each one really finished.
"""

from __future__ import annotations

import bisect
import copy
import heapq
import math
import random
import statistics
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

FUSO = "America/Sao_Paulo"
# The same hours in two forms: the settings' text (for the forecast) and the simulator's own
# table of minutes since midnight per weekday (Monday first); a test checks they agree.
HORARIO = "seg-sex 08:00-12:00 13:00-18:00; sab 08:00-12:00"
_HORAS = ((480, 720), (780, 1080))
TABELA = (_HORAS, _HORAS, _HORAS, _HORAS, _HORAS, ((480, 720),), ())
PRIORIDADES = (("URGENTE", 0.05), ("ALTA", 0.20), ("NORMAL", 0.60), ("BAIXA", 0.15))
RANK = {p: i for i, (p, _) in enumerate(PRIORIDADES)}
# The advisor's promise: the median total of the last orders of that priority (working hours;
# these until there are some), plus a buffer.
PROMESSA_HORAS = {"URGENTE": 8, "ALTA": 12, "NORMAL": 16, "BAIXA": 22}
FOLGA = (0.0, 0.4)  # the buffer, a share of the median, drawn per order
PRIMEIRA_OS = 50_001
PRIMEIRO_MECANICO = 101
NOMES = ("Marcos", "Paulo", "Rita", "Sérgio", "Ana", "Bruno", "Carla", "Diego", "Eva", "Fábio")
TENTATIVAS = 1_000_000  # draws of a part before giving up on matching a snapshot (never seen)


@dataclass(frozen=True)
class Parametros:
    inicio: date = date(2026, 3, 2)  # a Monday
    dias: int = 120  # the history (90 days) and the 30 days of snapshots
    escoamento: int = 30  # more days, so that what was open at the last snapshot finishes
    feriados: tuple[date, ...] = (date(2026, 4, 3), date(2026, 4, 21), date(2026, 5, 1),
                                  date(2026, 6, 4))  # fmt: skip
    horario: str = HORARIO
    tabela: tuple[tuple[tuple[int, int], ...], ...] = TABELA
    mecanicos: int = 4
    chegadas_por_hora: float = 0.72  # mean over the open hours
    ausencia: float = 0.05  # a mechanic's chance of missing a whole day
    # Log-normal medians (working minutes) of the work, per priority, and their spread.
    diagnostico_mediana: tuple[int, int, int, int] = (35, 40, 45, 50)
    diagnostico_sigma: float = 0.6
    reparo_mediana: tuple[int, int, int, int] = (100, 130, 150, 180)
    reparo_sigma: float = 0.9
    # The customer's answer (wall clock): a share at the counter, the rest log-normal.
    resposta_balcao: float = 0.25
    resposta_mediana_h: float = 4.0
    resposta_sigma: float = 1.2
    # Customers who answer only within the shop's hours (by phone, at the counter): the same
    # lengths, in working minutes.
    resposta_no_expediente: bool = False
    # Holds: parts in the repair and for an approved car, the customer's in the diagnosis.
    pausa_reparo: float = 0.12
    pausa_aprovada: float = 0.05
    pausa_diagnostico: float = 0.03
    pecas_mediana_h: float = 36.0
    semente: int = 7

    @property
    def feriados_texto(self) -> str:
        return ", ".join(d.isoformat() for d in self.feriados)

    @property
    def nomes(self) -> dict[int, str]:
        """The mechanics: id -> name (the CSV's column)."""
        return {PRIMEIRO_MECANICO + i: NOMES[i % len(NOMES)] for i in range(self.mecanicos)}


def variante(semente: int) -> Parametros:
    """Another shop, to check that what helps is not tuned to the first one: longer days with no
    lunch break and closed on Saturdays, seven mechanics and more cars, customers who answer at
    the counter or the next day, fewer and shorter holds for parts, shorter repairs."""
    return Parametros(
        horario="seg-sex 07:30-17:30",
        tabela=(((450, 1050),),) * 5 + ((), ()),
        mecanicos=7,
        chegadas_por_hora=1.35,
        ausencia=0.03,
        diagnostico_mediana=(25, 30, 30, 40),
        reparo_mediana=(90, 110, 120, 150),
        reparo_sigma=0.8,
        resposta_balcao=0.5,
        resposta_mediana_h=20.0,
        resposta_sigma=0.7,
        pausa_reparo=0.05,
        pausa_aprovada=0.02,
        pausa_diagnostico=0.01,
        pecas_mediana_h=20.0,
        semente=semente,
    )


def no_expediente(semente: int) -> Parametros:
    """The first shop, but its customers answer only within its hours (by phone, at the
    counter): the forecast has to tell that from the history (model.respostas_no_expediente);
    added when an outsider's shop of that kind found the wall clock's answers late."""
    return Parametros(resposta_no_expediente=True, semente=semente)


_HORAS_FUNILARIA = ((480, 720), (780, 1020))


def funilaria(semente: int) -> Parametros:
    """A third shop, added after the forecast was tuned on the other two and never tuned
    for: a body shop. Three mechanics on weekdays only, with a lunch break; few cars (about
    two a day), repairs of a day or two, customers who take a day or more to answer, and
    long holds for parts in almost a third of the repairs."""
    return Parametros(
        horario="seg-sex 08:00-12:00 13:00-17:00",
        tabela=(_HORAS_FUNILARIA,) * 5 + ((), ()),
        mecanicos=3,
        chegadas_por_hora=0.22,
        ausencia=0.04,
        diagnostico_mediana=(45, 60, 60, 90),
        diagnostico_sigma=0.5,
        reparo_mediana=(300, 420, 480, 600),
        reparo_sigma=0.7,
        resposta_balcao=0.1,
        resposta_mediana_h=30.0,
        resposta_sigma=1.0,
        pausa_reparo=0.30,
        pausa_aprovada=0.10,
        pausa_diagnostico=0.05,
        pecas_mediana_h=72.0,
        semente=semente,
    )


@dataclass(frozen=True)
class Obra:
    """A piece of work: log-normal working minutes (the Parametros' `<campo>_mediana` by
    priority and `<campo>_sigma`; at least `minimo`, at most 40 hours), and a hold in it with
    the shop's probability (`pausa_<campo>`), at a uniform share of it."""

    etapa: str
    campo: str  # "diagnostico" / "reparo": the plan's field and the Parametros' prefix
    minimo: int
    ponto_min: float
    ponto_max: float

    def duracao(self, simulador: Simulador, rng: random.Random) -> int:
        """Wall minutes of its hold: the customer's (hours) in a diagnosis, parts (days) in a
        repair."""
        return simulador._cliente(rng) if self.campo == "diagnostico" else simulador._pecas(rng)


DIAGNOSTICO = Obra("em_diagnostico", "diagnostico", 5, 0.2, 0.8)
REPARO = Obra("em_reparo", "reparo", 10, 0.1, 0.7)


# The parts of an order's plan that the oracle may be told (the rest it redraws).
TRABALHO, RESPOSTA, PAUSAS = "trabalho", "resposta", "pausas"
TUDO = frozenset((TRABALHO, RESPOSTA, PAUSAS))
_CAMPOS = {
    TRABALHO: ("diagnostico", "reparo"),
    RESPOSTA: ("resposta", "registro_resposta"),
    PAUSAS: ("pausa_diagnostico", "pausa_reparo", "pausa_aprovada", "registro_pausa"),
}


@dataclass
class Ordem:
    os: int
    prioridade: str
    criada: int  # minutes since the simulation's epoch (wall clock)
    promessa: int | None
    # The plan, drawn at arrival. Work in working minutes; holds as (working minutes into the
    # work, wall minutes) or wall minutes; the customer's answer in wall minutes after the
    # diagnosis; an answer or the end of a hold that comes while closed is recorded this many
    # minutes after opening.
    diagnostico: int
    reparo: int
    resposta: int
    registro_resposta: int
    pausa_diagnostico: tuple[int, int] | None
    pausa_reparo: tuple[int, int] | None
    pausa_aprovada: int | None
    registro_pausa: int
    # What has happened.
    marcos: dict[str, int] = field(default_factory=dict)
    pausas: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, stage)
    pontos: dict[str, int] = field(default_factory=dict)  # work done when a hold began
    pausa_desde: int | None = None
    etapa: str = "aguardando_diagnostico"
    mecanico: int | None = None
    feito: int = 0  # working minutes done of the current work
    pronta: bool = True  # ready for a mechanic (not on hold, not waiting for the customer)

    def segurada_em(self, etapa: str) -> bool:
        """A hold has begun in this stage (ended or running)."""
        return (
            self.pausa_desde is not None
            and self.etapa == etapa
            or any(e == etapa for _, _, e in self.pausas)
        )


@dataclass
class Estado:
    """The shop at a snapshot, to run it again from there: the minute (its index among the
    open minutes), how many orders had arrived, copies of the open ones, the pending events and
    who works on what."""

    k: int
    minuto: int
    criadas: int
    abertas: list[Ordem]
    eventos: list[tuple[int, int, str, int]]
    seq: int
    trabalho: dict[int, int | None]
    presentes: set[int]
    dia_atual: int | None
    aleatorio: tuple[Any, ...]  # the random generator's state (to replay the same future)


class Simulador:
    def __init__(self, parametros: Parametros | None = None) -> None:
        self.p = parametros or Parametros()
        self.rng = random.Random(self.p.semente)
        self.fuso = ZoneInfo(FUSO)
        self.epoch = datetime.combine(self.p.inicio, datetime.min.time(), tzinfo=self.fuso)
        self.total_dias = self.p.dias + self.p.escoamento
        self.abertos = self._minutos_abertos()
        self.mecanicos = list(self.p.nomes)
        self.ordens: list[Ordem] = []
        self.eventos: list[tuple[int, int, str, int]] = []  # (minute, seq, kind, order index)
        self.seq = 0
        self.fotos: list[dict[str, Any]] = []
        self.estados: list[Estado] = []  # the shop at each snapshot
        self.em_aberto: list[Ordem] = []  # in order of arrival
        self.totais: dict[str, list[int]] = {p: [] for p, _ in PRIORIDADES}
        self.trabalho: dict[int, int | None] = {m: None for m in self.mecanicos}  # -> OS
        self.presentes: set[int] = set(self.mecanicos)
        self.dia_atual: int | None = None
        self.limite_chegadas = self._minuto(self.epoch + timedelta(days=self.total_dias - 5))
        self._alvo: set[int] | None = None  # a fork stops once these OS numbers are finished

    # --- the minute calendar ---------------------------------------------------------------

    def _minutos_abertos(self) -> list[int]:
        abertos = []
        for d in range(self.total_dias):
            dia = self.p.inicio + timedelta(days=d)
            if dia in self.p.feriados:
                continue
            meia_noite = self._minuto(datetime.combine(dia, datetime.min.time(), tzinfo=self.fuso))
            for ini, fim in self.p.tabela[dia.weekday()]:
                abertos.extend(range(meia_noite + ini, meia_noite + fim))
        return abertos

    def _minuto(self, instante: datetime) -> int:
        return int((instante - self.epoch).total_seconds() // 60)

    def instante(self, minuto: int) -> datetime:
        return (self.epoch + timedelta(minutes=minuto)).astimezone(UTC)

    def _proximo_aberto(self, minuto: int) -> int:
        """The first open minute at or after `minuto` (people act when the shop is open)."""
        k = bisect.bisect_left(self.abertos, minuto)
        return self.abertos[min(k, len(self.abertos) - 1)]

    def _registrado(self, minuto: int, atraso: int) -> int:
        """When something that happens at `minuto` is recorded: then if the shop is open, else
        `atraso` minutes after it opens."""
        aberto = self._proximo_aberto(minuto)
        return aberto if aberto == minuto else aberto + atraso

    def _respondido(self, fim: int, resposta: int, atraso: int) -> int:
        """When the answer to a budget sent at `fim` is recorded: `resposta` later, at any hour
        (recorded `atraso` after opening when it came while closed), or `resposta` working
        minutes later where the customers answer within the shop's hours."""
        if self.p.resposta_no_expediente:
            return self._somar_uteis(fim, resposta)
        return self._registrado(fim + resposta, atraso)

    def _uteis(self, de: int, ate: int) -> int:
        return bisect.bisect_left(self.abertos, ate) - bisect.bisect_left(self.abertos, de)

    def _somar_uteis(self, minuto: int, uteis: float) -> int:
        k = bisect.bisect_left(self.abertos, minuto)
        return self.abertos[min(k + int(math.ceil(uteis)), len(self.abertos) - 1)]

    # --- the shop's people -----------------------------------------------------------------

    def _taxa(self, minuto: int) -> float:
        """Arrivals per minute: busy Monday mornings, quiet afternoons and Saturdays."""
        local = self.epoch + timedelta(minutes=minuto)
        dia = (1.3, 1.0, 1.0, 1.0, 1.05, 0.8, 0.0)[local.weekday()]
        hora = local.hour
        perfil = 1.9 if hora < 10 else 1.0 if hora < 12 else 0.8 if hora < 15 else 0.5
        return self.p.chegadas_por_hora * dia * perfil / 60

    def _plano(self, prioridade: str, rng: random.Random) -> dict[str, Any]:
        """What an order of `prioridade` will need: its work (with a hold, at a point of it,
        or not), the customer's answer, a hold for parts once approved; each part drawn on
        its own, so that the oracle can redraw one alone."""
        diagnostico, pausa_diagnostico = self._obra(DIAGNOSTICO, prioridade, rng)
        reparo, pausa_reparo = self._obra(REPARO, prioridade, rng)
        resposta, registro_resposta = self._resposta(rng)
        return {
            "diagnostico": diagnostico,
            "reparo": reparo,
            "resposta": resposta,
            "registro_resposta": registro_resposta,
            "pausa_diagnostico": pausa_diagnostico,
            "pausa_reparo": pausa_reparo,
            "pausa_aprovada": self._pecas(rng) if rng.random() < self.p.pausa_aprovada else None,
            "registro_pausa": rng.randint(0, 60),
        }

    def _obra(
        self, obra: Obra, prioridade: str, rng: random.Random, total: int | None = None
    ) -> tuple[int, tuple[int, int] | None]:
        """A piece of work (working minutes; `total` when known) and its hold, if one comes:
        (working minutes into the work, wall minutes)."""
        if total is None:
            mediana = getattr(self.p, f"{obra.campo}_mediana")[RANK[prioridade]]
            sorteio = rng.lognormvariate(math.log(mediana), getattr(self.p, f"{obra.campo}_sigma"))
            total = max(obra.minimo, int(min(sorteio, 2400)))
        if rng.random() >= getattr(self.p, f"pausa_{obra.campo}"):
            return total, None
        ponto = int(total * rng.uniform(obra.ponto_min, obra.ponto_max))
        return total, (ponto, obra.duracao(self, rng))

    def _resposta(self, rng: random.Random) -> tuple[int, int]:
        """Wall minutes until the customer answers the budget, and the minutes after opening
        it is recorded when it comes while closed."""
        if rng.random() < self.p.resposta_balcao:
            resposta = rng.randint(2, 20)
        else:
            mediana = math.log(self.p.resposta_mediana_h * 60)
            resposta = int(rng.lognormvariate(mediana, self.p.resposta_sigma))
        return resposta, rng.randint(0, 60)

    def _pecas(self, rng: random.Random) -> int:
        """Wall minutes of a hold for parts."""
        return int(rng.lognormvariate(math.log(self.p.pecas_mediana_h * 60), 0.7))

    def _cliente(self, rng: random.Random) -> int:
        """Wall minutes of a customer's hold in the diagnosis (hours)."""
        return int(rng.lognormvariate(math.log(3 * 60), 0.8))

    def _nova(self, minuto: int) -> None:
        rng = self.rng
        prioridade = rng.choices([p for p, _ in PRIORIDADES], [w for _, w in PRIORIDADES])[0]
        plano = self._plano(prioridade, rng)
        promessa = None
        if rng.random() < 0.85:
            recentes = self.totais[prioridade][-100:]
            tipico = (
                statistics.median(recentes)
                if len(recentes) >= 10
                else (PROMESSA_HORAS[prioridade] * 60)
            )
            fim = self._somar_uteis(minuto, tipico * (1 + rng.uniform(*FOLGA)))
            promessa = self._proximo_aberto(int(math.ceil(fim / 30) * 30))  # on the half hour
        ordem = Ordem(PRIMEIRA_OS + len(self.ordens), prioridade, minuto, promessa, **plano)
        ordem.marcos["dta_criacao"] = minuto
        self.ordens.append(ordem)
        self.em_aberto.append(ordem)

    def _agendar(self, minuto: int, tipo: str, indice: int) -> None:
        self.seq += 1
        heapq.heappush(self.eventos, (minuto, self.seq, tipo, indice))

    # --- the run ---------------------------------------------------------------------------

    def rodar(self, fotos: list[int]) -> None:
        """Simulate; take a snapshot at each minute of `fotos` (open minutes)."""
        fotos = sorted(fotos)
        proxima_foto = 0
        for k, minuto in enumerate(self.abertos):
            self._chegam(minuto)
            while proxima_foto < len(fotos) and fotos[proxima_foto] <= minuto:
                self._foto(k, minuto)
                proxima_foto += 1
            self._trabalham(minuto)

    def _chegam(self, minuto: int) -> None:
        """The first half of a minute: a new day's absences, timed events (answers and ends of
        holds, acted on at the first open minute), arrivals."""
        dia = minuto // 1440
        if dia != self.dia_atual:
            self.dia_atual = dia
            self.presentes = {m for m in self.mecanicos if self.rng.random() >= self.p.ausencia}
        while self.eventos and self.eventos[0][0] <= minuto:
            _, _, tipo, indice = heapq.heappop(self.eventos)
            self._evento(tipo, self.ordens[indice], minuto)
        if minuto < self.limite_chegadas:
            for _ in range(self._poisson(self._taxa(minuto))):
                self._nova(minuto)

    def _trabalham(self, minuto: int) -> None:
        """The second half: free mechanics take the first ready orders in the board's order,
        then a minute of work."""
        livres = [m for m in self.mecanicos if m in self.presentes and self.trabalho[m] is None]
        if livres:
            fila = sorted(
                (o for o in self.em_aberto if o.pronta),
                key=lambda o: (RANK[o.prioridade], o.criada, o.os),
            )
            for m, ordem in zip(livres, fila, strict=False):
                self._comecar(ordem, m, minuto)
                self.trabalho[m] = ordem.os
        for m in self.mecanicos:
            os = self.trabalho[m]
            if m not in self.presentes or os is None:
                continue
            ordem = self.ordens[os - PRIMEIRA_OS]
            ordem.feito += 1
            if self._trabalhar(ordem, minuto + 1):
                self.trabalho[m] = None

    def _poisson(self, taxa: float) -> int:
        n, limite, produto = 0, math.exp(-taxa), self.rng.random()
        while produto > limite:
            n += 1
            produto *= self.rng.random()
        return n

    def _comecar(self, ordem: Ordem, mecanico: int, minuto: int) -> None:
        ordem.pronta = False
        ordem.mecanico = mecanico
        if ordem.etapa == "aguardando_diagnostico":
            ordem.etapa = "em_diagnostico"
            ordem.marcos["dta_inicio_diagnostico"] = minuto
        elif ordem.etapa == "pronta_para_reparo":
            ordem.etapa = "em_reparo"
            ordem.marcos["dta_inicio_reparo"] = minuto
        # else: back to work held before (em_diagnostico / em_reparo)

    def _trabalhar(self, ordem: Ordem, minuto: int) -> bool:
        """After a minute of work: True when the mechanic is free again."""
        diagnosticando = ordem.etapa == "em_diagnostico"
        pausa = ordem.pausa_diagnostico if diagnosticando else ordem.pausa_reparo
        total = ordem.diagnostico if diagnosticando else ordem.reparo
        if pausa and ordem.feito == pausa[0]:
            ordem.pontos[ordem.etapa] = ordem.feito
            self._pausar(ordem, minuto, pausa[1])
            if diagnosticando:
                ordem.pausa_diagnostico = None
            else:
                ordem.pausa_reparo = None
            return True
        if ordem.feito < total:
            return False
        ordem.feito = 0
        if diagnosticando:
            ordem.marcos["dta_fim_diagnostico"] = minuto
            ordem.etapa = "aguardando_aprovacao"
            resposta = self._respondido(minuto, ordem.resposta, ordem.registro_resposta)
            self._agendar(resposta, "aprovacao", ordem.os - PRIMEIRA_OS)
        else:
            ordem.marcos["dta_fim_reparo"] = minuto
            self.totais[ordem.prioridade].append(self._uteis(ordem.criada, minuto))
            ordem.etapa = "finalizada"
            self.em_aberto.remove(ordem)
            if self._alvo is not None:
                self._alvo.discard(ordem.os)
        return True

    def _pausar(self, ordem: Ordem, minuto: int, duracao: int) -> None:
        ordem.pronta = False
        ordem.pausa_desde = minuto
        fim = self._registrado(minuto + duracao, ordem.registro_pausa)
        self._agendar(fim, "retomar", ordem.os - PRIMEIRA_OS)

    def _evento(self, tipo: str, ordem: Ordem, minuto: int) -> None:
        if tipo == "aprovacao":
            ordem.marcos["dta_aprovacao_orcamento"] = minuto
            ordem.etapa = "pronta_para_reparo"
            if ordem.pausa_aprovada:
                self._pausar(ordem, minuto, ordem.pausa_aprovada)
                ordem.pausa_aprovada = None
            else:
                ordem.pronta = True
        elif tipo == "retomar":
            assert ordem.pausa_desde is not None
            ordem.pausas.append((ordem.pausa_desde, minuto, ordem.etapa))
            ordem.pausa_desde = None
            ordem.pronta = True

    # --- the oracle: the shop run again from a snapshot --------------------------------------

    def futuros(
        self,
        foto: int,
        execucoes: int,
        conhecidos: frozenset[str] = frozenset(),
        semente: int | None = 0,
    ) -> dict[int, list[int | None]]:
        """Run the shop again from snapshot `foto`, `execucoes` times: each run redraws what
        nobody could know then (the open orders' plans, except the parts in `conhecidos`,
        given what the snapshot shows of them; the arrivals and absences of the days after
        the snapshot's), keeps what was known (the state, who came to work that day). Returns
        the minute each open order finished in each run (None: not within the simulation).
        Knowing everything and with `semente=None`, the one run replays what happened."""
        estado = self.estados[foto]
        fins: dict[int, list[int | None]] = {o.os: [] for o in estado.abertas}
        for r in range(execucoes):
            rng = random.Random(f"{self.p.semente}:{semente}:{foto}:{r}")
            if semente is None:
                rng.setstate(estado.aleatorio)
            copia = self._bifurcar(estado, rng, conhecidos)
            copia._continuar(estado.k)
            for os in fins:
                fins[os].append(copia.ordens[os - PRIMEIRA_OS].marcos.get("dta_fim_reparo"))
        return fins

    def _estado(self, k: int, minuto: int) -> Estado:
        abertas = copy.deepcopy(self.em_aberto)
        return Estado(
            k, minuto, len(self.ordens), abertas, list(self.eventos), self.seq,
            dict(self.trabalho), set(self.presentes), self.dia_atual, self.rng.getstate(),
        )  # fmt: skip

    def _bifurcar(
        self, estado: Estado, rng: random.Random, conhecidos: frozenset[str]
    ) -> Simulador:
        copia = copy.copy(self)
        copia.rng = rng
        copia.ordens = self.ordens[: estado.criadas]  # the finished ones are never changed
        copia.seq = estado.seq
        copia.trabalho = dict(estado.trabalho)
        copia.presentes = set(estado.presentes)
        copia.dia_atual = estado.dia_atual
        copia.totais = {p: v[-100:] for p, v in self.totais.items()}
        copia.fotos, copia.estados = [], []
        pendentes = {indice: (minuto, tipo) for minuto, _, tipo, indice in estado.eventos}
        copia.eventos, copia.em_aberto = [], []
        for original in estado.abertas:
            ordem = copy.deepcopy(original)
            indice = ordem.os - PRIMEIRA_OS
            copia.ordens[indice] = ordem
            copia.em_aberto.append(ordem)
            evento = copia._redesenhar(ordem, estado.minuto, pendentes.get(indice), conhecidos)
            if evento is not None:
                copia.eventos.append((evento[0], len(copia.eventos), evento[1], indice))
        heapq.heapify(copia.eventos)
        copia.seq = len(copia.eventos) + estado.seq
        copia._alvo = {o.os for o in estado.abertas}
        return copia

    def _continuar(self, k: int) -> None:
        """The rest of minute k (snapshots are taken between its halves), then on until every
        order in `_alvo` is finished."""
        self._trabalham(self.abertos[k])
        for minuto in self.abertos[k + 1 :]:
            if not self._alvo:
                return
            self._chegam(minuto)
            self._trabalham(minuto)

    def _redesenhar(
        self, ordem: Ordem, agora: int, evento: tuple[int, str] | None,
        conhecidos: frozenset[str],
    ) -> tuple[int, str] | None:  # fmt: skip
        """Redraw `ordem`'s plan, except the parts in `conhecidos`, given what is seen at
        minute `agora`: the work not done yet, its hold not reached yet (or reached at the
        work done then), the customer not answered yet, a hold running still running. The
        parts are independent, so each is drawn on its own until it agrees (rejection: the
        exact conditional draw). Returns the pending event (answer or end of hold), moved to
        the new plan."""
        if conhecidos >= TUDO:
            return evento
        rng = self.rng
        atual = _ETAPAS.index(ordem.etapa)
        plano = self._plano(ordem.prioridade, rng)
        for parte in conhecidos:
            for campo in _CAMPOS[parte]:
                plano[campo] = getattr(ordem, campo)
        for obra in (DIAGNOSTICO, REPARO):
            pausa = f"pausa_{obra.campo}"
            if atual > _ETAPAS.index(obra.etapa):  # done: as it was
                plano[obra.campo], plano[pausa] = getattr(ordem, obra.campo), None
            elif atual == _ETAPAS.index(obra.etapa):
                plano[obra.campo], plano[pausa] = self._obra_em_curso(ordem, obra, conhecidos)
        if atual >= _ETAPAS.index("pronta_para_reparo"):
            plano["pausa_aprovada"] = None  # drawn at the approval: begun or not
        if evento is not None:
            minuto, tipo = evento
            if tipo == "aprovacao" and RESPOSTA not in conhecidos:
                fim = ordem.marcos["dta_fim_diagnostico"]
                plano["resposta"], plano["registro_resposta"] = _ate(
                    lambda: self._resposta(rng),
                    lambda r: self._respondido(fim, r[0], r[1]) > agora,
                )
                minuto = self._respondido(fim, plano["resposta"], plano["registro_resposta"])
            elif tipo == "retomar" and PAUSAS not in conhecidos:
                desde = ordem.pausa_desde
                assert desde is not None
                obra = DIAGNOSTICO if ordem.etapa == DIAGNOSTICO.etapa else REPARO
                duracao, plano["registro_pausa"] = _ate(
                    lambda: (obra.duracao(self, rng), rng.randint(0, 60)),
                    lambda d: self._registrado(desde + d[0], d[1]) > agora,
                )
                minuto = self._registrado(desde + duracao, plano["registro_pausa"])
            evento = (minuto, tipo)
        for campo, valor in plano.items():
            setattr(ordem, campo, valor)
        return evento

    def _obra_em_curso(
        self, ordem: Ordem, obra: Obra, conhecidos: frozenset[str]
    ) -> tuple[int, tuple[int, int] | None]:
        """The work under way and the hold still to come in it, given that `ordem.feito`
        minutes are done and it has not ended. A hold begun in it began at the work done then
        (`pontos`), and none comes after it; a hold planned and known is at a point still
        ahead. A hold's point is a uniform share of the work, so a drawn length is kept with
        the likelihood of that point (_verossimilhanca)."""
        rng, feito = self.rng, ordem.feito
        total = getattr(ordem, obra.campo) if TRABALHO in conhecidos else None
        if ordem.segurada_em(obra.etapa):
            ponto, futura = ordem.pontos[obra.etapa], None
        elif PAUSAS in conhecidos:
            futura = getattr(ordem, f"pausa_{obra.campo}")
            ponto = futura[0] if futura else None
        else:  # neither begun nor known: the work and its hold drawn together
            return _ate(
                lambda: self._obra(obra, ordem.prioridade, rng, total),
                lambda o: o[0] > feito and (o[1] is None or o[1][0] > feito),
            )
        if total is not None:
            return total, futura

        def aceitar(t: int) -> bool:
            return t > feito and (ponto is None or rng.random() < _verossimilhanca(obra, ponto, t))

        return _ate(lambda: self._obra(obra, ordem.prioridade, rng)[0], aceitar), futura

    # --- what the app would hold -------------------------------------------------------------

    def _foto(self, k: int, minuto: int) -> None:
        abertas = [o for o in self.ordens if "dta_fim_reparo" not in o.marcos]
        self.fotos.append({
            "instante": self.instante(minuto),
            "mecanicos": sorted(self.mecanicos),  # the active ones: absences are not known
            "ordens": [self.documento(o, minuto) for o in abertas],
        })  # fmt: skip
        self.estados.append(self._estado(k, minuto))

    def documento(self, ordem: Ordem, ate: int | None = None) -> dict[str, Any]:
        """The queue item as the app stores it, as it was at minute `ate` (now if None)."""
        marcos = {k: v for k, v in ordem.marcos.items() if ate is None or v <= ate}
        status = {
            "em_diagnostico": "EM_DIAGNOSTICO", "em_reparo": "EM_REPARO",
        }.get(_etapa(marcos), "AGUARDANDO")  # fmt: skip
        if "dta_fim_reparo" in marcos:
            status = "FINALIZADA"
        pausas_s: dict[str, float] = {}
        for ini, fim, etapa in ordem.pausas:
            if ate is None or fim <= ate:
                pausas_s[etapa] = pausas_s.get(etapa, 0.0) + (fim - ini) * 60.0
        pausa = None
        em_pausa = [
            (ini, etapa) for ini, fim, etapa in ordem.pausas if ate is not None and ini <= ate < fim
        ]
        if ordem.pausa_desde is not None and (ate is None or ordem.pausa_desde <= ate):
            em_pausa.append((ordem.pausa_desde, ordem.etapa))
        if em_pausa:
            desde, etapa = em_pausa[0]
            pausa = {"motivo": _motivo(etapa), "desde": self.instante(desde)}
        return {
            "ordem_servico_id": ordem.os,
            "prioridade": ordem.prioridade,
            "status": status,
            "orcamento_aprovado": "dta_aprovacao_orcamento" in marcos,
            "mecanico_responsavel_id": ordem.mecanico
            if "dta_inicio_diagnostico" in marcos
            else None,
            **{k: self.instante(v) for k, v in marcos.items()},
            "previsao_entrega": self.instante(ordem.promessa) if ordem.promessa else None,
            "pausa": pausa,
            "pausas_s": pausas_s,
        }

    def esperas(self, os: int, ate: datetime) -> list[dict[str, Any]]:
        """The holds of order `os` begun by `ate`, as the board records them: the reason
        (the customer's in a diagnosis, parts elsewhere), the start, the end (None: still on
        hold then); in order. What puts the order on hold and back in the real app."""
        ordem = self.ordens[os - PRIMEIRA_OS]
        limite = self._minuto(ate)
        todas: list[tuple[int, int | None, str]] = list(ordem.pausas)
        if ordem.pausa_desde is not None:
            todas.append((ordem.pausa_desde, None, ordem.etapa))
        return [
            {
                "motivo": _motivo(etapa),
                "desde": self.instante(ini),
                "ate": self.instante(fim) if fim is not None and fim <= limite else None,
            }
            for ini, fim, etapa in sorted(todas, key=lambda p: p[0])
            if ini <= limite
        ]

    def finalizada_em(self, os: int) -> datetime | None:
        ordem = self.ordens[os - PRIMEIRA_OS]
        fim = ordem.marcos.get("dta_fim_reparo")
        return self.instante(fim) if fim is not None else None

    def finalizadas_ate(self, limite: datetime) -> Iterator[Ordem]:
        corte = self._minuto(limite)
        for ordem in self.ordens:
            if ordem.marcos.get("dta_fim_reparo", corte + 1) <= corte:
                yield ordem

    def minutos_para_fotos(self, quantas: int, de_dia: int, ate_dia: int) -> list[int]:
        """`quantas` open minutes drawn uniformly between two days."""
        rng = random.Random(self.p.semente + 1)
        inicio, fim = de_dia * 1440, ate_dia * 1440
        candidatos = [m for m in self.abertos if inicio <= m < fim]
        return sorted(rng.sample(candidatos, quantas))


_ETAPAS = (
    "aguardando_diagnostico", "em_diagnostico", "aguardando_aprovacao", "pronta_para_reparo",
    "em_reparo", "finalizada",
)  # fmt: skip


def _motivo(etapa: str) -> str:
    """A hold's reason on the board (MotivoPausa): the customer's in a diagnosis, parts
    elsewhere."""
    return "aguardando_cliente" if etapa == "em_diagnostico" else "aguardando_pecas"


def _etapa(marcos: dict[str, int]) -> str:
    if "dta_inicio_reparo" in marcos:
        return "em_reparo"
    if "dta_aprovacao_orcamento" in marcos:
        return "pronta_para_reparo"
    if "dta_fim_diagnostico" in marcos:
        return "aguardando_aprovacao"
    if "dta_inicio_diagnostico" in marcos:
        return "em_diagnostico"
    return "aguardando_diagnostico"


def _ate(sortear: Callable[[], Any], aceitar: Callable[[Any], bool]) -> Any:
    """Draw until accepted (rejection sampling)."""
    for _ in range(TENTATIVAS):
        valor = sortear()
        if aceitar(valor):
            return valor
    raise RuntimeError("no draw agrees with the snapshot")


def _verossimilhanca(obra: Obra, ponto: int, total: int) -> float:
    """How likely a hold of `obra` falls at minute `ponto` of a work of `total` minutes
    (int(total x U(ponto_min, ponto_max)) == ponto), scaled to at most 1: the share of the
    uniform that lands there, times ponto / ponto_max (1 / total is below ponto_max / ponto
    wherever the share is not zero)."""
    dentro = min((ponto + 1) / total, obra.ponto_max) - max(ponto / total, obra.ponto_min)
    return max(dentro, 0.0) * ponto / obra.ponto_max
