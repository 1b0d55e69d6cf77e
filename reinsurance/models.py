"""Reinsurance treaties as data (issue 17 §1): a quota share (ceded percentage and ceding
commission) or a per-claim excess of loss (retention and limit, in a currency), each for one
segment and underwriting year. Ceded amounts are derived from the ledgers, never stored here."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Treaty(models.Model):
    class Kind(models.TextChoices):
        QUOTA_SHARE = "quota_share", _("quota share")
        EXCESS_OF_LOSS = "excess_of_loss", _("excess of loss per claim")

    code = models.CharField(max_length=40, unique=True, verbose_name=_("code"))
    kind = models.CharField(max_length=16, choices=Kind.choices, verbose_name=_("kind"))
    segment = models.CharField(max_length=64, db_index=True, verbose_name=_("segment"))
    underwriting_year = models.PositiveSmallIntegerField(verbose_name=_("underwriting year"),
                                                         help_text=_("the year of the policies' inception"))
    currency = models.CharField(max_length=3, blank=True, verbose_name=_("currency"),
                                help_text=_("excess of loss: the currency of retention and limit"))
    ceded_percent = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True,
                                        verbose_name=_("ceded percent"), help_text=_("quota share: 30 = 30%"))
    ceding_commission_percent = models.DecimalField(
        max_digits=7, decimal_places=4, null=True, blank=True, verbose_name=_("ceding commission percent"),
        help_text=_("quota share: percent of the ceded premium the reinsurer gives back"))
    retention = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True,
                                    verbose_name=_("retention"), help_text=_("excess of loss: kept per claim"))
    limit = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True, verbose_name=_("limit"),
                                help_text=_("excess of loss: the claim's incurred up to which the reinsurer pays"))
    reinsurer = models.CharField(max_length=200, blank=True, verbose_name=_("reinsurer"))

    class Meta:
        ordering = ["underwriting_year", "segment", "code"]
        verbose_name = _("treaty")
        verbose_name_plural = _("treaties")

    def __str__(self) -> str:
        return f"{self.code} ({self.segment} {self.underwriting_year})"
