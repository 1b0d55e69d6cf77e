"""The set-based cession read (reserving.cessions.collect_cessions: two SQL reads, the treaty
terms applied to every claim at once in integer cents) against a straightforward per-claim
reference written here: the ORM's ledger rows walked claim by claim in Decimal, each claim's
cession by reinsurance.rules.claim_cession, the premium per segment × currency by the engine
(issue 15). A book of five treaties in three currencies — quota shares of 33.3333% and 30%, an
excess of loss each in RUB, IRR (no minor unit) and USD (cents in retention and limit) — with
the cases that move a cent: half-cent ties, a recovery, a case released below zero in one cost
type, a row accounted before the report, a claim too large for int64 products, a claim without
a treaty, rows after V and a claim reported after V."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from django.utils import timezone

from claims.models import Claim, ClaimTransaction
from core.money import money_round
from core.periods import Quarter
from policies.models import Insured, Policy, PremiumTransaction
from reinsurance import rules as ri
from reinsurance.models import Treaty
from reinsurance.selectors import treaties_as_rows
from reserving import cessions, compute, selectors
from reserving import engine as E

pytestmark = pytest.mark.django_db
D = Decimal
V = date(2025, 12, 31)
IND, CLN = "individual_occurrence", "clinic_claims_made"


def make_treaty_book() -> None:
    rec = timezone.now() - timedelta(days=1)
    Treaty.objects.create(code="QS-IND-2024", kind="quota_share", segment=IND, underwriting_year=2024,
                          ceded_percent=D("33.3333"), ceding_commission_percent=D("20"))
    Treaty.objects.create(code="QS-IND-2025", kind="quota_share", segment=IND, underwriting_year=2025,
                          ceded_percent=D("30"), ceding_commission_percent=D("25"))
    Treaty.objects.create(code="XL-CLN-2025-RUB", kind="excess_of_loss", segment=CLN, underwriting_year=2025,
                          currency="RUB", retention=D("1000000"), limit=D("5000000"))
    Treaty.objects.create(code="XL-CLN-2025-IRR", kind="excess_of_loss", segment=CLN, underwriting_year=2025,
                          currency="IRR", retention=D("500000000"), limit=D("2000000000"))
    Treaty.objects.create(code="XL-CLN-2024-USD", kind="excess_of_loss", segment=CLN, underwriting_year=2024,
                          currency="USD", retention=D("100000.50"), limit=D("250000.25"))
    insured = Insured.objects.create(name="parity-book")
    prem, ctx = [], []

    def policy(number, segment, currency, inception, gross, basis="occurrence"):
        expiry = inception.replace(year=inception.year + 1) - timedelta(days=1)
        p = Policy.objects.create(policy_number=number, insured=insured, profession="surgeon", segment=segment,
                                  basis=basis, retro_date=date(2020, 1, 1) if basis == "claims_made" else None,
                                  currency=currency, inception_date=inception, expiry_date=expiry,
                                  issue_date=inception)
        prem.append(PremiumTransaction(transaction_id=f"{number}-P1", policy=p, kind="original", effect_kind="original",
                                       accounting_date=inception, effective_date=inception,
                                       gross_premium=D(gross), commission=D(0), recorded_at=rec))
        return p

    def claim(number, pol, occurred, reported, rows):
        c = Claim.objects.create(claim_number=number, policy=pol, occurrence_date=occurred, report_date=reported)
        for i, (kind, amount, when, *cost) in enumerate(rows, 1):
            ctx.append(ClaimTransaction(transaction_id=f"{number}-T{i}", claim=c, kind=kind, effect_kind=kind,
                                        cost_type=cost[0] if cost else "indemnity", amount=D(amount),
                                        accounting_date=when, recorded_at=rec))

    a24 = policy("A24", IND, "RUB", date(2024, 4, 1), "120000.05")
    a25 = policy("A25", IND, "RUB", date(2025, 10, 1), "365000.00")
    a23 = policy("A23", IND, "RUB", date(2023, 6, 1), "50000.00")        # 2023: no treaty
    i25 = policy("I25", IND, "IRR", date(2025, 2, 1), "730000000")
    i24 = policy("I24", IND, "IRR", date(2024, 3, 1), "900000000")
    c25 = policy("C25", CLN, "RUB", date(2025, 1, 1), "500000", basis="claims_made")
    k25 = policy("K25", CLN, "IRR", date(2025, 1, 1), "800000000", basis="claims_made")
    u24 = policy("U24", CLN, "USD", date(2024, 7, 1), "20000.00", basis="claims_made")
    c24 = policy("C24", CLN, "RUB", date(2024, 5, 1), "300000", basis="claims_made")  # no RUB XL for 2024
    # quota share 33.3333%: 100 000.01 case → 33 333.33 (…3.3299…); then 33 333.33 paid, a
    # 1 000.00 recovery: paid 32 333.33 → 10 777.77 (…7.7666…), case 66 666.68 → 22 222.22
    claim("A24-1", a24, date(2024, 6, 10), date(2024, 6, 20),
          [("reserve", "100000.01", date(2024, 6, 20)), ("payment", "33333.33", date(2024, 11, 5)),
           ("recovery", "1000.00", date(2025, 3, 1))])
    # a case released below zero in indemnity (paid 60 000 out of 50 000) floors at 0 there, the
    # expense case stands: case 10 000 (not 0)
    claim("A24-2", a24, date(2024, 9, 1), date(2024, 9, 3),
          [("reserve", "50000.00", date(2024, 9, 3)), ("reserve", "10000.00", date(2024, 9, 3), "expense"),
           ("payment", "60000.00", date(2025, 1, 20)), ("reserve", "-5000.00", date(2025, 6, 1))])
    # 30%: the half-cent ties 0.15 paid → 0.05 and 0.05 case → 0.02, rounded half up
    claim("A25-1", a25, date(2025, 10, 5), date(2025, 10, 9),
          [("reserve", "0.20", date(2025, 10, 9)), ("payment", "0.15", date(2025, 11, 1))])
    claim("A25-2", a25, date(2025, 10, 20), date(2025, 12, 1),
          [("reserve", "70000.35", date(2025, 12, 1)), ("payment", "0.05", date(2025, 12, 10))])
    # a row accounted before the report counts from the report's quarter on (2025Q3, not Q2)
    claim("A24-3", a24, date(2024, 12, 1), date(2025, 8, 1),
          [("reserve", "30000.00", date(2025, 5, 15)), ("payment", "12000.00", date(2025, 9, 1))])
    claim("A23-1", a23, date(2024, 2, 1), date(2024, 2, 15),
          [("reserve", "40000.00", date(2024, 2, 15)), ("payment", "15000.00", date(2025, 5, 1))])
    # IRR (no minor unit): 33.3333% of an amount whose product with the share passes int64
    claim("I24-1", i24, date(2024, 5, 1), date(2024, 5, 2),
          [("reserve", "90000000000001", date(2024, 5, 2)), ("payment", "30000000000000", date(2025, 7, 1))])
    claim("I25-1", i25, date(2025, 3, 3), date(2025, 3, 4),
          [("reserve", "155555555", date(2025, 3, 4)), ("payment", "1111111", date(2025, 8, 8))])
    # excess of loss 4m xs 1m RUB: paid crosses the retention in the third quarter
    claim("C25-1", c25, date(2025, 1, 15), date(2025, 2, 1),
          [("reserve", "1800000.00", date(2025, 2, 1)), ("payment", "700000.00", date(2025, 5, 1)),
           ("payment", "500000.00", date(2025, 8, 1)), ("reserve", "3700000.00", date(2025, 11, 1))])
    claim("C25-2", c25, date(2025, 4, 1), date(2025, 4, 15), [("reserve", "400000.00", date(2025, 4, 15))])
    claim("C25-3", c25, date(2025, 6, 1), date(2026, 1, 15), [("reserve", "9000000.00", date(2026, 1, 15))])
    claim("C25-4", c25, date(2025, 7, 1), date(2025, 7, 2),
          [("reserve", "2000000.00", date(2025, 7, 2)), ("payment", "2000000.00", date(2026, 2, 1))])
    # IRR layer 1.5bn xs 0.5bn, USD 150 000.25 xs 100 000.50 (cents in both)
    claim("K25-1", k25, date(2025, 3, 1), date(2025, 3, 5),
          [("reserve", "2500000000", date(2025, 3, 5)), ("payment", "600000000", date(2025, 9, 9))])
    claim("U24-1", u24, date(2024, 8, 1), date(2024, 8, 2),
          [("reserve", "180000.75", date(2024, 8, 2)), ("payment", "120000.60", date(2025, 4, 4))])
    claim("C24-1", c24, date(2024, 6, 1), date(2024, 6, 2), [("reserve", "3000000.00", date(2024, 6, 2))])
    PremiumTransaction.objects.bulk_create(prem)
    ClaimTransaction.objects.bulk_create(ctx)


# --------------------------------------------------------------------------- the reference
def _q(d: date) -> int:
    return d.year * 4 + (d.month - 1) // 3


def _label(q: int) -> str:
    return Quarter(q // 4, q % 4 + 1).label


def _origin(claim: Claim, basis: str) -> date:
    if basis == "report" or (basis == "cover" and claim.policy.basis == "claims_made"):
        return claim.report_date
    return claim.occurrence_date


def _path(claim: Claim, basis: str, cut_off) -> list[tuple[int, Decimal, Decimal]]:
    """[(quarter end, paid, case)] at each quarter end the claim's paid or case changed."""
    start = max(_q(_origin(claim, basis)), _q(claim.report_date))
    by_q: dict[int, list] = {}
    for t in claim.transactions.filter(accounting_date__lte=V, recorded_at__lte=cut_off, amount__isnull=False):
        paid = {"payment": t.amount, "recovery": -t.amount}.get(t.effect_kind, D(0))
        case = {"reserve": t.amount, "payment": -t.amount}.get(t.effect_kind, D(0))
        by_q.setdefault(max(_q(t.accounting_date), start), []).append((t.cost_type, paid, case))
    paid, case, path = D(0), {}, []
    for q in sorted(by_q):
        for cost, p, k in by_q[q]:
            paid += p
            case[cost] = case.get(cost, D(0)) + k
        path.append((q, paid, sum((max(x, D(0)) for x in case.values()), D(0))))
    return path


