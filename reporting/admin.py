from django.contrib import admin

from reporting.models import AccountingGroup, CapitalEntry, DashboardSetting, GLAccountMapping
from reporting.services import capital_entry_save


@admin.register(AccountingGroup)
class AccountingGroupAdmin(admin.ModelAdmin):
    list_display = ("code", "name_ru", "name_en", "verified")
    search_fields = ("code", "name_ru", "name_en")


@admin.register(GLAccountMapping)
class GLAccountMappingAdmin(admin.ModelAdmin):
    list_display = ("accounting_regime", "side", "reserve_type", "reserve_account", "release_account", "charge_account", "verified")
    list_filter = ("accounting_regime", "side", "verified")


@admin.register(CapitalEntry)
class CapitalEntryAdmin(admin.ModelAdmin):
    list_display = ("period", "currency", "own_funds", "minimum_capital", "premiums_12m", "claims_36m", "retention_k", "required_capital_iran", "entered_by")
    list_filter = ("currency",)
    readonly_fields = ("entered_by", "entered_at")

    def save_model(self, request, obj, form, change):
        values = {f: form.cleaned_data[f] for f in form.cleaned_data if f not in ("period", "currency")}
        saved = capital_entry_save(period=form.cleaned_data["period"], currency=form.cleaned_data["currency"], actor=request.user, **values)
        obj.pk = saved.pk


@admin.register(DashboardSetting)
class DashboardSettingAdmin(admin.ModelAdmin):
    list_display = ("internal_buffer",)

    def has_add_permission(self, request):
        return not DashboardSetting.objects.exists()
