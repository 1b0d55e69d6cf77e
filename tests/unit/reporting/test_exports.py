"""The export writers read back: totals reconcile, codes are EIOPA's, files are byte-stable."""
import csv
import io
import time
from datetime import date
from decimal import Decimal

import numpy as np
import openpyxl
import pandas as pd
import pytest

from reporting.exports.data import ReportData, SegmentReserves, SegmentTriangles
from reporting.exports.f0420155 import write_0420155
from reporting.exports.gl import journal_lines, net_movement, write_gl_csv
from reporting.exports.s1901 import known_codes, write_s1901_csv, write_s1901_xlsx
from reporting.exports.summary import write_summary_csv

D = Decimal


def _triangle(origins, valuation_q_index, base):
    """Cumulative quarterly triangle: origin k has ages 3..3*(n-k)."""
    ages = [3 * (j + 1) for j in range(len(origins))]
    frame = pd.DataFrame(np.nan, index=origins, columns=ages)
    for i, o in enumerate(origins):
        for j in range(len(origins) - i):
            frame.iat[i, j] = base * (i + 1) * (j + 1)
    return frame


def report_data(**overrides) -> ReportData:
    origins = [f"{y}Q{q}" for y in (2023, 2024) for q in (1, 2, 3, 4)]  # valued 2024-12-31
    paid = _triangle(origins, 7, 100.0)
    case = _triangle(origins, 7, 50.0)
    rows = [
        SegmentReserves("individual_occurrence", "RUB", "13", D("1000000.00"), D("0.00"), D("300000.00"), D("250000.00"), D("27500.00"), D("900000.00"), "chainladder"),
        SegmentReserves("clinic_claims_made", "RUB", "13", D("500000.00"), D("12345.67"), D("100000.00"), D("50000.00"), D("7500.00"), D("450000.00"), "elr"),
        SegmentReserves("individual_occurrence", "IRR", "13", D("900000000"), D("0"), D("40000000"), D("30000000"), D("3500000"), None, "elr"),
    ]
    data = dict(
        run_id=7, valuation_date=date(2024, 12, 31), regime="ru", input_fingerprint="ab" * 32,
        reserves=rows,
        triangles=[SegmentTriangles("individual_occurrence", "RUB", paid, case, {o: 10.0 for o in origins}),
                   SegmentTriangles("clinic_claims_made", "RUB", paid * 2, case * 2, {}),
                   SegmentTriangles("individual_occurrence", "IRR", paid * 1000, case * 1000, {})],
        history={date(2023, 12, 31): [SegmentReserves("individual_occurrence", "RUB", "13", D("800000"), D("0"), D("200000"), D("150000"), D("17500"))]},
        opening=[SegmentReserves("individual_occurrence", "RUB", "13", D("900000.00"), D("0.00"), D("280000.00"), D("200000.00"), D("24000.00"))],
        opening_date=date(2024, 9, 30),
        group_names={"13": ("Ответственность", "Liability")},
    )
    data.update(overrides)
    return ReportData(**data)


def _lines(ws):
    return {ws.cell(row=r, column=2).value: [ws.cell(row=r, column=c).value for c in (3, 4, 5)] for r in range(6, ws.max_row + 1)}


def test_0420155_total_sheet_reconciles_to_groups_in_thousands():
    wb = openpyxl.load_workbook(io.BytesIO(write_0420155(report_data())))
    total = _lines(wb["1.1 Итого"])
    group = _lines(wb["1.2 УГ 13"])
    assert total == group  # one accounting group: the total sheet equals it
    # RUB segments only: 1,000,000 + 500,000 UPR = 1,500.0 thousand; premium deficiency 12.3
    assert total["011"][2] == 1500.0
    assert total["012"][2] == 12.3
    assert total["010"][2] == pytest.approx(1512.3)
    assert total["031"][2] == 400.0 and total["035"][2] == 300.0 and total["036"][2] == 35.0
    assert total["030"][2] == pytest.approx(total["031"][2] + total["035"][2] + total["036"][2])
    assert total["080"][2] == pytest.approx(total["010"][2] + total["030"][2])
    assert total["020"][2] == 0.0  # reinsurers' share: ready, zero until reinsurance
    # end of last year from the approved year-end run; end of the year before last absent
    assert total["011"][1] == 800.0 and total["011"][0] is None


def test_0420155_ulae_inside_rbns_under_ru51n():
    wb = openpyxl.load_workbook(io.BytesIO(write_0420155(report_data(ulae_reported_with_rbns=True))))
    total = _lines(wb["1.1 Итого"])
    assert total["031"][2] == 435.0 and total["036"][2] == 0.0


def test_0420155_payment_triangle_is_cumulative_and_says_rub_only():
    wb = openpyxl.load_workbook(io.BytesIO(write_0420155(report_data(), n_quarters=8, n_origins=8)))
    ws = wb["5.1 Выплаты"]
    assert "RUB" in ws["A2"].value
    assert ws.cell(row=5, column=3).value == "1.2023" and ws.cell(row=5, column=10).value == "4.2024"
    # accident quarter 2023Q1 (row 030) across quarter ends: cumulative, never decreasing
    row = [ws.cell(row=7, column=c).value for c in range(3, 11)]
    assert row == sorted(row)
    # 2023Q1 at 1.2023: 100 (segment 1) + 200 (segment 2) = 300 roubles = 0.3 thousand
    assert row[0] == 0.3
    # the latest accident quarter has only its own quarter end
    last = [ws.cell(row=14, column=c).value for c in range(3, 11)]
    assert last[:-1] == [None] * 7 and last[-1] is not None


