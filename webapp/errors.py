"""Every failure answered in Portuguese: JSON {"detail": ...} for the API and integrations,
a short page for people; never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, Response, g, jsonify, render_template, request
from gunicorn.http.errors import NoMoreData, ParseException
from pymongo.errors import ConnectionFailure, OperationFailure
from werkzeug.exceptions import BadHost, HTTPException, NotFound, RequestEntityTooLarge

from . import metrics
from .settings import LIMITE_CORPO

log = logging.getLogger(__name__)


class ErroHttp(Exception):
    """An HTTP error answered as {"detail": ...} (JSON) or the error page (people)."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


MENSAGENS_HTTP = {
    400: "Requisição inválida.",
    401: "Autenticação necessária.",
    403: "Acesso negado.",
    404: "Recurso não encontrado.",
    405: "Método não permitido para este endereço.",
    413: f"Corpo da requisição grande demais: o limite é {LIMITE_CORPO // 1024} KiB.",
    415: "Tipo de conteúdo não suportado: use application/json.",
    429: "Muitas requisições; aguarde um pouco.",
    500: "Erro interno. A equipe foi avisada pelos registros.",
    503: "Banco de dados indisponível no momento; tente novamente em instantes.",
}
CORPO_MALFORMADO = "Requisição malformada: o corpo em partes (chunked) não pôde ser lido."
# Any other status (416, 431, ...): never werkzeug's English name.
OUTRO_ERRO_HTTP = "Não foi possível atender a este pedido."

# The error page's headline for people (the detail below it says what happened; the code stays in
# small print, for whoever helps them).
TITULOS = {
    400: "Não foi possível",
    401: "Entre para continuar",
    403: "Sem acesso",
    404: "Não encontrado",
    405: "Endereço usado do jeito errado",
    409: "Não foi possível",
    413: "Grande demais",
    415: "Formato não aceito",
    429: "Muitas tentativas",
    500: "Algo deu errado",
    503: "Fora do ar por um instante",
}

PREFIXOS_JSON = ("/fila-execucao", "/health", "/openapi.json")


def com_token() -> bool:
    """A bearer token came: an API client, whatever the address (e.g. /indicadores). Any other
    scheme is a browser's: behind a proxy's Basic auth it sends that header on every request,
    and its manager still gets the pages."""
    return request.headers.get("Authorization", "").lower().startswith("bearer ")


def quer_json() -> bool:
    if request.path.startswith(PREFIXOS_JSON) or com_token():
        return True
    melhor = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return melhor == "application/json"


def resposta(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    if quer_json():
        r = jsonify(detail=detail)
    elif request.htmx:  # type: ignore[attr-defined]
        # htmx swaps error answers too: tell the person in the page's announcement region.
        fonte = request.headers.get("HX-Source", "")
        r = Response(
            render_template("_aviso.html", detail=detail, fonte=fonte), mimetype="text/html"
        )
    else:
        # No address can be built (a Host the app cannot read: werkzeug's BadHost), so not
        # the page of ours that links its styles and the board: the words alone.
        sem_endereco = isinstance(request.routing_exception, BadHost)
        pagina = "erro_sem_endereco.html" if sem_endereco else "erro.html"
        titulo = TITULOS.get(status, "Erro")
        r = Response(
            render_template(pagina, status=status, titulo=titulo, detail=detail),
            mimetype="text/html",
        )
    r.status_code = status
    r.headers.update(headers or {})
    return r


# A query stopped by its time limit (MaxTimeMSExpired): what was asked is too big for now.
TEMPO_ESGOTADO = 50
CONSULTA_LONGA = (
    "O cálculo levou tempo demais e foi interrompido: há ordens demais no período. "
    "Escolha um período menor."
)
# Server states in which the same request works a moment later (shutdown, stepdown, election).
CODIGOS_TRANSITORIOS = frozenset({91, 189, 10107, 11600, 11602, 13435, 13436})


def banco_fora() -> bool:
    """This request already found the database down (pages then skip anything that asks it
    again, like the signed-in user in the header: one timeout, not two)."""
    return bool(g.get("banco_fora"))


def _indisponivel(erro: Exception) -> Response:
    g.banco_fora = True
    log.error("banco de dados indisponível: %s", erro)
    metrics.registrar_erro_banco()
    return resposta(503, MENSAGENS_HTTP[503], {"Retry-After": "5"})


def instalar(app: Flask) -> None:
    @app.before_request
    def _barra_dobrada_no_inicio() -> None:
        # werkzeug's routing strips the path's leading slashes ("//fila-execucao" matched
        # "/fila-execucao"): a doubled slash there is an address we do not have, as anywhere
        # else (components.Enderecos).
        if request.environ.get("PATH_INFO", "").startswith("//"):
            raise NotFound()

    @app.before_request
    def _corpo_em_partes() -> None:
        # A chunked body has no length to refuse up front, and werkzeug stops reading it at
        # MAX_CONTENT_LENGTH without a word: cut there, a form or JSON would be applied
        # without its end. Read it here (kept for the form or JSON parser) up to the limit:
        # past it, 413, as for a body that says its length.
        if (
            request.content_length is None
            and "chunked" in request.headers.get("Transfer-Encoding", "").lower()
        ):
            limite = app.config["MAX_CONTENT_LENGTH"]
            # One byte past the limit, to tell a body of exactly the limit from a longer one.
            request.max_content_length = limite + 1
            try:
                corpo = request.get_data(cache=True)
            except (ParseException, NoMoreData):
                # gunicorn decodes the chunks as they are read: a bad size, a missing end, an
                # endless trailer is the client's error (400), not a 500 with a traceback.
                raise ErroHttp(400, CORPO_MALFORMADO, {"Connection": "close"}) from None
            finally:
                request.max_content_length = limite
            if len(corpo) > limite:
                raise RequestEntityTooLarge()

    @app.errorhandler(ErroHttp)
    def _erro_http(erro: ErroHttp) -> Response:
        return resposta(erro.status, erro.detail, erro.headers)

    @app.errorhandler(ConnectionFailure)
    def _banco_fora(erro: ConnectionFailure) -> Response:
        return _indisponivel(erro)

    @app.errorhandler(OperationFailure)
    def _operacao(erro: OperationFailure) -> Response:
        # A server shutting down or stepping down (a failover) answered this one request: the
        # next one goes to the new primary. Not a bug of ours: 503, try again.
        if erro.code in CODIGOS_TRANSITORIOS or erro.has_error_label("RetryableWriteError"):
            return _indisponivel(erro)
        if erro.code == TEMPO_ESGOTADO:  # a query's own time limit (maxTimeMS): stopped there
            log.warning("consulta interrompida pelo tempo máximo: %s", erro)
            return resposta(503, CONSULTA_LONGA, {"Retry-After": "5"})
        log.exception("erro do banco de dados")
        return resposta(500, MENSAGENS_HTTP[500])

    @app.errorhandler(HTTPException)
    def _http(erro: HTTPException) -> Response:
        status = erro.code or 500
        headers = (
            {"Allow": ", ".join(erro.valid_methods)} if getattr(erro, "valid_methods", None) else {}
        )
        if status == 413:
            # The body was not read: a server that does not drain it (werkzeug's) must not
            # reuse the connection. gunicorn drains it, and sets this header itself.
            headers["Connection"] = "close"
        return resposta(status, MENSAGENS_HTTP.get(status, OUTRO_ERRO_HTTP), headers)

    @app.errorhandler(Exception)
    def _inesperado(erro: Exception) -> Response:
        log.exception("erro inesperado")
        return resposta(500, MENSAGENS_HTTP[500])
