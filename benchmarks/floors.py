"""The database's own floor for each step, measured in the same session as the step (issue 15 §6):
the least any implementation could spend reading the same rows.

* a bare `SUM … GROUP BY segment, currency` over the rows the step reads, joined to the live
  policy (and claim) table and filtered by the run's scope (accounting date ≤ V, recorded ≤ T,
  reported ≤ V) — the floor of UPR, earned premium and RBNS;
* the bare grain count (`COUNT(*)` per segment × currency × origin quarter × accounting quarter)
  — the floor of the triangles;
* `COPY (SELECT the columns the step reads) TO STDOUT` to a client that discards every block —
  what a Python-side computation must at least pay to see the rows (shown beside, not the ratio's
  denominator).

No as-at-cut-off view, no window arithmetic: a step's ratio to its floor is the price of those.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection

from benchmarks.stats import median
from claims.models import Claim, ClaimTransaction
from policies.models import Policy, PremiumTransaction


@dataclass(frozen=True)
class Floor:
    step: str          # the step it is the floor of
    kind: str          # "sum", "grain count" or "copy"
    seconds: float     # median of the repeats
    rows: int          # rows it reads


def _lit_date(d: date) -> str:
    return f"DATE '{d.isoformat()}'"


def _lit_ts(t: datetime) -> str:
    if t.tzinfo is None:
        raise ValueError("the cut-off must be timezone-aware")
    return f"TIMESTAMPTZ '{t.isoformat()}'"


def premium_from(valuation_date: date, cut_off: datetime) -> str:
    return (f" FROM {PremiumTransaction._meta.db_table} t JOIN {Policy._meta.db_table} p ON p.id = t.policy_id"
            f" WHERE t.accounting_date <= {_lit_date(valuation_date)} AND t.recorded_at <= {_lit_ts(cut_off)}")


def claim_from(valuation_date: date, cut_off: datetime) -> str:
    v = _lit_date(valuation_date)
    return (f" FROM {ClaimTransaction._meta.db_table} t JOIN {Claim._meta.db_table} c ON c.id = t.claim_id"
            f" JOIN {Policy._meta.db_table} p ON p.id = c.policy_id"
            f" WHERE t.accounting_date <= {v} AND t.recorded_at <= {_lit_ts(cut_off)} AND c.report_date <= {v}")


def _qi(col: str) -> str:
    return f"(CAST(EXTRACT(YEAR FROM {col}) AS INTEGER) * 4 + (CAST(EXTRACT(MONTH FROM {col}) AS INTEGER) - 1) / 3)"


def floor_sql(valuation_date: date, cut_off: datetime) -> dict[str, tuple[str, str, str]]:
    """step → (kind, aggregate SQL, COPY's SELECT) for the steps that have a floor."""
    pf, cf = premium_from(valuation_date, cut_off), claim_from(valuation_date, cut_off)
    premium_sum = f"SELECT p.segment, p.currency, SUM(t.gross_premium - t.commission){pf} GROUP BY p.segment, p.currency"
    premium_cols = ("SELECT t.policy_id, t.kind, t.effect_kind, t.accounting_date, t.effective_date, t.gross_premium,"
                    f" t.commission, t.reverses_id, p.segment, p.currency, p.inception_date, p.expiry_date{pf}")
    claim_cols = ("SELECT t.claim_id, t.effect_kind, t.cost_type, t.amount, t.accounting_date, c.occurrence_date,"
                  f" c.report_date, p.segment, p.currency{cf}")
    return {
        "upr": ("sum", premium_sum, premium_cols),
        "earned_premium": ("sum", premium_sum, premium_cols),
        "rbns": ("sum", f"SELECT p.segment, p.currency, SUM(t.amount){cf} AND t.amount IS NOT NULL"
                        " GROUP BY p.segment, p.currency", claim_cols),
        "triangles": ("grain count", f"SELECT p.segment, p.currency, {_qi('c.occurrence_date')}, "
                                     f"{_qi('t.accounting_date')}, COUNT(*){cf} GROUP BY 1, 2, 3, 4", claim_cols),
    }


def _timed(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return median(times)


def _aggregate(sql: str) -> Callable[[], object]:
    def run():
        with connection.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    return run


def _copy_discard(select: str) -> Callable[[], int]:
    def run() -> int:
        connection.ensure_connection()
        raw = connection.connection  # psycopg 3: COPY streams blocks; each one is dropped on arrival
        n = 0
        with raw.cursor() as cur, cur.copy(f"COPY ({select}) TO STDOUT") as copy:
            for block in copy:
                n += len(block)
        return n
    return run


def count_rows(sql_from: str) -> int:
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*){sql_from}")
        return int(cur.fetchone()[0])


def measure_floors(valuation_date: date, cut_off: datetime, repeat: int = 3,
                   progress: Callable[[str], None] = lambda _m: None) -> dict[str, dict[str, Floor]]:
    """step → {"floor": the aggregate floor, "copy": the COPY floor}, each the median of `repeat`."""
    premium_rows = count_rows(premium_from(valuation_date, cut_off))
    claim_rows = count_rows(claim_from(valuation_date, cut_off))
    rows = {"upr": premium_rows, "earned_premium": premium_rows, "rbns": claim_rows, "triangles": claim_rows}
    out: dict[str, dict[str, Floor]] = {}
    copies: dict[str, float] = {}
    for step, (kind, agg, cols) in floor_sql(valuation_date, cut_off).items():
        progress(f"floor {step} ({kind}, COPY)")
        f = Floor(step, kind, _timed(_aggregate(agg), repeat), rows[step])
        if cols not in copies:
            copies[cols] = _timed(_copy_discard(cols), repeat)
        out[step] = {"floor": f, "copy": Floor(step, "copy", copies[cols], rows[step])}
    return out
