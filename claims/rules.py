"""Pure rules of a claim and its ledger (design.md §4): cover dates, the insurer's share of a
loss, and an in-memory ledger state machine that takes rows one at a time and refuses the
ones that break a rule.

No database access: the services replay a claim's rows through ClaimLedgerState before
writing, and the bulk CSV import replays whole files through the same classes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from core.errors import DomainError
from core.money import ZERO, to_decimal

COST_TYPES = ("indemnity", "expense")
AMOUNT_KINDS = ("reserve", "payment", "recovery")
STATUS_KINDS = ("close", "reopen")
KINDS = AMOUNT_KINDS + STATUS_KINDS + ("reversal",)


def _fmt(amount) -> str:
    return f"{to_decimal(amount):,.2f}"


class ClaimRuleError(DomainError):
    """A claim or claim-ledger row breaks a rule."""


class ClaimDatesOutsideCover(ClaimRuleError):
    pass


class PostingBeforeReport(ClaimRuleError):
    pass


class PaymentExceedsReserve(ClaimRuleError):
    pass


class LimitExceeded(ClaimRuleError):
    pass


class RecoveryExceedsPaid(ClaimRuleError):
    pass


class ReversalRefused(ClaimRuleError):
    pass


class ClaimStatusRefused(ClaimRuleError):
    pass


def claim_dates_check(policy_basis, inception, expiry, retro_date, occurrence_date, report_date) -> None:
    """Occurrence cover: harm inside the cover window. Claims-made cover: harm on or after the
    retro date and the claim reported inside the window. Always: report on or after occurrence."""
    if report_date < occurrence_date:
        raise ClaimDatesOutsideCover(
            f"report date {report_date} is before the occurrence date {occurrence_date}", field="report_date"
        )
    if policy_basis == "claims_made":
        if retro_date is not None and occurrence_date < retro_date:
            raise ClaimDatesOutsideCover(
                f"occurrence date {occurrence_date} is before the retro date {retro_date} of claims-made cover",
                field="occurrence_date",
            )
        if not inception <= report_date <= expiry:
            raise ClaimDatesOutsideCover(
                f"report date {report_date} is outside the cover window {inception}..{expiry} of claims-made cover",
                field="report_date",
            )
    else:
        if not inception <= occurrence_date <= expiry:
            raise ClaimDatesOutsideCover(
                f"occurrence date {occurrence_date} is outside the cover window {inception}..{expiry}",
                field="occurrence_date",
            )


def deductible_of(loss, deductible_amount=None, deductible_percent=None) -> Decimal:
    """The deductible of one loss: the larger of the amount and the percentage when both are set."""
    loss = to_decimal(loss)
    by_amount = to_decimal(deductible_amount) if deductible_amount is not None else ZERO
    by_percent = loss * to_decimal(deductible_percent) / Decimal(100) if deductible_percent is not None else ZERO
    return max(by_amount, by_percent)


def insurer_share(loss, deductible_amount=None, deductible_percent=None, remaining_limit=None) -> Decimal:
    """min(max(loss − deductible, 0), remaining limit); remaining_limit None means unlimited.
    Not rounded: the caller quantizes in the policy's currency."""
    loss = to_decimal(loss)
    if loss < ZERO:
        raise ClaimRuleError(f"loss {_fmt(loss)} is negative", field="loss_amount")
    share = max(loss - deductible_of(loss, deductible_amount, deductible_percent), ZERO)
    if remaining_limit is not None:
        share = min(share, max(to_decimal(remaining_limit), ZERO))
    return share


@dataclass
class LedgerRow:
    """One claim-ledger row as the rules see it. `reverses` is the reversed row's transaction_id."""

    transaction_id: str
    kind: str
    accounting_date: date
    cost_type: str = ""
    amount: Decimal | None = None
    reverses: str | None = None
    derived: bool = False
    topup: bool = False


@dataclass
class _Applied:
    kind: str
    cost_type: str
    amount: Decimal | None
    accounting_date: date
    derived: bool
    reversed: bool = False


