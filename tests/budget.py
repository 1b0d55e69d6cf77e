"""Hypothesis example budgets: each property keeps its own count under the `ci` profile and is
scaled by the loaded profile's max_examples over hypothesis's default of 100 (tests/conftest.py:
`deep` runs 20× as many). Use `settings(max_examples=examples(150), ...)`."""
from __future__ import annotations

from hypothesis import settings

UNIT = 100


def examples(n: int) -> int:
    return max(1, n * settings.default.max_examples // UNIT)
