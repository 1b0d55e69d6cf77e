"""Issue 16 §6: the actuary's day in Persian (right to left) in headless Chromium. On a small book
with a prior approved run a quarter earlier, the actuary reviews the computed run, opens a
segment's workbench from it, waits for the four charts to be drawn, changes one origin's method
in the summary of ultimates, sees the preview follow and saves the selection with a note in
Persian. The Persian words are pinned as the catalogue (locale/fa/LC_MESSAGES/django.po) has
them, so a lost translation fails here; ZWNJ (U+200C) is part of the words.
Screenshots in test-output/screenshots/ (actuary-fa-*.png)."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone, translation
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from core.labels import basis_name, method_name, segment_name
from core.money_format import amount_text
from reserving import services
from tests.functional.browser.conftest import (admin_login, browser, computed_run, screenshot,  # noqa: F401 - fixture
                                              staff_person, wait_until)
from tests.integration.reserving.runbook import eager_celery, make_book  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PRIOR, VALUATION = date(2024, 9, 30), date(2024, 12, 31)
SEGMENT, CURRENCY = "clinic_claims_made", "RUB"
KEY = f"{SEGMENT}|{CURRENCY}"
NOTE = "۲۰۲۴ با بورن\u200cهوتر–فرگوسن: دوره جوان"  # "2024 on Bornhuetter–Ferguson: a young origin"
# the amounts of the run page and of the workbench (core.money_format): Persian digits, "٬" groups
# thousands, "٫" the decimals (two for RUB)
PERSIAN_GROUPED = re.compile(r"^[۰-۹]{1,3}(٬[۰-۹]{3})*٫[۰-۹]{2}$")
GROUPED = re.compile(r"^-?[۰-۹]{1,3}(٬[۰-۹]{3})+٫[۰-۹]{2}$")
FA = {  # msgid → msgstr in locale/fa/LC_MESSAGES/django.po
    "Results per segment and currency": "نتایج به تفکیک بخش و ارز",
    "Data checks": "کنترل\u200cهای داده",
    "History": "تاریخچه",
    "triangle, selections": "مثلث، انتخاب\u200cها",
    "Summary of ultimates": "خلاصه خسارت\u200cهای نهایی",
    "Charts": "نمودارها",
    "Selection": "انتخاب",
    "Save selection": "ذخیره انتخاب",
    "Preview the effect": "پیش\u200cنمایش اثر",
    "origin": "دوره وقوع",
    "method now": "روش فعلی",
    "development age (months)": "دوره توسعه (ماه)",
    "selected": "انتخاب\u200cشده",
    "a-priori": "ضریب پیشینی",
    "simulations": "شبیه\u200cسازی\u200cها",
    "expected emergence": "ظهور مورد انتظار",
    "actual emergence": "ظهور واقعی",
    "Cumulative %(basis)s by origin, %(segment)s %(currency)s (grain %(grain)s)":
        "%(basis)s تجمعی به تفکیک دوره وقوع، %(segment)s %(currency)s (دانه\u200cبندی %(grain)s)",
    "Ultimate loss ratio by origin and method, %(segment)s %(currency)s":
        "ضریب خسارت نهایی به تفکیک دوره وقوع و روش، %(segment)s %(currency)s",
    "ultimate ÷ earned premium": "خسارت نهایی ÷ حق\u200cبیمهٔ عایدشده",
    "reserve (%(currency)s)": "ذخیره (%(currency)s)",
    "selection saved; compute the run again to apply it": "انتخاب ذخیره شد؛ برای اعمال آن محاسبه را دوباره اجرا کنید",
}


def _wait(driver, condition, what: str, seconds: float = 90):
    """Up to 90 s: a loaded machine computes slowly."""
    return wait_until(driver, condition, what, seconds, shot="actuary-fa-timeout")


def _texts(driver, css: str) -> list[str]:
    # textContent, not .text: a select's options and an SVG's labels are not "displayed" text
    return [e.get_attribute("textContent").strip() for e in driver.find_elements(By.CSS_SELECTOR, css)]


def _page_is_persian(driver) -> None:
    html = driver.find_element(By.TAG_NAME, "html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("fa", "rtl")
    assert driver.execute_script("return getComputedStyle(document.body).direction") == "rtl"


def _preview_rows(driver) -> dict[str, list[str]]:
    rows = driver.find_elements(By.CSS_SELECTOR, "#preview-box table.wb-preview tbody tr")
    return {r.find_element(By.TAG_NAME, "th").text: [c.text for c in r.find_elements(By.TAG_NAME, "td")] for r in rows}


def _chart_drawn(box_id: str):
    # drawn: plotly's SVG in the container with at least one trace plotted in it
    return lambda d: d.find_elements(By.CSS_SELECTOR, f"#{box_id} svg.main-svg g.trace")


def test_the_actuary_changes_a_selection_in_persian(live_server, browser, eager_celery):  # noqa: F811
    services.ensure_roles()
    actuary, approver = staff_person("fa-actuary", "actuary"), staff_person("fa-approver", "approver")
    make_book(seed=71, policies=80, recorded_at=timezone.now() - timedelta(days=1))
    prior = computed_run(actuary, PRIOR, selections={KEY: {"method": "chainladder", "note": "Q3"}})
    services.run_submit(run=prior, actor=actuary)
    services.run_approve(run=prior, actor=approver)  # the emergence chart compares with it
    run = computed_run(actuary, VALUATION, selections={KEY: {"method": "chainladder", "note": "as the quarter before"}})
    result = run.segment_results.get(segment=SEGMENT, currency=CURRENCY)
    now = {o.origin: o for o in result.origins.all()}
    assert sorted(now) == ["2021", "2022", "2023", "2024"]  # annual origins (OYDY) on this book
    assert {o.method for o in now.values()} == {"incurred_cl"}  # chain ladder on incurred

    browser.get(f"{live_server.url}/admin/login/")
    browser.add_cookie({"name": "django_language", "value": "fa", "path": "/"})  # as set_language writes it
    admin_login(browser, live_server.url, "fa-actuary", "pw-for-tests")

    # 1. the run page: right to left, its sections in Persian, its amounts in Persian digits
    browser.get(f"{live_server.url}/admin/reserving/reserverun/{run.pk}/change/")
    _page_is_persian(browser)
    headings = _texts(browser, "#content h3")
    for msgid in ("Results per segment and currency", "Data checks", "History"):
        assert FA[msgid] in headings, (msgid, headings)
    link = browser.find_element(By.CSS_SELECTOR, f"table.results a[href$='/segment/{SEGMENT}/{CURRENCY}/']")
    row = link.find_element(By.XPATH, "ancestor::tr")
    ibnr = row.find_elements(By.CSS_SELECTOR, "td.num")[2].text  # UPR, RBNS, IBNR
    with translation.override("fa"):
        assert ibnr == amount_text(result.ibnr, CURRENCY)
    assert PERSIAN_GROUPED.match(ibnr), ibnr
    assert link.text == FA["triangle, selections"]
    screenshot(browser, "actuary-fa-1-run")

    # 2. the segment's workbench, opened from the run page
    link.click()
    _wait(browser, lambda d: f"/segment/{SEGMENT}/{CURRENCY}/" in d.current_url
          and d.find_elements(By.CSS_SELECTOR, "table.wb-summary"), "the segment's workbench")
    _page_is_persian(browser)
    assert browser.find_element(By.ID, "summary").text == FA["Summary of ultimates"]
    assert FA["Charts"] in _texts(browser, "#content h4") and FA["Selection"] in _texts(browser, "#content h3")
    assert browser.find_element(By.CSS_SELECTOR, "#selection-form input[type=submit].default"
                                ).get_attribute("value") == FA["Save selection"]
    assert browser.find_element(By.ID, "preview-button").get_attribute("value") == FA["Preview the effect"]
    # right to left: the origin column is the table's right edge, the later columns to its left;
    # amounts sit at the cells' left edge, as on every right-to-left page of the admin (base_site.html)
    origin_cell = browser.find_element(By.CSS_SELECTOR, "tr.wb-origin[data-origin='2024'] th")
    paid_cell = browser.find_element(By.CSS_SELECTOR, "tr.wb-origin[data-origin='2024'] td.num")
    assert origin_cell.rect["x"] > paid_cell.rect["x"]
    assert browser.execute_script("return getComputedStyle(arguments[0]).textAlign", paid_cell) == "left"
    screenshot(browser, "actuary-fa-2-workbench")

    # 3. the charts drawn, their axis titles and legends in Persian where the catalogue has them
    for chart in ("chart-development", "chart-loss-ratios", "chart-bootstrap", "chart-emergence"):
        _wait(browser, _chart_drawn(chart), f"the chart #{chart} drawn")
    with translation.override("fa"):  # the segment and the basis by their Persian names
        words = {"segment": segment_name(SEGMENT), "currency": CURRENCY}
        incurred = basis_name("incurred")
    assert SEGMENT not in words["segment"] and incurred != "incurred"
    assert _texts(browser, "#chart-development text.gtitle") == [
        FA["Cumulative %(basis)s by origin, %(segment)s %(currency)s (grain %(grain)s)"] % {
            **words, "basis": incurred, "grain": "OYDY"}]
    assert _texts(browser, "#chart-development g.g-xtitle text") == [FA["development age (months)"]]
    assert _texts(browser, "#chart-loss-ratios text.gtitle") == [
        FA["Ultimate loss ratio by origin and method, %(segment)s %(currency)s"] % words]
    assert _texts(browser, "#chart-loss-ratios g.g-ytitle text") == [FA["ultimate ÷ earned premium"]]
    assert _texts(browser, "#chart-loss-ratios g.g-xtitle text") == [FA["origin"]]
    legend = _texts(browser, "#chart-loss-ratios text.legendtext")
    assert FA["selected"] in legend and FA["a-priori"] in legend, legend
    with translation.override("fa"):  # the methods by their names, not their codes
        assert method_name("incurred_cl") in legend and "incurred_cl" not in legend, legend
    # the tick labels group thousands with the Persian separator (plotly keeps its Latin digits)
    ticks = _texts(browser, "#chart-development g.ytick text")
    assert any("٬" in t for t in ticks) and not any("," in t for t in ticks), ticks
    assert _texts(browser, "#chart-bootstrap g.g-ytitle text") == [FA["simulations"]]
    assert _texts(browser, "#chart-bootstrap g.g-xtitle text") == [FA["reserve (%(currency)s)"] % words]
    legend = _texts(browser, "#chart-emergence text.legendtext")
    assert legend == [FA["expected emergence"], FA["actual emergence"]], legend
    assert _texts(browser, "#chart-emergence g.g-xtitle text") == [FA["origin"]]
    browser.execute_script("document.getElementById('chart-development').scrollIntoView({block: 'start'});")
    screenshot(browser, "actuary-fa-3-charts")

    # 4. 2024 to Bornhuetter–Ferguson on incurred in the summary of ultimates: the preview follows
    element = browser.find_element(By.NAME, "override_2024")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    select = Select(element)
    labels = {o.get_attribute("value"): o.get_attribute("textContent") for o in select.options}
    with translation.override("fa"):
        assert labels["bf_incurred"] == method_name("bf_incurred") != "bf_incurred"
        assert labels["incurred_cl"] == method_name("incurred_cl") != "incurred_cl"
    box = browser.find_element(By.ID, "preview-box")
    before = box.text
    select.select_by_value("bf_incurred")
    _wait(browser, lambda d: (box.get_attribute("data-state") == "ok" and "wb-busy" not in box.get_attribute("class")
                              and box.text != before and _preview_rows(d)), "the preview after changing 2024's method")
    assert _texts(browser, "#preview-box table.wb-preview thead th")[:2] == [FA["origin"], FA["method now"]]
    rows = _preview_rows(browser)
    assert set(rows) == set(now)
    method_now, method, ultimate_now, ultimate, difference = rows["2024"][:5]
    assert (method_now, method) == (labels["incurred_cl"], labels["bf_incurred"])
    with translation.override("fa"):
        assert ultimate_now == amount_text(now["2024"].ultimate, CURRENCY), ultimate_now
    assert GROUPED.match(ultimate_now), ultimate_now
    assert GROUPED.match(ultimate) and ultimate != ultimate_now, ultimate
    assert difference.startswith(("+", "-")) and GROUPED.match(difference.lstrip("+")), difference
    changed = [r.get_attribute("data-origin") for r in box.find_elements(By.CSS_SELECTOR, "tr.wb-preview-changed")]
    assert changed == ["2024"]
    head = box.find_element(By.CSS_SELECTOR, "p.wb-preview-head").text
    with translation.override("fa"):  # "… IBNR ۱۲٬۳۴۵٫۶۷ (نردبان زنجیره‌ای)": the method by its name
        assert f"({method_name('chainladder')})" in head and "chainladder" not in head, head
    assert not re.search(r"[0-9]", head), head  # no Latin digit in the amounts
    assert rows["2023"][0] == rows["2023"][1] == labels["incurred_cl"]  # the others as they were
    screenshot(browser, "actuary-fa-4-preview")

    # 5. a note in Persian, saved: back on the run page with the Persian message
    note = browser.find_element(By.NAME, "note")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", note)
    note.clear()
    note.send_keys(NOTE)
    save = browser.find_element(By.CSS_SELECTOR, "#selection-form input[type=submit].default")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", save)
    save.click()
    _wait(browser, lambda d: d.current_url.endswith(f"/reserverun/{run.pk}/change/")
          and d.find_elements(By.CSS_SELECTOR, "ul.messagelist li.success"), "the run page after saving")
    _page_is_persian(browser)
    assert browser.find_element(By.CSS_SELECTOR, "ul.messagelist li.success").text == FA[
        "selection saved; compute the run again to apply it"]
    screenshot(browser, "actuary-fa-5-saved")

    run.refresh_from_db()
    saved = run.selections[KEY]
    assert saved["overrides"]["2024"] == "bf_incurred"
    assert saved["overrides"] == {"2024": "bf_incurred"} and saved["method"] == "chainladder"
    assert saved["note"] == NOTE
