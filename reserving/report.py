"""The run's reserving report (issue 13 §6): what the responsible actuary files behind a run's
figures, per segment × currency — the data (paid and incurred triangles), the exhibits (link
ratios, selected factors, ultimates and IBNR per origin), the selections with their notes, the
method per origin, the uncertainty (Mack, the bootstrap), the changes against the prior approved
run (reserving.review) and the sign-off. An admin HTML page and an XLSX download, both built from
what the run stored: nothing is recomputed (the triangles are regrouped to the grain the result
was reserved on, as the workbench shows them).

Also the HTML fragment of the changes against the prior run, which the approver reads on the run
page before the Approve button: built with format_html only (every value escaped).

The XLSX follows the rules of reporting.exports.xlsx (which reserving may not import): text cells
neutralised against formula injection (core/csvsafe.py), properties dated at the run's valuation
date and fixed zip entry times, so the same run always gives the same bytes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.labels import basis_name, grain_name, method_name, segment_name
from core.money import MINOR_UNITS, money_round
from core.money_format import amount_text
from core.xlsx import workbook_bytes, workbook_new
from reserving import review as review_module
from reserving.engine import EngineError
from reserving.engine.default import METHODS as DEFAULT_METHODS
from reserving.engine.triangle import origin_key
from reserving.models import ReserveRun, RunSegmentResult

SHEETS = ("Run", "Data", "Exhibits", "Ultimates", "Selections", "Uncertainty", "Changes", "Sign-off")
BOOTSTRAP_KEYS = (("mean", gettext_noop("mean")), ("std", gettext_noop("s.d.")),
                  ("p75", gettext_noop("75th percentile")), ("p95", gettext_noop("95th percentile")),
                  ("p99_5", gettext_noop("99.5th percentile")))


# ------------------------------------------------------------------ formatting
def money_text(value, currency: str) -> str:
    """An amount to read, grouped per the active locale to the currency's minor unit (IRR 0, RUB
    2; core.money_format: Persian digits on Persian pages); "—" for none."""
    if value is None or value == "":
        return "—"
    try:
        if not np.isfinite(float(value)):
            return "—"
    except (TypeError, ValueError):
        return str(value)
    return amount_text(value, currency)


def signed_money_text(value, currency: str) -> str:
    text = money_text(value, currency)
    return text if value is None or text == "—" or value < 0 else f"+{text}"


def factor_text(value, digits: int = 4) -> str:
    return "—" if value is None or not np.isfinite(float(value)) else f"{float(value):,.{digits}f}"


def percent_text(value, digits: int = 1, signed: bool = False) -> str:
    if value is None or not np.isfinite(float(value)):
        return "—"
    return f"{float(value):{'+' if signed else ''}.{digits}%}"


def when_text(value: datetime | None) -> str:
    if value is None:
        return "—"
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S %Z")


def _value_text(value, kind: str, currency: str) -> str:
    if kind == "factor":
        return factor_text(value)
    if kind == "percent":
        return percent_text(value)
    if kind == "money":
        return money_text(value, currency)
    return "—" if value in (None, "") else str(value)


# ------------------------------------------------------------------ the changes, as HTML
def _change_rows(rows, currency: str) -> SafeString:
    """rows: (label, prior, current, kind, changed) → <tr>s."""
    return format_html_join("", '<tr class="{}"><th>{}</th><td class="num">{}</td><td class="num">{}</td></tr>', (
        ("rv-changed" if changed else "rv-same", label, _value_text(prior, kind, currency),
         _value_text(current, kind, currency)) for label, prior, current, kind, changed in rows))


def method_text(method, typed, currency: str) -> str:
    """An origin's method by its human name; a typed ultimate with its amount ("typed by the
    actuary: 150,000.00"); "—" where the run has no such origin."""
    if not method:
        return "—"
    name = str(method_name(method))
    return f"{name}: {money_text(typed, currency)}" if typed is not None else name


def typed_ultimates_text(typed: dict, note: str, currency: str) -> str:
    """The ultimates the actuary typed, with the selection's note: "2024: 150,000.00 (note: …)"."""
    if not typed:
        return ""
    amounts = "; ".join(f"{o}: {money_text(v, currency)}" for o, v in sorted(typed.items()))
    return _("{amounts} (note: {note})").format(amounts=amounts, note=note or "—")


