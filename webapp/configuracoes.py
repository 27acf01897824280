"""The manager's settings page (`/configuracoes`): display tokens for the TV wall and the soft
limits of the board's columns.

A display token lets a TV open `/painel` without a user session. It is a random secret shown once,
at creation; the database keeps only its SHA-256 (collection `tokens_painel`), so a copy of the
database opens no TV. Column limits live in `configuracoes` (document `_id: "quadro"`); past a
limit the column header turns red, nothing is refused.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.database import Database
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from .domain import Status
from .formularios import Formulario
from .quadro import COLUNAS, TITULOS
from .sessao import exigir_gerente

bp = Blueprint("configuracoes", __name__, url_prefix="/configuracoes")

TOKENS = "tokens_painel"
CONFIGURACOES = "configuracoes"
DOC_QUADRO = "quadro"
LIMITE_MAXIMO = 999
# Writing "last used" on every check would be a write per TV per heartbeat; once a minute is plenty.
INTERVALO_ULTIMO_USO = timedelta(minutes=1)

INDICES_TOKENS = [
    IndexModel([("hash", ASCENDING)], unique=True, name="token_hash_unico"),
    IndexModel([("criado_em", DESCENDING)], name="tokens_por_data"),
]


def _agora() -> datetime:
    instante = datetime.now(UTC)
    return instante.replace(microsecond=instante.microsecond // 1000 * 1000)


def _db() -> Database:
    return current_app.extensions["mongo"].db


def criar_indices(db: Database) -> None:
    db[TOKENS].create_indexes(INDICES_TOKENS)


# --- Display tokens -------------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def criar_token(db: Database, nome: str, criado_por: str) -> tuple[str, dict[str, Any]]:
    """A new display token: (the secret, shown once; the stored document, without it)."""
    # Idempotent and rare (a manager creating a TV token): no token exists before the first one.
    criar_indices(db)
    token = secrets.token_urlsafe(32)
    documento = {
        "nome": nome.strip(),
        "hash": hash_token(token),
        "criado_por": criado_por,
        "criado_em": _agora(),
        "revogado_em": None,
        "revogado_por": None,
        "ultimo_uso_em": None,
    }
    resultado = db[TOKENS].insert_one(documento)
    return token, {**documento, "_id": resultado.inserted_id}


def verificar_token(db: Database, token: str | None) -> dict[str, Any] | None:
    """The active (not revoked) token document for this secret, or None."""
    if not token or len(token) > 200:
        return None
    agora = _agora()
    documento = db[TOKENS].find_one({"hash": hash_token(token), "revogado_em": None})
    if documento is None:
        return None
    ultimo = documento.get("ultimo_uso_em")
    if ultimo is None or agora - ultimo >= INTERVALO_ULTIMO_USO:
        db[TOKENS].update_one({"_id": documento["_id"]}, {"$set": {"ultimo_uso_em": agora}})
        documento["ultimo_uso_em"] = agora
    return documento


def token_ativo(db: Database, token_id: ObjectId) -> bool:
    """Still valid? Open TV streams ask this periodically, so a revocation closes them."""
    return db[TOKENS].count_documents({"_id": token_id, "revogado_em": None}, limit=1) > 0


def revogar_token(db: Database, token_id: str, por: str) -> dict[str, Any] | None:
    """Revoke; the revoked document, or None if there is no such active token."""
    try:
        oid = ObjectId(token_id)
    except (InvalidId, TypeError):
        return None
    return db[TOKENS].find_one_and_update(
        {"_id": oid, "revogado_em": None},
        {"$set": {"revogado_em": _agora(), "revogado_por": por}},
        return_document=ReturnDocument.AFTER,
    )


def listar_tokens(db: Database) -> list[dict[str, Any]]:
    """Active tokens first, newest first; the hash never leaves the database."""
    tokens = list(db[TOKENS].find({}, {"hash": 0}).sort([("criado_em", DESCENDING)]))
    return sorted(tokens, key=lambda t: t.get("revogado_em") is not None)


# --- Column limits --------------------------------------------------------------------------------


def limites_colunas(db: Database) -> dict[str, int | None]:
    """The soft limit of each column (None: no limit)."""
    documento = db[CONFIGURACOES].find_one({"_id": DOC_QUADRO}) or {}
    salvos = documento.get("limites") or {}
    limites: dict[str, int | None] = {}
    for status in COLUNAS:
        valor = salvos.get(str(status))
        limites[str(status)] = valor if isinstance(valor, int) and valor > 0 else None
    return limites


def salvar_limites(db: Database, limites: dict[str, int | None], por: str) -> None:
    valores = {str(s): limites.get(str(s)) for s in COLUNAS}
    db[CONFIGURACOES].update_one(
        {"_id": DOC_QUADRO},
        {"$set": {"limites": valores, "atualizado_por": por, "atualizado_em": _agora()}},
        upsert=True,
    )


# --- Forms ----------------------------------------------------------------------------------------


MENSAGEM_LIMITE = (
    f"Use um número inteiro de 1 a {LIMITE_MAXIMO}, ou deixe em branco (sem limite)."
)


class CampoLimite(IntegerField):
    """An optional whole number; one clear message for anything else ("abc", "2.5", "-1")."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(MENSAGEM_LIMITE) from None


