"""Tariffs as versioned data (rates, modifiers, discount tables, referral rules) and the
official diyeh amounts by Jalali year. Nothing here prices anything: tariff.engine does."""
from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Setting(models.TextChoices):
    HOSPITAL = "hospital", _("hospital")
    OWN_OFFICE = "own_office", _("own independent office")
    DOCTORS_OFFICE = "doctors_office", _("doctor's office")


def _rate_field(**kwargs):
    return models.DecimalField(max_digits=9, decimal_places=4, **kwargs)


class TariffVersion(models.Model):
    """One tariff in force from effective_from to effective_to (open-ended when empty)."""

    code = models.CharField(max_length=64, unique=True, help_text=_('e.g. "IR-PARAMED-1399"'), verbose_name=_("code"))
    name = models.CharField(max_length=200, blank=True, verbose_name=_("name"))
    effective_from = models.DateField(db_index=True, verbose_name=_("effective from"))
    effective_to = models.DateField(null=True, blank=True, help_text=_("last day in force; empty = until replaced"), verbose_name=_("effective to"))
    vat_rate = _rate_field(default=Decimal("0.09"), help_text=_("0.09 = 9%; tax, not premium"), verbose_name=_("vat rate"))
    resident_multiplier = _rate_field(default=Decimal("1.2"), verbose_name=_("resident multiplier"))
    group_min_size = models.PositiveIntegerField(default=10, help_text=_("smallest group that earns a group discount"), verbose_name=_("group min size"))
    group_min_insured_share = _rate_field(
        default=Decimal("0.5"), help_text=_("those insured must be at least this share of the group's members"), verbose_name=_("group min insured share")
    )
    referral_contact = models.CharField(max_length=200, default="the liability manager", verbose_name=_("referral contact"))
    notes = models.TextField(blank=True, verbose_name=_("notes"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["-effective_from", "code"]
        verbose_name = _("tariff version")
        verbose_name_plural = _("tariff versions")

    def __str__(self) -> str:
        return self.code


class TariffProfession(models.Model):
    version = models.ForeignKey(TariffVersion, on_delete=models.CASCADE, related_name="professions", verbose_name=_("version"))
    code = models.CharField(max_length=64, help_text=_("snake_case, e.g. midwife, icu_nurse"), verbose_name=_("code"))
    name = models.CharField(max_length=200, blank=True, verbose_name=_("name"))
    risk_group = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(4)], verbose_name=_("risk group"))
    nurse_or_aide = models.BooleanField(default=False, help_text=_("may be insured for work in a doctor's office"), verbose_name=_("nurse or aide"))

    class Meta:
        ordering = ["risk_group", "code"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="tariff_profession_unique")]
        verbose_name = _("tariff profession")
        verbose_name_plural = _("tariff professions")

    def __str__(self) -> str:
        return f"{self.code} (group {self.risk_group})"


class TariffBaseRate(models.Model):
    """Rate per mille of cover for a setting: for a risk group, or for one profession (wins)."""

    version = models.ForeignKey(TariffVersion, on_delete=models.CASCADE, related_name="base_rates", verbose_name=_("version"))
    setting = models.CharField(max_length=16, choices=Setting.choices, default=Setting.HOSPITAL, verbose_name=_("setting"))
    risk_group = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(4)], verbose_name=_("risk group")
    )
    profession = models.CharField(max_length=64, blank=True, help_text=_("empty = every profession of the group"), verbose_name=_("profession"))
    rate_permille = _rate_field(validators=[MinValueValidator(Decimal("0"))], verbose_name=_("rate permille"))

    class Meta:
        ordering = ["setting", "risk_group", "profession"]
        verbose_name = _("tariff base rate")
        verbose_name_plural = _("tariff base rates")

    def __str__(self) -> str:
        who = self.profession or f"group {self.risk_group}"
        return f"{who} {self.setting} {self.rate_permille}‰"


