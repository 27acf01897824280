"""The manager's indicators page (`/indicadores`) and the export of finished orders
(`/indicadores/exportar.csv`). The same address answers JSON to a bearer token: that answer is
the API's (api/routes.py, which runs before this page's view)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Response,
    make_response,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from .. import errors
from ..auth import exigir_gerente
from ..cartoes.service import contar_atrasadas
from ..clock import Clock, agora
from ..components import componente
from ..fila.cursors import CursorInvalido
from ..urls import parametro_repetido
from . import service
from .charts import graficos
from .domain import LEITURA, PERIODOS, Periodo, PeriodoInvalido, periodo

bp = Blueprint("indicadores", __name__, url_prefix="/indicadores")


def _periodo() -> tuple[Periodo, PeriodoInvalido | None]:
    """The period asked for in the query string, or the default one and why not."""
    hoje = service.hoje()
    args = request.args
    if repetido := parametro_repetido(("periodo", "de", "ate")):
        return periodo(None, None, None, hoje), PeriodoInvalido(repetido)
    try:
        return periodo(args.get("periodo"), args.get("de"), args.get("ate"), hoje), None
    except PeriodoInvalido as erro:
        return periodo(None, None, None, hoje), erro


@bp.get("")
def index() -> Any:
    """The page for a signed-in manager (with a bearer token the API answers instead)."""
    resposta = make_response(pagina())
    resposta.headers["Vary"] = "Authorization, Cookie"
    return resposta


@exigir_gerente
def pagina() -> Any:
    p, erro = _periodo()
    pedido = {k: request.args.get(k, "") for k in ("periodo", "de", "ate")}
    ind = service.calcular(p)
    atrasadas, atrasadas_depois = service.atrasadas()
    corpo = render_template(
        "indicadores/index.html",
        ind=ind,
        graficos=graficos(ind),
        atrasadas=atrasadas,
        atrasadas_depois=atrasadas_depois,
        total_atrasadas=contar_atrasadas(),
        periodos=PERIODOS,
        leitura=LEITURA,
        erro=str(erro) if erro else None,
        # The fields it is about, marked; each keeps what was typed (_macros.campo_dia).
        erros=erro.campos if erro else (),
        pedido=pedido,
        **_secao_em_risco(),
    )
    return Response(corpo, status=400 if erro else 200, mimetype="text/html")


def _periodo_pedido() -> dict[str, str]:
    """The period the page was asked for, as given (its non-empty arguments)."""
    return {k: v for k in ("periodo", "de", "ate") if (v := request.args.get(k, ""))}


def _secao_em_risco() -> dict[str, Any]:
    """What the at-risk section shows (indicadores/_em_risco.html): its first rows, and the
    period asked for (`pedido_args`): "Prometer" comes back to it (`volta`), not to the
    default one, and so does the section's own re-read."""
    em_risco, em_risco_depois = service.em_risco()
    pedido = _periodo_pedido()
    return {
        # The list stays as read on a desk left open: when that was, said beside it.
        "lida_em": componente(Clock).local(agora()),
        "em_risco": em_risco,
        "em_risco_depois": em_risco_depois,
        "previsao": service.estado_da_previsao(),
        "pedido_args": pedido,
        "volta": url_for("indicadores.index", **pedido),
    }


@bp.get("/em-risco/agora")
@exigir_gerente
def em_risco_agora() -> Any:
    """The at-risk section alone, for its own re-read while it has no list to show; without
    htmx, the page at that section."""
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect(url_for("indicadores.index", **_periodo_pedido()) + "#em-risco")
    return render_template("indicadores/_em_risco.html", **_secao_em_risco())


# The tables that show a window of rows, and the function giving a page of each.
TABELAS: dict[str, Callable[..., tuple[list[Any], str | None]]] = {
    "em-risco": service.em_risco,
    "atrasadas": service.atrasadas,
}
MENSAGEM_CURSOR = "Página da tabela inválida; recarregue os indicadores."


@bp.get(f"/<any({', '.join(map(repr, TABELAS))}):tabela>")
@exigir_gerente
def mais(tabela: str) -> Any:
    """A table's next page ("Mostrar mais"): its rows for htmx, a page of its own without
    JavaScript."""
    try:
        linhas, depois = TABELAS[tabela](depois=request.args.get("depois"))
    except CursorInvalido:
        return errors.resposta(400, MENSAGEM_CURSOR)
    modelo = "indicadores/_pagina.html" if request.htmx else "indicadores/tabela.html"  # type: ignore[attr-defined]
    return render_template(modelo, tabela=tabela, linhas=linhas, depois=depois)


@bp.get("/exportar.csv")
@exigir_gerente
def exportar() -> Any:
    """The export for a signed-in manager (with a bearer token the API's hook answers it)."""
    return csv_do_periodo()


def csv_do_periodo() -> Response:
    """The finished orders of the period as CSV for Excel, streamed from a cursor: for whoever
    may read the indicators, checked by the caller (the session's or the token's)."""
    p, erro = _periodo()
    if erro:
        return errors.resposta(400, str(erro))
    nome = f"ordens-finalizadas-{p.de.isoformat()}-a-{p.ate.isoformat()}.csv"
    return Response(
        stream_with_context(service.exportar(p)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{nome}"',
            "Cache-Control": "no-store",
        },
    )
