"""chainladder (test-only oracle) samples turned into engine triangles.

chainladder stores the CAS data sparsely, so a NaN inside the observed staircase is a zero;
the engine keeps zeros as zeros, so the conversion puts them back."""
from __future__ import annotations

import warnings

import chainladder as cl  # a missing test extra must fail, not skip
import numpy as np
import pandas as pd

warnings.filterwarnings("ignore", module="chainladder")

from reserving.engine import Triangle  # noqa: E402


def to_engine(tri) -> Triangle:
    values = np.asarray(tri.values[0, 0], dtype=np.float64)
    observed = ~np.isnan(tri.nan_triangle)
    values = np.where(observed, np.nan_to_num(values), np.nan)
    origins = [str(o) for o in tri.origin]
    return Triangle.from_array(values, origins=origins, ages=np.asarray(tri.development, dtype=int),
                               allow_negative=True)


def by_origin(cl_values, origins) -> pd.Series:
    return pd.Series(np.asarray(cl_values, dtype=np.float64).ravel(), index=origins)


def medmal_companies():
    """(label, paid, incurred, premium-by-origin) for every CAS medmal company."""
    clrd = cl.load_sample("clrd")
    medmal = clrd[clrd["LOB"] == "medmal"]
    out = []
    for k in range(medmal.shape[0]):
        company = medmal.iloc[k]
        name = str(medmal.index.iloc[k]["GRNAME"])
        premium = np.nan_to_num(company["EarnedPremNet"].latest_diagonal.values[0, 0, :, 0])
        out.append((name, company["CumPaidLoss"], company["IncurLoss"], premium))
    return out


def first_all_zero_column(tri) -> int | None:
    """Position of the first development column whose values that have a successor (the
    from-values of its link ratios) are all zero; None if there is none."""
    observed = ~np.isnan(tri.nan_triangle)
    values = np.nan_to_num(tri.values[0, 0])
    for j in range(values.shape[1] - 1):
        if not np.any(values[observed[:, j + 1], j]):
            return j
    return None


def has_all_zero_column(tri) -> bool:
    return first_all_zero_column(tri) is not None


def falls_to_zero(tri) -> bool:
    """A value that drops to exactly zero from a non-zero one: chainladder reads that zero as
    missing and leaves the ratio out; the engine keeps it as a ratio of 0."""
    values = to_engine(tri).values
    x, y = values[:, :-1], values[:, 1:]
    return bool(np.any(np.isfinite(y) & (x != 0) & (y == 0)))


def comparable(tri) -> bool:
    return not has_all_zero_column(tri) and not falls_to_zero(tri)
