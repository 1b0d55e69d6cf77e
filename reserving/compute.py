"""Glue between the selectors' aggregates and the pure engine: the canonical inputs of a run
(and their sha256 fingerprint), and one segment × currency as inputs → engine → rounding.

Every reserving rule (grain, fallbacks, the thin-age rule, the method per origin, the a-priori,
the floor, ULAE, premium deficiency, the bootstrap) is the engine's (`reserving.engine.reserve`,
`Regime`); this module only shapes the aggregates into triangles and rounds what comes back.
No model writes here: services store what this returns. Amounts leave as Decimal, rounded once
with core.money.money_round; the engine works in float64.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from core.money import money_round
from core.periods import Quarter
from reserving import engine as E
from reserving import cessions, selectors
from reserving.engine.reserve import Selection, bootstrap_paid, deficiency_loss_ratio, grain_for, segment_reserve
from reserving.engine.rules import Regime, stored_defaults

# The regime defaults live in the engine (reserving/engine/rules.py); `ru` carries them all.
DEFAULT_PARAMETERS: dict = dict(E.regime_defaults("ru").parameters)


def engine_version() -> str:
    """A digest of the engine's source and of this glue, the SQL selectors and the SQL pieces they
    share (reserving/sql.py), and the cession rules: a changed formula anywhere on the way from
    the ledger to a result changes the version."""
    root = Path(E.__file__).resolve().parent
    h = hashlib.sha256()
    from reinsurance import rules as reinsurance_rules

    for path in [*sorted(root.glob("*.py")), Path(__file__).resolve(), Path(selectors.__file__).resolve(),
                 Path(selectors.__file__).resolve().with_name("sql.py"),
                 Path(cessions.__file__).resolve(), Path(reinsurance_rules.__file__).resolve()]:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return "engine-" + h.hexdigest()[:12]


def effective_parameters(regime_parameters: dict, overrides: dict | None) -> dict:
    """The run's parameters: the regime version's, over the defaults (a key the version was
    stored without keeps its version-1 meaning), under the run's own overrides."""
    return {**stored_defaults(regime_parameters, DEFAULT_PARAMETERS), **(regime_parameters or {}), **(overrides or {})}


# --------------------------------------------------------------------------- inputs
@dataclass
class SegmentInputs:
    """Everything the computation of one segment × currency reads, already aggregated."""

    segment: str
    currency: str
    cells: pd.DataFrame            # oq, aq, paid, case_change (cents)
    counts: pd.DataFrame           # oq, rq, count
    upr: Decimal
    rbns: Decimal
    earned: dict = field(default_factory=dict)       # quarter label → earned premium (float)
    recent_premium: Decimal = Decimal(0)             # base premium of the last fallback_quarters
    apriori: dict = field(default_factory=dict)      # underwriting year → (loss ratio, source) kept at T
    closures: pd.DataFrame | None = None             # oq, aq, closed (net of reopenings)
    # quarter label → GROSS earned premium, for the loss-ratio dashboard (issue 15 §5); stored
    # beside the inputs, not in them: the computation never reads it, and fingerprints stay
    earned_gross: dict = field(default_factory=dict)
    # the reinsurers' share's inputs (reserving.cessions.collect_cessions): treaties, ceded
    # figures per underwriting year and origin; empty for a book without treaties
    cession: dict = field(default_factory=dict)

    def canonical(self) -> dict:
        return {
            "segment": self.segment, "currency": self.currency,
            "cells": [[int(r.oq), int(r.aq), int(r.paid), int(r.case_change)] for r in self.cells.itertuples()],
            "counts": [[int(r.oq), int(r.rq), int(r.count)] for r in self.counts.itertuples()],
            "upr": str(self.upr), "rbns": str(self.rbns),
            "earned": {k: f"{v:.2f}" for k, v in sorted(self.earned.items())},
            "recent_premium": str(self.recent_premium),
            **({"apriori": {str(y): [f"{r:.4f}", src] for y, (r, src) in sorted(self.apriori.items())}}
               if self.apriori else {}),
            **({"closures": [[int(r.oq), int(r.aq), int(r.closed)] for r in self.closures.itertuples()]}
               if self.closures is not None and len(self.closures) else {}),
            **({"cession": self.cession} if self.cession else {}),
        }


