"""Defects 9 and 10: paid AvE from the opening run's paid pattern; the roll-forward names the
thin-age rule and the re-estimated pattern instead of calling them selection changes; its
default view pairs official runs (a rerun's approval supersedes the run it reruns)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim, ClaimTransaction
from core.periods import Quarter
from policies.models import Insured, Policy, PremiumTransaction
from reporting import views
from reporting.rollforward import (STEP_EMERGENCE, STEP_PATTERN, STEP_SELECTION, STEP_THIN_AGES, actual_vs_expected,
                                   roll_forward)
from reserving import services
from reserving import selectors as run_selectors
from tests.integration.reserving.runbook import QUARTERLY_CHAIN_LADDER, approved_run
from tests.integration.reporting.test_rollforward import people  # noqa: F401 - fixture
from tests.integration.reserving.runbook import eager_celery, make_book  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

SEG, CUR = "individual_occurrence", "RUB"


def hand_book(claims: dict[str, list[tuple[int, str, str]]]) -> None:
    """One policy and one claim per accident quarter: {origin: [(development quarter, kind,
    amount)]}, quarter 0 being the accident quarter itself; rows dated mid-quarter, the claim
    occurring and reported on the 10th day of its accident quarter."""
    rec = timezone.now() - timedelta(days=30)
    insured = Insured.objects.create(name="hand book")
    rows = []
    for origin, postings in claims.items():
        q = Quarter.parse(origin)
        pol = Policy.objects.create(policy_number=f"H-{origin}", insured=insured, profession="nurse", segment=SEG,
                                    basis="occurrence", currency=CUR, inception_date=q.start,
                                    expiry_date=q.start + timedelta(days=364), issue_date=q.start)
        PremiumTransaction.objects.create(transaction_id=f"H-{origin}-P1", policy=pol, kind="original", effect_kind="original",
                                          accounting_date=q.start, effective_date=q.start, gross_premium=Decimal("10000.00"),
                                          commission=Decimal("0.00"), recorded_at=rec)
        day = q.start + timedelta(days=9)
        claim = Claim.objects.create(claim_number=f"H-{origin}-C", policy=pol, occurrence_date=day, report_date=day)
        for n, (k, kind, amount) in enumerate(postings):
            when = day if k == 0 else (q + k).start + timedelta(days=40)
            rows.append(ClaimTransaction(transaction_id=f"H-{origin}-T{n}", claim=claim, kind=kind, effect_kind=kind,
                                         cost_type="indemnity", amount=Decimal(amount), accounting_date=when, recorded_at=rec))
    ClaimTransaction.objects.bulk_create(rows)


def _pay(*increments: int) -> list[tuple[int, str, str]]:
    """A 1,000 case reserve at report, then paid increments in development quarters 1, 2, …"""
    return [(0, "reserve", "1000")] + [(k, "payment", str(x)) for k, x in enumerate(increments, start=1) if x]


def test_paid_expected_emergence_comes_from_the_opening_runs_paid_pattern(people, django_capture_on_commit_callbacks):
    # cumulative paid at ages 3, 6, 9, … (nothing is paid in the accident quarter, as in medmal):
    #   2022Q4  0 100 250 300 330 330 | 330      2023Q1  0 200 400 500 550 | 560
    #   2023Q2  0 100 250 300 | 320              2023Q3  0 100 150 | 200
    #   2023Q4  0 200 | 400                      2024Q1  0 | 50        (| = the opening run, 2024-03-31)
    hand_book({
        "2022Q4": _pay(100, 150, 50, 30, 0, 0),
        "2023Q1": _pay(200, 200, 100, 50, 10),
        "2023Q2": _pay(100, 150, 50, 20),
        "2023Q3": _pay(100, 50, 50),
        "2023Q4": _pay(200, 200),
        "2024Q1": _pay(50),
    })
    opening = approved_run(people, django_capture_on_commit_callbacks, date(2024, 3, 31), parameters=QUARTERLY_CHAIN_LADDER)
    closing = approved_run(people, django_capture_on_commit_callbacks, date(2024, 6, 30), parameters=QUARTERLY_CHAIN_LADDER)
    ave = actual_vs_expected(opening=opening, closing=closing, segment=SEG, currency=CUR)
    paid = ave[ave["measure"] == "paid"].set_index("origin")
    # the opening run's paid pattern: age 3 nothing to develop from → 1.0; age 6 1,050/500 = 2.1
    # (4 ratios); age 9 1,100/900 (3 ratios); ages 12 and 15 rest on 2 and 1 ratios → 1.0
    assert paid["expected"].to_dict() == {"2022Q4": 0.0, "2023Q1": 0.0, "2023Q2": 0.0,
                                          "2023Q3": 33.33, "2023Q4": 220.0, "2024Q1": 0.0}
    assert paid["actual"].to_dict() == {"2022Q4": 0.0, "2023Q1": 10.0, "2023Q2": 20.0,
                                        "2023Q3": 50.0, "2023Q4": 200.0, "2024Q1": 50.0}
    assert paid.loc["2023Q4", "deviation"] == -20.0


def test_thin_age_rule_is_named_on_the_roll_forward_not_called_a_selection_change(people, django_capture_on_commit_callbacks):
    # nine accident quarters 2022Q1…2024Q1 at the opening run, each one claim reserved 1,000;
    # the three oldest rise to 1,100 between ages 21 and 24 (in 2023Q4, 2024Q1, 2024Q2).
    # Opening run: the 21→24 link ratio exists twice → thin → LDF 1.0, IBNR 0. Closing run
    # (2024Q2 added): three 1.1 ratios → LDF 1.1 on the seven accident quarters not past age 21
    # → IBNR 7 × 100 = 700. Nobody selected anything: that is the thin-age rule, not a selection.
    book = {o: [(0, "reserve", "1000")] for o in (str(Quarter(2022, 1) + i) for i in range(10))}
    for origin in ("2022Q1", "2022Q2", "2022Q3"):
        book[origin].append((7, "reserve", "100"))
    hand_book(book)
    opening = approved_run(people, django_capture_on_commit_callbacks, date(2024, 3, 31), parameters=QUARTERLY_CHAIN_LADDER)
    closing = approved_run(people, django_capture_on_commit_callbacks, date(2024, 6, 30), parameters=QUARTERLY_CHAIN_LADDER)
    a, b = (run.segment_results.get(segment=SEG, currency=CUR) for run in (opening, closing))
    assert (a.ibnr_method, b.ibnr_method) == ("chainladder", "chainladder")
    assert (a.ibnr, b.ibnr) == (Decimal("0.00"), Decimal("700.00"))
    got = {ln.step: ln.amount for ln in roll_forward(opening=opening, closing=closing, segment=SEG, currency=CUR)}
    assert got[STEP_EMERGENCE] == Decimal("0.00")
    assert got[STEP_THIN_AGES] == Decimal("700.00")
    assert got[STEP_PATTERN] == Decimal("0.00")
    assert got[STEP_SELECTION] == Decimal("0.00")
    assert got["unexplained"] == Decimal("0.00")


def test_unchanged_selections_leave_no_selection_change(people, django_capture_on_commit_callbacks):
    """The demo's "selection changes −326,844.71" between runs 7 and 8 with no selection: the
    closing run's LDFs re-estimated on the new diagonal. Named so; selection changes stay 0."""
    make_book(seed=11, policies=120, recorded_at=timezone.now() - timedelta(days=60))
    opening = approved_run(people, django_capture_on_commit_callbacks, date(2024, 6, 30), parameters=QUARTERLY_CHAIN_LADDER)
    closing = approved_run(people, django_capture_on_commit_callbacks, date(2024, 12, 31), parameters=QUARTERLY_CHAIN_LADDER)
    moved = 0
    for r in closing.segment_results.filter(ibnr_method="chainladder"):
        a = opening.segment_results.get(segment=r.segment, currency=r.currency)
        lines = roll_forward(opening=opening, closing=closing, segment=r.segment, currency=r.currency)
        got = {ln.step: ln.amount for ln in lines}
        assert got[STEP_SELECTION] == Decimal("0.00"), r
        assert got["unexplained"] == Decimal("0.00")
        assert got[STEP_EMERGENCE] + got[STEP_THIN_AGES] + got[STEP_PATTERN] == r.ibnr - a.ibnr
        moved += got[STEP_THIN_AGES] != 0 or got[STEP_PATTERN] != 0
    assert moved  # the new diagonal did move some segment's pattern


