"""Pure policy rules: field checks and return premium (no database)."""
from datetime import date
from decimal import Decimal

import pytest

from core.errors import DomainError
from policies import rules
from policies.rules import PremiumWindow, return_premium

JAN1, DEC31 = date(2024, 1, 1), date(2024, 12, 31)  # 2024 has 366 days


def fields(**over):
    base = dict(basis="occurrence", retro_date=None, currency="rub", inception_date=JAN1, expiry_date=DEC31,
                limit_per_claim=Decimal("1000000"), aggregate_limit=Decimal("3000000"),
                deductible_amount=None, deductible_percent=Decimal("10"), risk_group=2)
    base.update(over)
    return base


def refused_field(**over) -> str:
    with pytest.raises(DomainError) as exc:
        rules.policy_fields_check(**fields(**over))
    return exc.value.field


def test_valid_policy_fields_pass_and_currency_is_normalised():
    assert rules.policy_fields_check(**fields()) == "RUB"


def test_expiry_before_inception_is_refused():
    assert refused_field(expiry_date=date(2023, 12, 31)) == "expiry_date"


def test_one_day_cover_is_allowed():
    rules.policy_fields_check(**fields(expiry_date=JAN1))


def test_claims_made_without_retro_date_is_refused():
    assert refused_field(basis="claims_made", retro_date=None) == "retro_date"


def test_claims_made_retro_date_after_inception_is_refused():
    assert refused_field(basis="claims_made", retro_date=date(2024, 1, 2)) == "retro_date"


def test_unknown_basis_is_refused():
    assert refused_field(basis="per_risk") == "basis"


def test_unknown_currency_is_refused():
    assert refused_field(currency="XXX") == "currency"


@pytest.mark.parametrize("percent", [Decimal("-1"), Decimal("100.01")])
def test_deductible_percent_outside_0_to_100_is_refused(percent):
    assert refused_field(deductible_percent=percent) == "deductible_percent"


def test_negative_deductible_amount_is_refused():
    assert refused_field(deductible_amount=Decimal("-5")) == "deductible_amount"


@pytest.mark.parametrize("field", ["limit_per_claim", "aggregate_limit"])
def test_limit_not_positive_is_refused(field):
    assert refused_field(**{field: Decimal("0")}) == field


def test_risk_group_outside_1_to_4_is_refused():
    assert refused_field(risk_group=5) == "risk_group"


def test_negative_original_premium_is_refused():
    with pytest.raises(DomainError) as exc:
        rules.original_premium_check(Decimal("-1.00"), Decimal("0"))
    assert exc.value.field == "gross_premium"
    rules.original_premium_check(Decimal("0"), Decimal("0"))  # a free policy is allowed


def test_premium_and_commission_of_opposite_signs_are_refused():
    with pytest.raises(DomainError):
        rules.premium_signs_check(Decimal("-100"), Decimal("10"))
    rules.premium_signs_check(Decimal("-100"), Decimal("-10"))


def test_pro_rata_return_counts_days_from_effective_date_to_expiry_inclusive():
    back = return_premium(rows=[PremiumWindow(JAN1, Decimal("36600"), Decimal("3660"))], expiry_date=DEC31,
                          effective_date=date(2024, 7, 1), currency="RUB")
    # 1 Jul .. 31 Dec = 184 of 366 days.
    assert back.gross_premium == Decimal("36600") * 184 / 366 == Decimal("18400.00")
    assert back.commission == Decimal("1840.00")


def test_endorsement_returns_over_its_own_window():
    rows = [PremiumWindow(JAN1, Decimal("36600"), Decimal("3660")),
            PremiumWindow(date(2024, 4, 1), Decimal("2750"), Decimal("275"))]  # window 1 Apr..31 Dec = 275 days
    back = return_premium(rows=rows, expiry_date=DEC31, effective_date=date(2024, 7, 1), currency="RUB")
    assert back.gross_premium == Decimal("18400.00") + Decimal("2750") * 184 / 275


def test_cancellation_at_inception_returns_everything():
    back = return_premium(rows=[PremiumWindow(JAN1, Decimal("1000.01"), Decimal("100"))], expiry_date=DEC31,
                          effective_date=JAN1, currency="RUB")
    assert (back.gross_premium, back.commission) == (Decimal("1000.01"), Decimal("100.00"))


def test_short_rate_retention_keeps_a_share_of_the_pro_rata_return():
    back = return_premium(rows=[PremiumWindow(JAN1, Decimal("36600"), Decimal("3660"))], expiry_date=DEC31,
                          effective_date=date(2024, 7, 1), currency="RUB", method="short_rate",
                          short_rate_retention=Decimal("0.10"))
    assert back.gross_premium == Decimal("18400.00") * Decimal("0.9")
    assert back.commission == Decimal("1656.00")  # returned in the gross premium's proportion
    assert back.pro_rata_gross == Decimal("18400.00")


def test_short_rate_return_above_pro_rata_is_refused():
    with pytest.raises(DomainError) as exc:
        return_premium(rows=[PremiumWindow(JAN1, Decimal("36600"), Decimal("0"))], expiry_date=DEC31,
                       effective_date=date(2024, 7, 1), currency="RUB", method="short_rate",
                       return_gross=Decimal("18400.01"))
    assert exc.value.field == "return_gross"


def test_short_rate_needs_exactly_one_of_return_or_retention():
    with pytest.raises(DomainError):
        return_premium(rows=[], expiry_date=DEC31, effective_date=JAN1, currency="RUB", method="short_rate")


def test_irr_return_is_whole_rials():
    back = return_premium(rows=[PremiumWindow(JAN1, Decimal("1000"), Decimal("0"))], expiry_date=DEC31,
                          effective_date=date(2024, 7, 1), currency="IRR")
    assert back.gross_premium == Decimal("503")  # 1000 × 184/366 = 502.73 → 503
