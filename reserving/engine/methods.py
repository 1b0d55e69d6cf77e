"""IBNR methods: chain ladder, Mack, Bornhuetter–Ferguson, Benktander, Cape Cod, expected loss.

Each estimator takes its configuration in `__init__` (a `development` estimator or selection and
a `tail`), `fit(triangle[, exposure=])` returns self, and the learned values end in `_`:
`ldf_`/`cdf_` by development age (the tail is `tail_`, and is included in `cdf_`), and
`latest_`, `origin_cdf_`, `ultimate_`, `ibnr_` (= ultimate − latest, as chainladder defines
it) by origin. The formulas are chainladder 0.10's, and so are the numbers (tests hold them to
1e-9), except that zeros stay zeros (see `development.py`): an origin with nothing yet has an
ultimate of 0 where chainladder shows NaN. No output ever holds a NaN or an infinity.

`fit_many(triangles[, exposures])` fits one configuration to many triangles of the same shape
(every company, segment or currency) in one vectorised pass and returns one fitted estimator
per triangle; `fit` is `fit_many` of one. The numbers live in numpy arrays; the pandas views
are built when read.
"""
from __future__ import annotations

import copy
from collections.abc import Sequence
from types import SimpleNamespace

import numpy as np
import pandas as pd

from .development import Development, DevelopmentConstant
from .errors import EngineError, ExposureError, ParameterError, shown
from .tails import TailConstant
from .triangle import Triangle, origin_key


def _check_finite(values: np.ndarray, what: str, triangles: list[Triangle]) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        t, i = np.argwhere(bad.reshape(len(triangles), -1))[0]
        where = f"triangle {t}: " if len(triangles) > 1 else ""
        raise EngineError(f"{where}{what} for origin {triangles[t].origins[i]} is not finite", field=what)


def align_exposure(exposure, triangle: Triangle) -> np.ndarray:
    """Exposure (premium) per origin, aligned to the triangle's origins by label (`origin_key`:
    1988, 1988.0 and "1988" are one origin)."""
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
        by_label = {}
        for k, v in exposure.items():
            key = origin_key(k)
            if key in by_label:
                raise ExposureError(f"exposure for origin {key} appears twice", field="exposure")
            by_label[key] = v
        missing = [o for o in triangle.origins if origin_key(o) not in by_label]
        if missing:
            raise ExposureError(f"no exposure for origin {origin_key(missing[0])}", field="exposure")
        values = np.array([by_label[origin_key(o)] for o in triangle.origins], dtype=np.float64)
    else:
        values = np.asarray(exposure, dtype=np.float64).ravel()
        if values.size != triangle.shape[0]:
            raise ExposureError(f"{values.size} exposures for {triangle.shape[0]} origins", field="exposure")
    bad = ~np.isfinite(values)
    if bad.any():
        raise ExposureError(f"exposure for origin {triangle.origins[np.argmax(bad)]} is missing or "
                            f"not a number", field="exposure")
    return values


def _number(value, name: str, *, low=None, low_inclusive=True) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) \
        and np.isfinite(value)
    if ok and low is not None:
        ok = value >= low if low_inclusive else value > low
    if not ok:
        bound = "" if low is None else f" {'≥' if low_inclusive else '>'} {low:g}"
        raise ParameterError(f"{name} must be a number{bound}, got {shown(value)}", field=name)
    return float(value)


