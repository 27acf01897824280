"""The board's partials with their data: reads the queue in a few indexed queries (never one per
card), builds the view models (cards.py) and renders the templates that full pages, htmx
answers and pushes share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import render_template
from markupsafe import Markup

from ..cartoes import cards
from ..cartoes.cards import Cartao, Coluna
from ..cartoes.service import contar_atrasadas, contexto, em_servico, nome_fora_da_lista, remocoes
from ..clock import Clock, agora
from ..components import componente
from ..configuracoes.queries import ConfiguracoesQueries
from ..fila.cursors import cursor
from ..fila.domain import GESTORES, Papel, Status
from ..fila.queries import FilaQueries
from ..pessoas.queries import PessoasQueries
from ..previsao.cache import PrevisoesEmMemoria
from ..previsao.queries import Estado, Previsoes
from .filters import Filtros

POR_PAGINA = 40  # cards a column renders at once; "Mostrar mais" loads the next ones


def pagina(
    status: str, filtros: Filtros, depois: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of a column and the cursor of the next one (None: it was the last)."""
    itens = componente(FilaQueries).pagina_coluna(
        status, filtros.consulta(), componente(Clock).inicio_do_dia(), depois, POR_PAGINA + 1
    )
    if len(itens) > POR_PAGINA:
        itens = itens[:POR_PAGINA]
        return itens, cursor(itens[-1])
    return itens, None


def contagens(filtros: Filtros) -> dict[str, tuple[int, int | None]]:
    """Each column's count as the filters show it and, with a filter on, the column's total:
    a count never says more than the column can show."""
    hoje, queries = componente(Clock).inicio_do_dia(), componente(FilaQueries)
    totais = queries.contagens(hoje)
    if not filtros.args():
        return {s: (n, None) for s, n in totais.items()}
    vistas = queries.contagens(hoje, filtros.consulta())
    return {s: (vistas[s], n) for s, n in totais.items()}


def montar_colunas(
    papel: Papel | None, filtros: Filtros
) -> tuple[list[Coluna[Cartao]], cards.Contexto]:
    """The board: each column's first page, the counts, the limits, the names and the
    forecasts; and the render's context (its forecasts' summary is the header's)."""
    paginas = {s: pagina(s, filtros) for s in cards.COLUNAS}
    itens = [i for lista, _ in paginas.values() for i in lista]
    ctx = contexto(papel, itens, previsao=True)
    colunas = cards.colunas(
        paginas,
        ctx,
        contagens(filtros),
        componente(ConfiguracoesQueries).limites_colunas(),
    )
    return colunas, ctx


def render_contagens(
    papel: Papel | None, filtros: Filtros, previsao: Estado | None = None
) -> Markup:
    """Every column's count under these filters (its header and its tab), the late count,
    the count at risk (when the forecast's summary `previsao` was read with the cards) and,
    for a manager, the filter's active mechanics with their load, as partials: pushed with
    each change, and with a beat when the clock alone moved them or a mechanic was added or
    deactivated (no change of the queue says so)."""
    numeros = contagens(filtros)
    limites = componente(ConfiguracoesQueries).limites_colunas()
    colunas = [
        Coluna(s, [], numeros[s][0], limites.get(s), total=numeros[s][1]) for s in cards.COLUNAS
    ]
    return Markup(
        render_template(
            "quadro/_contagens.html",
            colunas=colunas,
            atrasadas=contar_atrasadas(),
            previsao=previsao,
            filtros=filtros,
            **_filtro_mecanico(papel, filtros),
        )
    )


def render_contagens_agora(papel: Papel | None, filtros: Filtros) -> Markup:
    """The counts with the forecast's summary as this process holds it now: what the clock
    alone moves between pushes (an order turning late), sent by the live stream with a beat."""
    return render_contagens(papel, filtros, componente(PrevisoesEmMemoria).estado())


def pertence(item: Mapping[str, Any], filtros: Filtros) -> bool:
    """Whether a card belongs on a board with these filters (FINALIZADA: only today's)."""
    fim = item.get("dta_fim_reparo")
    if item.get("status") == Status.FINALIZADA and (
        fim is None or fim < componente(Clock).inicio_do_dia()
    ):
        return False
    return filtros.aceita(item)