def _at(path, q):
    paid = case = D(0)
    for step, p, k in path:
        if step <= q:
            paid, case = p, k
    return paid, case


def reference(params: dict, cut_off) -> dict:
    """collect_cessions' claim figures, claim by claim (keys: segment × currency)."""
    treaties = treaties_as_rows()
    v = _q(V)
    out: dict = {}
    for claim in Claim.objects.select_related("policy").filter(report_date__lte=V).order_by("id"):
        seg, cur = claim.policy.segment, claim.policy.currency
        path = _path(claim, params["origin_basis"], cut_off)
        if not path:
            continue
        t = ri.treaty_in_force(treaties, segment=seg, underwriting_year=claim.policy.inception_date.year, currency=cur)
        doc = out.setdefault((seg, cur), {"origins": {}, "paid": D(0), "case": D(0), "incurred_12m": D(0),
                                          "ceded_incurred_12m": D(0), "increments": {}})
        paid, case = _at(path, v)
        paid0, case0 = _at(path, v - 4)
        cp, cc = ri.claim_cession(t, paid=paid, case=case, currency=cur)
        cp0, cc0 = ri.claim_cession(t, paid=paid0, case=case0, currency=cur)
        oq = _q(_origin(claim, params["origin_basis"]))
        o = doc["origins"].setdefault(_label(oq), [D(0)] * 4)
        for i, x in enumerate((paid + case, cp + cc, cp, cc)):
            o[i] += x
        doc["paid"] += cp
        doc["case"] += cc
        doc["incurred_12m"] += paid + case - paid0 - case0
        doc["ceded_incurred_12m"] += cp + cc - cp0 - cc0
        if t is not None:
            before = (D(0), D(0))
            for q, p, k in path:
                now = ri.claim_cession(t, paid=p, case=k, currency=cur)
                inc = doc["increments"].setdefault((oq, q), [D(0), D(0)])
                inc[0] += now[0] - before[0]
                inc[1] += now[1] - before[1]
                before = now
    for (seg, cur), doc in out.items():
        doc["origins"] = {k: [str(money_round(x, cur)) for x in v] for k, v in sorted(doc["origins"].items())}
        for k in ("paid", "case", "incurred_12m", "ceded_incurred_12m"):
            doc[k] = str(money_round(doc[k], cur))
        doc["triangles"] = _triangles(doc.pop("increments"), v)
    return out