def _typed_html(seg: review_module.SegmentReview) -> SafeString | str:
    if not seg.typed_ultimates:
        return ""
    return format_html('<p class="rv-typed">{}: {}</p>', _("typed ultimates"), typed_ultimates_text(
        seg.typed_ultimates, seg.note.current if seg.note else "", seg.currency))


def _amounts_html(seg: review_module.SegmentReview) -> SafeString:
    c = seg.currency
    body = format_html_join("", '<tr><th>{}</th><td class="num">{}</td><td class="num">{}</td>'
                                '<td class="num">{}</td><td class="num">{}</td></tr>', (
        (a.label, money_text(a.prior, c), money_text(a.current, c), signed_money_text(a.difference, c),
         percent_text(a.percent, 1, signed=True)) for a in seg.amounts))
    return format_html('<table class="rv-amounts"><thead><tr><th>{}</th><th class="num">{}</th><th class="num">{}</th>'
                       '<th class="num">{}</th><th class="num">%</th></tr></thead><tbody>{}</tbody></table>',
                       _("effect on the reserve ({currency})").format(currency=c), _("prior"), _("current"),
                       _("difference"), body)


def segment_review_html(seg: review_module.SegmentReview) -> SafeString:
    """One segment's changes against its prior approved run: the settings, the factors per
    age, the method and a-priori per origin, the notes and the effect on the reserve."""
    title = format_html('<h4 class="rv-title"><span title="{}">{}</span> {}</h4>', seg.segment,
                        segment_name(seg.segment), seg.currency)
    if not seg.has_prior:
        note = (format_html('<p class="rv-note">{}: {}</p>', _("note"), seg.note.current)
                if seg.note and seg.note.current else "")
        return format_html('<div class="rv-segment">{}<p class="rv-none">{}</p>{}{}{}</div>', title, seg.message,
                           note, _typed_html(seg), _amounts_html(seg))
    prior = seg.prior_run
    head = format_html('<p class="rv-prior">{} <a href="{}">{}</a> ({} {}, {} {})</p>', _("Against"),
                       reverse("admin:reserving_reserverun_change", args=[prior.pk]),
                       _("run {pk}").format(pk=prior.pk), _("as at"), prior.valuation_date.isoformat(),
                       _("approved"), when_text(prior.decided_at))
    warnings = format_html_join("", '<p class="rv-warning">{}</p>', ((w,) for w in seg.warnings))
    # the codes by their names (the approver reads words; the codes are the workbench's titles)
    settings_rows = [(_("method"), method_name(seg.method.prior), method_name(seg.method.current), "text",
                      seg.method.changed),
                     (_("basis"), basis_name(seg.basis.prior), basis_name(seg.basis.current), "text",
                      seg.basis.changed),
                     (_("grain"), grain_name(seg.grain.prior), grain_name(seg.grain.current), "text",
                      seg.grain.changed),
                     (_("tail"), seg.tail.prior, seg.tail.current, "factor", seg.tail.changed),
                     (_("a-priori loss ratio (selected)"), seg.apriori.prior, seg.apriori.current, "percent",
                      seg.apriori.changed),
                     (_("pattern from"), seg.pattern_from.prior, seg.pattern_from.current, "text",
                      seg.pattern_from.changed)]
    settings = format_html('<table class="rv-settings"><thead><tr><th></th><th class="num">{}</th><th class="num">{}'
                           '</th></tr></thead><tbody>{}</tbody></table>', _("prior"), _("current"),
                           _change_rows(settings_rows, seg.currency))
    factors = _factors_html(seg)
    c = seg.currency
    # the method by its human name, its code in the cell's title (as the workbench shows it)
    origin_rows = format_html_join("", '<tr class="{}"><th>{}</th><td title="{}">{}</td><td title="{}">{}</td>'
                                       '<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>'
                                       '<td class="num">{}</td></tr>', (
        ("rv-changed" if o.changed else "rv-same", o.origin, o.method.prior or "",
         method_text(o.method.prior, o.typed.prior, c), o.method.current or "",
         method_text(o.method.current, o.typed.current, c),
         percent_text(o.apriori.prior), percent_text(o.apriori.current), money_text(o.ibnr.prior, c),
         money_text(o.ibnr.current, c)) for o in seg.origins))
    origins = format_html(
        '<table class="rv-origins"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th class="num">{}</th>'
        '<th class="num">{}</th><th class="num">{}</th><th class="num">{}</th></tr></thead><tbody>{}</tbody></table>',
        _("origin"), _("prior method"), _("current method"), _("prior a-priori"), _("current a-priori"),
        _("prior IBNR"), _("current IBNR"), origin_rows)
    notes = format_html('<dl class="rv-notes"><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd></dl>',
                        _("prior note"), seg.note.prior or "—", _("current note"), seg.note.current or "—")
    summary = format_html('<p class="rv-summary">{}</p>', _(
        "{factors} factor(s), {origins} origin method(s) or a-priori changed").format(
        factors=len(seg.changed_factors), origins=len(seg.changed_origins)))
    return format_html('<div class="rv-segment">{}{}{}{}{}<div class="rv-tables">{}{}</div>{}{}{}</div>', title, head,
                       warnings, summary, _amounts_html(seg), settings, factors, origins, notes, _typed_html(seg))


