"""Claim reserve and payment authority (issue 14 §2, D-36): a change above the handler's limit
waits in its own table — no ledger row, no reserve figure moves — until someone whose authority
covers it approves; approval posts the row recorded at the approval time. Maker-checker, the
decider's limit, rejection, the API (202 for a pending change, 403/400), the admin queue and
the large-loss list."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from claims import selectors, services
from claims.models import ClaimTransaction, HandlerAuthority, PendingClaimChange
from core.errors import DomainError, PermissionDenied
from core.models import AuditEvent, AuditVerb
from core.roles import system_actor
from reserving.selectors import rbns_by_segment
from reserving.sql import Scope
from tests.factories import ClaimFactory, PolicyFactory, user_with_roles

pytestmark = pytest.mark.django_db

RUB = "RUB"
D = Decimal


def authority(user, reserve, payment, currency=RUB) -> HandlerAuthority:
    return services.handler_authority_set(user=user, currency=currency, reserve_limit=D(reserve),
                                          payment_limit=D(payment), actor=system_actor())


@pytest.fixture
def clerk():
    user = user_with_roles("handler", "clerk")
    authority(user, "100000", "50000")
    return user


@pytest.fixture
def senior():
    user = user_with_roles("senior", "clerk")
    authority(user, "1000000", "1000000")
    return user


@pytest.fixture
def claim():
    policy = PolicyFactory(policy_number="P-AUTH", limit_per_claim=D("5000000.00"), aggregate_limit=D("9000000.00"))
    return ClaimFactory(policy=policy, claim_number="C-AUTH", initial_reserve={"indemnity": D("50000.00")})


def rbns(claim):
    scope = Scope(valuation_date=date(2024, 12, 31), cut_off=timezone.now() + timedelta(days=1))
    return rbns_by_segment(scope=scope)[(claim.policy.segment, RUB)]


def reserve(claim, actor, amount, **kw):
    return services.claim_reserve_change(claim=claim, cost_type="indemnity", amount=D(amount),
                                         accounting_date=date(2024, 6, 30), actor=actor, **kw)


def test_a_change_above_the_limit_waits_and_moves_no_figure(claim, clerk):
    rows_before, rbns_before = ClaimTransaction.objects.filter(claim=claim).count(), rbns(claim)
    pending = reserve(claim, clerk, "250000.00", note="expert report")
    assert isinstance(pending, PendingClaimChange)
    assert (pending.status, pending.kind, pending.amount) == ("pending", "reserve", D("250000.00"))
    assert pending.authority_amount == D("300000.00")  # the estimate it would reach: 50,000 + 250,000
    assert ClaimTransaction.objects.filter(claim=claim).count() == rows_before
    assert rbns(claim) == rbns_before == D("50000.00")
    assert selectors.claim_ledger_totals(claim).total_outstanding == D("50000.00")
    assert list(selectors.pending_changes()) == [pending]
    event = AuditEvent.objects.get(verb=AuditVerb.CLAIM_CHANGE_REQUEST)
    assert (event.actor, event.target_id, event.new["limit"]) == (clerk, str(pending.pk), "100000.00")


def test_approval_posts_the_row_recorded_at_the_approval_time(claim, clerk, senior):
    pending = reserve(claim, clerk, "250000.00", note="expert report")
    cut_off_before = timezone.now()
    decided = services.claim_change_decide(pending=pending, approve=True, actor=senior, note="agreed")
    row = decided.posted
    assert (decided.status, decided.decided_by, decided.decision_note) == ("approved", senior, "agreed")
    assert (row.kind, row.amount, row.accounting_date, row.recorded_by, row.note) == (
        "reserve", D("250000.00"), date(2024, 6, 30), senior, "expert report")
    assert cut_off_before <= row.recorded_at <= timezone.now()
    assert abs(row.recorded_at - decided.decided_at) < timedelta(seconds=1)
    # As known at a cut-off before the approval, the reserve never had it.
    assert selectors.claim_ledger_totals(claim, cut_off=cut_off_before).total_outstanding == D("50000.00")
    assert selectors.claim_ledger_totals(claim).total_outstanding == D("300000.00")
    assert rbns(claim) == D("300000.00")
    event = AuditEvent.objects.get(verb=AuditVerb.CLAIM_CHANGE_DECIDE)
    assert (event.actor, event.new["status"], event.new["transaction_id"]) == (senior, "approved", row.transaction_id)


def test_the_requester_cannot_decide_their_own_change(claim, clerk):
    pending = reserve(claim, clerk, "250000.00")
    with pytest.raises(PermissionDenied, match="requested change"):
        services.claim_change_decide(pending=pending, approve=True, actor=clerk)
    admin_user = user_with_roles("boss", is_superuser=True)
    authority(admin_user, "1", "1")  # superusers are not limited, but maker-checker holds for them too
    services.claim_change_decide(pending=pending, approve=True, actor=admin_user)
    assert PendingClaimChange.objects.get(pk=pending.pk).status == "approved"


def test_a_decider_with_a_lower_limit_is_refused(claim, clerk):
    pending = reserve(claim, clerk, "250000.00")
    peer = user_with_roles("peer", "clerk")
    authority(peer, "200000", "200000")
    with pytest.raises(PermissionDenied, match="needs a reserve authority of 300,000.00"):
        services.claim_change_decide(pending=pending, approve=True, actor=peer)
    with pytest.raises(PermissionDenied):
        services.claim_change_decide(pending=pending, approve=False, actor=peer)
    auditor = user_with_roles("looker", "auditor")
    with pytest.raises(PermissionDenied, match="claim.change_decide needs"):
        services.claim_change_decide(pending=pending, approve=True, actor=auditor)
    assert PendingClaimChange.objects.get(pk=pending.pk).status == "pending"
    assert not AuditEvent.objects.filter(verb=AuditVerb.CLAIM_CHANGE_DECIDE).exists()


def test_reject_posts_nothing_and_a_decision_is_final(claim, clerk, senior):
    pending = reserve(claim, clerk, "250000.00")
    rows = ClaimTransaction.objects.count()
    decided = services.claim_change_decide(pending=pending, approve=False, actor=senior, note="no evidence")
    assert (decided.status, decided.posted) == ("rejected", None)
    assert ClaimTransaction.objects.count() == rows
    with pytest.raises(DomainError, match="already rejected"):
        services.claim_change_decide(pending=pending, approve=True, actor=senior)


def test_within_the_limit_and_without_a_row_posts_directly(claim, clerk):
    row = reserve(claim, clerk, "40000.00")  # the estimate reaches 90,000 ≤ 100,000
    assert isinstance(row, ClaimTransaction) and row.amount == D("40000.00")
    free = user_with_roles("free", "clerk")  # no authority row: not limited
    assert isinstance(reserve(claim, free, "900000.00"), ClaimTransaction)
    assert isinstance(reserve(claim, system_actor(), "100000.00"), ClaimTransaction)
    assert not PendingClaimChange.objects.exists()


def test_a_decrease_is_measured_by_its_size(claim, clerk):
    reserve(claim, system_actor(), "450000.00")  # estimate 500,000
    assert isinstance(reserve(claim, clerk, "-90000.00"), ClaimTransaction)
    assert isinstance(reserve(claim, clerk, "-150000.00"), PendingClaimChange)


def test_a_payment_above_the_limit_waits_and_approval_pays(claim, clerk, senior):
    pending = services.claim_payment_post(claim=claim, cost_type="indemnity", amount=D("45000.00"),
                                          accounting_date=date(2024, 6, 30), actor=clerk)
    assert isinstance(pending, ClaimTransaction)  # within 50,000
    reserve(claim, system_actor(), "200000.00")
    pending = services.claim_payment_post(claim=claim, cost_type="indemnity", amount=D("80000.00"),
                                          accounting_date=date(2024, 6, 30), actor=clerk)
    assert isinstance(pending, PendingClaimChange) and pending.kind == "payment"
    assert selectors.claim_ledger_totals(claim).total_paid == D("45000.00")
    services.claim_change_decide(pending=pending, approve=True, actor=senior)
    assert selectors.claim_ledger_totals(claim).total_paid == D("125000.00")


def test_a_request_that_breaks_a_rule_is_refused_at_once(claim, clerk):
    with pytest.raises(DomainError, match="exceed"):
        services.claim_payment_post(claim=claim, cost_type="indemnity", amount=D("60000.00"),
                                    accounting_date=date(2024, 6, 30), actor=clerk)  # outstanding is 50,000
    assert not PendingClaimChange.objects.exists()


def test_a_settlement_above_the_payment_authority_is_refused(claim, clerk):
    with pytest.raises(PermissionDenied, match="payment authority"):
        services.claim_settle(claim=claim, loss_amount=D("400000.00"), accounting_date=date(2024, 6, 30), actor=clerk)
    assert ClaimTransaction.objects.filter(claim=claim, kind="payment").count() == 0


def test_authority_is_set_by_an_approver_never_for_oneself(clerk):
    approver = user_with_roles("signer", "approver")
    row = services.handler_authority_set(user=clerk, currency="rub", reserve_limit="300000",
                                         payment_limit="100000", actor=approver)
    assert (row.currency, row.reserve_limit) == (RUB, D("300000.00"))
    assert row.history.count() == 2
    event = AuditEvent.objects.filter(verb=AuditVerb.AUTHORITY_SET).first()
    assert event.old == {"reserve_limit": "100000.00", "payment_limit": "50000.00"}
    with pytest.raises(PermissionDenied, match="own authority"):
        services.handler_authority_set(user=approver, currency=RUB, reserve_limit="1", payment_limit="1",
                                       actor=approver)
    with pytest.raises(PermissionDenied, match="authority.set needs"):
        services.handler_authority_set(user=approver, currency=RUB, reserve_limit="1", payment_limit="1",
                                       actor=clerk)
    with pytest.raises(DomainError) as refused:
        services.handler_authority_set(user=clerk, currency="XXX", reserve_limit="1", payment_limit="1",
                                       actor=approver)
    assert refused.value.field == "currency"


# ------------------------------------------------------------------------------------- API
def api_for(user) -> APIClient:
    user.user_permissions.set(Permission.objects.filter(codename__in=["add_claimtransaction", "add_claim"]))
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_answers_202_for_a_pending_change_and_decides_it(claim, clerk, senior):
    body = {"kind": "reserve", "cost_type": "indemnity", "new_estimate": "300000.00", "accounting_date": "2024-06-30"}
    response = api_for(clerk).post(f"/api/v1/claims/{claim.claim_number}/transactions/", body, format="json")
    assert response.status_code == 202, response.json()
    change = response.json()
    assert (change["status"], change["amount"], change["new_estimate"]) == ("pending", "250000.00", "300000.00")
    queue = api_for(clerk).get("/api/v1/claim-changes/", {"status": "pending"}).json()
    assert [c["id"] for c in queue["results"]] == [change["id"]]

    own = api_for(clerk).post(f"/api/v1/claim-changes/{change['id']}/approve/", {}, format="json")
    assert own.status_code == 403 and "requested change" in own.json()["non_field_errors"][0]
    auditor = user_with_roles("api-auditor", "auditor")
    assert api_for(auditor).post(f"/api/v1/claim-changes/{change['id']}/approve/", {}).status_code == 403

    approved = api_for(senior).post(f"/api/v1/claim-changes/{change['id']}/approve/", {"note": "ok"}, format="json")
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved" and approved.json()["posted"]
    again = api_for(senior).post(f"/api/v1/claim-changes/{change['id']}/reject/", {}, format="json")
    assert again.status_code == 400 and "already approved" in again.json()["status"][0]
    assert api_for(clerk).get(f"/api/v1/claims/{claim.claim_number}/").json()["outstanding"] == "300000.00"


def test_api_sets_authorities_for_approvers_only(clerk):
    approver = user_with_roles("api-signer", "approver")
    body = {"username": "handler", "currency": "RUB", "reserve_limit": "200000.00", "payment_limit": "90000.00"}
    assert api_for(clerk).post("/api/v1/claim-authorities/", body, format="json").status_code == 403
    response = api_for(approver).post("/api/v1/claim-authorities/", body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["reserve_limit"] == "200000.00"
    missing = api_for(approver).post("/api/v1/claim-authorities/", {**body, "username": "nobody"}, format="json")
    assert missing.status_code == 400 and "username" in missing.json()
    listed = api_for(clerk).get("/api/v1/claim-authorities/").json()
    assert [(a["username"], a["payment_limit"]) for a in listed["results"]] == [("handler", "90000.00")]


# ----------------------------------------------------------------------------------- admin
def test_admin_posting_above_the_limit_says_it_waits_and_the_queue_approves(client, claim, clerk, senior):
    clerk.user_permissions.set(Permission.objects.filter(codename__in=["add_claimtransaction", "view_claim",
                                                                       "view_pendingclaimchange"]))
    client.force_login(clerk)
    response = client.post(reverse("admin:claims_claim_reserve", args=[claim.pk]), {
        "cost_type": "indemnity", "accounting_date": "2024-06-30", "amount": "250000.00"}, follow=True)
    assert response.status_code == 200
    assert "waits for approval" in response.content.decode()
    pending = PendingClaimChange.objects.get()

    senior.user_permissions.set(Permission.objects.filter(codename__in=["view_claim", "view_pendingclaimchange"]))
    client.force_login(senior)
    queue = client.get(reverse("admin:claims_pendingclaimchange_changelist"))
    assert queue.status_code == 200 and "C-AUTH" in queue.content.decode()
    assert "approve_selected" in queue.content.decode()
    decided = client.post(reverse("admin:claims_pendingclaimchange_changelist"),
                          {"action": "approve_selected", "_selected_action": [pending.pk]}, follow=True)
    assert decided.status_code == 200
    pending.refresh_from_db()
    assert pending.status == "approved" and pending.posted is not None


def test_admin_decision_page_and_own_request_refused(client, claim, clerk):
    pending = reserve(claim, clerk, "250000.00")
    clerk.user_permissions.set(Permission.objects.filter(codename__in=["view_pendingclaimchange"]))
    client.force_login(clerk)
    url = reverse("admin:claims_pendingclaimchange_decide", args=[pending.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"approve": "1", "note": ""})
    assert response.status_code == 200 and "may not decide it" in response.content.decode()
    assert PendingClaimChange.objects.get(pk=pending.pk).status == "pending"


def test_admin_sets_an_authority(client, clerk):
    approver = user_with_roles("adm-signer", "approver")
    approver.user_permissions.set(Permission.objects.filter(codename="view_handlerauthority"))
    client.force_login(approver)
    response = client.post(reverse("admin:claims_handlerauthority_add"), {
        "username": "handler", "currency": "RUB", "reserve_limit": "700000", "payment_limit": "70000"})
    assert response.status_code == 302
    assert HandlerAuthority.objects.get(user=clerk, currency=RUB).reserve_limit == D("700000.00")
    client.force_login(clerk)
    assert client.get(reverse("admin:claims_handlerauthority_add")).status_code == 403


# ------------------------------------------------------------------------------ large losses
def test_large_losses_list_claims_at_or_above_the_threshold(client, settings):
    settings.LARGE_LOSS_THRESHOLDS = {"RUB": 1_000_000}
    policy = PolicyFactory(policy_number="P-LL", limit_per_claim=D("5000000.00"), aggregate_limit=D("9000000.00"))
    big = ClaimFactory(policy=policy, claim_number="C-BIG", initial_reserve={"indemnity": D("1000000.00")})
    services.claim_payment_post(claim=big, cost_type="indemnity", amount=D("100000.00"),
                                accounting_date=date(2024, 6, 30), actor=system_actor())
    services.claim_reserve_change(claim=big, cost_type="expense", amount=D("5000.00"),
                                  accounting_date=date(2024, 6, 30), actor=system_actor())
    ClaimFactory(policy=policy, claim_number="C-SMALL", initial_reserve={"indemnity": D("999999.99")})
    listed = list(selectors.large_losses())
    assert [c.claim_number for c in listed] == ["C-BIG"]
    assert (listed[0].incurred, listed[0].threshold) == (D("1005000.00"), D("1000000"))
    assert list(selectors.large_losses(currency="IRR")) == []

    actuary = user_with_roles("ll-actuary", "actuary")
    body = api_for(actuary).get("/api/v1/large-losses/").json()
    assert [(c["claim_number"], c["incurred"], c["threshold"]) for c in body["results"]] == [
        ("C-BIG", "1005000.00", "1000000.00")]
    assert body["results"][0]["claim_url"].endswith("/api/v1/claims/C-BIG/")
    actuary.user_permissions.set(Permission.objects.filter(codename="view_claim"))
    client.force_login(actuary)
    page = client.get(reverse("admin:claims_largeloss_changelist"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "C-BIG" in html and "C-SMALL" not in html
    assert reverse("admin:claims_claim_change", args=[big.pk]) in html


def test_pending_change_counts_in_no_figure_until_approved(claim, clerk, senior):
    reserve(claim, clerk, "250000.00")
    assert [c.claim_number for c in selectors.large_losses(queryset=None)] == []
    cut = datetime.now(tz=timezone.get_current_timezone())
    assert selectors.claim_ledger_totals(claim, cut_off=cut).total_outstanding == D("50000.00")


def test_demo_authorities_give_the_demo_clerk_limits(settings):
    from django.core.management import call_command

    settings.DEMO_MODE = True
    user_with_roles("clerk", "clerk")
    call_command("demo_authorities")
    call_command("demo_authorities")  # idempotent
    assert sorted(HandlerAuthority.objects.values_list("user__username", "currency")) == [
        ("clerk", "IRR"), ("clerk", "RUB")]


def test_a_change_to_an_estimate_already_reached_can_still_be_rejected(claim, clerk, senior):
    pending = services.claim_reserve_change(claim=claim, cost_type="indemnity", new_estimate=D("300000.00"),
                                            accounting_date=date(2024, 6, 30), actor=clerk)
    reserve(claim, system_actor(), "250000.00")  # someone else brought it there meanwhile
    with pytest.raises(DomainError, match="already is 300,000.00"):
        services.claim_change_decide(pending=pending, approve=True, actor=senior)
    assert services.claim_change_decide(pending=pending, approve=False, actor=senior).status == "rejected"


def test_an_approval_into_a_period_closed_meanwhile_is_refused_and_the_change_stays_pending(claim, clerk, senior):
    from core.errors import PeriodClosed
    from core.services import period_mark_closed

    pending = reserve(claim, clerk, "250000.00")
    rows_before = ClaimTransaction.objects.filter(claim=claim).count()
    period_mark_closed(label="2024Q2", actor=system_actor())  # the change's accounting date, 2024-06-30
    with pytest.raises(PeriodClosed):
        services.claim_change_decide(pending=pending, approve=True, actor=senior)
    pending.refresh_from_db()
    assert pending.status == "pending" and pending.posted_id is None
    assert ClaimTransaction.objects.filter(claim=claim).count() == rows_before
    assert not AuditEvent.objects.filter(verb=AuditVerb.CLAIM_CHANGE_DECIDE).exists()
    # and a new request into the closed quarter is refused at once
    with pytest.raises(PeriodClosed):
        reserve(claim, clerk, "260000.00")
