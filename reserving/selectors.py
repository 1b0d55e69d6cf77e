"""Reads for reserve runs. The heavy sums (triangle cells, UPR, RBNS, earned premium) are
aggregated IN THE DATABASE (design.md §8) with SQL that runs unchanged on SQLite and PostgreSQL;
Python only cumulates the small grouped result.

Bitemporal scope (design.md §3): ledger rows with accounting_date ≤ V and recorded_at ≤ T, and
master data (policy segment, currency, dates; claim occurrence and report dates) as it was at
T, read set-based from the django-simple-history tables (the latest history row per id with
history_date ≤ T). Objects that have no history row at all (e.g. bulk-loaded without history)
are read from the live table if created on or before T.

Money is summed in integer cents on SQLite (whose SUM is floating point) and as NUMERIC on
PostgreSQL, so both give the same result to the cent.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db.models import QuerySet

from core.money import money_round
from core.periods import Quarter
from policies.models import PremiumTransaction
from reserving.models import AprioriLossRatio, ReserveRun, RunDataCheck, RunEvent, RunSegmentResult
from reserving.engine.upr import earned_by_period
# Scope, AsOfViews and as_of_views are part of this module's interface (compute and the bench use them)
from reserving.sql import (CASE_EFFECT, PAID_EFFECT, AsOfViews, Dialect, Scope, as_of_views, claim_as_of,  # noqa: F401
                           claim_ledger_from, fetch, fetch_columns, policy_as_of, timestamp_param)

HUNDRED = Decimal(100)


def _origin_column(origin_basis: str) -> str:
    """The date a claim's origin period is counted from: its occurrence ("accident"), its report
    ("report"), or by its policy's cover ("cover": the report for claims-made cover, whose
    liability is the claims made by V — D-26 — and the occurrence otherwise)."""
    if origin_basis == "report":
        return "hc.report_date"
    if origin_basis == "cover":
        return "CASE WHEN hp.basis = 'claims_made' THEN hc.report_date ELSE hc.occurrence_date END"
    return "hc.occurrence_date"


# --------------------------------------------------------------------------- claims
def _ledger_cells(scope: Scope, origin_basis: str, sums: dict[str, str], where: str) -> pd.DataFrame:
    """Sums of claim ledger rows per segment × currency × origin quarter × accounting quarter, one
    GROUP BY in the database; `sums` name → SQL expression, `where` an extra condition."""
    d = Dialect()
    frm, params = claim_ledger_from(scope, d)
    oq = d.quarter_index(_origin_column(origin_basis))
    aq = d.quarter_index("t.accounting_date")
    columns = ", ".join(f"SUM({expr}) AS {name}" for name, expr in sums.items())
    sql = (f"SELECT hp.segment, hp.currency, {oq} AS oq, {aq} AS aq, {columns}"
           f"{frm} AND {where} GROUP BY hp.segment, hp.currency, {oq}, {aq}")
    df = pd.DataFrame(fetch(sql, params), columns=["segment", "currency", "oq", "aq", *sums])
    for c in ("oq", "aq", *sums):
        df[c] = df[c].map(lambda x: int(x)).astype("int64") if len(df) else df[c].astype("int64")
    return df.sort_values(["segment", "currency", "oq", "aq"]).reset_index(drop=True)


def claim_ledger_cells(*, scope: Scope, origin_basis: str = "accident") -> pd.DataFrame:
    """Incremental paid and case-reserve change per segment × currency × origin quarter ×
    accounting quarter, in cents (ints)."""
    d = Dialect()
    return _ledger_cells(scope, origin_basis, {"paid": d.cents(PAID_EFFECT), "case_change": d.cents(CASE_EFFECT)},
                         "t.amount IS NOT NULL")


def claim_count_cells(*, scope: Scope, origin_basis: str = "accident") -> pd.DataFrame:
    """Reported claims per segment × currency × origin quarter × report quarter (claims as at T)."""
    d = Dialect()
    hp_sql, hp_params = policy_as_of(scope, ["segment", "currency", "basis"], claimed=True)
    hc_sql, hc_params = claim_as_of(scope, ["policy_id", "occurrence_date", "report_date", "status"])
    seg_sql, seg_params = scope.segment_filter()
    oq = d.quarter_index(_origin_column(origin_basis))
    rq = d.quarter_index("hc.report_date")
    sql = (
        f"SELECT hp.segment, hp.currency, {oq} AS oq, {rq} AS rq, COUNT(*) FROM ({hc_sql}) hc"
        f" JOIN ({hp_sql}) hp ON hp.id = hc.policy_id WHERE hc.report_date <= {d.date_param()}{seg_sql}"
        f" GROUP BY hp.segment, hp.currency, {oq}, {rq}"
    )
    rows = fetch(sql, [*hc_params, *hp_params, scope.valuation_date.isoformat(), *seg_params])
    df = pd.DataFrame(rows, columns=["segment", "currency", "oq", "rq", "count"])
    return df.astype({"oq": "int64", "rq": "int64", "count": "int64"}).sort_values(
        ["segment", "currency", "oq", "rq"]).reset_index(drop=True)


def claim_closure_cells(*, scope: Scope, origin_basis: str = "accident") -> pd.DataFrame:
    """Claims closed (net of reopenings) per segment × currency × origin quarter × accounting
    quarter: the closed and open counts of Berquist–Sherman's case-reserve adjustment."""
    return _ledger_cells(scope, origin_basis, {
        "closed": "CASE WHEN t.effect_kind = 'close' THEN 1 WHEN t.effect_kind = 'reopen' THEN -1 ELSE 0 END"},
        "t.effect_kind IN ('close', 'reopen')")