def _factors_html(seg: review_module.SegmentReview) -> SafeString:
    """The factors per age, prior beside current; when the grain changed, the two runs' factors
    as two lists side by side (their ages are other ages: nothing is compared)."""
    if not seg.factors_comparable:
        prior = [(int(f.key), f.prior) for f in seg.factors if f.prior is not None]
        current = [(int(f.key), f.current) for f in seg.factors if f.current is not None]
        blank = ("", "")
        pairs = [(prior[i] if i < len(prior) else blank, current[i] if i < len(current) else blank)
                 for i in range(max(len(prior), len(current)))]
        rows = format_html_join("", '<tr class="rv-incomparable"><th>{}</th><td class="num">{}</td><th>{}</th>'
                                    '<td class="num">{}</td></tr>', (
            (p[0], factor_text(p[1]) if p[1] != "" else "", c[0], factor_text(c[1]) if c[1] != "" else "")
            for p, c in pairs))
        return format_html('<table class="rv-factors rv-factors-apart"><caption>{}</caption><thead><tr><th>{}</th>'
                           '<th class="num">{}</th><th>{}</th><th class="num">{}</th></tr></thead><tbody>{}</tbody>'
                           '</table>', _("not comparable: reserved at different grains"), _("prior age (months)"),
                           _("prior factor"), _("current age (months)"), _("current factor"), rows or format_html(
                               '<tr><td colspan="4">{}</td></tr>', _("no development factors")))
    factor_rows = format_html_join("", '<tr class="{}"><th>{}</th><td class="num">{}</td><td class="num">{}</td>'
                                       '<td>{}</td></tr>', (
        ("rv-changed" if f.changed else "rv-same", f.key, factor_text(f.prior), factor_text(f.current),
         _("selected") if f.chosen else "") for f in seg.factors))
    return format_html('<table class="rv-factors"><thead><tr><th>{}</th><th class="num">{}</th><th class="num">{}'
                       '</th><th></th></tr></thead><tbody>{}</tbody></table>', _("age (months)"),
                       _("prior factor"), _("current factor"), factor_rows or format_html(
                           '<tr><td colspan="4">{}</td></tr>', _("no development factors")))


def review_html(reviews: list[review_module.SegmentReview]) -> SafeString:
    """The changes of every segment against its prior approved run (the approver's section)."""
    if not reviews:
        return format_html('<p class="rv-none">{}</p>', _("The run has no segment results to compare yet."))
    return format_html_join("", "{}", ((segment_review_html(seg),) for seg in reviews))


