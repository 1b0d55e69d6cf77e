"""Review and sign-off (issue 13 §5): what changed against the prior approved run, per segment,
with the effect on the reserve, shown to the approver above the Approve button; approving
freezes the selections. The numbers are hand-checked in reviewbook.py's docstring."""
from __future__ import annotations

from datetime import date, datetime, timezone as tz
from decimal import Decimal

import pytest
from django.urls import reverse

from core.errors import DomainError
from reserving import review, services
from reserving.models import Regime, ReserveRun, RunSegmentResult
from tests.integration.reserving.reviewbook import (CURRENCY, CURRENT_IBNR, CURRENT_NOTE, INCURRED_2024, KEY,
                                                    PRIOR_IBNR, PRIOR_NOTE, SEGMENT, approve, book, client_of,
                                                    current, people, prior)  # noqa: F401 - fixtures
from tests.integration.reserving.runbook import eager_celery  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def _clinic(reviews) -> review.SegmentReview:
    return next(r for r in reviews if (r.segment, r.currency) == (SEGMENT, CURRENCY))


def test_the_diff_shows_the_changed_factor_the_notes_and_the_ibnr_it_moves(prior, current):
    seg = _clinic(review.run_review(run=current))
    assert seg.prior_run.pk == prior.pk
    age12 = next(f for f in seg.factors if f.key == "12")
    assert (age12.prior, age12.current, age12.changed, age12.chosen) == (1.2, 1.25, True, True)
    assert [f.key for f in seg.changed_factors] == ["12"]
    assert (seg.tail.prior, seg.tail.current, seg.tail.changed) == (1.0, 1.0, False)
    assert (seg.note.prior, seg.note.current) == (PRIOR_NOTE, CURRENT_NOTE)
    assert {o.origin: (o.method.prior, o.method.current) for o in seg.origins} == {
        o: ("incurred_cl", "incurred_cl") for o in ("2021", "2022", "2023", "2024")}
    ibnr = seg.amount("IBNR")
    assert (ibnr.prior, ibnr.current, ibnr.difference) == (PRIOR_IBNR, CURRENT_IBNR, Decimal("6756.08"))
    assert ibnr.difference == (INCURRED_2024 * Decimal("0.05")).quantize(Decimal("0.01"))
    assert round(ibnr.percent, 4) == 0.25
    rbns = seg.amount("RBNS")
    assert rbns.difference == 0 and rbns.prior == rbns.current
    total = seg.amount("total")
    assert total.difference == Decimal("6756.08") and total.current == rbns.current + CURRENT_IBNR
    young = next(o for o in seg.origins if o.origin == "2024")
    assert (young.ibnr.prior, young.ibnr.current) == (PRIOR_IBNR, CURRENT_IBNR)
    # the segments whose selection did not change show no change
    others = [r for r in review.run_review(run=current) if (r.segment, r.currency) != (SEGMENT, CURRENCY)]
    assert others and all(not r.changed_factors and r.amount("IBNR").difference == 0 for r in others)


def test_the_first_approved_run_has_no_prior(prior):
    reviews = review.run_review(run=prior)
    assert reviews and all(not r.has_prior and "no prior approved run" in r.message for r in reviews)
    assert all(a.prior is None and a.difference is None and a.percent is None for r in reviews for a in r.amounts)


