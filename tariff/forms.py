"""Parsing of quote input shared by the quote command, the API and the admin form: text in,
an engine QuoteRequest out. Only types and shapes here; every tariff rule is in the engine."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms

from core.errors import DomainError
from tariff.engine import SETTINGS, QuoteRequest


def amount_parse(text, field: str) -> Decimal:
    """An amount as typed by people: 440,000,000 or 440_000_000 or 440000000."""
    if isinstance(text, Decimal):
        return text
    cleaned = str(text).strip().replace(",", "").replace("_", "").replace(" ", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise DomainError(f"not an amount: {text!r}", field=field) from exc
    if not value.is_finite():
        raise DomainError(f"not an amount: {text!r}", field=field)
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
    profession = forms.CharField(max_length=64, help_text="snake_case code, e.g. midwife, nurse")
    setting = forms.ChoiceField(choices=[(s, s) for s in SETTINGS], initial="hospital")
    cover = forms.DecimalField(max_digits=18, decimal_places=2, help_text="the full (100%) cover, e.g. the year's diyeh")
    cover_share = forms.DecimalField(max_digits=5, decimal_places=4, initial=Decimal(1), help_text="0.75 = 75%")
    resident = forms.BooleanField(required=False)
    claim_free_years = forms.IntegerField(required=False, initial=0)
    group_size = forms.IntegerField(required=False, help_text="how many are insured together")
    group_members = forms.IntegerField(required=False, help_text="members of the group in all (default: the group size)")
    group_formed_for_insurance = forms.BooleanField(required=False)
    currency = forms.CharField(max_length=3, initial="IRR")
    quote_date = forms.DateField(required=False, help_text="selects the tariff in force (default: today)")
    tariff_version = forms.CharField(max_length=64, required=False, help_text="empty = the version in force")

    def quote_request(self) -> QuoteRequest:
        data = self.cleaned_data
        return quote_request_build(**{k: data.get(k) for k in (
            "profession", "setting", "cover", "cover_share", "resident", "claim_free_years", "group_size",
            "group_members", "group_formed_for_insurance", "currency")})


class IssueForm(forms.Form):
    """The policy details a quote does not give."""

    policy_number = forms.CharField(max_length=40)
    insured_name = forms.CharField(max_length=200)
    inception_date = forms.DateField()
    expiry_date = forms.DateField()
    issue_date = forms.DateField()
    segment = forms.CharField(max_length=64, initial="individual_occurrence")
    basis = forms.ChoiceField(choices=[("occurrence", "occurrence"), ("claims_made", "claims made")])
    retro_date = forms.DateField(required=False)
    commission = forms.DecimalField(max_digits=18, decimal_places=2, initial=Decimal(0))
    cover_in_diyeh = forms.BooleanField(required=False)
    diyeh_year = forms.IntegerField(required=False, help_text="Jalali year; default: the year of inception")
    diyeh_increase_endorsement = forms.BooleanField(required=False)


class IndicatedForm(forms.Form):
    period_start = forms.DateField()
    period_end = forms.DateField()
    currency = forms.CharField(max_length=3, initial="IRR")
    gamma = forms.TypedChoiceField(choices=[(g, g) for g in ("0.84", "0.9", "0.95", "0.98", "0.9986")],
                                   coerce=float, initial="0.95")
    loading_share = forms.DecimalField(max_digits=5, decimal_places=4, initial=Decimal("0.25"),
                                       help_text="f: loading share of the gross rate")
    use_claim_sd = forms.BooleanField(required=False, initial=True, label="use the claim-size s.d. variant")
