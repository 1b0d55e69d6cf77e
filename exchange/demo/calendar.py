"""Vectorised date arithmetic for the generator: dates are int64 day numbers (days since
1970-01-01) so that whole columns move at once."""
from __future__ import annotations

from datetime import date

import numpy as np

EPOCH = date(1970, 1, 1)


def day_number(day: date) -> int:
    return (day - EPOCH).days


def as_datetime64(days) -> np.ndarray:
    return np.asarray(days, dtype="int64").astype("datetime64[D]")


def add_years(days, years) -> np.ndarray:
    """Same month and day `years` later (a 29 February lands on 1 March)."""
    dt = as_datetime64(days)
    month = dt.astype("datetime64[M]")
    day_in_month = (dt - month.astype("datetime64[D]")).astype("int64")
    moved = (month + 12 * np.asarray(years, dtype="int64")).astype("datetime64[D]").astype("int64")
    return moved + day_in_month


def year_of(days) -> np.ndarray:
    return as_datetime64(days).astype("datetime64[Y]").astype("int64") + 1970


def quarter_label_parts(days) -> tuple[np.ndarray, np.ndarray]:
    months = as_datetime64(days).astype("datetime64[M]").astype("int64")
    return months // 12 + 1970, (months % 12) // 3 + 1


def is_feb29(days) -> np.ndarray:
    dt = as_datetime64(days)
    month = dt.astype("datetime64[M]")
    return ((month.astype("int64") % 12) == 1) & ((dt - month.astype("datetime64[D]")).astype("int64") == 28)


def iso_dates(days) -> np.ndarray:
    """YYYY-MM-DD strings; negative sentinel values (none) become ''."""
    days = np.asarray(days, dtype="int64")
    # a book spans a few thousand distinct days: format each once
    unique, inverse = np.unique(days, return_inverse=True)
    text = as_datetime64(np.where(unique < -100_000, 0, unique)).astype(str).astype(object)
    text[unique < -100_000] = ""
    return text[inverse]


NONE_DAY = -(10**9)  # "no date" in an int64 date column
