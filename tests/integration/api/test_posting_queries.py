"""A posting through the API in at most 8 queries (issue 15 §4), transaction statements (BEGIN,
SAVEPOINT, RELEASE, COMMIT) not counted: token authentication with the user's roles and
permissions, the claim, the lock, the handler's authority, the ledger, the row and its audit row.
The closed periods are cached (core.period_cache): read once, not once per posting. Pinned with the
role, authority and closed-period checks all in play (a clerk with an authority row, a closed
period on the books), so none of them can come back as a query of its own."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from claims.models import ClaimTransaction, HandlerAuthority
from core.models import ReportingPeriod
from core.services import period_ensure_open
from policies.models import PremiumTransaction
from tests.factories import ClaimFactory, PolicyFactory

pytestmark = pytest.mark.django_db

MAX_QUERIES = 8
_TRANSACTION = ("BEGIN", "SAVEPOINT", "RELEASE", "COMMIT", "ROLLBACK")


def counted(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries
            if not q["sql"].lstrip().upper().startswith(_TRANSACTION)]


@pytest.fixture
def token_client(clerk):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=clerk).key}")
    return client


@pytest.fixture
def book(clerk):
    ReportingPeriod.objects.create(label="2023Q4", start_date="2023-10-01", end_date="2023-12-31", status="closed")
    HandlerAuthority.objects.create(user=clerk, currency="RUB", reserve_limit=Decimal("900000.00"),
                                    payment_limit=Decimal("500000.00"))
    policy = PolicyFactory(policy_number="P-Q1")
    ClaimFactory(policy=policy, claim_number="C-Q2", initial_reserve={"indemnity": "100000.00"})  # another claim
    claim = ClaimFactory(policy=policy, claim_number="C-Q1",
                         initial_reserve={"indemnity": "300000.00", "expense": "30000.00"})
    period_ensure_open(policy.inception_date)  # the closed periods read (and cached) once
    return policy, claim


def post_counted(client, url, data):
    with CaptureQueriesContext(connection) as captured:
        response = client.post(url, data, format="json")
    return response, counted(captured)


@pytest.mark.parametrize("data", [
    {"kind": "payment", "cost_type": "indemnity", "amount": "10000.00", "accounting_date": "2024-05-02"},
    {"kind": "reserve", "cost_type": "indemnity", "new_estimate": "350000.00", "accounting_date": "2024-05-02"},
    {"kind": "recovery", "cost_type": "indemnity", "amount": "1.00", "accounting_date": "2024-05-03"},
])
def test_a_claim_posting_takes_at_most_8_queries(token_client, book, data):
    if data["kind"] == "recovery":  # something paid to recover
        token_client.post("/api/v1/claims/C-Q1/transactions/", {**data, "kind": "payment", "amount": "5.00"},
                          format="json")
    response, queries = post_counted(token_client, "/api/v1/claims/C-Q1/transactions/", data)
    assert response.status_code == 201, response.json()
    assert len(queries) <= MAX_QUERIES, "\n".join(queries)
    assert ClaimTransaction.objects.filter(transaction_id=response.json()["transaction_id"]).exists()


def test_postings_in_a_row_each_take_at_most_8_queries_and_all_are_stored(token_client, book):
    ids = []
    for day in range(1, 11):
        response, queries = post_counted(token_client, "/api/v1/claims/C-Q1/transactions/", {
            "kind": "payment", "cost_type": "expense", "amount": "100.00", "accounting_date": f"2024-06-{day:02d}"})
        assert response.status_code == 201, response.json()
        assert len(queries) <= MAX_QUERIES, "\n".join(queries)
        ids.append(response.json()["transaction_id"])
    assert len(set(ids)) == 10
    assert ClaimTransaction.objects.filter(transaction_id__in=ids).count() == 10


def test_a_payment_above_authority_is_queued_within_the_same_budget(token_client, book):
    response, queries = post_counted(token_client, "/api/v1/claims/C-Q1/transactions/", {
        "kind": "payment", "cost_type": "indemnity", "amount": "250000.00", "accounting_date": "2024-05-02"})
    assert response.status_code == 201, response.json()
    HandlerAuthority.objects.filter(currency="RUB").update(payment_limit=Decimal("1000.00"))
    response, queries = post_counted(token_client, "/api/v1/claims/C-Q1/transactions/", {
        "kind": "payment", "cost_type": "indemnity", "amount": "2000.00", "accounting_date": "2024-05-03"})
    assert response.status_code == 202, response.json()
    assert len(queries) <= MAX_QUERIES, "\n".join(queries)


def test_a_posting_into_a_closed_period_is_still_refused(token_client, book):
    response, queries = post_counted(token_client, "/api/v1/claims/C-Q1/transactions/", {
        "kind": "payment", "cost_type": "indemnity", "amount": "10.00", "accounting_date": "2023-12-15"})
    assert response.status_code == 400
    assert len(queries) <= MAX_QUERIES


def test_closing_a_period_is_seen_by_the_next_posting(token_client, book):
    ReportingPeriod.objects.create(label="2024Q2", start_date="2024-04-01", end_date="2024-06-30", status="closed")
    response = token_client.post("/api/v1/claims/C-Q1/transactions/", {
        "kind": "payment", "cost_type": "indemnity", "amount": "10.00", "accounting_date": "2024-05-15"},
        format="json")
    assert response.status_code == 400, response.json()


def test_a_premium_posting_takes_at_most_8_queries(token_client, book):
    response, queries = post_counted(token_client, "/api/v1/policies/P-Q1/endorse/", {
        "effective_date": "2024-07-01", "accounting_date": "2024-07-01", "gross_premium": "1200.00",
        "commission": "120.00"})
    assert response.status_code == 201, response.json()
    assert len(queries) <= MAX_QUERIES, "\n".join(queries)
    assert PremiumTransaction.objects.filter(transaction_id=response.json()["transaction_id"]).exists()


def test_a_posting_looks_its_claim_up_without_the_totals_and_still_answers_the_row(token_client, book):
    # the totals (five SUM subqueries) cost most of a posting's CPU when the lookup computed them
    response, queries = post_counted(token_client, "/api/v1/claims/C-Q1/transactions/", {
        "kind": "payment", "cost_type": "indemnity", "amount": "10.00", "accounting_date": "2024-05-02"})
    assert response.status_code == 201, response.json()
    assert not [q for q in queries if "SUM(" in q.upper()], "\n".join(queries)
    assert len(queries) == 7, "\n".join(queries)  # token, roles, claim, lock + authority, ledger, row, audit
    assert response.json()["amount"] == "10.00" and response.json()["claim_number"] == "C-Q1"
    claim = token_client.get("/api/v1/claims/C-Q1/").json()  # a read still shows them
    assert claim["paid"] == "10.00" and claim["outstanding_indemnity"] == "299990.00"


def test_ledger_row_serializers_build_their_fields_once_per_class():
    from claims.serializers import ClaimLedgerRowSerializer, ClaimTransactionSerializer

    first, second = ClaimTransactionSerializer(), ClaimTransactionSerializer()
    assert list(first.fields) == list(second.fields)
    assert first.fields["amount"] is not second.fields["amount"]  # each instance binds its own copy
    assert first.fields["amount"].parent is first
    running = set(ClaimLedgerRowSerializer().fields) - set(first.fields)
    assert running == {"running_outstanding_indemnity", "running_outstanding_expense", "running_outstanding",
                       "running_paid", "running_incurred"}
    assert "running_paid" not in ClaimTransactionSerializer().fields
