"""`backtest --squares FILE [--cuts 1-9] [--truth incurred|paid] [--lines a,b | --exclude-lines a,b]
[--singles rule|volume] [--json]`: value fully developed squares at earlier dates, project every
single method and the default rule, and print per line the median absolute reserve error and the
aggregate error
(reserving.engine.backtest). Thin: reads the file and calls the engine. `--singles volume` fits the
single methods on plain volume-weighted factors (the textbook methods) instead of the rule's own
pattern (the default: the default's gain is then its selection alone).

`backtest --run ID [--segment S --currency C] [--cuts 1-3] [--json]`: the same on the book's own
history — each segment of the run as at its last diagonals (as-of valuations by accounting date),
every method's expected incurred emergence since against what emerged (engine
`emergence_backtest`), at the grain the run reserves the segment on. Reads only.

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
from reserving.engine.backtest import (DEFAULT_CUTS, REPORTED, SINGLES, TRUTHS, Backtest, schedule_p_long,
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
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--squares", help="long CSV of full squares, or a Schedule P CSV")
        source.add_argument("--run", type=int, help="back-test the book's own history as this run sees it")
        parser.add_argument("--segment", help="with --run: one segment only")
        parser.add_argument("--currency", help="with --run: one currency only")
        parser.add_argument("--format", choices=("auto", "long", "schedule-p"), default="auto")
        parser.add_argument("--group", default="company", help="group column (long format)")
        parser.add_argument("--line", default="line", help="line column (long format); absent: one line")
        parser.add_argument("--cuts", help=f"diagonals cut, e.g. 1-9 or 5,9 (squares: default {DEFAULT_CUTS[0]}-"
                                           f"{DEFAULT_CUTS[-1]}, n − 1 = the triangle as filed; --run: default 1-3)")
        parser.add_argument("--truth", choices=TRUTHS, default="incurred",
                            help="what the estimates are compared with at the last age")
        parser.add_argument("--singles", choices=SINGLES, default="rule",
                            help="the single methods' pattern: the rule's own, or plain volume-weighted factors")
        parser.add_argument("--lines", help="only these lines (comma-separated)")
        parser.add_argument("--exclude-lines", help="leave these lines out (comma-separated)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        if opts["run"] is not None:
            return self._book(opts)
        try:
            frame = pd.read_csv(opts["squares"])
        except (OSError, ValueError, pd.errors.ParserError) as exc:
            raise CommandError(f"cannot read the squares file {opts['squares']}: {exc}") from exc
        fmt = opts["format"]
        if fmt == "auto":
            fmt = "schedule-p" if {"GRCODE", "DevelopmentLag", "CumPaidLoss"} <= set(frame.columns) else "long"
        cuts = _cuts(opts["cuts"] or f"{DEFAULT_CUTS[0]}-{DEFAULT_CUTS[-1]}")
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
            bt = Backtest(rule=DEFAULT_RULE, cuts=cuts, truth=opts["truth"], singles=opts["singles"]).fit(squares)
        except EngineError as exc:
            raise CommandError(exc.message) from exc
        skipped_all = pd.concat([pd.DataFrame(skipped, columns=bt.skipped_.columns), bt.skipped_], ignore_index=True)
        if opts["json"]:
            self.stdout.write(json.dumps(_as_json(bt, skipped_all, cuts, opts["truth"]), indent=2))
            return
        self.stdout.write(_table(bt, skipped_all, cuts, opts["truth"]))


    def _book(self, opts) -> None:
        from core.errors import DomainError
        from reserving import compute, selectors
        from reserving.engine.backtest import emergence_summary
        from reserving.models import ReserveRun
        from reserving.services import run_history_backtest, run_parameters

        try:
            run = selectors.run_get(run_id=opts["run"])
        except ReserveRun.DoesNotExist:
            raise CommandError(f"no reserve run {opts['run']}") from None
        cuts = _cuts(opts["cuts"] or "1-3")
        params = run_parameters(run)
        inputs = compute.collect_inputs(valuation_date=run.valuation_date, cut_off=run.cut_off, params=params,
                                        segment=opts["segment"], currency=opts["currency"])
        if not inputs:
            raise CommandError("no segment with data in this run's scope")
        out = []
        for segment, currency in sorted(inputs):
            try:
                results = run_history_backtest(run=run, segment=segment, currency=currency, cuts=cuts)
            except DomainError as exc:
                out.append({"segment": segment, "currency": currency, "error": exc.message})
                continue
            out.append({"segment": segment, "currency": currency, "by_cut": _records(results),
                        "summary": _records(emergence_summary(results))})
        if opts["json"]:
            self.stdout.write(json.dumps({"run": run.pk, "valuation_date": run.valuation_date.isoformat(),
                                          "cuts": cuts, "segments": out}, indent=2))
            return
        lines = [f"run {run.pk} as at {run.valuation_date}: each method's expected incurred emergence over the last "
                 f"{', '.join(map(str, cuts))} diagonals against what emerged (error = Σ expected ÷ Σ actual − 1)"]
        for seg in out:
            lines.append(f"\n{seg['segment']} {seg['currency']}")
            if "error" in seg:
                lines.append(f"  not back-tested: {seg['error']}")
                continue
            lines.append(f"  {'method':<21}{'cuts':>5}{'mean |error|':>14}{'aggregate':>11}")
            for row in seg["summary"]:
                lines.append(f"  {row['method']:<21}{row['cuts']:>5}{row['mean_abs_error']:>14.3f}"
                             f"{row['aggregate_error']:>11.3f}")
        self.stdout.write("\n".join(lines) + "\n")


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
        "singles": bt.singles,
        "summary": _records(bt.summary_),
        "by_cut": _records(bt.by_cut_),
        "skipped": [{"line": line, "reason": reason, "count": int(n)} for (line, reason), n in counts.items()],
    }


def _table(bt: Backtest, skipped: pd.DataFrame, cuts, truth) -> str:
    pattern = "the rule's pattern" if bt.singles == "rule" else "volume-weighted factors"
    lines = [f"back-test: cuts {cuts}, truth = {truth} at the last age; single methods on {pattern}; "
             f"rule {DEFAULT_RULE.name}: {DEFAULT_RULE.describe()['text']}", ""]
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
