"""The reinsurers' share as pure functions (issue 17 §2): per claim under a quota share and an
excess of loss, the IBNR share by origin, k; numbers by hand."""
from __future__ import annotations

from decimal import Decimal as D
from types import SimpleNamespace

import pytest

from reinsurance.rules import (ceded_ratio, claim_cession, quota_share, retention_coefficient, treaty_in_force,
                               xl_layer)
from reserving.cessions import ceded_outcome

QS = {"code": "QS", "kind": "quota_share", "segment": "ind", "underwriting_year": 2025, "currency": "",
      "ceded_percent": D("30"), "ceding_commission_percent": D("25"), "retention": None, "limit": None}
XL = {"code": "XL", "kind": "excess_of_loss", "segment": "cln", "underwriting_year": 2025, "currency": "RUB",
      "ceded_percent": None, "ceding_commission_percent": None, "retention": D("1000000"), "limit": D("5000000")}


def test_a_policy_attaches_to_the_treaty_of_its_segment_and_inception_year():
    assert treaty_in_force([QS, XL], segment="ind", underwriting_year=2025, currency="IRR") is QS
    assert treaty_in_force([QS, XL], segment="ind", underwriting_year=2024, currency="RUB") is None
    assert treaty_in_force([QS, XL], segment="cln", underwriting_year=2025, currency="RUB") is XL
    assert treaty_in_force([QS, XL], segment="cln", underwriting_year=2025, currency="USD") is None  # XL in RUB only


@pytest.mark.parametrize("paid, case, ceded", [
    ("50000", "150000", ("15000.00", "45000.00")),
    ("0.15", "0.05", ("0.05", "0.02")),            # each side rounded once, half up (0.045 → 0.05)
])
def test_quota_share_cedes_paid_and_case_in_proportion(paid, case, ceded):
    assert quota_share(QS) == D("0.3") and quota_share(XL) == 0 and quota_share(None) == 0
    assert claim_cession(QS, paid=D(paid), case=D(case), currency="RUB") == tuple(D(x) for x in ceded)


@pytest.mark.parametrize("paid, case, ceded_paid, ceded_case", [
    ("1200000", "600000", "200000", "600000"),   # incurred 1.8m: layer 0.8m, of it paid 0.2m
    ("0", "2500000", "0", "1500000"),
    ("0", "400000", "0", "0"),                   # under the retention
    ("300000", "9700000", "0", "4000000"),       # incurred 10m: the whole layer, 4m, none paid yet
    ("6000000", "1000000", "4000000", "0"),      # paid beyond the limit: the layer is all paid
])
def test_excess_of_loss_cedes_the_layer_and_splits_it_by_the_layer_of_the_paid(paid, case, ceded_paid, ceded_case):
    assert xl_layer(D("7000000"), retention=D("1000000"), limit=D("5000000")) == D("4000000")
    assert claim_cession(XL, paid=D(paid), case=D(case), currency="RUB") == (D(ceded_paid), D(ceded_case))


def test_ceded_ratio_is_within_0_and_1_with_a_fallback():
    assert ceded_ratio(D(23), D(47)) == D(23) / D(47)
    assert ceded_ratio(D(5), D(0), D("0.3")) == D("0.3")
    assert ceded_ratio(D(-1), D(10)) == 0 and ceded_ratio(D(20), D(10)) == 1


def test_retention_coefficient_is_net_over_gross_floored_at_half():
    assert retention_coefficient(gross_incurred=D(4980000), ceded_incurred=D(2360000)) == D("0.5261")
    assert retention_coefficient(gross_incurred=D(100), ceded_incurred=D(80)) == D("0.5000")  # 0.2 → 0.5
    assert retention_coefficient(gross_incurred=D(100), ceded_incurred=D(0)) == D("1.0000")
    assert retention_coefficient(gross_incurred=D(0), ceded_incurred=D(0)) is None


def _outcome(**kw):
    origins = [SimpleNamespace(origin=o, ibnr=D(x)) for o, x in kw.pop("origins")]
    return SimpleNamespace(currency="RUB", origins=origins, **kw)


def test_ceded_outcome_by_hand():
    """QS 30% for 2025 on `ind`: origins 2024Q4 (no treaty, nothing reported), 2025Q1 (reported
    100 000, ceded 30 000), 2025Q2 (nothing reported: the year's 30%); 500.00 of IBNR beyond the
    origins (a floor) at the segment's 30 000 / 150 000 = 20%."""
    cession = {"treaties": ["QS"], "quota_shares": {"2025": "0.3"}, "excess_of_loss_years": [],
               "years": {"2025": {"quota_share": "0.3", "premium": "109500.00", "ceding_commission": "27375.00",
                                  "upr": "54300.00"}},
               "origins": {"2024Q4": ["50000.00", "0.00", "0.00", "0.00"],
                           "2025Q1": ["100000.00", "30000.00", "9000.00", "21000.00"]},
               "paid": "9000.00", "case": "21000.00", "incurred_12m": "150000.00", "ceded_incurred_12m": "30000.00"}
    out = ceded_outcome(cession=cession, valuation_year=2025, outcome=_outcome(
        upr=D("181000.00"), ibnr=D("10500.00"), premium_deficiency=D("1000.00"),
        origins=[("2024Q4", "2000.00"), ("2025Q1", "3000.00"), ("2025Q2", "5000.00")]))
    # 0 × 2000 + 0.3 × 3000 + 0.3 × 5000 + 0.2 × 500 = 0 + 900 + 1500 + 100
    assert out["ibnr"] == D("2500.00")
    assert (out["upr"], out["rbns"], out["ulae"], out["premium_deficiency"]) == (
        D("54300.00"), D("21000.00"), D("0.00"), D("300.00"))
    assert out["detail"]["origins"]["2025Q2"] == {"ratio": "0.300000", "ibnr": "1500.00", "paid": "0.00", "case": "0.00"}
    assert (out["detail"]["premium"], out["detail"]["ceding_commission"], out["detail"]["ibnr_ratio"]) == (
        "109500.00", "27375.00", "0.200000")


