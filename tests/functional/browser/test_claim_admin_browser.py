"""End to end in headless Chromium: the demo clerk reports a claim, sets the reserve, looks at
the insurer's share and settles — the issue's "done when" path through the admin."""
from __future__ import annotations

from decimal import Decimal

import pytest

from claims.models import Claim
from tests.functional.browser.conftest import browser, screenshot, wait_for  # noqa: F401 - fixture
from tests.factories import PolicyFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill(driver, name: str, value: str) -> None:
    from selenium.webdriver.common.by import By

    field = driver.find_element(By.NAME, name)
    field.clear()
    field.send_keys(value)


def press(driver, value: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, f'input[type=submit][value="{value}"]').click()


def follow(driver, href_end: str) -> None:
    """Click an object-tools button (the admin shows them upper-cased, so find them by URL)."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, f'.object-tools a[href$="{href_end}"]').click()


def pick_policy(driver, text: str) -> None:
    """The report form's policy lookup (the admin's select2 autocomplete): type, pick the match."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.find_element(By.CSS_SELECTOR, ".field-policy .select2-selection").click()
    driver.find_element(By.CSS_SELECTOR, ".select2-search__field").send_keys(text)
    option = f'//li[contains(@class, "select2-results__option") and text()="{text}"]'
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.XPATH, option))
    driver.find_element(By.XPATH, option).click()


def login(driver, url: str, username: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{url}/admin/login/")
    fill(driver, "username", username)
    fill(driver, "password", password)
    driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(driver, "Log out")


def test_clerk_works_a_claim_from_report_to_settlement_in_the_browser(browser, live_server):  # noqa: F811
    from selenium.webdriver.common.by import By

    from core.roles import system_actor
    from core.services import demo_password, demo_users_ensure

    demo_users_ensure(actor=system_actor())
    PolicyFactory(policy_number="P-WEB", deductible_amount=Decimal("25000.00"))
    login(browser, live_server.url, "clerk", demo_password("clerk"))

    browser.get(f"{live_server.url}/admin/claims/claim/add/")
    pick_policy(browser, "P-WEB")
    for name, value in {"claim_number": "C-WEB", "occurrence_date": "2024-05-02",
                        "report_date": "2024-05-20", "claimant": "Web Patient",
                        "initial_indemnity_reserve": "100000.00"}.items():
        fill(browser, name, value)
    press(browser, "Report claim")
    wait_for(browser, "Claim C-WEB reported")

    follow(browser, "/reserve/")
    fill(browser, "new_estimate", "400000.00")
    fill(browser, "accounting_date", "2024-06-30")
    press(browser, "Post reserve change")
    wait_for(browser, "Reserve change")
    assert "400,000.00" in browser.page_source

    follow(browser, "/settle/")
    fill(browser, "loss_amount", "325000.00")
    fill(browser, "accounting_date", "2024-09-30")
    press(browser, "Show the insurer's share")
    wait_for(browser, 'id="preview"')
    preview = browser.find_element(By.ID, "preview").text
    assert "300,000.00 RUB" in preview  # 325,000 − 25,000 deductible
    screenshot(browser, "admin-claim-settlement-preview")
    press(browser, "Settle and close")
    wait_for(browser, "settled: paid the insurer's share")
    screenshot(browser, "admin-claim-settled")

    claim = Claim.objects.get(claim_number="C-WEB")
    assert claim.status == "closed"
    assert [t.amount for t in claim.transactions.filter(kind="payment")] == [Decimal("300000.00")]
    assert browser.find_elements(By.CSS_SELECTOR, '.object-tools a[href$="/reopen/"]')
    ledger = browser.find_element(By.CSS_SELECTOR, ".inline-group")
    browser.execute_script("arguments[0].scrollIntoView();", ledger)
    screenshot(browser, "admin-claim-ledger")
    assert "300,000.00" in ledger.text
