"""reserving/compute.py without a database: one segment's computation from aggregated inputs.

Mack's standard error beside an ultimate is fitted on the pattern that ultimate used — the
segment's own factors with thin ages at 1.0, a selection, or a borrowed pattern — and is shown
only beside chain-ladder ultimates; an unknown IBNR method is refused (defects, item 13)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from core.periods import Quarter
from reserving import compute, selectors
from reserving import engine as E

VALUATION = date(2024, 12, 31)
N = 12  # origin quarters 2022Q1…2024Q4
FIRST = Quarter.of(date(2022, 1, 1))
FIRST_INDEX = FIRST.year * 4 + FIRST.q - 1
# share of the ultimate reported by each development quarter; the last two ages still develop,
# and have fewer than 3 link ratios: the booked pattern takes 1.0 there
REPORTED = np.array([0.20, 0.40, 0.55, 0.67, 0.76, 0.83, 0.88, 0.92, 0.95, 0.97, 0.985, 1.0])


def _cells(seed: int = 5, scale: float = 1.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(N):
        ultimate = 1_000_000.0 * (1 + 0.05 * i) * scale
        steps = np.diff(np.concatenate([[0.0], REPORTED])) * ultimate * rng.uniform(0.7, 1.3, size=N)
        for j in range(N - i):
            paid = round(0.6 * steps[j] * 100)
            rows.append((FIRST_INDEX + i, FIRST_INDEX + i + j, paid, round(steps[j] * 100) - paid))
    return pd.DataFrame(rows, columns=["oq", "aq", "paid", "case_change"])


def _counts(cells: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"oq": cells.oq.unique(), "rq": cells.oq.unique(), "count": 3})


def _inputs(seed: int = 5) -> compute.SegmentInputs:
    cells = _cells(seed)
    earned = {(FIRST + i).label: 1_600_000.0 * (1 + 0.05 * i) for i in range(N)}
    return compute.SegmentInputs(segment="nurses", currency="RUB", cells=cells, counts=_counts(cells),
                                 upr=Decimal("500000.00"), rbns=Decimal("800000.00"), earned=earned,
                                 recent_premium=Decimal("6000000.00"))


# the quarterly chain ladder (version-1 method) these tests are about, as run parameters
PARAMS = compute.effective_parameters({}, {"bootstrap_sims": 50, "grain": "OQDQ", "ibnr_method": "chainladder"})


def _incurred(inputs: compute.SegmentInputs) -> E.Triangle:
    frame = selectors.triangles_from_cells(inputs.cells, inputs.counts, VALUATION)["incurred"]
    return compute._to_triangle(frame, "incurred")


def _mack_on(out: compute.SegmentOutcome, tri: E.Triangle) -> E.MackChainLadder:
    """Mack fitted on the factors the outcome booked (as it reports them) and its tail."""
    booked = E.DevelopmentConstant({int(a): f for a, f in out.factors["ldf"].items()}, mack_sigma="residuals")
    return E.MackChainLadder(development=booked, tail=E.TailConstant(out.factors["tail"])).fit(tri)


def _se(out: compute.SegmentOutcome) -> np.ndarray:
    return np.array([np.nan if o.mack_se is None else float(o.mack_se) for o in out.origins])


def _assert_belongs(out: compute.SegmentOutcome, tri: E.Triangle) -> np.ndarray:
    expected = _mack_on(out, tri)
    # Mack's ultimates are the booked ones, and so its standard errors belong to them
    np.testing.assert_allclose([float(o.ultimate) for o in out.origins], expected.ultimate_, rtol=1e-6, atol=0.01)
    np.testing.assert_allclose(_se(out), expected.mack_se_, rtol=1e-5, atol=0.01)
    assert out.factors["total_mack_se"] == pytest.approx(expected.total_mack_se_, rel=1e-5)
    return expected.mack_se_.to_numpy()


def test_mack_se_is_fitted_on_the_segments_own_pattern_with_thin_ages_at_one():
    inputs = _inputs()
    tri = _incurred(inputs)
    out = compute.segment_outcome(inputs=inputs, params=PARAMS, selection=None, valuation_date=VALUATION)
    assert out.ibnr_method == "chainladder" and "1.0" in out.factors["development"]
    assert out.factors["ldf"]["30"] == 1.0 and out.factors["ldf"]["33"] == 1.0  # the thin ages
    se = _assert_belongs(out, tri)
    # what was shown before: Mack on a default Development, whose last two factors are not 1.0
    default = E.MackChainLadder().fit(tri).mack_se_.to_numpy()
    assert not np.allclose(se, default, rtol=0.01)


def test_mack_se_follows_the_selected_ldfs():
    inputs = _inputs()
    tri = _incurred(inputs)
    own = compute.segment_outcome(inputs=inputs, params=PARAMS, selection=None, valuation_date=VALUATION)
    out = compute.segment_outcome(inputs=inputs, params=PARAMS, valuation_date=VALUATION,
                                  selection={"ldfs": {"3": 2.6, "6": 1.5}, "note": "industry"})
    assert out.factors["development"].startswith("selected LDFs") and out.factors["ldf"]["3"] == 2.6
    _assert_belongs(out, tri)
    assert _se(out)[-1] > 1.2 * _se(own)[-1]  # the youngest origin takes the steeper factors


def test_mack_se_follows_a_borrowed_pattern():
    inputs = _inputs()
    tri = _incurred(inputs)
    other = _cells(seed=9, scale=3.0)
    borrowed = selectors.triangles_from_cells(other, _counts(other), VALUATION)["incurred"]
    out = compute.segment_outcome(inputs=inputs, params=PARAMS, selection={"pattern_from": "pooled"},
                                  valuation_date=VALUATION, borrowed_incurred=borrowed)
    assert out.factors["development"].startswith("borrowed from pooled")
    _assert_belongs(out, tri)


@pytest.mark.parametrize("method", ["bf", "capecod"])
def test_no_chain_ladder_standard_error_beside_other_ultimates(method):
    out = compute.segment_outcome(inputs=_inputs(), params=PARAMS, selection={"method": method},
                                  valuation_date=VALUATION)
    assert out.ibnr_method == method
    assert all(o.mack_se is None for o in out.origins) and "total_mack_se" not in out.factors
    assert any(note.startswith("Mack s.e. not shown") for note in out.selections["notes"])


def test_an_unknown_method_is_refused_not_taken_for_chain_ladder():
    with pytest.raises(E.ParameterError, match="method must be one of .*got 'median'"):
        compute.segment_outcome(inputs=_inputs(), params=PARAMS, selection={"method": "median"},
                                valuation_date=VALUATION)
    with pytest.raises(E.ParameterError, match="'ibnr_method' must be one of .*got 'mack'"):
        compute.segment_outcome(inputs=_inputs(), params={**PARAMS, "ibnr_method": "mack"}, selection=None,
                                valuation_date=VALUATION)


def test_the_stored_inputs_round_trip_to_the_same_canonical_form():
    inputs = _inputs()
    inputs.apriori = {2024: (0.8, "pricing")}
    inputs.closures = pd.DataFrame({"oq": [FIRST_INDEX], "aq": [FIRST_INDEX + 3], "closed": [2]})
    doc = inputs.canonical()
    back = compute.inputs_from_canonical(doc)
    assert back.canonical() == doc
    assert back.apriori == {2024: (0.8, "pricing")} and back.upr == Decimal("500000.00")
