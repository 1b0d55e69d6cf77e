"""Claims: the claim master data (with history) and the append-only claim ledger of
case-reserve changes, payments, recoveries, closes and reopens (design.md §4)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from core.ledger import row_kinds
from policies.models import Policy


class Claim(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "open"
        CLOSED = "closed", "closed"

    claim_number = models.CharField(max_length=40, unique=True)
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="claims")
    occurrence_date = models.DateField()
    report_date = models.DateField(db_index=True)
    cause = models.CharField(max_length=200, blank=True)
    litigated = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN, db_index=True)
    claimant = models.CharField(max_length=200, blank=True)
    awarded_diyeh_share = models.DecimalField(
        max_digits=7, decimal_places=4, null=True, blank=True, help_text="share of a full diyeh: 0.25 = 25%"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the claimant's name and the cause were erased (claims.privacy.claim_anonymise):
    # in the claim and in every history row; amounts and dates are untouched.
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)
    history = HistoricalRecords()

    # Patients' data (issue 14 §4): shown only to claims.privacy.can_see_patient_data, erased by
    # the retention (claims.privacy.claim_anonymise), never in audit rows or ledger notes.
    PATIENT_DATA_FIELDS = ("claimant", "cause")

    class Meta:
        ordering = ["-report_date", "claim_number"]

    def __str__(self) -> str:
        return self.claim_number


class ClaimTransaction(models.Model):
    """Append-only claim ledger. Reserve rows are signed changes of the case estimate;
    payments and recoveries are positive; a reversal carries the negated amount of its row."""

    class EffectKind(models.TextChoices):
        RESERVE = "reserve", "reserve"
        PAYMENT = "payment", "payment"
        RECOVERY = "recovery", "recovery"
        CLOSE = "close", "close"
        REOPEN = "reopen", "reopen"

    Kind = row_kinds(EffectKind)  # the effect kinds and "reversal"

    class CostType(models.TextChoices):
        INDEMNITY = "indemnity", "indemnity"
        EXPENSE = "expense", "expense"

    transaction_id = models.CharField(max_length=64, unique=True)
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="transactions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # For a reversal: the kind of the row it reverses, so SQL sums by effect without a self-join.
    effect_kind = models.CharField(max_length=16, choices=EffectKind.choices)
    cost_type = models.CharField(max_length=16, choices=CostType.choices, blank=True)
    amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    accounting_date = models.DateField(db_index=True)
    recorded_at = models.DateTimeField(db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    derived = models.BooleanField(default=False, help_text="reserve change posted by the system for a close")
    topup = models.BooleanField(default=False, help_text="reserve top-up posted by import --allow-topup")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["accounting_date", "id"]
        indexes = [models.Index(fields=["claim", "accounting_date"])]

    def __str__(self) -> str:
        amount = "" if self.amount is None else f" {self.amount}"
        return f"{self.transaction_id} {self.kind} {self.cost_type}{amount}".replace("  ", " ")


class HandlerAuthority(models.Model):
    """A claim handler's reserve and payment authority in one currency (D-36). A reserve change
    or payment above it waits in PendingClaimChange until someone whose authority covers it
    approves. Users without a row for the claim's currency (and the system actor) are not
    limited. Set through claims.services.handler_authority_set; history kept."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claim_authorities")
    currency = models.CharField(max_length=3)
    reserve_limit = models.DecimalField(
        max_digits=18, decimal_places=2,
        help_text="largest case estimate (per cost type) a reserve increase may reach, and largest decrease")
    payment_limit = models.DecimalField(max_digits=18, decimal_places=2, help_text="largest single payment")
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["user__username", "currency"]
        constraints = [models.UniqueConstraint(fields=["user", "currency"], name="handler_authority_user_currency")]
        verbose_name = "handler authority"
        verbose_name_plural = "handler authorities"

    def __str__(self) -> str:
        return f"{self.user} {self.currency}: reserve {self.reserve_limit:,.2f}, payment {self.payment_limit:,.2f}"


class PendingClaimChange(models.Model):
    """A reserve change or payment above its requester's authority, waiting for a decision. The
    ledger is untouched until approval, which posts the row (recorded_at = the approval time)
    and links it here; a rejection posts nothing (D-36)."""

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        APPROVED = "approved", "approved"
        REJECTED = "rejected", "rejected"

    class Kind(models.TextChoices):
        RESERVE = "reserve", "reserve"
        PAYMENT = "payment", "payment"

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="pending_changes")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    cost_type = models.CharField(max_length=16, choices=ClaimTransaction.CostType.choices)
    amount = models.DecimalField(max_digits=18, decimal_places=2,
                                 help_text="reserve: the signed change as requested; payment: the amount")
    new_estimate = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True,
                                       help_text="reserve given as the estimate to reach: the change is "
                                                 "recomputed from it at approval")
    authority_amount = models.DecimalField(max_digits=18, decimal_places=2,
                                           help_text="what the authority is measured on, at the request")
    accounting_date = models.DateField()
    note = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    posted = models.OneToOneField(ClaimTransaction, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="approved_change", help_text="the ledger row the approval posted")

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = "pending claim change"

    def __str__(self) -> str:
        return f"change #{self.pk} {self.kind} {self.cost_type} {self.amount:+,.2f} on {self.claim} ({self.status})"


class LargeLoss(Claim):
    """Claims whose incurred reached the large-loss threshold of their currency
    (claims.selectors.large_losses): the actuary's list."""

    class Meta:
        proxy = True
        verbose_name = "large loss"
