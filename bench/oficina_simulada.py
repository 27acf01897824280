"""A simulated repair shop, to score the forecast against what then happened (`make
bench-previsao`; bench/previsao.py).

Written here, not on simpy: the shop is a loop over its open minutes (about 60,000 in 145 days)
with a heap of timed events, which is short and keeps every rule in view. It shares no code with
webapp/previsao (its own minute calendar, its own queue), so the forecast is checked against an
independent model of the shop, not against itself.

The shop:
- opening hours seg-sex 08:00-12:00 13:00-18:00, sab 08:00-12:00, a few holidays, São Paulo time;
- four mechanics, each absent on about 1 day in 20 (the whole day);
- arrivals by hour and weekday (busy Monday mornings, quiet afternoons and Saturdays), a mix of
  priorities (5 % URGENTE, 20 % ALTA, 60 % NORMAL, 15 % BAIXA);
- heavy-tailed stage times (log-normal diagnosis and repair, longer for lower priorities);
- the customer's answer to the budget: a quarter at once (at the counter), the rest after hours
  or days (log-normal, wall clock), recorded when the shop is open;
- holds: parts for 18 % of repairs (at a random point of the work) and for 7 % of approved
  orders waiting for a mechanic, lasting days (log-normal, wall clock); a customer's hold in 3 %
  of diagnoses, lasting hours. The mechanic is free during a hold; after it the order queues
  again (in the board's order) for whichever mechanic is free;
- mechanics take the first ready order in the board's order: priority, then arrival;
- the advisor types a promise at check-in for most orders: the median total (working hours) of
  the last orders of that priority, plus a buffer of 0-40 %, never updated.

It writes the app's own data: finished orders as the documents the indicators' CSV export reads
(`documentos_finalizados`), and snapshots of the open orders (the stored fields of each item)
at chosen instants, with when each one really finished.
"""

from __future__ import annotations

import bisect
import heapq
import math
import random
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

FUSO = "America/Sao_Paulo"
# The same hours in two forms: the settings' text (for the forecast) and the simulator's own
# table of minutes since midnight per weekday (Monday first).
HORARIO = "seg-sex 08:00-12:00 13:00-18:00; sab 08:00-12:00"
_HORAS = ((480, 720), (780, 1080))
TABELA = (_HORAS, _HORAS, _HORAS, _HORAS, _HORAS, ((480, 720),), ())
PRIORIDADES = (("URGENTE", 0.05), ("ALTA", 0.20), ("NORMAL", 0.60), ("BAIXA", 0.15))
RANK = {p: i for i, (p, _) in enumerate(PRIORIDADES)}
# Log-normal medians (working minutes) of the work, per priority.
DIAGNOSTICO_MEDIANA = {"URGENTE": 35, "ALTA": 40, "NORMAL": 45, "BAIXA": 50}
REPARO_MEDIANA = {"URGENTE": 100, "ALTA": 130, "NORMAL": 150, "BAIXA": 180}
# The advisor's promise: the median total of the last orders of that priority (working hours;
# these until there are some), plus a buffer.
PROMESSA_HORAS = {"URGENTE": 8, "ALTA": 12, "NORMAL": 16, "BAIXA": 22}
FOLGA = (0.0, 0.4)  # the buffer, a share of the median, drawn per order
PRIMEIRA_OS = 50_001
MECANICOS = {101: "Marcos", 102: "Paulo", 103: "Rita", 104: "Sérgio"}


@dataclass
class Parametros:
    inicio: date = date(2026, 3, 2)  # a Monday
    dias: int = 120  # the history (90 days) and the 30 days of snapshots
    escoamento: int = 30  # more days, so that what was open at the last snapshot finishes
    feriados: tuple[date, ...] = (date(2026, 4, 3), date(2026, 4, 21), date(2026, 5, 1),
                                  date(2026, 6, 4))  # fmt: skip
    chegadas_por_hora: float = 0.72  # mean over the open hours
    ausencia: float = 0.05
    # Holds: parts in the repair and for an approved car, the customer's in the diagnosis.
    pausa_reparo: float = 0.12
    pausa_aprovada: float = 0.05
    pausa_diagnostico: float = 0.03
    semente: int = 7

    @property
    def feriados_texto(self) -> str:
        return ", ".join(d.isoformat() for d in self.feriados)


