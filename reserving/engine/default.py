"""Methods side by side per origin, and the selected ultimate by a documented default rule.

`project_origins(paid=, incurred=, exposure=, apriori=, tail=, rule=, overrides=, development=)`
runs every method it can on the paid triangle and, when given, the incurred (case-incurred =
paid + case reserves) triangle of the same origins and ages:

    paid_cl               paid × CDF_paid
    incurred_cl           incurred × CDF_incurred
    bf_paid / bf_incurred           latest + (1 − 1/CDF)·a·E        (Bornhuetter–Ferguson)
    benktander_paid / _incurred     latest + (1 − 1/CDF)·BF          (BF iterated once more)
    capecod_paid / _incurred        BF with Cape Cod's fitted ratio Σ latest / Σ (E / CDF)
    elr                             a·E                              (expected loss ratio)

E is the exposure (earned premium by origin), a the a-priori loss ratio: given (a scalar or one
per origin), or derived from the triangle itself without hindsight by the rule (see
`DefaultRule`; the result says which in `provenance["apriori_source"]`). Cape Cod always uses its
own fitted ratio (decay 1, no trend: chainladder's defaults). The patterns are volume-weighted
chain-ladder factors unless `development` says otherwise, projected to the triangle's last age
times `tail` (1.0 by default: no development beyond the last age).

The selected ultimate per origin is the one `rule` picks by the origin's maturity (the share
of the ultimate the pattern says is reported by now, 1/CDF), unless `overrides` names a method
for that origin. IBNR = selected ultimate − reported incurred (− paid when there is no incurred
triangle); unpaid = selected ultimate − paid. Negative values are kept and flagged.

Pure: Triangles and numbers in, a frozen `OriginProjection` out (a DataFrame `table` by origin
and a JSON-able `provenance` dict). No output holds a NaN or an infinity.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from types import SimpleNamespace

import numpy as np
import pandas as pd

from .development import Development, DevelopmentConstant
from .errors import EngineError, ParameterError, shown
from .methods import ChainLadder, TriangleStack, align_exposure
from .tails import TailConstant
from .triangle import Triangle, origin_key

METHODS = ("paid_cl", "incurred_cl", "bf_paid", "bf_incurred", "benktander_paid", "benktander_incurred",
           "capecod_paid", "capecod_incurred", "elr")
# Short names an override may use: the method on the rule's basis triangle.
ALIASES = {"cl": "{basis}_cl", "chainladder": "{basis}_cl", "bf": "bf_{basis}",
           "benktander": "benktander_{basis}", "capecod": "capecod_{basis}"}
_NEEDS_EXPOSURE = frozenset(m for m in METHODS if not m.endswith("_cl"))
_NEEDS_APRIORI = frozenset({"bf_paid", "bf_incurred", "benktander_paid", "benktander_incurred", "elr"})
BASES = ("incurred", "paid")
APRIORI_SOURCES = ("capecod",)


@dataclass(frozen=True)
class DefaultRule:
    """The default selection: by maturity m = 1/CDF of the origin on the `basis` triangle,

        m < elr_below                          → elr
        elr_below ≤ m < bf_below               → bf_<basis>
        bf_below ≤ m < benktander_below        → benktander_<basis>
        m ≥ benktander_below                   → <basis>_cl

    `basis` "incurred" uses the incurred triangle when one is given and falls back to paid
    otherwise (the provenance says which was used). The a-priori loss ratio, when none is
    given, is Cape Cod's ratio on the basis triangle with weights `apriori_decay`^|i − j|
    between origins i and j (1 = one ratio for all origins; below 1 leans on the neighbouring
    origins, following the underwriting cycle): reported losses over used-up premium as at the
    valuation date, so it uses nothing the valuation date did not know. An origin whose
    weighted neighbourhood gives a ratio ≤ 0 takes the ratio of all origins (decay 1).

    `factor_credibility` True: the patterns the rule projects with, where the caller does not
    select its own estimator (`development` None or keyword arguments), weight each factor
    toward the triangle's own exponential decay curve by the factor's precision
    (`Development(factor_credibility=True)`), so that one large claim in a column of few link
    ratios does not become every younger origin's development.

    The thresholds of `DEFAULT_RULE` were chosen by back-testing on CAS Schedule P squares
    (`reserving.engine.backtest`, lines other than medmal); see that module and
    docs/decisions.md."""

    name: str = "maturity"
    basis: str = "incurred"
    elr_below: float = 0.0
    bf_below: float = 0.0
    benktander_below: float = 0.0
    apriori: str = "capecod"
    apriori_decay: float = 1.0
    factor_credibility: bool = False

    def __post_init__(self):
        if self.basis not in BASES:
            raise ParameterError(f"rule basis must be one of {', '.join(BASES)}, got {shown(self.basis)}",
                                 field="rule.basis")
        if self.apriori not in APRIORI_SOURCES:
            raise ParameterError(f"rule apriori must be one of {', '.join(APRIORI_SOURCES)}, got "
                                 f"{shown(self.apriori)}", field="rule.apriori")
        for name in ("elr_below", "bf_below", "benktander_below", "apriori_decay"):
            value = getattr(self, name)
            if not isinstance(value, (int, float, np.integer, np.floating)) or not np.isfinite(value) or value < 0:
                raise ParameterError(f"rule {name} must be a number ≥ 0, got {shown(value)}", field=f"rule.{name}")
        if not self.elr_below <= self.bf_below <= self.benktander_below:
            raise ParameterError("rule thresholds must satisfy elr_below ≤ bf_below ≤ benktander_below",
                                 field="rule")
        if self.apriori_decay > 1:
            raise ParameterError(f"rule apriori_decay must lie in [0, 1], got {shown(self.apriori_decay)}",
                                 field="rule.apriori_decay")
        if not isinstance(self.factor_credibility, (bool, np.bool_)):
            raise ParameterError(f"rule factor_credibility must be true or false, got "
                                 f"{shown(self.factor_credibility)}", field="rule.factor_credibility")

    def method_for(self, maturity, basis: str) -> np.ndarray:
        """The rule's method name for each maturity, on `basis` ("paid" or "incurred")."""
        m = np.asarray(maturity, dtype=np.float64)
        names = np.array(["elr", f"bf_{basis}", f"benktander_{basis}", f"{basis}_cl"], dtype=object)
        step = (m >= self.elr_below).astype(int) + (m >= self.bf_below) + (m >= self.benktander_below)
        return names[step]

    def describe(self) -> dict:
        return {**asdict(self), "text": (
            f"maturity (1/CDF on the {self.basis} triangle) below {self.elr_below:.0%}: expected loss "
            f"ratio; below {self.bf_below:.0%}: Bornhuetter–Ferguson; "
            # an empty Benktander band (maturity-v3) is not named
            + (f"below {self.benktander_below:.0%}: Benktander; " if self.benktander_below > self.bf_below else "")
            + f"from {self.benktander_below:.0%}: chain ladder; a-priori: Cape Cod on the "
            f"{self.basis} triangle, decay {self.apriori_decay:g}"
            + ("; each development factor credibility-weighted toward the triangle's exponential decay "
               "curve p by its precision, Z = (f − p)² / ((f − p)² + se²)" if self.factor_credibility else ""))}


