"""The plain-value view of an approved run that every export is written from."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pandas as pd

RESERVE_TYPES = ("upr", "premium_deficiency", "rbns", "ibnr", "ulae")


@dataclass(frozen=True)
class SegmentReserves:
    segment: str
    currency: str
    accounting_group: str
    upr: Decimal
    premium_deficiency: Decimal
    rbns: Decimal
    ibnr: Decimal
    ulae: Decimal
    earned_premium: Decimal | None = None
    ibnr_method: str = ""
    converted_from: str = ""  # the run's own currency when the amounts were converted (0420155)
    # the reinsurers' share of each reserve (issue 17 §3; net = gross − ceded)
    ceded_upr: Decimal = Decimal("0")
    ceded_premium_deficiency: Decimal = Decimal("0")
    ceded_rbns: Decimal = Decimal("0")
    ceded_ibnr: Decimal = Decimal("0")
    ceded_ulae: Decimal = Decimal("0")

    def ceded(self, reserve_type: str) -> Decimal:
        return getattr(self, f"ceded_{reserve_type}")

    def amount(self, reserve_type: str) -> Decimal:
        return getattr(self, reserve_type)

    @property
    def total(self) -> Decimal:
        return sum((self.amount(t) for t in RESERVE_TYPES), Decimal("0"))


@dataclass(frozen=True)
class SegmentTriangles:
    """Quarterly triangles of one segment and currency: index = accident quarter label
    (2024Q3), columns = development age in months (3, 6, …), cumulative values as at each
    quarter end; NaN where the quarter end is after the valuation date."""

    segment: str
    currency: str
    paid: pd.DataFrame
    case: pd.DataFrame
    ibnr_by_origin: dict[str, float] = field(default_factory=dict)
    # the reinsurers' share of the paid and of the case reserves, same shape (empty: none)
    ceded_paid: pd.DataFrame = field(default_factory=pd.DataFrame)
    ceded_case: pd.DataFrame = field(default_factory=pd.DataFrame)
    ceded_ibnr_by_origin: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportData:
    run_id: int
    valuation_date: date
    regime: str
    input_fingerprint: str
    reserves: list[SegmentReserves]
    triangles: list[SegmentTriangles]
    # Approved year-end runs of earlier years, for the "end of last year" columns.
    history: dict[date, list[SegmentReserves]] = field(default_factory=dict)
    # Reserve balances of the previous approved run (the opening balance of GL postings).
    opening: list[SegmentReserves] = field(default_factory=list)
    opening_date: date | None = None
    ulae_reported_with_rbns: bool = False
    group_names: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (ru, en)
    # The currency the report is in; rows in other currencies are left out unless converted
    # (reporting.selectors.report_data_converted), and rates_used says at which rates.
    reporting_currency: str = "RUB"
    rates_used: tuple[str, ...] = ()

    def currencies(self) -> list[str]:
        return sorted({r.currency for r in self.reserves})
