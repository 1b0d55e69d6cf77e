"""Solvency: the worked checks of domain.md §4 and the rules around them."""
from __future__ import annotations

import numpy as np
import pytest

from reserving.engine.errors import ParameterError
from reserving.engine.solvency import (
    premium_reserve_risk,
    solvency_level_ir,
    solvency_margin_ru,
    solvency_ratio_ir,
    solvency_ratio_ru,
)

M = 1_000_000.0


def test_russian_margin_worked_check_is_64m():
    result = solvency_margin_ru(premiums_12m=500 * M, claims_36m=900 * M, retention=0.8)
    assert result.premium_part == pytest.approx(80 * M)
    assert result.claims_part == pytest.approx(69 * M)
    assert result.margin == pytest.approx(64 * M)


def test_claims_part_governs_when_larger():
    result = solvency_margin_ru(premiums_12m=100 * M, claims_36m=900 * M, retention=1.0)
    assert result.margin == pytest.approx(69 * M)


def test_retention_is_floored_at_one_half():
    result = solvency_margin_ru(premiums_12m=500 * M, claims_36m=0.0, retention=0.2)
    assert result.retention == 0.5
    assert result.margin == pytest.approx(40 * M)


def test_margin_is_floored_at_the_minimum_charter_capital():
    result = solvency_margin_ru(premiums_12m=10 * M, claims_36m=0.0, retention=1.0, minimum_capital=300 * M)
    assert result.margin == pytest.approx(300 * M)


def test_russian_ratio_is_own_funds_over_margin():
    assert solvency_ratio_ru(own_funds=96 * M, margin=64 * M) == pytest.approx(1.5)
    with pytest.raises(ParameterError):
        solvency_ratio_ru(own_funds=1.0, margin=0.0)


def test_solvency_ii_segment_5_worked_check():
    risk = premium_reserve_risk(volume_premium=10 * M, volume_reserve=25 * M)
    assert round(risk.sigma * 100, 3) == 10.448
    assert risk.scr == pytest.approx(10.97 * M, abs=0.005 * M)
    assert risk.scr == pytest.approx(3 * risk.sigma * 35 * M)


def test_solvency_ii_sigma_of_a_single_volume_is_its_own_sigma():
    assert premium_reserve_risk(volume_premium=5 * M, volume_reserve=0.0).sigma == pytest.approx(0.14)
    assert premium_reserve_risk(volume_premium=0.0, volume_reserve=5 * M).sigma == pytest.approx(0.11)
    assert premium_reserve_risk(volume_premium=0.0, volume_reserve=0.0).scr == 0.0


def test_iran_ratio_and_levels():
    assert solvency_ratio_ir(available_capital=75.0, required_capital=100.0) == pytest.approx(75.0)
    assert [solvency_level_ir(x) for x in (150, 100, 99.9, 70, 55, 50, 10, 9.99, 0)] == [1, 1, 2, 2, 3, 3, 4, 5, 5]
    assert solvency_level_ir(np.array([120.0, 60.0, 5.0])).tolist() == [1, 3, 5]


@pytest.mark.parametrize("kwargs, field", [
    (dict(premiums_12m=-1.0, claims_36m=0.0, retention=1.0), "premiums_12m"),
    (dict(premiums_12m=1.0, claims_36m=0.0, retention=1.2), "retention"),
    (dict(premiums_12m=1.0, claims_36m=float("nan"), retention=1.0), "claims_36m"),
])
def test_bad_margin_inputs_are_refused_naming_the_parameter(kwargs, field):
    with pytest.raises(ParameterError) as err:
        solvency_margin_ru(**kwargs)
    assert err.value.field == field


def test_thresholds_must_decrease():
    with pytest.raises(ParameterError, match="thresholds"):
        solvency_level_ir(80.0, thresholds=(10.0, 50.0))
