"""Merz–Wüthrich one-year claims development result: parity with PUBLISHED figures.

Source of every expected number below: the documented example output of R ChainLadder's `CDR`
(help page "One year claims development result", man/CDR.Rd, rendered by pkgdown as
reference/CDR.md in github.com/mages/ChainLadder, commit 39cd6db52012a49d4b1b09796762f213d73f7c3f;
https://mages.github.io/ChainLadder/reference/CDR.html), computed by Wüthrich's own code
(R/MWChainLadder.R) with `MackChainLadder(..., est.sigma="Mack")`:

* MW2008 — the 9×9 triangle of Merz & Wüthrich, "Modelling the claims development result for
  solvency purposes", CAS E-Forum, Fall 2008 (the paper's own figures: total CDR MSEP^½ 81,081,
  Mack 108,401), `CDR(M)` and `CDR(M, dev="all")`;
* MW2014 — the 17×17 triangle of Merz & Wüthrich, "Claims Run-Off Uncertainty: The Full Picture",
  SFI Research Paper 14-69 (2014), `CDR(W)`.

The triangles are typed in from the same page. RAA's Mack total (26,880.74, log-linear sigma) is
R's printed `MackChainLadder(RAA)` (reference/summary.MackChainLadder.md, same repository)."""
from __future__ import annotations

import numpy as np
import pytest

from reserving.engine import (Development, DevelopmentConstant, EngineError, MackChainLadder, ParameterError,
                              Triangle)
from reserving.engine.cdr import MerzWuthrich
from tests.unit.engine.samples import RAA, triangle

MW2008 = [
    [2202584, 3210449, 3468122, 3545070, 3621627, 3644636, 3669012, 3674511, 3678633],
    [2350650, 3553023, 3783846, 3840067, 3865187, 3878744, 3898281, 3902425],
    [2321885, 3424190, 3700876, 3798198, 3854755, 3878993, 3898825],
    [2171487, 3165274, 3395841, 3466453, 3515703, 3548422],
    [2140328, 3157079, 3399262, 3500520, 3585812],
    [2290664, 3338197, 3550332, 3641036],
    [2148216, 3219775, 3428335],
    [2143728, 3158581],
    [2144738],
]
# CDR(M): IBNR, CDR(1)S.E., Mack.S.E. by accident year 1..9 and Total
MW2008_PUBLISHED = [
    (0.000, 0.0000, 0.0000),
    (4377.670, 566.1744, 566.1744),
    (9347.477, 1486.5603, 1563.8075),
    (28392.406, 3923.0986, 4157.2733),
    (51444.021, 9722.8598, 10536.4380),
    (111811.123, 28442.6216, 30319.4638),
    (187084.178, 20954.2870, 35967.0384),
    (411864.225, 28119.3180, 45090.1821),
    (1433505.008, 53320.8210, 69552.3397),
    (2237826.107, 81080.5468, 108401.3875),
]
# CDR(M, dev="all"), Total row: CDR(1)S.E. … CDR(8)S.E. (CDR(9) is 0: nothing left)
MW2008_RUN_OFF_TOTAL = [81080.5468, 52222.0516, 38517.4943, 29104.1066, 10109.0020, 3876.0093, 1281.3024,
                        399.4584]
# CDR(M, dev="all"), accident year 9: CDR(1)…CDR(8)
MW2008_RUN_OFF_AY9 = [53320.8210, 27782.3071, 20193.6339, 26778.3919, 9118.5624, 3598.2399, 1200.5081,
                      399.4584]

MW2014 = """13109 20355 21337 22043 22401 22658 22997 23158 23492 23664 23699 23904 23960 23992 23994 24001 24002
14457 22038 22627 23114 23238 23312 23440 23490 23964 23976 24048 24111 24252 24538 24540 24550
16075 22672 23753 24052 24206 24757 24786 24807 24823 24888 24986 25401 25681 25705 25732
15682 23464 24465 25052 25529 25708 25752 25770 25835 26075 26082 26146 26150 26167
16551 23706 24627 25573 26046 26115 26283 26481 26701 26718 26724 26728 26735
15439 23796 24866 25317 26139 26154 26175 26205 26764 26818 26836 26959
14629 21645 22826 23599 24992 25434 25476 25549 25604 25709 25723
17585 26288 27623 27939 28335 28638 28715 28759 29525 30302
17419 25941 27066 27761 28043 28477 28721 28878 28948
16665 25370 26909 27611 27729 27861 29830 29844
15471 23745 25117 26378 26971 27396 27480
15103 23393 26809 27691 28061 29183
14540 22642 23571 24127 24210
14590 22336 23440 24029
13967 21515 22603
12930 20111
12539"""
# CDR(W): IBNR, CDR(1)S.E., Mack.S.E. by accident year 1..17 and Total
MW2014_PUBLISHED = [
    (0.000000, 0.0000000, 0.0000000),
    (1.022874, 0.4083149, 0.4083149),
    (10.085643, 2.5393857, 2.5652899),
    (21.187574, 16.7232632, 16.8984949),
    (117.662565, 156.4022713, 157.2756452),
    (223.279748, 137.6522771, 207.1650862),
    (361.808180, 171.1812092, 261.9266093),
    (469.408830, 70.3161155, 292.2622285),
    (653.504225, 271.6352221, 390.5874717),
    (1008.763182, 310.1268449, 502.0606072),
    (1011.859648, 103.3834357, 486.0911099),
    (1406.702133, 632.6388191, 806.9028971),
    (1492.903495, 315.0489135, 793.9381916),
    (1917.636398, 406.1424672, 891.6613403),
    (2458.152208, 285.2076540, 916.4940218),
    (3384.341045, 668.2337878, 1106.1262716),
    (9596.552341, 733.2222786, 1295.6909824),
    (24134.870088, 1842.8507073, 3233.6807352),
]



