"""The workbench's diagnostics (engine/diagnostics.py) on numbers checkable by hand: ratios by
origin and age, the shift-along-the-diagonal rule, percent developed and actual-vs-expected
emergence, the flags on a selection and the bootstrap's bars from its stored percentiles."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reserving.engine import ParameterError, Triangle
from reserving.engine.diagnostics import (CASE_ADEQUACY_SHIFT, SETTLEMENT_SPEED_SHIFT, average_case_reserve,
                                          closure_rate, diagonal_shift, expected_emergence, far_from_averages,
                                          few_ratio_ages, histogram_from_percentiles, ldfs_below_one,
                                          link_ratio_counts, open_counts, paid_to_incurred, percent_developed,
                                          percentile_of)

NAN = np.nan


def _tri(values, measure="paid", origins=("2023", "2024")):
    arr = np.array(values, dtype=float)
    return Triangle.from_array(arr, origins=list(origins), ages=[12 * (k + 1) for k in range(arr.shape[1])],
                               measure=measure, allow_negative=True, allow_decrease=True, origin_months=12)


def test_paid_to_incurred_is_half_where_half_is_paid():
    paid = _tri([[50, 80], [60, NAN]])
    incurred = _tri([[100, 100], [120, NAN]], "incurred")
    ratio = paid_to_incurred(paid, incurred)
    np.testing.assert_allclose(ratio.to_numpy(), [[0.5, 0.8], [0.5, NAN]], equal_nan=True)


def test_closure_rate_and_average_case_reserve_per_open_claim():
    reported = _tri([[10, 10], [8, NAN]], "reported_count")
    closed = _tri([[2, 6], [4, NAN]], "closed_count")
    np.testing.assert_allclose(closure_rate(closed, reported).to_numpy(), [[0.2, 0.6], [0.5, NAN]], equal_nan=True)
    opened = open_counts(reported, closed)
    np.testing.assert_allclose(opened, [[8, 4], [4, NAN]], equal_nan=True)
    case = _tri([[1000, 200], [600, NAN]], "outstanding")
    np.testing.assert_allclose(average_case_reserve(case, opened).to_numpy(), [[125, 50], [150, NAN]], equal_nan=True)


# Five origins × five ages; the latest diagonal is the last observed cell of each row.
LENGTHS = [5, 4, 3, 2, 1]


def _averages(col0_latest, col1_latest):
    values = np.full((5, 5), NAN)
    values[:4, 0] = [100, 110, 120, 130]   # trend +10 an origin: 140 expected at the latest
    values[4, 0] = col0_latest
    values[:3, 1] = [50, 55, 60]           # trend +5: 65 expected
    values[3, 1] = col1_latest
    values[:3, 2] = [40, 41, 42]           # the latest (row 2) has only two earlier cells: not tested
    values[:2, 3] = [30, 30]
    values[0, 4] = 20
    return pd.DataFrame(values, index=[f"O{i}" for i in range(5)], columns=[3, 6, 9, 12, 15])


def test_a_latest_diagonal_reserved_more_strongly_at_two_ages_is_a_shift():
    shift = diagonal_shift(_averages(200, 90), LENGTHS, relative=True, threshold=CASE_ADEQUACY_SHIFT)
    table = shift.table
    assert table.at[3, "expected"] == pytest.approx(140.0)
    assert table.at[3, "deviation"] == pytest.approx(200 / 140 - 1)      # +42.9% > 25%
    assert table.at[6, "expected"] == pytest.approx(65.0)
    assert table.at[6, "deviation"] == pytest.approx(90 / 65 - 1)        # +38.5%
    assert table.at[3, "origin"] == "O4" and table.at[6, "origin"] == "O3"
    assert list(table["flagged"]) == [True, True, False, False, False]
    assert np.isnan(table.at[9, "expected"]) and table.at[9, "points"] == 2
    assert (shift.tested, shift.up, shift.down) == (2, 2, 0)
    assert shift.shifted and shift.direction == "up"


def test_one_odd_cell_is_not_a_shift():
    shift = diagonal_shift(_averages(145, 90), LENGTHS, relative=True, threshold=CASE_ADEQUACY_SHIFT)
    assert list(shift.table["flagged"][:2]) == [False, True]
    assert (shift.tested, shift.up) == (2, 1)
    assert not shift.shifted and shift.direction is None


def test_settlement_speed_is_tested_in_points_and_unusable_cells_are_left_out():
    rates = _averages(0.2, 0.2) / 1000.0   # 0.10, 0.11, 0.12, 0.13 → 0.14 expected; 0.05, …, 0.065
    rates.iloc[4, 0], rates.iloc[3, 1] = 0.40, 0.30
    shift = diagonal_shift(rates, LENGTHS, relative=False, threshold=SETTLEMENT_SPEED_SHIFT)
    assert shift.table.at[3, "deviation"] == pytest.approx(0.26)
    assert shift.table.at[6, "deviation"] == pytest.approx(0.235)
    assert shift.shifted and shift.direction == "up"
    usable = np.ones((5, 5), dtype=bool)
    usable[0, 0] = usable[1, 0] = False     # e.g. fewer than 5 reported claims
    thin = diagonal_shift(rates, LENGTHS, relative=False, threshold=SETTLEMENT_SPEED_SHIFT, usable=usable)
    assert thin.table.at[3, "points"] == 2 and np.isnan(thin.table.at[3, "expected"])
    assert thin.tested == 1 and not thin.shifted


def test_percent_developed_is_one_over_the_cdf_linear_in_age():
    cdf = {3: 4.0, 6: 2.0, 9: 1.25, 12: 1.0}
    assert [percent_developed(cdf, a) for a in (3, 6, 9, 12)] == [0.25, 0.5, 0.8, 1.0]
    assert percent_developed(cdf, 4.5) == pytest.approx(0.375)
    assert percent_developed(cdf, 1.5) == pytest.approx(0.125)     # from 0 at age 0
    assert percent_developed({12: 1.05}, 40) == pytest.approx(1 / 1.05)   # the tail held beyond
    with pytest.raises(ParameterError):
        percent_developed({3: 0.0}, 3)


def test_expected_emergence_is_the_prior_ultimate_times_the_change_in_percent_developed():
    cdf = {3: 4.0, 6: 2.0, 9: 1.25, 12: 1.0}
    prior = pd.DataFrame({"age": [3, 9], "reported": [250.0, 800.0], "ultimate": [1000.0, 1000.0]},
                         index=pd.Index(["2024Q3", "2024Q1"], name="origin"))
    out = expected_emergence(prior, {"2024Q3": 600.0, "2024Q1": 900.0, "2024Q4": 50.0}, months=3, cdf=cdf)
    assert list(out.index) == ["2024Q3", "2024Q1"]           # a new origin has no expectation
    row = out.loc["2024Q3"]
    assert (row["age_then"], row["age_now"]) == (3, 6)
    assert row["expected"] == pytest.approx(250.0)           # 1,000 × (0.50 − 0.25)
    assert row["actual"] == pytest.approx(350.0)
    assert row["difference"] == pytest.approx(100.0) and row["actual_to_expected"] == pytest.approx(1.4)
    assert out.loc["2024Q1", "expected"] == pytest.approx(200.0)   # 1,000 × (1.0 − 0.8)


def test_ldfs_below_one_and_ages_on_few_ratios_are_flagged():
    assert ldfs_below_one({"3": 1.5, "6": 0.97, "9": 1.0}) == [(6, 0.97)]
    tri = _tri([[10, 20, 30], [0, 15, NAN], [5, NAN, NAN]], origins=("2022", "2023", "2024"))
    counts = link_ratio_counts(tri)
    assert counts.to_dict() == {12: 1, 24: 1}                  # a ratio from zero is no ratio
    assert few_ratio_ages(counts) == [(12, 1), (24, 1)]
    assert few_ratio_ages({12: 5, 24: 2}, minimum=3) == [(24, 2)]


def _exhibit():
    index = pd.MultiIndex.from_tuples([("simple", "all"), ("volume", "all"), ("medial", "all")],
                                      names=["average", "periods"])
    return pd.DataFrame([[1.50, 1.002], [1.45, 1.003], [1.55, 1.004]], index=index, columns=[3, 6])


def test_a_selection_far_from_every_average_is_flagged_with_the_nearest_one():
    far = far_from_averages({3: 1.80, 6: 1.008}, _exhibit())
    assert list(far.index) == [3]                              # 1.008 is within 0.01 of 1.004
    assert far.at[3, "nearest"] == "medial all" and far.at[3, "distance"] == pytest.approx(0.25)
    assert far_from_averages({3: 1.52}, _exhibit()).empty      # 0.02 from 1.50, within 10% of 0.50
    assert list(far_from_averages({6: 1.02}, _exhibit()).index) == [6]   # 0.016 > 0.01
    assert far_from_averages({3: 1.0}, _exhibit(), skip=[3]).empty       # a thin age: flagged elsewhere


def test_the_bootstrap_bars_have_the_probability_between_stored_percentiles_as_area():
    bars = histogram_from_percentiles({"1": 0.0, "5": 100.0, "50": 500.0, "99.5": 2000.0})
    np.testing.assert_allclose(bars["mass"], [0.04, 0.45, 0.495])
    np.testing.assert_allclose(bars["density"], [0.04 / 100, 0.45 / 400, 0.495 / 1500])
    assert percentile_of({"5": 100.0, "50": 500.0}, 300.0) == pytest.approx(27.5)
    assert percentile_of({"5": 100.0, "50": 500.0}, 600.0) is None
    with pytest.raises(ParameterError):
        histogram_from_percentiles({"50": 1.0})
