"""Indicated rates from the book's own experience: the Russian methodology (Rosstrakhnadzor
02-03-36, domain.md §2.2). Pure functions, no Django.

Rates are per 100 units of sum insured (percent); the tariff quotes per mille, so the
comparison multiplies by 10.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

# Confidence level γ → the normal quantile α the methodology tabulates. The seed's "1.695"
# for 0.95 is a typo for 1.645.
ALPHA_BY_GAMMA: dict[float, float] = {0.84: 1.0, 0.90: 1.3, 0.95: 1.645, 0.98: 2.0, 0.9986: 3.0}

# The simple risk loading has this safety factor when the claim-size spread is unknown.
UNKNOWN_SPREAD_FACTOR = 1.2


def alpha_for(gamma: float) -> float:
    for level, alpha in ALPHA_BY_GAMMA.items():
        if math.isclose(level, gamma, abs_tol=1e-9):
            return alpha
    raise ValueError(f"confidence γ={gamma} is not tabulated; one of {sorted(ALPHA_BY_GAMMA)}")


def risk_rate(q: float, average_payment: float, average_sum_insured: float) -> float:
    """To = 100·q·B/C."""
    if average_sum_insured <= 0:
        raise ValueError("average sum insured must be positive")
    return 100.0 * q * average_payment / average_sum_insured


def risk_loading(
    to: float, q: float, n: int, gamma: float, *, claim_sd: float | None = None, average_payment: float | None = None
) -> float:
    """Tr = 1.2·To·α·sqrt((1−q)/(n·q)); with the claim-size s.d. R known,
    Tr = To·α·sqrt((1−q+(R/B)²)/(n·q))."""
    if n <= 0 or not 0 < q < 1:
        raise ValueError("risk loading needs n > 0 and 0 < q < 1")
    alpha = alpha_for(gamma)
    if claim_sd is None:
        return UNKNOWN_SPREAD_FACTOR * to * alpha * math.sqrt((1 - q) / (n * q))
    if not average_payment:
        raise ValueError("the claim-size variant needs the average payment B")
    return to * alpha * math.sqrt((1 - q + (claim_sd / average_payment) ** 2) / (n * q))


def gross_rate(net: float, loading_share: float) -> float:
    """Tb = Tn/(1−f)."""
    if not 0 <= loading_share < 1:
        raise ValueError("loading share f must be in [0, 1)")
    return net / (1 - loading_share)


@dataclass(frozen=True)
class IndicatedRate:
    q: float
    average_payment: float
    average_sum_insured: float
    n: int
    gamma: float
    loading_share: float
    claim_sd: float | None
    risk_rate: float
    risk_loading: float
    net_rate: float
    gross_rate: float

    @property
    def gross_rate_permille(self) -> float:
        return self.gross_rate * 10.0


def indicated_rate(
    *,
    q: float,
    average_payment: float,
    average_sum_insured: float,
    n: int,
    gamma: float = 0.95,
    loading_share: float = 0.0,
    claim_sd: float | None = None,
) -> IndicatedRate:
    to = risk_rate(q, average_payment, average_sum_insured)
    tr = risk_loading(to, q, n, gamma, claim_sd=claim_sd, average_payment=average_payment)
    tn = to + tr
    return IndicatedRate(
        q=q, average_payment=average_payment, average_sum_insured=average_sum_insured, n=n, gamma=gamma,
        loading_share=loading_share, claim_sd=claim_sd, risk_rate=to, risk_loading=tr, net_rate=tn,
        gross_rate=gross_rate(tn, loading_share),
    )


def relative_change(indicated_permille: float, current_permille: float | None) -> float | None:
    """Indicated against current, e.g. 0.25 = the tariff should go up 25%."""
    if not current_permille:
        return None
    return indicated_permille / current_permille - 1.0
