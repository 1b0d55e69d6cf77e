from django.contrib import admin

from core.models import AuditEvent, ReportingPeriod


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "verb", "target_repr", "actor")
    list_filter = ("verb", "target_type")
    search_fields = ("target_repr", "target_id", "verb")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReportingPeriod)
class ReportingPeriodAdmin(admin.ModelAdmin):
    list_display = ("label", "start_date", "end_date", "status", "closed_at", "closed_by")
    list_filter = ("status",)
    readonly_fields = ("status", "closed_at", "closed_by")


from core.admin_site import install as _install_admin_front_page  # noqa: E402

_install_admin_front_page()
