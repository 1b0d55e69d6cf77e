"""The diagnostics of the run segment workbench (issue 13 §3) and the data of its charts (§4):
selectors over what a run stored — its segment inputs (RunSegmentInput: the cells, claim counts
and closures), its results (RunSegmentResult, RunOriginResult) and the prior approved run's —
shaped for the page (text already formatted) and for plotly (JSON figures the page fetches).
Reads only; the maths is the engine's (`reserving.engine.diagnostics`), the rules and their
thresholds are documented there.

Everything is computed at the grain the result was reserved on (provenance "grain"), from the
stored quarterly inputs; a run computed before inputs were stored falls back to its stored
triangles, which carry no closures (no closure rate, no average case reserve per open claim).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

import numpy as np
import pandas as pd
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.labels import basis_name, method_name, segment_name
from core.money_format import amount_text, number_text
from core.periods import Quarter
from reserving import selectors
from reserving.compute import _to_triangle, inputs_from_canonical
from reserving.engine import EngineError, Triangle
from reserving.engine import diagnostics as D
from reserving.engine.berquist import berquist_sherman
from reserving.engine.default import METHODS as DEFAULT_METHODS
from reserving.engine.development import Pattern, link_ratio_averages
from reserving.engine.reserve import earned_by_origin
from reserving.engine.tails import CURVES, TailCurve
from reserving.engine.triangle import origin_key
from reserving.models import ReserveRun, RunSegmentInput, RunSegmentResult

CHARTS = ("development", "loss_ratios", "bootstrap", "emergence")


# ------------------------------------------------------------------ formatting for reading
def _money(value, currency: str) -> str:
    """An amount to read, in the active locale (core.money_format: IRR whole rials, RUB kopecks;
    Persian digits on Persian pages); "—" for none or NaN."""
    if value is None or not np.isfinite(float(value)):
        return "—"
    return amount_text(float(value), currency)


def _ratio(value, digits: int = 2) -> str:
    return "—" if value is None or not np.isfinite(value) else f"{value:,.{digits}f}"


def _pct(value, digits: int = 0) -> str:
    return "—" if value is None or not np.isfinite(value) else f"{value:.{digits}%}"


def _signed_pct(value) -> str:
    return "—" if value is None or not np.isfinite(value) else f"{value:+.0%}"


def _points(value) -> str:
    return "—" if value is None or not np.isfinite(value) else f"{value:+.2f}"


def _num(value, digits: int = 2):
    """A float for JSON (None for NaN)."""
    return None if value is None or not np.isfinite(float(value)) else round(float(value), digits)


# ------------------------------------------------------------------ the stored triangles
@dataclass(frozen=True)
class SegmentTriangles:
    grain: str
    basis: str
    paid: Triangle
    incurred: Triangle
    case: Triangle
    reported: Triangle | None
    closed: Triangle | None
    from_inputs: bool


def _decode(blob) -> pd.DataFrame:
    if not blob or not blob.get("values"):
        return pd.DataFrame()
    return pd.DataFrame([[np.nan if v is None else v for v in row] for row in blob["values"]],
                        index=blob["origins"], columns=[int(a) for a in blob["ages"]], dtype=float)


def _quarterly_frames(run: ReserveRun, result: RunSegmentResult) -> tuple[dict, bool]:
    stored = RunSegmentInput.objects.filter(run=run, segment=result.segment, currency=result.currency).first()
    if stored is not None:
        inputs = inputs_from_canonical(stored.inputs)
        closures = inputs.closures if "closures" in stored.inputs else None
        return selectors.triangles_from_cells(inputs.cells, inputs.counts, run.valuation_date, closures=closures), True
    tri = result.triangles or {}
    return {"paid": _decode(tri.get("paid")), "incurred": _decode(tri.get("incurred")),
            "case": _decode(tri.get("case")), "count": _decode(tri.get("count"))}, False


def segment_triangles(*, run: ReserveRun, result: RunSegmentResult, grain: str | None = None) -> SegmentTriangles | None:
    """The segment's paid, incurred, case, reported and closed triangles at `grain` (default: the
    grain the result was reserved on); None when nothing was reported."""
    frames, from_inputs = _quarterly_frames(run, result)
    if frames.get("paid") is None or frames["paid"].empty:
        return None
    provenance, factors = result.provenance or {}, result.factors or {}
    grain = grain or provenance.get("grain") or "OQDQ"
    basis = factors.get("basis") or provenance.get("basis") or "incurred"

    def at_grain(name, measure):
        frame = frames.get(name)
        if frame is None or frame.empty:
            return None
        tri = _to_triangle(frame, measure)
        return tri if grain == "OQDQ" else tri.grain(grain)

    paid, incurred = at_grain("paid", "paid"), at_grain("incurred", "incurred")
    case = Triangle.from_array(incurred.values - paid.values, origins=list(paid.origins), ages=list(paid.ages),
                               measure="outstanding", allow_negative=True, allow_decrease=True,
                               origin_months=paid.origin_months)
    return SegmentTriangles(grain=grain, basis=basis, paid=paid, incurred=incurred, case=case,
                            reported=at_grain("count", "reported_count"), closed=at_grain("closed", "closed_count"),
                            from_inputs=from_inputs)


def _basis(t: SegmentTriangles) -> Triangle:
    return t.paid if t.basis == "paid" else t.incurred


# ------------------------------------------------------------------ diagnostics for the page
SHIFT_TEXT = {
    "case": (gettext_lazy("case adequacy"), gettext_lazy("average case reserve per open claim"),
             {"up": gettext_lazy("case reserves look strengthened"), "down": gettext_lazy("case reserves look weakened")}),
    "closure": (gettext_lazy("settlement speed"), gettext_lazy("closure rate"),
                {"up": gettext_lazy("claims are closing faster"), "down": gettext_lazy("claims are closing slower")}),
    "paid_to_incurred": (gettext_lazy("paid-to-incurred"), gettext_lazy("paid-to-incurred ratio"),
                         {"up": gettext_lazy("more of incurred is paid: case reserves weaker or payments faster"),
                          "down": gettext_lazy("less of incurred is paid: case reserves stronger or payments slower")}),
}
# the bootstrap's verdicts (engine D-31) as the page says them
BOOTSTRAP_STATUS = {"not meaningful": gettext_lazy("not meaningful"), "failed": gettext_lazy("failed"),
                    "": gettext_lazy("not stored")}


def _status_text(status) -> str:
    return str(BOOTSTRAP_STATUS.get(status or "", status))


def _triangle_rows(frame: pd.DataFrame, lengths, shift: D.DiagonalShift | None, fmt) -> list:
    flagged = set() if shift is None else {int(a) for a, f in shift.table["flagged"].items() if f}
    ages = [int(a) for a in frame.columns]
    rows = []
    for i, (origin, values) in enumerate(zip(frame.index, frame.to_numpy())):  # arrays: iterrows costs ~1 ms a row
        n = int(lengths[i])
        cells = [{"text": "" if j >= n else fmt(v), "latest": j == n - 1, "flagged": j == n - 1 and ages[j] in flagged}
                 for j, v in enumerate(values)]
        rows.append((origin_key(origin), cells))
    return rows


def _shift_rows(shift: D.DiagonalShift, fmt, deviation_fmt) -> list:
    out = []
    for age, r in shift.table.iterrows():
        if r["origin"] is None:
            continue
        out.append({"age": int(age), "origin": origin_key(r["origin"]), "latest": fmt(r["latest"]),
                    "expected": fmt(r["expected"]), "deviation": deviation_fmt(r["deviation"]),
                    "points": int(r["points"]), "flagged": bool(r["flagged"])})
    return out


def _flagged_ages(shift: D.DiagonalShift) -> list[int]:
    return [int(a) for a, f in shift.table["flagged"].items() if f]


def _shift_warning(key: str, shift: D.DiagonalShift) -> str | None:
    if not shift.shifted:
        return None
    what, measure, meaning = SHIFT_TEXT[key]
    ages = [int(a) for a, r in shift.table.iterrows() if r["flagged"] and (r["deviation"] > 0) == (shift.direction == "up")]
    bound = f"{shift.threshold:.0%}" if shift.relative else f"{shift.threshold:.2f}"
    words = {"what": what, "measure": measure, "bound": bound, "count": len(ages), "tested": shift.tested,
             "ages": ", ".join(map(str, ages)), "meaning": meaning[shift.direction]}
    if shift.direction == "up":
        return _("%(what)s: the %(measure)s on the latest diagonal is above the trend of the earlier diagonals by more "
                 "than %(bound)s at %(count)s of %(tested)s ages tested (ages %(ages)s): %(meaning)s — "
                 "Berquist–Sherman territory") % words
    return _("%(what)s: the %(measure)s on the latest diagonal is below the trend of the earlier diagonals by more "
             "than %(bound)s at %(count)s of %(tested)s ages tested (ages %(ages)s): %(meaning)s — "
             "Berquist–Sherman territory") % words


def _measures(t: SegmentTriangles, currency: str) -> tuple[list, list]:
    """The three diagnostic triangles with their shift tests, and the warnings."""
    lengths = t.paid.lengths
    out, warnings = [], []
    p2i = D.paid_to_incurred(t.paid, t.incurred)
    shift = D.diagonal_shift(p2i, lengths, relative=False, threshold=D.PAID_TO_INCURRED_SHIFT)
    out.append({"key": "paid_to_incurred", "title": _("Paid-to-incurred ratio"), "ages": [int(a) for a in t.paid.ages],
                "rows": _triangle_rows(p2i, lengths, shift, lambda v: _ratio(v, 2)),
                "shift": _shift_rows(shift, lambda v: _ratio(v, 2), _points), "flagged": _flagged_ages(shift),
                "rule": _("latest diagonal against the linear trend of the %(window)s diagonals before it (at least "
                          "%(points)s cells), flagged beyond ±%(bound)s") % {
                    "window": D.SHIFT_WINDOW, "points": D.SHIFT_MIN_POINTS, "bound": f"{D.PAID_TO_INCURRED_SHIFT:.2f}"}})
    warnings.append(_shift_warning("paid_to_incurred", shift))
    if t.reported is not None and t.closed is not None:
        opened = D.open_counts(t.reported, t.closed)
        average = D.average_case_reserve(t.case, opened)
        shift = D.diagonal_shift(average, lengths, relative=True, threshold=D.CASE_ADEQUACY_SHIFT,
                                 usable=opened >= D.MIN_CLAIMS)
        out.append({"key": "case", "title": _("Average case reserve per open claim (%(currency)s)") % {"currency": currency},
                    "ages": [int(a) for a in t.paid.ages],
                    "rows": _triangle_rows(average, lengths, shift, lambda v: _money(v, currency)),
                    "shift": _shift_rows(shift, lambda v: _money(v, currency), _signed_pct),
                    "flagged": _flagged_ages(shift),
                    "rule": _("cells with at least %(claims)s open claims; flagged beyond ±%(bound)s of the trend of "
                              "the %(window)s diagonals before") % {
                        "claims": D.MIN_CLAIMS, "bound": f"{D.CASE_ADEQUACY_SHIFT:.0%}", "window": D.SHIFT_WINDOW}})
        warnings.append(_shift_warning("case", shift))
        rate = D.closure_rate(t.closed, t.reported)
        shift = D.diagonal_shift(rate, lengths, relative=False, threshold=D.SETTLEMENT_SPEED_SHIFT,
                                 usable=t.reported.values >= D.MIN_CLAIMS)
        out.append({"key": "closure", "title": _("Closure rate (closed ÷ reported claims)"),
                    "ages": [int(a) for a in t.paid.ages],
                    "rows": _triangle_rows(rate, lengths, shift, _pct),
                    "shift": _shift_rows(shift, _pct, _points), "flagged": _flagged_ages(shift),
                    "rule": _("cells with at least %(claims)s reported claims; flagged beyond ±%(bound)s "
                              "(closure-rate points) of the trend") % {
                        "claims": D.MIN_CLAIMS, "bound": f"{D.SETTLEMENT_SPEED_SHIFT:.2f}"}})
        warnings.append(_shift_warning("closure", shift))
    return out, [w for w in warnings if w]


def _restated(t: SegmentTriangles, result: RunSegmentResult) -> Triangle | None:
    """The Berquist–Sherman restated incurred triangle the run developed, rebuilt with its stored
    trend; None when the run did not restate (or closures are not stored)."""
    case = (result.provenance or {}).get("case_adjustment")
    if not case or t.basis != "incurred" or t.reported is None or t.closed is None:
        return None
    adjusted = berquist_sherman(paid=t.paid, case=t.case, open_counts=D.open_counts(t.reported, t.closed),
                                trend=case.get("trend"))
    return adjusted.incurred


def _flags(t: SegmentTriangles | None, result: RunSegmentResult, origins, currency: str) -> list[dict]:
    flags = []
    factors, provenance = result.factors or {}, result.provenance or {}
    ldf = {int(a): float(f) for a, f in (factors.get("ldf") or {}).items() if f is not None}
    for age, f in D.ldfs_below_one(ldf):
        flags.append({"code": "ldf_below_one", "text": _(
            "the selected LDF at age %(age)s is %(factor)s, below 1: the %(basis)s is projected to fall") % {
            "age": age, "factor": f"{f:.4f}", "basis": basis_name(factors.get("basis", "incurred"))}})
    for o in origins:
        if o.ibnr < 0:
            flags.append({"code": "negative_ibnr", "text": _(
                "origin %(origin)s: IBNR %(ibnr)s (case reserves above the projected ultimate)") % {
                "origin": o.origin, "ibnr": _money(o.ibnr, currency)}})
    if t is not None and ldf:
        thin = {int(a) for a in factors.get("thin_ages") or []}
        minimum = max(D.FEW_LINK_RATIOS, int(provenance.get("min_link_ratios") or 0))
        for age, n in D.few_ratio_ages(D.link_ratio_counts(_basis(t)), minimum):
            words = {"age": age, "n": n, "minimum": minimum}
            text = (_("age %(age)s rests on %(n)s link ratio (fewer than %(minimum)s)") if n == 1 else
                    _("age %(age)s rests on %(n)s link ratios (fewer than %(minimum)s)")) % words
            flags.append({"code": "few_ratios",
                          "text": text + (_("; the run set its factor to 1.0") if age in thin else "")})
        try:
            restated = _restated(t, result)
            averages = link_ratio_averages(restated if restated is not None else _basis(t))
        except EngineError:
            averages = None
        if averages is not None:
            far = D.far_from_averages(ldf, averages, skip=thin)
            for age, r in far.iterrows():
                words = {"age": age, "selected": f"{r['selected']:.4f}", "distance": f"{r['distance']:.4f}",
                         "nearest": r["nearest"], "value": f"{r['nearest_value']:.4f}",
                         "relative": f"{D.FAR_RELATIVE:.0%}", "absolute": f"{D.FAR_ABSOLUTE:g}"}
                text = (_("age %(age)s: the selected LDF %(selected)s is %(distance)s from the nearest average "
                          "(%(nearest)s %(value)s), beyond max(%(relative)s of |average − 1|, %(absolute)s) from every "
                          "average") if restated is None else
                        _("age %(age)s: the selected LDF %(selected)s is %(distance)s from the nearest average "
                          "(%(nearest)s %(value)s), beyond max(%(relative)s of |average − 1|, %(absolute)s) from every "
                          "average of the restated triangle")) % words
                flags.append({"code": "far_from_averages", "text": text})
    boot = result.bootstrap or {}
    status = boot.get("status")
    if status in ("not meaningful", "failed"):
        reasons = list(boot.get("reasons") or []) + ([boot["reason"]] if boot.get("reason") else [])
        flags.append({"code": "bootstrap", "text": _(
            "the bootstrap is %(status)s%(reasons)s — no percentile of the booked amount is read off it") % {
            "status": _status_text(status), "reasons": f": {'; '.join(reasons)}" if reasons else ""}})
    return flags


def prior_run(*, run: ReserveRun, segment: str, currency: str) -> ReserveRun | None:
    """The official (approved, not superseded) run of the same regime with an earlier valuation
    date that has a result for this segment and currency: the latest of them."""
    return (ReserveRun.objects.filter(regime_code=run.regime_code, status=ReserveRun.Status.APPROVED,
                                      superseded_by__isnull=True, valuation_date__lt=run.valuation_date,
                                      segment_results__segment=segment, segment_results__currency=currency)
            .exclude(pk=run.pk).order_by("-valuation_date", "-decided_at", "-id").first())


def _age_months(origin: str, valuation_date: date) -> int:
    """Months from an origin's start (quarter "2024Q3" or year "2024") to the valuation's quarter end."""
    start = Quarter.parse(origin) if "Q" in origin else Quarter(int(origin), 1)
    return 3 * (Quarter.of(valuation_date) - start + 1)


def emergence(*, run: ReserveRun, result: RunSegmentResult) -> dict:
    """Actual vs expected emergence since the prior approved run, by origin of the prior run
    (engine.diagnostics.expected_emergence): {"message"} alone when it cannot be made."""
    segment, currency = result.segment, result.currency
    prior = prior_run(run=run, segment=segment, currency=currency)
    if prior is None:
        return {"message": _("No prior approved run of regime %(regime)s for %(segment)s %(currency)s before "
                             "%(date)s: no actual-vs-expected emergence.") % {
            "regime": run.regime_code, "segment": segment_name(segment), "currency": currency,
            "date": run.valuation_date}}
    before = prior.segment_results.prefetch_related("origins").get(segment=segment, currency=currency)
    head = {"prior_run": prior.pk, "prior_valuation_date": prior.valuation_date.isoformat()}
    cdf = {int(a): float(c) for a, c in ((before.factors or {}).get("cdf") or {}).items()}
    if not cdf:
        return {**head, "message": _("The prior run %(run)s (%(date)s) reserved this segment without a development "
                                     "pattern (%(method)s): no expected emergence.") % {
            "run": prior.pk, "date": prior.valuation_date, "method": method_name(before.ibnr_method)}}
    grain = (before.provenance or {}).get("grain") or "OQDQ"
    basis = (before.factors or {}).get("basis") or "incurred"
    try:
        now = segment_triangles(run=run, result=result, grain=grain)
    except EngineError as exc:
        return {**head, "message": _("The triangles cannot be cut at the prior run's grain %(grain)s: %(why)s") % {
            "grain": grain, "why": exc.message}}
    if now is None:
        return {**head, "message": _("Nothing is reported in this run.")}
    latest = (now.paid if basis == "paid" else now.incurred).latest_diagonal
    reported_now = {origin_key(o): float(v) for o, v in latest.items()}
    origins = list(before.origins.all())
    prior_frame = pd.DataFrame(
        {"age": [_age_months(o.origin, prior.valuation_date) for o in origins],
         "reported": [float(o.paid if basis == "paid" else o.paid + o.case) for o in origins],
         "ultimate": [float(o.ultimate) for o in origins]}, index=pd.Index([o.origin for o in origins], name="origin"))
    months = 3 * (Quarter.of(run.valuation_date) - Quarter.of(prior.valuation_date))
    table = D.expected_emergence(prior_frame, reported_now, months=months, cdf=cdf)
    rows = [{"origin": o, "age_then": int(r["age_then"]), "age_now": int(r["age_now"]),
             "ultimate_then": _money(r["ultimate_then"], currency), "developed_then": _pct(r["developed_then"], 1),
             "developed_now": _pct(r["developed_now"], 1), "expected": _money(r["expected"], currency),
             "actual": _money(r["actual"], currency), "difference": _money(r["difference"], currency),
             "actual_to_expected": _ratio(r["actual_to_expected"], 2)} for o, r in table.iterrows()]
    expected, actual = float(table["expected"].sum()), float(table["actual"].sum())
    return {**head, "grain": grain, "basis": basis, "months": months, "rows": rows, "table": table,
            "total": {"expected": _money(expected, currency), "actual": _money(actual, currency),
                      "difference": _money(actual - expected, currency),
                      "actual_to_expected": _ratio(actual / expected if expected else np.nan, 2)},
            "message": ""}


def segment_diagnostics(*, run: ReserveRun, result: RunSegmentResult | None) -> dict | None:
    """What the page's diagnostics section shows: the three triangles with their shift tests,
    the warnings, the flags and actual vs expected emergence."""
    if result is None:
        return None
    currency = result.currency
    origins = list(result.origins.all())
    notes = []
    try:
        t = segment_triangles(run=run, result=result)
    except EngineError as exc:
        t, notes = None, [_("the diagnostic triangles cannot be built: %(why)s") % {"why": exc.message}]
    measures, warnings = ([], []) if t is None else _measures(t, currency)
    if t is not None and (t.reported is None or t.closed is None):
        notes.append(_("this run stored no closed-claim counts: no average case reserve per open claim and no "
                       "closure rate"))
    ave = emergence(run=run, result=result)
    ave.pop("table", None)
    return {"grain": None if t is None else t.grain, "measures": measures, "warnings": warnings,
            "flags": _flags(t, result, origins, currency), "emergence": ave, "notes": notes}


# ------------------------------------------------------------------ charts (plotly JSON)
LAYOUT = {"template": "plotly_white", "height": 420, "margin": {"l": 70, "r": 20, "t": 50, "b": 50},
          "legend": {"orientation": "h", "y": -0.2}}


# plotly's `separators`: the decimal mark, then the thousands separator, of the active language (the
# tick labels of the axes and the hover texts). Plotly draws Latin digits whatever the separators:
# a Persian page's ticks read "1٬234٫5", its tables Persian digits.
SEPARATORS = {"en": ".,", "ru": ",\u00a0", "fa": "\u066b\u066c"}


def separators() -> str:
    return SEPARATORS.get((get_language() or "en").split("-")[0], SEPARATORS["en"])


def _figure(chart: str, data: list, layout: dict, message: str = "") -> dict:
    return {"chart": chart, "data": data, "layout": {**LAYOUT, "separators": separators(), **layout},
            "message": message}


def _empty(chart: str, message: str) -> dict:
    return {"chart": chart, "data": [], "layout": {}, "message": message}


def development_chart(*, run: ReserveRun, result: RunSegmentResult) -> dict:
    """Development curves by origin: the basis triangle's cumulative values by age, one line an origin."""
    t = segment_triangles(run=run, result=result)
    if t is None:
        return _empty("development", _("nothing reported: no development to draw"))
    tri = _basis(t)
    data = []
    for i, origin in enumerate(tri.origins):
        n = int(tri.lengths[i])
        data.append({"type": "scatter", "mode": "lines+markers", "name": origin_key(origin),
                     "x": [int(a) for a in tri.ages[:n]], "y": [_num(v) for v in tri.values[i, :n]],
                     "hovertemplate": "%{x} months: %{y:,.0f}<extra>" + origin_key(origin) + "</extra>"})
    return _figure("development", data, {
        "title": {"text": _("Cumulative %(basis)s by origin, %(segment)s %(currency)s (grain %(grain)s)") % {
            "basis": basis_name(t.basis), "segment": segment_name(result.segment), "currency": result.currency,
            "grain": t.grain}},
        "xaxis": {"title": {"text": _("development age (months)")}},
        "yaxis": {"title": {"text": result.currency}, "tickformat": ",.0f"}})


