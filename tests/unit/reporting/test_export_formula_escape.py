"""Formula injection in the regulator exports (defects item 4): a segment (free text) such as
=HYPERLINK(...) is a string cell in the XLSX files, never a formula, and an escaped text cell in
the summary, GL and S.19.01 CSVs; negative amounts stay plain numbers."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import replace
from decimal import Decimal

import openpyxl

from core.csvsafe import TRIGGERS
from reporting.exports.f0420155 import write_0420155
from reporting.exports.gl import DEFAULT_CHART, Accounts, write_gl_csv
from reporting.exports.s1901 import write_s1901_csv, write_s1901_xlsx
from reporting.exports.summary import write_summary_csv
from tests.unit.reporting.test_exports import report_data

HYPERLINK = '=HYPERLINK("http://x","y")'
D = Decimal


def _hostile():
    base = report_data()
    rows = [replace(base.reserves[0], segment=HYPERLINK, ibnr=D("-1250.00"), ibnr_method="-chainladder"),
            replace(base.reserves[1], segment="@clinic", accounting_group="+13"), base.reserves[2]]
    opening = [replace(base.opening[0], segment=HYPERLINK)]
    triangles = [replace(base.triangles[0], segment=HYPERLINK), *base.triangles[1:]]
    return report_data(reserves=rows, opening=opening, triangles=triangles,
                       group_names={"13": ("=1+1", "Liability"), "+13": ("@SUM(A1)", "-x")})


def _formula_cells(xlsx: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        return [name for name in z.namelist() if name.startswith("xl/worksheets/") and re.search(rb"<f[ >]", z.read(name))]


def test_0420155_writes_a_hostile_segment_as_text_never_a_formula():
    content = write_0420155(_hostile())
    assert _formula_cells(content) == []
    wb = openpyxl.load_workbook(io.BytesIO(content))
    ws = wb["2 Заработанная премия"]
    cells = {ws.cell(row=r, column=2).value: ws.cell(row=r, column=2) for r in range(4, ws.max_row + 1)}
    assert cells[HYPERLINK].data_type == "s" and cells[HYPERLINK].quotePrefix
    assert cells["@clinic"].data_type == "s" and cells["@clinic"].quotePrefix
    group = {ws.cell(row=r, column=1).value for r in range(4, ws.max_row + 1)}
    assert "+13" in group  # verbatim, as text
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value[:1] in TRIGGERS:
                    assert cell.data_type == "s" and cell.quotePrefix, (sheet.title, cell.coordinate, cell.value)


def test_s1901_xlsx_has_no_formula_cells():
    assert _formula_cells(write_s1901_xlsx(_hostile())) == []


def _rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode(), newline="")))


def test_summary_csv_escapes_text_and_leaves_negative_amounts():
    rows = {r["segment"]: r for r in _rows(write_summary_csv(_hostile()))}
    assert "'" + HYPERLINK in rows and "'@clinic" in rows
    assert rows["'" + HYPERLINK]["ibnr"] == "-1250.00"
    assert rows["'" + HYPERLINK]["ibnr_method"] == "'-chainladder"
    assert rows["'@clinic"]["accounting_group"] == "'+13"


def test_gl_csv_escapes_text_and_leaves_negative_amounts():
    chart = {**DEFAULT_CHART, "ibnr": Accounts("=333", "-71403", "@71404")}
    rows = _rows(write_gl_csv(_hostile(), chart))
    assert {r["segment"] for r in rows} >= {"'" + HYPERLINK, "'@clinic"}
    ibnr = [r for r in rows if r["reserve_type"] == "ibnr" and r["segment"] == "'" + HYPERLINK]
    assert {r["account"] for r in ibnr} >= {"'=333", "'-71403", "'@71404"}
    assert "-1250.00" in {r["debit"] for r in ibnr} | {r["credit"] for r in ibnr}
    for r in rows:
        for column in ("entry_id", "segment", "currency", "reserve_type", "movement", "account", "description"):
            assert r[column][:1] not in TRIGGERS


def test_s1901_csv_text_cells_are_neutral():
    data = _hostile()
    data = replace(data, reserves=[replace(r, currency="-RB") if r.currency == "RUB" else r for r in data.reserves],
                   triangles=[replace(t, currency="-RB") if t.currency == "RUB" else t for t in data.triangles])
    rows = _rows(write_s1901_csv(data))
    assert {r["currency"] for r in rows} == {"'-RB", "IRR"}
