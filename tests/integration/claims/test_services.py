"""Claim services: report, reserve, pay, recover, close/reopen, reverse and settle through the
ledger rules, each audited, refused in a closed period, and writing nothing when refused."""
from datetime import date
from decimal import Decimal

import pytest

from claims import rules, services
from claims.models import Claim, ClaimTransaction
from claims.selectors import claim_ledger_totals, policy_limit_usage
from core.errors import DomainError, PeriodClosed
from core.models import AuditEvent
from core.services import period_mark_closed
from policies.services import policy_cancel
from tests.factories import ClaimFactory, ClaimsMadePolicyFactory, PolicyFactory, UserFactory, user_with_roles
from core.roles import system_actor

pytestmark = pytest.mark.django_db
D = Decimal
FEB1, MAR1, APR1 = date(2024, 2, 1), date(2024, 3, 1), date(2024, 4, 1)


@pytest.fixture
def policy():
    return PolicyFactory(limit_per_claim=D("1000000"), aggregate_limit=D("1500000"))


@pytest.fixture
def claim(policy):
    return ClaimFactory(policy=policy, claim_number="C-17", occurrence_date=date(2024, 1, 10),
                        report_date=date(2024, 1, 20), initial_reserve={"indemnity": D("3000")})


def test_report_creates_claim_with_initial_reserve_and_audit():
    actor = user_with_roles("clerk", "clerk")
    policy = PolicyFactory(policy_number="P-9")
    claim = services.claim_report(policy=policy, occurrence_date=date(2024, 5, 1), report_date=date(2024, 6, 1),
                                  cause="wrong dose", litigated=True, claimant="R. Karimi", actor=actor,
                                  initial_reserve={"indemnity": D("50000"), "expense": D("5000")})
    assert claim.claim_number == "P-9-C1" and claim.status == "open"
    rows = list(claim.transactions.values_list("kind", "cost_type", "amount", "accounting_date", "recorded_by"))
    assert rows == [("reserve", "indemnity", D("50000.00"), date(2024, 6, 1), actor.pk),
                    ("reserve", "expense", D("5000.00"), date(2024, 6, 1), actor.pk)]
    assert AuditEvent.objects.filter(verb="claim.report", target_id=str(claim.pk), actor=actor).count() == 1
    assert claim.history.count() == 1


def test_report_occurrence_outside_cover_is_refused(policy):
    with pytest.raises(rules.ClaimDatesOutsideCover):
        services.claim_report(policy=policy, occurrence_date=date(2025, 1, 1), report_date=date(2025, 1, 2), actor=system_actor())
    assert not Claim.objects.exists()


def test_report_claims_made_occurrence_before_retro_is_refused():
    policy = ClaimsMadePolicyFactory(retro_date=date(2022, 1, 1))
    with pytest.raises(rules.ClaimDatesOutsideCover) as exc:
        services.claim_report(policy=policy, occurrence_date=date(2021, 6, 1), report_date=date(2024, 6, 1), actor=system_actor())
    assert exc.value.field == "occurrence_date"
    services.claim_report(policy=policy, occurrence_date=date(2022, 6, 1), report_date=date(2024, 6, 1), actor=system_actor())


def test_report_claims_made_report_after_expiry_is_refused():
    with pytest.raises(rules.ClaimDatesOutsideCover) as exc:
        services.claim_report(policy=ClaimsMadePolicyFactory(), occurrence_date=date(2024, 6, 1),
                              report_date=date(2025, 1, 1), actor=system_actor())
    assert exc.value.field == "report_date"


def test_report_before_occurrence_is_refused(policy):
    with pytest.raises(rules.ClaimDatesOutsideCover):
        services.claim_report(policy=policy, occurrence_date=date(2024, 6, 2), report_date=date(2024, 6, 1), actor=system_actor())


def test_harm_after_cancellation_is_not_covered(policy):
    policy_cancel(policy=policy, effective_date=date(2024, 7, 1), accounting_date=date(2024, 7, 1), actor=system_actor())
    with pytest.raises(rules.ClaimDatesOutsideCover):
        services.claim_report(policy=policy, occurrence_date=date(2024, 7, 1), report_date=date(2024, 7, 2), actor=system_actor())
    services.claim_report(policy=policy, occurrence_date=date(2024, 6, 30), report_date=date(2024, 7, 2), actor=system_actor())


