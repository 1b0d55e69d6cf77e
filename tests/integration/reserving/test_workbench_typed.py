"""Typed ultimates on the workbench (issue 13 §2, "the actuary changes the method per origin or types
an ultimate, each change with a note"): a number input per origin in the summary of ultimates
(`ultimate_<origin>`, blank = not typed) saves as the selection's `ultimates`; computed, the
origin's ultimate is the amount typed, its method "typed" and its IBNR the amount less incurred;
bad input is said on that origin's row and nothing is saved; saving one needs a note; the preview
shows it; the approver's diff and the run's report list it with the note.

Hand-check: on the seed-71 book the clinic segment's youngest origin, 2024, has incurred 49,279.37
paid + 85,842.31 case = 135,121.68 (tests/integration/reserving/reviewbook.py), so an ultimate of
150,000 typed for it gives IBNR 150,000 − 135,121.68 = 14,878.32."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from reserving import services
from tests.integration.reserving.runbook import actuary, eager_celery  # noqa: F401 - fixtures
from tests.integration.reserving.test_workbench_page import Page, run  # noqa: F401 - the computed small run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]
SEGMENT, CURRENCY = "clinic_claims_made", "RUB"
KEY = f"{SEGMENT}|{CURRENCY}"
NOTE = "2024: a large clinic claim reported in January, not in the triangle yet"


def _url(run, name="admin:reserving_run_segment"):
    return reverse(name, args=[run.pk, SEGMENT, CURRENCY])


def _result(run):
    return run.segment_results.get(segment=SEGMENT, currency=CURRENCY)


INCURRED_2024, TYPED = Decimal("135121.68"), Decimal("150000.00")
TYPED_IBNR = TYPED - INCURRED_2024                       # 14,878.32


def _row(page: Page, origin: str) -> list[dict]:
    return next(r for r in page.tables["wb-summary"] if r and r[0]["text"] == origin)


def test_an_ultimate_typed_with_a_note_saves_and_computes_as_typed(actuary, run):
    before = {o.origin: (o.method, o.ultimate, o.ibnr) for o in _result(run).origins.all()}
    assert before["2024"] == ("bf_incurred", Decimal("327590.14"), Decimal("192468.46"))
    page = Page(actuary.get(_url(run)).content.decode())
    inputs = {c["name"]: c for c in page.controls if c["name"].startswith("ultimate_")}
    assert set(inputs) == {f"ultimate_{o}" for o in before}
    typed = inputs["ultimate_2024"]
    assert (typed["type"], typed["step"], typed["min"], typed["value"], typed["aria-label"]) == (
        "number", "any", "0", "", "typed ultimate for 2024")
    response = actuary.post(_url(run), {"ultimate_2024": "150000", "ultimate_2023": "", "note": NOTE})
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == "draft"
    assert run.selections[KEY] == {"ultimates": {"2024": 150000.0}, "note": NOTE}
    page = Page(actuary.get(_url(run)).content.decode())   # the saved amount is shown as typed
    shown = {c["name"]: c.get("value") for c in page.controls if c["name"].startswith("ultimate_")}
    assert shown == {"ultimate_2021": "", "ultimate_2022": "", "ultimate_2023": "", "ultimate_2024": "150000"}

    services.run_compute(run=run, actor=actuary.user)
    run.refresh_from_db()
    assert run.status == "computed"
    result = _result(run)
    after = {o.origin: (o.method, o.ultimate, o.ibnr) for o in result.origins.all()}
    assert after["2024"] == ("typed", TYPED, TYPED_IBNR) and TYPED_IBNR == Decimal("14878.32")
    assert {o: v for o, v in after.items() if o != "2024"} == {o: v for o, v in before.items() if o != "2024"}
    assert result.ibnr == Decimal("14878.32")              # the older origins' IBNR is 0
    assert result.provenance["typed_ultimates"] == {"2024": 150000.0}
    html = actuary.get(_url(run)).content.decode()
    row = _row(Page(html), "2024")
    assert "typed by the actuary" in [c["text"].strip() for c in row]
    assert "150,000.00" in [c["text"] for c in row] and "14,878.32" in [c["text"] for c in row]


@pytest.mark.parametrize("typed, message", [
    ("abc", "typed ultimate for origin 2024: 'abc' is not a number"),
    ("-5", "typed ultimate for origin 2024 must be an amount of 0 or more, got -5"),
    ("inf", "typed ultimate for origin 2024 must be an amount of 0 or more, got inf"),
    ("nan", "typed ultimate for origin 2024 must be an amount of 0 or more, got nan"),
])
def test_a_bad_typed_ultimate_is_said_on_its_origin_and_nothing_is_saved(actuary, run, typed, message):
    response = actuary.post(_url(run), {"ultimate_2024": typed, "ultimate_2023": "1000", "note": NOTE})
    assert response.status_code == 200
    page = Page(response.content.decode())
    bad, good = _row(page, "2024"), _row(page, "2023")
    assert "wb-error" in bad[-1]["class"] and bad[-1]["text"] == message
    assert "wb-error" not in good[-1]["class"] and good[-1]["text"] == ""
    assert "wb-error" not in bad[-2]["class"]               # the override's cell beside it is not marked
    assert next(c for c in page.controls if c["name"] == "ultimate_2024")["aria-invalid"] == "true"
    run.refresh_from_db()
    assert KEY not in run.selections and run.status == "computed"


def test_an_origin_the_triangle_lacks_is_refused_in_the_engines_words(actuary, run):
    response = actuary.post(_url(run), {"ultimate_1999": "1000", "note": NOTE})
    assert response.status_code == 200
    html = response.content.decode()
    assert ("typed ultimate for origin(s) not in the triangle: 1999; origins: 2021, 2022, 2023, 2024" in html
            and "errornote" in html)
    run.refresh_from_db()
    assert KEY not in run.selections and run.status == "computed"


def test_a_typed_ultimate_needs_a_note_an_override_does_not(actuary, run):
    response = actuary.post(_url(run), {"ultimate_2024": "150000", "note": "  "})
    assert response.status_code == 200
    assert response.context["form"].errors["note"] == [
        "a typed ultimate (origin 2024) needs a note: say why the projection is set aside"]
    assert "needs a note: say why the projection is set aside" in response.content.decode()
    run.refresh_from_db()
    assert KEY not in run.selections and run.status == "computed"
    # a method changed per origin is saved without a note (the decision in the report of this slice)
    assert actuary.post(_url(run), {"override_2024": "incurred_cl"}).status_code == 302
    run.refresh_from_db()
    assert run.selections[KEY] == {"overrides": {"2024": "incurred_cl"}}


def test_the_preview_shows_the_typed_row_without_a_note_and_saves_nothing(actuary, run):
    response = actuary.post(_url(run, "admin:reserving_run_preview"), {"ultimate_2024": "150000"})
    assert response.status_code == 200
    body = response.json()
    assert body["selection"] == {"ultimates": {"2024": 150000.0}}
    assert {o["origin"]: (o["method"], o["ultimate"], o["ibnr"]) for o in body["origins"]}["2024"] == (
        "typed", "150000.00", "14878.32")
    row = next(r for r in body["beside"]["rows"] if r["origin"] == "2024")
    assert (row["now_method"], row["method"], row["ultimate"], row["ibnr"], row["ibnr_change"], row["changed"]) == (
        "Bornhuetter–Ferguson on incurred", "typed by the actuary", "150,000.00", "14,878.32", "-177,590.14", True)
    assert body["ibnr"] == "14878.32" and body["change"] == "-177590.14"   # 14,878.32 − 192,468.46
    bad = actuary.post(_url(run, "admin:reserving_run_preview"), {"ultimate_2024": "-1", "ultimate_2023": "5"})
    assert bad.status_code == 400
    assert bad.json()["ultimate_errors"] == {"2024": ["typed ultimate for origin 2024 must be an amount of 0 or "
                                                      "more, got -1"]}
    unknown = actuary.post(_url(run, "admin:reserving_run_preview"), {"ultimate_1999": "5"})
    assert unknown.status_code == 400 and list(unknown.json()["ultimate_errors"]) == ["1999"]
    run.refresh_from_db()
    assert KEY not in run.selections and run.status == "computed"
