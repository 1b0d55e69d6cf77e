"""`make bench` (issue 15 §6): per book size, build or reuse a demo book, import it into a freshly
created bench database, then measure — median of N — each selector a run reads, the whole quarter
end (eager, and with 1, 2 and 4 Celery worker processes), the 0420155 export, the dashboards and
the API postings, beside the database's floors measured in the same session; then print the table,
write bench-results/latest.{json,md} and profile what missed its target.

The database is dropped and created again for every size, so it must be a bench database: its
name must contain "bench" (the default is medmal_bench). A timed quarter end is always a new run
(run_create, then run_compute): nothing is taken from an earlier run, whatever its fingerprint,
and each timed run is checked to have computed every segment itself after it started.
"""
from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from benchmarks.contract import Result, markdown_table, write_results
from benchmarks.procs import ROOT, CeleryWorkers, Gunicorn, run_measured, self_rss_sampler, tree_rss
from benchmarks.profiles import cprofile_top, profile_file_top, py_spy_command, py_spy_works
from benchmarks.stats import median
from benchmarks.targets import Check, growth_checks, row_checks

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/medmal_bench"
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/14"
SELECTOR_STEPS = ("upr", "earned_premium", "rbns", "triangles")
PROFILE_STEPS = ("upr", "earned_premium", "rbns", "triangles", "quarter_end", "export_0420155", "dashboards")
API_WARMUP = 50  # postings before the timed load: the workers' first requests import and connect
DASHBOARDS = ("reserves", "loss-ratios", "triangle", "bootstrap", "solvency", "roll-forward", "roll-forward/claims",
              "exports")


@dataclass
class BenchConfig:
    sizes: list[int]
    repeat: int = 3
    workers: tuple[int, ...] = (1, 2, 4)
    api_requests: int = 2000
    api_concurrency: int = 8
    api_claims: int = 400
    books_dir: Path = ROOT / "var" / "bench-books"
    out_dir: Path = ROOT / "bench-results"
    profile: bool = True
    years: int = 10
    seed: int = 1


class Progress:
    """Step names on stderr as they run, with the time since the bench began."""

    def __init__(self, stream=sys.stderr):
        self.stream, self.t0 = stream, time.monotonic()

    def say(self, text: str) -> None:
        el = int(time.monotonic() - self.t0)
        self.stream.write(f"[{el // 60:3d}:{el % 60:02d}] {text}\n")
        self.stream.flush()

    @contextmanager
    def step(self, text: str):
        self.say(f"{text} …")
        t0 = time.perf_counter()
        yield
        self.say(f"{text} done in {time.perf_counter() - t0:.2f} s")


@dataclass
class SizeState:
    policies: int
    book: Path
    book_rows: int
    valuation_date: date
    cut_off: datetime
    floors: dict = field(default_factory=dict)
    import_profile: Path | None = None
    approved_run_id: int | None = None


# --------------------------------------------------------------------------- environment
def bench_env() -> dict:
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    env.setdefault("CELERY_BROKER_URL", DEFAULT_BROKER_URL)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def manage(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), *args]


def _db_parts(url: str) -> tuple[str, str]:
    """(maintenance URL, database name) of a postgres URL."""
    import dj_database_url

    cfg = dj_database_url.parse(url)
    if "postgresql" not in cfg["ENGINE"]:
        raise SystemExit(f"make bench needs PostgreSQL; DATABASE_URL is {url}")
    name = cfg["NAME"]
    if "bench" not in name:
        raise SystemExit(f"refusing to drop and recreate database {name!r}: a bench database's name contains 'bench'")
    auth = cfg["USER"] + (f":{cfg['PASSWORD']}" if cfg.get("PASSWORD") else "")
    host = f"{cfg['HOST'] or '127.0.0.1'}:{cfg['PORT'] or 5432}"
    return f"postgresql://{auth}@{host}/postgres", name


