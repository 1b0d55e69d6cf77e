"""`quote` command and the quote API: the --json contract, and bad input answered clearly
with nothing recorded."""
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from core.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seed_tariff")]

JSON_KEYS = {"base_rate_permille", "rate_permille", "premium_before_discounts", "discounts", "premium", "vat",
             "total", "steps", "tariff_version"}


def run_quote(*args):
    out = StringIO()
    call_command("quote", *args, "--date", "2020-09-02", stdout=out)
    return out.getvalue()


def test_quote_json_has_exactly_the_contract_keys_with_money_as_strings():
    got = json.loads(run_quote("--profession", "midwife", "--setting", "own_office", "--cover", "440000000",
                               "--group-size", "150", "--claim-free-years", "3", "--json"))
    assert set(got) == JSON_KEYS
    assert got["premium"] == "953700"
    assert got["premium_before_discounts"] == "1320000"
    assert [d["amount"] for d in got["discounts"]] == ["198000", "168300"]
    assert all(set(s) == {"name", "value"} for s in got["steps"])
    assert all(set(d) == {"name", "rate", "amount"} for d in got["discounts"])


def test_quote_command_reads_cover_share_as_percent_or_fraction():
    a = json.loads(run_quote("--profession", "nurse", "--setting", "hospital", "--cover", "440,000,000",
                             "--cover-share", "25%", "--json"))
    b = json.loads(run_quote("--profession", "nurse", "--setting", "hospital", "--cover", "440000000",
                             "--cover-share", "0.25", "--json"))
    assert a["premium"] == b["premium"] == "115500"


def test_quote_command_text_shows_every_step():
    text = run_quote("--profession", "nurse", "--setting", "doctors_office", "--cover", "440000000")
    assert "doctors_office multiplier" in text and "396000" in text


@pytest.mark.parametrize(
    "args, word",
    [
        (["--profession", "midwife", "--setting", "hospital", "--cover", "-1"], "cover"),
        (["--profession", "midwife", "--setting", "hospital", "--cover", "abc"], "cover"),
        (["--profession", "astrologer", "--setting", "hospital", "--cover", "1000"], "referral required"),
        (["--profession", "midwife", "--setting", "hospital", "--cover", "1000", "--cover-share", "0.5"],
         "referral required"),
    ],
)
def test_quote_command_refuses_bad_input(args, word):
    with pytest.raises(CommandError, match=word):
        run_quote(*args)


def test_quote_command_refuses_a_date_without_a_tariff():
    with pytest.raises(CommandError, match="no tariff version is in force"):
        call_command("quote", "--profession", "midwife", "--setting", "hospital", "--cover", "1000",
                     "--date", "2019-01-01", stdout=StringIO())


def _client(username: str, *roles: str) -> APIClient:
    from tests.factories import user_with_roles

    client = APIClient()
    client.force_authenticate(user_with_roles(username, *roles))
    return client


@pytest.fixture
def api():
    return _client("clerk", "clerk")


@pytest.fixture
def actuary_api():
    return _client("actuary", "actuary")


def test_api_quote_answers_the_same_as_the_command(api):
    body = {"profession": "midwife", "setting": "hospital", "cover": "440000000", "resident": True,
            "group_size": 150, "claim_free_years": 3, "date": "2020-09-02"}
    res = api.post("/api/v1/tariff/quotes/", body, format="json")
    assert res.status_code == 200, res.content
    cli = json.loads(run_quote("--profession", "midwife", "--setting", "hospital", "--cover", "440000000",
                               "--resident", "--group-size", "150", "--claim-free-years", "3", "--json"))
    assert res.json() == cli
    assert res.json()["premium"] == "572220"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"cover": "0"}, "cover"),
        ({"cover_share": "0.5"}, "cover_share"),
        ({"cover_share": "2"}, "cover_share"),
        ({"profession": "physiotherapist"}, "profession"),
        ({"date": "2019-01-01"}, "date"),
        ({"setting": "garage"}, "setting"),
        ({"group_size": 10, "group_members": 5}, "group_members"),
    ],
)
def test_api_quote_bad_input_is_400_with_field_messages_and_records_nothing(api, change, field):
    before = AuditEvent.objects.count()
    body = {"profession": "midwife", "setting": "hospital", "cover": "440000000", "date": "2020-09-02", **change}
    res = api.post("/api/v1/tariff/quotes/", body, format="json")
    assert res.status_code == 400
    assert field in res.json()
    assert AuditEvent.objects.count() == before


