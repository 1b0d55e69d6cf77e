"""The demo book develops like real medmal (shared/calibration.md): slow payments, late reports,
loss ratios in the CAS range. Generous bands: the shape, not the numbers."""
from __future__ import annotations

import pytest

from exchange.demo import generate_book
from exchange.demo.development import development, loss_ratios


@pytest.fixture(scope="module")
def book():
    return generate_book(policies=60_000, years=12, seed=21)


def test_occurrence_payments_are_slow_and_incomplete_after_ten_years(book):
    dev = development(book, segment="individual_occurrence").set_index("lag")
    assert dev.loc[2, "paid_pct"] < 25
    assert 30 < dev.loc[5, "paid_pct"] < 75
    assert 80 < dev.loc[10, "paid_pct"] < 99
    assert dev["paid_pct"].is_monotonic_increasing


def test_occurrence_incurred_is_partly_known_after_the_first_year(book):
    dev = development(book, segment="individual_occurrence").set_index("lag")
    assert 10 < dev.loc[1, "incurred_pct"] < 60
    assert dev.loc[1, "incurred_pct"] < dev.loc[3, "incurred_pct"]
    assert dev.loc[1, "paid_pct"] < dev.loc[1, "incurred_pct"]


def test_claims_made_incurred_is_known_sooner_than_occurrence(book):
    occ = development(book, segment="individual_occurrence").set_index("lag")
    cm = development(book, segment="clinic_claims_made").set_index("lag")
    assert cm.loc[2, "incurred_pct"] > occ.loc[2, "incurred_pct"]


def test_loss_ratios_of_each_segment_and_currency_are_in_the_cas_range(book):
    lr = loss_ratios(book)
    overall = lr.groupby(["segment", "currency"]).apply(lambda g: g["ultimate"].sum() / g["earned"].sum())
    assert len(overall) == 3
    for key, ratio in overall.items():
        assert 0.5 < ratio < 1.3, (key, ratio)