@dataclass
class PolicyLimitState:
    """Limit usage of one policy across its claims. Indemnity payments use the per-claim and
    aggregate limits; expense payments only when expenses are within limits; recoveries never
    give a used limit back. `aggregate_used` may start from other claims' usage."""

    limit_per_claim: Decimal | None = None
    aggregate_limit: Decimal | None = None
    expenses_within_limits: bool = False
    aggregate_used: Decimal = ZERO
    per_claim_used: dict[str, Decimal] = field(default_factory=dict)

    def counts(self, cost_type: str) -> bool:
        return cost_type == "indemnity" or (cost_type == "expense" and self.expenses_within_limits)

    def used(self, claim_number: str) -> Decimal:
        return self.per_claim_used.get(claim_number, ZERO)

    def remaining(self, claim_number: str) -> Decimal | None:
        """min(per-claim remaining, aggregate remaining); None when the policy has no limit."""
        left = []
        if self.limit_per_claim is not None:
            left.append(to_decimal(self.limit_per_claim) - self.used(claim_number))
        if self.aggregate_limit is not None:
            left.append(to_decimal(self.aggregate_limit) - self.aggregate_used)
        return max(min(left), ZERO) if left else None

    def check(self, claim_number: str, cost_type: str, amount: Decimal) -> None:
        if not self.counts(cost_type) or amount <= ZERO:
            return
        if self.limit_per_claim is not None and self.used(claim_number) + amount > self.limit_per_claim:
            raise LimitExceeded(
                f"{cost_type} payment {_fmt(amount)} on claim {claim_number} would exceed the per-claim limit "
                f"{_fmt(self.limit_per_claim)} (already used {_fmt(self.used(claim_number))})",
                field="amount",
            )
        if self.aggregate_limit is not None and self.aggregate_used + amount > self.aggregate_limit:
            raise LimitExceeded(
                f"{cost_type} payment {_fmt(amount)} on claim {claim_number} would exceed the policy's remaining "
                f"aggregate limit {_fmt(self.aggregate_limit - self.aggregate_used)} "
                f"(aggregate {_fmt(self.aggregate_limit)})",
                field="amount",
            )

    def use(self, claim_number: str, cost_type: str, amount: Decimal) -> None:
        """Record usage; a negative amount (a reversed payment) gives the limit back."""
        if self.counts(cost_type):
            self.per_claim_used[claim_number] = self.used(claim_number) + amount
            self.aggregate_used += amount


