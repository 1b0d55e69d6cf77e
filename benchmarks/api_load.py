"""The postings load generator of `make bench`: a bounded number of claim postings (payments and
reserve changes, alternating) sent by a small pool of threads, each with its own keep-alive HTTP
connection and the API token, to a gunicorn on 127.0.0.1, spread round-robin over many claims.

Every posting carries a note naming the load (`marker`), so the bench can count what was stored
and compare it with what the server answered 201 to. Latency is measured per request on the
client (send to full response read). Nothing here touches the database.

The client shares the 2 cores with the server and PostgreSQL, so it is kept light: the standard
library's http.client on one persistent connection per thread, the bodies encoded before the clock
starts. `requests` spent about 1.1 ms of CPU per posting (a fifth of the server's), http.client
about 0.3 (README, performance).
"""
from __future__ import annotations

import http.client
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

import requests

from benchmarks.stats import per_second, percentile


@dataclass
class LoadResult:
    sent: int
    created: int                 # 201: posted to the ledger
    pending: int                 # 202: above the handler's authority, waiting for approval
    errors: int                  # anything else, or no answer
    seconds: float               # wall time of the whole load
    latencies_ms: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)

    @property
    def postings_per_s(self) -> float | None:
        return per_second(self.created + self.pending, self.seconds)

    @property
    def p99_ms(self) -> float | None:
        return percentile(self.latencies_ms, 99) if self.latencies_ms else None

    @property
    def p50_ms(self) -> float | None:
        return percentile(self.latencies_ms, 50) if self.latencies_ms else None


def posting(i: int, accounting_date: date, marker: str) -> dict:
    """The i-th posting: even ones a reserve increase of 10.00, odd ones a payment of 1.00, both on
    indemnity — small, so no handler authority or reserve is exceeded by the load itself."""
    if i % 2 == 0:
        return {"kind": "reserve", "cost_type": "indemnity", "amount": "10.00",
                "accounting_date": accounting_date.isoformat(), "note": marker}
    return {"kind": "payment", "cost_type": "indemnity", "amount": "1.00",
            "accounting_date": accounting_date.isoformat(), "note": marker}


def run_load(*, base_url: str, token: str, claim_numbers: list[str], requests_total: int, concurrency: int,
             accounting_date: date, marker: str, timeout: float = 30.0) -> LoadResult:
    """`requests_total` postings from `concurrency` threads, each on its own keep-alive
    connection (opened again after a failure); the i-th posting goes to claim i mod len(claims)."""
    if not claim_numbers:
        raise ValueError("no claims to post to")
    url = urlsplit(base_url)
    headers = {"Authorization": f"Token {token}", "Accept": "application/json", "Content-Type": "application/json"}
    bodies = [(f"{url.path.rstrip('/')}/api/v1/claims/{claim_numbers[i % len(claim_numbers)]}/transactions/",
               json.dumps(posting(i, accounting_date, marker)).encode()) for i in range(requests_total)]
    lock = threading.Lock()
    latencies: list[float] = []
    counts = {"created": 0, "pending": 0, "errors": 0}
    samples: list[str] = []
    numbers = itertools.count()  # next() is atomic under the GIL: each posting is sent once

    def worker() -> None:
        conn: http.client.HTTPConnection | None = None
        mine: list[float] = []
        created = pending = errors = 0
        while (i := next(numbers)) < requests_total:
            path, body = bodies[i]
            t0 = time.perf_counter()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
                conn.request("POST", path, body, headers)
                response = conn.getresponse()
                text = response.read()
                code = response.status
                if response.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as exc:
                code, text = None, f"{type(exc).__name__}: {exc}".encode()
                if conn is not None:
                    conn.close()
                conn = None
            mine.append((time.perf_counter() - t0) * 1000)
            if code == 201:
                created += 1
            elif code == 202:
                pending += 1
            else:
                errors += 1
                with lock:
                    if len(samples) < 5:
                        samples.append(f"{path}: {code} {text[:200].decode(errors='replace')}")
        if conn is not None:
            conn.close()
        with lock:
            latencies.extend(mine)
            counts["created"] += created
            counts["pending"] += pending
            counts["errors"] += errors

    threads = [threading.Thread(target=worker, name=f"bench-load-{k}", daemon=True) for k in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    return LoadResult(sent=requests_total, created=counts["created"], pending=counts["pending"],
                      errors=counts["errors"], seconds=seconds, latencies_ms=latencies, error_samples=samples)


def wait_until_up(base_url: str, timeout: float = 60.0) -> None:
    """Until the server answers anything on /admin/login/."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            requests.get(f"{base_url}/admin/login/", timeout=2)
            return
        except requests.RequestException as exc:
            last = str(exc)
            time.sleep(0.25)
    raise RuntimeError(f"the server at {base_url} did not come up in {timeout:.0f} s: {last}")
