"""`ibnr --triangle FILE [--premium FILE] --method … [--tail F] [--apriori LR] [--json]`: one IBNR
estimate from a long CSV triangle (origin, development, value; cumulative), printed as JSON
(design.md §5) or a table.

`--method default --triangle PAID.csv [--incurred INCURRED.csv] --premium PREMIUM.csv` applies
the engine's default rule per origin (reserving.engine.default) to annual or quarterly files:
projected to the triangle's last age with no tail unless `--tail`, the a-priori derived from the
triangle (Cape Cod) unless `--apriori`, paid alone without `--incurred`; `--override 2024=bf`
(repeatable) replaces the rule for one origin. `total.ibnr` is ultimate − paid to date, as for
every method; each origin also carries the `method` that gave its ultimate. Thin: reads the files and calls `reserving.engine.ibnr`. Origins that
are numbers sort as numbers (1, 2, …, 40) and match the premium file however they are written
(1988 or 1988.0); a Mack standard error the engine finds unusable is printed as "unusable", with
the reason, never as a number."""
from __future__ import annotations

import json

import pandas as pd
from django.core.management.base import BaseCommand, CommandError

from reserving.engine import EngineError, Triangle
from reserving.engine.ibnr import METHODS, ibnr_estimate, premium_by_origin


def _read_csv(path: str, what: str) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype={"origin": str})
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise CommandError(f"cannot read the {what} file {path}: {exc}") from exc


class Command(BaseCommand):
    help = "Estimate IBNR from a cumulative triangle (long CSV: origin,development,value)."

    def add_arguments(self, parser):
        parser.add_argument("--triangle", required=True, help="long CSV: origin,development,value (cumulative)")
        parser.add_argument("--incurred", help="long CSV: origin,development,value of case-incurred (default only)")
        parser.add_argument("--premium", help="long CSV: origin,premium (bf, capecod, elr, default)")
        parser.add_argument("--override", action="append", default=[], metavar="ORIGIN=METHOD",
                            help="default only: the method for one origin (repeatable)")
        parser.add_argument("--method", required=True, help=f"one of: {', '.join(METHODS)}")
        parser.add_argument("--tail", type=float, help="tail factor (≥ 1)")
        parser.add_argument("--apriori", type=float, help="a priori loss ratio (bf, elr; default: derived if absent)")
        parser.add_argument("--sims", type=int, default=1000, help="bootstrap samples")
        parser.add_argument("--seed", type=int, default=0, help="bootstrap random seed")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        frame = _read_csv(opts["triangle"], "triangle")
        try:
            triangle = Triangle.from_long(frame, origin="origin", development="development", value="value")
            incurred = None
            if opts["incurred"]:
                incurred = Triangle.from_long(_read_csv(opts["incurred"], "incurred"), origin="origin",
                                              development="development", value="value")
            premium = premium_by_origin(_read_csv(opts["premium"], "premium")) if opts["premium"] else None
            result = ibnr_estimate(triangle, method=opts["method"], premium=premium, tail=opts["tail"],
                                   apriori=opts["apriori"], n_sims=opts["sims"], random_state=opts["seed"],
                                   incurred=incurred, overrides=_overrides(opts["override"]))
        except EngineError as exc:
            raise CommandError(exc.message) from exc
        if opts["json"]:
            self.stdout.write(json.dumps(result, indent=2))
            return
        self.stdout.write(_table(result))


def _overrides(items: list[str]) -> dict | None:
    out = {}
    for item in items:
        origin, sep, method = item.partition("=")
        if not sep or not origin.strip() or not method.strip():
            raise CommandError(f"--override wants ORIGIN=METHOD, got {item!r}")
        out[origin.strip()] = method.strip()
    return out or None


def _table(result: dict) -> str:
    unusable = result.get("mack_se_unusable")

    def num(value, width=14, digits=2):
        return f"{'':>{width}}" if value is None else f"{value:>{width},.{digits}f}"

    def se(value, width=14):
        return f"{'unusable':>{width}}" if unusable else num(value, width)

    lines = [f"method {result['method']}   tail {result['tail']:.6f}", "",
             "age       ldf"] + [f"{row['age']:<6}{row['ldf']:>10.6f}" for row in result["ldf"]] + [""]
    chosen = result["method"] == "default"
    header = f"{'origin':<10}{'latest':>14}{'cdf':>10}{'ultimate':>14}{'ibnr':>14}{'mack_se':>14}"
    if chosen:
        header += f"  {'method':<20}"
        lines[0] += f"   a-priori: {result['apriori_source']}"
    lines += [header, "-" * len(header)]
    for row in result["origins"] + [result["total"]]:
        cdf = "" if row["cdf"] is None else f"{row['cdf']:.4f}"
        line = (f"{row['origin']:<10}{num(row['latest'])}{cdf:>10}{num(row['ultimate'])}"
                f"{num(row['ibnr'])}{se(row['mack_se'])}")
        if chosen:
            line += f"  {row.get('method', ''):<20}" + (f" {','.join(row['flags'])}" if row.get("flags") else "")
        lines.append(line.rstrip())
    if unusable:
        lines += ["", unusable]
    if "distribution" in result:
        d = result["distribution"]
        lines += ["", "reserve distribution: " + "  ".join(f"{k} {d[k]:,.0f}" for k in ("mean", "p75", "p95", "p99.5"))]
    return "\n".join(lines) + "\n"
