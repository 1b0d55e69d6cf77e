"""Loss development triangles: a dense origin × development-age float64 matrix.

A `Triangle` holds cumulative values (paid, incurred, case outstanding or claim counts) with
origins down the rows (`2024Q3`, `2024` or plain integers) and development ages across
(months 3, 6, 9… or 12, 24…, or lags 1, 2, …). Cells not yet observed at the valuation date are
NaN; zeros are legitimate values and stay zeros (unlike chainladder, which reads a zero as
missing — its issue #181). The matrix is read-only: estimators never edit the data.

Constructors: `from_long` (a long DataFrame), `from_array` and `from_ledger` (claim-ledger
rows, design.md §4). Every constructor validates the shape and values and raises a
`TriangleError` that names the offending origin and age.

`grain("OYDQ" | "OYDY" | "OQDQ")` re-cuts a quarterly triangle to annual origins and/or annual
development the way chainladder's `Triangle.grain` does (see `Triangle.grain`), and
`origin_grain_for(counts)` is the documented rule that sends a thin segment to annual origins.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import ParameterError, TriangleError, shown

MEASURES = ("paid", "incurred", "outstanding", "reported_count", "closed_count")
# Counts can only grow; paid can only grow unless recoveries are allowed to push it down.
_MONOTONE_BY_DEFAULT = {"paid", "reported_count", "closed_count"}
_QUARTER_LABEL = re.compile(r"^\d{4}Q[1-4]$")


@dataclass(frozen=True, eq=False)
class Triangle:
    """Cumulative origin × age values; build it with a constructor, not directly."""

    values: np.ndarray
    origins: pd.Index
    ages: np.ndarray
    measure: str | None = None
    origin_months: int = 12
    _lengths: np.ndarray = field(repr=False, default=None)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_array(cls, values, *, origins=None, ages=None, measure: str | None = None,
                   allow_negative: bool = False, allow_decrease: bool | None = None,
                   origin_months: int | None = None) -> "Triangle":
        """A triangle from a 2-D array (NaN = not yet observed). Origins default to 0..n-1 and
        ages to lags 1..m."""
        arr = np.array(values, dtype=np.float64, copy=True)
        if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
            raise TriangleError(f"a triangle needs a non-empty 2-D array, got shape {arr.shape}",
                                field="triangle")
        n_origin, n_age = arr.shape
        origin_index = pd.Index(range(n_origin) if origins is None else list(origins), name="origin")
        age_array = np.arange(1, n_age + 1) if ages is None else np.asarray(list(ages))
        if len(origin_index) != n_origin:
            raise TriangleError(f"{len(origin_index)} origin labels for {n_origin} rows", field="origins")
        if len(age_array) != n_age:
            raise TriangleError(f"{len(age_array)} development ages for {n_age} columns", field="ages")
        if not np.issubdtype(age_array.dtype, np.number) or np.any(age_array != np.round(age_array)):
            raise TriangleError(f"development ages must be integers, got {list(age_array)}", field="ages")
        age_array = age_array.astype(np.int64)
        if np.any(np.diff(age_array) <= 0):
            raise TriangleError(f"development ages must increase, got {list(age_array)}", field="ages")
        if origin_index.has_duplicates:
            dup = origin_index[origin_index.duplicated()][0]
            raise TriangleError(f"origin {dup} appears twice", field="origins")
        if measure is not None and measure not in MEASURES:
            raise ParameterError(f"unknown measure {measure!r}; known: {', '.join(MEASURES)}",
                                 field="measure")
        if origin_months is None:
            origin_months = _guess_origin_months(origin_index)
        arr.setflags(write=False)
        lengths = _validate(arr, origin_index, age_array, measure=measure,
                            allow_negative=allow_negative, allow_decrease=allow_decrease)
        return cls(values=arr, origins=origin_index, ages=age_array, measure=measure,
                   origin_months=int(origin_months), _lengths=lengths)

    @classmethod
    def from_long(cls, df: pd.DataFrame, *, origin: str = "origin", development: str = "development",
                  value: str = "value", measure: str | None = None, allow_negative: bool = False,
                  allow_decrease: bool | None = None, origin_months: int | None = None) -> "Triangle":
        """A triangle from long rows (origin, development, value), cumulative values.

        `development` is any increasing integer scale (lags 1, 2, … or ages in months). Every
        age present in the data becomes a column; an origin missing a cell before its last
        observed age is a ragged triangle and is refused. Origin labels that all denote numbers
        (1988, "1988", "1988.0") become those numbers (see `origin_labels`).
        """
        for col in (origin, development, value):
            if col not in df.columns:
                raise TriangleError(f"column {col!r} missing; have {', '.join(map(str, df.columns))}",
                                    field=col)
        if df.empty:
            raise TriangleError("the triangle has no rows", field="triangle")
        data = df[[origin, development, value]]
        dev = pd.to_numeric(data[development], errors="coerce")
        if dev.isna().any() or np.any(dev != np.round(dev)):
            bad = data[development][dev.isna() | (dev != np.round(dev))].iloc[0]
            raise TriangleError(f"development {shown(bad)} is not an integer age or lag", field=development)
        vals = pd.to_numeric(data[value], errors="coerce")
        if vals.isna().any():
            row = data[vals.isna()].iloc[0]
            raise TriangleError(f"origin {origin_key(row[origin])} age {origin_key(row[development])}: "
                                f"value {shown(row[value])} is not a number", field=value)
        keyed = pd.DataFrame({"origin": origin_labels(data[origin]), "age": dev.astype(np.int64).to_numpy(),
                              "value": vals.astype(np.float64).to_numpy()})
        dup = keyed.duplicated(["origin", "age"])
        if dup.any():
            k = int(np.argmax(dup.to_numpy()))
            raise TriangleError(f"origin {keyed['origin'].iloc[k]} age {keyed['age'].iloc[k]} appears twice",
                                field=value)
        wide = keyed.pivot(index="origin", columns="age", values="value").sort_index().sort_index(axis=1)
        return cls.from_array(wide.to_numpy(), origins=wide.index, ages=wide.columns.to_numpy(),
                              measure=measure, allow_negative=allow_negative,
                              allow_decrease=allow_decrease, origin_months=origin_months)

    @classmethod
    def from_ledger(cls, rows: pd.DataFrame, *, valuation_date, grain: str = "quarter",
                    value: str = "paid", origin_start=None, origin_basis: str = "accident",
                    allow_decrease: bool | None = None) -> "Triangle":
        """Cumulative values by origin period × development age from claim-ledger rows.

        See `reserving.engine.ledger` for the row contract and the rules (reversals, clamping
        of outstanding, closes and reopens)."""
        from .ledger import ledger_triangle_values

        values, origins, ages, months = ledger_triangle_values(
            rows, valuation_date=valuation_date, grain=grain, value=value,
            origin_start=origin_start, origin_basis=origin_basis)
        return cls.from_array(values, origins=origins, ages=ages, measure=value,
                              allow_decrease=allow_decrease, origin_months=months)

    # ------------------------------------------------------------------ views
    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape

    @property
    def lengths(self) -> np.ndarray:
        """Number of observed cells per origin."""
        return self._lengths

    @property
    def latest_index(self) -> np.ndarray:
        """Column position of each origin's latest observed cell."""
        return self._lengths - 1

    @property
    def latest_diagonal(self) -> pd.Series:
        vals = self.values[np.arange(self.shape[0]), self.latest_index]
        return pd.Series(vals, index=self.origins, name="latest")

    @property
    def latest_age(self) -> pd.Series:
        return pd.Series(self.ages[self.latest_index], index=self.origins, name="age")

    @property
    def observed(self) -> np.ndarray:
        """Boolean mask of observed cells."""
        return np.arange(self.shape[1])[None, :] < self._lengths[:, None]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.values, index=self.origins, columns=pd.Index(self.ages, name="age"))

    def to_long(self) -> pd.DataFrame:
        """Observed cells as long rows (origin, development, value), what `from_long` reads (pandas
        3's stack keeps NaN: the cells after the diagonal are dropped here)."""
        frame = self.to_frame().stack().dropna().rename("value").reset_index()
        return frame.rename(columns={"age": "development"})

    def link_ratios(self) -> pd.DataFrame:
        """Age-to-age ratios C[j+1]/C[j], labelled by the age they develop from; NaN where the
        from-value is zero (a ratio from zero is undefined) or not observed."""
        x, y = self.values[:, :-1], self.values[:, 1:]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = np.where(x != 0, y / x, np.nan)
        return pd.DataFrame(ratios, index=self.origins, columns=pd.Index(self.ages[:-1], name="age"))

    def grain(self, grain: str) -> "Triangle":
        """The same cumulative data at another grain, as chainladder's `Triangle.grain`:
        "OQDQ" (quarterly origins and development), "OYDQ" (annual origins, quarterly
        development) or "OYDY" (annual both). The input has quarterly development in months
        (ages 3, 6, 9, …) and quarterly origins labelled "2024Q3" — or annual origins labelled by
        the year, for OYDQ → OYDY. Origin years are calendar years (an underwriting-year
        triangle re-cuts the same way, by its underwriting quarters).

        * Annual origins: the origin year's cumulative value at age a (months from 1 January)
          is the sum of its quarters' cumulative values as at the same calendar date — each
          quarter at its own age a − 3·(its position in the year) — never at the same age. A
          quarter that has not begun by that date adds nothing (so the latest origin year holds
          only the quarters begun by the valuation date, and an origin year whose first quarter
          in the data is not Q1 has zeros before that quarter begins — ratios from zero count
          for nothing); a quarter whose value at that date is not in the triangle (beyond its
          last age) leaves the cell unknown.
        * Annual development: the diagonals 12, 24, … months before the valuation date and the
          valuation itself, so every cell is as at the valuation's month: ages 12, 24, 36 at a
          December valuation, 6, 18, 30 at June (chainladder's OYDY; not year ends plus a
          partial latest diagonal, which would not be a triangle).
        * A quarterly-origin triangle with annual development is refused (as chainladder):
          origins must be at least as coarse as development.

        The staircase is kept: the latest diagonal is the valuation date. A trapezoid (older
        origins no longer observed) keeps its last quarterly age as the last age."""
        code = str(grain).upper()
        if code not in ("OQDQ", "OYDQ", "OYDY", "OQDY"):
            raise ParameterError(f"unknown grain {shown(grain)}; known: OQDQ, OYDQ, OYDY", field="grain")
        if code == "OQDY":
            raise ParameterError("grain OQDY: origins must be at least as coarse as development "
                                 "(quarterly origins with annual development are not a triangle)",
                                 field="grain")
        annual_origin, annual_dev = code[1] == "Y", code[3] == "Y"
        n_origin, n_age = self.shape
        quarterly_ages = np.array_equal(self.ages, 3 * np.arange(1, n_age + 1))
        if self.origin_months == 12 and not quarterly_ages:
            if annual_dev and annual_origin:
                return self  # already annual both ways
            raise TriangleError(f"grain {code}: an annual-development triangle cannot be made quarterly",
                                field="grain")
        if not quarterly_ages:
            raise TriangleError("grain: development ages must be months 3, 6, 9, … (a quarterly "
                                f"triangle), got {list(self.ages[:6])}{'…' if n_age > 6 else ''}",
                                field="ages")
        if self.origin_months == 3:
            starts = _quarter_numbers(self.origins)
            if np.any(np.diff(starts) != 1):
                i = int(np.argmax(np.diff(starts) != 1)) + 1
                raise TriangleError(f"grain: origin quarters must follow one another; {self.origins[i]} "
                                    f"comes after {self.origins[i - 1]}", field="origins")
        elif self.origin_months == 12:
            if not annual_origin:
                raise TriangleError("grain: an annual-origin triangle cannot be split into quarters",
                                    field="grain")
            starts = 4 * _year_numbers(self.origins)
            if np.any(np.diff(starts) != 4):
                i = int(np.argmax(np.diff(starts) != 4)) + 1
                raise TriangleError(f"grain: origin years must follow one another; {self.origins[i]} "
                                    f"comes after {self.origins[i - 1]}", field="origins")
        else:
            raise TriangleError(f"grain: origins of {self.origin_months} months are neither quarters "
                                "nor years", field="origins")
        if self.origin_months == 3 and not annual_origin:
            return self  # OQDQ → OQDQ
        lengths = self._lengths
        # calendar quarter (number) of each origin's latest cell; capped rows end before the valuation
        last = starts + lengths - 1
        valuation = int(last.max())
        uncapped = lengths < n_age
        if np.any(last[uncapped] != valuation):
            i = int(np.flatnonzero(uncapped & (last != valuation))[0])
            raise TriangleError(f"grain: origin {self.origins[i]} is observed to age {self.ages[lengths[i] - 1]}, "
                                "which is not the valuation date of the latest origin", field="triangle")
        trapezoid = bool(np.any(last < valuation))
        if self.origin_months == 3:
            group_start = 4 * (starts // 4)
            labels = [str(y) for y in np.unique(starts // 4)]
            group = np.searchsorted(np.unique(group_start), group_start)
        else:
            group_start, labels, group = starts, list(self.origins), np.arange(n_origin)  # labels kept
        firsts = np.unique(group_start)
        n_out_age = n_age if trapezoid else int(valuation - firsts.min() + 1)
        # each input origin's value at each calendar quarter from the first year's start
        t0 = int(firsts.min())
        cal = np.arange(t0, valuation + 1)
        k = cal[None, :] - starts[:, None]  # column position of the origin at that quarter
        inside = (k >= 0) & (k < lengths[:, None])
        at = np.where(inside, self.values[np.arange(n_origin)[:, None], np.clip(k, 0, n_age - 1)], np.nan)
        at = np.where(k < 0, 0.0, at)
        out = np.full((len(firsts), n_out_age), np.nan)
        for g in range(len(firsts)):
            members = at[group == g]
            cols = firsts[g] - t0 + np.arange(n_out_age)
            valid = cols <= valuation - t0
            summed = np.full(n_out_age, np.nan)
            summed[valid] = members[:, cols[valid]].sum(axis=0)  # NaN if any quarter is unknown
            out[g] = summed
        ages = 3 * np.arange(1, n_out_age + 1)
        if annual_dev:
            keep = (np.arange(n_out_age) % 4) == (valuation % 4)
            out, ages = out[:, keep], ages[keep]
        return Triangle.from_array(out, origins=labels, ages=ages, measure=self.measure,
                                   allow_negative=True, allow_decrease=True, origin_months=12)

    def __mul__(self, factor: float) -> "Triangle":
        return Triangle.from_array(self.values * float(factor), origins=self.origins, ages=self.ages,
                                   measure=self.measure, allow_negative=True, allow_decrease=True,
                                   origin_months=self.origin_months)

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"Triangle({self.shape[0]} origins × {self.shape[1]} ages, measure={self.measure})"


def origin_labels(labels: pd.Series) -> np.ndarray:
    """Origin labels as given or, when every one denotes a number (1988, "1988", "1988.0"), as
    those numbers — integers when all are whole — so that they sort as numbers (1, 2, …, 10, not
    "1", "10", "2") and two spellings of one period are one origin."""
    if not (pd.api.types.is_numeric_dtype(labels.dtype) or pd.api.types.is_object_dtype(labels.dtype)
            or pd.api.types.is_string_dtype(labels.dtype)) or pd.api.types.is_bool_dtype(labels.dtype):
        return labels.to_numpy()
    try:
        numbers = pd.to_numeric(labels, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        return labels.to_numpy()
    if len(numbers) == 0 or not np.all(np.isfinite(numbers)):
        return labels.to_numpy()
    if np.all(numbers == np.round(numbers)):
        return numbers.astype(np.int64)
    return numbers


def origin_key(label) -> str:
    """The text an origin label is matched by (exposure by origin, a premium file): a label that
    denotes a number is that number written plainly — 1988, 1988.0, "1988.0" and np.int64(1988)
    are all "1988" — and any other label is its str()."""
    if isinstance(label, (bool, np.bool_)):
        return str(label)
    try:
        number = float(label)
    except (TypeError, ValueError, OverflowError):
        return str(label)
    if not np.isfinite(number):
        return str(label)
    return str(int(number)) if number == int(number) else repr(number)


def _quarter_numbers(origins: pd.Index) -> np.ndarray:
    """year·4 + quarter − 1 of each "2024Q3" label."""
    out = []
    for label in origins:
        text = str(label)
        if not _QUARTER_LABEL.match(text):
            raise TriangleError(f"grain: origin {text!r} is not a quarter label like 2024Q3", field="origins")
        out.append(int(text[:4]) * 4 + int(text[5]) - 1)
    return np.array(out, dtype=np.int64)


def _year_numbers(origins: pd.Index) -> np.ndarray:
    out = []
    for label in origins:
        key = origin_key(label)
        if not re.fullmatch(r"\d{4}", key):
            raise TriangleError(f"grain: origin {key!r} is not a year", field="origins")
        out.append(int(key))
    return np.array(out, dtype=np.int64)


ORIGIN_GRAIN_MIN_CLAIMS = 20


def origin_grain_for(counts, min_claims_per_origin_quarter: int = ORIGIN_GRAIN_MIN_CLAIMS,
                     exclude_latest: int = 0) -> tuple[str, str]:
    """The origin grain of a segment from its reported claim counts per origin quarter:
    ("quarter" | "year", reason). The rule: quarterly origins when the segment reports on
    average at least `min_claims_per_origin_quarter` claims per origin quarter — total reported
    claims over the number of origin quarters, leaving out the `exclude_latest` youngest
    quarters (still being reported) when older ones remain — annual origins otherwise (a thin
    segment: link ratios on a few claims per quarter are noise). No origin quarter, or no claim
    at all, is annual. The reason is the data-check note to record.

    counts: a Series or dict by origin quarter label (sorted by label) or a sequence in origin
    order; each a non-negative number (claims reported to date)."""
    if not _is_count(min_claims_per_origin_quarter) or min_claims_per_origin_quarter < 1:
        raise ParameterError(f"min_claims_per_origin_quarter must be a positive integer, got "
                             f"{shown(min_claims_per_origin_quarter)}", field="min_claims_per_origin_quarter")
    if not _is_count(exclude_latest) or exclude_latest < 0:
        raise ParameterError(f"exclude_latest must be a non-negative integer, got {shown(exclude_latest)}",
                             field="exclude_latest")
    if isinstance(counts, dict):
        counts = pd.Series(counts, dtype=object)
    if isinstance(counts, pd.Series):
        series = counts.sort_index()
        labels = [str(o) for o in series.index]
        raw = list(series.to_numpy())
    else:
        raw = list(np.asarray(counts, dtype=object).ravel()) if not isinstance(counts, (list, tuple)) else list(counts)
        labels = None
    numbers = []
    for i, item in enumerate(raw):
        try:
            number = float(item)
        except (TypeError, ValueError):
            number = float("nan")
        if not np.isfinite(number) or number < 0:
            where = labels[i] if labels is not None else f"position {i}"
            raise ParameterError(f"reported claim count {shown(item)} at origin {where} must be a "
                                 "non-negative number", field="counts")
        numbers.append(number)
    n = min_claims_per_origin_quarter
    if not numbers:
        return "year", f"no origin quarter has reported claims: annual origins (the rule needs {n} per quarter)"
    used = numbers[:-exclude_latest] if exclude_latest and len(numbers) > exclude_latest else numbers
    used_labels = (labels[:len(used)] if labels is not None else None)
    total, quarters = float(np.sum(used)), len(used)
    mean = total / quarters
    span = f"{used_labels[0]}–{used_labels[-1]}, " if used_labels else ""
    left_out = (f", the {exclude_latest} youngest left out" if len(used) < len(numbers) else "")
    basis = (f"{mean:.1f} reported claims per origin quarter on average ({span}{quarters} quarters"
             f"{left_out}; {total:g} claims)")
    if mean < n:
        return "year", f"{basis}, fewer than {n}: annual origins"
    return "quarter", f"{basis}, at least {n}: quarterly origins"


def _is_count(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _guess_origin_months(origins: pd.Index) -> int:
    labels = [str(o) for o in origins]
    if labels and all(_QUARTER_LABEL.match(label) for label in labels):
        return 3
    return 12


def _label(origins: pd.Index, i: int) -> str:
    return str(origins[i])


def _validate(arr: np.ndarray, origins: pd.Index, ages: np.ndarray, *, measure, allow_negative,
              allow_decrease) -> np.ndarray:
    """Check the shape (a proper staircase) and the values; return the observed length per row."""
    n_origin, n_age = arr.shape
    finite = np.isfinite(arr)
    if np.isinf(arr).any():
        i, j = np.argwhere(np.isinf(arr))[0]
        raise TriangleError(f"origin {_label(origins, i)} age {ages[j]}: value is infinite", field="triangle")
    lengths = finite.sum(axis=1)
    # Ragged: a value after a missing cell in the same row.
    prefix = np.arange(n_age)[None, :] < lengths[:, None]
    if not np.array_equal(prefix, finite):
        i = int(np.argmax((prefix != finite).any(axis=1)))
        j = int(np.argmax(prefix[i] != finite[i]))
        first_gap = int(np.argmax(~finite[i])) if not finite[i].all() else j
        raise TriangleError(
            f"ragged triangle: origin {_label(origins, i)} has no value at age {ages[first_gap]} "
            f"but has later values", field="triangle")
    if (lengths == 0).any():
        i = int(np.argmax(lengths == 0))
        raise TriangleError(f"origin {_label(origins, i)} has no observed value", field="triangle")
    _check_staircase(lengths, origins, ages)
    if not allow_negative and (arr[finite] < 0).any():
        i, j = np.argwhere(finite & (np.nan_to_num(arr) < 0))[0]
        raise TriangleError(
            f"origin {_label(origins, i)} age {ages[j]}: negative value {arr[i, j]:g} "
            f"in a {measure or 'cumulative'} triangle", field="triangle")
    check_monotone = (measure in _MONOTONE_BY_DEFAULT) if allow_decrease is None else not allow_decrease
    if check_monotone and n_age > 1:
        both = finite[:, 1:] & finite[:, :-1]
        with np.errstate(invalid="ignore"):
            drops = both & (arr[:, 1:] < arr[:, :-1])
        if drops.any():
            i, j = np.argwhere(drops)[0]
            raise TriangleError(
                f"not cumulative: origin {_label(origins, i)} falls from {arr[i, j]:g} at age "
                f"{ages[j]} to {arr[i, j + 1]:g} at age {ages[j + 1]} (pass allow_decrease=True "
                f"if recoveries or reopenings make that legitimate)", field="triangle")
    return lengths.astype(np.int64)


def _check_staircase(lengths: np.ndarray, origins: pd.Index, ages: np.ndarray) -> None:
    """Each origin's latest cell must lie on one valuation diagonal: observed lengths shrink by
    the same step from one origin to the next, except for old origins that have reached the
    last age (a trapezoid, or a fully developed square)."""
    n_age = len(ages)
    steps = lengths[:-1] - lengths[1:]
    if (steps < 0).any():
        i = int(np.argmax(steps < 0)) + 1
        raise TriangleError(
            f"the diagonal is not a staircase: origin {_label(origins, i)} is observed to age "
            f"{ages[lengths[i] - 1]}, later than the origin before it", field="triangle")
    uncapped = lengths[:-1] < n_age
    if not uncapped.any():
        return
    step = int(steps[uncapped][0])
    if step == 0:
        i = int(np.argmax(uncapped & (steps == 0))) + 1
        raise TriangleError(
            f"the diagonal is not a staircase: origins {_label(origins, i - 1)} and "
            f"{_label(origins, i)} are both observed only to age {ages[lengths[i] - 1]}",
            field="triangle")
    for i in range(len(steps)):
        expected = min(n_age, lengths[i + 1] + step)
        if lengths[i] != expected:
            raise TriangleError(
                f"the diagonal is not a staircase: origin {_label(origins, i)} is observed to age "
                f"{ages[lengths[i] - 1]} but the next origin implies age {ages[expected - 1]}",
                field="triangle")
