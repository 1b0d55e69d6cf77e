"""policies.selectors reads the admin lists use (issue 16 §3)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.roles import system_actor
from policies import selectors, services
from policies.models import Policy
from tests.factories import PolicyFactory

pytestmark = pytest.mark.django_db


def test_written_premium_is_the_ledger_sum_per_policy_as_one_query(django_assert_num_queries):
    endorsed = PolicyFactory(policy_number="W-1", gross_premium=Decimal("36600.00"))
    services.policy_endorse(policy=endorsed, effective_date=date(2024, 7, 1), accounting_date=date(2024, 7, 1),
                            gross_premium=Decimal("-1200.50"), actor=system_actor())
    PolicyFactory(policy_number="W-2", currency="IRR", gross_premium=Decimal("6600000"), commission=Decimal("0"))
    with django_assert_num_queries(1):
        written = dict(selectors.policy_with_written_premium().values_list("policy_number", "written_gross"))
    assert written == {"W-1": Decimal("35399.50"), "W-2": Decimal("6600000.00")}
    # the same totals as the grouped join the API lists with
    joined = dict(selectors.policy_with_premium().values_list("policy_number", "written_gross"))
    assert written == joined


def test_written_premium_keeps_the_callers_filter_and_joins_nothing():
    PolicyFactory(policy_number="W-3")
    PolicyFactory(policy_number="W-4", segment="clinic_claims_made", basis=Policy.Basis.CLAIMS_MADE,
                  retro_date=date(2022, 1, 1), gross_premium=Decimal("50000.00"))
    rows = selectors.policy_with_written_premium(Policy.objects.filter(policy_number="W-4"))
    assert [(p.policy_number, p.written_gross) for p in rows] == [("W-4", Decimal("50000.00"))]
    # a correlated subquery: no join of the ledger for the list's filters to group
    assert "JOIN" not in str(rows.query)
