"""The reserve summary a user downloads is in the user's language (issue 16 §2): the dashboard's
link and the background job give the Russian or Persian file the language cookie asks for, the
API the one Accept-Language asks for; without a language, and from `export_report` unless
`--language` says otherwise, the English layout of codes, as before.

Needs the compiled catalogues (`make messages`, a prerequisite of `make test`)."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from core import jobs
from core.money import money_round
from core.roles import system_actor
from reporting.exports.summary import COLUMNS
from reporting.services import report_export
from tests.integration.reserving.runbook import approved_run, eager_celery, make_book, people  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]
COOKIE = settings.LANGUAGE_COOKIE_NAME


@pytest.fixture(autouse=True)
def _compiled_catalogues(settings, tmp_path):
    settings.VAR_DIR = tmp_path  # the jobs' folders are the test's own
    for language in ("ru", "fa"):
        if not (Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.mo").exists():
            pytest.fail(f"locale/{language}/LC_MESSAGES/django.mo missing: run `make messages`")


def _rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_the_download_and_the_job_follow_the_language_and_scripts_get_the_codes(
        people, client, monkeypatch, tmp_path, django_capture_on_commit_callbacks):
    make_book(seed=5, policies=40, recorded_at=timezone.now() - timedelta(days=30))
    run = approved_run(people, django_capture_on_commit_callbacks, date(2024, 12, 31))
    client.force_login(people["approver"])
    url = reverse("reporting:download", args=[run.pk, "summary-csv"])
    got = {}
    for language in ("ru", "fa"):
        client.cookies[COOKIE] = language
        got[language] = client.get(url).content
        assert client.get(url).content == got[language]  # the same run and language, the same bytes
        assert got[language] == report_export(run=run, fmt="summary-csv", actor=system_actor(), language=language).content
    assert got["ru"] != got["fa"]
    ru, fa = _rows(got["ru"]), _rows(got["fa"])
    results = sorted(run.segment_results.all(), key=lambda r: (r.currency, r.segment))
    assert len(ru) == len(fa) == len(results) >= 2
    with override("ru"):
        from core.labels import segment_name
        assert [r["сегмент"] for r in ru] == [segment_name(r.segment) for r in results]
    assert [r["РЗУ"] for r in ru] == [r["ذخیره خسارت معوق"] for r in fa] == [str(money_round(r.rbns, r.currency)) for r in results]

    # the background job writes the file in the language of the user who started it
    started: list[str] = []
    monkeypatch.setattr(jobs, "_dispatch", started.append)
    client.cookies[COOKIE] = "fa"
    client.post(reverse("reporting:export-start", args=[run.pk]), {"format": "summary-csv"})
    [job_id] = started
    jobs.job_run(job_id)
    assert b"".join(client.get(reverse("admin:core_job_download", args=[job_id])).streaming_content) == got["fa"]

    # a script's API call, no Accept-Language: the layout of codes; with one, the names
    del client.cookies[COOKIE]
    api = client.get(f"/api/v1/reports/{run.pk}/summary-csv/").content
    assert api.decode().splitlines()[0] == ",".join(COLUMNS)
    assert [r["segment"] for r in _rows(api)] == [r.segment for r in results]
    assert client.get(f"/api/v1/reports/{run.pk}/summary-csv/", HTTP_ACCEPT_LANGUAGE="ru").content == got["ru"]

    # export_report: the codes unless asked, even after a Persian page in the same thread
    out = tmp_path / "summary.csv"
    with override("fa"):
        call_command("export_report", "--run", str(run.pk), "--format", "summary-csv", "--out", str(out), stdout=io.StringIO())
        assert out.read_bytes() == api
        call_command("export_report", "--run", str(run.pk), "--format", "summary-csv", "--out", str(out),
                     "--language", "ru", stdout=io.StringIO())
        assert out.read_bytes() == got["ru"]