def _triangles(increments: dict, v: int) -> dict:
    if not increments:
        return {}
    first = min(o for o, _ in increments)
    n = v - first + 1
    out = {}
    for i, name in enumerate(("paid", "case")):
        values = []
        for r in range(n):
            acc, row = D(0), []
            for a in range(n):
                acc += increments.get((first + r, first + r + a), [D(0), D(0)])[i]
                row.append(None if r + a > n - 1 else round(float(acc), 2))
            values.append(row)
        out[name] = {"origins": [_label(first + r) for r in range(n)], "ages": [3 * (a + 1) for a in range(n)],
                     "values": values}
    return out


def reference_years(scope, params: dict, seg: str, cur: str) -> dict:
    """The quota-share years of one segment × currency from its own premium read."""
    from dataclasses import replace

    rows = selectors.premium_rows(scope=replace(scope, segment=seg, currency=cur))
    rows["uw_year"] = rows["inception_date"].dt.year
    upr = E.upr_by(rows, V, ["uw_year"], method=params["upr_method"], base=params["premium_base"],
                   pre_inception_gross=params["pre_inception_gross"])
    written = rows.groupby("uw_year")["gross_premium"].sum()
    out = {}
    for year in sorted(written.index):
        t = ri.treaty_in_force(treaties_as_rows(), segment=seg, underwriting_year=int(year), currency=cur)
        q = ri.quota_share(t)
        if q:
            premium = D(str(float(written[year]))) * q
            out[str(year)] = {"quota_share": str(q.normalize()), "premium": str(money_round(premium, cur)),
                              "ceding_commission": str(money_round(
                                  premium * D(str(t["ceding_commission_percent"])) / 100, cur)),
                              "upr": str(money_round(D(str(float(upr.get(year, 0.0)))) * q, cur))}
    return out


