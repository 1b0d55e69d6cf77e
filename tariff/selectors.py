"""Reads of the tariff app: the tariff in force (as engine data), quotes, diyeh amounts and
the book's experience per risk group for indicated rates."""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q, Sum

from core.errors import DomainError
from core.jalali import jalali_year_of  # noqa: F401 (tariff.services reads it from here)
from core.money import ZERO
from tariff import engine, indicated
from tariff.diyeh import DIYEH_CURRENCY, diyeh_target_estimate
from tariff.models import DiyehAmount, Setting, TariffProfession, TariffReferralRule, TariffVersion


class NoTariffInForce(DomainError):
    default_field = "date"


def tariff_version_in_force(*, on: date, code: str | None = None) -> TariffVersion:
    """The version in force on a date (the latest started one if several overlap); with a code,
    that version, refused when it is not in force on the date."""
    in_force = TariffVersion.objects.filter(effective_from__lte=on).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=on)
    )
    if code:
        version = TariffVersion.objects.filter(code=code).first()
        if version is None:
            raise DomainError(f"unknown tariff version {code!r}", field="tariff_version")
        if not in_force.filter(pk=version.pk).exists():
            until = version.effective_to.isoformat() if version.effective_to else "until replaced"
            raise NoTariffInForce(
                f"tariff {code} is not in force on {on.isoformat()} (in force {version.effective_from.isoformat()} – {until})"
            )
        return version
    version = in_force.order_by("-effective_from", "-id").first()
    if version is None:
        raise NoTariffInForce(f"no tariff version is in force on {on.isoformat()}")
    return version


def tariff_data(version: TariffVersion) -> engine.Tariff:
    """The version's rows as the engine's plain data (one query per table, not per row)."""
    return engine.Tariff(
        code=version.code,
        effective_from=version.effective_from,
        effective_to=version.effective_to,
        vat_rate=version.vat_rate,
        resident_multiplier=version.resident_multiplier,
        group_min_size=version.group_min_size,
        group_min_insured_share=version.group_min_insured_share,
        professions={
            p.code: engine.Profession(p.code, p.name, p.risk_group, p.nurse_or_aide) for p in version.professions.all()
        },
        base_rates=tuple(
            engine.BaseRate(r.setting, r.rate_permille, r.risk_group, r.profession) for r in version.base_rates.all()
        ),
        setting_modifiers=tuple(
            engine.SettingModifier(m.setting, m.base_setting, m.multiplier, m.nurses_and_aides_only)
            for m in version.setting_modifiers.all()
        ),
        cover_share_multipliers={c.cover_share: c.multiplier for c in version.cover_shares.all()},
        no_claims_discounts={d.claim_free_years: d.rate for d in version.no_claims_discounts.all()},
        group_bands=tuple(engine.GroupBand(b.min_size, b.max_size, b.rate) for b in version.group_bands.all()),
        referral_rules=tuple(
            engine.ReferralRule(r.profession, r.reason, r.setting) for r in version.referral_rules.all()
        ),
        referral_contact=version.referral_contact,
    )


def quote_price(*, request: engine.QuoteRequest, on: date, tariff_code: str | None = None) -> engine.Quote:
    """Price a request on the tariff in force on a date. Writes nothing."""
    version = tariff_version_in_force(on=on, code=tariff_code)
    return engine.quote_compute(tariff_data(version), request)


# --- diyeh ---------------------------------------------------------------------------------

def diyeh_amounts() -> dict[int, Decimal]:
    return dict(DiyehAmount.objects.values_list("jalali_year", "amount"))


def diyeh_amount_of(jalali_year: int) -> Decimal:
    amount = DiyehAmount.objects.filter(jalali_year=jalali_year).values_list("amount", flat=True).first()
    if amount is None:
        raise DomainError(f"no diyeh amount is recorded for the Jalali year {jalali_year}", field="jalali_year")
    return amount


@dataclass(frozen=True)
class RevaluationLine:
    """One open claim on diyeh-indexed cover: its indemnity estimate now and the target under
    a Jalali year's diyeh; skip_reason says why it cannot be revalued."""

    claim: object
    paid: Decimal
    outstanding: Decimal
    target: Decimal | None
    skip_reason: str = ""

    @property
    def change(self) -> Decimal:
        return ZERO if self.target is None else self.target - self.outstanding


