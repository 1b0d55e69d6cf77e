"""EIOPA S.19.01 non-life claims triangles, from an approved run.

S.19.01.21 (public, total non-life): gross paid non-cumulative (C0010–C0100 development years
0–9, C0110 "10 & +"), C0170 in current year, C0180 sum of years, undiscounted best-estimate
claims provisions (C0200–C0300) and the year-end amount (C0360). S.19.01.01 line of business 8
(general liability, `s2c_LB:x34`): gross RBNS (C0400–C0550 development years 0–14 + "15 & +",
C0560 year end), and where the run has reinsurers' shares (issue 17 §3) the reinsurance
blocks: recoveries received (C0600–C0750, C0760 current year, C0770 sum), undiscounted best
estimate of recoverables on the current diagonal (C0800–C0950, C0960), reinsurance RBNS
(C1000–C1150, C1160), and net RBNS = gross − reinsurance (C1600–C1750, C1760). One currency per
file section; amounts are never converted.

The best-estimate triangle holds the current diagonal (case outstanding + IBNR of this run);
earlier diagonals need approved year-end runs with per-origin results and stay empty until
then. Our best estimate is undiscounted, so C0360 reports the undiscounted figure.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from core.csvsafe import TextSafeWriter
from core.periods import Quarter
from reporting.exports.annual import annual_cumulative, incremental, np_round, paid_in_calendar_year, value_at
from reporting.exports.data import ReportData
from reporting.exports.xlsx import BOLD, header_row, sheet_title, workbook_bytes, workbook_new

CODES_FILE = Path(__file__).resolve().parent.parent / "reference" / "eiopa_cell_codes.csv"
LOB_MEMBER = "s2c_LB:x34"


def _codes() -> set[tuple[str, str]]:
    with open(CODES_FILE, encoding="utf-8") as fh:
        return {(r["table"], r["code"]) for r in csv.DictReader(fh)}


def _row_codes(years_back: int) -> list[tuple[str, int | None]]:
    """[('R0100', None)] for Prior then (code, offset) for N-years_back+1 … N."""
    codes = [("R0100", None)]
    first = 250 - 10 * (years_back - 1)
    for k in range(years_back):
        codes.append((f"R{first + 10 * k:04d}", years_back - 1 - k))
    return codes


def cells(data: ReportData, currency: str) -> list[tuple[str, str, str, float]]:
    """(table, row code, column code, value) for every filled cell."""
    N = data.valuation_date.year
    paid_frames = [t.paid for t in data.triangles if t.currency == currency]
    case_frames = [t.case for t in data.triangles if t.currency == currency]
    out: list[tuple[str, str, str, float]] = []

    # S.19.01.21: ten accident years, development years 0–9 and "10 & +".
    cum = annual_cumulative(paid_frames, data.valuation_date, N - 9, 10)
    inc = incremental(cum)
    rows10 = _row_codes(10)
    total_current = 0.0
    total_sum = 0.0
    for code, offset in rows10:
        if offset is None:
            prior = paid_in_calendar_year(paid_frames, data.valuation_date, N - 9)
            out.append(("S.19.01.21.01", code, "C0110", np_round(prior)))
            out.append(("S.19.01.21.02", code, "C0170", np_round(prior)))
            total_current += prior
            continue
        ay = N - offset
        for d in range(0, offset + 1):
            if (ay, d) in inc:
                out.append(("S.19.01.21.01", code, f"C{10 + 10 * d:04d}", np_round(inc[(ay, d)])))
        latest_d = offset
        in_year = inc.get((ay, latest_d), 0.0)
        to_date = cum.get((ay, latest_d), 0.0)
        out.append(("S.19.01.21.02", code, "C0170", np_round(in_year)))
        out.append(("S.19.01.21.02", code, "C0180", np_round(to_date)))
        total_current += in_year
        total_sum += to_date
    out.append(("S.19.01.21.02", "R0260", "C0170", np_round(total_current)))
    out.append(("S.19.01.21.02", "R0260", "C0180", np_round(total_sum)))

    # Best estimate (undiscounted) on the current diagonal: case outstanding + IBNR by accident year.
    be_by_year: dict[int, float] = {}
    for tri in data.triangles:
        if tri.currency != currency:
            continue
        last = Quarter.of(data.valuation_date).end
        for label in tri.case.index:
            origin = Quarter.parse(str(label))
            case = value_at(tri.case, origin, last) or 0.0
            be_by_year[origin.year] = be_by_year.get(origin.year, 0.0) + case + float(tri.ibnr_by_origin.get(str(label), 0.0))
    be_total = 0.0
    for code, offset in rows10:
        if offset is None:
            value = sum(v for y, v in be_by_year.items() if y < N - 9)
            out.append(("S.19.01.21.03", code, "C0300", np_round(value)))
        else:
            value = be_by_year.get(N - offset, 0.0)
            out.append(("S.19.01.21.03", code, f"C{200 + 10 * offset:04d}", np_round(value)))
        out.append(("S.19.01.21.04", code, "C0360", np_round(value)))
        be_total += value
    out.append(("S.19.01.21.04", "R0260", "C0360", np_round(be_total)))

    # S.19.01.01 gross RBNS, fifteen accident years, development years 0–14 and "15 & +".
    rbns = annual_cumulative(case_frames, data.valuation_date, N - 14, 15)
    rbns_total = 0.0
    for code, offset in _row_codes(15):
        if offset is None:
            continue  # accident years before N-14: none in our books yet
        ay = N - offset
        for d in range(0, offset + 1):
            if (ay, d) in rbns:
                out.append(("S.19.01.01.05", code, f"C{400 + 10 * d:04d}", np_round(rbns[(ay, d)])))
        year_end = rbns.get((ay, offset), 0.0)
        out.append(("S.19.01.01.06", code, "C0560", np_round(year_end)))
        rbns_total += year_end
    out.append(("S.19.01.01.06", "R0260", "C0560", np_round(rbns_total)))
    ceded = [t for t in data.triangles if t.currency == currency and not t.ceded_case.empty]
    if ceded:
        out += _reinsurance_cells(data, ceded, rbns)
    return out


def _reinsurance_cells(data: ReportData, ceded, gross_rbns: dict) -> list[tuple[str, str, str, float]]:
    """S.19.01.01's reinsurance and net blocks over fifteen accident years (development years
    0–14) from the run's triangles of reinsurers' shares."""
    N = data.valuation_date.year
    paid = annual_cumulative([t.ceded_paid for t in ceded], data.valuation_date, N - 14, 15)
    paid_inc = incremental(paid)
    case = annual_cumulative([t.ceded_case for t in ceded], data.valuation_date, N - 14, 15)
    last = Quarter.of(data.valuation_date).end
    be_by_year: dict[int, float] = {}
    for t in ceded:
        for label in t.ceded_case.index:
            origin = Quarter.parse(str(label))
            be_by_year[origin.year] = (be_by_year.get(origin.year, 0.0) + (value_at(t.ceded_case, origin, last) or 0.0))
        for label, ibnr in t.ceded_ibnr_by_origin.items():
            year = int(str(label)[:4])
            be_by_year[year] = be_by_year.get(year, 0.0) + float(ibnr)
    out: list[tuple[str, str, str, float]] = []
    totals = {"C0760": 0.0, "C0770": 0.0, "C0960": 0.0, "C1160": 0.0, "C1760": 0.0}
    tables = {"C0760": "08", "C0770": "08", "C0960": "10", "C1160": "12", "C1760": "18"}

    def row(code: str, table: str) -> str:
        # the reinsurance blocks number their rows from R0300, the net blocks from R0500
        return f"R{int(code[1:]) + (400 if table in ('17', '18') else 200):04d}"

    for code, offset in _row_codes(15):
        if offset is None:
            continue  # accident years before N-14: none in our books yet
        ay = N - offset
        for d in range(0, offset + 1):
            if (ay, d) in paid_inc:
                out.append(("S.19.01.01.07", row(code, "07"), f"C{600 + 10 * d:04d}", np_round(paid_inc[(ay, d)])))
            if (ay, d) in case:
                out.append(("S.19.01.01.11", row(code, "11"), f"C{1000 + 10 * d:04d}", np_round(case[(ay, d)])))
            if (ay, d) in gross_rbns or (ay, d) in case:
                net = gross_rbns.get((ay, d), 0.0) - case.get((ay, d), 0.0)
                out.append(("S.19.01.01.17", row(code, "17"), f"C{1600 + 10 * d:04d}", np_round(net)))
        be = be_by_year.get(ay, 0.0)
        out.append(("S.19.01.01.09", row(code, "09"), f"C{800 + 10 * offset:04d}", np_round(be)))
        year_end = {"C0760": paid_inc.get((ay, offset), 0.0), "C0770": paid.get((ay, offset), 0.0), "C0960": be,
                    "C1160": case.get((ay, offset), 0.0),
                    "C1760": gross_rbns.get((ay, offset), 0.0) - case.get((ay, offset), 0.0)}
        for col, value in year_end.items():
            out.append((f"S.19.01.01.{tables[col]}", row(code, tables[col]), col, np_round(value)))
            totals[col] += value
    for col, value in totals.items():
        out.append((f"S.19.01.01.{tables[col]}", row("R0260", tables[col]), col, np_round(value)))
    return out


def write_s1901_csv(data: ReportData) -> bytes:
    buf = io.StringIO()
    w = TextSafeWriter(buf, ["template", "line_of_business", "currency", "reference_date", "row", "column", "cell", "value"],
                       numeric=("value",))
    w.writeheader()
    for currency in data.currencies():
        for table, row, col, value in cells(data, currency):
            lob = LOB_MEMBER if table.startswith("S.19.01.01") else ""
            w.writerow([table, lob, currency, data.valuation_date.isoformat(), row, col, f"{row}{col}", f"{value:.2f}"])
    return buf.getvalue().encode("utf-8")


def write_s1901_xlsx(data: ReportData) -> bytes:
    wb = workbook_new(as_of=data.valuation_date)
    info = wb.active
    info.title = "Info"
    info["A1"] = "S.19.01 non-life claims triangles (gross, undiscounted best estimate)"
    info["A1"].font = BOLD
    info["A2"] = f"Reference date {data.valuation_date.isoformat()}; run {data.run_id}; one sheet per template and currency"
    for currency in data.currencies():
        by_table: dict[str, dict[tuple[str, str], float]] = {}
        for table, row, col, value in cells(data, currency):
            by_table.setdefault(table, {})[(row, col)] = value
        for table, grid in by_table.items():
            ws = wb.create_sheet(sheet_title(f"{table[2:]} {currency}"))
            ws["A1"] = f"{table} — {currency}" + (f" — line of business {LOB_MEMBER}" if table.startswith("S.19.01.01") else "")
            ws["A1"].font = BOLD
            rows = sorted({r for r, _ in grid})
            cols = sorted({c for _, c in grid})
            header_row(ws, 3, [""] + cols)
            for i, r in enumerate(rows, start=4):
                ws.cell(row=i, column=1, value=r).font = BOLD
                for j, c in enumerate(cols, start=2):
                    if (r, c) in grid:
                        ws.cell(row=i, column=j, value=grid[(r, c)])
    return workbook_bytes(wb)


def known_codes() -> set[tuple[str, str]]:
    return _codes()