class ClaimLedgerState:
    """A claim's ledger replayed in memory. `apply(row)` refuses a row that breaks a rule and
    otherwise updates outstanding, paid and limit usage. Rows must come in the order they are
    booked (accounting date, then entry order)."""

    def __init__(
        self,
        *,
        claim_number: str,
        report_date: date,
        limits: PolicyLimitState | None = None,
        status: str = "open",
    ):
        self.claim_number = claim_number
        self.report_date = report_date
        self.limits = limits if limits is not None else PolicyLimitState()
        self.status = status
        self.reserved = {c: ZERO for c in COST_TYPES}
        self.payments = {c: ZERO for c in COST_TYPES}
        self.recoveries = {c: ZERO for c in COST_TYPES}
        self.rows: dict[str, _Applied] = {}

    # --- figures -----------------------------------------------------------------------
    def outstanding(self, cost_type: str) -> Decimal:
        return max(self.reserved[cost_type] - self.payments[cost_type], ZERO)

    def paid(self, cost_type: str) -> Decimal:
        return self.payments[cost_type] - self.recoveries[cost_type]

    @property
    def incurred(self) -> Decimal:
        return sum((self.paid(c) + self.outstanding(c) for c in COST_TYPES), ZERO)

    def close_changes(self) -> dict[str, Decimal]:
        """The derived reserve changes a close posts: each cost type's outstanding to zero."""
        return {c: -self.outstanding(c) for c in COST_TYPES if self.outstanding(c) != ZERO}

    # --- the rules ---------------------------------------------------------------------
    def apply(self, row: LedgerRow) -> None:
        if row.kind not in KINDS:
            raise ClaimRuleError(f"unknown claim transaction kind {row.kind!r}", field="kind")
        if row.transaction_id in self.rows:
            raise ClaimRuleError(f"transaction id {row.transaction_id} is used twice", field="transaction_id")
        if row.accounting_date < self.report_date:
            raise PostingBeforeReport(
                f"{row.kind} dated {row.accounting_date} is before the report date {self.report_date} "
                f"of claim {self.claim_number}",
                field="accounting_date",
            )
        if row.kind == "reversal":
            self._apply_reversal(row)
            return
        if row.kind in STATUS_KINDS:
            self._apply_status(row)
            return
        cost_type, amount = self._amount_row_check(row)
        if row.kind == "reserve":
            self._reserve(cost_type, amount)
        elif row.kind == "payment":
            self._payment(cost_type, amount)
        else:
            self._recovery(cost_type, amount)
        self.rows[row.transaction_id] = _Applied(row.kind, cost_type, amount, row.accounting_date, row.derived)

    def _amount_row_check(self, row: LedgerRow) -> tuple[str, Decimal]:
        if row.cost_type not in COST_TYPES:
            raise ClaimRuleError(
                f"{row.kind} needs a cost type (indemnity or expense), got {row.cost_type!r}", field="cost_type"
            )
        if row.amount is None:
            raise ClaimRuleError(f"{row.kind} needs an amount", field="amount")
        amount = to_decimal(row.amount)
        if row.kind != "reserve" and amount <= ZERO:
            raise ClaimRuleError(f"{row.kind} amount {_fmt(amount)} must be positive", field="amount")
        if row.kind in ("reserve", "payment") and self.status == "closed":
            raise ClaimStatusRefused(
                f"claim {self.claim_number} is closed; reopen it before posting a {row.kind}", field="kind"
            )
        return row.cost_type, amount

    def _reserve(self, cost_type: str, change: Decimal) -> None:
        if self.reserved[cost_type] - self.payments[cost_type] + change < ZERO:
            raise ClaimRuleError(
                f"reserve change {_fmt(change)} would take the outstanding {cost_type} estimate "
                f"{_fmt(self.outstanding(cost_type))} of claim {self.claim_number} below zero",
                field="amount",
            )
        self.reserved[cost_type] += change

    def _payment(self, cost_type: str, amount: Decimal) -> None:
        if amount > self.outstanding(cost_type):
            raise PaymentExceedsReserve(
                f"payment {_fmt(amount)} exceeds the outstanding {cost_type} estimate "
                f"{_fmt(self.outstanding(cost_type))} of claim {self.claim_number}; raise the reserve first",
                field="amount",
            )
        self.limits.check(self.claim_number, cost_type, amount)
        self.payments[cost_type] += amount
        self.limits.use(self.claim_number, cost_type, amount)

    def _recovery(self, cost_type: str, amount: Decimal) -> None:
        if amount > self.paid(cost_type):
            raise RecoveryExceedsPaid(
                f"recovery {_fmt(amount)} exceeds the {cost_type} paid {_fmt(self.paid(cost_type))} "
                f"on claim {self.claim_number}",
                field="amount",
            )
        self.recoveries[cost_type] += amount

    def _apply_status(self, row: LedgerRow) -> None:
        if row.kind == "close":
            if self.status == "closed":
                raise ClaimStatusRefused(f"claim {self.claim_number} is already closed", field="kind")
            left = {c: v for c, v in self.close_changes().items()}
            if left:
                raise ClaimStatusRefused(
                    f"claim {self.claim_number} still has an outstanding estimate "
                    + ", ".join(f"{c} {_fmt(-v)}" for c, v in left.items())
                    + "; the close must take it to zero first",
                    field="kind",
                )
            self.status = "closed"
        else:
            if self.status != "closed":
                raise ClaimStatusRefused(f"claim {self.claim_number} is open; only a closed claim reopens", field="kind")
            self.status = "open"
        self.rows[row.transaction_id] = _Applied(row.kind, "", None, row.accounting_date, False)

    def _apply_reversal(self, row: LedgerRow) -> None:
        target = self.rows.get(row.reverses or "")
        if target is None:
            raise ReversalRefused(
                f"reversal {row.transaction_id} names {row.reverses!r}, not an earlier row of claim {self.claim_number}",
                field="reverses",
            )
        if target.reversed:
            raise ReversalRefused(f"row {row.reverses} is already reversed", field="reverses")
        if target.kind == "reversal":
            raise ReversalRefused(f"row {row.reverses} is itself a reversal; post the row again instead", field="reverses")
        if target.kind in STATUS_KINDS or target.derived:
            what = "a system reserve change of a close" if target.derived else f"a {target.kind}"
            raise ReversalRefused(
                f"row {row.reverses} is {what} and cannot be reversed; reopen the claim instead", field="reverses"
            )
        if row.accounting_date < target.accounting_date:
            raise ReversalRefused(
                f"reversal dated {row.accounting_date} is before the row it reverses ({target.accounting_date})",
                field="accounting_date",
            )
        if target.kind in ("reserve", "payment") and self.status == "closed":
            raise ClaimStatusRefused(
                f"claim {self.claim_number} is closed; reopen it before reversing {target.kind} {row.reverses}",
                field="reverses",
            )
        cost_type, amount = target.cost_type, target.amount
        if row.amount is not None and to_decimal(row.amount) != -amount:
            raise ReversalRefused(
                f"reversal amount {_fmt(row.amount)} is not the negated amount {_fmt(-amount)} of row {row.reverses}",
                field="amount",
            )
        if target.kind == "reserve":
            self._reserve(cost_type, -amount)
        elif target.kind == "payment":
            if amount > self.paid(cost_type):
                raise ReversalRefused(
                    f"reversing payment {row.reverses} ({_fmt(amount)}) would leave {cost_type} paid of claim "
                    f"{self.claim_number} below zero; reverse the recoveries first",
                    field="reverses",
                )
            self.payments[cost_type] -= amount
            self.limits.use(self.claim_number, cost_type, -amount)
        else:
            self.recoveries[cost_type] -= amount
        target.reversed = True
        self.rows[row.transaction_id] = _Applied("reversal", cost_type, -amount, row.accounting_date, False)
