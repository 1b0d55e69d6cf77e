"""Unearned premium reserve (UPR / РНП) and earned premium from premium-ledger rows.

Pure and vectorised: a DataFrame of premium transactions in, one float64 per transaction out
(indexed like the input, never rounded — the caller quantizes totals once, per currency).

Column contract (one row per premium transaction, amounts signed, dates as datetime64 or
anything `pd.to_datetime` reads):

    kind             original | endorsement | cancellation | reversal
    accounting_date  the day the row belongs to in the books
    effective_date   start of the row's cover window: inception for the original, the effective
                     date for an endorsement or a cancellation
    expiry_date      end of the window (the policy's expiry); both ends are covered days
    gross_premium    signed; a return premium is negative
    commission       signed like the premium
  optional
    policy_id        groups rows into policies: needed to compute a cancellation's pro-rata
                     return, to find the policy's inception and to keep UPR per policy within
                     [0, base] (without it rows are evaluated one by one, unclamped)
    inception_date   the policy's inception (else the earliest effective_date of the policy)
    pro_rata_gross,  for cancellation rows: the pro-rata return over the cancellation's window
    pro_rata_commission  (negative). NaN or absent → computed from the policy's in-force
                     premium (see below)
    transaction_id,  for reversal rows: the reversal is the exact negation of the named row —
    reverses         its window, its pro-rata/short-rate split; without these a reversal is
                     taken at face value over the window it carries

Rules (design.md §4, domain.md §3):
* Every row earns over its own window [effective_date, expiry_date], both days inclusive,
  valued at the end of the valuation date V.
* A cancellation carries the *actual* return. Its pro-rata return is the premium in force over
  the days it gives back: Σ over the policy's original/endorsement rows accounted on or before
  the cancellation of amount·overlap_days/window_days. That pro-rata part earns (negatively)
  over the cancellation window, so a pro-rata return leaves zero UPR from the cancellation
  date on; the rest (actual − pro rata, the short-rate penalty) is earned at once on the
  cancellation's accounting date.
* Base: gross − commission ("net") or gross. Rows accounted after V are not in the UPR.
* RU rule (`pre_inception_gross`): while V is before the policy's inception, the policy's
  premium accounted by V is unearned at its full gross amount. The rule is tied to the
  policy's inception, not the row's window: a cancellation booked before its effective date
  on a running policy is valued on the base like the rest of the policy (domain.md's worked
  cancellation check depends on this).
* Methods: "pro_rata" UPR = base·(n−m)/n, n window days, m = clamp(V − start + 1, 0, n);
  "1/24" k = (2n−2i+1)/(2n), n = term in months (a started month counts), i = months elapsed
  counting the start month as 1; "1/8" the same in calendar quarters. Before the window
  starts k = 1; once the window is over (V ≥ expiry) k = 0 for every method.
* With policy_id, a policy's UPR is clamped to [0, its base accounted by V] (gross where the
  RU rule applies); the month methods on a cancellation's shorter window or an over-return
  can otherwise cross the bounds. The clamp correction sits on the policy's latest-accounted
  row in the UPR.
Earned premium over [start, end] = E(end) − E(start − 1 day), E(V) = base accounted by V − UPR
at V without the RU rule (a prudence rule of the reserve, not of revenue).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .dates import day_number
from .errors import EngineError

__all__ = [
    "UPRInputError",
    "UPR_METHODS",
    "UPR_BASES",
    "PREMIUM_KINDS",
    "unearned_premium",
    "upr_by",
    "earned_premium",
    "cancellation_pro_rata_return",
]

UPR_METHODS = ("pro_rata", "1/24", "1/8")
UPR_BASES = ("net", "gross")
PREMIUM_KINDS = ("original", "endorsement", "cancellation", "reversal")
_REQUIRED = ("kind", "accounting_date", "effective_date", "expiry_date", "gross_premium", "commission")

_ORIGINAL, _ENDORSEMENT, _CANCELLATION, _REVERSAL = range(4)


class UPRInputError(EngineError):
    """Premium transactions or parameters the UPR cannot be computed from; names the column."""


def _day(value, name: str) -> np.int64:
    return day_number(value, name, UPRInputError)


def _days(col: pd.Series, name: str, *, allow_missing: bool = False) -> np.ndarray:
    """Days since 1970-01-01 as int64 (missing → INT64 min, only where allowed)."""
    if not pd.api.types.is_datetime64_any_dtype(col.dtype):
        try:
            col = pd.to_datetime(col)
        except (TypeError, ValueError) as exc:
            raise UPRInputError(f"column {name}: not dates ({exc})", field=name) from exc
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        # A timestamp with a zone counts by its wall-clock date in that zone.
        col = col.dt.tz_localize(None)
    missing = col.isna().to_numpy()
    if missing.any() and not allow_missing:
        first = col.index[np.flatnonzero(missing)[0]]
        raise UPRInputError(f"column {name}: missing date in row {first!r}", field=name)
    values = col.to_numpy(dtype="datetime64[ns]" if col.dtype.kind == "O" else None)
    out = values.astype("datetime64[D]").astype(np.int64)
    return out


def _amounts(col: pd.Series, name: str) -> np.ndarray:
    try:
        out = col.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise UPRInputError(f"column {name}: not numbers ({exc})", field=name) from exc
    return out


def _month_and_day(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Months since 1970-01 and the day of the month (1-based) of each day."""
    if len(days) == 0:
        return days.copy(), days.copy()
    lo, hi = int(days.min()), int(days.max())
    # A book's dates span a few thousand distinct days: converting the span once and looking
    # the rows up is ~20× faster than numpy's calendar conversion of every row.
    span = np.arange(lo, hi + 1) if hi - lo < 2_000_000 else days
    months = span.astype("datetime64[D]").astype("datetime64[M]")
    dom = span - months.astype("datetime64[D]").astype(np.int64) + 1
    months = months.astype(np.int64)
    if span is days:
        return months, dom
    return months[days - lo], dom[days - lo]


