"""Spreadsheet formula injection: the one rule every CSV and XLSX the product writes follows.

Excel, LibreOffice and Google Sheets read a cell that begins with `=`, `+`, `-`, `@`, a tab or
a carriage return as a formula (OWASP "CSV injection"). Names, segments, causes and notes are
free text, so a text cell is neutralised before it is written:

* CSV (`text_cell`): a text value that begins with one of ``= + - @ TAB CR`` **or with `'`**
  gets one `'` in front. Doubling a leading `'` keeps the escape reversible.
* reading a book back (`text_uncell`): a text value that begins with `'` followed by one of
  ``= + - @ TAB CR '`` loses that first `'`; every other value stands as written (so a
  hand-written `'t Hooft` is read as it is). text_uncell(text_cell(s)) == s for every string.
* XLSX (`xlsx_neutralise`, called by the one place workbooks are saved): a text cell is always
  a string cell, never a formula (nor an error code); one that begins with a trigger character
  also carries Excel's quote-prefix flag (the stored form of a typed leading `'`), so its text
  is kept verbatim and stays text when someone edits the cell.

Numbers are never touched: only `str` values are escaped, and CSV writers name their numeric
columns (a negative amount such as -1250.00 is written as it is).
"""
from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import IO

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"
# first characters that make text_cell prefix an ESCAPE (and text_uncell remove one after it)
ESCAPED_FIRST = frozenset(TRIGGERS) | {ESCAPE}


def text_cell(value):
    """A text value as written into a CSV cell; anything that is not a `str` is returned as is."""
    if isinstance(value, str) and value and value[0] in ESCAPED_FIRST:
        return ESCAPE + value
    return value


def text_uncell(value: str) -> str:
    """The inverse of `text_cell` for a value read from a CSV text cell."""
    if len(value) > 1 and value[0] == ESCAPE and value[1] in ESCAPED_FIRST:
        return value[1:]
    return value


class TextSafeWriter:
    """`csv.writer` whose rows have every text cell escaped with `text_cell`, except the
    columns named in `numeric` (amounts, counts, shares), which are written as they are.

    Lines end in LF; csv.writer then leaves a field holding a bare CR unquoted, and every reader
    splits the record there. A row with a CR in any text cell is therefore written with every
    field quoted (the same row always gets the same bytes, so round trips stay exact)."""

    def __init__(self, handle: IO[str], columns: Sequence[str], *, numeric: Iterable[str] = (), **fmtparams):
        numeric = set(numeric)
        unknown = numeric - set(columns)
        if unknown:
            raise ValueError(f"numeric columns not among the columns: {sorted(unknown)}")
        fmtparams.setdefault("lineterminator", "\n")
        self.columns = tuple(columns)
        self._text = tuple(i for i, c in enumerate(self.columns) if c not in numeric)
        self._writer = csv.writer(handle, **fmtparams)
        self._quoted = csv.writer(handle, **{**fmtparams, "quoting": csv.QUOTE_ALL})

    def writeheader(self) -> None:
        self._writer.writerow([text_cell(c) for c in self.columns])

    def writerow(self, row: Sequence) -> None:
        row = list(row)
        carriage_return = False
        for i in self._text:
            v = row[i]
            if isinstance(v, str) and v:
                if v[0] in ESCAPED_FIRST:
                    row[i] = ESCAPE + v
                if "\r" in v:
                    carriage_return = True
        (self._quoted if carriage_return else self._writer).writerow(row)


def xlsx_neutralise(workbook) -> None:
    """Make every text cell of an openpyxl workbook a plain string cell: openpyxl turns a str
    beginning with `=` into a formula (and "#N/A" and friends into error cells) on assignment;
    the product never writes a formula, so each of those becomes text again, and text that
    begins with a trigger character gets the quote-prefix flag."""
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if not isinstance(value, str):
                    continue
                if cell.data_type in ("f", "e"):
                    cell.data_type = "s"
                if value and value[0] in ESCAPED_FIRST:
                    cell.quotePrefix = True
