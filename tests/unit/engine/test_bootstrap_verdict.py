"""The ODP bootstrap says when its distribution means nothing, and then carries no percentile.

The bound (reserving/engine/bootstrap.py): not meaningful when the total reserve's mean is not
positive, its coefficient of variation exceeds MAX_CV = 1.0, or its 1st percentile lies further
below zero than the mean is above it. The review's case — a quarterly-origin medmal demo triangle
whose bootstrap had a p99.5 100× the mean and a p1 of −6.2M on a 213k mean — is reproduced here by
a sparse, mostly-zero quarterly triangle."""
from __future__ import annotations

import numpy as np
import pytest

from reserving.engine import EngineError, ParameterError, Triangle
from reserving.engine.bootstrap import MAX_CV, BootstrapODP, distribution_verdict
from tests.unit.engine.samples import RAA, raa_annual, staircase



def raa_quarterly() -> Triangle:
    """The same numbers on a quarterly grain: origins 1981Q1…, ages 3, 6, … months."""
    labels = [f"{1981 + q // 4}Q{q % 4 + 1}" for q in range(10)]
    return Triangle.from_array(staircase(RAA), origins=labels, ages=range(3, 31, 3))


def sparse_quarterly_medmal() -> Triangle:
    """Twelve accident quarters of a thin medmal book: nine payments in 78 observed cells, the
    rest zero — the shape of the demo book's quarterly paid triangle."""
    n = 12
    incremental = np.zeros((n, n))
    for i, j, amount in [(0, 0, 20e3), (0, 5, 350e3), (1, 2, 180e3), (2, 1, 60e3), (2, 7, 900e3),
                         (4, 3, 250e3), (5, 0, 15e3), (7, 2, 400e3), (9, 1, 120e3)]:
        incremental[i, j] += amount
    cumulative = np.cumsum(incremental, axis=1)
    values = np.full((n, n), np.nan)
    for i in range(n):
        values[i, :n - i] = cumulative[i, :n - i]
    labels = [f"{2022 + q // 4}Q{q % 4 + 1}" for q in range(n)]
    return Triangle.from_array(values, origins=labels, ages=range(3, 3 * n + 1, 3), measure="paid")


def test_the_bound_is_the_documented_one():
    assert MAX_CV == 1.0
    assert BootstrapODP().max_cv == MAX_CV


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_a_sparse_quarterly_medmal_triangle_gives_a_meaningless_distribution(seed):
    tri = sparse_quarterly_medmal()
    assert tri.origin_months == 3
    boot = BootstrapODP(n_sims=5000, random_state=seed).fit(tri)
    samples = boot.total_reserve_samples_
    # what the review saw: a tail out of all proportion and a deeply negative p1
    assert np.percentile(samples, 1) < -3 * abs(samples.mean())
    assert not boot.meaningful_
    verdict = boot.verdict_
    assert not verdict.meaningful and verdict.reasons
    assert ("1st percentile" in verdict.reason) or ("not positive" in verdict.reason)
    if verdict.mean > 0:
        assert verdict.cv > MAX_CV and "coefficient of variation" in verdict.reason
    # no percentile anywhere a booked amount could be placed on
    assert list(boot.distribution_.columns) == ["mean", "std"]
    summary = boot.summary()
    assert summary["status"] == "not meaningful" and "percentiles" not in summary
    assert summary["reasons"] == list(verdict.reasons)
    # nothing at the top level that reporting.selectors.bootstrap_percentiles would read as a quantile
    assert not [key for key in summary if key[:1] == "p" or key[:1].isdigit()]
    with pytest.raises(EngineError, match="not meaningful"):
        boot.percentile(99.5)
    assert not boot.origin_verdicts_.loc["total", "meaningful"]
    assert boot.origin_verdicts_.loc["total", "reason"] == verdict.reason


