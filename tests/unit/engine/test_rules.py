"""Regime parameter sets: ru and ru-51n defaults, overrides, and refusal of bad parameters."""
from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from reserving.engine.errors import ParameterError
from reserving.engine.rules import REGIMES, Regime, parameters_check, regime_codes, regime_defaults


def test_both_starting_regimes_exist():
    assert regime_codes() == ["ru", "ru-51n"]


def test_ru_values_upr_pro_rata_on_net_base_with_the_gross_rule():
    assert regime_defaults("ru").upr_options() == {"method": "pro_rata", "base": "net", "pre_inception_gross": True}


def test_ru_ulae_is_r_times_ibnr_plus_a_rbns():
    ru = regime_defaults("ru", ulae_r=0.04, ulae_a=0.5)
    assert ru.ulae(ibnr=200_000.0, rbns=300_000.0) == pytest.approx(14_000.0)


def test_ru_51n_ulae_is_three_percent_of_rbns():
    assert regime_defaults("ru-51n").ulae(ibnr=1e9, rbns=300_000.0) == pytest.approx(9_000.0)


def test_fallback_below_eight_origin_quarters():
    assert regime_defaults("ru").uses_fallback(7) and not regime_defaults("ru").uses_fallback(8)


def test_ru_fallback_is_expected_loss_ratio_on_earned_premium():
    assert regime_defaults("ru").ibnr_fallback(earned_premium=1_000_000.0, incurred=500_000.0) == pytest.approx(250_000.0)


def test_ru_51n_fallback_is_ten_percent_of_last_four_quarters_base_premium():
    premium = pd.Series({"2024Q1": 100.0, "2024Q2": 200.0, "2024Q3": 300.0, "2024Q4": 400.0, "2023Q4": 9_999.0})
    assert regime_defaults("ru-51n").ibnr_fallback(base_premium=premium, valuation_quarter="2024Q4") == pytest.approx(100.0)
    with pytest.raises(ParameterError, match="base_premium"):
        regime_defaults("ru-51n").ibnr_fallback(earned_premium=1.0, incurred=0.0)


def test_premium_deficiency_loads_expected_claims_with_handling_cost():
    # 100,000 × (0.9 × 1.03 + 0.05) = 97,700 < 100,000 → none; at ELR 1.0: 108,000 → 8,000.
    ru = regime_defaults("ru", expected_loss_ratio=0.9)
    assert ru.premium_deficiency(upr=100_000.0) == 0.0
    assert ru.premium_deficiency(upr=100_000.0, expected_loss_ratio=1.0) == pytest.approx(8_000.0)


def test_regimes_are_frozen_and_overrides_make_a_new_value():
    ru = regime_defaults("ru")
    with pytest.raises(dataclasses.FrozenInstanceError):
        ru.code = "x"
    with pytest.raises(TypeError):
        ru.parameters["ulae_r"] = 0.5
    changed = regime_defaults("ru", ulae_r=0.05)
    assert changed["ulae_r"] == 0.05 and REGIMES["ru"]["ulae_r"] == 0.03


def test_stored_parameters_fill_in_from_the_base_regime():
    stored = Regime.from_parameters("ru-51n", {"ulae_share_of_rbns": 0.05}, version=2)
    assert stored.version == 2
    assert stored["fallback"] == "premium_share"
    assert stored.ulae(ibnr=0.0, rbns=100.0) == pytest.approx(5.0)


def test_a_later_regime_can_be_added_as_plain_data():
    ifrs = Regime.from_parameters("ifrs17", {"premium_base": "gross", "pre_inception_gross": False})
    assert ifrs.upr_options() == {"method": "pro_rata", "base": "gross", "pre_inception_gross": False}


@pytest.mark.parametrize("params, field", [
    ({"upr_method": "1/365"}, "upr_method"), ({"ulae_r": -0.1}, "ulae_r"), ({"tail": 0.9}, "tail"),
    ({"min_origin_quarters": 8.5}, "min_origin_quarters"), ({"colour": "red"}, "colour"), ({"ulae_a": 1.5}, "ulae_a"),
    ({"pre_inception_gross": 1}, "pre_inception_gross"),
])
def test_bad_parameters_are_refused_naming_the_key(params, field):
    with pytest.raises(ParameterError) as err:
        regime_defaults("ru", **params)
    assert err.value.field == field


def test_notes_are_free_form():
    assert parameters_check({"_note": "set by the appointed actuary"}) == {"_note": "set by the appointed actuary"}


def test_unknown_regime_is_refused():
    with pytest.raises(ParameterError, match="ru-51n"):
        regime_defaults("ifrs4")


def test_the_seed_migrations_take_every_default_from_the_engine():
    from reserving.engine.rules import REGIME_VERSIONS

    from reserving.regime_seeding import regime_specs

    # what migrations 0002, 0006, 0010, 0012 seed
    v1, v2, v3, v4 = regime_specs(1), regime_specs(2), regime_specs(3), regime_specs(4)
    assert set(v1) == set(v2) == set(v3) == set(v4) == set(REGIMES)
    for code in REGIMES:
        assert v1[code]["parameters"] == dict(REGIME_VERSIONS[code][0].parameters), code  # same keys, same values
        assert v2[code]["parameters"] == dict(REGIME_VERSIONS[code][1].parameters), code
        assert v3[code]["parameters"] == dict(REGIME_VERSIONS[code][2].parameters), code
        assert v4[code]["parameters"] == dict(REGIMES[code].parameters), code
        assert REGIMES[code].version == 4 and REGIMES[code]["ibnr_method"] == "default"
        # each version keeps the rule its runs were made with; versions 3 and 4 differ from 2 in the rule only
        assert [v["default_rule"] for v in REGIME_VERSIONS[code][1:]] == ["maturity-v1", "maturity-v2", "maturity-v3"]
        for later in REGIME_VERSIONS[code][2:]:
            assert {k: v for k, v in later.parameters.items() if k != "default_rule"} == {
                k: v for k, v in REGIME_VERSIONS[code][1].parameters.items() if k != "default_rule"}


def test_a_version_stored_without_the_new_keys_keeps_its_quarterly_method():
    from reserving.engine.rules import REGIME_VERSIONS

    old = Regime.from_parameters("ru", dict(REGIME_VERSIONS["ru"][0].parameters))
    assert (old["grain"], old["ibnr_method"], old["origin_basis"], old["min_link_ratios"]) == (
        "OQDQ", "chainladder", "accident", 3)
    assert Regime.from_parameters("ru")["grain"] == "auto"
