"""The segment table (issue 17 §0): seeded with the demo's codes, the policy services check a
code against it, reports read the accounting group from it, and the admin edits it."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from core import labels
from core.roles import system_actor
from policies import services as policy_services
from policies.models import Policy
from reporting.selectors import segment_groups
from segments.models import Segment
from segments.seed import SEED
from segments.services import UnknownSegment, segment_check, segments_ensure_seeded
from tests.factories import PolicyFactory

pytestmark = pytest.mark.django_db


def _policy(**over):
    kw = dict(policy_number="P-1", insured_name="Maryam Ahmadi", profession="midwife", risk_group=3,
              segment="individual_occurrence", basis="occurrence", currency="RUB",
              inception_date=date(2024, 1, 1), expiry_date=date(2024, 12, 31), issue_date=date(2023, 12, 20),
              gross_premium=Decimal("36600"), commission=Decimal("3660"), actor=system_actor())
    kw.update(over)
    return policy_services.policy_create(**kw)


def test_the_migration_seeds_the_demo_codes_with_the_names_the_labels_show():
    rows = {s.code: s for s in Segment.objects.all()}
    assert sorted(rows) == ["clinic_claims_made", "individual_occurrence"]
    for code, *_ in SEED:
        assert rows[code].name_en == str(labels.SEGMENTS[code])  # core/labels.py stays consistent
        assert (rows[code].line_of_business, rows[code].accounting_group) == ("8", "13")
    assert rows["individual_occurrence"].name("ru") == "индивидуальные специалисты, на базе наступления события"
    assert rows["clinic_claims_made"].name("fa") == "درمانگاه‌ها، مبنای اعلام خسارت"


def test_policy_create_refuses_an_unknown_segment_and_writes_nothing():
    with pytest.raises(UnknownSegment) as caught:
        _policy(segment="dental_occurrence")
    assert caught.value.field == "segment"
    assert caught.value.message == "unknown segment 'dental_occurrence': add it under Segments first"
    assert not Policy.objects.exists()
    Segment.objects.create(code="dental_occurrence")
    assert _policy(segment="dental_occurrence").segment == "dental_occurrence"


def test_policy_update_master_refuses_an_unknown_segment():
    policy = PolicyFactory(segment="individual_occurrence")
    with pytest.raises(UnknownSegment):
        policy_services.policy_update_master(policy=policy, segment="nurses", actor=system_actor())
    policy.refresh_from_db()
    assert policy.segment == "individual_occurrence"


def test_the_api_refuses_an_unknown_segment_with_a_field_error():
    from rest_framework.test import APIClient

    admin = get_user_model().objects.create_superuser("root", "root@example.test", "pw")
    api = APIClient()
    api.force_authenticate(admin)
    body = {"policy_number": "P-API", "insured_name": "Anna Petrova", "profession": "midwife", "risk_group": 3,
            "segment": "nurses", "basis": "occurrence", "currency": "RUB", "inception_date": "2024-01-01",
            "expiry_date": "2024-12-31", "issue_date": "2023-12-20", "gross_premium": "1000.00",
            "commission": "100.00"}
    response = api.post("/api/v1/policies/", body, format="json")
    assert response.status_code == 400
    assert response.json()["segment"] == ["unknown segment 'nurses': add it under Segments first"]


def test_a_flushed_table_gets_the_seed_back_and_a_table_with_rows_is_left_alone():
    Segment.objects.all().delete()
    assert segment_check("individual_occurrence") == "individual_occurrence"
    assert Segment.objects.count() == 2
    Segment.objects.exclude(code="clinic_claims_made").delete()
    segments_ensure_seeded()
    assert list(Segment.objects.values_list("code", flat=True)) == ["clinic_claims_made"]


def test_reports_take_the_accounting_group_from_the_segment_table():
    Segment.objects.filter(code="clinic_claims_made").update(accounting_group="7")
    Segment.objects.create(code="no_group")
    assert segment_groups() == {"clinic_claims_made": "7", "individual_occurrence": "13"}


def test_admin_edits_a_segment_but_never_its_code_and_never_deletes(client):
    admin = get_user_model().objects.create_superuser("root", "root@example.test", "pw")
    client.force_login(admin)
    segment = Segment.objects.get(code="clinic_claims_made")
    url = reverse("admin:segments_segment_change", args=[segment.pk])
    response = client.post(url, {"code": "renamed", "name_en": "clinics", "name_ru": "клиники", "name_fa": "",
                                 "line_of_business": "8", "accounting_group": "7"})
    assert response.status_code == 302
    segment.refresh_from_db()
    assert (segment.code, segment.name_en, segment.accounting_group) == ("clinic_claims_made", "clinics", "7")
    assert client.get(reverse("admin:segments_segment_delete", args=[segment.pk])).status_code == 403
    add = client.post(reverse("admin:segments_segment_add"), {"code": "dental_occurrence", "name_en": "dentists"})
    assert add.status_code == 302 and Segment.objects.filter(code="dental_occurrence").exists()