# Tuned on CAS Schedule P 1998–2007 squares (chainladder's clrd2025) of comauto, othliab, ppauto,
# prodliab and wkcomp only; medmal was held out (reserving/engine/backtest.py, docs/decisions.md).
# Among the monotone rules ELR → BF → Benktander → CL searched, this one had the smallest
# worst-line ratio to the best single method over every cut set tried (1–9, 5–9, 9 alone) that
# did not hinge on one threshold; it does not beat every single method on every line.
MATURITY_V1 = DefaultRule(name="maturity-v1", basis="incurred", elr_below=0.20, bf_below=0.80,
                          benktander_below=0.95, apriori="capecod", apriori_decay=0.6)
# maturity-v1's selection on patterns whose factors are credibility-weighted toward the
# triangle's own decay curve by their precision (issue 12, decisions.md; one setting, the columns
# the curve is fitted on: 4+ ratios): one large claim in a thin column no longer becomes every
# younger origin's development; on the CAS lines it lowers the default's median error on four
# lines of five. Against the textbook single methods (volume-weighted factors: `backtest --singles
# volume`) it is below every one on four lines and level on wkcomp (.1306 against .1305); against
# the single methods on its own credibility-weighted pattern it is below them on two (issue 12).
MATURITY_V2 = DefaultRule(name="maturity-v2", basis="incurred", elr_below=0.20, bf_below=0.80,
                          benktander_below=0.95, apriori="capecod", apriori_decay=0.6, factor_credibility=True)
