"""Thin Celery tasks of reserve runs: ids in, one service call. acks_late with
reject_on_worker_lost, so a worker killed mid-task leaves its message to be redelivered; the
service writes a segment's results in one transaction keyed by (run, segment, currency), so a
redelivered, retried or re-sent segment overwrites its own row and never adds one.

A dropped database connection or a broker/cache outage is not a failure of the computation: the
segment task retries itself with exponential backoff (about two minutes in all, long enough for a
PostgreSQL restart or failover). Whatever is still lost after that (a killed worker, a message
Redis lost on restart, retries exhausted) the watchdog finds by the run's lack of progress and
re-sends, and after a few re-sends fails the run as retryable (reserving.watchdog)."""
from __future__ import annotations

from datetime import date

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from core.periods import Quarter

# A segment is computed from the aggregated inputs the run stored (a triangle of ~20 origins, not
# the book), in seconds even with the bootstrap; five minutes is a wide margin. The watchdog's
# stall threshold is derived from it: after that long without a stored segment, nothing is still
# computing one (reserving.watchdog.STALLED_AFTER).
SEGMENT_SOFT_TIME_LIMIT = 240
SEGMENT_TIME_LIMIT = 300
TRANSIENT_ERRORS = (OperationalError, InterfaceError, BrokerError, RedisConnectionError, RedisTimeoutError)


@shared_task(name="reserving.compute_segment", acks_late=True, reject_on_worker_lost=True,
             soft_time_limit=SEGMENT_SOFT_TIME_LIMIT, time_limit=SEGMENT_TIME_LIMIT,
             autoretry_for=TRANSIENT_ERRORS, max_retries=8, retry_backoff=1, retry_backoff_max=30,
             retry_jitter=True, ignore_result=True)
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


@shared_task(name="reserving.watchdog", acks_late=True, ignore_result=True, time_limit=120)
def watchdog_task() -> dict:
    """Beat, every minute: re-send the segments of runs that stopped making progress, fail the
    ones re-sent too often (retryable), and log the alerts (stuck or failed runs, missed
    schedules) at ERROR for the operators' log alerting."""
    from reserving.watchdog import watchdog_patrol

    return watchdog_patrol().summary()
