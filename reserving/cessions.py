"""The reinsurers' share of a run's reserves (issue 17 §2–3), derived from the ledgers and the
treaties, never typed in.

Reading (here, where the layers allow reserving to read claims and policies): per claim its
policy's underwriting year (the year of inception, as at T) and origin quarter, and its ledger
per cost type and quarter (`claim_ledger`, two reads on the run's as-at views, whose sums are
also the run's gross cells, counts and RBNS); per underwriting year the premium written and the
UPR of the quota-share segments — from the run's one premium read, shared with the earned
premium (reserving.selectors.premium_rows_shared), or one read per quota-share segment. The treaty terms
(reinsurance.rules) are applied to every claim at once in integer cents (numpy), to the cent
what the rules' Decimal functions give a claim one by one (issue 15: the per-claim loop was
5.5 s of a 14 s quarter end at 100,000 policies). What this
collects per segment × currency is a plain dict (`SegmentInputs.cession`, part of the run's
stored inputs and of its fingerprint); `ceded_outcome` turns it and the gross result into the
ceded figures, with no further read.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

import numpy as np
import pandas as pd

from claims.models import ClaimTransaction
from core.money import MINOR_UNITS, money_round
from core.periods import Quarter
from reinsurance import rules as ri
from reinsurance.selectors import treaties_as_rows
from reserving import engine as E
from reserving.sql import CASE_EFFECT, PAID_EFFECT, Dialect, Scope, claim_as_of, fetch, policy_as_of, timestamp_param

HUNDRED = Decimal(100)
ZERO = Decimal(0)
RATIO = Decimal("0.000001")
CEDED_KEYS = ("upr", "rbns", "ibnr", "ulae", "premium_deficiency")
NO_TREATY, QUOTA_SHARE, EXCESS_OF_LOSS = 0, 1, 2


def _origin_column(origin_basis: str) -> str:
    # the same rule as reserving.selectors' origin column (kept in step with it: the ceded
    # origins must be the gross triangle's)
    if origin_basis == "report":
        return "hc.report_date"
    if origin_basis == "cover":
        return "CASE WHEN hp.basis = 'claims_made' THEN hc.report_date ELSE hc.occurrence_date END"
    return "hc.occurrence_date"


@dataclass(frozen=True)
class ClaimLedger:
    """The claim ledger in a run's scope, by claim: `claims`, one row per claim reported by V
    (`claim`, `segment`, `currency`, `year` of its policy's inception, origin quarter `oq` and
    report quarter `rq` as indices); `ledger`, per claim, cost type `cost` and accounting quarter
    `aq` its `paid` and `case` change in integer cents (the ledger's amounts have two decimals).
    The cessions need every claim's own figures; the run's gross cells, counts and RBNS are sums
    of the same rows (reserving.compute), so a book with treaties reads its claims once."""

    claims: pd.DataFrame
    ledger: pd.DataFrame
    origin_basis: str


def claim_ledger(*, scope: Scope, origin_basis: str) -> ClaimLedger:
    """Two reads: the claims' attributes once each, not on every ledger row of a GROUP BY (a third
    of its time at 100,000 policies), and the ledger summed per claim × cost type × quarter."""
    d = Dialect()
    hp_sql, hp_params = policy_as_of(scope, ["segment", "currency", "basis", "inception_date"], claimed=True)
    hc_sql, hc_params = claim_as_of(scope, ["policy_id", "occurrence_date", "report_date", "status"])
    seg_sql, seg_params = scope.segment_filter()
    v = scope.valuation_date.isoformat()
    in_scope = (f" FROM ({hc_sql}) hc JOIN ({hp_sql}) hp ON hp.id = hc.policy_id"
                f" WHERE hc.report_date <= {d.date_param()}{seg_sql}")
    scope_params = [*hc_params, *hp_params, v, *seg_params]
    claims = pd.DataFrame(fetch(
        f"SELECT hc.id, hp.segment, hp.currency, {d.quarter_index('hp.inception_date')},"
        f" {d.quarter_index(_origin_column(origin_basis))}, {d.quarter_index('hc.report_date')}{in_scope}",
        scope_params), columns=["claim", "segment", "currency", "year", "oq", "rq"])
    # integers from the database: a Decimal object per sum cost more than the sums
    cents = (lambda e: f"CAST(SUM({d.cents(e)}) AS BIGINT)") if d.pg else (lambda e: f"SUM({d.cents(e)})")
    aq = d.quarter_index("t.accounting_date")
    ledger = pd.DataFrame(fetch(
        f"SELECT t.claim_id, t.cost_type, {aq}, {cents(PAID_EFFECT)}, {cents(CASE_EFFECT)}"
        f" FROM {ClaimTransaction._meta.db_table} t"
        f" WHERE t.accounting_date <= {d.date_param()} AND t.recorded_at <= %s AND t.amount IS NOT NULL"
        f" AND t.claim_id IN (SELECT hc.id{in_scope})"
        f" GROUP BY t.claim_id, t.cost_type, {aq}",
        [v, timestamp_param(scope.cut_off), *scope_params]), columns=["claim", "cost", "aq", "paid", "case"])
    for frame, cols in ((claims, ("claim", "year", "oq", "rq")), (ledger, ("claim", "aq", "paid", "case"))):
        for c in cols:
            frame[c] = frame[c].astype("int64")
    claims["year"] = claims["year"] // 4  # the inception quarter's year
    return ClaimLedger(claims=claims.sort_values("claim").reset_index(drop=True), ledger=ledger,
                       origin_basis=origin_basis)


def has_treaties() -> bool:
    """Whether any treaty exists: a book without one reads no claim by claim (its cessions are
    empty), so the run takes its gross sums from the selectors."""
    return bool(treaties_as_rows())


def _claim_paths(claims: pd.DataFrame, ledger: pd.DataFrame) -> pd.DataFrame:
    """Per claim and quarter end index `step` where its paid or case changed, from the later of
    its origin and report quarter on, the cumulative `paid` and `case` in cents — the case never
    below zero per cost type (as RBNS) — sorted by claim and step."""
    start = claims.set_index("claim")[["oq", "rq"]].max(axis=1)
    df = ledger.assign(step=np.maximum(ledger["aq"].to_numpy(), start.loc[ledger["claim"].to_numpy()].to_numpy()))
    by_cost = df.groupby(["claim", "cost", "step"], sort=True)[["paid", "case"]].sum()
    clipped = by_cost["case"].groupby(level=[0, 1]).cumsum().clip(lower=0)
    # each cost type's floored case as changes, so that the claim's case at a step is their sum
    by_cost["case"] = clipped - clipped.groupby(level=[0, 1]).shift(1, fill_value=0)
    path = by_cost.groupby(level=["claim", "step"], sort=True).sum()
    return path.groupby(level="claim").cumsum().reset_index()


def _half_up(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den rounded half away from zero (Decimal's ROUND_HALF_UP), den > 0, in integers."""
    mag = (2 * np.abs(num) + den) // (2 * den)
    return np.where(num < 0, -mag, mag)


