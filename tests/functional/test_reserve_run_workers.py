"""Segment tasks on Celery: a real worker on Redis computes a run; a duplicated segment task does
not duplicate results; a worker killed mid-task leaves no partial results and the run can be
retried to completion."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta

import pytest
from django.utils import timezone

from reserving import services
from reserving.models import ReserveRun, RunOriginResult, RunSegmentResult
from reserving.tasks import compute_segment_task
from tests.conftest import ROOT
from tests.integration.reserving.runbook import eager_celery, make_book  # noqa: F401 - fixture
from core.roles import system_actor

V = date(2024, 12, 31)


def _wait(run_id: int, status: str, seconds: float = 90) -> ReserveRun:
    deadline = time.time() + seconds
    while time.time() < deadline:
        run = ReserveRun.objects.get(pk=run_id)
        if run.status == status:
            return run
        time.sleep(0.3)
    raise AssertionError(f"run {run_id} is {ReserveRun.objects.get(pk=run_id).status}, not {status}, after {seconds}s")


def _start_worker() -> subprocess.Popen:
    """A second worker like conftest's celery_worker_process (that fixture starts only one)."""
    from django.conf import settings
    from django.db import connection

    from config.celery import app

    db = settings.DATABASES["default"]
    env = dict(os.environ, CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
               DATABASE_URL=f"postgres://{db.get('USER') or 'postgres'}@{db.get('HOST') or '127.0.0.1'}:"
                            f"{db.get('PORT') or 5432}/{connection.settings_dict['NAME']}")
    log = open(ROOT / "test-output" / "celery-worker.log", "ab")
    proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO",
                             "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"second-{os.getpid()}@%h"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if app.control.ping(timeout=1.0):
                return proc
        except Exception:  # noqa: BLE001 - broker still starting
            pass
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)
    raise AssertionError("second worker did not start")


def _forget_unacked() -> None:
    """The killed worker's message would be redelivered after Redis's visibility timeout (an
    hour) to some later test's worker; drop it so the broker db is clean."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete("unacked", "unacked_index", "celery")


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_computes_a_run(celery_worker_process):
    make_book(seed=51, policies=90, recorded_at=timezone.now() - timedelta(days=1))
    run = services.run_create(valuation_date=V, actor=system_actor())
    run = services.run_compute(run=run, actor=system_actor())
    assert run.status == "computing" and run.segments_total == 3
    run = _wait(run.pk, "computed")
    assert run.segments_done == 3
    assert RunSegmentResult.objects.filter(run=run).count() == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager_celery")
def test_a_duplicated_segment_task_does_not_duplicate_results():
    make_book(seed=52, policies=60, recorded_at=timezone.now() - timedelta(days=1))
    run = services.run_create(valuation_date=V, actor=system_actor())
    # computing state without dispatch: the on_commit hook would send tasks; run them by hand
    from unittest import mock

    with mock.patch("reserving.services._dispatch"):
        run = services.run_compute(run=run, actor=system_actor())
    assert run.status == "computing"
    compute_segment_task.apply(args=(run.pk, "individual_occurrence", "RUB")).get()
    first = RunSegmentResult.objects.get(run=run, segment="individual_occurrence", currency="RUB")
    n_origins = first.origins.count()
    compute_segment_task.apply(args=(run.pk, "individual_occurrence", "RUB")).get()
    assert RunSegmentResult.objects.filter(run=run).count() == 1
    again = RunSegmentResult.objects.get(run=run, segment="individual_occurrence", currency="RUB")
    assert again.pk == first.pk and again.origins.count() == n_origins and again.ibnr == first.ibnr
    run.refresh_from_db()
    assert run.segments_done == 1 and run.status == "computing"
    for seg, cur in (("clinic_claims_made", "RUB"), ("individual_occurrence", "IRR")):
        compute_segment_task.apply(args=(run.pk, seg, cur)).get()
    run.refresh_from_db()
    assert run.status == "computed" and run.segments_done == 3
    # a late duplicate after completion changes nothing
    compute_segment_task.apply(args=(run.pk, "clinic_claims_made", "RUB")).get()
    run.refresh_from_db()
    assert run.segments_done == 3 and RunSegmentResult.objects.filter(run=run).count() == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker_app("tests.functional.slow_store_worker")
def test_a_killed_worker_leaves_no_partial_results_and_the_run_is_retryable(celery_worker_process):
    make_book(seed=53, policies=60, recorded_at=timezone.now() - timedelta(days=1))
    run = services.run_create(valuation_date=V, actor=system_actor())
    run = services.run_compute(run=run, actor=system_actor())
    time.sleep(3.0)  # the first segment is computed in memory and now sleeping before it stores
    os.killpg(celery_worker_process.pid, signal.SIGKILL)
    celery_worker_process.wait(timeout=10)
    run.refresh_from_db()
    assert run.status == "computing" and run.segments_done == 0
    assert not RunSegmentResult.objects.filter(run=run).exists() and not RunOriginResult.objects.exists()
    second = _start_worker()
    try:
        services.run_retry(run=run, actor=system_actor())
        run = _wait(run.pk, "computed", seconds=120)
        assert RunSegmentResult.objects.filter(run=run).count() == 3 == run.segments_done
        per_segment = {r.pk: r.origins.count() for r in RunSegmentResult.objects.filter(run=run)}
        assert RunOriginResult.objects.filter(segment_result__run=run).count() == sum(per_segment.values())
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        try:
            second.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(second.pid, signal.SIGKILL)
        _forget_unacked()
