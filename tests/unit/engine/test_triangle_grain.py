"""Triangle.grain: quarterly → annual origins and/or development, summed as at the same
calendar date; parity with chainladder's Triangle.grain on triangles built from long data; and
origin_grain_for, the thin-segment rule."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from reserving.engine import Development, MackChainLadder, ParameterError, Triangle, TriangleError
from reserving.engine.triangle import ORIGIN_GRAIN_MIN_CLAIMS, origin_grain_for

NAN = np.nan

# chainladder's own Triangle.grain example: 2022Q1–2023Q4 reported, valued 2023-12-31
DOC_ROWS = [[100, 200, 300, 400, 480, 540, 580, 600], [110, 220, 320, 420, 500, 560, 600],
            [120, 240, 350, 450, 520, 580], [130, 250, 370, 470, 540], [140, 260, 380, 480],
            [150, 270, 390], [160, 280], [170]]
DOC_ORIGINS = ["2022Q1", "2022Q2", "2022Q3", "2022Q4", "2023Q1", "2023Q2", "2023Q3", "2023Q4"]


def staircase(rows, origins, step=3) -> Triangle:
    width = max(len(r) for r in rows)
    values = np.full((len(rows), width), NAN)
    for i, r in enumerate(rows):
        values[i, :len(r)] = r
    return Triangle.from_array(values, origins=origins, ages=step * np.arange(1, width + 1))


def test_annual_origins_sum_the_quarters_as_at_the_same_calendar_date_not_the_same_age():
    tri = staircase(DOC_ROWS, DOC_ORIGINS)
    oy = tri.grain("OYDQ")
    assert list(oy.origins) == ["2022", "2023"] and oy.origin_months == 12
    assert list(oy.ages) == [3, 6, 9, 12, 15, 18, 21, 24]
    # 2022 at age 6 (2022-06-30): Q1 at 6 + Q2 at 3; at 9: Q1 at 9 + Q2 at 6 + Q3 at 3
    np.testing.assert_array_equal(oy.values[0], [100, 310, 640, 1090, 1500, 1860, 2130, 2320])
    np.testing.assert_array_equal(oy.values[1], [140, 410, 810, 1320, NAN, NAN, NAN, NAN])
    yy = tri.grain("OYDY")
    assert list(yy.ages) == [12, 24]
    np.testing.assert_array_equal(yy.values, [[1090, 2320], [1320, NAN]])
    # OYDQ → OYDY is the same as straight from quarters
    np.testing.assert_array_equal(oy.grain("OYDY").values, yy.values)
    assert tri.grain("OQDQ") is tri and yy.grain("OYDY") is yy
    # an annual-origin triangle keeps its labels
    by_int = Triangle.from_array(oy.values, origins=[2022, 2023], ages=oy.ages)
    assert list(by_int.grain("OYDY").origins) == [2022, 2023]


def test_a_mid_year_valuation_keeps_every_annual_cell_at_the_valuation_month():
    # 2023Q1–2024Q2 valued 2024-06-30: annual ages 6 and 18 (June diagonals), not year ends
    rows = [[10, 20, 30, 40, 50, 60], [11, 22, 33, 44, 55], [12, 24, 36, 48], [13, 26, 39],
            [14, 28], [15]]
    tri = staircase(rows, ["2023Q1", "2023Q2", "2023Q3", "2023Q4", "2024Q1", "2024Q2"])
    yy = tri.grain("OYDY")
    assert list(yy.origins) == ["2023", "2024"] and list(yy.ages) == [6, 18]
    # 2023 at 2023-06-30: Q1 at 6 (20) + Q2 at 3 (11); at 2024-06-30: 60 + 55 + 48 + 39
    # 2024 (partial: Q1 and Q2 only) at 2024-06-30: 28 + 15
    np.testing.assert_array_equal(yy.values, [[31, 202], [43, NAN]])
    assert yy.latest_diagonal.tolist() == [202, 43]


def test_a_first_origin_year_that_starts_mid_year_is_zero_before_its_first_quarter():
    rows = [[10, 20, 30, 40, 50], [11, 22, 33, 44], [12, 24, 36], [13, 26], [14]]
    tri = staircase(rows, ["2022Q3", "2022Q4", "2023Q1", "2023Q2", "2023Q3"])
    oy = tri.grain("OYDQ")
    assert list(oy.ages) == [3, 6, 9, 12, 15, 18, 21]
    np.testing.assert_array_equal(oy.values[0], [0, 0, 10, 31, 52, 73, 94])
    np.testing.assert_array_equal(oy.values[1], [12, 37, 76, NAN, NAN, NAN, NAN])  # 36 + 26 + 14 at 9
    # the ratios from those zeros are no ratios
    assert np.isnan(oy.link_ratios().iloc[0, :2]).all()


def test_a_trapezoid_keeps_its_last_age():
    # 8 quarterly origins observed to age 12 at most (old cells dropped), valued 2023Q4
    full = staircase(DOC_ROWS, DOC_ORIGINS).values[:, :4].copy()
    tri = Triangle.from_array(full, origins=DOC_ORIGINS, ages=[3, 6, 9, 12])
    oy = tri.grain("OYDQ")
    assert list(oy.ages) == [3, 6, 9, 12]
    np.testing.assert_array_equal(oy.values, [[100, 310, 640, 1090], [140, 410, 810, 1320]])


def test_refusals_name_the_problem():
    tri = staircase(DOC_ROWS, DOC_ORIGINS)
    with pytest.raises(ParameterError, match="origins must be at least as coarse"):
        tri.grain("OQDY")
    with pytest.raises(ParameterError, match="unknown grain 'ODDY'"):
        tri.grain("ODDY")
    lags = Triangle.from_array(tri.values, origins=DOC_ORIGINS)
    with pytest.raises(TriangleError, match="months 3, 6, 9"):
        lags.grain("OYDY")
    gap = staircase(DOC_ROWS[:3], ["2022Q1", "2022Q2", "2022Q4"])
    with pytest.raises(TriangleError, match="must follow one another"):
        gap.grain("OYDY")
    annual = Triangle.from_array([[1, 2], [3, NAN]], origins=[2022, 2023], ages=[12, 24])
    with pytest.raises(TriangleError, match="cannot be made quarterly"):
        annual.grain("OYDQ")


# ---------------------------------------------------------------- parity with chainladder
import chainladder as cl  # noqa: E402 - a missing test extra must fail, not skip


def long_quarterly(first: str, last: str, seed: int):
    """Long rows (origin quarter, valuation date, age in months, cumulative value)."""
    rng = np.random.default_rng(seed)
    rows = []
    for origin in pd.period_range(first, last, freq="Q"):
        value = rng.uniform(50, 500)
        for j, val in enumerate(pd.period_range(origin, last, freq="Q")):
            if j:
                value *= 1 + 1.5 * np.exp(-0.4 * j) * rng.uniform(0.7, 1.3)
            rows.append((str(origin), val.end_time.normalize(), 3 * (j + 1), value))
    return pd.DataFrame(rows, columns=["origin", "valuation", "age", "value"])


def both(first, last, seed=7):
    df = long_quarterly(first, last, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = cl.Triangle(df.assign(origin=pd.PeriodIndex(df["origin"], freq="Q").start_time),
                             origin="origin", development="valuation", columns="value", cumulative=True)
    ours = Triangle.from_long(df, origin="origin", development="age", value="value")
    return ours, theirs


CASES = [("2015Q1", "2024Q4"), ("2015Q1", "2024Q2"), ("2016Q1", "2024Q3"), ("2017Q1", "2024Q1"),
         ("2015Q3", "2024Q2"), ("2016Q2", "2024Q3"), ("2016Q4", "2024Q1")]


@pytest.mark.parametrize("first,last", CASES)
@pytest.mark.parametrize("code", ["OYDQ", "OYDY"])
def test_grain_matches_chainladder_values_and_ldfs(first, last, code):
    ours, theirs = both(first, last)
    starts_in_q1 = first.endswith("Q1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cg = theirs.grain(code)
        their_ldf = cl.Development().fit(cg).ldf_.values[0, 0, 0]
        # chainladder mislabels the ages of a first origin year that starts after Q1 (its
        # padding quirk) and its Chainladder then cannot fit OYDY: values and LDFs only there
        their_ult = cl.Chainladder().fit(cg).ultimate_.values[0, 0, :, 0] if starts_in_q1 else None
    g = ours.grain(code)
    assert list(g.origins) == [str(o) for o in cg.origin]
    cv = cg.values[0, 0]
    assert cv.shape == g.values.shape
    # chainladder leaves NaN where an origin year's quarters had not begun; the engine has 0
    before = ~np.isnan(g.values) & (g.values == 0) & np.isnan(cv)
    np.testing.assert_allclose(np.where(before, 0.0, cv), g.values, rtol=1e-12, equal_nan=True)
    ldf = Development().fit(g).ldf_.to_numpy()
    np.testing.assert_allclose(ldf, their_ldf[:len(ldf)], rtol=1e-9)
    if starts_in_q1:
        assert list(g.ages) == [int(a) for a in cg.development]
        np.testing.assert_allclose(MackChainLadder().fit(g).ultimate_.to_numpy(), their_ult, rtol=1e-9)


def test_our_ages_run_from_the_start_of_the_origin_year():
    ours, _ = both("2015Q3", "2024Q2")
    g = ours.grain("OYDY")
    assert list(g.ages)[:3] == [6, 18, 30]          # June valuations
    assert g.latest_age.iloc[-1] == 6 and g.latest_age.iloc[0] == 9 * 12 + 6


# ---------------------------------------------------------------- origin_grain_for
def test_a_thin_segment_goes_to_annual_origins_with_the_reason():
    counts = pd.Series({"2023Q1": 6, "2023Q2": 4, "2023Q3": 5, "2023Q4": 1})
    grain, reason = origin_grain_for(counts, min_claims_per_origin_quarter=10)
    assert grain == "year"
    assert reason == ("4.0 reported claims per origin quarter on average (2023Q1–2023Q4, 4 quarters; "
                      "16 claims), fewer than 10: annual origins")


def test_a_segment_with_enough_claims_keeps_quarterly_origins():
    grain, reason = origin_grain_for([30, 25, 20, 5], min_claims_per_origin_quarter=20)
    assert grain == "quarter"                       # 80 / 4 = 20: at least 20
    assert reason.endswith("at least 20: quarterly origins")


def test_the_youngest_quarters_can_be_left_out_and_the_default_threshold():
    counts = {"2023Q1": 24, "2023Q2": 22, "2023Q3": 3, "2023Q4": 1}
    assert origin_grain_for(counts)[0] == "year"    # 12.5 < 20
    grain, reason = origin_grain_for(counts, exclude_latest=2)
    assert grain == "quarter" and "2023Q1–2023Q2, 2 quarters, the 2 youngest left out" in reason
    assert ORIGIN_GRAIN_MIN_CLAIMS == 20
    # leaving out every quarter is not possible: all are used then
    assert origin_grain_for([30], exclude_latest=3)[0] == "quarter"


def test_no_claims_is_annual_and_bad_counts_are_refused():
    assert origin_grain_for([])[0] == "year"
    assert origin_grain_for([0, 0])[0] == "year"
    with pytest.raises(ParameterError, match="at origin 2023Q2 must be a non-negative number"):
        origin_grain_for({"2023Q1": 3, "2023Q2": -1})
    with pytest.raises(ParameterError, match="positive integer"):
        origin_grain_for([3], min_claims_per_origin_quarter=0)


@pytest.mark.parametrize("first,last", CASES)
def test_the_latest_diagonal_adds_up_to_the_same_total_at_every_grain(first, last):
    ours, _ = both(first, last, seed=11)
    total = ours.latest_diagonal.sum()
    for code in ("OYDQ", "OYDY"):
        assert ours.grain(code).latest_diagonal.sum() == pytest.approx(total, rel=1e-12)
