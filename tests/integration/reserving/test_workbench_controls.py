"""The workbench's remaining controls and its compact page (issue 13 §1, §3, §4, bad input): the
tail picked as a curve fitted to the factors being selected, with its fit in the note; bad input
shown on the field it belongs to with nothing saved; the bootstrap histogram drawn from the run's
own simulated draws; the closed parts of the page (diagnostic triangles, stored triangles)
fetched when opened."""
from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse

from reserving import workbench
from reserving.admin import _exhibit_triangle, _triangle_of
from tests.factories import user_with_roles
from tests.integration.reserving.runbook import actuary, eager_celery  # noqa: F401 - fixtures
from tests.integration.reserving.test_workbench_page import Page, run  # noqa: F401 - the computed small run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]
SEGMENT, CURRENCY = "clinic_claims_made", "RUB"
KEY = f"{SEGMENT}|{CURRENCY}"


def _url(run, name="admin:reserving_run_segment", *extra):
    return reverse(name, args=[run.pk, SEGMENT, CURRENCY, *extra])


def _result(run):
    return run.segment_results.get(segment=SEGMENT, currency=CURRENCY)


def _fit(result, curve, ldfs=None):
    """The engine's fit of `curve` to the run's factors with `ldfs` over them."""
    factors = {int(a): float(f) for a, f in result.factors["ldf"].items()}
    factors.update({int(a): float(f) for a, f in (ldfs or {}).items()})
    triangle = _triangle_of(_exhibit_triangle(result))
    return next(f for f in workbench.tail_fits(triangle, factors) if f["curve"] == curve)


def test_the_page_offers_the_tail_as_a_constant_or_a_fitted_curve(actuary, run):
    page = Page(actuary.get(_url(run)).content.decode())
    picks = {c["value"]: c for c in page.controls if c.get("name") == "tail_pick"}
    assert list(picks) == ["constant", "exponential", "inverse_power"]
    assert "checked" in picks["constant"]
    # the run's factors: 2.2167 at 12 months, 1.0 after: no curve can be fitted to one factor above 1
    assert "disabled" in picks["exponential"] and "disabled" in picks["inverse_power"]
    rows = {r[1]["text"].strip(): [c["text"] for c in r] for r in page.tables["wb-tail"][1:]}
    assert rows["inverse power of (LDF − 1)"][2] == ("a tail curve needs at least two development factors above "
                                                     "1.00001 to fit; select a TailConstant instead")


TYPED = {"24": 1.3, "36": 1.1}  # with these two factors above 1, both curves can be fitted


def test_a_picked_curve_is_fitted_to_the_factors_being_selected_and_saved_with_its_fit(actuary, run):
    result = _result(run)
    fit = _fit(result, "inverse_power", TYPED)
    assert "error" in _fit(result, "inverse_power") and fit["n_points"] == 3   # the typed factors make the fit
    posted = {"tail_pick": "inverse_power", "tail": "1.5", "ldf_24": "1.3", "ldf_36": "1.1"}

    preview = actuary.post(_url(run, "admin:reserving_run_preview"), posted)
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert body["selection"]["tail"] == fit["tail"]             # the fit, not the 1.5 typed
    assert body["tail"] == pytest.approx(fit["tail"])          # and the preview computed with it
    assert body["tail_note"].startswith(f"tail: inverse-power fit to the selected factors, {fit['shown']}")
    refit = {f["curve"]: f for f in body["tail_fits"]}
    assert refit["inverse_power"]["shown"] == fit["shown"] and refit["exponential"]["n_points"] == 3
    run.refresh_from_db()
    assert KEY not in run.selections                             # a preview saves nothing

    response = actuary.post(_url(run), {**posted, "note": "tail from the curve"})
    assert response.status_code == 302
    run.refresh_from_db()
    saved = run.selections[KEY]
    assert saved["tail"] == fit["tail"] and saved["ldfs"] == TYPED
    assert saved["note"] == (f"tail from the curve (tail: inverse-power fit to the selected factors, {fit['shown']} "
                             f"(R² {fit['r_squared']}, {fit['n_points']} factors at ages {fit['fit_ages']}))")
    page = Page(actuary.get(_url(run)).content.decode())     # the page shows the curve as picked
    assert "checked" in next(c for c in page.controls if c.get("name") == "tail_pick"
                             and c["value"] == "inverse_power")


