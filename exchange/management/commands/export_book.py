"""export_book DIR: write the book of record in the exchange format."""
from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from core.roles import system_actor
from exchange.services import book_export


class Command(BaseCommand):
    help = "Export the book of record in the exchange format (design.md §5)."

    def add_arguments(self, parser):
        parser.add_argument("directory")

    def handle(self, *args, directory, **options):
        started = time.monotonic()
        counts = book_export(directory=directory, actor=system_actor())
        seconds = time.monotonic() - started
        for name, n in counts.items():
            self.stdout.write(f"{name}: {n:,} rows")
        total = sum(counts.values())
        self.stdout.write(f"exported to {directory} in {seconds:,.1f} s ({total / max(seconds, 1e-6):,.0f} rows/s)")