def test_transaction_dated_before_report_date_is_refused(claim):
    with pytest.raises(rules.PostingBeforeReport):
        services.claim_reserve_change(claim=claim, cost_type="indemnity", amount=D("10"),
                                      accounting_date=date(2024, 1, 19), actor=system_actor())


def test_payment_beyond_reserve_is_refused(claim):
    with pytest.raises(rules.PaymentExceedsReserve) as exc:
        services.claim_payment_post(claim=claim, cost_type="indemnity", amount=D("5000"), accounting_date=FEB1, actor=system_actor())
    assert exc.value.message == ("payment 5,000.00 exceeds the outstanding indemnity estimate 3,000.00 of claim "
                                 "C-17; raise the reserve first")
    assert not claim.transactions.filter(kind="payment").exists()


def test_payment_erodes_the_case_estimate(claim):
    row = services.claim_payment_post(claim=claim, cost_type="indemnity", amount=D("1200"), accounting_date=FEB1, actor=system_actor())
    assert (row.kind, row.effect_kind, row.amount) == ("payment", "payment", D("1200.00"))
    totals = claim_ledger_totals(claim)
    assert (totals.outstanding["indemnity"], totals.paid["indemnity"], totals.incurred) == (
        D("1800.00"), D("1200.00"), D("3000.00"))
    assert AuditEvent.objects.filter(verb="claim.payment", target_id=str(claim.pk)).count() == 1


def test_backdated_payment_is_checked_against_the_estimate_at_its_date(claim):
    services.claim_reserve_change(claim=claim, cost_type="indemnity", amount=D("7000"), accounting_date=APR1, actor=system_actor())
    with pytest.raises(rules.PaymentExceedsReserve):
        services.claim_payment_post(claim=claim, cost_type="indemnity", amount=D("5000"), accounting_date=MAR1, actor=system_actor())


def test_indemnity_payment_beyond_per_claim_limit_is_refused(claim):
    services.claim_reserve_change(claim=claim, cost_type="indemnity", new_estimate=D("1200000"), accounting_date=FEB1, actor=system_actor())
    with pytest.raises(rules.LimitExceeded):
        services.claim_payment_post(claim=claim, cost_type="indemnity", amount=D("1000000.01"), accounting_date=FEB1, actor=system_actor())


def test_indemnity_payment_beyond_remaining_aggregate_is_refused(policy, claim):
    other = ClaimFactory(policy=policy, initial_reserve={"indemnity": D("1000000")})
    services.claim_payment_post(claim=other, cost_type="indemnity", amount=D("1000000"), accounting_date=FEB1, actor=system_actor())
    services.claim_reserve_change(claim=claim, cost_type="indemnity", new_estimate=D("900000"), accounting_date=FEB1, actor=system_actor())
    with pytest.raises(rules.LimitExceeded) as exc:
        services.claim_payment_post(claim=claim, cost_type="indemnity", amount=D("500000.01"), accounting_date=FEB1, actor=system_actor())
    assert "aggregate" in exc.value.message
    services.claim_payment_post(claim=claim, cost_type="indemnity", amount=D("500000"), accounting_date=FEB1, actor=system_actor())


def test_recovery_beyond_paid_is_refused(claim):
    services.claim_payment_post(claim=claim, cost_type="indemnity", amount=D("1000"), accounting_date=FEB1, actor=system_actor())
    with pytest.raises(rules.RecoveryExceedsPaid):
        services.claim_recovery_post(claim=claim, cost_type="indemnity", amount=D("1000.01"), accounting_date=FEB1, actor=system_actor())
    services.claim_recovery_post(claim=claim, cost_type="indemnity", amount=D("400"), accounting_date=FEB1, actor=system_actor())
    assert claim_ledger_totals(claim).paid["indemnity"] == D("600.00")


def test_reserve_change_to_a_new_estimate_posts_the_difference(claim):
    row = services.claim_reserve_change(claim=claim, cost_type="indemnity", new_estimate=D("2500"), accounting_date=FEB1, actor=system_actor())
    assert row.amount == D("-500.00")
    with pytest.raises(DomainError):
        services.claim_reserve_change(claim=claim, cost_type="indemnity", new_estimate=D("2500"), accounting_date=FEB1, actor=system_actor())
    with pytest.raises(DomainError):
        services.claim_reserve_change(claim=claim, cost_type="indemnity", amount=D("1"), new_estimate=D("1"),
                                      accounting_date=FEB1, actor=system_actor())


