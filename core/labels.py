"""Human names, in the user's language, for the codes the book and the runs store: segments,
professions, settings, reserving methods, grains and data checks (issue 16 §2).

The codes stay what the database, the exchange files and the API carry; only pages show these
names. An unknown code is shown as it is, so a new segment or profession never breaks a page.
The words follow docs/glossary.md."""
from __future__ import annotations

from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

SEGMENTS = {
    "individual_occurrence": _("individual professionals, occurrence basis"),
    "clinic_claims_made": _("clinics, claims-made basis"),
}

PROFESSIONS = {
    "midwife": _("midwife"),
    "dentist": _("dentist"),
    "empirical_dentist": _("empirical dentist"),
    "oral_hygienist": _("oral hygienist"),
    "anaesthesia_technician": _("anaesthesia technician"),
    "anaesthesia_expert": _("anaesthesia expert"),
    "icu_nurse": _("ICU nurse"),
    "icu_aide": _("ICU nurse aide"),
    "ccu_nurse": _("CCU nurse"),
    "ccu_aide": _("CCU nurse aide"),
    "er_nurse": _("emergency department nurse"),
    "er_aide": _("emergency department nurse aide"),
    "dialysis_nurse": _("dialysis nurse"),
    "dialysis_aide": _("dialysis nurse aide"),
    "physiotherapist": _("physiotherapist"),
    "or_technician": _("operating room technician"),
    "or_nurse": _("operating room nurse"),
    "or_aide": _("operating room nurse aide"),
    "nurse": _("nurse"),
    "nurse_aide": _("nurse aide"),
    "assistant_aide": _("assistant aide"),
    "teaching_supervisor": _("teaching supervisor"),
    "lab_technician": _("laboratory technician"),
    "radiology_technician": _("radiology technician"),
    "ct_technician": _("CT technician"),
    "mri_technician": _("MRI technician"),
    "csr_technician": _("central sterilisation technician"),
    "pharmacy_technician": _("pharmacy technician"),
    "ecg_technician": _("ECG technician"),
}

# The reserving methods: the per-origin methods of the default rule and the segment-wide names a
# selection may use.
METHODS = {
    "default": _("default rule"),
    "rule": _("default rule"),
    "paid_cl": _("chain ladder on paid"),
    "incurred_cl": _("chain ladder on incurred"),
    "bf_paid": _("Bornhuetter–Ferguson on paid"),
    "bf_incurred": _("Bornhuetter–Ferguson on incurred"),
    "benktander_paid": _("Benktander on paid"),
    "benktander_incurred": _("Benktander on incurred"),
    "capecod_paid": _("Cape Cod on paid"),
    "capecod_incurred": _("Cape Cod on incurred"),
    "elr": _("expected loss ratio"),
    "chainladder": _("chain ladder"),
    "cl": _("chain ladder"),
    "bf": _("Bornhuetter–Ferguson"),
    "benktander": _("Benktander"),
    "capecod": _("Cape Cod"),
    "mack": _("Mack chain ladder"),
    "bootstrap": _("bootstrap ODP"),
    "statutory": _("statutory fallback"),
    "typed": _("typed by the actuary"),  # an origin whose ultimate the actuary typed (engine.reserve.TYPED)
}

GRAINS = {
    "OQDQ": _("accident quarters × development quarters"),
    "OYDQ": _("accident years × development quarters"),
    "OYDY": _("accident years × development years"),
}

CASE_ADJUSTMENTS = {
    "auto": pgettext_lazy("case adjustment", "automatic"),
    "none": pgettext_lazy("case adjustment", "none"),
    "berquist_sherman": _("Berquist–Sherman"),
}

# The data checks a run makes (reserving.checks) and the notes it keeps on how it was made.
DATA_CHECKS = {
    "outstanding_below_zero": _("payments beyond the case reserve"),
    "claim_row_before_report": _("claim rows dated before the report date"),
    "open_claim_without_case_reserve": _("open claims without a case reserve"),
    "payment_on_closed_claim": _("payments on closed claims"),
    "policy_without_premium": _("policies without an original premium"),
    "large_movement": _("large movements since the last approved run"),
    "origin_grain": _("origin grain"),
}

