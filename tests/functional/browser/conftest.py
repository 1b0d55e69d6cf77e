"""Real-browser fixtures: Debian's headless Chromium driven by Selenium against a live server.

Screenshots go to test-output/screenshots/. Without chromium the tests skip, except under
REQUIRE_SERVICES=1 where a missing browser is a failure (CI must run them)."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-output" / "screenshots"


@pytest.fixture
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not (chromium and driver_path):
        message = "Debian's chromium and chromium-driver are not installed (scripts/ensure_chromium.sh installs them)"
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="chromium-test-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1400,1000", f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def screenshot(driver, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def admin_login(driver, live_server_url: str, username: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{live_server_url}/admin/login/")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(driver, 20).until(lambda d: "/admin/login/" not in d.current_url)
    except Exception:  # noqa: BLE001 - report the page instead of a bare timeout
        raise AssertionError(f"login failed for {username}: still at {driver.current_url}") from None


def wait_for(driver, text: str, timeout: float = 20) -> None:
    """Wait until the page after a submit shows `text` (a click returns before the next page loads)."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(driver, timeout).until(lambda d: text in d.page_source)
    except TimeoutException:
        pytest.fail(f"{text!r} never appeared on {driver.current_url}: {driver.page_source[-1500:]}")


def wait_until(driver, condition, what: str, seconds: float = 20, shot: str = "timeout"):
    """Wait until `condition(driver)` holds; an element read while the next page replaces the old
    one goes stale and is read again. On timeout: a screenshot `<shot>` and what did not happen."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, seconds, ignored_exceptions=[StaleElementReferenceException]).until(condition)
    except Exception:  # noqa: BLE001 - say what did not happen, with the page
        screenshot(driver, shot)
        raise AssertionError(f"timed out waiting for {what} on {driver.current_url}") from None


def staff_person(username: str, role: str):
    """A staff user with the role's groups and admin permissions."""
    from core.roles import role_permissions
    from tests.factories import user_with_roles

    user = user_with_roles(username, role, is_staff=True)
    user.user_permissions.add(*role_permissions()[role])
    return user


def computed_run(actuary, valuation_date, **kw):
    """A run created and computed by `actuary`, its warnings acknowledged (ready to submit)."""
    from reserving import services

    run = services.run_create(valuation_date=valuation_date, actor=actuary, **kw)
    services.run_compute(run=run, actor=actuary)
    run.refresh_from_db()
    for check in run.data_checks.filter(severity="warning"):
        services.run_check_acknowledge(check=check, actor=actuary)
    return run
