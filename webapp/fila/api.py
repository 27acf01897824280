"""The JSON API the OS service and other integrations call (paths and fields are the contract)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, g, request

from ..components import componentes
from ..contract import ErroApi, operacao
from ..proxies import na_rede
from ..tokens import TokenInvalido, TokenSemPermissao, verificar
from . import schemas as s
from .domain import Acao, Papel
from .service import SISTEMA_OS, Ator, FilaService, NaoEncontrada

bp = Blueprint("api", __name__, url_prefix="/fila-execucao")

REALM = 'Bearer realm="fila-execucao"'
log = logging.getLogger(__name__)


def fila() -> FilaService:
    return componentes().fila


@bp.before_request
def autenticar() -> None:
    g.ator = ator_da_chamada()


def ator_da_chamada() -> Ator:
    """Who calls: a bearer JWT's identity, or the OS service from a trusted network."""
    settings = componentes().settings
    cabecalho = request.headers.get("Authorization", "")
    esquema, _, token = cabecalho.partition(" ")
    # remote_addr: the socket's peer, or what TRUSTED_PROXY_NETWORKS' proxies say (proxies.py).
    if not cabecalho and na_rede(request.remote_addr, settings.redes_confiaveis):
        log.info("chamada sem token aceita como sistema de OS", extra={"ip": request.remote_addr})
        return Ator(SISTEMA_OS, Papel.SISTEMA_OS)
    if esquema.lower() != "bearer" or not token.strip():
        raise ErroApi(
            401,
            "Autenticação necessária: envie Authorization: Bearer <token>.",
            {"WWW-Authenticate": REALM},
        )
    try:
        identidade = verificar(token.strip(), settings)
    except TokenInvalido as erro:
        desafio = f'{REALM}, error="{erro.codigo}"'
        raise ErroApi(401, erro.mensagem, {"WWW-Authenticate": desafio}) from None
    except TokenSemPermissao as erro:
        raise ErroApi(403, erro.mensagem) from None
    return Ator(identidade.sub, identidade.papel)


def _json(documento: dict[str, Any]) -> dict[str, Any]:
    return s.item_json(documento, bool(componentes().settings.url_api_os))


def _item(documento: dict[str, Any], status: int = 200) -> tuple[dict[str, Any], int]:
    return _json(documento), status


@operacao(
    bp,
    "POST",
    "",
    "Adicionar uma OS à fila",
    status=201,
    resposta=s.ItemFila,
    corpo=s.NovaOrdem,
    erros=(409,),
)
def adicionar(corpo: s.NovaOrdem) -> Any:
    item = fila().adicionar(corpo.ordem_servico_id, g.ator, corpo.prioridade, corpo.extras())
    return _item(item, 201)


@operacao(
    bp,
    "GET",
    "",
    "Listar a fila (URGENTE > ALTA > NORMAL > BAIXA, depois a mais antiga)",
    resposta=s.ItemFila,
    lista=True,
    consulta=s.ListarParametros,
    erros=(400,),
)
def listar(consulta: s.ListarParametros) -> Any:
    itens = fila().listar(consulta.status, consulta.limit, consulta.offset)
    return [_json(item) for item in itens]


@operacao(bp, "GET", "/<fila_id>", "Obter um item", resposta=s.ItemFila, erros=(404,))
def obter(fila_id: str) -> Any:
    return _item(fila().obter(fila_id))


@operacao(
    bp,
    "GET",
    "/ordem-servico/<int:ordem_servico_id>",
    "Obter o item de uma OS",
    resposta=s.ItemFila,
    erros=(404,),
)
def obter_por_os(ordem_servico_id: int) -> Any:
    if ordem_servico_id > s.INT64_MAX:  # no OS number is that large (MongoDB stores 64 bits)
        raise NaoEncontrada(f"A OS {ordem_servico_id} não está na fila.")
    return _item(fila().obter_por_os(ordem_servico_id))


