"""The profile summary of a missed target (benchmarks.profiles) and the postings the load
generator sends (benchmarks.api_load)."""
from __future__ import annotations

import json
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from benchmarks.api_load import LoadResult, posting, run_load
from benchmarks.profiles import format_top, parse_collapsed

RAW = """\
<module> (manage.py:22);run_step_once (benchmarks/runner.py:540);upr (benchmarks/runner.py:170);fetch (reserving/sql.py:58);execute (psycopg/cursor.py:97) 70
<module> (manage.py:22);run_step_once (benchmarks/runner.py:540);upr (benchmarks/runner.py:170);money_round (core/money.py:10) 10
<module> (manage.py:22);setup (django/__init__.py:24) 20
"""


def test_collapsed_stacks_count_total_and_own_samples():
    samples, hot = parse_collapsed(RAW)
    assert samples == 100
    by = {h.frame: h for h in hot}
    assert by["<module> (manage.py)"].total == 100
    assert by["fetch (reserving/sql.py)"].total == 70
    assert by["execute (psycopg/cursor.py)"].own == 70
    assert by["money_round (core/money.py)"].own == 10


def test_a_functions_lines_add_up():
    samples, hot = parse_collapsed("f (a.py:1);g (a.py:5) 3\nf (a.py:1);g (a.py:9) 2\n")
    assert samples == 5
    assert [(h.frame, h.total, h.own) for h in hot] == [("g (a.py)", 5, 5), ("f (a.py)", 5, 0)]


def test_within_a_frame_only_the_step_counts():
    samples, hot = parse_collapsed(RAW, within="run_step_once")
    assert samples == 80
    assert [h.frame for h in hot][:2] == ["upr (benchmarks/runner.py)", "execute (psycopg/cursor.py)"]
    assert hot[0].share(samples) == 1.0


def test_format_top_shows_percentages_and_leaves_out_the_plumbing():
    samples, hot = parse_collapsed(RAW)
    text = format_top(samples, hot, limit=2).splitlines()
    assert text[0] == " total    own  frame (100 samples)"
    assert text[1] == " 80.0%   0.0%  run_step_once (benchmarks/runner.py)"
    assert text[2] == " 80.0%   0.0%  upr (benchmarks/runner.py)"
    assert text[3] == "— where the samples were (own time):"
    assert text[4:] == [" 70.0%  70.0%  execute (psycopg/cursor.py)", " 20.0%  20.0%  setup (django/__init__.py)",
                        " 10.0%  10.0%  money_round (core/money.py)"]


def test_postings_alternate_reserve_increases_and_small_payments():
    d = date(2026, 12, 2)
    assert posting(0, d, "m") == {"kind": "reserve", "cost_type": "indemnity", "amount": "10.00",
                                  "accounting_date": "2026-12-02", "note": "m"}
    assert posting(1, d, "m")["kind"] == "payment" and posting(1, d, "m")["amount"] == "1.00"


def test_load_result_rate_counts_answered_postings_and_p99():
    r = LoadResult(sent=2000, created=1990, pending=0, errors=10, seconds=4.0,
                   latencies_ms=[float(i) for i in range(1, 2001)])
    assert r.postings_per_s == 497.5
    assert r.p99_ms == 1980.0
    assert r.p50_ms == 1000.0


class _Ledger(BaseHTTPRequestHandler):
    """A stand-in server: 201 to a posting, 202 to one of 5.00 or more, 400 to claim C-BAD; it
    records each body, the connection it came on and the token."""

    protocol_version = "HTTP/1.1"  # keep-alive, as gunicorn's gthread workers answer

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server = self.server
        with server.lock:
            server.posted.append((self.path, body, self.headers["Authorization"]))
            server.connections.add(self.client_address)
        code = 400 if "/C-BAD/" in self.path else 202 if float(body["amount"]) >= 5 else 201
        answer = b'{"ok": true}'
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def ledger_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ledger)
    server.lock, server.posted, server.connections = threading.Lock(), [], set()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_the_load_sends_every_posting_once_on_one_kept_alive_connection_per_thread(ledger_server):
    base = f"http://127.0.0.1:{ledger_server.server_address[1]}"
    r = run_load(base_url=base, token="abc", claim_numbers=["C-1", "C-2", "C-BAD"], requests_total=30,
                 concurrency=3, accounting_date=date(2026, 12, 2), marker="m")
    # 30 postings round-robin over 3 claims: the 10 to C-BAD refused; of the other 20 the reserve
    # changes (even i: 10.00) are 202 here, the payments (odd i: 1.00) 201
    assert (r.sent, r.created, r.pending, r.errors) == (30, 10, 10, 10)
    assert len(r.latencies_ms) == 30
    assert len(r.error_samples) == 5 and r.error_samples[0].startswith("/api/v1/claims/C-BAD/transactions/: 400")
    paths = sorted(p for p, _, _ in ledger_server.posted)
    assert paths == sorted(f"/api/v1/claims/{['C-1', 'C-2', 'C-BAD'][i % 3]}/transactions/" for i in range(30))
    assert {t for _, _, t in ledger_server.posted} == {"Token abc"}
    assert {b["note"] for _, b, _ in ledger_server.posted} == {"m"}
    assert len(ledger_server.connections) <= 3  # one per client thread, kept alive


def test_a_server_that_is_not_there_is_an_error_per_posting_not_a_crash():
    from benchmarks.procs import free_port

    r = run_load(base_url=f"http://127.0.0.1:{free_port()}", token="abc", claim_numbers=["C-1"],
                 requests_total=4, concurrency=2, accounting_date=date(2026, 12, 2), marker="m", timeout=2)
    assert (r.created, r.pending, r.errors) == (0, 0, 4)
    assert "ConnectionRefusedError" in r.error_samples[0]
