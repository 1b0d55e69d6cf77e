"""`book_loaded`: exit status 0 when the database holds a book (any policy), 1 when it is
empty. For scripts (`make demo`): ask the status, never parse a shell's output."""
from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from policies.models import Policy


class Command(BaseCommand):
    help = "Exit 0 if a book is loaded (the database has policies), 1 if not."

    def handle(self, *args, **opts):
        loaded = Policy.objects.exists()
        self.stdout.write("book loaded" if loaded else "no book loaded")
        sys.exit(0 if loaded else 1)
