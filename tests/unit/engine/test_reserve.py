"""engine.reserve.segment_reserve: the runs' one dispatch, on a book small enough to check by hand.

The book: origin years 2022–2025 valued at 2025-12-31. Every claim occurs in the first quarter
of its year, is reported at once at 100 incurred (paid half of it) and develops to 150 in its
second year, then stays. Earned premium 75 a quarter (300 a year). Quarterly triangles as the
ledger gives them; the runs reserve on annual origins (4 claims per year: a thin segment).

Annual incurred:      12    24    36    48
            2022     100   150   150   150
            2023     100   150   150
            2024     100   150
            2025     100
12→24 rests on 3 ratios of 1.5 → 1.5; 24→36 (2 ratios) and 36→48 (1) are thin → 1.0.
CDF at 12 = 1.5: 2025 is 2/3 mature → Bornhuetter–Ferguson; the older years are mature → chain
ladder (ultimate = incurred, IBNR 0). Cape Cod's a-priori (decay 0.6) is 0.5 for every origin,
because every origin's reported ÷ used-up premium is 150/300 = 100/200 = 0.5.
BF 2025 = 100 + (1 − 1/1.5) · 0.5 · 300 = 150 → IBNR 50.
"""
from __future__ import annotations

import numpy as np
import pytest

from reserving.engine import ParameterError, Triangle, regime_defaults
from reserving.engine.reserve import Selection, deficiency_loss_ratio, segment_reserve

YEARS = (2022, 2023, 2024, 2025)
LABELS = [f"{y}Q{q}" for y in YEARS for q in range(1, 5)]
N = len(LABELS)
AGES = [3 * (k + 1) for k in range(N)]
EARNED = {label: 75.0 for label in LABELS}
REGIME = regime_defaults("ru")


def _quarterly(first: float, second: float, decrease: bool = False) -> Triangle:
    values = np.full((N, N), np.nan)
    for i in range(N):
        values[i, : N - i] = 0.0
        if i % 4 == 0:  # the Q1 origin of each year holds the year's claims
            for j in range(N - i):
                values[i, j] = first if AGES[j] <= 12 else second
    return Triangle.from_array(values, origins=LABELS, ages=AGES, measure="incurred", allow_negative=True,
                               allow_decrease=True, origin_months=3)


def _counts() -> Triangle:
    values = np.full((N, N), np.nan)
    for i in range(N):
        values[i, : N - i] = 4.0 if i % 4 == 0 else 0.0
    return Triangle.from_array(values, origins=LABELS, ages=AGES, measure="reported_count", origin_months=3)


def _reserve(*, incurred=(100.0, 150.0), regime=REGIME, **kw):
    return segment_reserve(paid=_quarterly(incurred[0] / 2, incurred[1] / 2), incurred=_quarterly(*incurred),
                           reported=_counts(), earned=kw.pop("earned", EARNED), regime=regime,
                           valuation_quarter="2025Q4", **kw)


def test_the_default_books_bf_for_the_young_year_on_cape_cods_apriori_and_chain_ladder_for_the_mature():
    out = _reserve()
    assert out.grain == "OYDY" and "annual origins" in out.provenance["grain_note"]
    t = out.table
    assert list(t.index.astype(str)) == ["2022", "2023", "2024", "2025"]
    assert list(t["method"]) == ["incurred_cl", "incurred_cl", "incurred_cl", "bf_incurred"]
    np.testing.assert_allclose(t["apriori"], [0.5, 0.5, 0.5, 0.5])
    np.testing.assert_allclose(t["maturity"], [1, 1, 1, 2 / 3])
    np.testing.assert_allclose(t["ultimate"], [150, 150, 150, 150])
    np.testing.assert_allclose(t["ibnr"], [0, 0, 0, 50])
    assert out.ibnr == pytest.approx(50.0)
    assert out.factors["ldf"] == {"12": 1.5, "24": 1.0, "36": 1.0}
    assert out.factors["thin_ages"] == [24, 36]
    assert out.provenance["apriori_source"]["2025"].startswith("derived: Cape Cod")
    # every method side by side for the young year
    ult = t.iloc[-1]["ultimates"]
    assert ult["incurred_cl"] == pytest.approx(150.0)           # 100 × 1.5
    assert ult["elr"] == pytest.approx(150.0)                   # 0.5 × 300
    assert ult["benktander_incurred"] == pytest.approx(150.0)   # 100 + 1/3 × 150
    assert ult["paid_cl"] == pytest.approx(75.0)                # 50 × 1.5


def test_a_kept_apriori_replaces_cape_cod_for_its_year_and_says_so():
    out = _reserve(kept_apriori={2025: (0.8, "pricing")})
    t = out.table
    assert t.iloc[-1]["ibnr"] == pytest.approx(80.0)   # 100 + 1/3 × 0.8 × 300 − 100
    assert out.provenance["apriori_source"]["2025"] == "kept for 2025: pricing"
    assert out.provenance["apriori_source"]["2024"].startswith("derived")


