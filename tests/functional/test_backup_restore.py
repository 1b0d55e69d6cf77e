"""Backups (issue 14 §7): the documented procedure (docs/operations.md, scripts/db_backup.sh and
scripts/db_restore.sh) restores a dump into a new database where an approved run reruns to the
same fingerprint and the same figures — the backup holds the book, its history and the runs."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connection
from django.utils import timezone

from reserving import services
from tests.integration.reserving.runbook import eager_celery, make_book  # noqa: F401 - fixture

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def _url(name: str) -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db.get('USER') or 'postgres'}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"


def _approved_run():
    services.ensure_roles()
    people = {}
    for role in ("actuary", "approver"):
        people[role] = User.objects.create_user(f"{role}-backup", is_staff=True)
        people[role].groups.add(Group.objects.get(name=role))
    make_book(seed=91, policies=60, recorded_at=timezone.now() - timedelta(days=1))
    run = services.run_create(valuation_date=date(2024, 12, 31), actor=people["actuary"])
    services.run_compute(run=run, actor=people["actuary"])
    run.refresh_from_db()
    for check in run.data_checks.filter(severity="warning"):
        services.run_check_acknowledge(check=check, actor=people["actuary"])
    services.run_submit(run=run, actor=people["actuary"])
    return services.run_approve(run=run, actor=people["approver"])


def _sh(*args: str, env: dict | None = None) -> str:
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{args[0]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.usefixtures("eager_celery")
def test_a_restored_backup_reruns_an_approved_run_to_the_same_fingerprint(tmp_path):
    run = _approved_run()
    assert run.status == "approved" and run.input_fingerprint
    live = _url(connection.settings_dict["NAME"])
    restored_name = f"{connection.settings_dict['NAME']}_restored"
    restored = _url(restored_name)
    dump = tmp_path / "book.dump"
    _sh("psql", _url("postgres"), "-qc", f'DROP DATABASE IF EXISTS "{restored_name}"')
    try:
        _sh("bash", "scripts/db_backup.sh", live, str(dump))
        assert dump.stat().st_size > 10_000
        _sh("bash", "scripts/db_restore.sh", str(dump), restored)
        # restoring over an existing database is refused, not merged
        again = subprocess.run(["bash", "scripts/db_restore.sh", str(dump), restored], cwd=ROOT,
                               capture_output=True, text=True, timeout=60)
        assert again.returncode == 1 and "exists" in again.stderr

        # the rerun in the restored database, by the command an operator would use (in-process tasks)
        env = {k: v for k, v in os.environ.items() if k != "CELERY_BROKER_URL"}
        env["DATABASE_URL"] = restored
        out = json.loads(_sh(sys.executable, "manage.py", "reserve_run", "--rerun", str(run.pk), "--json", env=env))
        assert out["rerun_of"] == run.pk and out["identical"] is True
        assert out["input_fingerprint"] == run.input_fingerprint
        original = {(s["segment"], s["currency"]): (s["upr"], s["rbns"], s["ibnr"], s["ulae"])
                    for s in services.selectors.run_as_dict(run=run)["segments"]}
        rerun = {(s["segment"], s["currency"]): (s["upr"], s["rbns"], s["ibnr"], s["ulae"]) for s in out["segments"]}
        assert rerun == original and len(rerun) == 3

        # the ledgers' append-only triggers came back with the rows
        refused = subprocess.run(["psql", restored, "-qc", "DELETE FROM claims_claimtransaction"],
                                 capture_output=True, text=True, timeout=60)
        assert refused.returncode != 0 and "append-only" in refused.stderr
    finally:
        subprocess.run(["psql", _url("postgres"), "-qc", f'DROP DATABASE IF EXISTS "{restored_name}"'],
                       capture_output=True, timeout=60)
