"""Every JSON response of the read endpoints matches the OpenAPI schema the API publishes
(defect 10.15: `cost_type: ""` outside its enum, `preparer`/`approver`/`actor` null where the
schema said non-null). The schema is taken from the running app, OpenAPI 3.0 `nullable` is
translated to JSON Schema, and each body is validated against its operation's 200 response."""
from __future__ import annotations

import copy
import re
from datetime import date, timedelta
from decimal import Decimal

import jsonschema
import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from claims.services import claim_close
from core.roles import system_actor
from reserving import services as runs
from tests.factories import ClaimFactory, PolicyFactory, user_with_roles
from tests.integration.reserving.runbook import eager_celery, make_book  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def _json_schema(node):
    """OpenAPI 3.0 → JSON Schema: `nullable: true` becomes a union with null."""
    if isinstance(node, list):
        return [_json_schema(x) for x in node]
    if not isinstance(node, dict):
        return node
    node = {k: _json_schema(v) for k, v in node.items() if k not in ("readOnly", "writeOnly", "example")}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


@pytest.fixture
def schema(db):
    client = APIClient()
    client.force_authenticate(user_with_roles("schema-reader", "auditor"))
    raw = client.get("/api/schema/", {"format": "json"}).json()
    return _json_schema(copy.deepcopy(raw))


def _validator(schema, path_template: str, method: str = "get", status: str = "200"):
    response = schema["paths"][path_template][method]["responses"][status]["content"]["application/json"]["schema"]
    whole = {"components": schema["components"], **response}
    return jsonschema.Draft7Validator(whole)


def _template_for(schema, url: str) -> str:
    path = url.split("?")[0]
    for template in schema["paths"]:
        pattern = "^" + re.sub(r"\{[^}]+\}", r"[^/]+", template) + "$"
        if re.match(pattern, path):
            return template
    raise AssertionError(f"no schema path for {url}")


def test_read_responses_match_the_published_schema(schema, django_capture_on_commit_callbacks):
    make_book(seed=31, policies=40, recorded_at=timezone.now() - timedelta(days=5))
    policy = PolicyFactory(policy_number="P-SCHEMA")
    claim = ClaimFactory(policy=policy, claim_number="C-SCHEMA", initial_reserve={"indemnity": Decimal("900.00")})
    claim_close(claim=claim, accounting_date=date(2024, 3, 1), actor=system_actor())  # a row with no cost type
    actuary = user_with_roles("schema-actuary", "actuary")
    run = runs.run_create(valuation_date=date(2024, 12, 31), actor=actuary)  # no approver yet
    with django_capture_on_commit_callbacks(execute=True):
        runs.run_compute(run=run, actor=actuary)

    client = APIClient()
    client.force_authenticate(user_with_roles("schema-auditor", "auditor"))
    urls = ["/api/v1/policies/", "/api/v1/policies/P-SCHEMA/", "/api/v1/premium-transactions/",
            "/api/v1/claims/", "/api/v1/claims/C-SCHEMA/", "/api/v1/claims/C-SCHEMA/transactions/",
            "/api/v1/claim-transactions/",
            "/api/v1/reserve-runs/", f"/api/v1/reserve-runs/{run.pk}/", "/api/v1/regimes/",
            "/api/v1/tariff/versions/", "/api/v1/tariff/diyeh-amounts/"]
    checked = 0
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        validator = _validator(schema, _template_for(schema, url))
        errors = sorted(validator.iter_errors(response.json()), key=lambda e: list(e.path))
        assert not errors, (url, [f"{list(e.path)}: {e.message}" for e in errors[:5]])
        checked += 1
    assert checked == len(urls)
    rows = client.get("/api/v1/claims/C-SCHEMA/transactions/").json()
    assert any(r["kind"] == "close" and r["cost_type"] == "" for r in rows)
    assert client.get(f"/api/v1/reserve-runs/{run.pk}/").json()["approver"] is None
