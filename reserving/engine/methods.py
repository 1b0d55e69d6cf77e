"""IBNR methods: chain ladder, Mack, Bornhuetter–Ferguson, Benktander, Cape Cod, expected loss.

Each estimator takes its configuration in `__init__` (a `development` estimator or selection and
a `tail`), `fit(triangle[, exposure=])` returns self, and the learned values end in `_`:
`ldf_`/`cdf_` by development age (the tail is `tail_`, and is included in `cdf_`), and
`latest_`, `origin_cdf_`, `ultimate_`, `ibnr_` (= ultimate − latest, as chainladder defines
it) by origin. The formulas are chainladder 0.10's, and so are the numbers (tests hold them to
1e-9), except that zeros stay zeros (see `development.py`): an origin with nothing yet has an
ultimate of 0 where chainladder shows NaN. No output ever holds a NaN or an infinity.
"""
from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from .development import Development, DevelopmentConstant
from .errors import EngineError, ExposureError, ParameterError
from .tails import TailConstant
from .triangle import Triangle


def _finite(series: pd.Series, what: str) -> pd.Series:
    bad = ~np.isfinite(series.to_numpy(dtype=np.float64))
    if bad.any():
        raise EngineError(f"{what} for origin {series.index[np.argmax(bad)]} is not finite", field=what)
    return series


def align_exposure(exposure, triangle: Triangle) -> np.ndarray:
    """Exposure (premium) per origin, aligned to the triangle's origins by label."""
    if exposure is None:
        raise ExposureError("this method needs exposure (earned premium by origin); none was given",
                            field="exposure")
    if isinstance(exposure, dict):
        exposure = pd.Series(exposure)
    if isinstance(exposure, pd.DataFrame):
        if exposure.shape[1] != 1:
            raise ExposureError("exposure must be one column by origin", field="exposure")
        exposure = exposure.iloc[:, 0]
    if isinstance(exposure, pd.Series):
        by_label = {str(k): v for k, v in exposure.items()}
        missing = [o for o in triangle.origins if str(o) not in by_label]
        if missing:
            raise ExposureError(f"no exposure for origin {missing[0]}", field="exposure")
        values = np.array([by_label[str(o)] for o in triangle.origins], dtype=np.float64)
    else:
        values = np.asarray(exposure, dtype=np.float64).ravel()
        if values.size != triangle.shape[0]:
            raise ExposureError(f"{values.size} exposures for {triangle.shape[0]} origins", field="exposure")
    bad = ~np.isfinite(values)
    if bad.any():
        raise ExposureError(f"exposure for origin {triangle.origins[np.argmax(bad)]} is missing or "
                            f"not a number", field="exposure")
    return values


def _apriori(apriori) -> float:
    if not isinstance(apriori, (int, float, np.integer, np.floating)) or isinstance(apriori, bool) \
            or not np.isfinite(apriori) or apriori < 0:
        raise ParameterError(f"apriori (expected loss ratio) must be a number ≥ 0, got {apriori!r}",
                             field="apriori")
    return float(apriori)


class _Method:
    """Shared fitting of the development pattern and the tail."""

    def __init__(self, development=None, tail=None):
        self.development = development
        self.tail = tail

    def _fit_pattern(self, triangle: Triangle) -> None:
        if not isinstance(triangle, Triangle):
            raise ParameterError(f"fit() wants a Triangle, got {type(triangle).__name__}", field="triangle")
        # fitted copies: the configured estimators are never mutated
        dev = copy.deepcopy(self.development if self.development is not None else Development())
        if not isinstance(dev, (Development, DevelopmentConstant)):
            raise ParameterError(f"development must be a Development or a DevelopmentConstant, got "
                                 f"{type(dev).__name__}", field="development")
        dev.fit(triangle)
        selected_tail = getattr(dev, "selected_tail_", None)
        if selected_tail is not None and self.tail is not None:
            raise ParameterError("the selection already carries a tail factor; do not also pass tail=",
                                 field="tail")
        tail = copy.deepcopy(self.tail if self.tail is not None else TailConstant(selected_tail or 1.0))
        tail.fit(triangle, dev.pattern_)
        self.triangle_ = triangle
        self.development_ = dev
        self.tail_fit_ = tail
        self.tail_ = float(tail.tail_)
        self.ldf_ = dev.ldf_.copy()
        self.cdf_ = (dev.cdf_ * self.tail_).rename("cdf")
        latest = triangle.latest_diagonal
        self.latest_ = latest
        self.origin_cdf_ = pd.Series(self.cdf_.to_numpy()[triangle.latest_index], index=triangle.origins,
                                     name="cdf")

    def _set_ultimate(self, ultimate: np.ndarray) -> None:
        self.ultimate_ = _finite(pd.Series(ultimate, index=self.triangle_.origins, name="ultimate"),
                                 "ultimate")
        self.ibnr_ = (self.ultimate_ - self.latest_).rename("ibnr")

    @property
    def full_triangle_(self) -> pd.DataFrame:
        """Observed cells as they are; future cells ultimate / CDF (chainladder's expectation)."""
        tri = self.triangle_
        expected = self.ultimate_.to_numpy()[:, None] / self.cdf_.to_numpy()[None, :]
        full = np.where(tri.observed, tri.values, expected)
        return pd.DataFrame(full, index=tri.origins, columns=pd.Index(tri.ages, name="age"))