def _terms(claims: pd.DataFrame, treaties: list[dict]) -> pd.DataFrame:
    """Per claim the terms of its treaty in force (reinsurance.rules.treaty_in_force): kind,
    the quota share as a fraction qn/qd, retention and limit in cents, and the cents in one
    minor unit of its currency."""
    out = []
    for seg, cur, year in claims[["segment", "currency", "year"]].drop_duplicates().itertuples(index=False):
        t = ri.treaty_in_force(treaties, segment=seg, underwriting_year=int(year), currency=cur)
        places = MINOR_UNITS[cur]
        if places > 2:  # the ledger's cents cannot hold a finer unit
            raise ValueError(f"{cur} has {places} decimals: the cessions are computed in cents")
        row = {"segment": seg, "currency": cur, "year": year, "kind": NO_TREATY, "qn": 0, "qd": 1, "retention": 0,
               "limit": 0, "unit": 10 ** (2 - places)}
        if t is not None and t["kind"] == "quota_share":
            qn, qd = ri.quota_share(t).as_integer_ratio()
            row.update(kind=QUOTA_SHARE, qn=qn, qd=qd)
        elif t is not None:
            row.update(kind=EXCESS_OF_LOSS, retention=int(Decimal(str(t["retention"])) * HUNDRED),
                       limit=int(Decimal(str(t["limit"])) * HUNDRED))
        out.append(row)
    cols = ["kind", "qn", "qd", "retention", "limit", "unit"]
    terms = pd.DataFrame(out, columns=["segment", "currency", "year", *cols])
    return claims.merge(terms, on=["segment", "currency", "year"], how="left")[["claim", *cols]]


