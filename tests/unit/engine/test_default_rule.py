"""Per-origin projection and the default rule (reserving.engine.default), on a 3×3 triangle whose
numbers can be checked by hand:

    paid      12    24    36        incurred  12    24    36       premium
    2021     100   150   165                 150   165   165         200
    2022     110   165                       160   176               220
    2023     120                             180                     240

paid LDFs (volume) 315/210 = 1.5 and 165/150 = 1.1 → CDFs 1.65, 1.1, 1;
incurred LDFs 341/310 = 1.1 and 165/165 = 1 → CDFs 1.1, 1, 1.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from reserving.engine import (Benktander, BornhuetterFerguson, CapeCod, ChainLadder, ExpectedLossRatio,
                              ParameterError, TailConstant, Triangle)
from reserving.engine.default import (DEFAULT_RULE, MATURITY_V2, METHODS, DefaultRule, OriginProjection,
                                      capecod_ratio,
                                      project_origins)

NAN = np.nan
ORIGINS = [2021, 2022, 2023]
AGES = [12, 24, 36]
PREMIUM = pd.Series({2021: 200.0, 2022: 220.0, 2023: 240.0})


@pytest.fixture
def paid():
    return Triangle.from_array([[100, 150, 165], [110, 165, NAN], [120, NAN, NAN]], origins=ORIGINS, ages=AGES,
                               measure="paid")


@pytest.fixture
def incurred():
    return Triangle.from_array([[150, 165, 165], [160, 176, NAN], [180, NAN, NAN]], origins=ORIGINS, ages=AGES,
                               measure="incurred")


def test_every_method_side_by_side_by_hand(paid, incurred):
    result = project_origins(paid=paid, incurred=incurred, exposure=PREMIUM, apriori=0.8)
    t = result.table
    assert isinstance(result, OriginProjection)
    assert list(t.index) == ORIGINS
    assert t["cdf_paid"].tolist() == pytest.approx([1.0, 1.1, 1.65])
    assert t["cdf_incurred"].tolist() == pytest.approx([1.0, 1.0, 1.1])
    assert t["maturity"].tolist() == pytest.approx([1.0, 1.0, 1 / 1.1])  # on incurred, the rule's basis
    assert t["ult_paid_cl"].tolist() == pytest.approx([165.0, 181.5, 198.0])
    assert t["ult_incurred_cl"].tolist() == pytest.approx([165.0, 176.0, 198.0])
    # BF incurred 2023: 180 + (1 − 1/1.1)·0.8·240 = 180 + 192/11
    assert t.at[2023, "ult_bf_incurred"] == pytest.approx(180 + 192 / 11)
    # Benktander incurred 2023: 180 + (1/11)·BF
    assert t.at[2023, "ult_benktander_incurred"] == pytest.approx(180 + (180 + 192 / 11) / 11)
    # BF paid 2023: 120 + (0.65/1.65)·192
    assert t.at[2023, "ult_bf_paid"] == pytest.approx(120 + 0.65 / 1.65 * 192)
    assert t["ult_elr"].tolist() == pytest.approx([160.0, 176.0, 192.0])
    assert t["apriori"].tolist() == [0.8, 0.8, 0.8]
    assert result.apriori_source == "given"


def test_the_default_rule_selects_by_maturity_and_ibnr_is_against_incurred(paid, incurred):
    result = project_origins(paid=paid, incurred=incurred, exposure=PREMIUM, apriori=0.8)
    t = result.table
    # maturity-v3: maturity 1, 1 → chain ladder (≥ 95%); 1/1.1 = 90.9% → BF (20%–95%)
    assert result.provenance["rule"]["name"] == "maturity-v3"
    assert t["method"].tolist() == ["incurred_cl", "incurred_cl", "bf_incurred"]
    assert t["selected_by"].tolist() == ["rule"] * 3
    bf = 180 + 192 / 11
    assert t["ultimate"].tolist() == pytest.approx([165.0, 176.0, bf])
    assert t["ibnr"].tolist() == pytest.approx([0.0, 0.0, bf - 180])
    assert t["unpaid"].tolist() == pytest.approx([0.0, 11.0, bf - 120])
    assert t["flags"].tolist() == [[], [], []]
    assert result.total["ultimate"] == pytest.approx(341 + bf)
    assert result.total["unpaid"] == pytest.approx(341 + bf - 450)  # paid 165 + 165 + 120


def test_maturity_v2_keeps_benktander_between_80_and_95_percent(paid, incurred):
    # regime version 3's runs were made with it: 1/1.1 = 90.9% → Benktander
    t = project_origins(paid=paid, incurred=incurred, exposure=PREMIUM, apriori=0.8, rule=MATURITY_V2).table
    assert t["method"].tolist() == ["incurred_cl", "incurred_cl", "benktander_incurred"]
    assert t.at[2023, "ultimate"] == pytest.approx(180 + (180 + 192 / 11) / 11)


def test_without_incurred_the_rule_runs_on_paid_and_ibnr_is_against_paid(paid):
    result = project_origins(paid=paid, exposure=PREMIUM, apriori=0.8)
    t = result.table
    assert result.provenance["basis"] == "paid"
    assert "incurred" not in t and "ult_incurred_cl" not in t
    # paid maturity 1, 1/1.1 = 90.9%, 1/1.65 = 60.6% → CL, BF, BF
    assert t["method"].tolist() == ["paid_cl", "bf_paid", "bf_paid"]
    assert t.at[2022, "ultimate"] == pytest.approx(165 + 16)   # BF 2022 = 165 + (1/11)·0.8·220
    assert t.at[2023, "ultimate"] == pytest.approx(120 + 0.65 / 1.65 * 192)
    assert (t["ibnr"] == t["unpaid"]).all()
    assert set(result.provenance["unavailable"]) == {m for m in METHODS if "incurred" in m}


def test_elr_for_the_least_mature_origins():
    rule = DefaultRule(elr_below=0.7, bf_below=0.8, benktander_below=0.95)
    paid = Triangle.from_array([[100, 150, 165], [110, 165, NAN], [120, NAN, NAN]], origins=ORIGINS, ages=AGES)
    t = project_origins(paid=paid, exposure=PREMIUM, apriori=0.8, rule=rule).table
    assert t["method"].tolist() == ["paid_cl", "benktander_paid", "elr"]
    assert t.at[2023, "ultimate"] == pytest.approx(192.0)


def test_the_single_methods_match_the_engines_estimators(paid, incurred):
    t = project_origins(paid=paid, incurred=incurred, exposure=PREMIUM, apriori=0.8, tail=1.05).table
    checks = {
        "ult_paid_cl": ChainLadder(tail=TailConstant(1.05)).fit(paid),
        "ult_incurred_cl": ChainLadder(tail=TailConstant(1.05)).fit(incurred),
        "ult_bf_paid": BornhuetterFerguson(apriori=0.8, tail=TailConstant(1.05)).fit(paid, exposure=PREMIUM),
        "ult_benktander_incurred": Benktander(apriori=0.8, n_iters=2, tail=TailConstant(1.05)).fit(incurred, exposure=PREMIUM),
        "ult_capecod_paid": CapeCod(tail=TailConstant(1.05)).fit(paid, exposure=PREMIUM),
        "ult_capecod_incurred": CapeCod(tail=TailConstant(1.05)).fit(incurred, exposure=PREMIUM),
        "ult_elr": ExpectedLossRatio(apriori=0.8).fit(paid, exposure=PREMIUM),
    }
    for column, model in checks.items():
        np.testing.assert_allclose(t[column].to_numpy(), model.ultimate_.to_numpy(), rtol=1e-12, err_msg=column)


def test_the_apriori_is_derived_from_the_triangle_when_none_is_given(paid, incurred):
    result = project_origins(paid=paid, incurred=incurred, exposure=PREMIUM)
    assert result.apriori_source.startswith("derived: Cape Cod on the incurred triangle (decay 0.6)")
    expected = CapeCod(decay=DEFAULT_RULE.apriori_decay).fit(incurred, exposure=PREMIUM).apriori_
    np.testing.assert_allclose(result.table["apriori"].to_numpy(), expected.to_numpy(), rtol=1e-12)
    # Cape Cod's own ratio is the one of all origins: 521 / (200 + 220 + 240/1.1)
    assert result.provenance["capecod_apriori"]["incurred"] == pytest.approx(521 / (420 + 240 / 1.1))


def test_an_origin_whose_neighbourhood_has_no_losses_takes_the_overall_ratio():
    # incurred CDFs are all 1; with decay 0 each origin's a-priori is its own latest / premium:
    # 0.4, 0 and 0.5 — the origin with nothing reported takes the overall ratio 90 / 300
    inc = Triangle.from_array([[40, 40, 40], [0, 0, NAN], [50, NAN, NAN]], origins=ORIGINS, ages=AGES)
    paid = Triangle.from_array([[30, 40, 40], [0, 0, NAN], [20, NAN, NAN]], origins=ORIGINS, ages=AGES)
    result = project_origins(paid=paid, incurred=inc, exposure=[100.0, 100.0, 100.0],
                             rule=DefaultRule(apriori_decay=0.0))
    assert result.table["apriori"].tolist() == pytest.approx([0.4, 0.3, 0.5])
    assert np.isnan(capecod_ratio(np.zeros((1, 2)), np.zeros((1, 2)), np.ones((1, 2)), 1.0)).all()


def test_a_per_origin_apriori_and_overrides(paid, incurred):
    result = project_origins(paid=paid, incurred=incurred, exposure=PREMIUM,
                             apriori={2021: 0.7, 2022: 0.75, 2023: 0.5}, overrides={"2023": "elr", 2022: "bf"})
    t = result.table
    assert result.apriori_source == "given by origin"
    assert t.at[2023, "method"] == "elr" and t.at[2023, "ultimate"] == pytest.approx(120.0)
    assert t.at[2022, "method"] == "bf_incurred"  # the alias names the rule's basis
    assert t.at[2023, "ibnr"] == pytest.approx(-60.0)  # 120 − incurred 180: kept, flagged
    assert t.at[2023, "flags"] == ["negative_ibnr", "override"]
    assert t.at[2023, "unpaid"] == pytest.approx(0.0)
    assert t["selected_by"].tolist() == ["rule", "override", "override"]
    assert result.provenance["overrides"] == {"2022": "bf_incurred", "2023": "elr"}
    assert result.provenance["apriori"] == {"2021": 0.7, "2022": 0.75, "2023": 0.5}


@pytest.mark.parametrize("kwargs,field,message", [
    ({"exposure": None}, "exposure", "no exposure"),
    ({"apriori": 0.0}, "apriori", "must be > 0"),
    ({"apriori": {2021: 0.8, 2022: -1, 2023: 0.8}}, "apriori", "origin 2022 is -1"),
    ({"overrides": {2030: "elr"}}, "overrides", "origin 2030"),
    ({"overrides": {2021: "median"}}, "overrides", "unknown method 'median'"),
])
def test_a_method_that_cannot_run_names_the_field(paid, incurred, kwargs, field, message):
    args = dict(paid=paid, incurred=incurred, exposure=PREMIUM, apriori=0.8)
    args.update(kwargs)
    with pytest.raises(ParameterError, match=message) as caught:
        project_origins(**args)
    assert caught.value.field == field


def test_an_incurred_method_without_an_incurred_triangle_names_the_field(paid):
    with pytest.raises(ParameterError, match="no incurred triangle") as caught:
        project_origins(paid=paid, exposure=PREMIUM, apriori=0.8, overrides={2021: "incurred_cl"})
    assert caught.value.field == "incurred"


def test_chain_ladder_alone_needs_no_premium(paid):
    t = project_origins(paid=paid, overrides={o: "cl" for o in ORIGINS}).table
    assert t["ultimate"].tolist() == pytest.approx([165.0, 181.5, 198.0])
    assert "premium" not in t and "apriori" not in t


def test_an_incurred_triangle_of_other_origins_is_refused(paid):
    other = Triangle.from_array([[1, 2], [3, NAN]], origins=[2021, 2022], ages=[12, 24])
    with pytest.raises(ParameterError, match="origins and ages") as caught:
        project_origins(paid=paid, incurred=other, exposure=PREMIUM)
    assert caught.value.field == "incurred"


def test_provenance_is_json_and_names_rule_tail_apriori_development(paid, incurred):
    result = project_origins(paid=paid, incurred=incurred, exposure=PREMIUM, tail={"paid": 1.05, "incurred": 1.01},
                             development={"average": "simple"})
    prov = json.loads(json.dumps(result.provenance))
    assert prov["rule"]["name"] == DEFAULT_RULE.name and prov["rule"]["bf_below"] == DEFAULT_RULE.bf_below
    assert prov["tail"] == {"paid": 1.05, "incurred": 1.01}
    assert prov["development"]["paid"]["average"] == "simple"
    assert prov["apriori_source"].startswith("derived")
    assert prov["projected_to_age"] == 36
    assert set(prov["methods"]) == set(METHODS)
    numbers = result.table.select_dtypes("number").to_numpy()
    assert np.all(np.isfinite(numbers))


def test_quarterly_origins_work_as_annual_ones():
    paid = Triangle.from_array([[100, 150, 165], [110, 165, NAN], [120, NAN, NAN]],
                               origins=["2024Q1", "2024Q2", "2024Q3"], ages=[3, 6, 9])
    premium = {"2024Q1": 200.0, "2024Q2": 220.0, "2024Q3": 240.0}
    t = project_origins(paid=paid, exposure=premium, apriori=0.8).table
    assert paid.origin_months == 3
    assert t.at["2024Q3", "ultimate"] == pytest.approx(120 + 0.65 / 1.65 * 192)


@pytest.mark.parametrize("kwargs", [{"basis": "ultimate"}, {"elr_below": 0.5, "bf_below": 0.4},
                                    {"apriori_decay": 1.5}, {"benktander_below": -1}])
def test_a_bad_rule_is_refused(kwargs):
    with pytest.raises(ParameterError):
        DefaultRule(**kwargs)
