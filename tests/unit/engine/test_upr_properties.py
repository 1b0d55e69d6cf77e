"""UPR properties over generated books: bounded per policy, zero once cover is over, additive."""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.budget import examples

from reserving.engine.upr import earned_premium, unearned_premium

METHODS = ["pro_rata", "1/24", "1/8"]
DAY0 = date(2023, 1, 1)


@st.composite
def policy_rows(draw, policy_id: int, retroactive: bool = True):
    inception = DAY0 + timedelta(days=draw(st.integers(0, 700)))
    term = draw(st.integers(1, 730))
    expiry = inception + timedelta(days=term - 1)
    issued = inception + timedelta(days=draw(st.integers(-60, 30)))
    gross = float(draw(st.integers(1, 5_000_000))) / 100 * 100
    commission = round(gross * draw(st.sampled_from([0.0, 0.05, 0.1, 0.2])), 2)
    rows = [dict(policy_id=policy_id, kind="original", accounting_date=issued, effective_date=inception,
                 expiry_date=expiry, gross_premium=gross, commission=commission)]
    if term > 2 and draw(st.booleans()):
        offset = draw(st.integers(1, term - 1))
        extra = float(draw(st.integers(1, 1_000_000)))
        rows.append(dict(policy_id=policy_id, kind="endorsement",
                         accounting_date=inception + timedelta(days=draw(st.integers(0, offset))),
                         effective_date=inception + timedelta(days=offset), expiry_date=expiry,
                         gross_premium=extra, commission=round(extra * commission / gross, 2)))
    if term > 1 and draw(st.booleans()):
        offset = draw(st.integers(0, term - 1))
        effective = inception + timedelta(days=offset)
        booked = max(r["accounting_date"] for r in rows) + timedelta(days=draw(st.integers(0, 90)))
        if not retroactive:
            booked = min(booked, effective)
        in_force = sum(r["gross_premium"] * ((expiry - max(effective, r["effective_date"])).days + 1)
                       / ((expiry - r["effective_date"]).days + 1) for r in rows)
        in_force_commission = sum(r["commission"] * ((expiry - max(effective, r["effective_date"])).days + 1)
                                  / ((expiry - r["effective_date"]).days + 1) for r in rows)
        # Anything from a pro-rata return down to a heavy short-rate penalty.
        share = draw(st.sampled_from([1.0, 0.9, 0.5, 0.0]))
        rows.append(dict(policy_id=policy_id, kind="cancellation", accounting_date=booked,
                         effective_date=effective, expiry_date=expiry,
                         gross_premium=-round(in_force * share, 2),
                         commission=-round(in_force_commission * share, 2)))
    return rows


@st.composite
def books(draw, retroactive: bool = True):
    n = draw(st.integers(1, 6))
    rows = [r for p in range(n) for r in draw(policy_rows(p, retroactive))]
    df = pd.DataFrame(rows)
    for c in ("accounting_date", "effective_date", "expiry_date"):
        df[c] = pd.to_datetime(df[c])
    return df


valuations = st.integers(-30, 1500).map(lambda d: pd.Timestamp(DAY0 + timedelta(days=d)))
fast = settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(tx=books(), valuation=valuations, method=st.sampled_from(METHODS), gross_rule=st.booleans())
def test_upr_per_policy_is_never_negative_nor_above_its_base(tx, valuation, method, gross_rule):
    per_policy = unearned_premium(tx, valuation, method=method, pre_inception_gross=gross_rule).groupby(tx.policy_id).sum()
    booked = tx[tx.accounting_date <= valuation]
    base = (booked.gross_premium - booked.commission).groupby(booked.policy_id).sum()
    gross = booked.gross_premium.groupby(booked.policy_id).sum()
    cap = (gross if gross_rule else base).reindex(per_policy.index, fill_value=0.0)
    if gross_rule:
        cap = np.maximum(cap, base.reindex(per_policy.index, fill_value=0.0))
    tol = 1e-6 * (1 + cap.abs())
    assert (per_policy >= -tol).all()
    assert (per_policy <= cap + tol).all()


@fast
@given(tx=books(), method=st.sampled_from(METHODS), gross_rule=st.booleans())
def test_upr_of_fully_elapsed_cover_is_zero(tx, method, gross_rule):
    after_everything = max(tx.expiry_date.max(), tx.accounting_date.max())
    per_row = unearned_premium(tx, after_everything, method=method, pre_inception_gross=gross_rule)
    assert np.allclose(per_row.to_numpy(), 0.0, atol=1e-6)


@fast
@given(tx=books(), valuation=valuations, method=st.sampled_from(METHODS), gross_rule=st.booleans())
def test_upr_of_a_book_is_the_sum_of_its_policies(tx, valuation, method, gross_rule):
    whole = unearned_premium(tx, valuation, method=method, pre_inception_gross=gross_rule)
    parts = pd.concat([unearned_premium(part, valuation, method=method, pre_inception_gross=gross_rule)
                       for _, part in tx.groupby("policy_id")])
    assert whole.sum() == pytest.approx(parts.sum(), rel=1e-12, abs=1e-6)
    assert np.allclose(whole.sort_index().to_numpy(), parts.sort_index().to_numpy(), atol=1e-6)