def diyeh_revaluation_plan(*, jalali_year: int, accounting_date: date) -> list[RevaluationLine]:
    """What diyeh_revalue_open_claims would post: open claims with an awarded share on IRR
    policies whose cover is in diyeh of a year up to jalali_year."""
    from claims.models import Claim, ClaimTransaction

    amounts = diyeh_amounts()
    if jalali_year not in amounts:
        raise DomainError(f"no diyeh amount is recorded for the Jalali year {jalali_year}", field="jalali_year")
    claims = list(
        Claim.objects.filter(
            status=Claim.Status.OPEN, policy__cover_in_diyeh=True, awarded_diyeh_share__isnull=False,
            policy__diyeh_year__isnull=False, policy__diyeh_year__lte=jalali_year,
        ).select_related("policy", "policy__insured").order_by("claim_number")
    )
    sums: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for row in (
        # The whole ledger, as claim_reserve_change measures the estimate it changes.
        ClaimTransaction.objects.filter(claim__in=claims, cost_type=ClaimTransaction.CostType.INDEMNITY)
        .order_by().values("claim_id", "effect_kind").annotate(total=Sum("amount"))
    ):
        sums[row["claim_id"]][row["effect_kind"]] = row["total"] or ZERO
    lines = []
    for claim in claims:
        policy, got = claim.policy, sums[claim.pk]
        paid = got.get(ClaimTransaction.EffectKind.PAYMENT, ZERO)
        outstanding = max(got.get(ClaimTransaction.EffectKind.RESERVE, ZERO) - paid, ZERO)
        reason = ""
        if policy.currency != DIYEH_CURRENCY:
            reason = f"policy currency {policy.currency}, diyeh is in IRR"
        elif policy.diyeh_year not in amounts:
            reason = f"no diyeh amount recorded for the policy year {policy.diyeh_year}"
        elif claim.report_date > accounting_date:
            reason = "reported after the accounting date"
        target = None if reason else diyeh_target_estimate(
            awarded_share=claim.awarded_diyeh_share, policy_year_amount=amounts[policy.diyeh_year],
            new_amount=amounts[jalali_year], endorsed=policy.diyeh_increase_endorsement, paid=paid,
        )
        lines.append(RevaluationLine(claim, paid, outstanding, target, reason))
    return lines


# --- experience for indicated rates --------------------------------------------------------

@dataclass(frozen=True)
class GroupExperience:
    risk_group: int
    currency: str
    n: int
    claims: int
    total_incurred: float
    average_payment: float
    average_sum_insured: float
    claim_sd: float | None

    @property
    def q(self) -> float:
        return self.claims / self.n if self.n else 0.0


