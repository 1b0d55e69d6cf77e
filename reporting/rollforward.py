"""Reserve roll-forward and actual-vs-expected between two approved runs of one segment and
currency. Reads only: ledger sums in SQL, factors from the runs, the prior run's selections
re-applied to the new data through the runs' own preview (nothing is saved)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from django.db.models import Q, Sum

from claims.models import ClaimTransaction
from core.money import money_round
from core.periods import Quarter
from reporting.selectors import decode_triangle
from reserving.engine import EngineError
from reserving.models import ReserveRun, RunSegmentResult

ZERO = Decimal("0")


@dataclass(frozen=True)
class RollForwardLine:
    step: str
    amount: Decimal


def _sum(qs, kind: str) -> Decimal:
    return qs.aggregate(x=Sum("amount", filter=Q(effect_kind=kind)))["x"] or ZERO


def _result(run: ReserveRun, segment: str, currency: str) -> RunSegmentResult | None:
    return run.segment_results.filter(segment=segment, currency=currency).first()


def prior_selection(result: RunSegmentResult | None) -> dict:
    """The prior run's choices as an explicit selection: its method, LDFs, tail and a-priori."""
    if result is None:
        return {}
    used = result.selections or {}
    factors = result.factors or {}
    selection = {}
    # premium_share is the regime's fallback, not a selectable method: without it the new data
    # falls back (or not) on its own
    if used.get("method") in ("default", "chainladder", "bf", "benktander", "capecod", "elr"):
        selection["method"] = used["method"]
    for key in ("overrides", "grain"):  # only what the actuary chose; the regime's grain rule decides anew
        if used.get(key):
            selection[key] = used[key]
    ldf = factors.get("ldf")
    if isinstance(ldf, dict) and ldf:
        selection["ldfs"] = {str(k): float(v) for k, v in ldf.items()}
    if used.get("tail") is not None:
        selection["tail"] = float(used["tail"])
    if used.get("apriori") is not None:
        selection["apriori"] = float(used["apriori"])
    if used.get("pattern_from"):
        selection["pattern_from"] = used["pattern_from"]
    return selection


def prior_choices(result: RunSegmentResult | None) -> dict:
    """The prior run's choices without its estimated pattern: method, tail, a-priori, borrowed
    pattern, and LDFs only where the actuary selected them. Applied to the new data this gives
    the new data's own pattern under the old choices."""
    selection = prior_selection(result)
    selection.pop("ldfs", None)
    chosen = (result.selections or {}).get("ldfs") if result is not None else None
    if isinstance(chosen, dict) and chosen:
        selection["ldfs"] = {str(k): float(v) for k, v in chosen.items()}
    return selection


def _thin_ages(result: RunSegmentResult) -> set[int]:
    """Ages whose LDF the runs' thin-age rule held at 1.0 in this result (at its grain)."""
    return {int(a) for a in (result.factors or {}).get("thin_ages", [])}


def _quarterly_ldfs(frame: pd.DataFrame, min_link_ratios: int) -> dict[int, float]:
    """Volume-weighted quarterly LDFs of a stored quarterly triangle by the engine's thin-age
    rule (an age resting on fewer than `min_link_ratios` ratios takes 1.0; medmal pays nothing in
    its first quarters, and such ages have nothing to develop from)."""
    from reserving.compute import _to_triangle
    from reserving.engine import Development, EngineError

    if frame.empty or frame.shape[1] < 2:
        return {}
    try:
        dev = Development(min_link_ratios=max(int(min_link_ratios), 1)).fit(_to_triangle(frame, "paid"))
    except EngineError:
        return {}
    return {int(a): float(f) for a, f in dev.ldf_.items()}


class _Recompute:
    """IBNR of one segment × currency of a run under a given selection: the computation of the
    runs' selection preview (reserving.services.run_selection_preview), with the run's inputs
    collected once for all the steps. Reads only; nothing is saved."""

    def __init__(self, run: ReserveRun, segment: str, currency: str):
        from reserving import compute

        self.compute, self.run, self.currency = compute, run, currency
        self.params = compute.effective_parameters(run.regime.parameters, run.parameters)
        from reserving.services import run_inputs

        # the slice the run computed from, when it stored one (else collected now)
        self.inputs = (run_inputs(run=run, key=(segment, currency)).get((segment, currency))
                       or compute.collect_inputs(valuation_date=run.valuation_date, cut_off=run.cut_off,
                                                 params=self.params, segment=segment,
                                                 currency=currency).get((segment, currency)))

    def __call__(self, selection: dict):
        c, run = self.compute, self.run
        borrowed = c.borrowed_incurred(selection=selection, valuation_date=run.valuation_date, cut_off=run.cut_off,
                                       params=self.params, currency=self.currency)
        return c.segment_outcome(inputs=self.inputs, params=self.params, selection=selection,
                                 valuation_date=run.valuation_date, borrowed_incurred=borrowed,
                                 regime_code=run.regime_code, with_bootstrap=False)


