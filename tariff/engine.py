"""The quote engine: a tariff (plain data) and a quote request in, a priced quote with every
step out. Pure: no Django, no clock, no I/O; services and selectors feed it.

The maths follows domain.md §2.1: rate ‰ = base rate of (profession, setting) × resident ×
cover-share multiplier; premium = rate ‰ × full cover × share insured; discounts compound
(group, then no-claims); VAT on the rounded premium. Whatever the tariff does not price is a
referral, never a guess.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from core.errors import DomainError
from core.money import CurrencyError, currency_check, money_round, to_decimal

SETTINGS = ("hospital", "own_office", "doctors_office")
PERMILLE = Decimal(1000)
ONE = Decimal(1)


class QuoteRefused(DomainError):
    """The request itself is wrong (bad amount, unknown setting, ...)."""


class ReferralRequired(DomainError):
    """The tariff does not price this case: the liability manager decides, no automatic price."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(f"referral required: {message}", field=field, code="referral_required")


@dataclass(frozen=True)
class Profession:
    code: str
    name: str
    risk_group: int
    nurse_or_aide: bool = False


@dataclass(frozen=True)
class BaseRate:
    """A rate per mille of cover for a setting, either for a whole risk group or (more
    specific, wins) for one profession."""

    setting: str
    rate_permille: Decimal
    risk_group: int | None = None
    profession: str = ""


@dataclass(frozen=True)
class SettingModifier:
    """A setting priced as another setting's rate times a multiplier (a doctor's office: the
    hospital rate +20%, for nurses and aides only)."""

    setting: str
    base_setting: str
    multiplier: Decimal
    nurses_and_aides_only: bool = False


@dataclass(frozen=True)
class ReferralRule:
    """A profession (and optionally a setting) the tariff always refers, whatever its rate."""

    profession: str
    reason: str
    setting: str = ""


@dataclass(frozen=True)
class GroupBand:
    min_size: int
    max_size: int | None
    rate: Decimal

    @property
    def label(self) -> str:
        return f"{self.min_size}+" if self.max_size is None else f"{self.min_size}–{self.max_size}"


@dataclass(frozen=True)
class Tariff:
    code: str
    effective_from: date
    effective_to: date | None
    vat_rate: Decimal
    resident_multiplier: Decimal
    group_min_size: int
    group_min_insured_share: Decimal
    professions: dict[str, Profession]
    base_rates: tuple[BaseRate, ...]
    setting_modifiers: tuple[SettingModifier, ...] = ()
    cover_share_multipliers: dict[Decimal, Decimal] = field(default_factory=dict)
    no_claims_discounts: dict[int, Decimal] = field(default_factory=dict)
    group_bands: tuple[GroupBand, ...] = ()
    referral_rules: tuple[ReferralRule, ...] = ()
    referral_contact: str = "the liability manager"

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


@dataclass(frozen=True)
class QuoteRequest:
    profession: str
    setting: str
    cover: Decimal
    cover_share: Decimal = ONE
    resident: bool = False
    claim_free_years: int = 0
    group_size: int | None = None
    group_members: int | None = None
    group_formed_for_insurance: bool = False
    currency: str = "IRR"


@dataclass(frozen=True)
class Discount:
    name: str
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Quote:
    tariff_version: str
    currency: str
    risk_group: int
    base_rate_permille: Decimal
    rate_permille: Decimal
    insured_cover: Decimal
    premium_before_discounts: Decimal
    discounts: tuple[Discount, ...]
    premium: Decimal
    vat: Decimal
    total: Decimal
    steps: tuple[tuple[str, str], ...]

    def as_json(self) -> dict:
        """The `quote --json` contract (design.md §5): money and rates as decimal strings."""
        return {
            "base_rate_permille": decimal_text(self.base_rate_permille),
            "rate_permille": decimal_text(self.rate_permille),
            "premium_before_discounts": str(self.premium_before_discounts),
            "discounts": [
                {"name": d.name, "rate": decimal_text(d.rate), "amount": str(d.amount)} for d in self.discounts
            ],
            "premium": str(self.premium),
            "vat": str(self.vat),
            "total": str(self.total),
            "steps": self.steps_json(),
            "tariff_version": self.tariff_version,
        }

    def steps_json(self) -> list[dict]:
        return [{"name": name, "value": value} for name, value in self.steps]


def decimal_text(value: Decimal) -> str:
    """A rate as plain decimal text without trailing zeros or exponent: 0.900 → "0.9"."""
    text = format(to_decimal(value).normalize(), "f")
    return text


