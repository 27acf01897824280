"""`GET /indicadores` with `Authorization: Bearer <JWT>`: the page's figures as JSON, for a
manager's token (gerente, admin) or an integration's; a mechanic's gets 403. Without a bearer
token the same address is the manager's page (routes.py)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask import Blueprint

from ..components import componentes
from ..contract import ErroApi, operacao
from ..fila.api import ator_da_chamada
from . import schemas as s
from . import service
from .domain import MENSAGEM_PROIBIDO, PODEM_VER, Figura, Grupo, PeriodoInvalido, periodo

bp = Blueprint("indicadores", __name__, url_prefix="/indicadores")

DEFINICAO_PERCENTIL = (
    "mediana_s: metade das ordens em até este tempo; p90_s: 9 em 10 ordens em até este tempo. "
    "Calculados por nearest-rank: com os n valores em ordem crescente, o percentil p é o valor "
    "na posição ceil(p·n/100) (a mediana é o percentil 50). Tempos em segundos, sem as esperas; "
    "as esperas estão em espera_s e espera_por_motivo, somadas nas ordens"
)


def autorizar() -> None:
    """A valid bearer token with the right to see the indicators (401 / 403 otherwise)."""
    if ator_da_chamada().papel not in PODEM_VER:
        raise ErroApi(403, MENSAGEM_PROIBIDO)


def _intervalos(figuras: dict[str, Figura]) -> dict[str, Any]:
    return {
        codigo: {
            "n": f.n,
            "mediana_s": f.mediana,
            "p90_s": f.p90,
            "soma_s": f.soma,
            "espera_s": f.em_espera,
            "ordens_com_espera": f.ordens_em_espera,
            "espera_por_motivo": {
                m: {"espera_s": e.segundos, "ordens": e.ordens} for m, e in f.espera.items()
            },
        }
        for codigo, f in figuras.items()
    }


def _previsao(g: Grupo) -> dict[str, int]:
    return {
        "finalizadas_com_previsao": g.com_previsao,
        "finalizadas_depois_da_previsao": g.depois_da_previsao,
    }


@operacao(
    bp,
    "GET",
    "",
    "Indicadores do período: tempos por etapa, por prioridade e por mecânico; atrasadas (gerente)",
    resposta=s.Indicadores,
    consulta=s.IndicadoresParametros,
    erros=(400, 403),
    tag="indicadores",
    rota=False,  # routes.index answers this address, and calls this with a bearer token
)
def indicadores_json(consulta: s.IndicadoresParametros) -> Any:
    c = componentes()
    try:
        p = periodo(consulta.periodo, consulta.de, consulta.ate, service.hoje(c))
    except PeriodoInvalido as erro:
        raise ErroApi(400, str(erro)) from None
    ind = service.calcular(c, p)
    inicio, fim = service.limites(c, p)
    dados = {
        "periodo": {
            "chave": p.chave, "de": p.de, "ate": p.ate,
            "inicio": inicio.astimezone(UTC), "fim": fim.astimezone(UTC),
            "fuso": c.settings.fuso_horario,
        },
        "percentil": DEFINICAO_PERCENTIL,
        "finalizadas": ind.finalizadas,
        **_previsao(ind.geral),
        "intervalos": _intervalos(ind.geral.figuras),
        "por_prioridade": [
            {"prioridade": g.chave, "finalizadas": g.finalizadas, **_previsao(g),
             "intervalos": _intervalos(g.figuras)}
            for g in ind.por_prioridade
        ],
        "por_mecanico": [
            {"mecanico_responsavel_id": g.chave, "nome": g.rotulo, "finalizadas": g.finalizadas,
             **_previsao(g), "intervalos": _intervalos(g.figuras)}
            for g in ind.por_mecanico
        ],
        "por_dia": [{"dia": dia, "finalizadas": n} for dia, n in ind.por_dia],
        "atrasadas": [
            {
                "fila_id": a.cartao.fila_id,
                "ordem_servico_id": a.cartao.ordem_servico_id,
                "placa": a.cartao.placa,
                "prioridade": a.cartao.prioridade,
                "status": a.cartao.status,
                "etapa": a.etapa,
                "mecanico_responsavel_id": a.cartao.mecanico_id,
                "segundos_na_etapa": a.cartao.segundos_etapa,
                "limite_etapa_s": a.limite_s,
                "previsao_entrega": a.item.get("previsao_entrega"),
                "motivos": a.motivos,
            }
            for a in service.atrasadas(c)
        ],
    }  # fmt: skip
    return s.Indicadores.model_validate(dados).model_dump(mode="json")
