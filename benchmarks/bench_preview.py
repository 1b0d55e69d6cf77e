"""Benchmark: the workbench's live preview and segment page (issue 13 §4 targets) on a
30,000-policy book in PostgreSQL.

    python -m benchmarks.bench_preview [--policies N] [--requests N]    (make bench-workbench)

Builds (or reuses) the book in the database `medmal_bench_workbench` (DATABASE_URL overrides),
computes one run in-process, then, as the actuary through the whole Django stack (test client:
middleware, session, form, service, JSON), times for every segment × currency:
* the preview round trip, POSTing a different selection each time with the workbench's controls
  (a tail typed or a curve picked, a factor typed for an age, a method for the segment or for one
  origin, an a-priori, a grain, a link ratio excluded), p50 and p95 over --requests requests
  (target p95 ≤ 300 ms);
* the segment page's HTML (target < 500 ms; its charts load separately from JSON).
Prints a markdown table and writes bench-output/bench_preview.md. Timings are reported, never
asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/medmal_bench_workbench"
VALUATION = "2025-12-31"  # the book's end date: the run values it at its last quarter end
P95_TARGET_MS = 300.0
PAGE_TARGET_MS = 500.0


def _ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    server = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def _manage(*args: str, env: dict) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def _percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0–100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n q / 100), at least the first
    return ordered[int(rank) - 1]


def _selections(result, n: int) -> list[dict[str, str]]:
    """n different selections an actuary tries in turn with the workbench's controls: a tail
    typed, a factor typed for one age (`ldf_<age>`), a method for the segment, an a-priori, the
    other grain, one origin's method (`override_<origin>`), a link ratio excluded (`exclude`),
    a tail curve picked (`tail_pick`)."""
    import numpy as np

    from reserving.admin import _exhibit_triangle, _triangle_of
    from reserving.engine.triangle import origin_key

    ldf = (result.factors or {}).get("ldf") or {}
    origins = [o.origin for o in result.origins.all()]
    ages = sorted(int(a) for a in ldf)[:6]
    triangle = _triangle_of(_exhibit_triangle(result))
    ratios = [] if triangle is None else [
        f"{origin_key(o)}|{int(a)}" for o, row in zip(triangle.origins, triangle.link_ratios().to_numpy())
        for a, v in zip(triangle.ages[:-1], row) if np.isfinite(v)][:3]  # the oldest origin's first ratios
    tries = []
    for i in range(n):
        kind = i % 8
        if kind == 1 and ages:
            age = ages[i % len(ages)]
            tries.append({f"ldf_{age}": f"{float(ldf[str(age)]) * (1.01 + 0.01 * (i % 5)):.4f}"})
        elif kind == 2 or (kind == 1 and not ages):
            tries.append({"method": ["chainladder", "bf", "benktander", "capecod"][i % 4]})
        elif kind == 3:
            tries.append({"apriori": f"{0.55 + 0.05 * (i % 4):.2f}"})
        elif kind == 4:
            tries.append({"grain": ["OYDY", "OYDQ"][i % 2]})
        elif kind == 5 and origins:
            tries.append({f"override_{origins[-1 - (i % min(2, len(origins)))]}": ["bf_incurred", "elr"][i % 2]})
        elif kind == 6 and ratios:
            tries.append({"exclude": ratios[i % len(ratios)]})
        elif kind == 7 and ages:
            tries.append({"tail_pick": ["exponential", "inverse_power"][i % 2]})
        else:
            tries.append({"tail": f"{1.0 + 0.01 * (i % 7):.2f}"})
    return tries


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--policies", type=int, default=30_000)
    parser.add_argument("--requests", type=int, default=40, help="preview requests per segment")
    args = parser.parse_args(argv)

    url = os.environ.get("DATABASE_URL") or DEFAULT_DB
    env = {k: v for k, v in os.environ.items() if k != "CELERY_BROKER_URL"}  # the run computes in-process
    env["DATABASE_URL"] = url
    _ensure_database(url)
    _manage("migrate", "--noinput", env=env)
    loaded = subprocess.run([sys.executable, "manage.py", "book_loaded"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL).returncode == 0
    if not loaded:
        book = ROOT / "var" / "bench-books" / f"workbench-{args.policies}"
        if not (book / "policies.csv").exists():
            print(f"generating a {args.policies:,}-policy book in {book}", file=sys.stderr)
            _manage("demo_book", str(book), "--policies", str(args.policies), "--years", "8", "--seed", "1",
                    "--end-date", VALUATION, env=env)
        print("importing it", file=sys.stderr)
        _manage("import_book", str(book), env=env)

    os.environ.update(env)
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import Group, Permission, User
    from django.test import Client
    from django.urls import reverse

    from core.roles import system_actor
    from reserving import services
    from reserving.models import ReserveRun

    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    run = ReserveRun.objects.filter(status="computed", preparer__username="bench-actuary").order_by("-id").first()
    services.ensure_roles()
    actuary, _ = User.objects.get_or_create(username="bench-actuary", defaults={"is_staff": True})
    actuary.groups.add(Group.objects.get(name="actuary"))
    actuary.user_permissions.add(*Permission.objects.filter(content_type__app_label="reserving"))
    if run is None:
        valuation = date.fromisoformat(VALUATION)
        print(f"computing a run at {valuation}", file=sys.stderr)
        started = time.perf_counter()
        run = services.run_compute(run=services.run_create(valuation_date=valuation, actor=actuary), actor=actuary)
        run.refresh_from_db()
        print(f"  {run.status} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    client = Client()
    client.force_login(actuary)

    rows = []
    for result in run.segment_results.order_by("segment", "currency"):
        seg, cur = result.segment, result.currency
        page = reverse("admin:reserving_run_segment", args=[run.pk, seg, cur])
        preview = reverse("admin:reserving_run_preview", args=[run.pk, seg, cur])
        client.get(page)  # warm: templates compiled, caches filled
        page_ms = []
        for _ in range(5):
            t = time.perf_counter()
            response = client.get(page)
            page_ms.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200, (page, response.status_code)
        page_kib = len(response.content) / 1024
        times, refused = [], 0
        for selection in _selections(result, args.requests):
            t = time.perf_counter()
            response = client.post(preview, selection)
            times.append((time.perf_counter() - t) * 1000)
            if response.status_code != 200:
                refused += 1
                print(f"  refused {selection}: {response.content[:300]!r}", file=sys.stderr)
        rows.append({"segment": seg, "currency": cur, "p50": statistics.median(times),
                     "p95": _percentile(times, 95), "max": max(times), "refused": refused, "n": len(times),
                     "page": statistics.median(page_ms), "kib": page_kib})
        print(f"  {seg} {cur}: preview p95 {rows[-1]['p95']:.0f} ms, page {rows[-1]['page']:.0f} ms", file=sys.stderr)

    lines = [f"# Workbench preview and segment page ({args.policies:,} policies, PostgreSQL, run {run.pk})", "",
             f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
             f"load {os.getloadavg()[0]:.1f}. Server time through the Django stack (test client), "
             f"{args.requests} previews per segment with different selections; page = median of 5.", "",
             "| segment | currency | preview p50 ms | preview p95 ms | max ms | refused | target p95 ≤ 300 | page ms | target < 500 | page KiB |",
             "|---|---|---:|---:|---:|---:|---|---:|---|---:|"]
    for r in rows:
        lines.append(f"| {r['segment']} | {r['currency']} | {r['p50']:.0f} | {r['p95']:.0f} | {r['max']:.0f} | "
                     f"{r['refused']}/{r['n']} | {'met' if r['p95'] <= P95_TARGET_MS else 'MISSED'} | {r['page']:.0f} | "
                     f"{'met' if r['page'] < PAGE_TARGET_MS else 'MISSED'} | {r['kib']:.0f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    out = ROOT / "bench-output"
    out.mkdir(exist_ok=True)
    (out / "bench_preview.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
