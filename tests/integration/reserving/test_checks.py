"""Data checks before a run computes: each finds the rows it is about, and only those."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from claims.models import Claim, ClaimTransaction
from policies.models import Insured, Policy, PremiumTransaction
from reserving import checks
from reserving.selectors import Scope

pytestmark = pytest.mark.django_db
V = date(2024, 12, 31)


@pytest.fixture
def policy():
    insured = Insured.objects.create(name="Nurse N")
    pol = Policy.objects.create(policy_number="P-1", insured=insured, profession="nurse", segment="individual_occurrence",
                                currency="RUB", inception_date=date(2024, 1, 1), expiry_date=date(2024, 12, 31),
                                issue_date=date(2024, 1, 1))
    PremiumTransaction.objects.create(transaction_id="P-1-P1", policy=pol, kind="original", effect_kind="original",
                                      accounting_date=date(2024, 1, 1), effective_date=date(2024, 1, 1),
                                      gross_premium=Decimal("1000"), commission=Decimal("100"),
                                      recorded_at=timezone.now() - timedelta(days=1))
    return pol


def row(claim, n, kind, amount=None, cost_type="indemnity", when=date(2024, 6, 1), effect=None):
    return ClaimTransaction.objects.create(
        transaction_id=f"{claim.claim_number}-{n}", claim=claim, kind=kind, effect_kind=effect or kind,
        cost_type="" if kind in ("close", "reopen") else cost_type,
        amount=None if amount is None else Decimal(amount), accounting_date=when,
        recorded_at=timezone.now() - timedelta(hours=1))


def claim(policy, number, report=date(2024, 5, 1)):
    return Claim.objects.create(claim_number=number, policy=policy, occurrence_date=date(2024, 4, 1), report_date=report)


def scope():
    return Scope(valuation_date=V, cut_off=timezone.now())


def test_open_claim_without_case_reserve_is_a_warning_but_a_closed_or_reserved_one_is_not(policy):
    claim(policy, "C-bare")
    reserved = claim(policy, "C-reserved")
    row(reserved, 1, "reserve", "5000")
    closed = claim(policy, "C-closed")
    row(closed, 1, "reserve", "100")
    row(closed, 2, "reserve", "-100", when=date(2024, 7, 1))
    row(closed, 3, "close", when=date(2024, 7, 1))
    reopened = claim(policy, "C-reopened")
    row(reopened, 1, "close", when=date(2024, 7, 1))
    row(reopened, 2, "reopen", when=date(2024, 8, 1))
    found = checks.check_open_claims_without_case_reserve(scope())
    assert found.severity == "warning"
    assert sorted(r["claim_number"] for r in found.rows) == ["C-bare", "C-reopened"]


def test_outstanding_below_zero_is_an_error_per_claim_and_cost_type(policy):
    c = claim(policy, "C-1")
    row(c, 1, "reserve", "100", cost_type="expense")
    row(c, 2, "payment", "150", cost_type="expense")
    row(c, 3, "reserve", "1000")
    found = checks.check_outstanding_below_zero(scope())
    assert found.severity == "error" and found.row_count == 1
    assert found.rows[0]["cost_type"] == "expense"
    # a reversal of the over-payment clears it
    row(c, 4, "reversal", "-150", cost_type="expense", effect="payment")
    assert checks.check_outstanding_below_zero(scope()) is None


def test_payment_after_close_without_reopen_is_flagged(policy):
    c = claim(policy, "C-1")
    row(c, 1, "reserve", "1000")
    row(c, 2, "payment", "100", when=date(2024, 6, 2))
    row(c, 3, "close", when=date(2024, 7, 1))
    row(c, 4, "payment", "50", when=date(2024, 8, 1))
    ok = claim(policy, "C-2")
    row(ok, 1, "reserve", "1000")
    row(ok, 2, "close", when=date(2024, 7, 1))
    row(ok, 3, "reopen", when=date(2024, 7, 2))
    row(ok, 4, "payment", "50", when=date(2024, 8, 1))
    found = checks.check_payments_on_closed_claims(scope())
    assert [r["transaction_id"] for r in found.rows] == ["C-1-4"]


def test_claim_rows_dated_before_the_report_are_an_error(policy):
    c = claim(policy, "C-1", report=date(2024, 6, 1))
    row(c, 1, "reserve", "1000", when=date(2024, 5, 31))
    row(c, 2, "reserve", "1000", when=date(2024, 6, 1))
    found = checks.check_rows_before_report(scope())
    assert found.severity == "error" and [r["transaction_id"] for r in found.rows] == ["C-1-1"]


def test_policy_without_original_premium_is_a_warning(policy):
    Policy.objects.create(policy_number="P-2", insured=policy.insured, profession="nurse", segment="individual_occurrence",
                          currency="RUB", inception_date=date(2024, 3, 1), expiry_date=date(2025, 2, 28),
                          issue_date=date(2024, 3, 1))
    Policy.objects.create(policy_number="P-future", insured=policy.insured, profession="nurse",
                          segment="individual_occurrence", currency="RUB", inception_date=date(2025, 3, 1),
                          expiry_date=date(2026, 2, 28), issue_date=date(2025, 3, 1))
    found = checks.check_policies_without_premium(scope())
    assert [r["policy_number"] for r in found.rows] == ["P-2"]


def test_large_movement_threshold_is_a_parameter():
    prev = {("s", "RUB"): {"upr": Decimal("100"), "rbns": Decimal("100")}}
    cur = {("s", "RUB"): {"upr": Decimal("120"), "rbns": Decimal("100")}}
    assert checks.check_large_movements(current=cur, previous=prev, threshold=0.25, previous_run_id=1) is None
    found = checks.check_large_movements(current=cur, previous=prev, threshold=0.1, previous_run_id=1)
    assert found.rows == [{"segment": "s", "currency": "RUB", "amount": "upr", "previous": "100", "current": "120",
                           "change": "+20.0%"}]


def test_rows_recorded_after_the_cut_off_do_not_raise_findings(policy):
    c = claim(policy, "C-1")
    row(c, 1, "reserve", "100")
    cut = timezone.now()
    ClaimTransaction.objects.create(transaction_id="late", claim=c, kind="payment", effect_kind="payment",
                                    cost_type="indemnity", amount=Decimal("500"), accounting_date=date(2024, 6, 2),
                                    recorded_at=cut + timedelta(seconds=5))
    assert checks.check_outstanding_below_zero(Scope(valuation_date=V, cut_off=cut)) is None
    assert checks.check_outstanding_below_zero(Scope(valuation_date=V, cut_off=cut + timedelta(seconds=10))) is not None


def test_payment_on_closed_claim_follows_the_last_close_and_reopen_before_it(policy):
    # closed, reopened, closed again: a payment after the second close is flagged; a payment
    # between the reopen and the second close is not; nor one on a claim never closed
    c = claim(policy, "C-1")
    row(c, 1, "reserve", "1000")
    row(c, 2, "close", when=date(2024, 6, 2))
    row(c, 3, "reopen", when=date(2024, 6, 3))
    row(c, 4, "payment", "10", when=date(2024, 6, 4))
    row(c, 5, "close", when=date(2024, 6, 5))
    row(c, 6, "payment", "20", when=date(2024, 6, 6))
    row(c, 7, "payment", "30", when=date(2024, 6, 7))
    open_ = claim(policy, "C-2")
    row(open_, 1, "reserve", "1000")
    row(open_, 2, "payment", "40")
    found = checks.check_payments_on_closed_claims(scope())
    assert found.severity == "warning" and found.row_count == 2
    assert [(r["transaction_id"], r["accounting_date"]) for r in found.rows] == [
        ("C-1-6", "2024-06-06"), ("C-1-7", "2024-06-07")]
    assert found.message == "2 payments were posted on closed claims"
