"""Patients' data in claims (issue 14 §4): the claimant's name and the medical cause.

* Who sees them: `can_see_patient_data` (core.roles.PATIENT_DATA_READERS: the clerk; superusers
  and the system actor). The admin, the API serializers and the history views all ask it and
  show everyone else `MASK`. The auditor asks for one claim at a time, with a reason:
  `claim_patient_data_reveal` (Operation.CLAIM_REVEAL), one audit row each time.
* Where they never go: audit rows (`audit_redact`: "claimant changed", never the name), ledger
  and pending-change notes (`note_check`, refused at write time), logs (`core.log_filters.SearchTermsFilter`
  on the request loggers: search terms and query strings), regulator exports and the GL journal
  (they read aggregates only).
* How long they are kept: `claim_anonymise` erases them from a closed claim and from every
  history row of it, amounts and dates untouched, so a rerun of any approved run reproduces its
  fingerprint; `claims_anonymise_due` does it for every claim closed longer than the retention
  (settings.CLAIM_RETENTION_YEARS, `manage.py anonymise_claims`, and every night on beat:
  `retention_schedule_install`, installed by `install_schedules`).
"""
from __future__ import annotations

import re
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy

from claims.models import Claim, PendingClaimChange
from core.errors import DomainError
from core.models import AuditVerb
from core.roles import Operation, authorize
from core.roles import can_see_patient_data as _can_see
from core.services import audit_record

PATIENT_DATA_FIELDS = Claim.PATIENT_DATA_FIELDS
MASK = "(hidden)"
# What an audit row says where a field of patients' data changed: that it did, never the value.
AUDIT_MARK = "changed (patients' data, not recorded)"
DEFAULT_RETENTION_YEARS = 10


# ------------------------------------------------------------------------------ who sees them
def can_see_patient_data(user) -> bool:
    """Whether `user` sees claimants' names and causes unmasked (the one rule; core.roles)."""
    return _can_see(user)


def masked(value) -> str:
    """What someone who may not see a value of patients' data is shown: MASK, or nothing when
    nothing is recorded."""
    return MASK if value not in (None, "") else ""


def shown(value, user) -> str:
    return (value or "") if can_see_patient_data(user) else masked(value)


def patient_data_shown(claim: Claim, user) -> dict[str, str]:
    """The claim's patients' data as `user` may see it."""
    return {name: shown(getattr(claim, name), user) for name in PATIENT_DATA_FIELDS}


# ------------------------------------------------------------------------------ audit rows and notes
def audit_redact(values: dict) -> dict:
    """An audit row's old/new values with every field of patients' data replaced by AUDIT_MARK."""
    return {k: (AUDIT_MARK if k in PATIENT_DATA_FIELDS else v) for k, v in values.items()}


_WORD = re.compile(r"\w+", re.UNICODE)


def _terms(claimant: str, cause: str) -> list[tuple[str, str]]:
    """(field, text) that a note may not contain: the claimant's name and each word of it of three
    letters or more, and the cause as written (four letters or more)."""
    terms = []
    name = (claimant or "").strip()
    if name:
        terms.append(("claimant", name))
        terms += [("claimant", w) for w in _WORD.findall(name) if len(w) >= 3]
    cause = (cause or "").strip()
    if len(cause) >= 4:
        terms.append(("cause", cause))
    return terms


def note_mentions(note: str, *, claimant: str, cause: str) -> str | None:
    """The field of patients' data `note` names ("claimant" or "cause"), or None. Whole words,
    case-insensitive."""
    if not note:
        return None
    for field, term in _terms(claimant, cause):
        if re.search(rf"(?<!\w){re.escape(term)}(?!\w)", note, re.IGNORECASE):
            return field
    return None


# The words a note refusal names; translated when the refusal is raised (the request's language).
_NOTE_WORDS = {"note": gettext_lazy("note"), "reason": gettext_lazy("reason"),
               "claimant": gettext_lazy("claimant"), "cause": gettext_lazy("cause")}


def note_check(claim: Claim, note: str, *, field: str = "note") -> None:
    """Refuse a ledger or pending-change note (or a reveal's reason) that names the claim's
    claimant or its cause: the ledger is append-only, so a name in it could never be erased.
    The refusal does not repeat the note."""
    found = note_mentions(note, claimant=claim.claimant, cause=claim.cause)
    if found:
        raise DomainError(
            _("the %(field)s names the claim's %(found)s; notes and audit rows never carry patients' data: "
              "describe the row without it")
            % {"field": str(_NOTE_WORDS.get(field, field.replace("_", " "))),
               "found": str(_NOTE_WORDS.get(found, found))},
            field=field, code="patient_data")


# ------------------------------------------------------------------------------ the auditor's reveal
@transaction.atomic(durable=True)
def claim_patient_data_reveal(*, claim: Claim, reason: str, actor) -> dict[str, str]:
    """The claimant's name and cause of one claim, for an auditor who asks with a reason: one
    audit row (who, which claim, why; never the values)."""
    authorize(actor, Operation.CLAIM_REVEAL)
    claim = Claim.objects.get(pk=claim.pk)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("say why you need the patients' data of this claim"), field="reason")
    note_check(claim, reason, field="reason")
    audit_record(actor=actor, verb=AuditVerb.CLAIM_REVEAL, target=claim,
                 new={"fields": list(PATIENT_DATA_FIELDS), "reason": reason[:300]})
    return {name: getattr(claim, name) or "" for name in PATIENT_DATA_FIELDS}


