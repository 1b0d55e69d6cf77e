"""Claim master data is edited through claim_update_master, with history, audit and the date rules."""
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from claims.models import Claim
from claims.services import claim_update_master
from core.errors import DomainError
from core.models import AuditEvent
from tests.factories import ClaimFactory
from core.roles import system_actor

pytestmark = pytest.mark.django_db


def test_master_edit_keeps_history_and_writes_one_audit_row():
    claim = ClaimFactory(occurrence_date=date(2024, 3, 1), report_date=date(2024, 3, 5))
    before = claim.history.count()
    claim_update_master(claim=claim, claimant="B. Patient", litigated=True, actor=system_actor())
    claim.refresh_from_db()
    assert (claim.claimant, claim.litigated) == ("B. Patient", True)
    assert claim.history.count() == before + 1
    assert AuditEvent.objects.filter(verb="claim.update", target_id=str(claim.pk)).count() == 1


def test_report_date_may_not_move_after_the_first_posting():
    claim = ClaimFactory(occurrence_date=date(2024, 3, 1), report_date=date(2024, 3, 5),
                         initial_reserve={"indemnity": Decimal("1000")})
    with pytest.raises(DomainError, match="first posting"):
        claim_update_master(claim=claim, report_date=date(2024, 4, 1), actor=system_actor())
    assert Claim.objects.get(pk=claim.pk).report_date == date(2024, 3, 5)


def test_occurrence_outside_cover_is_refused_on_edit():
    claim = ClaimFactory(occurrence_date=date(2024, 3, 1), report_date=date(2024, 3, 5))
    with pytest.raises(DomainError):
        claim_update_master(claim=claim, occurrence_date=date(2023, 6, 1), actor=system_actor())


def test_unknown_field_is_refused():
    claim = ClaimFactory()
    with pytest.raises(DomainError, match="cannot be changed"):
        claim_update_master(claim=claim, status="closed", actor=system_actor())


def test_admin_edit_page_goes_through_the_service(client):
    user = User.objects.create_superuser("claim-editor", password="x")
    client.force_login(user)
    claim = ClaimFactory(occurrence_date=date(2024, 3, 1), report_date=date(2024, 3, 5))
    url = reverse("admin:claims_claim_edit", args=[claim.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"occurrence_date": "2024-03-01", "report_date": "2024-03-05", "cause": "fall",
                                 "claimant": "C. Patient", "litigated": "on", "awarded_diyeh_share": ""})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.claimant == "C. Patient" and claim.litigated and claim.cause == "fall"
    bad = client.post(url, {"occurrence_date": "2023-01-01", "report_date": "2024-03-05", "claimant": "X"})
    assert bad.status_code == 200 and Claim.objects.get(pk=claim.pk).occurrence_date == date(2024, 3, 1)


def test_api_edit_changes_master_data_and_refuses_bad_dates(client):
    user = User.objects.create_superuser("claim-api", password="x")
    client.force_login(user)
    claim = ClaimFactory(occurrence_date=date(2024, 3, 1), report_date=date(2024, 3, 5),
                         initial_reserve={"indemnity": Decimal("1000")})
    url = f"/api/v1/claims/{claim.claim_number}/edit/"
    ok = client.post(url, {"claimant": "D. Patient"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["claimant"] == "D. Patient"
    bad = client.post(url, {"report_date": "2024-05-01"}, content_type="application/json")
    assert bad.status_code == 400 and "report_date" in bad.json()
