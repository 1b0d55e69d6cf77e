"""Reference data for reports and solvency: accounting groups, the chart of accounts for
reserve postings, and the capital items finance staff enter per period."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountingGroup(models.Model):
    """учетная группа of the Bank of Russia's reporting (a seeded, editable reference table)."""

    code = models.CharField(max_length=16, unique=True, verbose_name=_("code"))
    name_ru = models.CharField(max_length=200, verbose_name=_("name ru"))
    name_en = models.CharField(max_length=200, verbose_name=_("name en"))
    verified = models.BooleanField(default=False, help_text=_("Number confirmed against the regulator's text"), verbose_name=_("verified"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("accounting group")
        verbose_name_plural = _("accounting groups")

    def __str__(self) -> str:
        return f"{self.code} {self.name_en}"


class ReserveType(models.TextChoices):
    UPR = "upr", _("UPR (РНП base)")
    PREMIUM_DEFICIENCY = "premium_deficiency", _("Premium deficiency (РНП additional)")
    RBNS = "rbns", _("RBNS (РЗУ)")
    IBNR = "ibnr", _("IBNR (РПНУ)")
    ULAE = "ulae", _("ULAE (РРУУ)")


class GLAccountMapping(models.Model):
    """Chart of accounts for reserve movements, keyed by accounting regime, reserve type and
    gross/ceded side (shared/reports.md)."""

    class Side(models.TextChoices):
        GROSS = "gross", _("gross")
        CEDED = "ceded", _("reinsurers' share")

    accounting_regime = models.CharField(max_length=32, default="ru-pre2025", verbose_name=_("accounting regime"))
    reserve_type = models.CharField(max_length=32, choices=ReserveType.choices, verbose_name=_("reserve type"))
    side = models.CharField(max_length=8, choices=Side.choices, default=Side.GROSS, verbose_name=_("side"))
    reserve_account = models.CharField(max_length=16, verbose_name=_("reserve account"))
    release_account = models.CharField(max_length=16, help_text=_("income on a decrease / reversal of the opening balance"), verbose_name=_("release account"))
    charge_account = models.CharField(max_length=16, help_text=_("expense on booking the closing balance"), verbose_name=_("charge account"))
    verified = models.BooleanField(default=False, verbose_name=_("verified"))

    class Meta:
        unique_together = [("accounting_regime", "reserve_type", "side")]
        ordering = ["accounting_regime", "side", "reserve_type"]
        verbose_name = _("gl account mapping")
        verbose_name_plural = _("gl account mappings")

    def __str__(self) -> str:
        return f"{self.accounting_regime} {self.side} {self.reserve_type}: {self.reserve_account}"


class CapitalEntry(models.Model):
    """Own funds and capital items per reporting quarter and currency, entered by finance staff;
    the solvency views read them beside the approved runs."""

    period = models.CharField(max_length=6, help_text=_("quarter label, e.g. 2025Q4"), verbose_name=_("period"))
    currency = models.CharField(max_length=3, default="RUB", verbose_name=_("currency"))
    own_funds = models.DecimalField(max_digits=18, decimal_places=2, verbose_name=_("own funds"))
    minimum_capital = models.DecimalField(max_digits=18, decimal_places=2, default=0, verbose_name=_("minimum capital"))
    premiums_12m = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True,
                                       help_text=_("premiums of the last 12 months (blank: taken from the book)"), verbose_name=_("premiums 12m"))
    claims_36m = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True,
                                     help_text=_("claims of the last 36 months (blank: taken from the book)"), verbose_name=_("claims 36m"))
    retention_k = models.DecimalField(max_digits=5, decimal_places=4, default=1, verbose_name=_("retention k"))
    required_capital_iran = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True, verbose_name=_("required capital iran"))
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("entered by"))
    entered_at = models.DateTimeField(auto_now=True, verbose_name=_("entered at"))

    class Meta:
        unique_together = [("period", "currency")]
        ordering = ["-period", "currency"]
        verbose_name_plural = _("capital entries")
        verbose_name = _("capital entry")

    def __str__(self) -> str:
        return f"{self.period} {self.currency} own funds {self.own_funds}"


class DashboardSetting(models.Model):
    """Single-row settings of the solvency dashboards."""

    internal_buffer = models.DecimalField(max_digits=5, decimal_places=2, default=1.2, verbose_name=_("internal buffer"))

    class Meta:
        verbose_name = _("dashboard setting")
        verbose_name_plural = _("dashboard settings")

    def __str__(self) -> str:
        return f"internal buffer {self.internal_buffer}"
