"""Issue 16 §6: the clerk's day in Russian in headless Chromium — reports a claim (the policy
looked up as typed), reserves, previews the insurer's share and settles — with every amount in
the Russian format (400 000,00) and the buttons and messages in Russian. The labels are taken
from the catalogue (gettext under ru), so the test follows the translations instead of copying
them. Screenshots in test-output/screenshots/."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.translation import gettext

from claims.models import Claim
from tests.factories import PolicyFactory
from tests.functional.browser.conftest import admin_login, browser, screenshot, wait_for  # noqa: F401 - fixture
from tests.functional.browser.test_claim_admin_browser import fill, follow, pick_policy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def ru(text: str) -> str:
    with translation.override("ru"):
        return gettext(text)


def press(driver, label: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, f'input[type=submit][value="{ru(label)}"]').click()


def body_text(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "body").text.replace("\xa0", " ").replace("\u202f", " ")


def wait_text(driver, text: str, timeout: float = 20) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # the body read while the next page replaces it goes stale: read it again
    WebDriverWait(driver, timeout, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda d: text in body_text(d))


def test_the_clerk_works_a_claim_in_russian(browser, live_server):  # noqa: F811
    from selenium.webdriver.common.by import By

    from core.roles import system_actor
    from core.services import demo_password, demo_users_ensure

    demo_users_ensure(actor=system_actor())
    PolicyFactory(policy_number="P-RU", currency="RUB", deductible_amount=Decimal("25000.00"))
    browser.get(f"{live_server.url}/admin/login/")
    browser.add_cookie({"name": "django_language", "value": "ru", "path": "/"})
    admin_login(browser, live_server.url, "clerk", demo_password("clerk"))

    browser.get(f"{live_server.url}/admin/claims/claim/add/")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ru"
    pick_policy(browser, "P-RU")
    for name, value in {"claim_number": "C-RU", "occurrence_date": "2024-05-02", "report_date": "2024-05-20",
                        "claimant": "Иван Петров", "initial_indemnity_reserve": "100000.00"}.items():
        fill(browser, name, value)
    press(browser, "Report claim")
    with translation.override("ru"):
        reported = gettext("Claim %(claim_number)s reported on policy %(policy_number)s.") % {
            "claim_number": "C-RU", "policy_number": "P-RU"}
    wait_text(browser, reported)

    follow(browser, "/reserve/")
    fill(browser, "new_estimate", "400000.00")
    fill(browser, "accounting_date", "2024-06-30")
    press(browser, "Post reserve change")
    wait_text(browser, "400 000,00")
    assert "400,000.00" not in body_text(browser) and "400000.00" not in body_text(browser)

    follow(browser, "/settle/")
    fill(browser, "loss_amount", "325000.00")
    fill(browser, "accounting_date", "2024-09-30")
    press(browser, "Show the insurer's share")
    wait_for(browser, 'id="preview"')
    preview = browser.find_element(By.ID, "preview").text.replace("\xa0", " ").replace("\u202f", " ")
    assert "300 000,00 RUB" in preview  # 325 000 − 25 000 deductible
    assert ru("insurer's share of the loss") in preview
    screenshot(browser, "ru-claim-settlement-preview")
    press(browser, "Settle and close")
    wait_text(browser, "300 000,00")
    screenshot(browser, "ru-claim-settled")

    claim = Claim.objects.get(claim_number="C-RU")
    assert claim.status == "closed"
    assert [t.amount for t in claim.transactions.filter(kind="payment")] == [Decimal("300000.00")]
