"""The back-test on the book's own history, on demand: the `backtest --run` command and the
admin page of a run's segment (reads only; nothing is saved), for the reserving roles only."""
from __future__ import annotations

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reserving import services
from reserving.models import ReserveRun
from tests.integration.reserving.runbook import eager_celery, make_book, submitted_run  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    services.ensure_roles()
    actuary = User.objects.create_user("bt-actuary", password="pw", is_staff=True)
    actuary.groups.add(Group.objects.get(name="actuary"))
    actuary.user_permissions.add(*Permission.objects.filter(content_type__app_label="reserving"))
    make_book(seed=21, policies=150, recorded_at=timezone.now() - timedelta(days=30))
    return submitted_run(actuary, django_capture_on_commit_callbacks, date(2024, 12, 31)), actuary


def test_the_command_back_tests_every_segment_and_saves_nothing(run):
    r, _ = run
    before = (ReserveRun.objects.count(), r.segment_results.count(), r.events.count())
    out = StringIO()
    call_command("backtest", "--run", str(r.pk), "--cuts", "1-2", "--json", stdout=out)
    doc = json.loads(out.getvalue())
    assert doc["cuts"] == [1, 2] and len(doc["segments"]) == 3
    for seg in doc["segments"]:
        methods = {row["method"] for row in seg["summary"]}
        assert {"incurred_cl", "bf_incurred", "default"} <= methods
        for row in seg["by_cut"]:
            if row["error"] is not None:
                assert row["error"] == pytest.approx(row["expected"] / row["actual"] - 1)
    assert (ReserveRun.objects.count(), r.segment_results.count(), r.events.count()) == before
    with pytest.raises(CommandError, match="no reserve run"):
        call_command("backtest", "--run", "99999")


def test_the_admin_page_shows_the_table_to_the_actuary_and_refuses_a_clerk(run):
    r, actuary = run
    seg = r.segment_results.first()
    url = reverse("admin:reserving_run_backtest", args=[r.pk, seg.segment, seg.currency])
    c = Client()
    c.force_login(actuary)
    page = c.get(url + "?cuts=1,2")
    assert page.status_code == 200
    body = page.content.decode()
    assert "back-test on the book&#x27;s own history" in body or "back-test on the book's own history" in body
    assert "incurred_cl" in body and "default" in body
    assert url in c.get(reverse("admin:reserving_run_segment", args=[r.pk, seg.segment, seg.currency])).content.decode()
    clerk = User.objects.create_user("bt-clerk", password="pw", is_staff=True)
    clerk.groups.add(Group.objects.get(name="clerk"))
    other = Client()
    other.force_login(clerk)
    assert other.get(url).status_code == 403
