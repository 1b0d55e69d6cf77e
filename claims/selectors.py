"""Reads of claims and the claim ledger: outstanding, paid and incurred (design.md §4),
limit usage and running balances. Totals are aggregated in the database."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Case, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When, Window
from django.db.models.functions import Coalesce, Greatest

from claims.models import Claim, ClaimTransaction, HandlerAuthority, PendingClaimChange
from claims.rules import COST_TYPES, ClaimLedgerState, LedgerRow, PolicyLimitState, insurer_share
from core.money import ZERO, money_round
from policies.models import Policy

_MONEY = DecimalField(max_digits=18, decimal_places=2)
_ZERO = Value(ZERO, output_field=_MONEY)
Kind = ClaimTransaction.EffectKind


def ledger_rows(*, claim: Claim | None = None, as_of: date | None = None, cut_off: datetime | None = None) -> QuerySet:
    """Claim rows booked by accounting date `as_of` and known by `cut_off`."""
    rows = ClaimTransaction.objects.all()
    if claim is not None:
        rows = rows.filter(claim=claim)
    if as_of is not None:
        rows = rows.filter(accounting_date__lte=as_of)
    if cut_off is not None:
        rows = rows.filter(recorded_at__lte=cut_off)
    return rows


def _sum(effect: str, cost_type: str | None = None, prefix: str = "") -> Coalesce:
    condition = Q(**{f"{prefix}effect_kind": effect})
    if cost_type:
        condition &= Q(**{f"{prefix}cost_type": cost_type})
    return Coalesce(Sum(f"{prefix}amount", filter=condition), _ZERO, output_field=_MONEY)


@dataclass(frozen=True)
class LedgerTotals:
    outstanding: dict[str, Decimal]
    paid: dict[str, Decimal]

    @property
    def total_outstanding(self) -> Decimal:
        return sum(self.outstanding.values(), ZERO)

    @property
    def total_paid(self) -> Decimal:
        return sum(self.paid.values(), ZERO)

    @property
    def incurred(self) -> Decimal:
        return self.total_paid + self.total_outstanding

    def incurred_of(self, cost_type: str) -> Decimal:
        return self.paid[cost_type] + self.outstanding[cost_type]


def claim_ledger_totals(claim: Claim, as_of: date | None = None, cut_off: datetime | None = None) -> LedgerTotals:
    """Outstanding (never below zero) and paid per cost type; incurred = paid + outstanding."""
    sums = {}
    for c in COST_TYPES:
        sums[f"reserve_{c}"] = _sum(Kind.RESERVE, c)
        sums[f"payment_{c}"] = _sum(Kind.PAYMENT, c)
        sums[f"recovery_{c}"] = _sum(Kind.RECOVERY, c)
    t = ledger_rows(claim=claim, as_of=as_of, cut_off=cut_off).aggregate(**sums)
    return LedgerTotals(
        outstanding={c: max(t[f"reserve_{c}"] - t[f"payment_{c}"], ZERO) for c in COST_TYPES},
        paid={c: t[f"payment_{c}"] - t[f"recovery_{c}"] for c in COST_TYPES},
    )


def claim_transactions_with_balances(queryset: QuerySet | None = None) -> QuerySet:
    """Ledger rows annotated, per claim in booking order (accounting date, then entry), with
    running_outstanding, running_paid and running_incurred — window sums in the database, so
    an admin inline or an API list can show them without a query per row."""
    queryset = queryset if queryset is not None else ClaimTransaction.objects.all()
    amount = Coalesce(F("amount"), _ZERO, output_field=_MONEY)

    def signed(**by_effect) -> Case:
        return Case(
            *[When(effect_kind=k, then=amount * Value(s)) for k, s in by_effect.items()],
            default=_ZERO, output_field=_MONEY,
        )

    def running(expr) -> Window:
        return Window(Sum(expr), partition_by=[F("claim_id")], order_by=[F("accounting_date").asc(), F("id").asc()],
                      output_field=_MONEY)

    annotations = {}
    for c in COST_TYPES:
        in_type = lambda e, c=c: Case(When(cost_type=c, then=e), default=_ZERO, output_field=_MONEY)  # noqa: E731
        annotations[f"running_outstanding_{c}"] = running(in_type(signed(reserve=1, payment=-1)))
    annotations["running_paid"] = running(signed(payment=1, recovery=-1))
    return (
        queryset.annotate(**annotations)
        .annotate(running_outstanding=F("running_outstanding_indemnity") + F("running_outstanding_expense"))
        .annotate(running_incurred=F("running_paid") + F("running_outstanding"))
        .order_by("claim_id", "accounting_date", "id")
    )


def claim_ledger_with_balances(claim: Claim) -> list[ClaimTransaction]:
    return list(claim_transactions_with_balances(ClaimTransaction.objects.filter(claim=claim)))


@dataclass(frozen=True)
class LimitUsage:
    limit_per_claim: Decimal | None
    aggregate_limit: Decimal | None
    expenses_within_limits: bool
    aggregate_used: Decimal
    per_claim_used: dict[str, Decimal] = field(default_factory=dict)

    @property
    def aggregate_remaining(self) -> Decimal | None:
        return None if self.aggregate_limit is None else max(self.aggregate_limit - self.aggregate_used, ZERO)

    def remaining_for(self, claim_number: str) -> Decimal | None:
        return self.state().remaining(claim_number)

    def state(self) -> PolicyLimitState:
        return PolicyLimitState(
            limit_per_claim=self.limit_per_claim, aggregate_limit=self.aggregate_limit,
            expenses_within_limits=self.expenses_within_limits, aggregate_used=self.aggregate_used,
            per_claim_used=dict(self.per_claim_used),
        )


def policy_limit_usage(policy: Policy, exclude_claim: Claim | None = None,
                       expenses_within_limits: bool | None = None) -> LimitUsage:
    """Limit used by payments per claim and in aggregate (reversed payments give it back,
    recoveries do not). `exclude_claim` leaves one claim out, for replaying it;
    `expenses_within_limits` overrides the policy's flag (a cover change being checked)."""
    within = policy.expenses_within_limits if expenses_within_limits is None else expenses_within_limits
    counted = list(COST_TYPES) if within else ["indemnity"]
    rows = ClaimTransaction.objects.filter(claim__policy=policy, effect_kind=Kind.PAYMENT, cost_type__in=counted)
    if exclude_claim is not None:
        rows = rows.exclude(claim=exclude_claim)
    per_claim = dict(rows.values("claim__claim_number").annotate(used=Sum("amount")).values_list("claim__claim_number", "used"))
    return LimitUsage(
        limit_per_claim=policy.limit_per_claim, aggregate_limit=policy.aggregate_limit,
        expenses_within_limits=within,
        aggregate_used=sum(per_claim.values(), ZERO), per_claim_used=per_claim,
    )


