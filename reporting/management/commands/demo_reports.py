"""demo_reports --out DIR: every export of the latest approved run of the official regime."""
from pathlib import Path

from django.core.management.base import BaseCommand

from core.roles import system_actor

from reporting import selectors
from reporting.services import FORMATS, report_export


class Command(BaseCommand):
    help = "Write every export of the latest approved run (used by make demo)"

    def add_arguments(self, parser):
        parser.add_argument("--out", default="var/exports")

    def handle(self, *args, **opts):
        runs = selectors.latest_approved_by_quarter()
        if not runs:
            self.stdout.write("no approved run: no exports written")
            return
        run = runs[-1]
        out = Path(opts["out"])
        out.mkdir(parents=True, exist_ok=True)
        for fmt in FORMATS:
            export = report_export(run=run, fmt=fmt, actor=system_actor())
            (out / export.filename).write_bytes(export.content)
            self.stdout.write(f"  {out / export.filename}")
