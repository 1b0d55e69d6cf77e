"""Back-test of the reserving methods and the default rule on fully developed squares.

A *square* is one company's (group's) paid, incurred (case-incurred = paid + case reserves) and
premium by origin, every origin observed to the last age (CAS Schedule P 1998–2007: ten
accident years × ten development years). `Backtest(cuts=…).fit(squares)` values each square
as at earlier dates: cutting the latest k calendar diagonals leaves the cells with
origin index + age index ≤ 2(n − 1) − k — k = n − 1 is the triangle as it was when the last
origin was at its first age, smaller k later dates (a trapezoid whose oldest origins are fully
developed). Each cut is projected with every single method and with the default rule
(`reserving.engine.default`, to the square's last age, no tail), and compared with what emerged:

    actual unpaid    = Σ over origins (truth − paid at the valuation date)
    estimated unpaid = Σ over origins (method's ultimate − paid at the valuation date)
    reserve error    = estimated unpaid / actual unpaid − 1        per company and cut

`truth` is the case-incurred amount at the square's last age ("incurred", the default: the
ultimate as the data knew it at age n) or the paid amount there ("paid"). Per line the summary
gives, for each method, the number of (company, cut) observations, the median absolute reserve
error and the aggregate error Σ estimated / Σ actual − 1 (pooled over companies and cuts; by cut
in `by_cut_`).

The single methods use the rule's own pattern by default (`singles="rule"`: for maturity-v2
the credibility-weighted factors), so that the default's gain is its selection alone;
`singles="volume"` fits them on plain volume-weighted factors over all periods — the textbook
methods (chainladder's defaults) — while the default keeps its rule's pattern.

Nothing of the future enters an estimate: the cut triangles, the premium by origin (earned by
the end of the origin period) and the rule; the a-priori is derived from the cut triangle.

Skipped, with the reason in `skipped_` (the same for every method, decided before any method
is looked at, except rule 5 which is about the outcome and equally blind to the methods):
  1. a group whose square is incomplete (a cell of paid, incurred or premium missing or not a
     number, or origins and ages not of one count);
  2. a group with premium ≤ 0 for an origin (BF, Benktander, Cape Cod and ELR cannot run);
  3. a group with no losses (total paid or total incurred at the last age ≤ 0);
  4. a (group, cut) on which some method cannot run (a development factor that cannot be
     estimated — every from-value zero —, a Cape Cod ratio or derived a-priori ≤ 0);
  5. a (group, cut) whose actual unpaid is ≤ 0 (nothing left to pay: the error is undefined).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .default import DEFAULT_RULE, METHODS, DefaultRule, _developments, fit_core
from .errors import EngineError, ParameterError, shown
from .triangle import Triangle

TRUTHS = ("incurred", "paid")
# the pattern of the single methods: the rule's own (the default's gain is its selection alone), or
# plain volume-weighted factors (the textbook methods an actuary would compare with)
SINGLES = ("rule", "volume")
DEFAULT_CUTS = tuple(range(1, 10))  # every valuation of a 10 × 10 square whose oldest origin is complete
REPORTED = METHODS + ("default",)


@dataclass(frozen=True, eq=False)
class Square:
    """One group's fully developed square: (n, n) paid and incurred, premium by origin."""

    line: str
    group: str
    origins: tuple
    ages: tuple
    paid: np.ndarray
    incurred: np.ndarray
    premium: np.ndarray