def test_unknown_cost_type_is_refused(claim):
    with pytest.raises(DomainError) as exc:
        services.claim_reserve_change(claim=claim, cost_type="legal", amount=D("1"), accounting_date=FEB1, actor=system_actor())
    assert exc.value.field == "cost_type"


def test_posting_in_closed_period_is_refused(claim):
    period_mark_closed(label="2024Q1", actor=system_actor())
    with pytest.raises(PeriodClosed):
        services.claim_payment_post(claim=claim, cost_type="indemnity", amount=D("100"), accounting_date=MAR1, actor=system_actor())
    services.claim_payment_post(claim=claim, cost_type="indemnity", amount=D("100"), accounting_date=APR1, actor=system_actor())


def test_close_releases_the_estimate_with_derived_rows_then_reopen(claim):
    services.claim_reserve_change(claim=claim, cost_type="expense", amount=D("400"), accounting_date=FEB1, actor=system_actor())
    written = services.claim_close(claim=claim, accounting_date=MAR1, actor=system_actor())
    assert [(r.kind, r.cost_type, r.amount, r.derived) for r in written] == [
        ("reserve", "indemnity", D("-3000.00"), True), ("reserve", "expense", D("-400.00"), True),
        ("close", "", None, False)]
    claim.refresh_from_db()
    assert claim.status == "closed"
    assert claim_ledger_totals(claim).incurred == D("0")
    with pytest.raises(rules.ClaimStatusRefused):
        services.claim_reserve_change(claim=claim, cost_type="indemnity", amount=D("1"), accounting_date=MAR1, actor=system_actor())
    services.claim_reopen(claim=claim, accounting_date=APR1, actor=system_actor())
    claim.refresh_from_db()
    assert claim.status == "open" and claim.history.count() == 3
    assert AuditEvent.objects.filter(target_id=str(claim.pk), verb__in=["claim.close", "claim.reopen"]).count() == 2


def test_closing_a_closed_claim_is_refused(claim):
    services.claim_close(claim=claim, accounting_date=MAR1, actor=system_actor())
    with pytest.raises(DomainError):
        services.claim_close(claim=claim, accounting_date=MAR1, actor=system_actor())


def test_reversal_negates_once(claim):
    pay = services.claim_payment_post(claim=claim, cost_type="indemnity", amount=D("1000"), accounting_date=FEB1, actor=system_actor())
    rev = services.claim_transaction_reverse(transaction=pay, accounting_date=MAR1, note="wrong payee", actor=system_actor())
    assert (rev.kind, rev.effect_kind, rev.amount, rev.reverses) == ("reversal", "payment", D("-1000.00"), pay)
    totals = claim_ledger_totals(claim)
    assert (totals.outstanding["indemnity"], totals.paid["indemnity"]) == (D("3000.00"), D("0.00"))
    with pytest.raises(rules.ReversalRefused):
        services.claim_transaction_reverse(transaction=pay, accounting_date=MAR1, actor=system_actor())
    assert ClaimTransaction.objects.filter(kind="reversal").count() == 1
    assert AuditEvent.objects.filter(verb="claim.reverse").count() == 1


def test_reversal_of_close_or_derived_rows_is_refused(claim):
    derived, close = services.claim_close(claim=claim, accounting_date=MAR1, actor=system_actor())
    for row in (derived, close):
        with pytest.raises(rules.ReversalRefused):
            services.claim_transaction_reverse(transaction=row, accounting_date=MAR1, actor=system_actor())


def test_reversal_dated_before_its_row_is_refused(claim):
    pay = services.claim_payment_post(claim=claim, cost_type="indemnity", amount=D("10"), accounting_date=MAR1, actor=system_actor())
    with pytest.raises(rules.ReversalRefused):
        services.claim_transaction_reverse(transaction=pay, accounting_date=FEB1, actor=system_actor())


# --- settlement --------------------------------------------------------------------------
def settle_case(**policy_fields):
    policy = PolicyFactory(**policy_fields)
    claim = ClaimFactory(policy=policy, initial_reserve={"indemnity": D("100000")})
    return policy, claim


