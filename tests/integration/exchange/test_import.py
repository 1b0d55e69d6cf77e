"""Importing a book: what a good book writes, and the services working on it afterwards."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from django.core.management import call_command

from claims.models import Claim, ClaimTransaction
from core.models import AuditEvent
from exchange.services import book_import, book_sources_from_dir
from policies.models import Insured, Policy, PremiumTransaction
from tests.integration.exchange.bookfiles import FIXTURES, book_copy, cell_set
from core.roles import system_actor

pytestmark = pytest.mark.django_db
SMALL = FIXTURES / "small"


def _import(book, **kwargs):
    kwargs.setdefault("actor", system_actor())
    return book_import(sources=book_sources_from_dir(book), **kwargs)


def test_small_book_writes_every_row_and_derives_status():
    report = _import(SMALL)
    assert report.rows_read == {"policies.csv": 4, "premium_transactions.csv": 3, "claims.csv": 3,
                                "claim_transactions.csv": 13}
    assert Policy.objects.count() == 4
    # Two policies of the same insured name share one insured.
    assert Insured.objects.count() == 3
    assert PremiumTransaction.objects.filter(kind="original").count() == 4
    original = PremiumTransaction.objects.get(transaction_id="P-001-P1")
    assert original.accounting_date == date(2022, 12, 20) and original.gross_premium == Decimal("12000.00")
    cancelled = Policy.objects.get(policy_number="P-004")
    assert (cancelled.status, cancelled.cancelled_on) == ("cancelled", date(2024, 7, 1))
    reversal = PremiumTransaction.objects.get(transaction_id="P-002-E1-R")
    assert reversal.reverses.transaction_id == "P-002-E1"
    assert (reversal.gross_premium, reversal.effect_kind) == (Decimal("-6000.00"), "endorsement")
    statuses = dict(Claim.objects.values_list("claim_number", "status"))
    assert statuses == {"C-001": "open", "C-002": "open", "C-003": "closed"}


def test_close_rows_recreate_the_derived_reserve_changes():
    report = _import(SMALL)
    derived = ClaimTransaction.objects.filter(derived=True).order_by("transaction_id")
    # C-002: 100,000 reserved − 80,000 paid = 20,000 taken out; C-003: 5,000,000.
    assert [(r.claim.claim_number, r.cost_type, r.amount) for r in derived] == [
        ("C-002", "indemnity", Decimal("-20000.00")), ("C-003", "indemnity", Decimal("-5000000.00"))]
    assert report.derived == 2
    close = ClaimTransaction.objects.get(transaction_id="C-003-2")
    assert all(r.id < close.id and r.recorded_at == close.recorded_at
               for r in derived.filter(claim__claim_number="C-003"))


def test_reversal_carries_the_negated_amount_and_effect_kind():
    _import(SMALL)
    reversal = ClaimTransaction.objects.get(transaction_id="C-001-6")
    assert (reversal.effect_kind, reversal.cost_type, reversal.amount) == ("reserve", "indemnity", Decimal("50000.00"))
    assert reversal.reverses.transaction_id == "C-001-4"


def test_recorded_at_from_the_file_is_kept_to_the_microsecond():
    _import(SMALL)
    row = ClaimTransaction.objects.get(transaction_id="C-001-5")
    assert row.recorded_at == datetime(2024, 3, 1, 9, 0, 0, 250000, tzinfo=timezone.utc)


def test_rows_without_recorded_at_take_the_given_import_time():
    when = datetime(2024, 12, 31, 18, 0, tzinfo=timezone.utc)
    _import(SMALL, recorded_at=when)
    assert PremiumTransaction.objects.get(transaction_id="P-001-P1").recorded_at == when
    # A row the file dates keeps its own time.
    assert PremiumTransaction.objects.get(transaction_id="P-004-C1").recorded_at != when


def test_import_writes_one_audit_row_with_counts():
    _import(SMALL)
    events = AuditEvent.objects.filter(verb="book.import")
    assert events.count() == 1
    assert events.get().new["written"]["claim_transactions"] == 15
    assert AuditEvent.objects.count() == 1


def test_imported_master_data_has_history_as_of_its_recorded_time():
    when = datetime(2023, 1, 1, tzinfo=timezone.utc)
    _import(SMALL, recorded_at=when)
    before = Policy.history.as_of(datetime(2022, 12, 31, tzinfo=timezone.utc))
    after = Policy.history.as_of(datetime(2023, 1, 2, tzinfo=timezone.utc))
    assert before.count() == 0
    assert sorted(p.policy_number for p in after) == ["P-001", "P-002", "P-003", "P-004"]
    # A claim appears in master data when its first ledger row was recorded.
    assert [c.claim_number for c in Claim.history.as_of(datetime(2023, 7, 21, tzinfo=timezone.utc))] == ["C-003"]


def test_claims_may_refer_to_policies_already_in_the_database(tmp_path):
    _import(SMALL)
    book = tmp_path / "more"
    book.mkdir()
    (book / "claims.csv").write_text(
        "claim_number,policy_number,occurrence_date,report_date,cause,litigated\n"
        "C-100,P-001,2023-09-01,2023-10-01,fall,false\n")
    (book / "claim_transactions.csv").write_text(
        "transaction_id,claim_number,accounting_date,kind,cost_type,amount\n"
        "C-100-1,C-100,2023-10-01,reserve,indemnity,1000.00\n")
    report = _import(book)
    assert report.written["claims"] == 1
    assert Claim.objects.get(claim_number="C-100").policy.policy_number == "P-001"


def test_aggregate_limit_counts_payments_already_in_the_database(tmp_path):
    book = book_copy(tmp_path)
    cell_set(book, "policies.csv", 2, "aggregate_limit", "250000.00")
    _import(book)  # C-001 pays 200,000 indemnity on P-001
    more = tmp_path / "more"
    more.mkdir()
    (more / "claims.csv").write_text(
        "claim_number,policy_number,occurrence_date,report_date,cause,litigated\n"
        "C-100,P-001,2023-09-01,2024-05-01,fall,false\n")
    (more / "claim_transactions.csv").write_text(
        "transaction_id,claim_number,accounting_date,kind,cost_type,amount\n"
        "C-100-1,C-100,2024-05-01,reserve,indemnity,100000.00\n"
        "C-100-2,C-100,2024-06-01,payment,indemnity,60000.00\n")
    from exchange.services import BookRefused

    with pytest.raises(BookRefused) as refused:
        _import(more)
    assert refused.value.errors[0].startswith("claim_transactions.csv:3: ")
    assert "aggregate limit" in refused.value.errors[0]


def test_services_still_work_on_an_imported_book():
    from claims import services as claim_services
    from policies import services as policy_services

    _import(SMALL)
    claim = Claim.objects.get(claim_number="C-001")
    # Imported ledger: indemnity 300,000 − 50,000 + 50,000 (reversal) − 200,000 paid = 100,000 outstanding.
    row = claim_services.claim_payment_post(claim=claim, cost_type="indemnity", amount=Decimal("100000.00"),
                                            accounting_date=date(2024, 6, 1), actor=system_actor())
    assert row.amount == Decimal("100000.00")
    with pytest.raises(Exception) as refused:
        claim_services.claim_payment_post(claim=claim, cost_type="indemnity", amount=Decimal("1.00"),
                                          accounting_date=date(2024, 6, 2), actor=system_actor())
    assert "outstanding" in str(refused.value)
    closed = Claim.objects.get(claim_number="C-003")
    claim_services.claim_reopen(claim=closed, accounting_date=date(2024, 6, 1), actor=system_actor())
    closed.refresh_from_db()
    assert closed.status == "open"
    policy = Policy.objects.get(policy_number="P-001")
    endorsement = policy_services.policy_endorse(policy=policy, effective_date=date(2023, 7, 1),
                                                 accounting_date=date(2023, 7, 1), gross_premium=Decimal("600.00"),
                                                 commission=Decimal("60.00"), actor=system_actor())
    assert endorsement.transaction_id == "P-001-P2"


def test_import_command_prints_the_report(capsys):
    call_command("import_book", str(SMALL))
    out = capsys.readouterr().out
    assert "claim_transactions.csv: 13 rows" in out
    assert "rows/s" in out
