"""The bench's arithmetic (benchmarks.stats): medians of repeats, ratio to the floor, rows per
second, growth and the nearest-rank percentile, with hand-checkable numbers."""
from __future__ import annotations

import pytest

from benchmarks.stats import growth, median, per_second, percentile, ratio


def test_median_of_three_timings_is_the_middle_one():
    assert median([3.0, 1.2, 2.5]) == 2.5


def test_median_of_an_even_count_is_the_mean_of_the_middle_two():
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5


def test_median_of_no_timings_is_refused():
    with pytest.raises(ValueError):
        median([])


def test_ratio_is_seconds_over_the_floor():
    assert ratio(67.5, 1.35) == pytest.approx(50.0)


@pytest.mark.parametrize("seconds, floor", [(1.0, None), (None, 1.0), (1.0, 0.0)])
def test_ratio_without_a_usable_floor_is_none(seconds, floor):
    assert ratio(seconds, floor) is None


def test_rows_per_second():
    assert per_second(187_932, 50.7) == pytest.approx(3706.74, abs=0.01)
    assert per_second(10, 0) is None


def test_growth_from_the_small_book_to_the_large_one():
    # the UPR: 5.2 s at 100k, 67.5 s at 1M
    assert growth(5.2, 67.5) == pytest.approx(12.98, abs=0.01)
    assert growth(0, 1.0) is None
    assert growth(None, 1.0) is None


def test_p99_of_2000_latencies_is_the_1980th_smallest():
    latencies = [float(i) for i in range(1, 2001)]   # 1 … 2000 ms
    assert percentile(latencies, 99) == 1980.0
    assert percentile(latencies, 50) == 1000.0
    assert percentile([7.0], 99) == 7.0


def test_percentile_outside_0_100_is_refused():
    with pytest.raises(ValueError):
        percentile([1.0], 0)
