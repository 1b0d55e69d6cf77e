"""Headless Chromium, issue 16 §4 and §6: long work returns at once and its page follows it.
The clerk imports a book in Russian and watches the job page reach the report; the approver, in
Persian (right to left), reads the roll-forward chart (the floating bars of the cartesian
plotly bundle) and prepares an export in the background, then downloads it from the job page.
Jobs run in a thread of the live server, as in `make demo`. Screenshots in test-output/screenshots/."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from core.roles import system_actor
from core.services import demo_password, demo_users_ensure
from policies.models import Policy
from reserving import services
from tests.functional.browser.conftest import admin_login, browser, screenshot, wait_for  # noqa: F401 - fixture
from tests.integration.exchange.bookfiles import FIXTURES
from tests.integration.reserving.runbook import eager_celery, make_book  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def in_thread(settings, eager_celery):  # noqa: F811 - no broker's worker even when CI sets one: the demo's thread
    settings.RUN_SEGMENTS_IN_THREAD = True


def _language(driver, live_server_url: str, code: str) -> None:
    driver.get(f"{live_server_url}/admin/login/")
    driver.add_cookie({"name": "django_language", "value": code, "path": "/"})


def test_the_clerk_imports_a_book_in_russian_and_the_job_page_follows_it(live_server, browser, in_thread):
    demo_users_ensure(actor=system_actor())
    _language(browser, live_server.url, "ru")
    admin_login(browser, live_server.url, "clerk", demo_password("clerk"))
    browser.get(f"{live_server.url}/admin/exchange/import/")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ru"
    paths = "\n".join(str(p) for p in sorted((FIXTURES / "small").glob("*.csv")))
    browser.find_element(By.ID, "id_files").send_keys(paths)
    browser.find_element(By.CSS_SELECTOR, "#import-form input[type=submit]").click()
    WebDriverWait(browser, 20).until(lambda d: "/admin/jobs/" in d.current_url)
    assert browser.find_element(By.ID, "job-bar")  # the bar is there while the job runs
    wait_for(browser, "claim_transactions.csv: 13 rows", timeout=60)
    assert browser.find_element(By.ID, "job-status").text == "готово"
    assert browser.find_element(By.ID, "job-bar").get_attribute("value") == "100"
    assert "Загружено" in browser.page_source  # "Imported"
    screenshot(browser, "job-book-import-ru")
    assert Policy.objects.count() == 4


def test_the_approver_in_persian_reads_the_roll_forward_and_prepares_an_export(live_server, browser, settings, eager_celery):
    demo_users_ensure(actor=system_actor())
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    actuary, approver = users.get(username="actuary"), users.get(username="approver")
    make_book(seed=3, policies=80, recorded_at=timezone.now() - timedelta(days=30))
    for valuation_date in (date(2024, 9, 30), date(2024, 12, 31)):
        run = services.run_create(valuation_date=valuation_date, actor=actuary)
        services.run_compute(run=run, actor=actuary)
        run.refresh_from_db()
        for check in run.data_checks.filter(severity="warning"):
            services.run_check_acknowledge(check=check, actor=actuary)
        services.run_submit(run=run, actor=actuary)
        services.run_approve(run=run, actor=approver)
    settings.RUN_SEGMENTS_IN_THREAD = True  # the runs computed in the test; the export job in a thread

    _language(browser, live_server.url, "fa")
    admin_login(browser, live_server.url, "approver", demo_password("approver"))
    browser.get(f"{live_server.url}/admin/dashboards/roll-forward/")
    html = browser.find_element(By.TAG_NAME, "html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("fa", "rtl")
    WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#rollforward svg.main-svg")))
    assert browser.find_elements(By.CSS_SELECTOR, "#rollforward g.trace.bars path"), "the roll-forward bars are not drawn"
    screenshot(browser, "job-rollforward-fa")

    browser.get(f"{live_server.url}/admin/dashboards/exports/")
    form = browser.find_elements(By.CSS_SELECTOR, "form.export-start")[0]
    form.find_element(By.CSS_SELECTOR, "select[name=format] option[value='summary-csv']").click()
    form.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    WebDriverWait(browser, 20).until(lambda d: "/admin/jobs/" in d.current_url)
    WebDriverWait(browser, 60).until(EC.presence_of_element_located((By.ID, "job-download")))
    assert browser.find_element(By.ID, "job-status").text == "انجام شد"
    assert browser.find_element(By.ID, "job-download").get_attribute("href").endswith("/download/")
    screenshot(browser, "job-export-fa")