def test_ceded_outcome_on_annual_origins_and_an_excess_of_loss():
    """Annual origins gather their quarters; an XL year's unreported origin takes the
    segment's ratio (2 300 000 / 4 700 000 = 0.489362)."""
    cession = {"treaties": ["XL"], "quota_shares": {}, "excess_of_loss_years": ["2025"], "years": {},
               "origins": {"2025Q1": ["1800000.00", "800000.00", "200000.00", "600000.00"],
                           "2025Q2": ["2900000.00", "1500000.00", "0.00", "1500000.00"]},
               "paid": "200000.00", "case": "2100000.00", "incurred_12m": "4700000.00", "ceded_incurred_12m": "2300000.00"}
    out = ceded_outcome(cession=cession, valuation_year=2026, outcome=_outcome(
        upr=D("0.00"), ibnr=D("300000.00"), premium_deficiency=D("0.00"),
        origins=[("2025", "100000.00"), ("2026", "200000.00")]))
    assert out["detail"]["origins"]["2025"]["ratio"] == "0.489362"      # 2.3m / 4.7m over 2025's quarters
    assert out["detail"]["origins"]["2026"]["ratio"] == "0.000000"      # no treaty for 2026
    assert out["ibnr"] == D("48936.20")
    assert out["rbns"] == D("2100000.00") and out["premium_deficiency"] == D("0.00")


def test_a_segment_without_treaty_cedes_nothing():
    out = ceded_outcome(cession={"treaties": [], "incurred_12m": "10.00", "ceded_incurred_12m": "0.00"},
                        valuation_year=2025, outcome=_outcome(upr=D(1), ibnr=D(1), premium_deficiency=D(1), origins=[]))
    assert [out[k] for k in ("upr", "rbns", "ibnr", "ulae", "premium_deficiency")] == [D("0.00")] * 5
    assert out["detail"] == {"incurred_12m": "10.00", "ceded_incurred_12m": "0.00"}


def test_ceded_ibnr_stays_between_nothing_and_the_gross():
    """QS 50% on 2025 only: origin 2024Q4 (no treaty) IBNR +4 000, origin 2025Q1 (ceded 50%)
    IBNR −6 000; the segment's floor holds the gross at 0 (2 000 added beyond the origins, at the
    segment's 50 000 / 150 000 = 0.333333). Unbounded: 0 × 4 000 + 0.5 × (−6 000) + 0.333333 ×
    2 000 = −3 000 + 666.67 = −2 333.33, net 2 333.33 above a gross of 0; bounded to 0 (D-62)."""
    cession = {"treaties": ["QS"], "quota_shares": {"2025": "0.5"}, "excess_of_loss_years": [], "years": {},
               "origins": {"2024Q4": ["50000.00", "0.00", "0.00", "0.00"],
                           "2025Q1": ["100000.00", "50000.00", "0.00", "50000.00"]},
               "paid": "0.00", "case": "50000.00", "incurred_12m": "150000.00", "ceded_incurred_12m": "50000.00"}
    out = ceded_outcome(cession=cession, valuation_year=2025, outcome=_outcome(
        upr=D("0.00"), ibnr=D("0.00"), premium_deficiency=D("0.00"),
        origins=[("2024Q4", "4000.00"), ("2025Q1", "-6000.00")]))
    assert out["ibnr"] == D("0.00") and out["detail"]["ibnr_unbounded"] == "-2333.33"
    assert out["detail"]["origins"]["2025Q1"]["ibnr"] == "-3000.00"
    # QS 100% on 2025: origin 2024Q4 (no treaty) −2 000, 2025Q1 +3 000, gross 1 000; unbounded the
    # reinsurer would take 3 000 of a gross 1 000 (net −2 000): it takes the whole 1 000
    out = ceded_outcome(cession={**cession, "quota_shares": {"2025": "1"},
                                 "origins": {"2025Q1": ["100000.00", "100000.00", "0.00", "100000.00"]}},
                        valuation_year=2025, outcome=_outcome(upr=D("0.00"), ibnr=D("1000.00"), premium_deficiency=D("0.00"),
                                                              origins=[("2024Q4", "-2000.00"), ("2025Q1", "3000.00")]))
    assert out["ibnr"] == D("1000.00") and out["detail"]["ibnr_unbounded"] == "3000.00"
