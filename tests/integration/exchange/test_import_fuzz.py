"""Import fuzzing (issue 14 §5): malformed CSV — other encodings, BOMs, NUL bytes, huge fields,
impossible dates, NaN/inf, formula strings, cut or doubled bytes — fed to the import of the
hand-made book. Each book is either refused cleanly (`file:line: reason` messages, no
traceback, nothing written) or stored safely (a formula string is kept as the text it was,
never evaluated or turned into a number)."""
from __future__ import annotations

import csv
import io
import re

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims.models import Claim, ClaimTransaction
from core.csvsafe import text_uncell
from core.models import AuditEvent
from exchange.bookio import format as fmt
from exchange.services import BookRefused, book_import
from policies.models import Insured, Policy, PremiumTransaction
from tests.integration.exchange.bookfiles import FIXTURES
from tests.budget import examples

BOOK_MODELS = (Insured, Policy, PremiumTransaction, Claim, ClaimTransaction)
SPECS = {spec.name: spec for spec in fmt.FILES}
SMALL = {spec.name: (FIXTURES / "small" / spec.name).read_bytes() for spec in fmt.FILES
         if (FIXTURES / "small" / spec.name).exists()}
MESSAGE = re.compile(r"^(?:[a-z_]+\.csv|\(book\)):\d+: \S.*$", re.S)
FORMULAS = ["=1+1", "+1+1", "-1+1", "@SUM(A1:A9)", '=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0"]
ODD_VALUES = FORMULAS + [
    "NaN", "nan", "inf", "-inf", "Infinity", "1e309", "1e5", "0x10", "１２３", "1_000", "--1",
    "2023-02-30", "2023-13-01", "0000-01-01", "9999-12-31", "10000-01-01", "2023-1-5", "2023-02-29",
    "2024-02-29T25:00:00+03:00", "0001-01-01T00:00:00+03:00", "9999-12-31T23:59:59-12:00",
    "true", "TRUE", "yes", "", " ", "\t", "'", "''", '"', "\u202e", "\ufeff", "🙂", "a\nb", "a\rb", "a\x00b",
]


@pytest.fixture
def actor(db):
    return User.objects.create_user("fuzz-keeper", is_staff=True, is_superuser=True)


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


@st.composite
def cell_changes(draw):
    """A cell of a file set to an odd value (or a huge one): (file, record, column, value)."""
    name = draw(st.sampled_from(sorted(SMALL)))
    rows = _rows(SMALL[name])
    record = draw(st.integers(1, len(rows) - 1))
    column = draw(st.sampled_from(rows[0]))
    value = draw(st.one_of(
        st.sampled_from(ODD_VALUES),
        st.builds(lambda c, n: c * n, st.sampled_from(["x", "9", "я", "="]), st.integers(65, 200_000)),
        st.text(max_size=12),
    ))
    return name, record, column, value


@st.composite
def byte_damage(draw):
    """The bytes of one file damaged: re-encoded, a BOM, a NUL, a cut, stray bytes, a doubled line."""
    name = draw(st.sampled_from(sorted(SMALL)))
    data = SMALL[name]
    how = draw(st.sampled_from(["utf-16", "cp1251", "latin-1-cyrillic", "bom", "double_bom", "nul", "cut",
                                "stray", "crlf", "cr_only", "double_line", "no_final_newline", "empty"]))
    if how == "utf-16":
        data = data.decode().encode("utf-16")
    elif how == "cp1251":
        data = data.decode().replace("Anna", "Анна").encode("cp1251")
    elif how == "latin-1-cyrillic":
        data = data.replace(b"Anna", "Анна".encode("utf-8")[:-1] + b"\xff")
    elif how == "bom":
        data = b"\xef\xbb\xbf" + data
    elif how == "double_bom":
        data = b"\xef\xbb\xbf\xef\xbb\xbf" + data
    elif how == "nul":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + b"\x00" + data[at:]
    elif how == "cut":
        data = data[:draw(st.integers(0, len(data)))]
    elif how == "stray":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    elif how == "crlf":
        data = data.replace(b"\n", b"\r\n")
    elif how == "cr_only":
        data = data.replace(b"\n", b"\r")
    elif how == "double_line":
        lines = data.split(b"\n")
        i = draw(st.integers(1, max(len(lines) - 2, 1)))
        data = b"\n".join(lines[:i + 1] + lines[i:])
    elif how == "no_final_newline":
        data = data.rstrip(b"\n")
    else:
        data = b""
    return name, how, data


def _import(sources: dict[str, bytes], actor):
    """Import the book and roll it back; (None, stored text) if stored, (errors, None) if refused."""
    audits = AuditEvent.objects.count()
    stored = None

    class _Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            try:
                book_import(sources=sources, actor=actor)
            except BookRefused as refused:
                for model in BOOK_MODELS:
                    assert model.objects.count() == 0, f"{model.__name__} written on refusal"
                assert AuditEvent.objects.count() == audits
                return refused.errors, None
            stored = {
                "insured_name": set(Insured.objects.values_list("name", flat=True)),
                "segment": set(Policy.objects.values_list("segment", flat=True)),
                "profession": set(Policy.objects.values_list("profession", flat=True)),
                "cause": set(Claim.objects.values_list("cause", flat=True)),
                "claimant": set(Claim.objects.values_list("claimant", flat=True)),
            }
            raise _Rollback
    except _Rollback:
        pass
    assert not Policy.objects.exists()
    return None, stored


def _assert_clean(errors: list[str]) -> None:
    assert errors, "a refusal without a reason"
    for message in errors:
        assert MESSAGE.match(message) or re.match(r"^… and \d+ more$", message), message
        assert "Traceback" not in message


_SETTINGS = settings(max_examples=examples(30), deadline=None, database=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.mark.django_db
@_SETTINGS
@given(change=cell_changes())
def test_an_odd_cell_is_refused_cleanly_or_stored_as_text(actor, change):
    name, record, column, value = change
    rows = _rows(SMALL[name])
    rows[record][rows[0].index(column)] = value
    sources = {**SMALL, name: _csv(rows)}
    errors, stored = _import(sources, actor)
    if errors is not None:
        _assert_clean(errors)
        return
    # Stored: a text column keeps exactly the text given (stripped, the export escape undone);
    # a value the book format types (dates, amounts, flags) was accepted only if it is one.
    spec = SPECS[name]
    if column in stored and column in spec.text_columns:
        kept = text_uncell(value.strip())
        if kept and column != "insured_name":
            assert kept in stored[column], (column, value, stored[column])
    if value.strip() in FORMULAS and column in spec.numeric:
        pytest.fail(f"formula {value!r} accepted in the numeric column {name}:{column}")


@pytest.mark.django_db
@_SETTINGS
@given(damage=byte_damage())
def test_damaged_bytes_are_refused_cleanly_or_read_as_the_same_book(actor, damage):
    name, how, data = damage
    errors, stored = _import({**SMALL, name: data}, actor)
    # Bytes that are not UTF-8, a NUL, a doubled row (a duplicate id) and an empty file are refusals.
    must_refuse = how in ("nul", "double_line", "empty") or (
        how in ("utf-16", "cp1251", "latin-1-cyrillic") and data != SMALL[name])
    if errors is not None:
        _assert_clean(errors)
        if must_refuse:
            assert any(e.startswith(f"{name}:") for e in errors), errors
        return
    # Accepted only where the damage leaves the same CSV text (a BOM, CRLF, a missing last
    # newline) or rows that are themselves valid (a cut at a line end, stray bytes in a text).
    assert not must_refuse, how


@pytest.mark.django_db
@pytest.mark.parametrize("formula", FORMULAS)
def test_a_formula_in_a_text_column_is_stored_as_inert_text(actor, formula):
    rows = _rows(SMALL["claims.csv"])
    rows[1][rows[0].index("cause")] = formula
    errors, stored = _import({**SMALL, "claims.csv": _csv(rows)}, actor)
    assert errors is None, errors
    assert formula in stored["cause"]


@pytest.mark.django_db
@pytest.mark.parametrize("formula", FORMULAS)
def test_a_formula_in_an_amount_is_refused(actor, formula):
    rows = _rows(SMALL["claim_transactions.csv"])
    rows[2][rows[0].index("amount")] = formula
    errors, _ = _import({**SMALL, "claim_transactions.csv": _csv(rows)}, actor)
    assert errors is not None
    assert any(e.startswith("claim_transactions.csv:3: bad decimal in amount") for e in errors), errors
