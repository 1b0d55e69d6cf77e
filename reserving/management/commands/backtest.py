"""`backtest --squares FILE [--cuts 1-9] [--truth incurred|paid] [--lines a,b | --exclude-lines a,b]
[--json]`: value fully developed squares at earlier dates, project every single method and the
default rule, and print per line the median absolute reserve error and the aggregate error
(reserving.engine.backtest). Thin: reads the file and calls the engine.

The file is long, one row per group × origin × age, with columns origin, age (or development),
paid, incurred (case-incurred), premium, a group column (`--group`, default company) and,
optionally, a line column (`--line`, default line). A CAS Schedule P file as chainladder ships
it (clrd.csv / clrd2025.csv: GRCODE, AccidentYear, DevelopmentLag, CumPaidLoss, …) is read as
such (`--format schedule-p`, or recognised by its columns); e.g.

    manage.py backtest --squares .venv/lib/python3.11/site-packages/chainladder/utils/data/clrd2025.csv \\
        --exclude-lines medmal
"""
from __future__ import annotations

import json

import pandas as pd
from django.core.management.base import BaseCommand, CommandError

from reserving.engine import EngineError
from reserving.engine.backtest import (DEFAULT_CUTS, REPORTED, TRUTHS, Backtest, schedule_p_long,
                                       squares_from_long, summary_table)
from reserving.engine.default import DEFAULT_RULE


def _cuts(text: str) -> list[int]:
    out = []
    try:
        for part in text.split(","):
            if "-" in part:
                a, b = part.split("-", 1)
                out += list(range(int(a), int(b) + 1))
            elif part.strip():
                out.append(int(part))
    except ValueError as exc:
        raise CommandError(f"--cuts wants numbers and ranges like 1-9 or 5,7,9, got {text!r}") from exc
    if not out:
        raise CommandError("--cuts names no cut")
    return out


def _names(text: str | None) -> set[str] | None:
    return None if not text else {n.strip() for n in text.split(",") if n.strip()}


class Command(BaseCommand):
    help = "Back-test the reserving methods and the default rule on fully developed squares (long CSV)."

    def add_arguments(self, parser):
        parser.add_argument("--squares", required=True, help="long CSV of full squares, or a Schedule P CSV")
        parser.add_argument("--format", choices=("auto", "long", "schedule-p"), default="auto")
        parser.add_argument("--group", default="company", help="group column (long format)")
        parser.add_argument("--line", default="line", help="line column (long format); absent: one line")
        parser.add_argument("--cuts", default=f"{DEFAULT_CUTS[0]}-{DEFAULT_CUTS[-1]}",
                            help="diagonals cut from each square, e.g. 1-9 or 5,9 (n − 1 = the triangle as filed)")
        parser.add_argument("--truth", choices=TRUTHS, default="incurred",
                            help="what the estimates are compared with at the last age")
        parser.add_argument("--lines", help="only these lines (comma-separated)")
        parser.add_argument("--exclude-lines", help="leave these lines out (comma-separated)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        try:
            frame = pd.read_csv(opts["squares"])
        except (OSError, ValueError, pd.errors.ParserError) as exc:
            raise CommandError(f"cannot read the squares file {opts['squares']}: {exc}") from exc
        fmt = opts["format"]
        if fmt == "auto":
            fmt = "schedule-p" if {"GRCODE", "DevelopmentLag", "CumPaidLoss"} <= set(frame.columns) else "long"
        cuts = _cuts(opts["cuts"])
        try:
            if fmt == "schedule-p":
                frame, group, line = schedule_p_long(frame), "company", "line"
            else:
                group, line = opts["group"], opts["line"] if opts["line"] in frame.columns else None
            if line is not None:
                keep, drop = _names(opts["lines"]), _names(opts["exclude_lines"])
                labels = frame[line].astype(str)
                if keep:
                    frame = frame[labels.isin(keep)]
                if drop:
                    frame = frame[~labels.loc[frame.index].isin(drop)]
            squares, skipped = squares_from_long(frame, group=group, line=line)
            if not squares:
                raise CommandError("no usable square in the file" + (f" ({skipped[0]['reason']})" if skipped else ""))
            bt = Backtest(rule=DEFAULT_RULE, cuts=cuts, truth=opts["truth"]).fit(squares)
        except EngineError as exc:
            raise CommandError(exc.message) from exc
        skipped_all = pd.concat([pd.DataFrame(skipped, columns=bt.skipped_.columns), bt.skipped_], ignore_index=True)
        if opts["json"]:
            self.stdout.write(json.dumps(_as_json(bt, skipped_all, cuts, opts["truth"]), indent=2))
            return
        self.stdout.write(_table(bt, skipped_all, cuts, opts["truth"]))


def _records(frame: pd.DataFrame) -> list[dict]:
    out = []
    for row in frame.to_dict("records"):
        out.append({k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()})
    return out


def _as_json(bt: Backtest, skipped: pd.DataFrame, cuts, truth) -> dict:
    counts = skipped.assign(reason=skipped["reason"].str.split(":").str[0]).groupby(["line", "reason"]).size()
    return {
        "rule": DEFAULT_RULE.describe(),
        "cuts": cuts,
        "truth": truth,
        "summary": _records(bt.summary_),
        "by_cut": _records(bt.by_cut_),
        "skipped": [{"line": line, "reason": reason, "count": int(n)} for (line, reason), n in counts.items()],
    }


def _table(bt: Backtest, skipped: pd.DataFrame, cuts, truth) -> str:
    lines = [f"back-test: cuts {cuts}, truth = {truth} at the last age; rule {DEFAULT_RULE.name}: "
             f"{DEFAULT_RULE.describe()['text']}", ""]
    for value, title in (("median_abs_error", "median absolute reserve error"),
                         ("aggregate_error", "aggregate error (Σ estimate / Σ actual − 1)")):
        table = summary_table(bt.summary_, value)
        methods = [m for m in REPORTED if m in table.columns]
        lines.append(title)
        lines.append(f"{'line':<10}" + "".join(f"{m:>21}" for m in methods))
        for line, row in table.iterrows():
            lines.append(f"{line:<10}" + "".join(f"{row[m]:>21.3f}" for m in methods))
        lines.append("")
    counts = bt.summary_.groupby("line")["n"].max()
    lines.append("observations (company × cut) per line: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    lines.append(f"skipped: {len(skipped)} (group or group × cut; --json lists the reasons)")
    return "\n".join(lines) + "\n"
