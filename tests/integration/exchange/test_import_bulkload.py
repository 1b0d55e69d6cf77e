"""The bulk load on PostgreSQL (exchange/bookio/write.bulk_load): a book larger than what a table
holds is loaded without the table's secondary indexes and inner foreign keys, rebuilt after;
the schema comes out as it went in, the ledgers' append-only triggers stay, and a failure
rolls the drops back with the rows."""
from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from claims.models import Claim, ClaimTransaction
from core.roles import system_actor
from exchange.bookio import write
from exchange.services import book_import, book_sources_from_dir
from policies.models import Insured, Policy, PremiumTransaction
from tests.integration.exchange.bookfiles import FIXTURES

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

MODELS = (Insured, Insured.history.model, Policy, Policy.history.model, PremiumTransaction, Claim,
          Claim.history.model, ClaimTransaction)


def _schema() -> dict:
    """Every index, constraint and trigger (with its enabled state) of the book's tables."""
    tables = [m._meta.db_table for m in MODELS]
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)", [tables])
        indexes = set(cursor.fetchall())
        cursor.execute("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated "
                       "FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s)", [tables])
        constraints = set(cursor.fetchall())
        cursor.execute("SELECT tgrelid::regclass::text, tgname, tgenabled FROM pg_trigger "
                       "WHERE tgrelid::regclass::text = ANY(%s) AND NOT tgisinternal", [tables])
        triggers = set(cursor.fetchall())
        cursor.execute("SELECT c.conname, t.tgenabled FROM pg_trigger t JOIN pg_constraint c ON c.oid = t.tgconstraint "
                       "WHERE t.tgrelid::regclass::text = ANY(%s)", [tables])
        constraint_triggers = sorted(cursor.fetchall())
    return {"indexes": indexes, "constraints": constraints, "triggers": triggers,
            "constraint_triggers": constraint_triggers}


@pytest.fixture
def rebuild_always(monkeypatch):
    """The small fixture book counts as large: every table is rebuilt."""
    monkeypatch.setattr(write, "REBUILD_MIN", 1)
    seen = []
    real = write.bulk_load

    def spy(sizes):
        manager = real(sizes)

        class Recorder:
            def __enter__(self):
                dropped = manager.__enter__()
                seen.append(dropped)
                return dropped

            def __exit__(self, *exc):
                return manager.__exit__(*exc)

        return Recorder()

    import exchange.services as services
    monkeypatch.setattr(services, "bulk_load", spy)
    return seen


def test_a_rebuilt_load_leaves_the_schema_as_it_was(rebuild_always):
    before = _schema()
    report = book_import(sources=book_sources_from_dir(FIXTURES / "small"), actor=system_actor())
    assert report.written["policies"] == 4
    assert _schema() == before
    dropped = rebuild_always[0]
    # secondary indexes and the foreign keys between the book's tables went, and came back
    assert "policies_policy_insured_id_7fc1a615_fk_policies_insured_id" in dropped
    assert "claims_claimtransaction_claim_id_a591db3f_fk_claims_claim_id" in dropped
    assert "policies_historicalpolicy_history_date_b3c9b710" in dropped
    assert all(not name.endswith("_pkey") and not name.endswith("_key") for name in dropped)
    # every constraint is validated, every constraint trigger enabled
    assert all(validated for *_, validated in _schema()["constraints"])
    assert {enabled for _, enabled in _schema()["constraint_triggers"]} == {"O"}


def test_the_ledgers_stay_append_only_after_a_rebuilt_load(rebuild_always):
    book_import(sources=book_sources_from_dir(FIXTURES / "small"), actor=system_actor())
    row = ClaimTransaction.objects.order_by("id").first()
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            ClaimTransaction.objects.filter(pk=row.pk).update(note="changed")
    premium = PremiumTransaction.objects.order_by("id").first()
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            PremiumTransaction.objects.filter(pk=premium.pk).delete()


def test_a_failure_after_the_load_rolls_the_drops_back(rebuild_always, monkeypatch):
    import exchange.services as services

    before = _schema()

    def fail(models):
        raise RuntimeError("after the load")

    monkeypatch.setattr(services, "tables_analyze", fail)
    with pytest.raises(RuntimeError, match="after the load"):
        book_import(sources=book_sources_from_dir(FIXTURES / "small"), actor=system_actor())
    assert _schema() == before
    assert not Policy.objects.exists() and not ClaimTransaction.objects.exists()


def test_an_orphan_value_of_a_kept_foreign_key_refuses_the_load(rebuild_always, monkeypatch):
    """The switched-off auth_user check is done by one query before COMMIT: a history row naming
    a user who does not exist fails the whole import like the row trigger would have."""
    import exchange.services as services

    real = services._history
    monkeypatch.setattr(services, "_history", lambda columns, ids, dates, actor_id: real(columns, ids, dates, 987654))
    before = _schema()
    with pytest.raises(DatabaseError, match="history_user_id"):
        book_import(sources=book_sources_from_dir(FIXTURES / "small"), actor=system_actor())
    assert _schema() == before
    assert not Policy.objects.exists()


def test_a_table_holding_more_rows_than_the_book_keeps_its_indexes(monkeypatch):
    """A second, smaller book into a full table: incremental index updates cost less there."""
    monkeypatch.setattr(write, "REBUILD_MIN", 1)
    book_import(sources=book_sources_from_dir(FIXTURES / "small"), actor=system_actor())
    with transaction.atomic():
        with write.bulk_load({Policy: 2}) as dropped:
            assert dropped == []
