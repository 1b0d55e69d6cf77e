"""Policies: the insured, the policy master data (with history) and the append-only premium ledger."""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from core.ledger import row_kinds
from core.money import CurrencyError, currency_check
from policies.rules import display_status


def validate_currency(value: str) -> None:
    try:
        currency_check(value)
    except CurrencyError as exc:
        raise ValidationError(str(exc)) from exc


class Insured(models.Model):
    """The professional or organisation the policy covers."""

    class Kind(models.TextChoices):
        PERSON = "person", "person"
        ORGANISATION = "organisation", "organisation"

    name = models.CharField(max_length=200, db_index=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PERSON)
    national_id = models.CharField(max_length=64, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Policy(models.Model):
    """A malpractice policy. Its premium is not a field: it lives in the premium ledger, the
    original premium being the first PremiumTransaction, accounted on the issue date."""

    class Basis(models.TextChoices):
        OCCURRENCE = "occurrence", "occurrence"
        CLAIMS_MADE = "claims_made", "claims made"

    class Status(models.TextChoices):
        IN_FORCE = "in_force", "in force"
        CANCELLED = "cancelled", "cancelled"

    class DisplayStatus(models.TextChoices):
        """The status shown and filtered on, computed from the stored status and the dates
        (policies.rules.display_status); never stored."""

        IN_FORCE = "in_force", "in force"
        EXPIRED = "expired", "expired"
        CANCELLED = "cancelled", "cancelled"

    policy_number = models.CharField(max_length=40, unique=True)
    insured = models.ForeignKey(Insured, on_delete=models.PROTECT, related_name="policies")
    profession = models.CharField(max_length=64, help_text="snake_case code, e.g. midwife, icu_nurse")
    risk_group = models.PositiveSmallIntegerField(null=True, blank=True, help_text="1–4")
    segment = models.CharField(max_length=64, db_index=True, help_text='e.g. "individual_occurrence"')
    basis = models.CharField(max_length=16, choices=Basis.choices, default=Basis.OCCURRENCE)
    retro_date = models.DateField(null=True, blank=True, help_text="required for claims-made cover")
    currency = models.CharField(max_length=3, validators=[validate_currency])
    inception_date = models.DateField()
    expiry_date = models.DateField()
    issue_date = models.DateField()
    limit_per_claim = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    aggregate_limit = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    deductible_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    deductible_percent = models.DecimalField(
        max_digits=7, decimal_places=4, null=True, blank=True, help_text="percent of each loss: 10 = 10%"
    )
    expenses_within_limits = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_FORCE, db_index=True)
    cancelled_on = models.DateField(null=True, blank=True)
    tariff_version = models.CharField(max_length=64, blank=True)
    rating_steps = models.JSONField(default=list, blank=True)
    cover_in_diyeh = models.BooleanField(default=False)
    diyeh_year = models.IntegerField(null=True, blank=True, help_text="Jalali year of the diyeh amount")
    diyeh_increase_endorsement = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["policy_number"]
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return self.policy_number

    def status_on(self, today) -> str:
        """The display status on `today`: "expired" once the expiry date has passed, unless cancelled."""
        return display_status(self.status, self.expiry_date, today)


class PremiumTransaction(models.Model):
    """Append-only premium ledger. Corrections are reversal rows; nothing is updated or deleted."""

    class EffectKind(models.TextChoices):
        ORIGINAL = "original", "original"
        ENDORSEMENT = "endorsement", "endorsement"
        CANCELLATION = "cancellation", "cancellation"

    Kind = row_kinds(EffectKind)  # the effect kinds and "reversal"

    transaction_id = models.CharField(max_length=64, unique=True)
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="premium_transactions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # For a reversal: the kind of the row it reverses, so SQL can aggregate without a self-join.
    effect_kind = models.CharField(max_length=16, choices=EffectKind.choices)
    accounting_date = models.DateField(db_index=True)
    effective_date = models.DateField(help_text="start of the window this premium earns over")
    gross_premium = models.DecimalField(max_digits=18, decimal_places=2)
    commission = models.DecimalField(max_digits=18, decimal_places=2)
    recorded_at = models.DateTimeField(db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["accounting_date", "id"]
        indexes = [models.Index(fields=["policy", "accounting_date"])]

    def __str__(self) -> str:
        return f"{self.transaction_id} {self.kind} {self.gross_premium}"
