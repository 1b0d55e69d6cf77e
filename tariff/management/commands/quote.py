"""`quote`: price a paramedic liability policy on the tariff in force, every step shown."""
from __future__ import annotations

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.errors import DomainError
from tariff.forms import quote_request_build
from tariff.selectors import quote_price


class Command(BaseCommand):
    help = "Quote a premium from the tariff in force: rate, discounts, VAT and every step."

    def add_arguments(self, parser):
        parser.add_argument("--profession", required=True)
        parser.add_argument("--setting", required=True, help="hospital | own_office | doctors_office")
        parser.add_argument("--cover", required=True, help="the full (100%%) cover, e.g. the year's diyeh")
        parser.add_argument("--cover-share", default=None, help="share of the cover insured: 1, 0.75, 0.25 (or 75%%)")
        parser.add_argument("--resident", action="store_true")
        parser.add_argument("--claim-free-years", type=int, default=0)
        parser.add_argument("--group-size", type=int, default=None, help="how many are insured together")
        parser.add_argument("--group-members", type=int, default=None, help="the group's members in all")
        parser.add_argument("--group-formed-for-insurance", action="store_true")
        parser.add_argument("--currency", default="IRR")
        parser.add_argument("--date", default=None, help="quote date YYYY-MM-DD (selects the tariff; default today)")
        parser.add_argument("--tariff-version", default=None, help="a version code instead of the one in force")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        try:
            on = date.fromisoformat(opts["date"]) if opts["date"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"date: not a date {opts['date']!r}") from exc
        try:
            request = quote_request_build(
                profession=opts["profession"], setting=opts["setting"], cover=opts["cover"],
                cover_share=opts["cover_share"], resident=opts["resident"],
                claim_free_years=opts["claim_free_years"], group_size=opts["group_size"],
                group_members=opts["group_members"], group_formed_for_insurance=opts["group_formed_for_insurance"],
                currency=opts["currency"],
            )
            quote = quote_price(request=request, on=on, tariff_code=opts["tariff_version"])
        except DomainError as exc:
            raise CommandError(f"{exc.field}: {exc.message}") from exc
        if opts["json"]:
            self.stdout.write(json.dumps(quote.as_json(), ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"tariff {quote.tariff_version}, {quote.currency}")
        width = max(len(name) for name, _ in quote.steps)
        for name, value in quote.steps:
            self.stdout.write(f"  {name.ljust(width)}  {value}")