def _cede(path: pd.DataFrame, terms: pd.DataFrame) -> pd.DataFrame:
    """path with the ceded paid `cp` and case `cc` (cents) at every step: reinsurance.rules.
    claim_cession for every claim at once — a quota share rounds each side once to the minor
    unit, half up; an excess of loss cedes the layer of the incurred, of it the layer of the paid
    as paid — in exact integers (int64, or Python integers where a product could overflow)."""
    t = terms.set_index("claim").loc[path["claim"].to_numpy()]
    paid, case = path["paid"].to_numpy(), path["case"].to_numpy()
    kind, unit = t["kind"].to_numpy(), t["unit"].to_numpy()
    qn, qd = t["qn"].to_numpy(), t["qd"].to_numpy()
    r, lim = t["retention"].to_numpy(), t["limit"].to_numpy()
    big = max(int(np.abs(paid).max(initial=0)), int(np.abs(case).max(initial=0)))
    if 4 * big * max(int(qn.max(initial=1)), 1) >= 2 ** 62:  # exact, if slower, beyond int64
        paid, case, qn, qd, unit, r, lim = (a.astype(object) for a in (paid, case, qn, qd, unit, r, lim))
    qs = kind == QUOTA_SHARE
    xl = kind == EXCESS_OF_LOSS
    cp = np.zeros(len(path), dtype=paid.dtype)
    cc = np.zeros(len(path), dtype=paid.dtype)
    if qs.any():
        cp[qs] = _half_up(paid[qs] * qn[qs], qd[qs] * unit[qs]) * unit[qs]
        cc[qs] = _half_up(case[qs] * qn[qs], qd[qs] * unit[qs]) * unit[qs]
    if xl.any():
        width = lim[xl] - r[xl]
        layer_incurred = np.minimum(np.maximum(paid[xl] + case[xl] - r[xl], 0), width)
        layer_paid = np.minimum(np.maximum(paid[xl] - r[xl], 0), width)
        cp[xl] = _half_up(layer_paid, unit[xl]) * unit[xl]
        cc[xl] = _half_up(layer_incurred - layer_paid, unit[xl]) * unit[xl]
    return path.assign(cp=cp, cc=cc, treaty=kind != NO_TREATY)


def _at(ceded: pd.DataFrame, claims: pd.DataFrame, q: int) -> pd.DataFrame:
    """Per claim (claims' order) paid, case, cp, cc at quarter end q: its last step on or
    before q, zero before its first."""
    last = ceded[ceded["step"] <= q].drop_duplicates("claim", keep="last").set_index("claim")
    cols = ["paid", "case", "cp", "cc"]
    return last[cols].reindex(claims["claim"].to_numpy(), fill_value=0).reset_index(drop=True)