def _policy_codes(col: pd.Series) -> tuple[np.ndarray, int]:
    """Policy ids as codes 0..k−1 for bincount; small non-negative integer ids are used as they are."""
    if pd.api.types.is_integer_dtype(col.dtype) and not isinstance(col.dtype, pd.CategoricalDtype) and len(col):
        values = col.to_numpy(dtype=np.int64)
        lo, hi = values.min(), values.max()
        # Direct use avoids hashing a million ids; the bound keeps bincount's arrays small.
        if lo >= 0 and hi < 4 * len(values) + 1024:
            return values, int(hi) + 1
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    if (codes < 0).any():
        raise UPRInputError(f"column policy_id: missing in row {col.index[np.flatnonzero(codes < 0)[0]]!r}", field="policy_id")
    return codes.astype(np.int64), len(uniques)


@dataclass(frozen=True)
class _Book:
    """The transactions reduced to arrays, split into window and immediate parts."""

    index: pd.Index
    accounting: np.ndarray      # int64 days
    start: np.ndarray
    end: np.ndarray
    inception: np.ndarray       # the policy's inception, for the RU rule
    window_gross: np.ndarray    # the part earned over [start, end]
    window_commission: np.ndarray
    gross: np.ndarray           # the actual amounts (window part + immediate part)
    commission: np.ndarray
    policy: np.ndarray | None   # int codes 0..n_policies-1
    n_policies: int


def _kind_codes(kind: pd.Series) -> np.ndarray:
    codes = pd.Categorical(kind, categories=PREMIUM_KINDS).codes.astype(np.int64)
    bad = codes < 0
    if bad.any():
        row = kind.index[np.flatnonzero(bad)[0]]
        raise UPRInputError(
            f"column kind: unknown kind {kind.loc[row]!r} in row {row!r}; known: {', '.join(PREMIUM_KINDS)}",
            field="kind",
        )
    return codes


