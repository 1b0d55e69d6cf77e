"""`bench [--sizes N …] [--repeat 3] [--workers 1 2 4] [--api-requests 2000]`: the performance
bench of issue 15 §6 (`make bench`): books of N policies imported into the bench database,
every step timed against its database floor; prints the table and writes bench-results/. The
work is benchmarks.runner's; `--profile-step` runs one step once (what the bench samples with
py-spy when the step missed its target)."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from benchmarks.runner import BenchConfig, Bench, PROFILE_STEPS, print_summary, run_step_once


class Command(BaseCommand):
    help = "Measure import, selectors, quarter end, export, dashboards and API against the database's floors."

    def add_arguments(self, parser):
        parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000],
                            help="book sizes in policies (default 100000 300000 1000000)")
        parser.add_argument("--repeat", type=int, default=3, help="timings per step; the median is reported")
        parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4],
                            help="Celery worker processes to run the quarter end with (default 1 2 4)")
        parser.add_argument("--api-requests", type=int, default=2000)
        parser.add_argument("--api-concurrency", type=int, default=8)
        parser.add_argument("--api-claims", type=int, default=400, help="claims the postings are spread over")
        parser.add_argument("--books-dir", default=None, help="where books are built and reused (var/bench-books)")
        parser.add_argument("--out", default=None, help="results directory (bench-results)")
        parser.add_argument("--no-profile", action="store_true", help="no py-spy / cProfile of missed targets")
        parser.add_argument("--profile-step", choices=PROFILE_STEPS, help="run one step once (for the profiler)")
        parser.add_argument("--valuation-date", type=date.fromisoformat)
        parser.add_argument("--cut-off", type=datetime.fromisoformat)
        parser.add_argument("--run-id", type=int, default=0)

    def handle(self, *args, **o):
        if o["profile_step"]:
            if not (o["valuation_date"] and o["cut_off"]):
                raise CommandError("--profile-step needs --valuation-date and --cut-off")
            run_step_once(o["profile_step"], o["valuation_date"], o["cut_off"], o["run_id"] or None)
            return
        if o["repeat"] < 1 or any(n < 1 for n in o["sizes"]):
            raise CommandError("--repeat and --sizes must be positive")
        cfg = BenchConfig(sizes=o["sizes"], repeat=o["repeat"], workers=tuple(o["workers"]),
                          api_requests=o["api_requests"], api_concurrency=o["api_concurrency"],
                          api_claims=o["api_claims"], profile=not o["no_profile"])
        if o["books_dir"]:
            cfg.books_dir = Path(o["books_dir"]).resolve()
        if o["out"]:
            cfg.out_dir = Path(o["out"]).resolve()
        cfg.books_dir.mkdir(parents=True, exist_ok=True)
        results, checks, markdown = Bench(cfg).run()
        print_summary(checks, markdown, cfg.out_dir, stream=self.stdout)
