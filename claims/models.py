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
    history = HistoricalRecords()

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