def _prepare(transactions: pd.DataFrame) -> _Book:
    if not isinstance(transactions, pd.DataFrame):
        raise UPRInputError("transactions must be a pandas DataFrame")
    missing = [c for c in _REQUIRED if c not in transactions.columns]
    if missing:
        raise UPRInputError(f"missing column(s): {', '.join(missing)}", field=missing[0])
    tx = transactions
    kind = _kind_codes(tx["kind"])
    accounting = _days(tx["accounting_date"], "accounting_date")
    start = _days(tx["effective_date"], "effective_date")
    end = _days(tx["expiry_date"], "expiry_date").copy()
    gross = _amounts(tx["gross_premium"], "gross_premium")
    commission = _amounts(tx["commission"], "commission")
    for name, arr in (("gross_premium", gross), ("commission", commission)):
        bad = ~np.isfinite(arr)
        if bad.any():
            raise UPRInputError(f"column {name}: missing or non-finite amount in row {tx.index[np.flatnonzero(bad)[0]]!r}", field=name)

    policy = None
    n_policies = 0
    if "policy_id" in tx.columns:
        policy, n_policies = _policy_codes(tx["policy_id"])

    start = start.copy()
    window_gross = gross.copy()
    window_commission = commission.copy()

    # A reversal named by `reverses` takes the window of the row it reverses.
    rev_target = None
    if "reverses" in tx.columns and "transaction_id" in tx.columns:
        is_rev = kind == _REVERSAL
        if is_rev.any():
            ids = pd.Index(tx["transaction_id"])
            rev_pos = np.flatnonzero(is_rev)
            target = ids.get_indexer(tx["reverses"].to_numpy()[rev_pos])
            if (target < 0).any():
                row = tx.index[rev_pos[np.flatnonzero(target < 0)[0]]]
                raise UPRInputError(f"column reverses: row {row!r} reverses an unknown transaction", field="reverses")
            rev_target = (rev_pos, target)
            start[rev_pos] = start[target]
            end[rev_pos] = end[target]

    bad = end < start
    if bad.any():
        row = tx.index[np.flatnonzero(bad)[0]]
        raise UPRInputError(f"row {row!r}: expiry_date is before effective_date", field="expiry_date")

    # Cancellations: the window part is the pro-rata return; the rest is earned at once.
    is_cancel = kind == _CANCELLATION
    if is_cancel.any():
        pr_gross = np.full(len(tx), np.nan)
        pr_commission = np.full(len(tx), np.nan)
        if "pro_rata_gross" in tx.columns:
            pr_gross = _amounts(tx["pro_rata_gross"], "pro_rata_gross")
        if "pro_rata_commission" in tx.columns:
            pr_commission = _amounts(tx["pro_rata_commission"], "pro_rata_commission")
        need = is_cancel & (np.isnan(pr_gross) | np.isnan(pr_commission))
        if need.any():
            if policy is None:
                raise UPRInputError(
                    "cancellations need policy_id (to compute the pro-rata return from the premium in force) "
                    "or pro_rata_gross and pro_rata_commission columns",
                    field="policy_id",
                )
            in_force = (kind == _ORIGINAL) | (kind == _ENDORSEMENT)
            if rev_target is not None:
                rev_pos, target = rev_target
                in_force[rev_pos] = (kind[target] == _ORIGINAL) | (kind[target] == _ENDORSEMENT)
            else:
                in_force |= kind == _REVERSAL
            g, c = _in_force_over_windows(
                cancel_pos=np.flatnonzero(need), in_force_pos=np.flatnonzero(in_force), policy=policy,
                accounting=accounting, start=start, end=end, gross=gross, commission=commission,
            )
            pr_gross = pr_gross.copy()
            pr_commission = pr_commission.copy()
            pr_gross[need] = -g
            pr_commission[need] = -c
        window_gross[is_cancel] = pr_gross[is_cancel]
        window_commission[is_cancel] = pr_commission[is_cancel]

    if rev_target is not None:
        rev_pos, target = rev_target
        window_gross[rev_pos] = -window_gross[target]
        window_commission[rev_pos] = -window_commission[target]

    if "inception_date" in tx.columns:
        inception = _days(tx["inception_date"], "inception_date")
    elif policy is not None:
        first = np.full(n_policies, np.iinfo(np.int64).max)
        np.minimum.at(first, policy, start)
        inception = first[policy]
    else:
        inception = start

    return _Book(
        index=tx.index, accounting=accounting, start=start, end=end, inception=inception,
        window_gross=window_gross, window_commission=window_commission, gross=gross,
        commission=commission, policy=policy, n_policies=n_policies,
    )


def _in_force_over_windows(*, cancel_pos, in_force_pos, policy, accounting, start, end, gross, commission):
    """Premium in force over each cancellation's window: Σ amount·overlap/window_days over the
    policy's in-force rows accounted on or before the cancellation."""
    # Only policies with a cancellation take part, which keeps the join small.
    wanted = np.isin(policy[in_force_pos], policy[cancel_pos])
    f = in_force_pos[wanted]
    left = pd.DataFrame({"c": np.arange(len(cancel_pos)), "policy": policy[cancel_pos]})
    right = pd.DataFrame({"f": f, "policy": policy[f]})
    pairs = left.merge(right, on="policy", how="inner")
    c_local = pairs["c"].to_numpy()
    ci = cancel_pos[c_local]
    fi = pairs["f"].to_numpy()
    overlap = np.minimum(end[ci], end[fi]) - np.maximum(start[ci], start[fi]) + 1
    share = np.clip(overlap, 0, None) / (end[fi] - start[fi] + 1)
    share = np.where(accounting[fi] <= accounting[ci], share, 0.0)
    g = np.bincount(c_local, weights=gross[fi] * share, minlength=len(cancel_pos))
    c = np.bincount(c_local, weights=commission[fi] * share, minlength=len(cancel_pos))
    return g, c