STEP_EMERGENCE = "IBNR emergence (opening run's pattern on the new data)"
STEP_THIN_AGES = "ages past the thin-age rule (now 3+ link ratios)"
STEP_PATTERN = "development pattern re-estimated on the new data"
STEP_SELECTION = "selection changes"


def roll_forward(*, opening: ReserveRun, closing: ReserveRun, segment: str, currency: str) -> list[RollForwardLine]:
    """Opening RBNS + IBNR → payments → newly reported → case development on earlier claims →
    late postings to earlier periods → IBNR emergence → ages past the thin-age rule → pattern
    re-estimated → selection changes → closing. The lines add up to the closing reserve;
    `unexplained` shows any residual (zero when the ledger rules hold).

    The IBNR change is split by re-running the closing data (nothing saved): E with the opening
    run's method, LDFs, tail and a-priori; T as E but with the closing data's own LDFs at the ages
    the thin-age rule held at 1.0 in the opening run and no longer does; P with the opening run's
    choices and the closing data's own pattern. E − opening IBNR is emergence, T − E the thin-age
    rule, P − T the re-estimated pattern, closing IBNR − P what changed selections did (zero when
    nobody changed one)."""
    if opening.valuation_date >= closing.valuation_date:
        raise ValueError("the opening run must be valued before the closing run")
    v0, v1 = opening.valuation_date, closing.valuation_date
    a, b = _result(opening, segment, currency), _result(closing, segment, currency)
    rbns0, ibnr0 = (a.rbns, a.ibnr) if a else (ZERO, ZERO)
    rbns1, ibnr1 = (b.rbns, b.ibnr) if b else (ZERO, ZERO)

    rows = ClaimTransaction.objects.filter(claim__policy__segment=segment, claim__policy__currency=currency,
                                           recorded_at__lte=closing.cut_off)
    in_period = rows.filter(accounting_date__gt=v0, accounting_date__lte=v1)
    old = in_period.filter(claim__report_date__lte=v0)
    new = in_period.filter(claim__report_date__gt=v0)
    late = rows.filter(accounting_date__lte=v0, recorded_at__gt=opening.cut_off)

    payments = _sum(in_period, "payment")
    newly_reported = _sum(new, "reserve")
    case_development = _sum(old, "reserve")
    late_postings = _sum(late, "reserve") - _sum(late, "payment")

    ibnr_e = ibnr_t = ibnr_p = ibnr1
    recompute = _Recompute(closing, segment, currency) if a is not None and b is not None else None
    if recompute is not None and recompute.inputs is not None:
        full, choices = prior_selection(a), prior_choices(a)
        try:
            ibnr_e = recompute(full).ibnr
        except EngineError as exc:
            # annual development valued in another month (ages 6, 18, … at June; 12, 24, … at
            # December): the opening's factors fit no age of the closing triangle, so emergence
            # is measured on the closing data's own pattern and the pattern line stays 0
            if exc.field != "ldfs" or "ldfs" in choices:
                raise
            full = {k: v for k, v in full.items() if k != "ldfs"}
            ibnr_e = recompute(full).ibnr
        own = recompute(choices)
        ibnr_p = own.ibnr
        ibnr_t = ibnr_e
        if "ldfs" in full and not choices.get("pattern_from"):
            # the thin-age rule's ages of the opening run that the closing data now estimates
            selected = set((choices.get("ldfs") or {}))
            before, after = _thin_ages(a), _thin_ages(b)
            own_ldf = own.factors.get("ldf") or {}
            past = {str(age) for age in before - after if str(age) not in selected and str(age) in own_ldf}
            if past:
                ldfs = {**full["ldfs"], **{age: float(own_ldf[age]) for age in past}}
                ibnr_t = recompute({**full, "ldfs": ldfs}).ibnr

    lines = [
        RollForwardLine("opening reserve (RBNS + IBNR)", rbns0 + ibnr0),
        RollForwardLine("payments in the period", -payments),
        RollForwardLine("newly reported claims", newly_reported),
        RollForwardLine("case development on earlier claims", case_development),
        RollForwardLine("late postings to earlier periods", late_postings),
        RollForwardLine(STEP_EMERGENCE, ibnr_e - ibnr0),
        RollForwardLine(STEP_THIN_AGES, ibnr_t - ibnr_e),
        RollForwardLine(STEP_PATTERN, ibnr_p - ibnr_t),
        RollForwardLine(STEP_SELECTION, ibnr1 - ibnr_p),
    ]
    explained = sum((line.amount for line in lines), ZERO)
    closing_total = rbns1 + ibnr1
    lines.append(RollForwardLine("unexplained", money_round(closing_total - explained, currency)))
    lines.append(RollForwardLine("closing reserve (RBNS + IBNR)", closing_total))
    return lines


