"""Development options for the workbench: n_periods per age, medial and geometric averages,
single link ratios excluded by cell, min_link_ratios (the thin-age rule) and the exhibit's table
of averages — hand-checkable on the 4×4 paid triangle of domain.md §3 and at parity with
chainladder (1e-9) where it has the option."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from reserving.engine import (ChainLadder, Development, DevelopmentError, MackChainLadder, ParameterError,
                              Triangle)
from reserving.engine.development import link_ratio_averages

NAN = np.nan
RTOL = 1e-9


@pytest.fixture
def tri():
    """domain.md §3: ratios at 12: 2.5, 29/12, 32/13; at 24: 1.36, 39/29; at 36: 38/34."""
    return Triangle.from_array([[1000, 2500, 3400, 3800], [1200, 2900, 3900, NAN], [1300, 3200, NAN, NAN],
                                [1500, NAN, NAN, NAN]], origins=[2021, 2022, 2023, 2024], ages=[12, 24, 36, 48],
                               measure="paid")


def five():
    """Five ratios at age 1: 2.5, 2.4, 2.6, 2.3, 2.7 (origins 0–4), later ages 1.1 each."""
    first = np.array([250, 240, 260, 230, 270, 200], dtype=float)
    values = np.full((6, 6), NAN)
    values[:, 0] = 100.0
    for i in range(5):
        values[i, 1] = first[i]
        for j in range(2, 6 - i):
            values[i, j] = values[i, j - 1] * 1.1
    return Triangle.from_array(values, ages=[1, 2, 3, 4, 5, 6])


# ---------------------------------------------------------------- hand-checkable numbers
def test_geometric_average_is_the_geometric_mean_of_the_ratios(tri):
    ldf = Development(average="geometric").fit(tri).ldf_
    assert ldf.loc[12] == pytest.approx((2.5 * 29 / 12 * 32 / 13) ** (1 / 3), rel=1e-12)
    assert ldf.loc[24] == pytest.approx((1.36 * 39 / 29) ** 0.5, rel=1e-12)
    assert ldf.loc[36] == pytest.approx(38 / 34, rel=1e-12)


def test_medial_average_leaves_out_the_highest_and_lowest_ratio(tri):
    ldf = Development(average="medial").fit(tri).ldf_
    assert ldf.loc[12] == pytest.approx(32 / 13, rel=1e-12)               # 2.4167 < 2.4615 < 2.5
    assert ldf.loc[24] == pytest.approx((1.36 + 39 / 29) / 2, rel=1e-12)  # two ratios: both kept
    assert ldf.loc[36] == pytest.approx(38 / 34, rel=1e-12)


def test_medial_ranks_the_ratios_left_after_the_hand_exclusions():
    t = five()
    assert Development(average="medial").fit(t).ldf_.loc[1] == pytest.approx(2.5, rel=1e-12)
    # 2.7 dropped by hand: the medial of 2.5, 2.4, 2.6, 2.3 leaves out 2.6 and 2.3
    assert Development(average="medial", drop=(4, 1)).fit(t).ldf_.loc[1] == pytest.approx(2.45, rel=1e-12)
    # chainladder's drop_high/drop_low rank before the hand exclusion: 2.7 is "the high" one
    cl_style = Development(average="simple", drop_high=1, drop_low=1, drop=(4, 1)).fit(t)
    assert cl_style.ldf_.loc[1] == pytest.approx(2.5, rel=1e-12)


def test_n_periods_per_age(tri):
    by_dict = Development(n_periods={12: 2}).fit(tri).ldf_
    assert by_dict.loc[12] == pytest.approx((2900 + 3200) / (1200 + 1300), rel=1e-12)
    assert by_dict.loc[24] == pytest.approx(7300 / 5400, rel=1e-12)
    by_list = Development(n_periods=[2, -1, -1]).fit(tri).ldf_
    pd.testing.assert_series_equal(by_dict, by_list)
    t = five()
    assert Development(average="simple", n_periods={1: 3}).fit(t).ldf_.loc[1] == pytest.approx(
        (2.6 + 2.3 + 2.7) / 3, rel=1e-12)
    with pytest.raises(ParameterError, match="n_periods lists 2 entries for 3 development columns"):
        Development(n_periods=[2, 2]).fit(tri)
    with pytest.raises(ParameterError, match="n_periods: age 48 has no link ratios"):
        Development(n_periods={48: 2}).fit(tri)
    with pytest.raises(ParameterError, match="n_periods must be an integer"):
        Development(n_periods=2.5).fit(tri)


def test_a_single_link_ratio_is_excluded_by_its_cell(tri):
    ldf = Development(drop=[(2022, 12)]).fit(tri).ldf_
    assert ldf.loc[12] == pytest.approx((2500 + 3200) / (1000 + 1300), rel=1e-12)
    ldf = Development(average="geometric", drop=[(2021, 12), (2022, 24)]).fit(tri).ldf_
    assert ldf.loc[12] == pytest.approx((29 / 12 * 32 / 13) ** 0.5, rel=1e-12)
    assert ldf.loc[24] == pytest.approx(1.36, rel=1e-12)


def test_min_link_ratios_sets_thin_ages_to_one(tri):
    dev = Development(min_link_ratios=2).fit(tri)
    np.testing.assert_allclose(dev.ldf_.to_numpy(), [8600 / 3500, 7300 / 5400, 1.0], rtol=1e-12)
    assert dev.thin_ages_ == [36]
    assert dev.link_counts_.tolist() == [3, 2, 1]
    cl3 = ChainLadder(development=Development(min_link_ratios=3)).fit(tri)
    np.testing.assert_allclose(cl3.ldf_.to_numpy(), [8600 / 3500, 1.0, 1.0], rtol=1e-12)
    np.testing.assert_allclose(cl3.ultimate_.to_numpy(), [3800, 3900, 3200, 1500 * 8600 / 3500], rtol=1e-12)
    # the default is unchanged: every age estimated
    assert Development().fit(tri).thin_ages_ == [] and Development().fit(tri).link_counts_ is None


def test_min_link_ratios_does_not_count_ratios_from_zero_and_leaves_them_out_of_the_volume():
    values = [[1000, 2500, 3400, 3800, 3900], [0, 2900, 3900, 4100, NAN], [1300, 3200, 4000, NAN, NAN],
              [1100, 2600, NAN, NAN, NAN], [1500, NAN, NAN, NAN, NAN]]
    t = Triangle.from_array(values, origins=[2020, 2021, 2022, 2023, 2024], ages=[12, 24, 36, 48, 60])
    dev = Development(min_link_ratios=3).fit(t)
    assert dev.link_counts_.tolist() == [3, 3, 2, 1]
    # neither the 0 nor the 2900 it grows to: (2500 + 3200 + 2600) / (1000 + 1300 + 1100)
    assert dev.ldf_.loc[12] == pytest.approx(8300 / 3400, rel=1e-12)
    assert dev.thin_ages_ == [36, 48]
    assert Development().fit(t).ldf_.loc[12] == dev.ldf_.loc[12]


def test_min_link_ratios_gives_a_factor_to_an_age_without_any_ratio():
    t = Triangle.from_array([[0, 0, 5], [0, 0, NAN], [0, NAN, NAN]], ages=[3, 6, 9])
    with pytest.raises(DevelopmentError, match="every value at that age is zero"):
        Development().fit(t)
    dev = Development(min_link_ratios=1).fit(t)
    assert dev.ldf_.tolist() == [1.0, 1.0] and dev.thin_ages_ == [3, 6]
    with pytest.raises(ParameterError, match="min_link_ratios must be a non-negative integer"):
        Development(min_link_ratios=-1).fit(t)


def test_mack_on_thin_ages_takes_sigma_around_one():
    values = [[1000, 2500, 3400, 3800, 3900], [1200, 2900, 3900, 4100, NAN], [1300, 3200, 4000, NAN, NAN],
              [1100, 2600, NAN, NAN, NAN], [1500, NAN, NAN, NAN, NAN]]
    t = Triangle.from_array(values, origins=[2020, 2021, 2022, 2023, 2024], ages=[12, 24, 36, 48, 60])
    from reserving.engine import DevelopmentConstant
    thin = MackChainLadder(development=Development(min_link_ratios=3)).fit(t)
    factors = dict(thin.ldf_.items())
    same = MackChainLadder(development=DevelopmentConstant(factors, mack_sigma="residuals")).fit(t)
    np.testing.assert_allclose(thin.mack_se_, same.mack_se_, rtol=1e-12)


def test_a_geometric_average_refuses_a_ratio_of_zero_naming_it():
    t = Triangle.from_array([[100, 0, 0], [100, 150, NAN], [100, NAN, NAN]], origins=["A", "B", "C"],
                            ages=[3, 6, 9], allow_decrease=True)
    with pytest.raises(DevelopmentError, match="origin A from age 3 has 0"):
        Development(average="geometric").fit(t)
    assert Development(average="geometric", drop=("A", 3), min_link_ratios=1).fit(t).ldf_.loc[3] == 1.5


def test_link_ratio_averages_is_the_exhibit_table(tri):
    table = link_ratio_averages(tri)
    assert list(table.columns) == [12, 24, 36]
    assert table.index.names == ["average", "periods"]
    assert list(table.index) == [(a, p) for a in ("simple", "volume", "medial", "geometric")
                                 for p in ("all", "latest 3", "latest 5", "latest 8")]
    row = table.loc[("simple", "all")]
    assert row.loc[12] == pytest.approx((2.5 + 29 / 12 + 32 / 13) / 3, rel=1e-12)
    assert table.loc[("volume", "latest 3"), 12] == pytest.approx(8600 / 3500, rel=1e-12)
    assert table.loc[("medial", "all"), 12] == pytest.approx(32 / 13, rel=1e-12)
    assert table.loc[("geometric", "latest 8"), 24] == pytest.approx((1.36 * 39 / 29) ** 0.5, rel=1e-12)
    # windows: on five(), the latest 3 of age 1 are 2.6, 2.3, 2.7
    t = five()
    exhibit = link_ratio_averages(t, periods=(None, 3))
    assert exhibit.loc[("simple", "latest 3"), 1] == pytest.approx(2.6 / 1 / 3 + 2.3 / 3 + 2.7 / 3, rel=1e-12)
    assert exhibit.loc[("medial", "latest 3"), 1] == pytest.approx(2.6, rel=1e-12)
    assert exhibit.loc[("medial", "all"), 1] == pytest.approx(2.5, rel=1e-12)
    # a hand exclusion applies to every row
    dropped = link_ratio_averages(t, periods=(None,), drop=[(4, 1)])
    assert dropped.loc[("medial", "all"), 1] == pytest.approx(2.45, rel=1e-12)


def test_link_ratio_averages_are_nan_where_development_refuses():
    t = Triangle.from_array([[0, 0, 5], [0, 4, NAN], [3, NAN, NAN]], ages=[3, 6, 9])
    table = link_ratio_averages(t)
    assert table[3].isna().all()           # every from-value zero
    z = Triangle.from_array([[100, 0, 0], [100, 150, NAN], [100, NAN, NAN]], ages=[3, 6, 9], allow_decrease=True)
    table = link_ratio_averages(z)
    assert np.isnan(table.loc[("geometric", "all"), 3])
    assert table.loc[("simple", "all"), 3] == pytest.approx(0.75)


def test_link_ratio_averages_agree_with_development_on_every_row():
    import chainladder as cl  # a missing test extra must fail, not skip
    raa = _engine(cl.load_sample("raa"))
    table = link_ratio_averages(raa)
    for average in ("simple", "volume", "medial", "geometric"):
        for n, label in ((-1, "all"), (3, "latest 3"), (5, "latest 5"), (8, "latest 8")):
            ldf = Development(average=average, n_periods=n).fit(raa).ldf_
            np.testing.assert_allclose(table.loc[(average, label)].to_numpy(), ldf.to_numpy(), rtol=1e-13)


# ---------------------------------------------------------------- parity with chainladder
def _engine(tri) -> Triangle:
    values = np.asarray(tri.values[0, 0], dtype=np.float64)
    observed = ~np.isnan(tri.nan_triangle)
    return Triangle.from_array(np.where(observed, np.nan_to_num(values), np.nan),
                               origins=[str(o) for o in tri.origin],
                               ages=np.asarray(tri.development, dtype=int), allow_negative=True)


def _samples():
    import chainladder as cl  # a missing test extra must fail, not skip
    return cl, {name: cl.load_sample(name) for name in ("raa", "genins", "abc")}


PARITY_SETTINGS = [
    (dict(n_periods=[3, 5, -1, 4, 2, -1, 3, -1, -1]), dict(n_periods=[3, 5, -1, 4, 2, -1, 3, -1, -1])),
    (dict(n_periods={12: 3, 24: 5, 60: 2}), dict(n_periods=[3, 5, -1, -1, 2, -1, -1, -1, -1])),
    (dict(average="geometric"), dict(average="geometric")),
    (dict(average="geometric", n_periods=4), dict(average="geometric", n_periods=4)),
    (dict(average="medial"), dict(average="simple", drop_high=1, drop_low=1)),
    (dict(average="medial", n_periods=5), dict(average="simple", drop_high=1, drop_low=1, n_periods=5)),
    (dict(average=["geometric", "simple", "volume", "regression"] * 2 + ["volume"]),
     dict(average=["geometric", "simple", "volume", "regression"] * 2 + ["volume"])),
    (dict(average="geometric", drop=[("1982", 12), ("1985", 36)]),
     dict(average="geometric", drop=[("1982", 12), ("1985", 36)])),
]


@pytest.mark.parametrize("ours,theirs", PARITY_SETTINGS, ids=[str(o) for o, _ in PARITY_SETTINGS])
def test_development_options_match_chainladder_on_raa(ours, theirs):
    cl, samples = _samples()
    raa = samples["raa"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        their = cl.Development(**theirs).fit(raa)
    mine = Development(**ours).fit(_engine(raa))
    for name in ("ldf_", "sigma_", "std_err_"):
        np.testing.assert_allclose(getattr(mine, name).to_numpy(), getattr(their, name).values[0, 0, 0, :9],
                                   rtol=RTOL, err_msg=name)
    geometric = "geometric" in str(theirs.get("average"))
    if geometric:  # chainladder's Mack has no geometric average: its chain ladder only
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ult = cl.Chainladder().fit(their.transform(raa)).ultimate_.values[0, 0, :, 0]
        np.testing.assert_allclose(ChainLadder(development=Development(**ours)).fit(_engine(raa)).ultimate_,
                                   ult, rtol=RTOL)
    elif "drop_high" not in theirs:  # chainladder zeroes the latest diagonal's weights with drop_high
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mack = cl.MackChainladder().fit(their.transform(raa))
        ours_mack = MackChainLadder(development=Development(**ours)).fit(_engine(raa))
        np.testing.assert_allclose(ours_mack.ultimate_.to_numpy(), mack.ultimate_.values[0, 0, :, 0], rtol=RTOL)
        np.testing.assert_allclose([ours_mack.total_mack_se_], mack.total_mack_std_err_.values.ravel(), rtol=RTOL)


@pytest.mark.parametrize("name", ["raa", "genins", "abc"])
@pytest.mark.parametrize("average", ["geometric", "medial"])
def test_geometric_and_medial_match_chainladder_on_the_samples(name, average):
    cl, samples = _samples()
    tri = samples[name]
    theirs = dict(average="simple", drop_high=1, drop_low=1) if average == "medial" else dict(average=average)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        their = cl.Development(**theirs).fit(tri)
    mine = Development(average=average).fit(_engine(tri))
    n = tri.shape[3] - 1
    np.testing.assert_allclose(mine.ldf_.to_numpy(), their.ldf_.values[0, 0, 0, :n], rtol=RTOL)
    np.testing.assert_allclose(mine.sigma_.to_numpy(), their.sigma_.values[0, 0, 0, :n], rtol=RTOL)
