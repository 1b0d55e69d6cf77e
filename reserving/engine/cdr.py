"""The one-year view of reserve risk, and standard errors kept true to the ultimates selected.

`MerzWuthrich` is Merz & Wüthrich's (2008) claims development result (CDR): the change in the
chain-ladder estimate of the ultimate between this valuation and the next one, when one more
diagonal arrives and the factors are re-estimated on it. Its expectation is zero; its root mean
square error of prediction (MSEP^½) is the one-year reserve risk of Solvency II, beside Mack's
(1993) ultimate view (the whole run-off). The formulas are Merz & Wüthrich's linear
approximation, as Wüthrich coded it in R ChainLadder's `CDR.MackChainLadder`
(R/MWChainLadder.R), for origin i with latest column a, Ĉ its chain-ladder ultimate,
r_j = σ_j² / f_j², S_j the column sum the factor f_j was estimated from (rows with a link from
j), and α_j = (the diagonal's cell in column j) / (column j's sum including the diagonal):

    process    Ĉ² · r_a / C_{i,a}
    parameter  Ĉ² · Δ_i,  Δ_i = r_a / S_a + Σ_{j>a} α_j · r_j / S_j
    total      Σ_i process_i + Σ_i Σ_k Ĉ_i Ĉ_k Δ_{min(i,k)}       (the older origin's Δ)

The later periods' CDRs (Merz & Wüthrich 2014, "the full picture": R's `CDR(x, dev="all")`) are
uncorrelated with the first and with one another, and their MSEPs add up to Mack's; so the CDR
over a horizon of several development periods (a year on a quarterly triangle is four) is the
root of the sum of the first ones. `horizon="year"` picks 12 / origin_months periods.

What it assumes, as R does: the chain ladder with no tail (a tail has no re-estimation the
formula knows); factors volume-weighted over all origins (`Development(average="volume")`), or
an explicit selection with sigma estimated around it (`DevelopmentConstant(...,
mack_sigma="residuals")`, the same approximation as Mack on a selection: the selected factor is
treated as if it had been estimated from the ratios); one diagonal per origin period.

`mack_se_for_selection` attaches Mack's (and optionally the CDR's) standard error to the origins
whose selected ultimate is the chain ladder those standard errors were computed for, and to no
other: a BF or ELR ultimate has no Mack standard error, and an origin whose chain-ladder ultimate
differs from Mack's (another pattern, another tail, another triangle) gets none either. The totals
cover those origins only, with Mack's and Merz–Wüthrich's covariances between them.
"""
from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from .development import Development, DevelopmentConstant
from .errors import EngineError, ParameterError, shown
from .triangle import Triangle, origin_key

CHAIN_LADDER_METHODS = ("chainladder", "mack")


