"""Regime parameter sets: which formula and which coefficients a reserve regime uses.

A regime is a plain frozen value — code, version, effective_from, a mapping of parameters with
defaults — so a new one (IFRS 17, Iran bylaw 58) is a new entry, not new code paths. The keys are
those stored in `reserving.models.Regime.parameters` (see migration 0002), so a stored version
becomes an engine regime with `Regime.from_parameters(...)`. Solvency coefficients sit beside
them in their own frozen value.

    ru       UPR pro rata on the base premium (gross − commission), whole gross unearned before
             inception; RBNS; ULAE = R·(IBNR + a·RBNS). Version 2 (the default since issue 12):
             IBNR per origin by the default rule (maturity-v1: ELR → BF → Benktander → chain
             ladder) on incurred, origins by cover (claims-made by report date), annual origins
             for a thin segment, the segment's IBNR floored at 0; expected-loss-ratio fallback
             below 8 origin quarters. Version 3: as 2 with the rule maturity-v2 (development
             factors credibility-weighted toward their decay curve). Version 4: as 3 with the rule
             maturity-v3 (Bornhuetter–Ferguson up to 95% maturity, then chain ladder). Version 1:
             chain ladder on the quarterly incurred triangle.
    ru-51n   as ru, but ULAE = 3% of RBNS (reported with RBNS as РЗУ) and the short-history IBNR
             is 10% of the base premium of the last four quarters (the 1994 rule).

Every version a regime has had is kept (`REGIME_VERSIONS`, seeded by the migrations); a stored
version never changes, and one stored before a key existed reads that key as `ADDED_KEYS_AS_BEFORE`
says, which keeps what the version computed.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any, Mapping

from .errors import ParameterError
from .rbns import ibnr_expected_loss_ratio, ibnr_premium_share, premium_deficiency, ulae_eiopa, ulae_three_percent

__all__ = ["Regime", "SolvencyRules", "PARAMETER_SPEC", "REGIMES", "REGIME_VERSIONS", "ADDED_KEYS_AS_BEFORE",
           "regime_defaults", "regime_codes", "parameters_check"]

# key → (type, allowed values or None). Later regimes add their keys here.
PARAMETER_SPEC: Mapping[str, tuple[type, tuple | None]] = MappingProxyType({
    "upr_method": (str, ("pro_rata", "1/24", "1/8")),
    "premium_base": (str, ("net", "gross")),
    "pre_inception_gross": (bool, None),
    "ibnr_method": (str, ("default", "chainladder", "bf", "benktander", "capecod", "elr")),
    "ibnr_triangle": (str, ("incurred", "paid")),
    "min_origin_quarters": (int, None),
    "expected_loss_ratio": (float, None),
    "fallback": (str, ("elr", "premium_share")),
    "fallback_premium_share": (float, None),
    "fallback_quarters": (int, None),
    "tail": (float, None),
    "origin_basis": (str, ("accident", "report", "cover")),
    "ulae_method": (str, ("eiopa", "share_of_rbns")),
    "ulae_r": (float, None),
    "ulae_a": (float, None),
    "ulae_share_of_rbns": (float, None),
    "maintenance_expense_ratio": (float, None),
    "bootstrap_sims": (int, None),
    "bootstrap_seed": (int, None),
    "large_movement_threshold": (float, None),
    "history_quarters": (int, None),
    "grain": (str, ("auto", "OQDQ", "OYDQ", "OYDY")),
    "min_claims_per_origin_quarter": (int, None),
    "min_link_ratios": (int, None),
    "ibnr_floor": (str, ("segment", "none")),
    "default_rule": (str, ("maturity-v1", "maturity-v2", "maturity-v3")),
    "case_adjustment": (str, ("auto", "none", "berquist_sherman")),
    "min_open_claims_for_adjustment": (int, None),
})

_COMMON_V1: dict[str, Any] = {
    "upr_method": "pro_rata",
    "premium_base": "net",
    "pre_inception_gross": True,
    "ibnr_method": "chainladder",
    "ibnr_triangle": "incurred",
    "min_origin_quarters": 8,
    "expected_loss_ratio": 0.75,
    "fallback": "elr",
    "fallback_premium_share": 0.10,
    "fallback_quarters": 4,
    "tail": 1.0,
    "origin_basis": "accident",
    # R is the insurer's own ratio of claim-handling cost to claims paid; 3% is a placeholder.
    "ulae_method": "eiopa",
    "ulae_r": 0.03,
    "ulae_a": 0.5,
    "ulae_share_of_rbns": 0.03,
    "maintenance_expense_ratio": 0.05,
    "bootstrap_sims": 1000,
    "bootstrap_seed": 20240331,
    "large_movement_threshold": 0.25,
    "history_quarters": 40,
}

# Keys added after version 1, with the values that keep what a version stored without them
# computed: quarterly origins and development, the thin-age rule at 3 link ratios, the segment's
# IBNR floored at 0, no case-reserve adjustment (decisions D-15, D-34).
ADDED_KEYS_AS_BEFORE: Mapping[str, Any] = MappingProxyType({
    "grain": "OQDQ",
    "min_claims_per_origin_quarter": 20,
    "min_link_ratios": 3,
    "ibnr_floor": "segment",
    "default_rule": "maturity-v1",
    "case_adjustment": "none",
    "min_open_claims_for_adjustment": 20,
})

# Version 2 (issue 12, D-34): the default rule per origin, origins by cover, the grain rule.
_COMMON: dict[str, Any] = {
    **_COMMON_V1, **ADDED_KEYS_AS_BEFORE,
    "ibnr_method": "default",
    "origin_basis": "cover",
    "grain": "auto",
    "case_adjustment": "auto",
}

# Version 3 (issue 12): the rule maturity-v2 — maturity-v1's selection on development factors
# credibility-weighted toward the triangle's decay curve by their precision (decisions.md);
# everything else as version 2.
_COMMON_V3: dict[str, Any] = {**_COMMON, "default_rule": "maturity-v2"}
# Version 4 (issue 12): the rule maturity-v3 — maturity-v2 with Bornhuetter–Ferguson up to 95%
# maturity (no Benktander band); everything else as version 3.
_COMMON_V4: dict[str, Any] = {**_COMMON, "default_rule": "maturity-v3"}


def parameters_check(parameters: Mapping[str, Any]) -> Mapping[str, Any]:
    """Refuse unknown keys, wrong types, values outside their choices and negative numbers.
    Keys starting with "_" are free-form notes."""
    for key, value in parameters.items():
        if key.startswith("_"):
            continue
        if key not in PARAMETER_SPEC:
            raise ParameterError(f"unknown regime parameter {key!r}", field=key)
        kind, choices = PARAMETER_SPEC[key]
        if kind is bool:
            ok = isinstance(value, bool)
        elif kind is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        elif kind is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = isinstance(value, kind)
        if not ok:
            raise ParameterError(f"regime parameter {key!r} must be {kind.__name__}, got {value!r}", field=key)
        if choices is not None and value not in choices:
            raise ParameterError(f"regime parameter {key!r} must be one of {', '.join(choices)}; got {value!r}", field=key)
        if kind in (int, float) and value < 0:
            raise ParameterError(f"regime parameter {key!r} must not be negative: {value!r}", field=key)
    if parameters.get("tail", 1.0) < 1.0:
        raise ParameterError(f"tail must be at least 1: {parameters['tail']!r}", field="tail")
    for key in ("ulae_a", "fallback_premium_share", "ulae_share_of_rbns"):
        if parameters.get(key, 0.0) > 1.0:
            raise ParameterError(f"{key} must be between 0 and 1: {parameters[key]!r}", field=key)
    return parameters


def stored_defaults(stored: Mapping[str, Any] | None, defaults: Mapping[str, Any]) -> dict:
    """The defaults under a stored parameter set: `defaults`, but a key added after version 1
    that a non-empty stored set lacks keeps its version-1 meaning."""
    out = dict(defaults)
    if stored:
        out.update({k: v for k, v in ADDED_KEYS_AS_BEFORE.items() if k not in stored})
    return out


@dataclass(frozen=True)
class SolvencyRules:
    """Coefficients of the solvency measures (domain.md §4), defaults as regulated."""

    margin_premium_rate: float = 0.16     # 3743-У
    margin_claims_rate: float = 0.23
    margin_retention_floor: float = 0.5
    minimum_capital: float = 0.0          # the insurer's minimum charter capital, per licence
    sigma_premium: float = 0.14           # Solvency II segment 5 (medical malpractice)
    sigma_reserve: float = 0.11
    premium_reserve_correlation: float = 0.5
    scr_multiplier: float = 3.0
    iran_levels: tuple[float, ...] = (100.0, 70.0, 50.0, 10.0)   # bylaw 69, levels 1–4; below → 5


@dataclass(frozen=True)
class Regime:
    code: str
    version: int
    effective_from: date
    name: str
    parameters: Mapping[str, Any]
    description: str = ""
    solvency: SolvencyRules = field(default_factory=SolvencyRules)

    def __post_init__(self):
        # Freeze a copy: a caller's dict changed later must not change the regime.
        object.__setattr__(self, "parameters", MappingProxyType(dict(parameters_check(self.parameters))))

    def __hash__(self):
        return hash((self.code, self.version, self.effective_from, tuple(sorted(self.parameters.items()))))

    def __getitem__(self, key: str) -> Any:
        try:
            return self.parameters[key]
        except KeyError:
            raise ParameterError(f"regime {self.code!r} has no parameter {key!r}", field=key) from None

    @classmethod
    def from_parameters(cls, code: str, parameters: Mapping[str, Any] | None = None, *, version: int = 1,
                        effective_from: date | None = None, name: str = "", description: str = "") -> "Regime":
        """A regime from stored parameters, missing keys taken from the named base regime's
        defaults (or the common ones for a new code) — except the keys added after version 1,
        which a version stored without them reads as before (`ADDED_KEYS_AS_BEFORE`)."""
        base = REGIMES.get(code)
        defaults = stored_defaults(parameters, dict(base.parameters) if base else dict(_COMMON))
        return cls(code=code, version=version,
                   effective_from=effective_from or (base.effective_from if base else date(2000, 1, 1)),
                   name=name or (base.name if base else code), description=description or (base.description if base else ""),
                   parameters={**defaults, **(parameters or {})},
                   solvency=base.solvency if base else SolvencyRules())

    def with_parameters(self, **overrides) -> "Regime":
        return dataclasses.replace(self, parameters={**self.parameters, **overrides})

    # -- the regime's formulas, so callers do not branch on codes
    def upr_options(self) -> dict:
        """Keyword arguments for engine.upr.unearned_premium / upr_by."""
        return {"method": self["upr_method"], "base": self["premium_base"], "pre_inception_gross": self["pre_inception_gross"]}

    def ulae(self, *, ibnr, rbns):
        if self["ulae_method"] == "share_of_rbns":
            return ulae_three_percent(rbns, rate=self["ulae_share_of_rbns"])
        return ulae_eiopa(ibnr, rbns, R=self["ulae_r"], a=self["ulae_a"])

    def uses_fallback(self, origin_quarters: int) -> bool:
        """Below the minimum history the triangle methods give way to the fallback."""
        return origin_quarters < self["min_origin_quarters"]

    def ibnr_fallback(self, *, earned_premium=None, incurred=None, base_premium=None, valuation_quarter=None):
        """The short-history IBNR: expected loss ratio on earned premium (ru) or a share of the
        base premium of the last quarters (ru-51n)."""
        if self["fallback"] == "premium_share":
            if base_premium is None:
                raise ParameterError("the premium-share fallback needs base_premium", field="base_premium")
            return ibnr_premium_share(base_premium, valuation_quarter=valuation_quarter,
                                      share=self["fallback_premium_share"], quarters=self["fallback_quarters"])
        if earned_premium is None or incurred is None:
            raise ParameterError("the expected-loss-ratio fallback needs earned_premium and incurred", field="earned_premium")
        return ibnr_expected_loss_ratio(earned_premium, incurred, self["expected_loss_ratio"])

    def premium_deficiency(self, *, upr, unexpired_premium=None, expected_loss_ratio=None):
        """Premium deficiency with this regime's expected loss ratio and expense ratio; the claim
        handling on expected claims is loaded with the regime's ULAE ratio."""
        elr = self["expected_loss_ratio"] if expected_loss_ratio is None else expected_loss_ratio
        handling = self["ulae_share_of_rbns"] if self["ulae_method"] == "share_of_rbns" else self["ulae_r"]
        return premium_deficiency(upr=upr, unexpired_premium=unexpired_premium, expected_loss_ratio=elr * (1 + handling),
                                  expense_ratio=self["maintenance_expense_ratio"])


