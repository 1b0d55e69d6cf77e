"""The development exhibit's controls (issue 13 §1, §4): a link ratio excluded by its checkbox
recomputes its age's averages and factor, is written into the note and refused when it leaves an
age without ratios; the preview answers beside the current figures with the difference; the
prior approved run's selection stands beside the averages; the tail curves are fitted and shown.

The seed-71 book reserves the clinic segment on annual origins 2021–2024 (OYDY, incurred): at 24
months only 2021 (→ 36) and 2022 (→ 36) have link ratios, at 36 only 2021."""
from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone

from reserving import services, workbench
from reserving.admin import _basis_triangle
from reserving.engine import Triangle
from tests.integration.reserving.runbook import actuary, eager_celery, make_book  # noqa: F401 - fixtures
from tests.integration.reserving.test_workbench_page import Page

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]
SEGMENT, CURRENCY = "clinic_claims_made", "RUB"
KEY = f"{SEGMENT}|{CURRENCY}"


@pytest.fixture
def run(actuary):
    make_book(seed=71, policies=80, recorded_at=timezone.now() - timedelta(days=1))
    run = services.run_create(valuation_date=date(2024, 12, 31), actor=actuary.user,
                              selections={KEY: {"method": "chainladder"}})
    services.run_compute(run=run, actor=actuary.user)
    run.refresh_from_db()
    return run


def _url(run, name="admin:reserving_run_segment"):
    return reverse(name, args=[run.pk, SEGMENT, CURRENCY])


def _incurred(run):
    """The exhibit's incurred triangle {origin: [values by age 12, 24, 36, 48]}."""
    tri = _basis_triangle(run.segment_results.get(segment=SEGMENT, currency=CURRENCY))[0]
    return {str(o): list(v) for o, v in zip(tri.origins, tri.values)}


def test_an_excluded_link_ratio_recomputes_its_age_and_saves_with_the_note(actuary, run):
    c = _incurred(run)
    # volume-weighted at 24 over 2021 and 2022, and 2022's ratio alone once 2021's is excluded
    volume_all = (c["2021"][2] + c["2022"][2]) / (c["2021"][1] + c["2022"][1])
    without_2021 = c["2022"][2] / c["2022"][1]
    assert round(volume_all, 4) == 1.0559 and round(without_2021, 4) == 1.0876
    page = Page(actuary.get(_url(run)).content.decode())
    excludes = {c["value"] for c in page.controls if c.get("name") == "exclude"}
    assert {"2021|12", "2022|12", "2023|12", "2021|24", "2022|24", "2021|36"} == excludes
    shown = next(c["value"] for c in page.controls if c.get("name") == "ldf_24" and c.get("value")
                 and abs(float(c["value"]) - volume_all) < 1e-12)  # the volume-weighted radio, as drawn
    response = actuary.post(_url(run), {"exclude": "2021|24", "ldf_24": shown, "ldf_12": "", "note": "2021 closed"})
    assert response.status_code == 302
    run.refresh_from_db()
    saved = run.selections[KEY]
    assert saved["ldfs"] == {"24": pytest.approx(without_2021, rel=1e-12)}
    assert saved["note"] == "2021 closed (link ratios excluded: 2021 at 24 months)"
    # an excluded age with no pick takes the volume-weighted average without it (2021 at 12 out)
    actuary.post(_url(run), {"exclude": "2021|12", "method": "chainladder"})
    run.refresh_from_db()
    at_12 = (c["2022"][1] + c["2023"][1]) / (c["2022"][0] + c["2023"][0])
    assert run.selections[KEY]["ldfs"] == {"12": pytest.approx(at_12, rel=1e-12)}


