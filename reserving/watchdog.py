"""The watchdog of reserve runs: a run must end computed or failed-and-retryable on its own.

A run's segments are Celery tasks; a task can be lost for good (a worker killed, a message Redis
lost on restart, a task that exhausted its retries on a database outage). Nothing would then
move the run: it would sit at "computing 3/4" until a person noticed. The watchdog, every minute
on beat (and `manage.py reserve_watchdog`), acts as the system actor:

* a computing run with no progress (no segment stored, no dispatch) for STALLED_AFTER has its
  missing segments re-sent (run_retry: only the segments without results; a segment's results
  are one transaction keyed by run/segment/currency, so a duplicate overwrites its own row);
* one still without progress after MAX_RESENDS re-sends is failed, retryable, with the reason;
* the alerts list the runs stuck or failed and the beat schedules that missed their time.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from core.roles import SYSTEM_USERNAME, Operation, authorize
from reserving.models import ReserveRun, RunEvent
from reserving.tasks import SEGMENT_TIME_LIMIT

logger = logging.getLogger("reserving.watchdog")
S = ReserveRun.Status

# After a segment's hard time limit (and a minute for the worker to store) nothing can still be
# computing any segment of a run that stored nothing: a quiet run is a stuck one. Shorter would
# re-send segments that are merely slow (harmless but wasteful); longer leaves a run stuck longer.
STALLED_AFTER = timedelta(seconds=SEGMENT_TIME_LIMIT + 60)
# Three re-sends ride out a broker or database outage of a quarter of an hour; a run that still
# does not move needs a person (the error says why), and `retry` resumes it.
MAX_RESENDS = 3
# A beat schedule is missed when its due time passed this long ago without a run (beat down,
# the schedule's task never picked up).
MISSED_SCHEDULE_GRACE = timedelta(minutes=10)

WATCHDOG_TASK_NAME = "reserving: watchdog of stuck runs"
WATCHDOG_EVERY_SECONDS = 60


@dataclass(frozen=True)
class Alert:
    kind: str  # "stuck run" | "failed run" | "missed schedule"
    subject: str
    since: datetime | None
    detail: str

    def __str__(self) -> str:
        since = f" since {timezone.localtime(self.since):%Y-%m-%d %H:%M}" if self.since else ""
        return f"{self.kind}: {self.subject}{since} — {self.detail}"


@dataclass
class Patrol:
    resent: list[int] = field(default_factory=list)   # run ids whose missing segments were re-sent
    failed: list[int] = field(default_factory=list)   # run ids failed (retryable) by the watchdog
    alerts: list[Alert] = field(default_factory=list)

    def summary(self) -> dict:
        return {"resent": self.resent, "failed": self.failed, "alerts": [str(a) for a in self.alerts]}


# --------------------------------------------------------------------------- reads
def run_last_progress(run: ReserveRun) -> datetime:
    """The last sign of life of a computing run: a segment stored, or a transition (compute,
    retry) that dispatched segments."""
    stored = run.segment_results.aggregate(at=Max("computed_at"))["at"]
    event = run.events.aggregate(at=Max("at"))["at"]
    return max(t for t in (run.compute_started_at, stored, event, run.created_at) if t is not None)


def _watchdog_resends(run: ReserveRun) -> int:
    """Re-sends by the watchdog without progress in between: since the last segment stored, or
    the run last began computing, failed, or was retried by a person (each starts the count again)."""
    resets = run.events.filter(Q(verb__in=["compute", "fail"]) | (Q(verb="retry") & ~Q(actor__username=SYSTEM_USERNAME)))
    since = [t for t in (resets.aggregate(at=Max("at"))["at"],
                         run.segment_results.aggregate(at=Max("computed_at"))["at"]) if t is not None]
    resends = run.events.filter(verb="retry", actor__username=SYSTEM_USERNAME)
    if since:
        resends = resends.filter(at__gt=max(since))
    return resends.count()


def runs_stalled(*, stalled_after: timedelta = STALLED_AFTER, now: datetime | None = None) -> list[ReserveRun]:
    now = now or timezone.now()
    return [run for run in ReserveRun.objects.filter(status=S.COMPUTING).order_by("id")
            if run_last_progress(run) <= now - stalled_after]


def _missing_segments(run: ReserveRun) -> list[str]:
    done = set(run.segment_results.values_list("segment", "currency"))
    return [f"{s} {c}" for s, c in run.segment_inputs.order_by("segment", "currency").values_list("segment", "currency")
            if (s, c) not in done]


def _next_due(task, reference: datetime) -> datetime | None:
    """When a django-celery-beat task was next due after `reference` (its last run, or when it
    was installed or edited); None for a one-off already run or a clocked task."""
    if task.one_off and task.last_run_at:
        return None
    if task.clocked_id:
        return task.clocked.clocked_time
    schedule = task.schedule
    return schedule.now() + schedule.remaining_estimate(reference)


def watchdog_alerts(*, stalled_after: timedelta = STALLED_AFTER, grace: timedelta = MISSED_SCHEDULE_GRACE,
                    now: datetime | None = None) -> list[Alert]:
    """Stuck runs, failed runs (waiting for a person to retry them) and missed schedules."""
    from django_celery_beat.models import PeriodicTask

    now = now or timezone.now()
    alerts = []
    for run in runs_stalled(stalled_after=stalled_after, now=now):
        alerts.append(Alert("stuck run", str(run), run_last_progress(run),
                            f"computing {run.progress}, no progress for {stalled_after}; missing: "
                            f"{', '.join(_missing_segments(run)) or 'none'}"))
    for run in ReserveRun.objects.filter(status=S.FAILED).order_by("id"):
        failed_at = run.events.filter(verb="fail").aggregate(at=Max("at"))["at"]
        alerts.append(Alert("failed run", str(run), failed_at, f"{run.error[:300] or 'no error recorded'}; retry it"))
    for task in PeriodicTask.objects.filter(enabled=True).select_related("crontab", "interval", "clocked", "solar"):
        if task.start_time and task.start_time > now:
            continue
        reference = task.last_run_at or task.date_changed
        due = _next_due(task, reference)
        if due is not None and due < now - grace:
            last = f"last run {timezone.localtime(task.last_run_at):%Y-%m-%d %H:%M}" if task.last_run_at else "never run"
            alerts.append(Alert("missed schedule", task.name, due, f"{task.task} was due and has not run ({last}); "
                                                                   f"is celery beat running?"))
    return alerts


# --------------------------------------------------------------------------- writes
def watchdog_sweep(*, actor, stalled_after: timedelta = STALLED_AFTER, max_resends: int = MAX_RESENDS) -> Patrol:
    """Re-send the missing segments of every stalled run, or fail it (retryable) once it was
    re-sent `max_resends` times without progress. Each decision is taken under the run's row
    lock, so two watchdogs at once re-send a run once."""
    from reserving.services import run_fail, run_retry  # lazily: the services import reserving.tasks

    authorize(actor, Operation.RUN_RETRY)
    patrol = Patrol()
    for stalled in runs_stalled(stalled_after=stalled_after):
        with transaction.atomic():
            run = ReserveRun.objects.select_for_update().get(pk=stalled.pk)
            if run.status != S.COMPUTING or run_last_progress(run) > timezone.now() - stalled_after:
                continue  # moved, or handled by another watchdog, since the list was read
            resends = _watchdog_resends(run)
            if resends < max_resends:
                run_retry(run=run, actor=actor)  # dispatches on commit of this transaction
                patrol.resent.append(run.pk)
                logger.warning("watchdog: %s had no progress for %s; re-sent its missing segments (%d of %d)",
                               run, stalled_after, resends + 1, max_resends)
                continue
            missing = _missing_segments(run)
        run_fail(run_id=run.pk, error=(
            f"watchdog: no progress for {stalled_after} after {resends} re-sends of the missing segments "
            f"({', '.join(missing) or 'none'}); the workers, the broker or the database need a look; "
            f"retry the run once they are healthy"))
        patrol.failed.append(run.pk)
        logger.error("watchdog: failed %s (retryable) after %d re-sends without progress", run, resends)
    return patrol


def watchdog_patrol(*, actor, stalled_after: timedelta = STALLED_AFTER, max_resends: int = MAX_RESENDS) -> Patrol:
    """The beat task's and the command's round: sweep, then the alerts, each logged at ERROR."""
    patrol = watchdog_sweep(actor=actor, stalled_after=stalled_after, max_resends=max_resends)
    patrol.alerts = watchdog_alerts(stalled_after=stalled_after)
    for alert in patrol.alerts:
        logger.error("watchdog alert: %s", alert)
    return patrol


@transaction.atomic
def watchdog_schedule_install(*, actor):
    """The watchdog's beat schedule: every minute, its messages expiring after a minute (a
    watchdog queued behind a busy worker is replaced by the next, not stacked). Idempotent, like
    schedules_install, which calls it."""
    authorize(actor, Operation.SCHEDULE_INSTALL)
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from core.models import AuditVerb
    from core.services import audit_record

    every, _ = IntervalSchedule.objects.get_or_create(every=WATCHDOG_EVERY_SECONDS, period=IntervalSchedule.SECONDS)
    task, created = PeriodicTask.objects.get_or_create(
        name=WATCHDOG_TASK_NAME,
        defaults={"task": "reserving.watchdog", "interval": every, "expire_seconds": WATCHDOG_EVERY_SECONDS,
                  "description": "Re-sends the segments of reserve runs without progress, fails those re-sent "
                                 "too often (retryable), logs stuck or failed runs and missed schedules"})
    if not created and (task.interval_id != every.pk or task.task != "reserving.watchdog" or task.crontab_id):
        task.interval, task.crontab, task.task = every, None, "reserving.watchdog"
        task.save()
    audit_record(actor=actor, verb=AuditVerb.SCHEDULE_INSTALL, target=task, new={"interval": str(every), "created": created})
    return task


__all__ = ["Alert", "Patrol", "STALLED_AFTER", "MAX_RESENDS", "run_last_progress", "runs_stalled", "watchdog_alerts",
           "watchdog_sweep", "watchdog_patrol", "watchdog_schedule_install"]
