"""Admin forms of reserve runs: create a run, reject with a reason, a segment's selection, a
regime version. They only type the input; the rules live in reserving.services."""
from __future__ import annotations

import json

from django import forms

from reserving.engine.reserve import GRAINS, SEGMENT_METHODS


class RunCreateForm(forms.Form):
    valuation_date = forms.DateField(help_text="a quarter end, e.g. 2024-12-31")
    regime = forms.ChoiceField(choices=[("ru", "ru"), ("ru-51n", "ru-51n")], initial="ru")
    cut_off = forms.DateTimeField(required=False, help_text="default: now")
    compute = forms.BooleanField(required=False, initial=True, help_text="check the data and compute straight away")


class RejectForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


class SelectionForm(forms.Form):
    method = forms.ChoiceField(choices=[("", "(regime default)")] + [(m, m) for m in SEGMENT_METHODS], required=False)
    grain = forms.ChoiceField(choices=[("", "(regime default)")] + [(g, g) for g in GRAINS], required=False,
                              help_text="origin and development period: OQDQ quarters, OYDQ years × quarters, OYDY years")
    overrides = forms.CharField(required=False, help_text='JSON {origin: method}, e.g. {"2025": "bf"}')
    ldfs = forms.CharField(required=False, help_text='JSON {age in months: LDF} at the grain\'s ages, e.g. {"12": 1.8}')
    tail = forms.FloatField(required=False, min_value=1.0)
    apriori = forms.FloatField(required=False, min_value=0.0, help_text="a-priori loss ratio, 0.75 = 75% (above 0)")
    pattern_from = forms.CharField(required=False, help_text='"pooled" or "segment|CUR" to borrow a development pattern')
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def _json_object(self, name: str, shape: str) -> dict:
        raw = self.cleaned_data.get(name) or ""
        if not raw.strip():
            return {}
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"not JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise forms.ValidationError(f"give an object {shape}")
        return value

    def clean_ldfs(self):
        return self._json_object("ldfs", "{age: LDF}")

    def clean_overrides(self):
        return self._json_object("overrides", "{origin: method}")

    def selection(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "", {})}


class RegimeVersionForm(forms.Form):
    code = forms.CharField(max_length=32)
    effective_from = forms.DateField()
    name = forms.CharField(required=False)
    parameters = forms.JSONField()
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
