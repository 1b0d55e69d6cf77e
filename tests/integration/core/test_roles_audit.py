"""The permission matrix and the audit verbs: every operation has an entry and an audit verb of
the same name, unknown verbs are refused, and the roles' admin permissions match the matrix."""
from __future__ import annotations

import pytest

from core.models import AuditEvent, AuditVerb, ReportingPeriod
from core.roles import ALLOWED, Operation, Role, authorize, can, system_actor
from core.services import audit_record
from tests.factories import user_with_roles


def test_every_operation_is_an_audit_verb_and_has_a_matrix_entry():
    assert set(ALLOWED) == set(Operation)
    # composite writes audit under their parts (issuing from a quote as policy.create, a rerun
    # as run.create and run.compute); the whole-book download is audited as book.export (14 §4)
    composite = {"policy.issue_from_quote", "run.rerun"}
    assert {op.value for op in Operation} - set(AuditVerb.values) == composite


@pytest.mark.django_db
def test_an_unknown_audit_verb_is_refused():
    period = ReportingPeriod.objects.create(label="2024Q1", start_date="2024-01-01", end_date="2024-03-31")
    with pytest.raises(ValueError):
        audit_record(actor=system_actor(), verb="policy.destroy", target=period)
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role, allowed, refused", [
    (Role.CLERK, Operation.CLAIM_SETTLE, Operation.DIYEH_ADD),
    (Role.ACTUARY, Operation.DIYEH_REVALUE, Operation.CLAIM_PAYMENT),
    (Role.APPROVER, Operation.RUN_APPROVE, Operation.RUN_SELECT),
    (Role.AUDITOR, Operation.REPORT_EXPORT, Operation.BOOK_EXPORT),
])
def test_roles_are_allowed_what_the_matrix_says(role, allowed, refused):
    user = user_with_roles(f"u-{role}", role)
    assert can(user, allowed) and not can(user, refused)
    authorize(user, allowed)
    with pytest.raises(Exception, match="needs the"):
        authorize(user, refused)


@pytest.mark.django_db
def test_an_inactive_user_keeps_no_role():
    user = user_with_roles("gone", Role.CLERK)
    user.is_active = False
    user.save()
    assert not can(user, Operation.CLAIM_REPORT)
    assert can(system_actor(), Operation.SCHEDULE_INSTALL)
