"""End to end in headless Chromium: the demo clerk quotes a midwife on the seed tariff in the
admin, sees every step, and issues the policy from the quote — the issue's "done when" path."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command

from policies.models import Policy
from tests.functional.browser.conftest import admin_login, browser, screenshot, wait_for  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill(driver, name: str, value: str) -> None:
    from selenium.webdriver.common.by import By

    field = driver.find_element(By.NAME, name)
    field.clear()
    field.send_keys(value)


def test_clerk_quotes_and_issues_a_policy_in_the_browser(browser, live_server):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from core.roles import system_actor
    from core.services import demo_password, demo_users_ensure

    call_command("loaddata", "ir_paramed_1399", verbosity=0)
    demo_users_ensure(actor=system_actor())
    admin_login(browser, live_server.url, "clerk", demo_password("clerk"))

    browser.get(f"{live_server.url}/admin/tariff/tariffversion/")
    browser.find_element(By.CSS_SELECTOR, 'a[href$="/tariff/tariffversion/quote/"]').click()
    Select(browser.find_element(By.NAME, "profession")).select_by_value("midwife")
    Select(browser.find_element(By.NAME, "setting")).select_by_value("hospital")
    fill(browser, "cover", "4400000000")
    browser.find_element(By.NAME, "resident").click()
    fill(browser, "group_size", "150")
    fill(browser, "claim_free_years", "3")
    fill(browser, "quote_date", "2020-09-02")
    browser.find_element(By.CSS_SELECTOR, 'input[name="price"]').click()
    wait_for(browser, 'id="quote-result"')
    result = browser.find_element(By.ID, "quote-result").text
    assert "resident multiplier" in result and "5,722,200" in result, result
    assert "1399/06/12" in result
    screenshot(browser, "admin-tariff-quote")

    for name, value in {"policy_number": "IR-WEB-1", "insured_name": "Zahra Karimi", "inception_date": "2020-09-02",
                        "expiry_date": "2021-09-01", "issue_date": "2020-09-02"}.items():
        fill(browser, name, value)
    browser.find_element(By.CSS_SELECTOR, 'input[name="issue"]').click()
    wait_for(browser, "issued from the quote")
    policy = Policy.objects.get(policy_number="IR-WEB-1")
    assert policy.premium_transactions.get().gross_premium == Decimal("5722200")
    assert policy.tariff_version == "IR-PARAMED-1399"
    screenshot(browser, "admin-tariff-issued")
