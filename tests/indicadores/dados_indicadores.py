"""A known set of orders with fixed timestamps for the indicators' and the export's tests, loaded
through the service (FilaService with `instante=`) into the real mongod."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask

from webapp.components import componente
from webapp.fila.domain import Acao, Ator, MotivoPausa, Papel, Prioridade
from webapp.fila.service import FilaService
from webapp.pessoas.repository import PessoasRepository

GERENTE = Ator("gerente", Papel.GERENTE)
OS_SERVICO = Ator("os", Papel.SERVICO)
# The period of the dataset, in the shop's zone (America/Sao_Paulo, UTC-3 all year).
PERIODO = {"periodo": "personalizado", "de": "2026-03-01", "ate": "2026-03-07"}


def carregar(
    fila: FilaService,
    os_id: int,
    prioridade: str,
    mecanico: int,
    fim: datetime,
    minutos: tuple[int, int, int, int, int],
    pausas=(),
    aprovar_no_reparo=False,
    extras=None,
    promessas=(),
):
    """A finished order whose five waits/steps took `minutos` (raw, holds included), ending at
    `fim`. `pausas`: (stage index, minutes after that stage began, minutes on hold, ended by
    "retomar" or by the next step[, reason: waiting for parts when left out]). `promessas`:
    (instant, new promise) a manager adopted ("Prometer"), in their place among the steps."""
    inicio = fim - timedelta(minutes=sum(minutos))
    marcos = [inicio]
    for m in minutos:
        marcos.append(marcos[-1] + timedelta(minutes=m))
    item = fila.adicionar(os_id, GERENTE, Prioridade(prioridade), extras, instante=marcos[0])
    i = item["_id"]
    passos = [
        (Acao.INICIAR_DIAGNOSTICO, {"mecanico_responsavel_id": mecanico}, GERENTE),
        (Acao.FINALIZAR_DIAGNOSTICO, {"diagnostico": "Peça gasta"}, GERENTE),
        (Acao.APROVAR_ORCAMENTO, {}, GERENTE),
        (Acao.INICIAR_REPARO, {}, GERENTE),
        (Acao.FINALIZAR_REPARO, {}, GERENTE),
    ]
    if aprovar_no_reparo:  # the OS service starts the repair and the approval is recorded then
        passos[2:4] = [(Acao.INICIAR_REPARO, {}, OS_SERVICO)]
        marcos = [*marcos[:3], marcos[4], marcos[5]]
    promessas = sorted(promessas)
    for n, (acao, dados, ator) in enumerate(passos):
        while promessas and promessas[0][0] < marcos[n + 1]:
            em, promessa = promessas.pop(0)
            fila.adotar_previsao(i, promessa, GERENTE, instante=em)
        for etapa, depois, duracao, retomar, *motivo in pausas:
            if etapa == n:
                motivo = motivo[0] if motivo else MotivoPausa.AGUARDANDO_PECAS
                fila.pausar(
                    i,
                    motivo,
                    "Elevador ocupado" if motivo is MotivoPausa.OUTRO else None,
                    GERENTE,
                    instante=marcos[n] + timedelta(minutes=depois),
                )
                if retomar:
                    fila.retomar(
                        i, GERENTE, instante=marcos[n] + timedelta(minutes=depois + duracao)
                    )
        fila.executar(
            i, acao, ator, dados, instante=marcos[n + 1], aprovar_se_preciso=aprovar_no_reparo
        )
    return i


def utc(texto: str) -> datetime:
    return datetime.fromisoformat(texto).replace(tzinfo=UTC)


def carregar_conjunto(app: Flask) -> dict[str, object]:
    """Five orders finished in the period (net minutes in the comments), one just before it
    (02-28 23:00 local, already 03-01 in UTC) and one still open."""
    fila = componente(FilaService, app)
    componente(PessoasRepository, app).criar_se_faltam(
        [
            {
                "login": "marcos",
                "nome": "Marcos",
                "senha": "senha-forte",
                "papel": "mecanico",
                "funcionario_id": 101,
            },
            {
                "login": "paula",
                "nome": "Paula",
                "senha": "senha-forte",
                "papel": "mecanico",
                "funcionario_id": 102,
            },
        ]
    )
    ids = {
        # A: 10, 20, 30, 5, 60 → 125
        "A": carregar(fila, 1, "URGENTE", 101, utc("2026-03-02T15:00"), (10, 20, 30, 5, 60)),
        # B: repair 135 raw with 15 min on hold → 20, 40, 60, 10, 120 → 250
        "B": carregar(
            fila,
            2,
            "URGENTE",
            102,
            utc("2026-03-02T20:00"),
            (20, 40, 60, 10, 135),
            pausas=[(4, 30, 15, True)],
        ),
        # C: the OS service starts the repair, approving then → 30, 10, 90, 0, 30 → 160
        "C": carregar(
            fila,
            3,
            "NORMAL",
            101,
            utc("2026-03-03T12:00"),
            (30, 10, 90, 0, 30),
            aprovar_no_reparo=True,
        ),
        # D: a 20 min hold for the customer ended by the approval step
        #    → 40, 30, 120, 20, 90 → 300
        "D": carregar(
            fila,
            4,
            "NORMAL",
            101,
            utc("2026-03-05T18:00"),
            (40, 30, 140, 20, 90),
            pausas=[(2, 120, 20, False, MotivoPausa.AGUARDANDO_CLIENTE)],
        ),
        # E: 25 min on hold ("outro") waiting for diagnosis; 02:30 UTC on 03-06 is 23:30
        #    local on 03-05
        #    → 50, 60, 10, 30, 45 → 195
        "E": carregar(
            fila,
            5,
            "BAIXA",
            103,
            utc("2026-03-06T02:30"),
            (75, 60, 10, 30, 45),
            pausas=[(0, 5, 25, True, MotivoPausa.OUTRO)],
        ),
        # Outside: 02-28 23:00 local.
        "F": carregar(fila, 6, "NORMAL", 102, utc("2026-03-01T02:00"), (1, 1, 1, 1, 1)),
    }
    aberta = fila.adicionar(7, GERENTE, instante=utc("2026-03-04T12:00"))
    fila.executar(
        aberta["_id"],
        Acao.INICIAR_DIAGNOSTICO,
        GERENTE,
        {"mecanico_responsavel_id": 101},
        instante=utc("2026-03-04T12:10"),
    )
    return ids