def _percent(rate: Decimal) -> str:
    return f"{decimal_text(rate * 100)}%"


def base_rate_resolve(tariff: Tariff, profession: Profession, setting: str) -> tuple[Decimal, list[tuple[str, str]]]:
    """The base rate ‰ of (profession, setting) and the steps that explain it."""
    for rule in tariff.referral_rules:
        if rule.profession == profession.code and rule.setting in ("", setting):
            raise ReferralRequired(f"{rule.reason}; refer to {tariff.referral_contact}", field="profession")
    direct = _direct_rate(tariff, profession, setting)
    if direct is not None:
        return direct.rate_permille, [(_rate_step_name(direct, profession, setting), decimal_text(direct.rate_permille))]
    modifier = next((m for m in tariff.setting_modifiers if m.setting == setting), None)
    if modifier is None:
        priced_elsewhere = any(_direct_rate(tariff, profession, other) for other in SETTINGS)
        raise ReferralRequired(
            f"tariff {tariff.code} gives no rate for {profession.code} (risk group {profession.risk_group})"
            f"{f' in setting {setting}' if priced_elsewhere else ''}; refer to {tariff.referral_contact}",
            field="setting" if priced_elsewhere else "profession",
        )
    if modifier.nurses_and_aides_only and not profession.nurse_or_aide:
        raise ReferralRequired(
            f"the {setting} rate applies to nurses and aides only, not to {profession.code}; "
            f"refer to {tariff.referral_contact}",
            field="setting",
        )
    base = _direct_rate(tariff, profession, modifier.base_setting)
    if base is None:
        raise ReferralRequired(
            f"tariff {tariff.code} gives no rate for {profession.code} (risk group {profession.risk_group}); "
            f"refer to {tariff.referral_contact}",
            field="profession",
        )
    rate = base.rate_permille * modifier.multiplier
    return rate, [
        (_rate_step_name(base, profession, modifier.base_setting), decimal_text(base.rate_permille)),
        (f"{setting} multiplier", decimal_text(modifier.multiplier)),
        (f"base rate ‰ ({profession.code}, {setting})", decimal_text(rate)),
    ]


def _direct_rate(tariff: Tariff, profession: Profession, setting: str) -> BaseRate | None:
    own = [r for r in tariff.base_rates if r.setting == setting and r.profession == profession.code]
    if own:
        return own[0]
    group = [
        r for r in tariff.base_rates
        if r.setting == setting and not r.profession and r.risk_group == profession.risk_group
    ]
    return group[0] if group else None


def _rate_step_name(rate: BaseRate, profession: Profession, setting: str) -> str:
    if rate.profession:
        return f"base rate ‰ ({profession.code}, {setting})"
    return f"risk group {profession.risk_group} rate ‰ ({setting})"


def group_discount_band(tariff: Tariff, request: QuoteRequest) -> tuple[GroupBand | None, str]:
    """The band of the group discount, or None and the reason it does not apply."""
    if request.group_size is None:
        return None, ""
    size = request.group_size
    members = request.group_members if request.group_members is not None else size
    if size < tariff.group_min_size:
        return None, f"group size {size} is below the minimum of {tariff.group_min_size}"
    if request.group_formed_for_insurance:
        return None, "the group was formed for the purpose of buying insurance"
    if Decimal(size) < tariff.group_min_insured_share * Decimal(members):
        return None, (
            f"{size} insured of {members} members is less than "
            f"{_percent(tariff.group_min_insured_share)} of the group"
        )
    for band in tariff.group_bands:
        if size >= band.min_size and (band.max_size is None or size <= band.max_size):
            return band, ""
    return None, f"no group discount band covers a group of {size}"


def no_claims_rate(tariff: Tariff, claim_free_years: int) -> Decimal | None:
    """The no-claims discount of the longest table entry not beyond the claim-free years."""
    eligible = [years for years in tariff.no_claims_discounts if years <= claim_free_years]
    return tariff.no_claims_discounts[max(eligible)] if eligible else None


