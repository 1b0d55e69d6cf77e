"""The claim ledgers of a book checked a whole file at a time (numpy), for the claims where that
is exact; the rest are replayed row by row through claims/rules.ClaimLedgerState.

A claim is screened here when every row of it is a reserve, payment, recovery or close of a
book claim on a book policy, and none names a row in `reverses`: then the state machine of
ClaimLedgerState reduces to running sums per claim and cost type (outstanding = Σreserve −
Σpayment, paid = Σpayment − Σrecovery, limit usage per claim and per policy), whose every
prefix the rules bound, and a close posts each non-zero outstanding back to zero. Amounts are
exact integers of hundredths. If any row of a screened claim would be refused — or the claim
shares a policy (and so its aggregate limit) with a claim that is not screened — every claim of
that policy goes to the replay instead, which words the refusal exactly as before. A valid
book, the case that must be fast, never reaches the replay except for its reversals and
reopenings.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from exchange.bookio import format as fmt

SCREENED_KINDS = ("reserve", "payment", "recovery", "close")
NO_LIMIT = np.iinfo(np.int64).max
_CENTS_MAX = 10 ** 17  # |amount| in hundredths below this: sums of a claim stay far from 2**63


@dataclass
class Screened:
    """The rows the screen accepted (`rows`, positions in the file) and what they emit."""

    rows: np.ndarray  # file positions of accepted rows
    derived_source: np.ndarray  # file position of the close each derived row belongs to
    derived_cost_type: np.ndarray  # object: "indemnity" / "expense"
    derived_cents: np.ndarray  # int64: the reserve change (negative outstanding)
    closed_claims: np.ndarray  # claim positions whose ledger ends closed


def cents(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Decimal strings (already shape-checked) → (int64 hundredths, ok); ok is False for empty
    values, more than two places or magnitudes the screen does not take."""
    codes, uniques = pd.factorize(values)
    out = np.zeros(len(uniques), dtype=np.int64)
    ok = np.zeros(len(uniques), dtype=bool)
    for k, v in enumerate(uniques.tolist()):
        if not v:
            continue
        try:
            d = Decimal(v).scaleb(2)
        except ArithmeticError:  # a value the typer refused (its row is declined anyway)
            continue
        if d.is_finite() and d == d.to_integral_value() and abs(d) < _CENTS_MAX:
            out[k] = int(d)
            ok[k] = True
    if not len(uniques):
        return np.zeros(len(codes), np.int64), np.zeros(len(codes), bool)
    missing = codes < 0  # NaN: never in a typed column, declined all the same
    codes = np.maximum(codes, 0)
    return np.where(missing, 0, out[codes]), ~missing & ok[codes]


def _code(values: pd.Series, names: tuple[str, ...]) -> np.ndarray:
    """Position of each value in `names`, -1 for any other: by the distinct values, without a
    Python string per row."""
    codes, uniques = pd.factorize(values)
    lookup = np.array([names.index(v) if v in names else -1 for v in uniques.tolist()] + [-1], dtype=np.int64)
    return lookup[codes]  # a missing value's code -1 takes the trailing -1


