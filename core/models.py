"""The audit trail and reporting periods."""
from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditVerb(models.TextChoices):
    """Every verb of the audit trail, one per kind of domain operation (Zulip's audit event
    types): grep a verb to find what writes it. core.roles.Operation names the same writes."""

    INSURED_CREATE = "insured.create"
    POLICY_CREATE = "policy.create"
    POLICY_UPDATE = "policy.update"
    POLICY_ENDORSE = "policy.endorse"
    POLICY_CANCEL = "policy.cancel"
    PREMIUM_REVERSE = "premium.reverse"
    CLAIM_REPORT = "claim.report"
    CLAIM_UPDATE = "claim.update"
    CLAIM_RESERVE = "claim.reserve"
    CLAIM_PAYMENT = "claim.payment"
    CLAIM_RECOVERY = "claim.recovery"
    CLAIM_CLOSE = "claim.close"
    CLAIM_REOPEN = "claim.reopen"
    CLAIM_REVERSE = "claim.reverse"
    CLAIM_SETTLE = "claim.settle"
    CLAIM_CHANGE_REQUEST = "claim.change_request"
    CLAIM_CHANGE_DECIDE = "claim.change_decide"
    CLAIM_REVEAL = "claim.reveal"
    CLAIM_ANONYMISE = "claim.anonymise"
    AUTHORITY_SET = "authority.set"
    BOOK_IMPORT = "book.import"
    BOOK_EXPORT = "book.export"
    TARIFF_COPY = "tariff.copy"
    TARIFF_EDIT = "tariff.edit"
    DIYEH_ADD = "diyeh.add"
    DIYEH_REVALUE = "diyeh.revalue"
    REGIME_VERSION_CREATE = "regime.version_create"
    APRIORI_SAVE = "apriori.save"
    RUN_CREATE = "run.create"
    RUN_CHECK = "run.check"
    RUN_ACKNOWLEDGE = "run.acknowledge"
    RUN_COMPUTE = "run.compute"
    RUN_COMPUTED = "run.computed"
    RUN_RETRY = "run.retry"
    RUN_FAIL = "run.fail"
    RUN_SELECT = "run.select"
    RUN_SUBMIT = "run.submit"
    RUN_APPROVE = "run.approve"
    RUN_REJECT = "run.reject"
    RUN_SUPERSEDE = "run.supersede"
    PERIOD_CLOSE = "period.close"
    CAPITAL_SAVE = "capital.save"
    REPORT_EXPORT = "report.export"
    SCHEDULE_INSTALL = "schedule.install"
    DEMO_USERS = "demo_users.ensure"


class AuditEvent(models.Model):
    """One row per domain operation: who did what to which object, with old and new values.
    Written in the same transaction as the change it records."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    verb = models.CharField(max_length=64, db_index=True, choices=AuditVerb.choices)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    target_repr = models.CharField(max_length=200, blank=True)
    old = models.JSONField(default=dict, blank=True)
    new = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.verb} {self.target_repr}"


class ReportingPeriod(models.Model):
    """A calendar quarter of the books. Once closed, nothing dated in it can be recorded."""

    class Status(models.TextChoices):
        OPEN = "open", "open"
        CLOSED = "closed", "closed"

    label = models.CharField(max_length=6, unique=True, help_text="e.g. 2024Q3")
    start_date = models.DateField()
    end_date = models.DateField(db_index=True)
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-end_date"]

    def __str__(self) -> str:
        return f"{self.label} ({self.status})"
