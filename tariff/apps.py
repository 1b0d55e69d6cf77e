from django.apps import AppConfig


class TariffConfig(AppConfig):
    name = "tariff"
    verbose_name = "Tariff and diyeh"
