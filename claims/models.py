"""Claims: the claim master data (with history) and the append-only claim ledger of
case-reserve changes, payments, recoveries, closes and reopens (design.md §4)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.ledger import row_kinds
from policies.models import Policy


class Claim(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    claim_number = models.CharField(max_length=40, unique=True, verbose_name=_("claim number"))
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="claims", verbose_name=_("policy"))
    occurrence_date = models.DateField(verbose_name=_("occurrence date"))
    report_date = models.DateField(db_index=True, verbose_name=_("report date"))
    cause = models.CharField(max_length=200, blank=True, verbose_name=_("cause"))
    litigated = models.BooleanField(default=False, verbose_name=_("litigated"))
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN, db_index=True, verbose_name=_("status"))
    claimant = models.CharField(max_length=200, blank=True, verbose_name=_("claimant"))
    awarded_diyeh_share = models.DecimalField(
        max_digits=7, decimal_places=4, null=True, blank=True, help_text=_("share of a full diyeh: 0.25 = 25%"), verbose_name=_("awarded diyeh share")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    # Set when the claimant's name and the cause were erased (claims.privacy.claim_anonymise):
    # in the claim and in every history row; amounts and dates are untouched.
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("anonymised at"))
    history = HistoricalRecords()

    # Patients' data (issue 14 §4): shown only to claims.privacy.can_see_patient_data, erased by
    # the retention (claims.privacy.claim_anonymise), never in audit rows or ledger notes.
    PATIENT_DATA_FIELDS = ("claimant", "cause")

    class Meta:
        ordering = ["-report_date", "claim_number"]
        verbose_name = _("claim")
        verbose_name_plural = _("claims")

    def __str__(self) -> str:
        return self.claim_number


class ClaimTransaction(models.Model):
    """Append-only claim ledger. Reserve rows are signed changes of the case estimate;
    payments and recoveries are positive; a reversal carries the negated amount of its row."""

    class EffectKind(models.TextChoices):
        RESERVE = "reserve", _("reserve")
        PAYMENT = "payment", _("payment")
        RECOVERY = "recovery", _("recovery")
        CLOSE = "close", _("close")
        REOPEN = "reopen", _("reopen")

    Kind = row_kinds(EffectKind)  # the effect kinds and "reversal"

    class CostType(models.TextChoices):
        INDEMNITY = "indemnity", _("indemnity")
        EXPENSE = "expense", _("expense")

    transaction_id = models.CharField(max_length=64, unique=True, verbose_name=_("transaction id"))
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="transactions", verbose_name=_("claim"))
    kind = models.CharField(max_length=16, choices=Kind.choices, verbose_name=_("kind"))
    # For a reversal: the kind of the row it reverses, so SQL sums by effect without a self-join.
    effect_kind = models.CharField(max_length=16, choices=EffectKind.choices, verbose_name=_("effect kind"))
    cost_type = models.CharField(max_length=16, choices=CostType.choices, blank=True, verbose_name=_("cost type"))
    amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True, verbose_name=_("amount"))
    accounting_date = models.DateField(db_index=True, verbose_name=_("accounting date"))
    recorded_at = models.DateTimeField(db_index=True, verbose_name=_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by", verbose_name=_("reverses")
    )
    derived = models.BooleanField(default=False, help_text=_("reserve change posted by the system for a close"), verbose_name=_("derived"))
    topup = models.BooleanField(default=False, help_text=_("reserve top-up posted by import --allow-topup"), verbose_name=_("topup"))
    note = models.CharField(max_length=500, blank=True, verbose_name=_("note"))

    class Meta:
        ordering = ["accounting_date", "id"]
        indexes = [models.Index(fields=["claim", "accounting_date"])]
        verbose_name = _("claim transaction")
        verbose_name_plural = _("claim transactions")

    def __str__(self) -> str:
        amount = "" if self.amount is None else f" {self.amount}"
        return f"{self.transaction_id} {self.kind} {self.cost_type}{amount}".replace("  ", " ")


class HandlerAuthority(models.Model):
    """A claim handler's reserve and payment authority in one currency (D-36). A reserve change
    or payment above it waits in PendingClaimChange until someone whose authority covers it
    approves. Users without a row for the claim's currency (and the system actor) are not
    limited. Set through claims.services.handler_authority_set; history kept."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claim_authorities", verbose_name=_("user"))
    currency = models.CharField(max_length=3, verbose_name=_("currency"))
    reserve_limit = models.DecimalField(
        max_digits=18, decimal_places=2,
        help_text=_("largest case estimate (per cost type) a reserve increase may reach, and largest decrease"), verbose_name=_("reserve limit"))
    payment_limit = models.DecimalField(max_digits=18, decimal_places=2, help_text=_("largest single payment"), verbose_name=_("payment limit"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["user__username", "currency"]
        constraints = [models.UniqueConstraint(fields=["user", "currency"], name="handler_authority_user_currency")]
        verbose_name = _("handler authority")
        verbose_name_plural = _("handler authorities")

    def __str__(self) -> str:
        return f"{self.user} {self.currency}: reserve {self.reserve_limit:,.2f}, payment {self.payment_limit:,.2f}"


class PendingClaimChange(models.Model):
    """A reserve change or payment above its requester's authority, waiting for a decision. The
    ledger is untouched until approval, which posts the row (recorded_at = the approval time)
    and links it here; a rejection posts nothing (D-36)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    class Kind(models.TextChoices):
        RESERVE = "reserve", _("reserve")
        PAYMENT = "payment", _("payment")

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="pending_changes", verbose_name=_("claim"))
    kind = models.CharField(max_length=8, choices=Kind.choices, verbose_name=_("kind"))
    cost_type = models.CharField(max_length=16, choices=ClaimTransaction.CostType.choices, verbose_name=_("cost type"))
    amount = models.DecimalField(max_digits=18, decimal_places=2,
                                 help_text=_("reserve: the signed change as requested; payment: the amount"), verbose_name=_("amount"))
    new_estimate = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True,
                                       help_text=_("reserve given as the estimate to reach: the change is "
                                                 "recomputed from it at approval"), verbose_name=_("new estimate"))
    authority_amount = models.DecimalField(max_digits=18, decimal_places=2,
                                           help_text=_("what the authority is measured on, at the request"), verbose_name=_("authority amount"))
    accounting_date = models.DateField(verbose_name=_("accounting date"))
    note = models.CharField(max_length=500, blank=True, verbose_name=_("note"))
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING, db_index=True, verbose_name=_("status"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by"))
    requested_at = models.DateTimeField(verbose_name=_("requested at"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))
    decision_note = models.CharField(max_length=500, blank=True, verbose_name=_("decision note"))
    posted = models.OneToOneField(ClaimTransaction, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="approved_change", help_text=_("the ledger row the approval posted"), verbose_name=_("posted"))

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("pending claim change")
        verbose_name_plural = _("pending claim changes")

    def __str__(self) -> str:
        return f"change #{self.pk} {self.kind} {self.cost_type} {self.amount:+,.2f} on {self.claim} ({self.status})"


class LargeLoss(Claim):
    """Claims whose incurred reached the large-loss threshold of their currency
    (claims.selectors.large_losses): the actuary's list."""

    class Meta:
        proxy = True
        verbose_name = _("large loss")
        verbose_name_plural = _("large losses")