def mw2008() -> Triangle:
    return triangle(MW2008, origins=range(1, 10), ages=range(1, 10))


def mw2014() -> Triangle:
    rows = [[float(x) for x in line.split()] for line in MW2014.splitlines()]
    return triangle(rows, origins=range(1, 18), ages=range(0, 17))


MACK_SIGMA = Development(sigma_interpolation="mack")  # R's est.sigma="Mack"


def _check_against(fit, published, places):
    expected = np.array(published)
    got = fit.summary_[["ibnr", "cdr_se", "mack_se"]].to_numpy()
    # R prints these to `places` decimals: agree to that (half a unit in the last place, and a
    # relative 1e-9 for the seven-figure reserves printed to three decimals)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=0.5 * 10.0 ** -places)


def test_merz_wuthrich_2008_example_matches_r_chainladder_cdr():
    fit = MerzWuthrich(development=MACK_SIGMA).fit(mw2008())
    assert fit.horizon_ == 1
    ibnr_cdr = [(a, b) for a, b, _ in MW2008_PUBLISHED]
    np.testing.assert_allclose(fit.summary_[["ibnr", "cdr_se"]].to_numpy(), ibnr_cdr, rtol=1e-9, atol=5e-4)
    np.testing.assert_allclose(fit.summary_["mack_se"].to_numpy(), [c for *_, c in MW2008_PUBLISHED],
                               rtol=1e-9, atol=5e-5)
    assert fit.total_cdr_se_ == pytest.approx(81080.5468, abs=5e-5)
    assert fit.total_mack_se_ == pytest.approx(108401.3875, abs=5e-5)


def test_merz_wuthrich_2008_full_run_off_matches_r_dev_all():
    fit = MerzWuthrich(development=MACK_SIGMA).fit(mw2008())
    np.testing.assert_allclose(fit.run_off_.loc["total"].to_numpy(), MW2008_RUN_OFF_TOTAL, atol=5e-5, rtol=0)
    np.testing.assert_allclose(fit.run_off_.loc[9].to_numpy(), MW2008_RUN_OFF_AY9, atol=5e-5, rtol=0)
    # the future periods' CDRs are uncorrelated: their MSEPs add up to Mack's
    assert np.sqrt(np.sum(fit.run_off_.loc["total"].to_numpy() ** 2)) == pytest.approx(fit.total_mack_se_)


def test_merz_wuthrich_2014_example_matches_r_chainladder_cdr():
    fit = MerzWuthrich(development=MACK_SIGMA).fit(mw2014())
    _check_against(fit, MW2014_PUBLISHED, places=6)
    assert fit.total_cdr_se_ == pytest.approx(1842.8507073, abs=5e-7)


def test_the_mack_column_is_the_engines_mack_standard_error():
    for tri, dev in ((mw2008(), MACK_SIGMA), (mw2014(), MACK_SIGMA), (triangle(RAA), Development())):
        fit = MerzWuthrich(development=dev).fit(tri)
        mack = MackChainLadder(development=dev).fit(tri)
        np.testing.assert_allclose(fit.mack_se_.to_numpy(), mack.mack_se_.to_numpy(), rtol=1e-9)
        assert fit.total_mack_se_ == pytest.approx(mack.total_mack_se_, rel=1e-9)
        np.testing.assert_allclose(fit.ultimate_.to_numpy(), mack.ultimate_.to_numpy(), rtol=1e-12)
    raa = MerzWuthrich().fit(triangle(RAA))
    assert raa.total_mack_se_ == pytest.approx(26880.74, abs=0.005)  # R's printed MackChainLadder(RAA)
    assert raa.total_cdr_se_ < raa.total_mack_se_


def test_process_and_parameter_parts_add_up():
    fit = MerzWuthrich(development=MACK_SIGMA).fit(mw2008())
    np.testing.assert_allclose(fit.cdr_process_se_ ** 2 + fit.cdr_parameter_se_ ** 2, fit.cdr_se_ ** 2, rtol=1e-12)
    assert fit.total_cdr_process_se_ ** 2 + fit.total_cdr_parameter_se_ ** 2 == pytest.approx(fit.total_cdr_se_ ** 2)
    assert fit.total_cdr_se_for(fit.triangle_.origins) == pytest.approx(fit.total_cdr_se_)
    assert fit.total_cdr_se_for([7]) == pytest.approx(fit.cdr_se_[7])
    both = fit.total_cdr_se_for([8, 9])
    assert np.hypot(fit.cdr_se_[8], fit.cdr_se_[9]) < both < fit.cdr_se_[8] + fit.cdr_se_[9]


