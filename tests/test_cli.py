"""The command line as people and scripts run it: real `flask --app wsgi ...` processes on the
test's database. Help in Portuguese; a command's result alone on stdout (`TOKEN=$(flask --app
wsgi token)`), logs and errors on stderr with a non-zero exit; create-user without a terminal
(`docker compose exec -T`) and with one (a pty, as a person at a keyboard)."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import click
import jwt
from flask import Flask

from scripts import localdb
from tests.helpers import ambiente_do_app
from webapp.cli import COMANDOS as COMANDOS_FILA
from webapp.components import componente
from webapp.indicadores.cli import COMANDOS as COMANDOS_INDICADORES
from webapp.pessoas.cli import COMANDOS as COMANDOS_PESSOAS
from webapp.pessoas.queries import PessoasQueries
from webapp.settings import Settings
from webapp.sincronizacao_os.cli import os_sync

RAIZ = Path(__file__).resolve().parent.parent
FLASK = [str(RAIZ / ".venv/bin/flask"), "--app", "wsgi"]
CRIAR_ANA = ["create-user", "--login", "ana", "--nome", "Ana", "--papel", "gerente"]

# Our commands as `flask --app wsgi --help` lists them (flask's own run/shell/routes stay as
# flask writes them).
AJUDA = {
    "access-log": "Mostra o registro de acessos e mudanças de pessoas.",
    "create-user": "Cria uma pessoa com a senha escolhida (o 1º gerente).",
    "deactivate-user": "Desativa uma pessoa.",
    "edit-user": "Muda o nome, o papel ou o nº de uma pessoa.",
    "importar-historico": "Importa o histórico de ordens finalizadas de um CSV.",
    "init-db": "Cria os índices das coleções (pode rodar de novo).",
    "list-users": "Lista as pessoas.",
    "os-sync": "Entrega dos passos ao sistema de OS.",
    "reactivate-user": "Deixa uma pessoa desativada entrar de novo.",
    "reset-password": "Gera uma senha temporária para uma pessoa.",
    "seed-demo": "Semeia a demonstração numa base sem outros usuários.",
    "token": "Imprime um JWT para chamar a API localmente.",
}
# Words of English that a Portuguese help text never has.
INGLES = {"the", "and", "of", "to", "with", "without", "print", "create", "list", "run",
          "when", "only", "is", "a jwt", "stops", "once", "sign"}  # fmt: skip


def rodar(
    env: dict[str, str], *args: str, entrada: str | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*FLASK, *args],
        cwd=RAIZ,
        env=env,
        input=entrada,
        stdin=None if entrada is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_ajuda_em_portugues(app: Flask, settings: Settings) -> None:
    r = rodar(ambiente_do_app(settings, COLUMNS="80"), "--help")
    assert r.returncode == 0, r.stderr
    comandos = r.stdout.split("Commands:")[1]
    listados = dict(re.findall(r"^  ([a-z-]+)\s+(.+)$", comandos, re.M))
    assert {nome: listados.get(nome) for nome in AJUDA} == AJUDA
    # Every option of every command of ours says what it does, in Portuguese.
    todos = [
        *COMANDOS_FILA, *COMANDOS_PESSOAS, *COMANDOS_INDICADORES, os_sync,
        *os_sync.commands.values(),
    ]  # fmt: skip
    for comando in todos:
        textos = [comando.help or ""]
        for opcao in comando.params:
            if isinstance(opcao, click.Argument):  # click gives arguments no help: the text says
                assert opcao.name.upper() in comando.help, f"{comando.name} {opcao.name}"
                continue
            assert getattr(opcao, "help", None), f"{comando.name} {opcao.name}: sem ajuda"
            textos.append(opcao.help)
        palavras = set(re.findall(r"[a-z]+(?: jwt)?", " ".join(textos).lower()))
        assert not palavras & INGLES, (comando.name, palavras & INGLES)
    r = rodar(ambiente_do_app(settings), "create-user", "--help")
    assert "--senha-stdin" in r.stdout and "variável: SENHA_USUARIO" in r.stdout
    # click's own words too: the usage line, the headings, the help option's line.
    for comando in (("importar-historico",), ("os-sync",), ("os-sync", "status"), ("token",)):
        r = rodar(ambiente_do_app(settings), *comando, "--help")
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith("Uso: ") and "\nOpções:\n" in r.stdout, r.stdout
        assert "Mostra esta ajuda e sai." in r.stdout
        ingles = r"Usage|Options|OPTIONS|COMMAND|Show this message|default:|required|TEXT\b"
        assert re.findall(ingles, r.stdout) == [], r.stdout
    assert "\nComandos:\n" in rodar(ambiente_do_app(settings), "os-sync", "--help").stdout


def test_ajuda_e_argumento_errado_nao_esperam_o_banco_fora(settings: Settings) -> None:
    """With the database down, --help and a bad argument answer without trying it: no
    warning about indexes (the commands that write create them themselves)."""
    fora = f"mongodb://127.0.0.1:{localdb.free_port()}/?replicaSet=rs0"
    env = ambiente_do_app(settings, MONGODB_URL=fora, LOG_LEVEL="INFO")
    r = rodar(env, "importar-historico", "--help")
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    assert r.stdout.startswith("Uso: ")
    r = rodar(env, "importar-historico", "/nao/existe.csv")
    assert r.returncode == 1
    assert r.stderr == "Erro: não foi possível ler /nao/existe.csv: arquivo não encontrado.\n"


def test_token_so_o_token_na_saida_padrao(settings: Settings) -> None:
    """The README's TOKEN=$(flask --app wsgi token) with the database unreachable: the token
    alone on stdout, nothing on stderr (it needs no database, so the command does not try it)."""
    fora = f"mongodb://127.0.0.1:{localdb.free_port()}/?replicaSet=rs0"
    env = ambiente_do_app(settings, MONGODB_URL=fora, MONGODB_TIMEOUT_MS="300", LOG_LEVEL="INFO")
    r = rodar(env, "token", "--papel", "gerente", "--sub", "ana")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("\n") == 1
    claims = jwt.decode(
        r.stdout.strip(), settings.secret_key, algorithms=["HS256"], audience="oficina-api"
    )
    assert (claims["sub"], claims["role"]) == ("ana", "gerente")
    assert r.stderr == ""
    # The English names of the options still work (scripts written before).
    r = rodar(env, "token", "--role", "mecanico", "--minutes", "5", "--no-aud")
    claims = jwt.decode(r.stdout.strip(), settings.secret_key, algorithms=["HS256"])
    assert claims["role"] == "mecanico" and "aud" not in claims
    assert claims["exp"] - claims["iat"] == 5 * 60
    # Errors: nothing on stdout, the reason on stderr, a non-zero exit.
    r = rodar(env, "token", "--papel", "chefe")
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr.endswith(
        "Erro: valor inválido em --papel; use mecanico, gerente, admin. Veja --help.\n"
    )
    r = rodar(env, "token", "--sub", "")  # a token the API would refuse: said now
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr.endswith("Erro: --sub: Token sem a claim obrigatória 'sub'.\n")
    r = rodar({**env, "APP_ENV": "production", "SECRET_KEY": ""}, "token")
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr.startswith("Configuração inválida: SECRET_KEY é obrigatória em produção")


def test_create_user_sem_terminal(app: Flask, settings: Settings) -> None:
    """Scripted (`docker compose exec -T`): the password from stdin or SENHA_USUARIO; without
    either, a clear error instead of a prompt nobody can answer."""
    consultas = componente(PessoasQueries, app)
    env = ambiente_do_app(settings)
    # An empty shop is told how to begin, with the flask it ran (.venv/bin/flask here).
    r = rodar(env, "init-db")
    assert r.stdout.splitlines() == [
        "Índices criados.",
        "Nenhum usuário ainda. Crie o primeiro administrador com: .venv/bin/flask --app "
        'wsgi create-user --login ana --nome "Ana" --papel admin',
    ]
    r = rodar(env, *CRIAR_ANA)  # stdin is /dev/null: no terminal
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr == (
        "Erro: Sem terminal para perguntar a senha. Use --senha-stdin (a senha na primeira "
        "linha da entrada padrão) ou a variável de ambiente SENHA_USUARIO.\n"
    )
    r = rodar(env, *CRIAR_ANA, "--senha-stdin", entrada="")
    assert r.returncode == 1 and "A senha não veio na entrada padrão" in r.stderr
    r = rodar(env, *CRIAR_ANA, "--senha-stdin", "--senha", "outra-senha", entrada="x\n")
    assert r.returncode == 1 and "Use --senha ou --senha-stdin, não os dois" in r.stderr
    assert consultas.obter("ana") is None

    r = rodar(env, *CRIAR_ANA, "--senha-stdin", entrada="senha com espaço \n")
    assert (r.returncode, r.stdout, r.stderr) == (0, "Usuário ana criado (Gerente).\n", "")
    assert consultas.autenticar("ana", "senha com espaço ") is not None
    criar_bia = ["create-user", "--login", "bia", "--nome", "Bia", "--papel", "mecanico"]
    r = rodar({**env, "SENHA_USUARIO": "senha-da-bia"}, *criar_bia)
    assert r.returncode == 0, r.stderr
    assert consultas.autenticar("bia", "senha-da-bia") is not None
    # A refusal is said on stderr too: a short password.
    r = rodar(env, "create-user", "--login", "cid", "--nome", "Cid", "--papel", "mecanico",
              "--senha-stdin", entrada="curta\n")  # fmt: skip
    assert r.returncode == 1 and r.stdout == "" and r.stderr.startswith("Erro: A senha deve")


def _conversar(processo: subprocess.Popen, mestre: int, roteiro: list[tuple[str, str]]) -> str:
    """Answer each prompt of `roteiro` (expected text, what to type) on the pty; all output."""
    visto, passo, prazo = "", 0, time.monotonic() + 60
    while time.monotonic() < prazo:
        prontos, _, _ = select.select([mestre], [], [], 0.2)
        if prontos:
            try:
                dados = os.read(mestre, 1024)
            except OSError:  # the child closed the terminal
                break
            visto += dados.decode()
        if passo < len(roteiro):
            esperado, digitar = roteiro[passo]
            # The n-th time this prompt is expected: answer once it has been shown n times.
            vezes = sum(1 for e, _ in roteiro[: passo + 1] if e == esperado)
            if visto.count(esperado) >= vezes:
                os.write(mestre, digitar.encode() + b"\n")
                passo += 1
        if processo.poll() is not None and not prontos:
            break
    return visto


def test_create_user_pergunta_a_senha_a_quem_esta_no_terminal(
    app: Flask, settings: Settings
) -> None:
    mestre, escravo = pty.openpty()
    processo = subprocess.Popen(
        [*FLASK, *CRIAR_ANA],
        cwd=RAIZ,
        env=ambiente_do_app(settings),
        stdin=escravo,
        stdout=escravo,
        stderr=escravo,
        close_fds=True,
    )
    os.close(escravo)
    try:
        visto = _conversar(
            processo,
            mestre,
            [("Senha:", "senha-forte"), ("Repita a senha:", "outra-coisa"),
             ("Senha:", "senha-forte"), ("Repita a senha:", "senha-forte")],
        )  # fmt: skip
        assert processo.wait(timeout=30) == 0, visto
    finally:
        if processo.poll() is None:
            processo.kill()
        os.close(mestre)
    assert "As senhas não conferem; digite de novo." in visto
    assert "senha-forte" not in visto  # hidden as it is typed
    assert "Usuário ana criado (Gerente)." in visto
    assert componente(PessoasQueries, app).autenticar("ana", "senha-forte") is not None


def test_banco_fora_do_ar_uma_linha_sem_rastro(settings: Settings, tmp_path: Path) -> None:
    """With the database down, every command says so in one line on stderr and exits 1; no
    stack trace (a group's subcommand too), and not the URL's password."""
    fora = "mongodb://ana:segredo@127.0.0.1:9/?serverSelectionTimeoutMS=500&connectTimeoutMS=500"
    env = ambiente_do_app(settings, MONGODB_URL=fora)
    arquivo = tmp_path / "h.csv"
    arquivo.write_text("OS;Entrada na fila\n", encoding="utf-8")
    for args in (["list-users"], ["importar-historico", str(arquivo)], ["os-sync", "status"]):
        r = rodar(env, *args)
        assert r.returncode == 1, (args, r.stderr)
        assert "Erro: o MongoDB não respondeu" in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr and "segredo" not in r.stderr + r.stdout, args


def test_cada_comando_envolvido_uma_vez(make_app: Callable[..., Flask]) -> None:
    """Every create_app hands the modules' commands in again: wrapped once, not once per app
    (a chain of wrappers as deep as a test process's apps)."""
    for _ in range(3):
        comando = make_app().cli.commands["list-users"]
    por_dentro = [c.cell_contents for c in comando.invoke.__closure__ or ()]
    original = next(x for x in por_dentro if callable(x))
    assert getattr(original, "__self__", None) is comando  # click's own invoke, not a wrapper
