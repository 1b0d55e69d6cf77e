"""The run's reserving report (issue 13 §6): the admin page and the XLSX download, built from the
stored results: every section per segment, the sign-off, the same bytes for the same run, a note
that would be a formula or markup coming out inert, and only the reserving roles may read it.
The numbers are hand-checked in reviewbook.py's docstring."""
from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from django.urls import reverse

from reserving.report import SHEETS
from tests.integration.reserving.reviewbook import (CURRENCY, CURRENT_NOTE, PRIOR_NOTE, SEGMENT, VALUATION, approve,
                                                    book, client_of, current, people, prior,  # noqa: F401 - fixtures
                                                    selection)
from tests.integration.reserving.runbook import eager_celery, submitted_run  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]
HOSTILE = "=cmd|' /C calc'!A0 <script>alert(1)</script>"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def approved(people, current):
    return approve(people, current)


def _rows(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _block(rows: list[list], title: str) -> list[list]:
    """The rows of one segment's block of a sheet: from its heading to the next blank row."""
    start = next(i for i, r in enumerate(rows) if r[0] == title)
    end = next((i for i in range(start + 1, len(rows)) if all(v is None for v in rows[i])), len(rows))
    return rows[start:end]


def test_the_page_has_every_section_per_segment_and_the_sign_off(people, prior, approved):
    auditor = client_of("rp-auditor", "auditor")
    run_page = auditor.get(reverse("admin:reserving_reserverun_change", args=[approved.pk])).content.decode()
    url = reverse("admin:reserving_run_report", args=[approved.pk])
    assert f'href="{url}"' in run_page
    response = auditor.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    segment = html[html.index(f'id="rp-{SEGMENT}-{CURRENCY}"'):]
    segment = segment[:segment.index("</section>")]
    for section in ("rp-data", "rp-exhibits", "rp-selections", "rp-uncertainty", "rp-changes"):
        assert f"rp-section {section}" in segment, section
    for text in ("rp-triangle", "rp-link-ratios", "rp-factors", "rp-ultimates", "rp-methods", "rp-mack",
                 "rp-bootstrap", CURRENT_NOTE, PRIOR_NOTE, "33,780.42", "27,024.34", "+6,756.08", "+25.0%",
                 f"run {prior.pk}", "1.2500"):
        assert text in segment, text
    assert html.count('class="rp-segment"') == approved.segment_results.count()
    signoff = html[html.index('id="rp-signoff"'):html.index("</section>", html.index('id="rp-signoff"'))]
    assert people["approver"].username in signoff and people["actuary"].username in signoff
    assert "approved" in signoff
    assert reverse("admin:reserving_run_report_xlsx", args=[approved.pk]) in html


def test_the_xlsx_has_the_sections_as_sheets_and_the_same_bytes_twice(people, prior, approved):
    approver = client_of("rp-approver", "approver")
    url = reverse("admin:reserving_run_report_xlsx", args=[approved.pk])
    first, second = approver.get(url), approver.get(url)
    assert first.status_code == 200 and first["Content-Type"] == XLSX
    assert f"run-{approved.pk}-ru-{VALUATION.isoformat()}.xlsx" in first["Content-Disposition"]
    assert first.content == second.content
    wb = openpyxl.load_workbook(io.BytesIO(first.content))
    assert tuple(wb.sheetnames) == SHEETS
    changes = _block(_rows(wb["Changes"]), f"{SEGMENT} {CURRENCY}")
    ibnr = next(r for r in changes if r[0] == "IBNR")
    assert ibnr[1:5] == [27024.34, 33780.42, 6756.08, pytest.approx(0.25, abs=1e-6)]
    age12 = next(r for r in changes if r[0] == 12)
    assert age12[1:4] == [1.2, 1.25, "yes"]
    ultimates = _block(_rows(wb["Ultimates"]), f"{SEGMENT} {CURRENCY}")
    young = next(r for r in ultimates if r[0] == "2024")
    assert young[1:4] == [49279.37, 85842.31, 135121.68] and 33780.42 in young
    sheet = wb["Ultimates"]
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == 33780.42)
    assert cell.number_format == "#,##0.00"
    irr = _block(_rows(wb["Ultimates"]), f"individual_occurrence IRR")
    irr_row = next(r for r in irr if r[0] == "2024")
    irr_cell = next(c for row in sheet.iter_rows() for c in row if c.value == irr_row[1] and c.column == 2)
    assert irr_cell.number_format == "#,##0"
    signoff = {r[0]: r[1] for r in _rows(wb["Sign-off"]) if r[0]}
    assert signoff["approver"] == people["approver"].username and signoff["status"] == "approved"
    selections = _block(_rows(wb["Selections"]), f"{SEGMENT} {CURRENCY}")
    assert ["note", CURRENT_NOTE] == selections[1][:2]


def test_an_injected_note_comes_out_inert(people, prior, django_capture_on_commit_callbacks):
    run = submitted_run(people["actuary"], django_capture_on_commit_callbacks, VALUATION,
                        selections=selection(1.25, HOSTILE))
    actuary = client_of("rp-actuary", "actuary")
    html = actuary.get(reverse("admin:reserving_run_report", args=[run.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    page = actuary.get(reverse("admin:reserving_reserverun_change", args=[run.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    raw = actuary.get(reverse("admin:reserving_run_report_xlsx", args=[run.pk])).content
    wb = openpyxl.load_workbook(io.BytesIO(raw))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value == HOSTILE]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/")]
    assert not any("<f>" in s or "<f " in s for s in sheets)


@pytest.mark.parametrize("role, status", [("actuary", 200), ("approver", 200), ("auditor", 200), ("clerk", 403)])
def test_the_reserving_roles_read_the_report_and_the_clerk_is_refused(prior, role, status):
    client = client_of(f"rp-{role}", role)
    for name in ("admin:reserving_run_report", "admin:reserving_run_report_xlsx"):
        assert client.get(reverse(name, args=[prior.pk])).status_code == status, name