class ChainLadder(_Method):
    """Ultimate = latest × CDF at the latest age (tail included)."""

    def fit(self, triangle: Triangle) -> "ChainLadder":
        self._fit_pattern(triangle)
        self._set_ultimate(self.latest_.to_numpy() * self.origin_cdf_.to_numpy())
        return self


class MackChainLadder(ChainLadder):
    """Chain ladder plus Mack's (1993) prediction error, by origin and in total, split into
    parameter and process risk, with chainladder's recursion. The sigma extrapolation is the
    `Development`'s `sigma_interpolation` ("log-linear" by default, as in chainladder and R's
    ChainLadder; "mack" for Mack 1994)."""

    def fit(self, triangle: Triangle) -> "MackChainLadder":
        super().fit(triangle)
        pattern = self.development_.pattern_
        if pattern.sigma is None or pattern.sigma_problem:
            raise EngineError(f"Mack's standard error needs sigma: {pattern.sigma_problem}",
                              field="development")
        tri = triangle
        n_origin, n_age = tri.shape
        full = self.full_triangle_.to_numpy()
        ldf = np.append(pattern.ldf, self.tail_)
        std_err = np.append(pattern.std_err, self.tail_fit_.tail_std_err_)
        sigma = np.append(pattern.sigma, self.tail_fit_.tail_sigma_)
        alpha = np.append(pattern.exponent, pattern.exponent[-1])
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            scale = np.sqrt(full ** (2.0 - alpha[None, :]))
            process_t = np.nan_to_num(sigma[None, :] / np.where(scale == 0, np.nan, scale)) * full
        param_t = full * std_err[None, :]
        future = np.arange(n_age)[None, :] >= tri.latest_index[:, None]  # cell k projects k → k+1
        param = np.zeros(n_origin)
        process = np.zeros(n_origin)
        total_param = 0.0
        for k in range(n_age):
            param = np.where(future[:, k], np.sqrt(param_t[:, k] ** 2 + (ldf[k] * param) ** 2), 0.0)
            process = np.where(future[:, k], np.sqrt(process_t[:, k] ** 2 + (ldf[k] * process) ** 2), 0.0)
            step = np.sum(np.where(future[:, k], full[:, k], 0.0)) * std_err[k]
            total_param = np.sqrt(step ** 2 + (ldf[k] * total_param) ** 2)
        index = tri.origins
        self.parameter_risk_ = _finite(pd.Series(param, index=index, name="parameter_risk"), "parameter risk")
        self.process_risk_ = _finite(pd.Series(process, index=index, name="process_risk"), "process risk")
        self.mack_se_ = np.sqrt(self.parameter_risk_ ** 2 + self.process_risk_ ** 2).rename("mack_se")
        self.total_process_risk_ = float(np.sqrt(np.sum(process ** 2)))
        self.total_parameter_risk_ = float(total_param)
        self.total_mack_se_ = float(np.sqrt(self.total_process_risk_ ** 2 + total_param ** 2))
        if not np.isfinite(self.total_mack_se_):
            raise EngineError("the total Mack standard error is not finite", field="mack_se")
        return self


