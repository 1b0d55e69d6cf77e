"""Errors the reserving engine raises for input it refuses.

Every message names the origin, development age or parameter at fault, so that a command or a
service can show it to an actuary as it is. The engine is pure and imports nothing from Django;
callers that need a `core.errors.DomainError` wrap these.
"""
from __future__ import annotations

import numpy as np


def shown(value) -> str:
    """A value as a message shows it: numpy scalars as the plain number or text they hold
    (`2.5`, not `np.float64(2.5)`), strings quoted."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


class EngineError(ValueError):
    """Input the engine cannot turn into numbers. `field` names the parameter at fault."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class TriangleError(EngineError):
    """A triangle that is ragged, not cumulative, negative where it cannot be, or mislabelled."""


class DevelopmentError(EngineError):
    """Development factors cannot be estimated or selected (all-zero column, unknown average)."""


class TailError(EngineError):
    """A tail factor below 1, or a tail curve that cannot be fitted."""


class ExposureError(EngineError):
    """Exposure (premium) missing, not finite or misaligned for an exposure-based method."""


class ParameterError(EngineError):
    """An unknown method, average or option, or a value outside its range."""
