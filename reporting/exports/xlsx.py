"""Deterministic XLSX: openpyxl stamps the current time into the document properties and the
zip entries; the regulator's working papers must be byte-identical for the same run."""
from __future__ import annotations

import re

from openpyxl.styles import Alignment, Font

from core.xlsx import FIXED_ZIP_TIME, workbook_bytes, workbook_new, zip_normalized  # noqa: F401 - the exports' API

BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")


_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_title(text: str) -> str:
    """A worksheet title Excel accepts, made from data (an accounting group, a currency): none of
    [ ] : * ? / \\ (each becomes _), at most 31 characters. openpyxl refuses any other title."""
    return _SHEET_TITLE_FORBIDDEN.sub("_", text)[:31] or "_"


def header_row(ws, row: int, values: list, bold: bool = True) -> None:
    for col, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=col, value=value)
        if bold:
            cell.font = BOLD
        cell.alignment = WRAP
