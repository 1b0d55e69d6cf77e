"""Two runs of one book for the review and report tests (issue 13 §5, §6): both as at 2024-12-31
on the seed-71 book (annual origins 2021–2024, OYDY), with the clinic segment on chain ladder and
its selected factor at age 12 changed from 1.2 (the approved run) to 1.25 (the run under review).

Hand-check of the pinned numbers: the youngest origin, 2024, has incurred 49,279.37 paid +
85,842.31 case = 135,121.68 at 12 months and every later factor is 1.0 (tail 1.0), so its IBNR is
135,121.68 × 0.20 = 27,024.34 under the approved run and × 0.25 = 33,780.42 now: a difference of
135,121.68 × 0.05 = 6,756.08, +25.0%; the older origins' IBNR is 0 in both and RBNS is unchanged.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from reserving import services
from tests.factories import user_with_roles
from tests.integration.reserving.runbook import approved_run, make_book, submitted_run

VALUATION = date(2024, 12, 31)
SEGMENT, CURRENCY = "clinic_claims_made", "RUB"
KEY = f"{SEGMENT}|{CURRENCY}"
PRIOR_NOTE = "age 12: volume average of the last 3 years"
CURRENT_NOTE = "age 12 raised to 1.25: late reporting on the 2024 clinics"
INCURRED_2024 = Decimal("135121.68")
PRIOR_IBNR, CURRENT_IBNR = Decimal("27024.34"), Decimal("33780.42")


def selection(factor: float, note: str) -> dict:
    return {KEY: {"method": "chainladder", "ldfs": {"12": factor}, "note": note}}


def client_of(username: str, *roles: str) -> Client:
    """A signed-in staff client (`.user`) in the roles, with the model permissions the roles
    get from core.roles.role_permissions (the clerk none of reserving's)."""
    from core.roles import role_permissions

    services.ensure_roles()
    user = user_with_roles(username, *roles, is_staff=True)
    perms = role_permissions()
    for role in roles:
        user.user_permissions.add(*perms[role])
    client = Client()
    client.user = user
    client.force_login(user)
    return client


@pytest.fixture
def people():
    services.ensure_roles()
    return {"actuary": user_with_roles("rv-actuary", "actuary", is_staff=True),
            "approver": user_with_roles("rv-approver", "approver", is_staff=True)}


@pytest.fixture
def book():
    make_book(seed=71, policies=80, recorded_at=timezone.now() - timedelta(days=1))


@pytest.fixture
def prior(people, book, django_capture_on_commit_callbacks):
    """The approved run: factor 1.2 at age 12."""
    return approved_run(people, django_capture_on_commit_callbacks, VALUATION, selections=selection(1.2, PRIOR_NOTE))


@pytest.fixture
def current(people, prior, django_capture_on_commit_callbacks):
    """The run under review, submitted: factor 1.25 at age 12."""
    return submitted_run(people["actuary"], django_capture_on_commit_callbacks, VALUATION,
                         selections=selection(1.25, CURRENT_NOTE))


def approve(people, run):
    run = services.run_approve(run=run, actor=people["approver"])
    run.refresh_from_db()
    return run