# ------------------------------------------------------------------------------ retention
def retention_years() -> int:
    years = int(getattr(settings, "CLAIM_RETENTION_YEARS", DEFAULT_RETENTION_YEARS))
    if years < 1:
        raise DomainError(f"CLAIM_RETENTION_YEARS must be at least 1, not {years}", field="years")
    return years


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def claims_due_for_anonymisation(*, today: date | None = None, years: int | None = None) -> QuerySet:
    """Closed claims not yet anonymised whose last close is dated `years` (the retention) or more
    before `today`, with that date as `closed_on`."""
    today = today or timezone.localdate()
    cutoff = _years_before(today, retention_years() if years is None else int(years))
    return (Claim.objects.filter(status=Claim.Status.CLOSED, anonymised_at__isnull=True)
            .annotate(closed_on=Max("transactions__accounting_date", filter=Q(transactions__kind="close")))
            .filter(closed_on__lte=cutoff).order_by("closed_on", "claim_number"))


@transaction.atomic(durable=True)
def claim_anonymise(*, claim: Claim, actor, reason: str = "") -> Claim:
    """Erase the claimant's name and the cause of a closed claim, in the claim and in every one of
    its history rows, and the notes of its pending changes that name them. Nothing else changes:
    no amount, date, status or ledger row (the ledger's notes never carry them, note_check), so
    every run reproduces. One audit row, which says what was erased, never the values."""
    authorize(actor, Operation.CLAIM_ANONYMISE)
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if claim.anonymised_at is not None:
        raise DomainError(_("claim %(number)s was anonymised on %(date)s")
                          % {"number": claim.claim_number, "date": f"{claim.anonymised_at:%Y-%m-%d}"},
                          field="claim", code="anonymised")
    if claim.status != Claim.Status.CLOSED:
        raise DomainError(_("claim %(number)s is open; only a closed claim is anonymised")
                          % {"number": claim.claim_number}, field="claim")
    reason = (reason or "").strip()
    note_check(claim, reason, field="reason")
    now = timezone.now()
    erased = {name: "" for name in PATIENT_DATA_FIELDS}
    # Plain UPDATEs: a save() would add a history version dated now; the old versions are what
    # must be erased, and the audit row records the erasure.
    had = [name for name in PATIENT_DATA_FIELDS if getattr(claim, name)]
    Claim.objects.filter(pk=claim.pk).update(anonymised_at=now, **erased)
    history_rows = Claim.history.filter(id=claim.pk).update(anonymised_at=now, **erased)
    notes = 0
    for change in PendingClaimChange.objects.filter(claim=claim):
        fields = [f for f in ("note", "decision_note")
                  if note_mentions(getattr(change, f), claimant=claim.claimant, cause=claim.cause)]
        if fields:
            notes += PendingClaimChange.objects.filter(pk=change.pk).update(**{f: "" for f in fields})
    claim.refresh_from_db()
    audit_record(actor=actor, verb=AuditVerb.CLAIM_ANONYMISE, target=claim,
                 old={name: ("recorded" if name in had else "empty") for name in PATIENT_DATA_FIELDS},
                 new={**{name: "anonymised" for name in PATIENT_DATA_FIELDS}, "history_rows": history_rows,
                      "pending_change_notes": notes, "reason": reason[:300]})
    return claim


def claims_anonymise_due(*, actor, today: date | None = None, years: int | None = None) -> list[str]:
    """Anonymise every claim due (claims_due_for_anonymisation), each in its own transaction with
    its own audit row (one claim, one operation); returns their numbers."""
    authorize(actor, Operation.CLAIM_ANONYMISE)
    years = retention_years() if years is None else int(years)
    done = []
    for claim in claims_due_for_anonymisation(today=today, years=years):
        claim_anonymise(claim=claim, actor=actor, reason=f"retention: closed on {claim.closed_on}, "
                                                         f"more than {years} years ago")
        done.append(claim.claim_number)
    return done


RETENTION_TASK_NAME = "claims: retention of patients' data"


@transaction.atomic
def retention_schedule_install(*, actor):
    """The nightly beat schedule of the retention (03:30, CELERY_TIMEZONE): every claim closed
    longer than CLAIM_RETENTION_YEARS is anonymised by the system actor. Idempotent; a
    re-install restores the timing and keeps the enabled flag, as the run schedules do."""
    authorize(actor, Operation.SCHEDULE_INSTALL)
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="3", day_of_month="*", month_of_year="*", day_of_week="*", timezone=settings.CELERY_TIMEZONE)
    task, created = PeriodicTask.objects.get_or_create(
        name=RETENTION_TASK_NAME,
        defaults={"task": "claims.anonymise_due", "crontab": crontab,
                  "description": "Anonymises claims closed longer than the retention (claimant and cause erased)"})
    if not created and (task.crontab_id != crontab.pk or task.task != "claims.anonymise_due" or task.interval_id):
        task.crontab, task.interval, task.task = crontab, None, "claims.anonymise_due"
        task.save()
    audit_record(actor=actor, verb=AuditVerb.SCHEDULE_INSTALL, target=task, new={"crontab": str(crontab), "created": created})
    return task


# ------------------------------------------------------------------------------ logs
# The request loggers' filter (configured in settings.LOGGING, so it lives where no model is imported).
from core.log_filters import SearchTermsFilter  # noqa: E402,F401
