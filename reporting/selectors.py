"""Reads for reports and dashboards: approved runs only, as plain values."""
from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
from django.conf import settings
from django.db.models import QuerySet

from core.periods import Quarter, ReportingPeriod, periods_between
from dataclasses import dataclass, replace

from fx import selectors as fx_selectors
from segments import selectors as segment_selectors
from reporting.exports.data import ReportData, SegmentReserves, SegmentTriangles
from reporting.models import AccountingGroup, CapitalEntry, DashboardSetting
from reserving.models import ReserveRun, RunSegmentResult

UNMAPPED_GROUP = "13"


def approved_runs(*, regime_code: str | None = None) -> QuerySet[ReserveRun]:
    regime_code = regime_code or settings.OFFICIAL_REGIME
    return ReserveRun.objects.filter(status=ReserveRun.Status.APPROVED, regime_code=regime_code).order_by("valuation_date", "decided_at", "id")


def official_runs(*, regime_code: str | None = None) -> QuerySet[ReserveRun]:
    """The official runs: approved and not superseded by a later approval (a rerun's), so one
    per valuation date and regime (ReserveRun's one_official_run_per_date_and_regime)."""
    return approved_runs(regime_code=regime_code).filter(superseded_by__isnull=True)


def official_run_before(run: ReserveRun) -> ReserveRun | None:
    """The official run of the latest valuation date before `run`'s, same regime."""
    return (official_runs(regime_code=run.regime_code).filter(valuation_date__lt=run.valuation_date)
            .order_by("valuation_date", "decided_at", "id").last())


def latest_approved_by_quarter(*, regime_code: str | None = None) -> list[ReserveRun]:
    """The official run of each valuation date, oldest first (a rerun's approval supersedes
    the run it reruns, so there is one per date)."""
    return list(official_runs(regime_code=regime_code).order_by("valuation_date"))


def segment_groups() -> dict[str, str]:
    """Segment code → accounting group code, from the segment table (segments.Segment); a
    segment without a group reports under UNMAPPED_GROUP."""
    return segment_selectors.segment_groups()


def report_data_converted(data: ReportData) -> ReportData:
    """The report in the reporting currency (issue 17 §4): each segment's amounts in another
    currency converted at the official rate of its run's valuation date (the year-end columns
    at their own year-end's rate), each amount rounded once to the reporting currency's minor
    unit; triangles at the valuation date's rate. fx.selectors.RateMissing when a rate is
    missing: the report is not made, and never at a silent 1.0."""
    to = fx_selectors.reporting_currency()
    used: dict = {}

    def rate(currency, on):
        r = fx_selectors.rate_on(currency, on)
        used[(currency, on)] = r
        return r

    def rows_of(rows: list[SegmentReserves], on) -> list[SegmentReserves]:
        out = []
        for r in rows:
            if r.currency == to:
                out.append(r)
                continue
            k = rate(r.currency, on)
            out.append(replace(r, currency=to, converted_from=r.currency,
                               upr=k.convert(r.upr), premium_deficiency=k.convert(r.premium_deficiency),
                               rbns=k.convert(r.rbns), ibnr=k.convert(r.ibnr), ulae=k.convert(r.ulae),
                               ceded_upr=k.convert(r.ceded_upr),
                               ceded_premium_deficiency=k.convert(r.ceded_premium_deficiency),
                               ceded_rbns=k.convert(r.ceded_rbns), ceded_ibnr=k.convert(r.ceded_ibnr),
                               ceded_ulae=k.convert(r.ceded_ulae),
                               earned_premium=None if r.earned_premium is None else k.convert(r.earned_premium)))
        return out

    reserves = rows_of(data.reserves, data.valuation_date)
    history = {day: rows_of(rows, day) for day, rows in data.history.items()}
    triangles = []
    for t in data.triangles:
        if t.currency == to:
            triangles.append(t)
            continue
        k = float(rate(t.currency, data.valuation_date).rate)
        triangles.append(SegmentTriangles(t.segment, to, t.paid * k, t.case * k,
                                          {o: v * k for o, v in t.ibnr_by_origin.items()},
                                          ceded_paid=t.ceded_paid * k, ceded_case=t.ceded_case * k,
                                          ceded_ibnr_by_origin={o: v * k for o, v in t.ceded_ibnr_by_origin.items()}))
    return replace(data, reserves=reserves, history=history, triangles=triangles, reporting_currency=to,
                   rates_used=tuple(used[key].describe() for key in sorted(used, key=lambda k: (k[1], k[0]))))


