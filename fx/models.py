"""Official exchange rates (issue 17 §4): how many units of the reporting currency
(settings.REPORTING_CURRENCY) one unit of a currency is worth on a date, as its source
(the Bank of Russia, the Central Bank of Iran) fixed it. Runs never convert; reports do."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.money import CurrencyError, currency_check


class OfficialRate(models.Model):
    rate_date = models.DateField(db_index=True, verbose_name=_("date"))
    currency = models.CharField(max_length=3, verbose_name=_("currency"))
    rate = models.DecimalField(max_digits=24, decimal_places=12, verbose_name=_("rate"),
                               help_text=_("units of the reporting currency for one unit of this currency"))
    source = models.CharField(max_length=64, blank=True, verbose_name=_("source"),
                              help_text=_('who fixed it, e.g. "Bank of Russia"'))

    class Meta:
        ordering = ["-rate_date", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "rate_date"], name="one_official_rate_per_currency_and_date"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="official_rate_positive"),
        ]
        verbose_name = _("official exchange rate")
        verbose_name_plural = _("official exchange rates")

    def __str__(self) -> str:
        return f"{self.rate_date} {self.currency} {self.rate}"

    def clean(self):
        from django.conf import settings

        try:
            self.currency = currency_check(self.currency)
        except CurrencyError as exc:
            raise ValidationError({"currency": str(exc)}) from exc
        if self.currency == settings.REPORTING_CURRENCY:
            raise ValidationError({"currency": _("the reporting currency needs no rate")})
        if self.rate is not None and self.rate <= 0:
            raise ValidationError({"rate": _("a rate is above zero")})
