"""Admin: the Quote page prices with every step and issues a policy; the indicated-rates page
shows indicated against current rates; diyeh years are added and revalue open claims."""
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from claims.services import claim_report
from policies.models import Policy
from tariff.engine import QuoteRequest
from tariff.models import DiyehAmount
from tariff.services import policy_issue_from_quote

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seed_tariff")]

QUOTE = {"profession": "midwife", "setting": "own_office", "cover": "440000000", "cover_share": "1",
         "claim_free_years": "3", "group_size": "150", "currency": "IRR", "quote_date": "2020-09-02"}


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("boss", "boss@example.com", "x" * 12)
    client.force_login(user)
    return client


def test_quote_page_shows_every_step_and_the_jalali_quote_date(admin_client):
    res = admin_client.post("/admin/tariff/tariffversion/quote/", QUOTE)
    assert res.status_code == 200
    html = res.content.decode()
    assert "953,700" in html and "1,320,000" in html and "Issue policy from this quote" in html
    assert "1399/06/12" in html  # 2020-09-02 in the Jalali calendar


def test_quote_page_shows_a_referral_as_a_form_error(admin_client):
    res = admin_client.post("/admin/tariff/tariffversion/quote/", {**QUOTE, "profession": "physiotherapist"})
    assert res.status_code == 200
    assert "referral required" in res.content.decode()
    assert "Issue policy from this quote" not in res.content.decode()


def test_issue_button_creates_the_policy_with_premium_excluding_vat(admin_client):
    res = admin_client.post("/admin/tariff/tariffversion/quote/", {
        **QUOTE, "issue": "1", "policy_number": "IR-ADM-1", "insured_name": "Maryam Ahmadi",
        "inception_date": "2020-09-02", "expiry_date": "2021-09-01", "issue_date": "2020-09-02",
        "segment": "individual_occurrence", "basis": "occurrence", "commission": "0", "cover_in_diyeh": "on",
    })
    assert res.status_code == 302, res.content.decode()[-3000:]
    policy = Policy.objects.get(policy_number="IR-ADM-1")
    assert policy.premium_transactions.get().gross_premium == Decimal("953700")
    assert policy.tariff_version == "IR-PARAMED-1399" and policy.rating_steps
    assert policy.cover_in_diyeh and policy.diyeh_year == 1399


def test_tariff_version_change_page_has_the_rate_tables_inline(admin_client):
    from tariff.models import TariffVersion

    version = TariffVersion.objects.get(code="IR-PARAMED-1399")
    res = admin_client.get(f"/admin/tariff/tariffversion/{version.pk}/change/")
    assert res.status_code == 200
    html = res.content.decode()
    assert "icu_nurse" in html and "professions-TOTAL_FORMS" in html and "group_bands-TOTAL_FORMS" in html
    assert "/admin/tariff/tariffversion/quote/" in admin_client.get("/admin/tariff/tariffversion/").content.decode()


def test_indicated_page_compares_with_the_current_rate(admin_client):
    user = get_user_model().objects.get(username="boss")
    for i in range(4):
        policy = policy_issue_from_quote(
            request=QuoteRequest(profession="midwife", setting="hospital", cover=Decimal("4400000000")),
            policy_number=f"IR-IND-{i}", insured_name=f"M {i}", inception_date=date(2020, 9, 1),
            expiry_date=date(2021, 8, 31), issue_date=date(2020, 9, 1), actor=user,
        )
        if i < 2:
            claim_report(policy=policy, occurrence_date=date(2021, 1, 5), report_date=date(2021, 2, 1),
                         initial_reserve={"indemnity": Decimal(200_000_000 * (i + 1))}, actor=user)
    res = admin_client.get("/admin/tariff/tariffversion/indicated/", {
        "period_start": "2020-03-20", "period_end": "2021-03-20", "currency": "IRR", "gamma": "0.95",
        "loading_share": "0.25", "use_claim_sd": "on"})
    assert res.status_code == 200
    rows = res.context["rows"]
    assert len(rows) == 1 and rows[0].experience.n == 4 and rows[0].experience.claims == 2
    assert rows[0].current_permille == Decimal("1.5")
    expected_to = 100 * 0.5 * 300_000_000 / 4_400_000_000
    assert rows[0].result.risk_rate == pytest.approx(expected_to)
    assert rows[0].relative_change == pytest.approx(rows[0].result.gross_rate * 10 / 1.5 - 1)
    assert rows[0].relative_change_text in res.content.decode()


def test_diyeh_admin_adds_a_year_through_the_service_and_revalues(admin_client):
    res = admin_client.post("/admin/tariff/diyehamount/add/", {"jalali_year": "1400", "amount": "4800000000", "note": ""})
    assert res.status_code == 302
    row = DiyehAmount.objects.get(jalali_year=1400)
    res = admin_client.post("/admin/tariff/diyehamount/", {"action": "revalue_open_claims",
                                                          "_selected_action": [row.pk]}, follow=True)
    assert "0 claim(s) revalued" in res.content.decode()
    listing = admin_client.get("/admin/tariff/diyehamount/").content.decode()
    assert "2021-03-21" in listing  # 1 Farvardin 1400


def test_diyeh_revaluation_preview_shows_jalali_dates_and_books_on_post(admin_client):
    from tariff.services import diyeh_year_add

    user = get_user_model().objects.get(username="boss")
    policy = policy_issue_from_quote(
        request=QuoteRequest(profession="nurse", setting="hospital", cover=Decimal("4400000000")),
        policy_number="IR-PRE-1", insured_name="Ali", inception_date=date(2020, 9, 1), expiry_date=date(2021, 8, 31),
        issue_date=date(2020, 9, 1), cover_in_diyeh=True, diyeh_increase_endorsement=True, actor=user,
    )
    claim = claim_report(policy=policy, occurrence_date=date(2021, 5, 27), report_date=date(2021, 6, 1),
                         awarded_diyeh_share=Decimal("0.5"), initial_reserve={"indemnity": Decimal("2200000000")},
                         actor=user)
    diyeh_year_add(jalali_year=1400, amount=Decimal("4800000000"), actor=user)
    html = admin_client.get("/admin/tariff/diyehamount/1400/revaluation/").content.decode()
    assert "1400/03/06" in html  # occurrence 2021-05-27 in the Jalali calendar
    assert "1399/06/11" in html  # inception 2020-09-01
    assert "200,000,000" in html  # the change: 0.5 × (4.8bn − 4.4bn)
    admin_client.post("/admin/tariff/diyehamount/1400/revaluation/")
    assert claim.transactions.filter(note="diyeh 1400 revaluation").count() == 1


def test_copy_page_creates_a_new_version_and_opens_it(admin_client):
    from tariff.models import TariffVersion

    source = TariffVersion.objects.get(code="IR-PARAMED-1399")
    res = admin_client.post(f"/admin/tariff/tariffversion/{source.pk}/copy/",
                            {"code": "IR-PARAMED-1401", "name": "", "effective_from": "2022-03-21"})
    assert res.status_code == 302
    copy = TariffVersion.objects.get(code="IR-PARAMED-1401")
    assert res.url.endswith(f"/{copy.pk}/change/") and copy.base_rates.count() == 3