def loss_ratio_chart(*, run: ReserveRun, result: RunSegmentResult) -> dict:
    """Ultimate loss ratios by origin per method (ultimate ÷ earned premium), the selected one
    and the a-priori."""
    origins = list(result.origins.all())
    earned_quarters = (result.triangles or {}).get("earned_premium") or {}
    if not origins:
        return _empty("loss_ratios", _("no origin results: nothing to draw"))
    keys = [o.origin for o in origins]
    earned = earned_by_origin(earned_quarters, SimpleNamespace(origins=keys))  # it reads only the origins
    if not np.any(earned > 0):
        return _empty("loss_ratios", _("no earned premium stored for the segment: no loss ratios"))

    def ratio(value, e):
        return None if value is None or e <= 0 else round(float(value) / e, 6)

    methods = [m for m in DEFAULT_METHODS if any(m in (o.ultimates or {}) for o in origins)]
    selected = _("selected")
    # the legend names the methods; the code stays in the trace's `meta` (and the selected
    # marker's `customdata`) for whatever reads the figure
    data = [{"type": "scatter", "mode": "lines+markers", "name": method_name(m), "meta": m, "x": keys,
             "y": [ratio((o.ultimates or {}).get(m), e) for o, e in zip(origins, earned)]} for m in methods]
    data.append({"type": "scatter", "mode": "markers", "name": selected, "x": keys,
                 "y": [ratio(o.ultimate, e) for o, e in zip(origins, earned)],
                 "text": [method_name(o.method) for o in origins], "customdata": [o.method for o in origins],
                 "marker": {"size": 12, "symbol": "diamond", "color": "black"},
                 "hovertemplate": "%{x}: %{y:.1%} (%{text})<extra>" + selected + "</extra>"})
    if any(o.apriori is not None for o in origins):
        data.append({"type": "scatter", "mode": "lines", "name": _("a-priori"), "x": keys,
                     "y": [_num(o.apriori, 6) for o in origins], "line": {"dash": "dot", "color": "grey"}})
    return _figure("loss_ratios", data, {
        "title": {"text": _("Ultimate loss ratio by origin and method, %(segment)s %(currency)s") % {
            "segment": segment_name(result.segment), "currency": result.currency}},
        "xaxis": {"title": {"text": _("origin")}, "type": "category"},
        "yaxis": {"title": {"text": _("ultimate ÷ earned premium")}, "tickformat": ".0%"}})