def inputs_from_canonical(doc: dict) -> SegmentInputs:
    """The inverse of `SegmentInputs.canonical()`: the slice a run stored for one segment."""
    cur = doc["currency"]
    cells = pd.DataFrame(doc["cells"], columns=["oq", "aq", "paid", "case_change"], dtype="int64")
    counts = pd.DataFrame(doc["counts"], columns=["oq", "rq", "count"], dtype="int64")
    closures = pd.DataFrame(doc.get("closures", []), columns=["oq", "aq", "closed"], dtype="int64")
    return SegmentInputs(
        segment=doc["segment"], currency=cur, cells=cells, counts=counts,
        upr=money_round(Decimal(doc["upr"]), cur), rbns=money_round(Decimal(doc["rbns"]), cur),
        earned={q: float(v) for q, v in doc["earned"].items()},
        recent_premium=money_round(Decimal(doc["recent_premium"]), cur),
        apriori={int(y): (float(r), src) for y, (r, src) in doc.get("apriori", {}).items()},
        closures=closures, cession=doc.get("cession", {}))


def _first_quarter(valuation_date: date, params: dict) -> Quarter:
    return Quarter.of(valuation_date) - (int(params["history_quarters"]) - 1)


def collect_inputs(*, valuation_date: date, cut_off: datetime, params: dict, segment: str | None = None,
                   currency: str | None = None) -> dict[tuple[str, str], SegmentInputs]:
    """Aggregated inputs per segment × currency (all of them, or the one asked for): a handful of
    GROUP BY queries, whatever the size of the book."""
    scope = selectors.Scope(valuation_date=valuation_date, cut_off=cut_off, segment=segment, currency=currency)
    # the as-at master data once for every read below (only the segment's slice when asked for one)
    with selectors.as_of_views(scope) as viewed:
        return _collect(viewed, valuation_date, cut_off, params)


