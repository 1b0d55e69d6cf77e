"""Deterministic XLSX for every workbook the product writes (regulator exports, the reserving
report): openpyxl stamps the current time into the document properties and the zip entries; the
same run must give the same bytes. Text cells are neutralised on save (never a formula)."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime

from openpyxl import Workbook

from core.csvsafe import xlsx_neutralise

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def workbook_new(*, as_of: date) -> Workbook:
    wb = Workbook()
    stamp = datetime(as_of.year, as_of.month, as_of.day)
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = "medmal back office"
    wb.properties.lastModifiedBy = "medmal back office"
    return wb


def workbook_bytes(wb: Workbook) -> bytes:
    """Every workbook the product writes is saved here: text cells are neutralised first
    (never a formula, core/csvsafe.py)."""
    xlsx_neutralise(wb)
    raw = io.BytesIO()
    wb.save(raw)
    return zip_normalized(raw.getvalue())


def zip_normalized(data: bytes) -> bytes:
    """Rewrite a zip with fixed entry timestamps (entry order kept)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            payload = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                # openpyxl stamps "modified" with the wall clock on save: pin it to "created".
                created = re.search(rb"<dcterms:created[^>]*>([^<]*)</dcterms:created>", payload)
                if created:
                    payload = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                                     rb"\g<1>" + created.group(1) + rb"\g<2>", payload)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, payload)
    return out.getvalue()
