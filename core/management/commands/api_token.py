"""`manage.py api_token USERNAME [--rotate]`: print the user's API token (created if it has none;
`--rotate` replaces it, so the old one stops working). Clients send `Authorization: Token <key>`.
Run by whoever administers the server: no password is asked, so it is not an HTTP endpoint."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

from core.roles import SYSTEM_USERNAME


class Command(BaseCommand):
    help = "Print (create, or with --rotate replace) a user's API token."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--rotate", action="store_true", help="replace the user's token with a new one")

    @transaction.atomic
    def handle(self, *args, username, rotate, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        if username == SYSTEM_USERNAME or not user.is_active:
            raise CommandError(f"{username} cannot sign in, so it gets no API token")
        if rotate:
            Token.objects.filter(user=user).delete()
        token, _created = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
