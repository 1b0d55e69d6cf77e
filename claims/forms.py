"""Small admin forms for claim operations: report, reserve change, payment, recovery,
settlement, close and reopen. They only type the input; claims.services checks every rule."""
from __future__ import annotations

from django import forms
from django.contrib.admin.widgets import AdminDateWidget

from claims.models import ClaimTransaction

COST_TYPE_CHOICES = ClaimTransaction.CostType.choices


def money_form_field(**kwargs) -> forms.DecimalField:
    return forms.DecimalField(max_digits=18, decimal_places=2, **kwargs)


class ClaimReportForm(forms.Form):
    """First notice of a claim, optionally with its first case estimates (claim_report)."""

    policy_number = forms.CharField(max_length=40)
    claim_number = forms.CharField(max_length=40, required=False, help_text="leave empty to number it from the policy")
    occurrence_date = forms.DateField(widget=AdminDateWidget, help_text="when the harm happened")
    report_date = forms.DateField(widget=AdminDateWidget, help_text="when the insurer learnt of the claim")
    claimant = forms.CharField(max_length=200, required=False)
    cause = forms.CharField(max_length=200, required=False)
    litigated = forms.BooleanField(required=False)
    awarded_diyeh_share = forms.DecimalField(max_digits=7, decimal_places=4, required=False,
                                             help_text="share of a full diyeh awarded: 0.25 = 25%")
    initial_indemnity_reserve = money_form_field(required=False, help_text="case estimate, booked on the report date")
    initial_expense_reserve = money_form_field(required=False)

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("policy_number")
        reserve = {"indemnity": data.pop("initial_indemnity_reserve"), "expense": data.pop("initial_expense_reserve")}
        data["initial_reserve"] = {c: a for c, a in reserve.items() if a is not None} or None
        return data


class ReserveForm(forms.Form):
    """A change of one cost type's case estimate, as the change or as the new estimate."""

    cost_type = forms.ChoiceField(choices=COST_TYPE_CHOICES)
    accounting_date = forms.DateField(widget=AdminDateWidget)
    new_estimate = money_form_field(required=False, help_text="the outstanding estimate it should become")
    amount = money_form_field(required=False, label="or change by",
                              help_text="a signed change of the estimate (negative lowers it); leave empty when giving the new estimate")
    note = forms.CharField(max_length=500, required=False)


class PostingForm(forms.Form):
    """A payment or a recovery."""

    cost_type = forms.ChoiceField(choices=COST_TYPE_CHOICES)
    amount = money_form_field()
    accounting_date = forms.DateField(widget=AdminDateWidget)
    note = forms.CharField(max_length=500, required=False)


class SettleForm(forms.Form):
    """The agreed or awarded loss; the insurer pays its share (after deductible, within the
    remaining limit) and the claim closes."""

    loss_amount = money_form_field(help_text="the loss as agreed or awarded, before the deductible")
    expense_amount = money_form_field(required=False, help_text="expenses paid with the settlement (optional)")
    accounting_date = forms.DateField(widget=AdminDateWidget)
    note = forms.CharField(max_length=500, required=False)


class StatusForm(forms.Form):
    """Close or reopen."""

    accounting_date = forms.DateField(widget=AdminDateWidget)
    note = forms.CharField(max_length=500, required=False)


class ClaimMasterForm(forms.Form):
    """Master-data edit through claim_update_master; history keeps the old version."""

    occurrence_date = forms.DateField(widget=AdminDateWidget)
    report_date = forms.DateField(widget=AdminDateWidget)
    cause = forms.CharField(max_length=200, required=False)
    litigated = forms.BooleanField(required=False)
    claimant = forms.CharField(max_length=200, required=False)
    awarded_diyeh_share = forms.DecimalField(max_digits=7, decimal_places=4, required=False,
                                             help_text="share of a full diyeh awarded, 0.25 = 25%")

    def __init__(self, *args, claim, **kwargs):
        kwargs.setdefault("initial", {f: getattr(claim, f) for f in self.base_fields})
        super().__init__(*args, **kwargs)

    def changes(self, claim) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if getattr(claim, k) != v}


class DecideForm(forms.Form):
    """Approve or reject a pending reserve change or payment (claim_change_decide)."""

    approve = forms.TypedChoiceField(choices=[("1", "approve: post it to the ledger now"), ("0", "reject")],
                                     coerce=lambda v: v == "1", widget=forms.RadioSelect, label="decision")
    note = forms.CharField(max_length=500, required=False)


class AuthorityForm(forms.Form):
    """A handler's reserve and payment authority in one currency (handler_authority_set):
    setting it again for the same handler and currency changes it."""

    username = forms.CharField(max_length=150, label="handler (username)")
    currency = forms.CharField(max_length=3, initial="RUB")
    reserve_limit = money_form_field(help_text="largest case estimate a reserve increase may reach, and the "
                                               "largest decrease")
    payment_limit = money_form_field(help_text="largest single payment")
