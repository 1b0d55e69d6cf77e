"""Every access to an API view's `schema` is a new inspector (core.api.JsonApi): drf-spectacular
keeps the operation's view, path and method on the inspector while generating, so one instance
shared by every view let two threads generating at once build /api/v1/claim-changes/ from another
thread's view (another ledger's component, the 400 left out, or a 500: the schemathesis flake).
The generator is called directly here, past SchemaView's lock."""
from __future__ import annotations

import json
import sys
import threading

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.renderers import JSONRenderer

from claims.api import ClaimTransactionViewSet, PendingClaimChangeViewSet

pytestmark = pytest.mark.django_db


def _schema() -> dict:
    return json.loads(JSONRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


def test_each_view_gets_its_own_inspector():
    one, other = PendingClaimChangeViewSet(), ClaimTransactionViewSet()
    assert one.schema is not one.schema
    assert one.schema.view is one and other.schema.view is other


def test_four_threads_generating_at_once_each_get_the_fresh_schema():
    fresh = _schema()
    claim_changes = fresh["paths"]["/api/v1/claim-changes/"]["get"]["responses"]
    assert sorted(claim_changes) == ["200", "400", "401", "403", "404"]
    assert claim_changes["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PaginatedPendingClaimChangeList"}
    answers = [None] * 4

    def generate(i):
        try:
            answers[i] = _schema()
        except Exception as exc:  # noqa: BLE001 - the assertion below shows it
            answers[i] = repr(exc)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, mid-operation (with one shared inspector 4 of 4 broke)
    try:
        threads = [threading.Thread(target=generate, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
    finally:
        sys.setswitchinterval(interval)
    for answer in answers:
        assert isinstance(answer, dict), answer
        assert answer["paths"]["/api/v1/claim-changes/"] == fresh["paths"]["/api/v1/claim-changes/"]
        assert answer == fresh