def schedule_p_long(frame: pd.DataFrame) -> pd.DataFrame:
    """The CAS Schedule P loss-reserve database (chainladder's clrd / clrd2025 CSV: GRCODE,
    AccidentYear, DevelopmentLag, CumPaidLoss, IncurLoss or IncurredLosses, BulkLoss,
    EarnedPremNet, LOB) as the long contract `squares_from_long` reads: line, company, origin,
    age, paid, incurred (case-incurred = incurred losses − bulk and IBNR reserves), premium (net
    earned)."""
    incurred = "IncurLoss" if "IncurLoss" in frame.columns else "IncurredLosses"
    need = ["GRCODE", "AccidentYear", "DevelopmentLag", "CumPaidLoss", incurred, "BulkLoss", "EarnedPremNet", "LOB"]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise ParameterError(f"not a Schedule P frame: column {missing[0]!r} missing", field=missing[0])
    return pd.DataFrame({"line": frame["LOB"].astype(str), "company": frame["GRCODE"].astype(str),
                         "origin": frame["AccidentYear"], "age": frame["DevelopmentLag"],
                         "paid": frame["CumPaidLoss"], "incurred": frame[incurred] - frame["BulkLoss"],
                         "premium": frame["EarnedPremNet"]})


def squares_from_long(frame: pd.DataFrame, *, group: str = "company", line: str | None = "line",
                      origin: str = "origin", age: str | None = None, paid: str = "paid",
                      incurred: str = "incurred", premium: str = "premium"):
    """Squares from long rows (one per group × origin × age) and the groups refused (skip rules
    1–3 of the module docstring) as (squares, skipped rows). `age` defaults to the column "age"
    or "development"; `line` may be None (one line, "all"). Premium is by origin: where a
    group's rows differ, the value on the origin's earliest age is used."""
    if age is None:
        age = "age" if "age" in frame.columns else "development"
    need = [group, origin, age, paid, incurred, premium] + ([line] if line else [])
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise ParameterError(f"squares file lacks column {missing[0]!r}; have {', '.join(map(str, frame.columns))}",
                             field=missing[0])
    data = frame.copy()
    data["_line"] = data[line].astype(str) if line else "all"
    data["_group"] = data[group].astype(str)
    for col in (paid, incurred, premium):
        data[col] = pd.to_numeric(data[col], errors="coerce")
    data[age] = pd.to_numeric(data[age], errors="coerce")
    squares, skipped = [], []
    for (line_name, group_name), rows in data.groupby(["_line", "_group"], sort=True):
        def skip(reason):
            skipped.append({"line": line_name, "group": group_name, "cut": None, "reason": reason})

        origins = sorted(rows[origin].unique())
        ages = sorted(rows[age].dropna().unique())
        if len(origins) != len(ages) or len(ages) < 3:
            skip(f"incomplete square: {len(origins)} origins × {len(ages)} ages")
            continue
        if rows.duplicated([origin, age]).any():
            skip("incomplete square: an origin × age appears twice")
            continue
        wide = rows.pivot(index=origin, columns=age, values=[paid, incurred]).reindex(index=origins)
        p = wide[paid].reindex(columns=ages).to_numpy(dtype=np.float64)
        c = wide[incurred].reindex(columns=ages).to_numpy(dtype=np.float64)
        first = rows.sort_values(age).drop_duplicates(origin).set_index(origin)[premium].reindex(origins)
        e = first.to_numpy(dtype=np.float64)
        if not (np.isfinite(p).all() and np.isfinite(c).all()):
            skip(f"incomplete square: {int((~np.isfinite(p)).sum() + (~np.isfinite(c)).sum())} cells missing")
            continue
        if not np.all(np.isfinite(e) & (e > 0)):
            k = int(np.argmax(~(np.isfinite(e) & (e > 0))))
            skip(f"premium ≤ 0 or missing for origin {origins[k]}")
            continue
        if p[:, -1].sum() <= 0 or c[:, -1].sum() <= 0:
            skip("no losses: total paid or incurred at the last age ≤ 0")
            continue
        squares.append(Square(line=line_name, group=group_name, origins=tuple(origins),
                              ages=tuple(int(a) for a in ages), paid=p, incurred=c, premium=e))
    return squares, skipped


def cut_mask(n: int, k: int) -> np.ndarray:
    """Observed cells of an n × n square valued k calendar diagonals before its last."""
    i, j = np.indices((n, n))
    return i + j <= 2 * (n - 1) - k


