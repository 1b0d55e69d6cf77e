"""Test-wide fixtures.

Integration tests that need real services carry the `services` marker (or use the
`celery_worker_process` fixture). Without services they are skipped with a reason; under
REQUIRE_SERVICES=1 (CI) a missing service is a failure, never a skip.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config):
    # Hashing passwords at production strength costs ~0.3 s a user; tests need no strength.
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"

# Hypothesis profiles. `ci` (the default, so `make test` on a fresh clone is deterministic): the
# examples are derived from each test's name, not drawn at random, and nothing depends on the
# clock (no deadline, no too_slow health check: a shared machine's timing is not a result).
# `deep` (HYPOTHESIS_PROFILE=deep, locally): random, and 20× each test's own example budget
# (tests/budget.py scales by max_examples / 100).
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True,
                                     suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.register_profile("deep", max_examples=2000, deadline=None, print_blob=True)
# `quick` (make test-fast): as `ci`, with a quarter of each budget (tests/budget.py).
hypothesis_settings.register_profile("quick", parent=hypothesis_settings.get_profile("ci"), max_examples=25)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _services_missing() -> str | None:
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        return "DATABASE_URL is not a PostgreSQL database"
    if not settings.CELERY_BROKER_URL:
        return "CELERY_BROKER_URL is not set"
    try:
        import redis

        redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=3).ping()
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no Redis"
        return f"Redis at {settings.CELERY_BROKER_URL} unreachable: {exc}"
    return None


def services_or_skip() -> None:
    reason = _services_missing()
    if reason is None:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(f"needs real services: {reason}")


@pytest.fixture(autouse=True)
def _language_not_left_behind():
    """A request with a language cookie leaves that language active in the thread (Django's
    LocaleMiddleware activates it and nothing deactivates it): every test starts in English."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _closed_periods_not_cached():
    """The closed periods are cached (core.period_cache) and a test's database is rolled back under
    the cache: every test starts and ends with nothing cached."""
    from django.core.cache import cache

    from core.period_cache import closed_periods_key

    cache.delete(closed_periods_key())
    yield
    cache.delete(closed_periods_key())


@pytest.fixture(autouse=True)
def _services_marker(request):
    if request.node.get_closest_marker("services"):
        services_or_skip()


@pytest.fixture
def celery_worker_process(transactional_db, request):
    """A real `celery worker` process on the configured Redis broker, pointed at the test
    database, so tasks run exactly as in production. Yields the Popen; stops it afterwards.
    `@pytest.mark.worker_app("module")` starts it with another Celery app module (a test's
    worker that wraps the real one)."""
    services_or_skip()
    from django.conf import settings
    from django.db import connection

    marker = request.node.get_closest_marker("worker_app")
    worker_app = marker.args[0] if marker else "config"
    env = dict(os.environ)
    db = settings.DATABASES["default"]
    env["DATABASE_URL"] = (
        f"postgres://{db.get('USER') or 'postgres'}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{connection.settings_dict['NAME']}"
    )
    env["CELERY_BROKER_URL"] = settings.CELERY_BROKER_URL
    log_dir = ROOT / "test-output"
    log_dir.mkdir(exist_ok=True)
    log = open(log_dir / "celery-worker.log", "ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", worker_app, "worker", "--pool=solo", "--loglevel=INFO",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"test-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    from config.celery import app

    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail("celery worker exited at start; see test-output/celery-worker.log")
        try:
            if app.control.ping(timeout=1.0):
                break
        except Exception:  # noqa: BLE001 - broker still starting
            pass
        time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("celery worker did not answer a ping within 60 s")
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()