@operacao(bp, "DELETE", "/<fila_id>", "Remover da fila (gerente)", status=204, erros=(403, 404))
def remover(fila_id: str) -> Any:
    fila().remover(fila_id, g.ator)
    return Response(status=204)


def _passo(fila_id: str, acao: Acao, corpo: s.Corpo, **opcoes: Any) -> Any:
    dados = corpo.model_dump(exclude_none=True)
    chave = request.headers.get("Idempotency-Key", "")
    if chave and not (len(chave) <= 128 and chave.isascii() and chave.isprintable()):
        raise ErroApi(400, "Idempotency-Key inválida: até 128 caracteres ASCII visíveis.")
    return _item(fila().executar(fila_id, acao, g.ator, dados, chave=chave or None, **opcoes))


@operacao(
    bp,
    "POST",
    "/<fila_id>/iniciar-diagnostico",
    "Iniciar o diagnóstico",
    resposta=s.ItemFila,
    corpo=s.IniciarDiagnostico,
    erros=(404, 409, 422),
)
def iniciar_diagnostico(fila_id: str, corpo: s.IniciarDiagnostico) -> Any:
    return _passo(fila_id, Acao.INICIAR_DIAGNOSTICO, corpo)


@operacao(
    bp,
    "POST",
    "/<fila_id>/finalizar-diagnostico",
    "Finalizar o diagnóstico",
    resposta=s.ItemFila,
    corpo=s.FinalizarDiagnostico,
    erros=(404, 409, 422),
)
def finalizar_diagnostico(fila_id: str, corpo: s.FinalizarDiagnostico) -> Any:
    return _passo(fila_id, Acao.FINALIZAR_DIAGNOSTICO, corpo)


@operacao(
    bp,
    "POST",
    "/<fila_id>/aprovar-orcamento",
    "Registrar a aprovação do orçamento (gerente)",
    resposta=s.ItemFila,
    corpo=s.SemCorpo,
    corpo_opcional=True,
    erros=(403, 404, 409, 422),
)
def aprovar_orcamento(fila_id: str, corpo: s.SemCorpo) -> Any:
    return _passo(fila_id, Acao.APROVAR_ORCAMENTO, corpo)


@operacao(
    bp,
    "POST",
    "/<fila_id>/iniciar-reparo",
    "Iniciar o reparo (registra a aprovação do orçamento se ainda faltar)",
    resposta=s.ItemFila,
    corpo=s.IniciarReparo,
    corpo_opcional=True,
    erros=(404, 409, 422),
)
def iniciar_reparo(fila_id: str, corpo: s.IniciarReparo) -> Any:
    # The OS service starts a repair only after the customer approved the budget.
    return _passo(fila_id, Acao.INICIAR_REPARO, corpo, aprovar_se_preciso=True)


@operacao(
    bp,
    "POST",
    "/<fila_id>/finalizar-reparo",
    "Finalizar o reparo",
    resposta=s.ItemFila,
    corpo=s.FinalizarReparo,
    corpo_opcional=True,
    erros=(404, 409, 422),
)
def finalizar_reparo(fila_id: str, corpo: s.FinalizarReparo) -> Any:
    return _passo(fila_id, Acao.FINALIZAR_REPARO, corpo)


@operacao(
    bp,
    "PATCH",
    "/<fila_id>/prioridade",
    "Alterar a prioridade (gerente)",
    resposta=s.ItemFila,
    corpo=s.NovaPrioridade,
    erros=(403, 404, 409),
)
def alterar_prioridade(fila_id: str, corpo: s.NovaPrioridade) -> Any:
    return _item(fila().alterar_prioridade(fila_id, corpo.prioridade, g.ator))


@operacao(
    bp,
    "POST",
    "/<fila_id>/atribuir",
    "Atribuir ou trocar o mecânico responsável (gerente)",
    resposta=s.ItemFila,
    corpo=s.Atribuir,
    erros=(403, 404, 409),
)
def atribuir(fila_id: str, corpo: s.Atribuir) -> Any:
    return _item(fila().atribuir(fila_id, corpo.mecanico_responsavel_id, g.ator))