def rbns_by_segment(*, scope: Scope) -> dict[tuple[str, str], Decimal]:
    """RBNS at V: Σ outstanding (never below zero per claim and cost type) over claims reported
    on or before V, per segment × currency."""
    d = Dialect()
    frm, params = claim_ledger_from(scope, d)
    sql = (
        "SELECT segment, currency, SUM(CASE WHEN o > 0 THEN o ELSE 0 END) FROM ("
        f"SELECT hp.segment AS segment, hp.currency AS currency, t.claim_id, t.cost_type, SUM({d.cents(CASE_EFFECT)}) AS o"
        f"{frm} AND t.amount IS NOT NULL GROUP BY hp.segment, hp.currency, t.claim_id, t.cost_type"
        ") x GROUP BY segment, currency"
    )
    return {(s, c): money_round(Decimal(int(v)) / HUNDRED, c) for s, c, v in fetch(sql, params)}


def claim_ledger_rows(*, scope: Scope) -> pd.DataFrame:
    """The claim ledger rows in scope, one by one (for the parity tests and data-check detail)."""
    d = Dialect()
    frm, params = claim_ledger_from(scope, d)
    sql = (
        "SELECT t.id, hp.segment, hp.currency, t.claim_id, hc.occurrence_date, hc.report_date, t.kind, t.effect_kind, "
        f"t.cost_type, t.amount, t.accounting_date{frm} ORDER BY t.id"
    )
    cols = ["id", "segment", "currency", "claim_id", "occurrence_date", "report_date", "kind", "effect_kind",
            "cost_type", "amount", "accounting_date"]
    df = pd.DataFrame(fetch(sql, params), columns=cols)
    for c in ("occurrence_date", "report_date", "accounting_date"):
        df[c] = pd.to_datetime(df[c]).dt.date
    df["amount"] = df["amount"].map(lambda x: None if x is None else Decimal(str(x)))
    return df


# --------------------------------------------------------------------------- premium
def _premium_scope_sql(scope: Scope, d: Dialect) -> tuple[str, list]:
    """Premium ledger rows in scope with their policy as at T (a derived table `pt`)."""
    hp_sql, hp_params = policy_as_of(scope, ["segment", "currency", "inception_date", "expiry_date"])
    seg_sql, seg_params = scope.segment_filter()
    sql = (
        "SELECT t.id, t.policy_id, t.reverses_id, t.kind, t.effect_kind, t.accounting_date, t.effective_date,"
        " t.gross_premium, t.commission, hp.segment, hp.currency, hp.inception_date, hp.expiry_date"
        f" FROM {PremiumTransaction._meta.db_table} t JOIN ({hp_sql}) hp ON hp.id = t.policy_id"
        f" WHERE t.accounting_date <= {d.date_param()} AND t.recorded_at <= %s{seg_sql}"
    )
    return sql, [*hp_params, scope.valuation_date.isoformat(), timestamp_param(scope.cut_off), *seg_params]