def test_api_quote_needs_authentication():
    res = APIClient().post("/api/v1/tariff/quotes/", {}, format="json")
    assert res.status_code in (401, 403)


def test_api_lists_the_seed_tariff_version_with_its_rates(api):
    res = api.get("/api/v1/tariff/versions/IR-PARAMED-1399/")
    assert res.status_code == 200
    rates = {(r["setting"], r["risk_group"], r["profession"]): r["rate_permille"] for r in res.json()["base_rates"]}
    assert rates == {("hospital", 1, ""): "1.5000", ("hospital", 3, ""): "0.7500", ("own_office", None, "midwife"): "3.0000"}


ISSUE = {"profession": "nurse", "setting": "hospital", "cover": "4400000000", "date": "2020-09-01",
         "policy_number": "IR-API-1", "insured_name": "Sara", "inception_date": "2020-09-01",
         "expiry_date": "2021-08-31", "issue_date": "2020-09-01", "cover_in_diyeh": True}


def test_api_issues_a_policy_from_a_quote(api):
    res = api.post("/api/v1/tariff/policies/", ISSUE, format="json")
    assert res.status_code == 201, res.content
    from policies.models import Policy

    policy = Policy.objects.get(policy_number="IR-API-1")
    assert policy.premium_transactions.get().gross_premium == Decimal("3300000")
    assert res.json()["tariff_version"] == "IR-PARAMED-1399" and res.json()["rating_steps"]


def test_api_refuses_to_issue_a_referred_quote_and_records_nothing(api):
    from policies.models import Policy

    before = AuditEvent.objects.count()
    res = api.post("/api/v1/tariff/policies/", {**ISSUE, "profession": "icu_nurse"}, format="json")
    assert res.status_code == 400 and "profession" in res.json()
    assert not Policy.objects.exists() and AuditEvent.objects.count() == before


def test_api_diyeh_year_and_revaluation(actuary_api):
    api = actuary_api
    res = api.post("/api/v1/tariff/diyeh-amounts/", {"jalali_year": 1400, "amount": "4800000000"}, format="json")
    assert res.status_code == 201, res.content
    again = api.post("/api/v1/tariff/diyeh-amounts/", {"jalali_year": 1400, "amount": "4800000000"}, format="json")
    assert again.status_code == 400 and "jalali_year" in again.json()
    res = api.post("/api/v1/tariff/diyeh-amounts/1400/revalue/", {"accounting_date": "2021-06-30"}, format="json")
    assert res.status_code == 200 and res.json()["changes"] == []
    res = api.post("/api/v1/tariff/diyeh-amounts/1410/revalue/", {"accounting_date": "2021-06-30"}, format="json")
    assert res.status_code == 400 and "jalali_year" in res.json()


def test_api_indicated_rates(api):
    res = api.get("/api/v1/tariff/indicated-rates/", {"period_start": "2020-01-01", "period_end": "2020-12-31"})
    assert res.status_code == 200 and res.json() == []
    bad = api.get("/api/v1/tariff/indicated-rates/", {"period_start": "2020-01-01", "period_end": "2020-12-31",
                                                      "gamma": "0.99"})
    assert bad.status_code == 400 and "gamma" in bad.json()


@pytest.mark.parametrize("role", ["auditor", "clerk", "approver"])
def test_only_the_actuary_writes_diyeh_amounts_and_revalues_claims_through_the_api(role):
    """Defect 10.1: every signed-in role could record a diyeh year and revalue open claims."""
    from tariff.models import DiyehAmount

    client = _client(f"{role}-diyeh", role)
    res = client.post("/api/v1/tariff/diyeh-amounts/", {"jalali_year": 1401, "amount": "6000000000"}, format="json")
    assert res.status_code == 403 and "needs the actuary role" in res.json()["non_field_errors"][0]
    assert not DiyehAmount.objects.filter(jalali_year=1401).exists()
    res = client.post("/api/v1/tariff/diyeh-amounts/1399/revalue/", {"accounting_date": "2021-06-30"}, format="json")
    assert res.status_code == 403
    assert not AuditEvent.objects.filter(verb__startswith="diyeh.").exists()


@pytest.mark.parametrize("role", ["auditor", "actuary", "approver"])
def test_only_the_clerk_issues_a_policy_from_a_quote_through_the_api(role):
    from policies.models import Policy

    res = _client(f"{role}-issue", role).post("/api/v1/tariff/policies/", ISSUE, format="json")
    assert res.status_code == 403, res.content
    assert not Policy.objects.exists()