def _stored_percentiles(blob: dict) -> dict[float, float]:
    return {float(p): float(v) for p, v in (blob.get("percentiles") or {}).items() if v is not None}


def bootstrap_draws(*, run: ReserveRun, result: RunSegmentResult) -> tuple[np.ndarray | None, str]:
    """The run's bootstrap draws of the total paid reserve, simulated again: the run stores a
    summary, not its 1,000-odd draws, and the simulation is deterministic in (the paid triangle
    at the grain used, the number of simulations, the seed), all of which the run stored. The
    leading ages without payments are dropped as `engine.reserve.bootstrap_paid` drops them. The
    draws are used only when their mean and s.d. are the stored ones to the cent; otherwise
    (None, why)."""
    blob = result.bootstrap or {}
    if blob.get("seed") is None or not blob.get("n_sims") or blob.get("mean") is None:
        return None, _("the run stored no simulated bootstrap")
    try:
        t = segment_triangles(run=run, result=result)
    except EngineError as exc:
        return None, _("the paid triangle cannot be rebuilt: %(why)s") % {"why": exc.message}
    if t is None:
        return None, _("nothing reported")
    from reserving.engine.bootstrap import BootstrapODP

    values = t.paid.values
    for k in range(0, min(12, values.shape[1] - 2)):  # as engine.reserve.bootstrap_paid
        rows = values.shape[0] - k
        if rows < 3 or values.shape[1] - k < 2:
            break
        try:
            sub = Triangle.from_array(values[:rows, k:], origins=list(t.paid.origins[:rows]),
                                      ages=list(t.paid.ages[k:]), measure="paid", allow_negative=True,
                                      allow_decrease=True, origin_months=t.paid.origin_months)
            model = BootstrapODP(n_sims=int(blob["n_sims"]), random_state=int(blob["seed"])).fit(sub)
        except EngineError:
            continue
        draws = model.total_reserve_samples_
        same = (round(float(draws.mean()), 2) == round(float(blob["mean"]), 2)
                and (blob.get("std") is None or abs(round(float(model.verdict_.std), 2) - float(blob["std"])) <= 0.01))
        if not same:
            return None, _("the stored inputs no longer give the run's simulations (mean or s.d. differ)")
        return draws, ""
    return None, _("the bootstrap cannot be simulated again on the stored triangle")


