"""Triangle cells from claim-ledger rows (design.md §4), for `Triangle.from_ledger`.

Row contract (one row per claim transaction):

    claim_id         the claim
    accident_date    the claim's occurrence date (origin of an accident-basis triangle)
    report_date      the claim's report date (reported counts; origin of a report basis)
    accounting_date  the period the row belongs to in the books
    kind             reserve | payment | recovery | close | reopen | reversal
    cost_type        indemnity | expense (empty for close/reopen)
    amount           signed change for reserve rows, positive for payment/recovery; empty for
                     close/reopen
  optional
    transaction_id, reverses   a `reversal` row names the row it reverses: it counts as that
                     row's kind with the amount negated, as at the reversal's own accounting
                     date (corrections land in the period they are booked, never back-dated).

Reversals are resolved here: a caller may also pass rows already resolved into signed amounts
(no `reversal` rows); a `reversal` row without `reverses`/`transaction_id` is refused.

Rules, per claim and cost type, as at each period end ≤ valuation date:
    outstanding = max(0, Σ reserve − Σ payment), and 0 while the claim is closed (a close sets
                  the case estimate to zero whether or not the derived reserve row is present)
    paid        = Σ payment − Σ recovery
    incurred    = paid + outstanding
    reported_count = claims reported by then; closed_count = claims whose last close/reopen
                  by then is a close.
Age in months from the start of the origin period to the period end: an accident in 2024Q1
seen at 2024-03-31 is age 3. Every origin from `origin_start` (default the earliest) to the
valuation period is a row, zeros where nothing has happened yet.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import ParameterError, TriangleError

GRAINS = {"quarter": 3, "year": 12}
VALUES = ("paid", "incurred", "outstanding", "reported_count", "closed_count")
KINDS = ("reserve", "payment", "recovery", "close", "reopen", "reversal")
REQUIRED = ("claim_id", "accident_date", "report_date", "accounting_date", "kind", "amount")


def _period(dates: pd.Series, months: int) -> np.ndarray:
    """Period number since year 0 (quarters or years)."""
    d = pd.DatetimeIndex(pd.to_datetime(dates))
    return (d.year.to_numpy() * 12 + d.month.to_numpy() - 1) // months


def _label(period: int, months: int) -> str:
    if months == 12:
        return str(period)
    return f"{period // 4}Q{period % 4 + 1}"


def _resolve_reversals(rows: pd.DataFrame) -> pd.DataFrame:
    is_rev = rows["kind"] == "reversal"
    if not is_rev.any():
        return rows
    if "reverses" not in rows.columns or "transaction_id" not in rows.columns:
        raise TriangleError("reversal rows need transaction_id and reverses columns (or resolve "
                            "them into signed amounts before building the triangle)", field="reverses")
    originals = rows.loc[~is_rev].set_index("transaction_id")
    rev = rows.loc[is_rev].copy()
    unknown = ~rev["reverses"].isin(originals.index)
    if unknown.any():
        raise TriangleError(f"reversal {rev.loc[unknown, 'transaction_id'].iloc[0]} reverses unknown "
                            f"row {rev.loc[unknown, 'reverses'].iloc[0]!r}", field="reverses")
    target = originals.loc[rev["reverses"]]
    rev["kind"] = target["kind"].to_numpy()
    rev["cost_type"] = target["cost_type"].to_numpy() if "cost_type" in target else None
    rev["amount"] = -target["amount"].to_numpy(dtype=np.float64)
    # reversing a close reopens the claim, reversing a reopen closes it again
    flip = {"close": "reopen", "reopen": "close"}
    rev["kind"] = [flip.get(k, k) for k in rev["kind"]]
    return pd.concat([rows.loc[~is_rev], rev], ignore_index=True)


def ledger_triangle_values(rows: pd.DataFrame, *, valuation_date, grain: str, value: str,
                           origin_start=None, origin_basis: str = "accident"):
    """(values, origin labels, ages, origin_months) of the cumulative triangle as at the end of
    `valuation_date`, which must be the last day of a `grain` period."""
    if grain not in GRAINS:
        raise ParameterError(f"unknown grain {grain!r}; known: {', '.join(GRAINS)}", field="grain")
    if value not in VALUES:
        raise ParameterError(f"unknown value {value!r}; known: {', '.join(VALUES)}", field="value")
    if origin_basis not in ("accident", "report"):
        raise ParameterError(f"unknown origin_basis {origin_basis!r}; known: accident, report",
                             field="origin_basis")
    missing = [c for c in REQUIRED if c not in rows.columns]
    if missing:
        raise TriangleError(f"ledger rows lack column {missing[0]!r}", field=missing[0])
    months = GRAINS[grain]
    valuation = pd.Timestamp(valuation_date)
    if (valuation + pd.Timedelta(days=1)).month == valuation.month or \
            (valuation.month % months) != 0:
        raise TriangleError(f"valuation date {valuation.date()} is not the end of a {grain}",
                            field="valuation_date")
    unknown = set(rows["kind"].unique()) - set(KINDS)
    if unknown:
        raise TriangleError(f"unknown ledger kind {sorted(map(str, unknown))[0]!r}; known: {', '.join(KINDS)}",
                            field="kind")
    data = rows.copy()
    if "cost_type" not in data.columns:
        data["cost_type"] = "indemnity"
    data = _resolve_reversals(data)
    data = data[pd.to_datetime(data["accounting_date"]) <= valuation]
    origin_col = "accident_date" if origin_basis == "accident" else "report_date"
    val_period = int(_period(pd.Series([valuation]), months)[0])
    origin_p = _period(data[origin_col], months)
    keep = origin_p <= val_period
    data, origin_p = data[keep], origin_p[keep]
    acc_p = _period(data["accounting_date"], months)
    if len(data) and (acc_p < origin_p).any():
        bad = data.iloc[int(np.argmax(acc_p < origin_p))]
        raise TriangleError(f"claim {bad['claim_id']}: a row accounted on {bad['accounting_date']} "
                            f"lies before its origin date {bad[origin_col]}", field="accounting_date")
    if origin_start is not None:
        first = int(_period(pd.Series([pd.Timestamp(origin_start)]), months)[0])
    elif len(data):
        first = int(origin_p.min())
    else:
        first = val_period
    n_origin = val_period - first + 1
    if n_origin < 1:
        raise TriangleError(f"origin_start {origin_start} is after the valuation date", field="origin_start")
    n_age = n_origin
    in_range = origin_p >= first
    data, origin_p, acc_p = data[in_range], origin_p[in_range] - first, acc_p[in_range] - first

    claims, claim_idx = np.unique(data["claim_id"].astype(str).to_numpy(), return_inverse=True)
    n_claim = len(claims)
    claim_origin = np.zeros(n_claim, dtype=np.int64)
    claim_origin[claim_idx] = origin_p
    kind = data["kind"].to_numpy()
    amount = pd.to_numeric(data["amount"], errors="coerce").to_numpy(dtype=np.float64)
    money = np.isin(kind, ("reserve", "payment", "recovery"))
    if np.isnan(amount[money]).any():
        bad = data[money].iloc[int(np.argmax(np.isnan(amount[money])))]
        raise TriangleError(f"claim {bad['claim_id']}: {bad['kind']} row without an amount", field="amount")

    # Per claim × period state, then summed by origin × period: one pass of numpy, no loops over rows.
    closed = _closed_state(kind, claim_idx, acc_p, data, n_claim, n_origin)
    if value in ("paid", "incurred", "outstanding"):
        sign_paid = np.where(kind == "payment", 1.0, np.where(kind == "recovery", -1.0, 0.0))
        paid_inc = np.zeros((n_claim, n_origin))
        np.add.at(paid_inc, (claim_idx, acc_p), np.nan_to_num(amount) * sign_paid)
        paid = np.cumsum(paid_inc, axis=1)
        outstanding = np.zeros((n_claim, n_origin))
        for cost in pd.unique(data["cost_type"].fillna("")):
            this = (data["cost_type"].fillna("").to_numpy() == cost)
            case_sign = np.where(kind == "reserve", 1.0, np.where(kind == "payment", -1.0, 0.0)) * this
            inc = np.zeros((n_claim, n_origin))
            np.add.at(inc, (claim_idx, acc_p), np.nan_to_num(amount) * case_sign)
            outstanding += np.maximum(np.cumsum(inc, axis=1), 0.0)
        outstanding = np.where(closed, 0.0, outstanding)
        per_claim = {"paid": paid, "outstanding": outstanding, "incurred": paid + outstanding}[value]
    elif value == "closed_count":
        per_claim = closed.astype(np.float64)
    else:
        report_p = np.zeros(n_claim, dtype=np.int64)
        report_p[claim_idx] = _period(data["report_date"], months) - first
        per_claim = (np.arange(n_origin)[None, :] >= report_p[:, None]).astype(np.float64)

    by_period = np.zeros((n_origin, n_origin))
    np.add.at(by_period, claim_origin, per_claim)
    # by_period[origin, calendar period] → development: age index = period − origin
    values = np.full((n_origin, n_age), np.nan)
    o, p = np.meshgrid(np.arange(n_origin), np.arange(n_origin), indexing="ij")
    dev = p - o
    ok = dev >= 0
    values[o[ok], dev[ok]] = by_period[ok]
    origins = [_label(first + i, months) for i in range(n_origin)]
    ages = months * np.arange(1, n_age + 1)
    return values, origins, ages, months


def _closed_state(kind, claim_idx, acc_p, data, n_claim, n_periods) -> np.ndarray:
    """closed[claim, period]: the claim's last close/reopen at or before the period end is a close."""
    state = np.zeros((n_claim, n_periods), dtype=np.int8)  # 0 none, 1 closed, -1 reopened
    events = np.isin(kind, ("close", "reopen"))
    if events.any():
        order = np.lexsort((np.arange(len(kind))[events],
                            pd.to_datetime(data["accounting_date"]).to_numpy()[events]))
        ev_claim = claim_idx[events][order]
        ev_period = acc_p[events][order]
        ev_state = np.where(kind[events][order] == "close", 1, -1).astype(np.int8)
        last = pd.DataFrame({"c": ev_claim, "p": ev_period, "s": ev_state}).drop_duplicates(
            ["c", "p"], keep="last")  # the period's last event decides
        state[last["c"].to_numpy(), last["p"].to_numpy()] = last["s"].to_numpy()
    filled = pd.DataFrame(np.where(state == 0, np.nan, state)).ffill(axis=1).fillna(0).to_numpy()
    return filled == 1
