"""The premium ledger, the claim ledger and the audit trail are append-only in PostgreSQL itself
(issue 14 §3, D-33): a trigger refuses every UPDATE and DELETE of their rows, whoever sends it
(raw SQL, the ORM), naming the table; INSERT — the services, reversals — works as before, and so
does TRUNCATE (`flush`, pytest-django between transactional tests).

PostgreSQL only (on SQLite the migrations do nothing): skipped on SQLite, a failure under
REQUIRE_SERVICES=1 (CI), which runs on PostgreSQL."""
from __future__ import annotations

import os
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from claims import services as claim_services
from claims.models import ClaimTransaction
from core.models import AuditEvent
from core.roles import system_actor
from policies import services as policy_services
from policies.models import PremiumTransaction
from tests.factories import ClaimFactory, PolicyFactory

D = Decimal
TABLES = {
    PremiumTransaction: "gross_premium = 0",
    ClaimTransaction: "amount = 0",
    AuditEvent: "verb = 'tampered'",
}
ORM_UPDATES = {
    PremiumTransaction: {"gross_premium": D("0")},
    ClaimTransaction: {"amount": D("0")},
    AuditEvent: {"new": {}},
}


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor == "postgresql":
        return
    reason = f"the ledger triggers exist on PostgreSQL only; this database is {connection.vendor}"
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _book():
    """A policy (original premium row + audit row) and a claim with a reserve (claim row + audit
    row), through the services."""
    policy = PolicyFactory(policy_number="P-IMM")
    ClaimFactory(policy=policy, claim_number="C-IMM", occurrence_date=date(2024, 3, 1),
                 report_date=date(2024, 3, 10), initial_reserve={"indemnity": D("5000")})


def _refused(sql: str, params=()) -> DatabaseError:
    """Run `sql` in a savepoint; return the database's refusal (the test transaction lives on)."""
    with pytest.raises(DatabaseError) as caught:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    return caught.value


def _assert_append_only_refusal(error: DatabaseError, table: str, operation: str) -> None:
    assert f"{table} is append-only: {operation} refused" in str(error)
    cause = error.__cause__
    assert cause.sqlstate == "42501"  # insufficient_privilege
    assert cause.diag.table_name == table


@pytest.mark.django_db
@pytest.mark.parametrize("model", list(TABLES), ids=lambda m: m._meta.db_table)
def test_raw_sql_update_is_refused_naming_the_table(model):
    _book()
    table = model._meta.db_table
    row = model.objects.order_by("id").first()
    before = model.objects.filter(pk=row.pk).values().get()
    error = _refused(f"UPDATE {connection.ops.quote_name(table)} SET {TABLES[model]} WHERE id = %s", [row.pk])
    _assert_append_only_refusal(error, table, "UPDATE")
    assert model.objects.filter(pk=row.pk).values().get() == before


@pytest.mark.django_db
@pytest.mark.parametrize("model", list(TABLES), ids=lambda m: m._meta.db_table)
def test_raw_sql_delete_is_refused_naming_the_table(model):
    _book()
    table = model._meta.db_table
    count = model.objects.count()
    error = _refused(f"DELETE FROM {connection.ops.quote_name(table)}")
    _assert_append_only_refusal(error, table, "DELETE")
    assert model.objects.count() == count > 0


@pytest.mark.django_db
@pytest.mark.parametrize("model", list(TABLES), ids=lambda m: m._meta.db_table)
def test_the_orm_cannot_update_or_delete_either(model):
    """QuerySet.update and .delete of a row nothing references (so Django's PROTECT collector
    lets the DELETE through to the database)."""
    _book()
    table = model._meta.db_table
    row = model.objects.order_by("id").first()
    with pytest.raises(DatabaseError) as update, transaction.atomic():
        model.objects.filter(pk=row.pk).update(**ORM_UPDATES[model])
    _assert_append_only_refusal(update.value, table, "UPDATE")
    with pytest.raises(DatabaseError) as delete, transaction.atomic():
        model.objects.filter(pk=row.pk).delete()
    _assert_append_only_refusal(delete.value, table, "DELETE")
    assert model.objects.filter(pk=row.pk).exists()


@pytest.mark.django_db
def test_inserts_still_work_through_the_services():
    _book()
    counts = {model: model.objects.count() for model in TABLES}
    original = PremiumTransaction.objects.get(policy__policy_number="P-IMM", kind="original")
    reversal = policy_services.premium_transaction_reverse(transaction=original, accounting_date=date(2024, 2, 1),
                                                           actor=system_actor())
    claim_row = ClaimTransaction.objects.get(claim__claim_number="C-IMM", kind="reserve")
    claim_services.claim_transaction_reverse(transaction=claim_row, accounting_date=date(2024, 3, 20),
                                             actor=system_actor())
    assert reversal.reverses_id == original.pk and reversal.gross_premium == -original.gross_premium
    assert PremiumTransaction.objects.count() == counts[PremiumTransaction] + 1
    assert ClaimTransaction.objects.filter(reverses=claim_row).count() == 1
    assert ClaimTransaction.objects.count() > counts[ClaimTransaction]
    assert AuditEvent.objects.count() == counts[AuditEvent] + 2


@pytest.mark.django_db
def test_the_triggers_guard_exactly_update_and_delete_of_each_row():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT event_object_table, event_manipulation, action_timing, action_orientation, trigger_name"
            " FROM information_schema.triggers WHERE trigger_name LIKE %s ORDER BY 1, 2",
            ["%\\_append\\_only"])
        rows = cursor.fetchall()
    expected = []
    for model in sorted(TABLES, key=lambda m: m._meta.db_table):
        table = model._meta.db_table
        expected += [(table, op, "BEFORE", "ROW", f"{table}_append_only") for op in ("DELETE", "UPDATE")]
    assert rows == expected


@pytest.mark.django_db(transaction=True)
def test_flush_truncates_the_protected_tables():
    """TRUNCATE fires no row trigger: `manage.py flush` (and pytest-django's flush after every
    transactional test) empties the ledgers and the audit trail."""
    _book()
    assert all(model.objects.exists() for model in TABLES)
    call_command("flush", interactive=False, verbosity=0)
    assert not any(model.objects.exists() for model in TABLES)
