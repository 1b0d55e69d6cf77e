"""Reserve runs that heal themselves (issue 14 §6), each under a real fault, no mocks: a worker's
database connection terminated by `pg_terminate_backend` at every step of every segment; the
worker SIGKILLed mid-run; a Redis of the test's own restarted mid-run (losing every queued
message); the API posting while a run computes, with its own connection dropped. Each run ends
computed, on its own (the tasks' retries and the watchdog, never a person), with results equal
to a clean run's, never half-written; every posting sent is stored exactly once.

The faults land at known steps through the gate of fault_gate_worker (the worker waits before a
segment reads its inputs and before it stores them until the test has injected the fault), so
nothing passes or fails by timing. tests/functional/conftest.py prints the count of faults."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from core.roles import system_actor
from reserving import services
from reserving.models import ReserveRun, RunOriginResult, RunSegmentResult
from reserving.watchdog import watchdog_sweep
from tests.functional import faults
from tests.functional.faults import LEDGER
from tests.integration.reserving.runbook import make_book

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

V = date(2024, 12, 31)
# The tests' watchdog: what beat does every minute, with a stall threshold of seconds, not minutes.
STALLED_AFTER = timedelta(seconds=4)
RESULT_FIELDS = ("upr", "rbns", "ibnr", "ulae", "premium_deficiency", "ibnr_method", "earned_premium", "paid", "case",
                 "triangles", "factors", "selections", "bootstrap", "provenance")
ORIGIN_FIELDS = ("origin", "paid", "case", "ultimate", "ibnr", "mack_se", "method", "ultimates", "maturity", "apriori",
                 "flags")


def snapshot(run: ReserveRun) -> list[dict]:
    """Everything a run stored, comparable between runs."""
    return [{"key": (r.segment, r.currency), **{f: getattr(r, f) for f in RESULT_FIELDS},
             "origins": [{f: getattr(o, f) for f in ORIGIN_FIELDS} for o in r.origins.order_by("origin")]}
            for r in RunSegmentResult.objects.filter(run=run).order_by("segment", "currency")]


@pytest.fixture
def clean_run():
    """A book and its run computed without faults (in-process), and the cut-off to reproduce it."""
    from config.celery import app

    make_book(seed=61, policies=60, recorded_at=timezone.now() - timedelta(days=1))
    cut_off = timezone.now()
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        run = services.run_compute(run=services.run_create(valuation_date=V, cut_off=cut_off, actor=system_actor()),
                                   actor=system_actor())
    finally:
        app.conf.task_always_eager = before
    run.refresh_from_db()
    assert run.status == "computed" and run.segments_total == 3
    return run


@pytest.fixture
def gate():
    g = faults.Gate()
    yield g
    g.close()


def start_run(clean: ReserveRun) -> ReserveRun:
    run = services.run_create(valuation_date=V, cut_off=clean.cut_off, actor=system_actor())
    return services.run_compute(run=run, actor=system_actor())


def computed(run: ReserveRun):
    run.refresh_from_db()
    assert run.status in ("computing", "computed"), f"run {run.pk} is {run.status}: {run.error}"
    return run.status == "computed"


def heal():
    watchdog_sweep(actor=system_actor(), stalled_after=STALLED_AFTER)


def assert_as_clean(run: ReserveRun, clean: ReserveRun) -> None:
    run.refresh_from_db()
    assert run.status == "computed" and run.segments_done == run.segments_total == clean.segments_total
    assert run.input_fingerprint == clean.input_fingerprint
    assert snapshot(run) == snapshot(clean)
    # never half-written: every segment row has all its origins, and nothing else was stored
    assert RunSegmentResult.objects.filter(run=run).count() == run.segments_total
    assert (RunOriginResult.objects.filter(segment_result__run=run).count()
            == RunOriginResult.objects.filter(segment_result__run=clean).count())
    LEDGER.runs_checked += 1
    LEDGER.write()


def test_a_run_survives_its_database_connection_dropped_at_every_step(clean_run, gate):
    """Each segment loses its connection twice before it reads its inputs and twice before it
    stores: 12 drops. The task retries itself on the OperationalError (the computation is not
    failed for it) and reconnects."""
    worker = faults.start_worker(env=gate.env, name="pgdrop")
    me = faults.own_backend_pid()

    def drop_twice_at_each_step(visit):
        if visit.n < 2:
            assert faults.drop_connections(sparing=[me]) >= 1
            LEDGER.fault("postgres connection dropped")

    try:
        run = start_run(clean_run)
        gate.serve(drop_twice_at_each_step, until=lambda: computed(run), seconds=150)
    finally:
        faults.stop_worker(worker)
    assert_as_clean(run, clean_run)
    assert sorted((v.point, v.n) for v in gate.released if v.n < 2) == sorted(
        [(p, n) for p in ("inputs", "store") for n in (0, 1)] * 3)


def test_a_run_survives_its_worker_killed_mid_run(clean_run, gate):
    """SIGKILL while a segment is computed in memory and not yet stored, twice (two segments).
    Nothing of it is stored; the message stays unacknowledged in Redis, and the watchdog re-sends
    the missing segments to the worker started in its place."""
    workers = [faults.start_worker(env=gate.env, name="sigkill")]
    kills = []

    def kill_before_two_segments_store(visit):
        if visit.point == "store" and visit.n == 0 and len(kills) < 2:
            faults.kill_worker(workers[-1])
            kills.append(visit.key)
            LEDGER.fault("worker SIGKILL")
            assert not RunSegmentResult.objects.filter(run_id=visit.run_id, segment=visit.segment,
                                                       currency=visit.currency).exists()
            workers.append(faults.start_worker(env=gate.env, name="sigkill"))

    try:
        run = start_run(clean_run)
        gate.serve(kill_before_two_segments_store, until=lambda: computed(run), seconds=180, between=heal)
    finally:
        for w in workers:
            faults.stop_worker(w)
        faults.forget_broker_messages()
    assert len(kills) == 2 and len(set(kills)) == 2
    assert run.events.filter(verb="retry", actor__username="system").exists()  # the watchdog healed it
    assert_as_clean(run, clean_run)


def test_a_run_survives_a_redis_restart_mid_run(clean_run, gate):
    """The broker (a redis-server of the test's own, without persistence) restarts twice while a
    segment is computing: every queued and unacknowledged message is lost. The computing segment
    still stores; the worker reconnects; the watchdog re-sends what was lost."""
    redis = faults.PrivateRedis()
    redis.start()
    restarts = []
    worker = None

    def restart_before_two_segments_store(visit):
        if visit.point == "store" and visit.n == 0 and len(restarts) < 2:
            redis.restart()
            restarts.append(visit.key)
            LEDGER.fault("redis restart")

    try:
        with faults.producer_broker(redis.url):
            worker = faults.start_worker(env=gate.env, broker_url=redis.url, name="redis")
            run = start_run(clean_run)
            gate.serve(restart_before_two_segments_store, until=lambda: computed(run), seconds=180, between=heal)
    finally:
        if worker is not None:
            faults.stop_worker(worker)
        redis.close()
    assert len(restarts) == 2
    assert run.events.filter(verb="retry", actor__username="system").exists()
    assert_as_clean(run, clean_run)


def _clerk():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    services.ensure_roles()
    user = get_user_model().objects.create_user("fault-clerk", password="x")
    user.groups.add(Group.objects.get(name="clerk"))
    from django.contrib.auth.models import Permission

    user.user_permissions.set(Permission.objects.filter(codename__in=["add_policy", "add_premiumtransaction"]))
    return user


def _policy_posting(i: int) -> dict:
    return {"policy_number": f"FLT-{i:03d}", "insured_name": f"Fault Insured {i}", "profession": "nurse",
            "risk_group": 1, "segment": "individual_occurrence", "basis": "occurrence", "currency": "RUB",
            "inception_date": "2025-02-01", "expiry_date": "2026-01-31", "issue_date": "2025-01-20",
            "limit_per_claim": "1000000.00", "aggregate_limit": "3000000.00", "deductible_amount": "0.00",
            "gross_premium": "12000.00", "commission": "1200.00"}


def test_postings_sent_while_a_run_computes_are_stored_exactly_once(clean_run, gate):
    """While a real worker computes a run, the API books policies (each with its original
    premium row): five at every step of every segment, the API's own database connection dropped
    before every third (the request fails with 500 and writes nothing; the client sends it
    again), the worker's dropped once before each segment stores. Every posting is stored once;
    the run, which reads the book as at its cut-off, equals the clean run."""
    from rest_framework.test import APIClient

    from policies.models import Policy, PremiumTransaction

    client = APIClient()
    client.force_authenticate(_clerk())
    client.raise_request_exception = False  # a dropped connection is a 500 to the client, as in production
    sent: list[str] = []
    answers: dict[int, int] = {}

    def post(i: int) -> None:
        if i % 3 == 2:
            assert faults.drop_connections(pids=[faults.own_backend_pid()]) == 1
            LEDGER.fault("api connection dropped")
        for _attempt in range(3):  # the client's retry of a failed request
            response = client.post("/api/v1/policies/", _policy_posting(i), format="json")
            answers[response.status_code] = answers.get(response.status_code, 0) + 1
            if response.status_code == 201:
                sent.append(f"FLT-{i:03d}")
                return
            assert response.status_code == 500, response.content
        raise AssertionError(f"posting {i} not stored after 3 attempts")

    def post_and_drop_worker(visit):
        for _ in range(5):
            post(len(sent))
        if visit.point == "store" and visit.n == 0:
            assert faults.drop_connections(sparing=[faults.own_backend_pid()]) >= 1
            LEDGER.fault("postgres connection dropped")

    worker = faults.start_worker(env=gate.env, name="api")
    try:
        run = start_run(clean_run)
        gate.serve(post_and_drop_worker, until=lambda: computed(run), seconds=150)
    finally:
        faults.stop_worker(worker)
    stored = list(Policy.objects.filter(policy_number__startswith="FLT-").values_list("policy_number", flat=True))
    premiums = PremiumTransaction.objects.filter(policy__policy_number__startswith="FLT-")
    LEDGER.postings_sent += len(sent)
    LEDGER.postings_stored += len(stored)
    LEDGER.rows_lost += len(set(sent) - set(stored))
    LEDGER.write()
    # each segment: inputs, store (its connection dropped), then again inputs and store
    assert len(gate.released) == 12 and len(sent) == 5 * 12
    assert sorted(stored) == sorted(sent) and premiums.count() == len(sent)
    assert answers[500] == len([i for i in range(len(sent)) if i % 3 == 2])
    assert_as_clean(run, clean_run)
