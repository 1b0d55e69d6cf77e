"""The policy and claim lists answer with a fixed number of queries whatever the rows (issue 16 §3):
no query per row (list_select_related, totals annotated in the database)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import ClaimFactory, PolicyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    client.force_login(get_user_model().objects.create_superuser("queries-admin", password="x"))
    return client


def _book(n: int, start: int) -> None:
    for i in range(start, start + n):
        irr = i % 2 == 0
        policy = PolicyFactory(policy_number=f"Q-{i:04d}", currency="IRR" if irr else "RUB",
                               gross_premium=Decimal("6600000") if irr else Decimal("36600.00"),
                               commission=Decimal("0"))
        ClaimFactory(policy=policy, claim_number=f"QC-{i:04d}", initial_reserve={"indemnity": Decimal("1000")})


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("page", ["admin:policies_policy_changelist", "admin:claims_claim_changelist",
                                  "admin:policies_premiumtransaction_changelist",
                                  "admin:claims_claimtransaction_changelist"])
def test_a_list_page_costs_the_same_queries_for_2_rows_and_for_12(staff, page, django_assert_max_num_queries):
    url = reverse(page)
    _book(2, 0)
    few = _queries(staff, url)
    _book(10, 2)
    with django_assert_max_num_queries(few):
        staff.get(url)
    assert few <= 12
