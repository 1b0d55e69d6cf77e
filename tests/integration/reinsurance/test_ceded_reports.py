"""The reinsurers' share in the reports (issue 17 §3) on the hand-computed book of cededbook.py:
k of the Russian solvency margin (net over gross incurred claims of the last 12 months, from the
approved run), and 0420155's reinsurers' share lines and triangles (sections 4 and 6.1)."""
from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from reporting import selectors
from reporting.exports.f0420155 import thousands, write_0420155
from reporting.services import capital_entry_save
from tests.integration.reinsurance.cededbook import V, make_ceded_book
from tests.integration.reserving.runbook import approved_run, eager_celery, people  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]




def test_the_margin_uses_the_books_k_not_the_entrys(people, django_capture_on_commit_callbacks):
    make_ceded_book()
    approved_run(people, django_capture_on_commit_callbacks, V)
    # domain.md §4's volumes: premiums 500m, 36-month claims 900m → max(80m, 69m) = 80m;
    # k = 2 620 000 / 4 980 000 = 0.5261 (cededbook.py) → margin 42 088 000 (the entry's 0.8
    # would give 64m)
    capital_entry_save(period="2025Q4", currency="RUB", actor=people["approver"], own_funds=Decimal("42088000"),
                       minimum_capital=Decimal("0"), premiums_12m=Decimal("500000000"),
                       claims_36m=Decimal("900000000"), retention_k=Decimal("0.8"), required_capital_iran=None)
    view = selectors.solvency_views()["RUB"]
    row = view["tables"][0]["rows"][0]
    headers = view["tables"][0]["headers"]
    assert row[headers.index("k")] == "0.5261"
    assert row[headers.index("RU margin")] == "42,088,000"
    assert view["ratios"]["Russian margin (3743-У)"] == [pytest.approx(1.0)]


def test_without_treaties_the_entrys_k_applies(people, django_capture_on_commit_callbacks):
    from reinsurance.models import Treaty

    make_ceded_book()
    Treaty.objects.all().delete()
    run = approved_run(people, django_capture_on_commit_callbacks, V)
    assert all(r.cession == {} for r in run.segment_results.all())
    capital_entry_save(period="2025Q4", currency="RUB", actor=people["approver"], own_funds=Decimal("64000000"),
                       minimum_capital=Decimal("0"), premiums_12m=Decimal("500000000"),
                       claims_36m=Decimal("900000000"), retention_k=Decimal("0.8"), required_capital_iran=None)
    view = selectors.solvency_views()["RUB"]
    row = view["tables"][0]["rows"][0]
    assert (row[4], row[6]) == ("64,000,000", "0.8000")


def _grid(ws) -> dict:
    """{(accident quarter, quarter end): value} of a 0420155 triangle sheet."""
    ends = {c: ws.cell(row=5, column=c).value for c in range(3, ws.max_column + 1)}
    out = {}
    for r in range(7, ws.max_row + 1):
        for c, end in ends.items():
            if ws.cell(row=r, column=c).value is not None:
                out[(ws.cell(row=r, column=2).value, end)] = ws.cell(row=r, column=c).value
    return out


def test_0420155_fills_the_reinsurers_share_lines_and_triangles(people, django_capture_on_commit_callbacks):
    make_ceded_book()
    run = approved_run(people, django_capture_on_commit_callbacks, V)
    wb = openpyxl.load_workbook(io.BytesIO(write_0420155(selectors.report_data_converted(
        selectors.report_data(run=run)), n_quarters=8, n_origins=8)))
    ws = wb["1.1 Итого"]
    lines = {ws.cell(row=r, column=2).value: ws.cell(row=r, column=5).value for r in range(6, ws.max_row + 1)}
    results = list(run.segment_results.all())
    # 041: ceded RBNS 45 000 (quota share) + 2 100 000 (excess of loss) = 2 145.0 thousand
    assert lines["041"] == 2145.0
    ceded_ibnr = sum((r.ceded_ibnr for r in results), Decimal(0))
    ceded_upr = sum((r.ceded_upr + r.ceded_premium_deficiency for r in results), Decimal(0))
    assert ceded_ibnr > 0 and lines["045"] == thousands(ceded_ibnr)
    assert lines["020"] == thousands(ceded_upr) and thousands(Decimal("54300")) == 54.3
    assert lines["040"] == thousands(Decimal("2145000") + ceded_ibnr)
    assert lines["090"] == thousands(ceded_upr + Decimal("2145000") + ceded_ibnr)
    # section 4, the reinsurers' share in ЗНУ: C3 (2025Q1) 0.8m at 1.2025, 0.6m once 1.2m is
    # paid in 3.2025; C4 (2025Q2) 1.5m; C1 (2025Q3) 30% of 200 000, then of 150 000
    share = _grid(wb["4 Доля ЗНУ"])
    assert [share[("1.2025", q)] for q in ("1.2025", "2.2025", "3.2025", "4.2025")] == [800.0, 800.0, 600.0, 600.0]
    assert [share[("2.2025", q)] for q in ("2.2025", "3.2025", "4.2025")] == [1500.0, 1500.0, 1500.0]
    assert [share[("3.2025", q)] for q in ("3.2025", "4.2025")] == [60.0, 45.0]
    # section 6.1, the reinsurers' share of payments: C3's layer of its paid 1.2m, C1's 30% of 50 000
    paid = _grid(wb["6.1 Доля выплат"])
    assert [paid[("1.2025", q)] for q in ("1.2025", "2.2025", "3.2025", "4.2025")] == [0.0, 0.0, 200.0, 200.0]
    assert [paid[("3.2025", q)] for q in ("3.2025", "4.2025")] == [0.0, 15.0]