# maturity-v2 with Bornhuetter–Ferguson up to 95% maturity, then chain ladder (no Benktander band):
# the one threshold moved (bf_below 0.80 → 0.95) among the 1-parameter changes of v2 tried that
# brings the default's median absolute reserve error below every textbook single method (volume-
# weighted factors, `backtest --singles volume`) on all five non-medmal CAS lines, wkcomp the
# closest (2% below Benktander's); a company resampling keeps the win on wkcomp in under half of
# the resamples (issue 12, decisions.md). Between 80% and 95% maturity Benktander gives the chain
# ladder 96–100% of the weight (1 − q², q = 1 − maturity), BF 80–95%: BF keeps more of the a-priori
# for the share not yet reported.
MATURITY_V3 = DefaultRule(name="maturity-v3", basis="incurred", elr_below=0.20, bf_below=0.95,
                          benktander_below=0.95, apriori="capecod", apriori_decay=0.6, factor_credibility=True)
DEFAULT_RULE = MATURITY_V3
RULES = {r.name: r for r in (MATURITY_V1, MATURITY_V2, MATURITY_V3)}


@dataclass(frozen=True)
class OriginProjection:
    """What `project_origins` returns. `table` is indexed by origin (see `project_origins` for
    its columns); `provenance` says how it was made (JSON-able)."""

    table: pd.DataFrame
    provenance: dict = field(default_factory=dict)

    @property
    def apriori_source(self) -> str:
        return self.provenance["apriori_source"]

    @property
    def methods(self) -> list[str]:
        """The methods that could run (their ultimates are the `ult_<method>` columns)."""
        return list(self.provenance["methods"])

    @property
    def total(self) -> dict:
        """Sums over the origins of paid, incurred (when given), ultimate, ibnr and unpaid."""
        cols = [c for c in ("premium", "paid", "incurred", "ultimate", "ibnr", "unpaid") if c in self.table]
        return {c: float(self.table[c].sum()) for c in cols}

    def ultimates(self) -> dict:
        """{origin label: {method: ultimate}} for every method that ran."""
        return {origin_key(o): {m: float(self.table.at[o, f"ult_{m}"]) for m in self.methods}
                for o in self.table.index}


