"""Diyeh indexation rule (domain.md §1), pure: what the insurer owes on a claim awarded a
share of a full diyeh, given the policy year's and the payment-day year's amounts."""
from __future__ import annotations

from decimal import Decimal

from core.money import ZERO, money_round

DIYEH_CURRENCY = "IRR"


def diyeh_target_estimate(
    *, awarded_share: Decimal, policy_year_amount: Decimal, new_amount: Decimal, endorsed: bool, paid: Decimal
) -> Decimal:
    """The insurer's indemnity case estimate. Courts award at the payment day's diyeh; with
    the diyeh-increase endorsement the insurer pays all of it, without it its part stops at
    the policy year's amount (the rest is the insured's). Less what is already paid, never
    below zero."""
    amount = new_amount if endorsed else min(new_amount, policy_year_amount)
    return max(money_round(awarded_share * amount, DIYEH_CURRENCY) - paid, ZERO)
