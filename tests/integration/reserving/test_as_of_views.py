"""The run's as-at view of master data, materialised once (reserving.sql.as_of_views): every
selector reads the same figures from it as from the history tables directly, a one-segment view
holds only that segment's slice, it is the master data as at the cut-off, and it is dropped after."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from django.db import connection
from django.utils import timezone

from claims.models import Claim
from core.money import money_round
from core.periods import Quarter
from policies.models import Insured, Policy, PremiumTransaction
from reserving import compute
from reserving import selectors as S
from reserving.engine.upr import upr_by
from tests.integration.reserving.runbook import make_book

pytestmark = pytest.mark.django_db

V = date(2023, 12, 31)


def _all_reads(scope: S.Scope) -> dict:
    return {
        "upr_net": S.upr_by_segment(scope=scope),
        "upr_gross": S.upr_by_segment(scope=scope, premium_base="gross", pre_inception_gross=False),
        "rbns": S.rbns_by_segment(scope=scope),
        "cells": S.claim_ledger_cells(scope=scope),
        "cover_cells": S.claim_ledger_cells(scope=scope, origin_basis="cover"),
        "counts": S.claim_count_cells(scope=scope),
        "closures": S.claim_closure_cells(scope=scope),
        "earned": S.earned_premium_by_quarter(scope=scope, first=Quarter(2022, 1), with_gross=True),
        "written": S.written_base_premium(scope=scope, since=date(2023, 6, 30)),
        "segments": S.segments_in_scope(scope=scope),
        "premium_rows": S.premium_rows(scope=scope),
    }


def _assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], pd.DataFrame):
            pd.testing.assert_frame_equal(a[k].reset_index(drop=True), b[k].reset_index(drop=True), obj=k)
        else:
            assert a[k] == b[k], k


def _temp_tables() -> list[str]:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'asof_%%'")
        else:
            cur.execute("SELECT name FROM sqlite_temp_master WHERE type = 'table' AND name LIKE 'asof_%%'")
        return [r[0] for r in cur.fetchall()]


def test_every_read_is_the_same_from_the_materialised_view_and_it_is_dropped_after():
    make_book(seed=3, policies=90)
    scope = S.Scope(valuation_date=V, cut_off=timezone.now())
    direct = _all_reads(scope)
    assert direct["rbns"] and len(direct["cells"]) and len(direct["earned"])
    with S.as_of_views(scope) as viewed:
        assert viewed.views is not None and len(_temp_tables()) == 3
        # the claim reads join the claims to the policies that have one, not the whole book
        with connection.cursor() as cur:
            cur.execute(f"SELECT COUNT(*) FROM {viewed.views.claimed}")
            claimed = cur.fetchone()[0]
        assert 0 < claimed == Claim.objects.values("policy_id").distinct().count() < Policy.objects.count()
        _assert_same(_all_reads(viewed), direct)
        # the engine's reference on the rows read through the view: the SQL UPR to the cent
        rows = S.premium_rows(scope=viewed)
        ref = upr_by(rows, V, ["segment", "currency"])
        assert S.upr_by_segment(scope=viewed) == {k: money_round(float(x), k[1]) for k, x in ref.items()}
    assert _temp_tables() == []


def test_a_segment_view_holds_its_own_slice_and_gives_the_whole_book_figures_of_that_segment():
    make_book(seed=5, policies=90)
    scope = S.Scope(valuation_date=V, cut_off=timezone.now())
    whole = _all_reads(scope)
    key = ("individual_occurrence", "RUB")
    seg_scope = S.Scope(valuation_date=V, cut_off=scope.cut_off, segment=key[0], currency=key[1])
    with S.as_of_views(seg_scope) as viewed:
        with connection.cursor() as cur:
            cur.execute(f"SELECT COUNT(*), COUNT(DISTINCT segment || currency) FROM {viewed.views.policy}")
            n, keys = cur.fetchone()
        assert (n, keys) == (Policy.objects.filter(segment=key[0], currency=key[1]).count(), 1)
        mine = _all_reads(viewed)
    assert mine["upr_net"] == {key: whole["upr_net"][key]}
    assert mine["rbns"] == {key: whole["rbns"][key]}
    for name in ("cells", "counts", "closures", "earned"):
        part = whole[name][(whole[name].segment == key[0]) & (whole[name].currency == key[1])]
        pd.testing.assert_frame_equal(mine[name].reset_index(drop=True), part.reset_index(drop=True), obj=name)
    # the run's own input collection, one segment at a time, equals its slice of the whole
    params = dict(compute.DEFAULT_PARAMETERS)
    all_inputs = compute.collect_inputs(valuation_date=V, cut_off=scope.cut_off, params=params)
    one = compute.collect_inputs(valuation_date=V, cut_off=scope.cut_off, params=params, segment=key[0],
                                 currency=key[1])
    assert list(one) == [key]
    assert one[key].canonical() == all_inputs[key].canonical()


def test_the_view_is_the_master_data_as_at_the_cut_off():
    """One 366-day policy (2024 is a leap year), net premium 36,600: at 30 June 2024 it has run
    182 days, so 184 × 100 = 18,400 is unearned. Moved to another segment after the cut-off, it
    stays in its old segment for a run at that cut-off, with or without the view."""
    insured = Insured.objects.create(name="as-at")
    pol = Policy.objects.create(policy_number="AS-1", insured=insured, profession="nurse", segment="individual_occurrence",
                                basis="occurrence", currency="RUB", inception_date=date(2024, 1, 1),
                                expiry_date=date(2024, 12, 31), issue_date=date(2024, 1, 1))
    PremiumTransaction.objects.create(transaction_id="AS-1-P1", policy=pol, kind="original", effect_kind="original",
                                      accounting_date=date(2024, 1, 1), effective_date=date(2024, 1, 1),
                                      gross_premium=Decimal("40000.00"), commission=Decimal("3400.00"),
                                      recorded_at=timezone.now() - timedelta(days=1))
    cut_off = timezone.now()
    pol.segment = "clinic_claims_made"
    pol.save()
    scope = S.Scope(valuation_date=date(2024, 6, 30), cut_off=cut_off)
    expected = {("individual_occurrence", "RUB"): Decimal("18400.00")}
    assert S.upr_by_segment(scope=scope) == expected
    with S.as_of_views(scope) as viewed:
        assert S.upr_by_segment(scope=viewed) == expected
    later = S.Scope(valuation_date=date(2024, 6, 30), cut_off=timezone.now())
    with S.as_of_views(later) as viewed:
        assert S.upr_by_segment(scope=viewed) == {("clinic_claims_made", "RUB"): Decimal("18400.00")}
    assert Claim.objects.count() == 0
