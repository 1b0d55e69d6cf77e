"""Written premium and claims paid by calendar or Jalali fiscal period (issue 16 §1): Iranian
business reported on the fiscal year from 1 Farvardin (1403 from 2024-03-20, 1404 from
2025-03-21) and its quarters, on a small book whose figures are pinned.

The Persian page needs the compiled catalogues (`make messages`)."""
from __future__ import annotations

from datetime import date, datetime, timezone as tz
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from claims import services as claim_services
from core.roles import system_actor
from policies import services as policy_services
from reporting import selectors
from reserving.models import Regime, ReserveRun, RunSegmentResult
from tests.factories import ClaimFactory, PolicyFactory

pytestmark = pytest.mark.django_db
D = Decimal
BOOKED = datetime(2025, 1, 2, tzinfo=tz.utc)  # when the rows were recorded
CUT_OFF = datetime(2025, 1, 5, tzinfo=tz.utc)  # what the run saw
UNTIL = date(2024, 12, 31)


@pytest.fixture
def book():
    actor = system_actor()
    irr = dict(currency="IRR", commission=D("0"), recorded_at=BOOKED, inception_date=date(2024, 3, 1),
               limit_per_claim=D("50000000"), aggregate_limit=D("150000000"),
               expiry_date=date(2025, 2, 28))
    # 29 Esfand 1402, the last day before Nowruz 1403: 1402Q4, calendar 2024Q1
    PolicyFactory(policy_number="J-1", issue_date=date(2024, 3, 19), gross_premium=D("6000000"), **irr)
    # 1 Farvardin 1403 = 2024-03-20: 1403Q1, calendar 2024Q1 too
    second = PolicyFactory(policy_number="J-2", issue_date=date(2024, 3, 20), gross_premium=D("9000000"), **irr)
    # 1 Tir 1403 = 2024-06-21: 1403Q2, calendar 2024Q2
    policy_services.policy_endorse(policy=second, effective_date=date(2024, 6, 21), accounting_date=date(2024, 6, 21),
                                   gross_premium=D("1500000"), actor=actor, recorded_at=BOOKED)
    claim = ClaimFactory(policy=second, occurrence_date=date(2024, 4, 1), report_date=date(2024, 4, 2),
                         initial_reserve={"indemnity": D("3000000")}, recorded_at=BOOKED)
    # 31 Khordad 1403 = 2024-06-20: the last day of 1403Q1
    claim_services.claim_payment_post(claim=claim, cost_type="indemnity", amount=D("2000000"),
                                      accounting_date=date(2024, 6, 20), actor=actor, recorded_at=BOOKED)
    # 4 Mehr 1403 = 2024-09-25: 1403Q3
    claim_services.claim_recovery_post(claim=claim, cost_type="indemnity", amount=D("500000"),
                                       accounting_date=date(2024, 9, 25), actor=actor, recorded_at=BOOKED)
    # not seen: another currency, a row recorded after the cut-off, a row accounted after the date
    PolicyFactory(policy_number="J-RUB", currency="RUB", issue_date=date(2024, 3, 20), recorded_at=BOOKED)
    PolicyFactory(policy_number="J-late", issue_date=date(2024, 5, 1), gross_premium=D("777000"),
                  recorded_at=datetime(2025, 1, 9, tzinfo=tz.utc), **{k: v for k, v in irr.items() if k != "recorded_at"})
    PolicyFactory(policy_number="J-2025", issue_date=date(2025, 1, 3), gross_premium=D("555000"), **irr)
    return second


def _figures(kind: str) -> list[tuple]:
    rows = selectors.premium_and_paid_by_period(currency="IRR", kind=kind, until=UNTIL, cut_off=CUT_OFF)
    return [(r.period.label, r.period.start, r.period.end, r.written, r.paid, r.partial) for r in rows]


