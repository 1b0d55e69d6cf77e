"""Who may do what: the staff roles, every domain operation that writes, and the one function
that services call before they write (`authorize`). The admin and the API ask `can` to decide
what to show; the services refuse whatever they are asked regardless (decision D-19).

Roles are Django groups of the same names. A superuser passes every role check, but never the
maker-checker rule (reserving.services). Management commands and scheduled tasks act as the
`system` actor: a real user row that cannot log in, allowed every operation and named in the
audit trail. `None` is nobody and is refused everything.
"""
from __future__ import annotations

from enum import StrEnum

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import IntegrityError, models
from django.db.models import Q
from django.utils.translation import gettext as _

from core.errors import PermissionDenied
from core.models import AuditVerb


class Role(models.TextChoices):
    CLERK = "clerk", "clerk"
    ACTUARY = "actuary", "actuary"
    APPROVER = "approver", "approver"
    AUDITOR = "auditor", "auditor"


# Every write of the product. An operation that writes an audit row is named as its verb
# (core.models.AuditVerb, the one list of the names); two are not audited under their own
# verb: composites audited as their parts. Reads of patients' data that are operations (the
# whole-book download, an auditor's reveal of one claim) write an audit row of their own.
_NOT_AUDITED_AS_SUCH = {"POLICY_ISSUE_FROM_QUOTE": "policy.issue_from_quote", "RUN_RERUN": "run.rerun"}
# Steps, not operations: a change request is a step of a reserve change or payment above the
# handler's authority, authorised as that change (claims.services, D-36).
_SYSTEM_VERBS = {"RUN_CHECK", "RUN_COMPUTED", "RUN_FAIL", "RUN_SUPERSEDE", "CLAIM_CHANGE_REQUEST"}
Operation = StrEnum("Operation", [(verb.name, verb.value) for verb in AuditVerb if verb.name not in _SYSTEM_VERBS]
                    + list(_NOT_AUDITED_AS_SUCH.items()))
Operation.__doc__ = "Every write of the product, named as its audit verb is."


_BOOK_KEEPING = {
    Operation.INSURED_CREATE, Operation.POLICY_CREATE, Operation.POLICY_UPDATE, Operation.POLICY_ENDORSE,
    Operation.POLICY_CANCEL, Operation.PREMIUM_REVERSE, Operation.POLICY_ISSUE_FROM_QUOTE,
    Operation.CLAIM_REPORT, Operation.CLAIM_UPDATE, Operation.CLAIM_RESERVE, Operation.CLAIM_PAYMENT,
    Operation.CLAIM_RECOVERY, Operation.CLAIM_CLOSE, Operation.CLAIM_REOPEN, Operation.CLAIM_REVERSE,
    Operation.CLAIM_SETTLE, Operation.BOOK_IMPORT, Operation.BOOK_EXPORT,
    Operation.CLAIM_CHANGE_DECIDE,  # within the decider's own authority (claims.services, D-36)
}
_PREPARING = {
    Operation.TARIFF_COPY, Operation.TARIFF_EDIT, Operation.DIYEH_ADD, Operation.DIYEH_REVALUE, Operation.REGIME_VERSION_CREATE,
    Operation.APRIORI_SAVE,
    Operation.RUN_CREATE, Operation.RUN_COMPUTE, Operation.RUN_RETRY, Operation.RUN_ACKNOWLEDGE, Operation.RUN_SELECT,
    Operation.RUN_SUBMIT, Operation.RUN_RERUN, Operation.CAPITAL_SAVE, Operation.REPORT_EXPORT, Operation.BOOK_EXPORT,
    Operation.TREATY_SAVE,
}
_SIGNING = {Operation.RUN_APPROVE, Operation.RUN_REJECT, Operation.PERIOD_CLOSE, Operation.CAPITAL_SAVE,
            Operation.REPORT_EXPORT, Operation.CLAIM_CHANGE_DECIDE, Operation.AUTHORITY_SET}

# The permission matrix: operation → the roles allowed it. Operations absent from every role
# (installing schedules, resetting demo users, anonymising a claim) are for the system actor and
# superusers only. CLAIM_REVEAL is the auditor's request to see one claim's patients' data (an
# audit row each time); the clerk sees it without asking (PATIENT_DATA_READERS).
ALLOWED: dict[Operation, frozenset[str]] = {
    op: frozenset(role for role, ops in (
        (Role.CLERK, _BOOK_KEEPING), (Role.ACTUARY, _PREPARING), (Role.APPROVER, _SIGNING),
        (Role.AUDITOR, {Operation.REPORT_EXPORT, Operation.CLAIM_REVEAL}),
    ) if op in ops)
    for op in Operation
}

SYSTEM_USERNAME = "system"