def recreate_database(url: str) -> None:
    """Drop (with any session of ours still on it) and create the bench database."""
    import psycopg
    from django.db import connections

    connections.close_all()
    admin_url, name = _db_parts(url)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def ensure_book(cfg: BenchConfig, n: int, env: dict, progress: Progress) -> Path:
    book = cfg.books_dir / str(n)
    if (book / "book.json").exists() and (book / "policies.csv").exists():
        progress.say(f"{n:,} · book reused from {book}")
        return book
    tmp = cfg.books_dir / f"{n}.partial"
    with progress.step(f"{n:,} · generating book ({cfg.years} years, seed {cfg.seed})"):
        m = run_measured(manage("demo_book", str(tmp), "--policies", str(n), "--years", str(cfg.years),
                                "--seed", str(cfg.seed)), env)
        if m.returncode != 0:
            raise RuntimeError(f"demo_book failed:\n{m.stderr[-3000:]}")
    tmp.replace(book)
    return book


def book_rows(book: Path) -> int:
    """All data rows of all the book's CSV files (the issue's import rows/s numerator)."""
    total = 0
    for csv in sorted(book.glob("*.csv")):
        if csv.name == "truth.csv":
            continue
        with open(csv, "rb") as f:
            total += max(sum(1 for _ in f) - 1, 0)
    return total


def book_valuation_date(book: Path) -> date:
    """The last quarter end on or before the book's end date."""
    from core.periods import Quarter

    end = date.fromisoformat(json.loads((book / "book.json").read_text())["end_date"])
    q = Quarter.of(end)
    return q.end if q.end <= end else (q - 1).end


# --------------------------------------------------------------------------- timing helpers
def timed_repeat(fn: Callable[[], object], repeat: int, progress: Progress, label: str) -> tuple[float, float, object]:
    """(median seconds, peak RSS MB of this process over the repeats, last result)."""
    times, last = [], None
    with self_rss_sampler() as rss:
        for i in range(repeat):
            progress.say(f"{label} ({i + 1}/{repeat})")
            t0 = time.perf_counter()
            last = fn()
            times.append(time.perf_counter() - t0)
    return median(times), rss.peak_mb, last


def selector_calls(valuation_date: date, cut_off: datetime) -> dict[str, Callable[[], object]]:
    """The selectors a run reads, called as reserving.compute.collect_inputs calls them: on the
    as-at view of master data, whose build is timed with each step (issue 15 §6: a step's time
    includes whatever it needs to build)."""
    from core.periods import Quarter
    from reserving import compute, selectors, services

    regime = services.regime_effective(code="ru", valuation_date=valuation_date)
    params = compute.effective_parameters(regime.parameters, None)
    whole = selectors.Scope(valuation_date=valuation_date, cut_off=cut_off)
    base, basis = params["premium_base"], params["origin_basis"]
    first = Quarter.of(valuation_date) - (int(params["history_quarters"]) - 1)

    def upr(scope):
        if params["upr_method"] == "pro_rata":
            return selectors.upr_by_segment(scope=scope, premium_base=base,
                                            pre_inception_gross=params["pre_inception_gross"])
        return compute._upr_by_engine(scope, params)

    def triangles(scope):
        return (selectors.claim_ledger_cells(scope=scope, origin_basis=basis),
                selectors.claim_count_cells(scope=scope, origin_basis=basis))

    def on_views(read: Callable) -> Callable[[], object]:
        def step():
            with selectors.as_of_views(whole) as scope:
                return read(scope)
        return step

    return {
        "upr": on_views(upr),
        "earned_premium": on_views(
            lambda scope: selectors.earned_premium_by_quarter(scope=scope, first=first, premium_base=base)),
        "rbns": on_views(lambda scope: selectors.rbns_by_segment(scope=scope)),
        "triangles": on_views(triangles),
    }


def actors():
    from django.contrib.auth import get_user_model

    from core.roles import system_actor
    from core.services import demo_users_ensure

    User = get_user_model()
    if not User.objects.filter(username="approver").exists():
        demo_users_ensure(actor=system_actor())
    return {u.username: u for u in User.objects.filter(username__in=["clerk", "actuary", "approver", "admin"])}


