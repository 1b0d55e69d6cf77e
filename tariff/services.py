"""Writes of the tariff app: issuing a policy from a quote, recording a year's diyeh, and
revaluing the case reserves of open claims on diyeh-indexed cover."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.models import AuditVerb
from core.errors import DomainError
from core.money import ZERO, money_round, to_decimal
from core.roles import Operation, authorize
from core.services import audit_record
from tariff import engine, selectors
from tariff.diyeh import DIYEH_CURRENCY
from tariff.models import DiyehAmount, TariffVersion


@transaction.atomic(durable=True)
def policy_issue_from_quote(
    *,
    request: engine.QuoteRequest,
    policy_number: str,
    insured_name: str,
    inception_date: date,
    expiry_date: date,
    issue_date: date,
    quote_date: date | None = None,
    tariff_code: str | None = None,
    segment: str = "individual_occurrence",
    basis: str = "occurrence",
    retro_date: date | None = None,
    commission=ZERO,
    cover_in_diyeh: bool = False,
    diyeh_year: int | None = None,
    diyeh_increase_endorsement: bool = False,
    actor,
):
    """Price the request again on the tariff in force on the quote date (default: inception)
    and issue the policy: premium excluding VAT (VAT is tax, not premium income), tariff
    version and every step of the price recorded on it; the limit is the insured cover."""
    authorize(actor, Operation.POLICY_ISSUE_FROM_QUOTE)
    from policies.services import policy_create

    quote = selectors.quote_price(request=request, on=quote_date or inception_date, tariff_code=tariff_code)
    if cover_in_diyeh:
        if quote.currency != DIYEH_CURRENCY:
            raise DomainError(_("cover in diyeh is for IRR policies"), field="cover_in_diyeh")
        diyeh_year = diyeh_year or selectors.jalali_year_of(inception_date)
        selectors.diyeh_amount_of(diyeh_year)
    elif diyeh_increase_endorsement:
        raise DomainError(_("the diyeh-increase endorsement needs cover in diyeh"), field="diyeh_increase_endorsement")
    steps = quote.steps_json() + [{"name": "quoted on", "value": (quote_date or inception_date).isoformat()}]
    return policy_create(
        policy_number=policy_number, insured_name=insured_name, profession=request.profession,
        risk_group=quote.risk_group, segment=segment, basis=basis, retro_date=retro_date, currency=quote.currency,
        inception_date=inception_date, expiry_date=expiry_date, issue_date=issue_date,
        gross_premium=quote.premium, commission=commission, limit_per_claim=quote.insured_cover,
        tariff_version=quote.tariff_version, rating_steps=steps, cover_in_diyeh=cover_in_diyeh,
        diyeh_year=diyeh_year if cover_in_diyeh else None,
        diyeh_increase_endorsement=diyeh_increase_endorsement, actor=actor,
    )


ROW_TABLES = ("professions", "base_rates", "setting_modifiers", "cover_shares", "no_claims_discounts", "group_bands",
              "referral_rules")


def tariff_version_save(*, version: TariffVersion, actor, changed: list[str], save) -> TariffVersion:
    """Record an edit of a tariff version or its rate tables made in the admin's form: the role
    check, then `save()` (the form's own save of the version or of its inline rows) and one audit
    row naming what changed, in one transaction."""
    authorize(actor, Operation.TARIFF_EDIT)
    with transaction.atomic():
        save()
        audit_record(actor=actor, verb=AuditVerb.TARIFF_EDIT, target=version, new={"changed": sorted(changed)})
    return version


@transaction.atomic(durable=True)
def tariff_version_copy(*, source: TariffVersion, code: str, effective_from: date, actor, name: str = "") -> TariffVersion:
    """A new tariff version with all the source's tables, in force from effective_from. The
    source, if still open-ended or running past that date, ends the day before, so that
    exactly one version is in force on any date."""
    authorize(actor, Operation.TARIFF_COPY)
    code = (code or "").strip()
    if not code:
        raise DomainError(_("the new version needs a code"), field="code")
    if TariffVersion.objects.filter(code=code).exists():
        raise DomainError(_("tariff version %(code)s already exists") % {"code": code}, field="code")
    if effective_from <= source.effective_from:
        raise DomainError(
            _("the new version must start after %(code)s starts (%(date)s)")
            % {"code": source.code, "date": source.effective_from.isoformat()},
            field="effective_from",
        )
    old_end = source.effective_to
    if old_end is None or old_end >= effective_from:
        source.effective_to = effective_from - timedelta(days=1)
        source.save(update_fields=["effective_to"])
    copy = TariffVersion.objects.create(
        code=code, name=name or source.name, effective_from=effective_from, effective_to=old_end,
        vat_rate=source.vat_rate, resident_multiplier=source.resident_multiplier,
        group_min_size=source.group_min_size, group_min_insured_share=source.group_min_insured_share,
        referral_contact=source.referral_contact, notes=f"copied from {source.code}",
    )
    for table in ROW_TABLES:
        rows = list(getattr(source, table).all())
        for row in rows:
            row.pk, row.version = None, copy
        if rows:
            type(rows[0]).objects.bulk_create(rows)
    audit_record(actor=actor, verb=AuditVerb.TARIFF_COPY, target=copy,
                 old={"source": source.code, "source_effective_to": old_end.isoformat() if old_end else None},
                 new={"code": code, "effective_from": effective_from.isoformat()})
    return copy


@transaction.atomic
def diyeh_year_add(*, jalali_year: int, amount, actor, note: str = "") -> DiyehAmount:
    """Record the official full diyeh of a Jalali year, in rials. Revaluing open claims is a
    separate step (diyeh_revalue_open_claims), run from the admin or the schedule."""
    authorize(actor, Operation.DIYEH_ADD)
    if not 1300 <= int(jalali_year) <= 1500:
        raise DomainError(_("%(year)s is not a plausible Jalali year") % {"year": jalali_year}, field="jalali_year")
    value = money_round(to_decimal(amount), DIYEH_CURRENCY)
    if value <= 0:
        raise DomainError(_("the diyeh amount must be positive"), field="amount")
    if DiyehAmount.objects.filter(jalali_year=jalali_year).exists():
        raise DomainError(_("the diyeh of %(year)s is already recorded") % {"year": jalali_year}, field="jalali_year")
    row = DiyehAmount.objects.create(jalali_year=jalali_year, amount=value, note=note)
    audit_record(actor=actor, verb=AuditVerb.DIYEH_ADD, target=row, new={"jalali_year": jalali_year, "amount": str(value)})
    return row


@dataclass
class RevaluationResult:
    jalali_year: int
    accounting_date: date
    changes: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)

    @property
    def total_change(self) -> Decimal:
        return sum((Decimal(c["change"]) for c in self.changes), ZERO)


@transaction.atomic(durable=True)
def diyeh_revalue_open_claims(*, jalali_year: int, accounting_date: date, actor) -> RevaluationResult:
    """Bring the indemnity case estimate of every open claim on diyeh-indexed cover (policy
    year ≤ jalali_year, awarded share known) to its target with an ordinary reserve change.
    Idempotent: a second run finds every estimate on target and writes nothing, not even the
    audit row."""
    authorize(actor, Operation.DIYEH_REVALUE)
    from claims.services import claim_reserve_change

    year_row = DiyehAmount.objects.filter(jalali_year=jalali_year).first()
    if year_row is None:
        raise DomainError(_("no diyeh amount is recorded for the Jalali year %(year)s") % {"year": jalali_year},
                          field="jalali_year")
    result = RevaluationResult(jalali_year=jalali_year, accounting_date=accounting_date)
    for line in selectors.diyeh_revaluation_plan(jalali_year=jalali_year, accounting_date=accounting_date):
        if line.skip_reason:
            result.skipped.append({"claim": line.claim.claim_number, "reason": line.skip_reason})
            continue
        if line.change == ZERO:
            continue
        claim_reserve_change(
            claim=line.claim, cost_type="indemnity", new_estimate=line.target, accounting_date=accounting_date,
            actor=actor, note=f"diyeh {jalali_year} revaluation", authorized_as=Operation.DIYEH_REVALUE,
        )
        result.changes.append({
            "claim": line.claim.claim_number, "old_estimate": str(line.outstanding), "new_estimate": str(line.target),
            "change": str(line.change), "endorsed": line.claim.policy.diyeh_increase_endorsement,
        })
    if result.changes:
        audit_record(
            actor=actor, verb=AuditVerb.DIYEH_REVALUE, target=year_row,
            new={"jalali_year": jalali_year, "accounting_date": accounting_date.isoformat(),
                 "claims_changed": len(result.changes), "total_change": str(result.total_change)},
        )
    return result


DIYEH_SCHEDULE_NAME = "tariff: diyeh revaluation of open claims"


@transaction.atomic(durable=True)
def diyeh_schedule_install(*, actor):
    """The django-celery-beat schedule of `tariff.diyeh_revalue_latest`: daily at 03:00 in
    CELERY_TIMEZONE, so a newly entered diyeh year reaches the case reserves by the next
    morning; a day with nothing to change writes nothing. Idempotent."""
    authorize(actor, Operation.SCHEDULE_INSTALL)
    from django.conf import settings
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="3", day_of_month="*", month_of_year="*", day_of_week="*", timezone=settings.CELERY_TIMEZONE
    )
    task, created = PeriodicTask.objects.get_or_create(
        name=DIYEH_SCHEDULE_NAME,
        defaults={"task": "tariff.diyeh_revalue_latest", "crontab": crontab,
                  "description": "Revalue open claims on diyeh-indexed cover against the latest diyeh year"},
    )
    if not created and (task.crontab_id != crontab.pk or task.task != "tariff.diyeh_revalue_latest"):
        task.crontab, task.task = crontab, "tariff.diyeh_revalue_latest"
        task.save()
    audit_record(actor=actor, verb=AuditVerb.SCHEDULE_INSTALL, target=task, new={"crontab": str(crontab), "created": created})
    return task
