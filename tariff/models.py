"""Tariffs as versioned data (rates, modifiers, discount tables, referral rules) and the
official diyeh amounts by Jalali year. Nothing here prices anything: tariff.engine does."""
from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords


class Setting(models.TextChoices):
    HOSPITAL = "hospital", "hospital"
    OWN_OFFICE = "own_office", "own independent office"
    DOCTORS_OFFICE = "doctors_office", "doctor's office"


def _rate_field(**kwargs):
    return models.DecimalField(max_digits=9, decimal_places=4, **kwargs)


class TariffVersion(models.Model):
    """One tariff in force from effective_from to effective_to (open-ended when empty)."""

    code = models.CharField(max_length=64, unique=True, help_text='e.g. "IR-PARAMED-1399"')
    name = models.CharField(max_length=200, blank=True)
    effective_from = models.DateField(db_index=True)
    effective_to = models.DateField(null=True, blank=True, help_text="last day in force; empty = until replaced")
    vat_rate = _rate_field(default=Decimal("0.09"), help_text="0.09 = 9%; tax, not premium")
    resident_multiplier = _rate_field(default=Decimal("1.2"))
    group_min_size = models.PositiveIntegerField(default=10, help_text="smallest group that earns a group discount")
    group_min_insured_share = _rate_field(
        default=Decimal("0.5"), help_text="those insured must be at least this share of the group's members"
    )
    referral_contact = models.CharField(max_length=200, default="the liability manager")
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-effective_from", "code"]

    def __str__(self) -> str:
        return self.code


class TariffProfession(models.Model):
    version = models.ForeignKey(TariffVersion, on_delete=models.CASCADE, related_name="professions")
    code = models.CharField(max_length=64, help_text="snake_case, e.g. midwife, icu_nurse")
    name = models.CharField(max_length=200, blank=True)
    risk_group = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(4)])
    nurse_or_aide = models.BooleanField(default=False, help_text="may be insured for work in a doctor's office")

    class Meta:
        ordering = ["risk_group", "code"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="tariff_profession_unique")]

    def __str__(self) -> str:
        return f"{self.code} (group {self.risk_group})"


class TariffBaseRate(models.Model):
    """Rate per mille of cover for a setting: for a risk group, or for one profession (wins)."""

    version = models.ForeignKey(TariffVersion, on_delete=models.CASCADE, related_name="base_rates")
    setting = models.CharField(max_length=16, choices=Setting.choices, default=Setting.HOSPITAL)
    risk_group = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    profession = models.CharField(max_length=64, blank=True, help_text="empty = every profession of the group")
    rate_permille = _rate_field(validators=[MinValueValidator(Decimal("0"))])

    class Meta:
        ordering = ["setting", "risk_group", "profession"]

    def __str__(self) -> str:
        who = self.profession or f"group {self.risk_group}"
        return f"{who} {self.setting} {self.rate_permille}‰"


class TariffSettingModifier(models.Model):
    version = models.ForeignKey(TariffVersion, on_delete=models.CASCADE, related_name="setting_modifiers")
    setting = models.CharField(max_length=16, choices=Setting.choices)
    base_setting = models.CharField(max_length=16, choices=Setting.choices, default=Setting.HOSPITAL)
    multiplier = _rate_field()
    nurses_and_aides_only = models.BooleanField(default=False)

    class Meta:
        ordering = ["setting"]

    def __str__(self) -> str:
        return f"{self.setting} = {self.base_setting} × {self.multiplier}"


class TariffCoverShare(models.Model):
    version = models.ForeignKey(TariffVersion, on_delete=models.CASCADE, related_name="cover_shares")
    cover_share = models.DecimalField(max_digits=5, decimal_places=4, help_text="0.75 = 75% of the full cover")
    multiplier = _rate_field()

    class Meta:
        ordering = ["-cover_share"]

    def __str__(self) -> str:
        return f"{self.cover_share} → ×{self.multiplier}"


class TariffNoClaimsDiscount(models.Model):
    version = models.ForeignKey(TariffVersion, on_delete=models.CASCADE, related_name="no_claims_discounts")
    claim_free_years = models.PositiveSmallIntegerField(help_text="applies from this many claim-free years on")
    rate = _rate_field(help_text="0.15 = 15%")

    class Meta:
        ordering = ["claim_free_years"]

    def __str__(self) -> str:
        return f"{self.claim_free_years}y {self.rate}"


class TariffGroupDiscountBand(models.Model):
    version = models.ForeignKey(TariffVersion, on_delete=models.CASCADE, related_name="group_bands")
    min_size = models.PositiveIntegerField()
    max_size = models.PositiveIntegerField(null=True, blank=True, help_text="empty = no upper bound")
    rate = _rate_field(help_text="0.15 = 15%")

    class Meta:
        ordering = ["min_size"]

    def __str__(self) -> str:
        return f"{self.min_size}–{self.max_size or '∞'} {self.rate}"


class TariffReferralRule(models.Model):
    """A profession the tariff always refers to the liability manager, whatever its rate."""

    version = models.ForeignKey(TariffVersion, on_delete=models.CASCADE, related_name="referral_rules")
    profession = models.CharField(max_length=64)
    setting = models.CharField(max_length=16, choices=Setting.choices, blank=True, help_text="empty = any setting")
    reason = models.CharField(max_length=300)

    def __str__(self) -> str:
        return f"{self.profession}: {self.reason}"


class DiyehAmount(models.Model):
    """The official full diyeh of a Jalali year, in rials (IRR). Courts pay at the rate of the
    payment day, so a new year's amount revalues open claims on indexed cover."""

    jalali_year = models.IntegerField(unique=True)
    amount = models.DecimalField(max_digits=18, decimal_places=2, help_text="rials")
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-jalali_year"]

    def __str__(self) -> str:
        return f"diyeh {self.jalali_year}: {self.amount:,.0f} IRR"
