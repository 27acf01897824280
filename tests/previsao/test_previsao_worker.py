"""The process that recomputes: one per deployment under a lease in MongoDB (several apps on one
database stand for several processes), woken by the changes that move the queue, wherever
they are made, and by people activated or deactivated; the lease let go on stop and taken
over when its holder dies."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import Flask

from tests.helpers import Api
from tests.previsao.previsao_oficina import historico
from webapp.components import componente
from webapp.fila.demo import USUARIOS_DEMO
from webapp.fila.domain import Ator, Papel
from webapp.mongo import Mongo
from webapp.pessoas.repository import PessoasRepository
from webapp.pessoas.service import PessoasService
from webapp.previsao.queries import PrevisaoQueries
from webapp.previsao.repository import ESTADO, LEASE, PrevisaoRepository
from webapp.previsao.service import PrevisaoService
from webapp.previsao.worker import PrevisaoWorker
from webapp.settings import Settings

RAPIDO = {"previsao_thread": True, "previsao_lease_ms": 1500, "previsao_intervalo_s": 600}


def _esperar(condicao: Callable[[], object], prazo: float = 10.0) -> None:
    limite = time.monotonic() + prazo
    while not condicao():
        assert time.monotonic() < limite, "não aconteceu a tempo"
        time.sleep(0.05)


def _previsao_de(app: Flask, os_id: int) -> dict | None:
    return componente(Mongo, app).db.previsoes.find_one({"ordem_servico_id": os_id})


def _dono(app: Flask) -> str | None:
    documento = componente(PrevisaoQueries, app).calculo_atual()
    return documento and documento.get("dono")


def test_um_processo_calcula_os_outros_pedem(make_app: Callable[..., Flask]) -> None:
    a = make_app(**RAPIDO)
    componente(PessoasRepository, a).criar_se_faltam(USUARIOS_DEMO)
    historico(a, 40)
    b = make_app(**RAPIDO)
    trabalhadores = [componente(PrevisaoWorker, app) for app in (a, b)]
    _esperar(lambda: _dono(a) in {t.dono for t in trabalhadores})
    _esperar(lambda: any(t.ultimo for t in trabalhadores))
    dono = next(t for t in trabalhadores if t.dono == _dono(a))
    outro = next(t for t in trabalhadores if t is not dono)
    time.sleep(0.5)
    assert outro.ultimo is None  # one process computes

    # A change made in the process that does not compute reaches the one that does.
    app_outro = a if outro is trabalhadores[0] else b
    api = Api(app_outro.test_client(), componente(Settings, app_outro))
    api.criar(1001)
    _esperar(lambda: _previsao_de(a, 1001) is not None, prazo=8)
    assert outro.ultimo is None

    # The holder stops (SIGTERM): it lets go, and the other takes over at once.
    dono.parar()
    _esperar(lambda: _dono(a) == outro.dono, prazo=5)
    api.criar(1002)
    _esperar(lambda: _previsao_de(a, 1002) is not None, prazo=8)
    _esperar(lambda: outro.ultimo is not None, prazo=2)  # set right after its write


def test_lease_de_quem_morreu_expira(make_app: Callable[..., Flask]) -> None:
    # A lease long enough that starting the second app on a loaded machine never outlasts it.
    lento = {**RAPIDO, "previsao_lease_ms": 4000}
    a = make_app(**{**lento, "previsao_thread": False})
    componente(PessoasRepository, a).criar_se_faltam(USUARIOS_DEMO)
    historico(a, 40)
    morto = PrevisaoWorker(
        componente(PrevisaoService, a),
        componente(PrevisaoRepository, a),
        componente(PrevisaoQueries, a),
        componente(Settings, a),
        dono="pod-morto",
    )
    morto.volta(threading.Event())  # one turn, then killed: no goodbye
    assert morto.ultimo is not None and _dono(a) == "pod-morto"
    b = make_app(**lento)
    vivo = componente(PrevisaoWorker, b)
    time.sleep(0.5)
    assert _dono(a) == "pod-morto" and vivo.ultimo is None  # still held: nobody else computes
    _esperar(lambda: _dono(b) == vivo.dono, prazo=10)  # once PREVISAO_LEASE_MS (4 s) passed
    _esperar(lambda: vivo.ultimo is not None)


def test_quem_perdeu_o_lease_no_meio_do_calculo_nao_grava(app: Flask, api: Api) -> None:
    """A holder that stalled past its lease (a long pause between its last check and its
    writes) finds, at the writes, that another took over: nothing of its older computation
    is written over the successor's."""
    componente(PessoasRepository, app).criar_se_faltam(USUARIOS_DEMO)
    historico(app, 40)
    api.criar(1001)
    repo, servico = componente(PrevisaoRepository, app), componente(PrevisaoService, app)
    assert repo.tomar("parado", 60_000) is not None
    # Its lease runs out while it is stalled, and another process takes over.
    vencido = datetime(2000, 1, 1, tzinfo=UTC)
    repo.calculo.update_one({"_id": "previsao"}, {"$set": {"ate": vencido}})
    assert repo.tomar("sucessor", 60_000) is not None
    resumo = servico.recalcular(ainda_dono=lambda: True, dono="parado")  # checked before it
    assert resumo.descartada and _previsao_de(app, 1001) is None
    assert _dono(app) == "sucessor"
    resumo = servico.recalcular(ainda_dono=lambda: True, dono="sucessor")
    assert not resumo.descartada and _previsao_de(app, 1001) is not None