def group_names() -> dict[str, tuple[str, str]]:
    return {g.code: (g.name_ru, g.name_en) for g in AccountingGroup.objects.all()}


def decode_triangle(obj) -> pd.DataFrame:
    """A stored triangle as origin × age DataFrame, from the {"origins", "ages", "values"}
    the run computation writes (reserving.compute._frame_json); None or {} is empty."""
    if obj is None or (hasattr(obj, "__len__") and len(obj) == 0):
        return pd.DataFrame()
    if isinstance(obj, dict) and {"origins", "ages", "values"} <= set(obj):
        values = np.array([[np.nan if v is None else float(v) for v in row] for row in obj["values"]], dtype=float)
        return pd.DataFrame(values, index=[str(o) for o in obj["origins"]], columns=[int(a) for a in obj["ages"]])
    raise ValueError("unrecognised triangle format")


def _triangle(result: RunSegmentResult, name: str) -> pd.DataFrame:
    tri = (result.triangles or {}).get(name)
    return decode_triangle(tri)


def earned_year_to_date(result: RunSegmentResult, valuation_date: date) -> Decimal | None:
    """Earned premium from 1 January to the valuation date, from the run's quarterly earned
    premium (stored beside its triangles)."""
    by_quarter = (result.triangles or {}).get("earned_premium")
    if not isinstance(by_quarter, dict):
        return None
    year = str(valuation_date.year)
    total = sum((Decimal(str(v)) for q, v in by_quarter.items() if str(q).startswith(year + "Q")
                 and Quarter.parse(str(q)) <= Quarter.of(valuation_date)), Decimal("0"))
    return total


def segment_reserves(result: RunSegmentResult, groups: dict[str, str]) -> SegmentReserves:
    return SegmentReserves(
        segment=result.segment, currency=result.currency,
        accounting_group=groups.get(result.segment, UNMAPPED_GROUP),
        upr=result.upr, premium_deficiency=result.premium_deficiency, rbns=result.rbns, ibnr=result.ibnr,
        ulae=result.ulae, earned_premium=earned_year_to_date(result, result.run.valuation_date),
        ibnr_method=result.ibnr_method,
        ceded_upr=result.ceded_upr, ceded_premium_deficiency=result.ceded_premium_deficiency,
        ceded_rbns=result.ceded_rbns, ceded_ibnr=result.ceded_ibnr, ceded_ulae=result.ceded_ulae,
    )


def _reserves_of(run: ReserveRun | None, groups) -> list[SegmentReserves]:
    if run is None:
        return []
    return [segment_reserves(r, groups) for r in run.segment_results.all().order_by("segment", "currency")]


