"""anonymise_claims [--years N] [--today D] [--dry-run]: the retention of patients' data (issue
14 §4). Every claim closed N years or more ago (settings.CLAIM_RETENTION_YEARS by default) loses
its claimant's name and cause, in the claim and its history rows, as the system actor: one
transaction and one audit row a claim. Amounts and dates are untouched, so every reserve run
reproduces. Prints claim numbers only, never names."""
from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from claims.privacy import claims_anonymise_due, claims_due_for_anonymisation, retention_years
from core.errors import DomainError
from core.roles import system_actor


class Command(BaseCommand):
    help = "Anonymise claims closed longer than the retention (CLAIM_RETENTION_YEARS): claimant and cause erased."

    def add_arguments(self, parser):
        parser.add_argument("--years", type=int, default=None, help="the retention in years (default: the setting)")
        parser.add_argument("--today", type=date.fromisoformat, default=None, help="count the years back from this "
                                                                                 "date (default: today)")
        parser.add_argument("--dry-run", action="store_true", help="list the claims due; change nothing")

    def handle(self, *args, years, today, dry_run, **options):
        try:
            years = retention_years() if years is None else years
            if years < 1:
                raise DomainError(f"--years must be at least 1, not {years}")
            if dry_run:
                numbers = list(claims_due_for_anonymisation(today=today, years=years)
                               .values_list("claim_number", flat=True))
            else:
                numbers = claims_anonymise_due(actor=system_actor(), today=today, years=years)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        for number in numbers:
            self.stdout.write(number)
        verb = "due for anonymisation" if dry_run else "anonymised"
        self.stdout.write(f"{len(numbers)} claim(s) closed {years}+ years ago {verb}")