def request_check(request: QuoteRequest) -> str:
    """Refuse malformed requests before pricing; returns the checked currency code."""
    try:
        currency = currency_check(request.currency)
    except CurrencyError as exc:
        raise QuoteRefused(str(exc), field="currency") from exc
    if request.setting not in SETTINGS:
        raise QuoteRefused(f"unknown setting {request.setting!r}; one of {', '.join(SETTINGS)}", field="setting")
    if request.cover is None or to_decimal(request.cover) <= 0:
        raise QuoteRefused("cover must be a positive amount", field="cover")
    share = to_decimal(request.cover_share)
    if share <= 0 or share > 1:
        raise QuoteRefused("cover share must be more than 0 and at most 1 (0.75 = 75%)", field="cover_share")
    if request.claim_free_years is not None and request.claim_free_years < 0:
        raise QuoteRefused("claim-free years cannot be negative", field="claim_free_years")
    if request.group_size is not None and request.group_size < 1:
        raise QuoteRefused("group size must be at least 1", field="group_size")
    if request.group_members is not None:
        if request.group_size is None:
            raise QuoteRefused("group members given without a group size", field="group_members")
        if request.group_members < request.group_size:
            raise QuoteRefused(
                f"the group has {request.group_members} members but {request.group_size} are to be insured",
                field="group_members",
            )
    return currency


def quote_compute(tariff: Tariff, request: QuoteRequest) -> Quote:
    """Price a request on a tariff. Raises QuoteRefused for bad input, ReferralRequired when
    the tariff does not price the case."""
    currency = request_check(request)
    profession = tariff.professions.get(request.profession)
    if profession is None:
        raise ReferralRequired(
            f"profession {request.profession!r} is not listed in tariff {tariff.code}; "
            f"unlisted specialties are priced by {tariff.referral_contact}",
            field="profession",
        )
    cover = to_decimal(request.cover)
    share = to_decimal(request.cover_share)
    share_multiplier = next((m for s, m in tariff.cover_share_multipliers.items() if s == share), None)
    if share_multiplier is None:
        listed = ", ".join(_percent(s) for s in sorted(tariff.cover_share_multipliers, reverse=True))
        raise ReferralRequired(
            f"cover share {_percent(share)} is not in the tariff (priced: {listed}); refer to {tariff.referral_contact}",
            field="cover_share",
        )

    steps: list[tuple[str, str]] = [("profession", f"{profession.code} (risk group {profession.risk_group})")]
    base_rate, rate_steps = base_rate_resolve(tariff, profession, request.setting)
    steps += rate_steps
    rate = base_rate
    if request.resident:
        rate *= tariff.resident_multiplier
        steps.append(("resident multiplier", decimal_text(tariff.resident_multiplier)))
    if share_multiplier != ONE or share != ONE:
        rate *= share_multiplier
        steps.append((f"cover share {_percent(share)} multiplier", decimal_text(share_multiplier)))
    steps.append(("rate ‰", decimal_text(rate)))

    insured_cover = cover * share
    steps.append(("full cover", str(money_round(cover, currency))))
    if share != ONE:
        steps.append((f"insured cover ({_percent(share)})", str(money_round(insured_cover, currency))))
    before = money_round(rate * insured_cover / PERMILLE, currency)
    steps.append(("premium before discounts", str(before)))

    discounts: list[Discount] = []
    running = before
    band, why_not = group_discount_band(tariff, request)
    if band is not None:
        amount = money_round(running * band.rate, currency)
        discounts.append(Discount(f"group discount {band.label}", band.rate, amount))
        running -= amount
        steps.append((f"group discount {_percent(band.rate)} (group of {request.group_size}, band {band.label})", f"-{amount}"))
    elif why_not:
        steps.append(("group discount not applied", why_not))
    ncd = no_claims_rate(tariff, request.claim_free_years or 0)
    if ncd is not None:
        amount = money_round(running * ncd, currency)
        years = request.claim_free_years
        discounts.append(Discount(f"no-claims discount {years} year{'s' if years != 1 else ''}", ncd, amount))
        running -= amount
        steps.append((f"no-claims discount {_percent(ncd)} ({years} claim-free years)", f"-{amount}"))
    premium = running
    steps.append(("premium", str(premium)))
    vat = money_round(premium * tariff.vat_rate, currency)
    steps.append((f"VAT {_percent(tariff.vat_rate)}", str(vat)))
    total = premium + vat
    steps.append(("total", str(total)))
    return Quote(
        tariff_version=tariff.code,
        currency=currency,
        risk_group=profession.risk_group,
        base_rate_permille=base_rate,
        rate_permille=rate,
        insured_cover=money_round(insured_cover, currency),
        premium_before_discounts=before,
        discounts=tuple(discounts),
        premium=premium,
        vat=vat,
        total=total,
        steps=tuple(steps),
    )
