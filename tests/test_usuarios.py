"""The user store, the failed-login counter and the create-user / seed-demo commands, on the
real MongoDB."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from pymongo.database import Database

from webapp import usuarios
from webapp.domain import Papel
from webapp.service import Ator
from webapp.usuarios import UsuarioInvalido


@pytest.fixture
def db(app: Flask) -> Database:
    return app.extensions["mongo"].db


def test_criar_guarda_login_em_minusculas_e_senha_com_scrypt(db: Database) -> None:
    u = usuarios.criar(db, "  Joao ", "João Silva", "senha-forte", "mecanico", 101)
    doc = db["usuarios"].find_one({"login": "joao"})
    assert doc is not None and doc["nome"] == "João Silva" and doc["ativo"] is True
    assert doc["senha_hash"].startswith("scrypt:") and "senha-forte" not in doc["senha_hash"]
    assert doc["funcionario_id"] == 101 and doc["criado_em"] is not None
    assert (u.login, u.papel, u.funcionario_id, u.e_gerente) == ("joao", Papel.MECANICO, 101, False)
    assert u.ator == Ator(id="joao", papel=Papel.MECANICO)
    assert usuarios.obter(db, "JOAO").nome == "João Silva"  # type: ignore[union-attr]


def test_login_e_funcionario_unicos_pelos_indices(db: Database) -> None:
    usuarios.criar(db, "joao", "João", "senha-forte", "mecanico", 101)
    with pytest.raises(UsuarioInvalido, match="Já existe um usuário com o login 'joao'"):
        usuarios.criar(db, "JOAO", "Outro", "senha-forte", "gerente")
    with pytest.raises(UsuarioInvalido, match="funcionário 101 já tem um usuário"):
        usuarios.criar(db, "maria", "Maria", "senha-forte", "mecanico", 101)
    # funcionario_id is optional, and many users may have none.
    usuarios.criar(db, "ana", "Ana", "senha-forte", "gerente")
    usuarios.criar(db, "bia", "Bia", "senha-forte", "admin")
    assert db["usuarios"].count_documents({}) == 3
    indices = db["usuarios"].index_information()
    assert indices["login_unico"]["unique"] and indices["funcionario_unico"]["unique"]


@pytest.mark.parametrize(
    ("campos", "mensagem"),
    [
        ({"papel": "chefe"}, "Papel inválido"),
        ({"papel": "servico"}, "Papel inválido"),
        ({"login": "a b"}, "Login inválido"),
        ({"senha": "curta"}, "ao menos 8 caracteres"),
        ({"nome": "  "}, "Informe o nome"),
        ({"funcionario_id": 0}, "inteiro positivo"),
    ],
)
def test_criar_recusa_campos_invalidos(db: Database, campos: dict, mensagem: str) -> None:
    dados = {"login": "joao", "nome": "João", "senha": "senha-forte", "papel": "mecanico"}
    with pytest.raises(UsuarioInvalido, match=mensagem):
        usuarios.criar(db, **{**dados, **campos})
    assert db["usuarios"].count_documents({}) == 0


def test_papeis_de_gerente(db: Database) -> None:
    assert usuarios.criar(db, "gg", "G", "senha-forte", "gerente").e_gerente
    assert usuarios.criar(db, "ad", "Ad", "senha-forte", "ADMIN").e_gerente


def test_autenticar(db: Database) -> None:
    usuarios.criar(db, "joao", "João", "senha-forte", "mecanico")
    assert usuarios.autenticar(db, "Joao", "senha-forte").login == "joao"  # type: ignore[union-attr]
    assert usuarios.autenticar(db, "joao", "errada!!") is None
    assert usuarios.autenticar(db, "ninguem", "senha-forte") is None


def test_id_de_sessao_muda_com_senha_e_desativacao(db: Database) -> None:
    u = usuarios.criar(db, "joao", "João", "senha-forte", "mecanico")
    id1 = u.get_id()
    assert usuarios.carregar(db, id1).login == "joao"  # type: ignore[union-attr]
    assert usuarios.carregar(db, "joao:outro-carimbo") is None
    assert usuarios.carregar(db, "lixo") is None

    usuarios.alterar_senha(db, "joao", "nova-senha-forte")
    assert usuarios.carregar(db, id1) is None
    id2 = usuarios.obter(db, "joao").get_id()  # type: ignore[union-attr]
    assert usuarios.carregar(db, id2) is not None
    assert usuarios.autenticar(db, "joao", "nova-senha-forte") is not None

    usuarios.definir_ativo(db, "joao", False)
    assert usuarios.carregar(db, id2) is None
    inativo = usuarios.obter(db, "joao")
    assert inativo is not None and not inativo.ativo and not inativo.is_active
    assert usuarios.carregar(db, inativo.get_id()) is None  # inactive: never loads
    with pytest.raises(UsuarioInvalido, match="não encontrado"):
        usuarios.definir_ativo(db, "ninguem", False)


def test_nomes_em_uma_consulta(db: Database) -> None:
    usuarios.criar(db, "joao", "João", "senha-forte", "mecanico", 101)
    usuarios.criar(db, "maria", "Maria", "senha-forte", "mecanico", 102)
    usuarios.definir_ativo(db, "maria", False)  # history still shows who it was
    assert usuarios.nomes_por_funcionario(db, [101, 102, 999, None, 101]) == {
        101: "João",
        102: "Maria",
    }
    assert usuarios.nomes_por_funcionario(db, []) == {}
    assert usuarios.nomes_por_login(db, {"joao", "seed-demo", None}) == {"joao": "João"}
    assert usuarios.nomes_por_login(db, []) == {}


def test_tentativas_limitadas_por_chave(db: Database) -> None:
    lotes = [usuarios.reservar_tentativa(db, ["login:x", "ip:1"]) for _ in range(5)]
    assert all(lotes)
    assert usuarios.reservar_tentativa(db, ["login:x", "ip:2"]) is None  # login over the limit
    assert usuarios.reservar_tentativa(db, ["login:y", "ip:1"]) is None  # address over the limit
    assert usuarios.reservar_tentativa(db, ["login:y", "ip:2"]) is not None
    # A refused attempt leaves nothing behind; a discarded (successful) one neither.
    assert db["tentativas_login"].count_documents({"chave": "login:x"}) == 5
    usuarios.descartar_tentativa(db, lotes[0])  # type: ignore[arg-type]
    assert usuarios.reservar_tentativa(db, ["login:x", "ip:3"]) is not None
    # Attempts older than the window no longer count.
    db["tentativas_login"].update_many({}, [{"$set": {"em": {"$subtract": ["$em", 61_000]}}}])
    assert usuarios.reservar_tentativa(db, ["login:x", "ip:1"]) is not None
    ttl = db["tentativas_login"].index_information()["tentativas_expiram"]
    assert ttl["expireAfterSeconds"] > usuarios.JANELA / timedelta(seconds=1)


# --- Commands -----------------------------------------------------------------------------------


def test_create_user(app: Flask, db: Database) -> None:
    runner = app.test_cli_runner()
    args = ["create-user", "--login", "Joao", "--nome", "João Silva", "--papel", "mecanico"]
    r = runner.invoke(args=[*args, "--funcionario-id", "101", "--senha", "senha-forte"])
    assert r.exit_code == 0, r.output
    assert "Usuário joao criado (Mecânico)" in r.output
    assert usuarios.autenticar(db, "joao", "senha-forte") is not None

    r = runner.invoke(args=[*args, "--senha", "senha-forte"])
    assert r.exit_code == 1
    assert "Erro: Já existe um usuário com o login 'joao'." in r.output

    r = runner.invoke(
        args=["create-user", "--login", "xy", "--nome", "X", "--papel", "chefe", "--senha", "a" * 8]
    )
    assert r.exit_code == 1
    assert "Papel inválido: 'chefe'. Use mecanico, gerente ou admin." in r.output
    assert db["usuarios"].count_documents({}) == 1


def test_create_user_pede_a_senha_com_confirmacao(app: Flask, db: Database) -> None:
    args = ["create-user", "--login", "ana", "--nome", "Ana", "--papel", "gerente"]
    r = app.test_cli_runner().invoke(args=args, input="senha-forte\nsenha-forte\n")
    assert r.exit_code == 0, r.output
    assert "senha-forte" not in r.output
    assert usuarios.autenticar(db, "ana", "senha-forte").e_gerente  # type: ignore[union-attr]


def test_seed_demo_cria_os_usuarios_uma_vez(app: Flask, db: Database) -> None:
    runner = app.test_cli_runner()
    r = runner.invoke(args=["seed-demo"])
    assert r.exit_code == 0, r.output
    assert "Usuários de demonstração criados: mecanico, mecanico2, gerente." in r.output
    mecanico = usuarios.autenticar(db, "mecanico", "mecanico123")
    assert mecanico is not None
    assert (mecanico.nome, mecanico.funcionario_id) == ("Marcos Mecânico", 101)
    assert usuarios.autenticar(db, "mecanico2", "mecanico123").funcionario_id == 102  # type: ignore[union-attr]
    gerente = usuarios.autenticar(db, "gerente", "gerente123")
    assert gerente is not None and gerente.e_gerente and gerente.funcionario_id == 201

    r = runner.invoke(args=["seed-demo"])
    assert r.exit_code == 0, r.output
    assert "Usuários de demonstração criados: nenhum." in r.output
    assert db["usuarios"].count_documents({}) == 3
