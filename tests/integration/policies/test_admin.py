"""Policy admin: search and filters, issue through policy_create, master-data edits through
policy_update_master, endorse/cancel/reverse through the services, a read-only premium ledger,
history without revert, and the auditors' read-only ledger lists."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import AuditEvent
from policies.models import Policy, PremiumTransaction
from tests.factories import PolicyFactory, UserFactory
from core.roles import system_actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = UserFactory(username="finance-pol", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def page(response) -> str:
    return response.content.decode()


def new_policy_form(**overrides) -> dict:
    data = {
        "policy_number": "ADM-0001", "insured_name": "Leyla Ahmadi", "profession": "midwife", "risk_group": "1",
        "segment": "individual_occurrence", "basis": "occurrence", "currency": "RUB",
        "inception_date": "2024-01-01", "expiry_date": "2024-12-31", "issue_date": "2024-01-01",
        "limit_per_claim": "1000000.00", "gross_premium": "36600.00", "commission": "3660.00",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("term", ["P-FIND", "Zhukova"])
def test_policy_changelist_search_by_number_and_insured_name(client, staff, term):
    PolicyFactory(policy_number="P-FIND", insured__name="Elena Zhukova")
    PolicyFactory(policy_number="P-MISS", insured__name="Someone Else")
    html = page(client.get(reverse("admin:policies_policy_changelist"), {"q": term}))
    assert "P-FIND" in html and "P-MISS" not in html


def test_policy_changelist_filters_and_shows_written_premium(client, staff):
    PolicyFactory(policy_number="P-RUB")
    PolicyFactory(policy_number="P-IRR", currency="IRR", gross_premium=Decimal("5000000"), commission=Decimal("0"))
    response = client.get(reverse("admin:policies_policy_changelist"), {"currency": "IRR"})
    html = page(response)
    assert "P-IRR" in html and "P-RUB" not in html
    assert '5,000,000 <span class="ccy">IRR</span>' in html  # whole rials, code beside


def test_issuing_a_policy_in_the_admin_goes_through_policy_create(client, staff):
    response = client.post(reverse("admin:policies_policy_add"), new_policy_form())
    assert response.status_code == 302, response.context["form"].errors
    policy = Policy.objects.get(policy_number="ADM-0001")
    assert policy.insured.name == "Leyla Ahmadi"
    original = policy.premium_transactions.get()
    assert (original.kind, original.gross_premium, original.recorded_by) == ("original", Decimal("36600.00"), staff)
    assert AuditEvent.objects.filter(verb="policy.create", actor=staff).count() == 1


@pytest.mark.parametrize("overrides, message", [
    ({"expiry_date": "2023-06-30"}, "is before the inception date"),
    ({"currency": "XYZ"}, "unknown currency"),
    ({"gross_premium": "-5.00"}, "is negative"),
    ({"basis": "claims_made"}, "needs a retro date"),
])
def test_refused_policy_is_shown_with_the_input_kept(client, staff, overrides, message):
    response = client.post(reverse("admin:policies_policy_add"), new_policy_form(**overrides))
    assert response.status_code == 200
    html = page(response)
    assert message in html
    assert 'value="Leyla Ahmadi"' in html
    assert not Policy.objects.exists()


def test_master_data_edit_goes_through_policy_update_master_and_keeps_history(client, staff):
    policy = PolicyFactory(policy_number="P-EDIT")
    url = reverse("admin:policies_policy_edit", args=[policy.pk])
    form = client.get(url).context["form"]
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data.update(insured=policy.insured_id, segment="clinic_claims_made", limit_per_claim="2000000.00")
    data = {k: v for k, v in data.items() if v is not False}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    policy.refresh_from_db()
    assert (policy.segment, policy.limit_per_claim) == ("clinic_claims_made", Decimal("2000000.00"))
    assert policy.history.count() == 2
    assert AuditEvent.objects.filter(verb="policy.update").count() == 1
    history = client.get(reverse("admin:policies_policy_history", args=[policy.pk]))
    assert history.status_code == 200


def test_standard_change_form_cannot_save_a_policy(client, staff):
    policy = PolicyFactory(policy_number="P-LOCK")
    url = reverse("admin:policies_policy_change", args=[policy.pk])
    view = client.get(url)
    assert view.status_code == 200 and 'name="_save"' not in page(view)
    assert client.post(url, {"segment": "hacked"}).status_code == 403
    policy.refresh_from_db()
    assert policy.segment == "individual_occurrence"


def test_endorse_cancel_and_reverse_from_the_policy_page(client, staff):
    policy = PolicyFactory(policy_number="P-OPS")
    endorse = client.post(reverse("admin:policies_policy_endorse", args=[policy.pk]), {
        "effective_date": "2024-07-01", "accounting_date": "2024-06-20", "gross_premium": "1830.00",
        "commission": "0"})
    assert endorse.status_code == 302
    cancel = client.post(reverse("admin:policies_policy_cancel", args=[policy.pk]), {
        "effective_date": "2024-10-01", "accounting_date": "2024-09-20", "method": "pro_rata"})
    assert cancel.status_code == 302
    policy.refresh_from_db()
    assert policy.status == "cancelled"
    cancellation = policy.premium_transactions.get(kind="cancellation")
    # 92 of 366 days of the original back, and 92 of the endorsement's 184 days.
    expected = (Decimal("36600.00") * 92 / 366 + Decimal("1830.00") * 92 / 184).quantize(Decimal("0.01"))
    assert cancellation.gross_premium == -expected
    reverse_url = reverse("admin:policies_policy_reverse", args=[policy.pk, cancellation.pk])
    assert client.post(reverse_url, {"accounting_date": "2024-09-25"}).status_code == 302
    policy.refresh_from_db()
    assert policy.status == "in_force"
    again = client.post(reverse_url, {"accounting_date": "2024-09-25"})
    assert again.status_code == 200 and "already reversed" in page(again)
    assert policy.premium_transactions.count() == 4


def test_refused_endorsement_keeps_the_input_and_writes_nothing(client, staff):
    policy = PolicyFactory(policy_number="P-BAD")
    response = client.post(reverse("admin:policies_policy_endorse", args=[policy.pk]), {
        "effective_date": "2025-07-01", "accounting_date": "2024-06-20", "gross_premium": "999.00",
        "commission": "0"})
    assert response.status_code == 200
    assert "outside the cover window" in page(response) and 'value="999.00"' in page(response)
    assert policy.premium_transactions.count() == 1


def test_premium_ledger_rows_cannot_be_changed_or_deleted(client, staff):
    policy = PolicyFactory(policy_number="P-RO")
    row = policy.premium_transactions.get()
    change = reverse("admin:policies_premiumtransaction_change", args=[row.pk])
    assert client.get(change).status_code == 200
    assert 'name="_save"' not in page(client.get(change))
    assert client.post(change, {"gross_premium": "1.00"}).status_code == 403
    assert client.post(reverse("admin:policies_premiumtransaction_delete", args=[row.pk]),
                       {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:policies_premiumtransaction_add")).status_code == 403
    policy_page = page(client.get(reverse("admin:policies_policy_change", args=[policy.pk])))
    assert 'name="premium_transactions-0-gross_premium"' not in policy_page
    assert "Reverse" in policy_page
    row.refresh_from_db()
    assert row.gross_premium == Decimal("36600.00")


def test_auditor_ledger_lists_filter_by_kind(client, staff):
    policy = PolicyFactory(policy_number="P-AUD")
    from policies.services import policy_endorse
    from datetime import date

    policy_endorse(policy=policy, effective_date=date(2024, 3, 1), accounting_date=date(2024, 3, 1),
                   gross_premium=Decimal("100.00"), actor=system_actor())
    response = client.get(reverse("admin:policies_premiumtransaction_changelist"), {"kind__exact": "endorsement"})
    assert response.status_code == 200
    assert "P-AUD-P2" in page(response) and "P-AUD-P1" not in page(response)
    assert client.get(reverse("admin:claims_claimtransaction_changelist")).status_code == 200
    assert client.get(reverse("admin:policies_insured_changelist"), {"q": policy.insured.name}).status_code == 200
    assert PremiumTransaction.objects.count() == 2


@pytest.mark.parametrize("name", ["edit", "endorse", "cancel"])
def test_policy_operation_pages_render(client, staff, name):
    policy = PolicyFactory(policy_number="P-PAGES")
    response = client.get(reverse(f"admin:policies_policy_{name}", args=[policy.pk]))
    assert response.status_code == 200
    assert "<form" in page(response) and "P-PAGES" in page(response)


def test_issue_page_renders(client, staff):
    response = client.get(reverse("admin:policies_policy_add"))
    assert response.status_code == 200
    assert 'name="insured_name"' in page(response) and 'name="gross_premium"' in page(response)


def test_insured_is_added_through_insured_create_and_not_edited_in_place(client, staff):
    from policies.models import Insured

    response = client.post(reverse("admin:policies_insured_add"), {"name": "  ", "kind": "person"})
    assert response.status_code == 200 and not Insured.objects.exists()
    response = client.post(reverse("admin:policies_insured_add"), {"name": "Clinic Nine", "kind": "organisation"})
    assert response.status_code == 302
    insured = Insured.objects.get()
    assert AuditEvent.objects.filter(verb="insured.create", actor=staff).count() == 1
    assert client.post(reverse("admin:policies_insured_change", args=[insured.pk]), {"name": "x"}).status_code == 403


def test_expired_policy_is_shown_expired_and_filterable_without_changing_its_stored_status(client, staff):
    # Defect 12: CLN-0000425-00 expired in Feb 2022 and was still listed "in force", with no "expired" filter.
    from datetime import timedelta

    from django.utils import timezone

    from policies.services import policy_cancel

    today = timezone.localdate()
    PolicyFactory(policy_number="CLN-0000425-00", inception_date=today.replace(year=2021, month=3, day=1),
                  expiry_date=today.replace(year=2022, month=2, day=28), actor=staff)
    PolicyFactory(policy_number="P-CURRENT", inception_date=today - timedelta(days=30),
                  expiry_date=today + timedelta(days=300), actor=staff)
    PolicyFactory(policy_number="P-LAST-DAY", inception_date=today - timedelta(days=364), expiry_date=today,
                  actor=staff)
    old_cancelled = PolicyFactory(policy_number="P-OLD-CANC", inception_date=today.replace(year=2021, month=1, day=1),
                                  expiry_date=today.replace(year=2021, month=12, day=31), actor=staff)
    policy_cancel(policy=old_cancelled, effective_date=old_cancelled.expiry_date.replace(month=7, day=1),
                  accounting_date=old_cancelled.expiry_date.replace(month=7, day=1), actor=staff)

    url = reverse("admin:policies_policy_changelist")
    response = client.get(url)
    shown = {p.policy_number: p.display_status for p in response.context["cl"].result_list}
    assert shown == {"CLN-0000425-00": "expired", "P-CURRENT": "in_force", "P-LAST-DAY": "in_force",
                     "P-OLD-CANC": "cancelled"}
    cells = re.findall(r'class="field-status_shown">([^<]*)<', page(response))
    assert sorted(cells) == ["cancelled", "expired", "in force", "in force"]

    def listed(status):
        return {p.policy_number for p in client.get(url, {"status": status}).context["cl"].result_list}

    assert listed("expired") == {"CLN-0000425-00"}
    assert listed("in_force") == {"P-CURRENT", "P-LAST-DAY"}
    assert listed("cancelled") == {"P-OLD-CANC"}
    assert 'href="?status=expired"' in page(response)
    # A display status computed from the dates: nothing stored changes.
    assert Policy.objects.get(policy_number="CLN-0000425-00").status == "in_force"
    detail = client.get(reverse("admin:policies_policy_change", args=[Policy.objects.get(
        policy_number="CLN-0000425-00").pk]))
    assert re.search(r'field-status_shown.*?<div class="readonly">expired</div>', page(detail), re.S)
