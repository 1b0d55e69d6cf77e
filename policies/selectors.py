"""Reads of policies and the premium ledger. Totals are aggregated in the database."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Case, CharField, DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.money import ZERO
from policies.models import Policy, PremiumTransaction
from policies.rules import PremiumWindow



def premium_rows(*, policy: Policy, as_of: date | None = None, cut_off: datetime | None = None) -> QuerySet:
    """The policy's premium rows booked by accounting date `as_of` and known by `cut_off`."""
    rows = PremiumTransaction.objects.filter(policy=policy)
    if as_of is not None:
        rows = rows.filter(accounting_date__lte=as_of)
    if cut_off is not None:
        rows = rows.filter(recorded_at__lte=cut_off)
    return rows


@dataclass(frozen=True)
class PremiumTotals:
    written_gross: Decimal
    commission: Decimal
    original_gross: Decimal

    @property
    def net(self) -> Decimal:
        return self.written_gross - self.commission


def policy_premium_totals(policy: Policy, as_of: date | None = None, cut_off: datetime | None = None) -> PremiumTotals:
    """Written gross premium and commission (reversals and returns net out)."""
    totals = premium_rows(policy=policy, as_of=as_of, cut_off=cut_off).aggregate(
        gross=Coalesce(Sum("gross_premium"), ZERO),
        commission=Coalesce(Sum("commission"), ZERO),
        original=Coalesce(Sum("gross_premium", filter=Q(effect_kind=PremiumTransaction.EffectKind.ORIGINAL)), ZERO),
    )
    return PremiumTotals(totals["gross"], totals["commission"], totals["original"])


def policy_premium_windows(policy: Policy) -> list[PremiumWindow]:
    """The in-force premium by window start (what a cancellation gives back a share of),
    summed per effective date in the database."""
    grouped = (
        PremiumTransaction.objects.filter(policy=policy)
        .values("effective_date")
        .annotate(gross=Sum("gross_premium"), commission=Sum("commission"))
        .order_by("effective_date")
    )
    return [PremiumWindow(g["effective_date"], g["gross"], g["commission"]) for g in grouped]


def policy_list(*, segment: str | None = None, status: str | None = None, search: str | None = None) -> QuerySet:
    policies = Policy.objects.select_related("insured")
    if segment:
        policies = policies.filter(segment=segment)
    if status:
        policies = policies.filter(status=status)
    if search:
        policies = policies.filter(Q(policy_number__icontains=search) | Q(insured__name__icontains=search))
    return policies


def policy_with_premium(queryset: QuerySet | None = None) -> QuerySet:
    """Policies annotated with written_gross and written_commission (one grouped query)."""
    queryset = queryset if queryset is not None else Policy.objects.all()
    return queryset.annotate(
        written_gross=Coalesce(Sum("premium_transactions__gross_premium"), ZERO),
        written_commission=Coalesce(Sum("premium_transactions__commission"), ZERO),
    )


def policy_with_written_premium(queryset: QuerySet | None = None) -> QuerySet:
    """Policies annotated with written_gross (0 without premium rows) as a correlated subquery,
    not policy_with_premium's join and GROUP BY: the admin list's filter DISTINCT queries and
    date hierarchy run on this queryset, and with the join each of them grouped the whole
    premium ledger (issue 16 §3)."""
    queryset = queryset if queryset is not None else Policy.objects.all()
    written = (PremiumTransaction.objects.filter(policy_id=OuterRef("pk")).order_by()
               .values("policy_id").annotate(s=Sum("gross_premium")).values("s"))
    return queryset.annotate(written_gross=Coalesce(
        Subquery(written, output_field=DecimalField(max_digits=18, decimal_places=2)), ZERO))


def _display_status_q(display_status: str, today: date) -> Q:
    """policies.rules.display_status as a database condition."""
    cancelled = Q(status=Policy.Status.CANCELLED)
    if display_status == Policy.DisplayStatus.CANCELLED:
        return cancelled
    if display_status == Policy.DisplayStatus.EXPIRED:
        return ~cancelled & Q(expiry_date__lt=today)
    if display_status == Policy.DisplayStatus.IN_FORCE:
        return ~cancelled & Q(expiry_date__gte=today)
    raise ValueError(f"unknown policy status {display_status!r}; known: {', '.join(Policy.DisplayStatus.values)}")


def policy_with_display_status(queryset: QuerySet | None = None, today: date | None = None) -> QuerySet:
    """Policies annotated with display_status: "in_force", "expired" (expiry date before
    `today`, business time zone by default, and not cancelled) or "cancelled"."""
    queryset = queryset if queryset is not None else Policy.objects.all()
    today = today or timezone.localdate()
    return queryset.annotate(display_status=Case(
        *[When(_display_status_q(s, today), then=Value(s)) for s in Policy.DisplayStatus.values],
        output_field=CharField(),
    ))


def policy_filter_display_status(queryset: QuerySet, display_status: str, today: date | None = None) -> QuerySet:
    """Policies whose display status on `today` is `display_status`."""
    return queryset.filter(_display_status_q(display_status, today or timezone.localdate()))


def premium_transactions_with_running_total(rows: QuerySet) -> QuerySet:
    """Premium rows with `running_gross`: the policy's written gross premium after each row, in
    ledger order (accounting date, then booking order), summed by the database."""
    from django.db.models import F, Window

    return rows.annotate(running_gross=Window(
        Sum("gross_premium"), partition_by=[F("policy_id")], order_by=[F("accounting_date").asc(), F("id").asc()]))
