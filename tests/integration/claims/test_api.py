"""Claim and claim-ledger API: a claim worked from report to settlement, postings refused with
a field map (and nothing written), running totals, close/reopen and reversal."""
from __future__ import annotations

from decimal import Decimal

import pytest

from claims.models import Claim, ClaimTransaction
from tests.factories import ClaimFactory, PolicyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy():
    # Limit 1,000,000 per claim, deductible 50,000 or 10% of the loss, whichever is larger.
    return PolicyFactory(policy_number="P-CLM", deductible_amount=Decimal("50000.00"),
                         deductible_percent=Decimal("10"))


def post(api, url, data):
    return api.post(url, data, format="json")


def test_claim_is_worked_from_report_to_settlement(api, policy):
    reported = post(api, "/api/v1/claims/", {
        "policy_number": "P-CLM", "claim_number": "C-100", "occurrence_date": "2024-03-10",
        "report_date": "2024-04-02", "claimant": "A. Patient", "cause": "wrong dose", "litigated": True,
        "initial_reserve": {"indemnity": "200000.00", "expense": "20000.00"},
    })
    assert reported.status_code == 201, reported.json()
    assert reported.json()["outstanding"] == "220000.00"
    base = "/api/v1/claims/C-100"

    raised = post(api, f"{base}/transactions/", {"kind": "reserve", "cost_type": "indemnity",
                                                 "new_estimate": "500000.00", "accounting_date": "2024-05-01"})
    assert raised.status_code == 201, raised.json()
    assert raised.json()["amount"] == "300000.00"  # the change that takes 200,000 to 500,000

    paid = post(api, f"{base}/transactions/", {"kind": "payment", "cost_type": "expense", "amount": "15000.00",
                                               "accounting_date": "2024-06-01"})
    assert paid.status_code == 201, paid.json()

    ledger = api.get(f"{base}/transactions/").json()
    last = ledger[-1]
    assert (last["running_outstanding"], last["running_paid"], last["running_incurred"]) == (
        "505000.00", "15000.00", "520000.00")

    # Loss 800,000: deductible = max(50,000, 10% × 800,000) = 80,000; share 720,000 ≤ limit.
    settled = post(api, f"{base}/settle/", {"loss_amount": "800000.00", "accounting_date": "2024-09-30"})
    assert settled.status_code == 201, settled.json()
    body = settled.json()
    assert (body["share"], body["paid_before"], body["to_pay"]) == ("720000.00", "0.00", "720000.00")
    assert body["claim"]["status"] == "closed"
    assert body["claim"]["outstanding"] == "0.00"
    assert body["claim"]["paid"] == "735000.00"
    assert body["claim"]["incurred"] == "735000.00"
    assert Claim.objects.get(claim_number="C-100").status == "closed"
    assert {"payment", "close"} <= {t["kind"] for t in body["transactions"]}


def test_settlement_is_capped_by_the_remaining_limit(api):
    limited = PolicyFactory(policy_number="P-LIM", limit_per_claim=Decimal("100000.00"))
    ClaimFactory(policy=limited, claim_number="C-LIM",
                 initial_reserve={"indemnity": Decimal("60000.00")})
    post(api, "/api/v1/claims/C-LIM/transactions/", {"kind": "payment", "cost_type": "indemnity",
                                                     "amount": "60000.00", "accounting_date": "2024-02-01"})
    settled = post(api, "/api/v1/claims/C-LIM/settle/", {"loss_amount": "90000.00", "accounting_date": "2024-03-01"})
    assert settled.status_code == 201, settled.json()
    body = settled.json()
    # The loss 90,000 is the whole agreed loss (D-5): within the 100,000 limit the share is 90,000,
    # 60,000 of it was paid before the settlement, so 30,000 is paid now.
    assert (body["share"], body["paid_before"], body["to_pay"]) == ("90000.00", "60000.00", "30000.00")
    assert body["claim"]["paid"] == body["claim"]["incurred"] == "90000.00"


