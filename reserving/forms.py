"""Admin forms of reserve runs: create a run, reject with a reason, a segment's selection, a
regime version. They only type the input; the rules live in reserving.services."""
from __future__ import annotations

import json
import math
import re

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.labels import CASE_ADJUSTMENTS as CASE_ADJUSTMENT_NAMES
from core.labels import GRAINS as GRAIN_NAMES
from core.labels import METHODS as METHOD_NAMES
from reserving.engine.reserve import CASE_ADJUSTMENTS, GRAINS, SEGMENT_METHODS


class RunCreateForm(forms.Form):
    valuation_date = forms.DateField(help_text=_("a quarter end, e.g. 2024-12-31"), label=_("Valuation date"))
    regime = forms.ChoiceField(choices=[("ru", "ru"), ("ru-51n", "ru-51n")], initial="ru", label=_("Regime"))
    cut_off = forms.DateTimeField(required=False, help_text=_("default: now"), label=_("Cut off"))
    compute = forms.BooleanField(required=False, initial=True, help_text=_("check the data and compute straight away"), label=_("Compute"))


class RejectForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label=_("Reason"))


OVERRIDE_PREFIX, LDF_PREFIX, ULTIMATE_PREFIX = "override_", "ldf_", "ultimate_"
AGE_IN_MESSAGE = re.compile(r"\bat age '?(\d+)'?")  # "LDF at age 12 …", as _factor, the engine and the exclusions say