HISTOGRAM_BINS = 40
HISTOGRAM_SPAN = (0.5, 99.5)  # the bars span the middle 99% of the draws; the rest are counted beside


def bootstrap_chart(*, run: ReserveRun, result: RunSegmentResult) -> dict:
    """The bootstrap distribution of the paid reserve drawn from its simulated draws: a
    histogram (simulations per bar) with the booked RBNS + IBNR marked and, when the
    distribution is meaningful (D-31), the quantile curve and the booked amount's percentile.
    A meaningless one is still drawn (its spread is the reason it is meaningless) but carries
    no percentile. When the draws cannot be had again, the stored percentiles are drawn as bars
    between them (meaningful distributions only)."""
    blob = result.bootstrap or {}
    status = blob.get("status")
    reasons = list(blob.get("reasons") or []) + ([blob["reason"]] if blob.get("reason") else [])
    booked = float(result.rbns) + float(result.ibnr)
    draws, why = bootstrap_draws(run=run, result=result) if status in ("ok", "not meaningful") else (None, "")
    if draws is None:
        if status != "ok":
            return {**_empty("bootstrap", _("the bootstrap is %(status)s%(reasons)s; nothing to draw") % {
                "status": _status_text(status), "reasons": f": {'; '.join(reasons)}" if reasons else ""}),
                    "meaningful": False, "from_draws": False}
        return {**_percentile_bars(blob, booked, result), "from_draws": False, "draws_note": why}
    meaningful = status == "ok"
    lo, hi = np.percentile(draws, HISTOGRAM_SPAN)
    if not hi > lo:
        lo, hi = float(draws.min()) - 0.5, float(draws.max()) + 0.5
    edges = np.linspace(lo, hi, HISTOGRAM_BINS + 1)
    inside = (draws >= lo) & (draws <= hi)
    counts, _edges = np.histogram(draws[inside], bins=edges)
    below, above = int((draws < lo).sum()), int((draws > hi).sum())
    n = int(draws.size)
    where = float((draws <= booked).mean() * 100) if meaningful else None
    label = _("booked RBNS + IBNR %(amount)s") % {"amount": number_text(booked)} + (
        f" ≈ p{where:.0f}" if where is not None else "")
    top = int(counts.max()) if counts.size else 1
    reserve = _("reserve (%(currency)s)") % {"currency": result.currency}
    data = [
        {"type": "bar", "name": _("simulations per bar (%(n)s draws)") % {"n": number_text(n)},
         "x": [_num((a + b) / 2) for a, b in zip(edges[:-1], edges[1:])], "width": [_num(b - a) for a, b in
                                                                              zip(edges[:-1], edges[1:])],
         "y": [int(c) for c in counts],
         "customdata": [[_num(a), _num(b)] for a, b in zip(edges[:-1], edges[1:])],
         "hovertemplate": "%{customdata[0]:,.0f} – %{customdata[1]:,.0f}: %{y} " + _("draws") + "<extra></extra>",
         "marker": {"color": "#79aec8" if meaningful else "#bbbbbb"}, "xaxis": "x", "yaxis": "y"},
        {"type": "scatter", "mode": "lines", "name": label, "x": [_num(booked), _num(booked)], "y": [0, top],
         "line": {"color": "crimson", "dash": "dash"}, "xaxis": "x", "yaxis": "y", "legendgroup": "booked"},
    ]
    layout = {"xaxis": {"title": {"text": reserve}, "tickformat": ",.0f"},
              "yaxis": {"title": {"text": _("simulations")}}}
    title = _("Bootstrap ODP paid reserve, %(segment)s %(currency)s: %(n)s simulations") % {
        "segment": segment_name(result.segment), "currency": result.currency, "n": number_text(n)}
    if meaningful:
        qs = np.linspace(0, 100, 101)
        data += [
            {"type": "scatter", "mode": "lines", "name": _("quantile curve (of the draws)"),
             "x": [_num(v) for v in np.percentile(draws, qs)], "y": [float(q) for q in qs],
             "xaxis": "x2", "yaxis": "y2"},
            {"type": "scatter", "mode": "lines", "name": label, "x": [_num(booked), _num(booked)], "y": [0, 100],
             "line": {"color": "crimson", "dash": "dash"}, "xaxis": "x2", "yaxis": "y2", "legendgroup": "booked",
             "showlegend": False}]
        layout.update({"height": 640, "grid": {"rows": 2, "columns": 1, "pattern": "independent", "ygap": 0.25},
                       "xaxis2": {"title": {"text": reserve}, "tickformat": ",.0f"},
                       "yaxis2": {"title": {"text": _("percentile")}, "range": [0, 100]}})
    else:
        title += " — " + _("not meaningful")
    outside = []
    if below:
        outside.append(_("%(n)s draws below %(bound)s") % {"n": number_text(below), "bound": number_text(lo)})
    if above:
        outside.append(_("%(n)s above %(bound)s") % {"n": number_text(above), "bound": number_text(hi)})
    message = ("" if meaningful else _("not meaningful, no percentile is read off it: %(reasons)s") % {
        "reasons": "; ".join(reasons)}) + (("; " if not meaningful and outside else "") + (
            _("outside the bars: %(draws)s") % {"draws": ", ".join(outside)} if outside else ""))
    return {**_figure("bootstrap", data, {"title": {"text": title}, **layout}), "note": message,
            "meaningful": meaningful, "from_draws": True, "n_draws": n, "counts": [int(c) for c in counts],
            "edges": [_num(e) for e in edges], "outside": {"below": below, "above": above},
            "booked": _num(booked), "booked_percentile": _num(where, 1)}


