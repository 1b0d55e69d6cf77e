"""The spreadsheet-formula escape of core/csvsafe.py (defects item 4): text cells that begin with
= + - @ TAB CR are neutralised; the escape reverses exactly; numbers are never touched."""
from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from core.csvsafe import ESCAPE, TRIGGERS, TextSafeWriter, text_cell, text_uncell, xlsx_neutralise
from exchange.bookio import parse
from tests.budget import examples

# Deterministic: the same examples on every run, no example database.
PROPERTY = settings(max_examples=examples(400), derandomize=True, database=None, deadline=None)
# Trigger and quote characters first, so that generated text often begins with them; no NUL
# (refused by the import before any of this).
TEXT = st.text(alphabet=st.sampled_from(list("=+-@\t\r'\"', \n;|!xyz0129")) | st.characters(blacklist_characters="\x00"),
               max_size=12)


@pytest.mark.parametrize("value, written", [
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
    ("+79990001122", "'+79990001122"),
    ("-birth injury", "'-birth injury"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tnote", "'\tnote"),
    ("\rnote", "'\rnote"),
    ("'t Hooft", "''t Hooft"),
    ("'=already quoted", "''=already quoted"),
    ("'", "''"),
    ("Anna Petrova", "Anna Petrova"),
    ("", ""),
    ("a=b", "a=b"),
])
def test_text_cell_escapes_the_triggers_and_a_leading_quote(value, written):
    assert text_cell(value) == written
    assert text_uncell(written) == value


def test_numbers_are_not_text():
    from decimal import Decimal

    for number in (-1250, -12.5, Decimal("-1250.00"), None):
        assert text_cell(number) is number


def test_a_hand_written_leading_quote_reads_as_it_stands():
    # only ' before a trigger or a second ' is an escape; "'t Hooft" from another writer is a name
    assert text_uncell("'t Hooft") == "'t Hooft"
    assert text_uncell("'") == "'"
    assert text_uncell("=raw from elsewhere") == "=raw from elsewhere"


@PROPERTY
@given(TEXT)
def test_every_string_round_trips_and_no_escaped_cell_begins_with_a_trigger(value):
    written = text_cell(value)
    assert text_uncell(written) == value
    assert written[:1] not in TRIGGERS
    assert written == value or written == ESCAPE + value


@PROPERTY
@given(st.lists(TEXT, max_size=8))
def test_the_import_reverses_the_escape_like_the_helper(values):
    got = parse.text_uncell(pd.Series([text_cell(v) for v in values], dtype=object)).tolist()
    assert got == values


@PROPERTY
@given(st.lists(st.tuples(TEXT, st.decimals(allow_nan=False, allow_infinity=False, places=2)), max_size=6))
def test_csv_through_the_writer_and_reader(rows):
    buf = io.StringIO()
    w = TextSafeWriter(buf, ["name", "amount"], numeric=("amount",))
    w.writeheader()
    for name, amount in rows:
        w.writerow([name, str(amount)])
    back = list(csv.reader(io.StringIO(buf.getvalue(), newline="")))
    assert back[0] == ["name", "amount"]
    assert [r[1] for r in back[1:]] == [str(a) for _, a in rows]  # negative amounts untouched
    assert all(r[0][:1] not in TRIGGERS for r in back[1:])
    assert [text_uncell(r[0]) for r in back[1:]] == [n for n, _ in rows]


def test_writer_refuses_an_unknown_numeric_column():
    with pytest.raises(ValueError):
        TextSafeWriter(io.StringIO(), ["a"], numeric=("b",))


def test_xlsx_text_is_never_a_formula():
    wb = Workbook()
    ws = wb.active
    ws["A1"] = '=HYPERLINK("http://x","y")'
    ws["A2"] = "#N/A"
    ws["A3"] = "-minus"
    ws["A4"] = -5.5
    ws["A5"] = "plain"
    assert ws["A1"].data_type == "f"  # what openpyxl does on its own
    xlsx_neutralise(wb)
    assert [ws[c].data_type for c in ("A1", "A2", "A3", "A4", "A5")] == ["s", "s", "s", "n", "s"]
    assert ws["A1"].value == '=HYPERLINK("http://x","y")'  # verbatim, flagged as text
    assert ws["A1"].quotePrefix and ws["A3"].quotePrefix
    assert not ws["A5"].quotePrefix and not ws["A4"].quotePrefix
