"""Parsing of quote input shared by the quote command, the API and the admin form: text in,
an engine QuoteRequest out. Only types and shapes here; every tariff rule is in the engine."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from tariff.engine import SETTINGS, QuoteRequest
from tariff.labels import SETTINGS as SETTING_NAMES


def amount_parse(text, field: str) -> Decimal:
    """An amount as typed by people: 440,000,000 or 440_000_000 or 440000000."""
    if isinstance(text, Decimal):
        return text
    cleaned = str(text).strip().replace(",", "").replace("_", "").replace(" ", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise DomainError(_("not an amount: %(text)s") % {"text": repr(text)}, field=field) from exc
    if not value.is_finite():
        raise DomainError(_("not an amount: %(text)s") % {"text": repr(text)}, field=field)
    return value


def share_parse(text) -> Decimal:
    """A cover share as 0.75 or 75%."""
    if isinstance(text, Decimal):
        return text
    raw = str(text).strip()
    if raw.endswith("%"):
        return amount_parse(raw[:-1], "cover_share") / 100
    return amount_parse(raw, "cover_share")


def quote_request_build(
    *, profession, setting, cover, cover_share=None, resident=False, claim_free_years=None, group_size=None,
    group_members=None, group_formed_for_insurance=False, currency=None,
) -> QuoteRequest:
    return QuoteRequest(
        profession=(profession or "").strip(),
        setting=(setting or "").strip(),
        cover=amount_parse(cover, "cover"),
        cover_share=Decimal(1) if cover_share in (None, "") else share_parse(cover_share),
        resident=bool(resident),
        claim_free_years=int(claim_free_years or 0),
        group_size=None if group_size in (None, "") else int(group_size),
        group_members=None if group_members in (None, "") else int(group_members),
        group_formed_for_insurance=bool(group_formed_for_insurance),
        currency=(currency or "IRR").strip().upper(),
    )


class QuoteForm(forms.Form):
    profession = forms.CharField(max_length=64, help_text=_("snake_case code, e.g. midwife, nurse"), label=_("Profession"))
    setting = forms.ChoiceField(choices=[(s, SETTING_NAMES.get(s, s)) for s in SETTINGS], initial="hospital", label=_("Setting"))
    cover = forms.DecimalField(max_digits=18, decimal_places=2, help_text=_("the full (100%) cover, e.g. the year's diyeh"), label=_("Cover"))
    cover_share = forms.DecimalField(max_digits=5, decimal_places=4, initial=Decimal(1), help_text=_("0.75 = 75%"), label=_("Cover share"))
    resident = forms.BooleanField(required=False, label=_("Resident"))
    claim_free_years = forms.IntegerField(required=False, initial=0, label=_("Claim free years"))
    group_size = forms.IntegerField(required=False, help_text=_("how many are insured together"), label=_("Group size"))
    group_members = forms.IntegerField(required=False, help_text=_("members of the group in all (default: the group size)"), label=_("Group members"))
    group_formed_for_insurance = forms.BooleanField(required=False, label=_("Group formed for insurance"))
    currency = forms.CharField(max_length=3, initial="IRR", label=_("Currency"))
    quote_date = forms.DateField(required=False, help_text=_("selects the tariff in force (default: today)"), label=_("Quote date"))
    tariff_version = forms.CharField(max_length=64, required=False, help_text=_("empty = the version in force"), label=_("Tariff version"))

    def quote_request(self) -> QuoteRequest:
        data = self.cleaned_data
        return quote_request_build(**{k: data.get(k) for k in (
            "profession", "setting", "cover", "cover_share", "resident", "claim_free_years", "group_size",
            "group_members", "group_formed_for_insurance", "currency")})


class IssueForm(forms.Form):
    """The policy details a quote does not give."""

    policy_number = forms.CharField(max_length=40, label=_("Policy number"))
    insured_name = forms.CharField(max_length=200, label=_("Insured name"))
    inception_date = forms.DateField(label=_("Inception date"))
    expiry_date = forms.DateField(label=_("Expiry date"))
    issue_date = forms.DateField(label=_("Issue date"))
    segment = forms.CharField(max_length=64, initial="individual_occurrence", label=_("Segment"))
    basis = forms.ChoiceField(choices=[("occurrence", _("occurrence")), ("claims_made", _("claims made"))], label=_("Basis"))
    retro_date = forms.DateField(required=False, label=_("Retro date"))
    commission = forms.DecimalField(max_digits=18, decimal_places=2, initial=Decimal(0), label=_("Commission"))
    cover_in_diyeh = forms.BooleanField(required=False, label=_("Cover in diyeh"))
    diyeh_year = forms.IntegerField(required=False, help_text=_("Jalali year; default: the year of inception"), label=_("Diyeh year"))
    diyeh_increase_endorsement = forms.BooleanField(required=False, label=_("Diyeh increase endorsement"))


class IndicatedForm(forms.Form):
    period_start = forms.DateField(label=_("Period start"))
    period_end = forms.DateField(label=_("Period end"))
    currency = forms.CharField(max_length=3, initial="IRR", label=_("Currency"))
    gamma = forms.TypedChoiceField(choices=[(g, g) for g in ("0.84", "0.9", "0.95", "0.98", "0.9986")],
                                   coerce=float, initial="0.95", label=_("Gamma"))
    loading_share = forms.DecimalField(max_digits=5, decimal_places=4, initial=Decimal("0.25"),
                                       help_text=_("f: loading share of the gross rate"), label=_("Loading share"))
    use_claim_sd = forms.BooleanField(required=False, initial=True, label=_("use the claim-size s.d. variant"))