def _label(q: int) -> str:
    return Quarter(q // 4, q % 4 + 1).label


def _ceded_triangles(increments: pd.DataFrame, v_idx: int) -> dict:
    """Cumulative ceded paid and case by origin quarter × age in months (the gross triangles'
    shape, reserving.compute._frame_json), from their increments in cents by origin `oq` and
    quarter end `step` (float of the exact amount, to 2 places)."""
    if increments.empty:
        return {}
    first = int(increments["oq"].min())
    n = v_idx - first + 1
    out = {}
    for name in ("cp", "cc"):
        grid = [[0] * n for _ in range(n)]
        for o, q, x in zip(increments["oq"].tolist(), increments["step"].tolist(), increments[name].tolist()):
            grid[o - first][q - o] += x
        values = []
        for r, row in enumerate(grid):
            acc, cum = 0, []
            for a, x in enumerate(row):
                acc += x
                cum.append(None if r + a > n - 1 else round(acc / 100, 2))
            values.append(cum)
        out["paid" if name == "cp" else "case"] = {
            "origins": [_label(first + r) for r in range(n)], "ages": [3 * (a + 1) for a in range(n)],
            "values": values}
    return out


def quota_share_segments() -> list[str]:
    """The segments under a quota share (of any year or currency): those whose premium rows the
    cessions read (`premium`, reserving.selectors.premium_rows_shared)."""
    return sorted({t["segment"] for t in treaties_as_rows() if t["kind"] == "quota_share"})


def _premium_by_year(scope: Scope, params: dict, segment: str,
                     premium: pd.DataFrame | None = None) -> dict[str, dict[int, tuple[float, float]]]:
    """Per currency, underwriting year → (gross premium accounted by V, UPR at V by the run's
    method and base) of the scope's `segment`: one read of its premium rows for all currencies
    (each policy's UPR is its own rows', so a currency's sums are those of a read of it alone),
    or its rows of the run's shared premium read `premium` (which holds each of its policies
    whole, in the same order: the same rows, so the same figures)."""
    from reserving.selectors import premium_rows  # the premium rows in the engine's column contract

    if premium is None:
        rows = premium_rows(scope=replace(scope, segment=segment, currency=None))
    else:
        rows = premium[(premium["segment"] == segment).to_numpy()].reset_index(drop=True)
    if rows.empty:
        return {}
    rows["uw_year"] = rows["inception_date"].dt.year
    upr = E.upr_by(rows, scope.valuation_date, ["currency", "uw_year"], method=params["upr_method"],
                   base=params["premium_base"], pre_inception_gross=params["pre_inception_gross"])
    written = rows.groupby(["currency", "uw_year"])["gross_premium"].sum()
    out: dict[str, dict[int, tuple[float, float]]] = {}
    for (cur, y), w in written.items():
        out.setdefault(cur, {})[int(y)] = (float(w), float(upr.get((cur, y), 0.0)))
    return {cur: dict(sorted(years.items())) for cur, years in out.items()}


def _cents(x, currency: str) -> str:
    return str(money_round(Decimal(int(x)) / HUNDRED, currency))


def collect_cessions(*, scope: Scope, params: dict, keys: set[tuple[str, str]],
                     ledger: ClaimLedger | None = None, premium: pd.DataFrame | None = None
                     ) -> dict[tuple[str, str], dict]:
    """The cession inputs of each segment × currency of `keys`: its treaties, per underwriting
    year and origin quarter the gross and ceded figures at V, the triangles of the ceded paid
    and case, and the incurred of the last 12 months (V's quarter end and the three before it)
    gross and ceded, for k. A segment without a treaty gets its 12-month
    incurred only (k's denominator is the whole book's); a book without treaties gets nothing
    (its inputs and fingerprints stay as before, and k is 1). `ledger`: the run's claim_ledger,
    when it has read it already; `premium`, the run's shared premium read (premium_rows_shared)
    of at least the quota-share segments of `keys`, when it has read it."""
    treaties = treaties_as_rows()
    if not treaties:
        return {}
    vq = Quarter.of(scope.valuation_date)
    v_idx = vq.year * 4 + vq.q - 1
    if ledger is None or ledger.origin_basis != params["origin_basis"]:
        ledger = claim_ledger(scope=scope, origin_basis=params["origin_basis"])
    claims, rows = ledger.claims, ledger.ledger
    # the claims with a ledger row by V, of the segments asked for
    claims = claims[claims["claim"].isin(rows["claim"])]
    if len(claims):
        claims = claims[pd.MultiIndex.from_frame(claims[["segment", "currency"]]).isin(list(keys))]
    claims = claims.reset_index(drop=True)
    path = _claim_paths(claims, rows[rows["claim"].isin(claims["claim"])])
    ceded = _cede(path, _terms(claims, treaties))
    now, before = _at(ceded, claims, v_idx), _at(ceded, claims, v_idx - 4)
    per_claim = claims[["segment", "currency", "oq"]].assign(
        gross=now["paid"] + now["case"], ceded=now["cp"] + now["cc"], cp=now["cp"], cc=now["cc"],
        gross_12m=(now["paid"] + now["case"]) - (before["paid"] + before["case"]),
        ceded_12m=(now["cp"] + now["cc"]) - (before["cp"] + before["cc"]))
    sums = ["gross", "ceded", "cp", "cc", "gross_12m", "ceded_12m"]
    by_origin = per_claim.groupby(["segment", "currency", "oq"], sort=True)[sums].sum().reset_index()
    by_key = per_claim.groupby(["segment", "currency"], sort=True)[sums].sum()
    # the ceded triangles: the change of each covered claim's cession at each quarter end it changed
    covered = ceded[ceded["treaty"].to_numpy()]
    first = covered["claim"].ne(covered["claim"].shift()).to_numpy()
    steps = covered.assign(cp=covered["cp"] - np.where(first, 0, covered["cp"].shift(fill_value=0)),
                           cc=covered["cc"] - np.where(first, 0, covered["cc"].shift(fill_value=0)))
    steps = steps.join(claims.set_index("claim")[["segment", "currency", "oq"]], on="claim")
    increments = steps.groupby(["segment", "currency", "oq", "step"], sort=True)[["cp", "cc"]].sum().reset_index()
    # one premium read per quota-share segment, for all its currencies (none given the run's)
    by_year = {seg: _premium_by_year(scope, params, seg, premium) for seg in sorted({s for s, _ in keys})
               if any(t["segment"] == seg and t["kind"] == "quota_share" for t in treaties)}
    out: dict[tuple[str, str], dict] = {}
    for seg, cur in sorted(keys):
        mine = [t for t in treaties if t["segment"] == seg and (t["kind"] == "quota_share" or t["currency"] == cur)]
        total = by_key.loc[(seg, cur)] if (seg, cur) in by_key.index else pd.Series(0, index=sums)
        if not mine:
            out[(seg, cur)] = {"treaties": [], "incurred_12m": _cents(total["gross_12m"], cur),
                               "ceded_incurred_12m": str(money_round(0, cur))}
            continue
        doc = {"treaties": sorted(t["code"] for t in mine), "years": {}, "origins": {},
               "paid": ZERO, "case": ZERO, "incurred_12m": ZERO, "ceded_incurred_12m": ZERO}
        if any(t["kind"] == "quota_share" for t in mine):
            for year, (written, upr) in by_year[seg].get(cur, {}).items():
                t = ri.treaty_in_force(mine, segment=seg, underwriting_year=year, currency=cur)
                q = ri.quota_share(t)
                if q:
                    cc_pct = Decimal(str(t["ceding_commission_percent"] or 0)) / HUNDRED
                    premium = Decimal(str(written)) * q
                    doc["years"][str(year)] = {"quota_share": str(q.normalize()),
                                               "premium": str(money_round(premium, cur)),
                                               "ceding_commission": str(money_round(premium * cc_pct, cur)),
                                               "upr": str(money_round(Decimal(str(upr)) * q, cur))}
        # the share of IBNR of an origin where nothing is reported: the quota share of the
        # origin year's treaty, or for an excess of loss the segment's ceded-to-gross ratio
        doc["quota_shares"] = {str(t["underwriting_year"]): str(ri.quota_share(t).normalize()) for t in mine
                               if t["kind"] == "quota_share"}
        doc["excess_of_loss_years"] = sorted(str(t["underwriting_year"]) for t in mine if t["kind"] == "excess_of_loss")
        mine_origins = by_origin[(by_origin["segment"] == seg) & (by_origin["currency"] == cur)]
        doc["origins"] = {_label(int(o.oq)): [_cents(o.gross, cur), _cents(o.ceded, cur), _cents(o.cp, cur),
                                               _cents(o.cc, cur)] for o in mine_origins.itertuples()}
        doc["triangles"] = _ceded_triangles(
            increments[(increments["segment"] == seg) & (increments["currency"] == cur)], v_idx)
        doc["paid"], doc["case"] = _cents(total["cp"], cur), _cents(total["cc"], cur)
        doc["incurred_12m"] = _cents(total["gross_12m"], cur)
        doc["ceded_incurred_12m"] = _cents(total["ceded_12m"], cur)
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
      when nothing is reported). The sum is bounded to [0, gross IBNR] (to [gross, 0] for a
      negative gross): a reinsurer cannot take more than the whole nor less than nothing.
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
    # the reinsurers' share lies between nothing and the whole gross amount: origins of negative
    # IBNR ceded at a higher ratio than the positive ones could push it outside (net above gross
    # once the segment's floor held the gross at 0); bounded, with the amount before kept (D-62)
    unbounded, ibnr = ibnr, min(max(ibnr, min(zero, outcome.ibnr)), max(zero, outcome.ibnr))
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
    if unbounded != ibnr:
        detail["ibnr_unbounded"] = str(unbounded)
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
