"""Policy services: creation with the original premium, master-data edits with history,
endorsement, cancellation and reversal, each audited and refused in a closed period."""
from datetime import date
from decimal import Decimal

import pytest

from core.errors import DomainError, PeriodClosed
from core.models import AuditEvent
from core.services import period_mark_closed
from policies import services
from policies.models import Policy, PremiumTransaction
from policies.selectors import policy_premium_totals
from tests.factories import ClaimFactory, PolicyFactory, UserFactory, user_with_roles
from core.roles import system_actor

pytestmark = pytest.mark.django_db
D = Decimal


def policy_kwargs(**over):
    kw = dict(policy_number="P-1", insured_name="Maryam Ahmadi", profession="midwife", risk_group=3,
              segment="individual_occurrence", basis="occurrence", currency="RUB",
              inception_date=date(2024, 1, 1), expiry_date=date(2024, 12, 31), issue_date=date(2023, 12, 20),
              limit_per_claim=D("1000000"), aggregate_limit=D("3000000"), deductible_percent=D("10"),
              gross_premium=D("36600"), commission=D("3660"), actor=system_actor())
    kw.update(over)
    return kw


def test_policy_create_books_the_original_premium_on_the_issue_date():
    clerk = user_with_roles("clerk", "clerk")
    policy = services.policy_create(**policy_kwargs(actor=clerk))
    [row] = policy.premium_transactions.all()
    assert (row.kind, row.effect_kind, row.accounting_date, row.effective_date) == (
        "original", "original", date(2023, 12, 20), date(2024, 1, 1))
    assert (row.gross_premium, row.commission, row.recorded_by) == (D("36600.00"), D("3660.00"), clerk)
    assert row.transaction_id == "P-1-P1"
    assert policy.insured.name == "Maryam Ahmadi"
    event = AuditEvent.objects.get(verb="policy.create")
    assert (event.actor, event.target_id, event.new["gross_premium"]) == (clerk, str(policy.pk), "36600.00")


def test_policy_create_expiry_before_inception_is_refused_and_writes_nothing():
    with pytest.raises(DomainError) as exc:
        services.policy_create(**policy_kwargs(expiry_date=date(2023, 12, 31)))
    assert exc.value.field == "expiry_date"
    assert not Policy.objects.exists() and not PremiumTransaction.objects.exists()


def test_policy_create_negative_original_premium_is_refused():
    with pytest.raises(DomainError) as exc:
        services.policy_create(**policy_kwargs(gross_premium=D("-1")))
    assert exc.value.field == "gross_premium"
    assert not Policy.objects.exists()


def test_policy_create_claims_made_without_retro_date_is_refused():
    with pytest.raises(DomainError) as exc:
        services.policy_create(**policy_kwargs(basis="claims_made", retro_date=None))
    assert exc.value.field == "retro_date"


def test_duplicate_policy_number_is_refused():
    services.policy_create(**policy_kwargs())
    with pytest.raises(DomainError) as exc:
        services.policy_create(**policy_kwargs())
    assert exc.value.field == "policy_number"


def test_policy_create_in_closed_period_is_refused():
    period_mark_closed(label="2023Q4", actor=system_actor())
    with pytest.raises(PeriodClosed):
        services.policy_create(**policy_kwargs())
    assert not Policy.objects.exists()


def test_master_update_keeps_history_and_audits_old_and_new():
    policy = PolicyFactory(segment="individual_occurrence")
    assert policy.history.count() == 1
    services.policy_update_master(policy=policy, segment="clinic_claims_made", profession="icu_nurse", actor=system_actor())
    policy.refresh_from_db()
    assert policy.segment == "clinic_claims_made"
    assert policy.history.count() == 2
    assert policy.history.earliest().segment == "individual_occurrence"
    event = AuditEvent.objects.get(verb="policy.update")
    assert event.old == {"segment": "individual_occurrence", "profession": "nurse"}
    assert event.new == {"segment": "clinic_claims_made", "profession": "icu_nurse"}


def test_master_update_that_would_uncover_a_claim_is_refused():
    policy = PolicyFactory()
    ClaimFactory(policy=policy, occurrence_date=date(2024, 11, 1))
    with pytest.raises(DomainError) as exc:
        services.policy_update_master(policy=policy, expiry_date=date(2024, 10, 31), actor=system_actor())
    assert "would no longer be covered" in exc.value.message
    policy.refresh_from_db()
    assert policy.expiry_date == date(2024, 12, 31)


def test_master_update_cannot_lower_a_limit_below_what_was_paid():
    from claims.services import claim_payment_post

    policy = PolicyFactory(limit_per_claim=D("1000000"))
    claim = ClaimFactory(policy=policy, initial_reserve={"indemnity": D("500000")})
    claim_payment_post(claim=claim, cost_type="indemnity", amount=D("400000"), accounting_date=date(2024, 2, 1), actor=system_actor())
    with pytest.raises(DomainError) as exc:
        services.policy_update_master(policy=policy, limit_per_claim=D("300000"), actor=system_actor())
    assert exc.value.field == "limit_per_claim"


def test_master_update_of_status_is_refused():
    with pytest.raises(DomainError):
        services.policy_update_master(policy=PolicyFactory(), status="cancelled", actor=system_actor())


