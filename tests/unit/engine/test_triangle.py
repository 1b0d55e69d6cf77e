"""Triangles: construction from long rows, arrays and claim-ledger rows; validation errors that
name the origin and age."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reserving.engine import Triangle, TriangleError
from reserving.engine.errors import ParameterError

NAN = np.nan


def long_frame(rows, origins=None):
    origins = origins or list(range(2021, 2021 + len(rows)))
    return pd.DataFrame([(origins[i], 12 * (j + 1), v) for i, row in enumerate(rows) for j, v in enumerate(row)],
                        columns=["origin", "development", "value"])


def test_from_long_builds_the_dense_matrix_with_nan_below_the_diagonal():
    tri = Triangle.from_long(long_frame([[1, 2, 3], [4, 5], [6]]))
    assert tri.shape == (3, 3)
    assert np.isnan(tri.values[2, 1]) and np.isnan(tri.values[1, 2])
    assert list(tri.latest_diagonal) == [3, 5, 6]
    assert list(tri.latest_age) == [36, 24, 12]


def test_from_long_accepts_lags_and_quarter_labels():
    df = pd.DataFrame({"origin": ["2024Q1", "2024Q1", "2024Q2"], "development": [1, 2, 1], "value": [5, 7, 2]})
    tri = Triangle.from_long(df)
    assert list(tri.ages) == [1, 2] and tri.origin_months == 3
    assert list(tri.origins) == ["2024Q1", "2024Q2"]


def test_origins_that_are_numbers_sort_as_numbers_and_one_period_is_one_origin():
    rows = [[1, 2, 3], [4, 5], [6]]
    as_text = long_frame(rows, origins=["9", "10", "11"]).astype({"origin": str})
    assert list(Triangle.from_long(as_text).origins) == [9, 10, 11]
    as_floats = long_frame(rows, origins=[1988.0, 1989.0, 1990.0])
    assert list(Triangle.from_long(as_floats).origins) == [1988, 1989, 1990]
    both = pd.concat([long_frame([[1]], origins=["1988"]), long_frame([[2]], origins=["1988.0"])])
    with pytest.raises(TriangleError, match="origin 1988 age 12 appears twice"):
        Triangle.from_long(both)


def test_origin_key_writes_a_number_one_way():
    from reserving.engine.triangle import origin_key

    assert {origin_key(v) for v in (1988, 1988.0, "1988.0", " 1988", np.int64(1988), np.float64(1988))} == {"1988"}
    assert origin_key("2024Q3") == "2024Q3" and origin_key(2.5) == "2.5" and origin_key("nan") == "nan"


def test_to_long_round_trips_through_from_long():
    tri = Triangle.from_long(long_frame([[1, 2, 3], [4, 5], [6]]))
    again = Triangle.from_long(tri.to_long())
    assert len(tri.to_long()) == 6
    np.testing.assert_array_equal(again.values, tri.values)


def test_zeros_stay_zeros():
    tri = Triangle.from_array([[0, 0, 5], [0, 3, NAN], [0, NAN, NAN]])
    assert tri.values[0, 0] == 0 and tri.values[2, 0] == 0
    assert tri.lengths.tolist() == [3, 2, 1]


def test_the_input_is_never_mutated_and_the_triangle_is_read_only():
    data = np.array([[1.0, 2.0], [3.0, NAN]])
    tri = Triangle.from_array(data)
    data[0, 0] = 99
    assert tri.values[0, 0] == 1.0
    with pytest.raises(ValueError):
        tri.values[0, 0] = 5


def test_a_value_after_a_missing_cell_is_a_ragged_triangle():
    with pytest.raises(TriangleError, match="ragged.*origin 2022 has no value at age 24"):
        Triangle.from_long(long_frame([[1, 2, 3], [4, NAN, 6], [7]]).dropna().pipe(
            lambda d: d[~((d.origin == 2022) & (d.development == 24))]))


def test_a_diagonal_that_is_not_a_staircase_is_refused():
    with pytest.raises(TriangleError, match="not a staircase.*2022"):
        Triangle.from_array([[1, 2, 3], [1, 2, NAN], [1, 2, NAN]], origins=[2021, 2022, 2023])


def test_a_later_origin_observed_further_than_an_older_one_is_refused():
    with pytest.raises(TriangleError, match="not a staircase: origin 2023"):
        Triangle.from_array([[1, 2, NAN], [1, NAN, NAN], [1, 2, NAN]], origins=[2021, 2022, 2023])


def test_a_fully_developed_square_and_a_trapezoid_are_proper():
    Triangle.from_array(np.ones((3, 3)))
    Triangle.from_array([[1, 2, 3], [1, 2, 3], [1, 2, NAN], [1, NAN, NAN]])


def test_a_negative_value_is_refused_naming_the_cell():
    with pytest.raises(TriangleError, match="origin 2022 age 12: negative value -4"):
        Triangle.from_long(long_frame([[1, 2], [-4]]))
    Triangle.from_long(long_frame([[1, 2], [-4]]), allow_negative=True)


def test_a_paid_triangle_that_falls_is_not_cumulative():
    with pytest.raises(TriangleError, match="not cumulative: origin 2021 falls from 5 at age 12 to 3 at age 24"):
        Triangle.from_long(long_frame([[5, 3], [4]]), measure="paid")
    Triangle.from_long(long_frame([[5, 3], [4]]), measure="paid", allow_decrease=True)


def test_counts_must_be_cumulative_but_incurred_may_fall():
    with pytest.raises(TriangleError, match="not cumulative"):
        Triangle.from_long(long_frame([[5, 3], [4]]), measure="reported_count")
    assert Triangle.from_long(long_frame([[5, 3], [4]]), measure="incurred").values[0, 1] == 3


def test_duplicate_cells_and_non_numeric_values_are_refused():
    df = long_frame([[1, 2], [3]])
    with pytest.raises(TriangleError, match="origin 2021 age 12 appears twice"):
        Triangle.from_long(pd.concat([df, df.iloc[:1]]))
    df["value"] = df["value"].astype(object)
    df.loc[0, "value"] = "abc"
    with pytest.raises(TriangleError, match="origin 2021 age 12: value 'abc' is not a number"):
        Triangle.from_long(df)


def test_a_missing_column_and_an_unknown_measure_are_named():
    with pytest.raises(TriangleError, match="column 'value' missing"):
        Triangle.from_long(pd.DataFrame({"origin": [1], "development": [1]}))
    with pytest.raises(ParameterError, match="unknown measure 'premium'"):
        Triangle.from_array([[1.0]], measure="premium")


# ---------------------------------------------------------------- from_ledger
def ledger(*rows):
    cols = ["claim_id", "accident_date", "report_date", "accounting_date", "kind", "cost_type", "amount"]
    return pd.DataFrame([dict(zip(cols, r)) for r in rows])


BOOK = ledger(
    ("A", "2024-02-10", "2024-03-01", "2024-03-01", "reserve", "indemnity", 1000),
    ("A", "2024-02-10", "2024-03-01", "2024-05-01", "payment", "indemnity", 300),
    ("A", "2024-02-10", "2024-03-01", "2024-08-01", "payment", "indemnity", 900),
    ("A", "2024-02-10", "2024-03-01", "2024-08-02", "close", None, None),
    ("B", "2024-05-10", "2024-07-01", "2024-07-01", "reserve", "expense", 500),
    ("B", "2024-05-10", "2024-07-01", "2024-09-01", "payment", "expense", 200),
    ("B", "2024-05-10", "2024-07-01", "2024-10-01", "recovery", "expense", 50),
)


def cells(value, rows=BOOK, **kw):
    tri = Triangle.from_ledger(rows, valuation_date="2024-12-31", value=value, allow_decrease=True, **kw)
    return tri.to_frame()


def test_ledger_paid_is_payments_less_recoveries_by_accident_quarter_and_age():
    paid = cells("paid")
    assert list(paid.index) == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    assert list(paid.columns) == [3, 6, 9, 12]
    assert paid.loc["2024Q1"].tolist() == [0, 300, 1200, 1200]
    assert paid.loc["2024Q2"].tolist()[:3] == [0, 200, 150]
    # origins without claims are rows of zeros
    assert paid.loc["2024Q4", 3] == 0 and paid.loc["2024Q3"].tolist()[:2] == [0, 0]


def test_ledger_outstanding_is_eroded_by_payments_never_negative_and_zero_once_closed():
    out = cells("outstanding")
    assert out.loc["2024Q1"].tolist() == [1000, 700, 0, 0]
    assert out.loc["2024Q2"].tolist()[:3] == [0, 300, 300]
    inc = cells("incurred")
    assert inc.loc["2024Q1"].tolist() == [1000, 1000, 1200, 1200]


def test_ledger_counts_reported_and_closed():
    assert cells("reported_count").loc["2024Q2"].tolist()[:3] == [0, 1, 1]
    assert cells("closed_count").loc["2024Q1"].tolist() == [0, 0, 1, 1]


def test_a_reopen_after_a_close_restores_the_case_estimate():
    rows = pd.concat([BOOK, ledger(("A", "2024-02-10", "2024-03-01", "2024-11-01", "reopen", None, None),
                                   ("A", "2024-02-10", "2024-03-01", "2024-11-01", "reserve", "indemnity", 400))])
    assert cells("closed_count", rows).loc["2024Q1", 12] == 0
    assert cells("outstanding", rows).loc["2024Q1", 12] == 200  # 1400 reserved − 1200 paid


def test_a_reversal_negates_the_row_it_names_as_at_its_own_date():
    rows = BOOK.assign(transaction_id=[f"t{i}" for i in range(len(BOOK))], reverses=None)
    rev = ledger(("A", "2024-02-10", "2024-03-01", "2024-11-15", "reversal", None, None)).assign(
        transaction_id="r1", reverses="t2")
    paid = cells("paid", pd.concat([rows, rev], ignore_index=True))
    assert paid.loc["2024Q1"].tolist() == [0, 300, 1200, 300]


def test_a_reversal_without_the_row_it_reverses_is_refused():
    rev = ledger(("A", "2024-02-10", "2024-03-01", "2024-11-15", "reversal", None, None))
    with pytest.raises(TriangleError, match="reversal rows need transaction_id and reverses"):
        cells("paid", pd.concat([BOOK, rev]))


def test_ledger_rows_after_the_valuation_date_are_ignored_and_origin_start_adds_empty_origins():
    tri = Triangle.from_ledger(BOOK, valuation_date="2024-06-30", value="paid", origin_start="2023-10-01")
    assert list(tri.origins) == ["2023Q4", "2024Q1", "2024Q2"]
    assert tri.to_frame().loc["2023Q4"].tolist() == [0, 0, 0]
    assert tri.to_frame().loc["2024Q1"].tolist()[:2] == [0, 300]


def test_yearly_grain_counts_age_in_twelves():
    tri = Triangle.from_ledger(BOOK, valuation_date="2024-12-31", value="paid", grain="year",
                               allow_decrease=True)
    assert list(tri.origins) == ["2024"] and list(tri.ages) == [12]
    assert tri.values[0, 0] == 1350


def test_a_valuation_date_that_is_not_a_period_end_is_refused():
    with pytest.raises(TriangleError, match="2024-11-30 is not the end of a quarter"):
        Triangle.from_ledger(BOOK, valuation_date="2024-11-30", value="paid")


def test_a_row_accounted_before_its_accident_is_refused():
    rows = ledger(("C", "2024-05-10", "2024-05-11", "2024-02-01", "reserve", "indemnity", 100))
    with pytest.raises(TriangleError, match="claim C: a row accounted on 2024-02-01 lies before its origin"):
        cells("paid", rows)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.budget import examples  # noqa: E402

_day = st.integers(min_value=0, max_value=729).map(lambda d: pd.Timestamp("2023-01-01") + pd.Timedelta(days=d))


@st.composite
def ledgers(draw):
    rows = []
    for c in range(draw(st.integers(min_value=1, max_value=12))):
        accident = draw(_day)
        report = accident + pd.Timedelta(days=draw(st.integers(min_value=0, max_value=200)))
        for _ in range(draw(st.integers(min_value=1, max_value=6))):
            kind = draw(st.sampled_from(["reserve", "payment"]))
            when = report + pd.Timedelta(days=draw(st.integers(min_value=0, max_value=400)))
            amount = float(draw(st.integers(min_value=1, max_value=10_000)))
            rows.append((f"c{c}", accident, report, when, kind, "indemnity", amount))
            if kind == "payment" and draw(st.booleans()):  # a recovery of part of it, later
                later = when + pd.Timedelta(days=draw(st.integers(min_value=0, max_value=200)))
                rows.append((f"c{c}", accident, report, later, "recovery", "indemnity",
                             float(draw(st.integers(min_value=1, max_value=int(amount))))))
    return ledger(*rows)


@settings(max_examples=examples(60), deadline=None)
@given(rows=ledgers())
def test_the_latest_paid_diagonal_adds_up_to_the_ledger(rows):
    valuation = pd.Timestamp("2024-12-31")
    tri = Triangle.from_ledger(rows, valuation_date=valuation, value="paid", allow_decrease=True,
                               origin_start="2023-01-01")
    seen = rows[pd.to_datetime(rows["accounting_date"]) <= valuation]
    paid = seen.loc[seen.kind == "payment", "amount"].sum() - seen.loc[seen.kind == "recovery", "amount"].sum()
    assert tri.latest_diagonal.sum() == pytest.approx(paid)
    assert tri.shape == (8, 8)
    reported = Triangle.from_ledger(rows, valuation_date=valuation, value="reported_count",
                                    origin_start="2023-01-01")
    # the ledger knows a claim through its rows: reported by V and booked by V
    assert reported.latest_diagonal.sum() == seen.loc[pd.to_datetime(seen.report_date) <= valuation,
                                                      "claim_id"].nunique()
