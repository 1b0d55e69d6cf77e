"""Policies and the premium ledger of the demo book: new insureds every year, renewals of
last year's policies, the demo tariff, mid-term endorsements (some reversed and corrected) and
cancellations with pro-rata or short-rate returns. Whole years are drawn as arrays.

Money is int64 in minor units (kopecks, rials); dates are int64 day numbers (calendar.py).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from exchange.demo import params as P
from exchange.demo.calendar import NONE_DAY, add_years, is_feb29, year_of

PROFESSION_CODES = np.array([p[0] for p in P.PROFESSIONS], dtype=object)
PROFESSION_GROUP = np.array([p[1] for p in P.PROFESSIONS], dtype=np.int64)
_IND_W = np.array([p[2] for p in P.PROFESSIONS])
_CLN_W = np.array([p[3] for p in P.PROFESSIONS])
MIDWIFE = int(np.flatnonzero(PROFESSION_CODES == "midwife")[0])

# premium ledger kinds, in the order of the exchange format
PREMIUM_KINDS = ("original", "endorsement", "cancellation", "reversal")
ORIGINAL, ENDORSEMENT, CANCELLATION, REVERSAL = range(4)


def _choice(rng, table, size):
    values = np.array([t[0] for t in table])
    weights = np.array([t[-1] for t in table], dtype=float)
    return rng.choice(len(values), size=size, p=weights / weights.sum()), values


def diyeh_rials(years) -> np.ndarray:
    """The illustrative full diyeh of a Gregorian year, in rials rounded to a million."""
    years = np.asarray(years, dtype=float)
    return (np.rint(P.DIYEH_2020_RIALS * (1 + P.DIYEH_GROWTH) ** (years - 2020) / 1e6) * 1e6).astype(np.int64)


def _new_insureds(rng, n: int, first_id: int, inception: np.ndarray) -> dict[str, np.ndarray]:
    """Attributes an insured keeps through its renewals."""
    segment = (rng.random(n) < P.CLINIC_SHARE_OF_NEW).astype(np.int64)
    currency = np.where(segment == 0, (rng.random(n) < P.IRR_SHARE_OF_INDIVIDUALS).astype(np.int64), 0)
    prof_ind = rng.choice(len(PROFESSION_CODES), size=n, p=_IND_W / _IND_W.sum())
    prof_cln = rng.choice(len(PROFESSION_CODES), size=n, p=_CLN_W / _CLN_W.sum())
    profession = np.where(segment == 0, prof_ind, prof_cln)
    resident = (segment == 0) & (rng.random(n) < P.RESIDENT_SHARE)
    own_office = (segment == 0) & (profession == MIDWIFE) & (rng.random(n) < P.MIDWIFE_OWN_OFFICE_SHARE)
    rub_limit_idx, _ = _choice(rng, P.RUB_LIMITS, n)
    cln_limit_idx, _ = _choice(rng, P.RUB_CLINIC_LIMITS, n)
    cover_share_idx, _ = _choice(rng, P.COVER_SHARES, n)
    agg_idx, _ = _choice(rng, P.AGGREGATE_MULTIPLE, n)
    cln_agg_idx, _ = _choice(rng, P.CLINIC_AGGREGATE_MULTIPLE, n)
    # deductible: 0 none, 1 amount, 2 percent, 3 both
    has_ded = rng.random(n) < P.DEDUCTIBLE_SHARE
    ded_kind = np.where(has_ded, rng.integers(1, 4, n), 0)
    ded_amount_idx = rng.integers(0, len(P.RUB_DEDUCTIBLE_AMOUNTS), n)
    ded_percent_idx = rng.integers(0, len(P.DEDUCTIBLE_PERCENTS), n)
    lo, hi = P.CLINIC_HEADCOUNT
    headcount = np.where(segment == 1, np.rint(np.exp(rng.uniform(np.log(lo), np.log(hi), n))).astype(np.int64), 1)
    prior_acts = (segment == 1) & (rng.random(n) < P.CM_PRIOR_ACTS_SHARE)
    retro_back = np.where(prior_acts, rng.integers(90, 3 * 365, n), 0)
    retro = np.where(segment == 1, inception - retro_back, NONE_DAY)
    name_a = rng.integers(0, 1 << 30, n)
    name_b = rng.integers(0, 1 << 30, n)
    return dict(
        insured_id=np.arange(first_id, first_id + n, dtype=np.int64), segment=segment, currency=currency,
        profession=profession, resident=resident, own_office=own_office, rub_limit_idx=rub_limit_idx,
        cln_limit_idx=cln_limit_idx, cover_share_idx=cover_share_idx, agg_idx=agg_idx, cln_agg_idx=cln_agg_idx,
        ded_kind=ded_kind, ded_amount_idx=ded_amount_idx, ded_percent_idx=ded_percent_idx,
        headcount=headcount, retro=retro, name_a=name_a, name_b=name_b,
    )


def _policy_year(rng, insured_id, renewal_no, inception, issue_lag_max, start):
    n = len(insured_id)
    expiry = add_years(inception, 1) - 1
    issue = np.maximum(inception - rng.integers(0, issue_lag_max + 1, n), start)
    issue = np.minimum(issue, inception)
    cancelled = rng.random(n) < P.CANCELLATION_RATE
    return dict(insured_id=insured_id, renewal_no=renewal_no, inception=inception, expiry=expiry, issue=issue,
                cancelled=cancelled)


def _concat(parts: list[dict]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def policies_generate(rng: np.random.Generator, *, policies: int, years: int, start: int, end: int):
    """`policies` is the total over the whole book (all years, renewals included).
    Returns (policies DataFrame, insureds DataFrame, premium ledger DataFrame)."""
    year_starts = add_years(np.full(years + 1, start), np.arange(years + 1))
    rate = float(np.mean(P.RENEWAL_RATE)) * (1 - P.CANCELLATION_RATE)
    expected_per_new = sum(sum(rate**k for k in range(y + 1)) for y in range(years))
    new_per_year = policies / expected_per_new

    insured_parts, year_parts = [], []
    prev = None
    made, next_insured = 0, 0
    for y in range(years):
        y0, y1 = int(year_starts[y]), min(int(year_starts[y + 1]) - 1, end)
        renew = None
        if prev is not None:
            seg = np.concatenate([p["segment"] for p in insured_parts])[prev["insured_id"]]
            keep = ~prev["cancelled"] & (rng.random(len(seg)) < np.asarray(P.RENEWAL_RATE)[seg])
            idx = np.flatnonzero(keep)
            inc = prev["expiry"][idx] + 1
            idx = idx[inc <= end]
            if made + len(idx) > policies:
                idx = np.sort(rng.choice(idx, size=policies - made, replace=False))
            renew = _policy_year(rng, prev["insured_id"][idx], prev["renewal_no"][idx] + 1,
                                 prev["expiry"][idx] + 1, 30, start)
            made += len(idx)
        if y == years - 1:
            n_new = policies - made
        else:
            n_new = min(int(round(new_per_year)), policies - made)
        n_new = max(n_new, 0)
        inception = y0 + np.floor(rng.random(n_new) * (y1 - y0 + 1)).astype(np.int64)
        inception = inception + is_feb29(inception)  # keep anniversaries on real days
        inception = np.minimum(inception, end)
        insured_parts.append(_new_insureds(rng, n_new, next_insured, inception))
        next_insured += n_new
        new = _policy_year(rng, np.arange(next_insured - n_new, next_insured, dtype=np.int64),
                           np.zeros(n_new, dtype=np.int64), inception, 20, start)
        made += n_new
        prev = new if renew is None else _concat([renew, new])
        year_parts.append(prev)

    insureds = pd.DataFrame(_concat(insured_parts))
    pol = _concat(year_parts)
    frame = pd.DataFrame(pol)
    ins = insureds.iloc[frame["insured_id"].to_numpy()].reset_index(drop=True)
    for col in ins.columns:
        if col != "insured_id":
            frame[col] = ins[col].to_numpy()
    frame = _terms(rng, frame)
    frame, premium = _premium_ledger(rng, frame, end)
    return frame, insureds, premium


def _terms(rng, f: pd.DataFrame) -> pd.DataFrame:
    """Limits, deductibles, the demo tariff's premium and commission."""
    seg, cur = f["segment"].to_numpy(), f["currency"].to_numpy()
    ind_rub, ind_irr, clinic = (seg == 0) & (cur == 0), (seg == 0) & (cur == 1), seg == 1
    rub_limits = np.array([t[0] for t in P.RUB_LIMITS], dtype=np.int64) * 100
    cln_limits = np.array([t[0] for t in P.RUB_CLINIC_LIMITS], dtype=np.int64) * 100
    shares = np.array([t[0] for t in P.COVER_SHARES])
    share_factor = np.array([t[1] for t in P.COVER_SHARES])
    diyeh = diyeh_rials(year_of(f["inception"].to_numpy()))
    share = shares[f["cover_share_idx"].to_numpy()]
    limit = np.where(ind_rub, rub_limits[f["rub_limit_idx"].to_numpy()], 0)
    limit = np.where(clinic, cln_limits[f["cln_limit_idx"].to_numpy()], limit)
    limit = np.where(ind_irr, (np.rint(diyeh * share / 1e6) * 1e6).astype(np.int64), limit)
    agg_mult = np.where(clinic, np.array([t[0] for t in P.CLINIC_AGGREGATE_MULTIPLE])[f["cln_agg_idx"].to_numpy()],
                        np.array([t[0] for t in P.AGGREGATE_MULTIPLE])[f["agg_idx"].to_numpy()])
    f["limit_per_claim"] = limit
    f["aggregate_limit"] = limit * agg_mult
    # severity scale: RUB 1m; IRR a share of the year's diyeh (courts award shares of it)
    f["reference"] = np.where(cur == 1, np.rint(diyeh * P.IRR_REFERENCE_OF_DIYEH).astype(np.int64), 100_000_000)

    ded_kind = f["ded_kind"].to_numpy()
    rub_ded = np.array(P.RUB_DEDUCTIBLE_AMOUNTS, dtype=np.int64)[f["ded_amount_idx"].to_numpy()] * 100
    irr_ded = (np.rint(limit * P.IRR_DEDUCTIBLE_OF_LIMIT / 1e5) * 1e5).astype(np.int64)
    f["deductible_amount"] = np.where((ded_kind == 1) | (ded_kind == 3), np.where(cur == 1, irr_ded, rub_ded), -1)
    f["deductible_percent"] = np.where(ded_kind >= 2, np.array(P.DEDUCTIBLE_PERCENTS)[f["ded_percent_idx"].to_numpy()],
                                       -1)

    group = PROFESSION_GROUP[f["profession"].to_numpy()]
    f["risk_group"] = group
    base = np.array([0.0] + [P.RATE_PER_MILLE[g] for g in (1, 2, 3, 4)])[group]
    base = np.where(f["own_office"].to_numpy(), P.MIDWIFE_OWN_OFFICE_RATE, base)
    rate = base * np.where(f["resident"].to_numpy(), P.RESIDENT_FACTOR, 1.0)
    rate = rate * np.where(ind_irr, share_factor[f["cover_share_idx"].to_numpy()], 1.0)
    rate = rate * np.where(ded_kind > 0, P.DEDUCTIBLE_FACTOR, 1.0)
    rate = rate * np.where(clinic, P.CLINIC_RATE_FACTOR, 1.0)
    heads = f["headcount"].to_numpy()
    bounds = np.array([b for b, _ in P.GROUP_DISCOUNT])
    discount = np.array([d for _, d in P.GROUP_DISCOUNT])[np.searchsorted(bounds, heads, side="right")]
    gross = rate / 1000.0 * limit * heads * (1 - discount) * P.TARIFF_SCALE
    f["gross_premium"] = np.rint(gross).astype(np.int64)
    comm_rate = np.where(clinic, P.COMMISSION_RATE[("clinic_claims_made", "RUB")],
                         np.where(cur == 1, P.COMMISSION_RATE[("individual_occurrence", "IRR")],
                                  P.COMMISSION_RATE[("individual_occurrence", "RUB")]))
    f["commission_rate"] = comm_rate
    f["commission"] = np.rint(f["gross_premium"].to_numpy() * comm_rate).astype(np.int64)
    return f


