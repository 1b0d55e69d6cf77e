"""Patients' data (issue 14 §4): masked for everyone but the clerk in the admin, the API and the
history views; the auditor's audited reveal; no names in audit rows or ledger notes; the
retention's anonymisation keeps every run's fingerprint; the whole-book download is audited."""
from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from claims import privacy, services
from claims.models import Claim
from core.errors import DomainError, PermissionDenied
from core.models import AuditEvent
from core.roles import system_actor
from core.services import demo_users_ensure
from tests.factories import ClaimFactory, PolicyFactory

pytestmark = pytest.mark.django_db
NAME, CAUSE = "Maria Ivanova", "wrong-site surgery"


@pytest.fixture
def users():
    demo_users_ensure(actor=system_actor())
    return {u.username: u for u in User.objects.filter(username__in=["clerk", "actuary", "approver", "auditor"])}


@pytest.fixture
def claim():
    return ClaimFactory(policy=PolicyFactory(policy_number="P-PRIV"), claim_number="C-PRIV", claimant=NAME,
                        cause=CAUSE, initial_reserve={"indemnity": Decimal("1000.00")})


def api_as(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_masks_patients_data_for_all_but_the_clerk(users, claim):
    assert api_as(users["clerk"]).get("/api/v1/claims/C-PRIV/").json()[("claimant")] == NAME
    for role in ("actuary", "approver", "auditor"):
        body = api_as(users[role]).get("/api/v1/claims/C-PRIV/").json()
        assert (body["claimant"], body["cause"]) == ("(hidden)", "(hidden)"), role
        # and a search by the name finds nothing for them (a match would tell it)
        assert api_as(users[role]).get("/api/v1/claims/", {"search": "Ivanova"}).json()["count"] == 0
    assert api_as(users["clerk"]).get("/api/v1/claims/", {"search": "Ivanova"}).json()["count"] == 1


def test_the_auditor_reveals_one_claim_with_an_audit_row(users, claim):
    before = AuditEvent.objects.count()
    refused = api_as(users["actuary"]).post("/api/v1/claims/C-PRIV/reveal/", {"reason": "review"}, format="json")
    assert refused.status_code == 403 and AuditEvent.objects.count() == before
    shown = api_as(users["auditor"]).post("/api/v1/claims/C-PRIV/reveal/", {"reason": "annual audit sample"},
                                          format="json")
    assert shown.status_code == 200 and shown.json() == {"claimant": NAME, "cause": CAUSE}
    [event] = AuditEvent.objects.filter(verb="claim.reveal")
    assert event.actor == users["auditor"] and event.target_id == str(claim.pk)
    assert event.new == {"fields": ["claimant", "cause"], "reason": "annual audit sample"}
    assert NAME not in str(event.old) + str(event.new) and AuditEvent.objects.count() == before + 1
    naming = api_as(users["auditor"]).post("/api/v1/claims/C-PRIV/reveal/", {"reason": "ask Ivanova"}, format="json")
    assert naming.status_code == 400 and "reason" in naming.json()


def test_the_admin_masks_list_change_page_history_and_search(client, users, claim):
    services.claim_update_master(claim=claim, claimant="Olga Sidorova", actor=system_actor())
    pages = [reverse("admin:claims_claim_changelist"), reverse("admin:claims_claim_change", args=[claim.pk]),
             reverse("admin:claims_claim_history", args=[claim.pk]),
             reverse("admin:claims_claim_simple_history", args=[claim.pk, claim.history.earliest().history_id])]
    for role in ("actuary", "auditor"):
        client.force_login(users[role])
        for url in pages:
            html = client.get(url).content.decode()
            assert "Ivanova" not in html and "Sidorova" not in html and CAUSE not in html, (role, url)
            assert "(hidden)" in html, (role, url)
        assert "C-PRIV" not in client.get(pages[0], {"q": "Sidorova"}).content.decode()
    client.force_login(users["clerk"])
    assert "Sidorova" in client.get(pages[1]).content.decode()
    assert "C-PRIV" in client.get(pages[0], {"q": "Sidorova"}).content.decode()


def test_the_admin_reveal_page_shows_the_data_once_and_audits_it(client, users, claim):
    client.force_login(users["auditor"])
    url = reverse("admin:claims_claim_reveal", args=[claim.pk])
    assert NAME not in client.get(url).content.decode()
    page = client.post(url, {"reason": "complaint file 17"})
    assert page.status_code == 200 and NAME in page.content.decode() and CAUSE in page.content.decode()
    assert AuditEvent.objects.filter(verb="claim.reveal", actor=users["auditor"]).count() == 1


def test_audit_rows_and_notes_never_carry_the_name(users, claim):
    services.claim_update_master(claim=claim, claimant="Olga Sidorova", cause="missed diagnosis", actor=system_actor())
    event = AuditEvent.objects.get(verb="claim.update")
    assert event.old == {"claimant": privacy.AUDIT_MARK, "cause": privacy.AUDIT_MARK}
    assert event.new == {"claimant": privacy.AUDIT_MARK, "cause": privacy.AUDIT_MARK}
    claim.refresh_from_db()
    rows = claim.transactions.count()
    for note in ("paid to O. Sidorova", "sidorova", "re MISSED DIAGNOSIS"):
        with pytest.raises(DomainError) as refused:
            services.claim_payment_post(claim=claim, cost_type="indemnity", amount="10.00",
                                        accounting_date=claim.report_date, note=note, actor=system_actor())
        assert refused.value.field == "note" and note not in refused.value.message
    assert claim.transactions.count() == rows
    services.claim_payment_post(claim=claim, cost_type="indemnity", amount="10.00",
                                accounting_date=claim.report_date, note="first instalment", actor=system_actor())


def _closed_claim(number: str, closed_on: date) -> Claim:
    c = ClaimFactory(policy=PolicyFactory(policy_number=f"P-{number}", inception_date=date(2012, 1, 1),
                                          expiry_date=date(2012, 12, 31)),
                     claim_number=number, claimant=NAME, cause=CAUSE, occurrence_date=date(2012, 3, 1),
                     report_date=date(2012, 3, 2), initial_reserve={"indemnity": Decimal("500.00")})
    services.claim_close(claim=c, accounting_date=closed_on, actor=system_actor())
    return c


def test_retention_anonymises_closed_claims_with_their_history(users):
    old = _closed_claim("C-OLD", date(2013, 6, 30))
    services.claim_update_master(claim=old, litigated=True, actor=system_actor())  # a second history version
    recent = _closed_claim("C-RECENT", date(2023, 6, 30))
    assert not privacy.claims_anonymise_due(actor=system_actor(), today=date(2024, 1, 1), years=11)
    with pytest.raises(PermissionDenied):
        privacy.claims_anonymise_due(actor=users["clerk"], today=date(2024, 1, 1), years=10)
    call_command("anonymise_claims", "--years", "10", "--today", "2024-01-01")
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.claimant, old.cause) == ("", "") and old.anonymised_at is not None
    assert list(old.history.values_list("claimant", "cause").order_by().distinct()) == [("", "")]
    assert old.history.count() >= 3 and recent.claimant == NAME
    [event] = AuditEvent.objects.filter(verb="claim.anonymise")
    assert event.target_id == str(old.pk) and event.new["claimant"] == "anonymised"
    assert NAME not in str(event.old) + str(event.new) and CAUSE not in str(event.new)
    with pytest.raises(DomainError):  # once only
        privacy.claim_anonymise(claim=old, actor=system_actor())