class TriangleStack:
    """Triangles of one shape stacked along a first axis, with their observed staircases.
    Build it once for many segments or companies and pass it to `fit_many` repeatedly (the
    counterpart of chainladder's multi-index triangle)."""

    def __init__(self, triangles):
        triangles = list(triangles)
        if not triangles:
            raise ParameterError("no triangles to fit", field="triangle")
        if not all(isinstance(t, Triangle) for t in triangles):
            bad = next(t for t in triangles if not isinstance(t, Triangle))
            raise ParameterError(f"fit() wants a Triangle, got {type(bad).__name__}", field="triangle")
        first = triangles[0]
        same_shape = [t.values.shape == first.values.shape for t in triangles]
        if all(same_shape):
            ages = np.stack([t.ages for t in triangles])
            same_ages = (ages == ages[0]).all(axis=1)
        if not all(same_shape) or not same_ages.all():
            k = same_shape.index(False) if not all(same_shape) else int(np.argmin(same_ages))
            raise ParameterError(f"triangle {k} differs in shape or ages from triangle 0; fit them "
                                 f"separately", field="triangle")
        self.triangles = triangles
        self.values = np.stack([t.values for t in triangles])
        self.lengths = np.stack([t.lengths for t in triangles])
        self.latest_index = self.lengths - 1
        k, n, m = self.values.shape
        self.observed = np.arange(m)[None, None, :] < self.lengths[:, :, None]
        self.latest = np.take_along_axis(self.values, self.latest_index[:, :, None], axis=2)[:, :, 0]


class _Method:
    """Shared fitting of the development pattern and the tail."""

    _needs_sigma = False  # only Mack uses sigma; the others skip estimating it

    def __init__(self, development=None, tail=None):
        self.development = development
        self.tail = tail

    # ---------------------------------------------------------------- fitting
    def fit(self, triangle: Triangle, *args, **kwargs):
        fitted = self.fit_many([triangle], *args, **kwargs)[0]
        self.__dict__.update(fitted.__dict__)
        return self

    def fit_many(self, triangles, exposures=None) -> "FittedMany":
        stack = triangles if isinstance(triangles, TriangleStack) else TriangleStack(triangles)
        results, shared = self._fit_pattern(stack)
        self._fit_stack(stack, results, exposures, shared)
        return results

    def _fit_pattern(self, stack: TriangleStack):
        """The fitted estimators (built on access) and the stacked factors they share."""
        # fitted copies: the configured estimators are never mutated
        dev = copy.copy(self.development if self.development is not None else Development())
        if not isinstance(dev, (Development, DevelopmentConstant)):
            raise ParameterError(f"development must be a Development or a DevelopmentConstant, got "
                                 f"{type(dev).__name__}", field="development")
        patterns = dev._patterns(stack.triangles, with_sigma=self._needs_sigma, values=stack.values)
        selected_tail = getattr(dev, "selected_tail_", None)
        if selected_tail is not None and self.tail is not None:
            raise ParameterError("the selection already carries a tail factor; do not also pass tail=",
                                 field="tail")
        tail_config = self.tail if self.tail is not None else TailConstant(selected_tail or 1.0)
        first_tail = copy.copy(tail_config).fit(stack.triangles[0], patterns.pattern(0))  # settings are scalars
        if isinstance(tail_config, TailConstant) and first_tail.tail_ == 1.0:
            # a constant tail of 1 has no sigma to extrapolate: one fit serves every triangle
            tail_fits = [first_tail] * len(stack.triangles)
        else:
            tail_fits = [first_tail] + [copy.copy(tail_config).fit(t, patterns.pattern(k))
                                        for k, t in enumerate(stack.triangles[1:], start=1)]
        shared = SimpleNamespace(dev=dev, patterns=patterns, tail_fits=tail_fits, ldf=patterns.ldf,
                                 tail=np.array([t.tail_ for t in tail_fits], dtype=np.float64))
        shared.cdf = np.cumprod(np.concatenate([shared.ldf, shared.tail[:, None]], axis=1)[:, ::-1],
                                axis=1)[:, ::-1]
        shared.origin_cdf = np.take_along_axis(shared.cdf, stack.latest_index, axis=1)
        return FittedMany(self, stack, shared), shared

    def _fit_stack(self, stack: TriangleStack, results: "FittedMany", exposures, shared) -> None:
        raise NotImplementedError

    @staticmethod
    def _share(results: "FittedMany", stack: TriangleStack, shared, **arrays) -> None:
        """Give the fitted estimators their stacked arrays (row k for triangle k)."""
        results._arrays.update({"_ldf": shared.ldf, "_cdf": shared.cdf, "_origin_cdf": shared.origin_cdf,
                                "_latest": stack.latest, **arrays})

    # ---------------------------------------------------------------- pandas views
    def _by_origin(self, name: str, values) -> pd.Series:
        return pd.Series(values, index=self.triangle_.origins, name=name)

    def _need(self, attr: str):
        if attr not in self.__dict__:
            raise AttributeError(f"{type(self).__name__} is not fitted")
        return self.__dict__[attr]

    @property
    def ldf_(self) -> pd.Series:
        return pd.Series(self._need("_ldf"), index=pd.Index(self.triangle_.ages[:-1], name="age"), name="ldf")

    @property
    def cdf_(self) -> pd.Series:
        return pd.Series(self._need("_cdf"), index=pd.Index(self.triangle_.ages, name="age"), name="cdf")

    @property
    def latest_(self) -> pd.Series:
        return self._by_origin("latest", self._need("_latest"))

    @property
    def origin_cdf_(self) -> pd.Series:
        return self._by_origin("cdf", self._need("_origin_cdf"))

    @property
    def ultimate_(self) -> pd.Series:
        return self._by_origin("ultimate", self._need("_ultimate"))

    @property
    def ibnr_(self) -> pd.Series:
        return self._by_origin("ibnr", self._need("_ultimate") - self._need("_latest"))

    @property
    def full_triangle_(self) -> pd.DataFrame:
        """Observed cells as they are; future cells ultimate / CDF (chainladder's expectation)."""
        tri = self.triangle_
        expected = self._need("_ultimate")[:, None] / self._need("_cdf")[None, :]
        full = np.where(tri.observed, tri.values, expected)
        return pd.DataFrame(full, index=tri.origins, columns=pd.Index(tri.ages, name="age"))


