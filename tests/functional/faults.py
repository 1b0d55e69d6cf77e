"""The fault injector of tests/functional/test_faults*.py: real faults, no mocks.

* `drop_connections(...)`: `pg_terminate_backend` from a second connection, waiting until the
  backends are gone;
* `PrivateRedis`: a redis-server this test starts on a free port of its own (never the machine's
  6379), without persistence, stopped and started again to restart it;
* `Gate`: where a worker of tests/functional/fault_gate_worker.py waits (before a segment reads
  its inputs and before it stores them) until the test has injected its fault and releases it —
  so each fault lands at a known step, deterministically, with no sleeps;
* `LEDGER`: what was injected and posted, printed at the end of the session and written to
  test-output/faults.json (the README's trust figures come from it).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import ROOT

OUTPUT = ROOT / "test-output"


# --------------------------------------------------------------------------- the ledger
@dataclass
class FaultLedger:
    faults: Counter = field(default_factory=Counter)
    postings_sent: int = 0
    postings_stored: int = 0
    rows_lost: int = 0
    runs_checked: int = 0

    def fault(self, kind: str, n: int = 1) -> None:
        self.faults[kind] += n
        self.write()

    @property
    def total(self) -> int:
        return sum(self.faults.values())

    def line(self) -> str:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(self.faults.items()))
        return (f"faults injected: {self.total} ({kinds}), runs computed identical to a clean run: "
                f"{self.runs_checked}, postings sent: {self.postings_sent}, stored: {self.postings_stored}, "
                f"rows lost: {self.rows_lost}")

    def write(self) -> None:
        OUTPUT.mkdir(exist_ok=True)
        (OUTPUT / "faults.json").write_text(json.dumps({
            "faults_injected": self.total, "by_kind": dict(sorted(self.faults.items())),
            "runs_identical_to_clean": self.runs_checked, "postings_sent": self.postings_sent,
            "postings_stored": self.postings_stored, "rows_lost": self.rows_lost}, indent=2) + "\n")


LEDGER = FaultLedger()


def wait_for(condition, *, seconds: float, what: str, every: float = 0.1):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"not within {seconds:.0f}s: {what}")


# --------------------------------------------------------------------------- PostgreSQL
def _second_connection():
    """A psycopg connection of its own to the test database (not Django's)."""
    import psycopg
    from django.db import connection

    s = connection.settings_dict
    return psycopg.connect(host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"] or "postgres",
                           password=s["PASSWORD"] or None, dbname=s["NAME"], autocommit=True)


def own_backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def drop_connections(*, pids: list[int] | None = None, sparing: list[int] = ()) -> int:
    """Terminate the given backends of the test database (or all but `sparing`) from a second
    connection, and wait until PostgreSQL has them gone. Returns how many were terminated."""
    with _second_connection() as conn:
        me = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        if pids is None:
            pids = [r[0] for r in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> %s", (me,))
                if r[0] not in sparing]
        killed = [pid for pid in pids if conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]]
        wait_for(lambda: not conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = ANY(%s)", (killed,)).fetchone(),
                 seconds=20, what=f"backends {killed} gone")
    return len(killed)


# --------------------------------------------------------------------------- Redis
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A redis-server of the test's own, on a free port; no persistence, so a restart loses every
    queued and unacknowledged message (the worst case of a broker restart)."""

    def __init__(self):
        self.port = free_port()
        self.dir = OUTPUT / f"redis-{self.port}"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)], stdout=open(self.dir / "redis.log", "ab"), stderr=subprocess.STDOUT,
            start_new_session=True)
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        wait_for(lambda: self._ping(client), seconds=20, what=f"redis-server on port {self.port} answers")

    @staticmethod
    def _ping(client) -> bool:
        try:
            return client.ping()
        except Exception:  # noqa: BLE001 - not up yet
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: redis-server exits at once (nothing to save)
            self.proc.wait(timeout=20)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def producer_broker(url: str):
    """This test process's Celery app publishes to `url` (the private Redis) while inside."""
    from config.celery import app

    def reset(close: bool):
        # kombu keeps its pools by connection: the configured broker's stay open for after
        if close:
            if app._pool is not None:
                app._pool.force_close_all()
            if app.amqp._producer_pool is not None:
                app.amqp._producer_pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None

    # Celery reads the CELERY_BROKER_URL variable before its own setting
    before, before_env = app.conf.broker_url, os.environ.get("CELERY_BROKER_URL")
    reset(close=False)
    app.conf.broker_url = os.environ["CELERY_BROKER_URL"] = url
    try:
        yield
    finally:
        reset(close=True)
        app.conf.broker_url = before
        if before_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = before_env


