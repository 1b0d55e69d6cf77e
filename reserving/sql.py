"""The SQL pieces that reserving's reads share (selectors and data checks): the dialect
differences between SQLite and PostgreSQL, master data as it was at a cut-off (from the
django-simple-history tables), and the claim ledger in a run's scope. Public so that no module
imports another's private helpers."""
from __future__ import annotations

import sys
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime

import numpy as np
from django.db import DatabaseError, connection, transaction

from claims.models import Claim, ClaimTransaction
from policies.models import Policy

# --------------------------------------------------------------------------- SQL dialect
class Dialect:
    """The few expressions that differ between SQLite and PostgreSQL."""

    def __init__(self) -> None:
        self.pg = connection.vendor == "postgresql"

    def date_param(self) -> str:
        return "CAST(%s AS DATE)" if self.pg else "%s"

    def date_literal(self, value: date) -> str:
        """A date written into the statement (from a `date` object only, so nothing to escape)."""
        if not isinstance(value, date):
            raise TypeError(f"a date literal needs a date, not {type(value).__name__}")
        return f"DATE '{value.isoformat()}'" if self.pg else f"'{value.isoformat()}'"

    def days(self, a: str, b: str) -> str:
        """Whole days from b to a (a − b)."""
        if self.pg:
            return f"({a} - {b})"
        return f"CAST(ROUND(julianday({a}) - julianday({b})) AS INTEGER)"

    def quarter_index(self, d: str) -> str:
        """year·4 + (quarter − 1): consecutive integers for consecutive quarters."""
        if self.pg:
            # date_part (double precision), not EXTRACT (NUMERIC since PostgreSQL 14, several
            # times slower in a GROUP BY over the whole ledger)
            return f"(CAST(date_part('year', {d}) AS INTEGER) * 4 + (CAST(date_part('month', {d}) AS INTEGER) - 1) / 3)"
        return f"(CAST(strftime('%%Y', {d}) AS INTEGER) * 4 + (CAST(strftime('%%m', {d}) AS INTEGER) - 1) / 3)"

    def days_into_quarter(self, d: str) -> str:
        """Whole days from the first day of d's quarter to d (0 on the first day)."""
        if self.pg:
            return f"({d} - CAST(date_trunc('quarter', {d}) AS DATE))"
        start = f"date({d}, 'start of month', '-' || ((CAST(strftime('%%m', {d}) AS INTEGER) - 1) %% 3) || ' months')"
        return f"CAST(ROUND(julianday({d}) - julianday({start})) AS INTEGER)"

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


# the fixed-width column types `fetch_columns` reads: PostgreSQL's send function of each (its
# binary, big-endian, encoding) and the numpy type of that encoding
_BINARY_TYPES = {"int4": ("int4send", ">i4"), "int8": ("int8send", ">i8"), "float8": ("float8send", ">f8")}


def fetch_columns(sql: str, params: list, types: list[str]) -> list[np.ndarray] | None:
    """The columns of `sql` as numpy arrays (PostgreSQL only), in one row of one bytea per
    column — every value's binary encoding, concatenated by string_agg — instead of a Python
    tuple per row: fetchall and a frame built from the tuples were a third of a 1M-policy quarter
    end (issue 15), and a binary COPY hands Python one message per row as well. One aggregate
    feeds every column the same rows in the same order, so the i-th values belong together; in
    no particular order otherwise (the caller sorts). `types` names each column's type (int4,
    int8, float8): the statement must give each that type. None when a column holds a NULL
    (string_agg skips it: the lengths differ): the caller reads with `fetch` then. The
    connection's own cursor, so the run's temporary as-at tables are visible."""
    names = [f"c{i}" for i in range(len(types))]
    aggs = ", ".join(f"string_agg({_BINARY_TYPES[t][0]}({n}), ''::bytea)" for n, t in zip(names, types))
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*), {aggs} FROM ({sql}) q({', '.join(names)})", params)
        count, *blobs = cur.fetchone()
    cols = []
    for t, blob in zip(types, blobs):
        dtype = np.dtype(_BINARY_TYPES[t][1])
        values = np.frombuffer(blob or b"", dtype=dtype)
        if len(values) != count:
            return None
        cols.append(values.astype(dtype.newbyteorder("=")))
    return cols


