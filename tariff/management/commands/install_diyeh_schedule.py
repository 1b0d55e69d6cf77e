"""`install_diyeh_schedule`: the django-celery-beat schedule of the daily diyeh revaluation. Idempotent."""
from django.core.management.base import BaseCommand

from core.roles import system_actor

from tariff.services import diyeh_schedule_install


class Command(BaseCommand):
    help = "Install (or restore) the daily diyeh revaluation schedule in django-celery-beat."

    def handle(self, *args, **opts):
        task = diyeh_schedule_install(actor=system_actor())
        self.stdout.write(f"schedule installed: {task.name} — {task.crontab} ({'enabled' if task.enabled else 'disabled'})")