class SelectionForm(forms.Form):
    """A segment's selection. `overrides` and `ldfs` are built from the workbench's controls:
    a method select per origin (`override_<origin>`, blank = the rule) and per age the average
    picked (a radio) or a factor typed (a number input), both named `ldf_<age>`; `ultimates`
    from a number input per origin (`ultimate_<origin>`, blank = not typed); a posted JSON
    `overrides` / `ldfs` / `ultimates` text (the form before the workbench) is still read, the
    controls win.

    A typed ultimate sets the projection aside, so saving one needs a note saying why (issue 13
    §2 "each change with a note"); the preview (`note_required=False`) computes it without one."""

    method = forms.ChoiceField(choices=[("", _("(regime default)"))] + [(m, METHOD_NAMES.get(m, m)) for m in SEGMENT_METHODS], required=False, label=_("Method"))
    grain = forms.ChoiceField(choices=[("", _("(regime default)"))] + [(g, format_lazy("{} — {}", g, GRAIN_NAMES[g]) if g in GRAIN_NAMES else g) for g in GRAINS], required=False,
                              help_text=_("origin and development period: OQDQ quarters, OYDQ years × quarters, OYDY years"), label=_("Grain"))
    overrides = forms.CharField(required=False, widget=forms.HiddenInput)
    ultimates = forms.CharField(required=False, widget=forms.HiddenInput)
    ldfs = forms.CharField(required=False, widget=forms.HiddenInput)
    tail = forms.FloatField(required=False, min_value=1.0, label=_("Tail"))
    apriori = forms.FloatField(required=False, min_value=0.0, help_text=_("a-priori loss ratio, 0.75 = 75% (above 0)"), label=_("Apriori"))
    pattern_from = forms.CharField(required=False, help_text=_('"pooled" or "segment|CUR" to borrow a development pattern'), label=_("Pattern from"))
    case_adjustment = forms.ChoiceField(choices=[("", _("(regime rule)"))] + [(c, CASE_ADJUSTMENT_NAMES.get(c, c)) for c in CASE_ADJUSTMENTS],
                                        required=False, help_text=_("Berquist–Sherman restatement of case reserves"), label=_("Case adjustment"))
    severity_trend = forms.FloatField(required=False, help_text=_("Berquist–Sherman severity trend per origin period "
                                                                "(0.2 = +20%; blank: fitted)"), label=_("Severity trend"))
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("Note"))

    def __init__(self, *args, note_required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.note_required = note_required
        # the problems of the typed ultimates by origin, for the summary to show each on its row
        self.ultimate_errors: dict[str, list[str]] = {}

    def _json_object(self, name: str, shape: str) -> dict:
        raw = self.cleaned_data.get(name) or ""
        if not raw.strip():
            return {}
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("not JSON: %(exc)s") % {"exc": exc}) from exc
        if not isinstance(value, dict):
            raise forms.ValidationError(_("give an object %(shape)s") % {"shape": shape})
        return value

    def clean_ldfs(self):
        return self._json_object("ldfs", "{age: LDF}")

    def clean_overrides(self):
        return self._json_object("overrides", "{origin: method}")

    def clean_ultimates(self):
        return self._json_object("ultimates", "{origin: amount}")

    def posted_ultimates(self) -> dict[str, str]:
        """The typed ultimates as posted: {origin: text}, the blank inputs left out."""
        return self._posted_by_origin(ULTIMATE_PREFIX)

    def posted_controls(self) -> tuple[dict[str, str], dict[str, list[str]]]:
        """The workbench's controls as posted: ({origin: method}, {age: [non-blank values]})."""
        ldfs: dict[str, list[str]] = {}
        for key in self.data:
            if key.startswith(LDF_PREFIX):
                values = self.data.getlist(key) if hasattr(self.data, "getlist") else [self.data.get(key)]
                ldfs[key[len(LDF_PREFIX):]] = [str(v).strip() for v in values if str(v or "").strip()]
        return self._posted_by_origin(OVERRIDE_PREFIX), ldfs

    def _posted_by_origin(self, prefix: str) -> dict[str, str]:
        """{origin: text} of the inputs named `<prefix><origin>`, the blank ones left out."""
        out: dict[str, str] = {}
        for key in self.data:
            if key.startswith(prefix):
                value = str(self.data.get(key) or "").strip()
                if value:
                    out[key[len(prefix):]] = value
        return out

    def clean(self):
        data = super().clean()
        overrides, posted_ldfs = self.posted_controls()
        if "overrides" in data:
            data["overrides"] = {**data["overrides"], **overrides}
        if "ldfs" in data:
            ldfs, problems = dict(data["ldfs"]), []
            for age, values in posted_ldfs.items():
                factor = _factor(age, values, problems)
                if factor is not None:
                    ldfs[age] = factor
            for problem in problems:
                self.add_error("ldfs", problem)
            if not problems:
                data["ldfs"] = ldfs
        if "ultimates" in data:
            typed = dict(data["ultimates"])
            for origin, text in self.posted_ultimates().items():
                amount, problem = _typed_ultimate(origin, text)
                if problem:
                    self.ultimate_errors.setdefault(origin, []).append(problem)
                    self.add_error("ultimates", problem)
                else:
                    typed[origin] = amount
            if not self.ultimate_errors:
                data["ultimates"] = typed
                if typed and self.note_required and not str(data.get("note") or "").strip():
                    self.add_error("note", _("a typed ultimate (origin %(origins)s) needs a note: say why the "
                                             "projection is set aside") % {"origins": ", ".join(sorted(typed))})
        return data

    def age_errors(self) -> dict[str, list[str]]:
        """The problems of the posted factors by age ({"12": [message]}), for the exhibit to
        show each beside its own age's input."""
        out: dict[str, list[str]] = {}
        for message in self.errors.get("ldfs", []) if self.is_bound else []:
            match = AGE_IN_MESSAGE.search(str(message))
            if match:
                out.setdefault(match.group(1), []).append(str(message))
        return out

    def selection(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "", {})}


def _factor(age: str, values: list[str], problems: list[str]) -> float | None:
    """The factor posted for one age (a picked average or a typed one), or None; what is wrong
    goes to `problems` naming the age."""
    if not age.isdigit():
        problems.append(f"LDF at age {age!r}: the age must be a whole number of months")
        return None
    factors = set()
    for value in values:
        try:
            factor = float(value)
        except ValueError:
            problems.append(f"LDF at age {age}: {value!r} is not a number")
            return None
        if not math.isfinite(factor) or factor <= 0:
            problems.append(f"LDF at age {age} must be a positive number, got {value}")
            return None
        factors.add(factor)
    if len(factors) > 1:
        problems.append(f"LDF at age {age}: pick an average or type a factor, not both")
        return None
    return factors.pop() if factors else None


def _typed_ultimate(origin: str, text: str) -> tuple[float | None, str]:
    """The ultimate typed for an origin, or the problem with it (naming the origin)."""
    try:
        amount = float(text)
    except ValueError:
        return None, _("typed ultimate for origin %(origin)s: %(value)s is not a number") % {
            "origin": origin, "value": repr(text)}
    if not math.isfinite(amount) or amount < 0:
        return None, _("typed ultimate for origin %(origin)s must be an amount of 0 or more, got %(value)s") % {
            "origin": origin, "value": text}
    return amount, ""