@dataclass(frozen=True)
class SettlementFigures:
    """A settlement on the whole agreed loss (D-5): the insurer's `share` of it, the indemnity
    `paid_before` on this claim, and `to_pay` = max(share − paid_before, 0)."""

    share: Decimal
    paid_before: Decimal
    to_pay: Decimal


def settlement_share(claim: Claim, loss, state: ClaimLedgerState | None = None) -> SettlementFigures:
    """What a settlement on the whole agreed `loss` pays now. share = min(max(loss − deductible,
    0), per-claim limit, aggregate limit − limit used by the policy's other claims), rounded to
    the currency; when expenses count within the limits, this claim's expense payments use
    both limits too. paid_before = indemnity paid on this claim (recoveries do not reduce it,
    reversed payments do); to_pay = max(share − paid_before, 0). Shared by claim_settle and
    the admin's preview."""
    state = state if state is not None else claim_ledger_state(claim)
    policy, limits, number = claim.policy, state.limits, claim.claim_number
    expense_here = state.payments["expense"] if limits.expenses_within_limits else ZERO
    caps = []
    if limits.limit_per_claim is not None:
        caps.append(limits.limit_per_claim - expense_here)
    if limits.aggregate_limit is not None:
        used_by_others = limits.aggregate_used - limits.used(number)
        caps.append(limits.aggregate_limit - used_by_others - expense_here)
    cap = max(min(caps), ZERO) if caps else None
    share = money_round(insurer_share(loss, policy.deductible_amount, policy.deductible_percent, cap), policy.currency)
    paid_before = money_round(state.payments["indemnity"], policy.currency)
    to_pay = money_round(max(share - paid_before, ZERO), policy.currency)
    return SettlementFigures(share=share, paid_before=paid_before, to_pay=to_pay)


