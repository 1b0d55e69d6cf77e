"""Dates as whole days since 1970-01-01 (int64), the engine's one reading of a date parameter."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import EngineError


def day_number(value, name: str, error: type[EngineError] = EngineError) -> np.int64:
    """`value` (a date, datetime, Timestamp or ISO text) as days since 1970-01-01; a missing or
    unreadable date raises `error` naming `name`."""
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise error(f"{name}: not a date: {value!r}", field=name) from exc
    if ts is pd.NaT:
        raise error(f"{name}: a date is required", field=name)
    return np.int64(ts.to_datetime64().astype("datetime64[D]").astype(np.int64))
