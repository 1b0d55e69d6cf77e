"""The Jalali (Solar Hijri) calendar, in which Iranian policies and claims show their dates."""
from __future__ import annotations

from datetime import date

import jdatetime


def jalali_year_of(day: date) -> int:
    return jdatetime.date.fromgregorian(date=day).year


def jalali_text(day: date | None) -> str:
    """A date as Jalali YYYY/MM/DD, the way Iranian policies show it."""
    if day is None:
        return ""
    return jdatetime.date.fromgregorian(date=day).strftime("%Y/%m/%d")
