"""Development patterns: age-to-age factors (LDF), cumulative factors (CDF) and Mack's sigma.

`Development` estimates the factors from a triangle the way chainladder's `Development` does —
a weighted regression through the origin per development column, y = f·x, with weights
1/x^e (e = 0 regression, 1 volume, 2 simple), so that

    ldf     = Σ w x y / Σ w x²
    sigma²  = Σ w (y − ldf·x)² / (n − 1)
    std_err = sigma / sqrt(Σ w x²)

and sigma is extrapolated where a column has a single ratio (log-linear, chainladder's
default, or Mack 1994's min(σ⁴ₙ₋₂/σ²ₙ₋₃, σ²ₙ₋₃, σ²ₙ₋₂)). One deliberate difference: a zero
stays a zero. A ratio *from* zero is undefined and is left out of the averages (chainladder does
the same because it reads zeros as missing); a fall *to* zero is a real ratio of 0 and is kept
(chainladder drops it). A column whose every usable from-value is zero has no factor at all: a
`DevelopmentError` names its age — select that factor with `DevelopmentConstant` instead.

Options (all per development column where a list or an `{age: value}` dict is given):

* `average`: "volume", "simple", "regression" (chainladder's), "geometric" (exp of the mean log
  link ratio, chainladder's; its sigma is the volume one around the geometric factor, as
  chainladder) and "medial" (the simple average of the ratios left after the hand exclusions,
  without the highest and the lowest of them: chainladder's simple average with drop_high=1,
  drop_low=1 when nothing is dropped by hand; see `Development`).
* `n_periods`: the latest n link ratios (diagonals) of each column; an int, a list or a dict.
* `drop`: single link ratios left out, as (origin, age) cells (the age the ratio develops from).
* `drop_high` / `drop_low` / `preserve`: chainladder's exclusions by rank.
* `min_link_ratios`: a column resting on fewer than N link ratios (from non-zero values, within
  the window, after the hand exclusions) takes the factor 1.0 (the thin-age rule).
* `factor_credibility`: each factor is credibility-weighted toward the segment's own smoothed
  pattern by the factor's precision: the complement p is an exponential decay of the development,
  p_j = 1 + exp(a + b·j), fitted (least squares on log(f − 1)) to the factors of the columns that
  rest on at least `CREDIBILITY_FIT_MIN_RATIOS` ratios and develop (f > 1), when at least two do
  and the fit decays (b < 0), else p = 1.0; Z = (f − p)² / ((f − p)² + se²), se² = sigma² / Σ x
  (Mack's volume-weighted standard error of f, from the column's own ratios); f ← p + Z·(f − p).
  A factor that stands many standard errors from the curve keeps itself (Z → 1); one resting on a
  few scattered ratios — one large claim in a thin column — moves toward the curve. Columns with
  fewer than three ratios, or a from-value ≤ 0, are left alone (the thin-age rule still sets
  those below `min_link_ratios` to 1.0). The rule maturity-v2 uses it.

`link_ratio_averages(triangle)` is the table a development exhibit shows: simple, volume,
medial and geometric averages over all, the latest 3, 5 and 8 periods, by age.

`DevelopmentConstant` is an explicit selection of factors (LDF or CDF style) with a note and,
when asked, Mack's sigma around those factors from the triangle's own ratios (`sigma_around`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import DevelopmentError, ParameterError, shown
from .triangle import Triangle

# factor_credibility: the columns the complement curve is fitted on rest on at least this many
# link ratios; a column's own standard error is trusted from three ratios (two degrees of freedom)
CREDIBILITY_FIT_MIN_RATIOS = 4
CREDIBILITY_MIN_RATIOS = 3
# the exponent e of the weights 1/x^e each average's sigma (and, but for geometric, factor) uses
AVERAGES = {"regression": 0.0, "volume": 1.0, "simple": 2.0, "geometric": 1.0, "medial": 2.0}
SIGMA_INTERPOLATIONS = ("log-linear", "mack")
_ZERO_SIGMA = 1e-320  # chainladder's stand-in for log(0) when extrapolating sigma


@dataclass
class Pattern:
    """What a development estimator hands to a method: factors by the age they develop from,
    Mack's sigma and the factors' standard errors (None for a selection without them)."""

    ldf: np.ndarray
    exponent: np.ndarray
    sigma: np.ndarray | None
    std_err: np.ndarray | None
    weights: np.ndarray | None
    sigma_problem: str | None = None
    fixed: np.ndarray | None = None     # columns set to 1.0 by min_link_ratios
    counts: np.ndarray | None = None    # link ratios each column rests on (min_link_ratios)
    credibility: np.ndarray | None = None  # Z of each factor (factor_credibility)


@dataclass
class StackPattern:
    """The patterns of k triangles of one shape, as stacked arrays (rows are triangles)."""

    ldf: np.ndarray
    exponent: np.ndarray
    sigma: np.ndarray | None
    std_err: np.ndarray | None
    weights: np.ndarray | None
    problems: list
    fixed: np.ndarray | None = None
    counts: np.ndarray | None = None
    credibility: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ldf)

    def pattern(self, t: int) -> Pattern:
        return Pattern(ldf=self.ldf[t], exponent=self.exponent,
                       sigma=None if self.sigma is None else self.sigma[t],
                       std_err=None if self.std_err is None else self.std_err[t],
                       weights=None if self.weights is None else self.weights[t],
                       sigma_problem=self.problems[t],
                       fixed=None if self.fixed is None else self.fixed[t],
                       counts=None if self.counts is None else self.counts[t],
                       credibility=None if self.credibility is None else self.credibility[t])


class _Estimator:
    """Binds a pattern to the triangle it was fitted on; the pandas views are built on access."""

    def fit(self, triangle: Triangle):
        self._bind(triangle, self._patterns([triangle]).pattern(0))
        return self

    def _bind(self, triangle: Triangle, pattern: Pattern) -> None:
        self.pattern_ = pattern
        self._ages = triangle.ages
        self._origins = triangle.origins

    def _fitted(self, name: str) -> Pattern:
        if "pattern_" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__} is not fitted: no {name}")
        return self.pattern_

    @property
    def ldf_(self) -> pd.Series:
        return pd.Series(self._fitted("ldf_").ldf, index=pd.Index(self._ages[:-1], name="age"), name="ldf")

    @property
    def cdf_(self) -> pd.Series:
        ldf = self._fitted("cdf_").ldf
        cdf = np.cumprod(np.append(ldf, 1.0)[::-1])[::-1]
        return pd.Series(cdf, index=pd.Index(self._ages, name="age"), name="cdf")

    @property
    def sigma_(self) -> pd.Series | None:
        # never a NaN in an output: a sigma that cannot be estimated is absent, and Mack
        # refuses the triangle with `sigma_problem` as the reason
        pattern = self._fitted("sigma_")
        if pattern.sigma is None or pattern.sigma_problem:
            return None
        return pd.Series(pattern.sigma, index=pd.Index(self._ages[:-1], name="age"), name="sigma")

    @property
    def std_err_(self) -> pd.Series | None:
        pattern = self._fitted("std_err_")
        if pattern.std_err is None or pattern.sigma_problem:
            return None
        return pd.Series(pattern.std_err, index=pd.Index(self._ages[:-1], name="age"), name="std_err")

    @property
    def weights_(self) -> pd.DataFrame | None:
        pattern = self._fitted("weights_")
        if pattern.weights is None:
            return None
        return pd.DataFrame(pattern.weights, index=self._origins, columns=pd.Index(self._ages[:-1], name="age"))


class Development(_Estimator):
    """Estimate LDFs, sigma and standard errors from a triangle (see the module docstring).

    average: one name or one per development column ("volume", "simple", "regression",
        "geometric", "medial").
    n_periods: the latest n link ratios of each column (-1, or n ≥ origins − 1: all); an int,
        a list with one entry per column, or a dict {age: n} (ages not named: all).
    drop: (origin, age) cells, or a list of them: single link ratios left out.
    drop_high / drop_low: chainladder's exclusion of the highest / lowest ranked ratios of each
        column (bool, int or one per column), ranked among the ratios in the window before the
        hand exclusions (chainladder's order); `preserve` keeps all ratios of a column where
        fewer than that many would remain.
    "medial" excludes one highest and one lowest (or drop_high / drop_low if larger) ranked among
        the ratios left after the hand exclusions, so that a ratio dropped by hand is not also
        the high or low one (with nothing dropped by hand it is chainladder's simple average
        with drop_high=1, drop_low=1); `preserve` applies the same way.
    min_link_ratios: a column whose factor rests on fewer than this many link ratios (ratios
        from zero are no ratios; counted within the window after the hand exclusions, before
        the exclusions by rank) takes the factor 1.0, and its sigma is taken around 1.0 from the
        ratios it has (extrapolated where it has fewer than two). None: every column is
        estimated, and one without any ratio is an error.
    factor_credibility: True weights each factor toward the fitted decay curve by its precision,
        Z = (f − p)² / ((f − p)² + se²) (module docstring); the factors' Z are `credibility_`.
        Applied after the average and before `min_link_ratios`; sigma is taken around the
        weighted factor.
    """

    def __init__(self, average="volume", n_periods=-1, drop_high=None, drop_low=None,
                 drop=None, sigma_interpolation: str = "log-linear", preserve: int = 1,
                 min_link_ratios: int | None = None, factor_credibility: bool = False):
        self.average = average
        self.n_periods = n_periods
        self.drop_high = drop_high
        self.drop_low = drop_low
        self.drop = drop
        self.sigma_interpolation = sigma_interpolation
        self.preserve = preserve
        self.min_link_ratios = min_link_ratios
        if not isinstance(factor_credibility, (bool, np.bool_)):
            raise ParameterError(f"factor_credibility must be true or false, got {shown(factor_credibility)}",
                                 field="factor_credibility")
        self.factor_credibility = bool(factor_credibility)

    @property
    def credibility_(self) -> pd.Series | None:
        """Each age's credibility Z (with `factor_credibility`): the factor is p + Z·(f̂ − p)."""
        pattern = self._fitted("credibility_")
        if pattern.credibility is None:
            return None
        return pd.Series(pattern.credibility, index=pd.Index(self._ages[:-1], name="age"), name="credibility")

    @property
    def link_counts_(self) -> pd.Series | None:
        """The number of link ratios each age's factor rests on (with `min_link_ratios`)."""
        pattern = self._fitted("link_counts_")
        if pattern.counts is None:
            return None
        return pd.Series(pattern.counts, index=pd.Index(self._ages[:-1], name="age"), name="link_ratios")

    @property
    def thin_ages_(self) -> list[int]:
        """Ages whose factor was set to 1.0 by `min_link_ratios` (the note a run carries)."""
        pattern = self._fitted("thin_ages_")
        if pattern.fixed is None:
            return []
        return [int(a) for a in self._ages[:-1][pattern.fixed]]

    def _patterns(self, triangles: list[Triangle], with_sigma: bool = True, values=None) -> StackPattern:
        """One pattern per triangle (same ages), estimated for all of them at once; sigma only
        when asked (the chain ladder and BF need none, and it is the costly part). `values` is
        the stacked triangles when the caller has them already."""
        first = triangles[0]
        if first.shape[1] < 2:
            raise DevelopmentError("a triangle with a single development age has no factors to estimate",
                                   field="triangle")
        n_link = first.shape[1] - 1
        average = self.average
        if isinstance(average, str) and average in AVERAGES:  # one average for every column
            exponent = np.full(n_link, AVERAGES[average])
            geometric = np.full(n_link, average == "geometric")
            medial = np.full(n_link, average == "medial")
        else:
            names = _average_names(average, n_link)
            exponent = np.array([AVERAGES[a] for a in names])
            geometric = np.array([a == "geometric" for a in names])
            medial = np.array([a == "medial" for a in names])
        if self.sigma_interpolation not in SIGMA_INTERPOLATIONS:
            raise ParameterError(f"unknown sigma_interpolation {self.sigma_interpolation!r}; "
                                 f"known: {', '.join(SIGMA_INTERPOLATIONS)}", field="sigma_interpolation")
        minimum = _min_link_ratios(self.min_link_ratios)
        n_origin = first.shape[0]
        if _is_int(self.n_periods):
            n_periods = None
            windowed = 1 <= self.n_periods < n_origin - 1
        else:
            n_periods = _n_periods(self.n_periods, first.ages)
            windowed = bool(np.any((n_periods >= 1) & (n_periods < n_origin - 1)))
        values = np.stack([t.values for t in triangles]) if values is None else values
        plain = (self.drop is None and self.drop_high is None and self.drop_low is None
                 and not windowed and not medial.any())
        if plain:  # every observed link counts: one mask for the whole stack
            weights = (np.isfinite(values[:, :, 1:]) & (values[:, :, :-1] != 0)).astype(np.float64)
            available = weights
        else:
            if n_periods is None:
                n_periods = _n_periods(self.n_periods, first.ages)
            both = [self._weights(t, n_periods, medial) for t in triangles]
            weights = np.stack([w for w, _ in both])
            available = np.stack([a for _, a in both])
        fixed = counts = None
        if minimum:
            counts = available.sum(axis=1).astype(np.int64)
            fixed = counts < minimum
        if geometric.any():
            _check_geometric(triangles, values, weights, geometric, fixed)
        else:
            geometric = None
        return estimate_stack(values, weights, exponent, self.sigma_interpolation, first.ages,
                              with_sigma=with_sigma, geometric=geometric, fixed=fixed, counts=counts,
                              credibility=self.factor_credibility)

    def _weights(self, triangle: Triangle, n_periods: np.ndarray | None = None,
                 medial: np.ndarray | None = None):
        """0/1 weight of each link (from-cell) after n_periods, drop, drop_high, drop_low and
        medial, and the 0/1 mask of the links available before the exclusions by rank."""
        values = triangle.values
        n_origin, n_age = values.shape
        n_link = n_age - 1
        if n_periods is None:
            n_periods = _n_periods(self.n_periods, triangle.ages)
        if medial is None:
            medial = np.zeros(n_link, dtype=bool)
        x, y = values[:, :-1], values[:, 1:]
        linked = np.isfinite(y)
        usable = linked & (x != 0)
        window = linked
        active = (n_periods >= 1) & (n_periods < n_origin - 1)
        if active.any():
            # the n_periods latest link ratios of each column (the latest diagonals)
            from_bottom = np.cumsum(linked[::-1], axis=0)[::-1]
            window = linked & np.where(active[None, :], from_bottom <= n_periods[None, :], True)
        eligible = usable & window
        weight = eligible
        if self.drop is not None:
            weight = weight & ~self._drop_mask(triangle)
        available = weight
        if self.drop_high is not None or self.drop_low is not None or medial.any():
            high = _per_column(self.drop_high, n_link, "drop_high")
            low = _per_column(self.drop_low, n_link, "drop_low")
            if (~medial).any() and (high.any() or low.any()):
                plain_cols = ~medial
                keep = _rank_keep(x, y, eligible, np.where(plain_cols, high, 0), np.where(plain_cols, low, 0),
                                  n_periods, self.preserve)
                weight = weight & (keep | medial[None, :])
            if medial.any():
                keep = _rank_keep(x, y, available, np.where(medial, np.maximum(high, 1), 0),
                                  np.where(medial, np.maximum(low, 1), 0), n_periods, self.preserve)
                weight = weight & (keep | ~medial[None, :])
        return weight.astype(np.float64), available.astype(np.float64)

    def _drop_mask(self, triangle: Triangle) -> np.ndarray:
        return drop_mask(self.drop, triangle)


def drop_mask(drop, triangle: Triangle) -> np.ndarray:
    """Boolean (origins × link columns) mask of the (origin, age) link ratios named by `drop`."""
    drops = [drop] if isinstance(drop, tuple) else list(drop)
    mask = np.zeros((triangle.shape[0], triangle.shape[1] - 1), dtype=bool)
    labels = [str(o) for o in triangle.origins]
    for item in drops:
        if not isinstance(item, tuple) or len(item) != 2:
            raise ParameterError(f"drop wants (origin, age) pairs, got {shown(item)}", field="drop")
        origin, age = item
        if str(origin) not in labels:
            raise ParameterError(f"drop: unknown origin {shown(origin)}", field="drop")
        hits = np.flatnonzero(triangle.ages[:-1] == age)
        if hits.size == 0:
            raise ParameterError(f"drop: age {shown(age)} has no link ratio to drop", field="drop")
        mask[labels.index(str(origin)), hits[0]] = True
    return mask


def _rank_keep(x, y, eligible, high, low, n_periods, preserve) -> np.ndarray:
    """chainladder's drop_high/drop_low: of the eligible ratios of each column, keep those
    ranked (by ratio, then from-value) within [low, count − high), unless fewer than `preserve`
    would remain (then all of them). Columns with high = low = 0 keep everything."""
    keep = np.zeros_like(eligible)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(eligible, y / x, np.nan)
    for j in range(eligible.shape[1]):
        rows = np.flatnonzero(eligible[:, j])
        if high[j] == 0 and low[j] == 0:
            keep[rows, j] = True
            continue
        count = rows.size
        if n_periods[j] >= 1:
            count = min(count, int(n_periods[j]))
        order = rows[np.lexsort((x[rows, j], ratio[rows, j]))]
        top, bottom = count - high[j], low[j]
        if top - bottom < preserve:
            top, bottom = count, 0
        keep[order[bottom:top], j] = True
    return keep


def _per_column(setting, n_link: int, name: str) -> np.ndarray:
    if setting is None:
        return np.zeros(n_link, dtype=int)
    if isinstance(setting, (bool, np.bool_, int, np.integer)):
        out = np.full(n_link, int(setting))
    else:
        values = list(setting)
        out = np.zeros(n_link, dtype=int)
        for j, item in enumerate(values[:n_link]):
            out[j] = int(item)
    if (out < 0).any():
        raise ParameterError(f"{name} must not be negative", field=name)
    return out


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _n_periods(setting, ages: np.ndarray) -> np.ndarray:
    """n_periods per link column (-1 or anything below 1: all periods)."""
    n_link = len(ages) - 1
    if _is_int(setting):
        return np.full(n_link, int(setting), dtype=np.int64)
    if isinstance(setting, dict):
        out = np.full(n_link, -1, dtype=np.int64)
        from_ages = [int(a) for a in ages[:-1]]
        for age, n in setting.items():
            if not _is_int(n):
                raise ParameterError(f"n_periods at age {shown(age)} must be an integer, got {shown(n)}",
                                     field="n_periods")
            try:
                position = from_ages.index(int(age))
            except (TypeError, ValueError):
                raise ParameterError(f"n_periods: age {shown(age)} has no link ratios "
                                     f"(ages: {', '.join(map(str, from_ages))})", field="n_periods") from None
            out[position] = int(n)
        return out
    if isinstance(setting, (list, tuple, np.ndarray)):
        items = list(setting)
        if len(items) != n_link:
            raise ParameterError(f"n_periods lists {len(items)} entries for {n_link} development columns",
                                 field="n_periods")
        if not all(_is_int(n) for n in items):
            bad = next(n for n in items if not _is_int(n))
            raise ParameterError(f"n_periods must be integers, got {shown(bad)}", field="n_periods")
        return np.array([int(n) for n in items], dtype=np.int64)
    raise ParameterError(f"n_periods must be an integer, got {shown(setting)}", field="n_periods")


def _min_link_ratios(setting) -> int:
    if setting is None:
        return 0
    if not _is_int(setting) or setting < 0:
        raise ParameterError(f"min_link_ratios must be a non-negative integer, got {shown(setting)}",
                             field="min_link_ratios")
    return int(setting)


def _average_names(average, n_link: int) -> list[str]:
    items = [average] * n_link if isinstance(average, str) else list(average)
    if len(items) != n_link:
        raise ParameterError(f"average lists {len(items)} entries for {n_link} development columns",
                             field="average")
    unknown = [a for a in items if a not in AVERAGES]
    if unknown:
        raise ParameterError(f"unknown average {unknown[0]!r}; known: {', '.join(AVERAGES)}",
                             field="average")
    return items


def _exponents(average, n_link: int) -> np.ndarray:
    return np.array([AVERAGES[a] for a in _average_names(average, n_link)])


def estimate(triangle: Triangle, weights: np.ndarray, exponent: np.ndarray,
             sigma_interpolation: str = "log-linear") -> Pattern:
    """The pattern of one triangle (see `estimate_stack`)."""
    return estimate_stack(triangle.values[None], weights[None], exponent, sigma_interpolation,
                          triangle.ages).pattern(0)


def estimate_stack(values: np.ndarray, weights: np.ndarray, exponent: np.ndarray,
                   sigma_interpolation: str, ages: np.ndarray, with_sigma: bool = True,
                   geometric: np.ndarray | None = None, fixed: np.ndarray | None = None,
                   counts: np.ndarray | None = None, credibility: bool = False) -> StackPattern:
    """Weighted regression through the origin for every column of every triangle at once.

    values: (k, origins, ages); weights: (k, origins, ages − 1) of 0/1. `geometric` (ages − 1,
    bool): columns whose factor is the geometric mean of the used ratios instead (their sigma is
    still the regression's around that factor). `fixed` (k, ages − 1, bool): columns whose factor
    is 1.0 whatever their ratios (min_link_ratios); they may have no ratio at all. `credibility`:
    each factor weighted toward the fitted decay curve by its precision (`precision_credibility`)."""
    x, y = values[:, :, :-1], values[:, :, 1:]
    use = (weights > 0) & np.isfinite(y) & (x != 0)
    empty = ~use.any(axis=1)
    if fixed is not None:
        empty = empty & ~fixed
    if empty.any():
        t, j = np.argwhere(empty)[0]
        col = x[t, np.isfinite(y[t, :, j]), j]
        why = ("every value at that age is zero" if col.size and not np.any(col) else
               "no link ratio is left after the exclusions")
        where = f"triangle {t}: " if len(values) > 1 else ""
        raise DevelopmentError(
            f"{where}no development factor can be estimated from age {ages[j]} to {ages[j + 1]}: {why}; "
            f"select it with DevelopmentConstant", field=f"age {ages[j]}")
    xs = np.where(use, x, 0.0)
    ys = np.where(use, y, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        # chainladder's weights w/x^e (x keeps its sign for e = 1)
        w = np.where(use, weights / np.where(use, xs, 1.0) ** exponent, 0.0)
        sxx = np.sum(w * xs * xs, axis=1)
        ldf = np.sum(w * xs * ys, axis=1) / sxx
    if geometric is not None:
        ldf = np.where(geometric[None, :], _geometric_mean(xs, ys, use), ldf)
    z = None
    if credibility and np.all(np.isfinite(ldf)):
        z, curve = precision_credibility(xs, ys, use, ldf)
        ldf = curve + z * (ldf - curve)
    if fixed is not None:
        ldf = np.where(fixed, 1.0, ldf)
        if z is not None:
            z = np.where(fixed, 0.0, z)
    if not np.all(np.isfinite(ldf)):
        t, j = np.argwhere(~np.isfinite(ldf))[0]
        where = f"triangle {t}: " if len(values) > 1 else ""
        raise DevelopmentError(f"{where}the development factor from age {ages[j]} is not finite "
                               f"(the weighted from-values sum to zero)", field=f"age {ages[j]}")
    if not with_sigma:
        return StackPattern(ldf=ldf, exponent=exponent, sigma=None, std_err=None, weights=weights,
                            problems=["sigma was not estimated (only Mack needs it)"] * len(values),
                            fixed=fixed, counts=counts, credibility=z)
    sigma, std_err, problems = _sigma_step(xs, ys, w, use, sxx, ldf, x[:, 0, :], exponent, sigma_interpolation,
                                           ages)
    return StackPattern(ldf=ldf, exponent=exponent, sigma=sigma, std_err=std_err, weights=weights,
                        problems=problems, fixed=fixed, counts=counts, credibility=z)


def precision_credibility(xs, ys, use, ldf):
    """(Z, p) per column (rows are triangles): Bühlmann's weight Z = (f − p)² / ((f − p)² + se²)
    between the column's own factor f and the complement p, the segment's exponential decay
    curve of f − 1 (module docstring), with the factor's estimation variance se² = sigma² / Σ x
    (Mack's, volume weights, around f) and the spread of the true factor about the curve taken
    as (f − p)². Columns with fewer than CREDIBILITY_MIN_RATIOS ratios, or a used from-value
    ≤ 0, keep their factor (Z = 1)."""
    k, n_link = ldf.shape
    count = use.sum(axis=1)
    curve = np.ones_like(ldf)
    j = np.arange(n_link, dtype=np.float64)
    for t in range(k):
        fit = (count[t] >= CREDIBILITY_FIT_MIN_RATIOS) & (ldf[t] > 1.0)
        if fit.sum() < 2:
            continue
        slope, intercept = np.polyfit(j[fit], np.log(ldf[t, fit] - 1.0), 1)
        if slope < 0:
            curve[t] = 1.0 + np.exp(intercept + slope * j)
    with np.errstate(divide="ignore", invalid="ignore"):
        positive = np.all(np.where(use, xs, 1.0) > 0, axis=1)
        resid = ys - ldf[:, None, :] * xs
        inv = np.where(use, 1.0 / np.where(use, xs, 1.0), 0.0)
        se2 = np.sum(inv * resid * resid, axis=1) / np.maximum(count - 1, 1) / np.sum(xs, axis=1)
        d2 = (ldf - curve) ** 2
        z = d2 / (d2 + se2)
    ok = (count >= CREDIBILITY_MIN_RATIOS) & positive & np.isfinite(se2) & (se2 >= 0) & np.isfinite(z)
    return np.where(ok, z, 1.0), np.where(ok, curve, ldf)


def _geometric_mean(xs, ys, use) -> np.ndarray:
    """exp(mean log(y/x)) over the used ratios, per column (ratios ≤ 0 are refused upstream)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(use, ys / np.where(use, xs, 1.0), 1.0)
        logs = np.where(use & (ratio > 0), np.log(np.where(ratio > 0, ratio, 1.0)), 0.0)
        return np.exp(logs.sum(axis=1) / use.sum(axis=1))


def _check_geometric(triangles, values, weights, geometric, fixed) -> None:
    """A geometric average needs positive link ratios: a ratio ≤ 0 (a fall to zero, a negative
    value) in a geometric column is refused, naming its cell."""
    x, y = values[:, :, :-1], values[:, :, 1:]
    use = (weights > 0) & np.isfinite(y) & (x != 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        bad = use & (np.where(use, y / np.where(use, x, 1.0), 1.0) <= 0) & geometric[None, None, :]
    if fixed is not None:
        bad = bad & ~fixed[:, None, :]
    if bad.any():
        t, i, j = np.argwhere(bad)[0]
        tri = triangles[t]
        where = f"triangle {t}: " if len(triangles) > 1 else ""
        raise DevelopmentError(
            f"{where}a geometric average needs positive link ratios; origin {tri.origins[i]} from age "
            f"{tri.ages[j]} has {y[t, i, j] / x[t, i, j]:g}: drop it or average that age another way",
            field=f"age {tri.ages[j]}")


def _sigma_step(xs, ys, w, use, sxx, ldf, x0, exponent, how, ages):
    """Mack's sigma² = Σ w (y − f·x)² / (n − 1) around the factors f, the factors' standard
    errors sigma / sqrt(Σ w x²), and the extrapolation where a column has a single ratio."""
    with np.errstate(divide="ignore", invalid="ignore"):
        resid = ys - ldf[:, None, :] * xs
        count = use.sum(axis=1)
        mse = np.where(count > 1, np.sum(w * resid * resid, axis=1) / np.maximum(count - 1, 1), np.nan)
        sigma = np.sqrt(mse)
        std_err = np.sqrt(mse / sxx)
    return _fill_sigma(sigma, std_err, x0, exponent, how, ages)


def sigma_around(values: np.ndarray, ldf: np.ndarray, ages: np.ndarray, sigma_interpolation: str = "log-linear"):
    """Mack's sigma and standard errors of *given* factors (a selection, a borrowed pattern, a
    factor set by rule) from the triangles' own link ratios, volume-weighted: the estimator of
    `Development(average="volume")` with f the factor in use instead of the one it would
    estimate, so that for the volume-weighted factors themselves the two agree exactly. Ratios
    from zero carry no weight (as in `Development`); a column with one ratio, or none, is
    extrapolated. values: (k, origins, ages); ldf: (k, ages − 1). Returns sigma, std_err and
    one problem (or None) per triangle."""
    x, y = values[:, :, :-1], values[:, :, 1:]
    use = np.isfinite(y) & (x != 0)
    exponent = np.ones(x.shape[2])
    xs = np.where(use, x, 0.0)
    ys = np.where(use, y, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(use, 1.0 / np.where(use, xs, 1.0), 0.0)
        sxx = np.sum(w * xs * xs, axis=1)
    return _sigma_step(xs, ys, w, use, sxx, np.asarray(ldf, dtype=np.float64), x[:, 0, :], exponent,
                       sigma_interpolation, ages)


def _fill_sigma(sigma, std_err, x0, exponent, how, ages):
    """Extrapolate sigma where a column has a single ratio, then its standard error the way
    chainladder does (sigma / sqrt(x₀^(2−e)), x₀ the first origin's value). Rows are triangles."""
    problems = [None] * len(sigma)
    missing = ~np.isfinite(sigma)
    if not missing.any():
        return sigma, std_err, problems
    sigma = sigma.copy()
    t_axis = np.arange(1, sigma.shape[1] + 1, dtype=np.float64)
    if how == "log-linear":
        known = ~missing
        n_known = known.sum(axis=1)
        ly = np.where(known, np.log(np.where(sigma == 0, _ZERO_SIGMA, np.where(known, sigma, 1.0))), 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            t_mean = np.sum(known * t_axis, axis=1) / n_known
            y_mean = np.sum(ly, axis=1) / n_known
            dt = np.where(known, t_axis - t_mean[:, None], 0.0)
            slope = np.sum(dt * (ly - y_mean[:, None]) * known, axis=1) / np.sum(dt * dt, axis=1)
            intercept = y_mean - slope * t_mean
            filled = np.exp(slope[:, None] * t_axis + intercept[:, None])
        sigma = np.where(missing, filled, sigma)
        for t in np.flatnonzero(missing.any(axis=1) & (n_known < 2)):
            problems[t] = ("sigma cannot be extrapolated log-linearly: fewer than two development "
                           "columns have two or more link ratios")
    else:
        for k in range(sigma.shape[1]):
            gap = missing[:, k]
            if not gap.any():
                continue
            if k < 2:
                for t in np.flatnonzero(gap):
                    problems[t] = f"Mack's sigma extrapolation needs two estimated sigmas before age {ages[k]}"
                continue
            a = np.maximum(sigma[gap, k - 2], _ZERO_SIGMA)
            b = np.maximum(sigma[gap, k - 1], _ZERO_SIGMA)
            sigma[gap, k] = np.sqrt(np.abs(np.minimum(b ** 4 / a ** 2, np.minimum(a ** 2, b ** 2))))
        for t in np.flatnonzero(~np.all(np.isfinite(sigma), axis=1)):
            problems[t] = problems[t] or "Mack's sigma extrapolation needs two estimated sigmas first"
    with np.errstate(divide="ignore", invalid="ignore"):
        fill_se = sigma / np.sqrt(x0 ** (2.0 - exponent))
    std_err = np.where(np.isfinite(std_err), std_err, np.nan_to_num(fill_se, nan=0.0, posinf=0.0))
    return sigma, std_err, problems


MACK_SIGMAS = ("none", "residuals")


class DevelopmentConstant(_Estimator):
    """An explicit selection of development factors: `{age: factor}` in LDF style (the factor
    from that age to the next; an entry for the last age is a tail) or CDF style (the factor
    from that age to ultimate), with a note saying why.

    A selection has no sigma of its own, so Mack refuses it by default (`mack_sigma="none"`,
    as chainladder). `mack_sigma="residuals"` gives Mack the sigma and standard errors of the
    selected factors estimated from the fitted triangle's link ratios (`sigma_around`), so that
    the standard error belongs to the ultimate the selection gives; the parameter error then
    treats the selected factor as if it had been estimated from those ratios."""

    def __init__(self, patterns: dict, style: str = "ldf", note: str = "", mack_sigma: str = "none"):
        if style not in ("ldf", "cdf"):
            raise ParameterError(f"unknown style {style!r}; known: ldf, cdf", field="style")
        if mack_sigma not in MACK_SIGMAS:
            raise ParameterError(f"unknown mack_sigma {shown(mack_sigma)}; known: {', '.join(MACK_SIGMAS)}",
                                 field="mack_sigma")
        self.patterns = dict(patterns)
        self.style = style
        self.note = note
        self.mack_sigma = mack_sigma

    def _patterns(self, triangles: list[Triangle], with_sigma: bool = True, values=None) -> StackPattern:
        ages = [int(a) for a in triangles[0].ages]
        given = {int(k): float(v) for k, v in self.patterns.items()}
        unknown = sorted(set(given) - set(ages))
        if unknown:
            raise DevelopmentError(f"selected factor for age {unknown[0]}, which the triangle does not have",
                                   field=f"age {unknown[0]}")
        for age, factor in given.items():
            if not np.isfinite(factor) or factor <= 0:
                raise DevelopmentError(f"selected factor {shown(factor)} at age {age} must be a positive number",
                                       field=f"age {age}")
        missing = [a for a in ages[:-1] if a not in given]
        if missing:
            raise DevelopmentError(f"no {self.style.upper()} selected for age {missing[0]}",
                                   field=f"age {missing[0]}")
        if self.style == "ldf":
            ldf = np.array([given[a] for a in ages[:-1]])
        else:
            cdf = np.array([given[a] for a in ages[:-1]] + [given.get(ages[-1], 1.0)])
            ldf = cdf[:-1] / cdf[1:]
        self.selected_tail_ = given.get(ages[-1])
        stacked = np.broadcast_to(ldf, (len(triangles), len(ldf)))
        if with_sigma and self.mack_sigma == "residuals":
            values = np.stack([t.values for t in triangles]) if values is None else values
            sigma, std_err, problems = sigma_around(values, stacked, triangles[0].ages)
            return StackPattern(ldf=stacked, exponent=np.ones(len(ldf)), sigma=sigma, std_err=std_err,
                                weights=None, problems=problems)
        return StackPattern(ldf=stacked, exponent=np.ones(len(ldf)),
                            sigma=None, std_err=None, weights=None,
                            problems=["a DevelopmentConstant selection carries no sigma (mack_sigma=\"none\")"]
                            * len(triangles))


EXHIBIT_AVERAGES = ("simple", "volume", "medial", "geometric")
EXHIBIT_PERIODS = (None, 3, 5, 8)


def _period_label(n) -> str:
    return "all" if n is None else f"latest {n}"


def link_ratio_averages(triangle: Triangle, periods=EXHIBIT_PERIODS, averages=EXHIBIT_AVERAGES,
                        drop=None, preserve: int = 1) -> pd.DataFrame:
    """The averages a development exhibit shows beside the link ratios, by the age they develop
    from: rows (average, periods) — simple, volume-weighted, medial (simple without the highest
    and the lowest ratio; with fewer than three ratios, `preserve` keeps them all, as
    `Development(average="medial")`) and geometric, each over all periods and the latest 3, 5
    and 8 (`None` = all; a window as wide as the column is all of it) — columns the ages.

    Each entry is what `Development(average=a, n_periods=n, drop=drop).ldf_` gives at that age
    (ratios from zero are no ratios; `drop` leaves hand-picked (origin, age) ratios out of every
    row), except that an age with no ratio left, or a geometric average over a ratio ≤ 0, is NaN
    here instead of an error."""
    unknown = [a for a in averages if a not in EXHIBIT_AVERAGES]
    if unknown:
        raise ParameterError(f"unknown average {unknown[0]!r}; known: {', '.join(EXHIBIT_AVERAGES)}",
                             field="averages")
    ages = triangle.ages[:-1]
    values = triangle.values
    x, y = values[:, :-1], values[:, 1:]
    n_link = len(ages)
    hand = drop_mask(drop, triangle) if drop is not None else None
    rows, labels = [], []
    for n in periods:
        if n is not None and (not _is_int(n) or n < 1):
            raise ParameterError(f"periods must be positive integers or None, got {shown(n)}", field="periods")
        dev = Development(n_periods=-1 if n is None else int(n))
        n_col = _n_periods(dev.n_periods, triangle.ages)
        _, available = dev._weights(triangle, n_col)
        use = available > 0
        if hand is not None:
            use = use & ~hand
        count = use.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(use, y / np.where(use, x, 1.0), np.nan)
            out = {}
            out["simple"] = np.where(count > 0, np.nansum(ratio, axis=0) / count, np.nan)
            sx = np.sum(np.where(use, x, 0.0), axis=0)
            sy = np.sum(np.where(use, y, 0.0), axis=0)
            out["volume"] = np.where((count > 0) & (sx != 0), sy / np.where(sx != 0, sx, 1.0), np.nan)
            positive = np.all(~use | (ratio > 0), axis=0)
            logs = np.where(use & (ratio > 0), np.log(np.where(ratio > 0, ratio, 1.0)), 0.0)
            out["geometric"] = np.where((count > 0) & positive, np.exp(logs.sum(axis=0) / count), np.nan)
            keep = _rank_keep(x, y, use, np.ones(n_link, dtype=int), np.ones(n_link, dtype=int),
                              n_col, preserve) & use
            kept = keep.sum(axis=0)
            out["medial"] = np.where(kept > 0, np.nansum(np.where(keep, ratio, np.nan), axis=0) / kept, np.nan)
        for name in averages:
            rows.append(out[name])
            labels.append((name, _period_label(n)))
    index = pd.MultiIndex.from_tuples(labels, names=["average", "periods"])
    frame = pd.DataFrame(np.array(rows, dtype=np.float64).reshape(len(labels), n_link), index=index,
                         columns=pd.Index(ages, name="age"))
    order = [(a, _period_label(n)) for a in averages for n in periods]
    return frame.loc[order]