SEVERITIES = {
    "error": pgettext_lazy("data check severity", "error"),
    "warning": pgettext_lazy("data check severity", "warning"),
    "note": pgettext_lazy("data check severity", "note"),
}

RESERVES = {
    "upr": _("UPR"),
    "rbns": _("RBNS"),
    "ibnr": _("IBNR"),
    "ulae": _("ULAE"),
    "premium_deficiency": _("premium deficiency reserve"),
}


def _name(table: dict, code) -> str:
    if code is None or code == "":
        return ""
    return str(table.get(code, code))


def segment_name(code: str) -> str:
    return _name(SEGMENTS, code)


def profession_name(code: str) -> str:
    return _name(PROFESSIONS, code)


def method_name(code: str) -> str:
    return _name(METHODS, code)


def grain_name(code: str) -> str:
    return _name(GRAINS, code)


def data_check_name(code: str) -> str:
    return _name(DATA_CHECKS, code)


def severity_name(code: str) -> str:
    return _name(SEVERITIES, code)


def reserve_name(code: str) -> str:
    return _name(RESERVES, code)


def code_shown(code: str, name_of) -> str:
    """A code by its human name, the code itself kept as the element's title (hover, search)."""
    if not code:
        return ""
    return format_html('<span title="{}">{}</span>', code, name_of(code))


def choices(table: dict) -> list[tuple[str, str]]:
    """(code, name) pairs for a form's select, in the table's order."""
    return [(code, name) for code, name in table.items()]


# The measure a segment is developed on (the exhibit's basis) and the triangles beside it.
BASES = {
    "paid": _("paid"),
    "incurred": _("incurred"),
    "count": _("reported claim counts"),
}

# The averages of link ratios (reserving.engine.development.link_ratio_averages rows).
AVERAGES = {
    "simple": pgettext_lazy("link-ratio average", "simple"),
    "volume": pgettext_lazy("link-ratio average", "volume"),  # volume-weighted
    "medial": pgettext_lazy("link-ratio average", "medial"),
    "geometric": pgettext_lazy("link-ratio average", "geometric"),
}

# The bootstrap's verdicts (engine D-31).
BOOTSTRAP_STATUSES = {
    "ok": pgettext_lazy("bootstrap status", "meaningful"),
    "not meaningful": _("not meaningful"),
    "failed": pgettext_lazy("bootstrap status", "failed"),
}

# The fields of an actuary's selection (reserving.forms.SelectionForm.selection), as the run
# page and the workbench list them.
SELECTION_FIELDS = {
    "method": _("method"),
    "grain": _("grain"),
    "basis": _("basis"),
    "ldfs": _("development factors by age"),
    "tail": _("tail"),
    "apriori": _("a-priori loss ratio"),
    "pattern_from": _("pattern from"),
    "case_adjustment": _("case adjustment"),
    "severity_trend": _("severity trend"),
    "overrides": _("methods by origin"),
    "ultimates": _("typed ultimates"),
    "note": _("note"),
}


def basis_name(code: str) -> str:
    return _name(BASES, code)


def average_name(code: str) -> str:
    return _name(AVERAGES, code)


def periods_name(periods: str) -> str:
    """A link-ratio average's window: "all" or "latest 3" (the engine's labels)."""
    if periods == "all":
        return str(pgettext_lazy("link-ratio periods", "all"))
    if isinstance(periods, str) and periods.startswith("latest "):
        n = periods[len("latest "):]
        if n.isdigit():
            return str(pgettext_lazy("link-ratio periods", "latest %(n)s") % {"n": n})
    return _name({}, periods)


def bootstrap_status_name(code: str) -> str:
    return _name(BOOTSTRAP_STATUSES, code)


def selection_field_name(code: str) -> str:
    return _name(SELECTION_FIELDS, code)
