"""Application factory of the workshop's execution queue (fila de execução)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Response, request
from htmx_flask import Htmx

from . import assets, auth, broker, cli, errors, logs, metrics, sse
from .api import routes as api
from .broker import Broker
from .clock import Clock, agora, duracao
from .components import Aplicacao, componente, registrar
from .configuracoes.queries import ConfiguracoesQueries
from .configuracoes.repository import (
    CONFIGURACOES,
    PASSES,
    PASSES_REVOGAM,
    ConfiguracoesRepository,
)
from .configuracoes.routes import bp as configuracoes_bp
from .fila.domain import IMPORTADA, ErroFila
from .fila.fields import cabe_num_campo_de_dia
from .fila.queries import FilaQueries
from .fila.repository import CAMPOS_INVISIVEIS, FilaRepository
from .fila.repository import COLECAO as FILA
from .fila.service import FilaService
from .fila.stages import limites_alerta
from .headers import CABECALHOS_SEGURANCA, HSTS
from .indicadores.cli import COMANDOS as COMANDOS_INDICADORES
from .indicadores.routes import bp as indicadores_bp
from .mongo import Indices, Mongo
from .painel.routes import bp as painel_bp
from .pessoas.cli import COMANDOS as COMANDOS_PESSOAS
from .pessoas.queries import PessoasQueries
from .pessoas.repository import CAMPOS_INVISIVEIS as PESSOAS_INVISIVEIS
from .pessoas.repository import COLECAO as USUARIOS
from .pessoas.repository import HASH_PRODUCAO, HASH_TESTE, PessoasRepository
from .pessoas.repository import REVOGAM as USUARIOS_REVOGAM
from .pessoas.routes import bp as pessoas_bp
from .pessoas.service import PessoasService
from .previsao.cache import PrevisoesEmMemoria
from .previsao.calendar import Calendario, CalendarioInvalido
from .previsao.queries import INTERVALOS_ATE_PARADA, PrevisaoQueries
from .previsao.repository import CAMPOS_INVISIVEIS as PREVISAO_INVISIVEIS
from .previsao.repository import PREVISOES, PrevisaoRepository
from .previsao.service import PrevisaoService
from .previsao.worker import PrevisaoWorker
from .quadro import bp as quadro_bp
from .quadro.repository import RecusadosRepository
from .sessao.queries import SessoesQueries
from .sessao.repository import (
    SESSOES,
    SESSOES_REVOGAM,
    SessoesRepository,
    TentativasRepository,
)
from .sessao.routes import bp as sessao_bp
from .sessao.service import carregar_usuario, conferir_senha, porque_encerrou
from .settings import LIMITE_CORPO, ConfigError, Settings, load_settings
from .sincronizacao_os.cli import os_sync
from .sincronizacao_os.dispatcher import OsDispatcher
from .sincronizacao_os.link import OsLink
from .sincronizacao_os.queries import LigacaoQueries
from .sincronizacao_os.repository import LigacaoRepository
from .text import milhares

RAIZ = Path(__file__).resolve().parent.parent

# Blueprints whose requests need the indexes (the others, and the API's probes and documents,
# answer without the database).
USAM_BANCO = {"api", "quadro", "painel", "sessao", "configuracoes", "pessoas", "indicadores"}


def configuracao(config: Mapping[str, Any] | Settings | None = None) -> Settings:
    """The settings, checked before anything starts: the environment's own rules
    (settings.load_settings) and the values the core reads (ALERTA_ETAPA, by the queue's
    stages; HORARIO_FUNCIONAMENTO and FERIADOS, by the forecast's calendar). A bad one:
    ConfigError, one line for the operator (create_app, gunicorn's start)."""
    settings = config if isinstance(config, Settings) else load_settings(overrides=config)
    try:
        limites_alerta(settings.alerta_etapa)
        calendario(settings)
    except (ValueError, CalendarioInvalido) as erro:
        raise ConfigError(str(erro)) from None
    return settings


def calendario(settings: Settings) -> Calendario:
    """The shop's working calendar (CalendarioInvalido: one line saying what is wrong)."""
    return Calendario.de_config(
        settings.horario_funcionamento, settings.feriados, settings.fuso_horario
    )


def montar_componentes(settings: Settings) -> list[object]:
    """Every collaborator, built once and wired by construction."""
    mongo = Mongo(settings)
    db = mongo.db
    repo, queries = FilaRepository(db), FilaQueries(db)
    link = OsLink(LigacaoRepository(db), LigacaoQueries(db), queries, settings)
    dispatcher = OsDispatcher(repo, queries, link, settings)
    metodo_hash = HASH_TESTE if settings.app_env == "test" else HASH_PRODUCAO
    pessoas = PessoasRepository(db, metodo_hash, abertas_do_mecanico=queries.abertas_do_mecanico)
    pessoas_queries = PessoasQueries(db)
    tentativas, sessoes = TentativasRepository(db), SessoesRepository(db)
    configuracoes = ConfiguracoesRepository(db)
    recusados = RecusadosRepository(db)
    # Times older than a few recomputes (and a crashed holder's lease) are not shown.
    parada_s = (
        INTERVALOS_ATE_PARADA * settings.previsao_intervalo_s + settings.previsao_lease_ms / 1000
    )
    previsao_repo = PrevisaoRepository(db)
    previsao_queries = PrevisaoQueries(db, parada_s)
    eventos = Broker(
        db,
        {
            FILA: broker.MUDANCA,
            PREVISOES: broker.PREVISAO,
            CONFIGURACOES: broker.CONFIG,
            PASSES: broker.ACESSO,
            USUARIOS: broker.ACESSO,
            SESSOES: broker.ACESSO,
        },
        revogam={
            PASSES: PASSES_REVOGAM,
            USUARIOS: USUARIOS_REVOGAM,
            SESSOES: SESSOES_REVOGAM,
        },
        invisiveis=CAMPOS_INVISIVEIS + PREVISAO_INVISIVEIS + PESSOAS_INVISIVEIS,
        # Imported history is never on a screen: its inserts wake no stream.
        fora={FILA: {IMPORTADA: True}},
    )
    previsoes_em_memoria = PrevisoesEmMemoria(previsao_queries, eventos)
    previsao = PrevisaoService(
        previsao_repo,
        previsao_queries,
        queries,
        calendario(settings),
        # The mechanics at work now: the active ones (pessoas, a feature the core cannot read);
        # None when the shop lists none at all (the service then reads the history's).
        mecanicos=pessoas_queries.mecanicos_ativos_ou_nenhum,
        fora_de_servico=pessoas_queries.numeros_fora_de_servico,
        janela_dias=settings.previsao_janela_dias,
        historico_minimo=settings.previsao_historico_minimo,
        gravou=previsoes_em_memoria.escrito,
    )
    previsao_worker = PrevisaoWorker(previsao, previsao_repo, previsao_queries, settings)
    return [
        settings,
        Clock(settings.fuso_horario),
        mongo,
        FilaService(
            repo,
            queries,
            origem=logs.origem,
            avisar=dispatcher.acordar,
            registrar=metrics.registrar_mudanca,
            mudou=previsao_worker.acordar,
            reservar_numero=pessoas.reservar_numero,
        ),
        repo,
        queries,
        pessoas,
        pessoas_queries,
        PessoasService(
            pessoas,
            pessoas_queries,
            agora,
            mudou=previsao_worker.acordar,
            conferir_senha=conferir_senha,
        ),
        tentativas,
        sessoes,
        SessoesQueries(db),
        configuracoes,
        ConfiguracoesQueries(db),
        recusados,
        previsao_repo,
        previsao_queries,
        previsao,
        previsao_worker,
        eventos,
        sse.Vagas(),
        previsoes_em_memoria,
        dispatcher,
        link,
        # Every collection's indexes (idempotent), created once per process.
        Indices(
            repo.criar_indices,
            pessoas.criar_indices,
            tentativas.criar_indices,
            sessoes.criar_indices,
            configuracoes.criar_indices,
            recusados.criar_indices,
            previsao_repo.criar_indices,
        ),
    ]


def create_app(config: Mapping[str, Any] | Settings | None = None) -> Aplicacao:
    """Build the app. `config`: a Settings, or overrides of the environment's settings."""
    settings = configuracao(config)
    logs.configurar(settings.log_level)

    app = Aplicacao(
        __name__,
        template_folder=str(RAIZ / "templates"),
        static_folder=str(RAIZ / "static"),
    )
    app.config.update(
        # Cookies and CSRF; the JWT key (settings.secret_key) is never used for them.
        SECRET_KEY=settings.session_secret_key,
        SECRET_KEY_FALLBACKS=settings.session_fallbacks,
        MAX_CONTENT_LENGTH=LIMITE_CORPO,
        WTF_I18N_ENABLED=False,  # WTForms' own Portuguese messages (forms.Formulario)
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    Htmx(app)  # request.htmx

    registrar(app, *montar_componentes(settings))
    dispatcher, indices = componente(OsDispatcher, app), componente(Indices, app)
    previsao_worker = componente(PrevisaoWorker, app)
    # First: its hooks must see requests the later ones refuse.
    metrics.instalar(app, settings.metrics_token, componente(FilaQueries, app).totais_os_sync)
    assets.instalar(app)  # compression, fingerprinted static files, the app's version
    app.add_template_filter(componente(Clock, app).formatar, "local")
    app.add_template_filter(componente(Clock, app).dia_e_hora, "dia_e_hora")
    app.add_template_filter(componente(Clock, app).quando_foi, "quando_foi")
    app.add_template_global(componente(Clock, app).ms_ate_o_dia_mudar, "ms_ate_o_dia_mudar")
    app.add_template_filter(duracao, "duracao")  # seconds as a card says them: "3 h 05 min"
    app.add_template_filter(milhares, "milhares")  # 1.000, as the shop writes it
    app.add_template_test(cabe_num_campo_de_dia, "dia_do_calendario")  # _macros.campo_dia
    # Under `flask` commands no connection here: --help and a bad argument answer at once
    # with the database down; each command that writes asks for the indexes itself.
    if os.environ.get("FLASK_RUN_FROM_CLI") != "true":
        indices.tentar()

    logs.instalar(app)  # before any hook that may fail: every log line has its request id
    errors.instalar(app)

    @app.errorhandler(ErroFila)
    def _recusa(erro: ErroFila) -> Response:
        return errors.resposta(erro.status, erro.mensagem)

    @app.before_request
    def _indices() -> None:
        # A no-op once done; while the database is down it raises and the request gets 503.
        if request.blueprint in USAM_BANCO and request.endpoint not in api.PUBLICAS:
            indices.garantir()

    # The OS dispatcher's thread in this process; under `flask` commands (init-db, os-sync
    # run...) a web request (`flask run`) starts it instead.
    if settings.os_sync_thread and settings.url_api_os:
        if os.environ.get("FLASK_RUN_FROM_CLI") != "true":
            dispatcher.iniciar()
        app.before_request(dispatcher.garantir)
    # The forecast's thread likewise: every web process competes for its lease, one computes.
    if settings.previsao_thread:
        if os.environ.get("FLASK_RUN_FROM_CLI") != "true":
            previsao_worker.iniciar()
        app.before_request(previsao_worker.garantir)

    auth.instalar(app, settings, api.bp, carregar_usuario, porque_encerrou)
    for blueprint in (
        api.bp,
        sessao_bp,
        quadro_bp,
        painel_bp,
        configuracoes_bp,
        pessoas_bp,
        indicadores_bp,
    ):
        app.register_blueprint(blueprint)
    for comando in (*cli.COMANDOS, *COMANDOS_PESSOAS, *COMANDOS_INDICADORES, os_sync):
        app.cli.add_command(cli.sem_rastro_do_banco(comando))

    @app.after_request
    def _cabecalhos(response: Response) -> Response:
        for nome, valor in CABECALHOS_SEGURANCA.items():
            response.headers.setdefault(nome, valor)
        if request.is_secure:  # over HTTPS (or a trusted proxy's X-Forwarded-Proto: proxies.py)
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if request.endpoint != "static":
            # Customers' plates and names: a shared tablet's Back after signing out, or a
            # proxy, keeps no copy (static files keep their own, fingerprinted, caching).
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app
