"""Claim admin as finance staff use it (Django test client, staff user): search, the ledger
with running totals, postings through the services, refusals shown with nothing written,
a claim worked from report to settlement, and ledger rows that cannot be edited."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from claims.models import Claim, ClaimTransaction
from core.models import AuditEvent
from tests.factories import ClaimFactory, PolicyFactory, UserFactory
from core.roles import system_actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = UserFactory(username="finance", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


@pytest.fixture
def claim():
    policy = PolicyFactory(policy_number="P-ADM", insured__name="Olga Smirnova", deductible_amount=Decimal("10000.00"))
    return ClaimFactory(policy=policy, claim_number="C-ADM-1", claimant="Anna Petrova",
                        initial_reserve={"indemnity": Decimal("100000.00")})


def change_url(claim) -> str:
    return reverse("admin:claims_claim_change", args=[claim.pk])


def page(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("term", ["C-ADM-1", "P-ADM", "Smirnova", "Petrova"])
def test_claim_changelist_search_finds_by_number_policy_insured_and_claimant(client, staff, claim, term):
    other = PolicyFactory(policy_number="P-OTHER", insured__name="Someone Else")
    ClaimFactory(policy=other, claim_number="C-OTHER", claimant="Nobody")
    response = client.get(reverse("admin:claims_claim_changelist"), {"q": term})
    assert response.status_code == 200
    assert "C-ADM-1" in page(response)
    assert "C-OTHER" not in page(response)


def test_claim_changelist_filters_by_segment_and_status(client, staff, claim):
    url = reverse("admin:claims_claim_changelist")
    assert "C-ADM-1" in page(client.get(url, {"policy__segment": "individual_occurrence", "status__exact": "open"}))
    assert "C-ADM-1" not in page(client.get(url, {"status__exact": "closed"}))


def test_claim_page_shows_the_ledger_with_running_totals(client, staff, claim):
    from claims.services import claim_payment_post

    claim_payment_post(claim=claim, cost_type="indemnity", amount=Decimal("30000.00"),
                       accounting_date=claim.report_date, actor=system_actor())
    response = client.get(change_url(claim))
    assert response.status_code == 200
    rows = [r for r in response.context["inline_admin_formsets"][0].formset.queryset]
    # After the reserve of 100,000 and the payment of 30,000 (eroding the estimate).
    assert [(r.kind, r.running_outstanding, r.running_paid, r.running_incurred) for r in rows] == [
        ("reserve", Decimal("100000.00"), Decimal("0.00"), Decimal("100000.00")),
        ("payment", Decimal("70000.00"), Decimal("30000.00"), Decimal("100000.00")),
    ]
    html = page(response)
    cells = re.findall(r'<td class="field-running_(outstanding|paid|incurred)">\s*<p><span class="money" dir="ltr">([^<]*)</span>', html)
    assert cells == [("outstanding", "100,000.00"), ("paid", "0.00"), ("incurred", "100,000.00"),
                     ("outstanding", "70,000.00"), ("paid", "30,000.00"), ("incurred", "100,000.00")]
    assert 'id="claim-totals"' in html
    assert "70,000.00 RUB" in html  # the totals panel: outstanding indemnity


def test_payment_through_the_admin_creates_exactly_one_row_via_the_service(client, staff, claim):
    before = ClaimTransaction.objects.count()
    response = client.post(reverse("admin:claims_claim_payment", args=[claim.pk]), {
        "cost_type": "indemnity", "amount": "25000.00", "accounting_date": claim.report_date.isoformat()})
    assert response.status_code == 302
    assert ClaimTransaction.objects.count() == before + 1
    row = ClaimTransaction.objects.latest("id")
    assert (row.kind, row.amount, row.recorded_by) == ("payment", Decimal("25000.00"), staff)
    assert AuditEvent.objects.filter(verb="claim.payment", actor=staff).count() == 1


def test_refused_payment_shows_the_message_keeps_the_input_and_writes_nothing(client, staff, claim):
    before = ClaimTransaction.objects.count()
    audits = AuditEvent.objects.count()
    response = client.post(reverse("admin:claims_claim_payment", args=[claim.pk]), {
        "cost_type": "indemnity", "amount": "150000.00", "accounting_date": claim.report_date.isoformat(),
        "note": "court order 17"})
    assert response.status_code == 200
    html = page(response)
    assert "exceeds the outstanding indemnity estimate" in html
    assert 'value="150000.00"' in html and 'value="court order 17"' in html
    assert ClaimTransaction.objects.count() == before
    assert AuditEvent.objects.count() == audits


def test_malformed_amount_in_the_admin_is_a_form_error(client, staff, claim):
    before = ClaimTransaction.objects.count()
    response = client.post(reverse("admin:claims_claim_payment", args=[claim.pk]), {
        "cost_type": "indemnity", "amount": "12,5", "accounting_date": "not a date"})
    assert response.status_code == 200
    assert len(response.context["form"].errors) == 2
    assert ClaimTransaction.objects.count() == before


def test_a_claim_is_worked_from_report_to_settlement_in_the_admin(client, staff):
    policy = PolicyFactory(policy_number="P-FLOW", deductible_amount=Decimal("20000.00"))
    report = client.post(reverse("admin:claims_claim_add"), {
        "policy": policy.pk, "claim_number": "C-FLOW", "occurrence_date": "2024-02-10",
        "report_date": "2024-03-01", "claimant": "B. Patient", "cause": "missed diagnosis",
        "initial_indemnity_reserve": "50000.00"})
    assert report.status_code == 302, report.context["form"].errors if report.context else report
    claim = Claim.objects.get(claim_number="C-FLOW")
    assert claim.policy == policy and report["Location"].endswith(change_url(claim))

    raised = client.post(reverse("admin:claims_claim_reserve", args=[claim.pk]), {
        "cost_type": "indemnity", "new_estimate": "300000.00", "accounting_date": "2024-04-01"})
    assert raised.status_code == 302
    paid = client.post(reverse("admin:claims_claim_payment", args=[claim.pk]), {
        "cost_type": "expense", "amount": "5000.00", "accounting_date": "2024-04-15"})
    assert paid.status_code == 200  # no expense reserve yet: refused, shown on the form
    assert "raise the reserve first" in page(paid)
    client.post(reverse("admin:claims_claim_reserve", args=[claim.pk]), {
        "cost_type": "expense", "amount": "5000.00", "accounting_date": "2024-04-15"})
    paid = client.post(reverse("admin:claims_claim_payment", args=[claim.pk]), {
        "cost_type": "expense", "amount": "5000.00", "accounting_date": "2024-04-15"})
    assert paid.status_code == 302

    settle_url = reverse("admin:claims_claim_settle", args=[claim.pk])
    rows_before = claim.transactions.count()
    # Loss 250,000 − deductible 20,000 = 230,000 to pay.
    preview = client.post(settle_url, {"loss_amount": "250000.00", "accounting_date": "2024-06-30",
                                       "_preview": "1"})
    assert preview.status_code == 200
    assert "230,000.00 RUB" in page(preview)
    assert claim.transactions.count() == rows_before  # a preview writes nothing
    settled = client.post(settle_url, {"loss_amount": "250000.00", "accounting_date": "2024-06-30"})
    assert settled.status_code == 302
    claim.refresh_from_db()
    assert claim.status == "closed"
    payments = claim.transactions.filter(kind="payment", cost_type="indemnity")
    assert [p.amount for p in payments] == [Decimal("230000.00")]
    final = client.get(change_url(claim))
    assert "Reopen" in page(final) and ">Pay<" not in page(final)


@pytest.mark.parametrize("name", ["reserve", "payment", "settle", "close"])
def test_a_user_without_posting_permission_cannot_open_posting_pages(client, claim, name):
    viewer = UserFactory(username="auditor-admin", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    client.force_login(viewer)
    assert client.get(change_url(claim)).status_code == 200
    response = client.post(reverse(f"admin:claims_claim_{name}", args=[claim.pk]), {
        "cost_type": "indemnity", "amount": "1.00", "loss_amount": "1.00",
        "accounting_date": claim.report_date.isoformat()})
    assert response.status_code == 403
    assert claim.transactions.count() == 1


def test_claim_ledger_rows_cannot_be_changed_or_deleted_in_the_admin(client, staff, claim):
    row = claim.transactions.get()
    change = reverse("admin:claims_claimtransaction_change", args=[row.pk])
    view = client.get(change)
    assert view.status_code == 200
    assert 'name="_save"' not in page(view)
    assert client.post(change, {"amount": "1.00", "kind": "payment"}).status_code == 403
    assert client.post(reverse("admin:claims_claimtransaction_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:claims_claimtransaction_add")).status_code == 403
    # Nor through the claim page's inline.
    claim_page = client.get(change_url(claim))
    assert 'name="transactions-0-amount"' not in page(claim_page)
    assert 'name="_save"' not in page(claim_page)
    row.refresh_from_db()
    assert row.amount == Decimal("100000.00")
    assert ClaimTransaction.objects.count() == 1


def test_reversal_from_the_claim_page_posts_a_reversing_row(client, staff, claim):
    row = claim.transactions.get()
    response = client.post(reverse("admin:claims_claim_reverse", args=[claim.pk, row.pk]),
                           {"accounting_date": claim.report_date.isoformat()})
    assert response.status_code == 302
    reversal = claim.transactions.get(kind="reversal")
    assert (reversal.reverses, reversal.amount) == (row, Decimal("-100000.00"))
    again = client.post(reverse("admin:claims_claim_reverse", args=[claim.pk, row.pk]),
                        {"accounting_date": claim.report_date.isoformat()})
    assert again.status_code == 200 and "already reversed" in page(again)


def test_close_and_reopen_from_the_admin(client, staff, claim):
    assert client.post(reverse("admin:claims_claim_close", args=[claim.pk]),
                       {"accounting_date": "2024-05-01"}).status_code == 302
    claim.refresh_from_db()
    assert claim.status == "closed"
    assert client.post(reverse("admin:claims_claim_reopen", args=[claim.pk]),
                       {"accounting_date": "2024-05-02"}).status_code == 302
    claim.refresh_from_db()
    assert claim.status == "open"


def test_claim_history_is_shown_and_cannot_be_reverted(client, staff, claim):
    response = client.get(reverse("admin:claims_claim_history", args=[claim.pk]))
    assert response.status_code == 200
    version = claim.history.first()
    url = reverse("admin:claims_claim_simple_history", args=[claim.pk, version.history_id])
    assert client.post(url, {}).status_code == 403


@pytest.mark.parametrize("name", ["reserve", "payment", "recovery", "settle", "close"])
def test_every_posting_page_renders_its_form_with_the_claim_figures(client, staff, claim, name):
    response = client.get(reverse(f"admin:claims_claim_{name}", args=[claim.pk]))
    assert response.status_code == 200
    assert 'name="accounting_date"' in page(response)
    assert "100,000.00 RUB" in page(response)  # outstanding indemnity shown while posting


def test_report_page_renders_for_a_new_claim(client, staff):
    response = client.get(reverse("admin:claims_claim_add"))
    assert response.status_code == 200
    html = page(response)
    assert 'name="initial_indemnity_reserve"' in html
    # The policy is looked up as the handler types (admin autocomplete over the policy search).
    assert 'name="policy"' in html and "admin-autocomplete" in html and 'data-field-name="policy"' in html


def test_demo_clerk_posts_and_demo_auditor_only_looks(client, claim):
    from core.roles import system_actor
    from core.services import demo_users_ensure

    demo_users_ensure(actor=system_actor())
    User = get_user_model()
    client.force_login(User.objects.get(username="clerk"))
    ok = client.post(reverse("admin:claims_claim_payment", args=[claim.pk]), {
        "cost_type": "indemnity", "amount": "100.00", "accounting_date": claim.report_date.isoformat()})
    assert ok.status_code == 302
    client.force_login(User.objects.get(username="auditor"))
    assert client.get(change_url(claim)).status_code == 200
    refused = client.post(reverse("admin:claims_claim_payment", args=[claim.pk]), {
        "cost_type": "indemnity", "amount": "100.00", "accounting_date": claim.report_date.isoformat()})
    assert refused.status_code == 403
    assert claim.transactions.filter(kind="payment").count() == 1


def test_settle_preview_after_an_interim_payment_shows_share_paid_before_and_to_pay(client, staff):
    # Defect 8: the preview said "insurer's share to pay 90,000.00" and the settlement paid it again.
    from claims.services import claim_payment_post

    policy = PolicyFactory(policy_number="P-INT", deductible_amount=Decimal("10000.00"), actor=staff)
    claim = ClaimFactory(policy=policy, claim_number="C-INT", initial_reserve={"indemnity": Decimal("120000.00")},
                         actor=staff)
    claim_payment_post(claim=claim, cost_type="indemnity", amount=Decimal("50000.00"),
                       accounting_date=claim.report_date, actor=staff)
    settle_url = reverse("admin:claims_claim_settle", args=[claim.pk])
    form = {"loss_amount": "100000.00", "accounting_date": claim.report_date.isoformat()}
    preview = client.post(settle_url, {**form, "_preview": "1"})
    assert preview.status_code == 200
    shown = dict(preview.context["preview"])
    assert (shown["insurer's share of the loss"], shown["indemnity already paid"], shown["to pay now"]) == (
        "90,000.00 RUB", "50,000.00 RUB", "40,000.00 RUB")
    settled = client.post(settle_url, form, follow=True)
    assert "less 50,000.00 RUB already paid: 40,000.00 RUB" in page(settled)
    payments = claim.transactions.filter(kind="payment", cost_type="indemnity").order_by("id")
    assert [p.amount for p in payments] == [Decimal("50000.00"), Decimal("40000.00")]


def test_ledger_running_outstanding_never_shows_negative_zero(client, staff):
    # Defect 12: 0.30 − 0.10 − 0.20 summed in floating point (SQLite) is −2.8e-17, shown as "-0.00".
    from claims.services import claim_payment_post

    claim = ClaimFactory(policy=PolicyFactory(actor=staff), initial_reserve={"indemnity": Decimal("0.30")},
                         actor=staff)
    for amount in ("0.10", "0.20"):
        claim_payment_post(claim=claim, cost_type="indemnity", amount=Decimal(amount),
                           accounting_date=claim.report_date, actor=staff)
    html = page(client.get(change_url(claim)))
    cells = re.findall(r'<td class="field-running_outstanding">\s*<p><span class="money" dir="ltr">([^<]*)</span>', html)
    assert cells == ["0.30", "0.20", "0.00"]
    assert "-0.00" not in html
