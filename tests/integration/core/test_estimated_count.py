"""The list pages' row count (core.paginator): an unfiltered list of a large table takes the
database's estimate, a filtered one and a small table are counted (issue 16 §3)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from core import paginator
from policies.models import Policy
from tests.factories import PolicyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_policies():
    for i, currency in enumerate(("RUB", "RUB", "IRR")):
        PolicyFactory(policy_number=f"E-{i}", currency=currency, gross_premium=Decimal("1000"), commission=Decimal("0"))


def test_an_unfiltered_large_table_is_estimated_and_a_filtered_one_counted(three_policies, monkeypatch):
    monkeypatch.setattr(paginator, "table_estimate", lambda using, table: 2_000_000 if table == "policies_policy" else None)
    assert paginator.EstimatedCountPaginator(Policy.objects.order_by("pk"), 50).count == 2_000_000
    assert paginator.EstimatedCountPaginator(Policy.objects.filter(currency="IRR").order_by("pk"), 50).count == 1


def test_a_table_under_the_threshold_is_counted(three_policies, monkeypatch):
    monkeypatch.setattr(paginator, "table_estimate", lambda using, table: paginator.ESTIMATE_ABOVE)
    assert paginator.EstimatedCountPaginator(Policy.objects.order_by("pk"), 50).count == 3


def test_a_small_table_is_counted_on_the_list_page(three_policies, admin_client):
    from django.db import connection

    estimate = paginator.table_estimate("default", "policies_policy")
    if connection.vendor == "sqlite":
        assert estimate is None  # SQLite keeps no row estimate
    else:  # PostgreSQL's estimate of a 3-row table (whatever ANALYZE saw last) is far below the threshold
        assert estimate is None or estimate < paginator.ESTIMATE_ABOVE
    response = admin_client.get("/admin/policies/policy/")
    assert response.context["cl"].result_count == 3
    assert response.context["cl"].full_result_count is None  # no second COUNT of the whole table
