"""Every write of the sign-in state (reads: queries.py), kept in MongoDB so it holds across
processes and pods: failed sign-ins
(collection `tentativas_login`), throttled per login and address and per address; and the open
sessions (collection `sessoes`), which sign-out ends for real (a copied cookie stops working)."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from bson import ObjectId
from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from ..auth import DURACAO_SESSAO
from ..mongo import atualizar_indices

COLECAO = "tentativas_login"
SESSOES = "sessoes"
SESSOES_REVOGAM: tuple[str, ...] = ()  # sessions are opened and deleted, never updated
JANELA = timedelta(minutes=1)
# Failures per minute: for one login from one address (someone guessing a password), and for one
# address whatever the login (a shared tablet signs many people in; a stranger elsewhere can
# never lock a named account out, there is no limit per login alone).
LIMITE_FALHAS = 5
LIMITE_POR_ENDERECO = 30
# Per account, whatever the address (guessing spread over many addresses): a growing delay, not
# a lock. The first CONTA_LIVRES failures cost nothing; then each attempt must wait 1, 2, 4, 8...
# up to CONTA_ESPERA_MAX seconds after the previous one. A refused attempt is not counted and
# extends nothing; a device the account already signed in on skips it (routes.py). Forgotten
# after 10 minutes without attempts (the TTL on `em`).
CONTA_LIVRES = 5
CONTA_ESPERA_MAX_S = 30
# The account's turns go in the order addresses asked for them, not to whoever asks first once
# the delay is over: first-come, a stranger asking every few milliseconds took every turn at
# the cap, and the owner on a new device waited for ever. A refused address keeps its place
# in line (`fila`) until a while after the time it was told (FILA_TOLERANCIA_S), so one
# stranger makes the owner wait at most a turn more; someone who gives up leaves the line.
FILA_TOLERANCIA_S = 30
FILA_MAXIMA = 500

INDICES = [
    IndexModel([("chave", ASCENDING), ("em", ASCENDING)], name="tentativas_por_chave"),
    # Housekeeping only: the count itself filters on the last minute, whatever the TTL monitor did.
    IndexModel([("em", ASCENDING)], expireAfterSeconds=600, name="tentativas_expiram"),
]
INDICES_SESSOES = [
    IndexModel([("login", ASCENDING)], name="sessoes_por_login"),
    # Housekeeping only: a session is checked against `expira_em` itself.
    IndexModel([("expira_em", ASCENDING)], expireAfterSeconds=0, name="sessoes_expiram"),
]


def chaves(login: str, endereco: str | None) -> list[tuple[str, int]]:
    """What one sign-in attempt counts against, with each key's limit."""
    return [
        (f"login:{login}|ip:{endereco}", LIMITE_FALHAS),
        (f"ip:{endereco}", LIMITE_POR_ENDERECO),
    ]