def _group_cumsum(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Inclusive running sum of `values` within each group, rows taken in their given order."""
    if not len(values):
        return values.copy()
    idx = np.argsort(groups, kind="stable")
    v = values[idx]
    g = groups[idx]
    total = np.cumsum(v)
    start = np.r_[True, g[1:] != g[:-1]]
    first = np.maximum.accumulate(np.where(start, np.arange(len(v)), 0))
    base = total[first] - v[first]
    out = np.empty_like(total)
    out[idx] = total - base
    return out


def ledger_screen(*, order: np.ndarray, bad: np.ndarray, claim: np.ndarray, kind: pd.Series,
                  cost_type: pd.Series, amount: pd.Series, reverses: pd.Series,
                  accounting: np.ndarray, report: np.ndarray, claim_policy: np.ndarray,
                  places: np.ndarray, limit_per_claim: np.ndarray, aggregate_limit: np.ndarray,
                  within: np.ndarray, allow_topup: bool, declined: np.ndarray | None = None) -> Screened:
    """Screen the claim rows (see module doc). `claim` is each row's claim position (-1: not a
    claim of the book); per claim: `report` date, `claim_policy` (a book policy's position, -1
    for one in the database) and its policy's minor-unit places, limits in hundredths
    (NO_LIMIT for none) and expenses_within_limits. `order` is the booking order (accounting
    date, line)."""
    n = len(order)
    empty = Screened(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, object), np.zeros(0, np.int64),
                     np.zeros(0, np.int64))
    n_claims = len(report)
    if n == 0 or n_claims == 0 or allow_topup:  # top-ups interleave reserve rows: the replay posts them
        return empty
    kcode = _code(kind, SCREENED_KINDS)
    ctcode = _code(cost_type, fmt.COST_TYPES)
    amt, amt_ok = cents(amount)
    row_policy = np.where(claim >= 0, claim_policy[np.maximum(claim, 0)] if n_claims else -1, -1)

    # Claims the screen declines outright: a row it does not model, or a policy in the database.
    decline_row = (bad | (claim < 0) | (kcode < 0) | (reverses != "").to_numpy() | (row_policy < 0))
    claim_declined = np.zeros(n_claims, dtype=bool) if declined is None else declined.copy()
    claim_declined[claim[decline_row & (claim >= 0)]] = True

    # Rows in booking order; every quantity below is per row in that order.
    o = order
    c = claim[o]
    k = kcode[o]
    ct = ctcode[o]
    a = amt[o]
    p = row_policy[o]
    valid = ~decline_row[o]
    cc = np.maximum(c, 0)
    is_res, is_pay, is_rec, is_close = (k == 0), (k == 1), (k == 2), (k == 3)
    amount_kind = is_res | is_pay | is_rec
    violation = np.zeros(n, dtype=bool)
    # before the report date
    violation |= accounting[o] < report[cc] if n_claims else False
    # amount rows: a cost type, an amount in hundredths, one the currency's minor unit allows
    unit = np.where(places[cc] == 0, 100, 1) if n_claims else np.ones(n, np.int64)
    violation |= amount_kind & ((ct < 0) | ~amt_ok[o] | (a % unit != 0))
    violation |= (is_pay | is_rec) & (a <= 0)
    # status: nothing but recoveries after a close (no reopen is screened)
    closes_before = _group_cumsum(is_close.astype(np.int64), c) - is_close
    violation |= (is_res | is_pay | is_close) & (closes_before > 0)
    # outstanding and paid per cost type, limits per claim and per policy
    outstanding_at_close = []
    for code in range(len(fmt.COST_TYPES)):
        mine = ct == code
        change = np.where(mine & is_res, a, 0) - np.where(mine & is_pay, a, 0)
        outstanding = _group_cumsum(change, c)
        violation |= mine & (is_res | is_pay) & (outstanding < 0)
        paid = _group_cumsum(np.where(mine & is_pay, a, 0) - np.where(mine & is_rec, a, 0), c)
        violation |= mine & is_rec & (paid < 0)
        outstanding_at_close.append(np.where(is_close, outstanding, 0))
    if n_claims:
        counts = is_pay & ((ct == 0) | ((ct == 1) & within[cc]))
        used = np.where(counts, a, 0)
        violation |= counts & (_group_cumsum(used, c) > limit_per_claim[cc])
        violation |= counts & (_group_cumsum(used, p) > aggregate_limit[cc])

    claim_declined[c[violation & valid & (c >= 0)]] = True
    # A declined claim takes every claim of its policy with it (the aggregate limit is shared).
    policy_declined = np.unique(claim_policy[claim_declined & (claim_policy >= 0)]) if n_claims else []
    if len(policy_declined):
        claim_declined |= np.isin(claim_policy, policy_declined)
    accepted = valid & ~claim_declined[cc]
    rows = o[accepted]

    derived_source, derived_ct, derived_cents = [], [], []
    for code, name in enumerate(fmt.COST_TYPES):
        left = outstanding_at_close[code]
        hit = accepted & is_close & (left != 0)
        derived_source.append(o[hit])
        derived_ct.append(np.full(int(hit.sum()), name, dtype=object))
        derived_cents.append(-left[hit])
    closed = np.unique(c[accepted & is_close])
    return Screened(rows, np.concatenate(derived_source), np.concatenate(derived_ct),
                    np.concatenate(derived_cents), closed)


def cents_text(values: np.ndarray) -> list[str]:
    """Hundredths → decimal strings with two places ("-12000.00")."""
    out = []
    for v in values.tolist():
        sign = "-" if v < 0 else ""
        whole, frac = divmod(abs(v), 100)
        out.append(f"{sign}{whole}.{frac:02d}")
    return out
