"""Every kind of bad row refuses the whole book with `file:line: reason`, and nothing is written."""
from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from claims.models import Claim, ClaimTransaction
from core.models import AuditEvent
from exchange.services import BookRefused, book_import, book_sources_from_dir
from policies.models import Insured, Policy, PremiumTransaction
from tests.integration.exchange.bookfiles import FIXTURES, book_copy, cell_set, column_drop, row_append
from core.roles import system_actor

pytestmark = pytest.mark.django_db

P, PT, C, CT = "policies.csv", "premium_transactions.csv", "claims.csv", "claim_transactions.csv"


def _nothing_written():
    for model in (Insured, Policy, PremiumTransaction, Claim, ClaimTransaction, AuditEvent):
        assert model.objects.count() == 0, model


def _refusals(book) -> list[str]:
    with pytest.raises(BookRefused) as refused:
        book_import(sources=book_sources_from_dir(book), actor=system_actor())
    _nothing_written()
    return refused.value.errors


def _assert_refused(book, prefix: str, reason: str) -> None:
    errors = _refusals(book)
    hits = [e for e in errors if e.startswith(prefix)]
    assert hits, errors
    assert any(reason in e for e in hits), errors


CELL_CASES = [
    # (id, file, line, column, value, expected prefix, reason fragment)
    ("bad_date", P, 2, "inception_date", "2023-13-01", "policies.csv:2: ", "bad date in inception_date"),
    ("unpadded_date", P, 2, "issue_date", "2022-1-5", "policies.csv:2: ", "bad date in issue_date"),
    ("bad_decimal", P, 3, "gross_premium", "50,000", "policies.csv:3: ", "bad decimal in gross_premium"),
    ("bad_amount", CT, 4, "amount", "5k", "claim_transactions.csv:4: ", "bad decimal in amount"),
    ("too_many_decimals_for_irr", CT, 13, "amount", "5000000.5", "claim_transactions.csv:13: ",
     "more decimals than IRR allows"),
    ("unknown_currency", P, 2, "currency", "XYZ", "policies.csv:2: ", "unknown currency 'XYZ'"),
    ("bad_boolean", C, 2, "litigated", "yes", "claims.csv:2: ", "bad boolean in litigated"),
    ("unknown_policy", C, 2, "policy_number", "P-999", "claims.csv:2: ", "unknown policy P-999"),
    ("unknown_policy_of_premium_row", PT, 4, "policy_number", "P-999", "premium_transactions.csv:4: ",
     "unknown policy P-999"),
    ("unknown_claim", CT, 2, "claim_number", "C-999", "claim_transactions.csv:2: ", "unknown claim C-999"),
    ("expiry_before_inception", P, 4, "expiry_date", "2023-05-01", "policies.csv:4: ",
     "expiry date 2023-05-01 is before the inception date"),
    ("claims_made_without_retro", P, 3, "retro_date", "", "policies.csv:3: ", "claims-made cover needs a retro date"),
    ("retro_after_inception", P, 3, "retro_date", "2023-04-01", "policies.csv:3: ", "retro date 2023-04-01 is after"),
    ("report_before_occurrence", C, 4, "report_date", "2023-06-20", "claims.csv:4: ",
     "report date 2023-06-20 is before the occurrence date"),
    ("occurrence_outside_cover", C, 2, "occurrence_date", "2022-12-01", "claims.csv:2: ",
     "occurrence date 2022-12-01 is outside the cover window"),
    ("claims_made_occurrence_before_retro", C, 3, "occurrence_date", "2019-06-01", "claims.csv:3: ",
     "before the retro date"),
    ("claims_made_report_outside_window", C, 3, "report_date", "2024-03-15", "claims.csv:3: ",
     "report date 2024-03-15 is outside the cover window"),
    ("row_before_report_date", CT, 2, "accounting_date", "2023-07-01", "claim_transactions.csv:2: ",
     "before the report date 2023-08-01"),
    ("payment_beyond_reserve", CT, 9, "amount", "120000.00", "claim_transactions.csv:9: ",
     "exceeds the outstanding indemnity estimate"),
    ("recovery_beyond_paid", CT, 10, "amount", "90000.00", "claim_transactions.csv:10: ",
     "recovery 90,000.00 exceeds the indemnity paid"),
    ("reversal_of_unknown_row", CT, 7, "reverses", "C-001-99", "claim_transactions.csv:7: ", "'C-001-99'"),
    ("reversal_with_wrong_amount", CT, 7, "amount", "40000.00", "claim_transactions.csv:7: ",
     "is not the negated amount"),
    ("premium_reversal_with_wrong_amount", PT, 3, "gross_premium", "-5000.00", "premium_transactions.csv:3: ",
     "not the negated amount"),
    ("duplicate_policy_number", P, 5, "policy_number", "P-001", "policies.csv:5: ",
     "duplicate policy_number P-001 (first on line 2)"),
    ("duplicate_claim_transaction_id", CT, 3, "transaction_id", "C-001-1", "claim_transactions.csv:3: ",
     "duplicate transaction_id C-001-1 (first on line 2)"),
    ("duplicate_claim_number", C, 4, "claim_number", "C-001", "claims.csv:4: ", "duplicate claim_number C-001"),
    ("premium_id_clashes_with_an_original", PT, 2, "transaction_id", "P-001-P1", "premium_transactions.csv:2: ",
     "already the original premium"),
    ("unknown_claim_kind", CT, 4, "kind", "payout", "claim_transactions.csv:4: ", "unknown kind 'payout'"),
    ("unknown_cost_type", CT, 4, "cost_type", "legal", "claim_transactions.csv:4: ", "unknown cost_type 'legal'"),
    ("unknown_premium_kind", PT, 2, "kind", "refund", "premium_transactions.csv:2: ", "unknown kind 'refund'"),
    ("unknown_basis", P, 2, "basis", "occurence", "policies.csv:2: ", "unknown basis 'occurence'"),
    ("bad_timestamp", CT, 2, "recorded_at", "2023-08-01 noon", "claim_transactions.csv:2: ", "bad timestamp"),
    ("timestamp_without_offset", CT, 2, "recorded_at", "2023-08-01T12:00:00", "claim_transactions.csv:2: ",
     "with offset"),
    ("close_with_amount", CT, 11, "amount", "1.00", "claim_transactions.csv:11: ", "carries no cost_type and no amount"),
    ("negative_original_premium", P, 2, "gross_premium", "-1.00", "policies.csv:2: ", "is negative"),
    ("deductible_percent_over_100", P, 3, "deductible_percent", "120", "policies.csv:3: ", "outside 0–100"),
    ("risk_group_out_of_range", P, 2, "risk_group", "7", "policies.csv:2: ", "risk group 7 is outside 1–4"),
    ("endorsement_outside_cover", PT, 2, "effective_date", "2024-06-01", "premium_transactions.csv:2: ",
     "outside the cover window"),
    ("cancellation_with_positive_premium", PT, 4, "gross_premium", "6500.00", "premium_transactions.csv:4: ",
     "same sign"),
]