def test_endorsement_adds_premium_from_its_effective_date():
    policy = PolicyFactory(gross_premium=D("36600"), commission=D("3660"))
    row = services.policy_endorse(policy=policy, effective_date=date(2024, 4, 1), accounting_date=date(2024, 4, 5),
                                  gross_premium=D("2750"), commission=D("275"), note="extra shifts", actor=system_actor())
    assert (row.kind, row.effective_date, row.gross_premium) == ("endorsement", date(2024, 4, 1), D("2750.00"))
    totals = policy_premium_totals(policy)
    assert (totals.written_gross, totals.commission) == (D("39350.00"), D("3935.00"))
    assert AuditEvent.objects.filter(verb="policy.endorse", target_id=str(policy.pk)).count() == 1


def test_endorsement_effective_outside_cover_is_refused():
    with pytest.raises(DomainError) as exc:
        services.policy_endorse(policy=PolicyFactory(), effective_date=date(2025, 1, 1),
                                accounting_date=date(2025, 1, 1), gross_premium=D("10"), actor=system_actor())
    assert exc.value.field == "effective_date"


def test_endorsement_in_closed_period_is_refused():
    policy = PolicyFactory()
    period_mark_closed(label="2024Q2", actor=system_actor())
    with pytest.raises(PeriodClosed):
        services.policy_endorse(policy=policy, effective_date=date(2024, 4, 1), accounting_date=date(2024, 6, 30),
                                gross_premium=D("10"), actor=system_actor())
    services.policy_endorse(policy=policy, effective_date=date(2024, 4, 1), accounting_date=date(2024, 7, 1),
                            gross_premium=D("10"), actor=system_actor())


def test_pro_rata_cancellation_returns_premium_and_commission_and_cancels():
    policy = PolicyFactory(gross_premium=D("36600"), commission=D("3660"))
    services.policy_endorse(policy=policy, effective_date=date(2024, 4, 1), accounting_date=date(2024, 4, 1),
                            gross_premium=D("2750"), commission=D("275"), actor=system_actor())
    row = services.policy_cancel(policy=policy, effective_date=date(2024, 7, 1), accounting_date=date(2024, 7, 3), actor=system_actor())
    # original 36,600 × 184/366 + endorsement 2,750 × 184/275
    assert (row.gross_premium, row.commission) == (D("-20240.00"), D("-2024.00"))
    assert (row.kind, row.effective_date) == ("cancellation", date(2024, 7, 1))
    policy.refresh_from_db()
    assert (policy.status, policy.cancelled_on) == ("cancelled", date(2024, 7, 1))
    with pytest.raises(DomainError):
        services.policy_cancel(policy=policy, effective_date=date(2024, 8, 1), accounting_date=date(2024, 8, 1), actor=system_actor())


def test_short_rate_cancellation_with_explicit_return():
    policy = PolicyFactory(gross_premium=D("36600"), commission=D("3660"))
    row = services.policy_cancel(policy=policy, effective_date=date(2024, 7, 1), accounting_date=date(2024, 7, 1),
                                 method="short_rate", return_gross=D("9200"), actor=system_actor())
    assert (row.gross_premium, row.commission) == (D("-9200.00"), D("-920.00"))


def test_premium_reversal_negates_once_and_restores_a_cancelled_policy():
    policy = PolicyFactory()
    cancel = services.policy_cancel(policy=policy, effective_date=date(2024, 7, 1), accounting_date=date(2024, 7, 1), actor=system_actor())
    rev = services.premium_transaction_reverse(transaction=cancel, accounting_date=date(2024, 7, 2), note="error", actor=system_actor())
    assert (rev.kind, rev.effect_kind, rev.reverses, rev.effective_date) == (
        "reversal", "cancellation", cancel, date(2024, 7, 1))
    assert rev.gross_premium == -cancel.gross_premium and rev.commission == -cancel.commission
    policy.refresh_from_db()
    assert policy.status == "in_force" and policy.cancelled_on is None
    assert policy_premium_totals(policy).written_gross == D("36600.00")
    with pytest.raises(DomainError) as exc:
        services.premium_transaction_reverse(transaction=cancel, accounting_date=date(2024, 7, 3), actor=system_actor())
    assert "already reversed" in exc.value.message
    with pytest.raises(DomainError):
        services.premium_transaction_reverse(transaction=rev, accounting_date=date(2024, 7, 3), actor=system_actor())


def test_premium_reversal_in_closed_period_is_refused():
    policy = PolicyFactory()
    original = policy.premium_transactions.get()
    period_mark_closed(label="2024Q1", actor=system_actor())
    with pytest.raises(PeriodClosed):
        services.premium_transaction_reverse(transaction=original, accounting_date=date(2024, 3, 31), actor=system_actor())
    assert not PremiumTransaction.objects.filter(kind="reversal").exists()


def test_cancellation_before_a_booked_claim_occurred_is_refused():
    policy = PolicyFactory()
    ClaimFactory(policy=policy, occurrence_date=date(2024, 8, 1), report_date=date(2024, 8, 2))
    with pytest.raises(DomainError) as exc:
        services.policy_cancel(policy=policy, effective_date=date(2024, 8, 1), accounting_date=date(2024, 8, 5), actor=system_actor())
    assert exc.value.field == "effective_date" and "no longer be covered" in exc.value.message
    services.policy_cancel(policy=policy, effective_date=date(2024, 8, 2), accounting_date=date(2024, 8, 5), actor=system_actor())
