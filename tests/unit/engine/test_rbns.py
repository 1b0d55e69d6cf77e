"""RBNS from claim-ledger rows: domain.md §3's РЗУ check and the ledger rules of design.md §4."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.budget import examples

from reserving.engine.rbns import RBNSInputError, reported_not_settled, rbns_by_claim, ulae_three_percent


def ledger(*rows, **common) -> pd.DataFrame:
    base = dict(claim_id="C1", report_date="2024-02-10", cost_type="indemnity", segment="nurses", currency="RUB")
    base.update(common)
    return pd.DataFrame([{**base, **r} for r in rows])


def r(kind, accounting, amount=None, **extra):
    return dict(kind=kind, accounting_date=accounting, amount=amount, **extra)


WORKED = ledger(r("reserve", "2024-02-10", 150_000.0), r("reserve", "2024-05-01", 350_000.0),
                r("payment", "2024-06-20", 200_000.0))


def test_worked_rzu_check_rbns_300000_and_with_ulae_309000():
    reserve = reported_not_settled(WORKED, "2024-06-30")
    assert reserve == pytest.approx(300_000.0)
    assert reserve + ulae_three_percent(reserve) == pytest.approx(309_000.0)


def test_rows_accounted_after_valuation_are_not_seen():
    assert reported_not_settled(WORKED, "2024-03-31") == pytest.approx(150_000.0)
    assert reported_not_settled(WORKED, "2024-05-31") == pytest.approx(500_000.0)


def test_claims_reported_after_valuation_are_not_rbns():
    late = ledger(r("reserve", "2024-07-05", 80_000.0), claim_id="C2", report_date="2024-07-05")
    both = pd.concat([WORKED, late], ignore_index=True)
    assert reported_not_settled(both, "2024-06-30") == pytest.approx(300_000.0)
    assert reported_not_settled(both, "2024-09-30") == pytest.approx(380_000.0)


def test_recoveries_reduce_paid_but_not_the_case_reserve():
    tx = pd.concat([WORKED, ledger(r("recovery", "2024-06-25", 30_000.0))], ignore_index=True)
    per_claim = rbns_by_claim(tx, "2024-06-30")
    assert per_claim.loc["C1", "outstanding"] == pytest.approx(300_000.0)
    assert per_claim.loc["C1", "paid"] == pytest.approx(170_000.0)
    assert per_claim.loc["C1", "incurred"] == pytest.approx(470_000.0)


def test_close_with_its_derived_reserve_change_leaves_nothing_outstanding():
    tx = pd.concat([WORKED, ledger(r("payment", "2024-08-01", 250_000.0), r("reserve", "2024-08-02", -50_000.0),
                                   r("close", "2024-08-02", None, cost_type=None))], ignore_index=True)
    assert reported_not_settled(tx, "2024-09-30") == 0.0


def test_overpayment_is_floored_at_zero_per_cost_type():
    tx = ledger(r("reserve", "2024-03-01", 100_000.0), r("payment", "2024-03-10", 130_000.0),
                r("reserve", "2024-03-01", 40_000.0, cost_type="expense"))
    per_claim = rbns_by_claim(tx, "2024-03-31")
    # Indemnity is overpaid by 30,000; that does not eat the expense reserve.
    assert per_claim.loc["C1", "outstanding"] == pytest.approx(40_000.0)


def test_reversal_negates_the_row_it_reverses():
    tx = ledger(r("reserve", "2024-03-01", 100_000.0, transaction_id="t1"),
                r("payment", "2024-03-10", 60_000.0, transaction_id="t2"),
                r("reversal", "2024-04-02", -60_000.0, transaction_id="t3", reverses="t2"))
    assert reported_not_settled(tx, "2024-03-31") == pytest.approx(40_000.0)
    assert reported_not_settled(tx, "2024-06-30") == pytest.approx(100_000.0)
    by_kind = tx.drop(columns=["transaction_id", "reverses"]).assign(reverses_kind=[None, None, "payment"])
    assert reported_not_settled(by_kind, "2024-06-30") == pytest.approx(100_000.0)


def test_cut_off_hides_rows_recorded_later():
    tx = WORKED.assign(recorded_at=["2024-02-10T10:00:00+03:00", "2024-05-01T10:00:00+03:00", "2024-07-15T09:00:00+03:00"])
    assert reported_not_settled(tx, "2024-06-30", cut_off=pd.Timestamp("2024-07-01T00:00:00+03:00")) == pytest.approx(500_000.0)
    assert reported_not_settled(tx, "2024-06-30", cut_off=pd.Timestamp("2024-07-31T00:00:00+03:00")) == pytest.approx(300_000.0)


def test_totals_by_segment_and_currency_never_mix_currencies():
    usd = ledger(r("reserve", "2024-03-01", 10_000.0), claim_id="C9", currency="USD")
    midwives = ledger(r("reserve", "2024-03-01", 70_000.0), claim_id="C5", segment="midwives")
    totals = reported_not_settled(pd.concat([WORKED, usd, midwives], ignore_index=True), "2024-06-30", by=["segment", "currency"])
    assert totals[("nurses", "RUB")] == pytest.approx(300_000.0)
    assert totals[("nurses", "USD")] == pytest.approx(10_000.0)
    assert totals[("midwives", "RUB")] == pytest.approx(70_000.0)


def test_inputs_are_not_mutated():
    before = WORKED.copy(deep=True)
    reported_not_settled(WORKED, "2024-06-30", by="segment")
    pd.testing.assert_frame_equal(WORKED, before)


@pytest.mark.parametrize("change, field", [(dict(kind="settlement"), "kind"), (dict(amount=np.nan), "amount"),
                                           (dict(report_date=None), "report_date")])
def test_bad_rows_are_refused_naming_the_column(change, field):
    with pytest.raises(RBNSInputError) as err:
        reported_not_settled(WORKED.assign(**change), "2024-06-30")
    assert err.value.field == field


def test_reversal_without_a_target_is_refused():
    with pytest.raises(RBNSInputError, match="reverses"):
        reported_not_settled(ledger(r("reversal", "2024-03-01", -1.0)), "2024-06-30")


@settings(max_examples=examples(100), deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["reserve", "payment", "recovery"]), st.integers(-50_000, 200_000),
                          st.integers(0, 400), st.sampled_from(["C1", "C2", "C3"])), min_size=1, max_size=40),
       st.integers(0, 400))
def test_rbns_is_never_negative_and_equals_the_sum_of_claims(rows, valuation_offset):
    day0 = pd.Timestamp("2024-01-01")
    tx = pd.DataFrame([dict(claim_id=c, report_date=day0, accounting_date=day0 + pd.Timedelta(days=d), kind=k,
                            amount=float(a if k == "reserve" else abs(a)), cost_type="indemnity")
                       for k, a, d, c in rows])
    valuation = day0 + pd.Timedelta(days=valuation_offset)
    per_claim = rbns_by_claim(tx, valuation)
    assert (per_claim["outstanding"] >= 0).all()
    assert reported_not_settled(tx, valuation) == pytest.approx(sum(reported_not_settled(part, valuation) for _, part in tx.groupby("claim_id")))
