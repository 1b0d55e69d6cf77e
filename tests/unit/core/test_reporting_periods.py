"""The periods a report groups dates by (core.periods.period_of / periods_between): calendar
quarters and years, and the Jalali fiscal year from 1 Farvardin and its quarters, pinned to
real dates (1 Farvardin 1403 = 2024-03-20, 1 Farvardin 1404 = 2025-03-21)."""
from datetime import date

import pytest

from core.periods import PERIOD_KINDS, period_of, periods_between


@pytest.mark.parametrize("day, kind, label, start, end", [
    (date(2024, 3, 31), "quarter", "2024Q1", date(2024, 1, 1), date(2024, 3, 31)),
    (date(2024, 3, 31), "year", "2024", date(2024, 1, 1), date(2024, 12, 31)),
    (date(2024, 3, 31), "jalali_quarter", "1403Q1", date(2024, 3, 20), date(2024, 6, 20)),
    (date(2024, 3, 19), "jalali_quarter", "1402Q4", date(2023, 12, 22), date(2024, 3, 19)),
    (date(2024, 3, 31), "jalali_year", "1403", date(2024, 3, 20), date(2025, 3, 20)),
    (date(2025, 3, 21), "jalali_year", "1404", date(2025, 3, 21), date(2026, 3, 20)),
    (date(2025, 6, 22), "jalali_quarter", "1404Q2", date(2025, 6, 22), date(2025, 9, 22)),
])
def test_the_period_of_a_day(day, kind, label, start, end):
    period = period_of(day, kind)
    assert (period.label, period.start, period.end) == (label, start, end)
    assert day in period


def test_jalali_quarters_run_without_gaps_across_nowruz():
    periods = periods_between(date(2024, 1, 1), date(2025, 3, 31), "jalali_quarter")
    assert [p.label for p in periods] == ["1402Q4", "1403Q1", "1403Q2", "1403Q3", "1403Q4", "1404Q1"]
    assert all(b.start.toordinal() == a.end.toordinal() + 1 for a, b in zip(periods, periods[1:]))
    assert (periods[4].start, periods[4].end) == (date(2024, 12, 21), date(2025, 3, 20))  # Dey–Esfand of a leap year


def test_every_kind_covers_a_span_once():
    for kind in PERIOD_KINDS:
        periods = periods_between(date(2023, 5, 5), date(2024, 12, 31), kind)
        days = sum((p.end - p.start).days + 1 for p in periods)
        assert periods[0].start <= date(2023, 5, 5) and periods[-1].end >= date(2024, 12, 31)
        assert days == (periods[-1].end - periods[0].start).days + 1, kind
    assert [p.label for p in periods_between(date(2023, 5, 5), date(2024, 12, 31), "jalali_year")] == ["1402", "1403"]


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown period kind"):
        period_of(date(2024, 1, 1), "month")
