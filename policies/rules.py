"""Pure rules of a policy and its premium: field checks and return premium on cancellation.

No database access: the services and the bulk CSV import both call these, so no rule is
written twice. Each check raises core.errors.DomainError naming the offending field.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Iterable

from core.errors import DomainError
from core.money import ZERO, CurrencyError, currency_check, money_round, to_decimal

BASES = ("occurrence", "claims_made")
RISK_GROUPS = range(1, 5)


class PolicyRuleError(DomainError):
    """A policy's fields or premium break a rule."""


def _fmt(amount) -> str:
    return f"{to_decimal(amount):,.2f}"


def currency_valid(currency: str) -> str:
    """The normalised ISO code, or a DomainError on the currency field."""
    try:
        return currency_check(currency)
    except CurrencyError as exc:
        raise PolicyRuleError(str(exc), field="currency") from exc


def display_status(status: str, expiry_date: date, today: date) -> str:
    """The status a policy is shown and filtered with: "cancelled" if cancelled, "expired" if
    its expiry date is before `today`, else "in force". Computed, never stored (the stored
    status only records a cancellation)."""
    if status == "cancelled":
        return "cancelled"
    return "expired" if expiry_date < today else "in_force"


def cover_window_check(inception_date: date, expiry_date: date) -> None:
    if expiry_date < inception_date:
        raise PolicyRuleError(
            f"expiry date {expiry_date} is before the inception date {inception_date}", field="expiry_date"
        )


def basis_check(basis: str, retro_date: date | None, inception_date: date) -> None:
    if basis not in BASES:
        raise PolicyRuleError(f"unknown basis {basis!r}; known: {', '.join(BASES)}", field="basis")
    if basis == "claims_made":
        if retro_date is None:
            raise PolicyRuleError("claims-made cover needs a retro date", field="retro_date")
        if retro_date > inception_date:
            raise PolicyRuleError(
                f"retro date {retro_date} is after the inception date {inception_date}", field="retro_date"
            )


def original_premium_check(gross_premium, commission) -> None:
    gross, comm = to_decimal(gross_premium), to_decimal(commission)
    if gross < ZERO:
        raise PolicyRuleError(f"original premium {_fmt(gross)} is negative", field="gross_premium")
    if comm < ZERO:
        raise PolicyRuleError(
            f"commission {_fmt(comm)} on an original premium must not be negative", field="commission"
        )


def premium_signs_check(gross_premium, commission) -> None:
    """Premium and commission of one transaction carry the same sign (negative for a return)."""
    gross, comm = to_decimal(gross_premium), to_decimal(commission)
    if (gross > ZERO and comm < ZERO) or (gross < ZERO and comm > ZERO):
        raise PolicyRuleError(
            f"commission {_fmt(comm)} and premium {_fmt(gross)} must have the same sign", field="commission"
        )


def limits_check(limit_per_claim, aggregate_limit) -> None:
    for field, value in (("limit_per_claim", limit_per_claim), ("aggregate_limit", aggregate_limit)):
        if value is not None and to_decimal(value) <= ZERO:
            raise PolicyRuleError(f"{field.replace('_', ' ')} {_fmt(value)} must be positive", field=field)


def deductible_check(deductible_amount, deductible_percent) -> None:
    if deductible_amount is not None and to_decimal(deductible_amount) < ZERO:
        raise PolicyRuleError(
            f"deductible amount {_fmt(deductible_amount)} is negative", field="deductible_amount"
        )
    if deductible_percent is not None and not ZERO <= to_decimal(deductible_percent) <= Decimal(100):
        raise PolicyRuleError(
            f"deductible percent {deductible_percent} is outside 0–100", field="deductible_percent"
        )


def risk_group_check(risk_group) -> None:
    if risk_group is not None and risk_group not in RISK_GROUPS:
        raise PolicyRuleError(f"risk group {risk_group} is outside 1–4", field="risk_group")


def policy_fields_check(
    *,
    basis: str,
    retro_date: date | None,
    currency: str,
    inception_date: date,
    expiry_date: date,
    limit_per_claim=None,
    aggregate_limit=None,
    deductible_amount=None,
    deductible_percent=None,
    risk_group=None,
) -> str:
    """All master-data checks of a policy; returns the normalised currency code."""
    code = currency_valid(currency)
    cover_window_check(inception_date, expiry_date)
    basis_check(basis, retro_date, inception_date)
    limits_check(limit_per_claim, aggregate_limit)
    deductible_check(deductible_amount, deductible_percent)
    risk_group_check(risk_group)
    return code