def book_experience(*, period_start: date, period_end: date, currency: str = "IRR") -> list[GroupExperience]:
    """Per risk group, over policies incepting in the period: n policies; the claims with a
    positive incurred indemnity (paid − recovered + outstanding case estimate, accounted by the
    period end) — q = their number / n, B = their mean incurred, R = its s.d.; and C = the
    average sum insured (aggregate limit, else per-claim limit). Incurred, not only paid, so
    that recent years with open claims are not understated."""
    from claims.models import Claim, ClaimTransaction
    from policies.models import Policy

    policies = Policy.objects.filter(
        currency=currency, risk_group__isnull=False, inception_date__gte=period_start, inception_date__lte=period_end
    ).values_list("id", "risk_group", "aggregate_limit", "limit_per_claim")
    group_of: dict[int, int] = {}
    sums: dict[int, list[float]] = defaultdict(list)
    for pk, group, aggregate, per_claim in policies:
        group_of[pk] = group
        insured = aggregate if aggregate is not None else per_claim
        if insured is not None:
            sums[group].append(float(insured))
    claim_group = {
        claim_id: group_of[policy_id]
        for claim_id, policy_id in Claim.objects.filter(policy_id__in=list(group_of)).values_list("id", "policy_id")
    }
    totals: dict[tuple[int, str], float] = defaultdict(float)
    rows = ClaimTransaction.objects.filter(
        claim_id__in=list(claim_group), cost_type=ClaimTransaction.CostType.INDEMNITY, accounting_date__lte=period_end
    ).values_list("claim_id", "effect_kind", "amount")
    for claim_id, effect, amount in rows:
        totals[(claim_id, effect)] += float(amount or 0)
    incurred_by_group: dict[int, list[float]] = defaultdict(list)
    for claim_id, group in claim_group.items():
        payment = totals[(claim_id, ClaimTransaction.EffectKind.PAYMENT)]
        outstanding = max(totals[(claim_id, ClaimTransaction.EffectKind.RESERVE)] - payment, 0.0)
        incurred = payment - totals[(claim_id, ClaimTransaction.EffectKind.RECOVERY)] + outstanding
        if incurred > 0:
            incurred_by_group[group].append(incurred)

    out = []
    for group in sorted(set(group_of.values())):
        costs = incurred_by_group.get(group, [])
        n = sum(1 for g in group_of.values() if g == group)
        mean = sum(costs) / len(costs) if costs else 0.0
        sd = math.sqrt(sum((v - mean) ** 2 for v in costs) / (len(costs) - 1)) if len(costs) > 1 else None
        insured = sums.get(group, [])
        out.append(
            GroupExperience(
                risk_group=group, currency=currency, n=n, claims=len(costs), total_incurred=sum(costs),
                average_payment=mean, average_sum_insured=sum(insured) / len(insured) if insured else 0.0,
                claim_sd=sd,
            )
        )
    return out


@dataclass(frozen=True)
class IndicatedRow:
    experience: GroupExperience
    result: indicated.IndicatedRate | None
    problem: str
    current_permille: Decimal | None
    relative_change: float | None

    @property
    def relative_change_text(self) -> str:
        return "" if self.relative_change is None else f"{self.relative_change:+.1%}"


def indicated_rates(
    *, period_start: date, period_end: date, on: date, currency: str = "IRR", gamma: float = 0.95,
    loading_share: float = 0.25, use_claim_sd: bool = True,
) -> list[IndicatedRow]:
    """Indicated gross rate per risk group beside the hospital rate of the tariff in force."""
    try:
        indicated.alpha_for(gamma)
    except ValueError as exc:
        raise DomainError(str(exc), field="gamma") from exc
    if not 0 <= loading_share < 1:
        raise DomainError("the loading share f must be at least 0 and below 1", field="loading_share")
    if period_end < period_start:
        raise DomainError("the period ends before it starts", field="period_end")
    version = tariff_version_in_force(on=on)
    current = {
        r.risk_group: r.rate_permille
        for r in version.base_rates.filter(setting=Setting.HOSPITAL, profession="", risk_group__isnull=False)
    }
    out = []
    for exp in book_experience(period_start=period_start, period_end=period_end, currency=currency):
        result, problem = None, ""
        if exp.n == 0 or exp.claims == 0 or exp.claims >= exp.n:
            problem = "no claims in the period" if exp.claims == 0 else "claim frequency out of range"
        elif exp.average_sum_insured <= 0:
            problem = "no sum insured on the policies of the period"
        else:
            result = indicated.indicated_rate(
                q=exp.q, average_payment=exp.average_payment, average_sum_insured=exp.average_sum_insured, n=exp.n,
                gamma=gamma, loading_share=loading_share, claim_sd=exp.claim_sd if use_claim_sd else None,
            )
        cur = current.get(exp.risk_group)
        change = (
            indicated.relative_change(result.gross_rate_permille, float(cur)) if result is not None and cur else None
        )
        out.append(IndicatedRow(exp, result, problem, cur, change))
    return out


def tariff_profession_codes() -> list[str]:
    """Every profession some tariff version prices or refers, for the quote page's choices."""
    codes = set(TariffProfession.objects.values_list("code", flat=True).distinct())
    codes |= set(TariffReferralRule.objects.values_list("profession", flat=True).distinct())
    return sorted(codes)
