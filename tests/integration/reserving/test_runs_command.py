"""The reserve_run command: its JSON contract and --rerun."""
from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from reserving.models import ReserveRun
from tests.integration.reserving.runbook import eager_celery, make_book  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]


def test_reserve_run_json_has_the_contract_shape_and_rerun_is_identical():
    make_book(seed=41, policies=80, recorded_at=timezone.now() - timedelta(days=2))
    out = StringIO()
    call_command("reserve_run", "--valuation-date", "2024-12-31", "--regime", "ru", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert set(data) >= {"run_id", "valuation_date", "regime", "status", "input_fingerprint", "segments"}
    assert data["status"] == "computed" and data["regime"] == "ru" and data["valuation_date"] == "2024-12-31"
    seg = data["segments"][0]
    assert set(seg) == {"segment", "currency", "upr", "rbns", "ibnr", "ulae", "premium_deficiency", "ibnr_method", "origins", "ceded", "net"}
    assert isinstance(seg["upr"], str) and "." in seg["upr"] or seg["currency"] == "IRR"
    assert set(seg["origins"][0]) == {"origin", "paid", "case", "ultimate", "ibnr", "mack_se"}
    out2 = StringIO()
    call_command("reserve_run", "--rerun", str(data["run_id"]), "--json", stdout=out2)
    again = json.loads(out2.getvalue())
    assert again["input_fingerprint"] == data["input_fingerprint"] and again["identical"] is True
    assert again["segments"] == data["segments"]
    assert ReserveRun.objects.get(pk=again["run_id"]).rerun_of_id == data["run_id"]


def test_reserve_run_refuses_a_date_that_is_not_a_quarter_end():
    with pytest.raises(CommandError, match="quarter end"):
        call_command("reserve_run", "--valuation-date", "2024-12-30")
