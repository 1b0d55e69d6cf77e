"""Run selectors: database aggregates equal the engine's reference formulas to the cent, and
what a run sees is bounded by the valuation date and the cut-off."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from django.db import connection
from django.utils import timezone

from claims.models import Claim, ClaimTransaction
from core.money import money_round
from core.periods import Quarter
from policies.models import Policy, PremiumTransaction
from reserving import selectors as S
from reserving.engine.upr import earned_premium, upr_by
from tests.integration.reserving.runbook import make_book

pytestmark = pytest.mark.django_db

VALUATIONS = [date(2021, 6, 30), date(2022, 12, 31), date(2023, 9, 30), date(2024, 12, 31)]


def _engine_upr(scope: S.Scope, base="net", pre_inception_gross=True) -> dict:
    rows = S.premium_rows(scope=scope)
    by = upr_by(rows, scope.valuation_date, ["segment", "currency"], base=base, pre_inception_gross=pre_inception_gross)
    return {k: money_round(float(v), k[1]) for k, v in by.items()}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_upr_equals_engine_reference_to_the_cent(seed):
    make_book(seed=seed, policies=120)
    assert PremiumTransaction.objects.filter(kind="cancellation").exists()
    for v in VALUATIONS:
        scope = S.Scope(valuation_date=v, cut_off=timezone.now())
        for base in ("net", "gross"):
            sql = S.upr_by_segment(scope=scope, premium_base=base)
            ref = _engine_upr(scope, base=base)
            assert set(sql) == set(ref)
            assert sql == ref, (v, base)


def test_sql_earned_premium_equals_engine_reference():
    make_book(seed=7, policies=100)
    scope = S.Scope(valuation_date=date(2023, 12, 31), cut_off=timezone.now())
    sql = S.earned_premium_by_quarter(scope=scope, first=Quarter(2022, 1))
    rows = S.premium_rows(scope=scope)
    for q in (Quarter(2022, 1), Quarter(2022, 4), Quarter(2023, 3)):
        ref = earned_premium(rows, q.start, q.end).groupby([rows["segment"], rows["currency"]]).sum()
        got = sql[sql.quarter == q.label].set_index(["segment", "currency"])["earned"]
        for key, value in ref.items():
            assert money_round(float(got.get(key, 0.0)), key[1]) == money_round(float(value), key[1])


@pytest.mark.parametrize("seed,cancellations", [(7, True), (13, True), (14, False)])
def test_earned_premium_every_quarter_net_and_gross_equals_the_engine_over_the_whole_book(seed, cancellations):
    """The split read (plain policies summed in SQL per booking × window quarters, the others
    through the engine) gives, for every quarter and both bases, what the engine's
    earned_by_period gives over every row of the book, to the cent."""
    from reserving.engine.upr import earned_by_period

    make_book(seed=seed, policies=150, cancellations=cancellations)
    v = date(2024, 12, 31)
    scope = S.Scope(valuation_date=v, cut_off=timezone.now())
    first = Quarter(2020, 4)  # before the first policy: its quarters earn nothing
    got = S.earned_premium_by_quarter(scope=scope, first=first, with_gross=True)
    quarters = [first + i for i in range(Quarter.of(v) - first + 1)]
    rows = S.premium_rows(scope=scope)
    dates = [quarters[0].start - timedelta(days=1)] + [q.end for q in quarters]
    label = {q.end: q.label for q in quarters}
    assert len(got) == 3 * len(quarters)
    for base, column in (("net", "earned"), ("gross", "earned_gross")):
        ref = earned_by_period(rows, dates, ["segment", "currency"], base=base)
        ref["quarter"] = ref["period"].map(label)
        ref = ref.rename(columns={"earned": "reference"})[["segment", "currency", "quarter", "reference"]]
        both = got.merge(ref, on=["segment", "currency", "quarter"], how="outer", validate="one_to_one")
        mine = [money_round(float(x), c) for x, c in zip(both[column], both["currency"])]
        theirs = [money_round(float(x), c) for x, c in zip(both["reference"], both["currency"])]
        assert mine == theirs, base
        assert sum(abs(x) for x in theirs) > 0
    # the quarter before the first policy earns nothing
    assert got[got.quarter == "2020Q4"]["earned"].abs().max() < 0.005


def _python_rbns(rows: pd.DataFrame) -> dict:
    """RBNS the slow, obvious way: per claim and cost type Σreserve − Σpayment, floored at zero."""
    rows = rows[rows["amount"].notna()].copy()
    sign = rows["effect_kind"].map({"reserve": 1, "payment": -1}).fillna(0)
    rows["o"] = [a * int(s) for a, s in zip(rows["amount"], sign)]
    per = rows.groupby(["segment", "currency", "claim_id", "cost_type"])["o"].sum()
    out = {}
    for (seg, cur, _c, _t), o in per.items():
        out[(seg, cur)] = out.get((seg, cur), Decimal(0)) + max(o, Decimal(0))
    return {k: money_round(v, k[1]) for k, v in out.items()}


@pytest.mark.parametrize("seed", [4, 5])
def test_sql_rbns_equals_row_by_row_reference(seed):
    make_book(seed=seed, policies=100)
    for v in VALUATIONS:
        scope = S.Scope(valuation_date=v, cut_off=timezone.now())
        assert S.rbns_by_segment(scope=scope) == _python_rbns(S.claim_ledger_rows(scope=scope))


def test_triangle_cells_cumulate_to_paid_and_outstanding_at_each_quarter_end():
    make_book(seed=9, policies=120)
    v = date(2024, 6, 30)
    scope = S.Scope(valuation_date=v, cut_off=timezone.now())
    cells = S.claim_ledger_cells(scope=scope)
    counts = S.claim_count_cells(scope=scope)
    key = ("individual_occurrence", "RUB")
    sel = (cells.segment == key[0]) & (cells.currency == key[1])
    tri = S.triangles_from_cells(cells[sel], counts[(counts.segment == key[0]) & (counts.currency == key[1])], v)
    rows = S.claim_ledger_rows(scope=scope)
    rows = rows[(rows.segment == key[0]) & (rows.currency == key[1]) & rows.amount.notna()]
    # check a few cells against a direct sum of ledger rows
    checked = 0
    for origin in tri["paid"].index[::3]:
        oq = Quarter.parse(origin)
        for age in tri["paid"].columns[:8]:
            at = (oq + (age // 3 - 1)).end
            if at > v:
                continue
            mine = rows[(rows.occurrence_date.map(lambda d: Quarter.of(d) == oq)) & (rows.accounting_date <= at)]
            paid = sum((a if k == "payment" else -a) for a, k in zip(mine.amount, mine.effect_kind) if k in ("payment", "recovery"))
            case = sum((a if k == "reserve" else -a) for a, k in zip(mine.amount, mine.effect_kind) if k in ("reserve", "payment"))
            assert round(tri["paid"].loc[origin, age], 2) == float(paid or 0)
            assert round(tri["incurred"].loc[origin, age], 2) == round(float(paid or 0) + float(case or 0), 2)
            checked += 1
    assert checked > 10
    # nothing is known beyond the diagonal
    assert np.isnan(tri["paid"].iloc[-1, 1])


def test_rows_recorded_after_cut_off_or_dated_after_valuation_are_not_seen():
    make_book(seed=11, policies=40)
    cut_off = timezone.now()
    v = date(2024, 12, 31)
    scope = S.Scope(valuation_date=v, cut_off=cut_off)
    before_upr, before_rbns = S.upr_by_segment(scope=scope), S.rbns_by_segment(scope=scope)
    claim = Claim.objects.filter(report_date__lte=date(2024, 6, 30)).first()
    pol = Policy.objects.first()
    later = cut_off + timedelta(milliseconds=1)
    ClaimTransaction.objects.create(transaction_id="late-1", claim=claim, kind="reserve", effect_kind="reserve",
                                    cost_type="indemnity", amount=Decimal("12345.67"), accounting_date=date(2024, 9, 1),
                                    recorded_at=later)
    PremiumTransaction.objects.create(transaction_id="late-2", policy=pol, kind="endorsement", effect_kind="endorsement",
                                      accounting_date=pol.inception_date, effective_date=pol.inception_date,
                                      gross_premium=Decimal("5000"), commission=Decimal("0"), recorded_at=later)
    assert S.upr_by_segment(scope=scope) == before_upr
    assert S.rbns_by_segment(scope=scope) == before_rbns
    # the same rows are seen by a later cut-off
    scope2 = S.Scope(valuation_date=v, cut_off=later + timedelta(seconds=1))
    assert S.rbns_by_segment(scope=scope2) != before_rbns


def test_master_data_is_read_as_it_was_at_the_cut_off():
    make_book(seed=12, policies=30)
    scope = S.Scope(valuation_date=date(2024, 12, 31), cut_off=timezone.now())
    before = S.upr_by_segment(scope=scope)
    before_cells = S.claim_ledger_cells(scope=scope)
    for pol in Policy.objects.filter(segment="clinic_claims_made"):
        pol.segment = "moved_segment"
        pol.save()
    for claim in Claim.objects.all()[:5]:
        claim.occurrence_date = claim.occurrence_date - timedelta(days=200)
        claim.save()
    assert S.upr_by_segment(scope=scope) == before
    pd.testing.assert_frame_equal(S.claim_ledger_cells(scope=scope), before_cells)
    now = S.Scope(valuation_date=date(2024, 12, 31), cut_off=timezone.now())
    assert ("moved_segment", "RUB") in S.upr_by_segment(scope=now)


@pytest.mark.parametrize("seed", [6, 8])
def test_sql_rbns_equals_engine_reference_to_the_cent(seed):

    from reserving.engine import rbns as engine_rbns
    make_book(seed=seed, policies=100)
    for v in VALUATIONS:
        scope = S.Scope(valuation_date=v, cut_off=timezone.now())
        rows = S.claim_ledger_rows(scope=scope)
        rows["reverses_kind"] = rows["effect_kind"].where(rows["kind"] == "reversal")
        rows["amount"] = rows["amount"].map(lambda a: None if a is None else float(a))
        ref = engine_rbns.reported_not_settled(rows, v, by=["segment", "currency"])
        assert S.rbns_by_segment(scope=scope) == {k: money_round(float(x), k[1]) for k, x in ref.items()}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the column read is PostgreSQL's")
@pytest.mark.parametrize("seed", [1, 7])
def test_premium_rows_read_as_columns_equal_the_tuple_read(seed, monkeypatch):
    """The PostgreSQL column read (sql.fetch_columns) gives premium_rows' frame exactly: values,
    dtypes, row order (by id), reversals' NA — for the whole book, a slice and the shared read."""
    make_book(seed=seed, policies=120)
    assert PremiumTransaction.objects.filter(reverses__isnull=False).exists()
    whole = S.Scope(valuation_date=date(2023, 12, 31), cut_off=timezone.now())
    with S.as_of_views(whole) as scope:
        segment = Policy.objects.order_by("segment").values_list("segment", flat=True).first()
        reads = [lambda: S.premium_rows(scope=scope),
                 lambda: S.premium_rows(scope=replace(scope, segment=segment)),
                 lambda: S.premium_rows_shared(scope=scope, segments=[segment])]
        columns, read = S._premium_columns, []
        monkeypatch.setattr(S, "_premium_columns", lambda *a, **k: read.append(columns(*a, **k)) or read[-1])
        fast = [r() for r in reads]
        assert len(read) == 3 and all(f is not None for f in read)  # each read as columns
        monkeypatch.setattr(S, "_premium_columns", lambda *a, **k: None)
        slow = [r() for r in reads]
    assert len(fast[0]) == PremiumTransaction.objects.filter(accounting_date__lte=whole.valuation_date).count()
    for f, s in zip(fast, slow):
        assert len(f) > 0
        pd.testing.assert_frame_equal(f, s, check_exact=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the column read is PostgreSQL's")
def test_fetch_columns_gives_none_on_a_null_and_the_values_otherwise():
    from reserving.sql import fetch_columns
    got = fetch_columns("SELECT x, CAST(x AS DOUBLE PRECISION) / 4 FROM generate_series(3, 1, -1) AS g(x)", [],
                        ["int4", "float8"])
    assert [c.tolist() for c in got] == [[3, 2, 1], [0.75, 0.5, 0.25]]
    assert fetch_columns("SELECT CAST(NULL AS INTEGER) UNION ALL SELECT 5", [], ["int4"]) is None
    assert [c.tolist() for c in fetch_columns("SELECT CAST(1 AS BIGINT) WHERE FALSE", [], ["int8"])] == [[]]