class Benktander(_Method):
    """Benktander: n_iters credibility steps from the a priori expectation (apriori × exposure)
    towards the chain ladder; ultimate = latest·Σ_{j<n} q^j + q^n·expected, q = 1 − 1/CDF.
    n_iters = 1 is Bornhuetter–Ferguson, 0 the expected loss ratio."""

    def __init__(self, apriori: float = 1.0, n_iters: int = 1, development=None, tail=None):
        super().__init__(development=development, tail=tail)
        self.apriori = apriori
        self.n_iters = n_iters

    def fit(self, triangle: Triangle, exposure=None) -> "Benktander":
        apriori = _apriori(self.apriori)
        if not isinstance(self.n_iters, (int, np.integer)) or self.n_iters < 0:
            raise ParameterError(f"n_iters must be an integer ≥ 0, got {self.n_iters!r}", field="n_iters")
        self._fit_pattern(triangle)
        premium = align_exposure(exposure, triangle)
        self.exposure_ = pd.Series(premium, index=triangle.origins, name="exposure")
        self._benktander(premium * apriori)
        return self

    def _benktander(self, expected: np.ndarray) -> None:
        self.expectation_ = pd.Series(expected, index=self.triangle_.origins, name="expectation")
        q = 1.0 - 1.0 / self.origin_cdf_.to_numpy()
        n = int(self.n_iters)
        weight_latest = np.sum([q ** j for j in range(n)], axis=0) if n else np.zeros_like(q)
        self._set_ultimate(self.latest_.to_numpy() * weight_latest + q ** n * expected)


class BornhuetterFerguson(Benktander):
    """Bornhuetter–Ferguson: ultimate = latest + (1 − 1/CDF) × apriori × exposure."""

    def __init__(self, apriori: float = 1.0, development=None, tail=None):
        super().__init__(apriori=apriori, n_iters=1, development=development, tail=tail)


class ExpectedLossRatio(Benktander):
    """Expected loss ratio: ultimate = apriori × exposure, whatever has emerged."""

    def __init__(self, apriori: float = 1.0, development=None, tail=None):
        super().__init__(apriori=apriori, n_iters=0, development=development, tail=tail)


class CapeCod(Benktander):
    """Cape Cod (Stanard–Bühlmann): the a priori loss ratio is the (decayed, trended) ratio of
    reported losses to "used-up" exposure, exposure / CDF; then Bornhuetter–Ferguson.

    `trend` is annual and applied from each origin to the latest one, (1 + trend)^(years), the
    years counted in origin periods (quarters or years, the triangle's `origin_months`);
    `decay` weights origin i for origin j by decay^|i − j|. Origins with zero used-up exposure
    do not enter the ratio (as in chainladder)."""

    def __init__(self, trend: float = 0.0, decay: float = 1.0, n_iters: int = 1, development=None,
                 tail=None):
        super().__init__(apriori=1.0, n_iters=n_iters, development=development, tail=tail)
        self.trend = trend
        self.decay = decay

    def fit(self, triangle: Triangle, exposure=None) -> "CapeCod":
        for name in ("trend", "decay"):
            value = getattr(self, name)
            if not isinstance(value, (int, float, np.integer, np.floating)) or not np.isfinite(value):
                raise ParameterError(f"{name} must be a number, got {value!r}", field=name)
        if not 0 <= self.decay <= 1:
            raise ParameterError(f"decay must lie in [0, 1], got {self.decay!r}", field="decay")
        if self.trend <= -1:
            raise ParameterError(f"trend must be above -100%, got {self.trend!r}", field="trend")
        self._fit_pattern(triangle)
        premium = align_exposure(exposure, triangle)
        self.exposure_ = pd.Series(premium, index=triangle.origins, name="exposure")
        n = triangle.shape[0]
        years = (n - 1 - np.arange(n)) * triangle.origin_months / 12.0
        trend = (1.0 + self.trend) ** years
        used_up = premium / self.origin_cdf_.to_numpy()
        enters = used_up != 0
        decay = float(self.decay) ** np.abs(np.arange(n)[:, None] - np.arange(n)[None, :])
        num = decay @ np.where(enters, self.latest_.to_numpy() * trend, 0.0)
        den = decay @ np.where(enters, used_up, 0.0)
        if np.any(den == 0):
            j = int(np.argmax(den == 0))
            raise ExposureError(f"Cape Cod: no used-up exposure to weigh for origin {triangle.origins[j]} "
                                f"(premium is zero where it counts)", field="exposure")
        apriori = num / den
        self.apriori_ = _finite(pd.Series(apriori, index=triangle.origins, name="apriori"), "apriori")
        self.detrended_apriori_ = (self.apriori_ / trend).rename("detrended_apriori")
        self._benktander(premium * self.detrended_apriori_.to_numpy())
        return self
