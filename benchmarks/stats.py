"""The arithmetic of `make bench`: medians of repeated timings, the ratio of a step to its
database floor, rows per second, growth from the smallest to the largest book and percentiles
of request latencies. Pure: numbers in, numbers out (tests/unit/bench pins them)."""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


def median(values: Iterable[float]) -> float:
    """The middle of the timings (the mean of the two middle ones for an even count)."""
    xs = sorted(float(v) for v in values)
    if not xs:
        raise ValueError("median of no timings")
    mid = len(xs) // 2
    return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2


def ratio(seconds: float | None, floor_seconds: float | None) -> float | None:
    """How many times the floor a step takes; None without a floor (or a zero one)."""
    if seconds is None or floor_seconds is None or floor_seconds <= 0:
        return None
    return seconds / floor_seconds


def per_second(count: float | None, seconds: float | None) -> float | None:
    if count is None or seconds is None or seconds <= 0:
        return None
    return count / seconds


def growth(small: float | None, large: float | None) -> float | None:
    """large ÷ small: how a time (or a floor, or a row count) grows from one book to a larger one."""
    if small is None or large is None or small <= 0:
        return None
    return large / small


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) by the nearest-rank rule: the smallest value with at least q%
    of the values at or below it (p99 of 2,000 latencies is the 1,980th smallest)."""
    xs = sorted(values)
    if not xs:
        raise ValueError("percentile of no values")
    if not 0 < q <= 100:
        raise ValueError(f"percentile {q} outside (0, 100]")
    rank = math.ceil(q / 100 * len(xs))
    return xs[rank - 1]
