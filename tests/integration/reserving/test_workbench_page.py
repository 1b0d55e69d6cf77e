"""The run segment page as a workbench (issue 13 §1–§2, first slice): the summary of ultimates with a
method select per origin, the development exhibit with the averages to pick from, the bootstrap
and provenance as tables; the picks save as the segment's selection and the preview reads them."""
from __future__ import annotations

from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from reserving import services
from tests.integration.reserving.runbook import actuary, eager_celery, make_book  # noqa: F401 - fixtures

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]
SEGMENT, CURRENCY = "clinic_claims_made", "RUB"


class Page(HTMLParser):
    """What the tests read of the page: tables by class (rows of cells with their attributes),
    and the form controls posting into the selection form."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[list[dict]]] = {}
        self.controls: list[dict] = []
        self._table: list | None = None
        self._cell: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(next((c for c in (a.get("class") or "").split() if c != "wb"), ""), [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None and self._table:
            self._cell = {"tag": tag, "class": a.get("class") or "", "attrs": a, "text": ""}
            self._table[-1].append(self._cell)
        elif tag in ("input", "select") and a.get("form") == "selection-form":
            self.controls.append({"tag": tag, **a})

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag in ("td", "th"):
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data




@pytest.fixture
def run(actuary):
    """A computed run of a small book (its segments are reserved on annual origins, OYDY)."""
    make_book(seed=71, policies=80, recorded_at=timezone.now() - timedelta(days=1))
    run = services.run_create(valuation_date=date(2024, 12, 31), actor=actuary.user)
    services.run_compute(run=run, actor=actuary.user)
    run.refresh_from_db()
    assert run.status == "computed"
    return run


def _url(run, name="admin:reserving_run_segment"):
    return reverse(name, args=[run.pk, SEGMENT, CURRENCY])


def _result(run):
    return run.segment_results.get(segment=SEGMENT, currency=CURRENCY)


def _average_pick(page: Page, average="volume", periods="all"):
    """(age, factor) of the first cell of an average's row on the page."""
    radio = next(c for c in page.controls if c["tag"] == "input" and c.get("type") == "radio" and c.get("value")
                 and c["name"].startswith("ldf_"))
    assert radio["name"].startswith("ldf_")
    rows = page.tables["wb-averages"]
    row = next(r for r in rows if [c["text"] for c in r[:2]] == [average, periods])
    value = next(c["text"].strip() for c in row[2:] if c["text"].strip() not in ("", "—"))
    picks = [c for c in page.controls if c.get("type") == "radio" and c.get("value") and c["name"].startswith("ldf_")
             and abs(float(c["value"]) - float(value)) < 5e-5]
    return picks[0]["name"][len("ldf_"):], picks[0]["value"]


def test_the_page_shows_the_summary_the_averages_and_the_bootstrap_as_tables(actuary, run):
    result = _result(run)
    origins = list(result.origins.all())
    response = actuary.get(_url(run))
    assert response.status_code == 200
    html = response.content.decode()
    page = Page(html)
    body = [r for r in page.tables["wb-summary"] if r and r[0]["tag"] == "th" and r[0]["text"] in
            {o.origin for o in origins}]
    assert [r[0]["text"] for r in body] == [o.origin for o in origins]
    for row, origin in zip(body, origins):
        marked = [c["attrs"]["data-method"] for c in row if "wb-selected" in c["class"]]
        assert marked == [origin.method]
        assert any(c["text"] == f"{origin.ultimate:,.2f}" for c in row)  # RUB: 2 decimals, thousands
    selects = {c["name"] for c in page.controls if c["tag"] == "select"}
    assert selects == {f"override_{o.origin}" for o in origins}
    averages = page.tables["wb-averages"]
    labels = {(r[0]["text"], r[1]["text"]) for r in averages if len(r) > 2 and r[0]["tag"] == "th"}
    assert {("simple", "all"), ("volume", "latest 3"), ("medial", "latest 5"), ("geometric", "latest 8")} <= labels
    assert any(r[0]["text"] == "selected in this run" for r in averages)
    numbers = {c["name"] for c in page.controls if c.get("type") == "number"}
    assert {n for n in numbers if n.startswith("ldf_")} == {f"ldf_{a}" for a in result.factors["ldf"]}
    assert numbers - {f"ldf_{a}" for a in result.factors["ldf"]} == {f"ultimate_{o.origin}" for o in origins}
    boot = {r[0]["text"]: r[1]["text"] for r in page.tables["wb-bootstrap"]}
    assert boot["status"] == result.bootstrap["status"]
    if result.bootstrap["status"] == "ok":
        assert "95th percentile" in boot
    else:
        assert "95th percentile" not in boot and "not meaningful:" in html
        assert all(reason in html for reason in result.bootstrap["reasons"])
    assert '<dl class="wb-provenance">' in html and "{&#x27;" not in html and "{'" not in html
    assert 'name="overrides"' not in html and 'name="ldfs"' not in html