def test_s1901_has_the_reinsurance_and_net_blocks(people, django_capture_on_commit_callbacks):
    import csv

    from reporting.exports.s1901 import known_codes, write_s1901_csv

    make_ceded_book()
    run = approved_run(people, django_capture_on_commit_callbacks, V)
    rows = list(csv.DictReader(io.StringIO(write_s1901_csv(selectors.report_data(run=run)).decode())))
    codes = known_codes()
    for r in rows:
        assert (r["template"], r["row"]) in codes and (r["template"], r["column"]) in codes, r
    cell = {(r["template"], r["row"], r["column"]): Decimal(r["value"]) for r in rows if r["currency"] == "RUB"}
    # accident year 2025 (N): recoveries received 200 000 (C3's layer of its paid) + 15 000 (C1)
    assert cell[("S.19.01.01.07", "R0450", "C0600")] == Decimal("215000.00")
    assert cell[("S.19.01.01.08", "R0450", "C0770")] == Decimal("215000.00")
    # reinsurance RBNS 2 145 000; gross RBNS of 2025 3 700 000 → net 1 555 000; 2024 (C6) all retained
    assert cell[("S.19.01.01.11", "R0450", "C1000")] == Decimal("2145000.00")
    assert cell[("S.19.01.01.12", "R0460", "C1160")] == Decimal("2145000.00")
    assert cell[("S.19.01.01.05", "R0250", "C0400")] == Decimal("3700000.00")
    assert cell[("S.19.01.01.17", "R0650", "C1600")] == Decimal("1555000.00")
    assert cell[("S.19.01.01.18", "R0640", "C1760")] == Decimal("30000.00")
    ceded_ibnr = sum((r.ceded_ibnr for r in run.segment_results.all()), Decimal(0))
    assert cell[("S.19.01.01.10", "R0450", "C0960")] == Decimal("2145000.00") + ceded_ibnr


def test_the_gl_journal_books_the_reinsurers_shares_on_their_own_accounts(people, django_capture_on_commit_callbacks):
    import csv

    from reporting.exports.gl import write_gl_csv

    make_ceded_book()
    run = approved_run(people, django_capture_on_commit_callbacks, V)
    rows = list(csv.DictReader(io.StringIO(write_gl_csv(selectors.report_data(run=run)).decode())))
    ceded = [r for r in rows if r["reserve_type"] == "ceded_rbns" and r["segment"] == "clinic_claims_made"]
    # closing reinsurers' share of RBNS 2 100 000: Dr 341 (the asset), Cr 71403 (formation income)
    assert [(r["movement"], r["account"], r["debit"], r["credit"]) for r in ceded] == [
        ("book_closing", "341", "2100000.00", ""), ("book_closing", "71403", "", "2100000.00")]
    ind = {r["account"] for r in rows if r["reserve_type"] == "ceded_upr" and r["segment"] == "individual_occurrence"}
    assert ind == {"340", "71403"}
    # the gross lines keep their reserve types and accounts
    gross = [r for r in rows if r["reserve_type"] == "rbns" and r["segment"] == "clinic_claims_made"]
    assert {r["account"] for r in gross} == {"71404", "332"}


def test_the_reserve_summary_adds_the_reinsurers_share_and_the_net_total(people, django_capture_on_commit_callbacks):
    import csv

    from reporting.exports.summary import write_summary_csv

    make_ceded_book()
    run = approved_run(people, django_capture_on_commit_callbacks, V)
    rows = {r["segment"]: r for r in csv.DictReader(io.StringIO(write_summary_csv(selectors.report_data(run=run)).decode()))
            if r["currency"] == "RUB"}
    ind, cln = rows["individual_occurrence"], rows["clinic_claims_made"]
    assert (ind["upr"], ind["ceded_upr"], ind["rbns"], ind["ceded_rbns"]) == ("181000.00", "54300.00", "230000.00",
                                                                            "45000.00")
    assert (cln["rbns"], cln["ceded_rbns"], cln["ceded_ulae"]) == ("3500000.00", "2100000.00", "0.00")
    for r in (ind, cln):
        ceded = sum(Decimal(r[f"ceded_{t}"]) for t in ("upr", "premium_deficiency", "rbns", "ibnr", "ulae"))
        assert Decimal(r["ceded_total"]) == ceded and Decimal(r["net_total"]) == Decimal(r["total"]) - ceded


def test_the_reserves_dashboard_shows_gross_or_net(people, django_capture_on_commit_callbacks, client):
    from reporting.selectors import reserves_over_quarters

    make_ceded_book()
    approved_run(people, django_capture_on_commit_callbacks, V)
    _, gross = reserves_over_quarters(currency="RUB", basis="gross")
    _, net = reserves_over_quarters(currency="RUB", basis="net")
    assert gross["upr"]["individual_occurrence"][-1] == 181000.0 and net["upr"]["individual_occurrence"][-1] == 126700.0
    assert gross["rbns"]["clinic_claims_made"][-1] == 3500000.0 and net["rbns"]["clinic_claims_made"][-1] == 1400000.0
    assert net["ulae"] == gross["ulae"]  # ULAE is never ceded
    with pytest.raises(ValueError):
        reserves_over_quarters(currency="RUB", basis="ceded")
    client.force_login(people["approver"])
    page = client.get(reverse("reporting:reserves"), {"basis": "net"}).content.decode()
    assert "Reserves net of reinsurers" in page