def cancellation_pro_rata_return(transactions: pd.DataFrame) -> pd.DataFrame:
    """The pro-rata return of every cancellation row (gross and commission, negative) and the
    short-rate difference earned at once on its accounting date; other rows get zeros."""
    book = _prepare(transactions)
    is_cancel = (_kind_codes(transactions["kind"]) == _CANCELLATION)
    pr_gross = np.where(is_cancel, book.window_gross, 0.0)
    pr_commission = np.where(is_cancel, book.window_commission, 0.0)
    return pd.DataFrame(
        {
            "pro_rata_gross": pr_gross,
            "pro_rata_commission": pr_commission,
            "short_rate_gross": np.where(is_cancel, book.gross - book.window_gross, 0.0),
            "short_rate_commission": np.where(is_cancel, book.commission - book.window_commission, 0.0),
        },
        index=book.index,
    )


def _unearned_fraction(book: _Book, v: np.int64, method: str) -> np.ndarray:
    start, end = book.start, book.end
    if method == "pro_rata":
        n = end - start + 1
        m = v - start + 1
        np.maximum(m, 0, out=m)
        np.minimum(m, n, out=m)
        m -= n
        m *= -1
        return m / n
    # Month methods: the term counts a started month as a whole one.
    start_month, start_dom = _month_and_day(start)
    after_month, after_dom = _month_and_day(end + 1)
    v_month = int(np.datetime64(int(v), "D").astype("datetime64[M]").astype(np.int64))
    n = after_month - start_month + (after_dom > start_dom)
    np.maximum(n, 1, out=n)
    if method == "1/8":
        n = -(-n // 3)
        i = v_month // 3 - start_month // 3 + 1
    else:
        i = v_month - start_month + 1
    k = (2 * n - 2 * i + 1) / (2 * n)
    np.maximum(k, 0.0, out=k)
    np.minimum(k, 1.0, out=k)
    k[np.flatnonzero(v < start)] = 1.0
    k[np.flatnonzero((v >= end) | (i > n))] = 0.0
    return k


def _check(method: str, base: str) -> None:
    if method not in UPR_METHODS:
        raise UPRInputError(f"unknown UPR method {method!r}; known: {', '.join(UPR_METHODS)}", field="method")
    if base not in UPR_BASES:
        raise UPRInputError(f"unknown premium base {base!r}; known: {', '.join(UPR_BASES)}", field="base")


def _upr(book: _Book, v: np.int64, method: str, base: str, pre_inception_gross: bool) -> np.ndarray:
    not_booked = book.accounting > v
    if base == "net":
        out = book.window_gross - book.window_commission
        cap = book.gross - book.commission
    else:
        out = book.window_gross.copy()
        cap = book.gross.copy()
    if len(out) == 0:
        return out
    out *= _unearned_fraction(book, v, method)
    # Index arrays, not boolean masks: the rows concerned are few and masks cost a full pass each.
    if pre_inception_gross:
        not_started = np.flatnonzero(book.inception > v)
        out[not_started] = book.window_gross[not_started]
        cap[not_started] = book.gross[not_started]
    not_booked = np.flatnonzero(not_booked)
    out[not_booked] = 0.0
    if book.policy is None:
        return out
    cap[not_booked] = 0.0
    policy_upr = np.bincount(book.policy, weights=out, minlength=book.n_policies)
    policy_cap = np.bincount(book.policy, weights=cap, minlength=book.n_policies)
    np.maximum(policy_cap, 0.0, out=policy_cap)
    correction = np.clip(policy_upr, 0.0, policy_cap) - policy_upr
    # Float noise around zero is not a breach worth moving money for.
    correction[np.abs(correction) < 1e-9 * np.maximum(1.0, policy_cap)] = 0.0
    off = np.flatnonzero(correction)
    if len(off):
        rows = np.flatnonzero((book.accounting <= v) & np.isin(book.policy, off))
        # The latest-accounted booked row of each policy carries the correction (last in input order on ties).
        order = np.lexsort((rows, book.accounting[rows], book.policy[rows]))
        rows = rows[order]
        last = rows[np.r_[book.policy[rows][1:] != book.policy[rows][:-1], True]]
        out[last] += correction[book.policy[last]]
    return out


def unearned_premium(
    transactions: pd.DataFrame,
    valuation_date,
    *,
    method: str = "pro_rata",
    base: str = "net",
    pre_inception_gross: bool = True,
) -> pd.Series:
    """UPR at the end of `valuation_date`, one float per transaction (indexed like the input)."""
    _check(method, base)
    book = _prepare(transactions)
    v = _day(valuation_date, "valuation_date")
    return pd.Series(_upr(book, v, method, base, pre_inception_gross), index=book.index, name="upr")


def _group_keys(transactions: pd.DataFrame, by) -> list[str]:
    keys = [by] if isinstance(by, str) else list(by)
    missing = [k for k in keys if k not in transactions.columns]
    if missing:
        raise UPRInputError(f"missing group column(s): {', '.join(missing)}", field=missing[0])
    return keys


def upr_by(
    transactions: pd.DataFrame,
    valuation_date,
    by,
    *,
    method: str = "pro_rata",
    base: str = "net",
    pre_inception_gross: bool = True,
) -> pd.Series:
    """UPR summed by the given columns (e.g. ["segment", "currency"]); never across currencies
    unless the caller asks for it by leaving currency out."""
    keys = _group_keys(transactions, by)
    per_row = unearned_premium(transactions, valuation_date, method=method, base=base, pre_inception_gross=pre_inception_gross)
    return per_row.groupby([transactions[k] for k in keys], sort=True).sum()


def earned_premium(
    transactions: pd.DataFrame,
    period_start,
    period_end,
    *,
    method: str = "pro_rata",
    base: str = "net",
) -> pd.Series:
    """Premium earned in [period_start, period_end] (both inclusive), one float per transaction:
    base accounted by the end − UPR at the end, less the same at the day before the start."""
    _check(method, base)
    book = _prepare(transactions)
    first = _day(period_start, "period_start")
    last = _day(period_end, "period_end")
    if last < first:
        raise UPRInputError("period_end is before period_start", field="period_end")
    return pd.Series(_earned_to(book, last, method, base) - _earned_to(book, first - 1, method, base),
                     index=book.index, name="earned_premium")


def _earned_to(book: _Book, v: np.int64, method: str, base: str) -> np.ndarray:
    """Per row: base accounted by day v − UPR at v (no pre-inception rule)."""
    total_base = book.gross - book.commission if base == "net" else book.gross
    return np.where(book.accounting <= v, total_base, 0.0) - _upr(book, v, method, base, False)


def earned_by_period(transactions: pd.DataFrame, period_ends, by, *, method: str = "pro_rata",
                     base: str = "net") -> pd.DataFrame:
    """Premium earned in each period between consecutive dates of `period_ends` (the first date
    is the day before the first period starts), summed by the `by` columns: one preparation of
    the book and one vectorised pass per date — the quarter end's earned premium for every
    quarter, which SQL computed as a UPR at every quarter end. Columns: the `by` keys, `period`
    (the period's end date, as given) and `earned`; E(D) = base accounted by D − UPR at D (no
    pre-inception rule), earned = E(end) − E(previous end), exactly `earned_premium`'s rule."""
    _check(method, base)
    keys = _group_keys(transactions, by)
    ends = list(period_ends)
    if len(ends) < 2:
        raise UPRInputError("period_ends needs the day before the first period and at least one period end",
                            field="period_ends")
    days = [_day(d, "period_ends") for d in ends]
    if any(b <= a for a, b in zip(days, days[1:])):
        raise UPRInputError("period_ends must increase", field="period_ends")
    book = _prepare(transactions)
    index = pd.MultiIndex.from_frame(transactions.loc[book.index, keys])
    codes, uniques = index.factorize()   # one grouping for every date: sums are bincounts
    frames = []
    previous = None
    for end, v in zip(ends, days):
        earned_to = _earned_to(book, v, method, base)
        if previous is not None:
            sums = np.bincount(codes, weights=earned_to - previous, minlength=len(uniques))
            part = pd.DataFrame(list(uniques), columns=keys)
            part["period"], part["earned"] = end, sums
            frames.append(part)
        previous = earned_to
    if not frames:
        return pd.DataFrame(columns=[*keys, "period", "earned"])
    return pd.concat(frames, ignore_index=True)[[*keys, "period", "earned"]]
