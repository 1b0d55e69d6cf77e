"""Money and dates as people read them, in the active language (issue 16 §1).

One helper for every page: an amount is rounded to its currency's minor unit (core.money: IRR
whole rials, RUB kopecks), grouped by thousands with the locale's separators ("1,234,567.89" in
English, "1 234 567,89" with a no-break space in Russian, "۱٬۲۳۴٬۵۶۷" in Persian: Persian digits
with the Arabic thousands and decimal separators, as Iranian statements print them) and shown
right-aligned with its currency code beside it. Inputs stay ISO and Latin (Decimal parses both).
Dates: Django's localized DATE_FORMAT (config/formats), with the Jalali date beside it for rial
business, where the Jalali calendar is the one the documents use.
"""
from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from core.jalali import jalali_text
from core.money import MINOR_UNITS, currency_check, money_round

# Persian digits and separators: the "٬" (U+066C) groups thousands, "٫" (U+066B) is the decimal point.
_PERSIAN = str.maketrans("0123456789,.", "۰۱۲۳۴۵۶۷۸۹٬٫")
# The calendar of a currency's own documents, shown beside the Gregorian date.
JALALI_CURRENCIES = frozenset({"IRR"})


def _persian(language: str | None) -> bool:
    return (language or "").split("-")[0] == "fa"


def amount_text(value, currency: str) -> str:
    """`value` rounded to the currency's minor unit and grouped per the active locale, without
    the code: amount_text(Decimal("1234567.891"), "RUB") == "1,234,567.89" (en). "—" for None."""
    if value is None or value == "":
        return "—"
    code = currency_check(currency)
    rounded = money_round(value, code)
    # Grouped by threes (NUMBER_GROUPING of all our languages) by Python, then the separators
    # (and for Persian the digits) mapped: a list page formats hundreds of amounts.
    return f"{rounded:,.{MINOR_UNITS[code]}f}".translate(_number_table(get_language()))


def number_text(value, digits: int = 0) -> str:
    """A number that is not an amount of one currency (a triangle cell, a claim count) grouped
    per the active locale as amount_text groups amounts: number_text(1234.5, 1) == "1,234.5" (en)."""
    return f"{float(value):,.{digits}f}".translate(_number_table(get_language()))


@lru_cache(maxsize=16)
def _number_table(language: str | None) -> dict[int, str]:
    if _persian(language):
        return _PERSIAN
    return str.maketrans({",": formats.get_format("THOUSAND_SEPARATOR", language),
                          ".": formats.get_format("DECIMAL_SEPARATOR", language)})


def money_text(value, currency: str) -> str:
    """The amount with its code, as plain text (messages, CSV-free places): "1,234.50 RUB"."""
    if value is None or value == "":
        return "—"
    return f"{amount_text(value, currency)} {currency_check(currency)}"


def money_html(value, currency: str, *, code: bool = True) -> SafeString:
    """A table cell's amount: right-aligned (the `money` class, base_site.html), the code beside
    it unless the column header names the currency (code=False). The number keeps left-to-right
    order on Persian pages."""
    if value is None or value == "":
        return format_html('<span class="money">{}</span>', "—")
    if not code:
        return format_html('<span class="money" dir="ltr">{}</span>', amount_text(value, currency))
    return format_html('<span class="money" dir="ltr">{} <span class="ccy">{}</span></span>',
                       amount_text(value, currency), currency_check(currency))


def date_text(day: date | datetime | None) -> str:
    """A date in the active locale's DATE_FORMAT ("20 Sep 2025", "20 сентября 2025 г.")."""
    if day is None:
        return "—"
    if isinstance(day, datetime):
        day = timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
    return _date_text(get_language(), day)


@lru_cache(maxsize=4096)
def _date_text(language: str | None, day: date) -> str:
    # A list shows the same few dates on many rows; Django's date formatting is the slow part.
    return formats.date_format(day, "DATE_FORMAT")


def datetime_text(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "DATETIME_FORMAT")


def date_html(day: date | None, currency: str | None = None) -> SafeString:
    """A date for a table cell; for rial business the Jalali date below it (same column, so the
    list does not grow wider)."""
    if day is None:
        return format_html("{}", "—")
    if currency in JALALI_CURRENCIES:
        return format_html('{}<br><small class="jalali" dir="ltr">{}</small>', date_text(day), jalali_text(day))
    return format_html("{}", date_text(day))