def as_of_cte(model, columns: list[str], cut_off: datetime) -> tuple[str, list]:
    """SELECT of `model`'s columns as they were at cut_off: the latest history row per id with
    history_date ≤ cut_off unless it is a deletion; ids never historised come from the live table.
    One pass over the history (each id's newest row: DISTINCT ON in PostgreSQL, ROW_NUMBER in
    SQLite) instead of a MAX() GROUP BY joined back to it, which took five times as long
    (issue 15 §2)."""
    live = model._meta.db_table
    hist = model.history.model._meta.db_table
    names = ["id", *columns]
    cols = ", ".join(f"x.{c}" for c in names)
    hist_cols = ", ".join(f"h.{c}" for c in names)
    live_cols = ", ".join(f"p.{c}" for c in names)
    if connection.vendor == "postgresql":  # DISTINCT ON: one sorted pass, half the window's time
        latest = (f"SELECT DISTINCT ON (h.id) {hist_cols}, h.history_type FROM {hist} h"
                  " WHERE h.history_date <= %s ORDER BY h.id, h.history_id DESC")
        keep = "x.history_type <> '-'"
    else:
        latest = (f"SELECT {hist_cols}, h.history_type,"
                  " ROW_NUMBER() OVER (PARTITION BY h.id ORDER BY h.history_id DESC) AS rn"
                  f" FROM {hist} h WHERE h.history_date <= %s")
        keep = "x.rn = 1 AND x.history_type <> '-'"
    sql = (
        f"SELECT {cols} FROM ({latest}) x WHERE {keep} "
        f"UNION ALL SELECT {live_cols} FROM {live} p WHERE p.created_at <= %s "
        f"AND NOT EXISTS (SELECT 1 FROM {hist} h3 WHERE h3.id = p.id)"
    )
    return sql, [timestamp_param(cut_off), timestamp_param(cut_off)]


# The as-at columns a run reads of each master table: its materialised views hold all of them.
POLICY_AS_OF = ["segment", "currency", "basis", "inception_date", "expiry_date", "policy_number"]
CLAIM_AS_OF = ["policy_id", "occurrence_date", "report_date", "status"]


@dataclass(frozen=True)
class AsOfViews:
    """Names of the temporary tables that hold master data as at a run's cut-off (built once per
    run by `as_of_views`), only the run's segment × currency when its scope names one."""

    policy: str
    claim: str
    # the policies of `policy` with a claim in `claim`: what a claim read joins its claims to (a
    # few thousand rows, not the whole book hashed again by every claim read: issue 15)
    claimed: str | None = None


@dataclass(frozen=True)
class Scope:
    """What a run sees: valuation date V, cut-off T, optionally one segment × currency; `views`
    when the as-at master data is materialised for it (`as_of_views`)."""

    valuation_date: date
    cut_off: datetime
    segment: str | None = None
    currency: str | None = None
    views: AsOfViews | None = None

    def segment_filter(self, alias: str = "hp") -> tuple[str, list]:
        sql, params = "", []
        if self.segment is not None:
            sql += f" AND {alias}.segment = %s"
            params.append(self.segment)
        if self.currency is not None:
            sql += f" AND {alias}.currency = %s"
            params.append(self.currency)
        return sql, params


def policy_as_of(scope: Scope, columns: list[str], claimed: bool = False) -> tuple[str, list]:
    """SELECT id, `columns` of the policies in scope as at T: from the run's materialised view
    when it has one, else built here; the segment filter is applied inside, so a one-segment
    read joins only its own policies. `claimed`: the caller joins them to the claims as at T
    only (inner, on the claim's policy), so the view's policies with a claim do as well."""
    if scope.views is not None:
        cols = ", ".join(["id", *columns])
        table = scope.views.claimed if claimed and scope.views.claimed else scope.views.policy
        return f"SELECT {cols} FROM {table}", []
    extra = [c for c in ("segment", "currency") if c not in columns]
    sql, params = as_of_cte(Policy, [*columns, *extra], scope.cut_off)
    seg_sql, seg_params = scope.segment_filter("x0")
    if not seg_sql:
        return sql, params
    cols = ", ".join(f"x0.{c}" for c in ["id", *columns])
    return f"SELECT {cols} FROM ({sql}) x0 WHERE 1 = 1{seg_sql}", [*params, *seg_params]


