"""Admin pages of reserve runs: create, the run page, acknowledge, submit and approve by two
people, the triangle page with link ratios, and the selection preview (which saves nothing)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reserving import services
from reserving.models import ReserveRun, RunSegmentResult
from tests.integration.reserving.runbook import eager_celery, make_book  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]


@pytest.fixture
def staff():
    services.ensure_roles()
    out = []
    for name, group in (("adm-actuary", "actuary"), ("adm-approver", "approver")):
        u = User.objects.create_user(name, password="pw", is_staff=True, is_superuser=False)
        u.groups.add(Group.objects.get(name=group))
        # the admin needs model permissions to show the pages
        from django.contrib.auth.models import Permission
        u.user_permissions.add(*Permission.objects.filter(content_type__app_label="reserving"))
        c = Client()
        c.force_login(u)
        out.append(c)
    return out


def test_a_run_is_made_reviewed_adjusted_submitted_and_approved_in_the_admin(staff):
    actuary, approver = staff
    make_book(seed=71, policies=80, recorded_at=timezone.now() - timedelta(days=1))
    r = actuary.post(reverse("admin:reserving_reserverun_add"),
                     {"valuation_date": "2024-12-31", "regime": "ru", "compute": "on"})
    assert r.status_code == 302
    run = ReserveRun.objects.get()
    assert run.status == "computed"
    page = actuary.get(reverse("admin:reserving_reserverun_change", args=[run.pk]))
    assert page.status_code == 200 and b"Results per segment" in page.content
    seg = run.segment_results.get(segment="individual_occurrence", currency="RUB")
    tri = actuary.get(reverse("admin:reserving_run_segment", args=[run.pk, seg.segment, seg.currency]))
    assert tri.status_code == 200 and b"Link ratios" in tri.content and b"2024Q4" in tri.content
    before = seg.ibnr
    preview = actuary.post(reverse("admin:reserving_run_preview", args=[run.pk, seg.segment, seg.currency]),
                           {"tail": "1.3", "note": "heavier tail"})
    assert preview.status_code == 200
    assert Decimal(preview.json()["ibnr"]) > before
    assert RunSegmentResult.objects.get(pk=seg.pk).ibnr == before
    actuary.post(reverse("admin:reserving_run_segment", args=[run.pk, seg.segment, seg.currency]),
                 {"tail": "1.3", "note": "heavier tail"})
    run.refresh_from_db()
    assert run.status == "draft" and run.selections["individual_occurrence|RUB"]["tail"] == 1.3
    actuary.post(reverse("admin:reserving_run_action", args=[run.pk, "compute"]))
    run.refresh_from_db()
    assert run.status == "computed"
    assert str(run.segment_results.get(segment=seg.segment, currency=seg.currency).ibnr) == preview.json()["ibnr"]
    for check in run.data_checks.filter(severity="warning"):
        actuary.post(reverse("admin:reserving_run_acknowledge", args=[run.pk, check.pk]))
    actuary.post(reverse("admin:reserving_run_action", args=[run.pk, "submit"]))
    run.refresh_from_db()
    assert run.status == "submitted"
    actuary.post(reverse("admin:reserving_run_action", args=[run.pk, "approve"]))  # refused: no role
    run.refresh_from_db()
    assert run.status == "submitted"
    approver.post(reverse("admin:reserving_run_action", args=[run.pk, "approve"]))
    run.refresh_from_db()
    assert run.status == "approved"
    listing = approver.get(reverse("admin:reserving_reserverun_changelist"))
    assert listing.status_code == 200 and b"approved" in listing.content
