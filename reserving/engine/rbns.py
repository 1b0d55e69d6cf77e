"""RBNS from claim-ledger rows, ULAE, the premium-deficiency reserve and the IBNR fallbacks
used when the history is too short for a triangle.

Pure and vectorised. Ledger column contract (one row per claim transaction, signed amounts):

    claim_id         the claim
    report_date      the claim's report date (a claim attribute repeated on its rows)
    accounting_date  the day the row belongs to in the books
    kind             reserve | payment | recovery | close | reopen | reversal
    amount           reserve: the signed change of the case estimate; payment: paid (erodes the
                     case estimate of its cost type); recovery: reduces paid only; close/reopen:
                     empty — the reserve change a close posts is expected as its own reserve row
  optional
    cost_type        indemnity | expense: outstanding is kept per claim and cost type
    recorded_at      when the system learnt the row; with `cut_off`, later rows are not seen
    reverses_kind    for reversal rows: the kind of the row reversed (its amount is the negation)
    transaction_id,  alternatively, the reversed row named by id (its kind is looked up)
    reverses
    any claim attributes (segment, currency, …) to total by

outstanding = Σreserve − Σpayment per claim (and cost type), never below zero; paid =
Σpayment − Σrecovery; RBNS at V = Σ outstanding over claims reported on or before V, from rows
accounted on or before V (and recorded by the cut-off). design.md §4, domain.md §3.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .dates import day_number
from .errors import EngineError, ParameterError

__all__ = [
    "RBNSInputError",
    "CLAIM_KINDS",
    "rbns_by_claim",
    "reported_not_settled",
    "ulae_three_percent",
    "ulae_eiopa",
    "premium_deficiency",
    "ibnr_expected_loss_ratio",
    "ibnr_premium_share",
]

CLAIM_KINDS = ("reserve", "payment", "recovery", "close", "reopen", "reversal")
_REQUIRED = ("claim_id", "report_date", "accounting_date", "kind", "amount")


class RBNSInputError(EngineError):
    """Claim-ledger rows the RBNS cannot be computed from; names the column."""


def _days(values, name: str) -> np.ndarray:
    col = values if isinstance(values, pd.Series) else pd.Series(values)
    try:
        col = pd.to_datetime(col)
    except (TypeError, ValueError) as exc:
        raise RBNSInputError(f"column {name}: not dates ({exc})", field=name) from exc
    if col.isna().any():
        raise RBNSInputError(f"column {name}: missing date in row {col.index[col.isna().to_numpy()][0]!r}", field=name)
    return col.to_numpy().astype("datetime64[D]").astype(np.int64)


def _day(value, name: str) -> np.int64:
    return day_number(value, name, RBNSInputError)


def _utc(value) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    # A naive time is read as UTC; the book format always carries an offset.
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _effective_kind(ledger: pd.DataFrame) -> np.ndarray:
    """The kind whose sum a row counts in: a reversal counts in the kind it reverses."""
    kind = ledger["kind"].astype(object).to_numpy()
    unknown = ~pd.Series(kind).isin(CLAIM_KINDS).to_numpy()
    if unknown.any():
        i = np.flatnonzero(unknown)[0]
        raise RBNSInputError(f"column kind: unknown kind {kind[i]!r} in row {ledger.index[i]!r}; known: {', '.join(CLAIM_KINDS)}", field="kind")
    is_rev = kind == "reversal"
    if not is_rev.any():
        return kind
    kind = kind.copy()
    if "reverses_kind" in ledger.columns:
        reversed_kind = ledger["reverses_kind"].astype(object).to_numpy()[is_rev]
    elif "transaction_id" in ledger.columns and "reverses" in ledger.columns:
        target = pd.Index(ledger["transaction_id"]).get_indexer(ledger["reverses"].to_numpy()[is_rev])
        if (target < 0).any():
            row = ledger.index[np.flatnonzero(is_rev)[np.flatnonzero(target < 0)[0]]]
            raise RBNSInputError(f"column reverses: row {row!r} reverses an unknown transaction", field="reverses")
        reversed_kind = kind[target]
    else:
        raise RBNSInputError("reversal rows need a reverses_kind column, or transaction_id and reverses", field="reverses_kind")
    bad = ~pd.Series(reversed_kind).isin(("reserve", "payment", "recovery")).to_numpy()
    if bad.any():
        row = ledger.index[np.flatnonzero(is_rev)[np.flatnonzero(bad)[0]]]
        raise RBNSInputError(f"row {row!r}: a reversal must reverse a reserve, payment or recovery", field="reverses_kind")
    kind[is_rev] = reversed_kind
    return kind


def rbns_by_claim(ledger: pd.DataFrame, valuation_date, *, cut_off=None, attributes=()) -> pd.DataFrame:
    """Per claim reported on or before V: case_reserve (Σreserve), payments, recoveries, paid,
    outstanding (≥ 0, kept per cost type when given) and incurred, plus the claim attributes
    asked for (e.g. ("segment", "currency")). Indexed by claim_id."""
    if not isinstance(ledger, pd.DataFrame):
        raise RBNSInputError("ledger must be a pandas DataFrame")
    attributes = [attributes] if isinstance(attributes, str) else list(attributes)
    missing = [c for c in (*_REQUIRED, *attributes) if c not in ledger.columns]
    if missing:
        raise RBNSInputError(f"missing column(s): {', '.join(missing)}", field=missing[0])
    v = _day(valuation_date, "valuation_date")
    kind = _effective_kind(ledger)
    amount = pd.to_numeric(ledger["amount"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    needs_amount = pd.Series(kind).isin(("reserve", "payment", "recovery")).to_numpy()
    bad = needs_amount & ~np.isfinite(amount)
    if bad.any():
        raise RBNSInputError(f"column amount: missing or non-finite amount in row {ledger.index[np.flatnonzero(bad)[0]]!r}", field="amount")
    amount = np.where(needs_amount, amount, 0.0)

    seen = (_days(ledger["report_date"], "report_date") <= v) & (_days(ledger["accounting_date"], "accounting_date") <= v)
    if cut_off is not None:
        if "recorded_at" not in ledger.columns:
            raise RBNSInputError("a cut-off needs the recorded_at column", field="recorded_at")
        recorded = pd.to_datetime(ledger["recorded_at"], utc=True)
        if recorded.isna().any():
            raise RBNSInputError("column recorded_at: missing timestamp", field="recorded_at")
        seen &= (recorded <= _utc(cut_off)).to_numpy()

    keys = ["claim_id", "cost_type"] if "cost_type" in ledger.columns else ["claim_id"]
    frame = pd.DataFrame({k: ledger[k].to_numpy() for k in keys})
    frame["case_reserve"] = np.where(kind == "reserve", amount, 0.0)
    frame["payments"] = np.where(kind == "payment", amount, 0.0)
    frame["recoveries"] = np.where(kind == "recovery", amount, 0.0)
    frame = frame[seen]
    if "cost_type" in keys:
        # close/reopen rows carry no cost type; they move no money here.
        frame["cost_type"] = frame["cost_type"].fillna("")
    sums = frame.groupby(keys, sort=False)[["case_reserve", "payments", "recoveries"]].sum()
    sums["outstanding"] = (sums["case_reserve"] - sums["payments"]).clip(lower=0.0)
    per_claim = sums.groupby(level="claim_id", sort=True).sum()
    per_claim["paid"] = per_claim["payments"] - per_claim["recoveries"]
    per_claim["incurred"] = per_claim["paid"] + per_claim["outstanding"]
    if attributes:
        attrs = ledger.loc[seen, ["claim_id", *attributes]].drop_duplicates("claim_id").set_index("claim_id")
        per_claim = per_claim.join(attrs)
    return per_claim[["case_reserve", "payments", "recoveries", "paid", "outstanding", "incurred", *attributes]]


def reported_not_settled(ledger: pd.DataFrame, valuation_date, *, cut_off=None, by=None):
    """RBNS at V: a float, or a Series of totals by the claim attributes in `by`
    (e.g. ["segment", "currency"] — leave currency in: amounts of two currencies never add)."""
    keys = [] if by is None else ([by] if isinstance(by, str) else list(by))
    per_claim = rbns_by_claim(ledger, valuation_date, cut_off=cut_off, attributes=keys)
    if not keys:
        return float(per_claim["outstanding"].sum())
    return per_claim.groupby(keys, sort=True)["outstanding"].sum().rename("rbns")


def _check_ratio(value, name: str, *, upper: float | None = None) -> None:
    arr = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0) or (upper is not None and np.any(arr > upper)):
        limit = f"0 and {upper}" if upper is not None else "0 and a finite number"
        raise ParameterError(f"{name} must be between {limit}: {value!r}", field=name)


def _amounts(value, name: str):
    arr = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ParameterError(f"{name}: not a finite amount", field=name)
    return value


def ulae_three_percent(rbns, rate: float = 0.03):
    """ULAE under Order 51н: a share of RBNS (3%), reported with RBNS as РЗУ."""
    _check_ratio(rate, "rate", upper=1.0)
    return _amounts(rbns, "rbns") * rate


def ulae_eiopa(ibnr, rbns, R: float, a: float = 0.5):
    """ULAE by the EIOPA simplification R·(IBNR + a·RBNS): R = claim-handling expenses over
    claims paid, a = the share of handling cost still to come on a reported claim."""
    _check_ratio(R, "R")
    _check_ratio(a, "a", upper=1.0)
    return R * (_amounts(ibnr, "ibnr") + a * _amounts(rbns, "rbns"))


def premium_deficiency(*, upr, expected_loss_ratio: float, expense_ratio: float = 0.0,
                       unexpired_premium=None, expected_claims=None, expected_expenses=None):
    """Premium-deficiency (unexpired-risk) reserve = max(0, expected claims + expenses on the
    unexpired cover − UPR).

    `unexpired_premium` is the premium exposure of the cover still to run (defaults to the UPR
    itself); expected claims default to expected_loss_ratio × it and expenses (maintenance and
    claim handling) to expense_ratio × it. Give `expected_claims`/`expected_expenses` directly
    to override. Scalars, arrays or Series (one per segment × currency)."""
    _check_ratio(expected_loss_ratio, "expected_loss_ratio")
    _check_ratio(expense_ratio, "expense_ratio")
    exposure = _amounts(upr if unexpired_premium is None else unexpired_premium, "unexpired_premium")
    claims = expected_loss_ratio * exposure if expected_claims is None else _amounts(expected_claims, "expected_claims")
    expenses = expense_ratio * exposure if expected_expenses is None else _amounts(expected_expenses, "expected_expenses")
    shortfall = claims + expenses - _amounts(upr, "upr")
    return np.maximum(shortfall, 0.0) if not isinstance(shortfall, pd.Series) else shortfall.clip(lower=0.0)


def ibnr_expected_loss_ratio(earned_premium, incurred, expected_loss_ratio: float):
    """Short-history IBNR: expected loss ratio × earned premium − incurred, never below zero."""
    _check_ratio(expected_loss_ratio, "expected_loss_ratio")
    raw = expected_loss_ratio * _amounts(earned_premium, "earned_premium") - _amounts(incurred, "incurred")
    return np.maximum(raw, 0.0) if not isinstance(raw, pd.Series) else raw.clip(lower=0.0)


_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


def _quarter_index(label) -> int:
    m = _QUARTER.match(str(label).strip())
    if not m:
        raise ParameterError(f"not a quarter label (want e.g. 2024Q3): {label!r}", field="base_premium")
    return int(m.group(1)) * 4 + int(m.group(2)) - 1


def ibnr_premium_share(base_premium, *, valuation_quarter=None, share: float = 0.10, quarters: int = 4):
    """The 1994 Russian rule: IBNR = 10% of the base premium of the last four quarters.

    `base_premium` is either the sum over those quarters, or a Series indexed by quarter labels
    (2024Q3) with `valuation_quarter` naming the last quarter counted."""
    _check_ratio(share, "share", upper=1.0)
    if quarters < 1:
        raise ParameterError(f"quarters must be at least 1: {quarters!r}", field="quarters")
    if isinstance(base_premium, pd.Series) and valuation_quarter is not None:
        last = _quarter_index(valuation_quarter)
        idx = np.array([_quarter_index(q) for q in base_premium.index])
        window = (idx > last - quarters) & (idx <= last)
        total = float(_amounts(base_premium.to_numpy(dtype=np.float64)[window], "base_premium").sum())
    else:
        total = _amounts(base_premium, "base_premium")
    return share * total