def _collect(params: dict):
    cut_off = timezone.now()
    keys = {(IND, "RUB"), (IND, "IRR"), (CLN, "RUB"), (CLN, "IRR"), (CLN, "USD")}
    with selectors.as_of_views(selectors.Scope(valuation_date=V, cut_off=cut_off)) as scope:
        got = cessions.collect_cessions(scope=scope, params=params, keys=keys)
        years = {k: reference_years(scope, params, *k) for k in keys if k[0] == IND}
    return got, reference(params, cut_off), years


@pytest.mark.parametrize("basis", ["accident", "report"])
def test_set_based_cessions_equal_the_per_claim_reference(basis):
    make_treaty_book()
    params = {**compute.DEFAULT_PARAMETERS, "origin_basis": basis}
    got, ref, years = _collect(params)
    assert set(got) == set(ref)
    for key, doc in ref.items():
        for k, v in doc.items():
            assert got[key][k] == v, (key, k)
    for key, y in years.items():
        assert got[key]["years"] == y
    assert got[(CLN, "USD")]["treaties"] == ["XL-CLN-2024-USD"]
    assert got[(IND, "RUB")]["treaties"] == ["QS-IND-2024", "QS-IND-2025"]


def test_cessions_pinned_by_hand():
    make_treaty_book()
    got, _, _ = _collect(dict(compute.DEFAULT_PARAMETERS))
    ind, irr = got[(IND, "RUB")], got[(IND, "IRR")]
    # 33.3333% (2024): A24-1 paid 32 333.33 → 10 777.77, case 66 666.68 → 22 222.20; A24-2 paid
    # 60 000 → 19 999.98, case 10 000 (the indemnity case floored at 0, the expense case stands)
    # → 3 333.33; A24-3 paid 12 000 → 3 999.996 → 4 000.00, case 18 000 → 5 999.99;
    # 30% (2025): A25-1 paid 0.15 → 0.05, case 0.05 → 0.02 (ties, half up); A25-2 paid 0.05 →
    # 0.02, case 70 000.30 → 21 000.09; A23-1 (2023) cedes nothing
    assert ind["paid"] == "34777.82"       # 10 777.77 + 19 999.98 + 4 000.00 + 0.05 + 0.02
    assert ind["case"] == "52555.63"       # 22 222.20 + 3 333.33 + 5 999.99 + 0.02 + 21 000.09
    assert ind["origins"]["2024Q2"] == ["99000.01", "32999.97", "10777.77", "22222.20"]
    assert ind["origins"]["2024Q1"] == ["40000.00", "0.00", "0.00", "0.00"]
    # 2025's incurred: A24-1 −1 000 (the recovery), A24-2 +10 000 (the floor), A24-3 +30 000,
    # A25-1 +0.20, A25-2 +70 000.35, A23-1 0 (paid out of its case)
    assert ind["incurred_12m"] == "109000.55"
    # A24-3's rows count from 2025Q3, its report's quarter: the 2024Q4 origin's ceded case
    # triangle is 0 until age 12 months (2025Q3), then 5 999.99
    tri = ind["triangles"]["case"]
    row = tri["values"][tri["origins"].index("2024Q4")]
    assert row[:4] == [0.0, 0.0, 0.0, 5999.99] and tri["origins"][0] == "2024Q2"
    # IRR to the rial: 33.3333% of 30 000 000 000 000 paid and 60 000 000 000 001 case (products
    # beyond int64), 30% of I25-1's 1 111 111 paid and 154 444 444 case
    assert (irr["paid"], irr["case"]) == ("9999990333333", "20000026333333")
    assert irr["origins"]["2025Q1"] == ["155555555", "46666666", "333333", "46333333"]
    cln, k, usd = got[(CLN, "RUB")], got[(CLN, "IRR")], got[(CLN, "USD")]
    # 4m xs 1m: C25-1 at V paid 1.2m → layer 0.2m, incurred 5.5m → layer 4m, so case 3.8m; C25-2
    # under the retention; C25-4 incurred 2m → case 1m (its payment is after V); C25-3 reported
    # after V; C24-1 of 2024 (no RUB treaty) cedes nothing
    assert (cln["paid"], cln["case"]) == ("200000.00", "4800000.00")
    assert cln["origins"] == {"2024Q2": ["3000000.00", "0.00", "0.00", "0.00"],
                              "2025Q1": ["5500000.00", "4000000.00", "200000.00", "3800000.00"],
                              "2025Q2": ["400000.00", "0.00", "0.00", "0.00"],
                              "2025Q3": ["2000000.00", "1000000.00", "0.00", "1000000.00"]}
    assert cln["triangles"]["paid"]["values"][0] == [0.0, 0.0, 200000.0, 200000.0]
    assert cln["triangles"]["case"]["values"][0] == [800000.0, 800000.0, 600000.0, 3800000.0]
    # IRR 1.5bn xs 0.5bn: incurred 2.5bn → 1.5bn, paid 0.6bn → 0.1bn; USD 150 000.25 xs
    # 100 000.50: incurred 180 000.75 → 80 000.25, paid 120 000.60 → 20 000.10
    assert (k["paid"], k["case"]) == ("100000000", "1400000000")
    assert (usd["paid"], usd["case"]) == ("20000.10", "60000.15")
    assert usd["treaties"] == ["XL-CLN-2024-USD"] and usd["ceded_incurred_12m"] == "0.00"


