"""The back-test harness (reserving.engine.backtest): cutting diagonals, the truth, the error,
the skip rules, on squares small enough to check by hand."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reserving.engine import ParameterError
from reserving.engine.backtest import (REPORTED, Backtest, Square, cut_mask, level_tails, schedule_p_long,
                                       squares_from_long, summarise)

PAID_SHARE = [0.2, 0.5, 0.8, 1.0]
INC_SHARE = [0.6, 0.9, 1.0, 1.0]


def long_rows(company: str, premium, lr=0.7, line="x", paid_share=PAID_SHARE, inc_share=INC_SHARE):
    rows = []
    for i, e in enumerate(premium):
        for j in range(4):
            rows.append({"line": line, "company": company, "origin": 2001 + i, "age": j + 1,
                         "paid": e * lr * paid_share[j], "incurred": e * lr * inc_share[j], "premium": e})
    return rows


def test_cut_mask_keeps_the_cells_of_an_earlier_valuation():
    assert cut_mask(4, 1).sum(axis=1).tolist() == [4, 4, 4, 3]
    assert cut_mask(4, 3).sum(axis=1).tolist() == [4, 3, 2, 1]  # the triangle as filed


def test_a_square_that_develops_exactly_to_pattern_has_no_error_for_any_method():
    frame = pd.DataFrame(long_rows("a", [100, 120, 150, 200]) + long_rows("b", [50, 60, 55, 70], lr=0.9))
    bt = Backtest(cuts=[1, 2, 3]).fit(frame)
    assert set(bt.results_["method"]) == set(REPORTED)
    assert np.allclose(bt.results_["error"], 0.0, atol=1e-12)
    assert bt.summary_["n"].eq(6).all()
    # cut 1, company a: only 2004 is open, at age 3 (paid 0.8): actual unpaid 200·0.7·0.2 = 28
    one = bt.results_[(bt.results_.group == "a") & (bt.results_.cut == 1)]
    assert one["actual"].iloc[0] == pytest.approx(28.0)
    # cut 3: 2002 at age 3, 2003 at 2, 2004 at 1 → 0.7·(120·0.2 + 150·0.5 + 200·0.8)
    three = bt.results_[(bt.results_.group == "a") & (bt.results_.cut == 3)]
    assert three["actual"].iloc[0] == pytest.approx(0.7 * (24 + 75 + 160))


def test_the_error_is_estimate_over_actual_minus_one_and_the_summary_pools_companies():
    results = pd.DataFrame({"line": "x", "group": ["a", "b", "c"], "cut": 1, "method": "m",
                            "estimate": [110.0, 80.0, 100.0], "actual": [100.0, 100.0, 100.0],
                            "error": [0.1, -0.2, 0.0]})
    s = summarise(results, ["line", "method"])
    assert s["median_abs_error"].iloc[0] == pytest.approx(0.1)
    assert s["aggregate_error"].iloc[0] == pytest.approx(290 / 300 - 1)


def test_a_late_emergence_is_an_underestimate_for_every_method():
    # company a's 2004 incurred jumps at the last age beyond the pattern the others set
    rows = long_rows("a", [100, 120, 150, 200])
    for r in rows:
        if r["origin"] == 2004 and r["age"] == 4:
            r["incurred"] *= 1.5
            r["paid"] *= 1.5
    bt = Backtest(cuts=[1]).fit(pd.DataFrame(rows))
    assert (bt.results_["error"] < 0).all()


def test_paid_is_brought_to_the_incurred_level_known_at_the_valuation_date():
    sq = Square(line="x", group="a", origins=(1, 2, 3), ages=(1, 2, 3),
                paid=np.array([[1.0, 2.0, 9.0], [1.0, 2.0, 9.0], [1.0, 2.0, 3.0]]),
                incurred=np.array([[5.0, 8.0, 10.0], [5.0, 8.0, 10.0], [5.0, 8.0, 12.0]]),
                premium=np.ones(3))
    tails = level_tails([sq], 1, "incurred")  # origins 1 and 2 are at the last age: 20 / 18
    assert tails["paid"][0] == pytest.approx(20 / 18) and tails["incurred"][0] == 1.0
    tails = level_tails([sq], 1, "paid")
    assert tails["incurred"][0] == pytest.approx(18 / 20) and tails["paid"][0] == 1.0


def test_degenerate_groups_are_skipped_with_a_reason():
    rows = long_rows("good", [100, 120, 150, 200]) + long_rows("nopremium", [100, 0, 150, 200]) \
        + long_rows("nolosses", [100, 120, 150, 200], lr=0.0) + long_rows("short", [100, 120, 150, 200])[:-1] \
        + long_rows("settled", [100, 120, 150, 200], paid_share=[1, 1, 1, 1], inc_share=[1, 1, 1, 1])
    squares, skipped = squares_from_long(pd.DataFrame(rows))
    assert [s.group for s in squares] == ["good", "settled"]
    reasons = {s["group"]: s["reason"] for s in skipped}
    assert reasons["nopremium"] == "premium ≤ 0 or missing for origin 2002"
    assert reasons["nolosses"].startswith("no losses")
    assert reasons["short"].startswith("incomplete square")
    bt = Backtest(cuts=[1, 2]).fit(squares)
    assert set(bt.results_["group"]) == {"good"}
    assert bt.skipped_["reason"].str.startswith("nothing left to pay").all() and len(bt.skipped_) == 2


def test_a_cut_whose_development_cannot_be_estimated_is_skipped_for_every_method():
    rows = long_rows("good", [100, 120, 150, 200]) + long_rows("zero", [100, 120, 150, 200])
    for r in rows:  # company zero reports nothing in its first two years: no factor from age 1
        if r["company"] == "zero" and r["age"] <= 2:
            r["paid"] = r["incurred"] = 0.0
    bt = Backtest(cuts=[3]).fit(pd.DataFrame(rows))
    assert set(bt.results_["group"]) == {"good"}
    assert bt.skipped_["reason"].iloc[0].startswith("a development factor cannot be estimated")


@pytest.mark.parametrize("cuts", [[0], [4], [1.5]])
def test_a_cut_must_leave_the_oldest_origin_complete(cuts):
    with pytest.raises(ParameterError, match="a cut must be") as caught:
        Backtest(cuts=cuts).fit(pd.DataFrame(long_rows("a", [100, 120, 150, 200])))
    assert caught.value.field == "cuts"


def test_schedule_p_columns_become_the_long_contract():
    frame = pd.DataFrame({"GRCODE": [7, 7], "AccidentYear": [1998, 1998], "DevelopmentLag": [1, 2],
                          "CumPaidLoss": [10, 20], "IncurredLosses": [40, 35], "BulkLoss": [15, 5],
                          "EarnedPremNet": [100, 100], "LOB": ["medmal", "medmal"]})
    long = schedule_p_long(frame)
    assert long.to_dict("records")[1] == {"line": "medmal", "company": "7", "origin": 1998, "age": 2, "paid": 20,
                                          "incurred": 30, "premium": 100}


def _schedule_p_line(line: str, companies: int = 12) -> pd.DataFrame:
    cl = pytest.importorskip("chainladder")
    from pathlib import Path

    path = Path(cl.__file__).parent / "utils" / "data" / "clrd2025.csv"
    if not path.exists():
        pytest.skip("chainladder ships no clrd2025.csv")
    long = schedule_p_long(pd.read_csv(path))
    long = long[long["line"] == line]
    return long[long["company"].isin(sorted(long["company"].unique())[:companies])]


def test_singles_volume_fits_the_single_methods_on_volume_factors_and_the_default_on_the_rules():
    from reserving.engine.default import MATURITY_V1, MATURITY_V2

    frame = _schedule_p_line("wkcomp", companies=40)
    key = ["group", "cut", "method"]
    volume = Backtest(rule=MATURITY_V2, cuts=[3, 6], singles="volume").fit(frame).results_.set_index(key)
    own = Backtest(rule=MATURITY_V2, cuts=[3, 6]).fit(frame).results_.set_index(key)
    textbook = Backtest(rule=MATURITY_V1, cuts=[3, 6]).fit(frame).results_.set_index(key)
    assert len(volume) == len(own) == len(textbook) > 100
    singles = volume.index.get_level_values("method") != "default"
    # the single methods are maturity-v1's (volume-weighted factors, the same a-priori rule) …
    assert np.allclose(volume[singles]["estimate"], textbook.loc[volume.index[singles], "estimate"], rtol=1e-12)
    # … the default is maturity-v2's own, on its credibility-weighted factors
    assert np.allclose(volume[~singles]["estimate"], own.loc[volume.index[~singles], "estimate"], rtol=1e-12)
    # and the credibility weighting does move the single methods (the option is not a no-op)
    assert not np.allclose(volume[singles]["estimate"], own.loc[volume.index[singles], "estimate"], rtol=1e-6)


def test_singles_must_be_rule_or_volume_and_volume_takes_no_development():
    frame = pd.DataFrame(long_rows("a", [100, 120, 150, 200]))
    with pytest.raises(ParameterError, match="singles must be one of rule, volume") as caught:
        Backtest(cuts=[1], singles="plain").fit(frame)
    assert caught.value.field == "singles"
    with pytest.raises(ParameterError, match="does not combine") as caught:
        Backtest(cuts=[1], singles="volume", development={"average": "simple"}).fit(frame)
    assert caught.value.field == "singles"
