"""A typed ultimate in the approver's diff and in the run's reserving report (issue 13 §2, §5, §6):
the origin's method shows as "typed by the actuary" with the amount typed, and the amounts are
listed with the note that says why. Numbers as in reviewbook.py's docstring: the prior approved
run reserves 2024 by chain ladder at 1.2 (IBNR 27,024.34); this one types 150,000 for 2024, whose
incurred is 135,121.68, so its IBNR is 14,878.32 and the segment's IBNR moves by −12,146.02."""
from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from reserving import review
from tests.integration.reserving.reviewbook import (CURRENCY, KEY, PRIOR_IBNR, SEGMENT, VALUATION, book,  # noqa: F401
                                                    client_of, people, prior)
from tests.integration.reserving.runbook import eager_celery, submitted_run  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]
NOTE = "2024 typed: a large clinic claim reported after the cut-off"
LINE = f"2024: 150,000.00 (note: {NOTE})"


@pytest.fixture
def typed_run(people, prior, django_capture_on_commit_callbacks):
    return submitted_run(people["actuary"], django_capture_on_commit_callbacks, VALUATION, selections={
        KEY: {"method": "chainladder", "ldfs": {"12": 1.25}, "ultimates": {"2024": 150000.0}, "note": NOTE}})


def test_the_diff_shows_the_typed_origin_its_amount_and_the_note(prior, typed_run):
    seg = next(r for r in review.run_review(run=typed_run) if (r.segment, r.currency) == (SEGMENT, CURRENCY))
    young = next(o for o in seg.origins if o.origin == "2024")
    assert (young.method.prior, young.method.current) == ("incurred_cl", "typed")
    assert (young.typed.prior, young.typed.current, young.changed) == (None, 150000.0, True)
    assert (young.ibnr.prior, young.ibnr.current) == (PRIOR_IBNR, Decimal("14878.32"))
    assert [o.origin for o in seg.origins if o.typed.changed or o.method.changed] == ["2024"]
    assert seg.typed_ultimates == {"2024": 150000.0}
    ibnr = seg.amount("IBNR")
    assert (ibnr.current, ibnr.difference, round(ibnr.percent, 4)) == (Decimal("14878.32"), Decimal("-12146.02"),
                                                                      -0.4494)
    approver = client_of("rv-typed-approver", "approver")
    html = approver.get(reverse("admin:reserving_reserverun_change", args=[typed_run.pk])).content.decode()
    section = html[html.index('id="run-review"'):html.index('value="Approve"')]
    row = section[section.index("<th>2024</th>"):]
    row = row[:row.index("</tr>")]
    assert ('<td title="incurred_cl">chain ladder on incurred</td><td title="typed">typed by the actuary: 150,000.00'
            "</td>") in row
    assert "27,024.34" in row and "14,878.32" in row
    assert f'<p class="rv-typed">typed ultimates: {LINE}</p>' in section
    assert "-12,146.02" in section


def test_the_report_lists_the_typed_ultimates_in_its_selections(prior, typed_run):
    auditor = client_of("rp-typed-auditor", "auditor")
    html = auditor.get(reverse("admin:reserving_run_report", args=[typed_run.pk])).content.decode()
    segment = html[html.index(f'id="rp-{SEGMENT}-{CURRENCY}"'):]
    selections = segment[segment.index("rp-section rp-selections"):segment.index("rp-section rp-uncertainty")]
    assert f"<dt>typed ultimates</dt><dd>{LINE}</dd>" in selections
    assert '<tr><th>2024</th><td title="typed">typed by the actuary</td><td>typed by the actuary</td>' in selections
    assert '<tr><th>2023</th><td title="incurred_cl">chain ladder on incurred</td><td>segment method</td>' in selections
    wb = openpyxl.load_workbook(io.BytesIO(auditor.get(
        reverse("admin:reserving_run_report_xlsx", args=[typed_run.pk])).content))
    rows = [list(r) for r in wb["Selections"].iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if r[0] == f"{SEGMENT} {CURRENCY}")
    assert ["typed ultimates", LINE] in [r[:2] for r in rows[start:]]
    changes = [list(r) for r in wb["Changes"].iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(changes) if r[0] == f"{SEGMENT} {CURRENCY}")
    young = next(r for r in changes[start:] if r[0] == "2024")
    assert young[:3] + young[5:9] == ["2024", "incurred_cl", "typed", 27024.34, 14878.32, None, 150000.0]


def test_a_first_run_without_a_prior_still_lists_its_typed_ultimates():
    from reserving.report import segment_review_html

    seg = review.SegmentReview(segment=SEGMENT, currency=CURRENCY, prior_run=None, message="no prior approved run",
                               note=review.Change("note", "", NOTE), typed_ultimates={"2024": 150000.0, "2023": 0.0})
    html = str(segment_review_html(seg))
    assert f'<p class="rv-typed">typed ultimates: 2023: 0.00; 2024: 150,000.00 (note: {NOTE})</p>' in html
