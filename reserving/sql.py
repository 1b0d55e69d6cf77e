"""The SQL pieces that reserving's reads share (selectors and data checks): the dialect
differences between SQLite and PostgreSQL, master data as it was at a cut-off (from the
django-simple-history tables), and the claim ledger in a run's scope. Public so that no module
imports another's private helpers."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection

from claims.models import Claim, ClaimTransaction
from policies.models import Policy

# --------------------------------------------------------------------------- SQL dialect
class Dialect:
    """The few expressions that differ between SQLite and PostgreSQL."""

    def __init__(self) -> None:
        self.pg = connection.vendor == "postgresql"

    def date_param(self) -> str:
        return "CAST(%s AS DATE)" if self.pg else "%s"

    def days(self, a: str, b: str) -> str:
        """Whole days from b to a (a − b)."""
        if self.pg:
            return f"({a} - {b})"
        return f"CAST(ROUND(julianday({a}) - julianday({b})) AS INTEGER)"

    def quarter_index(self, d: str) -> str:
        """year·4 + (quarter − 1): consecutive integers for consecutive quarters."""
        if self.pg:
            return f"(CAST(EXTRACT(YEAR FROM {d}) AS INTEGER) * 4 + (CAST(EXTRACT(MONTH FROM {d}) AS INTEGER) - 1) / 3)"
        return f"(CAST(strftime('%%Y', {d}) AS INTEGER) * 4 + (CAST(strftime('%%m', {d}) AS INTEGER) - 1) / 3)"

    def cents(self, expr: str) -> str:
        if self.pg:
            return f"({expr}) * 100"
        return f"CAST(ROUND(({expr}) * 100) AS INTEGER)"

    def real(self, expr: str) -> str:
        return f"CAST({expr} AS NUMERIC)" if self.pg else f"CAST({expr} AS REAL)"

    def least(self, a: str, b: str) -> str:
        return f"LEAST({a}, {b})" if self.pg else f"MIN({a}, {b})"

    def greatest(self, a: str, b: str) -> str:
        return f"GREATEST({a}, {b})" if self.pg else f"MAX({a}, {b})"


def timestamp_param(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def as_of_cte(model, columns: list[str], cut_off: datetime) -> tuple[str, list]:
    """SELECT of `model`'s columns as they were at cut_off: the latest history row per id with
    history_date ≤ cut_off unless it is a deletion; ids never historised come from the live table."""
    live = model._meta.db_table
    hist = model.history.model._meta.db_table
    cols = ", ".join(f"h.{c}" for c in ["id", *columns])
    live_cols = ", ".join(f"p.{c}" for c in ["id", *columns])
    sql = (
        f"SELECT {cols} FROM {hist} h WHERE h.history_id IN ("
        f"SELECT MAX(h2.history_id) FROM {hist} h2 WHERE h2.history_date <= %s GROUP BY h2.id"
        f") AND h.history_type <> '-' "
        f"UNION ALL SELECT {live_cols} FROM {live} p WHERE p.created_at <= %s "
        f"AND NOT EXISTS (SELECT 1 FROM {hist} h3 WHERE h3.id = p.id)"
    )
    return sql, [timestamp_param(cut_off), timestamp_param(cut_off)]


@dataclass(frozen=True)
class Scope:
    """What a run sees: valuation date V, cut-off T, optionally one segment × currency."""

    valuation_date: date
    cut_off: datetime
    segment: str | None = None
    currency: str | None = None

    def segment_filter(self, alias: str = "hp") -> tuple[str, list]:
        sql, params = "", []
        if self.segment is not None:
            sql += f" AND {alias}.segment = %s"
            params.append(self.segment)
        if self.currency is not None:
            sql += f" AND {alias}.currency = %s"
            params.append(self.currency)
        return sql, params


def claim_ledger_from(scope: Scope, d: Dialect, origin_basis: str = "accident") -> tuple[str, list]:
    """FROM … WHERE for claim ledger rows in scope, joined to policy and claim as at T."""
    hp_sql, hp_params = as_of_cte(Policy, ["segment", "currency", "basis"], scope.cut_off)
    hc_sql, hc_params = as_of_cte(Claim, ["policy_id", "occurrence_date", "report_date", "status"], scope.cut_off)
    seg_sql, seg_params = scope.segment_filter()
    sql = (
        f" FROM {ClaimTransaction._meta.db_table} t"
        f" JOIN ({hc_sql}) hc ON hc.id = t.claim_id"
        f" JOIN ({hp_sql}) hp ON hp.id = hc.policy_id"
        f" WHERE t.accounting_date <= {d.date_param()} AND t.recorded_at <= %s"
        f" AND hc.report_date <= {d.date_param()}{seg_sql}"
    )
    v = scope.valuation_date.isoformat()
    return sql, [*hc_params, *hp_params, v, timestamp_param(scope.cut_off), v, *seg_params]


PAID_EFFECT = "CASE WHEN t.effect_kind = 'payment' THEN t.amount WHEN t.effect_kind = 'recovery' THEN -t.amount ELSE 0 END"
CASE_EFFECT = "CASE WHEN t.effect_kind = 'reserve' THEN t.amount WHEN t.effect_kind = 'payment' THEN -t.amount ELSE 0 END"
