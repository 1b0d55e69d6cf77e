"""The reserve-run API: create and compute, follow, acknowledge, submit, approve, reject, preview,
with refusals as 400 field maps and authentication everywhere."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone
from rest_framework.test import APIClient

from reserving import services
from tests.integration.reserving.runbook import eager_celery, make_book  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]


@pytest.fixture
def clients():
    services.ensure_roles()
    actuary = User.objects.create_user("api-actuary")
    actuary.groups.add(Group.objects.get(name="actuary"))
    approver = User.objects.create_user("api-approver")
    approver.groups.add(Group.objects.get(name="approver"))
    a, b = APIClient(), APIClient()
    a.force_authenticate(actuary)
    b.force_authenticate(approver)
    return a, b


def test_run_lifecycle_through_the_api(clients):
    actuary, approver = clients
    make_book(seed=61, policies=80, recorded_at=timezone.now() - timedelta(days=1))
    r = actuary.post("/api/v1/reserve-runs/", {"valuation_date": "2024-12-31", "regime": "ru"}, format="json")
    assert r.status_code == 201, r.json()
    run = r.json()
    assert run["status"] == "computed" and len(run["segments"]) == 3
    assert isinstance(run["segments"][0]["ibnr"], str)
    p = actuary.get(f"/api/v1/reserve-runs/{run['id']}/progress/").json()
    assert p["segments_done"] == p["segments_total"] == 3
    seg = run["segments"][0]
    prev = actuary.post(f"/api/v1/reserve-runs/{run['id']}/preview/",
                        {"segment": seg["segment"], "currency": seg["currency"], "selection": {"tail": 1.1}}, format="json")
    assert prev.status_code == 200 and "ibnr" in prev.json()
    for check in run["data_checks"]:
        assert actuary.post(f"/api/v1/reserve-runs/{run['id']}/checks/{check['id']}/acknowledge/").status_code == 200
    assert approver.post(f"/api/v1/reserve-runs/{run['id']}/submit/").status_code == 403  # not an actuary
    assert actuary.post(f"/api/v1/reserve-runs/{run['id']}/submit/").json()["status"] == "submitted"
    refused = actuary.post(f"/api/v1/reserve-runs/{run['id']}/approve/")
    assert refused.status_code == 403 and "non_field_errors" in refused.json()  # the preparer; maker-checker
    ok = approver.post(f"/api/v1/reserve-runs/{run['id']}/approve/")
    assert ok.json()["status"] == "approved"
    closed = approver.post("/api/v1/period-close/", {"label": "2024Q4"}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    listed = actuary.get("/api/v1/reserve-runs/?status=approved").json()
    assert [x["id"] for x in listed["results"]] == [run["id"]]


def test_bad_input_is_a_400_with_a_field_map(clients):
    actuary, approver = clients
    r = actuary.post("/api/v1/reserve-runs/", {"valuation_date": "2024-12-30"}, format="json")
    assert r.status_code == 400 and "valuation_date" in r.json()
    r = actuary.post("/api/v1/reserve-runs/", {"valuation_date": "2024-12-31", "compute": False}, format="json")
    run_id = r.json()["id"]
    r = approver.post(f"/api/v1/reserve-runs/{run_id}/reject/", {"reason": "x"}, format="json")
    assert r.status_code == 400 and "status" in r.json()


def test_the_api_needs_authentication():
    assert APIClient().get("/api/v1/reserve-runs/").status_code in (401, 403)


def test_a_typed_ultimate_without_a_note_is_refused_through_the_api_too(clients):
    actuary, _approver = clients
    make_book(seed=62, policies=60, recorded_at=timezone.now() - timedelta(days=1))
    run = actuary.post("/api/v1/reserve-runs/", {"valuation_date": "2024-12-31", "regime": "ru"}, format="json").json()
    seg = next(s for s in run["segments"] if s["segment"] == "individual_occurrence" and s["currency"] == "RUB")
    origin = seg["origins"][0]["origin"] if seg.get("origins") else "2024"
    url = f"/api/v1/reserve-runs/{run['id']}/selections/"
    body = {"segment": seg["segment"], "currency": seg["currency"], "selection": {"ultimates": {origin: 1000.0}}}
    refused = actuary.post(url, body, format="json")
    assert refused.status_code == 400 and "needs a note" in " ".join(refused.json()["note"])
    assert services.ReserveRun.objects.get(pk=run["id"]).selections == {}
    body["selection"]["note"] = "a large claim reported after the cut-off"
    saved = actuary.post(url, body, format="json")
    assert saved.status_code == 200, saved.json()
    assert services.ReserveRun.objects.get(pk=run["id"]).selections[f"{seg['segment']}|RUB"]["ultimates"] == {origin: 1000.0}
