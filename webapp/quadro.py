"""What the board shows: columns, cards and counts, built from the queue in a few indexed queries
(never one per card) and rendered by partials that full pages, htmx responses and server pushes
all share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from markupsafe import Markup
from pymongo.database import Database

from . import domain, entrega
from .config import Settings, limites_alerta
from .domain import Acao, Alerta, Papel, Prioridade, Status, SubEtapa
from .repository import ORDEM_FILA
from .service import agora

COLUNAS = (Status.AGUARDANDO, Status.EM_DIAGNOSTICO, Status.EM_REPARO, Status.FINALIZADA)
ATIVOS = COLUNAS[:3]

TITULOS = {
    Status.AGUARDANDO: "Aguardando",
    Status.EM_DIAGNOSTICO: "Em diagnóstico",
    Status.EM_REPARO: "Em reparo",
    Status.FINALIZADA: "Finalizadas hoje",
}
ROTULOS_PRIORIDADE = {
    Prioridade.URGENTE: "Urgente",
    Prioridade.ALTA: "Alta",
    Prioridade.NORMAL: "Normal",
    Prioridade.BAIXA: "Baixa",
}
ROTULOS_SUB_ETAPA = {
    SubEtapa.AGUARDANDO_DIAGNOSTICO: "Aguardando diagnóstico",
    SubEtapa.AGUARDANDO_APROVACAO: "Aguardando aprovação do orçamento",
    SubEtapa.PRONTA_PARA_REPARO: "Aprovada, pronta para reparo",
}
# URL slug of each step, shared by the JSON API and the board's forms.
SLUGS = {acao: acao.value.replace("_", "-") for acao in domain.PASSOS}
ACOES_POR_SLUG = {slug: acao for acao, slug in SLUGS.items()}
# Steps that need text from the person: their button opens an inline form.
COM_FORMULARIO = {Acao.FINALIZAR_DIAGNOSTICO, Acao.FINALIZAR_REPARO}


# --- Filters ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filtros:
    """The board's filters: "minhas ordens" (a mechanic's funcionario_id) and a search text."""

    mecanico: int | None = None
    q: str = ""

    @classmethod
    def de_args(cls, args: Any) -> Filtros:
        mecanico = args.get("mecanico", "")
        q = (args.get("q") or "").strip()[:40]
        return cls(int(mecanico) if mecanico.isdigit() else None, q)

    @classmethod
    def de_url(cls, url: str | None) -> Filtros:
        """The filters of the page that sent an htmx request (its HX-Current-URL)."""
        if not url:
            return cls()
        valores = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        return cls.de_args(valores)

    def consulta(self) -> dict[str, Any]:
        consulta: dict[str, Any] = {}
        if self.mecanico is not None:
            consulta["mecanico_responsavel_id"] = self.mecanico
        if self.q:
            alternativas: list[dict[str, Any]] = []
            placa = domain.normalizar_placa(self.q)
            if placa:
                alternativas.append({"placa": {"$regex": re.escape(placa)}})
            if self.q.isdigit():
                alternativas.append({"ordem_servico_id": int(self.q)})
            consulta["$or"] = alternativas or [{"_id": None}]
        return consulta

    def aceita(self, item: dict[str, Any]) -> bool:
        if self.mecanico is not None and item.get("mecanico_responsavel_id") != self.mecanico:
            return False
        if self.q:
            placa = domain.normalizar_placa(self.q) or "\0"
            na_placa = placa in (item.get("placa") or "")
            na_os = self.q.isdigit() and item.get("ordem_servico_id") == int(self.q)
            return bool(na_placa or na_os)
        return True

    def args(self) -> dict[str, str]:
        args = {}
        if self.mecanico is not None:
            args["mecanico"] = str(self.mecanico)
        if self.q:
            args["q"] = self.q
        return args


# --- Time of the shop ---------------------------------------------------------------------


def _settings() -> Settings:
    return current_app.config["SETTINGS"]


def fuso() -> ZoneInfo:
    return ZoneInfo(_settings().fuso_horario)


def inicio_do_dia(instante: datetime | None = None) -> datetime:
    """Midnight of the shop's today, as an aware datetime."""
    local = (instante or agora()).astimezone(fuso())
    return datetime.combine(local.date(), time.min, tzinfo=fuso())


