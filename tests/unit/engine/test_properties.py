"""Property tests (hypothesis): a fully developed triangle has no IBNR; scaling the triangle
scales every reserve; the bootstrap is reproducible with a seed."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.budget import examples

from reserving.engine import (BootstrapODP, BornhuetterFerguson, CapeCod, ChainLadder, MackChainLadder,
                              Triangle)


def quarterly_triangle(n: int, seed: int, full: bool = False) -> Triangle:
    """A deterministic n×n quarterly paid triangle with decaying development."""
    rng = np.random.default_rng(seed)
    first = rng.uniform(50, 500, size=n)
    growth = 1 + 2.5 * np.exp(-0.35 * np.arange(n - 1))
    ratios = growth[None, :] * rng.uniform(0.93, 1.07, size=(n, n - 1))
    ratios = np.maximum(ratios, 1.0)
    values = first[:, None] * np.concatenate([np.ones((n, 1)), np.cumprod(ratios, axis=1)], axis=1)
    if not full:
        values[np.add.outer(np.arange(n), np.arange(n)) >= n] = np.nan
    origins = [f"{2000 + (q // 4)}Q{q % 4 + 1}" for q in range(n)]
    return Triangle.from_array(values, origins=origins, ages=3 * np.arange(1, n + 1), measure="paid")


sizes = st.integers(min_value=4, max_value=12)
seeds = st.integers(min_value=0, max_value=2**31 - 1)


@settings(max_examples=examples(40), deadline=None)
@given(n=sizes, seed=seeds)
def test_a_fully_developed_triangle_has_zero_ibnr(n, seed):
    tri = quarterly_triangle(n, seed, full=True)
    mack = MackChainLadder().fit(tri)
    assert np.all(mack.ibnr_ == 0)
    assert np.all(mack.mack_se_ == 0) and mack.total_mack_se_ == 0
    premium = np.full(n, 1000.0)
    assert np.all(BornhuetterFerguson(apriori=0.7).fit(tri, exposure=premium).ibnr_ == 0)


@settings(max_examples=examples(40), deadline=None)
@given(n=sizes, seed=seeds)
def test_a_triangle_that_stopped_developing_has_zero_ibnr(n, seed):
    base = quarterly_triangle(n, seed)
    flat = np.where(base.observed, base.values[:, :1], np.nan)  # every later value equals the first
    tri = Triangle.from_array(flat, origins=base.origins, ages=base.ages)
    cl = ChainLadder().fit(tri)
    assert np.allclose(cl.ldf_, 1.0) and np.allclose(cl.ibnr_, 0.0, atol=1e-9)


@settings(max_examples=examples(40), deadline=None)
@given(n=sizes, seed=seeds, k=st.floats(min_value=1e-3, max_value=1e4))
def test_scaling_the_triangle_scales_the_reserves(n, seed, k):
    tri = quarterly_triangle(n, seed)
    a = MackChainLadder().fit(tri)
    b = MackChainLadder().fit(tri * k)
    np.testing.assert_allclose(b.ultimate_, k * a.ultimate_, rtol=1e-9)
    np.testing.assert_allclose(b.ibnr_, k * a.ibnr_, rtol=1e-9, atol=1e-9 * k)
    np.testing.assert_allclose(b.mack_se_, k * a.mack_se_, rtol=1e-8, atol=1e-9 * k)
    np.testing.assert_allclose(b.total_mack_se_, k * a.total_mack_se_, rtol=1e-8)
    premium = np.linspace(1000, 2000, n)
    cc_a = CapeCod().fit(tri, exposure=premium)
    cc_b = CapeCod().fit(tri * k, exposure=premium * k)
    np.testing.assert_allclose(cc_b.ibnr_, k * cc_a.ibnr_, rtol=1e-9, atol=1e-9 * k)


@settings(max_examples=examples(10), deadline=None)
@given(n=st.integers(min_value=5, max_value=10), seed=seeds, rs=seeds)
def test_the_bootstrap_with_a_fixed_seed_is_reproducible(n, seed, rs):
    tri = quarterly_triangle(n, seed)
    a = BootstrapODP(n_sims=200, random_state=rs).fit(tri)
    b = BootstrapODP(n_sims=200, random_state=rs).fit(tri)
    np.testing.assert_array_equal(a.total_reserve_samples_, b.total_reserve_samples_)
