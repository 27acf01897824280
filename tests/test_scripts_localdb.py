"""The test MongoDB is a real replica set: transactions and change streams work."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient, WriteConcern
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.read_concern import ReadConcern

from scripts import localdb


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


def test_replica_set_elects_a_new_primary_and_keeps_majority_writes(tmp_path: Path) -> None:
    rs = localdb.start_replica_set(tmp_path, members=3)
    try:
        assert len(rs.processes) == 3 and rs.url.count("127.0.0.1:") == 3
        with MongoClient(rs.url, serverSelectionTimeoutMS=20_000) as mongo:
            orders = mongo.failover.get_collection(
                "orders", write_concern=WriteConcern(w="majority", wtimeout=20_000)
            )
            orders.insert_one({"_id": 1, "status": "queued"})

            old_primary = rs.kill_primary()
            killed_at = time.monotonic()
            new_primary = rs.wait_primary(timeout=20)
            assert new_primary != old_primary
            majority = orders.with_options(read_concern=ReadConcern("majority"))
            assert majority.find_one({"_id": 1}) == {"_id": 1, "status": "queued"}
            orders.insert_one({"_id": 2, "status": "queued"})  # writable again
            assert time.monotonic() - killed_at < 20
    finally:
        rs.stop()
    assert all(proc.poll() is not None for proc in rs.processes)


def test_cli_start_is_idempotent_and_stop_is_a_noop_when_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    var = tmp_path / "var" / "mongodb"  # does not exist yet, like on a fresh checkout
    monkeypatch.setattr(localdb, "VAR_DIR", var)
    monkeypatch.setattr(localdb, "DATA_DIR", var / "data")
    monkeypatch.setattr(localdb, "LOG_FILE", var / "mongod.log")
    monkeypatch.setattr(localdb, "PID_FILE", var / "mongod.pid")
    port = localdb.free_port()
    monkeypatch.setenv("LOCALDB_PORT", str(port))
    try:
        assert localdb.main(["start"]) == 0
        pid = int((var / "mongod.pid").read_text())
        assert localdb.main(["start"]) == 0  # already running: no second mongod
        assert int((var / "mongod.pid").read_text()) == pid
        assert localdb.main(["status"]) == 0
        assert localdb.main(["url"]) == 0
        out = capsys.readouterr().out.splitlines()
        assert out[0] == out[1] == out[-1] == localdb.mongo_url(port)
    finally:
        assert localdb.main(["stop"]) == 0
    assert not (var / "mongod.pid").exists()
    assert localdb.main(["stop"]) == 0  # not running: nothing to do
    assert localdb.main(["status"]) == 1
    assert "not running" in capsys.readouterr().err
