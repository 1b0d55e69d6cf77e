"""export → import into an empty book → export gives byte-identical files."""
from __future__ import annotations

import filecmp
import json

import pytest
from django.db import connection, transaction

from exchange.services import book_export, book_import, book_sources_from_dir
from policies.models import Policy
from tests.integration.exchange.bookfiles import FIXTURES, book_copy, cell_set
from core.roles import system_actor

FILES = ("policies.csv", "premium_transactions.csv", "claims.csv", "claim_transactions.csv", "book.json")


class _Rollback(Exception):
    pass


def _export_of(book, out, **kwargs) -> None:
    """Import `book` into the (empty) database, export to `out`, then roll the import back."""
    try:
        with transaction.atomic():
            book_import(sources=book_sources_from_dir(book), **{"actor": system_actor(), **kwargs})
            book_export(directory=out, actor=system_actor())
            raise _Rollback
    except _Rollback:
        pass
    assert not Policy.objects.exists()


def _assert_round_trip(book, tmp_path, **kwargs) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    _export_of(book, first, **kwargs)
    _export_of(first, second)
    match, mismatch, errors = filecmp.cmpfiles(first, second, FILES, shallow=False)
    assert (mismatch, errors) == ([], []), (first / mismatch[0]).read_text() if mismatch else errors
    assert sorted(match) == sorted(FILES)


@pytest.mark.django_db
def test_export_import_export_is_byte_identical(tmp_path):
    _assert_round_trip(FIXTURES / "small", tmp_path)


@pytest.mark.django_db
def test_round_trip_keeps_reversals_recorded_at_and_topups(tmp_path):
    book = book_copy(tmp_path)
    cell_set(book, "claim_transactions.csv", 9, "amount", "120000.00")
    _assert_round_trip(book, tmp_path, allow_topup=True)
    text = (tmp_path / "second" / "claim_transactions.csv").read_text()
    assert "C-001-6,C-001,2024-03-05,reversal,indemnity,50000.00," in text
    assert "2024-03-01T12:00:00.250000+03:00" in text
    assert "C-002-2-TOPUP" in text
    # Derived reserve changes of a close are re-created on import, never exported.
    assert "-INDEMNITY" not in text


@pytest.mark.django_db
def test_export_writes_book_json_with_the_last_accounting_date(tmp_path):
    _export_of(FIXTURES / "small", tmp_path / "out")
    assert json.loads((tmp_path / "out" / "book.json").read_text()) == {"end_date": "2024-07-01", "format_version": 1}


@pytest.mark.django_db
def test_export_writes_the_original_premium_back_into_policies(tmp_path):
    _export_of(FIXTURES / "small", tmp_path / "out")
    policies = (tmp_path / "out" / "policies.csv").read_text().splitlines()
    assert policies[1].startswith("P-001,Anna Petrova,midwife,3,individual_occurrence,occurrence,,RUB,"
                                  "2023-01-01,2023-12-31,2022-12-20,1000000.00,2000000.00,10000.00,,12000.00,1200.00,")
    # IRR amounts are whole rials.
    assert ",45000000,4500000," in policies[3]
    premiums = (tmp_path / "out" / "premium_transactions.csv").read_text()
    assert "original" not in premiums


@pytest.mark.services
@pytest.mark.django_db
def test_round_trip_on_postgresql_uses_copy(tmp_path, monkeypatch):
    assert connection.vendor == "postgresql"
    from exchange.bookio import write

    copied = []
    real_copy = write._copy
    monkeypatch.setattr(write, "_copy", lambda model, *a: (copied.append(model._meta.db_table), real_copy(model, *a)))
    _assert_round_trip(FIXTURES / "small", tmp_path)
    assert "claims_claimtransaction" in copied and "claims_historicalclaim" in copied
    # the policies' history is filled from the policy rows in the database (INSERT … SELECT)
    assert "policies_policy" in copied and "policies_historicalpolicy" not in copied


@pytest.mark.django_db
def test_text_with_newline_tab_and_backslash_round_trips(tmp_path):
    """Runs on both writers; on PostgreSQL it checks the COPY text escaping."""
    book = book_copy(tmp_path)
    cell_set(book, "claims.csv", 2, "cause", "birth injury\nsecond line\twith a tab and a \\N backslash")
    _assert_round_trip(book, tmp_path)

    first = tmp_path / "first"
    assert "second line\twith a tab and a \\N backslash" in (first / "claims.csv").read_text()