def claim_as_of(scope: Scope, columns: list[str]) -> tuple[str, list]:
    """SELECT id, `columns` of the claims as at T (all of them, or of the run's segment when
    the view is materialised for one)."""
    if scope.views is not None:
        cols = ", ".join(["id", *columns])
        return f"SELECT {cols} FROM {scope.views.claim}", []
    return as_of_cte(Claim, columns, scope.cut_off)


def _views_key(scope: Scope) -> tuple:
    """What the as-at tables depend on: the cut-off and the slice (not V, which only the reads use)."""
    return (scope.cut_off, scope.segment, scope.currency)


def _open_views() -> dict:
    """The views open on this thread's connection, by `_views_key` (kept on the connection
    wrapper, which is per thread: a temporary table is visible to its own session only)."""
    open_ = getattr(connection, "asof_open_views", None)
    if open_ is None:
        open_ = {}
        connection.asof_open_views = open_
    return open_


@contextmanager
def as_of_views(scope: Scope):
    """Materialise the policies and claims as at the scope's cut-off (its segment × currency
    only, when it names one) in two temporary tables, once, and yield the scope reading from
    them: every selector of a run then joins two small tables instead of rebuilding the as-at
    view from the history tables (issue 15 §1–2). The tables are this connection's and are
    dropped on the way out.

    Nested calls for the same cut-off and slice on the same connection reuse the open tables
    instead of building them again: `run_compute` opens them once around the input collection
    and the data checks, whose own `as_of_views` then find them (issue 15, one build per run)."""
    if scope.views is not None:
        yield scope
        return
    open_ = _open_views()
    key = _views_key(scope)
    if key in open_:
        yield replace(scope, views=open_[key])
        return
    tag = uuid.uuid4().hex[:12]
    views = AsOfViews(policy=f"asof_policy_{tag}", claim=f"asof_claim_{tag}", claimed=f"asof_claimed_{tag}")
    pg = connection.vendor == "postgresql"
    hp_sql, hp_params = policy_as_of(replace(scope, views=None), POLICY_AS_OF)
    hc_sql, hc_params = as_of_cte(Claim, CLAIM_AS_OF, scope.cut_off)
    claim_cols = ", ".join(f"hc.{c}" for c in ["id", *CLAIM_AS_OF])
    created: list[str] = []
    try:
        with connection.cursor() as cur:
            if pg:
                # no JIT for the run's reads: compiling their expressions took seconds on a loaded
                # machine (the row estimates of a whole book pass jit_above_cost) for a
                # sub-second scan; and sorts and hashes in memory (the as-at sort of a million
                # history rows spilled to disk at the default 4 MB); both reset on the way out
                for name, value in SESSION_SETTINGS:
                    cur.execute(f"SET {name} = {value}")
                    created.append(f"RESET {name}")
                _temp_buffers(cur)
            # declared column types, not CREATE TABLE AS: SQLite reads a date back as a date only
            # from a column declared so
            cur.execute(_create_sql(views.policy, Policy, POLICY_AS_OF))
            created.append(views.policy)
            if pg:
                # the build serial, its sort in memory: at 1M policies on 2 busy cores the
                # parallel plan's Gather Merge of the as-at sort took 7.4 s against 3.9 s
                # serial, and the sort spilled 88 MB to disk at 64 MB
                cur.execute("SET max_parallel_workers_per_gather = 0")
                created.append("RESET max_parallel_workers_per_gather")  # also on the way out of an error
                cur.execute(f"SET work_mem = {BUILD_WORK_MEM}")
            cur.execute(f"INSERT INTO {views.policy} {hp_sql}", hp_params)
            cur.execute(_create_sql(views.claim, Claim, CLAIM_AS_OF))
            created.append(views.claim)
            # a claim belongs to the slice its policy (as at T) is in; for the whole book every
            # read joins the claim to its policy anyway, so no filter is needed
            slice_sql = (f" WHERE hc.policy_id IN (SELECT id FROM {views.policy})"
                         if scope.segment is not None or scope.currency is not None else "")
            cur.execute(f"INSERT INTO {views.claim} SELECT {claim_cols} FROM ({hc_sql}) hc{slice_sql}", hc_params)
            cur.execute(_create_sql(views.claimed, Policy, POLICY_AS_OF))
            created.append(views.claimed)
            policy_cols = ", ".join(["id", *POLICY_AS_OF])
            cur.execute(f"INSERT INTO {views.claimed} SELECT {policy_cols} FROM {views.policy}"
                        f" WHERE id IN (SELECT policy_id FROM {views.claim})")
            if pg:
                cur.execute("RESET max_parallel_workers_per_gather")
                cur.execute(f"SET work_mem = {dict(SESSION_SETTINGS)['work_mem']}")
            if pg:
                # temporary tables get no statistics from autovacuum and the joins need them (row
                # counts, the few segments); a 3,000-row sample tells them as well as the default
                # 30,000 at a sixth of the time
                cur.execute("SET default_statistics_target = 10")
                cur.execute(f"ANALYZE {views.policy}")
                cur.execute(f"ANALYZE {views.claim}")
                cur.execute(f"ANALYZE {views.claimed}")
                cur.execute("RESET default_statistics_target")
        open_[key] = views
        yield replace(scope, views=views)
    finally:
        open_.pop(key, None)
        _drop(created)