@dataclass(frozen=True)
class BookedLedger:
    """A claim's booked rows as the rules see them and the limit its policy's other claims used,
    from one read of the policy's ledger rows (a posting replays them under its lock)."""

    rows: list[LedgerRow]
    usage: LimitUsage

    def state(self, claim: Claim, new_rows=()) -> ClaimLedgerState:
        state = ClaimLedgerState(claim_number=claim.claim_number, report_date=claim.report_date,
                                 limits=self.usage.state())
        # sorted() is stable: booked rows keep their order and precede new rows of the same date.
        for row in sorted([*self.rows, *new_rows], key=lambda r: r.accounting_date):
            state.apply(row)
        return state


def claim_booked_ledger(claim: Claim) -> BookedLedger:
    """The claim's rows in booking order and the payments of the policy's other claims that
    count against its limits (reversed payments give limit back, recoveries do not), in one
    query over the policy's rows."""
    policy = claim.policy
    counted = set(COST_TYPES) if policy.expenses_within_limits else {"indemnity"}
    own, per_claim = [], {}
    for (claim_id, number, tid, kind, effect, day, cost_type, amount, reverses, derived, topup) in (
        ClaimTransaction.objects.filter(claim__policy_id=policy.pk).order_by("accounting_date", "id")
        .values_list("claim_id", "claim__claim_number", "transaction_id", "kind", "effect_kind", "accounting_date",
                     "cost_type", "amount", "reverses__transaction_id", "derived", "topup")
    ):
        if claim_id == claim.pk:
            own.append(LedgerRow(tid, kind, day, cost_type, amount, reverses, derived, topup))
        elif effect == Kind.PAYMENT and cost_type in counted:
            per_claim[number] = per_claim.get(number, ZERO) + amount
    usage = LimitUsage(limit_per_claim=policy.limit_per_claim, aggregate_limit=policy.aggregate_limit,
                       expenses_within_limits=policy.expenses_within_limits,
                       aggregate_used=sum(per_claim.values(), ZERO), per_claim_used=per_claim)
    return BookedLedger(own, usage)


def claim_ledger_state(claim: Claim, new_rows: tuple[LedgerRow, ...] | list[LedgerRow] = ()) -> ClaimLedgerState:
    """The claim's ledger replayed through the rules together with `new_rows` (placed after
    the booked rows of the same accounting date), with the limit the policy's other claims
    used. Raises the DomainError of the first row that breaks a rule, so a backdated posting
    is checked against everything booked after it too."""
    return claim_booked_ledger(claim).state(claim, new_rows)


def claims_with_totals(queryset: QuerySet | None = None, as_of: date | None = None,
                       cut_off: datetime | None = None) -> QuerySet:
    """Claims annotated with outstanding, paid and incurred (one subquery per figure)."""
    queryset = queryset if queryset is not None else Claim.objects.all()
    rows = ledger_rows(as_of=as_of, cut_off=cut_off).filter(claim=OuterRef("pk")).order_by().values("claim")

    def figure(effect: str, cost_type: str | None = None) -> Coalesce:
        sub = rows.filter(effect_kind=effect)
        if cost_type:
            sub = sub.filter(cost_type=cost_type)
        return Coalesce(Subquery(sub.annotate(s=Sum("amount")).values("s")[:1], output_field=_MONEY), _ZERO,
                        output_field=_MONEY)

    annotations = {}
    for c in COST_TYPES:
        annotations[f"outstanding_{c}"] = Greatest(figure(Kind.RESERVE, c) - figure(Kind.PAYMENT, c), _ZERO,
                                                   output_field=_MONEY)
    annotations["paid"] = figure(Kind.PAYMENT) - figure(Kind.RECOVERY)
    return (
        queryset.annotate(**annotations)
        .annotate(outstanding=F("outstanding_indemnity") + F("outstanding_expense"))
        .annotate(incurred=F("paid") + F("outstanding"))
    )


def claim_list(*, policy: Policy | None = None, status: str | None = None, search: str | None = None,
               segment: str | None = None, reported_from: date | None = None,
               reported_to: date | None = None) -> QuerySet:
    claims = Claim.objects.select_related("policy", "policy__insured")
    if policy is not None:
        claims = claims.filter(policy=policy)
    if status:
        claims = claims.filter(status=status)
    if segment:
        claims = claims.filter(policy__segment=segment)
    if reported_from:
        claims = claims.filter(report_date__gte=reported_from)
    if reported_to:
        claims = claims.filter(report_date__lte=reported_to)
    if search:
        claims = claims.filter(
            Q(claim_number__icontains=search) | Q(policy__policy_number__icontains=search)
            | Q(policy__insured__name__icontains=search) | Q(claimant__icontains=search)
        )
    return claims


