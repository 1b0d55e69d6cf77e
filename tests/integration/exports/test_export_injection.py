"""Spreadsheet formula injection (issue 14 §5): every CSV and XLSX writer the product has writes a
text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return inert — in CSV with
one leading `'` (OWASP), in XLSX as a string cell (never a formula) with the quote-prefix flag —
while a negative amount in the same file stays a plain number.

Parametrised over the writers: the core helpers (core/csvsafe.py), the regulator exports
(reporting/exports: summary, GL journal and S.19.01 CSV, S.19.01 and 0420155 XLSX, as the API
and the admin serve them through reporting.services), the reserving report workbook (the admin's
XLSX download) and the book exchange export (export_book, the admin's whole-book zip)."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.utils import timezone

from core.csvsafe import TRIGGERS, TextSafeWriter, xlsx_neutralise
from tests.unit.reporting.test_exports import report_data

D = Decimal
NEGATIVE = D("-1250.00")
# one payload per trigger, and the tab/CR variants that hide a formula behind a control character
PAYLOADS = {
    "equals": '=HYPERLINK("http://x","y")',
    "plus": "+1+cmd|' /C calc'!A0",
    "minus": "-2+3",
    "at": "@SUM(A1:A2)",
    "tab": "\t=1+1",
    "cr": "\r=1+1",
}


@dataclass
class Written:
    """What a writer produced: CSV rows (lists of cells) or an XLSX file."""

    csv_rows: list[list[str]] | None = None
    xlsx: bytes | None = None
    payloads: list[str] | None = None  # when the writer's free text is shorter (a currency code)


# ---- the writers, each fed the payload as free text and NEGATIVE as an amount ----------------

def _csvsafe_writer(payloads: list[str]) -> Written:
    out = io.StringIO()
    writer = TextSafeWriter(out, ["name", "note", "amount"], numeric=["amount"])
    writer.writeheader()
    for payload in payloads:
        writer.writerow([payload, "plain", str(NEGATIVE)])
    return Written(csv_rows=_csv(out.getvalue().encode()))


def _xlsx_neutralise(payloads: list[str]) -> Written:
    from reporting.exports.xlsx import workbook_bytes, workbook_new

    wb = workbook_new(as_of=date(2024, 12, 31))
    for payload in payloads:
        wb.active.append([payload, float(NEGATIVE)])
    return Written(xlsx=workbook_bytes(wb))


def _hostile_report(payloads: list[str]):
    """Report data whose segments, IBNR methods, accounting groups and group names are the
    payloads, with a negative IBNR."""
    base = report_data()
    reserves, opening, triangles, groups = [], [], [], {}
    for i, payload in enumerate(payloads):
        row = base.reserves[i % 2]
        reserves.append(replace(row, segment=payload, ibnr=NEGATIVE, ibnr_method=payload,
                                accounting_group=payload if i % 2 else row.accounting_group))
        opening.append(replace(base.opening[0], segment=payload))
        triangles.append(replace(base.triangles[i % 2], segment=payload))
        groups[payload] = (payload, payload)
    return report_data(reserves=reserves + [base.reserves[2]], opening=opening,
                       triangles=triangles + [base.triangles[2]],
                       group_names={"13": (payloads[0], payloads[1]), **groups})


def _summary_csv(payloads: list[str]) -> Written:
    from reporting.exports.summary import write_summary_csv

    return Written(csv_rows=_csv(write_summary_csv(_hostile_report(payloads))))


def _gl_csv(payloads: list[str]) -> Written:
    from reporting.exports.gl import DEFAULT_CHART, Accounts, write_gl_csv

    chart = {**DEFAULT_CHART, "ibnr": Accounts(payloads[0], payloads[1], payloads[3])}
    return Written(csv_rows=_csv(write_gl_csv(_hostile_report(payloads), chart)))


def _currency_report(payloads: list[str]):
    """S.19.01 names no segment: its free text is the currency (a policy's 3-character code)."""
    codes = [p[:3] for p in payloads]
    base = report_data()
    return codes, report_data(
        reserves=[replace(base.reserves[0], currency=c, ibnr=NEGATIVE) for c in codes],
        triangles=[replace(base.triangles[0], currency=c) for c in codes], opening=[])


def _s1901_csv(payloads: list[str]) -> Written:
    from reporting.exports.s1901 import write_s1901_csv

    codes, data = _currency_report(payloads)
    return Written(csv_rows=_csv(write_s1901_csv(data)), payloads=codes)


def _s1901_xlsx(payloads: list[str]) -> Written:
    from reporting.exports.s1901 import write_s1901_xlsx

    codes, data = _currency_report(payloads)
    return Written(xlsx=write_s1901_xlsx(data), payloads=codes)


def _f0420155_xlsx(payloads: list[str]) -> Written:
    from reporting.exports.f0420155 import write_0420155

    return Written(xlsx=write_0420155(_hostile_report(payloads)))


def _hostile_book(payloads: list[str]) -> None:
    """Per payload, a policy whose insured, profession and segment, a claim whose cause and
    claimant, and ledger notes are the payload; a negative premium return and a negative reserve
    change."""
    from claims.services import claim_reserve_change
    from core.roles import system_actor
    from policies.services import policy_endorse
    from segments.models import Segment
    from tests.factories import ClaimFactory, InsuredFactory, PolicyFactory

    system = system_actor()
    for i, payload in enumerate(payloads):
        # the segment table's row too (issue 17): its code and name go out in segments.csv
        Segment.objects.get_or_create(code=payload, defaults={"name_en": payload, "name_fa": payload})
        policy = PolicyFactory(policy_number=f"P-INJ{i}", insured=InsuredFactory(name=payload), profession=payload,
                               segment=payload)
        policy_endorse(policy=policy, effective_date=date(2024, 7, 1), accounting_date=date(2024, 7, 1),
                       gross_premium=NEGATIVE, commission=D("0"), note=payload, actor=system)
        claim = ClaimFactory(policy=policy, claim_number=f"C-INJ{i}", cause=payload, claimant=payload,
                             initial_reserve={"indemnity": D("5000.00")})
        claim_reserve_change(claim=claim, cost_type="indemnity", accounting_date=date(2024, 8, 1),
                             amount=NEGATIVE, note=f"note {i}", actor=system)  # never the claimant (claims.privacy)


def _book_export(payloads: list[str]) -> Written:
    from core.roles import system_actor
    from exchange.services import book_export_zip

    _hostile_book(payloads)
    rows: list[list[str]] = []
    with zipfile.ZipFile(io.BytesIO(book_export_zip(actor=system_actor()))) as archive:
        for name in sorted(archive.namelist()):
            if name.endswith(".csv"):
                rows += _csv(archive.read(name))
    return Written(csv_rows=rows)


def _reserving_report_xlsx(payloads: list[str], capture) -> Written:
    from config.celery import app
    from core.roles import system_actor
    from reserving import services
    from reserving.report import report_xlsx
    from tests.integration.reserving.runbook import make_book

    make_book(seed=3, policies=4 * len(payloads), recorded_at=timezone.now() - timedelta(days=1),
              segments=[(payload, "RUB") for payload in payloads])
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        run = services.run_create(valuation_date=date(2024, 12, 31), actor=system_actor())
        with capture(execute=True):  # the segment tasks are sent on commit
            services.run_compute(run=run, actor=system_actor())
    finally:
        app.conf.task_always_eager = before
    run.refresh_from_db()
    # a segment's note is free text the actuary types
    services.run_selection_set(run=run, segment=payloads[0], currency="RUB", selection={"note": payloads[1]},
                               actor=system_actor())
    run.refresh_from_db()
    return Written(xlsx=report_xlsx(run=run))


WRITERS = {
    "csvsafe.TextSafeWriter": _csvsafe_writer,
    "csvsafe.xlsx_neutralise": _xlsx_neutralise,
    "reporting.summary_csv": _summary_csv,
    "reporting.gl_csv": _gl_csv,
    "reporting.s1901_csv": _s1901_csv,
    "reporting.s1901_xlsx": _s1901_xlsx,
    "reporting.0420155_xlsx": _f0420155_xlsx,
    "reserving.report_xlsx": _reserving_report_xlsx,
    "exchange.book_export": _book_export,
}
# Writers whose files hold no negative amount to check: S.19.01 is cumulative paid and case
# triangles; the 0420155 paper and the reserving report show results the engine computed.
NO_NEGATIVE_CELL = {"reporting.s1901_csv", "reporting.s1901_xlsx"}


# ---- reading back ------------------------------------------------------------------------------

def _csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"-?\d+(\.\d+)?(e-?\d+)?", text))