class Backtest:
    """Cut, project, compare (module docstring). Configuration in `__init__`; `fit(squares)`
    (a list of `Square`, or a long DataFrame for `squares_from_long`) returns self with
    `results_` (one row per line, group, cut, method: estimate, actual, error), `summary_`
    (per line and method: n, median_abs_error, aggregate_error), `by_cut_` (the same per cut)
    and `skipped_` (line, group, cut, reason)."""

    def __init__(self, rule: DefaultRule = DEFAULT_RULE, cuts=DEFAULT_CUTS, truth: str = "incurred",
                 development=None, singles: str = "rule"):
        self.rule = rule
        self.cuts = cuts
        self.truth = truth
        self.development = development
        self.singles = singles

    def _check(self, n: int) -> list[int]:
        if self.truth not in TRUTHS:
            raise ParameterError(f"truth must be one of {', '.join(TRUTHS)}, got {shown(self.truth)}", field="truth")
        if not isinstance(self.rule, DefaultRule):
            raise ParameterError("rule must be a DefaultRule", field="rule")
        if self.singles not in SINGLES:
            raise ParameterError(f"singles must be one of {', '.join(SINGLES)}, got {shown(self.singles)}",
                                 field="singles")
        if self.singles != "rule" and self.development is not None:
            raise ParameterError("singles \"volume\" fits the single methods on volume-weighted factors; "
                                 "it does not combine with a development given", field="singles")
        cuts = [self.cuts] if isinstance(self.cuts, (int, np.integer)) else list(self.cuts)
        for k in cuts:
            if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 1 <= k <= n - 1:
                raise ParameterError(f"a cut must be a whole number of diagonals in 1..{n - 1} (n − 1 is the "
                                     f"triangle as the last origin's first age saw it), got {shown(k)}",
                                     field="cuts")
        return sorted(set(int(k) for k in cuts))

    def fit(self, squares) -> "Backtest":
        skipped = []
        if isinstance(squares, pd.DataFrame):
            squares, skipped = squares_from_long(squares)
        squares = list(squares)
        rows = []
        by_shape: dict[tuple, list[Square]] = {}
        for sq in squares:
            by_shape.setdefault((sq.line, sq.paid.shape[0]), []).append(sq)
        for (line, n), group in by_shape.items():
            for k in self._check(n):
                rows += self._fit_cut(group, k, skipped)
        columns = ["line", "group", "cut", "method", "estimate", "actual", "error"]
        self.results_ = pd.DataFrame(rows, columns=columns)
        self.skipped_ = pd.DataFrame(skipped, columns=["line", "group", "cut", "reason"])
        self.summary_ = summarise(self.results_, ["line", "method"])
        self.by_cut_ = summarise(self.results_, ["line", "cut", "method"])
        return self

    def _fit_cut(self, squares: list[Square], k: int, skipped: list) -> list[dict]:
        """Every method on every square of one line valued k diagonals back."""
        n = squares[0].paid.shape[0]
        mask = cut_mask(n, k)
        projections, kept, _ = project_cut(squares, k, self.rule, self.development, skipped, self.truth,
                                           self.singles)
        rows = []
        for sq, proj in zip(kept, projections):
            paid_v = np.where(mask, sq.paid, np.nan)[np.arange(n), mask.sum(axis=1) - 1]
            truth = (sq.incurred if self.truth == "incurred" else sq.paid)[:, -1]
            actual = float(np.sum(truth - paid_v))
            if not actual > 0:
                skipped.append({"line": sq.line, "group": sq.group, "cut": k,
                                "reason": f"nothing left to pay: actual unpaid {actual:g} ≤ 0"})
                continue
            for method, ultimate in proj.items():
                estimate = float(np.sum(ultimate - paid_v))
                rows.append({"line": sq.line, "group": sq.group, "cut": k, "method": method,
                             "estimate": estimate, "actual": actual, "error": estimate / actual - 1.0})
        return rows