def _book(*rows) -> pd.DataFrame:
    df = pd.DataFrame([dict(zip(("policy_id", "kind", "accounting_date", "effective_date", "expiry_date",
                                 "gross_premium", "commission"), r)) for r in rows])
    for c in ("accounting_date", "effective_date", "expiry_date"):
        df[c] = pd.to_datetime(df[c])
    return df


# CI failed on this draw (hypothesis's shrunk case): premium 1.00 for 2023-01-01…03, cancelled
# from the 2nd, booked that day, returning 0.67 where pro rata is 2/3 = 0.6667. The first day
# earned 0.3333 before the cancellation existed; the policy keeps 0.33 in all; so the later
# period earns 0.33 − 0.3333 = −0.0033, the cent rounding of the return. That is right.
ROUNDED_UP_RETURN = _book((0, "original", "2023-01-01", "2023-01-01", "2023-01-03", 1.00, 0.0),
                          (0, "cancellation", "2023-01-02", "2023-01-02", "2023-01-03", -0.67, -0.0))
# The month methods earn a policy incepting on 28 April half a month by the 30th (1/24 assumes
# mid-month inception); its exact pro-rata return from 1 May (27 of 30 days) is more than the
# 1/24 UPR then held, so May onwards earns 2.70 − 13.50 = −10.80. Also right.
MONTH_METHOD_AHEAD = _book((0, "original", "2023-04-28", "2023-04-28", "2023-05-27", 30.0, 3.0),
                           (0, "cancellation", "2023-05-01", "2023-05-01", "2023-05-27", -27.0, -2.7))


@fast
@given(tx=books(retroactive=False), method=st.sampled_from(METHODS), cut=st.integers(0, 1500))
@example(tx=ROUNDED_UP_RETURN, method="pro_rata", cut=0)
@example(tx=MONTH_METHOD_AHEAD, method="1/24", cut=119)
def test_earned_premium_of_adjacent_periods_adds_up_and_is_never_negative(tx, method, cut):
    # Only cancellations booked by their effective date: one booked in arrears takes back premium
    # already earned in an earlier period, and that is the right accounting. A period's earned
    # premium is E(end) − E(start − 1), E = base booked − UPR, and a return lowers E wherever it
    # exceeds the UPR still held; so "never negative" holds only for pro rata (the UPR is then
    # the premium of the days given back) and only up to the cent: the generator's returns are
    # rounded, half a cent of gross and half a cent of commission per cancellation at most (the
    # engine earns that difference at once, on the cancellation's accounting date). The month
    # methods can hold less than the pro-rata return (MONTH_METHOD_AHEAD): additivity only.
    first, last = pd.Timestamp("2022-01-01"), pd.Timestamp("2027-12-31")
    middle = pd.Timestamp(DAY0 + timedelta(days=cut))
    whole = earned_premium(tx, first, last, method=method)
    split = earned_premium(tx, first, middle, method=method) + earned_premium(tx, middle + pd.Timedelta(days=1), last, method=method)
    assert np.allclose(whole.to_numpy(), split.to_numpy(), atol=1e-6)
    per_policy = earned_premium(tx, middle + pd.Timedelta(days=1), last, method=method).groupby(tx.policy_id).sum()
    base = (tx.gross_premium - tx.commission).groupby(tx.policy_id).sum()
    rounding = 0.01 * (tx.kind == "cancellation").groupby(tx.policy_id).sum()
    if method == "pro_rata":
        assert (per_policy >= -rounding - 1e-6 * (1 + base.abs())).all()


@fast
@given(tx=books(), valuation=valuations)
def test_pro_rata_upr_equals_the_row_by_row_reference(tx, valuation):
    from benchmarks.bench_upr import naive_upr

    reference = pd.Series(naive_upr(tx, valuation.date()), index=tx.index)
    engine = unearned_premium(tx, valuation)
    # The reference has no per-policy clamp: compare the policies it leaves within their bounds.
    booked = tx.accounting_date <= valuation
    cap = ((tx.gross_premium - tx.commission).where(booked, 0.0)).groupby(tx.policy_id).sum()
    gross_cap = tx.gross_premium.where(booked, 0.0).groupby(tx.policy_id).sum()
    not_started = tx.effective_date.groupby(tx.policy_id).min() > valuation
    cap = gross_cap.where(not_started, cap)
    per_policy = reference.groupby(tx.policy_id).sum()
    inside = per_policy[(per_policy >= -1e-9) & (per_policy <= cap + 1e-9)].index
    rows = tx.policy_id.isin(inside)
    assert np.allclose(engine[rows].to_numpy(), reference[rows].to_numpy(), rtol=1e-12, atol=1e-6)
