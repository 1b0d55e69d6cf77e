"""Tail factors: development beyond the triangle's last age.

`TailConstant(factor)` is a selected tail (≥ 1). `TailCurve()` fits a curve to the LDFs as
chainladder's `TailCurve` does with its defaults (LDFs ≤ 1.00001 left out of the fit, 100
extrapolated periods) and multiplies the projected factors beyond the last age:

* `curve="exponential"`: log(LDF − 1) = a + b·t, so LDF(t) = 1 + exp(a + b·t);
* `curve="inverse_power"`: log(LDF − 1) = a + b·log t, so LDF(t) = 1 + exp(a)·t^b;

t is the development index 1, 2, … of the factor (chainladder's x, not the age in months). The
fitted curve keeps its statistics: `slope_` (b), `intercept_` (a), `r_squared_` (of the fit in
log space), `n_points_` (the LDFs fitted) and `fit_ages_` (their ages), together in
`fit_statistics_`.

Both also give the tail's sigma and standard error for Mack,
extrapolated log-linearly to the tail's "age" as chainladder does (zero for a tail of 1). An
extrapolation that diverges — not finite, or more than ten times the largest sigma (standard
error) of the development it extends — is unusable: `sigma_problem_` says why and Mack
refuses to give a standard error (where chainladder prints one: 7.9e37 on the case-incurred
triangle of CAS medmal company 43770 with a tail of 1.05, whose zero sigmas tilt the fit).
"""
from __future__ import annotations

import numpy as np

from .development import Pattern
from .errors import TailError, shown
from .triangle import Triangle


def _ols(y: np.ndarray, x: np.ndarray | None = None, w: np.ndarray | None = None):
    """Least squares with intercept in chainladder's WeightedRegression convention: a NaN y
    counts as 0 (its x still enters the means) — reproduced so that tails match to 1e-9."""
    y = np.asarray(y, dtype=np.float64)
    x = np.arange(1, len(y) + 1, dtype=np.float64) if x is None else np.asarray(x, dtype=np.float64)
    w = np.ones_like(y) if w is None else np.asarray(w, dtype=np.float64)
    keep = w != 0
    x, y, w = x[keep], np.nan_to_num(y[keep], nan=0.0), w[keep]
    x_mean = np.sum(w * x) / np.sum(w)
    y_mean = np.sum(w * y) / np.sum(w)
    slope = (np.sum(w * x * y) - np.sum(w * x) * y_mean) / (np.sum(w * x * x) - np.sum(w * x) * x_mean)
    return slope, y_mean - slope * x_mean


