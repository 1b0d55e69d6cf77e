"""domain.md §3 worked check: the annual paid triangle with a 1.05 tail."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reserving.engine import BornhuetterFerguson, ChainLadder, Development, TailConstant, Triangle

ROWS = [[1000, 2500, 3400, 3800], [1200, 2900, 3900], [1300, 3200], [1500]]


@pytest.fixture
def paid() -> Triangle:
    long = pd.DataFrame([(2021 + i, 12 * (j + 1), v) for i, row in enumerate(ROWS) for j, v in enumerate(row)],
                        columns=["origin", "development", "value"])
    return Triangle.from_long(long, measure="paid")


def test_ldfs_are_volume_weighted(paid):
    cl = ChainLadder(tail=TailConstant(1.05)).fit(paid)
    assert list(np.round(cl.ldf_.to_numpy(), 4)) == [2.4571, 1.3519, 1.1176]
    assert list(cl.ldf_.index) == [12, 24, 36]


def test_ultimates_and_total_unpaid_with_a_105_tail(paid):
    cl = ChainLadder(development=Development(average="volume"), tail=TailConstant(1.05)).fit(paid)
    assert list(np.round(cl.ultimate_.to_numpy(), 1)) == [3990.0, 4576.8, 5076.6, 5847.2]
    assert round(cl.ibnr_.sum(), 1) == 7090.5
    assert cl.tail_ == 1.05 and cl.cdf_.loc[48] == 1.05


def test_bf_for_the_last_year_at_80_percent_of_5000(paid):
    # "2,973.9" is the BF IBNR (= BF ultimate − paid) of the last year: 4,000 × (1 − 1/CDF),
    # CDF at 12 months = 3.8981 with the tail.
    premium = pd.Series({2021: 4000.0, 2022: 4500.0, 2023: 4800.0, 2024: 5000.0})
    bf = BornhuetterFerguson(apriori=0.8, tail=TailConstant(1.05)).fit(paid, exposure=premium)
    assert round(bf.ibnr_.loc[2024], 1) == 2973.9
    assert round(bf.ultimate_.loc[2024] - 1500, 1) == 2973.9
    assert bf.origin_cdf_.loc[2024] == pytest.approx(3.8981, abs=1e-4)