@pytest.mark.parametrize("file,line,column,value,prefix,reason", [c[1:] for c in CELL_CASES],
                         ids=[c[0] for c in CELL_CASES])
def test_bad_row_refuses_the_book(tmp_path, file, line, column, value, prefix, reason):
    book = book_copy(tmp_path)
    cell_set(book, file, line, column, value)
    _assert_refused(book, prefix, reason)


def test_payment_beyond_the_per_claim_limit_is_refused(tmp_path):
    book = book_copy(tmp_path)
    cell_set(book, CT, 8, "amount", "600000.00")  # C-002 reserve above its 500,000 limit
    cell_set(book, CT, 9, "amount", "550000.00")
    _assert_refused(book, "claim_transactions.csv:9: ", "per-claim limit 500,000.00")


def test_aggregate_limit_counts_across_the_claims_of_a_policy(tmp_path):
    book = book_copy(tmp_path)
    cell_set(book, P, 2, "aggregate_limit", "250000.00")
    row_append(book, C, {"claim_number": "C-004", "policy_number": "P-001", "occurrence_date": "2023-02-01",
                         "report_date": "2023-03-01", "cause": "x", "litigated": "false"})
    row_append(book, CT, {"transaction_id": "C-004-1", "claim_number": "C-004", "accounting_date": "2023-03-01",
                          "kind": "reserve", "cost_type": "indemnity", "amount": "100000.00"})
    line = row_append(book, CT, {"transaction_id": "C-004-2", "claim_number": "C-004",
                                 "accounting_date": "2024-04-01", "kind": "payment", "cost_type": "indemnity",
                                 "amount": "60000.00"})
    # C-001 pays 200,000 on 2024-03-01; C-004's 60,000 a month later breaks the 250,000 aggregate.
    _assert_refused(book, f"claim_transactions.csv:{line}: ", "remaining aggregate limit 50,000.00")


