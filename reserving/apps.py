from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReservingConfig(AppConfig):
    name = "reserving"
    verbose_name = _("Reserving")