def _window_ctes(scope: Scope, d: Dialect) -> tuple[str, list]:
    """CTEs `pc` (each cancellation's pro-rata return) and `w` (each premium row in scope with
    the part that earns over its window, wg and wc) — engine/upr.py's rule: a cancellation earns
    only its pro-rata return over its window (the premium in force over the days it gives back,
    from the policy's original/endorsement rows accounted on or before it); the short-rate rest
    is earned at once. A reversal of a cancellation negates that part. The premium rows in scope
    are read once (`w`); `pc` reads only the cancellations and their policies' rows (issue 15 §2:
    the derived tables this replaces were evaluated five times)."""
    pt, params = _premium_scope_sql(scope, d)
    hp_sql, hp_params = policy_as_of(scope, ["expiry_date"])
    ptab = PremiumTransaction._meta.db_table
    lo = d.greatest("c.effective_date", "f.effective_date")
    # both windows end at the policy's expiry as at T (pt's expiry_date)
    overlap = f"({d.days('hp.expiry_date', lo)} + 1)"
    fwin = f"({d.days('hp.expiry_date', 'f.effective_date')} + 1)"
    share = f"CASE WHEN {overlap} <= 0 OR {fwin} <= 0 THEN 0 ELSE {d.real(overlap)} / {fwin} END"
    pc = (
        f"SELECT c.id AS cid, SUM({d.real('f.gross_premium')} * {share}) AS g, SUM({d.real('f.commission')} * {share}) AS cm"
        f" FROM {ptab} c JOIN ({hp_sql}) hp ON hp.id = c.policy_id JOIN {ptab} f ON f.policy_id = c.policy_id"
        " AND f.effect_kind IN ('original', 'endorsement') AND f.accounting_date <= c.accounting_date"
        f" AND f.recorded_at <= %s WHERE c.kind = 'cancellation' AND c.accounting_date <= {d.date_param()}"
        " AND c.recorded_at <= %s GROUP BY c.id"
    )
    ts = timestamp_param(scope.cut_off)
    pc_params = [*hp_params, ts, scope.valuation_date.isoformat(), ts]
    w = (
        "SELECT t.policy_id, t.kind, t.segment, t.currency, t.accounting_date, t.effective_date, t.expiry_date,"
        " t.inception_date, t.gross_premium, t.commission,"
        " CASE WHEN t.kind = 'cancellation' THEN -COALESCE(pc.g, 0)"
        "      WHEN t.kind = 'reversal' AND t.effect_kind = 'cancellation' THEN COALESCE(pr2.g, 0)"
        "      ELSE t.gross_premium END AS wg,"
        " CASE WHEN t.kind = 'cancellation' THEN -COALESCE(pc.cm, 0)"
        "      WHEN t.kind = 'reversal' AND t.effect_kind = 'cancellation' THEN COALESCE(pr2.cm, 0)"
        "      ELSE t.commission END AS wc"
        f" FROM ({pt}) t LEFT JOIN pc ON pc.cid = t.id LEFT JOIN pc pr2 ON pr2.cid = t.reverses_id"
    )
    # w is inlined where it is read (NOT MATERIALIZED, PostgreSQL 12+ and SQLite 3.35+): a copy
    # of every premium row would cost more than reading the ledger again
    return f"pc AS ({pc}), w AS NOT MATERIALIZED ({w})", [*pc_params, *params]


def _upr_sql(scope: Scope, base: str, pre_inception_gross: bool) -> tuple[str, list]:
    """UPR at V per segment × currency, pro rata temporis, as one SQL aggregate, and the base
    premium accounted by V. A policy's UPR is kept within [0, its base accounted] like the
    engine's. V is written into the statement as a date literal (from a `date`, never text), so
    that the planner sees it: behind a parameter or a VALUES list it misjudged every join."""
    d = Dialect()
    ctes, params = _window_ctes(scope, d)
    v = d.date_literal(scope.valuation_date)
    n = f"({d.days('w.expiry_date', 'w.effective_date')} + 1)"
    m = d.least(d.greatest(f"({d.days(v, 'w.effective_date')} + 1)", "0"), n)
    if base == "gross":
        wbase, tbase = "w.wg", "w.gross_premium"
    else:
        wbase, tbase = "(w.wg - w.wc)", "(w.gross_premium - w.commission)"
    pro_rata = f"CASE WHEN {n} <= 0 THEN 0 ELSE {d.real(wbase)} * ({n} - {m}) / {n} END"
    if pre_inception_gross:
        upr = f"CASE WHEN w.inception_date > {v} THEN {d.real('w.wg')} ELSE {pro_rata} END"
        cap = f"CASE WHEN w.inception_date > {v} THEN w.gross_premium ELSE {tbase} END"
    else:
        upr, cap = pro_rata, tbase
    # The per-policy clamp can only act on a policy with a row other than a plain original of
    # non-negative base (each such row's UPR lies in [0, its base], so their sum lies in [0, the
    # policy's base]): in one pass over the premium rows, those few policies (`cx`) are summed
    # per policy and clamped, all others straight into their segment's sum (pid NULL) — a
    # per-policy GROUP BY over the whole book cost more than the sums, and a second pass over
    # the ledger for the plain policies (a UNION) more than the hash probe into `cx`.
    cx_sql, cx_params = _complex_policies_sql(scope, d)
    zero_cap = d.greatest("cap", "0")
    clamped = f"CASE WHEN pid IS NULL THEN upr WHEN upr < 0 THEN 0 WHEN upr > {zero_cap} THEN {zero_cap} ELSE upr END"
    pid = "CASE WHEN cx.policy_id IS NULL THEN NULL ELSE w.policy_id END"
    sql = (f"WITH {ctes}, cx AS ({cx_sql}) SELECT segment, currency, SUM({clamped}), SUM(booked) FROM ("
           f"SELECT w.segment AS segment, w.currency AS currency, {pid} AS pid,"
           f" SUM({upr}) AS upr, SUM({cap}) AS cap, SUM({tbase}) AS booked"
           f" FROM w LEFT JOIN cx ON cx.policy_id = w.policy_id GROUP BY w.segment, w.currency, {pid}) p"
           " GROUP BY segment, currency")
    return sql, [*params, *cx_params]