def test_acordado_por_um_passo_recalcula_logo(make_app: Callable[..., Flask]) -> None:
    app = make_app(**RAPIDO)
    componente(PessoasRepository, app).criar_se_faltam(USUARIOS_DEMO)
    historico(app, 40)
    trabalhador = componente(PrevisaoWorker, app)
    _esperar(lambda: trabalhador.ultimo is not None)
    api = Api(app.test_client(), componente(Settings, app))
    fila_id = api.criar(1001)["fila_id"]
    # Interval 10 min: only the wake-up can bring it within seconds.
    _esperar(lambda: _previsao_de(app, 1001) is not None, prazo=6)
    antes = componente(PrevisaoQueries, app).estado().calculada_em
    api.levar_ate(fila_id, "iniciar-diagnostico")
    _esperar(lambda: componente(PrevisaoQueries, app).estado().calculada_em > antes, prazo=6)


def test_sem_thread_o_pedido_fica_para_quem_calcula(app: Flask, api: Api) -> None:
    """A process that does not compute (Compose's web, PREVISAO_THREAD=false) counts each
    change in the recompute's requests' counter, for the one that does."""
    assert not componente(PrevisaoWorker, app).rodando
    api.criar(1001)
    fila_id = api.criar(1002)["fila_id"]
    api.passo(fila_id, "iniciar-diagnostico", {"mecanico_responsavel_id": 7})
    assert componente(PrevisaoQueries, app).pedidos() == 3


def test_pedido_de_recalculo_nao_espera_a_gravacao_da_previsao(app: Flask) -> None:
    """The forecast's write transaction holds the lease's document until it commits (see
    PrevisaoRepository.gravar); a change on the board asks for a recompute in its request, so
    that request must not wait for the commit: the requests are counted elsewhere."""
    repo = componente(PrevisaoRepository, app)
    dono = "quem-grava"
    assert repo.tomar(dono, 60_000) is not None
    feito = threading.Event()
    with repo.calculo.database.client.start_session() as sessao, sessao.start_transaction():
        # What gravar's transaction does first, held open as a large write would hold it.
        r = repo.calculo.update_one(
            {"_id": LEASE, "dono": dono}, {"$inc": {"gravacoes": 1}}, session=sessao
        )
        assert r.matched_count == 1
        pedir = threading.Thread(target=lambda: (repo.pedir(), feito.set()), daemon=True)
        pedir.start()
        assert feito.wait(3), "o pedido esperou a transação da previsão"
        sessao.abort_transaction()
    assert componente(PrevisaoQueries, app).pedidos() == 1
    # A web process of the version before counts in the lease's document: still a request.
    repo.calculo.update_one({"_id": LEASE}, {"$inc": {"pedidos": 1}})
    assert componente(PrevisaoQueries, app).pedidos() == 2


def test_mecanico_criado_na_linha_de_comando_pede_o_recalculo(app: Flask) -> None:
    """`create-user` goes through the people's service, as the page does: a new mechanic is
    one more at work, so the forecast is asked for again."""

    def pedidos() -> int:
        return componente(PrevisaoQueries, app).pedidos()

    antes = pedidos()
    r = app.test_cli_runner().invoke(
        args=["create-user", "--login", "beto", "--nome", "Beto", "--papel", "mecanico",
              "--funcionario-id", "7", "--senha", "senha-forte-1"]
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert pedidos() == antes + 1
    linha = componente(Mongo, app).db["registro_acessos"].find_one({"login": "beto"})
    assert linha is not None and linha["por"] == "linha-de-comando"
    assert linha["detalhe"] == {"nome": "Beto", "papel": "mecanico", "funcionario_id": 7}


def test_mecanico_desativado_acorda_o_recalculo(make_app: Callable[..., Flask]) -> None:
    app = make_app(**RAPIDO)
    componente(PessoasRepository, app).criar_se_faltam(USUARIOS_DEMO)
    historico(app, 40)
    Api(app.test_client(), componente(Settings, app)).criar(1001)
    queries = componente(PrevisaoQueries, app)
    _esperar(lambda: queries.estado() is not None and queries.estado().mecanicos == 2)
    gerente = Ator("gerente", Papel.GERENTE, pessoa=True)
    pessoas = componente(PessoasService, app)
    pessoas.definir_ativo("mecanico2", False, gerente)
    _esperar(lambda: queries.estado().mecanicos == 1, prazo=6)
    pessoas.definir_ativo("mecanico", False, gerente)
    _esperar(lambda: queries.estado().motivo == "nenhum mecânico ativo", prazo=6)
    assert componente(Mongo, app).db.previsoes.count_documents({"_id": {"$ne": ESTADO}}) == 0
    pessoas.definir_ativo("mecanico", True, gerente)
    _esperar(lambda: _previsao_de(app, 1001) is not None, prazo=6)


def test_promessa_em_risco_que_passa_recalcula_na_hora(make_app: Callable[..., Flask]) -> None:
    """An order at risk whose promise passes is late, not at risk: its card said both, and the
    header counted it "Em risco", until the next recompute (PREVISAO_INTERVALO_S, 2 min by
    default). The recompute now comes right after that promise."""
    app = make_app(**RAPIDO)  # an interval of 10 min
    componente(PessoasRepository, app).criar_se_faltam(USUARIOS_DEMO)
    historico(app, 40)
    trabalhador = componente(PrevisaoWorker, app)
    _esperar(lambda: trabalhador.ultimo is not None)
    api = Api(app.test_client(), componente(Settings, app))
    promessa = datetime.now(UTC) + timedelta(seconds=4)
    api.criar(1001, previsao_entrega=promessa.isoformat())  # its work takes hours: at risk
    _esperar(lambda: (_previsao_de(app, 1001) or {}).get("em_risco"), prazo=6)
    assert componente(PrevisaoQueries, app).estado().em_risco == 1
    _esperar(lambda: componente(PrevisaoQueries, app).estado().em_risco == 0, prazo=8)
    assert datetime.now(UTC) > promessa
    assert not _previsao_de(app, 1001)["em_risco"]
