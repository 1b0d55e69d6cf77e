"""Policy and premium-ledger API: authentication, creation through policy_create, 400 with a
field map for bad input (never a 500), endorsement, cancellation and reversal."""
from __future__ import annotations

from decimal import Decimal

import pytest

from core.models import AuditEvent
from policies.models import Policy, PremiumTransaction
from tests.factories import PolicyFactory

pytestmark = pytest.mark.django_db


def policy_payload(**overrides) -> dict:
    payload = {
        "policy_number": "API-0001",
        "insured_name": "Maryam Rahimi",
        "profession": "midwife",
        "risk_group": 1,
        "segment": "individual_occurrence",
        "basis": "occurrence",
        "currency": "RUB",
        "inception_date": "2024-01-01",
        "expiry_date": "2024-12-31",
        "issue_date": "2023-12-20",
        "limit_per_claim": "1000000.00",
        "aggregate_limit": "3000000.00",
        "deductible_amount": "50000.00",
        "gross_premium": "36600.00",
        "commission": "3660.00",
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not ...}


@pytest.mark.parametrize("method, url", [
    ("get", "/api/v1/policies/"),
    ("post", "/api/v1/policies/"),
    ("get", "/api/v1/premium-transactions/"),
    ("get", "/api/v1/claims/"),
    ("post", "/api/v1/claims/"),
    ("get", "/api/v1/claim-transactions/"),
])
def test_unauthenticated_requests_are_refused(anonymous, method, url):
    response = getattr(anonymous, method)(url, {}, format="json")
    assert response.status_code in (401, 403)


def test_a_read_only_user_reads_but_cannot_create(auditor):
    from rest_framework.test import APIClient

    PolicyFactory(policy_number="P-READ")
    client = APIClient()
    client.force_authenticate(auditor)
    assert client.get("/api/v1/policies/P-READ/").status_code == 200
    response = client.post("/api/v1/policies/", policy_payload(), format="json")
    assert response.status_code == 403
    assert not Policy.objects.filter(policy_number="API-0001").exists()