def upr_by_segment(*, scope: Scope, premium_base: str = "net", pre_inception_gross: bool = True
                   ) -> dict[tuple[str, str], Decimal]:
    """UPR at V per segment × currency, rounded once (design.md §4, §8; parity with engine/upr.py)."""
    sql, params = _upr_sql(scope, premium_base, pre_inception_gross)
    return {(s, c): money_round(Decimal(str(u or 0)), c) for s, c, u, _b in fetch(sql, params)}


def _complex_policies_sql(scope: Scope, d: Dialect) -> tuple[str, list]:
    """SELECT of the policies with a premium row in scope other than a plain original of
    non-negative base (a superset: the filter needs no join to the as-at view). Only their UPR
    can need the per-policy clamp; all other policies' rows are each within [0, their base]."""
    ptab = PremiumTransaction._meta.db_table
    sql = (f"SELECT DISTINCT policy_id FROM {ptab} WHERE (kind <> 'original' OR gross_premium < 0"
           f" OR gross_premium < commission) AND accounting_date <= {d.date_literal(scope.valuation_date)}"
           " AND recorded_at <= %s")
    return sql, [timestamp_param(scope.cut_off)]


def earned_premium_by_quarter(*, scope: Scope, first: Quarter, premium_base: str = "net",
                              with_gross: bool = False, rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """Earned premium per segment × currency × calendar quarter from `first` to V's quarter:
    E(end) − E(start − 1), E(D) = base booked by D − UPR at D without the RU rule (engine/upr.py's
    `earned_by_period`, to the cent). Not a UPR query per quarter end (issue 15 §2), but one
    read of the premium rows split in two:

    * the policies no clamp can touch (only plain originals of non-negative base, most of the
      book): a row's E(D) is base·(days of its window run by D)/n once booked, so one GROUP BY
      sums them per quarter of booking × quarter of window start × quarter of window end
      (`_plain_earning_sql`) and the quarters are evaluated from those few thousand sums;
    * the others (`cx`, cancellations, endorsements, reversals, negative bases): their rows go
      through the engine's reference, whose per-policy clamp and pro-rata returns they need.

    `with_gross` adds `earned_gross` (the loss ratios' premium) from the same read: the run
    stores it for the dashboards (issue 15 §5)."""
    last = Quarter.of(scope.valuation_date)
    quarters, q = [], first
    while q <= last:
        quarters.append(q)
        q = q + 1
    columns = ["segment", "currency", "quarter", "earned"] + (["earned_gross"] if with_gross else [])
    if not quarters:
        return pd.DataFrame(columns=columns)
    bases = [premium_base] + (["gross"] if with_gross and premium_base != "gross" else [])
    plain = _plain_earned(scope, [first - 1, *quarters], bases)
    # the complex policies' rows, of the run's shared premium read when given (premium_rows_shared)
    rows = _premium_rows(scope, complex_only=True) if rows is None else complex_premium_rows(rows)
    dates = [quarters[0].start - timedelta(days=1)] + [q.end for q in quarters]
    label = {q.end: q.label for q in quarters}
    parts = [plain]
    if not rows.empty:
        # one integer key for the engine's grouping: it factorises tuples of its `by` columns,
        # which cost more than the rest of its pass on two string columns
        rows["key"] = rows.groupby(["segment", "currency"], sort=False).ngroup()
        keys = rows.drop_duplicates("key").set_index("key")[["segment", "currency"]]
        cx = None
        for b in bases:
            e = earned_by_period(rows, dates, ["key"], base=b)
            e = e.join(keys, on="key")
            e["quarter"] = e["period"].map(label)
            e = e.rename(columns={"earned": b})[["segment", "currency", "quarter", b]]
            cx = e if cx is None else cx.merge(e, on=["segment", "currency", "quarter"], how="outer")
        parts.append(cx)
    both = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else None
    if both is None:
        return pd.DataFrame(columns=columns)
    out = both.groupby(["segment", "currency", "quarter"], as_index=False, sort=True)[bases].sum()
    out["earned"] = out[premium_base]
    if with_gross:
        out["earned_gross"] = out["gross"]
    return out[columns].sort_values(["segment", "currency", "quarter"]).reset_index(drop=True)


def _plain_earning_sql(scope: Scope, d: Dialect, bases: list[str]) -> tuple[str, list]:
    """Per segment × currency × quarter index of booking (a), of the window's start (s) and of
    its end (e): over the premium rows of the policies outside `cx`, per base B = Σ base,
    W = Σ base/n and WQ = Σ base/n·(days of quarter s before the window starts), n the window's
    days. A window of no days earns all at booking (s = e = 0), as the SQL UPR counts it."""
    pt, params = _premium_scope_sql(scope, d)
    cx_sql, cx_params = _complex_policies_sql(scope, d)
    n = f"({d.days('pt.expiry_date', 'pt.effective_date')} + 1)"
    off = d.days_into_quarter("pt.effective_date")
    a = d.quarter_index("pt.accounting_date")
    s = f"CASE WHEN {n} <= 0 THEN 0 ELSE {d.quarter_index('pt.effective_date')} END"
    e = f"CASE WHEN {n} <= 0 THEN 0 ELSE {d.quarter_index('pt.expiry_date')} END"
    sums = []
    for b in bases:
        amount = d.real("pt.gross_premium") if b == "gross" else d.real("pt.gross_premium - pt.commission")
        per_day = f"CASE WHEN {n} <= 0 THEN 0 ELSE {amount} / {n} END"
        sums += [f"SUM({amount})", f"SUM({per_day})", f"SUM({per_day} * {off})"]
    sql = (f"WITH cx AS ({cx_sql}) SELECT pt.segment, pt.currency, {a}, {s}, {e}, {', '.join(sums)}"
           f" FROM ({pt}) pt WHERE NOT EXISTS (SELECT 1 FROM cx WHERE cx.policy_id = pt.policy_id)"
           f" GROUP BY pt.segment, pt.currency, {a}, {s}, {e}")
    return sql, [*cx_params, *params]


def _quarter_of_index(i: int) -> Quarter:
    return Quarter(i // 4, i % 4 + 1)


def _plain_earned(scope: Scope, quarters: list[Quarter], bases: list[str]) -> pd.DataFrame:
    """Earned premium of the plain policies per segment × currency × quarter (quarters[1:];
    quarters[0] is the one before the first): E(D) at each quarter end D from the bucket sums —
    0 before booking or before the window starts, B once the window has ended, else
    W·(days from the start of quarter s to D) − WQ — and earned = E(end) − E(previous end)."""
    d = Dialect()
    sql, params = _plain_earning_sql(scope, d, bases)
    rows = fetch(sql, params)
    cols = [f"{x}_{b}" for b in bases for x in ("B", "W", "WQ")]
    if not rows:
        return pd.DataFrame(columns=["segment", "currency", "quarter", *bases])
    df = pd.DataFrame(rows, columns=["segment", "currency", "a", "s", "e", *cols])
    a, s, e = (df[c].to_numpy(dtype="int64") for c in ("a", "s", "e"))
    s_start = {i: _quarter_of_index(i).start.toordinal() for i in np.unique(s) if i > 0}
    start_ord = np.array([s_start.get(i, 0) for i in s], dtype="int64")
    codes = df.groupby(["segment", "currency"], sort=False).ngroup().to_numpy()
    uniques = list(df.drop_duplicates(["segment", "currency"])[["segment", "currency"]].itertuples(index=False))
    frames = []
    for b in bases:
        B, W, WQ = (df[f"{x}_{b}"].to_numpy(dtype="float64") for x in ("B", "W", "WQ"))
        previous = None
        for q in quarters:
            qi = q.year * 4 + q.q - 1
            days = q.end.toordinal() - start_ord + 1
            e_to = np.where(qi >= a, np.where(qi >= e, B, np.where(qi >= s, W * days - WQ, 0.0)), 0.0)
            sums = np.bincount(codes, weights=e_to, minlength=len(uniques))
            if previous is not None:
                part = pd.DataFrame(list(uniques), columns=["segment", "currency"])
                part["quarter"], part["base"], part["value"] = q.label, b, sums - previous
                frames.append(part)
            previous = sums
    long = pd.concat(frames, ignore_index=True)
    wide = long.pivot_table(index=["segment", "currency", "quarter"], columns="base", values="value",
                            aggfunc="sum").reset_index()
    wide.columns.name = None
    return wide[["segment", "currency", "quarter", *bases]]


def premium_rows(*, scope: Scope) -> pd.DataFrame:
    """The premium ledger rows in scope in engine/upr.py's column contract (for the parity test
    and the month methods, which the SQL does not implement)."""
    return _premium_rows(scope, complex_only=False)


def premium_rows_shared(*, scope: Scope, segments: list[str]) -> pd.DataFrame:
    """In one read, the premium rows (premium_rows' contract) of every policy of `segments` and of
    every policy a clamp or pro-rata return may concern: what the earned premium reads of its
    complex policies (`complex_premium_rows`) and the cessions of their quota-share segments
    (each policy whole in both), instead of a read for each (issue 15)."""
    return _premium_rows(scope, complex_only=True, segments=segments)


def complex_premium_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows, of `rows` (each policy whole), of the policies `_complex_policies_sql` selects: a
    row other than a plain original of non-negative base. The same policies: that query filters
    the ledger as the premium scope does, on the policy id alone."""
    odd = (rows["kind"] != "original") | (rows["gross_premium"] < 0) | (rows["gross_premium"] < rows["commission"])
    mine = rows["policy_id"].isin(rows.loc[odd.to_numpy(), "policy_id"].unique()).to_numpy()
    return rows[mine].reset_index(drop=True)


def _premium_rows(scope: Scope, complex_only: bool, segments: list[str] | None = None) -> pd.DataFrame:
    """premium_rows, of every policy or only of those a clamp or pro-rata return may concern
    (`_complex_policies_sql`: all of their rows, so that the engine sees each policy whole), and
    with `segments` also of every policy of those segments."""
    d = Dialect()
    pt, params = _premium_scope_sql(scope, d)
    with_cx, where, cx_params = "", "", []
    if complex_only:
        cx_sql, cx_params = _complex_policies_sql(scope, d)
        with_cx = f"WITH cx AS ({cx_sql}) "
        where = " WHERE EXISTS (SELECT 1 FROM cx WHERE cx.policy_id = pt.policy_id)"
        if segments:
            # IN, not EXISTS, beside the OR: an uncorrelated subquery is hashed once, where the
            # correlated one was probed per premium row (a nested loop, twice the read's time)
            where = (f" WHERE pt.segment IN ({', '.join(['%s'] * len(segments))})"
                     " OR pt.policy_id IN (SELECT cx.policy_id FROM cx)")
            params = [*params, *segments]
    if d.pg:
        df = _premium_columns(scope, d, pt, with_cx, where, cx_params, params)
        if df is not None:
            return df
    # dates as days since 1970 and amounts as floats, converted by the database: building a
    # date and a Decimal object per value and converting them here cost more than the query
    epoch = d.date_literal(date(1970, 1, 1))
    days = ", ".join(f"{d.days(f'pt.{c}', epoch)}" for c in _PREMIUM_DATES)
    amounts = ", ".join(f"CAST(pt.{c} AS {'DOUBLE PRECISION' if d.pg else 'REAL'})" for c in ("gross_premium", "commission"))
    sql = (f"{with_cx}SELECT pt.id, pt.segment, pt.currency, pt.policy_id, pt.kind, pt.reverses_id, {days}, {amounts}"
           f" FROM ({pt}) pt{where} ORDER BY pt.id")
    cols = ["transaction_id", "segment", "currency", "policy_id", "kind", "reverses", *_PREMIUM_DATES,
            "gross_premium", "commission"]
    df = pd.DataFrame(fetch(sql, [*cx_params, *params]), columns=cols)
    for c in _PREMIUM_DATES:
        df[c] = df[c].to_numpy(dtype="int64").astype("datetime64[D]").astype("datetime64[s]")
    for c in ("gross_premium", "commission"):
        df[c] = df[c].astype("float64")
    df["reverses"] = df["reverses"].astype("Int64")
    return df[["transaction_id", "segment", "currency", "policy_id", "inception_date", "expiry_date", "kind",
               "accounting_date", "effective_date", "gross_premium", "commission", "reverses"]]


_PREMIUM_DATES = ("inception_date", "expiry_date", "accounting_date", "effective_date")
_PREMIUM_COLUMNS = ["transaction_id", "segment", "currency", "policy_id", "inception_date", "expiry_date", "kind",
                    "accounting_date", "effective_date", "gross_premium", "commission", "reverses"]


def _premium_columns(scope: Scope, d: Dialect, pt: str, with_cx: str, where: str, cx_params: list,
                     params: list) -> pd.DataFrame | None:
    """_premium_rows' frame on PostgreSQL, read as numpy columns (sql.fetch_columns) instead of a
    tuple per row: segment, currency and kind as their positions in lists of the values (the
    scope's, the ledger's kinds), mapped back to the strings once per column; no reversed row as
    −1; sorted by id here. None when a value is not in those lists: the caller's tuple read then."""
    hp_sql, hp_params = policy_as_of(scope, ["segment", "currency"])
    labels = fetch(f"SELECT DISTINCT segment, currency FROM ({hp_sql}) hp", hp_params)
    segments, currencies = sorted({s for s, _ in labels}), sorted({c for _, c in labels})
    kinds = list(PremiumTransaction.Kind.values)
    if not segments:
        return None
    days = ", ".join(f"{d.days(f'pt.{c}', d.date_literal(date(1970, 1, 1)))}" for c in _PREMIUM_DATES)
    code = "array_position(CAST(%s AS TEXT[]), CAST(pt.{} AS TEXT)) - 1"
    sql = (f"{with_cx}SELECT CAST(pt.id AS BIGINT), {code.format('segment')}, {code.format('currency')},"
           f" CAST(pt.policy_id AS BIGINT), {code.format('kind')}, CAST(COALESCE(pt.reverses_id, -1) AS BIGINT), {days},"
           " CAST(pt.gross_premium AS DOUBLE PRECISION), CAST(pt.commission AS DOUBLE PRECISION)"
           f" FROM ({pt}) pt{where}")
    cols = fetch_columns(sql, [*cx_params, segments, currencies, kinds, *params],
                         ["int8", "int4", "int4", "int8", "int4", "int8", *["int4"] * 4, "float8", "float8"])
    if cols is None:
        return None
    # in id order as the tuple read's ORDER BY, sorted here: the database's sort of a whole
    # book's rows spilled to disk (0.6 s of a 4 s read at 1M policies), numpy's takes 0.1 s
    order = np.argsort(cols[0], kind="stable")
    tid, seg, cur, pid, kind, rev, *dates, gross, comm = (c[order] for c in cols)
    if len(tid) and (seg.min() < 0 or cur.min() < 0 or kind.min() < 0):
        return None
    frame = {"transaction_id": tid, "segment": np.array(segments, dtype=object)[seg],
             "currency": np.array(currencies, dtype=object)[cur], "policy_id": pid,
             "kind": np.array(kinds, dtype=object)[kind]}
    for c, v in zip(_PREMIUM_DATES, dates):
        frame[c] = v.astype("int64").astype("datetime64[D]").astype("datetime64[s]")
    frame["gross_premium"], frame["commission"] = gross, comm
    frame["reverses"] = pd.arrays.IntegerArray(np.where(rev < 0, 0, rev), rev < 0)
    return pd.DataFrame(frame)[_PREMIUM_COLUMNS]


def written_base_premium(*, scope: Scope, since: date, premium_base: str = "net") -> dict[tuple[str, str], Decimal]:
    """Base premium accounted after `since` and on or before V, per segment × currency."""
    d = Dialect()
    pt, params = _premium_scope_sql(scope, d)
    base = "pt.gross_premium" if premium_base == "gross" else "(pt.gross_premium - pt.commission)"
    sql = (f"SELECT pt.segment, pt.currency, SUM({d.cents(base)}) FROM ({pt}) pt"
           f" WHERE pt.accounting_date > {d.date_param()} GROUP BY pt.segment, pt.currency")
    rows = fetch(sql, params + [since.isoformat()])
    return {(s, c): money_round(Decimal(str(x)) / HUNDRED, c) for s, c, x in rows}


def segments_in_scope(*, scope: Scope) -> list[tuple[str, str]]:
    """Segment × currency pairs with any premium or claim row in scope."""
    d = Dialect()
    pt, pparams = _premium_scope_sql(scope, d)
    cfrm, cparams = claim_ledger_from(scope, d)
    rows = fetch(f"SELECT DISTINCT pt.segment, pt.currency FROM ({pt}) pt", pparams)
    rows += fetch(f"SELECT DISTINCT hp.segment, hp.currency{cfrm}", cparams)
    return sorted({(s, c) for s, c in rows})


# --------------------------------------------------------------------------- triangles
def _qlabel(idx: int) -> str:
    return Quarter(idx // 4, idx % 4 + 1).label


def triangles_from_cells(cells: pd.DataFrame, counts: pd.DataFrame, valuation_date: date,
                         closures: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Cumulative quarterly triangles (origin label × development age in months, 3, 6, …) of one
    segment × currency from its grouped cells: paid, case (outstanding), incurred, reported count
    (and closed count, given the closure cells). Cells after the diagonal are NaN. Amounts in
    currency units (float)."""
    vq = Quarter.of(valuation_date)
    v_idx = vq.year * 4 + vq.q - 1
    origins = sorted(set(cells["oq"]).union(set(counts["oq"]))) if len(cells) or len(counts) else []
    if not origins:
        empty = pd.DataFrame()
        return {"paid": empty, "case": empty, "incurred": empty, "count": empty}
    first = origins[0]
    o_idx = list(range(first, v_idx + 1))
    n_dev = len(o_idx)
    shape = (len(o_idx), n_dev)

    def grid(df: pd.DataFrame, qcol: str, vcol: str) -> np.ndarray:
        g = np.zeros(shape)
        if len(df):
            oi = df["oq"].to_numpy() - first
            di = np.maximum(df[qcol].to_numpy() - df["oq"].to_numpy(), 0)
            np.add.at(g, (oi, di), df[vcol].to_numpy(dtype=float))
        return np.cumsum(g, axis=1)

    paid = grid(cells, "aq", "paid") / 100.0
    case = grid(cells, "aq", "case_change") / 100.0
    count = grid(counts, "rq", "count")
    grids = [("paid", paid), ("case", case), ("incurred", paid + case), ("count", count)]
    if closures is not None:
        known = closures[closures["oq"].isin(o_idx)] if len(closures) else closures
        grids.append(("closed", grid(known, "aq", "closed")))
    # development beyond V is unknown
    mask = np.add.outer(np.arange(len(o_idx)), np.arange(n_dev)) > (len(o_idx) - 1)
    labels = [_qlabel(i) for i in o_idx]
    ages = [3 * (k + 1) for k in range(n_dev)]
    out = {}
    for name, arr in grids:
        a = arr.copy()
        a[mask] = np.nan
        out[name] = pd.DataFrame(a, index=pd.Index(labels, name="origin"), columns=pd.Index(ages, name="age"))
    return out


# --------------------------------------------------------------------------- runs
def run_get(*, run_id: int) -> ReserveRun:
    return ReserveRun.objects.select_related("regime", "preparer", "approver", "rerun_of").get(pk=run_id)


def runs_list() -> QuerySet[ReserveRun]:
    return ReserveRun.objects.select_related("regime", "preparer", "approver")


def run_last_approved(*, regime_code: str, before: date | None = None, exclude_id: int | None = None) -> ReserveRun | None:
    qs = ReserveRun.objects.filter(regime_code=regime_code, status=ReserveRun.Status.APPROVED,
                                   superseded_by__isnull=True)
    if before is not None:
        qs = qs.filter(valuation_date__lte=before)
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return qs.order_by("-valuation_date", "-decided_at", "-id").first()


# Verbs whose actor shaped the run's figures: each of them is a preparer (maker-checker).
PREPARING_VERBS = ("create", "compute", "retry", "select", "acknowledge", "submit")


def run_preparers(*, run: ReserveRun) -> set[int]:
    """Everyone who created, computed, selected on, acknowledged or submitted the run, and
    whoever made the selections a rerun carries over; none of them may approve or reject it."""
    ids = {run.preparer_id} if run.preparer_id else set()
    ids |= set(RunEvent.objects.filter(run=run, verb__in=PREPARING_VERBS, actor__isnull=False)
               .values_list("actor_id", flat=True))
    original = run.rerun_of
    while original is not None:
        ids |= set(RunEvent.objects.filter(run=original, verb="select", actor__isnull=False)
                   .values_list("actor_id", flat=True))
        original = original.rerun_of
    return ids


def run_open_warnings(*, run: ReserveRun) -> QuerySet[RunDataCheck]:
    return run.data_checks.filter(severity=RunDataCheck.Severity.WARNING, acknowledged_at__isnull=True)


def run_segment_results(*, run: ReserveRun) -> QuerySet[RunSegmentResult]:
    return run.segment_results.prefetch_related("origins").order_by("segment", "currency")


def run_as_dict(*, run: ReserveRun) -> dict:
    """The `reserve_run --json` shape: money as decimal strings."""
    segments = []
    for r in run_segment_results(run=run):
        segments.append({
            "segment": r.segment, "currency": r.currency,
            "upr": str(r.upr), "rbns": str(r.rbns), "ibnr": str(r.ibnr), "ulae": str(r.ulae),
            "premium_deficiency": str(r.premium_deficiency), "ibnr_method": r.ibnr_method,
            "origins": [{"origin": o.origin, "paid": str(o.paid), "case": str(o.case), "ultimate": str(o.ultimate),
                         "ibnr": str(o.ibnr), "mack_se": None if o.mack_se is None else str(o.mack_se)}
                        for o in r.origins.all()],
        })
    return {"run_id": run.pk, "valuation_date": run.valuation_date.isoformat(), "regime": run.regime_code,
            "status": run.status, "input_fingerprint": run.input_fingerprint, "segments": segments}


def run_amounts(*, run: ReserveRun) -> list:
    """The run's amounts in a canonical, comparable form (used to tell a rerun is identical)."""
    return [{k: v for k, v in s.items()} for s in run_as_dict(run=run)["segments"]]


def apriori_loss_ratios_kept(*, segment: str, currency: str, years=None) -> dict[int, AprioriLossRatio]:
    """The a-priori loss ratios kept now for one segment and currency (the workbench's form shows
    and edits these), in one query: underwriting year → row; `years` limits the years read."""
    rows = AprioriLossRatio.objects.filter(segment=segment, currency=currency)
    if years is not None:
        rows = rows.filter(underwriting_year__in=list(years))
    return {int(r.underwriting_year): r for r in rows}


def apriori_loss_ratios(*, segment: str, currency: str, cut_off) -> dict[int, tuple[float, str]]:
    """The actuary's a-priori loss ratios of one segment and currency as they were at the
    cut-off: underwriting year → (ratio, source)."""
    rows = (AprioriLossRatio.history.filter(segment=segment, currency=currency, history_date__lte=cut_off)
            .order_by("id", "-history_date", "-history_id"))
    out: dict[int, tuple[float, str]] = {}
    seen: set[int] = set()
    for h in rows:
        if h.id in seen:
            continue
        seen.add(h.id)
        if h.history_type != "-":
            out[int(h.underwriting_year)] = (float(h.loss_ratio), h.source)
    return out
