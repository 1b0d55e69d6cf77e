"""Diagnostics beside a reserving selection (issue 13 §3; Friedland, "Estimating Unpaid Claims
Using Basic Techniques", ch. 6 and 13): the ratios an actuary reads by origin and age before
trusting a development pattern, the rules that warn when they move along the latest diagonal,
actual against expected emergence between two valuations, and the flags on a selection.

**Shifts along the diagonal (Berquist–Sherman territory).** A change in how strongly the claims
department reserves, or in how fast it settles, is a calendar-period effect: it shows on the
latest diagonal at many ages at once. `diagonal_shift` tests each age (column): the cell on the
latest diagonal against the straight-line trend (least squares on the origin index) of the same
age's cells on the `SHIFT_WINDOW` = 4 diagonals before it, at least `SHIFT_MIN_POINTS` = 3 of
them usable. An age is flagged when the latest cell deviates from that trend by more than:

* average case reserve per open claim (case adequacy): `CASE_ADEQUACY_SHIFT` = 25% of the
  trend value (relative); only cells with at least `MIN_CLAIMS` = 5 open claims are used, an
  average over one or two claims being noise;
* closure rate, closed ÷ reported claims (settlement speed): `SETTLEMENT_SPEED_SHIFT` = 0.10
  (ten percentage points, absolute); cells with at least `MIN_CLAIMS` reported claims;
* paid-to-incurred ratio (case adequacy seen through payments): `PAID_TO_INCURRED_SHIFT` = 0.10
  (absolute); cells with positive incurred.

The segment is warned (`DiagonalShift.shifted`) when at least two ages were tested and at least
half of the tested ages (and at least two) are flagged in the same direction: one odd cell is an
outlier, a diagonal moving together is a shift.

**Actual vs expected emergence.** Between a prior valuation and this one, the reported amount of
an origin is expected to grow by its prior ultimate × (percent developed now − percent developed
then), the percent developed being 1 ÷ CDF of the prior run's pattern (`percent_developed`:
linear in age between the pattern's ages, 0 at age 0, 1 ÷ CDF of the last age — the tail — held
beyond it). Actual emergence is the reported amount now less then.

**Flags on a selection.** LDFs below 1 (`ldfs_below_one`); ages whose factor rests on fewer than
`FEW_LINK_RATIOS` = 3 link ratios (`few_ratio_ages`); a selected factor far from every average of
the exhibit (`far_from_averages`): |selected − average| > max(`FAR_RELATIVE` = 10% of the
average's development portion |average − 1|, `FAR_ABSOLUTE` = 0.01) for every average of the age.

**The bootstrap as a histogram.** A stored bootstrap keeps percentiles, not draws:
`histogram_from_percentiles` turns consecutive percentiles into bars whose area is the probability
between them (1st to 5th: 4%), so the density drawn is the stored distribution's, piecewise flat.

Pure: arrays, Triangles and mappings in, DataFrames and plain values out.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from .errors import ParameterError
from .triangle import Triangle

CASE_ADEQUACY_SHIFT = 0.25
SETTLEMENT_SPEED_SHIFT = 0.10
PAID_TO_INCURRED_SHIFT = 0.10
SHIFT_WINDOW = 4
SHIFT_MIN_POINTS = 3
MIN_CLAIMS = 5
FEW_LINK_RATIOS = 3
FAR_RELATIVE = 0.10
FAR_ABSOLUTE = 0.01


# ------------------------------------------------------------------------ ratios by origin and age
def _ratio(num: np.ndarray, den: np.ndarray, usable: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(usable & np.isfinite(num) & np.isfinite(den) & (den != 0), num / den, np.nan)


def _frame(values: np.ndarray, like: Triangle) -> pd.DataFrame:
    return pd.DataFrame(values, index=like.origins, columns=pd.Index(like.ages, name="age"))


def _check_same(a: Triangle, b: Triangle, name: str) -> None:
    if a.shape != b.shape or not np.array_equal(a.ages, b.ages) or not np.array_equal(a.lengths, b.lengths):
        raise ParameterError(f"the {name} triangle must have the same origins, ages and diagonal", field=name)


def paid_to_incurred(paid: Triangle, incurred: Triangle) -> pd.DataFrame:
    """Paid ÷ incurred per cell (NaN where incurred is not positive)."""
    _check_same(paid, incurred, "incurred")
    return _frame(_ratio(paid.values, incurred.values, incurred.values > 0), paid)


def open_counts(reported: Triangle, closed: Triangle) -> np.ndarray:
    """Open claims per cell: reported − closed, never below 0 (NaN beyond the diagonal)."""
    _check_same(reported, closed, "closed")
    return np.maximum(reported.values - closed.values, 0.0)


def average_case_reserve(case: Triangle, open_claims: np.ndarray) -> pd.DataFrame:
    """Case reserve (outstanding) per open claim (NaN where no claim is open)."""
    if open_claims.shape != case.shape:
        raise ParameterError("open claim counts must have the case triangle's shape", field="open_claims")
    return _frame(_ratio(case.values, open_claims, open_claims > 0), case)


def closure_rate(closed: Triangle, reported: Triangle) -> pd.DataFrame:
    """Closed ÷ reported claims per cell (NaN where none is reported)."""
    _check_same(reported, closed, "closed")
    return _frame(_ratio(closed.values, reported.values, reported.values > 0), reported)


# ------------------------------------------------------------------------ shifts along the diagonal
@dataclass(frozen=True)
class DiagonalShift:
    """`table` by age: origin (of the latest-diagonal cell), latest, expected (the earlier
    diagonals' trend), deviation (relative or absolute, as tested), points (cells the trend rests
    on), flagged; `tested`/`up`/`down` count ages; `shifted` and `direction` ("up", "down" or
    None) are the segment's warning (module docstring)."""

    table: pd.DataFrame
    relative: bool
    threshold: float
    tested: int
    up: int
    down: int

    @property
    def shifted(self) -> bool:
        most = max(self.up, self.down)
        return self.tested >= 2 and most >= 2 and 2 * most >= self.tested

    @property
    def direction(self) -> str | None:
        if not self.shifted:
            return None
        return "up" if self.up >= self.down else "down"


