"""Create (or reset) the demo staff: clerk, actuary, approver, auditor and admin; print their passwords."""
from django.core.management.base import BaseCommand

from core.roles import system_actor
from core.services import demo_users_ensure


class Command(BaseCommand):
    help = "Create or reset the role groups and demo users; prints the credentials."

    def handle(self, *args, **options):
        users = demo_users_ensure(actor=system_actor())
        width = max(len(u.username) for u in users)
        self.stdout.write(f"{'user':<{width}}  {'password':<22}  role")
        for u in users:
            self.stdout.write(f"{u.username:<{width}}  {u.password:<22}  {u.role}")