@pytest.mark.parametrize("deductibles, loss, share", [
    ({"deductible_amount": D("50000")}, D("300000"), D("250000.00")),
    ({"deductible_percent": D("10")}, D("300000"), D("270000.00")),
    ({"deductible_amount": D("50000"), "deductible_percent": D("10")}, D("300000"), D("250000.00")),
    ({"deductible_amount": D("50000"), "deductible_percent": D("10")}, D("800000"), D("720000.00")),
    ({"limit_per_claim": D("1000000")}, D("1500000"), D("1000000.00")),
])
def test_settle_pays_the_insurer_share_and_closes(deductibles, loss, share):
    _, claim = settle_case(**deductibles)
    result = services.claim_settle(claim=claim, loss_amount=loss, accounting_date=MAR1, actor=system_actor())
    assert result.share == share
    kinds = [(r.kind, r.amount) for r in result.rows]
    assert kinds[0] == ("reserve", share - D("100000"))  # raised first: the estimate was 100,000
    assert kinds[1] == ("payment", share)
    assert kinds[-1] == ("close", None)
    claim.refresh_from_db()
    totals = claim_ledger_totals(claim)
    assert claim.status == "closed" and totals.paid["indemnity"] == share and totals.total_outstanding == D("0")


def test_settle_loss_below_deductible_pays_nothing_and_releases_the_estimate():
    _, claim = settle_case(deductible_amount=D("50000"))
    result = services.claim_settle(claim=claim, loss_amount=D("40000"), accounting_date=MAR1, actor=system_actor())
    assert result.share == D("0")
    assert [(r.kind, r.amount, r.derived) for r in result.rows] == [
        ("reserve", D("-100000.00"), True), ("close", None, False)]
    assert claim_ledger_totals(claim).incurred == D("0")


def test_settle_below_the_estimate_releases_the_rest():
    _, claim = settle_case()
    result = services.claim_settle(claim=claim, loss_amount=D("60000"), accounting_date=MAR1,
                                   expense_amount=D("2500"), actor=system_actor())
    assert [(r.kind, r.cost_type, r.amount) for r in result.rows] == [
        ("payment", "indemnity", D("60000.00")), ("reserve", "expense", D("2500.00")),
        ("payment", "expense", D("2500.00")), ("reserve", "indemnity", D("-40000.00")), ("close", "", None)]
    assert claim_ledger_totals(claim).incurred == D("62500.00")


def test_settle_aggregate_limit_across_two_claims_of_one_policy():
    policy = PolicyFactory(limit_per_claim=D("1000000"), aggregate_limit=D("1500000"), deductible_amount=None)
    first = ClaimFactory(policy=policy)
    second = ClaimFactory(policy=policy)
    assert services.claim_settle(claim=first, loss_amount=D("1200000"), accounting_date=MAR1, actor=system_actor()).share == D("1000000.00")
    assert services.claim_settle(claim=second, loss_amount=D("800000"), accounting_date=MAR1, actor=system_actor()).share == D("500000.00")
    usage = policy_limit_usage(policy)
    assert usage.aggregate_used == D("1500000.00") and usage.aggregate_remaining == D("0")
    assert AuditEvent.objects.filter(verb="claim.settle").count() == 2


@pytest.fixture
def clerk_actor():
    from django.contrib.auth.models import Group

    user = UserFactory(username="clerk-settle")
    user.groups.add(Group.objects.get_or_create(name="clerk")[0])
    return user


def interim_paid_claim(actor, *, before=(), **policy_fields):
    """Reserve 120,000 and 50,000 indemnity paid on Feb 1, then the `before` steps."""
    policy = PolicyFactory(actor=actor, **policy_fields)
    claim = ClaimFactory(policy=policy, actor=actor, initial_reserve={"indemnity": D("120000")})
    payment = services.claim_payment_post(claim=claim, cost_type="indemnity", amount=D("50000"),
                                          accounting_date=FEB1, actor=actor)
    for step in before:
        step(claim, payment, actor)
    return claim


def _recover_10000(claim, payment, actor):
    services.claim_recovery_post(claim=claim, cost_type="indemnity", amount=D("10000"), accounting_date=FEB1,
                                 actor=actor)


def _reverse_the_payment(claim, payment, actor):
    services.claim_transaction_reverse(transaction=payment, accounting_date=FEB1, actor=actor)


def _other_claim_paid_80000(claim, payment, actor):
    other = ClaimFactory(policy=claim.policy, actor=actor, initial_reserve={"indemnity": D("80000")})
    services.claim_payment_post(claim=other, cost_type="indemnity", amount=D("80000"), accounting_date=FEB1,
                                actor=actor)


