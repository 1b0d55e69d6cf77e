"""The diyeh revaluation as a real Celery task on Redis, against PostgreSQL."""
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from claims.selectors import claim_ledger_totals
from claims.services import claim_report
from tariff.engine import QuoteRequest
from tariff.services import diyeh_year_add, policy_issue_from_quote


def test_revaluation_task_runs_on_a_real_worker_and_is_idempotent(celery_worker_process):
    from tariff.tasks import diyeh_revalue_open_claims

    call_command("loaddata", "ir_paramed_1399", verbosity=0)
    from tests.factories import user_with_roles

    actor = user_with_roles("actuary", "clerk", "actuary")  # issues the policy, then revalues
    policy = policy_issue_from_quote(
        request=QuoteRequest(profession="nurse", setting="hospital", cover=Decimal("4400000000")),
        policy_number="IR-T-1", insured_name="Reza", inception_date=date(2020, 9, 1), expiry_date=date(2021, 8, 31),
        issue_date=date(2020, 9, 1), cover_in_diyeh=True, diyeh_increase_endorsement=True, actor=actor,
    )
    claim = claim_report(policy=policy, occurrence_date=date(2021, 5, 27), report_date=date(2021, 6, 1),
                         awarded_diyeh_share=Decimal("0.5"), initial_reserve={"indemnity": Decimal("2200000000")},
                         actor=actor)
    diyeh_year_add(jalali_year=1400, amount=Decimal("4800000000"), actor=actor)

    first = diyeh_revalue_open_claims.delay(1400, "2021-06-30", actor.pk).get(timeout=60)
    second = diyeh_revalue_open_claims.delay(1400, "2021-06-30", actor.pk).get(timeout=60)

    assert first["claims_changed"] == 1
    assert Decimal(first["total_change"]) == Decimal("0.5") * (Decimal("4800000000") - Decimal("4400000000"))
    assert second["claims_changed"] == 0
    assert claim_ledger_totals(claim).outstanding["indemnity"] == Decimal("2400000000")