class FittedMany(Sequence):
    """The estimators `fit_many` fitted, one per triangle, built when first read (the numbers
    are already computed, stacked; building a few thousand objects up front would cost more
    than the arithmetic)."""

    def __init__(self, config: _Method, stack: TriangleStack, shared):
        self._config = config
        self._stack = stack
        self._shared = shared
        self._arrays: dict = {}
        self._built: dict = {}

    def __len__(self) -> int:
        return len(self._stack.triangles)

    def stacked(self, name: str) -> np.ndarray:
        """One learned array for every triangle at once, row k for triangle k, without building
        the per-triangle estimators: "ldf", "cdf" (by age), "tail" (one per triangle), and
        "latest", "origin_cdf", "ultimate" (by origin). Read-only views; for callers that fit
        thousands of triangles (a back-test) and only need the numbers."""
        shared = {"ldf": self._shared.ldf, "cdf": self._shared.cdf, "tail": self._shared.tail,
                  "origin_cdf": self._shared.origin_cdf, "latest": self._stack.latest}
        if name in shared:
            values = shared[name]
        elif f"_{name}" in self._arrays:
            values = self._arrays[f"_{name}"]
        else:
            raise ParameterError(f"no stacked array {name!r}; known: {', '.join(list(shared) + ['ultimate'])}",
                                 field="name")
        view = np.asarray(values).view()
        view.setflags(write=False)
        return view

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        if k < 0:
            k += len(self)
        if not 0 <= k < len(self):
            raise IndexError(k)
        if k not in self._built:
            shared = self._shared
            result = copy.copy(self._config)
            tri = self._stack.triangles[k]
            dev = copy.copy(shared.dev)
            dev._bind(tri, shared.patterns.pattern(k))
            result.triangle_, result.development_, result.tail_fit_ = tri, dev, shared.tail_fits[k]
            result.tail_ = float(shared.tail[k])
            for name, values in self._arrays.items():
                row = values[k]
                setattr(result, name, float(row) if np.ndim(row) == 0 else row)
            self._built[k] = result
        return self._built[k]


class ChainLadder(_Method):
    """Ultimate = latest × CDF at the latest age (tail included)."""

    def _fit_stack(self, stack, results, exposures, shared) -> None:
        ultimate = stack.latest * shared.origin_cdf
        _check_finite(ultimate, "ultimate", stack.triangles)
        self._share(results, stack, shared, _ultimate=ultimate)