class MerzWuthrich:
    """One-year (or `horizon`-period) claims development result of the chain ladder; see the
    module docstring.

    After `fit`: `ldf_`, `sigma_` (by development age), `ultimate_` and `ibnr_` (by origin);
    `cdr_se_`, `cdr_process_se_`, `cdr_parameter_se_` (by origin, over the horizon) and
    `total_cdr_se_`, `total_cdr_process_se_`, `total_cdr_parameter_se_`; `run_off_`, the CDR
    standard error of each future period (columns 1, 2, …, rows the origins and `total`), whose
    squares add up to `mack_se_` and `total_mack_se_`; `horizon_` (periods); and `summary_`,
    R's table: ibnr, cdr_se, mack_se by origin plus a `total` row."""

    def __init__(self, development=None, horizon="year"):
        self.development = development
        self.horizon = horizon

    # ------------------------------------------------------------------ fitting
    def fit(self, triangle: Triangle) -> "MerzWuthrich":
        if not isinstance(triangle, Triangle):
            raise ParameterError(f"fit() wants a Triangle, got {type(triangle).__name__}", field="triangle")
        n, m = triangle.shape
        if m < 2 or n < 2:
            raise EngineError("the claims development result needs at least two origins and two development ages",
                              field="triangle")
        _check_one_diagonal_per_period(triangle)
        horizon = self._horizon(triangle)
        dev = self._development()
        fitted = copy.copy(dev).fit(triangle)
        pattern = fitted.pattern_
        if pattern.sigma is None or pattern.sigma_problem:
            raise EngineError(f"the claims development result needs Mack's sigma: {pattern.sigma_problem}",
                              field="development")
        if getattr(fitted, "selected_tail_", None) not in (None, 1.0):
            raise ParameterError("the Merz–Wüthrich formula has no tail: the selection carries a tail factor "
                                 f"{shown(fitted.selected_tail_)} (R ChainLadder refuses tails too)",
                                 field="development")
        ldf = np.asarray(pattern.ldf, dtype=np.float64)
        sigma = np.asarray(pattern.sigma, dtype=np.float64)
        if np.any(ldf <= 0) or not np.all(np.isfinite(sigma)):
            raise EngineError("the claims development result needs positive factors and finite sigmas",
                              field="development")
        values = triangle.values
        observed = triangle.observed
        latest_col = triangle.latest_index
        latest = values[np.arange(n), latest_col]
        cdf = np.cumprod(np.append(ldf, 1.0)[::-1])[::-1]
        ultimate = latest * cdf[latest_col]

        cells = np.where(observed, values, 0.0)
        linked = observed[:, 1:]                                   # rows with a link from column j
        s_fit = np.sum(np.where(linked, cells[:, :-1], 0.0), axis=0)   # S_j, j = 0..m−2
        s_all = np.sum(cells[:, :-1], axis=0)                            # column sums with the diagonal
        on_diagonal = latest_col[:, None] == np.arange(m - 1)[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = np.where(s_all != 0, np.sum(np.where(on_diagonal, cells[:, :-1], 0.0), axis=0) / s_all, 0.0)
            term = (sigma ** 2 / ldf ** 2) / s_fit                  # r_j / S_j
        r = sigma ** 2 / ldf ** 2
        if not np.all(np.isfinite(term)):
            j = int(np.argmax(~np.isfinite(term)))
            raise EngineError(f"no factor from age {triangle.ages[j]} was estimated from a non-zero column sum",
                              field=f"age {triangle.ages[j]}")

        n_periods = m - 1
        process = np.zeros((n_periods, n))
        delta = np.zeros((n_periods, n))
        for i in range(n):
            a = int(latest_col[i])
            for s in range(n_periods):
                c = a + s                                          # the column origin i develops from
                if c > m - 2:
                    break
                # Ĉ² / Ĉ_{i,c} = Ĉ · CDF_c: no division by a zero latest value
                process[s, i] = ultimate[i] * cdf[c] * r[c]
                keep = np.prod(1.0 - alpha[a + 1:c + 1])
                d = keep * term[c]
                for c2 in range(c + 1, m - 1):
                    d += np.prod(1.0 - alpha[c2 - s + 1:c2 + 1]) * alpha[c2 - s] * term[c2]
                delta[s, i] = d
        self._ultimate, self._process, self._delta = ultimate, process, delta
        self.triangle_ = triangle
        self.development_ = fitted
        self.horizon_ = horizon
        self.ldf_ = pd.Series(ldf, index=pd.Index(triangle.ages[:-1], name="age"), name="ldf")
        self.sigma_ = pd.Series(sigma, index=pd.Index(triangle.ages[:-1], name="age"), name="sigma")
        self.ultimate_ = pd.Series(ultimate, index=triangle.origins, name="ultimate")
        self.ibnr_ = pd.Series(ultimate - latest, index=triangle.origins, name="ibnr")

        everyone = np.ones(n, dtype=bool)
        per_proc, per_param = process, delta * ultimate[None, :] ** 2          # (periods, origins)
        tot_proc, tot_param = self._totals(everyone)
        run_off = np.column_stack([per_proc + per_param, tot_proc + tot_param]).T   # (origins + 1, periods)
        labels = pd.Index([*triangle.origins, "total"], name="origin")
        self.run_off_ = pd.DataFrame(np.sqrt(run_off), index=labels,
                                     columns=pd.Index(range(1, n_periods + 1), name="period"))
        h = min(horizon, n_periods)
        self.cdr_process_se_ = pd.Series(np.sqrt(per_proc[:h].sum(axis=0)), index=triangle.origins,
                                         name="cdr_process_se")
        self.cdr_parameter_se_ = pd.Series(np.sqrt(per_param[:h].sum(axis=0)), index=triangle.origins,
                                           name="cdr_parameter_se")
        self.cdr_se_ = pd.Series(np.sqrt(run_off[:-1, :h].sum(axis=1)), index=triangle.origins, name="cdr_se")
        self.total_cdr_process_se_ = float(np.sqrt(tot_proc[:h].sum()))
        self.total_cdr_parameter_se_ = float(np.sqrt(tot_param[:h].sum()))
        self.total_cdr_se_ = float(np.sqrt(run_off[-1, :h].sum()))
        self.mack_se_ = pd.Series(np.sqrt(run_off[:-1].sum(axis=1)), index=triangle.origins, name="mack_se")
        self.total_mack_se_ = float(np.sqrt(run_off[-1].sum()))
        self.summary_ = pd.DataFrame({
            "ibnr": [*self.ibnr_.to_numpy(), float(self.ibnr_.sum())],
            "cdr_se": [*self.cdr_se_.to_numpy(), self.total_cdr_se_],
            "mack_se": [*self.mack_se_.to_numpy(), self.total_mack_se_]}, index=labels)
        if not np.all(np.isfinite(self.run_off_.to_numpy())):
            raise EngineError("the claims development result is not finite", field="triangle")
        return self

    def _totals(self, mask: np.ndarray):
        """Process and parameter MSEP by future period of the origins in `mask`, together."""
        ult = np.where(mask, self._ultimate, 0.0)
        process = self._process[:, mask].sum(axis=1)
        n = ult.size
        older = np.minimum(np.arange(n)[:, None], np.arange(n)[None, :])   # origins run oldest first
        pair = ult[:, None] * ult[None, :]
        param = np.array([np.sum(pair * self._delta[s][older]) for s in range(self._delta.shape[0])])
        return process, param

    def total_cdr_se_for(self, origins: Iterable) -> float:
        """The CDR standard error over the horizon of some origins together (their covariances
        included): the total for the origins whose selected ultimate is this chain ladder."""
        mask = _origin_mask(self._need(), origins)
        proc, param = self._totals(mask)
        return float(np.sqrt((proc + param)[:min(self.horizon_, len(proc))].sum()))

    def _need(self) -> Triangle:
        if "triangle_" not in self.__dict__:
            raise AttributeError("MerzWuthrich is not fitted")
        return self.triangle_

    # ------------------------------------------------------------------ settings
    def _development(self):
        dev = self.development if self.development is not None else Development(average="volume")
        if isinstance(dev, Development):
            volume = (dev.average == "volume" if isinstance(dev.average, str)
                      else all(a == "volume" for a in dev.average))
            n_periods = dev.n_periods
            all_periods = not isinstance(n_periods, bool) and isinstance(n_periods, (int, np.integer)) and n_periods < 1
            if not volume or not all_periods or dev.drop is not None or dev.drop_high is not None \
                    or dev.drop_low is not None:
                raise ParameterError("the Merz–Wüthrich formula is for volume-weighted factors over all origins "
                                     "(Development(average=\"volume\") with no exclusions); select other factors "
                                     "with DevelopmentConstant(mack_sigma=\"residuals\")", field="development")
            return dev
        if isinstance(dev, DevelopmentConstant):
            if dev.mack_sigma != "residuals":
                raise ParameterError("a DevelopmentConstant selection needs mack_sigma=\"residuals\" for the claims "
                                     "development result (it carries no sigma otherwise)", field="development")
            return dev
        raise ParameterError(f"development must be a Development or a DevelopmentConstant, got {type(dev).__name__}",
                             field="development")

    def _horizon(self, triangle: Triangle) -> int:
        horizon = self.horizon
        if horizon == "year":
            months = int(triangle.origin_months)
            if months <= 0 or 12 % months:
                raise ParameterError(f"a year is not a whole number of {months}-month periods; give horizon in "
                                     f"periods", field="horizon")
            return 12 // months
        if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
            raise ParameterError(f"horizon must be \"year\" or a positive number of development periods, got "
                                 f"{shown(horizon)}", field="horizon")
        return int(horizon)


def _check_one_diagonal_per_period(triangle: Triangle) -> None:
    """Merz–Wüthrich add one diagonal per period: each origin one development period younger
    than the one before it (old origins may have reached the last age)."""
    lengths = triangle.lengths
    m = triangle.shape[1]
    for i in range(1, len(lengths)):
        if lengths[i - 1] < m and lengths[i - 1] - lengths[i] != 1:
            raise EngineError(
                f"the claims development result needs one diagonal per origin period; origin "
                f"{triangle.origins[i]} is {lengths[i - 1] - lengths[i]} development periods younger than "
                f"origin {triangle.origins[i - 1]}", field="triangle")


def _origin_mask(triangle: Triangle, origins: Iterable) -> np.ndarray:
    keys = [origin_key(o) for o in triangle.origins]
    wanted = {origin_key(o) for o in origins}
    unknown = sorted(wanted - set(keys))
    if unknown:
        raise ParameterError(f"unknown origin {unknown[0]}", field="origins")
    return np.array([k in wanted for k in keys])


def mack_total_se_for(mack, origins: Iterable) -> float:
    """Mack's total standard error of some origins together, from a fitted `MackChainLadder`:
    their process variances plus the parameter risk of the factors they share, exactly as Mack's
    total for all origins (which this equals when `origins` is all of them)."""
    tri = mack.triangle_
    mask = _origin_mask(tri, origins)
    n, m = tri.shape
    ldf = np.append(mack.ldf_.to_numpy(), mack.tail_)
    std_err = np.append(mack.development_.std_err_.to_numpy(), mack.tail_fit_.tail_std_err_)
    onward = np.cumprod((ldf ** 2)[::-1])[::-1]
    onward = np.append(onward[1:], 1.0)
    full = mack.full_triangle_.to_numpy()
    future = np.arange(m)[None, :] >= tri.latest_index[:, None]
    step = np.sum(np.where(future & mask[:, None], full, 0.0), axis=0) * std_err
    param = np.sum(step ** 2 * onward)
    process = np.sum(mack.process_risk_.to_numpy()[mask] ** 2)
    return float(np.sqrt(process + param))


def mack_se_for_selection(methods: Mapping, *, mack, selected_ultimate=None, cdr: MerzWuthrich | None = None,
                          chain_ladder_methods: Iterable[str] = CHAIN_LADDER_METHODS, rtol: float = 1e-9):
    """Mack's standard error (and the one-year CDR's, with `cdr=`) by origin, kept to the origins
    whose *selected* ultimate is the chain ladder they were computed for.

    `methods`: the selected method per origin ({origin: "chainladder" | "bf" | …}); `mack`: a
    `MackChainLadder` fitted on the triangle, development (the selected pattern, e.g.
    `DevelopmentConstant(..., mack_sigma="residuals")`) and tail the chain-ladder ultimates
    used; `selected_ultimate`: the booked ultimate per origin — an origin whose selected
    ultimate is not Mack's ultimate (within `rtol`) gets no standard error, whatever its method
    says. Returns (by_origin, totals): a DataFrame by origin with method, mack_se, cdr_se (float
    or None) and reason (None or why there is none), and a dict with the totals over the
    origins that carry one (`mack_se`, `cdr_se`, `origins`; None when no origin does)."""
    tri = mack.triangle_
    keys = [origin_key(o) for o in tri.origins]
    by_key = {origin_key(k): v for k, v in dict(methods).items()}
    unknown = sorted(set(by_key) - set(keys))
    if unknown:
        raise ParameterError(f"a method is selected for origin {unknown[0]}, which the triangle does not have",
                             field="methods")
    chain = {str(c) for c in chain_ladder_methods}
    mack_ult = mack.ultimate_.to_numpy()
    if selected_ultimate is not None:
        if isinstance(selected_ultimate, Mapping):
            selected_ultimate = pd.Series(dict(selected_ultimate))
        chosen = {origin_key(k): float(v) for k, v in selected_ultimate.items()}
    else:
        chosen = {}
    if cdr is not None:
        if [origin_key(o) for o in cdr.triangle_.origins] != keys or \
                not np.allclose(cdr.ultimate_.to_numpy(), mack_ult, rtol=rtol, atol=0.0):
            raise ParameterError("the claims development result was fitted on another triangle or pattern than "
                                 "Mack's", field="cdr")
    rows, kept = [], []
    mack_se, cdr_se = mack.mack_se_.to_numpy(), None if cdr is None else cdr.cdr_se_.to_numpy()
    for i, (origin, key) in enumerate(zip(tri.origins, keys)):
        method = by_key.get(key)
        reason = None
        if method is None:
            reason = "no method is selected for this origin"
        elif str(method) not in chain:
            reason = (f"the selected ultimate is {method}, not the chain ladder: Mack's standard error "
                      f"belongs to the chain ladder's ultimate")
        elif key in chosen and not np.isclose(chosen[key], mack_ult[i], rtol=rtol, atol=1e-9):
            reason = (f"the selected chain-ladder ultimate {chosen[key]:,.2f} is not the one Mack was computed "
                      f"for ({mack_ult[i]:,.2f}): another pattern, tail or triangle")
        if reason is None:
            kept.append(origin)
        rows.append({"method": method, "mack_se": None if reason else float(mack_se[i]),
                     "cdr_se": None if reason or cdr_se is None else float(cdr_se[i]), "reason": reason})
    # object columns: None (not NaN) where an origin has no standard error or no reason
    frame = pd.DataFrame({key: pd.Series([row[key] for row in rows], index=tri.origins, dtype=object)
                          for key in ("method", "mack_se", "cdr_se", "reason")})
    totals = {"origins": kept,
              "mack_se": mack_total_se_for(mack, kept) if kept else None,
              "cdr_se": cdr.total_cdr_se_for(kept) if kept and cdr is not None else None}
    return frame, totals