def report_data(*, run: ReserveRun) -> ReportData:
    """Everything the exports need from one approved run."""
    if run.status != ReserveRun.Status.APPROVED:
        raise ValueError(f"run {run.pk} is {run.status}; reports are made from approved runs only")
    groups = segment_groups()
    results = list(run.segment_results.all().prefetch_related("origins").order_by("segment", "currency"))
    triangles = [
        SegmentTriangles(r.segment, r.currency, _triangle(r, "paid"), _triangle(r, "case"),
                         {o.origin: float(o.ibnr) for o in r.origins.all()},
                         ceded_paid=decode_triangle((r.cession or {}).get("triangles", {}).get("paid")),
                         ceded_case=decode_triangle((r.cession or {}).get("triangles", {}).get("case")),
                         ceded_ibnr_by_origin={o: float(d["ibnr"]) for o, d in (r.cession or {}).get("origins", {}).items()})
        for r in results
    ]
    history = {}
    for year_end in (date(run.valuation_date.year - 2, 12, 31), date(run.valuation_date.year - 1, 12, 31)):
        prior = approved_runs(regime_code=run.regime_code).filter(valuation_date=year_end).last()
        if prior is not None:
            history[year_end] = _reserves_of(prior, groups)
    opening_run = approved_runs(regime_code=run.regime_code).filter(valuation_date__lt=run.valuation_date).last()
    params = run.parameters or {}
    regime_params = getattr(run.regime, "parameters", {}) or {}
    ulae_with_rbns = bool(params.get("ulae_reported_with_rbns", regime_params.get("ulae_reported_with_rbns", run.regime_code == "ru-51n")))
    return ReportData(
        run_id=run.pk, valuation_date=run.valuation_date, regime=run.regime_code,
        input_fingerprint=run.input_fingerprint, reserves=[segment_reserves(r, groups) for r in results],
        triangles=triangles, history=history, opening=_reserves_of(opening_run, groups),
        opening_date=opening_run.valuation_date if opening_run else None,
        ulae_reported_with_rbns=ulae_with_rbns, group_names=group_names(),
    )


# ----------------------------------------------------------------------------- dashboards
RESERVE_BASES = ("gross", "net")


def reserves_over_quarters(*, currency: str, regime_code: str | None = None, basis: str = "gross"):
    """(quarter labels, {reserve type: {segment: amounts by quarter}}) of the approved official
    runs; `basis` "net" takes the reinsurers' share off each reserve (issue 17)."""
    if basis not in RESERVE_BASES:
        raise ValueError(f"basis must be one of {', '.join(RESERVE_BASES)}, got {basis!r}")
    runs = latest_approved_by_quarter(regime_code=regime_code)
    quarters = [Quarter.of(r.valuation_date).label for r in runs]
    series: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0] * len(runs)))
    for i, run in enumerate(runs):
        for res in run.segment_results.filter(currency=currency):
            for reserve_type in ("upr", "premium_deficiency", "rbns", "ibnr", "ulae"):
                amount = getattr(res, reserve_type)
                if basis == "net":
                    amount -= getattr(res, f"ceded_{reserve_type}")
                series[reserve_type][res.segment][i] = float(amount)
    return quarters, {k: dict(v) for k, v in series.items()}


@dataclass(frozen=True)
class PeriodFigures:
    """One reporting period's written premium (gross, by accounting date) and claims paid
    (payments less recoveries); `partial` when the period runs past the as-at date."""

    period: ReportingPeriod
    written: Decimal
    paid: Decimal
    partial: bool

    @property
    def paid_to_written(self) -> float | None:
        return float(self.paid / self.written) if self.written > 0 else None


