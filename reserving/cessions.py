"""The reinsurers' share of a run's reserves (issue 17 §2–3), derived from the ledgers and the
treaties, never typed in.

Reading (here, where the layers allow reserving to read claims and policies): per claim its paid
and case reserve at V and twelve months before, with its policy's underwriting year (the year of
inception, as at T) and origin quarter; per underwriting year the premium written and the UPR of
the quota-share segments. The rules of what the reinsurer takes are reinsurance.rules' pure
functions. What this collects per segment × currency is a plain dict (`SegmentInputs.cession`,
part of the run's stored inputs and of its fingerprint); `ceded_outcome` turns it and the gross
result into the ceded figures, with no further read.
"""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from claims.models import ClaimTransaction
from core.money import money_round
from core.periods import Quarter
from reinsurance import rules as ri
from reinsurance.selectors import treaties_as_rows
from reserving import engine as E
from reserving.sql import CASE_EFFECT, PAID_EFFECT, Dialect, Scope, claim_as_of, fetch, policy_as_of, timestamp_param

HUNDRED = Decimal(100)
ZERO = Decimal(0)
RATIO = Decimal("0.000001")
CEDED_KEYS = ("upr", "rbns", "ibnr", "ulae", "premium_deficiency")


def _origin_column(origin_basis: str) -> str:
    # the same rule as reserving.selectors' origin column (kept in step with it: the ceded
    # origins must be the gross triangle's)
    if origin_basis == "report":
        return "hc.report_date"
    if origin_basis == "cover":
        return "CASE WHEN hp.basis = 'claims_made' THEN hc.report_date ELSE hc.occurrence_date END"
    return "hc.occurrence_date"


def _claim_rows(scope: Scope, origin_basis: str) -> list[tuple]:
    """Per claim, cost type and accounting quarter: segment, currency, underwriting year (as a
    quarter index), origin quarter, report quarter, claim id, cost type, accounting quarter,
    paid and case change (cents). One GROUP BY in the database."""
    d = Dialect()
    hp_sql, hp_params = policy_as_of(scope, ["segment", "currency", "basis", "inception_date"])
    hc_sql, hc_params = claim_as_of(scope, ["policy_id", "occurrence_date", "report_date", "status"])
    seg_sql, seg_params = scope.segment_filter()
    year = d.quarter_index("hp.inception_date")
    oq = d.quarter_index(_origin_column(origin_basis))
    rq = d.quarter_index("hc.report_date")
    aq = d.quarter_index("t.accounting_date")
    sql = (
        f"SELECT hp.segment, hp.currency, {year} AS uy, {oq} AS oq, {rq} AS rq, t.claim_id, t.cost_type, {aq} AS aq,"
        f" SUM({d.cents(PAID_EFFECT)}), SUM({d.cents(CASE_EFFECT)})"
        f" FROM {ClaimTransaction._meta.db_table} t"
        f" JOIN ({hc_sql}) hc ON hc.id = t.claim_id JOIN ({hp_sql}) hp ON hp.id = hc.policy_id"
        f" WHERE t.accounting_date <= {d.date_param()} AND t.recorded_at <= %s"
        f" AND hc.report_date <= {d.date_param()} AND t.amount IS NOT NULL{seg_sql}"
        f" GROUP BY hp.segment, hp.currency, {year}, {oq}, {rq}, t.claim_id, t.cost_type, {aq}"
    )
    v = scope.valuation_date.isoformat()
    return fetch(sql, [*hc_params, *hp_params, v, timestamp_param(scope.cut_off), v, *seg_params])


