"""Berquist–Sherman case-reserve adjustment on numbers checkable by hand.

Three origin years at ages 12, 24, 36 with open claims 10, 5, 2 at each age. Average case
reserves per open claim rise 10% a year by origin at every age (100, 110, 121 at age 12; 120,
132 at 24): with the trend fitted, nothing changes. When the latest diagonal is reserved 20%
more strongly (145.2 at 12, 158.4 at 24), every earlier cell is restated to that strength.
"""
from __future__ import annotations

import numpy as np
import pytest

from reserving.engine import ParameterError, Triangle
from reserving.engine.berquist import adjustment_applies, berquist_sherman, open_claims, severity_trend

NAN = np.nan
OPEN = np.array([[10, 5, 2], [10, 5, NAN], [10, NAN, NAN]], dtype=float)


def _tri(values, measure="paid"):
    return Triangle.from_array(np.array(values, dtype=float), origins=[2022, 2023, 2024], ages=[12, 24, 36],
                               measure=measure, allow_negative=True, allow_decrease=True, origin_months=12)


PAID = _tri([[50, 400, 900], [60, 440, NAN], [70, NAN, NAN]])
CASE = _tri([[1000, 600, 300], [1100, 660, NAN], [1210, NAN, NAN]], "outstanding")
STRONG = _tri([[1000, 600, 300], [1100, 792, NAN], [1452, NAN, NAN]], "outstanding")


def test_a_consistently_trended_book_is_left_as_it_is():
    assert severity_trend(CASE, OPEN) == pytest.approx(0.10)
    out = berquist_sherman(paid=PAID, case=CASE, open_counts=OPEN)
    assert out.trend_source == "fitted" and out.base_average == {"12": 121.0, "24": 132.0, "36": 150.0}
    np.testing.assert_allclose(out.incurred.values, PAID.values + CASE.values, equal_nan=True)


def test_a_stronger_latest_diagonal_restates_every_earlier_cell():
    out = berquist_sherman(paid=PAID, case=STRONG, open_counts=OPEN, trend=0.10)
    adjusted_case = out.incurred.values - PAID.values
    # 145.2 / 1.1² × 10 = 1200, 145.2 / 1.1 × 10 = 1320, 158.4 / 1.1 × 5 = 720; the diagonal stays
    np.testing.assert_allclose(adjusted_case, [[1200, 720, 300], [1320, 792, NAN], [1452, NAN, NAN]],
                               equal_nan=True)
    assert out.describe()["trend_source"] == "given"


def test_the_runs_rule_needs_enough_open_claims_on_the_latest_diagonal():
    # latest diagonal: 2, 5, 10 open claims → 5.7 per age
    assert adjustment_applies(OPEN, PAID.lengths, 5)[0] is True
    applies, why = adjustment_applies(OPEN, PAID.lengths, 20)
    assert applies is False and "5.7 open claims" in why


def test_open_claims_are_reported_less_closed():
    reported = _tri([[12, 12, 12], [11, 12, NAN], [10, NAN, NAN]], "reported_count")
    closed = _tri([[2, 7, 10], [1, 7, NAN], [0, NAN, NAN]], "closed_count")
    np.testing.assert_allclose(open_claims(reported, closed), OPEN, equal_nan=True)


@pytest.mark.parametrize("trend", [-1, -2, "fast", float("nan")])
def test_a_trend_at_or_below_minus_one_or_not_a_number_is_refused(trend):
    with pytest.raises(ParameterError) as err:
        berquist_sherman(paid=PAID, case=CASE, open_counts=OPEN, trend=trend)
    assert err.value.field == "severity_trend"