REVIEW_STYLE = mark_safe(  # a constant stylesheet, no data in it
    "<style>.rv-segment{border-top:1px solid #ccc;margin:8px 0;padding-top:4px}"
    ".rv-tables{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}"
    ".rv-segment td.num,.rv-segment th.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".rv-changed th,.rv-changed td{background:#fff4c2}.rv-warning{color:#b8860b}</style>")


# ------------------------------------------------------------------ the report's data
@dataclass
class SegmentReport:
    segment: str
    currency: str
    grain: str
    basis: str
    ibnr_method: str
    amounts: list[tuple[str, str]]
    triangles: list[dict]              # {"title", "ages", "rows": [(origin, [text])], "raw": [(origin, [float|None])]}
    link_ratios: dict | None
    factors: list[dict]                # age, ldf, cdf, chosen
    tail: float | None
    methods: list[str]
    origins: list[dict]
    totals: dict
    selection: list[tuple[str, str]]
    note: str
    engine_notes: list[str]
    selection_history: list[dict]
    methods_by_origin: list[dict]
    mack_total: float | None
    bootstrap: dict
    review: review_module.SegmentReview | None
    review_html: SafeString | str = ""
    messages: list[str] = field(default_factory=list)

    # the same, as text for the page (money to the currency's minor unit, with separators)
    @property
    def amounts_text(self) -> list[tuple[str, str]]:
        return [(label, money_text(v, self.currency)) for label, v in self.amounts]

    @property
    def link_ratios_text(self) -> dict | None:
        if not self.link_ratios:
            return None
        ages = self.link_ratios["ages"]
        return {"ages": ages, "rows": [(o, ["" if v is None else factor_text(v) for v in vals]
                                        + [""] * (len(ages) - len(vals))) for o, vals in self.link_ratios["rows"]]}

    @property
    def factors_text(self) -> list[dict]:
        return [{"age": f["age"], "ldf": factor_text(f["ldf"]) if f["ldf"] is not None else "—",
                 "cdf": factor_text(f["cdf"]) if f["cdf"] is not None else "—", "chosen": f["chosen"]}
                for f in self.factors]

    @property
    def tail_text(self) -> str:
        return "—" if self.tail is None else factor_text(self.tail)

    @property
    def origins_text(self) -> list[dict]:
        c = self.currency
        return [{"origin": o["origin"], "paid": money_text(o["paid"], c), "case": money_text(o["case"], c),
                 "incurred": money_text(o["incurred"], c), "maturity": percent_text(o["maturity"], 0),
                 "apriori": percent_text(o["apriori"]),
                 "ultimates": [{"method": m, "value": money_text(v, c), "selected": sel}
                               for m, v, sel in o["ultimates"]],
                 "method": o["method"], "ultimate": money_text(o["ultimate"], c), "ibnr": money_text(o["ibnr"], c),
                 "mack_se": money_text(o["mack_se"], c), "cv": percent_text(o["cv"])} for o in self.origins]

    @property
    def totals_text(self) -> dict:
        return {k: money_text(v, self.currency) for k, v in self.totals.items()}

    @property
    def mack_total_text(self) -> str:
        return money_text(self.mack_total, self.currency)

    @property
    def methods_text(self) -> list[dict]:
        return [{**m, "apriori": percent_text(m["apriori"])} for m in self.methods_by_origin]


def _frame_rows(blob) -> tuple[list[int], list[tuple[str, list]]]:
    if not blob or not blob.get("values"):
        return [], []
    return [int(a) for a in blob["ages"]], [(str(o), list(vals)) for o, vals in zip(blob["origins"], blob["values"])]


def _triangle_blocks(run: ReserveRun, result: RunSegmentResult) -> tuple[list[dict], list[str]]:
    """Paid and incurred at the grain the result was reserved on (workbench.segment_triangles:
    the stored inputs, else the stored quarterly triangles); the stored quarterly ones if that fails."""
    from reserving import workbench

    currency, messages = result.currency, []
    blocks = []
    try:
        t = workbench.segment_triangles(run=run, result=result)
    except EngineError as exc:
        t, messages = None, [_("the triangles cannot be cut at the result's grain: {why}").format(why=exc.message)]
    if t is not None:
        for title, tri in ((_("paid"), t.paid), (_("incurred"), t.incurred)):
            raw = [(origin_key(o), [None if not np.isfinite(v) else float(v) for v in row[:int(n)]])
                   for o, row, n in zip(tri.origins, tri.values, tri.lengths)]
            blocks.append({"title": title, "ages": [int(a) for a in tri.ages], "raw": raw})
    else:
        for title, key in ((_("paid"), "paid"), (_("incurred"), "incurred")):
            ages, rows = _frame_rows((result.triangles or {}).get(key))
            if ages:
                blocks.append({"title": f"{title} ({_('quarterly')})", "ages": ages, "raw": rows})
    for b in blocks:
        b["rows"] = [(o, [money_text(v, currency) if v is not None else "" for v in vals]
                      + [""] * (len(b["ages"]) - len(vals))) for o, vals in b["raw"]]
    return blocks, messages


def _selection_items(selection: dict, currency: str) -> list[tuple[str, str]]:
    out = []
    for key, value in (selection or {}).items():
        if key in ("note", "notes") or value in (None, "", {}, []):
            continue
        if key == "ultimates" and isinstance(value, dict):  # the amounts typed, with the note that says why
            out.append((_("typed ultimates"), typed_ultimates_text(
                {str(o): v for o, v in value.items()}, str(selection.get("note") or ""), currency)))
            continue
        if isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items())
        out.append((key, str(value)))
    return out


def _bootstrap(blob: dict, currency: str) -> dict:
    blob = blob or {}
    status = blob.get("status") or _("not stored")
    rows = [(_("status"), status)]
    if "n_sims" in blob:
        rows.append((_("simulations"), f"{int(blob['n_sims']):,}"))
    if "seed" in blob:
        rows.append((_("seed"), str(blob["seed"])))
    for key, label in BOOTSTRAP_KEYS:
        if blob.get(key) is not None and (status == "ok" or key in ("mean", "std")):
            rows.append((_(label), money_text(blob[key], currency)))
    percentiles = []
    if status == "ok":
        for p, v in sorted(((float(p), v) for p, v in (blob.get("percentiles") or {}).items()), key=lambda x: x[0]):
            percentiles.append((f"p{p:g}", money_text(v, currency)))
    reasons = list(blob.get("reasons") or []) + ([blob["reason"]] if blob.get("reason") else [])
    return {"ok": status == "ok", "rows": rows, "percentiles": percentiles, "reasons": reasons}


def _rounded(value, currency: str):
    try:
        return None if value is None or not np.isfinite(float(value)) else money_round(value, currency)
    except (TypeError, ValueError):
        return None


def segment_report(*, run: ReserveRun, result: RunSegmentResult, events, seg_review) -> SegmentReport:
    c = result.currency
    factors, provenance = result.factors or {}, result.provenance or {}
    selection = (run.selections or {}).get(f"{result.segment}|{c}")
    if selection is None:
        selection = {k: v for k, v in (result.selections or {}).items() if k not in ("notes", "method")}
    chosen = {str(a) for a in (selection.get("ldfs") or {})}
    cdf = factors.get("cdf") or {}
    ages = sorted({int(a) for a in (factors.get("ldf") or {})} | {int(a) for a in cdf})
    factor_rows = [{"age": a, "ldf": (factors.get("ldf") or {}).get(str(a)), "cdf": cdf.get(str(a)),
                    "chosen": str(a) in chosen} for a in ages]
    origins = list(result.origins.all())
    methods = [m for m in DEFAULT_METHODS if any(m in (o.ultimates or {}) for o in origins)]
    overrides = selection.get("overrides") or {}
    typed = {str(o) for o in (selection.get("ultimates") or {})}
    sources = provenance.get("apriori_source") or {}
    origin_rows, methods_rows = [], []
    totals = {"paid": 0, "case": 0, "incurred": 0, "ultimate": 0, "ibnr": 0}
    for o in origins:
        incurred = o.paid + o.case
        origin_rows.append({
            "origin": o.origin, "paid": o.paid, "case": o.case, "incurred": incurred, "maturity": o.maturity,
            "apriori": o.apriori, "ultimates": [(m, (o.ultimates or {}).get(m), m == o.method) for m in methods],
            "method": o.method, "ultimate": o.ultimate, "ibnr": o.ibnr, "mack_se": o.mack_se,
            "cv": None if o.mack_se is None or not o.ibnr else float(o.mack_se) / float(o.ibnr),
            "flags": list(o.flags or [])})
        for key, value in (("paid", o.paid), ("case", o.case), ("incurred", incurred), ("ultimate", o.ultimate),
                           ("ibnr", o.ibnr)):
            totals[key] += value
        source = sources.get(o.origin) if isinstance(sources, dict) else sources
        methods_rows.append({"origin": o.origin, "method": o.method,
                             "by": _("typed by the actuary") if o.origin in typed else
                                   _("override") if o.origin in overrides else (
                                 _("segment method") if (selection.get("method") or "default") != "default"
                                 else _("rule")),
                             "apriori": o.apriori, "apriori_source": source or ""})
    key_prefix = f"{result.segment} {c}:"
    history = [{"at": when_text(e.at), "actor": str(e.actor or "system"),
                "note": e.note.removeprefix(key_prefix).strip()}
               for e in events if e.verb == "select" and e.note.startswith(key_prefix)]
    triangles, messages = _triangle_blocks(run, result)
    link_ages, link_rows = _frame_rows(factors.get("link_ratios"))
    return SegmentReport(
        segment=result.segment, currency=c, grain=provenance.get("grain") or "—",
        basis=factors.get("basis") or provenance.get("basis") or "—", ibnr_method=result.ibnr_method,
        amounts=[(label, getattr(result, name)) for label, name in (
            ("UPR", "upr"), ("RBNS", "rbns"), ("IBNR", "ibnr"), ("ULAE", "ulae"),
            (_("premium deficiency"), "premium_deficiency"), (_("earned premium"), "earned_premium"))],
        triangles=triangles,
        link_ratios={"ages": link_ages, "rows": link_rows} if link_ages else None,
        factors=factor_rows, tail=factors.get("tail"), methods=methods, origins=origin_rows, totals=totals,
        selection=_selection_items(selection, c), note=str(selection.get("note") or ""),
        engine_notes=[str(n) for n in (result.selections or {}).get("notes") or []],
        selection_history=history, methods_by_origin=methods_rows,
        mack_total=_rounded(factors.get("total_mack_se"), c),
        bootstrap=_bootstrap(result.bootstrap, c), review=seg_review,
        review_html=segment_review_html(seg_review) if seg_review is not None else "", messages=messages)


def sign_off(run: ReserveRun, events) -> dict:
    decided = [e for e in events if e.verb in ("approve", "reject")]
    return {"status": run.status_label, "preparer": str(run.preparer or "—"),
            "submitted_at": when_text(run.submitted_at),
            "approver": str(run.approver or "—"), "decided_at": when_text(run.decided_at),
            "computed_at": when_text(run.computed_at), "fingerprint": run.input_fingerprint or "—",
            "engine": run.engine_version or "—",
            "events": [{"at": when_text(e.at), "actor": str(e.actor or "system"), "verb": e.verb,
                        "from": e.from_status, "to": e.to_status, "note": e.note} for e in events],
            "decision_note": decided[-1].note if decided else ""}


def run_report(*, run: ReserveRun) -> dict:
    """The report's content: the run's facts, its sign-off and a SegmentReport per segment."""
    results = list(run.segment_results.prefetch_related("origins").order_by("segment", "currency"))
    events = list(run.events.select_related("actor").order_by("at", "id"))
    priors = review_module.prior_results(run=run) if results else {}
    segments = [segment_report(run=run, result=r, events=events,
                               seg_review=review_module.segment_review(run=run, result=r, priors=priors))
                for r in results]
    return {"run": run, "segments": segments, "sign_off": sign_off(run, events)}


# ------------------------------------------------------------------ the XLSX
def report_filename(run: ReserveRun) -> str:
    return f"reserving-report-run-{run.pk}-{run.regime_code}-{run.valuation_date.isoformat()}.xlsx"


def _money_format(currency: str) -> str:
    digits = MINOR_UNITS.get(currency, 2)
    return "#,##0" if digits == 0 else "#,##0." + "0" * digits


def report_xlsx(*, run: ReserveRun, report: dict | None = None) -> bytes:
    """The report as a workbook, one sheet per section (SHEETS), each segment a block of rows
    headed by its segment and currency. Amounts are numbers formatted to the currency's minor
    unit; every text is a string cell (neutralised on save)."""
    from openpyxl.styles import Font

    report = report or run_report(run=run)
    bold = Font(bold=True)
    wb = workbook_new(as_of=run.valuation_date)
    wb.properties.title = f"Reserving report, run {run.pk}"
    sheets = {}
    for i, name in enumerate(SHEETS):
        ws = wb.active if i == 0 else wb.create_sheet()
        ws.title = name
        sheets[name] = ws

    def put(ws, row, values, *, currency=None, money_cols=(), factor_cols=(), percent_cols=(), font=None):
        for col, value in enumerate(values, start=1):
            if value is not None and not isinstance(value, (int, float, str)):
                value = float(value) if hasattr(value, "as_tuple") else str(value)
            cell = ws.cell(row=row, column=col, value=value)
            if font is not None:
                cell.font = font
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                if col in money_cols and currency:
                    cell.number_format = _money_format(currency)
                elif col in factor_cols:
                    cell.number_format = "0.0000"
                elif col in percent_cols:
                    cell.number_format = "0.0%"
        return row + 1

    def heading(ws, row, seg):
        return put(ws, row, [f"{seg.segment} {seg.currency}"], font=bold)

    so = report["sign_off"]
    ws = sheets["Run"]
    r = put(ws, 1, [_("Reserving report")], font=bold)
    for label, value in ((_("run"), run.pk), (_("regime"), f"{run.regime_code} v{run.regime_version}"),
                         (_("valuation date"), run.valuation_date.isoformat()), (_("cut-off"), when_text(run.cut_off)),
                         (_("status"), so["status"]), (_("input fingerprint"), so["fingerprint"]),
                         (_("engine"), so["engine"])):
        r = put(ws, r, [label, value])
    r += 1
    r = put(ws, r, [_("segment"), _("currency"), _("grain"), _("basis"), _("IBNR method")]
            + [label for label, _v in (report["segments"][0].amounts if report["segments"] else [])], font=bold)
    for seg in report["segments"]:
        r = put(ws, r, [seg.segment, seg.currency, seg.grain, seg.basis, seg.ibnr_method]
                + [v for _l, v in seg.amounts], currency=seg.currency, money_cols=range(6, 12))

    ws, r = sheets["Data"], 1
    for seg in report["segments"]:
        r = heading(ws, r, seg)
        for block in seg.triangles:
            r = put(ws, r, [block["title"], _("age (months)")] + block["ages"], font=bold)
            for origin, vals in block["raw"]:
                r = put(ws, r, [origin, ""] + vals, currency=seg.currency,
                        money_cols=range(3, 3 + len(block["ages"])))
        r += 1

    ws, r = sheets["Exhibits"], 1
    for seg in report["segments"]:
        r = heading(ws, r, seg)
        if seg.link_ratios:
            r = put(ws, r, [_("link ratios ({basis})").format(basis=seg.basis), _("age (months)")]
                    + seg.link_ratios["ages"], font=bold)
            for origin, vals in seg.link_ratios["rows"]:
                r = put(ws, r, [origin, ""] + vals, factor_cols=range(3, 3 + len(vals)))
        r = put(ws, r, [_("age (months)"), _("selected LDF"), _("CDF to ultimate"), _("selected by the actuary")],
                font=bold)
        for f in seg.factors:
            r = put(ws, r, [f["age"], f["ldf"], f["cdf"], _("yes") if f["chosen"] else ""], factor_cols=(2, 3))
        r = put(ws, r, [_("tail"), seg.tail], factor_cols=(2,))
        r += 1

    ws, r = sheets["Ultimates"], 1
    for seg in report["segments"]:
        r = heading(ws, r, seg)
        head = ([_("origin"), _("paid"), _("case"), _("incurred"), _("maturity"), _("a-priori")]
                + [_("ultimate {method}").format(method=m) for m in seg.methods]
                + [_("selected method"), _("selected ultimate"), "IBNR", _("Mack s.e."), _("flags")])
        r = put(ws, r, head, font=bold)
        n = len(seg.methods)
        money = [2, 3, 4] + list(range(7, 7 + n)) + [8 + n, 9 + n, 10 + n]
        for o in seg.origins:
            r = put(ws, r, [o["origin"], o["paid"], o["case"], o["incurred"], o["maturity"], o["apriori"]]
                    + [None if v is None else float(v) for _m, v, _s in o["ultimates"]]
                    + [o["method"], o["ultimate"], o["ibnr"], o["mack_se"], ", ".join(o["flags"])],
                    currency=seg.currency, money_cols=money, percent_cols=(5, 6))
        t = seg.totals
        r = put(ws, r, [_("total"), t["paid"], t["case"], t["incurred"], None, None] + [None] * n
                + ["", t["ultimate"], t["ibnr"], seg.mack_total], currency=seg.currency, money_cols=money, font=bold)
        r += 1

    ws, r = sheets["Selections"], 1
    for seg in report["segments"]:
        r = heading(ws, r, seg)
        r = put(ws, r, [_("note"), seg.note])
        for key, value in seg.selection:
            r = put(ws, r, [key, value])
        for note in seg.engine_notes:
            r = put(ws, r, [_("engine note"), note])
        for h in seg.selection_history:
            r = put(ws, r, [_("saved"), h["at"], h["actor"], h["note"]])
        r = put(ws, r, [_("origin"), _("method"), _("chosen by"), _("a-priori"), _("a-priori source")], font=bold)
        for m in seg.methods_by_origin:
            r = put(ws, r, [m["origin"], m["method"], m["by"], m["apriori"], m["apriori_source"]], percent_cols=(4,))
        r += 1

    ws, r = sheets["Uncertainty"], 1
    for seg in report["segments"]:
        r = heading(ws, r, seg)
        r = put(ws, r, [_("origin"), "IBNR", _("Mack s.e."), _("CV")], font=bold)
        for o in seg.origins:
            r = put(ws, r, [o["origin"], o["ibnr"], o["mack_se"], o["cv"]], currency=seg.currency,
                    money_cols=(2, 3), percent_cols=(4,))
        r = put(ws, r, [_("total"), seg.totals["ibnr"], seg.mack_total], currency=seg.currency, money_cols=(2, 3),
                font=bold)
        for label, value in seg.bootstrap["rows"]:
            r = put(ws, r, [_("bootstrap"), label, value])
        for label, value in seg.bootstrap["percentiles"]:
            r = put(ws, r, [_("bootstrap"), label, value])
        for reason in seg.bootstrap["reasons"]:
            r = put(ws, r, [_("bootstrap"), _("reason"), reason])
        r += 1

    ws, r = sheets["Changes"], 1
    for seg in report["segments"]:
        rv = seg.review
        r = heading(ws, r, seg)
        if rv is None or not rv.has_prior:
            r = put(ws, r, [_("no prior approved run"), rv.message if rv else ""])
        else:
            r = put(ws, r, [_("prior run"), rv.prior_run.pk, rv.prior_run.valuation_date.isoformat(),
                            when_text(rv.prior_run.decided_at)])
            for w in rv.warnings:
                r = put(ws, r, [_("warning"), w])
        r = put(ws, r, [_("amount"), _("prior"), _("current"), _("difference"), "%"], font=bold)
        for a in rv.amounts if rv else []:
            r = put(ws, r, [a.label, a.prior, a.current, a.difference, a.percent], currency=seg.currency,
                    money_cols=(2, 3, 4), percent_cols=(5,))
        if rv is not None and rv.has_prior:
            r = put(ws, r, [_("item"), _("prior"), _("current"), _("changed")], font=bold)
            for label, ch in ((_("method"), rv.method), (_("basis"), rv.basis), (_("grain"), rv.grain),
                              (_("tail"), rv.tail), (_("a-priori loss ratio (selected)"), rv.apriori),
                              (_("pattern from"), rv.pattern_from), (_("note"), rv.note)):
                r = put(ws, r, [label, ch.prior, ch.current, _("yes") if ch.changed else ""], factor_cols=(2, 3))
            r = put(ws, r, [_("age (months)"), _("prior factor"), _("current factor"), _("changed")], font=bold)
            for f in rv.factors:
                r = put(ws, r, [int(f.key), f.prior, f.current, _("yes") if f.changed else ""], factor_cols=(2, 3))
            r = put(ws, r, [_("origin"), _("prior method"), _("current method"), _("prior a-priori"),
                            _("current a-priori"), _("prior IBNR"), _("current IBNR"), _("prior typed ultimate"),
                            _("current typed ultimate")], font=bold)
            for o in rv.origins:
                r = put(ws, r, [o.origin, o.method.prior, o.method.current, o.apriori.prior, o.apriori.current,
                                o.ibnr.prior, o.ibnr.current, o.typed.prior, o.typed.current], currency=seg.currency,
                        money_cols=(6, 7, 8, 9), percent_cols=(4, 5))
        r += 1

    ws, r = sheets["Sign-off"], 1
    for label, key in ((_("status"), "status"), (_("preparer"), "preparer"), (_("submitted at"), "submitted_at"),
                       (_("approver"), "approver"), (_("decided at"), "decided_at"),
                       (_("decision note"), "decision_note")):
        r = put(ws, r, [label, so[key]])
    r += 1
    r = put(ws, r, [_("at"), _("actor"), _("verb"), _("from"), _("to"), _("note")], font=bold)
    for e in so["events"]:
        r = put(ws, r, [e["at"], e["actor"], e["verb"], e["from"], e["to"], e["note"]])
    for ws in wb.worksheets:
        ws.column_dimensions["A"].width = 24
    return workbook_bytes(wb)


# The same rules as reporting.exports.xlsx (which the layering keeps out of reserving's reach):
# fixed document properties and zip entry times, text cells neutralised (core/csvsafe.py).
