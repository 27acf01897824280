"""The JSON answer of `GET /indicadores` (a bearer token's view of the manager's page): validated
and documented in /openapi.json with these models, like the queue's API."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..fila.domain import Prioridade, Status
from ..fila.schemas import Instante


class IndicadoresParametros(BaseModel):
    """Query string (lax: query values arrive as text); the period's rules are in
    indicadores.domain.periodo, which answers 400 with the reason."""

    model_config = ConfigDict(extra="ignore")

    periodo: str | None = Field(
        default=None,
        max_length=20,
        description="hoje, 7d (padrão), 30d ou personalizado (com de e ate)",
    )
    de: str | None = Field(default=None, max_length=20, description="AAAA-MM-DD, incluído")
    ate: str | None = Field(default=None, max_length=20, description="AAAA-MM-DD, incluído")


class EsperaMotivo(BaseModel):
    espera_s: float = Field(description="Segundos em espera por este motivo, somados nas ordens")
    ordens: int = Field(description="Ordens que tiveram espera por este motivo")


class EsperasPorMotivo(BaseModel):
    aguardando_pecas: EsperaMotivo
    aguardando_cliente: EsperaMotivo
    outro: EsperaMotivo


class Figura(BaseModel):
    n: int = Field(description="Ordens com este intervalo completo")
    mediana_s: float | None = Field(
        description="Metade das ordens em até (mediana), em segundos, sem as esperas"
    )
    p90_s: float | None = Field(
        description="9 em 10 ordens em até (percentil 90), em segundos, sem as esperas"
    )
    soma_s: float = Field(description="Soma dos tempos das ordens, em segundos, sem as esperas")
    espera_s: float = Field(
        description="Soma das esperas (peças, cliente, outro motivo), em segundos"
    )
    ordens_com_espera: int = Field(description="Ordens com alguma espera neste intervalo")
    espera_por_motivo: EsperasPorMotivo


class Intervalos(BaseModel):
    espera_diagnostico: Figura
    diagnostico: Figura
    espera_aprovacao: Figura
    espera_reparo: Figura
    reparo: Figura
    total: Figura


class PorPrioridade(BaseModel):
    prioridade: Prioridade
    finalizadas: int
    finalizadas_com_previsao: int = Field(description="Finalizadas que tinham previsão de entrega")
    finalizadas_depois_da_previsao: int = Field(
        description="Das que tinham previsão, as finalizadas depois dela"
    )
    intervalos: Intervalos


class PorMecanico(BaseModel):
    mecanico_responsavel_id: int | None
    nome: str
    finalizadas: int
    finalizadas_com_previsao: int = Field(description="Finalizadas que tinham previsão de entrega")
    finalizadas_depois_da_previsao: int = Field(
        description="Das que tinham previsão, as finalizadas depois dela"
    )
    intervalos: Intervalos


class PorDia(BaseModel):
    dia: date
    finalizadas: int


class PeriodoJson(BaseModel):
    chave: str
    de: date
    ate: date
    inicio: Instante = Field(description="Início do primeiro dia, no fuso da oficina")
    fim: Instante = Field(description="Início do dia seguinte ao último (exclusivo)")
    fuso: str


class Atrasada(BaseModel):
    fila_id: str
    ordem_servico_id: int
    placa: str | None
    prioridade: Prioridade
    status: Status
    etapa: str | None
    mecanico_responsavel_id: int | None
    segundos_na_etapa: float = Field(description="Sem as esperas, como no cartão")
    limite_etapa_s: int = Field(description="Limite vermelho da prioridade (ALERTA_ETAPA)")
    previsao_entrega: Instante | None
    motivos: list[Literal["previsao_entrega", "etapa"]]


class Indicadores(BaseModel):
    periodo: PeriodoJson
    percentil: str = Field(description="Definição dos percentis usados")
    finalizadas: int
    finalizadas_com_previsao: int = Field(description="Finalizadas que tinham previsão de entrega")
    finalizadas_depois_da_previsao: int = Field(
        description="Das que tinham previsão, as finalizadas depois dela"
    )
    intervalos: Intervalos
    por_prioridade: list[PorPrioridade]
    por_mecanico: list[PorMecanico]
    por_dia: list[PorDia]
    atrasadas: list[Atrasada] = Field(
        description="Ordens abertas atrasadas agora, mais antigas primeiro"
    )
