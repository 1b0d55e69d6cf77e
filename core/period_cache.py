"""The closed reporting periods, cached: read on every posting, changed once a quarter."""
from __future__ import annotations

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save

from core.models import ReportingPeriod

# The closed periods are read on every posting but change once a quarter, so their labels are
# cached (Django's cache: Redis, shared by every web and worker process, when CACHE_URL or a
# Redis broker is configured; process memory otherwise) and dropped whenever a ReportingPeriod row
# is saved or deleted — at once and again when that transaction commits, so no process keeps
# an answer read before the commit. The timeout only bounds how long a change made behind the
# ORM's back (raw SQL, `QuerySet.update`) can go unseen.
CLOSED_PERIODS_TIMEOUT = 300


def closed_periods_key() -> str:
    # per database: one Redis may serve several databases (a test database, the bench's)
    return f"core:closed-periods:v1:{connection.settings_dict['NAME']}"


def closed_labels_cached() -> frozenset[str]:
    labels = cache.get(closed_periods_key())
    if labels is None:
        labels = frozenset(ReportingPeriod.objects.filter(status=ReportingPeriod.Status.CLOSED)
                           .values_list("label", flat=True))
        cache.set(closed_periods_key(), labels, CLOSED_PERIODS_TIMEOUT)
    return labels


def closed_periods_forget() -> None:
    """Drop the cached closed periods now and when the current transaction commits."""
    key = closed_periods_key()
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def _period_changed(sender, **kwargs) -> None:
    closed_periods_forget()


post_save.connect(_period_changed, sender=ReportingPeriod, dispatch_uid="core.closed_periods_forget.save")
post_delete.connect(_period_changed, sender=ReportingPeriod, dispatch_uid="core.closed_periods_forget.delete")
