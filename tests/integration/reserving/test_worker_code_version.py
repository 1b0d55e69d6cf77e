"""A segment task on a worker whose code differs from the code the run began with (a host not yet
upgraded) stores nothing and fails the run, retryable, saying both versions (docs/scaling.md)."""
from __future__ import annotations

from datetime import date, timedelta
from unittest import mock

import pytest
from django.utils import timezone

from core.roles import system_actor
from reserving import compute, services
from reserving.models import RunSegmentResult
from reserving.tasks import compute_segment_task
from tests.integration.reserving.runbook import eager_celery, make_book  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def test_a_worker_on_other_code_stores_nothing_and_fails_the_run_naming_both_versions(django_capture_on_commit_callbacks):
    make_book(seed=58, policies=40, recorded_at=timezone.now() - timedelta(days=1))
    run = services.run_create(valuation_date=date(2024, 12, 31), actor=system_actor())
    with mock.patch("reserving.services._dispatch"):
        run = services.run_compute(run=run, actor=system_actor())
    assert run.status == "computing" and run.engine_version == compute.engine_version()
    with mock.patch("reserving.compute.engine_version", return_value="f" * 64):
        with pytest.raises(services.DomainError):
            compute_segment_task.apply(args=(run.pk, "individual_occurrence", "RUB")).get()
    run.refresh_from_db()
    assert run.status == "failed" and not RunSegmentResult.objects.filter(run=run).exists()
    assert f"engine version {'f' * 12}" in run.error and run.engine_version[:12] in run.error
    with django_capture_on_commit_callbacks(execute=True):  # on the run's own code it completes
        services.run_retry(run=run, actor=system_actor())
    run.refresh_from_db()
    assert run.status == "computed" and run.segments_done == run.segments_total == 3
