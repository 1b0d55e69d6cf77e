"""engine.backtest.emergence_backtest: the back-test on a book's own history, on a staircase
whose development is exact (incurred ×1.5 from 12 to 24, ×1.2 from 24 to 36, then flat; paid
half of incurred), so the chain ladder expects exactly what emerged.

Now 2020 and 2021 are at 48, 2022 at 36, 2023 at 24, 2024 at 12. Cut 1 (a year ago): 2020 at
48, 2021 at 36, 2022 at 24, 2023 at 12; since then 2021 stayed flat, 2022 went 1.2·150 → 1.2·180
(+36), 2023 went 1.3·100 → 1.3·150 (+65): 101 emerged.
"""
from __future__ import annotations

import numpy as np
import pytest

from reserving.engine import ParameterError, Triangle
from reserving.engine.backtest import emergence_backtest, emergence_summary

N = 5
AGES = [12, 24, 36, 48]


def _staircase() -> Triangle:
    values = np.full((N, 4), np.nan)
    for i in range(N):
        scale = 1 + 0.1 * i
        row = [100.0 * scale, 150.0 * scale, 180.0 * scale, 180.0 * scale]
        values[i, : min(4, N - i)] = row[: min(4, N - i)]
    return Triangle.from_array(values, origins=[2020 + i for i in range(N)], ages=AGES, allow_decrease=True)


def test_the_chain_ladder_on_an_exact_pattern_expects_what_emerged():
    inc = _staircase()
    out = emergence_backtest(paid=inc * 0.5, incurred=inc, exposure=np.full(N, 250.0), cuts=[1, 2])
    cut1 = out[(out.cut == 1)].set_index("method")
    assert cut1.loc["incurred_cl", "actual"] == pytest.approx(101.0)   # 2024 began after the cut
    assert cut1.loc["incurred_cl", "expected"] == pytest.approx(101.0)
    assert cut1.loc["incurred_cl", "error"] == pytest.approx(0.0, abs=1e-12)
    # paid levelled to incurred at the cut's last age (×2) develops the same way
    assert cut1.loc["paid_cl", "error"] == pytest.approx(0.0, abs=1e-12)
    assert cut1.loc["incurred_cl", "origins"] == 4
    summary = emergence_summary(out).set_index("method")
    assert summary.loc["incurred_cl", "cuts"] == 2 and summary.loc["incurred_cl", "mean_abs_error"] == pytest.approx(0.0, abs=1e-12)
    # BF's a-priori IBNR is not the chain ladder's: it errs, and the summary says by how much
    assert abs(summary.loc["bf_incurred", "aggregate_error"]) > 0.01
    assert "default" in summary.index


@pytest.mark.parametrize("cuts", [0, 4, [1, "2"], True])
def test_a_cut_outside_the_history_is_refused(cuts):
    inc = _staircase()
    with pytest.raises(ParameterError) as err:
        emergence_backtest(paid=inc * 0.5, incurred=inc, exposure=np.full(N, 250.0), cuts=cuts)
    assert err.value.field == "cuts"


def test_exposure_must_match_the_origins():
    inc = _staircase()
    with pytest.raises(ParameterError) as err:
        emergence_backtest(paid=inc * 0.5, incurred=inc, exposure=np.full(N - 1, 250.0))
    assert err.value.field == "exposure"
