"""Reads of the official rates: the rate a report converts at, never a silent 1.0."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings

from core.errors import DomainError
from core.money import money_round
from fx.models import OfficialRate


class RateMissing(DomainError):
    """No official rate for a currency on a date: the report that needs it cannot be made."""

    def __init__(self, currency: str, on: date, reporting: str, max_age: int):
        since = on - timedelta(days=max_age)
        super().__init__(
            f"no official {currency} rate to {reporting} on {on} (none dated {since} to {on}); "
            f"enter it under Exchange rates or in the book's fx_rates.csv",
            field="currency", code="rate_missing")
        self.currency, self.on = currency, on


@dataclass(frozen=True)
class Rate:
    """The rate used for `currency` on `on`: `rate_date` is the fixing it comes from (the
    latest on or before `on`); for the reporting currency itself, 1 and no fixing."""

    currency: str
    reporting_currency: str
    on: date
    rate: Decimal
    rate_date: date | None
    source: str

    def convert(self, amount) -> Decimal:
        """`amount` in the reporting currency, rounded once to its minor unit."""
        return money_round(Decimal(amount) * self.rate, self.reporting_currency)

    def describe(self) -> str:
        if self.rate_date is None:
            return f"{self.currency} is the reporting currency"
        return (f"1 {self.currency} = {format(self.rate.normalize(), 'f')} {self.reporting_currency}, "
                f"official rate of {self.rate_date}" + (f" ({self.source})" if self.source else ""))


def reporting_currency() -> str:
    return settings.REPORTING_CURRENCY


def rate_on(currency: str, on: date) -> Rate:
    """The official rate of `currency` for a report dated `on`: the latest fixing dated on or
    before `on`, at most FX_RATE_MAX_AGE_DAYS earlier. RateMissing otherwise."""
    reporting = reporting_currency()
    if currency == reporting:
        return Rate(currency, reporting, on, Decimal(1), None, "")
    max_age = settings.FX_RATE_MAX_AGE_DAYS
    row = (OfficialRate.objects.filter(currency=currency, rate_date__lte=on,
                                       rate_date__gte=on - timedelta(days=max_age))
           .order_by("-rate_date").values("rate", "rate_date", "source").first())
    if row is None:
        raise RateMissing(currency, on, reporting, max_age)
    return Rate(currency, reporting, on, row["rate"], row["rate_date"], row["source"])


def rates_by_key() -> dict[tuple[str, date], Decimal]:
    return {(c, d): r for c, d, r in OfficialRate.objects.values_list("currency", "rate_date", "rate")}


def rates_for_export():
    return OfficialRate.objects.order_by("rate_date", "currency").values("rate_date", "currency", "rate",
                                                                           "source").iterator()