def _claim_aggregates(ledger: cessions.ClaimLedger) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The gross cells, counts and RBNS from the cessions' claim read, in the selectors' shapes
    (claim_ledger_cells, claim_count_cells, rbns_by_segment): the same ledger rows summed, in
    integer cents, so to the cent what those three reads of the ledger return."""
    claims, rows = ledger.claims, ledger.ledger
    on = claims.set_index("claim")[["segment", "currency", "oq"]]
    rows = rows.join(on, on="claim")
    cells = (rows.groupby(["segment", "currency", "oq", "aq"], sort=True)[["paid", "case"]].sum().reset_index()
             .rename(columns={"case": "case_change"}))
    counts = claims.groupby(["segment", "currency", "oq", "rq"], sort=True).size().rename("count").reset_index()
    # the outstanding never below zero per claim and cost type, as rbns_by_segment
    outstanding = rows.groupby(["segment", "currency", "claim", "cost"], sort=True)["case"].sum().clip(lower=0)
    rbns = {(seg, cur): money_round(Decimal(int(v)) / 100, cur)
            for (seg, cur), v in outstanding.groupby(level=["segment", "currency"], sort=True).sum().items()}
    return (cells.astype({c: "int64" for c in ("oq", "aq", "paid", "case_change")}),
            counts.astype({c: "int64" for c in ("oq", "rq", "count")}), rbns)


def _collect(scope, valuation_date: date, cut_off: datetime, params: dict) -> dict[tuple[str, str], SegmentInputs]:
    basis = params["origin_basis"]
    # a book with treaties reads every claim's ledger for the cessions: the gross cells, counts
    # and RBNS are its sums (three passes over the ledger fewer); without, the selectors' sums
    ledger = cessions.claim_ledger(scope=scope, origin_basis=basis) if cessions.has_treaties() else None
    if ledger is not None:
        cells, counts, rbns = _claim_aggregates(ledger)
    else:
        cells = selectors.claim_ledger_cells(scope=scope, origin_basis=basis)
        counts = selectors.claim_count_cells(scope=scope, origin_basis=basis)
        rbns = selectors.rbns_by_segment(scope=scope)
    closures = selectors.claim_closure_cells(scope=scope, origin_basis=basis)
    base = params["premium_base"]
    # one premium read for the earned premium's complex policies and the quota-share segments'
    # ceded UPR (and a month method's UPR: every row), when there are any (each read its own
    # before: issue 15)
    shared = cessions.quota_share_segments() if ledger is not None else []
    if params["upr_method"] == "pro_rata":
        upr = selectors.upr_by_segment(scope=scope, premium_base=base, pre_inception_gross=params["pre_inception_gross"])
        premium = selectors.premium_rows_shared(scope=scope, segments=shared) if shared else None
    else:
        premium = selectors.premium_rows(scope=scope)
        upr = _upr_by_engine(scope, params, premium)
    earned = selectors.earned_premium_by_quarter(scope=scope, first=_first_quarter(valuation_date, params), premium_base=base,
                                                 with_gross=True, rows=premium)
    since = (Quarter.of(valuation_date) - int(params["fallback_quarters"])).end
    recent = selectors.written_base_premium(scope=scope, since=since, premium_base=base)
    keys = set(upr) | set(rbns) | set(map(tuple, cells[["segment", "currency"]].drop_duplicates().to_numpy()))
    keys |= set(map(tuple, counts[["segment", "currency"]].drop_duplicates().to_numpy()))
    ceded = cessions.collect_cessions(scope=scope, params=params, keys=keys, ledger=ledger, premium=premium)
    out = {}
    for seg, cur in sorted(keys):
        c = cells[(cells.segment == seg) & (cells.currency == cur)][["oq", "aq", "paid", "case_change"]].reset_index(drop=True)
        k = counts[(counts.segment == seg) & (counts.currency == cur)][["oq", "rq", "count"]].reset_index(drop=True)
        e = earned[(earned.segment == seg) & (earned.currency == cur)]
        z = closures[(closures.segment == seg) & (closures.currency == cur)][["oq", "aq", "closed"]].reset_index(drop=True)
        out[(seg, cur)] = SegmentInputs(
            segment=seg, currency=cur, cells=c, counts=k,
            upr=upr.get((seg, cur), money_round(0, cur)), rbns=rbns.get((seg, cur), money_round(0, cur)),
            earned={q: float(v) for q, v in zip(e.quarter, e.earned) if round(float(v), 2) != 0},
            earned_gross={q: float(v) for q, v in zip(e.quarter, e.earned_gross) if round(float(v), 2) != 0},
            recent_premium=recent.get((seg, cur), money_round(0, cur)),
            apriori=selectors.apriori_loss_ratios(segment=seg, currency=cur, cut_off=cut_off),
            closures=z, cession=ceded.get((seg, cur), {}),
        )
    return out


def _upr_by_engine(scope, params, rows: pd.DataFrame | None = None) -> dict:
    """The month methods (1/24, 1/8) through the engine's reference implementation, over the
    scope's premium rows (`rows`, when the run has read them)."""
    rows = selectors.premium_rows(scope=scope) if rows is None else rows
    if rows.empty:
        return {}
    by = E.upr_by(rows, scope.valuation_date, ["segment", "currency"], method=params["upr_method"],
                      base=params["premium_base"], pre_inception_gross=params["pre_inception_gross"])
    return {k: money_round(float(v), k[1]) for k, v in by.items()}


