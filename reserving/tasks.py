"""Thin Celery tasks of reserve runs: ids in, one service call. acks_late with
reject_on_worker_lost, so a worker killed mid-task leaves its message to be redelivered; the
service writes a segment's results in one transaction keyed by (run, segment, currency)."""
from __future__ import annotations

from datetime import date

from celery import shared_task
from django.utils import timezone

from core.periods import Quarter


@shared_task(name="reserving.compute_segment", acks_late=True, reject_on_worker_lost=True,
             soft_time_limit=3600, time_limit=3900)
def compute_segment_task(run_id: int, segment: str, currency: str) -> str:
    from reserving.services import run_segment_compute  # lazily: the services import this module

    return run_segment_compute(run_id=run_id, segment=segment, currency=currency)


@shared_task(name="reserving.quarter_end_first_cut", acks_late=True)
def quarter_end_first_cut(regime: str | None = None) -> int:
    """Beat: at 02:00 on the 1st of Jan/Apr/Jul/Oct, a first-cut draft run for the quarter just
    ended, computed straight away."""
    from django.conf import settings

    from core.errors import DomainError
    from core.roles import system_actor
    from reserving.services import run_compute, run_create

    today: date = timezone.localdate()
    valuation = (Quarter.of(today) - 1).end
    actor = system_actor()
    run = run_create(valuation_date=valuation, regime=regime or settings.OFFICIAL_REGIME, actor=actor)
    try:
        run_compute(run=run, actor=actor)
    except DomainError:
        pass  # data errors: the first cut stays a draft with its checks stored, for the actuary
    return run.pk
