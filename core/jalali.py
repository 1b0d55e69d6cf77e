"""The Jalali (Solar Hijri) calendar, in which Iranian policies and claims show their dates, typed
dates are read (core.forms.LocalDateField) and Iranian reports count fiscal years and quarters."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import jdatetime


def jalali_year_of(day: date) -> int:
    return jdatetime.date.fromgregorian(date=day).year


def jalali_text(day: date | None) -> str:
    """A date as Jalali YYYY/MM/DD, the way Iranian policies show it."""
    if day is None:
        return ""
    return jdatetime.date.fromgregorian(date=day).strftime("%Y/%m/%d")


# Persian (and Arabic-Indic) digits typed in a Jalali date, as Latin ones.
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_JALALI_INPUT = re.compile(r"^\s*(1[2-4]\d\d)[/\-.](\d{1,2})[/\-.](\d{1,2})\s*$")


def jalali_parse(text: str) -> date | None:
    """The Gregorian date of a Jalali date typed as 1404/01/01 (or 1404-1-1, Persian digits
    allowed); None when `text` is not a Jalali date (a year 1200–1499), e.g. an ISO date.
    ValueError for a Jalali date that does not exist (1404/12/30: 1404 is not a leap year)."""
    m = _JALALI_INPUT.match((text or "").translate(_DIGITS))
    if not m:
        return None
    return jdatetime.date(int(m[1]), int(m[2]), int(m[3])).togregorian()


@dataclass(frozen=True)
class JalaliPeriod:
    """A Jalali fiscal year (quarter None) or quarter, with its Gregorian first and last days.
    Iran's fiscal year is the calendar year, from 1 Farvardin; Q1 is Farvardin–Khordad, Q2
    Tir–Shahrivar, Q3 Mehr–Azar, Q4 Dey–Esfand."""

    year: int
    quarter: int | None
    start: date
    end: date

    @property
    def label(self) -> str:
        return f"{self.year}" if self.quarter is None else f"{self.year}Q{self.quarter}"

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


def _first_day(year: int, month: int) -> date:
    return jdatetime.date(year, month, 1).togregorian()


def jalali_fiscal_year(year: int) -> JalaliPeriod:
    """Jalali year `year`: 1 Farvardin to the last day of Esfand (the 29th, the 30th in a leap year)."""
    return JalaliPeriod(year, None, _first_day(year, 1), _first_day(year + 1, 1) - timedelta(days=1))


def jalali_fiscal_quarters(year: int) -> list[JalaliPeriod]:
    starts = [_first_day(year, month) for month in (1, 4, 7, 10)] + [_first_day(year + 1, 1)]
    return [JalaliPeriod(year, q + 1, starts[q], starts[q + 1] - timedelta(days=1)) for q in range(4)]


def jalali_fiscal_quarter_of(day: date) -> JalaliPeriod:
    jday = jdatetime.date.fromgregorian(date=day)
    return jalali_fiscal_quarters(jday.year)[(jday.month - 1) // 3]


def jalali_fiscal_year_of(day: date) -> JalaliPeriod:
    """The Jalali fiscal year `day` falls in (1 Farvardin to the end of Esfand)."""
    return jalali_fiscal_year(jalali_year_of(day))