def premium_and_paid_by_period(*, currency: str, kind: str, until: date, cut_off) -> list[PeriodFigures]:
    """Written premium and claims paid of one currency's book per period of `kind`
    (core.periods.PERIOD_KINDS: calendar or Jalali fiscal quarters and years), for accounting
    dates up to `until` and rows recorded by `cut_off` (an approved run's view of the book), from
    the first period with a row to the one holding `until`, empty periods included. The database
    sums per accounting date; the dates are bucketed here (a Jalali period is no SQL function)."""
    from django.db.models import Sum

    from claims.models import ClaimTransaction
    from policies.models import PremiumTransaction

    written = dict(PremiumTransaction.objects.filter(
        policy__currency=currency, accounting_date__lte=until, recorded_at__lte=cut_off,
    ).order_by().values("accounting_date").annotate(s=Sum("gross_premium")).values_list("accounting_date", "s"))
    paid: dict[date, Decimal] = defaultdict(Decimal)
    kinds = {ClaimTransaction.EffectKind.PAYMENT: 1, ClaimTransaction.EffectKind.RECOVERY: -1}
    for day, effect, amount in (ClaimTransaction.objects.filter(
            claim__policy__currency=currency, effect_kind__in=list(kinds), accounting_date__lte=until,
            recorded_at__lte=cut_off).order_by().values("accounting_date", "effect_kind")
            .annotate(s=Sum("amount")).values_list("accounting_date", "effect_kind", "s")):
        paid[day] += kinds[effect] * (amount or Decimal("0"))
    days = set(written) | set(paid)
    if not days:
        return []
    periods = periods_between(min(days), until, kind)
    starts = [p.start for p in periods]
    written_in, paid_in = [Decimal("0")] * len(periods), [Decimal("0")] * len(periods)
    for day in days:
        i = bisect_right(starts, day) - 1
        written_in[i] += written.get(day, Decimal("0"))
        paid_in[i] += paid.get(day, Decimal("0"))
    return [PeriodFigures(p, w, c, p.end > until) for p, w, c in zip(periods, written_in, paid_in)]


def currencies_in_runs() -> list[str]:
    return sorted(set(RunSegmentResult.objects.filter(run__status=ReserveRun.Status.APPROVED).values_list("currency", flat=True)))


def internal_buffer() -> float:
    setting = DashboardSetting.objects.order_by("pk").first()
    return float(setting.internal_buffer) if setting else 1.2


def capital_entries(*, currency: str) -> dict[str, CapitalEntry]:
    return {e.period: e for e in CapitalEntry.objects.filter(currency=currency)}


def loss_ratio_table(*, run: ReserveRun) -> dict[str, tuple[list[int], dict[str, list[float | None]]]]:
    """{currency: (accident years, {segment: ultimate / gross earned premium})} of one run."""
    from reserving.selectors import Scope, earned_premium_by_quarter

    ultimates: dict[tuple[str, str, int], float] = defaultdict(float)
    years: set[int] = set()
    for res in run.segment_results.all().prefetch_related("origins"):
        for o in res.origins.all():
            y = int(o.origin[:4])  # an accident quarter (2024Q3) or year (2024)
            ultimates[(res.segment, res.currency, y)] += float(o.ultimate)
            years.add(y)
    if not years:
        return {}
    earned_by = _stored_earned_gross(run)
    if earned_by is None:  # a run computed before it stored its earned premium: computed now
        scope = Scope(valuation_date=run.valuation_date, cut_off=run.cut_off)
        earned = earned_premium_by_quarter(scope=scope, first=Quarter(min(years), 1), premium_base="gross")
        earned_by = defaultdict(float)
        for row in earned.itertuples(index=False):
            earned_by[(row.segment, row.currency, Quarter.parse(row.quarter).year)] += float(row.earned)
    ordered = sorted(years)
    out: dict[str, tuple[list[int], dict[str, list[float | None]]]] = {}
    for (segment, currency, _y) in list(ultimates):
        out.setdefault(currency, (ordered, {}))[1].setdefault(segment, [None] * len(ordered))
    for (segment, currency, y), ult in ultimates.items():
        ep = earned_by.get((segment, currency, y), 0.0)
        out[currency][1][segment][ordered.index(y)] = (ult / ep) if ep > 0 else None
    return out


def _stored_earned_gross(run: ReserveRun) -> dict[tuple[str, str, int], float] | None:
    """{(segment, currency, accident year): gross earned premium} as the run stored it with its
    inputs (one read of the run's rows, nothing of the book); None when the run stored none."""
    stored = list(run.segment_inputs.values_list("segment", "currency", "earned_gross"))
    if not stored or not any(earned for _, _, earned in stored):
        return None
    earned_by: dict[tuple[str, str, int], float] = defaultdict(float)
    for segment, currency, earned in stored:
        for quarter, amount in earned.items():
            earned_by[(segment, currency, Quarter.parse(quarter).year)] += float(amount)
    return earned_by


