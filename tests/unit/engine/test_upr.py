"""UPR and earned premium: domain.md §3 worked numbers and the rules of design.md §4."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest

from reserving.engine.upr import (
    UPRInputError,
    cancellation_pro_rata_return,
    earned_premium,
    unearned_premium,
    upr_by,
)


def cents(x: float) -> Decimal:
    return Decimal(repr(float(x))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def row(kind, accounting, effective, gross, commission, *, expiry="2025-09-30", policy=1, **extra):
    return dict(policy_id=policy, kind=kind, accounting_date=accounting, effective_date=effective,
                expiry_date=expiry, gross_premium=gross, commission=commission, **extra)


def book(*rows) -> pd.DataFrame:
    df = pd.DataFrame(list(rows))
    for c in ("accounting_date", "effective_date", "expiry_date"):
        df[c] = pd.to_datetime(df[c])
    return df


ORIGINAL = row("original", "2024-10-01", "2024-10-01", 120_000.0, 12_000.0)
# domain.md §3: cancelled with effect from 2025-04-01, booked 2024-11-15, pro-rata return.
PRO_RATA_CANCEL = row("cancellation", "2024-11-15", "2025-04-01", -60_164.38, -6_016.44)


@pytest.mark.parametrize("method, expected", [("pro_rata", "80778.08"), ("1/24", "85500.00"), ("1/8", "94500.00")])
def test_worked_policy_upr_matches_domain_check(method, expected):
    assert cents(unearned_premium(book(ORIGINAL), "2024-12-31", method=method).sum()) == Decimal(expected)


def test_base_gross_ignores_commission():
    assert cents(unearned_premium(book(ORIGINAL), "2024-12-31", base="gross").sum()) == cents(120_000 * 273 / 365)


def test_pro_rata_cancellation_leaves_the_days_still_covered():
    tx = book(ORIGINAL, PRO_RATA_CANCEL)
    assert cents(unearned_premium(tx, "2024-12-31").sum()) == Decimal("26630.14")
    # 108,000 × 90/365: the days Jan–Mar still covered.
    assert cents(unearned_premium(tx, "2024-12-31").sum()) == cents(108_000 * 90 / 365)


def test_cancellation_pro_rata_return_is_computed_from_premium_in_force():
    split = cancellation_pro_rata_return(book(ORIGINAL, PRO_RATA_CANCEL))
    assert cents(split.loc[1, "pro_rata_gross"]) == Decimal("-60164.38")
    assert cents(split.loc[1, "pro_rata_commission"]) == Decimal("-6016.44")
    assert abs(split.loc[1, "short_rate_gross"]) < 0.01
    assert (split.loc[0] == 0).all()


def test_given_pro_rata_columns_are_used_without_policy_id():
    tx = book(ORIGINAL, dict(PRO_RATA_CANCEL, pro_rata_gross=-60_164.38, pro_rata_commission=-6_016.44))
    tx = tx.drop(columns="policy_id").assign(inception_date=pd.Timestamp("2024-10-01"))
    assert cents(unearned_premium(tx, "2024-12-31").sum()) == Decimal("26630.14")


@pytest.mark.parametrize("valuation", ["2025-03-31", "2025-04-01", "2025-06-30", "2025-09-30", "2026-03-31"])
def test_pro_rata_return_leaves_zero_upr_from_the_cancellation_date_on(valuation):
    assert abs(unearned_premium(book(ORIGINAL, PRO_RATA_CANCEL), valuation).sum()) < 0.005


def test_short_rate_difference_is_earned_on_the_accounting_date():
    # Return 50,000 gross / 5,000 commission instead of the pro-rata 60,164.38 / 6,016.44.
    short = row("cancellation", "2024-11-15", "2025-04-01", -50_000.0, -5_000.0)
    tx = book(ORIGINAL, short)
    pro_rata_base = 108_000 * 183 / 365
    penalty = pro_rata_base - 45_000
    # The UPR is that of a pro-rata cancellation: the penalty is not unearned.
    assert cents(unearned_premium(tx, "2024-12-31").sum()) == Decimal("26630.14")
    # Earned in November (the booking month) holds the whole penalty.
    november = earned_premium(tx, "2024-11-01", "2024-11-30").sum()
    assert november == pytest.approx(108_000 * 30 / 365 + penalty, abs=1e-6)
    october = earned_premium(tx, "2024-10-01", "2024-10-31").sum()
    assert october == pytest.approx(108_000 * 31 / 365, abs=1e-6)
    # Over the whole life the policy earns exactly its retained base.
    assert earned_premium(tx, "2024-01-01", "2026-12-31").sum() == pytest.approx(108_000 - 45_000, abs=1e-6)


def test_endorsement_earns_from_its_effective_date_to_expiry():
    endorsement = row("endorsement", "2024-12-20", "2025-01-01", 12_000.0, 1_200.0)
    tx = book(ORIGINAL, endorsement)
    per_row = unearned_premium(tx, "2024-12-31")
    assert per_row[1] == pytest.approx(10_800.0)  # not started yet: whole base (policy has incepted → net)
    per_row = unearned_premium(tx, "2025-03-31")
    assert per_row[1] == pytest.approx(10_800 * 183 / 273)
    assert per_row[0] == pytest.approx(108_000 * 183 / 365)


def test_premium_accounted_before_inception_is_unearned_at_gross():
    early = row("original", "2024-12-15", "2025-01-01", 120_000.0, 12_000.0, expiry="2025-12-31")
    assert unearned_premium(book(early), "2024-12-31").sum() == pytest.approx(120_000.0)
    assert unearned_premium(book(early), "2024-12-31", pre_inception_gross=False).sum() == pytest.approx(108_000.0)
    # Once the cover has started the base is net again.
    assert unearned_premium(book(early), "2025-01-01").sum() == pytest.approx(108_000 * 364 / 365)


def test_cancellation_booked_before_inception_zeroes_the_gross_upr():
    early = row("original", "2024-12-15", "2025-01-01", 120_000.0, 12_000.0, expiry="2025-12-31")
    flat = row("cancellation", "2024-12-20", "2025-01-01", -120_000.0, -12_000.0, expiry="2025-12-31")
    assert abs(unearned_premium(book(early, flat), "2024-12-31").sum()) < 1e-6


def test_transactions_accounted_after_valuation_are_not_in_the_upr():
    late = row("endorsement", "2025-01-10", "2024-12-01", 12_000.0, 1_200.0)
    per_row = unearned_premium(book(ORIGINAL, late), "2024-12-31")
    assert per_row[1] == 0.0
    assert per_row[0] == pytest.approx(80_778.0822, abs=1e-3)


@pytest.mark.parametrize("method", ["pro_rata", "1/24", "1/8"])
def test_earned_premium_of_a_cancelled_policy_never_goes_negative(method):
    for cancel in (PRO_RATA_CANCEL, row("cancellation", "2024-11-15", "2025-04-01", -50_000.0, -5_000.0)):
        tx = book(ORIGINAL, cancel)
        for q_start, q_end in [("2024-10-01", "2024-12-31"), ("2025-01-01", "2025-03-31"),
                               ("2025-04-01", "2025-06-30"), ("2025-07-01", "2025-09-30")]:
            earned = earned_premium(tx, q_start, q_end, method=method).sum()
            assert earned >= -1e-6, (method, q_start, earned)


def test_earned_premium_is_upr_roll_forward():
    endorsement = row("endorsement", "2025-02-10", "2025-02-01", 6_000.0, 600.0)
    tx = book(ORIGINAL, endorsement, PRO_RATA_CANCEL)
    opening = unearned_premium(tx, "2024-12-31", pre_inception_gross=False).sum()
    closing = unearned_premium(tx, "2025-03-31", pre_inception_gross=False).sum()
    written = (tx.gross_premium - tx.commission)[tx.accounting_date.between("2025-01-01", "2025-03-31")].sum()
    assert earned_premium(tx, "2025-01-01", "2025-03-31").sum() == pytest.approx(opening + written - closing)


def test_reversal_negates_the_row_it_reverses():
    original = dict(ORIGINAL, transaction_id="t1")
    endorsement = row("endorsement", "2024-12-20", "2025-01-01", 12_000.0, 1_200.0, transaction_id="t2")
    reversal = row("reversal", "2025-01-15", "2025-01-01", -12_000.0, -1_200.0, transaction_id="t3", reverses="t2")
    tx = book(original, endorsement, reversal)
    assert unearned_premium(tx, "2025-03-31").sum() == pytest.approx(108_000 * 183 / 365)


def test_reversal_of_a_cancellation_restores_the_policy_upr():
    original = dict(ORIGINAL, transaction_id="t1")
    cancel = dict(row("cancellation", "2024-11-15", "2025-04-01", -50_000.0, -5_000.0), transaction_id="t2")
    # The reversal carries no window of its own sense: it takes that of the row it reverses.
    reversal = row("reversal", "2025-05-15", "2000-01-01", 50_000.0, 5_000.0, expiry="2000-01-01",
                   transaction_id="t3", reverses="t2")
    tx = book(original, cancel, reversal)
    assert unearned_premium(tx, "2025-06-30").sum() == pytest.approx(108_000 * 92 / 365)
    whole_life = earned_premium(tx, "2024-01-01", "2026-12-31").sum()
    assert whole_life == pytest.approx(108_000)


def test_full_refund_of_a_running_policy_clamps_upr_to_zero_and_earned_to_nothing():
    refund = row("cancellation", "2024-11-15", "2025-04-01", -120_000.0, -12_000.0)
    tx = book(ORIGINAL, refund)
    assert unearned_premium(tx, "2024-12-31").sum() == pytest.approx(0.0, abs=1e-9)
    assert earned_premium(tx, "2024-01-01", "2026-12-31").sum() == pytest.approx(0.0, abs=1e-6)


def test_upr_by_groups_segment_and_currency():
    other = row("original", "2024-10-01", "2024-10-01", 240_000.0, 24_000.0, policy=2)
    tx = book(dict(ORIGINAL, segment="nurses", currency="RUB"), dict(other, segment="nurses", currency="USD"))
    grouped = upr_by(tx, "2024-12-31", ["segment", "currency"])
    assert grouped[("nurses", "RUB")] == pytest.approx(108_000 * 273 / 365)
    assert grouped[("nurses", "USD")] == pytest.approx(216_000 * 273 / 365)


def test_inputs_are_not_mutated():
    tx = book(ORIGINAL, PRO_RATA_CANCEL)
    before = tx.copy(deep=True)
    unearned_premium(tx, "2024-12-31", method="1/24")
    earned_premium(tx, "2024-10-01", "2024-12-31")
    pd.testing.assert_frame_equal(tx, before)


def test_string_dates_are_accepted():
    tx = pd.DataFrame([ORIGINAL])
    assert unearned_premium(tx, "2024-12-31").sum() == pytest.approx(108_000 * 273 / 365)


@pytest.mark.parametrize(
    "change, field",
    [
        (dict(kind="refund"), "kind"),
        (dict(expiry_date="2024-09-01"), "expiry_date"),
        (dict(gross_premium=np.nan), "gross_premium"),
        (dict(effective_date=None), "effective_date"),
    ],
)
def test_bad_rows_are_refused_naming_the_column(change, field):
    with pytest.raises(UPRInputError) as err:
        unearned_premium(pd.DataFrame([dict(ORIGINAL, **change)]), "2024-12-31")
    assert err.value.field == field
    assert field in str(err.value)


def test_unknown_method_and_base_are_refused():
    with pytest.raises(UPRInputError, match="method"):
        unearned_premium(book(ORIGINAL), "2024-12-31", method="1/365")
    with pytest.raises(UPRInputError, match="base"):
        unearned_premium(book(ORIGINAL), "2024-12-31", base="statutory")


def test_missing_column_is_refused():
    with pytest.raises(UPRInputError, match="commission"):
        unearned_premium(book(ORIGINAL).drop(columns="commission"), "2024-12-31")


def test_cancellation_without_policy_or_pro_rata_is_refused():
    tx = book(ORIGINAL, PRO_RATA_CANCEL).drop(columns="policy_id")
    with pytest.raises(UPRInputError, match="policy_id"):
        unearned_premium(tx, "2024-12-31")


def test_cancellation_booked_in_arrears_takes_back_premium_earned_before():
    # Effective 2024-12-01 but booked 2025-01-20: December's premium, earned in Q4, comes back in Q1.
    late = row("cancellation", "2025-01-20", "2024-12-01", -120_000.0 * 304 / 365, -12_000.0 * 304 / 365)
    tx = book(ORIGINAL, late)
    assert earned_premium(tx, "2024-10-01", "2024-12-31").sum() == pytest.approx(108_000 * 92 / 365)
    assert earned_premium(tx, "2025-01-01", "2025-03-31").sum() == pytest.approx(-108_000 * 31 / 365)
    assert unearned_premium(tx, "2025-03-31").sum() == pytest.approx(0.0, abs=1e-6)


def test_empty_book_has_no_upr():
    empty = book(ORIGINAL).iloc[:0]
    for method in ("pro_rata", "1/24", "1/8"):
        assert unearned_premium(empty, "2024-12-31", method=method).empty
    assert earned_premium(empty, "2024-10-01", "2024-12-31").empty


def test_dates_with_a_zone_count_by_their_local_date():
    tx = book(ORIGINAL)
    tx["effective_date"] = tx["effective_date"].dt.tz_localize("Europe/Moscow")
    assert unearned_premium(tx, "2024-12-31").sum() == pytest.approx(108_000 * 273 / 365)


def test_earned_by_period_is_the_per_period_rule_for_every_quarter_in_one_pass():
    from reserving.engine.upr import earned_by_period

    # one leap-year policy, 366 of net premium: a day's premium a day (Q1 91, Q2 91, Q3 92, Q4 92),
    # plus the domain.md cancellation on a second segment
    leap = dict(row("original", "2024-01-01", "2024-01-01", 400.0, 34.0, expiry="2024-12-31", policy=2), segment="b",
                currency="RUB")
    tx = book(dict(ORIGINAL, segment="a", currency="RUB"), dict(PRO_RATA_CANCEL, segment="a", currency="RUB"), leap)
    ends = ["2023-12-31", "2024-03-31", "2024-06-30", "2024-09-30", "2024-12-31", "2025-03-31"]
    out = earned_by_period(tx, ends, ["segment", "currency"])
    b = out[out.segment == "b"].set_index("period")["earned"]
    assert [round(b[e], 6) for e in ends[1:]] == [91.0, 91.0, 92.0, 92.0, 0.0]
    # every (segment, period) equals earned_premium on that period alone
    for start, end in zip(["2024-01-01", "2024-04-01", "2024-07-01", "2024-10-01", "2025-01-01"], ends[1:]):
        ref = earned_premium(tx, start, end).groupby([tx["segment"], tx["currency"]]).sum()
        got = out[out.period == end].set_index(["segment", "currency"])["earned"]
        for key, value in ref.items():
            assert got[key] == pytest.approx(value, abs=1e-9)
    with pytest.raises(UPRInputError):
        earned_by_period(tx, ["2024-03-31", "2023-12-31"], "segment")
