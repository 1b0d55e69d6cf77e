"""Long work off the request (issue 16 §4): the book import upload and a report export start a
job, the page answers at once with the job's page, and its progress (JSON, polled) reaches done
with the result. The dispatch is held back here so the tests see the queued page, then the job
runs as a worker would (core.jobs.job_run)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core import jobs
from policies.models import Policy
from reserving import services
from tests.integration.exchange.bookfiles import FIXTURES, book_copy, cell_set
from tests.integration.reserving.runbook import approved_run, eager_celery, make_book  # noqa: F401 - fixture

# a job runs in the request unless held: eager even when CI sets a broker (the worker tests cover Celery)
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


@pytest.fixture(autouse=True)
def _jobs_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path  # the jobs' folders (uploads, exports) are the test's own


@pytest.fixture
def held(monkeypatch):
    """Jobs queued, not run: the ids in the order they were started."""
    started: list[str] = []
    monkeypatch.setattr(jobs, "_dispatch", started.append)
    return started


def _uploads(book):
    return [SimpleUploadedFile(p.name, p.read_bytes(), content_type="text/csv") for p in sorted(book.glob("*.csv"))]


def _poll(client, job_id):
    response = client.get(reverse("admin:core_job_progress", args=[job_id]))
    assert response.status_code == 200
    return response.json()


def test_the_import_returns_at_once_and_its_page_follows_the_job_to_the_report(admin_client, held):
    response = admin_client.post(reverse("admin:exchange_import"), {"files": _uploads(FIXTURES / "small")})
    [job_id] = held
    assert response.status_code == 302 and response["Location"] == reverse("admin:core_job", args=[job_id])
    assert Policy.objects.count() == 0
    page = admin_client.get(response["Location"]).content.decode()
    assert 'id="job-bar"' in page and reverse("admin:core_job_progress", args=[job_id]) in page
    queued = _poll(admin_client, job_id)
    assert (queued["status"], queued["done"], queued["result"]) == ("queued", 0, None)
    assert sorted(p.name for p in jobs.job_dir(job_id).iterdir()) == sorted(p.name for p in (FIXTURES / "small").glob("*.csv"))

    jobs.job_run(job_id)

    done = _poll(admin_client, job_id)
    assert (done["status"], done["percent"]) == ("done", 100)
    assert "  claim_transactions.csv: 13 rows" in done["result"]["report"]
    assert done["stage"].startswith("writing ")  # the import's last stage: rows written
    assert Policy.objects.count() == 4
    assert not jobs.job_dir(job_id).exists(), "the upload (patients' data) is not kept"
    assert "claim_transactions.csv: 13 rows" in admin_client.get(reverse("admin:core_job", args=[job_id])).content.decode()


def test_a_refused_book_shows_every_bad_row_on_the_job_page_and_writes_nothing(admin_client, held, tmp_path):
    book = book_copy(tmp_path)
    cell_set(book, "claims.csv", 2, "litigated", "yes")
    admin_client.post(reverse("admin:exchange_import"), {"files": _uploads(book)})
    [job_id] = held
    jobs.job_run(job_id)
    state = _poll(admin_client, job_id)
    assert state["status"] == "done" and state["result"]["refused"] is True
    assert state["result"]["errors"] == ["claims.csv:2: bad boolean in litigated: 'yes' (want true or false)"]
    assert "claims.csv:2: bad boolean in litigated" in admin_client.get(reverse("admin:core_job", args=[job_id])).content.decode()
    assert Policy.objects.count() == 0


def test_a_job_is_its_starters_only(admin_client, held, client):
    admin_client.post(reverse("admin:exchange_import"), {"files": _uploads(FIXTURES / "small")})
    [job_id] = held
    other = User.objects.create_user("other-clerk", is_staff=True)
    client.force_login(other)
    for name in ("admin:core_job", "admin:core_job_progress", "admin:core_job_download"):
        assert client.get(reverse(name, args=[job_id])).status_code == 404, name


def test_a_job_that_breaks_says_failed_instead_of_running_for_ever(admin_user, monkeypatch, settings):
    settings.BACKGROUND_JOBS = {**settings.BACKGROUND_JOBS, "broken": "tests.integration.core.test_background_jobs.broken_job"}
    job_id = jobs.job_start(kind="broken", owner=admin_user, title="broken")
    state = jobs.job_state(job_id)
    assert (state["status"], state["error"], state["done"], state["total"]) == ("failed", "ValueError: no such file", 3, 10)


def broken_job(*, job, job_id, actor):
    job.tick("reading", 3, 10)
    raise ValueError("no such file")


def test_without_any_background_the_import_page_shows_the_report_in_the_answer(admin_client):
    response = admin_client.post(reverse("admin:exchange_import"), {"files": _uploads(FIXTURES / "small")})
    assert response.status_code == 200
    assert "claim_transactions.csv: 13 rows" in response.content.decode()


def test_a_report_export_is_prepared_in_the_background_and_downloaded_from_its_page(client, held,
                                                                                    django_capture_on_commit_callbacks):
    from core.roles import system_actor
    from reporting.services import report_export

    services.ensure_roles()
    actuary = User.objects.create_user("actuary-j", is_staff=True)
    actuary.groups.add(Group.objects.get(name="actuary"))
    approver = User.objects.create_user("approver-j", is_staff=True)
    approver.groups.add(Group.objects.get(name="approver"))
    make_book(seed=5, policies=40, recorded_at=timezone.now() - timedelta(days=30))
    run = approved_run({"actuary": actuary, "approver": approver}, django_capture_on_commit_callbacks, date(2024, 12, 31))
    client.force_login(approver)
    assert reverse("reporting:export-start", args=[run.pk]) in client.get(reverse("reporting:exports")).content.decode()
    assert client.get(reverse("reporting:export-start", args=[run.pk])).status_code == 405

    response = client.post(reverse("reporting:export-start", args=[run.pk]), {"format": "summary-csv"})
    [job_id] = held
    assert response["Location"] == reverse("admin:core_job", args=[job_id])
    assert _poll(client, job_id)["status"] == "queued"
    jobs.job_run(job_id)
    state = _poll(client, job_id)
    assert (state["status"], state["done"], state["total"]) == ("done", 2, 2)
    filename = f"run{run.pk}-2024-12-31-summary-csv.csv"
    assert state["result"]["filename"] == filename
    assert filename in client.get(reverse("admin:core_job", args=[job_id])).content.decode()
    download = client.get(reverse("admin:core_job_download", args=[job_id]))
    assert download["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert b"".join(download.streaming_content) == report_export(run=run, fmt="summary-csv", actor=system_actor()).content


def test_an_unknown_format_starts_nothing(admin_client, held):
    response = admin_client.post(reverse("reporting:export-start", args=[999999]), {"format": "summary-csv"})
    assert response.status_code == 404 and held == []


def test_a_run_not_approved_is_refused_by_the_export_and_the_job_page_says_why(admin_client, admin_user):
    run = services.run_create(valuation_date=date(2024, 12, 31), actor=admin_user)
    response = admin_client.post(reverse("reporting:export-start", args=[run.pk]), {"format": "gl-csv"})
    job_id = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    state = _poll(admin_client, job_id)
    assert (state["status"], state["error"]) == ("failed", f"run {run.pk} is draft: reports are made from approved runs only")
    assert state["error"] in admin_client.get(response["Location"]).content.decode()


def test_the_api_answers_the_same_progress(admin_client, admin_user, held, client):
    from rest_framework.test import APIRequestFactory, force_authenticate

    from core import api_urls

    admin_client.post(reverse("admin:exchange_import"), {"files": _uploads(FIXTURES / "small")})
    [job_id] = held
    jobs.job_run(job_id)
    view = api_urls.JobProgressView.as_view()
    request = APIRequestFactory().get(f"/api/v1/jobs/{job_id}/")
    force_authenticate(request, user=admin_user)
    answer = view(request, job_id=job_id)
    assert answer.status_code == 200 and answer.data == _poll(admin_client, job_id)
    other = User.objects.create_user("other-api", is_staff=True)
    request = APIRequestFactory().get(f"/api/v1/jobs/{job_id}/")
    force_authenticate(request, user=other)
    assert view(request, job_id=job_id).status_code == 404
