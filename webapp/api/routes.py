"""The JSON API, every route of it: the queue the OS service and other integrations call (paths
and fields are the contract, docs/API.md), the manager's indicators for a bearer token
(`GET /indicadores`, the address of the manager's page), the probes (`/health`,
`/health/ready`) and the API's own documents (`/openapi.json`, `/docs`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC
from typing import Any

from flask import (
    Blueprint,
    Response,
    g,
    jsonify,
    make_response,
    render_template,
    request,
    url_for,
)
from pymongo.errors import PyMongoError

from ..cartoes.service import contar_atrasadas
from ..clock import Clock
from ..components import componente
from ..errors import ErroHttp, com_token
from ..fila.cursors import CursorInvalido, cursor_na_fila
from ..fila.domain import Acao, Ator, EntradaInvalida, Papel, Status
from ..fila.fields import ano_aceito
from ..fila.service import SISTEMA_OS, FilaService
from ..indicadores import service as indicadores
from ..indicadores.domain import MENSAGEM_PROIBIDO, PODEM_VER, Figura, Grupo, PeriodoInvalido
from ..indicadores.domain import periodo as periodo_de
from ..indicadores.routes import csv_do_periodo
from ..mongo import Mongo
from ..previsao.cache import PrevisoesEmMemoria
from ..previsao.queries import NENHUMA, Previsoes
from ..proxies import na_rede
from ..settings import Settings
from ..tokens import TokenInvalido, TokenSemPermissao, verificar
from . import schemas as s
from .contract import documento, operacao

bp = Blueprint("api", __name__)

FILA = "/fila-execucao"
REALM = 'Bearer realm="fila-execucao"'
# The roles a token may carry (`role`), each the queue's role of the same name.
PAPEIS_DO_TOKEN = {p.value: p for p in (Papel.MECANICO, Papel.GERENTE, Papel.ADMIN)}
TITULO = "Fila de execução da oficina"
VERSAO = "1.0.0"
# What answers without a token and without the database (create_app creates the indexes before
# any other request of the app's features).
PUBLICAS = frozenset({"api.health", "api.ready", "api.openapi", "api.docs"})
log = logging.getLogger(__name__)


def fila() -> FilaService:
    return componente(FilaService)


@bp.before_request
def autenticar() -> None:
    if request.endpoint not in PUBLICAS:
        g.ator = ator_da_chamada()


def ator_da_chamada() -> Ator:
    """Who calls: a bearer JWT's identity, or the OS service from a trusted network."""
    settings = componente(Settings)
    cabecalho = request.headers.get("Authorization", "")
    esquema, _, token = cabecalho.partition(" ")
    # remote_addr: the socket's peer, or what TRUSTED_PROXY_NETWORKS' proxies say (proxies.py).
    if not cabecalho and na_rede(request.remote_addr, settings.redes_confiaveis):
        log.info("chamada sem token aceita como sistema de OS", extra={"ip": request.remote_addr})
        return Ator(SISTEMA_OS, Papel.SISTEMA_OS)
    if esquema.lower() != "bearer" or not token.strip():
        raise ErroHttp(
            401,
            "Autenticação necessária: envie Authorization: Bearer <token>.",
            {"WWW-Authenticate": REALM},
        )
    try:
        identidade = verificar(token.strip(), settings)
    except TokenInvalido as erro:
        desafio = f'{REALM}, error="{erro.codigo}"'
        raise ErroHttp(401, erro.mensagem, {"WWW-Authenticate": desafio}) from None
    except TokenSemPermissao as erro:
        raise ErroHttp(403, erro.mensagem) from None
    if identidade.role is None:
        return Ator(identidade.sub, Papel.SERVICO)  # an integration's token
    papel = PAPEIS_DO_TOKEN.get(identidade.role) if isinstance(identidade.role, str) else None
    if papel is None:  # an allow-list: exact codes only
        raise ErroHttp(403, "Papel (role) do token não reconhecido.")
    return Ator(identidade.sub, papel)


def _json(item: dict[str, Any], previsoes: Previsoes) -> dict[str, Any]:
    return s.item_json(item, bool(componente(Settings).url_api_os), previsoes)


def _previsoes(itens: list[dict[str, Any]]) -> Previsoes:
    """The forecasts of these items and their summary: from this process's copy
    (previsao.cache), or one query, whatever their number."""
    abertas = [i["_id"] for i in itens if i.get("status") != Status.FINALIZADA]
    return componente(PrevisoesEmMemoria).para(abertas) if abertas else NENHUMA


