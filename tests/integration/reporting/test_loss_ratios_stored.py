"""The loss-ratio dashboard reads the gross earned premium the run stored with its inputs
(issue 15 §5): the same ratios as computing it from the book, without reading the book."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.periods import Quarter
from core.roles import system_actor
from reporting import selectors
from reserving import services
from reserving.models import RunSegmentInput
from reserving.selectors import Scope, earned_premium_by_quarter
from tests.integration.reserving.runbook import eager_celery, make_book  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]


def test_loss_ratios_come_from_the_run_and_equal_the_book(django_capture_on_commit_callbacks):
    make_book(seed=99, policies=60, recorded_at=timezone.now() - timedelta(days=1))
    run = services.run_compute(run=services.run_create(valuation_date=date(2024, 12, 31), actor=system_actor()),
                               actor=system_actor())
    run.refresh_from_db()
    assert run.status == "computed"
    stored = {(i.segment, i.currency): i.earned_gross for i in RunSegmentInput.objects.filter(run=run)}
    assert len(stored) == 3 and all(stored.values())

    # what the run stored is the gross earned premium of each quarter, to the cent
    scope = Scope(valuation_date=run.valuation_date, cut_off=run.cut_off)
    book = earned_premium_by_quarter(scope=scope, first=Quarter(2021, 1), premium_base="gross")
    for row in book.itertuples(index=False):
        if round(float(row.earned), 2):
            assert stored[(row.segment, row.currency)][row.quarter] == f"{row.earned:.2f}"
    net = earned_premium_by_quarter(scope=scope, first=Quarter(2021, 1), premium_base="net")
    assert net["earned"].sum() < book["earned"].sum()  # the run's own base is net of commission: not this one

    with CaptureQueriesContext(connection) as queries:
        from_run = selectors.loss_ratio_table(run=run)
    assert not [q for q in queries.captured_queries if "premiumtransaction" in q["sql"]]
    assert len(queries.captured_queries) <= 3

    RunSegmentInput.objects.filter(run=run).update(earned_gross={})  # a run from before: computed now
    from_book = selectors.loss_ratio_table(run=run)
    assert from_run.keys() == from_book.keys() == {"IRR", "RUB"}
    for currency, (years, ratios) in from_book.items():
        assert from_run[currency][0] == years == [2021, 2022, 2023, 2024]
        for segment, values in ratios.items():
            got = from_run[currency][1][segment]
            assert [v is None for v in got] == [v is None for v in values]
            assert [v for v in got if v is not None] == pytest.approx([v for v in values if v is not None], rel=1e-6)  # stored to the cent
            assert any(v is not None for v in got)
