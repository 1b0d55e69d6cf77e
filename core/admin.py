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


# Beat's schedules without "run now": a task run from its admin acts as the system actor in the
# request of whoever pressed it, so the audit trail would not name them. Runs are started as the
# user who starts them (the run pages, `reserve_run`); schedules stay the superuser's to edit.
from django_celery_beat.admin import PeriodicTaskAdmin  # noqa: E402 - registers beat's admin first
from django_celery_beat.models import PeriodicTask  # noqa: E402


class ScheduleAdmin(PeriodicTaskAdmin):
    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("run_tasks", None)
        return actions


admin.site.unregister(PeriodicTask)
admin.site.register(PeriodicTask, ScheduleAdmin)

from core.admin_site import install as _install_admin_front_page  # noqa: E402

_install_admin_front_page()
