"""The Jalali fiscal year and its quarters (issue 16 §1), pinned to the Iranian calendar's real dates."""
from datetime import date

import pytest

from core.jalali import jalali_fiscal_quarter_of, jalali_fiscal_quarters, jalali_fiscal_year, jalali_parse


def test_fiscal_years_start_on_1_farvardin_nowruz():
    y1403, y1404 = jalali_fiscal_year(1403), jalali_fiscal_year(1404)
    # Nowruz: 20 March 2024 (1403), 21 March 2025 (1404); 1403 is a leap year (30 Esfand = 20 March 2025).
    assert (y1403.start, y1403.end) == (date(2024, 3, 20), date(2025, 3, 20))
    assert (y1404.start, y1404.end) == (date(2025, 3, 21), date(2026, 3, 20))
    assert (y1404.end - y1404.start).days + 1 == 365 and (y1403.end - y1403.start).days + 1 == 366


def test_quarters_of_1404():
    quarters = [(q.label, q.start, q.end) for q in jalali_fiscal_quarters(1404)]
    assert quarters == [
        ("1404Q1", date(2025, 3, 21), date(2025, 6, 21)),   # Farvardin–Khordad (31+31+31 days)
        ("1404Q2", date(2025, 6, 22), date(2025, 9, 22)),   # Tir–Shahrivar (31+31+31)
        ("1404Q3", date(2025, 9, 23), date(2025, 12, 21)),  # Mehr–Azar (30+30+30)
        ("1404Q4", date(2025, 12, 22), date(2026, 3, 20)),  # Dey–Esfand (30+30+29)
    ]


@pytest.mark.parametrize("day, label", [
    (date(2025, 3, 20), "1403Q4"), (date(2025, 3, 21), "1404Q1"), (date(2025, 9, 22), "1404Q2"),
    (date(2025, 9, 23), "1404Q3"), (date(2025, 12, 22), "1404Q4"),
])
def test_quarter_of_a_day(day, label):
    period = jalali_fiscal_quarter_of(day)
    assert period.label == label and day in period


@pytest.mark.parametrize("text, day", [
    ("1404/01/01", date(2025, 3, 21)), ("1404-1-1", date(2025, 3, 21)), ("۱۴۰۳/۱۲/۳۰", date(2025, 3, 20)),
    ("2025-03-21", None), ("", None),
])
def test_jalali_input(text, day):
    assert jalali_parse(text) == day


def test_jalali_input_that_does_not_exist():
    with pytest.raises(ValueError):
        jalali_parse("1404/12/30")  # 1404 is not a leap year


def test_the_fiscal_year_of_a_day_turns_on_nowruz():
    from core.jalali import jalali_fiscal_year_of

    assert jalali_fiscal_year_of(date(2025, 3, 20)).label == "1403"  # 30 Esfand 1403 (leap year)
    assert (jalali_fiscal_year_of(date(2025, 3, 21)).label, jalali_fiscal_year_of(date(2025, 3, 21)).start) == ("1404", date(2025, 3, 21))
    assert jalali_fiscal_year_of(date(2024, 3, 19)).label == "1402"
    assert jalali_fiscal_year_of(date(2024, 3, 20)).start == date(2024, 3, 20)  # 1 Farvardin 1403