def test_a_rerun_after_anonymising_gives_the_same_fingerprint(django_capture_on_commit_callbacks):
    from reserving import services as reserving
    from tests.integration.reserving.runbook import approved_run, make_book

    reserving.ensure_roles()
    people = {}
    for role in ("actuary", "approver"):
        people[role] = User.objects.create_user(f"priv-{role}")
        people[role].groups.add(Group.objects.get(name=role))
    make_book(seed=41, policies=60, recorded_at=timezone.now() - timedelta(days=10))
    Claim.objects.update(claimant=NAME, cause=CAUSE)
    Claim.history.update(claimant=NAME, cause=CAUSE)
    for c in Claim.objects.order_by("pk")[:8]:
        services.claim_close(claim=c, accounting_date=date(2024, 12, 31), actor=system_actor(),
                             recorded_at=timezone.now() - timedelta(days=9))
    from config.celery import app
    eager = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    try:
        run = approved_run(people, django_capture_on_commit_callbacks, date(2024, 12, 31))
        done = privacy.claims_anonymise_due(actor=system_actor(), today=date(2035, 1, 1), years=10)
        assert len(done) >= 8
        with django_capture_on_commit_callbacks(execute=True):
            rerun = reserving.run_rerun(run=run, actor=people["actuary"])
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = eager
    rerun.refresh_from_db()
    assert rerun.input_fingerprint == run.input_fingerprint and rerun.identical is True


def test_the_book_download_is_permissioned_and_audited(tmp_path, users, claim):
    from exchange.services import book_export

    with pytest.raises(PermissionDenied):
        book_export(directory=tmp_path / "no", actor=users["approver"])
    assert not AuditEvent.objects.filter(verb="book.export").exists()
    counts = book_export(directory=tmp_path / "yes", actor=users["clerk"])
    [event] = AuditEvent.objects.filter(verb="book.export")
    assert event.actor == users["clerk"] and event.new["rows"] == counts and NAME not in str(event.new)


def test_search_terms_never_reach_the_request_log(caplog):
    logger = logging.getLogger("django.server")
    logger.addFilter(privacy.SearchTermsFilter())
    try:
        with caplog.at_level(logging.INFO, logger="django.server"):
            logger.info('"%s" %s %s', "GET /admin/claims/claim/?q=Maria+Ivanova&status=open HTTP/1.1", "200", "1")
            logger.info('"%s" %s %s', "GET /api/v1/claims/?search=Ivanova HTTP/1.1", "200", "1")
    finally:
        logger.filters.clear()
    assert [r.getMessage() for r in caplog.records] == [
        '"GET /admin/claims/claim/?q=[redacted]&status=open HTTP/1.1" 200 1',
        '"GET /api/v1/claims/?search=[redacted] HTTP/1.1" 200 1']


def test_the_retention_runs_every_night_on_beat(settings):
    from django_celery_beat.models import PeriodicTask

    from claims.tasks import anonymise_due_task

    call_command("install_schedules", stdout=StringIO())
    call_command("install_schedules", stdout=StringIO())  # idempotent
    (task,) = PeriodicTask.objects.filter(task="claims.anonymise_due")
    cron = task.crontab
    assert (task.name, cron.minute, cron.hour, cron.day_of_month, cron.month_of_year) == (
        privacy.RETENTION_TASK_NAME, "30", "3", "*", "*")
    assert str(cron.timezone) == settings.CELERY_TIMEZONE and task.enabled
    # what beat sends: claims closed longer than the retention, counted, never named
    settings.CLAIM_RETENTION_YEARS = 10
    old = _closed_claim("C-NIGHT", timezone.localdate() - timedelta(days=3660 + 3))
    _closed_claim("C-YOUNG", timezone.localdate() - timedelta(days=3000))
    assert anonymise_due_task.apply().get() == 1
    old.refresh_from_db()
    assert old.claimant == "" and Claim.objects.get(claim_number="C-YOUNG").claimant == NAME
    assert anonymise_due_task.apply().get() == 0  # nothing left to do the next night