# ------------------------------------------------------------------------------------------ API
def project_origins(*, paid: Triangle, incurred: Triangle | None = None, exposure=None, apriori=None,
                    tail=1.0, rule: DefaultRule = DEFAULT_RULE, overrides: Mapping | None = None,
                    development=None) -> OriginProjection:
    """Every method side by side per origin and the selected ultimate (module docstring).

    paid, incurred: cumulative Triangles of the same origins and ages (incurred optional).
    exposure: earned premium by origin (a Series/dict by origin label, or an array in origin
        order); needed by BF, Benktander, Cape Cod and ELR.
    apriori: None (derived by the rule: Cape Cod on the basis triangle), a loss ratio > 0, or
        one per origin (Series/dict by label, or an array).
    tail: a factor ≥ 1 for both triangles, or {"paid": f, "incurred": f}.
    rule: the `DefaultRule` that selects by maturity.
    overrides: {origin: method} — replaces the rule for that origin; method is one of
        `METHODS` or an alias (`cl`/`chainladder`, `bf`, `benktander`, `capecod`: on the rule's
        basis triangle).
    development: None (volume-weighted over all periods), keyword arguments of `Development`,
        a `Development`/`DevelopmentConstant`, or {"paid": …, "incurred": …} of those.

    `table` columns (by origin): age, premium (if exposure), paid, incurred (if given),
    cdf_paid, maturity_paid, cdf_incurred, maturity_incurred (if incurred), maturity (on the
    basis used), apriori (if exposure), ult_<method> for every method that could run, method
    (the selected one), selected_by ("rule" or "override"), ultimate, ibnr (ultimate − incurred,
    or − paid without incurred), unpaid (ultimate − paid), flags (a list: negative_ibnr,
    negative_unpaid, override).

    A selected method that cannot run is a ParameterError naming the field: `exposure` (no
    premium), `apriori` (an a-priori ≤ 0), `incurred` (an incurred method without an incurred
    triangle), `overrides` (an unknown origin or method)."""
    if not isinstance(paid, Triangle):
        raise ParameterError(f"paid must be a Triangle, got {type(paid).__name__}", field="paid")
    if incurred is not None:
        _check_pair(paid, incurred)
    premium = None if exposure is None else align_exposure(exposure, paid)[None, :]
    given = None if apriori is None else _align_apriori(apriori, paid)[None, :]
    tails = _tails(tail)
    devs = _developments(development, rule)
    core = fit_core([paid], None if incurred is None else [incurred], premium, given, rule=rule,
                    tails=tails, developments=devs)
    basis = core.basis
    selected, selected_by = _selection(core, rule, overrides, paid)
    for name in set(selected):
        problem = core.unavailable[name][0]
        if problem is not None:
            where = [origin_key(o) for o, m in zip(paid.origins, selected) if m == name]
            raise ParameterError(f"method {name} (selected for origin {', '.join(where)}) cannot run: "
                                 f"{problem[1]}", field=problem[0])

    n = paid.shape[0]
    rows = np.arange(n)
    ult = {m: core.ult[m][0] for m in METHODS if core.unavailable[m][0] is None}
    ultimate = np.array([ult[m][i] for i, m in zip(rows, selected)], dtype=np.float64)
    reported = core.incurred[0] if incurred is not None else core.paid[0]
    ibnr = ultimate - reported
    unpaid = ultimate - core.paid[0]
    table = pd.DataFrame(index=pd.Index(paid.origins, name="origin"))
    table["age"] = paid.ages[paid.latest_index]
    if premium is not None:
        table["premium"] = premium[0]
    table["paid"] = core.paid[0]
    if incurred is not None:
        table["incurred"] = core.incurred[0]
    table["cdf_paid"] = core.cdf_paid[0]
    table["maturity_paid"] = 1.0 / core.cdf_paid[0]
    if incurred is not None:
        table["cdf_incurred"] = core.cdf_incurred[0]
        table["maturity_incurred"] = 1.0 / core.cdf_incurred[0]
    table["maturity"] = core.maturity[0]
    if premium is not None:
        table["apriori"] = core.apriori[0]
    for m, values in ult.items():
        table[f"ult_{m}"] = values
    table["method"] = selected
    table["selected_by"] = selected_by
    table["ultimate"] = ultimate
    table["ibnr"] = ibnr
    table["unpaid"] = unpaid
    table["flags"] = [[f for f, on in (("negative_ibnr", ibnr[i] < 0), ("negative_unpaid", unpaid[i] < 0),
                                       ("override", selected_by[i] == "override")) if on] for i in rows]
    numeric = table.select_dtypes("number").to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(numeric)):
        i, j = np.argwhere(~np.isfinite(numeric))[0]
        raise EngineError(f"{table.select_dtypes('number').columns[j]} for origin {origin_key(paid.origins[i])} "
                          f"is not finite", field="triangle")

    provenance = {
        "rule": rule.describe(),
        "basis": basis,
        "tail": {"paid": float(core.tail_paid[0]), **({"incurred": float(core.tail_incurred[0])}
                                                       if incurred is not None else {})},
        "apriori": _per_origin_or_scalar(core.apriori[0], paid) if premium is not None else None,
        "apriori_source": core.apriori_source,
        "capecod_apriori": ({"paid": float(core.capecod_paid[0]),
                             **({"incurred": float(core.capecod_incurred[0])} if incurred is not None else {})}
                            if premium is not None else None),
        "development": {"paid": _settings(devs["paid"]),
                        **({"incurred": _settings(devs["incurred"])} if incurred is not None else {})},
        "ldf": {"paid": _by_age(core.ldf_paid[0], paid),
                **({"incurred": _by_age(core.ldf_incurred[0], paid)} if incurred is not None else {})},
        "projected_to_age": int(paid.ages[-1]),
        "overrides": {origin_key(o): m for o, m, by in zip(paid.origins, selected, selected_by) if by == "override"},
        "methods": list(ult),
        "unavailable": {m: core.unavailable[m][0][1] for m in METHODS if core.unavailable[m][0] is not None},
    }
    return OriginProjection(table=table, provenance=provenance)


