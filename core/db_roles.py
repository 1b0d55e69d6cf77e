"""The database role the application connects as (issue 14 §3): it owns no table.

The append-only triggers protect the ledgers from UPDATE and DELETE, but a table's owner can
still disable or drop a trigger, TRUNCATE, or ALTER the table. So migrations run as the owner,
and the web, worker and beat processes connect as a role that was only granted what the
application does: read and write the ordinary tables, only SELECT and INSERT on the append-only
ones (found by their triggers, so a new ledger is covered when its migration adds the trigger),
and the sequences. `manage.py db_app_role ROLE` creates and grants it; with
settings.DATABASE_APP_ROLE set, every `migrate` re-grants, so new tables are covered.
PostgreSQL only; on SQLite there are no roles and nothing is done.
"""
from __future__ import annotations

from django.db import connection as default_connection

APPEND_ONLY_TRIGGER_SUFFIX = "_append_only"


def append_only_tables(connection=default_connection) -> list[str]:
    """The tables carrying the append-only trigger (core.append_only)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND t.tgname = c.relname || %s ORDER BY 1", [APPEND_ONLY_TRIGGER_SUFFIX])
        return [row[0] for row in cursor.fetchall()]


def app_role_grant(role: str, *, password: str | None = None, connection=default_connection) -> dict:
    """Create `role` (LOGIN, no other attribute) when missing, and grant it exactly what the
    application needs in the current schema. Run as the tables' owner. Idempotent. Returns what
    was done, for the command to print."""
    if connection.vendor != "postgresql":
        return {"role": role, "skipped": f"{connection.vendor} has no roles"}
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls FROM pg_roles WHERE rolname = %s",
                       [role])
        found = cursor.fetchone()
        if found is None:
            cursor.execute(f"CREATE ROLE {q(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS")
        elif found[0]:
            raise ValueError(f"role {role} is a superuser or may create roles or databases; the application's "
                             f"role must not")
        if password:
            cursor.execute(f"ALTER ROLE {q(role)} PASSWORD %s", [password])
        cursor.execute("SELECT current_schema(), current_user")
        schema, owner = cursor.fetchone()
        if owner == role:
            raise ValueError(f"role {role} is the one connected: run this as the tables' owner")
        cursor.execute(f"SELECT count(*) FROM pg_tables WHERE schemaname = %s AND tableowner = %s", [schema, role])
        if cursor.fetchone()[0]:
            raise ValueError(f"role {role} owns tables in {schema}; the application's role must own none")
        s = q(schema)
        cursor.execute(f"GRANT USAGE ON SCHEMA {s} TO {q(role)}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {q(role)}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {q(role)}")
        ledgers = append_only_tables(connection)
        for table in ledgers:
            cursor.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {q(table)} FROM {q(role)}")
        # tables created by later migrations (run by this owner) are granted as well; the
        # post_migrate hook then takes UPDATE and DELETE off any new ledger
        cursor.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {q(role)}")
        cursor.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT USAGE, SELECT ON SEQUENCES TO {q(role)}")
    return {"role": role, "created": found is None, "schema": schema, "owner": owner, "append_only": ledgers}


def grant_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate (once, for core): re-grant settings.DATABASE_APP_ROLE when it is set."""
    from django.conf import settings
    from django.db import connections

    role = getattr(settings, "DATABASE_APP_ROLE", "")
    if role and connections[using].vendor == "postgresql":
        app_role_grant(role, connection=connections[using])