def test_policy_is_created_with_its_original_premium_on_the_issue_date(api, clerk):
    response = api.post("/api/v1/policies/", policy_payload(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["policy_number"] == "API-0001"
    assert body["insured_name"] == "Maryam Rahimi"
    assert body["written_premium"] == "36600.00"  # money as a decimal string
    rows = list(PremiumTransaction.objects.filter(policy__policy_number="API-0001"))
    assert [(r.kind, r.accounting_date.isoformat(), r.gross_premium, r.recorded_by) for r in rows] == [
        ("original", "2023-12-20", Decimal("36600.00"), clerk)
    ]
    assert AuditEvent.objects.filter(verb="policy.create", actor=clerk).count() == 1


def test_policy_is_retrieved_by_number_and_listed_with_filters(api):
    PolicyFactory(policy_number="P-OCC-1", segment="individual_occurrence")
    PolicyFactory(policy_number="P-CLINIC-1", segment="clinic_claims_made", currency="IRR",
                  gross_premium=Decimal("5000000"), commission=Decimal("0"))
    assert api.get("/api/v1/policies/P-CLINIC-1/").json()["currency"] == "IRR"
    by_segment = api.get("/api/v1/policies/", {"segment": "clinic_claims_made"}).json()["results"]
    assert [p["policy_number"] for p in by_segment] == ["P-CLINIC-1"]
    by_currency = api.get("/api/v1/policies/", {"currency": "RUB"}).json()["results"]
    assert [p["policy_number"] for p in by_currency] == ["P-OCC-1"]
    by_search = api.get("/api/v1/policies/", {"search": "occ-1"}).json()["results"]
    assert [p["policy_number"] for p in by_search] == ["P-OCC-1"]
    assert api.get("/api/v1/policies/NO-SUCH/").status_code == 404


@pytest.mark.parametrize("overrides, field", [
    ({"expiry_date": "2023-12-31"}, "expiry_date"),                 # expiry before inception
    ({"inception_date": "2024-13-40"}, "inception_date"),           # not a date
    ({"currency": "XXX"}, "currency"),                               # unknown currency
    ({"gross_premium": "-100.00"}, "gross_premium"),                 # negative original premium
    ({"gross_premium": "12,50"}, "gross_premium"),                   # malformed decimal
    ({"gross_premium": "1e400"}, "gross_premium"),                   # absurd number
    ({"limit_per_claim": "100.123"}, "limit_per_claim"),             # more decimals than money has
    ({"segment": ...}, "segment"),                                   # missing field
    ({"basis": "claims_made"}, "retro_date"),                        # claims-made without retro date
    ({"deductible_percent": "150"}, "deductible_percent"),           # outside 0–100
    ({"risk_group": 9}, "risk_group"),
    ({"basis": "sometimes"}, "basis"),
    ({"policy_number": "X" * 41}, "policy_number"),                  # longer than the column
])
def test_bad_policy_input_is_a_400_with_the_field_named(api, overrides, field):
    response = api.post("/api/v1/policies/", policy_payload(**overrides), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert all(isinstance(m, str) and m for m in response.json()[field])
    assert not Policy.objects.exists()


def test_duplicate_policy_number_is_a_400(api):
    PolicyFactory(policy_number="API-0001")
    response = api.post("/api/v1/policies/", policy_payload(), format="json")
    assert response.status_code == 400
    assert "already taken" in response.json()["policy_number"][0]


def test_malformed_json_is_a_400(api):
    response = api.post("/api/v1/policies/", "{not json", content_type="application/json")
    assert response.status_code == 400


def test_endorsement_adds_a_premium_row(api):
    PolicyFactory(policy_number="P-END")
    response = api.post("/api/v1/policies/P-END/endorse/", {
        "effective_date": "2024-07-01", "accounting_date": "2024-06-15",
        "gross_premium": "1200.00", "commission": "120.00",
    }, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == "endorsement"
    assert api.get("/api/v1/policies/P-END/").json()["written_premium"] == "37800.00"
    outside = api.post("/api/v1/policies/P-END/endorse/", {
        "effective_date": "2025-07-01", "accounting_date": "2024-06-15", "gross_premium": "1.00",
    }, format="json")
    assert outside.status_code == 400 and "effective_date" in outside.json()


def test_pro_rata_cancellation_returns_the_unexpired_share(api):
    # 36,600 over the 366 days of 2024; cancelled from 1 July: 184 days back.
    PolicyFactory(policy_number="P-CAN")
    response = api.post("/api/v1/policies/P-CAN/cancel/", {
        "effective_date": "2024-07-01", "accounting_date": "2024-06-20",
    }, format="json")
    assert response.status_code == 201, response.json()
    expected_gross = Decimal("36600.00") * 184 / 366
    expected_commission = Decimal("3660.00") * 184 / 366
    assert Decimal(response.json()["gross_premium"]) == -expected_gross.quantize(Decimal("0.01"))
    assert Decimal(response.json()["commission"]) == -expected_commission.quantize(Decimal("0.01"))
    policy = api.get("/api/v1/policies/P-CAN/").json()
    assert policy["status"] == "cancelled"
    again = api.post("/api/v1/policies/P-CAN/cancel/", {
        "effective_date": "2024-08-01", "accounting_date": "2024-06-20"}, format="json")
    assert again.status_code == 400


def test_short_rate_cancellation_needs_a_return_or_a_retention(api):
    PolicyFactory(policy_number="P-SR")
    response = api.post("/api/v1/policies/P-SR/cancel/", {
        "effective_date": "2024-07-01", "accounting_date": "2024-06-20", "method": "short_rate",
    }, format="json")
    assert response.status_code == 400
    assert "return_gross" in response.json()
    ok = api.post("/api/v1/policies/P-SR/cancel/", {
        "effective_date": "2024-07-01", "accounting_date": "2024-06-20", "method": "short_rate",
        "return_gross": "10000.00",
    }, format="json")
    assert ok.status_code == 201
    assert ok.json()["gross_premium"] == "-10000.00"


def test_premium_row_is_reversed_once_and_the_ledger_lists_both(api):
    PolicyFactory(policy_number="P-REV")
    original = api.get("/api/v1/policies/P-REV/premium-transactions/").json()[0]
    url = f"/api/v1/premium-transactions/{original['transaction_id']}/reverse/"
    response = api.post(url, {"accounting_date": "2024-02-01"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["reverses"] == original["transaction_id"]
    assert response.json()["gross_premium"] == "-36600.00"
    again = api.post(url, {"accounting_date": "2024-02-01"}, format="json")
    assert again.status_code == 400
    assert "already reversed" in again.json()["reverses"][0]
    ledger = api.get("/api/v1/policies/P-REV/premium-transactions/").json()
    assert [r["kind"] for r in ledger] == ["original", "reversal"]
    assert api.get("/api/v1/policies/P-REV/").json()["written_premium"] == "0.00"


def test_premium_ledger_has_no_update_or_delete_endpoint(api):
    PolicyFactory(policy_number="P-RO")
    row = PremiumTransaction.objects.get(policy__policy_number="P-RO")
    url = f"/api/v1/premium-transactions/{row.transaction_id}/"
    # No write route exists for a row (refused before routing to a handler: 403 or 405).
    assert api.patch(url, {"gross_premium": "1.00"}, format="json").status_code in (403, 405)
    assert api.put(url, {"gross_premium": "1.00"}, format="json").status_code in (403, 405)
    assert api.delete(url).status_code in (403, 405)
    row.refresh_from_db()
    assert row.gross_premium == Decimal("36600.00")


def test_schema_and_docs_are_served_to_a_signed_in_user(api):
    schema = api.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in ("/api/v1/policies/{policy_number}/endorse/", "/api/v1/claims/{claim_number}/transactions/",
                 "/api/v1/claim-transactions/{transaction_id}/reverse/", "/api/v1/claims/{claim_number}/settle/"):
        assert path in text
    assert api.get("/api/docs/").status_code == 200


def test_openapi_schema_validates(tmp_path):
    from django.core.management import call_command

    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--file", str(out))
    assert "/api/v1/claims/{claim_number}/settle/" in out.read_text()
