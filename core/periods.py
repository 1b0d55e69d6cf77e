"""Calendar quarters: labels like 2024Q3, their start and end dates, and month arithmetic; and
the reporting periods a report groups dates by: calendar quarters or years, or the Jalali fiscal
year (from 1 Farvardin) and its quarters, in which Iranian business is reported."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    q: int

    @classmethod
    def parse(cls, label: str) -> "Quarter":
        m = _QUARTER_RE.match(label.strip())
        if not m:
            raise ValueError(f"not a quarter label (want e.g. 2024Q3): {label!r}")
        year = int(m.group(1))
        if not 1 <= year <= 9998:  # a quarter's dates (and the next quarter's start) must exist
            raise ValueError(f"{label.strip()} is outside the calendar (years 0001 to 9998)")
        return cls(year, int(m.group(2)))

    @classmethod
    def of(cls, day: date) -> "Quarter":
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.q}"

    def __str__(self) -> str:
        return self.label

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.q - 2, 1)

    @property
    def end(self) -> date:
        nxt = self + 1
        return nxt.start - timedelta(days=1)

    def __add__(self, n: int) -> "Quarter":
        idx = self.year * 4 + (self.q - 1) + n
        return Quarter(idx // 4, idx % 4 + 1)

    def __sub__(self, other):
        if isinstance(other, Quarter):
            return (self.year * 4 + self.q) - (other.year * 4 + other.q)
        return self + (-other)


def quarter_end(day: date) -> date:
    return Quarter.of(day).end


def is_quarter_end(day: date) -> bool:
    return quarter_end(day) == day


def quarter_ends(first: date, last: date) -> list[date]:
    """Quarter-end dates from the quarter of `first` to the quarter of `last`, inclusive."""
    q, stop, out = Quarter.of(first), Quarter.of(last), []
    while q <= stop:
        out.append(q.end)
        q = q + 1
    return out


# How a report groups dates: the calendar's quarters and years, or Iran's fiscal ones (core.jalali).
PERIOD_KINDS = ("quarter", "year", "jalali_quarter", "jalali_year")


@dataclass(frozen=True)
class ReportingPeriod:
    kind: str
    label: str  # 2024Q3, 2024, 1403Q2, 1403
    start: date
    end: date

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


def period_of(day: date, kind: str) -> ReportingPeriod:
    """The period of `kind` (PERIOD_KINDS) that `day` falls in."""
    from core.jalali import jalali_fiscal_quarter_of, jalali_fiscal_year_of

    if kind == "quarter":
        q = Quarter.of(day)
        return ReportingPeriod(kind, q.label, q.start, q.end)
    if kind == "year":
        return ReportingPeriod(kind, str(day.year), date(day.year, 1, 1), date(day.year, 12, 31))
    if kind in ("jalali_quarter", "jalali_year"):
        j = jalali_fiscal_quarter_of(day) if kind == "jalali_quarter" else jalali_fiscal_year_of(day)
        return ReportingPeriod(kind, j.label, j.start, j.end)
    raise ValueError(f"unknown period kind {kind!r}; one of {', '.join(PERIOD_KINDS)}")


def periods_between(first: date, last: date, kind: str) -> list[ReportingPeriod]:
    """The periods of `kind` from the one holding `first` to the one holding `last`, without gaps."""
    out: list[ReportingPeriod] = []
    period = period_of(first, kind)
    while period.start <= last:
        out.append(period)
        period = period_of(period.end + timedelta(days=1), kind)
    return out
