"""`install_schedules`: the django-celery-beat schedule of the quarter-end first-cut run
(02:00 on the 1st of Jan/Apr/Jul/Oct, CELERY_TIMEZONE). Idempotent."""
from django.core.management.base import BaseCommand

from core.roles import system_actor

from reserving.services import schedules_install


class Command(BaseCommand):
    help = "Install (or restore) the quarter-end first-cut schedule in django-celery-beat."

    def handle(self, *args, **opts):
        task = schedules_install(actor=system_actor())
        self.stdout.write(f"schedule installed: {task.name} — {task.crontab} ({'enabled' if task.enabled else 'disabled'})")
