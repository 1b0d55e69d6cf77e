"""Workers on two hosts split a run (issue 15 §7): two network namespaces, each reaching the one
PostgreSQL and the one Redis only through a forwarder on its link (benchmarks/hosts.py), each
running a Celery worker of its own name; a run with three segments is computed, every segment
once, and both hosts took part. Where namespaces cannot be made, the same with two plain worker
processes (the fallback the issue allows) — CI runs as root, so it takes the namespaces."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from benchmarks import hosts as worker_hosts
from core.roles import system_actor
from reserving import services
from reserving.models import RunSegmentResult
from tests.conftest import ROOT
from tests.functional.test_reserve_run_workers import _wait
from tests.integration.reserving.runbook import make_book

pytestmark = pytest.mark.services

V = date(2024, 12, 31)


@pytest.fixture
def two_hosts(transactional_db):
    from tests.conftest import services_or_skip

    services_or_skip()
    db = settings.DATABASES["default"]
    database_url = (f"postgres://{db.get('USER') or 'postgres'}@{db.get('HOST') or '127.0.0.1'}:"
                    f"{db.get('PORT') or 5432}/{connection.settings_dict['NAME']}")
    # each segment pauses before it stores, so that neither worker can take all three alone
    made = worker_hosts.start(count=2, database_url=database_url, broker_url=settings.CELERY_BROKER_URL,
                              log_dir=ROOT / "test-output" / "hosts", worker_app="tests.functional.slow_store_worker",
                              env={"MEDMAL_TEST_STORE_PAUSE": "2"})
    try:
        yield made
    finally:
        made.stop()


def test_two_hosts_share_one_database_and_broker_and_split_a_run(two_hosts):
    if two_hosts.isolated:
        for h in two_hosts.hosts:  # the database is reachable from a host only through its link
            assert not h.reaches("127.0.0.1", 5432), f"host {h.index} reaches the machine's loopback"
            assert h.reaches(h.database_url.split("@")[1].split(":")[0], worker_hosts.DB_PORT)
    make_book(seed=57, policies=90, recorded_at=timezone.now() - timedelta(days=1))
    run = services.run_create(valuation_date=V, actor=system_actor())
    run = services.run_compute(run=run, actor=system_actor())
    assert run.segments_total == 3
    run = _wait(run.pk, "computed", seconds=120)
    assert run.segments_done == 3 and RunSegmentResult.objects.filter(run=run).count() == 3
    done = worker_hosts.tasks_done(settings.CELERY_BROKER_URL, [h.node for h in two_hosts.hosts])
    per_host = {node: tasks.get("reserving.compute_segment", 0) for node, tasks in done.items()}
    assert sum(per_host.values()) == 3, per_host
    assert all(n >= 1 for n in per_host.values()), per_host
