"""Exports and dashboards from a real approved run: every export reads back with the run's
totals; the same run gives the same bytes; draft runs are refused."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from reporting.exports.f0420155 import thousands
from reporting.services import FORMATS, report_export
from reserving import services
from core.roles import system_actor
from tests.integration.reserving.runbook import approved_run, eager_celery, make_book, people  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]
V = date(2024, 12, 31)




@pytest.fixture
def runs(people, django_capture_on_commit_callbacks):
    make_book(seed=5, policies=90, recorded_at=timezone.now() - timedelta(days=30))
    prior = approved_run(people, django_capture_on_commit_callbacks, date(2024, 9, 30))
    current = approved_run(people, django_capture_on_commit_callbacks, V)
    return prior, current


def test_every_export_reads_back_with_the_runs_totals(runs, tmp_path):
    from fx.models import OfficialRate

    prior, run = runs
    results = list(run.segment_results.all())
    rub = [r for r in results if r.currency == "RUB"]
    irr = [r for r in results if r.currency == "IRR"]
    assert irr  # 0420155 covers them, converted at the valuation date's official rate (issue 17 §4)
    OfficialRate.objects.create(rate_date=V, currency="IRR", rate=Decimal("0.002"), source="test")

    def converted(amount):  # rials → roubles at 0.002, to the kopeck
        return (amount * Decimal("0.002")).quantize(Decimal("0.01"))

    for fmt in FORMATS:
        out = tmp_path / f"{fmt}.out"
        call_command("export_report", "--run", str(run.pk), "--format", fmt, "--out", str(out), stdout=io.StringIO())
        again = report_export(run=run, fmt=fmt, actor=system_actor()).content
        assert out.read_bytes() == again, f"{fmt} is not byte-identical"

    summary = list(csv.DictReader(io.StringIO((tmp_path / "summary-csv.out").read_text())))
    for r in results:
        row = next(x for x in summary if x["segment"] == r.segment and x["currency"] == r.currency)
        assert Decimal(row["rbns"]) == r.rbns and Decimal(row["ibnr"]) == r.ibnr and Decimal(row["upr"]) == r.upr

    wb = openpyxl.load_workbook(io.BytesIO((tmp_path / "0420155-xlsx.out").read_bytes()))
    total = {wb["1.1 Итого"].cell(row=i, column=2).value: wb["1.1 Итого"].cell(row=i, column=5).value for i in range(6, 30)}
    assert total["011"] == thousands(sum(r.upr for r in rub) + sum(converted(r.upr) for r in irr))
    assert total["031"] == thousands(sum(r.rbns for r in rub) + sum(converted(r.rbns) for r in irr))
    assert total["035"] == thousands(sum(r.ibnr for r in rub) + sum(converted(r.ibnr) for r in irr))
    cover = [wb["Титул"].cell(row=i, column=2).value for i in range(3, 15)]
    assert "1 IRR = 0.002 RUB, official rate of 2024-12-31 (test)" in cover

    earned = wb["2 Заработанная премия"]
    from reporting.selectors import earned_year_to_date

    for row in range(4, earned.max_row + 1):
        seg, was = earned.cell(row=row, column=2).value, earned.cell(row=row, column=4).value
        res = next(r for r in (irr if was else rub) if r.segment == seg)
        ytd = earned_year_to_date(res, V)
        assert ytd is not None and ytd > 0
        assert earned.cell(row=row, column=3).value == thousands(converted(ytd) if was else ytd)

    s19 = list(csv.DictReader(io.StringIO((tmp_path / "s1901-csv.out").read_text())))
    paid_to_date = next(float(x["value"]) for x in s19 if x["currency"] == "RUB" and x["cell"] == "R0260C0180")
    assert paid_to_date == pytest.approx(float(sum(r.paid for r in rub)), abs=0.05)

    gl = list(csv.DictReader(io.StringIO((tmp_path / "gl-csv.out").read_text())))
    assert sum(Decimal(x["debit"] or 0) for x in gl) == sum(Decimal(x["credit"] or 0) for x in gl)
    closing_rbns = sum(Decimal(x["credit"] or 0) for x in gl if x["reserve_type"] == "rbns" and x["movement"] == "book_closing" and x["currency"] == "RUB")
    assert closing_rbns == sum(r.rbns for r in rub)
    opening_rbns = sum(Decimal(x["debit"] or 0) for x in gl if x["reserve_type"] == "rbns" and x["movement"] == "reverse_opening" and x["currency"] == "RUB")
    assert opening_rbns == sum(r.rbns for r in prior.segment_results.filter(currency="RUB"))


def test_a_draft_run_has_no_exports(people, runs):
    run = services.run_create(valuation_date=V, actor=people["actuary"])
    with pytest.raises(DomainError, match="approved runs only"):
        report_export(run=run, fmt="summary-csv", actor=system_actor())


def test_dashboards_render_from_approved_runs(runs, client, people):
    client.force_login(people["approver"])
    for name in ("reporting:reserves", "reporting:loss-ratios", "reporting:triangle", "reporting:bootstrap", "reporting:solvency", "reporting:exports"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
    body = client.get(reverse("reporting:reserves")).content.decode()
    assert "Plotly.newPlot" in body and reverse("reporting:plotly-js") in body
    js = client.get(reverse("reporting:plotly-js"))
    assert js.status_code == 200 and b"plotly" in js.content[:2000].lower()


def test_api_download_of_an_export(runs, client, people):
    _, run = runs
    client.force_login(people["approver"])
    response = client.get(f"/api/v1/reports/{run.pk}/summary-csv/")
    assert response.status_code == 200
    assert response.content == report_export(run=run, fmt="summary-csv", actor=system_actor()).content
    client.logout()
    assert client.get(f"/api/v1/reports/{run.pk}/summary-csv/").status_code in (401, 403)


def test_solvency_views_use_capital_entries_and_the_book(runs, people, client):
    from reporting import selectors
    from reporting.models import CapitalEntry
    from reporting.services import capital_entry_save

    _, run = runs
    capital_entry_save(period="2024Q4", currency="RUB", actor=people["approver"], own_funds=Decimal("64000000"),
                       minimum_capital=Decimal("0"), premiums_12m=Decimal("500000000"), claims_36m=Decimal("900000000"),
                       retention_k=Decimal("0.8"), required_capital_iran=Decimal("32000000"))
    assert CapitalEntry.objects.count() == 1
    view = selectors.solvency_views()["RUB"]
    assert view["periods"] == ["2024Q4"]
    # domain.md §4: premiums 500m, claims 900m, k 0.8 → margin 64m; own funds 64m → ratio 1.0
    assert view["ratios"]["Russian margin (3743-У)"] == [pytest.approx(1.0)]
    assert view["tables"][0]["rows"][0][4] == "64,000,000"
    assert view["ratios"]["Iran bylaw 69 (ratio ÷ 100%)"] == [pytest.approx(2.0)]
    assert "level 1" in view["tables"][0]["rows"][0][-1]
    client.force_login(people["approver"])
    assert "64,000,000" in client.get(reverse("reporting:solvency")).content.decode()


def test_solvency_premiums_and_claims_default_to_the_book(runs, people):
    from reporting import selectors
    from reporting.services import capital_entry_save

    _, run = runs
    capital_entry_save(period="2024Q4", currency="RUB", actor=people["approver"], own_funds=Decimal("1000000"),
                       minimum_capital=Decimal("0"), premiums_12m=None, claims_36m=None, retention_k=Decimal("1"),
                       required_capital_iran=None)
    row = selectors.solvency_views()["RUB"]["tables"][0]["rows"][0]
    paid = selectors.claims_paid_between(currency="RUB", after=date(2021, 12, 31), until=V, cut_off=run.cut_off)
    assert row[3] == f"{float(paid):,.0f}" and paid > 0
    assert float(row[2].replace(",", "")) > 0
