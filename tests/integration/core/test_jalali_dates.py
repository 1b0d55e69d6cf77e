"""Iranian policies and claims show their dates in the Jalali calendar in the admin."""
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tests.factories import ClaimFactory, PolicyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = User.objects.create_superuser("jalali-admin", password="x")
    client.force_login(user)
    return client


def test_irr_policy_and_claim_pages_show_jalali_dates(staff):
    # 2024-03-20 is 1 Farvardin 1403; 2025-03-20 is 30 Esfand 1403
    policy = PolicyFactory(currency="IRR", inception_date=date(2024, 3, 20), expiry_date=date(2025, 3, 20),
                           gross_premium=Decimal("6600000"), commission=Decimal("0"),
                           limit_per_claim=Decimal("4400000000"), aggregate_limit=Decimal("8800000000"))
    page = staff.get(reverse("admin:policies_policy_change", args=[policy.pk])).content.decode()
    assert "1403/01/01 – 1403/12/30" in page
    claim = ClaimFactory(policy=policy, occurrence_date=date(2024, 9, 22), report_date=date(2024, 9, 23))
    page = staff.get(reverse("admin:claims_claim_change", args=[claim.pk])).content.decode()
    assert "1403/07/01 / 1403/07/02" in page


def test_rub_policy_has_no_jalali_dates(staff):
    policy = PolicyFactory(currency="RUB")
    page = staff.get(reverse("admin:policies_policy_change", args=[policy.pk])).content.decode()
    assert "cover (jalali)" in page.lower() and "1403/" not in page