def quarter_end_once(valuation_date: date, eager: bool, who: dict, timeout: float = 3600) -> tuple[float, int]:
    """A new run created and computed: (seconds from create to computed, run id). Eager computes
    in this process; otherwise the segment tasks go to whatever workers listen on the broker."""
    from config.celery import app
    from reserving.models import ReserveRun
    from reserving.services import run_compute, run_create

    before = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    try:
        t0 = time.perf_counter()
        started = datetime.now().astimezone()
        run = run_create(valuation_date=valuation_date, regime="ru", actor=who["actuary"])
        run = run_compute(run=run, actor=who["actuary"])
        deadline = time.monotonic() + timeout
        while run.status == ReserveRun.Status.COMPUTING and time.monotonic() < deadline:
            time.sleep(0.05)
            run.refresh_from_db(fields=["status", "segments_done", "segments_total", "error"])
        seconds = time.perf_counter() - t0
    finally:
        app.conf.task_always_eager = before
    if run.status != ReserveRun.Status.COMPUTED:
        raise RuntimeError(f"run {run.pk} ended {run.status} {run.error!r} after {seconds:.0f} s")
    results = run.segment_results.all()
    if results.count() != run.segments_total or results.filter(computed_at__lt=started).exists():
        raise RuntimeError(f"run {run.pk}: not every segment was computed by this run")
    return seconds, run.pk


def approve(run_id: int, who: dict) -> None:
    """Acknowledge the run's warnings, submit (actuary) and approve (approver): the export and the
    dashboards read approved runs."""
    from reserving.models import ReserveRun, RunDataCheck
    from reserving.services import run_approve, run_check_acknowledge, run_submit

    run = ReserveRun.objects.get(pk=run_id)
    for check in run.data_checks.filter(acknowledged_at__isnull=True).exclude(severity=RunDataCheck.Severity.ERROR):
        run_check_acknowledge(check=check, actor=who["actuary"])
    run = run_submit(run=ReserveRun.objects.get(pk=run_id), actor=who["actuary"])
    run_approve(run=run, actor=who["approver"])


def export_once(run_id: int) -> int:
    from core.roles import system_actor
    from reporting.services import report_export
    from reserving.models import ReserveRun

    return len(report_export(run=ReserveRun.objects.get(pk=run_id), fmt="0420155-xlsx", actor=system_actor()).content)


def dashboard_client(who: dict):
    from django.test import Client

    client = Client()
    client.force_login(who["actuary"])
    return client


def dashboard_once(client, name: str) -> int:
    response = client.get(f"/admin/dashboards/{name}/")
    if response.status_code != 200:
        raise RuntimeError(f"dashboard {name}: HTTP {response.status_code}")
    return len(response.content)


def open_claims(limit: int) -> list[str]:
    """Open claims with at least 1,000 of indemnity outstanding, so the load's small payments
    never exceed a reserve."""
    from django.db import connection

    from claims.models import Claim, ClaimTransaction

    sql = (f"SELECT c.claim_number FROM {Claim._meta.db_table} c JOIN {ClaimTransaction._meta.db_table} t"
           " ON t.claim_id = c.id WHERE c.status = 'open' AND t.cost_type = 'indemnity' GROUP BY c.id, c.claim_number"
           " HAVING SUM(CASE WHEN t.effect_kind = 'reserve' THEN t.amount WHEN t.effect_kind = 'payment'"
           " THEN -t.amount ELSE 0 END) >= 1000 ORDER BY c.id LIMIT %s")
    with connection.cursor() as cur:
        cur.execute(sql, [limit])
        return [r[0] for r in cur.fetchall()]


