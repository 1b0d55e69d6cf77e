"""Guards of the import found missing (defects 5, 15, 19): closed periods, values Python or the
database cannot hold, corrupt or oversized zips, and planner statistics after the bulk load."""
from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from claims.models import Claim, ClaimTransaction
from core.models import AuditEvent
from core.services import period_mark_closed
from exchange.services import BookRefused, book_import, book_sources_from_dir
from policies.models import Insured, Policy, PremiumTransaction
from tests.integration.exchange.bookfiles import FIXTURES, book_copy, cell_set, row_append

pytestmark = pytest.mark.django_db

P, PT, C, CT = "policies.csv", "premium_transactions.csv", "claims.csv", "claim_transactions.csv"
BOOK_MODELS = (Insured, Policy, PremiumTransaction, Claim, ClaimTransaction)


def _refusals(book, actor) -> list[str]:
    audits = AuditEvent.objects.count()
    with pytest.raises(BookRefused) as refused:
        book_import(sources=book_sources_from_dir(book), actor=actor)
    for model in BOOK_MODELS:
        assert model.objects.count() == 0, model
    assert AuditEvent.objects.count() == audits
    return refused.value.errors


# --- 5. the closed-period guard -------------------------------------------------------------

def test_rows_dated_in_a_closed_period_refuse_the_book(tmp_path, admin_user):
    period_mark_closed(label="2024Q4", actor=admin_user)
    book = book_copy(tmp_path)
    premium_line = row_append(book, PT, {
        "transaction_id": "P-001-E9", "policy_number": "P-001", "kind": "endorsement",
        "accounting_date": "2024-10-01", "effective_date": "2023-06-01", "gross_premium": "100.00",
        "commission": "10.00"})
    reserve_line = row_append(book, CT, {
        "transaction_id": "C-001-9", "claim_number": "C-001", "accounting_date": "2024-11-01",
        "kind": "reserve", "cost_type": "expense", "amount": "999999.00"})
    errors = _refusals(book, admin_user)
    assert f"{PT}:{premium_line}: accounting date 2024-10-01 falls in the closed period 2024Q4; " \
           "post the correction in an open period" in errors, errors
    assert f"{CT}:{reserve_line}: accounting date 2024-11-01 falls in the closed period 2024Q4; " \
           "post the correction in an open period" in errors, errors


def test_an_original_premium_issued_in_a_closed_period_refuses_the_book(tmp_path, admin_user):
    period_mark_closed(label="2022Q4", actor=admin_user)  # P-001 was issued on 2022-12-20
    errors = _refusals(book_copy(tmp_path), admin_user)
    assert any(e.startswith(f"{P}:2: issue_date 2022-12-20, the accounting date of the original premium, "
                            "falls in the closed period 2022Q4") for e in errors), errors


def test_close_and_its_derived_reserve_changes_in_a_closed_period_are_refused(tmp_path, admin_user):
    period_mark_closed(label="2024Q1", actor=admin_user)  # C-002-4 closes C-002 on 2024-02-01
    errors = _refusals(book_copy(tmp_path), admin_user)
    assert any(e.startswith(f"{CT}:11: accounting date 2024-02-01 falls in the closed period 2024Q1")
               for e in errors), errors


def test_a_closed_period_the_book_does_not_touch_does_not_stop_it(tmp_path, admin_user):
    period_mark_closed(label="2019Q4", actor=admin_user)
    book_import(sources=book_sources_from_dir(book_copy(tmp_path)), actor=admin_user)
    assert Policy.objects.count() == 4


# --- 15. values that raised a traceback -------------------------------------------------------

OUT_OF_RANGE = [
    # (id, file, line, column, value, reason fragment)
    ("inception_year_0", P, 2, "inception_date", "0000-01-01", "bad date in inception_date: '0000-01-01'"),
    ("issue_year_0", P, 2, "issue_date", "0000-01-01", "bad date in issue_date"),
    ("retro_year_0", P, 3, "retro_date", "0000-01-01", "bad date in retro_date"),
    ("premium_accounting_year_0", PT, 2, "accounting_date", "0000-01-01", "bad date in accounting_date"),
    ("premium_effective_year_0", PT, 2, "effective_date", "0000-01-01", "bad date in effective_date"),
    ("occurrence_year_0", C, 2, "occurrence_date", "0000-01-01", "bad date in occurrence_date"),
    ("claim_row_accounting_year_0", CT, 2, "accounting_date", "0000-01-01", "bad date in accounting_date"),
    ("timestamp_year_0", CT, 2, "recorded_at", "0000-01-01T00:00:00+00:00", "bad timestamp in recorded_at"),
    ("timestamp_before_year_1_in_utc", CT, 2, "recorded_at", "0001-01-01T00:00:00+03:00",
     "bad timestamp in recorded_at"),
    ("timestamp_after_year_9999_in_utc", CT, 2, "recorded_at", "9999-12-31T23:00:00-03:00",
     "bad timestamp in recorded_at"),
]


