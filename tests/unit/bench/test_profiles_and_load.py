"""The profile summary of a missed target (benchmarks.profiles) and the postings the load
generator sends (benchmarks.api_load)."""
from __future__ import annotations

from datetime import date

from benchmarks.api_load import LoadResult, posting
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
