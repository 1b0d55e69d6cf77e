"""Mack's standard error on the pattern actually selected, and only on the origins whose selected
ultimate is that chain ladder (reserving/engine/cdr.py: mack_se_for_selection)."""
from __future__ import annotations

import numpy as np
import pytest

from reserving.engine import (ChainLadder, Development, DevelopmentConstant, MackChainLadder, ParameterError,
                              TailConstant, Triangle)
from reserving.engine.cdr import MerzWuthrich, mack_se_for_selection, mack_total_se_for
from tests.unit.engine.samples import raa_annual



@pytest.fixture(scope="module")
def raa() -> Triangle:
    return raa_annual()


def _selection(tri, factors):
    return DevelopmentConstant(dict(zip(tri.ages[:-1].tolist(), list(factors))), mack_sigma="residuals",
                               note="selected")


def test_mack_on_the_volume_weighted_factors_as_a_selection_is_mack_itself(raa):
    plain = MackChainLadder().fit(raa)
    selected = MackChainLadder(development=_selection(raa, plain.ldf_)).fit(raa)
    np.testing.assert_allclose(selected.mack_se_.to_numpy(), plain.mack_se_.to_numpy(), rtol=1e-9)
    assert selected.total_mack_se_ == pytest.approx(plain.total_mack_se_, rel=1e-9)


def test_mack_follows_a_selection_that_differs_from_the_estimate(raa):
    plain = MackChainLadder().fit(raa)
    # a selection: the latest-5 simple averages for the first three ages, volume-weighted after
    ratios = raa.link_ratios().to_numpy()
    factors = plain.ldf_.to_numpy().copy()
    for j in range(3):
        col = ratios[:, j][np.isfinite(ratios[:, j])]
        factors[j] = col[-5:].mean()
    dev = _selection(raa, factors)
    mack = MackChainLadder(development=dev, tail=TailConstant(1.0)).fit(raa)
    cl = ChainLadder(development=dev).fit(raa)
    np.testing.assert_allclose(mack.ultimate_.to_numpy(), cl.ultimate_.to_numpy(), rtol=1e-12)
    # sigma is Mack's around the factor in use: Σ C_j (C_{j+1}/C_j − f)² / (n − 1), volume weights
    x, y = raa.values[:, :-1], raa.values[:, 1:]
    for j in range(3):
        use = np.isfinite(y[:, j])
        by_hand = np.sqrt(np.sum(x[use, j] * (y[use, j] / x[use, j] - factors[j]) ** 2) / (use.sum() - 1))
        assert mack.development_.sigma_.iloc[j] == pytest.approx(by_hand, rel=1e-12)
    assert mack.total_mack_se_ != pytest.approx(plain.total_mack_se_, rel=1e-3)


def test_standard_errors_attach_only_to_chain_ladder_origins(raa):
    mack = MackChainLadder().fit(raa)
    cdr = MerzWuthrich().fit(raa)
    methods = {o: "chainladder" for o in range(1981, 1988)}
    methods.update({1988: "benktander", 1989: "bf", 1990: "elr"})
    frame, totals = mack_se_for_selection(methods, mack=mack, cdr=cdr)
    assert list(frame.columns) == ["method", "mack_se", "cdr_se", "reason"]
    for origin in range(1981, 1988):
        assert frame.loc[origin, "mack_se"] == pytest.approx(mack.mack_se_[origin])
        assert frame.loc[origin, "cdr_se"] == pytest.approx(cdr.cdr_se_[origin])
        assert frame.loc[origin, "reason"] is None
    for origin, method in ((1988, "benktander"), (1989, "bf"), (1990, "elr")):
        assert frame.loc[origin, "mack_se"] is None and frame.loc[origin, "cdr_se"] is None
        assert f"the selected ultimate is {method}" in frame.loc[origin, "reason"]
    assert totals["origins"] == list(range(1981, 1988))
    # the total of the chain-ladder origins, with their shared parameter risk: between the
    # root-sum-of-squares and the plain sum of the origins' standard errors
    ses = mack.mack_se_.loc[1981:1987].to_numpy()
    assert np.sqrt(np.sum(ses ** 2)) < totals["mack_se"] < ses.sum()
    assert totals["cdr_se"] == pytest.approx(cdr.total_cdr_se_for(range(1981, 1988)))


def test_all_chain_ladder_gives_mack_s_own_totals(raa):
    for tail in (None, TailConstant(1.05)):
        mack = MackChainLadder(tail=tail).fit(raa)
        assert mack_total_se_for(mack, raa.origins) == pytest.approx(mack.total_mack_se_, rel=1e-12)
        assert mack_total_se_for(mack, [1988]) == pytest.approx(mack.mack_se_[1988], rel=1e-12)
        frame, totals = mack_se_for_selection({o: "chainladder" for o in raa.origins}, mack=mack,
                                              selected_ultimate=mack.ultimate_)
        assert totals["mack_se"] == pytest.approx(mack.total_mack_se_, rel=1e-12)
        assert frame["reason"].isna().all()


def test_a_chain_ladder_on_another_pattern_gets_no_mack_standard_error(raa):
    mack = MackChainLadder().fit(raa)                       # Mack on the volume-weighted factors
    booked = ChainLadder(development=Development(average="simple")).fit(raa).ultimate_  # booked on simple
    frame, totals = mack_se_for_selection({o: "chainladder" for o in raa.origins}, mack=mack,
                                          selected_ultimate=booked)
    # 1981 is fully developed and 1982's only factor rests on one ratio: the same ultimate either way
    assert frame.loc[1981, "mack_se"] == 0.0
    assert frame.loc[1982, "mack_se"] == pytest.approx(mack.mack_se_[1982])
    for origin in range(1983, 1991):
        assert frame.loc[origin, "mack_se"] is None
        assert "is not the one Mack was computed for" in frame.loc[origin, "reason"]
    assert totals["origins"] == [1981, 1982]


def test_nothing_selected_and_bad_input(raa):
    mack = MackChainLadder().fit(raa)
    frame, totals = mack_se_for_selection({}, mack=mack)
    assert frame["mack_se"].isna().all() and totals == {"origins": [], "mack_se": None, "cdr_se": None}
    assert frame.loc[1990, "reason"] == "no method is selected for this origin"
    with pytest.raises(ParameterError, match="origin 1979"):
        mack_se_for_selection({1979: "chainladder"}, mack=mack)
    other = MerzWuthrich(development=_selection(raa, mack.ldf_.to_numpy() * 1.01)).fit(raa)
    with pytest.raises(ParameterError, match="another triangle or pattern"):
        mack_se_for_selection({1990: "chainladder"}, mack=mack, cdr=other)
    # labels match as origin keys: "1990" and 1990 are one origin
    frame, _ = mack_se_for_selection({"1990": "mack"}, mack=mack)
    assert frame.loc[1990, "mack_se"] == pytest.approx(mack.mack_se_[1990])