def claim_number_next(policy: Policy) -> str:
    n = Claim.objects.filter(policy=policy).count() + 1
    while Claim.objects.filter(claim_number=f"{policy.policy_number}-C{n}").exists():
        n += 1
    return f"{policy.policy_number}-C{n}"


def claims_cover_check(policy: Policy, new: dict) -> None:
    """The claims' side of a change of cover (registered with policies.services): every claim
    must stay inside the new dates, and no limit may already be used beyond its new amount."""
    from claims.rules import claim_dates_check
    from core.errors import DomainError

    for number, occurred, reported in policy.claims.values_list("claim_number", "occurrence_date", "report_date"):
        try:
            claim_dates_check(new["basis"], new["inception_date"], new["expiry_date"], new["retro_date"],
                              occurred, reported)
        except DomainError as exc:
            raise DomainError(f"claim {number} would no longer be covered: {exc.message}", field=exc.field) from exc
    usage = policy_limit_usage(policy, expenses_within_limits=new["expenses_within_limits"])
    used = [u for u in usage.per_claim_used.values() if u is not None]
    if new["limit_per_claim"] is not None and used and max(used) > new["limit_per_claim"]:
        raise DomainError(
            f"a claim has already used {max(used):,.2f}, more than the new per-claim limit "
            f"{new['limit_per_claim']:,.2f}", field="limit_per_claim",
        )
    if new["aggregate_limit"] is not None and sum(used, ZERO) > new["aggregate_limit"]:
        raise DomainError(
            f"claims have already used {sum(used, ZERO):,.2f}, more than the new aggregate limit "
            f"{new['aggregate_limit']:,.2f}", field="aggregate_limit",
        )


# --- reserve authority and large losses (D-36) ------------------------------------------------
def handler_authority(user, currency: str) -> HandlerAuthority | None:
    """The user's authority in `currency`, or None: not limited (no row, the system actor, nobody)."""
    if user is None or not getattr(user, "pk", None):
        return None
    return HandlerAuthority.objects.filter(user_id=user.pk, currency=currency).first()


def pending_changes(*, status: str | None = PendingClaimChange.Status.PENDING, claim: Claim | None = None) -> QuerySet:
    rows = PendingClaimChange.objects.select_related("claim", "claim__policy", "requested_by", "decided_by", "posted")
    if status:
        rows = rows.filter(status=status)
    if claim is not None:
        rows = rows.filter(claim=claim)
    return rows


# Incurred at or above which a claim is a large loss, per currency; settings.LARGE_LOSS_THRESHOLDS
# replaces it. RUB: three times the demo's reference loss; IRR: about two full diyeh amounts.
LARGE_LOSS_THRESHOLDS_DEFAULT = {"RUB": Decimal("3000000"), "IRR": Decimal("10000000000")}


def large_loss_thresholds() -> dict[str, Decimal]:
    configured = getattr(settings, "LARGE_LOSS_THRESHOLDS", None)
    thresholds = LARGE_LOSS_THRESHOLDS_DEFAULT if configured is None else configured
    return {currency: Decimal(str(amount)) for currency, amount in thresholds.items()}


def large_losses(*, currency: str | None = None, queryset: QuerySet | None = None) -> QuerySet:
    """Claims whose incurred (paid less recoveries, plus outstanding, as claims_with_totals
    computes it) is at or above the threshold of their currency, annotated with `threshold`,
    largest first. Currencies without a threshold have no large losses."""
    thresholds = large_loss_thresholds()
    if currency:
        thresholds = {c: t for c, t in thresholds.items() if c == currency}
    claims = claims_with_totals(queryset if queryset is not None else claim_list())
    if not thresholds:
        return claims.none()
    threshold = Case(*[When(policy__currency=c, then=Value(t, output_field=_MONEY)) for c, t in thresholds.items()],
                     default=None, output_field=_MONEY)
    return (claims.annotate(threshold=threshold).filter(threshold__isnull=False, incurred__gte=F("threshold"))
            .order_by("-incurred", "claim_number"))