def _percentile_bars(blob: dict, booked: float, result: RunSegmentResult) -> dict:
    """A meaningful stored distribution drawn from its stored percentiles (bars between them,
    area = probability), for a run whose draws cannot be simulated again."""
    pct = _stored_percentiles(blob)
    try:
        bars = D.histogram_from_percentiles(pct)
    except EngineError as exc:
        return {**_empty("bootstrap", _("the stored percentiles cannot be drawn: %(why)s") % {"why": exc.message}),
                "meaningful": False}
    where = D.percentile_of(pct, booked)
    top = float(bars["density"].max()) if len(bars) else 0.0
    ps = sorted(pct)
    label = _("booked RBNS + IBNR %(amount)s") % {"amount": number_text(booked)} + (
        f" ≈ p{where:.0f}" if where is not None else " " + _("(outside the stored percentiles)"))
    reserve = _("reserve (%(currency)s)") % {"currency": result.currency}
    data = [
        {"type": "bar", "name": _("bootstrap density (between stored percentiles)"),
         "x": [_num((lo + hi) / 2) for lo, hi in zip(bars["lower"], bars["upper"])],
         "width": [_num(hi - lo) for lo, hi in zip(bars["lower"], bars["upper"])],
         "y": [_num(d, 12) for d in bars["density"]],
         "customdata": [[_num(lo), _num(hi), _num(m * 100, 2)] for lo, hi, m in zip(bars["lower"], bars["upper"], bars["mass"])],
         "hovertemplate": "%{customdata[0]:,.0f} – %{customdata[1]:,.0f}: %{customdata[2]}%<extra></extra>",
         "xaxis": "x", "yaxis": "y"},
        {"type": "scatter", "mode": "lines+markers", "name": _("quantile curve"), "x": [_num(pct[p]) for p in ps],
         "y": ps, "xaxis": "x2", "yaxis": "y2"},
        {"type": "scatter", "mode": "lines", "name": label, "x": [_num(booked), _num(booked)], "y": [0, _num(top, 12)],
         "line": {"color": "crimson", "dash": "dash"}, "xaxis": "x", "yaxis": "y", "legendgroup": "booked"},
        {"type": "scatter", "mode": "lines", "name": label, "x": [_num(booked), _num(booked)], "y": [0, 100],
         "line": {"color": "crimson", "dash": "dash"}, "xaxis": "x2", "yaxis": "y2", "legendgroup": "booked",
         "showlegend": False},
    ]
    return {**_figure("bootstrap", data, {
        "title": {"text": _("Bootstrap ODP paid reserve, %(segment)s %(currency)s (%(n)s simulations; from the "
                            "stored percentiles)") % {"segment": segment_name(result.segment),
                                                      "currency": result.currency,
                                                      "n": number_text(int(blob.get('n_sims', 0)))}},
        "height": 640, "grid": {"rows": 2, "columns": 1, "pattern": "independent", "ygap": 0.25},
        "xaxis": {"title": {"text": reserve}, "tickformat": ",.0f"},
        "yaxis": {"title": {"text": _("density")}, "showticklabels": False},
        "xaxis2": {"title": {"text": reserve}, "tickformat": ",.0f"},
        "yaxis2": {"title": {"text": _("percentile")}, "range": [0, 100]}}),
        "meaningful": True, "booked": _num(booked), "booked_percentile": _num(where, 1)}