class TentativasRepository:
    def __init__(self, db: Database) -> None:
        self.tentativas = db[COLECAO]

    def criar_indices(self) -> None:
        atualizar_indices(self.tentativas, INDICES)

    def reservar(self, chaves: Iterable[tuple[str, int]]) -> ObjectId | None:
        """Record an attempt under every key, then count: None (nothing recorded) if any key is
        over its limit. Recording before counting keeps parallel guesses from all slipping
        through."""
        lote, agora = ObjectId(), datetime.now(UTC)
        chaves = list(chaves)
        self.tentativas.insert_many([{"chave": c, "em": agora, "lote": lote} for c, _ in chaves])
        desde = agora - JANELA
        for chave, limite in chaves:
            n = self.tentativas.count_documents(
                {"chave": chave, "em": {"$gt": desde}}, limit=limite + 1
            )
            if n > limite:
                self.descartar(lote)
                return None
        return lote

    def descartar(self, lote: ObjectId) -> None:
        """Forget an attempt that did not fail (a right password), so only failures count."""
        self.tentativas.delete_many({"lote": lote})

    def vez_da_conta(self, login: str, endereco: str | None) -> float:
        """Claim this account's turn for one attempt from `endereco`, counted as a failure until
        `liberar_conta` says otherwise: 0 when it may go on, else the seconds still to wait
        (nothing counted; the address keeps its place in line). One atomic update, so parallel
        attempts from many addresses get one turn per delay, in the order they asked."""
        agora, ip = datetime.now(UTC), endereco or "?"
        falhas = {"$add": [{"$ifNull": ["$falhas", 0]}, 1]}
        expoente = {"$subtract": [falhas, CONTA_LIVRES + 1]}
        espera_s = {
            "$cond": [
                {"$lte": [falhas, CONTA_LIVRES]},
                0,
                {"$min": [{"$pow": [2, expoente]}, CONTA_ESPERA_MAX_S]},
            ]
        }
        na_fila = {  # the places still kept: asked, and not yet past their time
            "$filter": {"input": {"$ifNull": ["$fila", []]}, "cond": {"$gt": ["$$this.ate", agora]}}
        }
        vez = {  # nobody ahead in line: the line is empty, or this address heads it
            "$let": {
                "vars": {"fila": na_fila},
                "in": {
                    "$or": [
                        {"$eq": [{"$size": "$$fila"}, 0]},
                        {"$eq": [{"$arrayElemAt": ["$$fila.ip", 0]}, ip]},
                    ]
                },
            }
        }
        conta = f"conta:{login}"
        # The account's document first: its line is matched with $expr, which no upsert takes
        # (a parallel attempt may make it meanwhile).
        with contextlib.suppress(DuplicateKeyError):
            self.tentativas.update_one(
                {"_id": conta},
                {"$setOnInsert": {"chave": conta, "em": agora, "falhas": 0, "liberada_em": agora}},
                upsert=True,
            )
        vez_tomada = self.tentativas.find_one_and_update(
            {"_id": conta, "liberada_em": {"$not": {"$gt": agora}}, "$expr": vez},
            [
                {
                    "$set": {
                        "em": agora,
                        "falhas": falhas,
                        "liberada_em": {
                            "$add": [{"$literal": agora}, {"$multiply": [espera_s, 1000]}]
                        },
                        "fila": {
                            "$filter": {
                                "input": na_fila,
                                "cond": {"$ne": ["$$this.ip", ip]},
                            }
                        },
                    }
                }
            ],
            projection={"_id": 1},
        )
        if vez_tomada is None:  # its turn has not come, or another address is ahead in line
            return self._esperar_na_fila(login, ip, agora)
        return 0.0

    def _esperar_na_fila(self, login: str, ip: str, agora: datetime) -> float:
        """A refused address joins the account's line (or keeps its place): the seconds until
        its turn, one delay per address ahead of it; its place is kept a while past that."""
        conta = self.tentativas.find_one_and_update(
            {"_id": f"conta:{login}", "fila.ip": {"$ne": ip}},
            {"$push": {"fila": {"$each": [{"ip": ip, "ate": agora}], "$slice": FILA_MAXIMA}}},
            return_document=ReturnDocument.AFTER,
        ) or self.tentativas.find_one({"_id": f"conta:{login}"})
        if conta is None:
            return 0.0  # the right password cleared the account meanwhile: try again now
        vivos = [e["ip"] for e in conta.get("fila", []) if e["ate"] > agora or e["ip"] == ip]
        if ip not in vivos:
            return CONTA_ESPERA_MAX_S * (len(vivos) + 1)  # the line is full: the longest wait
        # The delay after the next turn, as vez_da_conta's espera_s gives it.
        passo = min(2 ** max(conta["falhas"] - CONTA_LIVRES, 0), CONTA_ESPERA_MAX_S)
        livre = max((conta["liberada_em"] - agora).total_seconds(), 0.0)
        espera = max(0.1, livre + passo * vivos.index(ip))
        self.tentativas.update_one(
            {"_id": f"conta:{login}"},
            {"$set": {"fila.$[e].ate": agora + timedelta(seconds=espera + FILA_TOLERANCIA_S)}},
            array_filters=[{"e.ip": ip}],
        )
        return espera

    def liberar_conta(self, login: str) -> None:
        """The right password: the account's count starts again."""
        self.tentativas.delete_one({"_id": f"conta:{login}"})


class SessoesRepository:
    """Open sessions: one document per sign-in, its id in the signed cookie."""

    def __init__(self, db: Database) -> None:
        self.sessoes = db[SESSOES]

    def criar_indices(self) -> None:
        atualizar_indices(self.sessoes, INDICES_SESSOES)

    def abrir(self, login: str, endereco: str | None, agente: str | None) -> str:
        sid = secrets.token_urlsafe(24)
        agora = datetime.now(UTC)
        self.sessoes.insert_one(
            {
                "_id": sid,
                "login": login,
                "endereco": endereco,
                "agente": (agente or "")[:200],
                "aberta_em": agora,
                "expira_em": agora + DURACAO_SESSAO,
            }
        )
        return sid

    def encerrar(self, sid: str) -> None:
        self.sessoes.delete_one({"_id": sid})