# --------------------------------------------------------------------------- workers
def start_worker(*, app_module: str = "tests.functional.fault_gate_worker", broker_url: str | None = None,
                 name: str = "faults", env: dict | None = None) -> subprocess.Popen:
    """A real `celery worker` (solo pool) on the test database and `broker_url` (default: the
    configured broker), ready before this returns; its log in test-output/fault-workers/."""
    from django.conf import settings
    from django.db import connection

    broker_url = broker_url or settings.CELERY_BROKER_URL
    s = connection.settings_dict
    full_env = dict(os.environ, CELERY_BROKER_URL=broker_url, CELERY_RESULT_BACKEND=broker_url,
                    DATABASE_URL=f"postgres://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:"
                                 f"{s['PORT'] or 5432}/{s['NAME']}", **(env or {}))
    OUTPUT.mkdir(exist_ok=True)
    node = f"{name}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    log_path = OUTPUT / "fault-workers" / f"{node}.log"
    log_path.parent.mkdir(exist_ok=True)
    proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", app_module, "worker", "--pool=solo",
                             "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
                             "-n", f"{node}@%h"],
                            cwd=ROOT, env=full_env, stdout=open(log_path, "ab"), stderr=subprocess.STDOUT,
                            start_new_session=True)

    # "ready" in its own log, not a ping: a solo worker answers no ping while a task of it waits
    # at the gate, which it may reach the moment it is ready
    def ready():
        if proc.poll() is not None:
            raise AssertionError(f"the worker exited at start; see {log_path}")
        return f"{node}@" in (text := log_path.read_text(errors="replace")) and " ready." in text
    try:
        wait_for(ready, seconds=90, what=f"the worker is ready ({log_path})", every=0.2)
    except AssertionError:
        kill_worker(proc)
        raise
    return proc


def kill_worker(proc: subprocess.Popen) -> None:
    """SIGKILL to the worker's process group: no warm shutdown, nothing acknowledged or restored."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=20)


def stop_worker(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            kill_worker(proc)


def forget_broker_messages() -> None:
    """A killed worker's message would come back after the visibility timeout (11 minutes) to a
    later test's worker, for a run that no longer exists; drop what the broker db still holds."""
    import redis
    from django.conf import settings

    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete("unacked", "unacked_index", "celery")


# --------------------------------------------------------------------------- the gate
@dataclass(frozen=True)
class Visit:
    point: str      # "inputs" (before the segment reads its stored inputs) or "store" (before it writes)
    run_id: int
    segment: str
    currency: str
    n: int          # the how-many-th visit of this point by this segment (0 first), across workers
    path: Path

    @property
    def key(self) -> tuple[str, str]:
        return self.segment, self.currency


class Gate:
    """The test's side of fault_gate_worker: a directory of `<visit>.waiting` files the worker
    writes and `<visit>.go` files the test writes when it has done what it wanted at that step."""

    def __init__(self):
        self.dir = OUTPUT / "fault-gates" / uuid.uuid4().hex[:10]
        self.dir.mkdir(parents=True)
        self.released: list[Visit] = []

    @property
    def env(self) -> dict:
        return {"MEDMAL_FAULT_GATE_DIR": str(self.dir)}

    def waiting(self) -> list[Visit]:
        out = []
        for path in sorted(self.dir.glob("*.waiting")):
            if path.with_suffix(".go").exists():
                continue
            point, run_id, segment, currency, n = path.stem.split("~")
            out.append(Visit(point, int(run_id), segment, currency, int(n), path))
        return out

    def release(self, visit: Visit) -> None:
        visit.path.with_suffix(".go").write_text("go")
        self.released.append(visit)

    def serve(self, on_visit, *, until, seconds: float, between=None):
        """Release every visit after `on_visit(visit)` has run (it injects the fault of that step,
        or nothing), calling `between()` each round (e.g. a watchdog sweep), until `until()` is
        true. Fails after `seconds`."""
        deadline = time.time() + seconds
        while time.time() < deadline:
            for visit in self.waiting():
                on_visit(visit)
                self.release(visit)
            done = until()
            if done:
                return done
            if between is not None:
                between()
            time.sleep(0.1)
        raise AssertionError(f"not done within {seconds:.0f}s; gate visits released: "
                             f"{[(v.point, v.segment, v.currency, v.n) for v in self.released]}")

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
