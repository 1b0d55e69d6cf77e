"""A-priori loss ratios: kept by the actuary with their source, refused when not a ratio,
read by runs as they were at the cut-off."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError, PermissionDenied
from core.models import AuditEvent
from reserving import selectors, services
from reserving.models import AprioriLossRatio
from tests.factories import user_with_roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def actuary():
    return user_with_roles("apriori-actuary", "actuary")


def test_the_actuary_keeps_a_priori_loss_ratios_with_their_source(actuary):
    row = services.apriori_loss_ratio_save(segment="individual_occurrence", currency="RUB", underwriting_year=2024,
                                           loss_ratio="0.82", source="pricing", actor=actuary, note="tariff 2024")
    assert row.loss_ratio == Decimal("0.8200") and row.entered_by == actuary
    before = timezone.now()
    services.apriori_loss_ratio_save(segment="individual_occurrence", currency="RUB", underwriting_year=2024,
                                     loss_ratio=0.9, source="prior_ultimates", actor=actuary)
    assert AprioriLossRatio.objects.count() == 1
    assert selectors.apriori_loss_ratios(segment="individual_occurrence", currency="RUB",
                                         cut_off=timezone.now()) == {2024: (0.9, "prior_ultimates")}
    assert selectors.apriori_loss_ratios(segment="individual_occurrence", currency="RUB",
                                         cut_off=before - timedelta(microseconds=1)) == {2024: (0.82, "pricing")}
    assert AuditEvent.objects.filter(verb="apriori.save").count() == 2


@pytest.mark.parametrize("field, value", [("loss_ratio", "0"), ("loss_ratio", "-0.5"), ("loss_ratio", "x"),
                                          ("loss_ratio", "nan"), ("underwriting_year", "20x4"),
                                          ("source", "gut feeling"), ("currency", "XXX")])
def test_bad_a_priori_is_refused_naming_the_field(actuary, field, value):
    data = dict(segment="individual_occurrence", currency="RUB", underwriting_year=2024, loss_ratio="0.8",
                source="pricing")
    data[field] = value
    with pytest.raises(DomainError) as exc:
        services.apriori_loss_ratio_save(actor=actuary, **data)
    assert exc.value.field == field
    assert not AprioriLossRatio.objects.exists()


@pytest.mark.parametrize("role", ["clerk", "approver", "auditor"])
def test_only_the_actuary_keeps_a_priori_loss_ratios(role):
    user = user_with_roles(f"apriori-{role}", role)
    with pytest.raises(PermissionDenied):
        services.apriori_loss_ratio_save(segment="s", currency="RUB", underwriting_year=2024, loss_ratio="0.8",
                                         source="plan", actor=user)


def test_the_admin_saves_through_the_service_and_shows_refusals(actuary):
    from django.contrib.auth.models import Permission

    actuary.user_permissions.set(Permission.objects.filter(content_type__app_label="reserving"))
    client = Client()
    client.force_login(actuary)
    url = reverse("admin:reserving_apriorilossratio_add")
    ok = client.post(url, {"segment": "clinic_claims_made", "currency": "RUB", "underwriting_year": 2023,
                           "loss_ratio": "0.7", "source": "plan", "note": ""})
    assert ok.status_code == 302 and AprioriLossRatio.objects.get().entered_by == actuary
    refused = client.post(url, {"segment": "clinic_claims_made", "currency": "RUB", "underwriting_year": 2022,
                                "loss_ratio": "0", "source": "plan", "note": ""}, follow=True)
    assert "must be above 0" in refused.content.decode() and AprioriLossRatio.objects.count() == 1