def _formula_cells(xlsx: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        return [name for name in archive.namelist()
                if name.startswith("xl/worksheets/") and re.search(rb"<f[ >]", archive.read(name))]


def _assert_csv_inert(rows: list[list[str]], payloads: list[str], name: str) -> None:
    cells = [cell for row in rows for cell in row]
    for payload in payloads:
        assert "'" + payload in cells, f"{name}: {payload!r} is not among the cells, escaped"
    for cell in cells:
        if cell[:1] in TRIGGERS:
            assert _is_number(cell), f"{name}: a text cell begins with a formula trigger: {cell!r}"
    if name not in NO_NEGATIVE_CELL:
        assert any(_is_number(c) and c.startswith("-") and D(c) == NEGATIVE for c in cells), (
            f"{name}: the negative amount is not written as a plain number")


def _assert_xlsx_inert(content: bytes, payloads: list[str], name: str) -> None:
    assert _formula_cells(content) == [], f"{name}: the workbook has formula cells"
    wb = openpyxl.load_workbook(io.BytesIO(content))
    found, negative = set(), False
    for ws in wb.worksheets:
        found.add(ws.title)  # a sheet named after data (S.19.01: the currency) is no formula either
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, str):
                    if value[:1] in TRIGGERS:
                        assert cell.data_type == "s" and cell.quotePrefix, (
                            f"{name}: {ws.title}!{cell.coordinate} {value!r} is not a quoted string cell")
                    found.add(value)
                elif isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
                    assert cell.data_type == "n", (name, ws.title, cell.coordinate)
                    negative = True
    for payload in payloads:
        # XML reads a CR back as LF (line-end normalisation): the text is kept, the cell a string
        assert any(payload in text or payload.replace("\r", "\n") in text for text in found), (
            f"{name}: {payload!r} is not in the workbook")
    if name not in NO_NEGATIVE_CELL | {"reporting.0420155_xlsx", "reserving.report_xlsx"}:
        assert negative, f"{name}: no negative amount stayed a number"


