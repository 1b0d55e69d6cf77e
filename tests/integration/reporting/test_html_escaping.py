"""Stored XSS (defects item 3): claim numbers and segment names are user or CSV input; every page
that shows one shows it escaped, never as markup (every HTML fragment goes through format_html)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from claims.models import Claim
from policies.models import Policy
from reserving import services
from tests.integration.reserving.runbook import approved_run
from tests.integration.reserving.runbook import eager_celery, make_book  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

HOSTILE_CLAIM = "<img src=x onerror=alert(1)>"
HOSTILE_SEGMENT = '"><img src=x onerror=alert(2)>'
SEGMENTS = [(HOSTILE_SEGMENT, "RUB"), ("clinic_claims_made", "RUB"), ("individual_occurrence", "IRR")]


@pytest.fixture
def people():
    services.ensure_roles()
    users = {}
    for role in ("clerk", "actuary", "approver"):
        # superusers pass the admin's model permissions; the groups carry the roles the services check
        user = User.objects.create_user(f"{role}-xss", is_staff=True, is_superuser=role != "actuary")
        user.groups.add(Group.objects.get(name=role))
        users[role] = user
    return users


def _assert_escaped(body: str, *, shows=()) -> None:
    assert HOSTILE_CLAIM not in body
    assert HOSTILE_SEGMENT not in body
    assert "<img src=x" not in body
    for text in shows:
        assert escape(text) in body


def test_hostile_claim_number_and_segment_are_escaped_on_every_page(people, client, django_capture_on_commit_callbacks):
    make_book(seed=13, policies=150, recorded_at=timezone.now() - timedelta(days=60), segments=SEGMENTS)
    opening = approved_run(people, django_capture_on_commit_callbacks, date(2024, 6, 30))

    # The clerk reports a claim numbered with markup through the admin form, with a case reserve.
    occurred = date(2024, 9, 1)
    policy = Policy.objects.filter(segment=HOSTILE_SEGMENT, inception_date__lte=occurred, expiry_date__gte=occurred).first()
    assert policy is not None
    client.force_login(people["clerk"])
    response = client.post(reverse("admin:claims_claim_add"), {
        "policy": policy.pk, "claim_number": HOSTILE_CLAIM, "occurrence_date": "2024-09-01",
        "report_date": "2024-09-15", "cause": "birth injury", "initial_indemnity_reserve": "75000.00",
    }, follow=True)
    assert response.status_code == 200
    claim = Claim.objects.get(claim_number=HOSTILE_CLAIM)
    _assert_escaped(response.content.decode(), shows=[HOSTILE_CLAIM])

    closing = approved_run(people, django_capture_on_commit_callbacks, date(2024, 12, 31))
    segment = f"{HOSTILE_SEGMENT}|RUB"
    pair = {"opening": opening.pk, "closing": closing.pk, "segment": segment}
    client.force_login(people["approver"])

    pages = {
        # the drill-down to the claims behind a deviation links each claim by its number
        "ave-claims": (reverse("reporting:ave-claims"), {**pair, "origin": "2024Q3"}, [HOSTILE_CLAIM]),
        "roll-forward": (reverse("reporting:rollforward"), pair, [HOSTILE_SEGMENT]),
        "triangle": (reverse("reporting:triangle"), {"run": closing.pk, "segment": segment}, [HOSTILE_SEGMENT]),
        "bootstrap": (reverse("reporting:bootstrap"), {"run": closing.pk, "segment": segment}, [HOSTILE_SEGMENT]),
        "loss-ratios": (reverse("reporting:loss-ratios"), {}, [HOSTILE_SEGMENT]),
        "reserves": (reverse("reporting:reserves"), {}, []),
        "solvency": (reverse("reporting:solvency"), {}, []),
        "exports": (reverse("reporting:exports"), {}, []),
        "claims": (reverse("admin:claims_claim_changelist"), {}, [HOSTILE_CLAIM]),
        "claim": (reverse("admin:claims_claim_change", args=[claim.pk]), {}, [HOSTILE_CLAIM]),
        "claim rows": (reverse("admin:claims_claimtransaction_changelist"), {"q": "onerror"}, [HOSTILE_CLAIM]),
        "policies": (reverse("admin:policies_policy_changelist"), {"q": policy.policy_number}, [HOSTILE_SEGMENT]),
        "run": (reverse("admin:reserving_reserverun_change", args=[closing.pk]), {}, [HOSTILE_SEGMENT]),
        "run segment": (reverse("admin:reserving_run_segment", args=[closing.pk, HOSTILE_SEGMENT, "RUB"]), {}, [HOSTILE_SEGMENT]),
    }
    for name, (url, params, shows) in pages.items():
        response = client.get(url, params)
        assert response.status_code == 200, name
        try:
            _assert_escaped(response.content.decode(), shows=shows)
        except AssertionError as exc:
            raise AssertionError(f"page {name!r} ({url}): {exc}") from exc

    # the roll-forward's links to the drill-down carry the segment URL-encoded
    body = client.get(reverse("reporting:rollforward"), pair).content.decode()
    assert "segment=%22%3E%3Cimg+src%3Dx+onerror%3Dalert%282%29%3E%7CRUB" in body
