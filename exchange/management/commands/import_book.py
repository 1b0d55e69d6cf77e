"""import_book DIR [--allow-topup] [--allow-new-segments] [--recorded-at TIMESTAMP]: load a whole
book, all or nothing."""
from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from exchange.bookio.write import Progress
from exchange.services import BookRefused, book_import, book_sources_from_dir
from core.errors import DomainError
from core.roles import system_actor


class Command(BaseCommand):
    help = "Import a book in the exchange format (design.md §5); any bad row rejects the whole book."

    def add_arguments(self, parser):
        parser.add_argument("directory")
        parser.add_argument("--allow-topup", action="store_true",
                            help="post a flagged reserve top-up before a payment that exceeds the reserve")
        parser.add_argument("--recorded-at", help="ISO 8601 timestamp with offset for rows the files give none")
        parser.add_argument("--allow-new-segments", action="store_true",
                            help="add a policy's segment code the segment table and segments.csv lack (code only) "
                                 "instead of refusing the row")

    def handle(self, *args, directory, allow_topup, recorded_at, allow_new_segments=False, **options):
        when = None
        if recorded_at:
            try:
                when = datetime.fromisoformat(recorded_at)
            except ValueError as exc:
                raise CommandError(f"--recorded-at {recorded_at!r} is not an ISO 8601 timestamp") from exc
            if when.tzinfo is None:
                raise CommandError("--recorded-at needs an offset, e.g. 2024-03-31T18:00:00+03:00")
        try:
            report = book_import(sources=book_sources_from_dir(directory), allow_topup=allow_topup, actor=system_actor(),
                                 recorded_at=when, progress=Progress(), allow_new_segments=allow_new_segments)
        except BookRefused as exc:
            for line in exc.errors:
                self.stderr.write(line)
            raise CommandError(exc.message) from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        for line in report.lines():
            self.stdout.write(line)
