"""The reserving engine: pure numpy/pandas, no Django, no clock, no I/O.

DataFrames in, numbers out; estimators in the chainladder style (configuration in __init__,
fit() returns self, learned values end in `_`). Keep this file a plain list of imports.
"""
import pandas as _pd

# pandas 3 stores `str` columns in pyarrow when pyarrow is installed (the book import needs it):
# element access then costs 2–3× more and the run's frames would depend on what is installed.
# The engine's text columns (origins, segments, codes) are small; the Python storage keeps
# the engine as fast, and as exact, with or without pyarrow (D-43).
_pd.set_option("mode.string_storage", "python")
from .errors import (DevelopmentError, EngineError, ExposureError, ParameterError, TailError,
                     TriangleError)
from .triangle import Triangle
from .development import Development, DevelopmentConstant
from .tails import TailConstant, TailCurve
from .bootstrap import BootstrapODP
from .methods import (Benktander, BornhuetterFerguson, CapeCod, ChainLadder, ExpectedLossRatio,
                      MackChainLadder, TriangleStack)

__all__ = [
    "EngineError", "TriangleError", "DevelopmentError", "TailError", "ExposureError", "ParameterError",
    "Triangle", "TriangleStack",
    "Development", "DevelopmentConstant",
    "TailConstant", "TailCurve",
    "ChainLadder", "MackChainLadder", "BornhuetterFerguson", "Benktander", "CapeCod", "ExpectedLossRatio",
    "BootstrapODP",
]

# Premium, case reserves, solvency and regimes.
from .upr import UPRInputError, cancellation_pro_rata_return, earned_premium, unearned_premium, upr_by
from .rbns import (RBNSInputError, ibnr_expected_loss_ratio, ibnr_premium_share, premium_deficiency,
                   reported_not_settled,                   rbns_by_claim, ulae_eiopa, ulae_three_percent)
from .solvency import (premium_reserve_risk, solvency_level_ir, solvency_margin_ru, solvency_ratio_ir,
                       solvency_ratio_ru)
from .rules import Regime, SolvencyRules, regime_codes, regime_defaults

__all__ += [
    "UPRInputError", "unearned_premium", "upr_by", "earned_premium", "cancellation_pro_rata_return",
    "RBNSInputError", "reported_not_settled", "rbns_by_claim", "ulae_three_percent", "ulae_eiopa", "premium_deficiency",
    "ibnr_expected_loss_ratio", "ibnr_premium_share",
    "solvency_margin_ru", "solvency_ratio_ru", "premium_reserve_risk", "solvency_ratio_ir", "solvency_level_ir",
    "Regime", "SolvencyRules", "regime_defaults", "regime_codes",
]
