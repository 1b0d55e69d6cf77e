"""Reserve runs against the demo book's known truth: RBNS + IBNR per segment × currency against the
true unpaid, for one book already in the database, or pooled over freshly generated books.

The true unpaid at a valuation date V (truth.csv, `demo_book … --truth`; exchange/demo/README.md):
Σ (true ultimate − paid at V) over the claims that are the insurer's liability at V: for
occurrence cover every claim occurring by V, reported or not; for claims-made cover every claim
made (reported) by V — one not yet made is unexpired cover (UPR), not RBNS + IBNR. Paid at V is
read from the book's own claim_transactions.csv, so the comparison does not depend on which
origins a run keeps; the run's own paid is printed beside it when they differ.

One book in the current database (DATABASE_URL / SQLITE_PATH), the run of --run, else the latest
approved (else computed) run of the book's end date, else a new default run:

    .venv/bin/python scripts/truth_compare.py --book var/demo-book [--run ID | --valuation-date D]
        [--regime ru] [--methods [preview|runs]] [--json]

Pooled over generated books (the target table of decisions.md D-26): for each size and seed a
book of --years years is generated into a temporary directory, imported into a scratch SQLite
database of its own (a scratch PostgreSQL database on the DATABASE_URL server when that is set:
created and dropped again, so the user needs CREATEDB), and the default run of the regime is
computed at the book's end date through the runs' own services (Celery eager). Per segment:
Σ estimate, Σ true unpaid and Σ estimate ÷ Σ true unpaid − 1 over the seeds, beside the target
band of that size; --methods adds the same ratio for each IBNR method (chain ladder, BF, Cape Cod,
ELR at the regime's a-priori), from a run per method with that `ibnr_method` (the scratch
database is thrown away; with --book the default is the selection preview, which stores nothing
but recomputes the inputs for every segment and method: slow on big books).

    .venv/bin/python scripts/truth_compare.py --policies 6000 --seeds 1-10 [--years 8]
        [--policies 30000 --seeds 1-3 …] [--methods] [--keep DIR] [--json]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# the target: |Σ estimate ÷ Σ true unpaid − 1| per segment, by book size
TARGETS = {6_000: 0.25, 30_000: 0.12, 100_000: 0.08}
METHODS = ("chainladder", "bf", "capecod", "elr")


# --------------------------------------------------------------------------- the truth of a book
def _quarter(label: str) -> tuple[int, int]:
    return int(label[:4]), int(label[-1])


def _quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def true_ultimates(book: Path, valuation_date: date) -> tuple[dict, dict]:
    """Σ true ultimate of the claims that are the liability at V, per (segment, currency), and
    each segment's basis. truth.csv written before report quarters were added (no `basis`
    column) is read the old way: every claim occurring by V."""
    vq = _quarter_of(valuation_date)
    out: dict = defaultdict(Decimal)
    basis: dict = {}
    with open(book / "truth.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            key = (row["segment"], row["currency"])
            b = row.get("basis") or "occurrence"
            basis[key] = b
            decides = row["report_quarter"] if b == "claims_made" and row.get("report_quarter") else row["accident_quarter"]
            if _quarter(row["accident_quarter"]) <= vq and _quarter(decides) <= vq:
                out[key] += Decimal(row["ultimate"])
    return dict(out), basis


def paid_at(book: Path, valuation_date: date) -> dict:
    """Paid less recovered by V per (segment, currency), from the book's own files: payments,
    recoveries and the reversals of either, accounted on or before V."""
    segment_of = {}
    with open(book / "policies.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            segment_of[row["policy_number"]] = (row["segment"], row["currency"])
    claim_key = {}
    with open(book / "claims.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            claim_key[row["claim_number"]] = segment_of[row["policy_number"]]
    kind_of: dict = {}
    out: dict = defaultdict(Decimal)
    v = valuation_date.isoformat()
    with open(book / "claim_transactions.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            kind = row["kind"]
            kind_of[row["transaction_id"]] = kind
            if row["accounting_date"] > v or not row["amount"]:
                continue
            effect = kind_of.get(row["reverses"], "") if kind == "reversal" else kind
            if effect == "payment":
                out[claim_key[row["claim_number"]]] += Decimal(row["amount"])
            elif effect == "recovery":
                out[claim_key[row["claim_number"]]] -= Decimal(row["amount"])
    return dict(out)


# --------------------------------------------------------------------------- one book, one database
def _setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def run_parameters_method(run) -> str:
    from reserving import services

    return services.run_parameters(run)["ibnr_method"]


def _default_run(*, valuation_date: date, regime: str, parameters: dict | None = None):
    from core.roles import system_actor
    from reserving import services

    actor = system_actor()
    run = services.run_compute(run=services.run_create(valuation_date=valuation_date, regime=regime,
                                                       parameters=parameters, actor=actor), actor=actor)
    deadline = time.monotonic() + 1800
    while run.status == "computing" and time.monotonic() < deadline:
        time.sleep(0.5)
        run.refresh_from_db()
    return run


def compare_book(book: Path, *, run_id: int | None = None, valuation_date: date | None = None,
                 regime: str = "ru", methods: str | None = None) -> dict:
    """The comparison for one book already imported into the current database. `methods`:
    "preview" adds each IBNR method through the runs' selection preview (saves nothing); "runs"
    computes a run per method instead (the regime's parameters with that ibnr_method: faster on
    big books, but it stores the runs, so only for scratch databases)."""
    _setup_django()
    from core.periods import Quarter
    from reserving import services
    from reserving.models import ReserveRun

    if run_id:
        run = ReserveRun.objects.get(pk=run_id)
    else:
        end = date.fromisoformat(json.loads((book / "book.json").read_text())["end_date"])
        v = valuation_date or Quarter.of(end).end
        run = (ReserveRun.objects.filter(regime_code=regime, valuation_date=v, status="approved").order_by("-id").first()
               or ReserveRun.objects.filter(regime_code=regime, valuation_date=v, status="computed").order_by("-id").first())
        if run is None:
            run = _default_run(valuation_date=v, regime=regime)
    if run.status == "failed":
        raise SystemExit(f"run {run.pk} failed: {run.error}")
    truth, basis = true_ultimates(book, run.valuation_date)
    paid = paid_at(book, run.valuation_date)
    rows = []
    results = {(r.segment, r.currency): r for r in run.segment_results.prefetch_related("origins")}
    by_method: dict = {}
    if methods == "runs":
        for m in METHODS:
            other = run if m == run_parameters_method(run) else _default_run(
                valuation_date=run.valuation_date, regime=run.regime_code, parameters={**run.parameters, "ibnr_method": m})
            by_method[m] = {(x.segment, x.currency): x for x in other.segment_results.all()} if other.status == "computed" else {}
    for key in sorted(set(truth) | set(results)):
        r = results.get(key)
        true_unpaid = truth.get(key, Decimal(0)) - paid.get(key, Decimal(0))
        rbns, ibnr = (r.rbns, r.ibnr) if r is not None else (Decimal(0), Decimal(0))
        estimate = rbns + ibnr
        row = {"segment": key[0], "currency": key[1], "basis": basis.get(key, ""),
               "ibnr_method": r.ibnr_method if r is not None else "", "rbns": str(rbns), "ibnr": str(ibnr),
               "estimate": str(estimate), "true_unpaid": str(true_unpaid), "paid": str(paid.get(key, Decimal(0))),
               "paid_run": str(sum((o.paid for o in r.origins.all()), Decimal(0))) if r is not None else "0",
               "error": None if true_unpaid == 0 else float(estimate / true_unpaid - 1)}
        if methods and r is not None:
            row["methods"] = {}
            for m in METHODS:
                try:
                    if methods == "runs":
                        ibnr_m = by_method[m][key].ibnr if key in by_method[m] else None
                    else:
                        ibnr_m = Decimal(services.run_selection_preview(run=run, segment=key[0], currency=key[1],
                                                                        selection={"method": m})["ibnr"])
                    row["methods"][m] = None if ibnr_m is None else str(rbns + ibnr_m)
                except Exception as exc:  # a method the runs refuse for this segment: shown as n/a
                    row["methods"][m] = None
                    row.setdefault("method_errors", {})[m] = str(exc)[:200]
        rows.append(row)
    return {"run_id": run.pk, "valuation_date": run.valuation_date.isoformat(), "regime": run.regime_code,
            "status": run.status, "segments": rows}


def _print_book(result: dict, book: Path) -> None:
    print(f"run {result['run_id']} {result['regime']} as at {result['valuation_date']} ({result['status']}); "
          f"truth: {book / 'truth.csv'}")
    head = (f"{'segment':<26} {'cur':<4} {'method':<12} {'RBNS':>18} {'IBNR':>18} {'RBNS+IBNR':>18} "
            f"{'true unpaid':>18} {'error':>8}")
    print(head)
    print("-" * len(head))
    for x in result["segments"]:
        err = "—" if x["error"] is None else f"{100 * x['error']:+.1f}%"
        print(f"{x['segment']:<26} {x['currency']:<4} {x['ibnr_method']:<12} {Decimal(x['rbns']):>18,.2f} "
              f"{Decimal(x['ibnr']):>18,.2f} {Decimal(x['estimate']):>18,.2f} {Decimal(x['true_unpaid']):>18,.2f} {err:>8}")
        if Decimal(x["paid"]) != Decimal(x["paid_run"]):
            print(f"    paid at V: book {Decimal(x['paid']):,.2f}, run's origins {Decimal(x['paid_run']):,.2f}")
        for m, est in (x.get("methods") or {}).items():
            if est is None:
                print(f"    {m:<12} n/a: {x.get('method_errors', {}).get(m, '')}")
            else:
                tu = Decimal(x["true_unpaid"])
                print(f"    {m:<12} {Decimal(est):>18,.2f}" + (f" {100 * float(Decimal(est) / tu - 1):+8.1f}%" if tu else ""))


# --------------------------------------------------------------------------- many books
def _seeds(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.strip().partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def _run(cmd: list[str], env: dict, what: str) -> str:
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit(f"{what} failed (exit {done.returncode})")
    return done.stdout


class _Scratch:
    """A database of its own for each book: a copy of a migrated SQLite file, or with DATABASE_URL
    a PostgreSQL database created on that server (and dropped afterwards)."""

    def __init__(self, work: Path, python: str):
        self.work, self.python = work, python
        self.url = os.environ.get("DATABASE_URL", "")
        self.base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL",
                                                                       "CELERY_RESULT_BACKEND", "SQLITE_PATH")}
        self.template: Path | None = None

    def env(self, name: str) -> dict:
        env = dict(self.base, VAR_DIR=str(self.work / "var" / name), DJANGO_SETTINGS_MODULE="config.settings")
        Path(env["VAR_DIR"]).mkdir(parents=True, exist_ok=True)
        if self.url:
            env["DATABASE_URL"] = self._pg_url(name)
        else:
            env["SQLITE_PATH"] = str(self.work / f"{name}.sqlite3")
        return env

    def create(self, name: str) -> dict:
        env = self.env(name)
        if self.url:
            self._pg(f'CREATE DATABASE "{self._pg_name(name)}"')
            _run([self.python, "manage.py", "migrate", "--noinput"], env, "migrate")
        else:
            if self.template is None:
                tmpl_env = dict(env, SQLITE_PATH=str(self.work / "template.sqlite3"))
                _run([self.python, "manage.py", "migrate", "--noinput"], tmpl_env, "migrate")
                self.template = self.work / "template.sqlite3"
            shutil.copyfile(self.template, env["SQLITE_PATH"])
        return env

    def drop(self, name: str) -> None:
        if self.url:
            self._pg(f'DROP DATABASE IF EXISTS "{self._pg_name(name)}"')
        else:
            Path(self.work / f"{name}.sqlite3").unlink(missing_ok=True)

    # PostgreSQL scratch databases: <database of DATABASE_URL>_tc_<pid>_<book>
    def _pg_name(self, name: str) -> str:
        from urllib.parse import urlsplit

        return f"{urlsplit(self.url).path.lstrip('/') or 'postgres'}_tc_{os.getpid()}_{name}"[:63]

    def _pg_url(self, name: str) -> str:
        from urllib.parse import urlsplit, urlunsplit

        u = urlsplit(self.url)
        return urlunsplit((u.scheme, u.netloc, "/" + self._pg_name(name), u.query, u.fragment))

    def _pg(self, sql: str) -> None:
        import psycopg
        from urllib.parse import urlsplit, urlunsplit

        u = urlsplit(self.url)
        admin = urlunsplit(("postgresql", u.netloc, "/postgres", u.query, ""))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql)


def compare_many(*, plans: list[tuple[int, list[int]]], years: int, methods: bool, keep: Path | None,
                 regime: str, progress=print) -> list[dict]:
    from exchange.demo import generate_book, write_book

    python = sys.executable
    work = keep or Path(tempfile.mkdtemp(prefix="truth_compare_"))
    work.mkdir(parents=True, exist_ok=True)
    scratch = _Scratch(work, python)
    books = []
    try:
        for policies, seeds in plans:
            for seed in seeds:
                name = f"p{policies}_y{years}_s{seed}"
                book = work / name
                started = time.perf_counter()
                write_book(generate_book(policies=policies, years=years, seed=seed), book, truth=True)
                env = scratch.create(name)
                try:
                    _run([python, "manage.py", "import_book", str(book)], env, f"import of {name}")
                    cmd = [python, str(Path(__file__).resolve()), "--book", str(book), "--regime", regime, "--json"]
                    result = json.loads(_run(cmd + (["--methods", "runs"] if methods else []), env, f"run of {name}"))
                finally:
                    if keep is None:
                        scratch.drop(name)
                result.update(policies=policies, seed=seed, years=years)
                books.append(result)
                errs = "  ".join(f"{s['segment'][:10]} {s['currency']} {100 * s['error']:+.1f}%"
                                 for s in result["segments"] if s["error"] is not None)
                progress(f"  {policies:,} policies seed {seed}: {errs}  ({time.perf_counter() - started:.0f} s)")
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return books


def pooled(books: list[dict]) -> list[dict]:
    """Σ estimate, Σ true unpaid and their ratio − 1 per size × segment × currency over the seeds."""
    acc: dict = {}
    for b in books:
        for s in b["segments"]:
            a = acc.setdefault((b["policies"], s["segment"], s["currency"]), {
                "policies": b["policies"], "segment": s["segment"], "currency": s["currency"],
                "method": set(), "seeds": [], "estimate": Decimal(0), "true_unpaid": Decimal(0),
                "per_seed": [], "methods": defaultdict(Decimal), "methods_ok": set(METHODS)})
            a["seeds"].append(b["seed"])
            a["method"].add(s["ibnr_method"])
            a["estimate"] += Decimal(s["estimate"])
            a["true_unpaid"] += Decimal(s["true_unpaid"])
            a["per_seed"].append(s["error"])
            for m in METHODS:
                est = (s.get("methods") or {}).get(m)
                if est is None:
                    a["methods_ok"].discard(m)
                else:
                    a["methods"][m] += Decimal(est)
            if not s.get("methods"):
                a["methods_ok"] = set()
    out = []
    for a in acc.values():
        tu = a["true_unpaid"]
        out.append({
            "policies": a["policies"], "seeds": a["seeds"], "segment": a["segment"], "currency": a["currency"],
            "method": "/".join(sorted(a["method"])), "estimate": str(a["estimate"]), "true_unpaid": str(tu),
            "error": None if tu == 0 else float(a["estimate"] / tu - 1), "target": TARGETS.get(a["policies"]),
            "per_seed": a["per_seed"],
            "methods": {m: (None if tu == 0 else float(a["methods"][m] / tu - 1)) for m in METHODS if m in a["methods_ok"]},
        })
    return sorted(out, key=lambda r: (r["policies"], r["segment"], r["currency"]))


def _seed_text(seeds: list[int]) -> str:
    return f"{seeds[0]}–{seeds[-1]}" if seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 1 else ",".join(map(str, seeds))


def print_pooled(rows: list[dict], *, years: int) -> None:
    print(f"\nDefault run against the truth, {years}-year books valued at their end date: "
          "Σ (RBNS + IBNR) ÷ Σ true unpaid − 1 over the seeds\n")
    with_methods = any(r["methods"] for r in rows)
    head = "| policies | seeds | segment | currency | method | Σ estimate | Σ true unpaid | error | target | per seed |"
    if with_methods:
        head += " " + " | ".join(METHODS) + " |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for r in rows:
        err = "—" if r["error"] is None else f"{100 * r['error']:+.1f}%"
        target = r["target"]
        ok = "" if target is None or r["error"] is None else (" ✓" if abs(r["error"]) <= target else " ✗")
        per = " ".join("—" if e is None else f"{100 * e:+.0f}" for e in r["per_seed"])
        line = (f"| {r['policies']:,} | {_seed_text(r['seeds'])} | {r['segment']} | {r['currency']} | {r['method']} "
                f"| {Decimal(r['estimate']):,.0f} | {Decimal(r['true_unpaid']):,.0f} | {err}{ok} "
                f"| {'—' if target is None else f'±{100 * target:.0f}%'} | {per} |")
        if with_methods:
            line += " " + " | ".join("n/a" if r["methods"].get(m) is None else f"{100 * r['methods'][m]:+.1f}%"
                                     for m in METHODS) + " |"
        print(line)


def main(argv=None) -> int:
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the temporary books and databases go
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--book", type=Path, help="a demo_book directory (truth.csv, book.json) already imported")
    ap.add_argument("--run", type=int)
    ap.add_argument("--valuation-date", type=date.fromisoformat)
    ap.add_argument("--policies", type=int, action="append", help="generate books of this size (repeatable)")
    ap.add_argument("--seeds", action="append", help="seeds of the --policies before it: 1-10 or 1,3,5")
    ap.add_argument("--years", type=int, default=8)
    ap.add_argument("--regime", default="ru")
    ap.add_argument("--methods", nargs="?", const="preview", choices=("preview", "runs"),
                    help="also each IBNR method: through the selection preview (default with --book: stores "
                         "nothing) or a run per method (\"runs\", what generated books use: faster on big books)")
    ap.add_argument("--keep", type=Path, help="keep the generated books and databases in this directory")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    if args.book:
        result = compare_book(args.book, run_id=args.run, valuation_date=args.valuation_date, regime=args.regime,
                              methods=args.methods)
        if args.json:
            print(json.dumps(result, indent=2))
        else:
            _print_book(result, args.book)
        return 0
    if not args.policies:
        ap.error("give --book DIR, or --policies N --seeds S")
    seeds = args.seeds or ["1"]
    if len(seeds) not in (1, len(args.policies)):
        ap.error("give one --seeds for all --policies, or one after each")
    plans = [(p, _seeds(seeds[i] if len(seeds) > 1 else seeds[0])) for i, p in enumerate(args.policies)]
    out = sys.stderr if args.json else sys.stdout  # progress: never into the JSON

    def log(line: str) -> None:
        print(line, file=out, flush=True)

    books = compare_many(plans=plans, years=args.years, methods=bool(args.methods), keep=args.keep, regime=args.regime,
                         progress=log)
    rows = pooled(books)
    if args.json:
        print(json.dumps({"years": args.years, "books": books, "pooled": rows}, indent=2))
    else:
        print_pooled(rows, years=args.years)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
