"""Claim selectors: totals as of a date and a cut-off, running balances, list annotations."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims import services
from claims.models import ClaimTransaction
from claims.selectors import (
    claim_ledger_totals,
    claim_ledger_with_balances,
    claim_list,
    claims_with_totals,
    claim_transactions_with_balances,
)
from tests.factories import ClaimFactory, PolicyFactory
from core.roles import system_actor

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def worked_claim():
    claim = ClaimFactory(claim_number="C-1", report_date=date(2024, 1, 20), initial_reserve={"indemnity": D("1000")})
    services.claim_reserve_change(claim=claim, cost_type="expense", amount=D("200"), accounting_date=date(2024, 2, 1), actor=system_actor())
    services.claim_payment_post(claim=claim, cost_type="indemnity", amount=D("300"), accounting_date=date(2024, 3, 1), actor=system_actor())
    services.claim_recovery_post(claim=claim, cost_type="indemnity", amount=D("50"), accounting_date=date(2024, 4, 1), actor=system_actor())
    services.claim_payment_post(claim=claim, cost_type="expense", amount=D("200"), accounting_date=date(2024, 5, 1), actor=system_actor())
    return claim


def test_totals_as_of_an_accounting_date(worked_claim):
    early = claim_ledger_totals(worked_claim, as_of=date(2024, 3, 31))
    assert early.outstanding == {"indemnity": D("700.00"), "expense": D("200.00")}
    assert early.paid == {"indemnity": D("300.00"), "expense": D("0")}
    late = claim_ledger_totals(worked_claim)
    assert late.outstanding == {"indemnity": D("700.00"), "expense": D("0.00")}
    assert late.paid == {"indemnity": D("250.00"), "expense": D("200.00")}
    assert late.incurred == D("1150.00")


def test_totals_ignore_rows_recorded_after_the_cut_off(worked_claim):
    cut_off = timezone.now()
    services.claim_reserve_change(claim=worked_claim, cost_type="indemnity", amount=D("500"),
                                  accounting_date=date(2024, 2, 1), recorded_at=cut_off + timedelta(hours=1), actor=system_actor())
    assert claim_ledger_totals(worked_claim, cut_off=cut_off).outstanding["indemnity"] == D("700.00")
    assert claim_ledger_totals(worked_claim).outstanding["indemnity"] == D("1200.00")


def test_running_balances_follow_booking_order(worked_claim):
    rows = claim_ledger_with_balances(worked_claim)
    assert [(r.kind, r.running_outstanding, r.running_paid, r.running_incurred) for r in rows] == [
        ("reserve", D("1000"), D("0"), D("1000")),
        ("reserve", D("1200"), D("0"), D("1200")),
        ("payment", D("900"), D("300"), D("1200")),
        ("recovery", D("900"), D("250"), D("1150")),
        ("payment", D("700"), D("450"), D("1150")),
    ]


def test_running_balances_are_computed_in_one_query(worked_claim):
    other = ClaimFactory(policy=worked_claim.policy, initial_reserve={"indemnity": D("5")})
    with CaptureQueriesContext(connection) as queries:
        rows = list(claim_transactions_with_balances(ClaimTransaction.objects.filter(claim=other)))
    assert len(queries) == 1
    assert [r.running_outstanding for r in rows] == [D("5")]  # partitioned by claim


def test_claims_with_totals_matches_the_per_claim_totals(worked_claim):
    other = ClaimFactory(policy=worked_claim.policy, initial_reserve={"indemnity": D("70"), "expense": D("30")})
    annotated = {c.claim_number: c for c in claims_with_totals()}
    for claim in (worked_claim, other):
        totals = claim_ledger_totals(claim)
        row = annotated[claim.claim_number]
        assert (row.outstanding, row.paid, row.incurred) == (totals.total_outstanding, totals.total_paid,
                                                             totals.incurred)
    assert claims_with_totals(as_of=date(2024, 2, 15)).get(pk=worked_claim.pk).outstanding == D("1200.00")


def test_claim_list_searches_numbers_and_insured_name():
    from segments.models import Segment

    Segment.objects.create(code="clinic_occurrence")  # a segment of the table (policy_create checks it)
    policy = PolicyFactory(policy_number="P-777", insured__name="Zahra Moradi", segment="clinic_occurrence")
    claim = ClaimFactory(policy=policy, claim_number="C-XYZ")
    ClaimFactory()
    assert list(claim_list(search="moradi")) == [claim]
    assert list(claim_list(search="P-777")) == [claim]
    assert list(claim_list(segment="clinic_occurrence")) == [claim]