def _claims(scope: Scope, origin_basis: str) -> dict[tuple[str, str], list[dict]]:
    """Per segment × currency, one dict per claim: underwriting year, origin quarter (index),
    and its path: [(quarter end index, paid, case)] at each quarter end where either changed,
    from the later of its origin and report quarter on (Decimal, cumulative; the case never
    below zero per cost type, as RBNS)."""
    cells: dict = {}
    for seg, cur, uy, oq, rq, claim_id, cost, aq, paid, case in _claim_rows(scope, origin_basis):
        c = cells.setdefault((seg, cur, claim_id), {"year": int(uy) // 4, "oq": int(oq), "rq": int(rq), "cells": []})
        c["cells"].append((int(aq), cost, int(paid), int(case)))
    out: dict[tuple[str, str], list[dict]] = {}
    for (seg, cur, _claim_id), c in sorted(cells.items()):
        start = max(c["oq"], c["rq"])
        paid, case, path = 0, {}, []
        by_q: dict[int, list] = {}
        for aq, cost, p, k in c["cells"]:
            by_q.setdefault(max(aq, start), []).append((cost, p, k))
        for q in sorted(by_q):
            for cost, p, k in by_q[q]:
                paid += p
                case[cost] = case.get(cost, 0) + k
            path.append((q, Decimal(paid) / HUNDRED, Decimal(sum(max(x, 0) for x in case.values())) / HUNDRED))
        out.setdefault((seg, cur), []).append({"year": c["year"], "oq": c["oq"], "path": path})
    return out


def _at(path: list, q: int) -> tuple[Decimal, Decimal]:
    """(paid, case) of a claim's path at quarter end q (zero before its first step)."""
    paid = case = ZERO
    for step, p, k in path:
        if step > q:
            break
        paid, case = p, k
    return paid, case


def _label(q: int) -> str:
    return Quarter(q // 4, q % 4 + 1).label


def _ceded_triangles(increments: dict, v_idx: int) -> dict:
    """Cumulative ceded paid and case by origin quarter × age in months (the gross triangles'
    shape, reserving.compute._frame_json), from their increments by (origin, quarter end)."""
    if not increments:
        return {}
    first = min(o for o, _ in increments)
    n = v_idx - first + 1
    out = {}
    for i, name in enumerate(("paid", "case")):
        grid = [[ZERO] * n for _ in range(n)]
        for (o, q), inc in increments.items():
            grid[o - first][q - o] += inc[i]
        values = []
        for r, row in enumerate(grid):
            acc, cum = ZERO, []
            for a, x in enumerate(row):
                acc += x
                cum.append(None if r + a > n - 1 else round(float(acc), 2))
            values.append(cum)
        out[name] = {"origins": [_label(first + r) for r in range(n)], "ages": [3 * (a + 1) for a in range(n)],
                     "values": values}
    return out


def _premium_by_year(scope: Scope, params: dict) -> dict[int, tuple[float, float]]:
    """Underwriting year → (gross premium accounted by V, UPR at V by the run's method and base)
    of the scope's segment × currency."""
    from reserving.selectors import premium_rows  # the premium rows in the engine's column contract

    rows = premium_rows(scope=scope)
    if rows.empty:
        return {}
    rows["uw_year"] = rows["inception_date"].dt.year
    upr = E.upr_by(rows, scope.valuation_date, ["uw_year"], method=params["upr_method"], base=params["premium_base"],
                   pre_inception_gross=params["pre_inception_gross"])
    written = rows.groupby("uw_year")["gross_premium"].sum()
    return {int(y): (float(written.get(y, 0.0)), float(upr.get(y, 0.0))) for y in sorted(set(written.index))}


def collect_cessions(*, scope: Scope, params: dict, keys: set[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    """The cession inputs of each segment × currency of `keys`: its treaties, per underwriting
    year and origin quarter the gross and ceded figures at V, the triangles of the ceded paid
    and case, and the incurred of the last 12 months (V's quarter end and the three before it)
    gross and ceded, for k. A segment without a treaty gets its 12-month
    incurred only (k's denominator is the whole book's); a book without treaties gets nothing
    (its inputs and fingerprints stay as before, and k is 1)."""
    treaties = treaties_as_rows()
    if not treaties:
        return {}
    claims = _claims(scope, params["origin_basis"])
    vq = Quarter.of(scope.valuation_date)
    v_idx = vq.year * 4 + vq.q - 1
    out: dict[tuple[str, str], dict] = {}
    for seg, cur in sorted(keys):
        mine = [t for t in treaties if t["segment"] == seg and (t["kind"] == "quota_share" or t["currency"] == cur)]
        doc = {"treaties": sorted(t["code"] for t in mine), "years": {}, "origins": {},
               "paid": ZERO, "case": ZERO, "incurred_12m": ZERO, "ceded_incurred_12m": ZERO}
        increments: dict = {}
        for c in claims.get((seg, cur), []):
            t = ri.treaty_in_force(mine, segment=seg, underwriting_year=c["year"], currency=cur)
            paid, case = _at(c["path"], v_idx)
            paid0, case0 = _at(c["path"], v_idx - 4)
            cp, cc = ri.claim_cession(t, paid=paid, case=case, currency=cur)
            cp0, cc0 = ri.claim_cession(t, paid=paid0, case=case0, currency=cur)
            o = doc["origins"].setdefault(_label(c["oq"]), [ZERO, ZERO, ZERO, ZERO])  # gross inc, ceded inc, paid, case
            o[0] += paid + case
            o[1] += cp + cc
            o[2] += cp
            o[3] += cc
            doc["paid"] += cp
            doc["case"] += cc
            doc["incurred_12m"] += (paid + case) - (paid0 + case0)
            doc["ceded_incurred_12m"] += (cp + cc) - (cp0 + cc0)
            if t is not None:  # the ceded triangles: the cession at each quarter end the claim changed
                before = (ZERO, ZERO)
                for q, p, k in c["path"]:
                    now = ri.claim_cession(t, paid=p, case=k, currency=cur)
                    inc = increments.setdefault((c["oq"], q), [ZERO, ZERO])
                    inc[0] += now[0] - before[0]
                    inc[1] += now[1] - before[1]
                    before = now
        if not mine:
            out[(seg, cur)] = {"treaties": [], "incurred_12m": str(money_round(doc["incurred_12m"], cur)),
                               "ceded_incurred_12m": str(money_round(0, cur))}
            continue
        if any(t["kind"] == "quota_share" for t in mine):
            for year, (written, upr) in _premium_by_year(replace(scope, segment=seg, currency=cur), params).items():
                t = ri.treaty_in_force(mine, segment=seg, underwriting_year=year, currency=cur)
                q = ri.quota_share(t)
                if q:
                    cc_pct = Decimal(str(t["ceding_commission_percent"] or 0)) / HUNDRED
                    ceded = Decimal(str(written)) * q
                    doc["years"][str(year)] = {"quota_share": str(q.normalize()), "premium": str(money_round(ceded, cur)),
                                               "ceding_commission": str(money_round(ceded * cc_pct, cur)),
                                               "upr": str(money_round(Decimal(str(upr)) * q, cur))}
        # the share of IBNR of an origin where nothing is reported: the quota share of the
        # origin year's treaty, or for an excess of loss the segment's ceded-to-gross ratio
        doc["quota_shares"] = {str(t["underwriting_year"]): str(ri.quota_share(t).normalize()) for t in mine
                               if t["kind"] == "quota_share"}
        doc["excess_of_loss_years"] = sorted(str(t["underwriting_year"]) for t in mine if t["kind"] == "excess_of_loss")
        doc["origins"] = {k: [str(money_round(x, cur)) for x in v] for k, v in sorted(doc["origins"].items())}
        doc["triangles"] = _ceded_triangles(increments, v_idx)
        for k in ("paid", "case", "incurred_12m", "ceded_incurred_12m"):
            doc[k] = str(money_round(doc[k], cur))
        out[(seg, cur)] = doc
    return out


# --------------------------------------------------------------------------- the ceded result
def _origin_quarters(label: str) -> callable:
    """Which origin quarters an outcome's origin covers: itself (2024Q3) or its year (2024)."""
    if len(label) == 4:
        return lambda q: q[:4] == label
    return lambda q: q == label


def ceded_outcome(*, cession: dict | None, outcome, valuation_year: int) -> dict:
    """The reinsurers' share of one segment's gross outcome (`compute.SegmentOutcome`), as
    Decimal: upr, rbns, ibnr, ulae, premium_deficiency, and the detail a run stores beside them
    (per origin ceded paid, case, IBNR; ceded premium and commission; the 12-month incurred).

    * UPR: Σ over underwriting years of the quota share × the year's UPR (same method and base
      as the gross UPR).
    * RBNS: Σ of the claims' ceded case reserves (reinsurance.rules.claim_cession).
    * IBNR per origin: the gross IBNR × ceded over gross reported incurred of the origin (for a
      quota share that is its percentage; for an excess of loss the share its layer took of
      what was reported); an origin with nothing reported takes the quota share of its year's
      treaty, or under an excess of loss of its year the segment's ceded-to-gross ratio of all
      it reported (late reports are as large as the early ones; nothing where no treaty). IBNR not attributed to an origin (the floor, or no claim reported yet) takes the
      segment's ratio (ceded over gross reported incurred; the valuation year's quota share
      when nothing is reported).
    * ULAE: none (the insurer's own unallocated claims-handling cost; the treaties here
      reimburse claims, not the cedent's overheads). The key is there so that net = gross − 0.
    * Premium deficiency: in the proportion of ceded to gross UPR.
    """
    cur = outcome.currency
    zero = money_round(0, cur)
    if not cession or not cession.get("treaties"):
        detail = {k: cession[k] for k in ("incurred_12m", "ceded_incurred_12m")} if cession else {}
        return {**{k: zero for k in CEDED_KEYS}, "detail": detail}
    years = cession.get("years", {})
    upr = money_round(sum((Decimal(y["upr"]) for y in years.values()), ZERO), cur)
    rbns = money_round(Decimal(cession["case"]), cur)
    origins = {q: [Decimal(x) for x in v] for q, v in cession.get("origins", {}).items()}
    shares = cession.get("quota_shares", {})
    xl_years = set(cession.get("excess_of_loss_years", []))
    gross_all = sum((v[0] for v in origins.values()), ZERO)
    ceded_all = sum((v[1] for v in origins.values()), ZERO)
    reported_ratio = ri.ceded_ratio(ceded_all, gross_all)

    def year_share(year: str) -> Decimal:
        if year in shares:
            return Decimal(shares[year])
        return reported_ratio if year in xl_years else ZERO

    # ratios kept to 6 places, as stored: the detail reproduces every ceded amount
    segment_ratio = ri.ceded_ratio(ceded_all, gross_all, year_share(str(valuation_year))).quantize(RATIO)
    per_origin, ibnr, attributed = {}, ZERO, ZERO
    for o in outcome.origins:
        inside = _origin_quarters(o.origin)
        rows = [v for q, v in origins.items() if inside(q)]
        ratio = ri.ceded_ratio(sum((v[1] for v in rows), ZERO), sum((v[0] for v in rows), ZERO),
                               year_share(o.origin[:4])).quantize(RATIO)
        ceded = money_round(o.ibnr * ratio, cur)
        per_origin[o.origin] = {"ratio": str(ratio), "ibnr": str(ceded),
                                "paid": str(money_round(sum((v[2] for v in rows), ZERO), cur)),
                                "case": str(money_round(sum((v[3] for v in rows), ZERO), cur))}
        ibnr += ceded
        attributed += o.ibnr
    ibnr = money_round(ibnr + (outcome.ibnr - attributed) * segment_ratio, cur)
    ulae = zero  # the insurer's own claims-handling cost: no treaty here reimburses it
    deficiency = (money_round(outcome.premium_deficiency * ri.ceded_ratio(upr, outcome.upr), cur)
                  if outcome.premium_deficiency and outcome.upr else zero)
    detail = {
        "treaties": cession.get("treaties", []), "origins": per_origin, "years": years,
        "paid": cession["paid"], "case": cession["case"], "ibnr_ratio": str(segment_ratio),
        "premium": str(money_round(sum((Decimal(y["premium"]) for y in years.values()), ZERO), cur)),
        "ceding_commission": str(money_round(sum((Decimal(y["ceding_commission"]) for y in years.values()), ZERO), cur)),
        "incurred_12m": cession["incurred_12m"], "ceded_incurred_12m": cession["ceded_incurred_12m"],
        "triangles": cession.get("triangles", {}),
    }
    return {"upr": upr, "rbns": rbns, "ibnr": ibnr, "ulae": ulae, "premium_deficiency": deficiency, "detail": detail}


# --------------------------------------------------------------------------- reading a run's result
def ceded_and_net(result) -> dict:
    """`{"ceded": {...}, "net": {...}}` of a stored RunSegmentResult, money as decimal strings;
    net = gross − ceded to the cent (the `reserve_run --json` objects)."""
    ceded = {k: getattr(result, f"ceded_{k}") for k in CEDED_KEYS}
    return {"ceded": {k: str(v) for k, v in ceded.items()},
            "net": {k: str(getattr(result, k) - ceded[k]) for k in CEDED_KEYS}}


def retention_k(results) -> Decimal | None:
    """k over the last 12 months of the given segment results (one currency): net over gross
    incurred claims, at least 0.5 (reinsurance.rules.retention_coefficient); None when the run
    stored no 12-month incurred (no claims, or a book without treaties: k is then 1 by nature,
    or what the capital entry says)."""
    gross = sum((Decimal((r.cession or {}).get("incurred_12m", "0")) for r in results), ZERO)
    ceded = sum((Decimal((r.cession or {}).get("ceded_incurred_12m", "0")) for r in results), ZERO)
    return ri.retention_coefficient(gross_incurred=gross, ceded_incurred=ceded)