def _versions(code: str, name: str, description: str, v1: dict, v2: dict, v2_name: str, v2_description: str,
              v3: dict, v3_description: str, v4: dict, v4_description: str):
    return (Regime(code=code, version=1, effective_from=date(2000, 1, 1), name=name, description=description,
                   parameters=v1),
            Regime(code=code, version=2, effective_from=date(2000, 1, 1), name=v2_name, description=v2_description,
                   parameters=v2),
            Regime(code=code, version=3, effective_from=date(2000, 1, 1), name=v2_name, description=v3_description,
                   parameters=v3),
            Regime(code=code, version=4, effective_from=date(2000, 1, 1), name=v2_name, description=v4_description,
                   parameters=v4))


_V2_IBNR = ("IBNR per origin by the default rule maturity-v1 (expected loss ratio below 20% maturity, "
            "Bornhuetter–Ferguson below 80%, Benktander below 95%, then chain ladder; on incurred; a-priori "
            "kept by the actuary or Cape Cod), origins by cover (claims-made by report date), annual origins "
            "for a segment of fewer than 20 claims per origin quarter, incurred restated to the latest "
            "diagonal's case-reserve adequacy (Berquist–Sherman) where it holds at least 20 open claims per "
            "age, segment IBNR floored at 0")
_V3_IBNR = _V2_IBNR.replace("default rule maturity-v1 (", "default rule maturity-v2 (development factors weighted "
                            "toward their decay curve by their precision; ", 1)