# PostgreSQL settings of the session while a run's views are open (see as_of_views)
SESSION_SETTINGS = (("jit", "off"), ("work_mem", "'64MB'"))
TEMP_BUFFERS = "'256MB'"
BUILD_WORK_MEM = "'256MB'"


def _temp_buffers(cur) -> None:
    """Room for the views in the session's local buffers: at the default 8 MB a whole book's
    policy view (10 MB at 100,000 policies) was written out and read back by every read. The
    setting can only change before the session's first temporary table, so a session that had
    one keeps what it has (the savepoint keeps the refusal out of any open transaction); it is
    not reset, for the same reason."""
    try:
        with transaction.atomic():
            cur.execute(f"SET temp_buffers = {TEMP_BUFFERS}")
    except DatabaseError:
        pass


def _create_sql(table: str, model, columns: list[str]) -> str:
    """Declared column types and no key: every read joins the whole table by hash, and an index
    built row by row cost more than it saved (issue 15)."""
    fields = [model._meta.get_field(c) for c in columns]
    cols = ", ".join(f"{c} {f.db_type(connection)}" for c, f in zip(columns, fields))
    return f"CREATE TEMPORARY TABLE {table} (id {model._meta.pk.db_type(connection)} NOT NULL, {cols})"


def _drop(tables: list[str]) -> None:
    """Drop the views and reset the session's settings (the "RESET …" entries); when the
    connection is already broken (the error being raised), leave them to the end of the session
    rather than hide that error."""
    if not tables:
        return
    in_flight = sys.exc_info()[0] is not None
    try:
        with connection.cursor() as cur:
            for t in reversed(tables):
                cur.execute(t if t.startswith("RESET ") else f"DROP TABLE IF EXISTS {t}")
    except DatabaseError:
        if not in_flight:
            raise


def claim_ledger_from(scope: Scope, d: Dialect, origin_basis: str = "accident") -> tuple[str, list]:
    """FROM … WHERE for claim ledger rows in scope, joined to policy and claim as at T."""
    hp_sql, hp_params = policy_as_of(scope, ["segment", "currency", "basis"], claimed=True)
    hc_sql, hc_params = claim_as_of(scope, ["policy_id", "occurrence_date", "report_date", "status"])
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
