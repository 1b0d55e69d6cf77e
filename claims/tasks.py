"""Celery tasks of claims: the nightly retention of patients' data (issue 14 §4)."""
from __future__ import annotations

from celery import shared_task

from claims.privacy import claims_anonymise_due
from core.roles import system_actor


@shared_task(name="claims.anonymise_due", acks_late=True, ignore_result=True, time_limit=1800)
def anonymise_due_task() -> int:
    """Anonymise every claim closed longer than CLAIM_RETENTION_YEARS, as the system actor.
    Each claim is its own transaction, so a task cut short keeps what it finished and the next
    night does the rest. Returns the count (never claim numbers or names in the result backend)."""
    return len(claims_anonymise_due(actor=system_actor()))