def system_actor():
    """The actor of management commands and scheduled tasks: a user who cannot log in."""
    User = get_user_model()
    user = User.objects.filter(username=SYSTEM_USERNAME).first()
    if user is None:
        try:
            user = User(username=SYSTEM_USERNAME, is_active=False, is_staff=False,
                        first_name="system", last_name="(commands and schedules)")
            user.set_unusable_password()
            user.save()
        except IntegrityError:  # created concurrently by another worker
            user = User.objects.get(username=SYSTEM_USERNAME)
    return user


def is_system(actor) -> bool:
    return bool(getattr(actor, "pk", None) and actor.username == SYSTEM_USERNAME and not actor.is_active
                and not actor.has_usable_password())


def roles_of(actor) -> set[str]:
    if actor is None or not getattr(actor, "pk", None) or not actor.is_active:
        return set()
    cached = getattr(actor, "_medmal_roles", None)
    if cached is None:
        cached = set(actor.groups.filter(name__in=Role.values).values_list("name", flat=True))
        actor._medmal_roles = cached
    return cached


def can(actor, operation: Operation) -> bool:
    """Whether `actor` may perform `operation` (maker-checker aside)."""
    if actor is None or not getattr(actor, "pk", None):
        return False
    if is_system(actor) or (actor.is_active and actor.is_superuser):
        return True
    return bool(roles_of(actor) & ALLOWED[Operation(operation)])


def authorize(actor, operation: Operation) -> None:
    """Refuse `operation` unless `actor` holds a role allowed it. Services call this first."""
    if can(actor, operation):
        return
    operation = Operation(operation)
    roles = sorted(ALLOWED[operation])
    if actor is None or not getattr(actor, "pk", None):
        raise PermissionDenied(_("%(operation)s needs a signed-in user") % {"operation": operation.value})
    # The operation and the role names stay codes (they are the group names the staff are given).
    if roles:
        message = _("%(operation)s needs the %(roles)s role; %(user)s does not have it")
    else:
        message = _("%(operation)s needs a superuser; %(user)s does not have it")
    raise PermissionDenied(message % {"operation": operation.value, "roles": (" %s " % _("or")).join(roles),
                                      "user": actor.get_username()})


# Who sees claimants' names and the medical cause of claims without asking (issue 14 §4): the
# clerk, who books claims. Superusers and the system actor too. Everyone else sees them masked;
# the auditor may reveal one claim at a time (Operation.CLAIM_REVEAL, audited). Decided in one
# place, claims.privacy.can_see_patient_data, which the admin, the API and the history views ask.
PATIENT_DATA_READERS = frozenset({Role.CLERK})


def can_see_patient_data(actor) -> bool:
    if actor is None or not getattr(actor, "pk", None):
        return False
    if is_system(actor) or (actor.is_active and actor.is_superuser):
        return True
    return bool(roles_of(actor) & PATIENT_DATA_READERS)


# Who reads reserve runs and the dashboards built on them (the clerk does not).
RESERVE_READERS = frozenset({Role.ACTUARY, Role.APPROVER, Role.AUDITOR})


def can_read_reserves(actor) -> bool:
    if actor is None or not getattr(actor, "pk", None) or not actor.is_active:
        return False
    return bool(actor.is_superuser or roles_of(actor) & RESERVE_READERS
                or actor.has_perm("reserving.view_reserverun"))


def _perms(apps, actions) -> list[Permission]:
    query = Q()
    for action in actions:
        query |= Q(codename__startswith=f"{action}_")
    return list(Permission.objects.filter(query, content_type__app_label__in=apps))


BOOK_APPS = ("policies", "claims")
# The Celery beat schedules are not among them: running or toggling a scheduled task from its admin
# acts as the system actor, so only superusers see that admin (issue 14: the matrix walk).
PRODUCT_APPS = ("core", "segments", "fx", "reinsurance", "policies", "claims", "reserving", "exchange", "tariff",
                "reporting")


def role_permissions() -> dict[str, list[Permission]]:
    """The admin's model permissions of each role, matching ALLOWED: clerk books policies and
    claims; actuary and approver see everything and work the reserving models and capital
    entries; auditor only looks. Granted by app label, so models that later issues add are
    covered by re-running `demo_users`."""
    view_all = _perms(PRODUCT_APPS, ["view"])
    reserving = _perms(["reserving"], ["add", "change", "view"])
    capital = [p for p in _perms(["reporting"], ["add", "change"]) if p.codename.endswith("_capitalentry")]
    tariff_view, tariff_edit = _perms(["tariff"], ["view"]), _perms(["tariff"], ["add", "change"])
    treaties = _perms(["reinsurance"], ["add", "change"])  # saved through treaty_save (TREATY_SAVE)
    return {
        Role.CLERK: _perms(BOOK_APPS, ["add", "change", "view"]) + tariff_view,
        Role.ACTUARY: view_all + reserving + tariff_edit + capital + treaties,
        Role.APPROVER: view_all + reserving + capital,
        Role.AUDITOR: view_all,
    }
