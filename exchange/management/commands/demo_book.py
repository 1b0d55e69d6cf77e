"""`demo_book DIR --policies N --years Y --seed S [--truth] [--end-date YYYY-MM-DD]`: writes a
synthetic medmal book in the book-exchange format (exchange/demo/)."""
from __future__ import annotations

import time
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from exchange.demo import generate_book, write_book
from exchange.demo.params import DEFAULT_END_DATE


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--end-date wants YYYY-MM-DD, got {text!r}") from exc


class Command(BaseCommand):
    help = ("Write a synthetic, calibrated medmal book (policies, premium and claim ledgers) to DIR; "
            "the same seed gives byte-identical files.")

    def add_arguments(self, parser):
        parser.add_argument("directory")
        parser.add_argument("--policies", type=int, default=10_000,
                            help="policies over the whole book, renewals included (default 10000)")
        parser.add_argument("--years", type=int, default=5)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--truth", action="store_true", help="also write truth.csv (true ultimates)")
        parser.add_argument("--end-date", type=_date, default=None,
                            help=f"last accounting date of the book (default {DEFAULT_END_DATE})")

    def handle(self, *args, **opts):
        started = time.perf_counter()
        try:
            book = generate_book(policies=opts["policies"], years=opts["years"], seed=opts["seed"],
                                 end_date=opts["end_date"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        # fx_rates.csv: rates to the reporting currency this installation reports in
        counts = write_book(book, opts["directory"], truth=opts["truth"],
                            reporting_currency=settings.REPORTING_CURRENCY)
        for name, rows in counts.items():
            self.stdout.write(f"{name}: {rows} rows")
        self.stdout.write(f"book {book.start_date}..{book.end_date} written to {opts['directory']} "
                          f"in {time.perf_counter() - started:.1f} s")
