"""db_app_role ROLE [--password-env VAR]: create (when missing) the PostgreSQL role the web,
worker and beat processes connect as, and grant it what the application needs and no more:
it owns no table, cannot UPDATE, DELETE or TRUNCATE a ledger, cannot alter or drop a trigger.
Run as the tables' owner, after `migrate` (docs/operations.md)."""
from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError

from core.db_roles import app_role_grant


class Command(BaseCommand):
    help = "Create and grant the application's database role (owns no tables; ledgers insert-only)."

    def add_arguments(self, parser):
        parser.add_argument("role")
        parser.add_argument("--password-env", default="", help="set the role's password from this environment variable")

    def handle(self, *args, role, password_env, **options):
        password = None
        if password_env:
            password = os.environ.get(password_env)
            if not password:
                raise CommandError(f"{password_env} is not set")
        try:
            done = app_role_grant(role, password=password)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if "skipped" in done:
            self.stdout.write(f"{role}: nothing to do ({done['skipped']})")
            return
        self.stdout.write(f"{role}: {'created' if done['created'] else 'exists'}; granted on schema {done['schema']} "
                          f"(owner {done['owner']}); insert-only: {', '.join(done['append_only']) or 'none'}")