@pytest.mark.parametrize("file,line,column,value,reason", [c[1:] for c in OUT_OF_RANGE],
                         ids=[c[0] for c in OUT_OF_RANGE])
def test_a_date_python_cannot_hold_is_a_refusal_not_a_traceback(tmp_path, admin_user, file, line, column, value,
                                                                 reason):
    book = book_copy(tmp_path)
    cell_set(book, file, line, column, value)
    errors = _refusals(book, admin_user)
    assert any(e.startswith(f"{file}:{line}: ") and reason in e for e in errors), errors


@pytest.mark.parametrize("file,line,column", [(P, 2, "insured_name"), (C, 3, "cause"), (CT, 4, "amount")])
def test_a_nul_byte_is_a_refusal_not_a_traceback(tmp_path, admin_user, file, line, column):
    book = book_copy(tmp_path)
    cell_set(book, file, line, column, "Anna\x00Petrova")
    errors = _refusals(book, admin_user)
    assert f"{file}:{line}: {column} contains a NUL character" in errors, errors


def _zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _book_zip() -> bytes:
    return _zip_of({f"book/{p.name}": p.read_bytes() for p in sorted((FIXTURES / "small").glob("*.csv"))})


def _post_zip(client, data: bytes):
    upload = SimpleUploadedFile("book.zip", data, content_type="application/zip")
    return client.post(reverse("admin:exchange_import"), {"files": [upload]})


@pytest.mark.parametrize("corrupt", [
    pytest.param(lambda z: z[1:], id="first_byte_missing"),  # zipfile: "negative seek value -1"
    pytest.param(lambda z: z[:200] + b"\x00" * 50 + z[250:], id="deflate_stream_damaged"),
    pytest.param(lambda z: z[:-10], id="truncated"),
])
def test_a_corrupt_zip_is_a_form_error_and_writes_nothing(admin_client, corrupt):
    response = _post_zip(admin_client, corrupt(_book_zip()))
    assert response.status_code == 200
    assert "book.zip is not a readable zip archive" in response.content.decode(), "no form error shown"
    for model in BOOK_MODELS:
        assert model.objects.count() == 0, model


def test_a_zip_member_above_the_size_cap_is_refused_before_it_is_inflated(admin_client, settings):
    settings.BOOK_UPLOAD_MEMBER_MAX_BYTES = 1_000_000
    bomb = _zip_of({"policies.csv": b"policy_number\n" + b"0" * 5_000_000})  # ~5 kB compressed
    assert len(bomb) < 50_000
    response = _post_zip(admin_client, bomb)
    assert response.status_code == 200
    body = response.content.decode()
    assert "book.zip/policies.csv unpacks to 5,000,014 bytes, more than the 1,000,000 allowed" in body, "no form error shown"
    for model in BOOK_MODELS:
        assert model.objects.count() == 0, model


def test_a_zip_member_lying_about_its_size_is_still_capped(admin_client, settings):
    settings.BOOK_UPLOAD_MEMBER_MAX_BYTES = 1_000_000
    bomb = bytearray(_zip_of({"policies.csv": b"policy_number\n" + b"0" * 5_000_000}))
    # Declare 1,000 bytes in the local header and the central directory: the reader must not trust it.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = bomb.index(signature) + offset
        bomb[at:at + 4] = (1000).to_bytes(4, "little")
    response = _post_zip(admin_client, bytes(bomb))
    assert response.status_code == 200
    body = response.content.decode()
    assert "book.zip/policies.csv unpacks to more than the 1,000,000 bytes allowed" in body \
        or "book.zip is not a readable zip archive: Bad CRC-32" in body, "no refusal shown"
    for model in BOOK_MODELS:
        assert model.objects.count() == 0, model


def test_the_default_member_cap_is_finite():
    from exchange.admin import member_max_bytes

    assert 0 < member_max_bytes() <= 1 << 30


# --- 19. planner statistics after the bulk load --------------------------------------------------

@pytest.mark.services
def test_import_analyses_the_tables_it_wrote(admin_user):
    tables = [m._meta.db_table for m in (*BOOK_MODELS, Insured.history.model, Policy.history.model,
                                         Claim.history.model)]

    def analyze_counts() -> dict[str, int]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT relname, analyze_count FROM pg_stat_user_tables WHERE relname = ANY(%s)", [tables])
            return dict(cursor.fetchall())

    before = analyze_counts()
    book_import(sources=book_sources_from_dir(FIXTURES / "small"), actor=admin_user)
    after = analyze_counts()
    assert {t for t in tables if after[t] > before[t]} == set(tables)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [Policy._meta.db_table])
        assert cursor.fetchone()[0] == 4  # the planner knows the four policies of the book
