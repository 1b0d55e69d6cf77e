"""Small admin forms for claim operations: report, reserve change, payment, recovery,
settlement, close and reopen. They only type the input; claims.services checks every rule."""
from __future__ import annotations

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.utils.translation import gettext_lazy as _

from claims.models import ClaimTransaction

COST_TYPE_CHOICES = ClaimTransaction.CostType.choices


def money_form_field(**kwargs) -> forms.DecimalField:
    return forms.DecimalField(max_digits=18, decimal_places=2, **kwargs)


class ClaimReportForm(forms.Form):
    """First notice of a claim, optionally with its first case estimates (claim_report)."""

    policy_number = forms.CharField(max_length=40, label=_("Policy number"))
    claim_number = forms.CharField(max_length=40, required=False, help_text=_("leave empty to number it from the policy"), label=_("Claim number"))
    occurrence_date = forms.DateField(widget=AdminDateWidget, help_text=_("when the harm happened"), label=_("Occurrence date"))
    report_date = forms.DateField(widget=AdminDateWidget, help_text=_("when the insurer learnt of the claim"), label=_("Report date"))
    claimant = forms.CharField(max_length=200, required=False, label=_("Claimant"))
    cause = forms.CharField(max_length=200, required=False, label=_("Cause"))
    litigated = forms.BooleanField(required=False, label=_("Litigated"))
    awarded_diyeh_share = forms.DecimalField(max_digits=7, decimal_places=4, required=False,
                                             help_text=_("share of a full diyeh awarded: 0.25 = 25%"), label=_("Awarded diyeh share"))
    initial_indemnity_reserve = money_form_field(required=False, help_text=_("case estimate, booked on the report date"), label=_("Initial indemnity reserve"))
    initial_expense_reserve = money_form_field(required=False, label=_("Initial expense reserve"))

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("policy_number")
        reserve = {"indemnity": data.pop("initial_indemnity_reserve"), "expense": data.pop("initial_expense_reserve")}
        data["initial_reserve"] = {c: a for c, a in reserve.items() if a is not None} or None
        return data


class ReserveForm(forms.Form):
    """A change of one cost type's case estimate, as the change or as the new estimate."""

    cost_type = forms.ChoiceField(choices=COST_TYPE_CHOICES, label=_("Cost type"))
    accounting_date = forms.DateField(widget=AdminDateWidget, label=_("Accounting date"))
    new_estimate = money_form_field(required=False, help_text=_("the outstanding estimate it should become"), label=_("New estimate"))
    amount = money_form_field(required=False, label=_("or change by"),
                              help_text=_("a signed change of the estimate (negative lowers it); leave empty when giving the new estimate"))
    note = forms.CharField(max_length=500, required=False, label=_("Note"))


class PostingForm(forms.Form):
    """A payment or a recovery."""

    cost_type = forms.ChoiceField(choices=COST_TYPE_CHOICES, label=_("Cost type"))
    amount = money_form_field(label=_("Amount"))
    accounting_date = forms.DateField(widget=AdminDateWidget, label=_("Accounting date"))
    note = forms.CharField(max_length=500, required=False, label=_("Note"))


class SettleForm(forms.Form):
    """The agreed or awarded loss; the insurer pays its share (after deductible, within the
    remaining limit) and the claim closes."""

    loss_amount = money_form_field(help_text=_("the loss as agreed or awarded, before the deductible"), label=_("Loss amount"))
    expense_amount = money_form_field(required=False, help_text=_("expenses paid with the settlement (optional)"), label=_("Expense amount"))
    accounting_date = forms.DateField(widget=AdminDateWidget, label=_("Accounting date"))
    note = forms.CharField(max_length=500, required=False, label=_("Note"))


class StatusForm(forms.Form):
    """Close or reopen."""

    accounting_date = forms.DateField(widget=AdminDateWidget, label=_("Accounting date"))
    note = forms.CharField(max_length=500, required=False, label=_("Note"))


class ClaimMasterForm(forms.Form):
    """Master-data edit through claim_update_master; history keeps the old version."""

    occurrence_date = forms.DateField(widget=AdminDateWidget, label=_("Occurrence date"))
    report_date = forms.DateField(widget=AdminDateWidget, label=_("Report date"))
    cause = forms.CharField(max_length=200, required=False, label=_("Cause"))
    litigated = forms.BooleanField(required=False, label=_("Litigated"))
    claimant = forms.CharField(max_length=200, required=False, label=_("Claimant"))
    awarded_diyeh_share = forms.DecimalField(max_digits=7, decimal_places=4, required=False,
                                             help_text=_("share of a full diyeh awarded, 0.25 = 25%"), label=_("Awarded diyeh share"))

    def __init__(self, *args, claim, **kwargs):
        kwargs.setdefault("initial", {f: getattr(claim, f) for f in self.base_fields})
        super().__init__(*args, **kwargs)

    def changes(self, claim) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if getattr(claim, k) != v}


class DecideForm(forms.Form):
    """Approve or reject a pending reserve change or payment (claim_change_decide)."""

    approve = forms.TypedChoiceField(choices=[("1", _("approve: post it to the ledger now")), ("0", _("reject"))],
                                     coerce=lambda v: v == "1", widget=forms.RadioSelect, label=_("decision"))
    note = forms.CharField(max_length=500, required=False, label=_("Note"))


class AuthorityForm(forms.Form):
    """A handler's reserve and payment authority in one currency (handler_authority_set):
    setting it again for the same handler and currency changes it."""

    username = forms.CharField(max_length=150, label=_("handler (username)"))
    currency = forms.CharField(max_length=3, initial="RUB", label=_("Currency"))
    reserve_limit = money_form_field(help_text=_("largest case estimate a reserve increase may reach, and the "
                                               "largest decrease"), label=_("Reserve limit"))
    payment_limit = money_form_field(help_text=_("largest single payment"), label=_("Payment limit"))
