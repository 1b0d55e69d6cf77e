"""Development factors credibility-weighted toward the triangle's own decay curve (maturity-v2).

The triangle: 12→24 is 2.0 on five origins, 24→36 1.25 on four (no scatter), 36→48 rests on three
ratios of which one is a large claim (1.05, 1.05, 1.40), 48→60 on two and 60→72 on one.

By hand: the curve is fitted on the columns of ≥ 4 ratios that develop: log(f − 1) = 0 at j = 0
and log 0.25 at j = 1, so p_j = 1 + 0.25^j: p(36→48) = 1.0625. The 36→48 column: f = 875 / 750
= 1.1666…; residuals y − f·x = −29.1666…, −29.1666…, 58.3333…; sigma² = Σ r² / x / (n − 1) =
5104.1666… / 250 / 2 = 10.2083…; se² = sigma² / Σ x = 0.0136111…; (f − p)² = 0.0108506…;
Z = 0.0108507 / (0.0108507 + 0.0136111) = 0.443577…; factor = 1.0625 + Z·0.1041666… = 1.108706…
"""
import numpy as np
import pytest

from reserving.engine import ParameterError
from reserving.engine.default import DEFAULT_RULE, MATURITY_V1, MATURITY_V2, MATURITY_V3, RULES, project_origins
from reserving.engine.development import Development
from reserving.engine.triangle import Triangle

N = np.nan
VALUES = [[100, 200, 250, 262.5, 265, 266],
          [100, 200, 250, 262.5, 265, N],
          [100, 200, 250, 350, N, N],
          [100, 200, 250, N, N, N],
          [100, 200, N, N, N, N],
          [100, N, N, N, N, N]]
ORIGINS = [2019, 2020, 2021, 2022, 2023, 2024]
AGES = [12, 24, 36, 48, 60, 72]


def triangle():
    return Triangle.from_array(np.array(VALUES, dtype=float), origins=ORIGINS, ages=AGES)


def test_a_thin_column_with_one_large_claim_moves_toward_the_decay_curve_by_hand():
    dev = Development(factor_credibility=True).fit(triangle())
    assert dev.ldf_.loc[36] == pytest.approx(1.0625 + 0.443577 * (875 / 750 - 1.0625), abs=1e-6)
    assert dev.ldf_.loc[36] == pytest.approx(1.108706, abs=1e-6)
    assert dev.credibility_.loc[36] == pytest.approx(0.443577, abs=1e-6)
    # no scatter: a factor known exactly keeps itself
    assert dev.ldf_.loc[12] == pytest.approx(2.0) and dev.ldf_.loc[24] == pytest.approx(1.25)
    assert dev.credibility_.loc[12] == 1.0 and dev.credibility_.loc[24] == 1.0
    # two ratios and one: no standard error to weigh with, the factors stay as estimated
    assert dev.ldf_.loc[48] == pytest.approx(265 / 262.5) and dev.ldf_.loc[60] == pytest.approx(266 / 265)


def test_without_the_option_the_factors_are_the_volume_weighted_ones():
    dev = Development().fit(triangle())
    assert dev.ldf_.loc[36] == pytest.approx(875 / 750)
    assert dev.credibility_ is None


def test_the_thin_age_rule_still_sets_the_thinnest_ages_to_one():
    dev = Development(factor_credibility=True, min_link_ratios=3).fit(triangle())
    assert list(dev.ldf_.loc[[48, 60]]) == [1.0, 1.0]
    assert dev.ldf_.loc[36] == pytest.approx(1.108706, abs=1e-6)
    assert dev.thin_ages_ == [48, 60]


def test_a_curve_that_does_not_decay_leaves_the_complement_at_one():
    values = np.array(VALUES, dtype=float)
    values[:4, 2:] *= 1.6  # 24→36 now 2.0 on every origin: no decay from 12→24's 2.0
    dev = Development(factor_credibility=True).fit(Triangle.from_array(values, origins=ORIGINS, ages=AGES))
    f = 875 / 750
    se2 = (2 * (262.5 - f * 250) ** 2 + (350 - f * 250) ** 2) / 250 / 2 / 750
    z = (f - 1) ** 2 / ((f - 1) ** 2 + se2)
    assert dev.ldf_.loc[36] == pytest.approx(1 + z * (f - 1), abs=1e-9)


def test_maturity_v2_projects_on_the_weighted_factors_and_v1_on_the_plain_ones():
    tri = triangle()
    premium = {o: 400.0 for o in ORIGINS}
    v2 = project_origins(paid=tri, exposure=premium, rule=MATURITY_V2)
    v1 = project_origins(paid=tri, exposure=premium, rule=MATURITY_V1)
    assert v2.provenance["ldf"]["paid"]["36"] == pytest.approx(1.108706, abs=1e-6)
    assert v1.provenance["ldf"]["paid"]["36"] == pytest.approx(875 / 750)
    assert v2.provenance["development"]["paid"]["factor_credibility"] is True
    # an estimator the caller gives is used as it is
    own = project_origins(paid=tri, exposure=premium, rule=MATURITY_V2, development=Development())
    assert own.provenance["ldf"]["paid"]["36"] == pytest.approx(875 / 750)
    # 2022 (at 36) develops by 1.108706 · (265/262.5) · (266/265) instead of 1.1666… · …
    assert v2.table.at[2022, "ult_paid_cl"] == pytest.approx(250 * 1.108706 * 266 / 262.5, rel=1e-6)
    assert DEFAULT_RULE is MATURITY_V3 and set(RULES) == {"maturity-v1", "maturity-v2", "maturity-v3"}
    assert "decay curve" in MATURITY_V2.describe()["text"] and "decay curve" not in MATURITY_V1.describe()["text"]


def test_a_setting_that_is_not_true_or_false_is_refused_naming_the_field():
    with pytest.raises(ParameterError) as exc:
        Development(factor_credibility="yes")
    assert exc.value.field == "factor_credibility"
