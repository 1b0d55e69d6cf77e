"""Roll-forward between two approved runs reconciles to the cent; actual vs expected drills
down to claims."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim
from claims.services import claim_payment_post, claim_reserve_change
from reporting.rollforward import actual_vs_expected, claims_behind, prior_selection, roll_forward
from reserving import services
from tests.integration.reserving.runbook import approved_run, people  # noqa: F401 - fixture
from tests.integration.reserving.runbook import eager_celery, make_book  # noqa: F401 - fixture
from core.roles import system_actor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]




def _lines(lines):
    return {ln.step: ln.amount for ln in lines}


def test_roll_forward_reconciles_to_the_cent_with_late_postings_and_selection_changes(people, django_capture_on_commit_callbacks):
    make_book(seed=11, policies=120, recorded_at=timezone.now() - timedelta(days=60))
    opening = approved_run(people, django_capture_on_commit_callbacks, date(2024, 6, 30))
    # a back-dated posting into the opening quarter, recorded after the opening run's cut-off
    claim = Claim.objects.filter(report_date__lte=date(2024, 6, 1), policy__currency="RUB", status="open").first()
    assert claim is not None
    claim_reserve_change(claim=claim, cost_type="indemnity", amount=Decimal("12345.67"), accounting_date=date(2024, 6, 15), actor=system_actor())
    # the actuary changes the tail for the closing run: a selection change
    closing = services.run_create(valuation_date=date(2024, 12, 31), actor=people["actuary"])
    segment, currency = claim.policy.segment, claim.policy.currency
    services.run_selection_set(run=closing, segment=segment, currency=currency,
                               selection={"tail": 1.10, "note": "heavier tail"}, actor=people["actuary"])
    with django_capture_on_commit_callbacks(execute=True):
        services.run_compute(run=closing, actor=people["actuary"])
    closing.refresh_from_db()
    for check in closing.data_checks.filter(severity="warning"):
        services.run_check_acknowledge(check=check, actor=people["actuary"])
    services.run_submit(run=closing, actor=people["actuary"])
    services.run_approve(run=closing, actor=people["approver"])

    lines = roll_forward(opening=opening, closing=closing, segment=segment, currency=currency)
    got = _lines(lines)
    a = opening.segment_results.get(segment=segment, currency=currency)
    b = closing.segment_results.get(segment=segment, currency=currency)
    assert got["opening reserve (RBNS + IBNR)"] == a.rbns + a.ibnr
    assert got["closing reserve (RBNS + IBNR)"] == b.rbns + b.ibnr
    assert got["unexplained"] == Decimal("0.00")
    movements = sum(ln.amount for ln in lines if ln.step not in ("unexplained", "closing reserve (RBNS + IBNR)"))
    assert movements == b.rbns + b.ibnr  # reconciles to the cent
    assert got["late postings to earlier periods"] == Decimal("12345.67")
    assert got["payments in the period"] < 0
    if b.ibnr_method == "chainladder":
        assert got["selection changes"] != 0


def test_prior_selection_carries_method_ldfs_and_tail(people, django_capture_on_commit_callbacks):
    make_book(seed=12, policies=80, recorded_at=timezone.now() - timedelta(days=60))
    run = approved_run(people, django_capture_on_commit_callbacks, date(2024, 12, 31))
    result = run.segment_results.first()
    selection = prior_selection(result)
    assert selection.get("method") == result.selections.get("method") or "method" not in result.selections
    if result.factors.get("ldf"):
        assert selection["ldfs"] == {k: float(v) for k, v in result.factors["ldf"].items()}


def test_actual_vs_expected_and_drill_down(people, django_capture_on_commit_callbacks, client):
    make_book(seed=13, policies=150, recorded_at=timezone.now() - timedelta(days=60))
    opening = approved_run(people, django_capture_on_commit_callbacks, date(2024, 6, 30))
    closing = approved_run(people, django_capture_on_commit_callbacks, date(2024, 12, 31))
    result = closing.segment_results.order_by("-rbns").first()
    ave = actual_vs_expected(opening=opening, closing=closing, segment=result.segment, currency=result.currency)
    assert set(ave["measure"]) <= {"paid", "incurred"} and not ave.empty
    assert (ave["deviation"] - (ave["actual"] - ave["expected"])).abs().max() < 0.02
    top = ave[ave["measure"] == "incurred"].iloc[0]
    claims = claims_behind(opening=opening, closing=closing, segment=result.segment, currency=result.currency, origin=top["origin"])
    movement = sum(float(c["incurred_movement"]) for c in claims)
    if len(claims) < 15:  # all claims of the quarter: their movements are the actual emergence
        assert movement == pytest.approx(top["actual"], abs=0.05)
    client.force_login(people["approver"])
    seg = f"{result.segment}|{result.currency}"
    page = client.get(reverse("reporting:rollforward"), {"opening": opening.pk, "closing": closing.pk, "segment": seg})
    assert page.status_code == 200 and "closing reserve" in page.content.decode()
    drill = client.get(reverse("reporting:ave-claims"), {"opening": opening.pk, "closing": closing.pk, "segment": seg, "origin": top["origin"]})
    assert drill.status_code == 200
