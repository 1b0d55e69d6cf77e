"""Writes of policies and the premium ledger: create, master-data edits, endorsement,
cancellation and reversal. Each is one transaction with one audit row; premium rows are
append-only."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy

from core.ledger import insert_with_free_id
from core.models import AuditVerb
from core.errors import DomainError
from core.money import ZERO, money_round, to_decimal
from core.roles import Operation, authorize
from core.services import audit_record, period_ensure_open
from policies import rules
from policies.models import Insured, Policy, PremiumTransaction
from policies.selectors import policy_premium_windows
from segments.services import segment_check

# Master-data fields policy_update_master may change; status and cancellation move only
# through policy_cancel / premium_transaction_reverse.
MASTER_FIELDS = (
    "insured", "profession", "risk_group", "segment", "basis", "retro_date", "currency",
    "inception_date", "expiry_date", "issue_date", "limit_per_claim", "aggregate_limit",
    "deductible_amount", "deductible_percent", "expenses_within_limits", "tariff_version",
    "rating_steps", "cover_in_diyeh", "diyeh_year", "diyeh_increase_endorsement",
)
_MONEY_FIELDS = ("limit_per_claim", "aggregate_limit", "deductible_amount")
_COVER_FIELDS = ("basis", "inception_date", "expiry_date", "retro_date", "expenses_within_limits",
                 "limit_per_claim", "aggregate_limit")


def _jsonable(value):
    if isinstance(value, (Decimal, date, datetime)):
        return str(value)
    if isinstance(value, Insured):
        return value.name
    return value


def _money_or_none(value, currency: str):
    return None if value is None or value == "" else money_round(value, currency)


@transaction.atomic
def insured_create(*, name: str, kind: str = Insured.Kind.PERSON, national_id: str = "", actor) -> Insured:
    authorize(actor, Operation.INSURED_CREATE)
    name = (name or "").strip()
    if not name:
        raise DomainError(_("the insured needs a name"), field="name")
    if kind not in Insured.Kind.values:
        raise DomainError(_("unknown insured kind %(kind)s; known: %(known)s")
                          % {"kind": repr(kind), "known": ", ".join(Insured.Kind.values)}, field="kind")
    insured = Insured.objects.create(name=name, kind=kind, national_id=national_id)
    audit_record(actor=actor, verb=AuditVerb.INSURED_CREATE, target=insured, new={"name": name, "kind": kind})
    return insured


def _premium_row(*, policy, kind, effect_kind, accounting_date, effective_date, gross, commission,
                 actor, recorded_at=None, transaction_id=None, reverses=None, note="") -> PremiumTransaction:
    period_ensure_open(accounting_date)
    fields = dict(
        policy=policy,
        kind=kind,
        effect_kind=effect_kind,
        accounting_date=accounting_date,
        effective_date=effective_date,
        gross_premium=gross,
        commission=commission,
        recorded_at=recorded_at or timezone.now(),
        recorded_by=actor if getattr(actor, "pk", None) else None,
        reverses=reverses,
        note=note or "",
    )
    if transaction_id:
        return PremiumTransaction.objects.create(transaction_id=transaction_id, **fields)
    # "<policy_number>-P<n>" after the policy's rows (core.ledger: an id taken meanwhile moves on)
    n = PremiumTransaction.objects.filter(policy=policy).count() + 1
    return insert_with_free_id(PremiumTransaction, f"{policy.policy_number}-P{n}", **fields)


@transaction.atomic
def policy_create(
    *,
    policy_number: str,
    profession: str,
    segment: str,
    basis: str,
    currency: str,
    inception_date: date,
    expiry_date: date,
    issue_date: date,
    gross_premium,
    commission=ZERO,
    insured: Insured | None = None,
    insured_name: str | None = None,
    risk_group: int | None = None,
    retro_date: date | None = None,
    limit_per_claim=None,
    aggregate_limit=None,
    deductible_amount=None,
    deductible_percent=None,
    expenses_within_limits: bool = False,
    tariff_version: str = "",
    rating_steps: list | None = None,
    cover_in_diyeh: bool = False,
    diyeh_year: int | None = None,
    diyeh_increase_endorsement: bool = False,
    recorded_at: datetime | None = None,
    transaction_id: str | None = None,
    actor,
) -> Policy:
    """A policy and its original premium, accounted on the issue date. `insured_name` reuses
    the insured of that exact name if there is one, else creates it."""
    authorize(actor, Operation.POLICY_CREATE)
    policy_number = (policy_number or "").strip()
    if not policy_number:
        raise DomainError(_("the policy needs a number"), field="policy_number")
    if Policy.objects.filter(policy_number=policy_number).exists():
        raise DomainError(_("policy number %(number)s is already taken") % {"number": policy_number},
                          field="policy_number")
    code = rules.policy_fields_check(
        basis=basis, retro_date=retro_date, currency=currency, inception_date=inception_date,
        expiry_date=expiry_date, limit_per_claim=limit_per_claim, aggregate_limit=aggregate_limit,
        deductible_amount=deductible_amount, deductible_percent=deductible_percent, risk_group=risk_group,
    )
    rules.original_premium_check(gross_premium, commission)
    segment_check(segment)  # the code must be a row of the segment table (issue 17 §0)
    period_ensure_open(issue_date)
    if insured is None:
        if not (insured_name or "").strip():
            raise DomainError(_("give the insured or the insured's name"), field="insured_name")
        insured = Insured.objects.filter(name=insured_name.strip()).order_by("id").first() or Insured.objects.create(
            name=insured_name.strip()
        )
    policy = Policy.objects.create(
        policy_number=policy_number, insured=insured, profession=profession, risk_group=risk_group,
        segment=segment, basis=basis, retro_date=retro_date, currency=code,
        inception_date=inception_date, expiry_date=expiry_date, issue_date=issue_date,
        limit_per_claim=_money_or_none(limit_per_claim, code),
        aggregate_limit=_money_or_none(aggregate_limit, code),
        deductible_amount=_money_or_none(deductible_amount, code),
        deductible_percent=None if deductible_percent is None else to_decimal(deductible_percent),
        expenses_within_limits=expenses_within_limits, tariff_version=tariff_version or "",
        rating_steps=rating_steps or [], cover_in_diyeh=cover_in_diyeh, diyeh_year=diyeh_year,
        diyeh_increase_endorsement=diyeh_increase_endorsement,
    )
    gross, comm = money_round(gross_premium, code), money_round(commission, code)
    _premium_row(
        policy=policy, kind=PremiumTransaction.Kind.ORIGINAL, effect_kind=PremiumTransaction.EffectKind.ORIGINAL,
        accounting_date=issue_date, effective_date=inception_date, gross=gross, commission=comm,
        actor=actor, recorded_at=recorded_at, transaction_id=transaction_id,
    )
    audit_record(
        actor=actor, verb=AuditVerb.POLICY_CREATE, target=policy,
        new={"policy_number": policy_number, "insured": insured.name, "segment": segment, "currency": code,
             "inception_date": str(inception_date), "expiry_date": str(expiry_date),
             "gross_premium": str(gross), "commission": str(comm)},
    )
    return policy


# Checks that a change of cover (master-data edit, cancellation) leaves what is booked against
# the policy covered. policies knows no claims: the claims app registers its check here when it
# loads (claims.apps), so the dependency points from claims to policies only.
CoverCheck = Callable[[Policy, dict], None]
_COVER_CHECKS: list[CoverCheck] = []


def cover_check_register(check: CoverCheck) -> None:
    if check not in _COVER_CHECKS:
        _COVER_CHECKS.append(check)


def _cover_still_fits(policy: Policy, new: dict) -> None:
    """Refuse a change of cover under which something booked (a claim) would fall outside it;
    `new` holds the cover fields as they would become."""
    for check in _COVER_CHECKS:
        check(policy, new)


@transaction.atomic(durable=True)
def policy_update_master(*, policy: Policy, actor, **changes) -> Policy:
    """Edit master data; django-simple-history keeps the old version."""
    authorize(actor, Operation.POLICY_UPDATE)
    unknown = sorted(set(changes) - set(MASTER_FIELDS))
    if unknown:
        raise DomainError(_("these fields cannot be changed here: %(fields)s") % {"fields": ", ".join(unknown)},
                          field=unknown[0])
    policy = Policy.objects.select_for_update().get(pk=policy.pk)
    changed = {k: v for k, v in changes.items() if getattr(policy, k) != v}
    if not changed:
        return policy
    if "segment" in changed:
        segment_check(changed["segment"])
    new = {f: changed.get(f, getattr(policy, f)) for f in MASTER_FIELDS}
    new["currency"] = rules.policy_fields_check(
        basis=new["basis"], retro_date=new["retro_date"], currency=new["currency"],
        inception_date=new["inception_date"], expiry_date=new["expiry_date"],
        limit_per_claim=new["limit_per_claim"], aggregate_limit=new["aggregate_limit"],
        deductible_amount=new["deductible_amount"], deductible_percent=new["deductible_percent"],
        risk_group=new["risk_group"],
    )
    if new["currency"] != policy.currency:
        raise DomainError(
            _("currency cannot change from %(currency)s once premium is booked; cancel and reissue")
            % {"currency": policy.currency},
            field="currency",
        )
    for f in _MONEY_FIELDS:
        new[f] = _money_or_none(new[f], new["currency"])
    if new["deductible_percent"] is not None:
        new["deductible_percent"] = to_decimal(new["deductible_percent"])
    _cover_still_fits(policy, new)
    old = {k: _jsonable(getattr(policy, k)) for k in changed}
    for k in changed:
        setattr(policy, k, new[k])
    policy.save()
    audit_record(actor=actor, verb=AuditVerb.POLICY_UPDATE, target=policy, old=old,
                 new={k: _jsonable(getattr(policy, k)) for k in changed})
    return policy


_OPERATION_WORDS = {"endorsement": gettext_lazy("endorsement"), "cancellation": gettext_lazy("cancellation")}


def _in_force_check(policy: Policy, what: str) -> None:
    if policy.status == Policy.Status.CANCELLED:
        raise DomainError(_("policy %(number)s is cancelled; no %(operation)s is possible")
                          % {"number": policy.policy_number, "operation": str(_OPERATION_WORDS.get(what, what))},
                          field="policy")


@transaction.atomic(durable=True)
def policy_endorse(
    *, policy: Policy, effective_date: date, accounting_date: date, gross_premium, commission=ZERO,
    note: str = "", actor, recorded_at: datetime | None = None, transaction_id: str | None = None,
) -> PremiumTransaction:
    """Additional premium (negative for a reduction) earning from the effective date to expiry."""
    authorize(actor, Operation.POLICY_ENDORSE)
    policy = Policy.objects.select_for_update().get(pk=policy.pk)
    _in_force_check(policy, "endorsement")
    rules.effective_date_check(effective_date, policy.inception_date, policy.expiry_date)
    rules.premium_signs_check(gross_premium, commission)
    row = _premium_row(
        policy=policy, kind=PremiumTransaction.Kind.ENDORSEMENT,
        effect_kind=PremiumTransaction.EffectKind.ENDORSEMENT, accounting_date=accounting_date,
        effective_date=effective_date, gross=money_round(gross_premium, policy.currency),
        commission=money_round(commission, policy.currency), actor=actor, recorded_at=recorded_at,
        transaction_id=transaction_id, note=note,
    )
    audit_record(actor=actor, verb=AuditVerb.POLICY_ENDORSE, target=policy,
                 new={"transaction_id": row.transaction_id, "effective_date": str(effective_date),
                      "gross_premium": str(row.gross_premium), "commission": str(row.commission)})
    return row


@transaction.atomic(durable=True)
def policy_cancel(
    *, policy: Policy, effective_date: date, accounting_date: date, method: str = "pro_rata",
    return_gross=None, short_rate_retention=None, note: str = "", actor,
    recorded_at: datetime | None = None, transaction_id: str | None = None,
) -> PremiumTransaction:
    """A cancellation row returning premium (negative amounts) from the effective date to
    expiry: pro rata by default, or short rate with an explicit return or a retention."""
    authorize(actor, Operation.POLICY_CANCEL)
    policy = Policy.objects.select_for_update().get(pk=policy.pk)
    _in_force_check(policy, "cancellation")
    rules.effective_date_check(effective_date, policy.inception_date, policy.expiry_date)
    # Cover ends the day before the cancellation takes effect; claims already booked must stay covered.
    if effective_date == policy.inception_date and policy.claims.exists():
        raise DomainError(_("policy %(number)s has claims; it cannot be cancelled from inception")
                          % {"number": policy.policy_number},
                          field="effective_date")
    shortened = {f: getattr(policy, f) for f in _COVER_FIELDS}
    shortened["expiry_date"] = max(effective_date - timedelta(days=1), policy.inception_date)
    try:
        _cover_still_fits(policy, shortened)
    except DomainError as exc:
        raise DomainError(_("cannot cancel from %(date)s: %(reason)s")
                          % {"date": effective_date, "reason": exc.message}, field="effective_date") from exc
    back = rules.return_premium(
        rows=policy_premium_windows(policy), expiry_date=policy.expiry_date, effective_date=effective_date,
        currency=policy.currency, method=method, return_gross=return_gross,
        short_rate_retention=short_rate_retention,
    )
    row = _premium_row(
        policy=policy, kind=PremiumTransaction.Kind.CANCELLATION,
        effect_kind=PremiumTransaction.EffectKind.CANCELLATION, accounting_date=accounting_date,
        effective_date=effective_date, gross=-back.gross_premium, commission=-back.commission,
        actor=actor, recorded_at=recorded_at, transaction_id=transaction_id, note=note,
    )
    policy.status = Policy.Status.CANCELLED
    policy.cancelled_on = effective_date
    policy.save(update_fields=["status", "cancelled_on"])
    audit_record(actor=actor, verb=AuditVerb.POLICY_CANCEL, target=policy, old={"status": "in_force"},
                 new={"status": "cancelled", "cancelled_on": str(effective_date), "method": method,
                      "transaction_id": row.transaction_id, "gross_premium": str(row.gross_premium),
                      "commission": str(row.commission), "pro_rata_gross": str(-back.pro_rata_gross)})
    return row


@transaction.atomic(durable=True)
def premium_transaction_reverse(
    *, transaction: PremiumTransaction, accounting_date: date, note: str = "", actor,
    recorded_at: datetime | None = None, transaction_id: str | None = None,
) -> PremiumTransaction:
    """A row carrying the negated amounts of `transaction`; each row is reversed at most once.
    Reversing a cancellation puts the policy back in force."""
    authorize(actor, Operation.PREMIUM_REVERSE)
    original = PremiumTransaction.objects.select_for_update().select_related("policy").get(pk=transaction.pk)
    if original.kind == PremiumTransaction.Kind.REVERSAL:
        raise DomainError(_("row %(row)s is itself a reversal; post the row again instead")
                          % {"row": original.transaction_id},
                          field="reverses")
    if PremiumTransaction.objects.filter(reverses=original).exists():
        raise DomainError(_("row %(row)s is already reversed") % {"row": original.transaction_id}, field="reverses")
    if accounting_date < original.accounting_date:
        raise DomainError(
            _("reversal dated %(date)s is before the row it reverses (%(original)s)")
            % {"date": accounting_date, "original": original.accounting_date},
            field="accounting_date",
        )
    policy = Policy.objects.select_for_update().get(pk=original.policy_id)
    row = _premium_row(
        policy=policy, kind=PremiumTransaction.Kind.REVERSAL, effect_kind=original.effect_kind,
        accounting_date=accounting_date, effective_date=original.effective_date,
        gross=-original.gross_premium, commission=-original.commission, actor=actor,
        recorded_at=recorded_at, transaction_id=transaction_id, reverses=original, note=note,
    )
    old_status = policy.status
    if original.kind == PremiumTransaction.Kind.CANCELLATION and policy.status == Policy.Status.CANCELLED:
        policy.status, policy.cancelled_on = Policy.Status.IN_FORCE, None
        policy.save(update_fields=["status", "cancelled_on"])
    audit_record(actor=actor, verb=AuditVerb.PREMIUM_REVERSE, target=policy,
                 old={"status": old_status},
                 new={"status": policy.status, "transaction_id": row.transaction_id,
                      "reverses": original.transaction_id, "gross_premium": str(row.gross_premium)})
    return row