def test_ledger_running_outstanding_is_never_negative_zero(api):
    # Defect 12: 0.30 − 0.10 − 0.20 summed in floating point (SQLite) came back as "-0.00".
    from claims.services import claim_payment_post
    from tests.factories import UserFactory

    admin = UserFactory(username="admin-negzero", is_superuser=True)
    claim = ClaimFactory(policy=PolicyFactory(actor=admin), claim_number="C-NEG0", actor=admin,
                         initial_reserve={"indemnity": Decimal("0.30")})
    for amount in ("0.10", "0.20"):
        claim_payment_post(claim=claim, cost_type="indemnity", amount=Decimal(amount),
                           accounting_date=claim.report_date, actor=admin)
    ledger = api.get("/api/v1/claims/C-NEG0/transactions/").json()
    assert [row["running_outstanding"] for row in ledger] == ["0.30", "0.20", "0.00"]
    assert [row["running_outstanding_indemnity"] for row in ledger][-1] == "0.00"
    assert api.get("/api/v1/claims/C-NEG0/").json()["outstanding"] == "0.00"


def test_payment_beyond_reserve_is_refused_and_nothing_is_written(api, policy):
    ClaimFactory(policy=policy, claim_number="C-200", initial_reserve={"indemnity": Decimal("1000.00")})
    before = ClaimTransaction.objects.count()
    response = post(api, "/api/v1/claims/C-200/transactions/", {
        "kind": "payment", "cost_type": "indemnity", "amount": "1500.00", "accounting_date": "2024-02-01"})
    assert response.status_code == 400
    assert "exceeds the outstanding" in response.json()["amount"][0]
    assert ClaimTransaction.objects.count() == before


@pytest.mark.parametrize("data, field", [
    ({"kind": "payment", "cost_type": "indemnity", "amount": "abc", "accounting_date": "2024-02-01"}, "amount"),
    ({"kind": "payment", "cost_type": "indemnity", "amount": "10.00", "accounting_date": "2024-02-30"},
     "accounting_date"),
    ({"kind": "payment", "cost_type": "indemnity", "amount": "10.00"}, "accounting_date"),
    ({"kind": "payment", "cost_type": "indemnity", "accounting_date": "2024-02-01"}, "amount"),
    ({"kind": "payment", "cost_type": "legal", "amount": "10.00", "accounting_date": "2024-02-01"}, "cost_type"),
    ({"kind": "payout", "cost_type": "indemnity", "amount": "10.00", "accounting_date": "2024-02-01"}, "kind"),
    ({"kind": "payment", "cost_type": "indemnity", "amount": "-5.00", "accounting_date": "2024-02-01"}, "amount"),
    ({"kind": "payment", "cost_type": "indemnity", "amount": "10.00", "accounting_date": "2023-06-01"},
     "accounting_date"),                                                       # before the report date
    ({"kind": "recovery", "cost_type": "indemnity", "amount": "10.00", "accounting_date": "2024-02-01"}, "amount"),
    ({"kind": "reserve", "cost_type": "indemnity", "accounting_date": "2024-02-01"}, "amount"),
    ({"kind": "reserve", "cost_type": "indemnity", "amount": "-5000.00", "accounting_date": "2024-02-01"},
     "amount"),                                                                # estimate below zero
    ({"kind": "payment", "cost_type": "indemnity", "amount": "10.00", "new_estimate": "1.00",
      "accounting_date": "2024-02-01"}, "new_estimate"),
])
def test_bad_posting_is_a_400_with_the_field_named(api, policy, data, field):
    ClaimFactory(policy=policy, claim_number="C-300", report_date=policy.inception_date,
                 initial_reserve={"indemnity": Decimal("1000.00")})
    before = ClaimTransaction.objects.count()
    response = post(api, "/api/v1/claims/C-300/transactions/", data)
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert ClaimTransaction.objects.count() == before