def test_reversal_of_a_close_is_refused(tmp_path):
    book = book_copy(tmp_path)
    line = row_append(book, CT, {"transaction_id": "C-003-3", "claim_number": "C-003",
                                 "accounting_date": "2023-09-01", "kind": "reversal", "reverses": "C-003-2"})
    _assert_refused(book, f"claim_transactions.csv:{line}: ", "cannot be reversed; reopen the claim instead")


def test_second_reversal_of_a_row_is_refused(tmp_path):
    book = book_copy(tmp_path)
    line = row_append(book, CT, {"transaction_id": "C-001-7", "claim_number": "C-001",
                                 "accounting_date": "2024-03-06", "kind": "reversal", "reverses": "C-001-4"})
    _assert_refused(book, f"claim_transactions.csv:{line}: ", "is already reversed")


def test_premium_row_reversed_twice_is_refused(tmp_path):
    book = book_copy(tmp_path)
    line = row_append(book, PT, {"transaction_id": "P-002-E1-R2", "policy_number": "P-002", "kind": "reversal",
                                 "accounting_date": "2023-07-01", "reverses": "P-002-E1"})
    _assert_refused(book, f"premium_transactions.csv:{line}: ", "already reversed")


def test_missing_column_is_reported_on_the_header_line(tmp_path):
    book = book_copy(tmp_path)
    column_drop(book, C, "litigated")
    _assert_refused(book, "claims.csv:1: ", "missing column litigated")


def test_row_with_a_wrong_number_of_fields_is_refused(tmp_path):
    book = book_copy(tmp_path)
    with open(book / C, "a") as handle:
        handle.write("C-009,P-001,2023-05-10\n")
    _assert_refused(book, "claims.csv:5: ", "expected 6 fields as in the header, got 3")


def test_line_numbers_are_physical_lines_when_a_field_spans_lines(tmp_path):
    book = book_copy(tmp_path)
    cell_set(book, C, 2, "cause", "birth injury\nsecond line of the description")
    # C-002 is now on physical line 4, C-003 on line 5.
    cell_set(book, C, 4, "litigated", "maybe")  # cell_set counts records: record 4 = C-003
    _assert_refused(book, "claims.csv:5: ", "bad boolean in litigated")


def test_duplicate_against_the_database_is_refused(tmp_path):
    book_import(sources=book_sources_from_dir(FIXTURES / "small"), actor=system_actor())
    before = {m: m.objects.count() for m in (Policy, PremiumTransaction, Claim, ClaimTransaction)}
    with pytest.raises(BookRefused) as refused:
        book_import(sources=book_sources_from_dir(FIXTURES / "small"), actor=system_actor())
    errors = refused.value.errors
    assert "policies.csv:2: policy P-001 already exists in the database" in errors
    assert any(e.startswith("claims.csv:2: claim C-001 already exists in the database") for e in errors)
    assert any(e.startswith("claim_transactions.csv:2: claim transaction id C-001-1 already exists") for e in errors)
    assert {m: m.objects.count() for m in before} == before


def test_all_errors_are_collected_up_to_the_cap(tmp_path):
    book = tmp_path / "many"
    book.mkdir()
    header = (FIXTURES / "small" / P).read_text().splitlines()[0]
    rows = [f"X-{i},Someone,nurse,1,seg,occurrence,,RUB,2023-01-01,2022-01-01,2023-01-01,,,,,10.00,1.00"
            for i in range(1500)]
    (book / P).write_text("\n".join([header, *rows]) + "\n")
    errors = _refusals(book)
    assert len(errors) == 1001
    assert errors[0].startswith("policies.csv:2: expiry date")
    assert errors[-1] == "… and 500 more"


def test_several_bad_rows_are_all_reported(tmp_path):
    book = book_copy(tmp_path)
    cell_set(book, P, 2, "currency", "XYZ")
    cell_set(book, C, 3, "litigated", "no")
    cell_set(book, CT, 13, "kind", "pay")
    errors = _refusals(book)
    for prefix in ("policies.csv:2: ", "claims.csv:3: ", "claim_transactions.csv:13: "):
        assert any(e.startswith(prefix) for e in errors), errors


def test_command_exits_non_zero_and_lists_the_errors(tmp_path, capsys):
    book = book_copy(tmp_path)
    cell_set(book, C, 2, "litigated", "yes")
    with pytest.raises(CommandError):
        call_command("import_book", str(book))
    assert "claims.csv:2: bad boolean in litigated" in capsys.readouterr().err
    _nothing_written()
