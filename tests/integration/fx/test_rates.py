"""Official exchange rates (issue 17 §4): the rate a report converts at, the latest fixing on
or before its date and never older than FX_RATE_MAX_AGE_DAYS; a missing rate is a clear error,
never a silent 1.0."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from fx.models import OfficialRate
from fx.selectors import RateMissing, rate_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates():
    for day, rate in ((date(2024, 12, 27), "0.0019"), (date(2024, 12, 31), "0.0018891781")):
        OfficialRate.objects.create(rate_date=day, currency="IRR", rate=Decimal(rate), source="Bank of Russia")


def test_the_fixing_of_the_date_itself(rates):
    r = rate_on("IRR", date(2024, 12, 31))
    assert (r.rate, r.rate_date, r.source) == (Decimal("0.0018891781"), date(2024, 12, 31), "Bank of Russia")
    # 1,000,000,000 rials × 0.0018891781 = 1,889,178.10 roubles
    assert r.convert(Decimal("1000000000")) == Decimal("1889178.10")
    assert r.describe() == "1 IRR = 0.0018891781 RUB, official rate of 2024-12-31 (Bank of Russia)"


def test_a_day_without_a_fixing_takes_the_latest_before_it(rates):
    r = rate_on("IRR", date(2024, 12, 30))
    assert (r.rate, r.rate_date) == (Decimal("0.0019"), date(2024, 12, 27))
    # 12,345,679 rials × 0.0019 = 23,456.7901 → 23,456.79
    assert r.convert(12_345_679) == Decimal("23456.79")


def test_a_missing_rate_names_the_currency_and_the_date(rates, settings):
    settings.FX_RATE_MAX_AGE_DAYS = 10
    with pytest.raises(RateMissing) as caught:
        rate_on("IRR", date(2025, 1, 11))  # 11 days after the last fixing
    assert caught.value.message == ("no official IRR rate to RUB on 2025-01-11 (none dated 2025-01-01 to 2025-01-11); "
                                    "enter it under Exchange rates or in the book's fx_rates.csv")
    assert rate_on("IRR", date(2025, 1, 10)).rate_date == date(2024, 12, 31)  # 10 days: still its rate
    with pytest.raises(RateMissing):
        rate_on("USD", date(2024, 12, 31))
    with pytest.raises(RateMissing):
        rate_on("IRR", date(2024, 12, 26))  # before the first fixing


def test_the_reporting_currency_converts_at_one_without_a_fixing(settings):
    r = rate_on("RUB", date(2024, 12, 31))
    assert (r.rate, r.rate_date) == (Decimal(1), None)
    assert r.convert(Decimal("10.005")) == Decimal("10.01")
    settings.REPORTING_CURRENCY = "IRR"
    with pytest.raises(RateMissing):
        rate_on("RUB", date(2024, 12, 31))


def test_the_model_refuses_the_reporting_currency_and_a_rate_not_above_zero():
    with pytest.raises(ValidationError) as caught:
        OfficialRate(rate_date=date(2024, 12, 31), currency="rub", rate=Decimal("1")).full_clean()
    assert caught.value.message_dict == {"currency": ["the reporting currency needs no rate"]}
    with pytest.raises(ValidationError) as caught:
        OfficialRate(rate_date=date(2024, 12, 31), currency="IRR", rate=Decimal("0")).full_clean()
    assert caught.value.message_dict == {"rate": ["a rate is above zero"]}
