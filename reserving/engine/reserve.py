"""The IBNR of one segment × currency as runs book it: the one dispatch that runs, the selection
preview and (through `project_origins`) the `ibnr` command share.

`segment_reserve(paid=, incurred=, reported=, earned=, regime=, selection=, kept_apriori=,
borrowed=, recent_premium=)` takes the segment's *quarterly* triangles (origin quarters ×
development quarters, as the ledger gives them) and returns a frozen `SegmentReserve`:

1. **Grain.** The selection's grain, else the regime's `grain`; "auto" is the thin-segment rule
   `origin_grain_for`: annual origins with annual development (OYDY) when the segment reports
   fewer than `min_claims_per_origin_quarter` claims per origin quarter on average, quarterly
   (OQDQ) otherwise. The reason is a note the run records as a data check.
2. **Short history.** Fewer than `min_origin_quarters` origin quarters, and no pattern, LDFs or
   method selected: the regime's fallback (expected loss ratio on earned premium, or a share of
   the recent base premium under 51н), spread over the origins.
3. **Pattern.** Selected LDFs (on the basis triangle), else a pattern borrowed from another
   triangle, else the segment's own volume-weighted factors with the thin-age rule
   (`Development(min_link_ratios=…)`: an age resting on fewer ratios takes 1.0) and, under a
   rule with `factor_credibility` (maturity-v2), each factor credibility-weighted toward
   the triangle's decay curve by its precision (so are the other ages of selected LDFs and a
   borrowed pattern).
4. **Per-origin methods** (`project_origins`): every method side by side, the selected ultimate
   by the regime's default rule (maturity-v1 or -v2), by a segment-wide method, or by per-origin
   overrides.
   The a-priori loss ratio per origin is the selection's, else the one the actuary keeps for the
   origin's year, else Cape Cod's from the segment's own history — each origin says which.
5. **Floor.** Per-origin IBNR may be negative (redundant case reserves; flagged); the segment's
   IBNR is floored at zero when the regime's `ibnr_floor` is "segment" (the default).
6. **Mack's standard error** on the pattern used, for the origins whose booked ultimate is that
   chain ladder (`mack_se_for_selection`); the others carry none, with the reason.

Pure: no Django, no clock. Amounts are float64 in the currency's units; the caller rounds.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .berquist import adjustment_applies, berquist_sherman, open_claims
from .bootstrap import BootstrapODP
from .cdr import mack_se_for_selection
from .default import ALIASES, DEFAULT_RULE, METHODS, RULES, DefaultRule, project_origins
from .development import Development, DevelopmentConstant
from .errors import EngineError, ParameterError, shown
from .methods import MackChainLadder
from .rules import Regime
from .tails import TailConstant
from .triangle import Triangle, origin_grain_for, origin_key

GRAINS = ("OQDQ", "OYDQ", "OYDY")
# segment-wide methods a selection may name (besides the rule, "default"), on the regime's
# `ibnr_triangle`; any per-origin method of `default.METHODS` may be named too
SEGMENT_METHODS = ("default", "chainladder", "bf", "benktander", "capecod", "elr")
SELECTION_FIELDS = ("method", "overrides", "ldfs", "tail", "apriori", "pattern_from", "grain", "case_adjustment",
                    "severity_trend", "ultimates", "note")
# the method name of an origin whose ultimate the actuary typed
TYPED = "typed"
CASE_ADJUSTMENTS = ("auto", "none", "berquist_sherman")
# A standard error beyond this (a DecimalField(18, 2) holds < 1e16) is an extrapolation blow-up.
MACK_SE_LIMIT = 1e15


# ----------------------------------------------------------------------------------- selection
@dataclass(frozen=True)
class Selection:
    """What the actuary chose for a segment; every field optional (None: the regime's default).

    method: "default" (the rule) or a segment-wide method (SEGMENT_METHODS) for every origin.
    overrides: {origin: method} on top of that (a method of `default.METHODS` or an alias).
    ldfs: {age: factor} development factors at the grain's ages (months), on the basis triangle;
        ages not named keep the segment's own factors.
    tail, apriori: a tail factor ≥ 1, an a-priori loss ratio > 0 for every origin.
    pattern_from: "pooled" or "segment|CUR": the pattern of another triangle (the caller
        builds it and passes `borrowed`).
    grain: one of GRAINS. case_adjustment: "none" or "berquist_sherman" (else the regime's rule);
    severity_trend: the Berquist–Sherman trend per origin period (else fitted).
    ultimates: {origin: amount ≥ 0} typed by the actuary; the origin's ultimate is that amount
        (method "typed"), whatever the projection says. note: why."""

    method: str | None = None
    overrides: Mapping = field(default_factory=dict)
    ldfs: Mapping | None = None
    tail: float | None = None
    apriori: float | None = None
    pattern_from: str | None = None
    grain: str | None = None
    case_adjustment: str | None = None
    severity_trend: float | None = None
    ultimates: Mapping = field(default_factory=dict)
    note: str = ""

    @classmethod
    def parse(cls, raw: Mapping | None) -> "Selection":
        """A stored or posted selection (JSON) checked field by field: a clear message naming
        the field for anything that cannot run."""
        raw = dict(raw or {})
        unknown = sorted(set(raw) - set(SELECTION_FIELDS))
        if unknown:
            raise ParameterError(f"unknown selection field(s): {', '.join(unknown)}", field="selection")
        method = raw.get("method") or None
        if method is not None and method not in SEGMENT_METHODS:
            raise ParameterError(f"method must be one of {', '.join(SEGMENT_METHODS)}, got {shown(method)}",
                                 field="method")
        overrides = raw.get("overrides") or {}
        if not isinstance(overrides, Mapping):
            raise ParameterError("overrides must map an origin to a method", field="overrides")
        known = set(METHODS) | set(ALIASES)
        for origin, name in overrides.items():
            if name not in known:
                raise ParameterError(f"override for origin {origin}: unknown method {shown(name)}; known: "
                                     f"{', '.join(sorted(known))}", field="overrides")
        ldfs = raw.get("ldfs") or None
        if ldfs is not None:
            if not isinstance(ldfs, Mapping):
                raise ParameterError("ldfs must map an age (months) to a factor", field="ldfs")
            checked = {}
            for age, factor in ldfs.items():
                try:
                    a, f = int(age), float(factor)
                except (TypeError, ValueError):
                    raise ParameterError(f"LDF at age {shown(age)} must be a number at an integer age",
                                         field="ldfs") from None
                if not np.isfinite(f) or f <= 0:
                    raise ParameterError(f"LDF at age {a} must be a positive number, got {shown(factor)}",
                                         field="ldfs")
                checked[a] = f
            ldfs = checked
        tail = _number(raw.get("tail"), "tail", low=1.0, inclusive=True, what="a tail factor must be at least 1")
        apriori = _number(raw.get("apriori"), "apriori", low=0.0, inclusive=False,
                          what="the a-priori loss ratio must be greater than 0")
        source = raw.get("pattern_from") or None
        if source is not None and (not isinstance(source, str) or (source != "pooled" and "|" not in source)):
            raise ParameterError('pattern_from is "pooled" or "segment|CUR"', field="pattern_from")
        grain = raw.get("grain") or None
        if grain is not None and str(grain).upper() not in GRAINS:
            raise ParameterError(f"grain must be one of {', '.join(GRAINS)}, got {shown(grain)}"
                                 + (" (quarterly origins with annual development are not a triangle)"
                                    if str(grain).upper() == "OQDY" else ""), field="grain")
        adjustment = raw.get("case_adjustment") or None
        if adjustment is not None and adjustment not in CASE_ADJUSTMENTS:
            raise ParameterError(f"case_adjustment must be one of {', '.join(CASE_ADJUSTMENTS)}, got "
                                 f"{shown(adjustment)}", field="case_adjustment")
        trend = _number(raw.get("severity_trend"), "severity_trend", low=-1.0, inclusive=False,
                        what="the severity trend must be above −1 (−100%)")
        typed = raw.get("ultimates") or {}
        if not isinstance(typed, Mapping):
            raise ParameterError("ultimates must map an origin to an amount", field="ultimates")
        ultimates = {}
        for origin, amount in typed.items():
            try:
                value = float(amount)
            except (TypeError, ValueError):
                value = float("nan")
            if isinstance(amount, bool) or not np.isfinite(value) or value < 0:
                raise ParameterError(f"typed ultimate for origin {origin}: must be a number ≥ 0, got "
                                     f"{shown(amount)}", field="ultimates")
            ultimates[str(origin)] = value
        return cls(method=method, overrides=dict(overrides), ultimates=ultimates, ldfs=ldfs, tail=tail, apriori=apriori,
                   pattern_from=source, grain=None if grain is None else str(grain).upper(),
                   case_adjustment=adjustment, severity_trend=trend, note=str(raw.get("note") or ""))

    @property
    def chooses_pattern(self) -> bool:
        return bool(self.ldfs) or self.pattern_from is not None

    def as_dict(self) -> dict:
        out = {"method": self.method, "overrides": dict(self.overrides) or None, "ldfs": (
            {str(k): v for k, v in self.ldfs.items()} if self.ldfs else None), "tail": self.tail,
            "apriori": self.apriori, "pattern_from": self.pattern_from, "grain": self.grain,
            "case_adjustment": self.case_adjustment, "severity_trend": self.severity_trend,
            "ultimates": dict(self.ultimates) or None, "note": self.note or None}
        return {k: v for k, v in out.items() if v is not None}


def _number(value, name: str, *, low: float, inclusive: bool, what: str):
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a number, got {shown(value)}", field=name) from None
    if not np.isfinite(number) or number < low or (number == low and not inclusive):
        raise ParameterError(f"{what}, got {shown(value)}", field=name)
    return number


# -------------------------------------------------------------------------------------- result
@dataclass(frozen=True)
class SegmentReserve:
    """What `segment_reserve` returns. `table` by origin (at the grain used): paid, case,
    incurred, ultimate, ibnr, method, selected_by, maturity, apriori, apriori_source, mack_se
    (NaN where none), ultimates (a dict by method), flags (a list). `ibnr` is the segment's
    booked IBNR (after the floor); `method` "default", a segment-wide method, or the fallback's
    name; `provenance` says how it was made (JSON-able)."""

    table: pd.DataFrame
    ibnr: float
    ibnr_before_floor: float
    method: str
    grain: str
    notes: tuple
    provenance: dict
    factors: dict
    total_mack_se: float | None = None


def segment_reserve(*, paid: Triangle, incurred: Triangle, reported: Triangle | None, earned: Mapping,
                    regime: Regime, selection: Selection | Mapping | None = None,
                    kept_apriori: Mapping | None = None, borrowed: Triangle | None = None,
                    recent_premium: float = 0.0, valuation_quarter: str | None = None,
                    rule: DefaultRule | None = None, closed: Triangle | None = None) -> SegmentReserve:
    """The segment's IBNR by the runs' rules (module docstring).

    paid, incurred: cumulative quarterly Triangles (OQDQ) of the same origins and ages;
    reported: the reported claim counts (same shape), for the grain rule (None: the regime's
    grain must not be "auto"); earned: {quarter label: earned premium}; kept_apriori:
    {underwriting year: (loss ratio, source)} the actuary keeps for this segment; borrowed: the
    quarterly incurred triangle whose pattern `selection.pattern_from` names; recent_premium:
    the base premium of the last `fallback_quarters` (the 51н fallback); closed: the closed claim
    counts (same shape as `reported`), for the Berquist–Sherman case adjustment (None: none)."""
    sel = selection if isinstance(selection, Selection) else Selection.parse(selection)
    if rule is None:
        rule = RULES.get(regime["default_rule"])
    if rule is None:
        raise ParameterError(f"unknown default rule {shown(regime['default_rule'])}; known: {', '.join(RULES)}",
                             field="default_rule")
    notes: list[str] = []
    grain, grain_note = grain_for(sel, regime, reported)
    if grain_note:
        notes.append(grain_note)
    n_quarters = paid.shape[0]
    short = (n_quarters < regime["min_origin_quarters"] and not sel.chooses_pattern
             and sel.method in (None, "default") and not sel.overrides and not sel.ultimates)
    if short:
        return _fallback(paid=paid, incurred=incurred, earned=earned, regime=regime, sel=sel, grain=grain,
                         notes=notes, recent_premium=recent_premium, valuation_quarter=valuation_quarter,
                         kept_apriori=kept_apriori)
    p, i = _at_grain(paid, grain), _at_grain(incurred, grain)
    exposure = earned_by_origin(earned, p)
    basis = "paid" if (regime["ibnr_triangle"] == "paid" or rule.basis == "paid") else "incurred"
    adjustment, adjustment_note = _case_adjustment(sel, regime, paid, incurred, reported, closed, grain, basis)
    if adjustment_note:
        notes.append(adjustment_note)
    if adjustment is not None:
        i = adjustment.incurred
    tail = regime["tail"] if sel.tail is None else sel.tail
    development, pattern_how, thin = _pattern(sel, regime, p if basis == "paid" else i, borrowed, grain, rule)
    other = Development(min_link_ratios=regime["min_link_ratios"], factor_credibility=rule.factor_credibility)
    developments = {"paid": other if basis != "paid" else development,
                    "incurred": development if basis == "incurred" else other}
    method = sel.method or regime["ibnr_method"]
    overrides = _overrides(method, sel, regime, p)
    if not np.any(exposure > 0):
        # no earned premium at all: no method on premium can run; the rule's origins take the
        # chain ladder, and a method on premium named for an origin is refused (field exposure)
        exposure = None
        if method == "default":
            overrides = {**{origin_key(o): f"{basis}_cl" for o in p.origins}, **overrides}
            notes.append("no earned premium in the segment: chain ladder for every origin")
    kw = dict(paid=p, incurred=i, exposure=exposure, tail={"paid": tail, "incurred": tail}, rule=rule,
              overrides=overrides, development=developments)
    apriori, sources = _apriori(sel, kept_apriori, p, kw)
    projection = project_origins(apriori=apriori, **kw)
    table = _typed(projection.table, sel.ultimates)
    out = pd.DataFrame(index=table.index)
    out["paid"] = table["paid"]
    out["incurred"] = table["incurred"]
    out["case"] = table["incurred"] - table["paid"]
    out["ultimate"] = table["ultimate"]
    out["ibnr"] = table["ibnr"]
    out["method"] = table["method"]
    out["selected_by"] = table["selected_by"]
    out["maturity"] = table["maturity"]
    out["apriori"] = table["apriori"] if "apriori" in table else np.nan
    out["apriori_source"] = [sources.get(origin_key(o), projection.apriori_source) for o in table.index]
    out["ultimates"] = [{m: float(table.at[o, f"ult_{m}"]) for m in projection.methods} for o in table.index]
    out["flags"] = list(table["flags"])

    mack_se, total_se, mack_note = _mack(table, p if basis == "paid" else i, developments[basis], tail, basis)
    out["mack_se"] = mack_se
    if mack_note:
        notes.append(mack_note)
    before = float(out["ibnr"].sum())
    floored = max(before, 0.0) if regime["ibnr_floor"] == "segment" else before
    if floored != before:
        notes.append(f"the origins' IBNR sums to {before:,.2f}; the segment's IBNR is floored at 0 "
                     f"(regime ibnr_floor \"segment\")")
    negative = [origin_key(o) for o in out.index if "negative_ibnr" in out.at[o, "flags"]]
    if negative:
        notes.append(f"negative IBNR (case reserves above the projected ultimate) for origin(s) {', '.join(negative)}")
    tri_basis = p if basis == "paid" else i
    credibility = _credibility(developments[basis], tri_basis)
    factors = {"development": pattern_how, "basis": basis, "thin_ages": [int(a) for a in thin],
               **({"credibility": credibility} if credibility else {}),
               "ldf": projection.provenance["ldf"][basis], "tail": float(tail),
               "cdf": {str(int(a)): float(c) for a, c in zip(tri_basis.ages, _cdf_by_age(
                   projection.provenance["ldf"][basis], tail, tri_basis))},
               "link_ratios": _frame_json(tri_basis.link_ratios()),
               **({"total_mack_se": total_se} if total_se is not None else {})}
    provenance = {
        "grain": grain, "grain_note": grain_note, "basis": basis,
        "method": method, "rule": projection.provenance["rule"],
        "methods_by_origin": {origin_key(o): m for o, m in zip(out.index, out["method"])},
        "overrides": projection.provenance["overrides"],
        "typed_ultimates": dict(sel.ultimates),
        "pattern": pattern_how, "ldf": projection.provenance["ldf"], "tail": float(tail),
        "apriori": projection.provenance["apriori"],
        "apriori_source": {origin_key(o): s for o, s in zip(out.index, out["apriori_source"])},
        "capecod_apriori": projection.provenance["capecod_apriori"],
        "case_adjustment": None if adjustment is None else adjustment.describe(),
        "case_adjustment_note": adjustment_note,
        "floor": regime["ibnr_floor"], "ibnr_before_floor": before,
        "min_link_ratios": regime["min_link_ratios"],
        "unavailable": projection.provenance["unavailable"],
    }
    return SegmentReserve(table=out, ibnr=floored, ibnr_before_floor=before, method=method,
                          grain=grain, notes=tuple(notes), provenance=provenance, factors=factors,
                          total_mack_se=total_se)


# ------------------------------------------------------------------------------------ the steps
def grain_for(sel: Selection, regime: Regime, reported: Triangle | None) -> tuple[str, str]:
    """The grain (one of GRAINS) a segment is reserved on, and why (the note a run records)."""
    if sel.grain:
        return sel.grain, f"grain {sel.grain} as selected"
    setting = str(regime["grain"]).upper()
    if setting != "AUTO":
        return setting, f"grain {setting} (regime)"
    if reported is None:
        raise ParameterError("the grain rule needs the reported claim counts", field="reported")
    latest = reported.latest_diagonal
    counts = pd.Series(np.asarray(latest, dtype=np.float64), index=[origin_key(o) for o in reported.origins])
    origin, why = origin_grain_for(counts, regime["min_claims_per_origin_quarter"], exclude_latest=4)
    return ("OYDY" if origin == "year" else "OQDQ"), why


def _case_adjustment(sel: Selection, regime: Regime, paid: Triangle, incurred: Triangle, reported, closed,
                     grain: str, basis: str):
    """The Berquist–Sherman adjustment of the incurred triangle at the grain, when the selection
    or the regime's rule asks for it: (CaseAdjustment or None, note)."""
    mode = sel.case_adjustment or regime["case_adjustment"]
    if mode == "none" or basis != "incurred":
        return None, ""
    if reported is None or closed is None:
        if mode == "berquist_sherman":
            raise ParameterError("the Berquist–Sherman adjustment needs the reported and closed claim counts",
                                 field="case_adjustment")
        return None, ""
    p = _at_grain(paid, grain)
    case = Triangle.from_array(incurred.values - paid.values, origins=list(paid.origins), ages=list(paid.ages),
                               measure="outstanding", allow_negative=True, allow_decrease=True,
                               origin_months=paid.origin_months)
    case_g = _at_grain(case, grain)
    open_counts = open_claims(_at_grain(reported, grain), _at_grain(closed, grain))
    if mode == "auto":
        applies, why = adjustment_applies(open_counts, p.lengths, regime["min_open_claims_for_adjustment"])
        if not applies:
            return None, why
    else:
        why = "case reserves restated to the latest diagonal's adequacy (Berquist–Sherman), as selected"
    adjusted = berquist_sherman(paid=p, case=case_g, open_counts=open_counts, trend=sel.severity_trend)
    return adjusted, f"{why}; severity trend {adjusted.trend:+.1%} per origin period ({adjusted.trend_source})"


def _at_grain(tri: Triangle, grain: str) -> Triangle:
    return tri if grain == "OQDQ" else tri.grain(grain)


def earned_by_origin(earned: Mapping, tri: Triangle) -> np.ndarray:
    """Earned premium per origin of `tri` from {quarter label: earned}: an origin year sums its
    quarters."""
    series = pd.Series({str(k): float(v) for k, v in (earned or {}).items()}, dtype=np.float64)
    keys = [origin_key(o) for o in tri.origins]
    if not keys:
        return np.zeros(0)
    if len(keys[0]) == 4:  # annual origins
        series = series.groupby(series.index.str[:4]).sum() if len(series) else series
    return np.array([float(series.get(k, 0.0)) for k in keys])


def _pattern(sel: Selection, regime: Regime, tri: Triangle, borrowed: Triangle | None, grain: str,
             rule: DefaultRule = DEFAULT_RULE):
    """The development estimator of the basis triangle and how it was made."""
    n = regime["min_link_ratios"]
    credible = rule.factor_credibility
    own = Development(min_link_ratios=n, factor_credibility=credible)
    weighted = "; factors credibility-weighted toward the decay curve by their precision" if credible else ""
    if sel.ldfs:
        factors = _factors(own, tri)
        unknown = sorted(set(sel.ldfs) - set(factors))
        if unknown:
            raise ParameterError(f"an LDF is selected at age {unknown[0]}, which the {grain} triangle does not have "
                                 f"(ages {', '.join(str(a) for a in factors)})", field="ldfs")
        return (DevelopmentConstant({**factors, **sel.ldfs}, style="ldf", note=sel.note, mack_sigma="residuals"),
                "selected LDFs; other ages volume-weighted" + weighted,
                [a for a in own.thin_ages_ if a not in sel.ldfs])
    if borrowed is not None:
        source = _at_grain(borrowed, grain)
        if list(source.ages) != list(tri.ages):
            raise ParameterError(f"the pattern of {sel.pattern_from} has ages {list(source.ages)}, the segment "
                                 f"{list(tri.ages)}", field="pattern_from")
        return (DevelopmentConstant(_factors(Development(min_link_ratios=n, factor_credibility=credible), source),
                                    style="ldf", note=f"borrowed from {sel.pattern_from}", mack_sigma="residuals"),
                f"borrowed from {sel.pattern_from}" + weighted, [])
    thin = own.fit(tri).thin_ages_
    how = "volume-weighted" + weighted + (f"; ages {', '.join(map(str, thin))} rest on fewer than {n} link ratios: 1.0"
                                          if thin else "")
    return Development(min_link_ratios=n, factor_credibility=credible), how, thin


def _credibility(dev, tri: Triangle) -> dict[str, float]:
    """Each age's credibility Z of a pattern weighted toward its decay curve ({} otherwise)."""
    if not isinstance(dev, Development) or not dev.factor_credibility:
        return {}
    z = Development(**{k: v for k, v in vars(dev).items() if not k.startswith("_") and not k.endswith("_")}
                    ).fit(tri).credibility_
    return {} if z is None else {str(int(a)): round(float(v), 6) for a, v in z.items()}


def _factors(dev: Development, tri: Triangle) -> dict[int, float]:
    dev.fit(tri)
    return {int(a): float(f) for a, f in dev.ldf_.items()}


def _overrides(method: str, sel: Selection, regime: Regime, tri: Triangle) -> dict:
    """Per-origin methods: a segment-wide method (the selection's, else the regime's
    `ibnr_method`) for every origin unless it is the rule, then the selection's overrides."""
    out: dict = {}
    if method != "default":
        base = regime["ibnr_triangle"]
        name = {"chainladder": f"{base}_cl", "bf": f"bf_{base}", "benktander": f"benktander_{base}",
                "capecod": f"capecod_{base}", "elr": "elr"}[method]
        out = {origin_key(o): name for o in tri.origins}
    out.update({origin_key(o): m for o, m in sel.overrides.items()})
    return out


def _apriori(sel: Selection, kept: Mapping | None, tri: Triangle, kw: dict):
    """The a-priori per origin: the selection's, else the kept one of the origin's year, else
    the rule's (Cape Cod on the segment's history). Returns (apriori for project_origins,
    {origin: source})."""
    keys = [origin_key(o) for o in tri.origins]
    if sel.apriori is not None:
        return sel.apriori, {k: "selected" for k in keys}
    if not kept or kw["exposure"] is None:
        return None, {}
    derived = project_origins(apriori=None, **kw).table
    values, sources = [], {}
    for o, k in zip(tri.origins, keys):
        year = int(k[:4])
        if year in kept:
            ratio, source = kept[year]
            values.append(float(ratio))
            sources[k] = f"kept for {year}: {source}"
        else:
            values.append(float(derived.at[o, "apriori"]))
            sources[k] = "derived: Cape Cod (no a-priori kept for the year)"
    return np.array(values), sources


def _typed(table: pd.DataFrame, ultimates: Mapping) -> pd.DataFrame:
    """The projection with the actuary's typed ultimates in place of the projected ones: IBNR
    = typed − incurred, method "typed", the negative-IBNR flag by the new IBNR."""
    if not ultimates:
        return table
    keys = {origin_key(o): o for o in table.index}
    unknown = sorted(set(ultimates) - set(keys))
    if unknown:
        raise ParameterError(f"typed ultimate for origin(s) not in the triangle: {', '.join(unknown)}; "
                             f"origins: {', '.join(keys)}", field="ultimates")
    table = table.copy()
    for key, amount in ultimates.items():
        o = keys[key]
        table.at[o, "ultimate"] = amount
        table.at[o, "ibnr"] = amount - float(table.at[o, "incurred"])
        table.at[o, "method"] = TYPED
        table.at[o, "selected_by"] = "actuary"
    typed = set(ultimates)
    table["flags"] = [
        [f for f in flags if f != "negative_ibnr"] + (["negative_ibnr"] if ibnr < 0 else [])
        if origin_key(o) in typed else flags
        for o, flags, ibnr in zip(table.index, table["flags"], table["ibnr"])]
    return table


def _mack(table: pd.DataFrame, tri: Triangle, development, tail: float, basis: str):
    """Mack's s.e. by origin (NaN where the booked ultimate is not this chain ladder), the
    total over those origins, and a note when there is none."""
    cl = f"{basis}_cl"
    nan = np.full(len(table), np.nan)
    if not (table["method"] == cl).any():
        return nan, None, "Mack s.e. not shown: no origin is booked by the chain ladder"
    try:
        mack = MackChainLadder(development=development, tail=TailConstant(tail)).fit(tri)
        methods = {origin_key(o): ("chainladder" if m == cl else m) for o, m in zip(table.index, table["method"])}
        frame, totals = mack_se_for_selection(methods, mack=mack, selected_ultimate={
            origin_key(o): float(u) for o, u in zip(table.index, table["ultimate"])})
    except EngineError as exc:
        return nan, None, f"Mack s.e. not available: {exc.message}"
    se = np.array([np.nan if v is None else float(v) for v in frame["mack_se"]])
    if np.nanmax(np.abs(se), initial=0.0) > MACK_SE_LIMIT:
        return nan, None, "Mack s.e. not shown: the tail's sigma extrapolation diverged"
    return se, totals["mack_se"], None


def _cdf_by_age(ldf: Mapping, tail: float, tri: Triangle) -> np.ndarray:
    factors = np.array([ldf[str(int(a))] for a in tri.ages[:-1]] + [tail], dtype=np.float64)
    return np.cumprod(factors[::-1])[::-1]


def _frame_json(df: pd.DataFrame) -> dict:
    if df is None or df.empty:
        return {"origins": [], "ages": [], "values": []}
    vals = [[None if not np.isfinite(x) else round(float(x), 6) for x in row] for row in df.to_numpy()]
    return {"origins": [origin_key(o) for o in df.index], "ages": [int(a) for a in df.columns], "values": vals}


def _fallback(*, paid, incurred, earned, regime, sel, grain, notes, recent_premium, valuation_quarter,
              kept_apriori) -> SegmentReserve:
    """Below the regime's minimum history: the expected loss ratio on earned premium (per origin
    IBNR = max(a·E − incurred, 0)), or 51н's share of the recent base premium spread over the
    last quarters by their earned premium."""
    n = paid.shape[0]
    latest_paid = np.asarray(paid.latest_diagonal, dtype=np.float64)
    latest_inc = np.asarray(incurred.latest_diagonal, dtype=np.float64)
    keys = [origin_key(o) for o in paid.origins]
    exposure = earned_by_origin(earned, paid)
    ultimate = latest_inc.copy()
    minimum = regime["min_origin_quarters"]
    if regime["fallback"] == "premium_share":
        method = "premium_share"
        total = float(regime["fallback_premium_share"]) * float(recent_premium)
        k = int(regime["fallback_quarters"])
        notes.append(f"{n} origin quarters < {minimum}: {regime['fallback_premium_share']:.0%} of the base premium "
                     f"of the last {k} quarters")
        weights = exposure[-k:]
        if weights.sum() > 0:
            ultimate[-k:] += total * weights / weights.sum()
        apriori = np.full(n, np.nan)
        source = "none: premium share"
    else:
        method = "elr"
        if sel.apriori is not None:
            apriori, source = np.full(n, sel.apriori), "selected"
        else:
            apriori = np.array([float(kept_apriori[int(k[:4])][0]) if kept_apriori and int(k[:4]) in kept_apriori
                                else float(regime["expected_loss_ratio"]) for k in keys])
            source = "kept or the regime's expected_loss_ratio"
        notes.append(f"{n} origin quarters < {minimum}: expected loss ratio on earned premium")
        ultimate = np.maximum(apriori * exposure, latest_inc)
        total = float((ultimate - latest_inc).sum())
    ibnr = ultimate - latest_inc
    table = pd.DataFrame(index=paid.origins)
    table["paid"], table["incurred"], table["case"] = latest_paid, latest_inc, latest_inc - latest_paid
    table["ultimate"], table["ibnr"] = ultimate, ibnr
    table["method"], table["selected_by"] = method, "fallback"
    table["maturity"], table["apriori"], table["apriori_source"] = np.nan, apriori, source
    table["ultimates"] = [{method: float(u)} for u in ultimate]
    table["flags"] = [["short_history"] for _ in keys]
    table["mack_se"] = np.nan
    floored = max(total, 0.0)
    provenance = {"grain": "OQDQ", "grain_note": f"{n} origin quarters: the regime's short-history fallback",
                  "method": method, "fallback": regime["fallback"], "floor": regime["ibnr_floor"],
                  "apriori_source": source, "ibnr_before_floor": total}
    return SegmentReserve(table=table, ibnr=floored, ibnr_before_floor=total, method=method, grain="OQDQ",
                          notes=tuple(notes),
                          provenance=provenance, factors={})


# ------------------------------------------------------------------------------ around the IBNR
def deficiency_loss_ratio(reserve: SegmentReserve, earned: Mapping, valuation_quarter: str,
                          default: float) -> float:
    """The loss ratio the premium-deficiency test expects on the unexpired cover: ultimate over
    earned premium of the origins of the last four quarters (the latest origin year at annual
    grain), else `default` (no premium earned or no losses there)."""
    table = reserve.table
    year, q = int(valuation_quarter[:4]), int(valuation_quarter[-1])
    recent = {f"{y}Q{p}" for y, p in ((year if p <= q else year - 1, p) for p in range(1, 5))}
    keys = [origin_key(o) for o in table.index]
    if keys and len(keys[0]) == 4:
        chosen = [o for o, k in zip(table.index, keys) if k == str(year)]
        premium = sum(float(v) for k, v in (earned or {}).items() if str(k)[:4] == str(year))
    else:
        chosen = [o for o, k in zip(table.index, keys) if k in recent]
        premium = sum(float(v) for k, v in (earned or {}).items() if str(k) in recent)
    losses = float(table.loc[chosen, "ultimate"].sum()) if chosen else 0.0
    return losses / premium if premium > 0 and losses > 0 else float(default)


def bootstrap_paid(paid: Triangle, *, n_sims: int, seed: int) -> dict:
    """ODP bootstrap of the paid reserve (England & Verrall) on the grain used, summarised with
    the engine's verdict (D-31). Leading ages with no payments at all have no factor: they are
    dropped, with the origins too young to reach the first age kept (the note says how many)."""
    values = paid.values
    if paid.shape[0] < 3:
        return {"status": "not computed", "reason": "too little history"}
    last_error = ""
    for k in range(0, min(12, values.shape[1] - 2)):
        rows = values.shape[0] - k
        if rows < 3 or values.shape[1] - k < 2:
            break
        try:
            sub = Triangle.from_array(values[:rows, k:], origins=list(paid.origins[:rows]), ages=list(paid.ages[k:]),
                                      measure="paid", allow_negative=True, allow_decrease=True,
                                      origin_months=paid.origin_months)
            model = BootstrapODP(n_sims=int(n_sims), random_state=int(seed)).fit(sub)
        except EngineError as exc:
            last_error = str(exc)
            continue
        summary = model.summary()
        out: dict = {"seed": int(seed)}
        for key, value in summary.items():
            if key == "percentiles":
                out[key] = {q: round(float(v), 2) for q, v in value.items()}
            elif isinstance(value, float):
                out[key] = round(value, 6 if key in ("cv", "max_cv") else 2)
            else:
                out[key] = value
        if summary["status"] == "ok":
            dist = model.distribution_
            total = dist.loc["total"] if "total" in dist.index else dist.iloc[-1]
            out.update({str(key).replace(".", "_"): round(float(v), 2) for key, v in total.items()})
        if k:
            out["note"] = (f"the first {k} development periods have no payments: the {k} youngest origins are "
                           "outside the distribution")
        return out
    return {"status": "failed", "reason": last_error[:300] or "no estimable development"}
