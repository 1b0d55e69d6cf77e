"""Money and dates per locale on the admin pages (issue 16 §1): amounts grouped by the active
language, in the currency's minor unit (IRR whole rials, RUB kopecks), each with its currency
(beside the amount, or in the heading of a one-currency ledger); Jalali dates beside Gregorian
for rial business and accepted as input there."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from claims.models import Claim
from claims.services import claim_payment_post
from core.roles import system_actor
from tests.factories import ClaimFactory, PolicyFactory

pytestmark = pytest.mark.django_db
NBSP = "\N{NO-BREAK SPACE}"


@pytest.fixture
def staff(client):
    client.force_login(get_user_model().objects.create_superuser("fmt-admin", password="x"))
    return client


@pytest.fixture
def book():
    rub = PolicyFactory(policy_number="P-RUB", gross_premium=Decimal("1234567.89"), commission=Decimal("0"),
                        limit_per_claim=Decimal("3142000.00"))
    irr = PolicyFactory(policy_number="P-IRR", currency="IRR", inception_date=date(2025, 3, 21),
                        expiry_date=date(2026, 3, 20), gross_premium=Decimal("6600000"), commission=Decimal("0"),
                        limit_per_claim=Decimal("4400000000"), aggregate_limit=Decimal("8800000000"))
    c1 = ClaimFactory(policy=rub, claim_number="C-RUB", initial_reserve={"indemnity": Decimal("158000")})
    ClaimFactory(policy=irr, claim_number="C-IRR-1", occurrence_date=date(2025, 9, 20),
                 initial_reserve={"indemnity": Decimal("400000000")})
    ClaimFactory(policy=irr, claim_number="C-IRR-2", occurrence_date=date(2025, 9, 21),
                 initial_reserve={"indemnity": Decimal("100000000")})
    claim_payment_post(claim=c1, cost_type="indemnity", amount=Decimal("8000"), accounting_date=c1.report_date,
                       actor=system_actor())
    return {"rub": rub, "irr": irr}


def money(amount: str, code: str | None = None) -> str:
    if code is None:
        return f'<span class="money" dir="ltr">{amount}</span>'
    return f'<span class="money" dir="ltr">{amount} <span class="ccy">{code}</span></span>'


def get(client, url, language="en", **params):
    response = client.get(url, params, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def test_policy_list_in_each_language(staff, book):
    url = reverse("admin:policies_policy_changelist")
    html = get(staff, url)
    assert money("1,234,567.89", "RUB") in html and money("6,600,000", "IRR") in html
    # The IRR policy's dates: Gregorian in the locale's format, the Jalali date below.
    assert '21 Mar 2025<br><small class="jalali" dir="ltr">1404/01/01</small>' in html
    html = get(staff, url, "ru")
    assert money(f"1{NBSP}234{NBSP}567,89", "RUB") in html and money(f"6{NBSP}600{NBSP}000", "IRR") in html
    assert "21 марта 2025 г." in html
    html = get(staff, url, "fa")
    assert money("۱٬۲۳۴٬۵۶۷٫۸۹", "RUB") in html and money("۶٬۶۰۰٬۰۰۰", "IRR") in html


def test_claim_list_shows_status_and_money_with_its_currency(staff, book):
    html = get(staff, reverse("admin:claims_claim_changelist"))
    row = re.search(r'<tr>.*?C-RUB.*?</tr>', html, re.S).group(0)
    assert "open" in row
    # outstanding 158,000 − 8,000 paid; incurred 158,000
    assert [money("150,000.00", "RUB"), money("8,000.00", "RUB"), money("158,000.00", "RUB")] == re.findall(
        r'<span class="money" dir="ltr">[^<]*<span class="ccy">RUB</span></span>', row)
    assert money("400,000,000", "IRR") in html  # never "400000000.00", never without its code


def test_policy_page_lists_its_claims_with_totals_and_the_ledger_with_a_running_total(staff, book):
    irr = book["irr"]
    html = get(staff, reverse("admin:policies_policy_change", args=[irr.pk]))
    claims = html[html.index('id="policy-claims"'):]
    assert "C-IRR-1" in claims and "C-IRR-2" in claims and "C-RUB" not in claims
    total = re.search(r'<tr class="total">.*?</tr>', claims, re.S).group(0)
    assert "Total of 2 claims" in total
    assert total.count(money("500,000,000", "IRR")) == 2  # outstanding and incurred; paid 0
    assert money("0", "IRR") in total
    # Limits in whole rials with the code; the premium ledger names its currency once.
    assert money("4,400,000,000", "IRR") in html and money("8,800,000,000", "IRR") in html
    assert "Premium ledger in IRR (written premium after each row)" in html
    cells = re.findall(r'<td class="field-running_gross_shown">\s*<p>(.*?)</p>', html)
    assert cells == [money("6,600,000")]


def test_premium_running_total_after_an_endorsement(staff, book):
    from policies.services import policy_endorse

    rub = book["rub"]
    policy_endorse(policy=rub, gross_premium=Decimal("-234567.89"), commission=Decimal("0"),
                   accounting_date=date(2024, 6, 1), effective_date=date(2024, 6, 1), actor=system_actor())
    html = get(staff, reverse("admin:policies_policy_change", args=[rub.pk]))
    cells = re.findall(r'<td class="field-running_gross_shown">\s*<p>(.*?)</p>', html)
    assert cells == [money("1,234,567.89"), money("1,000,000.00")]


def test_claim_page_figures_and_ledger(staff, book):
    claim = Claim.objects.get(claim_number="C-IRR-1")
    html = get(staff, reverse("admin:claims_claim_change", args=[claim.pk]), "ru")
    assert f"400{NBSP}000{NBSP}000 IRR" in html  # the totals panel: whole rials, Russian grouping
    assert "1404/06/29" in html  # 2025-09-20 in the Jalali calendar, beside the ledger's accounting date


def test_claim_report_accepts_a_jalali_date_for_rial_business(staff, book):
    response = staff.post(reverse("admin:claims_claim_add"), {
        "policy": book["irr"].pk, "claim_number": "C-JAL", "occurrence_date": "1404/06/29",
        "report_date": "۱۴۰۴/۰۷/۰۱"})
    assert response.status_code == 302, response.context["form"].errors
    claim = Claim.objects.get(claim_number="C-JAL")
    assert (claim.occurrence_date, claim.report_date) == (date(2025, 9, 20), date(2025, 9, 23))


def test_a_jalali_date_that_does_not_exist_is_refused_on_the_form(staff, book):
    response = staff.post(reverse("admin:claims_claim_add"), {
        "policy": book["irr"].pk, "claim_number": "C-JAL", "occurrence_date": "1404/12/30", "report_date": "2026-03-01"})
    assert response.status_code == 200
    assert "1404/12/30 is not a date of the Jalali calendar" in response.content.decode()


def test_date_inputs_are_iso_in_russian(staff, book):
    # Django's Russian inputs are dd.mm.yyyy only; ours show and accept ISO first.
    html = get(staff, reverse("admin:policies_policy_edit", args=[book["rub"].pk]), "ru")
    assert 'name="inception_date" value="2024-01-01"' in html
    claim = Claim.objects.get(claim_number="C-RUB")
    response = staff.post(reverse("admin:claims_claim_payment", args=[claim.pk]),
                          {"cost_type": "indemnity", "amount": "100", "accounting_date": "2024-03-01"},
                          HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 302


def test_quote_page_chooses_from_lists_and_shows_grouped_rials(staff):
    from django.core.management import call_command

    call_command("loaddata", "ir_paramed_1399", verbosity=0)
    url = "/admin/tariff/tariffversion/quote/"
    html = get(staff, url)
    assert re.search(r'<select name="profession"[^>]*>.*<option value="midwife">midwife</option>', html, re.S)
    assert re.search(r'<select name="currency"[^>]*>.*<option value="IRR" selected>IRR</option>', html, re.S)
    response = staff.post(url, {"profession": "midwife", "setting": "own_office", "cover": "440000000",
                                "cover_share": "1", "claim_free_years": "3", "group_size": "150", "currency": "IRR",
                                "quote_date": "1399/06/12"})
    html = response.content.decode()
    assert "1399/06/12" in html and "953,700 IRR" in html
    assert re.search(r'id="quote-total">[0-9,]+ IRR<', html)
