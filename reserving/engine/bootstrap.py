"""ODP bootstrap of the chain ladder (England & Verrall 2002): the reserve distribution.

1. Volume-weighted chain ladder on the cumulative (paid) triangle; fitted incrementals μ are
   backed out of the latest diagonal with the LDFs (the over-dispersed Poisson model's fit).
2. Pearson residuals r = (X − μ)/√μ; scale φ = Σr²/(n − p), p = origins + ages − 1. Residuals
   are adjusted for degrees of freedom, √(n/(n − p)), or, with `hat_adj=True`, for leverage,
   r/√(1 − h) from the GLM hat matrix. Cells that fit exactly by construction (a column or a row
   with one cell) are left out of the pool.
3. All `n_sims` pseudo-triangles X* = μ + r*·√μ at once (3-D arrays, in chunks to bound memory),
   chain ladder on each, future incrementals projected from each pseudo latest diagonal.
4. Process variance: each future incremental drawn from a gamma with mean m and variance φ·|m|
   (`process_dist="gamma"`), or φ·Poisson(m/φ) (`"od_poisson"`); a negative mean keeps its sign.

Seedable: the same `random_state` gives the same numbers. Cells with μ ≤ 0 carry no residual.

**When the distribution means nothing.** On a thin triangle — a few large medmal payments in a
sea of zeros, quarterly origins — the ODP bootstrap still produces numbers: residuals of a few
cells with enormous leverage, resampled into cells where μ is tiny, give a "distribution" with
a p99.5 a hundred times its mean and a 1st percentile millions below zero, for a reserve that
cannot be negative. No percentile of that is a statement about the reserve, so the fit gives a
verdict (`distribution_verdict`) on the total reserve, and percentiles only when it passes.
It fails when any of these holds:

* the mean is not positive (there is no reserve to describe);
* the coefficient of variation sd/mean exceeds `max_cv`, by default `MAX_CV = 1.0`: a standard
  deviation larger than the reserve itself. For a positive reserve that is already a
  distribution whose most likely value is nothing (a gamma of CV > 1 has shape < 1 and its mode
  at zero), far outside what reserve risk looks like on a real book (bootstrap and Mack CVs of a
  line's total reserve are typically 10–50%: RAA's are 0.36 bootstrap, 0.52 Mack; the Solvency II standard
  formula's reserve-risk sd for the liability lines is 9–11%). It is a bound on whether the
  model describes the data, not a risk appetite;
* the 1st percentile is below zero by more than the mean (p1 < −mean): a paid reserve cannot
  be negative, and a distribution reaching that far below zero is noise around zero, whatever
  its mean (the review's quarterly demo triangle: p1 −6.2M on a 213k mean).

A fully developed triangle (every draw zero) is a point mass at zero, not a failure.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .development import estimate
from .errors import EngineError, ParameterError, shown
from .triangle import Triangle

PROCESS_DISTS = ("gamma", "od_poisson")
PERCENTILES = (75, 95, 99.5)
MAX_CV = 1.0
_CHUNK = 2000


@dataclass(frozen=True)
class Verdict:
    """Whether a simulated reserve distribution means anything (see the module docstring):
    `meaningful`, and if not the `reasons`; the statistics it was judged on (`cv` is None when
    the mean is not positive)."""

    meaningful: bool
    reasons: tuple
    mean: float
    std: float
    cv: float | None
    p1: float
    max_cv: float

    @property
    def reason(self) -> str | None:
        return "; ".join(self.reasons) if self.reasons else None

    def as_dict(self) -> dict:
        # "first_percentile", not "p1": a stored summary's top-level p-keys read as a quantile curve
        return {"meaningful": self.meaningful, "reasons": list(self.reasons), "mean": self.mean,
                "std": self.std, "cv": self.cv, "first_percentile": self.p1, "max_cv": self.max_cv}


def distribution_verdict(samples, max_cv: float = MAX_CV) -> Verdict:
    """The verdict on simulated reserves (one value per simulation): not meaningful when the
    mean is not positive, when sd/mean exceeds `max_cv`, or when the 1st percentile is below
    zero by more than the mean. Every draw zero is a point mass at zero: meaningful."""
    x = np.asarray(samples, dtype=np.float64).ravel()
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise EngineError("a reserve distribution needs finite simulated values", field="samples")
    if isinstance(max_cv, bool) or not isinstance(max_cv, (int, float, np.integer, np.floating)) \
            or not np.isfinite(max_cv) or max_cv <= 0:
        raise ParameterError(f"max_cv must be a positive number, got {shown(max_cv)}", field="max_cv")
    mean = float(x.mean())
    std = float(x.std(ddof=1)) if x.size > 1 else 0.0
    p1 = float(np.percentile(x, 1))
    if not np.any(x):
        return Verdict(True, (), 0.0, 0.0, None, 0.0, float(max_cv))
    reasons = []
    cv = std / mean if mean > 0 else None
    if mean <= 0:
        reasons.append(f"the mean reserve {mean:,.0f} is not positive")
    if cv is not None and cv > max_cv:
        reasons.append(f"the coefficient of variation {cv:.2f} exceeds {max_cv:g} (sd {std:,.0f} on a mean "
                       f"of {mean:,.0f})")
    if mean > 0 and p1 < -mean:
        reasons.append(f"the 1st percentile {p1:,.0f} is further below zero than the mean {mean:,.0f} is above it")
    return Verdict(not reasons, tuple(reasons), mean, std, cv, p1, float(max_cv))


class BootstrapODP:
    """Reserve distribution by the ODP bootstrap; see the module docstring.

    After `fit`: `ibnr_` (the chain-ladder reserve by origin), `scale_` (φ), `residuals_`,
    `reserve_samples_` (n_sims × origins) and `total_reserve_samples_` (the raw draws, for
    diagnostics: read no percentile off them without checking `meaningful_`);
    `verdict_` (a `Verdict` on the total reserve) and `meaningful_`; `origin_verdicts_`, the
    same judgement by origin and for the total (mean, std, cv, p1, meaningful, reason);
    `distribution_`, a DataFrame by origin plus a `total` row with mean and std and, only when
    the total is meaningful, p75, p95 and p99.5. `summary()` is the one dict a caller stores;
    `percentile(q)` refuses a meaningless distribution."""

    def __init__(self, n_sims: int = 1000, random_state=None, hat_adj: bool = False,
                 process_dist: str = "gamma", max_cv: float = MAX_CV):
        self.n_sims = n_sims
        self.random_state = random_state
        self.hat_adj = hat_adj
        self.process_dist = process_dist
        self.max_cv = max_cv

    def fit(self, triangle: Triangle) -> "BootstrapODP":
        if not isinstance(self.n_sims, (int, np.integer)) or isinstance(self.n_sims, bool) or self.n_sims < 1:
            raise ParameterError(f"n_sims must be a positive integer, got {shown(self.n_sims)}", field="n_sims")
        if self.process_dist not in PROCESS_DISTS:
            raise ParameterError(f"unknown process_dist {self.process_dist!r}; known: {', '.join(PROCESS_DISTS)}",
                                 field="process_dist")
        distribution_verdict([0.0], self.max_cv)  # validates max_cv before the simulation
        tri = triangle
        n, m = tri.shape
        if m < 2 or n < 2:
            raise EngineError("the bootstrap needs at least two origins and two development ages",
                              field="triangle")
        observed = tri.observed
        lengths = tri.lengths
        values = np.where(observed, tri.values, 0.0)
        weights = np.isfinite(tri.values[:, 1:]).astype(np.float64)
        ldf = estimate(tri, weights, np.ones(m - 1)).ldf
        link = np.isfinite(tri.values[:, 1:]) & (tri.values[:, :-1] != 0)

        fitted = _fitted_cumulative(values, lengths, ldf)
        mu = np.diff(np.concatenate([np.zeros((n, 1)), fitted], axis=1), axis=1)
        actual = np.diff(np.concatenate([np.zeros((n, 1)), values], axis=1), axis=1)
        positive = observed & (mu > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            resid = np.where(positive, (actual - mu) / np.sqrt(np.where(positive, mu, 1.0)), 0.0)
        n_obs = int(observed.sum())
        n_par = n + m - 1
        dof = n_obs - n_par
        if dof <= 0:
            raise EngineError(f"the bootstrap needs more observed cells ({n_obs}) than parameters ({n_par})",
                              field="triangle")
        scale = float(np.sum(resid ** 2) / dof)
        single_row = (lengths == 1)[:, None] & observed
        single_col = (observed.sum(axis=0) == 1)[None, :] & observed
        poolable = positive & ~single_row & ~single_col
        if self.hat_adj:
            leverage = _leverage(observed, mu)
            poolable &= leverage < 1 - 1e-9
            adjusted = np.where(poolable, resid / np.sqrt(np.where(poolable, 1 - leverage, 1.0)), 0.0)
        else:
            adjusted = resid * np.sqrt(n_obs / dof)
        pool = adjusted[poolable]
        if pool.size == 0 or scale <= 0:
            raise EngineError("the triangle fits the chain ladder exactly: no residuals to resample",
                              field="triangle")

        rng = np.random.default_rng(self.random_state)
        rows, cols = np.nonzero(observed)
        mu_obs = mu[rows, cols]
        noise = np.sqrt(np.where(mu_obs > 0, mu_obs, 0.0))
        # Every statistic the chain ladder needs from a pseudo-triangle is linear in its
        # incrementals: LDF numerators/denominators (sums of cumulative cells over the link
        # cells) and each origin's latest value. So one matrix product per chunk gives them all.
        n_link = m - 1
        sums = np.zeros((rows.size, 2 * n_link + n))
        for j in range(n_link):
            sums[:, j] = link[rows, j] & (cols <= j + 1)            # Σ C*[i, j+1]
            sums[:, n_link + j] = link[rows, j] & (cols <= j)       # Σ C*[i, j]
        sums[np.arange(rows.size), 2 * n_link + rows] = 1.0        # latest C*[i]
        base = mu_obs @ sums
        scaled = noise[:, None] * sums
        latest_col = lengths - 1
        future = ~observed
        f_rows, f_cols = np.nonzero(future)
        by_col = np.lexsort((f_rows, f_cols))  # future cells column by column: slices, not masks
        f_rows, f_cols = f_rows[by_col], f_cols[by_col]
        col_start = np.searchsorted(f_cols, np.arange(m + 1))
        by_origin = np.zeros((f_rows.size, n))
        by_origin[np.arange(f_rows.size), f_rows] = 1.0
        reserves = np.empty((self.n_sims, n))
        for start in range(0, self.n_sims, _CHUNK):
            c = min(_CHUNK, self.n_sims - start)
            draws = pool[rng.integers(0, pool.size, size=(c, rows.size), dtype=np.int32)]
            stats = base + draws @ scaled
            num, den, latest_star = stats[:, :n_link], stats[:, n_link:2 * n_link], stats[:, 2 * n_link:]
            with np.errstate(divide="ignore", invalid="ignore"):
                f = np.where(den != 0, num / den, 1.0)
            means = np.empty((c, f_rows.size))
            running = latest_star.copy()
            for j in range(1, m):
                lo, hi = col_start[j], col_start[j + 1]
                if lo == hi:
                    continue
                means[:, lo:hi] = running[:, f_rows[lo:hi]] * (f[:, j - 1:j] - 1.0)
                running *= np.where(latest_col[None, :] <= j - 1, f[:, j - 1:j], 1.0)
            reserves[start:start + c] = self._process(rng, means, scale) @ by_origin
        self.ldf_ = pd.Series(ldf, index=pd.Index(tri.ages[:-1], name="age"), name="ldf")
        self.scale_ = scale
        self.residuals_ = pd.DataFrame(np.where(observed, adjusted, np.nan), index=tri.origins,
                                       columns=pd.Index(tri.ages, name="age"))
        cdf = np.cumprod(np.append(ldf, 1.0)[::-1])[::-1]
        latest = tri.latest_diagonal
        self.ibnr_ = (latest * cdf[latest_col] - latest).rename("ibnr")
        self.reserve_samples_ = pd.DataFrame(reserves, columns=tri.origins)
        self.total_reserve_samples_ = reserves.sum(axis=1)
        if not np.all(np.isfinite(reserves)):
            raise EngineError("the bootstrap produced a non-finite reserve", field="triangle")
        labels = pd.Index([*map(str, tri.origins), "total"], name="origin")
        columns = np.column_stack([reserves, self.total_reserve_samples_])
        verdicts = [distribution_verdict(columns[:, k], self.max_cv) for k in range(columns.shape[1])]
        self.verdict_ = verdicts[-1]
        self.meaningful_ = self.verdict_.meaningful
        frame = pd.DataFrame({"mean": [v.mean for v in verdicts], "std": [v.std for v in verdicts],
                              "p1": [v.p1 for v in verdicts], "meaningful": [v.meaningful for v in verdicts]},
                             index=labels)
        # None, not NaN, where there is no coefficient of variation or no reason
        frame.insert(2, "cv", pd.Series([v.cv for v in verdicts], index=labels, dtype=object))
        frame["reason"] = pd.Series([v.reason for v in verdicts], index=labels, dtype=object)
        self.origin_verdicts_ = frame
        self.distribution_ = _summary(columns, labels, with_percentiles=self.meaningful_)
        return self

    def percentile(self, q: float) -> float:
        """The q-th percentile of the total reserve; refused when the distribution is not
        meaningful (no booked amount may be placed on it)."""
        verdict = self._verdict()
        if not verdict.meaningful:
            raise EngineError(f"the bootstrap distribution is not meaningful, so it has no percentiles: "
                              f"{verdict.reason}", field="triangle")
        if isinstance(q, bool) or not isinstance(q, (int, float, np.integer, np.floating)) or not 0 <= q <= 100:
            raise ParameterError(f"a percentile lies in [0, 100], got {shown(q)}", field="q")
        return float(np.percentile(self.total_reserve_samples_, q))

    def summary(self, levels=(1, 5, 10, 25, 50, 75, 90, 95, 99, 99.5)) -> dict:
        """What a caller stores for the total reserve: the verdict's statistics and reasons, and
        the percentiles at `levels` only when the distribution is meaningful (status "ok", else
        "not meaningful")."""
        verdict = self._verdict()
        out = {"status": "ok" if verdict.meaningful else "not meaningful", "n_sims": int(self.n_sims),
               **verdict.as_dict()}
        if verdict.meaningful:
            out["percentiles"] = {f"{q:g}": self.percentile(q) for q in levels}
        return out

    def _verdict(self) -> Verdict:
        if "verdict_" not in self.__dict__:
            raise AttributeError("BootstrapODP is not fitted")
        return self.verdict_

    def _process(self, rng, means, scale):
        """Process draws for the future cells of a chunk, mean `means`, variance scale·|mean|."""
        size = np.abs(means)
        if self.process_dist == "gamma":
            draws = rng.standard_gamma(size / scale) * scale
        else:
            draws = scale * rng.poisson(size / scale)
        return np.sign(means) * draws


def _fitted_cumulative(values, lengths, ldf):
    n, m = values.shape
    fitted = np.zeros((n, m))
    latest = values[np.arange(n), lengths - 1]
    for i in range(n):
        last = lengths[i] - 1
        fitted[i, last] = latest[i]
        for j in range(last - 1, -1, -1):
            fitted[i, j] = fitted[i, j + 1] / ldf[j]
    return fitted


def _leverage(observed, mu):
    """Diagonal of the ODP GLM hat matrix W^½ X (XᵀWX)⁻¹ Xᵀ W^½, W = diag(μ), log link,
    one parameter per origin and per development age after the first."""
    rows, cols = np.nonzero(observed)
    n, m = observed.shape
    design = np.zeros((rows.size, n + m - 1))
    design[np.arange(rows.size), rows] = 1.0
    dev = cols > 0
    design[np.flatnonzero(dev), n + cols[dev] - 1] = 1.0
    w = np.clip(mu[rows, cols], 0, None)
    sw = np.sqrt(w)[:, None] * design
    info = sw.T @ sw
    h = np.einsum("ij,jk,ik->i", sw, np.linalg.pinv(info), sw)
    out = np.zeros((n, m))
    out[rows, cols] = h
    return out


def _summary(data, labels, with_percentiles: bool) -> pd.DataFrame:
    columns = {"mean": data.mean(axis=0), "std": data.std(axis=0, ddof=1) if len(data) > 1 else 0.0}
    if with_percentiles:
        qs = np.percentile(data, PERCENTILES, axis=0)
        columns.update({f"p{q:g}": qs[k] for k, q in enumerate(PERCENTILES)})
    return pd.DataFrame(columns, index=labels)
