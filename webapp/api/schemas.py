"""Request and response schemas of the JSON API: the queue's and the indicators'.

The API validates with these models and /openapi.json is generated from them, so the
document cannot drift from what the code accepts. Messages for people are Portuguese.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
)
from pydantic_core import PydanticCustomError

from ..fila import outbox
from ..fila.domain import Prioridade, Status
from ..fila.fields import ANO_MAXIMO, ANO_MINIMO, TAMANHO_MAXIMO, ano_aceito
from ..mongo import INT64_MAX
from ..previsao.queries import NENHUMA, Previsoes

ANO_FORA = f"use uma data entre os anos {ANO_MINIMO} e {ANO_MAXIMO}"
# Past 2**53 a number written with a decimal point has already lost digits when it is read
# (123456789012345678.0 reads as ...680): another OS, not the one sent.
INTEIRO_EXATO = 2**53


def _inteiro_json(valor: Any) -> Any:
    """123.0 is an integer in JSON (and in the OpenAPI schema's eyes); 123.5 and "123" are not,
    nor a number past 2**53 written with a decimal point (its digits are lost)."""
    if isinstance(valor, float) and valor.is_integer():
        if abs(valor) >= INTEIRO_EXATO:  # 2**53 + 1 is read as 2**53 too
            raise PydanticCustomError("int_impreciso", "inteiro impreciso", {})
        return int(valor)
    return valor


# The bounds before the validator: pydantic then writes them as JSON Schema (exclusiveMinimum,
# maximum) in /openapi.json; after it, they came out as its own "gt"/"le", which tools ignore.
IdPositivo = Annotated[int, Field(gt=0, le=INT64_MAX), BeforeValidator(_inteiro_json)]
TextoCurto = Annotated[
    str | None, Field(default=None, max_length=TAMANHO_MAXIMO["veiculo"])
]  # veiculo, cliente
TextoLongo = Annotated[str, Field(max_length=TAMANHO_MAXIMO["diagnostico"])]
# ISO 8601 in UTC with its offset, at MongoDB's millisecond precision (…T12:00:00.000+00:00):
# every time answered as stored, whatever offset it was given in.
Instante = Annotated[
    datetime,
    PlainSerializer(
        lambda d: d.astimezone(UTC).isoformat(timespec="milliseconds"), when_used="json"
    ),
]


class Corpo(BaseModel):
    # Strict: "12" is not an OS number and true is not a mechanic. Unknown fields are ignored so
    # integrations may send more than we read.
    model_config = ConfigDict(strict=True, extra="ignore")


class NovaOrdem(Corpo):
    ordem_servico_id: IdPositivo
    prioridade: Prioridade = Prioridade.NORMAL
    placa: Annotated[str | None, Field(default=None, max_length=TAMANHO_MAXIMO["placa"])] = None
    veiculo: TextoCurto = None
    cliente: TextoCurto = None
    descricao: Annotated[
        str | None, Field(default=None, max_length=TAMANHO_MAXIMO["descricao"])
    ] = None
    previsao_entrega: AwareDatetime | None = None

    @field_validator("previsao_entrega")
    @classmethod
    def _ano(cls, valor: datetime | None) -> datetime | None:
        if valor is not None and not ano_aceito(valor):
            raise PydanticCustomError("ano_fora", "ano fora do intervalo", {})
        return valor

    def extras(self) -> dict[str, Any]:
        campos = ("placa", "veiculo", "cliente", "descricao", "previsao_entrega")
        return {campo: getattr(self, campo) for campo in campos}


class IniciarDiagnostico(Corpo):
    mecanico_responsavel_id: IdPositivo


class FinalizarDiagnostico(Corpo):
    diagnostico: Annotated[TextoLongo, Field(min_length=1)]


class IniciarReparo(Corpo):
    mecanico_responsavel_id: IdPositivo | None = None


class FinalizarReparo(Corpo):
    observacoes_reparo: Annotated[
        str | None, Field(default=None, max_length=TAMANHO_MAXIMO["observacoes_reparo"])
    ] = None


class NovaPrioridade(Corpo):
    prioridade: Prioridade


class Atribuir(Corpo):
    mecanico_responsavel_id: IdPositivo


class SemCorpo(Corpo):
    pass


OFFSET_MAXIMO = 1_000_000
MENSAGEM_CURSOR = "depois: não é o fim de uma página desta lista; siga o cabeçalho Link."
DEPOIS_OU_OFFSET = "Use depois ou offset, não os dois."


class ListarParametros(BaseModel):
    """Query string of the list (lax: query values arrive as text)."""

    model_config = ConfigDict(extra="ignore")

    status: Status | None = None
    limit: int = Field(default=100, ge=1, le=500)
    depois: str | None = Field(
        default=None,
        max_length=80,
        description="Onde a página anterior terminou: o endereço do cabeçalho Link (rel=next) "
        "já o traz; cada página custa o mesmo, por mais funda que seja",
    )
    offset: int = Field(
        default=0,
        ge=0,
        le=OFFSET_MAXIMO,
        description="Itens a pular (sem `depois`); prefira seguir o Link",
    )

    @field_validator("limit", "offset", mode="before")
    @classmethod
    def _algarismos(cls, valor: Any) -> Any:
        """Digits only, as written in a URL: int() would also read "5_0", "+5" or " 5". A
        minus sign goes through, so "-1" is told its bound, not that it is no integer."""
        algarismos = valor[1:] if isinstance(valor, str) and valor.startswith("-") else valor
        if isinstance(valor, str) and not (algarismos.isascii() and algarismos.isdigit()):
            raise PydanticCustomError("int_parsing", "não é um inteiro", {})
        return valor


class EntradaHistorico(BaseModel):
    acao: str
    # Statuses, priorities, hold reasons; mechanics' ids (int) on `atribuir`; promised times
    # on `adotar_previsao` and `alterar_promessa` (a manager set the promise; null: cleared).
    de: Instante | str | int | None
    para: Instante | str | int | None
    por: str
    em: Instante
    nota: str | None = None


class Pausa(BaseModel):
    """A hold (waiting for parts or the customer); the status does not change."""

    motivo: str
    nota: str | None
    desde: Instante
    por: str


class SincronizacaoOS(BaseModel):
    """Delivery of this order's steps to the OS service: the state of its oldest undelivered
    status (the later ones wait for it), or of the last delivered one."""

    status: Literal["sincronizado", "pendente", "falhou", "desligada"] = Field(
        description="sincronizado: tudo entregue; pendente: aguardando (nova) tentativa; "
        "falhou: recusado pelo sistema de OS ou prazo esgotado, um gerente pode reenviar; "
        "desligada: URL_API_OS não configurada"
    )
    pendentes: int = Field(description="Atualizações ainda não entregues")
    tentativas: int
    proxima_tentativa: Instante | None
    ultimo_erro: str | None
    sincronizado_em: Instante | None


class EventoOS(BaseModel):
    """One status pushed (or to push) to the OS service, in order (`seq`)."""

    seq: int
    status: str
    estado: Literal["pendente", "enviado", "falhou"]
    criado_em: Instante
    tentativas: int
    proxima_tentativa: Instante | None = None
    ultimo_erro: str | None = None
    enviado_em: Instante | None = None
    chave: str = Field(description="Idempotency-Key, a mesma em todas as tentativas")


class PrevisaoConclusao(BaseModel):
    """When the order will be ready, learned from the shop's own history (docs/PREVISAO.md).
    p50 and p80 are null when there is no honest number: fewer finished orders in the window
    than the minimum (base_ordens says how many there are), no mechanic at work, a history
    that falls outside the configured opening hours, or a recompute that stopped."""

    p50: Instante | None = Field(
        description="Metade das simulações termina até este instante (UTC); null (com p80) sem "
        "histórico suficiente, sem mecânico ativo, com o histórico fora do horário de "
        "funcionamento configurado ou com o cálculo parado"
    )
    p80: Instante | None = Field(
        description="8 em 10 simulações terminam até este instante (UTC): a previsão a prometer"
    )
    calculada_em: Instante = Field(description="Quando a previsão foi conferida pela última vez")
    base_ordens: int = Field(
        description="Ordens finalizadas na janela (PREVISAO_JANELA_DIAS) de que a previsão aprendeu"
    )


class ItemFila(BaseModel):
    fila_id: str
    ordem_servico_id: int
    status: Status
    prioridade: Prioridade
    mecanico_responsavel_id: int | None
    diagnostico: str | None
    observacoes_reparo: str | None
    dta_inicio_diagnostico: Instante | None
    dta_fim_diagnostico: Instante | None
    dta_inicio_reparo: Instante | None
    dta_fim_reparo: Instante | None
    dta_criacao: Instante
    dta_atualizacao: Instante
    versao: int
    orcamento_aprovado: bool
    dta_aprovacao_orcamento: Instante | None
    placa: str | None = None
    veiculo: str | None = None
    cliente: str | None = None
    descricao: str | None = None
    previsao_entrega: Instante | None = None
    pausa: Pausa | None = None
    historico: list[EntradaHistorico]
    sincronizacao_os: SincronizacaoOS
    eventos_os: list[EventoOS] = []
    previsao_conclusao: PrevisaoConclusao | None = Field(
        default=None,
        description="Quando fica pronto (p50, p80); null para uma ordem finalizada, antes do "
        "primeiro cálculo ou para uma ordem que ainda não entrou num cálculo (segundos)",
    )


class Erro(BaseModel):
    detail: str = Field(description="Mensagem em português")


class Saude(BaseModel):
    status: str


def item_json(
    documento: dict[str, Any], sincronizacao_ligada: bool = True, previsoes: Previsoes = NENHUMA
) -> dict[str, Any]:
    """A stored item as the API returns it (ISO 8601 with offset, ids as strings).
    `sincronizacao_ligada`: whether URL_API_OS is set (else pending events show "desligada");
    `previsoes`: the forecasts read with it (previsao.queries, one query for a whole list)."""
    dados = {
        **documento,
        "fila_id": str(documento["_id"]),
        "sincronizacao_os": outbox.resumo(documento, sincronizacao_ligada),
        "previsao_conclusao": previsao_conclusao(documento, previsoes),
    }
    return ItemFila.model_validate(dados).model_dump(mode="json")


def previsao_conclusao(documento: dict[str, Any], previsoes: Previsoes) -> dict[str, Any] | None:
    """An order's `previsao_conclusao`: its stored forecast with the last recompute's time and
    basis; p50 and p80 null when the recompute found no honest number; None when it has none
    (finished, never computed, or new since the last recompute)."""
    estado = previsoes.estado
    if estado is None or documento.get("status") == Status.FINALIZADA:
        return None
    base = {"calculada_em": estado.calculada_em, "base_ordens": estado.base_ordens}
    if estado.motivo:
        return {"p50": None, "p80": None, **base}
    previsao = previsoes.de(documento["_id"])
    if previsao is None:
        return None
    return {"p50": previsao["p50"], "p80": previsao["p80"], **base}


# --- The indicators (`GET /indicadores` with a bearer token) ----------------------------------


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


COM_PREVISAO = "Finalizadas que tinham entrega prometida (previsao_entrega)"
# How /indicadores counts a promise missed (fila.queries.PROMESSA_MEDIDA).
DEPOIS_DA_PREVISAO = (
    "Das que tinham entrega prometida (previsao_entrega), as finalizadas depois dela (da "
    "primeira perdida com a ordem aberta, se outra foi prometida depois que ela passou)"
)


class PorPrioridade(BaseModel):
    prioridade: Prioridade
    finalizadas: int
    finalizadas_com_previsao: int = Field(description=COM_PREVISAO)
    finalizadas_depois_da_previsao: int = Field(description=DEPOIS_DA_PREVISAO)
    intervalos: Intervalos


class PorMecanico(BaseModel):
    mecanico_responsavel_id: int | None
    nome: str
    finalizadas: int
    finalizadas_com_previsao: int = Field(description=COM_PREVISAO)
    finalizadas_depois_da_previsao: int = Field(description=DEPOIS_DA_PREVISAO)
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


# How many late orders the indicators' JSON lists (the page shows them a window at a time).
LIMITE_ATRASADAS = 200


class Indicadores(BaseModel):
    periodo: PeriodoJson
    percentil: str = Field(description="Definição dos percentis usados")
    finalizadas: int
    finalizadas_com_previsao: int = Field(description=COM_PREVISAO)
    finalizadas_depois_da_previsao: int = Field(description=DEPOIS_DA_PREVISAO)
    intervalos: Intervalos
    por_prioridade: list[PorPrioridade]
    por_mecanico: list[PorMecanico]
    por_dia: list[PorDia]
    atrasadas_total: int = Field(
        description="Quantas ordens abertas estão atrasadas agora, todas (a lista para nas "
        f"{LIMITE_ATRASADAS} mais antigas)"
    )
    atrasadas: list[Atrasada] = Field(
        description="Ordens abertas atrasadas agora, mais antigas primeiro (as "
        f"{LIMITE_ATRASADAS} primeiras)"
    )


# --- Portuguese messages for validation errors ---------------------------------------------------

_MENSAGENS = {
    "missing": "campo obrigatório",
    "int_type": "deve ser um número inteiro",
    "int_parsing": "deve ser um número inteiro",
    "int_impreciso": "deve ser um número inteiro escrito sem casas decimais (com “.0”, um "
    "número deste tamanho perde algarismos)",
    "string_type": "deve ser um texto",
    "bool_type": "deve ser true ou false",
    "datetime_type": "deve ser uma data e hora ISO 8601",
    "datetime_parsing": "deve ser uma data e hora ISO 8601",
    "datetime_from_date_parsing": "deve ser uma data e hora ISO 8601",
    "enum": "valor inválido; use um de: {expected}",
    "timezone_aware": "informe o fuso horário (ex.: 2026-11-29T17:00:00-03:00)",
    "greater_than": "deve ser maior que {gt}",
    "greater_than_equal": "deve ser maior ou igual a {ge}",
    "less_than_equal": "deve ser no máximo {le}",
    "string_too_short": "não pode ser vazio",
    "string_too_long": "deve ter no máximo {max_length} caracteres",
    "model_type": "o corpo deve ser um objeto JSON",
    "json_invalid": "JSON malformado",
    "ano_fora": ANO_FORA,
}


def mensagem_validacao(erro: ValidationError) -> str:
    partes = []
    for e in erro.errors(include_url=False):
        contexto = {
            k: str(v).replace("'", "").replace(" or ", " ou ")
            for k, v in (e.get("ctx") or {}).items()
        }
        modelo = _MENSAGENS.get(e["type"], "valor inválido")
        if e["type"] == "json_invalid" and "number out of range" in contexto.get("error", ""):
            # Valid JSON whose number no parser keeps (over ~4,300 digits): not "malformado".
            modelo = "o JSON tem um número grande demais (milhares de algarismos)"
        try:
            texto = modelo.format(**contexto)
        except KeyError:
            texto = modelo
        campo = ".".join(str(p) for p in e["loc"])
        partes.append(f"{campo}: {texto}" if campo else texto)
    if not partes:
        return "Dados inválidos."
    return "Dados inválidos: " + "; ".join(partes) + "."
