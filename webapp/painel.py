"""The read-only TV wall display (`/painel?token=...`) and its live stream (`/painel/eventos`).

A TV has no user session: it opens the page with a display token (webapp.configuracoes). Each
column shows its most urgent cards that fit on a 1920x1080 screen and "+N" for the rest, so a push
re-renders the columns a change touched, plus every column's count; not the whole page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bson import ObjectId
from flask import Blueprint, Response, current_app, render_template, request
from pymongo.database import Database

from . import domain, erros, eventos, quadro
from .config import limites_alerta
from .configuracoes import limites_colunas, token_ativo, verificar_token
from .domain import Status
from .repository import COLECAO, ORDEM_FILA
from .service import agora

bp = Blueprint("painel", __name__, url_prefix="/painel")

COLUNAS = quadro.COLUNAS
MENSAGEM_TOKEN = (
    "Token de painel inválido ou revogado. Peça ao gerente um novo endereço "
    "(Configurações → Telas de TV)."
)
# Short sub-stage labels: the TV's columns are narrow and its type is large.
SUB_ETAPAS = {
    domain.SubEtapa.AGUARDANDO_DIAGNOSTICO: "Aguardando diagnóstico",
    domain.SubEtapa.AGUARDANDO_APROVACAO: "Aguardando aprovação",
    domain.SubEtapa.PRONTA_PARA_REPARO: "Pronta para reparo",
}
# Even without changes the TV redraws now and then: the day rolls over ("finalizadas hoje").
RECARGA_S = 600.0


@dataclass
class CartaoTV:
    fila_id: str
    ordem_servico_id: int
    placa: str | None
    veiculo: str | None
    prioridade: str  # code, lower case (CSS class)
    rotulo_prioridade: str
    mecanico: str | None
    sub_etapa: str | None
    tempo_etapa: str
    desde_ms: int | None  # when the stage began, holds excluded (painel.js ticks); None on hold
    atencao_s: int
    atraso_s: int
    alerta: str
    pausa: str | None
    mais_antiga: bool = False


@dataclass
class ColunaTV:
    status: str
    titulo: str
    cartoes: list[CartaoTV]
    contagem: int
    limite: int | None
    mostrados: int | None = None  # cards on screen, when `cartoes` is not filled (header only)

    @property
    def mais(self) -> int:
        na_tela = len(self.cartoes) if self.mostrados is None else self.mostrados
        return max(0, self.contagem - na_tela)

    @property
    def acima_do_limite(self) -> bool:
        return self.limite is not None and self.contagem > self.limite


@dataclass
class Destaque:
    """The order that has been waiting longest (AGUARDANDO, time in stage, holds excluded)."""

    cartao: CartaoTV
    segundos: float


@dataclass
class Estado:
    """What one TV shows now: which cards each column lists, and the highlighted one."""

    mostrados: dict[str, list[str]] = field(default_factory=dict)
    destaque_id: str | None = None


def _db() -> Database:
    return current_app.extensions["mongo"].db


def _max_cartoes() -> int:
    return current_app.config["SETTINGS"].painel_max_cartoes


def _cartao(
    item: dict[str, Any], nomes: dict[int, str], instante: datetime, destaque_id: str | None
) -> CartaoTV:
    """The board's card (quadro.cartao, no buttons), plus what the TV needs to tick by itself."""
    c = quadro.cartao(item, None, nomes, instante)
    atencao, atraso = limites_alerta(current_app.config["SETTINGS"])[c.prioridade]
    etapa = domain.sub_etapa(item)
    parado = c.pausa is not None or c.status == Status.FINALIZADA
    return CartaoTV(
        fila_id=c.fila_id,
        ordem_servico_id=c.ordem_servico_id,
        placa=c.placa,
        veiculo=c.veiculo,
        prioridade=c.prioridade.value.lower(),
        rotulo_prioridade=c.rotulo_prioridade,
        mecanico=c.mecanico,
        sub_etapa=SUB_ETAPAS[etapa] if etapa else None,
        tempo_etapa=c.tempo_etapa,
        desde_ms=None if parado else int((instante.timestamp() - c.segundos_etapa) * 1000),
        atencao_s=atencao * 60,
        atraso_s=atraso * 60,
        alerta=c.alerta.value,
        pausa=c.pausa["rotulo"] if c.pausa else None,
        mais_antiga=c.fila_id == destaque_id,
    )


def _itens_coluna(db: Database, status: str, limite: int) -> list[dict[str, Any]]:
    fila = db[COLECAO]
    if status == Status.FINALIZADA:
        # The most recently finished first: that is what the shop floor wants to see.
        consulta = {"status": status, "dta_fim_reparo": {"$gte": quadro.inicio_do_dia()}}
        return list(fila.find(consulta).sort([("dta_fim_reparo", -1), ("_id", -1)]).limit(limite))
    return list(fila.find({"status": status}).sort(ORDEM_FILA).limit(limite))


