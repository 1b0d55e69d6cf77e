"""Segments in the admin: reference data, edited by superusers as the accounting groups are.
No deletion: policies and runs carry the code, and a code without its row would no longer
import or validate. The code is fixed once saved, for the same reason."""
from django.contrib import admin

from segments.models import Segment


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "name_ru", "name_fa", "line_of_business", "accounting_group")
    search_fields = ("code", "name_en", "name_ru", "name_fa")
    list_filter = ("accounting_group", "line_of_business")

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False
