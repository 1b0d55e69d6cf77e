"""Headless Chromium through the reserving workbench (issue 13 §7), one journey on a small book:
the actuary opens a run's segment page, picks an average for one age (a click), excludes one
link ratio (a click on its cell), picks the tail as an inverse-power fit, changes one origin's method, types
another origin's ultimate, sees the preview follow beside
the current figures with the difference, and saves with a note; the run is computed and
submitted; the approver sees the changes against the prior approved run, approves, opens the
run's reserving report and downloads its XLSX. On the way: the bootstrap histogram is drawn and
the diagnostic triangles arrive when their section is opened.
Screenshots land in test-output/screenshots/ (workbench-*.png)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from reserving import services
from reserving.models import ReserveRun
from tests.functional.browser.conftest import admin_login, computed_run, screenshot, staff_person, wait_until
from tests.integration.reserving.runbook import eager_celery, make_book  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VALUATION = date(2024, 12, 31)
SEGMENT, CURRENCY = "clinic_claims_made", "RUB"
KEY = f"{SEGMENT}|{CURRENCY}"
NOTE = "age 24 without 2021's jump; 2024 on a method of its own"


def _wait(driver, condition, what: str, seconds: float = 20):
    return wait_until(driver, condition, what, seconds, shot="workbench-timeout")


def _click(driver, element) -> None:
    """Click as a person would, with the element scrolled to the middle of the window (the
    preview panel sticks to the window's foot and would cover it there)."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    element.click()


def _preview_rows(driver) -> dict[str, list[str]]:
    """The preview table as drawn: {origin: [method now, method, ultimate now, ultimate,
    difference, IBNR now, IBNR, difference, Mack s.e.]}."""
    rows = driver.find_elements(By.CSS_SELECTOR, "#preview-box table.wb-preview tbody tr")
    return {r.find_element(By.TAG_NAME, "th").text: [c.text for c in r.find_elements(By.TAG_NAME, "td")] for r in rows}


def _preview_after(driver, before: str, what: str) -> dict[str, list[str]]:
    """Wait until the preview box is redrawn (its text differs from `before`) and settled."""
    _wait(driver, lambda d: (d.find_element(By.ID, "preview-box").get_attribute("data-state") == "ok"
                             and "wb-busy" not in d.find_element(By.ID, "preview-box").get_attribute("class")
                             and d.find_element(By.ID, "preview-box").text != before), what)
    return _preview_rows(driver)


def test_the_actuary_selects_with_the_preview_following_and_the_approver_signs_off(live_server, browser,
                                                                                 eager_celery):
    services.ensure_roles()
    actuary, approver = staff_person("wb-actuary-b", "actuary"), staff_person("wb-approver-b", "approver")
    make_book(seed=71, policies=80, recorded_at=timezone.now() - timedelta(days=1))
    # the prior approved run: chain ladder with the factor at age 12 selected at 1.2
    prior = computed_run(actuary, VALUATION, selections={KEY: {"method": "chainladder", "ldfs": {"12": 1.2},
                                                 "note": "age 12: volume average of the last 3 years"}})
    services.run_submit(run=prior, actor=actuary)
    services.run_approve(run=prior, actor=approver)
    run = computed_run(actuary, VALUATION, selections={KEY: {"method": "chainladder", "note": "as the quarter before"}})
    result = run.segment_results.get(segment=SEGMENT, currency=CURRENCY)
    now = {o.origin: o for o in result.origins.all()}
    ages = sorted(int(a) for a in result.factors["ldf"])
    assert ages[:3] == [12, 24, 36], ages  # annual origins 2021–2024 (OYDY)

    admin_login(browser, live_server.url, "wb-actuary-b", "pw-for-tests")
    browser.get(f"{live_server.url}/admin/reserving/reserverun/{run.pk}/segment/{SEGMENT}/{CURRENCY}/")
    assert browser.find_element(By.CSS_SELECTOR, "table.wb-averages")
    prior_row = browser.find_element(By.CSS_SELECTOR, "tr.wb-prior-ldf").text
    assert f"{prior.pk}" in prior_row and "1.2000" in prior_row  # the prior selection beside the averages
    screenshot(browser, "workbench-1-opened")
    # the bootstrap histogram is drawn from the run's draws; the diagnostic triangles arrive when opened
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#chart-bootstrap svg.main-svg"),
          "the bootstrap histogram drawn")
    browser.execute_script("document.getElementById('chart-bootstrap').scrollIntoView({block: 'start'});")
    screenshot(browser, "workbench-1-bootstrap")
    part = browser.find_element(By.ID, "diag-measures")
    _click(browser, part.find_element(By.TAG_NAME, "summary"))
    _wait(browser, lambda d: part.get_attribute("data-state") == "loaded", "the diagnostic triangles loaded")
    assert part.find_elements(By.CSS_SELECTOR, "table.wb-diag-paid_to_incurred")

    # 1. pick an average for age 12 by clicking it: the volume-weighted average of the latest 3
    pick = browser.find_element(By.CSS_SELECTOR, "tr.wb-average[data-average=volume][data-periods='latest 3'] "
                                                 "input[name=ldf_12]")
    before = browser.find_element(By.ID, "preview-box").text
    _click(browser, pick.find_element(By.XPATH, ".."))
    assert pick.is_selected()
    rows = _preview_after(browser, before, "the preview after picking an average")
    assert set(rows) == set(now)

    # 2. exclude one link ratio by clicking its cell: 2021's ratio from 24 months; its age has no
    # pick, so it takes the volume-weighted average of the others and the averages are redrawn
    radio = browser.find_element(By.CSS_SELECTOR, "tr.wb-average[data-average=volume][data-periods=all] "
                                                  "input[name=ldf_24]")
    volume_24 = radio.get_attribute("value")
    cell = browser.find_element(By.CSS_SELECTOR, "table.wb-links input[name=exclude][value='2021|24']")
    before = browser.find_element(By.ID, "preview-box").text
    _click(browser, cell.find_element(By.XPATH, "../.."))  # the <td>, not the checkbox itself
    assert cell.is_selected()
    rows = _preview_after(browser, before, "the preview after excluding a link ratio")
    _wait(browser, lambda d: radio.get_attribute("value") != volume_24, "the averages redrawn without the ratio")
    assert "wb-x" in cell.find_element(By.XPATH, "../..").get_attribute("class")
    assert "2021 at 24 months" in browser.find_element(By.ID, "preview-box").text

    # 2b. pick the tail as a curve: with the factors now selected (two above 1) the inverse power
    # can be fitted; the preview fits it again to them and says so
    curve = browser.find_element(By.ID, "tail-pick-inverse_power")
    _wait(browser, lambda d: curve.is_enabled(), "the inverse-power fit offered")
    before = browser.find_element(By.ID, "preview-box").text
    _click(browser, browser.find_element(By.CSS_SELECTOR, "label[for=tail-pick-inverse_power]"))
    assert curve.is_selected()
    _preview_after(browser, before, "the preview after picking the inverse-power tail")
    tail_note = browser.find_element(By.CSS_SELECTOR, "#preview-box .wb-tail-note").text
    assert tail_note.startswith("tail: inverse-power fit to the selected factors, "), tail_note
    fitted = browser.find_element(By.CSS_SELECTOR, "tr.wb-tail-fit[data-curve=inverse_power] td.wb-fit-tail").text
    assert fitted in tail_note

    # 3. change one origin's method: 2024 to the first other method the summary shows for it
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});",
                           browser.find_element(By.NAME, "override_2024"))
    select = Select(browser.find_element(By.NAME, "override_2024"))
    methods = [c.get_attribute("data-method") for c in
               browser.find_elements(By.CSS_SELECTOR, "tr.wb-origin[data-origin='2024'] td[data-method]")]
    offered = [m for m in methods if m != now["2024"].method and m in [o.get_attribute("value") for o in select.options]]
    other = "bf_incurred" if "bf_incurred" in offered else offered[0]  # BF for the youngest, as actuaries do
    before = browser.find_element(By.ID, "preview-box").text
    select.select_by_value(other)
    rows = _preview_after(browser, before, "the preview after changing 2024's method")
    method_now, method, ultimate_now, ultimate, difference = rows["2024"][:5]
    assert method_now != method
    assert ultimate_now == f"{now['2024'].ultimate:,.2f}"  # the current figure beside the new one
    assert ultimate != ultimate_now and difference not in ("", "—", "+0.00")
    changed = browser.find_elements(By.CSS_SELECTOR, "#preview-box tr.wb-preview-changed")
    assert "2024" in [r.get_attribute("data-origin") for r in changed]
    screenshot(browser, "workbench-2-preview")

    # 3b. type 2023's ultimate: the preview shows it as typed by the actuary (IBNR = typed − incurred)
    typed = browser.find_element(By.NAME, "ultimate_2023")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", typed)
    typed.send_keys("500000")
    incurred_2023 = now["2023"].paid + now["2023"].case
    _wait(browser, lambda d: (d.find_element(By.ID, "preview-box").get_attribute("data-state") == "ok"
                              and _preview_rows(d).get("2023", [""] * 7)[1:4:2] == ["typed by the actuary",
                                                                                  "500,000.00"]),
          "the preview after typing 2023's ultimate")
    assert _preview_rows(browser)["2023"][6] == f"{Decimal('500000') - incurred_2023:,.2f}"

    # 4. save with a note
    picked_12, shown_24 = float(pick.get_attribute("value")), float(radio.get_attribute("value"))
    note = browser.find_element(By.NAME, "note")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", note)
    note.clear()
    note.send_keys(NOTE)
    _click(browser, browser.find_element(By.CSS_SELECTOR, "#selection-form input[type=submit].default"))
    _wait(browser, lambda d: d.current_url.endswith(f"/reserverun/{run.pk}/change/"), "the run page after saving")
    messages = browser.find_element(By.CSS_SELECTOR, "ul.messagelist").text
    assert "selection saved" in messages.lower(), messages
    run.refresh_from_db()
    saved = run.selections[KEY]
    assert saved["overrides"] == {"2024": other} and saved["ultimates"] == {"2023": 500000.0}
    assert saved["note"].startswith(f"{NOTE} (link ratios excluded: 2021 at 24 months) (tail: inverse-power fit to "
                                    f"the selected factors, {fitted} (R² "), saved["note"]
    assert f"{saved['tail']:.4f}" == fitted
    assert float(saved["ldfs"]["12"]) == pytest.approx(picked_12)
    assert float(saved["ldfs"]["24"]) == pytest.approx(shown_24)
    assert float(saved["ldfs"]["24"]) != pytest.approx(float(volume_24))

    # compute and submit from the run page, as the actuary
    browser.find_element(By.XPATH, "//form[contains(@action, '/do/compute/')]//input[@type='submit']").click()
    _wait(browser, lambda d: d.find_element(By.ID, "run-status").get_attribute("data-status") == "computed",
          "the run computed", seconds=90)  # the compute runs in the request: slow on a loaded CI machine
    acknowledge = "//form[contains(@action, '/acknowledge/')]//input[@type='submit']"
    while buttons := browser.find_elements(By.XPATH, acknowledge):  # warnings of the new computation, if any
        buttons[0].click()  # each click reloads the page, so the other buttons go stale: find them again
        _wait(browser, EC.staleness_of(buttons[0]), "the page after acknowledging a warning")
    browser.find_element(By.XPATH, "//form[contains(@action, '/do/submit/')]//input[@type='submit']").click()
    _wait(browser, lambda d: d.find_element(By.ID, "run-status").get_attribute("data-status") == "submitted",
          "the run submitted")

    # 5. the approver sees what changed against the prior approved run, and approves
    browser.delete_all_cookies()
    admin_login(browser, live_server.url, "wb-approver-b", "pw-for-tests")
    browser.get(f"{live_server.url}/admin/reserving/reserverun/{run.pk}/change/")
    review = browser.find_element(By.ID, "run-review").text
    assert f"{prior.pk}" in review and NOTE in review and "typed by the actuary: 500,000.00" in review
    assert browser.find_elements(By.CSS_SELECTOR, "#run-review .rv-changed")  # changed items highlighted
    screenshot(browser, "workbench-3-review")
    browser.find_element(By.XPATH, "//form[contains(@action, '/do/approve/')]//input[@type='submit']").click()
    _wait(browser, lambda d: d.find_element(By.ID, "run-status").get_attribute("data-status") == "approved",
          "the run approved")
    screenshot(browser, "workbench-4-approved")
    run.refresh_from_db()
    assert run.status == ReserveRun.Status.APPROVED and run.approver == approver

    # 6. the run's reserving report: the page, and its XLSX downloads (fetched in the approver's session)
    browser.get(f"{live_server.url}/admin/reserving/reserverun/{run.pk}/report/")
    report = browser.find_element(By.ID, "reserving-report").text
    assert NOTE in report and "wb-approver-b" in report and "2023: 500,000.00" in report
    link = browser.find_element(By.XPATH, "//a[contains(@href, '/report/xlsx/')]").get_attribute("href")
    got = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.arrayBuffer().then(b => done("
        "[r.status, r.headers.get('Content-Type'), r.headers.get('Content-Disposition'),"
        " String.fromCharCode(...new Uint8Array(b.slice(0, 2))), b.byteLength])))", link)
    status, content_type, disposition, magic, size = got
    assert (status, magic) == (200, "PK") and size > 1000
    assert content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert disposition.startswith("attachment;") and ".xlsx" in disposition
    screenshot(browser, "workbench-5-report")
