from django.apps import AppConfig


class ReservingConfig(AppConfig):
    name = "reserving"
    verbose_name = "Reserving"