def _campo_limite(rotulo: str) -> CampoLimite:
    return CampoLimite(
        rotulo, validators=[Optional(), NumberRange(1, LIMITE_MAXIMO, MENSAGEM_LIMITE)]
    )


class LimitesForm(Formulario):
    AGUARDANDO = _campo_limite(TITULOS[Status.AGUARDANDO])
    EM_DIAGNOSTICO = _campo_limite(TITULOS[Status.EM_DIAGNOSTICO])
    EM_REPARO = _campo_limite(TITULOS[Status.EM_REPARO])
    FINALIZADA = _campo_limite(TITULOS[Status.FINALIZADA])

    def campos_colunas(self) -> list[Any]:
        return [self[str(s)] for s in COLUNAS]


class NovoTokenForm(Formulario):
    nome = StringField(
        "Nome da tela",
        validators=[
            DataRequired("Dê um nome à tela, por exemplo “TV da recepção”."),
            Length(max=60, message="Use no máximo 60 caracteres."),
        ],
    )


class RevogarForm(FlaskForm):
    """Only the CSRF token."""


# --- Pages ----------------------------------------------------------------------------------------


def _ator() -> str:
    return current_user.ator.id


def _pagina(
    limites: LimitesForm | None = None,
    novo: NovoTokenForm | None = None,
    token_criado: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    db = _db()
    if limites is None:
        limites = LimitesForm(formdata=None, data=limites_colunas(db))
    corpo = render_template(
        "configuracoes/index.html",
        limites=limites,
        novo=novo or NovoTokenForm(formdata=None),
        revogar=RevogarForm(formdata=None),
        tokens=listar_tokens(db),
        token_criado=token_criado,
        local=_local,
    )
    resposta = Response(corpo, status=status, mimetype="text/html")
    if token_criado:
        # The secret is on this page only: keep it out of every cache.
        resposta.headers["Cache-Control"] = "no-store"
    return resposta


def _local(instante: datetime | None) -> str:
    if instante is None:
        return "—"
    from .quadro import fuso

    return instante.astimezone(fuso()).strftime("%d/%m/%Y %H:%M")


@bp.get("")
@exigir_gerente
def index() -> Response:
    return _pagina()


@bp.post("/limites")
@exigir_gerente
def salvar() -> Any:
    form = LimitesForm()
    if not form.validate():
        return _pagina(limites=form, status=400)
    salvar_limites(_db(), {str(s): form[str(s)].data for s in COLUNAS}, _ator())
    flash("Limites das colunas salvos.", "limites")
    return redirect(url_for("configuracoes.index") + "#limites", code=303)


@bp.post("/tokens")
@exigir_gerente
def novo_token() -> Any:
    form = NovoTokenForm()
    if not form.validate():
        return _pagina(novo=form, status=400)
    token, documento = criar_token(_db(), form.nome.data, _ator())
    criado = {
        "nome": documento["nome"],
        "token": token,
        "url": url_for("painel.index", token=token, _external=True),
    }
    return _pagina(token_criado=criado)


@bp.post("/tokens/<token_id>/revogar")
@exigir_gerente
def revogar(token_id: str) -> Any:
    form = RevogarForm()
    if not form.validate():
        return _pagina(status=400)
    documento = revogar_token(_db(), token_id, _ator())
    if documento is None:
        flash("Token não encontrado ou já revogado.", "tokens")
    else:
        flash(f"Token “{documento['nome']}” revogado: a tela perde o acesso.", "tokens")
    return redirect(url_for("configuracoes.index") + "#tokens", code=303)


def instalar(app: Flask) -> None:
    app.register_blueprint(bp)