def test_treaties_without_a_reported_claim_give_zeros_and_no_triangles():
    Treaty.objects.create(code="QS-IND-2025", kind="quota_share", segment=IND, underwriting_year=2025,
                          ceded_percent=D("30"), ceding_commission_percent=D("25"))
    insured = Insured.objects.create(name="no-claims")
    p = Policy.objects.create(policy_number="N1", insured=insured, profession="surgeon", segment=IND,
                              basis="occurrence", currency="RUB", inception_date=date(2025, 7, 1),
                              expiry_date=date(2026, 6, 30), issue_date=date(2025, 7, 1))
    PremiumTransaction.objects.create(transaction_id="N1-P1", policy=p, kind="original", effect_kind="original",
                                      accounting_date=date(2025, 7, 1), effective_date=date(2025, 7, 1),
                                      gross_premium=D("365000"), commission=D(0),
                                      recorded_at=timezone.now() - timedelta(days=1))
    # a claim reported after V only
    Claim.objects.create(claim_number="N1-1", policy=p, occurrence_date=date(2025, 12, 1), report_date=date(2026, 1, 5))
    with selectors.as_of_views(selectors.Scope(valuation_date=V, cut_off=timezone.now())) as scope:
        got = cessions.collect_cessions(scope=scope, params=dict(compute.DEFAULT_PARAMETERS),
                                        keys={(IND, "RUB"), (CLN, "RUB")})
    assert got[(CLN, "RUB")] == {"treaties": [], "incurred_12m": "0.00", "ceded_incurred_12m": "0.00"}
    assert got[(IND, "RUB")] == {
        "treaties": ["QS-IND-2025"],
        # UPR 365 000 × 181/365 = 181 000 → 54 300 ceded; premium 109 500, commission 27 375
        "years": {"2025": {"quota_share": "0.3", "premium": "109500.00", "ceding_commission": "27375.00",
                           "upr": "54300.00"}},
        "origins": {}, "paid": "0.00", "case": "0.00", "incurred_12m": "0.00", "ceded_incurred_12m": "0.00",
        "quota_shares": {"2025": "0.3"}, "excess_of_loss_years": [], "triangles": {}}