def _premium_ledger(rng, f: pd.DataFrame, end: int):
    """Endorsements (additional premium from their effective date), some reversed and posted
    again corrected, and cancellations returning the unexpired premium (pro rata; short-rate
    ones keep part of it). Returns the policies with their cover end and the full ledger
    (originals included, every row even if accounted after the end date)."""
    n = len(f)
    inception, expiry, issue = (f[c].to_numpy() for c in ("inception", "expiry", "issue"))
    days = expiry - inception + 1
    gross, comm_rate = f["gross_premium"].to_numpy(), f["commission_rate"].to_numpy()
    cancelled = f["cancelled"].to_numpy()

    endorsed = rng.random(n) < P.ENDORSEMENT_RATE
    e_eff = inception + 15 + np.floor(rng.random(n) * (days - 60)).astype(np.int64)
    e_annual = gross * rng.uniform(0.05, 0.30, n)
    e_gross = np.rint(e_annual * (expiry - e_eff + 1) / days).astype(np.int64)
    e_acct = np.maximum(issue, e_eff - rng.integers(0, 16, n))
    e_reversed = endorsed & (rng.random(n) < P.ENDORSEMENT_REVERSED_RATE)
    v_acct = e_acct + rng.integers(1, 31, n)
    e_final = np.where(e_reversed, np.rint(e_gross * rng.uniform(0.5, 0.9, n)).astype(np.int64), e_gross)

    # a cancellation takes effect after any endorsement, at least a month into the cover
    c_from = np.where(endorsed, e_eff + 10, inception + 30)
    c_eff = c_from + np.floor(rng.random(n) * np.maximum(expiry - c_from - 5, 1)).astype(np.int64)
    c_eff = np.minimum(c_eff, expiry)
    back = expiry - c_eff + 1
    pro_rata = gross * back / days + np.where(endorsed, e_final * back / (expiry - e_eff + 1), 0.0)
    short_rate = rng.random(n) < P.SHORT_RATE_SHARE
    c_gross = -np.rint(pro_rata * np.where(short_rate, 1 - P.SHORT_RATE_KEEP, 1.0)).astype(np.int64)
    c_acct = np.maximum(c_eff + rng.integers(-30, 16, n), issue)
    c_acct = np.where(endorsed, np.maximum(c_acct, np.where(e_reversed, v_acct, e_acct)), c_acct)
    f["cover_end"] = np.where(cancelled, c_eff - 1, expiry)
    f["short_rate"] = cancelled & short_rate

    idx = np.arange(n)
    rows = [
        pd.DataFrame(dict(policy=idx, kind=ORIGINAL, suffix="P1", acct=issue, eff=inception, gross=gross,
                          reverses="")),
    ]
    e = np.flatnonzero(endorsed)
    rows.append(pd.DataFrame(dict(policy=e, kind=ENDORSEMENT, suffix="E1", acct=e_acct[e], eff=e_eff[e],
                                  gross=e_gross[e], reverses="")))
    r = np.flatnonzero(e_reversed)
    rows.append(pd.DataFrame(dict(policy=r, kind=REVERSAL, suffix="V1", acct=v_acct[r], eff=e_eff[r],
                                  gross=-e_gross[r], reverses="E1")))
    rows.append(pd.DataFrame(dict(policy=r, kind=ENDORSEMENT, suffix="E2", acct=v_acct[r], eff=e_eff[r],
                                  gross=e_final[r], reverses="")))
    c = np.flatnonzero(cancelled)
    rows.append(pd.DataFrame(dict(policy=c, kind=CANCELLATION, suffix="C1", acct=c_acct[c], eff=c_eff[c],
                                  gross=c_gross[c], reverses="")))
    ledger = pd.concat(rows, ignore_index=True)
    pol = ledger["policy"].to_numpy()
    ledger["commission"] = np.rint(ledger["gross"].to_numpy() * comm_rate[pol]).astype(np.int64)
    # a reversal carries exactly the negated commission of the row it reverses
    is_rev = ledger["kind"].to_numpy() == REVERSAL
    ledger.loc[is_rev, "commission"] = -np.rint(e_gross[pol[is_rev]] * comm_rate[pol[is_rev]]).astype(np.int64)
    ledger["expiry"] = expiry[pol]
    # same-day rows of a policy in booking order: original, endorsement, its reversal, the
    # corrected endorsement, the cancellation
    order = ledger["suffix"].map({"P1": 0, "E1": 1, "V1": 2, "E2": 3, "C1": 4}).to_numpy()
    ledger["order"] = order
    ledger = ledger.sort_values(["acct", "policy", "order"], kind="stable").reset_index(drop=True)
    return f, ledger
