"""Writes shared by every app: the audit row, the closed-period guard and the demo users."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from core.errors import PeriodClosed
from core.models import AuditEvent, AuditVerb, ReportingPeriod
from core.period_cache import closed_labels_cached
from core.periods import Quarter
from core.roles import Operation, authorize, role_permissions


def audit_record(*, actor, verb: AuditVerb, target, old: dict | None = None, new: dict | None = None) -> AuditEvent:
    verb = AuditVerb(verb)  # an unknown verb is a programming error, never a new kind of row
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        verb=verb,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=str(target)[:200],
        old=old or {},
        new=new or {},
    )


def period_ensure_open(accounting_date: date) -> None:
    """Refuse a posting dated in a closed period (the closed labels come from core.period_cache:
    no query once they are read)."""
    label = Quarter.of(accounting_date).label
    if label in closed_labels_cached():
        raise PeriodClosed(accounting_date, label)


def closed_period_labels() -> set[str]:
    return set(closed_labels_cached())


def period_get_or_create(*, label: str) -> ReportingPeriod:
    q = Quarter.parse(label)
    period, _ = ReportingPeriod.objects.get_or_create(label=q.label, defaults={"start_date": q.start, "end_date": q.end})
    return period


@transaction.atomic
def period_mark_closed(*, label: str, actor) -> ReportingPeriod:
    """Mark a quarter closed. The runs work adds the precondition (the official run approved)
    in its own period_close service, which calls this."""
    authorize(actor, Operation.PERIOD_CLOSE)
    period = period_get_or_create(label=label)
    period = ReportingPeriod.objects.select_for_update().get(pk=period.pk)
    if period.status == ReportingPeriod.Status.CLOSED:
        return period
    period.status = ReportingPeriod.Status.CLOSED
    period.closed_at = timezone.now()
    period.closed_by = actor if getattr(actor, "pk", None) else None
    period.save(update_fields=["status", "closed_at", "closed_by"])
    audit_record(actor=actor, verb=AuditVerb.PERIOD_CLOSE, target=period, old={"status": "open"}, new={"status": "closed"})
    return period


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str


def demo_password(username: str) -> str:
    return f"{username}-demo-2026"


@transaction.atomic(durable=True)
def demo_users_ensure(*, actor) -> list[DemoUser]:
    """Create or reset the role groups and one demo user per role plus `admin` (superuser).
    Idempotent: re-running resets passwords and permissions."""
    authorize(actor, Operation.DEMO_USERS)
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
    audit_record(actor=actor, verb=AuditVerb.DEMO_USERS, target=admin, new={"users": [u.username for u in made]})
    return made
