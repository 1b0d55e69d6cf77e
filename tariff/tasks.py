"""Celery tasks of the tariff app: the diyeh revaluation, thin wrappers around the service.
`tariff.diyeh_revalue_latest` needs no arguments, so a django-celery-beat schedule can run it
(e.g. yearly after 1 Farvardin, or daily — a run with nothing to change writes nothing)."""
from __future__ import annotations

from datetime import date

from celery import shared_task
from django.contrib.auth import get_user_model
from django.utils import timezone

from core.roles import system_actor
from tariff import services
from tariff.models import DiyehAmount


def _summary(result) -> dict:
    return {"jalali_year": result.jalali_year, "accounting_date": result.accounting_date.isoformat(),
            "claims_changed": len(result.changes), "total_change": str(result.total_change),
            "skipped": len(result.skipped)}


@shared_task(name="tariff.diyeh_revalue_open_claims", acks_late=True, time_limit=600)
def diyeh_revalue_open_claims(jalali_year: int, accounting_date: str, actor_id: int | None = None) -> dict:
    """Started from the admin by a user (whose roles the service checks again) or, without
    actor_id, by the system."""
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else system_actor()
    result = services.diyeh_revalue_open_claims(
        jalali_year=int(jalali_year), accounting_date=date.fromisoformat(accounting_date), actor=actor
    )
    return _summary(result)


@shared_task(name="tariff.diyeh_revalue_latest", acks_late=True, time_limit=600)
def diyeh_revalue_latest(accounting_date: str | None = None) -> dict:
    """Revalue against the latest recorded diyeh year, accounted today unless told."""
    latest = DiyehAmount.objects.order_by("-jalali_year").values_list("jalali_year", flat=True).first()
    if latest is None:
        return {"jalali_year": None, "claims_changed": 0}
    day = date.fromisoformat(accounting_date) if accounting_date else timezone.localdate()
    return _summary(services.diyeh_revalue_open_claims(jalali_year=latest, accounting_date=day,
                                                         actor=system_actor()))
