"""Reference data for reports and solvency: accounting groups, the chart of accounts for
reserve postings, and the capital items finance staff enter per period."""
from __future__ import annotations

from django.conf import settings
from django.db import models


class AccountingGroup(models.Model):
    """учетная группа of the Bank of Russia's reporting (a seeded, editable reference table)."""

    code = models.CharField(max_length=16, unique=True)
    name_ru = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    verified = models.BooleanField(default=False, help_text="Number confirmed against the regulator's text")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name_en}"


class SegmentMapping(models.Model):
    """Which accounting group a book segment reports under."""

    segment = models.CharField(max_length=64, unique=True)
    accounting_group = models.ForeignKey(AccountingGroup, on_delete=models.PROTECT)

    def __str__(self) -> str:
        return f"{self.segment} → {self.accounting_group.code}"


class ReserveType(models.TextChoices):
    UPR = "upr", "UPR (РНП base)"
    PREMIUM_DEFICIENCY = "premium_deficiency", "Premium deficiency (РНП additional)"
    RBNS = "rbns", "RBNS (РЗУ)"
    IBNR = "ibnr", "IBNR (РПНУ)"
    ULAE = "ulae", "ULAE (РРУУ)"


class GLAccountMapping(models.Model):
    """Chart of accounts for reserve movements, keyed by accounting regime, reserve type and
    gross/ceded side (shared/reports.md)."""

    class Side(models.TextChoices):
        GROSS = "gross", "gross"
        CEDED = "ceded", "reinsurers' share"

    accounting_regime = models.CharField(max_length=32, default="ru-pre2025")
    reserve_type = models.CharField(max_length=32, choices=ReserveType.choices)
    side = models.CharField(max_length=8, choices=Side.choices, default=Side.GROSS)
    reserve_account = models.CharField(max_length=16)
    release_account = models.CharField(max_length=16, help_text="income on a decrease / reversal of the opening balance")
    charge_account = models.CharField(max_length=16, help_text="expense on booking the closing balance")
    verified = models.BooleanField(default=False)

    class Meta:
        unique_together = [("accounting_regime", "reserve_type", "side")]
        ordering = ["accounting_regime", "side", "reserve_type"]

    def __str__(self) -> str:
        return f"{self.accounting_regime} {self.side} {self.reserve_type}: {self.reserve_account}"


class CapitalEntry(models.Model):
    """Own funds and capital items per reporting quarter and currency, entered by finance staff;
    the solvency views read them beside the approved runs."""

    period = models.CharField(max_length=6, help_text="quarter label, e.g. 2025Q4")
    currency = models.CharField(max_length=3, default="RUB")
    own_funds = models.DecimalField(max_digits=18, decimal_places=2)
    minimum_capital = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    premiums_12m = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True,
                                       help_text="premiums of the last 12 months (blank: taken from the book)")
    claims_36m = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True,
                                     help_text="claims of the last 36 months (blank: taken from the book)")
    retention_k = models.DecimalField(max_digits=5, decimal_places=4, default=1)
    required_capital_iran = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(auto_now=True)

    class Meta:
        unique_together = [("period", "currency")]
        ordering = ["-period", "currency"]
        verbose_name_plural = "capital entries"

    def __str__(self) -> str:
        return f"{self.period} {self.currency} own funds {self.own_funds}"


class DashboardSetting(models.Model):
    """Single-row settings of the solvency dashboards."""

    internal_buffer = models.DecimalField(max_digits=5, decimal_places=2, default=1.2)

    def __str__(self) -> str:
        return f"internal buffer {self.internal_buffer}"
