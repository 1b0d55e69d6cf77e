"""`demo_capital`: plausible capital entries for every quarter of the demo that has an official
run, so the solvency dashboard has something to show (used by `make demo`). Entered through
capital_entry_save as the system actor; quarters that already have an entry are kept."""
from __future__ import annotations

from decimal import Decimal

from django.core.management.base import BaseCommand

from core.periods import Quarter
from core.roles import system_actor
from reporting import selectors
from reporting.models import CapitalEntry
from reporting.services import capital_entry_save
from reserving.engine.solvency import solvency_margin_ru

# Own funds as a multiple of the required margin, quarter by quarter: a demo insurer that is
# solvent but whose cover thins as the book grows (the dashboard's buffer is 1.2).
COVER = (1.95, 1.85, 1.8, 1.7, 1.6, 1.55, 1.45, 1.4)


class Command(BaseCommand):
    help = "Enter illustrative capital entries for the quarters with an official run (demo only)."

    def handle(self, *args, **opts):
        actor = system_actor()
        runs = selectors.latest_approved_by_quarter()
        written = 0
        for i, run in enumerate(runs):
            label = Quarter.of(run.valuation_date).label
            for currency in sorted(set(run.segment_results.values_list("currency", flat=True))):
                if CapitalEntry.objects.filter(period=label, currency=currency).exists():
                    continue
                premiums, claims = selectors.solvency_volumes(run=run, currency=currency)
                margin = Decimal(str(solvency_margin_ru(premiums_12m=premiums, claims_36m=claims, retention=1).margin))
                cover = Decimal(str(COVER[i % len(COVER)]))
                values = {"own_funds": (margin * cover).quantize(Decimal("1")), "retention_k": Decimal("1")}
                if currency == "IRR":  # bylaw 69: required capital from the same risk volumes
                    values["required_capital_iran"] = margin.quantize(Decimal("1"))
                capital_entry_save(period=label, currency=currency, actor=actor, **values)
                written += 1
                self.stdout.write(f"  {label} {currency}: own funds {values['own_funds']:,} ({cover}× the margin)")
        self.stdout.write(f"{written} capital entries entered")