def canonical_json(*, inputs: dict[tuple[str, str], SegmentInputs], valuation_date: date, cut_off: datetime,
                   regime_code: str, regime_version: int, parameters: dict, selections: dict) -> str:
    doc = {
        "valuation_date": valuation_date.isoformat(),
        "regime": [regime_code, regime_version],
        "parameters": {k: parameters[k] for k in sorted(parameters) if not k.startswith("_")},
        "selections": selections or {},
        "segments": [inputs[k].canonical() for k in sorted(inputs)],
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str)


def fingerprint(**kw) -> str:
    return hashlib.sha256(canonical_json(**kw).encode()).hexdigest()


# --------------------------------------------------------------------------- computation
@dataclass
class OriginOutcome:
    origin: str
    paid: Decimal
    case: Decimal
    ultimate: Decimal
    ibnr: Decimal
    mack_se: Decimal | None
    method: str = ""
    ultimates: dict = field(default_factory=dict)   # method → Decimal string
    maturity: float | None = None
    apriori: float | None = None
    flags: list = field(default_factory=list)


@dataclass
class SegmentOutcome:
    segment: str
    currency: str
    upr: Decimal
    rbns: Decimal
    ibnr: Decimal
    ulae: Decimal
    premium_deficiency: Decimal
    ibnr_method: str
    earned_premium: Decimal
    paid: Decimal
    case: Decimal
    origins: list[OriginOutcome]
    triangles: dict
    factors: dict
    selections: dict
    bootstrap: dict
    provenance: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    # the reinsurers' share (reserving.cessions.ceded_outcome); net = gross − ceded
    ceded_upr: Decimal = Decimal(0)
    ceded_rbns: Decimal = Decimal(0)
    ceded_ibnr: Decimal = Decimal(0)
    ceded_ulae: Decimal = Decimal(0)
    ceded_premium_deficiency: Decimal = Decimal(0)
    cession: dict = field(default_factory=dict)


def _frame_json(df: pd.DataFrame) -> dict:
    if df is None or df.empty:
        return {"origins": [], "ages": [], "values": []}
    vals = [[None if not np.isfinite(x) else round(float(x), 2) for x in row] for row in df.to_numpy()]
    return {"origins": [str(o) for o in df.index], "ages": [int(a) for a in df.columns], "values": vals}


def _to_triangle(df: pd.DataFrame, measure: str) -> E.Triangle:
    return E.Triangle.from_array(df.to_numpy(), origins=list(df.index), ages=list(df.columns), measure=measure,
                                 allow_negative=True, allow_decrease=True, origin_months=3)


