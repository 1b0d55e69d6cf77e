"""The import's "does this id already exist" checks: one set-based query per file (issue 16),
a boolean per value, on SQLite and on PostgreSQL (where the values are COPYed into a probe table)."""
from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from exchange import selectors
from exchange.services import BookRefused, book_import, book_sources_from_dir
from policies.models import Insured, Policy, PremiumTransaction
from core.roles import system_actor
from tests.integration.exchange.bookfiles import FIXTURES, book_copy, cell_set, rows_read, rows_write

pytestmark = pytest.mark.django_db

P = "policies.csv"


def _loaded():
    book_import(sources=book_sources_from_dir(FIXTURES / "small"), actor=system_actor())


def test_existing_mask_is_false_everywhere_on_an_empty_table():
    assert selectors.existing_mask(Policy, "policy_number", ["P-001", "P-002"]).tolist() == [False, False]


def test_existing_mask_marks_each_value_present_in_any_column_form():
    _loaded()
    # Values a CSV stream must quote (comma, quote, newline), the empty string and a repeat.
    values = ["nope,1", "P-002", 'say "x"', "", "P-001", "line\nbreak", "P-002"]
    want = [False, True, False, False, True, False, True]
    assert selectors.existing_mask(Policy, "policy_number", values).tolist() == want
    assert selectors.existing_mask(Policy, "policy_number", pd.Series(values, dtype="str")).tolist() == want
    assert selectors.existing_mask(Policy, "policy_number", pa.array(values, pa.large_string())).tolist() == want
    assert selectors.existing_mask(Policy, "policy_number", []).tolist() == []


def test_existing_values_and_originals_ids_agree_with_the_table():
    _loaded()
    assert selectors.policy_numbers_existing(["P-003", "X-1", "P-001"]) == {"P-001", "P-003"}
    assert selectors.premium_ids_existing(iter(["P-001-P1", "P-009-P1"])) == {"P-001-P1"}
    assert PremiumTransaction.objects.filter(transaction_id="P-001-P1").exists()


def test_insured_ids_by_name_gives_the_first_insured_of_each_name():
    _loaded()
    anna = Insured.objects.get(name="Anna Petrova")
    Insured.objects.create(name="Anna Petrova", kind="person")  # a later namesake
    assert selectors.insured_ids_by_name(["Anna Petrova", "Nobody", "Anna Petrova"]) == {"Anna Petrova": anna.pk}


def test_a_second_book_reuses_insureds_and_refuses_an_original_id_already_taken(tmp_path):
    _loaded()
    book = book_copy(tmp_path)
    for path in book.iterdir():
        if path.name != P:
            path.unlink()
    # Renumbered policies (new numbers), the first naming the original premium id of P-001.
    rows = rows_read(book / P)
    rows = [rows[0] + ["original_transaction_id"]] + [[r[0].replace("P-", "Q-"), *r[1:], ""] for r in rows[1:]]
    rows_write(book / P, rows)
    cell_set(book, P, 2, "original_transaction_id", "P-001-P1")
    with pytest.raises(BookRefused) as refused:
        book_import(sources=book_sources_from_dir(book), actor=system_actor())
    assert refused.value.errors == ["policies.csv:2: premium transaction id P-001-P1 already exists in the database"]
    cell_set(book, P, 2, "original_transaction_id", "")
    insureds = Insured.objects.count()
    book_import(sources=book_sources_from_dir(book), actor=system_actor())
    assert Insured.objects.count() == insureds  # every name was already an insured
    assert Policy.objects.get(policy_number="Q-001").insured.name == "Anna Petrova"


def test_a_generated_id_equal_to_an_id_of_the_file_refuses_the_row_that_generates_it(tmp_path):
    # C-003-2 closes C-003 with 5,000,000 indemnity outstanding: the import posts the release
    # C-003-2-INDEMNITY, which is here already the id of another row of the file (line 10).
    book = book_copy(tmp_path)
    cell_set(book, "claim_transactions.csv", 10, "transaction_id", "C-003-2-INDEMNITY")
    with pytest.raises(BookRefused) as refused:
        book_import(sources=book_sources_from_dir(book), actor=system_actor())
    assert refused.value.errors == [
        "claim_transactions.csv:14: generated transaction id C-003-2-INDEMNITY is already used in the book"]
