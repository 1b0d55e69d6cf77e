"""Without a broker, the demo's server computes a run's segments in a thread of its own
(RUN_SEGMENTS_IN_THREAD, issue 16 §4): "compute" in the admin returns while the run is still
computing, the progress endpoint follows it, and the run ends computed as it would in-process."""
from __future__ import annotations

import threading
import time
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reserving import services
from reserving.models import ReserveRun
from tests.integration.reserving.runbook import actuary, eager_celery, make_book  # noqa: F401 - fixtures

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]


def _wait_for(predicate, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_compute_returns_at_once_and_the_page_follows_the_progress(actuary, settings, monkeypatch):
    settings.RUN_SEGMENTS_IN_THREAD = True
    gate, started = threading.Event(), []
    real = services.run_segment_compute

    def held(**kwargs):  # each segment waits until the test lets it go
        started.append(kwargs["segment"])
        assert gate.wait(60), "the test never released the segments"
        return real(**kwargs)

    monkeypatch.setattr(services, "run_segment_compute", held)
    make_book(seed=97, policies=45, recorded_at=timezone.now() - timedelta(days=1))
    run = services.run_create(valuation_date=date(2024, 12, 31), actor=actuary.user)

    response = actuary.post(reverse("admin:reserving_run_action", args=[run.pk, "compute"]))
    assert response.status_code == 302  # answered while the segments are held
    assert _wait_for(lambda: started)
    progress = actuary.get(reverse("admin:reserving_run_progress", args=[run.pk])).json()
    assert progress == {"status": "computing", "segments_done": 0, "segments_total": 3, "error": ""}
    page = actuary.get(reverse("admin:reserving_reserverun_change", args=[run.pk]))
    assert page.status_code == 200 and b'id="run-progress">0/3' in page.content

    # the test's in-memory SQLite locks whole tables: read again only once the thread is done
    (worker,) = [t for t in threading.enumerate() if t.name == f"run-{run.pk}-segments"]
    gate.set()
    worker.join(60)
    assert not worker.is_alive()
    assert ReserveRun.objects.get(pk=run.pk).status == "computed"
    progress = actuary.get(reverse("admin:reserving_run_progress", args=[run.pk])).json()
    assert progress["segments_done"] == progress["segments_total"] == 3
    # one thread computed the three segments in turn
    assert sorted(started) == ["clinic_claims_made", "individual_occurrence", "individual_occurrence"]


def test_without_the_setting_an_eager_run_computes_before_compute_returns(actuary, settings):
    settings.RUN_SEGMENTS_IN_THREAD = False
    make_book(seed=98, policies=45, recorded_at=timezone.now() - timedelta(days=1))
    run = services.run_create(valuation_date=date(2024, 12, 31), actor=actuary.user)
    actuary.post(reverse("admin:reserving_run_action", args=[run.pk, "compute"]))
    assert ReserveRun.objects.get(pk=run.pk).status == "computed"
