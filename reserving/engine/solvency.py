"""Solvency measures of domain.md §4: the Russian normative margin (Bank of Russia 3743-У), the
Solvency II premium & reserve risk of the standard formula, and the Iranian bylaw 69 ratio.

Pure functions of amounts; every coefficient is a parameter with the regulation's value as its
default, so a later regulation changes arguments, not code.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import ParameterError

__all__ = [
    "RussianMargin",
    "solvency_margin_ru",
    "solvency_ratio_ru",
    "PremiumReserveRisk",
    "premium_reserve_risk",
    "solvency_ratio_ir",
    "solvency_level_ir",
]


def _amount(value, name: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name}: not a number: {value!r}", field=name) from exc
    if not math.isfinite(x) or x < 0:
        raise ParameterError(f"{name} must be a finite amount ≥ 0: {value!r}", field=name)
    return x


def _ratio(value, name: str, *, upper: float | None = 1.0) -> float:
    x = _amount(value, name)
    if upper is not None and x > upper:
        raise ParameterError(f"{name} must be between 0 and {upper}: {value!r}", field=name)
    return x


@dataclass(frozen=True)
class RussianMargin:
    """The normative margin and how it was reached."""

    premium_part: float   # premium_rate × last 12 months' premiums
    claims_part: float    # claims_rate × (36 months' claims / 3)
    retention: float      # k after its floor
    margin: float         # max(parts) × k, floored at the minimum charter capital


def solvency_margin_ru(*, premiums_12m, claims_36m, retention, minimum_capital=0.0,
                       premium_rate: float = 0.16, claims_rate: float = 0.23,
                       retention_floor: float = 0.5) -> RussianMargin:
    """Normative margin (3743-У): max(16% of the last 12 months' premiums, 23% of a third of the
    last 36 months' claims) × k, k = the retained share of claims (at least 0.5), never below
    the minimum charter capital."""
    premium_part = _ratio(premium_rate, "premium_rate") * _amount(premiums_12m, "premiums_12m")
    claims_part = _ratio(claims_rate, "claims_rate") * _amount(claims_36m, "claims_36m") / 3.0
    k = max(_ratio(retention, "retention"), _ratio(retention_floor, "retention_floor"))
    margin = max(max(premium_part, claims_part) * k, _amount(minimum_capital, "minimum_capital"))
    return RussianMargin(premium_part=premium_part, claims_part=claims_part, retention=k, margin=margin)


def solvency_ratio_ru(*, own_funds, margin) -> float:
    """Own funds over the normative margin; solvent when ≥ 1.0."""
    m = _amount(margin, "margin")
    if m == 0:
        raise ParameterError("margin must be positive", field="margin")
    return float(own_funds) / m


@dataclass(frozen=True)
class PremiumReserveRisk:
    sigma: float          # combined standard deviation of the segment
    volume: float         # Vp + Vr
    scr: float            # capital charge


def premium_reserve_risk(*, volume_premium, volume_reserve, sigma_premium: float = 0.14,
                         sigma_reserve: float = 0.11, correlation: float = 0.5,
                         multiplier: float = 3.0) -> PremiumReserveRisk:
    """Solvency II non-life premium & reserve risk of one segment (defaults: segment 5, medical
    malpractice, LoB 8): σ = sqrt((σp·Vp)² + 2ρ·σp·Vp·σr·Vr + (σr·Vr)²)/(Vp+Vr), ρ = ½;
    SCR = 3·σ·(Vp+Vr)."""
    vp, vr = _amount(volume_premium, "volume_premium"), _amount(volume_reserve, "volume_reserve")
    sp, sr = _ratio(sigma_premium, "sigma_premium"), _ratio(sigma_reserve, "sigma_reserve")
    rho = _ratio(correlation, "correlation")
    k = _amount(multiplier, "multiplier")
    volume = vp + vr
    if volume == 0:
        return PremiumReserveRisk(sigma=0.0, volume=0.0, scr=0.0)
    spread = math.sqrt((sp * vp) ** 2 + 2 * rho * sp * vp * sr * vr + (sr * vr) ** 2)
    sigma = spread / volume
    return PremiumReserveRisk(sigma=sigma, volume=volume, scr=k * sigma * volume)


def solvency_ratio_ir(*, available_capital, required_capital) -> float:
    """Iran bylaw 69: available over required capital, in percent."""
    required = _amount(required_capital, "required_capital")
    if required == 0:
        raise ParameterError("required_capital must be positive", field="required_capital")
    return 100.0 * float(available_capital) / required


def solvency_level_ir(ratio_percent, thresholds=(100.0, 70.0, 50.0, 10.0)):
    """Bylaw 69 solvency level 1–5: 1 at ≥100%, 2 at ≥70%, 3 at ≥50%, 4 at ≥10%, 5 below.
    Takes a scalar (returns int) or an array of ratios."""
    t = np.asarray(thresholds, dtype=np.float64)
    if t.ndim != 1 or len(t) == 0 or np.any(np.diff(t) >= 0):
        raise ParameterError(f"thresholds must be strictly decreasing: {thresholds!r}", field="thresholds")
    r = np.asarray(ratio_percent, dtype=np.float64)
    if not np.all(np.isfinite(r)):
        raise ParameterError("ratio_percent: not a finite number", field="ratio_percent")
    # Count the thresholds the ratio falls short of: none → level 1.
    level = 1 + (r[..., None] < t).sum(axis=-1)
    return int(level) if level.ndim == 0 else level