def test_a_year_on_a_quarterly_triangle_is_four_development_periods():
    labels = [f"{1981 + q // 4}Q{q % 4 + 1}" for q in range(10)]
    quarterly = triangle(RAA, origins=labels, ages=range(3, 31, 3))
    annual = triangle(RAA, origins=range(1981, 1991), ages=range(12, 121, 12))
    q = MerzWuthrich().fit(quarterly)
    a = MerzWuthrich().fit(annual)
    assert (q.horizon_, a.horizon_) == (4, 1)
    np.testing.assert_allclose(q.run_off_.to_numpy(), a.run_off_.to_numpy(), rtol=1e-12)  # same numbers
    per_origin = np.sqrt(np.sum(q.run_off_.iloc[:-1, :4].to_numpy() ** 2, axis=1))
    np.testing.assert_allclose(q.cdr_se_.to_numpy(), per_origin, rtol=1e-12)
    assert q.total_cdr_se_ == pytest.approx(np.sqrt(np.sum(q.run_off_.loc["total"].iloc[:4] ** 2)))
    assert a.total_cdr_se_ < q.total_cdr_se_ < q.total_mack_se_
    assert MerzWuthrich(horizon=1).fit(quarterly).total_cdr_se_ == pytest.approx(a.total_cdr_se_)
    # a horizon past the run-off is the whole of it: Mack's
    assert MerzWuthrich(horizon=40).fit(annual).total_cdr_se_ == pytest.approx(a.total_mack_se_)


def test_a_selected_pattern_with_sigma_around_it():
    tri = mw2008()
    plain = MerzWuthrich(development=Development()).fit(tri)
    same = DevelopmentConstant(dict(zip(tri.ages[:-1].tolist(), plain.ldf_.tolist())), mack_sigma="residuals")
    np.testing.assert_allclose(MerzWuthrich(development=same).fit(tri).summary_.to_numpy(),
                               plain.summary_.to_numpy(), rtol=1e-9)
    bumped = dict(zip(tri.ages[:-1].tolist(), plain.ldf_.tolist()))
    bumped[1] *= 1.01
    fit = MerzWuthrich(development=DevelopmentConstant(bumped, mack_sigma="residuals")).fit(tri)
    mack = MackChainLadder(development=DevelopmentConstant(bumped, mack_sigma="residuals")).fit(tri)
    assert fit.total_mack_se_ == pytest.approx(mack.total_mack_se_, rel=1e-9)
    assert fit.ultimate_[9] == pytest.approx(plain.ultimate_[9] * 1.01)


def test_what_the_formula_does_not_cover_is_refused():
    tri = mw2008()
    with pytest.raises(ParameterError, match="volume-weighted"):
        MerzWuthrich(development=Development(average="simple")).fit(tri)
    with pytest.raises(ParameterError, match="volume-weighted"):
        MerzWuthrich(development=Development(n_periods=3)).fit(tri)
    with pytest.raises(ParameterError, match="mack_sigma"):
        MerzWuthrich(development=DevelopmentConstant({a: 1.1 for a in range(1, 9)})).fit(tri)
    with pytest.raises(ParameterError, match="tail"):
        MerzWuthrich(development=DevelopmentConstant({**{a: 1.1 for a in range(1, 9)}, 9: 1.05},
                                                     mack_sigma="residuals")).fit(tri)
    with pytest.raises(ParameterError, match="horizon"):
        MerzWuthrich(horizon=0).fit(tri)
    # annual origins developed quarterly: four diagonals a year, not one
    values = np.full((3, 9), np.nan)
    values[0, :9], values[1, :5], values[2, :1] = np.arange(1, 10), np.arange(1, 6), [1]
    with pytest.raises(EngineError, match="one diagonal per origin period"):
        MerzWuthrich().fit(Triangle.from_array(values, origins=[2022, 2023, 2024]))


def test_a_trapezoid_and_an_origin_with_nothing_yet():
    rows = [[4000, 7000, 9500, 10500, 12000, 14000, 15500, 16000, 16100, 16200]] + RAA
    tri = triangle(rows)                                   # 11 origins, 10 ages: one fully developed extra
    fit = MerzWuthrich().fit(tri)
    mack = MackChainLadder().fit(tri)
    np.testing.assert_allclose(fit.mack_se_.to_numpy(), mack.mack_se_.to_numpy(), rtol=1e-9, atol=1e-9)
    values = tri.values.copy()
    values[-1, 0] = 0.0                                     # the youngest origin has paid nothing yet
    empty = MerzWuthrich().fit(Triangle.from_array(values))
    assert empty.cdr_se_.iloc[-1] == 0.0 and np.isfinite(empty.total_cdr_se_)
