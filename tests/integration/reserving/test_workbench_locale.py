"""Issue 16 on the reserving workbench and the approver's review: amounts in the user's locale
(Persian digits with "٬" and "٫", Russian with a no-break space and a decimal comma, English
"1,234.56"), codes by their human names, and the number inputs, data attributes and JSON numbers
left machine-readable. The seed-71 book reserves the clinic segment on annual origins 2021–2024."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone as tz
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from core.labels import method_name, segment_name
from core.money_format import amount_text
from reserving import review, services
from reserving.models import Regime, ReserveRun, RunOriginResult, RunSegmentResult
from reserving.report import segment_review_html
from tests.integration.reserving.runbook import actuary, eager_celery, make_book  # noqa: F401 - fixtures
from tests.integration.reserving.test_workbench_page import Page

SEGMENT, CURRENCY = "clinic_claims_made", "RUB"
KEY = f"{SEGMENT}|{CURRENCY}"
NBSP = "\N{NO-BREAK SPACE}"
PERSIAN_RUB = re.compile(r"^-?[۰-۹]{1,3}(٬[۰-۹]{3})*٫[۰-۹]{2}$")
RUSSIAN_RUB = re.compile(rf"^-?\d{{1,3}}({NBSP}\d{{3}})*,\d{{2}}$")
LATIN = re.compile(r"^[0-9.eE+-]*$")


@pytest.fixture
def run(actuary):
    make_book(seed=71, policies=80, recorded_at=timezone.now() - timedelta(days=1))
    run = services.run_create(valuation_date=date(2024, 12, 31), actor=actuary.user,
                              selections={KEY: {"method": "chainladder", "overrides": {"2024": "bf_incurred"},
                                                "ultimates": {"2023": 150000.0}, "ldfs": {"12": 1.25},
                                                "note": "2023 typed from the claims review"}})
    services.run_compute(run=run, actor=actuary.user)
    run.refresh_from_db()
    return run


def _in(client, language: str):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _segment_url(run, name="admin:reserving_run_segment"):
    return reverse(name, args=[run.pk, SEGMENT, CURRENCY])


def _summary(page: Page) -> dict[str, list[dict]]:
    """The summary's origin rows; read from the end: …, selected ultimate, IBNR, method, override, typed."""
    return {r[0]["text"].strip(): r for r in page.tables["wb-summary"] if r and r[0]["tag"] == "th"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager_celery")
def test_the_segment_page_shows_amounts_and_names_in_the_language_and_keeps_inputs_plain(actuary, run):
    result = run.segment_results.get(segment=SEGMENT, currency=CURRENCY)
    origins = {o.origin: o for o in result.origins.all()}
    assert origins["2023"].ultimate == Decimal("150000.00")  # the typed ultimate

    english = Page(_in(actuary, "en").get(_segment_url(run)).content.decode())
    assert _summary(english)["2023"][-5]["text"].strip() == "150,000.00"   # selected ultimate, as before

    html = _in(actuary, "fa").get(_segment_url(run)).content.decode()
    page = Page(html)
    with translation.override("fa"):
        # the page title names the segment
        assert f"<title>Run {run.pk}" not in html
        assert segment_name(SEGMENT) in html[html.index("<title>"):html.index("</title>")]
        rows = _summary(page)
        assert rows["2023"][-5]["text"].strip() == "۱۵۰٬۰۰۰٫۰۰" == amount_text(Decimal("150000"), CURRENCY)
        ibnr = rows["2024"][-4]["text"].strip()
        assert ibnr == amount_text(origins["2024"].ibnr, CURRENCY) and PERSIAN_RUB.match(ibnr), ibnr
        # the typed ultimate's input keeps its plain number; the radios their factors
        typed = next(c for c in page.controls if c.get("name") == "ultimate_2023")
        assert typed["value"] == "150000"
        radios = [c for c in page.controls if c.get("type") == "radio" and c.get("name", "").startswith("ldf_")]
        assert radios and all(LATIN.match(c["value"]) for c in radios)
        # the bootstrap's status by its word; the selection as lines with the methods by name
        with_selection = html[html.index('id="selections"'):]
        assert f"2024: {method_name('bf_incurred')}" in with_selection
        assert f"2023: {amount_text(Decimal('150000'), CURRENCY)}" in with_selection
        assert "{'" not in with_selection and "bf_incurred" not in with_selection.split("</ul>")[0]

    ru = Page(_in(actuary, "ru").get(_segment_url(run)).content.decode())
    assert _summary(ru)["2023"][-5]["text"].strip() == f"150{NBSP}000,00"
    assert RUSSIAN_RUB.match(_summary(ru)["2024"][-4]["text"].strip())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager_celery")
def test_the_averages_rows_say_their_names_and_keep_their_codes(actuary, run):
    page = Page(_in(actuary, "en").get(_segment_url(run)).content.decode())
    rows = [r for r in page.tables["wb-averages"] if r and r[0]["tag"] == "th" and len(r) > 1
            and r[1]["tag"] == "th"]
    labels = [(r[0]["text"].strip(), r[1]["text"].strip()) for r in rows]
    assert ("volume", "all") in labels and ("simple", "latest 3") in labels
    html = _in(actuary, "en").get(_segment_url(run)).content.decode()
    assert 'data-average="volume" data-periods="all" data-key="volume|all"' in html


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager_celery")
def test_the_preview_answers_in_the_language_with_its_numbers_plain(actuary, run):
    result = run.segment_results.get(segment=SEGMENT, currency=CURRENCY)
    now = {o.origin: o for o in result.origins.all()}
    post = {"method": "chainladder", "ldf_12": "1.5"}
    english = _in(actuary, "en").post(_segment_url(run, "admin:reserving_run_preview"), post).json()
    first = english["beside"]["rows"][0]
    assert first["now_ultimate"] == f"{now[first['origin']].ultimate:,.2f}"   # English as before: 1,234.56
    assert english["ibnr_method_name"] == "chain ladder" and english["ibnr_method"] == "chainladder"

    body = _in(actuary, "fa").post(_segment_url(run, "admin:reserving_run_preview"), post).json()
    rows = {r["origin"]: r for r in body["beside"]["rows"]}
    with translation.override("fa"):
        assert rows["2024"]["now_ultimate"] == amount_text(now["2024"].ultimate, CURRENCY)
        assert PERSIAN_RUB.match(rows["2024"]["ultimate"]) and rows["2024"]["ultimate_change"][0] in "+-"
        assert PERSIAN_RUB.match(rows["2024"]["ultimate_change"][1:])
        assert rows["2024"]["now_method"] == method_name(now["2024"].method) == method_name("bf_incurred")
        assert body["ibnr_method"] == "chainladder" and body["ibnr_method_name"] == method_name("chainladder")
        assert body["ibnr_text"] == amount_text(Decimal(str(body["ibnr"])), CURRENCY)
        assert PERSIAN_RUB.match(body["beside"]["total"]["ibnr"])
    # the JSON's own numbers stay numbers a program reads
    Decimal(str(body["ibnr"]))
    assert all(LATIN.match(str(o["ultimate"])) for o in body["origins"])

    ru = _in(actuary, "ru").post(_segment_url(run, "admin:reserving_run_preview"), post).json()
    ru_rows = {r["origin"]: r for r in ru["beside"]["rows"]}
    with translation.override("ru"):
        assert ru_rows["2024"]["now_ultimate"] == amount_text(now["2024"].ultimate, CURRENCY)
    assert RUSSIAN_RUB.match(ru_rows["2024"]["now_ultimate"]) and RUSSIAN_RUB.match(ru["beside"]["total"]["ibnr"])


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager_celery")
def test_the_charts_carry_the_locale_separators_and_method_names(actuary, run):
    url = reverse("admin:reserving_run_chart", args=[run.pk, SEGMENT, CURRENCY, "loss_ratios"])
    fa = _in(actuary, "fa").get(url).json()
    assert fa["layout"]["separators"] == "٫٬"
    with translation.override("fa"):
        assert [t["name"] for t in fa["data"][:2]] == [method_name(t["meta"]) for t in fa["data"][:2]]
        assert segment_name(SEGMENT) in fa["layout"]["title"]["text"] and SEGMENT not in fa["layout"]["title"]["text"]
    ru = _in(actuary, "ru").get(url).json()
    assert ru["layout"]["separators"] == f",{NBSP}"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager_celery")
def test_the_run_page_lists_the_selections_readably(actuary, run):
    html = _in(actuary, "en").get(reverse("admin:reserving_reserverun_change", args=[run.pk])).content.decode()
    section = html[html.index('class="run-selections"'):]
    section = section[:section.index("</ul></li></ul>")]
    assert f'<span title="{SEGMENT}">clinics, claims-made basis</span> RUB' in section
    assert "<li>method: chain ladder</li>" in section
    assert "<li>development factors by age: 12: 1.2500</li>" in section
    assert "<li>methods by origin: 2024: Bornhuetter–Ferguson on incurred</li>" in section
    assert "<li>typed ultimates: 2023: 150,000.00</li>" in section
    assert "<li>note: 2023 typed from the claims review</li>" in section
    assert "{&#x27;" not in section and "{'" not in section
    fa = _in(actuary, "fa").get(reverse("admin:reserving_reserverun_change", args=[run.pk])).content.decode()
    assert "۱۵۰٬۰۰۰٫۰۰" in fa[fa.index('class="run-selections"'):]


# ------------------------------------------------------------------ the approver's review
def _two_runs(*, code="rvloc", prior_grain="OYDY", current_grain="OYDY", prior_ldf=None, current_ldf=None):
    """An approved run (IBNR 250) and a submitted one (IBNR 310) of one segment, made by hand."""
    regime = Regime.objects.create(code=code, version=1, effective_from=date(2020, 1, 1))
    runs = []
    for day, status, ibnr, grain, ldf in ((1, ReserveRun.Status.APPROVED, 200, prior_grain, prior_ldf),
                                          (None, ReserveRun.Status.SUBMITTED, 260, current_grain, current_ldf)):
        run = ReserveRun.objects.create(
            valuation_date=date(2024, 12 if day is None else 9, 31 if day is None else 30), regime=regime,
            regime_code=regime.code, regime_version=1, status=status, cut_off=datetime(2025, 1, 5, tzinfo=tz.utc),
            decided_at=None if day is None else datetime(2025, 1, day, tzinfo=tz.utc), selections={})
        result = RunSegmentResult.objects.create(
            run=run, segment=SEGMENT, currency=CURRENCY, upr=0, rbns=1000, ibnr=ibnr + 50, ulae=0,
            premium_deficiency=0, ibnr_method="chainladder",
            factors={"basis": "incurred", "ldf": ldf or {"12": 1.5}, "tail": 1.0}, provenance={"grain": grain})
        RunOriginResult.objects.create(segment_result=result, origin="2024", paid=100, case=300, ultimate=400 + ibnr,
                                       ibnr=ibnr, method="incurred_cl", apriori=0.6)
        RunOriginResult.objects.create(segment_result=result, origin="2023", paid=400, case=100, ultimate=550,
                                       ibnr=50, method="incurred_cl", apriori=0.6)
        runs.append(run)
    return runs


@pytest.mark.django_db
def test_the_review_shows_amounts_and_names_in_the_language():
    _prior, current = _two_runs()
    seg = review.run_review(run=current)[0]
    with translation.override("en"):
        html = str(segment_review_html(seg))
        assert "<th>total</th><td class=\"num\">1,250.00</td><td class=\"num\">1,310.00</td>" in html
        assert "<td class=\"num\">chain ladder</td>" in html and "<td class=\"num\">incurred</td>" in html
    with translation.override("fa"):
        html = str(segment_review_html(seg))
        # RBNS + IBNR 1,250.00 → 1,310.00 (+60.00); the row label and the method in Persian
        assert (f"<th>جمع</th><td class=\"num\">۱٬۲۵۰٫۰۰</td><td class=\"num\">۱٬۳۱۰٫۰۰</td>"
                f"<td class=\"num\">+۶۰٫۰۰</td>") in html
        assert f"<td class=\"num\">{method_name('chainladder')}</td>" in html and "chainladder<" not in html
        assert segment_name(SEGMENT) in html
    with translation.override("ru"):
        html = str(segment_review_html(seg))
        assert (f"<th>итого</th><td class=\"num\">1{NBSP}250,00</td><td class=\"num\">1{NBSP}310,00</td>"
                f"<td class=\"num\">+60,00</td>") in html


@pytest.mark.django_db
def test_factors_at_another_grain_are_listed_apart_and_not_counted_as_changed():
    _prior, current = _two_runs(prior_grain="OYDY", current_grain="OYDQ",
                                prior_ldf={"12": 1.5, "24": 1.1, "36": 1.0},
                                current_ldf={"9": 1.6, "21": 1.12, "33": 1.01})
    seg = review.run_review(run=current)[0]
    assert any("grain changed" in w for w in seg.warnings)
    assert not seg.factors_comparable and seg.changed_factors == []
    assert len(seg.factors) == 6 and not any(f.changed for f in seg.factors)
    with translation.override("en"):
        html = str(segment_review_html(seg))
    assert "0 factor(s), 0 origin method(s) or a-priori changed" in html
    apart = html[html.index("rv-factors-apart"):]
    apart = apart[:apart.index("</table>")]
    assert "not comparable: reserved at different grains" in apart
    # the two lists side by side, each in its own ages
    assert ('<tr class="rv-incomparable"><th>12</th><td class="num">1.5000</td><th>9</th>'
            '<td class="num">1.6000</td></tr>') in apart
    assert ('<tr class="rv-incomparable"><th>36</th><td class="num">1.0000</td><th>33</th>'
            '<td class="num">1.0100</td></tr>') in apart
    assert "rv-changed" not in apart
    # at one grain the factors still compare age by age
    _p, same = _two_runs(code="rvloc2", prior_ldf={"12": 1.5}, current_ldf={"12": 1.6})
    seg = review.run_review(run=same)[0]
    assert seg.factors_comparable and [f.key for f in seg.changed_factors] == ["12"]
