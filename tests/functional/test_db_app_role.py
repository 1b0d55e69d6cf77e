"""The application's database role owns no table (issue 14 §3): created and granted by
`db_app_role`, it runs a reserve run end to end, and it cannot UPDATE, DELETE or TRUNCATE a
ledger, disable or drop its trigger, or drop a table — what the tables' owner could."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from core.db_roles import app_role_grant, append_only_tables
from tests.integration.reserving.runbook import make_book

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
ROLE = f"medmal_app_t{os.getpid()}"


def _url(role: str) -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{role}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{connection.settings_dict['NAME']}"


@pytest.fixture
def app_role():
    yield ROLE
    with connection.cursor() as cursor:
        cursor.execute(f'DROP OWNED BY "{ROLE}"')
        cursor.execute(f'DROP ROLE IF EXISTS "{ROLE}"')


def _refused(sql: str) -> str:
    with psycopg.connect(_url(ROLE), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as exc:
            conn.execute(sql)
    return str(exc.value)


def test_the_application_role_runs_the_book_and_cannot_touch_a_ledger(app_role):
    out = StringIO()
    call_command("db_app_role", ROLE, stdout=out)
    assert f"{ROLE}: created" in out.getvalue()
    assert append_only_tables() == ["claims_claimtransaction", "core_auditevent", "policies_premiumtransaction"]
    assert "insert-only: claims_claimtransaction, core_auditevent, policies_premiumtransaction" in out.getvalue()
    call_command("db_app_role", ROLE, stdout=out)  # idempotent
    assert f"{ROLE}: exists" in out.getvalue()

    # the application, connected as the role: a book posted, a run computed, its audit rows written
    make_book(seed=95, policies=30, recorded_at=timezone.now() - timedelta(days=1))
    env = {k: v for k, v in os.environ.items() if k != "CELERY_BROKER_URL"}
    env["DATABASE_URL"] = _url(ROLE)
    done = subprocess.run([sys.executable, "manage.py", "reserve_run", "--valuation-date", "2024-12-31", "--json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    run = json.loads(done.stdout)
    assert run["status"] == "computed" and len(run["segments"]) == 3

    with psycopg.connect(_url(ROLE), autocommit=True) as conn:  # it reads and inserts a ledger
        assert conn.execute("SELECT count(*) FROM claims_claimtransaction").fetchone()[0] > 0
        assert conn.execute("SELECT current_user").fetchone()[0] == ROLE
    for table in ("claims_claimtransaction", "policies_premiumtransaction", "core_auditevent"):
        assert "permission denied" in _refused(f"DELETE FROM {table}")
        assert "permission denied" in _refused(f"UPDATE {table} SET id = id")
        assert "permission denied" in _refused(f"TRUNCATE {table}")
        assert "must be owner" in _refused(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
        assert "must be owner" in _refused(f"DROP TRIGGER {table}_append_only ON {table}")
    assert "must be owner" in _refused("DROP TABLE policies_policy")
    with psycopg.connect(_url(ROLE), autocommit=True) as conn:  # ordinary tables stay writable
        conn.execute("UPDATE policies_policy SET policy_number = policy_number WHERE false")


def test_a_role_that_owns_tables_or_may_create_roles_is_refused():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
    with pytest.raises(ValueError, match="superuser or may create roles"):
        app_role_grant(owner)  # the owner here (postgres) is a superuser: never the application's role