def _item(item: dict[str, Any], status: int = 200) -> tuple[dict[str, Any], int]:
    return _json(item, _previsoes([item])), status


# --- Probes and documents -----------------------------------------------------------------------


@operacao(
    bp, "GET", "/health", "O processo está vivo", resposta=s.Saude, autenticada=False, tag="saude"
)
def health() -> Any:
    return {"status": "ok"}


@operacao(
    bp,
    "GET",
    "/health/ready",
    "Pronto para atender (o banco responde)",
    resposta=s.Saude,
    erros=(503,),
    autenticada=False,
    tag="saude",
)
def ready() -> Any:
    try:
        componente(Mongo).ping()
    except PyMongoError:
        return {"status": "indisponivel", "detail": "Banco de dados indisponível."}, 503
    return {"status": "ok"}


@bp.get("/openapi.json")
def openapi() -> Any:
    return jsonify(documento(TITULO, VERSAO))


@bp.get("/docs")
def docs() -> str:
    doc = documento(TITULO, VERSAO)
    esquemas = {
        nome: json.dumps(esquema, ensure_ascii=False, indent=2)
        for nome, esquema in doc["components"]["schemas"].items()
    }
    return render_template("api/docs.html", doc=doc, esquemas=esquemas)


# --- The queue ----------------------------------------------------------------------------------


@operacao(
    bp,
    "POST",
    FILA,
    "Adicionar uma OS à fila",
    status=201,
    resposta=s.ItemFila,
    corpo=s.NovaOrdem,
    erros=(403, 409),
)
def adicionar(corpo: s.NovaOrdem) -> Any:
    # The year in the shop's zone too (the schema knows none): 2000-01-01T01:00Z is 1999
    # there, as the export writes it, and the importer could not read that line back.
    previsao = corpo.previsao_entrega
    if previsao is not None and not ano_aceito(previsao, componente(Clock).fuso):
        raise EntradaInvalida(f"Dados inválidos: previsao_entrega: {s.ANO_FORA}.")
    item = fila().adicionar(corpo.ordem_servico_id, g.ator, corpo.prioridade, corpo.extras())
    return _item(item, 201)


@operacao(
    bp,
    "GET",
    FILA,
    "Listar a fila (URGENTE > ALTA > NORMAL > BAIXA, depois a mais antiga)",
    resposta=s.ItemFila,
    lista=True,
    consulta=s.ListarParametros,
    erros=(400,),
    cabecalhos=(
        (
            "Link",
            'Com a página cheia, o endereço da seguinte (RFC 8288): <...>; rel="next". Sem '
            "ele, esta é a última.",
        ),
    ),
)
def listar(consulta: s.ListarParametros) -> Any:
    if consulta.depois and consulta.offset:
        raise EntradaInvalida(s.DEPOIS_OU_OFFSET)
    try:
        itens = fila().listar(consulta.status, consulta.limit, consulta.offset, consulta.depois)
    except CursorInvalido:
        raise EntradaInvalida(s.MENSAGEM_CURSOR) from None
    previsoes = _previsoes(itens)
    corpo = [_json(item, previsoes) for item in itens]
    if len(itens) < consulta.limit:
        return corpo
    # A full page may not be the last: the next one's address (RFC 8288), so a client that
    # follows links never stops at the default 100 without knowing. No count query. After
    # the last item shown (keyset), not past a count of items: an offset costs as many index
    # entries stepped over, a cursor none.
    seguinte = url_for(
        "api.listar",
        status=consulta.status,
        limit=consulta.limit,
        depois=cursor_na_fila(itens[-1]),
    )
    return corpo, 200, {"Link": f'<{seguinte}>; rel="next"'}


@operacao(bp, "GET", FILA + "/<fila_id>", "Obter um item", resposta=s.ItemFila, erros=(404,))
def obter(fila_id: str) -> Any:
    return _item(fila().obter(fila_id))


@operacao(
    bp,
    "GET",
    FILA + "/ordem-servico/<numero:ordem_servico_id>",
    "Obter o item de uma OS",
    resposta=s.ItemFila,
    erros=(404,),
)
def obter_por_os(ordem_servico_id: int) -> Any:
    return _item(fila().obter_por_os(ordem_servico_id))


@operacao(
    bp, "DELETE", FILA + "/<fila_id>", "Remover da fila (gerente)", status=204, erros=(403, 404)
)
def remover(fila_id: str) -> Any:
    fila().remover(fila_id, g.ator)
    return Response(status=204)