def emergence_chart(*, run: ReserveRun, result: RunSegmentResult) -> dict:
    """Actual against expected emergence since the prior approved run, by origin."""
    ave = emergence(run=run, result=result)
    table = ave.get("table")
    if table is None or table.empty:
        return _empty("emergence", ave.get("message") or _("no origin to compare"))
    keys = [str(o) for o in table.index]
    data = [{"type": "bar", "name": _("expected emergence"), "x": keys, "y": [_num(v) for v in table["expected"]]},
            {"type": "bar", "name": _("actual emergence"), "x": keys, "y": [_num(v) for v in table["actual"]]}]
    return _figure("emergence", data, {
        "title": {"text": _("Actual vs expected %(basis)s emergence since run %(run)s (%(date)s), %(segment)s "
                            "%(currency)s") % {"basis": basis_name(ave["basis"]), "run": ave["prior_run"],
                                               "date": ave["prior_valuation_date"],
                                               "segment": segment_name(result.segment),
                                               "currency": result.currency}},
        "barmode": "group", "xaxis": {"title": {"text": _("origin")}, "type": "category"},
        "yaxis": {"title": {"text": result.currency}, "tickformat": ",.0f"}})


# ------------------------------------------------------------------ the exhibit's working (§1)
# The link ratios the actuary excludes post as `exclude` = "<origin>|<age>" (checkboxes in the
# link-ratio cells). The engine's selection carries factors, not exclusions: an exclusion is
# applied here, by replacing the factor of its age with the same average recomputed without
# the excluded ratios, and it is written into the selection's note (what the review and the
# report show). An age with exclusions and no pick takes the volume-weighted average over all
# periods without them (the engine's own average).
EXCLUDE = "exclude"
LDF_FIELD = "ldf_"


