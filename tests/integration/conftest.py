"""API fixtures: a clerk who may post, an auditor who may only read."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from tests.factories import user_with_roles

CLERK_PERMS = ("add_policy", "change_policy", "add_premiumtransaction", "add_claim", "add_claimtransaction")


@pytest.fixture
def clerk(db):
    user = user_with_roles("clerk-api", "clerk", is_staff=False)
    user.user_permissions.set(Permission.objects.filter(codename__in=CLERK_PERMS))
    return user


@pytest.fixture
def auditor(db):
    user = user_with_roles("auditor-api", "auditor", is_staff=False)
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    return user


@pytest.fixture
def api(clerk):
    client = APIClient()
    client.force_authenticate(clerk)
    return client


@pytest.fixture
def anonymous():
    return APIClient()
