"""`reserve_watchdog`: one round of the reserve-run watchdog (what beat runs every minute):
re-send the segments of runs without progress, fail those re-sent too often (retryable), and
print the alerts — stuck or failed runs, missed beat schedules. Exit status 1 when there is any
alert, so cron or a monitoring probe can page on it."""
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from core.roles import system_actor
from reserving.watchdog import MAX_RESENDS, STALLED_AFTER, watchdog_alerts, watchdog_patrol


class Command(BaseCommand):
    help = "Heal stuck reserve runs (re-send or fail them) and list stuck/failed runs and missed schedules."

    def add_arguments(self, parser):
        parser.add_argument("--stalled-after", type=float, default=STALLED_AFTER.total_seconds(),
                            help="seconds without progress after which a computing run is stuck "
                                 f"(default {STALLED_AFTER.total_seconds():.0f})")
        parser.add_argument("--max-resends", type=int, default=MAX_RESENDS,
                            help=f"re-sends before a stuck run is failed, retryable (default {MAX_RESENDS})")
        parser.add_argument("--alerts-only", action="store_true", help="change nothing; only list the alerts")

    def handle(self, *args, **opts):
        stalled_after = timedelta(seconds=opts["stalled_after"])
        if opts["alerts_only"]:
            alerts = watchdog_alerts(stalled_after=stalled_after)
        else:
            patrol = watchdog_patrol(actor=system_actor(), stalled_after=stalled_after, max_resends=opts["max_resends"])
            for pk in patrol.resent:
                self.stdout.write(f"re-sent the missing segments of run {pk}")
            for pk in patrol.failed:
                self.stdout.write(f"failed run {pk} (retryable): no progress after {opts['max_resends']} re-sends")
            alerts = patrol.alerts
        for alert in alerts:
            self.stdout.write(str(alert))
        if alerts:
            raise CommandError(f"{len(alerts)} alert(s)", returncode=1)
        self.stdout.write("no alerts")
