"""Prints how the demo book develops next to the CAS Schedule P medmal table of
shared/calibration.md, as markdown: annual paid and case-incurred development of the
occurrence segment (% of incurred at lag 10) and the loss ratios per segment and currency.

    .venv/bin/python scripts/calibration_report.py [--policies 200000] [--years 12] [--seed 1]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from exchange.demo import generate_book  # noqa: E402 - after the path set-up
from exchange.demo.development import CAS, development, loss_ratios  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", type=int, default=200_000)
    parser.add_argument("--years", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    book = generate_book(policies=args.policies, years=args.years, seed=args.seed)
    took = time.perf_counter() - started
    print(f"Demo book: {args.policies:,} policies over {args.years} years "
          f"({book.start_date}..{book.end_date}), seed {args.seed}, {len(book.claims):,} claims, "
          f"generated in {took:.1f} s. Development from each claim's full future, accident years "
          f"{book.start_date.year}..{book.end_date.year}.\n")
    for segment in ("individual_occurrence", "clinic_claims_made"):
        dev = development(book, segment=segment).merge(CAS, on="lag")
        print(f"**{segment}** (% of incurred at lag 10)\n")
        print("| lag | paid % ours | paid % CAS 1998–2007 | paid % CAS 1988–1997 "
              "| incurred % ours | incurred % CAS 1998–2007 | incurred % CAS 1988–1997 |")
        print("|---|---|---|---|---|---|---|")
        for r in dev.itertuples(index=False):
            print(f"| {r.lag} | {r.paid_pct:.1f} | {r.paid_1998_2007:.1f} | {r.paid_1988_1997:.1f} "
                  f"| {r.incurred_pct:.1f} | {r.incurred_1998_2007:.0f} | {r.incurred_1988_1997:.0f} |")
        print()
    lr = loss_ratios(book)
    print("Loss ratio (ultimate / gross earned premium; CAS: 59–97% in 1988–1997, 74–113% in 1998–2007)\n")
    print("| segment | currency | whole book | lowest year | highest year |")
    print("|---|---|---|---|---|")
    for (segment, currency), g in lr.groupby(["segment", "currency"]):
        print(f"| {segment} | {currency} | {100 * g['ultimate'].sum() / g['earned'].sum():.0f}% "
              f"| {100 * g['loss_ratio'].min():.0f}% | {100 * g['loss_ratio'].max():.0f}% |")


if __name__ == "__main__":
    main()
