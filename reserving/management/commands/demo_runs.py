"""`demo_runs --quarters 8`: quarter-end runs of the loaded book, prepared by the demo actuary
and approved by the demo approver (used by `make demo`)."""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from reserving import services


def _user(name: str, role: str):
    User = get_user_model()
    user = User.objects.filter(username=name).first() or User.objects.filter(groups__name=role).order_by("pk").first()
    if user is None:
        raise CommandError(f"no {role} user: run `manage.py demo_users` first")
    return user


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
            services.demo_quarter_runs(quarters=opts["quarters"], regime=regime, actuary=actuary, approver=approver,
                                       log=lambda m, r=regime: self.stdout.write(f"  [{r}] {m}"))
