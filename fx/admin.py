"""Official exchange rates in the admin: reference data entered by superusers, as the other
regulator tables are (reporting's accounting groups and chart of accounts)."""
from django.contrib import admin

from fx.models import OfficialRate


@admin.register(OfficialRate)
class OfficialRateAdmin(admin.ModelAdmin):
    list_display = ("rate_date", "currency", "rate", "source")
    list_filter = ("currency", "source")
    date_hierarchy = "rate_date"