def _finite(x) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def segment_outcome(*, inputs: SegmentInputs, params: dict, selection: dict | None, valuation_date: date,
                    borrowed_incurred: pd.DataFrame | None = None, seed: int | None = None,
                    regime_code: str = "ru", with_bootstrap: bool = True) -> SegmentOutcome:
    """One segment × currency: the quarterly triangles from the cells, the engine's IBNR per
    origin (`engine.reserve.segment_reserve`), ULAE and premium deficiency by the regime, the
    bootstrap of the paid reserve on the grain used (not for a preview or a roll-forward step,
    which show no distribution: `with_bootstrap=False`), all rounded once."""
    cur = inputs.currency
    regime = Regime.from_parameters(regime_code, params)
    sel = Selection.parse(selection)
    frames = selectors.triangles_from_cells(inputs.cells, inputs.counts, valuation_date, closures=inputs.closures)
    vq = Quarter.of(valuation_date).label
    earned_total = sum(inputs.earned.values())
    triangles = {"paid": _frame_json(frames["paid"]), "incurred": _frame_json(frames["incurred"]),
                 "case": _frame_json(frames["case"]), "count": _frame_json(frames["count"]),
                 "earned_premium": {k: round(v, 2) for k, v in sorted(inputs.earned.items())}}
    rbns = float(inputs.rbns)
    if frames["incurred"].empty:  # no claim reported yet: the a-priori on the earned premium
        apriori = sel.apriori or float(regime["expected_loss_ratio"])
        ibnr_total, origins, reserve = apriori * earned_total, [], None
        ibnr_method, factors, provenance = "elr", {}, {"method": "elr", "grain": None,
                                                       "apriori_source": "no claim reported: the regime's expected_loss_ratio"
                                                       if sel.apriori is None else "selected"}
        notes = ["no claim reported: IBNR = a-priori loss ratio × earned premium"]
        bootstrap = {"status": "not computed", "reason": "no claims"}
        loss_ratio = apriori
    else:
        paid, incurred = _to_triangle(frames["paid"], "paid"), _to_triangle(frames["incurred"], "incurred")
        counts = _to_triangle(frames["count"], "reported_count")
        closed = _to_triangle(frames["closed"], "closed_count") if "closed" in frames else None
        borrowed = None if borrowed_incurred is None else _to_triangle(borrowed_incurred, "incurred")
        reserve = segment_reserve(paid=paid, incurred=incurred, reported=counts, earned=inputs.earned, regime=regime,
                                  selection=sel, kept_apriori=inputs.apriori, borrowed=borrowed,
                                  recent_premium=float(inputs.recent_premium), valuation_quarter=vq, closed=closed)
        ibnr_total, ibnr_method = reserve.ibnr, reserve.method
        factors, provenance, notes = reserve.factors, reserve.provenance, list(reserve.notes)
        origins = [OriginOutcome(
            origin=str(o), paid=money_round(float(r.paid), cur), case=money_round(float(r.case), cur),
            ultimate=money_round(float(r.ultimate), cur), ibnr=money_round(float(r.ibnr), cur),
            mack_se=None if _finite(r.mack_se) is None else money_round(float(r.mack_se), cur),
            method=str(r.method), ultimates={m: str(money_round(u, cur)) for m, u in r.ultimates.items()},
            maturity=_finite(r.maturity), apriori=_finite(r.apriori), flags=list(r.flags))
            for o, r in zip(reserve.table.index, reserve.table.itertuples())]
        loss_ratio = deficiency_loss_ratio(reserve, inputs.earned, vq, float(regime["expected_loss_ratio"]))
        grain_paid = paid if reserve.grain == "OQDQ" else paid.grain(reserve.grain)
        bootstrap = (bootstrap_paid(grain_paid, n_sims=int(regime["bootstrap_sims"]),
                                    seed=seed if seed is not None else int(regime["bootstrap_seed"]))
                     if with_bootstrap else {"status": "not computed", "reason": "a preview: computed on save"})
    ulae = float(regime.ulae(ibnr=ibnr_total, rbns=rbns))
    deficiency = float(regime.premium_deficiency(upr=float(inputs.upr), expected_loss_ratio=loss_ratio))
    provenance = {**provenance, "engine": engine_version(), "regime": regime_code,
                  "loss_ratio_for_deficiency": round(loss_ratio, 6)}
    used = {**sel.as_dict(), "method": ibnr_method, "notes": notes}
    outcome = SegmentOutcome(
        segment=inputs.segment, currency=cur, upr=inputs.upr, rbns=inputs.rbns,
        ibnr=money_round(ibnr_total, cur), ulae=money_round(ulae, cur),
        premium_deficiency=money_round(deficiency, cur), ibnr_method=ibnr_method,
        earned_premium=money_round(earned_total, cur),
        paid=money_round(float(reserve.table["paid"].sum()) if reserve is not None else 0.0, cur),
        case=money_round(float(reserve.table["case"].sum()) if reserve is not None else 0.0, cur),
        origins=origins, triangles=triangles, factors=factors, selections=used, bootstrap=bootstrap,
        provenance=provenance, notes=notes)
    # the reinsurers' share after the gross result, from the stored cession inputs (no read)
    ceded = cessions.ceded_outcome(cession=inputs.cession, outcome=outcome, valuation_year=valuation_date.year)
    for k in cessions.CEDED_KEYS:
        setattr(outcome, f"ceded_{k}", ceded[k])
    outcome.cession = ceded["detail"]
    return outcome