@dataclass(frozen=True)
class Exclusions:
    drops: list            # (origin label as the triangle has it, age)
    shown: list            # "origin|age" as posted, for the page's checkboxes
    averages: pd.DataFrame | None   # link_ratio_averages without the excluded ratios
    problems: list
    note: str              # "link ratios excluded: 2022 at 12 months; …" or ""


def _same(a: float, b: float) -> bool:
    return np.isfinite(a) and np.isfinite(b) and abs(a - b) <= 1e-12 * max(1.0, abs(b))


def parse_exclusions(values, triangle: Triangle) -> Exclusions:
    """The posted exclusions checked against the triangle: each names an origin of it and an age
    with a link ratio (from a non-zero value); an age left with no ratio is a problem."""
    labels = {origin_key(o): o for o in triangle.origins}
    ages = [int(a) for a in triangle.ages[:-1]]
    drops, shown, problems = [], [], []
    x, y = triangle.values[:, :-1], triangle.values[:, 1:]
    for raw in dict.fromkeys(str(v).strip() for v in values if str(v or "").strip()):
        origin, _, age = raw.rpartition("|")
        if origin not in labels or not age.isdigit() or int(age) not in ages:
            problems.append(f"excluded link ratio {raw!r}: no such origin and age in the exhibit")
            continue
        i, j = list(labels).index(origin), ages.index(int(age))
        if not (np.isfinite(x[i, j]) and np.isfinite(y[i, j]) and x[i, j] != 0):
            problems.append(f"excluded link ratio {origin} at {age} months: there is no ratio there")
            continue
        drops.append((labels[origin], int(age)))
        shown.append(raw)
    if not drops:
        return Exclusions([], [], None, problems, "")
    averages = link_ratio_averages(triangle, drop=drops)
    for age in sorted({a for _, a in drops}):
        if not np.isfinite(averages[age].to_numpy(dtype=float)).any():
            problems.append(f"LDF at age {age}: excluding "
                            f"{', '.join(origin_key(o) for o, a in drops if a == age)} leaves no link ratio")
    by_age: dict[int, list[str]] = {}
    for o, a in drops:
        by_age.setdefault(a, []).append(origin_key(o))
    note = "link ratios excluded: " + "; ".join(f"{', '.join(os)} at {a} months" for a, os in sorted(by_age.items()))
    return Exclusions(drops, shown, averages, problems, note)


def apply_exclusions(data, triangle: Triangle | None):
    """The posted form with each excluded age's factor recomputed without its excluded ratios:
    (data to bind the selection form with, Exclusions). A posted factor that is one of the
    averages as shown without the exclusions becomes that average with them; a factor typed
    by hand stays."""
    values = data.getlist(EXCLUDE) if hasattr(data, "getlist") else []
    if triangle is None or not values:
        return data, Exclusions([], [], None, [] if not values else ["no exhibit to exclude link ratios from"], "")
    found = parse_exclusions(values, triangle)
    if not found.drops or found.problems:
        return data, found
    plain = link_ratio_averages(triangle)
    data = data.copy()
    for age in sorted({a for _, a in found.drops}):
        name = f"{LDF_FIELD}{age}"
        before, after = plain[age].to_numpy(dtype=float), found.averages[age].to_numpy(dtype=float)
        posted = [str(v).strip() for v in data.getlist(name) if str(v or "").strip()]
        resolved = []
        for value in posted:
            try:
                factor = float(value)
            except ValueError:
                resolved.append(value)  # the form says what is wrong with it
                continue
            if any(_same(factor, f) for f in after):
                resolved.append(value)  # the page already showed the average without the exclusions
                continue
            hit = next((k for k, f in enumerate(before) if _same(factor, f)), None)
            resolved.append(value if hit is None or not np.isfinite(after[hit]) else repr(float(after[hit])))
        if not resolved:
            volume = found.averages.loc[("volume", "all"), age]
            if np.isfinite(volume):
                resolved = [repr(float(volume))]
        data.setlist(name, resolved)
    return data, found