def bootstrap_percentiles(result: RunSegmentResult | None) -> dict[float, float]:
    """{percentile: reserve} from a stored bootstrap summary (p75/p95/p99.5 style keys or a
    "percentiles" map); empty when none was stored."""
    if result is None or not result.bootstrap or result.bootstrap.get("status", "ok") != "ok":
        return {}  # a distribution judged meaningless carries no percentile of the booked amount
    raw = result.bootstrap
    source = raw.get("percentiles", raw) if isinstance(raw, dict) else {}
    out: dict[float, float] = {}
    for key, value in source.items():
        k = str(key).lower()
        if not (k[:1] == "p" or k[:1].isdigit()):
            continue
        k = k.lstrip("p").replace("_", ".")
        try:
            p = float(k)
        except ValueError:
            continue
        if 0 < p < 100 and value is not None:
            out[p] = float(value)
    return dict(sorted(out.items()))  # a stored "mean" is not a percentile: not on the curve


def percentile_of(percentiles: dict[float, float], amount: float) -> float | None:
    """Where `amount` falls on the stored quantile curve (linear between stored points)."""
    if len(percentiles) < 2:
        return None
    ps = np.array(sorted(percentiles))
    vs = np.array([percentiles[p] for p in ps])
    if amount <= vs[0]:
        return float(ps[0]) if amount == vs[0] else None
    if amount >= vs[-1]:
        return float(ps[-1]) if amount == vs[-1] else None
    return float(np.interp(amount, vs, ps))


def claims_paid_between(*, currency: str, after: date, until: date, cut_off) -> Decimal:
    """Paid (payments − recoveries) of one currency with accounting dates in (after, until]."""
    from django.db.models import Q, Sum

    from claims.models import ClaimTransaction

    rows = ClaimTransaction.objects.filter(
        claim__policy__currency=currency, accounting_date__gt=after, accounting_date__lte=until, recorded_at__lte=cut_off,
    ).aggregate(paid=Sum("amount", filter=Q(effect_kind="payment")), recovered=Sum("amount", filter=Q(effect_kind="recovery")))
    return (rows["paid"] or Decimal("0")) - (rows["recovered"] or Decimal("0"))


def _months_before(day: date, months: int) -> date:
    idx = day.year * 12 + day.month - 1 - months
    y, m = divmod(idx, 12)
    import calendar

    return date(y, m + 1, calendar.monthrange(y, m + 1)[1])


def solvency_volumes(*, run: ReserveRun, currency: str) -> tuple[Decimal, Decimal]:
    """The book's gross written premium of the 12 months and claims paid in the 36 months to
    the run's valuation date, as the run saw them: the margin's inputs when a capital entry
    gives none."""
    from reserving.selectors import Scope, written_base_premium

    scope = Scope(valuation_date=run.valuation_date, cut_off=run.cut_off, currency=currency)
    since = _months_before(run.valuation_date, 12)
    premiums = sum(written_base_premium(scope=scope, since=since, premium_base="gross").values(), Decimal("0"))
    claims = claims_paid_between(currency=currency, after=_months_before(run.valuation_date, 36),
                                 until=run.valuation_date, cut_off=run.cut_off)
    return premiums, claims


def retention_for_margin(*, results, entry) -> Decimal:
    """k of the Russian margin for one run and currency: net over gross incurred claims of the
    last 12 months as the run derived them from the ledgers and treaties (floored at 0.5,
    reserving.cessions.retention_k); the capital entry's k when the run could not derive one
    (a book without treaties, or no claims incurred in the 12 months)."""
    from reserving.cessions import retention_k

    k = retention_k(results)
    return entry.retention_k if k is None else k