def render_mudancas(
    mudados: list[tuple[str, dict[str, Any] | None]],
    papel: Papel | None,
    filtros: Filtros,
    *,
    estado: dict[str, Any] | None = None,
    anunciar: str | None = None,
    compartilhado: bool = False,
    mecanicos_ativos: list[cards.Mecanico] | None = None,
    proprio: bool = False,
) -> str:
    """The partials of changed cards (`(fila_id, item or None when removed)`): each out of where
    it was, into its column when it still belongs on this board; the counts; the announcement.
    Names, counts and limits are read once for the whole batch, not once per card.
    `compartilhado`: one render serves everyone who watches this view (a push), so its forms
    carry no one's CSRF token (htmx sends it as a header). `mecanicos_ativos`: the
    assignment's list, for a card whose other actions come back open (`estado`). `proprio`:
    the answer to this person's own change, said even when its card leaves this filtered
    board (a car given to another mechanic while he typed: it left without a word)."""
    itens = [i for _, i in mudados if i is not None]
    visiveis = [i for i in itens if pertence(i, filtros)]
    saidas = [i for i in itens if not pertence(i, filtros) and filtros.tirou(i)]
    ditos = itens if proprio else visiveis + saidas  # the cards said
    ctx = contexto(papel, ditos)
    cartoes = [
        (fila_id, cards.cartao(item, ctx) if any(item is v for v in visiveis) else None)
        for fila_id, item in mudados
    ]
    if anunciar is None:
        # Only what this board shows is said: a mechanic on "Minhas ordens" does not hear the
        # whole shop's changes (a screen reader reads every one).
        autores = componente(PessoasQueries).nomes_por_login(
            (i.get("historico") or [{}])[-1].get("por") for i in ditos
        )
        ditas = [cards.anuncio(item, autores, ctx.nomes, ctx.fuso) for item in ditos]
        # A removal has no document left to say it: its archived copy does (a card this board
        # showed), or it vanished from every other board without a word.
        removidos = [fila_id for fila_id, item in mudados if item is None]
        for copia, texto in remocoes(removidos).values():  # no query when none
            if pertence(copia, filtros):
                ditas.append(f"{texto}.")
        anunciar = " ".join(filter(None, ditas))
    return render_template(
        "quadro/_mudanca.html",
        cartoes=cartoes,
        estado=estado or {},
        mecanicos_ativos=mecanicos_ativos or [],
        anuncio=anunciar,
        contagens_html=render_contagens(papel, filtros, ctx.previsoes.estado),
        com_csrf=not compartilhado,
        filtros=filtros,
    )


def render_previsoes(
    mudadas: list[tuple[str, Mapping[str, Any] | None]], papel: Papel | None
) -> str:
    """The forecasts a recompute rewrote (`(fila_id, forecast or None when removed)`): each
    card's forecast line alone (its own target: the card's node, version and forms stay; a
    card not on this page has no target and nothing happens), and the counts at risk and late,
    read now (a flag that dropped because the promise passed is a late order now, in the same
    push). Shared by everyone who watches this view: no one's CSRF token in its forms."""
    estado = componente(PrevisoesEmMemoria).estado()
    ctx = cards.Contexto(
        instante=agora(), fuso=componente(Clock).fuso, papel=papel, previsoes=Previsoes({}, estado)
    )
    prometer = cards.pode_prometer(papel)
    linhas = [
        cards.LinhaPrevisao(
            fila_id,
            cards.previsao_do_cartao(doc, ctx),
            prometer,
            doc.get("ordem_servico_id") if doc else None,
        )
        for fila_id, doc in mudadas
    ]
    return render_template(
        "quadro/_previsoes.html",
        linhas=linhas,
        previsao=estado,
        atrasadas=contar_atrasadas(),
        gerente=papel in GESTORES,
        com_csrf=False,
    )


def render_selos(itens: list[dict[str, Any]], papel: Papel | None, filtros: Filtros) -> str:
    """The OS-service badge alone of each of these orders (a dispatcher recorded an attempt:
    nothing else of the card changed), for the cards on this board; the card stays as it is."""
    visiveis = [i for i in itens if pertence(i, filtros)]
    if not visiveis:
        return ""
    ctx = contexto(papel, visiveis)
    cartoes = [cards.cartao(i, ctx) for i in visiveis]
    return render_template("quadro/_selos.html", cartoes=cartoes, com_csrf=False)


def render_quadro_completo(papel: Papel | None, filtros: Filtros) -> str:
    """Every column's cards and the counts (a manager's filter too), as partials: what a
    (re)connecting board shows.
    Shared by everyone who watches this view, like a push: no one's CSRF token in its forms."""
    colunas, ctx = montar_colunas(papel, filtros)
    return render_template(
        "quadro/_completo.html",
        colunas=colunas,
        filtros=filtros,
        atrasadas=contar_atrasadas(),
        previsao=ctx.previsoes.estado,
        gerente=papel in GESTORES,
        **_filtro_mecanico(papel, filtros),
        com_csrf=False,
    )


def _filtro_mecanico(papel: Papel | None, filtros: Filtros) -> dict[str, Any]:
    """What a manager's filter by mechanic is drawn from, pushed (_opcoes_mecanico.html)."""
    if papel not in GESTORES:
        return {"filtro_mecanico": False, "mecanicos": []}
    equipe = em_servico()  # as the page's (routes.equipe_do_pedido)
    nome = nome_fora_da_lista(filtros.mecanico, equipe)
    return {"filtro_mecanico": True, "mecanicos": equipe, "nome_escolhido": nome}