def test_a_segment_wide_method_and_a_per_origin_override():
    cl = _reserve(selection={"method": "chainladder"})
    assert set(cl.table["method"]) == {"incurred_cl"} and cl.ibnr == pytest.approx(50.0)
    elr = _reserve(selection={"overrides": {"2025": "elr"}, "apriori": 0.6})
    assert elr.table.iloc[-1]["method"] == "elr" and elr.table.iloc[-1]["ibnr"] == pytest.approx(80.0)  # 0.6·300 − 100
    assert elr.table.iloc[-1]["selected_by"] == "override"


def test_negative_origin_ibnr_is_kept_and_flagged_and_the_segment_floor_is_a_parameter():
    # incurred falls from 100 to 90 in the second year: redundant case reserves, LDF 0.9, and
    # 2025 (mature by the pattern: maturity 1/0.9 > 95%) goes to 90 by the chain ladder
    out = _reserve(incurred=(100.0, 90.0))
    last = out.table.iloc[-1]
    assert last["method"] == "incurred_cl" and last["ibnr"] == pytest.approx(-10.0)
    assert "negative_ibnr" in last["flags"]
    assert out.ibnr_before_floor == pytest.approx(-10.0) and out.ibnr == 0.0
    unfloored = _reserve(incurred=(100.0, 90.0), regime=REGIME.with_parameters(ibnr_floor="none"))
    assert unfloored.ibnr == pytest.approx(-10.0)


def test_quarterly_grain_when_selected_and_the_thin_age_rule_there():
    out = _reserve(selection={"grain": "OQDQ"})
    assert out.grain == "OQDQ" and len(out.table) == N
    # from age 12 to 15 only the Q1 origins move (3 of them from non-zero values): 1.5; ratios
    # from zero count for nothing, so most quarterly ages rest on fewer than 3 ratios
    assert out.factors["ldf"]["12"] == pytest.approx(1.5)


def test_short_history_takes_the_regimes_fallback():
    short = {label: 75.0 for label in LABELS[-6:]}
    values = np.full((6, 6), np.nan)
    for i in range(6):
        values[i, : 6 - i] = 10.0
    tri = Triangle.from_array(values, origins=LABELS[-6:], ages=AGES[:6], measure="incurred", origin_months=3)
    out = segment_reserve(paid=tri * 0.5, incurred=tri, reported=None, earned=short,
                          regime=REGIME.with_parameters(grain="OQDQ"), valuation_quarter="2025Q4")
    assert out.method == "elr"
    # expected loss ratio 0.75 × 75 = 56.25 per quarter, less the 10 incurred
    np.testing.assert_allclose(out.table["ibnr"], [46.25] * 6)
    assert out.ibnr == pytest.approx(6 * 46.25)


@pytest.mark.parametrize("selection, field", [
    ({"apriori": 0}, "apriori"), ({"apriori": -0.2}, "apriori"), ({"tail": 0.95}, "tail"),
    ({"grain": "OQDY"}, "grain"), ({"grain": "weekly"}, "grain"), ({"method": "median"}, "method"),
    ({"overrides": {"2025": "magic"}}, "overrides"), ({"ldfs": {"12": 0}}, "ldfs"), ({"colour": 1}, "selection"),
])
def test_bad_selections_are_refused_naming_the_field(selection, field):
    with pytest.raises(ParameterError) as err:
        Selection.parse(selection)
    assert err.value.field == field


def test_a_method_that_cannot_run_is_refused_naming_the_field():
    with pytest.raises(ParameterError) as err:
        _reserve(selection={"overrides": {"2025": "bf"}}, earned={})
    assert err.value.field == "exposure"
    with pytest.raises(ParameterError) as err:
        _reserve(selection={"overrides": {"1999": "bf"}})
    assert err.value.field == "overrides"
    with pytest.raises(ParameterError) as err:
        _reserve(selection={"ldfs": {"3": 1.2}})   # a quarterly age on the annual triangle
    assert err.value.field == "ldfs"


def test_no_premium_at_all_books_the_chain_ladder_and_says_so():
    out = _reserve(earned={})
    assert set(out.table["method"]) == {"incurred_cl"}
    assert any("no earned premium" in n for n in out.notes)


def test_the_deficiency_loss_ratio_is_the_latest_years_ultimate_over_its_earned_premium():
    out = _reserve()
    assert deficiency_loss_ratio(out, EARNED, "2025Q4", default=0.75) == pytest.approx(150 / 300)
    assert deficiency_loss_ratio(out, {}, "2025Q4", default=0.75) == 0.75


def test_berquist_sherman_by_the_regimes_rule_leaves_a_consistently_reserved_book_alone():
    # every claim stays open (4 a year, none closed) with the same case reserve at each age:
    # the trend fits 0, every earlier cell already has the latest adequacy, IBNR stays 50
    closed = _counts() * 0.0
    few = _reserve(closed=closed)
    assert few.provenance["case_adjustment"] is None and "4.0 open claims" in few.provenance["case_adjustment_note"]
    out = _reserve(closed=closed, regime=REGIME.with_parameters(min_open_claims_for_adjustment=4))
    assert out.provenance["case_adjustment"]["trend"] == pytest.approx(0.0, abs=1e-12)
    assert out.ibnr == pytest.approx(50.0)
    with pytest.raises(ParameterError) as err:
        _reserve(selection={"case_adjustment": "berquist_sherman"})   # no closed counts given
    assert err.value.field == "case_adjustment"