class RegimeVersionForm(forms.Form):
    code = forms.CharField(max_length=32, label=_("Code"))
    effective_from = forms.DateField(label=_("Effective from"))
    name = forms.CharField(required=False, label=_("Name"))
    parameters = forms.JSONField(label=_("Parameters"))
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label=_("Description"))


APRIORI_RATIO_PREFIX, APRIORI_SOURCE_PREFIX, APRIORI_NOTE_PREFIX = "loss_ratio_", "source_", "note_"


class AprioriYearsForm(forms.Form):
    """The a-priori loss ratios of a segment by underwriting year, as the workbench shows them
    under the summary of ultimates: per year a ratio (a fraction, 0.75 = 75%, as the
    AprioriLossRatio admin takes it), its source (required with a ratio) and a note, named
    `loss_ratio_<year>`, `source_<year>`, `note_<year>`. A blank ratio leaves the year as kept
    (kept ratios are never deleted). `kept`: {year: AprioriLossRatio}."""

    def __init__(self, data=None, *, years, kept, **kwargs):
        from reserving.models import AprioriLossRatio

        super().__init__(data, **kwargs)
        self.years, self.kept = list(years), kept
        sources = [("", "---------")] + list(AprioriLossRatio.Source.choices)
        for year in self.years:
            row = kept.get(year)
            self.fields[f"{APRIORI_RATIO_PREFIX}{year}"] = forms.DecimalField(
                required=False, max_digits=6, decimal_places=4, label=_("loss ratio"),
                initial=row.loss_ratio if row else None,
                widget=forms.NumberInput(attrs={"step": "0.0001", "min": "0.0001", "max": "5",
                                                "aria-label": _("loss ratio for %(year)s") % {"year": year}}))
            self.fields[f"{APRIORI_SOURCE_PREFIX}{year}"] = forms.ChoiceField(
                required=False, choices=sources, label=_("source"), initial=row.source if row else "",
                widget=forms.Select(attrs={"aria-label": _("source for %(year)s") % {"year": year}}))
            self.fields[f"{APRIORI_NOTE_PREFIX}{year}"] = forms.CharField(
                required=False, max_length=300, label=_("note"), initial=row.note if row else "",
                widget=forms.TextInput(attrs={"aria-label": _("note for %(year)s") % {"year": year}}))

    def clean(self):
        cleaned = super().clean()
        for year in self.years:
            ratio_name, source_name = f"{APRIORI_RATIO_PREFIX}{year}", f"{APRIORI_SOURCE_PREFIX}{year}"
            ratio = cleaned.get(ratio_name)
            if ratio is None:
                continue
            if ratio <= 0:
                self.add_error(ratio_name, _("an a-priori loss ratio must be above 0 (a fraction: 0.75 = 75%)"))
            if not cleaned.get(source_name):
                self.add_error(source_name, _("say where the ratio comes from"))
        return cleaned

    def rows(self) -> list[dict]:
        """Each row shown: its year, the bound fields and what is kept."""
        return [{"year": year, "kept": self.kept.get(year),
                 "ratio": self[f"{APRIORI_RATIO_PREFIX}{year}"], "source": self[f"{APRIORI_SOURCE_PREFIX}{year}"],
                 "note": self[f"{APRIORI_NOTE_PREFIX}{year}"]} for year in self.years]

    def changed_rows(self) -> list[dict]:
        """The years typed that differ from what is kept (after is_valid), for the service."""
        out = []
        for year in self.years:
            ratio = self.cleaned_data.get(f"{APRIORI_RATIO_PREFIX}{year}")
            if ratio is None:
                continue
            source = self.cleaned_data.get(f"{APRIORI_SOURCE_PREFIX}{year}") or ""
            note = (self.cleaned_data.get(f"{APRIORI_NOTE_PREFIX}{year}") or "").strip()
            row = self.kept.get(year)
            if row is not None and (row.loss_ratio, row.source, row.note) == (ratio, source, note):
                continue
            out.append({"underwriting_year": year, "loss_ratio": ratio, "source": source, "note": note})
        return out
