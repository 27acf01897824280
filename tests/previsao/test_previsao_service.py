"""The recompute through the real stack (a real mongod, the app's service and store): what it
reads, what it writes and when it does not, cold start, the conditional remaining time of an
order past its stage's median, and the summary's freshness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import Flask

from tests.helpers import Api
from tests.previsao.previsao_oficina import historico, quarta_10h, recalcular
from webapp.broker import PREVISAO, Broker
from webapp.clock import agora
from webapp.components import componente
from webapp.fila.demo import USUARIOS_DEMO
from webapp.mongo import Mongo
from webapp.pessoas.repository import PessoasRepository
from webapp.previsao.domain import PARADA, SEM_HISTORICO, SEM_MECANICOS
from webapp.previsao.queries import PrevisaoQueries
from webapp.previsao.repository import ESTADO, RETOMADO
from webapp.previsao.service import MUDANCA_MINIMA, mudou_o_bastante
from webapp.settings import Settings


def _iso(instante: datetime) -> str:
    return instante.astimezone(UTC).isoformat()


def _previsoes(app: Flask) -> dict:
    return {
        d["ordem_servico_id"]: d
        for d in componente(Mongo, app).db.previsoes.find({"_id": {"$ne": ESTADO}})
    }


def _em_reparo(api: Api, os_id: int, **extras: object) -> str:
    fila_id = api.criar(os_id, **extras)["fila_id"]
    api.levar_ate(fila_id, "iniciar-reparo")
    return fila_id


def test_recalculo_grava_uma_previsao_por_ordem_aberta_e_o_resumo(
    app: Flask, api: Api, usuarios_demo
) -> None:
    historico(app, 40)
    aguardando = api.criar(1001, placa="ABC1D23")["fila_id"]
    em_reparo = _em_reparo(api, 1002)
    finalizada = api.criar(1003)["fila_id"]
    api.levar_ate(finalizada, "finalizar-reparo")

    resumo = recalcular(app)

    # 40 + 1003; the demo's two active mechanics and nº 7, who repairs 1002 through the API.
    assert (resumo.base_ordens, resumo.mecanicos, resumo.abertas) == (41, 3, 2)
    guardadas = _previsoes(app)
    assert set(guardadas) == {1001, 1002}  # open orders only
    antes = agora()
    for previsao in guardadas.values():
        assert previsao["p50"] >= antes - timedelta(seconds=5)  # never in the past
        assert previsao["p80"] >= previsao["p50"]
    estado = componente(PrevisaoQueries, app).estado()
    assert estado is not None and estado.motivo is None
    assert (estado.base_ordens, estado.mecanicos, estado.janela_dias) == (41, 3, 90)
    assert estado.calculada_em is not None and abs(estado.calculada_em - antes) < timedelta(
        seconds=30
    )
    assert {aguardando, em_reparo} == {str(d["_id"]) for d in guardadas.values()}


def test_so_regrava_o_que_mudou_o_bastante_e_mantem_o_frescor_sem_regravar(
    app: Flask, api: Api, usuarios_demo
) -> None:
    historico(app, 40)
    api.criar(1001)
    db = componente(Mongo, app).db
    with (
        time_machine.travel(quarta_10h(app), tick=False) as viagem,
        componente(Broker, app).assinar() as assinatura,
    ):
        componente(Broker, app).aguardar_pronto()
        assert recalcular(app).escritas == 1
        primeira = db.previsoes.find_one({"ordem_servico_id": 1001})
        calculo = db.previsoes.find_one({"_id": ESTADO})["calculo"]
        # The first recompute's events (its forecast, then its summary) read before what
        # follows: a late one must not pass for a push of the second.
        _ate_o_evento(assinatura, primeira["p50"])
        _ate_o_evento(assinatura, None, fila_id=ESTADO)
        viagem.shift(timedelta(seconds=30))
        resumo = recalcular(app)
        # The same forecast: nothing rewritten, nothing pushed...
        assert (resumo.escritas, resumo.removidas) == (0, 0)
        assert db.previsoes.find_one({"ordem_servico_id": 1001}) == primeira
        # ...but the summary says it was checked now, in fields no screen watches.
        novo = db.previsoes.find_one({"_id": ESTADO})["calculo"]
        assert novo["em"] == calculo["em"] + timedelta(seconds=30)
        eventos = [assinatura.proximo(1.0) for _ in range(3)]
        assert [e for e in eventos if e is not None and e.tipo == PREVISAO] == []

        # A shown time that moved less than 10 minutes stays as stored (no flicker)...
        p50 = primeira["p50"]
        perto = p50 - MUDANCA_MINIMA + timedelta(minutes=1)
        db.previsoes.update_one({"_id": primeira["_id"]}, {"$set": {"p50": perto}})
        _ate_o_evento(assinatura, perto)
        assert recalcular(app).escritas == 0
        assert db.previsoes.find_one({"_id": primeira["_id"]})["p50"] == perto
        # ...10 minutes or more is rewritten, and pushed.
        longe = p50 - MUDANCA_MINIMA
        db.previsoes.update_one({"_id": primeira["_id"]}, {"$set": {"p50": longe}})
        _ate_o_evento(assinatura, longe)
        assert recalcular(app).escritas == 1
        reescrita = db.previsoes.find_one({"_id": primeira["_id"]})["p50"]
        assert abs(reescrita - p50) < timedelta(minutes=1)  # 30 s later than the first
        evento = assinatura.proximo(3.0)
        assert evento is not None and evento.tipo == PREVISAO
        assert evento.fila_id == str(primeira["_id"]) and evento.documento["p50"] == reescrita


def _ate_o_evento(assinatura, p50: datetime | None, fila_id: str | None = None) -> None:
    """Read the change stream up to the change that stored this p50 (the test's own write),
    or, with `fila_id`, up to a change of that document."""
    while True:
        evento = assinatura.proximo(3.0)
        assert evento is not None, "a mudança não chegou ao change stream"
        if fila_id is not None and evento.fila_id == fila_id:
            return
        if fila_id is None and evento.documento and evento.documento.get("p50") == p50:
            return


def test_regra_de_regravar() -> None:
    base = {
        "p50": datetime(2026, 3, 4, 12, tzinfo=UTC),
        "p80": datetime(2026, 3, 4, 14, tzinfo=UTC),
        "em_risco": False,
        "promessa": None,
        "escrita_em": datetime(2026, 3, 4, 11, tzinfo=UTC),
    }
    assert mudou_o_bastante(None, base)
    assert not mudou_o_bastante(base, {**base, "p80": base["p80"] + timedelta(minutes=9)})
    assert mudou_o_bastante(base, {**base, "p80": base["p80"] - timedelta(minutes=10)})
    assert mudou_o_bastante(base, {**base, "em_risco": True})
    promessa = datetime(2026, 3, 4, 13, tzinfo=UTC)
    em_risco = {**base, "em_risco": True, "promessa": promessa}
    # A new promise still too early: the flag holds against the new one.
    assert mudou_o_bastante(em_risco, {**em_risco, "promessa": promessa + timedelta(minutes=5)})
    # Not at risk too: the order's page says the chance of missing that very promise.
    assert mudou_o_bastante(base, {**base, "promessa": promessa})
    assert not mudou_o_bastante({**base, "promessa": promessa}, {**base, "promessa": promessa})
    # Still open two minutes past its stored p50 (12:00): its new p50, 12:05, moved less than
    # MUDANCA_MINIMA but replaces the one in the past; the same at 11:58, it waits.
    depois = {**base, "p50": base["p50"] + timedelta(minutes=5)}
    assert mudou_o_bastante(base, {**depois, "escrita_em": base["p50"] + timedelta(minutes=2)})
    assert not mudou_o_bastante(base, {**depois, "escrita_em": base["p50"] - timedelta(minutes=2)})


def test_ordens_que_saem_da_fila_perdem_a_previsao(app: Flask, api: Api, usuarios_demo) -> None:
    historico(app, 40)
    fica = api.criar(1001)["fila_id"]
    sai = _em_reparo(api, 1002)
    removida = api.criar(1003)["fila_id"]
    recalcular(app)
    assert set(_previsoes(app)) == {1001, 1002, 1003}
    api.passo(sai, "finalizar-reparo")
    assert api.como("gerente").delete(f"/fila-execucao/{removida}").status_code == 204
    assert recalcular(app).removidas == 2
    assert set(_previsoes(app)) == {1001}
    assert api.get(f"/fila-execucao/{fica}").json["previsao_conclusao"]["p50"] is not None


def test_partida_a_frio_sem_numero_nenhum_e_depois_com_historico(
    app: Flask, api: Api, usuarios_demo
) -> None:
    historico(app, 12)
    fila_id = api.criar(1001)["fila_id"]
    resumo = recalcular(app)
    assert resumo.motivo == SEM_HISTORICO and resumo.base_ordens == 12
    assert _previsoes(app) == {}  # no number anywhere
    estado = componente(PrevisaoQueries, app).estado()
    assert estado.motivo == SEM_HISTORICO and estado.historico_minimo == 30
    corpo = api.get(f"/fila-execucao/{fila_id}").json["previsao_conclusao"]
    assert corpo["p50"] is None and corpo["p80"] is None and corpo["base_ordens"] == 12

    historico(app, 25, primeira_os=800_000, semente=2)
    resumo = recalcular(app)
    assert resumo.motivo is None and resumo.base_ordens == 37
    assert set(_previsoes(app)) == {1001}
    corpo = api.get(f"/fila-execucao/{fila_id}").json["previsao_conclusao"]
    assert corpo["p50"] and corpo["p80"] and corpo["base_ordens"] == 37


def test_sem_mecanico_em_servico_nao_ha_numero(app: Flask, api: Api) -> None:
    """A shop that lists its mechanics is taken at its word: none active, no number."""
    componente(PessoasRepository, app).criar_se_faltam(USUARIOS_DEMO)
    for usuario in ("mecanico", "mecanico2"):
        componente(Mongo, app).db.usuarios.update_one(
            {"login": usuario}, {"$set": {"ativo": False}}
        )
    historico(app, 40)
    api.criar(1001)
    assert recalcular(app).motivo == SEM_MECANICOS
    assert _previsoes(app) == {}


def test_oficina_sem_pessoas_nem_nomes_no_historico_estima_os_mecanicos(
    app: Flask, api: Api
) -> None:
    """No people, and a history that names no mechanic (a spreadsheet's): as many mechanics
    as the shop had cars in work at once in the last two weeks of its history."""
    historico(app, 40, dias=(20, 60), mecanicos=("",))
    # Three cars in at once, diagnosed at once (seconds to wait): three mechanics.
    historico(app, 3, dias=(2, 2), horas=(0.001, 1.0, 2.0, 0.5, 2.0), mecanicos=("",),
              primeira_os=800_000)  # fmt: skip
    api.criar(1001)
    resumo = recalcular(app)
    assert resumo.motivo is None and resumo.mecanicos == 3
    assert set(_previsoes(app)) == {1001}


def test_oficina_sem_mecanicos_cadastrados_conta_os_do_historico_recente(
    app: Flask, api: Api
) -> None:
    """A shop that lists no mechanic (the OS service drives the board through the API, its
    users' numbers as mechanics): the mechanics of the last two weeks of its history count, a
    name from an imported file too, one who only worked before does not. A number, in the
    history or at work now, takes the place of one only named first (the file named the
    people the API numbers): 3 named and 1 numbered are 3, not 4."""
    historico(app, 40, dias=(30, 60), mecanicos=(5,))  # left the shop
    nomes = ("Ana da Planilha", "Beto da Planilha", "Caio da Planilha")
    historico(app, 9, dias=(3, 10), mecanicos=nomes, primeira_os=800_000)
    historico(app, 2, dias=(1, 2), mecanicos=(7,), primeira_os=810_000)  # through the API
    fila_id = api.criar(1001)["fila_id"]
    resumo = recalcular(app)
    assert resumo.motivo is None and resumo.mecanicos == 3
    assert set(_previsoes(app)) == {1001}
    passo = api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 7})
    assert passo.status_code == 200, passo.json
    assert recalcular(app).mecanicos == 3  # 7 was counted already
    # Nº 42 and nº 43 may be two the file only named: each takes such a place, not one more...
    for os_id, numero in ((1002, 42), (1003, 43)):
        passo = api.passo(api.criar(os_id)["fila_id"], "iniciar-diagnostico",
                          {"mecanico_responsavel_id": numero})  # fmt: skip
        assert passo.status_code == 200, passo.json
        assert recalcular(app).mecanicos == 3
    # ...and nº 44, once the places are taken, is one more.
    passo = api.passo(api.criar(1004)["fila_id"], "iniciar-diagnostico",
                      {"mecanico_responsavel_id": 44})  # fmt: skip
    assert passo.status_code == 200, passo.json
    assert recalcular(app).mecanicos == 4
    # A shop that lists its mechanics is taken at its word: those active, and those at work.
    componente(PessoasRepository, app).criar_se_faltam(USUARIOS_DEMO)
    assert recalcular(app).mecanicos == 6  # 101, 102; 7, 42, 43 and 44 at work


def test_numero_dado_pelo_arquivo_importado_e_mais_um_mecanico(app: Flask, api: Api) -> None:
    """A file that names two mechanics and numbers a third ("Mecânico nº 9", as the export
    writes one no person of that shop was) gave three people: the number is one more, not
    one of the named (only the numbers of orders finished through the board or the API
    are the same people a file named)."""
    historico(app, 40, dias=(3, 10), mecanicos=("Ana da Planilha", "Beto da Planilha", 9))
    componente(Mongo, app).db.fila_execucao.update_many({}, {"$set": {"importada": True}})
    api.criar(1001)
    assert recalcular(app).mecanicos == 3


def test_janela_e_historico_minimo_vem_das_configuracoes(make_app) -> None:
    app = make_app(previsao_janela_dias=30, previsao_historico_minimo=5)
    componente(PessoasRepository, app).criar_se_faltam(USUARIOS_DEMO)
    historico(app, 20, primeira_os=700_000)  # spread over 60 days: about half in 30
    Api(app.test_client(), componente(Settings, app)).criar(1001)
    resumo = recalcular(app)
    assert 5 <= resumo.base_ordens < 20 and resumo.motivo is None
    assert componente(PrevisaoQueries, app).estado().janela_dias == 30


@pytest.mark.parametrize("horas_depois", [3, 6])
def test_ordem_alem_da_mediana_da_etapa_termina_depois_nunca_antes(
    app: Flask, api: Api, usuarios_demo, horas_depois: int
) -> None:
    """A repair of median 2 working hours, started at 09:00: forecast at 10:00, and again
    `horas_depois` later, well past the median, with nothing finished in between. The later
    forecast is later, never earlier, and never in the past."""
    historico(app, 60)
    inicio = quarta_10h(app) - timedelta(hours=1)
    with time_machine.travel(inicio, tick=True) as viagem:
        api = Api(api.client, api.settings)  # a token of the travelled clock
        fila_id = _em_reparo(api, 1001)
        viagem.shift(timedelta(hours=1))
        recalcular(app)
        cedo = api.get(f"/fila-execucao/{fila_id}").json["previsao_conclusao"]
        viagem.shift(timedelta(hours=horas_depois))
        recalcular(app)
        api = Api(api.client, api.settings)
        tarde = api.get(f"/fila-execucao/{fila_id}").json["previsao_conclusao"]
        agora_tarde = agora()
    p50_cedo, p50_tarde = (datetime.fromisoformat(x["p50"]) for x in (cedo, tarde))
    p80_cedo, p80_tarde = (datetime.fromisoformat(x["p80"]) for x in (cedo, tarde))
    assert p50_tarde > p50_cedo and p80_tarde >= p80_cedo
    assert p50_tarde > agora_tarde  # an honest, later finish: not "already done"
    # The median said 11:00; three hours later it says after now, not before.
    assert p50_cedo < inicio + timedelta(hours=horas_depois + 1)


def test_recalculo_apos_parada_avisa_as_telas_mesmo_sem_nada_mudar(
    app: Flask, api: Api, usuarios_demo
) -> None:
    """The recompute stopped long enough for the screens to say "cálculo parado" and hide their
    forecasts (a TV redrawn meanwhile drew its cards without any). When it runs again with the
    same forecasts, nothing it wrote was visible to them (`calculo.` only): a quiet TV stayed
    without a single time until the next change in the queue. Now its summary says it resumed,
    in a field the screens see, once; a run after a run on time does not."""
    historico(app, 40)
    api.criar(1001)
    db = componente(Mongo, app).db
    parada_s = componente(PrevisaoQueries, app).parada_s
    assert parada_s
    with (
        time_machine.travel(quarta_10h(app), tick=False) as viagem,
        componente(Broker, app).assinar() as assinatura,
    ):
        componente(Broker, app).aguardar_pronto()
        assert recalcular(app).escritas == 1
        _ate_o_evento(assinatura, None, fila_id=ESTADO)
        assert RETOMADO not in db.previsoes.find_one({"_id": ESTADO})
        # The worker stops: its last run grows older than what the screens show.
        db.previsoes.update_one(
            {"_id": ESTADO},
            {"$set": {"calculo.em": agora() - timedelta(seconds=parada_s + 60)}},
        )
        estado = componente(PrevisaoQueries, app).estado()
        assert estado is not None and estado.motivo == PARADA
        resumo = recalcular(app)
        assert (resumo.escritas, resumo.removidas) == (0, 0)  # the same forecast
        retomado = db.previsoes.find_one({"_id": ESTADO})[RETOMADO]
        assert abs(retomado - agora()) < timedelta(seconds=1)
        evento = assinatura.proximo(3.0)
        assert evento is not None and evento.tipo == PREVISAO and evento.fila_id == ESTADO
        assert RETOMADO in evento.campos
        # On time again: the next run is invisible to the screens, as before.
        viagem.shift(timedelta(seconds=30))
        assert recalcular(app).escritas == 0
        assert db.previsoes.find_one({"_id": ESTADO})[RETOMADO] == retomado
        eventos = [assinatura.proximo(1.0) for _ in range(3)]
        assert [e for e in eventos if e is not None and e.tipo == PREVISAO] == []