def history_backtest(*, inputs: SegmentInputs, params: dict, regime_code: str, valuation_date: date,
                     selection: dict | None = None, cuts=(1, 2, 3)) -> pd.DataFrame:
    """The back-test of every method and the default rule on the segment's own history
    (`engine.backtest.emergence_backtest`), at the grain the run reserves it on: the triangle as
    at each of the last `cuts` diagonals, its projections against what emerged since."""
    from reserving.engine.backtest import emergence_backtest
    from reserving.engine.reserve import RULES, earned_by_origin

    regime = Regime.from_parameters(regime_code, params)
    frames = selectors.triangles_from_cells(inputs.cells, inputs.counts, valuation_date)
    if frames["incurred"].empty:
        raise E.ParameterError("the segment has no reported claims to back-test", field="segment")
    paid, incurred = _to_triangle(frames["paid"], "paid"), _to_triangle(frames["incurred"], "incurred")
    grain, _ = grain_for(Selection.parse(selection), regime, _to_triangle(frames["count"], "reported_count"))
    if grain != "OQDQ":
        paid, incurred = paid.grain(grain), incurred.grain(grain)
    return emergence_backtest(paid=paid, incurred=incurred, exposure=earned_by_origin(inputs.earned, paid),
                              cuts=cuts, rule=RULES[regime["default_rule"]],
                              development={"min_link_ratios": regime["min_link_ratios"]})


def grain_decisions(*, inputs: dict[tuple[str, str], SegmentInputs], params: dict, regime_code: str,
                    selections: dict, valuation_date: date) -> list[dict]:
    """The grain each segment × currency will be reserved on and why (the run's data-check note)."""
    regime = Regime.from_parameters(regime_code, params)
    out = []
    for (seg, cur), inp in sorted(inputs.items()):
        frames = selectors.triangles_from_cells(inp.cells, inp.counts, valuation_date)
        if frames["count"].empty:
            continue
        sel = Selection.parse((selections or {}).get(f"{seg}|{cur}"))
        grain, why = grain_for(sel, regime, _to_triangle(frames["count"], "reported_count"))
        out.append({"segment": seg, "currency": cur, "grain": grain, "reason": why})
    return out


def borrowed_incurred(*, selection: dict, valuation_date: date, cut_off: datetime, params: dict, currency: str,
                      run_inputs: dict[tuple[str, str], SegmentInputs] | None = None) -> pd.DataFrame | None:
    """The quarterly incurred triangle whose pattern a selection borrows: another segment
    ("segment|CUR") or all segments of the same currency pooled ("pooled"), from the run's
    stored inputs when given, else collected now."""
    source = (selection or {}).get("pattern_from")
    if not source:
        return None
    if source == "pooled":
        inputs = ({k: v for k, v in run_inputs.items() if k[1] == currency} if run_inputs is not None else
                  collect_inputs(valuation_date=valuation_date, cut_off=cut_off, params=params, currency=currency))
    else:
        seg, _, cur = source.partition("|")
        key = (seg, cur or currency)
        inputs = ({k: v for k, v in run_inputs.items() if k == key} if run_inputs is not None else
                  collect_inputs(valuation_date=valuation_date, cut_off=cut_off, params=params, segment=seg,
                                 currency=cur or currency))
    cells = [i.cells for i in inputs.values()]
    counts = [i.counts for i in inputs.values()]
    if not cells or all(c.empty for c in cells):
        return None
    cells_all = pd.concat(cells).groupby(["oq", "aq"], as_index=False)[["paid", "case_change"]].sum()
    counts_all = pd.concat(counts).groupby(["oq", "rq"], as_index=False)["count"].sum()
    return selectors.triangles_from_cells(cells_all, counts_all, valuation_date)["incurred"]
