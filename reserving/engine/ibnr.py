"""One IBNR estimate by a named method, as plain numbers — the shape of the `ibnr` command's
JSON (design.md §5) — so that the command, services and notebooks share one dispatch.

Pure: a Triangle (and premium) in, a dict of floats out. `ibnr` = ultimate − latest, as
chainladder defines it; `mack_se` is None unless the method is Mack; for the bootstrap the
origins carry the chain-ladder point estimate and `distribution` the simulated total reserve.
Where Mack cannot give a usable standard error (too few ratios for sigma, a tail whose sigma
extrapolation diverges) the chain-ladder figures stand, every `mack_se` is None and
`mack_se_unusable` says why: a standard error is never shown that is not one.

`method="default"` applies the default rule per origin (`reserving.engine.default`): the paid
`triangle`, optionally the `incurred` one, the premium and, unless given, an a-priori derived
from the triangle. Its JSON keeps the shape — `latest` is paid to date, `ibnr` = ultimate − paid
(total unpaid), `cdf` the paid CDF — and adds per origin `method` (the method that gave the
selected ultimate), `incurred`, `ibnr_incurred` (= ultimate − incurred, the IBNR proper; None
without an incurred triangle), `maturity`, `apriori`, `flags` and `ultimates` (by method), and
at the top `apriori`, `apriori_source`, `rule` and `provenance`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .bootstrap import BootstrapODP
from .default import DEFAULT_RULE, project_origins
from .errors import EngineError, ParameterError
from .methods import (BornhuetterFerguson, CapeCod, ChainLadder, ExpectedLossRatio, MackChainLadder)
from .tails import TailConstant
from .triangle import Triangle, origin_key

METHODS = ("chainladder", "mack", "bf", "capecod", "elr", "bootstrap", "default")
_NEEDS_APRIORI = ("bf", "elr")
_NEEDS_PREMIUM = ("bf", "capecod", "elr", "default")


def ibnr_estimate(triangle: Triangle, *, method: str, premium=None, tail: float | None = None,
                  apriori: float | None = None, n_sims: int = 1000, random_state: int | None = 0,
                  incurred: Triangle | None = None, overrides: dict | None = None, rule=DEFAULT_RULE) -> dict:
    if method not in METHODS:
        raise ParameterError(f"unknown method {method!r}; known: {', '.join(METHODS)}", field="method")
    if method in _NEEDS_APRIORI and apriori is None:
        raise ParameterError(f"method {method} needs an a priori loss ratio (--apriori)", field="apriori")
    if method in _NEEDS_PREMIUM and premium is None:
        raise ParameterError(f"method {method} needs premium by origin (--premium)", field="premium")
    if method != "default" and (incurred is not None or overrides):
        what = "an incurred triangle" if incurred is not None else "per-origin overrides"
        raise ParameterError(f"{what} is used by method default only", field="incurred" if incurred is not None
                             else "overrides")
    if method == "default":
        return _default_estimate(triangle, incurred=incurred, premium=premium, tail=tail, apriori=apriori,
                                 overrides=overrides, rule=rule)
    tail_model = TailConstant(1.0 if tail is None else tail)
    distribution = None
    mack_se = total_mack_se = mack_unusable = None
    if method == "bootstrap":
        if tail not in (None, 1.0):
            raise ParameterError("the bootstrap simulates the triangle's own development; it takes no tail",
                                 field="tail")
        boot = BootstrapODP(n_sims=n_sims, random_state=random_state).fit(triangle)
        model = ChainLadder().fit(triangle)
        total = boot.distribution_.loc["total"]
        distribution = {"mean": float(total["mean"])}
        if boot.meaningful_:
            distribution.update({"p75": float(total["p75"]), "p95": float(total["p95"]), "p99.5": float(total["p99.5"])})
        else:  # no percentile of a distribution the engine judged meaningless
            distribution["not_meaningful"] = boot.verdict_.reason
    elif method == "chainladder":
        model = ChainLadder(tail=tail_model).fit(triangle)
    elif method == "mack":
        try:
            model = MackChainLadder(tail=tail_model).fit(triangle)
            mack_se, total_mack_se = model.mack_se_, model.total_mack_se_
        except EngineError as exc:
            model = ChainLadder(tail=tail_model).fit(triangle)  # a problem of the triangle itself raises here
            mack_unusable = exc.message
    elif method == "bf":
        model = BornhuetterFerguson(apriori=apriori, tail=tail_model).fit(triangle, exposure=premium)
    elif method == "elr":
        model = ExpectedLossRatio(apriori=apriori, tail=tail_model).fit(triangle, exposure=premium)
    else:
        model = CapeCod(tail=tail_model).fit(triangle, exposure=premium)

    origins = []
    for origin in triangle.origins:
        origins.append({
            "origin": str(origin),
            "latest": float(model.latest_.loc[origin]),
            "cdf": float(model.origin_cdf_.loc[origin]),
            "ultimate": float(model.ultimate_.loc[origin]),
            "ibnr": float(model.ibnr_.loc[origin]),
            "mack_se": None if mack_se is None else float(mack_se.loc[origin]),
        })
    latest, ultimate = float(model.latest_.sum()), float(model.ultimate_.sum())
    result = {
        "method": method,
        "ldf": [{"age": int(age), "ldf": float(f)} for age, f in model.ldf_.items()],
        "tail": float(model.tail_),
        "origins": origins,
        "total": {"origin": "total", "latest": latest, "cdf": ultimate / latest if latest else None,
                  "ultimate": ultimate, "ibnr": float(model.ibnr_.sum()), "mack_se": total_mack_se},
    }
    if mack_unusable is not None:
        result["mack_se_unusable"] = mack_unusable
    if method == "capecod":
        result["apriori"] = float(model.apriori_.iloc[-1])
    if distribution is not None:
        result["distribution"] = distribution
    return result


def _default_estimate(triangle: Triangle, *, incurred, premium, tail, apriori, overrides, rule) -> dict:
    """`ibnr_estimate(method="default")`: `project_origins` in the command's JSON shape."""
    result = project_origins(paid=triangle, incurred=incurred, exposure=premium, apriori=apriori,
                             tail=1.0 if tail is None else tail, rule=rule, overrides=overrides)
    table = result.table
    has_incurred = "incurred" in table
    origins = []
    for origin, row in table.iterrows():
        origins.append({
            "origin": str(origin),
            "latest": float(row["paid"]),
            "cdf": float(row["cdf_paid"]),
            "ultimate": float(row["ultimate"]),
            "ibnr": float(row["unpaid"]),
            "mack_se": None,
            "method": row["method"],
            "incurred": float(row["incurred"]) if has_incurred else None,
            "ibnr_incurred": float(row["ibnr"]) if has_incurred else None,
            "maturity": float(row["maturity"]),
            "apriori": float(row["apriori"]),
            "flags": list(row["flags"]),
            "ultimates": {m: float(row[f"ult_{m}"]) for m in result.methods},
        })
    latest, ultimate = float(table["paid"].sum()), float(table["ultimate"].sum())
    total = {"origin": "total", "latest": latest, "cdf": ultimate / latest if latest else None,
             "ultimate": ultimate, "ibnr": ultimate - latest, "mack_se": None,
             "incurred": float(table["incurred"].sum()) if has_incurred else None,
             "ibnr_incurred": float(table["ibnr"].sum()) if has_incurred else None}
    prov = result.provenance
    return {
        "method": "default",
        "ldf": [{"age": int(age), "ldf": f} for age, f in prov["ldf"]["paid"].items()],
        "tail": prov["tail"]["paid"],
        "origins": origins,
        "total": total,
        "apriori": prov["apriori"],
        "apriori_source": prov["apriori_source"],
        "rule": prov["rule"],
        "provenance": prov,
    }


def premium_by_origin(frame: pd.DataFrame) -> pd.Series:
    """The premium file (long: origin, premium) as a Series by origin label, the labels written
    as `origin_key` writes them (so 1988 and 1988.0 are one origin). Premium is a finite amount
    ≥ 0: a negative one (a typo, or a return keyed as premium) is refused, not turned into a
    negative expected loss."""
    for col in ("origin", "premium"):
        if col not in frame.columns:
            raise ParameterError(f"premium file lacks column {col!r}", field="premium")
    labels = pd.Series([origin_key(o) for o in frame["origin"]], index=frame.index, dtype=object)
    values = pd.to_numeric(frame["premium"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        raise ParameterError(f"premium for origin {labels.iloc[np.argmax(bad)]} is not a number", field="premium")
    if (values < 0).any():
        k = int(np.argmax(values < 0))
        raise ParameterError(f"premium for origin {labels.iloc[k]} is negative ({values[k]:,.2f}); "
                             f"premium is an amount ≥ 0", field="premium")
    if labels.duplicated().any():
        raise ParameterError(f"premium for origin {labels[labels.duplicated()].iloc[0]} appears twice",
                             field="premium")
    return pd.Series(values, index=pd.Index(labels.to_numpy(), name="origin"), name="premium")
