"""The API contract in one place: each operation is declared once with its schemas; the same
declaration validates the request and feeds the OpenAPI document."""

from __future__ import annotations

import codecs
import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, request
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from ..errors import ErroHttp
from ..settings import LIMITE_CORPO
from ..urls import parametro_repetido
from .schemas import Erro, mensagem_validacao

_DESCRICAO_ERROS = {
    400: "Dados inválidos",
    401: "Token ausente ou inválido",
    403: "Sem permissão (o papel do token não pode isto, ou o token não tem papel)",
    404: "Não encontrado",
    409: "Conflito com o estado atual",
    413: f"Corpo grande demais (máximo {LIMITE_CORPO // 1024} KiB)",
    415: "Tipo de conteúdo não suportado (use application/json)",
    422: "Idempotency-Key já usada nesta ordem para outro pedido (nada foi aplicado)",
    503: "Banco de dados indisponível",
}


@dataclass(frozen=True)
class Operacao:
    metodo: str
    regra: str
    resumo: str
    status: int
    resposta: type[BaseModel] | None
    lista: bool
    corpo: type[BaseModel] | None
    corpo_opcional: bool
    consulta: type[BaseModel] | None
    erros: tuple[int, ...]
    autenticada: bool
    tag: str
    # The success's media type (a file instead of JSON) and the headers it may carry
    # (name, description).
    midia: str = "application/json"
    cabecalhos: tuple[tuple[str, str], ...] = ()

    @property
    def caminho(self) -> str:
        return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", self.regra)


OPERACOES: list[Operacao] = []