def test_an_exclusion_that_leaves_an_age_without_ratios_is_refused(actuary, run):
    before = dict(run.selections)
    response = actuary.post(_url(run), {"exclude": "2021|36", "note": "x"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "LDF at age 36: excluding 2021 leaves no link ratio" in html and "errornote" in html
    assert 'value="2021|36" checked' in html  # the cell stays excluded on the page to correct
    bad = actuary.post(_url(run), {"exclude": "2024|12"})
    assert "excluded link ratio 2024 at 12 months: there is no ratio there" in bad.content.decode()
    run.refresh_from_db()
    assert run.selections == before and run.status == "computed"
    preview = actuary.post(_url(run, "admin:reserving_run_preview"), {"exclude": "2021|36"})
    assert preview.status_code == 400 and "leaves no link ratio" in preview.json()["errors"]["ldfs"][0]


def test_the_preview_redraws_the_averages_and_sets_the_figures_beside_the_current(actuary, run):
    c = _incurred(run)
    result = run.segment_results.get(segment=SEGMENT, currency=CURRENCY)
    now = {o.origin: o for o in result.origins.all()}
    response = actuary.post(_url(run, "admin:reserving_run_preview"),
                            {"exclude": "2021|24", "ldf_12": "1.5", "method": "chainladder"})
    assert response.status_code == 200
    body = response.json()
    assert float(body["averages"]["volume|all"]["24"]) == pytest.approx(c["2022"][2] / c["2022"][1], rel=1e-12)
    assert body["averages"]["volume|all"]["36"] == repr(float(c["2021"][3] / c["2021"][2]))  # untouched age
    assert body["excluded"] == ["2021|24"] and body["exclusion_note"] == "link ratios excluded: 2021 at 24 months"
    rows = {r["origin"]: r for r in body["beside"]["rows"]}
    assert set(rows) == set(now)
    # 2024 has incurred only at 12: chain ladder with 1.5 at 12, 2022's ratio at 24, 2021's at 36
    f24, f36 = c["2022"][2] / c["2022"][1], c["2021"][3] / c["2021"][2]
    ultimate = round(c["2024"][0] * 1.5 * f24 * f36, 2)
    assert rows["2024"]["ultimate"] == f"{ultimate:,.2f}"
    assert rows["2024"]["now_ultimate"] == f"{now['2024'].ultimate:,.2f}"
    assert rows["2024"]["ultimate_change"] == f"{float(ultimate) - float(now['2024'].ultimate):+,.2f}"
    assert rows["2024"]["changed"] is True
    total_now = sum(o.ibnr for o in now.values())
    assert body["beside"]["total"]["now_ibnr"] == f"{total_now:,.2f}"
    run.refresh_from_db()
    assert run.status == "computed" and "ldfs" not in run.selections[KEY]


def test_the_prior_approved_runs_factors_stand_beside_the_averages(actuary, run, django_capture_on_commit_callbacks):
    from tests.factories import user_with_roles

    approver = user_with_roles("ex-approver", "approver", is_staff=True)
    for check in run.data_checks.filter(severity="warning"):
        services.run_check_acknowledge(check=check, actor=actuary.user)
    services.run_submit(run=run, actor=actuary.user)
    services.run_approve(run=run, actor=approver)
    current = services.run_create(valuation_date=date(2024, 12, 31), actor=actuary.user)
    services.run_compute(run=current, actor=actuary.user)
    html = actuary.get(_url(current)).content.decode()
    prior = [r for r in Page(html).tables["wb-averages"] if r and r[0]["text"].startswith("prior approved run")]
    assert len(prior) == 1 and f"run {run.pk} (2024-12-31)" in prior[0][0]["text"]
    ldf = run.segment_results.get(segment=SEGMENT, currency=CURRENCY).factors["ldf"]
    assert [c["text"] for c in prior[0][1:]] == [f"{float(ldf[a]):.4f}" for a in ("12", "24", "36")]
    first = Page(actuary.get(_url(run)).content.decode())
    none = [r for r in first.tables["wb-averages"] if r and r[0]["text"] == "prior approved run"]
    assert none[0][1]["text"] == "none before this valuation date"


def test_the_tail_curves_are_fitted_to_the_selected_factors():
    # LDFs 1.5, 1.2, 1.1 at t = 1, 2, 3: log(LDF − 1) = log 0.5, log 0.2, log 0.1
    tri = Triangle.from_array(np.array([[100.0, 150, 180, 198], [100, 150, 180, np.nan], [100, 150, np.nan, np.nan],
                                        [100, np.nan, np.nan, np.nan]]), origins=[2021, 2022, 2023, 2024],
                              ages=[12, 24, 36, 48], measure="incurred")
    fits = {f["curve"]: f for f in workbench.tail_fits(tri, {12: 1.5, 24: 1.2, 36: 1.1})}
    y = [math.log(0.5), math.log(0.2), math.log(0.1)]
    slope = (y[2] - y[0]) / 2  # least squares through three equally spaced points
    intercept = sum(y) / 3 - 2 * slope
    assert fits["exponential"]["slope"] == f"{slope:.4f}" == "-0.8047"
    assert fits["exponential"]["intercept"] == f"{intercept:.4f}" == "0.0744"
    tail = math.prod(1 + math.exp(intercept + slope * t) for t in range(4, 104))
    assert fits["exponential"]["tail"] == pytest.approx(tail, rel=1e-12)
    assert round(tail, 4) == 1.0798 and fits["exponential"]["n_points"] == 3
    lx = [math.log(1), math.log(2), math.log(3)]
    mx, my = sum(lx) / 3, sum(y) / 3
    power = sum((a - mx) * (b - my) for a, b in zip(lx, y)) / sum((a - mx) ** 2 for a in lx)
    assert fits["inverse_power"]["slope"] == f"{power:.4f}"
    assert fits["inverse_power"]["tail"] > fits["exponential"]["tail"]  # the power curve decays slower
    flat = {f["curve"]: f for f in workbench.tail_fits(tri, {12: 1.5, 24: 1.0, 36: 1.0})}
    assert "at least two development factors above 1.00001" in flat["exponential"]["error"]