def test_same_run_exports_identical_bytes():
    data = report_data()
    first = write_0420155(data)
    time.sleep(1.1)  # openpyxl stamps the wall clock on save; the bytes must not change
    assert write_0420155(data) == first
    assert write_s1901_xlsx(data) == write_s1901_xlsx(data)
    assert write_s1901_csv(data) == write_s1901_csv(data)
    assert write_gl_csv(data) == write_gl_csv(data)


def test_s1901_cells_are_eiopa_codes_and_sums_agree():
    data = report_data()
    rows = list(csv.DictReader(io.StringIO(write_s1901_csv(data).decode())))
    codes = known_codes()
    for r in rows:
        assert (r["template"], r["row"]) in codes, r
        assert (r["template"], r["column"]) in codes, r
    rub = [r for r in rows if r["currency"] == "RUB"]
    paid = {(r["row"], r["column"]): float(r["value"]) for r in rub if r["template"] == "S.19.01.21.01"}
    sums = {(r["row"], r["column"]): float(r["value"]) for r in rub if r["template"] == "S.19.01.21.02"}
    # accident year N (2024) row R0250: development year 0 paid = cumulative to date
    assert paid[("R0250", "C0010")] == sums[("R0250", "C0180")]
    # accident year N-1 (2023): non-cumulative cells add up to the cumulative sum
    assert paid[("R0240", "C0010")] + paid[("R0240", "C0020")] == pytest.approx(sums[("R0240", "C0180")])
    # total of "sum of years" = all RUB paid at the valuation date
    at_valuation = 0.0
    for tri in data.triangles:
        if tri.currency == "RUB":
            at_valuation += sum(float(row.dropna().iloc[-1]) for _, row in tri.paid.iterrows())
    assert sums[("R0260", "C0180")] == pytest.approx(at_valuation)


def test_s1901_xlsx_reads_back():
    wb = openpyxl.load_workbook(io.BytesIO(write_s1901_xlsx(report_data())))
    assert any(name.startswith("19.01.21.01 RUB") for name in wb.sheetnames)
    assert any(name.startswith("19.01.01.05 RUB") for name in wb.sheetnames)


def test_gl_journal_balances_and_moves_by_closing_minus_opening():
    data = report_data()
    rows = list(csv.DictReader(io.StringIO(write_gl_csv(data).decode())))
    by_entry = {}
    for r in rows:
        e = by_entry.setdefault((r["entry_id"], r["currency"]), [D(0), D(0)])
        e[0] += D(r["debit"] or 0)
        e[1] += D(r["credit"] or 0)
    assert all(d == c for d, c in by_entry.values())
    # profit and loss effect of RBNS: charge − release = closing − opening
    rbns = [r for r in rows if r["segment"] == "individual_occurrence" and r["currency"] == "RUB" and r["reserve_type"] == "rbns"]
    charge = sum(D(r["debit"]) for r in rbns if r["account"] == "71404")
    release = sum(D(r["credit"]) for r in rbns if r["account"] == "71403")
    assert charge - release == net_movement(data, "individual_occurrence", "RUB", "rbns") == D("20000.00")
    assert len(journal_lines(data)) == len(rows)


def test_summary_csv_has_the_run_totals():
    rows = list(csv.DictReader(io.StringIO(write_summary_csv(report_data()).decode())))
    rub = [r for r in rows if r["currency"] == "RUB"]
    assert sum(D(r["total"]) for r in rub) == D("1000000") + D("300000") + D("250000") + D("27500") + D("500000") + D("12345.67") + D("100000") + D("50000") + D("7500")
    irr = [r for r in rows if r["currency"] == "IRR"][0]
    assert irr["upr"] == "900000000"  # whole rials


def test_bootstrap_percentiles_read_every_stored_style():
    from reporting.selectors import bootstrap_percentiles, percentile_of
    from reserving.models import RunSegmentResult

    stored = RunSegmentResult(bootstrap={"status": "ok", "mean": 50.0, "std": 9.0, "p75": 60.0, "p95": 80.0, "p99_5": 95.0,
                                         "percentiles": {"5": 30.0, "50": 50.0, "99.5": 95.0}})
    assert bootstrap_percentiles(stored) == {5.0: 30.0, 50.0: 50.0, 99.5: 95.0}
    flat = RunSegmentResult(bootstrap={"mean": 50.0, "std": 9.0, "p75": 60.0, "p95": 80.0, "p99_5": 95.0})
    assert bootstrap_percentiles(flat) == {75.0: 60.0, 95.0: 80.0, 99.5: 95.0}
    meaningless = RunSegmentResult(bootstrap={"status": "not meaningful", "mean": 50.0, "cv": 4.2,
                                              "reasons": ["cv above 1"]})
    assert bootstrap_percentiles(meaningless) == {}  # no percentile of the booked amount
    assert percentile_of({50.0: 50.0, 75.0: 60.0}, 55.0) == pytest.approx(62.5)
    assert percentile_of({50.0: 50.0, 75.0: 60.0}, 10.0) is None


def test_0420155_triangle_sizes_are_parameters():
    wb = openpyxl.load_workbook(io.BytesIO(write_0420155(report_data(), n_quarters=6, n_origins=4)))
    ws = wb["5.1 Выплаты"]
    assert [ws.cell(row=5, column=c).value for c in range(3, 9)] == ["3.2023", "4.2023", "1.2024", "2.2024", "3.2024", "4.2024"]
    assert ws.cell(row=10, column=1).value == "060"  # 020 earlier + 030..060 four accident quarters
    assert ws.cell(row=11, column=1).value is None
    # the earlier-accident-quarters row gathers 2023Q1–2023Q4: cumulative, never decreasing
    earlier = [ws.cell(row=6, column=c).value for c in range(3, 9)]
    assert earlier == sorted(earlier) and earlier[0] is not None
