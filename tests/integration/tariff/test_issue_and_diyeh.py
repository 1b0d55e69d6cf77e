"""Issuing a policy from a quote, and the diyeh revaluation of open claims' case reserves."""
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from claims.models import ClaimTransaction
from claims.selectors import claim_ledger_totals
from claims.services import claim_payment_post, claim_report
from core.errors import DomainError
from core.models import AuditEvent
from policies.models import Policy
from tariff.engine import QuoteRequest, ReferralRequired
from tariff.models import DiyehAmount
from tariff.services import diyeh_revalue_open_claims, diyeh_year_add, policy_issue_from_quote

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seed_tariff")]

DIYEH_1399 = Decimal("4400000000")  # rials: 440,000,000 toman
DIYEH_1400 = Decimal("4800000000")
INCEPTION = date(2020, 9, 1)  # 1399/06/11


@pytest.fixture
def actor():
    from tests.factories import user_with_roles

    return user_with_roles("underwriter", "clerk", "actuary")  # issues policies and records diyeh


def issue(actor, number, *, endorsed=False, profession="nurse", **request):
    return policy_issue_from_quote(
        request=QuoteRequest(profession=profession, setting=request.pop("setting", "hospital"), cover=DIYEH_1399,
                             **request),
        policy_number=number, insured_name=f"Insured {number}", inception_date=INCEPTION,
        expiry_date=date(2021, 8, 31), issue_date=INCEPTION, cover_in_diyeh=True,
        diyeh_increase_endorsement=endorsed, actor=actor,
    )


def test_policy_from_quote_records_premium_without_vat_tariff_version_and_steps(actor):
    policy = issue(actor, "IR-1", profession="midwife", resident=True, group_size=150, claim_free_years=3)
    original = policy.premium_transactions.get()
    assert original.gross_premium == Decimal("5722200")  # 792,000 toman ×10 after 15% + 15%, VAT excluded
    assert policy.tariff_version == "IR-PARAMED-1399"
    assert policy.risk_group == 1 and policy.currency == "IRR"
    names = [s["name"] for s in policy.rating_steps]
    assert "resident multiplier" in names and "VAT 9%" in names
    assert policy.limit_per_claim == DIYEH_1399
    assert policy.diyeh_year == 1399  # the Jalali year of inception


def test_referred_quote_issues_nothing(actor):
    with pytest.raises(ReferralRequired):
        issue(actor, "IR-2", profession="physiotherapist")
    assert not Policy.objects.filter(policy_number="IR-2").exists()


def test_diyeh_year_is_recorded_once_in_rials(actor):
    row = diyeh_year_add(jalali_year=1400, amount="4,800,000,000".replace(",", ""), actor=actor)
    assert row.amount == DIYEH_1400
    with pytest.raises(DomainError):
        diyeh_year_add(jalali_year=1400, amount=DIYEH_1400, actor=actor)
    with pytest.raises(DomainError):
        diyeh_year_add(jalali_year=1401, amount=0, actor=actor)


@pytest.fixture
def book(actor):
    """Two open 1399 claims on indexed cover, one endorsed, each awarded a quarter of a diyeh,
    100,000,000 rials already paid on each; and a claim without an awarded share."""
    endorsed, plain = issue(actor, "IR-E", endorsed=True), issue(actor, "IR-P")
    claims = {}
    for key, policy in (("endorsed", endorsed), ("plain", plain)):
        claim = claim_report(policy=policy, occurrence_date=date(2021, 5, 27), report_date=date(2021, 6, 1),
                             awarded_diyeh_share=Decimal("0.25"),
                             initial_reserve={"indemnity": Decimal("1100000000")}, actor=actor)
        claim_payment_post(claim=claim, cost_type="indemnity", amount=Decimal("100000000"),
                           accounting_date=date(2021, 6, 10), actor=actor)
        claims[key] = claim
    claims["unawarded"] = claim_report(policy=plain, occurrence_date=date(2021, 5, 1), report_date=date(2021, 6, 1),
                                       initial_reserve={"indemnity": Decimal("50000000")}, actor=actor)
    return claims


