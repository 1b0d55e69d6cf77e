"""The audit trail and reporting periods."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditVerb(models.TextChoices):
    """Every verb of the audit trail, one per kind of domain operation (Zulip's audit event
    types): grep a verb to find what writes it. core.roles.Operation names the same writes."""

    INSURED_CREATE = "insured.create", _("insured added")
    POLICY_CREATE = "policy.create", _("policy issued")
    POLICY_UPDATE = "policy.update", _("policy master data changed")
    POLICY_ENDORSE = "policy.endorse", _("policy endorsed")
    POLICY_CANCEL = "policy.cancel", _("policy cancelled")
    PREMIUM_REVERSE = "premium.reverse", _("premium row reversed")
    CLAIM_REPORT = "claim.report", _("claim reported")
    CLAIM_UPDATE = "claim.update", _("claim master data changed")
    CLAIM_RESERVE = "claim.reserve", _("case reserve changed")
    CLAIM_PAYMENT = "claim.payment", _("claim payment")
    CLAIM_RECOVERY = "claim.recovery", _("claim recovery")
    CLAIM_CLOSE = "claim.close", _("claim closed")
    CLAIM_REOPEN = "claim.reopen", _("claim reopened")
    CLAIM_REVERSE = "claim.reverse", _("claim row reversed")
    CLAIM_SETTLE = "claim.settle", _("claim settled")
    CLAIM_CHANGE_REQUEST = "claim.change_request", _("change above authority requested")
    CLAIM_CHANGE_DECIDE = "claim.change_decide", _("change above authority decided")
    CLAIM_REVEAL = "claim.reveal", _("patients' data shown")
    CLAIM_ANONYMISE = "claim.anonymise", _("claim anonymised")
    AUTHORITY_SET = "authority.set", _("handler authority set")
    BOOK_IMPORT = "book.import", _("book imported")
    BOOK_EXPORT = "book.export", _("book exported")
    TARIFF_COPY = "tariff.copy", _("tariff version copied")
    TARIFF_EDIT = "tariff.edit", _("tariff edited")
    DIYEH_ADD = "diyeh.add", _("diyeh amount added")
    DIYEH_REVALUE = "diyeh.revalue", _("open claims revalued on diyeh")
    REGIME_VERSION_CREATE = "regime.version_create", _("regime version created")
    APRIORI_SAVE = "apriori.save", _("a-priori loss ratio saved")
    RUN_CREATE = "run.create", _("reserve run created")
    RUN_CHECK = "run.check", _("run data checked")
    RUN_ACKNOWLEDGE = "run.acknowledge", _("data check acknowledged")
    RUN_COMPUTE = "run.compute", _("run computation started")
    RUN_COMPUTED = "run.computed", _("run computed")
    RUN_RETRY = "run.retry", _("run segments retried")
    RUN_FAIL = "run.fail", _("run failed")
    RUN_SELECT = "run.select", _("run selection saved")
    RUN_SUBMIT = "run.submit", _("run submitted")
    RUN_APPROVE = "run.approve", _("run approved")
    RUN_REJECT = "run.reject", _("run rejected")
    RUN_SUPERSEDE = "run.supersede", _("run superseded")
    PERIOD_CLOSE = "period.close", _("period closed")
    CAPITAL_SAVE = "capital.save", _("capital entry saved")
    TREATY_SAVE = "treaty.save", _("reinsurance treaty saved")
    REPORT_EXPORT = "report.export", _("report exported")
    SCHEDULE_INSTALL = "schedule.install", _("schedules installed")
    DEMO_USERS = "demo_users.ensure", _("demo users ensured")


class AuditEvent(models.Model):
    """One row per domain operation: who did what to which object, with old and new values.
    Written in the same transaction as the change it records."""

    at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("at"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("actor"))
    verb = models.CharField(max_length=64, db_index=True, choices=AuditVerb.choices, verbose_name=_("verb"))
    target_type = models.CharField(max_length=64, verbose_name=_("target type"))
    target_id = models.CharField(max_length=64, verbose_name=_("target id"))
    target_repr = models.CharField(max_length=200, blank=True, verbose_name=_("target repr"))
    old = models.JSONField(default=dict, blank=True, verbose_name=_("old"))
    new = models.JSONField(default=dict, blank=True, verbose_name=_("new"))

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.verb} {self.target_repr}"


class ReportingPeriod(models.Model):
    """A calendar quarter of the books. Once closed, nothing dated in it can be recorded."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    label = models.CharField(max_length=6, unique=True, help_text=_("e.g. 2024Q3"), verbose_name=_("label"))
    start_date = models.DateField(verbose_name=_("start date"))
    end_date = models.DateField(db_index=True, verbose_name=_("end date"))
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN, verbose_name=_("status"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("closed by"))

    class Meta:
        ordering = ["-end_date"]
        verbose_name = _("reporting period")
        verbose_name_plural = _("reporting periods")

    def __str__(self) -> str:
        return f"{self.label} ({self.status})"