def effective_date_check(effective_date: date, inception_date: date, expiry_date: date) -> None:
    if not inception_date <= effective_date <= expiry_date:
        raise PolicyRuleError(
            f"effective date {effective_date} is outside the cover window {inception_date}..{expiry_date}",
            field="effective_date",
        )


def window_days(start: date, end: date) -> int:
    """Days of a window, both ends inclusive."""
    return (end - start).days + 1


def unearned_fraction(window_start: date, expiry_date: date, effective_date: date) -> Decimal:
    """Share of a premium earning over window_start..expiry that lies from effective_date to
    expiry (both inclusive): what a pro-rata cancellation on effective_date gives back."""
    total = window_days(window_start, expiry_date)
    if effective_date <= window_start:
        return Decimal(1)
    if effective_date > expiry_date:
        return ZERO
    return Decimal(window_days(effective_date, expiry_date)) / Decimal(total)


@dataclass(frozen=True)
class PremiumWindow:
    """A premium ledger row as the return computation needs it."""

    effective_date: date
    gross_premium: Decimal
    commission: Decimal


@dataclass(frozen=True)
class ReturnPremium:
    """Positive amounts given back; the cancellation row carries them negated."""

    gross_premium: Decimal
    commission: Decimal
    pro_rata_gross: Decimal


def return_premium(
    *,
    rows: Iterable[PremiumWindow],
    expiry_date: date,
    effective_date: date,
    currency: str,
    method: str = "pro_rata",
    return_gross=None,
    short_rate_retention=None,
) -> ReturnPremium:
    """Premium returned on cancelling at effective_date.

    Pro rata: each in-force row gives back its premium × days from the effective date to expiry
    / days of its own window (an endorsement earns from its own effective date). Short rate:
    the insurer keeps a penalty, so the actual return is either `return_gross` (explicit) or
    the pro-rata return × (1 − short_rate_retention). Commission is returned in the same
    proportion as the gross premium.
    """
    gross_back, comm_back = ZERO, ZERO
    for row in rows:
        frac = unearned_fraction(row.effective_date, expiry_date, effective_date)
        gross_back += to_decimal(row.gross_premium) * frac
        comm_back += to_decimal(row.commission) * frac
    pro_rata_gross = money_round(gross_back, currency)
    pro_rata_comm = money_round(comm_back, currency)
    if method == "pro_rata":
        if return_gross is not None or short_rate_retention is not None:
            raise PolicyRuleError(
                "a pro-rata return is computed; give return_gross or a retention only with short rate",
                field="method",
            )
        return ReturnPremium(pro_rata_gross, pro_rata_comm, pro_rata_gross)
    if method != "short_rate":
        raise PolicyRuleError(f"unknown cancellation method {method!r}; known: pro_rata, short_rate", field="method")
    if (return_gross is None) == (short_rate_retention is None):
        raise PolicyRuleError(
            "short-rate cancellation needs exactly one of return_gross or short_rate_retention",
            field="return_gross",
        )
    if short_rate_retention is not None:
        retention = to_decimal(short_rate_retention)
        if not ZERO <= retention <= Decimal(1):
            raise PolicyRuleError(
                f"short-rate retention {retention} is outside 0–1 (0.1 = insurer keeps 10%)",
                field="short_rate_retention",
            )
        actual = money_round(pro_rata_gross * (Decimal(1) - retention), currency)
    else:
        actual = money_round(return_gross, currency)
        if actual < ZERO:
            raise PolicyRuleError(f"return premium {_fmt(actual)} is negative", field="return_gross")
        if actual > pro_rata_gross:
            raise PolicyRuleError(
                f"short-rate return {_fmt(actual)} exceeds the pro-rata return {_fmt(pro_rata_gross)}",
                field="return_gross",
            )
    commission = money_round(pro_rata_comm * actual / pro_rata_gross, currency) if pro_rata_gross else ZERO
    return ReturnPremium(actual, commission, pro_rata_gross)
