"""--allow-topup: a payment without enough reserve gets a flagged reserve top-up first; limits stay."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command

from claims.models import ClaimTransaction
from exchange.services import BookRefused, book_import, book_sources_from_dir
from tests.integration.exchange.bookfiles import book_copy, cell_set
from core.roles import system_actor

pytestmark = pytest.mark.django_db
CT = "claim_transactions.csv"


def _legacy_book(tmp_path):
    book = book_copy(tmp_path)
    cell_set(book, CT, 9, "amount", "120000.00")  # C-002 pays 120,000 on a 100,000 reserve
    return book


def test_payment_beyond_reserve_is_refused_without_allow_topup(tmp_path):
    with pytest.raises(BookRefused) as refused:
        book_import(sources=book_sources_from_dir(_legacy_book(tmp_path)), actor=system_actor())
    assert refused.value.errors[0].startswith("claim_transactions.csv:9: payment 120,000.00 exceeds")


def test_allow_topup_posts_a_flagged_reserve_before_the_payment(tmp_path):
    report = book_import(sources=book_sources_from_dir(_legacy_book(tmp_path)), allow_topup=True, actor=system_actor())
    assert report.topups == 1
    topup = ClaimTransaction.objects.get(topup=True)
    payment = ClaimTransaction.objects.get(transaction_id="C-002-2")
    assert (topup.transaction_id, topup.kind, topup.cost_type, topup.amount) == (
        "C-002-2-TOPUP", "reserve", "indemnity", Decimal("20000.00"))
    assert topup.id < payment.id
    assert (topup.accounting_date, topup.recorded_at) == (payment.accounting_date, payment.recorded_at)


def test_allow_topup_never_waives_a_limit(tmp_path):
    book = book_copy(tmp_path)
    cell_set(book, CT, 9, "amount", "550000.00")  # beyond P-002's 500,000 per-claim limit
    with pytest.raises(BookRefused) as refused:
        book_import(sources=book_sources_from_dir(book), allow_topup=True, actor=system_actor())
    assert refused.value.errors[0].startswith("claim_transactions.csv:9: ")
    assert "per-claim limit" in refused.value.errors[0]
    assert not ClaimTransaction.objects.exists()


def test_topup_rows_round_trip_as_flagged_reserve_rows(tmp_path):
    book_import(sources=book_sources_from_dir(_legacy_book(tmp_path)), allow_topup=True, actor=system_actor())
    out = tmp_path / "out"
    call_command("export_book", str(out))
    text = (out / CT).read_text()
    assert "C-002-2-TOPUP,C-002,2023-12-01,reserve,indemnity,20000.00," in text
    line = next(x for x in text.splitlines() if x.startswith("C-002-2-TOPUP,"))
    assert ",true," in line


def test_command_reports_the_topups(tmp_path, capsys):
    call_command("import_book", str(_legacy_book(tmp_path)), "--allow-topup")
    assert "reserve top-ups posted: 1" in capsys.readouterr().out