def diagonal_shift(values: pd.DataFrame, lengths, *, relative: bool, threshold: float,
                   usable: np.ndarray | None = None, window: int = SHIFT_WINDOW,
                   min_points: int = SHIFT_MIN_POINTS) -> DiagonalShift:
    """Each age's latest-diagonal cell against the linear trend of the same age on the `window`
    diagonals before it (module docstring). values: origin × age (a triangle's ratios); lengths:
    each origin's observed ages; usable: cells that may be used (default: every finite one)."""
    arr = np.asarray(values.to_numpy(), dtype=np.float64)
    lengths = np.asarray(lengths, dtype=int)
    ok = np.isfinite(arr) if usable is None else (np.asarray(usable, dtype=bool) & np.isfinite(arr))
    rows = []
    up = down = tested = 0
    for j, age in enumerate(values.columns):
        on_diagonal = np.flatnonzero(lengths - 1 == j)
        row = {"age": int(age), "origin": None, "latest": np.nan, "expected": np.nan, "deviation": np.nan,
               "points": 0, "flagged": False}
        if len(on_diagonal):
            i0 = int(on_diagonal[-1])
            row["origin"] = values.index[i0]
            earlier = [i for i in range(i0 - 1, max(i0 - 1 - window, -1), -1) if ok[i, j]]
            row["points"] = len(earlier)
            if ok[i0, j]:
                row["latest"] = float(arr[i0, j])
            if ok[i0, j] and len(earlier) >= min_points:
                x = np.array(earlier, dtype=np.float64)
                slope, intercept = np.polyfit(x, arr[earlier, j], 1)
                expected = float(intercept + slope * i0)
                row["expected"] = expected
                if relative:
                    deviation = row["latest"] / expected - 1.0 if expected > 0 else np.nan
                else:
                    deviation = row["latest"] - expected
                row["deviation"] = deviation
                if np.isfinite(deviation):
                    tested += 1
                    if abs(deviation) > threshold:
                        row["flagged"] = True
                        up += deviation > 0
                        down += deviation < 0
        rows.append(row)
    table = pd.DataFrame(rows, columns=["age", "origin", "latest", "expected", "deviation", "points", "flagged"])
    return DiagonalShift(table=table.set_index("age"), relative=relative, threshold=float(threshold),
                         tested=tested, up=int(up), down=int(down))


# ------------------------------------------------------------------------ actual vs expected
def percent_developed(cdf: Mapping, age: float) -> float:
    """The share of the ultimate reported by `age` (months) by a pattern's CDFs {age: CDF to
    ultimate}: 1 ÷ CDF at the pattern's ages, linear in age between them, 0 at age 0, and 1 ÷ CDF
    of the last age (its tail) held beyond it."""
    points = sorted((float(a), float(c)) for a, c in cdf.items())
    if not points:
        raise ParameterError("a pattern needs at least one CDF", field="cdf")
    if any(not np.isfinite(c) or c <= 0 for _, c in points):
        raise ParameterError("CDFs must be positive numbers", field="cdf")
    ages = np.array([0.0] + [a for a, _ in points])
    share = np.array([0.0] + [1.0 / c for _, c in points])
    return float(np.interp(float(age), ages, share))


