"""The test MongoDB is a real replica set: transactions and change streams work."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from pymongo import MongoClient
from pymongo.client_session import ClientSession
from pymongo.database import Database


@pytest.fixture
def client(mongodb_url: str) -> Iterator[MongoClient]:
    with MongoClient(mongodb_url, serverSelectionTimeoutMS=5000) as mongo:
        yield mongo


@pytest.fixture
def db(client: MongoClient) -> Iterator[Database]:
    name = f"test_localdb_{uuid.uuid4().hex[:12]}"
    yield client[name]
    client.drop_database(name)


def test_server_is_replica_set_primary(client: MongoClient, mongodb_url: str) -> None:
    assert ":27018/" not in mongodb_url
    hello = client.admin.command("hello")
    assert hello["setName"] == "rs0"
    assert hello["isWritablePrimary"] is True


def test_multi_document_transaction_commits(client: MongoClient, db: Database) -> None:
    def work(session: ClientSession) -> None:
        db.orders.insert_one({"_id": 1, "status": "queued"}, session=session)
        db.events.insert_one({"order": 1, "type": "created"}, session=session)

    with client.start_session() as session:
        session.with_transaction(work)

    assert db.orders.find_one({"_id": 1}) == {"_id": 1, "status": "queued"}
    assert db.events.count_documents({"order": 1}) == 1


def test_aborted_transaction_leaves_nothing(client: MongoClient, db: Database) -> None:
    with (
        client.start_session() as session,
        pytest.raises(RuntimeError),
        session.start_transaction(),
    ):
        db.orders.insert_one({"_id": 2}, session=session)
        raise RuntimeError("abort")
    assert db.orders.count_documents({}) == 0


def test_change_stream_sees_insert(db: Database) -> None:
    with db.queue.watch(max_await_time_ms=200) as stream:
        db.queue.insert_one({"plate": "ABC1D23"})
        change = None
        for _ in range(50):  # ~10 s at most
            change = stream.try_next()
            if change is not None:
                break
    assert change is not None
    assert change["operationType"] == "insert"
    assert change["fullDocument"]["plate"] == "ABC1D23"
