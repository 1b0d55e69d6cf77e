"""Money: Decimal amounts with a currency, rounded once by one rule.

The engine works in float64; whatever leaves it is quantized here, ROUND_HALF_UP to the
currency's minor unit. Amounts of different currencies are never added.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# ISO 4217 minor units of the currencies the book may hold. IRR amounts are whole rials.
MINOR_UNITS: dict[str, int] = {"RUB": 2, "IRR": 0, "USD": 2, "EUR": 2, "KZT": 2, "AED": 2}

ZERO = Decimal("0")
CENT = Decimal("0.01")


class CurrencyError(ValueError):
    pass


class CurrencyMismatch(CurrencyError):
    pass


def currency_check(currency: str) -> str:
    code = (currency or "").strip().upper()
    if code not in MINOR_UNITS:
        raise CurrencyError(f"unknown currency {currency!r}; known: {', '.join(sorted(MINOR_UNITS))}")
    return code


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-MINOR_UNITS[currency_check(currency)])


def to_decimal(value) -> Decimal:
    """A Decimal from an int, str, Decimal or float (floats through repr, never binary)."""
    if isinstance(value, Decimal):
        return value
    if hasattr(value, "item") and not isinstance(value, (int, str)):
        value = value.item()  # numpy scalars: their repr is "np.float64(…)" under numpy 2
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise InvalidOperation(f"not a finite amount: {value!r}")
        return Decimal(repr(value))
    return Decimal(value)


def money_round(value, currency: str) -> Decimal:
    """The one rounding rule: half-up to the currency's minor unit. A zero result is always
    positive zero: a float sum's −2.8e-17 (or −0.0, or 0 × −1) never shows as "-0.00"."""
    rounded = to_decimal(value).quantize(quantum(currency), rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if rounded.is_zero() else rounded


def money_sum(amounts, currencies) -> Decimal:
    """Sum amounts that must all be in one currency; mixing raises."""
    seen = {c for c in currencies}
    if len(seen) > 1:
        raise CurrencyMismatch(f"cannot add amounts in {', '.join(sorted(seen))}")
    return sum((to_decimal(a) for a in amounts), ZERO)