def test_default_view_after_an_approved_rerun_pairs_the_official_runs(people, django_capture_on_commit_callbacks, client):
    make_book(seed=13, policies=150, recorded_at=timezone.now() - timedelta(days=60))
    opening = approved_run(people, django_capture_on_commit_callbacks, date(2024, 6, 30), parameters=QUARTERLY_CHAIN_LADDER)
    original = approved_run(people, django_capture_on_commit_callbacks, date(2024, 12, 31), parameters=QUARTERLY_CHAIN_LADDER)
    with django_capture_on_commit_callbacks(execute=True):
        rerun = services.run_rerun(run=original, actor=people["actuary"])
    rerun.refresh_from_db()
    for check in run_selectors.run_open_warnings(run=rerun):
        services.run_check_acknowledge(check=check, actor=people["actuary"])
    services.run_submit(run=rerun, actor=people["actuary"])
    services.run_approve(run=rerun, actor=people["approver"])
    original.refresh_from_db()
    assert original.superseded_by_id == rerun.pk

    request = RequestFactory().get(reverse("reporting:rollforward"))
    request.user = people["approver"]
    _form, got_opening, got_closing, _segment = views._rollforward_context(request)
    assert (got_opening, got_closing) == (opening, rerun)

    client.force_login(User.objects.get(pk=people["approver"].pk))
    page = client.get(reverse("reporting:rollforward")).content.decode()
    assert "closing reserve (RBNS + IBNR)" in page
    assert "No approved reserve runs yet" not in page and "Pick two approved runs" not in page
