"""The book's segments as reference data (issue 17 §0): the code policies, runs, the exchange
files and the API carry, its names in each language, its line of business and the accounting
group of the Bank of Russia's reporting it falls under.

Below `policies` in the layers so that the policy services can check a code against it; the
accounting group is therefore kept as reporting's code, not a foreign key into `reporting`."""
from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Segment(models.Model):
    code = models.CharField(max_length=64, unique=True, verbose_name=_("code"),
                            help_text=_('what policies, runs and the exchange files carry, e.g. "individual_occurrence"'))
    name_en = models.CharField(max_length=200, blank=True, verbose_name=_("name en"))
    name_ru = models.CharField(max_length=200, blank=True, verbose_name=_("name ru"))
    name_fa = models.CharField(max_length=200, blank=True, verbose_name=_("name fa"))
    line_of_business = models.CharField(
        max_length=16, blank=True, verbose_name=_("line of business"),
        help_text=_("Solvency II line of business number (8 = general liability, where medical malpractice belongs)"))
    accounting_group = models.CharField(
        max_length=16, blank=True, verbose_name=_("accounting group"),
        help_text=_("code of the accounting group it reports under in form 0420155 (blank: group 13)"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self) -> str:
        return self.code

    def name(self, language: str | None = None) -> str:
        """The name in `language` (default: the active one), else the English one, else the code."""
        language = (language or get_language() or "en")[:2]
        return getattr(self, f"name_{language}", "") or self.name_en or self.code