def test_the_approver_sees_the_diff_above_the_approve_button_and_approving_freezes_it(people, prior, current):
    approver = client_of("rv-approver-page", "approver")
    page = approver.get(reverse("admin:reserving_reserverun_change", args=[current.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    section = html[html.index('id="run-review"'):html.index('value="Approve"')]
    # the segment by its name, its code the heading's title
    assert f'<span title="{SEGMENT}">clinics, claims-made basis</span> {CURRENCY}' in section
    assert f"run {prior.pk}" in section
    for text in ("1.2000", "1.2500", "27,024.34", "33,780.42", "+6,756.08", "+25.0%", PRIOR_NOTE, CURRENT_NOTE):
        assert text in section, text
    irr = current.segment_results.get(segment="individual_occurrence", currency="IRR")
    assert f"{irr.rbns:,.0f}" in section and f"{irr.rbns:,.2f}" not in section  # rials: no decimals
    assert approver.post(reverse("admin:reserving_run_action", args=[current.pk, "approve"])).status_code == 302
    current.refresh_from_db()
    assert current.status == ReserveRun.Status.APPROVED
    # once approved the selections are frozen: the service refuses, in the admin too
    with pytest.raises(DomainError) as refused:
        services.run_selection_set(run=current, segment=SEGMENT, currency=CURRENCY,
                                   selection={"ldfs": {"12": 1.3}, "note": "after the fact"}, actor=people["actuary"])
    assert refused.value.code == "immutable" and "approved" in refused.value.message
    actuary = client_of("rv-actuary-page", "actuary")
    answer = actuary.post(reverse("admin:reserving_run_segment", args=[current.pk, SEGMENT, CURRENCY]),
                          {"ldf_12": "1.3", "note": "after the fact"})
    assert answer.status_code == 200 and "is approved and cannot be changed" in answer.content.decode()
    current.refresh_from_db()
    assert current.selections[KEY]["ldfs"] == {"12": 1.25} and current.status == ReserveRun.Status.APPROVED
    # and the approved run still compares with the run it superseded at the same valuation date
    assert _clinic(review.run_review(run=current)).prior_run.pk == prior.pk


# ------------------------------------------------------------------ which run is the prior
def _approved(regime, valuation_date, decided_day, **kw) -> ReserveRun:
    run = ReserveRun.objects.create(valuation_date=valuation_date, regime=regime, regime_code=regime.code,
                                    regime_version=regime.version, status=kw.pop("status", ReserveRun.Status.APPROVED),
                                    cut_off=datetime(2025, 1, 5, tzinfo=tz.utc),
                                    decided_at=None if decided_day is None
                                    else datetime(2025, 1, decided_day, tzinfo=tz.utc),
                                    **kw)
    RunSegmentResult.objects.create(run=run, segment=SEGMENT, currency=CURRENCY, upr=0, rbns=100, ibnr=10, ulae=0,
                                    premium_deficiency=0, ibnr_method="default")
    return run


def test_the_prior_is_an_earlier_approved_run_at_the_same_date_else_the_latest_official_before():
    regime = Regime.objects.create(code="rvtest", version=1, effective_from=date(2020, 1, 1))
    older = _approved(regime, date(2024, 6, 30), 1)
    replaced = _approved(regime, date(2024, 9, 30), 1)
    september = _approved(regime, date(2024, 9, 30), 2, status=ReserveRun.Status.SUBMITTED)
    ReserveRun.objects.filter(pk=replaced.pk).update(superseded_by=september)  # as run_approve does
    ReserveRun.objects.filter(pk=september.pk).update(status=ReserveRun.Status.APPROVED)
    september.refresh_from_db()
    _approved(regime, date(2024, 9, 30), None, status=ReserveRun.Status.REJECTED)
    other_regime = Regime.objects.create(code="rvother", version=1, effective_from=date(2020, 1, 1))
    _approved(other_regime, date(2024, 12, 31), 3)
    december = _approved(regime, date(2024, 12, 31), None, status=ReserveRun.Status.SUBMITTED)

    def prior_of(run):
        return review.prior_approved_run(run=run, segment=SEGMENT, currency=CURRENCY)

    assert prior_of(december) == september          # the official run of the latest earlier date
    assert prior_of(september) == replaced          # the run it replaced at the same date
    assert prior_of(replaced) == older              # nothing decided before it at its date
    assert prior_of(older) is None
    assert review.prior_approved_run(run=december, segment="other", currency=CURRENCY) is None


def test_methods_a_priori_and_tail_changes_are_listed_per_origin_with_their_effect():
    """Hand-made results: 2024 moves from incurred chain ladder to BF with the a-priori 60% → 65%
    (its IBNR 200 → 260; 2023's stays 50), the tail 1.00 → 1.05; RBNS 1,000 in both: IBNR 250 → 310,
    total 1,250 → 1,310, +60 = +4.8%."""
    from reserving.models import RunOriginResult
    from reserving.report import segment_review_html

    regime = Regime.objects.create(code="rvmeth", version=1, effective_from=date(2020, 1, 1))
    runs = []
    for day, status, method, apriori, ibnr, tail, note in (
            (1, ReserveRun.Status.APPROVED, "incurred_cl", 0.6, 200, 1.0, "CL throughout"),
            (None, ReserveRun.Status.SUBMITTED, "bf_incurred", 0.65, 260, 1.05, "2024 on BF: thin data")):
        run = ReserveRun.objects.create(
            valuation_date=date(2024, 12 if day is None else 9, 31 if day is None else 30), regime=regime,
            regime_code=regime.code, regime_version=1, status=status, cut_off=datetime(2025, 1, 5, tzinfo=tz.utc),
            decided_at=None if day is None else datetime(2025, 1, day, tzinfo=tz.utc),
            selections={KEY: {"apriori": apriori, "tail": tail, "note": note}})
        result = RunSegmentResult.objects.create(
            run=run, segment=SEGMENT, currency=CURRENCY, upr=0, rbns=1000, ibnr=ibnr + 50, ulae=0,
            premium_deficiency=0, ibnr_method="default", factors={"basis": "incurred", "ldf": {"12": 1.5},
                                                                 "tail": tail}, provenance={"grain": "OYDY"})
        RunOriginResult.objects.create(segment_result=result, origin="2023", paid=400, case=100, ultimate=550,
                                       ibnr=50, method="incurred_cl", apriori=0.6)
        RunOriginResult.objects.create(segment_result=result, origin="2024", paid=100, case=300, ultimate=400 + ibnr,
                                       ibnr=ibnr, method=method, apriori=apriori)
        runs.append(run)
    seg = _clinic(review.run_review(run=runs[1]))
    assert seg.prior_run == runs[0]
    assert [(o.origin, o.method.prior, o.method.current, o.apriori.prior, o.apriori.current)
            for o in seg.changed_origins] == [("2024", "incurred_cl", "bf_incurred", 0.6, 0.65)]
    assert (seg.tail.prior, seg.tail.current, seg.tail.changed) == (1.0, 1.05, True)
    assert (seg.apriori.prior, seg.apriori.current) == (0.6, 0.65) and not seg.changed_factors
    assert [(a.name, a.prior, a.current, a.difference) for a in seg.amounts] == [
        ("RBNS", 1000, 1000, 0), ("IBNR", 250, 310, 60), ("total", 1250, 1310, 60)]
    assert round(seg.amount("total").percent, 4) == 0.048
    html = str(segment_review_html(seg))
    for text in ("bf_incurred", "65.0%", "1.0500", "+60.00", "+4.8%", "1,310.00", "2024 on BF: thin data"):
        assert text in html, text
