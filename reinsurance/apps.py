from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReinsuranceConfig(AppConfig):
    name = "reinsurance"
    verbose_name = _("Reinsurance")
