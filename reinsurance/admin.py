"""Treaties in the admin: the form shows the rules' refusals beside their fields, and saving
goes through reinsurance.services.treaty_save (the actuary's role, audited)."""
from django import forms
from django.contrib import admin

from core.errors import DomainError
from core.forms import form_add_domain_error
from reinsurance import rules
from reinsurance.models import Treaty
from reinsurance.services import treaty_check, treaty_save


class TreatyForm(forms.ModelForm):
    actor = None  # set per request by TreatyAdmin.get_form

    class Meta:
        model = Treaty
        fields = list(rules.FIELDS)

    def clean(self):
        data = super().clean()
        fields = {f: data.get(f) for f in rules.FIELDS}
        if self.instance.pk:
            fields["code"] = self.instance.code
        try:
            treaty_check(actor=self.actor, **fields)
        except DomainError as exc:
            form_add_domain_error(self, exc)
        return data


@admin.register(Treaty)
class TreatyAdmin(admin.ModelAdmin):
    form = TreatyForm
    list_display = ("code", "kind", "segment", "underwriting_year", "currency", "ceded_percent",
                    "ceding_commission_percent", "retention", "limit", "reinsurer")
    list_filter = ("kind", "underwriting_year", "segment")
    search_fields = ("code", "segment", "reinsurer")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False  # a treaty's cessions are derived from it; a later treaty replaces it by code

    def save_model(self, request, obj, form, change):
        fields = {f: form.cleaned_data.get(f) for f in rules.FIELDS}
        if change:
            fields["code"] = obj.code
        saved = treaty_save(actor=request.user, **fields)
        obj.pk = saved.pk
