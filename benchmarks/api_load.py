"""The postings load generator of `make bench`: a bounded number of claim postings (payments and
reserve changes, alternating) sent by a small pool of threads, each with its own keep-alive HTTP
session and the API token, to a gunicorn on 127.0.0.1, spread round-robin over many claims.

Every posting carries a note naming the load (`marker`), so the bench can count what was stored
and compare it with what the server answered 201 to. Latency is measured per request on the
client (send to full response read). Nothing here touches the database.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date

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
    if not claim_numbers:
        raise ValueError("no claims to post to")
    local = threading.local()
    lock = threading.Lock()
    latencies: list[float] = []
    counts = {"created": 0, "pending": 0, "errors": 0}
    samples: list[str] = []

    def session() -> requests.Session:
        s = getattr(local, "s", None)
        if s is None:
            s = local.s = requests.Session()
            s.headers.update({"Authorization": f"Token {token}", "Accept": "application/json"})
        return s

    def one(i: int) -> None:
        claim = claim_numbers[i % len(claim_numbers)]
        url = f"{base_url}/api/v1/claims/{claim}/transactions/"
        t0 = time.perf_counter()
        try:
            r = session().post(url, json=posting(i, accounting_date, marker), timeout=timeout)
            _ = r.content
            code, text = r.status_code, r.text[:200]
        except requests.RequestException as exc:
            code, text = None, f"{type(exc).__name__}: {exc}"[:200]
        ms = (time.perf_counter() - t0) * 1000
        with lock:
            latencies.append(ms)
            if code == 201:
                counts["created"] += 1
            elif code == 202:
                counts["pending"] += 1
            else:
                counts["errors"] += 1
                if len(samples) < 5:
                    samples.append(f"{claim}: {code} {text}")

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="bench-load") as pool:
        list(pool.map(one, range(requests_total)))
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
