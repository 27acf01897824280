"""The user store, the failed-login counter and the create-user / seed-demo commands, on the
real MongoDB."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from pymongo.database import Database
from pymongo.errors import WriteError

from webapp.components import componente
from webapp.fila.domain import Ator, Papel
from webapp.mongo import Mongo
from webapp.pessoas.domain import UsuarioInvalido, em_duas_metades, juntar_metades
from webapp.pessoas.queries import PessoasQueries
from webapp.pessoas.repository import PessoasRepository
from webapp.pessoas.service import PessoasService
from webapp.sessao.repository import (
    JANELA,
    LIMITE_FALHAS,
    LIMITE_POR_ENDERECO,
    TentativasRepository,
    chaves,
)


@pytest.fixture
def db(app: Flask) -> Database:
    return componente(Mongo, app).db


@pytest.fixture
def pessoas(app: Flask) -> PessoasRepository:
    return componente(PessoasRepository, app)


@pytest.fixture
def consultas(app: Flask) -> PessoasQueries:
    return componente(PessoasQueries, app)


@pytest.fixture
def tentativas(app: Flask) -> TentativasRepository:
    return componente(TentativasRepository, app)


def test_criar_guarda_login_em_minusculas_e_senha_com_scrypt(
    db: Database, consultas: PessoasQueries
) -> None:
    u = PessoasRepository(db).criar("  Joao ", "João Silva", "senha-forte", "mecanico", 101)
    doc = db["usuarios"].find_one({"login": "joao"})
    assert doc is not None and doc["nome"] == "João Silva" and doc["ativo"] is True
    assert doc["senha_hash"].startswith("scrypt:") and "senha-forte" not in doc["senha_hash"]
    assert doc["funcionario_id"] == 101 and doc["criado_em"] is not None
    assert (u.login, u.papel, u.funcionario_id, u.e_gerente) == ("joao", Papel.MECANICO, 101, False)
    assert u.ator == Ator("joao", Papel.MECANICO, pessoa=True, funcionario_id=101)
    assert consultas.obter("JOAO").nome == "João Silva"  # type: ignore[union-attr]


def test_login_e_funcionario_unicos_pelos_indices(db: Database, pessoas: PessoasRepository) -> None:
    pessoas.criar("joao", "João", "senha-forte", "mecanico", 101)
    with pytest.raises(UsuarioInvalido, match="Já existe o usuário “joao”"):
        pessoas.criar("JOAO", "Outro", "senha-forte", "gerente")
    with pytest.raises(UsuarioInvalido, match="funcionário 101 já tem um usuário"):
        pessoas.criar("maria", "Maria", "senha-forte", "mecanico", 101)
    # funcionario_id is optional, and many users may have none.
    pessoas.criar("ana", "Ana", "senha-forte", "gerente")
    pessoas.criar("bia", "Bia", "senha-forte", "admin")
    assert db["usuarios"].count_documents({}) == 3
    indices = db["usuarios"].index_information()
    assert indices["login_unico"]["unique"] and indices["funcionario_unico"]["unique"]


@pytest.mark.parametrize(
    ("campos", "mensagem"),
    [
        ({"papel": "chefe"}, "Papel inválido"),
        ({"papel": "servico"}, "Papel inválido"),
        ({"login": "a b"}, "Usuário inválido"),
        ({"senha": "curta"}, "de 8 a 200 caracteres"),
        ({"senha": "s" * 201}, "de 8 a 200 caracteres"),  # the sign-in form takes 200
        ({"nome": "  "}, "Informe o nome"),
        ({"funcionario_id": 0}, "inteiro de 1 a 9.223.372.036.854.775.807"),
        ({"funcionario_id": 2**63}, "inteiro de 1 a 9.223.372.036.854.775.807"),
    ],
)
def test_criar_recusa_campos_invalidos(
    db: Database, campos: dict, mensagem: str, pessoas: PessoasRepository
) -> None:
    dados = {"login": "joao", "nome": "João", "senha": "senha-forte", "papel": "mecanico"}
    with pytest.raises(UsuarioInvalido, match=mensagem):
        pessoas.criar(**{**dados, **campos})
    assert db["usuarios"].count_documents({}) == 0


def test_papeis_de_gerente(db: Database, pessoas: PessoasRepository) -> None:
    assert pessoas.criar("gg", "G", "senha-forte", "gerente").e_gerente
    assert pessoas.criar("ad", "Ad", "senha-forte", "ADMIN").e_gerente


def test_autenticar(db: Database, pessoas: PessoasRepository, consultas: PessoasQueries) -> None:
    pessoas.criar("joao", "João", "senha-forte", "mecanico")
    assert consultas.autenticar("Joao", "senha-forte").login == "joao"  # type: ignore[union-attr]
    assert consultas.autenticar("joao", "errada!!") is None
    assert consultas.autenticar("ninguem", "senha-forte") is None


def test_id_de_sessao_muda_com_senha_e_desativacao(
    db: Database, pessoas: PessoasRepository, consultas: PessoasQueries
) -> None:
    u = pessoas.criar("joao", "João", "senha-forte", "mecanico")
    id1 = u.get_id()
    assert consultas.carregar(id1).login == "joao"  # type: ignore[union-attr]
    assert consultas.carregar("joao:outro-carimbo") is None
    assert consultas.carregar("lixo") is None

    pessoas.alterar_senha("joao", "nova-senha-forte")
    assert consultas.carregar(id1) is None
    id2 = consultas.obter("joao").get_id()  # type: ignore[union-attr]
    assert consultas.carregar(id2) is not None
    assert consultas.autenticar("joao", "nova-senha-forte") is not None

    pessoas.definir_ativo("joao", False)
    assert consultas.carregar(id2) is None
    inativo = consultas.obter("joao")
    assert inativo is not None and not inativo.ativo and not inativo.is_active
    assert consultas.carregar(inativo.get_id()) is None  # inactive: never loads
    # The write only says nothing matched; the service tells why (test_comandos_de_pessoas).
    assert pessoas.definir_ativo("ninguem", False) is False


def test_troca_da_propria_senha_nao_desfaz_uma_redefinicao_no_meio(
    pessoas: PessoasRepository, consultas: PessoasQueries
) -> None:
    """The person's old password was checked; a manager resets it before the new one is
    written: the reset wins (its temporary password works, the person's new one does not)."""
    pessoas.criar("joao", "João", "senha-forte", "mecanico")
    conferido = consultas.autenticar("joao", "senha-forte")
    assert conferido is not None
    pessoas.alterar_senha("joao", "temporaria-123", temporaria=True)  # the manager's reset
    assert not pessoas.trocar_senha("joao", "minha-nova-senha", conferido.documento["senha_hash"])
    assert consultas.autenticar("joao", "temporaria-123") is not None
    assert consultas.autenticar("joao", "minha-nova-senha") is None
    # Unraced, the checked password is replaced.
    conferido = consultas.autenticar("joao", "temporaria-123")
    assert conferido is not None
    assert pessoas.trocar_senha("joao", "minha-nova-senha", conferido.documento["senha_hash"])
    novo = consultas.autenticar("joao", "minha-nova-senha")
    assert novo is not None and not novo.documento["trocar_senha"]


def test_nomes_em_uma_consulta(
    db: Database, pessoas: PessoasRepository, consultas: PessoasQueries
) -> None:
    pessoas.criar("joao", "João", "senha-forte", "mecanico", 101)
    pessoas.criar("maria", "Maria", "senha-forte", "mecanico", 102)
    pessoas.definir_ativo("maria", False)  # history still shows who it was
    assert consultas.nomes_por_funcionario([101, 102, 999, None, 101]) == {
        101: "João",
        102: "Maria",
    }
    assert consultas.nomes_por_funcionario([]) == {}
    assert consultas.nomes_por_login({"joao", "seed-demo", None}) == {"joao": "João"}
    assert consultas.nomes_por_login([]) == {}


def test_tentativas_por_login_e_endereco_e_por_endereco(
    db: Database, tentativas: TentativasRepository
) -> None:
    daqui = chaves("gerente", "10.0.0.7")
    lotes = [tentativas.reservar(daqui) for _ in range(LIMITE_FALHAS)]
    assert all(lotes)
    assert tentativas.reservar(daqui) is None  # this login from this address: over the limit
    # A stranger elsewhere can never lock the real manager out.
    assert tentativas.reservar(chaves("gerente", "10.0.0.8")) is not None
    # A shared tablet signs many people in: a higher allowance per address, whatever the login.
    usados = LIMITE_FALHAS  # this address's failures so far (the refused one is not kept)
    for n in range(LIMITE_POR_ENDERECO - usados):
        assert tentativas.reservar(chaves(f"pessoa{n}", "10.0.0.7")) is not None
    assert tentativas.reservar(chaves("outra", "10.0.0.7")) is None
    # A discarded (successful) attempt leaves nothing; old ones no longer count.
    tentativas.descartar(lotes[0])  # type: ignore[arg-type]
    assert db["tentativas_login"].count_documents({"lote": lotes[0]}) == 0
    db["tentativas_login"].update_many({}, [{"$set": {"em": {"$subtract": ["$em", 61_000]}}}])
    assert tentativas.reservar(daqui) is not None
    ttl = db["tentativas_login"].index_information()["tentativas_expiram"]
    assert ttl["expireAfterSeconds"] > JANELA / timedelta(seconds=1)


# --- Commands -----------------------------------------------------------------------------------


def test_create_user(app: Flask, db: Database, consultas: PessoasQueries) -> None:
    runner = app.test_cli_runner()
    args = ["create-user", "--login", "Joao", "--nome", "João Silva", "--papel", "mecanico"]
    r = runner.invoke(args=[*args, "--funcionario-id", "101", "--senha", "senha-forte"])
    assert r.exit_code == 0, r.output
    assert "Usuário joao criado (Mecânico)" in r.output
    assert consultas.autenticar("joao", "senha-forte") is not None

    r = runner.invoke(args=[*args, "--senha", "senha-forte"])
    assert r.exit_code == 1
    assert "Erro: Já existe o usuário “joao”." in r.output

    r = runner.invoke(
        args=["create-user", "--login", "xy", "--nome", "X", "--papel", "chefe", "--senha", "a" * 8]
    )
    assert r.exit_code == 1
    assert "Papel inválido: “chefe”. Use mecanico, gerente ou admin." in r.output
    assert db["usuarios"].count_documents({}) == 1


def test_seed_demo_cria_os_usuarios_uma_vez(
    app: Flask, db: Database, consultas: PessoasQueries
) -> None:
    runner = app.test_cli_runner()
    r = runner.invoke(args=["seed-demo"])
    assert r.exit_code == 0, r.output
    assert "Usuários de demonstração criados: mecanico, mecanico2, gerente." in r.output
    mecanico = consultas.autenticar("mecanico", "mecanico123")
    assert mecanico is not None
    assert (mecanico.nome, mecanico.funcionario_id) == ("Marcos Mecânico", 101)
    assert consultas.autenticar("mecanico2", "mecanico123").funcionario_id == 102  # type: ignore[union-attr]
    gerente = consultas.autenticar("gerente", "gerente123")
    assert gerente is not None and gerente.e_gerente and gerente.funcionario_id == 201

    r = runner.invoke(args=["seed-demo"])
    assert r.exit_code == 0, r.output
    assert "Usuários de demonstração criados: nenhum." in r.output
    assert db["usuarios"].count_documents({}) == 3


def test_comandos_de_pessoas(app: Flask, db: Database, consultas: PessoasQueries) -> None:
    """The CLI twins of the /pessoas page, each change recorded as made from the command line."""
    componente(PessoasRepository, app).criar_se_faltam(
        [{"login": "joao", "nome": "João", "senha": "senha-forte", "papel": "mecanico",
          "funcionario_id": 101}]
    )  # fmt: skip
    runner = app.test_cli_runner()

    r = runner.invoke(args=["edit-user", "--login", "joao", "--papel", "gerente",
                            "--funcionario-id", "150"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "Usuário joao salvo: João, Gerente." in r.output
    joao = consultas.obter("joao")
    assert joao.e_gerente and joao.funcionario_id == 150 and joao.nome == "João"
    r = runner.invoke(args=["edit-user", "--login", "joao", "--sem-funcionario"])
    assert r.exit_code == 0 and consultas.obter("joao").funcionario_id is None
    for comando in ("edit-user", "deactivate-user", "reactivate-user", "reset-password"):
        extra = ["--nome", "X"] if comando == "edit-user" else []
        r = runner.invoke(args=[comando, "--login", "ninguem", *extra])
        assert r.exit_code == 1 and "Erro: Usuário “ninguem” não encontrado." in r.output, comando

    r = runner.invoke(args=["deactivate-user", "--login", "JOAO"])
    assert r.exit_code == 0 and "Usuário joao desativado (sessões encerradas)." in r.output
    assert not consultas.obter("joao").ativo
    assert runner.invoke(args=["deactivate-user", "--login", "joao"]).output == "Nada mudou.\n"
    r = runner.invoke(args=["reactivate-user", "--login", "joao"])
    assert r.exit_code == 0 and consultas.obter("joao").ativo

    r = runner.invoke(args=["reset-password", "--login", "joao"])
    assert r.exit_code == 0, r.output
    senha = r.output.split("Senha temporária de joao: ")[1].split()[0]
    assert consultas.autenticar("joao", "senha-forte") is None
    assert consultas.autenticar("joao", senha).deve_trocar_senha  # type: ignore[union-attr]

    r = runner.invoke(args=["list-users"])
    assert r.output == "joao\tJoão\tgerente\t-\tativo, troca de senha pendente\n"

    r = runner.invoke(args=["access-log", "--login", "joao"])
    linhas = [linha.split("\t")[1:] for linha in r.output.splitlines()]
    assert linhas == [
        ["linha-de-comando", "Redefiniu a senha", "joao", "-"],
        ["linha-de-comando", "Reativou", "joao", "-"],
        ["linha-de-comando", "Desativou", "joao", "-"],
        ["linha-de-comando", "Alterou o cadastro: nº de funcionário 150 → —", "joao", "-"],
        ["linha-de-comando",
         "Alterou o cadastro: papel Mecânico → Gerente; nº de funcionário 101 → 150", "joao", "-"],
    ]  # fmt: skip
    assert db["registro_acessos"].count_documents({}) == 5


def test_mudanca_e_sua_linha_no_registro_sao_uma_so_escrita(
    app: Flask, db: Database, consultas: PessoasQueries
) -> None:
    """A change of a person and its line of the record are one transaction: with the record
    refusing every line (a validator MongoDB enforces), no change is left unrecorded."""
    servico = componente(PessoasService, app)
    gerente = Ator("gerente", Papel.GERENTE, pessoa=True, endereco="10.0.0.9")
    servico.criar("joao", "João", "mecanico", 101, gerente)
    assert [r["acao"] for r in db["registro_acessos"].find()] == ["criar"]
    antes = db["usuarios"].find_one({"login": "joao"})
    db.command("collMod", "registro_acessos", validator={"acao": "nenhuma"})

    def recusada(mudar: Callable[[], object]) -> None:
        with pytest.raises(WriteError):
            mudar()

    recusada(lambda: servico.criar("maria", "Maria", "mecanico", 102, gerente))
    recusada(lambda: servico.editar("joao", "João Souza", "gerente", 150, gerente))
    recusada(lambda: servico.definir_ativo("joao", False, gerente))
    recusada(lambda: servico.redefinir_senha("joao", gerente))
    recusada(lambda: servico.registrar_entrada(consultas.obter("joao"), "10.0.0.5"))  # type: ignore[arg-type]
    assert db["usuarios"].find_one({"login": "joao"}) == antes
    assert consultas.obter("maria") is None
    assert [r["acao"] for r in db["registro_acessos"].find()] == ["criar"]

    db.command("collMod", "registro_acessos", validator={})
    servico.editar("joao", "João Souza", "mecanico", 101, gerente)
    [linha] = db["registro_acessos"].find({"acao": "editar"})
    assert (linha["por"], linha["endereco"]) == ("gerente", "10.0.0.9")
    assert linha["detalhe"] == {"nome": ["João", "João Souza"]}
    assert consultas.obter("joao").nome == "João Souza"  # type: ignore[union-attr]


def test_senha_com_caracteres_invisiveis_e_recusada_mas_nao_os_que_se_digitam() -> None:
    """Control and zero-width characters nobody could type again are refused; the joiners a
    keyboard puts inside an emoji (👨‍🔧) or a Persian word are a person's own."""
    from webapp.pessoas.domain import SENHA_INVISIVEL, problema_da_senha

    assert problema_da_senha("\x00" * 10) == SENHA_INVISIVEL
    assert problema_da_senha("\u200b" * 8) == SENHA_INVISIVEL
    assert problema_da_senha("senha\tforte1") == SENHA_INVISIVEL
    assert problema_da_senha("senha👨\u200d🔧123") is None
    assert problema_da_senha("می\u200cخواهم123") is None
    assert problema_da_senha("curta") == "A senha deve ter de 8 a 200 caracteres."


def test_senha_em_duas_metades_so_se_le_com_as_duas() -> None:
    pad, mascarada = em_duas_metades("k7qm-x4ta-9pwe")
    assert "k7qm" not in pad + mascarada and juntar_metades(pad, mascarada) == "k7qm-x4ta-9pwe"
    assert em_duas_metades("k7qm-x4ta-9pwe")[0] != pad  # a new pad every time
    outro_pad, _ = em_duas_metades("k7qm-x4ta-9pwe")
    assert juntar_metades(outro_pad, mascarada) != "k7qm-x4ta-9pwe"
    # Halves that are not a pair (tampered, truncated, of another kind) show nothing.
    for a, b in ((pad, mascarada[:-2]), ("zz", mascarada), (None, mascarada), ("", "")):
        assert juntar_metades(a, b) is None
