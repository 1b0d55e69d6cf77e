"""Create (or reset) the demo staff: clerk, actuary, approver, auditor and admin; print their passwords."""
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.roles import system_actor
from core.services import demo_users_ensure


class Command(BaseCommand):
    help = "Create or reset the role groups and demo users; prints the credentials (demo mode only)."

    def handle(self, *args, **options):
        if not getattr(settings, "DEMO_MODE", False):
            raise CommandError(
                "demo_users refuses to run outside demo mode: it creates staff with fixed, published "
                f"passwords (settings module {settings.SETTINGS_MODULE or '?'}, DEMO_MODE is off). "
                "Create real users with `manage.py createsuperuser` and the admin."
            )
        users = demo_users_ensure(actor=system_actor())
        width = max(len(u.username) for u in users)
        self.stdout.write(f"{'user':<{width}}  {'password':<22}  role")
        for u in users:
            self.stdout.write(f"{u.username:<{width}}  {u.password:<22}  {u.role}")