def indemnity_outstanding(claim):
    return claim_ledger_totals(claim).outstanding["indemnity"]


def test_new_diyeh_year_revalues_endorsed_claims_to_the_new_amount(actor, book):
    diyeh_year_add(jalali_year=1400, amount=DIYEH_1400, actor=actor)
    result = diyeh_revalue_open_claims(jalali_year=1400, accounting_date=date(2021, 6, 30), actor=actor)

    # endorsed: 25% × 4.8bn − 100m paid; the reserve row is the difference from 1.0bn outstanding
    assert indemnity_outstanding(book["endorsed"]) == Decimal("0.25") * DIYEH_1400 - Decimal("100000000")
    row = book["endorsed"].transactions.filter(kind=ClaimTransaction.Kind.RESERVE).latest("id")
    assert row.amount == Decimal("0.25") * (DIYEH_1400 - DIYEH_1399)
    assert row.accounting_date == date(2021, 6, 30) and row.cost_type == "indemnity"
    # not endorsed: capped at the policy year's amount, already on target → no row
    assert indemnity_outstanding(book["plain"]) == Decimal("0.25") * DIYEH_1399 - Decimal("100000000")
    assert book["plain"].transactions.filter(kind=ClaimTransaction.Kind.RESERVE).count() == 1
    # no awarded share: left alone
    assert indemnity_outstanding(book["unawarded"]) == Decimal("50000000")
    assert [c["claim"] for c in result.changes] == [book["endorsed"].claim_number]
    assert AuditEvent.objects.filter(verb="diyeh.revalue").count() == 1


def test_unendorsed_claim_below_its_cap_is_brought_to_the_policy_year_amount(actor, book):
    from claims.services import claim_reserve_change

    claim_reserve_change(claim=book["plain"], cost_type="indemnity", new_estimate=Decimal("300000000"),
                         accounting_date=date(2021, 6, 15), actor=actor)
    diyeh_year_add(jalali_year=1400, amount=DIYEH_1400, actor=actor)
    diyeh_revalue_open_claims(jalali_year=1400, accounting_date=date(2021, 6, 30), actor=actor)
    assert indemnity_outstanding(book["plain"]) == Decimal("0.25") * DIYEH_1399 - Decimal("100000000")


def test_revaluation_run_twice_changes_nothing(actor, book):
    diyeh_year_add(jalali_year=1400, amount=DIYEH_1400, actor=actor)
    diyeh_revalue_open_claims(jalali_year=1400, accounting_date=date(2021, 6, 30), actor=actor)
    rows, audits = ClaimTransaction.objects.count(), AuditEvent.objects.count()
    again = diyeh_revalue_open_claims(jalali_year=1400, accounting_date=date(2021, 7, 1), actor=actor)
    assert again.changes == []
    assert (ClaimTransaction.objects.count(), AuditEvent.objects.count()) == (rows, audits)


def test_revaluation_of_an_unknown_year_is_refused(actor, book):
    with pytest.raises(DomainError):
        diyeh_revalue_open_claims(jalali_year=1405, accounting_date=date(2021, 6, 30), actor=actor)


def test_celery_task_revalues_with_the_latest_year(actor, book):
    from tariff.tasks import diyeh_revalue_latest

    diyeh_year_add(jalali_year=1400, amount=DIYEH_1400, actor=actor)
    summary = diyeh_revalue_latest.apply(kwargs={"accounting_date": "2021-06-30"}).get()
    assert summary["jalali_year"] == 1400 and summary["claims_changed"] == 1
    assert indemnity_outstanding(book["endorsed"]) == Decimal("0.25") * DIYEH_1400 - Decimal("100000000")


def test_diyeh_schedule_install_is_idempotent():
    from io import StringIO

    from django.core.management import call_command
    from django_celery_beat.models import PeriodicTask

    call_command("install_diyeh_schedule", stdout=StringIO())
    call_command("install_diyeh_schedule", stdout=StringIO())
    [task] = PeriodicTask.objects.filter(task="tariff.diyeh_revalue_latest")
    assert (task.crontab.hour, task.crontab.minute) == ("3", "0")