# --------------------------------------------------------------------------- one size
class Bench:
    def __init__(self, cfg: BenchConfig, progress: Progress | None = None):
        self.cfg = cfg
        self.progress = progress or Progress()
        self.env = bench_env()
        self.results: list[Result] = []
        self.notes: list[str] = []
        self.profiles: list[tuple[str, str]] = []
        self.book_rows: dict[int, int] = {}
        self.load_at_start = os.getloadavg()[0]
        self.spy = cfg.profile and py_spy_works()
        if cfg.profile and not self.spy:
            self.notes.append("py-spy could not sample a child here; profiles fall back to cProfile (top 15).")

    def add(self, r: Result) -> Result:
        self.results.append(r)
        return r

    def run(self) -> tuple[list[Result], list[Check], str]:
        p = self.progress
        p.say(f"bench: sizes {', '.join(f'{n:,}' for n in self.cfg.sizes)}; database {self.env['DATABASE_URL']}; "
              f"broker {self.env['CELERY_BROKER_URL']}; median of {self.cfg.repeat}")
        for i, n in enumerate(self.cfg.sizes):
            state = self.one_size(n)
            self.write()
            if self.cfg.profile and i == len(self.cfg.sizes) - 1:
                try:
                    self.profile_misses(state)
                except Exception as exc:  # noqa: BLE001 - the measurements stand without their profiles
                    self.notes.append(f"profiling failed: {type(exc).__name__}: {exc}")
                self.write()
        return self.results, self.checks(), self.markdown()

    def checks(self) -> list[Check]:
        rows = [r.check_row() for r in self.results if r.in_contract]
        out = []
        for row in rows:
            out += row_checks(row)
        return out + growth_checks(rows, self.book_rows)

    def one_size(self, n: int) -> SizeState:
        from django.db import connection

        p, cfg, env = self.progress, self.cfg, self.env
        book = ensure_book(cfg, n, env, p)
        rows = self.book_rows[n] = book_rows(book)
        with p.step(f"{n:,} · database {env['DATABASE_URL'].rsplit('/', 1)[-1]}: create and migrate"):
            recreate_database(env["DATABASE_URL"])
            from django.core.cache import cache

            cache.clear()  # the bench's own Redis db: no closed period or role cached from the last book
            m = run_measured(manage("migrate", "--noinput", "-v0"), env)
            if m.returncode != 0:
                raise RuntimeError(f"migrate failed:\n{m.stderr[-3000:]}")
        state = SizeState(n, book, rows, book_valuation_date(book), datetime.now().astimezone())
        # ------------------------------------------------------------------ import
        argv = manage("import_book", str(book))
        if self.spy:
            state.import_profile = cfg.out_dir / "profiles" / f"import-{n}.txt"
            state.import_profile.parent.mkdir(parents=True, exist_ok=True)
            argv = py_spy_command(state.import_profile, argv, rate=50, nonblocking=True)
        with p.step(f"{n:,} · import_book ({rows:,} rows)"):
            m = run_measured(argv, env)
            if m.returncode != 0 or "written:" not in m.stdout:
                raise RuntimeError(f"import_book failed ({m.returncode}):\n{m.stdout[-2000:]}\n{m.stderr[-3000:]}")
        self.add(Result(n, "import", m.seconds, rows=rows, peak_rss_mb=m.peak_rss_mb))
        with p.step(f"{n:,} · ANALYZE"):
            t0 = time.perf_counter()
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
            self.notes.append(f"{n:,}: a whole-database ANALYZE after import_book took {time.perf_counter() - t0:.2f} s "
                              "(not in the import's time: import_book analyses the tables it loaded itself).")
        state.cut_off = datetime.now().astimezone()
        V, T = state.valuation_date, state.cut_off
        # ------------------------------------------------------------------ floors
        from benchmarks.floors import measure_floors

        with p.step(f"{n:,} · floors"):
            state.floors = measure_floors(V, T, cfg.repeat, progress=lambda m: p.say(f"{n:,} · {m}"))
        # ------------------------------------------------------------------ selectors
        calls = selector_calls(V, T)
        for step in SELECTOR_STEPS:
            floor, copy = state.floors[step]["floor"], state.floors[step]["copy"]
            secs, rss, _ = timed_repeat(calls[step], cfg.repeat, p, f"{n:,} · {step}")
            self.add(Result(n, step, secs, floor_seconds=floor.seconds, rows=floor.rows, peak_rss_mb=rss))
            self.add(Result(n, step, copy.seconds, rows=copy.rows, label=f"{step} · floor: COPY to a discarding client"))
        # ------------------------------------------------------------------ quarter end
        who = actors()
        qe_floor = sum(state.floors[s]["floor"].seconds for s in SELECTOR_STEPS)
        qe_rows = state.floors["upr"]["floor"].rows + state.floors["rbns"]["floor"].rows

        def qe(eager: bool):
            return lambda: quarter_end_once(V, eager, who)

        secs, rss, _ = timed_repeat(qe(True), cfg.repeat, p, f"{n:,} · quarter end, eager")
        self.add(Result(n, "quarter_end", secs, floor_seconds=qe_floor, rows=qe_rows, peak_rss_mb=rss,
                        label="quarter_end · eager (in process)"))
        from config.celery import app

        app.control.purge()
        foreign = app.control.ping(timeout=1.0)
        if foreign:
            self.notes.append(f"{n:,}: other workers on the bench broker before the worker runs: {foreign}")
        last_run = None
        for w in cfg.workers:
            with p.step(f"{n:,} · starting celery worker, concurrency {w}"):
                workers = CeleryWorkers(w, env, cfg.out_dir / "logs").__enter__()
            try:
                pids = lambda: [os.getpid(), *workers.pids()]  # noqa: E731
                times = []
                from benchmarks.procs import RssSampler

                with RssSampler(pids) as rss:
                    for i in range(cfg.repeat):
                        p.say(f"{n:,} · quarter end, celery {w} worker{'s' if w > 1 else ''} ({i + 1}/{cfg.repeat})")
                        s, last_run = quarter_end_once(V, False, who)
                        times.append(s)
                label = None if w == 2 else f"quarter_end · celery, {w} worker{'s' if w > 1 else ''}"
                self.add(Result(n, "quarter_end", median(times), floor_seconds=qe_floor, rows=qe_rows,
                                peak_rss_mb=rss.peak_mb, label=label))
                if w == 2:
                    state.approved_run_id = last_run
            finally:
                workers.__exit__()
        if 2 not in cfg.workers:
            self.notes.append("quarter_end (the contract's Celery 2-worker run) was not measured: --workers left out 2")
        state.approved_run_id = state.approved_run_id or last_run
        if state.approved_run_id is None:
            _, state.approved_run_id = quarter_end_once(V, True, who)
        approve(state.approved_run_id, who)
        # ------------------------------------------------------------------ export and dashboards
        try:
            secs, rss, size = timed_repeat(lambda: export_once(state.approved_run_id), cfg.repeat, p,
                                           f"{n:,} · export 0420155")
            self.add(Result(n, "export_0420155", secs, peak_rss_mb=rss))
        except Exception as exc:  # noqa: BLE001 - a refused export (e.g. a missing rate) must not lose the table
            self.notes.append(f"{n:,}: export 0420155 not measured: {type(exc).__name__}: {exc}")
        client = dashboard_client(who)
        total, slowest, peak = 0.0, 0.0, 0.0
        for name in DASHBOARDS:
            try:
                secs, rss, _ = timed_repeat(lambda name=name: dashboard_once(client, name), cfg.repeat, p,
                                            f"{n:,} · dashboard {name}")
            except RuntimeError as exc:
                self.notes.append(f"{n:,}: {exc} (left out of the dashboards' time)")
                continue
            self.add(Result(n, "dashboards", secs, peak_rss_mb=rss, label=f"dashboards · {name}"))
            total, slowest, peak = total + secs, max(slowest, secs), max(peak, rss)
        self.add(Result(n, "dashboards", total, peak_rss_mb=peak, extra={"slowest_view_seconds": slowest}))
        # ------------------------------------------------------------------ API
        self.api(state, who)
        return state

    def api(self, state: SizeState, who: dict) -> None:
        from django.core.management import call_command
        from django.utils import timezone
        from io import StringIO

        from benchmarks.api_load import run_load
        from claims.models import ClaimTransaction, PendingClaimChange

        p, cfg, n = self.progress, self.cfg, state.policies
        out = StringIO()
        call_command("api_token", "clerk", stdout=out)
        token = out.getvalue().strip()
        claims = open_claims(cfg.api_claims)
        marker = f"bench-{n}-{int(time.time())}"
        env = {**self.env, "DEBUG": "false"}
        with p.step(f"{n:,} · API: gunicorn 2×4, {cfg.api_requests:,} postings over {len(claims)} claims, "
                    f"{cfg.api_concurrency} client threads"):
            with Gunicorn(env, cfg.out_dir / "logs") as server:
                from benchmarks.procs import RssSampler

                warm = run_load(base_url=server.base_url, token=token, claim_numbers=claims,
                                requests_total=API_WARMUP, concurrency=cfg.api_concurrency,
                                accounting_date=timezone.localdate(), marker=marker + "-warmup")
                with RssSampler(server.pids) as rss:
                    load = run_load(base_url=server.base_url, token=token, claim_numbers=claims,
                                    requests_total=cfg.api_requests, concurrency=cfg.api_concurrency,
                                    accounting_date=timezone.localdate(), marker=marker)
        stored = ClaimTransaction.objects.filter(note=marker).count()
        pending = PendingClaimChange.objects.filter(note=marker).count()
        ok = load.errors == 0 and stored == load.created and pending == load.pending
        self.add(Result(n, "api_postings", load.seconds, rows=load.created + load.pending, p99_ms=load.p99_ms,
                        rows_per_s=load.postings_per_s, peak_rss_mb=rss.peak_mb))
        self.notes.append(
            f"{n:,}: API {load.sent:,} postings (payments 1.00 and reserve changes +10.00 alternating) over {len(claims)} "
            f"open claims, {cfg.api_concurrency} client threads with keep-alive, gunicorn 2 workers × 4 threads "
            f"(DEBUG off); answered 201 {load.created:,}, 202 {load.pending:,}, errors {load.errors:,}; "
            f"stored {stored:,} ledger rows + {pending:,} pending; p50 {load.p50_ms or 0:.0f} ms, "
            f"p99 {load.p99_ms or 0:.0f} ms; {'posted = stored' if ok else 'MISMATCH or errors'}"
            + f"; {API_WARMUP} warm-up postings before, not timed ({warm.errors} errors)"
            + (f"; first errors: {load.error_samples}" if load.error_samples else ""))

    # ------------------------------------------------------------------ profiles
    def profile_misses(self, state: SizeState) -> None:
        checks = [c for c in self.checks() if not c.met and c.policies == state.policies]
        missed = list(dict.fromkeys(c.step for c in checks))
        for step in missed:
            if step == "import" and state.import_profile and state.import_profile.exists():
                self.profiles.append((f"import at {state.policies:,} (py-spy record, 50 Hz, during the timed import)",
                                      profile_file_top(state.import_profile, within="Command.handle")))
            elif step in PROFILE_STEPS:
                self.progress.say(f"{state.policies:,} · profiling {step}")
                self.profiles.append(self.profile_step(step, state))
            elif step == "api_postings":
                self.notes.append("api_postings missed its target: the time is in the gunicorn workers; profile them "
                                  "with `py-spy record --subprocesses -- gunicorn -c config/gunicorn.py config.wsgi`.")

    def profile_step(self, step: str, state: SizeState) -> tuple[str, str]:
        argv = manage("bench", "--profile-step", step, "--valuation-date", state.valuation_date.isoformat(),
                      "--cut-off", state.cut_off.isoformat(), "--run-id", str(state.approved_run_id or 0))
        what = f"{step} at {state.policies:,}" + (" (an eager run in one process)" if step == "quarter_end" else "")
        if self.spy:
            out = self.cfg.out_dir / "profiles" / f"{step}-{state.policies}.txt"
            out.parent.mkdir(parents=True, exist_ok=True)
            m = run_measured(py_spy_command(out, argv, rate=100, nonblocking=False), {**self.env, "CELERY_BROKER_URL": ""})
            if m.returncode == 0 and out.exists():
                return f"{what}, py-spy record", profile_file_top(out, within="run_step_once")
            self.notes.append(f"py-spy on {step} failed ({m.returncode}): {m.stderr[-300:]}")
        return f"{what}, cProfile (py-spy unavailable)", cprofile_top(
            lambda: run_step_once(step, state.valuation_date, state.cut_off, state.approved_run_id))

    # ------------------------------------------------------------------ output
    def markdown(self) -> str:
        checks = self.checks()
        parts = ["# make bench", "",
                 f"Sizes {', '.join(f'{n:,}' for n in sorted(self.book_rows))} policies (10-year demo books, seed 1; "
                 f"book rows {', '.join(f'{v:,}' for _, v in sorted(self.book_rows.items()))}); median of "
                 f"{self.cfg.repeat}; {os.cpu_count()} CPUs shared with other users (load {self.load_at_start:.1f} at the start, "
                 f"{os.getloadavg()[0]:.1f} at the end); "
                 f"{datetime.now().astimezone():%Y-%m-%d %H:%M %Z}.", "",
                 markdown_table(self.results, checks), ""]
        missed = [c for c in checks if not c.met]
        if missed:
            parts += ["## Missed targets", ""]
            parts += [f"* {c.step}" + (f" at {c.policies:,}" if c.policies else "") + f": {c.target}" for c in missed]
            parts.append("")
        if self.profiles:
            parts += ["## Profiles of the misses", ""]
            for title, text in self.profiles:
                parts += [f"### {title}", "", "```", text, "```", ""]
        parts += ["## Notes", "",
                  "* floor: a bare SUM … GROUP BY segment, currency over the step's rows (UPR, earned premium, RBNS), "
                  "the bare grain count (triangles), joined to the live policy/claim tables in the run's scope; "
                  "quarter end's floor is the sum of those four. The COPY rows show the columns read, streamed to a "
                  "client that discards them.",
                  "* triangles = claim_ledger_cells + claim_count_cells (cells / counts as the issue measures them).",
                  "* quarter end = run_create + run_compute (data checks included) until every segment is stored; "
                  "a new run every time, never reused by fingerprint. The contract's quarter_end is Celery with 2 "
                  "worker processes.",
                  "* dashboards = the sum of the dashboard pages (Django test client, logged in); its target is each "
                  "page < 1 s.",
                  *[f"* {x}" for x in self.notes], ""]
        return "\n".join(parts)

    def write(self) -> None:
        md = self.markdown()
        write_results(self.cfg.out_dir, self.results, md)


