"""Methods and selections: refused input names the parameter, origin or age; selections are
pattern objects; Benktander sits between BF and the chain ladder; no NaN ever leaves."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reserving.engine import (Benktander, BornhuetterFerguson, CapeCod, ChainLadder, Development,
                              DevelopmentConstant, DevelopmentError, EngineError, ExpectedLossRatio,
                              ExposureError, MackChainLadder, ParameterError, TailConstant, TailCurve,
                              TailError, Triangle)

NAN = np.nan
VALUES = [[1000, 2500, 3400, 3800], [1200, 2900, 3900, NAN], [1300, 3200, NAN, NAN], [1500, NAN, NAN, NAN]]
PREMIUM = pd.Series({2021: 4000.0, 2022: 4500.0, 2023: 4800.0, 2024: 5000.0})


@pytest.fixture
def tri() -> Triangle:
    return Triangle.from_array(VALUES, origins=[2021, 2022, 2023, 2024], ages=[12, 24, 36, 48], measure="paid")


def test_fit_returns_self_and_ibnr_is_ultimate_minus_latest(tri):
    model = ChainLadder()
    assert model.fit(tri) is model
    pd.testing.assert_series_equal(model.ibnr_, (model.ultimate_ - model.latest_).rename("ibnr"))
    assert model.origin_cdf_.loc[2021] == 1.0


def test_an_all_zero_development_column_is_refused_naming_the_age():
    zero = Triangle.from_array([[0, 0, 5], [0, 4, NAN], [0, NAN, NAN]], ages=[3, 6, 9])
    with pytest.raises(DevelopmentError, match="from age 3 to 6: every value at that age is zero"):
        ChainLadder().fit(zero)


def test_a_selection_covers_an_age_that_cannot_be_estimated():
    zero = Triangle.from_array([[0, 0, 5], [0, 4, NAN], [0, NAN, NAN]], ages=[3, 6, 9])
    sel = DevelopmentConstant({3: 1.5, 6: 1.25}, style="ldf", note="industry pattern for the first quarter")
    model = ChainLadder(development=sel).fit(zero)
    assert model.ldf_.tolist() == [1.5, 1.25]
    assert model.ultimate_.tolist() == [5.0, 5.0, 0.0]  # zeros stay zero, ratios from zero included


def test_cdf_style_selection_and_its_tail(tri):
    sel = DevelopmentConstant({12: 3.9, 24: 1.6, 36: 1.2, 48: 1.05}, style="cdf")
    model = ChainLadder(development=sel).fit(tri)
    assert model.tail_ == 1.05 and model.cdf_.loc[12] == pytest.approx(3.9)
    assert model.ultimate_.loc[2024] == pytest.approx(1500 * 3.9)
    with pytest.raises(ParameterError, match="already carries a tail"):
        ChainLadder(development=sel, tail=TailConstant(1.1)).fit(tri)


def test_a_selection_missing_an_age_is_refused(tri):
    with pytest.raises(DevelopmentError, match="no LDF selected for age 24"):
        ChainLadder(development=DevelopmentConstant({12: 2.0, 36: 1.1})).fit(tri)
    with pytest.raises(DevelopmentError, match="age 60, which the triangle does not have"):
        ChainLadder(development=DevelopmentConstant({12: 2.0, 24: 1.3, 36: 1.1, 60: 1.0})).fit(tri)


def test_a_tail_below_one_is_refused(tri):
    with pytest.raises(TailError, match="tail factor 0.95 is below 1"):
        ChainLadder(tail=TailConstant(0.95)).fit(tri)


def test_unknown_average_and_sigma_interpolation_are_refused(tri):
    with pytest.raises(ParameterError, match="unknown average 'median'"):
        ChainLadder(development=Development(average="median")).fit(tri)
    with pytest.raises(ParameterError, match="unknown sigma_interpolation 'cubic'"):
        ChainLadder(development=Development(sigma_interpolation="cubic")).fit(tri)


def test_missing_exposure_is_refused_for_bf_and_cape_cod(tri):
    with pytest.raises(ExposureError, match="needs exposure"):
        BornhuetterFerguson(apriori=0.8).fit(tri)
    with pytest.raises(ExposureError, match="no exposure for origin 2024"):
        CapeCod().fit(tri, exposure=PREMIUM.drop(2024))
    with pytest.raises(ExposureError, match="origin 2022 is missing or not a number"):
        BornhuetterFerguson(apriori=0.8).fit(tri, exposure=PREMIUM.replace(4500.0, np.nan))


def test_a_negative_apriori_is_refused(tri):
    with pytest.raises(ParameterError, match="apriori"):
        BornhuetterFerguson(apriori=-0.1).fit(tri, exposure=PREMIUM)


def test_benktander_lies_between_bf_and_chain_ladder_and_converges_to_it(tri):
    bf = BornhuetterFerguson(apriori=0.8).fit(tri, exposure=PREMIUM).ultimate_
    cl = ChainLadder().fit(tri).ultimate_
    bk = Benktander(apriori=0.8, n_iters=2).fit(tri, exposure=PREMIUM).ultimate_
    lo, hi = np.minimum(bf, cl), np.maximum(bf, cl)
    assert np.all((bk >= lo - 1e-9) & (bk <= hi + 1e-9))
    many = Benktander(apriori=0.8, n_iters=200).fit(tri, exposure=PREMIUM).ultimate_
    np.testing.assert_allclose(many, cl, rtol=1e-6)


def test_expected_loss_ratio_ignores_emergence(tri):
    elr = ExpectedLossRatio(apriori=0.8).fit(tri, exposure=PREMIUM)
    np.testing.assert_allclose(elr.ultimate_, 0.8 * PREMIUM.to_numpy())
    np.testing.assert_allclose(elr.ibnr_, 0.8 * PREMIUM.to_numpy() - elr.latest_.to_numpy())


def test_cape_cod_apriori_is_reported_over_used_up_premium(tri):
    cc = CapeCod().fit(tri, exposure=PREMIUM)
    cl = ChainLadder().fit(tri)
    used_up = PREMIUM.to_numpy() / cl.origin_cdf_.to_numpy()
    assert cc.apriori_.iloc[0] == pytest.approx(cl.latest_.sum() / used_up.sum())
    with pytest.raises(ExposureError, match="Cape Cod: no used-up exposure"):
        CapeCod(decay=0.0).fit(tri, exposure=PREMIUM.replace(4800.0, 0.0))


def test_mack_refuses_a_triangle_too_small_to_estimate_sigma():
    small = Triangle.from_array([[1, 2], [1, NAN]])
    with pytest.raises(EngineError, match="Mack's standard error needs sigma"):
        MackChainLadder().fit(small)
    assert ChainLadder().fit(small).ultimate_.tolist() == [2.0, 2.0]


def test_mack_on_a_selection_takes_sigma_from_the_ratios_around_the_selected_factors(tri):
    own = MackChainLadder().fit(tri)
    factors = dict(own.ldf_.items())
    # the default, as chainladder: a selection has no sigma and Mack refuses it
    with pytest.raises(EngineError, match="carries no sigma"):
        MackChainLadder(development=DevelopmentConstant(factors)).fit(tri)
    # around the volume-weighted factors themselves: exactly Mack on the Development
    same = MackChainLadder(development=DevelopmentConstant(factors, mack_sigma="residuals")).fit(tri)
    np.testing.assert_allclose(same.mack_se_, own.mack_se_, rtol=1e-12)
    assert same.total_mack_se_ == pytest.approx(own.total_mack_se_, rel=1e-12)
    # a selection away from the ratios: its own ultimates, and more process risk
    steeper = {**factors, 12: 2.9}
    sel = MackChainLadder(development=DevelopmentConstant(steeper, mack_sigma="residuals")).fit(tri)
    np.testing.assert_allclose(sel.ultimate_, ChainLadder(development=DevelopmentConstant(steeper)).fit(tri).ultimate_)
    assert sel.development_.sigma_.iloc[0] > own.development_.sigma_.iloc[0]
    assert sel.mack_se_.iloc[-1] > own.mack_se_.iloc[-1]
    with pytest.raises(ParameterError, match="unknown mack_sigma 'data'"):
        DevelopmentConstant(factors, mack_sigma="data")


def test_a_tail_curve_needs_factors_above_one():
    flat = Triangle.from_array([[5, 5, 5], [5, 5, NAN], [5, NAN, NAN]])
    with pytest.raises(TailError, match="needs at least two development factors"):
        ChainLadder(tail=TailCurve()).fit(flat)


def test_drop_names_unknown_cells(tri):
    with pytest.raises(ParameterError, match="drop: unknown origin 1999"):
        ChainLadder(development=Development(drop=[(1999, 12)])).fit(tri)
    dropped = ChainLadder(development=Development(drop=[(2021, 12)])).fit(tri)
    assert dropped.ldf_.loc[12] == pytest.approx((2900 + 3200) / (1200 + 1300))


def test_outputs_are_finite_even_with_zero_rows(tri):
    values = np.array(VALUES)
    values[3, 0] = 0.0
    zero_row = Triangle.from_array(values, origins=tri.origins, ages=tri.ages)
    mack = MackChainLadder().fit(zero_row)
    for series in (mack.ultimate_, mack.ibnr_, mack.mack_se_, mack.ldf_, mack.cdf_):
        assert np.all(np.isfinite(series))
    assert mack.ultimate_.iloc[-1] == 0


def _company(seed: int) -> Triangle:
    rng = np.random.default_rng(seed)
    values = np.array(VALUES, dtype=float) * rng.uniform(0.5, 2.0, size=(4, 1)) * rng.uniform(0.9, 1.1, size=(4, 4))
    values = np.maximum.accumulate(np.where(np.isnan(values), 0, values), axis=1)
    values[np.isnan(np.array(VALUES, dtype=float))] = np.nan
    return Triangle.from_array(values, origins=[2021, 2022, 2023, 2024], ages=[12, 24, 36, 48])


@pytest.mark.parametrize("make", [
    lambda: MackChainLadder(tail=TailConstant(1.03)),
    lambda: MackChainLadder(development=Development(average="simple", sigma_interpolation="mack")),
    lambda: CapeCod(decay=0.7, trend=0.03),
    lambda: Benktander(apriori=0.9, n_iters=3),
])
def test_fit_many_gives_exactly_what_fitting_one_by_one_gives(make):
    triangles = [_company(seed) for seed in range(6)]
    premiums = [PREMIUM * (1 + seed / 10) for seed in range(6)]
    batch = (make().fit_many(triangles, premiums) if isinstance(make(), Benktander)
             else make().fit_many(triangles))
    for k, (tri, premium) in enumerate(zip(triangles, premiums)):
        one = make().fit(tri, exposure=premium) if isinstance(make(), Benktander) else make().fit(tri)
        pd.testing.assert_series_equal(batch[k].ultimate_, one.ultimate_)
        pd.testing.assert_series_equal(batch[k].ldf_, one.ldf_)
        if isinstance(one, MackChainLadder):
            pd.testing.assert_series_equal(batch[k].mack_se_, one.mack_se_)
            assert batch[k].total_mack_se_ == one.total_mack_se_


def test_a_triangle_stack_built_once_fits_like_the_list():
    from reserving.engine import TriangleStack

    triangles = [_company(seed) for seed in range(5)]
    stack = TriangleStack(triangles)
    for again in range(2):  # the stack is reusable and never mutated by a fit
        from_stack = MackChainLadder().fit_many(stack)
        from_list = MackChainLadder().fit_many(triangles)
        for a, b in zip(from_stack, from_list):
            pd.testing.assert_series_equal(a.ultimate_, b.ultimate_)
            pd.testing.assert_series_equal(a.mack_se_, b.mack_se_)


def test_fit_many_names_the_triangle_that_fails(tri):
    zero = Triangle.from_array(np.where(np.isnan(np.array(VALUES, dtype=float)), np.nan, 0.0) + 0,
                               origins=tri.origins, ages=tri.ages)
    with pytest.raises(DevelopmentError, match="triangle 1: no development factor can be estimated from age 12"):
        ChainLadder().fit_many([tri, zero])
    with pytest.raises(ParameterError, match="triangle 1 differs in shape"):
        ChainLadder().fit_many([tri, Triangle.from_array([[1.0, 2.0], [1.0, np.nan]])])


def test_development_fits_on_its_own_and_reports_by_age(tri):
    dev = Development(average="simple")
    assert not hasattr(dev, "ldf_")
    assert dev.fit(tri) is dev
    assert list(dev.ldf_.index) == [12, 24, 36] and list(dev.cdf_.index) == [12, 24, 36, 48]
    assert dev.ldf_.loc[36] == pytest.approx(3800 / 3400)
    assert dev.ldf_.loc[12] == pytest.approx(np.mean([2500 / 1000, 2900 / 1200, 3200 / 1300]))
    assert dev.cdf_.loc[48] == 1.0 and np.all(np.isfinite(dev.sigma_)) and np.all(np.isfinite(dev.std_err_))
