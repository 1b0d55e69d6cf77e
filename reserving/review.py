"""What changed against the prior approved run (issue 13 §5): for each segment × currency of a
run, the prior approved run of the same regime, and beside it the development factors per age,
the method and a-priori loss ratio per origin, the tail, the actuary's notes, and the effect on
the reserve (RBNS, IBNR and their total: prior, current, difference and %); an ultimate the actuary
typed for an origin shows as the method "typed" with its amount, beside the note. Reads only, from
what the runs stored (RunSegmentResult, RunOriginResult, ReserveRun.selections); nothing is
recomputed. The approver reads it before signing off; the run's reserving report files it.

The prior run of a segment is, among the approved runs of the run's regime that have a result
for that segment and currency: an earlier approved run at the same valuation date (the official
run a rerun replaces; for a decided run, one decided before it), else the official (approved,
not superseded) run with the latest earlier valuation date.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.labels import basis_name, grain_name, segment_name
from reserving.models import ReserveRun, RunSegmentResult


@dataclass(frozen=True)
class Change:
    """One compared item (an age's factor, an origin's method, the tail): prior → current;
    None where the run has no such item."""

    key: str
    prior: object
    current: object

    @property
    def changed(self) -> bool:
        if isinstance(self.prior, float) and isinstance(self.current, float):
            return abs(self.prior - self.current) > 1e-9
        return self.prior != self.current


@dataclass(frozen=True)
class FactorChange(Change):
    """A development factor at an age; `chosen`: the actuary's selection names this age.
    `comparable` is False when the two runs were reserved at different grains: their ages are
    other ages (9/21/33 against 12/24/36 months), so a factor is never "changed" across them."""

    chosen: bool = False
    comparable: bool = True

    @property
    def changed(self) -> bool:
        return self.comparable and super().changed


NOT_TYPED = Change("typed", None, None)


@dataclass(frozen=True)
class OriginChange:
    origin: str
    method: Change
    apriori: Change
    ultimate: Change
    ibnr: Change
    typed: Change = NOT_TYPED   # the ultimate the actuary typed (the selection's `ultimates`), None if none

    @property
    def changed(self) -> bool:
        return self.method.changed or self.apriori.changed or self.typed.changed


# the amounts' row labels in the user's language (`name` stays the key tests and callers use)
AMOUNT_LABELS = {"RBNS": gettext_lazy("RBNS"), "IBNR": gettext_lazy("IBNR"),
                 "total": gettext_lazy("total")}


@dataclass(frozen=True)
class AmountChange:
    """An amount of the segment: prior, current, their difference and the difference as a
    share of the prior (None when the prior is zero; both None without a prior run)."""

    name: str
    prior: Decimal | None
    current: Decimal

    @property
    def label(self) -> str:
        return str(AMOUNT_LABELS.get(self.name, self.name))

    @property
    def difference(self) -> Decimal | None:
        return None if self.prior is None else self.current - self.prior

    @property
    def percent(self) -> float | None:
        return None if self.prior is None or self.prior == 0 else float(self.difference / self.prior)


@dataclass(frozen=True)
class SegmentReview:
    segment: str
    currency: str
    prior_run: ReserveRun | None
    message: str = ""
    method: Change | None = None            # the segment-wide method (the rule: "default")
    basis: Change | None = None
    grain: Change | None = None
    factors: list[FactorChange] = field(default_factory=list)
    tail: Change | None = None
    apriori: Change | None = None           # the a-priori loss ratio the selection typed
    pattern_from: Change | None = None
    origins: list[OriginChange] = field(default_factory=list)
    note: Change | None = None              # the actuary's note on the selection
    typed_ultimates: dict[str, float] = field(default_factory=dict)  # {origin: amount} typed in the selection
    amounts: list[AmountChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def has_prior(self) -> bool:
        return self.prior_run is not None

    @property
    def changed_factors(self) -> list[FactorChange]:
        return [f for f in self.factors if f.changed]

    @property
    def factors_comparable(self) -> bool:
        """False when the grain changed: the factors are two lists at different ages."""
        return all(f.comparable for f in self.factors)

    @property
    def changed_origins(self) -> list[OriginChange]:
        return [o for o in self.origins if o.changed]

    def amount(self, name: str) -> AmountChange:
        return next(a for a in self.amounts if a.name == name)


# ------------------------------------------------------------------ the prior run
def _prior_filter(run: ReserveRun) -> Q:
    same_date = Q(run__valuation_date=run.valuation_date)
    if run.decided_at is not None:
        same_date &= Q(run__decided_at__lt=run.decided_at)
    earlier = Q(run__valuation_date__lt=run.valuation_date, run__superseded_by__isnull=True)
    return same_date | earlier


def prior_results(*, run: ReserveRun) -> dict[tuple[str, str], RunSegmentResult]:
    """(segment, currency) → the prior approved run's result of that segment (with its run and
    origins loaded): two queries, whatever the number of segments."""
    candidates = (RunSegmentResult.objects
                  .filter(_prior_filter(run), run__regime_code=run.regime_code, run__status=ReserveRun.Status.APPROVED,
                          run__valuation_date__lte=run.valuation_date)
                  .exclude(run_id=run.pk)
                  .order_by("-run__valuation_date", "-run__decided_at", "-run_id")
                  .values_list("id", "segment", "currency"))
    chosen: dict[tuple[str, str], int] = {}
    for pk, segment, currency in candidates:
        chosen.setdefault((segment, currency), pk)
    rows = (RunSegmentResult.objects.filter(pk__in=chosen.values())
            .select_related("run", "run__approver").prefetch_related("origins"))
    return {(r.segment, r.currency): r for r in rows}


def prior_approved_run(*, run: ReserveRun, segment: str, currency: str) -> ReserveRun | None:
    result = prior_results(run=run).get((segment, currency))
    return None if result is None else result.run


# ------------------------------------------------------------------ the comparison
def _factors(result: RunSegmentResult | None) -> dict[int, float]:
    ldf = ((result.factors or {}).get("ldf") or {}) if result is not None else {}
    return {int(a): float(f) for a, f in ldf.items() if f is not None}


def _tail(result: RunSegmentResult | None) -> float | None:
    if result is None:
        return None
    tail = (result.factors or {}).get("tail")
    if tail is None:
        tail = (result.provenance or {}).get("tail")
    return None if tail is None else float(tail)


def _selection(run: ReserveRun, result: RunSegmentResult | None) -> dict:
    """The selection the result was computed with as the actuary saved it: the run's saved
    selection, else the one the result records (without the engine's notes)."""
    saved = (run.selections or {}).get(f"{result.segment}|{result.currency}") if result is not None else None
    if saved is None and result is not None:
        saved = {k: v for k, v in (result.selections or {}).items() if k != "notes"}
    return dict(saved or {})


def _typed(selection: dict) -> dict[str, float]:
    """The ultimates the actuary typed in a selection, {origin: amount}."""
    return {str(o): float(v) for o, v in (selection.get("ultimates") or {}).items()}


def _origins_methods(result: RunSegmentResult | None) -> dict[str, object]:
    return {} if result is None else {o.origin: o for o in result.origins.all()}


def _float(value) -> float | None:
    return None if value is None else float(value)


def _compare(prior_run: ReserveRun, prior: RunSegmentResult, run: ReserveRun, current: RunSegmentResult
             ) -> SegmentReview:
    sel_now, sel_then = _selection(run, current), _selection(prior_run, prior)
    basis_now = (current.factors or {}).get("basis") or (current.provenance or {}).get("basis")
    basis_then = (prior.factors or {}).get("basis") or (prior.provenance or {}).get("basis")
    grain_now, grain_then = (current.provenance or {}).get("grain"), (prior.provenance or {}).get("grain")
    f_now, f_then = _factors(current), _factors(prior)
    chosen = {int(a) for a in (sel_now.get("ldfs") or {})}
    comparable = grain_now == grain_then
    factors = [FactorChange(str(age), f_then.get(age), f_now.get(age), chosen=age in chosen, comparable=comparable)
               for age in sorted(set(f_now) | set(f_then))]
    o_now, o_then = _origins_methods(current), _origins_methods(prior)
    typed_now, typed_then = _typed(sel_now), _typed(sel_then)
    origins = []
    for origin in sorted(set(o_now) | set(o_then)):
        a, b = o_then.get(origin), o_now.get(origin)
        origins.append(OriginChange(
            origin=origin,
            method=Change("method", a.method if a else None, b.method if b else None),
            apriori=Change("apriori", _float(a.apriori) if a else None, _float(b.apriori) if b else None),
            ultimate=Change("ultimate", a.ultimate if a else None, b.ultimate if b else None),
            ibnr=Change("ibnr", a.ibnr if a else None, b.ibnr if b else None),
            typed=Change("typed", typed_then.get(origin), typed_now.get(origin))))
    warnings = []
    if grain_now != grain_then:
        warnings.append(_("the grain changed (%(prior)s → %(current)s): the factors are not comparable age by "
                          "age") % {"prior": grain_name(grain_then) or "—", "current": grain_name(grain_now) or "—"})
    if basis_now != basis_then:
        warnings.append(_("the basis changed (%(prior)s → %(current)s)") % {"prior": basis_name(basis_then) or "—",
                                                                          "current": basis_name(basis_now) or "—"})
    amounts = [AmountChange("RBNS", prior.rbns, current.rbns), AmountChange("IBNR", prior.ibnr, current.ibnr),
               AmountChange("total", prior.rbns + prior.ibnr, current.rbns + current.ibnr)]
    return SegmentReview(
        segment=current.segment, currency=current.currency, prior_run=prior_run,
        method=Change("method", prior.ibnr_method, current.ibnr_method),
        basis=Change("basis", basis_then, basis_now), grain=Change("grain", grain_then, grain_now),
        factors=factors, tail=Change("tail", _tail(prior), _tail(current)),
        apriori=Change("apriori", _float(sel_then.get("apriori")), _float(sel_now.get("apriori"))),
        pattern_from=Change("pattern_from", sel_then.get("pattern_from"), sel_now.get("pattern_from")),
        origins=origins, note=Change("note", sel_then.get("note") or "", sel_now.get("note") or ""),
        typed_ultimates=typed_now, amounts=amounts, warnings=warnings)


def segment_review(*, run: ReserveRun, result: RunSegmentResult,
                   priors: dict[tuple[str, str], RunSegmentResult] | None = None) -> SegmentReview:
    """One segment × currency against its prior approved run."""
    priors = prior_results(run=run) if priors is None else priors
    prior = priors.get((result.segment, result.currency))
    if prior is None:
        return SegmentReview(segment=result.segment, currency=result.currency, prior_run=None,
                             message=_("no prior approved run of regime %(regime)s for %(segment)s %(currency)s "
                                       "at or before %(date)s") % {
                                 "regime": run.regime_code, "segment": segment_name(result.segment),
                                 "currency": result.currency,
                                 "date": run.valuation_date.isoformat()},
                             note=Change("note", "", _selection(run, result).get("note") or ""),
                             typed_ultimates=_typed(_selection(run, result)),
                             amounts=[AmountChange(name, None, value) for name, value in (
                                 ("RBNS", result.rbns), ("IBNR", result.ibnr), ("total", result.rbns + result.ibnr))])
    return _compare(prior.run, prior, run, result)


def run_review(*, run: ReserveRun) -> list[SegmentReview]:
    """Every segment × currency of the run (in segment, currency order) against its prior
    approved run."""
    results = list(run.segment_results.prefetch_related("origins").order_by("segment", "currency"))
    if not results:
        return []
    priors = prior_results(run=run)
    return [segment_review(run=run, result=r, priors=priors) for r in results]
