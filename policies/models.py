"""Policies: the insured, the policy master data (with history) and the append-only premium ledger."""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
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
        PERSON = "person", _("person")
        ORGANISATION = "organisation", _("organisation")

    name = models.CharField(max_length=200, db_index=True, verbose_name=_("name"))
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PERSON, verbose_name=_("kind"))
    national_id = models.CharField(max_length=64, blank=True, verbose_name=_("national id"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("insured")
        verbose_name_plural = _("insureds")

    def __str__(self) -> str:
        return self.name


class Policy(models.Model):
    """A malpractice policy. Its premium is not a field: it lives in the premium ledger, the
    original premium being the first PremiumTransaction, accounted on the issue date."""

    class Basis(models.TextChoices):
        OCCURRENCE = "occurrence", _("occurrence")
        CLAIMS_MADE = "claims_made", _("claims made")

    class Status(models.TextChoices):
        IN_FORCE = "in_force", _("in force")
        CANCELLED = "cancelled", _("cancelled")

    class DisplayStatus(models.TextChoices):
        """The status shown and filtered on, computed from the stored status and the dates
        (policies.rules.display_status); never stored."""

        IN_FORCE = "in_force", _("in force")
        EXPIRED = "expired", _("expired")
        CANCELLED = "cancelled", _("cancelled")

    policy_number = models.CharField(max_length=40, unique=True, verbose_name=_("policy number"))
    insured = models.ForeignKey(Insured, on_delete=models.PROTECT, related_name="policies", verbose_name=_("insured"))
    profession = models.CharField(max_length=64, help_text=_("snake_case code, e.g. midwife, icu_nurse"), verbose_name=_("profession"))
    risk_group = models.PositiveSmallIntegerField(null=True, blank=True, help_text=_("1–4"), verbose_name=_("risk group"))
    segment = models.CharField(max_length=64, db_index=True, help_text=_('e.g. "individual_occurrence"'), verbose_name=_("segment"))
    basis = models.CharField(max_length=16, choices=Basis.choices, default=Basis.OCCURRENCE, verbose_name=_("basis"))
    retro_date = models.DateField(null=True, blank=True, help_text=_("required for claims-made cover"), verbose_name=_("retro date"))
    currency = models.CharField(max_length=3, validators=[validate_currency], verbose_name=_("currency"))
    inception_date = models.DateField(verbose_name=_("inception date"))
    expiry_date = models.DateField(verbose_name=_("expiry date"))
    issue_date = models.DateField(verbose_name=_("issue date"))
    limit_per_claim = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True, verbose_name=_("limit per claim"))
    aggregate_limit = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True, verbose_name=_("aggregate limit"))
    deductible_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True, verbose_name=_("deductible amount"))
    deductible_percent = models.DecimalField(
        max_digits=7, decimal_places=4, null=True, blank=True, help_text=_("percent of each loss: 10 = 10%"), verbose_name=_("deductible percent")
    )
    expenses_within_limits = models.BooleanField(default=False, verbose_name=_("expenses within limits"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_FORCE, db_index=True, verbose_name=_("status"))
    cancelled_on = models.DateField(null=True, blank=True, verbose_name=_("cancelled on"))
    tariff_version = models.CharField(max_length=64, blank=True, verbose_name=_("tariff version"))
    rating_steps = models.JSONField(default=list, blank=True, verbose_name=_("rating steps"))
    cover_in_diyeh = models.BooleanField(default=False, verbose_name=_("cover in diyeh"))
    diyeh_year = models.IntegerField(null=True, blank=True, help_text=_("Jalali year of the diyeh amount"), verbose_name=_("diyeh year"))
    diyeh_increase_endorsement = models.BooleanField(default=False, verbose_name=_("diyeh increase endorsement"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["policy_number"]
        verbose_name_plural = _("policies")
        verbose_name = _("policy")

    def __str__(self) -> str:
        return self.policy_number

    def status_on(self, today) -> str:
        """The display status on `today`: "expired" once the expiry date has passed, unless cancelled."""
        return display_status(self.status, self.expiry_date, today)


class PremiumTransaction(models.Model):
    """Append-only premium ledger. Corrections are reversal rows; nothing is updated or deleted."""

    class EffectKind(models.TextChoices):
        ORIGINAL = "original", _("original")
        ENDORSEMENT = "endorsement", _("endorsement")
        CANCELLATION = "cancellation", _("cancellation")

    Kind = row_kinds(EffectKind)  # the effect kinds and "reversal"

    transaction_id = models.CharField(max_length=64, unique=True, verbose_name=_("transaction id"))
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="premium_transactions", verbose_name=_("policy"))
    kind = models.CharField(max_length=16, choices=Kind.choices, verbose_name=_("kind"))
    # For a reversal: the kind of the row it reverses, so SQL can aggregate without a self-join.
    effect_kind = models.CharField(max_length=16, choices=EffectKind.choices, verbose_name=_("effect kind"))
    accounting_date = models.DateField(db_index=True, verbose_name=_("accounting date"))
    effective_date = models.DateField(help_text=_("start of the window this premium earns over"), verbose_name=_("effective date"))
    gross_premium = models.DecimalField(max_digits=18, decimal_places=2, verbose_name=_("gross premium"))
    commission = models.DecimalField(max_digits=18, decimal_places=2, verbose_name=_("commission"))
    recorded_at = models.DateTimeField(db_index=True, verbose_name=_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by", verbose_name=_("reverses")
    )
    note = models.CharField(max_length=500, blank=True, verbose_name=_("note"))

    class Meta:
        ordering = ["accounting_date", "id"]
        indexes = [models.Index(fields=["policy", "accounting_date"])]
        verbose_name = _("premium transaction")
        verbose_name_plural = _("premium transactions")

    def __str__(self) -> str:
        return f"{self.transaction_id} {self.kind} {self.gross_premium}"
