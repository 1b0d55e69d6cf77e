"""The workbench's diagnostics and chart endpoints (issue 13 §3, §4 in part) on a small hand-made
book stored as a run would store it: four origin quarters 2024Q1–Q4 at 2024-12-31, quarterly grain.

    incurred (paid)       age 3      6          9          12
    2024Q1                100 (50)   200 (100)  210 (150)  200 (160)
    2024Q2                120 (60)   250 (120)  250 (180)
    2024Q3                100 (40)   200 (100)
    2024Q4                100 (50)
    reported claims 10, 10, 8, 10; closed 2/4/6/8, 3/5/7, 2/4, 1

Paid-to-incurred 0.50 at age 3 (2024Q1); closure rate 20% (2024Q1, age 3). The stored selection:
LDF 2.5 at age 3 (the averages are 2.00–2.08: far from every one), the volume average 1.0222 at
6, 0.9524 at 9 (below 1; ages 6 and 9 rest on 2 and 1 link ratios). 2024Q1's ultimate 190 is below
its incurred 200 (IBNR −10). The prior approved run at 2024-09-30 had CDFs 2.0, 1.25, 1.0 at ages
3, 6, 9: 2024Q3 at 3 months, ultimate 200 → expected 200 × (0.8 − 0.5) = 60, actual 200 − 100 = 100.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timezone as tz

import pytest
from django.test import Client
from django.urls import reverse

from reserving import selectors, services
from reserving.compute import _frame_json
from reserving.models import Regime, ReserveRun, RunOriginResult, RunSegmentInput, RunSegmentResult
from tests.factories import user_with_roles
from tests.integration.reserving.runbook import actuary  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db
SEGMENT, CURRENCY = "individual_occurrence", "RUB"
Q1 = 2024 * 4  # the quarter index of 2024Q1 (year × 4 + quarter − 1)

# cumulative (paid, case) by origin row and age index, in roubles
PAID = [[50, 100, 150, 160], [60, 120, 180], [40, 100], [50]]
CASE = [[50, 100, 60, 40], [60, 130, 70], [60, 100], [50]]
REPORTED = [10, 10, 8, 10]
CLOSED = [[2, 4, 6, 8], [3, 5, 7], [2, 4], [1]]


def _increments(cumulative):
    return [c - (cumulative[k - 1] if k else 0) for k, c in enumerate(cumulative)]


def _inputs() -> dict:
    cells, closures = [], []
    for i in range(4):
        for k, (p, c) in enumerate(zip(_increments(PAID[i]), _increments(CASE[i]))):
            cells.append([Q1 + i, Q1 + i + k, p * 100, c * 100])
        for k, n in enumerate(_increments(CLOSED[i])):
            closures.append([Q1 + i, Q1 + i + k, n])
    return {"segment": SEGMENT, "currency": CURRENCY, "cells": cells,
            "counts": [[Q1 + i, Q1 + i, n] for i, n in enumerate(REPORTED)],
            "upr": "0", "rbns": "260.00", "earned": {"2024Q1": "400.00", "2024Q2": "400.00", "2024Q3": "500.00",
                                                     "2024Q4": "250.00"},
            "recent_premium": "0", "closures": closures}


def _run(regime, valuation_date, status) -> ReserveRun:
    return ReserveRun.objects.create(valuation_date=valuation_date, regime=regime, regime_code=regime.code,
                                     regime_version=regime.version, status=status,
                                     cut_off=datetime(2025, 1, 15, tzinfo=tz.utc))


@pytest.fixture
def regime():
    return Regime.objects.create(code="wbtest", version=1, effective_from=date(2020, 1, 1))


@pytest.fixture
def run(regime) -> ReserveRun:
    run = _run(regime, date(2024, 12, 31), ReserveRun.Status.COMPUTED)
    doc = _inputs()
    RunSegmentInput.objects.create(run=run, segment=SEGMENT, currency=CURRENCY, inputs=doc)
    from reserving.compute import inputs_from_canonical
    inp = inputs_from_canonical(doc)
    frames = selectors.triangles_from_cells(inp.cells, inp.counts, run.valuation_date)
    result = RunSegmentResult.objects.create(
        run=run, segment=SEGMENT, currency=CURRENCY, upr=0, rbns=260, ibnr=370, ulae=0, premium_deficiency=0,
        ibnr_method="default", earned_premium=1550, paid=360, case=260,
        triangles={"paid": _frame_json(frames["paid"]), "incurred": _frame_json(frames["incurred"]),
                   "earned_premium": {"2024Q1": 400.0, "2024Q2": 400.0, "2024Q3": 500.0, "2024Q4": 250.0}},
        factors={"basis": "incurred", "ldf": {"3": 2.5, "6": 460 / 450, "9": 200 / 210}, "tail": 1.0,
                 "thin_ages": [], "cdf": {"3": 2.5 * 460 / 450 * 200 / 210, "6": 460 / 450 * 200 / 210,
                                          "9": 200 / 210, "12": 1.0}},
        provenance={"grain": "OQDQ", "basis": "incurred", "min_link_ratios": 3},
        bootstrap={"status": "ok", "n_sims": 1000, "seed": 1, "mean": 520.0, "std": 200.0, "cv": 0.38,
                   "percentiles": {"1": 100.0, "5": 200.0, "50": 500.0, "95": 900.0, "99.5": 1200.0}})
    for origin, paid, case, ultimate, method, apriori in (
            ("2024Q1", 160, 40, 190, "incurred_cl", 0.5), ("2024Q2", 180, 70, 270, "incurred_cl", 0.6),
            ("2024Q3", 100, 100, 420, "bf_incurred", 0.8), ("2024Q4", 50, 50, 240, "elr", 0.9)):
        RunOriginResult.objects.create(segment_result=result, origin=origin, paid=paid, case=case,
                                       ultimate=ultimate, ibnr=ultimate - paid - case, method=method,
                                       ultimates={"incurred_cl": str(ultimate), "elr": str(apriori * 400)},
                                       apriori=apriori, flags=["negative_ibnr"] if ultimate < paid + case else [])
    return run


@pytest.fixture
def prior(regime) -> ReserveRun:
    """The prior approved run at 2024-09-30, with its ultimates and its incurred CDFs."""
    prior = _run(regime, date(2024, 9, 30), ReserveRun.Status.APPROVED)
    result = RunSegmentResult.objects.create(
        run=prior, segment=SEGMENT, currency=CURRENCY, upr=0, rbns=0, ibnr=0, ulae=0, premium_deficiency=0,
        ibnr_method="default", factors={"basis": "incurred", "cdf": {"3": 2.0, "6": 1.25, "9": 1.0}},
        provenance={"grain": "OQDQ"})
    for origin, paid, case, ultimate in (("2024Q1", 150, 60, 210), ("2024Q2", 120, 130, 300),
                                         ("2024Q3", 40, 60, 200)):
        RunOriginResult.objects.create(segment_result=result, origin=origin, paid=paid, case=case,
                                       ultimate=ultimate, ibnr=ultimate - paid - case)
    return prior




def _page(client, run) -> str:
    response = client.get(reverse("admin:reserving_run_segment", args=[run.pk, SEGMENT, CURRENCY]))
    assert response.status_code == 200
    return response.content.decode()


def _chart(client, run, name) -> dict:
    response = client.get(reverse("admin:reserving_run_chart", args=[run.pk, SEGMENT, CURRENCY, name]))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return response.json()


def test_the_diagnostic_triangles_show_paid_to_incurred_and_closure_rate_by_origin_and_age(actuary, run):
    from reserving.workbench import segment_diagnostics

    diag = segment_diagnostics(run=run, result=run.segment_results.get())
    measures = {m["key"]: m for m in diag["measures"]}
    p2i = dict(measures["paid_to_incurred"]["rows"])
    assert [c["text"] for c in p2i["2024Q1"]] == ["0.50", "0.50", "0.71", "0.80"]
    assert [c["text"] for c in p2i["2024Q4"]] == ["0.50", "", "", ""]
    closure = dict(measures["closure"]["rows"])
    assert [c["text"] for c in closure["2024Q1"]] == ["20%", "40%", "60%", "80%"]
    case = dict(measures["case"]["rows"])
    assert [c["text"] for c in case["2024Q1"]] == ["6.25", "16.67", "15.00", "20.00"]   # 50/8, 100/6, 60/4, 40/2
    # age 3: 0.50, 0.50, 0.40 on the earlier diagonals → trend 0.37 at 2024Q4; 0.50 is 0.13 above (> 0.10)
    shift = measures["paid_to_incurred"]["shift"][0]
    assert (shift["age"], shift["origin"], shift["expected"], shift["deviation"], shift["flagged"]) == \
        (3, "2024Q4", "0.37", "+0.13", True)
    # one age tested (the others have fewer than 3 earlier cells): an odd cell, not a shift
    assert diag["warnings"] == []

    html = _page(actuary, run)
    assert 'id="diagnostics"' in html and "wb-shift" in html
    assert "No shift of case adequacy" in html


def test_the_flags_name_the_ldf_below_one_the_negative_ibnr_the_thin_ages_and_the_far_selection(actuary, run):
    html = _page(actuary, run)
    from reserving.workbench import segment_diagnostics

    flags = segment_diagnostics(run=run, result=run.segment_results.get())["flags"]
    by_code = {}
    for f in flags:
        by_code.setdefault(f["code"], []).append(f["text"])
    assert by_code["ldf_below_one"] == ["the selected LDF at age 9 is 0.9524, below 1: the incurred is projected to fall"]
    assert by_code["negative_ibnr"] == ["origin 2024Q1: IBNR -10.00 (case reserves above the projected ultimate)"]
    assert by_code["few_ratios"] == ["age 6 rests on 2 link ratios (fewer than 3)",
                                     "age 9 rests on 1 link ratio (fewer than 3)"]
    # age 3's averages: 2.0 (medial) to 2.03125 (volume, 650/320); 2.5 is 0.46875 from the nearest
    assert len(by_code["far_from_averages"]) == 1
    assert by_code["far_from_averages"][0].startswith(
        "age 3: the selected LDF 2.5000 is 0.4688 from the nearest average (volume all 2.0312)")
    assert "bootstrap" not in by_code
    assert 'data-flag="far_from_averages"' in html and "IBNR -10.00" in html


def test_a_meaningless_bootstrap_is_flagged_and_not_drawn(actuary, run):
    RunSegmentResult.objects.filter(run=run).update(bootstrap={
        "status": "not meaningful", "n_sims": 1000, "mean": 100.0, "std": 140.0, "cv": 1.4,
        "reasons": ["the coefficient of variation 1.40 exceeds 1"]})
    html = _page(actuary, run)
    assert "the bootstrap is not meaningful: the coefficient of variation 1.40 exceeds 1" in html
    chart = _chart(actuary, run, "bootstrap")
    assert chart["data"] == [] and chart["meaningful"] is False
    assert "not meaningful" in chart["message"]


def test_actual_vs_expected_emergence_since_the_prior_approved_run(actuary, run, prior):
    html = _page(actuary, run)
    assert f"Prior run {prior.pk} as at 2024-09-30" in html
    from reserving.workbench import emergence

    ave = emergence(run=run, result=run.segment_results.get())
    rows = {r["origin"]: r for r in ave["rows"]}
    assert list(rows) == ["2024Q1", "2024Q2", "2024Q3"]                      # 2024Q4 is new: no expectation
    assert (rows["2024Q3"]["age_then"], rows["2024Q3"]["age_now"]) == (3, 6)
    assert (rows["2024Q3"]["expected"], rows["2024Q3"]["actual"], rows["2024Q3"]["difference"],
            rows["2024Q3"]["actual_to_expected"]) == ("60.00", "100.00", "40.00", "1.67")
    assert (rows["2024Q2"]["expected"], rows["2024Q2"]["actual"]) == ("60.00", "0.00")   # 300 × (1.0 − 0.8)
    assert (rows["2024Q1"]["expected"], rows["2024Q1"]["actual"], rows["2024Q1"]["actual_to_expected"]) == \
        ("0.00", "-10.00", "—")
    assert ave["total"] == {"expected": "120.00", "actual": "90.00", "difference": "-30.00", "actual_to_expected": "0.75"}
    chart = _chart(actuary, run, "emergence")
    assert [t["name"] for t in chart["data"]] == ["expected emergence", "actual emergence"]
    assert chart["data"][0]["x"] == ["2024Q1", "2024Q2", "2024Q3"]
    assert chart["data"][0]["y"] == [0.0, 60.0, 60.0] and chart["data"][1]["y"] == [-10.0, 0.0, 100.0]


def test_without_a_prior_approved_run_the_page_says_so(actuary, run, regime):
    later = _run(regime, date(2025, 3, 31), ReserveRun.Status.APPROVED)   # after the run: not its prior
    RunSegmentResult.objects.create(run=later, segment=SEGMENT, currency=CURRENCY, upr=0, rbns=0, ibnr=0, ulae=0,
                                    premium_deficiency=0, ibnr_method="default")
    html = _page(actuary, run)
    assert ("No prior approved run of regime wbtest for individual professionals, occurrence basis RUB before "
            "2024-12-31: "
            "no actual-vs-expected emergence.") in html
    assert _chart(actuary, run, "emergence")["data"] == []


def test_the_chart_endpoints_answer_plotly_json_and_the_page_embeds_none_of_it(actuary, run):
    development = _chart(actuary, run, "development")
    assert [t["name"] for t in development["data"]] == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    assert development["data"][0]["x"] == [3, 6, 9, 12] and development["data"][0]["y"] == [100.0, 200.0, 210.0, 200.0]
    assert development["data"][3]["y"] == [100.0]

    ratios = _chart(actuary, run, "loss_ratios")
    names = [t["name"] for t in ratios["data"]]   # the methods by their names, their codes in `meta`
    assert names == ["chain ladder on incurred", "expected loss ratio", "selected", "a-priori"]
    assert [t.get("meta") for t in ratios["data"]] == ["incurred_cl", "elr", None, None]
    selected = ratios["data"][2]
    assert selected["y"] == [190 / 400, 270 / 400, 420 / 500, 240 / 250]     # ultimate ÷ earned premium
    assert selected["text"] == ["chain ladder on incurred", "chain ladder on incurred", "Bornhuetter–Ferguson on incurred",
                                "expected loss ratio"]
    assert selected["customdata"] == ["incurred_cl", "incurred_cl", "bf_incurred", "elr"]
    assert ratios["layout"]["separators"] == ".,"                             # English tick labels: 1,234.5

    boot = _chart(actuary, run, "bootstrap")
    assert boot["meaningful"] is True and boot["booked"] == 630.0            # RBNS 260 + IBNR 370
    assert boot["booked_percentile"] == 64.6                                  # 50 + 130/400 × 45
    bars, curve = boot["data"][0], boot["data"][1]
    assert bars["x"] == [150.0, 350.0, 700.0, 1050.0] and bars["width"] == [100.0, 300.0, 400.0, 300.0]
    assert bars["y"][0] == pytest.approx(0.04 / 100)                          # 4% between p1 and p5
    assert curve["name"] == "quantile curve" and curve["y"] == [1.0, 5.0, 50.0, 95.0, 99.5]
    assert boot["data"][2]["name"] == "booked RBNS + IBNR 630 ≈ p65"

    html = _page(actuary, run)
    for name in ("development", "loss_ratios", "bootstrap", "emergence"):
        assert f'data-src="{reverse("admin:reserving_run_chart", args=[run.pk, SEGMENT, CURRENCY, name])}"' in html
    assert reverse("reporting:plotly-js") in html
    assert "quantile curve" not in html and "Plotly.newPlot(box, fig.data" in html
    assert json.dumps(development["data"][0]["y"]) not in html


def test_an_unknown_chart_is_404_and_a_clerk_is_refused(actuary, run):
    url = reverse("admin:reserving_run_chart", args=[run.pk, SEGMENT, CURRENCY, "pie"])
    assert actuary.get(url).status_code == 404
    clerk = Client()
    clerk.force_login(user_with_roles("diag-clerk", "clerk", is_staff=True))
    assert clerk.get(reverse("admin:reserving_run_chart", args=[run.pk, SEGMENT, CURRENCY, "development"])).status_code == 403