# ----------------------------------------------------------------------------- the stacked core
def fit_core(paid: list[Triangle], incurred: list[Triangle] | None, premium: np.ndarray | None,
             apriori: np.ndarray | None, *, rule: DefaultRule, tails: dict, developments: dict):
    """Every method's ultimate for k triangles of one shape at once (the back-test fits
    thousands). premium, apriori: (k, origins) arrays or None. Returns a namespace of (k, n)
    arrays: paid, incurred, cdf_paid, cdf_incurred, maturity, apriori, ult[method], and
    `unavailable[method]`: per triangle None or (field, reason) when the method cannot run."""
    k = len(paid)
    core = SimpleNamespace(incurred=None, cdf_incurred=None, ldf_incurred=None, tail_incurred=None)
    for name, tris in (("paid", paid), ("incurred", incurred)):
        if tris is None:
            continue
        tail = tails[name]
        per_triangle = isinstance(tail, np.ndarray)  # the back-test's own factors, one per triangle
        model = ChainLadder(development=developments[name],
                            tail=TailConstant(1.0 if per_triangle else tail)).fit_many(TriangleStack(tris))
        fitted_tail = np.asarray(model.stacked("tail"))
        cdf = np.asarray(model.stacked("origin_cdf"))
        if per_triangle:
            fitted_tail = fitted_tail * tail
            cdf = cdf * tail[:, None]
        setattr(core, name, np.asarray(model.stacked("latest")))
        setattr(core, f"cdf_{name}", cdf)
        setattr(core, f"ldf_{name}", np.asarray(model.stacked("ldf")))
        setattr(core, f"tail_{name}", fitted_tail)
    for name in ("cdf_paid", "cdf_incurred"):
        cdf = getattr(core, name)
        if cdf is not None and np.any(cdf <= 0):
            t, i = np.argwhere(cdf <= 0)[0]
            raise EngineError(f"{'triangle %d: ' % t if k > 1 else ''}the {name.split('_')[1]} pattern develops "
                              f"origin {origin_key(paid[t].origins[i])} to zero or below (CDF {cdf[t, i]:g})",
                              field="development")
    basis = "incurred" if (rule.basis == "incurred" and incurred is not None) else "paid"
    core.basis = basis
    latest_b, cdf_b = (core.incurred, core.cdf_incurred) if basis == "incurred" else (core.paid, core.cdf_paid)
    core.maturity = 1.0 / cdf_b
    n = core.paid.shape[1]
    none = [None] * k
    unavailable = {m: list(none) for m in METHODS}
    if incurred is None:
        for m in METHODS:
            if "incurred" in m:
                unavailable[m] = [("incurred", "no incurred triangle was given")] * k
    ult = {"paid_cl": core.paid * core.cdf_paid}
    if incurred is not None:
        ult["incurred_cl"] = core.incurred * core.cdf_incurred
    core.apriori = core.capecod_paid = core.capecod_incurred = None
    if premium is None:
        for m in _NEEDS_EXPOSURE:
            unavailable[m] = [("exposure", "no exposure (earned premium by origin) was given")] * k
        core.apriori_source = "none: no exposure was given"
    else:
        premium = np.asarray(premium, dtype=np.float64)
        if apriori is not None:
            core.apriori = np.broadcast_to(np.asarray(apriori, dtype=np.float64), (k, n))
            uniform = np.all(core.apriori == core.apriori[:, :1])
            core.apriori_source = "given" if uniform else "given by origin"
        else:
            local = capecod_ratio(latest_b, premium, cdf_b, rule.apriori_decay)
            overall = capecod_ratio(latest_b, premium, cdf_b, 1.0)
            # an origin whose neighbourhood shows no losses takes the ratio of all origins
            core.apriori = np.where(np.isfinite(local) & (local > 0), local, overall)
            core.apriori_source = (f"derived: Cape Cod on the {basis} triangle (decay {rule.apriori_decay:g}): "
                                   f"reported losses over used-up premium as at the valuation date")
        bad_apriori = ~(np.isfinite(core.apriori) & (core.apriori > 0)).all(axis=1)
        core.capecod_paid = capecod_ratio(core.paid, premium, core.cdf_paid, 1.0)[:, 0]
        if incurred is not None:
            core.capecod_incurred = capecod_ratio(core.incurred, premium, core.cdf_incurred, 1.0)[:, 0]
        a = np.where(np.isfinite(core.apriori), core.apriori, 0.0)
        for b, latest, cdf, cc in (("paid", core.paid, core.cdf_paid, core.capecod_paid),
                                   ("incurred", core.incurred, core.cdf_incurred, core.capecod_incurred)):
            if latest is None:
                continue
            q = 1.0 - 1.0 / cdf
            ult[f"bf_{b}"] = latest + q * a * premium
            ult[f"benktander_{b}"] = latest + q * ult[f"bf_{b}"]
            ok_cc = np.isfinite(cc) & (cc > 0)
            ult[f"capecod_{b}"] = latest + q * np.where(ok_cc, cc, 0.0)[:, None] * premium
            for t in np.flatnonzero(~ok_cc):
                unavailable[f"capecod_{b}"][t] = ("exposure", f"Cape Cod's fitted ratio on the {b} triangle is "
                                                  f"not a positive number ({cc[t]:g})")
        ult["elr"] = a * premium
        for t in np.flatnonzero(bad_apriori):
            row = core.apriori[t]
            i = int(np.argmax(~(np.isfinite(row) & (row > 0))))
            why = (f"the a-priori loss ratio for origin {origin_key(paid[t].origins[i])} is {row[i]:g}; it must "
                   f"be > 0" + ("" if apriori is not None else " (derived from the triangle: pass apriori=)"))
            for m in _NEEDS_APRIORI:
                if unavailable[m][t] is None:
                    unavailable[m][t] = ("apriori", why)
    for m, values in ult.items():
        for t in np.flatnonzero(~np.isfinite(values).all(axis=1)):
            if unavailable[m][t] is None:
                unavailable[m][t] = ("triangle", f"the {m} ultimate is not finite")
    core.ult = ult
    core.unavailable = unavailable
    return core