def level_tails(squares: list[Square], k: int, truth: str) -> dict:
    """The factor that brings the other triangle to the truth's level: for truth "incurred",
    paid's tail = Σ incurred / Σ paid at the last age over the origins that have reached it by
    the valuation date (known then: no hindsight), incurred's 1; for truth "paid" the reverse.
    Without it a paid projection to the last age would leave out the case reserves still open
    there, and an incurred one would count them as paid."""
    n = squares[0].paid.shape[0]
    done = cut_mask(n, k)[:, -1]  # origins observed at the last age
    paid = np.array([sq.paid[done, -1].sum() for sq in squares])
    inc = np.array([sq.incurred[done, -1].sum() for sq in squares])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = inc / paid if truth == "incurred" else paid / inc
    ratio = np.where(np.isfinite(ratio) & (ratio > 0), ratio, 1.0)
    ones = np.ones(len(squares))
    return {"paid": ratio, "incurred": ones} if truth == "incurred" else {"paid": ones, "incurred": ratio}


def project_cut(squares: list[Square], k: int, rule: DefaultRule, development=None, skipped=None,
                truth: str = "incurred", singles: str = "rule"):
    """The ultimates by method (and "default") of each square valued k diagonals back, fitted
    in one stacked pass; squares on which some method cannot run are left out (and listed in
    `skipped` when given). `singles` "volume" fits the single methods on plain volume-weighted
    factors (the default keeps the rule's pattern). Returns (list of {method: ultimates by
    origin}, kept squares, list of maturities by origin on the rule's basis)."""
    skipped = [] if skipped is None else skipped
    n = squares[0].paid.shape[0]
    mask = cut_mask(n, k)
    devs = _developments(development, rule)
    single_devs = None if singles == "rule" else _developments(None, None)

    def triangles(sq):
        ages = list(sq.ages)
        paid = Triangle.from_array(np.where(mask, sq.paid, np.nan), origins=list(sq.origins), ages=ages,
                                   allow_negative=True, allow_decrease=True)
        inc = Triangle.from_array(np.where(mask, sq.incurred, np.nan), origins=list(sq.origins), ages=ages,
                                  allow_negative=True, allow_decrease=True)
        return paid, inc

    built = [triangles(sq) for sq in squares]
    ok = [_estimable(p.values) and _estimable(c.values) for p, c in built]
    for sq, good in zip(squares, ok):
        if not good:
            skipped.append({"line": sq.line, "group": sq.group, "cut": k,
                            "reason": "a development factor cannot be estimated (every from-value zero)"})
    kept = [sq for sq, good in zip(squares, ok) if good]
    built = [b for b, good in zip(built, ok) if good]
    if not kept:
        return [], [], []

    def fit(items, tris):
        premium = np.stack([sq.premium for sq in items])
        args = ([p for p, _ in tris], [c for _, c in tris], premium, None)
        tails = level_tails(items, k, truth)
        core = fit_core(*args, rule=rule, tails=tails, developments=devs)
        if single_devs is None:
            return core, core
        return core, fit_core(*args, rule=rule, tails=tails, developments=single_devs)

    try:
        cores = [(fit(kept, built), list(range(len(kept))))]
    except EngineError:  # one square the stack cannot fit: fit one by one and skip the failures
        cores = []
        for t, (sq, tri) in enumerate(zip(kept, built)):
            try:
                cores.append((fit([sq], [tri]), [t]))
            except EngineError as exc:
                skipped.append({"line": sq.line, "group": sq.group, "cut": k, "reason": exc.message})
    out, out_squares, maturities = [], [], []
    for (core, single), index in cores:
        selected = rule.method_for(core.maturity, core.basis)
        for row, t in enumerate(index):
            problem = next((c.unavailable[m][row] for c in (core, single) for m in METHODS
                            if c.unavailable[m][row]), None)
            if problem is not None:
                skipped.append({"line": kept[t].line, "group": kept[t].group, "cut": k,
                                "reason": f"a method cannot run: {problem[1]}"})
                continue
            ult = {m: single.ult[m][row] for m in METHODS}
            ult["default"] = np.array([core.ult[m][row][i] for i, m in enumerate(selected[row])])
            out.append(ult)
            out_squares.append(kept[t])
            maturities.append(core.maturity[row])
    return out, out_squares, maturities