def test_a_curve_that_cannot_be_fitted_is_refused_on_the_tail_field(actuary, run):
    ages = sorted(int(a) for a in _result(run).factors["ldf"])
    flat = {f"ldf_{a}": "1.0" for a in ages}
    response = actuary.post(_url(run), {**flat, "tail_pick": "exponential"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="tail-errors"' in html
    assert ("the exponential tail cannot be fitted: a tail curve needs at least two development factors above 1.00001"
            in html)
    preview = actuary.post(_url(run, "admin:reserving_run_preview"), {**flat, "tail_pick": "exponential"})
    assert preview.status_code == 400 and "tail" in preview.json()["errors"]
    run.refresh_from_db()
    assert KEY not in run.selections


@pytest.mark.parametrize("posted, field, message", [
    ({"tail": "0.95"}, "tail", "Ensure this value is greater than or equal to 1.0."),
    ({"apriori": "-0.1"}, "apriori", "Ensure this value is greater than or equal to 0.0."),
    ({"tail": "abc"}, "tail", "Enter a number."),
])
def test_a_bad_tail_or_a_priori_is_said_on_its_field_and_nothing_is_saved(actuary, run, posted, field, message):
    response = actuary.post(_url(run), posted)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors[field] == [message]
    run.refresh_from_db()
    assert KEY not in run.selections


def test_an_a_priori_of_zero_is_refused(actuary, run):
    response = actuary.post(_url(run), {"apriori": "0"})
    assert response.status_code == 200
    assert response.context["form"].errors["apriori"] == ["the a-priori loss ratio must be greater than 0, got 0.0"]
    assert "errornote" in response.content.decode()
    run.refresh_from_db()
    assert KEY not in run.selections


def test_a_bad_factor_is_marked_on_its_own_age(actuary, run):
    ages = sorted(int(a) for a in _result(run).factors["ldf"])
    response = actuary.post(_url(run), {f"ldf_{ages[1]}": "-2", f"ldf_{ages[0]}": "1.3"})
    assert response.status_code == 200
    page = Page(response.content.decode())
    rows = page.tables["wb-averages"]
    typed = next(r for r in rows if r[0]["text"] == "a factor of your own")
    errors = next(r for r in rows if r[0]["text"] == "not saved")
    assert ["wb-error" in c["class"] for c in typed[1:3]] == [False, True]
    assert errors[2]["text"] == f"LDF at age {ages[1]} must be a positive number, got -2"
    assert errors[1]["text"] == ""
    run.refresh_from_db()
    assert KEY not in run.selections


def test_an_override_the_service_refuses_is_marked_on_its_origin(actuary, run):
    origin = list(_result(run).origins.all())[-1].origin
    response = actuary.post(_url(run), {f"override_{origin}": "no_such_method"})
    assert response.status_code == 200
    page = Page(response.content.decode())
    row = next(r for r in page.tables["wb-summary"] if r and r[0]["text"] == origin)
    assert "wb-error" in row[-2]["class"]   # the override's cell (the typed ultimate's is the last)
    assert f"override for origin {origin}: unknown method 'no_such_method'" in row[-2]["text"]
    run.refresh_from_db()
    assert KEY not in run.selections


def test_the_bootstrap_histogram_counts_the_runs_own_draws(actuary, run):
    result = _result(run)
    blob = result.bootstrap
    draws, why = workbench.bootstrap_draws(run=run, result=result)
    assert why == "" and draws.shape == (blob["n_sims"],)
    assert round(float(draws.mean()), 2) == blob["mean"]           # the run's simulation, not another
    chart = actuary.get(_url(run, "admin:reserving_run_chart", "bootstrap")).json()
    assert chart["from_draws"] is True and chart["n_draws"] == 1000
    bars = chart["data"][0]
    assert bars["y"] == chart["counts"]
    assert sum(chart["counts"]) + chart["outside"]["below"] + chart["outside"]["above"] == 1000
    lo, hi = np.percentile(draws, workbench.HISTOGRAM_SPAN)
    assert sum(chart["counts"]) == int(((draws >= lo) & (draws <= hi)).sum())
    booked = float(result.rbns + result.ibnr)
    marker = chart["data"][1]
    assert marker["x"] == [round(booked, 2), round(booked, 2)] and marker["name"].startswith("booked RBNS + IBNR")
    if blob["status"] == "ok":
        assert chart["booked_percentile"] == round(float((draws <= booked).mean() * 100), 1)
        assert chart["data"][2]["name"] == "quantile curve (of the draws)"
    else:  # D-31: a meaningless distribution is drawn, but carries no percentile
        assert chart["booked_percentile"] is None and len(chart["data"]) == 2
        assert "not meaningful" in chart["layout"]["title"]["text"]


def test_the_closed_parts_arrive_separately_and_the_page_carries_none_of_them(actuary, run, monkeypatch):
    html = actuary.get(_url(run)).content.decode()
    assert 'class="wb wb-diag-' not in html
    stored = _result(run).triangles["incurred"]
    cells = len(stored["origins"]) * len(stored["ages"])
    assert cells <= 400 and html.count('class="wb wb-stored') == 2   # small: on the page
    monkeypatch.setattr("reserving.admin.STORED_INLINE_CELLS", cells - 1)
    html = actuary.get(_url(run)).content.decode()
    assert 'class="wb wb-stored' not in html                # bigger than that: a part
    assert f'data-src="{_url(run, "admin:reserving_run_part", "stored")}"' in html
    assert f'data-src="{_url(run, "admin:reserving_run_part", "measures")}"' in html
    measures = actuary.get(_url(run, "admin:reserving_run_part", "measures"))
    assert measures.status_code == 200
    body = measures.content.decode()
    assert 'class="wb wb-diag-paid_to_incurred' in body and "<html" not in body
    stored = actuary.get(_url(run, "admin:reserving_run_part", "stored")).content.decode()
    assert stored.count('class="wb wb-stored') == 2
    assert actuary.get(_url(run, "admin:reserving_run_part", "nope")).status_code == 404
    clerk = Client()
    clerk.force_login(user_with_roles("parts-clerk", "clerk", is_staff=True))
    assert clerk.get(_url(run, "admin:reserving_run_part", "measures")).status_code == 403


def test_paid_and_counts_have_their_exhibits_beside_the_incurred_one(actuary, run):
    result = _result(run)
    assert result.factors["basis"] == "incurred"
    html = actuary.get(_url(run)).content.decode()
    for measure in ("paid", "count"):
        assert f'data-src="{_url(run, "admin:reserving_run_part", f"exhibit_{measure}")}"' in html
    assert _url(run, "admin:reserving_run_part", "exhibit_incurred") not in html  # the selected one is on the page
    paid = Page(actuary.get(_url(run, "admin:reserving_run_part", "exhibit_paid")).content.decode())
    triangle = _triangle_of(_exhibit_triangle(result))
    t = workbench.segment_triangles(run=run, result=result)
    rows = paid.tables["wb-triangle"]
    assert [c["text"] for c in rows[1]] == ["2021"] + [f"{v:,.0f}" if np.isfinite(v) else "" for v in t.paid.values[0]]
    averages = {(r[0]["text"], r[1]["text"]): [c["text"] for c in r[2:]] for r in paid.tables["wb-reference-averages"][1:]}
    from reserving.engine.development import link_ratio_averages
    expected = link_ratio_averages(t.paid).loc[("volume", "all")]
    assert averages[("volume", "all")] == [f"{v:.4f}" if np.isfinite(v) else "—" for v in expected]
    assert triangle.ages.tolist() == t.paid.ages.tolist()                    # the same grain as the selected one
    counts = Page(actuary.get(_url(run, "admin:reserving_run_part", "exhibit_count")).content.decode())
    assert [c["text"] for c in counts.tables["wb-triangle"][1]][1] == f"{t.reported.values[0, 0]:,.0f}"
