"""Give the demo clerk a reserve and payment authority (D-36), so that a large reserve change or
payment in the demo waits in the approval queue for the approver (who has no row: unlimited)."""
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from claims.services import handler_authority_set
from core.roles import system_actor

# username → currency → (reserve limit, payment limit)
DEMO_AUTHORITIES = {
    "clerk": {"RUB": (Decimal("1000000"), Decimal("500000")),
              "IRR": (Decimal("5000000000"), Decimal("2000000000"))},
}


class Command(BaseCommand):
    help = "Set the demo clerk's claim reserve and payment authority (demo mode only); run after demo_users."

    def handle(self, *args, **options):
        if not getattr(settings, "DEMO_MODE", False):
            raise CommandError("demo_authorities runs in demo mode only; set authorities in the admin "
                               "(Claims › Handler authorities)")
        actor, User = system_actor(), get_user_model()
        for username, limits in DEMO_AUTHORITIES.items():
            user = User.objects.filter(username=username).first()
            if user is None:
                self.stdout.write(f"{username}: no such user (run demo_users first); skipped")
                continue
            for currency, (reserve, payment) in limits.items():
                row = handler_authority_set(user=user, currency=currency, reserve_limit=reserve,
                                            payment_limit=payment, actor=actor)
                self.stdout.write(str(row))