class TariffSettingModifier(models.Model):
    version = models.ForeignKey(TariffVersion, on_delete=models.CASCADE, related_name="setting_modifiers", verbose_name=_("version"))
    setting = models.CharField(max_length=16, choices=Setting.choices, verbose_name=_("setting"))
    base_setting = models.CharField(max_length=16, choices=Setting.choices, default=Setting.HOSPITAL, verbose_name=_("base setting"))
    multiplier = _rate_field(verbose_name=_("multiplier"))
    nurses_and_aides_only = models.BooleanField(default=False, verbose_name=_("nurses and aides only"))

    class Meta:
        ordering = ["setting"]
        verbose_name = _("tariff setting modifier")
        verbose_name_plural = _("tariff setting modifiers")

    def __str__(self) -> str:
        return f"{self.setting} = {self.base_setting} × {self.multiplier}"


class TariffCoverShare(models.Model):
    version = models.ForeignKey(TariffVersion, on_delete=models.CASCADE, related_name="cover_shares", verbose_name=_("version"))
    cover_share = models.DecimalField(max_digits=5, decimal_places=4, help_text=_("share of the full cover: 0.75 = 75%"), verbose_name=_("cover share"))
    multiplier = _rate_field(verbose_name=_("multiplier"))

    class Meta:
        ordering = ["-cover_share"]
        verbose_name = _("tariff cover share")
        verbose_name_plural = _("tariff cover shares")

    def __str__(self) -> str:
        return f"{self.cover_share} → ×{self.multiplier}"


class TariffNoClaimsDiscount(models.Model):
    version = models.ForeignKey(TariffVersion, on_delete=models.CASCADE, related_name="no_claims_discounts", verbose_name=_("version"))
    claim_free_years = models.PositiveSmallIntegerField(help_text=_("applies from this many claim-free years on"), verbose_name=_("claim free years"))
    rate = _rate_field(help_text=_("0.15 = 15%"), verbose_name=_("rate"))

    class Meta:
        ordering = ["claim_free_years"]
        verbose_name = _("tariff no claims discount")
        verbose_name_plural = _("tariff no claims discounts")

    def __str__(self) -> str:
        return f"{self.claim_free_years}y {self.rate}"


class TariffGroupDiscountBand(models.Model):
    version = models.ForeignKey(TariffVersion, on_delete=models.CASCADE, related_name="group_bands", verbose_name=_("version"))
    min_size = models.PositiveIntegerField(verbose_name=_("min size"))
    max_size = models.PositiveIntegerField(null=True, blank=True, help_text=_("empty = no upper bound"), verbose_name=_("max size"))
    rate = _rate_field(help_text=_("0.15 = 15%"), verbose_name=_("rate"))

    class Meta:
        ordering = ["min_size"]
        verbose_name = _("tariff group discount band")
        verbose_name_plural = _("tariff group discount bands")

    def __str__(self) -> str:
        return f"{self.min_size}–{self.max_size or '∞'} {self.rate}"


class TariffReferralRule(models.Model):
    """A profession the tariff always refers to the liability manager, whatever its rate."""

    version = models.ForeignKey(TariffVersion, on_delete=models.CASCADE, related_name="referral_rules", verbose_name=_("version"))
    profession = models.CharField(max_length=64, verbose_name=_("profession"))
    setting = models.CharField(max_length=16, choices=Setting.choices, blank=True, help_text=_("empty = any setting"), verbose_name=_("setting"))
    reason = models.CharField(max_length=300, verbose_name=_("reason"))

    class Meta:
        verbose_name = _("tariff referral rule")
        verbose_name_plural = _("tariff referral rules")

    def __str__(self) -> str:
        return f"{self.profession}: {self.reason}"


class DiyehAmount(models.Model):
    """The official full diyeh of a Jalali year, in rials (IRR). Courts pay at the rate of the
    payment day, so a new year's amount revalues open claims on indexed cover."""

    jalali_year = models.IntegerField(unique=True, verbose_name=_("jalali year"))
    amount = models.DecimalField(max_digits=18, decimal_places=2, help_text=_("rials"), verbose_name=_("amount"))
    note = models.CharField(max_length=300, blank=True, verbose_name=_("note"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["-jalali_year"]
        verbose_name = _("diyeh amount")
        verbose_name_plural = _("diyeh amounts")

    def __str__(self) -> str:
        return f"diyeh {self.jalali_year}: {self.amount:,.0f} IRR"