def actual_vs_expected(*, opening: ReserveRun, closing: ReserveRun, segment: str, currency: str) -> pd.DataFrame:
    """Per accident quarter known at the opening run: actual paid and incurred emergence over the
    period against the emergence the opening run's development patterns expected."""
    a, b = _result(opening, segment, currency), _result(closing, segment, currency)
    if a is None or b is None:
        return pd.DataFrame()
    steps = Quarter.of(closing.valuation_date) - Quarter.of(opening.valuation_date)
    out = []
    tris_a = {k: decode_triangle((a.triangles or {}).get(k)) for k in ("paid", "incurred")}
    tris_b = {k: decode_triangle((b.triangles or {}).get(k)) for k in ("paid", "incurred")}
    # The expectation is quarterly: the opening run's own incurred LDFs where it reserved on
    # quarterly origins and development; otherwise (annual grain) the quarterly pattern of its
    # stored quarterly triangles by the same thin-age rule.
    minimum = (a.provenance or {}).get("min_link_ratios", 3)
    quarterly = (a.provenance or {}).get("grain", "OQDQ") == "OQDQ" and (a.factors or {}).get("basis", "incurred") == "incurred"
    inc_ldf = ({int(k): float(v) for k, v in ((a.factors or {}).get("ldf") or {}).items()} if quarterly
               else _quarterly_ldfs(tris_a["incurred"], minimum))
    paid_ldf = _quarterly_ldfs(tris_a["paid"], minimum)
    for measure, ldf in (("paid", paid_ldf), ("incurred", inc_ldf)):
        ta, tb = tris_a[measure], tris_b[measure]
        if ta.empty or tb.empty:
            continue
        for origin in ta.index:
            row_a = ta.loc[origin].dropna()
            if row_a.empty or origin not in tb.index:
                continue
            age0 = int(row_a.index[-1])
            latest0 = float(row_a.iloc[-1])
            row_b = tb.loc[origin].dropna()
            latest1 = float(row_b.iloc[-1]) if not row_b.empty else latest0
            factor = 1.0
            for k in range(steps):
                factor *= ldf.get(age0 + 3 * k, 1.0)
            expected = latest0 * (factor - 1.0)
            out.append({"measure": measure, "origin": str(origin), "age_at_opening": age0,
                        "expected": round(expected, 2), "actual": round(latest1 - latest0, 2),
                        "deviation": round(latest1 - latest0 - expected, 2)})
    frame = pd.DataFrame(out)
    if not frame.empty:
        frame["abs_deviation"] = frame["deviation"].abs()
        frame = frame.sort_values(["measure", "abs_deviation"], ascending=[True, False]).drop(columns="abs_deviation")
    return frame


def claims_behind(*, opening: ReserveRun, closing: ReserveRun, segment: str, currency: str, origin: str, limit: int = 15) -> list[dict]:
    """The claims of one accident quarter with the largest incurred movement over the period."""
    q = Quarter.parse(origin)
    qs = (ClaimTransaction.objects
          .filter(claim__policy__segment=segment, claim__policy__currency=currency,
                  claim__occurrence_date__gte=q.start, claim__occurrence_date__lte=q.end,
                  accounting_date__gt=opening.valuation_date, accounting_date__lte=closing.valuation_date,
                  recorded_at__lte=closing.cut_off)
          .values("claim_id", "claim__claim_number", "claim__status", "claim__litigated")
          .annotate(reserve=Sum("amount", filter=Q(effect_kind="reserve")),
                    paid=Sum("amount", filter=Q(effect_kind="payment")),
                    recovered=Sum("amount", filter=Q(effect_kind="recovery"))))
    rows = []
    for r in qs:
        # incurred movement = paid movement + outstanding movement = reserve changes − recoveries
        movement = (r["reserve"] or ZERO) - (r["recovered"] or ZERO)
        rows.append({"claim_id": r["claim_id"], "claim_number": r["claim__claim_number"], "status": r["claim__status"],
                     "litigated": r["claim__litigated"], "incurred_movement": movement, "paid": (r["paid"] or ZERO) - (r["recovered"] or ZERO)})
    rows.sort(key=lambda x: abs(x["incurred_movement"]), reverse=True)
    return rows[:limit]
