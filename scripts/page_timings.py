"""Server time of the admin pages a clerk, an actuary and an approver open all day (issue 16 §3/§6):
printed, never asserted. Runs in-process with Django's test client against the configured database
(e.g. the `make demo` book), so the figures are the server's time without the network.

    .venv/bin/python scripts/page_timings.py [--repeat 5] [--json]

Each page is fetched once to warm it, then `--repeat` times; the median and the slowest are shown
with the bytes sent (compressed size for static files when the client accepts gzip)."""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from reserving.models import ReserveRun

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    password = {u: f"{u}-demo-2026" for u in ("clerk", "actuary", "approver")}
    run = ReserveRun.objects.filter(status=ReserveRun.Status.APPROVED).order_by("-valuation_date", "-id").first()

    def login_seconds(user: str) -> float:
        client = Client()
        client.get(reverse("admin:login"))
        started = time.perf_counter()
        response = client.post(reverse("admin:login"), {"username": user, "password": password[user],
                                                        "next": reverse("admin:index")})
        assert response.status_code == 302, (user, response.status_code)
        return time.perf_counter() - started

    clients = {}
    for user in password:
        clients[user] = Client()
        assert clients[user].login(username=user, password=password[user]), user

    pages = [
        ("clerk", "admin index", reverse("admin:index")),
        ("clerk", "policies", reverse("admin:policies_policy_changelist")),
        ("clerk", "claims", reverse("admin:claims_claim_changelist")),
        ("clerk", "premium ledger", reverse("admin:policies_premiumtransaction_changelist")),
        ("clerk", "claim ledger", reverse("admin:claims_claimtransaction_changelist")),
        ("actuary", "runs", reverse("admin:reserving_reserverun_changelist")),
        ("actuary", "reserves dashboard", reverse("reporting:reserves")),
        ("actuary", "loss-ratio dashboard", reverse("reporting:loss-ratios")),
        ("actuary", "triangle dashboard", reverse("reporting:triangle")),
        ("approver", "exports dashboard", reverse("reporting:exports")),
        ("actuary", "plotly bundle", reverse("reporting:plotly-js")),
        ("clerk", "admin base.css (static)", settings.STATIC_URL.rstrip("/") + "/admin/css/base.css"),
    ]
    if not settings.STATIC_URL.startswith("/"):
        pages[-1] = (*pages[-1][:2], "/" + pages[-1][2])
    if run is not None:
        pages.insert(6, ("approver", f"run page (run {run.pk})", reverse("admin:reserving_reserverun_change", args=[run.pk])))
    from policies.models import Policy

    policy = Policy.objects.order_by("id").first()
    if policy is not None:
        pages.insert(2, ("clerk", "policy page", reverse("admin:policies_policy_change", args=[policy.pk])))

    rows = []
    times = [login_seconds("clerk") for _ in range(max(1, args.repeat // 2))]
    rows.append({"page": "login (clerk)", "median_ms": round(statistics.median(times) * 1000),
                 "max_ms": round(max(times) * 1000), "bytes": 0, "status": 302})
    for user, label, url in pages:
        client = clients[user]
        headers = {"HTTP_ACCEPT_ENCODING": "gzip, br"}
        first = client.get(url, follow=True, **headers)
        body = b"".join(first.streaming_content) if first.streaming else first.content
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            response = client.get(url, follow=True, **headers)
            if response.streaming:
                b"".join(response.streaming_content)
            times.append(time.perf_counter() - started)
        rows.append({"page": label, "median_ms": round(statistics.median(times) * 1000),
                     "max_ms": round(max(times) * 1000), "bytes": len(body), "status": first.status_code,
                     "encoding": first.get("Content-Encoding", "")})
    load = os.getloadavg()
    if args.json:
        print(json.dumps({"load": load, "rows": rows}, indent=1))
        return 0
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {args.repeat} fetches a page")
    print(f"{'page':34} {'median ms':>10} {'max ms':>8} {'bytes':>10} status")
    for row in rows:
        print(f"{row['page']:34} {row['median_ms']:>10} {row['max_ms']:>8} {row['bytes']:>10,} {row['status']} {row.get('encoding', '')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
