"""Tail curves: exponential decay and inverse power of (LDF − 1), with their fit statistics
(slope, intercept, R², points used) — by hand on the 4×4 triangle of domain.md §3, and at parity
with chainladder's TailCurve (1e-9)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from reserving.engine import ChainLadder, MackChainLadder, TailCurve, TailError, Triangle

NAN = np.nan
RTOL = 1e-9


@pytest.fixture
def tri():
    return Triangle.from_array([[1000, 2500, 3400, 3800], [1200, 2900, 3900, NAN], [1300, 3200, NAN, NAN],
                                [1500, NAN, NAN, NAN]], origins=[2021, 2022, 2023, 2024], ages=[12, 24, 36, 48])


LDF = np.array([8600 / 3500, 7300 / 5400, 3800 / 3400])


def _hand_fit(x, y):
    slope, intercept = np.polyfit(x, y, 1)
    fitted = slope * x + intercept
    r2 = 1 - np.sum((y - fitted) ** 2) / np.sum((y - y.mean()) ** 2)
    return slope, intercept, r2


@pytest.mark.parametrize("curve", ["exponential", "inverse_power"])
def test_a_curve_fitted_by_hand(tri, curve):
    t = np.arange(1.0, 4.0)
    x = t if curve == "exponential" else np.log(t)
    slope, intercept, r2 = _hand_fit(x, np.log(LDF - 1))
    fit = ChainLadder(tail=TailCurve(curve=curve)).fit(tri).tail_fit_
    assert fit.slope_ == pytest.approx(slope, rel=1e-12)
    assert fit.intercept_ == pytest.approx(intercept, rel=1e-12)
    assert fit.r_squared_ == pytest.approx(r2, rel=1e-12)
    assert fit.n_points_ == 3 and fit.fit_ages_ == [12, 24, 36]
    beyond = np.arange(4.0, 104.0)
    step = np.exp(intercept + slope * beyond) if curve == "exponential" else np.exp(intercept) * beyond ** slope
    assert fit.tail_ == pytest.approx(np.prod(1 + step), rel=1e-12)
    assert fit.fit_statistics_ == {"curve": curve, "slope": fit.slope_, "intercept": fit.intercept_,
                                   "r_squared": fit.r_squared_, "n_points": 3, "fit_ages": [12, 24, 36],
                                   "tail": fit.tail_}


def test_the_exponential_slope_on_three_equally_spaced_points(tri):
    fit = ChainLadder(tail=TailCurve()).fit(tri).tail_fit_
    # slope = (log 0.117647 − log 1.457143) / 2
    assert fit.slope_ == pytest.approx((np.log(4 / 34) - np.log(5100 / 3500)) / 2, rel=1e-12)
    assert fit.slope_ == pytest.approx(-1.258272, abs=1e-6)


def test_fit_period_and_threshold_limit_the_points(tri):
    fit = ChainLadder(tail=TailCurve(fit_period=(24, None))).fit(tri).tail_fit_
    assert fit.n_points_ == 2 and fit.fit_ages_ == [24, 36] and fit.r_squared_ == pytest.approx(1.0)
    with pytest.raises(TailError, match="needs at least two development factors above 1.4"):
        ChainLadder(tail=TailCurve(reg_threshold=(1.4, None))).fit(tri)
    with pytest.raises(TailError, match="unknown tail curve 'weibull'; known: exponential, inverse_power"):
        ChainLadder(tail=TailCurve(curve="weibull")).fit(tri)


import chainladder as cl  # noqa: E402 - a missing test extra must fail, not skip


def _engine(tri) -> Triangle:
    values = np.asarray(tri.values[0, 0], dtype=np.float64)
    observed = ~np.isnan(tri.nan_triangle)
    return Triangle.from_array(np.where(observed, np.nan_to_num(values), np.nan),
                               origins=[str(o) for o in tri.origin],
                               ages=np.asarray(tri.development, dtype=int), allow_negative=True)


@pytest.mark.parametrize("name", ["raa", "genins", "abc"])
@pytest.mark.parametrize("curve", ["exponential", "inverse_power"])
@pytest.mark.parametrize("fit_period", [(None, None), (24, None)])
def test_tail_curves_match_chainladder(name, curve, fit_period):
    tri = cl.load_sample(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dev = cl.Development().fit_transform(tri)
        their_tail = cl.TailCurve(curve=curve, fit_period=fit_period).fit(dev)
        mack = cl.MackChainladder().fit(cl.TailCurve(curve=curve, fit_period=fit_period).fit_transform(dev))
    ours = MackChainLadder(tail=TailCurve(curve=curve, fit_period=fit_period)).fit(_engine(tri))
    fit = ours.tail_fit_
    n = tri.shape[3]
    assert fit.tail_ == pytest.approx(float(mack.cdf_.values[0, 0, 0, n - 1]), rel=RTOL)
    assert fit.slope_ == pytest.approx(float(their_tail.slope_.values[0, 0]), rel=RTOL)
    assert fit.intercept_ == pytest.approx(float(their_tail.intercept_.values[0, 0]), rel=RTOL)
    np.testing.assert_allclose(ours.ultimate_.to_numpy(), mack.ultimate_.values[0, 0, :, 0], rtol=RTOL)
    np.testing.assert_allclose(ours.mack_se_.to_numpy()[1:], mack.mack_std_err_.values[0, 0, 1:, -1], rtol=RTOL)
    assert ours.total_mack_se_ == pytest.approx(float(mack.total_mack_std_err_.values.ravel()[0]), rel=RTOL)
    # R² as chainladder's WeightedRegression computes it on the same points
    from chainladder.utils import WeightedRegression
    ldf = ours.development_.ldf_.to_numpy()
    w = np.ones_like(ldf)
    if fit_period[0] is not None:
        w[ours.development_.ldf_.index < fit_period[0]] = 0
    w[ldf <= 1.00001] = 0
    y = np.log(np.where(w > 0, ldf, 1.01) - 1)
    x = np.arange(1.0, len(ldf) + 1)
    x = x if curve == "exponential" else np.log(x)
    reg = WeightedRegression(axis=3).fit(x[None, None, None, :], y[None, None, None, :], w[None, None, None, :])
    assert fit.r_squared_ == pytest.approx(float(np.ravel(reg.rsq_)[0]), rel=RTOL)
    assert fit.n_points_ == int(w.sum())
