"""ODP bootstrap: reproducible with a seed, centred on the chain ladder, vectorised (its speed
is measured in benchmarks/bench_engine.py, not asserted here)."""
from __future__ import annotations

import numpy as np
import pytest

from reserving.engine import BootstrapODP, ChainLadder, EngineError, ParameterError, Triangle
from tests.unit.engine.samples import raa_annual



@pytest.fixture(scope="module")
def raa() -> Triangle:
    return raa_annual()


def test_the_same_seed_gives_the_same_distribution(raa):
    a = BootstrapODP(n_sims=2000, random_state=7).fit(raa)
    b = BootstrapODP(n_sims=2000, random_state=7).fit(raa)
    c = BootstrapODP(n_sims=2000, random_state=8).fit(raa)
    assert a.distribution_.equals(b.distribution_)
    assert not np.allclose(a.total_reserve_samples_, c.total_reserve_samples_)


def test_the_mean_reserve_is_close_to_the_chain_ladder_reserve(raa):
    boot = BootstrapODP(n_sims=10000, random_state=1).fit(raa)
    cl_reserve = ChainLadder().fit(raa).ibnr_.sum()
    total = boot.distribution_.loc["total"]
    assert abs(total["mean"] / cl_reserve - 1) < 0.05
    assert total["mean"] < total["p75"] < total["p95"] < total["p99.5"]
    assert boot.distribution_.loc["1981", "mean"] == 0  # fully developed: nothing to simulate


def test_the_scale_parameter_is_pearson_chi_square_over_degrees_of_freedom(raa):
    boot = BootstrapODP(n_sims=10).fit(raa)
    # England & Verrall's RAA example: phi ≈ 983.6
    assert boot.scale_ == pytest.approx(983.635, rel=1e-5)


def test_hat_matrix_adjustment_and_poisson_process_run(raa):
    hat = BootstrapODP(n_sims=3000, random_state=3, hat_adj=True, process_dist="od_poisson").fit(raa)
    assert abs(hat.distribution_.loc["total", "mean"] / 52135.2 - 1) < 0.06


def test_bad_bootstrap_settings_are_refused(raa):
    with pytest.raises(ParameterError, match="n_sims"):
        BootstrapODP(n_sims=0).fit(raa)
    with pytest.raises(ParameterError, match="unknown process_dist 'normal'"):
        BootstrapODP(process_dist="normal").fit(raa)
    with pytest.raises(EngineError, match="more observed cells"):
        BootstrapODP().fit(Triangle.from_array([[1.0, 2.0], [1.0, np.nan]]))