def capecod_ratio(latest: np.ndarray, premium: np.ndarray, cdf: np.ndarray, decay: float) -> np.ndarray:
    """Cape Cod's a-priori per origin: Σ_i decay^|i−j|·latest_i / Σ_i decay^|i−j|·premium_i/CDF_i
    (no trend), the formula of `CapeCod`; (k, n) arrays in, (k, n) out. Origins with no used-up
    premium do not enter; where nothing enters the ratio is NaN (the caller refuses it)."""
    n = latest.shape[1]
    used_up = premium / cdf
    enters = used_up != 0
    weights = float(decay) ** np.abs(np.arange(n)[:, None] - np.arange(n)[None, :])
    num = np.where(enters, latest, 0.0) @ weights.T
    den = np.where(enters, used_up, 0.0) @ weights.T
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den != 0, num / np.where(den != 0, den, 1.0), np.nan)


# ------------------------------------------------------------------------------------- helpers
def resolve_method(name, basis: str) -> str:
    """A method name or alias (`ALIASES`) as one of `METHODS`."""
    if not isinstance(name, str):
        raise ParameterError(f"unknown method {shown(name)}; known: {', '.join(METHODS)}", field="overrides")
    if name in METHODS:
        return name
    if name in ALIASES:
        return ALIASES[name].format(basis=basis)
    raise ParameterError(f"unknown method {name!r}; known: {', '.join(METHODS + tuple(ALIASES))}",
                         field="overrides")


def _selection(core, rule: DefaultRule, overrides, paid: Triangle):
    selected = list(rule.method_for(core.maturity[0], core.basis))
    selected_by = ["rule"] * len(selected)
    if overrides:
        if not isinstance(overrides, Mapping):
            raise ParameterError("overrides must be a mapping origin → method", field="overrides")
        keys = [origin_key(o) for o in paid.origins]
        for origin, name in overrides.items():
            key = origin_key(origin)
            if key not in keys:
                raise ParameterError(f"override for origin {key}, which the triangle does not have",
                                     field="overrides")
            i = keys.index(key)
            selected[i] = resolve_method(name, core.basis)
            selected_by[i] = "override"
    return selected, selected_by


