"""Claims of the demo book and their full ledger, from report to final close, as arrays.

Every claim's whole future is drawn (ultimate indemnity and expense, dates of reviews,
settlement, recovery, reopening); its ledger is then laid out from a fixed template of steps,
each step a vector over the claims that have it. The template keeps the ledger rules by
construction: each payment is preceded by a reserve row that makes the outstanding estimate of
its cost type at least the payment; indemnity stays within the per-claim limit and the policy's
aggregate; recoveries come after the payment they recover; a reversal names an earlier row.
The writer later keeps only the rows known at the end date.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from exchange.demo import params as P
from exchange.demo.calendar import year_of
from exchange.demo.policies import PROFESSION_GROUP

CLAIM_KINDS = ("reserve", "payment", "recovery", "close", "reopen", "reversal")
RESERVE, PAYMENT, RECOVERY, CLOSE, REOPEN, REVERSAL = range(6)
COST_TYPES = ("indemnity", "expense", "")
INDEMNITY, EXPENSE, NO_COST = range(3)
# reserve estimates are round figures: RUB 1,000; IRR 1,000,000 rials
ESTIMATE_UNIT = np.array([100_000, 1_000_000], dtype=np.int64)
CAUSES = np.array([
    "wrong diagnosis", "medication error", "treatment error", "birth injury", "surgical complication",
    "hospital-acquired infection", "anaesthesia complication", "fall of a patient", "delayed treatment",
    "equipment misuse", "dental treatment error", "wrong test result",
], dtype=object)


def _lognormal(rng, median, sigma, n):
    return np.asarray(median) * np.exp(sigma * rng.standard_normal(n))


def claims_generate(rng: np.random.Generator, pol: pd.DataFrame, *, end: int, adequacy_phase: float):
    """All claims occurring on or before the end date on the book's policies, reported or not.
    `adequacy_phase` (0–1) is where the case-reserve adequacy cycle stands in ADEQUACY_EPOCH_YEAR.
    Returns (claims DataFrame, full ledger DataFrame)."""
    claims = _claim_events(rng, pol, end=end)
    claims = _claim_costs(rng, claims, pol)
    ledger = _ledger(rng, claims, end, adequacy_phase)
    return claims, ledger


def _claim_events(rng, pol: pd.DataFrame, *, end: int) -> pd.DataFrame:
    seg = pol["segment"].to_numpy()
    inception, cover_end = pol["inception"].to_numpy(), pol["cover_end"].to_numpy()
    cover_days = np.maximum(cover_end - inception + 1, 0)
    group = PROFESSION_GROUP[pol["profession"].to_numpy()]
    freq = np.array([0.0] + [P.FREQUENCY[g] for g in (1, 2, 3, 4)])[group]
    years_since_retro = np.where(seg == 1, (inception - pol["retro"].to_numpy()) / 365.25, 0.0)
    maturity = np.minimum(P.CM_MATURITY_BASE + P.CM_MATURITY_STEP * years_since_retro, 1.0)
    lam = freq * cover_days / 365.0 * np.where(
        seg == 1, P.CLINIC_FREQUENCY_PER_HEAD * pol["headcount"].to_numpy() * maturity, 1.0)
    count = rng.poisson(lam)
    p = np.repeat(np.arange(len(pol)), count)
    n = len(p)
    u = rng.random(n)
    in_window = inception[p] + np.floor(u * cover_days[p]).astype(np.int64)
    occurrence_basis = seg[p] == 0
    # occurrence cover: harm in the window, reported after a lognormal delay with a long tail
    fast = rng.random(n) < P.REPORT_FAST_SHARE
    delay_years = np.where(fast, _lognormal(rng, P.REPORT_FAST_MEDIAN, P.REPORT_FAST_SIGMA, n),
                           _lognormal(rng, P.REPORT_DELAY_MEDIAN, P.REPORT_DELAY_SIGMA, n))
    delay = np.rint(delay_years * 365.25).astype(np.int64)
    # claims-made cover: reported in the window, harm some time before, not before the retro date
    retro = pol["retro"].to_numpy()[p]
    lag = np.rint(rng.exponential(P.CM_OCCURRENCE_LAG_DAYS, n)).astype(np.int64)
    room = in_window - retro
    lag = np.where(lag > room, np.floor(rng.random(n) * (room + 1)).astype(np.int64), lag)
    occurrence = np.where(occurrence_basis, in_window, in_window - lag)
    report = np.where(occurrence_basis, in_window + delay, in_window)
    keep = occurrence <= end
    claims = pd.DataFrame(dict(policy=p[keep], occurrence=occurrence[keep], report=report[keep]))
    claims["draw"] = np.arange(len(claims))
    claims = claims.sort_values(["report", "policy", "occurrence", "draw"], kind="stable").reset_index(drop=True)
    return claims.drop(columns="draw")


def _claim_costs(rng, claims: pd.DataFrame, pol: pd.DataFrame) -> pd.DataFrame:
    """Ultimate indemnity (the insurer's share after deductible and limits) and expense."""
    n = len(claims)
    p = claims["policy"].to_numpy()
    ref = pol["reference"].to_numpy()[p].astype(float)
    litigated = rng.random(n) < P.LITIGATED_SHARE
    no_indemnity = rng.random(n) < P.NO_INDEMNITY_SHARE
    ground_up = ref * _lognormal(rng, P.SEVERITY_MEDIAN, P.SEVERITY_SIGMA, n) * np.where(
        litigated, P.LITIGATED_SEVERITY, 1.0)
    ground_up = np.where(no_indemnity, 0.0, ground_up)
    ded_amount = pol["deductible_amount"].to_numpy()[p]
    ded_percent = pol["deductible_percent"].to_numpy()[p]
    deductible = np.maximum(np.where(ded_amount >= 0, ded_amount, 0),
                            np.where(ded_percent >= 0, ground_up * ded_percent / 100.0, 0.0))
    share = np.maximum(ground_up - deductible, 0.0)
    reopened = rng.random(n) < P.REOPEN_SHARE
    reopen_indemnity = reopened & (share > 0) & (rng.random(n) < P.REOPEN_INDEMNITY_SHARE)
    extra = np.where(reopen_indemnity, ref * _lognormal(rng, P.SEVERITY_MEDIAN / 2, 0.8, n), 0.0)
    # the per-claim limit caps indemnity over the claim's life, the aggregate over the policy's claims
    total = np.minimum(np.rint(share + extra), pol["limit_per_claim"].to_numpy()[p]).astype(np.int64)
    order = np.lexsort((claims.index.to_numpy(), p))
    before = np.zeros(n, dtype=np.int64)
    cum = np.cumsum(total[order])
    first_of_policy = np.r_[True, p[order][1:] != p[order][:-1]]
    start_cum = np.maximum.accumulate(np.where(first_of_policy, cum - total[order], 0))
    before[order] = cum - total[order] - start_cum
    room = np.maximum(pol["aggregate_limit"].to_numpy()[p] - before, 0)
    total = np.minimum(total, room)
    first = np.minimum(np.rint(share).astype(np.int64), total)
    claims["indemnity"] = first
    claims["reopen_indemnity"] = total - first
    expense = ref * _lognormal(rng, P.EXPENSE_MEDIAN, P.EXPENSE_SIGMA, n) * np.where(litigated, P.LITIGATED_EXPENSE, 1.0)
    expense = np.where(rng.random(n) < P.NO_EXPENSE_SHARE, 0.0, expense)
    claims["expense"] = np.rint(expense).astype(np.int64)
    claims["reopen_expense"] = np.where(reopened, np.rint(ref * _lognormal(rng, P.EXPENSE_MEDIAN / 2, 0.6, n)), 0
                                        ).astype(np.int64)
    claims["litigated"] = litigated
    claims["reopened"] = reopened
    claims["reference"] = ref
    claims["currency"] = pol["currency"].to_numpy()[p]
    claims["segment"] = pol["segment"].to_numpy()[p]
    claims["cause"] = CAUSES[rng.integers(0, len(CAUSES), n)]
    return claims


def _round_estimate(x, unit):
    return (np.ceil(np.asarray(x, dtype=float) / unit) * unit).astype(np.int64)


def adequacy(days, phase: float) -> np.ndarray:
    """The claims department's reserving strength in the calendar year of `days`: a factor on
    every indemnity estimate set that year. It cycles (ADEQUACY_CYCLE_YEARS) from `phase` in
    ADEQUACY_EPOCH_YEAR, so case reserves run high for some years (incurred overshoots and comes
    down) and low for others (incurred creeps up), along the calendar as a reserving philosophy
    does, and an incurred chain ladder sees the change on its diagonals."""
    cycle = phase + (year_of(days) - P.ADEQUACY_EPOCH_YEAR) / P.ADEQUACY_CYCLE_YEARS
    return np.exp(P.ADEQUACY_AMPLITUDE * np.sin(2 * np.pi * cycle))


def _ledger(rng, c: pd.DataFrame, end: int, adequacy_phase: float) -> pd.DataFrame:
    n = len(c)
    R = c["report"].to_numpy()
    lit = c["litigated"].to_numpy().astype(np.int64)
    I, E = c["indemnity"].to_numpy(), c["expense"].to_numpy()
    A, E2 = c["reopen_indemnity"].to_numpy(), c["reopen_expense"].to_numpy()
    unit = ESTIMATE_UNIT[c["currency"].to_numpy()]
    has_ind = I > 0

    settle_years = _lognormal(rng, np.asarray(P.SETTLE_MEDIAN)[lit], np.asarray(P.SETTLE_SIGMA)[lit], n)
    # claims that close without indemnity are mostly dropped sooner
    settle_years = np.where(has_ind, settle_years, settle_years * 0.7)
    S = R + np.maximum(np.rint(settle_years * 365.25).astype(np.int64), 45)
    t1 = R + np.rint(0.30 * (S - R)).astype(np.int64)
    t2 = R + np.rint(0.65 * (S - R)).astype(np.int64)

    # indemnity: estimate of the claim's total, converging to the ultimate at settlement
    m0 = _lognormal(rng, P.INITIAL_ESTIMATE_MEDIAN, P.INITIAL_ESTIMATE_SIGMA, n)
    (pw1, f1), (pw2, f2) = P.REVIEW_ESTIMATE
    m1 = m0**pw1 * _lognormal(rng, f1, 0.15, n)
    m2 = m0**pw2 * _lognormal(rng, f2, 0.10, n)
    # the reserving strength of the year each estimate is set in
    m0 = m0 * adequacy(R, adequacy_phase)
    m1 = m1 * adequacy(t1, adequacy_phase)
    m2 = m2 * adequacy(t2, adequacy_phase)
    nil_reserve = c["reference"].to_numpy() * _lognormal(rng, P.NO_INDEMNITY_RESERVE_MEDIAN, 0.8, n)
    est0 = _round_estimate(np.where(has_ind, I * m0, nil_reserve), unit)
    est1 = _round_estimate(np.where(has_ind, I * m1, nil_reserve * rng.uniform(0.3, 1.2, n)), unit)
    est2 = _round_estimate(np.where(has_ind, I * m2, nil_reserve * rng.uniform(0.0, 1.0, n)), unit)
    partial = has_ind & (rng.random(n) < P.PARTIAL_PAYMENT_SHARE)
    p_amt = np.where(partial, np.rint(I * rng.uniform(0.2, 0.6, n)).astype(np.int64), 0)
    est2 = np.maximum(est2, p_amt)
    final_pay = np.where(has_ind, I - p_amt, 0)

    # expense (defence costs): billed at each review and at settlement
    w1, w2 = rng.uniform(0.05, 0.25, n), rng.uniform(0.15, 0.35, n)
    x1 = np.rint(E * w1).astype(np.int64)
    x2 = np.rint(E * w2).astype(np.int64)
    x3 = E - x1 - x2
    k0 = _lognormal(rng, 0.8, 0.5, n)
    eest0 = np.where(E > 0, _round_estimate(E * k0, unit), 0)
    eest1 = np.where(E > 0, np.maximum(_round_estimate(E * k0**0.6 * _lognormal(rng, 1, 0.1, n), unit), x1), 0)
    eest2 = np.where(E > 0, np.maximum(_round_estimate(E * k0**0.3 * _lognormal(rng, 1, 0.1, n), unit), x1 + x2), 0)

    # a payment posted, reversed as an error, and posted again
    pay_reversed = (final_pay > 0) & (rng.random(n) < P.PAYMENT_REVERSAL_SHARE)
    d = np.where(pay_reversed, rng.integers(0, 21, n), 0)
    # a reserve change booked twice, the duplicate reversed
    dup = (est1 > est0) & (rng.random(n) < P.RESERVE_REVERSAL_SHARE)
    td = t1 + np.floor(rng.random(n) * (t2 - t1 + 1)).astype(np.int64)
    C = S + d + rng.integers(0, 31, n)
    recovered = has_ind & (rng.random(n) < P.RECOVERY_SHARE)
    rec_amt = np.where(recovered, np.rint(I * rng.uniform(0.1, 0.5, n)).astype(np.int64), 0)
    Rc = C + rng.integers(30, 721, n)
    reopened = c["reopened"].to_numpy()
    O = C + rng.integers(60, 901, n)
    O2 = O + rng.integers(90, 721, n)
    er0 = np.where(E2 > 0, _round_estimate(E2 * rng.uniform(0.8, 1.5, n), unit), 0)

    allc = np.ones(n, dtype=bool)
    steps = []

    def add(mask, date, step, kind, cost, amount, reverses=-1, derived=False):
        amount = np.broadcast_to(np.asarray(amount, dtype=np.int64), (n,))
        if kind in (RESERVE, PAYMENT, RECOVERY):
            mask = mask & (amount != 0)
        i = np.flatnonzero(mask)
        steps.append(pd.DataFrame(dict(
            claim=i, date=np.broadcast_to(date, (n,))[i], step=step, kind=kind, cost=cost, amount=amount[i],
            reverses=reverses, derived=derived)))

    add(allc, R, 0, RESERVE, INDEMNITY, est0)
    add(allc, R, 1, RESERVE, EXPENSE, eest0)
    add(allc, t1, 10, RESERVE, INDEMNITY, est1 - est0)
    add(dup, t1, 11, RESERVE, INDEMNITY, est1 - est0)
    add(allc, t1, 12, RESERVE, EXPENSE, eest1 - eest0)
    add(allc, t1, 13, PAYMENT, EXPENSE, x1)
    add(dup, td, 14, REVERSAL, INDEMNITY, -(est1 - est0), reverses=11)
    add(allc, t2, 20, RESERVE, INDEMNITY, est2 - est1)
    add(allc, t2, 21, PAYMENT, INDEMNITY, p_amt)
    add(allc, t2, 22, RESERVE, EXPENSE, eest2 - eest1)
    add(allc, t2, 23, PAYMENT, EXPENSE, x2)
    add(has_ind, S, 30, RESERVE, INDEMNITY, I - est2)
    add(has_ind, S, 31, PAYMENT, INDEMNITY, final_pay)
    add(allc, S, 32, RESERVE, EXPENSE, E - eest2)
    add(allc, S, 33, PAYMENT, EXPENSE, x3)
    add(pay_reversed, S + d, 34, REVERSAL, INDEMNITY, -final_pay, reverses=31)
    add(pay_reversed, S + d, 35, PAYMENT, INDEMNITY, final_pay)
    # the system's reserve release of a close (not exported; the import re-creates it)
    add(~has_ind, C, 39, RESERVE, INDEMNITY, -est2, derived=True)
    add(allc, C, 40, CLOSE, NO_COST, 0)
    add(recovered, Rc, 50, RECOVERY, INDEMNITY, rec_amt)
    add(reopened, O, 60, REOPEN, NO_COST, 0)
    add(reopened, O, 61, RESERVE, INDEMNITY, A)
    add(reopened, O, 62, RESERVE, EXPENSE, er0)
    add(reopened, O2, 70, RESERVE, EXPENSE, E2 - er0)
    add(reopened, O2, 71, PAYMENT, INDEMNITY, A)
    add(reopened, O2, 72, PAYMENT, EXPENSE, E2)
    add(reopened, O2, 73, CLOSE, NO_COST, 0)

    ledger = pd.concat(steps, ignore_index=True)
    ledger["effect"] = ledger["kind"]
    rev = ledger["kind"].to_numpy() == REVERSAL
    ledger.loc[rev, "effect"] = np.where(ledger.loc[rev, "reverses"].to_numpy() == 31, PAYMENT, RESERVE)
    ledger = ledger.sort_values(["claim", "date", "step"], kind="stable").reset_index(drop=True)
    # derived rows are the system's, not the file's: they get no transaction number
    derived = ledger["derived"].to_numpy()
    seq = np.zeros(len(ledger), dtype=np.int64)
    seq[~derived] = ledger.loc[~derived].groupby("claim").cumcount().to_numpy() + 1
    ledger["seq"] = seq
    # point each reversal at the sequence number of the row it reverses
    key = ledger[["claim", "step", "seq"]].rename(columns={"step": "reverses", "seq": "reverses_seq"})
    ledger = ledger.merge(key, on=["claim", "reverses"], how="left")
    ledger["reverses_seq"] = ledger["reverses_seq"].fillna(0).astype(np.int64)
    # recorded_at (seconds since the epoch, business time): the accounting day, some rows a few
    # days late but never after the end date, and never before an earlier row of the same claim
    m = len(ledger)
    day = ledger["date"].to_numpy()
    lag = np.where(rng.random(m) < P.LATE_RECORDING_SHARE, rng.integers(1, 6, m), 0)
    recorded = np.minimum(day + lag, np.maximum(day, end)) * 86400 + rng.integers(9 * 3600, 19 * 3600, m)
    ledger["recorded"] = pd.Series(recorded).groupby(ledger["claim"].to_numpy()).cummax().to_numpy()
    return ledger
