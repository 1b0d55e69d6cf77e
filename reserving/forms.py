"""Admin forms of reserve runs: create a run, reject with a reason, a segment's selection, a
regime version. They only type the input; the rules live in reserving.services."""
from __future__ import annotations

import json

from django import forms

from reserving.compute import SELECTION_METHODS


class RunCreateForm(forms.Form):
    valuation_date = forms.DateField(help_text="a quarter end, e.g. 2024-12-31")
    regime = forms.ChoiceField(choices=[("ru", "ru"), ("ru-51n", "ru-51n")], initial="ru")
    cut_off = forms.DateTimeField(required=False, help_text="default: now")
    compute = forms.BooleanField(required=False, initial=True, help_text="check the data and compute straight away")


class RejectForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


class SelectionForm(forms.Form):
    method = forms.ChoiceField(choices=[("", "(regime default)")] + [(m, m) for m in SELECTION_METHODS], required=False)
    ldfs = forms.CharField(required=False, help_text='JSON {age: LDF}, e.g. {"3": 1.8, "6": 1.3}')
    tail = forms.FloatField(required=False, min_value=1.0)
    apriori = forms.FloatField(required=False, min_value=0.0, help_text="a-priori loss ratio, 0.75 = 75%")
    pattern_from = forms.CharField(required=False, help_text='"pooled" or "segment|CUR" to borrow a development pattern')
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_ldfs(self):
        raw = self.cleaned_data.get("ldfs") or ""
        if not raw.strip():
            return {}
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"not JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise forms.ValidationError("give an object {age: LDF}")
        return value

    def selection(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "", {})}


class RegimeVersionForm(forms.Form):
    code = forms.CharField(max_length=32)
    effective_from = forms.DateField()
    name = forms.CharField(required=False)
    parameters = forms.JSONField()
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
