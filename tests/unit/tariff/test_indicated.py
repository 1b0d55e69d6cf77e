"""The Russian experience-rating formulas reproduce both checks of domain.md §2.2."""
import pytest

from tariff import indicated


def test_check_one_simple_loading():
    r = indicated.indicated_rate(q=0.02, average_payment=0.3, average_sum_insured=1.0, n=500, gamma=0.95,
                                 loading_share=0.25)
    assert round(r.risk_rate, 4) == 0.6
    assert round(r.risk_loading, 4) == 0.3708
    assert round(r.net_rate, 4) == 0.9708
    assert round(r.gross_rate, 4) == 1.2944


def test_check_two_with_claim_size_spread():
    r = indicated.indicated_rate(q=0.03, average_payment=35_000, average_sum_insured=80_000, n=6_250, gamma=0.95,
                                 claim_sd=7_000)
    assert round(r.risk_rate, 4) == 1.3125
    assert round(r.risk_loading, 4) == 0.1585
    assert round(r.net_rate, 3) == 1.471


@pytest.mark.parametrize("gamma, alpha", [(0.84, 1.0), (0.9, 1.3), (0.95, 1.645), (0.98, 2.0), (0.9986, 3.0)])
def test_alpha_table(gamma, alpha):
    assert indicated.alpha_for(gamma) == alpha


def test_untabulated_confidence_is_refused():
    with pytest.raises(ValueError):
        indicated.alpha_for(0.99)


def test_loading_share_of_one_or_more_is_refused():
    with pytest.raises(ValueError):
        indicated.gross_rate(1.0, 1.0)


def test_relative_change_compares_per_mille_rates():
    r = indicated.indicated_rate(q=0.02, average_payment=0.3, average_sum_insured=1.0, n=500, loading_share=0.25)
    assert r.gross_rate_permille == pytest.approx(12.944, abs=1e-3)
    assert indicated.relative_change(1.8, 1.5) == pytest.approx(0.2)
    assert indicated.relative_change(1.8, None) is None


def test_diyeh_target_endorsed_follows_the_new_year_unendorsed_stops_at_the_policy_year():
    from decimal import Decimal

    from tariff.diyeh import diyeh_target_estimate

    common = {"awarded_share": Decimal("0.3"), "policy_year_amount": Decimal("1000"), "new_amount": Decimal("1500"),
              "paid": Decimal("100")}
    assert diyeh_target_estimate(endorsed=True, **common) == Decimal("350")  # 0.3 × 1500 − 100
    assert diyeh_target_estimate(endorsed=False, **common) == Decimal("200")  # 0.3 × 1000 − 100
    assert diyeh_target_estimate(endorsed=True, **{**common, "paid": Decimal("999")}) == Decimal("0")
