"""/openapi.json as tools read it: a valid OpenAPI 3.1 document whose schemas are JSON Schema
(2020-12) that a validator applies, agreeing with what the API itself accepts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from tests.helpers import Api
from webapp.tokens import emitir

# JSON Schema 2020-12's keywords and the few OpenAPI 3.1 adds; anything else is a word a
# validator silently ignores (pydantic once wrote "gt"/"le" there instead of the real bounds).
PALAVRAS = {
    "$ref", "$defs", "$schema", "$id", "$comment", "$anchor", "$dynamicRef", "$dynamicAnchor",
    "type", "enum", "const", "properties", "required", "additionalProperties",
    "patternProperties", "propertyNames", "items", "prefixItems", "contains", "minItems",
    "maxItems", "uniqueItems", "minContains", "maxContains", "minProperties", "maxProperties",
    "dependentRequired", "dependentSchemas", "unevaluatedItems", "unevaluatedProperties",
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
    "minLength", "maxLength", "pattern", "format", "contentEncoding", "contentMediaType",
    "allOf", "anyOf", "oneOf", "not", "if", "then", "else",
    "title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly",
    "discriminator", "xml", "externalDocs", "example",
}  # fmt: skip
# Where a schema's keys are names (of properties, definitions), not keywords.
MAPAS = {"properties", "$defs", "patternProperties", "dependentSchemas"}


def _palavras_desconhecidas(esquema: Any, caminho: str = "") -> list[str]:
    if isinstance(esquema, list):
        return [e for i, s in enumerate(esquema) for e in _palavras_desconhecidas(s, caminho)]
    if not isinstance(esquema, dict):
        return []
    erros = [f"{caminho}/{k}" for k in esquema if k not in PALAVRAS]
    for chave, valor in esquema.items():
        if chave in MAPAS and isinstance(valor, dict):
            for nome, sub in valor.items():
                erros += _palavras_desconhecidas(sub, f"{caminho}/{chave}/{nome}")
        elif chave not in ("enum", "const", "default", "examples", "example", "required"):
            erros += _palavras_desconhecidas(valor, f"{caminho}/{chave}")
    return erros


@pytest.fixture
def documento(client: FlaskClient) -> dict[str, Any]:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    return r.json


def test_documento_valido_como_openapi_3_1(documento: dict[str, Any]) -> None:
    validate(documento)  # raises on any violation of the OpenAPI 3.1 schema


def test_esquemas_so_usam_palavras_de_json_schema(documento: dict[str, Any]) -> None:
    esquemas = documento["components"]["schemas"]
    erros = [e for nome, s in esquemas.items() for e in _palavras_desconhecidas(s, nome)]
    for caminho, operacoes in documento["paths"].items():
        for metodo, op in operacoes.items():
            for p in op.get("parameters", []):
                erros += _palavras_desconhecidas(p["schema"], f"{metodo} {caminho} {p['name']}")
    assert erros == []


def _validador(documento: dict[str, Any], nome: str) -> Draft202012Validator:
    esquema = {"$ref": f"#/components/schemas/{nome}", **documento}
    return Draft202012Validator(esquema)


@pytest.mark.parametrize(
    ("valor", "valido"),
    [(0, False), (-1, False), (1, True), (2**63 - 1, True), (2**63, False), ("7", False)],
)
def test_limites_do_esquema_valem_como_os_da_api(
    documento: dict[str, Any], api: Api, valor: Any, valido: bool
) -> None:
    """The schema says what the API does: a validator and the API agree on each bound."""
    for nome, corpo, caminho in (
        ("NovaOrdem", {"ordem_servico_id": valor}, "/fila-execucao"),
        ("IniciarDiagnostico", {"mecanico_responsavel_id": valor}, None),
    ):
        assert _validador(documento, nome).is_valid(corpo) is valido, (nome, valor)
        if caminho:
            r = api.post(caminho, json=corpo)
            assert (r.status_code == 201) is valido, (valor, r.json)
            if not valido:
                assert r.status_code == 400 and "Dados inválidos" in r.json["detail"]


def test_parametros_de_consulta_com_limites_de_json_schema(
    documento: dict[str, Any], api: Api
) -> None:
    parametros = {
        p["name"]: p["schema"] for p in documento["paths"]["/fila-execucao"]["get"]["parameters"]
    }
    limite = Draft202012Validator(parametros["limit"])
    assert limite.is_valid(500) and not limite.is_valid(501) and not limite.is_valid(0)
    assert api.get("/fila-execucao?limit=501").status_code == 400
    assert api.get("/fila-execucao?limit=500").status_code == 200


# A value for each required field the API's bodies have, valid for any of them.
EXEMPLOS = {
    "ordem_servico_id": 99001,
    "prioridade": "URGENTE",
    "mecanico_responsavel_id": 7,
    "diagnostico": "Pastilhas gastas",
}


def _corpo(documento: dict[str, Any], op: dict[str, Any]) -> dict[str, Any] | None:
    conteudo = op.get("requestBody", {}).get("content", {}).get("application/json")
    if conteudo is None:
        return None
    nome = conteudo["schema"]["$ref"].rsplit("/", 1)[1]
    return {k: EXEMPLOS[k] for k in documento["components"]["schemas"][nome].get("required", [])}


@pytest.mark.parametrize("quem", ["mecanico", "sem papel"])
def test_cada_resposta_a_um_mecanico_esta_no_documento(
    documento: dict[str, Any], api: Api, quem: str
) -> None:
    """Every answer a mechanic's token, or a token with no role (a customer's login token),
    can get is in the document: a tool generated from it knows the 403 of a manager's action
    (adding an OS once lacked it) and of a role-less token (every read and step lacked it)."""
    item = api.criar(99000)
    valores = {"fila_id": item["fila_id"], "ordem_servico_id": "99000"}
    chamador = api.como("mecanico")
    if quem == "sem papel":
        chamador.token = emitir(api.settings, "cliente-42")
    faltam = []
    for caminho, operacoes in documento["paths"].items():
        url = caminho.format(**valores)
        for metodo, op in operacoes.items():
            r = chamador.client.open(
                url, method=metodo.upper(), json=_corpo(documento, op), headers=chamador.headers()
            )
            assert r.status_code != 500, (metodo, url)
            if str(r.status_code) not in op["responses"]:
                faltam.append((metodo, caminho, r.status_code))
    assert faltam == []


def test_lista_exportacao_e_seus_cabecalhos_no_documento(documento: dict[str, Any]) -> None:
    """What the API answers beyond JSON bodies is documented too: the list's Link header (the
    next page) and the export's CSV, which a manager's token downloads."""
    lista = documento["paths"]["/fila-execucao"]["get"]["responses"]["200"]
    assert 'rel="next"' in lista["headers"]["Link"]["description"]
    exportar = documento["paths"]["/indicadores/exportar.csv"]["get"]
    assert "text/csv" in exportar["responses"]["200"]["content"]
    assert {p["name"] for p in exportar["parameters"]} == {"periodo", "de", "ate"}
    assert {"400", "401", "403"} <= set(exportar["responses"])


def _descricoes(no: Any) -> list[str]:
    if isinstance(no, list):
        return [d for item in no for d in _descricoes(item)]
    if not isinstance(no, dict):
        return []
    proprias = [no["description"]] if isinstance(no.get("description"), str) else []
    return proprias + [d for valor in no.values() for d in _descricoes(valor)]


def test_descricoes_do_documento_em_portugues(documento: dict[str, Any]) -> None:
    """Integrators read the document in Portuguese, as the API's answers: five schemas
    ("PrevisaoConclusao", "Pausa"...) carried their class's English docstring."""
    descricoes = _descricoes(documento)
    assert len(descricoes) > 50
    ingles = re.compile(r"\b(the|when|which|is|are|of|to|or|and)\b")
    assert [d for d in descricoes if ingles.search(d)] == []
    assert (
        "Quando a ordem fica pronta"
        in documento["components"]["schemas"]["PrevisaoConclusao"]["description"]
    )
