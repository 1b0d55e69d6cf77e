"""Staff roles (groups with model permissions) and the demo users who hold them.

Permissions are granted by app label, so models that later issues add to an app (e.g. the
reserving runs) are covered by re-running `demo_users`.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from core.services import audit_record

BOOK_APPS = ("policies", "claims")
PRODUCT_APPS = ("core", "policies", "claims", "reserving", "exchange", "tariff", "django_celery_beat")


def _perms(apps, actions) -> list[Permission]:
    query = Q()
    for action in actions:
        query |= Q(codename__startswith=f"{action}_")
    return list(Permission.objects.filter(query, content_type__app_label__in=apps))


def role_permissions() -> dict[str, list[Permission]]:
    """clerk books policies and claims; actuary and approver see everything and work the
    reserving models; auditor only looks."""
    view_all = _perms(PRODUCT_APPS, ["view"])
    reserving = _perms(["reserving"], ["add", "change", "view"])
    # Clerks quote from the tariff before issuing; actuaries maintain tariffs and diyeh amounts.
    tariff_view, tariff_edit = _perms(["tariff"], ["view"]), _perms(["tariff"], ["add", "change"])
    return {
        "clerk": _perms(BOOK_APPS, ["add", "change", "view"]) + tariff_view,
        "actuary": view_all + reserving + tariff_edit,
        "approver": view_all + reserving,
        "auditor": view_all,
    }


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str


def demo_password(username: str) -> str:
    return f"{username}-demo-2026"


@transaction.atomic
def demo_users_ensure(*, actor=None) -> list[DemoUser]:
    """Create or reset the role groups and one demo user per role plus `admin` (superuser).
    Idempotent: re-running resets passwords and permissions."""
    User = get_user_model()
    made = []
    for role, perms in role_permissions().items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(perms)
        user, _ = User.objects.get_or_create(username=role)
        user.is_staff, user.is_superuser, user.is_active = True, False, True
        user.set_password(demo_password(role))
        user.save()
        user.groups.set([group])
        made.append(DemoUser(role, demo_password(role), role))
    admin, _ = User.objects.get_or_create(username="admin")
    admin.is_staff = admin.is_superuser = admin.is_active = True
    admin.set_password(demo_password("admin"))
    admin.save()
    made.append(DemoUser("admin", demo_password("admin"), "superuser"))
    audit_record(actor=actor, verb="demo_users.ensure", target=admin, new={"users": [u.username for u in made]})
    return made
