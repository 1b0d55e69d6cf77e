"""The processes `make bench` starts and measures: a command as a subprocess with its wall time
and peak RSS (its whole process tree, polled with psutil), Celery workers with their own node
names, and a gunicorn on a free port of 127.0.0.1. Every process started here is stopped here,
by its own pid (its process group), never by name.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024


def tree_rss(pids: Iterable[int]) -> int:
    """Resident bytes of the processes and all their descendants (gone ones count 0)."""
    total, seen = 0, set()
    for pid in pids:
        try:
            p = psutil.Process(pid)
            procs = [p, *p.children(recursive=True)]
        except psutil.Error:
            continue
        for q in procs:
            if q.pid in seen:
                continue
            seen.add(q.pid)
            try:
                total += q.memory_info().rss
            except psutil.Error:
                pass
    return total


class RssSampler:
    """Peak RSS of a set of process trees while the `with` block runs (polled every `interval`)."""

    def __init__(self, pids: Callable[[], Iterable[int]], interval: float = 0.05):
        self._pids, self._interval = pids, interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="bench-rss", daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(self._pids()))
            self._stop.wait(self._interval)

    def __enter__(self) -> RssSampler:
        self.peak = tree_rss(self._pids())
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, tree_rss(self._pids()))

    @property
    def peak_mb(self) -> float:
        return self.peak / MB


def self_rss_sampler() -> RssSampler:
    pid = os.getpid()
    return RssSampler(lambda: [pid])


@dataclass
class Measured:
    returncode: int
    seconds: float
    peak_rss_mb: float
    stdout: str
    stderr: str


def _python_tree(p: psutil.Process) -> list[int]:
    """The pids to measure under a launcher (py-spy's child is the python that does the work;
    py-spy's own memory is not the command's)."""
    try:
        if p.name().startswith("py-spy"):
            return [k.pid for k in p.children(recursive=True)]
    except psutil.Error:
        return []
    return [p.pid]


def run_measured(argv: list[str], env: dict, cwd: Path = ROOT, timeout: float = 7200) -> Measured:
    """Run argv to completion: wall time and the peak RSS of the process doing the work."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    ps = psutil.Process(proc.pid)
    out: dict[str, str] = {}

    def drain(name, stream):
        out[name] = stream.read()

    readers = [threading.Thread(target=drain, args=("stdout", proc.stdout), daemon=True),
               threading.Thread(target=drain, args=("stderr", proc.stderr), daemon=True)]
    for r in readers:
        r.start()
    with RssSampler(lambda: _python_tree(ps)) as rss:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_group(proc)
            raise
    seconds = time.perf_counter() - t0
    for r in readers:
        r.join()
    return Measured(proc.returncode, seconds, rss.peak_mb, out.get("stdout", ""), out.get("stderr", ""))


def stop_group(proc: subprocess.Popen, grace: float = 15.0) -> None:
    """TERM the process group the bench started (start_new_session), KILL it after `grace`."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=grace)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def venv_bin(name: str) -> str:
    here = Path(sys.executable).parent / name
    return str(here) if here.exists() else name


class _Server:
    """A server subprocess in its own process group, with its log; stopped with the group."""

    proc: subprocess.Popen | None = None

    def pids(self) -> list[int]:
        return [self.proc.pid] if self.proc is not None and self.proc.poll() is None else []

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            stop_group(self.proc, grace=20)
            self.proc = None
        if getattr(self, "_log", None):
            self._log.close()


class CeleryWorkers(_Server):
    """One `celery -A config worker` with --concurrency N under a node name of its own, against
    the bench's broker; `with` starts it, waits until it answers a ping, and stops it."""

    def __init__(self, concurrency: int, env: dict, log_dir: Path):
        self.concurrency = concurrency
        self.node = f"bench-w{concurrency}-{os.getpid()}@127.0.0.1"
        self.env, self.log_dir = env, log_dir
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> CeleryWorkers:
        from config.celery import app

        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"celery-w{self.concurrency}.log", "w")  # noqa: SIM115 - closed with the process
        self._log = log
        self.proc = subprocess.Popen(
            [venv_bin("celery"), "-A", "config", "worker", "--concurrency", str(self.concurrency), "-n", self.node,
             "--pool", "prefork", "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"celery worker {self.node} exited with {self.proc.returncode} "
                                   f"(see {self.log_dir / f'celery-w{self.concurrency}.log'})")
            if app.control.ping(destination=[self.node], timeout=1.0):
                return self
        self.__exit__()
        raise RuntimeError(f"celery worker {self.node} did not answer a ping in 90 s")


class Gunicorn(_Server):
    """gunicorn with config/gunicorn.py on 127.0.0.1 and a free port."""

    def __init__(self, env: dict, log_dir: Path, workers: int = 2, threads: int = 4):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}", "GUNICORN_WORKERS": str(workers),
                    "GUNICORN_THREADS": str(threads)}
        self.log_dir = log_dir
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        from benchmarks.api_load import wait_until_up

        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_dir / "gunicorn.log", "w")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen([venv_bin("gunicorn"), "-c", "config/gunicorn.py", "config.wsgi"],
                                     env=self.env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        try:
            wait_until_up(self.base_url, timeout=60)
        except RuntimeError:
            self.__exit__()
            raise
        return self

