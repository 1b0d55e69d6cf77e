"""Quarterly accident-quarter triangles rolled up to accident years × development years."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from core.periods import Quarter


def value_at(frame: pd.DataFrame, origin: Quarter, at: date) -> float | None:
    """The cumulative value of one accident quarter as at the quarter end `at`."""
    age = ((Quarter.of(at) - origin) + 1) * 3
    if age < 3 or age not in frame.columns:
        return None
    value = frame.at[origin.label, age] if origin.label in frame.index else None
    return None if value is None or pd.isna(value) else float(value)


def annual_cumulative(frames: list[pd.DataFrame], valuation_date: date, first_year: int, n_dev: int) -> dict[tuple[int, int], float]:
    """{(accident year, development year): cumulative value at the end of that development year
    (or at the valuation date for the current calendar year)} summed over the given frames."""
    out: dict[tuple[int, int], float] = {}
    last_year = valuation_date.year
    for frame in frames:
        for label in frame.index:
            origin = Quarter.parse(str(label))
            ay = origin.year
            if ay < first_year:
                continue
            for d in range(0, min(n_dev, last_year - ay + 1)):
                cal = ay + d
                at = date(cal, 12, 31) if cal < last_year else Quarter.of(valuation_date).end
                v = value_at(frame, origin, at)
                if v is not None:
                    out[(ay, d)] = out.get((ay, d), 0.0) + v
    return out


def incremental(cum: dict[tuple[int, int], float]) -> dict[tuple[int, int], float]:
    return {(ay, d): v - cum.get((ay, d - 1), 0.0) for (ay, d), v in cum.items()}


def paid_in_calendar_year(frames: list[pd.DataFrame], valuation_date: date, before_year: int) -> float:
    """Paid in the valuation's calendar year on accident years before `before_year` (Prior row)."""
    total = 0.0
    year = valuation_date.year
    for frame in frames:
        for label in frame.index:
            origin = Quarter.parse(str(label))
            if origin.year >= before_year:
                continue
            now = value_at(frame, origin, Quarter.of(valuation_date).end) or 0.0
            before = value_at(frame, origin, date(year - 1, 12, 31)) or 0.0
            total += now - before
    return total


def np_round(x: float, places: int = 2) -> float:
    return float(np.round(x, places))
