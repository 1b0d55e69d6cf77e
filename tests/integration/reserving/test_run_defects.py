"""Regression tests of the review's defects in the run workflow: regime versions only by the
actuary, maker-checker over everyone who prepared a run, exactly one official run per date
and regime, no approval in a closed period, role-aware run pages and 403 for refusals."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.errors import DomainError, PermissionDenied
from core.models import AuditEvent, ReportingPeriod
from core.roles import system_actor
from core.services import demo_users_ensure
from reserving import services
from reserving.models import Regime, ReserveRun
from tests.factories import user_with_roles
from tests.integration.reserving.runbook import eager_celery, make_book, submitted_run  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]
V = date(2024, 12, 31)


@pytest.fixture
def demo(db):
    """The demo users (groups with their admin permissions), logged-in admin clients."""
    demo_users_ensure(actor=system_actor())
    from django.contrib.auth import get_user_model

    users = {u.username: u for u in get_user_model().objects.filter(
        username__in=["clerk", "actuary", "approver", "auditor", "admin"])}
    clients = {}
    for name, user in users.items():
        clients[name] = Client()
        clients[name].force_login(user)
    return users, clients


@pytest.fixture
def book():
    return make_book(seed=23, policies=90, recorded_at=timezone.now() - timedelta(days=30))


# ------------------------------------------------------------------ 10.2 regime versions
@pytest.mark.parametrize("role", ["auditor", "clerk", "approver"])
def test_only_the_actuary_creates_a_regime_version_in_the_admin(demo, role):
    users, clients = demo
    before = Regime.objects.count()
    page = clients[role].get(reverse("admin:reserving_regime_add"))
    assert page.status_code == 403
    posted = clients[role].post(reverse("admin:reserving_regime_add"), {
        "code": "ru", "effective_from": "2025-01-01", "name": "ru", "description": "", "parameters": "{}"})
    assert posted.status_code == 403
    assert Regime.objects.count() == before
    assert not AuditEvent.objects.filter(verb="regime.version_create").exists()
    with pytest.raises(PermissionDenied, match="needs the actuary role"):
        services.regime_version_create(code="ru", effective_from=date(2025, 1, 1), parameters={}, actor=users[role])
    assert clients["actuary"].get(reverse("admin:reserving_regime_add")).status_code == 200


# ------------------------------------------------------------------ 10.6 maker-checker
def test_a_superuser_who_changed_the_selection_cannot_approve_the_run(demo, book, django_capture_on_commit_callbacks):
    users, _ = demo
    admin = users["admin"]
    run = services.run_create(valuation_date=V, actor=users["actuary"])
    with django_capture_on_commit_callbacks(execute=True):
        services.run_compute(run=run, actor=users["actuary"])
    services.run_selection_set(run=run, segment="individual_occurrence", currency="RUB",
                               selection={"tail": 1.05, "note": "superuser's tail"}, actor=admin)
    with django_capture_on_commit_callbacks(execute=True):
        services.run_compute(run=run, actor=users["actuary"])
    run.refresh_from_db()
    for check in run.data_checks.filter(severity="warning"):
        services.run_check_acknowledge(check=check, actor=users["actuary"])
    services.run_submit(run=run, actor=users["actuary"])
    assert run.preparer == users["actuary"]
    with pytest.raises(PermissionDenied, match="is a preparer of run"):
        services.run_approve(run=run, actor=admin)
    with pytest.raises(PermissionDenied, match="is a preparer of run"):
        services.run_reject(run=run, actor=admin, reason="mine")
    assert services.run_approve(run=run, actor=users["approver"]).status == "approved"


def test_whoever_recomputed_a_run_is_a_preparer(demo, book, django_capture_on_commit_callbacks):
    users, _ = demo
    run = services.run_create(valuation_date=V, actor=users["actuary"])
    with django_capture_on_commit_callbacks(execute=True):
        services.run_compute(run=run, actor=users["admin"])  # the superuser recomputes
    run.refresh_from_db()
    for check in run.data_checks.filter(severity="warning"):
        services.run_check_acknowledge(check=check, actor=users["actuary"])
    services.run_submit(run=run, actor=users["actuary"])
    with pytest.raises(PermissionDenied):
        services.run_approve(run=run, actor=users["admin"])


# ------------------------------------------------------------------ 10.11 one official run
def test_approving_a_rerun_supersedes_the_run_it_reruns(demo, book, django_capture_on_commit_callbacks):
    users, clients = demo
    first = submitted_run(users["actuary"], django_capture_on_commit_callbacks, V)
    first = services.run_approve(run=first, actor=users["approver"])
    with django_capture_on_commit_callbacks(execute=True):
        rerun = services.run_rerun(run=first, actor=users["actuary"])
    rerun.refresh_from_db()
    for check in rerun.data_checks.filter(severity="warning"):
        services.run_check_acknowledge(check=check, actor=users["actuary"])
    services.run_submit(run=rerun, actor=users["actuary"])
    services.run_approve(run=rerun, actor=users["approver"])
    first.refresh_from_db()
    rerun.refresh_from_db()
    assert first.superseded_by == rerun and not first.is_official and rerun.is_official
    official = ReserveRun.objects.filter(valuation_date=V, regime_code="ru", status="approved",
                                         superseded_by__isnull=True)
    assert list(official) == [rerun]
    assert first.events.filter(verb="supersede").exists()
    # shown so in the admin and the API
    page = clients["auditor"].get(reverse("admin:reserving_reserverun_change", args=[first.pk]))
    assert f"run {rerun.pk}</a> replaced this run" in page.content.decode()
    api = APIClient()
    api.force_authenticate(users["auditor"])
    body = api.get(f"/api/v1/reserve-runs/{first.pk}/").json()
    assert body["superseded_by"] == rerun.pk and body["official"] is False
    assert api.get(f"/api/v1/reserve-runs/{rerun.pk}/").json()["official"] is True


def test_the_database_refuses_two_official_runs_of_one_date_and_regime(demo, book, django_capture_on_commit_callbacks):
    users, _ = demo
    run = services.run_approve(run=submitted_run(users["actuary"], django_capture_on_commit_callbacks, V),
                               actor=users["approver"])
    clone = ReserveRun.objects.get(pk=run.pk)
    clone.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save()


def test_no_run_of_a_closed_period_is_approved(demo, book, django_capture_on_commit_callbacks):
    users, _ = demo
    first = services.run_approve(run=submitted_run(users["actuary"], django_capture_on_commit_callbacks, V),
                                 actor=users["approver"])
    services.period_close(label="2024Q4", actor=users["approver"])
    late = submitted_run(users["actuary"], django_capture_on_commit_callbacks, V)
    with pytest.raises(DomainError, match="period 2024Q4 is closed"):
        services.run_approve(run=late, actor=users["approver"])
    late.refresh_from_db()
    first.refresh_from_db()
    assert late.status == "submitted" and first.is_official
    assert ReportingPeriod.objects.get(label="2024Q4").status == "closed"


# ------------------------------------------------------------------ 10.7 role-aware pages
def test_the_clerk_cannot_open_reserve_run_pages_or_dashboards(demo, book, django_capture_on_commit_callbacks):
    users, clients = demo
    run = submitted_run(users["actuary"], django_capture_on_commit_callbacks, V)
    clerk = clients["clerk"]
    seg = run.segment_results.first()
    for url in (reverse("admin:reserving_reserverun_changelist"),
                reverse("admin:reserving_reserverun_change", args=[run.pk]),
                reverse("admin:reserving_run_segment", args=[run.pk, seg.segment, seg.currency]),
                reverse("admin:reserving_run_progress", args=[run.pk]),
                reverse("reporting:reserves"), reverse("reporting:exports")):
        assert clerk.get(url).status_code == 403, url
    assert clerk.post(reverse("admin:reserving_run_action", args=[run.pk, "approve"])).status_code == 403
    run.refresh_from_db()
    assert run.status == "submitted"
    api = APIClient()
    api.force_authenticate(users["clerk"])
    assert api.get("/api/v1/reserve-runs/").status_code == 403
    assert api.get(f"/api/v1/reserve-runs/{run.pk}/").status_code == 403
    front = clerk.get(reverse("admin:index")).content.decode()
    assert "Reserve runs" not in front and "Dashboards" not in front and "Claims" in front


def test_run_buttons_are_shown_only_to_roles_the_services_allow(demo, book, django_capture_on_commit_callbacks):
    users, clients = demo
    run = submitted_run(users["actuary"], django_capture_on_commit_callbacks, V)
    url = reverse("admin:reserving_reserverun_change", args=[run.pk])
    actuary_page = clients["actuary"].get(url).content.decode()
    approver_page = clients["approver"].get(url).content.decode()
    auditor_page = clients["auditor"].get(url).content.decode()
    assert 'value="Approve"' not in actuary_page  # the preparer
    assert 'value="Rerun (same cut-off)"' in actuary_page
    assert 'value="Approve"' in approver_page and 'value="Reject"' in approver_page
    assert 'value="Rerun (same cut-off)"' not in approver_page
    for page in (auditor_page,):
        for button in ("Approve", "Reject", "Rerun (same cut-off)", "Check data and compute"):
            assert f'value="{button}"' not in page
    changelist = clients["approver"].get(reverse("admin:reserving_reserverun_changelist")).content.decode()
    assert reverse("admin:reserving_reserverun_add") not in changelist  # "new run" is the actuary's
    assert clients["approver"].get(reverse("admin:reserving_reserverun_add")).status_code == 403


def test_role_and_maker_checker_refusals_are_403_and_bad_input_400(demo, book, django_capture_on_commit_callbacks):
    users, _ = demo
    run = submitted_run(users["actuary"], django_capture_on_commit_callbacks, V)
    actuary, approver = APIClient(), APIClient()
    actuary.force_authenticate(users["actuary"])
    approver.force_authenticate(users["approver"])
    refused = actuary.post(f"/api/v1/reserve-runs/{run.pk}/approve/")
    assert refused.status_code == 403 and "non_field_errors" in refused.json()
    assert approver.post("/api/v1/reserve-runs/", {"valuation_date": "2024-12-31"}, format="json").status_code == 403
    bad = approver.post("/api/v1/period-close/", {"label": "0000Q1"}, format="json")
    assert bad.status_code == 400 and "label" in bad.json()
    with pytest.raises(DomainError, match="outside the calendar"):
        services.period_close(label="0000Q1", actor=users["approver"])


def test_wrong_basic_credentials_are_401(demo):
    import base64

    client = APIClient()
    token = base64.b64encode(b"clerk:wrong-password").decode()
    response = client.get("/api/v1/policies/", HTTP_AUTHORIZATION=f"Basic {token}")
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Basic")
    assert APIClient().get("/api/v1/policies/").status_code == 401
    good = base64.b64encode(b"clerk:clerk-demo-2026").decode()
    assert client.get("/api/v1/policies/", HTTP_AUTHORIZATION=f"Basic {good}").status_code == 200


# ------------------------------------------------------------------ 10.1 the system actor
def test_commands_and_schedules_act_as_the_audited_system_actor(book, django_capture_on_commit_callbacks):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("reserve_run", "--valuation-date", "2024-12-31", "--wait", "0", stdout=out)
    run = ReserveRun.objects.get()
    system = system_actor()
    assert run.preparer == system and not system.is_active and not system.has_usable_password()
    assert AuditEvent.objects.filter(verb="run.create", actor=system).exists()
    assert not Client().login(username="system", password="")


def test_no_actor_is_nobody_and_is_refused(book):
    with pytest.raises(PermissionDenied, match="needs a signed-in user"):
        services.run_create(valuation_date=V, actor=None)
    assert not ReserveRun.objects.exists()


def test_a_user_with_model_permissions_but_no_role_is_refused_by_the_services(book):
    intruder = user_with_roles("perms-only")
    intruder.user_permissions.set(Permission.objects.filter(content_type__app_label="reserving"))
    with pytest.raises(PermissionDenied):
        services.run_create(valuation_date=V, actor=intruder)