def _check_pair(paid: Triangle, incurred: Triangle) -> None:
    if not isinstance(incurred, Triangle):
        raise ParameterError(f"incurred must be a Triangle, got {type(incurred).__name__}", field="incurred")
    same = (incurred.shape == paid.shape and np.array_equal(incurred.ages, paid.ages)
            and [origin_key(o) for o in incurred.origins] == [origin_key(o) for o in paid.origins])
    if not same:
        raise ParameterError("the incurred triangle must have the paid triangle's origins and ages",
                             field="incurred")
    if not np.array_equal(incurred.lengths, paid.lengths):
        i = int(np.argmax(incurred.lengths != paid.lengths))
        raise ParameterError(f"origin {origin_key(paid.origins[i])} is observed to a different age in the "
                             f"incurred triangle than in the paid one", field="incurred")


def _align_apriori(apriori, paid: Triangle) -> np.ndarray:
    if isinstance(apriori, (int, float, np.integer, np.floating)) and not isinstance(apriori, bool):
        values = np.full(paid.shape[0], float(apriori))
    else:
        try:
            values = align_exposure(apriori, paid)
        except EngineError as exc:
            raise ParameterError(exc.message.replace("exposure", "a-priori loss ratio"), field="apriori") from exc
    bad = ~(np.isfinite(values) & (values > 0))
    if bad.any():
        i = int(np.argmax(bad))
        raise ParameterError(f"the a-priori loss ratio for origin {origin_key(paid.origins[i])} is "
                             f"{shown(values[i])}; it must be > 0", field="apriori")
    return values


def _tails(tail) -> dict:
    tails = dict(tail) if isinstance(tail, Mapping) else {"paid": tail, "incurred": tail}
    unknown = set(tails) - {"paid", "incurred"}
    if unknown:
        raise ParameterError(f"tail keys are paid and incurred, got {sorted(unknown)[0]!r}", field="tail")
    # TailConstant validates the factors when the chain ladder is fitted (a number ≥ 1)
    return {key: (1.0 if tails.get(key) is None else tails[key]) for key in ("paid", "incurred")}


def _developments(development, rule: DefaultRule | None = None) -> dict:
    """The paid and incurred estimators: an estimator given is used as it is; None or keyword
    arguments build a `Development` with the rule's `factor_credibility` unless they set it."""
    credible = {"factor_credibility": True} if rule is not None and rule.factor_credibility else {}

    def one(spec, key):
        if spec is None:
            return Development(**credible)
        if isinstance(spec, (Development, DevelopmentConstant)):
            return spec
        if isinstance(spec, Mapping):
            try:
                return Development(**{**credible, **spec})
            except TypeError as exc:
                raise ParameterError(f"development ({key}): {exc}", field="development") from exc
        raise ParameterError(f"development must be Development keyword arguments or an estimator, got "
                             f"{type(spec).__name__}", field="development")

    if isinstance(development, Mapping) and set(development) and set(development) <= {"paid", "incurred"}:
        return {"paid": one(development.get("paid"), "paid"), "incurred": one(development.get("incurred"), "incurred")}
    return {"paid": one(development, "paid"), "incurred": one(development, "incurred")}


def _settings(dev) -> dict:
    """The configuration of a development estimator, JSON-able."""
    out = {"estimator": type(dev).__name__}
    for name, value in vars(dev).items():
        if name.startswith("_") or name.endswith("_"):
            continue
        if isinstance(value, dict):
            value = {str(k): (float(v) if isinstance(v, (int, float, np.number)) else v) for k, v in value.items()}
        elif isinstance(value, np.generic):
            value = value.item()
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    return out


def _by_age(ldf: np.ndarray, tri: Triangle) -> dict:
    return {str(int(a)): float(f) for a, f in zip(tri.ages[:-1], ldf)}


def _per_origin_or_scalar(values: np.ndarray, tri: Triangle):
    if np.all(values == values[0]):
        return float(values[0])
    return {origin_key(o): float(v) for o, v in zip(tri.origins, values)}
