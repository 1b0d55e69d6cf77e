"""The refusals a clerk and an actuary meet daily come out in the page's language (issue 16 §2):
the services translate their DomainError / PermissionDenied texts when raised (gettext, not
lazy), so an admin page or an API answer carries the request's language (the cookie or
Accept-Language) and commands, tasks and the other tests read the English unchanged.

Needs the compiled catalogues with these msgids (`make messages`)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import unescape

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from claims import services as claim_services
from claims.models import ClaimTransaction
from core.errors import PeriodClosed, PermissionDenied
from core.roles import Operation, authorize, system_actor
from core.services import period_ensure_open, period_mark_closed
from tests.factories import ClaimFactory, PolicyFactory, UserFactory, user_with_roles

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME

CLOSED_PERIOD = {
    "en": "accounting date 2024-05-15 falls in the closed period 2024Q2; post the correction in an open period",
    "ru": "дата учёта 2024-05-15 приходится на закрытый период 2024Q2; проведите исправление в открытом периоде",
    "fa": "تاریخ حسابداری 2024-05-15 در دوره بسته 2024Q2 قرار دارد؛ اصلاحیه را در یک دوره باز ثبت کنید",
}
NEEDS_ROLE = {
    "en": "claim.payment needs the clerk role; looker does not have it",
    "ru": "для claim.payment нужна роль clerk; у looker её нет",
    "fa": "claim.payment نیاز به نقش clerk دارد؛ looker این نقش را ندارد",
}
CLAIM_CLOSED = {
    "en": "claim C-MSG-1 is already closed",
    "ru": "убыток C-MSG-1 уже закрыт",
    "fa": "پرونده خسارت C-MSG-1 از قبل بسته است",
}


@pytest.fixture
def claim():
    policy = PolicyFactory(policy_number="P-MSG", inception_date=date(2024, 1, 1), expiry_date=date(2024, 12, 31))
    return ClaimFactory(policy=policy, claim_number="C-MSG-1", occurrence_date=date(2024, 2, 1),
                        report_date=date(2024, 3, 1), initial_reserve={"indemnity": Decimal("100000.00")})


@pytest.fixture
def staff(client):
    user = UserFactory(username="finance-msg", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


@pytest.fixture(autouse=True)
def _english_after():
    """A request activates its language in this thread; the next test starts in English."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.mark.parametrize("language", ["en", "ru", "fa"])
def test_a_payment_into_a_closed_period_is_refused_in_the_page_language(client, staff, claim, language):
    period_mark_closed(label="2024Q2", actor=system_actor())
    client.cookies[COOKIE] = language
    before = ClaimTransaction.objects.count()
    response = client.post(reverse("admin:claims_claim_payment", args=[claim.pk]), {
        "cost_type": "indemnity", "amount": "25000.00", "accounting_date": "2024-05-15"})
    assert response.status_code == 200
    assert CLOSED_PERIOD[language] in unescape(response.content.decode())
    assert ClaimTransaction.objects.count() == before


@pytest.mark.parametrize("language", ["en", "ru", "fa"])
def test_the_api_refuses_in_the_accept_language(api, claim, language):
    period_mark_closed(label="2024Q2", actor=system_actor())
    answer = api.post(f"/api/v1/claims/{claim.claim_number}/transactions/",
                      {"kind": "payment", "cost_type": "indemnity", "amount": "1000.00",
                       "accounting_date": "2024-05-15"}, format="json", HTTP_ACCEPT_LANGUAGE=language)
    assert answer.status_code == 400
    assert answer.json() == {"accounting_date": [CLOSED_PERIOD[language]]}


@pytest.mark.parametrize("language", ["en", "ru", "fa"])
def test_closing_a_closed_claim_is_refused_in_the_page_language(client, staff, claim, language):
    claim_services.claim_close(claim=claim, accounting_date=date(2024, 4, 1), actor=system_actor())
    client.cookies[COOKIE] = language
    response = client.post(reverse("admin:claims_claim_close", args=[claim.pk]), {"accounting_date": "2024-04-02"},
                           follow=True)
    assert CLAIM_CLOSED[language] in unescape(response.content.decode())


def test_outside_a_request_the_refusals_stay_english(claim):
    """Commands, Celery tasks and the tests that match messages read the English text."""
    period_mark_closed(label="2024Q2", actor=system_actor())
    with pytest.raises(PeriodClosed) as refused:
        claim_services.claim_payment_post(claim=claim, cost_type="indemnity", amount=Decimal("1.00"),
                                          accounting_date=date(2024, 5, 15), actor=system_actor())
    assert refused.value.message == CLOSED_PERIOD["en"]
    with pytest.raises(PermissionDenied) as denied:
        authorize(user_with_roles("looker", "auditor"), Operation.CLAIM_PAYMENT)
    assert denied.value.message == NEEDS_ROLE["en"]


def test_the_refusal_takes_the_language_active_when_raised():
    """gettext at raise time, not at import: the language of the request (or of an override)."""
    with translation.override("ru"):
        with pytest.raises(PermissionDenied) as denied:
            authorize(user_with_roles("looker", "auditor"), Operation.CLAIM_PAYMENT)
    assert denied.value.message == NEEDS_ROLE["ru"]
    period_mark_closed(label="2024Q2", actor=system_actor())
    with translation.override("fa"):
        with pytest.raises(PeriodClosed) as refused:
            period_ensure_open(date(2024, 5, 15))
    assert refused.value.message == CLOSED_PERIOD["fa"]
