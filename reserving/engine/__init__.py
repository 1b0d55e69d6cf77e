"""The reserving engine: pure numpy/pandas, no Django, no clock, no I/O.

DataFrames in, numbers out; estimators in the chainladder style (configuration in __init__,
fit() returns self, learned values end in `_`). Keep this file a plain list of imports.
"""
from .errors import (DevelopmentError, EngineError, ExposureError, ParameterError, TailError,
                     TriangleError)
from .triangle import Triangle
from .development import Development, DevelopmentConstant
from .tails import TailConstant, TailCurve
from .bootstrap import BootstrapODP
from .methods import (Benktander, BornhuetterFerguson, CapeCod, ChainLadder, ExpectedLossRatio,
                      MackChainLadder)

__all__ = [
    "EngineError", "TriangleError", "DevelopmentError", "TailError", "ExposureError", "ParameterError",
    "Triangle",
    "Development", "DevelopmentConstant",
    "TailConstant", "TailCurve",
    "ChainLadder", "MackChainLadder", "BornhuetterFerguson", "Benktander", "CapeCod", "ExpectedLossRatio",
    "BootstrapODP",
]
