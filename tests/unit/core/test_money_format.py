"""Money per locale (issue 16 §1): the currency's minor unit, the locale's grouping, the code beside."""
from datetime import date
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from core.money_format import amount_text, date_html, date_text, money_html, money_text

NBSP = "\N{NO-BREAK SPACE}"


@pytest.mark.parametrize("language, currency, value, shown", [
    ("en", "RUB", Decimal("1234567.891"), "1,234,567.89"),
    ("en", "IRR", Decimal("3142000000.00"), "3,142,000,000"),
    ("en", "IRR", Decimal("4400000000.5"), "4,400,000,001"),  # half-up to whole rials
    ("en", "RUB", Decimal("-14000"), "-14,000.00"),
    ("en", "RUB", Decimal("0.004"), "0.00"),
    ("en", "RUB", 8000, "8,000.00"),
    ("ru", "RUB", Decimal("1234567.89"), f"1{NBSP}234{NBSP}567,89"),
    ("ru", "IRR", Decimal("158000"), f"158{NBSP}000"),
    ("fa", "IRR", Decimal("1234567"), "۱٬۲۳۴٬۵۶۷"),
    ("fa", "RUB", Decimal("1234.5"), "۱٬۲۳۴٫۵۰"),
])
def test_amount_text_per_locale_and_minor_unit(language, currency, value, shown):
    with translation.override(language):
        assert amount_text(value, currency) == shown


def test_missing_amount_is_a_dash_and_unknown_currency_refused():
    assert amount_text(None, "RUB") == "—"
    with pytest.raises(ValueError):
        amount_text(Decimal("1"), "XYZ")


def test_money_html_right_aligned_with_code_and_escaped():
    with translation.override("en"):
        assert money_html(Decimal("14000"), "RUB") == (
            f'<span class="money" dir="ltr">14,000.00 <span class="ccy">RUB</span></span>')
        assert money_html(Decimal("14000"), "IRR", code=False) == '<span class="money" dir="ltr">14,000</span>'
        assert money_text(Decimal("14000"), "irr") == "14,000 IRR"


def test_dates_per_locale_with_jalali_beside_for_rial_business():
    day = date(2025, 9, 20)
    with translation.override("en"):
        assert date_text(day) == "20 Sep 2025"
        assert date_html(day, "RUB") == "20 Sep 2025"
        assert date_html(day, "IRR") == '20 Sep 2025<br><small class="jalali" dir="ltr">1404/06/29</small>'
    with translation.override("ru"):
        assert date_text(day) == "20 сентября 2025 г."


def test_template_filters():
    with translation.override("en"):
        html = Template('{% load medmal_money %}{{ v|money:c }}|{{ v|amount:c }}|{{ d|date_jalali:c }}').render(
            Context({"v": Decimal("6600000"), "c": "IRR", "d": date(2025, 3, 21)}))
    assert html == (f'<span class="money" dir="ltr">6,600,000 <span class="ccy">IRR</span></span>|6,600,000|'
                    '21 Mar 2025<br><small class="jalali" dir="ltr">1404/01/01</small>')