def _r_squared(y, x, w, slope, intercept) -> float:
    """1 − weighted SS of the residuals / weighted SS about the mean (chainladder's rsq_)."""
    keep = w != 0
    x, y, w = x[keep], y[keep], w[keep]
    y_mean = np.sum(w * y) / np.sum(w)
    total = np.sum(w * y * y) - np.sum(w * y) * y_mean
    resid = np.sum(w * (y - (slope * x + intercept)) ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(1.0 - resid / total) if total != 0 else float("nan")


# An extrapolated sigma an order of magnitude above every sigma it was extrapolated from is a
# divergence, not a trend (rising sigmas on a small triangle give 1–3×; 43770 gives 1e77×).
_DIVERGENCE = 10.0
_NEGLIGIBLE = 1e-300  # the extrapolation of all-zero sigmas (1e-320 stand-ins) is zero, not a divergence


class _Tail:
    def _tail_stats(self, pattern: Pattern, tail: float) -> None:
        self.tail_sigma_ = self.tail_std_err_ = 0.0
        self.sigma_problem_ = None
        if pattern.sigma is None or pattern.sigma_problem or tail == 1.0 or len(pattern.ldf) < 2:
            return
        y = pattern.ldf.astype(np.float64).copy()
        y[y <= 1] = np.nan
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            slope, intercept = _ols(np.log(y - 1))
            point = tail if tail > 1 else 1.001
            time_pd = (np.log(point - 1) - intercept) / slope
            s_slope, s_int = _ols(np.log(np.maximum(pattern.sigma, 1e-320)))
            se = np.where(pattern.std_err == 0, np.nan, pattern.std_err)
            e_slope, e_int = _ols(np.log(se))
            sigma = float(np.exp(time_pd * s_slope + s_int))
            std_err = float(np.exp(time_pd * e_slope + e_int))
        # LDFs that barely decline (or fall) put the tail's "age" far out, and zero sigmas (logged
        # as 1e-320) tilt the line: the extrapolation then explodes or overflows
        for name, value, known in (("sigma", sigma, pattern.sigma), ("standard error", std_err, pattern.std_err)):
            largest = float(np.nanmax(known, initial=0.0))
            if not np.isfinite(value) or (value > _DIVERGENCE * largest and value > _NEGLIGIBLE):
                self.sigma_problem_ = (
                    f"the tail's {name}, extrapolated log-linearly to the age of a tail of {tail:g}, "
                    f"diverges ({value:.3g}, against at most {largest:.3g} in the development)")
                return
        self.tail_sigma_, self.tail_std_err_ = sigma, std_err


class TailConstant(_Tail):
    """A selected tail factor (≥ 1). `decay` is accepted for chainladder compatibility; it only
    spreads the tail over ages beyond the triangle, which this engine does not report."""

    def __init__(self, factor: float = 1.0, decay: float = 0.5):
        self.factor = factor
        self.decay = decay

    def fit(self, triangle: Triangle, pattern: Pattern) -> "TailConstant":
        factor = self.factor
        if not isinstance(factor, (int, float, np.floating, np.integer)) or not np.isfinite(factor):
            raise TailError(f"tail factor must be a number, got {shown(factor)}", field="tail")
        if factor < 1:
            raise TailError(f"tail factor {factor:g} is below 1; a tail cannot reduce the ultimate",
                            field="tail")
        self.tail_ = float(factor)
        self._tail_stats(pattern, self.tail_)
        return self


CURVES = ("exponential", "inverse_power")


class TailCurve(_Tail):
    """A curve fitted by least squares to log(LDF − 1): against the development index t
    (exponential decay) or log t (inverse power); the tail is Π (1 + f(t)) over the
    `extrap_periods` indices past the last age. `fit_period=(first_age, end_age)` limits the fit
    to LDFs from ages in [first_age, end_age); `reg_threshold=(low, high)` leaves out LDFs
    ≤ low (at least 1) or > high. At least two LDFs must be left to fit."""

    def __init__(self, curve: str = "exponential", fit_period=(None, None), extrap_periods: int = 100,
                 reg_threshold=(1.00001, None)):
        self.curve = curve
        self.fit_period = fit_period
        self.extrap_periods = extrap_periods
        self.reg_threshold = reg_threshold

    def fit(self, triangle: Triangle, pattern: Pattern) -> "TailCurve":
        if self.curve not in CURVES:
            raise TailError(f"unknown tail curve {self.curve!r}; known: {', '.join(CURVES)}", field="curve")
        if not isinstance(self.extrap_periods, (int, np.integer)) or self.extrap_periods < 1:
            raise TailError(f"extrap_periods must be a positive integer, got {shown(self.extrap_periods)}",
                            field="extrap_periods")
        ldf = pattern.ldf.astype(np.float64)
        ages = triangle.ages[:-1]
        start, end = self.fit_period
        w = np.ones(len(ldf))
        if start is not None:
            w[ages < start] = 0
        if end is not None:
            w[ages >= end] = 0
        lower = max(1.0, self.reg_threshold[0] if self.reg_threshold[0] is not None else 1.0)
        upper = self.reg_threshold[1]
        if upper is not None and upper <= lower:
            upper = None  # chainladder ignores an upper threshold below the lower one
        outside = (ldf <= lower) if upper is None else ((ldf <= lower) | (ldf > upper))
        w[outside] = 0
        if np.count_nonzero(w) < 2:
            raise TailError("a tail curve needs at least two development factors above "
                            f"{lower:g} to fit; select a TailConstant instead", field="tail")
        y = np.log(np.where(w > 0, ldf, 1.01) - 1)
        m = len(ldf)
        index = np.arange(1, m + 1, dtype=np.float64)
        x = index if self.curve == "exponential" else np.log(index)
        slope, intercept = _ols(y, x, w=w)
        t = np.arange(m + 1, m + self.extrap_periods + 1, dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            if self.curve == "exponential":
                projected = np.exp(slope * t + intercept)
            else:
                projected = np.exp(intercept) * t ** slope
            tail = float(np.prod(1 + projected))
        if not np.isfinite(tail) or tail < 1:
            raise TailError(f"the fitted tail curve gives an unusable tail {shown(tail)}", field="tail")
        self.slope_, self.intercept_ = float(slope), float(intercept)
        self.r_squared_ = _r_squared(y, x, w, slope, intercept)
        self.n_points_ = int(np.count_nonzero(w))
        self.fit_ages_ = [int(a) for a in ages[w > 0]]
        self.tail_ = tail
        self._tail_stats(pattern, tail)
        return self

    @property
    def fit_statistics_(self) -> dict:
        """The fitted curve in one record: curve, slope, intercept, R², points used and their
        ages, and the tail factor."""
        if "tail_" not in self.__dict__:
            raise AttributeError("TailCurve is not fitted: no fit_statistics_")
        return {"curve": self.curve, "slope": self.slope_, "intercept": self.intercept_,
                "r_squared": self.r_squared_, "n_points": self.n_points_, "fit_ages": list(self.fit_ages_),
                "tail": self.tail_}