def test_an_override_and_a_picked_average_save_as_the_selection(actuary, run):
    origin = list(_result(run).origins.all())[-1].origin
    age, factor = _average_pick(Page(actuary.get(_url(run)).content.decode()))
    response = actuary.post(_url(run), {f"override_{origin}": "bf_incurred", f"ldf_{age}": factor,
                                        "ldf_24": "", "note": "youngest on BF"})
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == "draft"
    assert run.selections[f"{SEGMENT}|{CURRENCY}"] == {"overrides": {origin: "bf_incurred"},
                                                      "ldfs": {age: float(factor)}, "note": "youngest on BF"}
    page = Page(actuary.get(_url(run)).content.decode())  # the saved picks are shown as picked
    assert any(c.get("type") == "radio" and c["name"] == f"ldf_{age}" and c["value"] == factor and "checked" in c
               for c in page.controls)
    assert any(c["tag"] == "select" and c["name"] == f"override_{origin}" for c in page.controls)
    assert '<option value="bf_incurred" selected>' in actuary.get(_url(run)).content.decode()


def test_a_typed_factor_saves_and_the_old_json_ldfs_is_still_read(actuary, run):
    response = actuary.post(_url(run), {"ldf_12": "1.25", "ldfs": '{"24": 1.1}'})
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.selections[f"{SEGMENT}|{CURRENCY}"] == {"ldfs": {"24": 1.1, "12": 1.25}}


@pytest.mark.parametrize("posted, message", [
    ({"ldf_12": "0"}, "LDF at age 12 must be a positive number"),
    ({"ldf_12": "-1.2"}, "LDF at age 12 must be a positive number"),
    ({"ldf_12": "abc"}, "is not a number"),
    ({"ldf_12": ["1.5", "1.7"]}, "pick an average or type a factor, not both"),
    ({"ldf_3": "1.5"}, "ldfs"),                      # an age the grain lacks: refused by the service
    ({"override_1999": "bf_incurred"}, "1999"),     # an origin the segment lacks: refused by the service
])
def test_bad_input_is_shown_on_the_page_and_nothing_is_saved(actuary, run, posted, message):
    before = dict(run.selections)
    response = actuary.post(_url(run), posted)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html and "errornote" in html
    run.refresh_from_db()
    assert run.selections == before and run.status == "computed"


def test_the_preview_reads_the_new_controls_and_saves_nothing(actuary, run):
    result = _result(run)
    origin = list(result.origins.all())[-1].origin
    age, factor = _average_pick(Page(actuary.get(_url(run)).content.decode()), "simple", "all")
    response = actuary.post(_url(run, "admin:reserving_run_preview"),
                            {f"override_{origin}": "elr", f"ldf_{age}": factor, "tail": "1.05"})
    assert response.status_code == 200
    body = response.json()
    assert body["selection"]["overrides"] == {origin: "elr"} and body["selection"]["ldfs"] == {age: float(factor)}
    assert {o["origin"]: o["method"] for o in body["origins"]}[origin] == "elr"
    bad = actuary.post(_url(run, "admin:reserving_run_preview"), {"ldf_12": "0"})
    assert bad.status_code == 400 and "ldfs" in bad.json()["errors"]
    run.refresh_from_db()
    assert run.status == "computed" and f"{SEGMENT}|{CURRENCY}" not in run.selections


def test_rials_show_without_decimals(actuary, run):
    result = run.segment_results.get(segment="individual_occurrence", currency="IRR")
    html = actuary.get(reverse("admin:reserving_run_segment", args=[run.pk, result.segment, "IRR"])).content.decode()
    ultimates = [c["text"] for r in Page(html).tables["wb-summary"] for c in r if "wb-selected" in c["class"]]
    assert ultimates == [f"{o.ultimate:,.0f}" for o in result.origins.all()]
