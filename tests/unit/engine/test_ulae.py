"""ULAE, premium deficiency and the short-history IBNR fallbacks (domain.md §3)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reserving.engine.errors import ParameterError
from reserving.engine.rbns import (
    ibnr_expected_loss_ratio,
    ibnr_premium_share,
    premium_deficiency,
    ulae_eiopa,
    ulae_three_percent,
)


def test_three_percent_rule_on_the_worked_rbns():
    assert ulae_three_percent(300_000.0) == pytest.approx(9_000.0)
    assert ulae_three_percent(300_000.0, rate=0.05) == pytest.approx(15_000.0)


def test_eiopa_simplification_weights_rbns_by_a():
    # R 4%, IBNR 200,000, RBNS 300,000, a 50% → 0.04 × (200,000 + 150,000)
    assert ulae_eiopa(200_000.0, 300_000.0, R=0.04) == pytest.approx(14_000.0)
    assert ulae_eiopa(200_000.0, 300_000.0, R=0.04, a=1.0) == pytest.approx(20_000.0)


def test_ulae_works_per_segment_series():
    rbns = pd.Series({("nurses", "RUB"): 100.0, ("midwives", "RUB"): 300.0})
    ibnr = pd.Series({("nurses", "RUB"): 50.0, ("midwives", "RUB"): 10.0})
    out = ulae_eiopa(ibnr, rbns, R=0.1)
    assert out[("nurses", "RUB")] == pytest.approx(10.0)
    assert out[("midwives", "RUB")] == pytest.approx(16.0)


@pytest.mark.parametrize("kwargs, field", [(dict(R=-0.01), "R"), (dict(R=0.03, a=1.5), "a"), (dict(R=np.nan), "R")])
def test_bad_ulae_parameters_are_refused(kwargs, field):
    with pytest.raises(ParameterError) as err:
        ulae_eiopa(1.0, 1.0, **kwargs)
    assert err.value.field == field


def test_premium_deficiency_is_the_shortfall_of_upr():
    # Expected claims 0.95 × 100,000 + expenses 0.10 × 100,000 = 105,000 against UPR 100,000.
    assert premium_deficiency(upr=100_000.0, expected_loss_ratio=0.95, expense_ratio=0.10) == pytest.approx(5_000.0)


def test_adequate_upr_needs_no_premium_deficiency_reserve():
    assert premium_deficiency(upr=100_000.0, expected_loss_ratio=0.75, expense_ratio=0.05) == 0.0


def test_premium_deficiency_uses_unexpired_exposure_or_given_claims():
    # Exposure on gross unexpired premium 120,000 while the UPR held is net 108,000.
    assert premium_deficiency(upr=108_000.0, unexpired_premium=120_000.0, expected_loss_ratio=0.85,
                              expense_ratio=0.05) == pytest.approx(0.0)
    assert premium_deficiency(upr=108_000.0, unexpired_premium=120_000.0, expected_loss_ratio=0.90,
                              expense_ratio=0.05) == pytest.approx(6_000.0)
    assert premium_deficiency(upr=50.0, expected_loss_ratio=0.0, expected_claims=70.0, expected_expenses=5.0) == pytest.approx(25.0)


def test_premium_deficiency_per_segment_is_floored_each():
    upr = pd.Series({"a": 100.0, "b": 100.0})
    out = premium_deficiency(upr=upr, unexpired_premium=pd.Series({"a": 100.0, "b": 200.0}), expected_loss_ratio=0.8)
    assert out["a"] == 0.0 and out["b"] == pytest.approx(60.0)


def test_expected_loss_ratio_ibnr_is_floored_at_zero():
    assert ibnr_expected_loss_ratio(1_000_000.0, 500_000.0, 0.75) == pytest.approx(250_000.0)
    assert ibnr_expected_loss_ratio(1_000_000.0, 900_000.0, 0.75) == 0.0
    by_origin = ibnr_expected_loss_ratio(np.array([100.0, 100.0]), np.array([10.0, 90.0]), 0.8)
    assert by_origin.tolist() == pytest.approx([70.0, 0.0])


def test_1994_rule_is_ten_percent_of_the_last_four_quarters_base_premium():
    premium = pd.Series({"2023Q4": 900.0, "2024Q1": 100.0, "2024Q2": 200.0, "2024Q3": 300.0, "2024Q4": 400.0,
                         "2025Q1": 5_000.0})
    assert ibnr_premium_share(premium, valuation_quarter="2024Q4") == pytest.approx(100.0)
    assert ibnr_premium_share(1_000.0) == pytest.approx(100.0)
    assert ibnr_premium_share(premium, valuation_quarter="2024Q3", share=0.2) == pytest.approx(0.2 * 1_500.0)


def test_bad_quarter_label_is_refused():
    with pytest.raises(ParameterError, match="2024-Q1"):
        ibnr_premium_share(pd.Series({"2024-Q1": 1.0}), valuation_quarter="2024Q4")
