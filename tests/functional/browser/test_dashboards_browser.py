"""Headless Chromium opens every dashboard and finds the charts drawn (plotly's SVG), not
only the HTML. Screenshots land in test-output/screenshots/."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from reporting.services import capital_entry_save
from reserving import services
from tests.functional.browser.conftest import admin_login, screenshot
from tests.integration.reserving.runbook import eager_celery, make_book  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _approve(people, valuation_date):
    run = services.run_create(valuation_date=valuation_date, actor=people["actuary"])
    services.run_compute(run=run, actor=people["actuary"])
    run.refresh_from_db()
    for check in run.data_checks.filter(severity="warning"):
        services.run_check_acknowledge(check=check, actor=people["actuary"])
    services.run_submit(run=run, actor=people["actuary"])
    services.run_approve(run=run, actor=people["approver"])
    return run


def test_every_dashboard_draws_its_charts(live_server, browser, eager_celery):
    services.ensure_roles()
    actuary = User.objects.create_user("actuary-b", password="pw-actuary-b", is_staff=True)
    actuary.groups.add(Group.objects.get(name="actuary"))
    approver = User.objects.create_superuser("approver-b", password="pw-approver-b")
    approver.groups.add(Group.objects.get(name="approver"))
    people = {"actuary": actuary, "approver": approver}
    make_book(seed=3, policies=120, recorded_at=timezone.now() - timedelta(days=30))
    _approve(people, date(2024, 9, 30))
    _approve(people, date(2024, 12, 31))
    for period in ("2024Q3", "2024Q4"):
        capital_entry_save(period=period, currency="RUB", actor=approver, own_funds=Decimal("90000000"),
                           minimum_capital=Decimal("0"), premiums_12m=Decimal("500000000"),
                           claims_36m=Decimal("900000000"), retention_k=Decimal("0.8"), required_capital_iran=None)

    admin_login(browser, live_server.url, "approver-b", "pw-approver-b")
    pages = {"reserves": "reserves/", "loss-ratios": "loss-ratios/", "triangle": "triangle/", "bootstrap": "bootstrap/",
             "solvency": "solvency/", "roll-forward": "roll-forward/"}
    for name, path in pages.items():
        browser.get(f"{live_server.url}/admin/dashboards/{path}")
        if name == "bootstrap" and "is not meaningful" in browser.page_source:
            # a small book's paid bootstrap fails the engine's verdict (D-31): said, not drawn
            assert "p99.5" not in browser.page_source
            screenshot(browser, "dashboard-bootstrap")
            continue
        WebDriverWait(browser, 20).until(EC.presence_of_element_located((By.CSS_SELECTOR, "svg.main-svg")))
        svgs = browser.find_elements(By.CSS_SELECTOR, "div.dash-chart svg.main-svg")
        assert svgs, f"{name}: no chart drawn"
        # something was actually plotted: bars, lines, heat map image or waterfall
        marks = browser.find_elements(By.CSS_SELECTOR, "g.trace, g.hm, image")
        assert marks, f"{name}: chart has no traces"
        screenshot(browser, f"dashboard-{name}")
    browser.get(f"{live_server.url}/admin/dashboards/exports/")
    assert "0420155-xlsx" in browser.page_source
    screenshot(browser, "dashboard-exports")