def operacao(
    bp: Blueprint,
    metodo: str,
    regra: str,
    resumo: str,
    *,
    status: int = 200,
    resposta: type[BaseModel] | None = None,
    lista: bool = False,
    corpo: type[BaseModel] | None = None,
    corpo_opcional: bool = False,
    consulta: type[BaseModel] | None = None,
    erros: tuple[int, ...] = (),
    autenticada: bool = True,
    tag: str = "fila-execucao",
    rota: bool = True,
    midia: str = "application/json",
    cabecalhos: tuple[tuple[str, str], ...] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a route, validate its body/query with the given models and document it.

    The view receives `corpo=` and/or `consulta=` as validated model instances. `rota=False`:
    documented and validated, but called by another view of the same address (a page that
    answers JSON to a bearer token, e.g. /indicadores)."""
    op = Operacao(
        metodo,
        (bp.url_prefix or "") + regra,
        resumo,
        status,
        resposta,
        lista,
        corpo,
        corpo_opcional,
        consulta,
        erros,
        autenticada,
        tag,
        midia,
        cabecalhos,
    )
    OPERACOES.append(op)

    def decorar(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def envolvida(**kwargs: Any) -> Any:
            if corpo is not None:
                kwargs["corpo"] = ler_corpo(corpo, corpo_opcional)
            if consulta is not None:
                kwargs["consulta"] = ler_consulta(consulta)
            return view(**kwargs)

        if rota:
            bp.add_url_rule(regra, view.__name__, envolvida, methods=[metodo])
        return envolvida

    return decorar


def validar(modelo: type[BaseModel], dados: dict[str, Any]) -> Any:
    try:
        return modelo.model_validate(dados)
    except ValidationError as erro:
        raise ErroHttp(400, mensagem_validacao(erro)) from None


def ler_consulta(modelo: type[BaseModel]) -> Any:
    if repetido := parametro_repetido():  # status=A&status=B: refused, and said why
        raise ErroHttp(400, repetido)
    return validar(modelo, request.args.to_dict())


class _ChaveRepetida(ValueError):
    pass


def _recusar_repetidas(pares: list[tuple[str, Any]]) -> dict[str, Any]:
    vistas: set[str] = set()
    for chave, _ in pares:
        if chave in vistas:
            raise _ChaveRepetida(chave)
        vistas.add(chave)
    return dict(pares)


def _sem_chave_repetida(bruto: bytes) -> None:
    """A key sent twice in one object ({"ordem_servico_id": 1, "ordem_servico_id": 2}) would
    be read as its last value, where a proxy or a log may read the first: refused, and said.
    Anything else wrong with the body is the model's to say."""
    try:
        json.loads(bruto, object_pairs_hook=_recusar_repetidas)
    except _ChaveRepetida as repetida:
        raise ErroHttp(
            400, f"Campo repetido no JSON: {repetida}. Envie cada um uma vez só."
        ) from None
    except (ValueError, RecursionError):
        # Not JSON, not UTF-8, or nested past Python's parser (a hostile body): the model's
        # own reading says so in its words.
        return


def ler_corpo(modelo: type[BaseModel], opcional: bool) -> Any:
    bruto = request.get_data(cache=False)  # over MAX_CONTENT_LENGTH raises 413 here
    # RFC 8259 lets a reader ignore a UTF-8 byte order mark, which some Windows clients send.
    bruto = bruto.removeprefix(codecs.BOM_UTF8)
    if not bruto.strip():
        if opcional:
            return modelo()
        raise ErroHttp(400, "Corpo JSON obrigatório.")
    if not request.is_json:
        raise ErroHttp(415, "Envie o corpo como application/json.")
    if request.headers.get("Content-Encoding", "identity").strip().lower() != "identity":
        raise ErroHttp(415, "Envie o corpo sem compressão (sem Content-Encoding).")
    _sem_chave_repetida(bruto)
    try:
        return modelo.model_validate_json(bruto)
    except ValidationError as erro:
        raise ErroHttp(400, mensagem_validacao(erro)) from None


# --- OpenAPI 3 ---------------------------------------------------------------------------------


def _ref(modelo: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{modelo.__name__}"}


def _parametros(op: Operacao) -> list[dict[str, Any]]:
    parametros = []
    for nome in re.findall(r"<(?:(\w+):)?(\w+)>", op.regra):
        conversor, campo = nome
        tipo = {"type": "integer"} if conversor in ("int", "numero") else {"type": "string"}
        parametros.append({"name": campo, "in": "path", "required": True, "schema": tipo})
    if op.consulta is not None:
        esquema = op.consulta.model_json_schema(ref_template="#/components/schemas/{model}")
        for campo, prop in esquema.get("properties", {}).items():
            parametros.append({"name": campo, "in": "query", "required": False, "schema": prop})
    return parametros


# What a schema is, said to integrators in Portuguese, as its fields' descriptions are; a
# class's docstring is for this code's readers (English) and is left out of the document.
_DESCRICAO_ESQUEMAS = {
    "Status": "Onde a ordem está no fluxo (as colunas do quadro, em ordem).",
    "Pausa": "Uma espera (por peças, pelo cliente ou outro motivo); o status não muda.",
    "SincronizacaoOS": "Entrega dos passos desta ordem ao sistema de OS: o estado do status "
    "mais antigo ainda não entregue (os seguintes esperam por ele), ou do último entregue.",
    "EventoOS": "Um status enviado (ou a enviar) ao sistema de OS, em ordem (`seq`).",
    "PrevisaoConclusao": "Quando a ordem fica pronta, aprendido do histórico da própria "
    "oficina (docs/PREVISAO.md). p50 e p80 são null quando não há um número honesto: menos "
    "ordens finalizadas na janela que o mínimo (base_ordens diz quantas há), nenhum mecânico "
    "trabalhando, um histórico fora do horário de funcionamento configurado, ou o cálculo "
    "parado.",
}


def _descrever(esquemas: dict[str, Any]) -> dict[str, Any]:
    for nome, esquema in esquemas.items():
        esquema.pop("description", None)
        if nome in _DESCRICAO_ESQUEMAS:
            esquema["description"] = _DESCRICAO_ESQUEMAS[nome]
    return esquemas


def documento(titulo: str, versao: str) -> dict[str, Any]:
    entradas = {op.corpo for op in OPERACOES if op.corpo is not None}
    saidas = {op.resposta for op in OPERACOES if op.resposta is not None} | {Erro}
    _, definicoes = models_json_schema(
        [(m, "validation") for m in entradas] + [(m, "serialization") for m in saidas],
        ref_template="#/components/schemas/{model}",
    )
    caminhos: dict[str, dict[str, Any]] = {}
    for op in OPERACOES:
        respostas: dict[str, Any] = {}
        sucesso: dict[str, Any] = {"description": "Sucesso"}
        if op.resposta is not None:
            esquema = _ref(op.resposta)
            if op.lista:
                esquema = {"type": "array", "items": esquema}
            sucesso["content"] = {op.midia: {"schema": esquema}}
        elif op.midia != "application/json":
            sucesso["content"] = {op.midia: {"schema": {"type": "string"}}}
        if op.cabecalhos:
            sucesso["headers"] = {
                nome: {"description": descricao, "schema": {"type": "string"}}
                for nome, descricao in op.cabecalhos
            }
        respostas[str(op.status)] = sucesso
        # Any authenticated call may be refused for its token's role (none, or not one of
        # ours), whatever the operation.
        codigos = set(op.erros) | ({401, 403, 503} if op.autenticada else set())
        if op.corpo is not None:
            codigos |= {400, 413, 415}
        for codigo in sorted(codigos):
            respostas[str(codigo)] = {
                "description": _DESCRICAO_ERROS[codigo],
                "content": {"application/json": {"schema": _ref(Erro)}},
            }
        entrada: dict[str, Any] = {
            "summary": op.resumo,
            "operationId": re.sub(r"\W+", "_", f"{op.metodo}_{op.caminho}").strip("_").lower(),
            "tags": [op.tag],
            "parameters": _parametros(op),
            "responses": respostas,
        }
        if op.corpo is not None:
            entrada["requestBody"] = {
                "required": not op.corpo_opcional,
                "content": {"application/json": {"schema": _ref(op.corpo)}},
            }
        if not op.autenticada:
            entrada["security"] = []
        caminhos.setdefault(op.caminho, {})[op.metodo.lower()] = entrada
    return {
        "openapi": "3.1.0",
        "info": {"title": titulo, "version": versao},
        "paths": caminhos,
        "components": {
            "schemas": _descrever(definicoes.get("$defs", {})),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
        "security": [{"bearer": []}],
    }