@pytest.mark.parametrize("grain", [raa_annual, raa_quarterly])
def test_raa_is_meaningful_on_the_annual_and_the_quarterly_grain(grain):
    tri = grain()
    boot = BootstrapODP(n_sims=4000, random_state=11).fit(tri)
    assert boot.meaningful_ and boot.verdict_.reasons == ()
    assert 0.2 < boot.verdict_.cv < 0.5  # RAA's bootstrap CV is about 0.36
    assert boot.verdict_.p1 > 0
    assert list(boot.distribution_.columns) == ["mean", "std", "p75", "p95", "p99.5"]
    summary = boot.summary()
    assert summary["status"] == "ok"
    assert summary["percentiles"]["99.5"] == pytest.approx(boot.distribution_.loc["total", "p99.5"])
    assert boot.percentile(50) == pytest.approx(np.median(boot.total_reserve_samples_))
    assert boot.origin_verdicts_.loc["total", "reason"] is None


def test_the_grain_is_in_the_labels_only_the_same_seed_gives_the_same_draws():
    annual = BootstrapODP(n_sims=1000, random_state=5).fit(raa_annual())
    quarterly = BootstrapODP(n_sims=1000, random_state=5).fit(raa_quarterly())
    assert np.array_equal(annual.total_reserve_samples_, quarterly.total_reserve_samples_)
    assert annual.verdict_ == quarterly.verdict_


def test_origin_verdicts_judge_each_origin_by_the_same_rules():
    boot = BootstrapODP(n_sims=4000, random_state=2).fit(raa_annual())
    frame = boot.origin_verdicts_
    assert list(frame.columns) == ["mean", "std", "cv", "p1", "meaningful", "reason"]
    assert list(frame.index) == [*map(str, range(1981, 1991)), "total"]
    # the fully developed origin is a point mass at zero: nothing wrong with it
    assert frame.loc["1981", "meaningful"] and frame.loc["1981", "cv"] is None
    # the old origins' small reserves are mostly noise (Mack's CV for 1982 is 0.93 too)
    assert not frame.loc["1982", "meaningful"] and "coefficient of variation" in frame.loc["1982", "reason"]
    for label, row in frame.iterrows():
        assert row["meaningful"] == distribution_verdict(
            boot.reserve_samples_[int(label)] if label != "total" else boot.total_reserve_samples_).meaningful


def test_distribution_verdict_rules():
    rng = np.random.default_rng(0)
    ok = distribution_verdict(rng.gamma(4.0, 25.0, 20000))          # CV 0.5
    assert ok.meaningful and ok.cv == pytest.approx(0.5, rel=0.03) and ok.reason is None
    wide = distribution_verdict(rng.gamma(0.5, 200.0, 20000))       # CV 1.41
    assert not wide.meaningful and "coefficient of variation" in wide.reason
    assert distribution_verdict(rng.gamma(0.5, 200.0, 20000), max_cv=2.0).meaningful
    negative = distribution_verdict(rng.normal(-5.0, 1.0, 1000))
    assert not negative.meaningful and negative.cv is None and "not positive" in negative.reason
    # CV under the bound, but a p1 further below zero than the mean is above it
    skew = np.concatenate([np.full(980, 110.0), np.full(20, -200.0)])
    v = distribution_verdict(skew, max_cv=5.0)
    assert v.cv < 5.0 and not v.meaningful and "1st percentile" in v.reason
    zero = distribution_verdict(np.zeros(100))
    assert zero.meaningful and zero.cv is None
    assert distribution_verdict([1.0, 2.0]).as_dict()["meaningful"] is True


def test_bad_bound_and_bad_samples_are_refused():
    with pytest.raises(ParameterError, match="max_cv"):
        BootstrapODP(n_sims=10, max_cv=0).fit(raa_annual())
    with pytest.raises(ParameterError, match="max_cv"):
        distribution_verdict([1.0], max_cv=float("nan"))
    with pytest.raises(EngineError, match="finite"):
        distribution_verdict([1.0, np.inf])
    with pytest.raises(ParameterError, match="percentile"):
        BootstrapODP(n_sims=50, random_state=0).fit(raa_annual()).percentile(101)