def test_jalali_fiscal_quarters_from_1_farvardin(book):
    assert _figures("jalali_quarter") == [
        ("1402Q4", date(2023, 12, 22), date(2024, 3, 19), D("6000000"), D("0"), False),
        ("1403Q1", date(2024, 3, 20), date(2024, 6, 20), D("9000000"), D("2000000"), False),
        ("1403Q2", date(2024, 6, 21), date(2024, 9, 21), D("1500000"), D("0"), False),
        ("1403Q3", date(2024, 9, 22), date(2024, 12, 20), D("0"), D("-500000"), False),
        ("1403Q4", date(2024, 12, 21), date(2025, 3, 20), D("0"), D("0"), True),  # to the valuation date
    ]


def test_jalali_fiscal_years_and_the_calendar_ones(book):
    assert _figures("jalali_year") == [
        ("1402", date(2023, 3, 21), date(2024, 3, 19), D("6000000"), D("0"), False),
        ("1403", date(2024, 3, 20), date(2025, 3, 20), D("10500000"), D("1500000"), True),
    ]
    assert [(label, w, p) for label, _s, _e, w, p, _partial in _figures("quarter")] == [
        ("2024Q1", D("15000000"), D("0")), ("2024Q2", D("1500000"), D("2000000")),
        ("2024Q3", D("0"), D("-500000")), ("2024Q4", D("0"), D("0")),
    ]
    assert [(label, w, p, partial) for label, _s, _e, w, p, partial in _figures("year")] == [
        ("2024", D("16500000"), D("1500000"), False)]


def test_a_currency_without_rows_has_no_periods(book):
    assert selectors.premium_and_paid_by_period(currency="EUR", kind="jalali_year", until=UNTIL, cut_off=CUT_OFF) == []


def _official_run():
    regime = Regime.objects.filter(code=settings.OFFICIAL_REGIME).order_by("-version").first()
    run = ReserveRun.objects.create(valuation_date=UNTIL, regime=regime, regime_code=regime.code,
                                    regime_version=regime.version, status=ReserveRun.Status.APPROVED,
                                    cut_off=CUT_OFF, decided_at=CUT_OFF)
    for currency in ("IRR", "RUB"):
        RunSegmentResult.objects.create(run=run, segment="individual_occurrence", currency=currency, upr=0, rbns=0,
                                        ibnr=0, ulae=0, premium_deficiency=0, ibnr_method="elr")
    return run


def test_the_dashboard_shows_rial_business_by_jalali_quarter_unless_asked(book, admin_client):
    run = _official_run()
    url = reverse("reporting:premium")
    page = admin_client.get(url).content.decode()
    assert 'value="jalali_quarter" selected' in page and 'value="IRR" selected' in page
    assert "1403Q1 Farvardin–Khordad" in page and "1403/01/01 (20 Mar 2024)" in page
    assert "<td class=\"num\">9,000,000</td>" in page and "<td class=\"num\">-500,000</td>" in page
    assert "1403Q4 Dey–Esfand *" in page and f"run {run.pk}" in page
    years = admin_client.get(url, {"currency": "IRR", "period": "jalali_year"}).content.decode()
    assert "<td class=\"num\">10,500,000</td>" in years and "14.3%" in years  # 1,500,000 / 10,500,000
    calendar = admin_client.get(url, {"currency": "RUB"}).content.decode()
    assert 'value="quarter" selected' in calendar and "2024Q1" in calendar and "36,600.00" in calendar


def test_the_dashboard_in_persian(book, admin_client):
    _official_run()
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fa"
    page = admin_client.get(reverse("reporting:premium")).content.decode()
    assert '<html lang="fa" dir="rtl">' in page
    assert "۹٬۰۰۰٬۰۰۰" in page  # Persian digits and separators
    assert "1403Q1 فروردین–خرداد" in page and "حق‌بیمه و خسارت پرداختی به تفکیک دوره" in page
    assert "1403/01/01 (" in page  # the Jalali date first, the Gregorian beside it