def with_exclusion_note(selection: dict, found: Exclusions) -> dict:
    """The selection with the exclusions written into its note (they live nowhere else)."""
    if not found.note or found.note in str(selection.get("note") or ""):
        return selection
    note = str(selection.get("note") or "").strip()
    return {**selection, "note": f"{note} ({found.note})" if note else found.note}


def prior_factors(*, run: ReserveRun, result: RunSegmentResult) -> dict:
    """The prior approved run's selected LDF per age for this segment (the prior run of the
    review, reserving.review: an earlier approved run at the same date, else the official one
    before): {"run", "valuation_date", "grain", "ldf": {age: factor}, "tail"}, or {} without one."""
    from reserving.review import prior_results

    before = prior_results(run=run).get((result.segment, result.currency))
    if before is None:
        return {}
    factors = before.factors or {}
    return {"run": before.run.pk, "valuation_date": before.run.valuation_date.isoformat(),
            "grain": (before.provenance or {}).get("grain"),
            "ldf": {int(a): float(f) for a, f in (factors.get("ldf") or {}).items() if f is not None},
            "tail": factors.get("tail")}


def tail_fits(triangle: Triangle, ldf: dict) -> list[dict]:
    """The exponential and inverse-power curves fitted to the selected LDFs (engine TailCurve,
    chainladder's defaults): per curve its tail factor and fit statistics, or why it cannot be
    fitted. Shown beside the tail the run used; the actuary types the tail he picks."""
    ages = [int(a) for a in triangle.ages[:-1]]
    if not ages or any(a not in ldf for a in ages):
        return [{"curve": c, "error": "the selected factors do not cover every age of the exhibit"} for c in CURVES]
    factors = np.array([float(ldf[a]) for a in ages], dtype=np.float64)
    pattern = Pattern(ldf=factors, exponent=np.ones(len(ages)), sigma=None, std_err=None, weights=None)
    out = []
    for curve in CURVES:
        try:
            fit = TailCurve(curve=curve).fit(triangle, pattern).fit_statistics_
        except EngineError as exc:
            out.append({"curve": curve, "error": exc.message})
            continue
        out.append({"curve": curve, "tail": fit["tail"], "shown": f"{fit['tail']:.4f}", "value": repr(fit["tail"]),
                    "slope": f"{fit['slope']:.4f}", "intercept": f"{fit['intercept']:.4f}",
                    "r_squared": _ratio(fit["r_squared"], 3), "n_points": fit["n_points"],
                    "fit_ages": ", ".join(map(str, fit["fit_ages"]))})
    return out


NO_EXCLUSIONS = Exclusions([], [], None, [], "")

# The tail is picked with a radio `tail_pick`: "constant" (the factor typed in the selection's
# Tail field) or a curve of CURVES. A curve is fitted again, on save and in the preview, to the
# factors being selected (the run's, with the posted picks over them), and its tail replaces
# the typed one; the engine's selection carries a tail factor only, so the curve and its fit
# are written into the selection's note, where the review and the report read them.
TAIL_PICK = "tail_pick"
TAIL_CONSTANT = "constant"


@dataclass(frozen=True)
class TailPick:
    pick: str              # "constant" or a curve
    tail: float | None     # the fitted tail (None for a constant)
    fits: list             # tail_fits of the factors being selected
    problem: str           # why the curve cannot be used, or ""
    note: str              # "tail: inverse-power fit …" or ""


def apply_tail_pick(data, triangle: Triangle | None, run_ldf: dict, picked_ldfs: dict) -> TailPick:
    """The tail the posted `tail_pick` asks for: the curve fitted to the run's factors with the
    picked ones (`picked_ldfs`, {age: factor}) over them. A curve that cannot be fitted is a
    problem (shown on the Tail field, nothing saved)."""
    pick = str((data.get(TAIL_PICK) if data is not None else "") or TAIL_CONSTANT).strip()
    if triangle is None:
        return TailPick(pick, None, [], "" if pick == TAIL_CONSTANT else "no exhibit to fit a tail curve to", "")
    factors = {int(a): float(f) for a, f in (run_ldf or {}).items() if f is not None}
    factors.update({int(a): float(f) for a, f in (picked_ldfs or {}).items()})
    fits = tail_fits(triangle, factors)
    if pick == TAIL_CONSTANT:
        return TailPick(pick, None, fits, "", "")
    fit = next((f for f in fits if f["curve"] == pick), None)
    if fit is None:
        return TailPick(pick, None, fits, f"unknown tail curve {pick!r}; pick constant, "
                                          f"{' or '.join(CURVES)}", "")
    if fit.get("error"):
        return TailPick(pick, None, fits, f"the {pick.replace('_', '-')} tail cannot be fitted: {fit['error']}", "")
    note = (f"tail: {pick.replace('_', '-')} fit to the selected factors, {fit['shown']} "
            f"(R² {fit['r_squared']}, {fit['n_points']} factors at ages {fit['fit_ages']})")
    return TailPick(pick, float(fit["tail"]), fits, "", note)


def with_tail_pick(selection: dict, picked: TailPick) -> dict:
    """The selection with the fitted tail in place of the typed one, and the fit in its note."""
    if picked.tail is None:
        return selection
    note = str(selection.get("note") or "").strip()
    note = note if picked.note in note else (f"{note} ({picked.note})" if note else picked.note)
    return {**selection, "tail": picked.tail, "note": note}