def _passo(fila_id: str, acao: Acao, corpo: s.Corpo, **opcoes: Any) -> Any:
    dados = corpo.model_dump(exclude_none=True)
    chave = request.headers.get("Idempotency-Key", "")
    if chave and not (len(chave) <= 128 and all("!" <= c <= "~" for c in chave)):
        raise ErroHttp(400, "Idempotency-Key inválida: até 128 caracteres ASCII visíveis.")
    return _item(fila().executar(fila_id, acao, g.ator, dados, chave=chave or None, **opcoes))


@operacao(
    bp,
    "POST",
    FILA + "/<fila_id>/iniciar-diagnostico",
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
    FILA + "/<fila_id>/finalizar-diagnostico",
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
    FILA + "/<fila_id>/aprovar-orcamento",
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
    FILA + "/<fila_id>/iniciar-reparo",
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
    FILA + "/<fila_id>/finalizar-reparo",
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
    FILA + "/<fila_id>/prioridade",
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
    FILA + "/<fila_id>/atribuir",
    "Atribuir ou trocar o mecânico responsável (gerente)",
    resposta=s.ItemFila,
    corpo=s.Atribuir,
    erros=(403, 404, 409),
)
def atribuir(fila_id: str, corpo: s.Atribuir) -> Any:
    return _item(fila().atribuir(fila_id, corpo.mecanico_responsavel_id, g.ator))


# --- The indicators, for a bearer token ---------------------------------------------------------

DEFINICAO_PERCENTIL = (
    "mediana_s: metade das ordens em até este tempo; p90_s: 9 em 10 ordens em até este tempo. "
    "Calculados por nearest-rank: com os n valores em ordem crescente, o percentil p é o valor "
    "na posição ceil(p·n/100) (a mediana é o percentil 50). Tempos em segundos, sem as esperas; "
    "as esperas estão em espera_s e espera_por_motivo, somadas nas ordens"
)


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
    "/indicadores",
    "Indicadores do período: tempos por etapa, por prioridade e por mecânico; atrasadas (gerente)",
    resposta=s.Indicadores,
    consulta=s.IndicadoresParametros,
    erros=(400, 403),
    tag="indicadores",
    rota=False,  # the address of the manager's page: answered by indicadores_com_token below
)
def indicadores_json(consulta: s.IndicadoresParametros) -> Any:
    try:
        p = periodo_de(consulta.periodo, consulta.de, consulta.ate, indicadores.hoje())
    except PeriodoInvalido as erro:
        raise ErroHttp(400, str(erro)) from None
    ind = indicadores.calcular(p)
    inicio, fim = indicadores.limites(p)
    dados = {
        "periodo": {
            "chave": p.chave, "de": p.de, "ate": p.ate,
            "inicio": inicio.astimezone(UTC), "fim": fim.astimezone(UTC),
            "fuso": componente(Settings).fuso_horario,
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
            for a in indicadores.atrasadas(s.LIMITE_ATRASADAS)[0]
        ],
        "atrasadas_total": contar_atrasadas(),
    }  # fmt: skip
    return s.Indicadores.model_validate(dados).model_dump(mode="json")


# The page's download answers a bearer token too (indicadores_com_token, csv_do_periodo):
# declared for the document only.
operacao(
    bp,
    "GET",
    "/indicadores/exportar.csv",
    "As ordens finalizadas do período em CSV, o mesmo arquivo que a página baixa (gerente)",
    consulta=s.IndicadoresParametros,
    erros=(400, 403),
    tag="indicadores",
    rota=False,
    midia="text/csv",
)


# The managers' addresses that answer a bearer token too: the figures as JSON, the export as
# the same CSV the page downloads.
COM_TOKEN: dict[str, Callable[[], Any]] = {
    "indicadores.index": lambda: make_response(indicadores_json()),
    "indicadores.exportar": csv_do_periodo,
}


@bp.before_app_request
def indicadores_com_token() -> Any:
    """`GET /indicadores` (and its export) with a bearer token is the API's: for a manager's
    token (gerente, admin) or an integration's (401 / 403 otherwise). Without one (no
    Authorization, or a proxy's Basic auth the browser sends), the same address is the
    manager's page (indicadores/routes.py), whose view then runs."""
    responder = COM_TOKEN.get(request.endpoint or "")
    if responder is None or not com_token():
        return None
    if request.method not in ("GET", "HEAD"):
        return None  # OPTIONS: Flask's own answer (Allow), never the figures or the file
    if ator_da_chamada().papel not in PODEM_VER:
        raise ErroHttp(403, MENSAGEM_PROIBIDO)
    resposta = responder()
    resposta.headers["Vary"] = "Authorization, Cookie"
    return resposta