def _estimable(values: np.ndarray) -> bool:
    """Every development column has a usable link (a from-value ≠ 0 with a successor), and the
    volume-weighted from-values do not sum to zero."""
    x, y = values[:, :-1], values[:, 1:]
    use = np.isfinite(y) & (x != 0)
    return bool(use.any(axis=0).all() and np.all(np.where(use, x, 0.0).sum(axis=0) != 0))


def summarise(results: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """n, median absolute reserve error and aggregate error (Σ estimate / Σ actual − 1)."""
    if results.empty:
        return pd.DataFrame(columns=by + ["n", "median_abs_error", "aggregate_error"])
    grouped = results.assign(abs_error=results["error"].abs()).groupby(by, sort=False)
    out = pd.DataFrame({"n": grouped.size(), "median_abs_error": grouped["abs_error"].median(),
                        "aggregate_error": grouped["estimate"].sum() / grouped["actual"].sum() - 1.0})
    return out.reset_index()


def summary_table(summary: pd.DataFrame, value: str = "median_abs_error") -> pd.DataFrame:
    """The summary as a line × method table of one value (methods in `REPORTED` order)."""
    table = summary.pivot(index="line", columns="method", values=value)
    return table.reindex(columns=[m for m in REPORTED if m in table.columns])


# ------------------------------------------------------------------ a book's own history
def emergence_backtest(*, paid: Triangle, incurred: Triangle, exposure, cuts=(1, 2, 3), rule: DefaultRule = DEFAULT_RULE,
                       development=None) -> pd.DataFrame:
    """The back-test on a book's own history, where no square is fully developed: the triangle
    as it was k diagonals ago (the latest k diagonals cut: an as-of valuation by accounting
    date) is projected by every method and the default rule, and the incurred each method's
    IBNR was expected to bring by now is compared with what came:

        expected_i = (U_i − L_i) · (1/CDF_now,i − 1/CDF_cut,i) / (1 − 1/CDF_cut,i)
        actual_i   = incurred now − L_i

    with L_i the origin's incurred at the cut, U_i the method's ultimate, CDF_cut and CDF_now
    the cut's incurred pattern (to the last age the cut had seen, no tail; beyond it the
    pattern expects nothing) from the origin's age then and now. Paid methods are levelled to
    incurred by Σ incurred ÷ Σ paid of the origins the cut saw at its last age. For the chain ladder this is the incurred its own factors project; for BF the
    a-priori IBNR's expected emergence. Origins mature at the cut (CDF 1) expect nothing. Only
    what the cut knew enters an estimate (the a-priori is derived from the cut triangle).

    paid, incurred: cumulative Triangles of one staircase (consecutive origins, the latest
    diagonal the valuation); exposure: earned premium by origin. Returns one row per cut and
    method (`REPORTED`): expected, actual, error = Σ expected / Σ actual − 1 over the origins
    known at the cut (None when nothing emerged), origins."""
    if not isinstance(paid, Triangle) or not isinstance(incurred, Triangle) or paid.shape != incurred.shape:
        raise ParameterError("paid and incurred must be Triangles of one shape", field="triangle")
    n, m = paid.shape
    premium = np.asarray(exposure, dtype=np.float64).reshape(-1)
    if premium.shape != (n,):
        raise ParameterError(f"exposure must give one premium per origin ({n}), got {premium.shape[0]}",
                             field="exposure")
    cuts = [cuts] if isinstance(cuts, (int, np.integer)) else list(cuts)
    for k in cuts:
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 1 <= k <= n - 2:
            raise ParameterError(f"a cut must be a whole number of diagonals in 1..{n - 2}, got {shown(k)}",
                                 field="cuts")
    latest_index = paid.lengths - 1                       # age index each origin has reached now
    diagonal = np.arange(n)[:, None] + np.arange(m)[None, :]
    last_diagonal = int(np.max(np.arange(n) + latest_index))
    now_incurred = incurred.values[np.arange(n), latest_index]
    devs = _developments(development, rule)
    rows = []
    for k in sorted(set(int(c) for c in cuts)):
        keep_rows = n - k
        observed = (diagonal <= last_diagonal - k)[:keep_rows]
        keep_ages = int(observed.sum(axis=1).max())   # ages the cut had seen (later ones: the pattern ends)
        observed = observed[:, :keep_ages]

        def cut(tri):
            return Triangle.from_array(np.where(observed, tri.values[:keep_rows, :keep_ages], np.nan),
                                       origins=list(tri.origins[:keep_rows]), ages=list(tri.ages[:keep_ages]),
                                       allow_negative=True, allow_decrease=True, origin_months=tri.origin_months)
        p_cut, i_cut = cut(paid), cut(incurred)
        # paid methods are brought to the incurred level the cut saw at its last age (as level_tails)
        done = observed[:, -1]
        with np.errstate(divide="ignore", invalid="ignore"):
            level = float(np.sum(i_cut.values[done, -1]) / np.sum(p_cut.values[done, -1]))
        level = level if np.isfinite(level) and level > 0 else 1.0
        core = fit_core([p_cut], [i_cut], premium[None, :keep_rows], None, rule=rule,
                        tails={"paid": np.array([level]), "incurred": 1.0}, developments=devs)
        ldf = core.ldf_incurred[0]
        cdf_from = np.append(np.cumprod(ldf[::-1])[::-1], 1.0)     # CDF from each age index to the last age
        age_cut = i_cut.lengths - 1
        age_now = np.minimum(latest_index[:keep_rows], keep_ages - 1)
        cdf_cut, cdf_now = cdf_from[age_cut], cdf_from[age_now]
        latest_cut = core.incurred[0]
        actual = now_incurred[:keep_rows] - latest_cut
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(cdf_cut > 1.0, (1.0 / cdf_now - 1.0 / cdf_cut) / (1.0 - 1.0 / cdf_cut), 0.0)
        selected = rule.method_for(core.maturity[0], core.basis)
        ultimates = {mth: core.ult[mth][0] for mth in METHODS if core.unavailable[mth][0] is None}
        if all(mth in ultimates for mth in set(selected)):
            ultimates["default"] = np.array([ultimates[mth][i] for i, mth in enumerate(selected)])
        for method in REPORTED:
            if method not in ultimates:
                continue
            expected = float(np.sum((ultimates[method] - latest_cut) * share))
            total = float(np.sum(actual))
            rows.append({"cut": k, "method": method, "expected": expected, "actual": total,
                         "error": (expected / total - 1.0) if total != 0 else None, "origins": keep_rows})
    return pd.DataFrame(rows, columns=["cut", "method", "expected", "actual", "error", "origins"])


def emergence_summary(results: pd.DataFrame) -> pd.DataFrame:
    """Per method over the cuts: mean absolute error and the aggregate error."""
    if results.empty:
        return pd.DataFrame(columns=["method", "cuts", "mean_abs_error", "aggregate_error"])
    usable = results.dropna(subset=["error"])
    grouped = usable.assign(abs_error=usable["error"].abs()).groupby("method", sort=False)
    out = pd.DataFrame({"cuts": grouped.size(), "mean_abs_error": grouped["abs_error"].mean(),
                        "aggregate_error": grouped["expected"].sum() / grouped["actual"].sum() - 1.0})
    return out.reindex([m for m in REPORTED if m in out.index]).reset_index()