def _destaque(db: Database, instante: datetime) -> tuple[dict[str, Any], float] | None:
    # Time in stage is computed (holds excluded), so the waiting orders are compared in Python:
    # a shop has tens of them at most.
    aguardando = db[COLECAO].find({"status": Status.AGUARDANDO})
    melhor: tuple[dict[str, Any], float] | None = None
    for item in aguardando:
        segundos = domain.tempo_na_etapa(item, instante)
        if melhor is None or segundos > melhor[1]:
            melhor = (item, segundos)
    return melhor


def montar(
    db: Database,
    estado: Estado,
    colunas: set[str] | None = None,
    achado: tuple[dict[str, Any], float] | None = None,
) -> tuple[list[ColunaTV], Destaque | None, dict[str, int], dict[str, int | None]]:
    """The columns in `colunas` (default: all), the highlight, the counts and the limits.
    Updates `estado` with what is now shown. `achado`: the highlight (`_destaque`)."""
    instante = agora()
    limite = _max_cartoes()
    destaque_id = str(achado[0]["_id"]) if achado else None
    estado.destaque_id = destaque_id
    por_status = {
        str(s): _itens_coluna(db, s, limite) for s in COLUNAS if colunas is None or s in colunas
    }
    todos = [i for itens in por_status.values() for i in itens] + ([achado[0]] if achado else [])
    nomes = quadro.nomes_mecanicos(db, todos)
    totais = quadro.contagens(db)
    limites = limites_colunas(db)
    resultado = []
    for status, itens in por_status.items():
        cartoes = [_cartao(i, nomes, instante, destaque_id) for i in itens]
        estado.mostrados[status] = [c.fila_id for c in cartoes]
        titulo = quadro.TITULOS[Status(status)]
        resultado.append(ColunaTV(status, titulo, cartoes, totais[status], limites.get(status)))
    destaque = None
    if achado:
        destaque = Destaque(_cartao(achado[0], nomes, instante, destaque_id), achado[1])
    return resultado, destaque, totais, limites


def render_completo(db: Database, estado: Estado) -> str:
    colunas, destaque, _, _ = montar(db, estado, None, _destaque(db, agora()))
    return render_template(
        "painel/_mudanca.html", colunas=colunas, cabecalhos=[], destaque=destaque
    )


def colunas_afetadas(estado: Estado, lote: list[eventos.Evento]) -> set[str]:
    """Columns to redraw: where each changed card is now, and where this TV showed it."""
    afetadas: set[str] = set()
    for evento in lote:
        documento = evento.documento
        if documento is not None and documento.get("status") in COLUNAS:
            afetadas.add(documento["status"])
        for status, ids in estado.mostrados.items():
            if evento.fila_id in ids:
                afetadas.add(status)
    return afetadas


def render_mudancas(db: Database, estado: Estado, lote: list[eventos.Evento]) -> str:
    afetadas = colunas_afetadas(estado, lote)
    achado = _destaque(db, agora())
    if (str(achado[0]["_id"]) if achado else None) != estado.destaque_id:
        # The highlight moved to another card: redraw the column that marks it.
        afetadas.add(str(Status.AGUARDANDO))
    colunas, destaque, totais, limites = montar(db, estado, afetadas, achado)
    # The other columns keep their cards; only their header (count, limit) and "+N" change.
    cabecalhos = [
        ColunaTV(
            str(s), quadro.TITULOS[s], [], totais[str(s)], limites.get(str(s)),
            mostrados=len(estado.mostrados.get(str(s), [])),
        )
        for s in COLUNAS
        if str(s) not in afetadas
    ]
    return render_template(
        "painel/_mudanca.html", colunas=colunas, cabecalhos=cabecalhos, destaque=destaque
    )


def _token() -> dict[str, Any] | None:
    return verificar_token(_db(), request.args.get("token"))


def _proibido() -> Response:
    resposta = erros.resposta(403, MENSAGEM_TOKEN)
    resposta.headers["Cache-Control"] = "no-store"
    return resposta


@bp.get("")
def index() -> Response:
    """The TV page. Without a valid token: 403 and nothing about the queue."""
    if _token() is None:
        return _proibido()
    db = _db()
    colunas, destaque, _, _ = montar(db, Estado(), None, _destaque(db, agora()))
    corpo = render_template(
        "painel/index.html",
        colunas=colunas,
        destaque=destaque,
        token=request.args["token"],
        agora=agora().astimezone(quadro.fuso()),
    )
    resposta = Response(corpo, mimetype="text/html")
    resposta.headers["Cache-Control"] = "no-store"
    # The token is in the URL: never send it on to another site.
    resposta.headers["Referrer-Policy"] = "no-referrer"
    return resposta


@bp.get("/eventos")
def eventos_painel() -> Response:
    """The TV's live stream: the whole display first, then the columns each change touches."""
    documento = _token()
    if documento is None:
        return _proibido()
    db = _db()
    token_id: ObjectId = documento["_id"]
    estado = Estado()

    def completo() -> str:
        return render_completo(db, estado)

    def mudancas(lote: list[eventos.Evento]) -> str:
        return render_mudancas(db, estado, lote)

    def valido() -> bool:
        return token_ativo(db, token_id)

    return eventos.resposta_sse(
        eventos.transmitir(
            completo=completo,
            mudancas=mudancas,
            valido=valido,
            ao_revogar="Token revogado.",
            recarga_s=RECARGA_S,
        )
    )