def expected_emergence(prior: pd.DataFrame, reported_now: Mapping, *, months: int, cdf: Mapping) -> pd.DataFrame:
    """Actual against expected emergence per origin known at the prior valuation.

    prior: by origin, `age` (months at the prior valuation), `reported` (then) and `ultimate`
    (the prior run's selected ultimate); reported_now: origin → reported now; months between the
    valuations; cdf: the prior run's pattern. Returns by origin: age_then, age_now,
    developed_then, developed_now, expected = ultimate × (developed_now − developed_then),
    actual = reported now − then, difference = actual − expected, and actual ÷ expected (NaN
    where nothing was expected)."""
    if months < 0:
        raise ParameterError(f"the valuations must be in order, got {months} months between them", field="months")
    out = []
    for origin, row in prior.iterrows():
        if origin not in reported_now:
            continue
        age0, age1 = float(row["age"]), float(row["age"]) + months
        d0, d1 = percent_developed(cdf, age0), percent_developed(cdf, age1)
        expected = float(row["ultimate"]) * (d1 - d0)
        actual = float(reported_now[origin]) - float(row["reported"])
        out.append({"origin": origin, "age_then": int(age0), "age_now": int(age1), "ultimate_then": float(row["ultimate"]),
                    "developed_then": d0, "developed_now": d1, "expected": expected, "actual": actual,
                    "difference": actual - expected,
                    "actual_to_expected": actual / expected if expected != 0 else np.nan})
    columns = ["age_then", "age_now", "ultimate_then", "developed_then", "developed_now", "expected", "actual",
               "difference", "actual_to_expected"]
    if not out:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="origin"))
    return pd.DataFrame(out).set_index("origin")[columns]


# ------------------------------------------------------------------------ flags on a selection
def ldfs_below_one(ldf: Mapping) -> list[tuple[int, float]]:
    """(age, factor) of every age-to-age factor below 1, by age."""
    return sorted((int(a), float(f)) for a, f in ldf.items() if f is not None and float(f) < 1.0)


def link_ratio_counts(triangle: Triangle) -> pd.Series:
    """How many link ratios each age has (from a non-zero value to an observed one)."""
    x, y = triangle.values[:, :-1], triangle.values[:, 1:]
    counts = (np.isfinite(x) & np.isfinite(y) & (x != 0)).sum(axis=0)
    return pd.Series(counts.astype(int), index=pd.Index(triangle.ages[:-1], name="age"), name="link_ratios")


def few_ratio_ages(counts: Mapping, minimum: int = FEW_LINK_RATIOS) -> list[tuple[int, int]]:
    """(age, link ratios) of every age resting on fewer than `minimum` ratios."""
    return sorted((int(a), int(n)) for a, n in counts.items() if int(n) < minimum)


def far_from_averages(selected: Mapping, averages: pd.DataFrame, *, skip=(), relative: float = FAR_RELATIVE,
                      absolute: float = FAR_ABSOLUTE) -> pd.DataFrame:
    """Ages whose selected factor is far from every average of the exhibit (module docstring):
    by age, the selected factor, the nearest average (its label and value) and the distance.
    averages: rows the averages, columns the ages (`link_ratio_averages`); skip: ages not
    judged (those the thin-age rule set to 1.0, flagged as resting on few ratios)."""
    rows = []
    skipped = {int(a) for a in skip}
    for age in averages.columns:
        key = int(age)
        if key in skipped or selected.get(key) is None:
            continue
        sel = float(selected[key])
        column = averages[age]
        column = column[np.isfinite(column.to_numpy(dtype=np.float64))]
        if column.empty:
            continue
        values = column.to_numpy(dtype=np.float64)
        distance = np.abs(sel - values)
        tolerance = np.maximum(relative * np.abs(values - 1.0), absolute)
        if np.all(distance > tolerance):
            k = int(np.argmin(distance))
            label = column.index[k]
            rows.append({"age": key, "selected": sel, "nearest": " ".join(map(str, label)) if isinstance(label, tuple)
                         else str(label), "nearest_value": float(values[k]), "distance": float(distance[k])})
    return pd.DataFrame(rows, columns=["age", "selected", "nearest", "nearest_value", "distance"]).set_index("age")


# ------------------------------------------------------------------------ the bootstrap
def _percentile_points(percentiles: Mapping) -> tuple[np.ndarray, np.ndarray]:
    points = sorted((float(p), float(v)) for p, v in percentiles.items())
    if len(points) < 2:
        raise ParameterError("a quantile curve needs at least two percentiles", field="percentiles")
    ps = np.array([p for p, _ in points])
    vs = np.array([v for _, v in points])
    if np.any((ps <= 0) | (ps >= 100)) or np.any(np.diff(vs) < 0):
        raise ParameterError("percentiles lie strictly between 0 and 100 and do not decrease", field="percentiles")
    return ps, vs


def histogram_from_percentiles(percentiles: Mapping) -> pd.DataFrame:
    """Bars between consecutive stored percentiles: lower, upper, mass (the probability between
    them, as a share) and density = mass ÷ width (0 for a bar of no width)."""
    ps, vs = _percentile_points(percentiles)
    mass = np.diff(ps) / 100.0
    width = np.diff(vs)
    with np.errstate(divide="ignore", invalid="ignore"):
        density = np.where(width > 0, mass / np.where(width > 0, width, 1.0), 0.0)
    return pd.DataFrame({"lower": vs[:-1], "upper": vs[1:], "mass": mass, "density": density})


def percentile_of(percentiles: Mapping, amount: float) -> float | None:
    """Where `amount` falls on the stored quantile curve (linear between the stored points);
    None outside the stored range."""
    ps, vs = _percentile_points(percentiles)
    amount = float(amount)
    if amount < vs[0] or amount > vs[-1]:
        return None
    return float(np.interp(amount, vs, ps))
