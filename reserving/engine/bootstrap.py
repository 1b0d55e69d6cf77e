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
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .development import estimate
from .errors import EngineError, ParameterError, shown
from .triangle import Triangle

PROCESS_DISTS = ("gamma", "od_poisson")
_CHUNK = 2000


class BootstrapODP:
    """Reserve distribution by the ODP bootstrap; see the module docstring.

    After `fit`: `ibnr_` (the chain-ladder reserve by origin), `scale_` (φ), `residuals_`,
    `reserve_samples_` (n_sims × origins) and `total_reserve_samples_`, and `distribution_`, a
    DataFrame by origin plus a `total` row with mean, std, p75, p95 and p99.5."""

    def __init__(self, n_sims: int = 1000, random_state=None, hat_adj: bool = False,
                 process_dist: str = "gamma"):
        self.n_sims = n_sims
        self.random_state = random_state
        self.hat_adj = hat_adj
        self.process_dist = process_dist

    def fit(self, triangle: Triangle) -> "BootstrapODP":
        if not isinstance(self.n_sims, (int, np.integer)) or isinstance(self.n_sims, bool) or self.n_sims < 1:
            raise ParameterError(f"n_sims must be a positive integer, got {shown(self.n_sims)}", field="n_sims")
        if self.process_dist not in PROCESS_DISTS:
            raise ParameterError(f"unknown process_dist {self.process_dist!r}; known: {', '.join(PROCESS_DISTS)}",
                                 field="process_dist")
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
        self.distribution_ = _summary(reserves, self.total_reserve_samples_, tri.origins)
        if not np.all(np.isfinite(self.distribution_.to_numpy())):
            raise EngineError("the bootstrap produced a non-finite reserve", field="triangle")
        return self

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


def _summary(reserves, total, origins) -> pd.DataFrame:
    data = np.column_stack([reserves, total])
    qs = np.percentile(data, [75, 95, 99.5], axis=0)
    frame = pd.DataFrame({"mean": data.mean(axis=0), "std": data.std(axis=0, ddof=1) if len(data) > 1 else 0.0,
                          "p75": qs[0], "p95": qs[1], "p99.5": qs[2]},
                         index=pd.Index([*map(str, origins), "total"], name="origin"))
    return frame
