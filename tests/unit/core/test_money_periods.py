from datetime import date
from decimal import Decimal

import pytest

from core.money import CurrencyError, CurrencyMismatch, money_round, money_sum
from core.periods import Quarter, is_quarter_end, quarter_ends


def test_money_rounds_half_up_to_minor_unit():
    assert money_round(Decimal("80778.075"), "RUB") == Decimal("80778.08")
    assert money_round(2.675, "RUB") == Decimal("2.68")  # repr, not the binary 2.67499…
    assert money_round(Decimal("1234.5"), "IRR") == Decimal("1235")


@pytest.mark.parametrize("value, currency, shown", [
    (0.3 - 0.1 - 0.2, "RUB", "0.00"),  # −2.8e-17: a floating-point window sum (defect 12)
    (-0.0, "RUB", "0.00"),
    (Decimal("0.00") * -1, "RUB", "0.00"),
    (Decimal("-0.004"), "RUB", "0.00"),
    (Decimal("-0.4"), "IRR", "0"),
    (Decimal("-0.005"), "RUB", "-0.01"),  # a real negative amount keeps its sign
])
def test_money_round_never_gives_negative_zero(value, currency, shown):
    assert f"{money_round(value, currency):,}" == shown


def test_unknown_currency_is_refused():
    with pytest.raises(CurrencyError):
        money_round(1, "XXX")


def test_amounts_of_different_currencies_are_never_added():
    with pytest.raises(CurrencyMismatch):
        money_sum([1, 2], ["RUB", "IRR"])
    assert money_sum([Decimal("1.10"), Decimal("2.20")], ["RUB", "RUB"]) == Decimal("3.30")


def test_quarter_labels_and_dates():
    q = Quarter.parse("2024Q3")
    assert (q.start, q.end) == (date(2024, 7, 1), date(2024, 9, 30))
    assert (q + 2).label == "2025Q1"
    assert Quarter.parse("2025Q1") - q == 2
    assert Quarter.of(date(2024, 12, 31)).label == "2024Q4"
    assert is_quarter_end(date(2024, 12, 31)) and not is_quarter_end(date(2024, 12, 30))
    assert quarter_ends(date(2024, 2, 1), date(2024, 7, 1)) == [date(2024, 3, 31), date(2024, 6, 30), date(2024, 9, 30)]
    with pytest.raises(ValueError):
        Quarter.parse("2024-3")


def test_numpy_scalars_round_like_floats():
    import numpy as np

    assert money_round(np.float64(2.675), "RUB") == Decimal("2.68")
    assert money_round(np.int64(7), "IRR") == Decimal("7")