_V4_IBNR = _V3_IBNR.replace("default rule maturity-v2 (", "default rule maturity-v3 (", 1).replace(
    "Bornhuetter–Ferguson below 80%, Benktander below 95%, then chain ladder",
    "Bornhuetter–Ferguson below 95%, then chain ladder", 1)

REGIME_VERSIONS: Mapping[str, tuple[Regime, ...]] = MappingProxyType({
    "ru": _versions(
        "ru",
        "Russian statutory (current): ULAE = R·(IBNR + a·RBNS)",
        "UPR pro rata on base premium (gross − commission), whole gross unearned before inception; "
        "RBNS; IBNR chain ladder on the incurred quarterly triangle, expected-loss-ratio fallback "
        "below 8 origin quarters; ULAE by the EIOPA simplification.",
        dict(_COMMON_V1), dict(_COMMON),
        "Russian statutory (current): ULAE = R·(IBNR + a·RBNS), IBNR by the default rule",
        "UPR pro rata on base premium (gross − commission), whole gross unearned before inception; RBNS; "
        + _V2_IBNR + "; expected-loss-ratio fallback below 8 origin quarters; ULAE by the EIOPA simplification.",
        dict(_COMMON_V3),
        "UPR pro rata on base premium (gross − commission), whole gross unearned before inception; RBNS; "
        + _V3_IBNR + "; expected-loss-ratio fallback below 8 origin quarters; ULAE by the EIOPA simplification.",
        dict(_COMMON_V4),
        "UPR pro rata on base premium (gross − commission), whole gross unearned before inception; RBNS; "
        + _V4_IBNR + "; expected-loss-ratio fallback below 8 origin quarters; ULAE by the EIOPA simplification."),
    "ru-51n": _versions(
        "ru-51n",
        "Russian 51н: ULAE 3% of RBNS (reported with RBNS as РЗУ)",
        "As ru, but ULAE = 3% of RBNS and the IBNR fallback is 10% of the base premium of the "
        "last four quarters.",
        {**_COMMON_V1, "fallback": "premium_share", "ulae_method": "share_of_rbns"},
        {**_COMMON, "fallback": "premium_share", "ulae_method": "share_of_rbns"},
        "Russian 51н: ULAE 3% of RBNS (reported with RBNS as РЗУ), IBNR by the default rule",
        "As ru version 2 (" + _V2_IBNR + "), but ULAE = 3% of RBNS and the IBNR fallback is 10% of the base "
        "premium of the last four quarters.",
        {**_COMMON_V3, "fallback": "premium_share", "ulae_method": "share_of_rbns"},
        "As ru version 3 (" + _V3_IBNR + "), but ULAE = 3% of RBNS and the IBNR fallback is 10% of the base "
        "premium of the last four quarters.",
        {**_COMMON_V4, "fallback": "premium_share", "ulae_method": "share_of_rbns"},
        "As ru version 4 (" + _V4_IBNR + "), but ULAE = 3% of RBNS and the IBNR fallback is 10% of the base "
        "premium of the last four quarters."),
})

# the latest version of each regime
REGIMES: Mapping[str, Regime] = MappingProxyType({code: versions[-1] for code, versions in REGIME_VERSIONS.items()})


def regime_codes() -> list[str]:
    return sorted(REGIMES)


def regime_defaults(code: str, **overrides) -> Regime:
    """The named regime's defaults, with any parameter overridden."""
    try:
        found = REGIMES[code]
    except KeyError:
        raise ParameterError(f"unknown regime {code!r}; known: {', '.join(regime_codes())}", field="regime") from None
    return found.with_parameters(**overrides) if overrides else found