@pytest.mark.parametrize("basis", ["accident", "report", "cover"])
def test_the_runs_gross_claim_sums_from_the_cession_read_equal_the_selectors(basis):
    """A book with treaties takes its gross cells, counts and RBNS from the cessions' claim read
    (reserving.compute._claim_aggregates); they are the selectors' to the cent, on the treaty
    book and on the run book (reversals, recoveries, closes, several segments)."""
    from tests.integration.reserving.runbook import make_book

    make_treaty_book()
    make_book(seed=7, policies=120, first=date(2022, 1, 1), last=date(2025, 12, 31))
    with selectors.as_of_views(selectors.Scope(valuation_date=V, cut_off=timezone.now())) as scope:
        cells, counts, rbns = compute._claim_aggregates(cessions.claim_ledger(scope=scope, origin_basis=basis))
        want_cells = selectors.claim_ledger_cells(scope=scope, origin_basis=basis)
        want_counts = selectors.claim_count_cells(scope=scope, origin_basis=basis)
        want_rbns = selectors.rbns_by_segment(scope=scope)
    assert len(want_cells) > 40 and len(want_counts) > 20 and len(want_rbns) >= 5
    pd.testing.assert_frame_equal(cells, want_cells, check_dtype=False)
    pd.testing.assert_frame_equal(counts, want_counts, check_dtype=False)
    assert rbns == want_rbns
    # by hand, the treaty book's only claims there: U24-1 180 000.75 − 120 000.60; K25-1 2.5bn − 0.6bn
    assert rbns[(CLN, "USD")] == D("60000.15") and rbns[(CLN, "IRR")] == D("1900000000")


@pytest.mark.parametrize("method", ["pro_rata", "1/24"])
def test_the_runs_shared_premium_read_gives_each_reads_own_figures(method):
    """The run reads the premium rows of the quota-share segments and of the complex policies
    once (selectors.premium_rows_shared; every row under a month method): the ceded years, the
    gross UPR and the earned premium are those of the reads each made on its own."""
    from tests.integration.reserving.runbook import make_book

    make_treaty_book()
    make_book(seed=11, policies=120, first=date(2022, 1, 1), last=date(2025, 12, 31))
    params = {**compute.DEFAULT_PARAMETERS, "upr_method": method}
    cut_off = timezone.now()
    inputs = compute.collect_inputs(valuation_date=V, cut_off=cut_off, params=params)
    with selectors.as_of_views(selectors.Scope(valuation_date=V, cut_off=cut_off)) as scope:
        shared = selectors.premium_rows_shared(scope=scope, segments=cessions.quota_share_segments())
        assert cessions.quota_share_segments() == [IND] and set(shared["segment"]) >= {IND}
        years = {k: reference_years(scope, params, *k) for k in inputs if k[0] == IND}
        if method == "pro_rata":
            upr = selectors.upr_by_segment(scope=scope, premium_base=params["premium_base"],
                                           pre_inception_gross=params["pre_inception_gross"])
        else:
            upr = compute._upr_by_engine(scope, params)
        # the earned premium from its own read of the complex policies
        earned = selectors.earned_premium_by_quarter(scope=scope, first=compute._first_quarter(V, params),
                                                     premium_base=params["premium_base"], with_gross=True)
    assert len(years) >= 2 and all(years.values()) and len(upr) >= 5
    # the complex policies of the segment without a quota share are read too (the earned premium's)
    assert (selectors.complex_premium_rows(shared)["segment"] == CLN).any()
    for key, y in years.items():
        assert inputs[key].cession["years"] == y, key
    assert {k: i.upr for k, i in inputs.items() if i.upr} == {k: v for k, v in upr.items() if v}
    for (seg, cur), inp in inputs.items():
        e = earned[(earned.segment == seg) & (earned.currency == cur)]
        assert inp.earned == {q: float(v) for q, v in zip(e.quarter, e.earned) if round(float(v), 2) != 0}
        assert inp.earned_gross == {q: float(v) for q, v in zip(e.quarter, e.earned_gross) if round(float(v), 2) != 0}
