"""The audit trail is append-only in the database (issue 14 §3, decision D-33).

On PostgreSQL: one trigger function, `core_refuse_append_only_change()`, that refuses the row
operation it fires for (SQLSTATE 42501, insufficient_privilege; the message, and the error's
schema and table fields, name the table and the operation), and a BEFORE UPDATE OR DELETE ...
FOR EACH ROW trigger on core_auditevent. The premium and claim ledgers attach the same function
(policies 0002, claims 0002).

INSERT is untouched, and so is TRUNCATE (row triggers do not fire for it): `manage.py flush`
and pytest-django's flush between transactional tests keep working. On SQLite nothing is done.
"""
from django.db import migrations

from core.append_only import FUNCTION, trigger_create, trigger_drop

CREATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME,
              HINT = 'Corrections are new rows (a reversal naming the row it reverses); nothing is updated or deleted.';
END;
$$
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION, params=None)
    trigger_create(schema_editor, apps.get_model("core", "AuditEvent")._meta.db_table)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    trigger_drop(schema_editor, apps.get_model("core", "AuditEvent")._meta.db_table)
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()", params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0003_audit_verb_apriori"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