class MackChainLadder(ChainLadder):
    """Chain ladder plus Mack's (1993) prediction error, by origin and in total, split into
    parameter and process risk, with chainladder's recursion. The sigma extrapolation is the
    `Development`'s `sigma_interpolation` ("log-linear" by default, as in chainladder and R's
    ChainLadder; "mack" for Mack 1994)."""

    _needs_sigma = True

    def _fit_stack(self, stack, results, exposures, shared) -> None:
        patterns = shared.patterns
        for k, problem in enumerate(patterns.problems):
            if patterns.sigma is None or problem:
                where = f"triangle {k}: " if len(patterns) > 1 else ""
                raise EngineError(f"{where}Mack's standard error needs sigma: {problem}", field="development")
        for k, fit in enumerate(shared.tail_fits):
            problem = getattr(fit, "sigma_problem_", None)
            if problem:
                where = f"triangle {k}: " if len(patterns) > 1 else ""
                raise EngineError(f"{where}Mack's standard error is unusable: {problem}", field="tail")
        ultimate = stack.latest * shared.origin_cdf
        _check_finite(ultimate, "ultimate", stack.triangles)
        k, n, m = stack.values.shape
        cdf = shared.cdf
        full = np.where(stack.observed, stack.values, ultimate[:, :, None] / cdf[:, None, :])
        ldf = np.concatenate([shared.ldf, shared.tail[:, None]], axis=1)
        std_err = np.column_stack([patterns.std_err, [t.tail_std_err_ for t in shared.tail_fits]])
        sigma = np.column_stack([patterns.sigma, [t.tail_sigma_ for t in shared.tail_fits]])
        alpha = np.append(patterns.exponent, patterns.exponent[-1])
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            scale = np.sqrt(full ** (2.0 - alpha))
            process_t = np.nan_to_num(sigma[:, None, :] / np.where(scale == 0, np.nan, scale)) * full
        param_t = full * std_err[:, None, :]
        future = np.arange(m)[None, None, :] >= stack.latest_index[:, :, None]  # cell j projects j → j+1
        # chainladder's recursion R[j+1]² = t[j]² + f[j]²·R[j]² from the latest cell (R = 0) to
        # ultimate, unrolled: R[ult]² = Σ_j t[j]²·Π_{l>j} f[l]², summed over the future steps.
        onward = np.cumprod((ldf ** 2)[:, ::-1], axis=1)[:, ::-1]
        onward = np.concatenate([onward[:, 1:], np.ones((k, 1))], axis=1)[:, None, :]
        param = np.sqrt(np.sum(np.where(future, param_t ** 2 * onward, 0.0), axis=2))
        process = np.sqrt(np.sum(np.where(future, process_t ** 2 * onward, 0.0), axis=2))
        step = np.sum(np.where(future, full, 0.0), axis=1) * std_err
        total_param = np.sqrt(np.sum(step ** 2 * onward[:, 0, :], axis=1))
        total_process = np.sqrt(np.sum(process ** 2, axis=1))
        total = np.sqrt(total_process ** 2 + total_param ** 2)
        _check_finite(param, "parameter risk", stack.triangles)
        _check_finite(process, "process risk", stack.triangles)
        self._share(results, stack, shared, _ultimate=ultimate, _param=param, _process=process,
                    total_parameter_risk_=total_param.astype(float), total_process_risk_=total_process,
                    total_mack_se_=total)

    @property
    def parameter_risk_(self) -> pd.Series:
        return self._by_origin("parameter_risk", self._need("_param"))

    @property
    def process_risk_(self) -> pd.Series:
        return self._by_origin("process_risk", self._need("_process"))

    @property
    def mack_se_(self) -> pd.Series:
        return self._by_origin("mack_se", np.sqrt(self._need("_param") ** 2 + self._need("_process") ** 2))


