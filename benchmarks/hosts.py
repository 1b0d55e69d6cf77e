"""Worker "hosts" on one machine (issue 15 §7): each host is a Linux network namespace with its
own veth link to the machine, from which 127.0.0.1 is its own loopback, so the database and the
broker are reachable only through a forwarder (socat) listening on the machine's end of that
link — as workers on other hosts reach one PostgreSQL and one Redis over the network. Where
namespaces cannot be made (no root, no `ip`), each host is a plain worker process with its own
node name and its own environment (the fallback the issue allows); `Hosts.isolated` says which.

    python -m benchmarks.hosts --hosts 2 --database-url postgres://postgres@127.0.0.1:5432/medmal \
        --broker-url redis://127.0.0.1:6379/0          # starts the hosts' workers, Ctrl-C stops

Every namespace, link, forwarder and worker made here is removed here (by name and pid).
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from benchmarks.procs import stop_group

ROOT = Path(__file__).resolve().parent.parent
# A private /16 no one routes here; host i links 10.231.i.1 (machine) <-> 10.231.i.2 (host).
SUBNET = "10.231"
DB_PORT, BROKER_PORT = 15432, 16379


def _run(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, text=True)


def _with_host_port(url: str, host: str, port: int) -> str:
    parts = urlsplit(url)
    auth = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urlunsplit((parts.scheme, f"{auth}{host}:{port}", parts.path, parts.query, parts.fragment))


def _target(url: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default_port


def namespaces_available() -> bool:
    """Root with `ip` and `socat` on the path, and the kernel lets us make a namespace."""
    if os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("socat"):
        return False
    probe = f"mvprobe{os.getpid() % 100000}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True).returncode == 0
    if made:
        subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return made


@dataclass
class Host:
    index: int
    node: str                      # the Celery node name, e.g. host1@medmal-h1
    namespace: str | None          # None: a plain process on this machine (the fallback)
    database_url: str
    broker_url: str
    log: Path
    forwarders: list[subprocess.Popen] = field(default_factory=list)
    worker: subprocess.Popen | None = None

    def prefix(self) -> list[str]:
        return ["ip", "netns", "exec", self.namespace] if self.namespace else []

    def reaches(self, host: str, port: int, timeout: float = 2.0) -> bool:
        """Whether a TCP connection from this host to host:port succeeds."""
        code = ("import socket,sys\ns=socket.socket();s.settimeout(%r)\n"
                "sys.exit(0 if s.connect_ex((%r,%d))==0 else 1)" % (timeout, host, port))
        return subprocess.run(self.prefix() + [sys.executable, "-c", code], capture_output=True).returncode == 0


@dataclass
class Hosts:
    hosts: list[Host]
    isolated: bool
    tag: str

    def stop(self) -> None:
        for h in self.hosts:
            for proc in ([h.worker] if h.worker else []) + h.forwarders:
                stop_group(proc, grace=20)
            if h.namespace:
                subprocess.run(["ip", "link", "del", f"mvr{h.index}{self.tag}"], capture_output=True)
                subprocess.run(["ip", "netns", "del", h.namespace], capture_output=True)

    def __enter__(self) -> Hosts:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _link(index: int, tag: str, namespace: str) -> str:
    """The namespace and its veth pair; returns the machine end's address."""
    outer, inner = f"mvr{index}{tag}", f"mvn{index}{tag}"  # interface names: at most 15 characters
    machine, host = f"{SUBNET}.{index}.1", f"{SUBNET}.{index}.2"
    _run("ip", "netns", "add", namespace)
    _run("ip", "link", "add", outer, "type", "veth", "peer", "name", inner)
    _run("ip", "link", "set", inner, "netns", namespace)
    _run("ip", "addr", "add", f"{machine}/30", "dev", outer)
    _run("ip", "link", "set", outer, "up")
    _run("ip", "netns", "exec", namespace, "ip", "addr", "add", f"{host}/30", "dev", inner)
    _run("ip", "netns", "exec", namespace, "ip", "link", "set", inner, "up")
    _run("ip", "netns", "exec", namespace, "ip", "link", "set", "lo", "up")
    return machine