def _expense_paid_20000(claim, payment, actor):
    services.claim_reserve_change(claim=claim, cost_type="expense", amount=D("20000"), accounting_date=FEB1,
                                  actor=actor)
    services.claim_payment_post(claim=claim, cost_type="expense", amount=D("20000"), accounting_date=FEB1,
                                actor=actor)


def test_settle_after_an_interim_payment_pays_the_share_less_indemnity_already_paid(clerk_actor):
    # Defect 8: reserve 120,000, 50,000 paid, loss 100,000 used to pay 100,000 more (paid 150,000).
    claim = interim_paid_claim(clerk_actor)
    result = services.claim_settle(claim=claim, loss_amount=D("100000"), accounting_date=MAR1, actor=clerk_actor)
    assert (result.share, result.paid_before, result.to_pay) == (D("100000.00"), D("50000.00"), D("50000.00"))
    assert [(r.kind, r.amount, r.derived) for r in result.rows] == [
        ("payment", D("50000.00"), False), ("reserve", D("-20000.00"), True), ("close", None, False)]
    totals = claim_ledger_totals(claim)
    assert totals.paid["indemnity"] == D("100000.00") and totals.incurred == D("100000.00")
    audit = AuditEvent.objects.get(verb="claim.settle")
    assert (audit.new["share"], audit.new["paid_before"], audit.new["to_pay"]) == ("100000.00", "50000.00", "50000.00")


@pytest.mark.parametrize("policy_fields, before, loss, share, paid_before, to_pay", [
    # The deductible applies to the whole agreed loss.
    ({"deductible_amount": D("10000")}, (), D("100000"), D("90000.00"), D("50000.00"), D("40000.00")),
    # Recoveries do not reduce the indemnity already paid.
    ({}, (_recover_10000,), D("100000"), D("100000.00"), D("50000.00"), D("50000.00")),
    # A reversed payment was never paid.
    ({}, (_reverse_the_payment,), D("100000"), D("100000.00"), D("0.00"), D("100000.00")),
    # Aggregate 150,000 − 80,000 paid on the policy's other claim caps the share at 70,000.
    ({"aggregate_limit": D("150000")}, (_other_claim_paid_80000,), D("100000"), D("70000.00"), D("50000.00"),
     D("20000.00")),
    # Per-claim limit 60,000 caps the share.
    ({"limit_per_claim": D("60000")}, (), D("100000"), D("60000.00"), D("50000.00"), D("10000.00")),
    # Expenses within limits: the 20,000 expense paid on this claim uses its per-claim limit too.
    ({"limit_per_claim": D("100000"), "expenses_within_limits": True}, (_expense_paid_20000,), D("100000"),
     D("80000.00"), D("50000.00"), D("30000.00")),
])
def test_settle_figures_after_earlier_postings(clerk_actor, policy_fields, before, loss, share, paid_before, to_pay):
    claim = interim_paid_claim(clerk_actor, before=before, **policy_fields)
    paid_then = claim_ledger_totals(claim).paid["indemnity"]
    result = services.claim_settle(claim=claim, loss_amount=loss, accounting_date=MAR1, actor=clerk_actor)
    assert (result.share, result.paid_before, result.to_pay) == (share, paid_before, to_pay)
    claim.refresh_from_db()
    totals = claim_ledger_totals(claim)
    assert claim.status == "closed" and totals.total_outstanding == D("0")
    assert totals.paid["indemnity"] == paid_then + to_pay


def test_settle_for_less_than_already_paid_pays_nothing_more(clerk_actor):
    claim = interim_paid_claim(clerk_actor)
    result = services.claim_settle(claim=claim, loss_amount=D("40000"), accounting_date=MAR1, actor=clerk_actor)
    assert (result.share, result.paid_before, result.to_pay) == (D("40000.00"), D("50000.00"), D("0.00"))
    assert [(r.kind, r.amount) for r in result.rows] == [("reserve", D("-70000.00")), ("close", None)]
    assert claim_ledger_totals(claim).incurred == D("50000.00")


def test_settle_in_closed_period_is_refused_and_writes_nothing():
    _, claim = settle_case()
    period_mark_closed(label="2024Q1", actor=system_actor())
    with pytest.raises(PeriodClosed):
        services.claim_settle(claim=claim, loss_amount=D("1000"), accounting_date=MAR1, actor=system_actor())
    claim.refresh_from_db()
    assert claim.status == "open" and claim.transactions.count() == 1