def finalizada_hoje(item: dict[str, Any], hoje: datetime) -> bool:
    fim = item.get("dta_fim_reparo")
    return fim is not None and fim >= hoje


def corresponde(item: dict[str, Any], filtros: Filtros) -> bool:
    """Whether a card belongs on a board with these filters (FINALIZADA: only today's)."""
    if item.get("status") == Status.FINALIZADA and not finalizada_hoje(item, inicio_do_dia()):
        return False
    return filtros.aceita(item)


# --- Cards --------------------------------------------------------------------------------------


def duracao(segundos: float) -> str:
    minutos = int(segundos // 60)
    if minutos < 60:
        return f"{minutos} min"
    horas, minutos = divmod(minutos, 60)
    if horas < 24:
        return f"{horas} h {minutos:02d} min"
    dias, horas = divmod(horas, 24)
    return f"{dias} d {horas} h"


@dataclass
class Botao:
    acao: str  # slug
    rotulo: str
    para: Status  # the column the step leads to (drag and drop targets)
    formulario: bool = False  # opens an inline form (text to type)
    motivo_bloqueio: str | None = None  # shown disabled with this reason


@dataclass
class Cartao:
    fila_id: str
    ordem_servico_id: int
    status: Status
    prioridade: Prioridade
    rotulo_prioridade: str
    placa: str | None
    veiculo: str | None
    cliente: str | None
    descricao: str | None
    sub_etapa: str | None
    mecanico: str | None
    tempo_etapa: str
    segundos_etapa: float  # holds excluded
    alerta: Alerta
    diagnostico: str | None
    previsao_entrega: datetime | None
    entrega_atrasada: bool
    pausa: dict[str, Any] | None
    tempo_pausa: str | None
    ordem: str  # sort key for the client: priority, then age
    versao: int
    botoes: list[Botao] = field(default_factory=list)
    gerente: bool = False
    pode_pausar: bool = False
    motivos: dict[str, str] = field(default_factory=dict)  # why a drop on a column is refused
    # Delivery to the OS service (webapp/entrega.resumo, times in the shop's zone); None when
    # the order has no step to tell yet.
    sincronizacao: dict[str, Any] | None = None
    pode_reenviar_os: bool = False


def _resumo(texto: str | None, limite: int = 120) -> str | None:
    if not texto:
        return None
    return texto if len(texto) <= limite else texto[: limite - 1].rstrip() + "…"


def _botoes(item: dict[str, Any], papel: Papel) -> list[Botao]:
    botoes = [
        Botao(SLUGS[p.acao], p.rotulo.capitalize(), p.para, p.acao in COM_FORMULARIO)
        for p in domain.passos_permitidos(item, papel)
    ]
    if domain.sub_etapa(item) is SubEtapa.AGUARDANDO_APROVACAO:
        reparo = domain.PASSOS[Acao.INICIAR_REPARO]
        botoes.append(
            Botao(
                SLUGS[Acao.INICIAR_REPARO],
                reparo.rotulo.capitalize(),
                reparo.para,
                motivo_bloqueio="Aguardando a aprovação do orçamento",
            )
        )
    return botoes


def cartao(
    item: dict[str, Any],
    papel: Papel | None,
    nomes: dict[int, str],
    instante: datetime | None = None,
) -> Cartao:
    instante = instante or agora()
    prioridade = Prioridade(item["prioridade"])
    segundos = domain.tempo_na_etapa(item, instante)
    etapa = domain.sub_etapa(item)
    pausa = item.get("pausa")
    mecanico_id = item.get("mecanico_responsavel_id")
    previsao = item.get("previsao_entrega")
    finalizada = item["status"] == Status.FINALIZADA
    sincronizacao = _sincronizacao(item)
    return Cartao(
        fila_id=str(item["_id"]),
        ordem_servico_id=item["ordem_servico_id"],
        status=Status(item["status"]),
        prioridade=prioridade,
        rotulo_prioridade=ROTULOS_PRIORIDADE[prioridade],
        placa=item.get("placa"),
        veiculo=item.get("veiculo"),
        cliente=item.get("cliente"),
        descricao=_resumo(item.get("descricao"), 90),
        sub_etapa=ROTULOS_SUB_ETAPA[etapa] if etapa else None,
        mecanico=nomes.get(mecanico_id, f"Mecânico nº {mecanico_id}") if mecanico_id else None,
        tempo_etapa=duracao(segundos),
        segundos_etapa=segundos,
        alerta=Alerta.OK
        if finalizada
        else domain.alerta(segundos, prioridade, limites_alerta(_settings())),
        diagnostico=_resumo(item.get("diagnostico")),
        previsao_entrega=previsao.astimezone(fuso()) if previsao else None,
        entrega_atrasada=bool(previsao and not finalizada and previsao < instante),
        pausa=({**pausa, "rotulo": domain.MotivoPausa(pausa["motivo"]).rotulo} if pausa else None),
        tempo_pausa=duracao((instante - pausa["desde"]).total_seconds()) if pausa else None,
        ordem=f"{prioridade.ordem:02d}-{int(item['dta_criacao'].timestamp() * 1000):015d}",
        versao=item.get("versao", 1),
        botoes=_botoes(item, papel) if papel else [],
        gerente=bool(papel and domain.pode(papel, Acao.ALTERAR_PRIORIDADE)) and not finalizada,
        pode_pausar=bool(papel) and not finalizada,
        motivos={
            str(s): motivo
            for s in COLUNAS
            if papel and s != item["status"]
            and (motivo := domain.motivo_para_mover(item, papel, s)) is not None
        },
        sincronizacao=sincronizacao,
        pode_reenviar_os=bool(
            papel
            and sincronizacao
            and sincronizacao["status"] == "falhou"
            and domain.pode(papel, Acao.REENVIAR_OS)
        ),
    )


def _sincronizacao(item: dict[str, Any]) -> dict[str, Any] | None:
    if not item.get("eventos_os"):
        return None
    estado = entrega.resumo(item, bool(_settings().url_api_os))
    proxima = estado["proxima_tentativa"]
    return {**estado, "proxima_tentativa": proxima.astimezone(fuso()) if proxima else None}


def nomes_mecanicos(db: Database, itens: list[dict[str, Any]]) -> dict[int, str]:
    """Display names of the mechanics of these items, in one query."""
    from .usuarios import nomes_por_funcionario

    ids = {i["mecanico_responsavel_id"] for i in itens if i.get("mecanico_responsavel_id")}
    return nomes_por_funcionario(db, ids) if ids else {}


def _papel(usuario: Any) -> Papel | None:
    return getattr(usuario, "papel", None)


def render_cartao(item: dict[str, Any], usuario: Any, **contexto: Any) -> str:
    """One card for this viewer (buttons depend on the role)."""
    db = current_app.extensions["mongo"].db
    c = cartao(item, _papel(usuario), nomes_mecanicos(db, [item]))
    return render_template("board/_cartao.html", c=c, **contexto)


# --- Columns and counts -------------------------------------------------------------------------


def contagens(db: Database) -> dict[str, int]:
    """Cards per column (FINALIZADA: finished today), in one aggregation."""
    hoje = inicio_do_dia()
    resultado = {str(s): 0 for s in COLUNAS}
    pipeline = [
        {
            "$match": {
                "$or": [
                    {"status": {"$in": list(ATIVOS)}},
                    {"status": Status.FINALIZADA, "dta_fim_reparo": {"$gte": hoje}},
                ]
            }
        },
        {"$group": {"_id": "$status", "n": {"$sum": 1}}},
    ]
    for linha in db["fila_execucao"].aggregate(pipeline):
        resultado[linha["_id"]] = linha["n"]
    return resultado


@dataclass
class Coluna:
    status: Status
    titulo: str
    cartoes: list[Cartao]
    contagem: int
    limite: int | None

    @property
    def acima_do_limite(self) -> bool:
        return self.limite is not None and self.contagem > self.limite


def limites_colunas(db: Database) -> dict[str, int | None]:
    from .configuracoes import limites_colunas as ler

    return ler(db)


def render_contagens(contagens: dict[str, int], limites: dict[str, int | None]) -> Markup:
    return Markup(
        render_template(
            "board/_contagens.html",
            colunas=[
                Coluna(s, TITULOS[s], [], contagens.get(s, 0), limites.get(s)) for s in COLUNAS
            ],
        )
    )


def montar_colunas(
    db: Database, papel: Papel | None, filtros: Filtros, limite_por_coluna: int | None = None
) -> list[Coluna]:
    """The whole board: one query for the open work, one for today's finished, one for names."""
    hoje = inicio_do_dia()
    fila = db["fila_execucao"]
    consulta = filtros.consulta()
    abertos = list(fila.find({"status": {"$in": list(ATIVOS)}, **consulta}).sort(ORDEM_FILA))
    finalizados = list(
        fila.find({"status": Status.FINALIZADA, "dta_fim_reparo": {"$gte": hoje}, **consulta}).sort(
            ORDEM_FILA
        )
    )
    itens = abertos + finalizados
    nomes = nomes_mecanicos(db, itens)
    instante = agora()
    por_status: dict[str, list[Cartao]] = {s: [] for s in COLUNAS}
    for item in itens:
        por_status[item["status"]].append(cartao(item, papel, nomes, instante))
    totais = contagens(db)
    limites = limites_colunas(db)
    return [
        Coluna(
            s,
            TITULOS[s],
            por_status[s][:limite_por_coluna] if limite_por_coluna else por_status[s],
            totais[s],
            limites.get(s),
        )
        for s in COLUNAS
    ]


# --- A change, as htmx partials -----------------------------------------------------------------


def anuncio(item: dict[str, Any] | None, ordem_servico_id: int | None = None) -> str:
    if item is None:
        return f"OS {ordem_servico_id} removida da fila." if ordem_servico_id else ""
    texto = f"OS {item['ordem_servico_id']}"
    if item.get("placa"):
        texto += f" ({item['placa']})"
    return f"{texto}: {TITULOS[Status(item['status'])].lower()}."


def render_mudanca(
    fila_id: str,
    item: dict[str, Any] | None,
    usuario: Any,
    filtros: Filtros,
    *,
    estado: dict[str, Any] | None = None,
    anunciar: str | None = None,
) -> str:
    """Partials for one changed card: remove it where it was, insert it in its column (when it
    still belongs on this board), refresh the counts and announce the change."""
    return render_mudancas([(fila_id, item)], usuario, filtros, estado=estado, anunciar=anunciar)


def render_mudancas(
    mudados: list[tuple[str, dict[str, Any] | None]],
    usuario: Any,
    filtros: Filtros,
    *,
    estado: dict[str, Any] | None = None,
    anunciar: str | None = None,
) -> str:
    """The partials of several changed cards (`(fila_id, item or None when removed)`), with the
    names, counts and limits read once for the whole batch, not once per card."""
    db = current_app.extensions["mongo"].db
    visiveis = [i for _, i in mudados if i is not None and corresponde(i, filtros)]
    nomes = nomes_mecanicos(db, visiveis)
    papel = _papel(usuario)
    cartoes = [
        (fila_id, cartao(item, papel, nomes) if any(item is v for v in visiveis) else None)
        for fila_id, item in mudados
    ]
    if anunciar is None:
        anunciar = " ".join(filter(None, (anuncio(item) for _, item in mudados)))
    return render_template(
        "board/_mudanca.html",
        cartoes=cartoes,
        estado=estado or {},
        anuncio=anunciar,
        contagens_html=render_contagens(contagens(db), limites_colunas(db)),
    )


def local(instante: datetime | None) -> datetime | None:
    return instante.astimezone(fuso()) if instante else None


HISTORICO_PAGINA = 25


def finalizadas_periodo(
    db: Database, de: datetime, ate: datetime, pagina: int
) -> tuple[list[dict[str, Any]], int]:
    consulta = {"status": Status.FINALIZADA, "dta_fim_reparo": {"$gte": de, "$lt": ate}}
    fila = db["fila_execucao"]
    total = fila.count_documents(consulta)
    itens = list(
        fila.find(consulta)
        .sort([("dta_fim_reparo", -1), ("_id", -1)])
        .skip((pagina - 1) * HISTORICO_PAGINA)
        .limit(HISTORICO_PAGINA)
    )
    return itens, total


def dia_local(data: Any) -> tuple[datetime, datetime]:
    inicio = datetime.combine(data, time.min, tzinfo=fuso())
    return inicio, inicio + timedelta(days=1)