def run_step_once(step: str, valuation_date: date, cut_off: datetime, run_id: int | None,
                  at_least: float = 3.0) -> None:
    """One step in this process, repeated until it has run `at_least` seconds (what `bench
    --profile-step` runs under py-spy: a short step would leave only Django's start-up to see)."""
    t0 = time.perf_counter()
    while True:
        _step_once(step, valuation_date, cut_off, run_id)
        if time.perf_counter() - t0 >= at_least:
            return


def _step_once(step: str, valuation_date: date, cut_off: datetime, run_id: int | None) -> None:
    if step in SELECTOR_STEPS:
        selector_calls(valuation_date, cut_off)[step]()
    elif step == "quarter_end":
        quarter_end_once(valuation_date, True, actors())
    elif step == "export_0420155":
        export_once(run_id)
    elif step == "dashboards":
        client = dashboard_client(actors())
        for name in DASHBOARDS:
            dashboard_once(client, name)
    else:
        raise ValueError(f"no profile for step {step!r}")


def print_summary(checks: list[Check], markdown: str, out_dir: Path, stream=sys.stdout) -> None:
    """The markdown (table, misses, profiles, notes), then each miss on a line of its own."""
    stream.write(markdown + "\n")
    for c in checks:
        if not c.met:
            stream.write(f"MISSED: {c.step}" + (f" at {c.policies:,}" if c.policies else "") + f": {c.target}\n")
    stream.write(f"\nwritten: {out_dir / 'latest.json'}, {out_dir / 'latest.md'}\n")
