"""Defects 10.16 and 10.17: the demo can tell whether its book is loaded from an exit status,
and it enters capital items for every quarter it runs, so the solvency dashboard shows them;
finance roles (actuary, approver) maintain capital entries."""
from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.errors import PermissionDenied
from core.roles import system_actor
from core.services import demo_users_ensure
from reporting import selectors
from reporting.models import CapitalEntry
from reporting.services import capital_entry_save
from tests.integration.reserving.runbook import approved_run, eager_celery, make_book  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def test_book_loaded_answers_with_its_exit_status():
    with pytest.raises(SystemExit) as empty:
        call_command("book_loaded", stdout=StringIO())
    assert empty.value.code == 1
    make_book(seed=3, policies=3)
    with pytest.raises(SystemExit) as loaded:
        call_command("book_loaded", stdout=StringIO())
    assert loaded.value.code == 0


@pytest.fixture
def users():
    demo_users_ensure(actor=system_actor())
    from django.contrib.auth import get_user_model

    return {u.username: u for u in get_user_model().objects.all()}


def test_demo_capital_fills_the_solvency_dashboard_for_every_quarter_run(users, django_capture_on_commit_callbacks):
    make_book(seed=41, policies=90, recorded_at=timezone.now() - timedelta(days=20))
    for v in (date(2024, 9, 30), date(2024, 12, 31)):
        approved_run(users, django_capture_on_commit_callbacks, v)
    assert selectors.solvency_views() == {} or all(not v["periods"] for v in selectors.solvency_views().values())
    out = StringIO()
    call_command("demo_capital", stdout=out)
    entries = {(e.period, e.currency) for e in CapitalEntry.objects.all()}
    assert entries == {("2024Q3", "RUB"), ("2024Q3", "IRR"), ("2024Q4", "RUB"), ("2024Q4", "IRR")}
    views = selectors.solvency_views()
    for currency in ("RUB", "IRR"):
        assert views[currency]["periods"] == ["2024Q3", "2024Q4"]
        ru = views[currency]["ratios"]["Russian margin (3743-У)"]
        assert ru == pytest.approx([1.95, 1.85], abs=0.01)  # own funds = the cover × the book's margin
    assert views["IRR"]["ratios"]["Iran bylaw 69 (ratio ÷ 100%)"] == pytest.approx([1.95, 1.85], abs=0.01)
    again = StringIO()
    call_command("demo_capital", stdout=again)  # a second demo keeps what is there
    assert "0 capital entries entered" in again.getvalue() and CapitalEntry.objects.count() == 4
    page = Client()
    page.force_login(users["auditor"])
    html = page.get(reverse("reporting:solvency")).content.decode()
    assert "2024Q4" in html


@pytest.mark.parametrize("role, status", [("actuary", 200), ("approver", 200), ("clerk", 403), ("auditor", 403)])
def test_finance_roles_maintain_capital_entries(users, role, status):
    client = Client()
    client.force_login(users[role])
    assert client.get(reverse("admin:reporting_capitalentry_add")).status_code == status
    if status == 200:
        capital_entry_save(period="2024Q4", currency="RUB", actor=users[role], own_funds=1000)
    else:
        with pytest.raises(PermissionDenied):
            capital_entry_save(period="2024Q4", currency="RUB", actor=users[role], own_funds=1000)
