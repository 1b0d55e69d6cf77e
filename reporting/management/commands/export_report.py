"""export_report --run ID --format FMT --out FILE [--language ru|fa|en]: a regulator export of an
approved run; the reserve summary in English (codes) unless another language is asked for."""
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from core.roles import system_actor
from reporting.services import FORMATS, report_export
from reserving.models import ReserveRun


class Command(BaseCommand):
    help = "Write a report of an approved reserve run: " + ", ".join(FORMATS)

    def add_arguments(self, parser):
        parser.add_argument("--run", type=int, required=True)
        parser.add_argument("--format", required=True, choices=sorted(FORMATS))
        parser.add_argument("--out", required=True)
        parser.add_argument("--language", default="en", choices=[code for code, _name in settings.LANGUAGES],
                            help="the reserve summary's headers and names (default en: the codes)")

    def handle(self, *args, **opts):
        run = ReserveRun.objects.filter(pk=opts["run"]).first()
        if run is None:
            raise CommandError(f"no reserve run {opts['run']}")
        try:
            export = report_export(run=run, fmt=opts["format"], actor=system_actor(), language=opts["language"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        out = Path(opts["out"])
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(export.content)
        self.stdout.write(f"{out} ({len(export.content):,} bytes) — {FORMATS[opts['format']][1]}, run {run.pk} at {run.valuation_date}")