def _forwarder(listen: str, port: int, target: tuple[str, int], log) -> subprocess.Popen:
    return subprocess.Popen(["socat", f"TCP-LISTEN:{port},bind={listen},fork,reuseaddr",
                             f"TCP:{target[0]}:{target[1]}"], stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def start(*, count: int, database_url: str, broker_url: str, log_dir: Path, worker_app: str = "config",
          env: dict | None = None, namespaces: bool | None = None) -> Hosts:
    """`count` hosts, each running one Celery worker (solo pool, node host<i>@medmal-h<i>) on the
    given database and broker, reached through that host's forwarder when namespaces are made.
    Returns once every worker answers a ping; on failure everything made is removed."""
    from celery import Celery

    isolated = namespaces_available() if namespaces is None else namespaces
    tag = f"{os.getpid() % 10000}"
    log_dir.mkdir(parents=True, exist_ok=True)
    made = Hosts([], isolated, tag)
    try:
        for i in range(1, count + 1):
            log = log_dir / f"host{i}.log"
            handle = open(log, "ab")
            if isolated:
                namespace = f"medmal-h{i}-{tag}"
                machine = _link(i, tag, namespace)
                host = Host(i, f"host{i}-{tag}@medmal-h{i}", namespace, _with_host_port(database_url, machine, DB_PORT),
                            _with_host_port(broker_url, machine, BROKER_PORT), log)
                made.hosts.append(host)
                host.forwarders = [_forwarder(machine, DB_PORT, _target(database_url, 5432), handle),
                                   _forwarder(machine, BROKER_PORT, _target(broker_url, 6379), handle)]
            else:
                host = Host(i, f"host{i}-{tag}@medmal-h{i}", None, database_url, broker_url, log)
                made.hosts.append(host)
            worker_env = dict(os.environ, **(env or {}), DATABASE_URL=host.database_url,
                              CELERY_BROKER_URL=host.broker_url, CELERY_RESULT_BACKEND=host.broker_url,
                              CACHE_URL=host.broker_url)
            host.worker = subprocess.Popen(
                host.prefix() + [sys.executable, "-m", "celery", "-A", worker_app, "worker", "--pool=solo",
                                 "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
                                 "-n", host.node],
                cwd=ROOT, env=worker_env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
        control = Celery(broker=broker_url, set_as_current=False)  # not the tasks' app: eager tests follow
        deadline, waiting = time.time() + 90, {h.node for h in made.hosts}
        while waiting and time.time() < deadline:
            for h in made.hosts:
                if h.worker.poll() is not None:
                    raise RuntimeError(f"the worker of host {h.index} exited at start; see {h.log}")
            try:
                for reply in control.control.ping(destination=list(waiting), timeout=1.0) or []:
                    waiting -= set(reply)
            except Exception:  # noqa: BLE001 - broker or forwarder still starting
                pass
            time.sleep(0.3)
        if waiting:
            raise RuntimeError(f"no ping from {', '.join(sorted(waiting))} within 90 s; see {log_dir}")
        return made
    except BaseException:
        made.stop()
        raise


def tasks_done(broker_url: str, nodes: list[str]) -> dict[str, dict[str, int]]:
    """node → {task name: tasks it has finished since it started}, from the workers' own stats."""
    from celery import Celery

    stats = Celery(broker=broker_url, set_as_current=False).control.inspect(destination=nodes, timeout=3.0).stats() or {}
    return {node: dict((stats.get(node) or {}).get("total") or {}) for node in nodes}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=2)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/medmal"))
    parser.add_argument("--broker-url", default=os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--log-dir", type=Path, default=ROOT / "var" / "hosts")
    parser.add_argument("--no-namespaces", action="store_true", help="plain processes (the fallback)")
    args = parser.parse_args(argv)
    hosts = start(count=args.hosts, database_url=args.database_url, broker_url=args.broker_url, log_dir=args.log_dir,
                  namespaces=False if args.no_namespaces else None)
    try:
        for h in hosts.hosts:
            where = f"namespace {h.namespace}, database via {urlsplit(h.database_url).netloc}" if h.namespace else "this host"
            print(f"{h.node}: {where}; log {h.log}", flush=True)
        print("workers up; Ctrl-C stops them", flush=True)
        stops = {signal.SIGINT, signal.SIGTERM}
        signal.pthread_sigmask(signal.SIG_BLOCK, stops)
        signal.sigwait(stops)
    finally:
        hosts.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