@dataclass
class Ordem:
    os: int
    prioridade: str
    criada: int  # minutes since the simulation's epoch (wall clock)
    diagnostico: int  # working minutes of work
    reparo: int
    promessa: int | None
    # Holds planned: (stage, working minutes into the work (service stages), wall minutes)
    pausa_diagnostico: tuple[int, int] | None = None
    pausa_reparo: tuple[int, int] | None = None
    pausa_aprovada: int | None = None
    marcos: dict[str, int] = field(default_factory=dict)
    pausas: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, stage)
    pausa_desde: int | None = None
    etapa: str = "aguardando_diagnostico"
    mecanico: int | None = None
    feito: int = 0  # working minutes done of the current work
    pronta: bool = True  # ready for a mechanic (not on hold, not waiting for the customer)


class Simulador:
    def __init__(self, parametros: Parametros | None = None) -> None:
        self.p = parametros or Parametros()
        self.rng = random.Random(self.p.semente)
        self.fuso = ZoneInfo(FUSO)
        self.epoch = datetime.combine(self.p.inicio, datetime.min.time(), tzinfo=self.fuso)
        self.total_dias = self.p.dias + self.p.escoamento
        self.abertos = self._minutos_abertos()
        self.ordens: list[Ordem] = []
        self.eventos: list[tuple[int, int, str, int]] = []  # (minute, seq, kind, order index)
        self.seq = 0
        self.fotos: list[dict[str, Any]] = []
        self._primeira_aberta = 0
        self.totais: dict[str, list[int]] = {p: [] for p, _ in PRIORIDADES}

    # --- the minute calendar ---------------------------------------------------------------

    def _minutos_abertos(self) -> list[int]:
        abertos = []
        for d in range(self.total_dias):
            dia = self.p.inicio + timedelta(days=d)
            if dia in self.p.feriados:
                continue
            meia_noite = self._minuto(datetime.combine(dia, datetime.min.time(), tzinfo=self.fuso))
            for ini, fim in TABELA[dia.weekday()]:
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

    def _nova(self, minuto: int) -> None:
        rng = self.rng
        prioridade = rng.choices([p for p, _ in PRIORIDADES], [w for _, w in PRIORIDADES])[0]
        diag = max(5, int(rng.lognormvariate(math.log(DIAGNOSTICO_MEDIANA[prioridade]), 0.6)))
        reparo = rng.lognormvariate(math.log(REPARO_MEDIANA[prioridade]), 0.9)
        reparo = max(10, int(min(reparo, 2400)))
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
        ordem = Ordem(PRIMEIRA_OS + len(self.ordens), prioridade, minuto, diag, reparo, promessa)
        if rng.random() < self.p.pausa_diagnostico:
            ordem.pausa_diagnostico = (int(diag * rng.uniform(0.2, 0.8)), self._duracao_cliente())
        if rng.random() < self.p.pausa_reparo:
            ordem.pausa_reparo = (int(reparo * rng.uniform(0.1, 0.7)), self._duracao_pecas())
        if rng.random() < self.p.pausa_aprovada:
            ordem.pausa_aprovada = self._duracao_pecas()
        ordem.marcos["dta_criacao"] = minuto
        self.ordens.append(ordem)

    def _duracao_pecas(self) -> int:
        return int(self.rng.lognormvariate(math.log(36 * 60), 0.7))

    def _duracao_cliente(self) -> int:
        return int(self.rng.lognormvariate(math.log(3 * 60), 0.8))

    def _resposta(self) -> int:
        """Wall minutes until the customer answers the budget."""
        if self.rng.random() < 0.25:
            return self.rng.randint(2, 20)
        return int(self.rng.lognormvariate(math.log(4 * 60), 1.2))

    def _agendar(self, minuto: int, tipo: str, indice: int) -> None:
        self.seq += 1
        heapq.heappush(self.eventos, (minuto, self.seq, tipo, indice))

    # --- the run ---------------------------------------------------------------------------

    def rodar(self, fotos: list[int]) -> None:
        """Simulate; take a snapshot at each minute of `fotos` (open minutes)."""
        fotos = sorted(fotos)
        mecanicos = list(MECANICOS)
        trabalho: dict[int, int | None] = {m: None for m in mecanicos}  # mechanic -> order
        presentes: set[int] = set(mecanicos)
        dia_atual = None
        limite_chegadas = self._minuto(self.epoch + timedelta(days=self.total_dias - 5))
        proxima_foto = 0
        for minuto in self.abertos:
            dia = minuto // 1440
            if dia != dia_atual:
                dia_atual = dia
                presentes = {m for m in mecanicos if self.rng.random() >= self.p.ausencia}
            # Timed events: answers and ends of holds (acted on at the first open minute).
            while self.eventos and self.eventos[0][0] <= minuto:
                _, _, tipo, indice = heapq.heappop(self.eventos)
                self._evento(tipo, self.ordens[indice], minuto)
            if minuto < limite_chegadas:
                taxa = self._taxa(minuto)
                for _ in range(self._poisson(taxa)):
                    self._nova(minuto)
            while proxima_foto < len(fotos) and fotos[proxima_foto] <= minuto:
                self._foto(minuto, presentes)
                proxima_foto += 1
            # Free mechanics take the first ready order in the board's order.
            livres = [m for m in mecanicos if m in presentes and trabalho[m] is None]
            if livres:
                fila = sorted(
                    (i for i, o in enumerate(self._abertas()) if o.pronta),
                    key=lambda i: (RANK[self._aberta[i].prioridade], self._aberta[i].criada, i),
                )
                for m, i in zip(livres, fila, strict=False):
                    self._comecar(self._aberta[i], m, minuto)
                    trabalho[m] = self._aberta[i].os
            # A minute of work.
            for m in mecanicos:
                if m not in presentes or trabalho[m] is None:
                    continue
                ordem = self.ordens[trabalho[m] - PRIMEIRA_OS]
                ordem.feito += 1
                if self._trabalhar(ordem, minuto + 1):
                    trabalho[m] = None

    _aberta: list[Ordem]

    def _abertas(self) -> list[Ordem]:
        self._aberta = [o for o in self.ordens[self._primeira_aberta :] if o.etapa != "finalizada"]
        while (
            self._primeira_aberta < len(self.ordens)
            and self.ordens[self._primeira_aberta].etapa == "finalizada"
        ):
            self._primeira_aberta += 1
        return self._aberta

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
        if ordem.etapa == "em_diagnostico":
            pausa, total = ordem.pausa_diagnostico, ordem.diagnostico
        else:
            pausa, total = ordem.pausa_reparo, ordem.reparo
        if pausa and ordem.feito == pausa[0]:
            self._pausar(ordem, minuto, pausa[1])
            if ordem.etapa == "em_diagnostico":
                ordem.pausa_diagnostico = None
            else:
                ordem.pausa_reparo = None
            return True
        if ordem.feito < total:
            return False
        ordem.feito = 0
        if ordem.etapa == "em_diagnostico":
            ordem.marcos["dta_fim_diagnostico"] = minuto
            ordem.etapa = "aguardando_aprovacao"
            resposta = minuto + self._resposta()
            self._agendar(self._proximo_aberto(resposta) + self._atraso_registro(resposta),
                          "aprovacao", ordem.os - PRIMEIRA_OS)  # fmt: skip
        else:
            ordem.marcos["dta_fim_reparo"] = minuto
            self.totais[ordem.prioridade].append(self._uteis(ordem.criada, minuto))
            ordem.etapa = "finalizada"
        return True

    def _atraso_registro(self, minuto: int) -> int:
        """An answer that came while closed is recorded some time after opening."""
        return 0 if self._proximo_aberto(minuto) == minuto else self.rng.randint(0, 60)

    def _pausar(self, ordem: Ordem, minuto: int, duracao: int) -> None:
        ordem.pronta = False
        ordem.pausa_desde = minuto
        fim = minuto + duracao
        fim = self._proximo_aberto(fim) + self._atraso_registro(fim)
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

    # --- what the app would hold -------------------------------------------------------------

    def _foto(self, minuto: int, presentes: set[int]) -> None:
        abertas = [o for o in self.ordens if "dta_fim_reparo" not in o.marcos]
        self.fotos.append({
            "instante": self.instante(minuto),
            "mecanicos": sorted(MECANICOS),  # the active ones: the app cannot know who is absent
            "ordens": [self.documento(o, minuto) for o in abertas],
        })  # fmt: skip

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
        em_pausa = [ini for ini, fim, _ in ordem.pausas if ate is not None and ini <= ate < fim]
        if ordem.pausa_desde is not None and (ate is None or ordem.pausa_desde <= ate):
            em_pausa.append(ordem.pausa_desde)
        if em_pausa:
            pausa = {"motivo": "aguardando_pecas", "desde": self.instante(em_pausa[0])}
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
