"""A run reads its inputs once (issue 15 §1): run_compute collects every segment's aggregates in
one pass and stores each segment's slice; the segment tasks compute from their slice and never
query the ledgers again, so a quarter end costs one pass over the book, not one per segment."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims.models import ClaimTransaction
from core.roles import system_actor
from policies.models import PremiumTransaction
from reserving import services
from tests.integration.reserving.runbook import eager_celery, make_book  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]


def test_segment_tasks_compute_from_the_stored_slice_without_reading_the_ledgers(django_capture_on_commit_callbacks):
    make_book(seed=21, policies=150, recorded_at=timezone.now() - timedelta(days=30))
    actor = system_actor()
    run = services.run_create(valuation_date=date(2024, 12, 31), actor=actor)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.run_compute(run=run, actor=actor)
    assert run.segment_inputs.count() == 3
    ledgers = (ClaimTransaction._meta.db_table, PremiumTransaction._meta.db_table)
    with CaptureQueriesContext(connection) as queries:
        for callback in callbacks:
            callback()
    run.refresh_from_db()
    assert run.status == "computed" and run.segment_results.count() == 3
    read = [q["sql"] for q in queries.captured_queries if any(t in q["sql"] for t in ledgers)]
    assert read == [], read[:1]
    # and the result is the one the inputs collected now give
    fresh = services.run_rerun(run=run, actor=actor)
    fresh.refresh_from_db()
    assert fresh.input_fingerprint == run.input_fingerprint and fresh.identical is True


def test_run_compute_builds_the_as_at_views_once_for_the_inputs_and_the_data_checks(django_capture_on_commit_callbacks):
    """The input collection and the data checks read the same as-at tables: one build (a policy,
    a claim and a claimed-policy table) per run, not one each."""
    make_book(seed=22, policies=60, recorded_at=timezone.now() - timedelta(days=30))
    actor = system_actor()
    run = services.run_create(valuation_date=date(2024, 12, 31), actor=actor)
    with django_capture_on_commit_callbacks(execute=False):
        with CaptureQueriesContext(connection) as queries:
            services.run_compute(run=run, actor=actor)
    created = [q["sql"].split("(")[0].split()[-1] for q in queries.captured_queries
               if q["sql"].startswith("CREATE TEMPORARY TABLE")]
    assert len(created) == 3 and created[0].startswith("asof_policy_") and created[1].startswith("asof_claim_")
    assert created[2].startswith("asof_claimed_")
    # the data checks ran (stored on the run) and both tables were dropped after
    assert run.data_checks.filter(code="origin_grain").count() == 1
    dropped = [q["sql"].split()[-1] for q in queries.captured_queries if q["sql"].startswith("DROP TABLE")]
    assert sorted(dropped) == sorted(created)