def solvency_views() -> dict:
    """Per currency: the three solvency views per quarter with an approved run and a capital
    entry — Russian margin (3743-У), Solvency II premium & reserve risk (segment 5), Iran
    bylaw 69 — as chart series and a table."""
    from reserving.engine.solvency import (premium_reserve_risk, solvency_level_ir, solvency_margin_ru,
                                           solvency_ratio_ir)

    runs = latest_approved_by_quarter()
    out: dict[str, dict] = {}
    currencies = sorted(set(currencies_in_runs()) | set(CapitalEntry.objects.values_list("currency", flat=True)))
    for currency in currencies:
        entries = capital_entries(currency=currency)
        periods, ru_ratio, sii_ratio, ir_ratio, rows = [], [], [], [], []
        for run in runs:
            label = Quarter.of(run.valuation_date).label
            entry = entries.get(label)
            results = list(run.segment_results.filter(currency=currency))
            if entry is None or not results:
                continue
            premiums, claims = entry.premiums_12m, entry.claims_36m
            if premiums is None or claims is None:
                book_premiums, book_claims = solvency_volumes(run=run, currency=currency)
                premiums = book_premiums if premiums is None else premiums
                claims = book_claims if claims is None else claims
            k = retention_for_margin(results=results, entry=entry)
            margin = solvency_margin_ru(premiums_12m=premiums, claims_36m=claims, retention=k,
                                        minimum_capital=entry.minimum_capital)
            ratio_ru = float(entry.own_funds) / margin.margin if margin.margin else None
            upr = sum(float(r.upr) for r in results)
            reserves = sum(float(r.rbns + r.ibnr + r.ulae) for r in results)
            risk = premium_reserve_risk(volume_premium=max(float(premiums), upr), volume_reserve=reserves)
            ratio_sii = float(entry.own_funds) / risk.scr if risk.scr else None
            ratio_ir = level = None
            if entry.required_capital_iran:
                ratio_ir = solvency_ratio_ir(available_capital=entry.own_funds, required_capital=entry.required_capital_iran)
                level = int(solvency_level_ir(ratio_ir))
            periods.append(label)
            ru_ratio.append(ratio_ru)
            sii_ratio.append(ratio_sii)
            ir_ratio.append(None if ratio_ir is None else ratio_ir / 100.0)
            rows.append([label, f"{entry.own_funds:,.0f}", f"{float(premiums):,.0f}", f"{float(claims):,.0f}",
                         f"{margin.margin:,.0f}", "" if ratio_ru is None else f"{ratio_ru:.2f}", f"{margin.retention:.4f}",
                         f"{risk.sigma:.3%}", f"{risk.scr:,.0f}", "" if ratio_sii is None else f"{ratio_sii:.2f}",
                         "" if ratio_ir is None else f"{ratio_ir:.0f}% (level {level})"])
        ratios = {"Russian margin (3743-У)": ru_ratio, "Solvency II premium & reserve risk": sii_ratio}
        if any(x is not None for x in ir_ratio):
            ratios["Iran bylaw 69 (ratio ÷ 100%)"] = ir_ratio
        out[currency] = {
            "periods": periods,
            "ratios": ratios,
            "tables": [{
                "title": f"Solvency, {currency}",
                "note": "Margin = max(16% × premiums 12m, 23% × claims 36m ÷ 3) × k (k ≥ 0.5), floored at the minimum capital; "
                        "k = net over gross incurred claims of the 12 months from the run (the capital entry's k when "
                        "the book has no reinsurance or no claims in the 12 months); "
                        "SCR = 3σ(Vp+Vr) with σ_prem 14%, σ_res 11% (segment 5); Iran levels 1–5 at ≥100/70/50/10/<10%.",
                "headers": ["quarter", "own funds", "premiums 12m", "claims 36m", "RU margin", "RU ratio", "k",
                            "SII σ", "SII SCR", "SII ratio", "Iran bylaw 69"],
                "rows": rows,
            }],
        }
    return out
