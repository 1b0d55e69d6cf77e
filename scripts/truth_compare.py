"""Compare a run's RBNS + IBNR per segment × currency with the demo book's truth.

The true reserve at V is Σ over accident quarters up to V's quarter of (true ultimate − paid at
V); the truth comes from `demo_book … --truth` (truth.csv: segment, currency, accident_quarter,
ultimate), paid at V from the run's own per-origin results (claims not yet reported have paid 0).

    .venv/bin/python scripts/truth_compare.py --book var/demo-book [--run ID | --valuation-date D
        [--regime ru]] [--json]

Without --run it takes the latest approved (else computed) run of that date and regime, or
creates and computes one.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from core.roles import system_actor

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main(argv=None) -> int:
    import django

    django.setup()
    from core.periods import Quarter
    from reserving import services
    from reserving.models import ReserveRun

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--book", required=True, help="the demo_book directory holding truth.csv and book.json")
    ap.add_argument("--run", type=int)
    ap.add_argument("--valuation-date", type=date.fromisoformat)
    ap.add_argument("--regime", default="ru")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    book = Path(args.book)
    if args.run:
        run = ReserveRun.objects.get(pk=args.run)
    else:
        v = args.valuation_date or Quarter.of(date.fromisoformat(json.loads((book / "book.json").read_text())["end_date"])).end
        run = (ReserveRun.objects.filter(regime_code=args.regime, valuation_date=v, status="approved").order_by("-id").first()
               or ReserveRun.objects.filter(regime_code=args.regime, valuation_date=v, status="computed").order_by("-id").first())
        if run is None:
            run = services.run_compute(run=services.run_create(valuation_date=v, regime=args.regime, actor=system_actor()), actor=system_actor())
    vq = Quarter.of(run.valuation_date)

    truth: dict = defaultdict(Decimal)
    with open(book / "truth.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if Quarter.parse(row["accident_quarter"]) <= vq:
                truth[(row["segment"], row["currency"])] += Decimal(row["ultimate"])

    rows = []
    for r in run.segment_results.prefetch_related("origins").order_by("segment", "currency"):
        paid = sum((o.paid for o in r.origins.all()), Decimal(0))
        true_reserve = truth.get((r.segment, r.currency), Decimal(0)) - paid
        estimate = r.rbns + r.ibnr
        error = None if true_reserve == 0 else float((estimate - true_reserve) / true_reserve) * 100
        rows.append({"segment": r.segment, "currency": r.currency, "ibnr_method": r.ibnr_method,
                     "rbns": str(r.rbns), "ibnr": str(r.ibnr), "estimate": str(estimate),
                     "true_reserve": str(true_reserve), "error_pct": None if error is None else round(error, 1)})
    if args.json:
        print(json.dumps({"run_id": run.pk, "valuation_date": run.valuation_date.isoformat(), "regime": run.regime_code,
                          "segments": rows}, indent=2))
        return 0
    print(f"run {run.pk} {run.regime_code} as at {run.valuation_date} ({run.status}); truth: {book / 'truth.csv'}")
    head = f"{'segment':<26} {'cur':<4} {'method':<13} {'RBNS':>18} {'IBNR':>18} {'RBNS+IBNR':>18} {'true reserve':>18} {'error':>8}"
    print(head)
    print("-" * len(head))
    for x in rows:
        err = "—" if x["error_pct"] is None else f"{x['error_pct']:+.1f}%"
        print(f"{x['segment']:<26} {x['currency']:<4} {x['ibnr_method']:<13} {Decimal(x['rbns']):>18,.2f} "
              f"{Decimal(x['ibnr']):>18,.2f} {Decimal(x['estimate']):>18,.2f} {Decimal(x['true_reserve']):>18,.2f} {err:>8}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