class Benktander(_Method):
    """Benktander: n_iters credibility steps from the a priori expectation (apriori × exposure)
    towards the chain ladder; ultimate = latest·Σ_{j<n} q^j + q^n·expected, q = 1 − 1/CDF.
    n_iters = 1 is Bornhuetter–Ferguson, 0 the expected loss ratio."""

    def __init__(self, apriori: float = 1.0, n_iters: int = 1, development=None, tail=None):
        super().__init__(development=development, tail=tail)
        self.apriori = apriori
        self.n_iters = n_iters

    def fit(self, triangle: Triangle, exposure=None):
        return super().fit(triangle, [exposure])

    def fit_many(self, triangles, exposures=None) -> list:
        triangles = list(triangles)
        exposures = [None] * len(triangles) if exposures is None else list(exposures)
        if len(exposures) != len(triangles):
            raise ExposureError(f"{len(exposures)} exposures for {len(triangles)} triangles", field="exposure")
        self._check_settings()
        return super().fit_many(triangles, exposures)

    def _check_settings(self) -> None:
        _number(self.apriori, "apriori", low=0)
        if not isinstance(self.n_iters, (int, np.integer)) or isinstance(self.n_iters, bool) or self.n_iters < 0:
            raise ParameterError(f"n_iters must be an integer ≥ 0, got {shown(self.n_iters)}", field="n_iters")

    def _premium(self, stack, exposures) -> np.ndarray:
        return np.stack([align_exposure(e, t) for e, t in zip(exposures, stack.triangles)])

    def _fit_stack(self, stack, results, exposures, shared) -> None:
        premium = self._premium(stack, exposures)
        self._benktander(stack, results, shared, premium, premium * float(self.apriori))

    def _benktander(self, stack, results, shared, premium, expected, **extra) -> None:
        q = 1.0 - 1.0 / shared.origin_cdf
        n = int(self.n_iters)
        weight_latest = sum(q ** j for j in range(n)) if n else np.zeros_like(q)
        ultimate = stack.latest * weight_latest + q ** n * expected
        _check_finite(ultimate, "ultimate", stack.triangles)
        self._share(results, stack, shared, _ultimate=ultimate, _premium=premium, _expected=expected, **extra)

    @property
    def exposure_(self) -> pd.Series:
        return self._by_origin("exposure", self._need("_premium"))

    @property
    def expectation_(self) -> pd.Series:
        return self._by_origin("expectation", self._need("_expected"))


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

    def _check_settings(self) -> None:
        super()._check_settings()
        _number(self.trend, "trend", low=-1, low_inclusive=False)
        decay = _number(self.decay, "decay", low=0)
        if decay > 1:
            raise ParameterError(f"decay must lie in [0, 1], got {shown(self.decay)}", field="decay")

    def _fit_stack(self, stack, results, exposures, shared) -> None:
        premium = self._premium(stack, exposures)
        k, n, _ = stack.values.shape
        months = np.array([t.origin_months for t in stack.triangles], dtype=np.float64)
        years = (n - 1 - np.arange(n))[None, :] * months[:, None] / 12.0
        trend = (1.0 + float(self.trend)) ** years
        used_up = premium / shared.origin_cdf
        enters = used_up != 0
        decay = float(self.decay) ** np.abs(np.arange(n)[:, None] - np.arange(n)[None, :])
        num = np.where(enters, stack.latest * trend, 0.0) @ decay.T
        den = np.where(enters, used_up, 0.0) @ decay.T
        if np.any(den == 0):
            t, j = np.argwhere(den == 0)[0]
            raise ExposureError(f"Cape Cod: no used-up exposure to weigh for origin {stack.triangles[t].origins[j]} "
                                f"(premium is zero where it counts)", field="exposure")
        apriori = num / den
        _check_finite(apriori, "apriori", stack.triangles)
        detrended = apriori / trend
        self._benktander(stack, results, shared, premium, premium * detrended, _apriori=apriori, _detrended=detrended)

    @property
    def apriori_(self) -> pd.Series:
        return self._by_origin("apriori", self._need("_apriori"))

    @property
    def detrended_apriori_(self) -> pd.Series:
        return self._by_origin("detrended_apriori", self._need("_detrended"))
