"""Append-only tables in PostgreSQL (decision D-33): a BEFORE UPDATE OR DELETE row trigger that
calls `core_refuse_append_only_change()` (created by core migration 0004). The migrations of the
ledgers attach it with `append_only_operation`; on SQLite nothing is done. Kept outside the
migrations so that each ledger's migration is one line and the SQL exists once."""
from __future__ import annotations

from django.db import migrations

FUNCTION = "core_refuse_append_only_change"


def trigger_create(schema_editor, table: str) -> None:
    """BEFORE UPDATE OR DELETE, for each row, on `table`: refused by the function."""
    q = schema_editor.quote_name
    trigger_drop(schema_editor, table)
    schema_editor.execute(
        f"CREATE TRIGGER {q(table + '_append_only')} BEFORE UPDATE OR DELETE ON {q(table)} "
        f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()", params=None)


def trigger_drop(schema_editor, table: str) -> None:
    q = schema_editor.quote_name
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {q(table + '_append_only')} ON {q(table)}", params=None)


def append_only_operation(app_label: str, model_name: str) -> migrations.RunPython:
    """A migration operation making `app_label.model_name`'s table append-only (reversible)."""

    def table(apps) -> str:
        return apps.get_model(app_label, model_name)._meta.db_table

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            trigger_create(schema_editor, table(apps))

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            trigger_drop(schema_editor, table(apps))

    return migrations.RunPython(forwards, backwards)
