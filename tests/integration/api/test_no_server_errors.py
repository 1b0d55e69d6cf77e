"""Bad input never becomes a 500: every write endpoint gets junk in every field, one field at a
time, and must answer 201 or 400 (a 400 always with a JSON field map)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from tests.integration.policies.test_api import policy_payload
from tests.factories import ClaimFactory, PolicyFactory

pytestmark = pytest.mark.django_db

JUNK = [None, "", "x" * 1000, -1, 10 ** 30, 1e308, [], {}, "2024-02-30", "NaN", "Infinity", "-0", True,
        "1" * 40 + ".5", {"nested": [1, 2]}, "٣٤٥", "2024-01-01T00:00:00Z", "\x00"]


def junk_variants(valid: dict):
    for field in valid:
        for value in JUNK:
            yield field, {**valid, field: value}


def assert_no_server_error(api, url: str, valid: dict) -> int:
    answered = 0
    for field, payload in junk_variants(valid):
        response = api.post(url, payload, format="json")
        assert response.status_code in (201, 400), (url, field, payload[field], response.status_code)
        if response.status_code == 400:
            assert isinstance(response.json(), dict) and response.json(), (url, field)
        answered += 1
    return answered


def test_policy_create_never_answers_500(api):
    valid = policy_payload()
    counter = iter(range(10 ** 6))
    answered = 0
    for field, payload in junk_variants(valid):
        if field != "policy_number":
            payload["policy_number"] = f"J-{next(counter)}"  # a success must not block the next try
        response = api.post("/api/v1/policies/", payload, format="json")
        assert response.status_code in (201, 400), (field, payload[field], response.content[:300])
        answered += 1
    assert answered == len(valid) * len(JUNK)


def test_policy_operations_never_answer_500(api):
    PolicyFactory(policy_number="P-J")
    assert_no_server_error(api, "/api/v1/policies/P-J/endorse/", {
        "effective_date": "2024-07-01", "accounting_date": "2024-06-15", "gross_premium": "10.00",
        "commission": "1.00", "note": "x"})
    row = api.get("/api/v1/policies/P-J/premium-transactions/").json()[0]["transaction_id"]
    assert_no_server_error(api, f"/api/v1/premium-transactions/{row}/reverse/", {"accounting_date": "2024-02-01"})
    assert_no_server_error(api, "/api/v1/policies/P-J/cancel/", {
        "effective_date": "2024-07-01", "accounting_date": "2024-06-20", "method": "short_rate",
        "return_gross": "1.00"})


def test_claim_endpoints_never_answer_500(api):
    policy = PolicyFactory(policy_number="P-JC")
    ClaimFactory(policy=policy, claim_number="C-J", initial_reserve={"indemnity": Decimal("1000000.00")})
    numbers = iter(range(10 ** 6))
    for field, payload in junk_variants({"policy_number": "P-JC", "occurrence_date": "2024-03-10",
                                         "report_date": "2024-04-02", "claimant": "x", "litigated": False,
                                         "initial_reserve": {"indemnity": "10.00"}}):
        payload["claim_number"] = f"CJ-{next(numbers)}"
        response = api.post("/api/v1/claims/", payload, format="json")
        assert response.status_code in (201, 400), (field, payload[field], response.content[:300])
    for kind in ("reserve", "payment", "recovery"):
        assert_no_server_error(api, "/api/v1/claims/C-J/transactions/", {
            "kind": kind, "cost_type": "indemnity", "amount": "1.00", "accounting_date": "2024-05-01", "note": ""})
    assert_no_server_error(api, "/api/v1/claims/C-J/close/", {"accounting_date": "2024-05-02"})
    assert_no_server_error(api, "/api/v1/claims/C-J/reopen/", {"accounting_date": "2024-05-03"})
    assert_no_server_error(api, "/api/v1/claims/C-J/settle/", {"loss_amount": "100.00",
                                                              "accounting_date": "2024-05-04"})
    row = api.get("/api/v1/claims/C-J/transactions/").json()[0]["transaction_id"]
    assert_no_server_error(api, f"/api/v1/claim-transactions/{row}/reverse/", {"accounting_date": "2024-06-01"})


@pytest.mark.parametrize("url", ["/api/v1/policies/", "/api/v1/claims/", "/api/v1/premium-transactions/",
                                 "/api/v1/claim-transactions/"])
def test_junk_query_parameters_never_answer_500(api, url):
    PolicyFactory(policy_number="P-Q")
    for param in ("search", "segment", "status", "currency", "litigated", "reported_from", "accounting_date",
                  "kind", "ordering", "page"):
        for value in ("\x00", "2024-02-30", "x" * 500, "-1", "true", "%"):
            response = api.get(url, {param: value})
            assert response.status_code in (200, 400, 404), (param, value, response.status_code)