@pytest.mark.parametrize("overrides, field", [
    ({"policy_number": "NO-SUCH"}, "policy_number"),
    ({"occurrence_date": "2025-03-01", "report_date": "2025-03-02"}, "occurrence_date"),  # outside cover
    ({"report_date": "2024-03-01"}, "report_date"),                                      # before occurrence
    ({"occurrence_date": "yesterday"}, "occurrence_date"),
    ({"initial_reserve": {"indemnity": "lots"}}, "initial_reserve"),
    ({"initial_reserve": {"legal": "10.00"}}, "cost_type"),
    ({"report_date": None}, "report_date"),
])
def test_bad_claim_report_is_a_400_with_the_field_named(api, policy, overrides, field):
    data = {"policy_number": "P-CLM", "occurrence_date": "2024-03-10", "report_date": "2024-04-02"}
    data.update(overrides)
    response = post(api, "/api/v1/claims/", data)
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not Claim.objects.exists()


def test_close_releases_the_estimate_and_reopen_opens_again(api, policy):
    ClaimFactory(policy=policy, claim_number="C-400", initial_reserve={"indemnity": Decimal("5000.00")})
    closed = post(api, "/api/v1/claims/C-400/close/", {"accounting_date": "2024-03-01"})
    assert closed.status_code == 201, closed.json()
    assert [(r["kind"], r["amount"], r["derived"]) for r in closed.json()] == [
        ("reserve", "-5000.00", True), ("close", None, False)]
    claim = api.get("/api/v1/claims/C-400/").json()
    assert (claim["status"], claim["outstanding"]) == ("closed", "0.00")
    refused = post(api, "/api/v1/claims/C-400/transactions/", {
        "kind": "payment", "cost_type": "indemnity", "amount": "1.00", "accounting_date": "2024-03-02"})
    assert refused.status_code == 400
    reopened = post(api, "/api/v1/claims/C-400/reopen/", {"accounting_date": "2024-03-05"})
    assert reopened.status_code == 201
    assert api.get("/api/v1/claims/C-400/").json()["status"] == "open"


def test_claim_row_is_reversed_once_and_a_close_is_never_reversed(api, policy):
    claim = ClaimFactory(policy=policy, claim_number="C-500", initial_reserve={"indemnity": Decimal("5000.00")})
    payment = post(api, "/api/v1/claims/C-500/transactions/", {
        "kind": "payment", "cost_type": "indemnity", "amount": "2000.00", "accounting_date": "2024-02-01"}).json()
    url = f"/api/v1/claim-transactions/{payment['transaction_id']}/reverse/"
    reversed_ = post(api, url, {"accounting_date": "2024-02-02"})
    assert reversed_.status_code == 201, reversed_.json()
    assert (reversed_.json()["amount"], reversed_.json()["reverses"]) == ("-2000.00", payment["transaction_id"])
    assert api.get("/api/v1/claims/C-500/").json()["paid"] == "0.00"
    assert post(api, url, {"accounting_date": "2024-02-03"}).status_code == 400
    close_rows = post(api, "/api/v1/claims/C-500/close/", {"accounting_date": "2024-03-01"}).json()
    close_id = close_rows[-1]["transaction_id"]
    refused = post(api, f"/api/v1/claim-transactions/{close_id}/reverse/", {"accounting_date": "2024-03-02"})
    assert refused.status_code == 400
    assert "reverses" in refused.json()
    assert claim.transactions.filter(kind="reversal").count() == 1


def test_claims_are_filtered_and_searched(api, policy):
    ClaimFactory(policy=policy, claim_number="C-A", claimant="Ivanova")
    ClaimFactory(policy=policy, claim_number="C-B", claimant="Petrov", litigated=True)
    assert [c["claim_number"] for c in api.get("/api/v1/claims/", {"search": "ivanova"}).json()["results"]] == ["C-A"]
    assert [c["claim_number"] for c in api.get("/api/v1/claims/", {"litigated": "true"}).json()["results"]] == ["C-B"]
    assert api.get("/api/v1/claims/", {"segment": "nothing_here"}).json()["count"] == 0
    assert api.get("/api/v1/claims/", {"policy_number": "P-CLM"}).json()["count"] == 2
