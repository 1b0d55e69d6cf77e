"""The watchdog's own rules, on SQLite and without a broker (issue 14 §6): the segments of a run
are "lost" by a dispatch that sends nothing, so the run sits computing exactly as after a worker
killed mid-run; the fault tests (tests/functional/test_faults.py) show the same on real services."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from core.roles import system_actor
from reserving import services
from reserving.models import ReserveRun
from reserving.watchdog import (MAX_RESENDS, STALLED_AFTER, run_last_progress, runs_stalled, watchdog_alerts,
                                watchdog_patrol, watchdog_sweep)
from tests.factories import user_with_roles
from tests.integration.reserving.runbook import make_book

# transaction=True: the dispatch runs on commit, as in production (run_retry's row lock included)
pytestmark = pytest.mark.django_db(transaction=True)

V = date(2024, 12, 31)
NOW = timedelta(0)  # a stall threshold of nothing: every computing run counts as stalled at once


@pytest.fixture
def lost_run(monkeypatch):
    """A run whose three segment tasks were dispatched and lost: computing 0/3, nothing stored."""
    sent = []
    monkeypatch.setattr(services, "_dispatch", lambda run_id, keys: sent.append((run_id, list(keys))))
    make_book(seed=71, policies=45)
    run = services.run_compute(run=services.run_create(valuation_date=V, cut_off=timezone.now(), actor=system_actor()),
                               actor=system_actor())
    assert run.status == "computing" and run.segments_total == 3 and run.segments_done == 0
    assert [len(keys) for _, keys in sent] == [3]
    run.sent = sent
    return run


def _status(run: ReserveRun) -> str:
    run.refresh_from_db()
    return run.status


def test_a_quiet_run_is_stalled_only_after_the_threshold(lost_run):
    last = run_last_progress(lost_run)
    assert last >= lost_run.compute_started_at
    assert runs_stalled(stalled_after=STALLED_AFTER) == []  # just started: not stuck
    later = last + STALLED_AFTER + timedelta(seconds=1)
    assert [r.pk for r in runs_stalled(stalled_after=STALLED_AFTER, now=later)] == [lost_run.pk]
    assert runs_stalled(stalled_after=STALLED_AFTER, now=last + STALLED_AFTER - timedelta(seconds=1)) == []


def test_the_missing_segments_are_resent_three_times_then_the_run_fails_retryable(lost_run):
    for attempt in range(1, MAX_RESENDS + 1):
        patrol = watchdog_sweep(actor=system_actor(), stalled_after=NOW)
        assert patrol.resent == [lost_run.pk] and patrol.failed == []
        assert _status(lost_run) == "computing"
        # each re-send dispatches the three missing segments again
        assert [len(keys) for _, keys in lost_run.sent] == [3] * (attempt + 1)
    patrol = watchdog_sweep(actor=system_actor(), stalled_after=NOW)
    assert patrol.resent == [] and patrol.failed == [lost_run.pk]
    assert _status(lost_run) == "failed"
    assert "after 3 re-sends" in lost_run.error
    assert "individual_occurrence RUB" in lost_run.error  # it names what is missing
    assert list(lost_run.events.filter(actor__username="system", verb="retry").values_list("to_status", flat=True)) \
        == ["computing"] * MAX_RESENDS
    # a failed run is a person's: the watchdog leaves it alone
    assert watchdog_sweep(actor=system_actor(), stalled_after=NOW).summary() == {"resent": [], "failed": [], "alerts": []}


def test_a_person_retrying_starts_the_count_again(lost_run):
    for _ in range(MAX_RESENDS):
        watchdog_sweep(actor=system_actor(), stalled_after=NOW)
    actuary = user_with_roles("wd-actuary", "actuary")
    services.run_retry(run=lost_run, actor=actuary)
    # three more re-sends before the watchdog gives up again
    for _ in range(MAX_RESENDS):
        assert watchdog_sweep(actor=system_actor(), stalled_after=NOW).resent == [lost_run.pk]
    assert watchdog_sweep(actor=system_actor(), stalled_after=NOW).failed == [lost_run.pk]


def test_a_segment_stored_is_progress_and_starts_the_count_again(lost_run):
    for _ in range(MAX_RESENDS - 1):
        watchdog_sweep(actor=system_actor(), stalled_after=NOW)
    # one of the re-sent segments arrives (a worker came back)
    services.run_segment_compute(run_id=lost_run.pk, segment="individual_occurrence", currency="RUB")
    lost_run.refresh_from_db()
    assert lost_run.segments_done == 1
    for _ in range(MAX_RESENDS):
        assert watchdog_sweep(actor=system_actor(), stalled_after=NOW).resent == [lost_run.pk]
    # only the two segments without results were re-sent after the one arrived
    assert [len(keys) for _, keys in lost_run.sent[-MAX_RESENDS:]] == [2] * MAX_RESENDS
    assert watchdog_sweep(actor=system_actor(), stalled_after=NOW).failed == [lost_run.pk]


def test_the_alerts_name_stuck_and_failed_runs(lost_run):
    later = timezone.now() + STALLED_AFTER + timedelta(seconds=5)
    (stuck,) = [a for a in watchdog_alerts(now=later) if a.kind != "missed schedule"]
    assert stuck.kind == "stuck run" and stuck.subject == str(lost_run)
    assert "computing 0/3" in stuck.detail
    assert "missing: clinic_claims_made RUB, individual_occurrence IRR, individual_occurrence RUB" in stuck.detail
    services.run_fail(run_id=lost_run.pk, error="worker lost")
    (failed,) = [a for a in watchdog_alerts(now=later) if a.kind != "missed schedule"]
    assert failed.kind == "failed run" and failed.detail == "worker lost; retry it"


def _daily_task(name: str, **fields) -> PeriodicTask:
    crontab, _ = CrontabSchedule.objects.get_or_create(minute="0", hour="2", day_of_month="*", month_of_year="*",
                                                       day_of_week="*", timezone="UTC")
    return PeriodicTask.objects.create(name=name, task="reserving.quarter_end_first_cut", crontab=crontab, **fields)


def test_a_schedule_that_missed_its_time_is_an_alert_and_one_on_time_is_not():
    now = timezone.now()
    _daily_task("missed", last_run_at=now - timedelta(days=3))
    _daily_task("on time", last_run_at=now - timedelta(hours=1))
    _daily_task("switched off", last_run_at=now - timedelta(days=3), enabled=False)
    _daily_task("not started yet", last_run_at=now - timedelta(days=3), start_time=now + timedelta(days=1))
    alerts = watchdog_alerts(now=now)
    assert [(a.kind, a.subject) for a in alerts] == [("missed schedule", "missed")]
    assert "reserving.quarter_end_first_cut was due and has not run (last run " in alerts[0].detail
    # due two days ago at 02:00 (the first 02:00 after the last run), not merely "some time"
    assert now - timedelta(days=3) < alerts[0].since < now - timedelta(days=1)


def test_the_patrol_sweeps_then_lists_what_is_still_wrong(lost_run):
    for _ in range(MAX_RESENDS):
        watchdog_patrol(actor=system_actor(), stalled_after=NOW)
    patrol = watchdog_patrol(actor=system_actor(), stalled_after=NOW)
    assert patrol.failed == [lost_run.pk]
    assert [a.kind for a in patrol.alerts] == ["failed run"]


def test_the_alerts_page_lists_them_for_the_reserving_roles(lost_run, client):
    from django.urls import reverse

    from core.services import demo_users_ensure

    demo_users_ensure(actor=system_actor())
    from django.contrib.auth.models import User

    services.run_fail(run_id=lost_run.pk, error="worker lost")
    client.force_login(User.objects.get(username="actuary"))
    page = client.get(reverse("reporting:alerts"), HTTP_ACCEPT_LANGUAGE="ru")
    assert page.status_code == 200
    text = page.content.decode()
    assert "сбойный расчёт" in text and f"run {lost_run.pk} ru 2024-12-31" in text and "worker lost; retry it" in text
    client.force_login(User.objects.get(username="clerk"))
    assert client.get(reverse("reporting:alerts")).status_code == 403
