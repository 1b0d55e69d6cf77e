"""Berquist–Sherman case-reserve adjustment: the incurred triangle restated to the case-reserve
adequacy of the latest diagonal (Berquist & Sherman 1977; Friedland, "Estimating Unpaid Claims
Using Basic Techniques", ch. 13).

When the claims department reserves more strongly (or weakly) in some calendar years, incurred
development along the diagonals mixes real development with the change in strength, and the
chain ladder carries the change into every projection. The adjustment replaces each earlier
cell's case reserve by the latest diagonal's average case reserve per open claim at the same age,
brought back to the cell's origin by a severity trend, times the cell's open claims:

    adjusted case[i, j] = avg_latest[j] / (1 + trend)^(i_latest(j) − i) × open[i, j]
    adjusted incurred   = paid + adjusted case

The latest diagonal is unchanged, so IBNR measured against the reported incurred is unchanged in
meaning. The severity trend, unless given, is fitted on the data: a weighted least-squares slope
of log(average case reserve per open claim) on the origin index within each age (age fixed
effects, weights the open claims). An age whose latest cell has no open claim keeps its cells.

`adjustment_applies(open_counts, min_open_claims)` is the runs' rule: averages per open claim on a
handful of claims are noise, so the adjustment applies only when the latest diagonal holds on
average at least `min_open_claims` open claims per age.

Pure: Triangles in, a Triangle and a JSON-able description out.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import ParameterError, shown
from .triangle import Triangle


@dataclass(frozen=True)
class CaseAdjustment:
    incurred: Triangle          # the adjusted incurred triangle
    trend: float                # severity trend per origin period used
    trend_source: str           # "given" | "fitted"
    base_average: dict          # age → the latest diagonal's average case reserve per open claim

    def describe(self) -> dict:
        return {"method": "berquist_sherman", "trend": self.trend, "trend_source": self.trend_source,
                "base_average_case": self.base_average}


def _check_same(paid: Triangle, other: Triangle, name: str) -> None:
    if other.shape != paid.shape or not np.array_equal(other.ages, paid.ages) or \
            not np.array_equal(other.lengths, paid.lengths):
        raise ParameterError(f"the {name} triangle must have the paid triangle's origins, ages and diagonal",
                             field=name)


def open_claims(reported: Triangle, closed: Triangle) -> np.ndarray:
    """Open claims per cell: reported − closed (never below 0); NaN beyond the diagonal."""
    _check_same(reported, closed, "closed")
    return np.maximum(reported.values - closed.values, 0.0)


def latest_open_average(open_counts: np.ndarray, lengths: np.ndarray) -> float:
    """Average open claims per age on the latest diagonal."""
    n = open_counts.shape[0]
    latest = open_counts[np.arange(n), lengths - 1]
    return float(np.nanmean(latest)) if n else 0.0


def adjustment_applies(open_counts: np.ndarray, lengths: np.ndarray, min_open_claims: float) -> tuple[bool, str]:
    """(whether the runs adjust, why): the latest diagonal must average at least
    `min_open_claims` open claims per age."""
    mean = latest_open_average(open_counts, lengths)
    if mean >= min_open_claims:
        return True, (f"case reserves restated to the latest diagonal's adequacy (Berquist–Sherman): {mean:.1f} "
                      f"open claims per age on the latest diagonal, at least {min_open_claims:g}")
    return False, (f"no case-reserve adjustment: {mean:.1f} open claims per age on the latest diagonal, fewer "
                   f"than {min_open_claims:g} (averages per open claim would be noise)")


def severity_trend(case: Triangle, open_counts: np.ndarray) -> float:
    """The severity trend per origin period fitted on log(case / open) with age fixed effects,
    weighted by the open claims; 0 when no age has two usable cells."""
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.log(case.values / open_counts)
    n, m = y.shape
    xs, ys, ws = [], [], []
    origin = np.arange(n, dtype=np.float64)
    for j in range(m):
        w = open_counts[:, j]
        ok = np.isfinite(y[:, j]) & np.isfinite(w) & (w > 0)
        if ok.sum() < 2:
            continue
        x, yy, ww = origin[ok], y[ok, j], w[ok]
        xs.append(x - np.average(x, weights=ww))
        ys.append(yy - np.average(yy, weights=ww))
        ws.append(ww)
    if not xs:
        return 0.0
    x, yv, wv = (np.concatenate(a) for a in (xs, ys, ws))
    denominator = float(np.sum(wv * x * x))
    if denominator <= 0:
        return 0.0
    return float(np.expm1(np.sum(wv * x * yv) / denominator))


def berquist_sherman(*, paid: Triangle, case: Triangle, open_counts: np.ndarray, trend=None) -> CaseAdjustment:
    """The adjusted incurred triangle (module docstring). trend: None (fitted) or a number > −1."""
    _check_same(paid, case, "case")
    if open_counts.shape != paid.shape:
        raise ParameterError("open claim counts must have the paid triangle's shape", field="open_counts")
    if trend is None:
        rate, source = severity_trend(case, open_counts), "fitted"
    else:
        try:
            rate = float(trend)
        except (TypeError, ValueError):
            raise ParameterError(f"severity trend must be a number, got {shown(trend)}", field="severity_trend") from None
        if not np.isfinite(rate) or rate <= -1:
            raise ParameterError(f"severity trend must be a number above −1, got {shown(trend)}", field="severity_trend")
        source = "given"
    values, n = case.values.copy(), paid.shape[0]
    latest_row = paid.lengths - 1            # the age index each origin has reached
    base = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        average = case.values / open_counts
    for j, age in enumerate(paid.ages):
        on_diagonal = np.flatnonzero(latest_row == j)
        if not len(on_diagonal):
            continue
        i0 = int(on_diagonal[0])
        b = average[i0, j]
        if not (np.isfinite(b) and open_counts[i0, j] > 0):
            continue
        base[str(int(age))] = float(b)
        rows = np.arange(n)
        earlier = (rows < i0) & np.isfinite(paid.values[:, j])
        values[earlier, j] = b / (1.0 + rate) ** (i0 - rows[earlier]) * open_counts[earlier, j]
    incurred = Triangle.from_array(paid.values + values, origins=list(paid.origins), ages=list(paid.ages),
                                   measure="incurred", allow_negative=True, allow_decrease=True,
                                   origin_months=paid.origin_months)
    return CaseAdjustment(incurred=incurred, trend=rate, trend_source=source, base_average=base)
