"""Small admin forms for policy operations. They only shape and type the input; every rule is
checked by the service the admin view calls, whose DomainError comes back as a form error."""
from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminDateWidget, AutocompleteSelect
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from policies.models import Insured, Policy

# What finance staff edit in the master-data form (rating steps belong to the tariff work).
MASTER_FORM_FIELDS = (
    "insured", "profession", "risk_group", "segment", "basis", "retro_date", "currency",
    "inception_date", "expiry_date", "issue_date", "limit_per_claim", "aggregate_limit",
    "deductible_amount", "deductible_percent", "expenses_within_limits", "tariff_version",
    "cover_in_diyeh", "diyeh_year", "diyeh_increase_endorsement",
)
CREATE_FORM_FIELDS = ("policy_number",) + tuple(f for f in MASTER_FORM_FIELDS if f != "insured")


def _model_fields(names) -> dict[str, forms.Field]:
    """Form fields typed like the model's columns; model validators stay with the services."""
    fields = fields_for_model(Policy, fields=names)
    for field in fields.values():
        if isinstance(field, forms.DateField):
            field.widget = AdminDateWidget()
    return fields


class PolicyCreateForm(forms.Form):
    """A new policy with its original premium (booked on the issue date) — through policy_create."""

    insured_name = forms.CharField(max_length=200, help_text=_("an insured of exactly this name is reused"), label=_("Insured name"))
    gross_premium = forms.DecimalField(max_digits=18, decimal_places=2, label=_("original gross premium"))
    commission = forms.DecimalField(max_digits=18, decimal_places=2, initial=0, label=_("Commission"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = _model_fields(CREATE_FORM_FIELDS)
        ordered = {"policy_number": fields.pop("policy_number"), "insured_name": self.fields.pop("insured_name")}
        ordered.update(fields)
        ordered["gross_premium"] = self.fields.pop("gross_premium")
        ordered["commission"] = self.fields.pop("commission")
        self.fields = ordered


class InsuredCreateForm(forms.Form):
    """A new insured through insured_create."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(fields_for_model(Insured, fields=("name", "kind", "national_id")))


class PolicyMasterForm(forms.Form):
    """Master-data edit through policy_update_master; history keeps the old version."""

    def __init__(self, *args, policy: Policy, **kwargs):
        kwargs.setdefault("initial", {f: getattr(policy, f) for f in MASTER_FORM_FIELDS})
        super().__init__(*args, **kwargs)
        self.fields.update(_model_fields(MASTER_FORM_FIELDS))
        self.fields["insured"].widget = AutocompleteSelect(Policy._meta.get_field("insured"), admin.site)
        self.fields["insured"].queryset = Insured.objects.all()

    def changes(self, policy: Policy) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if getattr(policy, k) != v}


class EndorseForm(forms.Form):
    effective_date = forms.DateField(widget=AdminDateWidget, help_text=_("the additional premium earns from this date to expiry"), label=_("Effective date"))
    accounting_date = forms.DateField(widget=AdminDateWidget, label=_("Accounting date"))
    gross_premium = forms.DecimalField(max_digits=18, decimal_places=2, help_text=_("negative for a reduction"), label=_("Gross premium"))
    commission = forms.DecimalField(max_digits=18, decimal_places=2, initial=0, label=_("Commission"))
    note = forms.CharField(max_length=500, required=False, label=_("Note"))


class CancelForm(forms.Form):
    effective_date = forms.DateField(widget=AdminDateWidget, help_text=_("cover ends the day before"), label=_("Effective date"))
    accounting_date = forms.DateField(widget=AdminDateWidget, label=_("Accounting date"))
    method = forms.ChoiceField(choices=[("pro_rata", _("pro rata")), ("short_rate", _("short rate"))], initial="pro_rata", label=_("Method"))
    return_gross = forms.DecimalField(
        max_digits=18, decimal_places=2, required=False,
        help_text=_("short rate only: the gross premium actually returned"),
     label=_("Return gross"))
    short_rate_retention = forms.DecimalField(
        max_digits=7, decimal_places=4, required=False,
        help_text=_("short rate only, instead of a return amount: share of the pro-rata return the insurer keeps (0.1 = 10%)"),
     label=_("Short rate retention"))
    note = forms.CharField(max_length=500, required=False, label=_("Note"))
