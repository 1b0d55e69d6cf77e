"""`demo_runs --quarters 8`: quarter-end runs of the loaded book, prepared by the demo actuary
and approved by the demo approver (used by `make demo`)."""
from __future__ import annotations

import time
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.errors import DomainError
from core.periods import Quarter
from reserving import selectors, services
from reserving.models import ReserveRun


def _user(name: str, role: str):
    User = get_user_model()
    user = User.objects.filter(username=name).first() or User.objects.filter(groups__name=role).order_by("pk").first()
    if user is None:
        raise CommandError(f"no {role} user: run `manage.py demo_users` first")
    return user


def quarter_runs(*, quarters: int, regime: str, actuary, approver, last: date | None = None,
                      log=lambda message: None) -> list[ReserveRun]:
    """Quarter-end runs for the last `quarters` quarters of the loaded book, prepared by one
    user and approved by another; quarters that already have an approved run are skipped."""
    from django.db.models import Max

    from claims.models import ClaimTransaction
    from policies.models import PremiumTransaction

    if last is None:
        latest = max(filter(None, [ClaimTransaction.objects.aggregate(m=Max("accounting_date"))["m"],
                                   PremiumTransaction.objects.aggregate(m=Max("accounting_date"))["m"]]), default=None)
        if latest is None:
            log("no book loaded: no runs")
            return []
        q = Quarter.of(min(latest, timezone.localdate()))
        last = q.end if q.end <= timezone.localdate() and latest >= q.end else (q - 1).end
    ends = [(Quarter.of(last) - i).end for i in reversed(range(quarters))]
    done = []
    for v in ends:
        if ReserveRun.objects.filter(regime_code=regime, valuation_date=v, status=ReserveRun.Status.APPROVED).exists():
            log(f"{v}: already approved, skipped")
            continue
        started = time.monotonic()
        run = services.run_create(valuation_date=v, regime=regime, actor=actuary)
        try:
            run = services.run_compute(run=run, actor=actuary)
        except DomainError as exc:
            log(f"{v}: run {run.pk} blocked: {exc.message}")
            continue
        while run.status == ReserveRun.Status.COMPUTING and time.monotonic() - started < 1800:
            time.sleep(0.5)
            run = ReserveRun.objects.get(pk=run.pk)
        if run.status != ReserveRun.Status.COMPUTED:
            log(f"{v}: run {run.pk} {run.status} {run.error}")
            continue
        for check in selectors.run_open_warnings(run=run):
            services.run_check_acknowledge(check=check, actor=actuary)
        services.run_submit(run=run, actor=actuary)
        run = services.run_approve(run=run, actor=approver)
        log(f"{v}: run {run.pk} approved ({run.segments_total} segments, {time.monotonic() - started:.1f}s)")
        done.append(run)
    return done


class Command(BaseCommand):
    help = "Run, submit and approve the quarter-end reserve runs of the last N quarters of the loaded book."

    def add_arguments(self, parser):
        parser.add_argument("--quarters", type=int, default=8)
        parser.add_argument("--regime", action="append", help="regime code(s); default: the official regime")
        parser.add_argument("--actuary", default="actuary")
        parser.add_argument("--approver", default="approver")

    def handle(self, *args, **opts):
        actuary, approver = _user(opts["actuary"], "actuary"), _user(opts["approver"], "approver")
        for regime in opts["regime"] or [settings.OFFICIAL_REGIME]:
            quarter_runs(quarters=opts["quarters"], regime=regime, actuary=actuary, approver=approver,
                                       log=lambda m, r=regime: self.stdout.write(f"  [{r}] {m}"))