@pytest.mark.django_db
@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_formula_in_a_text_cell_comes_out_inert(writer, django_capture_on_commit_callbacks):
    """Each writer gets every payload (PAYLOADS: = + - @, tab and CR variants) at once."""
    payloads = list(PAYLOADS.values())
    if writer == "reserving.report_xlsx":
        written = WRITERS[writer](payloads, django_capture_on_commit_callbacks)
    else:
        written = WRITERS[writer](payloads)
    payloads = written.payloads or payloads
    if written.csv_rows is not None:
        _assert_csv_inert(written.csv_rows, payloads, writer)
    else:
        _assert_xlsx_inert(written.xlsx, payloads, writer)


@pytest.mark.parametrize("number", ["-1250.00", "-0.5", "-1e-3", "-7"])
def test_negative_numbers_in_numeric_columns_stay_numbers(number):
    out = io.StringIO()
    writer = TextSafeWriter(out, ["name", "amount"], numeric=["amount"])
    writer.writerow(["x", number])
    assert out.getvalue() == f"x,{number}\n"
    wb = openpyxl.Workbook()
    wb.active.append(["-x", float(number)])
    xlsx_neutralise(wb)
    assert wb.active["B1"].data_type == "n" and wb.active["B1"].value == float(number)
    assert wb.active["A1"].data_type == "s" and wb.active["A1"].quotePrefix


def test_every_writer_is_covered():
    """A new CSV/XLSX writer in the product must join WRITERS: the modules that write one are
    found by what they call (csv.writer, TextSafeWriter, openpyxl, workbook_bytes)."""
    root = Path(__file__).resolve().parents[3]
    writing = set()
    for path in root.glob("*/**/*.py"):
        rel = path.relative_to(root).as_posix()
        if rel.startswith((".venv/", "tests/", "benchmarks/")) or "/migrations/" in rel:
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"csv\.writer\(|csv\.DictWriter\(|TextSafeWriter\(|workbook_bytes\(|\.save\(raw\)", text):
            writing.add(rel)
    covered = {"core/csvsafe.py", "core/xlsx.py", "reporting/exports/xlsx.py", "reporting/exports/summary.py",
               "reporting/exports/gl.py", "reporting/exports/s1901.py", "reporting/exports/f0420155.py",
               "reserving/report.py", "exchange/bookio/export.py",
               "exchange/demo/writer.py"}  # its reference files: test_demo_reference_files_are_inert
    assert writing <= covered, f"writers without an injection test: {sorted(writing - covered)}"


def test_demo_reference_files_are_inert(tmp_path):
    """demo_book writes segments.csv, fx_rates.csv and treaties.csv through TextSafeWriter: no
    text cell begins with a formula character; rates and amounts stay numbers."""
    from exchange.demo import generate_book, write_book

    write_book(generate_book(policies=30, years=1, seed=1), tmp_path)
    cells = []
    for name in ("segments.csv", "fx_rates.csv", "treaties.csv"):
        rows = _csv((tmp_path / name).read_bytes())
        cells += [(name, column, value) for row in rows[1:] for column, value in zip(rows[0], row)]
    assert cells and not [c for c in cells if c[2][:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert ("treaties.csv", "retention", "1000000.00") in cells
